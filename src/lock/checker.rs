//! The safety checker: after every event the runtime reports who believes it holds the lock and
//! what Redis says; every write to the protected resource is reported as it happens. From these the
//! checker keeps lease-overlap intervals (`violations`: two or more workers believe they hold the
//! lock), time without a holder, handovers, and the harm counts (stale writes accepted, duplicate or
//! out-of-order jobs). An overlap is not yet harm: with fencing the storage rejects the stale
//! holder's writes, so a fenced run shows the overlap and no harm. The [`Verdict`] says which
//! happened. It judges; it never changes the run. `sim lock` and `sim lock-live` share it.

use crate::sim::{History, SimDuration, SimTime};
use serde::{Deserialize, Serialize};

/// A closed or still-open interval of virtual time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval {
    pub from: SimTime,
    /// `None` while still open.
    pub to: Option<SimTime>,
}

/// A lease overlap: two or more workers believed they held the lock during `span`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    pub span: Interval,
    /// Worker indices that believed at any moment of the interval.
    pub workers: Vec<usize>,
}

/// One write to the protected resource and how it was judged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteRecord {
    pub at: SimTime,
    pub worker: usize,
    pub worker_id: String,
    pub job: u64,
    pub token: Option<i64>,
    pub accepted: bool,
    /// The writer was not the holder Redis names at the time of the write.
    pub stale: bool,
    /// Accepted, but the job is not the one after the last accepted job.
    pub duplicate_or_out_of_order: bool,
}

/// What the run's safety came to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// No lease overlap and no harm.
    #[default]
    Safe,
    /// Two holders at once, but no write did harm (fencing rejected the stale ones, or the stale
    /// holder wrote nothing while it overlapped).
    OverlapWithoutHarm,
    /// A stale write was accepted, or a job was done twice or out of order.
    Harm,
}

impl Verdict {
    /// One sentence for the page and the CLI.
    pub fn sentence(self) -> &'static str {
        match self {
            Verdict::Safe => "Safe: never two holders at once, and every write came from the holder.",
            Verdict::OverlapWithoutHarm => {
                "Lease overlap without harm: two workers believed they held the lock at once, but no stale \
                 write was accepted."
            }
            Verdict::Harm => {
                "Harm: a worker that no longer held the lock wrote, and the storage accepted it (or a job was \
                 done twice or out of order)."
            }
        }
    }
}

/// The figures `sim lock` and `sim lock-live` print and the tests assert.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Which of safe / overlap without harm / harm happened.
    pub verdict: Verdict,
    /// Lease overlaps: intervals with two or more workers believing they held the lock.
    pub violations: u64,
    pub violation_time_ms: u64,
    pub duplicate_or_out_of_order_jobs: u64,
    pub stale_writes_accepted: u64,
    /// Writes rejected by fencing (each came from a holder whose token was superseded).
    pub stale_writes_rejected: u64,
    pub handovers: u64,
    pub acquisitions: u64,
    pub time_without_holder_ms: u64,
    /// Accepted writes (jobs done, counting duplicates).
    pub writes_accepted: u64,
    /// The highest job number accepted.
    pub highest_job: u64,
    /// `EXPIRE`/compare-and-extend that extended a key holding ANOTHER worker's id.
    pub foreign_lock_extensions: u64,
    /// `DEL` that deleted a key holding another worker's id.
    pub foreign_lock_deletes: u64,
    /// Total time during which some worker believed it held the lock while Redis named someone
    /// else (or no one).
    pub belief_without_truth_ms: u64,
}

/// How much history the checker keeps for drawing (the counts are exact regardless): the last hour
/// of virtual time, the timeline's widest window.
pub const HISTORY_WINDOW_MS: u64 = 3_600_000;

/// The most entries of one history the checker keeps, whatever the window.
pub const HISTORY_LIMIT: usize = 20_000;

