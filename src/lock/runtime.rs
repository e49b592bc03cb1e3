//! The lock runtime: a kernel [`Model`] that hosts N lock workers and 1..N modeled Redis instances
//! on the kernel's network model and performs the machines' effects. It is three jobs kept apart:
//! - **hosts** (this file): worker processes (machine, ioredis connections from `client.rs`, the
//!   job of `startWork`, `stopWork`), Redis servers (store, client connections), and the messages
//!   between them;
//! - **faults** (`faults.rs`): the user's buttons and the scenario's steps;
//! - **recording** (`recorder.rs`): lanes, logs and the safety checker, which the page and `sim lock`
//!   read.
//!
//! Each worker and each Redis instance is a node of [`Network`]: commands and replies travel with
//! the link's latency (FIFO per direction, like a TCP connection); a paused worker's timers,
//! replies and work are held until it resumes; a drifting worker's timers run on its own clock. A
//! partition holds the packets of the worker's connections until it heals (TCP retransmits; no
//! connection is reset). A crashed Redis closes its clients' connections, and ioredis reconnects.
//!
//! This module never reads a wall clock or OS entropy; everything random comes from the scenario's
//! seed through named children.

use super::checker::{Summary, Violation, WriteRecord};
use super::client::{ClientEffect, ConnState, Connection};
use super::command::{display_reply, LockCommand, OwnerEffect};
use super::ids::worker_id;
use super::machine::{
    majority, Effect, Event, LockWorker, MachineConfig, RequestId, TimerKind, Transition, WorkerState,
};
pub use super::recorder::{CommandRecord, LaneState, LogEntry, Recorder, RedisSpan, StateSpan};
use super::scenario::{Action, Scenario, ScenarioError};
use super::store::{Instance, KeyView};
use crate::redis::Reply;
use crate::sim::net::{Delivery, NetEvent, Network, NodeId, TimerId};
use crate::sim::{Ctx, History, Model, SimDuration, SimRng, SimTime, Simulation};
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};

pub use super::checker::Interval;
pub use super::faults::ActionError;

/// The most packets a partitioned worker's connections hold (oldest dropped beyond it).
const HELD_LIMIT: usize = 10_000;
/// How many of its past lock values a worker remembers, so the Redis lane can name an old value's
/// owner.
const RECENT_VALUES: usize = 4;

/// A message on the modeled network: a worker's connection to one Redis instance.
#[derive(Clone, Debug, PartialEq)]
pub enum Msg {
    Request {
        worker: usize,
        worker_id: String,
        /// The value the sender puts in the lock key (to see whose key a DEL or EXPIRE touched).
        value: String,
        incarnation: u32,
        instance: usize,
        epoch: u64,
        req: RequestId,
        command: LockCommand,
    },
    Response {
        worker: usize,
        incarnation: u32,
        instance: usize,
        epoch: u64,
        req: RequestId,
        reply: Reply,
    },
    /// TCP connect plus ioredis's ready check.
    Connect {
        worker: usize,
        incarnation: u32,
        instance: usize,
        epoch: u64,
    },
    ConnectReply {
        worker: usize,
        incarnation: u32,
        instance: usize,
        epoch: u64,
        accepted: bool,
    },
    /// The server's end of the connection went away (it crashed).
    Closed {
        worker: usize,
        incarnation: u32,
        instance: usize,
        epoch: u64,
    },
}

impl Msg {
    /// The worker this message belongs to, and whether it travels towards that worker.
    fn worker(&self) -> (usize, bool) {
        match self {
            Msg::Request { worker, .. } | Msg::Connect { worker, .. } => (*worker, false),
            Msg::Response { worker, .. } | Msg::ConnectReply { worker, .. } | Msg::Closed { worker, .. } => {
                (*worker, true)
            }
        }
    }
    fn instance(&self) -> usize {
        match self {
            Msg::Request { instance, .. }
            | Msg::Connect { instance, .. }
            | Msg::Response { instance, .. }
            | Msg::ConnectReply { instance, .. }
            | Msg::Closed { instance, .. } => *instance,
        }
    }
}

/// A worker-local timer.
#[derive(Clone, Debug, PartialEq)]
pub enum Timer {
    Machine { worker: usize, incarnation: u32, kind: TimerKind },
    ClientTimeout { worker: usize, incarnation: u32, instance: usize, req: RequestId },
    Reconnect { worker: usize, incarnation: u32, instance: usize },
    JobDone { worker: usize, incarnation: u32, job: u64 },
    WorkStopped { worker: usize, incarnation: u32 },
}

/// The runtime's kernel events.
#[derive(Clone, Debug, PartialEq)]
pub enum LockEvent {
    Net(NetEvent<Msg, Timer>),
    /// A worker process starts (connects, and sends itself `TRY_ACQUIRE_LOCK`).
    Start {
        worker: usize,
    },
    /// The scenario's `index`-th step comes due.
    Step {
        index: usize,
    },
    /// A user action applied as an event (so it is traced like everything else).
    User(Action),
    PauseEnd {
        worker: usize,
        incarnation: u32,
    },
    /// A slow Redis executes a command it received `extra_ms` ago (if it has not restarted since).
    RedisExecute {
        instance: usize,
        life: u64,
        msg: Msg,
    },
}

