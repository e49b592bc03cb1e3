//! One Redis process in cluster mode: the cluster state machine (`node.rs`), the keyspace (the
//! modeled Redis `Store`) and replication, and what `processCommand` does with a client's command
//! before and after the store runs it.
//!
//! Before: the command must exist and have the right arity; a command with keys is routed like
//! `getNodeByQuery` (`src/cluster.c`): all its keys must hash to one slot (`-CROSSSLOT`), the slot
//! must be bound (`-CLUSTERDOWN Hash slot not served`) and the cluster up (`-CLUSTERDOWN The
//! cluster is down`); a slot this node is migrating answers `-ASK` for keys it no longer has (and
//! `-TRYAGAIN` for a multi-key command that has only some of them); a slot it is importing is
//! served after `ASKING`; a replica serves reads of its master's slots after `READONLY`; anything
//! else goes to its owner with `-MOVED <slot> <ip>:<port>`. A replica refuses keyless writes with
//! `-READONLY`. After: a write applied by a master is appended to the replication stream, with
//! relative expiry times and random pops rewritten the way Redis propagates them (`PEXPIREAT`,
//! `SREM`), and its position in the replication history is handed back so the client's
//! acknowledgement can be accounted for.

use super::commands;
use super::config::{addr_of, ClusterConfig, NodeIdx};
use super::keys::{self, CommandInfo};
use super::ledger::{Ledger, Position};
use super::node::{ClusterNode, ClusterState, Effect, ReplInfo};
use super::replication::{ReplOut, Replication};
use super::slot::{key_slot, Slot};
use crate::redis::{Reply, Store};
use crate::sim::{SimRng, SimTime};

/// Per-connection state (`CLIENT_READONLY`, `CLIENT_ASKING`, `c->woff`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConnState {
    pub readonly: bool,
    pub asking: bool,
    /// The replication offset after this connection's last write (what WAIT waits for).
    pub woff: u64,
}

/// Where `getNodeByQuery` sends a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Here,
    Moved(Slot, NodeIdx),
    Ask(Slot, NodeIdx),
    CrossSlot,
    TryAgain,
    Down,
    DownReadOnly,
    DownUnbound,
}

impl Route {
    /// The error `clusterRedirectClient` sends, or `None` when the command runs here.
    pub fn error(self) -> Option<Reply> {
        let text = match self {
            Route::Here => return None,
            Route::Moved(slot, n) => format!("MOVED {slot} {}", addr_of(n)),
            Route::Ask(slot, n) => format!("ASK {slot} {}", addr_of(n)),
            Route::CrossSlot => "CROSSSLOT Keys in request don't hash to the same slot".into(),
            Route::TryAgain => "TRYAGAIN Multiple keys request during rehashing of slot".into(),
            Route::Down => "CLUSTERDOWN The cluster is down".into(),
            Route::DownReadOnly => "CLUSTERDOWN The cluster is down and only accepts read commands".into(),
            Route::DownUnbound => "CLUSTERDOWN Hash slot not served".into(),
        };
        Some(Reply::Error(text))
    }
}

/// What processing a command produced.
#[derive(Clone, Debug, PartialEq)]
pub enum Processed {
    /// The reply; for a write a master applied, where it sits in the replication history.
    Reply { reply: Reply, write: Option<Position> },
    /// WAIT blocked: answered later by [`Server::check_waits`].
    Blocked { wait: u64 },
    /// A write arrived while writes are paused (manual failover): run it again at resume.
    Paused,
    /// MIGRATE: the runtime moves the keys to `target` (it needs both nodes).
    Migrate(MigrateRequest),
}

/// A MIGRATE to carry out between two nodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrateRequest {
    pub target: NodeIdx,
    pub keys: Vec<Vec<u8>>,
    pub copy: bool,
    pub replace: bool,
}

#[derive(Clone, Debug, PartialEq)]
struct Waiting {
    id: u64,
    offset: u64,
    numreplicas: i64,
    deadline: Option<u64>,
}

/// One modeled redis-server process with cluster-enabled yes.
#[derive(Clone, Debug)]
pub struct Server {
    pub idx: NodeIdx,
    pub cluster: ClusterNode,
    pub store: Store,
    pub repl: Replication,
    /// Writes are paused until then (manual failover).
    pub pause_until: Option<u64>,
    waits: Vec<Waiting>,
    next_wait: u64,
}

