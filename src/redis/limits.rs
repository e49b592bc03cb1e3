//! The playground's limits, in one place: what a value, a dataset and a reply may be, checked for
//! what a command *would* produce before it runs, and by the importer for what a saved dataset
//! holds. Both use [`Limits::check_value`] and [`Limits::check_totals`], so whatever the store
//! accepts, its export loads again (issue 11: an `MSET` that left 10 002 keys was accepted, saved,
//! and then refused on reload).
//!
//! How a write command is checked: its keys (by [`key_spec`], Redis's first/last/step key
//! positions) are copied into a scratch store with the same clock and random stream, the
//! command's own handler runs there, and the scratch result is measured — the keys it would leave,
//! the elements and bytes of every value it would write, the dataset's would-be size. Only if all
//! of that is within the limits does the command run on the real store; otherwise it is refused
//! whole with an error naming the would-be value and the limit, and the store is untouched. Running
//! the real handler on a copy means the check can never disagree with what the command does.
//! Before the scratch run, arguments longer than a value may be are refused, and the string
//! handlers (APPEND, SETRANGE) check their would-be length before they allocate, so the scratch
//! run itself stays small.
//!
//! Replies: commands that repeat stored data once per argument (MGET, HMGET, SRANDMEMBER with a
//! negative count) are sized before they run; every reply is measured after it is built, which is
//! safe because any other reply is bounded by the dataset.
//!
//! Most writes never need the scratch run: `limits_fast.rs` bounds what the commonest write
//! commands can add from their arguments alone, and when the dataset plus that bound is within
//! every limit the command runs directly (the scratch run decides whenever the bound does not
//! fit, so both paths admit and refuse the same commands).
//!
//! Must never read a clock or draw randomness other than the store's own stream.

use super::args::Args;
use super::cli::quote;
use super::reply::Reply;
use super::store::Store;
use super::table::{self, CommandSpec, Flag};
use super::value::{KeyType, Value};
use serde::{Deserialize, Serialize};

/// Bounds that keep a browser tab alive and a saved dataset loadable. Exceeding one is a
/// Redis-style error reply that names the would-be value and the limit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Most keys the keyspace may hold.
    pub max_keys: usize,
    /// Longest key, string value, or collection element (list element, set or sorted-set member,
    /// hash field or value), in bytes.
    pub max_value_bytes: usize,
    /// Most elements in one list, set, hash or sorted set.
    pub max_collection_len: usize,
    /// Most bytes the whole dataset may cost, as [`value_cost`] counts them. Keeps the tab's
    /// memory bounded and the saved copy within what localStorage takes.
    pub max_dataset_bytes: u64,
    /// Most elements (counted through nested arrays) in one reply.
    pub max_reply_elements: usize,
    /// Most bytes of bulk strings in one reply.
    pub max_reply_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_keys: 10_000,
            max_value_bytes: 1 << 20,
            max_collection_len: 10_000,
            max_dataset_bytes: 4 << 20,
            max_reply_elements: 25_000,
            max_reply_bytes: 4 << 20,
        }
    }
}

/// Redis's own cap on a string (`proto-max-bulk-len`, 512 MB).
pub const PROTO_MAX_BULK_LEN: usize = 512 << 20;

impl Limits {
    /// No playground limits (benchmarks, the native REPL); Redis's own 512 MB string cap remains.
    pub fn unlimited() -> Self {
        Limits {
            max_keys: usize::MAX,
            max_value_bytes: PROTO_MAX_BULK_LEN,
            max_collection_len: usize::MAX,
            max_dataset_bytes: u64::MAX,
            max_reply_elements: usize::MAX,
            max_reply_bytes: u64::MAX,
        }
    }

    /// True when only Redis's own caps apply: commands then run without the scratch check.
    pub fn is_unlimited(&self) -> bool {
        self.max_keys == usize::MAX
            && self.max_collection_len == usize::MAX
            && self.max_dataset_bytes == u64::MAX
            && self.max_value_bytes >= PROTO_MAX_BULK_LEN
    }

    /// Whether `key` holding `value` is something the store may hold: key and every string or
    /// element within the byte limit, a collection within the element limit. Returns what the
    /// key costs towards [`Limits::max_dataset_bytes`]. The one definition both the command check
    /// and the importer use.
    pub fn check_value(&self, key: &[u8], value: &Value) -> Result<u64, Breach> {
        let too_long =
            |what: Part, len: usize| Breach::ValueBytes { key: key.to_vec(), what, len, max: self.max_value_bytes };
        if key.len() > self.max_value_bytes {
            return Err(too_long(Part::Key, key.len()));
        }
        let len = value.len();
        if !matches!(value, Value::Str(_)) && len > self.max_collection_len {
            return Err(Breach::Elements {
                key: key.to_vec(),
                kind: value.key_type(),
                len,
                max: self.max_collection_len,
            });
        }
        let (part, longest) = longest_part(value);
        if longest > self.max_value_bytes {
            return Err(too_long(part, longest));
        }
        Ok(value_cost(key, value))
    }

