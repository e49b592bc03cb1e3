//! The stream type (t_stream.c): entries by ID in a radix tree of listpack nodes, consumer
//! groups with their pending entries lists, and the ID arithmetic and parsing Redis uses.
//!
//! What the model keeps, and why: the live entries in ID order (what every reply reads), and
//! beside them the *nodes* Redis groups entries into — each node's master entry fields, its live
//! and deleted counts, and its listpack size in bytes, computed with listpack's own encoding sizes.
//! Nodes decide observable behaviour: a new node starts when the tail node holds
//! `stream-node-max-entries` entries (live plus deleted) or its bytes plus the new entry's reach
//! `stream-node-max-bytes`; `MAXLEN ~` and `MINID ~` only remove whole nodes; XDEL of a node's
//! last live entry frees the node. XINFO STREAM's `radix-tree-keys` is the node count.
//!
//! Copies are cheap: the playground's limit check runs every write command on a scratch copy of
//! the keys it names (`limits`), and a stream that only grows would otherwise be copied whole for
//! each XADD, XREADGROUP, XACK and XAUTOCLAIM (a messaging run's stream group paid 10× the other
//! patterns' cost per event for it). So the entries are a shared, copy-on-write part
//! (`Arc::make_mut`) plus a short tail of the latest appends, which joins the shared part every
//! [`TAIL_MAX`] appends ([`Entries`]); the nodes are shared until written; and the byte total of
//! the entries' fields and values is kept as they come and go.
//!
//! Must never read a clock: automatic IDs take the store's time from the caller.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::sim::vec_map::{DequeMap, DequeSet, VecMap, VecSet};

/// A stream entry ID, `<ms>-<seq>`, ordered as Redis compares them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId { ms: u64::MAX, seq: u64::MAX };

    pub fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }
    pub fn is_zero(self) -> bool {
        self == StreamId::MIN
    }
    /// `streamIncrID`: the successor, `None` past the last possible ID.
    pub fn incr(self) -> Option<StreamId> {
        if self.seq == u64::MAX {
            if self.ms == u64::MAX {
                return None;
            }
            Some(StreamId::new(self.ms + 1, 0))
        } else {
            Some(StreamId::new(self.ms, self.seq + 1))
        }
    }
    /// `streamDecrID`: the predecessor, `None` before 0-0.
    pub fn decr(self) -> Option<StreamId> {
        if self.seq == 0 {
            if self.ms == 0 {
                return None;
            }
            Some(StreamId::new(self.ms - 1, u64::MAX))
        } else {
            Some(StreamId::new(self.ms, self.seq - 1))
        }
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// Field-value pairs of one entry, in the order XADD gave them.
pub type Fields = Vec<(Vec<u8>, Vec<u8>)>;

/// `string2ull`: `string2ll` when it parses a non-negative number, else C's `strtoull` (leading
/// white space, a sign, leading zeros; a minus sign wraps around, as strtoull does).
pub fn string2ull(s: &[u8]) -> Option<u64> {
    if let Some(v) = super::num::parse_i64(s) {
        return u64::try_from(v).ok();
    }
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let mut negative = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        negative = s[i] == b'-';
        i += 1;
    }
    let digits = &s[i..];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if negative { v.wrapping_neg() } else { v })
}

/// How an ID argument may be written (`streamGenericParseIDOrReply`'s `strict` and `seq_given`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdForm {
    /// `-` and `+` allowed (XRANGE bounds).
    Range,
    /// `-` and `+` refused.
    Strict,
    /// Strict, and `<ms>-*` allowed (XADD).
    Add,
}

/// The error every malformed ID gets.
pub const INVALID_ID: &str = "ERR Invalid stream ID specified as stream command argument";

/// `streamGenericParseIDOrReply`: parses `<ms>[-<seq>]`, filling a missing sequence with
/// `missing_seq`. Returns the ID and whether the sequence was given (false for `<ms>-*`).
pub fn parse_id(arg: &[u8], missing_seq: u64, form: IdForm) -> Option<(StreamId, bool)> {
    if arg.len() > 127 {
        return None;
    }
    // The C code works on a NUL-terminated copy: bytes after a NUL are invisible to it.
    let buf = super::args::c_str(arg);
    if form != IdForm::Range && (buf == b"-" || buf == b"+") {
        return None;
    }
    if buf == b"-" {
        return Some((StreamId::MIN, true));
    }
    if buf == b"+" {
        return Some((StreamId::MAX, true));
    }
    let (ms_part, seq_part) = match buf.iter().position(|&b| b == b'-') {
        Some(i) => (&buf[..i], Some(&buf[i + 1..])),
        None => (buf, None),
    };
    let ms = string2ull(ms_part)?;
    match seq_part {
        Some(b"*") if form == IdForm::Add => Some((StreamId::new(ms, 0), false)),
        Some(seq) => Some((StreamId::new(ms, string2ull(seq)?), true)),
        None => Some((StreamId::new(ms, missing_seq), true)),
    }
}

