#![cfg(not(target_arch = "wasm32"))]
//! Linearizability of the messaging runs (issue 16): each message is a register key, a producer's
//! push a SET, a consumer's side effect a DEL, and the end of the run a final read of what is still
//! owed (`messaging::linear`). The presets that lose messages — a simple-queue consumer crashing
//! with work it had popped, a broker host crash without persistence, a pub/sub subscriber offline —
//! are not linearizable, and the failing keys are exactly the units the delivery checker counts as
//! lost (for the crash, exactly what the crashed worker held), each with a two-operation
//! sub-history: the acknowledged push and the final read that finds nothing. A task run twice after
//! its visibility timeout is a three-operation "double delete"; a broker crash under everysec fails
//! on exactly the delivery checker's lost and duplicated units, plus processed messages left in a
//! processing list (also under always, which loses nothing). The reliable queue and the stream
//! group redelivering a crashed consumer's work are linearizable. Through the command line too.

use playground::messaging::linear::{failing_units, history, key_unit, HistoryRefused, READER};
use playground::messaging::{preset, MessagingRun, MsgId, RunResult};
use playground::verify::linear::{check_history, Input, LinearReport, Output};
use std::collections::BTreeSet;

struct Checked {
    run: MessagingRun,
    result: RunResult,
    report: LinearReport,
    ops: usize,
}

fn check(id: &str, label: &str, seed: u64) -> Checked {
    let v = preset(id).unwrap().into_iter().find(|v| v.label == label).unwrap_or_else(|| panic!("{id}: {label}"));
    let mut run = MessagingRun::new(v.scenario, seed, &v.label).unwrap();
    let end = run.end();
    run.advance(end, u64::MAX);
    let h = history(&run).unwrap();
    let report = check_history(&h);
    let result = run.result();
    println!(
        "{id} / {label} seed {seed}: {} ops; {}; delivery checker: lost {} duplicated {}",
        h.ops.len(),
        report.summary,
        result.report.lost,
        result.report.duplicated
    );
    Checked { run, result, report, ops: h.ops.len() }
}

/// Every failure is the lost-acknowledged-write shape: the acknowledged push and the final read
/// that finds nothing.
fn assert_lost_shape(c: &Checked) {
    for f in &c.report.failures {
        assert_eq!(f.ops.len(), 2, "{}: {:?}", f.key, f.ops);
        assert!(f.minimal);
        assert!(matches!(f.ops[0].input, Input::Set { .. }) && f.ops[0].output == Some(Output::Ok), "{:?}", f.ops);
        assert_eq!((&f.ops[1].input, f.ops[1].client, &f.ops[1].output), (&Input::Get, READER, &Some(Output::Nil)));
        assert!(f.explanation.starts_with("lost acknowledged write"), "{}", f.explanation);
    }
}

#[test]
fn a_simple_queue_consumer_crash_loses_exactly_what_the_delivery_checker_counts_lost() {
    for seed in [1, 2, 3] {
        let c = check("consumer-crash", "simple-queue", seed);
        assert!(c.result.report.lost > 0, "the preset loses messages");
        assert_eq!(c.report.result, "not-linearizable");
        assert_eq!(failing_units(&c.report.failures), c.result.lost_units, "seed {seed}");
        // Independently of both checkers: what the crashed worker held (popped, not finished) and
        // what was on the wire to it.
        let held: BTreeSet<MsgId> = c.result.crashes.iter().flat_map(|k| k.in_flight.iter().copied()).collect();
        let failing: BTreeSet<MsgId> = failing_units(&c.report.failures).into_iter().map(|u| u.0).collect();
        assert_eq!(failing, held, "seed {seed}: the failing keys are the messages the crash took");
        assert_lost_shape(&c);
        assert!(c.ops > 3 * c.result.report.produced as usize - 10, "a push, a side effect and a read per message");
    }
}

