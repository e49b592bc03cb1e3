#![cfg(not(target_arch = "wasm32"))]
//! Fuzz of the scripting commands and the Lua bridge, a million inputs per layer:
//! - the bridge's conversions: RESP -> Lua -> RESP (a reply a script gets from `redis.call` and
//!   returns comes back as Redis gives it back) and Lua -> RESP on generated Lua values against a
//!   reference written from script_lua.c (`support/lua_values.rs`), depth cap and element limit
//!   included;
//! - the shebang parser and the EVAL / SCRIPT argument parsers on generated and mutated inputs (no
//!   panic, and what they accept or refuse is what eval.c would);
//! - then fewer whole generated scripts through EVAL on the single-client store (valid and broken
//!   Lua, runaway loops, deep recursion, huge strings and tables, deep patterns, bad `redis.call`
//!   arguments): every run answers with a reply and stops within the step budget.
//!
//! A seeded sample of the generated commands is compared with a real redis-server in
//! `tests/redis_scripting.rs`. `SCRIPT_FUZZ_CONVERSIONS` and `SCRIPT_FUZZ_PARSERS` set the inputs
//! per layer (default 1,000,000), `SCRIPT_FUZZ_RUNS` the whole scripts (default 20,000;
//! `SCRIPT_FUZZ_RUNS=1000000` for a long run). Each prints its throughput (`-- --nocapture`); none
//! asserts on speed.

#[path = "support/lua_values.rs"]
mod lua_values;
#[path = "support/script_gen.rs"]
mod script_gen;

use std::time::Instant;

use omnilua::{Lua, LuaVersion};
use playground::redis::reply::Reply;
use playground::redis::script::{
    lua_to_reply, parse_shebang, reply_to_lua, sha1_hex, EvalArgs, ScriptEngine, ScriptLimits, ScriptSource,
    ScriptSubcommand, TableHost, MAX_REPLY_DEPTH,
};
use playground::redis::Store;
use playground::sim::{SimRng, TEST_EPOCH};

