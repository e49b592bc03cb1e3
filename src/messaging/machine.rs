//! The vocabulary every pattern machine speaks: who owns a connection ([`Actor`]), what a command
//! in flight was for ([`Tag`]), the events a machine takes ([`Input`]), the effects it returns
//! ([`Effect`]) and the read-only view of the world it decides with ([`Io`]).
//!
//! A pattern machine (one file per pattern under [`super::patterns`]) is sans-IO: it never touches
//! the broker, the kernel, the checker or the trail. It pushes effects — the Redis commands it
//! sends, the timers it sets or cancels, the deliveries and side effects the checker counts — and
//! the runtime carries them out, in order. What a machine needs to know about the outside (is the
//! broker reachable on this connection, is a command of this kind still in flight, is the network
//! partitioned, is the downstream failing) comes in through [`Io`], read-only.
//!
//! Architecture invariant: a machine's decisions depend only on its own state, the input and the
//! view in [`Io`]; the same inputs give the same effects, so a machine can be tested alone by
//! feeding events and reading effects.

use super::checker::MsgId;
use super::scenario::Scenario;
use super::trail::{Fate, Node, StepKind};
use crate::redis::{ClientId, Reply};
use crate::sim::{SimDuration, SimRng, SimTime};
use std::collections::{BTreeMap, VecDeque};

pub(crate) const QUEUE: &[u8] = b"queue";
pub(crate) const CELERY: &[u8] = b"celery";
pub(crate) const CHANNEL: &[u8] = b"events";
pub(crate) const STREAM: &[u8] = b"stream";
pub(crate) const DEAD_LETTER_STREAM: &[u8] = b"stream:dead-letter";
/// The job slot of entries a worker's control connection claimed with XAUTOCLAIM.
pub(crate) const CLAIM_SLOT: u32 = 63;

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
    pub fn name(self) -> String {
        match self {
            Actor::Producer(p) => format!("producer-{p}"),
            Actor::Slot(w, s) => format!("worker-{w}/{s}"),
            Actor::Control(w) => format!("worker-{w}"),
            Actor::Reaper => "reaper".into(),
        }
    }
    /// A number for the broker's log (decoded by [`Actor::from_code`]).
    pub fn code(self) -> u64 {
        match self {
            Actor::Producer(p) => u64::from(p) << 8,
            Actor::Slot(w, s) => (u64::from(w) << 16) | (u64::from(s) << 8) | 1,
            Actor::Control(w) => (u64::from(w) << 8) | 2,
            Actor::Reaper => 3,
        }
    }
    pub fn from_code(c: u64) -> Actor {
        match c & 0xff {
            0 => Actor::Producer((c >> 8) as u32),
            1 => Actor::Slot((c >> 16) as u32, ((c >> 8) & 0xff) as u32),
            2 => Actor::Control((c >> 8) as u32),
            _ => Actor::Reaper,
        }
    }
    pub fn worker(self) -> Option<u32> {
        match self {
            Actor::Slot(w, _) | Actor::Control(w) => Some(w),
            Actor::Producer(_) | Actor::Reaper => None,
        }
    }
}

/// What a command in flight on a connection was for.
#[derive(Clone, Debug, PartialEq)]
pub enum Tag {
    /// A producer's LPUSH/PUBLISH/XADD of a message (resent if the connection fails first).
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

/// A client connection as the runtime keeps it (the machines only read it through [`Links`]).
#[derive(Clone, Debug, Default)]
pub struct Conn {
    pub client: Option<ClientId>,
    pub epoch: u32,
    pub inflight: VecDeque<Tag>,
    pub reconnecting: bool,
}

/// The connections and whether the broker accepts new ones: what a machine may know about the
/// network when it decides.
#[derive(Clone, Debug, Default)]
pub struct Links {
    pub conns: BTreeMap<Actor, Conn>,
    pub broker_up: bool,
}

impl Links {
    /// A command sent on `actor`'s connection now reaches the wire: the connection is open, or the
    /// broker accepts a new one.
    pub fn can_send(&self, actor: Actor) -> bool {
        self.broker_up || self.conns.get(&actor).is_some_and(|c| c.client.is_some())
    }

