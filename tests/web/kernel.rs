//! The kernel in the browser: the reference scenario's digest and the RNG's first outputs must be
//! exactly what the native tests pin (tests/kernel_determinism.rs), and the timer-storm workload's
//! rate is printed (never asserted). Wired in by `mod kernel;` in tests/web/main.rs, which carries
//! `wasm_bindgen_test_configure!(run_in_browser)`.
#![cfg(target_arch = "wasm32")]

use playground::sim::bench::{run_storm, timer_storm_sim};
use playground::sim::selfcheck::reference_digest;
use playground::sim::SimRng;
use wasm_bindgen_test::*;

/// Must equal `REFERENCE_DIGEST_42` in tests/kernel_determinism.rs.
const REFERENCE_DIGEST_42: &str = "2a2f5c455afc5bf54a303d8f5b691fc4cb06a8a4ac4b816091ae9459d38cddc0";

#[wasm_bindgen_test]
fn reference_digest_matches_native() {
    assert_eq!(reference_digest(42), REFERENCE_DIGEST_42);
}

#[wasm_bindgen_test]
fn rng_stream_matches_native() {
    let mut r = SimRng::new(42);
    let raw: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
    assert_eq!(raw, [5728755054772823839, 15693722523837227742, 16066744247485713103]);
    assert_eq!(SimRng::new(42).child("network").next_u64(), 10734106647393715209);
    assert_eq!(SimRng::new(42).child_indexed("node", 3).next_u64(), 12991240881042269581);
}

#[wasm_bindgen_test]
fn timer_storm_prints_its_rate() {
    let events = 1_000_000u64;
    let mut sim = timer_storm_sim(1, 1000, 1000);
    run_storm(&mut sim, 1000);
    let perf = web_sys::window().and_then(|w| w.performance());
    let now = || perf.as_ref().map_or_else(js_sys::Date::now, |p| p.now());
    let start = now();
    let out = run_storm(&mut sim, events);
    let ms = now() - start;
    assert_eq!(out.events, events);
    let rate = if ms > 0.0 { out.events as f64 / ms * 1000.0 } else { f64::INFINITY };
    let line = format!(
        "kernel timer storm (wasm): 1000 timers, {} events in {ms:.1} ms: {:.2} M events/s",
        out.events,
        rate / 1e6
    );
    console_log!("{line}");
}
