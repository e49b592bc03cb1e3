//! What one messaging run is made of (producers, consumers, faults, the pattern's own knobs), its
//! validation, and the presets the page and `sim messaging` offer.
//!
//! Everything here is data: serde structs with defaults, checked by [`Scenario::validate`] before a
//! run starts so a bad value is a clear error naming the field and the accepted range, never a
//! panic or a silently clamped run.

use crate::backoff::Policy;
use crate::balance::AlgorithmId;
use crate::sim::Distribution;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The patterns, by their stable ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PatternId {
    /// Clients call service instances directly (through a balancer) with a timeout and retries.
    RequestResponse,
    /// LPUSH + BRPOP: a crash after the pop loses the message.
    SimpleQueue,
    /// BLMOVE into a per-worker processing list, LREM on ack, a reaper for dead workers.
    ReliableQueue,
    /// PUBLISH / SUBSCRIBE: fan-out, no buffering.
    Pubsub,
    /// Celery over Redis (kombu's transport): BRPOP, an unacked hash + index, visibility timeout.
    TaskQueue,
    /// XADD / XREADGROUP / XACK, XAUTOCLAIM of idle pending entries.
    StreamGroup,
}

impl PatternId {
    /// The read-only commands the page's redis-cli offers as one-click chips for this pattern's keys.
    pub fn suggested_queries(self) -> &'static [&'static str] {
        match self {
            PatternId::SimpleQueue => &["LLEN queue", "LRANGE queue 0 4", "CLIENT LIST", "INFO clients"],
            PatternId::ReliableQueue => {
                &["LLEN queue", "LRANGE processing:0 0 -1", "SMEMBERS workers", "PTTL heartbeat:0"]
            }
            PatternId::Pubsub => &["PUBSUB NUMSUB events", "PUBSUB CHANNELS", "CLIENT LIST"],
            PatternId::TaskQueue => {
                &["LLEN celery", "HLEN unacked", "ZRANGE unacked_index 0 4 WITHSCORES", "LLEN celery.dead-letter"]
            }
            PatternId::StreamGroup => {
                &["XINFO GROUPS stream", "XPENDING stream workers", "XLEN stream", "XLEN stream:dead-letter"]
            }
            PatternId::RequestResponse => &["DBSIZE"],
        }
    }

    pub const ALL: [PatternId; 6] = [
        PatternId::RequestResponse,
        PatternId::SimpleQueue,
        PatternId::ReliableQueue,
        PatternId::Pubsub,
        PatternId::TaskQueue,
        PatternId::StreamGroup,
    ];

    pub fn id(self) -> &'static str {
        match self {
            PatternId::RequestResponse => "request-response",
            PatternId::SimpleQueue => "simple-queue",
            PatternId::ReliableQueue => "reliable-queue",
            PatternId::Pubsub => "pubsub",
            PatternId::TaskQueue => "task-queue",
            PatternId::StreamGroup => "stream-group",
        }
    }

    /// Whether every consumer is meant to get every message (pub/sub) rather than one of them.
    pub fn is_fan_out(self) -> bool {
        matches!(self, PatternId::Pubsub)
    }
}

impl fmt::Display for PatternId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for PatternId {
    type Err = ScenarioError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PatternId::ALL.into_iter().find(|p| p.id() == s).ok_or_else(|| ScenarioError::UnknownPattern(s.to_string()))
    }
}

/// A burst: `count` extra messages spread evenly over `over_ms`, starting at `at_ms`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Burst {
    pub at_ms: u64,
    pub count: u32,
    pub over_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Producers {
    pub count: u32,
    /// Messages per second per producer (Poisson arrivals).
    pub rate_per_s: f64,
    pub bursts: Vec<Burst>,
}

