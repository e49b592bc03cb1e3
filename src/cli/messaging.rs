//! `sim messaging …`: run a messaging preset (every pattern it compares) or TCP vs UDP, and the
//! 10 × 10 benchmark. Wall-clock time is read here only, for the benchmark's figure.

use super::output::print_json;
use super::{CliResult, Common, RewindFlags};
use crate::messaging::replay::{rewind, MessagingReplay};
use crate::messaging::runtime::MessagingModel;
use crate::messaging::scenario::{Consumers, Producers};
use crate::messaging::transport::LinkParams;
use crate::messaging::{preset, run_transport, MessagingRun, PatternId, RunResult, Scenario, PRESETS};
use crate::sim::bench::{run_storm, timer_storm_sim};
use crate::sim::replay::ReplayModel;
use crate::sim::rewind::{Cursor, Seek};
use crate::sim::{Distribution, SimDuration, TEST_EPOCH};
use serde_json::json;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The preset: peak-cut, consumer-crash, offline-subscriber, visibility-timeout, retry-storm,
    /// broker-restart or tcp-vs-udp.
    #[arg(long)]
    pub preset: Option<String>,
    /// tcp-vs-udp: probability that a packet is lost (0 to 0.9).
    #[arg(long)]
    pub loss: Option<f64>,
    /// tcp-vs-udp: probability that a packet arrives twice.
    #[arg(long)]
    pub duplication: Option<f64>,
    /// tcp-vs-udp: extra random delay per packet, ms (reordering).
    #[arg(long)]
    pub jitter_ms: Option<u64>,
    /// tcp-vs-udp: application messages to send.
    #[arg(long)]
    pub messages: Option<u32>,
    /// Measure how fast 10 producers × 10 consumers simulate relative to virtual time.
    #[arg(long)]
    pub bench: bool,
    /// List the presets and what each runs.
    #[arg(long)]
    pub list: bool,
    /// Run only the preset's N-th run (1-based, in `--list` order); needed with --replay-out when
    /// the preset runs more than one.
    #[arg(long, value_name = "N")]
    pub variant: Option<usize>,
    /// Stop at a time (straight or through snapshots; capped at the run's end) and write a replay.
    #[command(flatten)]
    pub rewind: RewindFlags,
    /// Write the run's history for the linearizability checker (`sim check history FILE`) to FILE:
    /// pushes as SETs, side effects as DELs, final reads of what is still owed (one run: give
    /// `--variant` when the preset runs several).
    #[arg(long, value_name = "FILE")]
    pub history_out: Option<std::path::PathBuf>,
}

/// One run's figures with where it stopped and its trace digest.
struct Ran {
    result: RunResult,
    at: Cursor,
    /// The running trace digest (what `sim replay` prints for the same moment).
    digest: String,
}

/// Runs `sc` to its end, straight to `--until-ms`, or to its end and back to `--seek-ms` through
/// rewind's snapshots (the same digest as `--until-ms`). Times are capped at the run's end.
fn run_scenario(sc: &Scenario, seed: u64, label: &str, f: &RewindFlags) -> Result<Ran, Box<dyn std::error::Error>> {
    let end = MessagingModel::default_end_ms(sc);
    if let Some(t) = f.seek_ms {
        let mut rw = rewind(sc, seed, TEST_EPOCH, None)?;
        rw.seek(Seek::Time(end));
        rw.seek(Seek::Time(t.min(end)));
        return Ok(Ran { result: rw.model().result(label), at: rw.cursor(), digest: rw.digest() });
    }
    let mut run = MessagingRun::new(sc.clone(), seed, label)?;
    run.sim_mut().trace_mut().set_running_digest(true);
    let until = f.until_ms.unwrap_or(end).min(end);
    run.advance(TEST_EPOCH.saturating_add(SimDuration::from_millis(until)), u64::MAX);
    let at = Cursor { events: run.events(), at_ms: run.model().ms_at(run.now()) };
    let digest = run.sim().trace().running_digest().unwrap_or_default();
    Ok(Ran { result: run.result(), at, digest })
}

