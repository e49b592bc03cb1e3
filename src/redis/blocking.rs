//! Blocked clients (blocked.c, timeout.c): who waits on which key, which keys became ready, the
//! order they are served in, and timeouts on the virtual clock.
//!
//! How it works, as in Redis 7.0:
//! 1. A blocking command that finds nothing to take calls [`Store::block_client`] with a
//!    [`BlockedOp`] (what to do once data arrives) and its keys. The client is appended to each
//!    key's queue of waiters and, with a timeout, to the timeout table.
//! 2. A new key entering the database (`dbAdd`, i.e. [`Store::set_key`] or
//!    [`Store::db_add`]) calls [`Store::signal_key_as_ready`], which queues the key once if
//!    someone waits on it for that type (XADD will call it directly for an existing stream).
//! 3. After the command that made keys ready (after EXEC, not inside it),
//!    [`Store::handle_clients_blocked_on_keys`] serves each ready key's waiters first come, first
//!    served, until the value is gone; serving can make more keys ready (BLMOVE's push), which are
//!    handled in a further round.
//! 4. Timeouts fire once the store clock is past the deadline (`timeout < now`), in deadline
//!    order, with the command's timeout reply.
//!
//! Adding a blocking type (streams: XREAD/XREADGROUP BLOCK) means one [`BlockedOp`] variant, its
//! [`BlockKind`], a branch in `serve_key` calling the type's serve function, and a call to
//! `signal_key_as_ready` wherever the type gains data without a new key being created.

use crate::sim::vec_map::VecSet;
use std::collections::VecDeque;

use super::client::ClientId;
use super::keyspace::{Map, Set};
use super::multi::{DbKey, DbKeyRef};
use super::reply::Reply;
use super::store::Store;
use super::value::KeyType;

/// What a blocked client waits for (Redis's `btype`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum BlockKind {
    List,
    ZSet,
    Stream,
    /// WAIT: replica acknowledgements (none exist here: only its timeout ends it).
    Wait,
}

impl BlockKind {
    const ALL: [BlockKind; 4] = [BlockKind::List, BlockKind::ZSet, BlockKind::Stream, BlockKind::Wait];
    fn index(self) -> usize {
        match self {
            BlockKind::List => 0,
            BlockKind::ZSet => 1,
            BlockKind::Stream => 2,
            BlockKind::Wait => 3,
        }
    }
    /// `getBlockedTypeByType`: which waiters a new value of type `t` can serve.
    fn for_type(t: KeyType) -> Option<BlockKind> {
        match t {
            KeyType::List => Some(BlockKind::List),
            KeyType::Zset => Some(BlockKind::ZSet),
            KeyType::Stream => Some(BlockKind::Stream),
            _ => None,
        }
    }
}

/// What to do for the client once its key has data (the blocking command's remaining work).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlockedOp {
    /// BLPOP/BRPOP (`count` None: reply `[key, element]`) and BLMPOP (`[key, [elements…]]`).
    ListPop { head: bool, count: Option<i64> },
    /// BLMOVE/BRPOPLPUSH: pop from the key, push to `dst`, reply the element.
    ListMove { from_head: bool, to_head: bool, dst: Box<[u8]> },
    /// BZPOPMIN/BZPOPMAX (`count` None: `[key, member, score]`) and BZMPOP (`nested`:
    /// `[key, [[member, score]…]]`).
    ZSetPop { max: bool, count: Option<i64> },
    /// XREAD/XREADGROUP BLOCK: per key (first mention), the ID to read after (`>`: the group's
    /// last ID at serve time); how many entries at most; the group read, if any.
    Stream { ids: Vec<(Box<[u8]>, super::stream::StreamId)>, count: u64, group: Option<super::cmd::streams::GroupRead> },
    /// WAIT: times out with the number of replicas that acknowledged (always 0 here).
    Wait,
}

impl BlockedOp {
    pub fn kind(&self) -> BlockKind {
        match self {
            BlockedOp::ListPop { .. } | BlockedOp::ListMove { .. } => BlockKind::List,
            BlockedOp::ZSetPop { .. } => BlockKind::ZSet,
            BlockedOp::Stream { .. } => BlockKind::Stream,
            BlockedOp::Wait => BlockKind::Wait,
        }
    }
}

