//! Linearizability of the cluster's client history (issue 16): a failover with replication lag
//! loses acknowledged writes — the checker finds the anomaly, with a two-operation sub-history (the
//! acknowledged SET and the final read that finds nothing) — and the same failover without lag is
//! linearizable. The cluster's own ledger counts the same lost writes.

use playground::cluster::linear::check_writes;
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

#[test]
fn a_failover_with_replication_lag_loses_acknowledged_writes_and_the_history_is_not_linearizable() {
    let mut r = run("replica-lag", None, 1);
    let lost = r.summary(1).acked_writes_lost;
    let (h, report) = check_writes(&mut r);
    println!("{} ops; {}; ledger: {lost} acknowledged writes lost", h.ops.len(), report.summary);
    assert!(lost > 0, "the preset loses writes");
    assert_eq!(report.result, "not-linearizable", "{}", report.summary);
    // Lost writes are failing keys (at most the ledger's count: a final read that no node answers
    // is left out), each explained by the SET that was acknowledged and the read that found nothing.
    let failing = report.failures.len() as u64;
    println!("failing keys: {failing}");
    assert!(failing > 0 && failing <= lost, "{failing} failing keys, {lost} lost");
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
