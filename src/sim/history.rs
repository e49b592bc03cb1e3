//! `History<T>`: a bounded, time-ordered record (log lines, timeline spans, writes) whose clones
//! share their past. Entries live in sealed chunks of [`CHUNK`] behind reference counts plus a
//! short mutable tail, so cloning a history copies at most one chunk's worth of entries however
//! long it is — what keeps rewind's snapshots of a model small (tests/kernel_rewind.rs measures
//! it). Only the newest entry can be changed in place (a span closing, a violation gaining a
//! worker); older entries are history.
//!
//! [`History::trim_window`] keeps the entries whose end lies within a window of virtual time (and
//! at most a count), dropping the oldest in batches so a push stays amortised O(1).

use super::SimTime;
use serde::{Serialize, Serializer};
use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

/// Entries per sealed chunk.
pub const CHUNK: usize = 64;

/// A bounded, append-mostly history with cheap clones (see the module docs).
#[derive(Clone)]
pub struct History<T> {
    /// Sealed chunks, each exactly [`CHUNK`] entries, shared between clones.
    chunks: VecDeque<Arc<Vec<T>>>,
    /// Entries of the first chunk that were dropped.
    head: usize,
    /// The newest entries (fewer than [`CHUNK`]).
    tail: Vec<T>,
}

impl<T> Default for History<T> {
    fn default() -> Self {
        History { chunks: VecDeque::new(), head: 0, tail: Vec::new() }
    }
}

impl<T: fmt::Debug> fmt::Debug for History<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: PartialEq> PartialEq for History<T> {
    fn eq(&self, o: &Self) -> bool {
        self.len() == o.len() && self.iter().eq(o.iter())
    }
}

impl<T: Serialize> Serialize for History<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<T> History<T> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.chunks.len() * CHUNK - self.head + self.tail.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn push(&mut self, value: T) {
        self.tail.push(value);
        if self.tail.len() == CHUNK {
            let full = std::mem::replace(&mut self.tail, Vec::with_capacity(CHUNK));
            self.chunks.push_back(Arc::new(full));
        }
    }

    /// The entries, oldest first (double-ended: `.rev()` for newest first).
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + Clone + '_ {
        let head = self.head;
        self.chunks
            .iter()
            .enumerate()
            .flat_map(move |(i, c)| c[if i == 0 { head } else { 0 }..].iter())
            .chain(self.tail.iter())
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        if i >= self.len() {
            return None;
        }
        let p = self.head + i;
        let (c, off) = (p / CHUNK, p % CHUNK);
        match self.chunks.get(c) {
            Some(chunk) => chunk.get(off),
            None => self.tail.get(p - self.chunks.len() * CHUNK),
        }
    }
    pub fn first(&self) -> Option<&T> {
        self.get(0)
    }
    pub fn last(&self) -> Option<&T> {
        self.tail.last().or_else(|| self.chunks.back().and_then(|c| c.last()))
    }

    /// The index of the first entry for which `pred` is false, given that it is true for a prefix
    /// (binary search, as `slice::partition_point`).
    pub fn partition_point(&self, mut pred: impl FnMut(&T) -> bool) -> usize {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if pred(self.get(mid).expect("in range")) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Drops the oldest `n` entries.
    pub fn drop_front(&mut self, n: usize) {
        let n = n.min(self.len());
        let mut left = n;
        while left > 0 {
            if let Some(first) = self.chunks.front() {
                let avail = first.len() - self.head;
                if left >= avail {
                    self.chunks.pop_front();
                    self.head = 0;
                    left -= avail;
                } else {
                    self.head += left;
                    left = 0;
                }
            } else {
                self.tail.drain(..left);
                left = 0;
            }
        }
    }

    /// The entries as a plain vector (for tests and exports).
    pub fn to_vec(&self) -> Vec<T>
    where
        T: Clone,
    {
        self.iter().cloned().collect()
    }

    /// Keeps the entries whose end (`end`, `None` = still open) lies within `window` ms of `now`,
    /// and at most `limit` of them; drops the oldest in batches (half a window, or half the limit,
    /// at a time) so a push stays amortised O(1). Never drops the newest entry, so a lane always
    /// has its current span.
    pub fn trim_window(&mut self, now: SimTime, window: u64, limit: usize, end: impl Fn(&T) -> Option<SimTime>) {
        let cutoff = SimTime(now.0.saturating_sub(window));
        let len = self.len();
        let over = len > limit.saturating_add(limit / 2);
        let due = self.first().is_some_and(|e| end(e).is_some_and(|t| t.0.saturating_add(window / 2) < cutoff.0));
        if over || due {
            let stale = |e: &T| end(e).is_some_and(|t| t < cutoff);
            let keep_from = self
                .iter()
                .position(|e| !stale(e))
                .unwrap_or(len)
                .max(len.saturating_sub(limit))
                .min(len.saturating_sub(1));
            self.drop_front(keep_from);
        }
    }

    /// Roughly the heap bytes this history holds that `other` (another clone of it, earlier or
    /// later) does not share: every sealed chunk `other` does not hold too, and the tail (never
    /// shared). `entry` is one entry's bytes, its own size and what it points to. With `None`,
    /// everything. What keeping this clone costs beside `other` (rewind's snapshot budget).
    pub fn bytes_beyond(&self, other: Option<&Self>, entry: impl Fn(&T) -> usize) -> usize {
        let mut theirs: Vec<*const Vec<T>> =
            other.map_or_else(Vec::new, |o| o.chunks.iter().map(Arc::as_ptr).collect());
        theirs.sort_unstable();
        let sealed: usize = self
            .chunks
            .iter()
            .filter(|c| theirs.binary_search(&Arc::as_ptr(c)).is_err())
            .map(|c| c.iter().map(&entry).sum::<usize>())
            .sum();
        sealed + self.tail.iter().map(&entry).sum::<usize>()
    }

    /// How many sealed chunks this history shares with `other` (a clone shares all it had).
    pub fn shared_chunks(&self, other: &Self) -> usize {
        self.chunks.iter().filter(|c| other.chunks.iter().any(|o| Arc::ptr_eq(c, o))).count()
    }
}