/// A client's blocked command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blocked {
    pub(crate) db: usize,
    /// Distinct keys in argument order.
    pub(crate) keys: Vec<Box<[u8]>>,
    /// Absolute deadline in store-clock ms, compared as Redis's timeout table does (unsigned);
    /// 0: no timeout.
    pub(crate) timeout: u64,
    pub(crate) op: BlockedOp,
}

impl Blocked {
    pub fn keys(&self) -> impl Iterator<Item = &[u8]> {
        self.keys.iter().map(|k| &**k)
    }
    pub fn op(&self) -> &BlockedOp {
        &self.op
    }
    /// Deadline in store-clock Unix ms; `None` when it waits forever.
    pub fn deadline_ms(&self) -> Option<u64> {
        (self.timeout != 0).then_some(self.timeout)
    }
}

/// The server-side indexes of blocked clients.
#[derive(Clone, Debug, Default)]
pub(crate) struct Blocking {
    /// `db->blocking_keys`: (db, key) → waiters in blocking order.
    keys: Map<DbKey, Vec<ClientId>>,
    /// `server.ready_keys`, in signal order, and `db->ready_keys` (queued once).
    ready: Vec<DbKey>,
    ready_set: Set<DbKey>,
    /// `server.clients_timeout_table`: (deadline, client). One entry per client blocked with a
    /// timeout, so a sorted `Vec` (smaller wasm than a `BTreeSet`).
    timeouts: VecSet<(u64, ClientId)>,
    /// `server.blocked_clients_by_type`.
    by_kind: [usize; 4],
    /// `server.unblocked_clients`: clients to resume (their pipelined commands).
    pub(crate) unblocked: VecDeque<ClientId>,
}

impl Blocking {
    #[inline]
    pub(crate) fn has_ready_keys(&self) -> bool {
        !self.ready.is_empty()
    }
    pub(crate) fn blocked_count(&self) -> usize {
        self.by_kind.iter().sum()
    }
    #[inline]
    pub(crate) fn timeout_table_len(&self) -> usize {
        self.timeouts.len()
    }
    pub(crate) fn earliest_timeout(&self) -> Option<u64> {
        self.timeouts.first().map(|&(t, _)| t)
    }
    pub(crate) fn is_waiting(&self, db: usize, key: &[u8], id: ClientId) -> bool {
        self.keys.get(&DbKeyRef(db, key)).is_some_and(|l| l.contains(&id))
    }
    /// Every waiter and timeout entry belongs to a client blocked that way; no ready key is
    /// left over between calls.
    pub(crate) fn check(
        &self,
        clients: &crate::sim::vec_map::VecMap<ClientId, super::client::Client>,
    ) -> Result<(), String> {
        for ((db, key), waiters) in &self.keys {
            for id in waiters {
                let ok = clients
                    .get(id)
                    .and_then(|c| c.blocked.as_ref())
                    .is_some_and(|b| b.db == *db && b.keys.contains(key));
                if !ok {
                    return Err(format!("client {id} listed as waiting on {key:?} is not blocked on it"));
                }
            }
        }
        for (deadline, id) in &self.timeouts {
            if clients.get(id).and_then(|c| c.blocked.as_ref()).is_none_or(|b| b.timeout != *deadline) {
                return Err(format!("timeout entry for client {id} that is not blocked with that deadline"));
            }
        }
        if !self.ready.is_empty() || !self.ready_set.is_empty() || !self.unblocked.is_empty() {
            return Err("ready keys or unblocked clients left over between calls".into());
        }
        Ok(())
    }
}