#[derive(Clone, Debug, Default)]
pub struct Checker {
    violations: History<Violation>,
    /// Every violation ever opened (the list above is windowed).
    violation_count: u64,
    /// Total time of the violations that left the window.
    trimmed_violation_ms: u64,
    no_holder_since: Option<SimTime>,
    time_without_holder: SimDuration,
    mismatch_since: Option<SimTime>,
    mismatch_time: SimDuration,
    last_acquirer: Option<String>,
    handovers: u64,
    acquisitions: u64,
    writes: History<WriteRecord>,
    last_accepted_job: u64,
    summary: Summary,
}

impl Checker {
    pub fn new() -> Self {
        Checker::default()
    }

    /// Roughly the heap bytes of this checker's histories that `other` (another clone) does not share.
    pub fn bytes_beyond(&self, other: Option<&Checker>) -> usize {
        use std::mem::size_of;
        let v = self.violations.bytes_beyond(other.map(|o| &o.violations), |v| {
            size_of::<Violation>() + v.workers.capacity() * size_of::<usize>()
        });
        let w =
            self.writes.bytes_beyond(other.map(|o| &o.writes), |w| size_of::<WriteRecord>() + w.worker_id.capacity());
        v + w
    }

    /// After every event: the believers (worker indices with ids) and Redis's holder.
    pub fn observe(&mut self, now: SimTime, believers: &[(usize, &str)], truth: Option<&str>) {
        // Mutual exclusion.
        let open = self.violations.last().is_some_and(|v| v.span.to.is_none());
        if believers.len() >= 2 {
            if open {
                let v = self.violations.last_mut().expect("open violation");
                for (w, _) in believers {
                    if !v.workers.contains(w) {
                        v.workers.push(*w);
                        v.workers.sort_unstable();
                    }
                }
            } else {
                let mut workers: Vec<usize> = believers.iter().map(|(w, _)| *w).collect();
                workers.sort_unstable();
                self.violations.push(Violation { span: Interval { from: now, to: None }, workers });
                self.violation_count = self.violation_count.saturating_add(1);
                let before: u64 = self.closed_violation_ms();
                self.violations.trim_window(now, HISTORY_WINDOW_MS, HISTORY_LIMIT, |v| v.span.to);
                self.trimmed_violation_ms =
                    self.trimmed_violation_ms.saturating_add(before.saturating_sub(self.closed_violation_ms()));
            }
        } else if open {
            if let Some(v) = self.violations.last_mut() {
                v.span.to = Some(now);
            }
        }
        // Time without a holder.
        match (believers.is_empty(), self.no_holder_since) {
            (true, None) => self.no_holder_since = Some(now),
            (false, Some(since)) => {
                self.time_without_holder = self.time_without_holder.saturating_add(now - since);
                self.no_holder_since = None;
            }
            (true, Some(_)) | (false, None) => {}
        }
        // Belief against truth.
        let mismatch = believers.iter().any(|(_, id)| Some(*id) != truth);
        match (mismatch, self.mismatch_since) {
            (true, None) => self.mismatch_since = Some(now),
            (false, Some(since)) => {
                self.mismatch_time = self.mismatch_time.saturating_add(now - since);
                self.mismatch_since = None;
            }
            (true, Some(_)) | (false, None) => {}
        }
    }

    /// A worker moved from acquiring into working: a handover when someone else held it last.
    pub fn on_acquired(&mut self, worker_id: &str) {
        self.acquisitions = self.acquisitions.saturating_add(1);
        if let Some(prev) = &self.last_acquirer {
            if prev != worker_id {
                self.handovers = self.handovers.saturating_add(1);
            }
        }
        self.last_acquirer = Some(worker_id.to_string());
    }

    fn closed_violation_ms(&self) -> u64 {
        self.violations
            .iter()
            .filter_map(|v| v.span.to.map(|to| to.saturating_since(v.span.from).0))
            .fold(0u64, u64::saturating_add)
    }

