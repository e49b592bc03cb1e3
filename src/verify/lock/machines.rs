//! The real lock machine, interned: every distinct worker (by [`BehaviourKey`]) is kept once as a
//! representative [`LockWorker`], and every (worker, event) pair the search meets is run once on a
//! copy of that representative through [`LockWorker::handle`]; its outcome is remembered in compact
//! form. So what the checker explores is exactly what the playground's machine does, at the cost
//! of one `handle` per distinct pair rather than per state.
//!
//! Names are translated at this boundary: a representative sends its own id or Redlock value, which
//! the checker turns into an abstract [`Val`] (worker slot and age); a reply carrying a value comes
//! back as the representative's own value when the slot's current value is in the key, and as a value
//! that can equal no worker's otherwise. Request numbers are matched by instance: a round has at most
//! one request in flight per instance.

use super::model::{Cmd, TimerCode};
use crate::lock::machine::{BehaviourKey, Effect, Event, LockWorker, MachineConfig, TimerKind, WorkerState};
use crate::lock::LockCommand;
use crate::redis::Reply;
use crate::sim::{SimDuration, SimRng, SimTime};
use hashbrown::HashTable;
use std::hash::{Hash, Hasher};

/// A value no worker ever uses (ULIDs and Redlock's hex values have no `~`).
const OTHER: &[u8] = b"~another-worker";
/// The local time a worker without a round in flight is driven at (any time works: the machine only
/// reads the clock for a round's start and Redlock's validity).
const BASE: SimTime = SimTime(1 << 40);

/// A reply as one worker sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SeenReply {
    Ok,
    Nil,
    /// A bulk string holding this worker's current value.
    Own,
    /// A bulk string holding someone else's value.
    Other,
    Int(i64),
}

/// What can happen to a worker, without request numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ev {
    TryAcquire,
    Stop,
    Timer(TimerKind),
    WorkStopped,
    Reply { instance: u8, reply: SeenReply },
    Timeout { instance: u8 },
}

/// One effect, compact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fx {
    /// `value_age` is 0 for the worker's value after the event, 1 for its value before (Redlock's
    /// value changes when it starts acquiring). `current`: the machine waits for this request.
    Send {
        instance: u8,
        cmd: Cmd,
        value_age: u8,
        current: bool,
        timeout: Option<u32>,
    },
    SetTimer {
        code: TimerCode,
        after: u32,
    },
    Cancel {
        code: TimerCode,
    },
    StartWork,
    StopWork,
}

/// The outcome of one (worker, event) pair.
#[derive(Clone, Debug)]
pub struct Out {
    pub ignored: bool,
    pub class: u32,
    /// The worker's value changed (Redlock drew a new one): its older values age by one.
    pub new_value: bool,
    /// Instances whose awaited request changed: replies to the old one are stale now.
    pub stale_mask: u8,
    pub effects: Vec<Fx>,
    /// Redlock: local ms since the round in flight started, after the event.
    pub age: u32,
}

/// Per-class facts the search reads on every state.
#[derive(Clone, Copy, Debug)]
pub struct ClassInfo {
    pub state: WorkerState,
    pub token: Option<i64>,
    pub has_round: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct MemoKey {
    class: u32,
    ev: Ev,
    age: u32,
}

fn hash_of<T: Hash>(t: &T) -> u64 {
    let mut h = FxLike(0);
    t.hash(&mut h);
    super::super::fingerprint::fmix64(h.0)
}

/// A small word hasher for the intern and memo tables (membership only; never iterated).
struct FxLike(u64);
impl Hasher for FxLike {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x517C_C1B7_2722_0A95);
    }
    fn write_i64(&mut self, i: i64) {
        self.write_u64(i as u64);
    }
}

/// The interned machines and the memo of their reactions.
pub struct Machines {
    cfg: MachineConfig,
    reps: Vec<LockWorker>,
    keys: Vec<BehaviourKey>,
    info: Vec<ClassInfo>,
    index: HashTable<u32>,
    memo_keys: Vec<MemoKey>,
    memo_outs: Vec<Out>,
    memo: HashTable<u32>,
    /// Calls of the real `LockWorker::handle` (memo misses).
    pub handled: u64,
}

fn cmd_of(c: &LockCommand) -> (Cmd, Option<&str>) {
    match c {
        LockCommand::SetNx { value, .. } => (Cmd::SetNx, Some(value)),
        LockCommand::SetNxWithToken { value, .. } => (Cmd::SetNxToken, Some(value)),
        LockCommand::Get { .. } => (Cmd::Get, None),
        LockCommand::Expire { .. } => (Cmd::Expire, None),
        LockCommand::Del { .. } => (Cmd::Del, None),
        LockCommand::CompareAndExtend { value, .. } => (Cmd::Cae, Some(value)),
        LockCommand::CompareAndDelete { value, .. } => (Cmd::Cad, Some(value)),
    }
}

fn code_of(kind: TimerKind) -> TimerCode {
    match kind {
        TimerKind::Renew => TimerCode::Renew,
        TimerKind::Retry => TimerCode::Retry,
        TimerKind::Validity => TimerCode::Validity,
    }
}

fn ms(d: SimDuration) -> u32 {
    u32::try_from(d.0).unwrap_or(u32::MAX - 1)
}

impl Machines {
    pub fn new(cfg: MachineConfig) -> Self {
        Machines {
            cfg,
            reps: Vec::new(),
            keys: Vec::new(),
            info: Vec::new(),
            index: HashTable::new(),
            memo_keys: Vec::new(),
            memo_outs: Vec::new(),
            memo: HashTable::new(),
            handled: 0,
        }
    }

