//! The event queue: events ordered by (time, sequence number), with cancellable handles.
//!
//! Ties at the same millisecond are broken by the order in which events were scheduled, so a run is
//! a pure function of its inputs. Events due within about a second of the last one popped live in a
//! timing wheel of per-millisecond FIFOs (O(1) schedule and pop, however many events are pending);
//! later ones, and any scheduled in the past, live in a binary heap, and a pop takes the smaller
//! front of the two. Cancelled events stay where they are as tombstones and are skipped when they
//! reach a front; when tombstones outnumber live events both are compacted, so a cancel-heavy model
//! cannot grow the queue without bound.
//!
//! Which sequence numbers are still pending is kept in a bitset that starts at the oldest pending
//! event, so `cancel`, `len` and skipping tombstones are O(1) (the bitset grows by one word per 64
//! events only while an old event is still pending). Once the wheel's slab and the heap have reached
//! a model's peak of pending events, the hot path allocates nothing (tests/kernel_alloc.rs).

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

/// Width of the timing wheel in milliseconds (a power of two).
const WHEEL: usize = 1024;
const WHEEL_WORDS: usize = WHEEL / 64;

const NIL: u32 = u32::MAX;

/// One wheel entry, linked into its slot's FIFO (or into the free list once popped).
struct WheelNode<E> {
    seq: u64,
    next: u32,
    event: Option<E>,
}

/// A timing wheel for the next [`WHEEL`] milliseconds: one FIFO per millisecond. Every event in it
/// has a time in `[base, base + WHEEL)`, so a slot holds one time only, and within a slot events
/// sit in scheduling order (sequence numbers only grow), which is exactly the queue's tie order.
/// The FIFOs are linked lists through one slab whose freed entries are reused, so once the slab
/// has reached the model's peak of pending events the wheel never allocates again.
struct Wheel<E> {
    nodes: Vec<WheelNode<E>>,
    free: u32,
    /// `(head, tail)` per slot; created on first use, so an idle queue costs nothing.
    slots: Vec<(u32, u32)>,
    /// One bit per non-empty slot, to find the next one without visiting empty slots.
    occupied: [u64; WHEEL_WORDS],
    base: u64,
    len: usize,
}

impl<E> Wheel<E> {
    fn new() -> Self {
        Wheel { nodes: Vec::new(), free: NIL, slots: Vec::new(), occupied: [0; WHEEL_WORDS], base: 0, len: 0 }
    }
    fn accepts(&self, at: u64) -> bool {
        // The slab is indexed by u32; past that (never in practice) the heap takes the rest.
        at >= self.base && at - self.base < WHEEL as u64 && self.len < (NIL - 1) as usize
    }
    fn push(&mut self, at: u64, seq: u64, event: E) {
        if self.slots.is_empty() {
            self.slots = vec![(NIL, NIL); WHEEL];
        }
        let node = WheelNode { seq, next: NIL, event: Some(event) };
        let idx = if self.free != NIL {
            let i = self.free;
            self.free = self.nodes[i as usize].next;
            self.nodes[i as usize] = node;
            i
        } else {
            self.nodes.push(node);
            (self.nodes.len() - 1) as u32
        };
        let i = at as usize & (WHEEL - 1);
        let (head, tail) = self.slots[i];
        if tail == NIL {
            debug_assert_eq!(head, NIL);
            self.slots[i] = (idx, idx);
            self.occupied[i / 64] |= 1 << (i % 64);
        } else {
            self.nodes[tail as usize].next = idx;
            self.slots[i].1 = idx;
        }
        self.len += 1;
    }
    /// The first non-empty slot at or after `base`'s, going round once: `(time, slot)`.
    fn first(&self) -> Option<(u64, usize)> {
        if self.len == 0 {
            return None;
        }
        let start = self.base as usize & (WHEEL - 1);
        let (w, b) = (start / 64, start % 64);
        let mut found = None;
        let head = self.occupied[w] & (!0u64 << b);
        if head != 0 {
            found = Some(w * 64 + head.trailing_zeros() as usize);
        } else {
            for j in 1..=WHEEL_WORDS {
                let idx = (w + j) % WHEEL_WORDS;
                let word = if j == WHEEL_WORDS { self.occupied[w] & ((1u64 << b) - 1) } else { self.occupied[idx] };
                if word != 0 {
                    found = Some(idx * 64 + word.trailing_zeros() as usize);
                    break;
                }
            }
        }
        let slot = found?;
        let distance = (slot + WHEEL - start) & (WHEEL - 1);
        Some((self.base + distance as u64, slot))
    }
    fn front_seq(&self, slot: usize) -> u64 {
        let head = self.slots[slot].0;
        if head == NIL {
            u64::MAX
        } else {
            self.nodes[head as usize].seq
        }
    }
    fn pop_slot(&mut self, slot: usize) -> Option<(u64, E)> {
        let idx = self.slots[slot].0;
        if idx == NIL {
            return None;
        }
        let node = &mut self.nodes[idx as usize];
        let (seq, next, event) = (node.seq, node.next, node.event.take());
        node.next = self.free;
        self.free = idx;
        self.slots[slot].0 = next;
        if next == NIL {
            self.slots[slot].1 = NIL;
            self.occupied[slot / 64] &= !(1 << (slot % 64));
        }
        self.len -= 1;
        Some((seq, event?))
    }
    fn retain(&mut self, mut keep: impl FnMut(u64) -> bool) {
        for i in 0..self.slots.len() {
            let (mut cur, _) = self.slots[i];
            let (mut head, mut tail) = (NIL, NIL);
            while cur != NIL {
                let next = self.nodes[cur as usize].next;
                if keep(self.nodes[cur as usize].seq) {
                    self.nodes[cur as usize].next = NIL;
                    if tail == NIL {
                        head = cur;
                    } else {
                        self.nodes[tail as usize].next = cur;
                    }
                    tail = cur;
                } else {
                    self.nodes[cur as usize].event = None;
                    self.nodes[cur as usize].next = self.free;
                    self.free = cur;
                    self.len -= 1;
                }
                cur = next;
            }
            self.slots[i] = (head, tail);
            if head == NIL {
                self.occupied[i / 64] &= !(1 << (i % 64));
            }
        }
    }
}

