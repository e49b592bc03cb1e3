//! A cluster-aware client in the manner of ioredis's `Cluster` (`lib/cluster/index.ts`), sans-IO.
//!
//! - The slot map comes from `CLUSTER SLOTS` (`refreshSlotsCache`: the known nodes in random order,
//!   the first that answers wins, each with a 1 s timeout), refreshed every 5 s
//!   (`slotsRefreshInterval`) and after MOVED, CLUSTERDOWN and connection errors.
//! - A command goes to its slot's master (or, with `scale_reads = slave`, a random replica for
//!   read-only commands, on a connection in READONLY mode); without a slot, to a random node.
//! - `handleError`: every MOVED, ASK, TRYAGAIN, CLUSTERDOWN or connection error spends one of
//!   `maxRedirections` (16); the next one fails the command with "Too many Cluster redirections.
//!   Last error: …". MOVED updates the slot's master and retries at once; ASK retries once on the
//!   named node with ASKING; TRYAGAIN, CLUSTERDOWN and "Connection is closed." wait (ioredis: a
//!   fixed 100 ms; here any `crate::backoff` policy, 100 ms constant by default) and retry on a
//!   random node, the last two also refreshing the slot map.
//! - `commandTimeout` fails a command that has no answer in time with "Command timed out" (not
//!   retried). ioredis has no default timeout; the playground's app sets one.
//!
//! Outputs ([`ClientOut`]) are sends, timers and finished commands; the runtime carries them out.

use serde::{Deserialize, Serialize};

use super::config::{node_at, NodeIdx};
use super::keys;
use super::slot::{key_slot, Slot, SLOTS};
use crate::backoff::{Backoff, Policy};
use crate::redis::Reply;
use crate::sim::vec_map::{DequeMap, VecMap};
use crate::sim::{SimDuration, SimRng};

/// `scaleReads`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScaleReads {
    Master,
    Slave,
    All,
}

impl ScaleReads {
    pub fn name(self) -> &'static str {
        match self {
            ScaleReads::Master => "master",
            ScaleReads::Slave => "slave",
            ScaleReads::All => "all",
        }
    }
}

/// The client's options (ioredis `ClusterOptions`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientOptions {
    pub max_redirections: u32,
    /// The wait before retrying after TRYAGAIN, CLUSTERDOWN or a connection error.
    pub retry: Policy,
    /// Per-command timeout (0 = none, ioredis's default).
    pub command_timeout_ms: u64,
    pub scale_reads: ScaleReads,
    pub slots_refresh_interval_ms: u64,
    pub slots_refresh_timeout_ms: u64,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            max_redirections: 16,
            retry: Policy::Constant { delay_ms: 100 },
            command_timeout_ms: 1000,
            scale_reads: ScaleReads::Master,
            slots_refresh_interval_ms: 5000,
            slots_refresh_timeout_ms: 1000,
        }
    }
}

/// Why a command failed, as the application sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientError {
    /// A Redis error reply that is not retried (WRONGTYPE, CROSSSLOT, …).
    Reply(String),
    /// "Too many Cluster redirections. Last error: …"
    TooManyRedirections(String),
    /// "Command timed out"
    Timeout,
}

impl ClientError {
    pub fn message(&self) -> String {
        match self {
            ClientError::Reply(e) => e.clone(),
            ClientError::TooManyRedirections(last) => {
                format!("Too many Cluster redirections. Last error: {last}")
            }
            ClientError::Timeout => "Command timed out".into(),
        }
    }
    /// A short kind for counters: the error's first word, `redirections` or `timeout`.
    pub fn kind(&self) -> String {
        match self {
            ClientError::Reply(e) => e.split_whitespace().next().unwrap_or("ERR").to_string(),
            ClientError::TooManyRedirections(_) => "redirections".into(),
            ClientError::Timeout => "timeout".into(),
        }
    }
}

/// The error a client sees when a node's connection is refused or closed.
pub const CONNECTION_CLOSED: &str = "Connection is closed.";

/// Counters of one client.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientStats {
    pub sent: u64,
    pub moved: u64,
    pub ask: u64,
    pub tryagain: u64,
    pub clusterdown: u64,
    pub conn_errors: u64,
    pub refreshes: u64,
    pub timeouts: u64,
}

