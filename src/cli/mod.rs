//! Native command-line front ends: the `sim` and `redis-model` binaries call into here.
//!
//! Each model owns one file with a `clap::Args` struct and a `run` function; `sim` only dispatches.
//! This module is compiled natively only (it prints to stdout and reads the wall clock at the edge).

pub mod alloc_counter;
pub mod backoff;
pub mod balance;
pub mod check;
pub mod cluster;
pub mod kernel;
pub mod lock;
pub mod lock_live;
pub mod messaging;
pub mod output;
pub mod redis;
pub mod redis_evict;
pub mod redis_limits_bench;
pub mod replay;

use clap::{Parser, Subcommand};

/// Flags every subcommand shares.
#[derive(clap::Args, Clone, Debug)]
pub struct Common {
    /// Seed of the run's random streams (the same seed replays the same run).
    #[arg(long, global = true, default_value_t = 1)]
    pub seed: u64,
    /// Print JSON instead of text or CSV.
    #[arg(long, global = true)]
    pub json: bool,
}

/// Where a run stops and how it gets there, and where its replay file goes: `sim lock` and
/// `sim replay` share these (a model adopting rewind flattens them into its own args).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct RewindFlags {
    /// Stop a straight run at this virtual time (ms since the start).
    #[arg(long, conflicts_with = "seek_ms")]
    pub until_ms: Option<u64>,
    /// Run to the end keeping rewind's snapshots, then seek to this virtual time (ms) through a
    /// snapshot and replay. Prints the same digest as --until-ms with the same time.
    #[arg(long)]
    pub seek_ms: Option<u64>,
    /// Write the run as a replay file: the JSON the page's "Download replay" writes and
    /// `sim replay` reads.
    #[arg(long, value_name = "FILE")]
    pub replay_out: Option<std::path::PathBuf>,
}

#[derive(Parser, Debug)]
#[command(name = "sim", about = "Distributed Systems Playground: run the models natively", version)]
pub struct SimCli {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub command: SimCommand,
}

#[derive(Subcommand, Debug)]
pub enum SimCommand {
    /// Synthetic kernel workload: self-rescheduling timers; prints events/s.
    KernelBench(kernel::BenchArgs),
    /// Run a distributed-lock scenario and print its safety summary as JSON.
    Lock(lock::Args),
    /// Run a replay file (from the page's "Download replay" or `--replay-out`) and print its
    /// model, events and trace digest.
    Replay(replay::Args),
    /// Run the same lock machine against a real Redis (faults: pause, CLIENT PAUSE, restart) and
    /// print the same safety summary as `lock`.
    LockLive(Box<lock_live::Args>),
    /// Print one call's retry schedule under a backoff policy.
    Retry(backoff::RetryArgs),
    /// The AWS optimistic-concurrency contention sweep, as CSV.
    BackoffSweep(backoff::SweepArgs),
    /// One live contention run (the backoff page's), with scripted actions, rewind flags and its digest.
    Backoff(backoff::LiveArgs),
    /// Load-balancing algorithms: picks, runs and key movement.
    Lb(balance::Args),
    /// Benchmark the modeled Redis (and a real redis-server, when one is reachable).
    RedisBench(redis::BenchArgs),
    /// Redis Cluster: key slots, a preset run's figures (--json), failover times over seeds, the client benchmark.
    Cluster(cluster::Args),
    /// Model-check the lock protocols, or check a Redis history for linearizability.
    Check(check::Args),
    /// Messaging patterns and TCP vs UDP: run a preset, print the delivery checker's counts.
    Messaging(messaging::Args),
}

pub type CliResult = Result<(), Box<dyn std::error::Error>>;

/// Entry point of the `sim` binary.
pub fn sim_main() -> std::process::ExitCode {
    let cli = SimCli::parse();
    let result = match cli.command {
        SimCommand::KernelBench(a) => kernel::bench(&cli.common, a),
        SimCommand::Lock(a) => lock::run(&cli.common, a),
        SimCommand::Replay(a) => replay::run(&cli.common, a),
        SimCommand::LockLive(a) => lock_live::run(&cli.common, *a),
        SimCommand::Retry(a) => backoff::retry(&cli.common, a),
        SimCommand::BackoffSweep(a) => backoff::sweep(&cli.common, a),
        SimCommand::Backoff(a) => backoff::live(&cli.common, a),
        SimCommand::Lb(a) => balance::run(&cli.common, a),
        SimCommand::RedisBench(a) => redis::bench(&cli.common, a),
        SimCommand::Cluster(a) => cluster::run(&cli.common, a),
        SimCommand::Check(a) => check::run(&cli.common, a),
        SimCommand::Messaging(a) => messaging::run(&cli.common, a),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sim: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