// ---- listpack sizes ---------------------------------------------------------------------------

/// Bytes listpack needs to store an entry's back-length (`lpEncodeBacklen`).
fn backlen_size(l: usize) -> usize {
    match l {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    }
}

/// Bytes one listpack integer element takes, back-length included.
fn lp_int_size(v: i64) -> usize {
    let enc = match v {
        0..=127 => 1,
        -4096..=4095 => 2,
        -32768..=32767 => 3,
        -8388608..=8388607 => 4,
        -2147483648..=2147483647 => 5,
        _ => 9,
    };
    enc + backlen_size(enc)
}

/// Bytes one listpack string element takes: strings that read as integers are stored as integers
/// (`lpEncodeGetType` tries `lpStringToInt64` first).
fn lp_str_size(s: &[u8]) -> usize {
    if s.len() <= 20 {
        if let Some(v) = super::num::parse_i64(s) {
            return lp_int_size(v);
        }
    }
    let enc = match s.len() {
        0..=63 => 1 + s.len(),
        64..=4095 => 2 + s.len(),
        _ => 5 + s.len(),
    };
    enc + backlen_size(enc)
}

/// `STREAM_ITEM_FLAG_SAMEFIELDS`.
const SAMEFIELDS: i64 = 2;

/// One radix-tree node: a listpack headed by a master entry.
#[derive(Clone, Debug, PartialEq)]
struct Node {
    master_fields: Vec<Vec<u8>>,
    /// Valid entries (the master entry's `count`).
    live: u64,
    /// Entries marked deleted but still in the listpack.
    deleted: u64,
    /// Bytes of the entries after the master entry.
    entries_bytes: usize,
    /// The last entry's ID, deleted or not (`lpGetEdgeStreamID(lp, 0, …)`).
    last_id: StreamId,
}

impl Node {
    /// `lpBytes`: header, master entry, entries, terminator.
    fn bytes(&self) -> usize {
        6 + lp_int_size(self.live as i64)
            + lp_int_size(self.deleted as i64)
            + lp_int_size(self.master_fields.len() as i64)
            + self.master_fields.iter().map(|f| lp_str_size(f)).sum::<usize>()
            + lp_int_size(0)
            + self.entries_bytes
            + 1
    }
}

/// The node settings XADD obeys (`stream-node-max-bytes`, `stream-node-max-entries`).
#[derive(Clone, Copy, Debug)]
pub struct NodeLimits {
    pub max_bytes: u64,
    pub max_entries: u64,
}

impl Default for NodeLimits {
    fn default() -> Self {
        NodeLimits { max_bytes: 4096, max_entries: 100 }
    }
}

/// Appends an [`Entries`] tail holds before they join the shared part.
pub const TAIL_MAX: usize = 64;

/// A stream's live entries in ID order: a part shared between copies until one writes it, and a
/// tail of the latest appends (every tail ID is above every shared one, since appends only go
/// up). XREADGROUP, XACK and XAUTOCLAIM leave both alone; XADD writes only the tail, and the
/// shared part is written (copied, when shared) once per [`TAIL_MAX`] appends.
#[derive(Clone, Default)]
pub struct Entries {
    shared: Arc<BTreeMap<StreamId, Fields>>,
    tail: BTreeMap<StreamId, Fields>,
}

