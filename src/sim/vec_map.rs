//! `VecMap<K, V>`: an ordered map kept as a sorted `Vec` of pairs, for the small maps of a model
//! (per node, per connection, per request in flight) that hold a handful of entries.
//!
//! It iterates in key order, as `BTreeMap` does, so swapping one for the other changes no output.
//! Its reason is size: every `BTreeMap<K, V>` instantiates its node code (insert, split, merge,
//! steal, remove, clone) again for each key/value type, about 5 KB of wasm each, while a sorted
//! `Vec` needs little more than a binary search per type. Lookups are O(log n) and inserts and
//! removals O(n): use it where n stays small (tens), never for a keyspace. `VecSet<T>` is the same
//! for sets.

use std::borrow::Borrow;

/// An ordered map over a sorted `Vec<(K, V)>`; the subset of `BTreeMap`'s API the models use.
#[derive(Clone, PartialEq, Eq)]
pub struct VecMap<K, V> {
    entries: Vec<(K, V)>,
}

/// Written as `BTreeMap`'s (`{k: v, …}`): a model's `Debug` text can reach a trace, whose digest
/// must not depend on which of the two holds the entries.
impl<K: std::fmt::Debug, V: std::fmt::Debug> std::fmt::Debug for VecMap<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.entries.iter().map(|(k, v)| (k, v))).finish()
    }
}

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        VecMap { entries: Vec::new() }
    }
}

impl<K: Ord, V> VecMap<K, V> {
    pub const fn new() -> Self {
        VecMap { entries: Vec::new() }
    }

    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }

    pub fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(move |i| &mut self.entries[i].1)
    }

    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(key).is_ok()
    }

    /// Inserts or replaces; the old value if there was one (as `BTreeMap::insert`).
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    pub fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| self.entries.remove(i).1)
    }

    /// The value at `key`, inserted from `value` first if absent (`entry(key).or_insert_with(value)`).
    pub fn get_or_insert_with(&mut self, key: K, value: impl FnOnce() -> V) -> &mut V {
        let i = match self.find(&key) {
            Ok(i) => i,
            Err(i) => {
                self.entries.insert(i, (key, value()));
                i
            }
        };
        &mut self.entries[i].1
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + ExactSizeIterator {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    pub fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = (&K, &mut V)> + ExactSizeIterator {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + ExactSizeIterator {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.entries.iter().map(|(_, v)| v)
    }
}

/// As `BTreeMap`'s: panics if `key` is absent.
impl<K: Ord + Borrow<Q>, Q: Ord + ?Sized, V> std::ops::Index<&Q> for VecMap<K, V> {
    type Output = V;
    fn index(&self, key: &Q) -> &V {
        self.get(key).expect("no entry found for key")
    }
}

impl<K, V> IntoIterator for VecMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a, K, V> IntoIterator for &'a VecMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

impl<'a, K, V> IntoIterator for &'a mut VecMap<K, V> {
    type Item = (&'a K, &'a mut V);
    type IntoIter = std::iter::Map<std::slice::IterMut<'a, (K, V)>, fn(&'a mut (K, V)) -> (&'a K, &'a mut V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }
}

/// As `BTreeMap`'s: the last value given for a key wins.
impl<K: Ord, V> FromIterator<(K, V)> for VecMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(items: I) -> Self {
        let mut map = VecMap::new();
        for (k, v) in items {
            map.insert(k, v);
        }
        map
    }
}

/// As `BTreeMap`'s: a later value for a key replaces the earlier one.
impl<K: Ord, V> Extend<(K, V)> for VecMap<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, items: I) {
        for (k, v) in items {
            self.insert(k, v);
        }
    }
}

/// Serialised as `BTreeMap`'s: a map, in key order.
impl<K: serde::Serialize, V: serde::Serialize> serde::Serialize for VecMap<K, V> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.entries.iter().map(|(k, v)| (k, v)))
    }
}

/// Read as `BTreeMap`'s: any map, the last value given for a key winning.
impl<'de, K: Ord + serde::Deserialize<'de>, V: serde::Deserialize<'de>> serde::Deserialize<'de> for VecMap<K, V> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries<K, V>(std::marker::PhantomData<(K, V)>);
        impl<'de, K: Ord + serde::Deserialize<'de>, V: serde::Deserialize<'de>> serde::de::Visitor<'de> for Entries<K, V> {
            type Value = VecMap<K, V>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut map = VecMap::new();
                while let Some((k, v)) = access.next_entry()? {
                    map.insert(k, v);
                }
                Ok(map)
            }
        }
        d.deserialize_map(Entries(std::marker::PhantomData))
    }
}

