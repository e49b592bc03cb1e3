//! One node's view of the cluster and the cluster-bus protocol it runs: `src/cluster.c` of Redis
//! 7.0.15 as a sans-IO state machine.
//!
//! [`ClusterNode::handle`] takes one [`Input`] (the 100 ms `clusterCron` tick, a bus packet, a link
//! coming up or going down) and returns [`Effect`]s (messages to send, connections to open,
//! replication changes, timeline events); it ends every input the way Redis ends every event-loop
//! turn, with `clusterBeforeSleep` (pending failover handling and state update). Nothing here
//! touches a network, a clock or a store: the runtime (`runtime.rs`) carries the effects out and
//! passes the time and the node's replication offsets in ([`ReplInfo`]).
//!
//! What is modeled, each after the function of `cluster.c` it follows:
//! - failure detection: pings from `clusterCron` (a random one of five nodes every second, and any
//!   node whose PONG is older than half the node timeout), `ping_sent` / `pong_received` /
//!   `data_received`, PFAIL after `cluster-node-timeout` without a PONG or any data, failure
//!   reports carried by gossip (with every PFAIL node in each ping), FAIL once a majority of the
//!   masters agree within twice the node timeout (`markNodeAsFailingIfNeeded`), FAIL broadcast,
//!   and FAIL cleared when the node answers again (`clearNodeFailureIfNeeded`);
//! - links: a link is reopened by every cron while its peer is away; a PING written on the
//!   connecting link sets `ping_sent` (on Linux a refused loopback connect is reported
//!   asynchronously, so `clusterNodeCronHandleReconnect`'s synchronous path does not apply); a
//!   silent link is dropped and reopened after half a node timeout without data;
//! - replica election (`clusterHandleSlaveFailover`): delay 500 ms + random 0–499 ms + rank × 1000
//!   ms, `currentEpoch++`, FAILOVER_AUTH_REQUEST to all, a vote per epoch and per master every two
//!   node timeouts (`clusterSendFailoverAuthIfNeeded`), the quorum `size / 2 + 1`, configEpoch set
//!   to the election epoch, the slots taken over and announced (`clusterFailoverReplaceYourMaster`);
//!   data age (`cluster-replica-validity-factor`), election expiry and retry;
//! - configuration: slot ownership decided by config epochs (`clusterUpdateSlotsConfigWith`), UPDATE
//!   messages to stale nodes, a master that lost its slots turning into a replica of the winner,
//!   config-epoch collisions, manual failover (CLUSTER FAILOVER [FORCE|TAKEOVER] with MFSTART and a
//!   write pause), and `clusterUpdateState` (full coverage, the minority rule, the 2 s writable delay
//!   after a restart, the rejoin delay).
//!
//! Not modeled: the handshake of new nodes (the cluster is created joined), replica migration to
//! orphaned masters, Pub/Sub and module messages, hostnames and TLS ports.

use serde::{Deserialize, Serialize};

use super::bus::{Body, BusMsg, Flags, Gossip, Header, MsgType, MSG_TYPES};
use super::config::{ClusterConfig, NodeIdx};
use super::slot::{Slot, SlotSet, SLOTS};
use crate::sim::vec_map::VecMap;
use crate::sim::SimRng;

/// `CLUSTER_FAIL_REPORT_VALIDITY_MULT`, `CLUSTER_FAIL_UNDO_TIME_MULT`, `CLUSTER_MF_TIMEOUT`,
/// `CLUSTER_MF_PAUSE_MULT`, `CLUSTER_WRITABLE_DELAY`, `CLUSTER_MAX_REJOIN_DELAY`,
/// `CLUSTER_MIN_REJOIN_DELAY` (cluster.h / cluster.c).
pub const FAIL_REPORT_VALIDITY_MULT: u64 = 2;
pub const FAIL_UNDO_TIME_MULT: u64 = 2;
pub const MF_TIMEOUT_MS: u64 = 5000;
pub const MF_PAUSE_MULT: u64 = 2;
pub const WRITABLE_DELAY_MS: u64 = 2000;
pub const MAX_REJOIN_DELAY_MS: u64 = 5000;
pub const MIN_REJOIN_DELAY_MS: u64 = 500;
/// Messages a connecting link buffers (the real send buffer is unbounded; the model keeps it small).
pub const LINK_BUFFER: usize = 32;

/// The cluster state a node computes (`CLUSTER_OK` / `CLUSTER_FAIL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClusterState {
    Ok,
    Fail,
}

impl ClusterState {
    pub fn name(self) -> &'static str {
        match self {
            ClusterState::Ok => "ok",
            ClusterState::Fail => "fail",
        }
    }
}

/// An outbound connection to a peer (`clusterLink`).
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    /// Unique per node: replies on a link that has since been replaced are dropped.
    pub id: u64,
    /// When it was created (`link->ctime`).
    pub ctime: u64,
    /// False while the TCP connect is in progress.
    pub connected: bool,
    /// Messages written while connecting, sent once connected.
    pub pending: Vec<BusMsg>,
}

/// What this node knows about one node of the cluster (`clusterNode`).
#[derive(Clone, Debug, PartialEq)]
pub struct Peer {
    pub flags: Flags,
    pub config_epoch: u64,
    pub slaveof: Option<NodeIdx>,
    /// Its replicas, in the order this node learnt them.
    pub slaves: Vec<NodeIdx>,
    pub slots: SlotSet,
    /// Unix ms of the ping waiting for its PONG (0 = none).
    pub ping_sent: u64,
    pub pong_received: u64,
    pub data_received: u64,
    pub fail_time: u64,
    /// When this node last voted for a replica of this master.
    pub voted_time: u64,
    pub repl_offset: u64,
    pub repl_offset_time: u64,
    /// (reporting master, when) — failure reports from gossip.
    pub fail_reports: Vec<(NodeIdx, u64)>,
    pub link: Option<Link>,
    /// The `cluster_pings_sent` value of the last ping that gossiped about this node.
    pub last_in_ping_gossip: u64,
}

impl Peer {
    fn new(flags: Flags) -> Peer {
        Peer {
            flags,
            config_epoch: 0,
            slaveof: None,
            slaves: Vec::new(),
            slots: SlotSet::new(),
            ping_sent: 0,
            pong_received: 0,
            data_received: 0,
            fail_time: 0,
            voted_time: 0,
            repl_offset: 0,
            repl_offset_time: 0,
            fail_reports: Vec::new(),
            link: None,
            last_in_ping_gossip: 0,
        }
    }
    pub fn is_master(&self) -> bool {
        self.flags.has(Flags::MASTER)
    }
    pub fn is_slave(&self) -> bool {
        self.flags.has(Flags::SLAVE)
    }
    /// `nodeTimedOut`: flagged PFAIL.
    pub fn timed_out(&self) -> bool {
        self.flags.has(Flags::PFAIL)
    }
    /// `nodeFailed`: flagged FAIL.
    pub fn failed(&self) -> bool {
        self.flags.has(Flags::FAIL)
    }
    pub fn numslots(&self) -> usize {
        self.slots.len()
    }
}

/// What the replication layer tells the cluster layer (`replicationGetSlaveOffset`,
/// `master_repl_offset`, the master link's state).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplInfo {
    /// The offset this node has: `master_repl_offset` of a master, the processed offset of a replica.
    pub offset: u64,
    /// A replica with a master configured (`server.masterhost != NULL`).
    pub has_master: bool,
    /// Milliseconds since the replica last heard from its master, or since the link went down
    /// (whole seconds, as `server.unixtime` counts them).
    pub data_age_ms: u64,
}