impl From<NetEvent<Msg, Timer>> for LockEvent {
    fn from(e: NetEvent<Msg, Timer>) -> Self {
        LockEvent::Net(e)
    }
}

/// Whether a worker's process is alive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkerStatus {
    /// Not started yet.
    NotStarted,
    Running,
    /// Stop-the-world pause until the given time.
    Paused,
    Crashed,
}

#[derive(Clone)]
pub(super) struct WorkerSlot {
    pub(super) node: NodeId,
    pub(super) machine: LockWorker,
    pub(super) incarnation: u32,
    pub(super) status: WorkerStatus,
    pub(super) conns: Vec<Connection>,
    pub(super) timers: BTreeMap<TimerKind, TimerId>,
    /// Requests the machine waits for: instance and the client-timeout timer (if the send had one).
    pub(super) pending: BTreeMap<RequestId, (usize, Option<TimerId>)>,
    pub(super) reconnect: BTreeMap<usize, TimerId>,
    pub(super) job: Option<(u64, TimerId)>,
    pub(super) stopping: Option<TimerId>,
    pub(super) restarts: u64,
    pub(super) partitioned: bool,
    /// Packets of this worker's connections that met the partition, in order.
    pub(super) held: VecDeque<Msg>,
    pub(super) extra_latency_ms: u64,
    /// Signals (STOP) that arrived during a pause: a frozen process handles them when it resumes.
    pub(super) deferred: Vec<Event>,
    pub(super) jobs_written: u64,
    pub(super) recent_values: VecDeque<String>,
}

#[derive(Clone)]
pub(super) struct RedisSlot {
    pub(super) node: NodeId,
    pub(super) instance: Instance,
    pub(super) up: bool,
    pub(super) extra_ms: u64,
    /// Open client connections: (worker, incarnation) → connection epoch.
    pub(super) clients: BTreeMap<(usize, u32), u64>,
    pub(super) view: KeyView,
    /// A command ran since `view` was taken.
    pub(super) dirty: bool,
}

/// The modeled storage service the jobs write to. With fencing it rejects a token lower than the
/// highest it has seen.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ProtectedResource {
    pub fencing: bool,
    pub max_token: Option<i64>,
    /// The next job of the serial queue (jobs 1, 2, 3 …; acknowledged by an accepted write).
    pub next_job: u64,
    pub last_written: Option<u64>,
}

impl ProtectedResource {
    pub fn new(fencing: bool) -> Self {
        ProtectedResource { fencing, max_token: None, next_job: 1, last_written: None }
    }

    /// A write of `job` with `token`: accepted or (fencing) rejected.
    pub fn write(&mut self, job: u64, token: Option<i64>) -> bool {
        let accepted = if self.fencing {
            match (token, self.max_token) {
                (None, _) => false,
                (Some(t), Some(max)) => t >= max,
                (Some(_), None) => true,
            }
        } else {
            true
        };
        if accepted {
            if let Some(t) = token {
                self.max_token = Some(self.max_token.map_or(t, |m| m.max(t)));
            }
            if job == self.next_job {
                self.next_job = self.next_job.saturating_add(1);
            }
            self.last_written = Some(job);
        }
        accepted
    }
}

/// The value a majority of `values` (one per instance that answered; `n` instances in all) holds.
/// Redis's truth for the checker: the value on a single instance, or Redlock's majority.
pub fn majority_value<'a>(values: impl Iterator<Item = &'a str>, n: usize) -> Option<&'a str> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for v in values {
        *counts.entry(v).or_insert(0) += 1;
    }
    counts.into_iter().find(|(_, c)| *c >= majority(n)).map(|(v, _)| v)
}

/// The lock playground as a kernel model. Cloneable, so rewind can snapshot a run.
#[derive(Clone)]
pub struct LockRuntime {
    pub(super) scenario: Scenario,
    pub(super) cfg: MachineConfig,
    pub(super) start: SimTime,
    pub(super) rng: SimRng,
    pub(super) net: Network<Msg, Timer>,
    pub(super) workers: Vec<WorkerSlot>,
    pub(super) redis: Vec<RedisSlot>,
    pub(super) resource: ProtectedResource,
    pub(super) recorder: Recorder,
    pub(super) notable: NotableState,
}

/// What rewind's notable marks are drawn from: the checker's counts as last seen, and the faults
/// applied since the last look.
#[derive(Clone, Debug, Default)]
pub(super) struct NotableState {
    pub(super) seen: (u64, u64, u64),
    pub(super) faults: Vec<String>,
}

