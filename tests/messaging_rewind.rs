#![cfg(not(target_arch = "wasm32"))]
//! Rewind of the messaging run is exact: over many seeds, patterns and random sequences of seeks,
//! steps back and forth, notable jumps and user actions (consumers crashed and slowed, the broker
//! restarted, outages, partitions, peak-load bursts; some while rewound, which cuts the future
//! off; some refused), the trace digest and what the page draws at the cursor (the checker's
//! counts, the consumers' cards, the trail) equal a straight run of the same scenario, seed and
//! action log to the same cursor. A replay file of such a run gives the same digest through
//! `sim replay` (straight with `--until-ms`, through snapshots with `--seek-ms`), and `sim
//! messaging` agrees with both.

#[path = "support/rewind.rs"]
mod support;

use playground::messaging::replay::{rewind, MessagingRewind, MsgAction};
use playground::messaging::runtime::MessagingModel;
use playground::messaging::scenario::page_run;
use playground::messaging::{Fault, MessagingRun, PatternId, Scenario};
use playground::sim::replay::{capture, ReplayModel};
use playground::sim::rewind::{Rewind, Seek};
use playground::sim::{SimDuration, Simulation, TEST_EPOCH};
use proptest::prelude::*;
use support::{apply, op, sim_json, straight_to_cursor, tight};

/// The page's steady workload for `pattern`, shortened so a case stays fast: 6 s of producing
/// and 3 s of draining.
fn scenario(pattern: PatternId) -> Scenario {
    let mut sc = page_run("steady", pattern, 0).unwrap().scenario;
    sc.produce_for_ms = 6_000;
    sc.drain_ms = 3_000;
    sc
}

fn fresh(sc: &Scenario, seed: u64) -> Simulation<MessagingModel> {
    let mut sim = MessagingModel::build(sc, seed, TEST_EPOCH).unwrap();
    sim.model.record_trail(50, 50);
    sim
}

