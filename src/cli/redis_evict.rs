//! `sim redis-bench --eviction`: the modeled maxmemory policies against a real redis-server on
//! the same trace. A Zipf(0.99) stream of key reads over N keys; each read is a GET, and a miss is
//! followed by a SET of that key (with a long TTL, so the volatile policies have candidates).
//! `maxmemory` is set, on each side, to its empty `used_memory` plus 10 % of what all N keys
//! take on that side. Commands go in batches (the GETs of a batch, then the SETs of its misses),
//! identically on both sides. The model's virtual clock advances at the rate the real run
//! measured, so LRU idle times (one-second resolution) spread the same way.
//!
//! Reads the wall clock (timings) and talks to a local redis-server: native only.

use std::io::Write as _;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::redis::{start_redis_server, RespConn, ServerGuard};
use crate::redis::evict::Policy;
use crate::redis::{Limits, Reply, Store};
use crate::sim::{SimRng, SimTime};

/// Commands per batch (GETs, then the SETs of the batch's misses).
const BATCH: usize = 64;
/// The TTL every SET gives its key (far beyond the run).
const TTL_SECS: &str = "100000";

/// The trace: key indices drawn from Zipf(`s`) over `n` keys (rank 0 most popular).
pub fn zipf_trace(n: usize, ops: usize, s: f64, seed: u64) -> Vec<u32> {
    let mut cdf = Vec::with_capacity(n);
    let mut total = 0.0;
    for k in 1..=n {
        total += 1.0 / (k as f64).powf(s);
        cdf.push(total);
    }
    let mut rng = SimRng::new(seed).child("eviction-trace");
    // Ranks are scattered over the key names so popularity does not follow insertion order.
    let mut perm: Vec<u32> = (0..n as u32).collect();
    rng.shuffle(&mut perm);
    (0..ops)
        .map(|_| {
            let u = rng.unit_f64() * total;
            let rank = cdf.partition_point(|&c| c < u).min(n - 1);
            perm[rank]
        })
        .collect()
}

fn key(i: u32) -> Vec<u8> {
    format!("key:{i}").into_bytes()
}

/// One side of the comparison: something that runs a batch of commands and replies.
trait Side {
    fn run(&mut self, cmds: &[Vec<Vec<u8>>]) -> Vec<Reply>;
    fn used_memory(&mut self) -> u64 {
        let r = self.run(&[vec![b"INFO".to_vec(), b"memory".to_vec()]]);
        info_field(&r[0], "used_memory").unwrap_or(0)
    }
}

fn info_field(r: &Reply, name: &str) -> Option<u64> {
    let Reply::Bulk(b) = r else { return None };
    let text = String::from_utf8_lossy(b);
    let prefix = format!("{name}:");
    text.lines().find_map(|l| l.strip_prefix(&prefix)).and_then(|v| v.trim().parse().ok())
}

struct ModelSide {
    store: Store,
    now_ms: f64,
    ms_per_cmd: f64,
    start: u64,
}

impl Side for ModelSide {
    fn run(&mut self, cmds: &[Vec<Vec<u8>>]) -> Vec<Reply> {
        cmds.iter()
            .map(|c| {
                self.now_ms += self.ms_per_cmd;
                self.store.execute(SimTime(self.start + self.now_ms as u64), c)
            })
            .collect()
    }
}

struct RealSide(RespConn);

impl Side for RealSide {
    fn run(&mut self, cmds: &[Vec<Vec<u8>>]) -> Vec<Reply> {
        let mut out = Vec::new();
        for argv in cmds {
            let _ = write!(out, "*{}\r\n", argv.len());
            for a in argv {
                let _ = write!(out, "${}\r\n", a.len());
                out.extend_from_slice(a);
                out.extend_from_slice(b"\r\n");
            }
        }
        if self.0.writer.write_all(&out).is_err() {
            return vec![Reply::Error("connection lost".into()); cmds.len()];
        }
        cmds.iter().map(|_| self.0.read_reply().unwrap_or_else(|e| Reply::Error(e.to_string()))).collect()
    }
}

/// Figures of one policy on one side.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunFigures {
    pub hits: u64,
    pub reads: u64,
    pub evicted: u64,
    pub oom: u64,
    pub secs: f64,
}

impl RunFigures {
    pub fn hit_ratio(&self) -> f64 {
        if self.reads == 0 {
            0.0
        } else {
            self.hits as f64 / self.reads as f64
        }
    }
}

fn set_argv(k: u32, value: &[u8]) -> Vec<Vec<u8>> {
    vec![b"SET".to_vec(), key(k), value.to_vec(), b"EX".to_vec(), TTL_SECS.as_bytes().to_vec()]
}

/// `maxmemory` for a side: its empty `used_memory` plus `fraction` of what all `n` keys take.
fn limit_for(side: &mut dyn Side, n: usize, value: &[u8], fraction: f64) -> u64 {
    side.run(&[vec![b"FLUSHALL".to_vec()]]);
    let empty = side.used_memory();
    for chunk in (0..n as u32).collect::<Vec<_>>().chunks(BATCH) {
        let cmds: Vec<_> = chunk.iter().map(|&k| set_argv(k, value)).collect();
        side.run(&cmds);
    }
    let full = side.used_memory();
    side.run(&[vec![b"FLUSHALL".to_vec()]]);
    empty + ((full.saturating_sub(empty)) as f64 * fraction) as u64
}

