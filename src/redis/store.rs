//! The keyspace: values, expirations beside them, the clock a command sees, and dispatch through
//! the command table.
//!
//! Time: `execute(now, …)` is given the caller's virtual time (Unix ms). The store adds its own
//! `clock_offset`, which only `DEBUG SLEEP` grows: a real server blocks for that long and the world
//! moves on; the model instead jumps its own clock forward, so later commands (with the caller's
//! unchanged `now`) see the sleep as elapsed. Expiry deadlines are absolute store-clock times.
//!
//! This module must never read a wall clock or draw randomness from anywhere but its `SimRng`.

use serde::{Deserialize, Serialize};

use super::args::{err, error, Args, CmdResult};
use super::keyspace::{Keyspace, Map};
use super::reply::Reply;
use super::table;
use super::value::KeyType;
use super::value::Value;
use crate::sim::{SimDuration, SimRng, SimTime};

pub use super::limits::Limits;

/// Counters INFO reports.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub total_commands_processed: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub expired_keys: u64,
    /// Keys removed to stay under `maxmemory` (`redis::evict`).
    #[serde(default)]
    pub evicted_keys: u64,
    /// Active-expire cycles run (each one is Redis's `activeExpireCycle` for the one db).
    pub active_expire_cycles: u64,
}

/// The modeled Redis server (one database).
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) db: Keyspace,
    /// Deadline (store-clock Unix ms) of every key that has one; a key here is always in `db`.
    pub(crate) expires: Map<Box<[u8]>, i64>,
    pub(crate) rng: SimRng,
    /// Added to the caller's `now`; grown only by `DEBUG SLEEP`.
    pub(crate) clock_offset: SimDuration,
    /// The store clock of the command being executed (Unix ms).
    pub(crate) now_ms: i64,
    pub(crate) limits: Limits,
    pub(crate) stats: Stats,
    /// When the store was created, for INFO's uptime.
    pub(crate) started_ms: Option<i64>,
    /// The Lua script cache and the state scripts share (EVAL, SCRIPT).
    pub(crate) scripts: super::script::ScriptEngine,
    /// Everything beyond the selected keyspace: the other databases, clients, transactions,
    /// pub/sub, blocked clients, CONFIG (see `server.rs`).
    pub(crate) srv: Box<super::server::ServerState>,
    /// What the active-expire cycle keeps between runs (`redis::expire`).
    pub(crate) active_expire: super::expire::ActiveExpire,
    /// The eviction pool, its random stream and the recently evicted keys (`redis::evict`).
    pub(crate) evict: super::evict::Eviction,
    /// How often the limit check took its fast path or its scratch run (`redis::limits_fast`).
    pub(crate) limit_runs: super::limits_fast::LimitRuns,
}

impl Store {
    /// An empty store with the playground's default [`Limits`].
    pub fn new(rng: SimRng) -> Store {
        Store::with_limits(rng, Limits::default())
    }