/// Builds a ready-to-run simulation of `scenario` whose clock starts at `epoch`.
pub fn build(scenario: &Scenario, epoch: SimTime) -> Result<Simulation<LockRuntime>, ScenarioError> {
    scenario.validate()?;
    let rng = SimRng::new(scenario.seed);
    let mut net = Network::new(rng.child("network"), scenario.latency.clone());
    net.set_fifo(true);
    let cfg = scenario.machine_config();
    let mut redis = Vec::with_capacity(scenario.redis_instances);
    for i in 0..scenario.redis_instances {
        let node = net.add_node(&format!("redis-{i}")).expect("distinct generated names");
        redis.push(RedisSlot {
            node,
            instance: Instance::new(rng.child_indexed("redis", i as u64)),
            up: true,
            extra_ms: 0,
            clients: BTreeMap::new(),
            view: KeyView { value: None, expires_at: None },
            dirty: false,
        });
    }
    let mut workers: Vec<WorkerSlot> = Vec::with_capacity(scenario.workers);
    for i in 0..scenario.workers {
        let node = net.add_node(&format!("worker-{i}")).expect("distinct generated names");
        let mut id_rng = rng.child_indexed("worker-id", i as u64);
        let mut id = worker_id(epoch, &mut id_rng);
        // 80 random bits make a clash astronomically unlikely; uniqueness is still guaranteed.
        while workers.iter().any(|w| w.machine.id() == id) {
            id = worker_id(epoch, &mut id_rng);
        }
        let machine = LockWorker::new(id, cfg.clone(), rng.child_indexed("worker", i as u64));
        workers.push(WorkerSlot {
            node,
            machine,
            incarnation: 0,
            status: WorkerStatus::NotStarted,
            conns: Vec::new(),
            timers: BTreeMap::new(),
            pending: BTreeMap::new(),
            reconnect: BTreeMap::new(),
            job: None,
            stopping: None,
            restarts: 0,
            partitioned: false,
            held: VecDeque::new(),
            extra_latency_ms: 0,
            deferred: Vec::new(),
            jobs_written: 0,
            recent_values: VecDeque::new(),
        });
    }
    let ids: Vec<String> = workers.iter().map(|w| w.machine.id().to_string()).collect();
    let rt = LockRuntime {
        scenario: scenario.clone(),
        cfg,
        start: epoch,
        rng: rng.clone(),
        net,
        workers,
        redis,
        resource: ProtectedResource::new(scenario.variants.fencing),
        recorder: Recorder::new(epoch, &ids, scenario.redis_instances),
        notable: NotableState::default(),
    };
    let mut sim = Simulation::new(rt, epoch);
    let mut jitter = rng.child("start");
    for i in 0..scenario.workers {
        let at = epoch + SimDuration(jitter.range_inclusive(0, scenario.start_jitter_ms));
        sim.schedule_at(at, LockEvent::Start { worker: i });
    }
    for (index, step) in scenario.steps.iter().enumerate() {
        sim.schedule_at(epoch + SimDuration(step.at_ms), LockEvent::Step { index });
    }
    Ok(sim)
}

/// Runs `scenario` to its end and returns the simulation (for its summary, views, trace and
/// running digest, which is always on).
pub fn run(scenario: &Scenario, epoch: SimTime, trace: bool) -> Result<Simulation<LockRuntime>, ScenarioError> {
    let mut sim = build(scenario, epoch)?;
    sim.trace_mut().set_enabled(trace);
    sim.trace_mut().set_running_digest(true);
    sim.run_until(epoch + SimDuration(scenario.duration_ms));
    Ok(sim)
}

impl LockRuntime {
    pub(super) fn rel(&self, now: SimTime) -> u64 {
        now.saturating_since(self.start).0
    }

    pub(super) fn set_lane(&mut self, now: SimTime, w: usize, state: LaneState) {
        let id = self.workers[w].machine.id().to_string();
        self.recorder.set_lane(now, w, state, &id);
    }

    /// Starts worker `w`'s process: ioredis connects to every instance at once.
    pub(super) fn start_process(&mut self, ctx: &mut Ctx<'_, LockEvent>, w: usize) {
        let now = ctx.now();
        self.workers[w].status = WorkerStatus::Running;
        self.workers[w].conns.clear();
        for i in 0..self.redis.len() {
            let (conn, fx) = Connection::new();
            self.workers[w].conns.push(conn);
            self.client_effects(ctx, w, i, fx);
        }
        self.set_lane(now, w, LaneState::State(WorkerState::Idle));
        self.feed(ctx, w, Event::TryAcquireLock);
    }

