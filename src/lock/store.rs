//! How the lock runtime talks to a modeled Redis instance: argv in, [`Reply`] out, with the clock
//! passed in. The two Lua scripts of the atomic variants run here as ONE step against the store
//! (GET-compare then PEXPIRE/DEL inside one event, with nothing interleaved), which is exactly the
//! atomicity `EVAL` gives on a real server; the real script text is in `command.rs` for the UI.
//!
//! Never does I/O and never reads a wall clock.

use super::command::LockCommand;
use crate::redis::{Reply, Store};
use crate::sim::{SimRng, SimTime};

/// A modeled Redis instance as the lock runtime needs it.
pub struct Instance {
    store: Store,
    rng: SimRng,
    restarts: u64,
}

/// What the lock key looks like inside one instance right now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyView {
    pub value: Option<String>,
    pub expires_at: Option<SimTime>,
}

impl Instance {
    pub fn new(rng: SimRng) -> Self {
        let store = Store::new(rng.child_indexed("store", 0));
        Instance { store, rng, restarts: 0 }
    }

    /// Crash and restart without persistence: every key is lost.
    pub fn wipe(&mut self) {
        self.restarts = self.restarts.saturating_add(1);
        self.store = Store::new(self.rng.child_indexed("store", self.restarts));
    }

    pub fn execute_argv(&mut self, now: SimTime, argv: &[Vec<u8>]) -> Reply {
        self.store.execute(now, argv)
    }

    /// Runs one lock command; scripts run as one atomic step.
    pub fn execute(&mut self, now: SimTime, command: &LockCommand) -> Reply {
        match command {
            LockCommand::CompareAndExtend { key, value, ttl_ms } => {
                let current = self.execute_argv(now, &[b"GET".to_vec(), key.as_bytes().to_vec()]);
                if current == Reply::Bulk(value.as_bytes().to_vec()) {
                    self.execute_argv(
                        now,
                        &[b"PEXPIRE".to_vec(), key.as_bytes().to_vec(), ttl_ms.to_string().into_bytes()],
                    )
                } else {
                    Reply::Integer(0)
                }
            }
            LockCommand::CompareAndDelete { key, value } => {
                let current = self.execute_argv(now, &[b"GET".to_vec(), key.as_bytes().to_vec()]);
                if current == Reply::Bulk(value.as_bytes().to_vec()) {
                    self.execute_argv(now, &[b"DEL".to_vec(), key.as_bytes().to_vec()])
                } else {
                    Reply::Integer(0)
                }
            }
            LockCommand::SetNx { .. }
            | LockCommand::Get { .. }
            | LockCommand::Expire { .. }
            | LockCommand::Del { .. }
            | LockCommand::Incr { .. } => self.execute_argv(now, &command.argv()),
        }
    }

    /// The key's value and deadline (`GET` + `PTTL`; expiry is applied lazily first, as Redis does).
    pub fn peek(&mut self, now: SimTime, key: &str) -> KeyView {
        let value = match self.execute_argv(now, &[b"GET".to_vec(), key.as_bytes().to_vec()]) {
            Reply::Bulk(v) => Some(String::from_utf8_lossy(&v).into_owned()),
            _ => None,
        };
        let expires_at = match self.execute_argv(now, &[b"PTTL".to_vec(), key.as_bytes().to_vec()]) {
            Reply::Integer(ms) if ms >= 0 => Some(SimTime(now.0.saturating_add(ms as u64))),
            _ => None,
        };
        KeyView { value, expires_at }
    }

    pub fn run_active_expire_cycle(&mut self, now: SimTime) {
        self.store.run_active_expire_cycle(now);
    }
}