/// What the node asks the world to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Send over this node's outbound link `link` to `to`.
    Send { to: NodeIdx, link: u64, msg: BusMsg },
    /// Answer over the link the request came in on (the requester's link `their_link`); it is
    /// dropped if the requester has replaced that link by the time it arrives.
    Reply { to: NodeIdx, their_link: Option<u64>, msg: BusMsg },
    /// Open a TCP connection for link `link`; the runtime answers with [`Input::LinkUp`] or
    /// [`Input::LinkDown`]. Until then the link exists, connecting: a PING written on it sets
    /// `ping_sent` (which is how a node whose port refuses connections gets flagged).
    Connect { to: NodeIdx, link: u64 },
    /// `replicationSetMaster`: replicate `master` from now on.
    ReplicateFrom(NodeIdx),
    /// `replicationUnsetMaster`: stop replicating, this node is a master now.
    StopReplicating,
    /// Delete every key of these slots (slots lost while still holding keys).
    DeleteSlotKeys(Vec<Slot>),
    /// Pause (Some(until)) or resume (None) writes from clients (manual failover).
    PauseWrites(Option<u64>),
    /// A protocol event worth showing on the failover timeline.
    Event(NodeEvent),
}

/// Protocol events, as the node's log would print them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodeEvent {
    /// "*** NODE … possibly failing"
    Pfail { node: NodeIdx },
    /// "Marking node … as failing (quorum reached)."
    MarkedFail { node: NodeIdx, reports: usize },
    /// "FAIL message received from … about …"
    FailReceived { node: NodeIdx, from: NodeIdx },
    /// "Clear FAIL state for node …"
    FailCleared { node: NodeIdx },
    /// "Start of election delayed for … milliseconds (rank #…, offset …)."
    ElectionScheduled { delay_ms: u64, rank: usize, offset: u64 },
    /// "Starting a failover election for epoch …."
    ElectionStarted { epoch: u64 },
    /// "Failover auth granted to … for epoch …"
    VoteGranted { candidate: NodeIdx, epoch: u64 },
    /// "Failover auth denied to …: …"
    VoteDenied { candidate: NodeIdx, reason: String },
    /// "Failover election won: I'm the new master."
    ElectionWon { epoch: u64, votes: usize },
    /// "Failover attempt expired."
    ElectionExpired { epoch: u64 },
    /// "Configuration change detected. Reconfiguring myself as a replica of …"
    BecameReplica { of: NodeIdx },
    /// "Cluster state changed: ok|fail"
    StateChanged { state: ClusterState },
    /// "configEpoch set to … after …"
    ConfigEpoch { epoch: u64 },
    /// "Manual failover …"
    ManualFailover { what: String },
}

/// `clusterBeforeSleep` work queued while handling an input (`CLUSTER_TODO_*`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Todo {
    handle_failover: bool,
    update_state: bool,
    handle_manual_failover: bool,
}

/// One input to [`ClusterNode::handle`].
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// `clusterCron`, every 100 ms.
    Cron,
    /// A bus message from `from`. `reply_on` is set when it came back over this node's own
    /// outbound link with that id (a PONG answering this node's PING); otherwise it came in on a
    /// connection the sender opened.
    Packet { from: NodeIdx, msg: BusMsg, reply_on: Option<u64> },
    /// The connect of link `link` to `peer` succeeded.
    LinkUp { peer: NodeIdx, link: u64 },
    /// Link `link` to `peer` failed (connect error) or was closed by the peer.
    LinkDown { peer: NodeIdx, link: u64 },
}

/// One node's cluster state (`clusterState` plus its `clusterNode` table).
#[derive(Clone, Debug)]
pub struct ClusterNode {
    pub me: NodeIdx,
    pub cfg: ClusterConfig,
    pub nodes: Vec<Peer>,
    /// Owner of each slot in this node's view.
    pub slots: Vec<Option<NodeIdx>>,
    pub migrating_to: VecMap<Slot, NodeIdx>,
    pub importing_from: VecMap<Slot, NodeIdx>,
    pub owner_not_claiming: SlotSet,
    pub current_epoch: u64,
    pub last_vote_epoch: u64,
    pub state: ClusterState,
    /// Masters serving at least one slot.
    pub size: usize,
    pub failover_auth_time: u64,
    pub failover_auth_count: usize,
    pub failover_auth_sent: bool,
    pub failover_auth_rank: usize,
    pub failover_auth_epoch: u64,
    pub mf_end: u64,
    pub mf_can_start: bool,
    pub mf_slave: Option<NodeIdx>,
    pub mf_master_offset: Option<u64>,
    pub stats_sent: [u64; MSG_TYPES],
    pub stats_received: [u64; MSG_TYPES],
    pub stats_pfail_nodes: usize,
    /// The 40-hex node names (config-epoch collisions are broken by name).
    pub names: Vec<String>,
    /// Whether "Failover attempt expired" was reported for the current attempt.
    expired_reported: bool,
    iteration: u64,
    pings_sent: u64,
    among_minority_time: u64,
    first_call_time: u64,
    next_link_id: u64,
    todo: Todo,
    rng: SimRng,
}