#[test]
fn the_reliable_queue_and_the_stream_group_redeliver_a_crashed_consumers_work_and_are_linearizable() {
    for label in ["reliable-queue", "stream-group"] {
        for seed in [1, 2] {
            let c = check("consumer-crash", label, seed);
            assert!(!c.result.crashes.iter().all(|k| k.in_flight.is_empty()), "the crash took work with it");
            assert_eq!((c.result.report.lost, c.result.report.duplicated), (0, 0));
            assert_eq!(c.report.result, "linearizable", "{label} seed {seed}: {}", c.report.summary);
        }
    }
}

/// The failing units by the anomaly their sub-history shows: (lost, processed twice, processed
/// yet still queued).
type Units = BTreeSet<(MsgId, usize)>;
fn classify(c: &Checked) -> (Units, Units, Units) {
    let (mut lost, mut twice, mut queued) = (Units::new(), Units::new(), Units::new());
    for f in &c.report.failures {
        let u = key_unit(&f.key).unwrap();
        let dels = f.ops.iter().filter(|o| o.input == Input::Del && o.output == Some(Output::Int(1))).count();
        let last = f.ops.last().unwrap();
        match (dels, &last.input, &last.output) {
            (0, Input::Get, Some(Output::Nil)) => lost.insert(u),
            (2, Input::Del, _) if f.ops.len() == 3 => twice.insert(u),
            (1, Input::Get, Some(Output::Value(_))) if f.ops.len() == 3 => queued.insert(u),
            _ => panic!("{}: an unexpected failing sub-history {:?}", f.key, f.ops),
        };
    }
    (lost, twice, queued)
}

/// Messages whose payload is in a list of the broker's final dataset (read with LRANGE, as a
/// client would).
fn in_lists(run: &MessagingRun) -> BTreeSet<MsgId> {
    let keys = run.query("KEYS *").unwrap();
    let mut out = BTreeSet::new();
    for line in keys.lines() {
        let key = line.split_once(") ").map_or(line, |(_, k)| k).trim_matches('"');
        if run.query(&format!("TYPE {key}")).unwrap() != "list" {
            continue;
        }
        for e in run.query(&format!("LRANGE {key} 0 -1")).unwrap().lines() {
            let v = e.split_once(") ").map_or(e, |(_, v)| v).trim_matches('"');
            if let Some((m, _, _)) = playground::messaging::parse_payload(v.as_bytes()) {
                out.insert(m);
            }
        }
    }
    out
}

/// The broker's host crash: without persistence the queue's acknowledged messages are lost (and
/// nothing else fails); with everysec the last second's are, and what the fsynced dataset put back
/// after it had been processed runs twice — the delivery checker's lost and duplicated units
/// exactly; with always nothing is lost. Both durable settings can also leave a processed message in
/// a processing list (its LREM never ran): a message still owed though it was processed, which a
/// reaper would deliver again — the delivery checker, which counts what happened, cannot see it.
#[test]
fn a_broker_crash_loses_acknowledged_messages_by_persistence_setting() {
    let none = check("broker-restart", "reliable-queue, no persistence", 1);
    assert!(none.result.report.lost > 0);
    assert_eq!(none.report.result, "not-linearizable");
    assert_eq!(failing_units(&none.report.failures), none.result.lost_units);
    assert_lost_shape(&none);
    for (label, lossy) in
        [("reliable-queue, appendfsync everysec", true), ("reliable-queue, appendfsync always", false)]
    {
        let c = check("broker-restart", label, 1);
        let (lost, twice, queued) = classify(&c);
        println!(
            "{label}: {} lost, {} twice, {} processed yet queued: {queued:?}",
            lost.len(),
            twice.len(),
            queued.len()
        );
        assert_eq!(lost, c.result.lost_units.iter().copied().collect::<Units>(), "{label}");
        assert_eq!(twice, c.result.duplicated_units.iter().copied().collect::<Units>(), "{label}");
        assert_eq!(!lost.is_empty(), lossy, "{label}");
        let listed = in_lists(&c.run);
        for (m, _) in &queued {
            assert!(listed.contains(m), "{label}: message {m} is still in a list at the end");
            assert!(!c.result.lost_units.contains(&(*m, 0)), "{label}: message {m} was processed");
        }
    }
}

