//! Two runs of one workload on one clock: the page's "compare" (issue 14). The second run is the
//! first one's scenario (producers, consumers, faults, knobs, seed) with only the pattern
//! changed; the pair steps both to the same virtual time, and a fault or burst is applied to
//! both at that time.
//!
//! Architecture invariant: after every call that moves the clock, both runs stand at the same
//! virtual time (a bounded advance that stops short keeps the pair at the earlier of the two).

use crate::sim::{Clocked, SimTime};

use super::{Fault, MessagingRun, PatternId, Scenario, ScenarioError};

/// `sc` with another pattern: the same workload, faults and per-pattern knobs (one consumer
/// group shared by the consumers, as the patterns that queue work share their queue).
pub fn same_workload(sc: &Scenario, pattern: PatternId) -> Scenario {
    Scenario { pattern, group_per_consumer: false, ..sc.clone() }
}

/// A run and, when comparing, a second run of the same workload with another pattern.
pub struct RunPair {
    pub a: MessagingRun,
    pub b: Option<MessagingRun>,
}

impl RunPair {
    /// `a` alone, or `a` beside a run of its scenario with `vs` (same seed, same label style).
    pub fn new(a: MessagingRun, vs: Option<PatternId>, seed: u64) -> Result<Self, ScenarioError> {
        let b = match vs {
            Some(p) => {
                let sc = same_workload(a.scenario(), p);
                Some(MessagingRun::new(sc, seed, &format!("{p} on the same workload"))?)
            }
            None => None,
        };
        Ok(RunPair { a, b })
    }

    fn runs_mut(&mut self) -> impl Iterator<Item = &mut MessagingRun> {
        std::iter::once(&mut self.a).chain(self.b.as_mut())
    }

    pub fn end(&self) -> SimTime {
        self.b.as_ref().map_or(self.a.end(), |b| b.end().max(self.a.end()))
    }

    pub fn is_done(&self) -> bool {
        self.a.is_done() && self.b.as_ref().is_none_or(MessagingRun::is_done)
    }

    /// Advances both runs towards `until` with at most `max_events` each; true when both reached
    /// it. The second run is never taken past the first, so the two stay on one clock.
    pub fn advance(&mut self, until: SimTime, max_events: u64) -> bool {
        let a_done = self.a.advance(until, max_events);
        let Some(b) = self.b.as_mut() else { return a_done };
        let b_done = b.advance(self.a.now(), max_events);
        if !b_done {
            // `a` ran ahead of what `b` could do in this slice: nothing is shown past `b`.
            return false;
        }
        a_done
    }

    /// Injects `fault` into both runs at the current time; a fault either run refuses changes
    /// neither (both check it first).
    pub fn inject(&mut self, fault: Fault) -> Result<(), ScenarioError> {
        for r in self.runs_mut() {
            let mut check = r.scenario().clone();
            check.faults = vec![fault.clone()];
            check.validate()?;
        }
        for r in self.runs_mut() {
            r.inject(fault.clone())?;
        }
        Ok(())
    }

    /// A burst into both runs, starting now; refused by either, added to neither.
    pub fn burst(&mut self, count: u32, over_ms: u64) -> Result<(), ScenarioError> {
        self.a.check_burst(count)?;
        if let Some(b) = self.b.as_ref() {
            b.check_burst(count)?;
        }
        for r in self.runs_mut() {
            r.burst(count, over_ms)?;
        }
        Ok(())
    }

    /// Brings the second run to the first one's time (after a bounded advance stopped short).
    pub fn sync(&mut self) {
        let now = self.a.now();
        if let Some(b) = self.b.as_mut() {
            Clocked::run_until(b, now);
        }
    }
}

/// The pair's clock is the earlier of the two runs'; stepping takes both to the next time either
/// has an event.
impl Clocked for RunPair {
    fn now(&self) -> SimTime {
        self.b.as_ref().map_or(self.a.now(), |b| b.now().min(self.a.now()))
    }
    fn processed(&self) -> u64 {
        self.a.events().saturating_add(self.b.as_ref().map_or(0, MessagingRun::events))
    }
    fn next_event_time(&mut self) -> Option<SimTime> {
        let a = Clocked::next_event_time(&mut self.a);
        let b = self.b.as_mut().and_then(Clocked::next_event_time);
        match (a, b) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        }
    }
    fn step(&mut self) -> bool {
        let Some(t) = Clocked::next_event_time(self) else { return false };
        self.run_until(t);
        true
    }
    fn run_until(&mut self, until: SimTime) {
        for r in self.runs_mut() {
            Clocked::run_until(r, until);
        }
    }
    fn run_until_bounded(&mut self, until: SimTime, max_events: u64) -> bool {
        self.advance(until, max_events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messaging::scenario::page_run;
    use crate::sim::{SimDuration, TEST_EPOCH};

    fn pair(vs: PatternId) -> RunPair {
        let v = page_run("consumer-crash", PatternId::SimpleQueue, 0).unwrap();
        RunPair::new(MessagingRun::new(v.scenario, 1, &v.label).unwrap(), Some(vs), 1).unwrap()
    }

    fn fresh(pattern: PatternId) -> MessagingRun {
        let v = page_run("consumer-crash", PatternId::SimpleQueue, 0).unwrap();
        MessagingRun::new(same_workload(&v.scenario, pattern), 1, "fresh").unwrap()
    }

    #[test]
    fn both_runs_equal_fresh_runs_of_the_same_scenario_at_the_same_time() {
        let mut p = pair(PatternId::ReliableQueue);
        let t = TEST_EPOCH.saturating_add(SimDuration::from_millis(7_000));
        // In small bounded slices, as the page's frames advance it.
        while !p.advance(t, 50) {}
        assert_eq!(p.a.now(), t);
        assert_eq!(p.b.as_ref().unwrap().now(), t);
        let (mut fa, mut fb) = (fresh(PatternId::SimpleQueue), fresh(PatternId::ReliableQueue));
        Clocked::run_until(&mut fa, t);
        Clocked::run_until(&mut fb, t);
        assert_eq!(p.a.report(), fa.report());
        assert_eq!(p.b.as_ref().unwrap().report(), fb.report());
        // To the end: the simple queue loses what the crashed worker held, the reliable one none.
        let end = p.end();
        while !p.advance(end, 1_000) {}
        assert!(p.is_done());
        assert!(p.a.report().lost > 0);
        assert_eq!(p.b.as_ref().unwrap().report().lost, 0);
    }

    #[test]
    fn steps_keep_one_clock_and_faults_reach_both_at_the_same_time() {
        let mut p = pair(PatternId::StreamGroup);
        for _ in 0..200 {
            assert!(Clocked::step(&mut p));
            assert_eq!(p.a.now(), p.b.as_ref().unwrap().now());
        }
        p.inject(Fault::Partition { at_ms: 0, for_ms: 3_000 }).unwrap();
        assert!(p.a.is_partitioned() && p.b.as_ref().unwrap().is_partitioned());
        // A fault either run refuses changes neither.
        let before = (p.a.scenario().faults.len(), p.b.as_ref().unwrap().scenario().faults.len());
        assert!(p.inject(Fault::Crash { consumer: 99, at_ms: 0, down_ms: 1 }).is_err());
        assert_eq!(before, (p.a.scenario().faults.len(), p.b.as_ref().unwrap().scenario().faults.len()));
        p.burst(100, 1_000).unwrap();
        assert!(p.burst(0, 1_000).is_err());
    }
}