    /// Whether a dataset of `keys` keys costing `bytes` fits.
    pub fn check_totals(&self, keys: usize, bytes: u64) -> Result<(), Breach> {
        if keys > self.max_keys {
            return Err(Breach::Keys { count: keys, max: self.max_keys });
        }
        if bytes > self.max_dataset_bytes {
            return Err(Breach::DatasetBytes { bytes, max: self.max_dataset_bytes });
        }
        Ok(())
    }
}

/// The longest string a value holds (the string itself, or its longest element, member, field
/// or value) and which part that is. O(elements).
pub(crate) fn longest_part(value: &Value) -> (Part, usize) {
    let longest = |lens: &mut dyn Iterator<Item = usize>| lens.max().unwrap_or(0);
    match value {
        Value::Str(s) => (Part::String, s.len()),
        Value::List(l) => (Part::Element, longest(&mut l.iter().map(Vec::len))),
        Value::Set(s) => (Part::Member, longest(&mut s.iter().map(Vec::len))),
        Value::Hash(h) => (Part::Field, longest(&mut h.iter().map(|(f, v)| f.len().max(v.len())))),
        Value::ZSet(z) => (Part::Member, longest(&mut z.iter().map(|(m, _)| m.len()))),
        Value::Stream(s) => (Part::Field, longest(&mut stream_names(s))),
    }
}

/// What each key and each element costs beyond its bytes (a rough per-item overhead: so that a
/// million empty elements are not free, and about what the saved JSON spends on quotes, commas
/// and scores).
pub const ITEM_OVERHEAD: u64 = 16;

/// What `key` holding `value` costs towards the dataset limit: its bytes (key, string, every
/// element, field, value and member) plus [`ITEM_OVERHEAD`] for the key and for each element.
pub fn value_cost(key: &[u8], value: &Value) -> u64 {
    let items = |n: usize, bytes: usize| n as u64 * ITEM_OVERHEAD + bytes as u64;
    let payload = match value {
        Value::Str(s) => s.len() as u64,
        Value::List(l) => items(l.len(), l.iter().map(Vec::len).sum()),
        Value::Set(s) => items(s.len(), s.iter().map(Vec::len).sum()),
        Value::Hash(h) => items(h.len(), h.iter().map(|(f, v)| f.len() + v.len()).sum()),
        Value::ZSet(z) => items(z.len(), z.iter().map(|(m, _)| m.len()).sum()),
        // An entry counts like an element (its fields and values its bytes); a group, a consumer
        // and a pending entry each like an element too, so a stream's bookkeeping is not free.
        Value::Stream(s) => {
            let entries = items(s.len(), s.payload_bytes());
            let groups: u64 = s
                .groups
                .iter()
                .map(|(name, g)| {
                    items(1 + g.pel.len(), name.len())
                        + g.consumers.keys().map(|c| items(1, c.len())).sum::<u64>()
                        + g.pel.values().map(|n| n.consumer.len() as u64).sum::<u64>()
                })
                .sum();
            entries + groups
        }
    };
    ITEM_OVERHEAD + key.len() as u64 + payload
}

/// The byte strings of a stream (fields, values, group and consumer names) for the per-value
/// byte limit.
fn stream_names(s: &super::stream::Stream) -> impl Iterator<Item = usize> + '_ {
    s.payload()
        .map(<[u8]>::len)
        .chain(s.groups.iter().flat_map(|(g, grp)| std::iter::once(g.len()).chain(grp.consumers.keys().map(Vec::len))))
}

/// Which part of a value is too long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Key,
    String,
    Element,
    Member,
    Field,
}

impl Part {
    fn name(self) -> &'static str {
        match self {
            Part::Key => "key name",
            Part::String => "string",
            Part::Element => "element",
            Part::Member => "member",
            Part::Field => "field or value",
        }
    }
}

/// A limit that a dataset crosses (or a command would make it cross).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Breach {
    #[error("{count} keys, the most allowed is {max}")]
    Keys { count: usize, max: usize },
    #[error("{bytes} bytes of data, the most allowed is {max}")]
    DatasetBytes { bytes: u64, max: u64 },
    #[error("{} {} of {len} elements, the most allowed is {max}", kind.name(), show_key(key))]
    Elements { key: Vec<u8>, kind: KeyType, len: usize, max: usize },
    #[error("a {} of {len} bytes at key {}, the most allowed is {max}", what.name(), show_key(key))]
    ValueBytes { key: Vec<u8>, what: Part, len: usize, max: usize },
}

