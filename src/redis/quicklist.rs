//! A list value as Redis 7.0 keeps it: the elements, and the quicklist nodes they are packed
//! into (`list-max-listpack-size -2`: listpacks of up to 8 KB). The list's own mutators keep the
//! nodes' sizes up to date, so a push or a pop recounts one node, not the list (issue 11: the
//! work of a write is that write's).
//!
//! Node boundaries follow `quicklist.c`:
//! - a push at either end goes into that end's node while `_quicklistNodeAllowInsert` allows,
//!   else into a new node there (`quicklistPushHead` / `quicklistPushTail`);
//! - a pop, LTRIM and LREM take the element out of its node and drop the node once empty
//!   (`quicklistDelIndex`, `quicklistDelRange`);
//! - LSET replaces the element inside its node (`quicklistReplaceEntry`);
//! - LINSERT goes into the pivot's node, or the neighbour at that edge, or a new node at that
//!   edge, or splits the full node at the pivot (`_quicklistInsert`; the merge of small
//!   neighbours that Redis tries after a split is not modelled);
//! - a list made whole (a snapshot loaded, `From`/`collect`) is packed from the head, as pushing
//!   its elements at the tail one by one would.
//!
//! Pure arithmetic over the elements: no clock, no randomness.

use std::collections::VecDeque;
use std::ops::Deref;

use super::memory::{je_size, lp_bytes, lp_str, quicklist_allows};

/// One quicklist node: how many elements it holds and its listpack's bytes (`node->sz`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Node {
    pub count: usize,
    pub bytes: usize,
}

/// A list's elements with their quicklist nodes. Reads go through `Deref` to the elements;
/// writes through the methods here, which keep the nodes current.
#[derive(Clone, Debug, Default)]
pub struct List {
    items: VecDeque<Vec<u8>>,
    /// Head to tail; their counts add up to `items.len()`, none is empty.
    nodes: VecDeque<Node>,
    /// The sum of the nodes' listpacks' jemalloc size classes (what they add to `used_memory`).
    lp_alloc: usize,
}

/// Two lists are equal when their elements are (the node boundaries are the allocator's
/// business, as in Redis, where they are invisible to commands).
impl PartialEq for List {
    fn eq(&self, other: &Self) -> bool {
        self.items == other.items
    }
}

impl Deref for List {
    type Target = VecDeque<Vec<u8>>;
    fn deref(&self) -> &Self::Target {
        &self.items
    }
}

impl From<VecDeque<Vec<u8>>> for List {
    /// Packs the elements from the head, as pushing them one by one at the tail would.
    fn from(items: VecDeque<Vec<u8>>) -> Self {
        let mut list = List::default();
        for e in items {
            list.push_back(e);
        }
        list
    }
}

impl FromIterator<Vec<u8>> for List {
    fn from_iter<I: IntoIterator<Item = Vec<u8>>>(iter: I) -> Self {
        let mut list = List::default();
        for e in iter {
            list.push_back(e);
        }
        list
    }
}

/// Changes `node`'s figures by one element of `entry` listpack bytes (added or taken), keeping
/// `lp_alloc` in step.
fn resize(lp_alloc: &mut usize, node: &mut Node, entry: usize, add: bool) {
    *lp_alloc -= je_size(node.bytes);
    if add {
        node.bytes += entry;
        node.count += 1;
    } else {
        node.bytes -= entry;
        node.count -= 1;
    }
    *lp_alloc += je_size(node.bytes);
}

impl List {
    pub fn new() -> Self {
        Self::default()
    }

