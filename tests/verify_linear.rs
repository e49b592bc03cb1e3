//! The linearizability checker on known histories of the modeled Redis: linearizable ones (sequential,
//! overlapping, with unknown outcomes that took effect late or never), the classic anomalies (a lost
//! acknowledged write, a stale read, a lost update, a double grant), per-key partitioning, the
//! bounded search answering "too large", and an oracle: histories recorded from the real modeled
//! Redis with random overlapping windows are always linearizable, and a read changed to a value
//! never written never is.

use playground::verify::linear::{
    check_history, check_history_with, recorded_history, GenConfig, History, Input, LinearLimits, Operation, Output,
};

/// An operation with a known outcome.
fn op(client: u64, key: &str, input: Input, invoke: u64, ret: u64, output: Output) -> Operation {
    Operation { client, key: key.into(), input, invoke, ret: Some(ret), output: Some(output) }
}

/// An operation whose outcome the client never learned.
fn unknown(client: u64, key: &str, input: Input, invoke: u64) -> Operation {
    Operation { client, key: key.into(), input, invoke, ret: None, output: None }
}

fn set(v: &str) -> Input {
    Input::Set { value: v.into() }
}
fn setnx(v: &str) -> Input {
    Input::SetNx { value: v.into() }
}
fn val(v: &str) -> Output {
    Output::Value(v.into())
}
const INCR: Input = Input::Incr { by: 1 };

fn verdict(ops: Vec<Operation>) -> &'static str {
    check_history(&History { ops }).result
}

#[test]
fn sequential_and_overlapping_histories_are_linearizable() {
    assert_eq!(verdict(vec![]), "linearizable");
    assert_eq!(
        verdict(vec![
            op(1, "x", Input::Get, 0, 1, Output::Nil),
            op(1, "x", set("1"), 2, 3, Output::Ok),
            op(2, "x", Input::Get, 4, 5, val("1")),
            op(2, "x", INCR, 6, 7, Output::Int(2)),
            op(1, "x", Input::Del, 8, 9, Output::Int(1)),
            op(1, "x", Input::Del, 10, 11, Output::Int(0)),
            op(2, "x", setnx("a"), 12, 13, Output::Ok),
            op(1, "x", setnx("b"), 14, 15, Output::Nil),
            op(1, "x", INCR, 16, 17, Output::Error("ERR value is not an integer or out of range".into())),
            op(2, "x", Input::Get, 18, 19, val("a")),
        ]),
        "linearizable"
    );
    // Two overlapping writes: readers after both may see either, but all the same one.
    let base = || vec![op(1, "x", set("1"), 0, 10, Output::Ok), op(2, "x", set("2"), 5, 15, Output::Ok)];
    for last in ["1", "2"] {
        let mut h = base();
        h.push(op(3, "x", Input::Get, 20, 21, val(last)));
        h.push(op(4, "x", Input::Get, 22, 23, val(last)));
        assert_eq!(verdict(h), "linearizable", "both read {last}");
    }
    let mut h = base();
    h.push(op(3, "x", Input::Get, 20, 21, val("2")));
    h.push(op(4, "x", Input::Get, 22, 23, val("1")));
    assert_eq!(verdict(h), "not-linearizable", "the value went back from 2 to 1");
    // A read overlapping a write may see the old or the new value; touching intervals overlap.
    for seen in [Output::Nil, val("1")] {
        let h = vec![op(1, "x", set("1"), 0, 10, Output::Ok), op(2, "x", Input::Get, 10, 12, seen)];
        assert_eq!(verdict(h), "linearizable");
    }
}

