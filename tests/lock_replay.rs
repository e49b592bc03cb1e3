#![cfg(not(target_arch = "wasm32"))]
//! `sim replay` round trips for the lock presets: `sim lock --replay-out FILE` writes the file the
//! page's "Download replay" writes, `sim replay FILE --json` prints `{"model", "events", "digest"}`
//! equal to the run's own summary, `--until-ms T` (straight) and `--seek-ms T` (through snapshots
//! and replay) print the same digest, a log of user actions replays to the digest the in-process
//! rewind had, and bad files get messages that name what is wrong.

use playground::lock::{build, preset, Action, LockRewind, Target, PRESET_IDS};
use playground::sim::replay::capture;
use playground::sim::rewind::Seek;
use playground::sim::TEST_EPOCH;
use std::path::PathBuf;
use std::process::Command;

fn sim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sim")).args(args).output().expect("the sim binary runs")
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = sim(args);
    assert!(out.status.success(), "sim {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lock-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn every_preset_round_trips_through_a_replay_file() {
    for id in PRESET_IDS {
        let file = tmp(&format!("{id}.json"));
        let f = file.to_str().unwrap();
        let run = json(&["--json", "lock", "--preset", id, "--seed", "11", "--replay-out", f]);
        let digest = run["digest"].as_str().expect("sim lock's summary has a digest").to_string();
        assert_eq!(digest.len(), 64, "{id}");
        let replayed = json(&["replay", f, "--json"]);
        assert_eq!(replayed["model"], "lock", "{id}");
        assert_eq!(replayed["digest"], digest.as_str(), "{id}: the replay is the run");
        assert_eq!(replayed["events"], run["events"], "{id}");
        // Straight to T and through snapshots to T print the same digest, as does `sim lock`.
        for t in ["0", "15000", "33333"] {
            let until = json(&["replay", f, "--json", "--until-ms", t]);
            let seek = json(&["replay", f, "--json", "--seek-ms", t]);
            let lock = json(&["--json", "lock", "--preset", id, "--seed", "11", "--until-ms", t]);
            let lock_seek = json(&["--json", "lock", "--preset", id, "--seed", "11", "--seek-ms", t]);
            assert_eq!(until["digest"], seek["digest"], "{id} at {t} ms");
            assert_eq!(until["events"], seek["events"], "{id} at {t} ms");
            assert_eq!(until["digest"], lock["digest"], "{id} at {t} ms");
            assert_eq!(until["digest"], lock_seek["digest"], "{id} at {t} ms");
            assert_eq!(until["at_ms"].as_u64(), t.parse().ok());
        }
    }
}

#[test]
fn a_log_of_user_actions_replays_to_the_same_digest() {
    let mut s = preset("gc-pause").unwrap();
    s.seed = 3;
    s.workers = 3;
    let mut r = LockRewind::new(build(&s, TEST_EPOCH).unwrap());
    r.seek(Seek::Time(12_000));
    r.act(Action::Partition { target: Target::Worker(2) }).unwrap();
    r.seek(Seek::Time(30_000));
    r.act(Action::Heal { target: Target::Worker(2) }).unwrap();
    r.seek(Seek::Time(31_000));
    r.act(Action::Crash { target: Target::Holder }).unwrap();
    // Rewind, branch, and go on: the file carries the branch.
    r.seek(Seek::Time(20_000));
    r.act(Action::RedisCrash { instance: 0 }).unwrap();
    r.seek(Seek::Time(50_000));
    r.step_back();
    let replay = capture(&r, &s, s.seed, true);
    assert_eq!(replay.actions.len(), 2);
    let file = tmp("actions.json");
    std::fs::write(&file, replay.to_json()).unwrap();
    let out = json(&["--json", "replay", file.to_str().unwrap()]);
    assert_eq!(out["digest"], r.digest().as_str());
    assert_eq!(out["events"], r.cursor().events);
    assert_eq!(out["at_ms"], r.cursor().at_ms);
    let until = json(&["--json", "replay", file.to_str().unwrap(), "--until-ms", "25000"]);
    let seek = json(&["--json", "replay", file.to_str().unwrap(), "--seek-ms", "25000"]);
    assert_eq!(until["digest"], seek["digest"]);
    r.seek(Seek::Time(25_000));
    assert_eq!(until["digest"], r.digest().as_str());
}

#[test]
fn bad_replay_files_are_named() {
    let err = |text: &str| {
        let file = tmp("bad.json");
        std::fs::write(&file, text).unwrap();
        let out = sim(&["replay", file.to_str().unwrap(), "--json"]);
        assert_eq!(out.status.code(), Some(2), "{text}");
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    assert!(err("not json").contains("the file is not JSON"));
    assert!(err("{}").contains("not a replay"));
    assert!(err(r#"{"format":"ds-playground-replay","version":1,"model":"nope"}"#)
        .contains("replays of the model \"nope\" are not supported by this build; it replays: lock"));
    let mut r = capture(
        &LockRewind::new(build(&preset("crash").unwrap(), TEST_EPOCH).unwrap()),
        &preset("crash").unwrap(),
        1,
        false,
    );
    r.actions.push(playground::sim::LoggedAction {
        at_ms: 0,
        events: 0,
        action: Action::Crash { target: Target::Worker(7) },
    });
    let e = err(&r.to_json());
    assert!(e.contains("refused on replay") && e.contains("worker 7 does not exist"), "{e}");
    let missing = sim(&["replay", "/nonexistent/replay.json"]);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read the replay file /nonexistent/replay.json"));
}
