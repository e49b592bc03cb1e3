#![cfg(not(target_arch = "wasm32"))]
//! The remote interpreter (`redis::script::remote`, what the Redis and Cluster pages use: the Lua VM
//! in a module of its own, loaded on the first script) against the in-process Lua VM: every command
//! of the scripting cases and a seeded sample of generated ones runs on two fresh stores, one
//! with each, through the [`Loopback`] link (every request and host callback serialised and
//! decoded). Replies, errors, the script log, the rand48 stream and the keys must be identical.

#[path = "support/script_cases.rs"]
mod script_cases;
#[path = "support/script_gen.rs"]
mod script_gen;

use std::rc::Rc;

use playground::redis::cli::format_inline;
use playground::redis::script::remote::{boot_remote, install_remote_lua, Loopback, LuaLink};
use playground::redis::script::{sha1_hex, ScriptLimits};
use playground::redis::Store;
use playground::sim::{SimRng, TEST_EPOCH};

fn argv(parts: &[&str]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.as_bytes().to_vec()).collect()
}

/// Two stores side by side: `direct` with the in-process Lua VM, `remote` with remote VMs over a
/// loopback link.
struct Pair {
    direct: Store,
    remote: Store,
    link: Rc<Loopback>,
    commands: usize,
    mismatches: Vec<String>,
}

impl Pair {
    fn new() -> Pair {
        // Built before the link is installed: natively a store gets the in-process VM.
        let direct = Store::new(SimRng::new(1));
        let link = Rc::new(Loopback::default());
        install_remote_lua(link.clone());
        let mut remote = Store::new(SimRng::new(1));
        remote.scripts_mut().set_interpreter(Some(boot_remote));
        Pair { direct, remote, link, commands: 0, mismatches: Vec::new() }
    }

    fn check(&mut self, argv: &[Vec<u8>]) {
        self.commands += 1;
        let direct = self.direct.execute(TEST_EPOCH, argv);
        let remote = self.remote.execute(TEST_EPOCH, argv);
        if direct != remote {
            let shown: Vec<String> = argv.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect();
            self.mismatches.push(format!(
                "{}\n    direct: {}\n    remote: {}",
                shown.join(" ").replace('\n', "\\n"),
                format_inline(&direct),
                format_inline(&remote)
            ));
        }
    }

    /// Same scripting state (cache, rand48 stream, log, limits) and the same data.
    fn finish(self, name: &str) {
        println!("{name}: {} commands, {} mismatches", self.commands, self.mismatches.len());
        assert!(self.mismatches.is_empty(), "remote and direct interpreters differ:\n{}", self.mismatches.join("\n"));
        assert_eq!(self.direct.scripts(), self.remote.scripts(), "{name}: script cache, rand48 stream and log");
        assert_eq!(format!("{:?}", self.direct), format!("{:?}", self.remote), "{name}: the whole store");
    }
}

#[test]
fn remote_interpreter_answers_the_scripting_cases_as_the_direct_vm() {
    let mut pair = Pair::new();
    for case in script_cases::CASES {
        pair.check(&argv(case));
    }
    assert!(pair.link.requests() > 100, "the cases ran on remote VMs: {} requests", pair.link.requests());
    pair.finish("scripting cases");
}

/// Logs, math.random and randomseed, budgets (the run is stopped and the VM dropped), writes
/// before an error, EVALSHA after SCRIPT FLUSH, a queued EVAL in MULTI/EXEC, and the memory
/// limit's questions (`out_of_memory`) crossing the link.
#[test]
fn remote_interpreter_keeps_log_rand_budgets_and_oom_as_the_direct_vm() {
    let mut pair = Pair::new();
    let limits = ScriptLimits { max_steps: 50_000, max_memory_bytes: 1 << 20, max_reply_elements: 100 };
    pair.direct.scripts_mut().set_limits(limits.clone());
    pair.remote.scripts_mut().set_limits(limits);
    let cases: &[&[&str]] = &[
        &["EVAL", "redis.log(redis.LOG_WARNING, 'hello ' .. KEYS[1]) return 1", "1", "k"],
        &["EVAL", "return {math.random(100), math.random(100), math.random(1000)}", "0"],
        &["EVAL", "math.randomseed(7) return math.random(1000000)", "0"],
        &["EVAL", "return math.random(1000000)", "0"],
        &["EVAL", "while true do end", "0"],
        &["EVAL", "local t = {} for i = 1, 1e6 do t[i] = ('x'):rep(100) end return #t", "0"],
        &["EVAL", "return {1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95,96,97,98,99,100,101}", "0"],
        &["EVAL", "redis.call('SET', KEYS[1], 'written') error('after a write')", "1", "w"],
        &["GET", "w"],
        &["EVAL", "return redis.pcall('INCR', KEYS[1])", "1", "w"],
        &["EVAL", "return redis.call('NOSUCH')", "0"],
        &["EVAL", "return +", "0"],
        &["SCRIPT", "LOAD", "return redis.call('INCR', KEYS[1])"],
        &["EVALSHA", "SHA", "1", "n"],
        &["EVALSHA", "SHA", "1", "n"],
        &["SCRIPT", "FLUSH"],
        &["EVALSHA", "SHA", "1", "n"],
        &["MULTI"],
        &["EVAL", "return redis.call('INCR', KEYS[1])", "1", "n"],
        &["EVAL", "redis.log(redis.LOG_NOTICE, 'in exec') return redis.call('GET', KEYS[1])", "1", "n"],
        &["EXEC"],
        &["CONFIG", "SET", "maxmemory", "1"],
        &["EVAL", "return redis.call('SET', 'oom', 'y')", "0"],
        &["EVAL", "#!lua\nreturn redis.call('SET', 'oom', 'y')", "0"],
        &["EVAL", "#!lua flags=allow-oom\nreturn redis.call('SET', 'oom', 'y')", "0"],
        &["EVAL", "#!lua flags=no-writes\nreturn redis.call('GET', 'oom')", "0"],
        &["CONFIG", "SET", "maxmemory", "0"],
        &["EVAL_RO", "return redis.call('SET', 'ro', 'x')", "0"],
    ];
    let sha = sha1_hex(b"return redis.call('INCR', KEYS[1])");
    for case in cases {
        let parts: Vec<&str> = case.iter().map(|p| if *p == "SHA" { sha.as_str() } else { p }).collect();
        pair.check(&argv(&parts));
    }
    assert!(pair.remote.scripts().log().len() >= 2, "redis.log lines came back across the link");
    pair.finish("log, rand, budgets, oom");
}

