#![cfg(not(target_arch = "wasm32"))]
//! The memory model against a real redis-server 7.0.15: for strings, lists, hashes, sets and
//! sorted sets of several sizes, the same dataset is loaded into both and compared by
//! `MEMORY USAGE key SAMPLES 0` (one key of the dataset) and by the `used_memory` growth over
//! the second half of the dataset. The figures legitimately differ by bytes (allocator state, dict rehashing in
//! progress, random skiplist levels), so they are compared as relative errors, printed as a table
//! (`cargo test --test redis_memory -- --nocapture`), and held to the goal of ±10 %.

#[path = "support/redis_server.rs"]
mod redis_server;

use playground::redis::{Limits, Reply, Store};
use playground::sim::{SimRng, SimTime, TEST_EPOCH};
use redis_server::{start_server, Conn};

/// One dataset: a name and the commands that build it (each key `d:N`).
struct Dataset {
    name: String,
    commands: Vec<Vec<Vec<u8>>>,
    probe: Vec<u8>,
}

fn argv(parts: &[&[u8]]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.to_vec()).collect()
}

fn datasets() -> Vec<Dataset> {
    let mut out = Vec::new();
    // Small values over 2,000 keys, big ones over 200: enough bytes that the server's own noise
    // (client buffers resized by its cron) stays small against the dataset.
    let mut push = |name: String, build: &dyn Fn(usize) -> Vec<Vec<Vec<u8>>>| {
        let keys = if name.contains(" 5 ") || name.starts_with("string") { 2000 } else { 200 };
        let name = format!("{name} ");
        let commands = (0..keys).flat_map(build).collect();
        out.push(Dataset { name, commands, probe: b"d:7".to_vec() });
    };
    for bytes in [3usize, 30, 44, 100, 1000] {
        push(format!("string {bytes} B "), &|k| {
            vec![argv(&[b"SET", format!("d:{k}").as_bytes(), "v".repeat(bytes).as_bytes()])]
        });
    }
    push("string int".to_string(), &|k| {
        vec![argv(&[b"SET", format!("d:{k}").as_bytes(), (100_000 + k * 7).to_string().as_bytes()])]
    });
    for len in [5usize, 100, 2000] {
        push(format!("list {len} el "), &|k| {
            let mut v = argv(&[b"RPUSH", format!("d:{k}").as_bytes()]);
            v.extend((0..len).map(|i| format!("item-{i}").into_bytes()));
            vec![v]
        });
    }
    for len in [5usize, 100, 600] {
        push(format!("hash {len} f "), &|k| {
            let mut v = argv(&[b"HSET", format!("d:{k}").as_bytes()]);
            for i in 0..len {
                v.push(format!("field:{i}").into_bytes());
                v.push(format!("value-{i}").into_bytes());
            }
            vec![v]
        });
    }
    for len in [5usize, 300, 1000] {
        push(format!("set int {len} "), &|k| {
            let mut v = argv(&[b"SADD", format!("d:{k}").as_bytes()]);
            v.extend((0..len).map(|i| (i * 13).to_string().into_bytes()));
            vec![v]
        });
        push(format!("set str {len} "), &|k| {
            let mut v = argv(&[b"SADD", format!("d:{k}").as_bytes()]);
            v.extend((0..len).map(|i| format!("member:{i}").into_bytes()));
            vec![v]
        });
    }
    for len in [5usize, 100, 1000] {
        push(format!("zset {len} "), &|k| {
            let mut v = argv(&[b"ZADD", format!("d:{k}").as_bytes()]);
            for i in 0..len {
                v.push(format!("{}", i as f64 * 1.5).into_bytes());
                v.push(format!("m{i}").into_bytes());
            }
            vec![v]
        });
    }
    out
}

fn used_memory(info: &Reply) -> u64 {
    let Reply::Bulk(b) = info else { panic!("INFO replied {info:?}") };
    let text = String::from_utf8_lossy(b);
    text.lines().find_map(|l| l.strip_prefix("used_memory:")).and_then(|v| v.trim().parse().ok()).expect("used_memory")
}