    pub fn config(&self) -> &MachineConfig {
        &self.cfg
    }
    pub fn info(&self, class: u32) -> ClassInfo {
        self.info[class as usize]
    }
    pub fn classes(&self) -> usize {
        self.reps.len()
    }
    pub fn representative(&self, class: u32) -> &LockWorker {
        &self.reps[class as usize]
    }

    /// A fresh worker process (a new id; its random stream from `rng`), interned.
    pub fn fresh(&mut self, id: String, rng: SimRng) -> u32 {
        self.intern(LockWorker::new(id, self.cfg.clone(), rng))
    }

    fn intern(&mut self, w: LockWorker) -> u32 {
        let key = w.behaviour_key();
        let h = hash_of(&key);
        let keys = &self.keys;
        if let Some(&c) = self.index.find(h, |&c| keys[c as usize] == key) {
            return c;
        }
        let c = self.reps.len() as u32;
        self.info.push(ClassInfo { state: w.state(), token: w.token(), has_round: w.round_started().is_some() });
        self.reps.push(w);
        self.keys.push(key);
        let keys = &self.keys;
        self.index.insert_unique(h, c, |&c| hash_of(&keys[c as usize]));
        c
    }

    /// What `class` does on `ev`, with Redlock's round `age` (local ms since the round started).
    pub fn step(&mut self, class: u32, ev: Ev, age: u32) -> &Out {
        let redlock = self.cfg.redlock();
        let age = if redlock && self.info[class as usize].has_round { age } else { 0 };
        let key = MemoKey { class, ev, age };
        let h = hash_of(&key);
        let mk = &self.memo_keys;
        if let Some(&i) = self.memo.find(h, |&i| mk[i as usize] == key) {
            return &self.memo_outs[i as usize];
        }
        let out = self.run(class, ev, age);
        let i = self.memo_outs.len() as u32;
        self.memo_outs.push(out);
        self.memo_keys.push(key);
        let mk = &self.memo_keys;
        self.memo.insert_unique(h, i, |&i| hash_of(&mk[i as usize]));
        &self.memo_outs[i as usize]
    }

    /// Runs the real machine once.
    fn run(&mut self, class: u32, ev: Ev, age: u32) -> Out {
        self.handled += 1;
        let rep = &self.reps[class as usize];
        let mut m = rep.clone();
        let before_value = rep.lock_value().to_string();
        let before_pending = rep.pending_requests();
        let now = rep.round_started().map_or(BASE, |s| s + SimDuration(u64::from(age)));
        let req_for = |i: u8| before_pending.iter().find(|(inst, _)| *inst == usize::from(i)).map(|(_, r)| *r);
        let event = match ev {
            Ev::TryAcquire => Some(Event::TryAcquireLock),
            Ev::Stop => Some(Event::Stop),
            Ev::Timer(TimerKind::Renew) => Some(Event::RenewTimer),
            Ev::Timer(TimerKind::Retry) => Some(Event::RetryTimer),
            Ev::Timer(TimerKind::Validity) => Some(Event::ValidityTimer),
            Ev::WorkStopped => Some(Event::WorkStopped),
            Ev::Reply { instance, reply } => req_for(instance).map(|req| Event::Reply {
                instance: usize::from(instance),
                req,
                reply: match reply {
                    SeenReply::Ok => Reply::Status("OK".into()),
                    SeenReply::Nil => Reply::Nil,
                    SeenReply::Own => Reply::Bulk(before_value.as_bytes().to_vec()),
                    SeenReply::Other => Reply::Bulk(OTHER.to_vec()),
                    SeenReply::Int(i) => Reply::Integer(i),
                },
            }),
            Ev::Timeout { instance } => {
                req_for(instance).map(|req| Event::ClientTimeout { instance: usize::from(instance), req })
            }
        };
        let Some(event) = event else {
            // A reply or timeout for a request the machine no longer waits for: the runtime drops it.
            return Out { ignored: true, class, new_value: false, stale_mask: 0, effects: Vec::new(), age };
        };
        let outcome = m.handle(now, event);
        if outcome.ignored.is_some() {
            return Out { ignored: true, class, new_value: false, stale_mask: 0, effects: Vec::new(), age };
        }
        let after_pending = m.pending_requests();
        let mut stale_mask = 0u8;
        for (inst, req) in &before_pending {
            if !after_pending.contains(&(*inst, *req)) {
                stale_mask |= 1 << inst;
            }
        }
        let new_value = m.lock_value() != before_value;
        let mut effects = Vec::new();
        for e in outcome.effects {
            match e {
                Effect::Send { instance, req, command, timeout } => {
                    let (cmd, value) = cmd_of(&command);
                    let value_age = match value {
                        Some(v) if v != m.lock_value() && v == before_value => 1,
                        _ => 0,
                    };
                    effects.push(Fx::Send {
                        instance: instance as u8,
                        cmd,
                        value_age,
                        current: after_pending.contains(&(instance, req)),
                        timeout: timeout.map(ms),
                    });
                }
                Effect::SetTimer { timer, after } => {
                    effects.push(Fx::SetTimer { code: code_of(timer), after: ms(after) })
                }
                Effect::CancelTimer { timer } => effects.push(Fx::Cancel { code: code_of(timer) }),
                Effect::StartWork => effects.push(Fx::StartWork),
                Effect::StopWork => effects.push(Fx::StopWork),
                Effect::Log(_) => {}
            }
        }
        let age_after = match m.round_started() {
            Some(s) => u32::try_from(now.saturating_since(s).0).unwrap_or(u32::MAX),
            None => 0,
        };
        let class = self.intern(m);
        Out { ignored: false, class, new_value, stale_mask, effects, age: age_after }
    }
}
