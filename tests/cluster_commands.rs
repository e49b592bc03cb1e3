#![cfg(not(target_arch = "wasm32"))]
//! CLUSTER subcommands and the failover protocol's rules on the modeled cluster, each named after
//! what `src/cluster.c` (Redis 7.0) does:
//! - CLUSTER REPLICAS / SLAVES list a master's replicas as CLUSTER NODES lines, and refuse a
//!   replica or an unknown node with Redis's texts;
//! - ADDSLOTS / DELSLOTS (and their RANGE forms) refuse busy, unassigned, repeated or out-of-range
//!   slots; a deleted slot answers `-CLUSTERDOWN Hash slot not served`, and with
//!   `cluster-require-full-coverage yes` the node refuses every key (`-CLUSTERDOWN The cluster is
//!   down`) until the slot is added back; with `no` only the unbound slot is refused;
//! - CLUSTER FAILOVER TAKEOVER promotes a replica at once with a configEpoch bump and its old
//!   master follows it; FAILOVER FORCE promotes a replica of a dead master before the node
//!   timeout has marked it failing; plain FAILOVER refuses then;
//! - FAIL is marked only with failure reports from a majority of masters; a replica's election
//!   delay is 500 ms + random 0–499 ms + rank × 1000 ms, every master votes at most once per
//!   epoch, and the winner has votes from a majority of masters.

use playground::cluster::config::NodeIdx;
use playground::cluster::node::NodeEvent;
use playground::cluster::runtime::ClusterRun;
use playground::cluster::scenario::{preset, Action, Scenario};
use playground::cluster::server::ConnState;
use playground::cluster::slot::key_slot;
use playground::redis::Reply;
use std::collections::BTreeMap;

fn quiet(id: &str) -> Scenario {
    let mut s = preset(id).unwrap();
    s.workload.read_rate = 0.0;
    s.workload.write_rate = 0.0;
    s.steps.clear();
    s
}

fn started(s: Scenario, seed: u64) -> ClusterRun {
    let mut r = ClusterRun::new(s, seed).expect("valid scenario");
    r.run_to_ms(1_000);
    r
}

fn cli(r: &mut ClusterRun, node: NodeIdx, line: &str) -> Reply {
    let argv = line.split_whitespace().map(|w| w.as_bytes().to_vec()).collect();
    r.cli(node, &mut ConnState::default(), argv).expect("answered at once")
}

fn err(text: &str) -> Reply {
    Reply::Error(text.into())
}

fn replica_of(r: &ClusterRun, master: NodeIdx) -> NodeIdx {
    let m = r.model();
    (0..m.servers.len()).find(|&i| m.servers[i].cluster.master() == Some(master)).expect("a replica")
}

fn name(r: &ClusterRun, n: NodeIdx) -> String {
    r.model().servers[0].cluster.names[n].clone()
}

#[test]
fn cluster_replicas_lists_a_masters_replicas_as_nodes_lines_and_refuses_others() {
    let mut r = started(quiet("steady"), 1);
    let rep = replica_of(&r, 0);
    let (id0, id_rep) = (name(&r, 0), name(&r, rep));
    for sub in ["REPLICAS", "SLAVES"] {
        let Reply::Array(lines) = cli(&mut r, 1, &format!("CLUSTER {sub} {id0}")) else { panic!("an array") };
        assert_eq!(lines.len(), 1, "one replica per master");
        let Reply::Bulk(line) = &lines[0] else { panic!("{lines:?}") };
        let line = String::from_utf8_lossy(line);
        let f: Vec<&str> = line.split(' ').collect();
        assert_eq!(f[0], id_rep);
        assert_eq!(f[1], format!("127.0.0.1:{}@{}", 7000 + rep, 17000 + rep));
        assert_eq!((f[2], f[3]), ("slave", id0.as_str()), "{line}");
    }
    assert_eq!(cli(&mut r, 1, &format!("CLUSTER REPLICAS {id_rep}")), err("ERR The specified node is not a master"));
    assert_eq!(cli(&mut r, 1, "CLUSTER REPLICAS nosuchnode"), err("ERR Unknown node nosuchnode"));
    assert_eq!(cli(&mut r, 1, "CLUSTER REPLICAS"), err("ERR wrong number of arguments for 'cluster|replicas' command"));
}