    pub fn with_limits(rng: SimRng, limits: Limits) -> Store {
        Store {
            db: Keyspace::new(),
            expires: Map::default(),
            rng,
            clock_offset: SimDuration::ZERO,
            now_ms: 0,
            limits,
            stats: Stats::default(),
            started_ms: None,
            scripts: super::script::ScriptEngine::default(),
            srv: Box::default(),
            active_expire: Default::default(),
            evict: Default::default(),
            limit_runs: Default::default(),
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }
    pub fn stats(&self) -> &Stats {
        &self.stats
    }
    /// The scripting state: the script cache, limits, log and which interpreter runs EVAL.
    pub fn scripts(&self) -> &super::script::ScriptEngine {
        &self.scripts
    }
    pub fn scripts_mut(&mut self) -> &mut super::script::ScriptEngine {
        &mut self.scripts
    }
    /// What `DEBUG SLEEP` has added to the caller's clock so far.
    pub fn clock_offset(&self) -> SimDuration {
        self.clock_offset
    }
    /// The store's clock for a caller time `now`: `now` plus every `DEBUG SLEEP` so far.
    pub fn store_time(&self, now: SimTime) -> SimTime {
        now + self.clock_offset
    }
    /// Keys held, including ones whose deadline passed but that no access or cycle reclaimed yet
    /// (what DBSIZE reports).
    pub fn dbsize(&self) -> usize {
        self.db.len()
    }
    /// Keys a client could still read at caller time `now`: DBSIZE minus the keys whose deadline
    /// passed but that nothing has reclaimed yet. The gap between the two is what lazy and active
    /// expiry have still to delete. O(keys with a TTL).
    pub fn live_count(&self, now: SimTime) -> usize {
        let now_ms = i64::try_from(self.store_time(now).as_unix_ms()).unwrap_or(i64::MAX);
        self.db.len() - self.expires.values().filter(|&&w| now_ms > w).count()
    }
    /// Keys with a deadline.
    pub fn volatile_count(&self) -> usize {
        self.expires.len()
    }

    pub(crate) fn set_clock(&mut self, now: SimTime) {
        let t = self.store_time(now).as_unix_ms();
        self.now_ms = i64::try_from(t).unwrap_or(i64::MAX);
        if self.started_ms.is_none() {
            self.started_ms = Some(self.now_ms);
        }
    }

    /// Runs one command at caller time `now` as the store's default client and returns its
    /// reply, as a Redis 7.0 server would. (Many clients: [`Store::connect`] and
    /// [`Store::execute_as`] in `server.rs`; this is the one-client shorthand.)
    pub fn execute(&mut self, now: SimTime, argv: &[Vec<u8>]) -> Reply {
        if argv.is_empty() {
            return error("ERR empty command");
        }
        self.execute_default(now, argv)
    }

    /// Redis's `call` for a command already looked up and arity-checked by the client layer
    /// (`server.rs`): counts it, applies the playground's input limits, runs the handler and
    /// bounds the reply.
    pub(crate) fn call_handler(&mut self, spec: &'static table::CommandSpec, argv: &[Vec<u8>]) -> Reply {
        self.stats.total_commands_processed = self.stats.total_commands_processed.saturating_add(1);
        let reply = self.run_limited(spec, argv);
        self.after_write(spec, argv);
        reply
    }

    /// After a command: the keys it named are counted again (a value changed in place has new
    /// bytes and may have converted), strings changed in place become raw, and the memory peak
    /// is noted.
    fn after_write(&mut self, spec: &'static table::CommandSpec, argv: &[Vec<u8>]) {
        if !spec.flags.contains(&table::Flag::Write) {
            return;
        }
        use super::memory::{ENC_FLOAT, ENC_RAW};
        let (pos, flag) = match spec.name {
            "append" | "setrange" | "setbit" | "bitfield" => (1, ENC_RAW),
            "bitop" => (2, ENC_RAW),
            "incrbyfloat" => (1, ENC_FLOAT),
            _ => (0, 0),
        };
        for (i, a) in argv.iter().enumerate().skip(1) {
            let extra = if i == pos && matches!(self.db.get(a), Some(Value::Str(_))) { flag } else { 0 };
            self.db.refresh(a, extra);
        }
        self.note_memory_peak();
    }

    /// Convenience for tests and the UI: `execute` on a whitespace-split command line (no quoting;
    /// use [`super::cli::tokenize`] for redis-cli quoting rules).
    pub fn execute_str(&mut self, now: SimTime, line: &str) -> Reply {
        let argv: Vec<Vec<u8>> = line.split_whitespace().map(|w| w.as_bytes().to_vec()).collect();
        self.execute(now, &argv)
    }

    // ---- expiry -------------------------------------------------------------------------------

    /// The deadline of `key` in store-clock Unix ms, if it has one.
    pub(crate) fn expire_of(&self, key: &[u8]) -> Option<i64> {
        self.expires.get(key).copied()
    }

    /// `keyIsExpired`: a key is expired once the clock is *past* its deadline (`now > when`).
    pub(crate) fn is_expired(&self, key: &[u8]) -> bool {
        !self.expires.is_empty() && matches!(self.expires.get(key), Some(&when) if self.now_ms > when)
    }

    /// Redis's `expireIfNeeded`: deletes `key` if its deadline has passed. True if it did.
    pub(crate) fn expire_if_needed(&mut self, key: &[u8]) -> bool {
        if self.is_expired(key) {
            self.delete_expired(key);
            true
        } else {
            false
        }
    }

    /// `deleteExpiredKeyAndPropagate`: removes an expired key, counts it, and touches it for
    /// WATCH like any modification. Lazy and active expiry both go through here.
    pub(crate) fn delete_expired(&mut self, key: &[u8]) {
        self.remove_key(key);
        self.stats.expired_keys = self.stats.expired_keys.saturating_add(1);
        self.signal_modified(key);
    }

    // ---- keyspace primitives ------------------------------------------------------------------

    /// Removes a key and its deadline. True if it existed.
    pub(crate) fn remove_key(&mut self, key: &[u8]) -> bool {
        if !self.expires.is_empty() {
            self.expires.swap_remove(key);
        }
        match self.db.swap_remove(key) {
            // `dbGenericDelete`: clients blocked in XREADGROUP on a deleted stream are told.
            Some(Value::Stream(_)) => {
                self.signal_key_as_ready(key, super::value::KeyType::Stream);
                true
            }
            Some(_) => true,
            None => false,
        }
    }

    /// A key's value for reading, after lazy expiry; counts a hit or a miss like `lookupKeyRead`.
    pub(crate) fn read(&mut self, key: &[u8]) -> Option<&Value> {
        self.expire_if_needed(key);
        self.touch_key(key);
        let value = self.db.get(key);
        if value.is_some() {
            self.stats.keyspace_hits = self.stats.keyspace_hits.saturating_add(1);
        } else {
            self.stats.keyspace_misses = self.stats.keyspace_misses.saturating_add(1);
        }
        value
    }

    /// A key's value for writing, after lazy expiry (`lookupKeyWrite`: no hit/miss counting).
    pub(crate) fn write(&mut self, key: &[u8]) -> Option<&mut Value> {
        self.expire_if_needed(key);
        self.touch_key(key);
        self.db.get_mut(key)
    }

    /// Whether a key exists (after lazy expiry), without counting a hit or miss.
    pub(crate) fn exists(&mut self, key: &[u8]) -> bool {
        self.expire_if_needed(key);
        self.db.contains_key(key)
    }

    /// Redis's `setKey`: store `value` under `key`, dropping any deadline unless `keep_ttl`. A new
    /// key is `dbAdd`ed (clients blocked on it may be served after this command) and the key is
    /// touched for WATCH (`signalModifiedKey`).
    pub(crate) fn set_key(&mut self, key: &[u8], value: Value, keep_ttl: bool) {
        let kind = value.key_type();
        let old = self.db.insert(key, value);
        // `createObject` gives a new object a fresh LRU field; `dbOverwrite` keeps the old
        // object's LFU counter.
        if old.is_none() || !self.policy().is_lfu() {
            let lru = self.fresh_lru();
            self.db.set_lru(key, lru);
        }
        match old {
            None => self.signal_key_as_ready(key, kind),
            // `dbOverwrite` of a stream: clients blocked in XREADGROUP on it are told.
            Some(Value::Stream(_)) => self.signal_key_as_ready(key, KeyType::Stream),
            Some(_) => {}
        }
        if !keep_ttl && !self.expires.is_empty() {
            self.expires.swap_remove(key);
        }
        self.signal_modified(key);
    }

    /// Replaces the value of an existing key keeping its deadline (`dbOverwrite`), or adds it.
    pub(crate) fn overwrite(&mut self, key: &[u8], value: Value) {
        self.set_key(key, value, true)
    }

    /// Sets an absolute deadline on an existing key.
    pub(crate) fn set_expire(&mut self, key: &[u8], when_ms: i64) {
        if self.db.contains_key(key) {
            match self.expires.get_mut(key) {
                Some(w) => *w = when_ms,
                None => {
                    self.expires.insert(key.into(), when_ms);
                }
            }
        }
    }

    pub(crate) fn persist(&mut self, key: &[u8]) -> bool {
        self.expires.swap_remove(key).is_some()
    }

    /// A string value for reading: `Ok(None)` if missing, WRONGTYPE if another type.
    pub(crate) fn read_str(&mut self, key: &[u8]) -> Result<Option<&[u8]>, Reply> {
        match self.read(key) {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s)),
            Some(_) => Err(error(err::WRONGTYPE)),
        }
    }

    /// Deletes `key` when its collection became empty (Redis never keeps empty collections).
    pub(crate) fn delete_if_empty(&mut self, key: &[u8]) {
        // Streams stay when empty (XDEL of the last entry keeps the key, its IDs and groups).
        if self.db.get(key).is_some_and(|v| !matches!(v, Value::Str(_) | Value::Stream(_)) && v.is_empty()) {
            self.remove_key(key);
        }
    }

    /// A key chosen uniformly from the keyspace (RANDOMKEY's draw; expired keys included, the
    /// caller retries like `dbRandomKey`).
    pub(crate) fn random_key_raw(&mut self) -> Option<Box<[u8]>> {
        if self.db.is_empty() {
            return None;
        }
        let i = self.rng.index(self.db.len());
        self.db.get_index(i).map(|(k, _)| Box::from(k))
    }

    /// Checks a would-be string length before APPEND or SETRANGE allocates it.
    pub(crate) fn check_string_len(&self, key: &[u8], len: usize) -> Result<(), Reply> {
        if len > self.limits.max_value_bytes {
            if self.limits.max_value_bytes >= super::limits::PROTO_MAX_BULK_LEN {
                return Err(error("ERR string exceeds maximum allowed size (proto-max-bulk-len)"));
            }
            let what = super::limits::Part::String;
            Err(super::limits::Breach::ValueBytes { key: key.to_vec(), what, len, max: self.limits.max_value_bytes }
                .refusal())
        } else {
            Ok(())
        }
    }

    /// The earliest deadline of any key, on the caller's clock (store deadlines minus the DEBUG
    /// SLEEP offset): when the UI should next expect a key to vanish. O(keys with a TTL).
    pub fn next_deadline(&self) -> Option<SimTime> {
        let earliest = self.expires.values().copied().min()?;
        let caller = u64::try_from(earliest).unwrap_or(0).saturating_sub(self.clock_offset.as_millis());
        Some(SimTime(caller))
    }
}

