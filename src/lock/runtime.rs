//! The lock runtime: a kernel [`Model`] that runs N lock workers and 1..N modeled Redis instances
//! over the kernel's network model, executes the machines' effects, runs the serial job queue and
//! the protected resource, applies faults, and hands every event's outcome to the safety checker.
//!
//! Each worker and each Redis instance is a node of [`Network`]: commands and replies travel with
//! the link's latency (FIFO per direction, like a TCP connection), partitions drop them, a paused
//! worker's timers, replies and work are held until it resumes, and a drifting worker's timers run
//! on its own clock. The client timeout is a node-local timer per request.
//!
//! This module never reads a wall clock or OS entropy; everything random comes from the scenario's
//! seed through named children.

use super::checker::{Checker, Interval, Summary, Violation, WriteRecord};
use super::command::{display_reply, LockCommand};
use super::ids::worker_id;
use super::machine::{Effect, Event, LockWorker, MachineConfig, RequestId, TimerKind, Transition, WorkerState};
use super::scenario::{Action, Scenario, ScenarioError, Target};
use super::store::{Instance, KeyView};
use crate::redis::Reply;
use crate::sim::net::{Delivery, LinkConfig, NetEvent, Network, NodeId, TimerId};
use crate::sim::{Ctx, Distribution, Model, SimDuration, SimRng, SimTime, Simulation};
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use thiserror::Error;

/// How many commands each Redis panel keeps.
pub const REDIS_PANEL_COMMANDS: usize = 64;
/// How many entries the global log, each lane and the write record keep (the oldest go first), so a
/// long run at 100× does not grow without bound. The summary's counts are exact regardless.
pub const HISTORY_LIMIT: usize = 50_000;
/// How many lines each worker's own log keeps.
pub const WORKER_LOG_LIMIT: usize = 5_000;

/// Keeps the newest `limit` entries, dropping the oldest in batches (amortised O(1) per push, and
/// the history stays one contiguous slice for drawing).
pub(crate) fn trim<T>(v: &mut Vec<T>, limit: usize) {
    if v.len() > limit.saturating_add(limit / 2) {
        let excess = v.len() - limit;
        v.drain(..excess);
    }
}

/// A message on the modeled network.
#[derive(Clone, Debug, PartialEq)]
pub enum Msg {
    Request {
        worker: usize,
        worker_id: String,
        incarnation: u32,
        instance: usize,
        req: RequestId,
        command: LockCommand,
    },
    Response {
        worker: usize,
        incarnation: u32,
        instance: usize,
        req: RequestId,
        reply: Reply,
    },
}

/// A worker-local timer.
#[derive(Clone, Debug, PartialEq)]
pub enum Timer {
    Machine { worker: usize, incarnation: u32, kind: TimerKind },
    ClientTimeout { worker: usize, incarnation: u32, instance: usize, req: RequestId },
    JobDone { worker: usize, incarnation: u32, job: u64 },
}

/// The runtime's kernel events.
#[derive(Clone, Debug, PartialEq)]
pub enum LockEvent {
    Net(NetEvent<Msg, Timer>),
    /// A worker process starts (sends itself `TRY_ACQUIRE_LOCK`).
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
    /// A slow Redis executes a command it received `extra_ms` ago.
    RedisExecute {
        instance: usize,
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

/// What a worker lane shows over an interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "state")]
pub enum LaneState {
    NotStarted,
    State(WorkerState),
    Crashed,
}

/// One segment of a worker's timeline lane.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StateSpan {
    pub from: SimTime,
    pub to: Option<SimTime>,
    pub state: LaneState,
    /// The worker id during this span (a restarted worker has a new id).
    pub worker_id: String,
}

/// One segment of a Redis lane: the lock key's value and deadline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RedisSpan {
    pub from: SimTime,
    pub to: Option<SimTime>,
    pub value: Option<String>,
    pub expires_at: Option<SimTime>,
    pub up: bool,
}

/// A line of a log, with its virtual time (ms since the run started).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    pub at_ms: u64,
    pub worker: Option<usize>,
    pub text: String,
}

/// A command a Redis instance executed (or dropped) and its reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CommandRecord {
    pub at_ms: u64,
    pub worker: usize,
    pub worker_id: String,
    pub command: String,
    pub reply: String,
}

