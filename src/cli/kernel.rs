//! `sim kernel-bench`: times the core's timer-storm workload with the wall clock (allowed here, at
//! the native edge) and prints events per second.
use super::{CliResult, Common};
use crate::sim::bench::{run_storm, timer_storm_sim};
use serde::Serialize;
use std::time::Instant;

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
}

#[derive(Serialize)]
struct Report {
    seed: u64,
    timers: u32,
    events: u64,
    virtual_ms: u64,
    wall_ms: f64,
    events_per_sec: f64,
    checksum: u64,
}

pub fn bench(c: &Common, a: BenchArgs) -> CliResult {
    let mut sim = timer_storm_sim(c.seed, a.timers, a.max_delay_ms);
    run_storm(&mut sim, u64::from(a.timers));
    let start = Instant::now();
    let out = run_storm(&mut sim, a.events);
    let wall = start.elapsed().as_secs_f64();
    let rate = if wall > 0.0 { out.events as f64 / wall } else { f64::INFINITY };
    let report = Report {
        seed: c.seed,
        timers: a.timers,
        events: out.events,
        virtual_ms: out.virtual_ms,
        wall_ms: wall * 1000.0,
        events_per_sec: rate,
        checksum: out.checksum,
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
    Ok(())
}
