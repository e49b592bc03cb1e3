//! Data-driven tests of the bridge, driving the single-client `Store` through `EVAL`.

use expect_test::{expect, Expect};

use crate::redis::cli::format_inline;
use crate::redis::Store;
use crate::sim::{SimRng, TEST_EPOCH};

fn argv(parts: &[&str]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.as_bytes().to_vec()).collect()
}

/// Runs each command (a list of arguments) and renders `command -> reply` lines.
fn run(store: &mut Store, commands: &[&[&str]]) -> String {
    let mut out = String::new();
    for c in commands {
        let reply = store.execute(TEST_EPOCH, &argv(c));
        out.push_str(&format!("{} -> {}\n", c.join(" ").replace('\n', "\\n"), format_inline(&reply)));
    }
    out
}

fn check(commands: &[&[&str]], expect: Expect) {
    let mut store = Store::new(SimRng::new(1));
    expect.assert_eq(&run(&mut store, commands));
}

#[test]
fn smoke() {
    check(
        &[
            &["EVAL", "return {1, 'two', {3.9, true, false}, {ok = 'fine'}}", "0"],
            &["EVAL", "return redis.call('SET', KEYS[1], ARGV[1])", "1", "k", "v"],
            &["EVAL", "error('boom')", "0"],
        ],
        expect![[r#"
            EVAL return {1, 'two', {3.9, true, false}, {ok = 'fine'}} 0 -> [(integer) 1, "two", [(integer) 3, (integer) 1, (nil)], fine]
            EVAL return redis.call('SET', KEYS[1], ARGV[1]) 1 k v -> OK
            EVAL error('boom') 0 -> (error) ERR user_script:1: boom script: 82903a0434f1503e152f89c03c9acd881a0e8150, on @user_script:1.
        "#]],
    );
}

/// Where the model knowingly answers differently from Redis 7.0 (everything else is compared with
/// a real redis-server in tests/redis_scripting.rs).
#[test]
fn what_the_model_does_differently() {
    check(
        &[
            // Not modeled: the cjson, cmsgpack, struct and bit libraries, RESP3, the debugger.
            &["EVAL", "return {type(cjson), type(bit)}", "0"],
            &["EVAL", "return redis.setresp(3)", "0"],
            &["SCRIPT", "DEBUG", "YES"],
            // Library tables are read-only proxies: pairs() sees nothing in them.
            &["EVAL", "local n = 0 for _ in pairs(string) do n = n + 1 end return n", "0"],
            &["EVAL", "for k in pairs(nil) do end", "0"],
        ],
        expect![[r#"
            EVAL return {type(cjson), type(bit)} 0 -> (error) ERR user_script:1: Script attempted to access nonexistent global variable 'cjson' script: 87f796a962f02f38649a0952bbc2f7c1ddf191ce, on @user_script:1.
            EVAL return redis.setresp(3) 0 -> (error) ERR playground limit: redis.setresp(3) is not modeled; the model speaks RESP2 only script: 0eb74e6168d6fcf78a71b3e59c5918fb45f3d442, on @user_script:1.
            SCRIPT DEBUG YES -> (error) ERR playground limit: SCRIPT DEBUG (the Lua debugger) is not modeled
            EVAL local n = 0 for _ in pairs(string) do n = n + 1 end return n 0 -> (integer) 0
            EVAL for k in pairs(nil) do end 0 -> (error) ERR user_script:1: bad argument #1 to 'for iterator' (table expected, got nil) script: 1478527320b9f2d4cc09c243c05a74554e94f3bc, on @user_script:1.
        "#]],
    );
}

#[test]
fn redis_log_keeps_notice_and_warning_lines() {
    let mut store = Store::new(SimRng::new(1));
    let out = run(
        &mut store,
        &[
            &["EVAL", "redis.log(redis.LOG_WARNING, 'hello', 'world', 42) return 1", "0"],
            &["EVAL", "redis.log(redis.LOG_DEBUG, 'not kept') redis.log(redis.LOG_NOTICE, 'kept')", "0"],
        ],
    );
    let log: Vec<String> = store.scripts.log().iter().map(|e| format!("{} {}", e.level, e.message)).collect();
    expect![[r#"
        EVAL redis.log(redis.LOG_WARNING, 'hello', 'world', 42) return 1 0 -> (integer) 1
        EVAL redis.log(redis.LOG_DEBUG, 'not kept') redis.log(redis.LOG_NOTICE, 'kept') 0 -> (nil)
        3 hello world 42 | 2 kept"#]]
    .assert_eq(&format!("{out}{}", log.join(" | ")));
}

#[test]
fn runaway_scripts_stop_within_the_budget() {
    let big = format!("return {}", vec!["1"; 200_000].join("+"));
    let huge_script = format!("local s = [[{}]] return #s", "x".repeat(1 << 20));
    let mut store = Store::new(SimRng::new(1));
    let out = run(
        &mut store,
        &[
            &["EVAL", "while true do end", "0"],
            &["EVAL", "local i = 0 repeat i = i + 1 until false", "0"],
            &["EVAL", "local function f() return f() + 1 end return f()", "0"],
            // Nesting through C functions stops with Lua's error, within the page's stack.
            &["EVAL", "local n = 0 local function f() n = n + 1 pcall(f) return n end return f()", "0"],
            &["EVAL", "local n = 0 local function f() n = n + 1 return coroutine.wrap(f)() end pcall(f) return n", "0"],
            &["EVAL", "local n = 0 local function f(s) n = n + 1 return (s:gsub('.', f)) end local _, e = pcall(f, 'x') return {n, e}", "0"],
            &["EVAL", "local n = 0 local function f() n = n + 1 return load(function() f() end) end local _, e = pcall(f) return {n, e}", "0"],
            &["EVAL", "local s = 'x' while true do s = s .. s end", "0"],
            &["EVAL", "return string.rep('x', 1e9)", "0"],
            &["EVAL", "return string.gsub(string.rep('x', 1e6), '', string.rep('y', 1e3))", "0"],
            &["EVAL", "local t = {} for i = 1, 1e9 do t[i] = i end", "0"],
            &["EVAL", "local t = {} t[1] = t return t", "0"],
            &["EVAL", "local ok = pcall(function() while true do end end) return 'caught?'", "0"],
            &["EVAL", "return string.find(string.rep('a', 1e5), string.rep('a?', 1e5))", "0"],
            &["EVAL", "return ('a'):rep(1e5):match(('(a)-'):rep(600))", "0"],
            &["EVAL", "return string.find(string.rep('a', 1000), string.rep('a?', 1000) .. '$')", "0"],
            &["EVAL", &big[..2000], "0"],
            &["EVAL", &huge_script, "0"],
            &["EVAL", "return 'still alive'", "0"],
        ],
    );
    let short: String = out.lines().map(|l| format!("{}\n", l.chars().take(160).collect::<String>())).collect();
    expect![[r#"
        EVAL while true do end 0 -> (error) ERR playground limit: the script ran 5000000 Lua steps without finishing (a real Redis would keep running it and answer BUSY
        EVAL local i = 0 repeat i = i + 1 until false 0 -> (error) ERR playground limit: the script ran 5000000 Lua steps without finishing (a real Redis would keep run
        EVAL local function f() return f() + 1 end return f() 0 -> (error) ERR user_script:1: stack overflow script: 6ab18391d60e7e7bcbf4a881fd9b0c865dade0c6, on @user_
        EVAL local n = 0 local function f() n = n + 1 pcall(f) return n end return f() 0 -> (integer) 198
        EVAL local n = 0 local function f() n = n + 1 return coroutine.wrap(f)() end pcall(f) return n 0 -> (integer) 197
        EVAL local n = 0 local function f(s) n = n + 1 return (s:gsub('.', f)) end local _, e = pcall(f, 'x') return {n, e} 0 -> [(integer) 21, "user_script:1: C stack 
        EVAL local n = 0 local function f() n = n + 1 return load(function() f() end) end local _, e = pcall(f) return {n, e} 0 -> [(integer) 21, "C stack overflow"]
        EVAL local s = 'x' while true do s = s .. s end 0 -> (error) ERR playground limit: the script needed more than 33554432 bytes of Lua memory script: 764b49120c77
        EVAL return string.rep('x', 1e9) 0 -> (error) ERR playground limit: the script needed more than 33554432 bytes of Lua memory script: c2c9f2f1564e820f22a170442fa
        EVAL return string.gsub(string.rep('x', 1e6), '', string.rep('y', 1e3)) 0 -> (error) ERR playground limit: the script needed more than 33554432 bytes of Lua mem
        EVAL local t = {} for i = 1, 1e9 do t[i] = i end 0 -> (error) ERR playground limit: the script needed more than 33554432 bytes of Lua memory script: 2560371c289
        EVAL local t = {} t[1] = t return t 0 -> [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[
        EVAL local ok = pcall(function() while true do end end) return 'caught?' 0 -> (error) ERR playground limit: the script ran 5000000 Lua steps without finishing (
        EVAL return string.find(string.rep('a', 1e5), string.rep('a?', 1e5)) 0 -> (error) ERR user_script:1: playground limit: pattern too complex (more than 1000 repet
        EVAL return ('a'):rep(1e5):match(('(a)-'):rep(600)) 0 -> (error) ERR user_script:1: playground limit: pattern too complex (more than 1000 repetition items or ca
        EVAL return string.find(string.rep('a', 1000), string.rep('a?', 1000) .. '$') 0 -> (integer) 1
        EVAL return 1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+
        EVAL local s = [[xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
        EVAL return 'still alive' 0 -> "still alive"
    "#]].assert_eq(&short);
}

/// A store with the playground limits made small enough to reach from a script.
fn small_store() -> Store {
    use crate::redis::Limits;
    let limits = Limits {
        max_keys: 4,
        // Enough for the scripts' own text, which is an argument of EVAL.
        max_value_bytes: 200,
        max_collection_len: 3,
        max_dataset_bytes: 400,
        max_reply_elements: 4,
        max_reply_bytes: 20,
    };
    let mut store = Store::with_limits(SimRng::new(1), limits);
    store.scripts.set_limits(crate::redis::script::ScriptLimits { max_steps: 100_000, ..Default::default() });
    store
}

#[test]
fn a_script_stopped_by_a_playground_limit_changes_nothing() {
    let mut store = small_store();
    let out = run(
        &mut store,
        &[
            &["MSET", "a", "1", "b", "2"],
            &["SADD", "s", "x", "y"],
            // Every write is checked against the data as the script left it: the second SET would
            // make a fifth key, so the first is undone too.
            &["EVAL", "redis.call('set', 'c', '3') redis.call('set', 'd', '4') return 1", "0"],
            // pcall cannot catch a limit: nothing after it runs, the DEL is undone.
            &["EVAL", "redis.call('del', 'a') local ok = pcall(redis.call, 'rpush', 'l', 1, 2, 3, 4) redis.call('set', 'z', 1) return 'caught'", "0"],
            &["EVAL", "redis.call('del', 'a') local r = redis.pcall('append', 'b', string.rep('x', 200)) redis.call('set', 'z', 1) return r", "0"],
            // A read refused for its reply size stops the script as well.
            &["EVAL", "redis.call('set', 'b', 'changed') return redis.call('mget', 'a', 'a', 'a', 'a', 'a')", "0"],
            // So do the script's own reply, its step budget and its memory budget.
            &["EVAL", "redis.call('set', 'b', 'changed') return {1, 2, 3, 4, 5}", "0"],
            &["EVAL", "redis.call('set', 'b', 'changed') while true do end", "0"],
            &["EVAL", "redis.call('set', 'b', 'changed') local s = 'x' while true do s = s .. s end", "0"],
            &["MGET", "a", "b", "c", "z"],
            &["SMEMBERS", "s"],
            // Within the limits a script writes as usual, and an ordinary error changes only
            // what Redis would (the first SET stays, as in Redis).
            &["EVAL", "redis.call('set', 'c', '3') return redis.call('get', 'c')", "0"],
            &["EVAL", "redis.call('set', 'c', '4') return redis.call('incr', 's')", "0"],
            &["MGET", "a", "b", "c"],
        ],
    );
    let short: String = out.lines().map(|l| format!("{}\n", l.chars().take(300).collect::<String>())).collect();
    expect![[r#"
        MSET a 1 b 2 -> OK
        SADD s x y -> (integer) 2
        EVAL redis.call('set', 'c', '3') redis.call('set', 'd', '4') return 1 0 -> (error) OOM playground limit: this command would leave 5 keys, the most allowed is 4; nothing was changed (delete keys or FLUSHDB) script: da9a0863a60135c55117773c5869bc79c0b7fafb
        EVAL redis.call('del', 'a') local ok = pcall(redis.call, 'rpush', 'l', 1, 2, 3, 4) redis.call('set', 'z', 1) return 'caught' 0 -> (error) ERR playground limit: this command would make list "l" hold 4 elements, the most allowed is 3; nothing was changed script: a2369d172645d3a8e9af256f4fb01a03fa115a9
        EVAL redis.call('del', 'a') local r = redis.pcall('append', 'b', string.rep('x', 200)) redis.call('set', 'z', 1) return r 0 -> (error) ERR playground limit: this command would write a string of 201 bytes at key "b", the most allowed is 200; nothing was changed script: 2d2a3ac09546f452df8bc5f6b8e7c72
        EVAL redis.call('set', 'b', 'changed') return redis.call('mget', 'a', 'a', 'a', 'a', 'a') 0 -> (error) ERR playground limit: the reply would have 5 elements, the most allowed is 4; narrow the range or use SCAN script: d6e31feccdde2617e040b913d435a786ec27ac87
        EVAL redis.call('set', 'b', 'changed') return {1, 2, 3, 4, 5} 0 -> (error) ERR playground limit: the reply has 5 elements, the most allowed is 4; narrow the range or use SCAN
        EVAL redis.call('set', 'b', 'changed') while true do end 0 -> (error) ERR playground limit: the script ran 100000 Lua steps without finishing (a real Redis would keep running it and answer BUSY to every other client) script: 8584329f69f59a1363ba60c0eda63b2d0f625f60
        EVAL redis.call('set', 'b', 'changed') local s = 'x' while true do s = s .. s end 0 -> (error) ERR playground limit: the script needed more than 33554432 bytes of Lua memory script: c6ba5978dc6a0e8867451aeda8088abfdd9358f9
        MGET a b c z -> ["1", "2", (nil), (nil)]
        SMEMBERS s -> ["x", "y"]
        EVAL redis.call('set', 'c', '3') return redis.call('get', 'c') 0 -> "3"
        EVAL redis.call('set', 'c', '4') return redis.call('incr', 's') 0 -> (error) WRONGTYPE Operation against a key holding the wrong kind of value script: 7d7d4f81cc3fc917de1cc634ee0f09ea88e41e1f, on @user_script:1.
        MGET a b c -> ["1", "2", "4"]
    "#]].assert_eq(&short);
}

#[test]
fn an_undone_script_leaves_the_random_stream_as_it_was() {
    // SPOP draws from the store's stream; a script that is undone must not have advanced it, or
    // the run would no longer replay the same as one where the script was never sent.
    let mut with_script = small_store();
    let mut without = small_store();
    for store in [&mut with_script, &mut without] {
        run(store, &[&["SADD", "s", "a", "b", "c"]]);
    }
    let refused = run(
        &mut with_script,
        &[&["EVAL", "redis.call('spop', 's') redis.call('set', 'k', string.rep('x', 201))", "0"]],
    );
    assert!(refused.contains("playground limit"), "{refused}");
    let pops = |store: &mut Store| run(store, &[&["SPOP", "s"], &["SPOP", "s"], &["SPOP", "s"]]);
    assert_eq!(pops(&mut with_script), pops(&mut without));
}

#[test]
fn scripts_on_the_multi_client_server() {
    use crate::redis::server::run_clients;
    expect![[r#"
        A: SELECT 1 -> OK
        A: EVAL "redis.call('set', 'k', 'db1') redis.call('select', 0) redis.call('set', 'k', 'db0') return redis.call('get', 'k')" 0 -> "db0"
        A: GET k -> "db1"
        B: GET k -> "db0"
        C: BLPOP q 0 -> (blocked)
        B: EVAL "redis.call('rpush', 'q', 'a') local n = redis.call('llen', 'q') redis.call('rpush', 'q', 'b') return n" 0 -> (integer) 1
          C <- ["q", "a"]
        B: LRANGE q 0 -1 -> ["b"]
        B: EVAL "return redis.pcall('blpop', 'empty', 0)" 0 -> (error) ERR This Redis command is not allowed from script
        B: EVAL "return redis.call('blmpop', 0, 1, 'empty', 'LEFT')" 0 -> (nil)
        A: SELECT 0 -> OK
        A: WATCH w -> OK
        B: EVAL "return redis.call('set', 'w', 1)" 0 -> OK
        A: MULTI -> OK
        A: EVAL "return redis.call('incr', 'w')" 0 -> QUEUED
        A: EXEC -> (nil)
        A: MULTI -> OK
        A: EVAL "return redis.call('incr', 'w')" 0 -> QUEUED
        A: EVAL "return redis.call('incr', 'w')" 0 -> QUEUED
        A: EXEC -> [(integer) 2, (integer) 3]
        A: EVAL "return redis.pcall('multi')" 0 -> (error) ERR This Redis command is not allowed from script
        A: EVAL "return redis.pcall('subscribe', 'ch')" 0 -> (error) ERR This Redis command is not allowed from script
        C: SUBSCRIBE ch -> ["subscribe", "ch", (integer) 1]
        B: EVAL "return redis.call('publish', 'ch', 'hi')" 0 -> (integer) 1
          C <- ["message", "ch", "hi"]
    "#]].assert_eq(&run_clients(
        r#"# The script runs on the caller's database; its SELECT stays inside the script.
           A: SELECT 1
           A: EVAL "redis.call('set', 'k', 'db1') redis.call('select', 0) redis.call('set', 'k', 'db0') return redis.call('get', 'k')" 0
           A: GET k
           B: GET k
           # A blocked client is served after the script, never in the middle of it.
           C: BLPOP q 0
           B: EVAL "redis.call('rpush', 'q', 'a') local n = redis.call('llen', 'q') redis.call('rpush', 'q', 'b') return n" 0
           B: LRANGE q 0 -1
           # Blocking inside a script: BLPOP is refused (noscript), BLMPOP answers nil at once.
           B: EVAL "return redis.pcall('blpop', 'empty', 0)" 0
           B: EVAL "return redis.call('blmpop', 0, 1, 'empty', 'LEFT')" 0
           # A script's write makes a WATCHing client's EXEC fail; EVAL queues inside MULTI.
           A: SELECT 0
           A: WATCH w
           B: EVAL "return redis.call('set', 'w', 1)" 0
           A: MULTI
           A: EVAL "return redis.call('incr', 'w')" 0
           A: EXEC
           A: MULTI
           A: EVAL "return redis.call('incr', 'w')" 0
           A: EVAL "return redis.call('incr', 'w')" 0
           A: EXEC
           # MULTI, SUBSCRIBE and EVAL itself cannot run inside a script.
           A: EVAL "return redis.pcall('multi')" 0
           A: EVAL "return redis.pcall('subscribe', 'ch')" 0
           # PUBLISH from a script reaches subscribers.
           C: SUBSCRIBE ch
           B: EVAL "return redis.call('publish', 'ch', 'hi')" 0"#,
    ));
}

#[test]
fn one_interpreter_per_server_with_each_script_compiled_once() {
    let mut store = Store::new(SimRng::new(1));
    assert_eq!(store.scripts.compiled_scripts(), None, "no interpreter before the first script");
    run(&mut store, &[&["EVAL", "return 1", "0"], &["EVAL", "return 1", "0"], &["EVAL", "return 2", "0"]]);
    assert_eq!(store.scripts.compiled_scripts(), Some(2), "one function per SHA1, as Redis's f_<sha>");
    run(&mut store, &[&["SCRIPT", "LOAD", "return 3"], &["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"]]);
    assert_eq!(store.scripts.compiled_scripts(), Some(3), "SCRIPT LOAD compiles into the same interpreter");
    // A clone of the server (a rewind snapshot, a script's undo copy) shares it.
    let clone = store.clone();
    assert_eq!(clone.scripts.compiled_scripts(), Some(3));
    run(&mut store, &[&["SCRIPT", "FLUSH"]]);
    assert_eq!(store.scripts.compiled_scripts(), None, "SCRIPT FLUSH drops the interpreter (scriptingReset)");
    assert_eq!(clone.scripts.compiled_scripts(), Some(3), "a clone keeps its own hold");
    // A run a playground limit stopped may leave anything half done: the interpreter goes with it.
    run(&mut store, &[&["EVAL", "return 1", "0"]]);
    assert_eq!(store.scripts.compiled_scripts(), Some(1));
    store.scripts.set_limits(crate::redis::script::ScriptLimits { max_steps: 1_000, ..Default::default() });
    let out = run(&mut store, &[&["EVAL", "while true do end", "0"], &["EVAL", "return 'next'", "0"]]);
    assert!(out.contains("ran 1000 Lua steps") && out.ends_with("-> \"next\"\n"), "{out}");
    assert_eq!(store.scripts.compiled_scripts(), Some(1), "a new interpreter for the next script");
}

/// Everything a script might try in order to leave something for the next one is refused (as on
/// the referee, where the same lines are compared in tests/redis_scripting.rs), so a kept
/// interpreter is as clean as a fresh one.
#[test]
fn nothing_a_script_does_outlives_its_run() {
    check(
        &[
            &["EVAL", "getmetatable('').x = 1", "0"],
            &["EVAL", "return getmetatable('').x", "0"],
            &["EVAL", "rawset(getmetatable(''), 'x', 1)", "0"],
            &["EVAL", "table.insert(string, 'x')", "0"],
            &["EVAL", "return string[1]", "0"],
            &["EVAL", "table.insert(getmetatable(''), 'x')", "0"],
            &["EVAL", "x = 1", "0"],
            &["EVAL", "KEYS[2] = 'left over' return #KEYS", "1", "k"],
            &["EVAL", "return {#KEYS, KEYS[2]}", "1", "k"],
            &[
                "EVAL",
                "return {rawequal(getmetatable(''), getmetatable('x')), getmetatable('').__index == string}",
                "0",
            ],
        ],
        expect![[r#"
            EVAL getmetatable('').x = 1 0 -> (error) ERR user_script:1: Attempt to modify a readonly table script: 5939f0f56971426c0d4e566316c092f3a89a501c, on @user_script:1.
            EVAL return getmetatable('').x 0 -> (nil)
            EVAL rawset(getmetatable(''), 'x', 1) 0 -> (error) ERR Attempt to modify a readonly table script: 319dcfc8f3282f3d7a50c7a1813d4ddebe9b231b, on @user_script:1.
            EVAL table.insert(string, 'x') 0 -> (error) ERR Attempt to modify a readonly table script: 5ce8631495eacc57651d9c7ab7eb2d916208a492, on @user_script:1.
            EVAL return string[1] 0 -> (nil)
            EVAL table.insert(getmetatable(''), 'x') 0 -> (error) ERR Attempt to modify a readonly table script: 687f414b0334bbd4d74d1234886d203fdf252560, on @user_script:1.
            EVAL x = 1 0 -> (error) ERR user_script:1: Attempt to modify a readonly table script: 34bce5f775de97f557a34088509c8bfe1ea17e52, on @user_script:1.
            EVAL KEYS[2] = 'left over' return #KEYS 1 k -> (integer) 2
            EVAL return {#KEYS, KEYS[2]} 1 k -> [(integer) 1]
            EVAL return {rawequal(getmetatable(''), getmetatable('x')), getmetatable('').__index == string} 0 -> [(integer) 1, (integer) 1]
        "#]],
    );
}

/// The same generated-looking scripts answer the same on a kept interpreter as on a new one per
/// run (the fuzz test checks this on a million generated scripts).
#[test]
fn a_kept_interpreter_answers_as_fresh_ones() {
    let scripts: &[&[&str]] = &[
        &["EVAL", "return {math.random(100), math.random(), redis.sha1hex(ARGV[1])}", "0", "a"],
        &["EVAL", "redis.call('set', KEYS[1], ARGV[1]) return redis.call('get', KEYS[1])", "1", "k", "v"],
        &["EVAL", "return redis.call('nosuch')", "0"],
        &["EVAL", "return redis.pcall('incr', KEYS[1])", "1", "k"],
        &["EVAL", "local t = {} for i = 1, 100 do t[i] = string.rep('x', i) end return #table.concat(t)", "0"],
        &["EVAL", "error({err = 'MY custom'})", "0"],
        &["EVAL", "return string.format('%d %s', 3, 'x'):upper()", "0"],
        &["EVAL", "math.randomseed(7) return math.random(1000)", "0"],
        &["EVAL", "return math.random(1000)", "0"],
        &["EVAL", "return loadstring('return ...')(1, 2)", "0"],
        &["EVAL", "return redis.call('get', KEYS[1])", "1", "k"],
    ];
    let mut kept = Store::new(SimRng::new(1));
    let mut fresh = Store::new(SimRng::new(1));
    for round in 0..3 {
        for s in scripts {
            fresh.scripts.reset_interpreter();
            let a = kept.execute(TEST_EPOCH, &argv(s));
            let b = fresh.execute(TEST_EPOCH, &argv(s));
            assert_eq!(a, b, "round {round}: {s:?}");
        }
    }
    assert_eq!(kept.scripts.compiled_scripts(), Some(scripts.len()));
}

/// xreadCommand's `CLIENT_SCRIPT` check: BLOCK is refused from a script before anything else is
/// read, in the name the script wrote, with data or without (compared with redis-server in
/// tests/fixtures/redis/clients/scripting_blocking.redis).
#[test]
fn xread_with_block_is_refused_from_a_script() {
    check(
        &[
            &["EVAL", "return redis.call('xread', 'block', 'x', 'streams', 's', '$')", "0"],
            &["XADD", "s", "1-0", "a", "1"],
            &["EVAL", "return redis.pcall('XReadGroup', 'group', 'g', 'c', 'BLOCK', '0', 'streams', 's', '>')", "0"],
            &["EVAL", "return redis.call('xread', 'count', '1', 'streams', 's', '0')", "0"],
        ],
        expect![[r#"
            EVAL return redis.call('xread', 'block', 'x', 'streams', 's', '$') 0 -> (error) ERR xread command is not allowed with BLOCK option from scripts script: 1e737076a53fb4f627f3a4eb661999ca680f8560, on @user_script:1.
            XADD s 1-0 a 1 -> "1-0"
            EVAL return redis.pcall('XReadGroup', 'group', 'g', 'c', 'BLOCK', '0', 'streams', 's', '>') 0 -> (error) ERR XReadGroup command is not allowed with BLOCK option from scripts
            EVAL return redis.call('xread', 'count', '1', 'streams', 's', '0') 0 -> [["s", [["1-0", ["a", "1"]]]]]
        "#]],
    );
}

/// `scriptVerifyOOM` and `scriptPrepareForRun`: over `maxmemory` (noeviction), a script without
/// a shebang runs, but its first write of a deny-oom command is refused (catchable by pcall); a
/// write that is not deny-oom (DEL) first makes later writes go through, since Redis cannot stop
/// a script half way. A script with flags is refused before it runs unless it declares
/// `allow-oom` or `no-writes`. Inside EXEC, scripts see the state saved by the last command that
/// ran with `maxmemory` set (here the CONFIG SET before MULTI), as Redis's
/// `pre_command_oom_state` is. The case of a script that crosses the limit mid-run is
/// `a_script_that_crosses_maxmemory_mid_run_is_not_refused`.
#[test]
fn a_script_over_maxmemory_is_refused_only_its_first_write() {
    check(
        &[
            &["SET", "x", "123"],
            &["CONFIG", "SET", "maxmemory-policy", "noeviction"],
            &["CONFIG", "SET", "maxmemory", "1"],
            &["EVAL", "redis.call('set','x',1) return 1", "1", "x"],
            &["EVAL", "return redis.pcall('set','x',1)", "1", "x"],
            &["EVAL", "local t = redis.pcall('set','x',1) return t['err']", "1", "x"],
            &["EVAL", "return redis.call('get','x')", "1", "x"],
            &["EVAL_RO", "return redis.call('get','x')", "1", "x"],
            &["EVAL", "redis.pcall('set','x',1) return redis.call('set','x',2)", "1", "x"],
            &["EVAL", "redis.call('del','gone') return redis.call('set','x',3)", "1", "x"],
            &["EVAL", "#!lua\nreturn 1", "0"],
            &["EVAL_RO", "#!lua\nreturn 1", "0"],
            &["EVAL", "#!lua flags=no-writes\nreturn redis.call('get','x')", "0"],
            &["EVAL", "#!lua flags=no-writes\nreturn redis.call('set','x',1)", "0"],
            &["EVAL", "#!lua flags=allow-oom\nreturn redis.call('set','x',4)", "1", "x"],
            &["SCRIPT", "LOAD", "#!lua\nreturn 2"],
            &["EVALSHA", "327e60b78547ebb77ec450ead371d5bd10cbdd69", "0"],
            &["CONFIG", "SET", "maxmemory", "0"],
            &["MULTI"],
            &["CONFIG", "SET", "maxmemory", "1"],
            &["EVAL", "return redis.call('set','x',5)", "1", "x"],
            &["EXEC"],
            &["GET", "x"],
            // A script with flags run under the limit after a refused write: the state was
            // taken again when the limit was raised.
            &["CONFIG", "SET", "maxmemory", "1"],
            &["SET", "x", "8"],
            &["CONFIG", "SET", "maxmemory", "100mb"],
            &["EVAL", "#!lua\nreturn redis.call('set','x',9)", "1", "x"],
            &["CONFIG", "SET", "maxmemory", "0"],
        ],
        expect![[r#"
            SET x 123 -> OK
            CONFIG SET maxmemory-policy noeviction -> OK
            CONFIG SET maxmemory 1 -> OK
            EVAL redis.call('set','x',1) return 1 1 x -> (error) OOM command not allowed when used memory > 'maxmemory'. script: e50389d7724274719d9b4e35a25d4cc4ca908c7a, on @user_script:1.
            EVAL return redis.pcall('set','x',1) 1 x -> (error) OOM command not allowed when used memory > 'maxmemory'.
            EVAL local t = redis.pcall('set','x',1) return t['err'] 1 x -> "OOM command not allowed when used memory > 'maxmemory'."
            EVAL return redis.call('get','x') 1 x -> "123"
            EVAL_RO return redis.call('get','x') 1 x -> "123"
            EVAL redis.pcall('set','x',1) return redis.call('set','x',2) 1 x -> (error) OOM command not allowed when used memory > 'maxmemory'. script: c1a83450aee9a090c060f56dc2c9e8317b1a5d4b, on @user_script:1.
            EVAL redis.call('del','gone') return redis.call('set','x',3) 1 x -> OK
            EVAL #!lua\nreturn 1 0 -> (error) OOM command not allowed when used memory > 'maxmemory'.
            EVAL_RO #!lua\nreturn 1 0 -> (error) OOM command not allowed when used memory > 'maxmemory'.
            EVAL #!lua flags=no-writes\nreturn redis.call('get','x') 0 -> "3"
            EVAL #!lua flags=no-writes\nreturn redis.call('set','x',1) 0 -> (error) ERR Write commands are not allowed from read-only scripts. script: 0da8acfc3df79811000ffcaca482af70e298d476, on @user_script:2.
            EVAL #!lua flags=allow-oom\nreturn redis.call('set','x',4) 1 x -> OK
            SCRIPT LOAD #!lua\nreturn 2 -> "327e60b78547ebb77ec450ead371d5bd10cbdd69"
            EVALSHA 327e60b78547ebb77ec450ead371d5bd10cbdd69 0 -> (error) OOM command not allowed when used memory > 'maxmemory'.
            CONFIG SET maxmemory 0 -> OK
            MULTI -> OK
            CONFIG SET maxmemory 1 -> QUEUED
            EVAL return redis.call('set','x',5) 1 x -> QUEUED
            EXEC -> [OK, (error) OOM command not allowed when used memory > 'maxmemory'. script: 269d095e37e9dad2cac3c6faff1686f69c7d2b84, on @user_script:1.]
            GET x -> "4"
            CONFIG SET maxmemory 1 -> OK
            SET x 8 -> (error) OOM command not allowed when used memory > 'maxmemory'.
            CONFIG SET maxmemory 100mb -> OK
            EVAL #!lua\nreturn redis.call('set','x',9) 1 x -> OK
            CONFIG SET maxmemory 0 -> OK
        "#]],
    );
}

/// `pre_command_oom_state` is taken once, before the script: a script that starts under
/// `maxmemory` may write past it, and only the next command is refused.
#[test]
fn a_script_that_crosses_maxmemory_mid_run_is_not_refused() {
    let mut store = Store::new(SimRng::new(1));
    let used = store.used_memory();
    let limit = (used + 1000).to_string();
    let out = run(
        &mut store,
        &[
            &["CONFIG", "SET", "maxmemory-policy", "noeviction"],
            &["CONFIG", "SET", "maxmemory", &limit],
            &[
                "EVAL",
                "redis.call('set','a',string.rep('x',2000)) return redis.call('set','b',string.rep('y',2000))",
                "0",
            ],
            &["SET", "c", "1"],
            &["STRLEN", "b"],
        ],
    );
    expect![[r#"
        CONFIG SET maxmemory-policy noeviction -> OK
        CONFIG SET maxmemory LIMIT -> OK
        EVAL redis.call('set','a',string.rep('x',2000)) return redis.call('set','b',string.rep('y',2000)) 0 -> OK
        SET c 1 -> (error) OOM command not allowed when used memory > 'maxmemory'.
        STRLEN b -> (integer) 2000
    "#]]
    .assert_eq(&out.replace(&limit, "LIMIT"));
}

/// A wasm bundle built without the interpreter (`bundle_entry!` without `with_lua`: the messaging
/// page's) answers every command that needs it with one clear error, and changes nothing; the
/// scripting commands that need no interpreter answer as usual.
#[test]
fn a_server_without_the_interpreter_refuses_scripts_with_a_clear_error_and_changes_nothing() {
    let mut store = Store::new(SimRng::new(1));
    store.scripts.set_interpreter(None);
    assert!(!store.scripts.has_interpreter());
    let out = run(
        &mut store,
        &[
            &["SET", "k", "v"],
            &["EVAL", "return redis.call('SET', KEYS[1], 'changed')", "1", "k"],
            &["EVAL_RO", "return 1", "0"],
            &["SCRIPT", "LOAD", "return 1"],
            &["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
            &["SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"],
            &["SCRIPT", "FLUSH"],
            &["EVAL", "return 1"],
            &["EVAL", "return 1", "2", "k"],
            &["GET", "k"],
        ],
    );
    expect![[r#"
        SET k v -> OK
        EVAL return redis.call('SET', KEYS[1], 'changed') 1 k -> (error) ERR playground limit: this page's build has no Lua interpreter, so EVAL, EVALSHA and SCRIPT LOAD are not available here (they run on the Redis and Cluster pages)
        EVAL_RO return 1 0 -> (error) ERR playground limit: this page's build has no Lua interpreter, so EVAL, EVALSHA and SCRIPT LOAD are not available here (they run on the Redis and Cluster pages)
        SCRIPT LOAD return 1 -> (error) ERR playground limit: this page's build has no Lua interpreter, so EVAL, EVALSHA and SCRIPT LOAD are not available here (they run on the Redis and Cluster pages)
        EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0 -> (error) NOSCRIPT No matching script. Please use EVAL.
        SCRIPT EXISTS e0e1f9fabfc9d4800c877a703b823ac0578ff8db -> [(integer) 0]
        SCRIPT FLUSH -> OK
        EVAL return 1 -> (error) ERR wrong number of arguments for 'eval' command
        EVAL return 1 2 k -> (error) ERR Number of keys can't be greater than number of args
        GET k -> "v"
    "#]]
    .assert_eq(&out);
    assert_eq!(store.scripts.compiled_scripts(), None);
    assert!(store.scripts.cache().is_empty(), "nothing was cached");
    // A clone (a rewind snapshot) is a server of the same build.
    assert!(!store.clone().scripts.has_interpreter());
}

/// Natively every server has the interpreter, installed or not (the `sim` CLI, `redis-model`, the
/// tests), and installing it again changes nothing.
#[test]
fn native_servers_have_the_interpreter_and_installing_it_is_idempotent() {
    assert!(Store::new(SimRng::new(1)).scripts.has_interpreter());
    crate::redis::script::install_lua();
    crate::redis::script::install_lua();
    let mut store = Store::new(SimRng::new(1));
    assert!(store.scripts.has_interpreter());
    assert_eq!(run(&mut store, &[&["EVAL", "return 1 + 1", "0"]]), "EVAL return 1 + 1 0 -> (integer) 2\n");
}