impl Breach {
    /// The error reply of a command refused because it would cross this limit.
    pub fn refusal(&self) -> Reply {
        let text = match self {
            Breach::Keys { count, max } => {
                format!("OOM playground limit: this command would leave {count} keys, the most allowed is {max}; nothing was changed (delete keys or FLUSHDB)")
            }
            Breach::DatasetBytes { bytes, max } => format!(
                "OOM playground limit: this command would make the dataset {bytes} bytes, the most allowed is {max}; nothing was changed (delete keys or FLUSHDB)"
            ),
            Breach::Elements { key, kind, len, max } => format!(
                "ERR playground limit: this command would make {} {} hold {len} elements, the most allowed is {max}; nothing was changed",
                kind.name(),
                show_key(key)
            ),
            Breach::ValueBytes { key, what, len, max } => format!(
                "ERR playground limit: this command would write a {} of {len} bytes at key {}, the most allowed is {max}; nothing was changed",
                what.name(),
                show_key(key)
            ),
        };
        Reply::Error(text)
    }
}

/// Whether `reply` is a playground-limit refusal (every one starts with one of these prefixes).
pub fn is_refusal(reply: &Reply) -> bool {
    matches!(reply, Reply::Error(e) if e.starts_with("ERR playground limit:") || e.starts_with("OOM playground limit:"))
}

/// A key as redis-cli quotes it, cut to 40 bytes so an error stays one readable line.
pub fn show_key(key: &[u8]) -> String {
    const SHOWN: usize = 40;
    if key.len() <= SHOWN {
        quote(key)
    } else {
        format!("{}… ({} bytes)", quote(&key[..SHOWN]), key.len())
    }
}

/// Where a command's keys are in its arguments (Redis's key specs, as far as the model needs
/// them to copy a write command's keys into the scratch store), and in which database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySpec {
    /// `cmd key …`
    First,
    /// `cmd source destination …`
    FirstTwo,
    /// `cmd key [key …]`
    All,
    /// `cmd key value [key value …]`
    EveryOther,
    /// `cmd destination numkeys key [key …] …` (ZUNIONSTORE and friends)
    DestNumkeys,
    /// `MOVE key db`: the key here and the same key in database `db`.
    Move,
    /// `COPY source destination [DB db] [REPLACE]`: the destination lives in database `db` when
    /// that option is given.
    Copy,
    /// `XGROUP <subcommand> key …`: the key is the second argument.
    Second,
    /// `XREADGROUP … STREAMS key [key …] id [id …]`: the first half after STREAMS.
    Streams,
}

/// Write commands that act on whole databases rather than named keys, and why they need no
/// scratch run: FLUSHDB and FLUSHALL only remove data; SWAPDB only exchanges two databases, and
/// the limits count every database together, so it changes no total.
pub const WHOLE_KEYSPACE: &[&str] = &["flushdb", "flushall", "swapdb"];

/// The key positions of a write command, by name. Every write command of the table has one or is
/// in [`WHOLE_KEYSPACE`] (a unit test checks this, so a new command cannot slip past the limits).
pub fn key_spec(name: &str) -> Option<KeySpec> {
    use KeySpec::*;
    Some(match name {
        "set" | "getset" | "setnx" | "setex" | "psetex" | "append" | "incr" | "decr" | "incrby" | "decrby"
        | "incrbyfloat" | "getdel" | "getex" | "setrange" | "expire" | "pexpire" | "expireat" | "pexpireat"
        | "persist" | "lpush" | "rpush" | "lpushx" | "rpushx" | "lpop" | "rpop" | "lset" | "lrem" | "ltrim"
        | "linsert" | "sadd" | "srem" | "spop" | "hset" | "hmset" | "hsetnx" | "hdel" | "hincrby" | "hincrbyfloat"
        | "zadd" | "zincrby" | "zrem" | "zpopmin" | "zpopmax" | "zremrangebyscore" | "zremrangebyrank"
        | "zremrangebylex" | "setbit" | "pfadd" | "restore" | "xadd" | "xdel" | "xtrim" | "xsetid" | "xack"
        | "xclaim" | "xautoclaim" => First,
        "xgroup|create" | "xgroup|setid" | "xgroup|destroy" | "xgroup|createconsumer" | "xgroup|delconsumer" => Second,
        "xreadgroup" => Streams,
        "rename" | "renamenx" | "lmove" | "rpoplpush" | "blmove" | "brpoplpush" | "smove" | "zrangestore" => FirstTwo,
        "del" | "unlink" | "sunionstore" | "sinterstore" | "sdiffstore" | "pfmerge" => All,
        // Pops only shrink what they name; every argument is copied (the counts and the timeout
        // too, which is harmless: a key they happen to name is only measured, never changed).
        "blpop" | "brpop" | "bzpopmin" | "bzpopmax" | "lmpop" | "blmpop" | "zmpop" | "bzmpop" => All,
        "mset" | "msetnx" => EveryOther,
        "zunionstore" | "zinterstore" | "zdiffstore" => DestNumkeys,
        "move" => Move,
        "copy" => Copy,
        _ => return None,
    })
}