#[derive(Debug, thiserror::Error)]
pub enum MessagingCliError {
    #[error("give --preset ID (one of {0}, tcp-vs-udp), --list or --bench")]
    NoPreset(String),
    #[error("--{0} only applies to --preset tcp-vs-udp")]
    LinkFlag(&'static str),
    #[error("--variant {given}: {preset} runs {count} variant(s) ({labels}); expected 1 to {count}")]
    Variant { given: usize, preset: String, count: usize, labels: String },
    #[error("--replay-out writes one run, and preset {preset} runs {count}: add --variant 1 to {count} (see --list)")]
    ReplayNeedsVariant { preset: String, count: usize },
    #[error("--history-out writes one run's history, and {preset} runs {count} variants ({labels}); pick one with --variant 1 to {count}")]
    HistoryNeedsVariant { preset: String, count: usize, labels: String },
    #[error("--until-ms, --seek-ms and --replay-out apply to the pattern presets, not tcp-vs-udp")]
    RewindFlag,
}

pub fn run(common: &Common, args: Args) -> CliResult {
    if args.bench {
        return bench(common);
    }
    if args.list {
        for id in PRESETS {
            let labels: Vec<String> = preset(id)?.into_iter().map(|v| v.label).collect();
            println!("{id}: {}", labels.join(" | "));
        }
        println!("tcp-vs-udp: tcp | udp over one lossy link (--loss, --duplication, --jitter-ms, --messages)");
        return Ok(());
    }
    let Some(id) = args.preset.as_deref() else {
        return Err(MessagingCliError::NoPreset(PRESETS.join(", ")).into());
    };
    if id == "tcp-vs-udp" {
        let f = &args.rewind;
        if f.until_ms.is_some() || f.seek_ms.is_some() || f.replay_out.is_some() || args.variant.is_some() {
            return Err(MessagingCliError::RewindFlag.into());
        }
        let d = LinkParams::default();
        let p = LinkParams {
            loss: args.loss.unwrap_or(d.loss),
            duplication: args.duplication.unwrap_or(d.duplication),
            jitter_ms: args.jitter_ms.unwrap_or(d.jitter_ms),
            messages: args.messages.unwrap_or(d.messages),
            ..d
        };
        let r = run_transport(&p, common.seed)?;
        if common.json {
            return print_json(&json!({
                "tcp": {"sent": r.tcp.sent, "delivered": r.tcp.delivered, "in_order": r.tcp.in_order,
                        "retransmits": r.tcp.retransmits},
                "udp": {"sent": r.udp.sent, "delivered": r.udp.delivered, "lost": r.udp.lost,
                        "duplicated": r.udp.duplicated, "reordered": r.udp.reordered},
            }));
        }
        println!(
            "link: loss {} duplication {} latency {} ms + jitter 0..{} ms, {} messages",
            p.loss, p.duplication, p.latency_ms, p.jitter_ms, p.messages
        );
        let u = &r.udp;
        println!(
            "udp: sent {} delivered {} lost {} duplicated {} reordered {} p50 {} ms p99 {} ms",
            u.sent, u.delivered, u.lost, u.duplicated, u.reordered, u.p50_ms, u.p99_ms
        );
        let t = &r.tcp;
        println!(
            "tcp: sent {} delivered {} in_order {} retransmits {} (timeouts {}, fast {}) handshake {} ms \
             p50 {} ms p99 {} ms max {} ms done at {} ms",
            t.sent,
            t.delivered,
            t.in_order,
            t.retransmits,
            t.timeouts,
            t.fast_retransmits,
            t.handshake_ms,
            t.p50_ms,
            t.p99_ms,
            t.max_ms,
            t.done_ms
        );
        return Ok(());
    }
    for (flag, given) in [
        ("loss", args.loss.is_some()),
        ("duplication", args.duplication.is_some()),
        ("jitter-ms", args.jitter_ms.is_some()),
        ("messages", args.messages.is_some()),
    ] {
        if given {
            return Err(MessagingCliError::LinkFlag(flag).into());
        }
    }
    let mut variants = preset(id)?;
    let count = variants.len();
    let labels = variants.iter().map(|v| v.label.as_str()).collect::<Vec<_>>().join(" | ");
    if let Some(n) = args.variant {
        if !(1..=count).contains(&n) {
            return Err(MessagingCliError::Variant { given: n, preset: id.to_string(), count, labels }.into());
        }
        variants = vec![variants.swap_remove(n - 1)];
    }
    if args.rewind.replay_out.is_some() && variants.len() > 1 {
        return Err(MessagingCliError::ReplayNeedsVariant { preset: id.to_string(), count }.into());
    }
    if args.history_out.is_some() && variants.len() > 1 {
        return Err(MessagingCliError::HistoryNeedsVariant { preset: id.to_string(), count, labels }.into());
    }
    let runs = variants
        .iter()
        .map(|v| run_scenario(&v.scenario, common.seed, &v.label, &args.rewind))
        .collect::<Result<Vec<_>, _>>()?;
    if let (Some(path), [v], [ran]) = (&args.rewind.replay_out, variants.as_slice(), runs.as_slice()) {
        let mut replay =
            MessagingReplay::new(MessagingModel::ID, common.seed, TEST_EPOCH, v.scenario.clone(), Vec::new());
        replay.cursor = Some(ran.at);
        std::fs::write(path, replay.to_json() + "\n")
            .map_err(|e| format!("cannot write the replay file {}: {e}", path.display()))?;
    }
    if let (Some(path), [v]) = (&args.history_out, variants.as_slice()) {
        write_history(common, v, path)?;
    }
    if common.json {
        let patterns: Vec<_> = runs.iter().map(pattern_json).collect();
        return print_json(&json!({ "patterns": patterns }));
    }
    for r in &runs {
        print_text(&r.result);
        println!("  {} events to {} ms, digest {}", r.at.events, r.at.at_ms, r.digest);
    }
    Ok(())
}

/// Runs `v` to its end and writes its history for the linearizability checker to `path`.
fn write_history(
    common: &Common,
    v: &crate::messaging::scenario::Variant,
    path: &std::path::Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut run = MessagingRun::new(v.scenario.clone(), common.seed, &v.label)?;
    let end = run.end();
    run.advance(end, u64::MAX);
    let h = crate::messaging::linear::history(&run)?;
    std::fs::write(path, h.to_json()).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    if !common.json {
        println!("history of {}: {} operations written to {}", v.label, h.ops.len(), path.display());
    }
    Ok(())
}

/// The per-pattern JSON object (plus `variant`, which tells apart two runs of one
/// pattern, and where the run stopped with its trace digest).
fn pattern_json(ran: &Ran) -> serde_json::Value {
    let r = &ran.result;
    let c = &r.report;
    json!({
        "pattern": r.pattern.id(), "variant": r.label,
        "produced": c.produced, "delivered": c.delivered, "processed": c.processed, "lost": c.lost,
        "duplicated": c.duplicated, "out_of_order": c.out_of_order, "p50_ms": c.p50_ms, "p99_ms": c.p99_ms,
        "events": ran.at.events, "at_ms": ran.at.at_ms, "digest": ran.digest,
    })
}

fn print_text(r: &RunResult) {
    let c = &r.report;
    let s = &r.stats;
    println!("{}:", r.label);
    println!(
        "  produced {} delivered {} processed {} lost {} duplicated {} out_of_order {} redelivered {} suppressed {}",
        c.produced, c.delivered, c.processed, c.lost, c.duplicated, c.out_of_order, c.redelivered, c.suppressed
    );
    println!("  latency p50 {} ms p99 {} ms max {} ms; peak depth {}", c.p50_ms, c.p99_ms, c.max_ms, c.peak_depth);
    println!(
        "  executions {} retries {} rejected {} timed out {} failed {} dead-lettered {} restored {} resent {} \
         broker commands {} restarts {}",
        s.executions,
        s.retries,
        s.rejected,
        s.timed_out,
        s.failed,
        s.dead_lettered,
        s.restored,
        s.resent,
        s.broker_commands,
        s.broker_restarts
    );
    for k in &r.crashes {
        println!("  crash of consumer {} at {} ms held {} message(s)", k.worker, k.at_ms, k.in_flight.len());
    }
}

/// 10 producers × 10 consumers on a reliable queue for 65 s of virtual time, best of three,
/// against the kernel's timer storm with as many events measured in the same rounds.
fn bench(common: &Common) -> CliResult {
    let scenario = Scenario {
        pattern: PatternId::ReliableQueue,
        produce_for_ms: 60_000,
        drain_ms: 5_000,
        producers: Producers { count: 10, rate_per_s: 20.0, bursts: Vec::new() },
        consumers: Consumers {
            count: 10,
            concurrency: 1,
            service: Distribution::Exponential { mean_ms: 30.0 },
            ..Consumers::default()
        },
        ..Scenario::default()
    };
    let virtual_ms = scenario.produce_for_ms + scenario.drain_ms;
    let (mut best_run, mut best_storm) = (f64::INFINITY, f64::INFINITY);
    let mut last = None;
    for _ in 0..3 {
        let mut run = MessagingRun::new(scenario.clone(), common.seed, "bench")?;
        let t0 = std::time::Instant::now();
        let end = run.end();
        run.advance(end, u64::MAX);
        best_run = best_run.min(t0.elapsed().as_secs_f64());
        let events = run.events();
        let mut storm = timer_storm_sim(common.seed, 1_000, 1_000);
        let t0 = std::time::Instant::now();
        run_storm(&mut storm, events);
        best_storm = best_storm.min(t0.elapsed().as_secs_f64());
        last = Some(run);
    }
    let Some(run) = last else { return Ok(()) };
    let r = run.result();
    let events = run.events() as f64;
    let speed = virtual_ms as f64 / 1000.0 / best_run;
    // The page's playback budget is 8 ms of work per 60 Hz frame; at 100× a frame simulates 1.67 s.
    let per_frame_ms = 1_000.0 * (100.0 / 60.0) / speed;
    println!(
        "10 producers x 10 consumers, reliable-queue, {:.0} s virtual: best of 3 {:.3} s wall = {:.0}x real time; \
         {} events ({:.0}/s; the kernel's timer storm does {:.0}/s here, ratio {:.2}), {} Redis commands, \
         {} messages processed; at 100x one 60 Hz frame needs {:.2} ms of the 8 ms budget (native)",
        virtual_ms as f64 / 1000.0,
        best_run,
        speed,
        run.events(),
        events / best_run,
        events / best_storm,
        best_storm / best_run,
        r.stats.broker_commands,
        r.report.processed,
        per_frame_ms
    );
    Ok(())
}