impl Default for Producers {
    fn default() -> Self {
        Producers { count: 1, rate_per_s: 20.0, bursts: Vec::new() }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Consumers {
    /// Workers (queues), subscribers (pub/sub) or service instances (request/response).
    pub count: u32,
    /// Messages one worker processes at once (one connection per slot for list queues).
    pub concurrency: u32,
    /// Celery's `worker_prefetch_multiplier`: a task-queue worker reserves up to
    /// concurrency × multiplier messages.
    pub prefetch_multiplier: u32,
    pub service: Distribution,
    /// Probability that processing one message fails.
    pub failure_p: f64,
}

impl Default for Consumers {
    fn default() -> Self {
        Consumers {
            count: 2,
            concurrency: 1,
            prefetch_multiplier: 4,
            service: Distribution::Exponential { mean_ms: 20.0 },
            failure_p: 0.0,
        }
    }
}

/// How the broker's dataset survives a restart (a host crash: what was not fsynced is gone).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Persistence {
    /// No RDB, no AOF: a restart starts empty.
    None,
    /// `appendfsync everysec`: the writes since the last once-a-second fsync are lost.
    Everysec,
    /// `appendfsync always`: every write is fsynced before its reply, nothing acknowledged is lost.
    Always,
}

impl FromStr for Persistence {
    type Err = ScenarioError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "none" => Ok(Persistence::None),
            "everysec" => Ok(Persistence::Everysec),
            "always" => Ok(Persistence::Always),
            other => Err(ScenarioError::UnknownPersistence(other.to_string())),
        }
    }
}

/// A fault injected at a virtual time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Fault {
    /// Consumer `consumer` dies (connections dropped, work in memory gone) and restarts after
    /// `down_ms`.
    Crash { consumer: u32, at_ms: u64, down_ms: u64 },
    /// Consumer `consumer` processes `factor` times slower for `for_ms`.
    Slow { consumer: u32, at_ms: u64, factor: f64, for_ms: u64 },
    /// The broker's host crashes and comes back after `down_ms` with what its persistence kept.
    BrokerRestart { at_ms: u64, down_ms: u64 },
    /// The downstream the consumers call fails every message for `for_ms`.
    Outage { at_ms: u64, for_ms: u64 },
    /// A network partition cuts every consumer off from the broker (request/response: every
    /// instance off from its clients) for `for_ms`. Frames sent across it are lost; the clients'
    /// socket timeouts fire, so when it heals they reconnect (and the server drops the old
    /// connections). What the broker had already handed to a cut-off connection is gone with it.
    Partition { at_ms: u64, for_ms: u64 },
}

impl Fault {
    pub fn at_ms(&self) -> u64 {
        match *self {
            Fault::Crash { at_ms, .. }
            | Fault::Slow { at_ms, .. }
            | Fault::BrokerRestart { at_ms, .. }
            | Fault::Outage { at_ms, .. }
            | Fault::Partition { at_ms, .. } => at_ms,
        }
    }
}

/// Request/response: the client side.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RequestResponse {
    pub timeout_ms: u64,
    pub max_retries: u32,
    pub retry_policy: Policy,
    pub balancer: AlgorithmId,
    /// Requests an instance queues beyond its concurrency before it rejects (a listen backlog).
    pub backlog: u32,
}

impl Default for RequestResponse {
    fn default() -> Self {
        RequestResponse {
            timeout_ms: 1_000,
            max_retries: 2,
            retry_policy: Policy::FullJitter { base_ms: 100, cap_ms: 2_000 },
            balancer: AlgorithmId::LeastConn,
            backlog: 8,
        }
    }
}

/// The reliable queue's liveness machinery.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Reliable {
    /// Workers refresh `heartbeat:<w>` this often …
    pub heartbeat_every_ms: u64,
    /// … with this TTL; the reaper treats a worker whose key expired as dead.
    pub heartbeat_ttl_ms: u64,
    pub reaper_every_ms: u64,
}

impl Default for Reliable {
    fn default() -> Self {
        Reliable { heartbeat_every_ms: 1_000, heartbeat_ttl_ms: 3_000, reaper_every_ms: 1_000 }
    }
}

