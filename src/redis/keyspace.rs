//! The keyspace's table: keys and values in a `Vec` (insertion order, O(1) access by position for
//! RANDOMKEY), found through a `hashbrown::HashTable` of `u32` positions, with a fixed, portable
//! hash function. This is `IndexMap` without the stored hash and without its habit of reserving
//! entry capacity to match the index table: 1 M string keys cost ~81 heap bytes each instead of
//! ~127, under Redis's own ~88 (see `sim redis-bench`). Each table slot keeps 32 bits of the
//! key's hash next to the position, so probes rarely touch key bytes and growth never re-reads
//! keys.
//!
//! Deterministic by construction: iteration order is insertion order with `swap_remove`, and the
//! hash is the same on every platform, so nothing here depends on a random seed or the target.

use std::hash::{BuildHasherDefault, Hasher};

use hashbrown::HashTable;

use super::memory::{self, KeyMeta};
use super::value::Value;

/// A fast, fixed (unseeded) hasher: FxHash-style mixing over 8-byte words. The playground's keys
/// come from its own user, so hash flooding is not a concern here.
#[derive(Clone, Copy, Debug, Default)]
pub struct FastHasher(u64);

const K: u64 = 0xf135_7aea_2e62_a9c5;

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.wrapping_add(word)).wrapping_mul(K);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf) ^ ((rest.len() as u64) << 59));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        // Same value on 32- and 64-bit targets.
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // The multiply only mixes upwards; a full avalanche (murmur3's fmix64) makes every output
        // bit depend on every input bit, so any 32 bits of the hash are good table bits.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// `BuildHasher` for every map and set in the store.
pub type FastBuild = BuildHasherDefault<FastHasher>;
pub type Map<K, V> = indexmap::IndexMap<K, V, FastBuild>;
pub type Set<T> = indexmap::IndexSet<T, FastBuild>;

#[inline]
pub fn hash_bytes(b: &[u8]) -> u64 {
    let mut h = FastHasher::default();
    h.write(b);
    h.finish()
}

/// A table slot: the entry's position (low 32 bits) and 32 bits of its key's hash (high 32 bits),
/// so probing compares hashes before touching key bytes and growth never re-reads the keys.
type Slot = u64;

#[inline]
fn slot(index: usize, h32: u32) -> Slot {
    (u64::from(h32) << 32) | index as u64
}
#[inline]
fn slot_index(s: Slot) -> usize {
    (s & 0xffff_ffff) as usize
}
#[inline]
fn slot_h32(s: Slot) -> u32 {
    (s >> 32) as u32
}
/// The table's 64-bit hash from the stored 32 bits (a bijective spread, so hashbrown's position
/// and control bits are both well mixed).
#[inline]
fn spread(h32: u32) -> u64 {
    u64::from(h32).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}
#[inline]
fn h32_of(key: &[u8]) -> u32 {
    (hash_bytes(key) >> 32) as u32
}

#[derive(Clone, Debug, Default)]
pub struct Keyspace {
    entries: Vec<(Box<[u8]>, Value)>,
    table: HashTable<Slot>,
    /// Beside each entry (same position): its LRU/LFU field, its bytes and encoding facts.
    meta: Vec<KeyMeta>,
    /// Sum of every entry's `meta.alloc` (what the keys add to `used_memory`).
    alloc_total: u64,
    /// What the limit check last knew of these values as a whole (`redis::limits`: an upper
    /// bound on their cost and on their longest string). Every method that can add to a key or a
    /// value forgets it; a removal subtracts the removed key's cost; only the limit check sets it.
    /// Carried along when databases swap.
    tally: Option<super::limits_fast::Tally>,
}

