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
use playground::redis::{Limits, Store, COMMANDS};
use playground::sim::{SimDuration, SimRng, SimTime, TEST_EPOCH};
use proptest::prelude::*;

const WORDS: &[&str] = &[
    "NX", "XX", "GT", "LT", "CH", "INCR", "EX", "PX", "EXAT", "PXAT", "KEEPTTL", "GET", "PERSIST", "LIMIT",
    "WITHSCORES", "BYSCORE", "BYLEX", "REV", "MATCH", "COUNT", "TYPE", "RANK", "MAXLEN", "LEFT", "RIGHT",
    "BEFORE", "AFTER", "REPLACE", "DB", "SLEEP", "ASYNC", "string", "list", "set", "hash", "zset", "*", "?",
    "[a-", "k", "k1", "k2", "a", "b", "", "0", "1", "-1", "2", "10", "-10", "100", "inf", "-inf", "+inf",
    "(1", "(", "[", "[a", "(b", "-", "+", "nan", "1e400", "0x1p3", "1.5", "-0", "007", " 3",
    "9223372036854775807", "-9223372036854775808", "9223372036854775808", "18446744073709551615",
    "4611686018427387904", "1e-400", "0.1", "99999999999999999999",
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
