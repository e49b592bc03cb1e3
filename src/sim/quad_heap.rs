//! A 4-ary min-heap of `u64` keys for simulation loops that replace their earliest event at every
//! step: half the depth of a binary heap and a branch-free choice among siblings. The backoff
//! contention experiment packs (time, client) into each key, so keys are unique and the pop order
//! is the same as any other min-queue's; with equal keys the order among them is unspecified.
//! Pure: no clock, no entropy.

/// A 4-ary min-heap of `u64` keys.
#[derive(Clone, Debug, Default)]
pub struct QuadHeap {
    a: Vec<u64>,
}

impl QuadHeap {
    pub fn with_capacity(n: usize) -> Self {
        QuadHeap { a: Vec::with_capacity(n) }
    }
    #[inline]
    pub fn peek(&self) -> Option<u64> {
        self.a.first().copied()
    }
    pub fn push(&mut self, key: u64) {
        let mut pos = self.a.len();
        self.a.push(key);
        while pos > 0 {
            let parent = (pos - 1) / 4;
            if self.a[parent] <= key {
                break;
            }
            self.a[pos] = self.a[parent];
            pos = parent;
        }
        self.a[pos] = key;
    }
    /// Replaces the smallest key with `key` (the heap must not be empty).
    #[inline]
    pub fn replace_top(&mut self, key: u64) {
        self.sift_down(0, key);
    }
    pub fn pop(&mut self) {
        if let Some(last) = self.a.pop() {
            if !self.a.is_empty() {
                self.sift_down(0, last);
            }
        }
    }
    #[inline]
    fn sift_down(&mut self, mut pos: usize, key: u64) {
        let a = &mut self.a;
        let n = a.len();
        loop {
            let c = 4 * pos + 1;
            if c >= n {
                break;
            }
            let (m, mv) = if c + 3 < n {
                let (i1, v1) = if a[c + 1] < a[c] { (c + 1, a[c + 1]) } else { (c, a[c]) };
                let (i2, v2) = if a[c + 3] < a[c + 2] { (c + 3, a[c + 3]) } else { (c + 2, a[c + 2]) };
                if v2 < v1 {
                    (i2, v2)
                } else {
                    (i1, v1)
                }
            } else {
                let (mut m, mut mv) = (c, a[c]);
                for (j, &v) in a.iter().enumerate().take(n).skip(c + 1) {
                    if v < mv {
                        m = j;
                        mv = v;
                    }
                }
                (m, mv)
            };
            if mv >= key {
                break;
            }
            a[pos] = mv;
            pos = m;
        }
        a[pos] = key;
    }
}

impl QuadHeap {
    pub fn len(&self) -> usize {
        self.a.len()
    }
    pub fn is_empty(&self) -> bool {
        self.a.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::SimRng;

    #[test]
    fn quad_heap_pops_in_order() {
        let mut r = SimRng::new(5);
        let mut h = QuadHeap::default();
        let mut model: Vec<u64> = Vec::new();
        for step in 0..5000u64 {
            let k = (r.below(1000) << 20) | step;
            match r.below(3) {
                0 if !model.is_empty() => {
                    h.pop();
                    model.remove(0);
                }
                1 if !model.is_empty() => {
                    h.replace_top(k);
                    model.remove(0);
                    model.push(k);
                    model.sort_unstable();
                }
                _ => {
                    h.push(k);
                    model.push(k);
                    model.sort_unstable();
                }
            }
            assert_eq!(h.peek(), model.first().copied());
        }
    }

    #[test]
    fn empty_heap_is_safe() {
        let mut h = QuadHeap::with_capacity(4);
        assert_eq!(h.peek(), None);
        h.pop();
        assert!(h.is_empty());
        for k in [5, 3, 9, 1, 7] {
            h.push(k);
        }
        assert_eq!(h.len(), 5);
        let mut out = Vec::new();
        while let Some(k) = h.peek() {
            out.push(k);
            h.pop();
        }
        assert_eq!(out, vec![1, 3, 5, 7, 9]);
    }
}
