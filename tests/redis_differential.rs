#![cfg(not(target_arch = "wasm32"))]
//! The model against a real redis-server, reply for reply.
//!
//! The test starts its own `redis-server` on a free loopback port (no persistence, DEBUG enabled),
//! waits for PING, and stops it when done (a Drop guard kills it even when an assertion fails).
//! It runs the hand-written edge-case scripts `tests/redis_cases/*.redis` (loaded by
//! `support/redis_cases.rs`; `tests/redis_cases.rs` pins the model's replies to them) and
//! `REDIS_DIFF_SEQUENCES` (default 600) seeded random sequences of 5–30 commands over five keys
//! whose types mix, so WRONGTYPE, syntax and range errors happen often.
//!
//! Comparison is exact except where Redis leaves the answer open:
//! - members of SMEMBERS/SINTER/SUNION/SDIFF and KEYS are sorted (hashtable order is unspecified);
//! - SCAN is compared as the sorted set of keys a full iteration returns (cursors differ by design);
//! - random picks (SPOP, SRANDMEMBER, RANDOMKEY) are compared by shape (nil or not, length), and
//!   after SPOP the model's key is re-synchronised from the server's SMEMBERS;
//! - before DBSIZE both sides reclaim expired keys with a full SCAN (which keys a real server has
//!   already reclaimed depends on its wall-clock active-expire cycle);
//! - a relative EXPIRE/PEXPIRE with GT or LT waits 2 ms first, so it never compares against a
//!   deadline set in the same millisecond (where equal-versus-greater would depend on timing);
//! - TTL/PTTL/EXPIRETIME/PEXPIRETIME integers may differ by the time between the two executions:
//!   ±1 for seconds, ±250 ms for milliseconds. Generated expiries are either ≥ 100 s in the future
//!   or already past, so no key expires between the two executions.
//!
//! On a mismatch the failing sequence is shrunk (dropping one command at a time while it still
//! fails) and printed as a redis-cli script.

use std::io::Write;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use playground::redis::cli::{format_inline, tokenize};
use playground::redis::{Reply, Store};
use playground::sim::{SimRng, SimTime};

#[path = "redis_differential/clients.rs"]
mod clients;
#[path = "support/redis_cases.rs"]
mod redis_cases;
#[path = "support/redis_server.rs"]
mod redis_server;

use redis_server::{start_server, Conn};

fn wall_now() -> SimTime {
    SimTime(SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_millis() as u64)
}

fn upper(a: &[u8]) -> String {
    String::from_utf8_lossy(a).to_ascii_uppercase()
}

fn sorted(r: Reply) -> Reply {
    match r {
        Reply::Array(mut items) => {
            items.sort_by_key(|i| format!("{i:?}"));
            Reply::Array(items)
        }
        other => other,
    }
}

/// Replies reduced to what Redis specifies (see the module note).
fn shape(argv: &[Vec<u8>], r: Reply) -> Reply {
    let name = upper(&argv[0]);
    match (name.as_str(), r) {
        (_, e @ Reply::Error(_)) => e,
        ("SMEMBERS" | "SINTER" | "SUNION" | "SDIFF" | "KEYS", r) => sorted(r),
        ("SPOP" | "SRANDMEMBER" | "RANDOMKEY", Reply::Bulk(_)) => Reply::Status("<some member>".into()),
        ("SPOP" | "SRANDMEMBER", Reply::Array(items)) => Reply::Status(format!("<{} members>", items.len())),
        (_, r) => r,
    }
}

fn close_enough(argv: &[Vec<u8>], model: &Reply, real: &Reply) -> bool {
    if model == real {
        return true;
    }
    let tolerance = match upper(&argv[0]).as_str() {
        "TTL" | "EXPIRETIME" => 1,
        "PTTL" | "PEXPIRETIME" => 250,
        _ => return false,
    };
    matches!((model, real), (Reply::Integer(a), Reply::Integer(b)) if *a >= 0 && *b >= 0 && (a - b).abs() <= tolerance)
}

/// Runs a full SCAN iteration (following cursors) with the options of `argv`.
fn full_scan(mut call: impl FnMut(&[Vec<u8>]) -> Reply, argv: &[Vec<u8>]) -> Reply {
    let mut cursor = b"0".to_vec();
    let mut keys = Vec::new();
    for _ in 0..10_000 {
        let mut a = argv.to_vec();
        a[1] = cursor.clone();
        match call(&a) {
            Reply::Array(mut parts) if parts.len() == 2 => {
                let Reply::Array(page) = parts.pop().expect("page") else {
                    return Reply::Error("bad SCAN page".into());
                };
                keys.extend(page);
                let Reply::Bulk(c) = parts.pop().expect("cursor") else {
                    return Reply::Error("bad SCAN cursor".into());
                };
                if c == b"0" {
                    keys.sort_by_key(|k| format!("{k:?}"));
                    keys.dedup();
                    return Reply::Array(keys);
                }
                cursor = c;
            }
            other => return other,
        }
    }
    Reply::Error("SCAN did not finish in 10000 calls".into())
}

