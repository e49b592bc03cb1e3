#![cfg(not(target_arch = "wasm32"))]
//! Determinism of the kernel: the reference scenario run twice from the same seed gives
//! byte-identical traces (over many seeds), one seed's digest is pinned (the browser test pins the
//! same constant in tests/web/kernel.rs), and the RNG's outputs are pinned bit for bit.

use playground::sim::bench::timer_storm;
use playground::sim::playback::Playback;
use playground::sim::selfcheck::{reference_digest, reference_sim, reference_trace, REFERENCE_RUN};
use playground::sim::{Distribution, SimRng};

/// The digest of `reference_digest(42)`. tests/web/kernel.rs checks the browser computes the same.
const REFERENCE_DIGEST_42: &str = "2a2f5c455afc5bf54a303d8f5b691fc4cb06a8a4ac4b816091ae9459d38cddc0";

#[test]
fn same_seed_gives_byte_identical_traces_over_100_seeds() {
    let mut digests = std::collections::BTreeSet::new();
    for seed in 0..100u64 {
        let a = reference_trace(seed);
        let b = reference_trace(seed);
        assert!(a.len() > 500, "seed {seed}: only {} events", a.len());
        assert_eq!(a.to_text(), b.to_text(), "seed {seed}: text differs");
        assert_eq!(a.to_json(), b.to_json(), "seed {seed}: JSON differs");
        digests.insert(a.digest());
    }
    assert_eq!(digests.len(), 100, "different seeds must give different runs");
}

#[test]
fn the_reference_digest_is_pinned() {
    assert_eq!(reference_digest(42), REFERENCE_DIGEST_42);
}

#[test]
fn rng_outputs_are_pinned() {
    let root = SimRng::new(42);
    let mut r = root.clone();
    let raw: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
    let child = root.child("network").next_u64();
    let indexed = root.child_indexed("node", 3).next_u64();
    let mut d = SimRng::new(7);
    let samples: Vec<u64> = [
        Distribution::Uniform { min_ms: 1.0, max_ms: 5.0 },
        Distribution::AbsNormal { mean_ms: 30.0, std_dev_ms: 10.0 },
        Distribution::LogNormal { median_ms: 20.0, sigma: 0.5 },
        Distribution::Exponential { mean_ms: 50.0 },
        Distribution::Pareto { min_ms: 10.0, alpha: 1.5 },
    ]
    .iter()
    .map(|dist| dist.sample_ms(&mut d).to_bits())
    .collect();
    let picks = (d.below(1000), d.weighted_index(&[1, 2, 3]), d.bernoulli(0.5));
    let got = format!("{raw:?}\n{child}\n{indexed}\n{samples:?}\n{picks:?}");
    expect_test::expect![[r#"
        [5728755054772823839, 15693722523837227742, 16066744247485713103]
        10734106647393715209
        12991240881042269581
        [4616973138450295105, 4629539295154388979, 4626062584845306936, 4626927891402410134, 4626171003807832877]
        (51, Some(0), false)"#]]
    .assert_eq(&got);
}

#[test]
fn the_timer_storm_is_reproducible() {
    let a = timer_storm(9, 100, 20_000);
    assert_eq!(a, timer_storm(9, 100, 20_000));
    expect_test::expect![
        "StormOutcome { timers: 100, events: 20000, virtual_ms: 99552, checksum: 10367389973134539037 }"
    ]
    .assert_eq(&format!("{a:?}"));
}

#[test]
fn frame_pacing_and_budget_stops_do_not_change_the_trace() {
    // The UI runs a scenario in uneven frames that stop on a budget; the events must come out the
    // same as in one straight run.
    for seed in 0..12u64 {
        let mut pacing = SimRng::new(seed).child("frames");
        let mut sim = reference_sim(seed);
        let mut p = Playback::new(1.0 + pacing.below(200) as f64);
        p.set_check_every(1 + pacing.below(8));
        p.play();
        while sim.elapsed() < REFERENCE_RUN {
            let wall = pacing.uniform(1.0, 40.0);
            let mut checks_left = pacing.below(6);
            p.advance(&mut sim, wall, || {
                checks_left = checks_left.saturating_sub(1);
                checks_left == 0
            });
        }
        // A budget stop can leave events of the last millisecond for the next frame.
        let end = sim.start() + REFERENCE_RUN;
        sim.run_until(end);
        let cut = REFERENCE_RUN.as_millis();
        let paced: Vec<String> =
            sim.trace().entries().iter().filter(|e| e.at_ms <= cut).map(|e| e.to_string()).collect();
        let straight: Vec<String> = reference_trace(seed).entries().iter().map(|e| e.to_string()).collect();
        assert_eq!(paced, straight, "seed {seed}");
    }
}