/// Celery's knobs (task options and worker settings) as the Redis transport honours them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TaskQueue {
    /// `task_acks_late`: ack after the task ran (redelivered after a crash) instead of before.
    pub acks_late: bool,
    /// The transport's `visibility_timeout`: an unacked message older than this is restored.
    pub visibility_timeout_ms: u64,
    /// How often each worker runs kombu's `restore_visible`.
    pub restore_every_ms: u64,
    /// `apply_async(countdown=…)` for every task (0 = run at once).
    pub countdown_ms: u64,
    /// `max_retries`; then the task goes to the dead-letter list.
    pub max_retries: u32,
    /// `self.retry(countdown=…)`'s countdown before retry n.
    pub retry_policy: Policy,
    /// Guard the side effect with `SET idem:<task> … NX`.
    pub idempotency_keys: bool,
    /// A fraction of tasks that run long (ms), e.g. a report.
    pub long_task_fraction: f64,
    pub long_task_ms: u64,
}

impl Default for TaskQueue {
    fn default() -> Self {
        TaskQueue {
            acks_late: true,
            visibility_timeout_ms: 3_600_000,
            restore_every_ms: 1_000,
            countdown_ms: 0,
            max_retries: 3,
            retry_policy: Policy::Constant { delay_ms: 180_000 },
            idempotency_keys: false,
            long_task_fraction: 0.0,
            long_task_ms: 0,
        }
    }
}

/// One run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Scenario {
    pub pattern: PatternId,
    /// Producers stop producing after this …
    pub produce_for_ms: u64,
    /// … and the run ends this much later (time to drain).
    pub drain_ms: u64,
    /// One-way latency between any client and the broker (or an instance), constant so a
    /// connection stays in order as TCP keeps it.
    pub network_ms: u64,
    pub producers: Producers,
    pub consumers: Consumers,
    pub persistence: Persistence,
    pub faults: Vec<Fault>,
    pub request_response: RequestResponse,
    pub reliable: Reliable,
    pub task: TaskQueue,
    /// Stream groups: one consumer group per consumer (each gets every entry, like subscribers)
    /// instead of one group the consumers share.
    pub group_per_consumer: bool,
    /// Queue depth and lag are sampled this often (the series is bounded; see `checker`).
    pub sample_ms: u64,
    /// Stream groups: an idle pending entry XPENDING says was delivered this many times is not
    /// claimed again but copied to `stream:dead-letter` (XADD) and acknowledged (XACK). 0: never.
    pub dead_letter_after: u32,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            pattern: PatternId::SimpleQueue,
            produce_for_ms: 10_000,
            drain_ms: 10_000,
            network_ms: 1,
            producers: Producers::default(),
            consumers: Consumers::default(),
            persistence: Persistence::Everysec,
            faults: Vec::new(),
            request_response: RequestResponse::default(),
            reliable: Reliable::default(),
            task: TaskQueue::default(),
            group_per_consumer: false,
            sample_ms: 100,
            dead_letter_after: 0,
        }
    }
}

/// Most messages one run may produce (what the page and a test can hold).
pub const MAX_MESSAGES: f64 = 200_000.0;
pub const MAX_PRODUCERS: u32 = 100;
pub const MAX_CONSUMERS: u32 = 100;
pub const MAX_CONCURRENCY: u32 = 64;
/// Longest run, virtual time.
pub const MAX_RUN_MS: u64 = 3_600_000;

/// Why a scenario cannot run. Every message names the value and what is accepted.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ScenarioError {
    #[error("unknown pattern {0:?}: expected request-response, simple-queue, reliable-queue, pubsub, task-queue or stream-group")]
    UnknownPattern(String),
    #[error("unknown persistence {0:?}: expected none, everysec or always")]
    UnknownPersistence(String),
    #[error("{field} = {value} is out of range: expected {accepted}")]
    Range { field: &'static str, value: String, accepted: &'static str },
    #[error("fault {index} names consumer {consumer}, but there are {count} consumers (0..{count})")]
    FaultConsumer { index: usize, consumer: u32, count: u32 },
    #[error("the run would produce about {0:.0} messages; at most {MAX_MESSAGES} are allowed (lower the rate, the producers, the bursts or produce_for_ms)")]
    TooManyMessages(f64),
    #[error("unknown preset {0:?}: expected peak-cut, consumer-crash, offline-subscriber, visibility-timeout, retry-storm, broker-restart, partition, poison-message or tcp-vs-udp")]
    UnknownPreset(String),
}

