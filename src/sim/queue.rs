//! The event queue: events ordered by (time, sequence number), with cancellable handles.
//!
//! Ties at the same millisecond are broken by the order in which events were scheduled, so a run is
//! a pure function of its inputs. Cancelled events stay in the heap as tombstones and are skipped
//! when they reach the front (cheaper than removing from the middle of a heap); when tombstones
//! outnumber live events the heap is compacted, so a cancel-heavy model cannot grow it without bound.
//!
//! Which sequence numbers are still pending is kept in a bitset that starts at the oldest pending
//! event, so `cancel`, `len` and skipping tombstones are O(1) and the hot path allocates nothing per
//! event (the bitset grows by one word per 64 events only while an old event is still pending: one
//! bit per event scheduled since the oldest pending one).

use super::SimTime;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

/// A handle to a scheduled event (its sequence number), used to cancel timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EventId(pub u64);

struct Scheduled<E> {
    /// `(time << 64) | seq`: one integer comparison orders by time, then scheduling order.
    key: u128,
    event: E,
}

impl<E> Scheduled<E> {
    fn new(at: SimTime, seq: u64, event: E) -> Self {
        Scheduled { key: (u128::from(at.0) << 64) | u128::from(seq), event }
    }
    fn at(&self) -> SimTime {
        SimTime((self.key >> 64) as u64)
    }
    fn seq(&self) -> u64 {
        self.key as u64
    }
}

impl<E> PartialEq for Scheduled<E> {
    fn eq(&self, o: &Self) -> bool {
        self.key == o.key
    }
}
impl<E> Eq for Scheduled<E> {}
impl<E> PartialOrd for Scheduled<E> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<E> Ord for Scheduled<E> {
    /// Reversed, so the std max-heap pops the earliest (time, seq) first.
    fn cmp(&self, o: &Self) -> Ordering {
        o.key.cmp(&self.key)
    }
}

/// Which sequence numbers are pending (scheduled, neither fired nor cancelled), one bit each, from
/// word `base_word` (all older sequence numbers are resolved) up to the next sequence number.
#[derive(Default)]
struct PendingBits {
    words: VecDeque<u64>,
    base_word: u64,
}

impl PendingBits {
    fn get(&self, seq: u64) -> bool {
        let w = seq / 64;
        if w < self.base_word {
            return false;
        }
        self.words.get((w - self.base_word) as usize).is_some_and(|x| (x >> (seq % 64)) & 1 == 1)
    }
    /// Marks `seq` (always the next sequence number) pending.
    fn set_new(&mut self, seq: u64) {
        let i = (seq / 64 - self.base_word) as usize;
        if i == self.words.len() {
            self.words.push_back(0);
        }
        self.words[i] |= 1 << (seq % 64);
    }
    /// Clears a bit known to be set, then forgets fully resolved words below `next_seq`.
    fn clear(&mut self, seq: u64, next_seq: u64) {
        let i = (seq / 64 - self.base_word) as usize;
        self.words[i] &= !(1 << (seq % 64));
        while self.words.front() == Some(&0) && (self.base_word + 1) * 64 <= next_seq {
            self.words.pop_front();
            self.base_word += 1;
        }
    }
}