    /// Feeds one event to worker `w`'s machine and performs the effects.
    pub(super) fn feed(&mut self, ctx: &mut Ctx<'_, LockEvent>, w: usize, event: Event) {
        if matches!(self.workers[w].status, WorkerStatus::Crashed | WorkerStatus::NotStarted) {
            return;
        }
        let now = ctx.now();
        let local = self.net.local_now(now, self.workers[w].node);
        let out = self.workers[w].machine.handle(local, event);
        if out.ignored.is_some() {
            return;
        }
        if out.from != WorkerState::Working && out.to == WorkerState::Working && out.from == WorkerState::AcquiringLock
        {
            let id = self.workers[w].machine.id().to_string();
            self.recorder.checker_mut().on_acquired(&id);
        }
        if out.to == WorkerState::AcquiringLock && out.from != WorkerState::AcquiringLock {
            let value = self.workers[w].machine.lock_value().to_string();
            let recent = &mut self.workers[w].recent_values;
            if recent.back() != Some(&value) {
                recent.push_back(value);
                while recent.len() > RECENT_VALUES {
                    recent.pop_front();
                }
            }
        }
        self.set_lane(now, w, LaneState::State(out.to));
        for effect in out.effects {
            match effect {
                Effect::Send { instance, req, command, timeout } => self.send(ctx, w, instance, req, command, timeout),
                Effect::SetTimer { timer, after } => {
                    self.cancel_machine_timer(ctx, w, timer);
                    let slot = &self.workers[w];
                    let t = Timer::Machine { worker: w, incarnation: slot.incarnation, kind: timer };
                    let id = self.net.set_timer(ctx, slot.node, after, t);
                    self.workers[w].timers.insert(timer, id);
                }
                Effect::CancelTimer { timer } => self.cancel_machine_timer(ctx, w, timer),
                Effect::StartWork => {
                    // One job per invocation of startWork; one already running goes on.
                    if self.workers[w].job.is_none() {
                        self.start_job(ctx, w);
                    }
                }
                Effect::StopWork => {
                    if let Some((_, t)) = self.workers[w].job.take() {
                        self.net.cancel_timer(ctx, t);
                    }
                    if let Some(t) = self.workers[w].stopping.take() {
                        self.net.cancel_timer(ctx, t);
                    }
                    let slot = &self.workers[w];
                    let t = Timer::WorkStopped { worker: w, incarnation: slot.incarnation };
                    let id = self.net.set_timer(ctx, slot.node, SimDuration(self.scenario.stop_work_ms), t);
                    self.workers[w].stopping = Some(id);
                }
                Effect::Log(line) => self.recorder.worker_log(now, w, line),
            }
        }
    }

    pub(super) fn cancel_machine_timer(&mut self, ctx: &mut Ctx<'_, LockEvent>, w: usize, timer: TimerKind) {
        if let Some(id) = self.workers[w].timers.remove(&timer) {
            self.net.cancel_timer(ctx, id);
        }
    }

    /// The machine sends a command: through the worker's ioredis connection to `instance`.
    fn send(
        &mut self,
        ctx: &mut Ctx<'_, LockEvent>,
        w: usize,
        instance: usize,
        req: RequestId,
        command: LockCommand,
        timeout: Option<SimDuration>,
    ) {
        if instance >= self.workers[w].conns.len() {
            return;
        }
        let slot = &self.workers[w];
        let timer = timeout.map(|d| {
            let t = Timer::ClientTimeout { worker: w, incarnation: slot.incarnation, instance, req };
            self.net.set_timer(ctx, slot.node, d, t)
        });
        self.workers[w].pending.insert(req, (instance, timer));
        let fx = self.workers[w].conns[instance].issue(req, command);
        self.client_effects(ctx, w, instance, fx);
    }

    /// Performs what worker `w`'s connection to `instance` asks for.
    fn client_effects(&mut self, ctx: &mut Ctx<'_, LockEvent>, w: usize, instance: usize, fx: Vec<ClientEffect>) {
        for e in fx {
            let slot = &self.workers[w];
            let (from, incarnation) = (slot.node, slot.incarnation);
            let to = self.redis[instance].node;
            match e {
                ClientEffect::Transmit { epoch, req, command } => {
                    let msg = Msg::Request {
                        worker: w,
                        worker_id: slot.machine.id().to_string(),
                        value: slot.machine.lock_value().to_string(),
                        incarnation,
                        instance,
                        epoch,
                        req,
                        command,
                    };
                    self.net.send(ctx, from, to, msg);
                }
                ClientEffect::Connect { epoch } => {
                    self.net.send(ctx, from, to, Msg::Connect { worker: w, incarnation, instance, epoch });
                }
                ClientEffect::ReconnectAfter(d) => {
                    let id = self.net.set_timer(ctx, from, d, Timer::Reconnect { worker: w, incarnation, instance });
                    if let Some(old) = self.workers[w].reconnect.insert(instance, id) {
                        self.net.cancel_timer(ctx, old);
                    }
                }
                ClientEffect::Fail { req, error } => {
                    if let Some((i, t)) = self.workers[w].pending.remove(&req) {
                        if let Some(t) = t {
                            self.net.cancel_timer(ctx, t);
                        }
                        self.feed(ctx, w, Event::Reply { instance: i, req, reply: Reply::Error(error) });
                    }
                }
            }
        }
    }

    fn start_job(&mut self, ctx: &mut Ctx<'_, LockEvent>, w: usize) {
        let job = self.resource.next_job;
        let slot = &self.workers[w];
        let t = Timer::JobDone { worker: w, incarnation: slot.incarnation, job };
        let id = self.net.set_timer(ctx, slot.node, SimDuration(self.scenario.job_ms), t);
        self.workers[w].job = Some((job, id));
    }

