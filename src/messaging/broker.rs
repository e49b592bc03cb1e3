//! The broker: the modeled Redis server (`redis::Store`, many clients) plus what a host crash does
//! to it under each persistence setting, and the redis-cli log of the commands clients sent.
//!
//! A restart models the host going away (power loss): with no persistence the dataset is gone;
//! with `appendfsync everysec` the dataset is what the last once-a-second fsync had written (Redis
//! fsyncs the AOF in the background every second, so up to a second of acknowledged writes is
//! lost); with `appendfsync always` every write was fsynced before its reply went out, so the
//! dataset survives whole. Connections never survive: every client must reconnect.

use super::scenario::Persistence;
use crate::redis::persist::Snapshot;
use crate::redis::table::{self, CommandSet};
use crate::redis::{ClientId, Outcome, Output, Store, Value};
use crate::sim::{SimDuration, SimRng, SimTime};
use std::collections::VecDeque;

/// The messaging page's commands: what the patterns' clients send on every preset and variant with
/// the page's fault buttons and bursts, then every command the page's read-only redis-cli runs
/// ([`super::query_runs`]). The page's bundle installs these instead of the whole table
/// (`bundle_entry!(MESSAGING, no_scripts, …)`), so its wasm links no other command's handler; any
/// other command typed at the prompt answers "unknown command", saying that the Redis page has it.
/// `tests/bundle_commands.rs` holds this list to exactly those two, name for name.
pub static MESSAGING_COMMANDS: CommandSet = CommandSet::part(
    "messaging page",
    &[
        // sent by the patterns
        &table::BLMOVE,
        &table::BRPOP,
        &table::DEL,
        &table::EXEC,
        &table::HDEL,
        &table::HSET,
        &table::LMOVE,
        &table::LPUSH,
        &table::LREM,
        &table::MULTI,
        &table::RPUSH,
        &table::SADD,
        &table::SET,
        &table::SUBSCRIBE,
        &table::XACK,
        &table::XADD,
        &table::XAUTOCLAIM,
        &table::XCLAIM,
        &table::XREADGROUP,
        &table::ZADD,
        &table::ZREM,
        // run by the read-only prompt
        &table::GET,
        &table::MGET,
        &table::STRLEN,
        &table::GETRANGE,
        &table::SUBSTR,
        &table::EXISTS,
        &table::TTL,
        &table::PTTL,
        &table::EXPIRETIME,
        &table::PEXPIRETIME,
        &table::TYPE,
        &table::KEYS,
        &table::SCAN,
        &table::RANDOMKEY,
        &table::DBSIZE,
        &table::LLEN,
        &table::LRANGE,
        &table::LINDEX,
        &table::LPOS,
        &table::SMEMBERS,
        &table::SISMEMBER,
        &table::SMISMEMBER,
        &table::SCARD,
        &table::SINTER,
        &table::SUNION,
        &table::SDIFF,
        &table::SRANDMEMBER,
        &table::HGET,
        &table::HMGET,
        &table::HEXISTS,
        &table::HLEN,
        &table::HSTRLEN,
        &table::HGETALL,
        &table::HKEYS,
        &table::HVALS,
        &table::ZSCORE,
        &table::ZRANK,
        &table::ZREVRANK,
        &table::ZCARD,
        &table::ZCOUNT,
        &table::ZRANGE,
        &table::ZRANGEBYSCORE,
        &table::ZREVRANGE,
        &table::ZREVRANGEBYSCORE,
        &table::PING,
        &table::ECHO,
        &table::INFO,
        &table::DEBUG,
        &table::CLIENT,
        &table::PUBLISH,
        &table::SPUBLISH,
        &table::PUBSUB,
        &table::XLEN,
        &table::XRANGE,
        &table::XREVRANGE,
        &table::XPENDING,
        &table::XGROUP,
        &table::XINFO,
        &table::CONFIG,
        &table::OBJECT,
        &table::MEMORY,
        &table::TIME,
        &table::WAIT,
    ],
);

/// Lines the redis-cli pane keeps.
pub const LOG_CAP: usize = 200;

/// One entry of the command log: who sent what, when. `owner` is the caller's own label for
/// the connection (the broker never interprets it), so logging costs no formatting per command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    pub at: SimTime,
    pub owner: u64,
    pub argv: Vec<Vec<u8>>,
}

impl LogLine {
    /// The command as redis-cli would echo it.
    pub fn command(&self) -> String {
        self.argv.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ")
    }
}

/// The modeled Redis with host crashes. See the module header.
#[derive(Clone, Debug)]
pub struct Broker {
    store: Store,
    rng: SimRng,
    persistence: Persistence,
    up: bool,
    /// What the last fsync made durable (everysec).
    fsynced: Option<Snapshot>,
    restarts: u32,
    log: VecDeque<LogLine>,
    commands: u64,
}

/// How often `appendfsync everysec` fsyncs.
pub const FSYNC_PERIOD: SimDuration = SimDuration::from_millis(1_000);

fn quote(arg: &[u8]) -> String {
    let s = String::from_utf8_lossy(arg);
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\'' && b != b'\\') {
        s.into_owned()
    } else {
        format!("{s:?}")
    }
}

