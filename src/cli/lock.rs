//! `sim lock`: run a distributed-lock preset natively and print its safety summary as JSON.
//!
//! `--trace` adds the global event log and the kernel trace; `--bench` reports the wall-clock time
//! of the run (the only place this model meets a wall clock). The summary always carries the run's
//! trace `digest`; `--until-ms`/`--seek-ms` stop it elsewhere than its end (straight, or through
//! rewind's snapshots), `--replay-out FILE` writes its replay file, and `--rewind-memory` reports
//! the heap that rewind's snapshots hold.

use super::{CliResult, Common, RewindFlags};
use crate::lock::machine::{ReleaseVariant, RenewVariant};
use crate::lock::PRESET_IDS;
use crate::lock::{parse_duration, preset, LockReplay, LockRewind, LockRuntime, Scenario, Summary};
use crate::sim::rewind::Seek;
use crate::sim::{SimDuration, Simulation, TEST_EPOCH};
use serde::Serialize;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Preset id (see `sim lock --help` for the list).
    #[arg(long, default_value = "handover", value_parser = clap::builder::PossibleValuesParser::new(PRESET_IDS))]
    pub preset: String,
    /// A whole scenario as JSON (what the page keeps in its URL); replaces --preset. The other flags
    /// still apply on top of it; its own seed is kept unless --seed is given a value other than 1.
    #[arg(long)]
    pub scenario: Option<String>,
    /// Take a fencing token with the grant (SET NX + INCR in one script); the protected resource
    /// rejects lower tokens. Not with Redlock (no single counter).
    #[arg(long)]
    pub fencing: bool,
    /// Renew with an atomic compare-and-extend script instead of GET-then-EXPIRE.
    #[arg(long)]
    pub atomic_renew: bool,
    /// How a worker releases: `reference` (GET, then DEL only if mine: maybeReleaseLock),
    /// `naive-del` (a plain DEL, whoever holds it) or `atomic` (the compare-and-delete script).
    /// The preset's own when omitted.
    #[arg(long, value_parser = ["reference", "naive-del", "atomic"])]
    pub release: Option<String>,
    /// Same as `--release atomic` (kept for older scripts).
    #[arg(long, conflicts_with = "release")]
    pub atomic_release: bool,
    /// A per-command client timeout, like 2s. Without it the client is ioredis with its defaults:
    /// no timeout, commands wait (and queue while disconnected) as long as it takes.
    #[arg(long)]
    pub command_timeout: Option<String>,
    /// Number of workers (1 to 16); the preset's own count when omitted.
    #[arg(long)]
    pub workers: Option<usize>,
    /// Virtual run length, like 120s, 500ms or 2m; the preset's own length when omitted.
    #[arg(long)]
    pub duration: Option<String>,
    /// Also print the event log and the kernel trace.
    #[arg(long)]
    pub trace: bool,
    /// Also print the wall-clock time and event rate of the run.
    #[arg(long)]
    pub bench: bool,
    /// With --bench: run in 60 Hz frames at this speed-up (virtual time per frame = 16.7 ms × speed)
    /// and report the wall time per frame, as the page would see it.
    #[arg(long)]
    pub speed: Option<f64>,
    /// Report the model's live heap bytes ten times along the run (the bounded histories reach a
    /// steady state once the run is longer than their one-hour window).
    #[arg(long)]
    pub memory: bool,
    /// Run with rewind on, kept as the locks page keeps it (its snapshot byte cap included), and
    /// report the heap bytes its snapshots hold at the end, as measured and as the model weighs
    /// them, with their count and spacing.
    #[arg(long)]
    pub rewind_memory: bool,
    #[command(flatten)]
    pub rewind: RewindFlags,
}

/// The heap held by rewind's snapshots.
#[derive(Serialize)]
struct RewindMemory {
    snapshots: usize,
    scratch_snapshots: usize,
    every_events: u64,
    snapshot_heap_bytes: Option<usize>,
    snapshot_heap_mb: Option<f64>,
    /// What the snapshots hold as the model weighs them (against the page's cap).
    snapshot_weighed_bytes: usize,
    model_heap_bytes: Option<usize>,
}

/// Live heap bytes at one point of the run.
#[derive(Serialize)]
struct MemorySample {
    virtual_s: u64,
    heap_bytes: Option<usize>,
    history_entries: usize,
}