#[test]
fn addslots_and_delslots_refuse_busy_unassigned_repeated_and_out_of_range_slots() {
    let mut r = started(quiet("steady"), 1);
    assert_eq!(cli(&mut r, 0, "CLUSTER ADDSLOTS 0"), err("ERR Slot 0 is already busy"));
    assert_eq!(cli(&mut r, 0, "CLUSTER ADDSLOTS 16384"), err("ERR Invalid or out of range slot"));
    assert_eq!(cli(&mut r, 0, "CLUSTER DELSLOTS -1"), err("ERR Invalid or out of range slot"));
    assert_eq!(cli(&mut r, 0, "CLUSTER DELSLOTS 7 7"), err("ERR Slot 7 specified multiple times"));
    assert_eq!(
        cli(&mut r, 0, "CLUSTER ADDSLOTSRANGE 9 8"),
        err("ERR start slot number 9 is greater than end slot number 8")
    );
    assert_eq!(
        cli(&mut r, 0, "CLUSTER DELSLOTSRANGE 1 2 3"),
        err("ERR wrong number of arguments for 'cluster|delslotsrange' command")
    );
    // A refused command changes nothing: slot 7 is still node 0's.
    assert_eq!(r.model().servers[0].cluster.owner(7), Some(0));
    assert_eq!(cli(&mut r, 0, "CLUSTER DELSLOTS 7"), Reply::ok());
    assert_eq!(r.model().servers[0].cluster.owner(7), None);
    assert_eq!(cli(&mut r, 0, "CLUSTER DELSLOTS 7"), err("ERR Slot 7 is already unassigned"));
    assert_eq!(cli(&mut r, 0, "CLUSTER ADDSLOTSRANGE 7 7"), Reply::ok());
    assert_eq!(r.model().servers[0].cluster.owner(7), Some(0));
}

/// A key of `slot`'s owner whose slot is not `avoid`.
fn key_in(r: &ClusterRun, owner: NodeIdx, avoid: u16) -> String {
    (0..)
        .map(|n| format!("k{n}"))
        .find(|k| {
            let s = key_slot(k.as_bytes());
            s != avoid && r.model().servers[owner].cluster.owner(s) == Some(owner)
        })
        .unwrap()
}

#[test]
fn an_unbound_slot_is_not_served_and_full_coverage_takes_the_whole_node_down() {
    for full_coverage in [true, false] {
        let mut s = quiet("steady");
        s.cluster.require_full_coverage = full_coverage;
        let mut r = started(s, 2);
        let slot = key_slot(b"foo");
        let owner = r.model().servers[0].cluster.owner(slot).expect("bound");
        let other = key_in(&r, owner, slot);
        assert_eq!(cli(&mut r, owner, &format!("CLUSTER DELSLOTS {slot}")), Reply::ok());
        r.run_to_ms(1_300);
        assert_eq!(cli(&mut r, owner, "GET foo"), err("CLUSTERDOWN Hash slot not served"));
        let info = |r: &mut ClusterRun| match cli(r, owner, "CLUSTER INFO") {
            Reply::Bulk(b) => String::from_utf8_lossy(&b).lines().next().unwrap_or("").to_string(),
            other => panic!("{other:?}"),
        };
        if full_coverage {
            assert_eq!(cli(&mut r, owner, &format!("GET {other}")), err("CLUSTERDOWN The cluster is down"));
            assert_eq!(info(&mut r), "cluster_state:fail");
        } else {
            assert_eq!(cli(&mut r, owner, &format!("GET {other}")), Reply::Nil);
            assert_eq!(info(&mut r), "cluster_state:ok");
        }
        // Added back, the node serves again (a master that was down waits out its rejoin delay).
        assert_eq!(cli(&mut r, owner, &format!("CLUSTER ADDSLOTS {slot}")), Reply::ok());
        r.run_to_ms(8_000);
        assert_eq!(info(&mut r), "cluster_state:ok", "full coverage {full_coverage}");
        assert_eq!(cli(&mut r, owner, "GET foo"), Reply::Nil);
    }
}

#[test]
fn failover_takeover_promotes_at_once_with_an_epoch_bump_and_the_old_master_follows() {
    let mut r = started(quiet("steady"), 3);
    let rep = replica_of(&r, 0);
    let before = r.model().servers[rep].cluster.current_epoch;
    assert_eq!(cli(&mut r, 0, "CLUSTER FAILOVER TAKEOVER"), err("ERR You should send CLUSTER FAILOVER to a replica"));
    assert_eq!(cli(&mut r, rep, "CLUSTER FAILOVER NOW"), err("ERR syntax error"));
    assert_eq!(cli(&mut r, rep, "CLUSTER FAILOVER TAKEOVER"), Reply::ok());
    {
        let c = &r.model().servers[rep].cluster;
        assert!(c.is_master(), "promoted without an election");
        assert_eq!(c.owner(0), Some(rep));
        assert!(c.myself().config_epoch > before, "configEpoch bumped past {before}");
    }
    r.run_to_ms(3_000);
    let m = r.model();
    assert_eq!(m.servers[0].cluster.master(), Some(rep), "the old master is now its replica");
    for (i, s) in m.servers.iter().enumerate() {
        assert_eq!(s.cluster.owner(0), Some(rep), "node {i} sees the new owner");
    }
}

