//! What a run records for the page and the CLI: the application's outcomes per second, the
//! protocol events of every node (the failover timeline), one record per failover with its
//! phases, and the time during which some slot had no master accepting writes. Every history is
//! bounded.

use std::collections::VecDeque;

use crate::sim::vec_map::VecMap;
use serde::{Deserialize, Serialize};

use super::config::NodeIdx;
use super::node::NodeEvent;

/// Per-second buckets kept.
pub const BUCKETS_KEPT: usize = 900;
/// Protocol events kept.
pub const EVENTS_KEPT: usize = 2_000;
/// Failover records kept.
pub const FAILOVERS_KEPT: usize = 50;
/// Finished operations kept for the table.
pub const RECENT_KEPT: usize = 40;
/// Delivered bus messages and redirects kept for the picture of the wire (each kind apart, so
/// a storm of MOVED replies cannot push the gossip out).
pub const TRAFFIC_KEPT: usize = 400;
/// How far back the picture of the wire looks (virtual ms).
pub const TRAFFIC_WINDOW_MS: u64 = 1_000;

/// What crossed the wire, for the picture: a cluster-bus message between two nodes, or a
/// redirect a node answered an application process with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrafficKind {
    Ping,
    Pong,
    /// FAIL broadcast: "this node is failing".
    Fail,
    /// FAILOVER_AUTH_REQUEST: a replica asks the masters for their vote.
    VoteRequest,
    /// FAILOVER_AUTH_ACK: a master's vote.
    Vote,
    /// UPDATE: "your slot map is stale".
    Update,
    /// Any other bus message (MEET, MFSTART, PUBLISH …).
    Other,
    /// `-MOVED` to an application process.
    Moved,
    /// `-ASK` to an application process.
    Ask,
}

impl TrafficKind {
    pub const ALL: [TrafficKind; 9] = [
        TrafficKind::Ping,
        TrafficKind::Pong,
        TrafficKind::Fail,
        TrafficKind::VoteRequest,
        TrafficKind::Vote,
        TrafficKind::Update,
        TrafficKind::Other,
        TrafficKind::Moved,
        TrafficKind::Ask,
    ];
    pub fn name(self) -> &'static str {
        match self {
            TrafficKind::Ping => "ping",
            TrafficKind::Pong => "pong",
            TrafficKind::Fail => "fail",
            TrafficKind::VoteRequest => "vote-request",
            TrafficKind::Vote => "vote",
            TrafficKind::Update => "update",
            TrafficKind::Other => "other",
            TrafficKind::Moved => "moved",
            TrafficKind::Ask => "ask",
        }
    }
    pub fn is_redirect(self) -> bool {
        matches!(self, TrafficKind::Moved | TrafficKind::Ask)
    }
    pub fn of_bus(t: super::bus::MsgType) -> TrafficKind {
        use super::bus::MsgType;
        match t {
            MsgType::Ping | MsgType::Meet => TrafficKind::Ping,
            MsgType::Pong => TrafficKind::Pong,
            MsgType::Fail => TrafficKind::Fail,
            MsgType::AuthRequest => TrafficKind::VoteRequest,
            MsgType::AuthAck => TrafficKind::Vote,
            MsgType::Update => TrafficKind::Update,
            MsgType::Publish | MsgType::MfStart | MsgType::Module | MsgType::PublishShard => TrafficKind::Other,
        }
    }
}

/// One delivery: from node `from` to node `to` (bus), or from node `from` to application
/// process `to` (redirect).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Traffic {
    pub at_ms: u64,
    pub from: NodeIdx,
    pub to: usize,
    pub kind: TrafficKind,
}

/// One second of the application's life.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub second: u64,
    pub ok: u64,
    pub hits: u64,
    pub misses: u64,
    pub writes: u64,
    pub errors: u64,
    pub moved: u64,
    pub ask: u64,
    pub latency_sum_ms: u64,
    pub latency_max_ms: u64,
    /// Slots with a master accepting writes at the end of the second.
    pub writable_slots: u64,
}

impl Bucket {
    pub fn mean_latency_ms(&self) -> Option<f64> {
        let n = self.ok + self.errors;
        (n > 0).then(|| self.latency_sum_ms as f64 / n as f64)
    }
    pub fn hit_ratio(&self) -> Option<f64> {
        let n = self.hits + self.misses;
        (n > 0).then(|| self.hits as f64 / n as f64)
    }
}

