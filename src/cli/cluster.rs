//! `sim cluster …`: key slots, a preset run's figures, and the client benchmark. The wall clock is
//! read here only, for the benchmark.

use super::output::print_json;
use super::{CliResult, Common, RewindFlags};
use crate::cluster::config::NODE_TIMEOUT_RANGE;
use crate::cluster::failover_times::{failover_distribution, Spread};
use crate::cluster::replay::{rewind, ClusterReplay};
use crate::cluster::runtime::{ClusterRun, ClusterSim, RunSummary};
use crate::cluster::scenario::{preset, Scenario, LAG_RANGE, PRESETS};
use crate::cluster::slot::key_slot;
use crate::sim::replay::ReplayModel;
use crate::sim::rewind::{Cursor, Seek};
use crate::sim::TEST_EPOCH;

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
    /// Write the run's client history (every SET, then a final read of each key) as JSON for
    /// `sim check linear FILE`.
    #[arg(long, value_name = "FILE")]
    pub history_out: Option<std::path::PathBuf>,
    /// Stop at a time (straight or through snapshots; capped at the run's end) and write a replay.
    #[command(flatten)]
    pub rewind: RewindFlags,
}

/// What `sim cluster --json` prints: the run's figures, where it stopped and its trace digest.
#[derive(serde::Serialize)]
struct RunOutput {
    #[serde(flatten)]
    summary: RunSummary,
    at_ms: u64,
    /// The running trace digest (what `sim replay` prints for the same moment).
    digest: String,
}

/// Runs `s` to its end, straight to `--until-ms`, or to its end and back to `--seek-ms` through
/// rewind's snapshots (the same digest as `--until-ms`). Times are capped at the run's end.
fn run_scenario(s: &Scenario, seed: u64, f: &RewindFlags) -> Result<ClusterRun, Box<dyn std::error::Error>> {
    let end = ClusterSim::default_end_ms(s);
    if let Some(t) = f.seek_ms {
        let mut rw = rewind(s, seed, TEST_EPOCH)?;
        rw.seek(Seek::Time(end));
        rw.seek(Seek::Time(t.min(end)));
        return Ok(ClusterRun { sim: rw.sim().clone() });
    }
    let mut run = ClusterRun::new(s.clone(), seed)?;
    run.sim.trace_mut().set_running_digest(true);
    run.run_to_ms(f.until_ms.unwrap_or(end).min(end));
    Ok(run)
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
    /// Kill a master once per seed and print the distribution of the failover time and its phases.
    FailoverTimes {
        /// Seeds 0..N (1 to 10000).
        #[arg(long, default_value_t = 200)]
        seeds: u64,
        /// cluster-node-timeout (ms), 500 to 60000.
        #[arg(long, default_value_t = 5000)]
        timeout: u64,
    },
}

/// Errors in `sim cluster` flags.
#[derive(Debug, thiserror::Error)]
pub enum ClusterCliError {
    #[error("--timeout {0} is not accepted: enter {lo} to {hi} ms", lo = NODE_TIMEOUT_RANGE.0, hi = NODE_TIMEOUT_RANGE.1)]
    Timeout(u64),
    #[error("--lag {0} is not accepted: enter {lo} to {hi} ms", lo = LAG_RANGE.0, hi = LAG_RANGE.1)]
    Lag(u64),
    #[error("--seeds {0} is not accepted: enter 1 to {max}", max = MAX_SEEDS)]
    Seeds(u64),
}

/// The most seeds `sim cluster failover-times` runs.
pub const MAX_SEEDS: u64 = 10_000;

