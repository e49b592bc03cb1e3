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
            (RenewLock, "error", PauseWork),
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

/// The machine's two timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimerKind {
    /// `working` → `renew_lock` after the renew interval.
    Renew,
    /// `waiting_to_acquire_lock` → `acquiring_lock` after the retry interval.
    Retry,
}

/// What can happen to a worker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// `TRY_ACQUIRE_LOCK`, sent at worker start-up.
    TryAcquireLock,
    /// `STOP`: graceful shutdown, from any state.
    Stop,
    /// A reply from Redis instance `instance` to request `req`.
    Reply { instance: usize, req: RequestId, reply: Reply },
    /// The client gave up waiting for request `req`.
    ClientTimeout { instance: usize, req: RequestId },
    /// The renew timer fired.
    RenewTimer,
    /// The retry timer fired.
    RetryTimer,
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
            Event::WorkStopped => "work_stopped",
        }
    }
}

/// What the machine asks its runtime to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Effect {
    /// Send `command` to Redis instance `instance`; its reply (or a client timeout) comes back
    /// tagged with `req`.
    Send {
        instance: usize,
        req: RequestId,
        command: LockCommand,
    },
    /// Arm `timer` to fire after `after` of the worker's local time (re-arming replaces it).
    SetTimer {
        timer: TimerKind,
        after: SimDuration,
    },
    CancelTimer {
        timer: TimerKind,
    },
    /// The reference's `startWork`: begin (or keep) processing the job queue.
    StartWork,
    /// The reference's `stopWork`: abandon the job in progress; answer with [`Event::WorkStopped`].
    StopWork,
    /// A line for the worker's log, in the reference's wording.
    Log(String),
}

/// The renew variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RenewVariant {
    /// The reference: `GET`, then `EXPIRE` if the value is ours (two round trips, not atomic).
    #[default]
    GetThenExpire,
    /// One atomic compare-and-extend (the Lua script [`super::command::COMPARE_AND_EXTEND_LUA`]).
    CompareAndExtend,
}

/// The release variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseVariant {
    /// The reference: plain `DEL`, whoever holds the key.
    #[default]
    Del,
    /// Atomic compare-and-delete (the script from the Redis docs).
    CompareAndDelete,
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
    /// Take a token from `INCR <lock_key>:token` after acquiring.
    pub fencing: bool,
    /// Redis instances; more than one means Redlock (majority within validity).
    pub instances: usize,
}

impl Default for MachineConfig {
    fn default() -> Self {
        MachineConfig {
            lock_key: "lock:jobs".into(),
            ttl: SimDuration::from_secs(10),
            renew_interval: SimDuration::from_secs(5),
            retry_interval: SimDuration::from_secs(5),
            renew: RenewVariant::GetThenExpire,
            release: ReleaseVariant::Del,
            fencing: false,
            instances: 1,
        }
    }
}

