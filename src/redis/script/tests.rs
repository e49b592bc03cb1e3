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