fn range(field: &'static str, value: impl fmt::Display, accepted: &'static str) -> ScenarioError {
    ScenarioError::Range { field, value: value.to_string(), accepted }
}

fn check_distribution(field: &'static str, d: &Distribution) -> Result<(), ScenarioError> {
    let ok = |x: f64| x.is_finite() && (0.0..=MAX_RUN_MS as f64).contains(&x);
    let good = match *d {
        Distribution::Constant { ms } => ok(ms),
        Distribution::Uniform { min_ms, max_ms } => ok(min_ms) && ok(max_ms) && min_ms <= max_ms,
        Distribution::AbsNormal { mean_ms, std_dev_ms } => ok(mean_ms) && ok(std_dev_ms),
        Distribution::LogNormal { median_ms, sigma } => {
            ok(median_ms) && sigma.is_finite() && (0.0..=4.0).contains(&sigma)
        }
        Distribution::Exponential { mean_ms } => ok(mean_ms),
        Distribution::Pareto { min_ms, alpha } => ok(min_ms) && alpha.is_finite() && alpha > 1.0,
    };
    if good {
        Ok(())
    } else {
        Err(range(
            field,
            format!("{d:?}"),
            "finite, non-negative times up to an hour (Pareto alpha > 1, lognormal sigma ≤ 4)",
        ))
    }
}

impl Scenario {
    /// Copies of each message the consumers are meant to process: one per consumer for fan-out
    /// (pub/sub, a stream group per consumer), else one.
    pub fn copies(&self) -> usize {
        if self.pattern.is_fan_out() || (self.pattern == PatternId::StreamGroup && self.group_per_consumer) {
            self.consumers.count as usize
        } else {
            1
        }
    }