fn int(r: &Reply) -> i64 {
    match r {
        Reply::Integer(i) => *i,
        other => panic!("expected an integer, got {other:?}"),
    }
}

fn pct(model: f64, real: f64) -> f64 {
    (model - real) / real * 100.0
}

#[test]
fn memory_model_error_table_against_redis_server() {
    let server = start_server();
    let mut conn = Conn::connect(server.port).expect("connect");
    let now: SimTime = TEST_EPOCH;
    let info = || vec![b"INFO".to_vec(), b"memory".to_vec()];
    println!(
        "{:<22} {:>10} {:>10} {:>7}   {:>12} {:>12} {:>7}",
        "dataset", "usage", "real", "err%", "used delta", "real delta", "err%"
    );
    // A new server allocates ~25 KB of its own during its first few thousand commands (measured:
    // the first dataset alone grew by that much more); warm it up once so no dataset pays it.
    for k in 0..4000 {
        conn.call(&[b"SET".to_vec(), format!("warm:{k}").into_bytes(), b"v".to_vec()]);
    }
    conn.call(&[b"FLUSHALL".to_vec()]);
    let mut worst_usage: f64 = 0.0;
    let mut worst_delta: f64 = 0.0;
    for d in datasets() {
        let mut store = Store::with_limits(SimRng::new(1).child("redis"), Limits::unlimited());
        // The delta is taken over the second half of the dataset: what the server allocates once
        // for a connection's first big command (query buffer, argv) cancels out.
        // The server's own allocations (client buffers resized by its cron) only ever add bytes
        // at random moments, so the real dataset is loaded twice and the smaller growth kept.
        let half = d.commands.len() / 2;
        let (mut model_before, mut model_after) = (0, 0);
        let mut rd = f64::MAX;
        for pass in 0..2 {
            conn.call(&[b"FLUSHALL".to_vec()]);
            let mut real_before = 0;
            for (i, c) in d.commands.iter().enumerate() {
                if i == half {
                    real_before = used_memory(&conn.call(&info()));
                    if pass == 0 {
                        model_before = used_memory(&store.execute(now, &info()));
                    }
                }
                let r = conn.call(c);
                if pass == 0 {
                    let m = store.execute(now, c);
                    assert_eq!(format!("{m:?}"), format!("{r:?}"), "{}: {:?}", d.name, String::from_utf8_lossy(&c[0]));
                }
            }
            rd = rd.min((used_memory(&conn.call(&info())) - real_before) as f64);
            if pass == 0 {
                model_after = used_memory(&store.execute(now, &info()));
            }
        }
        let usage = |s: &mut dyn FnMut(&[Vec<u8>]) -> Reply| {
            int(&s(&[b"MEMORY".to_vec(), b"USAGE".to_vec(), d.probe.clone(), b"SAMPLES".to_vec(), b"0".to_vec()]))
        };
        let real_usage = usage(&mut |a| conn.call(a));
        let model_usage = usage(&mut |a| store.execute(now, a));
        let enc = |r: Reply| format!("{r:?}");
        let probe_enc = [b"OBJECT".to_vec(), b"ENCODING".to_vec(), d.probe.clone()];
        assert_eq!(enc(store.execute(now, &probe_enc)), enc(conn.call(&probe_enc)), "{}: OBJECT ENCODING", d.name);
        let md = (model_after - model_before) as f64;
        let (eu, ed) = (pct(model_usage as f64, real_usage as f64), pct(md, rd));
        worst_usage = worst_usage.max(eu.abs());
        worst_delta = worst_delta.max(ed.abs());
        println!(
            "{:<22} {:>10} {:>10} {:>+7.2}   {:>12} {:>12} {:>+7.2}",
            d.name, model_usage, real_usage, eu, md as u64, rd as u64, ed
        );
    }
    println!("worst |error|: MEMORY USAGE {worst_usage:.2} %, used_memory delta {worst_delta:.2} %");
    assert!(worst_usage <= 10.0, "MEMORY USAGE off by {worst_usage:.2} % somewhere (goal ±10 %)");
    assert!(worst_delta <= 10.0, "used_memory delta off by {worst_delta:.2} % somewhere (goal ±10 %)");
}
