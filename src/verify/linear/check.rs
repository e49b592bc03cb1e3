//! The Wing–Gong linearizability search with Lowe's memoisation, per key, in the manner of Porcupine:
//! a history is split by key (operations on different Redis keys commute, so the whole history is
//! linearizable exactly when every key's sub-history is), each sub-history becomes a doubly linked
//! list of call and return entries ordered by time (calls before returns at equal times, so touching
//! intervals count as concurrent), and a depth-first search tries to linearize, one at a time, the
//! calls that precede the first pending return, backtracking when that return is reached with its
//! call not yet placed. A cache of (operations linearized, key state) pairs cuts off configurations
//! already explored.
//!
//! Operations whose outcome is unknown (a timeout, a lost reply) may take effect at any time after
//! their call, or never: as Porcupine does with Jepsen's `:info` operations, their return is placed
//! after everything else and the model accepts any outcome for them. An unknown `GET` observes
//! nothing and is dropped. Operations that surely failed never appear in a history
//! ([`super::History::from_json`] drops `"outcome": "fail"`).
//!
//! The search is bounded by a step budget and a memo size per key; a key over either is answered "too large"
//! instead of freezing. Pure: no clock, no entropy; the memo table is membership only.

use super::history::{History, Input, Operation, Output};
use crate::verify::fingerprint::{fmix64, hash_bytes};
use hashbrown::HashTable;
use serde::Serialize;
use std::collections::BTreeMap;

/// Search steps one key may use by default (a step places or retracts one operation).
pub const DEFAULT_MAX_STEPS: u64 = 5_000_000;
/// The memo of one key's search holds at most this many 64-bit words of bitsets (128 MiB): a key with
/// many operations and a hard history is "too large" before it can exhaust memory.
pub const MAX_MEMO_WORDS: usize = 16 << 20;

/// A key's value as the model sees it. Strings that are exactly Redis's decimal form of a 64-bit
/// integer are held as integers (so `SET n 5` then `INCR n` works as in Redis); any other string is
/// interned per key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Value {
    Absent,
    Int(i64),
    Str(u32),
}

/// Strings of one key, numbered.
#[derive(Default)]
struct Strings {
    ids: BTreeMap<String, u32>,
}

impl Strings {
    fn value(&mut self, s: &str) -> Value {
        if let Some(i) = redis_int(s) {
            return Value::Int(i);
        }
        let n = self.ids.len() as u32;
        Value::Str(*self.ids.entry(s.to_string()).or_insert(n))
    }
}

/// Redis's `string2ll`: an optional minus, no leading zeros (except "0" itself), no sign on zero,
/// no spaces, within i64.
fn redis_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if digits.starts_with('0') && (digits.len() > 1 || s.starts_with('-')) {
        return None;
    }
    s.parse::<i64>().ok()
}

/// One operation of a key's sub-history, with its arguments and result turned into [`Value`]s.
#[derive(Clone, Copy, Debug)]
enum Step {
    Get(Value),
    /// `SET key v` (its reply is always OK).
    Set(Value),
    /// `SET key v NX`: `Some(true)` = OK, `Some(false)` = nil, `None` = unknown.
    SetNx(Value, Option<bool>),
    /// `DEL key`: `Some(n)` = the count it returned.
    Del(Option<i64>),
    /// `INCRBY key by`: `Some(Ok(n))` = the new value, `Some(Err(()))` = an error reply.
    Incr(i64, Option<Result<i64, ()>>),
    /// A reply the operation cannot give (e.g. `GET` answering an integer): never linearizable.
    Impossible,
}

/// What `INCRBY by` does to `v`: the new value, or an error (not an integer, or overflow).
fn incr(v: Value, by: i64) -> Result<i64, ()> {
    match v {
        Value::Absent => Ok(by),
        Value::Int(n) => n.checked_add(by).ok_or(()),
        Value::Str(_) => Err(()),
    }
}