impl Entries {
    pub fn len(&self) -> usize {
        self.shared.len() + self.tail.len()
    }
    pub fn is_empty(&self) -> bool {
        self.shared.is_empty() && self.tail.is_empty()
    }
    pub fn get(&self, id: &StreamId) -> Option<&Fields> {
        self.tail.get(id).or_else(|| self.shared.get(id))
    }
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&StreamId, &Fields)> + '_ {
        self.shared.iter().chain(self.tail.iter())
    }
    /// Entries with IDs in `r` (panics as `BTreeMap::range` does on a reversed range).
    pub fn range<R: std::ops::RangeBounds<StreamId> + Clone>(
        &self,
        r: R,
    ) -> impl DoubleEndedIterator<Item = (&StreamId, &Fields)> + '_ {
        self.shared.range(r.clone()).chain(self.tail.range(r))
    }
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &StreamId> + '_ {
        self.iter().map(|(id, _)| id)
    }
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Fields> + '_ {
        self.iter().map(|(_, f)| f)
    }
    /// Adds an entry whose ID is above every ID held.
    fn push(&mut self, id: StreamId, fields: Fields) {
        self.tail.insert(id, fields);
        if self.tail.len() >= TAIL_MAX {
            let tail = std::mem::take(&mut self.tail);
            Arc::make_mut(&mut self.shared).extend(tail);
        }
    }
    fn remove(&mut self, id: &StreamId) -> Option<Fields> {
        if let Some(f) = self.tail.remove(id) {
            return Some(f);
        }
        if self.shared.contains_key(id) {
            return Arc::make_mut(&mut self.shared).remove(id);
        }
        None
    }
}

/// Equal when they hold the same entries, however they are split.
impl PartialEq for Entries {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl fmt::Debug for Entries {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Bytes of an entry's fields and values.
fn fields_bytes(fields: &Fields) -> usize {
    fields.iter().map(|(f, v)| f.len() + v.len()).sum()
}

/// `STREAM_LISTPACK_MAX_SIZE`.
const LISTPACK_MAX_SIZE: u64 = 1 << 30;

/// A pending entry (`streamNACK`).
#[derive(Clone, Debug, PartialEq)]
pub struct Nack {
    /// Store ms of the last delivery.
    pub delivery_time: i64,
    pub delivery_count: u64,
    pub consumer: Vec<u8>,
}

/// A consumer of a group (`streamConsumer`, 7.0: name, seen time, its PEL).
#[derive(Clone, Debug, PartialEq)]
pub struct Consumer {
    pub seen_time: i64,
    pub pel: DequeSet<StreamId>,
}

/// `SCG_INVALID_ENTRIES_READ`.
pub const INVALID_ENTRIES_READ: i64 = -1;

/// A consumer group (`streamCG`).
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub last_id: StreamId,
    /// The logical read counter, or [`INVALID_ENTRIES_READ`].
    pub entries_read: i64,
    pub pel: DequeMap<StreamId, Nack>,
    /// By name; rax order is byte order.
    pub consumers: VecMap<Vec<u8>, Consumer>,
}

impl Group {
    pub fn new(last_id: StreamId, entries_read: i64) -> Group {
        Group { last_id, entries_read, pel: DequeMap::new(), consumers: VecMap::new() }
    }
}

/// A stream value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stream {
    entries: Entries,
    /// Shared with copies until written (see the module header).
    nodes: Arc<DequeMap<StreamId, Node>>,
    /// Bytes of the entries' fields and values together (what [`Stream::payload`] yields).
    payload_bytes: usize,
    pub last_id: StreamId,
    pub first_id: StreamId,
    pub max_deleted_entry_id: StreamId,
    pub entries_added: u64,
    pub groups: VecMap<Vec<u8>, Group>,
}

/// How XADD/XTRIM trim (`streamAddTrimArgs`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TrimStrategy {
    #[default]
    None,
    MaxLen(u64),
    MinId(StreamId),
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Trim {
    pub strategy: TrimStrategy,
    pub approx: bool,
    /// Most entries to remove; 0 = no limit.
    pub limit: u64,
}

/// Why an append failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppendError {
    /// EDOM: the ID is not greater than the top item (or the sequence would overflow).
    NotGreater,
    /// ERANGE: the entry is too large for a listpack.
    TooLarge,
}

