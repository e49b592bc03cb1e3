//! The lock-worker state machine of the reference design, sans-IO.
//!
//! [`LockWorker::handle`] takes one [`Event`] (with the worker's *local* clock reading) and returns
//! the [`Effect`]s to perform: Redis commands to send, timers to set or cancel, work to start or
//! stop, log lines. It never performs them and never sees the network, the store or a wall clock;
//! the runtime (`runtime.rs`) does, and feeds replies and timer firings back as events.
//!
//! Every (state, event) pair is one arm of a single exhaustive `match` with no wildcard arms: a pair
//! that the reference design does not define is an explicit [`Ignored`] no-op with its reason.
//!
//! The invoked services of the reference (acquire, renew, release) are multi-step here because each
//! Redis round trip is an event; they run as a `Round` of per-instance steps (one instance for the
//! reference, N for Redlock).

use super::command::LockCommand;
use crate::redis::Reply;
use crate::sim::{SimDuration, SimRng, SimTime};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The eight states of the reference design.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkerState {
    Idle,
    AcquiringLock,
    Working,
    RenewLock,
    PauseWork,
    WaitingToAcquireLock,
    Cleanup,
    ReleasingLock,
}

impl WorkerState {
    pub const ALL: [WorkerState; 8] = [
        WorkerState::Idle,
        WorkerState::AcquiringLock,
        WorkerState::Working,
        WorkerState::RenewLock,
        WorkerState::PauseWork,
        WorkerState::WaitingToAcquireLock,
        WorkerState::Cleanup,
        WorkerState::ReleasingLock,
    ];

    /// The reference design's name (`acquiring_lock`, …).
    pub fn name(self) -> &'static str {
        match self {
            WorkerState::Idle => "idle",
            WorkerState::AcquiringLock => "acquiring_lock",
            WorkerState::Working => "working",
            WorkerState::RenewLock => "renew_lock",
            WorkerState::PauseWork => "pause_work",
            WorkerState::WaitingToAcquireLock => "waiting_to_acquire_lock",
            WorkerState::Cleanup => "cleanup",
            WorkerState::ReleasingLock => "releasing_lock",
        }
    }

    /// The worker believes it holds the lock in `working` and `renew_lock` (what the checker compares
    /// with Redis's truth).
    pub fn believes_it_holds(self) -> bool {
        matches!(self, WorkerState::Working | WorkerState::RenewLock)
    }

    /// The transitions of the reference design, for the UI's state diagram: (from, event name, to).
    /// `STOP` goes from every state to `cleanup`.
    pub fn diagram_edges() -> Vec<(WorkerState, &'static str, WorkerState)> {
        use WorkerState::*;
        let mut edges = vec![
            (Idle, "TRY_ACQUIRE_LOCK", AcquiringLock),
            (AcquiringLock, "acquired", Working),
            (AcquiringLock, "not acquired / error / timeout", WaitingToAcquireLock),
            (Working, "after renew interval", RenewLock),
            (RenewLock, "renewed", Working),
            (RenewLock, "error / validity over", PauseWork),
            (Working, "validity over (Redlock)", PauseWork),
            (PauseWork, "work stopped", WaitingToAcquireLock),
            (WaitingToAcquireLock, "after retry interval", AcquiringLock),
            (Cleanup, "work stopped", ReleasingLock),
            (ReleasingLock, "released / error", Idle),
        ];
        for s in WorkerState::ALL {
            edges.push((s, "STOP", Cleanup));
        }
        edges
    }
}

impl fmt::Display for WorkerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Identifies one request so a late reply to an abandoned round is recognised as stale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RequestId(pub u64);

/// The machine's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimerKind {
    /// `working` → `renew_lock` after the renew interval (the reference's `after: 5000`).
    Renew,
    /// `waiting_to_acquire_lock` → `acquiring_lock` after the retry interval.
    Retry,
    /// Redlock only: the lock's validity time (TTL − time to acquire − drift) runs out; the worker
    /// must stop working unless a renewal extended it first.
    Validity,
}