/// What the client asks the runtime to do.
#[derive(Clone, Debug, PartialEq)]
pub enum ClientOut {
    /// Send `argv` to `node` for request `req` (attempt `attempt`); `asking` sends ASKING first,
    /// `readonly` means the connection is in READONLY mode (a replica connection).
    Send { node: NodeIdx, req: u64, attempt: u32, argv: Vec<Vec<u8>>, asking: bool, readonly: bool },
    /// Call [`ClusterClient::on_timer`] with `timer` after `after`.
    Timer { after: SimDuration, timer: ClientTimer },
    /// Request `req` finished.
    Done { req: u64, result: Result<Reply, ClientError>, redirects: u32 },
    /// Internal request `req` (a slot refresh) was given up: its reply, if any, is ignored.
    Forget { req: u64 },
}

/// The client's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientTimer {
    /// Retry request `req` on a random node (after TRYAGAIN, CLUSTERDOWN, connection error).
    Retry { req: u64 },
    /// `commandTimeout` of `req`.
    Timeout { req: u64 },
    /// The refresh attempt `attempt` timed out.
    RefreshTimeout { attempt: u64 },
    /// `slotsRefreshInterval`.
    RefreshInterval,
}

#[derive(Clone, Debug)]
struct Request {
    argv: Vec<Vec<u8>>,
    slot: Option<Slot>,
    readonly: bool,
    /// Redirections left (`ttl.value`), set at the first error.
    ttl: Option<u32>,
    attempt: u32,
    redirects: u32,
    backoff: Backoff,
    retries_waited: SimDuration,
    /// Internal: a CLUSTER SLOTS of the refresh, not an application command.
    refresh: bool,
}

#[derive(Clone, Debug)]
struct Refresh {
    order: Vec<NodeIdx>,
    next: usize,
    attempt: u64,
    req: u64,
}

/// One application process's cluster client.
#[derive(Clone, Debug)]
pub struct ClusterClient {
    pub opts: ClientOptions,
    nodes: usize,
    /// Per slot, the index of its node group in `groups` (`u16::MAX` = unknown). As in ioredis,
    /// every slot of a CLUSTER SLOTS range shares one group (one JavaScript array), so a MOVED for
    /// one slot changes the master of the whole range.
    slots: Vec<u16>,
    /// Node groups: master first, then replicas.
    groups: Vec<Vec<NodeIdx>>,
    /// Nodes the pool knows, with whether it sees them as masters.
    pool: VecMap<NodeIdx, bool>,
    /// Requests in flight by id: ids only grow, and most finish in the order they began.
    requests: DequeMap<u64, Request>,
    next_req: u64,
    refresh: Option<Refresh>,
    next_refresh_attempt: u64,
    rng: SimRng,
    pub stats: ClientStats,
}

/// Parses a CLUSTER SLOTS reply into `(first, last, [master, replicas…])` ranges.
pub fn parse_cluster_slots(reply: &Reply, nodes: usize) -> Option<Vec<(Slot, Slot, Vec<NodeIdx>)>> {
    let Reply::Array(ranges) = reply else {
        return None;
    };
    let mut out = Vec::new();
    for r in ranges {
        let Reply::Array(items) = r else { return None };
        let (Some(Reply::Integer(a)), Some(Reply::Integer(b))) = (items.first(), items.get(1)) else {
            return None;
        };
        let mut members = Vec::new();
        for n in &items[2..] {
            let Reply::Array(f) = n else { return None };
            let (Some(Reply::Bulk(ip)), Some(Reply::Integer(port))) = (f.first(), f.get(1)) else {
                return None;
            };
            let addr = format!("{}:{port}", String::from_utf8_lossy(ip));
            members.push(node_at(&addr, nodes)?);
        }
        out.push((*a as Slot, *b as Slot, members));
    }
    Some(out)
}