/// Everything a command asked of the rest of the world besides its reply.
#[derive(Debug, Default)]
pub struct SideEffects {
    pub cluster: Vec<Effect>,
    pub repl: Vec<ReplOut>,
}

impl Server {
    /// Roughly the heap bytes this server holds: its store's dataset, its cluster view, its
    /// replication backlog and the WAITs blocked on it.
    pub fn heap_bytes(&self) -> usize {
        self.store.heap_bytes()
            + self.cluster.heap_bytes()
            + self.repl.heap_bytes()
            + self.waits.len() * std::mem::size_of::<Waiting>()
    }

    pub fn new(idx: NodeIdx, cluster: ClusterNode, store: Store, repl: Replication) -> Server {
        Server { idx, cluster, store, repl, pause_until: None, waits: Vec::new(), next_wait: 1 }
    }

    pub fn cfg(&self) -> &ClusterConfig {
        &self.cluster.cfg
    }

    /// What the cluster layer needs to know about replication.
    pub fn repl_info(&self, now: u64) -> ReplInfo {
        ReplInfo {
            offset: self.repl.offset,
            has_master: self.repl.is_replica(),
            data_age_ms: self.repl.data_age_ms(now),
        }
    }

    /// Keys held in `slot` (`countKeysInSlot`, expired-but-unreclaimed keys included).
    pub fn keys_in_slot(&self, slot: Slot, limit: usize) -> Vec<Vec<u8>> {
        self.store.keys_raw().filter(|k| key_slot(k) == slot).take(limit).map(<[u8]>::to_vec).collect()
    }

    pub fn count_keys_in_slot(&self, slot: Slot) -> usize {
        self.store.keys_raw().filter(|k| key_slot(k) == slot).count()
    }

    /// Deletes every key of `slots` (`delKeysInSlot`). Not propagated (a replica does it itself).
    pub fn delete_slot_keys(&mut self, now: SimTime, slots: &[Slot]) -> usize {
        let doomed: Vec<Vec<u8>> =
            self.store.keys_raw().filter(|k| slots.contains(&key_slot(k))).map(<[u8]>::to_vec).collect();
        for k in &doomed {
            self.store.execute(now, &[b"DEL".to_vec(), k.clone()]);
        }
        doomed.len()
    }

    /// `getNodeByQuery` for a command with keys.
    pub fn route(&self, now: SimTime, info: &CommandInfo, argv: &[Vec<u8>], conn: &ConnState) -> Route {
        let c = &self.cluster;
        let keys = keys::command_keys(info, argv);
        let mut first: Option<(&[u8], Slot)> = None;
        let mut n = None;
        let (mut migrating, mut importing, mut multiple) = (false, false, false);
        let (mut missing, mut existing) = (0usize, 0usize);
        for key in keys {
            let slot = key_slot(key);
            match first {
                None => {
                    first = Some((key, slot));
                    let Some(owner) = c.owner(slot) else {
                        return Route::DownUnbound;
                    };
                    n = Some(owner);
                    if owner == c.me && c.migrating_to.contains_key(&slot) {
                        migrating = true;
                    } else if c.importing_from.contains_key(&slot) {
                        importing = true;
                    }
                }
                Some((k0, s0)) => {
                    if k0 != key {
                        if s0 != slot {
                            return Route::CrossSlot;
                        }
                        multiple = true;
                    }
                }
            }
            if migrating || importing {
                if self.store.full_value(now, key).is_some() {
                    existing += 1;
                } else {
                    missing += 1;
                }
            }
        }
        let (Some(n), Some((_, slot))) = (n, first) else {
            return Route::Here;
        };
        if c.state != ClusterState::Ok {
            if !c.cfg.allow_reads_when_down {
                return Route::Down;
            } else if info.write {
                return Route::DownReadOnly;
            }
        }
        if (migrating || importing) && info.name == "migrate" {
            return Route::Here;
        }
        if migrating && missing > 0 {
            if existing > 0 {
                return Route::TryAgain;
            }
            return Route::Ask(slot, c.migrating_to[&slot]);
        }
        if importing && conn.asking {
            return if multiple && missing > 0 { Route::TryAgain } else { Route::Here };
        }
        if conn.readonly && !info.write && c.is_slave() && c.master() == Some(n) {
            return Route::Here;
        }
        if n != c.me {
            Route::Moved(slot, n)
        } else {
            Route::Here
        }
    }

