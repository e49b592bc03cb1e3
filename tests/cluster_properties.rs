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
//! - a master cut off on the minority side stops accepting writes between one and one and a half
//!   node timeouts after the cut, and what it accepted alone is lost (and counted) on heal;
//! - resharding under load meets ASK and TRYAGAIN and loses nothing;
//! - a run is a pure function of its seed.

use playground::cluster::config::NodeIdx;
use playground::cluster::failover_times::failover_distribution;
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
        assert!(m.workload.acked.len() > 1000, "seed {seed}: {} writes acknowledged", m.workload.acked.len());
        assert_eq!(unreadable(&r, 1), Vec::<(String, u64)>::new(), "seed {seed}");
        assert_eq!(m.ledger.lost, 0, "seed {seed}");
        assert_eq!(m.metrics.totals.errors_total(), 0, "seed {seed}: {:?}", m.metrics.totals.errors);
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
        assert_eq!(unreadable(&r, 1), Vec::<(String, u64)>::new(), "seed {seed}");
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
        let promoted = m.metrics.failovers.front().and_then(|f| f.promoted).expect("promoted");
        let dead_slots = &m.servers[promoted].cluster.myself().slots;
        let window = m
            .workload
            .acked
            .iter()
            .filter(|(k, (_, at))| {
                dead_slots.contains(key_slot(k)) && *at + lag + 2 * latency >= kill_at && *at <= kill_at + 2 * latency
            })
            .count() as u64;
        let lost = m.ledger.lost;
        let missing = unreadable(&r, 1);
        assert!(lost <= window, "seed {seed}: {lost} lost, {window} acknowledged inside the {lag} ms window");
        assert_eq!(missing.len() as u64, lost, "seed {seed}: the ledger counts exactly what is missing: {missing:?}");
        assert!(missing
            .iter()
            .all(|(k, at)| dead_slots.contains(key_slot(k.as_bytes())) && at + lag + 2 * latency >= kill_at));
        total_lost += lost;
    }
    assert!(total_lost > 0, "an 800 ms lag at 100 writes/s loses some writes");
}

