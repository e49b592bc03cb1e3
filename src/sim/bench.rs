//! Synthetic kernel workloads for benchmarks: the same code runs in `sim kernel-bench` and in the
//! browser test, which time it with their own clocks. This module only counts; it never measures
//! time or asserts on speed.

use super::{Ctx, Model, SimDuration, SimRng, Simulation, TEST_EPOCH};
use serde::{Deserialize, Serialize};

/// Timers that each reschedule themselves after a random delay of 1..=`max_delay_ms` ms.
pub struct TimerStorm {
    rng: SimRng,
    max_delay_ms: u64,
    /// A running fold of (timer, time) pairs, so the work cannot be optimised away and two runs
    /// can be compared.
    checksum: u64,
}

impl Model for TimerStorm {
    type Event = u32;
    fn handle(&mut self, ctx: &mut Ctx<'_, u32>, timer: u32) {
        self.checksum = self.checksum.rotate_left(5) ^ (u64::from(timer) ^ ctx.now().0);
        let delay = 1 + self.rng.below(self.max_delay_ms);
        ctx.schedule_in(SimDuration(delay), timer);
    }
    fn describe(&self, timer: &u32) -> (String, String) {
        (format!("timer{timer}"), "fire".to_string())
    }
}

/// What one storm did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StormOutcome {
    pub timers: u32,
    pub events: u64,
    /// Virtual time the run covered.
    pub virtual_ms: u64,
    pub checksum: u64,
}

/// A simulation of `timers` self-rescheduling timers, each first due within `max_delay_ms`. The
/// trace is off, as in a benchmark.
pub fn timer_storm_sim(seed: u64, timers: u32, max_delay_ms: u64) -> Simulation<TimerStorm> {
    let max_delay_ms = max_delay_ms.max(1);
    let mut rng = SimRng::new(seed).child("timer-storm");
    let mut sim = Simulation::with_capacity(
        TimerStorm { rng: rng.clone(), max_delay_ms, checksum: 0 },
        TEST_EPOCH,
        timers as usize,
    );
    for t in 0..timers {
        let first = rng.below(max_delay_ms);
        sim.schedule_in(SimDuration(first), t);
    }
    sim.model.rng = rng.child("delays");
    sim
}

/// Runs `events` events of a storm of `timers` timers with delays of 1..=1000 ms.
pub fn timer_storm(seed: u64, timers: u32, events: u64) -> StormOutcome {
    let mut sim = timer_storm_sim(seed, timers, 1000);
    run_storm(&mut sim, events)
}

/// Processes `events` more events of an existing storm (stops early only if it has no timers).
pub fn run_storm(sim: &mut Simulation<TimerStorm>, events: u64) -> StormOutcome {
    let mut done = 0;
    while done < events && sim.step() {
        done += 1;
    }
    StormOutcome {
        timers: u32::try_from(sim.pending()).unwrap_or(u32::MAX),
        events: done,
        virtual_ms: sim.elapsed().0,
        checksum: sim.model.checksum,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_storm_keeps_its_timer_count_and_is_reproducible() {
        let a = timer_storm(1, 1000, 50_000);
        assert_eq!(a, timer_storm(1, 1000, 50_000));
        assert_eq!(a.events, 50_000);
        assert_eq!(a.timers, 1000);
        // 50 events per timer at a mean delay of ~500 ms cover roughly 25 s of virtual time.
        assert!((20_000..30_000).contains(&a.virtual_ms), "{a:?}");
        assert_ne!(a.checksum, timer_storm(2, 1000, 50_000).checksum);
        assert_eq!(timer_storm(1, 0, 10).events, 0);
    }
}