/// Wall time per frame when a run is played at a speed-up in 60 Hz frames.
#[derive(Serialize)]
struct FrameStats {
    speed: f64,
    frames: usize,
    virtual_ms_per_frame: u64,
    frame_ms_p50: f64,
    frame_ms_p99: f64,
    frame_ms_max: f64,
}

#[derive(Serialize)]
struct Output<'a> {
    preset: Option<&'a str>,
    seed: u64,
    workers: usize,
    redis_instances: usize,
    duration_ms: u64,
    fencing: bool,
    atomic_renew: bool,
    release: &'static str,
    command_timeout_ms: Option<u64>,
    /// The verdict in words.
    verdict_text: &'static str,
    #[serde(flatten)]
    summary: Summary,
    events: u64,
    /// Where the run stopped (ms since the start).
    at_ms: u64,
    /// SHA-256 of the run's whole trace text: equal digests, equal runs.
    digest: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    ttl_warning: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    wall_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    events_per_sec: Option<f64>,
    /// Wall time to simulate one virtual second: at 100× the page needs 1.67 virtual s per 16.7 ms frame.
    #[serde(skip_serializing_if = "Option::is_none")]
    wall_ms_per_virtual_second: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    frames: Option<FrameStats>,
    #[serde(skip_serializing_if = "Option::is_none")]
    memory: Option<Vec<MemorySample>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rewind_memory: Option<RewindMemory>,
    #[serde(skip_serializing_if = "Option::is_none")]
    log: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trace: Option<Vec<String>>,
}