    /// A command tagged `tag` is in flight on `actor`'s connection.
    pub fn in_flight(&self, actor: Actor, tag: &Tag) -> bool {
        self.conns.get(&actor).is_some_and(|c| c.inflight.contains(tag))
    }

    /// Nothing is in flight on `actor`'s connection.
    pub fn idle(&self, actor: Actor) -> bool {
        self.conns.get(&actor).is_none_or(|c| c.inflight.is_empty())
    }
}

/// A timer a machine set; the runtime hands it back as [`Input::Timer`] when it is due.
#[derive(Clone, Debug, PartialEq)]
pub enum Timer {
    WorkDone { worker: u32, epoch: u32, job: u64 },
    Heartbeat { worker: u32, epoch: u32 },
    ReaperTick,
    RestoreTick { worker: u32, epoch: u32 },
    EtaTick { worker: u32, epoch: u32 },
    RrAttempt { req: u64 },
    RrArrive { instance: u32, generation: u32, req: u64, attempt: u32 },
    RrDone { instance: u32, generation: u32, req: u64, attempt: u32 },
    RrReply { req: u64, attempt: u32, instance: u32, ok: bool, sent: SimTime },
    RrTimeout { req: u64, attempt: u32 },
}

/// A machine's name for a timer it may cancel (the runtime maps it to the kernel's event).
pub type TimerToken = u64;

/// Counters in [`super::runtime::RunStats`] a machine's transitions move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counter {
    Rejected,
    TimedOut,
    Failed,
    Retries,
    DeadLettered,
    Executions,
    Restored,
    RejectedOrTimedOutDuringBurst,
}

/// What a machine asks the runtime to do, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Send `argv` on `actor`'s connection (connecting first), remembering `tag` for the reply.
    /// When [`Links::can_send`] said no, the machine has already made up for it.
    Send {
        actor: Actor,
        tag: Tag,
        argv: Vec<Vec<u8>>,
    },
    /// Hand `timer` back at `at`; `token` names it for [`Effect::Cancel`].
    Timer {
        at: SimTime,
        timer: Timer,
        token: Option<TimerToken>,
    },
    Cancel(TimerToken),
    /// Producer `producer` publishes `payload` (message `msg`) with the pattern's push command.
    Enqueue {
        producer: u32,
        msg: MsgId,
        payload: Vec<u8>,
    },
    /// A copy of `msg` (unit `copy`) reached consumer `consumer`.
    Deliver {
        msg: MsgId,
        copy: usize,
        consumer: u32,
    },
    /// Consumer `consumer` performed `msg`'s side effect (unit `copy`).
    Process {
        msg: MsgId,
        copy: usize,
        consumer: u32,
    },
    /// An idempotency key stopped a duplicate side effect.
    Suppress,
    Note {
        msg: MsgId,
        kind: StepKind,
    },
    Flow {
        msg: MsgId,
        from: Node,
        to: Node,
        fate: Fate,
    },
    Count(Counter),
    /// Worker `worker` died holding `in_flight`; `connections`: its connections die with it.
    Crashed {
        worker: u32,
        in_flight: Vec<MsgId>,
        connections: bool,
    },
    /// The oldest command in flight on `actor`'s connection was answered by a push frame (pub/sub's
    /// subscribe confirmation).
    Answered(Actor),
}

