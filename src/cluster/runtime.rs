//! The cluster on the simulation kernel: processes, links and the network they share, the
//! application processes with their cluster clients, the resharding operator, and the faults.
//!
//! Hosts of the modeled network: one per Redis node (127.0.0.1:7000 + i), one per application
//! process, and an operator host (the resharder). All links are TCP-like: in order (FIFO), with
//! the scenario's one-way latency; a partition drops what crosses it. Connection semantics:
//! - a connect to a killed process is refused at once (a closed port answers RST): the cluster
//!   bus then deems a ping sent, a replica retries a second later, a client gets
//!   "Connection is closed.";
//! - killing a process closes its connections: peers see the links drop, replicas lose their
//!   master link, clients' pending commands fail with "Connection is closed.";
//! - across a partition nothing is refused: connects and requests hang until a timeout.
//!
//! Each node runs `clusterCron` (and the store's active expiry, the master's replication upkeep)
//! every 100 ms and `replicationCron` every second; timers of a killed process are dropped (its
//! incarnation changes). Replication lag delays every stream message of a master by
//! `repl_lag_ms`, so writes inside that window are not on any replica yet.
//!
//! The model never looks at a clock: the kernel's time is passed to every machine.

use std::collections::VecDeque;

use super::cli::{CliEntry, CliSession, InSim};
use super::client::{ClientOut, ClientTimer, ClusterClient};
use super::config::{addr_of, node_name, ClusterConfig, Layout, NodeIdx};
use super::keys;
use super::ledger::{Ledger, Position};
use super::metrics::{Metrics, OpRecord, Traffic, TrafficKind};
use super::node::{ClusterNode, Effect, Input, NodeEvent};
use super::replication::{Psync, ReplMsg, ReplOut, Replication, REPL_CRON_MS};
use super::reshard::Resharder;
use super::scenario::{Action, FailoverMode, Scenario, ScenarioError};
use super::server::{ConnState, MigrateRequest, Processed, Server, SideEffects};
use super::slot::{Slot, SlotSet};
use super::workload::{AppOut, Workload};
use crate::redis::browser::FullValue;
use crate::redis::num::format_score;
use crate::redis::{Reply, Store};
use crate::sim::net::{Delivery, LinkConfig, NetEvent, Network, NodeId};
use crate::sim::rewind::{Notable, NotableKind};
use crate::sim::vec_map::{DequeMap, VecMap};
use crate::sim::{Ctx, Distribution, Model, SimDuration, SimRng, SimTime, Simulation, TEST_EPOCH};

/// `clusterCron` period.
pub const CRON_MS: u64 = 100;
/// Lines kept in the operator log.
pub const LOG_KEPT: usize = 200;

/// What travels between hosts.
#[derive(Clone, Debug)]
pub enum Wire {
    /// A cluster-bus message; `link` is the sender's outbound link it went on, `reply_on` the
    /// receiver's link it answers on (a PONG to the receiver's PING).
    Bus {
        msg: Box<super::bus::BusMsg>,
        link: Option<u64>,
        reply_on: Option<u64>,
    },
    /// TCP connect of a bus link, its acceptance, its refusal.
    BusSyn {
        link: u64,
    },
    BusSynAck {
        link: u64,
    },
    BusRst {
        link: u64,
    },
    Repl(Box<ReplMsg>),
    ReplSyn {
        conn: u64,
    },
    ReplSynAck {
        conn: u64,
    },
    ReplRst {
        conn: u64,
    },
    /// A client command (ASKING first when `asking`; on a READONLY connection when `readonly`).
    Request {
        req: u64,
        attempt: u32,
        argv: Vec<Vec<u8>>,
        asking: bool,
        readonly: bool,
    },
    /// Its reply; `write` is the position of a write a master applied.
    Response {
        req: u64,
        attempt: u32,
        reply: Reply,
        write: Option<Position>,
    },
    /// The sender's process died: its connections close (after what was already on the wire).
    Eof,
}

impl Wire {
    pub fn summary(&self) -> String {
        match self {
            Wire::Bus { msg, .. } => msg.summary(),
            Wire::BusSyn { .. } => "bus connect".into(),
            Wire::BusSynAck { .. } => "bus connect accepted".into(),
            Wire::BusRst { .. } => "bus connect refused".into(),
            Wire::Repl(m) => m.summary(),
            Wire::ReplSyn { .. } => "replication connect".into(),
            Wire::ReplSynAck { .. } => "replication connect accepted".into(),
            Wire::ReplRst { .. } => "replication connect refused".into(),
            Wire::Request { argv, .. } => {
                let words: Vec<String> = argv.iter().take(3).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
                words.join(" ")
            }
            Wire::Response { reply, .. } => crate::redis::cli::format_inline(reply),
            Wire::Eof => "connections closed".into(),
        }
    }
}

/// Timers, each on a host.
#[derive(Clone, Debug)]
pub enum Timer {
    /// A node's 100 ms tick (`clusterCron`, active expiry, replication upkeep).
    Tick {
        inc: u32,
    },
    /// A replication message held back by the lag.
    Deferred {
        inc: u32,
        to: NodeIdx,
        msg: Box<ReplMsg>,
    },
    Client(ClientTimer),
    /// A client's connect was refused.
    ConnRefused {
        req: u64,
        attempt: u32,
    },
    Arrival {
        write: bool,
    },
    Origin {
        op: u64,
    },
    /// The 100 ms metrics sample.
    Sample,
    /// The operator's connect was refused.
    AdminRefused {
        req: u64,
    },
    /// Count the acknowledged writes no node holds any more (see `ledger.rs`).
    Settle,
    /// A blocked WAIT's timeout (`handleBlockedClientsTimeout`).
    WaitDeadline {
        inc: u32,
    },
}

pub type Net = Network<Wire, Timer>;

/// The kernel's events.
#[derive(Clone, Debug)]
pub enum Ev {
    Net(NetEvent<Wire, Timer>),
    Act(Action),
}

impl From<NetEvent<Wire, Timer>> for Ev {
    fn from(e: NetEvent<Wire, Timer>) -> Self {
        Ev::Net(e)
    }
}

/// A command waiting on a node (blocked WAIT, paused write): who asked.
#[derive(Clone, Debug, PartialEq)]
struct Asker {
    host: usize,
    req: u64,
    attempt: u32,
}

#[derive(Clone, Debug)]
struct PausedReq {
    asker: Asker,
    argv: Vec<Vec<u8>>,
    asking: bool,
    readonly: bool,
}

/// The operator host's id among requesters: the CLI.
pub const CLI_HOST: usize = usize::MAX;

/// The whole cluster world. Cloning it is a rewind snapshot.
#[derive(Clone)]
pub struct ClusterSim {
    pub scenario: Scenario,
    pub start: SimTime,
    pub end: SimTime,
    pub net: Net,
    pub servers: Vec<Server>,
    pub alive: Vec<bool>,
    inc: Vec<u32>,
    ticks: Vec<u64>,
    /// The `nodes.conf` of a killed node.
    saved: Vec<Option<ClusterNode>>,
    conns: VecMap<(usize, NodeIdx), ConnState>,
    blocked: VecMap<(NodeIdx, u64), Asker>,
    paused: Vec<Vec<PausedReq>>,
    /// Requests on the wire to a node: (req, host) → (node, attempt). Keyed request first so new
    /// requests land at the end (each host numbers its own).
    inflight: DequeMap<(u64, usize), (NodeIdx, u32)>,
    pub ledger: Ledger,
    pub clients: Vec<ClusterClient>,
    /// The workload's operation of each application request: (req, client) → op.
    op_of: DequeMap<(u64, usize), u64>,
    pub workload: Workload,
    pub resharder: Option<Resharder>,
    reshard_req: Option<u64>,
    next_admin_req: u64,
    pub metrics: Metrics,
    last_redirects: (u64, u64),
    settle_pending: bool,
    pub extra_latency: Vec<u64>,
    /// The partitioned side, if any.
    pub partition: Option<(Vec<NodeIdx>, Vec<usize>)>,
    /// Operator actions and their outcomes.
    pub log: VecDeque<(u64, String)>,
    /// Replies to CLI commands that blocked (WAIT) or were paused.
    pub cli_replies: VecDeque<Reply>,
    pub names: Vec<String>,
    rng: SimRng,
    /// The page's `redis-cli -c` session and its transcript (at most [`TRANSCRIPT_KEPT`] lines);
    /// part of the run, so rewinding takes typed commands back with everything else.
    pub session: CliSession,
    pub transcript: VecDeque<CliEntry>,
    /// The transcript line whose command is waiting (a blocked WAIT, a paused write).
    cli_waiting: Option<u64>,
    /// What became notable since the last look (see `cluster::replay`), at most [`NOTABLE_KEPT`].
    pub(crate) notable: Vec<Notable>,
    pub(crate) notable_state: NotableState,
}

/// redis-cli transcript lines kept.
pub const TRANSCRIPT_KEPT: usize = 200;
/// Notable events held between two looks (a run nobody rewinds never looks).
pub const NOTABLE_KEPT: usize = 256;