/// One step on both sides; `None` when they agree, else a description of the difference.
fn step(store: &mut Store, conn: &mut Conn, argv: &[Vec<u8>]) -> Option<String> {
    let name = upper(&argv[0]);
    if (name == "EXPIRE" || name == "PEXPIRE") && argv.iter().any(|a| matches!(upper(a).as_str(), "GT" | "LT")) {
        // A relative deadline compared with one set in the same millisecond is equal, not greater:
        // let the clock move so both sides compare deadlines set at different instants.
        std::thread::sleep(Duration::from_millis(2));
    }
    if name == "DBSIZE" {
        // DBSIZE counts keys whose deadline passed but that nobody reclaimed yet; which those are
        // depends on random sampling and on the real server's wall-clock expire cycle. A full
        // SCAN on both sides first reclaims them all, so the counts become comparable.
        let scan = vec![b"SCAN".to_vec(), b"0".to_vec(), b"COUNT".to_vec(), b"1000".to_vec()];
        full_scan(|a| store.execute(wall_now(), a), &scan);
        full_scan(|a| conn.call(a), &scan);
    }
    let (model, real) = if name == "SCAN" && argv.get(1).is_some_and(|c| c == b"0") {
        let m = full_scan(|a| store.execute(wall_now(), a), argv);
        let r = full_scan(|a| conn.call(a), argv);
        (m, r)
    } else {
        let m = store.execute(wall_now(), argv);
        let r = conn.call(argv);
        (m, r)
    };
    if name == "SPOP" && !real.is_error() {
        resync_set(store, conn, &argv[1]);
    }
    let (m, r) = (shape(argv, model), shape(argv, real));
    if close_enough(argv, &m, &r) {
        None
    } else {
        Some(format!("model: {}\nredis: {}", format_inline(&m), format_inline(&r)))
    }
}

/// Copies the server's set at `key` (members and deadline) into the model after a random pop.
fn resync_set(store: &mut Store, conn: &mut Conn, key: &[u8]) {
    let members = conn.call(&[b"SMEMBERS".to_vec(), key.to_vec()]);
    let deadline = conn.call(&[b"PEXPIRETIME".to_vec(), key.to_vec()]);
    store.execute(wall_now(), &[b"DEL".to_vec(), key.to_vec()]);
    if let Reply::Array(ms) = members {
        if !ms.is_empty() {
            let mut cmd = vec![b"SADD".to_vec(), key.to_vec()];
            cmd.extend(ms.into_iter().filter_map(|m| if let Reply::Bulk(b) = m { Some(b) } else { None }));
            store.execute(wall_now(), &cmd);
        }
    }
    if let Reply::Integer(t) = deadline {
        if t > 0 {
            store.execute(wall_now(), &[b"PEXPIREAT".to_vec(), key.to_vec(), t.to_string().into_bytes()]);
        }
    }
}

/// Runs `script` from an empty keyspace on both; the first mismatch as (index, description).
fn run_both(conn: &mut Conn, script: &[Vec<Vec<u8>>], seed: u64) -> Option<(usize, String)> {
    assert_eq!(conn.call(&[b"FLUSHALL".to_vec()]), Reply::ok());
    let mut store = Store::new(SimRng::new(seed));
    script.iter().enumerate().find_map(|(i, argv)| step(&mut store, conn, argv).map(|d| (i, d)))
}

