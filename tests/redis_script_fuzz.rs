//! Fuzz of the Lua bridge: generated scripts (valid and broken Lua, runaway loops, deep recursion,
//! huge strings and tables, bad redis.call arguments, conversions of every value type) through
//! EVAL on the single-client store. Every run must return a reply (no panic) and stop within the
//! step budget. `SCRIPT_FUZZ_RUNS` sets how many (default 10,000 to keep CI short; `SCRIPT_FUZZ_RUNS=1000000` for
//! the long run), in parallel on all cores;
//! the run prints its throughput.

use std::time::Instant;

use playground::redis::script::{ScriptEngine, ScriptLimits, TableHost};
use playground::redis::Store;
use playground::sim::{SimRng, TEST_EPOCH};

const FRAGMENTS: &[&str] = &[
    "return 1",
    "return {1, 2, {3}}",
    "return redis.call('SET', KEYS[1], ARGV[1])",
    "return redis.call('GET', KEYS[1])",
    "return redis.pcall('LPUSH', KEYS[1], 1)",
    "return redis.call('INCR', KEYS[1])",
    "return {err = ARGV[1]}",
    "return {ok = ARGV[1]}",
    "return {double = 1/0}",
    "return {map = {a = {set = {b = true}}}}",
    "while true do end",
    "local function f() return f() + 1 end return f()",
    "local function f() return pcall(f) end return f()",
    "local s = 'x' while true do s = s .. s end",
    "return string.rep('x', 1e9)",
    "local t = {} for i = 1, 1e9 do t[i] = i end",
    "return string.gsub(string.rep('x', 1e5), '', string.rep('y', 1e3))",
    "return string.format(string.rep('%s', 50), unpack({}))",
    "x = 1",
    "return nosuch",
    "error('boom')",
    "error({err = 'E r'})",
    "error()",
    "return redis.call()",
    "return redis.call({})",
    "return math.random(ARGV[1] or 1)",
    "math.randomseed(ARGV[1]) return math.random()",
    "return redis.sha1hex(KEYS[1])",
    "return loadstring(ARGV[1] or 'return')",
    "return setmetatable(_G, nil)",
    "local t = {} t[1] = t return t",
    "return tonumber(ARGV[1])",
    "return #KEYS + #ARGV",
    "return coroutine.wrap(function() while true do coroutine.yield() end end)()",
    "return string.rep('ab', 100000):upper():len()",
    "return redis.call('EVAL', 'return 1', 0)",
    "return table.concat(KEYS, ',')",
    "return 0/0",
    "return -1e308 * 10",
    "return redis.error_reply(ARGV[1] or '')",
    "return redis.status_reply(KEYS[1] or 'x')",
    "for i = 1, 100 do redis.call('RPUSH', 'l', i) end return redis.call('LRANGE', 'l', 0, -1)",
    "local t = {} for i = 1, 30000 do t[i] = i end return t",
    "return string.find(string.rep('a', 5000), string.rep('a?', 200) .. string.rep('a', 200))",
];

const JUNK: &[&str] = &[
    "end", "(", ")", "{", "}", "..", "--[[", "]]", "\"", "'", "\\", "\0", "\n", "#!lua",
    "function", "return", "local", "=", "nil", "+", "[", "]",
];

fn script(rng: &mut SimRng) -> String {
    let mut s = String::new();
    let parts = 1 + rng.index(3);
    for _ in 0..parts {
        if rng.index(4) == 0 {
            s.push_str(JUNK[rng.index(JUNK.len())]);
        } else {
            let f = FRAGMENTS[rng.index(FRAGMENTS.len())];
            if rng.index(6) == 0 {
                let cut = rng.index(f.len() + 1);
                s.push_str(f.get(..cut).unwrap_or(f));
            } else {
                s.push_str(f);
            }
        }
        s.push(if rng.index(2) == 0 { '\n' } else { ' ' });
    }
    s
}

fn word(rng: &mut SimRng) -> Vec<u8> {
    match rng.index(5) {
        0 => b"42".to_vec(),
        1 => b"-1".to_vec(),
        2 => b"return 1".to_vec(),
        3 => (0..rng.index(8)).map(|_| rng.index(256) as u8).collect(),
        _ => format!("k{}", rng.index(4)).into_bytes(),
    }
}

fn fuzz_slice(seed: u64, runs: u64) -> u64 {
    let mut rng = SimRng::new(seed);
    let mut store = Store::new(SimRng::new(seed));
    // A small budget keeps each runaway short; the limits are what is being tested.
    let mut engine = ScriptEngine::new(ScriptLimits {
        max_steps: 20_000,
        max_memory_bytes: 4 << 20,
        max_reply_elements: 25_000,
    });
    let mut done = 0;
    for i in 0..runs {
        let body = script(&mut rng).into_bytes();
        let nkeys = rng.index(3);
        let mut argv = vec![
            if rng.index(8) == 0 {
                b"EVAL_RO".to_vec()
            } else {
                b"EVAL".to_vec()
            },
            body,
            nkeys.to_string().into_bytes(),
        ];
        for _ in 0..nkeys + rng.index(3) {
            argv.push(word(&mut rng));
        }
        let reply = engine.eval_command(
            &argv,
            &mut TableHost(|a: &[Vec<u8>]| store.execute(TEST_EPOCH, a)),
        );
        // Every run answers with a RESP value that encodes.
        assert!(!reply.to_resp().is_empty(), "run {i} of seed {seed}");
        if i % 512 == 0 {
            store.execute(TEST_EPOCH, &[b"FLUSHDB".to_vec()]);
            engine.script_command(&[b"SCRIPT".to_vec(), b"FLUSH".to_vec()]);
        }
        done += 1;
    }
    done
}

#[test]
fn fuzz_lua_bridge() {
    let runs: u64 = std::env::var("SCRIPT_FUZZ_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let share = runs / threads + u64::from(t < runs % threads);
            std::thread::Builder::new()
                .stack_size(16 << 20)
                .spawn(move || fuzz_slice(0x5c1_0000 + t, share))
                .expect("spawn a fuzz thread")
        })
        .collect();
    let total: u64 = handles
        .into_iter()
        .map(|h| h.join().expect("a fuzz thread panicked"))
        .sum();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "script fuzz: {total} scripts in {secs:.1} s ({:.0} scripts/s on {threads} threads)",
        total as f64 / secs
    );
    assert_eq!(total, runs);
}