    fn on_job_done(&mut self, ctx: &mut Ctx<'_, LockEvent>, w: usize, job: u64) {
        let now = ctx.now();
        if self.workers[w].job.map(|(j, _)| j) != Some(job) {
            return;
        }
        self.workers[w].job = None;
        let token = self.workers[w].machine.token();
        let accepted = self.resource.write(job, token);
        let truth = self.truth(now);
        let id = self.workers[w].machine.id().to_string();
        let value = self.workers[w].machine.lock_value().to_string();
        self.recorder.checker_mut().on_write(now, w, &id, &value, job, token, accepted, truth.as_deref());
        self.workers[w].jobs_written = self.workers[w].jobs_written.saturating_add(1);
        let verdict = if accepted { "accepted" } else { "REJECTED (fencing)" };
        let token_text = token.map_or(String::new(), |t| format!(" with token {t}"));
        self.recorder.log(now, Some(w), format!("worker-{w} wrote job {job}{token_text}: {verdict}"));
    }

    /// A message reaches its destination, unless the worker it belongs to is partitioned (then the
    /// packet waits for the heal, as TCP retransmits it).
    fn deliver(&mut self, ctx: &mut Ctx<'_, LockEvent>, msg: Msg) {
        let (w, _) = msg.worker();
        if self.workers.get(w).is_some_and(|s| s.partitioned) {
            let held = &mut self.workers[w].held;
            held.push_back(msg);
            while held.len() > HELD_LIMIT {
                held.pop_front();
            }
            return;
        }
        match msg {
            Msg::Request { instance, .. } | Msg::Connect { instance, .. } => self.redis_receive(ctx, instance, msg),
            Msg::Response { worker, incarnation, instance, epoch, req, reply } => {
                self.worker_receive(ctx, worker, incarnation, instance, epoch, req, reply)
            }
            Msg::ConnectReply { worker, incarnation, instance, epoch, accepted } => {
                if self.live(worker, incarnation) {
                    let fx = self.workers[worker].conns[instance].on_connect_result(epoch, accepted);
                    self.client_effects(ctx, worker, instance, fx);
                }
            }
            Msg::Closed { worker, incarnation, instance, epoch } => {
                if self.live(worker, incarnation) {
                    let fx = self.workers[worker].conns[instance].on_closed(epoch);
                    self.client_effects(ctx, worker, instance, fx);
                }
            }
        }
    }

    /// The partition healed: the held packets go out again, in order.
    pub(super) fn release_held(&mut self, ctx: &mut Ctx<'_, LockEvent>, w: usize) {
        for msg in std::mem::take(&mut self.workers[w].held) {
            let (_, to_worker) = msg.worker();
            let (wn, rn) = (self.workers[w].node, self.redis[msg.instance()].node);
            let (from, to) = if to_worker { (rn, wn) } else { (wn, rn) };
            self.net.send(ctx, from, to, msg);
        }
    }

    fn live(&self, w: usize, incarnation: u32) -> bool {
        let s = &self.workers[w];
        s.incarnation == incarnation && matches!(s.status, WorkerStatus::Running | WorkerStatus::Paused)
    }

    fn redis_receive(&mut self, ctx: &mut Ctx<'_, LockEvent>, instance: usize, msg: Msg) {
        let now = ctx.now();
        let at_ms = self.rel(now);
        let r = &mut self.redis[instance];
        match &msg {
            Msg::Connect { worker, incarnation, epoch, .. } => {
                // A host whose Redis is down refuses the connection at once.
                let accepted = r.up;
                if accepted {
                    r.clients.insert((*worker, *incarnation), *epoch);
                }
                let reply =
                    Msg::ConnectReply { worker: *worker, incarnation: *incarnation, instance, epoch: *epoch, accepted };
                let (from, to) = (r.node, self.workers[*worker].node);
                self.net.send(ctx, from, to, reply);
            }
            Msg::Request { worker, worker_id, incarnation, epoch, command, .. } => {
                if !r.up || r.clients.get(&(*worker, *incarnation)) != Some(epoch) {
                    // The connection it was written on is gone (the server crashed or restarted).
                    let record = CommandRecord {
                        at_ms,
                        worker: *worker,
                        worker_id: worker_id.clone(),
                        command: command.display(),
                        reply: "(lost: connection closed by the server)".to_string(),
                    };
                    self.recorder.command(instance, record);
                    return;
                }
                if r.extra_ms > 0 {
                    let life = r.instance.restarts();
                    ctx.schedule_in(SimDuration(r.extra_ms), LockEvent::RedisExecute { instance, life, msg });
                } else {
                    self.redis_execute(ctx, instance, msg);
                }
            }
            Msg::Response { .. } | Msg::ConnectReply { .. } | Msg::Closed { .. } => {}
        }
    }

    pub(super) fn redis_execute(&mut self, ctx: &mut Ctx<'_, LockEvent>, instance: usize, msg: Msg) {
        let now = ctx.now();
        let Msg::Request { worker, worker_id, value, incarnation, epoch, req, command, .. } = msg else {
            return;
        };
        let at_ms = self.rel(now);
        let key = self.cfg.lock_key.clone();
        let r = &mut self.redis[instance];
        if !r.up || r.clients.get(&(worker, incarnation)) != Some(&epoch) {
            return;
        }
        let touches = command.touches_owner();
        let before = if touches.is_some() { r.instance.peek(now, &key).value } else { None };
        let reply = r.instance.execute(now, &command);
        r.dirty = true;
        let foreign = before.is_some() && before.as_deref() != Some(value.as_str());
        if foreign && reply == Reply::Integer(1) {
            match touches {
                Some(OwnerEffect::Extend) => self.recorder.checker_mut().on_foreign_extension(),
                Some(OwnerEffect::Delete) => self.recorder.checker_mut().on_foreign_delete(),
                None => {}
            }
        }
        let record =
            CommandRecord { at_ms, worker, worker_id, command: command.display(), reply: display_reply(&reply) };
        self.recorder.command(instance, record);
        let (from, to) = (self.redis[instance].node, self.workers[worker].node);
        self.net.send(ctx, from, to, Msg::Response { worker, incarnation, instance, epoch, req, reply });
    }

