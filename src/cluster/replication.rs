//! Asynchronous master → replica replication (`src/replication.c` of Redis 7.0.15), sans-IO.
//!
//! A master appends every write it applies to its replication stream: the command's RESP bytes
//! advance `master_repl_offset`, a 1 MB backlog keeps the latest ones, and each online replica is
//! sent the command over its own link (whose latency is the replication lag). A replica applies
//! the stream in order; its processed offset is what failover ranks replicas by. It connects with
//! `PSYNC <replid> <offset>`: the master answers `+CONTINUE` when the offset is still in its
//! backlog of the same history (or of the history it continues, up to the fork: `replid2`),
//! otherwise `+FULLRESYNC` with a point-in-time snapshot (the RDB), during which the stream for
//! that replica is buffered. Replicas send `REPLCONF ACK <offset>` every second and when asked
//! (`REPLCONF GETACK`, which WAIT triggers); the master pings its replicas every
//! `repl-ping-replica-period` through the stream; a replica that hears nothing for `repl-timeout`
//! drops the link and reconnects. A stream gap (messages lost in a partition) breaks the link the
//! way a reset TCP connection does, and the replica reconnects with PSYNC.
//!
//! Promotion (`replicationUnsetMaster` → `shiftReplicationId`) starts a new history that
//! continues the old one up to the current offset; see `ledger.rs` for what that means for
//! acknowledged writes.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::config::NodeIdx;
use super::ledger::{HistId, Ledger, Position};
use crate::redis::Store;
use crate::sim::vec_map::VecMap;

/// `replicationCron` runs once a second.
pub const REPL_CRON_MS: u64 = 1000;
/// Most commands buffered for a replica while its snapshot is made (the real limit is 256 MB of
/// output buffer; past it the replica is disconnected).
pub const SYNC_BUFFER_LIMIT: usize = 100_000;

/// One command of the replication stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamEntry {
    /// The offset after this entry.
    pub end: u64,
    pub argv: Vec<Vec<u8>>,
}

impl StreamEntry {
    pub fn start(&self) -> u64 {
        self.end - resp_len(&self.argv)
    }
    /// `REPLCONF GETACK *`.
    pub fn is_getack(&self) -> bool {
        self.argv.len() == 3
            && self.argv[0].eq_ignore_ascii_case(b"replconf")
            && self.argv[1].eq_ignore_ascii_case(b"getack")
    }
    /// Stream-only commands (PING, REPLCONF) that do not touch the dataset.
    pub fn is_control(&self) -> bool {
        self.argv.first().is_some_and(|c| c.eq_ignore_ascii_case(b"ping") || c.eq_ignore_ascii_case(b"replconf"))
    }
}

/// The RESP length of a command (what it adds to the replication offset).
pub fn resp_len(argv: &[Vec<u8>]) -> u64 {
    fn digits(n: usize) -> u64 {
        n.to_string().len() as u64
    }
    let mut n = 1 + digits(argv.len()) + 2;
    for a in argv {
        n += 1 + digits(a.len()) + 2 + a.len() as u64 + 2;
    }
    n
}

/// What travels on a replication link.
#[derive(Clone)]
pub enum ReplMsg {
    /// replica → master: `PSYNC <replid> <offset+1>` on connection `conn`.
    Psync { conn: u64, hist: HistId, offset: u64 },
    /// master → replica: `+FULLRESYNC <replid> <offset>` and the snapshot.
    FullResync { conn: u64, hist: HistId, offset: u64, snapshot: Box<Store> },
    /// master → replica: `+CONTINUE <replid>`.
    Continue { conn: u64, hist: HistId },
    /// master → replica: one command of the stream.
    Stream { conn: u64, entry: StreamEntry },
    /// replica → master: `REPLCONF ACK <offset>`.
    Ack { conn: u64, offset: u64 },
}

