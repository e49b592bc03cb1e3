//! `sim lock`: run a distributed-lock preset natively and print its safety summary as JSON.
//!
//! `--trace` adds the global event log and the kernel trace; `--bench` reports the wall-clock time
//! of the run (the only place this model meets a wall clock).

use super::{CliResult, Common};
use crate::lock::machine::{ReleaseVariant, RenewVariant};
use crate::lock::{parse_duration, preset, Scenario, Summary};
use crate::sim::{SimDuration, TEST_EPOCH};
use serde::Serialize;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Preset id: handover, crash, gc-pause, renew-race, redis-restart, redlock-master-down, clock-drift.
    #[arg(long, default_value = "handover")]
    pub preset: String,
    /// A whole scenario as JSON (what the page keeps in its URL); replaces --preset. The other flags
    /// still apply on top of it; its own seed is kept unless --seed is given a value other than 1.
    #[arg(long)]
    pub scenario: Option<String>,
    /// Take a fencing token on acquire; the protected resource rejects lower tokens.
    #[arg(long)]
    pub fencing: bool,
    /// Renew with an atomic compare-and-extend script instead of GET-then-EXPIRE.
    #[arg(long)]
    pub atomic_renew: bool,
    /// Release with the compare-and-delete script instead of a plain DEL.
    #[arg(long)]
    pub atomic_release: bool,
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
    atomic_release: bool,
    #[serde(flatten)]
    summary: Summary,
    events: u64,
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
    scenario.validate()?;
    let wall = std::time::Instant::now();
    let (sim, frames) = match (a.bench, a.speed) {
        (true, Some(speed)) => {
            if !speed.is_finite() || speed <= 0.0 {
                return Err(format!("speed {speed} is not a positive number; expected e.g. 1, 10 or 100").into());
            }
            let mut sim = crate::lock::build(&scenario, TEST_EPOCH)?;
            sim.trace_mut().set_enabled(a.trace);
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
        fencing: a.fencing,
        atomic_renew: a.atomic_renew,
        atomic_release: a.atomic_release,
        summary: rt.summary(sim.now()),
        events: sim.processed(),
        ttl_warning: scenario.ttl_warning(),
        wall_ms: a.bench.then_some(wall_s * 1000.0),
        events_per_sec: a.bench.then(|| sim.processed() as f64 / wall_s.max(1e-9)),
        wall_ms_per_virtual_second: a.bench.then(|| wall_s * 1000.0 / (scenario.duration_ms as f64 / 1000.0).max(1e-9)),
        log: a.trace.then(|| {
            rt.log().iter().map(|l| format!("{:>8}.{:03} {}", l.at_ms / 1000, l.at_ms % 1000, l.text)).collect()
        }),
        trace: a.trace.then(|| sim.trace().entries().iter().map(|e| e.to_string()).collect()),
        frames,
    };
    super::output::print_json(&out)
}