pub fn run(common: &Common, args: Args) -> CliResult {
    match args.command {
        Some(ClusterCommand::Keyslot { keys }) => {
            for k in keys {
                println!("{k} {}", key_slot(k.as_bytes()));
            }
            Ok(())
        }
        Some(ClusterCommand::Bench) => bench(common),
        Some(ClusterCommand::FailoverTimes { seeds, timeout }) => failover_times(common, seeds, timeout),
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
            let mut run = run_scenario(&s, common.seed, &args.rewind)?;
            let summary = run.summary(common.seed);
            let at = Cursor { events: run.sim.processed(), at_ms: run.elapsed_ms() };
            let digest = run.sim.trace().running_digest().unwrap_or_default();
            if let Some(path) = &args.rewind.replay_out {
                let mut replay = ClusterReplay::new(ClusterSim::ID, common.seed, TEST_EPOCH, s.clone(), Vec::new());
                replay.cursor = Some(at);
                std::fs::write(path, replay.to_json() + "\n")
                    .map_err(|e| format!("cannot write the replay file {}: {e}", path.display()))?;
            }
            if let Some(path) = &args.history_out {
                let h = crate::cluster::linear::write_history(&mut run);
                std::fs::write(path, h.to_json() + "\n")
                    .map_err(|e| format!("--history-out {}: {e}", path.display()))?;
                eprintln!("history: {} operations written to {}", h.ops.len(), path.display());
            }
            if common.json {
                print_json(&RunOutput { summary, at_ms: at.at_ms, digest })
            } else {
                let desc = PRESETS.iter().find(|(id, _)| *id == summary.preset).map_or("", |(_, d)| *d);
                println!("preset {} (seed {}): {desc}", summary.preset, summary.seed);
                match summary.failover_ms {
                    Some(ms) => println!("failover: {ms} ms from the kill to the promoted replica owning the slots"),
                    None => println!("failover: none"),
                }
                println!("acknowledged writes: {}, lost: {}", summary.acked_writes, summary.acked_writes_lost);
                println!(
                    "operations: {} ({} ok), redirects: {} MOVED, {} ASK",
                    summary.ops, summary.ok, summary.moved, summary.ask
                );
                println!("errors: {:?}", summary.errors);
                println!("unavailable: {} ms", summary.unavailable_ms);
                println!("{} events to {} ms, digest {digest}", at.events, at.at_ms);
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

/// `sim cluster failover-times`: seeds `--seed`.. `--seed + N`, one kill each.
fn failover_times(common: &Common, seeds: u64, timeout: u64) -> CliResult {
    if !(1..=MAX_SEEDS).contains(&seeds) {
        return Err(ClusterCliError::Seeds(seeds).into());
    }
    if !(NODE_TIMEOUT_RANGE.0..=NODE_TIMEOUT_RANGE.1).contains(&timeout) {
        return Err(ClusterCliError::Timeout(timeout).into());
    }
    let start = common.seed;
    let d = failover_distribution(timeout, start..start.saturating_add(seeds))?;
    if common.json {
        return print_json(&d);
    }
    println!(
        "failover after killing 127.0.0.1:7000, cluster-node-timeout {timeout} ms, seeds {start}..{}: {} promoted, {} without a failover",
        start.saturating_add(seeds),
        d.samples.len(),
        d.without_failover.len()
    );
    let line = |name: &str, s: &Option<Spread>| match s {
        Some(s) => println!(
            "  {name:<22} min {:>6}  p10 {:>6}  median {:>6}  p90 {:>6}  max {:>6} ms",
            s.min, s.p10, s.median, s.p90, s.max
        ),
        None => println!("  {name:<22} none"),
    };
    line("kill → first PFAIL", &d.pfail);
    line("kill → FAIL (quorum)", &d.fail);
    line("kill → election start", &d.election);
    line("kill → promoted", &d.failover);
    let (lo, hi) = (timeout + timeout * 3 / 10, timeout + timeout * 7 / 10);
    println!(
        "  {:.1}% of the failovers took {lo}–{hi} ms (the 6.5–8.5 s measured on a real cluster at 5000 ms, scaled)",
        100.0 * d.share_within(lo, hi)
    );
    let hist = d.histogram(250);
    let most = hist.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    for (at, n) in hist {
        println!("  {:>6} ms {:>5} {}", at, n, "#".repeat((n * 50).div_ceil(most)));
    }
    Ok(())
}