fn env_count(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn report(name: &str, inputs: u64, start: Instant) {
    let secs = start.elapsed().as_secs_f64();
    println!("{name}: {inputs} inputs in {secs:.1} s ({:.0} inputs/s)", inputs as f64 / secs);
}

/// Prints a parser fuzz's figures; the generator must have reached both outcomes.
fn report_parser(name: &str, runs: u64, start: Instant, accepted: u64, refused: u64) {
    report(name, runs, start);
    println!("{name}: {accepted} accepted, {refused} refused");
    assert!(accepted > runs / 10 && refused > runs / 10, "the generator must reach both outcomes");
}

#[test]
fn fuzz_resp_to_lua_to_resp() {
    let lua = Lua::try_new_versioned(LuaVersion::V51).expect("an interpreter");
    let mut rng = SimRng::new(0x5c1_1001);
    let runs = env_count("SCRIPT_FUZZ_CONVERSIONS", 1_000_000);
    let start = Instant::now();
    for i in 0..runs {
        let reply = lua_values::reply(&mut rng, 0);
        let value = reply_to_lua(&lua, &reply).expect("a reply converts to Lua");
        let back = lua_to_reply(value, 25_000);
        assert_eq!(back, lua_values::round_tripped(&reply), "input {i}: {reply:?}");
    }
    report("RESP -> Lua -> RESP", runs, start);
}

#[test]
fn fuzz_lua_to_resp() {
    let lua = Lua::try_new_versioned(LuaVersion::V51).expect("an interpreter");
    let function = lua.create_function(|_, ()| Ok(())).expect("a function");
    let mut rng = SimRng::new(0x5c1_1002);
    let runs = env_count("SCRIPT_FUZZ_CONVERSIONS", 1_000_000);
    let start = Instant::now();
    let (mut capped, mut limited) = (0u64, 0u64);
    for i in 0..runs {
        let spec = lua_values::spec(&mut rng, 0);
        let value = lua_values::build(&lua, &spec, &function).expect("the value builds");
        // A small element limit now and then, so the limit is crossed as well.
        let max = if rng.index(50) == 0 { 1 + rng.index(8) } else { 25_000 };
        let mut want = lua_values::expected(&spec, 0);
        if lua_values::count(&want) > max {
            want = Reply::Error(format!("ERR playground limit: the script's reply has more than {max} elements"));
            limited += 1;
        } else if lua_values::depth_of(&want) > MAX_REPLY_DEPTH {
            capped += 1;
        }
        assert_eq!(lua_to_reply(value, max), want, "input {i}: {spec:?}");
    }
    report("Lua -> RESP", runs, start);
    println!("Lua -> RESP: {capped} replies reached the depth cap, {limited} the element limit");
    assert!(capped > 0 && limited > 0, "the generator must reach both limits");
}

#[test]
fn fuzz_shebang_parser() {
    let runs = env_count("SCRIPT_FUZZ_PARSERS", 1_000_000);
    let mut rng = SimRng::new(0x5c1_2001);
    let start = Instant::now();
    let (mut accepted, mut refused) = (0u64, 0u64);
    for i in 0..runs {
        let (body, clean) = script_gen::shebang_body(&mut rng);
        let mut one = [body];
        if clean.is_none() && rng.index(2) == 0 {
            script_gen::mutate(&mut rng, &mut one);
        }
        let [body] = one;
        let result = parse_shebang(&body);
        match &result {
            Ok((flags, len)) => {
                accepted += 1;
                if body.starts_with(b"#!") {
                    let line_end = body.iter().take_while(|&&b| b != 0).position(|&b| b == b'\n');
                    assert_eq!(Some(*len), line_end, "input {i}: {body:?}");
                    assert!(!flags.compat, "input {i}: {body:?}");
                } else {
                    assert_eq!(*len, 0);
                    assert!(flags.compat);
                }
            }
            Err(e) => {
                refused += 1;
                assert!(body.starts_with(b"#!"), "input {i}: only a shebang can be refused: {body:?}");
                let forms = [
                    "Invalid script shebang",
                    "Invalid engine in script shebang",
                    "Unexpected engine in script shebang: ",
                    "Unknown lua shebang option: ",
                    "Unexpected flag in script shebang: ",
                ];
                assert!(forms.iter().any(|f| e.starts_with(f)), "input {i}: {e:?} for {body:?}");
            }
        }
        if let Some(want) = clean {
            assert_eq!(result.as_ref().map(|(flags, _)| *flags).ok(), Some(want), "input {i}: {body:?}");
        }
    }
    report_parser("shebang parser", runs, start, accepted, refused);
}

const EVAL_ERRORS: &[&str] = &[
    "ERR wrong number of arguments for '",
    "NOSCRIPT No matching script. Please use EVAL.",
    "ERR value is not an integer or out of range",
    "ERR Number of keys can't be negative",
    "ERR Number of keys can't be greater than number of args",
    "ERR not an EVAL command",
];

const SCRIPT_ERRORS: &[&str] = &[
    "ERR wrong number of arguments for 'script",
    "ERR SCRIPT FLUSH only support SYNC|ASYNC option",
    "ERR Use SCRIPT DEBUG YES/SYNC/NO",
    "ERR unknown subcommand '",
];

fn assert_known_error(reply: &Reply, forms: &[&str], argv: &[Vec<u8>]) {
    let Reply::Error(e) = reply else { panic!("a parser refused with a non-error {reply:?} for {argv:?}") };
    assert!(forms.iter().any(|f| e.starts_with(f)), "unexpected error {e:?} for {argv:?}");
    assert!(!e.bytes().any(|b| b == b'\r' || b == b'\n'), "a multi-line error {e:?} for {argv:?}");
}

#[test]
fn fuzz_eval_and_script_arguments() {
    let runs = env_count("SCRIPT_FUZZ_PARSERS", 1_000_000);
    let shas: Vec<String> = script_gen::BODIES.iter().map(|b| sha1_hex(b.as_bytes())).collect();
    let mut rng = SimRng::new(0x5c1_2002);
    let start = Instant::now();
    let (mut accepted, mut refused) = (0u64, 0u64);
    for _ in 0..runs {
        let eval = rng.index(2) == 0;
        let mut argv =
            if eval { script_gen::eval_argv(&mut rng, &shas) } else { script_gen::script_argv(&mut rng, &shas) };
        if rng.index(3) == 0 {
            script_gen::mutate(&mut rng, &mut argv);
        }
        if eval {
            match EvalArgs::parse(&argv) {
                Ok(call) => {
                    accepted += 1;
                    let name = argv[0].to_ascii_lowercase();
                    assert_eq!(call.read_only, name.ends_with(b"_ro"), "{argv:?}");
                    match call.source {
                        ScriptSource::Sha(sha) => {
                            assert!(sha.len() == 40 && name.starts_with(b"evalsha"))
                        }
                        ScriptSource::Body(body) => {
                            assert!(body == argv[1] && !name.starts_with(b"evalsha"))
                        }
                    }
                    let given: Vec<&Vec<u8>> = call.keys.iter().chain(call.args).collect();
                    assert_eq!(given, argv[3..].iter().collect::<Vec<_>>(), "{argv:?}");
                    assert_eq!(call.keys.len().to_string().as_bytes(), argv[2], "{argv:?}");
                }
                Err(e) => {
                    refused += 1;
                    assert_known_error(&e, EVAL_ERRORS, &argv);
                }
            }
        } else {
            match ScriptSubcommand::parse(&argv) {
                Ok(sub) => {
                    accepted += 1;
                    match sub {
                        ScriptSubcommand::Exists(shas) => assert_eq!(shas, &argv[2..]),
                        ScriptSubcommand::Load(body) => assert_eq!(argv[2..], [body.to_vec()]),
                        _ => assert!(argv.len() <= 3, "{argv:?}"),
                    }
                }
                Err(e) => {
                    refused += 1;
                    assert_known_error(&e, SCRIPT_ERRORS, &argv);
                }
            }
        }
    }
    report_parser("EVAL/SCRIPT argument parsers", runs, start, accepted, refused);
}

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
    "local function f(s) return (string.gsub(s, '.', f)) end return f('x')",
    "local function f() return coroutine.wrap(f)() end return f()",
    "local mt = {} mt.__index = function(t, k) return setmetatable({}, mt)[k] end return setmetatable({}, mt).x",
    "local s = 'x' while true do s = s .. s end",
    "return string.rep('x', 1e9)",
    "local t = {} for i = 1, 1e9 do t[i] = i end",
    "return string.gsub(string.rep('x', 1e5), '', string.rep('y', 1e3))",
    "return string.format(string.rep('%s', 50), unpack({}))",
    "return string.find(string.rep('a', 2000), string.rep('a?', 2000))",
    "return string.match(string.rep('a', 3000), string.rep('a-', 900) .. '$')",
    "return string.find('x', '(')",
    "x = 1",
    "return nosuch",
    "return getfenv(1)",
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
    "table.insert(_G, 1)",
    "getmetatable('').__index.x = 1",
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
    "local t = {} for i = 1, 1500 do t[i] = i end return t",
    "return string.find(string.rep('a', 5000), string.rep('a?', 200) .. string.rep('a', 200))",
];