#[test]
fn failover_time_is_where_the_specification_puts_it() {
    for (timeout, seeds) in [(1000, SEEDS), (5000, 30)] {
        let d = failover_distribution(timeout, 0..seeds).expect("valid");
        assert_eq!(d.without_failover, Vec::<u64>::new(), "timeout {timeout}");
        for s in &d.samples {
            assert!(s.failover_ms + 5 >= timeout + 500, "timeout {timeout}: {s:?} is too fast");
            assert!(s.failover_ms <= 2 * timeout + 2500, "timeout {timeout}: {s:?} is too slow");
            assert!(s.pfail_ms >= timeout && s.pfail_ms <= s.fail_ms && s.fail_ms < s.election_ms, "{s:?}");
        }
        let f = d.failover.as_ref().unwrap();
        let (lo, hi) = (timeout * 13 / 10, timeout * 17 / 10);
        println!(
            "node timeout {timeout} ms over {seeds} seeds: failover min {} p10 {} median {} p90 {} max {} ms; {:.0}% in 1.3–1.7 node timeouts",
            f.min,
            f.p10,
            f.median,
            f.p90,
            f.max,
            100.0 * d.share_within(lo, hi)
        );
        if timeout == 5000 {
            // A real 7.0 cluster of this shape: roughly 6.5–8.5 s (7.3 s in tests/cluster_differential.rs).
            assert!(d.share_within(lo, hi) >= 0.6, "{f:?}");
        }
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

/// The `partition-minority` preset: the master cut off with one application process keeps
/// accepting that process's writes only until it sees the majority of masters unreachable
/// (PFAIL on them: the node timeout after its unanswered pings, which go out at most half a
/// node timeout after the last PONG), then answers CLUSTERDOWN (`clusterUpdateState`'s minority
/// rule). Its replica is promoted on the majority side; when the partition heals the old master
/// becomes a replica, resynchronises, and everything it accepted alone is lost and counted.
#[test]
fn a_minority_master_stops_writes_after_the_node_timeout_and_loses_them_on_heal() {
    use playground::cluster::node::{ClusterState, NodeEvent};
    for timeout in [2000u64, 5000] {
        for seed in 0..3 {
            let mut s = preset("partition-minority").unwrap();
            s.cluster.node_timeout_ms = timeout;
            s.workload.read_rate = 0.0;
            s.workload.write_rate = 100.0;
            let cut_at = s.steps[0].at_ms;
            let heal_at = s.steps[1].at_ms;
            let mut r = ClusterRun::new(s, seed).unwrap();
            r.run_to_ms(heal_at - 1);
            // Before the heal: what node 1 (majority side) reads from the promoted replica lacks
            // exactly the writes the minority master accepted after the cut.
            let alone = unreadable(&r, 1);
            let down_at = r
                .model()
                .metrics
                .events
                .iter()
                .find(|e| {
                    e.node == 0
                        && e.at_ms > cut_at
                        && e.event == (NodeEvent::StateChanged { state: ClusterState::Fail })
                })
                .map(|e| e.at_ms)
                .expect("the cut-off master declares the cluster down");
            let last = alone.iter().map(|(_, at)| *at).max().expect("the minority master accepted writes");
            println!(
                "node timeout {timeout} ms, seed {seed}: {} writes accepted alone from {} to {} ms after the cut; CLUSTERDOWN at +{} ms",
                alone.len(),
                alone.iter().map(|(_, at)| at - cut_at).min().unwrap(),
                last - cut_at,
                down_at - cut_at
            );
            assert!(alone.iter().all(|(_, at)| *at >= cut_at), "seed {seed}: {alone:?}");
            assert!(down_at >= cut_at + timeout, "seed {seed}: down after {} ms", down_at - cut_at);
            assert!(down_at <= cut_at + timeout + timeout / 2 + 300, "seed {seed}: down after {} ms", down_at - cut_at);
            // An acknowledgement can still be on its way when the state flips.
            assert!(last <= down_at + 10, "seed {seed}: a write acknowledged at +{} ms", last - cut_at);
            assert_eq!(r.model().ledger.lost, 0, "seed {seed}: nothing is lost while the master keeps it");
            r.run_to_end();
            let m = r.model();
            assert_eq!(m.ledger.lost, alone.len() as u64, "seed {seed}: every write accepted alone is lost");
            assert_eq!(unreadable(&r, 1), alone, "seed {seed}");
            assert_eq!(unreadable(&r, 0), alone, "seed {seed}: the old master, now a replica, agrees");
        }
    }
}

/// The `reshard` preset: 1000 slots (slot 105 with 3000 `{orders}` keys among them) move from
/// :7000 to :7001 key by key while three application processes keep reading and writing. The
/// clients meet ASK (keys already moved) and TRYAGAIN (MGET of keys split across the two nodes);
/// nothing fails, nothing acknowledged is lost, and every node agrees on the new owner.
#[test]
fn resharding_under_load_redirects_with_ask_and_loses_nothing() {
    for seed in 0..3 {
        let s = preset("reshard").unwrap();
        let r = run(s, seed);
        let m = r.model();
        let sum = r.summary(seed);
        let rs = m.resharder.as_ref().expect("a resharding ran");
        assert_eq!(rs.error, None, "seed {seed}");
        assert!(rs.finished_ms.is_some(), "seed {seed}: finished");
        assert_eq!(rs.slots.len(), 1000);
        assert!(rs.keys_moved >= 3000, "seed {seed}: {} keys moved", rs.keys_moved);
        for srv in &m.servers {
            for &slot in &rs.slots {
                assert_eq!(srv.cluster.owner(slot), Some(1), "seed {seed}: slot {slot}");
            }
        }
        println!(
            "seed {seed}: {} keys moved in {} ms; {} ASK, {} TRYAGAIN, {} MOVED; {} operations, {} errors",
            rs.keys_moved,
            rs.finished_ms.unwrap() - rs.started_ms,
            sum.ask,
            sum.tryagain,
            sum.moved,
            sum.ops,
            m.metrics.totals.errors_total()
        );
        assert!(sum.ask > 0, "seed {seed}: no ASK");
        assert!(sum.tryagain > 0, "seed {seed}: no TRYAGAIN");
        assert!(sum.moved > 0, "seed {seed}: no MOVED after the move");
        // The only failure allowed is ioredis's "Too many Cluster redirections": an MGET of two
        // `{orders}` keys split across the nodes meets TRYAGAIN, and each retry (100 ms apart)
        // spends one of its 16 redirections while slot 105's 3000 keys move 10 per MIGRATE.
        let errors = &m.metrics.totals.errors;
        assert!(errors.keys().all(|k| k == "redirections"), "seed {seed}: {errors:?}");
        assert!(m.metrics.totals.errors_total() * 100 < sum.ops, "seed {seed}: {errors:?} of {} operations", sum.ops);
        assert_eq!(m.ledger.lost, 0, "seed {seed}");
        assert_eq!(unreadable(&r, 2), Vec::<(String, u64)>::new(), "seed {seed}");
    }
}
