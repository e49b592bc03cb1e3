//! The locks page's bundle runs the lock scripts on `LockScripts` (their native steps) instead of the
//! Lua VM, which it leaves out (ARCHITECTURE.md, "Bundle"). These tests hold the two to the same
//! replies, errors, keys and script cache, command by command, and to the same trace digest over
//! whole lock runs of every preset with the atomic variants.

use playground::lock::store::{boot_lock_scripts, Script, ONLY_LOCK_SCRIPTS};
use playground::lock::{preset, run, ReleaseVariant, RenewVariant};
use playground::redis::cli::format_inline;
use playground::redis::script::install_interpreter;
use playground::redis::Store;
use playground::sim::{SimRng, TEST_EPOCH};

fn argv(parts: &[&str]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.as_bytes().to_vec()).collect()
}

/// Runs `commands` on a fresh server with the Lua VM and on one with the lock-scripts
/// interpreter; every reply, the keys after each command and the script cache must agree.
fn same_on_both(commands: &[Vec<Vec<u8>>]) -> String {
    let mut lua = Store::new(SimRng::new(3));
    let mut native = Store::new(SimRng::new(3));
    native.scripts_mut().set_interpreter(Some(boot_lock_scripts));
    let mut out = String::new();
    for (i, c) in commands.iter().enumerate() {
        let now = playground::sim::SimTime(TEST_EPOCH.0 + i as u64);
        let (a, b) = (lua.execute(now, c), native.execute(now, c));
        assert_eq!(format_inline(&a), format_inline(&b), "command {i}");
        let keys = |s: &mut Store| format_inline(&s.execute(now, &argv(&["KEYS", "*"])));
        assert_eq!(keys(&mut lua), keys(&mut native), "keys after command {i}");
        assert_eq!(lua.scripts().cache(), native.scripts().cache(), "script cache after command {i}");
        out.push_str(&format_inline(&b));
        out.push('\n');
    }
    let end = playground::sim::SimTime(TEST_EPOCH.0 + commands.len() as u64);
    assert_eq!(lua.export_json(end), native.export_json(end), "the servers' data");
    out
}

fn eval(script: Script, keys: &[&str], args: &[&str]) -> Vec<Vec<u8>> {
    let mut v = argv(&["EVAL", script.lua(), &keys.len().to_string()]);
    v.extend(argv(keys));
    v.extend(argv(args));
    v
}

