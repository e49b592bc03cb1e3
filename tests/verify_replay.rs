//! A counterexample replayed on the lock runtime (issue 16): the checker's trace becomes the locks
//! page's scenario and action log, and the replayed run reaches the same violation — the runtime's
//! own safety checker flags it — so the page's timeline shows it where the trace says.

use playground::lock::{self, LockRewind, LockRuntime};
use playground::sim::replay::ReplayModel;
use playground::sim::rewind::{NotableKind, RewindConfig, Seek};
use playground::sim::{SimTime, TEST_EPOCH};
use playground::verify::lock::{
    check, replay_choice, trace_replay, CheckConfig, Fault, Property, PropertyOutcome, TraceReplay, Variant,
};

fn counterexample(cfg: &CheckConfig, p: Property) -> PropertyOutcome {
    let r = check(cfg.clone().with_properties(&[p])).unwrap();
    let o = r.outcomes.into_iter().next().unwrap();
    assert_eq!(o.result, "counterexample", "{}", o.summary);
    o
}

/// Opens the replay as the page does (scenario, seed, epoch, then the log through Rewind) and goes
/// to its cursor.
fn open(t: &TraceReplay) -> LockRewind {
    let r = &t.replay;
    let text = r.to_json();
    let parsed = playground::lock::LockReplay::parse(&text, LockRuntime::ID).unwrap();
    let sim = lock::build(&lock::Scenario { seed: parsed.seed, ..parsed.scenario.clone() }, parsed.epoch()).unwrap();
    let mut run = LockRewind::with_log(sim, RewindConfig::default(), parsed.actions.clone()).unwrap();
    run.seek(Seek::At(parsed.cursor.unwrap()));
    assert!(run.error().is_none(), "{:?}", run.error());
    run
}

#[test]
fn the_gc_pause_counterexample_replays_to_the_same_lease_overlap_on_the_timeline() {
    let cfg = CheckConfig::new(Variant::Reference).with_faults(&[Fault::Pause]).with_budget(1).with_depth(40);
    let o = counterexample(&cfg, Property::MutualExclusion);
    let t = trace_replay(&cfg, &o, TEST_EPOCH);
    println!("{:#?}", t.replay.actions);
    println!(
        "notes: {:?}; offsets {:?} after {} tries; violation at {:?}",
        t.notes, t.offsets, t.tries, t.violation_ms
    );
    assert!(t.reproduced, "{:?}", t.notes);
    // One logged pause of the holder, at the trace's pause time, lasting until its resume.
    // The trace ends with the holder still frozen: the replay wakes it a TTL later.
    let pause_step = o.trace.iter().find(|s| s.kind == "pause").unwrap();
    assert!(o.trace.iter().all(|s| s.kind != "resume"));
    let end = o.trace.last().unwrap().at_ms;
    assert_eq!(t.replay.actions.len(), 1);
    let a = &t.replay.actions[0];
    assert_eq!(a.at_ms, pause_step.at_ms);
    assert_eq!(
        a.action,
        lock::Action::Pause {
            target: lock::Target::Worker(pause_step.worker.unwrap()),
            ms: end + cfg.ttl_ms - pause_step.at_ms
        }
    );
    // The runtime flags the overlap at the instant the checker's trace ends.
    assert_eq!(t.violation_ms, Some(o.trace.last().unwrap().at_ms));
    // Opened as the page opens it, the run at the cursor has the violation marked and two workers
    // that believe they hold the lock.
    let run = open(&t);
    assert_eq!(run.cursor().at_ms, end + playground::verify::lock::replay::AFTER_VIOLATION_MS);
    assert!(run.marks().iter().any(|m| m.kind == NotableKind::Violation && m.at.at_ms == end));
    let believers =
        (0..run.model().worker_count()).filter(|w| run.model().worker_view(*w).unwrap().believes_it_holds).count();
    assert_eq!(believers, 2);
    assert!(!run.model().violations().is_empty());
}

#[test]
fn the_delayed_expire_race_replays_through_a_partition_and_is_flagged_by_the_runtime() {
    let cfg = CheckConfig::new(Variant::Reference).with_faults(&[Fault::Delay]).with_budget(1).with_depth(60);
    let o = counterexample(&cfg, Property::MutualExclusion);
    for s in &o.trace {
        println!("{:>6} ms  {}", s.at_ms, s.label);
    }
    let t = trace_replay(&cfg, &o, TEST_EPOCH);
    println!("{:#?}\nnotes: {:?}", t.replay.actions, t.notes);
    assert!(t.reproduced, "{:?}", t.notes);
    assert!(t.replay.actions.iter().any(|a| matches!(a.action, lock::Action::Partition { .. })));
    assert!(t.replay.actions.iter().any(|a| matches!(a.action, lock::Action::Heal { .. })));
    assert!(t.notes.iter().any(|n| n.contains("partition")), "{:?}", t.notes);
    let run = open(&t);
    assert!(run.marks().iter().any(|m| m.kind == NotableKind::Violation));
}

#[test]
fn a_stale_write_counterexample_replays_to_harm_and_the_page_prefers_runtime_visible_properties() {
    let cfg = CheckConfig::new(Variant::Atomic)
        .with_faults(&[Fault::Pause, Fault::Crash, Fault::Delay])
        .with_budget(1)
        .with_depth(45);
    let o = counterexample(&cfg, Property::StaleWrite);
    let t = trace_replay(&cfg, &o, TEST_EPOCH);
    println!("{:#?}\nnotes: {:?}", t.replay.actions, t.notes);
    assert!(t.reproduced, "{:?}", t.notes);
    let run = open(&t);
    assert!(run.marks().iter().any(|m| m.kind == NotableKind::Harm), "{:?}", run.marks());

    // A report with several counterexamples replays the one the runtime can show.
    let r =
        check(CheckConfig::new(Variant::Reference).with_faults(&[Fault::Delay]).with_budget(1).with_depth(60)).unwrap();
    let choice = replay_choice(&r).unwrap();
    assert_eq!(choice.property, Property::MutualExclusion);
}

#[test]
fn a_replay_is_deterministic_and_starts_at_the_given_epoch() {
    let cfg = CheckConfig::new(Variant::Reference).with_faults(&[Fault::Pause]).with_budget(1).with_depth(40);
    let o = counterexample(&cfg, Property::MutualExclusion);
    let epoch = SimTime::from_unix_ms(1_780_000_000_000);
    let a = trace_replay(&cfg, &o, epoch);
    let b = trace_replay(&cfg, &o, epoch);
    assert_eq!(a.replay.to_json(), b.replay.to_json());
    assert_eq!(a.replay.epoch_ms, 1_780_000_000_000);
    assert_eq!(open(&a).digest(), open(&b).digest());
}