/// Where the next event is.
#[derive(Clone, Copy)]
enum Front {
    Wheel { at: u64, slot: usize },
    Heap,
}

/// A min-queue of events keyed by (time, sequence number).
///
/// Events due within the next 1,024 ms of the last one popped go into a timing wheel (O(1)
/// schedule and pop, which keeps busy models fast whatever their number of pending events); the
/// rest, and anything scheduled in the past, go into a binary heap. A pop takes the smaller
/// (time, sequence) of the two fronts, so the order is exactly that of one sorted queue.
pub struct EventQueue<E> {
    heap: BinaryHeap<Scheduled<E>>,
    wheel: Wheel<E>,
    next_seq: u64,
    pending: PendingBits,
    /// Live (pending) events.
    live: usize,
    /// Cancelled events still in the wheel or the heap.
    tombstones: usize,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            wheel: Wheel::new(),
            next_seq: 0,
            pending: PendingBits::default(),
            live: 0,
            tombstones: 0,
        }
    }

    /// An empty queue with room for `n` far-future events before its heap reallocates.
    pub fn with_capacity(n: usize) -> Self {
        EventQueue { heap: BinaryHeap::with_capacity(n), ..Self::new() }
    }

    /// Schedules `event` at `at` and returns its handle.
    pub fn schedule(&mut self, at: SimTime, event: E) -> EventId {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.pending.set_new(seq);
        self.live += 1;
        if self.wheel.len == 0 && self.heap.is_empty() {
            // Nothing pending: move the wheel's window here (runs start at a Unix epoch, far from 0).
            self.wheel.base = at.0;
        }
        if self.wheel.accepts(at.0) {
            self.wheel.push(at.0, seq, event);
        } else {
            self.heap.push(Scheduled::new(at, seq, event));
        }
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
            self.wheel.retain(|seq| pending.get(seq));
            self.tombstones = 0;
        }
    }

    /// Finds the next live event, discarding cancelled ones that reach a front.
    fn front(&mut self) -> Option<Front> {
        loop {
            let wheel = self.wheel.first();
            if self.tombstones > 0 {
                if let Some((_, slot)) = wheel {
                    if !self.pending.get(self.wheel.front_seq(slot)) {
                        self.wheel.pop_slot(slot);
                        self.tombstones -= 1;
                        continue;
                    }
                }
                if let Some(top) = self.heap.peek() {
                    if !self.pending.get(top.seq()) {
                        self.heap.pop();
                        self.tombstones -= 1;
                        continue;
                    }
                }
            }
            return match (wheel, self.heap.peek()) {
                (None, None) => None,
                (Some((at, slot)), None) => Some(Front::Wheel { at, slot }),
                (None, Some(_)) => Some(Front::Heap),
                (Some((at, slot)), Some(top)) => {
                    if (at, self.wheel.front_seq(slot)) < (top.at().0, top.seq()) {
                        Some(Front::Wheel { at, slot })
                    } else {
                        Some(Front::Heap)
                    }
                }
            };
        }
    }

    /// The time of the next live event.
    pub fn next_time(&mut self) -> Option<SimTime> {
        match self.front()? {
            Front::Wheel { at, .. } => Some(SimTime(at)),
            Front::Heap => self.heap.peek().map(|s| s.at()),
        }
    }

    /// Removes and returns the next live event.
    pub fn pop(&mut self) -> Option<(SimTime, EventId, E)> {
        let (at, seq, event) = match self.front()? {
            Front::Wheel { at, slot } => {
                let (seq, event) = self.wheel.pop_slot(slot)?;
                (SimTime(at), seq, event)
            }
            Front::Heap => {
                let s = self.heap.pop()?;
                (s.at(), s.seq(), s.event)
            }
        };
        // Nothing pending is earlier than this event, so the window may start here.
        self.wheel.base = self.wheel.base.max(at.0);
        self.pending.clear(seq, self.next_seq);
        self.live -= 1;
        Some((at, EventId(seq), event))
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
        assert!(
            q.heap.len() + q.wheel.len < 2_200,
            "queue holds {} entries: not compacted",
            q.heap.len() + q.wheel.len
        );
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
            /// An offset from the last popped time: mostly near (the wheel), some far (the heap),
            /// some in the past.
            Schedule(i64),
            Cancel(usize),
            Pop,
        }

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                3 => (0i64..50).prop_map(Op::Schedule),
                1 => (0i64..5000).prop_map(Op::Schedule),
                1 => (-300i64..0).prop_map(Op::Schedule),
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
                let mut now = 10_000u64;
                for op in ops {
                    match op {
                        Op::Schedule(d) => {
                            let at = now.saturating_add_signed(d);
                            let id = q.schedule(SimTime(at), id_payload(ids.len()));
                            model.push((at, id.0));
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
