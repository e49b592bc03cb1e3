//! Behaviour lock for the messaging runtime: a digest of everything a run shows (the checker's
//! report and series, the machinery's counters, crash records, PUBLISH replies, the broker's
//! command log, the kernel's event count, the page's trail, the consumers' cards mid-run) for every
//! page preset × variant × a few seeds, plus live runs with the page's fault buttons and bursts.
//!
//! The expected digests in `tests/fixtures/messaging/digests.txt` were captured from the runtime
//! before it was split into per-pattern machines; a refactor must keep every line. When a change
//! is *meant* to change behaviour, regenerate with `MESSAGING_DIGESTS=write cargo test --test
//! messaging_regression` and say why in the commit.

use playground::messaging::scenario::{page_variants, PAGE_PRESETS};
use playground::messaging::{Fault, MessagingRun, PatternId, Scenario};
use playground::sim::{SimDuration, TEST_EPOCH};
use sha2::{Digest, Sha256};
use std::fmt::Write;

const SEEDS: [u64; 3] = [1, 7, 42];
const FIXTURE: &str = "tests/fixtures/messaging/digests.txt";

fn fingerprint(run: &MessagingRun, out: &mut String) {
    let _ = writeln!(out, "events {} now {:?}", run.events(), run.now());
    let _ = writeln!(out, "result {}", serde_json::to_string(&run.result()).expect("a result serializes"));
    let _ = writeln!(out, "consumers {}", serde_json::to_string(&run.consumers()).expect("views serialize"));
    let _ = writeln!(out, "partitioned {} broker_up {}", run.is_partitioned(), run.broker_up());
    if let Some(t) = run.trail() {
        let _ = writeln!(out, "flows {}", serde_json::to_string(t.flows()).expect("flows serialize"));
        for m in t.remembered() {
            let _ = writeln!(out, "life {m} {}", serde_json::to_string(&t.life(m)).expect("a life serializes"));
        }
    }
}

fn digest(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Plays `sc` the way the page does: trail on, advancing in slices, with the page's buttons
/// pressed at fixed virtual times.
fn live(sc: Scenario, seed: u64, broker_restart: bool) -> String {
    let mut text = String::new();
    let consumers = sc.consumers.count;
    let mut run = MessagingRun::new(sc, seed, "live").expect("a valid scenario");
    run.record_trail(400, 60);
    let at = |ms: u64| TEST_EPOCH.saturating_add(SimDuration::from_millis(ms));
    run.advance(at(2_000), 5_000);
    run.advance(at(2_000), u64::MAX);
    fingerprint(&run, &mut text);
    run.inject(Fault::Crash { consumer: 0, at_ms: 0, down_ms: 1_500 }).expect("a crash");
    run.burst(200, 500).expect("a burst");
    run.advance(at(4_000), u64::MAX);
    fingerprint(&run, &mut text);
    run.inject(Fault::Slow { consumer: consumers - 1, at_ms: 0, factor: 8.0, for_ms: 2_000 }).expect("slow");
    run.inject(Fault::Partition { at_ms: 0, for_ms: 1_200 }).expect("a partition");
    run.advance(at(6_000), u64::MAX);
    fingerprint(&run, &mut text);
    if broker_restart {
        run.inject(Fault::BrokerRestart { at_ms: 0, down_ms: 800 }).expect("a broker restart");
    }
    run.inject(Fault::Outage { at_ms: 0, for_ms: 1_000 }).expect("an outage");
    run.advance(at(9_000), u64::MAX);
    fingerprint(&run, &mut text);
    let _ = writeln!(text, "recent {:?}", run.recent_commands(20));
    let end = run.end();
    run.advance(end, u64::MAX);
    fingerprint(&run, &mut text);
    text
}

fn current() -> String {
    let mut lines = String::new();
    for id in PAGE_PRESETS {
        for v in page_variants(id).expect("a page preset") {
            for seed in SEEDS {
                let mut run = MessagingRun::new(v.scenario.clone(), seed, &v.label).expect("a valid preset");
                run.record_trail(400, 60);
                let end = run.end();
                run.advance(end, u64::MAX);
                let mut text = String::new();
                fingerprint(&run, &mut text);
                let _ = writeln!(lines, "{id} | {} | {seed} | {}", v.label, digest(&text));
            }
        }
    }
    let steady = page_variants("steady").expect("steady");
    for v in &steady {
        for seed in [3, 11] {
            let _ = writeln!(lines, "live | {} | {seed} | {}", v.label, digest(&live(v.scenario.clone(), seed, true)));
        }
    }
    // The task queue's other knobs: late acks with a countdown and retries, then idempotency keys
    // (without a broker restart: before the split, a task whose idempotency check could not reach a
    // downed broker was started again and again in one event, so that run never finished).
    let task = steady.iter().find(|v| v.scenario.pattern == PatternId::TaskQueue).expect("a task-queue run");
    let mut knobs = task.scenario.clone();
    knobs.task.countdown_ms = 700;
    knobs.task.acks_late = true;
    knobs.task.max_retries = 2;
    knobs.consumers.failure_p = 0.2;
    knobs.consumers.prefetch_multiplier = 2;
    for seed in [5, 9] {
        let _ = writeln!(lines, "live | task-queue knobs | {seed} | {}", digest(&live(knobs.clone(), seed, true)));
    }
    knobs.task.idempotency_keys = true;
    for seed in [5, 9] {
        let _ =
            writeln!(lines, "live | task-queue idempotency | {seed} | {}", digest(&live(knobs.clone(), seed, false)));
    }
    lines
}

#[test]
fn every_preset_and_live_run_matches_the_runtime_before_the_split() {
    let now = current();
    if std::env::var("MESSAGING_DIGESTS").as_deref() == Ok("write") {
        std::fs::write(FIXTURE, &now).expect("write the digests");
        return;
    }
    let want = std::fs::read_to_string(FIXTURE).expect("the recorded digests");
    let differ: Vec<String> =
        want.lines().zip(now.lines()).filter(|(a, b)| a != b).map(|(a, b)| format!("want {a}\n got {b}")).collect();
    assert_eq!(want.lines().count(), now.lines().count(), "the set of cases changed");
    assert!(differ.is_empty(), "{} of {} runs changed:\n{}", differ.len(), want.lines().count(), differ.join("\n"));
}