impl Keyspace {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    fn position(&self, key: &[u8]) -> Option<usize> {
        let entries = &self.entries;
        let h = h32_of(key);
        self.table.find(spread(h), |&s| slot_h32(s) == h && &*entries[slot_index(s)].0 == key).map(|&s| slot_index(s))
    }
    pub fn get(&self, key: &[u8]) -> Option<&Value> {
        self.position(key).map(|i| &self.entries[i].1)
    }
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Value> {
        self.tally = None;
        self.position(key).map(|i| &mut self.entries[i].1)
    }
    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.position(key).is_some()
    }
    /// Inserts or replaces; returns the previous value. A new object: its encoding flags start
    /// from its contents; a replaced key keeps its LRU/LFU field (the caller refreshes it).
    pub fn insert(&mut self, key: &[u8], value: Value) -> Option<Value> {
        let flags = memory::fresh_flags(&value);
        self.insert_with(key, value, |old| KeyMeta { lru: old.map_or(0, |m| m.lru), alloc: 0, flags })
    }
    /// Inserts keeping the object's own meta (RENAME, MOVE: the same object under a new name).
    pub fn insert_moved(&mut self, key: &[u8], value: Value, meta: KeyMeta) -> Option<Value> {
        self.insert_with(key, value, |_| meta)
    }
    fn insert_with(
        &mut self,
        key: &[u8],
        value: Value,
        meta: impl FnOnce(Option<KeyMeta>) -> KeyMeta,
    ) -> Option<Value> {
        self.tally = None;
        let h = h32_of(key);
        let Keyspace { entries, table, meta: metas, .. } = self;
        let (i, old) = match table.find(spread(h), |&s| slot_h32(s) == h && &*entries[slot_index(s)].0 == key) {
            Some(&s) => {
                let i = slot_index(s);
                let old = std::mem::replace(&mut entries[i].1, value);
                metas[i] = KeyMeta { alloc: metas[i].alloc, ..meta(Some(metas[i])) };
                (i, Some(old))
            }
            None => {
                let i = entries.len();
                assert!(i < u32::MAX as usize, "fewer than 2^32 keys");
                entries.push((key.into(), value));
                metas.push(meta(None));
                table.insert_unique(spread(h), slot(i, h), |&s| spread(slot_h32(s)));
                (i, None)
            }
        };
        self.recount(i);
        old
    }
    /// Recomputes entry `i`'s bytes from its value and flags.
    fn recount(&mut self, i: usize) {
        let (k, v) = &self.entries[i];
        let alloc = u32::try_from(memory::entry_alloc(k, v, self.meta[i].flags)).unwrap_or(u32::MAX);
        let m = &mut self.meta[i];
        self.alloc_total = self.alloc_total - u64::from(m.alloc) + u64::from(alloc);
        m.alloc = alloc;
    }
    /// After the value of `key` changed in place: a conversion to the big encoding is recorded
    /// (it sticks), `extra` flags are added, and the bytes are counted again.
    pub fn refresh(&mut self, key: &[u8], extra: u8) {
        if let Some(i) = self.position(key) {
            let m = &mut self.meta[i];
            if m.flags & memory::ENC_BIG == 0 && memory::needs_big(&self.entries[i].1) {
                m.flags |= memory::ENC_BIG;
            }
            m.flags |= extra;
            self.recount(i);
        }
    }
    /// Gives `key` another object's LRU field and encoding flags (RENAME moves the object).
    pub fn adopt(&mut self, key: &[u8], from: KeyMeta) {
        if let Some(i) = self.position(key) {
            self.meta[i].lru = from.lru;
            self.meta[i].flags = from.flags;
            self.recount(i);
        }
    }
    /// A key's meta.
    pub fn meta(&self, key: &[u8]) -> Option<KeyMeta> {
        self.position(key).map(|i| self.meta[i])
    }
    /// Sets a key's LRU/LFU field.
    pub fn set_lru(&mut self, key: &[u8], lru: u32) {
        if let Some(i) = self.position(key) {
            self.meta[i].lru = lru;
        }
    }
    /// The meta of the entry at position `i`.
    pub fn meta_at(&self, i: usize) -> Option<KeyMeta> {
        self.meta.get(i).copied()
    }
    /// Bytes all keys add to `used_memory` (entries and values; the bucket array is the caller's).
    pub fn alloc_total(&self) -> u64 {
        self.alloc_total
    }
    /// Removes a key, moving the last entry into its place (like `IndexMap::swap_remove`).
    pub fn swap_remove(&mut self, key: &[u8]) -> Option<Value> {
        self.swap_remove_meta(key).map(|(v, _)| v)
    }
    /// [`Keyspace::swap_remove`] that also returns the object's meta.
    pub fn swap_remove_meta(&mut self, key: &[u8]) -> Option<(Value, KeyMeta)> {
        let Keyspace { entries, table, .. } = self;
        let h = h32_of(key);
        let found = table.find_entry(spread(h), |&s| slot_h32(s) == h && &*entries[slot_index(s)].0 == key).ok()?;
        let (removed, _) = found.remove();
        let i = slot_index(removed);
        let last = entries.len() - 1;
        if i != last {
            let moved_h = h32_of(&entries[last].0);
            if let Some(s) = table.find_mut(spread(moved_h), |&s| slot_index(s) == last) {
                *s = slot(i, moved_h);
            }
        }
        let (k, v) = entries.swap_remove(i);
        let m = self.meta.swap_remove(i);
        self.alloc_total -= u64::from(m.alloc);
        // The tally bounds the values' cost from above: less this key's own cost it still does
        // (a removal reads only what it removes, so an expiring key does not cost a recount).
        if let Some(t) = &mut self.tally {
            t.cost = t.cost.saturating_sub(super::limits::value_cost(&k, &v));
        }
        Some((v, m))
    }
    /// The entry at position `i` in iteration order.
    pub fn get_index(&self, i: usize) -> Option<(&[u8], &Value)> {
        self.entries.get(i).map(|(k, v)| (&**k, v))
    }
    pub fn iter(&self) -> impl Iterator<Item = (&Box<[u8]>, &Value)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }
    pub fn keys(&self) -> impl Iterator<Item = &Box<[u8]>> {
        self.entries.iter().map(|(k, _)| k)
    }
    pub fn clear(&mut self) {
        self.entries.clear();
        self.table.clear();
        self.meta.clear();
        self.alloc_total = 0;
        self.tally = None;
    }
    /// Whether every key's kept bytes are what [`memory::entry_alloc_from_scratch`] counts
    /// from its value, and their sum is `alloc_total`; otherwise the first difference.
    pub fn check_alloc(&self) -> Result<(), String> {
        let mut total = 0u64;
        for ((k, v), m) in self.entries.iter().zip(&self.meta) {
            if let Value::List(l) = v {
                l.check_nodes().map_err(|e| format!("{}: {e}", String::from_utf8_lossy(k)))?;
            }
            let scratch = u32::try_from(memory::entry_alloc_from_scratch(k, v, m.flags)).unwrap_or(u32::MAX);
            if scratch != m.alloc {
                return Err(format!("{}: kept {} B, counted {scratch} B", String::from_utf8_lossy(k), m.alloc));
            }
            total += u64::from(m.alloc);
        }
        if total != self.alloc_total {
            return Err(format!("keys sum to {total} B, the total kept is {} B", self.alloc_total));
        }
        Ok(())
    }
    /// What the limit check last recorded of these values, if nothing changed them since.
    pub(crate) fn tally(&self) -> Option<super::limits_fast::Tally> {
        self.tally
    }
    /// Records what the limit check knows of these values now (see [`Keyspace::tally`]).
    pub(crate) fn set_tally(&mut self, tally: Option<super::limits_fast::Tally>) {
        self.tally = tally;
    }
}