/// What the notable detectors remember.
#[derive(Clone, Debug, Default)]
pub(crate) struct NotableState {
    /// When each node was last marked as possibly failing (ms since the start).
    pub pfail_at: VecMap<NodeIdx, u64>,
    /// Lost acknowledged writes already reported.
    pub lost: u64,
    /// The second of the last MOVED storm reported.
    pub storm_second: Option<u64>,
}

fn argv_of(words: &[&str]) -> Vec<Vec<u8>> {
    words.iter().map(|w| w.as_bytes().to_vec()).collect()
}

impl ClusterSim {
    /// Roughly the heap bytes this world holds, weighed by what it keeps: each server (store,
    /// cluster view, backlog), the saved `nodes.conf`s, the ledger, each client's slot table and
    /// requests, the workload's writes, the metrics' kept series and the transcripts. What a rewind
    /// snapshot of it costs (nothing here is shared between clones).
    pub fn heap_bytes(&self) -> usize {
        use crate::cluster::metrics::{Bucket, FailoverRecord, TimedEvent};
        use std::mem::size_of;
        let m = &self.metrics;
        let metrics = m.buckets.len() * size_of::<Bucket>()
            + m.events.len() * size_of::<TimedEvent>()
            + m.failovers.len() * size_of::<FailoverRecord>()
            + m.recent.iter().map(|r| size_of::<OpRecord>() + r.what.len() + r.outcome.len()).sum::<usize>()
            + (m.bus.len() + m.redirected.len()) * size_of::<Traffic>()
            + m.totals.errors.keys().map(|k| size_of::<(String, u64)>() + k.len() + 16).sum::<usize>();
        let text = self.log.iter().map(|(_, l)| size_of::<(u64, String)>() + l.len()).sum::<usize>()
            + self
                .transcript
                .iter()
                .map(|e| size_of::<CliEntry>() + e.prompt.len() + e.command.len() + e.output.len())
                .sum::<usize>();
        let paused: usize = self
            .paused
            .iter()
            .flatten()
            .map(|p| size_of::<PausedReq>() + p.argv.iter().map(|a| size_of::<Vec<u8>>() + a.len()).sum::<usize>())
            .sum();
        // Per-connection and per-request tables: their entries and a BTreeMap node's share.
        let tables = self.conns.len() * (size_of::<((usize, NodeIdx), ConnState)>() + 16)
            + self.blocked.len() * (size_of::<((NodeIdx, u64), Asker)>() + 16)
            + (self.inflight.len() + self.op_of.len()) * (size_of::<((u64, usize), (NodeIdx, u32))>() + 16);
        size_of::<Self>()
            + self.servers.iter().map(Server::heap_bytes).sum::<usize>()
            + self.saved.iter().flatten().map(ClusterNode::heap_bytes).sum::<usize>()
            + self.ledger.heap_bytes()
            + self.clients.iter().map(ClusterClient::heap_bytes).sum::<usize>()
            + self.workload.heap_bytes()
            + metrics
            + text
            + paused
            + tables
    }
}

impl ClusterSim {
    /// Builds the world for `scenario` from `seed` (a created, joined, empty cluster).
    pub fn new(scenario: Scenario, seed: u64) -> Result<ClusterSim, ScenarioError> {
        Self::new_at(scenario, seed, TEST_EPOCH)
    }

    /// Like [`ClusterSim::new`], with the clock starting at `start` (a replay's epoch).
    pub fn new_at(scenario: Scenario, seed: u64, start: SimTime) -> Result<ClusterSim, ScenarioError> {
        scenario.validate()?;
        let rng = SimRng::new(seed).child("cluster");
        let cfg: ClusterConfig = scenario.cluster.clone();
        let n = cfg.nodes();
        let now = start.as_unix_ms();
        let mut names_rng = rng.child("names");
        let names: Vec<String> = (0..n).map(|_| node_name(&mut names_rng)).collect();
        let layout = Layout::create(cfg.masters, cfg.replicas, &mut rng.child("layout"));
        let mut ledger = Ledger::new();
        let mut servers = Vec::with_capacity(n);
        for i in 0..n {
            let cluster =
                ClusterNode::created(i, cfg.clone(), &layout, names.clone(), now, rng.child_indexed("node", i as u64));
            let store = Store::new(rng.child_indexed("store", i as u64));
            let repl = Replication::new(0, cfg.repl_backlog_bytes, now);
            servers.push(Server::new(i, cluster, store, repl));
        }
        // Each master's history; its replicas start in sync with it (an empty dataset).
        for m in 0..n {
            if layout.replica_of[m].is_none() {
                let h = ledger.new_history(None);
                servers[m].repl.hist = h;
                for r in layout.replicas_of(m) {
                    servers[r].repl.hist = h;
                    servers[r].repl.attach_synced(m, 1, now);
                    servers[m].repl.accept_synced(r, 1, now);
                }
            }
        }
        let clients_n = scenario.workload.clients;
        let mut net = Network::new(rng.child("net"), Distribution::Constant { ms: scenario.latency_ms as f64 });
        net.set_fifo(true);
        for i in 0..n {
            net.add_node(&format!(":{}", super::config::port_of(i))).expect("distinct names");
        }
        for c in 0..clients_n {
            net.add_node(&format!("app{}", c + 1)).expect("distinct names");
        }
        net.add_node("operator").expect("distinct names");
        let clients = (0..clients_n)
            .map(|c| ClusterClient::new(scenario.client.clone(), n, rng.child_indexed("client", c as u64)))
            .collect();
        let workload = Workload::new(scenario.workload.clone(), rng.child("workload"));
        let end = start + SimDuration::from_millis(scenario.duration_ms);
        Ok(ClusterSim {
            scenario,
            start,
            end,
            net,
            servers,
            alive: vec![true; n],
            inc: vec![0; n],
            ticks: vec![0; n],
            saved: vec![None; n],
            conns: VecMap::new(),
            blocked: VecMap::new(),
            paused: vec![Vec::new(); n],
            inflight: DequeMap::new(),
            ledger,
            clients,
            op_of: DequeMap::new(),
            workload,
            resharder: None,
            reshard_req: None,
            next_admin_req: 1,
            metrics: Metrics::default(),
            last_redirects: (0, 0),
            settle_pending: false,
            extra_latency: vec![0; n],
            partition: None,
            log: VecDeque::new(),
            cli_replies: VecDeque::new(),
            names,
            rng,
            session: CliSession::default(),
            transcript: VecDeque::new(),
            cli_waiting: None,
            notable: Vec::new(),
            notable_state: NotableState::default(),
        })
    }

    pub fn nodes(&self) -> usize {
        self.servers.len()
    }
    fn client_host(&self, c: usize) -> NodeId {
        NodeId((self.nodes() + c) as u32)
    }
    fn admin_host(&self) -> NodeId {
        NodeId((self.nodes() + self.clients.len()) as u32)
    }
    /// Requester id of a network host (nodes are not requesters).
    fn requester_of(&self, host: NodeId) -> usize {
        host.0 as usize - self.nodes()
    }
    fn host_of_requester(&self, r: usize) -> NodeId {
        NodeId((self.nodes() + r) as u32)
    }
    fn admin_requester(&self) -> usize {
        self.clients.len()
    }

    /// Virtual ms since the run started.
    pub fn elapsed_ms(&self, now: SimTime) -> u64 {
        now.saturating_since(self.start).as_millis()
    }

    /// Requests on the wire (bounded: every one is answered, timed out or forgotten).
    pub fn inflight_len(&self) -> usize {
        self.inflight.len()
    }

    /// Where every live node's data is.
    pub fn positions(&self) -> Vec<Position> {
        (0..self.nodes()).filter(|&i| self.alive[i]).map(|i| self.servers[i].repl.position()).collect()
    }

    fn log(&mut self, now: SimTime, line: String) {
        self.log.push_back((self.elapsed_ms(now), line));
        while self.log.len() > LOG_KEPT {
            self.log.pop_front();
        }
    }

    /// Schedules everything a fresh run starts with.
    pub fn boot(&mut self, ctx: &mut Ctx<'_, Ev>) {
        // The preloaded tagged keys, written on their master and streamed to its replicas.
        let now = ctx.now();
        for n in 0..self.scenario.workload.tagged_keys {
            let key = super::workload::tagged_key(n);
            let Some(m) = self.servers[0].cluster.owner(super::slot::key_slot(&key)) else {
                continue;
            };
            let argv = vec![b"SET".to_vec(), key, format!("order-{n}").into_bytes()];
            self.servers[m].store.execute(now, &argv);
            let mut outs = Vec::new();
            self.servers[m].repl.feed(argv, &mut outs);
            self.repl_outs(ctx, m, outs);
        }
        for i in 0..self.nodes() {
            let phase = self.rng.below(CRON_MS) + 1;
            self.net.set_timer(ctx, NodeId(i as u32), SimDuration::from_millis(phase), Timer::Tick { inc: 0 });
        }
        for c in 0..self.clients.len() {
            let outs = self.clients[c].start();
            self.client_outs(ctx, c, outs);
        }
        let admin = self.admin_host();
        self.net.set_timer(ctx, admin, SimDuration::from_millis(CRON_MS), Timer::Sample);
        for write in [false, true] {
            if let Some(d) = self.workload.next_arrival(write) {
                self.net.set_timer(ctx, admin, SimDuration::from_millis(200) + d, Timer::Arrival { write });
            }
        }
        for s in self.scenario.steps.clone() {
            ctx.schedule_at(self.start + SimDuration::from_millis(s.at_ms), Ev::Act(s.action));
        }
    }