#[test]
fn a_lost_acknowledged_write_is_caught_and_named() {
    let h = History {
        ops: vec![
            op(1, "x", set("1"), 0, 5, Output::Ok),
            op(2, "x", Input::Get, 10, 12, Output::Nil),
            op(3, "y", set("a"), 0, 1, Output::Ok),
        ],
    };
    let r = check_history(&h);
    assert_eq!(r.result, "not-linearizable", "{}", r.summary);
    assert_eq!(r.failures.len(), 1, "only key x fails");
    let f = &r.failures[0];
    assert_eq!(f.key, "x");
    assert_eq!(f.ops.len(), 2);
    assert!(f.explanation.starts_with("lost acknowledged write"), "{}", f.explanation);
    assert!(f.minimal);
}

#[test]
fn a_stale_read_is_caught_and_the_failing_sub_history_is_small() {
    // The stale read hides among a hundred unrelated, linearizable operations on the same key.
    let mut ops = Vec::new();
    let mut t = 0;
    for i in 0..50u64 {
        ops.push(op(1, "x", set(&i.to_string()), t, t + 2, Output::Ok));
        ops.push(op(2, "x", Input::Get, t + 1, t + 4, val(&i.to_string())));
        t += 5;
    }
    ops.push(op(1, "x", set("new"), t, t + 2, Output::Ok));
    ops.push(op(3, "x", Input::Get, t + 3, t + 4, val("49")));
    let r = check_history(&History { ops });
    assert_eq!(r.result, "not-linearizable");
    let f = &r.failures[0];
    for o in &f.ops {
        println!("{}", o.describe());
    }
    assert!(f.ops.len() <= 3, "a small failing sub-history, got {}", f.ops.len());
    assert!(f.ops.iter().any(|o| o.input == set("new")), "the acknowledged write the read missed");
    assert!(f.ops.iter().any(|o| o.output == Some(val("49"))), "the stale read");
    assert!(f.explanation.contains("stale read") || f.explanation.contains("lost acknowledged"), "{}", f.explanation);
    assert_eq!(f.key_operations, 102);
}

#[test]
fn unknown_outcomes_may_take_effect_late_or_never_as_porcupine_treats_them() {
    // A SET that timed out: a read long after may still see it appear...
    let late = vec![
        unknown(1, "x", set("1"), 0),
        op(2, "x", Input::Get, 10, 11, Output::Nil),
        op(2, "x", Input::Get, 20, 21, val("1")),
    ];
    assert_eq!(verdict(late), "linearizable");
    // ...or it may never happen...
    assert_eq!(
        verdict(vec![unknown(1, "x", set("1"), 0), op(2, "x", Input::Get, 10, 11, Output::Nil)]),
        "linearizable"
    );
    // ...but once seen it cannot be unseen.
    let flicker = vec![
        unknown(1, "x", set("1"), 0),
        op(2, "x", Input::Get, 10, 11, val("1")),
        op(2, "x", Input::Get, 20, 21, Output::Nil),
    ];
    assert_eq!(verdict(flicker), "not-linearizable");
    // It cannot take effect before it was sent.
    assert_eq!(verdict(vec![op(2, "x", Input::Get, 0, 1, val("1")), unknown(1, "x", set("1"), 5)]), "not-linearizable");
    // An unknown INCR counts once at most.
    let incrs = |seen: i64| vec![unknown(1, "n", INCR, 0), op(2, "n", INCR, 5, 6, Output::Int(seen))];
    assert_eq!(verdict(incrs(1)), "linearizable");
    assert_eq!(verdict(incrs(2)), "linearizable");
    assert_eq!(verdict(incrs(3)), "not-linearizable");
    // An operation known to have failed is left out of the history when it is read.
    let text = r#"{"ops": [
        {"client": 1, "key": "x", "op": "set", "value": "1", "invoke": 0, "return": 1, "outcome": "fail"},
        {"client": 2, "key": "x", "op": "get", "invoke": 5, "return": 6, "result": null},
        {"client": 3, "key": "x", "op": "get", "invoke": 5, "outcome": "unknown"}
    ]}"#;
    let h = History::from_json(text).unwrap();
    assert_eq!(h.ops.len(), 2);
    let r = check_history(&h);
    assert_eq!((r.result, r.operations), ("linearizable", 1), "the unknown GET observed nothing");
}