/// Totals since the start.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub ops: u64,
    pub ok: u64,
    pub hits: u64,
    pub misses: u64,
    pub writes_acked: u64,
    /// Errors by kind (`CLUSTERDOWN`, `timeout`, `redirections`, …).
    pub errors: VecMap<String, u64>,
    pub moved: u64,
    pub ask: u64,
    pub latency_sum_ms: u64,
    /// Virtual ms during which fewer than 16384 slots had a master accepting writes.
    pub unavailable_ms: u64,
}

impl Totals {
    pub fn errors_total(&self) -> u64 {
        self.errors.values().sum()
    }
    pub fn hit_ratio(&self) -> Option<f64> {
        let n = self.hits + self.misses;
        (n > 0).then(|| self.hits as f64 / n as f64)
    }
}

/// A protocol event on one node at one time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimedEvent {
    pub at_ms: u64,
    pub node: NodeIdx,
    pub event: NodeEvent,
}

/// The phases of one failover, in ms since the run started.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailoverRecord {
    /// The master that was killed or cut off.
    pub master: NodeIdx,
    /// When it was killed or cut off.
    pub start_ms: u64,
    /// First PFAIL flag on it, by any node.
    pub pfail_ms: Option<u64>,
    /// First FAIL flag (quorum reached).
    pub fail_ms: Option<u64>,
    /// The winning replica's election was scheduled, then started.
    pub election_scheduled_ms: Option<u64>,
    pub election_ms: Option<u64>,
    pub votes: usize,
    /// The replica that took over, and when it owned the slots.
    pub promoted: Option<NodeIdx>,
    pub promoted_ms: Option<u64>,
}

impl FailoverRecord {
    pub fn failover_ms(&self) -> Option<u64> {
        self.promoted_ms.map(|p| p - self.start_ms)
    }
}

/// An application operation that finished, for the page's table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpRecord {
    pub at_ms: u64,
    pub client: usize,
    pub what: String,
    pub outcome: String,
    pub latency_ms: u64,
    pub redirects: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub totals: Totals,
    pub buckets: VecDeque<Bucket>,
    pub events: VecDeque<TimedEvent>,
    pub failovers: VecDeque<FailoverRecord>,
    pub recent: VecDeque<OpRecord>,
    /// Recent bus deliveries, oldest first (at most [`TRAFFIC_KEPT`]).
    pub bus: VecDeque<Traffic>,
    /// Recent redirects, oldest first (at most [`TRAFFIC_KEPT`]).
    pub redirected: VecDeque<Traffic>,
}

impl Metrics {
    fn bucket(&mut self, at_ms: u64) -> &mut Bucket {
        let second = at_ms / 1000;
        if self.buckets.back().is_none_or(|b| b.second < second) {
            let last = self.buckets.back().map_or(0, |b| b.second + 1);
            for s in last.max(second.saturating_sub(BUCKETS_KEPT as u64))..=second {
                self.buckets.push_back(Bucket { second: s, writable_slots: 16384, ..Bucket::default() });
            }
            while self.buckets.len() > BUCKETS_KEPT {
                self.buckets.pop_front();
            }
        }
        let i = self.buckets.iter().rposition(|b| b.second == second).unwrap_or(self.buckets.len() - 1);
        &mut self.buckets[i]
    }

    /// A finished operation.
    pub fn op(&mut self, rec: OpRecord, hit: Option<bool>, write: bool, error: Option<String>) {
        let t = &mut self.totals;
        t.ops += 1;
        t.latency_sum_ms += rec.latency_ms;
        match &error {
            Some(kind) => *t.errors.get_or_insert_with(kind.clone(), || 0) += 1,
            None => {
                t.ok += 1;
                match hit {
                    Some(true) => t.hits += 1,
                    Some(false) => t.misses += 1,
                    None => {}
                }
                if write {
                    t.writes_acked += 1;
                }
            }
        }
        let b = self.bucket(rec.at_ms);
        b.latency_sum_ms += rec.latency_ms;
        b.latency_max_ms = b.latency_max_ms.max(rec.latency_ms);
        if error.is_some() {
            b.errors += 1;
        } else {
            b.ok += 1;
            match hit {
                Some(true) => b.hits += 1,
                Some(false) => b.misses += 1,
                None => {}
            }
            if write {
                b.writes += 1;
            }
        }
        self.recent.push_back(rec);
        while self.recent.len() > RECENT_KEPT {
            self.recent.pop_front();
        }
    }