    /// A write reached the protected resource. `lock_value` is the value the writer set the lock
    /// key to; `truth` is the value Redis holds (the majority's, with Redlock).
    #[allow(clippy::too_many_arguments)]
    pub fn on_write(
        &mut self,
        at: SimTime,
        worker: usize,
        worker_id: &str,
        lock_value: &str,
        job: u64,
        token: Option<i64>,
        accepted: bool,
        truth: Option<&str>,
    ) {
        let stale = truth != Some(lock_value);
        let dup = accepted && job != self.last_accepted_job.saturating_add(1);
        if accepted {
            self.last_accepted_job = self.last_accepted_job.max(job);
            self.summary.writes_accepted = self.summary.writes_accepted.saturating_add(1);
            self.summary.highest_job = self.summary.highest_job.max(job);
            if stale {
                self.summary.stale_writes_accepted = self.summary.stale_writes_accepted.saturating_add(1);
            }
        } else {
            self.summary.stale_writes_rejected = self.summary.stale_writes_rejected.saturating_add(1);
        }
        if dup {
            self.summary.duplicate_or_out_of_order_jobs = self.summary.duplicate_or_out_of_order_jobs.saturating_add(1);
        }
        self.writes.push(WriteRecord {
            at,
            worker,
            worker_id: worker_id.to_string(),
            job,
            token,
            accepted,
            stale,
            duplicate_or_out_of_order: dup,
        });
        self.writes.trim_window(at, HISTORY_WINDOW_MS, HISTORY_LIMIT, |w| Some(w.at));
    }

    pub fn on_foreign_extension(&mut self) {
        self.summary.foreign_lock_extensions = self.summary.foreign_lock_extensions.saturating_add(1);
    }
    pub fn on_foreign_delete(&mut self) {
        self.summary.foreign_lock_deletes = self.summary.foreign_lock_deletes.saturating_add(1);
    }

    /// Running counts that only grow, for spotting notable events cheaply after each event:
    /// (lease overlaps opened, handovers, harmful writes accepted).
    pub fn notable_counts(&self) -> (u64, u64, u64) {
        (
            self.violation_count,
            self.handovers,
            self.summary.stale_writes_accepted.saturating_add(self.summary.duplicate_or_out_of_order_jobs),
        )
    }

    /// The violations within the history window (the summary counts all of them).
    pub fn violations(&self) -> &History<Violation> {
        &self.violations
    }
    pub fn writes(&self) -> &History<WriteRecord> {
        &self.writes
    }

