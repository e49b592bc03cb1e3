//! The application: the Redis page's cache-aside demo spread over the cluster, plus a stream of
//! writes whose acknowledgements are accounted for.
//!
//! A read asks `GET user:<name>` (names Zipf-popular, as on the Redis page); a hit answers; a miss
//! calls the origin API (≈ 370 ms) and stores the answer with `SETEX user:<name> <ttl> <count>`.
//! A write is `SET session:<n> <token> EX 600` with a fresh key each time, so every acknowledged
//! write can be read back. Arrivals are Poisson and go round-robin over the application
//! processes, each with its own cluster client. The workload decides what to send; the runtime
//! sends it and hands the outcomes back.

use std::collections::BTreeMap;

use super::client::ClientError;
use super::scenario::WorkloadConfig;
use crate::redis::cache_aside::FAMOUS;
use crate::redis::Reply;
use crate::sim::vec_map::DequeMap;
use crate::sim::{SimDuration, SimRng};

/// A write's TTL (s): long enough to be read back by the tests, short enough to bound the keyspace.
pub const SESSION_TTL_S: u64 = 600;
/// Acknowledged writes remembered for read-back (older ones are forgotten).
pub const ACKED_KEPT: usize = 50_000;

/// Finished writes remembered for the linearizability check (older ones are forgotten).
pub const WRITES_KEPT: usize = 50_000;

/// How a write ended, as the application saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteResult {
    /// `OK`: acknowledged.
    Ok,
    /// A timeout or a closed connection: it may or may not have been applied.
    Unknown,
    /// Refused before it ran (a redirect limit, CLUSTERDOWN, …): surely not applied.
    Failed,
}

/// One write's invocation and outcome (`SET key value EX 600`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteOutcome {
    pub client: usize,
    pub key: String,
    pub value: String,
    pub invoke_ms: u64,
    pub return_ms: u64,
    pub result: WriteResult,
}

/// The hash tag of the preloaded keys (`{orders}` hashes to slot 105).
pub const TAG: &str = "{orders}";

