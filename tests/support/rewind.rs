//! What the rewind property tests share (`tests/kernel_rewind.rs`, `tests/cache_rewind.rs`,
//! `tests/lb_rewind.rs`): the random operations on a run (seeks by time and event index, steps
//! back and forth, notable jumps, user actions), applying one with the branch invariants checked,
//! the oracle (the same build and action log run straight, forward only, to the same cursor), and
//! the `sim` binary's JSON.

#![allow(dead_code)]

use playground::sim::rewind::{Rewind, RewindConfig, Rewindable, Seek};
use playground::sim::Simulation;
use proptest::prelude::*;
use std::path::PathBuf;
use std::process::Command;

/// One thing done to a rewindable run.
#[derive(Clone, Debug)]
pub enum Op<A> {
    Time(u64),
    Events(u64),
    Back(u8),
    Forward(u8),
    PrevMark,
    NextMark,
    Act(A),
}

/// Random operations: seeks up to `max_ms` and `max_events`, steps, jumps and `action`s.
pub fn op<A: Clone + std::fmt::Debug + 'static>(
    action: impl Strategy<Value = A> + 'static,
    max_ms: u64,
    max_events: u64,
) -> impl Strategy<Value = Op<A>> {
    prop_oneof![
        3 => (0..max_ms).prop_map(Op::Time),
        2 => (0..max_events).prop_map(Op::Events),
        2 => (1u8..6).prop_map(Op::Back),
        1 => (1u8..6).prop_map(Op::Forward),
        1 => Just(Op::PrevMark),
        1 => Just(Op::NextMark),
        2 => action.prop_map(Op::Act),
    ]
}

/// Small snapshot spacing and cap, so thinning and scratch snapshots are exercised.
pub fn tight(every: u64) -> RewindConfig {
    RewindConfig { every, max_snapshots: 5, ..RewindConfig::default() }
}

/// Does `op` to `r`. An action that is accepted starts a new branch exactly when the run was
/// rewound and leaves it at its horizon; a refused one changes the log not at all.
pub fn apply<M: Rewindable>(r: &mut Rewind<M>, op: &Op<M::Action>) -> Result<(), TestCaseError> {
    match op {
        Op::Time(t) => {
            r.seek(Seek::Time(*t));
        }
        Op::Events(n) => {
            r.seek(Seek::Events(*n));
        }
        Op::Back(k) => (0..*k).for_each(|_| {
            r.step_back();
        }),
        Op::Forward(k) => (0..*k).for_each(|_| {
            r.step_forward();
        }),
        Op::PrevMark => {
            r.seek_prev_mark();
        }
        Op::NextMark => {
            r.seek_next_mark();
        }
        Op::Act(a) => {
            let was_rewound = r.is_rewound();
            let (before, applied) = (r.actions().len(), r.applied());
            match r.act(a.clone()) {
                Ok(branch) => {
                    prop_assert_eq!(branch.is_some(), was_rewound);
                    prop_assert_eq!(r.actions().len(), applied + 1);
                    prop_assert!(!r.is_rewound());
                }
                Err(_) => prop_assert_eq!(r.actions().len(), before),
            }
        }
    }
    prop_assert!(r.error().is_none(), "{:?}: {:?}", op, r.error());
    let (snapshots, scratch, _) = r.snapshot_counts();
    prop_assert!(snapshots <= 6 && scratch <= playground::sim::rewind::SCRATCH);
    Ok(())
}

/// The oracle: `fresh()` with `r`'s action log, run straight (forward only) to `r`'s cursor; its
/// cursor and digest must be `r`'s. Returned so a test can compare the model's state too.
pub fn straight_to_cursor<M: Rewindable>(
    fresh: impl FnOnce() -> Simulation<M>,
    r: &Rewind<M>,
) -> Result<Rewind<M>, TestCaseError> {
    let cursor = r.cursor();
    let mut s = Rewind::with_log(fresh(), RewindConfig::default(), r.actions().to_vec()).unwrap();
    s.seek(Seek::At(cursor));
    prop_assert_eq!(s.cursor(), cursor);
    prop_assert_eq!(s.digest(), r.digest(), "at {:?}", cursor);
    Ok(s)
}

/// Runs the `sim` binary and returns its output.
pub fn sim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sim")).args(args).output().expect("the sim binary runs")
}

/// Runs the `sim` binary, which must succeed, and parses its JSON.
pub fn sim_json(args: &[&str]) -> serde_json::Value {
    let out = sim(args);
    assert!(out.status.success(), "sim {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

/// A file in this test process's own temporary directory.
pub fn tmp(test: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Writes a page's replay file (`replay_json`, of a run of `model` now at `r`'s cursor) to
/// `file` and checks that `sim replay` runs it to `r`'s digest and event count, and that
/// `--until-ms` and `--seek-ms` agree with each other and with `r` seeked to the same times.
pub fn sim_replay_agrees<M: Rewindable>(r: &mut Rewind<M>, replay_json: &str, file: PathBuf, model: &str) {
    std::fs::write(&file, replay_json).unwrap();
    let f = file.to_str().unwrap();
    let out = sim_json(&["replay", f, "--json"]);
    assert_eq!(out["model"], model);
    assert_eq!(out["digest"], r.digest().as_str(), "the file's run is the page's run");
    assert_eq!(out["events"].as_u64(), Some(r.cursor().events));
    for t in ["0", "4000", "8500", "15000"] {
        let until = sim_json(&["replay", f, "--json", "--until-ms", t]);
        let seek = sim_json(&["replay", f, "--json", "--seek-ms", t]);
        assert_eq!(until["digest"], seek["digest"], "at {t} ms");
        r.seek(Seek::Time(t.parse().unwrap()));
        assert_eq!(until["digest"], r.digest().as_str(), "at {t} ms");
    }
}
