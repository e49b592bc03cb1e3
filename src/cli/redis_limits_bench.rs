//! `sim redis-bench --limit-check`: what the playground's limit check costs a write to a big
//! collection (issue 11). For RPUSH, HSET, SADD, ZADD and an LPUSH+RPOP pair, on one collection
//! of 10, 1 000 and 10 000 elements: µs per command with the limits on (the browser's defaults,
//! with the element limit raised so a 10 000-element collection may still grow) and with no
//! limits at all (the floor: the handler alone). Each timed write of one new element is undone
//! by an untimed one (RPOP, HDEL, SREM, ZREM), so the collection keeps its size.
//!
//! Reads the wall clock (timings): native only.

use std::time::Instant;

use crate::redis::{Limits, Reply, Store};
use crate::sim::{SimRng, SimTime};

/// Collection sizes measured.
pub const SIZES: [usize; 3] = [10, 1_000, 10_000];

/// One workload: how to fill the collection, the timed command(s) and the untimed undo.
struct Workload {
    name: &'static str,
    fill: fn(usize) -> Vec<u8>,
    fill_cmd: &'static str,
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
            timed: |e| vec![argv(&[b"RPUSH", b"c", e])],
            undo: |_| Some(argv(&[b"RPOP", b"c"])),
        },
        Workload {
            name: "HSET",
            fill: |i| format!("f{i}").into_bytes(),
            fill_cmd: "HSET",
            timed: |e| vec![argv(&[b"HSET", b"c", e, b"v"])],
            undo: |e| Some(argv(&[b"HDEL", b"c", e])),
        },
        Workload {
            name: "SADD",
            fill: |i| format!("m{i}").into_bytes(),
            fill_cmd: "SADD",
            timed: |e| vec![argv(&[b"SADD", b"c", e])],
            undo: |e| Some(argv(&[b"SREM", b"c", e])),
        },
        Workload {
            name: "ZADD",
            fill: |i| format!("m{i}").into_bytes(),
            fill_cmd: "ZADD",
            timed: |e| vec![argv(&[b"ZADD", b"c", b"1.5", e])],
            undo: |e| Some(argv(&[b"ZREM", b"c", e])),
        },
        Workload {
            name: "LPUSH+RPOP",
            fill: |i| format!("e{i}").into_bytes(),
            fill_cmd: "RPUSH",
            timed: |e| vec![argv(&[b"LPUSH", b"c", e]), argv(&[b"RPOP", b"c"])],
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
        "limit-check bench: µs per command, {ops} timed rounds per cell, one new element per write (undone untimed)"
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