/// The `n`th preloaded tagged key.
pub fn tagged_key(n: u64) -> Vec<u8> {
    format!("{TAG}:{n}").into_bytes()
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Stage {
    Tagged,
    Get,
    Origin,
    Set,
    Write,
}

#[derive(Clone, Debug)]
struct Op {
    client: usize,
    started_ms: u64,
    stage: Stage,
    user: String,
    key: Vec<u8>,
    redirects: u32,
}

/// What the application asks the runtime to do.
#[derive(Clone, Debug, PartialEq)]
pub enum AppOut {
    /// Submit `argv` on client `client` for operation `op`.
    Submit { client: usize, op: u64, argv: Vec<Vec<u8>> },
    /// Call [`Workload::origin_answered`] for `op` after `after` (the origin API).
    Origin { op: u64, after: SimDuration },
}

/// A finished operation, for the metrics.
#[derive(Clone, Debug, PartialEq)]
pub struct Finished {
    pub client: usize,
    pub what: String,
    pub latency_ms: u64,
    pub redirects: u32,
    /// Some(hit?) for reads.
    pub hit: Option<bool>,
    pub write: bool,
    pub error: Option<ClientError>,
}

#[derive(Clone, Debug)]
pub struct Workload {
    pub cfg: WorkloadConfig,
    rng: SimRng,
    /// Cumulative Zipf weights of the users.
    cumulative: Vec<f64>,
    /// Operations in flight by id: ids only grow, and most finish in the order they began.
    ops: DequeMap<u64, Op>,
    next_op: u64,
    next_session: u64,
    next_client: usize,
    /// Acknowledged writes: key → (value, when the OK arrived in ms since the start).
    pub acked: BTreeMap<Vec<u8>, (Vec<u8>, u64)>,
    /// Every finished write, oldest first (at most [`WRITES_KEPT`]; `writes_forgotten` counts the rest).
    pub writes: std::collections::VecDeque<WriteOutcome>,
    pub writes_forgotten: u64,
    acked_order: std::collections::VecDeque<Vec<u8>>,
}

/// The name of user `k` (0-based): the famous ones first, then `dev<k>`.
pub fn user_name(k: u64) -> String {
    match FAMOUS.get(k as usize) {
        Some(n) => n.to_string(),
        None => format!("dev{k}"),
    }
}

impl Workload {
    /// Roughly the heap bytes this workload holds: the Zipf table, the operations in flight, the
    /// acknowledged writes (up to [`ACKED_KEPT`], with their order) and the finished writes (up to
    /// [`WRITES_KEPT`]), each with its key and value.
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        // A BTreeMap entry's share of a node's bookkeeping.
        const NODE: usize = 16;
        let ops: usize = self.ops.values().map(|o| size_of::<(u64, Op)>() + NODE + o.user.len() + o.key.len()).sum();
        let acked: usize = self
            .acked
            .iter()
            .map(|(k, (v, _))| size_of::<(Vec<u8>, (Vec<u8>, u64))>() + NODE + k.len() + v.len())
            .sum();
        let order: usize = self.acked_order.iter().map(|k| size_of::<Vec<u8>>() + k.len()).sum();
        let writes: usize = self.writes.iter().map(|w| size_of::<WriteOutcome>() + w.key.len() + w.value.len()).sum();
        self.cumulative.len() * size_of::<f64>() + ops + acked + order + writes
    }

    pub fn new(cfg: WorkloadConfig, rng: SimRng) -> Workload {
        let mut cumulative = Vec::with_capacity(cfg.users as usize);
        let mut sum = 0.0;
        for k in 1..=cfg.users {
            sum += 1.0 / libm::pow(k as f64, cfg.skew);
            cumulative.push(sum);
        }
        Workload {
            cfg,
            rng,
            cumulative,
            ops: DequeMap::new(),
            next_op: 1,
            next_session: 1,
            next_client: 0,
            acked: BTreeMap::new(),
            writes: std::collections::VecDeque::new(),
            writes_forgotten: 0,
            acked_order: std::collections::VecDeque::new(),
        }
    }

    /// The wait until the next read (`write = false`) or write arrival; `None` when that rate is 0.
    pub fn next_arrival(&mut self, write: bool) -> Option<SimDuration> {
        let rate = if write { self.cfg.write_rate } else { self.cfg.read_rate };
        (rate > 0.0).then(|| SimDuration::from_millis_f64(self.rng.exponential(1000.0 / rate).max(0.0)))
    }

    fn pick_user(&mut self) -> String {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let x = self.rng.unit_f64() * total;
        let k = self.cumulative.partition_point(|&c| c < x);
        user_name(k as u64)
    }

    fn next_client(&mut self) -> usize {
        let c = self.next_client % self.cfg.clients.max(1);
        self.next_client = self.next_client.wrapping_add(1);
        c
    }

    pub fn in_flight(&self) -> usize {
        self.ops.len()
    }

    /// A read or write arrives at `now_ms`.
    pub fn arrival(&mut self, now_ms: u64, write: bool) -> AppOut {
        let client = self.next_client();
        let op = self.next_op;
        self.next_op += 1;
        if write {
            let n = self.next_session;
            self.next_session += 1;
            let key = format!("session:{n}").into_bytes();
            let token = format!("t{:016x}", self.rng.next_u64());
            self.ops.insert(
                op,
                Op {
                    client,
                    started_ms: now_ms,
                    stage: Stage::Write,
                    user: token.clone(),
                    key: key.clone(),
                    redirects: 0,
                },
            );
            let argv =
                vec![b"SET".to_vec(), key, token.into_bytes(), b"EX".to_vec(), SESSION_TTL_S.to_string().into_bytes()];
            AppOut::Submit { client, op, argv }
        } else if self.cfg.tagged_keys > 0 && self.rng.bernoulli(self.cfg.tagged_share) {
            let (a, b) = (self.rng.below(self.cfg.tagged_keys), self.rng.below(self.cfg.tagged_keys));
            let (ka, kb) = (tagged_key(a), tagged_key(b));
            let what = format!("{} {}", String::from_utf8_lossy(&ka), String::from_utf8_lossy(&kb));
            self.ops.insert(
                op,
                Op { client, started_ms: now_ms, stage: Stage::Tagged, user: what, key: ka.clone(), redirects: 0 },
            );
            AppOut::Submit { client, op, argv: vec![b"MGET".to_vec(), ka, kb] }
        } else {
            let user = self.pick_user();
            let key = format!("user:{user}").into_bytes();
            self.ops
                .insert(op, Op { client, started_ms: now_ms, stage: Stage::Get, user, key: key.clone(), redirects: 0 });
            AppOut::Submit { client, op, argv: vec![b"GET".to_vec(), key] }
        }
    }

    /// The command of `op` finished on its client.
    pub fn command_done(
        &mut self,
        now_ms: u64,
        op: u64,
        result: Result<Reply, ClientError>,
        redirects: u32,
    ) -> (Vec<AppOut>, Option<Finished>) {
        let Some(mut o) = self.ops.remove(&op) else {
            return (Vec::new(), None);
        };
        o.redirects += redirects;
        let finish = |o: &Op, what: String, hit: Option<bool>, write: bool, error: Option<ClientError>| Finished {
            client: o.client,
            what,
            latency_ms: now_ms.saturating_sub(o.started_ms),
            redirects: o.redirects,
            hit,
            write,
            error,
        };
        match (&o.stage, result) {
            (Stage::Tagged, Ok(reply)) => {
                let all = matches!(&reply, Reply::Array(items) if items.iter().all(|r| matches!(r, Reply::Bulk(_))));
                (Vec::new(), Some(finish(&o, format!("MGET {}", o.user), Some(all), false, None)))
            }
            (Stage::Tagged, Err(e)) => (Vec::new(), Some(finish(&o, format!("MGET {}", o.user), None, false, Some(e)))),
            (Stage::Get, Ok(Reply::Bulk(_))) => {
                (Vec::new(), Some(finish(&o, format!("GET user:{}", o.user), Some(true), false, None)))
            }
            (Stage::Get, Ok(_)) => {
                // A miss: ask the origin, then cache the answer.
                let after =
                    SimDuration::from_millis_f64(self.rng.abs_normal(self.cfg.origin_ms, self.cfg.origin_ms / 10.0));
                o.stage = Stage::Origin;
                self.ops.insert(op, o);
                (vec![AppOut::Origin { op, after }], None)
            }
            (Stage::Set, Ok(_)) => {
                (Vec::new(), Some(finish(&o, format!("GET+SETEX user:{}", o.user), Some(false), true, None)))
            }
            (Stage::Write, Ok(_)) => {
                self.record_write(&o, now_ms, WriteResult::Ok);
                self.remember(o.key.clone(), o.user.clone().into_bytes(), now_ms);
                (Vec::new(), Some(finish(&o, format!("SET {}", String::from_utf8_lossy(&o.key)), None, true, None)))
            }
            (Stage::Get, Err(e)) => {
                (Vec::new(), Some(finish(&o, format!("GET user:{}", o.user), None, false, Some(e))))
            }
            (Stage::Set, Err(e)) => {
                (Vec::new(), Some(finish(&o, format!("GET+SETEX user:{}", o.user), None, true, Some(e))))
            }
            (Stage::Write, Err(e)) => {
                let result = match &e {
                    ClientError::Timeout => WriteResult::Unknown,
                    ClientError::Reply(m) if m == super::client::CONNECTION_CLOSED => WriteResult::Unknown,
                    _ => WriteResult::Failed,
                };
                self.record_write(&o, now_ms, result);
                (Vec::new(), Some(finish(&o, format!("SET {}", String::from_utf8_lossy(&o.key)), None, true, Some(e))))
            }
            (Stage::Origin, _) => {
                self.ops.insert(op, o);
                (Vec::new(), None)
            }
        }
    }

    fn record_write(&mut self, o: &Op, now_ms: u64, result: WriteResult) {
        self.writes.push_back(WriteOutcome {
            client: o.client,
            key: String::from_utf8_lossy(&o.key).into_owned(),
            value: o.user.clone(),
            invoke_ms: o.started_ms,
            return_ms: now_ms,
            result,
        });
        if self.writes.len() > WRITES_KEPT {
            self.writes.pop_front();
            self.writes_forgotten += 1;
        }
    }

    /// Writes sent but not answered yet: (client, key, value, invoked at).
    pub fn open_writes(&self) -> impl Iterator<Item = (usize, String, String, u64)> + '_ {
        self.ops
            .values()
            .filter(|o| o.stage == Stage::Write)
            .map(|o| (o.client, String::from_utf8_lossy(&o.key).into_owned(), o.user.clone(), o.started_ms))
    }

    fn remember(&mut self, key: Vec<u8>, value: Vec<u8>, at_ms: u64) {
        if self.acked.insert(key.clone(), (value, at_ms)).is_none() {
            self.acked_order.push_back(key);
            while self.acked_order.len() > ACKED_KEPT {
                if let Some(k) = self.acked_order.pop_front() {
                    self.acked.remove(&k);
                }
            }
        }
    }

    /// The origin answered `op`: cache the answer.
    pub fn origin_answered(&mut self, op: u64) -> Option<AppOut> {
        let o = self.ops.get_mut(&op)?;
        if o.stage != Stage::Origin {
            return None;
        }
        o.stage = Stage::Set;
        let count = crate::sim::rng::SimRng::new(
            o.user.bytes().fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b))),
        )
        .below(500);
        let argv = vec![
            b"SETEX".to_vec(),
            o.key.clone(),
            self.cfg.ttl_s.to_string().into_bytes(),
            count.to_string().into_bytes(),
        ];
        Some(AppOut::Submit { client: o.client, op, argv })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_miss_asks_the_origin_then_caches() {
        let mut w = Workload::new(WorkloadConfig::default(), SimRng::new(1));
        let AppOut::Submit { op, argv, .. } = w.arrival(0, false) else { panic!() };
        assert_eq!(argv[0], b"GET");
        let (outs, fin) = w.command_done(5, op, Ok(Reply::Nil), 0);
        assert!(fin.is_none());
        assert!(matches!(outs[0], AppOut::Origin { .. }));
        let Some(AppOut::Submit { argv, .. }) = w.origin_answered(op) else { panic!() };
        assert_eq!(argv[0], b"SETEX");
        let (_, fin) = w.command_done(400, op, Ok(Reply::ok()), 1);
        let fin = fin.unwrap();
        assert_eq!((fin.hit, fin.write, fin.latency_ms, fin.redirects), (Some(false), true, 400, 1));
        // A write is remembered once acknowledged.
        let AppOut::Submit { op, argv, .. } = w.arrival(500, true) else { panic!() };
        assert_eq!(argv[0], b"SET");
        w.command_done(502, op, Ok(Reply::ok()), 0);
        assert_eq!(w.acked.len(), 1);
    }
}