impl Step {
    /// The model: from `state`, can this operation with its observed result happen, and to what?
    fn apply(self, state: Value) -> Option<Value> {
        match self {
            Step::Get(v) => (v == state).then_some(state),
            Step::Set(v) => Some(v),
            Step::SetNx(v, Some(true)) => (state == Value::Absent).then_some(v),
            Step::SetNx(_, Some(false)) => (state != Value::Absent).then_some(state),
            Step::SetNx(v, None) => Some(if state == Value::Absent { v } else { state }),
            Step::Del(Some(1)) => (state != Value::Absent).then_some(Value::Absent),
            Step::Del(Some(0)) => (state == Value::Absent).then_some(state),
            Step::Del(Some(_)) => None,
            Step::Del(None) => Some(Value::Absent),
            Step::Incr(by, Some(Ok(n))) => (incr(state, by) == Ok(n)).then_some(Value::Int(n)),
            Step::Incr(by, Some(Err(()))) => incr(state, by).is_err().then_some(state),
            Step::Incr(by, None) => Some(incr(state, by).map_or(state, Value::Int)),
            Step::Impossible => None,
        }
    }

    fn of(op: &Operation, strings: &mut Strings) -> Step {
        match (&op.input, &op.output) {
            (Input::Get, Some(Output::Nil)) => Step::Get(Value::Absent),
            (Input::Get, Some(Output::Value(s))) => Step::Get(strings.value(s)),
            (Input::Set { value }, Some(Output::Ok) | None) => Step::Set(strings.value(value)),
            (Input::SetNx { value }, Some(Output::Ok)) => Step::SetNx(strings.value(value), Some(true)),
            (Input::SetNx { value }, Some(Output::Nil)) => Step::SetNx(strings.value(value), Some(false)),
            (Input::SetNx { value }, None) => Step::SetNx(strings.value(value), None),
            (Input::Del, Some(Output::Int(n))) => Step::Del(Some(*n)),
            (Input::Del, None) => Step::Del(None),
            (Input::Incr { by }, Some(Output::Int(n))) => Step::Incr(*by, Some(Ok(*n))),
            (Input::Incr { by }, Some(Output::Error(_))) => Step::Incr(*by, Some(Err(()))),
            (Input::Incr { by }, None) => Step::Incr(*by, None),
            _ => Step::Impossible,
        }
    }
}

/// The answer for one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyVerdict {
    Linearizable,
    NotLinearizable,
    /// The step budget ran out first.
    TooLarge,
}

/// One key's sub-history prepared for the search.
struct Partition {
    steps: Vec<Step>,
    call: Vec<u64>,
    /// `u64::MAX` for an operation whose outcome is unknown.
    ret: Vec<u64>,
}

impl Partition {
    fn new(ops: &[&Operation]) -> Partition {
        let mut strings = Strings::default();
        let mut p = Partition { steps: Vec::new(), call: Vec::new(), ret: Vec::new() };
        for op in ops {
            p.steps.push(Step::of(op, &mut strings));
            p.call.push(op.invoke);
            p.ret.push(if op.output.is_none() { u64::MAX } else { op.ret.unwrap_or(u64::MAX) });
        }
        p
    }

    fn len(&self) -> usize {
        self.steps.len()
    }

    /// A sub-history of this one: the operations `keep` names, in order.
    fn subset(&self, keep: &[usize]) -> Partition {
        Partition {
            steps: keep.iter().map(|&i| self.steps[i]).collect(),
            call: keep.iter().map(|&i| self.call[i]).collect(),
            ret: keep.iter().map(|&i| self.ret[i]).collect(),
        }
    }

