//! The values a key can hold, one variant per Redis type, and the sorted-set structure.

use super::keyspace::{Map, Set};
use super::memory;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeSet;

pub use super::quicklist::List;

/// A key's value. Collections are boxed so a plain string key (the common case) costs one
/// pointer-sized box plus a tag.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(Box<[u8]>),
    /// The elements and their quicklist nodes (`redis::quicklist`).
    List(Box<List>),
    /// Insertion-ordered (Redis leaves hashtable-set order undefined; small all-integer sets are
    /// intsets and reply in numeric order, which `set_reply_order` reproduces).
    Set(Box<Set<Vec<u8>>>),
    /// Insertion-ordered with order-preserving removal: small Redis hashes are listpacks, whose
    /// HGETALL order is insertion order, and that is what the playground's hashes stay.
    Hash(Box<Map<Vec<u8>, Vec<u8>>>),
    ZSet(Box<ZSet>),
    Stream(Box<super::stream::Stream>),
}

/// Redis's type names as TYPE replies them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyType {
    String,
    List,
    Set,
    Hash,
    Zset,
    Stream,
}

impl KeyType {
    pub fn name(self) -> &'static str {
        match self {
            KeyType::String => "string",
            KeyType::List => "list",
            KeyType::Set => "set",
            KeyType::Hash => "hash",
            KeyType::Zset => "zset",
            KeyType::Stream => "stream",
        }
    }
    /// The TYPE option of SCAN takes these names, case-insensitively.
    pub fn from_name(name: &[u8]) -> Option<KeyType> {
        [KeyType::String, KeyType::List, KeyType::Set, KeyType::Hash, KeyType::Zset, KeyType::Stream]
            .into_iter()
            .find(|t| name.eq_ignore_ascii_case(t.name().as_bytes()))
    }
}

impl Value {
    pub fn key_type(&self) -> KeyType {
        match self {
            Value::Str(_) => KeyType::String,
            Value::List(_) => KeyType::List,
            Value::Set(_) => KeyType::Set,
            Value::Hash(_) => KeyType::Hash,
            Value::ZSet(_) => KeyType::Zset,
            Value::Stream(_) => KeyType::Stream,
        }
    }

    pub fn str(bytes: impl Into<Vec<u8>>) -> Value {
        Value::Str(bytes.into().into_boxed_slice())
    }

    /// Element count (string length for strings): the key browser's "size".
    pub fn len(&self) -> usize {
        match self {
            Value::Str(s) => s.len(),
            Value::List(l) => l.len(),
            Value::Set(s) => s.len(),
            Value::Hash(h) => h.len(),
            Value::ZSet(z) => z.len(),
            Value::Stream(s) => s.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A score in a sorted set: never NaN, ordered numerically (so `-0` equals `0`, as in C).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Score(pub f64);

impl Eq for Score {}
impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Score {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.partial_cmp(&other.0).unwrap_or(Ordering::Equal)
    }
}

/// A sorted set: members ordered by (score, member bytes), as Redis's skiplist orders them.
/// It also keeps two running sums for `redis::memory`, so a write recounts its own members
/// rather than the set (issue 11).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ZSet {
    scores: Map<Vec<u8>, f64>,
    ordered: BTreeSet<(Score, Vec<u8>)>,
    /// The members' sds allocations (the skiplist encoding's strings).
    member_sds: usize,
    /// The members' and scores' listpack entry bytes (the listpack encoding's payload).
    lp_entries: usize,
}

impl ZSet {
    pub fn len(&self) -> usize {
        self.scores.len()
    }
    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.scores.get(member).copied()
    }
    /// Inserts or moves `member`; returns the previous score. A score of `-0` is stored as `0`:
    /// a small Redis sorted set (listpack) stores integral scores as integers, losing the sign.
    pub fn insert(&mut self, member: Vec<u8>, score: f64) -> Option<f64> {
        let score = if score == 0.0 { 0.0 } else { score };
        let old = self.scores.insert(member.clone(), score);
        match old {
            Some(o) => {
                self.ordered.remove(&(Score(o), member.clone()));
                self.lp_entries -= memory::lp_score(o);
            }
            None => {
                self.member_sds += memory::sds_alloc(member.len());
                self.lp_entries += memory::lp_str(&member);
            }
        }
        self.lp_entries += memory::lp_score(score);
        self.ordered.insert((Score(score), member));
        old
    }
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let old = self.scores.swap_remove(member)?;
        self.ordered.remove(&(Score(old), member.to_vec()));
        self.member_sds -= memory::sds_alloc(member.len());
        self.lp_entries -= memory::lp_str(member) + memory::lp_score(old);
        Some(old)
    }
    /// The sum of the members' sds allocations, kept as members come and go.
    pub fn member_sds_alloc(&self) -> usize {
        self.member_sds
    }
    /// The sum of the members' and scores' listpack entries, kept as members come and go.
    pub fn listpack_entries(&self) -> usize {
        self.lp_entries
    }
    /// Members in ascending (score, member) order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&[u8], f64)> + '_ {
        self.ordered.iter().map(|(s, m)| (m.as_slice(), s.0))
    }
    /// 0-based rank of `member` in ascending order.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let s = self.score(member)?;
        Some(self.ordered.range(..(Score(s), member.to_vec())).count())
    }
}