/// What can happen to a worker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// `TRY_ACQUIRE_LOCK`, sent at worker start-up.
    TryAcquireLock,
    /// `STOP`: graceful shutdown, from any state.
    Stop,
    /// A reply from Redis instance `instance` to request `req` (an error reply included: that is how
    /// a client's own failure, e.g. ioredis's `MaxRetriesPerRequestError`, arrives too).
    Reply { instance: usize, req: RequestId, reply: Reply },
    /// The client gave up waiting for request `req` (only when the send carried a timeout).
    ClientTimeout { instance: usize, req: RequestId },
    /// The renew timer fired.
    RenewTimer,
    /// The retry timer fired.
    RetryTimer,
    /// Redlock's validity timer fired.
    ValidityTimer,
    /// The runtime finished performing [`Effect::StopWork`] (the reference's `stopWork` resolved).
    WorkStopped,
}

impl Event {
    /// A short name for tables and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Event::TryAcquireLock => "TRY_ACQUIRE_LOCK",
            Event::Stop => "STOP",
            Event::Reply { .. } => "reply",
            Event::ClientTimeout { .. } => "client_timeout",
            Event::RenewTimer => "renew_timer",
            Event::RetryTimer => "retry_timer",
            Event::ValidityTimer => "validity_timer",
            Event::WorkStopped => "work_stopped",
        }
    }
}

/// What the machine asks its runtime to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Effect {
    /// Send `command` to Redis instance `instance`; its reply comes back tagged with `req`. With a
    /// `timeout`, a [`Event::ClientTimeout`] comes instead if no reply arrived in time; without one
    /// (ioredis's default) the client waits as long as it takes.
    Send {
        instance: usize,
        req: RequestId,
        command: LockCommand,
        timeout: Option<SimDuration>,
    },
    /// Arm `timer` to fire after `after` of the worker's local time (re-arming replaces it).
    SetTimer {
        timer: TimerKind,
        after: SimDuration,
    },
    CancelTimer {
        timer: TimerKind,
    },
    /// The reference's `startWork` (invoked on every entry to `working`): run one job unless one is
    /// already running.
    StartWork,
    /// The reference's `stopWork`: abandon the job in progress; answer with [`Event::WorkStopped`]
    /// once it resolves (the reference's takes 1 s).
    StopWork,
    /// A line for the worker's log, in the reference's wording.
    Log(String),
}

/// The renew variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RenewVariant {
    /// The reference: `GET`, then `EXPIRE` if the value is ours (two round trips, not atomic); a
    /// vanished key is acquired again with `SET NX`.
    #[default]
    GetThenExpire,
    /// One atomic compare-and-extend (the Lua script [`super::store::COMPARE_AND_EXTEND_LUA`]).
    CompareAndExtend,
}

/// The release variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseVariant {
    /// The reference's `maybeReleaseLock`: `GET` the key and `DEL` it only if it holds this worker's
    /// id; otherwise do nothing. Not atomic: the key can change hands between the GET and the DEL.
    #[default]
    #[serde(alias = "get_then_del")]
    Reference,
    /// A plain `DEL`, whoever holds the key: a worker that does not hold the lock deletes the
    /// holder's on its way out.
    #[serde(alias = "del")]
    NaiveDel,
    /// Atomic compare-and-delete (the script from the Redis docs).
    #[serde(alias = "atomic")]
    CompareAndDelete,
}

impl ReleaseVariant {
    pub const ALL: [ReleaseVariant; 3] =
        [ReleaseVariant::Reference, ReleaseVariant::NaiveDel, ReleaseVariant::CompareAndDelete];

    /// The name the CLI (`--release`) and the page's URL (`release=`) use.
    pub fn id(self) -> &'static str {
        match self {
            ReleaseVariant::Reference => "reference",
            ReleaseVariant::NaiveDel => "naive-del",
            ReleaseVariant::CompareAndDelete => "atomic",
        }
    }

    pub fn from_id(id: &str) -> Option<ReleaseVariant> {
        ReleaseVariant::ALL.into_iter().find(|v| v.id() == id)
    }
}