impl Store {
    /// `blockForKeys` + `blockClient` for the current client: it stops receiving replies until
    /// served, timed out, unblocked or disconnected. The handler's return value is discarded.
    pub(crate) fn block_client(&mut self, op: BlockedOp, keys: &[&[u8]], timeout: u64) {
        let id = self.srv.current;
        let db = self.active_db();
        let mut distinct: Vec<Box<[u8]>> = Vec::with_capacity(keys.len());
        for &k in keys {
            if distinct.iter().any(|d| &**d == k) {
                continue;
            }
            distinct.push(k.into());
            self.srv.blocking.keys.entry((db, k.into())).or_default().push(id);
        }
        let kind = op.kind();
        self.srv.blocking.by_kind[kind.index()] += 1;
        if timeout != 0 {
            self.srv.blocking.timeouts.insert((timeout, id));
        }
        if let Some(c) = self.srv.clients.get_mut(&id) {
            c.blocked = Some(Blocked { db, keys: distinct, timeout, op });
        }
        self.srv.replied = true;
    }

    /// `unblockClient`: removes the client from every index and queues it to resume its pipeline.
    /// The caller has already written its reply (or, on disconnect, none is due).
    pub(crate) fn unblock_client(&mut self, id: ClientId) {
        let Some(b) = self.srv.clients.get_mut(&id).and_then(|c| c.blocked.take()) else {
            return;
        };
        for key in &b.keys {
            if let Some(list) = self.srv.blocking.keys.get_mut(&DbKeyRef(b.db, key)) {
                list.retain(|&x| x != id);
                if list.is_empty() {
                    self.srv.blocking.keys.shift_remove(&DbKeyRef(b.db, key));
                }
            }
        }
        let k = b.op.kind().index();
        self.srv.blocking.by_kind[k] = self.srv.blocking.by_kind[k].saturating_sub(1);
        if b.timeout != 0 {
            self.srv.blocking.timeouts.remove(&(b.timeout, id));
        }
        if !self.srv.blocking.unblocked.contains(&id) {
            self.srv.blocking.unblocked.push_back(id);
        }
    }

    /// `signalKeyAsReady` for `key` in the active database, which now holds a value of type `t`.
    pub(crate) fn signal_key_as_ready(&mut self, key: &[u8], t: KeyType) {
        let Some(kind) = BlockKind::for_type(t) else {
            return;
        };
        if self.srv.blocking.by_kind[kind.index()] == 0 {
            return;
        }
        let db = self.active_db();
        if !self.srv.blocking.keys.contains_key(&DbKeyRef(db, key)) {
            return;
        }
        if self.srv.blocking.ready_set.contains(&DbKeyRef(db, key)) {
            return;
        }
        self.srv.blocking.ready.push((db, key.into()));
        self.srv.blocking.ready_set.insert((db, key.into()));
    }

    /// The keys clients block on in database `db`, in the order they were first waited on.
    pub(crate) fn blocked_keys_in(&self, db: usize) -> Vec<Box<[u8]>> {
        self.srv.blocking.keys.keys().filter(|(d, _)| *d == db).map(|(_, k)| k.clone()).collect()
    }

    /// `scanDatabaseForReadyKeys` (after SWAPDB): every key someone waits on in database `db`
    /// that now holds a value is signalled, in the order the keys were first waited on.
    pub(crate) fn scan_database_for_ready_keys(&mut self, db: usize) {
        let keys: Vec<Box<[u8]>> =
            self.srv.blocking.keys.keys().filter(|(d, _)| *d == db).map(|(_, k)| k.clone()).collect();
        for key in keys {
            let t = self.db_view(db).0.get(&key).map(|v| v.key_type());
            if let Some(t) = t {
                self.with_database(db, |s| s.signal_key_as_ready(&key, t));
            }
        }
    }

    /// `handleClientsBlockedOnKeys`: serves the waiters of every ready key, round after round
    /// while serving makes more keys ready.
    pub(crate) fn handle_clients_blocked_on_keys(&mut self) {
        let saved_current = self.srv.current;
        let saved_db = self.active_db();
        while !self.srv.blocking.ready.is_empty() {
            let batch = std::mem::take(&mut self.srv.blocking.ready);
            for (db, key) in batch {
                self.srv.blocking.ready_set.shift_remove(&DbKeyRef(db, &key));
                self.activate_db(db);
                // `lookupKeyReadWithFlags(NOSTATS)`: an expired key is deleted here.
                self.expire_if_needed(&key);
                let t = self.db.get(&key).map(|v| v.key_type());
                if let Some(t) = t {
                    self.serve_key(db, &key, t);
                }
                // A deleted or replaced stream: its XREADGROUP waiters are told.
                if t != Some(KeyType::Stream) {
                    self.unblock_deleted_stream_readgroup_clients(db, &key);
                }
            }
        }
        self.srv.current = saved_current;
        self.activate_db(saved_db);
    }