impl ClusterClient {
    /// Roughly the heap bytes this client holds: its slot table, node groups and pool, and its
    /// requests in flight with their arguments.
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let argv = |a: &[Vec<u8>]| a.iter().map(|x| size_of::<Vec<u8>>() + x.len()).sum::<usize>();
        let requests: usize = self.requests.values().map(|r| size_of::<(u64, Request)>() + 16 + argv(&r.argv)).sum();
        let groups: usize =
            self.groups.iter().map(|g| size_of::<Vec<NodeIdx>>() + g.len() * size_of::<NodeIdx>()).sum();
        self.slots.len() * size_of::<u16>() + groups + self.pool.len() * (size_of::<(NodeIdx, bool)>() + 16) + requests
    }

    /// A client that knows the seed nodes (all of them, as an app lists the cluster's nodes) and
    /// has not fetched the slot map yet.
    pub fn new(opts: ClientOptions, nodes: usize, rng: SimRng) -> ClusterClient {
        ClusterClient {
            opts,
            nodes,
            slots: vec![u16::MAX; SLOTS],
            groups: Vec::new(),
            pool: (0..nodes).map(|n| (n, true)).collect(),
            requests: DequeMap::new(),
            next_req: 1,
            refresh: None,
            next_refresh_attempt: 1,
            rng,
            stats: ClientStats::default(),
        }
    }

    /// Starts the client: the first slot refresh and the refresh interval.
    pub fn start(&mut self) -> Vec<ClientOut> {
        let mut out = vec![ClientOut::Timer {
            after: SimDuration::from_millis(self.opts.slots_refresh_interval_ms.max(1)),
            timer: ClientTimer::RefreshInterval,
        }];
        self.refresh_slots(&mut out);
        out
    }

    /// The master the client would send `slot` to.
    pub fn master_of(&self, slot: Slot) -> Option<NodeIdx> {
        self.group(slot).and_then(|g| g.first().copied())
    }

    fn group(&self, slot: Slot) -> Option<&Vec<NodeIdx>> {
        self.groups.get(usize::from(self.slots[usize::from(slot)]))
    }

    pub fn in_flight(&self) -> usize {
        self.requests.values().filter(|r| !r.refresh).count()
    }

    /// Submits an application command; returns its request id.
    pub fn submit(&mut self, argv: Vec<Vec<u8>>, out: &mut Vec<ClientOut>) -> u64 {
        let info = argv.first().and_then(|n| keys::command_info(n));
        let slot = info.as_ref().and_then(|i| keys::command_keys(i, &argv).first().map(|k| key_slot(k)));
        let readonly = info.is_some_and(|i| !i.write && i.name != "cluster");
        let id = self.next_req;
        self.next_req += 1;
        self.requests.insert(
            id,
            Request {
                argv,
                slot,
                readonly,
                ttl: None,
                attempt: 0,
                redirects: 0,
                backoff: Backoff::new(self.opts.retry.clone()),
                retries_waited: SimDuration::ZERO,
                refresh: false,
            },
        );
        if self.opts.command_timeout_ms > 0 {
            out.push(ClientOut::Timer {
                after: SimDuration::from_millis(self.opts.command_timeout_ms),
                timer: ClientTimer::Timeout { req: id },
            });
        }
        self.try_connection(id, false, None, out);
        id
    }

    fn random_node(&mut self, masters_only: bool) -> Option<NodeIdx> {
        let candidates: Vec<NodeIdx> = self.pool.iter().filter(|(_, &m)| m || !masters_only).map(|(&n, _)| n).collect();
        let all: Vec<NodeIdx> = self.pool.keys().copied().collect();
        let pick = if candidates.is_empty() { all } else { candidates };
        (!pick.is_empty()).then(|| pick[self.rng.index(pick.len())])
    }

    /// `tryConnection(random, asking)`.
    fn try_connection(&mut self, id: u64, random: bool, asking: Option<NodeIdx>, out: &mut Vec<ClientOut>) {
        let scale = self.opts.scale_reads;
        let Some(req) = self.requests.get(&id) else {
            return;
        };
        let to = if req.readonly { scale } else { ScaleReads::Master };
        let mut node = None;
        if !random {
            if let Some(group) = req.slot.and_then(|s| self.group(s)).cloned() {
                node = match to {
                    ScaleReads::All => Some(group[self.rng.index(group.len())]),
                    ScaleReads::Slave if group.len() > 1 => Some(group[1 + self.rng.index(group.len() - 1)]),
                    _ => group.first().copied(),
                };
            }
            if asking.is_some() {
                node = asking;
            }
        }
        let node = match node {
            Some(n) => n,
            None => match self.random_node(to == ScaleReads::Master) {
                Some(n) => n,
                None => return,
            },
        };
        let readonly = !self.pool.get(&node).copied().unwrap_or(true);
        let req = self.requests.get_mut(&id).expect("checked");
        req.attempt += 1;
        self.stats.sent += 1;
        out.push(ClientOut::Send {
            node,
            req: id,
            attempt: req.attempt,
            argv: req.argv.clone(),
            asking: asking.is_some(),
            readonly,
        });
    }

    /// A reply to attempt `attempt` of `req` arrived.
    pub fn on_reply(&mut self, req: u64, attempt: u32, reply: Reply, out: &mut Vec<ClientOut>) {
        let Some(r) = self.requests.get(&req) else {
            return;
        };
        if r.attempt != attempt {
            return;
        }
        if r.refresh {
            self.on_refresh_reply(req, reply, out);
            return;
        }
        match reply {
            Reply::Error(e) => self.handle_error(req, e, out),
            ok => {
                let r = self.requests.remove(&req).expect("checked");
                out.push(ClientOut::Done { req, result: Ok(ok), redirects: r.redirects });
            }
        }
    }

    /// The connection to `node` was refused or closed under attempt `attempt` of `req`.
    pub fn on_connection_error(&mut self, req: u64, attempt: u32, out: &mut Vec<ClientOut>) {
        let Some(r) = self.requests.get(&req) else {
            return;
        };
        if r.attempt != attempt {
            return;
        }
        if r.refresh {
            self.refresh_next(out);
            return;
        }
        self.handle_error(req, CONNECTION_CLOSED.into(), out);
    }

    /// Finishes request `id` with `err`.
    fn fail(&mut self, id: u64, err: ClientError, out: &mut Vec<ClientOut>) {
        if let Some(r) = self.requests.remove(&id) {
            out.push(ClientOut::Done { req: id, result: Err(err), redirects: r.redirects });
        }
    }

    /// `handleError`.
    fn handle_error(&mut self, id: u64, error: String, out: &mut Vec<ClientOut>) {
        let max = self.opts.max_redirections;
        let Some(req) = self.requests.get_mut(&id) else {
            return;
        };
        let ttl = match req.ttl {
            None => max,
            Some(t) => t.saturating_sub(1),
        };
        req.ttl = Some(ttl);
        if ttl == 0 {
            self.fail(id, ClientError::TooManyRedirections(error), out);
            return;
        }
        let words: Vec<&str> = error.split(' ').collect();
        match words[0] {
            "MOVED" if words.len() >= 3 => {
                let (Ok(slot), Some(node)) = (words[1].parse::<usize>(), node_at(words[2], self.nodes)) else {
                    self.fail(id, ClientError::Reply(error), out);
                    return;
                };
                if slot >= SLOTS {
                    self.fail(id, ClientError::Reply(error), out);
                    return;
                }
                self.stats.moved += 1;
                req.redirects += 1;
                req.slot = Some(slot as Slot);
                match self.groups.get_mut(usize::from(self.slots[slot])) {
                    Some(group) => group[0] = node,
                    None => {
                        self.groups.push(vec![node]);
                        self.slots[slot] = (self.groups.len() - 1) as u16;
                    }
                }
                self.pool.get_or_insert_with(node, || true);
                self.try_connection(id, false, None, out);
                self.refresh_slots(out);
            }
            "ASK" if words.len() >= 3 => {
                let Some(node) = node_at(words[2], self.nodes) else {
                    self.fail(id, ClientError::Reply(error), out);
                    return;
                };
                self.stats.ask += 1;
                req.redirects += 1;
                self.pool.get_or_insert_with(node, || true);
                self.try_connection(id, false, Some(node), out);
            }
            "TRYAGAIN" | "CLUSTERDOWN" => {
                if words[0] == "TRYAGAIN" {
                    self.stats.tryagain += 1;
                } else {
                    self.stats.clusterdown += 1;
                }
                self.retry_later(id, words[0] == "CLUSTERDOWN", out);
            }
            _ if error == CONNECTION_CLOSED => {
                self.stats.conn_errors += 1;
                self.retry_later(id, true, out);
            }
            _ => {
                self.fail(id, ClientError::Reply(error), out);
            }
        }
    }

    /// The delay queue: retry on a random node after the backoff policy's wait.
    fn retry_later(&mut self, id: u64, refresh: bool, out: &mut Vec<ClientOut>) {
        let Some(req) = self.requests.get_mut(&id) else {
            return;
        };
        let wait = req.backoff.next_delay(req.retries_waited, &mut self.rng).unwrap_or(SimDuration::from_millis(100));
        req.retries_waited = req.retries_waited.saturating_add(wait);
        // Replies to the current attempt no longer count.
        req.attempt += 1;
        out.push(ClientOut::Timer { after: wait, timer: ClientTimer::Retry { req: id } });
        if refresh {
            self.refresh_slots(out);
        }
    }

    pub fn on_timer(&mut self, timer: ClientTimer, out: &mut Vec<ClientOut>) {
        match timer {
            ClientTimer::Retry { req } => {
                if self.requests.contains_key(&req) {
                    self.try_connection(req, true, None, out);
                }
            }
            ClientTimer::Timeout { req } => {
                if let Some(r) = self.requests.remove(&req) {
                    self.stats.timeouts += 1;
                    out.push(ClientOut::Done { req, result: Err(ClientError::Timeout), redirects: r.redirects });
                }
            }
            ClientTimer::RefreshTimeout { attempt } => {
                if self.refresh.as_ref().is_some_and(|r| r.attempt == attempt) {
                    self.refresh_next(out);
                }
            }
            ClientTimer::RefreshInterval => {
                out.push(ClientOut::Timer {
                    after: SimDuration::from_millis(self.opts.slots_refresh_interval_ms.max(1)),
                    timer: ClientTimer::RefreshInterval,
                });
                self.refresh_slots(out);
            }
        }
    }

    /// `refreshSlotsCache`: ask the known nodes, in random order, for CLUSTER SLOTS.
    fn refresh_slots(&mut self, out: &mut Vec<ClientOut>) {
        if self.refresh.is_some() {
            return;
        }
        self.stats.refreshes += 1;
        let mut order: Vec<NodeIdx> = self.pool.keys().copied().collect();
        self.rng.shuffle(&mut order);
        self.refresh = Some(Refresh { order, next: 0, attempt: 0, req: 0 });
        self.refresh_next(out);
    }

    fn refresh_next(&mut self, out: &mut Vec<ClientOut>) {
        let Some(r) = self.refresh.as_mut() else {
            return;
        };
        if r.req != 0 && self.requests.remove(&r.req).is_some() {
            out.push(ClientOut::Forget { req: r.req });
        }
        let Some(&node) = r.order.get(r.next) else {
            // ClusterAllFailedError: try again at the next interval or error.
            self.refresh = None;
            return;
        };
        r.next += 1;
        let attempt = self.next_refresh_attempt;
        self.next_refresh_attempt += 1;
        r.attempt = attempt;
        let id = self.next_req;
        self.next_req += 1;
        r.req = id;
        let argv = vec![b"CLUSTER".to_vec(), b"SLOTS".to_vec()];
        self.requests.insert(
            id,
            Request {
                argv: argv.clone(),
                slot: None,
                readonly: false,
                ttl: None,
                attempt: 1,
                redirects: 0,
                backoff: Backoff::new(Policy::None),
                retries_waited: SimDuration::ZERO,
                refresh: true,
            },
        );
        out.push(ClientOut::Send { node, req: id, attempt: 1, argv, asking: false, readonly: false });
        out.push(ClientOut::Timer {
            after: SimDuration::from_millis(self.opts.slots_refresh_timeout_ms.max(1)),
            timer: ClientTimer::RefreshTimeout { attempt },
        });
    }

    fn on_refresh_reply(&mut self, req: u64, reply: Reply, out: &mut Vec<ClientOut>) {
        self.requests.remove(&req);
        match parse_cluster_slots(&reply, self.nodes) {
            Some(ranges) if !ranges.is_empty() => {
                self.slots = vec![u16::MAX; SLOTS];
                self.groups.clear();
                let mut pool = VecMap::new();
                for (a, b, members) in ranges {
                    for (i, &n) in members.iter().enumerate() {
                        let master = i == 0;
                        let e = pool.get_or_insert_with(n, || master);
                        *e = *e || master;
                    }
                    let g = self.groups.len() as u16;
                    self.groups.push(members);
                    for s in a..=b {
                        self.slots[usize::from(s)] = g;
                    }
                }
                self.pool = pool;
                self.refresh = None;
            }
            _ => self.refresh_next(out),
        }
    }

    /// Whether the slot map has been loaded.
    pub fn has_slot_map(&self) -> bool {
        !self.groups.is_empty()
    }

    /// The client's slot map, for drawing: owner per slot.
    pub fn slot_masters(&self) -> Vec<Option<NodeIdx>> {
        (0..SLOTS).map(|s| self.master_of(s as Slot)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots_reply() -> Reply {
        let node = |port: i64| {
            Reply::Array(vec![Reply::bulk("127.0.0.1"), Reply::Integer(port), Reply::bulk("x"), Reply::Array(vec![])])
        };
        Reply::Array(vec![
            Reply::Array(vec![Reply::Integer(0), Reply::Integer(5460), node(7000), node(7004)]),
            Reply::Array(vec![Reply::Integer(5461), Reply::Integer(10922), node(7001), node(7005)]),
            Reply::Array(vec![Reply::Integer(10923), Reply::Integer(16383), node(7002), node(7003)]),
        ])
    }

    fn sends(out: &[ClientOut]) -> Vec<(NodeIdx, bool)> {
        out.iter()
            .filter_map(|o| if let ClientOut::Send { node, asking, .. } = o { Some((*node, *asking)) } else { None })
            .collect()
    }

    fn ready_client() -> ClusterClient {
        let mut c = ClusterClient::new(ClientOptions::default(), 6, SimRng::new(1));
        let out = c.start();
        let Some(ClientOut::Send { req, .. }) = out.iter().find(|o| matches!(o, ClientOut::Send { .. })) else {
            panic!()
        };
        let mut out = Vec::new();
        c.on_reply(*req, 1, slots_reply(), &mut out);
        assert!(c.has_slot_map());
        c
    }

    fn argv(s: &str) -> Vec<Vec<u8>> {
        s.split_whitespace().map(|w| w.as_bytes().to_vec()).collect()
    }

    /// ioredis: "MOVED … updates this.slots[slot][0]" and retries at once; ASK retries once with
    /// ASKING on the named node and leaves the map alone.
    #[test]
    fn moved_updates_the_map_and_ask_sends_asking_once() {
        let mut c = ready_client();
        let mut out = Vec::new();
        let id = c.submit(argv("GET foo"), &mut out); // slot 12182 → 7002
        assert_eq!(sends(&out), vec![(2, false)]);
        out.clear();
        c.on_reply(id, 1, Reply::error("MOVED 12182 127.0.0.1:7001"), &mut out);
        assert_eq!(sends(&out)[0], (1, false));
        assert_eq!(c.master_of(12182), Some(1));
        assert_eq!(c.master_of(10923), Some(1), "the whole range shares one group, as in ioredis");
        out.clear();
        c.on_reply(id, 2, Reply::error("ASK 12182 127.0.0.1:7000"), &mut out);
        assert_eq!(sends(&out), vec![(0, true)]);
        assert_eq!(c.master_of(12182), Some(1), "ASK does not change the map");
        out.clear();
        c.on_reply(id, 3, Reply::bulk("bar"), &mut out);
        assert!(matches!(&out[0], ClientOut::Done { result: Ok(Reply::Bulk(_)), redirects: 2, .. }));
    }

    /// ioredis `maxRedirections: 16`: the 17th redirect fails the command.
    #[test]
    fn the_seventeenth_redirection_fails() {
        let mut c = ready_client();
        let mut out = Vec::new();
        let id = c.submit(argv("GET foo"), &mut out);
        for attempt in 1..=17 {
            out.clear();
            c.on_reply(id, attempt, Reply::error("MOVED 12182 127.0.0.1:7001"), &mut out);
        }
        let done =
            out.iter().find_map(|o| if let ClientOut::Done { result, .. } = o { Some(result.clone()) } else { None });
        assert_eq!(done, Some(Err(ClientError::TooManyRedirections("MOVED 12182 127.0.0.1:7001".into()))));
        assert_eq!(
            ClientError::TooManyRedirections("MOVED 1 a:1".into()).message(),
            "Too many Cluster redirections. Last error: MOVED 1 a:1"
        );
    }

    /// CLUSTERDOWN and connection errors wait (100 ms by default) and retry on a random node.
    #[test]
    fn clusterdown_waits_then_retries() {
        let mut c = ready_client();
        let mut out = Vec::new();
        let id = c.submit(argv("SET k v"), &mut out);
        out.clear();
        c.on_reply(id, 1, Reply::error("CLUSTERDOWN The cluster is down"), &mut out);
        assert!(out.contains(&ClientOut::Timer {
            after: SimDuration::from_millis(100),
            timer: ClientTimer::Retry { req: id }
        }));
        assert!(sends(&out).len() == 1, "a slot refresh is sent, not the command: {out:?}");
        out.clear();
        c.on_timer(ClientTimer::Retry { req: id }, &mut out);
        assert_eq!(sends(&out).len(), 1);
    }
}