/// What a machine is told.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// The run starts: start every worker (and the reaper).
    Start,
    /// Producer `producer` made message `msg`.
    Produced {
        producer: u32,
        msg: MsgId,
    },
    /// A reply to the oldest command in flight on `actor`'s connection, tagged `tag`.
    Reply {
        actor: Actor,
        tag: Tag,
        frame: Reply,
    },
    /// A frame that answers no command (a pub/sub message on a subscribed connection).
    Pushed {
        actor: Actor,
        frame: Reply,
    },
    /// A command that never ran (the connection failed first, or was reset with it in flight).
    Failed {
        actor: Actor,
        tag: Tag,
    },
    /// `actor`'s connection is back (the broker is up and the worker is alive).
    Reconnected(Actor),
    Timer(Timer),
    Crash(u32),
    Restart(u32),
    /// Worker `w` runs `factor` times slower (1 = normal).
    Slow(u32, f64),
}

/// What a machine may read while it decides, and where its effects go.
pub struct Io<'a> {
    pub now: SimTime,
    pub sc: &'a Scenario,
    pub links: &'a Links,
    /// The consumers are cut off from the broker (or the instances from their clients).
    pub partitioned: bool,
    /// The downstream fails every side effect.
    pub outage: bool,
    /// Within a burst or 2 s after one (request/response counts its refusals there).
    pub in_burst: bool,
    pub effects: &'a mut Vec<Effect>,
}

impl Io<'_> {
    /// Queues `argv` on `actor`'s connection; false when it cannot reach the broker (the caller
    /// then makes up for the command, as it would for a reset connection).
    pub fn send(&mut self, actor: Actor, tag: Tag, argv: Vec<Vec<u8>>) -> bool {
        self.effects.push(Effect::Send { actor, tag, argv });
        self.links.can_send(actor)
    }
    pub fn after(&mut self, d: SimDuration, timer: Timer) {
        let at = self.now + d;
        self.effects.push(Effect::Timer { at, timer, token: None });
    }
    pub fn at_token(&mut self, at: SimTime, timer: Timer, token: TimerToken) {
        self.effects.push(Effect::Timer { at, timer, token: Some(token) });
    }
    pub fn cancel(&mut self, token: TimerToken) {
        self.effects.push(Effect::Cancel(token));
    }
    pub fn deliver(&mut self, msg: MsgId, copy: usize, consumer: u32) {
        self.effects.push(Effect::Deliver { msg, copy, consumer });
    }
    pub fn process(&mut self, msg: MsgId, copy: usize, consumer: u32) {
        self.effects.push(Effect::Process { msg, copy, consumer });
    }
    pub fn note(&mut self, msg: MsgId, kind: StepKind) {
        self.effects.push(Effect::Note { msg, kind });
    }
    pub fn flow(&mut self, msg: MsgId, from: Node, to: Node, fate: Fate) {
        self.effects.push(Effect::Flow { msg, from, to, fate });
    }
    pub fn count(&mut self, c: Counter) {
        self.effects.push(Effect::Count(c));
    }
}

/// One pattern's state machine. `handle` is the only transition; the rest only read.
pub trait Machine {
    fn handle(&mut self, io: &mut Io<'_>, input: Input);
    /// The command a producer sends to publish `payload`.
    fn push_command(&self, payload: &[u8]) -> Vec<Vec<u8>>;
    /// Consumer `w` (worker, subscriber or instance) as the page's card shows it.
    fn consumer(&self, w: u32) -> ConsumerState;
    /// Frames on `actor`'s connection that answer no command (pub/sub subscribers).
    fn takes_pushes(&self, actor: Actor) -> bool {
        let _ = actor;
        false
    }
    /// Messages queued inside the machine itself (request/response instances' backlogs).
    fn queued(&self) -> u64 {
        0
    }
}

/// What one consumer is and holds (the runtime adds the run-wide facts for the page).
#[derive(Clone, Debug, PartialEq)]
pub struct ConsumerState {
    pub up: bool,
    pub slow: f64,
    pub running: u32,
    pub held: Vec<(MsgId, bool)>,
    pub tags: Vec<String>,
}

/// A message a worker holds.
#[derive(Clone, Debug)]
pub struct Job {
    pub msg: MsgId,
    pub payload: Vec<u8>,
    pub retries: u32,
    pub eta: SimTime,
    /// Celery's delivery tag (task-queue) or the stream entry id (stream-group).
    pub tag: String,
    pub running: bool,
    pub acked: bool,
}

/// What every pattern's consumer has: liveness, speed, its own random stream and what it holds.
#[derive(Clone, Debug)]
pub struct Worker {
    pub up: bool,
    /// Bumped by every crash: timers and replies of an earlier life are ignored.
    pub epoch: u32,
    pub slow: f64,
    pub rng: SimRng,
    pub jobs: BTreeMap<u64, Job>,
    pub next_job: u64,
    pub running: u32,
}

impl Worker {
    pub fn fleet(sc: &Scenario, root: &SimRng) -> Vec<Worker> {
        (0..sc.consumers.count)
            .map(|w| Worker {
                up: true,
                epoch: 0,
                slow: 1.0,
                rng: root.child_indexed("worker", u64::from(w)),
                jobs: BTreeMap::new(),
                next_job: 0,
                running: 0,
            })
            .collect()
    }