/// `ERR unknown command 'x', with args beginning with: 'a' 'b' ` — the arguments are quoted while
/// their text stays under 128 bytes, as `processCommand` does (C strings: a NUL ends an argument;
/// CR and LF become spaces so the error stays one RESP line). Where the installed command set is a
/// page's part of the table (a wasm bundle's, ARCHITECTURE.md "Bundle"), the error says so.
pub(crate) fn unknown_command(argv: &[Vec<u8>]) -> Reply {
    let name = super::args::c_str(&argv[0]);
    let name = &name[..name.len().min(128)];
    let mut args: Vec<u8> = Vec::new();
    for a in &argv[1..] {
        if args.len() >= 128 {
            break;
        }
        let room = 128 - args.len();
        let a = super::args::c_str(a);
        args.push(b'\'');
        args.extend_from_slice(&a[..a.len().min(room)]);
        args.extend_from_slice(b"' ");
    }
    let mut text = b"ERR unknown command '".to_vec();
    text.extend_from_slice(name);
    text.extend_from_slice(b"', with args beginning with: ");
    text.extend_from_slice(&args);
    let set = super::table::installed();
    if !set.complete {
        text.extend_from_slice(
            format!("(the {} carries only the commands its models use; the Redis page has them all)", set.name)
                .as_bytes(),
        );
    }
    for b in text.iter_mut() {
        if *b == b'\r' || *b == b'\n' {
            *b = b' ';
        }
    }
    Reply::Error(String::from_utf8_lossy(&text).into_owned())
}

