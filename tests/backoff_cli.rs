#![cfg(not(target_arch = "wasm32"))]
//! `sim retry` and `sim backoff-sweep` as a user runs them: output, JSON and error messages.

use std::process::Command;

fn sim(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sim")).args(args).output().expect("the sim binary runs");
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn retry_prints_the_reference_schedule() {
    let (code, out, _) =
        sim(&["retry", "--policy", "exponential", "--base", "100", "--max-retries", "4", "--fail-first", "3"]);
    assert_eq!(code, 0);
    expect_test::expect![[r#"
        attempt  start_ms  wait_before_ms  outcome
              0         0               0  503 Service Unavailable
              1       200             200  503 Service Unavailable
              2       600             400  503 Service Unavailable
              3      1400             800  ok
        onRetry: retry 1 at 0 ms after 503 Service Unavailable, waiting 200 ms
        onRetry: retry 2 at 200 ms after 503 Service Unavailable, waiting 400 ms
        onRetry: retry 3 at 600 ms after 503 Service Unavailable, waiting 800 ms
        result: success on attempt 3 (call #4) at 1400 ms
    "#]]
    .assert_eq(&out);
}

#[test]
fn retry_json_carries_the_attempts_and_the_final_error() {
    let (code, out, _) = sim(&["retry", "--fail-first", "5", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let waits: Vec<u64> =
        v["attempts"].as_array().unwrap().iter().map(|a| a["wait_before_ms"].as_u64().unwrap()).collect();
    assert_eq!(waits, vec![0, 200, 400, 800, 1600]);
    assert_eq!(v["result"]["kind"], "failed");
    assert_eq!(v["result"]["error"]["status"], 503);
}

#[test]
fn sweep_prints_the_csv_header_and_one_row_per_cell() {
    let (code, out, _) = sim(&["backoff-sweep", "--clients", "10..20:10", "--runs", "3", "--seed", "7"]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "clients,time_ms,calls,strategy");
    assert_eq!(lines.len(), 11);
    let names: Vec<&str> = lines[1..6].iter().map(|l| l.rsplit(',').next().unwrap()).collect();
    assert_eq!(names, vec!["exponential", "decorrelated", "equal_jitter", "full_jitter", "none"]);
    assert!(lines[6].starts_with("20,"));
    // Any thread count gives the same CSV.
    let (_, one_thread, _) =
        sim(&["backoff-sweep", "--clients", "10..20:10", "--runs", "3", "--seed", "7", "--threads", "1"]);
    assert_eq!(out, one_thread);
}

#[test]
fn bad_flags_get_clear_errors_and_exit_code_2() {
    let (code, _, err) = sim(&["backoff-sweep", "--clients", "190..10:10"]);
    assert_eq!(code, 2);
    assert!(err.contains("client range \"190..10:10\" is not usable: expected FROM..TO:STEP"), "{err}");
    let (code, _, err) = sim(&["retry", "--policy", "fast"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown policy \"fast\": expected one of none, constant, exponential"), "{err}");
    let (code, _, err) = sim(&["retry", "--fail-prob", "2"]);
    assert_eq!(code, 2);
    assert!(err.contains("failure probability 2 is not usable: expected a number in [0, 1]"), "{err}");
    let (code, _, err) = sim(&["backoff-sweep", "--runs", "0"]);
    assert_eq!(code, 2);
    assert!(err.contains("0 runs is not usable"), "{err}");
}