    /// Checks everything a user can get wrong, before anything runs.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        let p = &self.producers;
        if p.count == 0 || p.count > MAX_PRODUCERS {
            return Err(range("producers.count", p.count, "1 to 100"));
        }
        if !p.rate_per_s.is_finite() || !(0.0..=10_000.0).contains(&p.rate_per_s) {
            return Err(range("producers.rate_per_s", p.rate_per_s, "0 to 10000 messages per second"));
        }
        let c = &self.consumers;
        if c.count == 0 || c.count > MAX_CONSUMERS {
            return Err(range("consumers.count", c.count, "1 to 100"));
        }
        if c.concurrency == 0 || c.concurrency > MAX_CONCURRENCY {
            return Err(range("consumers.concurrency", c.concurrency, "1 to 64"));
        }
        if c.prefetch_multiplier == 0 || c.prefetch_multiplier > 64 {
            return Err(range("consumers.prefetch_multiplier", c.prefetch_multiplier, "1 to 64"));
        }
        if !(0.0..=1.0).contains(&c.failure_p) {
            return Err(range("consumers.failure_p", c.failure_p, "a probability in [0, 1]"));
        }
        check_distribution("consumers.service", &c.service)?;
        let run = self.produce_for_ms.saturating_add(self.drain_ms);
        if run == 0 || run > MAX_RUN_MS {
            return Err(range("produce_for_ms + drain_ms", run, "1 ms to 3600000 ms (an hour)"));
        }
        if self.network_ms > 10_000 {
            return Err(range("network_ms", self.network_ms, "0 to 10000"));
        }
        if self.sample_ms == 0 || self.sample_ms > 60_000 {
            return Err(range("sample_ms", self.sample_ms, "1 to 60000"));
        }
        let expected = p.rate_per_s * f64::from(p.count) * self.produce_for_ms as f64 / 1000.0
            + p.bursts.iter().map(|b| f64::from(b.count)).sum::<f64>();
        if expected > MAX_MESSAGES {
            return Err(ScenarioError::TooManyMessages(expected));
        }
        for (index, f) in self.faults.iter().enumerate() {
            match *f {
                Fault::Crash { consumer, .. } | Fault::Slow { consumer, .. } if consumer >= c.count => {
                    return Err(ScenarioError::FaultConsumer { index, consumer, count: c.count })
                }
                Fault::Slow { factor, .. } if !factor.is_finite() || !(1.0..=1000.0).contains(&factor) => {
                    return Err(range("faults[].factor", factor, "1 to 1000"))
                }
                Fault::Partition { for_ms, .. } if for_ms == 0 || for_ms > MAX_RUN_MS => {
                    return Err(range("faults[].for_ms", for_ms, "1 to 3600000"))
                }
                _ => {}
            }
            if f.at_ms() > MAX_RUN_MS {
                return Err(range("faults[].at_ms", f.at_ms(), "0 to 3600000"));
            }
        }
        let rr = &self.request_response;
        if rr.timeout_ms == 0 || rr.timeout_ms > 600_000 {
            return Err(range("request_response.timeout_ms", rr.timeout_ms, "1 to 600000"));
        }
        if rr.max_retries > 20 {
            return Err(range("request_response.max_retries", rr.max_retries, "0 to 20"));
        }
        rr.retry_policy.validate().map_err(|e| range("request_response.retry_policy", e, "a valid backoff policy"))?;
        let r = &self.reliable;
        if r.heartbeat_every_ms == 0 || r.heartbeat_ttl_ms <= r.heartbeat_every_ms || r.reaper_every_ms == 0 {
            return Err(range(
                "reliable",
                format!(
                    "every {} ms, ttl {} ms, reaper {} ms",
                    r.heartbeat_every_ms, r.heartbeat_ttl_ms, r.reaper_every_ms
                ),
                "positive periods with heartbeat_ttl_ms > heartbeat_every_ms",
            ));
        }
        let t = &self.task;
        if t.visibility_timeout_ms < 1_000 || t.restore_every_ms == 0 {
            return Err(range(
                "task.visibility_timeout_ms",
                t.visibility_timeout_ms,
                "at least 1000 ms, with restore_every_ms > 0",
            ));
        }
        if self.dead_letter_after > 100 {
            return Err(range("dead_letter_after", self.dead_letter_after, "0 (never) to 100 deliveries"));
        }
        if t.max_retries > 100 {
            return Err(range("task.max_retries", t.max_retries, "0 to 100"));
        }
        if !(0.0..=1.0).contains(&t.long_task_fraction) || t.long_task_ms > MAX_RUN_MS {
            return Err(range(
                "task.long_task_fraction",
                t.long_task_fraction,
                "a fraction in [0, 1] with long_task_ms ≤ an hour",
            ));
        }
        t.retry_policy.validate().map_err(|e| range("task.retry_policy", e, "a valid backoff policy"))?;
        Ok(())
    }
}

/// One run of a preset: a label (what differs) and its scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    pub label: String,
    pub scenario: Scenario,
}

/// One run of workload `s` per pattern, labelled with the pattern's id.
fn each_pattern(s: &Scenario, patterns: impl IntoIterator<Item = PatternId>) -> Vec<Variant> {
    patterns.into_iter().map(|p| variant(p.id(), Scenario { pattern: p, ..s.clone() })).collect()
}

fn variant(label: &str, scenario: Scenario) -> Variant {
    Variant { label: label.to_string(), scenario }
}

/// The message presets (the TCP/UDP preset lives in `transport`).
pub const PRESETS: [&str; 8] = [
    "peak-cut",
    "consumer-crash",
    "offline-subscriber",
    "visibility-timeout",
    "retry-storm",
    "broker-restart",
    "partition",
    "poison-message",
];

