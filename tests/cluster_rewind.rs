#![cfg(not(target_arch = "wasm32"))]
//! Rewind of the cluster run is exact: over many seeds, presets and random sequences of seeks,
//! steps back and forth, notable jumps and user actions (nodes killed and restarted, partitions,
//! latency, manual failovers, lines typed at redis-cli; some while rewound, which cuts the future
//! off; some refused), the trace digest and the cluster's state at the cursor equal a straight
//! run of the same scenario, seed and action log to the same cursor. A replay file of such a run
//! gives the same digest through `sim replay` (straight with `--until-ms`, through snapshots with
//! `--seek-ms`), and `sim cluster` agrees with both.

#[path = "support/rewind.rs"]
mod support;

use playground::cluster::replay::{rewind, ClusterAction, ClusterRewind};
use playground::cluster::runtime::{ClusterRun, ClusterSim};
use playground::cluster::scenario::{preset, Action, FailoverMode, Scenario, PRESETS};
use playground::cluster::view::ClusterView;
use playground::sim::replay::{capture, ReplayModel};
use playground::sim::rewind::{Rewind, RewindConfig, Seek};
use playground::sim::{Simulation, TEST_EPOCH};
use proptest::prelude::*;
use support::{apply, op, sim_json, straight_to_cursor, tight};

/// A preset, shortened and lightened so a case stays fast: 3 masters with a replica each, a
/// 1 s node timeout (failovers happen within the run), 6 s long.
fn scenario(p: usize) -> Scenario {
    let mut sc = preset(PRESETS[p].0).unwrap();
    sc.duration_ms = 6_000;
    sc.cluster.node_timeout_ms = 1_000;
    sc.workload.read_rate = sc.workload.read_rate.min(40.0);
    sc.workload.write_rate = sc.workload.write_rate.min(20.0);
    sc.workload.tagged_keys = sc.workload.tagged_keys.min(50);
    for s in &mut sc.steps {
        s.at_ms = s.at_ms * 6 / 50;
        if let Action::Reshard { slots, .. } = &mut s.action {
            *slots = (*slots).min(20);
        }
    }
    sc
}

fn fresh(sc: &Scenario, seed: u64) -> Simulation<ClusterSim> {
    ClusterSim::build(sc, seed, TEST_EPOCH).unwrap()
}

fn action() -> impl Strategy<Value = ClusterAction> {
    // Node 7 and application 4 do not exist: a refused action must change nothing.
    let line = prop::sample::select(vec!["SET foo bar", "GET foo", "WAIT 1 300", "CLUSTER NODES", "INCR n", "clear"]);
    (0usize..8, 0u8..8, 0u64..400, line).prop_map(|(node, k, ms, line)| match k {
        0 => ClusterAction::Op(Action::Kill { node }),
        1 => ClusterAction::Op(Action::Restart { node }),
        2 => ClusterAction::Op(Action::Partition { nodes: vec![node], clients: vec![(ms % 5) as usize] }),
        3 => ClusterAction::Op(Action::Heal),
        4 => ClusterAction::Op(Action::Latency { node, ms }),
        5 => ClusterAction::Op(Action::Failover { node, mode: FailoverMode::Force }),
        _ => ClusterAction::Cli(line.to_string()),
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn the_digest_at_a_cursor_does_not_depend_on_how_it_was_reached(
        seed in 0u64..100_000,
        p in 0usize..PRESETS.len(),
        ops in prop::collection::vec(op(action(), 6_000, 8_000), 1..8),
    ) {
        let sc = scenario(p);
        let mut r = Rewind::with_config(fresh(&sc, seed), tight(512));
        for (i, op) in ops.iter().enumerate() {
            apply(&mut r, op)?;
            let straight = straight_to_cursor(|| fresh(&sc, seed), &r)?;
            let (a, b) = (straight.model(), r.model());
            prop_assert_eq!(&a.metrics, &b.metrics, "step {} {:?}", i, op);
            prop_assert_eq!(&a.transcript, &b.transcript);
            prop_assert_eq!((a.ledger.acked, a.ledger.lost), (b.ledger.acked, b.ledger.lost));
            prop_assert_eq!(ClusterView::of_sim(straight.sim()), ClusterView::of_sim(r.sim()));
        }
    }
}

#[test]
fn seeking_and_a_straight_run_give_the_same_digest_for_every_preset() {
    for (p, (id, _)) in PRESETS.iter().enumerate() {
        let sc = scenario(p);
        for t in [0u64, 1, 999, 2_500, 6_000] {
            let mut plain = ClusterRun::new(sc.clone(), 7).unwrap();
            plain.sim.trace_mut().set_running_digest(true);
            plain.run_to_ms(t);
            let mut r: ClusterRewind = Rewind::with_config(fresh(&sc, 7), tight(512));
            r.seek(Seek::Time(sc.duration_ms));
            r.seek(Seek::Time(t));
            assert_eq!(r.digest(), plain.sim.trace().running_digest().unwrap(), "{id} at {t} ms");
            assert_eq!(r.cursor().events, plain.sim.processed(), "{id} at {t} ms");
        }
    }
}

#[test]
fn a_page_replay_runs_to_the_same_digest_in_sim_replay_and_sim_cluster() {
    let sc = Scenario { steps: Vec::new(), ..preset("failover").unwrap() };
    let mut r = rewind(&sc, 9, TEST_EPOCH).unwrap();
    r.seek(Seek::Time(3_000));
    r.act(ClusterAction::Cli("SET foo bar".into())).unwrap();
    r.seek(Seek::Time(5_000));
    r.act(ClusterAction::Op(Action::Kill { node: 0 })).unwrap();
    r.seek(Seek::Time(16_000));
    r.act(ClusterAction::Cli("GET foo".into())).unwrap();
    r.seek(Seek::Time(20_000));
    let replay = capture(&r, &sc, 9, true);
    support::sim_replay_agrees(&mut r, &replay.to_json(), support::tmp("cluster-replay", "cluster.json"), "cluster");
    // Without user actions, `sim cluster` is the same run: its digest at the end and at a time.
    let written = support::tmp("cluster-replay", "preset.json");
    let w = written.to_str().unwrap();
    let args = ["--json", "--seed", "4", "cluster", "--preset", "replica-lag"];
    let run = sim_json(&[&args[..], &["--replay-out", w]].concat());
    let replayed = sim_json(&["replay", w, "--json"]);
    assert_eq!((&run["digest"], &run["events"]), (&replayed["digest"], &replayed["events"]));
    assert_eq!(run["digest"].as_str().map(str::len), Some(64));
    let until = sim_json(&[&args[..], &["--until-ms", "12000"]].concat());
    let seek = sim_json(&[&args[..], &["--seek-ms", "12000"]].concat());
    assert_eq!(until["digest"], seek["digest"]);
    assert_eq!(
        (until["at_ms"].as_u64(), until["events"].clone(), until["acked_writes_lost"].as_u64()),
        (Some(12_000), seek["events"].clone(), seek["acked_writes_lost"].as_u64())
    );
}

#[test]
fn a_long_run_keeps_its_snapshots_under_the_byte_cap_with_the_same_digests() {
    // The workload's acknowledged and finished writes fill as the run goes on.
    let mut sc = scenario(0);
    sc.duration_ms = 20_000;
    let config = RewindConfig { every: 256, ..RewindConfig::default() };
    support::byte_cap_holds_and_changes_no_digest(
        || fresh(&sc, 5),
        config,
        Seek::Time(sc.duration_ms),
        Seek::Time(sc.duration_ms / 2),
    );
}