    /// `processCommand` for one client command at `now`.
    pub fn process(&mut self, now: SimTime, conn: &mut ConnState, argv: &[Vec<u8>], fx: &mut SideEffects) -> Processed {
        let processed = self.process_inner(now, conn, argv, fx);
        // resetClient: ASKING lasts one command.
        let was_asking = argv.first().is_some_and(|c| c.eq_ignore_ascii_case(b"asking"));
        if !was_asking {
            conn.asking = false;
        }
        processed
    }

    fn reply(reply: Reply) -> Processed {
        Processed::Reply { reply, write: None }
    }

    fn process_inner(
        &mut self,
        now: SimTime,
        conn: &mut ConnState,
        argv: &[Vec<u8>],
        fx: &mut SideEffects,
    ) -> Processed {
        let Some(name) = argv.first() else {
            return Self::reply(Reply::error("ERR empty command"));
        };
        let Some(info) = keys::command_info(name) else {
            // The store knows every other command and words the error exactly.
            return Self::reply(self.store.execute(now, argv));
        };
        let argc = argv.len() as i64;
        let arity = i64::from(info.arity);
        if (arity > 0 && argc != arity) || argc < -arity {
            return Self::reply(Reply::Error(format!("ERR wrong number of arguments for '{}' command", info.name)));
        }
        if keys::has_keys(&info) {
            let route = self.route(now, &info, argv, conn);
            if let Some(err) = route.error() {
                return Self::reply(err);
            }
        }
        if info.write && self.cluster.is_slave() {
            return Self::reply(Reply::error("READONLY You can't write against a read only replica."));
        }
        if info.write && self.pause_until.is_some_and(|t| now.as_unix_ms() < t) {
            return Processed::Paused;
        }
        let nowms = now.as_unix_ms();
        match info.name {
            "asking" => {
                conn.asking = true;
                Self::reply(Reply::ok())
            }
            "readonly" => {
                conn.readonly = true;
                Self::reply(Reply::ok())
            }
            "readwrite" => {
                conn.readonly = false;
                Self::reply(Reply::ok())
            }
            "cluster" => {
                let repl = self.repl_info(nowms);
                let reply = commands::cluster(self, now, argv, &repl, fx);
                let after = self.cluster.after_command(nowms, &repl);
                fx.cluster.extend(after);
                Self::reply(reply)
            }
            "wait" => self.wait(nowms, conn, argv, fx),
            "migrate" => match commands::parse_migrate(argv, self.cluster.nodes.len()) {
                Ok(m) => Processed::Migrate(m),
                Err(e) => Self::reply(e),
            },
            _ => {
                let reply = self.store.execute(now, argv);
                if !info.write || reply.is_error() {
                    return Self::reply(reply);
                }
                let pos = self.propagate(now, &info, argv, &reply, fx);
                conn.woff = self.repl.offset;
                Processed::Reply { reply, write: pos }
            }
        }
    }

    /// Appends a write the master applied to the replication stream, rewritten as Redis propagates
    /// it; returns its position.
    pub fn propagate(
        &mut self,
        now: SimTime,
        info: &CommandInfo,
        argv: &[Vec<u8>],
        reply: &Reply,
        fx: &mut SideEffects,
    ) -> Option<Position> {
        for cmd in propagation(&self.store, now, info, argv, reply) {
            self.repl.feed(cmd, &mut fx.repl);
        }
        Some(self.repl.position())
    }

    /// Applies one command of the replication stream (a replica obeys its master: no routing).
    pub fn apply_replicated(store: &mut Store, now: SimTime, argv: &[Vec<u8>]) {
        store.execute(now, argv);
    }