#[test]
fn the_lock_scripts_answer_as_on_the_lua_vm_including_their_errors() {
    use Script::*;
    let out = same_on_both(&[
        eval(AcquireWithToken, &["lock", "lock:token"], &["w1", "10000"]),
        eval(AcquireWithToken, &["lock", "lock:token"], &["w2", "10000"]),
        eval(CompareAndExtend, &["lock"], &["w2", "20000"]),
        eval(CompareAndExtend, &["lock"], &["w1", "20000"]),
        argv(&["PTTL", "lock"]),
        eval(CompareAndDelete, &["lock"], &["w2"]),
        eval(CompareAndDelete, &["lock"], &["w1"]),
        eval(CompareAndDelete, &["lock"], &["w1"]),
        eval(AcquireWithToken, &["lock", "lock:token"], &["w2", "10000"]),
        // Errors: a key of the wrong type, a bad TTL, a token that is not a number, missing KEYS and
        // ARGV, a read-only run of a script that writes.
        argv(&["RPUSH", "list", "x"]),
        eval(CompareAndExtend, &["list"], &["w1", "10"]),
        eval(AcquireWithToken, &["fresh", "lock:token"], &["w1", "-5"]),
        argv(&["SET", "bad:token", "abc"]),
        eval(AcquireWithToken, &["fresh", "bad:token"], &["w1", "10000"]),
        eval(CompareAndExtend, &[], &["w1", "10"]),
        eval(AcquireWithToken, &["other"], &["w1", "10000"]),
        eval(CompareAndExtend, &["lock"], &["w2"]),
        {
            let mut v = eval(CompareAndDelete, &["lock"], &["w2"]);
            v[0] = b"EVAL_RO".to_vec();
            v
        },
        argv(&["SCRIPT", "EXISTS", &playground::redis::script::sha1_hex(CompareAndDelete.lua().as_bytes())]),
        argv(&["EVALSHA", &playground::redis::script::sha1_hex(CompareAndDelete.lua().as_bytes()), "1", "lock", "w2"]),
    ]);
    expect_test::expect![[r#"
        (integer) 1
        (nil)
        (integer) 0
        (integer) 1
        (integer) 19999
        (integer) 0
        (integer) 1
        (integer) 0
        (integer) 2
        (integer) 1
        (error) WRONGTYPE Operation against a key holding the wrong kind of value script: dd40885e105db8188de0c80c96c10610b86cdb33, on @user_script:1.
        (error) ERR invalid expire time in 'set' command script: 2127d5b6f4cd9d847fc506fbe7a6e5a3356f185e, on @user_script:1.
        OK
        (error) ERR value is not an integer or out of range script: 2127d5b6f4cd9d847fc506fbe7a6e5a3356f185e, on @user_script:2.
        (error) ERR Lua redis lib command arguments must be strings or integers script: dd40885e105db8188de0c80c96c10610b86cdb33, on @user_script:1.
        (error) ERR Lua redis lib command arguments must be strings or integers script: 2127d5b6f4cd9d847fc506fbe7a6e5a3356f185e, on @user_script:2.
        (error) ERR Lua redis lib command arguments must be strings or integers script: dd40885e105db8188de0c80c96c10610b86cdb33, on @user_script:2.
        (error) ERR Write commands are not allowed from read-only scripts. script: 647c65a442733a1aa440f99908d249d13b4d6c4a, on @user_script:2.
        [(integer) 1]
        (integer) 1
    "#]]
    .assert_eq(&out);
}

#[test]
fn any_other_script_gets_a_clear_error_and_changes_nothing() {
    let mut store = Store::new(SimRng::new(3));
    store.scripts_mut().set_interpreter(Some(boot_lock_scripts));
    let reply = store.execute(TEST_EPOCH, &argv(&["EVAL", "return redis.call('SET', 'k', 'v')", "0"]));
    assert_eq!(
        format_inline(&reply),
        format!("(error) ERR Error compiling script (new function): {ONLY_LOCK_SCRIPTS}")
    );
    let reply = store.execute(TEST_EPOCH, &argv(&["SCRIPT", "LOAD", "return 1"]));
    assert!(format_inline(&reply).contains(ONLY_LOCK_SCRIPTS), "{}", format_inline(&reply));
    assert_eq!(format_inline(&store.execute(TEST_EPOCH, &argv(&["DBSIZE"]))), "(integer) 0");
    assert!(store.scripts().cache().is_empty());
}

/// Every preset with the atomic renew and release variants (and fencing where one Redis allows it),
/// run with the Lua VM on this thread and with the lock-scripts interpreter installed on another,
/// as the locks page's bundle installs it: the same trace digest.
#[test]
fn whole_lock_runs_digest_the_same_with_the_lock_scripts_interpreter() {
    let scenarios: Vec<_> = playground::lock::PRESET_IDS
        .iter()
        .map(|id| {
            let mut s = preset(id).unwrap();
            s.variants.renew = RenewVariant::CompareAndExtend;
            s.variants.release = ReleaseVariant::CompareAndDelete;
            s.variants.fencing = s.redis_instances == 1;
            s.duration_ms = s.duration_ms.min(120_000);
            s
        })
        .collect();
    let digests = |scenarios: &[playground::lock::Scenario]| -> Vec<String> {
        scenarios.iter().map(|s| run(s, TEST_EPOCH, false).unwrap().trace().running_digest().unwrap()).collect()
    };
    let with_lua = digests(&scenarios);
    let cloned = scenarios.clone();
    let with_lock_scripts = std::thread::spawn(move || {
        install_interpreter(boot_lock_scripts);
        digests(&cloned)
    })
    .join()
    .unwrap();
    assert_eq!(with_lua, with_lock_scripts);
}