    #[allow(clippy::too_many_arguments)]
    fn worker_receive(
        &mut self,
        ctx: &mut Ctx<'_, LockEvent>,
        worker: usize,
        incarnation: u32,
        instance: usize,
        epoch: u64,
        req: RequestId,
        reply: Reply,
    ) {
        if !self.live(worker, incarnation) || !self.workers[worker].conns[instance].on_reply(epoch, req) {
            return;
        }
        // A reply after the machine timed out is dropped, as a client drops a late reply.
        if let Some((_, t)) = self.workers[worker].pending.remove(&req) {
            if let Some(t) = t {
                self.net.cancel_timer(ctx, t);
            }
            self.feed(ctx, worker, Event::Reply { instance, req, reply });
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, LockEvent>, id: TimerId, timer: Timer) {
        match timer {
            Timer::Machine { worker, incarnation, kind } => {
                let slot = &mut self.workers[worker];
                if slot.incarnation != incarnation || slot.timers.get(&kind) != Some(&id) {
                    return;
                }
                slot.timers.remove(&kind);
                let ev = match kind {
                    TimerKind::Renew => Event::RenewTimer,
                    TimerKind::Retry => Event::RetryTimer,
                    TimerKind::Validity => Event::ValidityTimer,
                };
                self.feed(ctx, worker, ev);
            }
            Timer::ClientTimeout { worker, incarnation, instance, req } => {
                let slot = &mut self.workers[worker];
                if slot.incarnation != incarnation || slot.pending.remove(&req).is_none() {
                    return;
                }
                self.feed(ctx, worker, Event::ClientTimeout { instance, req });
            }
            Timer::Reconnect { worker, incarnation, instance } => {
                if !self.live(worker, incarnation) || self.workers[worker].reconnect.get(&instance) != Some(&id) {
                    return;
                }
                self.workers[worker].reconnect.remove(&instance);
                let fx = self.workers[worker].conns[instance].on_reconnect_timer();
                self.client_effects(ctx, worker, instance, fx);
            }
            Timer::JobDone { worker, incarnation, job } => {
                if self.workers[worker].incarnation == incarnation {
                    self.on_job_done(ctx, worker, job);
                }
            }
            Timer::WorkStopped { worker, incarnation } => {
                if self.workers[worker].incarnation == incarnation && self.workers[worker].stopping == Some(id) {
                    self.workers[worker].stopping = None;
                    self.feed(ctx, worker, Event::WorkStopped);
                }
            }
        }
    }

    /// The worker that believes it holds the lock (lowest index), else the one Redis names.
    pub fn holder(&mut self, now: SimTime) -> Option<usize> {
        if let Some(w) = (0..self.workers.len()).find(|w| self.believes(*w)) {
            return Some(w);
        }
        let truth = self.truth(now)?;
        self.owner_of(&truth)
    }

    /// The worker whose (current or recent) lock value `value` is.
    fn owner_of(&self, value: &str) -> Option<usize> {
        self.workers.iter().position(|s| s.machine.lock_value() == value || s.recent_values.iter().any(|v| v == value))
    }

    pub(super) fn believes(&self, w: usize) -> bool {
        let s = &self.workers[w];
        matches!(s.status, WorkerStatus::Running | WorkerStatus::Paused) && s.machine.believes_it_holds()
    }

    /// Redis's truth now: the majority value of the instances that are up (looks at the stores).
    fn truth(&mut self, now: SimTime) -> Option<String> {
        let key = self.cfg.lock_key.clone();
        let n = self.redis.len();
        let values: Vec<String> =
            self.redis.iter_mut().filter(|r| r.up).filter_map(|r| r.instance.peek(now, &key).value).collect();
        majority_value(values.iter().map(String::as_str), n).map(str::to_string)
    }

    /// After every event: Redis lanes and the safety checker.
    fn check(&mut self, now: SimTime) {
        let key = &self.cfg.lock_key;
        for i in 0..self.redis.len() {
            let r = &mut self.redis[i];
            // The key changes only when a command runs or its deadline passes: skip the look otherwise.
            let stale = r.dirty || r.view.expires_at.is_some_and(|t| t <= now);
            if !stale && r.up && self.recorder.redis_last(i).is_some_and(|l| l.up) {
                continue;
            }
            let expired_at = r.view.expires_at.filter(|t| *t <= now && !r.dirty);
            if !r.up {
                r.view = KeyView { value: None, expires_at: None };
            } else if stale {
                r.dirty = false;
                r.view = r.instance.peek(now, key);
            }
            let up = r.up;
            let unchanged = self
                .recorder
                .redis_last(i)
                .is_some_and(|l| l.up == up && l.value == r.view.value && l.expires_at == r.view.expires_at);
            if unchanged {
                continue;
            }
            let last_from = self.recorder.redis_last(i).map(|l| l.from);
            // A key that merely expired ends at its deadline, not at the next event.
            let from = match (expired_at, &r.view.value) {
                (Some(t), None) if up => t.max(last_from.unwrap_or(t)),
                _ => now,
            };
            let view = r.view.clone();
            let owner = view.value.as_deref().and_then(|v| self.owner_of(v));
            let span = RedisSpan { from, to: None, value: view.value, expires_at: view.expires_at, up, owner };
            self.recorder.redis_span(now, i, span);
        }
        let n = self.redis.len();
        let truth = majority_value(self.redis.iter().filter(|r| r.up).filter_map(|r| r.view.value.as_deref()), n);
        let believers: Vec<(usize, &str)> = self
            .workers
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                matches!(s.status, WorkerStatus::Running | WorkerStatus::Paused) && s.machine.believes_it_holds()
            })
            .map(|(w, s)| (w, s.machine.lock_value()))
            .collect();
        self.recorder.checker_mut().observe(now, &believers, truth);
    }

    // ---- read-only state for drawing -------------------------------------------------------

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }
    pub fn start(&self) -> SimTime {
        self.start
    }
    pub fn summary(&self, now: SimTime) -> Summary {
        self.recorder.checker().summary(now)
    }
    /// The recorded history (lanes, logs, checker), for views that want it whole.
    pub fn recorder(&self) -> &Recorder {
        &self.recorder
    }
    pub fn violations(&self) -> &History<Violation> {
        self.recorder.checker().violations()
    }
    pub fn writes(&self) -> &History<WriteRecord> {
        self.recorder.checker().writes()
    }
    pub fn resource(&self) -> &ProtectedResource {
        &self.resource
    }
    /// The global event log, in order (the last hour of virtual time).
    pub fn log(&self) -> &History<LogEntry> {
        self.recorder.global_log()
    }
    pub fn worker_count(&self) -> usize {
        self.workers.len()
    }
    pub fn redis_count(&self) -> usize {
        self.redis.len()
    }

    /// One worker's card.
    pub fn worker_view(&self, w: usize) -> Option<WorkerView<'_>> {
        let s = self.workers.get(w)?;
        let conn = s.conns.iter().map(Connection::state).find(|c| *c != ConnState::Ready).unwrap_or(ConnState::Ready);
        Some(WorkerView {
            index: w,
            id: s.machine.id(),
            lock_value: s.machine.lock_value(),
            status: s.status,
            state: s.machine.state(),
            last_transition: s.machine.last_transition(),
            token: s.machine.token(),
            believes_it_holds: self.believes(w),
            current_job: s.job.map(|(j, _)| j),
            jobs_written: s.jobs_written,
            clock_rate: self.net.clock_rate(s.node),
            partitioned: s.partitioned,
            extra_latency_ms: s.extra_latency_ms,
            restarts: s.restarts,
            connection: if s.conns.is_empty() { None } else { Some(conn) },
            queued_commands: s.conns.iter().map(Connection::queued).sum(),
            log: self.recorder.worker_log_lines(w),
            lane: self.recorder.worker_lane(w),
            pauses: self.recorder.pauses(w),
        })
    }

    /// One Redis instance's panel (the view as of the last event).
    pub fn redis_view(&self, i: usize, now: SimTime) -> Option<RedisView<'_>> {
        let r = self.redis.get(i)?;
        Some(RedisView {
            index: i,
            up: r.up,
            lock_key: &self.cfg.lock_key,
            value: r.view.value.as_deref(),
            owner: r.view.value.as_deref().and_then(|v| self.owner_of(v)),
            ttl_left_ms: r.view.expires_at.map(|t| t.saturating_since(now).0),
            extra_latency_ms: r.extra_ms,
            commands: self.recorder.commands(i).iter().collect(),
            lane: self.recorder.redis_lane(i),
        })
    }

    /// Intervals where worker `w` believed it held the lock (derived from its lane).
    pub fn belief_intervals(&self, w: usize) -> Vec<Interval> {
        if w >= self.workers.len() {
            return Vec::new();
        }
        let mut out: Vec<Interval> = Vec::new();
        for span in self.recorder.worker_lane(w) {
            let believes = matches!(span.state, LaneState::State(st) if st.believes_it_holds());
            if !believes {
                continue;
            }
            match out.last_mut() {
                Some(last) if last.to == Some(span.from) => last.to = span.to,
                _ => out.push(Interval { from: span.from, to: span.to }),
            }
        }
        out
    }
}