fn run_policy(side: &mut dyn Side, policy: Policy, maxmemory: u64, trace: &[u32], value: &[u8]) -> RunFigures {
    side.run(&[
        vec![b"FLUSHALL".to_vec()],
        vec![b"CONFIG".to_vec(), b"RESETSTAT".to_vec()],
        vec![b"CONFIG".to_vec(), b"SET".to_vec(), b"maxmemory-policy".to_vec(), policy.name().as_bytes().to_vec()],
        vec![b"CONFIG".to_vec(), b"SET".to_vec(), b"maxmemory".to_vec(), maxmemory.to_string().into_bytes()],
    ]);
    let t0 = Instant::now();
    let mut f = RunFigures::default();
    for batch in trace.chunks(BATCH) {
        let gets: Vec<_> = batch.iter().map(|&k| vec![b"GET".to_vec(), key(k)]).collect();
        let replies = side.run(&gets);
        let mut sets = Vec::new();
        for (&k, r) in batch.iter().zip(&replies) {
            f.reads += 1;
            match r {
                Reply::Bulk(_) => f.hits += 1,
                _ => sets.push(set_argv(k, value)),
            }
        }
        for r in side.run(&sets) {
            if matches!(&r, Reply::Error(e) if e.starts_with("OOM")) {
                f.oom += 1;
            }
        }
    }
    f.secs = t0.elapsed().as_secs_f64();
    let info = side.run(&[vec![b"INFO".to_vec(), b"stats".to_vec()]]);
    f.evicted = info_field(&info[0], "evicted_keys").unwrap_or(0);
    side.run(&[vec![b"CONFIG".to_vec(), b"SET".to_vec(), b"maxmemory".to_vec(), b"0".to_vec()]]);
    f
}

fn start_real() -> Result<(ServerGuard, RealSide), String> {
    let (guard, conn, _) =
        start_redis_server().map_err(|e| format!("redis-server not started ({e}); model figures only"))?;
    Ok((guard, RealSide(conn)))
}

/// Runs the comparison and prints its table. `ops` 0 means twice the key count.
pub fn eviction_bench(seed: u64, keys: usize, ops: usize, value_bytes: usize, model_only: bool) {
    let ops = if ops == 0 { keys * 2 } else { ops };
    let value = vec![b'x'; value_bytes];
    let trace = zipf_trace(keys, ops, 0.99, seed);
    println!(
        "redis-bench --eviction: Zipf(0.99) GET, SET on miss (EX {TTL_SECS}), {keys} keys, {ops} reads, {value_bytes}-byte values, maxmemory = empty + 10 % of all keys, batches of {BATCH}"
    );
    let mut real = if model_only { Err("--model-only".to_string()) } else { start_real() };
    let real_limit = real.as_mut().ok().map(|(_, r)| limit_for(r, keys, &value, 0.10));
    let start = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    let mut model = ModelSide {
        store: Store::with_limits(SimRng::new(seed).child("redis"), Limits::unlimited()),
        now_ms: 0.0,
        ms_per_cmd: 0.0,
        start,
    };
    let model_limit = limit_for(&mut model, keys, &value, 0.10);
    println!("maxmemory: model {model_limit} B, redis-server {}", real_limit.map_or("-".into(), |l| format!("{l} B")));
    println!(
        "{:<16} {:>10} {:>10} {:>8}   {:>10} {:>10}   {:>9} {:>9}",
        "policy", "model hit", "redis hit", "diff pp", "model evict", "redis evict", "model s", "redis s"
    );
    let mut worst: f64 = 0.0;
    for policy in Policy::ALL {
        let r = match (&mut real, real_limit) {
            (Ok((_, side)), Some(limit)) => Some(run_policy(side, policy, limit, &trace, &value)),
            _ => None,
        };
        // The model's clock moves at the real run's pace (or 10 µs per command without one).
        let cmds = (trace.len() as f64 * 1.5).max(1.0);
        model.ms_per_cmd = r.map_or(0.01, |r| r.secs * 1000.0 / cmds);
        let m = run_policy(&mut model, policy, model_limit, &trace, &value);
        let diff = r.map(|r| (m.hit_ratio() - r.hit_ratio()) * 100.0);
        if let Some(d) = diff {
            worst = worst.max(d.abs());
        }
        println!(
            "{:<16} {:>9.2}% {:>10} {:>8} {:>11} {:>11}   {:>9.2} {:>9}",
            policy.name(),
            m.hit_ratio() * 100.0,
            r.map_or("-".into(), |r| format!("{:.2}%", r.hit_ratio() * 100.0)),
            diff.map_or("-".into(), |d| format!("{d:+.2}")),
            m.evicted,
            r.map_or("-".into(), |r| r.evicted.to_string()),
            m.secs,
            r.map_or("-".into(), |r| format!("{:.2}", r.secs)),
        );
    }
    match &real {
        Ok(_) => println!("worst |model - redis| hit ratio: {worst:.2} percentage points (goal <= 2)"),
        Err(e) => println!("redis-server: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zipf_trace_is_skewed_and_reproducible() {
        let a = zipf_trace(1000, 20_000, 0.99, 7);
        assert_eq!(a, zipf_trace(1000, 20_000, 0.99, 7));
        let mut counts = vec![0u32; 1000];
        for &k in &a {
            counts[k as usize] += 1;
        }
        counts.sort_unstable_by(|x, y| y.cmp(x));
        // Rank 1 of Zipf(0.99) over 1000 keys takes about 13 % of draws; the top 10 % about 70 %.
        let top: u32 = counts[..100].iter().sum();
        assert!(counts[0] > 2000 && counts[0] < 3300, "most popular key drawn {} times", counts[0]);
        assert!(top > 12_500 && top < 15_500, "top 100 keys drawn {top} times");
    }
}
