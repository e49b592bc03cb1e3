//! What the /cluster page draws, computed from a run: one row per node (role, state as the
//! others see it, epochs, offsets, keys), the slot owners, the latest failover's phases and the
//! counts. Pure and cheap enough for every animation frame (one pass over the 16384 slots).

use serde::Serialize;

use super::bus::Flags;
use super::config::{addr_of, NodeIdx};
use super::metrics::FailoverRecord;
use super::node::ClusterState;
use super::replication::LinkState;
use super::runtime::{ClusterRun, ClusterSim};
use super::slot::{Slot, SLOTS};
use crate::sim::Simulation;

/// A node's health as the rest of the cluster sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Health {
    Ok,
    /// Some nodes flag it PFAIL (`fail?`).
    Pfail,
    /// Flagged FAIL.
    Fail,
    /// Still in handshake with some node.
    Handshake,
    /// The process is not running.
    Killed,
}

impl Health {
    pub fn name(self) -> &'static str {
        match self {
            Health::Ok => "ok",
            Health::Pfail => "pfail",
            Health::Fail => "fail",
            Health::Handshake => "handshake",
            Health::Killed => "killed",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeRow {
    pub idx: NodeIdx,
    pub addr: String,
    pub name: String,
    pub alive: bool,
    /// "master" or "replica" in its own view.
    pub master: bool,
    pub replica_of: Option<NodeIdx>,
    pub health: Health,
    /// Nodes that flag it PFAIL or FAIL.
    pub flagged_by: usize,
    /// Its own cluster state.
    pub state: ClusterState,
    pub config_epoch: u64,
    pub current_epoch: u64,
    pub offset: u64,
    pub keys: usize,
    pub slots: usize,
    /// A replica's link to its master.
    pub link: Option<LinkState>,
    pub partitioned: bool,
    pub extra_latency_ms: u64,
}

/// One contiguous run of slots with one owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SlotRun {
    pub first: Slot,
    pub last: Slot,
    pub owner: Option<NodeIdx>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClusterView {
    pub nodes: Vec<NodeRow>,
    /// Slot owners as the most up-to-date live node sees them (the greatest current epoch).
    pub slot_runs: Vec<SlotRun>,
    /// Whose view `slot_runs` is.
    pub viewer: Option<NodeIdx>,
    pub writable_slots: usize,
    pub failover: Option<FailoverRecord>,
    pub elapsed_ms: u64,
    pub duration_ms: u64,
    /// Bus messages and redirects delivered in the last second, oldest first.
    pub traffic: Vec<super::metrics::Traffic>,
    /// Application processes (the redirects' receivers).
    pub apps: usize,
}

impl ClusterView {
    pub fn of(run: &ClusterRun) -> ClusterView {
        Self::of_sim(&run.sim)
    }

    /// What the page draws of a simulation at its clock (a rewound run's cursor).
    pub fn of_sim(sim: &Simulation<ClusterSim>) -> ClusterView {
        let m = &sim.model;
        let elapsed_ms = m.elapsed_ms(sim.now());
        let n = m.nodes();
        let partitioned: Vec<NodeIdx> = m.partition.as_ref().map(|(p, _)| p.clone()).unwrap_or_default();
        let nodes = (0..n)
            .map(|i| {
                let s = &m.servers[i];
                let c = &s.cluster;
                let observers: Vec<&super::node::Peer> =
                    (0..n).filter(|&j| j != i && m.alive[j]).map(|j| &m.servers[j].cluster.nodes[i]).collect();
                let fail = observers.iter().filter(|p| p.flags.has(Flags::FAIL)).count();
                let pfail = observers.iter().filter(|p| p.flags.has(Flags::PFAIL)).count();
                let handshake = observers.iter().any(|p| p.flags.has(Flags::HANDSHAKE));
                let health = if !m.alive[i] {
                    Health::Killed
                } else if fail * 2 > observers.len() {
                    Health::Fail
                } else if fail + pfail > 0 {
                    Health::Pfail
                } else if handshake {
                    Health::Handshake
                } else {
                    Health::Ok
                };
                NodeRow {
                    idx: i,
                    addr: addr_of(i),
                    name: m.names[i].clone(),
                    alive: m.alive[i],
                    master: c.is_master(),
                    replica_of: c.master(),
                    health,
                    flagged_by: fail + pfail,
                    state: c.state,
                    config_epoch: c.my_epoch(),
                    current_epoch: c.current_epoch,
                    offset: s.repl.offset,
                    keys: s.store.dbsize(),
                    slots: c.myself().numslots(),
                    link: s.repl.master.as_ref().map(|l| l.state),
                    partitioned: partitioned.contains(&i),
                    extra_latency_ms: m.extra_latency[i],
                }
            })
            .collect();
        let viewer =
            (0..n).filter(|&i| m.alive[i]).max_by_key(|&i| (m.servers[i].cluster.current_epoch, std::cmp::Reverse(i)));
        let mut slot_runs: Vec<SlotRun> = Vec::new();
        if let Some(v) = viewer {
            let owners = &m.servers[v].cluster.slots;
            for (s, &o) in owners.iter().enumerate().take(SLOTS) {
                match slot_runs.last_mut() {
                    Some(r) if r.owner == o => r.last = s as Slot,
                    _ => slot_runs.push(SlotRun { first: s as Slot, last: s as Slot, owner: o }),
                }
            }
        }
        ClusterView {
            nodes,
            slot_runs,
            viewer,
            writable_slots: m.writable_slots(),
            failover: m.metrics.failovers.back().cloned(),
            elapsed_ms,
            duration_ms: m.scenario.duration_ms,
            traffic: m.metrics.recent_traffic(elapsed_ms),
            apps: m.clients.len(),
        }
    }

    /// The owner of `slot` in the viewer's map.
    pub fn owner_of(&self, slot: Slot) -> Option<NodeIdx> {
        self.slot_runs.iter().find(|r| r.first <= slot && slot <= r.last).and_then(|r| r.owner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::scenario::preset;

    #[test]
    fn the_view_follows_a_failover() {
        let mut s = preset("failover").unwrap();
        s.workload.read_rate = 10.0;
        s.workload.write_rate = 5.0;
        let mut run = ClusterRun::new(s, 1).unwrap();
        run.run_to_ms(9_000);
        let v = ClusterView::of(&run);
        assert_eq!(v.slot_runs.iter().map(|r| r.owner).collect::<Vec<_>>(), vec![Some(0), Some(1), Some(2)]);
        assert!(v.nodes.iter().all(|n| n.health == Health::Ok));
        run.run_to_ms(15_500);
        let v = ClusterView::of(&run);
        assert_eq!(v.nodes[0].health, Health::Killed);
        run.run_to_ms(25_000);
        let v = ClusterView::of(&run);
        let promoted = v.failover.as_ref().and_then(|f| f.promoted).expect("promoted");
        assert_eq!(v.owner_of(0), Some(promoted));
        assert!(v.nodes[promoted].master && v.nodes[promoted].config_epoch == 7);
        assert_eq!(v.writable_slots, 16384);
    }

    /// The picture of the wire shows gossip always, FAIL and the votes at the failover, and the
    /// MOVED replies that send the applications to the promoted replica; only the last second.
    #[test]
    fn the_wire_shows_gossip_votes_and_redirects() {
        use crate::cluster::metrics::{TrafficKind, TRAFFIC_KEPT, TRAFFIC_WINDOW_MS};
        let kinds_between = |run: &mut ClusterRun, from_ms: u64, to_ms: u64| {
            let mut seen = std::collections::BTreeSet::new();
            let mut t = from_ms;
            while t < to_ms {
                t += 100;
                run.run_to_ms(t);
                let v = ClusterView::of(run);
                assert!(v.traffic.iter().all(|x| x.at_ms + TRAFFIC_WINDOW_MS >= t && x.at_ms <= t));
                assert!(v.traffic.len() <= 2 * TRAFFIC_KEPT);
                seen.extend(v.traffic.iter().map(|x| x.kind.name()));
            }
            seen.into_iter().collect::<Vec<_>>()
        };
        let mut run = ClusterRun::new(preset("failover").unwrap(), 1).unwrap();
        assert_eq!(kinds_between(&mut run, 0, 9_000), vec!["ping", "pong"]);
        let promoted_ms = {
            run.run_to_ms(25_000);
            run.model().metrics.failovers[0].promoted_ms.unwrap()
        };
        let mut run = ClusterRun::new(preset("failover").unwrap(), 1).unwrap();
        let seen = kinds_between(&mut run, 10_000, promoted_ms + 2_000);
        for k in [TrafficKind::Fail, TrafficKind::VoteRequest, TrafficKind::Vote, TrafficKind::Moved] {
            assert!(seen.contains(&k.name()), "{k:?} not in {seen:?}");
        }
    }
}