pub fn run(c: &Common, a: Args) -> CliResult {
    let mut scenario = match &a.scenario {
        Some(json) => Scenario::from_json(json)?,
        None => preset(&a.preset)?,
    };
    if a.scenario.is_none() || c.seed != 1 {
        scenario.seed = c.seed;
    }
    if let Some(w) = a.workers {
        scenario.workers = w;
    }
    if let Some(d) = &a.duration {
        scenario.duration_ms = parse_duration(d)?.0;
    }
    if a.fencing {
        scenario.variants.fencing = true;
    }
    if a.atomic_renew {
        scenario.variants.renew = RenewVariant::CompareAndExtend;
    }
    if a.atomic_release {
        scenario.variants.release = ReleaseVariant::CompareAndDelete;
    }
    if let Some(r) = &a.release {
        scenario.variants.release = ReleaseVariant::from_id(r)
            .ok_or_else(|| format!("release {r:?} is not known; expected reference, naive-del or atomic"))?;
    }
    if let Some(t) = &a.command_timeout {
        scenario.command_timeout_ms = Some(parse_duration(t)?.0);
    }
    scenario.validate()?;
    let wall = std::time::Instant::now();
    let mut memory = None;
    let mut rewind_memory = None;
    let end_ms = a.rewind.until_ms.unwrap_or(scenario.duration_ms);
    let (sim, frames) = match (a.bench, a.speed) {
        _ if a.rewind.seek_ms.is_some() || a.rewind_memory => {
            let before = super::alloc_counter::allocated_bytes();
            // Kept as the page keeps it (its snapshot byte cap included).
            let config = crate::lock::replay::page_rewind_config();
            let mut rw = LockRewind::with_config(crate::lock::build(&scenario, TEST_EPOCH)?, config);
            rw.seek(Seek::Time(end_ms.max(a.rewind.seek_ms.unwrap_or(0))));
            if let Some(t) = a.rewind.seek_ms {
                rw.seek(Seek::Time(t));
            }
            let with = super::alloc_counter::allocated_bytes();
            let sim: Simulation<LockRuntime> = rw.sim().clone();
            let (snapshots, scratch, every) = rw.snapshot_counts();
            let weighed = rw.snapshot_bytes();
            drop(rw);
            let model = super::alloc_counter::allocated_bytes().zip(before).map(|(m, b)| m.saturating_sub(b));
            let held = with.zip(super::alloc_counter::allocated_bytes()).map(|(w, m)| w.saturating_sub(m));
            rewind_memory = a.rewind_memory.then_some(RewindMemory {
                snapshots,
                scratch_snapshots: scratch,
                every_events: every,
                snapshot_heap_bytes: held,
                snapshot_heap_mb: held.map(|b| (b as f64 / 1_048_576.0 * 10.0).round() / 10.0),
                snapshot_weighed_bytes: weighed,
                model_heap_bytes: model,
            });
            (sim, None)
        }
        _ if a.rewind.until_ms.is_some() && !a.bench && !a.memory => {
            let mut sim = crate::lock::build(&scenario, TEST_EPOCH)?;
            sim.trace_mut().set_enabled(a.trace);
            sim.trace_mut().set_running_digest(true);
            sim.run_until(TEST_EPOCH + SimDuration(end_ms));
            (sim, None)
        }
        _ if a.memory => {
            let mut sim = crate::lock::build(&scenario, TEST_EPOCH)?;
            sim.trace_mut().set_running_digest(true);
            let mut samples = Vec::new();
            for i in 1..=10u64 {
                sim.run_until(TEST_EPOCH + SimDuration(scenario.duration_ms / 10 * i));
                samples.push(MemorySample {
                    virtual_s: sim.now().saturating_since(TEST_EPOCH).0 / 1000,
                    heap_bytes: super::alloc_counter::allocated_bytes(),
                    history_entries: sim.model.recorder().entries(),
                });
            }
            memory = Some(samples);
            (sim, None)
        }
        (true, Some(speed)) => {
            if !speed.is_finite() || speed <= 0.0 {
                return Err(format!("speed {speed} is not a positive number; expected e.g. 1, 10 or 100").into());
            }
            let mut sim = crate::lock::build(&scenario, TEST_EPOCH)?;
            sim.trace_mut().set_enabled(a.trace);
            sim.trace_mut().set_running_digest(true);
            let step = SimDuration::from_millis_f64(1000.0 / 60.0 * speed).max(SimDuration(1));
            let end = TEST_EPOCH + SimDuration(scenario.duration_ms);
            let mut times = Vec::new();
            while sim.now() < end {
                let frame = std::time::Instant::now();
                sim.run_until((sim.now() + step).min(end));
                times.push(frame.elapsed().as_secs_f64() * 1000.0);
            }
            times.sort_by(f64::total_cmp);
            let pct = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
            let stats = FrameStats {
                speed,
                frames: times.len(),
                virtual_ms_per_frame: step.0,
                frame_ms_p50: pct(0.5),
                frame_ms_p99: pct(0.99),
                frame_ms_max: pct(1.0),
            };
            (sim, Some(stats))
        }
        _ => (crate::lock::run(&scenario, TEST_EPOCH, a.trace)?, None),
    };
    let wall_s = wall.elapsed().as_secs_f64();
    let rt = &sim.model;
    let out = Output {
        preset: scenario.preset.as_deref(),
        seed: scenario.seed,
        workers: scenario.workers,
        redis_instances: scenario.redis_instances,
        duration_ms: scenario.duration_ms,
        fencing: scenario.variants.fencing,
        atomic_renew: scenario.variants.renew == RenewVariant::CompareAndExtend,
        release: scenario.variants.release.id(),
        command_timeout_ms: scenario.command_timeout_ms,
        verdict_text: rt.summary(sim.now()).verdict.sentence(),
        summary: rt.summary(sim.now()),
        events: sim.processed(),
        at_ms: sim.elapsed().0,
        digest: sim.trace().running_digest().unwrap_or_default(),
        ttl_warning: scenario.ttl_warning(),
        wall_ms: a.bench.then_some(wall_s * 1000.0),
        events_per_sec: a.bench.then(|| sim.processed() as f64 / wall_s.max(1e-9)),
        wall_ms_per_virtual_second: a.bench.then(|| wall_s * 1000.0 / (scenario.duration_ms as f64 / 1000.0).max(1e-9)),
        log: a.trace.then(|| {
            rt.log().iter().map(|l| format!("{:>8}.{:03} {}", l.at_ms / 1000, l.at_ms % 1000, l.text)).collect()
        }),
        trace: a.trace.then(|| sim.trace().entries().iter().map(|e| e.to_string()).collect()),
        frames,
        memory,
        rewind_memory,
    };
    if let Some(path) = &a.rewind.replay_out {
        let mut replay = LockReplay::new("lock", scenario.seed, TEST_EPOCH, scenario.clone(), Vec::new());
        replay.cursor = Some(crate::sim::Cursor { events: sim.processed(), at_ms: sim.elapsed().0 });
        std::fs::write(path, replay.to_json() + "\n")
            .map_err(|e| format!("cannot write the replay file {}: {e}", path.display()))?;
    }
    super::output::print_json(&out)
}