    // ---- effects ----------------------------------------------------------------------------------

    fn cluster_effects(
        &mut self,
        ctx: &mut Ctx<'_, Ev>,
        i: NodeIdx,
        effects: Vec<Effect>,
        packet: Option<(NodeIdx, Option<u64>)>,
        slaveof_before: Option<NodeIdx>,
    ) {
        let now = ctx.now();
        for e in effects {
            match e {
                Effect::Send { to, link, msg } => {
                    self.net.send(
                        ctx,
                        NodeId(i as u32),
                        NodeId(to as u32),
                        Wire::Bus { msg: Box::new(msg), link: Some(link), reply_on: None },
                    );
                }
                Effect::Reply { to, their_link, msg } => {
                    let their = their_link.or_else(|| packet.filter(|(from, _)| *from == to).and_then(|(_, l)| l));
                    self.net.send(
                        ctx,
                        NodeId(i as u32),
                        NodeId(to as u32),
                        Wire::Bus { msg: Box::new(msg), link: None, reply_on: their },
                    );
                }
                Effect::Connect { to, link } => {
                    // A non-blocking connect on loopback answers later even when refused
                    // (EINPROGRESS, then the RST): the link exists, connecting, until then.
                    if !self.net.is_cut(NodeId(i as u32), NodeId(to as u32)) {
                        self.net.send(ctx, NodeId(i as u32), NodeId(to as u32), Wire::BusSyn { link });
                    }
                }
                Effect::ReplicateFrom(m) => {
                    let replicas: Vec<NodeIdx> = self.servers[i].repl.replicas.keys().copied().collect();
                    for r in replicas {
                        self.servers[r].repl.link_lost(None, now.as_unix_ms());
                    }
                    if let Some(old) = self.servers[i].repl.master.as_ref().map(|l| l.master) {
                        if old != m {
                            self.servers[old].repl.drop_replica(i);
                        }
                    }
                    self.servers[i].repl.set_master(m, now.as_unix_ms());
                }
                Effect::StopReplicating => {
                    if let Some(old) = self.servers[i].repl.master.as_ref().map(|l| l.master) {
                        self.servers[old].repl.drop_replica(i);
                    }
                    let srv = &mut self.servers[i];
                    srv.repl.unset_master(&mut self.ledger, now.as_unix_ms());
                }
                Effect::DeleteSlotKeys(slots) => {
                    self.servers[i].delete_slot_keys(now, &slots);
                }
                Effect::PauseWrites(until) => {
                    self.servers[i].pause_until = until;
                    if until.is_none() {
                        self.resume_paused(ctx, i);
                    }
                }
                Effect::Event(ev) => {
                    let at = self.elapsed_ms(now);
                    let notable = self.notable_event(at, i, &ev);
                    let servers = &self.servers;
                    let replica_of = |n: NodeIdx| {
                        if n == i {
                            slaveof_before
                        } else {
                            servers[n].cluster.myself().slaveof
                        }
                    };
                    if let NodeEvent::ElectionWon { .. } = ev {
                        let line = format!("{} won the election and takes over", addr_of(i));
                        self.metrics.event(at, i, ev, replica_of);
                        self.log(now, line);
                    } else {
                        self.metrics.event(at, i, ev, replica_of);
                    }
                    if let Some(n) = notable {
                        self.push_notable(n);
                    }
                }
            }
        }
    }

    fn repl_outs(&mut self, ctx: &mut Ctx<'_, Ev>, i: NodeIdx, outs: Vec<ReplOut>) {
        let now = ctx.now();
        for o in outs {
            match o {
                ReplOut::Send { to, msg } => {
                    let lag = self.scenario.repl_lag_ms;
                    if lag > 0 && matches!(msg, ReplMsg::Stream { .. }) {
                        let inc = self.inc[i];
                        self.net.set_timer(
                            ctx,
                            NodeId(i as u32),
                            SimDuration::from_millis(lag),
                            Timer::Deferred { inc, to, msg: Box::new(msg) },
                        );
                    } else {
                        self.net.send(ctx, NodeId(i as u32), NodeId(to as u32), Wire::Repl(Box::new(msg)));
                    }
                }
                ReplOut::Connect { to, conn } => {
                    if !self.alive[to] {
                        self.servers[i].repl.link_lost(Some(conn), now.as_unix_ms());
                    } else if !self.net.is_cut(NodeId(i as u32), NodeId(to as u32)) {
                        self.net.send(ctx, NodeId(i as u32), NodeId(to as u32), Wire::ReplSyn { conn });
                    }
                }
                ReplOut::DataChanged => self.request_settle(ctx),
            }
        }
    }

    fn side_effects(&mut self, ctx: &mut Ctx<'_, Ev>, i: NodeIdx, fx: SideEffects, slaveof_before: Option<NodeIdx>) {
        self.cluster_effects(ctx, i, fx.cluster, None, slaveof_before);
        self.repl_outs(ctx, i, fx.repl);
        self.answer_waits(ctx, i);
    }

    fn client_outs(&mut self, ctx: &mut Ctx<'_, Ev>, c: usize, outs: Vec<ClientOut>) {
        let host = self.client_host(c);
        for o in outs {
            match o {
                ClientOut::Send { node, req, attempt, argv, asking, readonly } => {
                    self.inflight.insert((req, c), (node, attempt));
                    if !self.alive[node] {
                        let rtt = SimDuration::from_millis((2 * self.scenario.latency_ms).max(1));
                        self.net.set_timer(ctx, host, rtt, Timer::ConnRefused { req, attempt });
                    } else {
                        self.net.send(
                            ctx,
                            host,
                            NodeId(node as u32),
                            Wire::Request { req, attempt, argv, asking, readonly },
                        );
                    }
                }
                ClientOut::Timer { after, timer } => {
                    self.net.set_timer(ctx, host, after, Timer::Client(timer));
                }
                ClientOut::Forget { req } => {
                    self.inflight.remove(&(req, c));
                }
                ClientOut::Done { req, result, redirects } => {
                    self.inflight.remove(&(req, c));
                    let Some(op) = self.op_of.remove(&(req, c)) else {
                        continue;
                    };
                    let now_ms = self.elapsed_ms(ctx.now());
                    let (apps, finished) = self.workload.command_done(now_ms, op, result, redirects);
                    if let Some(f) = finished {
                        let outcome = match (&f.error, f.hit) {
                            (Some(e), _) => e.message(),
                            (None, Some(true)) => "hit".into(),
                            (None, Some(false)) => "miss, cached".into(),
                            (None, None) => "OK".into(),
                        };
                        let rec = OpRecord {
                            at_ms: now_ms,
                            client: f.client,
                            what: f.what,
                            outcome,
                            latency_ms: f.latency_ms,
                            redirects: f.redirects,
                        };
                        self.metrics.op(rec, f.hit, f.write, f.error.as_ref().map(|e| e.kind()));
                    }
                    for a in apps {
                        self.app_out(ctx, a);
                    }
                }
            }
        }
    }

    fn app_out(&mut self, ctx: &mut Ctx<'_, Ev>, a: AppOut) {
        match a {
            AppOut::Submit { client, op, argv } => {
                let mut outs = Vec::new();
                let req = self.clients[client].submit(argv, &mut outs);
                self.op_of.insert((req, client), op);
                self.client_outs(ctx, client, outs);
            }
            AppOut::Origin { op, after } => {
                let admin = self.admin_host();
                self.net.set_timer(ctx, admin, after, Timer::Origin { op });
            }
        }
    }

    // ---- command execution on a node ---------------------------------------------------------------

    /// Runs a command from requester `host` on node `i`; answers at once unless it blocks.
    fn serve(
        &mut self,
        ctx: &mut Ctx<'_, Ev>,
        i: NodeIdx,
        asker: Asker,
        argv: Vec<Vec<u8>>,
        asking: bool,
        readonly: bool,
    ) {
        let now = ctx.now();
        let mut conn = self.conns.get(&(asker.host, i)).copied().unwrap_or_default();
        conn.readonly = readonly || (conn.readonly && asker.host == CLI_HOST);
        if asking {
            conn.asking = true;
        }
        let mut fx = SideEffects::default();
        let slaveof_before = self.servers[i].cluster.myself().slaveof;
        let processed = self.servers[i].process(now, &mut conn, &argv, &mut fx);
        self.conns.insert((asker.host, i), conn);
        match processed {
            Processed::Reply { reply, write } => self.respond(ctx, i, &asker, reply, write),
            Processed::Blocked { wait } => {
                self.blocked.insert((i, wait), asker);
                if let Some(d) = self.servers[i].next_wait_deadline() {
                    let after = SimDuration::from_millis(d.saturating_sub(now.as_unix_ms()));
                    let inc = self.inc[i];
                    self.net.set_timer(ctx, NodeId(i as u32), after, Timer::WaitDeadline { inc });
                }
            }
            Processed::Paused => self.paused[i].push(PausedReq { asker, argv, asking, readonly }),
            Processed::Migrate(m) => {
                let (reply, target) = self.migrate(now, i, &m, &mut fx);
                self.respond(ctx, i, &asker, reply, None);
                if let Some((to, tfx)) = target {
                    let before = self.servers[to].cluster.myself().slaveof;
                    self.side_effects(ctx, to, tfx, before);
                }
            }
        }
        self.side_effects(ctx, i, fx, slaveof_before);
    }

