#![cfg(not(target_arch = "wasm32"))]
//! The lock machine against a real Redis (`sim lock-live`), and the atomic operations' Lua text
//! run on the real server against the model's native steps.
//!
//! Starts its own `redis-server` on a free loopback port (no persistence) with `LocalServer`, which
//! stops it when dropped (even when an assertion fails). Timings are shortened (TTL 2 s, renew and
//! retry 1 s) so each run takes seconds; the safety properties are the reference's.

use playground::cli::lock_live::{run_live, LiveConfig, LocalServer};
use playground::lock::machine::MachineConfig;
use playground::lock::store::{Instance, Script, ScriptCall};
use playground::redis::Reply;
use playground::sim::{SimDuration, SimRng, TEST_EPOCH};
use std::time::Duration;

fn start_server() -> LocalServer {
    LocalServer::start("redis-server").unwrap_or_else(|e| panic!("{e} (the README test command installs redis-server)"))
}

fn fast(server: &LocalServer, workers: usize, seconds: u64) -> LiveConfig {
    LiveConfig {
        servers: vec![server.address()],
        workers,
        duration: Duration::from_secs(seconds),
        machine: MachineConfig {
            ttl: SimDuration(2_000),
            renew_interval: SimDuration(1_000),
            retry_interval: SimDuration(1_000),
            ..MachineConfig::default()
        },
        job: Duration::from_millis(600),
        stop_work: Duration::from_millis(200),
        stop_holder_at: None,
        pause_holder: None,
        client_pause: None,
        restart_server_at: None,
        server_bin: "redis-server".into(),
        seed: 1,
    }
}

#[test]
fn live_graceful_handover_and_a_pause_longer_than_the_ttl() {
    let server = start_server();
    // A graceful STOP of the holder: it stops work, releases with GET-then-DEL-if-mine, and another
    // worker takes over. No overlap.
    let handover = run_live(&LiveConfig { stop_holder_at: Some(Duration::from_secs(3)), ..fast(&server, 3, 8) }, true)
        .expect("a live run");
    let s = &handover.summary;
    assert!(s.handovers >= 1, "{s:?}\n{:#?}", handover.log);
    assert_eq!(s.violations, 0, "{s:?}\n{:#?}", handover.log);
    assert!(s.writes_accepted >= 3, "{s:?}");
    let log = handover.log.unwrap();
    assert!(log.iter().any(|l| l.contains("Releasing lock { workerId: '")), "{log:#?}");
    // The holder freezes (a GC pause) for longer than the TTL: the lease runs out, another worker
    // takes the lock, and the paused one wakes up still believing it holds it.
    let pause = run_live(
        &LiveConfig { pause_holder: Some((Duration::from_secs(2), Duration::from_secs(4))), ..fast(&server, 3, 9) },
        false,
    )
    .expect("a live run");
    let s = &pause.summary;
    assert!(s.violations >= 1, "without fencing the pause overlaps the next holder's lease: {s:?}");
    assert!(s.handovers >= 1, "{s:?}");
}

#[test]
fn the_scripts_lua_text_on_redis_server_does_what_the_model_does() {
    let server = start_server();
    let client = redis::Client::open(format!("redis://{}/", server.address())).unwrap();
    let mut con = client.get_connection().unwrap();
    let mut model = Instance::new(SimRng::new(1));
    let call = |script: Script, keys: &[&str], args: &[&str]| ScriptCall {
        script,
        keys: keys.iter().map(|s| s.to_string()).collect(),
        args: args.iter().map(|s| s.to_string()).collect(),
    };
    let steps = [
        call(Script::AcquireWithToken, &["k", "k:token"], &["A", "10000"]),
        call(Script::AcquireWithToken, &["k", "k:token"], &["B", "10000"]),
        call(Script::CompareAndExtend, &["k"], &["B", "20000"]),
        call(Script::CompareAndExtend, &["k"], &["A", "20000"]),
        call(Script::CompareAndDelete, &["k"], &["B"]),
        call(Script::CompareAndDelete, &["k"], &["A"]),
        call(Script::CompareAndDelete, &["k"], &["A"]),
        call(Script::AcquireWithToken, &["k", "k:token"], &["B", "10000"]),
    ];
    for step in &steps {
        let mut cmd = redis::cmd("EVAL");
        for a in &step.argv()[1..] {
            cmd.arg(a.as_slice());
        }
        let real = match cmd.query::<redis::Value>(&mut con).expect("EVAL runs") {
            redis::Value::Nil => Reply::Nil,
            redis::Value::Int(i) => Reply::Integer(i),
            other => panic!("{other:?}"),
        };
        assert_eq!(model.eval(TEST_EPOCH, step), real, "{:?} {:?} {:?}", step.script, step.keys, step.args);
    }
}

#[test]
fn live_server_restart_and_client_pause_are_survived() {
    let server = start_server();
    let out = run_live(
        &LiveConfig {
            restart_server_at: Some(Duration::from_secs(2)),
            client_pause: Some((Duration::from_secs(4), Duration::from_millis(800))),
            ..fast(&server, 2, 7)
        },
        true,
    )
    .expect("a live run");
    let log = out.log.unwrap();
    assert!(log.iter().any(|l| l.contains("restarted without persistence: true")), "{log:#?}");
    assert!(log.iter().any(|l| l.contains("CLIENT PAUSE 800 ALL")), "{log:#?}");
    // The workers reconnect, the lock is taken again after the restart lost it, and work goes on
    // after the pause.
    let wrote_after = |t: f64| {
        log.iter().any(|l| {
            l.contains(" wrote job ")
                && l.split_whitespace().next().and_then(|s| s.parse::<f64>().ok()).is_some_and(|s| s > t)
        })
    };
    assert!(wrote_after(5.0), "{log:#?}");
}