impl Broker {
    pub fn new(rng: SimRng, persistence: Persistence) -> Self {
        Broker {
            store: Store::new(rng.child("store")),
            rng,
            persistence,
            up: true,
            fsynced: None,
            restarts: 0,
            log: VecDeque::new(),
            commands: 0,
        }
    }

    pub fn is_up(&self) -> bool {
        self.up
    }
    pub fn store(&self) -> &Store {
        &self.store
    }
    pub fn restarts(&self) -> u32 {
        self.restarts
    }
    /// Commands clients sent to the broker while it was up.
    pub fn commands(&self) -> u64 {
        self.commands
    }
    /// The last [`LOG_CAP`] commands, oldest first.
    pub fn log(&self) -> impl Iterator<Item = &LogLine> {
        self.log.iter()
    }

    pub fn connect(&mut self, now: SimTime) -> Option<ClientId> {
        self.up.then(|| self.store.connect(now))
    }

    pub fn disconnect(&mut self, client: ClientId) {
        if self.up {
            self.store.disconnect(client);
        }
    }

    /// Runs one command from `client`, logging it under the caller's label `owner`.
    pub fn execute(&mut self, owner: u64, client: ClientId, now: SimTime, argv: Vec<Vec<u8>>) -> Outcome {
        self.commands += 1;
        let outcome = self.store.execute_as(client, now, &argv);
        if self.log.len() == LOG_CAP {
            self.log.pop_front();
        }
        self.log.push_back(LogLine { at: now, owner, argv });
        outcome
    }

    pub fn take_outputs(&mut self) -> Vec<Output> {
        self.store.take_outputs()
    }

    pub fn next_timeout(&self) -> Option<SimTime> {
        if self.up {
            self.store.next_timeout()
        } else {
            None
        }
    }

    /// Blocked clients' timeouts and the active expiry cycle, up to `now`.
    pub fn advance(&mut self, now: SimTime) {
        if self.up {
            self.store.advance_clients(now);
            self.store.run_active_expire_cycle(now);
        }
    }

    /// The once-a-second background fsync of `appendfsync everysec`.
    pub fn fsync(&mut self, now: SimTime) {
        if self.up && self.persistence == Persistence::Everysec {
            self.fsynced = Some(self.store.export(now));
        }
    }

    /// The host dies: every connection is gone, and so is whatever was not durable.
    pub fn crash(&mut self, now: SimTime) {
        if !self.up {
            return;
        }
        self.fsynced = match self.persistence {
            Persistence::None => None,
            Persistence::Everysec => self.fsynced.take(),
            Persistence::Always => Some(self.store.export(now)),
        };
        self.up = false;
    }

    /// The host is back: a fresh server loads the durable dataset (replaying the AOF).
    pub fn restart(&mut self) {
        if self.up {
            return;
        }
        self.restarts += 1;
        let mut store = Store::new(self.rng.child_indexed("restart", u64::from(self.restarts)));
        if let Some(snap) = self.fsynced.take() {
            // The snapshot was exported from a store with the same limits, so it always loads.
            let _ = store.import(&snap);
            self.fsynced = Some(snap);
        }
        self.store = store;
        self.up = true;
    }

    /// Length of the list at `key` in database 0 (0 when missing or not a list): for drawing.
    pub fn list_len(&self, key: &[u8]) -> u64 {
        match self.store.db.get(key) {
            Some(Value::List(l)) => l.len() as u64,
            _ => 0,
        }
    }

    /// Number of fields of the hash at `key` (0 when missing or not a hash).
    pub fn hash_len(&self, key: &[u8]) -> u64 {
        match self.store.db.get(key) {
            Some(Value::Hash(h)) => h.len() as u64,
            _ => 0,
        }
    }

    /// Every list whose name starts with `prefix`, summed (per-worker processing lists).
    pub fn lists_len_with_prefix(&self, prefix: &[u8]) -> u64 {
        self.store
            .db
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(_, v)| match v {
                Value::List(l) => l.len() as u64,
                _ => 0,
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redis::{cli, Reply};
    use crate::sim::TEST_EPOCH;

    fn push(b: &mut Broker, c: ClientId, at: SimTime, v: &str) {
        let out = b.execute(0, c, at, cli::tokenize(&format!("LPUSH q {v}")).unwrap());
        assert!(matches!(out, Outcome::Replied(ref f) if matches!(f[0], Reply::Integer(_))), "{out:?}");
    }

    fn survivors(p: Persistence) -> u64 {
        let mut b = Broker::new(SimRng::new(1), p);
        let t = TEST_EPOCH;
        let c = b.connect(t).unwrap();
        push(&mut b, c, t, "a");
        b.fsync(t + SimDuration::from_millis(1_000));
        push(&mut b, c, t + SimDuration::from_millis(1_500), "b");
        b.crash(t + SimDuration::from_millis(1_600));
        assert!(b.connect(t).is_none());
        b.restart();
        b.list_len(b"q")
    }

    #[test]
    fn a_host_crash_keeps_what_the_persistence_setting_made_durable() {
        assert_eq!(survivors(Persistence::None), 0);
        assert_eq!(survivors(Persistence::Everysec), 1, "the write after the last fsync is lost");
        assert_eq!(survivors(Persistence::Always), 2);
    }
}
