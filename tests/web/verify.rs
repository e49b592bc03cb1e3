//! The checkers in the browser: the lock checker run in slices (as the Verify panel's Web Worker
//! will) gives exactly the native answer — the same shortest GC-pause trace and the same state
//! counts, pinned in tests/verify_lock.rs — and the linearizability checker agrees on a recorded
//! history. Rates are printed, never asserted (this test build is unoptimised).
#![cfg(target_arch = "wasm32")]

use playground::verify::linear::{check_history, recorded_history, GenConfig};
use playground::verify::lock::{CheckConfig, Fault, Property, Search, Variant};
use wasm_bindgen_test::*;

fn now() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or_else(js_sys::Date::now, |p| p.now())
}

#[wasm_bindgen_test]
fn the_lock_checker_in_slices_gives_the_native_answer() {
    let cfg = CheckConfig::new(Variant::Reference)
        .with_faults(&[Fault::Pause])
        .with_depth(40)
        .with_properties(&[Property::MutualExclusion]);
    let mut search = Search::new(cfg).unwrap();
    let start = now();
    let mut slices = 0;
    while !search.is_done() {
        search.run_slice(100);
        slices += 1;
    }
    let ms = now() - start;
    let r = search.report();
    let o = &r.outcomes[0];
    assert_eq!(o.result, "counterexample");
    // Pinned beside the native run in tests/verify_lock.rs.
    assert_eq!((o.depth, r.unique_states, r.states), (21, 407, 779));
    assert!(o.trace.iter().any(|s| s.label == "worker-0 freezes (GC pause)"));
    console_log!("verify (wasm, debug build): gc-pause counterexample in {ms:.1} ms, {slices} slices");

    let cfg = CheckConfig::new(Variant::Fenced)
        .with_faults(&[Fault::Pause, Fault::Crash, Fault::Delay])
        .with_depth(45)
        .with_properties(&[Property::StaleWrite]);
    let mut search = Search::new(cfg).unwrap();
    let start = now();
    while !search.is_done() {
        search.run_slice(5_000);
    }
    let ms = now() - start;
    let r = search.report();
    assert_eq!(r.outcomes[0].result, "no-counterexample");
    let rate = r.states as f64 / ms.max(1e-3) * 1000.0;
    console_log!(
        "verify (wasm, debug build): fenced to depth 45, {} states ({} distinct) in {ms:.1} ms: {rate:.0} states/s",
        r.states,
        r.unique_states
    );
}

#[wasm_bindgen_test]
fn the_linearizability_checker_agrees_in_the_browser() {
    let h = recorded_history(&GenConfig { seed: 3, ops: 1_000, ..GenConfig::default() });
    let start = now();
    let r = check_history(&h);
    let ms = now() - start;
    assert_eq!(r.result, "linearizable", "{}", r.summary);
    console_log!("verify (wasm, debug build): 1,000-operation history checked in {ms:.1} ms ({} steps)", r.steps);
}