#[test]
fn failover_force_promotes_the_replica_of_a_dead_master_before_the_node_timeout() {
    let mut r = started(quiet("steady"), 4);
    let rep = replica_of(&r, 0);
    r.act(Action::Kill { node: 0 });
    r.run_to_ms(1_500);
    assert_eq!(
        cli(&mut r, rep, "CLUSTER FAILOVER"),
        err("ERR Master is down or failed, please use CLUSTER FAILOVER FORCE")
    );
    assert_eq!(cli(&mut r, rep, "CLUSTER FAILOVER FORCE"), Reply::ok());
    // The node timeout is 5 s: a forced failover needs no FAIL, only the masters' votes.
    r.run_to_ms(3_000);
    let m = r.model();
    assert!(m.servers[rep].cluster.is_master(), "promoted 1.5 s after the request");
    let others: Vec<usize> = (1..6).filter(|&i| i != rep).collect();
    for i in others {
        assert_eq!(m.servers[i].cluster.owner(0), Some(rep), "node {i}");
    }
}

/// With two replicas per master (one of them behind) and the master killed under writes, over seeds: every scheduled election is
/// 500–999 ms + rank × 1000 ms after FAIL (`clusterHandleSlaveFailover`), a master grants at
/// most one vote per epoch (`lastVoteEpoch`), the winner counts votes from a majority of the
/// masters, and exactly one replica is promoted.
#[test]
fn election_delay_is_500_ms_plus_random_plus_rank_seconds_and_each_master_votes_once_per_epoch() {
    let mut ranks_seen = [0usize; 2];
    for seed in 0..4 {
        let mut s = quiet("steady");
        s.cluster.replicas = 2;
        s.workload.write_rate = 50.0;
        s.duration_ms = 25_000;
        let mut r = started(s, seed);
        // One replica of the master is cut off for the last 2 s before the master dies, so its
        // offset is behind: it gets rank 1, its sibling rank 0.
        let behind = replica_of(&r, 0);
        r.run_to_ms(8_000);
        r.act(Action::Partition { nodes: vec![behind], clients: vec![] });
        r.run_to_ms(10_000);
        r.act(Action::Kill { node: 0 });
        r.run_to_ms(10_500);
        r.act(Action::Heal);
        r.run_to_end();
        let m = r.model();
        let masters = 3;
        let mut votes: BTreeMap<(NodeIdx, u64), usize> = BTreeMap::new();
        let mut won = Vec::new();
        let mut marked = 0;
        for e in m.metrics.events.iter() {
            match &e.event {
                NodeEvent::ElectionScheduled { delay_ms, rank, .. } => {
                    let lo = 500 + *rank as u64 * 1000;
                    assert!((lo..lo + 500).contains(delay_ms), "seed {seed}: rank {rank}, delay {delay_ms} ms");
                    ranks_seen[(*rank).min(1)] += 1;
                }
                NodeEvent::VoteGranted { epoch, .. } => *votes.entry((e.node, *epoch)).or_default() += 1,
                NodeEvent::ElectionWon { votes, .. } => won.push((e.node, *votes)),
                NodeEvent::MarkedFail { node, reports } => {
                    assert_eq!(*node, 0, "seed {seed}: only the killed master is marked failing");
                    assert!(*reports > masters / 2, "seed {seed}: FAIL with {reports} reports of {masters} masters");
                    marked += 1;
                }
                _ => {}
            }
        }
        assert!(votes.values().all(|&n| n == 1), "seed {seed}: a master voted twice in one epoch: {votes:?}");
        assert!(marked >= 1, "seed {seed}: some master marked the dead one failing");
        assert_eq!(won.len(), 1, "seed {seed}: one promotion: {won:?}");
        assert!(won[0].1 > masters / 2, "seed {seed}: won with {} votes of {masters} masters", won[0].1);
        assert!(m.servers[won[0].0].cluster.is_master(), "seed {seed}");
    }
    assert!(ranks_seen[0] > 0 && ranks_seen[1] > 0, "both ranks scheduled elections: {ranks_seen:?}");
}