    /// Redirects the clients received.
    pub fn redirects(&mut self, at_ms: u64, moved: u64, ask: u64) {
        self.totals.moved += moved;
        self.totals.ask += ask;
        let b = self.bucket(at_ms);
        b.moved += moved;
        b.ask += ask;
    }

    /// A delivery on the wire; older ones than the window, and beyond the bound, are dropped.
    pub fn traffic(&mut self, t: Traffic) {
        let q = if t.kind.is_redirect() { &mut self.redirected } else { &mut self.bus };
        q.push_back(t);
        while q.len() > TRAFFIC_KEPT || q.front().is_some_and(|f| f.at_ms.saturating_add(TRAFFIC_WINDOW_MS) < t.at_ms) {
            q.pop_front();
        }
    }

    /// Deliveries in the window before `now_ms`, oldest first.
    pub fn recent_traffic(&self, now_ms: u64) -> Vec<Traffic> {
        let from = now_ms.saturating_sub(TRAFFIC_WINDOW_MS);
        let mut v: Vec<Traffic> = self
            .bus
            .iter()
            .chain(self.redirected.iter())
            .filter(|t| t.at_ms >= from && t.at_ms <= now_ms)
            .copied()
            .collect();
        v.sort_by_key(|t| t.at_ms);
        v
    }

    /// A 100 ms sample of how many slots can take writes.
    pub fn sample_writable(&mut self, at_ms: u64, writable: u64, period_ms: u64) {
        if writable < 16384 {
            self.totals.unavailable_ms += period_ms;
        }
        self.bucket(at_ms).writable_slots = writable;
    }

    /// A node's protocol event; updates the open failover records.
    pub fn event(
        &mut self,
        at_ms: u64,
        node: NodeIdx,
        event: NodeEvent,
        replica_of: impl Fn(NodeIdx) -> Option<NodeIdx>,
    ) {
        for f in self.failovers.iter_mut().filter(|f| f.promoted_ms.is_none()) {
            match &event {
                NodeEvent::Pfail { node: n } if *n == f.master => {
                    f.pfail_ms.get_or_insert(at_ms);
                }
                NodeEvent::MarkedFail { node: n, .. } | NodeEvent::FailReceived { node: n, .. } if *n == f.master => {
                    f.fail_ms.get_or_insert(at_ms);
                }
                NodeEvent::ElectionScheduled { .. } if replica_of(node) == Some(f.master) => {
                    f.election_scheduled_ms = Some(at_ms);
                }
                NodeEvent::ElectionStarted { .. } if replica_of(node) == Some(f.master) => {
                    f.election_ms = Some(at_ms);
                }
                NodeEvent::ElectionWon { votes, .. } if replica_of(node) == Some(f.master) => {
                    f.votes = *votes;
                    f.promoted = Some(node);
                    f.promoted_ms = Some(at_ms);
                }
                _ => {}
            }
        }
        self.events.push_back(TimedEvent { at_ms, node, event });
        while self.events.len() > EVENTS_KEPT {
            self.events.pop_front();
        }
    }

    /// A master went away (killed or cut off): open a failover record.
    pub fn master_lost(&mut self, at_ms: u64, master: NodeIdx) {
        if self.failovers.iter().any(|f| f.master == master && f.promoted_ms.is_none()) {
            return;
        }
        self.failovers.push_back(FailoverRecord { master, start_ms: at_ms, ..FailoverRecord::default() });
        while self.failovers.len() > FAILOVERS_KEPT {
            self.failovers.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_bounded_and_a_failover_record_fills_in() {
        let mut m = Metrics::default();
        for s in 0..2000u64 {
            m.sample_writable(s * 1000, 16384, 100);
        }
        assert_eq!(m.buckets.len(), BUCKETS_KEPT);
        m.master_lost(1000, 0);
        let replica_of = |n: NodeIdx| (n == 4).then_some(0);
        m.event(6100, 1, NodeEvent::Pfail { node: 0 }, replica_of);
        m.event(6900, 2, NodeEvent::MarkedFail { node: 0, reports: 2 }, replica_of);
        m.event(7000, 4, NodeEvent::ElectionScheduled { delay_ms: 700, rank: 0, offset: 10 }, replica_of);
        m.event(7700, 4, NodeEvent::ElectionStarted { epoch: 7 }, replica_of);
        m.event(7702, 4, NodeEvent::ElectionWon { epoch: 7, votes: 2 }, replica_of);
        let f = &m.failovers[0];
        assert_eq!((f.pfail_ms, f.fail_ms, f.promoted, f.failover_ms()), (Some(6100), Some(6900), Some(4), Some(6702)));
    }
}