/// As derived, except that a full resync's snapshot is written as its size, not as the whole
/// dataset: a replication message held back by the lag is a timer whose `Debug` text is a trace line.
impl std::fmt::Debug for ReplMsg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplMsg::Psync { conn, hist, offset } => {
                f.debug_struct("Psync").field("conn", conn).field("hist", hist).field("offset", offset).finish()
            }
            ReplMsg::FullResync { conn, hist, offset, snapshot } => f
                .debug_struct("FullResync")
                .field("conn", conn)
                .field("hist", hist)
                .field("offset", offset)
                .field("snapshot", &format_args!("<{} keys>", snapshot.dbsize()))
                .finish(),
            ReplMsg::Continue { conn, hist } => {
                f.debug_struct("Continue").field("conn", conn).field("hist", hist).finish()
            }
            ReplMsg::Stream { conn, entry } => {
                f.debug_struct("Stream").field("conn", conn).field("entry", entry).finish()
            }
            ReplMsg::Ack { conn, offset } => f.debug_struct("Ack").field("conn", conn).field("offset", offset).finish(),
        }
    }
}

impl ReplMsg {
    pub fn summary(&self) -> String {
        match self {
            ReplMsg::Psync { offset, .. } => format!("PSYNC at offset {offset}"),
            ReplMsg::FullResync { offset, snapshot, .. } => {
                format!("+FULLRESYNC at {offset} ({} keys)", snapshot.dbsize())
            }
            ReplMsg::Continue { .. } => "+CONTINUE".into(),
            ReplMsg::Stream { entry, .. } => {
                let words: Vec<String> =
                    entry.argv.iter().take(2).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
                format!("stream {} (to offset {})", words.join(" "), entry.end)
            }
            ReplMsg::Ack { offset, .. } => format!("REPLCONF ACK {offset}"),
        }
    }
}

/// A `PSYNC <replid> <offset>` on replication connection `conn`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Psync {
    pub conn: u64,
    pub hist: HistId,
    pub offset: u64,
}

/// A replica's link to its master, seen from the replica (`server.repl_state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkState {
    /// Must connect (`REPL_STATE_CONNECT`).
    Connect,
    /// TCP connect in progress.
    Connecting,
    /// PSYNC sent, waiting for the answer.
    Handshake,
    /// Waiting for the snapshot (`REPL_STATE_TRANSFER`).
    Transfer,
    /// Streaming (`REPL_STATE_CONNECTED`).
    Connected,
}

