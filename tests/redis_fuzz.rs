#![cfg(not(target_arch = "wasm32"))]
//! Fuzzing the redis-cli tokenizer, the argument parsers and the executor: zero panics allowed.
//!
//! `REDIS_FUZZ_INPUTS` sets how many inputs the seeded loop feeds (default 1 000 000, the issue's
//! count: about 6 s in a debug build on two shared cores; set it lower for a quick run). Each
//! input is one of: random bytes as a command line (tokenized, then executed), random bytes as
//! raw argv, or a random sequence of tokens drawn from command
//! names, option words and edge-case numbers, executed against a store that keeps its state
//! (reset every 500 inputs) so commands meet every type of value. A proptest pass adds shrinking
//! for the raw-argv shape. Import/export of arbitrary JSON is fuzzed too.

use playground::redis::cli::{format_human, tokenize_bytes};
use playground::redis::{ClientId, Limits, Outcome, Store, COMMANDS};
use playground::sim::{SimDuration, SimRng, SimTime, TEST_EPOCH};
use proptest::prelude::*;

const WORDS: &[&str] = &[
    "NX",
    "XX",
    "GT",
    "LT",
    "CH",
    "INCR",
    "EX",
    "PX",
    "EXAT",
    "PXAT",
    "KEEPTTL",
    "GET",
    "PERSIST",
    "LIMIT",
    "WITHSCORES",
    "BYSCORE",
    "BYLEX",
    "REV",
    "MATCH",
    "COUNT",
    "TYPE",
    "RANK",
    "MAXLEN",
    "LEFT",
    "RIGHT",
    "BEFORE",
    "AFTER",
    "REPLACE",
    "DB",
    "SLEEP",
    "ASYNC",
    "string",
    "list",
    "set",
    "hash",
    "zset",
    "*",
    "?",
    "[a-",
    "k",
    "k1",
    "k2",
    "a",
    "b",
    "",
    "0",
    "1",
    "-1",
    "2",
    "10",
    "-10",
    "100",
    "inf",
    "-inf",
    "+inf",
    "(1",
    "(",
    "[",
    "[a",
    "(b",
    "-",
    "+",
    "nan",
    "1e400",
    "0x1p3",
    "1.5",
    "-0",
    "007",
    " 3",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "18446744073709551615",
    "4611686018427387904",
    "1e-400",
    "0.1",
    "99999999999999999999",
    "STREAMS",
    "GROUP",
    "MKSTREAM",
    "NOACK",
    "BLOCK",
    "JUSTID",
    "FORCE",
    "IDLE",
    "MINID",
    "NOMKSTREAM",
    "ENTRIESREAD",
    "FULL",
    "CREATE",
    "SETID",
    "~",
    "=",
    ">",
    "$",
    "1-1",
    "0-1",
    "5-*",
    "(1-1",
    "18446744073709551615-18446744073709551615",
];

fn random_bytes(rng: &mut SimRng, max: u64) -> Vec<u8> {
    let n = rng.below(max + 1) as usize;
    (0..n).map(|_| rng.next_u32() as u8).collect()
}

fn random_token(rng: &mut SimRng) -> Vec<u8> {
    match rng.below(10) {
        0 => random_bytes(rng, 12),
        1 => COMMANDS[rng.index(COMMANDS.len())].name.as_bytes().to_vec(),
        2 => rng.next_u64().to_string().into_bytes(),
        3 => (rng.next_u64() as i64).to_string().into_bytes(),
        _ => WORDS[rng.index(WORDS.len())].as_bytes().to_vec(),
    }
}

fn random_argv(rng: &mut SimRng) -> Vec<Vec<u8>> {
    let mut argv = vec![COMMANDS[rng.index(COMMANDS.len())].name.as_bytes().to_vec()];
    if rng.bernoulli(0.05) {
        argv[0] = random_bytes(rng, 8);
    }
    let n = rng.below(9);
    for _ in 0..n {
        argv.push(random_token(rng));
    }
    argv
}