/// The ioredis client's defaults the model follows (ioredis 5, `lib/redis/RedisOptions.ts`).
pub mod ioredis {
    use crate::sim::SimDuration;

    /// `maxRetriesPerRequest`: after this many failed reconnection attempts the queued commands are
    /// rejected with `MaxRetriesPerRequestError`.
    pub const MAX_RETRIES_PER_REQUEST: u32 = 20;

    /// The default `retryStrategy`: wait `min(times × 50, 2000)` ms before reconnection attempt
    /// `times` (1-based).
    pub fn reconnect_delay(times: u32) -> SimDuration {
        SimDuration(u64::from(times).saturating_mul(50).min(2_000))
    }

    /// The error a command queued past `maxRetriesPerRequest` is rejected with.
    pub fn max_retries_error() -> String {
        format!(
            "MaxRetriesPerRequestError: Reached the max retries per request limit (which is {MAX_RETRIES_PER_REQUEST}). \
             Refer to \"maxRetriesPerRequest\" option for details."
        )
    }
}

/// A worker's fixed configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MachineConfig {
    pub lock_key: String,
    pub ttl: SimDuration,
    pub renew_interval: SimDuration,
    pub retry_interval: SimDuration,
    pub renew: RenewVariant,
    pub release: ReleaseVariant,
    /// Acquire with the set-nx-incr script, so the grant carries a fencing token. Not available
    /// with Redlock (there is no single counter); ignored there.
    pub fencing: bool,
    /// Redis instances; more than one means Redlock (majority within validity).
    pub instances: usize,
    /// The client's per-command timeout; `None` is ioredis's default (no timeout: wait for ever).
    pub command_timeout: Option<SimDuration>,
    /// Redlock's per-instance request timeout, small against the TTL (the Redis docs suggest 5–50 ms
    /// for a 10 s TTL), so one dead instance cannot eat the validity time.
    pub redlock_request_timeout: SimDuration,
}

/// The reference's lock key.
pub const REFERENCE_LOCK_KEY: &str = "lock.resource-worker";

impl Default for MachineConfig {
    fn default() -> Self {
        MachineConfig {
            lock_key: REFERENCE_LOCK_KEY.into(),
            ttl: SimDuration::from_secs(10),
            renew_interval: SimDuration::from_secs(5),
            retry_interval: SimDuration::from_secs(5),
            renew: RenewVariant::GetThenExpire,
            release: ReleaseVariant::Reference,
            fencing: false,
            instances: 1,
            command_timeout: None,
            redlock_request_timeout: SimDuration(50),
        }
    }
}

/// The smallest number of `n` votes that is a majority (`n / 2 + 1`): Redlock's quorum and the
/// runtime's "which value does Redis hold" are both this one rule.
pub fn majority(n: usize) -> usize {
    n / 2 + 1
}

impl MachineConfig {
    pub fn token_key(&self) -> String {
        format!("{}:token", self.lock_key)
    }
    pub fn redlock(&self) -> bool {
        self.instances > 1
    }
    /// Fencing as it runs: only with a single Redis (one counter).
    pub fn fencing_active(&self) -> bool {
        self.fencing && !self.redlock()
    }
    /// Redlock's clock-drift allowance: TTL × 0.01 + 2 ms.
    pub fn redlock_drift(&self) -> SimDuration {
        SimDuration(self.ttl.0 / 100 + 2)
    }
    /// The timeout each request of a round carries.
    fn request_timeout(&self) -> Option<SimDuration> {
        if self.redlock() {
            Some(self.redlock_request_timeout)
        } else {
            self.command_timeout
        }
    }
}

/// Why an event changed nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Ignored(pub &'static str);

/// The result of one event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub from: WorkerState,
    pub to: WorkerState,
    pub effects: Vec<Effect>,
    /// Set when the pair is not part of the design (or the reply was stale): nothing happened.
    pub ignored: Option<Ignored>,
}

