//! The lock model checker's expected results (issue 16): the reference lock breaks mutual exclusion
//! with one GC pause and through the GET-then-EXPIRE race with a delayed message; fencing accepts no
//! stale write within the bounds; Redlock breaks with clock drift.

use playground::verify::lock::{check, CheckConfig, Fault, Property, PropertyOutcome, Variant};

fn outcome(cfg: CheckConfig, p: Property) -> (PropertyOutcome, u64) {
    let r = check(cfg.with_properties(&[p])).unwrap();
    let states = r.unique_states;
    let o = r.outcomes.into_iter().next().unwrap();
    print_trace(&o);
    println!("{} ({states} states)", o.summary);
    (o, states)
}

fn print_trace(o: &PropertyOutcome) {
    for s in &o.trace {
        println!("{:>6} ms  {}", s.at_ms, s.label);
    }
}

fn kinds(o: &PropertyOutcome) -> Vec<String> {
    o.trace.iter().map(|s| s.kind.clone()).collect()
}

#[test]
fn reference_breaks_mutual_exclusion_with_one_pause_and_the_shortest_trace_is_the_gc_pause_story() {
    let cfg = CheckConfig::new(Variant::Reference).with_faults(&[Fault::Pause]).with_budget(1).with_depth(40);
    let r = check(cfg.with_properties(&[Property::MutualExclusion])).unwrap();
    let o = r.outcomes[0].clone();
    print_trace(&o);
    assert_eq!(o.result, "counterexample");
    // Pinned: fingerprints are portable, so the browser gets these too (tests/web/verify.rs).
    assert_eq!((o.depth, r.unique_states, r.states), (21, 407, 779));
    let k = kinds(&o);
    assert_eq!(k.iter().filter(|k| *k == "pause").count(), 1, "{k:?}");
    let last = o.trace.last().unwrap();
    // The paused holder still believes; the other worker took the expired key.
    let paused: Vec<_> = last.workers.iter().filter(|w| w.status == "paused").collect();
    assert_eq!(paused.len(), 1);
    assert!(paused[0].believes && paused[0].state == "working");
    assert!(last.workers.iter().filter(|w| w.believes).count() == 2);
    let pause_at = k.iter().position(|k| k == "pause").unwrap();
    let holder = o.trace[pause_at].worker.unwrap();
    assert_eq!(last.redis[0].holder, Some(1 - holder), "Redis names the other worker");
    assert!(last.at_ms > 10_000, "the TTL ran out under the paused holder: {}", last.at_ms);
}

#[test]
fn reference_also_breaks_through_the_get_then_expire_race_with_a_delayed_message() {
    let cfg = CheckConfig::new(Variant::Reference).with_faults(&[Fault::Delay]).with_budget(1).with_depth(60);
    let (o, _) = outcome(cfg.clone(), Property::ForeignExtend);
    assert_eq!(o.result, "counterexample");
    assert_eq!(kinds(&o).iter().filter(|k| *k == "delay").count(), 1);
    assert!(o.trace.iter().any(|s| s.detail == "EXPIRE"), "the late EXPIRE lands on the other worker's key");
    // The same race also breaks mutual exclusion: the renewing worker carries on believing.
    let (me, _) = outcome(cfg, Property::MutualExclusion);
    assert_eq!(me.result, "counterexample");
    // Atomic renew has no such race within the same bounds.
    let cfg = CheckConfig::new(Variant::Atomic).with_faults(&[Fault::Delay]).with_budget(1).with_depth(60);
    let (a, states) = outcome(cfg, Property::ForeignExtend);
    println!("atomic: {} ({states} states)", a.summary);
    assert_eq!(a.result, "no-counterexample");
}

#[test]
fn fenced_accepts_no_stale_write_within_the_bounds() {
    let cfg = CheckConfig::new(Variant::Fenced)
        .with_faults(&[Fault::Pause, Fault::Crash, Fault::Delay])
        .with_budget(1)
        .with_depth(45);
    let r = check(cfg.with_properties(&[Property::StaleWrite, Property::MutualExclusion])).unwrap();
    for o in &r.outcomes {
        println!("{}: {}", o.property.id(), o.summary);
    }
    let stale = r.outcomes.iter().find(|o| o.property == Property::StaleWrite).unwrap();
    for s in &stale.trace {
        println!("{:>6} ms  {}  {:?}", s.at_ms, s.label, s.redis);
    }
    assert_eq!(stale.result, "no-counterexample");
    assert!(stale.summary.starts_with("no counterexample"), "{}", stale.summary);
    assert!(r.unique_states > 1_000, "{}", r.unique_states);
    // Fencing does not stop two holders from overlapping; it stops the harm.
    let overlap = r.outcomes.iter().find(|o| o.property == Property::MutualExclusion).unwrap();
    assert_eq!(overlap.result, "counterexample");
    // Without fencing the same bounds give a stale write.
    let cfg = CheckConfig::new(Variant::Atomic)
        .with_faults(&[Fault::Pause, Fault::Crash, Fault::Delay])
        .with_budget(1)
        .with_depth(45);
    let (o, _) = outcome(cfg, Property::StaleWrite);
    print_trace(&o);
    assert_eq!(o.result, "counterexample");
}