    fn respond(&mut self, ctx: &mut Ctx<'_, Ev>, i: NodeIdx, asker: &Asker, reply: Reply, write: Option<Position>) {
        if asker.host == CLI_HOST {
            self.cli_replies.push_back(reply);
            return;
        }
        let to = self.host_of_requester(asker.host);
        self.net.send(
            ctx,
            NodeId(i as u32),
            to,
            Wire::Response { req: asker.req, attempt: asker.attempt, reply, write },
        );
    }

    fn answer_waits(&mut self, ctx: &mut Ctx<'_, Ev>, i: NodeIdx) {
        let now = ctx.now().as_unix_ms();
        for (wait, reply) in self.servers[i].check_waits(now) {
            if let Some(asker) = self.blocked.remove(&(i, wait)) {
                self.respond(ctx, i, &asker, reply, None);
            }
        }
    }

    fn resume_paused(&mut self, ctx: &mut Ctx<'_, Ev>, i: NodeIdx) {
        let queued = std::mem::take(&mut self.paused[i]);
        for p in queued {
            self.serve(ctx, i, p.asker, p.argv, p.asking, p.readonly);
        }
    }

    /// MIGRATE from node `src` (`migrateCommand` with RESTORE-ASKING on the target), done in one
    /// step: the keys' values are restored on the target (and propagated there), then deleted
    /// from the source unless COPY.
    fn migrate(
        &mut self,
        now: SimTime,
        src: NodeIdx,
        m: &MigrateRequest,
        fx: &mut SideEffects,
    ) -> (Reply, Option<(NodeIdx, SideEffects)>) {
        let to = m.target;
        if to == src || !self.alive[to] || self.net.is_cut(NodeId(src as u32), NodeId(to as u32)) {
            return (Reply::error("IOERR error or timeout connecting to the client"), None);
        }
        let dumps: Vec<(Vec<u8>, FullValue, Option<u64>)> = m
            .keys
            .iter()
            .filter_map(|k| self.servers[src].store.full_value(now, k).map(|(v, ttl)| (k.clone(), v, ttl)))
            .collect();
        if dumps.is_empty() {
            return (Reply::Status("NOKEY".into()), None);
        }
        let set_info = keys::command_info(b"set").expect("SET is in the table");
        for (k, _, _) in &dumps {
            let probe = vec![b"SET".to_vec(), k.clone(), Vec::new()];
            let asking = ConnState { asking: true, ..ConnState::default() };
            if let Some(Reply::Error(e)) = self.servers[to].route(now, &set_info, &probe, &asking).error() {
                return (Reply::Error(format!("ERR Target instance replied with error: {e}")), None);
            }
            if self.servers[to].cluster.is_slave() {
                return (
                    Reply::error(
                        "ERR Target instance replied with error: READONLY You can't write against a read only replica.",
                    ),
                    None,
                );
            }
            if !m.replace && self.servers[to].store.full_value(now, k).is_some() {
                return (
                    Reply::error("ERR Target instance replied with error: BUSYKEY Target key name already exists."),
                    None,
                );
            }
        }
        let mut target_fx = SideEffects::default();
        for (k, v, ttl) in dumps {
            let deadline = ttl.map(|t| self.servers[to].store.store_time(now).as_unix_ms().saturating_add(t));
            for cmd in restore_commands(&k, v, deadline) {
                self.servers[to].store.execute(now, &cmd);
                self.servers[to].repl.feed(cmd, &mut target_fx.repl);
            }
            if !m.copy {
                let del = vec![b"DEL".to_vec(), k];
                self.servers[src].store.execute(now, &del);
                self.servers[src].repl.feed(del, &mut fx.repl);
            }
        }
        (Reply::ok(), Some((to, target_fx)))
    }
}

/// The commands that rebuild a key's value on another node (what RESTORE does from a DUMP).
pub fn restore_commands(key: &[u8], value: FullValue, deadline_ms: Option<u64>) -> Vec<Vec<Vec<u8>>> {
    let k = key.to_vec();
    let mut out = vec![vec![b"DEL".to_vec(), k.clone()]];
    let chunked = |cmd: &[u8], items: Vec<Vec<u8>>, per: usize, out: &mut Vec<Vec<Vec<u8>>>| {
        for chunk in items.chunks(per.max(1) * 500) {
            let mut argv = vec![cmd.to_vec(), k.clone()];
            argv.extend(chunk.iter().cloned());
            out.push(argv);
        }
    };
    match value {
        FullValue::String(s) => out.push(vec![b"SET".to_vec(), k.clone(), s]),
        FullValue::List(l) => chunked(b"RPUSH", l, 1, &mut out),
        FullValue::Set(s) => chunked(b"SADD", s, 1, &mut out),
        FullValue::Hash(h) => chunked(b"HSET", h.into_iter().flat_map(|(f, v)| [f, v]).collect(), 2, &mut out),
        FullValue::ZSet(z) => {
            chunked(b"ZADD", z.into_iter().flat_map(|(m, s)| [format_score(s).into_bytes(), m]).collect(), 2, &mut out)
        }
        // Real MIGRATE moves a DUMP payload; rebuilt by commands, a stream keeps its entries, groups,
        // consumers and pending IDs, but not deleted-entry counters, entries_read or delivery counts.
        FullValue::Stream { entries, groups, .. } => {
            for (id, fields) in entries {
                let mut argv = vec![b"XADD".to_vec(), k.clone(), id.into_bytes()];
                argv.extend(fields.into_iter().flat_map(|(f, v)| [f, v]));
                out.push(argv);
            }
            for g in groups {
                out.push(vec![
                    b"XGROUP".to_vec(),
                    b"CREATE".to_vec(),
                    k.clone(),
                    g.name.clone(),
                    g.last_delivered.into_bytes(),
                    b"MKSTREAM".to_vec(),
                ]);
                for c in g.consumers {
                    let (consumer, pending): (Vec<u8>, Vec<String>) =
                        (c.name, c.pending.into_iter().map(|p| p.id).collect());
                    out.push(vec![
                        b"XGROUP".to_vec(),
                        b"CREATECONSUMER".to_vec(),
                        k.clone(),
                        g.name.clone(),
                        consumer.clone(),
                    ]);
                    for ids in pending.chunks(500) {
                        let mut argv =
                            vec![b"XCLAIM".to_vec(), k.clone(), g.name.clone(), consumer.clone(), b"0".to_vec()];
                        argv.extend(ids.iter().map(|id| id.clone().into_bytes()));
                        argv.extend([b"FORCE".to_vec(), b"JUSTID".to_vec()]);
                        out.push(argv);
                    }
                }
            }
        }
    }
    if let Some(d) = deadline_ms {
        out.push(vec![b"PEXPIREAT".to_vec(), k, d.to_string().into_bytes()]);
    }
    out
}

// ---- events --------------------------------------------------------------------------------------