    /// The quicklist nodes, head to tail.
    pub fn nodes(&self) -> impl ExactSizeIterator<Item = &Node> + Clone + '_ {
        self.nodes.iter()
    }

    /// The sum of the nodes' listpack allocations (jemalloc size classes).
    pub fn listpack_alloc(&self) -> usize {
        self.lp_alloc
    }

    /// A new node holding one element.
    fn single(e: &[u8]) -> Node {
        Node { count: 1, bytes: lp_bytes(lp_str(e)) }
    }

    pub fn push_back(&mut self, e: Vec<u8>) {
        match self.nodes.back_mut() {
            Some(n) if quicklist_allows(n.bytes, e.len()) => resize(&mut self.lp_alloc, n, lp_str(&e), true),
            _ => {
                let n = Self::single(&e);
                self.lp_alloc += je_size(n.bytes);
                self.nodes.push_back(n);
            }
        }
        self.items.push_back(e);
    }

    pub fn push_front(&mut self, e: Vec<u8>) {
        match self.nodes.front_mut() {
            Some(n) if quicklist_allows(n.bytes, e.len()) => resize(&mut self.lp_alloc, n, lp_str(&e), true),
            _ => {
                let n = Self::single(&e);
                self.lp_alloc += je_size(n.bytes);
                self.nodes.push_front(n);
            }
        }
        self.items.push_front(e);
    }

    pub fn pop_back(&mut self) -> Option<Vec<u8>> {
        let e = self.items.pop_back()?;
        let n = self.nodes.back_mut().expect("a list with elements has a node");
        resize(&mut self.lp_alloc, n, lp_str(&e), false);
        if n.count == 0 {
            self.lp_alloc -= je_size(n.bytes);
            self.nodes.pop_back();
        }
        Some(e)
    }

    pub fn pop_front(&mut self) -> Option<Vec<u8>> {
        let e = self.items.pop_front()?;
        let n = self.nodes.front_mut().expect("a list with elements has a node");
        resize(&mut self.lp_alloc, n, lp_str(&e), false);
        if n.count == 0 {
            self.lp_alloc -= je_size(n.bytes);
            self.nodes.pop_front();
        }
        Some(e)
    }

    /// Removes every element.
    pub fn clear(&mut self) {
        self.items.clear();
        self.nodes.clear();
        self.lp_alloc = 0;
    }

    /// LTRIM: keeps elements `start..=end` (a range already clamped to the list), dropping the
    /// others from both ends.
    pub fn trim(&mut self, start: usize, end: usize) {
        let tail = self.items.len().saturating_sub(end + 1);
        for _ in 0..tail {
            self.pop_back();
        }
        for _ in 0..start.min(self.items.len()) {
            self.pop_front();
        }
    }

    /// The node holding element `i` (< len): its position in `nodes` and its first element's
    /// index. Walks the nodes from the nearer end.
    fn locate(&self, i: usize) -> (usize, usize) {
        debug_assert!(i < self.items.len());
        if i < self.items.len() / 2 {
            let mut start = 0;
            for (k, n) in self.nodes.iter().enumerate() {
                if i < start + n.count {
                    return (k, start);
                }
                start += n.count;
            }
        } else {
            let mut end = self.items.len();
            for (k, n) in self.nodes.iter().enumerate().rev() {
                let start = end - n.count;
                if i >= start {
                    return (k, start);
                }
                end = start;
            }
        }
        unreachable!("node counts add up to the list's length")
    }

    /// LSET: replaces element `i` (< len) inside its node; returns the old element.
    pub fn set(&mut self, i: usize, e: Vec<u8>) -> Vec<u8> {
        let (k, _) = self.locate(i);
        let old = std::mem::replace(&mut self.items[i], e);
        let n = &mut self.nodes[k];
        self.lp_alloc -= je_size(n.bytes);
        n.bytes = n.bytes - lp_str(&old) + lp_str(&self.items[i]);
        self.lp_alloc += je_size(n.bytes);
        old
    }

    /// LINSERT: puts `e` right after (or before) the element at `pivot` (< len), choosing its
    /// node as `_quicklistInsert` does.
    pub fn insert_at(&mut self, pivot: usize, after: bool, e: Vec<u8>) {
        let (k, start) = self.locate(pivot);
        let node = self.nodes[k];
        let offset = pivot - start;
        let at = if after { pivot + 1 } else { pivot };
        let entry = lp_str(&e);
        let full = !quicklist_allows(node.bytes, e.len());
        let at_tail = after && offset + 1 == node.count;
        let at_head = !after && offset == 0;
        let next = if at_tail { k.checked_add(1).filter(|&j| j < self.nodes.len()) } else { None };
        let prev = if at_head { k.checked_sub(1) } else { None };
        let fits = |j: Option<usize>, nodes: &VecDeque<Node>| j.filter(|&j| quicklist_allows(nodes[j].bytes, e.len()));
        if !full {
            resize(&mut self.lp_alloc, &mut self.nodes[k], entry, true);
        } else if let Some(j) = fits(next, &self.nodes).or(fits(prev, &self.nodes)) {
            resize(&mut self.lp_alloc, &mut self.nodes[j], entry, true);
        } else if at_tail || at_head {
            let n = Self::single(&e);
            self.lp_alloc += je_size(n.bytes);
            self.nodes.insert(if at_tail { k + 1 } else { k }, n);
        } else {
            // `_quicklistSplitNode`: after the pivot, the node keeps the elements up to it and a
            // new node takes `e` and the rest; before it, a new node takes the elements before
            // the pivot and `e`, and the node keeps the rest.
            let (lo, hi) = if after { (start, pivot + 1) } else { (start, pivot) };
            let head_count = hi - lo;
            let head_bytes = lp_bytes(self.items.range(lo..hi).map(|x| lp_str(x)).sum());
            let tail = Node { count: node.count - head_count, bytes: node.bytes - (head_bytes - lp_bytes(0)) };
            let head = Node { count: head_count, bytes: head_bytes };
            let (mut head, mut tail) = (head, tail);
            if after {
                tail.count += 1;
                tail.bytes += entry;
            } else {
                head.count += 1;
                head.bytes += entry;
            }
            self.lp_alloc = self.lp_alloc - je_size(node.bytes) + je_size(head.bytes) + je_size(tail.bytes);
            self.nodes[k] = head;
            self.nodes.insert(k + 1, tail);
        }
        self.items.insert(at, e);
    }

    /// LREM: removes element `i` (< len) from its node, dropping the node once empty
    /// (`quicklistDelIndex`); returns it.
    pub fn remove(&mut self, i: usize) -> Option<Vec<u8>> {
        if i >= self.items.len() {
            return None;
        }
        let (k, _) = self.locate(i);
        let e = self.items.remove(i)?;
        let n = &mut self.nodes[k];
        resize(&mut self.lp_alloc, n, lp_str(&e), false);
        if n.count == 0 {
            self.lp_alloc -= je_size(n.bytes);
            self.nodes.remove(k);
        }
        Some(e)
    }

    /// The nodes recounted from the elements under the same boundaries (the figures the
    /// mutators keep, computed from scratch), and their listpack allocation.
    pub fn recounted_nodes(&self) -> (Vec<Node>, usize) {
        let mut out = Vec::with_capacity(self.nodes.len());
        let mut start = 0;
        for n in &self.nodes {
            let end = (start + n.count).min(self.items.len());
            let bytes = lp_bytes(self.items.range(start..end).map(|x| lp_str(x)).sum());
            out.push(Node { count: end - start, bytes });
            start = end;
        }
        let alloc = out.iter().map(|n| je_size(n.bytes)).sum();
        (out, alloc)
    }

    /// Whether the kept figures are those of [`List::recounted_nodes`] and cover every element
    /// with non-empty nodes; otherwise what differs.
    pub fn check_nodes(&self) -> Result<(), String> {
        let (nodes, alloc) = self.recounted_nodes();
        let covered: usize = self.nodes.iter().map(|n| n.count).sum();
        if covered != self.items.len() {
            return Err(format!("nodes hold {covered} elements, the list {}", self.items.len()));
        }
        if self.nodes.iter().any(|n| n.count == 0) {
            return Err(format!("an empty node in {:?}", self.nodes));
        }
        if nodes.iter().ne(self.nodes.iter()) || alloc != self.lp_alloc {
            return Err(format!("kept {:?} ({} B), recounted {nodes:?} ({alloc} B)", self.nodes, self.lp_alloc));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(i: usize) -> Vec<u8> {
        format!("element-{i}").into_bytes()
    }

    /// The packing `memory` used before the nodes were kept: greedy from the head.
    fn greedy(items: &VecDeque<Vec<u8>>) -> Vec<usize> {
        let mut nodes: Vec<usize> = Vec::new();
        for x in items {
            match nodes.last_mut() {
                Some(sz) if quicklist_allows(*sz, x.len()) => *sz += lp_str(x),
                _ => nodes.push(lp_bytes(lp_str(x))),
            }
        }
        nodes
    }

    #[test]
    fn tail_pushes_and_pops_pack_as_greedily_from_the_head() {
        let mut l = List::new();
        for i in 0..3000 {
            l.push_back(e(i));
        }
        for _ in 0..700 {
            l.pop_back();
        }
        l.check_nodes().unwrap();
        assert!(l.nodes().len() > 2, "several nodes: {:?}", l.nodes);
        assert_eq!(l.nodes().map(|n| n.bytes).collect::<Vec<_>>(), greedy(&l.items));
    }

    #[test]
    fn head_pushes_fill_the_head_node_as_quicklist_push_head_does() {
        let mut l = List::new();
        for i in 0..1000 {
            l.push_front(e(i));
        }
        l.check_nodes().unwrap();
        // The head node is the one still filling; every other is full.
        let counts: Vec<usize> = l.nodes().map(|n| n.count).collect();
        assert!(counts.len() >= 2);
        assert!(counts[0] < counts[1], "{counts:?}");
        let last = *counts.last().unwrap();
        assert!(counts[1..].iter().all(|&c| c == last), "{counts:?}");
    }

    #[test]
    fn linsert_into_a_full_node_splits_it_at_the_pivot() {
        let mut l: List = (0..2000).map(e).collect();
        let first = l.nodes[0];
        let long = vec![b'x'; 100];
        l.insert_at(10, true, long.clone());
        l.check_nodes().unwrap();
        assert_eq!(l.nodes[0].count, 11);
        assert_eq!(l.nodes[1].count, first.count - 11 + 1);
        assert_eq!(l[11], long);
        l.insert_at(0, false, b"y".to_vec());
        l.check_nodes().unwrap();
        assert_eq!(l[0], b"y");
        l.set(5, b"a much longer element than before".to_vec());
        l.trim(3, l.len() - 4);
        l.check_nodes().unwrap();
        while l.len() > 1 {
            let nodes = l.nodes().len();
            let first = l.nodes[0].count;
            l.remove(first / 2);
            l.check_nodes().unwrap();
            // Emptied nodes go; others only shrink, never merge.
            assert!(l.nodes().len() == nodes || (first == 1 && l.nodes().len() == nodes - 1));
        }
    }
}
