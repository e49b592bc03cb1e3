//! `sim redis-bench --limit-check`: what the playground's limit check costs a write to a big
//! collection (issue 11), and whether a write's cost stays that of the write. For one-element
//! writes of every collection type (pushes and pops at both ends of a list, LSET, LINSERT next
//! to the head, adds and removes of sets, hashes and sorted sets, an LPUSH+RPOP pair), on one
//! collection of 10, 1 000, 10 000 and 100 000 elements: µs per command with the limits on (the
//! browser's defaults, with the element limit raised so a big collection may still grow) and
//! with no limits at all (the floor: the handler alone). Each timed write is prepared and undone
//! by untimed ones (an RPOP after an RPUSH, an SADD before an SREM…), so the collection keeps
//! its size.
//!
//! Reads the wall clock (timings): native only.

use std::time::Instant;

use crate::redis::{Limits, Reply, Store};
use crate::sim::{SimRng, SimTime};

/// Collection sizes measured.
pub const SIZES: [usize; 4] = [10, 1_000, 10_000, 100_000];

/// One workload: how to fill the collection, the timed command(s) and the untimed undo.
struct Workload {
    name: &'static str,
    fill: fn(usize) -> Vec<u8>,
    fill_cmd: &'static str,
    /// An untimed command before the timed ones (the element a timed removal takes), if any.
    prepare: fn(&[u8]) -> Option<Vec<Vec<u8>>>,
    /// The timed commands for element `i` (one, or LPUSH then RPOP).
    timed: fn(&[u8]) -> Vec<Vec<Vec<u8>>>,
    /// The untimed command that restores the size, if any.
    undo: fn(&[u8]) -> Option<Vec<Vec<u8>>>,
}

fn argv(parts: &[&[u8]]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.to_vec()).collect()
}

fn workloads() -> Vec<Workload> {
    vec![
        Workload {
            name: "RPUSH",
            fill: |i| format!("e{i}").into_bytes(),
            fill_cmd: "RPUSH",
            prepare: |_| None,
            timed: |e| vec![argv(&[b"RPUSH", b"c", e])],
            undo: |_| Some(argv(&[b"RPOP", b"c"])),
        },
        Workload {
            name: "HSET",
            fill: |i| format!("f{i}").into_bytes(),
            fill_cmd: "HSET",
            prepare: |_| None,
            timed: |e| vec![argv(&[b"HSET", b"c", e, b"v"])],
            undo: |e| Some(argv(&[b"HDEL", b"c", e])),
        },
        Workload {
            name: "SADD",
            fill: |i| format!("m{i}").into_bytes(),
            fill_cmd: "SADD",
            prepare: |_| None,
            timed: |e| vec![argv(&[b"SADD", b"c", e])],
            undo: |e| Some(argv(&[b"SREM", b"c", e])),
        },
        Workload {
            name: "ZADD",
            fill: |i| format!("m{i}").into_bytes(),
            fill_cmd: "ZADD",
            prepare: |_| None,
            timed: |e| vec![argv(&[b"ZADD", b"c", b"1.5", e])],
            undo: |e| Some(argv(&[b"ZREM", b"c", e])),
        },
        Workload {
            name: "LPUSH+RPOP",
            fill: |i| format!("e{i}").into_bytes(),
            fill_cmd: "RPUSH",
            prepare: |_| None,
            timed: |e| vec![argv(&[b"LPUSH", b"c", e]), argv(&[b"RPOP", b"c"])],
            undo: |_| None,
        },
        Workload {
            name: "LPUSH",
            fill: |i| format!("e{i}").into_bytes(),
            fill_cmd: "RPUSH",
            prepare: |_| None,
            timed: |e| vec![argv(&[b"LPUSH", b"c", e])],
            undo: |_| Some(argv(&[b"LPOP", b"c"])),
        },
        Workload {
            name: "RPOP",
            fill: |i| format!("e{i}").into_bytes(),
            fill_cmd: "RPUSH",
            prepare: |e| Some(argv(&[b"RPUSH", b"c", e])),
            timed: |_| vec![argv(&[b"RPOP", b"c"])],
            undo: |_| None,
        },
        Workload {
            name: "LPOP",
            fill: |i| format!("e{i}").into_bytes(),
            fill_cmd: "RPUSH",
            prepare: |e| Some(argv(&[b"LPUSH", b"c", e])),
            timed: |_| vec![argv(&[b"LPOP", b"c"])],
            undo: |_| None,
        },
        Workload {
            name: "LSET",
            fill: |i| format!("e{i}").into_bytes(),
            fill_cmd: "RPUSH",
            prepare: |_| None,
            timed: |e| vec![argv(&[b"LSET", b"c", b"-1", e])],
            undo: |_| None,
        },
        Workload {
            name: "LINSERT",
            fill: |i| format!("e{i}").into_bytes(),
            fill_cmd: "RPUSH",
            prepare: |_| None,
            timed: |e| vec![argv(&[b"LINSERT", b"c", b"AFTER", b"e0", e])],
            undo: |e| Some(argv(&[b"LREM", b"c", b"1", e])),
        },
        Workload {
            name: "HDEL",
            fill: |i| format!("f{i}").into_bytes(),
            fill_cmd: "HSET",
            prepare: |e| Some(argv(&[b"HSET", b"c", e, b"v"])),
            timed: |e| vec![argv(&[b"HDEL", b"c", e])],
            undo: |_| None,
        },
        Workload {
            name: "SREM",
            fill: |i| format!("m{i}").into_bytes(),
            fill_cmd: "SADD",
            prepare: |e| Some(argv(&[b"SADD", b"c", e])),
            timed: |e| vec![argv(&[b"SREM", b"c", e])],
            undo: |_| None,
        },
        Workload {
            name: "ZREM",
            fill: |i| format!("m{i}").into_bytes(),
            fill_cmd: "ZADD",
            prepare: |e| Some(argv(&[b"ZADD", b"c", b"1.5", e])),
            timed: |e| vec![argv(&[b"ZREM", b"c", e])],
            undo: |_| None,
        },
    ]
}