    /// Serves the clients waiting on `key` (database `db`, active) for its type, first blocked
    /// first, until the value is used up.
    fn serve_key(&mut self, db: usize, key: &[u8], t: KeyType) {
        let Some(kind) = BlockKind::for_type(t) else {
            return;
        };
        if self.srv.blocking.by_kind[kind.index()] == 0 {
            return;
        }
        let waiters = self.srv.blocking.keys.get(&DbKeyRef(db, key)).cloned().unwrap_or_default();
        for id in waiters {
            let Some(op) = self.srv.clients.get(&id).and_then(|c| c.blocked.as_ref()).map(|b| b.op.clone()) else {
                continue;
            };
            if op.kind() != kind {
                continue;
            }
            self.srv.current = id;
            let (served, deleted) = match kind {
                BlockKind::List => (true, super::cmd::blocking::serve_list_waiter(self, id, key, &op)),
                BlockKind::ZSet => (true, super::cmd::blocking::serve_zset_waiter(self, id, key, &op)),
                // A stream waiter stays blocked until the stream has something after its ID.
                BlockKind::Stream => (super::cmd::streams::serve_stream_waiter(self, id, key, &op), false),
                BlockKind::Wait => (true, false),
            };
            if served {
                self.unblock_client(id);
            }
            if deleted {
                break;
            }
        }
    }

    /// `unblockDeletedStreamReadgroupClients`: the stream key (database `db`, active) is gone or
    /// holds another type; clients blocked in XREADGROUP on it get an error.
    fn unblock_deleted_stream_readgroup_clients(&mut self, db: usize, key: &[u8]) {
        if self.srv.blocking.by_kind[BlockKind::Stream.index()] == 0 {
            return;
        }
        let waiters = self.srv.blocking.keys.get(&DbKeyRef(db, key)).cloned().unwrap_or_default();
        for id in waiters {
            let group_read = self
                .srv
                .clients
                .get(&id)
                .and_then(|c| c.blocked.as_ref())
                .is_some_and(|b| matches!(&b.op, BlockedOp::Stream { group: Some(_), .. }));
            if group_read {
                self.srv.current = id;
                self.write_frame(id, Reply::error("UNBLOCKED the stream key no longer exists"));
                self.unblock_client(id);
            }
        }
    }

    /// The reply a blocked client gets when its time is up (`replyToBlockedClientTimedOut`).
    pub(crate) fn reply_blocked_timed_out(&mut self, id: ClientId) {
        let Some(kind) = self.srv.clients.get(&id).and_then(|c| c.blocked.as_ref()).map(|b| b.op.kind()) else {
            return;
        };
        let reply = match kind {
            BlockKind::List | BlockKind::ZSet | BlockKind::Stream => Reply::NilArray,
            BlockKind::Wait => Reply::Integer(0),
        };
        self.write_frame(id, reply);
    }

    /// `handleBlockedClientsTimeout`: every client whose deadline is before the store clock gets
    /// its timeout reply, earliest deadline first. Returns how many.
    pub(crate) fn handle_blocked_clients_timeout(&mut self) -> usize {
        let now = u64::try_from(self.now_ms).unwrap_or(0);
        let mut n = 0;
        while let Some(&(deadline, id)) = self.srv.blocking.timeouts.first() {
            if deadline >= now {
                break;
            }
            self.srv.blocking.timeouts.remove(&(deadline, id));
            self.reply_blocked_timed_out(id);
            self.unblock_client(id);
            n += 1;
        }
        n
    }

    /// Blocked clients by kind (INFO, pictures).
    pub fn blocked_clients_by_kind(&self) -> impl Iterator<Item = (BlockKind, usize)> + '_ {
        BlockKind::ALL.into_iter().map(|k| (k, self.srv.blocking.by_kind[k.index()]))
    }
}

