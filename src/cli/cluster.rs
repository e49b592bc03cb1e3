//! `sim cluster …`: key slots, a preset run's figures, and the client benchmark. The wall clock is
//! read here only, for the benchmark.

use super::output::print_json;
use super::{CliResult, Common};
use crate::cluster::config::NODE_TIMEOUT_RANGE;
use crate::cluster::runtime::ClusterRun;
use crate::cluster::scenario::{preset, LAG_RANGE, PRESETS};
use crate::cluster::slot::key_slot;

#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<ClusterCommand>,
    /// The preset to run: failover, partition-minority, reshard, replica-lag or steady.
    #[arg(long, default_value = "failover")]
    pub preset: String,
    /// cluster-node-timeout (ms), 500 to 60000.
    #[arg(long)]
    pub timeout: Option<u64>,
    /// Replication lag (ms), 0 to 10000.
    #[arg(long)]
    pub lag: Option<u64>,
}

#[derive(clap::Subcommand, Debug)]
pub enum ClusterCommand {
    /// Print `KEY SLOT` for each key (CRC16-XMODEM of the key or its hash tag, mod 16384).
    Keyslot {
        #[arg(required = true)]
        keys: Vec<String>,
    },
    /// Commands per second through the cluster client (routing and redirects included).
    Bench,
}

/// Errors in `sim cluster` flags.
#[derive(Debug, thiserror::Error)]
pub enum ClusterCliError {
    #[error("--timeout {0} is not accepted: enter {lo} to {hi} ms", lo = NODE_TIMEOUT_RANGE.0, hi = NODE_TIMEOUT_RANGE.1)]
    Timeout(u64),
    #[error("--lag {0} is not accepted: enter {lo} to {hi} ms", lo = LAG_RANGE.0, hi = LAG_RANGE.1)]
    Lag(u64),
}

pub fn run(common: &Common, args: Args) -> CliResult {
    match args.command {
        Some(ClusterCommand::Keyslot { keys }) => {
            for k in keys {
                println!("{k} {}", key_slot(k.as_bytes()));
            }
            Ok(())
        }
        Some(ClusterCommand::Bench) => bench(common),
        None => {
            let mut s = preset(&args.preset)?;
            if let Some(t) = args.timeout {
                if !(NODE_TIMEOUT_RANGE.0..=NODE_TIMEOUT_RANGE.1).contains(&t) {
                    return Err(ClusterCliError::Timeout(t).into());
                }
                s.cluster.node_timeout_ms = t;
            }
            if let Some(l) = args.lag {
                if l > LAG_RANGE.1 {
                    return Err(ClusterCliError::Lag(l).into());
                }
                s.repl_lag_ms = l;
            }
            let mut run = ClusterRun::new(s, common.seed)?;
            run.run_to_end();
            let summary = run.summary(common.seed);
            if common.json {
                print_json(&summary)
            } else {
                let desc = PRESETS
                    .iter()
                    .find(|(id, _)| *id == summary.preset)
                    .map_or("", |(_, d)| *d);
                println!("preset {} (seed {}): {desc}", summary.preset, summary.seed);
                match summary.failover_ms {
                    Some(ms) => println!(
                        "failover: {ms} ms from the kill to the promoted replica owning the slots"
                    ),
                    None => println!("failover: none"),
                }
                println!(
                    "acknowledged writes: {}, lost: {}",
                    summary.acked_writes, summary.acked_writes_lost
                );
                println!(
                    "operations: {} ({} ok), redirects: {} MOVED, {} ASK",
                    summary.ops, summary.ok, summary.moved, summary.ask
                );
                println!("errors: {:?}", summary.errors);
                println!("unavailable: {} ms", summary.unavailable_ms);
                Ok(())
            }
        }
    }
}

/// The benchmark: the steady preset at 2,000 reads and 500 writes per second for 60 virtual
/// seconds, then the failover preset at the same load; operations and commands per wall second.
fn bench(common: &Common) -> CliResult {
    for id in ["steady", "failover"] {
        let mut s = preset(id)?;
        s.workload.read_rate = 2_000.0;
        s.workload.write_rate = 500.0;
        s.duration_ms = 60_000;
        if id == "failover" {
            s.steps.retain(|st| st.at_ms < s.duration_ms);
        }
        let start = std::time::Instant::now();
        let mut run = ClusterRun::new(s, common.seed)?;
        run.run_to_end();
        let wall = start.elapsed().as_secs_f64();
        let sum = run.summary(common.seed);
        let sent: u64 = run.model().clients.iter().map(|c| c.stats.sent).sum();
        println!(
            "{id}: {} operations ({} commands sent, {} MOVED, {} ASK) in {:.2} s wall: {:.0} operations/s, {:.0} commands/s, {:.0} events/s",
            sum.ops,
            sent,
            sum.moved,
            sum.ask,
            wall,
            sum.ops as f64 / wall,
            sent as f64 / wall,
            sum.events as f64 / wall
        );
    }
    Ok(())
}