/// Actions the user can get wrong.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ActionError {
    #[error("worker {worker} does not exist; expected 0 to {last}", last = workers.saturating_sub(1))]
    UnknownWorker { worker: usize, workers: usize },
    #[error("Redis instance {instance} does not exist; expected 0 to {last}", last = instances.saturating_sub(1))]
    UnknownInstance { instance: usize, instances: usize },
    #[error("clock rate {0} is out of range; expected 0.01 to 100 (1 = exact)")]
    BadRate(f64),
}

struct WorkerSlot {
    node: NodeId,
    machine: LockWorker,
    incarnation: u32,
    status: WorkerStatus,
    timers: BTreeMap<TimerKind, TimerId>,
    pending: BTreeMap<RequestId, TimerId>,
    job: Option<(u64, TimerId)>,
    working: bool,
    restarts: u64,
    partitioned: bool,
    extra_latency_ms: u64,
    log: Vec<LogEntry>,
    lane: Vec<StateSpan>,
    pauses: Vec<Interval>,
    /// Signals (STOP) that arrived during a pause: a frozen process handles them when it resumes.
    deferred: Vec<Event>,
    jobs_written: u64,
}

struct RedisSlot {
    node: NodeId,
    instance: Instance,
    up: bool,
    extra_ms: u64,
    commands: VecDeque<CommandRecord>,
    view: KeyView,
    /// A command ran since `view` was taken.
    dirty: bool,
    lane: Vec<RedisSpan>,
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
    fn write(&mut self, job: u64, token: Option<i64>) -> bool {
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

/// The lock playground as a kernel model.
pub struct LockRuntime {
    scenario: Scenario,
    cfg: MachineConfig,
    start: SimTime,
    rng: SimRng,
    net: Network<Msg, Timer>,
    workers: Vec<WorkerSlot>,
    redis: Vec<RedisSlot>,
    resource: ProtectedResource,
    checker: Checker,
    log: Vec<LogEntry>,
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
            commands: VecDeque::new(),
            view: KeyView { value: None, expires_at: None },
            dirty: false,
            lane: vec![RedisSpan { from: epoch, to: None, value: None, expires_at: None, up: true }],
        });
    }
    let mut workers = Vec::with_capacity(scenario.workers);
    for i in 0..scenario.workers {
        let node = net.add_node(&format!("worker-{i}")).expect("distinct generated names");
        let mut id_rng = rng.child_indexed("worker-id", i as u64);
        let mut id = worker_id(epoch, &mut id_rng);
        // 80 random bits make a clash astronomically unlikely; uniqueness is still guaranteed.
        while workers.iter().any(|w: &WorkerSlot| w.machine.id() == id) {
            id = worker_id(epoch, &mut id_rng);
        }
        let machine = LockWorker::new(id.clone(), cfg.clone(), rng.child_indexed("worker", i as u64));
        workers.push(WorkerSlot {
            node,
            machine,
            incarnation: 0,
            status: WorkerStatus::NotStarted,
            timers: BTreeMap::new(),
            pending: BTreeMap::new(),
            job: None,
            working: false,
            restarts: 0,
            partitioned: false,
            extra_latency_ms: 0,
            log: Vec::new(),
            lane: vec![StateSpan { from: epoch, to: None, state: LaneState::NotStarted, worker_id: id }],
            pauses: Vec::new(),
            deferred: Vec::new(),
            jobs_written: 0,
        });
    }
    let rt = LockRuntime {
        scenario: scenario.clone(),
        cfg,
        start: epoch,
        rng: rng.clone(),
        net,
        workers,
        redis,
        resource: ProtectedResource {
            fencing: scenario.variants.fencing,
            max_token: None,
            next_job: 1,
            last_written: None,
        },
        checker: Checker::new(),
        log: Vec::new(),
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

/// Runs `scenario` to its end and returns the simulation (for its summary, views and trace).
pub fn run(scenario: &Scenario, epoch: SimTime, trace: bool) -> Result<Simulation<LockRuntime>, ScenarioError> {
    let mut sim = build(scenario, epoch)?;
    sim.trace_mut().set_enabled(trace);
    sim.run_until(epoch + SimDuration(scenario.duration_ms));
    Ok(sim)
}

/// Latency `extra_ms` slower than `d` (exact for constant, uniform and normal latencies; the others
/// become a constant at their mean plus the extra).
fn slower(d: &Distribution, extra_ms: u64) -> Distribution {
    let x = extra_ms as f64;
    match *d {
        Distribution::Constant { ms } => Distribution::Constant { ms: ms + x },
        Distribution::Uniform { min_ms, max_ms } => Distribution::Uniform { min_ms: min_ms + x, max_ms: max_ms + x },
        Distribution::AbsNormal { mean_ms, std_dev_ms } => Distribution::AbsNormal { mean_ms: mean_ms + x, std_dev_ms },
        Distribution::LogNormal { .. } | Distribution::Exponential { .. } | Distribution::Pareto { .. } => {
            Distribution::Constant { ms: d.mean_ms() + x }
        }
    }
}

impl LockRuntime {
    fn rel(&self, now: SimTime) -> u64 {
        now.saturating_since(self.start).0
    }

    fn global_log(&mut self, now: SimTime, worker: Option<usize>, text: String) {
        let at_ms = self.rel(now);
        self.log.push(LogEntry { at_ms, worker, text });
        trim(&mut self.log, HISTORY_LIMIT);
    }

    fn worker_log(&mut self, now: SimTime, w: usize, text: String) {
        let at_ms = self.rel(now);
        self.workers[w].log.push(LogEntry { at_ms, worker: Some(w), text: text.clone() });
        trim(&mut self.workers[w].log, WORKER_LOG_LIMIT);
        self.log.push(LogEntry { at_ms, worker: Some(w), text });
        trim(&mut self.log, HISTORY_LIMIT);
    }

    fn set_lane(&mut self, now: SimTime, w: usize, state: LaneState) {
        let slot = &mut self.workers[w];
        let id = slot.machine.id().to_string();
        if let Some(last) = slot.lane.last_mut() {
            if last.state == state && last.worker_id == id {
                return;
            }
            last.to = Some(now);
        }
        slot.lane.push(StateSpan { from: now, to: None, state, worker_id: id });
        trim(&mut slot.lane, HISTORY_LIMIT);
    }

    /// Feeds one event to worker `w`'s machine and performs the effects.
    fn feed(&mut self, ctx: &mut Ctx<'_, LockEvent>, w: usize, event: Event) {
        if matches!(self.workers[w].status, WorkerStatus::Crashed | WorkerStatus::NotStarted) {
            return;
        }
        let now = ctx.now();
        let local = self.net.local_now(now, self.workers[w].node);
        let out = self.workers[w].machine.handle(local, event);
        if out.ignored.is_some() {
            return;
        }
        if out.from == WorkerState::AcquiringLock && out.to == WorkerState::Working {
            let id = self.workers[w].machine.id().to_string();
            self.checker.on_acquired(&id);
        }
        self.set_lane(now, w, LaneState::State(out.to));
        let mut stopped = false;
        for effect in out.effects {
            match effect {
                Effect::Send { instance, req, command } => self.send(ctx, w, instance, req, command),
                Effect::SetTimer { timer, after } => {
                    self.cancel_machine_timer(ctx, w, timer);
                    let slot = &self.workers[w];
                    let t = Timer::Machine { worker: w, incarnation: slot.incarnation, kind: timer };
                    let id = self.net.set_timer(ctx, slot.node, after, t);
                    self.workers[w].timers.insert(timer, id);
                }
                Effect::CancelTimer { timer } => self.cancel_machine_timer(ctx, w, timer),
                Effect::StartWork => {
                    self.workers[w].working = true;
                    if self.workers[w].job.is_none() {
                        self.start_job(ctx, w);
                    }
                }
                Effect::StopWork => {
                    self.workers[w].working = false;
                    if let Some((_, t)) = self.workers[w].job.take() {
                        self.net.cancel_timer(ctx, t);
                    }
                    stopped = true;
                }
                Effect::Log(line) => self.worker_log(now, w, line),
            }
        }
        if stopped {
            // The reference's stopWork resolves at once.
            self.feed(ctx, w, Event::WorkStopped);
        }
    }

    fn cancel_machine_timer(&mut self, ctx: &mut Ctx<'_, LockEvent>, w: usize, timer: TimerKind) {
        if let Some(id) = self.workers[w].timers.remove(&timer) {
            self.net.cancel_timer(ctx, id);
        }
    }

    fn send(&mut self, ctx: &mut Ctx<'_, LockEvent>, w: usize, instance: usize, req: RequestId, command: LockCommand) {
        let Some(to) = self.redis.get(instance).map(|r| r.node) else {
            return;
        };
        let slot = &self.workers[w];
        let (from, incarnation) = (slot.node, slot.incarnation);
        let msg =
            Msg::Request { worker: w, worker_id: slot.machine.id().to_string(), incarnation, instance, req, command };
        self.net.send(ctx, from, to, msg);
        let timeout = SimDuration(self.scenario.client_timeout_ms);
        let t = self.net.set_timer(ctx, from, timeout, Timer::ClientTimeout { worker: w, incarnation, instance, req });
        self.workers[w].pending.insert(req, t);
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
        self.checker.on_write(now, w, &id, job, token, accepted, truth.as_deref());
        self.workers[w].jobs_written = self.workers[w].jobs_written.saturating_add(1);
        let verdict = if accepted { "accepted" } else { "REJECTED (fencing)" };
        let token_text = token.map_or(String::new(), |t| format!(" with token {t}"));
        self.global_log(now, Some(w), format!("worker-{w} wrote job {job}{token_text}: {verdict}"));
        if self.workers[w].working {
            self.start_job(ctx, w);
        }
    }

    fn redis_receive(&mut self, ctx: &mut Ctx<'_, LockEvent>, instance: usize, msg: Msg) {
        let Some(r) = self.redis.get(instance) else {
            return;
        };
        if !r.up {
            // A dead server: the client will time out. The panel still shows what was lost.
            if let Msg::Request { worker, worker_id, command, .. } = &msg {
                let record = CommandRecord {
                    at_ms: self.rel(ctx.now()),
                    worker: *worker,
                    worker_id: worker_id.clone(),
                    command: command.display(),
                    reply: "(no reply: instance down)".to_string(),
                };
                self.record_command(instance, record);
            }
            return;
        }
        if r.extra_ms > 0 {
            ctx.schedule_in(SimDuration(r.extra_ms), LockEvent::RedisExecute { instance, msg });
        } else {
            self.redis_execute(ctx, instance, msg);
        }
    }

    fn redis_execute(&mut self, ctx: &mut Ctx<'_, LockEvent>, instance: usize, msg: Msg) {
        let now = ctx.now();
        let Msg::Request { worker, worker_id, incarnation, req, command, .. } = msg else {
            return;
        };
        let at_ms = self.rel(now);
        let key = self.cfg.lock_key.clone();
        let r = &mut self.redis[instance];
        if !r.up {
            return;
        }
        let checks_owner = matches!(
            command,
            LockCommand::Expire { .. }
                | LockCommand::CompareAndExtend { .. }
                | LockCommand::Del { .. }
                | LockCommand::CompareAndDelete { .. }
        );
        let before = if checks_owner { r.instance.peek(now, &key).value } else { None };
        let reply = r.instance.execute(now, &command);
        r.dirty = true;
        let foreign = before.is_some() && before.as_deref() != Some(worker_id.as_str());
        let changed = reply == Reply::Integer(1);
        match &command {
            LockCommand::Expire { .. } | LockCommand::CompareAndExtend { .. } if foreign && changed => {
                self.checker.on_foreign_extension()
            }
            LockCommand::Del { .. } | LockCommand::CompareAndDelete { .. } if foreign && changed => {
                self.checker.on_foreign_delete()
            }
            LockCommand::SetNx { .. }
            | LockCommand::Get { .. }
            | LockCommand::Expire { .. }
            | LockCommand::Del { .. }
            | LockCommand::Incr { .. }
            | LockCommand::CompareAndExtend { .. }
            | LockCommand::CompareAndDelete { .. } => {}
        }
        let record = CommandRecord {
            at_ms,
            worker,
            worker_id: worker_id.clone(),
            command: command.display(),
            reply: display_reply(&reply),
        };
        self.record_command(instance, record);
        let (from, to) = (self.redis[instance].node, self.workers[worker].node);
        self.net.send(ctx, from, to, Msg::Response { worker, incarnation, instance, req, reply });
    }

    fn record_command(&mut self, instance: usize, record: CommandRecord) {
        let r = &mut self.redis[instance];
        r.commands.push_back(record);
        while r.commands.len() > REDIS_PANEL_COMMANDS {
            r.commands.pop_front();
        }
    }

    fn worker_receive(
        &mut self,
        ctx: &mut Ctx<'_, LockEvent>,
        worker: usize,
        incarnation: u32,
        instance: usize,
        req: RequestId,
        reply: Reply,
    ) {
        let slot = &mut self.workers[worker];
        if slot.incarnation != incarnation {
            return;
        }
        // A reply after the client timed out is dropped, as a real client does.
        if let Some(t) = slot.pending.remove(&req) {
            self.net.cancel_timer(ctx, t);
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
            Timer::JobDone { worker, incarnation, job } => {
                if self.workers[worker].incarnation == incarnation {
                    self.on_job_done(ctx, worker, job);
                }
            }
        }
    }

    fn resolve(&mut self, now: SimTime, target: Target) -> Result<Option<usize>, ActionError> {
        let n = self.workers.len();
        Ok(match target {
            Target::Worker(w) if w < n => Some(w),
            Target::Worker(w) => return Err(ActionError::UnknownWorker { worker: w, workers: n }),
            Target::Holder => Some(self.holder(now).unwrap_or(0)),
            Target::NonHolder => {
                let h = self.holder(now);
                (0..n).find(|w| Some(*w) != h && self.workers[*w].status != WorkerStatus::Crashed)
            }
        })
    }

    /// The worker that believes it holds the lock (lowest index), else the one Redis names.
    pub fn holder(&mut self, now: SimTime) -> Option<usize> {
        if let Some(w) = (0..self.workers.len()).find(|w| self.believes(*w)) {
            return Some(w);
        }
        let truth = self.truth(now)?;
        self.workers.iter().position(|s| s.machine.id() == truth)
    }

    fn believes(&self, w: usize) -> bool {
        let s = &self.workers[w];
        matches!(s.status, WorkerStatus::Running | WorkerStatus::Paused) && s.machine.believes_it_holds()
    }

    /// Redis's truth: the lock key's value on instance 0, or (Redlock) the value a majority holds.
    fn truth(&mut self, now: SimTime) -> Option<String> {
        let key = self.cfg.lock_key.clone();
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for r in &mut self.redis {
            if !r.up {
                continue;
            }
            if let Some(v) = r.instance.peek(now, &key).value {
                *counts.entry(v).or_insert(0) += 1;
            }
        }
        let need = self.redis.len() / 2 + 1;
        counts.into_iter().find(|(_, c)| *c >= need).map(|(v, _)| v)
    }

    /// [`LockRuntime::truth`] from the views `check` just refreshed (no second look at the stores).
    fn truth_from_views(&self) -> Option<String> {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for r in self.redis.iter().filter(|r| r.up) {
            if let Some(v) = r.view.value.as_deref() {
                *counts.entry(v).or_insert(0) += 1;
            }
        }
        let need = self.redis.len() / 2 + 1;
        counts.into_iter().find(|(_, c)| *c >= need).map(|(v, _)| v.to_string())
    }

    /// Applies a fault or user action now.
    pub fn apply_action(&mut self, ctx: &mut Ctx<'_, LockEvent>, action: &Action) -> Result<(), ActionError> {
        let now = ctx.now();
        let instances = self.redis.len();
        let check_instance = |instance: usize| {
            if instance < instances {
                Ok(instance)
            } else {
                Err(ActionError::UnknownInstance { instance, instances })
            }
        };
        match action {
            Action::Crash { target } => {
                if let Some(w) = self.resolve(now, *target)? {
                    self.crash(ctx, w);
                }
            }
            Action::Stop { target } => {
                if let Some(w) = self.resolve(now, *target)? {
                    if self.workers[w].status == WorkerStatus::Paused {
                        self.global_log(now, Some(w), format!("STOP worker-{w} (handled when it resumes)"));
                        self.workers[w].deferred.push(Event::Stop);
                    } else {
                        self.global_log(now, Some(w), format!("STOP worker-{w}"));
                        self.feed(ctx, w, Event::Stop);
                    }
                }
            }
            Action::Restart { target } => {
                if let Some(w) = self.resolve(now, *target)? {
                    self.restart(ctx, w);
                }
            }
            Action::Pause { target, ms } => {
                if let Some(w) = self.resolve(now, *target)? {
                    if self.workers[w].status == WorkerStatus::Running {
                        let node = self.workers[w].node;
                        self.net.pause(node).expect("worker nodes exist");
                        self.workers[w].status = WorkerStatus::Paused;
                        let until = now + SimDuration(*ms);
                        self.workers[w].pauses.push(Interval { from: now, to: Some(until) });
                        let incarnation = self.workers[w].incarnation;
                        ctx.schedule_at(until, LockEvent::PauseEnd { worker: w, incarnation });
                        self.global_log(now, Some(w), format!("worker-{w} paused for {}", SimDuration(*ms)));
                    }
                }
            }
            Action::Partition { target } | Action::Heal { target } => {
                if let Some(w) = self.resolve(now, *target)? {
                    let cut = matches!(action, Action::Partition { .. });
                    let node = self.workers[w].node;
                    for r in &self.redis {
                        if cut {
                            self.net.cut(node, r.node);
                        } else {
                            self.net.heal(node, r.node);
                        }
                    }
                    self.workers[w].partitioned = cut;
                    let what = if cut { "partitioned from Redis" } else { "healed" };
                    self.global_log(now, Some(w), format!("worker-{w} {what}"));
                }
            }
            Action::ClockRate { target, rate } => {
                if let Some(w) = self.resolve(now, *target)? {
                    let node = self.workers[w].node;
                    self.net.set_clock_rate(now, node, *rate).map_err(|_| ActionError::BadRate(*rate))?;
                    self.global_log(now, Some(w), format!("worker-{w} clock now runs at {rate}×"));
                }
            }
            Action::SlowLink { target, extra_ms } => {
                if let Some(w) = self.resolve(now, *target)? {
                    let node = self.workers[w].node;
                    let link = LinkConfig::new(slower(&self.scenario.latency, *extra_ms), 0.0);
                    for r in &self.redis {
                        self.net.set_link(node, r.node, link.clone()).expect("valid nodes and latency");
                    }
                    self.workers[w].extra_latency_ms = *extra_ms;
                    self.global_log(now, Some(w), format!("worker-{w} link to Redis +{extra_ms} ms"));
                }
            }
            Action::RedisCrash { instance } => {
                let i = check_instance(*instance)?;
                self.redis[i].up = false;
                self.redis[i].instance.wipe();
                self.redis[i].dirty = true;
                self.global_log(now, None, format!("redis-{i} crashed (no persistence: data lost)"));
            }
            Action::RedisRestart { instance } => {
                let i = check_instance(*instance)?;
                if !self.redis[i].up {
                    self.redis[i].up = true;
                    self.global_log(now, None, format!("redis-{i} restarted empty"));
                }
            }
            Action::RedisSlow { instance, extra_ms } => {
                let i = check_instance(*instance)?;
                self.redis[i].extra_ms = *extra_ms;
                self.global_log(now, None, format!("redis-{i} now takes +{extra_ms} ms per command"));
            }
        }
        Ok(())
    }

    fn crash(&mut self, ctx: &mut Ctx<'_, LockEvent>, w: usize) {
        let now = ctx.now();
        if matches!(self.workers[w].status, WorkerStatus::Crashed | WorkerStatus::NotStarted) {
            return;
        }
        let slot = &mut self.workers[w];
        let mut timers: Vec<TimerId> = slot.timers.values().copied().collect();
        timers.extend(slot.pending.values().copied());
        timers.extend(slot.job.map(|(_, t)| t));
        slot.timers.clear();
        slot.pending.clear();
        slot.job = None;
        slot.working = false;
        slot.deferred.clear();
        slot.incarnation = slot.incarnation.saturating_add(1);
        let was_paused = slot.status == WorkerStatus::Paused;
        slot.status = WorkerStatus::Crashed;
        let node = slot.node;
        for t in timers {
            self.net.cancel_timer(ctx, t);
        }
        if was_paused {
            // Held replies are released and then dropped: they belong to the dead incarnation.
            self.net.resume(ctx, node).expect("worker nodes exist");
        }
        self.set_lane(now, w, LaneState::Crashed);
        self.global_log(now, Some(w), format!("worker-{w} crashed (no release)"));
    }

    fn restart(&mut self, ctx: &mut Ctx<'_, LockEvent>, w: usize) {
        let now = ctx.now();
        match self.workers[w].status {
            WorkerStatus::Running if self.workers[w].machine.state() == WorkerState::Idle => {
                self.global_log(now, Some(w), format!("worker-{w} started again"));
                self.feed(ctx, w, Event::TryAcquireLock);
                return;
            }
            WorkerStatus::Running | WorkerStatus::Paused => self.crash(ctx, w),
            WorkerStatus::Crashed | WorkerStatus::NotStarted => {}
        }
        let slot = &mut self.workers[w];
        slot.restarts = slot.restarts.saturating_add(1);
        slot.incarnation = slot.incarnation.saturating_add(1);
        let label = format!("worker-{w}-restart");
        let mut id_rng = self.rng.child_indexed(&label, slot.restarts);
        let mut id = worker_id(now, &mut id_rng);
        while self.workers.iter().any(|w| w.machine.id() == id) {
            id = worker_id(now, &mut id_rng);
        }
        let slot = &mut self.workers[w];
        slot.machine =
            LockWorker::new(id, self.cfg.clone(), self.rng.child_indexed(&format!("{label}-machine"), slot.restarts));
        slot.status = WorkerStatus::Running;
        self.set_lane(now, w, LaneState::State(WorkerState::Idle));
        self.global_log(now, Some(w), format!("worker-{w} restarted as {}", self.workers[w].machine.id()));
        self.feed(ctx, w, Event::TryAcquireLock);
    }

    /// After every event: Redis lanes and the safety checker.
    fn check(&mut self, now: SimTime) {
        let key = self.cfg.lock_key.clone();
        for r in &mut self.redis {
            // The key changes only when a command runs or its deadline passes: skip the look otherwise.
            let stale = r.dirty || r.view.expires_at.is_some_and(|t| t <= now);
            let expired_at = r.view.expires_at.filter(|t| *t <= now && !r.dirty);
            let view = if !r.up {
                KeyView { value: None, expires_at: None }
            } else if stale {
                r.dirty = false;
                r.instance.peek(now, &key)
            } else {
                r.view.clone()
            };
            let last = r.lane.last().map(|s| (s.value.clone(), s.expires_at, s.up));
            if last != Some((view.value.clone(), view.expires_at, r.up)) {
                // A key that merely expired ends at its deadline, not at the next event.
                let at = match (expired_at, &view.value) {
                    (Some(t), None) if r.up => t.max(r.lane.last().map_or(t, |l| l.from)),
                    _ => now,
                };
                if let Some(l) = r.lane.last_mut() {
                    l.to = Some(at);
                }
                r.lane.push(RedisSpan {
                    from: at,
                    to: None,
                    value: view.value.clone(),
                    expires_at: view.expires_at,
                    up: r.up,
                });
                trim(&mut r.lane, HISTORY_LIMIT);
            }
            r.view = view;
        }
        let truth = self.truth_from_views();
        let believers: Vec<(usize, String)> = (0..self.workers.len())
            .filter(|w| self.believes(*w))
            .map(|w| (w, self.workers[w].machine.id().to_string()))
            .collect();
        let refs: Vec<(usize, &str)> = believers.iter().map(|(w, id)| (*w, id.as_str())).collect();
        self.checker.observe(now, &refs, truth.as_deref());
    }

    // ---- read-only state for drawing -------------------------------------------------------

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }
    pub fn start(&self) -> SimTime {
        self.start
    }
    pub fn summary(&self, now: SimTime) -> Summary {
        self.checker.summary(now)
    }
    pub fn violations(&self) -> &[Violation] {
        self.checker.violations()
    }
    pub fn writes(&self) -> &[WriteRecord] {
        self.checker.writes()
    }
    pub fn resource(&self) -> &ProtectedResource {
        &self.resource
    }
    /// The global event log, in order.
    pub fn log(&self) -> &[LogEntry] {
        &self.log
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
        Some(WorkerView {
            index: w,
            id: s.machine.id(),
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
            log: &s.log,
            lane: &s.lane,
            pauses: &s.pauses,
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
            ttl_left_ms: r.view.expires_at.map(|t| t.saturating_since(now).0),
            extra_latency_ms: r.extra_ms,
            commands: r.commands.iter().collect(),
            lane: &r.lane,
        })
    }

    /// Intervals where worker `w` believed it held the lock (derived from its lane).
    pub fn belief_intervals(&self, w: usize) -> Vec<Interval> {
        let Some(s) = self.workers.get(w) else {
            return Vec::new();
        };
        let mut out: Vec<Interval> = Vec::new();
        for span in &s.lane {
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
    pub log: &'a [LogEntry],
    pub lane: &'a [StateSpan],
    pub pauses: &'a [Interval],
}

/// A Redis instance's panel and lane, borrowed from the runtime.
#[derive(Clone, Debug, Serialize)]
pub struct RedisView<'a> {
    pub index: usize,
    pub up: bool,
    pub lock_key: &'a str,
    pub value: Option<&'a str>,
    pub ttl_left_ms: Option<u64>,
    pub extra_latency_ms: u64,
    pub commands: Vec<&'a CommandRecord>,
    pub lane: &'a [RedisSpan],
}

impl Model for LockRuntime {
    type Event = LockEvent;

    fn handle(&mut self, ctx: &mut Ctx<'_, LockEvent>, event: LockEvent) {
        let now = ctx.now();
        match event {
            LockEvent::Net(e) => match self.net.on_event(ctx, e) {
                None => {}
                Some(Delivery::Message { msg, .. }) => match msg {
                    Msg::Request { instance, .. } => self.redis_receive(ctx, instance, msg),
                    Msg::Response { worker, incarnation, instance, req, reply } => {
                        self.worker_receive(ctx, worker, incarnation, instance, req, reply)
                    }
                },
                Some(Delivery::Timer { id, timer, .. }) => self.on_timer(ctx, id, timer),
            },
            LockEvent::Start { worker } => {
                if self.workers[worker].status == WorkerStatus::NotStarted {
                    self.workers[worker].status = WorkerStatus::Running;
                    self.set_lane(now, worker, LaneState::State(WorkerState::Idle));
                    self.feed(ctx, worker, Event::TryAcquireLock);
                }
            }
            LockEvent::Step { index } => {
                if let Some(step) = self.scenario.steps.get(index).cloned() {
                    // Validated when the scenario was built; a step that cannot apply is logged.
                    if let Err(e) = self.apply_action(ctx, &step.action) {
                        self.global_log(now, None, format!("step {index} skipped: {e}"));
                    }
                }
            }
            LockEvent::User(action) => {
                if let Err(e) = self.apply_action(ctx, &action) {
                    self.global_log(now, None, format!("action skipped: {e}"));
                }
            }
            LockEvent::PauseEnd { worker, incarnation } => {
                let slot = &mut self.workers[worker];
                if slot.incarnation == incarnation && slot.status == WorkerStatus::Paused {
                    slot.status = WorkerStatus::Running;
                    let node = slot.node;
                    self.net.resume(ctx, node).expect("worker nodes exist");
                    self.global_log(now, Some(worker), format!("worker-{worker} resumed"));
                    for ev in std::mem::take(&mut self.workers[worker].deferred) {
                        self.feed(ctx, worker, ev);
                    }
                }
            }
            LockEvent::RedisExecute { instance, msg } => self.redis_execute(ctx, instance, msg),
        }
        self.check(now);
    }

    fn describe(&self, event: &LockEvent) -> (String, String) {
        match event {
            LockEvent::Net(e) => self.net.describe(
                e,
                |m| match m {
                    Msg::Request { command, req, .. } => format!("#{} {}", req.0, command.display()),
                    Msg::Response { reply, req, .. } => format!("#{} {}", req.0, display_reply(reply)),
                },
                |t| match t {
                    Timer::Machine { kind, .. } => format!("{kind:?} timer"),
                    Timer::ClientTimeout { req, .. } => format!("client timeout #{}", req.0),
                    Timer::JobDone { job, .. } => format!("job {job} done"),
                },
            ),
            LockEvent::Start { worker } => (format!("worker-{worker}"), "start".into()),
            LockEvent::Step { index } => {
                ("scenario".into(), format!("step {index}: {:?}", self.scenario.steps.get(*index).map(|s| &s.action)))
            }
            LockEvent::User(a) => ("user".into(), format!("{a:?}")),
            LockEvent::PauseEnd { worker, .. } => (format!("worker-{worker}"), "pause ends".into()),
            LockEvent::RedisExecute { instance, msg } => (
                format!("redis-{instance}"),
                match msg {
                    Msg::Request { command, .. } => format!("execute (slow) {}", command.display()),
                    Msg::Response { .. } => "response".into(),
                },
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::trim;

    #[test]
    fn trim_keeps_the_newest_entries_in_batches() {
        let mut v: Vec<u32> = Vec::new();
        for i in 0..16 {
            v.push(i);
            trim(&mut v, 10);
            assert!(v.len() <= 15);
        }
        // Pushing the 16th entry went over 15, so the oldest 6 went at once.
        assert_eq!(v, (6..16).collect::<Vec<_>>());
        let mut empty: Vec<u32> = Vec::new();
        trim(&mut empty, 0);
        assert!(empty.is_empty());
    }
}
