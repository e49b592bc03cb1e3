//! Linearizability of the cluster's client history (issue 16): a failover with replication lag
//! loses acknowledged writes — the checker finds the anomaly, with a two-operation sub-history (the
//! acknowledged SET and the final read that finds nothing) — and the same failover without lag is
//! linearizable. The cluster's own ledger counts the same lost writes.

use playground::cluster::linear::check_writes;
use playground::cluster::replication::StreamEntry;
use playground::cluster::runtime::ClusterRun;
use playground::cluster::scenario::preset;
use playground::verify::linear::{Input, Output};

fn run(id: &str, lag: Option<u64>, seed: u64) -> ClusterRun {
    let mut s = preset(id).unwrap();
    if let Some(l) = lag {
        s.repl_lag_ms = l;
    }
    let mut r = ClusterRun::new(s, seed).unwrap();
    r.run_to_end();
    r
}

/// The killed master's acknowledged writes that its promoted replica never received: the entries
/// of the dead master's backlog after the fork offset (`replid2`'s) of the replica that took over,
/// split into session SETs (keys, sorted) and everything else (keys): each a write acknowledged
/// before the kill (its OK was on the wire first) that no node holds any more.
fn lost_after_the_fork(r: &ClusterRun) -> (Vec<String>, Vec<String>) {
    let m = r.model();
    let f = m.metrics.failovers.front().expect("a failover");
    let promoted = f.promoted.expect("promoted");
    let (hist, fork) = m.servers[promoted].repl.hist2.expect("the promoted replica continues the old history");
    let old = &m.servers[f.master].repl;
    assert_eq!(old.hist, hist, "the dead master's data is the history the replica forked from");
    let (mut session, mut other) = (Vec::new(), Vec::new());
    // A write with a TTL is propagated as the write and a PEXPIREAT: one write.
    let ttl = |e: &&StreamEntry| e.argv[0].eq_ignore_ascii_case(b"PEXPIREAT");
    for e in old.backlog().filter(|e| e.start() >= fork && !e.is_control()).filter(|e| !ttl(e)) {
        let key = String::from_utf8_lossy(&e.argv[1]).into_owned();
        if e.argv[0].eq_ignore_ascii_case(b"SET") && key.starts_with("session:") {
            session.push(key);
        } else {
            other.push(key);
        }
    }
    session.sort();
    (session, other)
}

#[test]
fn a_failover_with_replication_lag_loses_acknowledged_writes_and_the_history_is_not_linearizable() {
    let mut r = run("replica-lag", None, 1);
    let lost = r.summary(1).acked_writes_lost;
    let (h, report) = check_writes(&mut r);
    println!("{} ops; {}; ledger: {lost} acknowledged writes lost", h.ops.len(), report.summary);
    assert!(lost > 0, "the preset loses writes");
    assert_eq!(report.result, "not-linearizable", "{}", report.summary);
    // The ledger counts every acknowledged write the failover lost: the killed master's writes
    // after the offset its replica had when promoted (the fork of `replid2`). Among them are the
    // cache-aside fills (`SETEX user:<name> …`), which the history leaves out (they expire by
    // themselves); every other one is a session SET, written once per key, so each is exactly one
    // failing key.
    let failing: Vec<&str> = report.failures.iter().map(|f| f.key.as_str()).collect();
    let (session, fills) = lost_after_the_fork(&r);
    println!("failing keys: {}; lost session SETs {}, lost cache fills {}", failing.len(), session.len(), fills.len());
    println!("lost cache fills: {fills:?}");
    assert_eq!(session.len() as u64 + fills.len() as u64, lost, "the ledger's lost writes are these");
    assert_eq!(failing, session, "each lost session SET is a failing key, and nothing else is");
    assert!(fills.iter().all(|k| k.starts_with("user:")), "{fills:?}");
    // replica-lag seed 1: 28 lost = 26 session keys + 2 cache fills.
    assert_eq!((lost, failing.len(), fills.len()), (28, 26, 2));
    let f = &report.failures[0];
    println!("{}: {}", f.key, f.explanation);
    for op in &f.ops {
        println!("  {}", op.describe());
    }
    assert_eq!(f.ops.len(), 2);
    assert!(matches!(f.ops[0].input, Input::Set { .. }) && f.ops[0].output == Some(Output::Ok));
    assert!(f.ops[1].input == Input::Get && f.ops[1].output == Some(Output::Nil));
}

#[test]
fn the_same_failover_without_replication_lag_is_linearizable() {
    for seed in [1, 2, 3] {
        let mut r = run("replica-lag", Some(0), seed);
        let lost = r.summary(seed).acked_writes_lost;
        let (h, report) = check_writes(&mut r);
        println!("seed {seed}: {} ops; {}", h.ops.len(), report.summary);
        assert_eq!(lost, 0);
        assert!(h.ops.iter().filter(|o| o.output == Some(Output::Ok)).count() > 100, "writes were acknowledged");
        assert_eq!(report.result, "linearizable", "seed {seed}: {}", report.summary);
    }
    let mut r = run("failover", None, 1);
    let (_, report) = check_writes(&mut r);
    assert_eq!(report.result, "linearizable", "{}", report.summary);
}
