//! Properties of the modeled Redis Cluster over many seeds:
//! - with no faults, every acknowledged write is readable (and the ledger counts no loss);
//! - after the `failover` preset with zero replication lag, no acknowledged write is lost: every
//!   one is readable from the promoted replica (asynchronous replication, cluster spec "Write
//!   safety": losses come only from writes the replica had not received);
//! - with replication lag, the lost writes are at most the writes acknowledged inside the lag
//!   window before the kill, and the ledger's count equals what is missing on read-back;
//! - the failover time lies where the cluster specification puts it: at least the node timeout
//!   (PFAIL) plus the 500 ms fixed election delay, at most about twice the node timeout plus the
//!   1 s of random delay and vote round trips;
//! - a run is a pure function of its seed.

use playground::cluster::config::NodeIdx;
use playground::cluster::runtime::ClusterRun;
use playground::cluster::scenario::{preset, Scenario};
use playground::cluster::slot::key_slot;

const SEEDS: u64 = 6;

fn run(s: Scenario, seed: u64) -> ClusterRun {
    let mut r = ClusterRun::new(s, seed).expect("valid scenario");
    r.run_to_end();
    r
}

/// Acknowledged writes that are not readable from their slot's owner (as node `via` sees it).
fn unreadable(r: &ClusterRun, via: NodeIdx) -> Vec<(String, u64)> {
    let m = r.model();
    m.workload
        .acked
        .iter()
        .filter(|(k, (v, _))| m.read_owner(r.now(), via, k).as_deref() != Some(v.as_slice()))
        .map(|(k, (_, at))| (String::from_utf8_lossy(k).into_owned(), *at))
        .collect()
}

#[test]
fn with_no_faults_every_acknowledged_write_is_readable() {
    for seed in 0..SEEDS {
        let mut s = preset("steady").unwrap();
        s.duration_ms = 15_000;
        s.workload.write_rate = 100.0;
        let r = run(s, seed);
        let m = r.model();
        assert!(
            m.workload.acked.len() > 1000,
            "seed {seed}: {} writes acknowledged",
            m.workload.acked.len()
        );
        assert_eq!(
            unreadable(&r, 1),
            Vec::<(String, u64)>::new(),
            "seed {seed}"
        );
        assert_eq!(m.ledger.lost, 0, "seed {seed}");
        assert_eq!(
            m.metrics.totals.errors_total(),
            0,
            "seed {seed}: {:?}",
            m.metrics.totals.errors
        );
    }
}

#[test]
fn failover_with_zero_lag_loses_no_acknowledged_write() {
    for seed in 0..SEEDS {
        let mut s = preset("failover").unwrap();
        s.duration_ms = 25_000;
        s.steps.retain(|st| st.at_ms < 25_000);
        s.workload.write_rate = 100.0;
        let r = run(s, seed);
        let m = r.model();
        let f = m.metrics.failovers.front().expect("a failover happened");
        assert!(f.promoted.is_some(), "seed {seed}: {f:?}");
        assert_eq!(m.ledger.lost, 0, "seed {seed}");
        // Read back through a surviving master's view of the slots.
        assert_eq!(
            unreadable(&r, 1),
            Vec::<(String, u64)>::new(),
            "seed {seed}"
        );
    }
}

#[test]
fn with_lag_the_lost_writes_are_inside_the_lag_window() {
    let mut total_lost = 0;
    for seed in 0..SEEDS {
        let mut s = preset("replica-lag").unwrap();
        // Writes only: every acknowledged write is a session key that can be read back.
        s.workload.read_rate = 0.0;
        let lag = s.repl_lag_ms;
        let latency = s.latency_ms;
        let kill_at = s.steps[0].at_ms;
        let r = run(s, seed);
        let m = r.model();
        // The killed master's slots, as they were: now served by its promoted replica.
        let promoted = m
            .metrics
            .failovers
            .front()
            .and_then(|f| f.promoted)
            .expect("promoted");
        let dead_slots = &m.servers[promoted].cluster.myself().slots;
        let window = m
            .workload
            .acked
            .iter()
            .filter(|(k, (_, at))| {
                dead_slots.contains(key_slot(k))
                    && *at + lag + 2 * latency >= kill_at
                    && *at <= kill_at + 2 * latency
            })
            .count() as u64;
        let lost = m.ledger.lost;
        let missing = unreadable(&r, 1);
        assert!(
            lost <= window,
            "seed {seed}: {lost} lost, {window} acknowledged inside the {lag} ms window"
        );
        assert_eq!(
            missing.len() as u64,
            lost,
            "seed {seed}: the ledger counts exactly what is missing: {missing:?}"
        );
        assert!(missing
            .iter()
            .all(|(k, at)| dead_slots.contains(key_slot(k.as_bytes()))
                && at + lag + 2 * latency >= kill_at));
        total_lost += lost;
    }
    assert!(
        total_lost > 0,
        "an 800 ms lag at 100 writes/s loses some writes"
    );
}

#[test]
fn failover_time_is_where_the_specification_puts_it() {
    for timeout in [1000, 5000] {
        let mut times = Vec::new();
        for seed in 0..SEEDS {
            let mut s = preset("failover").unwrap();
            s.cluster.node_timeout_ms = timeout;
            s.workload.read_rate = 20.0;
            s.workload.write_rate = 5.0;
            s.duration_ms = 10_000 + 3 * timeout + 4000;
            s.steps.retain(|st| st.at_ms < 10_000 + 1);
            let r = run(s, seed);
            let ms = r.summary(seed).failover_ms.expect("failover");
            assert!(
                ms + 5 >= timeout + 500,
                "timeout {timeout}, seed {seed}: {ms} ms is too fast"
            );
            assert!(
                ms <= 2 * timeout + 2500,
                "timeout {timeout}, seed {seed}: {ms} ms is too slow"
            );
            times.push(ms);
        }
        times.sort();
        println!("node timeout {timeout} ms: failover {times:?} ms over {SEEDS} seeds");
    }
}

#[test]
fn the_same_seed_replays_the_same_run() {
    let mut s = preset("partition-minority").unwrap();
    s.duration_ms = 20_000;
    let run_once = |seed| {
        let mut r = ClusterRun::new(s.clone(), seed).unwrap();
        r.sim.trace_mut().set_enabled(true);
        r.run_to_end();
        (r.sim.trace().digest(), format!("{:?}", r.summary(seed)))
    };
    assert_eq!(run_once(4), run_once(4));
    assert_ne!(run_once(4).0, run_once(5).0);
}