/// The distinct (database, key) pairs `argv` names under `spec`, in argument order; `db` is the
/// database the command runs in.
fn keys_of(spec: KeySpec, argv: &[Vec<u8>], db: usize, databases: usize) -> Vec<(usize, &[u8])> {
    let args = argv.get(1..).unwrap_or_default();
    fn in_db<'a>(db: usize, keys: impl Iterator<Item = &'a Vec<u8>>) -> Vec<(usize, &'a [u8])> {
        keys.map(|k| (db, k.as_slice())).collect()
    }
    // A database argument as the handler will read it; a bad one fails there, before any write.
    let db_arg = |a: Option<&Vec<u8>>| {
        a.and_then(|a| super::num::parse_i64(a)).and_then(|i| usize::try_from(i).ok()).filter(|&i| i < databases)
    };
    let named: Vec<(usize, &[u8])> = match spec {
        KeySpec::First => in_db(db, args.iter().take(1)),
        KeySpec::FirstTwo => in_db(db, args.iter().take(2)),
        KeySpec::All => in_db(db, args.iter()),
        KeySpec::EveryOther => in_db(db, args.iter().step_by(2)),
        KeySpec::DestNumkeys => {
            let n =
                args.get(1).and_then(|a| super::num::parse_i64(a)).and_then(|n| usize::try_from(n).ok()).unwrap_or(0);
            in_db(db, args.iter().take(1).chain(args.iter().skip(2).take(n)))
        }
        KeySpec::Move => {
            let mut v = in_db(db, args.iter().take(1));
            if let (Some(k), Some(to)) = (args.first(), db_arg(args.get(1))) {
                v.push((to, k.as_slice()));
            }
            v
        }
        KeySpec::Second => in_db(db, args.iter().skip(1).take(1)),
        KeySpec::Streams => {
            let after = args.iter().position(|a| a.eq_ignore_ascii_case(b"streams")).map_or(args.len(), |i| i + 1);
            let rest = &args[after.min(args.len())..];
            in_db(db, rest.iter().take(rest.len() / 2))
        }
        KeySpec::Copy => {
            let to = args
                .iter()
                .skip(2)
                .position(|a| a.eq_ignore_ascii_case(b"db"))
                .and_then(|i| db_arg(args.get(2 + i + 1)))
                .unwrap_or(db);
            let mut v = in_db(db, args.iter().take(1));
            v.extend(args.get(1).map(|k| (to, k.as_slice())));
            v
        }
    };
    let mut seen = super::keyspace::Set::<(usize, &[u8])>::default();
    named.into_iter().filter(|k| seen.insert(*k)).collect()
}

impl Store {
    /// What every key of every database holds together costs towards
    /// [`Limits::max_dataset_bytes`]. O(keys + elements); the command check only needs it when a
    /// command would grow the dataset.
    pub fn dataset_cost(&self) -> u64 {
        (0..self.database_count()).map(|i| self.db_view(i).0.iter().map(|(k, v)| value_cost(k, v)).sum::<u64>()).sum()
    }

    /// Keys held by all databases together (what [`Limits::max_keys`] bounds).
    pub fn total_keys(&self) -> usize {
        (0..self.database_count()).map(|i| self.database_len(i)).sum()
    }

    /// Runs `spec`'s handler on `argv` under the playground limits (see the module header).
    pub(crate) fn run_limited(&mut self, spec: &'static CommandSpec, argv: &[Vec<u8>]) -> Reply {
        if let Some(refused) = self.check_arguments(argv).or_else(|| self.check_reply_before(spec, argv)) {
            return refused;
        }
        let checked = spec.flags.contains(&Flag::Write) && !self.limits.is_unlimited();
        // Within every limit by its bound (`limits_fast.rs`): no scratch run.
        let admitted = checked.then(|| self.fast_admit(spec.name, argv)).flatten();
        let probe = match key_spec(spec.name) {
            Some(keys) if checked && admitted.is_none() => Some(keys),
            _ => None,
        };
        if let Some(keys) = probe {
            self.limit_runs.scratch += 1;
            let touched = keys_of(keys, argv, self.active_db(), self.database_count());
            let check = self.probe(&touched, |scratch| {
                let mut args = Args::new(argv);
                let (Err(reply) | Ok(reply)) = (spec.handler)(scratch, &mut args);
                // A handler's own guard (a string that would grow past the limit) refused it.
                is_refusal(&reply).then_some(reply)
            });
            if let Err(refusal) = check {
                return refusal;
            }
        }
        let mut args = Args::new(argv);
        let reply = match (spec.handler)(self, &mut args) {
            Ok(r) | Err(r) => r,
        };
        if let Some(admitted) = admitted {
            self.after_fast(admitted);
        }
        self.check_reply_after(reply)
    }

    /// Arguments longer than any value may be are refused before anything else (a key, a string
    /// or an element made of one could never be stored).
    fn check_arguments(&self, argv: &[Vec<u8>]) -> Option<Reply> {
        let a = argv.iter().find(|a| a.len() > self.limits.max_value_bytes)?;
        Some(Reply::Error(format!(
            "ERR playground limit: an argument of {} bytes is longer than a value may be ({} bytes); nothing was changed",
            a.len(),
            self.limits.max_value_bytes
        )))
    }

