#![cfg(not(target_arch = "wasm32"))]
//! Rewind of the cache-aside demo is exact: over many seeds, workloads and random sequences of
//! seeks, steps back and forth and user actions (typed requests and settings changes, some while
//! rewound, which cuts the future off), the trace digest and the totals at the cursor equal a
//! straight run of the same settings, seed and action log to the same cursor. And a replay file
//! of such a run gives the same digest through `sim replay` (straight with `--until-ms`, through
//! snapshots with `--seek-ms`).

use playground::redis::cache_aside::replay::{CacheAction, CacheRewind, Settings};
use playground::redis::cache_aside::CacheAside;
use playground::sim::replay::{capture, ReplayModel};
use playground::sim::rewind::{RewindConfig, Seek};
use playground::sim::TEST_EPOCH;
use proptest::prelude::*;
use std::process::Command;

#[derive(Clone, Debug)]
enum Op {
    Time(u64),
    Events(u64),
    Back(u8),
    Forward(u8),
    PrevMark,
    Act(CacheAction),
}

fn action() -> impl Strategy<Value = CacheAction> {
    prop_oneof![
        3 => prop::sample::select(vec!["octocat", "torvalds", "dev7", "new-user"])
            .prop_map(|u| CacheAction::Request { user: u.to_string() }),
        1 => (1u64..20, 0u64..40, 1u64..60, 0u64..20).prop_map(|(ttl_s, rate, users, skew)| CacheAction::Configure {
            settings: Settings { ttl_s, rate_per_s: rate as f64, users, skew: skew as f64 / 10.0 },
        }),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u64..30_000).prop_map(Op::Time),
        2 => (0u64..1_500).prop_map(Op::Events),
        2 => (1u8..6).prop_map(Op::Back),
        1 => (1u8..6).prop_map(Op::Forward),
        1 => Just(Op::PrevMark),
        2 => action().prop_map(Op::Act),
    ]
}

fn settings() -> impl Strategy<Value = Settings> {
    (1u64..10, 1u64..60, 1u64..40, 0u64..20).prop_map(|(ttl_s, rate, users, skew)| Settings {
        ttl_s,
        rate_per_s: rate as f64,
        users,
        skew: skew as f64 / 10.0,
    })
}

/// Small snapshot spacing and cap, so thinning and scratch snapshots are exercised.
fn tight() -> RewindConfig {
    RewindConfig { every: 40, max_snapshots: 5 }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn the_digest_at_a_cursor_does_not_depend_on_how_it_was_reached(
        seed in 0u64..100_000,
        s in settings(),
        ops in prop::collection::vec(op(), 1..20),
    ) {
        let build = || CacheAside::build(&s, seed, TEST_EPOCH).unwrap();
        let mut r = CacheRewind::with_config(build(), tight());
        for (i, op) in ops.iter().enumerate() {
            match op {
                Op::Time(t) => { r.seek(Seek::Time(*t)); }
                Op::Events(n) => { r.seek(Seek::Events(*n)); }
                Op::Back(k) => for _ in 0..*k { r.step_back(); },
                Op::Forward(k) => for _ in 0..*k { r.step_forward(); },
                Op::PrevMark => { r.seek_prev_mark(); }
                Op::Act(a) => {
                    let was_rewound = r.is_rewound();
                    let branch = r.act(a.clone()).expect("the generated actions are valid");
                    prop_assert_eq!(branch.is_some(), was_rewound);
                }
            }
            let mut straight = CacheRewind::with_log(build(), RewindConfig::default(), r.actions().to_vec()).unwrap();
            straight.seek(Seek::At(r.cursor()));
            prop_assert_eq!(straight.cursor(), r.cursor(), "step {}: {:?}", i, op);
            prop_assert_eq!(straight.digest(), r.digest(), "step {}: {:?}", i, op);
            prop_assert_eq!(straight.model().totals(), r.model().totals());
            prop_assert_eq!(straight.model().records().len(), r.model().records().len());
            prop_assert!(r.error().is_none());
        }
    }
}

fn sim(args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_sim")).args(args).output().expect("the sim binary runs");
    assert!(out.status.success(), "sim {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

#[test]
fn a_page_replay_runs_to_the_same_digest_in_sim_replay() {
    let s = Settings { ttl_s: 2, rate_per_s: 20.0, users: 30, skew: 1.0 };
    let mut r = CacheRewind::new(CacheAside::build(&s, 9, TEST_EPOCH).unwrap());
    r.seek(Seek::Time(4_000));
    r.act(CacheAction::Request { user: "octocat".into() }).unwrap();
    r.seek(Seek::Time(9_000));
    r.act(CacheAction::Configure { settings: Settings { ttl_s: 30, ..s.clone() } }).unwrap();
    r.seek(Seek::Time(20_000));
    let replay = capture(&r, &s, 9, true);
    let dir = std::env::temp_dir().join(format!("cache-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("cache.json");
    std::fs::write(&file, replay.to_json()).unwrap();
    let f = file.to_str().unwrap();
    let out = sim(&["replay", f, "--json"]);
    assert_eq!(out["model"], "cache-aside");
    assert_eq!(out["digest"], r.digest().as_str(), "the file's run is the page's run");
    assert_eq!(out["events"].as_u64(), Some(r.cursor().events));
    for t in ["0", "4000", "8500", "15000"] {
        let until = sim(&["replay", f, "--json", "--until-ms", t]);
        let seek = sim(&["replay", f, "--json", "--seek-ms", t]);
        assert_eq!(until["digest"], seek["digest"], "at {t} ms");
        r.seek(Seek::Time(t.parse().unwrap()));
        assert_eq!(until["digest"], r.digest().as_str(), "at {t} ms");
    }
}