const JUNK: &[&str] = &[
    "end",
    "(",
    ")",
    "{",
    "}",
    "..",
    "--[[",
    "]]",
    "\"",
    "'",
    "\\",
    "\0",
    "\n",
    "#!lua",
    "#!lua flags=no-writes\n",
    "function",
    "return",
    "local",
    "=",
    "nil",
    "+",
    "[",
    "]",
    "\x1bLua",
];

fn script(rng: &mut SimRng) -> String {
    let mut s = String::new();
    for _ in 0..1 + rng.index(3) {
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

/// How the whole-script runs ended.
#[derive(Default)]
struct Outcomes {
    replies: u64,
    errors: u64,
    step_limit: u64,
    memory_limit: u64,
    other_limit: u64,
    /// A digest of every reply, to check that a second run gives the same ones.
    digest: u64,
}

/// `runs` generated scripts through EVAL on one engine; `fresh` drops its interpreter before every
/// run (the replies must not change: a kept interpreter holds nothing a script can observe).
fn fuzz_slice(seed: u64, runs: u64, fresh: bool) -> Outcomes {
    let mut rng = SimRng::new(seed);
    let mut store = Store::new(SimRng::new(seed));
    // A small budget keeps each runaway short; the limits are what is being tested.
    let mut engine =
        ScriptEngine::new(ScriptLimits { max_steps: 20_000, max_memory_bytes: 2 << 20, max_reply_elements: 1_000 });
    let mut out = Outcomes::default();
    for i in 0..runs {
        let body = script(&mut rng).into_bytes();
        let nkeys = rng.index(3);
        let name: &[u8] = if rng.index(8) == 0 { b"EVAL_RO" } else { b"EVAL" };
        let mut argv = vec![name.to_vec(), body, nkeys.to_string().into_bytes()];
        for _ in 0..nkeys + rng.index(3) {
            argv.push(word(&mut rng));
        }
        if fresh {
            engine.reset_interpreter();
        }
        let reply = engine.eval_command(&argv, &mut TableHost(|a: &[Vec<u8>]| store.execute(TEST_EPOCH, a)));
        let resp = reply.to_resp();
        assert!(!resp.is_empty(), "run {i} of seed {seed}");
        out.digest =
            resp.iter().fold(out.digest.rotate_left(5) ^ 0x9e37, |h, &b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
        match &reply {
            Reply::Error(e) if e.contains("Lua steps without finishing") => out.step_limit += 1,
            Reply::Error(e) if e.contains("bytes of Lua memory") => out.memory_limit += 1,
            Reply::Error(e) if e.contains("playground limit") => out.other_limit += 1,
            Reply::Error(_) => out.errors += 1,
            _ => out.replies += 1,
        }
        if i % 512 == 0 {
            store.execute(TEST_EPOCH, &[b"FLUSHDB".to_vec()]);
            engine.script_command(&[b"SCRIPT".to_vec(), b"FLUSH".to_vec()]);
        }
    }
    out
}

#[test]
fn fuzz_whole_scripts() {
    let runs = env_count("SCRIPT_FUZZ_RUNS", 20_000);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let share = runs / threads + u64::from(t < runs % threads);
            std::thread::spawn(move || fuzz_slice(0x5c1_0000 + t, share, false))
        })
        .collect();
    let slices: Vec<Outcomes> = handles.into_iter().map(|h| h.join().expect("a fuzz thread panicked")).collect();
    report("whole scripts through EVAL", runs, start);
    let sum = |f: fn(&Outcomes) -> u64| slices.iter().map(f).sum::<u64>();
    let (replies, errors) = (sum(|o| o.replies), sum(|o| o.errors));
    let (steps, memory, other) = (sum(|o| o.step_limit), sum(|o| o.memory_limit), sum(|o| o.other_limit));
    println!(
        "whole scripts: {replies} replies, {errors} errors, stopped by the step budget {steps}, by the memory \
         budget {memory}, by another playground limit {other}"
    );
    assert_eq!(replies + errors + steps + memory + other, runs);
    assert!(
        replies > 0 && errors > 0 && steps > 0 && memory > 0 && other > 0,
        "the generator must reach every outcome"
    );
    // The same seed gives the same replies, and so does a new interpreter for every script.
    let first = fuzz_slice(0x5c1_0000, 2_000, false);
    assert_eq!(fuzz_slice(0x5c1_0000, 2_000, false).digest, first.digest);
    let start = Instant::now();
    assert_eq!(fuzz_slice(0x5c1_0000, 2_000, true).digest, first.digest, "a kept interpreter answers as fresh ones");
    report("whole scripts, a new interpreter for each", 2_000, start);
}