#[test]
fn no_input_panics_the_tokenizer_parser_or_executor() {
    let n: u64 = std::env::var("REDIS_FUZZ_INPUTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let mut rng = SimRng::new(0xF0221);
    let mut store = Store::new(rng.child("store"));
    let mut now = TEST_EPOCH;
    let mut executed = 0u64;
    for i in 0..n {
        if i % 500 == 0 {
            store = Store::new(rng.child_indexed("store", i));
        }
        now += SimDuration::from_millis(rng.below(50));
        match rng.below(10) {
            0 => {
                // A random line through redis-cli's tokenizer.
                let line = random_bytes(&mut rng, 40);
                if let Ok(argv) = tokenize_bytes(&line) {
                    if !argv.is_empty() {
                        let _ = format_human(&store.execute(now, &argv));
                        executed += 1;
                    }
                }
            }
            1 => {
                let argv: Vec<Vec<u8>> = (0..rng.below(6)).map(|_| random_bytes(&mut rng, 10)).collect();
                let _ = store.execute(now, &argv);
                executed += 1;
            }
            2 => {
                store.run_active_expire_cycle(now);
            }
            _ => {
                let argv = random_argv(&mut rng);
                let reply = store.execute(now, &argv);
                let _ = reply.to_resp();
                executed += 1;
            }
        }
        if i % 5000 == 0 {
            let _ = store.browse(now, b"*", 50);
            let json = store.export_json(now);
            let mut copy = Store::new(SimRng::new(i));
            copy.import_json(&json).expect("an export always imports");
        }
    }
    println!("fuzz: {n} inputs ({executed} executed commands), no panic");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn raw_argv_never_panics(argv in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..12), 0..8),
                             name in 0..COMMANDS.len(),
                             words in proptest::collection::vec(0..WORDS.len(), 0..6)) {
        let mut s = Store::with_limits(SimRng::new(1), Limits::default());
        let now = SimTime(1_700_000_000_000);
        // Seed the store with one key of each type so the arguments meet real values.
        for line in ["SET k1 1", "RPUSH k2 a b", "SADD k3 1 x", "HSET k4 f 1", "ZADD k5 1 a 2 b"] {
            s.execute_str(now, line);
        }
        let _ = s.execute(now, &argv);
        let mut cmd = vec![COMMANDS[name].name.as_bytes().to_vec()];
        cmd.extend(words.iter().map(|&w| WORDS[w].as_bytes().to_vec()));
        let _ = s.execute(now, &cmd);
    }

    #[test]
    fn arbitrary_json_never_panics_the_importer(text in ".{0,200}") {
        let mut s = Store::new(SimRng::new(1));
        let _ = s.import_json(&text);
        let _ = s.import_json(&format!(r#"{{"version":1,"keys":[{{"key":"k","type":"zset","value":[["m",{text:?}]]}}]}}"#));
    }
}

/// Words the client-level parsers read: subcommands, options, timeouts, reasons.
const CLIENT_WORDS: &[&str] = &[
    "ID",
    "INFO",
    "LIST",
    "KILL",
    "SETNAME",
    "GETNAME",
    "UNBLOCK",
    "GETREDIR",
    "NO-EVICT",
    "HELP",
    "TYPE",
    "ADDR",
    "LADDR",
    "USER",
    "SKIPME",
    "yes",
    "no",
    "on",
    "off",
    "normal",
    "pubsub",
    "replica",
    "master",
    "default",
    "TIMEOUT",
    "ERROR",
    "GET",
    "SET",
    "RESETSTAT",
    "REWRITE",
    "hz",
    "databases",
    "h*",
    "*",
    "[",
    "CHANNELS",
    "NUMSUB",
    "NUMPAT",
    "SHARDCHANNELS",
    "SHARDNUMSUB",
    "LEFT",
    "RIGHT",
    "MIN",
    "MAX",
    "COUNT",
    "DB",
    "REPLACE",
    "0",
    "0.01",
    "0.5",
    "1",
    "2",
    "3",
    "15",
    "16",
    "-1",
    "1e30",
    "inf",
    "nan",
    "-0",
    "0x10",
    "127.0.0.1:40003",
    "ch",
    "ch*",
    "q",
    "q2",
    "z",
    "k",
    "3",
    "4",
    "5",
    "6",
    "9223372036854775807",
    "1000gb",
    "",
];

/// Commands that make clients interact: transactions, pub/sub, blocking, databases, CLIENT…
const CLIENT_COMMANDS: &[&str] = &[
    "XADD",
    "XREAD",
    "XREADGROUP",
    "XGROUP",
    "MULTI",
    "EXEC",
    "DISCARD",
    "WATCH",
    "UNWATCH",
    "SELECT",
    "MOVE",
    "SWAPDB",
    "COPY",
    "FLUSHDB",
    "FLUSHALL",
    "CLIENT",
    "RESET",
    "QUIT",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "PSUBSCRIBE",
    "PUNSUBSCRIBE",
    "PUBLISH",
    "SSUBSCRIBE",
    "SUNSUBSCRIBE",
    "SPUBLISH",
    "PUBSUB",
    "BLPOP",
    "BRPOP",
    "BLMOVE",
    "BRPOPLPUSH",
    "LMPOP",
    "BLMPOP",
    "ZPOPMIN",
    "ZPOPMAX",
    "BZPOPMIN",
    "BZPOPMAX",
    "ZMPOP",
    "BZMPOP",
    "CONFIG",
    "TIME",
    "WAIT",
    "LPUSH",
    "RPUSH",
    "ZADD",
    "SET",
    "GET",
    "DEL",
    "EXPIRE",
    "PING",
    "INFO",
    "DBSIZE",
    "DEBUG",
];

const WELL_FORMED: &[&str] = &[
    "SUBSCRIBE ch",
    "SUBSCRIBE ch other",
    "PSUBSCRIBE c*",
    "UNSUBSCRIBE",
    "PUNSUBSCRIBE",
    "PUBLISH ch m",
    "PUBLISH other m",
    "SSUBSCRIBE ch",
    "SPUBLISH ch m",
    "BLPOP q 0",
    "BRPOP q q2 0.3",
    "BLMOVE q q2 LEFT RIGHT 0",
    "LPUSH q a b",
    "RPUSH q2 c",
    "BZPOPMIN z 0.2",
    "BZMPOP 0 1 z MAX COUNT 2",
    "ZADD z 1 a 2 b",
    "WATCH k q",
    "MULTI",
    "EXEC",
    "DISCARD",
    "SET k 1",
    "INCR k",
    "SELECT 1",
    "SELECT 0",
    "SWAPDB 0 1",
    "MOVE q 1",
    "FLUSHDB",
    "CLIENT UNBLOCK $id",
    "CLIENT UNBLOCK $id ERROR",
    "CLIENT KILL ID $id",
    "CLIENT LIST",
    "RESET",
    "WAIT 1 100",
    "EXPIRE k 1",
    "DEBUG SLEEP 0.3",
];

/// Many clients at once: random commands from random clients, clock steps that fire timeouts,
/// hang-ups and reconnections, with the server's indexes checked as it goes. Zero panics, and
/// the indexes (watchers, subscribers, blocked clients, timeouts) always agree with the clients.
#[test]
fn no_input_panics_many_clients_and_indexes_stay_consistent() {
    let n: u64 = std::env::var("REDIS_FUZZ_INPUTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let mut rng = SimRng::new(0xC11E);
    let mut store = Store::new(rng.child("store"));
    let mut now = TEST_EPOCH;
    let mut clients: Vec<ClientId> = Vec::new();
    let mut outputs = 0u64;
    let mut blocked = 0u64;
    for i in 0..n {
        if i % 2000 == 0 {
            store = Store::new(rng.child_indexed("store", i));
            clients = (0..4).map(|_| store.connect(now)).collect();
        }
        match rng.below(40) {
            0 => {
                now += SimDuration::from_millis(rng.below(700));
                store.advance_clients(now);
            }
            1..=3 => {
                // Hang up: a blocked client if there is one (Ctrl-C), so pipelines do not pile up.
                let k = clients
                    .iter()
                    .position(|&c| store.client(c).is_some_and(|c| c.is_blocked()))
                    .unwrap_or_else(|| rng.index(clients.len()));
                store.disconnect(clients[k]);
                clients[k] = store.connect(now);
            }
            r => {
                let who = clients[rng.index(clients.len())];
                let argv: Vec<Vec<u8>> = if r < 20 {
                    // Well-formed interactions, so subscribers get messages and waiters get data.
                    let other = clients[rng.index(clients.len())].0.to_string();
                    let line = WELL_FORMED[rng.index(WELL_FORMED.len())].replace("$id", &other);
                    line.split(' ').map(|w| w.as_bytes().to_vec()).collect()
                } else {
                    let mut argv = vec![CLIENT_COMMANDS[rng.index(CLIENT_COMMANDS.len())].as_bytes().to_vec()];
                    for _ in 0..rng.below(7) {
                        argv.push(match rng.below(6) {
                            0 => random_token(&mut rng),
                            1 => clients[rng.index(clients.len())].0.to_string().into_bytes(),
                            _ => CLIENT_WORDS[rng.index(CLIENT_WORDS.len())].as_bytes().to_vec(),
                        });
                    }
                    argv
                };
                let argv = if rng.bernoulli(0.005) { Vec::new() } else { argv };
                match store.execute_as(who, now, &argv) {
                    Outcome::Replied(f) | Outcome::Closed(f) => {
                        for r in f {
                            let _ = r.to_resp();
                        }
                    }
                    Outcome::Blocked => blocked += 1,
                }
                if store.client(who).is_none() {
                    let k = clients.iter().position(|&c| c == who).expect("known client");
                    clients[k] = store.connect(now);
                }
            }
        }
        outputs += store.take_outputs().len() as u64;
        if i % 97 == 0 {
            if let Err(e) = store.check_indexes() {
                panic!("input {i}: {e}");
            }
        }
    }
    println!("fuzz (many clients): {n} inputs, {blocked} blocked commands, {outputs} pushed frames, no panic, indexes consistent");
}
