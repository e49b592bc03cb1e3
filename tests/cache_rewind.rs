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

#[path = "support/rewind.rs"]
mod support;
use support::{apply, op, straight_to_cursor, tight};

fn action() -> impl Strategy<Value = CacheAction> {
    prop_oneof![
        3 => prop::sample::select(vec!["octocat", "torvalds", "dev7", "new-user"])
            .prop_map(|u| CacheAction::Request { user: u.to_string() }),
        1 => (1u64..20, 0u64..40, 1u64..60, 0u64..20).prop_map(|(ttl_s, rate, users, skew)| CacheAction::Configure {
            settings: Settings { ttl_s, rate_per_s: rate as f64, users, skew: skew as f64 / 10.0 },
        }),
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn the_digest_at_a_cursor_does_not_depend_on_how_it_was_reached(
        seed in 0u64..100_000,
        s in settings(),
        ops in prop::collection::vec(op(action(), 30_000, 1_500), 1..20),
    ) {
        let build = || CacheAside::build(&s, seed, TEST_EPOCH).unwrap();
        let mut r = CacheRewind::with_config(build(), tight(40));
        for (i, op) in ops.iter().enumerate() {
            apply(&mut r, op)?;
            let straight = straight_to_cursor(build, &r)?;
            prop_assert_eq!(straight.model().totals(), r.model().totals(), "step {} {:?}", i, op);
            prop_assert_eq!(straight.model().records().len(), r.model().records().len());
        }
    }
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
    support::sim_replay_agrees(&mut r, &replay.to_json(), support::tmp("cache-replay", "cache.json"), "cache-aside");
}

#[test]
fn a_long_run_keeps_its_snapshots_under_the_byte_cap_with_the_same_digests() {
    // Records and ratio buckets fill as the run goes on; snapshots far apart share none of them.
    let s = Settings { ttl_s: 3, rate_per_s: 40.0, users: 200, skew: 1.0 };
    let config = RewindConfig { every: 64, ..RewindConfig::default() };
    support::byte_cap_holds_and_changes_no_digest(
        || CacheAside::build(&s, 5, TEST_EPOCH).unwrap(),
        config,
        Seek::Time(120_000),
        Seek::Time(50_000),
    );
}
