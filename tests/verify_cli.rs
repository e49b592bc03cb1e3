#![cfg(not(target_arch = "wasm32"))]
//! `sim check lock` end to end: the JSON the issue specifies, the issue's four expected results
//! through the command line, every accepted flag value, and bad values refused with a message that
//! names the value and what is accepted. Times are printed, never asserted.

use serde_json::Value;
use std::process::Command;

fn sim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sim")).args(args).output().expect("the sim binary runs")
}

fn check_json(args: &[&str]) -> Value {
    let mut all = vec!["--json", "check", "lock"];
    all.extend_from_slice(args);
    let out = sim(&all);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

fn labels(v: &Value) -> Vec<String> {
    v["trace"].as_array().unwrap().iter().map(|s| s["label"].as_str().unwrap().to_string()).collect()
}

fn kinds(v: &Value) -> Vec<String> {
    v["trace"].as_array().unwrap().iter().map(|s| s["kind"].as_str().unwrap().to_string()).collect()
}

#[test]
fn the_json_has_the_issue_fields_and_the_gc_pause_story() {
    let v =
        check_json(&["--variant", "reference", "--workers", "2", "--redis", "1", "--faults", "pause", "--depth", "40"]);
    for field in ["result", "property", "depth", "states", "unique_states", "ms", "trace"] {
        assert!(v.get(field).is_some(), "missing {field}: {v}");
    }
    assert_eq!(v["result"], "counterexample");
    assert_eq!(v["property"], "mutual-exclusion");
    assert!(v["ms"].is_u64() && v["states"].as_u64().unwrap() >= v["unique_states"].as_u64().unwrap());
    let trace = v["trace"].as_array().unwrap();
    assert_eq!(v["depth"].as_u64().unwrap() as usize, trace.len());
    for l in labels(&v) {
        println!("{l}");
    }
    // The story: a holder freezes, its key expires under it, the other worker takes the lock.
    let k = kinds(&v);
    let pause = k.iter().position(|k| k == "pause").expect("a GC pause");
    let expiry = labels(&v).iter().position(|l| l.contains("expires")).expect("the key expires");
    let grant = labels(&v).iter().rposition(|l| l.contains("SET NX arrives; redis replies OK")).unwrap();
    assert!(pause < expiry && expiry < grant, "pause {pause}, expiry {expiry}, grant {grant}");
    let last = trace.last().unwrap();
    assert_eq!(last["workers"].as_array().unwrap().iter().filter(|w| w["believes"] == true).count(), 2);
    assert_eq!(last["violated"], serde_json::json!(["mutual-exclusion"]));
    // The same run twice gives the same answer (apart from the time it took).
    let mut again = check_json(&["--variant", "reference", "--faults", "pause", "--depth", "40"]);
    let mut first = v.clone();
    for x in [&mut first, &mut again] {
        x["ms"] = Value::Null;
        x["states_per_s"] = Value::Null;
    }
    assert_eq!(first, again);
}

#[test]
fn the_issue_s_expected_results_hold_on_the_command_line() {
    // The GET-then-EXPIRE race with one delayed message.
    let v =
        check_json(&["--variant", "reference", "--faults", "delay", "--property", "foreign-extend", "--depth", "60"]);
    assert_eq!(v["result"], "counterexample");
    assert_eq!(kinds(&v).iter().filter(|k| *k == "delay").count(), 1);
    assert!(labels(&v).iter().any(|l| l.contains("EXPIRE is delayed")));
    // Fencing: no stale write within the bounds, with the figures that say how far it looked.
    let v = check_json(&[
        "--variant",
        "fenced",
        "--faults",
        "pause,crash,delay",
        "--property",
        "stale-write",
        "--depth",
        "45",
    ]);
    assert_eq!(v["result"], "no-counterexample");
    assert_eq!(v["depth"], 45);
    assert!(v["unique_states"].as_u64().unwrap() > 1_000);
    assert!(v["trace"].as_array().unwrap().is_empty());
    let summary = v["summary"].as_str().unwrap();
    assert!(summary.starts_with("no counterexample up to depth 45, "), "{summary}");
    // Redlock on five instances with one clock-drift step.
    let v = check_json(&["--variant", "redlock", "--redis", "5", "--faults", "drift", "--depth", "120"]);
    assert_eq!(v["result"], "counterexample");
    assert_eq!(kinds(&v).iter().filter(|k| *k == "drift").count(), 1);
    assert_eq!(v["trace"].as_array().unwrap().last().unwrap()["redis"].as_array().unwrap().len(), 5);
}

#[test]
fn every_accepted_value_runs() {
    let v = check_json(&[
        "--workers",
        "3",
        "--faults",
        "pause,crash,delay,drop,restart,drift",
        "--depth",
        "8",
        "--property",
        "all",
    ]);
    let answers = v.as_array().expect("one answer per property");
    assert_eq!(answers.len(), 5);
    for a in answers {
        assert!(a["result"] == "counterexample" || a["result"] == "no-counterexample");
    }
    for (variant, redis) in [("reference", "1"), ("atomic", "1"), ("fenced", "1"), ("redlock", "3"), ("redlock", "5")] {
        let v = check_json(&["--variant", variant, "--redis", redis, "--faults", "none", "--depth", "12"]);
        assert_eq!(v["result"], "no-counterexample", "{variant}/{redis}: without faults all is well");
    }
    let text = sim(&["check", "lock", "--faults", "pause"]);
    let out = String::from_utf8_lossy(&text.stdout);
    assert!(out.contains("worker-0 freezes (GC pause)") && out.contains("states/s"), "{out}");
}

#[test]
fn bad_values_are_refused_with_what_is_accepted() {
    let cases: &[(&[&str], &str)] = &[
        (&["--variant", "paxos"], "expected one of: reference, atomic, fenced, redlock"),
        (&["--workers", "1"], "workers = 1; expected 2 or 3"),
        (&["--workers", "4"], "workers = 4; expected 2 or 3"),
        (&["--redis", "3"], "expected 1 for reference, atomic and fenced, 3 or 5 for redlock"),
        (&["--variant", "redlock", "--redis", "4"], "3 or 5 for redlock"),
        (&["--faults", "pause,meteor"], "unknown fault \"meteor\"; expected a comma-separated list of: pause, crash"),
        (&["--depth", "0"], "depth = 0; expected 1 to 400"),
        (&["--depth", "401"], "depth = 401; expected 1 to 400"),
        (&["--depth", "deep"], "invalid value 'deep' for '--depth"),
        (&["--budget", "9"], "fault budget = 9; expected 0 to 4"),
        (&["--property", "liveness"], "expected one of: mutual-exclusion, stale-write"),
        (&["--max-states", "0"], "max states = 0; expected 1 to"),
    ];
    for (args, says) in cases {
        let mut all = vec!["check", "lock"];
        all.extend_from_slice(args);
        let out = sim(&all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}: a refused check prints no answer");
    }
}

#[test]
fn the_bench_prints_figures_for_both_checkers() {
    let out = sim(&["--json", "check", "bench", "--ms", "50", "--quick"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    println!("{}", serde_json::to_string_pretty(&v).unwrap());
    assert_eq!(v["lock"].as_array().unwrap().len(), 1);
    assert_eq!(v["linear"].as_array().unwrap().len(), 2);
    assert!(v["lock"][0]["result"].as_str().unwrap().starts_with("counterexample"));
    assert!(v["linear"].as_array().unwrap().iter().all(|f| f["histories"].as_u64().unwrap() >= 1));
}

#[test]
fn a_cluster_run_s_history_goes_through_sim_check_linear() {
    let dir = std::env::temp_dir().join(format!("verify-cli-cluster-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("replica-lag.json");
    let f = file.to_str().unwrap();
    let out = sim(&["--json", "cluster", "--preset", "replica-lag", "--history-out", f]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(summary["acked_writes_lost"].as_u64().unwrap() > 0);
    let out = sim(&["--json", "check", "linear", f]);
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["result"], "not-linearizable", "{}", v["summary"]);
    // Without lag the same failover keeps every acknowledged write.
    let out = sim(&["--json", "cluster", "--preset", "replica-lag", "--lag", "0", "--history-out", f]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&sim(&["--json", "check", "linear", f]).stdout).unwrap();
    assert_eq!(v["result"], "linearizable", "{}", v["summary"]);
    let _ = std::fs::remove_dir_all(&dir);
}
