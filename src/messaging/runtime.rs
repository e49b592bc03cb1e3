//! The messaging run on the kernel: producers, consumers and the broker as one [`Model`].
//!
//! Every producer and consumer is a Redis client with its own connection(s) to the modeled server
//! ([`Broker`]); they talk only by sending the exact commands a real implementation sends, one
//! `network_ms` away, and react to the frames that come back — there is no shortcut around the
//! store. Each connection keeps the queue of commands it has in flight (Redis answers a connection
//! in order), so a reply is matched to what it answers exactly as a client library does.
//!
//! The commands per pattern:
//! - `simple-queue`: `LPUSH queue m` / `BRPOP queue 1`.
//! - `reliable-queue`: `LPUSH queue m` / `BLMOVE queue processing:<w> RIGHT LEFT 1`, ack with
//!   `LREM processing:<w> 1 m`, a failed message goes back with `MULTI LREM … RPUSH queue m EXEC`.
//!   Workers `SADD workers <w>` and refresh `SET heartbeat:<w> 1 PX ttl`; a restarted worker first
//!   moves its own processing list back (`LMOVE processing:<w> queue RIGHT RIGHT` until nil); the
//!   reaper runs `SMEMBERS workers`, `EXISTS heartbeat:<w>` and moves a dead worker's list back.
//! - `pubsub`: `PUBLISH events m` / `SUBSCRIBE events`.
//! - `task-queue`: kombu's Redis transport as Celery uses it: `LPUSH celery m`, `BRPOP celery 1`
//!   while fewer than concurrency × prefetch-multiplier messages are reserved, `MULTI ZADD
//!   unacked_index <t> <tag> HSET unacked <tag> m EXEC` on delivery, `MULTI ZREM … HDEL … EXEC` to
//!   ack (before the task runs, or after with `acks_late`), and `restore_visible`: `SET
//!   unacked_mutex … EX 300 NX`, `ZREVRANGEBYSCORE unacked_index <now - visibility> 0 WITHSCORES
//!   LIMIT 0 10`, `MULTI HGET ZREM HDEL EXEC` and `RPUSH celery m` per tag. Retries publish a new
//!   message with an ETA; results go to `SET celery-task-meta-<id> … EX 86400`; the dead-letter list
//!   is `celery.dead-letter`; idempotency keys are `SET idem:<id> <tag> NX EX 86400`.
//! - `request-response`: no broker; clients call instances picked by a [`Balancer`] with a
//!   timeout and retries with a backoff [`Policy`](crate::backoff::Policy).

use super::broker::{Broker, FSYNC_PERIOD};
use super::checker::{Checker, MsgId, Report, Sample};
use super::scenario::{Fault, PatternId, Scenario, ScenarioError};
use super::trail::{DropCause, Fate, Flow, Node, StepKind, Trail};
use crate::balance::{build_balancer, Balancer, BalancerConfig, Request, ServerView};
use crate::redis::{ClientId, Event, Outcome, Reply};
use crate::sim::{Ctx, EventId, Model, SimDuration, SimRng, SimTime, Simulation, TEST_EPOCH};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// Who owns a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Actor {
    Producer(u32),
    /// Worker `w`'s consuming connection `slot` (a subscriber is slot 0).
    Slot(u32, u32),
    /// Worker `w`'s control connection (heartbeats, acks, results, restores).
    Control(u32),
    Reaper,
}

impl Actor {
    fn name(self) -> String {
        match self {
            Actor::Producer(p) => format!("producer-{p}"),
            Actor::Slot(w, s) => format!("worker-{w}/{s}"),
            Actor::Control(w) => format!("worker-{w}"),
            Actor::Reaper => "reaper".into(),
        }
    }
    /// A number for the broker's log (decoded by [`Actor::from_code`]).
    fn code(self) -> u64 {
        match self {
            Actor::Producer(p) => u64::from(p) << 8,
            Actor::Slot(w, s) => (u64::from(w) << 16) | (u64::from(s) << 8) | 1,
            Actor::Control(w) => (u64::from(w) << 8) | 2,
            Actor::Reaper => 3,
        }
    }
    fn from_code(c: u64) -> Actor {
        match c & 0xff {
            0 => Actor::Producer((c >> 8) as u32),
            1 => Actor::Slot((c >> 16) as u32, ((c >> 8) & 0xff) as u32),
            2 => Actor::Control((c >> 8) as u32),
            _ => Actor::Reaper,
        }
    }
    fn worker(self) -> Option<u32> {
        match self {
            Actor::Slot(w, _) | Actor::Control(w) => Some(w),
            Actor::Producer(_) | Actor::Reaper => None,
        }
    }
}

/// What a command in flight on a connection was for.
#[derive(Clone, Debug, PartialEq)]
enum Tag {
    /// A producer's LPUSH/PUBLISH of a message (resent if the connection fails first).
    Push(MsgId, Vec<u8>),
    /// BRPOP / BLMOVE / XREADGROUP … >.
    Pop,
    /// XREADGROUP … 0: a restarted stream consumer re-reads its own pending entries.
    History,
    /// XAUTOCLAIM of idle pending entries.
    Claim,
    Subscribe,
    /// A worker moving its own processing list back after a restart.
    Recover,
    ReaperMembers,
    ReaperExists(u32),
    ReaperMove(u32),
    /// `SET idem:<id> … NX` before job `job`'s side effect.
    Idem(u64),
    QosMutex,
    QosRange,
    /// The EXEC of one restore transaction.
    QosRestore,
    /// `XPENDING … IDLE`: which idle pending entries have been delivered too often.
    Pending,
    /// `XCLAIM … <ids>` of entries XPENDING said were delivered too often (id, deliveries): what
    /// comes back is this worker's to dead-letter (another worker's XCLAIM got nothing).
    DeadClaim(Vec<(Vec<u8>, u64)>),
    /// `XCLAIM … <ids>` of idle entries still under the limit, to process again.
    ClaimIds,
    /// Replies nobody needs (MULTI's +OK, +QUEUED, acks, heartbeats).
    Ignore,
}

#[derive(Clone, Debug, Default)]
struct Conn {
    client: Option<ClientId>,
    epoch: u32,
    inflight: VecDeque<Tag>,
    reconnecting: bool,
}

/// Kernel events of a messaging run.
#[derive(Clone, Debug, PartialEq)]
pub enum MsgEvent {
    Produce {
        producer: u32,
    },
    BurstMessage {
        producer: u32,
    },
    /// A command reaches the broker.
    ToBroker {
        actor: Actor,
        epoch: u32,
        argv: Vec<Vec<u8>>,
    },
    /// A frame reaches a client.
    ToClient {
        actor: Actor,
        epoch: u32,
        frame: Reply,
    },
    /// The connection was refused or reset.
    Reset {
        actor: Actor,
        epoch: u32,
    },
    Reconnect {
        actor: Actor,
    },
    WorkDone {
        worker: u32,
        epoch: u32,
        job: u64,
    },
    Heartbeat {
        worker: u32,
        epoch: u32,
    },
    ReaperTick,
    RestoreTick {
        worker: u32,
        epoch: u32,
    },
    EtaTick {
        worker: u32,
        epoch: u32,
    },
    /// A blocked client's timeout is due.
    BrokerWake,
    /// serverCron (active expiry) every 100 ms; the everysec fsync every second.
    Cron,
    Sample,
    FaultStart(u32),
    FaultEnd(u32),
    RrAttempt {
        req: u64,
    },
    RrArrive {
        instance: u32,
        generation: u32,
        req: u64,
        attempt: u32,
    },
    RrDone {
        instance: u32,
        generation: u32,
        req: u64,
        attempt: u32,
    },
    RrReply {
        req: u64,
        attempt: u32,
        instance: u32,
        ok: bool,
        sent: SimTime,
    },
    RrTimeout {
        req: u64,
        attempt: u32,
    },
}

#[derive(Clone, Debug)]
struct Job {
    msg: MsgId,
    payload: Vec<u8>,
    retries: u32,
    eta: SimTime,
    /// Celery's delivery tag (task-queue).
    tag: String,
    running: bool,
    acked: bool,
}

#[derive(Clone, Debug)]
struct Worker {
    up: bool,
    epoch: u32,
    slow: f64,
    rng: SimRng,
    jobs: BTreeMap<u64, Job>,
    next_job: u64,
    running: u32,
    /// Pub/sub: messages received and not yet processed, in order.
    backlog: VecDeque<u64>,
    /// Task queue: a BRPOP is in flight.
    consuming: bool,
    restoring: bool,
    deliveries: u64,
    eta_timer: Option<(SimTime, EventId)>,
    /// Reliable queue: slots wait until the restarted worker has moved its old list back.
    recovering: bool,
}

/// What a worker crash took with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrashRecord {
    pub worker: u32,
    pub at_ms: u64,
    /// Messages the worker held (popped or reserved, not finished) when it died, plus frames
    /// carrying messages that were on the wire to it.
    pub in_flight: Vec<MsgId>,
}

/// Counters beyond the checker's: what each pattern's machinery did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunStats {
    /// Request/response: attempts an instance refused (backlog full, or no instance eligible).
    pub rejected: u64,
    pub timed_out: u64,
    /// Requests that failed after every retry.
    pub failed: u64,
    /// Retries (requests or tasks).
    pub retries: u64,
    pub dead_lettered: u64,
    /// Times a message's processing started (task runs, including duplicates and failures).
    pub executions: u64,
    /// Messages restored to the queue (reaper or visibility timeout).
    pub restored: u64,
    pub broker_commands: u64,
    pub broker_restarts: u32,
    /// Producer commands resent after a connection failed.
    pub resent: u64,
    /// Request/response: rejections and timeouts from a burst's start to 2 s after its end.
    pub rejected_or_timed_out_during_burst: u64,
    /// Frames carrying a message that a partition swallowed on their way to a consumer.
    pub partition_dropped: u64,
}

struct Rr {
    balancer: Box<dyn Balancer>,
    instances: Vec<Instance>,
    requests: Vec<RrRequest>,
    rng: SimRng,
}

#[derive(Clone, Debug, Default)]
struct Instance {
    up: bool,
    generation: u32,
    busy: u32,
    queue: VecDeque<(u64, u32)>,
    outstanding: u32,
    rtt_ms: f64,
}

#[derive(Clone, Debug)]
struct RrRequest {
    msg: MsgId,
    attempt: u32,
    done: bool,
    prev_delay: Option<SimDuration>,
    timeout: Option<EventId>,
    instance: Option<u32>,
}

/// The messaging model. Build it with [`MessagingRun::new`].
pub struct MessagingModel {
    sc: Scenario,
    broker: Broker,
    conns: BTreeMap<Actor, Conn>,
    clients: BTreeMap<ClientId, Actor>,
    workers: Vec<Worker>,
    outbox: Vec<VecDeque<(MsgId, Vec<u8>)>>,
    producer_rng: Vec<SimRng>,
    producer_seq: Vec<u64>,
    next_burst_producer: u32,
    checker: Checker,
    stats: RunStats,
    crashes: Vec<CrashRecord>,
    /// (message, consumer) of every frame a partition swallowed on its way to a consumer.
    partition_drops: Vec<(MsgId, u32)>,
    published: Vec<(MsgId, i64)>,
    rr: Option<Rr>,
    outage: bool,
    wake: Option<(SimTime, EventId)>,
    start: SimTime,
    last_fsync: SimTime,
    burst_windows: Vec<(SimTime, SimTime)>,
    /// What the page draws and inspects; `None` (recording off) unless asked for.
    trail: Option<Trail>,
    /// A network partition separates the consumers from the broker (or the instances from their
    /// clients) while true.
    partitioned: bool,
}

const QUEUE: &[u8] = b"queue";
const CELERY: &[u8] = b"celery";
const CHANNEL: &[u8] = b"events";
const STREAM: &[u8] = b"stream";
const DEAD_LETTER_STREAM: &[u8] = b"stream:dead-letter";
/// The job slot of entries a worker's control connection claimed with XAUTOCLAIM.
const CLAIM_SLOT: u32 = 63;
const RECONNECT: SimDuration = SimDuration::from_millis(500);

fn argv(parts: &[&[u8]]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.to_vec()).collect()
}

