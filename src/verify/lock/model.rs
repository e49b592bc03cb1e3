//! The lock checker's state and transitions.
//!
//! A state is the workers (status, interned machine, pending timers as deadlines relative to now,
//! the job in progress, timers that came due during a pause), each Redis instance's key, value, TTL
//! and token counter, the messages in flight (FIFO per connection and direction), the protected
//! resource, and the fault budget left. Time is relative: the only way it passes is [`Action::Tick`],
//! which jumps to the next deadline (a timer or a key's expiry) and subtracts it everywhere, so states
//! that differ only in absolute time are one state.
//!
//! Time model ("timers abstracted to orderings"): messages take no time unless a fault delays them,
//! so a message in flight that is not delayed must be delivered before time may pass; everything
//! due at one instant happens in every order. A delayed message may be delivered at any later event
//! point. Between two event points nothing changes, so waiting for the next one loses no ordering.

use super::config::{CheckConfig, Fault, Property, Variant};
use super::machines::{ClassInfo, Ev, Fx, Machines, SeenReply};
use crate::lock::machine::TimerKind;
use crate::sim::SimRng;

pub const MAX_WORKERS: usize = 3;
pub const MAX_INSTANCES: usize = 5;
/// The most messages in flight at once; an action that would exceed it is not explored (counted).
pub const MAX_MSGS: usize = 32;
/// An unarmed timer.
pub const NONE: u32 = u32::MAX;
/// Deadlines per worker: six timers and one client timeout per instance.
pub const NDL: usize = 6 + MAX_INSTANCES;

/// A worker-side timer: the machine's three, the job, stopWork, the process start, client timeouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TimerCode {
    Renew,
    Retry,
    Validity,
    /// The job of `startWork` is done: it writes to the protected resource.
    Job,
    /// `stopWork` resolved.
    Stopping,
    /// The worker process starts (`TRY_ACQUIRE_LOCK`).
    Start,
    /// The client gives up on the request to this instance (Redlock's per-instance timeout).
    Timeout(u8),
}

impl TimerCode {
    pub fn index(self) -> usize {
        match self {
            TimerCode::Renew => 0,
            TimerCode::Retry => 1,
            TimerCode::Validity => 2,
            TimerCode::Job => 3,
            TimerCode::Stopping => 4,
            TimerCode::Start => 5,
            TimerCode::Timeout(i) => 6 + usize::from(i),
        }
    }
    pub fn from_index(i: usize) -> TimerCode {
        match i {
            0 => TimerCode::Renew,
            1 => TimerCode::Retry,
            2 => TimerCode::Validity,
            3 => TimerCode::Job,
            4 => TimerCode::Stopping,
            5 => TimerCode::Start,
            n => TimerCode::Timeout((n - 6) as u8),
        }
    }
    pub fn name(self) -> String {
        match self {
            TimerCode::Renew => "renew timer".into(),
            TimerCode::Retry => "retry timer".into(),
            TimerCode::Validity => "validity timer".into(),
            TimerCode::Job => "job done".into(),
            TimerCode::Stopping => "stopWork resolved".into(),
            TimerCode::Start => "process start".into(),
            TimerCode::Timeout(i) => format!("client timeout (redis-{i})"),
        }
    }
}

/// A Redis command as the checker's Redis runs it (TTLs are the configured one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cmd {
    SetNx,
    SetNxToken,
    Get,
    Expire,
    Del,
    Cae,
    Cad,
}

impl Cmd {
    pub fn name(self) -> &'static str {
        match self {
            Cmd::SetNx => "SET NX",
            Cmd::SetNxToken => "set-nx-incr",
            Cmd::Get => "GET",
            Cmd::Expire => "EXPIRE",
            Cmd::Del => "DEL",
            Cmd::Cae => "compare-and-extend",
            Cmd::Cad => "compare-and-delete",
        }
    }
}

/// An abstract lock value: the worker slot that set it and its age (0 = the slot's current value;
/// it grows when the slot restarts as a new process or, with Redlock, draws a new value).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Val(pub u8);

impl Val {
    pub const NONE: Val = Val(0xFF);
    pub fn new(slot: u8, age: u8) -> Val {
        Val((slot << 6) | age.min(62))
    }
    pub fn slot(self) -> u8 {
        self.0 >> 6
    }
    pub fn age(self) -> u8 {
        self.0 & 0x3F
    }
    pub fn is_none(self) -> bool {
        self == Val::NONE
    }
    fn aged(self, slot: u8) -> Val {
        if !self.is_none() && self.slot() == slot {
            Val::new(slot, self.age().saturating_add(1))
        } else {
            self
        }
    }
    fn permuted(self, p: &[u8; MAX_WORKERS]) -> Val {
        if self.is_none() {
            self
        } else {
            Val::new(p[usize::from(self.slot())], self.age())
        }
    }
}

/// A reply on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AReply {
    Ok,
    Nil,
    Bulk(Val),
    Int(i32),
}