/// The scenarios a preset runs, in the order they are reported.
pub fn preset(id: &str) -> Result<Vec<Variant>, ScenarioError> {
    let base = Scenario::default();
    Ok(match id {
        // A steady 40/s with a burst of 1,500 in one second: four instances of capacity ~200/s.
        "peak-cut" => {
            let s = Scenario {
                produce_for_ms: 10_000,
                drain_ms: 15_000,
                producers: Producers {
                    count: 4,
                    rate_per_s: 10.0,
                    bursts: vec![Burst { at_ms: 3_000, count: 1_500, over_ms: 1_000 }],
                },
                consumers: Consumers {
                    count: 4,
                    concurrency: 2,
                    service: Distribution::Exponential { mean_ms: 40.0 },
                    ..Consumers::default()
                },
                ..base
            };
            vec![
                variant("request-response", Scenario { pattern: PatternId::RequestResponse, ..s.clone() }),
                variant("simple-queue", Scenario { pattern: PatternId::SimpleQueue, ..s.clone() }),
                variant("reliable-queue", Scenario { pattern: PatternId::ReliableQueue, ..s }),
            ]
        }
        // Worker 0 dies at 5 s while holding work and comes back at 8 s.
        "consumer-crash" => {
            let s = Scenario {
                produce_for_ms: 10_000,
                drain_ms: 10_000,
                producers: Producers { count: 2, rate_per_s: 20.0, bursts: Vec::new() },
                consumers: Consumers {
                    count: 3,
                    concurrency: 2,
                    service: Distribution::Uniform { min_ms: 100.0, max_ms: 300.0 },
                    ..Consumers::default()
                },
                faults: vec![Fault::Crash { consumer: 0, at_ms: 5_000, down_ms: 3_000 }],
                ..base
            };
            vec![
                variant("simple-queue", Scenario { pattern: PatternId::SimpleQueue, ..s.clone() }),
                variant("reliable-queue", Scenario { pattern: PatternId::ReliableQueue, ..s.clone() }),
                variant("stream-group", Scenario { pattern: PatternId::StreamGroup, ..s }),
            ]
        }
        // Subscriber 0 is offline from 5 s to 8 s.
        "offline-subscriber" => {
            let s = Scenario {
                pattern: PatternId::Pubsub,
                produce_for_ms: 10_000,
                drain_ms: 2_000,
                producers: Producers { count: 2, rate_per_s: 20.0, bursts: Vec::new() },
                consumers: Consumers {
                    count: 3,
                    service: Distribution::Exponential { mean_ms: 5.0 },
                    ..Consumers::default()
                },
                faults: vec![Fault::Crash { consumer: 0, at_ms: 5_000, down_ms: 3_000 }],
                ..base
            };
            vec![
                variant("pubsub", s.clone()),
                variant(
                    "stream-group, a group per subscriber",
                    Scenario { pattern: PatternId::StreamGroup, group_per_consumer: true, ..s },
                ),
            ]
        }
        // A tenth of the tasks run 8 s; the visibility timeout is 5 s, acks are late.
        "visibility-timeout" => {
            let s = Scenario {
                pattern: PatternId::TaskQueue,
                produce_for_ms: 10_000,
                drain_ms: 20_000,
                producers: Producers { count: 1, rate_per_s: 5.0, bursts: Vec::new() },
                consumers: Consumers {
                    count: 3,
                    concurrency: 4,
                    prefetch_multiplier: 1,
                    service: Distribution::Uniform { min_ms: 50.0, max_ms: 150.0 },
                    ..Consumers::default()
                },
                task: TaskQueue {
                    acks_late: true,
                    visibility_timeout_ms: 5_000,
                    long_task_fraction: 0.1,
                    long_task_ms: 8_000,
                    ..TaskQueue::default()
                },
                ..base
            };
            vec![
                variant("task-queue", s.clone()),
                variant(
                    "task-queue + idempotency keys",
                    Scenario { task: TaskQueue { idempotency_keys: true, ..s.task.clone() }, ..s },
                ),
            ]
        }
        // The downstream fails everything from 2 s to 5 s; tasks retry at once or with backoff.
        "retry-storm" => {
            let s = Scenario {
                pattern: PatternId::TaskQueue,
                produce_for_ms: 8_000,
                drain_ms: 30_000,
                producers: Producers { count: 2, rate_per_s: 25.0, bursts: Vec::new() },
                consumers: Consumers {
                    count: 4,
                    concurrency: 2,
                    service: Distribution::Exponential { mean_ms: 20.0 },
                    ..Consumers::default()
                },
                faults: vec![Fault::Outage { at_ms: 2_000, for_ms: 3_000 }],
                task: TaskQueue {
                    acks_late: true,
                    visibility_timeout_ms: 60_000,
                    max_retries: 5,
                    retry_policy: Policy::None,
                    ..TaskQueue::default()
                },
                ..base
            };
            vec![
                variant("task-queue, retry at once", s.clone()),
                variant(
                    "task-queue, full-jitter backoff",
                    Scenario {
                        task: TaskQueue {
                            retry_policy: Policy::FullJitter { base_ms: 500, cap_ms: 8_000 },
                            ..s.task.clone()
                        },
                        ..s
                    },
                ),
            ]
        }
        // The broker's host crashes at 5 s for 2 s, under each persistence setting.
        "broker-restart" => {
            let s = Scenario {
                pattern: PatternId::ReliableQueue,
                produce_for_ms: 10_000,
                drain_ms: 10_000,
                producers: Producers { count: 2, rate_per_s: 50.0, bursts: Vec::new() },
                consumers: Consumers {
                    count: 2,
                    concurrency: 1,
                    service: Distribution::Exponential { mean_ms: 30.0 },
                    ..Consumers::default()
                },
                faults: vec![Fault::BrokerRestart { at_ms: 5_000, down_ms: 2_000 }],
                ..base
            };
            [Persistence::None, Persistence::Everysec, Persistence::Always]
                .into_iter()
                .map(|p| {
                    let label = match p {
                        Persistence::None => "reliable-queue, no persistence",
                        Persistence::Everysec => "reliable-queue, appendfsync everysec",
                        Persistence::Always => "reliable-queue, appendfsync always",
                    };
                    variant(label, Scenario { persistence: p, ..s.clone() })
                })
                .collect()
        }
        // The consumers are cut off from Redis from 5 s to 8 s; every pattern on one workload.
        "partition" => {
            let s = Scenario {
                produce_for_ms: 10_000,
                drain_ms: 10_000,
                producers: Producers { count: 2, rate_per_s: 5.0, bursts: Vec::new() },
                consumers: Consumers {
                    count: 3,
                    concurrency: 2,
                    service: Distribution::Uniform { min_ms: 50.0, max_ms: 150.0 },
                    ..Consumers::default()
                },
                faults: vec![Fault::Partition { at_ms: 5_000, for_ms: 3_000 }],
                task: TaskQueue { visibility_timeout_ms: 5_000, ..TaskQueue::default() },
                ..base
            };
            each_pattern(
                &s,
                [
                    PatternId::SimpleQueue,
                    PatternId::ReliableQueue,
                    PatternId::StreamGroup,
                    PatternId::Pubsub,
                    PatternId::TaskQueue,
                    PatternId::RequestResponse,
                ],
            )
        }
        // A third of the deliveries fail; the stream group dead-letters an entry after 3.
        "poison-message" => {
            let s = Scenario {
                pattern: PatternId::StreamGroup,
                produce_for_ms: 10_000,
                drain_ms: 30_000,
                producers: Producers { count: 2, rate_per_s: 10.0, bursts: Vec::new() },
                consumers: Consumers {
                    count: 3,
                    concurrency: 1,
                    service: Distribution::Constant { ms: 20.0 },
                    failure_p: 0.35,
                    ..Consumers::default()
                },
                reliable: Reliable { heartbeat_ttl_ms: 1_500, reaper_every_ms: 500, ..Reliable::default() },
                ..base
            };
            vec![
                variant("stream-group, claimed forever", s.clone()),
                variant("stream-group, dead letter after 3 deliveries", Scenario { dead_letter_after: 3, ..s }),
            ]
        }
        other => return Err(ScenarioError::UnknownPreset(other.to_string())),
    })
}

