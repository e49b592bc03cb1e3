#![cfg(not(target_arch = "wasm32"))]
//! Rewind is exact: over many seeds, presets and random sequences of seeks (by time, by event
//! index, to notable marks), steps back and forth and user actions (some while rewound, which cuts
//! the future off), the trace digest and the model's state at the cursor are the same as a
//! straight run of the same scenario, seed and action log to the same cursor. A straight kernel
//! run with no rewind at all agrees too, and snapshot memory stays bounded.

use playground::lock::{build, preset, Action, LockRewind, LockRuntime, Target, PRESET_IDS};
use playground::sim::rewind::{RewindConfig, Seek};
use playground::sim::{SimDuration, Simulation, TEST_EPOCH};
use proptest::prelude::*;

#[path = "support/rewind.rs"]
mod support;
use support::{apply, op, straight_to_cursor, tight};

fn action() -> impl Strategy<Value = Action> {
    let target = prop_oneof![(0usize..3).prop_map(Target::Worker), Just(Target::Holder), Just(Target::NonHolder)];
    (target, 0u8..6, 1u64..30).prop_map(|(target, k, n)| match k {
        0 => Action::Crash { target },
        1 => Action::Pause { target, ms: n * 1_000 },
        2 => Action::Partition { target },
        3 => Action::Heal { target },
        4 => Action::Restart { target },
        _ => Action::RedisCrash { instance: 0 },
    })
}

fn fresh(preset_id: &str, seed: u64) -> Simulation<LockRuntime> {
    let mut s = preset(preset_id).unwrap();
    s.seed = seed;
    s.workers = s.workers.max(3);
    build(&s, TEST_EPOCH).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_digest_at_a_cursor_does_not_depend_on_how_it_was_reached(
        seed in 0u64..100_000,
        p in 0usize..PRESET_IDS.len(),
        ops in prop::collection::vec(op(action(), 90_000, 400), 1..24),
    ) {
        let id = PRESET_IDS[p];
        let mut r = LockRewind::with_config(fresh(id, seed), tight(24));
        for (i, op) in ops.iter().enumerate() {
            apply(&mut r, op)?;
            // The oracle: the same scenario, seed and log, run straight (forward only) to the cursor.
            let straight = straight_to_cursor(|| fresh(id, seed), &r)?;
            let now = r.sim().now();
            prop_assert_eq!(straight.model().summary(now), r.model().summary(now), "step {} {:?}", i, op);
            prop_assert_eq!(
                serde_json::to_string(straight.model().log()).unwrap(),
                serde_json::to_string(r.model().log()).unwrap()
            );
        }
    }
}

#[test]
fn seeking_and_a_straight_kernel_run_give_the_same_digest_for_every_preset() {
    for id in PRESET_IDS {
        for t in [0u64, 1, 9_999, 20_000, 33_333, 59_000] {
            let mut plain = fresh(id, 7);
            plain.trace_mut().set_running_digest(true);
            plain.run_until(TEST_EPOCH + SimDuration(t));
            let mut r = LockRewind::with_config(fresh(id, 7), tight(24));
            r.seek(Seek::Time(60_000));
            r.seek(Seek::Time(t));
            assert_eq!(r.digest(), plain.trace().running_digest().unwrap(), "{id} at {t} ms");
            assert_eq!(r.cursor().events, plain.processed(), "{id} at {t} ms");
        }
    }
}

#[test]
fn gc_pause_marks_the_fault_the_violation_and_the_harm() {
    let mut r = LockRewind::new(fresh("gc-pause", 1));
    r.seek(Seek::Time(60_000));
    let kinds: Vec<String> = r.marks().iter().map(|m| format!("{} {}", m.kind.as_str(), m.label)).collect();
    let pos = |k: &str| kinds.iter().position(|x| x.starts_with(k)).unwrap_or_else(|| panic!("no {k} in {kinds:#?}"));
    assert!(pos("fault pause") < pos("violation lease overlap"), "{kinds:#?}");
    assert!(pos("violation") < pos("harm stale write"), "{kinds:#?}");
    assert!(kinds.iter().any(|k| k.starts_with("handover")), "{kinds:#?}");
    // Jumping back to the violation shows two believers; one event earlier there was one.
    let v = r.marks().iter().find(|m| m.kind.as_str() == "violation").unwrap().at;
    r.seek(Seek::At(v));
    assert_eq!(r.model().summary(r.sim().now()).violations, 1);
    r.step_back();
    assert_eq!(r.model().summary(r.sim().now()).violations, 0);
    assert!(r.step_forward());
    assert_eq!(r.cursor(), v);
    assert_eq!(r.model().summary(r.sim().now()).violations, 1);
}

#[test]
fn snapshots_share_history_so_memory_stays_bounded() {
    // Sixteen workers for ten minutes, snapshots every 64 events (far more than the default).
    let mut s = preset("handover").unwrap();
    s.workers = 16;
    let mut r = LockRewind::with_config(
        build(&s, TEST_EPOCH).unwrap(),
        RewindConfig { every: 64, max_snapshots: 32, ..RewindConfig::default() },
    );
    r.seek(Seek::Time(600_000));
    let (n, _, every) = r.snapshot_counts();
    assert!(n <= 33, "{n} snapshots");
    assert!(every > 64, "the spacing doubled as the run grew: {every}");
    let events = r.cursor().events;
    // Back to the middle and forward again: the same digest.
    let end = r.digest();
    r.seek(Seek::Time(300_000));
    r.seek(Seek::Events(events));
    assert_eq!(r.digest(), end);
}

#[test]
fn snapshots_far_apart_are_weighed_and_thinned_under_the_byte_cap() {
    // Sixteen workers for three virtual hours: histories keep an hour, so snapshots an hour apart
    // share none of it and each holds a window of its own.
    let mut s = preset("handover").unwrap();
    s.workers = 16;
    let end = Seek::Time(3 * 3_600_000);
    let config = RewindConfig { every: 256, ..RewindConfig::default() };
    let mut free = LockRewind::with_config(build(&s, TEST_EPOCH).unwrap(), config);
    free.seek(end);
    let cap = free.snapshot_bytes() / 4;
    assert!(cap > 0, "a lock run weighs its snapshots");
    let mut capped =
        LockRewind::with_config(build(&s, TEST_EPOCH).unwrap(), RewindConfig { max_snapshot_bytes: cap, ..config });
    capped.seek(end);
    let (n, _, every) = capped.snapshot_counts();
    let (free_n, _, free_every) = free.snapshot_counts();
    assert!(capped.snapshot_bytes() <= cap, "{} bytes in {n} snapshots, cap {cap}", capped.snapshot_bytes());
    assert!(
        n < free_n && every > free_every,
        "thinned: {n} snapshots every {every} events vs {free_n} every {free_every}"
    );
    // Thinned snapshots change nothing but the cost of a seek: the same states, the same digests.
    assert_eq!(capped.digest(), free.digest());
    let middle = Seek::Time(90 * 60_000);
    capped.seek(middle);
    free.seek(middle);
    assert_eq!(capped.cursor(), free.cursor());
    assert_eq!(capped.digest(), free.digest());
}