/// The last state change, for the UI's animated edge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    pub at: SimTime,
    pub from: WorkerState,
    pub event: String,
    pub to: WorkerState,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Purpose {
    Acquire,
    Renew,
    Release,
}

/// Where one instance's part of a round stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Step {
    /// `SET NX` (or the set-nx-incr script with fencing).
    SetNx,
    /// The reference renew's `GET`.
    Get,
    /// The reference renew's `EXPIRE`.
    Expire,
    CompareAndExtend,
    /// `maybeReleaseLock`'s `GET`.
    ReleaseGet,
    /// The last step of any release (`DEL` or the compare-and-delete script).
    Release,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
enum Slot {
    Pending { req: RequestId, step: Step },
    Ok,
    Failed,
}

/// One invoked service in flight: per-instance slots, started at a local time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Round {
    purpose: Purpose,
    started: SimTime,
    slots: Vec<Slot>,
}

impl Round {
    fn done(&self) -> bool {
        self.slots.iter().all(|s| !matches!(s, Slot::Pending { .. }))
    }
    fn oks(&self) -> usize {
        self.slots.iter().filter(|s| matches!(s, Slot::Ok)).count()
    }
}

/// What the model checker (`crate::verify`) identifies a worker by: everything its reactions depend
/// on (state, token, the round's purpose and per-instance steps, and with Redlock the position of its
/// random stream, probed by two draws from a copy) and nothing that only names things (id and value
/// strings, request numbers, the round's start, the last transition). Workers with equal keys react
/// alike up to those names.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BehaviourKey {
    state: WorkerState,
    token: Option<i64>,
    round: Option<(Purpose, Vec<Slot>)>,
    rng: Option<(u64, u64)>,
}

/// One lock worker: the machine and the little it remembers.
#[derive(Clone, Debug)]
pub struct LockWorker {
    id: String,
    cfg: MachineConfig,
    state: WorkerState,
    /// The value this worker puts in the lock key: its id (the reference), or with Redlock a fresh
    /// random value per acquisition.
    value: String,
    token: Option<i64>,
    round: Option<Round>,
    next_req: u64,
    /// Redlock's random retry delay and random values.
    rng: SimRng,
    last_transition: Option<Transition>,
}