#[cfg(test)]
mod tests {
    use crate::redis::server::run_clients;
    use expect_test::expect;

    #[test]
    fn waiters_are_served_first_come_first_served() {
        expect![[r#"
            A: BLPOP q 0 -> (blocked)
            B: BLPOP q 0 -> (blocked)
            C: RPUSH q 1 -> (integer) 1
              A <- ["q", "1"]
            C: RPUSH q 2 3 -> (integer) 2
              B <- ["q", "2"]
            C: LRANGE q 0 -1 -> ["3"]
        "#]]
        .assert_eq(&run_clients("A: BLPOP q 0\nB: BLPOP q 0\nC: RPUSH q 1\nC: RPUSH q 2 3\nC: LRANGE q 0 -1"));
    }

    #[test]
    fn data_pushed_inside_a_transaction_serves_after_exec() {
        expect![[r#"
            A: BLPOP q 0 -> (blocked)
            C: MULTI -> OK
            C: RPUSH q a b -> QUEUED
            C: LPOP q -> QUEUED
            C: EXEC -> [(integer) 2, "a"]
              A <- ["q", "b"]
        "#]]
        .assert_eq(&run_clients("A: BLPOP q 0\nC: MULTI\nC: RPUSH q a b\nC: LPOP q\nC: EXEC"));
    }

    #[test]
    fn blmove_pushes_on_and_wakes_the_destinations_waiter() {
        expect![[r#"
            A: BLMOVE src dst LEFT RIGHT 0 -> (blocked)
            B: BRPOP dst 0 -> (blocked)
            C: RPUSH src v -> (integer) 1
              A <- "v"
              B <- ["dst", "v"]
            C: EXISTS src dst -> (integer) 0
        "#]]
        .assert_eq(&run_clients("A: BLMOVE src dst LEFT RIGHT 0\nB: BRPOP dst 0\nC: RPUSH src v\nC: EXISTS src dst"));
    }

    #[test]
    fn blocking_commands_do_not_block_inside_multi() {
        expect![[r#"
            A: MULTI -> OK
            A: BLPOP q 0 -> QUEUED
            A: BZPOPMIN z 0 -> QUEUED
            A: BLMOVE a b LEFT LEFT 0 -> QUEUED
            A: WAIT 1 0 -> QUEUED
            A: EXEC -> [(nil), (nil), (nil), (integer) 0]
        "#]]
        .assert_eq(&run_clients(
            "A: MULTI\nA: BLPOP q 0\nA: BZPOPMIN z 0\nA: BLMOVE a b LEFT LEFT 0\nA: WAIT 1 0\nA: EXEC",
        ));
    }

    #[test]
    fn sorted_set_waiters_get_key_member_and_score() {
        expect![[r#"
            A: BZPOPMIN z 0 -> (blocked)
            B: BZMPOP 0 1 z MAX COUNT 5 -> (blocked)
            C: ZADD z 2 two 1 one 3 three -> (integer) 3
              A <- ["z", "one", "1"]
              B <- ["z", [["three", "3"], ["two", "2"]]]
        "#]]
        .assert_eq(&run_clients("A: BZPOPMIN z 0\nB: BZMPOP 0 1 z MAX COUNT 5\nC: ZADD z 2 two 1 one 3 three"));
    }

    #[test]
    fn timeouts_fire_on_the_virtual_clock_and_client_unblock_ends_a_wait() {
        expect![[r#"
            A: BLPOP q 0.5 -> (blocked)
            B: BLPOP q 0 -> (blocked)
            @+500
            @+1
              A <- (nil)
            C: CLIENT UNBLOCK 4 ERROR -> (integer) 1
              B <- (error) UNBLOCKED client unblocked via CLIENT UNBLOCK
            C: BLPOP q x -> (error) ERR timeout is not a float or out of range
            C: BLPOP q -1 -> (error) ERR timeout is negative
        "#]]
        .assert_eq(&run_clients(
            "A: BLPOP q 0.5\nB: BLPOP q 0\n@+500\n@+1\nC: CLIENT UNBLOCK 4 ERROR\nC: BLPOP q x\nC: BLPOP q -1",
        ));
    }
}