impl ClusterSim {
    fn node_input(&mut self, ctx: &mut Ctx<'_, Ev>, i: NodeIdx, input: Input, packet: Option<(NodeIdx, Option<u64>)>) {
        let now = ctx.now().as_unix_ms();
        let repl = self.servers[i].repl_info(now);
        let before = self.servers[i].cluster.myself().slaveof;
        let effects = self.servers[i].cluster.handle(now, &repl, input);
        self.cluster_effects(ctx, i, effects, packet, before);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Ev>, from: NodeId, to: NodeId, msg: Wire) {
        let n = self.nodes();
        let (a, b) = (from.0 as usize, to.0 as usize);
        let now = ctx.now();
        if b < n && !self.alive[b] {
            // A dead process receives nothing; a connect attempt is refused.
            match msg {
                Wire::BusSyn { link } => {
                    self.net.send(ctx, to, from, Wire::BusRst { link });
                }
                Wire::ReplSyn { conn } => {
                    self.net.send(ctx, to, from, Wire::ReplRst { conn });
                }
                _ => {}
            }
            return;
        }
        if a < n && b < n && !self.alive[b] {
            return;
        }
        match msg {
            Wire::Bus { msg, link, reply_on } => {
                let at_ms = self.elapsed_ms(now);
                self.metrics.traffic(Traffic { at_ms, from: a, to: b, kind: TrafficKind::of_bus(msg.kind()) });
                self.node_input(ctx, b, Input::Packet { from: a, msg: *msg, reply_on }, Some((a, link)));
            }
            Wire::BusSyn { link } => {
                self.net.send(ctx, to, from, Wire::BusSynAck { link });
            }
            Wire::BusSynAck { link } => self.node_input(ctx, b, Input::LinkUp { peer: a, link }, None),
            Wire::BusRst { link } => self.node_input(ctx, b, Input::LinkDown { peer: a, link }, None),
            Wire::Repl(m) => self.on_repl(ctx, a, b, *m),
            Wire::ReplSyn { conn } => {
                self.net.send(ctx, to, from, Wire::ReplSynAck { conn });
            }
            Wire::ReplSynAck { conn } => {
                let mut outs = Vec::new();
                self.servers[b].repl.connected(conn, now.as_unix_ms(), &mut outs);
                self.repl_outs(ctx, b, outs);
            }
            Wire::ReplRst { conn } => self.servers[b].repl.link_lost(Some(conn), now.as_unix_ms()),
            Wire::Request { req, attempt, argv, asking, readonly } => {
                let host = self.requester_of(from);
                self.serve(ctx, b, Asker { host, req, attempt }, argv, asking, readonly);
            }
            Wire::Eof => self.on_eof(ctx, a, b),
            Wire::Response { req, attempt, reply, write } => {
                let r = self.requester_of(to);
                self.inflight.remove(&(req, r));
                if r == self.admin_requester() {
                    self.reshard_reply(ctx, req, Ok(reply));
                    return;
                }
                if let Some(pos) = write {
                    let positions = self.positions();
                    let not_before = now.as_unix_ms() + self.landing_ms();
                    if !self.ledger.acknowledge(pos.hist, pos.offset, &positions, not_before) {
                        self.request_settle(ctx);
                    }
                }
                if let Reply::Error(e) = &reply {
                    let kind = if e.starts_with("MOVED ") {
                        Some(TrafficKind::Moved)
                    } else if e.starts_with("ASK ") {
                        Some(TrafficKind::Ask)
                    } else {
                        None
                    };
                    if let Some(kind) = kind.filter(|_| a < n) {
                        let at_ms = self.elapsed_ms(now);
                        self.metrics.traffic(Traffic { at_ms, from: a, to: r, kind });
                    }
                }
                let mut outs = Vec::new();
                self.clients[r].on_reply(req, attempt, reply, &mut outs);
                self.client_outs(ctx, r, outs);
            }
        }
    }

    /// Host `h` sees the connections of the dead node `dead` close.
    fn on_eof(&mut self, ctx: &mut Ctx<'_, Ev>, dead: NodeIdx, h: usize) {
        let now = ctx.now().as_unix_ms();
        if h < self.nodes() {
            if let Some(link) = self.servers[h].cluster.nodes[dead].link.as_ref().map(|l| l.id) {
                self.node_input(ctx, h, Input::LinkDown { peer: dead, link }, None);
            }
            if self.servers[h].repl.master.as_ref().is_some_and(|l| l.master == dead) {
                self.servers[h].repl.link_lost(None, now);
            }
            self.servers[h].repl.drop_replica(dead);
            return;
        }
        let r = h - self.nodes();
        let lost: Vec<(u64, u32)> = self
            .inflight
            .iter()
            .filter(|((_, host), (n, _))| *host == r && *n == dead)
            .map(|((req, _), (_, a))| (*req, *a))
            .collect();
        for (req, attempt) in lost {
            self.inflight.remove(&(req, r));
            if r == self.admin_requester() {
                self.reshard_reply(ctx, req, Err("I/O error: connection closed".into()));
            } else {
                let mut outs = Vec::new();
                self.clients[r].on_connection_error(req, attempt, &mut outs);
                self.client_outs(ctx, r, outs);
            }
        }
    }

    fn on_repl(&mut self, ctx: &mut Ctx<'_, Ev>, from: NodeIdx, i: NodeIdx, msg: ReplMsg) {
        let now = ctx.now();
        let nowms = now.as_unix_ms();
        let mut outs = Vec::new();
        match msg {
            ReplMsg::Psync { conn, hist, offset } => {
                let srv = &mut self.servers[i];
                srv.repl.on_psync(nowms, from, Psync { conn, hist, offset }, &srv.store, &mut outs);
            }
            ReplMsg::Ack { conn, offset } => {
                self.servers[i].repl.on_ack(nowms, from, conn, offset);
                self.answer_waits(ctx, i);
            }
            other => {
                if self.servers[i].repl.master.as_ref().is_some_and(|l| l.master != from) {
                    return;
                }
                let srv = &mut self.servers[i];
                srv.repl.on_message(
                    nowms,
                    other,
                    &mut srv.store,
                    |s, argv| Server::apply_replicated(s, now, argv),
                    &mut outs,
                );
            }
        }
        self.repl_outs(ctx, i, outs);
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Ev>, host: NodeId, timer: Timer) {
        let n = self.nodes();
        let now = ctx.now();
        let h = host.0 as usize;
        match timer {
            Timer::Tick { inc } => {
                if h >= n || inc != self.inc[h] || !self.alive[h] {
                    return;
                }
                self.tick(ctx, h);
                self.net.set_timer(ctx, host, SimDuration::from_millis(CRON_MS), Timer::Tick { inc });
            }
            Timer::Deferred { inc, to, msg } => {
                if h < n && inc == self.inc[h] && self.alive[h] {
                    self.net.send(ctx, host, NodeId(to as u32), Wire::Repl(msg));
                }
            }
            Timer::Client(t) => {
                let c = self.requester_of(host);
                let mut outs = Vec::new();
                self.clients[c].on_timer(t, &mut outs);
                self.client_outs(ctx, c, outs);
            }
            Timer::ConnRefused { req, attempt } => {
                let c = self.requester_of(host);
                let mut outs = Vec::new();
                self.clients[c].on_connection_error(req, attempt, &mut outs);
                self.client_outs(ctx, c, outs);
            }
            Timer::Arrival { write } => {
                if now >= self.end {
                    return;
                }
                let now_ms = self.elapsed_ms(now);
                let out = self.workload.arrival(now_ms, write);
                self.app_out(ctx, out);
                if let Some(d) = self.workload.next_arrival(write) {
                    self.net.set_timer(ctx, host, d, Timer::Arrival { write });
                }
            }
            Timer::Origin { op } => {
                if let Some(out) = self.workload.origin_answered(op) {
                    self.app_out(ctx, out);
                }
            }
            Timer::Sample => {
                self.sample(now);
                self.net.set_timer(ctx, host, SimDuration::from_millis(CRON_MS), Timer::Sample);
            }
            Timer::WaitDeadline { inc } => {
                if h < n && inc == self.inc[h] && self.alive[h] {
                    self.answer_waits(ctx, h);
                }
            }
            Timer::Settle => {
                self.settle_pending = false;
                let positions = self.positions();
                self.ledger.settle(&positions, now.as_unix_ms());
                self.notice_lost();
                if self.ledger.doubtful() > 0 {
                    self.request_settle(ctx);
                }
            }
            Timer::AdminRefused { req } => {
                let addr = self.reshard_target_addr();
                self.reshard_reply(ctx, req, Err(format!("Could not connect to Redis at {addr}: Connection refused")));
            }
        }
    }

    /// A node's 100 ms tick.
    fn tick(&mut self, ctx: &mut Ctx<'_, Ev>, i: NodeIdx) {
        let now = ctx.now();
        let nowms = now.as_unix_ms();
        self.node_input(ctx, i, Input::Cron, None);
        self.servers[i].store.run_active_expire_cycle(now);
        self.ticks[i] += 1;
        let mut outs = Vec::new();
        let (ping, timeout) = (self.servers[i].cfg().repl_ping_period_ms, self.servers[i].cfg().repl_timeout_ms);
        self.servers[i].repl.master_tick(nowms, ping, &mut outs);
        if self.ticks[i].is_multiple_of(REPL_CRON_MS / CRON_MS) {
            self.servers[i].repl.replica_cron(nowms, timeout, &mut outs);
        }
        self.repl_outs(ctx, i, outs);
        if self.servers[i].pause_until.is_some_and(|t| nowms >= t) {
            self.servers[i].pause_until = None;
            self.resume_paused(ctx, i);
        }
        self.answer_waits(ctx, i);
    }

    /// What a client reading `key` now gets from the node that owns its slot in the majority's
    /// view (node `via`'s), bypassing the network: for tests and the page's checks.
    pub fn read_owner(&self, now: SimTime, via: NodeIdx, key: &[u8]) -> Option<Vec<u8>> {
        let owner = self.servers[via].cluster.owner(super::slot::key_slot(key))?;
        if !self.alive[owner] {
            return None;
        }
        match self.servers[owner].store.full_value(now, key)? {
            (FullValue::String(v), _) => Some(v),
            _ => None,
        }
    }

    /// Slots that some live master in state ok serves (its own view).
    pub fn writable_slots(&self) -> usize {
        let mut set = SlotSet::new();
        for (i, s) in self.servers.iter().enumerate() {
            if self.alive[i] && s.cluster.is_master() && s.is_cluster_ok() && s.pause_until.is_none() {
                set.union_with(&s.cluster.myself().slots);
            }
        }
        set.len()
    }

