#![cfg(not(target_arch = "wasm32"))]
//! What the /locks page draws agrees with the model while stepping: a worker that believes it
//! holds the lock right after acquiring is the one the Redis panel names.

use playground::lock::{build, Scenario};
use playground::sim::TEST_EPOCH;

#[test]
fn the_redis_view_names_the_holder_once_one_believes() {
    for seed in 0..20 {
        let mut sim = build(
            &Scenario {
                seed,
                ..Scenario::default()
            },
            TEST_EPOCH,
        )
        .unwrap();
        let mut seen = false;
        for _ in 0..200 {
            sim.step();
            let now = sim.now();
            let rt = &sim.model;
            let holder =
                (0..rt.worker_count()).find(|w| rt.worker_view(*w).unwrap().believes_it_holds);
            if let Some(w) = holder {
                let id = rt.worker_view(w).unwrap().id.to_string();
                let value = rt.redis_view(0, now).unwrap().value.map(str::to_string);
                assert_eq!(
                    value.as_deref(),
                    Some(id.as_str()),
                    "seed {seed} at {now}: worker-{w} believes"
                );
                seen = true;
            }
        }
        assert!(seen, "seed {seed}: someone acquired");
    }
}
