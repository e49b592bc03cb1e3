//! Native command-line front ends: the `sim` and `redis-model` binaries call into here.
//!
//! Each model owns one file with a `clap::Args` struct and a `run` function; `sim` only dispatches.
//! This module is compiled natively only (it prints to stdout and reads the wall clock at the edge).

pub mod alloc_counter;
pub mod backoff;
pub mod balance;
pub mod kernel;
pub mod lock;
pub mod lock_live;
pub mod output;
pub mod redis;

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
    /// Run the same lock machine against a real Redis (faults: pause, CLIENT PAUSE, restart) and
    /// print the same safety summary as `lock`.
    LockLive(Box<lock_live::Args>),
    /// Print one call's retry schedule under a backoff policy.
    Retry(backoff::RetryArgs),
    /// The AWS optimistic-concurrency contention sweep, as CSV.
    BackoffSweep(backoff::SweepArgs),
    /// Load-balancing algorithms: picks, runs and key movement.
    Lb(balance::Args),
    /// Benchmark the modeled Redis (and a real redis-server, when one is reachable).
    RedisBench(redis::BenchArgs),
}

pub type CliResult = Result<(), Box<dyn std::error::Error>>;

/// Entry point of the `sim` binary.
pub fn sim_main() -> std::process::ExitCode {
    let cli = SimCli::parse();
    let result = match cli.command {
        SimCommand::KernelBench(a) => kernel::bench(&cli.common, a),
        SimCommand::Lock(a) => lock::run(&cli.common, a),
        SimCommand::LockLive(a) => lock_live::run(&cli.common, *a),
        SimCommand::Retry(a) => backoff::retry(&cli.common, a),
        SimCommand::BackoffSweep(a) => backoff::sweep(&cli.common, a),
        SimCommand::Lb(a) => balance::run(&cli.common, a),
        SimCommand::RedisBench(a) => redis::bench(&cli.common, a),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sim: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