    fn sample(&mut self, now: SimTime) {
        let at = self.elapsed_ms(now);
        let writable = self.writable_slots() as u64;
        if now <= self.end {
            self.metrics.sample_writable(at, writable, CRON_MS);
        }
        let moved: u64 = self.clients.iter().map(|c| c.stats.moved).sum();
        let ask: u64 = self.clients.iter().map(|c| c.stats.ask).sum();
        let (m0, a0) = self.last_redirects;
        self.metrics.redirects(at, moved - m0, ask - a0);
        self.last_redirects = (moved, ask);
        self.notice_storm(at);
    }

    // ---- actions ----------------------------------------------------------------------------------

    /// Carries out a fault or an operation now.
    pub fn apply(&mut self, ctx: &mut Ctx<'_, Ev>, action: Action) {
        let now = ctx.now();
        let line = action.describe();
        match action {
            Action::Kill { node } => self.kill(ctx, node),
            Action::Restart { node } => self.restart(ctx, node),
            Action::Partition { nodes, clients } => {
                let mut side: Vec<NodeId> = nodes.iter().map(|&i| NodeId(i as u32)).collect();
                side.extend(clients.iter().map(|&c| self.client_host(c)));
                let total = self.nodes() + self.clients.len() + 1;
                let rest: Vec<NodeId> = (0..total as u32).map(NodeId).filter(|h| !side.contains(h)).collect();
                self.net.heal_all();
                self.net.partition(&side, &rest);
                for &i in &nodes {
                    if self.alive[i]
                        && self.servers[i].cluster.is_master()
                        && self.servers[i].cluster.myself().numslots() > 0
                    {
                        self.metrics.master_lost(self.elapsed_ms(now), i);
                    }
                }
                self.partition = Some((nodes, clients));
            }
            Action::Heal => {
                self.net.heal_all();
                self.partition = None;
            }
            Action::Latency { node, ms } => {
                self.extra_latency[node] = ms;
                let base = self.scenario.latency_ms;
                let total = self.nodes() + self.clients.len() + 1;
                for h in 0..total {
                    if h == node {
                        continue;
                    }
                    let extra = ms + if h < self.nodes() { self.extra_latency[h] } else { 0 };
                    let cfg = LinkConfig::new(Distribution::Constant { ms: (base + extra) as f64 }, 0.0);
                    let _ = self.net.set_link(NodeId(node as u32), NodeId(h as u32), cfg);
                }
            }
            Action::Reshard { from, to, slots } => {
                if self.resharder.as_ref().is_some_and(|r| !r.is_done()) {
                    self.log(now, "a resharding is already running".into());
                    return;
                }
                let owned: Vec<Slot> = self.servers[from].cluster.myself().slots.iter().take(slots as usize).collect();
                let others: Vec<NodeIdx> = (0..self.nodes())
                    .filter(|&m| m != from && m != to && self.servers[from].cluster.nodes[m].is_master())
                    .collect();
                self.resharder =
                    Some(Resharder::new(from, to, owned, others, self.names.clone(), self.elapsed_ms(now)));
                self.reshard_step(ctx);
            }
            Action::Failover { node, mode } => {
                let mut argv = argv_of(&["CLUSTER", "FAILOVER"]);
                match mode {
                    FailoverMode::Default => {}
                    FailoverMode::Force => argv.push(b"FORCE".to_vec()),
                    FailoverMode::Takeover => argv.push(b"TAKEOVER".to_vec()),
                }
                let reply = self.cli_command(ctx, node, &mut ConnState::default(), argv);
                self.log(
                    now,
                    format!("{line}: {}", reply.map(|r| crate::redis::cli::format_inline(&r)).unwrap_or_else(|e| e)),
                );
                return;
            }
        }
        self.log(now, line);
    }

    /// SIGKILL node `i`.
    pub fn kill(&mut self, ctx: &mut Ctx<'_, Ev>, i: NodeIdx) {
        if !self.alive[i] {
            return;
        }
        let now = ctx.now();
        if self.servers[i].cluster.is_master() && self.servers[i].cluster.myself().numslots() > 0 {
            self.metrics.master_lost(self.elapsed_ms(now), i);
        }
        self.alive[i] = false;
        self.inc[i] += 1;
        self.saved[i] = Some(self.servers[i].cluster.clone());
        self.servers[i].clear_waits();
        self.blocked.retain(|(n, _), _| *n != i);
        self.paused[i].clear();
        self.conns.retain(|(_, n), _| *n != i);
        // Its connections close: every host sees the FIN after whatever was already on the wire.
        let total = self.nodes() + self.clients.len() + 1;
        for h in 0..total {
            if h != i {
                self.net.send(ctx, NodeId(i as u32), NodeId(h as u32), Wire::Eof);
            }
        }
        self.request_settle(ctx);
    }

    /// Longer than any message takes to land (the slowest link, twice, plus a millisecond).
    fn landing_ms(&self) -> u64 {
        2 * (self.scenario.latency_ms + self.extra_latency.iter().copied().max().unwrap_or(0)) + 1
    }

    /// Settles the ledger once what is on the wire now has landed.
    fn request_settle(&mut self, ctx: &mut Ctx<'_, Ev>) {
        if !self.settle_pending {
            self.settle_pending = true;
            let (admin, after) = (self.admin_host(), SimDuration::from_millis(self.landing_ms()));
            self.net.set_timer(ctx, admin, after, Timer::Settle);
        }
    }

    /// Starts node `i` again from its `nodes.conf`, without data (no persistence).
    pub fn restart(&mut self, ctx: &mut Ctx<'_, Ev>, i: NodeIdx) {
        if self.alive[i] {
            return;
        }
        let now = ctx.now();
        let nowms = now.as_unix_ms();
        let inc = self.inc[i];
        let conf = self.saved[i].take().unwrap_or_else(|| self.servers[i].cluster.clone());
        let cluster = conf.restarted(nowms, self.rng.child_indexed("restart", (i as u64) << 32 | u64::from(inc)));
        let store = Store::new(self.rng.child_indexed("store-restart", (i as u64) << 32 | u64::from(inc)));
        let repl = Server::fresh_replication(&mut self.ledger, &self.scenario.cluster, nowms);
        self.servers[i] = Server::new(i, cluster, store, repl);
        self.alive[i] = true;
        self.ticks[i] = 0;
        let phase = self.rng.below(CRON_MS) + 1;
        self.net.set_timer(ctx, NodeId(i as u32), SimDuration::from_millis(phase), Timer::Tick { inc });
    }

    // ---- resharding -------------------------------------------------------------------------------

    fn reshard_target_addr(&self) -> String {
        self.resharder.as_ref().and_then(|r| r.command()).map(|c| addr_of(c.node)).unwrap_or_default()
    }

    fn reshard_step(&mut self, ctx: &mut Ctx<'_, Ev>) {
        let Some(cmd) = self.resharder.as_ref().and_then(|r| r.command()) else {
            self.reshard_req = None;
            return;
        };
        let req = self.next_admin_req;
        self.next_admin_req += 1;
        self.reshard_req = Some(req);
        let admin = self.admin_host();
        if !self.alive[cmd.node] {
            self.net.set_timer(ctx, admin, SimDuration::from_millis(1), Timer::AdminRefused { req });
            return;
        }
        self.inflight.insert((req, self.admin_requester()), (cmd.node, 1));
        self.net.send(
            ctx,
            admin,
            NodeId(cmd.node as u32),
            Wire::Request { req, attempt: 1, argv: cmd.argv, asking: false, readonly: false },
        );
    }

    fn reshard_reply(&mut self, ctx: &mut Ctx<'_, Ev>, req: u64, reply: Result<Reply, String>) {
        if self.reshard_req != Some(req) {
            return;
        }
        let now = ctx.now();
        let at = self.elapsed_ms(now);
        let Some(r) = self.resharder.as_mut() else {
            return;
        };
        r.on_reply(at, reply);
        if let Some(e) = r.error.clone() {
            self.log(now, format!("resharding stopped: {e}"));
            self.reshard_req = None;
        } else if r.is_done() {
            let (slots, keys) = (r.slots.len(), r.keys_moved);
            self.log(now, format!("resharding done: {slots} slots, {keys} keys moved"));
            self.reshard_req = None;
        } else {
            self.reshard_step(ctx);
        }
    }

    // ---- the page's redis-cli ---------------------------------------------------------------------

    /// Runs one command from the page's redis-cli on node `i` now (the CLI is on the operator's
    /// machine, which partitions do not cut). `Err` when the node does not answer (killed).
    /// Blocked WAITs and paused writes answer later through [`ClusterSim::cli_replies`].
    pub fn cli_command(
        &mut self,
        ctx: &mut Ctx<'_, Ev>,
        i: NodeIdx,
        conn: &mut ConnState,
        argv: Vec<Vec<u8>>,
    ) -> Result<Reply, String> {
        if i >= self.nodes() {
            return Err(format!("Could not connect to Redis at {}: Connection refused", addr_of(i)));
        }
        if !self.alive[i] {
            return Err(format!("Could not connect to Redis at {}: Connection refused", addr_of(i)));
        }
        self.conns.insert((CLI_HOST, i), *conn);
        let before = self.cli_replies.len();
        self.serve(ctx, i, Asker { host: CLI_HOST, req: 0, attempt: 0 }, argv, conn.asking, conn.readonly);
        if let Some(c) = self.conns.get(&(CLI_HOST, i)) {
            *conn = *c;
        }
        if self.cli_replies.len() > before {
            Ok(self.cli_replies.pop_back().expect("checked"))
        } else {
            Err(String::new())
        }
    }
}