    /// WAIT numreplicas timeout (`waitCommand`).
    fn wait(&mut self, now: u64, conn: &ConnState, argv: &[Vec<u8>], fx: &mut SideEffects) -> Processed {
        if self.repl.is_replica() {
            return Self::reply(Reply::error("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated."));
        }
        let Some(numreplicas) = crate::redis::num::parse_i64(&argv[1]) else {
            return Self::reply(Reply::error("ERR value is not an integer or out of range"));
        };
        let timeout = match crate::redis::num::parse_i64(&argv[2]) {
            None => return Self::reply(Reply::error("ERR timeout is not an integer or out of range")),
            Some(t) if t < 0 => return Self::reply(Reply::error("ERR timeout is negative")),
            Some(t) => t as u64,
        };
        let acked = self.repl.acks_at(conn.woff);
        if acked as i64 >= numreplicas {
            return Self::reply(Reply::Integer(acked as i64));
        }
        let id = self.next_wait;
        self.next_wait += 1;
        self.waits.push(Waiting {
            id,
            offset: conn.woff,
            numreplicas,
            deadline: (timeout > 0).then(|| now.saturating_add(timeout)),
        });
        self.repl.request_acks(&mut fx.repl);
        Processed::Blocked { wait: id }
    }

    /// Blocked WAITs that can answer now (enough acknowledgements, or their timeout passed).
    pub fn check_waits(&mut self, now: u64) -> Vec<(u64, Reply)> {
        let mut done = Vec::new();
        let repl = &self.repl;
        self.waits.retain(|w| {
            let acked = repl.acks_at(w.offset);
            if acked as i64 >= w.numreplicas || w.deadline.is_some_and(|d| now >= d) {
                done.push((w.id, Reply::Integer(acked as i64)));
                false
            } else {
                true
            }
        });
        done
    }

    /// The earliest deadline of a blocked WAIT.
    pub fn next_wait_deadline(&self) -> Option<u64> {
        self.waits.iter().filter_map(|w| w.deadline).min()
    }

    /// Drops blocked WAITs (the process died).
    pub fn clear_waits(&mut self) {
        self.waits.clear();
    }

    /// A fresh process for node `idx` (no data, a new empty history).
    pub fn fresh_replication(ledger: &mut Ledger, cfg: &ClusterConfig, now: u64) -> Replication {
        Replication::new(ledger.new_history(None), cfg.repl_backlog_bytes, now)
    }

    /// A new store for a node, seeded from its label.
    pub fn fresh_store(rng: &SimRng) -> Store {
        Store::new(rng.clone())
    }

    pub fn is_cluster_ok(&self) -> bool {
        self.cluster.state == ClusterState::Ok
    }
}

/// How a write is propagated (`alsoPropagate` and the rewrites in `t_string.c`, `expire.c`,
/// `t_set.c`): relative expiry becomes an absolute `PEXPIREAT`, SPOP becomes SREM of what it popped.
pub fn propagation(
    store: &Store,
    now: SimTime,
    info: &CommandInfo,
    argv: &[Vec<u8>],
    reply: &Reply,
) -> Vec<Vec<Vec<u8>>> {
    let name = info.name;
    if name == "spop" {
        let members: Vec<Vec<u8>> = match reply {
            Reply::Bulk(m) => vec![m.clone()],
            Reply::Array(items) => {
                items.iter().filter_map(|r| if let Reply::Bulk(b) = r { Some(b.clone()) } else { None }).collect()
            }
            _ => Vec::new(),
        };
        if members.is_empty() {
            return Vec::new();
        }
        let mut srem = vec![b"SREM".to_vec(), argv[1].clone()];
        srem.extend(members);
        return vec![srem];
    }
    let relative = match name {
        "setex" | "psetex" | "expire" | "pexpire" => true,
        "set" | "getex" => argv.iter().skip(2).any(|a| a.eq_ignore_ascii_case(b"ex") || a.eq_ignore_ascii_case(b"px")),
        _ => false,
    };
    let mut out = vec![argv.to_vec()];
    if relative {
        let key = &argv[1];
        if let Some((_, Some(ttl))) = store.full_value(now, key) {
            let deadline = store.store_time(now).as_unix_ms().saturating_add(ttl);
            out.push(vec![b"PEXPIREAT".to_vec(), key.clone(), deadline.to_string().into_bytes()]);
        }
    }
    out
}