#[test]
fn redlock_with_clock_drift_has_a_counterexample() {
    let cfg = CheckConfig::new(Variant::Redlock).with_faults(&[Fault::Drift]).with_budget(1).with_depth(120);
    let (o, _) = outcome(cfg.clone(), Property::MutualExclusion);
    assert_eq!(o.result, "counterexample");
    assert_eq!(kinds(&o).iter().filter(|k| *k == "drift").count(), 1);
    // Without the drift, Redlock's validity timer stops the holder before its keys expire.
    let (none, states) = outcome(cfg.with_faults(&[]).with_budget(0).with_depth(80), Property::MutualExclusion);
    println!("redlock without faults: {} ({states} states)", none.summary);
    assert_eq!(none.result, "no-counterexample");
}

/// The configurations the shortest-trace and symmetry checks run over: each issue result's shape on
/// small bounds, with the property it is about.
fn small_bounds() -> Vec<(CheckConfig, Property)> {
    vec![
        (CheckConfig::new(Variant::Reference).with_faults(&[Fault::Pause]).with_depth(30), Property::MutualExclusion),
        (CheckConfig::new(Variant::Reference).with_faults(&[Fault::Delay]).with_depth(40), Property::ForeignExtend),
        (
            CheckConfig::new(Variant::Atomic).with_faults(&[Fault::Pause, Fault::Crash]).with_depth(40),
            Property::StaleWrite,
        ),
        (
            CheckConfig::new(Variant::Fenced).with_faults(&[Fault::Pause, Fault::Drop]).with_depth(24),
            Property::StaleWrite,
        ),
        (
            CheckConfig::new(Variant::Reference).with_faults(&[Fault::Crash, Fault::RedisRestart]).with_depth(24),
            Property::DoubleJob,
        ),
        (
            {
                let mut c = CheckConfig::new(Variant::Redlock).with_faults(&[Fault::Drift]).with_depth(120);
                c.redis = 3;
                c
            },
            Property::MutualExclusion,
        ),
    ]
}

#[test]
fn every_counterexample_is_a_shortest_one_none_exists_one_step_shorter() {
    let mut found = 0;
    for (cfg, p) in small_bounds() {
        let (o, _) = outcome(cfg.clone(), p);
        if o.result != "counterexample" {
            continue;
        }
        found += 1;
        assert_eq!(o.trace.len() as u32, o.depth, "{}: one step per action", o.summary);
        assert!(!o.trace.last().unwrap().violated.is_empty(), "the last step is the violation");
        assert!(
            o.trace[..o.trace.len() - 1].iter().all(|s| !s.violated.contains(&p)),
            "no earlier step violates {p:?}"
        );
        // Breadth-first: a search bounded one step shorter finds nothing, and says so.
        let (shorter, states) = outcome(cfg.clone().with_depth(o.depth - 1), p);
        println!(
            "{:?} {}: {} / depth {}: {} ({states} states)",
            cfg.variant,
            p.id(),
            o.summary,
            o.depth - 1,
            shorter.summary
        );
        assert_eq!(shorter.result, "no-counterexample", "{:?} {p:?}", cfg.variant);
    }
    assert!(found >= 4, "the small bounds hold at least four counterexamples, found {found}");
}

#[test]
fn symmetry_reduction_loses_no_counterexample_and_explores_fewer_states() {
    for (cfg, p) in small_bounds() {
        let on = check(cfg.clone().with_properties(&[p])).unwrap();
        let off = check(cfg.clone().with_symmetry(false).with_properties(&[p])).unwrap();
        let (a, b) = (&on.outcomes[0], &off.outcomes[0]);
        println!(
            "{:?} {}: with symmetry {} ({} states), without {} ({} states)",
            cfg.variant,
            p.id(),
            a.summary,
            on.unique_states,
            b.summary,
            off.unique_states
        );
        assert_eq!(a.result, b.result, "{:?} {p:?}", cfg.variant);
        assert_eq!(a.depth, b.depth, "{:?} {p:?}: the same shortest length", cfg.variant);
        assert!(on.unique_states <= off.unique_states, "{:?} {p:?}", cfg.variant);
        if a.result == "no-counterexample" && on.complete {
            assert!(off.complete);
        }
    }
    // Three identical workers: up to 3! renamings fold into one state.
    let cfg = CheckConfig::new(Variant::Atomic).with_faults(&[Fault::Pause]).with_depth(16);
    let mut three = cfg.clone();
    three.workers = 3;
    let on = check(three.clone().with_properties(&[Property::StaleWrite])).unwrap();
    let off = check(three.with_symmetry(false).with_properties(&[Property::StaleWrite])).unwrap();
    println!(
        "3 workers: {} vs {} states; {} / {}",
        on.unique_states, off.unique_states, on.outcomes[0].summary, off.outcomes[0].summary
    );
    assert_eq!(on.outcomes[0].result, off.outcomes[0].result);
    assert_eq!(on.outcomes[0].depth, off.outcomes[0].depth);
    assert!(on.unique_states < off.unique_states);
}
