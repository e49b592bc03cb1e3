//! The delivery checker: what happened to every message, computed from the run's own events.
//!
//! The runtime tells the checker four things — a message was produced, a copy of it was delivered
//! to a consumer, a consumer performed its side effect, and (separately) a side effect was skipped
//! because an idempotency key said it had already happened. Every count in a [`Report`] is derived
//! from those records at the end; nothing is asserted or hard-coded. A *unit* is one copy a
//! consumer is meant to process: one per message for queues, one per (message, subscriber) for
//! pub/sub fan-out.

use crate::sim::SimTime;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A message's id in a run (0, 1, 2 … in production order).
pub type MsgId = u64;

/// Points a series keeps before it halves its resolution.
pub const SERIES_CAP: usize = 1_024;

#[derive(Clone, Debug)]
struct Rec {
    producer: u32,
    seq: u64,
    produced_at: SimTime,
    /// Deliveries per copy.
    deliveries: Vec<u32>,
    /// Side effects per copy.
    effects: Vec<u32>,
}

/// One sampled point of the depth and lag series.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    pub at_ms: u64,
    /// Messages waiting in the broker (the queue's length; 0 for pub/sub, which keeps nothing).
    pub depth: u64,
    /// Units produced and not yet processed (consumer lag).
    pub lag: u64,
    /// Units processed so far.
    pub processed: u64,
}

/// A bounded time series: when full, every other point is dropped and the step doubles, so a
/// long run keeps its whole shape in at most [`SERIES_CAP`] points.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub points: Vec<Sample>,
    /// Keep one sample in `stride`.
    pub stride: u64,
    seen: u64,
}

impl Series {
    pub fn push(&mut self, s: Sample) {
        if self.stride == 0 {
            self.stride = 1;
        }
        let keep = self.seen.is_multiple_of(self.stride);
        self.seen += 1;
        if !keep {
            return;
        }
        if self.points.len() == SERIES_CAP {
            let mut i = 0;
            self.points.retain(|_| {
                i += 1;
                i % 2 == 1
            });
            self.stride = self.stride.saturating_mul(2);
            if !(self.seen - 1).is_multiple_of(self.stride) {
                return;
            }
        }
        self.points.push(s);
    }
}

/// The checker's verdict on one run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Messages produced.
    pub produced: u64,
    /// Units delivered at least once.
    pub delivered: u64,
    /// Units whose side effect happened at least once.
    pub processed: u64,
    /// Units never processed.
    pub lost: u64,
    /// Units whose side effect happened more than once.
    pub duplicated: u64,
    /// Units processed after a later message of the same producer (on the same subscriber).
    pub out_of_order: u64,
    /// Units delivered more than once (a redelivery may be harmless if the side effect is guarded).
    pub redelivered: u64,
    /// Side effects skipped by an idempotency key.
    pub suppressed: u64,
    /// Produce → first side effect, ms.
    pub p50_ms: u64,
    pub p99_ms: u64,
    pub max_ms: u64,
    pub peak_depth: u64,
}

/// Records one run's deliveries; see the module header.
#[derive(Clone, Debug)]
pub struct Checker {
    copies: usize,
    msgs: Vec<Rec>,
    /// Highest sequence number first-processed per (copy, producer).
    high: BTreeMap<(usize, u32), u64>,
    out_of_order: u64,
    suppressed: u64,
    processed_units: u64,
    latency: Histogram<u64>,
    pub series: Series,
    peak_depth: u64,
}

impl Checker {
    /// `copies` is 1 for queues and the number of subscribers for fan-out.
    pub fn new(copies: usize) -> Self {
        Checker {
            copies: copies.max(1),
            msgs: Vec::new(),
            high: BTreeMap::new(),
            out_of_order: 0,
            suppressed: 0,
            processed_units: 0,
            latency: Histogram::new_with_bounds(1, 86_400_000, 3).expect("constant histogram bounds are valid"),
            series: Series::default(),
            peak_depth: 0,
        }
    }

    pub fn produce(&mut self, producer: u32, seq: u64, now: SimTime) -> MsgId {
        let id = self.msgs.len() as MsgId;
        self.msgs.push(Rec {
            producer,
            seq,
            produced_at: now,
            deliveries: vec![0; self.copies],
            effects: vec![0; self.copies],
        });
        id
    }

    pub fn produced(&self) -> u64 {
        self.msgs.len() as u64
    }

    pub fn produced_at(&self, id: MsgId) -> Option<SimTime> {
        self.msgs.get(id as usize).map(|r| r.produced_at)
    }

    /// A copy of `id` reached consumer copy `copy` (0 for queues).
    pub fn deliver(&mut self, id: MsgId, copy: usize) {
        if let Some(c) = self.msgs.get_mut(id as usize).and_then(|r| r.deliveries.get_mut(copy)) {
            *c = c.saturating_add(1);
        }
    }