    /// The figures as of `now` (open intervals are counted up to `now`).
    pub fn summary(&self, now: SimTime) -> Summary {
        let mut s = self.summary.clone();
        s.violations = self.violation_count;
        s.violation_time_ms = self
            .violations
            .iter()
            .map(|v| v.span.to.unwrap_or(now).saturating_since(v.span.from).0)
            .fold(self.trimmed_violation_ms, u64::saturating_add);
        s.handovers = self.handovers;
        s.acquisitions = self.acquisitions;
        let open = self.no_holder_since.map_or(SimDuration::ZERO, |since| now - since);
        s.time_without_holder_ms = self.time_without_holder.saturating_add(open).0;
        let open = self.mismatch_since.map_or(SimDuration::ZERO, |since| now - since);
        s.belief_without_truth_ms = self.mismatch_time.saturating_add(open).0;
        s.verdict = if s.stale_writes_accepted > 0 || s.duplicate_or_out_of_order_jobs > 0 {
            Verdict::Harm
        } else if s.violations > 0 {
            Verdict::OverlapWithoutHarm
        } else {
            Verdict::Safe
        };
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_handovers_and_writes_are_counted() {
        let t = |ms: u64| SimTime(ms);
        let mut c = Checker::new();
        c.observe(t(0), &[], None);
        c.observe(t(100), &[(0, "A")], Some("A"));
        c.on_acquired("A");
        c.on_write(t(200), 0, "A", "A", 1, None, true, Some("A"));
        c.observe(t(300), &[(0, "A"), (1, "B")], Some("B"));
        c.on_acquired("B");
        c.on_write(t(350), 1, "B", "B", 2, None, true, Some("B"));
        c.on_write(t(360), 0, "A", "A", 2, None, true, Some("B"));
        c.observe(t(400), &[(1, "B")], Some("B"));
        c.on_write(t(450), 0, "A", "A", 1, Some(1), false, Some("B"));
        let s = c.summary(t(1000));
        assert_eq!(s.verdict, Verdict::Harm);
        assert_eq!(s.violations, 1);
        assert_eq!(s.violation_time_ms, 100);
        assert_eq!(s.time_without_holder_ms, 100);
        assert_eq!(s.handovers, 1);
        assert_eq!(s.acquisitions, 2);
        assert_eq!(s.stale_writes_accepted, 1);
        assert_eq!(s.stale_writes_rejected, 1);
        assert_eq!(s.duplicate_or_out_of_order_jobs, 1);
        assert_eq!(s.writes_accepted, 3);
        assert_eq!(s.highest_job, 2);
        assert_eq!(c.violations()[0].workers, vec![0, 1]);
        // Worker 0 believed while Redis named B from 300 to 400.
        assert_eq!(s.belief_without_truth_ms, 100);
        // An open no-holder interval counts up to `now`.
        c.observe(t(2000), &[], None);
        assert_eq!(c.summary(t(2500)).time_without_holder_ms, 600);
    }

    #[test]
    fn a_fenced_overlap_is_an_overlap_without_harm() {
        let t = |ms: u64| SimTime(ms);
        let mut c = Checker::new();
        c.observe(t(0), &[(0, "A")], Some("A"));
        c.observe(t(100), &[(0, "A"), (1, "B")], Some("B"));
        // The stale holder's write is rejected by fencing: overlap, but no harm.
        c.on_write(t(150), 0, "A", "A", 1, Some(1), false, Some("B"));
        c.observe(t(200), &[(1, "B")], Some("B"));
        let s = c.summary(t(300));
        assert_eq!((s.violations, s.stale_writes_accepted, s.verdict), (1, 0, Verdict::OverlapWithoutHarm));
        assert_eq!(Checker::new().summary(t(0)).verdict, Verdict::Safe);
    }

    #[test]
    fn histories_keep_a_window_but_the_counts_stay_exact() {
        let mut c = Checker::new();
        let hour = HISTORY_WINDOW_MS;
        for i in 0..10u64 {
            let at = SimTime(i * hour);
            c.observe(at, &[(0, "A"), (1, "B")], Some("A"));
            c.observe(SimTime(at.0 + 1_000), &[(0, "A")], Some("A"));
            c.on_write(SimTime(at.0 + 500), 0, "A", "A", i + 1, None, true, Some("A"));
        }
        let s = c.summary(SimTime(10 * hour));
        assert_eq!(s.violations, 10);
        assert_eq!(s.violation_time_ms, 10_000);
        assert_eq!(s.writes_accepted, 10);
        assert!(c.violations().len() <= 3, "{}", c.violations().len());
        assert!(c.writes().len() <= 3, "{}", c.writes().len());
    }

    #[test]
    fn trim_window_keeps_recent_entries_and_the_newest() {
        let mut v: History<u64> = History::new();
        for i in 0..100u64 {
            v.push(i * 10);
            v.trim_window(SimTime(i * 10), 100, 1_000, |e| Some(SimTime(*e)));
        }
        assert!(v.len() <= 16 && *v.last().unwrap() == 990, "{v:?}");
        assert!(v.first().unwrap() + 160 >= 990);
        let mut one = History::from_iter([5u64]);
        one.trim_window(SimTime(1_000_000), 10, 10, |e| Some(SimTime(*e)));
        assert_eq!(one.to_vec(), vec![5], "the newest entry stays");
    }
}