/// The presets the page offers: a fault-free workload to play with, then the comparisons.
pub const PAGE_PRESETS: [&str; 9] = [
    "steady",
    "peak-cut",
    "consumer-crash",
    "offline-subscriber",
    "visibility-timeout",
    "retry-storm",
    "broker-restart",
    "partition",
    "poison-message",
];

/// One line on what a page preset shows.
pub fn preset_summary(id: &str) -> &'static str {
    match id {
        "steady" => "Three producers at 10 msg/s each and three consumers, no faults: inject your own with the buttons.",
        "peak-cut" => "A burst of 1,500 messages in one second: request/response rejects and times out, a queue absorbs it and drains.",
        "consumer-crash" => "Consumer 0 crashes at 5 s holding work and restarts at 8 s: the simple queue loses what it held, the reliable queue and the stream redeliver it.",
        "offline-subscriber" => "Subscriber 0 is offline from 5 s to 8 s: pub/sub loses what was published meanwhile, a stream group per subscriber does not.",
        "visibility-timeout" => "A tenth of the tasks run 8 s with a 5 s visibility timeout: they are restored and run twice, unless idempotency keys guard them.",
        "retry-storm" => "The downstream fails everything from 2 s to 5 s: tasks retry at once, or with full-jitter backoff.",
        "broker-restart" => "The broker's host crashes at 5 s for 2 s: what survives depends on appendfsync.",
        "partition" => "The consumers are cut off from Redis from 5 s to 8 s: replies sent into the partition are lost with what they carried.",
        "poison-message" => "A third of the deliveries fail: the stream group claims failures forever, or dead-letters an entry after 3 deliveries.",
        _ => "",
    }
}