impl ClusterNode {
    /// Roughly the heap bytes this node's view holds: the owner of each of the 16384 slots, each
    /// peer with its slot bitmap and replicas, the migrations and the unclaimed-slot bitmap.
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let bitmap = size_of::<[u64; SLOTS / 64]>();
        let peers: usize =
            self.nodes.iter().map(|p| size_of::<Peer>() + bitmap + p.slaves.len() * size_of::<NodeIdx>()).sum();
        let migrations = (self.migrating_to.len() + self.importing_from.len()) * (size_of::<(Slot, NodeIdx)>() + 16);
        self.slots.len() * size_of::<Option<NodeIdx>>() + peers + migrations + bitmap
    }

    /// Node `me` of a freshly created cluster: every node known and connected-to-be, slots and
    /// replicas as `layout` says, config epochs 1, 2, 3 … (`redis-cli --cluster create`), the
    /// current epoch the largest of them (what gossip makes it within a second of joining).
    pub fn created(
        me: NodeIdx,
        cfg: ClusterConfig,
        layout: &super::config::Layout,
        names: Vec<String>,
        now: u64,
        rng: SimRng,
    ) -> ClusterNode {
        let n = layout.replica_of.len();
        let mut nodes: Vec<Peer> = (0..n)
            .map(|i| {
                let mut p = Peer::new(if layout.replica_of[i].is_some() { Flags::SLAVE } else { Flags::MASTER });
                p.config_epoch = i as u64 + 1;
                p.slaveof = layout.replica_of[i];
                p.pong_received = now;
                p.data_received = now;
                p
            })
            .collect();
        nodes[me].flags.set(Flags::MYSELF);
        let mut slots = vec![None; SLOTS];
        for (m, &(lo, hi)) in layout.master_slots.iter().enumerate() {
            for s in lo..=hi {
                nodes[m].slots.insert(s);
                slots[usize::from(s)] = Some(m);
            }
        }
        for r in 0..n {
            if let Some(m) = layout.replica_of[r] {
                nodes[m].slaves.push(r);
            }
        }
        let mut node = ClusterNode {
            me,
            cfg,
            nodes,
            slots,
            migrating_to: VecMap::new(),
            importing_from: VecMap::new(),
            owner_not_claiming: SlotSet::new(),
            current_epoch: n as u64,
            last_vote_epoch: 0,
            state: ClusterState::Ok,
            size: 0,
            failover_auth_time: 0,
            failover_auth_count: 0,
            failover_auth_sent: false,
            failover_auth_rank: 0,
            failover_auth_epoch: 0,
            mf_end: 0,
            mf_can_start: false,
            mf_slave: None,
            mf_master_offset: None,
            stats_sent: [0; MSG_TYPES],
            stats_received: [0; MSG_TYPES],
            stats_pfail_nodes: 0,
            names,
            expired_reported: false,
            iteration: 0,
            pings_sent: 0,
            among_minority_time: 0,
            first_call_time: now,
            next_link_id: 1,
            todo: Todo::default(),
            rng,
        };
        node.size = node.count_size().0;
        // The processes of a real cluster start at different moments, so each one's "every tenth
        // cron" second falls at its own phase; without this every node would pick its random
        // ping in the same 100 ms of each second.
        node.iteration = node.rng.below(10);
        node
    }

    /// The node as it comes back after a restart: the configuration of `nodes.conf` (this node's
    /// view when it stopped), no links, no failure reports, state FAIL until `clusterUpdateState`
    /// says otherwise (`clusterInit` + `clusterLoadConfig`).
    pub fn restarted(&self, now: u64, rng: SimRng) -> ClusterNode {
        let mut n = self.clone();
        for p in &mut n.nodes {
            p.link = None;
            p.fail_reports.clear();
            p.ping_sent = if p.ping_sent != 0 { now } else { 0 };
            p.pong_received = if p.pong_received != 0 { now } else { 0 };
            p.data_received = 0;
            p.voted_time = 0;
            p.repl_offset = 0;
            p.last_in_ping_gossip = 0;
        }
        n.state = ClusterState::Fail;
        n.failover_auth_time = 0;
        n.failover_auth_count = 0;
        n.failover_auth_sent = false;
        n.failover_auth_rank = 0;
        n.failover_auth_epoch = 0;
        n.mf_end = 0;
        n.mf_can_start = false;
        n.mf_slave = None;
        n.mf_master_offset = None;
        n.stats_sent = [0; MSG_TYPES];
        n.stats_received = [0; MSG_TYPES];
        n.stats_pfail_nodes = 0;
        n.iteration = 0;
        n.pings_sent = 0;
        n.among_minority_time = 0;
        n.first_call_time = 0;
        n.todo = Todo::default();
        n.rng = rng;
        n
    }

    // ---- small accessors ----------------------------------------------------------------------

    pub fn myself(&self) -> &Peer {
        &self.nodes[self.me]
    }
    pub fn is_master(&self) -> bool {
        self.myself().is_master()
    }
    pub fn is_slave(&self) -> bool {
        self.myself().is_slave()
    }
    /// The master this node replicates, if it is a replica.
    pub fn master(&self) -> Option<NodeIdx> {
        if self.is_slave() {
            self.myself().slaveof
        } else {
            None
        }
    }
    /// The config epoch CLUSTER INFO reports as `cluster_my_epoch` (the master's, for a replica).
    pub fn my_epoch(&self) -> u64 {
        match self.master() {
            Some(m) => self.nodes[m].config_epoch,
            None => self.myself().config_epoch,
        }
    }
    pub fn owner(&self, slot: Slot) -> Option<NodeIdx> {
        self.slots[usize::from(slot)]
    }
    /// `isSlotUnclaimed`.
    fn slot_unclaimed(&self, slot: Slot) -> bool {
        self.owner(slot).is_none() || self.owner_not_claiming.contains(slot)
    }

    fn new_link(&mut self, now: u64) -> Link {
        let id = self.next_link_id;
        self.next_link_id += 1;
        Link { id, ctime: now, connected: false, pending: Vec::new() }
    }

    /// (size, reachable masters): masters serving slots, and those without PFAIL/FAIL.
    fn count_size(&self) -> (usize, usize) {
        let mut size = 0;
        let mut reachable = 0;
        for p in &self.nodes {
            if p.is_master() && p.numslots() > 0 {
                size += 1;
                if !p.flags.has(Flags::FAIL) && !p.flags.has(Flags::PFAIL) {
                    reachable += 1;
                }
            }
        }
        (size, reachable)
    }

    // ---- slots ----------------------------------------------------------------------------------

    /// `clusterAddSlot`: false if the slot is already bound.
    pub fn add_slot(&mut self, n: NodeIdx, slot: Slot) -> bool {
        if self.slots[usize::from(slot)].is_some() {
            return false;
        }
        self.nodes[n].slots.insert(slot);
        self.slots[usize::from(slot)] = Some(n);
        true
    }

    /// `clusterDelSlot`: false if the slot is unbound.
    pub fn del_slot(&mut self, slot: Slot) -> bool {
        let Some(n) = self.slots[usize::from(slot)] else {
            return false;
        };
        self.nodes[n].slots.remove(slot);
        self.slots[usize::from(slot)] = None;
        true
    }

    /// `clusterDelNodeSlots`.
    fn del_node_slots(&mut self, n: NodeIdx) {
        let owned: Vec<Slot> = self.nodes[n].slots.iter().collect();
        for s in owned {
            self.del_slot(s);
        }
    }

    fn remove_slave(&mut self, master: NodeIdx, slave: NodeIdx) {
        self.nodes[master].slaves.retain(|&s| s != slave);
    }

    fn add_slave(&mut self, master: NodeIdx, slave: NodeIdx) {
        if !self.nodes[master].slaves.contains(&slave) {
            self.nodes[master].slaves.push(slave);
        }
    }

    /// `clusterSetNodeAsMaster`.
    fn set_node_as_master(&mut self, n: NodeIdx) {
        if self.nodes[n].is_master() {
            return;
        }
        if let Some(m) = self.nodes[n].slaveof {
            self.remove_slave(m, n);
        }
        let p = &mut self.nodes[n];
        p.flags.clear(Flags::SLAVE);
        p.flags.set(Flags::MASTER);
        p.slaveof = None;
        self.todo.update_state = true;
    }

    /// `clusterSetMaster`: this node becomes a replica of `n`.
    pub fn set_master(&mut self, n: NodeIdx, out: &mut Vec<Effect>) {
        let me = self.me;
        if self.nodes[me].is_master() {
            let p = &mut self.nodes[me];
            p.flags.clear(Flags::MASTER);
            p.flags.clear(Flags::MIGRATE_TO);
            p.flags.set(Flags::SLAVE);
            self.migrating_to.clear();
            self.importing_from.clear();
        } else if let Some(old) = self.nodes[me].slaveof {
            self.remove_slave(old, me);
        }
        self.nodes[me].slaveof = Some(n);
        self.add_slave(n, me);
        out.push(Effect::ReplicateFrom(n));
        self.reset_manual_failover(out);
    }

    // ---- messages -------------------------------------------------------------------------------

    /// `clusterBuildMessageHdr`.
    fn header(&self, repl: &ReplInfo) -> Header {
        let master = match self.master() {
            Some(m) => m,
            None => self.me,
        };
        Header {
            sender: self.me,
            current_epoch: self.current_epoch,
            config_epoch: self.nodes[master].config_epoch,
            offset: repl.offset,
            myslots: self.nodes[master].slots.clone(),
            slaveof: self.myself().slaveof,
            flags: self.myself().flags,
            paused: self.is_master() && self.mf_end != 0,
            force_ack: false,
        }
    }

    /// Writes `msg` on the outbound link to `to` (`clusterSendMessage`): sent at once when
    /// connected, buffered while connecting, dropped without a link.
    fn send(&mut self, to: NodeIdx, msg: BusMsg, out: &mut Vec<Effect>) {
        let kind = msg.kind() as usize;
        let Some(link) = self.nodes[to].link.as_mut() else {
            return;
        };
        self.stats_sent[kind] += 1;
        if link.connected {
            out.push(Effect::Send { to, link: link.id, msg });
        } else if link.pending.len() < LINK_BUFFER {
            link.pending.push(msg);
        }
    }

    fn gossip_entry(&self, n: NodeIdx) -> Gossip {
        let p = &self.nodes[n];
        Gossip { node: n, ping_sent_s: p.ping_sent / 1000, pong_received_s: p.pong_received / 1000, flags: p.flags }
    }

    /// The gossip section of a PING or PONG (`clusterSendPing`): ⌊nodes/10⌋ (at least 3, at most
    /// nodes − 2) random healthy nodes, then every PFAIL node.
    fn gossip_section(&mut self, to: NodeIdx) -> Vec<Gossip> {
        self.pings_sent += 1;
        let stamp = self.pings_sent;
        let n = self.nodes.len();
        let mut freshnodes = n as i64 - 2;
        let wanted = ((n / 10).max(3) as i64).min(freshnodes.max(0));
        let mut out = Vec::new();
        let mut maxiterations = wanted * 3;
        while freshnodes > 0 && (out.len() as i64) < wanted && maxiterations > 0 {
            maxiterations -= 1;
            let i = self.rng.index(n);
            if i == self.me {
                continue;
            }
            let p = &self.nodes[i];
            if p.flags.has(Flags::PFAIL) {
                continue;
            }
            if p.flags.has(Flags::HANDSHAKE) || p.flags.has(Flags::NOADDR) || (p.link.is_none() && p.numslots() == 0) {
                freshnodes -= 1;
                continue;
            }
            if p.last_in_ping_gossip == stamp {
                continue;
            }
            out.push(self.gossip_entry(i));
            self.nodes[i].last_in_ping_gossip = stamp;
            freshnodes -= 1;
        }
        let _ = to;
        let mut pfail_wanted = self.stats_pfail_nodes;
        for i in 0..n {
            if pfail_wanted == 0 {
                break;
            }
            let p = &self.nodes[i];
            if p.flags.has(Flags::HANDSHAKE) || p.flags.has(Flags::NOADDR) || !p.flags.has(Flags::PFAIL) {
                continue;
            }
            out.push(self.gossip_entry(i));
            pfail_wanted -= 1;
        }
        out
    }

    /// `clusterSendPing(node->link, PING)`.
    fn send_ping(&mut self, to: NodeIdx, now: u64, repl: &ReplInfo, out: &mut Vec<Effect>) {
        if self.nodes[to].link.is_none() {
            return;
        }
        self.nodes[to].ping_sent = now;
        let gossip = self.gossip_section(to);
        let msg = BusMsg { header: self.header(repl), body: Body::Ping(gossip) };
        self.send(to, msg, out);
    }

    /// `clusterBroadcastPong(CLUSTER_BROADCAST_ALL)` (after a slot import closes).
    pub fn broadcast_pong_all(&mut self, repl: &ReplInfo) -> Vec<Effect> {
        let mut out = Vec::new();
        self.broadcast_pong(false, repl, &mut out);
        out
    }

    /// A PONG on this node's outbound link to `to` (`clusterBroadcastPong`).
    fn send_pong(&mut self, to: NodeIdx, repl: &ReplInfo, out: &mut Vec<Effect>) {
        let gossip = self.gossip_section(to);
        let msg = BusMsg { header: self.header(repl), body: Body::Pong(gossip) };
        self.send(to, msg, out);
    }

    /// A PONG answering a PING that came in on the requester's link.
    fn reply_pong(&mut self, to: NodeIdx, their_link: Option<u64>, repl: &ReplInfo, out: &mut Vec<Effect>) {
        let gossip = self.gossip_section(to);
        let msg = BusMsg { header: self.header(repl), body: Body::Pong(gossip) };
        self.stats_sent[MsgType::Pong as usize] += 1;
        out.push(Effect::Reply { to, their_link, msg });
    }

    fn broadcast(&mut self, body: Body, force_ack: bool, repl: &ReplInfo, out: &mut Vec<Effect>) {
        for i in 0..self.nodes.len() {
            if i == self.me || self.nodes[i].flags.has(Flags::HANDSHAKE) || self.nodes[i].link.is_none() {
                continue;
            }
            let mut header = self.header(repl);
            header.force_ack = force_ack;
            self.send(i, BusMsg { header, body: body.clone() }, out);
        }
    }

    /// `clusterBroadcastPong`: to everyone, or only to the replicas of this node's master.
    fn broadcast_pong(&mut self, local_slaves_only: bool, repl: &ReplInfo, out: &mut Vec<Effect>) {
        let my_master = self.myself().slaveof;
        for i in 0..self.nodes.len() {
            let p = &self.nodes[i];
            if p.link.is_none() || i == self.me || p.flags.has(Flags::HANDSHAKE) {
                continue;
            }
            if local_slaves_only {
                let local =
                    p.is_slave() && p.slaveof.is_some() && (p.slaveof == Some(self.me) || p.slaveof == my_master);
                if !local {
                    continue;
                }
            }
            self.send_pong(i, repl, out);
        }
    }

    // ---- the event loop ---------------------------------------------------------------------------

    /// Handles one input at Unix ms `now` and returns what to do. Every input ends with
    /// `clusterBeforeSleep`.
    pub fn handle(&mut self, now: u64, repl: &ReplInfo, input: Input) -> Vec<Effect> {
        let mut out = Vec::new();
        match input {
            Input::Cron => self.cron(now, repl, &mut out),
            Input::Packet { from, msg, reply_on } => self.process_packet(now, repl, from, msg, reply_on, &mut out),
            Input::LinkUp { peer, link } => self.link_up(peer, link, now, repl, &mut out),
            Input::LinkDown { peer, link } => {
                if self.nodes[peer].link.as_ref().is_some_and(|l| l.id == link) {
                    self.nodes[peer].link = None;
                }
            }
        }
        self.before_sleep(now, repl, &mut out);
        out
    }

    /// `clusterLinkConnectHandler`: queue a PING at once, keep an older pending ping's time.
    fn link_up(&mut self, peer: NodeIdx, link: u64, now: u64, repl: &ReplInfo, out: &mut Vec<Effect>) {
        let Some(l) = self.nodes[peer].link.as_mut() else {
            return;
        };
        if l.id != link || l.connected {
            return;
        }
        l.connected = true;
        let pending = std::mem::take(&mut l.pending);
        for msg in pending {
            out.push(Effect::Send { to: peer, link, msg });
        }
        let old = self.nodes[peer].ping_sent;
        self.send_ping(peer, now, repl, out);
        if old != 0 {
            self.nodes[peer].ping_sent = old;
        }
    }

    /// `clusterCron`.
    fn cron(&mut self, now: u64, repl: &ReplInfo, out: &mut Vec<Effect>) {
        self.iteration += 1;
        let timeout = self.cfg.node_timeout_ms;
        let n = self.nodes.len();
        self.stats_pfail_nodes = 0;
        // clusterNodeCronHandleReconnect
        for i in 0..n {
            if i == self.me || self.nodes[i].flags.has(Flags::NOADDR) {
                continue;
            }
            if self.nodes[i].flags.has(Flags::PFAIL) {
                self.stats_pfail_nodes += 1;
            }
            if self.nodes[i].link.is_none() {
                let link = self.new_link(now);
                let id = link.id;
                self.nodes[i].link = Some(link);
                out.push(Effect::Connect { to: i, link: id });
            }
        }
        // Ping the node with the oldest PONG among five random ones, once a second.
        if self.iteration.is_multiple_of(10) {
            let mut best: Option<(NodeIdx, u64)> = None;
            for _ in 0..5 {
                let i = self.rng.index(n);
                let p = &self.nodes[i];
                if p.link.is_none() || p.ping_sent != 0 || i == self.me || p.flags.has(Flags::HANDSHAKE) {
                    continue;
                }
                if best.is_none_or(|(_, pong)| pong > p.pong_received) {
                    best = Some((i, p.pong_received));
                }
            }
            if let Some((i, _)) = best {
                self.send_ping(i, now, repl, out);
            }
        }
        let mut update_state = false;
        for i in 0..n {
            let p = &self.nodes[i];
            if i == self.me || p.flags.has(Flags::NOADDR) || p.flags.has(Flags::HANDSHAKE) {
                continue;
            }
            let ping_delay = now.saturating_sub(p.ping_sent);
            let data_delay = now.saturating_sub(p.data_received);
            // No data for half a node timeout on a link older than the timeout: reconnect.
            if let Some(link) = &p.link {
                if now.saturating_sub(link.ctime) > timeout
                    && p.ping_sent != 0
                    && ping_delay > timeout / 2
                    && data_delay > timeout / 2
                {
                    self.nodes[i].link = None;
                }
            }
            let p = &self.nodes[i];
            if p.link.is_some() && p.ping_sent == 0 && now.saturating_sub(p.pong_received) > timeout / 2 {
                self.send_ping(i, now, repl, out);
                continue;
            }
            if self.mf_end != 0 && self.is_master() && self.mf_slave == Some(i) && p.link.is_some() {
                self.send_ping(i, now, repl, out);
                continue;
            }
            if p.ping_sent == 0 {
                continue;
            }
            let node_delay = ping_delay.min(data_delay);
            if node_delay > timeout && !p.flags.has(Flags::PFAIL) && !p.flags.has(Flags::FAIL) {
                self.nodes[i].flags.set(Flags::PFAIL);
                update_state = true;
                out.push(Effect::Event(NodeEvent::Pfail { node: i }));
            }
        }
        // A replica whose replication is off starts it when its master is known.
        if self.is_slave() && !repl.has_master {
            if let Some(m) = self.myself().slaveof {
                out.push(Effect::ReplicateFrom(m));
            }
        }
        self.manual_failover_check_timeout(now, out);
        if self.is_slave() {
            self.handle_manual_failover(repl);
            self.handle_slave_failover(now, repl, out);
        }
        if update_state || self.state == ClusterState::Fail {
            self.update_state(now, out);
        }
    }

    /// `clusterBeforeSleep`.
    fn before_sleep(&mut self, now: u64, repl: &ReplInfo, out: &mut Vec<Effect>) {
        let todo = std::mem::take(&mut self.todo);
        if todo.handle_manual_failover {
            if self.is_slave() {
                self.handle_manual_failover(repl);
                self.handle_slave_failover(now, repl, out);
            }
        } else if todo.handle_failover {
            self.handle_slave_failover(now, repl, out);
        }
        if todo.update_state || self.todo.update_state {
            self.todo.update_state = false;
            self.update_state(now, out);
        }
    }

    /// Runs the queued `clusterBeforeSleep` work (after a CLUSTER command changed the state).
    pub fn after_command(&mut self, now: u64, repl: &ReplInfo) -> Vec<Effect> {
        let mut out = Vec::new();
        self.before_sleep(now, repl, &mut out);
        out
    }

    /// Asks for a state update at the next `before_sleep` (CLUSTER commands that change slots).
    pub fn request_state_update(&mut self) {
        self.todo.update_state = true;
    }

    // ---- packet processing --------------------------------------------------------------------------

    /// `clusterProcessPacket`.
    fn process_packet(
        &mut self,
        now: u64,
        repl: &ReplInfo,
        from: NodeIdx,
        msg: BusMsg,
        reply_on: Option<u64>,
        out: &mut Vec<Effect>,
    ) {
        // A reply on a link this node has since replaced went down with that connection.
        let outbound = match reply_on {
            Some(id) => {
                if !self.nodes[from].link.as_ref().is_some_and(|l| l.id == id && l.connected) {
                    return;
                }
                true
            }
            None => false,
        };
        let kind = msg.kind();
        self.stats_received[kind as usize] += 1;
        let sender = from;
        let hdr = &msg.header;
        self.nodes[sender].data_received = now;
        let sender_current_epoch = hdr.current_epoch;
        let sender_config_epoch = hdr.config_epoch;
        if sender_current_epoch > self.current_epoch {
            self.current_epoch = sender_current_epoch;
        }
        if sender_config_epoch > self.nodes[sender].config_epoch {
            self.nodes[sender].config_epoch = sender_config_epoch;
        }
        self.nodes[sender].repl_offset = hdr.offset;
        self.nodes[sender].repl_offset_time = now;
        if self.mf_end != 0
            && self.is_slave()
            && self.myself().slaveof == Some(sender)
            && hdr.paused
            && self.mf_master_offset.is_none()
        {
            self.mf_master_offset = Some(hdr.offset);
            self.todo.handle_manual_failover = true;
            out.push(Effect::Event(NodeEvent::ManualFailover {
                what: format!("received the paused master's offset {}", hdr.offset),
            }));
        }
        match &msg.body {
            Body::Ping(gossip) | Body::Pong(gossip) => {
                if kind == MsgType::Ping {
                    self.reply_pong(sender, None, repl, out);
                }
                let nofailover = hdr.flags.has(Flags::NOFAILOVER);
                self.nodes[sender].flags.clear(Flags::NOFAILOVER);
                if nofailover {
                    self.nodes[sender].flags.set(Flags::NOFAILOVER);
                }
                if outbound && kind == MsgType::Pong {
                    let p = &mut self.nodes[sender];
                    p.pong_received = now;
                    p.ping_sent = 0;
                    if p.timed_out() {
                        p.flags.clear(Flags::PFAIL);
                        self.todo.update_state = true;
                    } else if p.failed() {
                        self.clear_node_failure_if_needed(sender, now, out);
                    }
                }
                // Role switch.
                match hdr.slaveof {
                    None => self.set_node_as_master(sender),
                    Some(master) => {
                        if self.nodes[sender].is_master() {
                            self.del_node_slots(sender);
                            let p = &mut self.nodes[sender];
                            p.flags.clear(Flags::MASTER);
                            p.flags.clear(Flags::MIGRATE_TO);
                            p.flags.set(Flags::SLAVE);
                            self.todo.update_state = true;
                        }
                        if self.nodes[sender].slaveof != Some(master) {
                            if let Some(old) = self.nodes[sender].slaveof {
                                self.remove_slave(old, sender);
                            }
                            self.add_slave(master, sender);
                            self.nodes[sender].slaveof = Some(master);
                        }
                    }
                }
                let sender_master =
                    if self.nodes[sender].is_master() { Some(sender) } else { self.nodes[sender].slaveof };
                let dirty_slots = sender_master.is_some_and(|m| self.nodes[m].slots != hdr.myslots);
                if self.nodes[sender].is_master() && dirty_slots {
                    self.update_slots_config_with(sender, sender_config_epoch, &hdr.myslots, now, out);
                }
                // The sender claims slots served by a master with a greater config epoch: tell it.
                if dirty_slots {
                    let stale = hdr.myslots.iter().find_map(|j| {
                        let owner = self.owner(j)?;
                        (owner != sender
                            && !self.slot_unclaimed(j)
                            && self.nodes[owner].config_epoch > sender_config_epoch)
                            .then_some(owner)
                    });
                    if let Some(owner) = stale {
                        self.send_update(sender, owner, repl, out);
                    }
                }
                if self.is_master()
                    && self.nodes[sender].is_master()
                    && sender_config_epoch == self.myself().config_epoch
                {
                    self.handle_config_epoch_collision(sender, out);
                }
                let gossip = gossip.clone();
                self.process_gossip(sender, &gossip, now, repl, out);
            }
            Body::Fail { about } => {
                let failing = *about;
                let p = &mut self.nodes[failing];
                if !p.flags.has(Flags::FAIL) && !p.flags.has(Flags::MYSELF) {
                    p.flags.set(Flags::FAIL);
                    p.fail_time = now;
                    p.flags.clear(Flags::PFAIL);
                    self.todo.update_state = true;
                    out.push(Effect::Event(NodeEvent::FailReceived { node: failing, from: sender }));
                }
            }
            Body::AuthRequest => self.send_failover_auth_if_needed(sender, &msg.header, now, repl, out),
            Body::AuthAck => {
                if self.nodes[sender].is_master()
                    && self.nodes[sender].numslots() > 0
                    && sender_current_epoch >= self.failover_auth_epoch
                {
                    self.failover_auth_count += 1;
                    self.todo.handle_failover = true;
                }
            }
            Body::MfStart => {
                if self.nodes[sender].slaveof != Some(self.me) {
                    return;
                }
                self.reset_manual_failover(out);
                self.mf_end = now + MF_TIMEOUT_MS;
                self.mf_slave = Some(sender);
                out.push(Effect::PauseWrites(Some(now + MF_TIMEOUT_MS * MF_PAUSE_MULT)));
                out.push(Effect::Event(NodeEvent::ManualFailover {
                    what: format!("requested by replica {sender}; writes paused"),
                }));
                // The PING carries the paused offset to the replica (sent on the link it came in).
                let gossip = self.gossip_section(sender);
                let ping = BusMsg { header: self.header(repl), body: Body::Ping(gossip) };
                self.stats_sent[MsgType::Ping as usize] += 1;
                out.push(Effect::Reply { to: sender, their_link: None, msg: ping });
            }
            Body::Update { node, config_epoch, slots } => {
                let (n, reported) = (*node, *config_epoch);
                if self.nodes[n].config_epoch >= reported {
                    return;
                }
                if self.nodes[n].is_slave() {
                    self.set_node_as_master(n);
                }
                self.nodes[n].config_epoch = reported;
                let slots = slots.clone();
                self.update_slots_config_with(n, reported, &slots, now, out);
            }
        }
    }

    /// `clusterSendUpdate(sender->link, node)`.
    fn send_update(&mut self, to: NodeIdx, about: NodeIdx, repl: &ReplInfo, out: &mut Vec<Effect>) {
        if self.nodes[to].link.is_none() {
            return;
        }
        let body = Body::Update {
            node: about,
            config_epoch: self.nodes[about].config_epoch,
            slots: self.nodes[about].slots.clone(),
        };
        let msg = BusMsg { header: self.header(repl), body };
        self.send(to, msg, out);
    }

    /// `clusterProcessGossipSection` (only known nodes: the cluster is created joined).
    fn process_gossip(&mut self, sender: NodeIdx, gossip: &[Gossip], now: u64, repl: &ReplInfo, out: &mut Vec<Effect>) {
        for g in gossip {
            let node = g.node;
            if node >= self.nodes.len() {
                continue;
            }
            if self.nodes[sender].is_master() && node != self.me {
                if g.flags.has(Flags::FAIL) || g.flags.has(Flags::PFAIL) {
                    self.add_failure_report(node, sender, now);
                    self.mark_node_as_failing_if_needed(node, now, repl, out);
                } else {
                    self.del_failure_report(node, sender, now);
                }
            }
            if !g.flags.has(Flags::FAIL)
                && !g.flags.has(Flags::PFAIL)
                && self.nodes[node].ping_sent == 0
                && self.failure_reports_count(node, now) == 0
            {
                let pongtime = g.pong_received_s.saturating_mul(1000);
                if pongtime <= now + 500 && pongtime > self.nodes[node].pong_received {
                    self.nodes[node].pong_received = pongtime;
                }
            }
        }
    }

    fn add_failure_report(&mut self, failing: NodeIdx, sender: NodeIdx, now: u64) {
        let reports = &mut self.nodes[failing].fail_reports;
        match reports.iter_mut().find(|(s, _)| *s == sender) {
            Some(r) => r.1 = now,
            None => reports.push((sender, now)),
        }
    }

    fn cleanup_failure_reports(&mut self, node: NodeIdx, now: u64) {
        let maxtime = self.cfg.node_timeout_ms * FAIL_REPORT_VALIDITY_MULT;
        self.nodes[node].fail_reports.retain(|&(_, t)| now.saturating_sub(t) <= maxtime);
    }

    fn del_failure_report(&mut self, node: NodeIdx, sender: NodeIdx, now: u64) {
        let reports = &mut self.nodes[node].fail_reports;
        if let Some(i) = reports.iter().position(|(s, _)| *s == sender) {
            reports.remove(i);
            self.cleanup_failure_reports(node, now);
        }
    }

    /// `clusterNodeFailureReportsCount`.
    pub fn failure_reports_count(&mut self, node: NodeIdx, now: u64) -> usize {
        self.cleanup_failure_reports(node, now);
        self.nodes[node].fail_reports.len()
    }

    /// `markNodeAsFailingIfNeeded`.
    fn mark_node_as_failing_if_needed(&mut self, node: NodeIdx, now: u64, repl: &ReplInfo, out: &mut Vec<Effect>) {
        let needed_quorum = self.size / 2 + 1;
        if !self.nodes[node].timed_out() || self.nodes[node].failed() {
            return;
        }
        let mut failures = self.failure_reports_count(node, now);
        if self.is_master() {
            failures += 1;
        }
        if failures < needed_quorum {
            return;
        }
        let p = &mut self.nodes[node];
        p.flags.clear(Flags::PFAIL);
        p.flags.set(Flags::FAIL);
        p.fail_time = now;
        out.push(Effect::Event(NodeEvent::MarkedFail { node, reports: failures }));
        // clusterSendFail: broadcast, so every reachable node flags it at once.
        self.broadcast(Body::Fail { about: node }, false, repl, out);
        self.todo.update_state = true;
    }

    /// `clearNodeFailureIfNeeded`.
    fn clear_node_failure_if_needed(&mut self, node: NodeIdx, now: u64, out: &mut Vec<Effect>) {
        let p = &self.nodes[node];
        if p.is_slave() || p.numslots() == 0 {
            self.nodes[node].flags.clear(Flags::FAIL);
            self.todo.update_state = true;
            out.push(Effect::Event(NodeEvent::FailCleared { node }));
            return;
        }
        if p.is_master()
            && p.numslots() > 0
            && now.saturating_sub(p.fail_time) > self.cfg.node_timeout_ms * FAIL_UNDO_TIME_MULT
        {
            self.nodes[node].flags.clear(Flags::FAIL);
            self.todo.update_state = true;
            out.push(Effect::Event(NodeEvent::FailCleared { node }));
        }
    }

    /// `clusterHandleConfigEpochCollision`: the node with the greater name takes a new epoch.
    fn handle_config_epoch_collision(&mut self, sender: NodeIdx, out: &mut Vec<Effect>) {
        if self.nodes[sender].config_epoch != self.myself().config_epoch
            || !self.nodes[sender].is_master()
            || !self.is_master()
        {
            return;
        }
        if self.names[sender] <= self.names[self.me] {
            return;
        }
        self.current_epoch += 1;
        let e = self.current_epoch;
        self.nodes[self.me].config_epoch = e;
        out.push(Effect::Event(NodeEvent::ConfigEpoch { epoch: e }));
    }

    /// `clusterUpdateSlotsConfigWith`.
    fn update_slots_config_with(
        &mut self,
        sender: NodeIdx,
        sender_config_epoch: u64,
        slots: &SlotSet,
        now: u64,
        out: &mut Vec<Effect>,
    ) {
        let _ = now;
        if sender == self.me {
            return;
        }
        let curmaster = if self.is_master() { Some(self.me) } else { self.myself().slaveof };
        let mut newmaster = None;
        let mut dirty: Vec<Slot> = Vec::new();
        let mut migrated_our_slots = 0usize;
        // Only the slots where the claim and this node's view differ need a look.
        let sender_slots = slots.len();
        let mine = self.nodes[sender].slots.clone();
        self.owner_not_claiming.remove_common(slots, &mine);
        for j in slots.xor(&mine).iter() {
            if slots.contains(j) {
                if self.importing_from.contains_key(&j) {
                    continue;
                }
                let rebind = self.slot_unclaimed(j)
                    || self.owner(j).is_some_and(|o| self.nodes[o].config_epoch < sender_config_epoch);
                if rebind {
                    if self.owner(j) == Some(self.me) {
                        dirty.push(j);
                    }
                    if self.owner(j).is_some() && self.owner(j) == curmaster {
                        newmaster = Some(sender);
                        migrated_our_slots += 1;
                    }
                    self.del_slot(j);
                    self.add_slot(sender, j);
                    self.owner_not_claiming.remove(j);
                    self.todo.update_state = true;
                }
            } else {
                self.owner_not_claiming.insert(j);
            }
        }
        let cur_slots = curmaster.map_or(0, |m| self.nodes[m].numslots());
        let grandmaster = self.myself().slaveof.and_then(|m| self.nodes[m].slaveof);
        if newmaster.is_some()
            && cur_slots == 0
            && (self.cfg.allow_replica_migration || sender_slots == migrated_our_slots)
        {
            out.push(Effect::Event(NodeEvent::BecameReplica { of: sender }));
            self.set_master(sender, out);
            self.todo.update_state = true;
        } else if let Some(gm) = grandmaster.filter(|&gm| gm != self.me) {
            // A sub-replica: follow the grandmaster.
            out.push(Effect::Event(NodeEvent::BecameReplica { of: gm }));
            self.set_master(gm, out);
            self.todo.update_state = true;
        } else if !dirty.is_empty() {
            // Slots lost while still serving others: drop their keys (a no-op for empty slots).
            out.push(Effect::DeleteSlotKeys(dirty));
        }
    }

    // ---- votes and elections ----------------------------------------------------------------------

    /// `clusterSendFailoverAuthIfNeeded`.
    fn send_failover_auth_if_needed(
        &mut self,
        node: NodeIdx,
        request: &Header,
        now: u64,
        repl: &ReplInfo,
        out: &mut Vec<Effect>,
    ) {
        let master = self.nodes[node].slaveof;
        let deny = |reason: String, out: &mut Vec<Effect>| {
            out.push(Effect::Event(NodeEvent::VoteDenied { candidate: node, reason }))
        };
        if self.is_slave() || self.myself().numslots() == 0 {
            return;
        }
        if request.current_epoch < self.current_epoch {
            deny(format!("reqEpoch ({}) < curEpoch({})", request.current_epoch, self.current_epoch), out);
            return;
        }
        if self.last_vote_epoch == self.current_epoch {
            deny(format!("already voted for epoch {}", self.current_epoch), out);
            return;
        }
        let Some(master) = master else {
            deny("I don't know its master".into(), out);
            return;
        };
        if self.nodes[node].is_master() {
            deny("it is a master node".into(), out);
            return;
        }
        if !self.nodes[master].failed() && !request.force_ack {
            deny("its master is up".into(), out);
            return;
        }
        let since = now.saturating_sub(self.nodes[master].voted_time);
        if since < self.cfg.node_timeout_ms * 2 {
            deny(
                format!("can't vote about this master before {} milliseconds", self.cfg.node_timeout_ms * 2 - since),
                out,
            );
            return;
        }
        for j in request.myslots.iter() {
            if self.slot_unclaimed(j) {
                continue;
            }
            if let Some(o) = self.owner(j) {
                if self.nodes[o].config_epoch > request.config_epoch {
                    deny(
                        format!(
                            "slot {j} epoch ({}) > reqEpoch ({})",
                            self.nodes[o].config_epoch, request.config_epoch
                        ),
                        out,
                    );
                    return;
                }
            }
        }
        self.last_vote_epoch = self.current_epoch;
        self.nodes[master].voted_time = now;
        out.push(Effect::Event(NodeEvent::VoteGranted { candidate: node, epoch: self.current_epoch }));
        if self.nodes[node].link.is_some() {
            let msg = BusMsg { header: self.header(repl), body: Body::AuthAck };
            self.send(node, msg, out);
        }
    }

    /// `clusterGetSlaveRank`.
    pub fn slave_rank(&self, my_offset: u64) -> usize {
        let Some(master) = self.myself().slaveof else {
            return 0;
        };
        self.nodes[master]
            .slaves
            .iter()
            .filter(|&&s| {
                s != self.me && !self.nodes[s].flags.has(Flags::NOFAILOVER) && self.nodes[s].repl_offset > my_offset
            })
            .count()
    }

    /// `clusterHandleSlaveFailover`.
    fn handle_slave_failover(&mut self, now: u64, repl: &ReplInfo, out: &mut Vec<Effect>) {
        self.todo.handle_failover = false;
        let auth_age = now.saturating_sub(self.failover_auth_time);
        let needed_quorum = self.size / 2 + 1;
        let manual_failover = self.mf_end != 0 && self.mf_can_start;
        let timeout = self.cfg.node_timeout_ms;
        let auth_timeout = (timeout * 2).max(2000);
        let auth_retry_time = auth_timeout * 2;
        let Some(master) = self.myself().slaveof else {
            return;
        };
        if self.is_master() || (!self.nodes[master].failed() && !manual_failover) || self.nodes[master].numslots() == 0
        {
            return;
        }
        let mut data_age = repl.data_age_ms;
        if data_age > timeout {
            data_age -= timeout;
        }
        if self.cfg.replica_validity_factor != 0
            && data_age > self.cfg.repl_ping_period_ms + timeout * self.cfg.replica_validity_factor
            && !manual_failover
        {
            return;
        }
        // A failover timed out and the retry time has passed (or none yet): schedule one.
        if auth_age > auth_retry_time {
            self.failover_auth_time = now + 500 + self.rng.below(500);
            self.failover_auth_count = 0;
            self.failover_auth_sent = false;
            self.failover_auth_rank = self.slave_rank(repl.offset);
            self.failover_auth_time += self.failover_auth_rank as u64 * 1000;
            if self.mf_end != 0 {
                self.failover_auth_time = now;
                self.failover_auth_rank = 0;
                self.todo.handle_failover = true;
            }
            out.push(Effect::Event(NodeEvent::ElectionScheduled {
                delay_ms: self.failover_auth_time - now,
                rank: self.failover_auth_rank,
                offset: repl.offset,
            }));
            self.broadcast_pong(true, repl, out);
            return;
        }
        if !self.failover_auth_sent && self.mf_end == 0 {
            let newrank = self.slave_rank(repl.offset);
            if newrank > self.failover_auth_rank {
                self.failover_auth_time += (newrank - self.failover_auth_rank) as u64 * 1000;
                self.failover_auth_rank = newrank;
            }
        }
        if now < self.failover_auth_time {
            return;
        }
        if auth_age > auth_timeout {
            if self.failover_auth_sent && !self.expired_reported {
                self.expired_reported = true;
                out.push(Effect::Event(NodeEvent::ElectionExpired { epoch: self.failover_auth_epoch }));
            }
            return;
        }
        if !self.failover_auth_sent {
            self.current_epoch += 1;
            self.failover_auth_epoch = self.current_epoch;
            out.push(Effect::Event(NodeEvent::ElectionStarted { epoch: self.current_epoch }));
            let force = self.mf_end != 0;
            self.broadcast(Body::AuthRequest, force, repl, out);
            self.failover_auth_sent = true;
            self.expired_reported = false;
            self.todo.update_state = true;
            return;
        }
        if self.failover_auth_count >= needed_quorum {
            out.push(Effect::Event(NodeEvent::ElectionWon {
                epoch: self.failover_auth_epoch,
                votes: self.failover_auth_count,
            }));
            if self.myself().config_epoch < self.failover_auth_epoch {
                self.nodes[self.me].config_epoch = self.failover_auth_epoch;
                out.push(Effect::Event(NodeEvent::ConfigEpoch { epoch: self.failover_auth_epoch }));
            }
            self.failover_replace_your_master(now, repl, out);
        }
    }

    /// `clusterFailoverReplaceYourMaster`.
    pub fn failover_replace_your_master(&mut self, now: u64, repl: &ReplInfo, out: &mut Vec<Effect>) {
        let Some(old) = self.myself().slaveof else {
            return;
        };
        if self.is_master() {
            return;
        }
        self.set_node_as_master(self.me);
        out.push(Effect::StopReplicating);
        let owned: Vec<Slot> = self.nodes[old].slots.iter().collect();
        for j in owned {
            self.del_slot(j);
            self.add_slot(self.me, j);
        }
        self.update_state(now, out);
        self.broadcast_pong(false, repl, out);
        self.reset_manual_failover(out);
    }

    /// `resetManualFailover`.
    fn reset_manual_failover(&mut self, out: &mut Vec<Effect>) {
        if self.mf_slave.is_some() {
            out.push(Effect::PauseWrites(None));
        }
        self.mf_end = 0;
        self.mf_can_start = false;
        self.mf_slave = None;
        self.mf_master_offset = None;
    }

    /// `manualFailoverCheckTimeout`.
    fn manual_failover_check_timeout(&mut self, now: u64, out: &mut Vec<Effect>) {
        if self.mf_end != 0 && self.mf_end < now {
            out.push(Effect::Event(NodeEvent::ManualFailover { what: "timed out".into() }));
            self.reset_manual_failover(out);
        }
    }

    /// `clusterHandleManualFailover`.
    fn handle_manual_failover(&mut self, repl: &ReplInfo) {
        if self.mf_end == 0 || self.mf_can_start {
            return;
        }
        let Some(offset) = self.mf_master_offset else {
            return;
        };
        if offset == repl.offset {
            self.mf_can_start = true;
            self.todo.handle_failover = true;
        } else {
            self.todo.handle_manual_failover = true;
        }
    }

    /// CLUSTER FAILOVER [FORCE|TAKEOVER] on this replica, after the caller checked the
    /// preconditions (see `commands.rs`).
    pub fn start_manual_failover(&mut self, now: u64, force: bool, takeover: bool, repl: &ReplInfo) -> Vec<Effect> {
        let mut out = Vec::new();
        self.reset_manual_failover(&mut out);
        self.mf_end = now + MF_TIMEOUT_MS;
        if takeover {
            out.push(Effect::Event(NodeEvent::ManualFailover { what: "taking over the master (user request)".into() }));
            self.bump_config_epoch_without_consensus(&mut out);
            self.failover_replace_your_master(now, repl, &mut out);
        } else if force {
            out.push(Effect::Event(NodeEvent::ManualFailover { what: "forced failover user request accepted".into() }));
            self.mf_can_start = true;
        } else {
            out.push(Effect::Event(NodeEvent::ManualFailover { what: "manual failover user request accepted".into() }));
            if let Some(m) = self.myself().slaveof {
                let msg = BusMsg { header: self.header(repl), body: Body::MfStart };
                self.send(m, msg, &mut out);
            }
        }
        self.before_sleep(now, repl, &mut out);
        out
    }

    /// `clusterGetMaxEpoch` / `clusterBumpConfigEpochWithoutConsensus`: true if it bumped.
    pub fn bump_config_epoch_without_consensus(&mut self, out: &mut Vec<Effect>) -> bool {
        let max = self.nodes.iter().map(|p| p.config_epoch).max().unwrap_or(0).max(self.current_epoch);
        if self.myself().config_epoch == 0 || self.myself().config_epoch != max {
            self.current_epoch += 1;
            self.nodes[self.me].config_epoch = self.current_epoch;
            out.push(Effect::Event(NodeEvent::ConfigEpoch { epoch: self.current_epoch }));
            true
        } else {
            false
        }
    }

    /// `clusterUpdateState`.
    fn update_state(&mut self, now: u64, out: &mut Vec<Effect>) {
        if self.first_call_time == 0 {
            self.first_call_time = now;
        }
        if self.is_master()
            && self.state == ClusterState::Fail
            && now.saturating_sub(self.first_call_time) < WRITABLE_DELAY_MS
        {
            return;
        }
        let mut new_state = ClusterState::Ok;
        if self.cfg.require_full_coverage && self.slots.iter().any(|o| o.is_none_or(|n| self.nodes[n].failed())) {
            new_state = ClusterState::Fail;
        }
        let (size, reachable) = self.count_size();
        self.size = size;
        if reachable < size / 2 + 1 {
            new_state = ClusterState::Fail;
            self.among_minority_time = now;
        }
        if new_state != self.state {
            let rejoin_delay = self.cfg.node_timeout_ms.clamp(MIN_REJOIN_DELAY_MS, MAX_REJOIN_DELAY_MS);
            if new_state == ClusterState::Ok
                && self.is_master()
                && now.saturating_sub(self.among_minority_time) < rejoin_delay
            {
                return;
            }
            self.state = new_state;
            out.push(Effect::Event(NodeEvent::StateChanged { state: new_state }));
        }
    }
}