fn render(argv: &[Vec<u8>]) -> String {
    argv.iter()
        .map(|a| {
            let q = playground::redis::cli::quote(a);
            let plain = !a.is_empty() && a.iter().all(|c| c.is_ascii_graphic() && !b"\"'\\".contains(c));
            if plain {
                String::from_utf8_lossy(a).into_owned()
            } else {
                q
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Drops steps one at a time while the mismatch persists; `run` replays a script from scratch and
/// returns its first mismatch (index, description).
fn shrink_with<T: Clone>(
    mut script: Vec<T>,
    first: (usize, String),
    mut run: impl FnMut(&[T]) -> Option<(usize, String)>,
) -> (Vec<T>, String) {
    let (idx, mut why) = first;
    script.truncate(idx + 1);
    if run(&script).is_none() {
        return (script, format!("{why}\n(not reproduced on a second run: timing-dependent)"));
    }
    let mut i = 0;
    while i < script.len() {
        let mut candidate = script.clone();
        candidate.remove(i);
        match run(&candidate) {
            Some((j, w)) if !candidate.is_empty() => {
                candidate.truncate(j + 1);
                script = candidate;
                why = w;
            }
            _ => i += 1,
        }
    }
    (script, why)
}

fn shrink(
    conn: &mut Conn,
    script: Vec<Vec<Vec<u8>>>,
    seed: u64,
    first: (usize, String),
) -> (Vec<Vec<Vec<u8>>>, String) {
    shrink_with(script, first, |s| run_both(conn, s, seed))
}

fn check_script(conn: &mut Conn, label: &str, script: Vec<Vec<Vec<u8>>>, seed: u64) {
    if let Some(first) = run_both(conn, &script, seed) {
        let (min, why) = shrink(conn, script, seed, first);
        let lines: Vec<String> = min.iter().map(|a| render(a)).collect();
        panic!("{label}: the model differs from redis-server.\nMinimal reproducer:\n  {}\n{why}", lines.join("\n  "));
    }
}

// ---- the random command generator -------------------------------------------------------------

struct Gen<'a> {
    rng: &'a mut SimRng,
}

impl Gen<'_> {
    fn pick<'s>(&mut self, xs: &[&'s str]) -> &'s str {
        xs[self.rng.index(xs.len())]
    }
    fn key(&mut self) -> &'static str {
        if self.rng.bernoulli(0.02) {
            return "";
        }
        self.pick(&["k1", "k2", "k3", "k4", "k5"])
    }
    fn value(&mut self) -> &'static str {
        self.pick(&[
            "1",
            "-5",
            "10.5",
            "abc",
            "",
            "9223372036854775807",
            "0x10",
            " 3",
            "1e3",
            "inf",
            "007",
            "x y",
            "0.1",
            "1e-5",
            "\x00\u{ff}",
            "-0",
            "a\r\nb",
        ])
    }
    fn member(&mut self) -> &'static str {
        self.pick(&["a", "b", "c", "1", "2", "10", "-3", "zz"])
    }
    fn index(&mut self) -> &'static str {
        self.pick(&["0", "1", "2", "-1", "-2", "-100", "100", "3", "x"])
    }
    fn score(&mut self) -> &'static str {
        self.pick(&["1", "2", "-1", "0", "1.5", "inf", "-inf", "(1", "nan", "x", "1e3", "(2"])
    }
    fn float(&mut self) -> &'static str {
        self.pick(&[
            "1",
            "1.5",
            "-2",
            "10",
            "1e3",
            "abc",
            "3.0e3",
            "-0.5",
            "5",
            "0.1",
            "0.2",
            "1e-5",
            "123456789.123",
            "0x1p-3",
            "-1.5e2",
            "1e30",
            "-1e-30",
            "7.000000000000001",
        ])
    }
    fn maybe(&mut self, p: f64) -> bool {
        self.rng.bernoulli(p)
    }
    fn some_of(&mut self, n_max: u64, f: &mut dyn FnMut(&mut Self) -> Vec<String>) -> Vec<String> {
        let n = self.rng.range_inclusive(1, n_max);
        (0..n).flat_map(|_| f(self)).collect()
    }
    fn expiry_opt(&mut self) -> Vec<String> {
        match self.rng.below(9) {
            0 => vec!["EX".into(), self.pick(&["100", "1000", "0", "-1", "abc"]).into()],
            1 => vec!["PX".into(), self.pick(&["100000", "0", "9223372036854775807"]).into()],
            2 => vec!["EXAT".into(), self.pick(&["4000000000", "1"]).into()],
            3 => vec!["PXAT".into(), self.pick(&["4000000000000", "1"]).into()],
            4 => vec!["KEEPTTL".into()],
            5 => vec!["NX".into()],
            6 => vec!["XX".into()],
            7 => vec!["GET".into()],
            _ => vec![self.pick(&["nx", "get", "EX", "PERSIST", "bogus"]).into()],
        }
    }

    fn command(&mut self) -> Vec<String> {
        let k = self.key().to_string();
        let mut c: Vec<String> = match self.rng.below(80) {
            0..=3 => {
                let mut v = vec!["SET".into(), k, self.value().into()];
                let opts = self.rng.below(3);
                for _ in 0..opts {
                    v.extend(self.expiry_opt());
                }
                v
            }
            4 => vec!["GET".into(), k],
            5 => vec!["GETSET".into(), k, self.value().into()],
            6 => vec!["SETNX".into(), k, self.value().into()],
            7 => vec!["SETEX".into(), k, self.pick(&["100", "0", "-3", "x"]).into(), self.value().into()],
            8 => vec!["PSETEX".into(), k, self.pick(&["100000", "0"]).into(), self.value().into()],
            9 => {
                let mut v = vec![self.pick(&["MSET", "MSETNX"]).into()];
                v.extend(self.some_of(3, &mut |g| vec![g.key().into(), g.value().into()]));
                if self.maybe(0.1) {
                    v.push("dangling".into());
                }
                v
            }
            10 => {
                let mut v = vec!["MGET".into()];
                v.extend(self.some_of(4, &mut |g| vec![g.key().into()]));
                v
            }
            11 => vec!["APPEND".into(), k, self.value().into()],
            12 => vec!["STRLEN".into(), k],
            13 => vec![self.pick(&["INCR", "DECR"]).into(), k],
            14 => vec![
                self.pick(&["INCRBY", "DECRBY"]).into(),
                k,
                self.pick(&["5", "-9223372036854775808", "9223372036854775807", "x", "1.5"]).into(),
            ],
            15 => vec!["INCRBYFLOAT".into(), k, self.float().into()],
            16 => vec!["GETDEL".into(), k],
            17 => {
                let mut v = vec!["GETEX".into(), k];
                if self.maybe(0.7) {
                    v.extend(match self.rng.below(5) {
                        0 => vec!["EX".to_string(), "100".into()],
                        1 => vec!["PXAT".into(), "1".into()],
                        2 => vec!["PERSIST".into()],
                        3 => vec!["EX".into(), "0".into()],
                        _ => vec!["NX".into()],
                    });
                }
                v
            }
            18 => vec![self.pick(&["GETRANGE", "SUBSTR"]).into(), k, self.index().into(), self.index().into()],
            19 => vec![
                "SETRANGE".into(),
                k,
                self.pick(&["0", "2", "-1", "10"]).into(),
                self.pick(&["xy", "", "Z"]).into(),
            ],
            20 | 21 => {
                let mut v = vec![self.pick(&["DEL", "UNLINK", "EXISTS"]).into()];
                v.extend(self.some_of(3, &mut |g| vec![g.key().into()]));
                v
            }
            22 | 23 => {
                let cmd = self.pick(&["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"]);
                let t = match cmd {
                    "EXPIRE" => self.pick(&["100", "-1", "0", "1000", "abc"]),
                    "PEXPIRE" => self.pick(&["100000", "-1", "200000"]),
                    "EXPIREAT" => self.pick(&["1", "4000000000", "4100000000"]),
                    _ => self.pick(&["1", "4000000000000", "4100000000000"]),
                };
                let mut v = vec![cmd.into(), k, t.into()];
                if self.maybe(0.4) {
                    v.push(self.pick(&["NX", "XX", "GT", "LT", "nx", "bogus"]).into());
                    if self.maybe(0.2) {
                        v.push(self.pick(&["GT", "XX", "LT"]).into());
                    }
                }
                v
            }
            24 | 25 => vec![self.pick(&["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME", "PERSIST", "TYPE"]).into(), k],
            26 => vec![self.pick(&["RENAME", "RENAMENX"]).into(), k, self.key().into()],
            27 => {
                let mut v = vec!["COPY".into(), k, self.key().into()];
                if self.maybe(0.5) {
                    v.push(self.pick(&["REPLACE", "DB", "bogus"]).into());
                }
                v
            }
            28 => vec!["KEYS".into(), self.pick(&["*", "k[12]", "k?", "*3", "x*", "k[^1-3]", "[a-]"]).into()],
            29 => {
                let mut v = vec!["SCAN".into(), "0".into()];
                if self.maybe(0.5) {
                    v.extend(["MATCH".to_string(), self.pick(&["k*", "*[13]", "nomatch"]).into()]);
                }
                if self.maybe(0.5) {
                    v.extend(["COUNT".to_string(), self.pick(&["1", "2", "100"]).into()]);
                }
                if self.maybe(0.3) {
                    v.extend([
                        "TYPE".to_string(),
                        self.pick(&["string", "list", "SET", "zset", "hash", "nope"]).into(),
                    ]);
                }
                v
            }
            30 => vec![self.pick(&["RANDOMKEY", "DBSIZE"]).into()],
            31 => vec![
                self.pick(&["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]).into(),
                k,
                self.member().into(),
                self.member().into(),
            ],
            32 | 33 => {
                let mut v = vec![self.pick(&["LPUSH", "RPUSH"]).into(), k];
                v.extend(self.some_of(4, &mut |g| vec![g.member().into()]));
                v
            }
            34 => {
                let mut v = vec![self.pick(&["LPOP", "RPOP"]).into(), k];
                if self.maybe(0.5) {
                    v.push(self.pick(&["0", "1", "2", "10", "-1", "x"]).into());
                }
                v
            }
            35 => vec!["LLEN".into(), k],
            36 | 37 => vec!["LRANGE".into(), k, self.index().into(), self.index().into()],
            38 => vec!["LINDEX".into(), k, self.index().into()],
            39 => vec!["LSET".into(), k, self.index().into(), self.member().into()],
            40 => vec!["LREM".into(), k, self.pick(&["0", "1", "-1", "2", "-2"]).into(), self.member().into()],
            41 => vec!["LTRIM".into(), k, self.index().into(), self.index().into()],
            42 => vec![
                "LINSERT".into(),
                k,
                self.pick(&["BEFORE", "after", "middle"]).into(),
                self.member().into(),
                self.member().into(),
            ],
            43 => {
                let mut v = vec!["LPOS".into(), k, self.member().into()];
                for _ in 0..self.rng.below(3) {
                    let (o, a) = match self.rng.below(4) {
                        0 => ("RANK", self.pick(&["1", "-1", "2", "0", "-2"])),
                        1 => ("COUNT", self.pick(&["0", "1", "2", "-1"])),
                        2 => ("MAXLEN", self.pick(&["0", "1", "3", "-1"])),
                        _ => ("bogus", "1"),
                    };
                    v.extend([o.to_string(), a.to_string()]);
                }
                v
            }
            44 => vec![
                "LMOVE".into(),
                k,
                self.key().into(),
                self.pick(&["LEFT", "right", "up"]).into(),
                self.pick(&["LEFT", "RIGHT"]).into(),
            ],
            45 => vec!["RPOPLPUSH".into(), k, self.key().into()],
            46 | 47 => {
                let mut v = vec!["SADD".into(), k];
                v.extend(self.some_of(4, &mut |g| vec![g.member().into()]));
                v
            }
            48 => vec!["SREM".into(), k, self.member().into(), self.member().into()],
            49 => vec![self.pick(&["SMEMBERS", "SCARD"]).into(), k],
            50 => vec!["SISMEMBER".into(), k, self.member().into()],
            51 => vec!["SMISMEMBER".into(), k, self.member().into(), self.member().into()],
            52 | 53 => {
                let mut v = vec![self.pick(&["SINTER", "SUNION", "SDIFF"]).into(), k];
                v.extend(self.some_of(2, &mut |g| vec![g.key().into()]));
                v
            }
            54 => {
                let mut v = vec![self.pick(&["SPOP", "SRANDMEMBER"]).into(), k];
                if self.maybe(0.6) {
                    v.push(self.pick(&["0", "1", "2", "10", "-3", "x", "-9223372036854775808"]).into());
                }
                v
            }
            55 => vec!["SMOVE".into(), k, self.key().into(), self.member().into()],
            56 | 57 => {
                let mut v = vec![self.pick(&["HSET", "HMSET"]).into(), k];
                v.extend(self.some_of(3, &mut |g| vec![g.member().into(), g.value().into()]));
                if self.maybe(0.1) {
                    v.push("odd".into());
                }
                v
            }
            58 => vec![self.pick(&["HGET", "HEXISTS", "HSTRLEN"]).into(), k, self.member().into()],
            59 => vec!["HMGET".into(), k, self.member().into(), self.member().into()],
            60 => vec!["HDEL".into(), k, self.member().into(), self.member().into()],
            61 => vec![self.pick(&["HLEN", "HGETALL", "HKEYS", "HVALS"]).into(), k],
            62 => vec![
                "HINCRBY".into(),
                k,
                self.member().into(),
                self.pick(&["1", "-5", "x", "9223372036854775807"]).into(),
            ],
            63 => vec!["HINCRBYFLOAT".into(), k, self.member().into(), self.float().into()],
            64 => vec!["HSETNX".into(), k, self.member().into(), self.value().into()],
            65..=67 => {
                let mut v = vec!["ZADD".into(), k];
                for _ in 0..self.rng.below(3) {
                    v.push(self.pick(&["NX", "XX", "GT", "LT", "CH", "INCR"]).into());
                }
                v.extend(self.some_of(3, &mut |g| vec![g.score().into(), g.member().into()]));
                v
            }
            68 => vec![self.pick(&["ZSCORE", "ZRANK", "ZREVRANK"]).into(), k, self.member().into()],
            69 => vec!["ZREM".into(), k, self.member().into(), self.member().into()],
            70 => vec!["ZCARD".into(), k],
            71 => vec!["ZINCRBY".into(), k, self.score().into(), self.member().into()],
            72 => vec!["ZCOUNT".into(), k, self.score().into(), self.score().into()],
            73 | 74 => {
                let by = self.rng.below(3);
                let (lo, hi) = match by {
                    1 => (self.score().to_string(), self.score().to_string()),
                    2 => (
                        self.pick(&["-", "+", "[a", "(b", "[1", "x"]).to_string(),
                        self.pick(&["+", "-", "[c", "(zz", "[2"]).to_string(),
                    ),
                    _ => (self.index().to_string(), self.index().to_string()),
                };
                let mut v = vec!["ZRANGE".into(), k, lo, hi];
                if by == 1 {
                    v.push("BYSCORE".into());
                } else if by == 2 {
                    v.push("BYLEX".into());
                }
                if self.maybe(0.3) {
                    v.push("REV".into());
                }
                if self.maybe(0.3) {
                    v.extend([
                        "LIMIT".to_string(),
                        self.pick(&["0", "1", "-1"]).into(),
                        self.pick(&["1", "2", "-1", "0"]).into(),
                    ]);
                }
                if self.maybe(0.3) {
                    v.push("WITHSCORES".into());
                }
                v
            }
            75 => {
                let mut v = vec![
                    self.pick(&["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"]).into(),
                    k,
                    self.score().into(),
                    self.score().into(),
                ];
                if self.maybe(0.4) {
                    v.push("WITHSCORES".into());
                }
                if self.maybe(0.3) {
                    v.extend([
                        "LIMIT".to_string(),
                        self.pick(&["0", "1", "-1", "5"]).into(),
                        self.pick(&["1", "-1", "0"]).into(),
                    ]);
                }
                v
            }
            76 => {
                let mut v = vec!["ZREVRANGE".into(), k, self.index().into(), self.index().into()];
                if self.maybe(0.4) {
                    v.push("WITHSCORES".into());
                }
                v
            }
            77 => vec![self.pick(&["PING", "ECHO", "DBSIZE"]).into()],
            78 => vec!["DEBUG".into(), "SLEEP".into(), "0".into()],
            _ => vec![self.pick(&["FOO", "get", "set", "lpush", "zadd", "hset"]).into()],
        };
        // Command names in any case.
        if self.maybe(0.2) {
            c[0] = c[0].to_ascii_lowercase();
        }
        // Sorted sets whose members share a score, so BYLEX ranges are meaningful.
        if c[0].eq_ignore_ascii_case("ZADD") && c.len() > 1 && self.maybe(0.3) {
            c = vec![
                "ZADD".into(),
                c[1].clone(),
                "0".into(),
                "a".into(),
                "0".into(),
                "b".into(),
                "0".into(),
                "c".into(),
                "0".into(),
                "zz".into(),
            ];
        }
        // Now and then, arity and leftover-argument errors.
        if self.maybe(0.03) {
            c.push("extra".into());
        }
        if c[0] == "ECHO" {
            c.push("hello".into());
        }
        c
    }
}

fn to_argv(words: Vec<String>) -> Vec<Vec<u8>> {
    words.into_iter().map(String::into_bytes).collect()
}

#[test]
fn model_matches_redis_server() {
    let server = start_server();
    let mut conn = Conn::connect(server.port).expect("connect to redis-server");

    // Hand-written edge-case scripts, every family on disk.
    let families = redis_cases::families();
    let mut table_commands = 0;
    for family in &families {
        let name = &family.name;
        let argv: Vec<Vec<Vec<u8>>> = redis_cases::lines(&family.script)
            .map(|l| tokenize(l).unwrap_or_else(|e| panic!("{name}.redis: {e}")))
            .collect();
        table_commands += argv.len();
        check_script(&mut conn, &format!("edge-case table '{name}'"), argv, 1);
    }

    // Seeded random sequences.
    let n: u64 = std::env::var("REDIS_DIFF_SEQUENCES").ok().and_then(|v| v.parse().ok()).unwrap_or(600);
    let root_seed: u64 = std::env::var("REDIS_DIFF_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x5EED);
    let root = SimRng::new(root_seed);
    let mut commands = 0;
    for i in 0..n {
        let mut rng = root.child_indexed("sequence", i);
        let len = rng.range_inclusive(5, 30);
        let mut g = Gen { rng: &mut rng };
        let script: Vec<Vec<Vec<u8>>> = (0..len).map(|_| to_argv(g.command())).collect();
        commands += script.len();
        check_script(&mut conn, &format!("random sequence {i}"), script, i);
    }
    println!(
        "differential: {} edge-case tables ({table_commands} commands) and {n} random sequences ({commands} commands) agree with redis-server",
        families.len()
    );
    drop(server);
}

/// Many clients on separate real connections: see `redis_differential/clients.rs`.
#[test]
fn clients_match_redis_server() {
    clients::clients_match_redis_server();
}

/// Active expiry beside the real thing: 100 000 keys expire at one instant on an idle
/// redis-server and in the model (`redis::expire`: slow cycle every 100 ms with its 25 ms budget,
/// the fast cycle after a time-limit exit). Prints how many keys each still holds as time passes
/// — a figure, not an assertion: the real server's budget is wall time on a shared machine — and
/// checks that both reclaim everything, untouched.
#[test]
fn a_mass_expiry_is_reclaimed_by_the_active_cycle_in_the_model_as_in_redis_server() {
    const N: usize = 100_000;
    let server = start_server();
    let mut conn = Conn::connect(server.port).expect("connect");
    let at_ms = wall_now().as_unix_ms() + 3_000;
    let mut model = Store::with_limits(SimRng::new(9), playground::redis::Limits::unlimited());
    let mut batch = Vec::new();
    for i in 0..N {
        let argv: Vec<Vec<u8>> = ["SET".into(), format!("k{i}"), "v".into(), "PXAT".into(), at_ms.to_string()]
            .into_iter()
            .map(String::into_bytes)
            .collect();
        model.execute(SimTime(at_ms - 3_000), &argv);
        batch.extend_from_slice(format!("*{}\r\n", argv.len()).as_bytes());
        for a in &argv {
            batch.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            batch.extend_from_slice(a);
            batch.extend_from_slice(b"\r\n");
        }
    }
    conn.writer.write_all(&batch).expect("pipeline the SETs");
    for _ in 0..N {
        assert_eq!(conn.read_reply(), Reply::ok());
    }
    while wall_now().as_unix_ms() < at_ms {
        std::thread::sleep(Duration::from_millis(5));
    }
    let dbsize = |c: &mut Conn| match c.call(&[b"DBSIZE".to_vec()]) {
        Reply::Integer(n) => n as usize,
        other => panic!("DBSIZE replied {other:?}"),
    };
    let mut real = Vec::new();
    let mut modeled = Vec::new();
    let mut last = SimTime(at_ms);
    for step_ms in [250u64, 500, 1_000, 2_000] {
        let t = at_ms + step_ms;
        while wall_now().as_unix_ms() < t {
            std::thread::sleep(Duration::from_millis(2));
        }
        real.push(dbsize(&mut conn));
        model.advance_to(last, SimTime(t), 1_000);
        last = SimTime(t);
        modeled.push(model.dbsize());
    }
    println!(
        "mass expiry of {N} keys, keys still held after 0.25 / 0.5 / 1 / 2 s: redis-server {real:?}, model {modeled:?}"
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while dbsize(&mut conn) > 0 {
        assert!(Instant::now() < deadline, "redis-server did not reclaim the keys within 20 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(modeled.last(), Some(&0), "the model reclaimed every key within 2 s of virtual time");
}

/// Streams' listpack nodes beside the real thing: seeded random XADDs (small and large values,
/// numbers that listpack stores as integers, same and different fields), XDELs and trims (exact,
/// `~` with and without LIMIT, MINID), with XINFO STREAM (node count, radix-tree nodes, first and
/// last entry, counters) compared after every command. Explicit ids: the clocks differ.
#[test]
fn stream_nodes_and_approximate_trimming_match_redis_server() {
    let server = start_server();
    let mut conn = Conn::connect(server.port).expect("connect");
    let seeds: u64 = std::env::var("REDIS_DIFF_STREAM_SEEDS").ok().and_then(|v| v.parse().ok()).unwrap_or(12);
    let (mut commands, mut most_nodes, mut approx_trims) = (0, 0, 0);
    for seed in 0..seeds {
        let mut rng = SimRng::new(seed).child("streams");
        let mut model = Store::with_limits(SimRng::new(seed), playground::redis::Limits::unlimited());
        assert_eq!(conn.call(&[b"FLUSHALL".to_vec()]), Reply::ok());
        let (mut ms, mut added): (u64, Vec<u64>) = (1, Vec::new());
        let steps = 150 + rng.index(250);
        for _ in 0..steps {
            let words: Vec<String> = match rng.below(20) {
                0..=13 => {
                    ms += 1 + rng.below(3);
                    added.push(ms);
                    let mut w = vec!["XADD".to_string(), "s".into()];
                    match rng.below(12) {
                        0 => w.extend(["MAXLEN".into(), "~".into(), rng.below(300).to_string()]),
                        1 => w.extend(["MAXLEN".into(), rng.below(300).to_string()]),
                        2 => w.extend([
                            "MINID".into(),
                            "~".into(),
                            added[rng.index(added.len())].to_string(),
                            "LIMIT".into(),
                            rng.below(250).to_string(),
                        ]),
                        _ => {}
                    }
                    w.push(format!("{ms}-{}", rng.below(2)));
                    let fields = 1 + rng.index(3);
                    for f in 0..fields {
                        let name = if rng.bernoulli(0.8) { format!("f{f}") } else { format!("g{}", rng.below(5)) };
                        let value = match rng.below(10) {
                            0 => "x".repeat(200 + rng.index(900)),
                            1..=4 => rng.below(100_000).to_string(),
                            _ => "v".repeat(1 + rng.index(20)),
                        };
                        w.extend([name, value]);
                    }
                    w
                }
                14 | 15 => {
                    let mut w = vec!["XDEL".to_string(), "s".into()];
                    for _ in 0..1 + rng.index(4) {
                        w.push(format!(
                            "{}-{}",
                            added.get(rng.index(added.len().max(1))).copied().unwrap_or(1),
                            rng.below(2)
                        ));
                    }
                    w
                }
                16 => vec!["XTRIM".into(), "s".into(), "MAXLEN".into(), "~".into(), rng.below(400).to_string()],
                17 => vec!["XTRIM".into(), "s".into(), "MINID".into(), rng.below(ms + 2).to_string()],
                18 => vec![
                    "XTRIM".into(),
                    "s".into(),
                    "MAXLEN".into(),
                    "~".into(),
                    rng.below(200).to_string(),
                    "LIMIT".into(),
                    rng.below(300).to_string(),
                ],
                _ => vec!["XRANGE".into(), "s".into(), "-".into(), "+".into(), "COUNT".into(), "3".into()],
            };
            let argv: Vec<Vec<u8>> = words.iter().map(|w| w.as_bytes().to_vec()).collect();
            let real = conn.call(&argv);
            let modeled = model.execute(wall_now(), &argv);
            assert_eq!(format_inline(&modeled), format_inline(&real), "seed {seed}: {}", words.join(" "));
            let info = [b"XINFO".to_vec(), b"STREAM".to_vec(), b"s".to_vec()];
            let (real, modeled) = (conn.call(&info), model.execute(wall_now(), &info));
            assert_eq!(
                format_inline(&modeled),
                format_inline(&real),
                "seed {seed}: XINFO STREAM after {}",
                words.join(" ")
            );
            if let Reply::Array(f) = &real {
                if let Some(Reply::Integer(n)) = f.get(3) {
                    most_nodes = most_nodes.max(*n);
                }
            }
            if words[0] == "XTRIM" && words.contains(&"~".to_string()) && real != Reply::Integer(0) {
                approx_trims += 1;
            }
            commands += 1;
        }
    }
    println!(
        "streams: {seeds} seeded runs, {commands} commands, XINFO STREAM equal after each; up to {most_nodes} nodes, {approx_trims} approximate trims that removed entries"
    );
    assert!(most_nodes >= 3 && approx_trims > 0, "the runs reach several nodes and trim whole ones");
    drop(server);
}

/// The memory tables (`redis_differential/memory.redis`, `## name` per table): OBJECT encodings
/// and their conversions, MEMORY USAGE and its errors, CONFIG of the memory parameters, OOM
/// refusals. Then INFO's memory fields: present on both sides, with the same maxmemory and
/// policy. (Byte figures beyond MEMORY USAGE's are compared as errors by `tests/redis_memory.rs`.)
#[test]
fn memory_tables_match_redis_server() {
    let server = start_server();
    let mut conn = Conn::connect(server.port).expect("connect to redis-server");
    let text = include_str!("redis_differential/memory.redis");
    let mut tables = 0;
    for section in text.split("\n## ").filter(|s| !s.trim().is_empty()) {
        let (name, script) = section.trim_start_matches("## ").split_once('\n').unwrap_or((section, ""));
        let argv: Vec<Vec<Vec<u8>>> =
            redis_cases::lines(script).map(|l| tokenize(l).unwrap_or_else(|e| panic!("table {name}: {e}"))).collect();
        check_script(&mut conn, &format!("memory table '{name}'"), argv, 1);
        // A table that failed midway must not leave a limit on the server for the next one.
        conn.call(&tokenize("CONFIG SET maxmemory 0 maxmemory-policy noeviction").unwrap());
        tables += 1;
    }
    assert_eq!(tables, 5, "every table ran");

    let mut model = Store::with_limits(SimRng::new(1), playground::redis::Limits::unlimited());
    let now = wall_now();
    for line in ["CONFIG SET maxmemory 123mb maxmemory-policy allkeys-lfu", "SET k v"] {
        let argv = tokenize(line).unwrap();
        assert_eq!(model.execute(now, &argv), conn.call(&argv), "{line}");
    }
    let fields = |r: Reply| -> Vec<(String, String)> {
        let Reply::Bulk(b) = r else { panic!("INFO replied {r:?}") };
        String::from_utf8_lossy(&b)
            .lines()
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.to_string(), v.trim().to_string()))
            .collect()
    };
    let info = tokenize("INFO memory stats").unwrap();
    let (mine, real) = (fields(model.execute(now, &info)), fields(conn.call(&info)));
    let get = |f: &[(String, String)], k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    for k in
        ["used_memory", "used_memory_human", "used_memory_peak", "maxmemory", "maxmemory_human", "maxmemory_policy"]
            .into_iter()
            .chain(["evicted_keys", "expired_keys", "keyspace_hits", "keyspace_misses"])
    {
        assert!(get(&real, k).is_some(), "redis-server's INFO has {k}");
        assert!(get(&mine, k).is_some(), "the model's INFO lacks {k}");
    }
    for k in ["maxmemory", "maxmemory_human", "maxmemory_policy", "evicted_keys"] {
        assert_eq!(get(&mine, k), get(&real, k), "INFO {k}");
    }
    conn.call(&tokenize("CONFIG SET maxmemory 0 maxmemory-policy noeviction").unwrap());
}

/// `pre_command_oom_state` is taken before a script runs: a script that starts under `maxmemory`
/// and writes past it is not refused, the next deny-oom command is, and freeing memory lets
/// writes in again. Each side gets `maxmemory` 200 KB above its own `used_memory`, so the figures
/// themselves need not agree.
#[test]
fn a_script_crossing_maxmemory_mid_run_matches_redis_server() {
    let server = start_server();
    let mut conn = Conn::connect(server.port).expect("connect to redis-server");
    let mut model = Store::with_limits(SimRng::new(1), playground::redis::Limits::unlimited());
    let now = wall_now();
    let used_memory = |r: Reply| -> u64 {
        let Reply::Bulk(b) = r else { panic!("INFO replied {r:?}") };
        let text = String::from_utf8_lossy(&b).into_owned();
        let line = text.lines().find_map(|l| l.strip_prefix("used_memory:")).expect("INFO has used_memory");
        line.trim().parse().expect("used_memory is a number")
    };
    let info = tokenize("INFO memory").unwrap();
    for (limit, call) in [
        (used_memory(model.execute(now, &info)) + 200_000, &mut |a: &[Vec<u8>]| model.execute(now, a) as _),
        (used_memory(conn.call(&info)) + 200_000, &mut |a: &[Vec<u8>]| conn.call(a)),
    ] as [(u64, &mut dyn FnMut(&[Vec<u8>]) -> Reply); 2]
    {
        let set = tokenize(&format!("CONFIG SET maxmemory-policy noeviction maxmemory {limit}")).unwrap();
        assert_eq!(call(&set), Reply::Status("OK".into()));
    }
    let script = [
        "EVAL \"redis.call('set','a',string.rep('x',300000)) return redis.call('set','b',string.rep('y',300000))\" 0",
        "SET c 1",
        "EVAL \"return redis.call('set','c',1)\" 0",
        "STRLEN b",
        "DEL a b",
        "SET c 1",
    ];
    for line in script {
        let argv = tokenize(line).unwrap();
        let (mine, real) = (model.execute(now, &argv), conn.call(&argv));
        assert_eq!(format_inline(&mine), format_inline(&real), "{line}");
    }
    conn.call(&tokenize("CONFIG SET maxmemory 0").unwrap());
    drop(server);
}