/// The limits the "checked" column runs under: the browser's, with room for the collections.
pub fn bench_limits() -> Limits {
    Limits { max_collection_len: 1_000_000, max_dataset_bytes: 64 << 20, ..Limits::default() }
}

/// A store holding key `c` with `size` elements of `w`.
fn filled(w: &Workload, size: usize, limits: Limits) -> Store {
    let mut s = Store::with_limits(SimRng::new(1).child("redis"), limits);
    let now = SimTime(1_000);
    for chunk in (0..size).collect::<Vec<_>>().chunks(500) {
        let mut a: Vec<Vec<u8>> = vec![w.fill_cmd.as_bytes().to_vec(), b"c".to_vec()];
        for &i in chunk {
            if w.fill_cmd == "ZADD" {
                a.push(i.to_string().into_bytes());
            }
            a.push((w.fill)(i));
            if w.fill_cmd == "HSET" {
                a.push(b"v".to_vec());
            }
        }
        let r = s.execute(now, &a);
        assert!(!matches!(r, Reply::Error(_)), "filling: {r:?}");
    }
    s
}

/// µs per command for `ops` timed rounds of `w` on a collection of `size` under `limits`.
fn measure(w: &Workload, size: usize, limits: Limits, ops: usize) -> f64 {
    let mut s = filled(w, size, limits);
    let now = SimTime(1_000);
    let mut spent = 0.0f64;
    let mut commands = 0usize;
    for i in 0..ops {
        let e = format!("new{i}").into_bytes();
        if let Some(p) = (w.prepare)(&e) {
            s.execute(now, &p);
        }
        let timed = (w.timed)(&e);
        let t = Instant::now();
        for a in &timed {
            let r = std::hint::black_box(s.execute(now, a));
            debug_assert!(!matches!(r, Reply::Error(_)), "{r:?}");
        }
        spent += t.elapsed().as_secs_f64();
        commands += timed.len();
        if let Some(u) = (w.undo)(&e) {
            s.execute(now, &u);
        }
    }
    spent * 1e6 / commands as f64
}

/// One row of the table.
#[derive(Debug, serde::Serialize)]
pub struct Row {
    pub command: &'static str,
    pub elements: usize,
    pub checked_us: f64,
    pub floor_us: f64,
}

/// Runs every workload at every size, `ops` rounds each.
pub fn run(ops: usize) -> Vec<Row> {
    let mut rows = Vec::new();
    for w in workloads() {
        for &size in &SIZES {
            let checked_us = measure(&w, size, bench_limits(), ops);
            let floor_us = measure(&w, size, Limits::unlimited(), ops);
            rows.push(Row { command: w.name, elements: size, checked_us, floor_us });
        }
    }
    rows
}

/// Prints the table (or JSON).
pub fn print(rows: &[Row], ops: usize, json: bool) -> super::CliResult {
    if json {
        return super::output::print_json(&rows);
    }
    println!(
        "limit-check bench: µs per command, {ops} timed rounds per cell, one element per write (prepared and undone untimed)"
    );
    println!("{:<12} {:>9} {:>12} {:>12} {:>8}", "command", "elements", "checked µs", "floor µs", "ratio");
    for r in rows {
        println!(
            "{:<12} {:>9} {:>12.2} {:>12.2} {:>8.1}",
            r.command,
            r.elements,
            r.checked_us,
            r.floor_us,
            r.checked_us / r.floor_us
        );
    }
    println!("checked = the browser's limits (max_collection_len raised to 1 000 000, dataset to 64 MB); floor = Limits::unlimited() (no check)");
    Ok(())
}