/// A min-queue of events keyed by (time, sequence number).
pub struct EventQueue<E> {
    heap: BinaryHeap<Scheduled<E>>,
    next_seq: u64,
    pending: PendingBits,
    /// Live (pending) events.
    live: usize,
    /// Cancelled events still in the heap.
    tombstones: usize,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue { heap: BinaryHeap::new(), next_seq: 0, pending: PendingBits::default(), live: 0, tombstones: 0 }
    }

    /// An empty queue with room for `n` events before it reallocates.
    pub fn with_capacity(n: usize) -> Self {
        EventQueue { heap: BinaryHeap::with_capacity(n), ..Self::new() }
    }

    /// Schedules `event` at `at` and returns its handle.
    pub fn schedule(&mut self, at: SimTime, event: E) -> EventId {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.pending.set_new(seq);
        self.live += 1;
        self.heap.push(Scheduled::new(at, seq, event));
        EventId(seq)
    }

    /// Whether `id` is still waiting to fire.
    pub fn is_pending(&self, id: EventId) -> bool {
        self.pending.get(id.0)
    }

    /// Cancels a pending event. Cancelling one that already fired or was cancelled does nothing.
    pub fn cancel(&mut self, id: EventId) {
        if !self.pending.get(id.0) {
            return;
        }
        self.pending.clear(id.0, self.next_seq);
        self.live -= 1;
        self.tombstones += 1;
        if self.tombstones > 64 && self.tombstones > self.live {
            let pending = &self.pending;
            self.heap.retain(|s| pending.get(s.seq()));
            self.tombstones = 0;
        }
    }

    fn drop_cancelled_front(&mut self) {
        if self.tombstones == 0 {
            return;
        }
        while let Some(top) = self.heap.peek() {
            if self.pending.get(top.seq()) {
                return;
            }
            self.heap.pop();
            self.tombstones -= 1;
        }
    }

    /// The time of the next live event.
    pub fn next_time(&mut self) -> Option<SimTime> {
        self.drop_cancelled_front();
        self.heap.peek().map(|s| s.at())
    }

    /// Removes and returns the next live event.
    pub fn pop(&mut self) -> Option<(SimTime, EventId, E)> {
        self.drop_cancelled_front();
        let s = self.heap.pop()?;
        let seq = s.seq();
        self.pending.clear(seq, self.next_seq);
        self.live -= 1;
        Some((s.at(), EventId(seq), s.event))
    }

    /// Live events still pending.
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// How many events were ever scheduled (the next sequence number).
    pub fn scheduled_count(&self) -> u64 {
        self.next_seq
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_then_schedule_order_and_skips_cancelled() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(10), "c");
        let b = q.schedule(SimTime(5), "b");
        q.schedule(SimTime(5), "b2");
        q.schedule(SimTime(1), "a");
        q.cancel(b);
        q.cancel(b); // twice is harmless
        assert_eq!(q.len(), 3);
        assert_eq!(q.next_time(), Some(SimTime(1)));
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(t, _, e)| (t.0, e))).collect();
        assert_eq!(order, vec![(1, "a"), (5, "b2"), (10, "c")]);
        assert!(q.is_empty());
        assert_eq!(q.next_time(), None);
    }

    #[test]
    fn cancelling_a_fired_event_does_not_corrupt_the_count() {
        let mut q = EventQueue::new();
        let a = q.schedule(SimTime(1), 1);
        q.schedule(SimTime(2), 2);
        assert_eq!(q.pop().map(|x| x.2), Some(1));
        q.cancel(a);
        assert_eq!(q.len(), 1);
        assert_eq!(q.pop().map(|x| x.2), Some(2));
    }

    #[test]
    fn heavy_cancelling_compacts_the_heap_and_keeps_order() {
        let mut q = EventQueue::new();
        let ids: Vec<_> = (0..10_000u64).map(|i| q.schedule(SimTime(i % 97), i)).collect();
        for id in &ids[..9_000] {
            q.cancel(*id);
        }
        assert_eq!(q.len(), 1_000);
        assert!(q.heap.len() < 2_200, "heap {} was not compacted", q.heap.len());
        let mut last = (SimTime(0), 0);
        while let Some((t, id, v)) = q.pop() {
            assert!(v >= 9_000);
            assert!((t, id.0) > last || last == (SimTime(0), 0));
            last = (t, id.0);
        }
        assert!(q.pending.words.len() <= 1, "resolved words are forgotten");
    }

    #[cfg(not(target_arch = "wasm32"))]
    mod props {
        use super::super::*;
        use proptest::prelude::*;

        #[derive(Clone, Debug)]
        enum Op {
            Schedule(u64),
            Cancel(usize),
            Pop,
        }

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                4 => (0u64..50).prop_map(Op::Schedule),
                2 => (0usize..400).prop_map(Op::Cancel),
                3 => Just(Op::Pop),
            ]
        }

        proptest! {
            /// The queue agrees with a naive sorted list under any mix of schedule, cancel and pop.
            #[test]
            fn matches_a_naive_model(ops in proptest::collection::vec(op(), 0..400)) {
                let mut q = EventQueue::new();
                let mut model: Vec<(u64, u64)> = Vec::new(); // (time, seq), pending only
                let mut ids = Vec::new();
                let mut now = 0u64;
                for op in ops {
                    match op {
                        Op::Schedule(d) => {
                            let id = q.schedule(SimTime(now + d), id_payload(ids.len()));
                            model.push((now + d, id.0));
                            ids.push(id);
                        }
                        Op::Cancel(i) => {
                            if let Some(id) = ids.get(i) {
                                q.cancel(*id);
                                model.retain(|m| m.1 != id.0);
                            }
                        }
                        Op::Pop => {
                            model.sort();
                            let want = if model.is_empty() { None } else { Some(model.remove(0)) };
                            let got = q.pop().map(|(t, id, _)| (t.0, id.0));
                            prop_assert_eq!(got, want);
                            if let Some((t, _)) = got { now = t; }
                        }
                    }
                    prop_assert_eq!(q.len(), model.len());
                    let mut m = model.clone();
                    m.sort();
                    prop_assert_eq!(q.next_time().map(|t| t.0), m.first().map(|x| x.0));
                    for id in &ids {
                        prop_assert_eq!(q.is_pending(*id), model.iter().any(|x| x.1 == id.0));
                    }
                }
            }
        }

        fn id_payload(i: usize) -> usize {
            i
        }
    }
}