    /// The Wing–Gong/Lowe search; `steps` counts model steps against `budget`.
    fn search(&self, budget: u64, steps: &mut u64) -> KeyVerdict {
        let n = self.len();
        if n == 0 {
            return KeyVerdict::Linearizable;
        }
        // Entries 1..=2n: (time, is_return, op); entry 0 is the list head.
        let mut order: Vec<(u64, bool, usize)> = Vec::with_capacity(2 * n);
        for i in 0..n {
            order.push((self.call[i], false, i));
            order.push((self.ret[i], true, i));
        }
        order.sort_unstable();
        const NIL: usize = usize::MAX;
        let len = 2 * n + 1;
        let mut next = vec![NIL; len];
        let mut prev = vec![NIL; len];
        let mut op_of = vec![0usize; len];
        let mut is_call = vec![false; len];
        let mut ret_entry = vec![NIL; n];
        for (k, &(_, is_ret, op)) in order.iter().enumerate() {
            let e = k + 1;
            op_of[e] = op;
            is_call[e] = !is_ret;
            if is_ret {
                ret_entry[op] = e;
            }
        }
        for e in 0..len {
            next[e] = if e + 1 < len { e + 1 } else { NIL };
            prev[e] = if e == 0 { NIL } else { e - 1 };
        }
        let words = n.div_ceil(64);
        let mut linearized = vec![0u64; words];
        let mut set_hash = 0u64;
        let mut memo = Memo::new(words);
        let mut calls: Vec<(usize, Value)> = Vec::new();
        let mut state = Value::Absent;
        let mut entry = next[0];
        while next[0] != NIL {
            *steps += 1;
            if *steps > budget {
                return KeyVerdict::TooLarge;
            }
            if is_call[entry] {
                let op = op_of[entry];
                if let Some(new_state) = self.steps[op].apply(state) {
                    linearized[op / 64] |= 1 << (op % 64);
                    set_hash = set_hash.wrapping_add(op_hash(op));
                    if memo.insert(&linearized, set_hash, new_state) {
                        if memo.bits.len() > MAX_MEMO_WORDS {
                            return KeyVerdict::TooLarge;
                        }
                        calls.push((entry, state));
                        state = new_state;
                        // Lift the call and its return out of the list.
                        let r = ret_entry[op];
                        for x in [entry, r] {
                            next[prev[x]] = next[x];
                            if next[x] != NIL {
                                prev[next[x]] = prev[x];
                            }
                        }
                        entry = next[0];
                    } else {
                        linearized[op / 64] &= !(1 << (op % 64));
                        set_hash = set_hash.wrapping_sub(op_hash(op));
                        entry = next[entry];
                    }
                } else {
                    entry = next[entry];
                }
            } else {
                // A return whose call is not placed: undo the latest placement.
                let Some((e, s)) = calls.pop() else { return KeyVerdict::NotLinearizable };
                state = s;
                let op = op_of[e];
                linearized[op / 64] &= !(1 << (op % 64));
                set_hash = set_hash.wrapping_sub(op_hash(op));
                let r = ret_entry[op];
                for x in [r, e] {
                    next[prev[x]] = x;
                    if next[x] != NIL {
                        prev[next[x]] = x;
                    }
                }
                entry = next[e];
            }
        }
        KeyVerdict::Linearizable
    }