/// The variants of a page preset (`steady` is one run per pattern of a fault-free workload).
pub fn page_variants(id: &str) -> Result<Vec<Variant>, ScenarioError> {
    if id != "steady" {
        return preset(id);
    }
    let s = Scenario {
        produce_for_ms: 30_000,
        drain_ms: 10_000,
        producers: Producers { count: 3, rate_per_s: 10.0, bursts: Vec::new() },
        consumers: Consumers {
            count: 3,
            concurrency: 2,
            service: Distribution::Uniform { min_ms: 50.0, max_ms: 250.0 },
            ..Consumers::default()
        },
        reliable: Reliable { heartbeat_ttl_ms: 2_000, ..Reliable::default() },
        task: TaskQueue { visibility_timeout_ms: 10_000, ..TaskQueue::default() },
        ..Scenario::default()
    };
    Ok(each_pattern(&s, PatternId::ALL))
}

/// The run the page shows for `preset` and `pattern`: the preset's `index`-th variant of that
/// pattern, or, when the preset compares other patterns, its first workload run with `pattern`.
pub fn page_run(id: &str, pattern: PatternId, index: usize) -> Result<Variant, ScenarioError> {
    let all = page_variants(id)?;
    let same: Vec<&Variant> = all.iter().filter(|v| v.scenario.pattern == pattern).collect();
    if let Some(v) = same.get(index).or(same.first()) {
        return Ok((*v).clone());
    }
    let first = all.first().ok_or_else(|| ScenarioError::UnknownPreset(id.to_string()))?;
    Ok(Variant {
        label: format!("{pattern} on the {id} workload"),
        scenario: Scenario { pattern, group_per_consumer: false, ..first.scenario.clone() },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_validates_and_unknown_ids_name_the_choices() {
        for id in PRESETS {
            for v in preset(id).unwrap() {
                v.scenario.validate().unwrap_or_else(|e| panic!("{id}/{}: {e}", v.label));
            }
        }
        let e = preset("peak").unwrap_err().to_string();
        assert!(e.contains("\"peak\"") && e.contains("peak-cut"), "{e}");
        let e = "streams".parse::<PatternId>().unwrap_err().to_string();
        assert!(e.contains("stream-group") && e.contains("simple-queue"), "{e}");
    }

    #[test]
    fn bad_values_are_named() {
        let s = Scenario { consumers: Consumers { count: 0, ..Consumers::default() }, ..Scenario::default() };
        assert!(s.validate().unwrap_err().to_string().contains("consumers.count = 0"));
        let s = Scenario { faults: vec![Fault::Crash { consumer: 9, at_ms: 0, down_ms: 1 }], ..Scenario::default() };
        assert!(s.validate().unwrap_err().to_string().contains("consumer 9"));
        let s = Scenario {
            producers: Producers { count: 100, rate_per_s: 10_000.0, bursts: Vec::new() },
            ..Scenario::default()
        };
        assert!(matches!(s.validate(), Err(ScenarioError::TooManyMessages(_))));
    }
}