impl Stream {
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    /// Radix-tree keys: one per listpack node.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }
    /// Each node's listpack size in bytes, head first (what the memory model counts).
    pub fn node_bytes(&self) -> impl Iterator<Item = usize> + '_ {
        self.nodes.values().map(Node::bytes)
    }
    pub fn entries(&self) -> &Entries {
        &self.entries
    }
    pub fn get(&self, id: &StreamId) -> Option<&Fields> {
        self.entries.get(id)
    }
    pub fn first_entry(&self) -> Option<(&StreamId, &Fields)> {
        self.entries.iter().next()
    }
    pub fn last_entry(&self) -> Option<(&StreamId, &Fields)> {
        self.entries.iter().next_back()
    }
    /// Entries with `start <= id <= end`, forward or reversed.
    pub fn range(
        &self,
        start: StreamId,
        end: StreamId,
        rev: bool,
    ) -> Box<dyn Iterator<Item = (&StreamId, &Fields)> + '_> {
        if start > end {
            return Box::new(std::iter::empty());
        }
        let r = self.entries.range(start..=end);
        if rev {
            Box::new(r.rev())
        } else {
            Box::new(r)
        }
    }

    /// `streamAppendItem`: the new entry's ID (`use_id` None: the next ID from `now_ms`).
    pub fn append(
        &mut self,
        fields: Fields,
        use_id: Option<(StreamId, bool)>,
        now_ms: u64,
        node_limits: NodeLimits,
    ) -> Result<StreamId, AppendError> {
        let id = match use_id {
            Some((id, true)) => id,
            Some((id, false)) => {
                if self.last_id.ms == id.ms {
                    if self.last_id.seq == u64::MAX {
                        return Err(AppendError::NotGreater);
                    }
                    StreamId::new(id.ms, self.last_id.seq + 1)
                } else {
                    id
                }
            }
            // `streamNextID`.
            None => {
                if now_ms > self.last_id.ms {
                    StreamId::new(now_ms, 0)
                } else {
                    self.last_id.incr().unwrap_or(StreamId::MIN)
                }
            }
        };
        if id <= self.last_id {
            return Err(AppendError::NotGreater);
        }
        let totelelen: u64 = fields.iter().map(|(f, v)| (f.len() + v.len()) as u64).sum();
        if totelelen > LISTPACK_MAX_SIZE {
            return Err(AppendError::TooLarge);
        }
        let max_bytes = if node_limits.max_bytes == 0 || node_limits.max_bytes > LISTPACK_MAX_SIZE {
            LISTPACK_MAX_SIZE
        } else {
            node_limits.max_bytes
        };
        let tail_full = self.nodes.values().next_back().is_none_or(|n| {
            n.bytes() as u64 + totelelen >= max_bytes
                || (node_limits.max_entries > 0 && n.live + n.deleted >= node_limits.max_entries)
        });
        let nodes = Arc::make_mut(&mut self.nodes);
        if tail_full {
            nodes.insert(
                id,
                Node {
                    master_fields: fields.iter().map(|(f, _)| f.clone()).collect(),
                    live: 0,
                    deleted: 0,
                    entries_bytes: 0,
                    last_id: id,
                },
            );
        }
        let (&master, node) = nodes.iter_mut().next_back().expect("a tail node exists");
        let same = node.master_fields.len() == fields.len()
            && node.master_fields.iter().zip(&fields).all(|(m, (f, _))| m == f);
        let flags = if same { SAMEFIELDS } else { 0 };
        let mut bytes = lp_int_size(flags)
            + lp_int_size(id.ms.wrapping_sub(master.ms) as i64)
            + lp_int_size(id.seq.wrapping_sub(master.seq) as i64);
        let numfields = fields.len() as i64;
        if !same {
            bytes += lp_int_size(numfields);
        }
        for (f, v) in &fields {
            if !same {
                bytes += lp_str_size(f);
            }
            bytes += lp_str_size(v);
        }
        let lp_count = numfields + 3 + if same { 0 } else { numfields + 1 };
        bytes += lp_int_size(lp_count);
        node.entries_bytes += bytes;
        node.live += 1;
        node.last_id = id;
        self.payload_bytes += fields_bytes(&fields);
        self.entries.push(id, fields);
        self.entries_added += 1;
        self.last_id = id;
        if self.entries.len() == 1 {
            self.first_id = id;
        }
        Ok(id)
    }

    /// The node holding `id` (the last node whose master ID is not after it).
    fn node_of(&self, id: StreamId) -> Option<StreamId> {
        self.nodes.range(..=id).next_back().map(|(&k, _)| k)
    }

    /// `streamDeleteItem` (XDEL, XAUTOCLAIM's cleanup is not a deletion): marks the entry deleted
    /// in its node, freeing the node when it was its last live entry. True if it existed.
    pub fn delete(&mut self, id: StreamId) -> bool {
        if self.remove_entry(&id).is_none() {
            return false;
        }
        if let Some(k) = self.node_of(id) {
            let nodes = Arc::make_mut(&mut self.nodes);
            let n = nodes.get_mut(&k).expect("node found above");
            if n.live == 1 {
                nodes.remove(&k);
            } else {
                n.live -= 1;
                n.deleted += 1;
            }
        }
        true
    }

    /// XDEL: deletes the IDs, updating the maximal tombstone and the first ID. Returns how many
    /// existed.
    pub fn xdel(&mut self, ids: &[StreamId]) -> u64 {
        let (mut deleted, mut first_entry) = (0, false);
        for &id in ids {
            if self.delete(id) {
                if id == self.first_id {
                    first_entry = true;
                }
                if id > self.max_deleted_entry_id {
                    self.max_deleted_entry_id = id;
                }
                deleted += 1;
            }
        }
        if deleted > 0 {
            if self.entries.is_empty() {
                self.first_id = StreamId::MIN;
            } else if first_entry {
                self.first_id = *self.entries.keys().next().expect("not empty");
            }
        }
        deleted
    }

    /// `streamTrim`: removes entries from the head; with `approx` only whole nodes. Returns how
    /// many were removed.
    pub fn trim(&mut self, t: Trim) -> u64 {
        if t.strategy == TrimStrategy::None {
            return 0;
        }
        let mut deleted: u64 = 0;
        let keys: Vec<StreamId> = self.nodes.keys().copied().collect();
        for k in keys {
            if let TrimStrategy::MaxLen(max) = t.strategy {
                if self.entries.len() as u64 <= max {
                    break;
                }
            }
            let node = self.nodes.get(&k).expect("listed above");
            let live = node.live;
            if t.limit > 0 && deleted + live > t.limit {
                break;
            }
            let remove_node = match t.strategy {
                TrimStrategy::MaxLen(max) => self.entries.len() as u64 - live >= max,
                TrimStrategy::MinId(min) => node.last_id < min,
                TrimStrategy::None => false,
            };
            let next =
                self.nodes.range((std::ops::Bound::Excluded(k), std::ops::Bound::Unbounded)).next().map(|(&n, _)| n);
            let upper = next.and_then(StreamId::decr).unwrap_or(StreamId::MAX);
            if remove_node {
                Arc::make_mut(&mut self.nodes).remove(&k);
                let ids: Vec<StreamId> = self.entries.range(k..=upper).map(|(&id, _)| id).collect();
                for id in ids {
                    self.remove_entry(&id);
                }
                deleted += live;
                continue;
            }
            if t.approx {
                break;
            }
            // Mark entries deleted from the head of this node until the condition holds.
            let ids: Vec<StreamId> = self.entries.range(k..=upper).map(|(&id, _)| id).collect();
            let mut from_node = 0;
            for id in ids {
                let stop = match t.strategy {
                    TrimStrategy::MaxLen(max) => self.entries.len() as u64 <= max,
                    TrimStrategy::MinId(min) => id >= min,
                    TrimStrategy::None => true,
                };
                if stop {
                    break;
                }
                self.remove_entry(&id);
                from_node += 1;
            }
            let n = Arc::make_mut(&mut self.nodes).get_mut(&k).expect("listed above");
            n.live -= from_node;
            n.deleted += from_node;
            deleted += from_node;
            break;
        }
        if self.entries.is_empty() {
            self.first_id = StreamId::MIN;
        } else if deleted > 0 {
            self.first_id = *self.entries.keys().next().expect("not empty");
        }
        deleted
    }

    /// `streamRangeHasTombstones`.
    pub fn range_has_tombstones(&self, start: Option<StreamId>, end: Option<StreamId>) -> bool {
        if self.entries.is_empty() || self.max_deleted_entry_id.is_zero() {
            return false;
        }
        if self.first_id > self.max_deleted_entry_id {
            return false;
        }
        let start = start.unwrap_or(StreamId::MIN);
        let end = end.unwrap_or(StreamId::MAX);
        start <= self.max_deleted_entry_id && self.max_deleted_entry_id <= end
    }

    /// `streamEstimateDistanceFromFirstEverEntry`.
    pub fn estimate_distance(&self, id: StreamId) -> i64 {
        if self.entries_added == 0 {
            return 0;
        }
        let added = self.entries_added as i64;
        let length = self.entries.len() as i64;
        if self.entries.is_empty() && id <= self.last_id {
            return added;
        }
        if id == self.last_id {
            return added;
        }
        if id > self.last_id {
            return INVALID_ENTRIES_READ;
        }
        if self.max_deleted_entry_id.is_zero() || self.max_deleted_entry_id < self.first_id {
            if id < self.first_id {
                return added - length;
            }
            if id == self.first_id {
                return added - length + 1;
            }
        }
        INVALID_ENTRIES_READ
    }

    /// `streamReplyWithCGLag`'s figure: `None` when it cannot be known.
    pub fn group_lag(&self, g: &Group) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if g.entries_read != INVALID_ENTRIES_READ && !self.range_has_tombstones(Some(g.last_id), None) {
            return Some(self.entries_added as i64 - g.entries_read);
        }
        let read = self.estimate_distance(g.last_id);
        (read != INVALID_ENTRIES_READ).then(|| self.entries_added as i64 - read)
    }

    /// `rax->numnodes` of the node index: the radix tree of 16-byte big-endian master IDs, in
    /// rax's compressed form — the root, every key, every branching point and every child of one.
    pub fn rax_nodes(&self) -> usize {
        let keys: Vec<[u8; 16]> = self
            .nodes
            .keys()
            .map(|id| {
                let mut k = [0u8; 16];
                k[..8].copy_from_slice(&id.ms.to_be_bytes());
                k[8..].copy_from_slice(&id.seq.to_be_bytes());
                k
            })
            .collect();
        let mut points: VecSet<Vec<u8>> = VecSet::new();
        points.insert(Vec::new());
        for k in &keys {
            points.insert(k.to_vec());
        }
        // Sorted keys: a prefix branches where two neighbours first differ.
        for w in keys.windows(2) {
            let common = w[0].iter().zip(&w[1]).take_while(|(a, b)| a == b).count();
            if common < 16 {
                points.insert(w[0][..common].to_vec());
                points.insert(w[0][..=common].to_vec());
                points.insert(w[1][..=common].to_vec());
            }
        }
        // Every child of a branching point is a node, not only the two neighbours that revealed it.
        let branches: Vec<Vec<u8>> = points.iter().filter(|p| p.len() < 16).cloned().collect();
        for b in branches {
            let l = b.len();
            let mut children = [false; 256];
            for k in keys.iter().filter(|k| k[..l] == b[..]) {
                children[usize::from(k[l])] = true;
            }
            if children.iter().filter(|&&c| c).count() >= 2 {
                for c in (0..=u8::MAX).filter(|&c| children[usize::from(c)]) {
                    let mut p = b.clone();
                    p.push(c);
                    points.insert(p);
                }
            }
        }
        points.len()
    }

    /// Bytes of field and value data (the playground's dataset cost counts them).
    pub fn payload(&self) -> impl Iterator<Item = &[u8]> {
        self.entries.values().flat_map(|f| f.iter().flat_map(|(a, b)| [a.as_slice(), b.as_slice()]))
    }

    /// The bytes [`Stream::payload`] yields, summed (kept as entries come and go).
    pub fn payload_bytes(&self) -> usize {
        self.payload_bytes
    }

    /// Removes entry `id` from the entries (not from its node), keeping the byte total.
    fn remove_entry(&mut self, id: &StreamId) -> Option<Fields> {
        let removed = self.entries.remove(id)?;
        self.payload_bytes -= fields_bytes(&removed);
        Some(removed)
    }

    /// Rebuilds a stream from saved parts: entries appended in order (so nodes form as XADD forms
    /// them), then the counters and groups as saved.
    pub fn restore(
        entries: Vec<(StreamId, Fields)>,
        last_id: StreamId,
        max_deleted_entry_id: StreamId,
        entries_added: u64,
        groups: VecMap<Vec<u8>, Group>,
    ) -> Result<Stream, String> {
        let mut s = Stream::default();
        for (id, fields) in entries {
            s.append(fields, Some((id, true)), 0, NodeLimits::default())
                .map_err(|_| format!("entry {id} is not after the one before it"))?;
        }
        if last_id < s.last_id {
            return Err(format!("last id {last_id} is before entry {}", s.last_id));
        }
        s.last_id = last_id;
        s.max_deleted_entry_id = max_deleted_entry_id;
        s.entries_added = entries_added.max(s.entries.len() as u64);
        s.first_id = s.entries.keys().next().copied().unwrap_or(StreamId::MIN);
        s.groups = groups;
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_as_redis_parses_them() {
        let p = |s: &str, form| parse_id(s.as_bytes(), 0, form).map(|(id, g)| format!("{id} {g}"));
        assert_eq!(p("5", IdForm::Strict).as_deref(), Some("5-0 true"));
        assert_eq!(p("5-*", IdForm::Add).as_deref(), Some("5-0 false"));
        assert_eq!(p("5-*", IdForm::Strict), None);
        assert_eq!(p("-", IdForm::Range).as_deref(), Some("0-0 true"));
        assert_eq!(p("+", IdForm::Strict), None);
        assert_eq!(p("007-+3", IdForm::Strict).as_deref(), Some("7-3 true"), "strtoull's leading zeros and sign");
        assert_eq!(p("-1", IdForm::Strict), None);
        assert_eq!(p("1-2-3", IdForm::Strict), None);
        assert_eq!(p("18446744073709551616", IdForm::Strict), None);
    }

    #[test]
    fn nodes_hold_100_entries_and_approximate_trimming_removes_whole_nodes() {
        let mut s = Stream::default();
        for i in 1..=250u64 {
            s.append(vec![(b"f".to_vec(), b"v".to_vec())], Some((StreamId::new(i, 0), true)), 0, NodeLimits::default())
                .unwrap();
        }
        assert_eq!(s.node_count(), 3);
        let t = Trim { strategy: TrimStrategy::MaxLen(120), approx: true, limit: 10_000 };
        assert_eq!(s.trim(t), 100, "only the first node fits wholly below the length");
        assert_eq!((s.len(), s.first_id), (150, StreamId::new(101, 0)));
        let exact = Trim { strategy: TrimStrategy::MaxLen(120), approx: false, limit: 0 };
        assert_eq!(s.trim(exact), 30);
        assert_eq!(s.node_count(), 2, "exact trimming marks entries deleted inside a node");
    }

    #[test]
    fn a_copy_shares_entries_until_written_and_the_byte_total_follows_every_change() {
        let counted = |s: &Stream| s.payload().map(<[u8]>::len).sum::<usize>();
        let mut s = Stream::default();
        for i in 1..=250u64 {
            let v = vec![b'x'; (i % 7) as usize];
            s.append(vec![(b"payload".to_vec(), v)], Some((StreamId::new(i, 0), true)), 0, NodeLimits::default())
                .unwrap();
        }
        let mut copy = s.clone();
        let shared = |a: &Stream, b: &Stream| Arc::ptr_eq(&a.entries.shared, &b.entries.shared);
        assert!(shared(&s, &copy), "a copy shares the entries");
        assert_eq!(s.entries.tail.len(), 250 % TAIL_MAX);
        s.groups.insert(b"g".to_vec(), Group::new(StreamId::MIN, 0));
        copy.append(vec![(b"payload".to_vec(), b"new".to_vec())], None, 1_000, NodeLimits::default()).unwrap();
        assert!(shared(&s, &copy), "a group change and an append to the tail leave them shared");
        assert_eq!(copy.last_entry().map(|(id, _)| *id), Some(StreamId::new(1_000, 0)));
        assert_eq!(copy.range(StreamId::new(249, 0), StreamId::MAX, true).count(), 3);
        copy.delete(StreamId::new(1_000, 0));
        assert_eq!(copy.entries, s.entries);
        let whole =
            Entries { shared: Arc::default(), tail: s.entries.iter().map(|(id, f)| (*id, f.clone())).collect() };
        assert_eq!(whole, s.entries, "the same entries compare equal however they are split");
        assert_eq!(s.xdel(&[StreamId::new(3, 0), StreamId::new(150, 0), StreamId::new(999, 0)]), 2);
        assert!(!shared(&s, &copy));
        assert_eq!((copy.len(), s.len()), (250, 248), "the copy kept what the original deleted");
        assert_eq!(s.payload_bytes(), counted(&s));
        s.trim(Trim { strategy: TrimStrategy::MaxLen(120), approx: false, limit: 0 });
        assert_eq!(s.payload_bytes(), counted(&s));
        s.trim(Trim { strategy: TrimStrategy::MinId(StreamId::new(240, 0)), approx: true, limit: 0 });
        assert_eq!((s.payload_bytes(), copy.payload_bytes()), (counted(&s), counted(&copy)));
    }
}
