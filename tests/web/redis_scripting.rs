//! Lua scripting in the browser: the step budget stops a runaway script with a Redis-style error
//! (the time it took is printed, never asserted), and the deepest scripts the bridge allows run at
//! wasm's default 1 MB stack in this debug build (which needs more stack than the release build),
//! which is why `.cargo/config.toml` carries no stack-size flag. The replies must be exactly what
//! the native test `runaway_scripts_stop_within_the_budget` pins.
#![cfg(target_arch = "wasm32")]

use playground::redis::cli::format_inline;
use playground::redis::Store;
use playground::sim::{SimRng, TEST_EPOCH};
use wasm_bindgen_test::*;

fn eval(store: &mut Store, script: &str) -> String {
    let argv: Vec<Vec<u8>> = vec![b"EVAL".to_vec(), script.as_bytes().to_vec(), b"0".to_vec()];
    format_inline(&store.execute(TEST_EPOCH, &argv))
}

#[wasm_bindgen_test]
fn a_runaway_script_is_stopped_by_the_step_budget() {
    crate::support::with_lua();
    let mut store = Store::new(SimRng::new(1));
    for script in ["while true do end", "local ok = pcall(function() while true do end end) return ok"] {
        let started = js_sys::Date::now();
        let reply = eval(&mut store, &format!("redis.call('set', 'k', 'v') {script}"));
        console_log!(
            "`{script}` stopped after {:.0} ms (5,000,000 Lua steps, debug build)",
            js_sys::Date::now() - started
        );
        assert!(
            reply.starts_with("(error) ERR playground limit: the script ran 5000000 Lua steps without finishing"),
            "{reply}"
        );
    }
    // The stopped scripts' writes were undone, and the store answers again.
    assert_eq!(eval(&mut store, "return redis.call('exists', 'k')"), "(integer) 0");
}

#[wasm_bindgen_test]
fn the_deepest_scripts_fit_the_default_stack() {
    crate::support::with_lua();
    let mut store = Store::new(SimRng::new(1));
    let cases = [
        // 200 of Lua's C levels through pcall and through coroutines.
        ("local n = 0 local function f() n = n + 1 pcall(f) return n end return f()", "(integer) 198"),
        ("local n = 0 local function f() n = n + 1 return coroutine.wrap(f)() end pcall(f) return n", "(integer) 197"),
        // Wrapped library functions nesting through their callbacks stop at MAX_KEEPER_NESTING.
        (
            "local n = 0 local function f(s) n = n + 1 return (s:gsub('.', f)) end local _, e = pcall(f, 'x') return {n, e}",
            "[(integer) 21, \"user_script:1: C stack overflow\"]",
        ),
        (
            "local n = 0 local function f() n = n + 1 return load(function() f() end) end local _, e = pcall(f) return {n, e}",
            "[(integer) 21, \"C stack overflow\"]",
        ),
        // A pattern at the repetition-item bound, and a reply nested MAX_REPLY_DEPTH tables deep.
        ("return string.find(string.rep('a', 1000), string.rep('a?', 1000) .. '$')", "(integer) 1"),
        ("local function f() return f() + 1 end return f()", "(error) ERR user_script:1: stack overflow"),
    ];
    for (script, want) in cases {
        let reply = eval(&mut store, script);
        assert!(reply.starts_with(want), "{script}\n  -> {reply}\n  want {want}…");
    }
    let deep = eval(&mut store, "local t = {} t[1] = t return t");
    assert_eq!(
        deep.matches('[').count(),
        playground::redis::script::MAX_REPLY_DEPTH,
        "a reply nests 1,000 tables deep"
    );
}