impl<'a> IntoIterator for &'a Keyspace {
    type Item = (&'a Box<[u8]>, &'a Value);
    type IntoIter = Box<dyn Iterator<Item = (&'a Box<[u8]>, &'a Value)> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_an_insertion_ordered_map_with_swap_remove() {
        let mut k = Keyspace::new();
        for i in 0..1000u32 {
            assert!(k.insert(format!("k{i}").as_bytes(), Value::str(i.to_string())).is_none());
        }
        assert!(k.insert(b"k5", Value::str("five")).is_some());
        assert_eq!(k.get(b"k5"), Some(&Value::str("five")));
        for i in (0..1000u32).step_by(3) {
            assert!(k.swap_remove(format!("k{i}").as_bytes()).is_some());
        }
        assert!(k.swap_remove(b"k0").is_none());
        assert_eq!(k.len(), 666);
        for i in 0..1000u32 {
            let present = k.get(format!("k{i}").as_bytes()).is_some();
            assert_eq!(present, i % 3 != 0, "k{i}");
        }
        // Every position is reachable and maps back to its own key.
        for i in 0..k.len() {
            let (key, _) = k.get_index(i).unwrap();
            assert_eq!(k.position(key), Some(i));
        }
        // The hash is pinned: it decides nothing visible, but it must not vary by platform.
        assert_eq!(hash_bytes(b"key:1"), hash_bytes(b"key:1"));
        expect_test::expect!["11059985054221660913"].assert_eq(&hash_bytes(b"key:123456").to_string());
    }
}