impl MachineConfig {
    pub fn token_key(&self) -> String {
        format!("{}:token", self.lock_key)
    }
    pub fn redlock(&self) -> bool {
        self.instances > 1
    }
    /// Redlock's clock-drift allowance: TTL × 0.01 + 2 ms.
    pub fn redlock_drift(&self) -> SimDuration {
        SimDuration(self.ttl.0 / 100 + 2)
    }
    fn majority(&self) -> usize {
        self.instances / 2 + 1
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Purpose {
    Acquire,
    Renew,
    Token,
    Release,
}

/// Where one instance's part of a round stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Step {
    SetNx,
    Get,
    Expire,
    CompareAndExtend,
    Incr,
    Release,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Renew found the key gone and acquired it again (so fencing needs a fresh token).
    reacquired: bool,
}

impl Round {
    fn done(&self) -> bool {
        self.slots.iter().all(|s| !matches!(s, Slot::Pending { .. }))
    }
    fn oks(&self) -> usize {
        self.slots.iter().filter(|s| matches!(s, Slot::Ok)).count()
    }
}

/// One lock worker: the machine and the little it remembers.
#[derive(Clone, Debug)]
pub struct LockWorker {
    id: String,
    cfg: MachineConfig,
    state: WorkerState,
    token: Option<i64>,
    round: Option<Round>,
    next_req: u64,
    /// Redlock's random retry delay.
    rng: SimRng,
    last_transition: Option<Transition>,
}

impl LockWorker {
    pub fn new(id: String, cfg: MachineConfig, rng: SimRng) -> Self {
        LockWorker {
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
    pub fn state(&self) -> WorkerState {
        self.state
    }
    pub fn config(&self) -> &MachineConfig {
        &self.cfg
    }
    /// The fencing token taken at the last acquisition (fencing variant only).
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

    fn log(&self, msg: &str) -> Effect {
        Effect::Log(format!("{msg} {{ workerId: '{}' }}", self.id))
    }

    fn req(&mut self) -> RequestId {
        self.next_req = self.next_req.saturating_add(1);
        RequestId(self.next_req)
    }

    fn send(&mut self, instance: usize, command: LockCommand, fx: &mut Vec<Effect>) -> RequestId {
        let req = self.req();
        fx.push(Effect::Send { instance, req, command });
        req
    }

    fn set_nx(&self) -> LockCommand {
        LockCommand::SetNx { key: self.cfg.lock_key.clone(), value: self.id.clone(), ttl_ms: self.cfg.ttl.0 }
    }

    fn release_command(&self) -> LockCommand {
        match self.cfg.release {
            ReleaseVariant::Del => LockCommand::Del { key: self.cfg.lock_key.clone() },
            ReleaseVariant::CompareAndDelete => {
                LockCommand::CompareAndDelete { key: self.cfg.lock_key.clone(), value: self.id.clone() }
            }
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
                let mut slots = Vec::with_capacity(self.cfg.instances);
                for i in 0..self.cfg.instances {
                    let req = self.send(i, self.set_nx(), fx);
                    slots.push(Slot::Pending { req, step: Step::SetNx });
                }
                self.round = Some(Round { purpose: Purpose::Acquire, started: now, slots, reacquired: false });
            }
            S::Working => {
                self.round = None;
                if from == S::AcquiringLock {
                    fx.push(self.log("Lock acquired. Starting work"));
                }
                fx.push(Effect::StartWork);
                fx.push(Effect::SetTimer { timer: TimerKind::Renew, after: self.cfg.renew_interval });
            }
            S::RenewLock => {
                fx.push(self.log("Renewing lock"));
                let mut slots = Vec::with_capacity(self.cfg.instances);
                for i in 0..self.cfg.instances {
                    let (command, step) = match self.cfg.renew {
                        RenewVariant::GetThenExpire => (LockCommand::Get { key: self.cfg.lock_key.clone() }, Step::Get),
                        RenewVariant::CompareAndExtend => (
                            LockCommand::CompareAndExtend {
                                key: self.cfg.lock_key.clone(),
                                value: self.id.clone(),
                                ttl_ms: self.cfg.ttl.0,
                            },
                            Step::CompareAndExtend,
                        ),
                    };
                    let req = self.send(i, command, fx);
                    slots.push(Slot::Pending { req, step });
                }
                self.round = Some(Round { purpose: Purpose::Renew, started: now, slots, reacquired: false });
            }
            S::PauseWork | S::Cleanup => {
                self.round = None;
                fx.push(self.log("Stop work"));
                fx.push(Effect::StopWork);
            }
            S::WaitingToAcquireLock => {
                self.round = None;
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
                let mut slots = Vec::with_capacity(self.cfg.instances);
                for i in 0..self.cfg.instances {
                    let req = self.send(i, self.release_command(), fx);
                    slots.push(Slot::Pending { req, step: Step::Release });
                }
                self.round = Some(Round { purpose: Purpose::Release, started: now, slots, reacquired: false });
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
        let next = self.advance(step, instance, reply, &mut round, fx);
        round.slots[instance] = next;
        if !round.done() {
            self.round = Some(round);
            // The round is still in flight: the state does not change (a self-loop, not a no-op).
            return Ok(self.state);
        }
        Ok(self.finish(now, round, fx))
    }

    /// One instance's next step after a reply to `step`.
    fn advance(
        &mut self,
        step: Step,
        instance: usize,
        reply: Option<Reply>,
        round: &mut Round,
        fx: &mut Vec<Effect>,
    ) -> Slot {
        match (step, reply) {
            (_, None) => Slot::Failed,
            (Step::SetNx, Some(Reply::Status(s))) if s == "OK" => {
                if round.purpose == Purpose::Renew {
                    round.reacquired = true;
                }
                Slot::Ok
            }
            (Step::SetNx, Some(_)) => Slot::Failed,
            (Step::Get, Some(Reply::Nil)) => {
                // The key is gone: acquire again, as the reference does.
                let req = self.send(instance, self.set_nx(), fx);
                Slot::Pending { req, step: Step::SetNx }
            }
            (Step::Get, Some(Reply::Bulk(v))) if v == self.id.as_bytes() => {
                let cmd = LockCommand::Expire { key: self.cfg.lock_key.clone(), ttl_ms: self.cfg.ttl.0 };
                let req = self.send(instance, cmd, fx);
                Slot::Pending { req, step: Step::Expire }
            }
            (Step::Get, Some(_)) => Slot::Failed,
            // The reference only fails on an error: `EXPIRE` answering 0 (key gone) still "succeeds".
            (Step::Expire, Some(Reply::Error(_))) => Slot::Failed,
            (Step::Expire, Some(_)) => Slot::Ok,
            (Step::CompareAndExtend, Some(Reply::Integer(1))) => Slot::Ok,
            (Step::CompareAndExtend, Some(_)) => Slot::Failed,
            (Step::Incr, Some(Reply::Integer(t))) => {
                self.token = Some(t);
                Slot::Ok
            }
            (Step::Incr, Some(_)) => Slot::Failed,
            // Release ends in idle on success and on error alike.
            (Step::Release, Some(_)) => Slot::Ok,
        }
    }

    /// Redlock: a majority, acquired within validity = TTL − elapsed − drift.
    fn quorum(&self, now: SimTime, round: &Round) -> bool {
        if !self.cfg.redlock() {
            return round.oks() == self.cfg.instances;
        }
        let elapsed = now.saturating_since(round.started);
        let validity = self.cfg.ttl.0 as i128 - elapsed.0 as i128 - self.cfg.redlock_drift().0 as i128;
        round.oks() >= self.cfg.majority() && validity > 0
    }

    fn take_token(&mut self, now: SimTime, fx: &mut Vec<Effect>) {
        let req = self.send(0, LockCommand::Incr { key: self.cfg.token_key() }, fx);
        self.round = Some(Round {
            purpose: Purpose::Token,
            started: now,
            slots: {
                let mut s = vec![Slot::Ok; self.cfg.instances];
                s[0] = Slot::Pending { req, step: Step::Incr };
                s
            },
            reacquired: false,
        });
    }

    /// A round has every answer: decide the next state.
    fn finish(&mut self, now: SimTime, round: Round, fx: &mut Vec<Effect>) -> WorkerState {
        use WorkerState as S;
        match round.purpose {
            Purpose::Acquire => {
                if self.quorum(now, &round) {
                    if self.cfg.fencing {
                        self.take_token(now, fx);
                        self.state
                    } else {
                        self.enter(now, S::Working, fx)
                    }
                } else {
                    if self.cfg.redlock() {
                        // Redlock: on failure, release everywhere (fire and forget). Always with the
                        // compare-and-delete script, as the algorithm specifies: a plain DEL here would
                        // delete the keys of the worker that did win on those instances.
                        for i in 0..self.cfg.instances {
                            let cmd = LockCommand::CompareAndDelete {
                                key: self.cfg.lock_key.clone(),
                                value: self.id.clone(),
                            };
                            self.send(i, cmd, fx);
                        }
                    }
                    self.enter(now, S::WaitingToAcquireLock, fx)
                }
            }
            Purpose::Token => {
                if round.oks() == self.cfg.instances {
                    // From acquiring_lock, or from renew_lock when it re-acquired a vanished key.
                    self.enter(now, S::Working, fx)
                } else {
                    match self.state {
                        S::RenewLock => self.enter(now, S::PauseWork, fx),
                        _ => self.enter(now, S::WaitingToAcquireLock, fx),
                    }
                }
            }
            Purpose::Renew => {
                if self.quorum(now, &round) {
                    if round.reacquired && self.cfg.fencing {
                        self.take_token(now, fx);
                        self.state
                    } else {
                        self.enter(now, S::Working, fx)
                    }
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