fn action() -> impl Strategy<Value = MsgAction> {
    // Consumer 3 does not exist (the workload has 3), a factor of 0.5 and a burst of 0 are out
    // of range: a refused action must change nothing.
    (0u32..4, 0u8..7, 1u64..3_000).prop_map(|(consumer, k, ms)| match k {
        0 => MsgAction::Fault(Fault::Crash { consumer, at_ms: 0, down_ms: ms }),
        1 => MsgAction::Fault(Fault::Slow {
            consumer,
            at_ms: 0,
            factor: if ms % 5 == 0 { 0.5 } else { 10.0 },
            for_ms: ms,
        }),
        2 => MsgAction::Fault(Fault::BrokerRestart { at_ms: 0, down_ms: ms }),
        3 => MsgAction::Fault(Fault::Outage { at_ms: 0, for_ms: ms }),
        4 => MsgAction::Fault(Fault::Partition { at_ms: 0, for_ms: ms }),
        _ => MsgAction::Burst { count: (ms % 200) as u32, over_ms: ms },
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn the_digest_at_a_cursor_does_not_depend_on_how_it_was_reached(
        seed in 0u64..100_000,
        p in 0usize..PatternId::ALL.len(),
        ops in prop::collection::vec(op(action(), 9_000, 6_000), 1..8),
    ) {
        let sc = scenario(PatternId::ALL[p]);
        let mut r = Rewind::with_config(fresh(&sc, seed), tight(256));
        for (i, op) in ops.iter().enumerate() {
            apply(&mut r, op)?;
            let straight = straight_to_cursor(|| fresh(&sc, seed), &r)?;
            let (a, b) = (straight.model(), r.model());
            prop_assert_eq!(a.report(), b.report(), "step {} {:?}", i, op);
            prop_assert_eq!(a.stats(), b.stats());
            prop_assert_eq!(a.consumers(), b.consumers());
            prop_assert_eq!(a.series(), b.series());
            prop_assert_eq!(a.recent_commands(20), b.recent_commands(20));
            let flows = |m: &MessagingModel| m.trail().map(|t| t.flows().iter().copied().collect::<Vec<_>>());
            prop_assert_eq!(flows(a), flows(b));
        }
    }
}

#[test]
fn seeking_and_a_straight_run_give_the_same_digest_for_every_pattern() {
    for pattern in PatternId::ALL {
        let sc = scenario(pattern);
        for t in [0u64, 1, 999, 4_500, 9_000] {
            let mut plain = MessagingRun::new(sc.clone(), 7, "plain").unwrap();
            plain.sim_mut().trace_mut().set_running_digest(true);
            plain.advance(TEST_EPOCH.saturating_add(SimDuration::from_millis(t)), u64::MAX);
            let mut r: MessagingRewind = Rewind::with_config(fresh(&sc, 7), tight(256));
            r.seek(Seek::Time(sc.produce_for_ms + sc.drain_ms));
            r.seek(Seek::Time(t));
            assert_eq!(r.digest(), plain.sim().trace().running_digest().unwrap(), "{pattern} at {t} ms");
            assert_eq!(r.cursor().events, plain.events(), "{pattern} at {t} ms");
            assert_eq!(r.model().result("plain"), plain.result(), "{pattern} at {t} ms");
        }
    }
}

/// Every preset's notable marks are where the run's story is: its scripted faults are fault
/// marks at their times, and what it lost or duplicated shows as harm marks.
#[test]
fn preset_faults_and_losses_are_marked_where_they_happen() {
    for id in ["consumer-crash", "offline-subscriber", "partition"] {
        for v in playground::messaging::preset(id).unwrap() {
            let sc = v.scenario.clone();
            let end = MessagingModel::default_end_ms(&sc);
            let mut r = rewind(&sc, 1, TEST_EPOCH, None).unwrap();
            r.seek(Seek::Time(end));
            let faults: Vec<u64> =
                r.marks().iter().filter(|m| m.kind.as_str() == "fault").map(|m| m.at.at_ms).collect();
            let scripted: Vec<u64> = sc.faults.iter().map(Fault::at_ms).collect();
            assert_eq!(faults, scripted, "{id} / {}", v.label);
            let report = r.model().report();
            let harm = r.marks().iter().filter(|m| m.kind.as_str() == "harm").count() as u64;
            if report.duplicated > 0 || report.lost > 0 {
                assert!(harm > 0, "{id} / {}: {report:?} without a harm mark", v.label);
            }
            // Jumping back to the first fault lands on it, with the same digest as a seek there.
            if let Some(first) = r.marks().iter().position(|m| m.kind.as_str() == "fault") {
                let at = r.marks()[first].at;
                while r.cursor() > at {
                    assert!(r.seek_prev_mark());
                }
                assert_eq!(r.cursor(), at, "{id} / {}", v.label);
            }
        }
    }
}

#[test]
fn a_page_replay_runs_to_the_same_digest_in_sim_replay_and_sim_messaging() {
    let sc = page_run("steady", PatternId::TaskQueue, 0).unwrap().scenario;
    let mut r = rewind(&sc, 9, TEST_EPOCH, Some((100, 100))).unwrap();
    r.seek(Seek::Time(3_000));
    r.act(MsgAction::Fault(Fault::Crash { consumer: 1, at_ms: 0, down_ms: 3_000 })).unwrap();
    r.seek(Seek::Time(5_000));
    r.act(MsgAction::Burst { count: 300, over_ms: 1_000 }).unwrap();
    r.seek(Seek::Time(9_000));
    r.act(MsgAction::Fault(Fault::Partition { at_ms: 0, for_ms: 2_000 })).unwrap();
    r.seek(Seek::Time(20_000));
    let replay = capture(&r, &sc, 9, true);
    support::sim_replay_agrees(&mut r, &replay.to_json(), support::tmp("msg-replay", "messaging.json"), "messaging");
    // Without user actions, `sim messaging` is the same run: its digest at the end and at a time.
    let written = support::tmp("msg-replay", "preset.json");
    let w = written.to_str().unwrap();
    let args = ["--json", "--seed", "4", "messaging", "--preset", "consumer-crash", "--variant", "2"];
    let run = sim_json(&[&args[..], &["--replay-out", w]].concat());
    let replayed = sim_json(&["replay", w, "--json"]);
    let one = &run["patterns"][0];
    assert_eq!((&one["digest"], &one["events"]), (&replayed["digest"], &replayed["events"]));
    assert_eq!(one["digest"].as_str().map(str::len), Some(64));
    let until = sim_json(&[&args[..], &["--until-ms", "12000"]].concat());
    let seek = sim_json(&[&args[..], &["--seek-ms", "12000"]].concat());
    let (u, s) = (&until["patterns"][0], &seek["patterns"][0]);
    assert_eq!(u["digest"], s["digest"]);
    assert_eq!(
        (u["at_ms"].as_u64(), u["events"].clone(), u["processed"].as_u64()),
        (Some(12_000), s["events"].clone(), s["processed"].as_u64())
    );
    // A preset with several runs needs --variant to write one replay.
    let out = support::sim(&["messaging", "--preset", "consumer-crash", "--replay-out", w]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--replay-out writes one run") && err.contains("--variant 1 to"), "{err}");
}