impl LockWorker {
    pub fn new(id: String, cfg: MachineConfig, rng: SimRng) -> Self {
        LockWorker {
            value: id.clone(),
            id,
            cfg,
            state: WorkerState::Idle,
            token: None,
            round: None,
            next_req: 0,
            rng,
            last_transition: None,
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }
    /// The value this worker sets the lock key to (its id, or with Redlock this acquisition's
    /// random value).
    pub fn lock_value(&self) -> &str {
        &self.value
    }
    pub fn state(&self) -> WorkerState {
        self.state
    }
    pub fn config(&self) -> &MachineConfig {
        &self.cfg
    }
    /// The fencing token that came with the current grant (fencing variant only).
    pub fn token(&self) -> Option<i64> {
        self.token
    }
    pub fn believes_it_holds(&self) -> bool {
        self.state.believes_it_holds()
    }
    pub fn last_transition(&self) -> Option<&Transition> {
        self.last_transition.as_ref()
    }
    /// The requests the current round still waits for: (instance, request).
    pub fn pending_requests(&self) -> Vec<(usize, RequestId)> {
        match &self.round {
            None => Vec::new(),
            Some(r) => r
                .slots
                .iter()
                .enumerate()
                .filter_map(|(i, s)| match s {
                    Slot::Pending { req, .. } => Some((i, *req)),
                    Slot::Ok | Slot::Failed => None,
                })
                .collect(),
        }
    }

    /// The model checker's hook (`crate::verify`): what this worker is identified by.
    pub fn behaviour_key(&self) -> BehaviourKey {
        let round = self.round.as_ref().map(|r| {
            let slots = r
                .slots
                .iter()
                .map(|s| match *s {
                    Slot::Pending { step, .. } => Slot::Pending { req: RequestId(0), step },
                    other => other,
                })
                .collect();
            (r.purpose, slots)
        });
        let rng = self.cfg.redlock().then(|| {
            let mut probe = self.rng.clone();
            (probe.next_u64(), probe.next_u64())
        });
        BehaviourKey { state: self.state, token: self.token, round, rng }
    }
    /// The local time the round in flight started at (Redlock's validity counts from it).
    pub fn round_started(&self) -> Option<SimTime> {
        self.round.as_ref().map(|r| r.started)
    }

    fn log(&self, msg: &str) -> Effect {
        Effect::Log(format!("{msg} {{ workerId: '{}' }}", self.id))
    }

    fn req(&mut self) -> RequestId {
        self.next_req = self.next_req.saturating_add(1);
        RequestId(self.next_req)
    }

    fn send(
        &mut self,
        instance: usize,
        command: LockCommand,
        timeout: Option<SimDuration>,
        fx: &mut Vec<Effect>,
    ) -> RequestId {
        let req = self.req();
        fx.push(Effect::Send { instance, req, command, timeout });
        req
    }

    /// Sends one step of the current round to `instance`.
    fn send_step(&mut self, instance: usize, step: Step, fx: &mut Vec<Effect>) -> Slot {
        let key = self.cfg.lock_key.clone();
        let value = self.value.clone();
        let ttl_ms = self.cfg.ttl.0;
        let command = match step {
            Step::SetNx if self.cfg.fencing_active() => {
                LockCommand::SetNxWithToken { key, token_key: self.cfg.token_key(), value, ttl_ms }
            }
            Step::SetNx => LockCommand::SetNx { key, value, ttl_ms },
            Step::Get | Step::ReleaseGet => LockCommand::Get { key },
            Step::Expire => LockCommand::Expire { key, ttl_ms },
            Step::CompareAndExtend => LockCommand::CompareAndExtend { key, value, ttl_ms },
            Step::Release => match self.cfg.release {
                ReleaseVariant::Reference | ReleaseVariant::NaiveDel => LockCommand::Del { key },
                ReleaseVariant::CompareAndDelete => LockCommand::CompareAndDelete { key, value },
            },
        };
        let timeout = self.cfg.request_timeout();
        let req = self.send(instance, command, timeout, fx);
        Slot::Pending { req, step }
    }

    /// Starts a round: `first` on every instance.
    fn start_round(&mut self, now: SimTime, purpose: Purpose, first: Step, fx: &mut Vec<Effect>) {
        let slots = (0..self.cfg.instances).map(|i| self.send_step(i, first, fx)).collect();
        self.round = Some(Round { purpose, started: now, slots });
    }

    fn cancel_validity(&self, fx: &mut Vec<Effect>) {
        if self.cfg.redlock() {
            fx.push(Effect::CancelTimer { timer: TimerKind::Validity });
        }
    }

    /// Handles one event at local time `now` and returns what to do.
    pub fn handle(&mut self, now: SimTime, event: Event) -> Outcome {
        use Event as E;
        use WorkerState as S;
        let from = self.state;
        let name = event.name();
        let is_stop = event == Event::Stop;
        let mut fx = Vec::new();
        let result: Result<WorkerState, Ignored> = match (self.state, event) {
            // STOP from any state → cleanup.
            (
                S::Idle
                | S::AcquiringLock
                | S::Working
                | S::RenewLock
                | S::PauseWork
                | S::WaitingToAcquireLock
                | S::Cleanup
                | S::ReleasingLock,
                E::Stop,
            ) => {
                self.round = None;
                fx.push(Effect::CancelTimer { timer: TimerKind::Renew });
                fx.push(Effect::CancelTimer { timer: TimerKind::Retry });
                Ok(self.enter(now, S::Cleanup, &mut fx))
            }

            // TRY_ACQUIRE_LOCK: only idle reacts.
            (S::Idle, E::TryAcquireLock) => Ok(self.enter(now, S::AcquiringLock, &mut fx)),
            (
                S::AcquiringLock
                | S::Working
                | S::RenewLock
                | S::PauseWork
                | S::WaitingToAcquireLock
                | S::Cleanup
                | S::ReleasingLock,
                E::TryAcquireLock,
            ) => Err(Ignored("TRY_ACQUIRE_LOCK is only handled in idle")),

            // Replies and client timeouts drive the round of the state that owns one.
            (S::AcquiringLock | S::RenewLock | S::ReleasingLock, E::Reply { instance, req, reply }) => {
                self.on_result(now, instance, req, Some(reply), &mut fx)
            }
            (S::AcquiringLock | S::RenewLock | S::ReleasingLock, E::ClientTimeout { instance, req }) => {
                self.on_result(now, instance, req, None, &mut fx)
            }
            (
                S::Idle | S::Working | S::PauseWork | S::WaitingToAcquireLock | S::Cleanup,
                E::Reply { .. } | E::ClientTimeout { .. },
            ) => Err(Ignored("stale reply: no request in flight in this state")),

            // working: after the renew interval → renew_lock.
            (S::Working, E::RenewTimer) => Ok(self.enter(now, S::RenewLock, &mut fx)),
            (
                S::Idle
                | S::AcquiringLock
                | S::RenewLock
                | S::PauseWork
                | S::WaitingToAcquireLock
                | S::Cleanup
                | S::ReleasingLock,
                E::RenewTimer,
            ) => Err(Ignored("renew timer is only armed in working")),

            // waiting_to_acquire_lock: after the retry interval → acquiring_lock.
            (S::WaitingToAcquireLock, E::RetryTimer) => Ok(self.enter(now, S::AcquiringLock, &mut fx)),
            (
                S::Idle | S::AcquiringLock | S::Working | S::RenewLock | S::PauseWork | S::Cleanup | S::ReleasingLock,
                E::RetryTimer,
            ) => Err(Ignored("retry timer is only armed in waiting_to_acquire_lock")),

            // Redlock: the validity time ran out before a renewal extended it → stop working.
            (S::Working | S::RenewLock, E::ValidityTimer) if !self.cfg.redlock() => {
                Err(Ignored("the validity timer is only armed with Redlock"))
            }
            (S::Working | S::RenewLock, E::ValidityTimer) => {
                self.round = None;
                fx.push(Effect::CancelTimer { timer: TimerKind::Renew });
                fx.push(self.log("Lock validity time is over"));
                Ok(self.enter(now, S::PauseWork, &mut fx))
            }
            (
                S::Idle | S::AcquiringLock | S::PauseWork | S::WaitingToAcquireLock | S::Cleanup | S::ReleasingLock,
                E::ValidityTimer,
            ) => Err(Ignored("the validity timer only matters while holding the lock")),

            // stopWork resolved: pause_work → waiting, cleanup → releasing.
            (S::PauseWork, E::WorkStopped) => Ok(self.enter(now, S::WaitingToAcquireLock, &mut fx)),
            (S::Cleanup, E::WorkStopped) => Ok(self.enter(now, S::ReleasingLock, &mut fx)),
            (
                S::Idle | S::AcquiringLock | S::Working | S::RenewLock | S::WaitingToAcquireLock | S::ReleasingLock,
                E::WorkStopped,
            ) => Err(Ignored("stopWork is only invoked in pause_work and cleanup")),
        };
        match result {
            Ok(to) => {
                // A reply that only advances a round in flight is a self-loop, not a transition.
                if to != from || is_stop {
                    self.last_transition = Some(Transition { at: now, from, event: name.to_string(), to });
                }
                Outcome { from, to, effects: fx, ignored: None }
            }
            Err(why) => Outcome { from, to: self.state, effects: fx, ignored: Some(why) },
        }
    }

    /// Enters `to`, performing its entry actions (the reference's invokes), and returns it.
    fn enter(&mut self, now: SimTime, to: WorkerState, fx: &mut Vec<Effect>) -> WorkerState {
        use WorkerState as S;
        let from = self.state;
        self.state = to;
        match to {
            S::Idle => {
                self.token = None;
            }
            S::AcquiringLock => {
                fx.push(self.log("Trying to acquire lock"));
                self.token = None;
                if self.cfg.redlock() && from != S::AcquiringLock {
                    // Redlock: a fresh random value for every acquisition, so a release can never
                    // remove a lock acquired by a later attempt of the same client.
                    let (hi, lo) = (self.rng.next_u64(), self.rng.next_u64());
                    self.value = format!("{hi:016x}{lo:016x}");
                }
                self.start_round(now, Purpose::Acquire, Step::SetNx, fx);
            }
            S::Working => {
                self.round = None;
                // The machine invokes startWork on every entry to working, so the reference logs
                // this after each renewal too.
                fx.push(self.log("Lock acquired. Starting work"));
                fx.push(Effect::StartWork);
                fx.push(Effect::SetTimer { timer: TimerKind::Renew, after: self.cfg.renew_interval });
            }
            S::RenewLock => {
                fx.push(self.log("Renewing lock"));
                let first = match self.cfg.renew {
                    RenewVariant::GetThenExpire => Step::Get,
                    RenewVariant::CompareAndExtend => Step::CompareAndExtend,
                };
                self.start_round(now, Purpose::Renew, first, fx);
            }
            S::PauseWork | S::Cleanup => {
                self.round = None;
                self.cancel_validity(fx);
                fx.push(self.log("Stop work"));
                fx.push(Effect::StopWork);
            }
            S::WaitingToAcquireLock => {
                self.round = None;
                self.cancel_validity(fx);
                let after = if self.cfg.redlock() {
                    // Redlock: retry after a random delay, so contenders desynchronise.
                    SimDuration(self.rng.range_inclusive(0, self.cfg.retry_interval.0))
                } else {
                    self.cfg.retry_interval
                };
                fx.push(Effect::SetTimer { timer: TimerKind::Retry, after });
            }
            S::ReleasingLock => {
                fx.push(self.log("Releasing lock"));
                let first = match self.cfg.release {
                    ReleaseVariant::Reference => Step::ReleaseGet,
                    ReleaseVariant::NaiveDel | ReleaseVariant::CompareAndDelete => Step::Release,
                };
                self.start_round(now, Purpose::Release, first, fx);
            }
        }
        to
    }

    /// A reply (or, with `None`, a client timeout) for the current round.
    fn on_result(
        &mut self,
        now: SimTime,
        instance: usize,
        req: RequestId,
        reply: Option<Reply>,
        fx: &mut Vec<Effect>,
    ) -> Result<WorkerState, Ignored> {
        let Some(mut round) = self.round.take() else {
            return Err(Ignored("stale reply: no round in flight"));
        };
        let step = match round.slots.get(instance) {
            Some(Slot::Pending { req: r, step }) if *r == req => *step,
            _ => {
                self.round = Some(round);
                return Err(Ignored("stale reply: not the request this round waits for"));
            }
        };
        let next = self.advance(step, instance, reply, fx);
        round.slots[instance] = next;
        if !round.done() {
            self.round = Some(round);
            // The round is still in flight: the state does not change (a self-loop, not a no-op).
            return Ok(self.state);
        }
        Ok(self.finish(now, round, fx))
    }

    /// One instance's next step after a reply to `step`.
    fn advance(&mut self, step: Step, instance: usize, reply: Option<Reply>, fx: &mut Vec<Effect>) -> Slot {
        let own = |v: &[u8], me: &str| v == me.as_bytes();
        match (step, reply) {
            (_, None) => Slot::Failed,
            (Step::SetNx, Some(Reply::Status(s))) if s == "OK" && !self.cfg.fencing_active() => Slot::Ok,
            // With fencing the grant is the set-nx-incr script's reply: the token.
            (Step::SetNx, Some(Reply::Integer(t))) if self.cfg.fencing_active() => {
                self.token = Some(t);
                Slot::Ok
            }
            (Step::SetNx, Some(_)) => Slot::Failed,
            // The key is gone: acquire again, as the reference's renewLock does.
            (Step::Get, Some(Reply::Nil)) => self.send_step(instance, Step::SetNx, fx),
            (Step::Get, Some(Reply::Bulk(v))) if own(&v, &self.value) => self.send_step(instance, Step::Expire, fx),
            (Step::Get, Some(_)) => Slot::Failed,
            // The reference only fails on an error: `EXPIRE` answering 0 (key gone) still "succeeds".
            (Step::Expire, Some(Reply::Error(_))) => Slot::Failed,
            (Step::Expire, Some(_)) => Slot::Ok,
            (Step::CompareAndExtend, Some(Reply::Integer(1))) => Slot::Ok,
            (Step::CompareAndExtend, Some(_)) => Slot::Failed,
            // maybeReleaseLock: DEL only if the key still holds our id; otherwise do nothing.
            (Step::ReleaseGet, Some(Reply::Bulk(v))) if own(&v, &self.value) => {
                self.send_step(instance, Step::Release, fx)
            }
            (Step::ReleaseGet, Some(_)) => Slot::Ok,
            // Release ends in idle on success and on error alike.
            (Step::Release, Some(_)) => Slot::Ok,
        }
    }

    /// Redlock's validity left after a round that started at `round.started`: TTL − elapsed −
    /// drift (in ms, may be negative).
    fn validity_ms(&self, now: SimTime, round: &Round) -> i128 {
        let elapsed = now.saturating_since(round.started);
        self.cfg.ttl.0 as i128 - elapsed.0 as i128 - self.cfg.redlock_drift().0 as i128
    }

    /// All instances (single Redis), or Redlock's majority acquired within validity.
    fn quorum(&self, now: SimTime, round: &Round) -> bool {
        if !self.cfg.redlock() {
            return round.oks() == self.cfg.instances;
        }
        round.oks() >= majority(self.cfg.instances) && self.validity_ms(now, round) > 0
    }

    /// Enters working after a successful acquire or renew; Redlock arms the validity timer so the
    /// work stops when the validity time is over.
    fn hold(&mut self, now: SimTime, round: &Round, fx: &mut Vec<Effect>) -> WorkerState {
        if self.cfg.redlock() {
            let validity = SimDuration(self.validity_ms(now, round).max(0) as u64);
            fx.push(Effect::SetTimer { timer: TimerKind::Validity, after: validity });
        }
        self.enter(now, WorkerState::Working, fx)
    }

    /// A round has every answer: decide the next state.
    fn finish(&mut self, now: SimTime, round: Round, fx: &mut Vec<Effect>) -> WorkerState {
        use WorkerState as S;
        match round.purpose {
            Purpose::Acquire => {
                if self.quorum(now, &round) {
                    self.hold(now, &round, fx)
                } else {
                    if self.cfg.redlock() {
                        // Redlock: on failure, release everywhere (fire and forget). Always with the
                        // compare-and-delete script, as the algorithm specifies: a plain DEL here would
                        // delete the keys of the worker that did win on those instances.
                        for i in 0..self.cfg.instances {
                            let cmd = LockCommand::CompareAndDelete {
                                key: self.cfg.lock_key.clone(),
                                value: self.value.clone(),
                            };
                            self.send(i, cmd, Some(self.cfg.redlock_request_timeout), fx);
                        }
                    }
                    self.enter(now, S::WaitingToAcquireLock, fx)
                }
            }
            Purpose::Renew => {
                if self.quorum(now, &round) {
                    self.hold(now, &round, fx)
                } else {
                    self.enter(now, S::PauseWork, fx)
                }
            }
            Purpose::Release => self.enter(now, S::Idle, fx),
        }
    }
}

#[cfg(test)]
mod tests;