#[test]
fn lost_updates_and_double_grants_are_not_linearizable() {
    let lost_update = vec![op(1, "n", INCR, 0, 10, Output::Int(1)), op(2, "n", INCR, 5, 15, Output::Int(1))];
    assert_eq!(verdict(lost_update), "not-linearizable");
    let fine = vec![op(1, "n", INCR, 0, 10, Output::Int(2)), op(2, "n", INCR, 5, 15, Output::Int(1))];
    assert_eq!(verdict(fine), "linearizable");
    // Two clients both granted the lock by SET NX with no DEL between: what a failover can do.
    let double = vec![op(1, "lock", setnx("a"), 0, 2, Output::Ok), op(2, "lock", setnx("b"), 3, 5, Output::Ok)];
    assert_eq!(verdict(double), "not-linearizable");
    let with_del = vec![
        op(1, "lock", setnx("a"), 0, 2, Output::Ok),
        unknown(3, "lock", Input::Del, 1),
        op(2, "lock", setnx("b"), 3, 5, Output::Ok),
    ];
    assert_eq!(verdict(with_del), "linearizable");
    // INCR on a string that is not Redis's integer form must fail; SET then INCR of its form works.
    let h = vec![op(1, "n", set("01"), 0, 1, Output::Ok), op(1, "n", INCR, 2, 3, Output::Int(2))];
    assert_eq!(verdict(h), "not-linearizable", "\"01\" is not an integer to Redis");
    let h = vec![op(1, "n", set("-7"), 0, 1, Output::Ok), op(1, "n", INCR, 2, 3, Output::Int(-6))];
    assert_eq!(verdict(h), "linearizable");
}

#[test]
fn keys_are_checked_apart_and_each_failing_key_is_reported() {
    let mut ops = Vec::new();
    for (i, key) in ["a", "b", "c"].into_iter().enumerate() {
        let t = i as u64 * 100;
        ops.push(op(1, key, set("1"), t, t + 1, Output::Ok));
        let seen = if key == "b" { val("1") } else { Output::Nil };
        ops.push(op(2, key, Input::Get, t + 5, t + 6, seen));
    }
    let r = check_history(&History { ops });
    assert_eq!(r.keys, 3);
    let failing: Vec<&str> = r.failures.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(failing, ["a", "c"]);
    assert!(r.summary.contains("\"a\", \"c\""), "{}", r.summary);
}

#[test]
fn a_history_too_large_to_decide_gets_that_answer_within_the_step_budget() {
    // 24 writes all concurrent, then a read of a value none of them wrote: refuting it means
    // trying every subset of the writes (2^24 configurations).
    let mut ops: Vec<Operation> = (0..24).map(|i| op(i, "x", set(&format!("v{i}")), 0, 100, Output::Ok)).collect();
    ops.push(op(99, "x", Input::Get, 200, 201, val("nobody")));
    ops.push(op(1, "y", set("1"), 0, 1, Output::Ok));
    let limits = LinearLimits { max_steps_per_key: 50_000, max_shrink_steps: 50_000 };
    let r = check_history_with(&History { ops }, limits);
    println!("{} ({} steps)", r.summary, r.steps);
    assert_eq!(r.result, "too-large");
    assert_eq!(r.too_large, vec![("x".to_string(), 25)]);
    assert!(r.steps <= 50_001 + 10, "the budget bounds the work: {}", r.steps);
    assert!(r.summary.contains("within 50000 search steps"), "{}", r.summary);
    // With the same budget, a small key still gets a real answer.
    let small = vec![op(1, "x", set("1"), 0, 100, Output::Ok), op(2, "x", Input::Get, 200, 201, val("nobody"))];
    assert_eq!(check_history_with(&History { ops: small }, limits).result, "not-linearizable");
}