/// A message in flight on one worker's connection to one instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Msg {
    pub worker: u8,
    pub instance: u8,
    /// `None`: a request to Redis; `Some`: the reply to it.
    pub reply: Option<AReply>,
    pub cmd: Cmd,
    /// The value the sender put in the command (its current value for commands without one).
    pub value: Val,
    /// The machine still waits for this request (a reply to an abandoned one is dropped).
    pub current: bool,
    pub delayed: bool,
}

impl Msg {
    fn conn(&self) -> (u8, u8, bool) {
        (self.worker, self.instance, self.reply.is_some())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Running,
    Paused,
    Crashed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Worker {
    pub status: Status,
    /// The interned machine (meaningless while crashed).
    pub class: u32,
    /// Deadlines relative to now, by [`TimerCode::index`].
    pub dl: [u32; NDL],
    /// The job in progress is this many jobs behind the resource's next job.
    pub job_behind: u8,
    /// Timers that came due during a pause, in the order they came due.
    pub held: [u8; NDL],
    pub held_len: u8,
    /// Redlock: local ms since the round in flight started.
    pub age: u32,
    /// How many grants (a `SET NX` that set this worker's value) happened since this worker's
    /// latest one; [`NO_GRANT`] when it has none.
    pub grant_behind: u8,
}

/// A worker without a grant, or a resource without a write.
pub const NO_GRANT: u8 = 0xFF;

impl Worker {
    /// A crashed process: nothing of it survives but its slot (its values age on restart).
    pub const CRASHED: Worker = Worker {
        status: Status::Crashed,
        class: 0,
        dl: [NONE; NDL],
        job_behind: 0,
        held: [0; NDL],
        held_len: 0,
        age: 0,
        grant_behind: NO_GRANT,
    };
}

impl Worker {
    fn held(&self) -> &[u8] {
        &self.held[..usize::from(self.held_len)]
    }
    fn unhold(&mut self, code: usize) {
        let len = usize::from(self.held_len);
        if let Some(p) = self.held[..len].iter().position(|&c| usize::from(c) == code) {
            self.held.copy_within(p + 1..len, p);
            self.held_len -= 1;
            self.held[len - 1] = 0;
        }
    }
    fn disarm(&mut self, code: usize) {
        self.dl[code] = NONE;
        self.unhold(code);
    }
    fn job_exists(&self) -> bool {
        self.dl[TimerCode::Job.index()] != NONE || self.held().contains(&(TimerCode::Job.index() as u8))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instance {
    pub value: Val,
    /// The key's deadline relative to now (present while now ≤ deadline, as Redis's keyIsExpired).
    pub dl: u32,
    /// The fencing token counter (`lock.resource-worker:token`).
    pub counter: i32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct State {
    pub workers: [Worker; MAX_WORKERS],
    pub redis: [Instance; MAX_INSTANCES],
    pub msgs: [Msg; MAX_MSGS],
    pub n_msgs: u8,
    /// The highest fencing token the resource accepted (0: none yet).
    pub max_token: i32,
    /// The last accepted job is this many behind the next job.
    pub last_behind: u8,
    /// The newest grant whose holder wrote is this many grants old ([`NO_GRANT`]: no write yet).
    pub written_behind: u8,
    pub budget: u8,
    /// Worker restarts so far (names the new processes' random streams).
    pub restarts: u8,
}

/// One step of the search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Deliver(u8),
    Delay(u8),
    Drop(u8),
    Fire {
        worker: u8,
        code: u8,
    },
    /// A resumed worker handles the first timer it held during its pause.
    Held(u8),
    Tick,
    Pause(u8),
    Resume(u8),
    Crash(u8),
    Restart(u8),
    Stop(u8),
    Drift(u8),
    RedisRestart(u8),
}

impl Action {
    pub fn encode(self) -> u32 {
        let (k, a, b) = match self {
            Action::Deliver(m) => (0, m, 0),
            Action::Delay(m) => (1, m, 0),
            Action::Drop(m) => (2, m, 0),
            Action::Fire { worker, code } => (3, worker, code),
            Action::Held(w) => (4, w, 0),
            Action::Tick => (5, 0, 0),
            Action::Pause(w) => (6, w, 0),
            Action::Resume(w) => (7, w, 0),
            Action::Crash(w) => (8, w, 0),
            Action::Restart(w) => (9, w, 0),
            Action::Stop(w) => (10, w, 0),
            Action::Drift(w) => (11, w, 0),
            Action::RedisRestart(i) => (12, i, 0),
        };
        (k << 16) | (u32::from(a) << 8) | u32::from(b)
    }
    pub fn decode(x: u32) -> Action {
        let (k, a, b) = (x >> 16, (x >> 8) as u8, x as u8);
        match k {
            0 => Action::Deliver(a),
            1 => Action::Delay(a),
            2 => Action::Drop(a),
            3 => Action::Fire { worker: a, code: b },
            4 => Action::Held(a),
            5 => Action::Tick,
            6 => Action::Pause(a),
            7 => Action::Resume(a),
            8 => Action::Crash(a),
            9 => Action::Restart(a),
            10 => Action::Stop(a),
            11 => Action::Drift(a),
            _ => Action::RedisRestart(a),
        }
    }
}

/// What one step did, for the trace.
#[derive(Clone, Debug, Default)]
pub struct Effects {
    /// Properties violated by this step (bits of [`Property::bit`]).
    pub violated: u8,
    /// How far time moved.
    pub advanced_ms: u64,
    /// Redis replies produced (instance, reply) and writes judged (accepted, stale).
    pub write: Option<(bool, bool, bool)>,
    pub reply: Option<AReply>,
    /// The action could not be explored (too many messages in flight).
    pub overflow: bool,
}

/// The checker's model: configuration, the interned machines, and the transition function.
pub struct LockModel {
    pub cfg: CheckConfig,
    pub machines: Machines,
    workers: usize,
    instances: usize,
    fenced: bool,
    redlock: bool,
    ttl: u32,
    initial_class: [u32; MAX_WORKERS],
}

fn ms32(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(NONE - 1).min(NONE - 1)
}

impl LockModel {
    pub fn new(cfg: CheckConfig) -> Self {
        let mcfg = cfg.machine_config();
        let mut machines = Machines::new(mcfg);
        let rng = SimRng::new(cfg.seed);
        let mut initial_class = [0u32; MAX_WORKERS];
        for (i, c) in initial_class.iter_mut().enumerate().take(cfg.workers) {
            // The runtime's derivation, so a replay with the same seed draws the same Redlock values.
            *c = machines.fresh(format!("worker-{i}"), rng.child_indexed("worker", i as u64));
        }
        LockModel {
            workers: cfg.workers,
            instances: cfg.redis,
            fenced: cfg.variant == Variant::Fenced,
            redlock: cfg.variant == Variant::Redlock,
            ttl: ms32(cfg.ttl_ms),
            initial_class,
            machines,
            cfg,
        }
    }

    pub fn workers(&self) -> usize {
        self.workers
    }
    pub fn instances(&self) -> usize {
        self.instances
    }
    pub fn info(&self, class: u32) -> ClassInfo {
        self.machines.info(class)
    }

    pub fn initial(&self) -> State {
        let idle = Worker { status: Status::Running, ..Worker::CRASHED };
        let mut workers = [idle; MAX_WORKERS];
        for (i, w) in workers.iter_mut().enumerate().take(self.workers) {
            w.class = self.initial_class[i];
            w.dl[TimerCode::Start.index()] = ms32(self.cfg.stagger_ms.saturating_mul(i as u64));
        }
        let empty = Msg {
            worker: 0,
            instance: 0,
            reply: None,
            cmd: Cmd::Get,
            value: Val::NONE,
            current: false,
            delayed: false,
        };
        State {
            workers,
            redis: [Instance { value: Val::NONE, dl: NONE, counter: 0 }; MAX_INSTANCES],
            msgs: [empty; MAX_MSGS],
            n_msgs: 0,
            max_token: 0,
            last_behind: 1,
            written_behind: NO_GRANT,
            budget: self.cfg.budget,
            restarts: 0,
        }
    }

    fn can_fault(&self, s: &State, f: Fault) -> bool {
        s.budget > 0 && self.cfg.has(f)
    }

    fn is_head(s: &State, m: usize) -> bool {
        m == 0 || s.msgs[m - 1].conn() != s.msgs[m].conn()
    }

    /// A message that must be delivered before time may pass.
    fn urgent(s: &State, m: usize) -> bool {
        let msg = &s.msgs[m];
        Self::is_head(s, m)
            && !msg.delayed
            && (msg.reply.is_none() || s.workers[usize::from(msg.worker)].status == Status::Running)
    }

    /// The actions enabled in `s`, in a fixed order.
    pub fn actions(&self, s: &State, out: &mut Vec<Action>) {
        out.clear();
        let mut urgent = false;
        for m in 0..usize::from(s.n_msgs) {
            if !Self::is_head(s, m) {
                continue;
            }
            let msg = &s.msgs[m];
            let to_running = msg.reply.is_none() || s.workers[usize::from(msg.worker)].status == Status::Running;
            if to_running {
                out.push(Action::Deliver(m as u8));
            }
            if Self::urgent(s, m) {
                urgent = true;
                if self.can_fault(s, Fault::Delay) {
                    out.push(Action::Delay(m as u8));
                }
            }
            if self.can_fault(s, Fault::Drop) {
                out.push(Action::Drop(m as u8));
            }
        }
        for w in 0..self.workers {
            let wk = &s.workers[w];
            if wk.status != Status::Running {
                continue;
            }
            if wk.held_len > 0 {
                urgent = true;
                out.push(Action::Held(w as u8));
            }
            for (code, &d) in wk.dl.iter().enumerate() {
                if d == 0 {
                    urgent = true;
                    out.push(Action::Fire { worker: w as u8, code: code as u8 });
                }
            }
        }
        if !urgent && self.next_event(s).is_some() {
            out.push(Action::Tick);
        }
        for w in 0..self.workers {
            let st = s.workers[w].status;
            let w8 = w as u8;
            match st {
                Status::Running => {
                    if self.can_fault(s, Fault::Pause) {
                        out.push(Action::Pause(w8));
                    }
                    if self.can_fault(s, Fault::Stop) {
                        out.push(Action::Stop(w8));
                    }
                }
                Status::Paused => out.push(Action::Resume(w8)),
                Status::Crashed => out.push(Action::Restart(w8)),
            }
            if st != Status::Crashed {
                if self.can_fault(s, Fault::Crash) {
                    out.push(Action::Crash(w8));
                }
                if self.can_fault(s, Fault::Drift) {
                    out.push(Action::Drift(w8));
                }
            }
        }
        if self.can_fault(s, Fault::RedisRestart) {
            for i in 0..self.instances {
                out.push(Action::RedisRestart(i as u8));
            }
        }
    }

    /// How long until the next timer or key expiry (`None`: nothing will ever happen by itself).
    pub fn next_event(&self, s: &State) -> Option<u32> {
        let mut best = NONE;
        for w in &s.workers[..self.workers] {
            if w.status == Status::Crashed {
                continue;
            }
            for &d in &w.dl {
                if d != NONE && d > 0 {
                    best = best.min(d);
                }
            }
        }
        for r in &s.redis[..self.instances] {
            if !r.value.is_none() {
                best = best.min(r.dl.saturating_add(1));
            }
        }
        (best != NONE).then_some(best)
    }

    /// Applies `a` to `s` (a canonical state) and returns the successor and what happened.
    pub fn apply(&mut self, s: &State, a: Action) -> (State, Effects) {
        let mut n = *s;
        let mut fx = Effects::default();
        match a {
            Action::Deliver(m) => self.deliver(&mut n, usize::from(m), &mut fx),
            Action::Delay(m) => {
                n.budget -= 1;
                n.msgs[usize::from(m)].delayed = true;
            }
            Action::Drop(m) => {
                n.budget -= 1;
                remove_msg(&mut n, usize::from(m));
            }
            Action::Fire { worker, code } => {
                n.workers[usize::from(worker)].dl[usize::from(code)] = NONE;
                self.fire(&mut n, usize::from(worker), usize::from(code), &mut fx);
            }
            Action::Held(w) => {
                let wk = &mut n.workers[usize::from(w)];
                let code = usize::from(wk.held[0]);
                wk.unhold(code);
                self.fire(&mut n, usize::from(w), code, &mut fx);
            }
            Action::Tick => {
                if let Some(d) = self.next_event(&n) {
                    self.tick(&mut n, d);
                    fx.advanced_ms = u64::from(d);
                }
            }
            Action::Pause(w) => {
                n.budget -= 1;
                n.workers[usize::from(w)].status = Status::Paused;
            }
            Action::Resume(w) => n.workers[usize::from(w)].status = Status::Running,
            Action::Crash(w) => {
                n.budget -= 1;
                let w = usize::from(w);
                let mut j = 0;
                while j < usize::from(n.n_msgs) {
                    if usize::from(n.msgs[j].worker) == w {
                        remove_msg(&mut n, j);
                    } else {
                        j += 1;
                    }
                }
                n.workers[w] = Worker::CRASHED;
            }
            Action::Restart(w) => {
                let w = usize::from(w);
                let r = n.restarts;
                n.restarts = n.restarts.saturating_add(1);
                // Named by the restart count, not the slot, so that swapping identical workers
                // (symmetry reduction) never changes what a restart draws.
                let rng = SimRng::new(self.cfg.seed).child_indexed("verify-restart", u64::from(r));
                let class = self.machines.fresh(format!("worker-restart-{r}"), rng);
                age_values(&mut n, w as u8);
                let wk = &mut n.workers[w];
                wk.status = Status::Running;
                wk.class = class;
                self.feed(&mut n, w, Ev::TryAcquire, &mut fx);
            }
            Action::Stop(w) => {
                n.budget -= 1;
                self.feed(&mut n, usize::from(w), Ev::Stop, &mut fx);
            }
            Action::Drift(w) => {
                n.budget -= 1;
                let d = ms32(self.cfg.drift_ms);
                let wk = &mut n.workers[usize::from(w)];
                for x in wk.dl.iter_mut() {
                    if *x != NONE {
                        *x = x.saturating_add(d).min(NONE - 1);
                    }
                }
                wk.age = wk.age.saturating_sub(d);
            }
            Action::RedisRestart(i) => {
                n.budget -= 1;
                self.redis_restart(&mut n, usize::from(i));
            }
        }
        if self.believers(&n) >= 2 {
            fx.violated |= Property::MutualExclusion.bit();
        }
        (n, fx)
    }

    /// Workers alive (running or paused) that believe they hold the lock.
    pub fn believers(&self, s: &State) -> usize {
        s.workers[..self.workers]
            .iter()
            .filter(|w| w.status != Status::Crashed && self.machines.info(w.class).state.believes_it_holds())
            .count()
    }

    fn tick(&self, n: &mut State, d: u32) {
        let cap = self.ttl.saturating_add(1);
        for w in 0..self.workers {
            let wk = &mut n.workers[w];
            if wk.status == Status::Crashed {
                continue;
            }
            for code in 0..NDL {
                if wk.dl[code] != NONE {
                    // A worker paused with a timer already due (0) holds it like one that comes due.
                    wk.dl[code] = wk.dl[code].saturating_sub(d);
                    if wk.dl[code] == 0 && wk.status == Status::Paused {
                        wk.dl[code] = NONE;
                        wk.held[usize::from(wk.held_len)] = code as u8;
                        wk.held_len += 1;
                    }
                }
            }
            if self.redlock && self.machines.info(wk.class).has_round {
                wk.age = wk.age.saturating_add(d).min(cap);
            }
        }
        for r in &mut n.redis[..self.instances] {
            if !r.value.is_none() {
                if r.dl < d {
                    r.value = Val::NONE;
                    r.dl = NONE;
                } else {
                    r.dl -= d;
                }
            }
        }
    }

    fn fire(&mut self, n: &mut State, w: usize, code: usize, fx: &mut Effects) {
        match TimerCode::from_index(code) {
            TimerCode::Renew => self.feed(n, w, Ev::Timer(TimerKind::Renew), fx),
            TimerCode::Retry => self.feed(n, w, Ev::Timer(TimerKind::Retry), fx),
            TimerCode::Validity => self.feed(n, w, Ev::Timer(TimerKind::Validity), fx),
            TimerCode::Stopping => self.feed(n, w, Ev::WorkStopped, fx),
            TimerCode::Start => self.feed(n, w, Ev::TryAcquire, fx),
            TimerCode::Timeout(i) => self.feed(n, w, Ev::Timeout { instance: i }, fx),
            TimerCode::Job => self.job_done(n, w, fx),
        }
    }

    /// The job's write reaches the protected resource (the runtime's `on_job_done`).
    fn job_done(&self, n: &mut State, w: usize, fx: &mut Effects) {
        let behind = n.workers[w].job_behind;
        let token = self.machines.info(n.workers[w].class).token;
        let accepted = if self.fenced {
            match token {
                None => false,
                Some(t) => n.max_token == 0 || t >= i64::from(n.max_token),
            }
        } else {
            true
        };
        // Stale: a holder whose grant is newer has already written, so this write lands on newer work.
        // (The runtime's checker counts every write while Redis names someone else or no one; with
        // fencing a holder that wakes before its successor wrote anything is accepted, in token
        // order, which is what fencing promises, so the checker does not call that stale.)
        let mine = n.workers[w].grant_behind;
        let stale = mine != NO_GRANT && n.written_behind != NO_GRANT && mine > n.written_behind;
        let dup = accepted && behind != n.last_behind.wrapping_sub(1);
        if accepted {
            if let (true, Some(t)) = (self.fenced, token) {
                n.max_token = n.max_token.max(i32::try_from(t).unwrap_or(i32::MAX));
            }
            n.last_behind = n.last_behind.min(behind);
            if mine != NO_GRANT {
                n.written_behind = n.written_behind.min(mine);
            }
            if behind == 0 {
                n.last_behind = n.last_behind.saturating_add(1);
                for (i, o) in n.workers.iter_mut().enumerate().take(self.workers) {
                    if i != w && o.job_exists() {
                        o.job_behind = o.job_behind.saturating_add(1);
                    }
                }
            }
            if stale {
                fx.violated |= Property::StaleWrite.bit();
            }
        }
        if dup {
            fx.violated |= Property::DoubleJob.bit();
        }
        fx.write = Some((accepted, stale, dup));
    }

    /// The value a majority of the instances holds (Redis's truth for the checker).
    pub fn truth(&self, n: &State) -> Option<Val> {
        let need = self.instances / 2 + 1;
        let vals = &n.redis[..self.instances];
        vals.iter()
            .map(|r| r.value)
            .filter(|v| !v.is_none())
            .find(|v| vals.iter().filter(|r| r.value == *v).count() >= need)
    }

    fn deliver(&mut self, n: &mut State, m: usize, fx: &mut Effects) {
        let msg = n.msgs[m];
        remove_msg(n, m);
        let w = usize::from(msg.worker);
        let i = usize::from(msg.instance);
        match msg.reply {
            None => {
                let (reply, violated) = self.execute(n, i, msg.cmd, msg.value);
                fx.violated |= violated;
                fx.reply = Some(reply);
                if msg.current {
                    let r = Msg { reply: Some(reply), delayed: false, ..msg };
                    if !insert_msg(n, r) {
                        fx.overflow = true;
                    }
                }
            }
            Some(reply) => {
                n.workers[w].disarm(TimerCode::Timeout(msg.instance).index());
                let seen = match reply {
                    AReply::Ok => SeenReply::Ok,
                    AReply::Nil => SeenReply::Nil,
                    AReply::Bulk(v) if v == Val::new(w as u8, 0) => SeenReply::Own,
                    AReply::Bulk(_) => SeenReply::Other,
                    AReply::Int(x) => SeenReply::Int(i64::from(x)),
                };
                self.feed(n, w, Ev::Reply { instance: msg.instance, reply: seen }, fx);
            }
        }
    }

    /// One command on instance `i`, as the modeled Redis and the scripts' Lua do it.
    fn execute(&self, n: &mut State, i: usize, cmd: Cmd, value: Val) -> (AReply, u8) {
        let ttl = self.ttl;
        let present = !n.redis[i].value.is_none();
        let mine = present && n.redis[i].value == value;
        let foreign = present && !mine;
        match cmd {
            Cmd::SetNx | Cmd::SetNxToken => {
                if present {
                    return (AReply::Nil, 0);
                }
                n.redis[i].value = value;
                n.redis[i].dl = ttl;
                if value.age() == 0 {
                    grant(n, value.slot());
                }
                if cmd == Cmd::SetNxToken {
                    let r = &mut n.redis[i];
                    r.counter = r.counter.saturating_add(1);
                    (AReply::Int(r.counter), 0)
                } else {
                    (AReply::Ok, 0)
                }
            }
            Cmd::Get => (if present { AReply::Bulk(n.redis[i].value) } else { AReply::Nil }, 0),
            Cmd::Expire | Cmd::Cae if present && (cmd == Cmd::Expire || mine) => {
                n.redis[i].dl = ttl;
                (AReply::Int(1), if foreign { Property::ForeignExtend.bit() } else { 0 })
            }
            Cmd::Del | Cmd::Cad if present && (cmd == Cmd::Del || mine) => {
                n.redis[i].value = Val::NONE;
                n.redis[i].dl = NONE;
                (AReply::Int(1), if foreign { Property::ForeignDelete.bit() } else { 0 })
            }
            Cmd::Expire | Cmd::Cae | Cmd::Del | Cmd::Cad => (AReply::Int(0), 0),
        }
    }

    /// Feeds one event to worker `w`'s machine (through the memo) and performs the effects as the
    /// runtime does.
    fn feed(&mut self, n: &mut State, w: usize, ev: Ev, fx: &mut Effects) {
        let wk = n.workers[w];
        let out = self.machines.step(wk.class, ev, wk.age);
        if out.ignored {
            return;
        }
        let w8 = w as u8;
        if out.stale_mask != 0 {
            let mut j = 0;
            while j < usize::from(n.n_msgs) {
                let msg = &mut n.msgs[j];
                if msg.worker == w8 && msg.current && out.stale_mask & (1 << msg.instance) != 0 {
                    msg.current = false;
                    if msg.reply.is_some() {
                        remove_msg(n, j);
                        continue;
                    }
                }
                j += 1;
            }
            for i in 0..MAX_INSTANCES {
                if out.stale_mask & (1 << i) != 0 {
                    n.workers[w].disarm(TimerCode::Timeout(i as u8).index());
                }
            }
        }
        if out.new_value {
            age_values(n, w8);
        }
        n.workers[w].class = out.class;
        n.workers[w].age = out.age;
        for e in &out.effects {
            match *e {
                Fx::Send { instance, cmd, value_age, current, timeout } => {
                    let msg = Msg {
                        worker: w8,
                        instance,
                        reply: None,
                        cmd,
                        value: Val::new(w8, value_age),
                        current,
                        delayed: false,
                    };
                    if !insert_msg(n, msg) {
                        fx.overflow = true;
                    }
                    if let (true, Some(t)) = (current, timeout) {
                        let code = TimerCode::Timeout(instance).index();
                        n.workers[w].unhold(code);
                        n.workers[w].dl[code] = t;
                    }
                }
                Fx::SetTimer { code, after } => {
                    let wk = &mut n.workers[w];
                    wk.unhold(code.index());
                    wk.dl[code.index()] = after;
                }
                Fx::Cancel { code } => n.workers[w].disarm(code.index()),
                Fx::StartWork => {
                    let wk = &mut n.workers[w];
                    if !wk.job_exists() {
                        wk.dl[TimerCode::Job.index()] = ms32(self.cfg.job_ms);
                        wk.job_behind = 0;
                    }
                }
                Fx::StopWork => {
                    let wk = &mut n.workers[w];
                    wk.disarm(TimerCode::Job.index());
                    wk.job_behind = 0;
                    wk.unhold(TimerCode::Stopping.index());
                    wk.dl[TimerCode::Stopping.index()] = ms32(self.cfg.stop_work_ms);
                }
            }
        }
    }

    /// The instance restarts empty; every command its clients had not had answered is written again
    /// after the reconnect (ioredis resends unfulfilled commands), in order.
    fn redis_restart(&self, n: &mut State, i: usize) {
        n.redis[i] = Instance { value: Val::NONE, dl: NONE, counter: 0 };
        let mut resend: Vec<Msg> = Vec::new();
        for w in 0..self.workers as u8 {
            let mut replies = Vec::new();
            let mut requests = Vec::new();
            let mut j = 0;
            while j < usize::from(n.n_msgs) {
                let m = n.msgs[j];
                if m.worker == w && usize::from(m.instance) == i {
                    if m.reply.is_some() {
                        replies.push(m);
                    } else {
                        requests.push(m);
                    }
                    remove_msg(n, j);
                } else {
                    j += 1;
                }
            }
            resend.extend(replies.into_iter().chain(requests).map(|m| Msg { reply: None, delayed: false, ..m }));
        }
        for m in resend {
            insert_msg(n, m);
        }
    }

    /// Writes the canonical encoding of `s` (the smallest over all renamings of the workers) into
    /// `out` and returns the renaming used: `perm[old slot] = new slot`.
    pub fn canonical(&self, s: &State, out: &mut Vec<u8>, scratch: &mut Vec<u8>) -> [u8; MAX_WORKERS] {
        out.clear();
        let ident = [0u8, 1, 2];
        encode(s, self.workers, self.instances, out);
        let mut best = ident;
        if !self.cfg.symmetry {
            return best;
        }
        for perm in PERMS[self.workers - 2].iter().skip(1) {
            let p = permute(s, perm, self.workers);
            scratch.clear();
            encode(&p, self.workers, self.instances, scratch);
            if scratch < out {
                std::mem::swap(out, scratch);
                best = *perm;
            }
        }
        best
    }

    pub fn decode(&self, bytes: &[u8]) -> State {
        decode(bytes, self.workers, self.instances, &self.initial())
    }
}

const PERMS: [&[[u8; MAX_WORKERS]]; 2] =
    [&[[0, 1, 2], [1, 0, 2]], &[[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]];

/// A `SET NX` set the current value of `slot`: the newest grant is now its.
fn grant(n: &mut State, slot: u8) {
    for (k, wk) in n.workers.iter_mut().enumerate() {
        if k == usize::from(slot) {
            wk.grant_behind = 0;
        } else if wk.grant_behind != NO_GRANT {
            wk.grant_behind = wk.grant_behind.saturating_add(1).min(NO_GRANT - 1);
        }
    }
    if n.written_behind != NO_GRANT {
        n.written_behind = n.written_behind.saturating_add(1).min(NO_GRANT - 1);
    }
}

/// The slot's values age: Redis keys, commands and replies in flight.
fn age_values(n: &mut State, slot: u8) {
    for r in n.redis.iter_mut() {
        r.value = r.value.aged(slot);
    }
    for m in n.msgs[..usize::from(n.n_msgs)].iter_mut() {
        m.value = m.value.aged(slot);
        if let Some(AReply::Bulk(v)) = m.reply {
            m.reply = Some(AReply::Bulk(v.aged(slot)));
        }
    }
}

fn remove_msg(n: &mut State, j: usize) {
    let len = usize::from(n.n_msgs);
    n.msgs.copy_within(j + 1..len, j);
    n.n_msgs -= 1;
}

/// Inserts at the end of its connection's queue (messages stay sorted by connection).
fn insert_msg(n: &mut State, m: Msg) -> bool {
    let len = usize::from(n.n_msgs);
    if len >= MAX_MSGS {
        return false;
    }
    let key = m.conn();
    let pos = n.msgs[..len].iter().position(|x| x.conn() > key).unwrap_or(len);
    n.msgs.copy_within(pos..len, pos + 1);
    n.msgs[pos] = m;
    n.n_msgs += 1;
    true
}

fn permute(s: &State, p: &[u8; MAX_WORKERS], workers: usize) -> State {
    let mut n = *s;
    for (w, &to) in p.iter().enumerate().take(workers) {
        n.workers[usize::from(to)] = s.workers[w];
    }
    for r in n.redis.iter_mut() {
        r.value = r.value.permuted(p);
    }
    let len = usize::from(n.n_msgs);
    for m in n.msgs[..len].iter_mut() {
        m.worker = p[usize::from(m.worker)];
        m.value = m.value.permuted(p);
        if let Some(AReply::Bulk(v)) = m.reply {
            m.reply = Some(AReply::Bulk(v.permuted(p)));
        }
    }
    // Stable: the order within each connection is kept.
    n.msgs[..len].sort_by_key(|m| m.conn());
    n
}

fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}
fn put_dl(out: &mut Vec<u8>, d: u32) {
    put(out, u64::from(d.wrapping_add(1)));
}

fn encode(s: &State, workers: usize, instances: usize, out: &mut Vec<u8>) {
    out.push(s.budget);
    out.push(s.restarts);
    out.push(s.last_behind);
    out.push(s.written_behind);
    put(out, s.max_token as u32 as u64);
    for r in &s.redis[..instances] {
        out.push(r.value.0);
        if !r.value.is_none() {
            put(out, u64::from(r.dl));
        }
        put(out, r.counter as u32 as u64);
    }
    for w in &s.workers[..workers] {
        out.push(w.status as u8);
        if w.status == Status::Crashed {
            continue;
        }
        put(out, u64::from(w.class));
        for &d in &w.dl[..6 + instances] {
            put_dl(out, d);
        }
        out.push(if w.job_exists() { w.job_behind } else { 0 });
        out.push(w.held_len);
        out.extend_from_slice(w.held());
        put(out, u64::from(w.age));
        out.push(w.grant_behind);
    }
    out.push(s.n_msgs);
    for m in &s.msgs[..usize::from(s.n_msgs)] {
        out.push(m.worker);
        out.push(m.instance);
        out.push(m.cmd as u8 | (u8::from(m.current) << 4) | (u8::from(m.delayed) << 5));
        out.push(m.value.0);
        match m.reply {
            None => out.push(0),
            Some(AReply::Ok) => out.push(1),
            Some(AReply::Nil) => out.push(2),
            Some(AReply::Bulk(v)) => {
                out.push(3);
                out.push(v.0);
            }
            Some(AReply::Int(x)) => {
                out.push(4);
                put(out, x as u32 as u64);
            }
        }
    }
}

struct Rd<'a>(&'a [u8], usize);
impl Rd<'_> {
    fn u8(&mut self) -> u8 {
        let b = self.0[self.1];
        self.1 += 1;
        b
    }
    fn var(&mut self) -> u64 {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let b = self.u8();
            v |= u64::from(b & 0x7F) << shift;
            if b < 0x80 {
                return v;
            }
            shift += 7;
        }
    }
    fn dl(&mut self) -> u32 {
        (self.var() as u32).wrapping_sub(1)
    }
}

fn decode(bytes: &[u8], workers: usize, instances: usize, blank: &State) -> State {
    let mut n = *blank;
    let mut r = Rd(bytes, 0);
    n.budget = r.u8();
    n.restarts = r.u8();
    n.last_behind = r.u8();
    n.written_behind = r.u8();
    n.max_token = r.var() as u32 as i32;
    for inst in n.redis[..instances].iter_mut() {
        inst.value = Val(r.u8());
        inst.dl = if inst.value.is_none() { NONE } else { r.var() as u32 };
        inst.counter = r.var() as u32 as i32;
    }
    for w in n.workers[..workers].iter_mut() {
        w.status = match r.u8() {
            0 => Status::Running,
            1 => Status::Paused,
            _ => Status::Crashed,
        };
        if w.status == Status::Crashed {
            *w = Worker::CRASHED;
            continue;
        }
        w.class = r.var() as u32;
        w.dl = [NONE; NDL];
        for d in w.dl[..6 + instances].iter_mut() {
            *d = r.dl();
        }
        w.job_behind = r.u8();
        w.held_len = r.u8();
        w.held = [0; NDL];
        for h in w.held[..usize::from(w.held_len)].iter_mut() {
            *h = r.u8();
        }
        w.age = r.var() as u32;
        w.grant_behind = r.u8();
    }
    n.n_msgs = r.u8();
    for m in n.msgs[..usize::from(n.n_msgs)].iter_mut() {
        m.worker = r.u8();
        m.instance = r.u8();
        let flags = r.u8();
        m.cmd = match flags & 0x0F {
            0 => Cmd::SetNx,
            1 => Cmd::SetNxToken,
            2 => Cmd::Get,
            3 => Cmd::Expire,
            4 => Cmd::Del,
            5 => Cmd::Cae,
            _ => Cmd::Cad,
        };
        m.current = flags & 0x10 != 0;
        m.delayed = flags & 0x20 != 0;
        m.value = Val(r.u8());
        m.reply = match r.u8() {
            0 => None,
            1 => Some(AReply::Ok),
            2 => Some(AReply::Nil),
            3 => Some(AReply::Bulk(Val(r.u8()))),
            _ => Some(AReply::Int(r.var() as u32 as i32)),
        };
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_round_trips_and_renaming_identical_workers_gives_one_state() {
        let mut m = LockModel::new(CheckConfig::new(Variant::Reference));
        let s0 = m.initial();
        let (s1, _) = m.apply(&s0, Action::Fire { worker: 0, code: TimerCode::Start.index() as u8 });
        let (s2, _) = m.apply(&s0, Action::Fire { worker: 1, code: TimerCode::Start.index() as u8 });
        let (mut a, mut b, mut scratch) = (Vec::new(), Vec::new(), Vec::new());
        m.canonical(&s1, &mut a, &mut scratch);
        m.canonical(&s2, &mut b, &mut scratch);
        assert_eq!(a, b, "worker 0 starting first is worker 1 starting first, renamed");
        let back = m.decode(&a);
        let mut again = Vec::new();
        m.canonical(&back, &mut again, &mut scratch);
        assert_eq!(again, a);
        assert_eq!(back.n_msgs, 1);
    }
}