/// The bytes each key adds to `used_memory` are kept as commands change values in place (lists
/// and sorted sets keep running figures, `Keyspace::refresh` reads them); here they are held to
/// a recount from scratch after every command of random write sequences.
#[cfg(test)]
mod alloc_tests {
    use crate::redis::table::random_lines::{any_write, argv, write_commands};
    use crate::redis::{Limits, Store};
    use crate::sim::{SimDuration, SimRng, SimTime};

    /// Elements short and long: 1000- and 3000-byte ones fill a list's 8 KB nodes within a few
    /// pushes, 70-byte ones convert hashes and sorted sets to their big encodings, words that
    /// are not integers convert intsets.
    fn word(rng: &mut SimRng) -> String {
        match rng.index(14) {
            0 => "x".repeat(1000),
            1 => "y".repeat(3000),
            2 => "v".repeat(70),
            3 => "-1".into(),
            4 => "3.5".into(),
            5 => "12345678901".into(),
            6 => "abc".into(),
            i => (i * 7).to_string(),
        }
    }

    fn random_command(rng: &mut SimRng, writes: &[&'static str]) -> Vec<Vec<u8>> {
        const KEYS: &[&str] = &["l", "m", "s", "h", "z", "t"];
        let key = |rng: &mut SimRng| KEYS[rng.index(KEYS.len())].to_string();
        let words = |rng: &mut SimRng, n: usize| (0..n).map(|_| word(rng)).collect::<Vec<_>>().join(" ");
        let n = 1 + rng.index(6);
        let idx = |rng: &mut SimRng| ["0", "1", "-1", "2", "-3", "7", "40"][rng.index(7)].to_string();
        let many = |rng: &mut SimRng, count: usize, f: &dyn Fn(usize, &mut SimRng) -> String| {
            (0..count).map(|i| f(i, rng)).collect::<Vec<_>>().join(" ")
        };
        let line = match rng.index(40) {
            0 | 1 => format!("RPUSH {} {}", key(rng), words(rng, n)),
            2 | 3 => format!("LPUSH {} {}", key(rng), words(rng, n)),
            4 | 5 => format!("{} {} {}", ["RPUSH", "LPUSH"][rng.index(2)], key(rng), words(rng, 40)),
            6 => format!("{} {} {}", ["LPOP", "RPOP"][rng.index(2)], key(rng), n),
            7 => format!("LSET {} {} {}", key(rng), idx(rng), word(rng)),
            8 => format!("LINSERT {} {} {} {}", key(rng), ["BEFORE", "AFTER"][rng.index(2)], word(rng), word(rng)),
            9 => format!("LTRIM {} {} {}", key(rng), idx(rng), idx(rng)),
            10 => format!("LREM {} {} {}", key(rng), idx(rng), word(rng)),
            11 => format!(
                "LMOVE {} {} {} {}",
                key(rng),
                key(rng),
                ["LEFT", "RIGHT"][rng.index(2)],
                ["LEFT", "RIGHT"][rng.index(2)]
            ),
            12 => format!("SADD {} {}", key(rng), words(rng, n)),
            13 => format!("SADD {} {}", key(rng), many(rng, 520, &|i, _| (i * 3).to_string())),
            14 => format!("SREM {} {}", key(rng), words(rng, n)),
            15 => format!("SPOP {} {}", key(rng), n),
            16 => format!("HSET {} {}", key(rng), words(rng, 2 * n)),
            17 => format!("HSET {} {}", key(rng), many(rng, 260, &|i, _| format!("f{i} {i}"))),
            18 => format!("HDEL {} {}", key(rng), words(rng, n)),
            19 => format!("HINCRBYFLOAT {} {} {}", key(rng), word(rng), ["1.5", "-2", "1e3"][rng.index(3)]),
            20 => format!("HINCRBY {} {} 3", key(rng), word(rng)),
            21 => format!("ZADD {} {}", key(rng), many(rng, n, &|_, rng| format!("{} {}", rng.index(9), word(rng)))),
            22 => format!("ZADD {} {}", key(rng), many(rng, 140, &|i, rng| format!("{}.25 m{i}", rng.index(50)))),
            23 => format!("ZINCRBY {} {} {}", key(rng), ["1", "0.5", "-7"][rng.index(3)], word(rng)),
            24 => format!("ZREM {} {}", key(rng), words(rng, n)),
            25 => format!("{} {} {}", ["ZPOPMIN", "ZPOPMAX"][rng.index(2)], key(rng), n),
            26 => format!("ZREMRANGEBYRANK {} {} {}", key(rng), idx(rng), idx(rng)),
            27 => format!("RENAME {} {}", key(rng), key(rng)),
            28 => format!("COPY {} {}{}", key(rng), key(rng), [" REPLACE", ""][rng.index(2)]),
            29 => format!(
                "EXPIRE {} {} {}",
                key(rng),
                ["0", "5", "100"][rng.index(3)],
                ["NX", "XX", "GT", "LT", ""][rng.index(5)]
            ),
            30 => format!("DEL {}", key(rng)),
            31 => format!("SET {} {}", key(rng), word(rng)),
            32 => format!("APPEND {} {}", key(rng), word(rng)),
            33 => format!("SMOVE {} {} {}", key(rng), key(rng), word(rng)),
            34 => format!("SINTERSTORE {} {} {}", key(rng), key(rng), key(rng)),
            35 => format!("ZUNIONSTORE {} 2 {} {}", key(rng), key(rng), key(rng)),
            36 => format!("{} {}", ["SELECT", "SWAPDB 0"][rng.index(2)], rng.index(2)),
            37 => format!("MOVE {} {}", key(rng), rng.index(2)),
            _ => any_write(rng, writes, key, word),
        };
        argv(&line)
    }

    #[test]
    fn after_every_write_each_keys_kept_bytes_equal_a_recount_from_scratch() {
        // Commands that would block the only client, and the ones that empty everything.
        const SKIP: &[&str] = &[
            "blpop",
            "brpop",
            "blmove",
            "brpoplpush",
            "blmpop",
            "bzpopmin",
            "bzpopmax",
            "bzmpop",
            "xreadgroup",
            "flushall",
            "flushdb",
        ];
        let writes = write_commands(SKIP);
        let (mut multi_node_lists, mut big_zsets, mut big_sets, mut big_hashes) = (0u32, 0u32, 0u32, 0u32);
        for seed in 0..120 {
            let mut rng = SimRng::new(seed).child("alloc");
            let mut s = Store::with_limits(SimRng::new(seed), Limits::unlimited());
            let mut now = SimTime(1_000);
            for step in 0..80 {
                let cmd = random_command(&mut rng, &writes);
                let shown: String = String::from_utf8_lossy(&cmd.join(&b' ')).chars().take(120).collect();
                s.execute(now, &cmd);
                for i in 0..s.database_count() {
                    let keys = s.db_keys_mut(i);
                    if let Err(e) = keys.check_alloc() {
                        panic!("seed {seed} step {step} `{shown}`: database {i}: {e}");
                    }
                    for (k, v) in keys.iter() {
                        let flags = keys.meta(k).map_or(0, |m| m.flags);
                        match (v, crate::redis::memory::encoding(v, flags)) {
                            (super::Value::List(l), _) => multi_node_lists += u32::from(l.nodes().len() > 2),
                            (super::Value::ZSet(_), crate::redis::memory::Encoding::Skiplist) => big_zsets += 1,
                            (super::Value::Set(_), crate::redis::memory::Encoding::Hashtable) => big_sets += 1,
                            (super::Value::Hash(_), crate::redis::memory::Encoding::Hashtable) => big_hashes += 1,
                            _ => {}
                        }
                    }
                }
                now += SimDuration::from_millis(rng.below(2_000));
            }
        }
        // The sequences reach the shapes that matter (else the property says little).
        assert!(
            multi_node_lists > 1_000 && big_zsets > 500 && big_sets > 500 && big_hashes > 500,
            "lists of 3+ nodes {multi_node_lists}, skiplists {big_zsets}, hashtable sets {big_sets}, hashes {big_hashes}"
        );
    }
}
