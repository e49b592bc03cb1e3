#![cfg(not(target_arch = "wasm32"))]
//! Rewind of the backoff page's live contention run is exact: over many seeds, client counts,
//! strategies and random sequences of seeks, steps back and forth, notable jumps and user actions
//! (clients joining, outside writes, strategy switches; some while rewound, which cuts the future
//! off), the trace digest and the run's figures at the cursor equal a straight run of the same
//! scenario, seed and action log to the same cursor. A replay file of such a run gives the same
//! digest through `sim replay` (straight with `--until-ms`, through snapshots with `--seek-ms`), and
//! `sim backoff` agrees with both.

#[path = "support/rewind.rs"]
mod support;

use playground::backoff::replay::{ContentionRewind, LiveAction, LiveContention};
use playground::backoff::{ContentionParams, ContentionRun, Strategy as Backoff};
use playground::sim::replay::{capture, ReplayModel};
use playground::sim::rewind::Seek;
use playground::sim::{SimDuration, Simulation, TEST_EPOCH};
use proptest::prelude::*;
use support::{apply, op, sim_json, straight_to_cursor, tight};

fn fresh(p: &ContentionParams, seed: u64) -> Simulation<LiveContention> {
    LiveContention::build(p, seed, TEST_EPOCH).unwrap()
}

fn action() -> impl Strategy<Value = LiveAction> {
    // 0 and 101 joining clients are refused: a refused action must change nothing.
    (0u8..3, 0u32..102, 0usize..5).prop_map(|(k, n, s)| match k {
        0 => LiveAction::Join { clients: n },
        1 => LiveAction::OutsideWrite,
        _ => LiveAction::SwitchStrategy { strategy: Backoff::ALL[s] },
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn the_digest_at_a_cursor_does_not_depend_on_how_it_was_reached(
        seed in 0u64..100_000,
        clients in 1u32..60,
        s in 0usize..5,
        ops in prop::collection::vec(op(action(), 3_000, 1_500), 1..20),
    ) {
        let p = ContentionParams::blog(clients, Backoff::ALL[s]);
        let mut r = ContentionRewind::with_config(fresh(&p, seed), tight(32));
        // As the page plays it: the clock stays at the last reply once every client has written.
        r.set_finite(true);
        for (i, op) in ops.iter().enumerate() {
            apply(&mut r, op)?;
            let straight = straight_to_cursor(|| fresh(&p, seed), &r)?;
            let (a, b) = (straight.model().run(), r.model().run());
            prop_assert_eq!(a.result(), b.result(), "step {} {:?}", i, op);
            prop_assert_eq!(a.clients(), b.clients());
            prop_assert_eq!(straight.model().phases(straight.sim().now()), r.model().phases(r.sim().now()));
        }
    }
}

#[test]
fn seeking_and_a_straight_kernel_run_give_the_same_digest_and_the_loop_agrees() {
    for s in Backoff::ALL {
        let p = ContentionParams::blog(40, s);
        for t in [0u64, 1, 29, 250, 1_999, 60_000] {
            let mut plain = fresh(&p, 7);
            plain.trace_mut().set_running_digest(true);
            plain.run_until(TEST_EPOCH + SimDuration(t));
            let mut r = ContentionRewind::with_config(fresh(&p, 7), tight(64));
            r.seek(Seek::Time(LiveContention::default_end_ms(&p)));
            r.seek(Seek::Time(t));
            assert_eq!(r.digest(), plain.trace().running_digest().unwrap(), "{s} at {t} ms");
            assert_eq!(r.cursor().events, plain.processed(), "{s} at {t} ms");
            // The page's dedicated loop advanced to the same time is in the same state.
            let mut lp = ContentionRun::seeded(p.clone(), 7, 0).unwrap();
            lp.advance_to_ms(t as f64);
            assert_eq!(r.model().phases(r.sim().now()), lp.phases(), "{s} at {t} ms");
            assert_eq!(r.model().run().result().calls, lp.result().calls);
        }
    }
}

#[test]
fn a_page_replay_runs_to_the_same_digest_in_sim_replay_and_sim_backoff() {
    let p = ContentionParams::blog(25, Backoff::Exponential);
    let mut r = ContentionRewind::new(fresh(&p, 9));
    r.set_finite(true);
    r.seek(Seek::Time(45));
    r.act(LiveAction::OutsideWrite).unwrap();
    r.seek(Seek::Time(3_000));
    r.act(LiveAction::Join { clients: 12 }).unwrap();
    r.seek(Seek::Time(6_000));
    r.act(LiveAction::SwitchStrategy { strategy: Backoff::FullJitter }).unwrap();
    r.seek(Seek::Time(20_000));
    let replay = capture(&r, &p, 9, true);
    support::sim_replay_agrees(&mut r, &replay.to_json(), support::tmp("backoff-replay", "backoff.json"), "backoff");
    // `sim backoff` with the same actions on its command line is the same run.
    let written = support::tmp("backoff-replay", "cli.json");
    let w = written.to_str().unwrap();
    let base = ["--json", "--seed", "9", "backoff", "--clients", "25", "--strategy", "exponential"];
    let acts = ["--act", "45:w", "--act", "3000:j12", "--act", "6000:s3"];
    let args =
        |extra: &[&str]| -> Vec<String> { base.iter().chain(&acts).chain(extra).map(|s| s.to_string()).collect() };
    let sim_json = |v: Vec<String>| sim_json(&v.iter().map(String::as_str).collect::<Vec<_>>());
    let run = sim_json(args(&["--replay-out", w]));
    let replayed = support::sim_json(&["replay", w, "--json"]);
    assert_eq!((&run["digest"], &run["events"]), (&replayed["digest"], &replayed["events"]));
    assert_eq!(run["digest"].as_str().map(str::len), Some(64));
    assert_eq!(
        (run["clients"].as_u64(), run["remaining"].as_u64(), run["version"].as_u64()),
        (Some(37), Some(0), Some(38))
    );
    r.seek(Seek::Time(LiveContention::default_end_ms(&p)));
    assert_eq!(run["digest"], r.digest().as_str(), "the CLI's run is the page's run");
    let until = sim_json(args(&["--until-ms", "4000"]));
    let seek = sim_json(args(&["--seek-ms", "4000"]));
    assert_eq!(until["digest"], seek["digest"]);
    assert_eq!(
        (until["at_ms"].as_u64(), until["marks"].clone(), until["calls"].clone()),
        (Some(4_000), seek["marks"].clone(), seek["calls"].clone())
    );
    // Bad flags are named, and nothing is written.
    let out = support::sim(&["backoff", "--act", "10:j500"]);
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "sim: --act number 1 (10 ms): 500 clients cannot join at once: expected 1 to 100"
    );
}