    /// Job ids encode the slot in their low 6 bits (concurrency ≤ 64).
    pub fn new_job(&mut self, slot: u32, job: Job) -> u64 {
        let id = self.next_job * 64 + u64::from(slot % 64);
        self.next_job += 1;
        self.jobs.insert(id, job);
        id
    }

    /// Starts job `job` of worker `w`: its service time (a `long` task takes `long.1` ms with
    /// probability `long.0`), slowed by the worker's factor.
    pub fn run_job(&mut self, io: &mut Io<'_>, w: u32, job: u64, long: Option<(f64, u64)>) {
        io.count(Counter::Executions);
        self.running += 1;
        let mut ms = io.sc.consumers.service.sample_ms(&mut self.rng);
        if let Some((p, long_ms)) = long {
            if p > 0.0 && self.rng.bernoulli(p) {
                ms = long_ms as f64;
            }
        }
        let d = SimDuration::from_millis_f64(ms * self.slow);
        io.after(d, Timer::WorkDone { worker: w, epoch: self.epoch, job });
    }

    /// The finished job `job_id` of the current life, and whether its side effect failed; `None`
    /// for a timer of an earlier life or a job no longer held.
    pub fn finish(&mut self, io: &mut Io<'_>, w: u32, epoch: u32, job_id: u64) -> Option<(Job, bool)> {
        if self.epoch != epoch || !self.up {
            return None;
        }
        let job = self.jobs.remove(&job_id)?;
        self.running = self.running.saturating_sub(1);
        let failed = io.outage || self.rng.bernoulli(io.sc.consumers.failure_p);
        if failed {
            io.note(job.msg, StepKind::Failed { consumer: w });
        }
        Some((job, failed))
    }

    /// The worker dies: everything it held is gone (noted as dropped by the crash).
    pub fn crash(&mut self, io: &mut Io<'_>, w: u32) -> Vec<MsgId> {
        self.up = false;
        self.epoch += 1;
        self.running = 0;
        let in_flight: Vec<MsgId> = std::mem::take(&mut self.jobs).into_values().map(|j| j.msg).collect();
        for &m in &in_flight {
            io.note(m, StepKind::Dropped { consumer: w, cause: super::trail::DropCause::Crash });
            io.flow(m, Node::Consumer(w), Node::Consumer(w), Fate::Lost);
        }
        in_flight
    }

    /// `Input::Crash` for a broker client: the worker (if up) dies with what it held and its
    /// connections close. False when it was already down.
    pub fn die(&mut self, io: &mut Io<'_>, w: u32) -> bool {
        if !self.up {
            return false;
        }
        let in_flight = self.crash(io, w);
        io.effects.push(Effect::Crashed { worker: w, in_flight, connections: true });
        true
    }

    /// `Input::Restart`: true when the worker was down and is up now (the caller starts it).
    pub fn revive(&mut self) -> bool {
        !std::mem::replace(&mut self.up, true)
    }

