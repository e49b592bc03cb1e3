//! `sim kernel-bench`: times the core's timer-storm workload with the wall clock (allowed here, at
//! the native edge) and prints events per second.
use super::{CliResult, Common};
use crate::sim::bench::{run_storm, timer_storm_sim};
use crate::sim::playback::{format_speed, Playback};
use serde::Serialize;
use std::time::Instant;
use thiserror::Error;

/// Flag values `sim kernel-bench` cannot run with.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum BenchError {
    #[error("--timers {0} is too few; expected at least 1 timer")]
    NoTimers(u32),
    #[error("--max-delay-ms {0} is too short; expected at least 1 ms")]
    NoDelay(u64),
}

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Events to process (after a short warm-up of one event per timer).
    #[arg(long, default_value_t = 10_000_000)]
    pub events: u64,
    /// Self-rescheduling timers.
    #[arg(long, default_value_t = 1_000)]
    pub timers: u32,
    /// Each timer reschedules itself after a uniform 1..=max-delay-ms milliseconds.
    #[arg(long, default_value_t = 1_000)]
    pub max_delay_ms: u64,
    /// Also play a light storm (1,000 timers: 1 event per virtual ms) and a dense one (this many
    /// timers) through the playback driver at 1000× with an 8 ms budget per 16.7 ms frame, as the
    /// browser would, and print how it kept up (0 skips it).
    #[arg(long, default_value_t = 100_000)]
    pub playback_timers: u32,
}

/// What the frame-budget demonstration measured.
#[derive(Serialize)]
struct PlaybackReport {
    timers: u32,
    asked_speed: f64,
    frames: u32,
    budget_ms: f64,
    frames_behind: u32,
    events_per_frame: f64,
    effective_speed: f64,
    max_frame_work_ms: f64,
    final_debt_ms: f64,
}

/// 120 simulated frames (2 s of animation) at 1000× on a dense storm: each frame owes 16,700
/// virtual ms, far more than 8 ms of work can run, so the driver must stop on the budget and
/// report running slower than asked.
fn playback_demo(seed: u64, timers: u32) -> PlaybackReport {
    const FRAME_MS: f64 = 1000.0 / 60.0;
    const BUDGET_MS: f64 = 8.0;
    const FRAMES: u32 = 120;
    let mut sim = timer_storm_sim(seed, timers, 1000);
    let mut p = Playback::new(1000.0);
    p.play();
    let (mut behind, mut events, mut max_work, mut last) = (0u32, 0u64, 0f64, None);
    for _ in 0..FRAMES {
        let start = Instant::now();
        let r = p.advance(&mut sim, FRAME_MS, || start.elapsed().as_secs_f64() * 1000.0 >= BUDGET_MS);
        max_work = max_work.max(start.elapsed().as_secs_f64() * 1000.0);
        behind += u32::from(r.behind);
        events += r.events;
        last = Some(r);
    }
    let last = last.unwrap_or_default();
    PlaybackReport {
        timers,
        asked_speed: p.speed(),
        frames: FRAMES,
        budget_ms: BUDGET_MS,
        frames_behind: behind,
        events_per_frame: events as f64 / f64::from(FRAMES),
        effective_speed: last.effective_speed,
        max_frame_work_ms: max_work,
        final_debt_ms: last.debt_ms,
    }
}

#[derive(Serialize)]
struct Report {
    seed: u64,
    timers: u32,
    events: u64,
    virtual_ms: u64,
    wall_ms: f64,
    events_per_sec: f64,
    /// On-CPU time of this thread (Linux only): on a shared machine the wall rate undercounts.
    cpu_ms: Option<f64>,
    events_per_cpu_sec: Option<f64>,
    checksum: u64,
    playback: Vec<PlaybackReport>,
}

/// This thread's on-CPU time in ns, from /proc/thread-self/schedstat (None where unavailable).
fn cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

pub fn bench(c: &Common, a: BenchArgs) -> CliResult {
    if a.timers == 0 {
        return Err(BenchError::NoTimers(a.timers).into());
    }
    if a.max_delay_ms == 0 {
        return Err(BenchError::NoDelay(a.max_delay_ms).into());
    }
    let mut sim = timer_storm_sim(c.seed, a.timers, a.max_delay_ms);
    run_storm(&mut sim, u64::from(a.timers));
    let cpu_start = cpu_ns();
    let start = Instant::now();
    let out = run_storm(&mut sim, a.events);
    let wall = start.elapsed().as_secs_f64();
    let cpu = match (cpu_start, cpu_ns()) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a) as f64 / 1e9),
        _ => None,
    };
    let rate = if wall > 0.0 { out.events as f64 / wall } else { f64::INFINITY };
    let cpu_rate = cpu.map(|c| if c > 0.0 { out.events as f64 / c } else { f64::INFINITY });
    let report = Report {
        seed: c.seed,
        timers: a.timers,
        events: out.events,
        virtual_ms: out.virtual_ms,
        wall_ms: wall * 1000.0,
        events_per_sec: rate,
        cpu_ms: cpu.map(|c| c * 1000.0),
        events_per_cpu_sec: cpu_rate,
        checksum: out.checksum,
        playback: if a.playback_timers > 0 {
            vec![playback_demo(c.seed, 1_000), playback_demo(c.seed, a.playback_timers)]
        } else {
            vec![]
        },
    };
    if c.json {
        return super::output::print_json(&report);
    }
    println!(
        "kernel-bench: {} timers, {} events in {:.1} ms wall ({:.2} s virtual): {:.2} M events/s (checksum {:016x})",
        report.timers,
        report.events,
        report.wall_ms,
        report.virtual_ms as f64 / 1000.0,
        rate / 1e6,
        report.checksum
    );
    if let (Some(ms), Some(r)) = (report.cpu_ms, cpu_rate) {
        println!(
            "kernel-bench: {ms:.1} ms on CPU: {:.2} M events per CPU-second (other processes share this machine)",
            r / 1e6
        );
    }
    for p in &report.playback {
        println!(
            "playback at {} on {} timers, {} frames of 16.7 ms with an {} ms budget: {} frames behind, {:.0} events/frame, \
             effective {}, longest frame's work {:.1} ms, debt left {:.0} virtual ms",
            format_speed(p.asked_speed),
            p.timers,
            p.frames,
            p.budget_ms,
            p.frames_behind,
            p.events_per_frame,
            format_speed(p.effective_speed),
            p.max_frame_work_ms,
            p.final_debt_ms
        );
    }
    Ok(())
}