/// A worker's card and lane, borrowed from the runtime.
#[derive(Clone, Debug, Serialize)]
pub struct WorkerView<'a> {
    pub index: usize,
    pub id: &'a str,
    /// The value it sets the lock key to (its id; with Redlock a random value per acquisition).
    pub lock_value: &'a str,
    pub status: WorkerStatus,
    pub state: WorkerState,
    pub last_transition: Option<&'a Transition>,
    pub token: Option<i64>,
    pub believes_it_holds: bool,
    pub current_job: Option<u64>,
    pub jobs_written: u64,
    pub clock_rate: f64,
    pub partitioned: bool,
    pub extra_latency_ms: u64,
    pub restarts: u64,
    /// The least ready of its connections (`None` before it starts).
    pub connection: Option<ConnState>,
    /// Commands waiting in its clients' offline queues.
    pub queued_commands: usize,
    pub log: &'a History<LogEntry>,
    pub lane: &'a History<StateSpan>,
    pub pauses: &'a History<Interval>,
}

/// A Redis instance's panel and lane, borrowed from the runtime.
#[derive(Clone, Debug, Serialize)]
pub struct RedisView<'a> {
    pub index: usize,
    pub up: bool,
    pub lock_key: &'a str,
    pub value: Option<&'a str>,
    pub owner: Option<usize>,
    pub ttl_left_ms: Option<u64>,
    pub extra_latency_ms: u64,
    pub commands: Vec<&'a CommandRecord>,
    pub lane: &'a History<RedisSpan>,
}