    /// Whether running `effect` would keep the store within its limits: copies the `touched`
    /// (database, key) pairs into a scratch store with the same clock, random stream and active
    /// database, runs `effect` there (it may refuse by itself), and measures what those keys would
    /// be afterwards against every database's totals. The store itself is not changed. Used for
    /// every write command and for the writes a blocked client's wake-up makes (BLMOVE's push).
    pub(crate) fn probe(
        &self,
        touched: &[(usize, &[u8])],
        effect: impl FnOnce(&mut Store) -> Option<Reply>,
    ) -> Result<(), Reply> {
        if self.limits.is_unlimited() {
            return Ok(());
        }
        let mut scratch = Store::with_limits(
            self.rng.clone(),
            // The handlers' own checks guard allocations (string growth); counts are measured below.
            Limits {
                max_keys: usize::MAX,
                max_collection_len: usize::MAX,
                max_dataset_bytes: u64::MAX,
                ..self.limits.clone()
            },
        );
        scratch.clock_offset = self.clock_offset;
        scratch.now_ms = self.now_ms;
        scratch.started_ms = self.started_ms;
        let mut before: Vec<Option<u64>> = Vec::with_capacity(touched.len());
        for &(db, k) in touched {
            let (keys, expires) = self.db_view(db);
            before.push(keys.get(k).map(|v| value_cost(k, v)));
            if let Some(v) = keys.get(k) {
                let when = expires.get(k).copied();
                scratch.with_database(db, |sc| {
                    sc.db.insert(k, v.clone());
                    if let Some(when) = when {
                        sc.expires.insert(Box::from(k), when);
                    }
                });
            }
        }
        // The scratch runs as a client of the same database that may not block (a blocking
        // command there only shows what it would take now).
        let me = scratch.connect_scratch_client(self.active_db());
        scratch.srv.current = me;
        scratch.activate_db(self.active_db());
        if let Some(refused) = effect(&mut scratch) {
            return Err(refused);
        }
        let before_keys = before.iter().flatten().count();
        let before_cost: u64 = before.iter().flatten().sum();
        let (mut after_keys, mut after_cost) = (0usize, 0u64);
        for (&(db, k), was) in touched.iter().zip(&before) {
            let Some(v) = scratch.db_view(db).0.get(k) else { continue };
            after_keys += 1;
            let cost = value_cost(k, v);
            // A value that did not grow passes as it is: a dataset loaded under larger limits
            // stays usable, and shrinking it is always allowed.
            if was.is_none_or(|w| cost > w) {
                self.limits.check_value(k, v).map_err(|b| b.refusal())?;
            }
            after_cost += cost;
        }
        if after_keys > before_keys {
            let keys = self.total_keys() - before_keys + after_keys;
            if keys > self.limits.max_keys {
                return Err(Breach::Keys { count: keys, max: self.limits.max_keys }.refusal());
            }
        }
        if after_cost > before_cost {
            let bytes = self.dataset_cost() - before_cost + after_cost;
            if bytes > self.limits.max_dataset_bytes {
                return Err(Breach::DatasetBytes { bytes, max: self.limits.max_dataset_bytes }.refusal());
            }
        }
        Ok(())
    }

    /// Sizes the replies that repeat stored data once per argument, before they are built.
    fn check_reply_before(&self, spec: &CommandSpec, argv: &[Vec<u8>]) -> Option<Reply> {
        let string_len = |k: &[u8]| match self.db.get(k) {
            Some(Value::Str(s)) => s.len() as u64,
            _ => 0,
        };
        let (elements, bytes): (u64, u64) = match spec.name {
            "mget" => (argv.len() as u64 - 1, argv[1..].iter().map(|k| string_len(k)).sum()),
            "hmget" => {
                let hash = match self.db.get(&argv[1]) {
                    Some(Value::Hash(h)) => Some(h),
                    _ => None,
                };
                let field_len = |f: &Vec<u8>| hash.and_then(|h| h.get(f)).map_or(0, |v| v.len() as u64);
                (argv.len() as u64 - 2, argv[2..].iter().map(field_len).sum())
            }
            "smismember" => (argv.len() as u64 - 2, 0),
            "srandmember" if argv.len() == 3 => {
                // Only a set's own picks: range and type errors come from the handler, which
                // also counts the elements; here the bytes, an upper bound (every pick could be
                // the longest member).
                let count = super::num::parse_i64(&argv[2]).filter(|c| *c < 0 && *c != i64::MIN)?.unsigned_abs();
                let Some(Value::Set(set)) = self.db.get(&argv[1]) else {
                    return None;
                };
                let longest = set.iter().map(Vec::len).max().unwrap_or(0) as u64;
                (0, count.saturating_mul(longest))
            }
            _ => return None,
        };
        self.reply_breach(elements, bytes, true)
    }