/// `VecMap` over a `VecDeque`: for tables of ids in flight (timers, messages), whose keys mostly
/// arrive in increasing order and leave from near either end. Inserting past the last key is a
/// push; removing shifts only the shorter side, so a first-in-first-out table of thousands stays
/// cheap where a `Vec` would move every entry. `Debug` is `BTreeMap`'s.
#[derive(Clone, PartialEq, Eq)]
pub struct DequeMap<K, V> {
    entries: std::collections::VecDeque<(K, V)>,
}

impl<K: std::fmt::Debug, V: std::fmt::Debug> std::fmt::Debug for DequeMap<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.entries.iter().map(|(k, v)| (k, v))).finish()
    }
}

impl<K, V> Default for DequeMap<K, V> {
    fn default() -> Self {
        DequeMap { entries: std::collections::VecDeque::new() }
    }
}

impl<K: Ord, V> DequeMap<K, V> {
    pub const fn new() -> Self {
        DequeMap { entries: std::collections::VecDeque::new() }
    }

    fn find(&self, key: &K) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.cmp(key))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn contains_key(&self, key: &K) -> bool {
        self.find(key).is_ok()
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }

    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.find(key).ok().map(move |i| &mut self.entries[i].1)
    }

    /// Inserts or replaces; the old value if there was one (as `BTreeMap::insert`).
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        if self.entries.back().is_none_or(|(last, _)| *last < key) {
            self.entries.push_back((key, value));
            return None;
        }
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    pub fn remove(&mut self, key: &K) -> Option<V> {
        let i = self.find(key).ok()?;
        self.entries.remove(i).map(|(_, v)| v)
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + ExactSizeIterator {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.entries.iter().map(|(_, v)| v)
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + ExactSizeIterator {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = (&K, &mut V)> + ExactSizeIterator {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }

    /// The entries within `bounds`, in order (as `BTreeMap::range`, but an empty or inverted range
    /// is empty rather than a panic).
    pub fn range<R: std::ops::RangeBounds<K>>(&self, bounds: R) -> impl DoubleEndedIterator<Item = (&K, &V)> {
        use std::ops::Bound::{Excluded, Included, Unbounded};
        let lo = match bounds.start_bound() {
            Included(s) => self.entries.partition_point(|(k, _)| k < s),
            Excluded(s) => self.entries.partition_point(|(k, _)| k <= s),
            Unbounded => 0,
        };
        let hi = match bounds.end_bound() {
            Included(e) => self.entries.partition_point(|(k, _)| k <= e),
            Excluded(e) => self.entries.partition_point(|(k, _)| k < e),
            Unbounded => self.entries.len(),
        };
        self.entries.range(lo..hi.max(lo)).map(|(k, v)| (k, v))
    }
}

/// As `BTreeMap`'s: panics if `key` is absent.
impl<K: Ord, V> std::ops::Index<&K> for DequeMap<K, V> {
    type Output = V;
    fn index(&self, key: &K) -> &V {
        self.get(key).expect("no entry found for key")
    }
}

/// `DequeMap`'s twin for sets (`BTreeSet`'s `Debug`): a stream consumer's pending ids.
#[derive(Clone, PartialEq, Eq)]
pub struct DequeSet<T> {
    map: DequeMap<T, ()>,
}

impl<T: std::fmt::Debug> std::fmt::Debug for DequeSet<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.map.entries.iter().map(|(k, _)| k)).finish()
    }
}

impl<T> Default for DequeSet<T> {
    fn default() -> Self {
        DequeSet { map: DequeMap::default() }
    }
}

impl<T: Ord> DequeSet<T> {
    pub const fn new() -> Self {
        DequeSet { map: DequeMap::new() }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn contains(&self, item: &T) -> bool {
        self.map.contains_key(item)
    }

    /// Whether `item` was new (as `BTreeSet::insert`).
    pub fn insert(&mut self, item: T) -> bool {
        self.map.insert(item, ()).is_none()
    }

    /// Whether `item` was there (as `BTreeSet::remove`).
    pub fn remove(&mut self, item: &T) -> bool {
        self.map.remove(item).is_some()
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator {
        self.map.keys()
    }

    /// The items within `bounds`, in order (as `BTreeSet::range`).
    pub fn range<R: std::ops::RangeBounds<T>>(&self, bounds: R) -> impl DoubleEndedIterator<Item = &T> {
        self.map.range(bounds).map(|(k, _)| k)
    }
}

impl<'a, T> IntoIterator for &'a DequeSet<T> {
    type Item = &'a T;
    type IntoIter = std::iter::Map<std::collections::vec_deque::Iter<'a, (T, ())>, fn(&'a (T, ())) -> &'a T>;
    fn into_iter(self) -> Self::IntoIter {
        self.map.entries.iter().map(|(k, _)| k)
    }
}

/// An ordered set over a sorted, deduplicated `Vec`: `VecMap`'s twin for sets, with the subset of
/// `BTreeSet`'s API the models use. Its `Debug` is `BTreeSet`'s (`{a, b}`).
#[derive(Clone, PartialEq, Eq)]
pub struct VecSet<T> {
    items: Vec<T>,
}

impl<T: std::fmt::Debug> std::fmt::Debug for VecSet<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(&self.items).finish()
    }
}

