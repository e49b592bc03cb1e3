//! The event queue: events ordered by (time, sequence number), with cancellable handles.
//!
//! Ties at the same millisecond are broken by the order in which events were scheduled, so a run is
//! a pure function of its inputs. Cancelled events stay in the heap as tombstones and are skipped
//! when they reach the front (cheaper than removing from the middle of a heap).

use super::SimTime;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashSet};

/// A handle to a scheduled event (its sequence number), used to cancel timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EventId(pub u64);

struct Scheduled<E> {
    at: SimTime,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Scheduled<E> {
    fn eq(&self, o: &Self) -> bool {
        self.at == o.at && self.seq == o.seq
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
        (o.at, o.seq).cmp(&(self.at, self.seq))
    }
}

/// A min-queue of events keyed by (time, sequence number).
pub struct EventQueue<E> {
    heap: BinaryHeap<Scheduled<E>>,
    next_seq: u64,
    /// Sequence numbers cancelled but still in the heap. Only membership is asked of this set, never
    /// its iteration order, so a hash set keeps runs deterministic.
    cancelled: HashSet<u64>,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue { heap: BinaryHeap::new(), next_seq: 0, cancelled: HashSet::new() }
    }

    /// Schedules `event` at `at` and returns its handle.
    pub fn schedule(&mut self, at: SimTime, event: E) -> EventId {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Scheduled { at, seq, event });
        EventId(seq)
    }

    /// Cancels a pending event. Cancelling one that already fired or was cancelled does nothing.
    pub fn cancel(&mut self, id: EventId) {
        if id.0 < self.next_seq && self.heap.iter().any(|s| s.seq == id.0) {
            self.cancelled.insert(id.0);
        }
    }

    fn drop_cancelled_front(&mut self) {
        while let Some(top) = self.heap.peek() {
            if self.cancelled.is_empty() || !self.cancelled.remove(&top.seq) {
                return;
            }
            self.heap.pop();
        }
    }

    /// The time of the next live event.
    pub fn next_time(&mut self) -> Option<SimTime> {
        self.drop_cancelled_front();
        self.heap.peek().map(|s| s.at)
    }

    /// Removes and returns the next live event.
    pub fn pop(&mut self) -> Option<(SimTime, EventId, E)> {
        self.drop_cancelled_front();
        self.heap.pop().map(|s| (s.at, EventId(s.seq), s.event))
    }

    /// Live events still pending.
    pub fn len(&self) -> usize {
        self.heap.len() - self.cancelled.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
}