/// A seeded sample of the fuzz test's generated inputs (shebangs through SCRIPT LOAD and EVAL_RO,
/// EVAL-family and SCRIPT argument lists, some mutated byte by byte).
#[test]
fn remote_interpreter_answers_generated_scripts_as_the_direct_vm() {
    let mut pair = Pair::new();
    let shas: Vec<String> = script_gen::BODIES.iter().map(|b| sha1_hex(b.as_bytes())).collect();
    let mut rng = SimRng::new(0x10_0b4c);
    for i in 0..600 {
        if i % 100 == 0 {
            for body in script_gen::BODIES {
                pair.check(&[b"SCRIPT".to_vec(), b"LOAD".to_vec(), body.as_bytes().to_vec()]);
            }
        }
        let mut argv = match i % 3 {
            0 => {
                let (body, _) = script_gen::shebang_body(&mut rng);
                vec![b"EVAL_RO".to_vec(), body, b"0".to_vec()]
            }
            1 => script_gen::eval_argv(&mut rng, &shas),
            _ => script_gen::script_argv(&mut rng, &shas),
        };
        if rng.index(4) == 0 {
            script_gen::mutate(&mut rng, &mut argv);
        }
        pair.check(&argv);
    }
    pair.finish("generated scripts");
}

/// Each store's interpreter is one remote VM, dropped with the last store holding it.
#[test]
fn a_remote_vm_lives_as_long_as_its_interpreter() {
    let link = Rc::new(Loopback::default());
    install_remote_lua(link.clone());
    let mut a = Store::new(SimRng::new(1));
    let mut b = Store::new(SimRng::new(2));
    let eval = argv(&["EVAL", "return 1", "0"]);
    a.execute(TEST_EPOCH, &eval);
    b.execute(TEST_EPOCH, &eval);
    assert_eq!(link.vms(), 2);
    let snapshot = a.clone();
    drop(a);
    assert_eq!(link.vms(), 2, "a clone shares its interpreter");
    drop(snapshot);
    assert_eq!(link.vms(), 1);
    b.execute(TEST_EPOCH, &argv(&["SCRIPT", "FLUSH"]));
    assert_eq!(link.vms(), 0, "SCRIPT FLUSH drops the VM");
}

/// A link to a module that is not there (not loaded yet, or it failed to load).
struct Unreachable;

impl LuaLink for Unreachable {
    fn exchange(&self, _: &[u8], _: &mut playground::redis::script::remote::HostFn<'_>) -> Result<Vec<u8>, String> {
        Err("the Lua interpreter is not loaded".into())
    }
}

/// A link whose answers are not the protocol's.
struct Garbled;

impl LuaLink for Garbled {
    fn exchange(&self, _: &[u8], _: &mut playground::redis::script::remote::HostFn<'_>) -> Result<Vec<u8>, String> {
        Ok(b"\"Booted\"trailing".to_vec())
    }
}

#[test]
fn an_unreachable_or_garbled_link_answers_a_clear_error_and_changes_nothing() {
    for link in [Rc::new(Unreachable) as Rc<dyn LuaLink>, Rc::new(Garbled)] {
        install_remote_lua(link);
        let mut store = Store::new(SimRng::new(1));
        let reply = store.execute(TEST_EPOCH, &argv(&["EVAL", "return redis.call('SET', 'k', 'v')", "0"]));
        let text = format_inline(&reply);
        assert!(text.contains("ERR Error compiling script") && text.contains("did not start"), "{text}");
        let load = format_inline(&store.execute(TEST_EPOCH, &argv(&["SCRIPT", "LOAD", "return 1"])));
        assert!(load.contains("ERR Error compiling script"), "{load}");
        assert_eq!(format_inline(&store.execute(TEST_EPOCH, &argv(&["DBSIZE"]))), "(integer) 0");
        assert_eq!(
            format_inline(&store.execute(TEST_EPOCH, &argv(&["SCRIPT", "EXISTS", &sha1_hex(b"return 1")]))),
            "[(integer) 0]"
        );
    }
}
