//! The lock model checker's expected results (issue 16): the reference lock breaks mutual exclusion
//! with one GC pause and through the GET-then-EXPIRE race with a delayed message; fencing accepts no
//! stale write within the bounds; Redlock breaks with clock drift.

use playground::verify::lock::{check, CheckConfig, Fault, Property, PropertyOutcome, Variant};

fn outcome(cfg: CheckConfig, p: Property) -> (PropertyOutcome, u64) {
    let r = check(cfg.with_properties(&[p])).unwrap();
    let states = r.unique_states;
    (r.outcomes.into_iter().next().unwrap(), states)
}

fn kinds(o: &PropertyOutcome) -> Vec<String> {
    o.trace.iter().map(|s| s.kind.clone()).collect()
}

#[test]
fn reference_breaks_mutual_exclusion_with_one_pause_and_the_shortest_trace_is_the_gc_pause_story() {
    let cfg = CheckConfig::new(Variant::Reference).with_faults(&[Fault::Pause]).with_budget(1).with_depth(40);
    let (o, states) = outcome(cfg, Property::MutualExclusion);
    for s in &o.trace {
        println!("{:>6} ms  {}", s.at_ms, s.label);
    }
    println!("{} ({states} states)", o.summary);
    assert_eq!(o.result, "counterexample");
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