/// A history recorded from the real modeled Redis with overlapping windows and lost replies.
fn recorded(seed: u64, ops: usize) -> History {
    recorded_history(&GenConfig { seed, ops, ..GenConfig::default() })
}

#[test]
fn histories_recorded_from_the_modeled_redis_are_linearizable_and_a_forged_read_is_not() {
    for seed in 0..40 {
        let h = recorded(seed, 120);
        let r = check_history(&h);
        assert_eq!(r.result, "linearizable", "seed {seed}: {}\n{}", r.summary, h.to_json());
        // The JSON form reads back to the same history.
        assert_eq!(History::from_json(&h.to_json()).unwrap(), h);
        // Forge one read: a value nobody wrote.
        let mut forged = h.clone();
        if let Some(read) = forged.ops.iter_mut().find(|o| o.input == Input::Get && o.output.is_some()) {
            read.output = Some(val("forged"));
            let r = check_history(&forged);
            assert_eq!(r.result, "not-linearizable", "seed {seed}");
            assert!(r.failures[0].ops.iter().any(|o| o.output == Some(val("forged"))));
        }
    }
}

#[test]
fn the_cli_checks_a_history_file_and_refuses_bad_ones_with_a_reason() {
    #[cfg(not(target_arch = "wasm32"))]
    {
        use std::process::Command;
        let dir = std::env::temp_dir().join(format!("verify-linear-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.json");
        std::fs::write(&good, recorded(7, 200).to_json()).unwrap();
        let bad_history =
            History { ops: vec![op(1, "x", set("1"), 0, 5, Output::Ok), op(2, "x", Input::Get, 10, 12, Output::Nil)] };
        let lost = dir.join("lost.json");
        std::fs::write(&lost, bad_history.to_json()).unwrap();
        let sim = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_sim")).args(args).output().unwrap();
        for sub in ["linear", "history"] {
            let out = sim(&["--json", "check", sub, good.to_str().unwrap()]);
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(v["result"], "linearizable");
            assert!(v["operations"].as_u64().unwrap() > 150);
            assert!(v["ms"].is_u64());
        }
        let out = sim(&["--json", "check", "linear", lost.to_str().unwrap()]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["result"], "not-linearizable");
        assert_eq!(v["failures"][0]["key"], "x");
        assert_eq!(v["failures"][0]["ops"].as_array().unwrap().len(), 2);
        // Bad files: each message names the problem and what is accepted.
        let cases = [
            ("notjson.json", "{ops: [", "not JSON"),
            (
                "badop.json",
                r#"{"ops": [{"key": "x", "op": "getset", "invoke": 0}]}"#,
                "expected get, set, set-nx, del or incr",
            ),
            (
                "backwards.json",
                r#"{"ops": [{"key": "x", "op": "get", "invoke": 5, "return": 1, "result": null}]}"#,
                "expected return >= invoke",
            ),
            (
                "noval.json",
                r#"{"ops": [{"key": "x", "op": "set", "invoke": 0, "return": 1, "result": "OK"}]}"#,
                "needs a string \"value\"",
            ),
            (
                "badres.json",
                r#"{"ops": [{"key": "x", "op": "del", "invoke": 0, "return": 1, "result": "OK"}]}"#,
                "expected an integer",
            ),
        ];
        for (name, text, says) in cases {
            let p = dir.join(name);
            std::fs::write(&p, text).unwrap();
            let out = sim(&["check", "linear", p.to_str().unwrap()]);
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "{name}");
            assert!(err.contains(says), "{name}: {err}");
        }
        let out = sim(&["check", "linear", dir.join("missing.json").to_str().unwrap()]);
        assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
        let out = sim(&["check", "linear", good.to_str().unwrap(), "--max-steps", "0"]);
        assert!(String::from_utf8_lossy(&out.stderr).contains("expected 1 to"));
        std::fs::remove_dir_all(&dir).ok();
    }
}