    fn reply_breach(&self, elements: u64, bytes: u64, would: bool) -> Option<Reply> {
        let verb = if would { "would have" } else { "has" };
        if elements > self.limits.max_reply_elements as u64 {
            return Some(Reply::Error(format!(
                "ERR playground limit: the reply {verb} {elements} elements, the most allowed is {}; narrow the range or use SCAN",
                self.limits.max_reply_elements
            )));
        }
        if bytes > self.limits.max_reply_bytes {
            return Some(Reply::Error(format!(
                "ERR playground limit: the reply {verb} {bytes} bytes, the most allowed is {}; ask for fewer or smaller values",
                self.limits.max_reply_bytes
            )));
        }
        None
    }

    /// Measures a built reply (elements through nested arrays, bulk bytes).
    pub(crate) fn check_reply_after(&self, reply: Reply) -> Reply {
        fn measure(r: &Reply, elements: &mut u64, bytes: &mut u64) {
            *elements += 1;
            match r {
                Reply::Array(items) => items.iter().for_each(|i| measure(i, elements, bytes)),
                Reply::Bulk(b) => *bytes += b.len() as u64,
                _ => {}
            }
        }
        if !matches!(reply, Reply::Array(_) | Reply::Bulk(_)) {
            return reply;
        }
        let (mut elements, mut bytes) = (0u64, 0u64);
        measure(&reply, &mut elements, &mut bytes);
        // The array itself is not an element of the reply.
        let elements = if matches!(reply, Reply::Array(_)) { elements - 1 } else { elements };
        self.reply_breach(elements, bytes, false).unwrap_or(reply)
    }
}