// ---- the page's redis-cli as part of the run, and notable events -------------------------------------

/// How many MOVED redirects in one second make a storm (a slot map gone stale for many clients).
pub const MOVED_STORM: u64 = 20;

impl ClusterSim {
    /// Runs one line typed at the page's prompt and adds it to the transcript (`clear` empties
    /// the transcript, as redis-cli's clears the screen).
    pub fn cli_line(&mut self, ctx: &mut Ctx<'_, Ev>, line: &str) {
        if line.trim().eq_ignore_ascii_case("clear") {
            self.transcript.clear();
            self.cli_waiting = None;
            return;
        }
        let prompt = self.session.prompt();
        let mut session = std::mem::take(&mut self.session);
        let out = session.execute(&mut InSim { sim: self, ctx }, line);
        self.session = session;
        let id = self.transcript.back().map_or(1, |e| e.id + 1);
        let mut output = out.text;
        if out.pending {
            output.push_str("(waiting… the reply comes as the simulation plays)\n");
            self.cli_waiting = Some(id);
        }
        self.transcript.push_back(CliEntry { id, prompt, command: line.to_string(), output });
        while self.transcript.len() > TRANSCRIPT_KEPT {
            self.transcript.pop_front();
        }
    }

    /// A blocked WAIT or paused write of the page's redis-cli answered: its line shows the reply.
    fn cli_answered(&mut self) {
        if self.cli_waiting.is_none() || self.cli_replies.is_empty() {
            return;
        }
        let (Some(id), Some(reply)) = (self.cli_waiting.take(), self.cli_replies.pop_front()) else {
            return;
        };
        if let Some(e) = self.transcript.iter_mut().find(|e| e.id == id) {
            e.output = crate::redis::cli::format_human(&reply);
        }
    }

    fn push_notable(&mut self, n: Notable) {
        if self.notable.len() >= NOTABLE_KEPT {
            self.notable.remove(0);
        }
        self.notable.push(n);
    }

    /// A fault or operation (scripted or from the page).
    pub(crate) fn notice_action(&mut self, a: &Action) {
        let kind = match a {
            Action::Kill { .. }
            | Action::Restart { .. }
            | Action::Partition { .. }
            | Action::Heal
            | Action::Latency { .. } => NotableKind::Fault,
            Action::Reshard { .. } => NotableKind::Handover,
            Action::Failover { .. } => NotableKind::Failover,
        };
        self.push_notable(Notable { kind, label: a.describe() });
    }

    /// PFAIL (the first report about a node in a while), FAIL and a promotion.
    fn notable_event(&mut self, at: u64, i: NodeIdx, ev: &NodeEvent) -> Option<Notable> {
        let quiet = 2 * self.scenario.cluster.node_timeout_ms;
        match ev {
            NodeEvent::Pfail { node } => {
                let last = self.notable_state.pfail_at.insert(*node, at);
                last.is_none_or(|t| t.saturating_add(quiet) < at).then(|| Notable {
                    kind: NotableKind::Fault,
                    label: format!("PFAIL: {} thinks {} is possibly failing", addr_of(i), addr_of(*node)),
                })
            }
            NodeEvent::MarkedFail { node, reports } => Some(Notable {
                kind: NotableKind::Fault,
                label: format!("FAIL: {} marks {} as failing ({reports} reports)", addr_of(i), addr_of(*node)),
            }),
            NodeEvent::ElectionWon { votes, .. } => Some(Notable {
                kind: NotableKind::Failover,
                label: format!("promotion: {} won the election with {votes} votes", addr_of(i)),
            }),
            _ => None,
        }
    }

    /// Acknowledged writes counted lost since the last look.
    fn notice_lost(&mut self) {
        let lost = self.ledger.lost;
        let new = lost.saturating_sub(self.notable_state.lost);
        if new > 0 {
            self.notable_state.lost = lost;
            let s = if new == 1 { "" } else { "s" };
            self.push_notable(Notable {
                kind: NotableKind::Harm,
                label: format!("{new} acknowledged write{s} lost ({lost} in all)"),
            });
        }
    }

    /// The first second of a MOVED storm: at least [`MOVED_STORM`] redirects in the second.
    fn notice_storm(&mut self, at: u64) {
        let second = at / 1000;
        let Some(b) = self.metrics.buckets.back().filter(|b| b.second == second) else {
            return;
        };
        if b.moved < MOVED_STORM {
            return;
        }
        let last = self.notable_state.storm_second;
        if last == Some(second) {
            return;
        }
        self.notable_state.storm_second = Some(second);
        // A storm that goes on second after second is one mark.
        if last.is_some_and(|l| l + 1 == second) {
            return;
        }
        let moved = b.moved;
        self.push_notable(Notable {
            kind: NotableKind::Handover,
            label: format!("MOVED storm: {moved} redirects in the second from {} s", second),
        });
    }
}

impl Model for ClusterSim {
    type Event = Ev;

    fn handle(&mut self, ctx: &mut Ctx<'_, Ev>, event: Ev) {
        // The run ends at its end: what is still queued then lands nowhere, so the queue drains
        // and a rewound run stays at its last event (`ClusterRun` never plays past the end).
        if ctx.now() > self.end {
            return;
        }
        match event {
            Ev::Act(a) => {
                self.notice_action(&a);
                self.apply(ctx, a)
            }
            Ev::Net(e) => match self.net.on_event(ctx, e) {
                Some(Delivery::Message { from, to, msg, .. }) => self.on_message(ctx, from, to, msg),
                Some(Delivery::Timer { node, timer, .. }) => self.on_timer(ctx, node, timer),
                None => {}
            },
        }
        self.cli_answered();
    }

    fn describe(&self, event: &Ev) -> (String, String) {
        match event {
            Ev::Act(a) => ("operator".into(), a.describe()),
            Ev::Net(e) => self.net.describe(e, Wire::summary, |t| format!("{t:?}")),
        }
    }
}

/// A run: the simulation plus its end. Playback never runs past the end.
pub struct ClusterRun {
    pub sim: Simulation<ClusterSim>,
}

impl ClusterRun {
    pub fn new(scenario: Scenario, seed: u64) -> Result<ClusterRun, ScenarioError> {
        Self::new_at(scenario, seed, TEST_EPOCH)
    }
    /// Like [`ClusterRun::new`], with the clock starting at `start`.
    pub fn new_at(scenario: Scenario, seed: u64, start: SimTime) -> Result<ClusterRun, ScenarioError> {
        let model = ClusterSim::new_at(scenario, seed, start)?;
        let mut sim = Simulation::new(model, start);
        sim.act(|m, ctx| m.boot(ctx));
        Ok(ClusterRun { sim })
    }
    pub fn model(&self) -> &ClusterSim {
        &self.sim.model
    }
    pub fn model_mut(&mut self) -> &mut ClusterSim {
        &mut self.sim.model
    }
    pub fn now(&self) -> SimTime {
        self.sim.now()
    }
    pub fn elapsed_ms(&self) -> u64 {
        self.sim.model.elapsed_ms(self.sim.now())
    }
    pub fn end(&self) -> SimTime {
        self.sim.model.end
    }
    pub fn is_finished(&self) -> bool {
        self.sim.now() >= self.sim.model.end
    }
    /// Runs to `at_ms` after the start (capped at the end).
    pub fn run_to_ms(&mut self, at_ms: u64) {
        let t = (self.sim.model.start + SimDuration::from_millis(at_ms)).min(self.end());
        self.sim.run_until(t);
    }
    pub fn run_to_end(&mut self) {
        let end = self.end();
        self.sim.run_until(end);
    }
    /// Carries out an action now (a button on the page).
    pub fn act(&mut self, action: Action) {
        self.sim.act(|m, ctx| m.apply(ctx, action));
    }
    /// The page's redis-cli.
    pub fn cli(&mut self, node: NodeIdx, conn: &mut ConnState, argv: Vec<Vec<u8>>) -> Result<Reply, String> {
        self.sim.act(|m, ctx| m.cli_command(ctx, node, conn, argv))
    }
}

impl crate::sim::Clocked for ClusterRun {
    fn now(&self) -> SimTime {
        self.sim.now()
    }
    fn processed(&self) -> u64 {
        self.sim.processed()
    }
    fn next_event_time(&mut self) -> Option<SimTime> {
        let end = self.end();
        self.sim.next_event_time().filter(|&t| t <= end)
    }
    fn step(&mut self) -> bool {
        match self.next_event_time() {
            Some(_) => self.sim.step(),
            None => false,
        }
    }
    fn run_until(&mut self, until: SimTime) {
        let until = until.min(self.end());
        self.sim.run_until(until)
    }
    fn run_until_bounded(&mut self, until: SimTime, max_events: u64) -> bool {
        let until = until.min(self.end());
        self.sim.run_until_bounded(until, max_events)
    }
}