/// The dispatcher's signature for every command handler.
pub type Handler = fn(&mut Store, &mut Args) -> CmdResult;

/// Test helper: runs `script` (one command per line, whitespace-split; a line `@+N` advances the
/// caller clock by N ms) from [`crate::sim::TEST_EPOCH`] and renders each reply on its own line.
#[cfg(test)]
pub(crate) fn run_script(script: &str) -> String {
    let mut store = Store::new(SimRng::new(1));
    run_script_on(&mut store, script)
}

#[cfg(test)]
pub(crate) fn run_script_on(store: &mut Store, script: &str) -> String {
    let mut now = crate::sim::TEST_EPOCH;
    let mut out = String::new();
    for line in script.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(ms) = line.strip_prefix("@+") {
            now += SimDuration::from_millis(ms.parse().expect("test clock step"));
            continue;
        }
        let reply = store.execute_str(now, line);
        out.push_str(&format!("{line} -> {}\n", super::cli::format_inline(&reply)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    #[test]
    fn early_api_set_get_del_expire_incr_ttl() {
        let out = run_script(
            "SET k v
             GET k
             SET k v2 NX
             SET k v2 XX GET
             SET k v3 EX 10 GET
             TTL k
             PTTL k
             @+2500
             TTL k
             INCR k
             SET n 41 KEEPTTL
             INCR n
             DEL n k missing
             EXPIRE nokey 10
             SET t x PX 100
             @+101
             GET t
             TTL t
             FOO bar baz
             get
             PING",
        );
        expect![[r#"
            SET k v -> OK
            GET k -> "v"
            SET k v2 NX -> (nil)
            SET k v2 XX GET -> "v"
            SET k v3 EX 10 GET -> "v2"
            TTL k -> (integer) 10
            PTTL k -> (integer) 10000
            TTL k -> (integer) 8
            INCR k -> (error) ERR value is not an integer or out of range
            SET n 41 KEEPTTL -> OK
            INCR n -> (integer) 42
            DEL n k missing -> (integer) 2
            EXPIRE nokey 10 -> (integer) 0
            SET t x PX 100 -> OK
            GET t -> (nil)
            TTL t -> (integer) -2
            FOO bar baz -> (error) ERR unknown command 'FOO', with args beginning with: 'bar' 'baz' 
            get -> (error) ERR wrong number of arguments for 'get' command
            PING -> PONG
        "#]]
        .assert_eq(&out);
    }

    #[test]
    fn active_expire_cycle_reclaims_untouched_keys() {
        let mut s = Store::new(SimRng::new(7));
        let t0 = crate::sim::TEST_EPOCH;
        for i in 0..200 {
            s.execute_str(t0, &format!("SET k{i} v PX {}", if i < 150 { 50 } else { 100_000 }));
        }
        assert_eq!(s.dbsize(), 200);
        let later = t0 + SimDuration::from_millis(100);
        let mut total = 0;
        for c in 0..20 {
            total += s.run_active_expire_cycle(later + SimDuration::from_millis(100 * c));
        }
        assert_eq!(total, 150);
        assert_eq!(s.next_deadline(), Some(t0 + SimDuration::from_millis(100_000)));
        assert_eq!(s.dbsize(), 50);
        assert_eq!(s.stats().expired_keys, 150);
    }
}

impl Store {
    /// A rough model of Redis's `used_memory` for INFO and the key browser: per-key overhead as
    /// Redis 7.0 allocates it (dict entry, key sds, robj) plus payload bytes. Approximate.
    pub fn estimated_memory(&self) -> u64 {
        const BASE: u64 = 900_000;
        let mut total = BASE;
        for (k, v) in &self.db {
            total += 24 + 16 + k.len() as u64 + 3;
            total += match v {
                Value::Str(s) => 16 + s.len() as u64 + 3,
                Value::List(l) => 64 + l.iter().map(|e| e.len() as u64 + 2).sum::<u64>(),
                Value::Set(s) => 64 + s.iter().map(|e| e.len() as u64 + 24).sum::<u64>(),
                Value::Hash(h) => 64 + h.iter().map(|(f, v)| (f.len() + v.len()) as u64 + 4).sum::<u64>(),
                Value::ZSet(z) => 64 + z.iter().map(|(m, _)| m.len() as u64 + 10).sum::<u64>(),
                Value::Stream(s) => 64 + s.payload().map(|b| b.len() as u64 + 2).sum::<u64>(),
            };
        }
        total + self.expires.len() as u64 * 32
    }
}

/// Mean remaining TTL of `expires` at `now_ms`, in ms (INFO keyspace's `avg_ttl`).
pub(crate) fn avg_ttl_ms(expires: &Map<Box<[u8]>, i64>, now_ms: i64) -> i64 {
    if expires.is_empty() {
        return 0;
    }
    let sum: i128 = expires.values().map(|&w| i128::from((w - now_ms).max(0))).sum();
    (sum / expires.len() as i128) as i64
}

/// Test helper: runs `script` (one redis-cli line per line, tokenized as redis-cli does) at
/// [`crate::sim::TEST_EPOCH`] and renders `line -> reply` lines.
#[cfg(test)]
pub(crate) fn run_lines(store: &mut Store, script: &str) -> String {
    use crate::redis::cli::{format_inline, tokenize};
    script
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| format!("{l} -> {}", format_inline(&store.execute(crate::sim::TEST_EPOCH, &tokenize(l).unwrap()))))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod limit_tests {
    use super::*;
    use crate::sim::TEST_EPOCH;
    use expect_test::expect;

    use super::run_lines as run;

    #[test]
    fn same_seed_same_replies_including_random_commands() {
        let script = "SADD s a b c d e f g h
                      SPOP s 3
                      SRANDMEMBER s -5
                      SET x 1 PX 50
                      RANDOMKEY
                      SPOP s
                      SCAN 0 COUNT 2";
        let a = run(&mut Store::new(SimRng::new(42)), script);
        let b = run(&mut Store::new(SimRng::new(42)), script);
        assert_eq!(a, b);
        assert_ne!(a, run(&mut Store::new(SimRng::new(43)), script), "the seed drives the random picks");
    }

    #[test]
    fn info_sections_and_debug_sleep() {
        let mut s = Store::new(SimRng::new(1));
        run(&mut s, "SET a 1 EX 100\nSET b 2\nGET a\nGET nope\nDEBUG SLEEP 1.5");
        let info = match s.execute(TEST_EPOCH, &[b"INFO".to_vec(), b"keyspace".to_vec(), b"stats".to_vec()]) {
            Reply::Bulk(b) => String::from_utf8(b).unwrap(),
            other => panic!("{other:?}"),
        };
        expect![[r#"
            # Stats
            total_connections_received:1
            total_commands_processed:6
            expired_keys:0
            expired_stale_perc:0.00
            expired_time_cap_reached_count:0
            expire_cycle_cpu_milliseconds:0
            evicted_keys:0
            keyspace_hits:1
            keyspace_misses:1
            pubsub_channels:0
            pubsub_patterns:0
            pubsubshard_channels:0
            active_expire_cycles:0

            # Keyspace
            db0:keys=2,expires=1,avg_ttl=98500
        "#]]
        .assert_eq(&info.replace("\r\n", "\n"));
        assert_eq!(s.clock_offset(), SimDuration::from_millis(1500));
        assert_eq!(s.execute_str(TEST_EPOCH, "TTL a"), Reply::Integer(99));
        assert_eq!(s.execute_str(TEST_EPOCH, "INFO nosuchsection"), Reply::bulk(""));
    }
}