#[test]
fn pubsub_units_missed_by_an_offline_subscriber_are_the_failing_keys() {
    let c = check("offline-subscriber", "pubsub", 1);
    assert!(c.result.report.lost > 0);
    assert_eq!(failing_units(&c.report.failures), c.result.lost_units);
    assert!(c.result.lost_units.iter().all(|u| u.1 == 0), "only subscriber 0 was offline");
    assert_lost_shape(&c);
    let g = check("offline-subscriber", "stream-group, a group per subscriber", 1);
    assert_eq!(g.result.report.lost, 0);
    assert_eq!(g.report.result, "linearizable", "{}", g.report.summary);
}

#[test]
fn a_task_run_twice_after_its_visibility_timeout_is_a_double_delete_unless_idempotency_keys_guard_it() {
    let c = check("visibility-timeout", "task-queue", 1);
    assert!(c.result.report.duplicated > 0);
    let dup: Vec<(MsgId, usize)> = c.result.duplicated_units.clone();
    assert_eq!(failing_units(&c.report.failures), dup);
    for f in &c.report.failures {
        assert_eq!(f.ops.len(), 3, "{:?}", f.ops);
        let dels = f.ops.iter().filter(|o| o.input == Input::Del && o.output == Some(Output::Int(1))).count();
        assert_eq!(dels, 2);
        assert!(f.explanation.starts_with("double delete"), "{}", f.explanation);
    }
    let guarded = check("visibility-timeout", "task-queue + idempotency keys", 1);
    assert_eq!(guarded.result.report.duplicated, 0);
    assert_eq!(guarded.report.result, "linearizable", "{}", guarded.report.summary);
}

#[test]
fn a_history_is_refused_for_request_response_and_before_the_run_ends() {
    let v = preset("peak-cut").unwrap().into_iter().find(|v| v.label == "request-response").unwrap();
    let mut run = MessagingRun::new(v.scenario, 1, "rr").unwrap();
    let end = run.end();
    run.advance(end, u64::MAX);
    assert_eq!(history(&run).unwrap_err(), HistoryRefused::NoBroker);
    let v = preset("consumer-crash").unwrap().remove(0);
    let run = MessagingRun::new(v.scenario, 1, "early").unwrap();
    let e = history(&run).unwrap_err();
    assert!(matches!(e, HistoryRefused::NotFinished { .. }), "{e}");
    assert!(e.to_string().contains("run it to the end"), "{e}");
}

#[test]
fn the_command_line_writes_the_history_and_the_checker_reads_it() {
    use std::process::Command;
    let dir = std::env::temp_dir().join(format!("msg-history-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("crash.json");
    let f = file.to_str().unwrap();
    let sim = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_sim")).args(args).output().unwrap();
    let out = sim(&["--seed", "1", "messaging", "--preset", "consumer-crash", "--variant", "1", "--history-out", f]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = sim(&["--json", "check", "history", f]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = check("consumer-crash", "simple-queue", 1);
    assert_eq!(v["result"], "not-linearizable");
    let keys: Vec<(MsgId, usize)> = {
        let mut k: Vec<_> =
            v["failures"].as_array().unwrap().iter().filter_map(|f| key_unit(f["key"].as_str().unwrap())).collect();
        k.sort();
        k
    };
    assert_eq!(keys, c.result.lost_units);
    // A preset with several variants needs --variant to write one history.
    let out = sim(&["messaging", "--preset", "consumer-crash", "--history-out", f]);
    assert!(!out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("--variant 1 to 3") && e.contains("simple-queue | reliable-queue | stream-group"), "{e}");
    let out = sim(&["messaging", "--preset", "consumer-crash", "--variant", "4"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected 1 to 3"));
    let _ = std::fs::remove_dir_all(&dir);
}