/// `msg:<id>:<retries>:<eta unix ms>`: what producers put on the wire.
fn payload(id: MsgId, retries: u32, eta: SimTime) -> Vec<u8> {
    format!("msg:{id}:{retries}:{}", eta.as_unix_ms()).into_bytes()
}

/// The message a payload carries: (id, retries, eta).
pub fn parse_payload(p: &[u8]) -> Option<(MsgId, u32, SimTime)> {
    let s = std::str::from_utf8(p).ok()?.strip_prefix("msg:")?;
    let mut it = s.split(':');
    let id = it.next()?.parse().ok()?;
    let retries = it.next()?.parse().ok()?;
    let eta = it.next()?.parse().ok()?;
    Some((id, retries, SimTime::from_unix_ms(eta)))
}

/// Message ids carried anywhere in a frame (for frames lost on the wire to a dead client).
fn frame_messages(frame: &Reply, out: &mut Vec<MsgId>) {
    match frame {
        Reply::Bulk(b) => out.extend(parse_payload(b).map(|m| m.0)),
        Reply::Array(a) => a.iter().for_each(|f| frame_messages(f, out)),
        _ => {}
    }
}

/// The (id, payload) entries of an XREADGROUP reply (`[[stream, [[id, [field, value]] …]]]`) or
/// of XAUTOCLAIM's second element.
fn stream_entries(list: &Reply) -> Vec<(Vec<u8>, Vec<u8>)> {
    let Reply::Array(entries) = list else { return Vec::new() };
    entries
        .iter()
        .filter_map(|e| match e {
            Reply::Array(pair) => match (pair.first(), pair.get(1)) {
                (Some(Reply::Bulk(id)), Some(Reply::Array(fv))) => match fv.get(1) {
                    Some(Reply::Bulk(v)) => Some((id.clone(), v.clone())),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn xreadgroup_entries(frame: &Reply) -> Vec<(Vec<u8>, Vec<u8>)> {
    match frame {
        Reply::Array(streams) => match streams.first() {
            Some(Reply::Array(kv)) => kv.get(1).map(stream_entries).unwrap_or_default(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn secs(t: SimTime) -> String {
    let ms = t.as_unix_ms();
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

fn record_delivery(checker: &mut Checker, trail: &mut Option<Trail>, at_ms: u64, msg: MsgId, copy: usize, w: u32) {
    let before = checker.deliveries(msg, copy);
    checker.deliver(msg, copy);
    if let Some(t) = trail {
        let fate = if before > 0 || checker.is_processed(msg, copy) { Fate::Duplicate } else { Fate::Delivered };
        t.note(at_ms, msg, StepKind::Delivered { consumer: w, delivery: before.saturating_add(1) });
        t.flow(Flow { at_ms, msg, from: Node::Broker, to: Node::Consumer(w), fate });
    }
}

fn record_processing(
    checker: &mut Checker,
    trail: &mut Option<Trail>,
    at_ms: u64,
    now: SimTime,
    msg: MsgId,
    copy: usize,
    w: u32,
) {
    let duplicate = checker.is_processed(msg, copy);
    checker.process(msg, copy, now);
    if let Some(t) = trail {
        t.note(at_ms, msg, StepKind::Processed { consumer: w, duplicate });
    }
}

impl MessagingModel {
    fn new(sc: Scenario, seed: u64) -> Result<Self, ScenarioError> {
        sc.validate()?;
        let root = SimRng::new(seed);
        let n = sc.consumers.count;
        let copies = sc.copies();
        let workers = (0..n)
            .map(|w| Worker {
                up: true,
                epoch: 0,
                slow: 1.0,
                rng: root.child_indexed("worker", u64::from(w)),
                jobs: BTreeMap::new(),
                next_job: 0,
                running: 0,
                backlog: VecDeque::new(),
                consuming: false,
                restoring: false,
                deliveries: 0,
                eta_timer: None,
                recovering: false,
            })
            .collect();
        let rr = if sc.pattern == PatternId::RequestResponse {
            let balancer = build_balancer(
                sc.request_response.balancer,
                &BalancerConfig::default(),
                n as usize,
                // No passive health check in this pattern: nginx's max_fails=0.
                crate::balance::passive::MaxFails::OFF.max_fails,
                root.child("balancer"),
            )
            .map_err(|e| ScenarioError::Range {
                field: "request_response.balancer",
                value: e.to_string(),
                accepted: "a balancer that works with this many instances",
            })?;
            Some(Rr {
                balancer,
                instances: vec![Instance { up: true, ..Instance::default() }; n as usize],
                requests: Vec::new(),
                rng: root.child("retry"),
            })
        } else {
            None
        };
        let p = sc.producers.count as usize;
        Ok(MessagingModel {
            broker: Broker::new(root.child("broker"), sc.persistence),
            conns: BTreeMap::new(),
            clients: BTreeMap::new(),
            workers,
            outbox: vec![VecDeque::new(); p],
            producer_rng: (0..p).map(|i| root.child_indexed("producer", i as u64)).collect(),
            producer_seq: vec![0; p],
            next_burst_producer: 0,
            checker: Checker::new(copies),
            stats: RunStats::default(),
            crashes: Vec::new(),
            partition_drops: Vec::new(),
            published: Vec::new(),
            rr,
            outage: false,
            wake: None,
            start: TEST_EPOCH,
            last_fsync: TEST_EPOCH,
            burst_windows: Vec::new(),
            trail: None,
            partitioned: false,
            sc,
        })
    }

    fn latency(&self) -> SimDuration {
        SimDuration::from_millis(self.sc.network_ms)
    }

    fn elapsed_ms(&self, now: SimTime) -> u64 {
        now.saturating_since(self.start).as_millis()
    }

    fn at(&self, ms: u64) -> SimTime {
        self.start.saturating_add(SimDuration::from_millis(ms))
    }

    fn note(&mut self, now: SimTime, msg: MsgId, kind: StepKind) {
        let at_ms = self.elapsed_ms(now);
        if let Some(t) = &mut self.trail {
            t.note(at_ms, msg, kind);
        }
    }

    fn flow(&mut self, now: SimTime, msg: MsgId, from: Node, to: Node, fate: Fate) {
        let at_ms = self.elapsed_ms(now);
        if let Some(t) = &mut self.trail {
            t.flow(Flow { at_ms, msg, from, to, fate });
        }
    }

    /// A copy of `msg` reached consumer `w` (as unit `copy`): counted by the checker, drawn and
    /// noted as a first delivery or a redelivery.
    fn delivered(&mut self, now: SimTime, msg: MsgId, copy: usize, w: u32) {
        let at_ms = self.elapsed_ms(now);
        record_delivery(&mut self.checker, &mut self.trail, at_ms, msg, copy, w);
    }

    /// Consumer `w` performed `msg`'s side effect (as unit `copy`).
    fn processed(&mut self, now: SimTime, msg: MsgId, copy: usize, w: u32) {
        let at_ms = self.elapsed_ms(now);
        record_processing(&mut self.checker, &mut self.trail, at_ms, now, msg, copy, w);
    }

    // ---- start -------------------------------------------------------------------------------

    fn start_run(&mut self, ctx: &mut Ctx<'_, MsgEvent>) {
        self.start = ctx.now();
        self.last_fsync = ctx.now();
        for p in 0..self.sc.producers.count {
            self.schedule_next_produce(ctx, p);
        }
        for b in self.sc.producers.bursts.clone() {
            let count = u64::from(b.count.max(1));
            for i in 0..u64::from(b.count) {
                let at = self.at(b.at_ms.saturating_add(b.over_ms.saturating_mul(i) / count));
                let producer = self.next_burst_producer;
                self.next_burst_producer = (self.next_burst_producer + 1) % self.sc.producers.count;
                ctx.schedule_at(at, MsgEvent::BurstMessage { producer });
            }
            self.burst_windows.push((self.at(b.at_ms), self.at(b.at_ms.saturating_add(b.over_ms))));
        }
        for (i, f) in self.sc.faults.clone().iter().enumerate() {
            ctx.schedule_at(self.at(f.at_ms()), MsgEvent::FaultStart(i as u32));
        }
        ctx.schedule_in(SimDuration::ZERO, MsgEvent::Sample);
        if self.sc.pattern == PatternId::RequestResponse {
            return;
        }
        ctx.schedule_in(self.broker.store().cron_period(), MsgEvent::Cron);
        for w in 0..self.sc.consumers.count {
            self.start_worker(ctx, w);
        }
        if self.sc.pattern == PatternId::ReliableQueue {
            ctx.schedule_in(SimDuration::from_millis(self.sc.reliable.reaper_every_ms), MsgEvent::ReaperTick);
        }
    }

    fn schedule_next_produce(&mut self, ctx: &mut Ctx<'_, MsgEvent>, p: u32) {
        let rate = self.sc.producers.rate_per_s;
        if rate <= 0.0 {
            return;
        }
        let gap = self.producer_rng[p as usize].exponential(1000.0 / rate);
        let at = ctx.now() + SimDuration::from_millis_f64(gap);
        if self.elapsed_ms(at) < self.sc.produce_for_ms {
            ctx.schedule_at(at, MsgEvent::Produce { producer: p });
        }
    }

    fn start_worker(&mut self, ctx: &mut Ctx<'_, MsgEvent>, w: u32) {
        let epoch = self.workers[w as usize].epoch;
        match self.sc.pattern {
            PatternId::SimpleQueue => {
                for s in 0..self.sc.consumers.concurrency {
                    self.pop(ctx, Actor::Slot(w, s));
                }
            }
            PatternId::ReliableQueue => {
                self.workers[w as usize].recovering = true;
                let name = format!("{w}");
                self.send(ctx, Actor::Control(w), Tag::Ignore, argv(&[b"SADD", b"workers", name.as_bytes()]));
                self.heartbeat(ctx, w);
                self.send_recover(ctx, w);
            }
            PatternId::Pubsub => {
                self.send(ctx, Actor::Slot(w, 0), Tag::Subscribe, argv(&[b"SUBSCRIBE", CHANNEL]));
            }
            PatternId::TaskQueue => {
                self.consume(ctx, w);
                let every = SimDuration::from_millis(self.sc.task.restore_every_ms);
                ctx.schedule_in(every, MsgEvent::RestoreTick { worker: w, epoch });
            }
            PatternId::StreamGroup => {
                let group = self.group(w);
                self.send(
                    ctx,
                    Actor::Control(w),
                    Tag::Ignore,
                    argv(&[b"XGROUP", b"CREATE", STREAM, group.as_bytes(), b"0", b"MKSTREAM"]),
                );
                for s in 0..self.sc.consumers.concurrency {
                    self.read_history(ctx, w, s);
                }
                let every = SimDuration::from_millis(self.sc.reliable.reaper_every_ms);
                ctx.schedule_in(every, MsgEvent::RestoreTick { worker: w, epoch });
            }
            PatternId::RequestResponse => {}
        }
    }

    fn copy_of(&self, w: u32) -> usize {
        if self.sc.copies() > 1 {
            w as usize
        } else {
            0
        }
    }

    /// The consumer group worker `w` reads in.
    fn group(&self, w: u32) -> String {
        if self.sc.group_per_consumer {
            format!("g{w}")
        } else {
            "workers".into()
        }
    }

    /// `XREADGROUP GROUP <group> c<w>.<s> COUNT 1 [BLOCK ms] STREAMS <stream> <id>` for slot `s` of
    /// worker `w`: id `0` re-reads its own pending entries, `>` asks for new ones.
    fn xreadgroup(&self, w: u32, s: u32, block_ms: Option<&[u8]>, id: &[u8]) -> Vec<Vec<u8>> {
        let group = self.group(w);
        let consumer = format!("c{w}.{s}");
        let mut parts: Vec<&[u8]> =
            vec![b"XREADGROUP", b"GROUP", group.as_bytes(), consumer.as_bytes(), b"COUNT", b"1"];
        if let Some(ms) = block_ms {
            parts.extend([b"BLOCK".as_slice(), ms]);
        }
        parts.extend([b"STREAMS".as_slice(), STREAM, id]);
        argv(&parts)
    }

    fn read_history(&mut self, ctx: &mut Ctx<'_, MsgEvent>, w: u32, s: u32) {
        let cmd = self.xreadgroup(w, s, None, b"0");
        self.send(ctx, Actor::Slot(w, s), Tag::History, cmd);
    }

    // ---- connections -------------------------------------------------------------------------

    /// Sends `command` on `actor`'s connection (connecting first). Returns false when the broker
    /// is unreachable; the tag's owner then hears about it through [`MessagingModel::failed`].
    fn send(&mut self, ctx: &mut Ctx<'_, MsgEvent>, actor: Actor, tag: Tag, command: Vec<Vec<u8>>) -> bool {
        let lat = self.latency();
        let conn = self.conns.entry(actor).or_default();
        if conn.client.is_none() {
            match self.broker.connect(ctx.now()) {
                Some(id) => {
                    conn.client = Some(id);
                    self.clients.insert(id, actor);
                }
                None => {
                    if !conn.reconnecting {
                        conn.reconnecting = true;
                        ctx.schedule_in(RECONNECT, MsgEvent::Reconnect { actor });
                    }
                    self.failed(actor, tag);
                    return false;
                }
            }
        }
        conn.inflight.push_back(tag);
        let epoch = conn.epoch;
        ctx.schedule_in(lat, MsgEvent::ToBroker { actor, epoch, argv: command });
        true
    }

    /// A command that never ran (the connection failed first): its owner makes up for it.
    fn failed(&mut self, actor: Actor, tag: Tag) {
        match (actor, tag) {
            (Actor::Producer(p), Tag::Push(id, bytes)) => {
                self.stats.resent += 1;
                self.outbox[p as usize].push_front((id, bytes));
            }
            (Actor::Slot(w, _), Tag::Pop) => self.workers[w as usize].consuming = false,
            (Actor::Control(w), Tag::QosMutex | Tag::QosRange | Tag::Claim | Tag::Pending | Tag::ClaimIds) => {
                self.workers[w as usize].restoring = false
            }
            (Actor::Control(w), Tag::Idem(job)) => {
                // The key was never checked: the task goes back to waiting for a free slot.
                let wk = &mut self.workers[w as usize];
                wk.running = wk.running.saturating_sub(1);
                if let Some(j) = wk.jobs.get_mut(&job) {
                    j.running = false;
                }
            }
            _ => {}
        }
    }

    fn on_to_broker(&mut self, ctx: &mut Ctx<'_, MsgEvent>, actor: Actor, epoch: u32, command: Vec<Vec<u8>>) {
        let Some(conn) = self.conns.get(&actor) else {
            return;
        };
        if conn.epoch != epoch {
            return; // sent on a connection that has since closed
        }
        let Some(client) = conn.client else { return };
        if self.partitioned && actor.worker().is_some() {
            return; // lost in the partition; the client's socket timeout will notice
        }
        if !self.broker.is_up() {
            ctx.schedule_in(self.latency(), MsgEvent::Reset { actor, epoch });
            return;
        }
        let outcome = self.broker.execute(actor.code(), client, ctx.now(), command);
        let lat = self.latency();
        match outcome {
            Outcome::Replied(frames) | Outcome::Closed(frames) => {
                for frame in frames {
                    ctx.schedule_in(lat, MsgEvent::ToClient { actor, epoch, frame });
                }
            }
            Outcome::Blocked => {}
        }
        self.route_outputs(ctx);
    }

    fn route_outputs(&mut self, ctx: &mut Ctx<'_, MsgEvent>) {
        let lat = self.latency();
        for out in self.broker.take_outputs() {
            let Some(&actor) = self.clients.get(&out.client) else {
                continue;
            };
            let Some(conn) = self.conns.get(&actor) else {
                continue;
            };
            let epoch = conn.epoch;
            match out.event {
                Event::Reply(frame) => {
                    ctx.schedule_in(lat, MsgEvent::ToClient { actor, epoch, frame });
                }
                Event::Closed => {
                    ctx.schedule_in(lat, MsgEvent::Reset { actor, epoch });
                }
            }
        }
        let next = self.broker.next_timeout();
        match (next, self.wake) {
            (Some(t), Some((at, _))) if at <= t => {}
            (Some(t), prev) => {
                if let Some((_, id)) = prev {
                    ctx.cancel(id);
                }
                self.wake = Some((t, ctx.schedule_at(t, MsgEvent::BrokerWake)));
            }
            (None, _) => {}
        }
    }

    fn on_reset(&mut self, ctx: &mut Ctx<'_, MsgEvent>, actor: Actor, epoch: u32) {
        let Some(conn) = self.conns.get_mut(&actor) else {
            return;
        };
        if conn.epoch != epoch {
            return;
        }
        conn.epoch += 1;
        if let Some(c) = conn.client.take() {
            self.clients.remove(&c);
        }
        let tags: Vec<Tag> = conn.inflight.drain(..).collect();
        let schedule = !conn.reconnecting;
        conn.reconnecting = true;
        for t in tags {
            self.failed(actor, t);
        }
        if schedule {
            ctx.schedule_in(RECONNECT, MsgEvent::Reconnect { actor });
        }
    }

    fn on_reconnect(&mut self, ctx: &mut Ctx<'_, MsgEvent>, actor: Actor) {
        if let Some(c) = self.conns.get_mut(&actor) {
            c.reconnecting = false;
        }
        if let Some(w) = actor.worker() {
            if !self.workers[w as usize].up {
                return;
            }
        }
        if !self.broker.is_up() {
            if let Some(c) = self.conns.get_mut(&actor) {
                c.reconnecting = true;
            }
            ctx.schedule_in(RECONNECT, MsgEvent::Reconnect { actor });
            return;
        }
        match actor {
            Actor::Producer(p) => self.flush_outbox(ctx, p),
            Actor::Slot(w, _) => match self.sc.pattern {
                PatternId::Pubsub => {
                    self.send(ctx, actor, Tag::Subscribe, argv(&[b"SUBSCRIBE", CHANNEL]));
                }
                PatternId::TaskQueue => self.consume(ctx, w),
                PatternId::StreamGroup => {
                    if let Actor::Slot(_, s) = actor {
                        if self.slot_idle(actor)
                            && !self.conns.get(&actor).is_some_and(|c| c.inflight.contains(&Tag::History))
                        {
                            self.read_history(ctx, w, s);
                        }
                    }
                }
                _ => {
                    if !self.workers[w as usize].recovering && self.slot_idle(actor) {
                        self.pop(ctx, actor);
                    }
                }
            },
            Actor::Control(w) => match self.sc.pattern {
                PatternId::ReliableQueue => {
                    let name = format!("{w}");
                    self.send(ctx, actor, Tag::Ignore, argv(&[b"SADD", b"workers", name.as_bytes()]));
                    if self.workers[w as usize].recovering {
                        self.send_recover(ctx, w);
                    }
                }
                PatternId::TaskQueue => self.schedule_runs(ctx, w),
                _ => {}
            },
            Actor::Reaper => {}
        }
    }

    fn slot_idle(&self, actor: Actor) -> bool {
        let Actor::Slot(w, s) = actor else {
            return false;
        };
        let busy = self.workers[w as usize].jobs.keys().any(|j| (*j % 64) as u32 == s && s < 64);
        let waiting = self.conns.get(&actor).is_some_and(|c| c.inflight.contains(&Tag::Pop));
        !busy && !waiting
    }

    fn on_to_client(&mut self, ctx: &mut Ctx<'_, MsgEvent>, actor: Actor, epoch: u32, frame: Reply) {
        let Some(conn) = self.conns.get_mut(&actor) else {
            return;
        };
        if conn.epoch != epoch {
            // On the wire to a connection that died: what it carried is gone with it.
            if let Some(w) = actor.worker() {
                let mut lost = Vec::new();
                frame_messages(&frame, &mut lost);
                if let Some(rec) = self.crashes.iter_mut().rev().find(|c| c.worker == w) {
                    rec.in_flight.extend(lost);
                }
            }
            return;
        }
        if self.partitioned {
            if let Some(w) = actor.worker() {
                // Never arrives: what the broker handed to this connection is gone with the frame.
                let mut lost = Vec::new();
                frame_messages(&frame, &mut lost);
                for m in lost {
                    self.stats.partition_dropped += 1;
                    self.partition_drops.push((m, w));
                    self.note(ctx.now(), m, StepKind::Dropped { consumer: w, cause: DropCause::Partition });
                    self.flow(ctx.now(), m, Node::Broker, Node::Consumer(w), Fate::Lost);
                }
                return;
            }
        }
        if self.sc.pattern == PatternId::Pubsub {
            if let Actor::Slot(w, _) = actor {
                return self.on_pubsub_frame(ctx, w, frame);
            }
        }
        let Some(tag) = conn.inflight.pop_front() else {
            return;
        };
        self.on_reply(ctx, actor, tag, frame);
    }

    // ---- producers ---------------------------------------------------------------------------

    fn produce(&mut self, ctx: &mut Ctx<'_, MsgEvent>, p: u32) {
        let seq = self.producer_seq[p as usize];
        self.producer_seq[p as usize] += 1;
        let id = self.checker.produce(p, seq, ctx.now());
        self.note(ctx.now(), id, StepKind::Produced { producer: p });
        self.flow(ctx.now(), id, Node::Producer(p), Node::Broker, Fate::Sent);
        if self.sc.pattern == PatternId::RequestResponse {
            if let Some(rr) = &mut self.rr {
                rr.requests.push(RrRequest {
                    msg: id,
                    attempt: 0,
                    done: false,
                    prev_delay: None,
                    timeout: None,
                    instance: None,
                });
            }
            return self.rr_attempt(ctx, id);
        }
        let eta = ctx.now() + SimDuration::from_millis(self.sc.task.countdown_ms);
        let eta = if self.sc.pattern == PatternId::TaskQueue { eta } else { ctx.now() };
        self.outbox[p as usize].push_back((id, payload(id, 0, eta)));
        self.flush_outbox(ctx, p);
    }

    fn flush_outbox(&mut self, ctx: &mut Ctx<'_, MsgEvent>, p: u32) {
        while let Some((id, bytes)) = self.outbox[p as usize].pop_front() {
            let command = match self.sc.pattern {
                PatternId::Pubsub => argv(&[b"PUBLISH", CHANNEL, &bytes]),
                PatternId::TaskQueue => argv(&[b"LPUSH", CELERY, &bytes]),
                PatternId::StreamGroup => argv(&[b"XADD", STREAM, b"*", b"payload", &bytes]),
                _ => argv(&[b"LPUSH", QUEUE, &bytes]),
            };
            if !self.send(ctx, Actor::Producer(p), Tag::Push(id, bytes), command) {
                return;
            }
        }
    }

    // ---- replies -----------------------------------------------------------------------------

    fn on_reply(&mut self, ctx: &mut Ctx<'_, MsgEvent>, actor: Actor, tag: Tag, frame: Reply) {
        match (actor, tag) {
            (Actor::Producer(_), Tag::Push(id, _)) => {
                if let Reply::Integer(n) = frame {
                    if self.sc.pattern == PatternId::Pubsub {
                        self.published.push((id, n));
                        if self.trail.is_some() {
                            self.note(ctx.now(), id, StepKind::Published { receivers: n });
                            let offline: Vec<u32> =
                                (0..self.sc.consumers.count).filter(|w| !self.workers[*w as usize].up).collect();
                            for w in offline {
                                self.note(ctx.now(), id, StepKind::Dropped { consumer: w, cause: DropCause::Offline });
                                self.flow(ctx.now(), id, Node::Broker, Node::Consumer(w), Fate::Lost);
                            }
                        }
                    }
                }
            }
            (Actor::Slot(w, s), Tag::Pop) if self.sc.pattern == PatternId::StreamGroup => {
                self.on_stream_read(ctx, w, s, frame, false)
            }
            (Actor::Slot(w, s), Tag::History) => self.on_stream_read(ctx, w, s, frame, true),
            (Actor::Control(w), Tag::Claim) => {
                let entries = match &frame {
                    Reply::Array(parts) => parts.get(1).map(stream_entries).unwrap_or_default(),
                    _ => Vec::new(),
                };
                self.take_claimed(ctx, w, entries);
            }
            (Actor::Slot(w, s), Tag::Pop) => self.on_pop(ctx, w, s, frame),
            (Actor::Control(w), Tag::Recover) => {
                if let Reply::Bulk(p) = &frame {
                    self.stats.restored += 1;
                    if let Some((msg, _, _)) = parse_payload(p) {
                        self.note(ctx.now(), msg, StepKind::Restored { by: "the restarted worker's recovery" });
                    }
                    self.send_recover(ctx, w);
                } else {
                    self.workers[w as usize].recovering = false;
                    for s in 0..self.sc.consumers.concurrency {
                        self.pop(ctx, Actor::Slot(w, s));
                    }
                }
            }
            (Actor::Control(w), Tag::Idem(job)) => self.on_idem(ctx, w, job, frame),
            (Actor::Control(w), Tag::Pending) => self.on_pending(ctx, w, frame),
            (Actor::Control(w), Tag::DeadClaim(counts)) => self.dead_letter(ctx, w, &frame, &counts),
            (Actor::Control(w), Tag::ClaimIds) => {
                let entries = stream_entries(&frame);
                self.take_claimed(ctx, w, entries);
            }
            (Actor::Control(w), Tag::QosMutex) => {
                if frame == Reply::ok() {
                    let ceil = ctx.now().as_unix_ms().saturating_sub(self.sc.task.visibility_timeout_ms);
                    let ceil = secs(SimTime::from_unix_ms(ceil));
                    self.send(
                        ctx,
                        actor,
                        Tag::QosRange,
                        argv(&[
                            b"ZREVRANGEBYSCORE",
                            b"unacked_index",
                            ceil.as_bytes(),
                            b"0",
                            b"WITHSCORES",
                            b"LIMIT",
                            b"0",
                            b"10",
                        ]),
                    );
                } else {
                    self.workers[w as usize].restoring = false;
                }
            }
            (Actor::Control(w), Tag::QosRange) => {
                if let Reply::Array(items) = frame {
                    for pair in items.chunks(2) {
                        if let Reply::Bulk(tag) = &pair[0] {
                            self.send(ctx, actor, Tag::Ignore, argv(&[b"MULTI"]));
                            self.send(ctx, actor, Tag::Ignore, argv(&[b"HGET", b"unacked", tag]));
                            self.send(ctx, actor, Tag::Ignore, argv(&[b"ZREM", b"unacked_index", tag]));
                            self.send(ctx, actor, Tag::Ignore, argv(&[b"HDEL", b"unacked", tag]));
                            self.send(ctx, actor, Tag::QosRestore, argv(&[b"EXEC"]));
                        }
                    }
                }
                self.send(ctx, actor, Tag::Ignore, argv(&[b"DEL", b"unacked_mutex"]));
                self.workers[w as usize].restoring = false;
            }
            (Actor::Control(_), Tag::QosRestore) => {
                if let Reply::Array(r) = frame {
                    if let Some(Reply::Bulk(p)) = r.first() {
                        self.stats.restored += 1;
                        if let Some((msg, _, _)) = parse_payload(p) {
                            self.note(
                                ctx.now(),
                                msg,
                                StepKind::Restored { by: "restore_visible (visibility timeout)" },
                            );
                        }
                        let p = p.clone();
                        self.send(ctx, actor, Tag::Ignore, argv(&[b"RPUSH", CELERY, &p]));
                    }
                }
            }
            (Actor::Reaper, Tag::ReaperMembers) => {
                if let Reply::Array(names) = frame {
                    for n in names {
                        if let Reply::Bulk(b) = n {
                            let Some(w) = std::str::from_utf8(&b).ok().and_then(|s| s.parse::<u32>().ok()) else {
                                continue;
                            };
                            let key = format!("heartbeat:{w}");
                            self.send(ctx, actor, Tag::ReaperExists(w), argv(&[b"EXISTS", key.as_bytes()]));
                        }
                    }
                }
            }
            (Actor::Reaper, Tag::ReaperExists(w)) => {
                if frame == Reply::Integer(0) {
                    self.reaper_move(ctx, w);
                }
            }
            (Actor::Reaper, Tag::ReaperMove(w)) => {
                if let Reply::Bulk(p) = &frame {
                    self.stats.restored += 1;
                    if let Some((msg, _, _)) = parse_payload(p) {
                        self.note(ctx.now(), msg, StepKind::Restored { by: "the reaper" });
                    }
                    self.reaper_move(ctx, w);
                }
            }
            (_, _) => {}
        }
    }

    fn on_stream_read(&mut self, ctx: &mut Ctx<'_, MsgEvent>, w: u32, s: u32, frame: Reply, history: bool) {
        let entries = xreadgroup_entries(&frame);
        let Some((id, payload)) = entries.into_iter().next() else {
            // Nothing pending (history done) or the BLOCK timed out: read new entries.
            return self.stream_pop(ctx, w, s);
        };
        let Some((msg, retries, eta)) = parse_payload(&payload) else { return self.stream_pop(ctx, w, s) };
        self.delivered(ctx.now(), msg, self.copy_of(w), w);
        let tag = String::from_utf8_lossy(&id).into_owned();
        let job = self.new_job(w, s, Job { msg, payload, retries, eta, tag, running: true, acked: history });
        self.run_job(ctx, w, job);
    }

    fn stream_pop(&mut self, ctx: &mut Ctx<'_, MsgEvent>, w: u32, s: u32) {
        let cmd = self.xreadgroup(w, s, Some(b"1000"), b">");
        self.send(ctx, Actor::Slot(w, s), Tag::Pop, cmd);
    }

    fn reaper_move(&mut self, ctx: &mut Ctx<'_, MsgEvent>, w: u32) {
        let key = format!("processing:{w}");
        self.send(ctx, Actor::Reaper, Tag::ReaperMove(w), argv(&[b"LMOVE", key.as_bytes(), QUEUE, b"RIGHT", b"RIGHT"]));
    }

    fn send_recover(&mut self, ctx: &mut Ctx<'_, MsgEvent>, w: u32) {
        let key = format!("processing:{w}");
        self.send(ctx, Actor::Control(w), Tag::Recover, argv(&[b"LMOVE", key.as_bytes(), QUEUE, b"RIGHT", b"RIGHT"]));
    }

    fn heartbeat(&mut self, ctx: &mut Ctx<'_, MsgEvent>, w: u32) {
        let key = format!("heartbeat:{w}");
        let ttl = self.sc.reliable.heartbeat_ttl_ms.to_string();
        self.send(ctx, Actor::Control(w), Tag::Ignore, argv(&[b"SET", key.as_bytes(), b"1", b"PX", ttl.as_bytes()]));
        let epoch = self.workers[w as usize].epoch;
        ctx.schedule_in(
            SimDuration::from_millis(self.sc.reliable.heartbeat_every_ms),
            MsgEvent::Heartbeat { worker: w, epoch },
        );
    }

    // ---- list queues -------------------------------------------------------------------------

    fn pop(&mut self, ctx: &mut Ctx<'_, MsgEvent>, actor: Actor) {
        let Actor::Slot(w, _) = actor else { return };
        let command = match self.sc.pattern {
            PatternId::ReliableQueue => {
                let key = format!("processing:{w}");
                argv(&[b"BLMOVE", QUEUE, key.as_bytes(), b"RIGHT", b"LEFT", b"1"])
            }
            _ => argv(&[b"BRPOP", QUEUE, b"1"]),
        };
        self.send(ctx, actor, Tag::Pop, command);
    }

    fn on_pop(&mut self, ctx: &mut Ctx<'_, MsgEvent>, w: u32, s: u32, frame: Reply) {
        let bytes = match frame {
            Reply::Array(mut kv) if kv.len() == 2 => match kv.pop() {
                Some(Reply::Bulk(b)) => Some(b),
                _ => None,
            },
            Reply::Bulk(b) => Some(b),
            _ => None,
        };
        if self.sc.pattern == PatternId::TaskQueue {
            self.workers[w as usize].consuming = false;
            if let Some(b) = bytes {
                self.reserve(ctx, w, b);
            }
            return self.consume(ctx, w);
        }
        let Some(b) = bytes else {
            return self.pop(ctx, Actor::Slot(w, s));
        };
        let Some((msg, retries, eta)) = parse_payload(&b) else {
            return self.pop(ctx, Actor::Slot(w, s));
        };
        self.delivered(ctx.now(), msg, 0, w);
        let job =
            self.new_job(w, s, Job { msg, payload: b, retries, eta, tag: String::new(), running: true, acked: false });
        self.run_job(ctx, w, job);
    }

    /// Job ids encode the slot in their low 6 bits (concurrency ≤ 64).
    fn new_job(&mut self, w: u32, slot: u32, job: Job) -> u64 {
        let wk = &mut self.workers[w as usize];
        let id = wk.next_job * 64 + u64::from(slot % 64);
        wk.next_job += 1;
        wk.jobs.insert(id, job);
        id
    }

    fn run_job(&mut self, ctx: &mut Ctx<'_, MsgEvent>, w: u32, job: u64) {
        self.stats.executions += 1;
        let long = (self.sc.task.long_task_fraction, self.sc.task.long_task_ms);
        let wk = &mut self.workers[w as usize];
        wk.running += 1;
        let mut ms = self.sc.consumers.service.sample_ms(&mut wk.rng);
        if self.sc.pattern == PatternId::TaskQueue && long.0 > 0.0 && wk.rng.bernoulli(long.0) {
            ms = long.1 as f64;
        }
        let d = SimDuration::from_millis_f64(ms * wk.slow);
        ctx.schedule_in(d, MsgEvent::WorkDone { worker: w, epoch: wk.epoch, job });
    }

    fn on_work_done(&mut self, ctx: &mut Ctx<'_, MsgEvent>, w: u32, epoch: u32, job_id: u64) {
        let fail_p = self.sc.consumers.failure_p;
        let outage = self.outage;
        let wk = &mut self.workers[w as usize];
        if wk.epoch != epoch || !wk.up {
            return;
        }
        let Some(job) = wk.jobs.remove(&job_id) else {
            return;
        };
        wk.running = wk.running.saturating_sub(1);
        let failed = outage || wk.rng.bernoulli(fail_p);
        let slot = (job_id % 64) as u32;
        let copy = self.copy_of(w);
        if failed {
            self.note(ctx.now(), job.msg, StepKind::Failed { consumer: w });
        }
        match self.sc.pattern {
            PatternId::SimpleQueue => {
                if !failed {
                    self.processed(ctx.now(), job.msg, 0, w);
                }
                self.pop(ctx, Actor::Slot(w, slot));
            }
            PatternId::ReliableQueue => {
                let key = format!("processing:{w}");
                let c = Actor::Slot(w, slot);
                if failed {
                    self.send(ctx, c, Tag::Ignore, argv(&[b"MULTI"]));
                    self.send(ctx, c, Tag::Ignore, argv(&[b"LREM", key.as_bytes(), b"1", &job.payload]));
                    self.send(ctx, c, Tag::Ignore, argv(&[b"RPUSH", QUEUE, &job.payload]));
                    self.send(ctx, c, Tag::Ignore, argv(&[b"EXEC"]));
                } else {
                    self.processed(ctx.now(), job.msg, 0, w);
                    self.send(ctx, c, Tag::Ignore, argv(&[b"LREM", key.as_bytes(), b"1", &job.payload]));
                }
                self.pop(ctx, c);
            }
            PatternId::Pubsub => {
                if !failed {
                    self.processed(ctx.now(), job.msg, copy, w);
                }
                self.next_pubsub(ctx, w);
            }
            PatternId::TaskQueue => self.finish_task(ctx, w, job, failed, true),
            PatternId::StreamGroup => {
                let group = self.group(w);
                let c = if slot == CLAIM_SLOT { Actor::Control(w) } else { Actor::Slot(w, slot) };
                if !failed {
                    self.processed(ctx.now(), job.msg, copy, w);
                    self.send(ctx, c, Tag::Ignore, argv(&[b"XACK", STREAM, group.as_bytes(), job.tag.as_bytes()]));
                }
                // A failed entry stays pending: XAUTOCLAIM hands it out again once it is idle.
                if slot != CLAIM_SLOT {
                    // `acked` marks a job read from the consumer's own history: keep draining it.
                    if job.acked {
                        self.read_history(ctx, w, slot);
                    } else {
                        self.stream_pop(ctx, w, slot);
                    }
                }
            }
            PatternId::RequestResponse => {}
        }
    }

    // ---- pub/sub -----------------------------------------------------------------------------

    fn on_pubsub_frame(&mut self, ctx: &mut Ctx<'_, MsgEvent>, w: u32, frame: Reply) {
        let Reply::Array(parts) = frame else { return };
        match parts.first() {
            Some(Reply::Bulk(k)) if k.as_slice() == b"message" => {
                let Some(Reply::Bulk(b)) = parts.get(2) else {
                    return;
                };
                let Some((msg, _, _)) = parse_payload(b) else {
                    return;
                };
                self.delivered(ctx.now(), msg, w as usize, w);
                let job = self.new_job(
                    w,
                    0,
                    Job {
                        msg,
                        payload: b.clone(),
                        retries: 0,
                        eta: ctx.now(),
                        tag: String::new(),
                        running: false,
                        acked: true,
                    },
                );
                self.workers[w as usize].backlog.push_back(job);
                self.next_pubsub(ctx, w);
            }
            Some(Reply::Bulk(k)) if k.as_slice() == b"subscribe" => {
                if let Some(c) = self.conns.get_mut(&Actor::Slot(w, 0)) {
                    c.inflight.pop_front();
                }
            }
            _ => {}
        }
    }

    fn next_pubsub(&mut self, ctx: &mut Ctx<'_, MsgEvent>, w: u32) {
        let conc = self.sc.consumers.concurrency;
        let wk = &mut self.workers[w as usize];
        if wk.running >= conc {
            return;
        }
        if let Some(job) = wk.backlog.pop_front() {
            if let Some(j) = wk.jobs.get_mut(&job) {
                j.running = true;
            }
            self.run_job(ctx, w, job);
        }
    }

    // ---- task queue (Celery on kombu's Redis transport) ---------------------------------------

    fn prefetch(&self) -> usize {
        (self.sc.consumers.concurrency * self.sc.consumers.prefetch_multiplier) as usize
    }

    fn consume(&mut self, ctx: &mut Ctx<'_, MsgEvent>, w: u32) {
        let limit = self.prefetch();
        let wk = &self.workers[w as usize];
        if !wk.up || wk.consuming || wk.jobs.len() >= limit {
            return;
        }
        self.workers[w as usize].consuming = true;
        self.send(ctx, Actor::Slot(w, 0), Tag::Pop, argv(&[b"BRPOP", CELERY, b"1"]));
    }

    fn reserve(&mut self, ctx: &mut Ctx<'_, MsgEvent>, w: u32, bytes: Vec<u8>) {
        let Some((msg, retries, eta)) = parse_payload(&bytes) else {
            return;
        };
        self.delivered(ctx.now(), msg, 0, w);
        let wk = &mut self.workers[w as usize];
        wk.deliveries += 1;
        let tag = format!("w{w}.{}", wk.deliveries);
        let c = Actor::Control(w);
        let score = secs(ctx.now());
        self.send(ctx, c, Tag::Ignore, argv(&[b"MULTI"]));
        self.send(ctx, c, Tag::Ignore, argv(&[b"ZADD", b"unacked_index", score.as_bytes(), tag.as_bytes()]));
        self.send(ctx, c, Tag::Ignore, argv(&[b"HSET", b"unacked", tag.as_bytes(), &bytes]));
        self.send(ctx, c, Tag::Ignore, argv(&[b"EXEC"]));
        self.new_job(w, 0, Job { msg, payload: bytes, retries, eta, tag, running: false, acked: false });
        self.schedule_runs(ctx, w);
    }

    /// Starts reserved tasks whose ETA has come, up to the concurrency.
    fn schedule_runs(&mut self, ctx: &mut Ctx<'_, MsgEvent>, w: u32) {
        let conc = self.sc.consumers.concurrency;
        let now = ctx.now();
        loop {
            let wk = &self.workers[w as usize];
            if !wk.up || wk.running >= conc {
                break;
            }
            let next = wk.jobs.iter().filter(|(_, j)| !j.running && j.eta <= now).map(|(id, _)| *id).next();
            let Some(id) = next else { break };
            self.start_task(ctx, w, id);
        }
        // Wake up for the earliest ETA still in the future.
        let wk = &self.workers[w as usize];
        let earliest = wk.jobs.values().filter(|j| !j.running && j.eta > now).map(|j| j.eta).min();
        if let Some(t) = earliest {
            if wk.eta_timer.is_none_or(|(at, _)| at > t) {
                if let Some((_, id)) = wk.eta_timer {
                    ctx.cancel(id);
                }
                let epoch = wk.epoch;
                let id = ctx.schedule_at(t, MsgEvent::EtaTick { worker: w, epoch });
                self.workers[w as usize].eta_timer = Some((t, id));
            }
        }
    }

    fn ack(&mut self, ctx: &mut Ctx<'_, MsgEvent>, w: u32, tag: &str) {
        let c = Actor::Control(w);
        self.send(ctx, c, Tag::Ignore, argv(&[b"MULTI"]));
        self.send(ctx, c, Tag::Ignore, argv(&[b"ZREM", b"unacked_index", tag.as_bytes()]));
        self.send(ctx, c, Tag::Ignore, argv(&[b"HDEL", b"unacked", tag.as_bytes()]));
        self.send(ctx, c, Tag::Ignore, argv(&[b"EXEC"]));
    }

    fn start_task(&mut self, ctx: &mut Ctx<'_, MsgEvent>, w: u32, id: u64) {
        let late = self.sc.task.acks_late;
        let idem = self.sc.task.idempotency_keys;
        let Some(job) = self.workers[w as usize].jobs.get_mut(&id) else {
            return;
        };
        job.running = true;
        let (tag, msg) = (job.tag.clone(), job.msg);
        if !late {
            job.acked = true;
            self.ack(ctx, w, &tag);
        }
        if idem {
            // Counted as running while the key is checked, so the slot is taken.
            self.workers[w as usize].running += 1;
            let key = format!("idem:{msg}");
            self.send(
                ctx,
                Actor::Control(w),
                Tag::Idem(id),
                argv(&[b"SET", key.as_bytes(), tag.as_bytes(), b"NX", b"EX", b"86400"]),
            );
        } else {
            self.run_job(ctx, w, id);
        }
    }

    fn on_idem(&mut self, ctx: &mut Ctx<'_, MsgEvent>, w: u32, id: u64, frame: Reply) {
        let wk = &mut self.workers[w as usize];
        wk.running = wk.running.saturating_sub(1);
        if !wk.jobs.contains_key(&id) {
            return;
        }
        if frame == Reply::ok() {
            self.run_job(ctx, w, id);
        } else {
            // Someone already did (or is doing) this task: skip the side effect, ack, move on.
            self.checker.suppress();
            let Some(job) = self.workers[w as usize].jobs.remove(&id) else {
                return;
            };
            self.note(ctx.now(), job.msg, StepKind::Suppressed { consumer: w });
            if !job.acked {
                self.ack(ctx, w, &job.tag);
            }
            self.schedule_runs(ctx, w);
            self.consume(ctx, w);
        }
    }

    fn finish_task(&mut self, ctx: &mut Ctx<'_, MsgEvent>, w: u32, job: Job, failed: bool, ran: bool) {
        let c = Actor::Control(w);
        let meta = format!("celery-task-meta-{}", job.msg);
        if ran && !failed {
            self.processed(ctx.now(), job.msg, 0, w);
            self.send(
                ctx,
                c,
                Tag::Ignore,
                argv(&[b"SET", meta.as_bytes(), br#"{"status": "SUCCESS"}"#, b"EX", b"86400"]),
            );
        } else if job.retries < self.sc.task.max_retries {
            self.stats.retries += 1;
            let n = job.retries + 1;
            self.note(ctx.now(), job.msg, StepKind::Retried { attempt: n });
            let wk = &mut self.workers[w as usize];
            let d = self.sc.task.retry_policy.delay(n, None, &mut wk.rng);
            let next = payload(job.msg, n, ctx.now() + d);
            if self.sc.task.idempotency_keys {
                let key = format!("idem:{}", job.msg);
                self.send(ctx, c, Tag::Ignore, argv(&[b"DEL", key.as_bytes()]));
            }
            self.send(ctx, c, Tag::Ignore, argv(&[b"LPUSH", CELERY, &next]));
        } else {
            self.stats.dead_lettered += 1;
            let deliveries = u64::from(job.retries) + 1;
            self.note(ctx.now(), job.msg, StepKind::DeadLettered { deliveries });
            self.flow(ctx.now(), job.msg, Node::Consumer(w), Node::DeadLetter, Fate::DeadLettered);
            self.send(ctx, c, Tag::Ignore, argv(&[b"LPUSH", b"celery.dead-letter", &job.payload]));
            self.send(
                ctx,
                c,
                Tag::Ignore,
                argv(&[b"SET", meta.as_bytes(), br#"{"status": "FAILURE"}"#, b"EX", b"86400"]),
            );
        }
        if !job.acked {
            self.ack(ctx, w, &job.tag);
        }
        self.schedule_runs(ctx, w);
        self.consume(ctx, w);
    }

    fn on_restore_tick(&mut self, ctx: &mut Ctx<'_, MsgEvent>, w: u32, epoch: u32) {
        let wk = &mut self.workers[w as usize];
        if wk.epoch != epoch || !wk.up {
            return;
        }
        let every = if self.sc.pattern == PatternId::StreamGroup {
            self.sc.reliable.reaper_every_ms
        } else {
            self.sc.task.restore_every_ms
        };
        ctx.schedule_in(SimDuration::from_millis(every), MsgEvent::RestoreTick { worker: w, epoch });
        if wk.restoring {
            return;
        }
        wk.restoring = true;
        if self.sc.pattern == PatternId::StreamGroup && self.sc.dead_letter_after > 0 {
            // As real consumers do: look at the delivery counts first (XAUTOCLAIM does not return
            // them), dead-letter what was delivered too often, then claim the rest.
            let group = self.group(w);
            let idle = self.sc.reliable.heartbeat_ttl_ms.to_string();
            let cmd = argv(&[b"XPENDING", STREAM, group.as_bytes(), b"IDLE", idle.as_bytes(), b"-", b"+", b"10"]);
            self.send(ctx, Actor::Control(w), Tag::Pending, cmd);
            return;
        }
        if self.sc.pattern == PatternId::StreamGroup {
            return self.autoclaim(ctx, w);
        }
        let id = format!("w{w}");
        self.send(
            ctx,
            Actor::Control(w),
            Tag::QosMutex,
            argv(&[b"SET", b"unacked_mutex", id.as_bytes(), b"EX", b"300", b"NX"]),
        );
    }

    /// `XAUTOCLAIM stream <group> c<w>.claim <idle> 0-0 COUNT 10`: entries idle past the heartbeat
    /// TTL (their consumer is presumed dead or stuck) come to this worker.
    fn autoclaim(&mut self, ctx: &mut Ctx<'_, MsgEvent>, w: u32) {
        let group = self.group(w);
        let claimer = format!("c{w}.claim");
        let idle = self.sc.reliable.heartbeat_ttl_ms.to_string();
        let cmd = argv(&[
            b"XAUTOCLAIM",
            STREAM,
            group.as_bytes(),
            claimer.as_bytes(),
            idle.as_bytes(),
            b"0-0",
            b"COUNT",
            b"10",
        ]);
        self.send(ctx, Actor::Control(w), Tag::Claim, cmd);
    }

    /// Runs entries this worker claimed (XAUTOCLAIM or XCLAIM) on its claim slot.
    fn take_claimed(&mut self, ctx: &mut Ctx<'_, MsgEvent>, w: u32, entries: Vec<(Vec<u8>, Vec<u8>)>) {
        for (id, payload) in entries {
            let Some((msg, retries, eta)) = parse_payload(&payload) else { continue };
            self.stats.restored += 1;
            self.note(ctx.now(), msg, StepKind::Restored { by: "a claim of an idle pending entry" });
            self.delivered(ctx.now(), msg, self.copy_of(w), w);
            let tag = String::from_utf8_lossy(&id).into_owned();
            let job = self.new_job(w, CLAIM_SLOT, Job { msg, payload, retries, eta, tag, running: true, acked: false });
            self.run_job(ctx, w, job);
        }
        self.workers[w as usize].restoring = false;
    }

    /// `XCLAIM stream <group> c<w>.claim <idle> <ids…>`: the min-idle check makes one worker win
    /// each entry when several look at the same XPENDING list.
    fn xclaim(&self, w: u32, ids: &[&[u8]]) -> Vec<Vec<u8>> {
        let group = self.group(w);
        let claimer = format!("c{w}.claim");
        let idle = self.sc.reliable.heartbeat_ttl_ms.to_string();
        let mut parts: Vec<&[u8]> = vec![b"XCLAIM", STREAM, group.as_bytes(), claimer.as_bytes(), idle.as_bytes()];
        parts.extend_from_slice(ids);
        argv(&parts)
    }

    /// XPENDING's answer (id, consumer, idle, deliveries): entries delivered `dead_letter_after`
    /// times or more are claimed to be dead-lettered, the others are claimed to run again.
    fn on_pending(&mut self, ctx: &mut Ctx<'_, MsgEvent>, w: u32, frame: Reply) {
        let limit = u64::from(self.sc.dead_letter_after);
        let mut poisoned: Vec<(Vec<u8>, u64)> = Vec::new();
        let mut retry: Vec<Vec<u8>> = Vec::new();
        if let Reply::Array(rows) = frame {
            for row in rows {
                let Reply::Array(f) = row else { continue };
                if let (Some(Reply::Bulk(id)), Some(Reply::Integer(n))) = (f.first(), f.get(3)) {
                    let n = u64::try_from(*n).unwrap_or(0);
                    if n >= limit {
                        poisoned.push((id.clone(), n));
                    } else {
                        retry.push(id.clone());
                    }
                }
            }
        }
        if !poisoned.is_empty() {
            let ids: Vec<&[u8]> = poisoned.iter().map(|(id, _)| id.as_slice()).collect();
            let cmd = self.xclaim(w, &ids);
            self.send(ctx, Actor::Control(w), Tag::DeadClaim(poisoned.clone()), cmd);
        }
        if retry.is_empty() {
            self.workers[w as usize].restoring = false;
        } else {
            let ids: Vec<&[u8]> = retry.iter().map(Vec::as_slice).collect();
            let cmd = self.xclaim(w, &ids);
            self.send(ctx, Actor::Control(w), Tag::ClaimIds, cmd);
        }
    }

    /// Dead-letters what this worker's XCLAIM won: `XADD stream:dead-letter * payload … origin
    /// <id> deliveries <n>`, then `XACK` so no one claims it again.
    fn dead_letter(&mut self, ctx: &mut Ctx<'_, MsgEvent>, w: u32, frame: &Reply, counts: &[(Vec<u8>, u64)]) {
        let group = self.group(w);
        let c = Actor::Control(w);
        for (id, payload) in stream_entries(frame) {
            let deliveries = counts.iter().find(|(i, _)| *i == id).map_or(0, |(_, n)| *n);
            let n = deliveries.to_string();
            let cmd = argv(&[
                b"XADD",
                DEAD_LETTER_STREAM,
                b"*",
                b"payload",
                &payload,
                b"origin",
                &id,
                b"deliveries",
                n.as_bytes(),
            ]);
            self.send(ctx, c, Tag::Ignore, cmd);
            self.send(ctx, c, Tag::Ignore, argv(&[b"XACK", STREAM, group.as_bytes(), &id]));
            self.stats.dead_lettered += 1;
            if let Some((msg, _, _)) = parse_payload(&payload) {
                self.note(ctx.now(), msg, StepKind::DeadLettered { deliveries });
                self.flow(ctx.now(), msg, Node::Broker, Node::DeadLetter, Fate::DeadLettered);
            }
        }
    }

    // ---- request/response --------------------------------------------------------------------

    fn rr_attempt(&mut self, ctx: &mut Ctx<'_, MsgEvent>, req: u64) {
        let lat = self.latency();
        let timeout = SimDuration::from_millis(self.sc.request_response.timeout_ms);
        let Some(rr) = &mut self.rr else { return };
        let views: Vec<ServerView> = rr
            .instances
            .iter()
            .map(|i| ServerView { up: true, active: i.outstanding, weight: 1, rtt_ms: i.rtt_ms })
            .collect();
        let ip = [10, 1, (req >> 8) as u8, req as u8];
        let pick = rr.balancer.pick(&Request::from_client(ip, "/"), &views, ctx.now());
        let r = &mut rr.requests[req as usize];
        let attempt = r.attempt;
        let Some(instance) = pick else {
            self.stats.rejected += 1;
            return self.rr_failed(ctx, req);
        };
        r.instance = Some(instance as u32);
        let inst = &mut rr.instances[instance];
        inst.outstanding += 1;
        let generation = inst.generation;
        ctx.schedule_in(lat, MsgEvent::RrArrive { instance: instance as u32, generation, req, attempt });
        r.timeout = Some(ctx.schedule_in(timeout, MsgEvent::RrTimeout { req, attempt }));
    }

    fn rr_failed(&mut self, ctx: &mut Ctx<'_, MsgEvent>, req: u64) {
        let max = self.sc.request_response.max_retries;
        let policy = self.sc.request_response.retry_policy.clone();
        let Some(rr) = &mut self.rr else { return };
        let r = &mut rr.requests[req as usize];
        if r.attempt >= max {
            r.done = true;
            self.stats.failed += 1;
            if let Some(t) = &mut self.trail {
                let at_ms = ctx.now().saturating_since(self.start).as_millis();
                t.note(at_ms, r.msg, StepKind::GaveUp);
            }
            return;
        }
        r.attempt += 1;
        self.stats.retries += 1;
        let d = policy.delay(r.attempt, r.prev_delay, &mut rr.rng);
        r.prev_delay = Some(d);
        ctx.schedule_in(d, MsgEvent::RrAttempt { req });
    }

    fn in_burst(&self, now: SimTime) -> bool {
        self.burst_windows.iter().any(|(a, b)| now >= *a && now <= *b + SimDuration::from_millis(2_000))
    }

    fn on_rr(&mut self, ctx: &mut Ctx<'_, MsgEvent>, ev: MsgEvent) {
        let lat = self.latency();
        let conc = self.sc.consumers.concurrency;
        let backlog = self.sc.request_response.backlog as usize;
        let in_burst = self.in_burst(ctx.now());
        let Some(rr) = &mut self.rr else { return };
        match ev {
            MsgEvent::RrAttempt { req } if !rr.requests[req as usize].done => self.rr_attempt(ctx, req),
            MsgEvent::RrArrive { .. } | MsgEvent::RrReply { .. } if self.partitioned => {
                // Lost in the partition: the client's timeout and retries take over.
            }
            MsgEvent::RrArrive { instance, generation, req, attempt } => {
                let inst = &mut rr.instances[instance as usize];
                if !inst.up || inst.generation != generation {
                    return; // connection refused: the client times out
                }
                if inst.busy < conc {
                    inst.busy += 1;
                    let msg = rr.requests[req as usize].msg;
                    let at_ms = ctx.now().saturating_since(self.start).as_millis();
                    record_delivery(&mut self.checker, &mut self.trail, at_ms, msg, 0, instance);
                    self.start_rr_work(ctx, instance, req, attempt);
                } else if inst.queue.len() < backlog {
                    inst.queue.push_back((req, attempt));
                } else {
                    self.stats.rejected += 1;
                    self.stats.rejected_or_timed_out_during_burst += u64::from(in_burst);
                    if let Some(t) = &mut self.trail {
                        let at_ms = ctx.now().saturating_since(self.start).as_millis();
                        let msg = rr.requests[req as usize].msg;
                        t.note(at_ms, msg, StepKind::Rejected);
                        t.flow(Flow { at_ms, msg, from: Node::Broker, to: Node::Consumer(instance), fate: Fate::Lost });
                    }
                    let sent = ctx.now();
                    ctx.schedule_in(lat, MsgEvent::RrReply { req, attempt, instance, ok: false, sent });
                }
            }
            MsgEvent::RrDone { instance, generation, req, attempt } => {
                let inst = &mut rr.instances[instance as usize];
                if inst.generation != generation {
                    return;
                }
                inst.busy = inst.busy.saturating_sub(1);
                let failed = self.outage || self.workers[instance as usize].rng.bernoulli(self.sc.consumers.failure_p);
                let msg = rr.requests[req as usize].msg;
                let at_ms = ctx.now().saturating_since(self.start).as_millis();
                if failed {
                    if let Some(t) = &mut self.trail {
                        t.note(at_ms, msg, StepKind::Failed { consumer: instance });
                    }
                } else {
                    record_processing(&mut self.checker, &mut self.trail, at_ms, ctx.now(), msg, 0, instance);
                }
                let sent = ctx.now();
                ctx.schedule_in(lat, MsgEvent::RrReply { req, attempt, instance, ok: !failed, sent });
                if let Some((next, a)) = inst.queue.pop_front() {
                    inst.busy += 1;
                    let msg = rr.requests[next as usize].msg;
                    record_delivery(&mut self.checker, &mut self.trail, at_ms, msg, 0, instance);
                    self.start_rr_work(ctx, instance, next, a);
                }
            }
            MsgEvent::RrReply { req, attempt, instance, ok, sent } => {
                let inst = &mut rr.instances[instance as usize];
                inst.outstanding = inst.outstanding.saturating_sub(1);
                let rtt = ctx.now().saturating_since(sent);
                inst.rtt_ms = inst.rtt_ms * 0.8 + rtt.as_millis() as f64 * 0.2;
                rr.balancer.observe(instance as usize, rtt, ctx.now());
                let r = &mut rr.requests[req as usize];
                if r.done || r.attempt != attempt {
                    return; // a late answer to an attempt the client gave up on
                }
                if let Some(t) = r.timeout.take() {
                    ctx.cancel(t);
                }
                if ok {
                    r.done = true;
                } else {
                    rr.balancer.report_failure(instance as usize);
                    self.rr_failed(ctx, req);
                }
            }
            MsgEvent::RrTimeout { req, attempt } => {
                let r = &mut rr.requests[req as usize];
                if r.done || r.attempt != attempt {
                    return;
                }
                r.timeout = None;
                if let Some(i) = r.instance {
                    let inst = &mut rr.instances[i as usize];
                    inst.outstanding = inst.outstanding.saturating_sub(1);
                }
                self.stats.timed_out += 1;
                self.stats.rejected_or_timed_out_during_burst += u64::from(in_burst);
                if let Some(t) = &mut self.trail {
                    let at_ms = ctx.now().saturating_since(self.start).as_millis();
                    t.note(at_ms, r.msg, StepKind::TimedOut { attempt: r.attempt + 1 });
                }
                self.rr_failed(ctx, req);
            }
            _ => {}
        }
    }

    fn start_rr_work(&mut self, ctx: &mut Ctx<'_, MsgEvent>, instance: u32, req: u64, attempt: u32) {
        self.stats.executions += 1;
        let Some(rr) = &self.rr else { return };
        let generation = rr.instances[instance as usize].generation;
        let wk = &mut self.workers[instance as usize];
        let ms = self.sc.consumers.service.sample_ms(&mut wk.rng) * wk.slow;
        ctx.schedule_in(SimDuration::from_millis_f64(ms), MsgEvent::RrDone { instance, generation, req, attempt });
    }

    // ---- faults ------------------------------------------------------------------------------

    fn on_fault(&mut self, ctx: &mut Ctx<'_, MsgEvent>, index: u32, start: bool) {
        let Some(f) = self.sc.faults.get(index as usize).cloned() else {
            return;
        };
        let end = MsgEvent::FaultEnd(index);
        match (f, start) {
            (Fault::Crash { consumer, down_ms, .. }, true) => {
                self.crash_worker(ctx, consumer);
                ctx.schedule_in(SimDuration::from_millis(down_ms), end);
            }
            (Fault::Crash { consumer, .. }, false) => self.restart_worker(ctx, consumer),
            (Fault::Slow { consumer, factor, for_ms, .. }, true) => {
                self.workers[consumer as usize].slow = factor;
                ctx.schedule_in(SimDuration::from_millis(for_ms), end);
            }
            (Fault::Slow { consumer, .. }, false) => self.workers[consumer as usize].slow = 1.0,
            (Fault::BrokerRestart { down_ms, .. }, true) => {
                self.broker.crash(ctx.now());
                self.stats.broker_restarts += 1;
                let lat = self.latency();
                for (actor, conn) in &self.conns {
                    if conn.client.is_some() {
                        ctx.schedule_in(lat, MsgEvent::Reset { actor: *actor, epoch: conn.epoch });
                    }
                }
                self.clients.clear();
                if let Some((_, id)) = self.wake.take() {
                    ctx.cancel(id);
                }
                ctx.schedule_in(SimDuration::from_millis(down_ms), end);
            }
            (Fault::BrokerRestart { .. }, false) => self.broker.restart(),
            (Fault::Outage { for_ms, .. }, true) => {
                self.outage = true;
                ctx.schedule_in(SimDuration::from_millis(for_ms), end);
            }
            (Fault::Outage { .. }, false) => self.outage = false,
            (Fault::Partition { for_ms, .. }, true) => {
                self.partitioned = true;
                ctx.schedule_in(SimDuration::from_millis(for_ms), end);
            }
            (Fault::Partition { .. }, false) => self.heal_partition(ctx),
        }
    }

    fn crash_worker(&mut self, ctx: &mut Ctx<'_, MsgEvent>, w: u32) {
        let at_ms = self.elapsed_ms(ctx.now());
        if let Some(rr) = &mut self.rr {
            let inst = &mut rr.instances[w as usize];
            inst.up = false;
            inst.generation += 1;
            inst.busy = 0;
            let lost: Vec<MsgId> = inst.queue.drain(..).map(|(r, _)| rr.requests[r as usize].msg).collect();
            self.crashes.push(CrashRecord { worker: w, at_ms, in_flight: lost });
            return;
        }
        let wk = &mut self.workers[w as usize];
        if !wk.up {
            return;
        }
        wk.up = false;
        wk.epoch += 1;
        wk.running = 0;
        wk.consuming = false;
        wk.restoring = false;
        wk.backlog.clear();
        if let Some((_, id)) = wk.eta_timer.take() {
            ctx.cancel(id);
        }
        let in_flight: Vec<MsgId> = std::mem::take(&mut wk.jobs).into_values().map(|j| j.msg).collect();
        for &m in &in_flight {
            self.note(ctx.now(), m, StepKind::Dropped { consumer: w, cause: DropCause::Crash });
            self.flow(ctx.now(), m, Node::Consumer(w), Node::Consumer(w), Fate::Lost);
        }
        self.crashes.push(CrashRecord { worker: w, at_ms, in_flight });
        let actors: Vec<Actor> = self.conns.keys().copied().filter(|a| a.worker() == Some(w)).collect();
        for a in actors {
            let Some(conn) = self.conns.get_mut(&a) else {
                continue;
            };
            conn.epoch += 1;
            conn.inflight.clear();
            conn.reconnecting = false;
            if let Some(c) = conn.client.take() {
                self.clients.remove(&c);
                self.broker.disconnect(c);
            }
        }
        self.route_outputs(ctx);
    }

    /// The partition heals. Every consumer connection's socket timeout fired meanwhile, so the
    /// clients drop them and reconnect; the retransmitted FINs reach the server, which closes its
    /// side (unblocking any BRPOP/BLMOVE/XREADGROUP still parked there).
    fn heal_partition(&mut self, ctx: &mut Ctx<'_, MsgEvent>) {
        self.partitioned = false;
        let cut: Vec<(Actor, u32, Option<ClientId>)> =
            self.conns.iter().filter(|(a, _)| a.worker().is_some()).map(|(a, c)| (*a, c.epoch, c.client)).collect();
        for (actor, epoch, client) in cut {
            if let Some(c) = client {
                self.broker.disconnect(c);
                ctx.schedule_in(SimDuration::ZERO, MsgEvent::Reset { actor, epoch });
            }
        }
        self.route_outputs(ctx);
    }

    fn restart_worker(&mut self, ctx: &mut Ctx<'_, MsgEvent>, w: u32) {
        if let Some(rr) = &mut self.rr {
            rr.instances[w as usize].up = true;
            return;
        }
        let wk = &mut self.workers[w as usize];
        if wk.up {
            return;
        }
        wk.up = true;
        self.start_worker(ctx, w);
    }

    // ---- observation -------------------------------------------------------------------------

    fn depth(&self) -> u64 {
        match self.sc.pattern {
            PatternId::SimpleQueue | PatternId::ReliableQueue => self.broker.list_len(QUEUE),
            PatternId::TaskQueue => self.broker.list_len(CELERY) + self.broker.hash_len(b"unacked"),
            PatternId::Pubsub => 0,
            PatternId::StreamGroup => self.checker.undelivered(),
            PatternId::RequestResponse => {
                self.rr.as_ref().map_or(0, |rr| rr.instances.iter().map(|i| i.queue.len() as u64).sum())
            }
        }
    }
}

impl Model for MessagingModel {
    type Event = MsgEvent;

    fn handle(&mut self, ctx: &mut Ctx<'_, MsgEvent>, event: MsgEvent) {
        match event {
            MsgEvent::Produce { producer } => {
                self.produce(ctx, producer);
                self.schedule_next_produce(ctx, producer);
            }
            MsgEvent::BurstMessage { producer } => self.produce(ctx, producer),
            MsgEvent::ToBroker { actor, epoch, argv } => self.on_to_broker(ctx, actor, epoch, argv),
            MsgEvent::ToClient { actor, epoch, frame } => self.on_to_client(ctx, actor, epoch, frame),
            MsgEvent::Reset { actor, epoch } => self.on_reset(ctx, actor, epoch),
            MsgEvent::Reconnect { actor } => self.on_reconnect(ctx, actor),
            MsgEvent::WorkDone { worker, epoch, job } => self.on_work_done(ctx, worker, epoch, job),
            MsgEvent::Heartbeat { worker, epoch } => {
                let wk = &self.workers[worker as usize];
                if wk.up && wk.epoch == epoch {
                    self.heartbeat(ctx, worker);
                }
            }
            MsgEvent::ReaperTick => {
                let idle = self.conns.get(&Actor::Reaper).is_none_or(|c| c.inflight.is_empty());
                if idle {
                    self.send(ctx, Actor::Reaper, Tag::ReaperMembers, argv(&[b"SMEMBERS", b"workers"]));
                }
                ctx.schedule_in(SimDuration::from_millis(self.sc.reliable.reaper_every_ms), MsgEvent::ReaperTick);
            }
            MsgEvent::RestoreTick { worker, epoch } => self.on_restore_tick(ctx, worker, epoch),
            MsgEvent::EtaTick { worker, epoch } => {
                let wk = &mut self.workers[worker as usize];
                if wk.epoch == epoch {
                    wk.eta_timer = None;
                    self.schedule_runs(ctx, worker);
                }
            }
            MsgEvent::BrokerWake => {
                self.wake = None;
                self.broker.advance(ctx.now());
                self.route_outputs(ctx);
            }
            MsgEvent::Cron => {
                self.broker.advance(ctx.now());
                if ctx.now().saturating_since(self.last_fsync) >= FSYNC_PERIOD {
                    self.last_fsync = ctx.now();
                    self.broker.fsync(ctx.now());
                }
                self.route_outputs(ctx);
                ctx.schedule_in(self.broker.store().cron_period(), MsgEvent::Cron);
            }
            MsgEvent::Sample => {
                let at = self.elapsed_ms(ctx.now());
                let depth = self.depth();
                self.checker.sample(at, depth);
                ctx.schedule_in(SimDuration::from_millis(self.sc.sample_ms), MsgEvent::Sample);
            }
            MsgEvent::FaultStart(i) => self.on_fault(ctx, i, true),
            MsgEvent::FaultEnd(i) => self.on_fault(ctx, i, false),
            ev @ (MsgEvent::RrAttempt { .. }
            | MsgEvent::RrArrive { .. }
            | MsgEvent::RrDone { .. }
            | MsgEvent::RrReply { .. }
            | MsgEvent::RrTimeout { .. }) => self.on_rr(ctx, ev),
        }
    }

    fn describe(&self, event: &MsgEvent) -> (String, String) {
        match event {
            MsgEvent::ToBroker { actor, argv, .. } => (
                "redis".into(),
                format!(
                    "{} > {}",
                    actor.name(),
                    argv.iter().map(|a| String::from_utf8_lossy(a)).collect::<Vec<_>>().join(" ")
                ),
            ),
            MsgEvent::ToClient { actor, frame, .. } => (actor.name(), format!("< {frame:?}")),
            other => ("run".into(), format!("{other:?}")),
        }
    }
}

/// Everything one run produced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    pub pattern: PatternId,
    pub label: String,
    pub report: Report,
    pub stats: RunStats,
    pub series: Vec<Sample>,
    pub crashes: Vec<CrashRecord>,
    /// Pub/sub: each message and how many subscribers PUBLISH said received it.
    pub published: Vec<(MsgId, i64)>,
    /// Units never processed, (message, copy).
    pub lost_units: Vec<(MsgId, usize)>,
    pub duplicated_units: Vec<(MsgId, usize)>,
    /// (message, consumer) of every frame a partition swallowed on its way to a consumer.
    pub partition_drops: Vec<(MsgId, u32)>,
    /// The last commands clients sent, as redis-cli would show them.
    pub commands: Vec<String>,
}

/// What one consumer is and holds right now (for the page's cards and inspector).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConsumerView {
    pub index: u32,
    pub up: bool,
    /// 1 = normal speed; 10 = ten times slower.
    pub slow: f64,
    /// Cut off from the broker by a partition.
    pub partitioned: bool,
    /// Messages being processed now.
    pub running: u32,
    /// Messages it holds (popped, reserved, received or claimed, not finished), with whether each
    /// is running.
    pub held: Vec<(MsgId, bool)>,
    /// Task queue: the Celery delivery tags; stream group: the entry ids (parallel to `held`).
    pub tags: Vec<String>,
}

/// Why a command typed in the page's redis-cli was not run.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum QueryError {
    #[error("(error) {0}")]
    Syntax(String),
    #[error("(error) ERR {0}")]
    Unknown(String),
    #[error(
        "(error) {0} changes data: this pane only reads the run's server (LLEN, LRANGE, XINFO GROUPS, XPENDING, \
         XRANGE, HGETALL, ZRANGE, KEYS, TYPE, TTL, PUBSUB NUMSUB …); the run's own clients are the only writers"
    )]
    Writes(String),
    #[error("(error) the broker is down (its host crashed); try again after it restarts")]
    BrokerDown,
}

/// Largest burst one button press adds (the run's total stays within `MAX_MESSAGES`).
pub const MAX_LIVE_BURST: u32 = 5_000;

/// A messaging run the caller advances (the page plays it; the CLI runs it to the end).
pub struct MessagingRun {
    sim: Simulation<MessagingModel>,
    end: SimTime,
    label: String,
}

impl MessagingRun {
    pub fn new(scenario: Scenario, seed: u64, label: &str) -> Result<Self, ScenarioError> {
        let run_ms = scenario.produce_for_ms.saturating_add(scenario.drain_ms);
        let model = MessagingModel::new(scenario, seed)?;
        let mut sim = Simulation::new(model, TEST_EPOCH);
        sim.act(|m, ctx| m.start_run(ctx));
        let end = TEST_EPOCH.saturating_add(SimDuration::from_millis(run_ms));
        Ok(MessagingRun { sim, end, label: label.to_string() })
    }

    pub fn end(&self) -> SimTime {
        self.end
    }
    pub fn now(&self) -> SimTime {
        self.sim.now()
    }
    pub fn events(&self) -> u64 {
        self.sim.processed()
    }
    pub fn is_done(&self) -> bool {
        self.sim.now() >= self.end
    }

    /// Runs up to `until` (capped at the end) or `max_events`, whichever comes first; true when
    /// `until` was reached.
    pub fn advance(&mut self, until: SimTime, max_events: u64) -> bool {
        self.sim.run_until_bounded(until.min(self.end), max_events)
    }

    /// Keeps the last `flows` moves and the lives of the last `lives` messages (see `trail`).
    pub fn record_trail(&mut self, flows: usize, lives: usize) {
        self.sim.model.trail = Some(Trail::new(flows, lives));
    }

    pub fn trail(&self) -> Option<&Trail> {
        self.sim.model.trail.as_ref()
    }

    pub fn scenario(&self) -> &Scenario {
        &self.sim.model.sc
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    /// The checker's counts so far.
    pub fn report(&self) -> Report {
        self.sim.model.checker.report()
    }

    pub fn stats(&self) -> RunStats {
        let m = &self.sim.model;
        RunStats { broker_commands: m.broker.commands(), ..m.stats.clone() }
    }

    /// Depth, lag and processed over time (bounded, see `checker::Series`).
    pub fn series(&self) -> &[Sample] {
        &self.sim.model.checker.series.points
    }

    /// The last `n` commands clients sent, as redis-cli's MONITOR-like log shows them.
    pub fn recent_commands(&self, n: usize) -> Vec<String> {
        let log: Vec<_> = self.sim.model.broker.log().collect();
        log[log.len().saturating_sub(n)..]
            .iter()
            .map(|l| {
                format!("{} {}> {}", l.at.saturating_since(TEST_EPOCH), Actor::from_code(l.owner).name(), l.command())
            })
            .collect()
    }

    pub fn is_partitioned(&self) -> bool {
        self.sim.model.partitioned
    }

    pub fn broker_up(&self) -> bool {
        self.sim.model.broker.is_up()
    }

    /// Each consumer (worker, subscriber or instance) and what it holds.
    pub fn consumers(&self) -> Vec<ConsumerView> {
        let m = &self.sim.model;
        m.workers
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let (up, running, held, tags) = match &m.rr {
                    Some(rr) => {
                        let inst = &rr.instances[i];
                        let queued = inst.queue.iter().map(|(r, _)| (rr.requests[*r as usize].msg, false)).collect();
                        (inst.up, inst.busy, queued, Vec::new())
                    }
                    None => (
                        w.up,
                        w.running,
                        w.jobs.values().map(|j| (j.msg, j.running)).collect(),
                        w.jobs.values().map(|j| j.tag.clone()).collect(),
                    ),
                };
                ConsumerView { index: i as u32, up, slow: w.slow, partitioned: m.partitioned, running, held, tags }
            })
            .collect()
    }

    /// Injects `fault` now (its `at_ms` is replaced by the current time): the page's buttons.
    /// The fault is checked like a scenario's; a refused fault changes nothing.
    pub fn inject(&mut self, fault: Fault) -> Result<(), ScenarioError> {
        let now_ms = self.sim.now().saturating_since(self.sim.model.start).as_millis();
        let fault = match fault {
            Fault::Crash { consumer, down_ms, .. } => Fault::Crash { consumer, at_ms: now_ms, down_ms },
            Fault::Slow { consumer, factor, for_ms, .. } => Fault::Slow { consumer, at_ms: now_ms, factor, for_ms },
            Fault::BrokerRestart { down_ms, .. } => Fault::BrokerRestart { at_ms: now_ms, down_ms },
            Fault::Outage { for_ms, .. } => Fault::Outage { at_ms: now_ms, for_ms },
            Fault::Partition { for_ms, .. } => Fault::Partition { at_ms: now_ms, for_ms },
        };
        let mut check = self.sim.model.sc.clone();
        check.faults = vec![fault.clone()];
        check.validate()?;
        if self.sim.model.sc.faults.len() >= 1_000 {
            return Err(ScenarioError::Range {
                field: "faults",
                value: "1000".into(),
                accepted: "at most 1000 faults in one run",
            });
        }
        let index = self.sim.model.sc.faults.len() as u32;
        self.sim.model.sc.faults.push(fault);
        self.sim.act(|_, ctx| {
            ctx.schedule_in(SimDuration::ZERO, MsgEvent::FaultStart(index));
        });
        // Takes effect at once, even while paused (what is due now runs now).
        let now = self.sim.now();
        self.sim.run_until(now);
        Ok(())
    }

    /// Adds a burst of `count` messages over `over_ms`, starting now (the "peak load" button).
    pub fn burst(&mut self, count: u32, over_ms: u64) -> Result<(), ScenarioError> {
        let produced = self.sim.model.checker.produced() as f64;
        if count == 0 || count > MAX_LIVE_BURST {
            return Err(ScenarioError::Range {
                field: "burst.count",
                value: count.to_string(),
                accepted: "1 to 5000 messages",
            });
        }
        if produced + f64::from(count) > super::scenario::MAX_MESSAGES {
            return Err(ScenarioError::TooManyMessages(produced + f64::from(count)));
        }
        self.sim.act(|m, ctx| {
            let now = ctx.now();
            let n = u64::from(count);
            let producers = m.sc.producers.count.max(1);
            for i in 0..n {
                let at = now.saturating_add(SimDuration::from_millis(over_ms.saturating_mul(i) / n));
                let producer = m.next_burst_producer;
                m.next_burst_producer = (m.next_burst_producer + 1) % producers;
                ctx.schedule_at(at, MsgEvent::BurstMessage { producer });
            }
            m.burst_windows.push((now, now.saturating_add(SimDuration::from_millis(over_ms))));
        });
        Ok(())
    }

    /// Runs a read-only command typed by the user against (a copy of) the run's server, as
    /// redis-cli would print its reply. Commands that write are refused: the run's clients are
    /// its only writers, so a replay from the seed stays the same run.
    pub fn query(&self, line: &str) -> Result<String, QueryError> {
        use crate::redis::table::{Flag, Group};
        let argv = crate::redis::cli::tokenize(line).map_err(|e| QueryError::Syntax(e.to_string()))?;
        if argv.is_empty() {
            return Ok(String::new());
        }
        let spec = crate::redis::server::lookup_command(&argv).map_err(QueryError::Unknown)?;
        let name = spec.name.to_uppercase().replace('|', " ");
        let stateful = matches!(spec.group, Group::Transactions | Group::Scripting)
            || matches!(
                spec.name,
                "subscribe"
                    | "psubscribe"
                    | "ssubscribe"
                    | "unsubscribe"
                    | "punsubscribe"
                    | "sunsubscribe"
                    | "monitor"
                    | "select"
                    | "swapdb"
                    | "reset"
                    | "quit"
                    | "hello"
                    | "auth"
            );
        if spec.flags.contains(&Flag::Write) || spec.flags.contains(&Flag::Blocking) || stateful {
            return Err(QueryError::Writes(name));
        }
        let m = &self.sim.model;
        if !m.broker.is_up() {
            return Err(QueryError::BrokerDown);
        }
        let mut store = m.broker.store().clone();
        let reply = store.execute(self.sim.now(), &argv);
        Ok(crate::redis::cli::format_human(&reply).trim_end_matches('\n').to_string())
    }

    pub fn run_to_end(mut self) -> RunResult {
        let end = self.end;
        self.sim.run_until(end);
        self.result()
    }

    pub fn result(&self) -> RunResult {
        let m = &self.sim.model;
        let mut stats = m.stats.clone();
        stats.broker_commands = m.broker.commands();
        RunResult {
            pattern: m.sc.pattern,
            label: self.label.clone(),
            report: m.checker.report(),
            stats,
            series: m.checker.series.points.clone(),
            crashes: m.crashes.clone(),
            published: m.published.clone(),
            lost_units: m.checker.lost_units(),
            duplicated_units: m.checker.duplicated_units(),
            partition_drops: m.partition_drops.clone(),
            commands: m
                .broker
                .log()
                .map(|l| {
                    format!(
                        "{} {}> {}",
                        l.at.saturating_since(TEST_EPOCH),
                        Actor::from_code(l.owner).name(),
                        l.command()
                    )
                })
                .collect(),
        }
    }
}

/// The page plays a `MessagingRun` through the shared playback driver; the clock stops at the
/// run's end (producers stopped and the drain time over).
impl crate::sim::Clocked for MessagingRun {
    fn now(&self) -> SimTime {
        self.sim.now()
    }
    fn processed(&self) -> u64 {
        self.sim.processed()
    }
    fn next_event_time(&mut self) -> Option<SimTime> {
        let end = self.end;
        self.sim.next_event_time().filter(|t| *t <= end)
    }
    fn step(&mut self) -> bool {
        if crate::sim::Clocked::next_event_time(self).is_none() {
            return false;
        }
        self.sim.step()
    }
    fn run_until(&mut self, until: SimTime) {
        let until = until.min(self.end);
        self.sim.run_until(until);
    }
    fn run_until_bounded(&mut self, until: SimTime, max_events: u64) -> bool {
        self.advance(until, max_events)
    }
}

/// Runs every variant of a preset to the end.
pub fn run_preset(id: &str, seed: u64) -> Result<Vec<RunResult>, ScenarioError> {
    super::scenario::preset(id)?
        .into_iter()
        .map(|v| Ok(MessagingRun::new(v.scenario, seed, &v.label)?.run_to_end()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messaging::scenario::{Consumers, Producers};
    use crate::sim::Distribution;

    fn run(sc: Scenario, seed: u64) -> RunResult {
        MessagingRun::new(sc, seed, "test").unwrap().run_to_end()
    }

    fn base(pattern: PatternId) -> Scenario {
        Scenario {
            pattern,
            produce_for_ms: 5_000,
            drain_ms: 5_000,
            producers: Producers { count: 2, rate_per_s: 20.0, bursts: Vec::new() },
            consumers: Consumers { count: 3, service: Distribution::Constant { ms: 10.0 }, ..Consumers::default() },
            ..Scenario::default()
        }
    }

    #[test]
    fn without_faults_every_pattern_processes_everything_once() {
        for pattern in PatternId::ALL {
            let r = run(base(pattern), 5);
            let units = if pattern.is_fan_out() { 3 } else { 1 } * r.report.produced;
            assert!(r.report.produced > 100, "{pattern}");
            assert_eq!(
                (r.report.processed, r.report.lost, r.report.duplicated),
                (units, 0, 0),
                "{pattern}: {:?}",
                r.report
            );
            assert_eq!(r.series.last().map(|s| s.lag), Some(0), "{pattern}");
        }
    }

    #[test]
    fn a_slow_consumer_builds_a_backlog_that_drains_after_it_recovers() {
        let mut sc = base(PatternId::SimpleQueue);
        sc.consumers.count = 1;
        sc.faults = vec![Fault::Slow { consumer: 0, at_ms: 1_000, factor: 20.0, for_ms: 2_000 }];
        let slow = run(sc.clone(), 1);
        sc.faults.clear();
        let fast = run(sc, 1);
        assert!(
            slow.report.peak_depth > 10 * fast.report.peak_depth.max(1),
            "{} vs {}",
            slow.report.peak_depth,
            fast.report.peak_depth
        );
        assert!(slow.report.p99_ms > fast.report.p99_ms);
        assert_eq!(slow.report.lost, 0);
    }

    #[test]
    fn a_crashed_instance_costs_request_response_timeouts_that_retries_recover() {
        let mut sc = base(PatternId::RequestResponse);
        sc.faults = vec![Fault::Crash { consumer: 0, at_ms: 2_000, down_ms: 2_000 }];
        let r = run(sc, 3);
        assert!(r.stats.timed_out > 0 && r.stats.retries > 0, "{:?}", r.stats);
        assert_eq!(r.stats.failed, r.report.lost, "a request is lost when its last retry fails");
    }

    #[test]
    fn payloads_round_trip() {
        let p = payload(42, 3, SimTime::from_unix_ms(1_700_000_000_123));
        assert_eq!(parse_payload(&p), Some((42, 3, SimTime::from_unix_ms(1_700_000_000_123))));
        assert_eq!(parse_payload(b"msg:x:1:2"), None);
        for a in [Actor::Producer(7), Actor::Slot(3, 5), Actor::Control(9), Actor::Reaper] {
            assert_eq!(Actor::from_code(a.code()), a);
        }
    }
}