    /// What each operation may have produced and what it observed, for keeping a sub-history
    /// honest while shrinking it: a write is only removed when no remaining operation observed a
    /// value it could have produced (otherwise a read would be left "reading from nowhere", a
    /// failure the original history does not have).
    fn explains(&self, writer: usize, reader: usize) -> bool {
        let observed: &[Obs] = &observations(self.steps[reader]);
        let produced = produces(self.steps[writer]);
        observed.iter().any(|o| produced.iter().any(|p| p.satisfies(*o)))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Obs {
    Exactly(Value),
    Present,
    Absent,
    NotInt,
}

#[derive(Clone, Copy)]
enum Produces {
    Value(Value),
    AnyInt,
    Absent,
}

impl Produces {
    fn satisfies(self, o: Obs) -> bool {
        match (self, o) {
            (Produces::Value(v), Obs::Exactly(w)) => v == w,
            (Produces::Value(_), Obs::Present) => true,
            (Produces::Value(v), Obs::NotInt) => matches!(v, Value::Str(_)),
            (Produces::AnyInt, Obs::Exactly(Value::Int(_)) | Obs::Present) => true,
            (Produces::Absent, Obs::Absent) => true,
            _ => false,
        }
    }
}

fn produces(s: Step) -> Vec<Produces> {
    match s {
        Step::Set(v) | Step::SetNx(v, Some(true) | None) => vec![Produces::Value(v)],
        Step::Del(Some(1) | None) => vec![Produces::Absent],
        Step::Incr(_, Some(Ok(n))) => vec![Produces::Value(Value::Int(n))],
        Step::Incr(_, None) => vec![Produces::AnyInt],
        _ => Vec::new(),
    }
}

fn observations(s: Step) -> Vec<Obs> {
    match s {
        Step::Get(Value::Absent) | Step::SetNx(_, Some(true)) | Step::Del(Some(0)) => vec![Obs::Absent],
        Step::Get(v) => vec![Obs::Exactly(v)],
        Step::SetNx(_, Some(false)) | Step::Del(Some(1)) => vec![Obs::Present],
        Step::Incr(by, Some(Ok(n))) => {
            let before = n.checked_sub(by).map_or(Vec::new(), |b| vec![Obs::Exactly(Value::Int(b))]);
            if n == by {
                [before, vec![Obs::Absent]].concat()
            } else {
                before
            }
        }
        Step::Incr(_, Some(Err(()))) => vec![Obs::NotInt, Obs::Exactly(Value::Int(i64::MAX)), Obs::Present],
        _ => Vec::new(),
    }
}

/// Lowe's cache: configurations (set of operations linearized, key state) already explored. The
/// set's hash is kept incrementally by the caller (a sum of per-operation hashes), so an insertion
/// costs one comparison of bitsets only when hashes meet.
struct Memo {
    words: usize,
    /// (hash, index) pairs; the hash is stored so that growing the table never rehashes bitsets.
    table: HashTable<(u64, u32)>,
    bits: Vec<u64>,
    states: Vec<Value>,
}

/// The hash one operation adds to a set's hash while it is in the set.
fn op_hash(op: usize) -> u64 {
    fmix64((op as u64).wrapping_add(0x9E37_79B9_7F4A_7C15))
}

fn state_hash(state: Value) -> u64 {
    match state {
        Value::Absent => hash_bytes(&[0]),
        Value::Int(i) => hash_bytes(&i.to_le_bytes()) ^ 1,
        Value::Str(i) => hash_bytes(&i.to_le_bytes()) ^ 2,
    }
}

impl Memo {
    fn new(words: usize) -> Memo {
        Memo { words, table: HashTable::new(), bits: Vec::new(), states: Vec::new() }
    }

    /// Inserts the configuration whose set hash is `set_hash`; false when it was already there.
    fn insert(&mut self, bits: &[u64], set_hash: u64, state: Value) -> bool {
        let w = self.words;
        let h = fmix64(set_hash ^ state_hash(state));
        let (all, states) = (&self.bits, &self.states);
        let same = |&(hh, i): &(u64, u32)| {
            let i = i as usize;
            hh == h && states[i] == state && all[i * w..(i + 1) * w] == *bits
        };
        if self.table.find(h, same).is_some() {
            return false;
        }
        let i = self.states.len() as u32;
        self.bits.extend_from_slice(bits);
        self.states.push(state);
        self.table.insert_unique(h, (h, i), |&(hh, _)| hh);
        true
    }
}

/// Limits of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct LinearLimits {
    /// Search steps one key may use before it is answered "too large".
    pub max_steps_per_key: u64,
    /// Search steps the shrinking of one failing key may use (the sub-history shown is then as
    /// small as that budget allowed).
    pub max_shrink_steps: u64,
}

impl Default for LinearLimits {
    fn default() -> Self {
        LinearLimits { max_steps_per_key: DEFAULT_MAX_STEPS, max_shrink_steps: DEFAULT_MAX_STEPS }
    }
}

/// One key that is not linearizable.
#[derive(Clone, Debug, Serialize)]
pub struct KeyFailure {
    pub key: String,
    /// The key's operations in the history.
    pub key_operations: usize,
    /// A small sub-history that is itself not linearizable (each operation's absence would make it
    /// linearizable, or removing it would leave a read with nothing that could explain it).
    pub ops: Vec<Operation>,
    /// True when the shrinking finished (no single operation can be left out); false when its
    /// budget ran out first.
    pub minimal: bool,
    pub explanation: String,
}

/// The answer for a whole history.
#[derive(Clone, Debug, Serialize)]
pub struct LinearReport {
    /// `linearizable`, `not-linearizable` or `too-large`.
    pub result: &'static str,
    pub summary: String,
    pub operations: usize,
    pub keys: usize,
    /// Search steps used in all (the deterministic measure of work).
    pub steps: u64,
    pub failures: Vec<KeyFailure>,
    /// Keys whose search ran out of steps, with their operation counts.
    pub too_large: Vec<(String, usize)>,
    pub limits: LinearLimits,
}

/// Checks a whole history with the default limits.
pub fn check_history(h: &History) -> LinearReport {
    check_history_with(h, LinearLimits::default())
}

/// Checks a whole history, key by key in key order.
pub fn check_history_with(h: &History, limits: LinearLimits) -> LinearReport {
    let mut by_key: BTreeMap<&str, Vec<&Operation>> = BTreeMap::new();
    for op in h.ops.iter().filter(|op| op.constrains()) {
        by_key.entry(op.key.as_str()).or_default().push(op);
    }
    let mut steps = 0u64;
    let mut failures = Vec::new();
    let mut too_large = Vec::new();
    for (key, ops) in &by_key {
        let p = Partition::new(ops);
        let mut used = 0u64;
        match p.search(limits.max_steps_per_key, &mut used) {
            KeyVerdict::Linearizable => {}
            KeyVerdict::TooLarge => too_large.push((key.to_string(), ops.len())),
            KeyVerdict::NotLinearizable => {
                let (keep, minimal, shrink) = shrink(&p, limits.max_shrink_steps);
                steps = steps.saturating_add(shrink);
                let sub: Vec<Operation> = keep.iter().map(|&i| ops[i].clone()).collect();
                failures.push(KeyFailure {
                    key: key.to_string(),
                    key_operations: ops.len(),
                    explanation: explain(&sub),
                    ops: sub,
                    minimal,
                });
            }
        }
        steps = steps.saturating_add(used);
    }
    let operations = by_key.values().map(Vec::len).sum();
    let keys = by_key.len();
    let (result, summary) = if !failures.is_empty() {
        let names: Vec<String> = failures.iter().map(|f| format!("{:?}", f.key)).collect();
        ("not-linearizable", format!("not linearizable: key {} has no legal order", names.join(", ")))
    } else if !too_large.is_empty() {
        let names: Vec<String> = too_large.iter().map(|(k, n)| format!("{k:?} ({n} operations)")).collect();
        (
            "too-large",
            format!(
                "too large to decide within {} search steps (or 128 MiB of memo) per key: {}; the other keys are linearizable \
                 (split the history, or raise the step limit)",
                limits.max_steps_per_key,
                names.join(", ")
            ),
        )
    } else {
        ("linearizable", format!("linearizable: {operations} operations on {keys} keys"))
    };
    LinearReport { result, summary, operations, keys, steps, failures, too_large, limits }
}

/// `ops` split by key, in key order, each key's operations in their order in `ops`, with the ones
/// that constrain nothing left out ([`Operation::constrains`]); and how many operations are kept.
///
/// The keys are indexed in a `BTreeMap<String, u32>`, the type [`Strings`] already uses: a map of
/// another type would add its own copy of `BTreeMap`'s code to the wasm.
pub fn split_by_key(ops: Vec<Operation>) -> (usize, Vec<History>) {
    let mut index: BTreeMap<String, u32> = BTreeMap::new();
    let mut groups: Vec<Vec<Operation>> = Vec::new();
    let mut operations = 0;
    for op in ops.into_iter().filter(Operation::constrains) {
        operations += 1;
        let next = groups.len() as u32;
        let i = *index.entry(op.key.clone()).or_insert(next);
        if i == next {
            groups.push(Vec::new());
        }
        groups[i as usize].push(op);
    }
    let by_key = index.values().map(|&i| History { ops: std::mem::take(&mut groups[i as usize]) }).collect();
    (operations, by_key)
}

/// The same check as [`check_history_with`], in slices a page can spread over frames: the history
/// is split by key once, then checked key by key, in key order, [`SlicedCheck::step`] keys at a
/// time. The failing keys, their sub-histories and the too-large keys are exactly
/// `check_history_with`'s.
#[derive(Clone, Debug)]
pub struct SlicedCheck {
    /// The operations checked (unknown reads, which constrain nothing, left out).
    pub operations: usize,
    by_key: Vec<History>,
    next: usize,
    limits: LinearLimits,
    pub failures: Vec<KeyFailure>,
    pub too_large: Vec<(String, usize)>,
}

impl SlicedCheck {
    pub fn new(h: History, limits: LinearLimits) -> SlicedCheck {
        let (operations, by_key) = split_by_key(h.ops);
        SlicedCheck { operations, by_key, next: 0, limits, failures: Vec::new(), too_large: Vec::new() }
    }
    /// Keys in the history.
    pub fn keys(&self) -> usize {
        self.by_key.len()
    }
    /// Keys checked so far.
    pub fn checked(&self) -> usize {
        self.next
    }
    pub fn is_done(&self) -> bool {
        self.next >= self.by_key.len()
    }
    /// Checks up to `keys` more keys; true when every key is checked.
    pub fn step(&mut self, keys: usize) -> bool {
        let end = self.next.saturating_add(keys).min(self.by_key.len());
        for h in &self.by_key[self.next..end] {
            let r = check_history_with(h, self.limits);
            self.failures.extend(r.failures);
            self.too_large.extend(r.too_large);
        }
        self.next = end;
        self.is_done()
    }
    /// The keys found linearizable so far.
    pub fn linearizable(&self) -> usize {
        self.next.saturating_sub(self.failures.len() + self.too_large.len())
    }
}

/// Shrinks a failing partition to a small failing sub-history: first without reads and other
/// observers one at a time, then without writes that no remaining operation could have observed.
/// Returns the indexes kept, whether the result is 1-minimal in that sense, and the steps used.
fn shrink(p: &Partition, budget: u64) -> (Vec<usize>, bool, u64) {
    let mut keep: Vec<usize> = (0..p.len()).collect();
    let mut used = 0u64;
    let mut changed = true;
    while changed {
        changed = false;
        let mut i = 0;
        while i < keep.len() {
            let cand = keep[i];
            let observed = keep.iter().any(|&r| r != cand && p.explains(cand, r));
            if !observed {
                let trial: Vec<usize> = keep.iter().copied().filter(|&k| k != cand).collect();
                let mut s = 0u64;
                let v = p.subset(&trial).search(budget.saturating_sub(used), &mut s);
                used = used.saturating_add(s);
                match v {
                    KeyVerdict::NotLinearizable => {
                        keep = trial;
                        changed = true;
                        continue;
                    }
                    KeyVerdict::TooLarge => return (keep, false, used),
                    KeyVerdict::Linearizable => {}
                }
            }
            i += 1;
        }
    }
    (keep, true, used)
}

/// Names the classic anomalies when the small sub-history shows one.
fn explain(sub: &[Operation]) -> String {
    let acked_write = |o: &Operation| {
        matches!(
            (&o.input, &o.output),
            (Input::Set { .. }, Some(Output::Ok))
                | (Input::SetNx { .. }, Some(Output::Ok))
                | (Input::Incr { .. }, Some(Output::Int(_)))
        )
    };
    let reads: Vec<&Operation> = sub.iter().filter(|o| o.input == Input::Get).collect();
    let writes: Vec<&Operation> = sub.iter().filter(|o| acked_write(o)).collect();
    // A read that began after an acknowledged write had returned, and saw something older.
    let stale = reads.iter().any(|r| {
        writes.iter().any(|w| {
            w.ret.is_some_and(|ret| ret < r.invoke)
                && match (&w.input, &r.output) {
                    (Input::Set { value } | Input::SetNx { value }, Some(Output::Value(v))) => v != value,
                    (Input::Incr { .. }, Some(Output::Value(v))) => {
                        matches!(&w.output, Some(Output::Int(n)) if redis_int(v).is_some_and(|x| x < *n))
                    }
                    (_, Some(Output::Nil)) => true,
                    _ => false,
                }
        })
    });
    if stale && reads.len() == 1 && writes.len() == 1 {
        return "lost acknowledged write: a write was acknowledged, then a later read did not see it (nor anything newer)"
            .into();
    }
    if stale {
        return "stale read: a read that began after a write had been acknowledged returned an older value".into();
    }
    // Deletes that each removed the key, more of them than writes that could have put it there
    // (a queue's message consumed twice: its key is written once and deleted twice).
    let removed = sub.iter().filter(|o| o.input == Input::Del && o.output == Some(Output::Int(1))).count();
    let puts = sub.iter().filter(|o| !matches!(o.input, Input::Get | Input::Del)).count();
    if reads.is_empty() && removed > puts {
        return format!(
            "double delete: {removed} DELs each removed the key, but only {puts} write(s) could have put it there"
        );
    }
    // A read that began after a delete had removed the key saw it still there, with no write that
    // could have put it back.
    let resurrected = reads.iter().any(|r| {
        matches!(r.output, Some(Output::Value(_)))
            && sub.iter().any(|d| {
                d.input == Input::Del
                    && d.output == Some(Output::Int(1))
                    && d.ret.is_some_and(|ret| ret < r.invoke)
                    && !sub
                        .iter()
                        .any(|w| !matches!(w.input, Input::Get | Input::Del) && w.ret.is_none_or(|ret| ret > d.invoke))
            })
    });
    if resurrected {
        return "read after delete: a read that began after a DEL had removed the key returned a value, and no write \
                could have put it back"
            .into();
    }
    "no order of these operations, each taking effect between its call and its return, gives every reply".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_integers_are_recognised_as_string2ll_does() {
        assert_eq!(redis_int("0"), Some(0));
        assert_eq!(redis_int("-12"), Some(-12));
        assert_eq!(redis_int("9223372036854775807"), Some(i64::MAX));
        for bad in ["", "-", "01", "-0", " 1", "1 ", "+1", "9223372036854775808", "1.0"] {
            assert_eq!(redis_int(bad), None, "{bad:?}");
        }
    }

    fn op(client: u64, key: &str, input: Input, invoke: u64, ret: u64, output: Output) -> Operation {
        Operation { client, key: key.into(), input, invoke, ret: Some(ret), output: Some(output) }
    }

    /// A lost write on "a", a double delete on "b", a read after a delete on "c", a fine "d".
    fn anomalies() -> History {
        let set = || Input::Set { value: "m".into() };
        History {
            ops: vec![
                op(1, "a", set(), 0, 2, Output::Ok),
                op(9, "a", Input::Get, 10, 10, Output::Nil),
                op(1, "b", set(), 0, 2, Output::Ok),
                op(2, "b", Input::Del, 3, 4, Output::Int(1)),
                op(3, "b", Input::Del, 5, 6, Output::Int(1)),
                op(9, "b", Input::Get, 10, 10, Output::Nil),
                op(1, "c", set(), 0, 2, Output::Ok),
                op(2, "c", Input::Del, 3, 4, Output::Int(1)),
                op(9, "c", Input::Get, 10, 10, Output::Value("m".into())),
                op(1, "d", set(), 0, 2, Output::Ok),
                op(2, "d", Input::Del, 1, 4, Output::Int(1)),
                op(9, "d", Input::Get, 10, 10, Output::Nil),
            ],
        }
    }

    #[test]
    fn a_double_delete_and_a_read_after_a_delete_are_named() {
        let r = check_history(&anomalies());
        let got: Vec<(&str, usize, &str)> = r
            .failures
            .iter()
            .map(|f| (f.key.as_str(), f.ops.len(), f.explanation.split(':').next().unwrap_or("")))
            .collect();
        assert_eq!(
            got,
            vec![("a", 2, "lost acknowledged write"), ("b", 3, "double delete"), ("c", 3, "read after delete")]
        );
        assert!(r.failures[1].explanation.contains("2 DELs each removed the key, but only 1 write(s)"));
        // The double delete's sub-history leaves the final read out: the deletes alone fail.
        assert!(r.failures[1].ops.iter().all(|o| o.input != Input::Get));
    }

    #[test]
    fn the_sliced_check_finds_what_the_one_shot_check_finds() {
        let h = anomalies();
        let one = check_history(&h);
        let mut sliced = SlicedCheck::new(h, LinearLimits::default());
        assert_eq!((sliced.keys(), sliced.operations), (one.keys, one.operations));
        let mut slices = 1;
        while !sliced.step(1) {
            slices += 1;
            assert_eq!(sliced.checked(), slices - 1);
        }
        assert_eq!(slices, 4);
        let keys = |f: &[KeyFailure]| f.iter().map(|f| (f.key.clone(), f.ops.clone())).collect::<Vec<_>>();
        assert_eq!(keys(&sliced.failures), keys(&one.failures));
        assert_eq!(sliced.linearizable(), 1);
    }

    #[test]
    fn the_memo_tells_configurations_apart_by_bits_and_state() {
        let mut m = Memo::new(2);
        let (a, b) = (op_hash(0), op_hash(64));
        assert!(m.insert(&[1, 0], a, Value::Absent));
        assert!(!m.insert(&[1, 0], a, Value::Absent));
        assert!(m.insert(&[1, 0], a, Value::Int(0)));
        assert!(m.insert(&[0, 1], b, Value::Absent));
        assert!(m.insert(&[1, 0], a, Value::Str(0)));
        assert!(!m.insert(&[1, 0], a, Value::Str(0)));
        // Equal hashes with different sets are still told apart.
        assert!(m.insert(&[0, 1], a, Value::Int(0)));
    }
}