/// Every write command of the table, with whether the scratch check covers it.
pub fn coverage() -> Vec<(&'static str, bool)> {
    table::every_spec()
        .filter(|c| c.flags.contains(&Flag::Write))
        .map(|c| (c.name, key_spec(c.name).is_some() || WHOLE_KEYSPACE.contains(&c.name)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::SimRng;
    use expect_test::expect;

    #[test]
    fn every_write_command_has_its_keys_declared() {
        let missing: Vec<&str> = coverage().into_iter().filter(|(_, ok)| !ok).map(|(n, _)| n).collect();
        assert!(missing.is_empty(), "write commands the limit check cannot see: {missing:?} (add them to key_spec)");
    }

    fn small() -> Store {
        Store::with_limits(
            SimRng::new(1),
            Limits {
                max_keys: 3,
                max_value_bytes: 8,
                max_collection_len: 3,
                max_dataset_bytes: 200,
                max_reply_elements: 4,
                max_reply_bytes: 20,
            },
        )
    }

    use crate::redis::store::run_lines as run;

    #[test]
    fn each_limit_is_checked_for_what_the_command_would_produce() {
        let mut s = small();
        expect![[r#"
            MSET a 1 b 2 c 3 d 4 -> (error) OOM playground limit: this command would leave 4 keys, the most allowed is 3; nothing was changed (delete keys or FLUSHDB)
            DBSIZE -> (integer) 0
            MSET a 1 b 2 c 3 -> OK
            SET a 22 -> OK
            SET d 4 -> (error) OOM playground limit: this command would leave 4 keys, the most allowed is 3; nothing was changed (delete keys or FLUSHDB)
            RENAME a d -> OK
            COPY d e -> (error) OOM playground limit: this command would leave 4 keys, the most allowed is 3; nothing was changed (delete keys or FLUSHDB)
            DEL b c -> (integer) 2
            RPUSH l 1 2 3 4 -> (error) ERR playground limit: this command would make list "l" hold 4 elements, the most allowed is 3; nothing was changed
            RPUSH l 1 2 3 -> (integer) 3
            LINSERT l BEFORE 1 0 -> (error) ERR playground limit: this command would make list "l" hold 4 elements, the most allowed is 3; nothing was changed
            LINSERT l BEFORE nope 0 -> (integer) -1
            SADD s x x x y -> (integer) 2
            SADD s z w -> (error) ERR playground limit: this command would make set "s" hold 4 elements, the most allowed is 3; nothing was changed
            SMOVE s l x -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            APPEND d 123456789 -> (error) ERR playground limit: an argument of 9 bytes is longer than a value may be (8 bytes); nothing was changed
            APPEND d 1234567 -> (error) ERR playground limit: this command would write a string of 9 bytes at key "d", the most allowed is 8; nothing was changed
            SETRANGE d 7 xy -> (error) ERR playground limit: this command would write a string of 9 bytes at key "d", the most allowed is 8; nothing was changed
            GET d -> "22"
            MGET d d d d d -> (error) ERR playground limit: the reply would have 5 elements, the most allowed is 4; narrow the range or use SCAN
            LRANGE l 0 -1 -> ["1", "2", "3"]"#]]
        .assert_eq(&run(
            &mut s,
            "MSET a 1 b 2 c 3 d 4
             DBSIZE
             MSET a 1 b 2 c 3
             SET a 22
             SET d 4
             RENAME a d
             COPY d e
             DEL b c
             RPUSH l 1 2 3 4
             RPUSH l 1 2 3
             LINSERT l BEFORE 1 0
             LINSERT l BEFORE nope 0
             SADD s x x x y
             SADD s z w
             SMOVE s l x
             APPEND d 123456789
             APPEND d 1234567
             SETRANGE d 7 xy
             GET d
             MGET d d d d d
             LRANGE l 0 -1",
        ));
    }

    #[test]
    fn the_dataset_and_reply_byte_limits_count_what_would_be_there() {
        let mut s = small();
        s.limits.max_keys = 10;
        // A key costs 16 + its bytes; a string adds its bytes, an element 16 + its bytes.
        expect![[r#"
            SET a 12345678 -> OK
            RPUSH l 12345678 12345678 12345678 -> (integer) 3
            SET b 12345678 -> OK
            SADD s 1234 5678 -> (integer) 2
            SADD s 9 -> (error) OOM playground limit: this command would make the dataset 213 bytes, the most allowed is 200; nothing was changed (delete keys or FLUSHDB)
            RENAME b bbbbbbb -> (error) OOM playground limit: this command would make the dataset 202 bytes, the most allowed is 200; nothing was changed (delete keys or FLUSHDB)
            RENAME b bbbbb -> OK
            DEL l -> (integer) 1
            MGET a a a -> (error) ERR playground limit: the reply would have 24 bytes, the most allowed is 20; ask for fewer or smaller values
            MGET a a -> ["12345678", "12345678"]"#]]
        .assert_eq(&run(
            &mut s,
            "SET a 12345678
             RPUSH l 12345678 12345678 12345678
             SET b 12345678
             SADD s 1234 5678
             SADD s 9
             RENAME b bbbbbbb
             RENAME b bbbbb
             DEL l
             MGET a a a
             MGET a a",
        ));
        // a 25, bbbbb 29, s 17 + 20 + 20.
        assert_eq!(s.dataset_cost(), 25 + 29 + 57);
    }

    #[test]
    fn a_command_that_only_shrinks_runs_even_over_the_limits() {
        // A dataset loaded under larger limits stays usable: deleting from it is always allowed.
        let mut s = Store::new(SimRng::new(1));
        run(&mut s, "MSET a 1 b 2 c 3\nRPUSH l 1 2 3 4 5");
        s.limits = Limits { max_keys: 2, max_collection_len: 2, ..Limits::default() };
        expect![[r#"
            LPOP l -> "1"
            DEL a -> (integer) 1
            SET d 4 -> (error) OOM playground limit: this command would leave 4 keys, the most allowed is 2; nothing was changed (delete keys or FLUSHDB)
            SET b 22 -> OK
            RPUSH l 6 -> (error) ERR playground limit: this command would make list "l" hold 5 elements, the most allowed is 2; nothing was changed"#]]
        .assert_eq(&run(&mut s, "LPOP l\nDEL a\nSET d 4\nSET b 22\nRPUSH l 6"));
    }
}

/// The limits across databases and clients: every database counts towards one total, commands
/// that touch two databases are checked in both, and the check holds on every path a write takes
/// (any client, inside EXEC, a blocked client's wake-up).
#[cfg(test)]
mod engine_tests {
    use super::*;
    use crate::redis::server::run_clients_on;
    use crate::sim::SimRng;
    use expect_test::expect;

    fn small() -> Store {
        Store::with_limits(
            SimRng::new(1),
            Limits {
                max_keys: 3,
                max_value_bytes: 8,
                max_collection_len: 3,
                max_dataset_bytes: 1_000,
                max_reply_elements: 100,
                max_reply_bytes: 1_000,
            },
        )
    }

    #[test]
    fn keys_in_every_database_count_towards_one_limit_and_copy_db_is_checked_in_its_target() {
        let mut s = small();
        expect![[r#"
            A: SET a 1 -> OK
            A: SELECT 1 -> OK
            A: MSET b 2 c 3 -> OK
            B: SET d 4 -> (error) OOM playground limit: this command would leave 4 keys, the most allowed is 3; nothing was changed (delete keys or FLUSHDB)
            A: COPY b b DB 2 -> (error) OOM playground limit: this command would leave 4 keys, the most allowed is 3; nothing was changed (delete keys or FLUSHDB)
            A: COPY b c DB 0 REPLACE -> (error) OOM playground limit: this command would leave 4 keys, the most allowed is 3; nothing was changed (delete keys or FLUSHDB)
            A: COPY b c REPLACE -> (integer) 1
            A: MOVE b 0 -> (integer) 1
            A: MOVE c 0 -> (integer) 1
            A: DBSIZE -> (integer) 0
            B: DBSIZE -> (integer) 3
            A: SWAPDB 0 1 -> OK
            A: DBSIZE -> (integer) 3
            A: FLUSHDB -> OK
            B: SET d 4 -> OK
            B: COPY d d DB 5 -> (integer) 1
            A: SELECT 5 -> OK
            A: GET d -> "4"
        "#]]
        .assert_eq(&run_clients_on(
            &mut s,
            "A: SET a 1\nA: SELECT 1\nA: MSET b 2 c 3\nB: SET d 4\nA: COPY b b DB 2\nA: COPY b c DB 0 REPLACE
             A: COPY b c REPLACE\nA: MOVE b 0\nA: MOVE c 0\nA: DBSIZE\nB: DBSIZE\nA: SWAPDB 0 1\nA: DBSIZE\nA: FLUSHDB
             B: SET d 4\nB: COPY d d DB 5\nA: SELECT 5\nA: GET d",
        ));
        assert_eq!((s.database_len(0), s.database_len(5), s.total_keys()), (1, 1, 2));
    }

    #[test]
    fn a_move_into_a_database_is_checked_there() {
        // MOVE keeps the totals, but the value it lands is checked like any write that grows a
        // key (a dataset loaded under looser limits cannot be spread by moving it).
        let mut s = small();
        run_clients_on(&mut s, "A: SET k 12345678");
        s.limits.max_value_bytes = 4;
        expect![[r#"
            A: MOVE k 1 -> (error) ERR playground limit: this command would write a string of 8 bytes at key "k", the most allowed is 4; nothing was changed
            A: GET k -> "12345678"
            A: DEL k -> (integer) 1
        "#]]
        .assert_eq(&run_clients_on(&mut s, "A: MOVE k 1\nA: GET k\nA: DEL k"));
    }

    #[test]
    fn a_refused_command_inside_exec_is_an_error_in_execs_array_and_changes_nothing() {
        // Redis's shape for a command that fails when EXEC runs it (WRONGTYPE, say): its error
        // takes its place in the array and the others run. The limits can only be known at that
        // moment (earlier commands of the transaction change what a later one would produce).
        let mut s = small();
        expect![[r#"
            A: RPUSH l 1 2 -> (integer) 2
            A: MULTI -> OK
            A: SET a 1 -> QUEUED
            A: RPUSH l 3 4 -> QUEUED
            A: RPUSH l 3 -> QUEUED
            A: SET b 2 -> QUEUED
            A: SET c 3 -> QUEUED
            A: EXEC -> [OK, (error) ERR playground limit: this command would make list "l" hold 4 elements, the most allowed is 3; nothing was changed, (integer) 3, OK, (error) OOM playground limit: this command would leave 4 keys, the most allowed is 3; nothing was changed (delete keys or FLUSHDB)]
            A: LRANGE l 0 -1 -> ["1", "2", "3"]
            A: EXISTS c -> (integer) 0
        "#]]
        .assert_eq(&run_clients_on(
            &mut s,
            "A: RPUSH l 1 2\nA: MULTI\nA: SET a 1\nA: RPUSH l 3 4\nA: RPUSH l 3\nA: SET b 2\nA: SET c 3\nA: EXEC
             A: LRANGE l 0 -1\nA: EXISTS c",
        ));
    }

    #[test]
    fn a_blocked_blmove_whose_push_would_cross_a_limit_gets_the_refusal_and_nothing_moves() {
        // As Redis serves a BLMOVE whose destination has the wrong type: the receiver gets the
        // error, is unblocked, and the element stays where it was.
        let mut s = small();
        expect![[r#"
            B: RPUSH dst a b c -> (integer) 3
            A: BLMOVE src dst LEFT RIGHT 0 -> (blocked)
            B: LPUSH src x -> (integer) 1
              A <- (error) ERR playground limit: this command would make list "dst" hold 4 elements, the most allowed is 3; nothing was changed
            B: LRANGE src 0 -1 -> ["x"]
            B: LLEN dst -> (integer) 3
            A: BLMOVE src other LEFT RIGHT 0 -> "x"
            B: EXISTS src -> (integer) 0
        "#]]
        .assert_eq(&run_clients_on(
            &mut s,
            "B: RPUSH dst a b c\nA: BLMOVE src dst LEFT RIGHT 0\nB: LPUSH src x\nB: LRANGE src 0 -1\nB: LLEN dst
             A: BLMOVE src other LEFT RIGHT 0\nB: EXISTS src",
        ));
        s.check_indexes().unwrap();
    }

    #[test]
    fn every_database_is_saved_and_loaded_under_one_total() {
        let mut s = small();
        run_clients_on(&mut s, "A: SET a 1\nA: SELECT 7\nA: SET b 2 PX 100000");
        let json = s.export_checked(crate::sim::TEST_EPOCH).unwrap();
        assert!(json.contains(r#""databases":[{"index":7"#), "{json}");
        let mut t = small();
        t.import_json(&json).unwrap();
        assert_eq!((t.database_len(0), t.database_len(7)), (1, 1));
        assert_eq!(t.export_json(crate::sim::TEST_EPOCH), json);
        // Loaded under a limit of one key in all, the two databases together are refused.
        t.limits.max_keys = 1;
        let e = t.import_json(&json).unwrap_err().to_string();
        assert_eq!(e, "stored dataset holds 2 keys, the most allowed is 1");
        let e = t.import_json(r#"{"version":1,"keys":[],"databases":[{"index":16,"keys":[]}]}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "stored dataset has database 16; this store has databases 0 to 15 (each listed once)"
        );
        assert_eq!(t.database_len(7), 1, "a refused import leaves the store alone");
    }
}