impl LinkState {
    pub fn name(self) -> &'static str {
        match self {
            LinkState::Connect => "connect",
            LinkState::Connecting => "connecting",
            LinkState::Handshake => "handshake",
            LinkState::Transfer => "sync",
            LinkState::Connected => "connected",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct MasterLink {
    pub master: NodeIdx,
    pub state: LinkState,
    pub conn: u64,
    /// When the replica last heard from its master (`master->lastinteraction`).
    pub last_interaction: u64,
    /// When the link went down (`repl_down_since`).
    pub down_since: u64,
    /// When the current connect or handshake started.
    pub since: u64,
}

/// A replica, seen from its master.
#[derive(Clone, Debug)]
pub struct ReplicaConn {
    pub conn: u64,
    pub online: bool,
    pub ack_offset: u64,
    pub ack_time: u64,
    /// A full sync in progress: the snapshot's offset, when it is ready, and the stream since.
    sync: Option<PendingSync>,
}

#[derive(Clone, Debug)]
struct PendingSync {
    ready_at: u64,
    offset: u64,
    snapshot: Box<Store>,
    buffer: Vec<StreamEntry>,
}

/// What replication asks the runtime to do.
#[derive(Clone, Debug)]
pub enum ReplOut {
    Send {
        to: NodeIdx,
        msg: ReplMsg,
    },
    /// Open the replication connection `conn` to the master.
    Connect {
        to: NodeIdx,
        conn: u64,
    },
    /// The node's dataset was replaced or lost: settle the ledger.
    DataChanged,
}

/// A node's replication state (both roles: a master has replicas, a replica has a master link).
#[derive(Clone, Debug)]
pub struct Replication {
    pub hist: HistId,
    /// `replid2` and `second_replid_offset`: the history this one continues, up to that offset.
    pub hist2: Option<(HistId, u64)>,
    /// `master_repl_offset`, or a replica's processed offset.
    pub offset: u64,
    backlog: VecDeque<StreamEntry>,
    backlog_bytes: u64,
    backlog_cap: u64,
    pub replicas: VecMap<NodeIdx, ReplicaConn>,
    pub master: Option<MasterLink>,
    next_conn: u64,
    last_ping: u64,
    /// Stream entries applied (for the page's counters).
    pub applied: u64,
}

impl Replication {
    /// Roughly the heap bytes this replication state holds: the backlog's entries as they are
    /// kept (each argument its own allocation, so more than the backlog's RESP bytes) and the
    /// replica links.
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let backlog: usize = self
            .backlog
            .iter()
            .map(|e| size_of::<StreamEntry>() + e.argv.iter().map(|a| size_of::<Vec<u8>>() + a.len()).sum::<usize>())
            .sum();
        backlog + self.replicas.len() * (size_of::<(NodeIdx, ReplicaConn)>() + 16)
    }

    /// A master with an empty history.
    pub fn new(hist: HistId, backlog_cap: usize, now: u64) -> Replication {
        Replication {
            hist,
            hist2: None,
            offset: 0,
            backlog: VecDeque::new(),
            backlog_bytes: 0,
            backlog_cap: backlog_cap as u64,
            replicas: VecMap::new(),
            master: None,
            next_conn: 1,
            last_ping: now,
            applied: 0,
        }
    }

    /// The backlog's entries, oldest first (what a replica could still catch up on).
    pub fn backlog(&self) -> impl Iterator<Item = &StreamEntry> {
        self.backlog.iter()
    }

    pub fn position(&self) -> Position {
        Position { hist: self.hist, offset: self.offset }
    }

    pub fn is_replica(&self) -> bool {
        self.master.is_some()
    }

    /// Milliseconds since this replica last heard from its master, or since the link went down, in
    /// whole seconds (`server.unixtime` granularity).
    pub fn data_age_ms(&self, now: u64) -> u64 {
        match &self.master {
            Some(l) if l.state == LinkState::Connected => (now / 1000).saturating_sub(l.last_interaction / 1000) * 1000,
            Some(l) => (now / 1000).saturating_sub(l.down_since / 1000) * 1000,
            None => 0,
        }
    }

    /// Set up at creation: this replica is in sync with `master` on connection `conn`.
    pub fn attach_synced(&mut self, master: NodeIdx, conn: u64, now: u64) {
        self.master = Some(MasterLink {
            master,
            state: LinkState::Connected,
            conn,
            last_interaction: now,
            down_since: now,
            since: now,
        });
        self.next_conn = conn + 1;
    }

    /// Set up at creation: `replica` is online and in sync on connection `conn`.
    pub fn accept_synced(&mut self, replica: NodeIdx, conn: u64, now: u64) {
        self.replicas
            .insert(replica, ReplicaConn { conn, online: true, ack_offset: self.offset, ack_time: now, sync: None });
    }

    /// `replicationFeedSlaves`: appends `argv` to the stream and sends it to the replicas.
    pub fn feed(&mut self, argv: Vec<Vec<u8>>, out: &mut Vec<ReplOut>) -> u64 {
        self.offset += resp_len(&argv);
        let entry = StreamEntry { end: self.offset, argv };
        self.backlog_bytes += resp_len(&entry.argv);
        self.backlog.push_back(entry.clone());
        while self.backlog_bytes > self.backlog_cap {
            match self.backlog.pop_front() {
                Some(e) => self.backlog_bytes -= resp_len(&e.argv),
                None => break,
            }
        }
        let mut overflow = Vec::new();
        for (&r, c) in &mut self.replicas {
            match &mut c.sync {
                Some(s) => {
                    if s.buffer.len() >= SYNC_BUFFER_LIMIT {
                        overflow.push(r);
                    } else {
                        s.buffer.push(entry.clone());
                    }
                }
                None if c.online => {
                    out.push(ReplOut::Send { to: r, msg: ReplMsg::Stream { conn: c.conn, entry: entry.clone() } })
                }
                None => {}
            }
        }
        for r in overflow {
            self.replicas.remove(&r);
        }
        self.offset
    }

    /// Replicas whose acknowledged offset reached `offset` (`replicationCountAcksByOffset`).
    pub fn acks_at(&self, offset: u64) -> usize {
        self.replicas.values().filter(|c| c.online && c.ack_offset >= offset).count()
    }

    /// The master handles `PSYNC` from replica `from` (`masterTryPartialResynchronization`).
    pub fn on_psync(&mut self, now: u64, from: NodeIdx, req: Psync, store: &Store, out: &mut Vec<ReplOut>) {
        let Psync { conn, hist, offset } = req;
        if self.master.is_some() {
            return; // replicas of replicas are not modeled
        }
        let same = hist == self.hist || self.hist2.is_some_and(|(h2, second)| h2 == hist && offset <= second);
        let backlog_start = self.backlog.front().map_or(self.offset, StreamEntry::start);
        let in_backlog = offset >= backlog_start && offset <= self.offset;
        if same && in_backlog {
            out.push(ReplOut::Send { to: from, msg: ReplMsg::Continue { conn, hist: self.hist } });
            for e in self.backlog.iter().filter(|e| e.start() >= offset) {
                out.push(ReplOut::Send { to: from, msg: ReplMsg::Stream { conn, entry: e.clone() } });
            }
            self.replicas
                .insert(from, ReplicaConn { conn, online: true, ack_offset: offset, ack_time: now, sync: None });
        } else {
            // An RDB at this instant, ready after a time proportional to the dataset.
            let bytes = store.estimated_memory();
            let ready_at = now + 5 + bytes / 100_000;
            let sync =
                PendingSync { ready_at, offset: self.offset, snapshot: Box::new(store.clone()), buffer: Vec::new() };
            self.replicas
                .insert(from, ReplicaConn { conn, online: false, ack_offset: 0, ack_time: now, sync: Some(sync) });
        }
    }

    /// The master's periodic work: snapshots that are ready are sent, replicas pinged every
    /// `repl-ping-replica-period`.
    pub fn master_tick(&mut self, now: u64, ping_period: u64, out: &mut Vec<ReplOut>) {
        for (&r, c) in &mut self.replicas {
            if c.sync.as_ref().is_some_and(|s| s.ready_at <= now) {
                let s = c.sync.take().expect("checked");
                out.push(ReplOut::Send {
                    to: r,
                    msg: ReplMsg::FullResync { conn: c.conn, hist: self.hist, offset: s.offset, snapshot: s.snapshot },
                });
                for e in s.buffer {
                    out.push(ReplOut::Send { to: r, msg: ReplMsg::Stream { conn: c.conn, entry: e } });
                }
                c.online = true;
            }
        }
        if self.master.is_none() && !self.replicas.is_empty() && now.saturating_sub(self.last_ping) >= ping_period {
            self.last_ping = now;
            self.feed(vec![b"PING".to_vec()], out);
        }
    }

    /// WAIT asks the replicas for their offsets (`REPLCONF GETACK *` through the stream).
    pub fn request_acks(&mut self, out: &mut Vec<ReplOut>) {
        if !self.replicas.is_empty() {
            self.feed(vec![b"REPLCONF".to_vec(), b"GETACK".to_vec(), b"*".to_vec()], out);
        }
    }

    /// The master handles `REPLCONF ACK`.
    pub fn on_ack(&mut self, now: u64, from: NodeIdx, conn: u64, offset: u64) -> bool {
        match self.replicas.get_mut(&from) {
            Some(c) if c.conn == conn => {
                c.ack_offset = c.ack_offset.max(offset);
                c.ack_time = now;
                true
            }
            _ => false,
        }
    }

    /// A replica's connection closed (it died or dropped the link).
    pub fn drop_replica(&mut self, r: NodeIdx) {
        self.replicas.remove(&r);
    }

    // ---- the replica side ----------------------------------------------------------------------

    /// `replicationSetMaster`: replicate `master` (the current data is kept for PSYNC).
    pub fn set_master(&mut self, master: NodeIdx, now: u64) {
        if self.master.as_ref().is_some_and(|l| l.master == master) {
            return;
        }
        self.replicas.clear();
        self.master = Some(MasterLink {
            master,
            state: LinkState::Connect,
            conn: 0,
            last_interaction: now,
            down_since: now,
            since: now,
        });
    }

    /// `replicationUnsetMaster` + `shiftReplicationId`: this node is a master from now on, with a
    /// new history that continues the one it had.
    pub fn unset_master(&mut self, ledger: &mut Ledger, now: u64) {
        if self.master.take().is_none() {
            return;
        }
        let new = ledger.new_history(Some((self.hist, self.offset)));
        self.hist2 = Some((self.hist, self.offset));
        self.hist = new;
        self.replicas.clear();
        self.last_ping = now;
    }

    /// The replica's once-a-second work (`replicationCron`): connect, time out, acknowledge.
    pub fn replica_cron(&mut self, now: u64, repl_timeout: u64, out: &mut Vec<ReplOut>) {
        let offset = self.offset;
        let next_conn = &mut self.next_conn;
        let Some(l) = self.master.as_mut() else {
            return;
        };
        match l.state {
            LinkState::Connect => {
                l.conn = *next_conn;
                *next_conn += 1;
                l.state = LinkState::Connecting;
                l.since = now;
                out.push(ReplOut::Connect { to: l.master, conn: l.conn });
            }
            LinkState::Connecting | LinkState::Handshake | LinkState::Transfer => {
                if now.saturating_sub(l.since) > repl_timeout {
                    l.state = LinkState::Connect;
                }
            }
            LinkState::Connected => {
                if now.saturating_sub(l.last_interaction) > repl_timeout {
                    l.state = LinkState::Connect;
                    l.down_since = now;
                } else {
                    out.push(ReplOut::Send { to: l.master, msg: ReplMsg::Ack { conn: l.conn, offset } });
                }
            }
        }
    }

    /// The replication connection `conn` reached the master: send PSYNC.
    pub fn connected(&mut self, conn: u64, now: u64, out: &mut Vec<ReplOut>) {
        let (hist, offset) = (self.hist, self.offset);
        let Some(l) = self.master.as_mut() else {
            return;
        };
        if l.conn != conn || l.state != LinkState::Connecting {
            return;
        }
        l.state = LinkState::Handshake;
        l.since = now;
        out.push(ReplOut::Send { to: l.master, msg: ReplMsg::Psync { conn, hist, offset } });
    }

    /// The master refused or closed the connection.
    pub fn link_lost(&mut self, conn: Option<u64>, now: u64) {
        let Some(l) = self.master.as_mut() else {
            return;
        };
        if conn.is_some_and(|c| c != l.conn) {
            return;
        }
        if l.state == LinkState::Connected {
            l.down_since = now;
        }
        l.state = LinkState::Connect;
    }

    /// The replica handles a message from its master. `apply` runs one stream command on the
    /// store; the snapshot replaces the store through `load`.
    pub fn on_message(
        &mut self,
        now: u64,
        msg: ReplMsg,
        store: &mut Store,
        mut apply: impl FnMut(&mut Store, &[Vec<u8>]),
        out: &mut Vec<ReplOut>,
    ) {
        let (offset, master, conn) = match &self.master {
            Some(l) => (self.offset, l.master, l.conn),
            None => return,
        };
        let msg_conn = match &msg {
            ReplMsg::FullResync { conn, .. } | ReplMsg::Continue { conn, .. } | ReplMsg::Stream { conn, .. } => *conn,
            ReplMsg::Psync { .. } | ReplMsg::Ack { .. } => return,
        };
        if msg_conn != conn {
            return;
        }
        let l = self.master.as_mut().expect("checked");
        l.last_interaction = now;
        match msg {
            ReplMsg::FullResync { hist, offset, snapshot, .. } => {
                *store = *snapshot;
                self.hist = hist;
                self.hist2 = None;
                self.offset = offset;
                self.backlog.clear();
                self.backlog_bytes = 0;
                l.state = LinkState::Connected;
                out.push(ReplOut::DataChanged);
            }
            ReplMsg::Continue { hist, .. } => {
                if hist != self.hist {
                    // The master continues a history this one was part of: adopt its id.
                    self.hist2 = Some((self.hist, self.offset));
                    self.hist = hist;
                }
                l.state = LinkState::Connected;
            }
            ReplMsg::Stream { entry, .. } => {
                if l.state != LinkState::Connected {
                    return;
                }
                if entry.start() != offset {
                    // A gap: the connection broke; reconnect with PSYNC.
                    l.state = LinkState::Connect;
                    l.down_since = now;
                    return;
                }
                if !entry.is_control() {
                    apply(store, &entry.argv);
                    self.applied += 1;
                }
                self.offset = entry.end;
                if entry.is_getack() {
                    out.push(ReplOut::Send { to: master, msg: ReplMsg::Ack { conn, offset: self.offset } });
                }
            }
            ReplMsg::Psync { .. } | ReplMsg::Ack { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{SimRng, TEST_EPOCH};

    #[test]
    fn resp_length_counts_the_wire_bytes() {
        // *3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n = 4 + 9 + 7 + 7
        assert_eq!(resp_len(&[b"SET".to_vec(), b"k".to_vec(), b"v".to_vec()]), 27);
        assert_eq!(resp_len(&[b"PING".to_vec()]), 14);
    }

    #[test]
    fn psync_continues_inside_the_backlog_and_resyncs_outside_it() {
        let mut ledger = Ledger::new();
        let h = ledger.new_history(None);
        let now = TEST_EPOCH.as_unix_ms();
        let store = Store::new(SimRng::new(1));
        let mut m = Replication::new(h, 60, now);
        let mut out = Vec::new();
        m.feed(vec![b"SET".to_vec(), b"a".to_vec(), b"1".to_vec()], &mut out); // 27
        m.feed(vec![b"SET".to_vec(), b"b".to_vec(), b"2".to_vec()], &mut out); // 54
        m.feed(vec![b"SET".to_vec(), b"c".to_vec(), b"3".to_vec()], &mut out); // 81, backlog keeps 2
        assert_eq!(m.offset, 81);
        out.clear();
        m.on_psync(now, 1, Psync { conn: 7, hist: h, offset: 27 }, &store, &mut out);
        assert!(matches!(&out[0], ReplOut::Send { msg: ReplMsg::Continue { .. }, .. }));
        assert_eq!(out.len(), 3, "CONTINUE and the two commands after offset 27: {out:?}");
        out.clear();
        m.on_psync(now, 2, Psync { conn: 8, hist: h, offset: 0 }, &store, &mut out);
        assert!(out.is_empty(), "offset 0 fell out of the backlog: a snapshot is being made");
        m.master_tick(now + 100, 10_000, &mut out);
        assert!(matches!(&out[0], ReplOut::Send { to: 2, msg: ReplMsg::FullResync { offset: 81, .. } }));
    }

    /// A full resync held back by the replication lag is a timer, and a timer's `Debug` text is a
    /// trace line: the snapshot is written as its size, never as the whole dataset.
    #[test]
    fn a_full_resync_is_written_with_its_snapshot_s_size_not_its_keys() {
        let mut ledger = Ledger::new();
        let hist = ledger.new_history(None);
        let mut store = Store::new(SimRng::new(1));
        for k in ["a", "b"] {
            store.execute(TEST_EPOCH, &[b"SET".to_vec(), k.as_bytes().to_vec(), b"secret".to_vec()]);
        }
        let msg = ReplMsg::FullResync { conn: 7, hist, offset: 81, snapshot: Box::new(store) };
        let text = format!("{msg:?}");
        assert_eq!(text, format!("FullResync {{ conn: 7, hist: {hist:?}, offset: 81, snapshot: <2 keys> }}"));
        assert_eq!(format!("{:?}", ReplMsg::Ack { conn: 7, offset: 81 }), "Ack { conn: 7, offset: 81 }", "as derived");
    }
}