    pub fn state(&self) -> ConsumerState {
        ConsumerState {
            up: self.up,
            slow: self.slow,
            running: self.running,
            held: self.jobs.values().map(|j| (j.msg, j.running)).collect(),
            tags: self.jobs.values().map(|j| j.tag.clone()).collect(),
        }
    }
}

/// Producer `producer`'s message `msg`, published now and due now (every broker pattern but the
/// task queue, whose messages carry a countdown).
pub(crate) fn enqueue_now(io: &mut Io<'_>, producer: u32, msg: MsgId) {
    io.effects.push(Effect::Enqueue { producer, msg, payload: payload(msg, 0, io.now) });
}

pub(crate) fn argv(parts: &[&[u8]]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.to_vec()).collect()
}

/// `msg:<id>:<retries>:<eta unix ms>`: what producers put on the wire.
pub(crate) fn payload(id: MsgId, retries: u32, eta: SimTime) -> Vec<u8> {
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
pub(crate) fn frame_messages(frame: &Reply, out: &mut Vec<MsgId>) {
    match frame {
        Reply::Bulk(b) => out.extend(parse_payload(b).map(|m| m.0)),
        Reply::Array(a) => a.iter().for_each(|f| frame_messages(f, out)),
        _ => {}
    }
}

/// The (id, payload) entries of an XREADGROUP reply (`[[stream, [[id, [field, value]] …]]]`) or
/// of XAUTOCLAIM's second element.
pub(crate) fn stream_entries(list: &Reply) -> Vec<(Vec<u8>, Vec<u8>)> {
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

pub(crate) fn xreadgroup_entries(frame: &Reply) -> Vec<(Vec<u8>, Vec<u8>)> {
    match frame {
        Reply::Array(streams) => match streams.first() {
            Some(Reply::Array(kv)) => kv.get(1).map(stream_entries).unwrap_or_default(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// A popped list element: BRPOP's `[key, value]` or BLMOVE's bulk.
pub(crate) fn popped(frame: Reply) -> Option<Vec<u8>> {
    match frame {
        Reply::Array(mut kv) if kv.len() == 2 => match kv.pop() {
            Some(Reply::Bulk(b)) => Some(b),
            _ => None,
        },
        Reply::Bulk(b) => Some(b),
        _ => None,
    }
}

/// A time as Redis sorted-set scores carry it here: unix seconds with milliseconds.
pub(crate) fn secs(t: SimTime) -> String {
    let ms = t.as_unix_ms();
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

#[cfg(test)]
pub(crate) mod testing {
    //! Feeding one machine events and reading its effects, without a runtime.
    use super::*;

    /// A world for one machine: the scenario, the links it sees and the effects it returned.
    pub struct Bench {
        pub sc: Scenario,
        pub links: Links,
        pub now: SimTime,
        pub partitioned: bool,
        pub outage: bool,
    }

    impl Bench {
        pub fn new(sc: Scenario) -> Self {
            Bench {
                sc,
                links: Links { broker_up: true, ..Links::default() },
                now: crate::sim::TEST_EPOCH,
                partitioned: false,
                outage: false,
            }
        }

        pub fn feed(&self, m: &mut dyn Machine, input: Input) -> Vec<Effect> {
            let mut effects = Vec::new();
            let mut io = Io {
                now: self.now,
                sc: &self.sc,
                links: &self.links,
                partitioned: self.partitioned,
                outage: self.outage,
                in_burst: false,
                effects: &mut effects,
            };
            m.handle(&mut io, input);
            effects
        }
    }

    /// The commands among `effects`, as `actor> ARGV…` lines.
    pub fn commands(effects: &[Effect]) -> Vec<String> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::Send { actor, argv, .. } => Some(format!(
                    "{}> {}",
                    actor.name(),
                    argv.iter().map(|a| String::from_utf8_lossy(a)).collect::<Vec<_>>().join(" ")
                )),
                _ => None,
            })
            .collect()
    }

    pub fn bulk(s: &str) -> Reply {
        Reply::Bulk(s.as_bytes().to_vec())
    }
}
