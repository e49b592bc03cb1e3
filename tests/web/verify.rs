//! The checkers in the browser: the lock checker run in slices (as the Verify panel's Web Worker
//! does) gives exactly the native answer — the same shortest GC-pause trace and the same state
//! counts, pinned in tests/verify_lock.rs — and the linearizability checker agrees on a recorded
//! history; the Verify panel's reducer validates, runs, takes the worker's answer and cancels.
//! Rates are printed, never asserted (this test build is unoptimised).
#![cfg(target_arch = "wasm32")]

use playground::verify::linear::{check_history, recorded_history, GenConfig};
use playground::verify::lock::{CheckConfig, Fault, Property, Search, Variant};
use wasm_bindgen_test::*;

fn now() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or_else(js_sys::Date::now, |p| p.now())
}

#[wasm_bindgen_test]
fn the_lock_checker_in_slices_gives_the_native_answer() {
    // As the Verify worker (`src/bin/verify_worker.rs`) runs it.
    playground::redis::table::install_commands(&playground::lock::store::LOCK_COMMANDS);
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
    crate::support::with_all_commands();
    let h = recorded_history(&GenConfig { seed: 3, ops: 1_000, ..GenConfig::default() });
    let start = now();
    let r = check_history(&h);
    let ms = now() - start;
    assert_eq!(r.result, "linearizable", "{}", r.summary);
    console_log!("verify (wasm, debug build): 1,000-operation history checked in {ms:.1} ms ({} steps)", r.steps);
}

/// The Verify panel's reducer: fields are validated as typed, Run is refused while one is wrong,
/// the worker's messages (here produced by the worker's own code, run in this page) move it to the
/// answer, messages of an older run are ignored, and Cancel keeps the last progress.
#[wasm_bindgen_test]
fn the_verify_panels_reducer_validates_runs_takes_the_answer_and_cancels() {
    playground::redis::table::install_commands(&playground::lock::store::LOCK_COMMANDS);
    use playground::ui::pages::locks::state::parse_replay;
    use playground::ui::pages::locks::verify::{VerifyAction as A, VerifyState, VerifyStatus};
    use playground::ui::pages::locks::verify_worker::{run_request, ProgressMsg, WorkerIn, WorkerOut};
    use std::rc::Rc;
    use yew::Reducible;

    let s = Rc::new(VerifyState::default());
    let s = s.reduce(A::Field("depth", "0".into()));
    assert_eq!(s.error("depth"), Some("Depth \"0\" is not accepted; expected a whole number of steps from 1 to 150."));
    let s = s.reduce(A::Field("workers", "four".into()));
    assert!(s.error("workers").unwrap().contains("expected 2 or 3"));
    let s = s.reduce(A::Run);
    assert_eq!((s.run, &s.status), (0, &VerifyStatus::Idle), "Run is refused while a field is wrong");
    let s = s.reduce(A::Field("workers", "2".into())).reduce(A::Field("depth", "40".into()));
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    // Redlock asks for its instances; the others run on one.
    let r = s.clone().reduce(A::Field("variant", "redlock".into()));
    assert_eq!(r.form.redis, "5");
    let r = r.reduce(A::Field("redis", "4".into()));
    assert!(r.error("redis").unwrap().contains("3 or 5"));
    assert_eq!(r.reduce(A::Field("variant", "fenced".into())).form.redis, "1");

    let s = s.reduce(A::Run);
    assert_eq!(s.run, 1);
    let VerifyStatus::Running { config, progress: None } = &s.status else { panic!("{:?}", s.status) };
    assert_eq!((config.variant.id(), config.depth, config.workers), ("reference", 40, 2));
    let mut outs = Vec::new();
    let req = serde_json::to_string(&WorkerIn::Start { config: config.clone(), epoch_ms: 1_780_000_000_000 }).unwrap();
    run_request(&req, now, |o| outs.push(o));
    let done = outs.last().cloned().unwrap();
    // A message from an older run changes nothing.
    let s = s.clone().reduce(A::Worker(0, done.clone()));
    assert!(s.is_running());
    let s = s.reduce(A::Worker(1, WorkerOut::Progress(ProgressMsg { states: 5, ..ProgressMsg::default() })));
    let s = outs.into_iter().fold(s, |s, o| s.reduce(A::Worker(1, o)));
    let VerifyStatus::Done(d) = &s.status else { panic!("{:?}", s.status) };
    let me = d.outcomes.iter().find(|o| o.property.id() == "mutual-exclusion").unwrap();
    assert_eq!((me.result.as_str(), me.depth), ("counterexample", 21));
    assert!(me.trace.iter().any(|st| st.label == "worker-0 freezes (GC pause)"));
    let replay = d.replay.as_ref().unwrap();
    assert!(replay.reproduced && replay.violation_ms == Some(15_000), "{replay:?}");
    let r = parse_replay(&replay.replay_json).unwrap();
    assert_eq!((r.epoch_ms, r.actions.len()), (1_780_000_000_000, 1));
    console_log!("verify panel (wasm, debug build): {} states at {:.0} states/s", d.states, d.states_per_s);

    // Cancel keeps the last progress; the cancelled run's late answer is ignored.
    let s = s.reduce(A::Run);
    let p = ProgressMsg { states: 1_000, unique_states: 600, depth: 12, elapsed_ms: 50.0, states_per_s: 20_000.0 };
    let s = s.reduce(A::Worker(2, WorkerOut::Progress(p))).reduce(A::Cancel);
    assert_eq!(s.status, VerifyStatus::Cancelled { progress: Some(p) });
    let s = s.reduce(A::Worker(2, done));
    assert!(matches!(s.status, VerifyStatus::Cancelled { .. }));
    // A worker that fails says why.
    let s = s.reduce(A::Run).reduce(A::WorkerFailed(3, "the checker's worker failed to load".into()));
    assert_eq!(s.status, VerifyStatus::Failed("the checker's worker failed to load".into()));
}