    /// The consumer performed the message's side effect.
    pub fn process(&mut self, id: MsgId, copy: usize, now: SimTime) {
        let Some(r) = self.msgs.get_mut(id as usize) else {
            return;
        };
        let Some(e) = r.effects.get_mut(copy) else {
            return;
        };
        *e = e.saturating_add(1);
        if *e > 1 {
            return;
        }
        self.processed_units += 1;
        let _ = self.latency.record(now.saturating_since(r.produced_at).as_millis().max(1));
        let high = self.high.entry((copy, r.producer)).or_insert(r.seq);
        if r.seq < *high {
            self.out_of_order += 1;
        } else {
            *high = r.seq;
        }
    }

    /// An idempotency key stopped a second side effect.
    pub fn suppress(&mut self) {
        self.suppressed += 1;
    }

    /// How many times unit (`id`, `copy`) has been delivered so far.
    pub fn deliveries(&self, id: MsgId, copy: usize) -> u32 {
        self.msgs.get(id as usize).and_then(|r| r.deliveries.get(copy)).copied().unwrap_or(0)
    }

    /// Whether unit (`id`, `copy`) has been processed.
    pub fn is_processed(&self, id: MsgId, copy: usize) -> bool {
        self.msgs.get(id as usize).and_then(|r| r.effects.get(copy)).is_some_and(|e| *e > 0)
    }

    /// Units never processed, as (message, copy), in order.
    pub fn lost_units(&self) -> Vec<(MsgId, usize)> {
        let mut out = Vec::new();
        for (i, r) in self.msgs.iter().enumerate() {
            for (c, e) in r.effects.iter().enumerate() {
                if *e == 0 {
                    out.push((i as MsgId, c));
                }
            }
        }
        out
    }

    /// Units processed more than once.
    pub fn duplicated_units(&self) -> Vec<(MsgId, usize)> {
        let mut out = Vec::new();
        for (i, r) in self.msgs.iter().enumerate() {
            for (c, e) in r.effects.iter().enumerate() {
                if *e > 1 {
                    out.push((i as MsgId, c));
                }
            }
        }
        out
    }

    /// Units not yet delivered to any consumer (a stream's backlog past the group's cursor).
    pub fn undelivered(&self) -> u64 {
        self.msgs.iter().map(|m| m.deliveries.iter().filter(|d| **d == 0).count() as u64).sum()
    }

    pub fn sample(&mut self, at_ms: u64, depth: u64) {
        self.peak_depth = self.peak_depth.max(depth);
        let units = self.produced().saturating_mul(self.copies as u64);
        self.series.push(Sample {
            at_ms,
            depth,
            lag: units.saturating_sub(self.processed_units),
            processed: self.processed_units,
        });
    }

    pub fn report(&self) -> Report {
        let mut r = Report { produced: self.produced(), ..Report::default() };
        for m in &self.msgs {
            for (d, e) in m.deliveries.iter().zip(&m.effects) {
                r.delivered += u64::from(*d > 0);
                r.redelivered += u64::from(*d > 1);
                r.processed += u64::from(*e > 0);
                r.lost += u64::from(*e == 0);
                r.duplicated += u64::from(*e > 1);
            }
        }
        r.out_of_order = self.out_of_order;
        r.suppressed = self.suppressed;
        if !self.latency.is_empty() {
            r.p50_ms = self.latency.value_at_quantile(0.5);
            r.p99_ms = self.latency.value_at_quantile(0.99);
            r.max_ms = self.latency.max();
        }
        r.peak_depth = self.peak_depth;
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{SimDuration, TEST_EPOCH};

    #[test]
    fn counts_come_from_the_records() {
        let t = TEST_EPOCH;
        let mut c = Checker::new(1);
        let a = c.produce(0, 0, t);
        let b = c.produce(0, 1, t);
        let _lost = c.produce(0, 2, t);
        c.deliver(b, 0);
        c.process(b, 0, t + SimDuration::from_millis(10));
        c.deliver(a, 0);
        c.process(a, 0, t + SimDuration::from_millis(30));
        c.deliver(a, 0);
        c.process(a, 0, t + SimDuration::from_millis(40));
        let r = c.report();
        assert_eq!(
            (r.produced, r.delivered, r.processed, r.lost, r.duplicated, r.out_of_order, r.redelivered),
            (3, 2, 2, 1, 1, 1, 1)
        );
        assert_eq!(c.lost_units(), vec![(2, 0)]);
        assert!(r.p50_ms >= 10 && r.p99_ms >= 30, "{r:?}");
    }

    #[test]
    fn fan_out_counts_copies_and_the_series_stays_bounded() {
        let mut c = Checker::new(3);
        let m = c.produce(0, 0, TEST_EPOCH);
        c.process(m, 0, TEST_EPOCH);
        c.process(m, 2, TEST_EPOCH);
        assert_eq!(c.lost_units(), vec![(0, 1)]);
        for i in 0..10_000 {
            c.sample(i, i);
        }
        assert!(c.series.points.len() <= SERIES_CAP);
        assert_eq!(c.series.points[0].at_ms, 0);
        assert!(c.series.points.last().unwrap().at_ms > 9_000);
        assert_eq!(c.report().peak_depth, 9_999);
    }
}