impl Model for LockRuntime {
    type Event = LockEvent;

    fn handle(&mut self, ctx: &mut Ctx<'_, LockEvent>, event: LockEvent) {
        let now = ctx.now();
        match event {
            LockEvent::Net(e) => match self.net.on_event(ctx, e) {
                None => {}
                Some(Delivery::Message { msg, .. }) => self.deliver(ctx, msg),
                Some(Delivery::Timer { id, timer, .. }) => self.on_timer(ctx, id, timer),
            },
            LockEvent::Start { worker } => {
                if self.workers[worker].status == WorkerStatus::NotStarted {
                    self.start_process(ctx, worker);
                }
            }
            LockEvent::Step { index } => {
                if let Some(step) = self.scenario.steps.get(index).cloned() {
                    // Validated when the scenario was built; a step that cannot apply is logged.
                    if let Err(e) = self.apply_action(ctx, &step.action) {
                        self.recorder.log(now, None, format!("step {index} skipped: {e}"));
                    }
                }
            }
            LockEvent::User(action) => {
                if let Err(e) = self.apply_action(ctx, &action) {
                    self.recorder.log(now, None, format!("action skipped: {e}"));
                }
            }
            LockEvent::PauseEnd { worker, incarnation } => self.pause_end(ctx, worker, incarnation),
            LockEvent::RedisExecute { instance, life, msg } => {
                if self.redis[instance].instance.restarts() == life {
                    self.redis_execute(ctx, instance, msg);
                }
            }
        }
        self.check(now);
    }

    fn describe(&self, event: &LockEvent) -> (String, String) {
        match event {
            LockEvent::Net(e) => self.net.describe(
                e,
                |m| match m {
                    Msg::Request { command, req, .. } => {
                        format!("#{} {}", req.0, command.display())
                    }
                    Msg::Response { reply, req, .. } => {
                        format!("#{} {}", req.0, display_reply(reply))
                    }
                    Msg::Connect { epoch, .. } => format!("connect #{epoch}"),
                    Msg::ConnectReply { epoch, accepted, .. } => {
                        format!("connect #{epoch} {}", if *accepted { "accepted" } else { "refused" })
                    }
                    Msg::Closed { epoch, .. } => format!("connection #{epoch} closed"),
                },
                |t| match t {
                    Timer::Machine { kind, .. } => format!("{kind:?} timer"),
                    Timer::ClientTimeout { req, .. } => format!("client timeout #{}", req.0),
                    Timer::Reconnect { instance, .. } => format!("reconnect to redis-{instance}"),
                    Timer::JobDone { job, .. } => format!("job {job} done"),
                    Timer::WorkStopped { .. } => "stopWork resolved".to_string(),
                },
            ),
            LockEvent::Start { worker } => (format!("worker-{worker}"), "start".into()),
            LockEvent::Step { index } => {
                ("scenario".into(), format!("step {index}: {:?}", self.scenario.steps.get(*index).map(|s| &s.action)))
            }
            LockEvent::User(a) => ("user".into(), format!("{a:?}")),
            LockEvent::PauseEnd { worker, .. } => (format!("worker-{worker}"), "pause ends".into()),
            LockEvent::RedisExecute { instance, msg, .. } => (
                format!("redis-{instance}"),
                match msg {
                    Msg::Request { command, .. } => format!("execute (slow) {}", command.display()),
                    Msg::Response { .. } | Msg::Connect { .. } | Msg::ConnectReply { .. } | Msg::Closed { .. } => {
                        "message".into()
                    }
                },
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::majority_value;

    #[test]
    fn the_majority_value_needs_more_than_half_of_all_instances() {
        let v = |xs: &[&'static str], n| majority_value(xs.iter().copied(), n);
        assert_eq!(v(&["A"], 1), Some("A"));
        assert_eq!(v(&["A", "A", "B"], 5), None, "2 of 5 is no majority");
        assert_eq!(v(&["A", "A", "B", "A"], 5), Some("A"));
        assert_eq!(v(&[], 3), None);
    }
}