impl<T: Clone> History<T> {
    /// The newest entry, to change in place (copies its chunk first if a clone shares it).
    pub fn last_mut(&mut self) -> Option<&mut T> {
        if !self.tail.is_empty() {
            return self.tail.last_mut();
        }
        self.chunks.back_mut().and_then(|c| Arc::make_mut(c).last_mut())
    }
    /// Entry `i`, to change in place (copies its chunk first if a clone shares it). For records
    /// that stay open for a while after they are pushed (a request in flight): they are near the
    /// newest end, so at most a chunk or two is copied.
    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        if i >= self.len() {
            return None;
        }
        let p = self.head + i;
        let (c, off) = (p / CHUNK, p % CHUNK);
        let sealed = self.chunks.len() * CHUNK;
        match self.chunks.get_mut(c) {
            Some(chunk) => Arc::make_mut(chunk).get_mut(off),
            None => self.tail.get_mut(p - sealed),
        }
    }
}

impl<T> std::ops::Index<usize> for History<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        self.get(i).unwrap_or_else(|| panic!("index {i} out of range for a history of {}", self.len()))
    }
}

impl<T> FromIterator<T> for History<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut h = History::new();
        for x in iter {
            h.push(x);
        }
        h
    }
}

impl<'a, T> IntoIterator for &'a History<T> {
    type Item = &'a T;
    type IntoIter = Box<dyn DoubleEndedIterator<Item = &'a T> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_sealed_chunks_and_diverge_in_their_tails() {
        let mut a: History<u64> = (0..1000).collect();
        let b = a.clone();
        assert_eq!(a.shared_chunks(&b), 1000 / CHUNK);
        a.push(1000);
        *a.last_mut().unwrap() += 1;
        assert_eq!(a.last(), Some(&1001));
        assert_eq!(b.last(), Some(&999));
        assert_eq!(b.len(), 1000);
        // Changing the newest entry of a sealed chunk copies it, leaving the clone alone.
        let mut c: History<u64> = (0..(2 * CHUNK as u64)).collect();
        let d = c.clone();
        *c.last_mut().unwrap() = 7;
        assert_eq!(c.last(), Some(&7));
        assert_eq!(d.last(), Some(&(2 * CHUNK as u64 - 1)));
        assert_eq!(c.shared_chunks(&d), 1);
    }

    #[test]
    fn trimming_keeps_the_window_and_the_newest_entry() {
        let mut h: History<u64> = History::new();
        for t in 0..10_000u64 {
            h.push(t);
            h.trim_window(SimTime(t), 1000, 100_000, |x| Some(SimTime(*x)));
        }
        assert!(h.first().unwrap() + 1500 >= 9_999 && *h.first().unwrap() + 1000 <= 9_999 + 1);
        h.trim_window(SimTime(1_000_000), 10, 5, |x| Some(SimTime(*x)));
        assert_eq!(h.len(), 1);
        assert_eq!(h.last(), Some(&9_999));
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn bytes_beyond_counts_only_what_another_clone_does_not_share() {
        let mut h: History<u64> = History::new();
        for i in 0..(3 * CHUNK as u64 + 5) {
            h.push(i);
        }
        let byte = |_: &u64| 8;
        assert_eq!(h.bytes_beyond(None, byte), (3 * CHUNK + 5) * 8, "alone, everything");
        let snapshot = h.clone();
        // A clone shares the sealed chunks; only the tail (never shared) is its own.
        assert_eq!(h.bytes_beyond(Some(&snapshot), byte), 5 * 8);
        // Far apart: once the window has moved past the snapshot's chunks, nothing is shared.
        for i in 0..(4 * CHUNK as u64) {
            h.push(1_000 + i);
        }
        h.drop_front(3 * CHUNK + 5);
        assert_eq!(h.bytes_beyond(Some(&snapshot), byte), h.bytes_beyond(None, byte));
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        /// Pushes, drops and edits (of the newest entry or any other) behave exactly like a `VecDeque`, and a
        /// clone taken midway is never changed by what the original does next.
        #[test]
        fn behaves_like_a_vecdeque(ops in proptest::collection::vec((0u8..5, 0usize..150), 1..200)) {
            let mut h: History<usize> = History::new();
            let mut v: VecDeque<usize> = VecDeque::new();
            let mut frozen: Option<(History<usize>, Vec<usize>)> = None;
            for (i, (op, n)) in ops.into_iter().enumerate() {
                match op {
                    0 | 1 => for k in 0..n { h.push(i * 1000 + k); v.push_back(i * 1000 + k); },
                    2 => { h.drop_front(n); for _ in 0..n.min(v.len()) { v.pop_front(); } }
                    3 if !v.is_empty() => {
                        // An edit anywhere (a request in flight) copies only its own chunk.
                        let j = n % v.len();
                        if frozen.is_none() { frozen = Some((h.clone(), v.iter().copied().collect())); }
                        *h.get_mut(j).unwrap() += 1_000_000;
                        v[j] += 1_000_000;
                        proptest::prop_assert!(h.get_mut(v.len()).is_none());
                    }
                    _ => {
                        if let (Some(a), Some(b)) = (h.last_mut(), v.back_mut()) { *a += 1; *b += 1; }
                        if frozen.is_none() { frozen = Some((h.clone(), v.iter().copied().collect())); }
                    }
                }
                proptest::prop_assert_eq!(h.len(), v.len());
                proptest::prop_assert!(h.iter().eq(v.iter()));
                proptest::prop_assert!(h.iter().rev().eq(v.iter().rev()));
                for j in [0, v.len() / 2, v.len().saturating_sub(1)] {
                    proptest::prop_assert_eq!(h.get(j), v.get(j));
                }
                let cut = v.len() / 3;
                proptest::prop_assert_eq!(h.partition_point(|x| v.iter().position(|y| y == x).unwrap() < cut), cut);
            }
            if let Some((f, expected)) = frozen {
                proptest::prop_assert_eq!(f.to_vec(), expected);
            }
        }
    }
}
