#![cfg(not(target_arch = "wasm32"))]
//! Rewind of the load-balancing run is exact: over many seeds, presets and random sequences of
//! seeks, steps back and forth, notable jumps and user actions (servers killed, slowed, recovered,
//! latency pinned; some while rewound, which cuts the future off), the trace digest and the
//! metrics at the cursor equal a straight run of the same scenario, seed and action log to the
//! same cursor. A replay file of such a run gives the same digest through `sim replay` (straight
//! with `--until-ms`, through snapshots with `--seek-ms`), and `sim lb run` agrees with both.

#[path = "support/rewind.rs"]
mod support;

use playground::balance::replay::LbRewind;
use playground::balance::{presets, Action, LbModel, Scenario, ServerState};
use playground::sim::replay::{capture, ReplayModel};
use playground::sim::rewind::{RewindConfig, Seek};
use playground::sim::{SimDuration, Simulation, TEST_EPOCH};
use proptest::prelude::*;
use support::{apply, op, sim_json, straight_to_cursor, tight};

/// A preset, shortened so a case stays fast (and the end of the run, its drain, is reached).
fn scenario(p: usize) -> Scenario {
    let mut sc = presets()[p].scenario.clone();
    sc.duration_ms = sc.duration_ms.min(6_000);
    sc.arrivals.rate_per_s = sc.arrivals.rate_per_s.min(300.0);
    sc.events.retain(|e| e.at_ms < sc.duration_ms);
    sc
}

fn fresh(sc: &Scenario, seed: u64) -> Simulation<LbModel> {
    LbModel::build(sc, seed, TEST_EPOCH).unwrap()
}

fn action() -> impl Strategy<Value = Action> {
    // Server 7 does not exist in most presets: a refused action must change nothing.
    // A weight change (0 to 8) is replayed exactly too, mid-run, whatever the algorithm.
    (0usize..8, 0u8..6, 1u64..400).prop_map(|(server, k, ms)| match k {
        0 => Action::SetState { server, state: ServerState::Down },
        1 => Action::SetState { server, state: ServerState::Slow },
        2 => Action::SetState { server, state: ServerState::Up },
        3 => Action::PinLatency { server, latency_ms: ms },
        4 => Action::SetWeight { server, weight: (ms % 9) as u32 },
        _ => Action::Unpin { server },
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn the_digest_at_a_cursor_does_not_depend_on_how_it_was_reached(
        seed in 0u64..100_000,
        p in 0usize..presets().len(),
        ops in prop::collection::vec(op(action(), 8_000, 3_000), 1..20),
    ) {
        let sc = scenario(p);
        let mut r = LbRewind::with_config(fresh(&sc, seed), tight(64));
        // As the page plays it: the clock stays at the last event once the run has drained.
        r.set_finite(true);
        for (i, op) in ops.iter().enumerate() {
            apply(&mut r, op)?;
            let straight = straight_to_cursor(|| fresh(&sc, seed), &r)?;
            let now = r.sim().now();
            prop_assert_eq!(straight.model().summary(now), r.model().summary(now), "step {} {:?}", i, op);
            prop_assert_eq!(straight.model().server_snapshots(now), r.model().server_snapshots(now));
            prop_assert_eq!(straight.model().balancer().snapshot(), r.model().balancer().snapshot());
        }
    }
}

#[test]
fn seeking_and_a_straight_kernel_run_give_the_same_digest_for_every_preset() {
    for (p, preset) in presets().iter().enumerate() {
        let sc = scenario(p);
        for t in [0u64, 1, 999, 2_500, 5_999, 7_000] {
            let mut plain = fresh(&sc, 7);
            plain.trace_mut().set_running_digest(true);
            plain.run_until(TEST_EPOCH + SimDuration(t));
            let mut r = LbRewind::with_config(fresh(&sc, 7), tight(64));
            r.seek(Seek::Time(LbModel::default_end_ms(&sc)));
            r.seek(Seek::Time(t));
            assert_eq!(r.digest(), plain.trace().running_digest().unwrap(), "{} at {t} ms", preset.id);
            assert_eq!(r.cursor().events, plain.processed(), "{} at {t} ms", preset.id);
        }
    }
}

#[test]
fn a_page_replay_runs_to_the_same_digest_in_sim_replay_and_sim_lb_run() {
    let sc = Scenario {
        events: Vec::new(),
        ..presets().iter().find(|p| p.id == "server-dies-health").unwrap().scenario.clone()
    };
    let mut r = LbRewind::new(fresh(&sc, 9));
    r.seek(Seek::Time(4_000));
    r.act(Action::SetState { server: 1, state: ServerState::Down }).unwrap();
    r.seek(Seek::Time(6_000));
    r.act(Action::SetWeight { server: 0, weight: 4 }).unwrap();
    r.seek(Seek::Time(9_000));
    r.act(Action::SetState { server: 1, state: ServerState::Up }).unwrap();
    r.seek(Seek::Time(20_000));
    let replay = capture(&r, &sc, 9, true);
    support::sim_replay_agrees(&mut r, &replay.to_json(), support::tmp("lb-replay", "lb.json"), "lb");
    // Without user actions, `sim lb run` is the same run: its digest at the end and at a time.
    let written = support::tmp("lb-replay", "preset.json");
    let w = written.to_str().unwrap();
    let run = sim_json(&["--json", "--seed", "4", "lb", "run", "--preset", "server-dies-health", "--replay-out", w]);
    let replayed = sim_json(&["replay", w, "--json"]);
    assert_eq!((&run["digest"], &run["events"]), (&replayed["digest"], &replayed["events"]));
    assert_eq!(run["digest"].as_str().map(str::len), Some(64));
    let until =
        sim_json(&["--json", "--seed", "4", "lb", "run", "--preset", "server-dies-health", "--until-ms", "12000"]);
    let seek =
        sim_json(&["--json", "--seed", "4", "lb", "run", "--preset", "server-dies-health", "--seek-ms", "12000"]);
    assert_eq!(until["digest"], seek["digest"]);
    assert_eq!((until["at_ms"].as_u64(), until["elapsed_ms"].as_u64()), (Some(12_000), Some(12_000)));
}

#[test]
fn a_long_run_keeps_its_snapshots_under_the_byte_cap_with_the_same_digests() {
    // As the page keeps it: bounded flows and chart windows, which fill as the run goes on.
    let sc = scenario(0);
    let fresh = || {
        let mut sim = fresh(&sc, 3);
        sim.model.record_flows(500);
        sim.model.metrics.keep_windows(60);
        sim
    };
    let config = RewindConfig { every: 64, ..RewindConfig::default() };
    let end = LbModel::default_end_ms(&sc);
    support::byte_cap_holds_and_changes_no_digest(fresh, config, Seek::Time(end), Seek::Time(end / 2));
}