/// A run's figures (what `sim cluster --json` prints).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RunSummary {
    pub preset: String,
    pub seed: u64,
    pub duration_ms: u64,
    pub node_timeout_ms: u64,
    pub repl_lag_ms: u64,
    /// From the kill (or cut) of the first failed master to its replica owning the slots.
    pub failover_ms: Option<u64>,
    pub failovers: Vec<super::metrics::FailoverRecord>,
    pub acked_writes: u64,
    pub acked_writes_lost: u64,
    pub ops: u64,
    pub ok: u64,
    pub hit_ratio: Option<f64>,
    pub mean_latency_ms: Option<f64>,
    pub moved: u64,
    pub ask: u64,
    pub tryagain: u64,
    pub clusterdown: u64,
    pub connection_errors: u64,
    pub slot_refreshes: u64,
    /// Failed application operations by kind.
    pub errors: VecMap<String, u64>,
    pub unavailable_ms: u64,
    pub events: u64,
}

impl ClusterRun {
    pub fn summary(&self, seed: u64) -> RunSummary {
        let m = self.model();
        let t = &m.metrics.totals;
        let sum = |f: fn(&super::client::ClientStats) -> u64| m.clients.iter().map(|c| f(&c.stats)).sum::<u64>();
        RunSummary {
            preset: m.scenario.preset.clone(),
            seed,
            duration_ms: m.scenario.duration_ms,
            node_timeout_ms: m.scenario.cluster.node_timeout_ms,
            repl_lag_ms: m.scenario.repl_lag_ms,
            failover_ms: m.metrics.failovers.iter().find_map(|f| f.failover_ms()),
            failovers: m.metrics.failovers.iter().cloned().collect(),
            acked_writes: m.ledger.acked,
            acked_writes_lost: m.ledger.lost,
            ops: t.ops,
            ok: t.ok,
            hit_ratio: t.hit_ratio(),
            mean_latency_ms: (t.ops > 0).then(|| t.latency_sum_ms as f64 / t.ops as f64),
            moved: sum(|s| s.moved),
            ask: sum(|s| s.ask),
            tryagain: sum(|s| s.tryagain),
            clusterdown: sum(|s| s.clusterdown),
            connection_errors: sum(|s| s.conn_errors),
            slot_refreshes: sum(|s| s.refreshes),
            errors: t.errors.clone(),
            unavailable_ms: t.unavailable_ms,
            events: self.sim.processed(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::client::ScaleReads;
    use crate::cluster::scenario::preset;

    fn quiet(id: &str) -> Scenario {
        let mut s = preset(id).unwrap();
        s.workload.read_rate = 0.0;
        s.workload.write_rate = 0.0;
        s
    }

    fn argv(line: &str) -> Vec<Vec<u8>> {
        line.split_whitespace().map(|w| w.as_bytes().to_vec()).collect()
    }

    /// MIGRATE of a stream: the rebuilt key has the same entries, groups, consumers and pending IDs.
    #[test]
    fn a_migrated_stream_keeps_its_entries_groups_and_pending_ids() {
        use crate::redis::Store;
        use crate::sim::{SimRng, TEST_EPOCH};
        let mut src = Store::new(SimRng::new(1));
        for line in [
            "XADD s 1-1 a 1",
            "XADD s 2-0 b 2 c 3",
            "XADD s 3-0 d 4",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g alice COUNT 2 STREAMS s >",
            "XGROUP CREATE s idle $",
        ] {
            src.execute(TEST_EPOCH, &argv(line));
        }
        let (value, _) = src.full_value(TEST_EPOCH, b"s").unwrap();
        let mut dst = Store::new(SimRng::new(2));
        for cmd in restore_commands(b"s", value.clone(), None) {
            let reply = dst.execute(TEST_EPOCH, &cmd);
            assert!(!matches!(reply, Reply::Error(_)), "{cmd:?} -> {reply:?}");
        }
        assert_eq!(dst.full_value(TEST_EPOCH, b"s").unwrap().0, value);
    }

    /// `waitCommand`: WAIT blocks until the replica acknowledges the client's last write (it asks
    /// with REPLCONF GETACK), then answers with the count.
    #[test]
    fn wait_blocks_until_the_replica_acknowledges() {
        let mut run = ClusterRun::new(quiet("steady"), 1).unwrap();
        run.run_to_ms(500);
        let mut conn = ConnState::default();
        assert_eq!(run.cli(2, &mut conn, argv("SET foo bar")), Ok(Reply::ok()));
        assert_eq!(run.cli(2, &mut conn, argv("WAIT 1 1000")), Err(String::new()), "blocked");
        run.run_to_ms(520);
        assert_eq!(run.model_mut().cli_replies.pop_front(), Some(Reply::Integer(1)));
        // With a dead replica, WAIT answers 0 at its timeout.
        let replica = (0..6).find(|&r| run.model().servers[r].cluster.master() == Some(2)).unwrap();
        run.act(Action::Kill { node: replica });
        assert_eq!(run.cli(2, &mut conn, argv("SET foo baz")), Ok(Reply::ok()));
        assert_eq!(run.cli(2, &mut conn, argv("WAIT 1 200")), Err(String::new()));
        run.run_to_ms(650);
        assert!(run.model().cli_replies.is_empty(), "still waiting before the timeout");
        run.run_to_ms(800);
        assert_eq!(run.model_mut().cli_replies.pop_front(), Some(Reply::Integer(0)));
    }

    /// ioredis `scaleReads: "slave"`: read-only commands go to replicas on READONLY connections
    /// and are served there without a redirect (`getNodeByQuery`'s readonly case).
    #[test]
    fn replica_reads_are_served_by_replicas() {
        let mut s = preset("steady").unwrap();
        s.client.scale_reads = ScaleReads::Slave;
        s.duration_ms = 30_000;
        let mut run = ClusterRun::new(s, 2).unwrap();
        run.run_to_end();
        let m = run.model();
        let replica_hits: u64 = (0..6)
            .filter(|&i| !m.servers[i].cluster.is_master())
            .map(|i| m.servers[i].store.stats().keyspace_hits)
            .sum();
        let master_hits: u64 = (0..6)
            .filter(|&i| m.servers[i].cluster.is_master())
            .map(|i| m.servers[i].store.stats().keyspace_hits)
            .sum();
        // Replicas appear in CLUSTER SLOTS once their offset is known (`isReplicaAvailable`), so
        // the first reads, before any write, go to the masters.
        assert!(replica_hits > 3 * master_hits, "replicas {replica_hits}, masters {master_hits}");
        assert_eq!(m.clients.iter().map(|c| c.stats.moved).sum::<u64>(), 0);
        assert_eq!(m.metrics.totals.errors_total(), 0);
    }

    /// Nothing grows without bound while a partition lasts: requests time out, refreshes are
    /// forgotten, histories are capped.
    #[test]
    fn a_long_partition_keeps_every_table_bounded() {
        let mut s = preset("partition-minority").unwrap();
        s.steps.retain(|st| st.at_ms < 20_000);
        s.duration_ms = 180_000;
        let mut run = ClusterRun::new(s, 5).unwrap();
        run.run_to_end();
        let m = run.model();
        assert!(m.inflight_len() < 200, "{} requests on the wire", m.inflight_len());
        assert!(m.workload.in_flight() < 500, "{} operations open", m.workload.in_flight());
        assert!(m.clients.iter().all(|c| c.in_flight() < 200));
        assert!(m.metrics.buckets.len() <= crate::cluster::metrics::BUCKETS_KEPT);
        assert!(m.metrics.events.len() <= crate::cluster::metrics::EVENTS_KEPT);
    }

    /// A restarted master without persistence that comes back before its replica was promoted
    /// keeps its slots, and its replica resynchronises to the empty dataset: every acknowledged
    /// write of that shard is lost (the hazard the Redis docs warn about).
    #[test]
    fn a_quick_restart_without_persistence_wipes_the_shard() {
        let mut s = preset("steady").unwrap();
        s.workload.read_rate = 0.0;
        s.workload.write_rate = 50.0;
        let mut run = ClusterRun::new(s, 3).unwrap();
        run.run_to_ms(5_000);
        run.act(Action::Kill { node: 0 });
        run.run_to_ms(6_000);
        run.act(Action::Restart { node: 0 });
        run.run_to_ms(20_000);
        let m = run.model();
        assert!(m.servers[0].cluster.is_master(), "no failover happened");
        assert!(m.metrics.failovers.iter().all(|f| f.promoted.is_none()));
        let replica = (0..6).find(|&r| m.servers[r].cluster.master() == Some(0)).unwrap();
        assert_eq!(
            m.servers[replica].repl.position().hist,
            m.servers[0].repl.hist,
            "resynchronised from the restarted master"
        );
        assert!(m.ledger.lost > 30, "the shard's writes before the kill are gone: {}", m.ledger.lost);
    }
}
