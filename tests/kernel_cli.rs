#![cfg(not(target_arch = "wasm32"))]
//! `sim kernel-bench` end to end: the shared `--seed`/`--json` flags work, the run is reproducible,
//! and bad flag values are errors that name the value. Speed figures are printed, never asserted.

use std::process::Command;

fn sim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sim")).args(args).output().expect("the sim binary runs")
}

#[test]
fn kernel_bench_json_is_reproducible_from_the_seed() {
    let run = |seed: &str| {
        let out = sim(&[
            "--seed",
            seed,
            "--json",
            "kernel-bench",
            "--events",
            "20000",
            "--timers",
            "50",
            "--playback-timers",
            "0",
        ]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
        assert_eq!(v["events"], 20_000);
        assert_eq!(v["timers"], 50);
        assert_eq!(v["seed"].as_u64(), seed.parse().ok());
        (v["checksum"].as_u64().expect("checksum"), v["virtual_ms"].as_u64().expect("virtual time"))
    };
    assert_eq!(run("3"), run("3"));
    assert_ne!(run("3"), run("4"));
}

#[test]
fn kernel_bench_text_names_the_rate_and_bad_flags_are_errors() {
    let out = sim(&["kernel-bench", "--events", "1000", "--playback-timers", "0"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("M events/s"), "{text}");
    let out = sim(&["kernel-bench", "--timers", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stderr).trim(), "sim: --timers 0 is too few; expected at least 1 timer");
    let out = sim(&["kernel-bench", "--events", "lots"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("lots"));
}