impl<T> Default for VecSet<T> {
    fn default() -> Self {
        VecSet { items: Vec::new() }
    }
}

impl<T: Ord> VecSet<T> {
    pub const fn new() -> Self {
        VecSet { items: Vec::new() }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn contains(&self, item: &T) -> bool {
        self.items.binary_search(item).is_ok()
    }

    /// Whether `item` was new (as `BTreeSet::insert`).
    pub fn insert(&mut self, item: T) -> bool {
        match self.items.binary_search(&item) {
            Ok(_) => false,
            Err(i) => {
                self.items.insert(i, item);
                true
            }
        }
    }

    /// Whether `item` was there (as `BTreeSet::remove`).
    pub fn remove(&mut self, item: &T) -> bool {
        match self.items.binary_search(item) {
            Ok(i) => {
                self.items.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    pub fn first(&self) -> Option<&T> {
        self.items.first()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }
}

impl<'a, T> IntoIterator for &'a VecSet<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn behaves_as_a_btree_map_over_a_random_sequence_of_operations() {
        let mut rng = crate::sim::SimRng::new(7);
        let (mut ours, mut theirs) = (VecMap::new(), BTreeMap::new());
        for step in 0..5_000u64 {
            let k = rng.range_inclusive(0, 40);
            match rng.range_inclusive(0, 5) {
                0 | 1 => assert_eq!(ours.insert(k, step), theirs.insert(k, step)),
                2 => assert_eq!(ours.remove(&k), theirs.remove(&k)),
                3 => {
                    *ours.get_or_insert_with(k, || step) += 1;
                    *theirs.entry(k).or_insert_with(|| step) += 1;
                }
                4 => {
                    ours.retain(|k, v| (k + *v) % 7 != 0);
                    theirs.retain(|k, v| (k + *v) % 7 != 0);
                }
                _ => assert_eq!(ours.get_mut(&k), theirs.get_mut(&k)),
            }
            assert_eq!(
                (ours.len(), ours.contains_key(&k), ours.get(&k)),
                (theirs.len(), theirs.contains_key(&k), theirs.get(&k))
            );
            assert!(ours.iter().eq(theirs.iter()));
        }
        let pairs = [(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd')];
        let ours: VecMap<_, _> = pairs.into_iter().collect();
        let theirs: BTreeMap<_, _> = pairs.into_iter().collect();
        assert!(ours.iter().eq(theirs.iter()));
        assert!(ours.keys().rev().eq(theirs.keys().rev()));
        assert_eq!(format!("{ours:?}"), format!("{theirs:?}"));
        assert_eq!(format!("{ours:#?}"), format!("{theirs:#?}"));
    }

    #[test]
    fn serialises_and_reads_back_as_a_btree_map_does() {
        let pairs = [("b".to_string(), 2u64), ("a".to_string(), 1), ("c".to_string(), 3)];
        let ours: VecMap<_, _> = pairs.iter().cloned().collect();
        let theirs: BTreeMap<_, _> = pairs.iter().cloned().collect();
        assert_eq!(serde_json::to_string(&ours).unwrap(), serde_json::to_string(&theirs).unwrap());
        for text in [r#"{"b":2,"a":1,"b":5}"#, "{}", r#"{"a":1"#, "[1]", r#"{"a":"x"}"#] {
            let ours = serde_json::from_str::<VecMap<String, u64>>(text).map_err(|e| e.to_string());
            let theirs = serde_json::from_str::<BTreeMap<String, u64>>(text).map_err(|e| e.to_string());
            assert_eq!(ours.map(|m| format!("{m:?}")), theirs.map(|m| format!("{m:?}")), "{text}");
        }
        let mut ours = ours;
        let mut theirs = theirs;
        ours.extend([("a".to_string(), 9), ("d".to_string(), 4)]);
        theirs.extend([("a".to_string(), 9), ("d".to_string(), 4)]);
        assert!(ours.iter().eq(theirs.iter()));
    }

    #[test]
    fn deque_map_behaves_as_a_btree_map_over_mostly_increasing_keys() {
        let mut rng = crate::sim::SimRng::new(13);
        let (mut ours, mut theirs) = (DequeMap::new(), BTreeMap::new());
        let mut next = 0u64;
        for step in 0..5_000u64 {
            // New ids mostly, some old ones again (a held timer re-queued), removals anywhere.
            let k = match rng.range_inclusive(0, 9) {
                0..=3 => {
                    next += 1;
                    next
                }
                4 => rng.range_inclusive(0, next),
                _ => next.saturating_sub(rng.range_inclusive(0, 30)),
            };
            match rng.range_inclusive(0, 2) {
                0 | 1 => assert_eq!(ours.insert(k, step), theirs.insert(k, step)),
                _ => assert_eq!(ours.remove(&k), theirs.remove(&k)),
            }
            if let (Some(a), Some(b)) = (ours.get_mut(&k), theirs.get_mut(&k)) {
                *a += 1;
                *b += 1;
            }
            assert_eq!(
                (ours.len(), ours.is_empty(), ours.contains_key(&k), ours.get(&k)),
                (theirs.len(), theirs.is_empty(), theirs.contains_key(&k), theirs.get(&k))
            );
            assert!(ours.iter().eq(theirs.iter()));
            assert!(ours.values().eq(theirs.values()));
        }
        assert_eq!(format!("{ours:?}"), format!("{theirs:?}"));
        assert_eq!(format!("{ours:#?}"), format!("{theirs:#?}"));
        for from in [0, 1, next / 2, next, next + 1] {
            assert!(ours.range(from..).eq(theirs.range(from..)), "{from}");
            assert!(ours.range(..=from).rev().eq(theirs.range(..=from).rev()), "{from}");
            assert!(ours.range(..from).eq(theirs.range(..from)), "{from}");
            let after = (std::ops::Bound::Excluded(from), std::ops::Bound::Unbounded);
            assert!(ours.range(after).eq(theirs.range(after)), "{from}");
            if from <= next {
                assert!(ours.range(from..=next).eq(theirs.range(from..=next)), "{from}");
            }
        }
        for (_, v) in ours.iter_mut() {
            *v += 1;
        }
        for (_, v) in theirs.iter_mut() {
            *v += 1;
        }
        assert!(ours.iter().eq(theirs.iter()));
        assert!(ours.keys().rev().eq(theirs.keys().rev()));
        if let Some(k) = theirs.keys().next() {
            assert_eq!(ours[k], theirs[k]);
        }
    }

    #[test]
    fn deque_set_behaves_as_a_btree_set() {
        let mut rng = crate::sim::SimRng::new(17);
        let (mut ours, mut theirs) = (DequeSet::new(), std::collections::BTreeSet::new());
        let mut next = 0u64;
        for _ in 0..5_000u64 {
            let k = if rng.range_inclusive(0, 2) == 0 {
                next += 1;
                next
            } else {
                rng.range_inclusive(0, next)
            };
            match rng.range_inclusive(0, 2) {
                0 | 1 => assert_eq!(ours.insert(k), theirs.insert(k)),
                _ => assert_eq!(ours.remove(&k), theirs.remove(&k)),
            }
            assert_eq!(
                (ours.len(), ours.is_empty(), ours.contains(&k)),
                (theirs.len(), theirs.is_empty(), theirs.contains(&k))
            );
            assert!(ours.iter().eq(theirs.iter()));
            assert!((&ours).into_iter().rev().eq(theirs.iter().rev()));
            assert!(ours.range(k..).eq(theirs.range(k..)));
        }
        assert_eq!(format!("{ours:?}"), format!("{theirs:?}"));
        assert_eq!(format!("{ours:#?}"), format!("{theirs:#?}"));
    }

    #[test]
    fn vec_set_behaves_as_a_btree_set_over_a_random_sequence_of_operations() {
        let mut rng = crate::sim::SimRng::new(11);
        let (mut ours, mut theirs) = (VecSet::new(), std::collections::BTreeSet::new());
        for _ in 0..5_000u64 {
            let k = (rng.range_inclusive(0, 30), rng.range_inclusive(0, 3));
            match rng.range_inclusive(0, 2) {
                0 | 1 => assert_eq!(ours.insert(k), theirs.insert(k)),
                _ => assert_eq!(ours.remove(&k), theirs.remove(&k)),
            }
            assert_eq!(
                (ours.len(), ours.is_empty(), ours.contains(&k), ours.first()),
                (theirs.len(), theirs.is_empty(), theirs.contains(&k), theirs.first())
            );
            assert!(ours.iter().eq(theirs.iter()));
        }
        assert_eq!(format!("{ours:?}"), format!("{theirs:?}"));
        assert_eq!(format!("{ours:#?}"), format!("{theirs:#?}"));
    }
}
