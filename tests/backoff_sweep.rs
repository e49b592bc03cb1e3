#![cfg(not(target_arch = "wasm32"))]
//! The contention sweep's known shape (the AWS blog's result), its determinism, and the herd's.
//!
//! Scale: the shape is asserted at 100 clients over 100 runs (the page's default R), which takes
//! about a second in a debug build; the determinism check uses a small grid.

use playground::backoff::contention::{ClientRange, Strategy, Sweep, SweepParams};
use playground::backoff::herd::{self, HerdLimiter, HerdParams};

#[test]
fn at_100_clients_full_jitter_uses_under_half_the_calls_of_exponential_and_none_the_most() {
    let params =
        SweepParams { clients: ClientRange::new(100, 100, 10).unwrap(), runs: 100, seed: 1, ..SweepParams::default() };
    let mut sweep = Sweep::new(params).unwrap();
    let rows = sweep.run_to_end().to_vec();
    let calls = |s: Strategy| rows.iter().find(|r| r.strategy == s).unwrap().calls;
    let time = |s: Strategy| rows.iter().find(|r| r.strategy == s).unwrap().time_ms;
    println!("{}", sweep.csv());
    assert!(calls(Strategy::FullJitter) < calls(Strategy::Exponential) / 2.0);
    for s in Strategy::ALL {
        if s != Strategy::None {
            assert!(calls(Strategy::None) > calls(s), "none {} vs {s} {}", calls(Strategy::None), calls(s));
        }
        // Each of the 100 clients writes at least once.
        assert!(calls(s) >= 100.0);
    }
    // Without jitter, exponential backoff is by far the slowest to finish.
    for s in [Strategy::Decorrelated, Strategy::EqualJitter, Strategy::FullJitter, Strategy::None] {
        assert!(time(Strategy::Exponential) > 3.0 * time(s));
    }
}

#[test]
fn the_same_seed_gives_byte_identical_csv_and_another_seed_does_not() {
    let p = SweepParams { clients: "10..30:10".parse().unwrap(), runs: 5, seed: 42, ..SweepParams::default() };
    let run = |p: SweepParams| {
        let mut s = Sweep::new(p).unwrap();
        s.run_to_end();
        s.csv()
    };
    let a = run(p.clone());
    assert_eq!(a, run(p.clone()));
    assert_ne!(a, run(SweepParams { seed: 43, ..p }));
    assert_eq!(a.lines().count(), 1 + 3 * 5);
    assert_eq!(a.lines().next(), Some("clients,time_ms,calls,strategy"));
}

#[test]
fn herd_budgets_cut_the_retry_storm_after_recovery() {
    let p = HerdParams { clients: 300, capacity_rps: 360, duration_ms: 40_000, ..HerdParams::default() };
    let all = herd::run_all(&p, &[HerdLimiter::None, HerdLimiter::Budget, HerdLimiter::Throttle]).unwrap();
    for s in &all {
        println!(
            "{:>13} limiter={:<8} requests={:>6} retries={:>6} rejected={:>6} peak/s={:>5} denied={:>5}",
            s.strategy.name(),
            s.limiter.name(),
            s.total(|b| b.requests),
            s.total(|b| b.retries),
            s.total(|b| b.rejected),
            s.peak_requests(),
            s.total(|b| b.denied_by_limiter)
        );
    }
    for three in all.chunks(3) {
        let (free, budgeted, throttled) = (&three[0], &three[1], &three[2]);
        assert_eq!((free.strategy, budgeted.strategy), (throttled.strategy, throttled.strategy));
        assert_eq!(
            (free.limiter, budgeted.limiter, throttled.limiter),
            (HerdLimiter::None, HerdLimiter::Budget, HerdLimiter::Throttle)
        );
        assert!(budgeted.total(|b| b.retries) <= free.total(|b| b.retries));
        assert!(throttled.total(|b| b.retries) <= free.total(|b| b.retries));
    }
    let none = &all[12];
    assert_eq!(none.strategy, Strategy::None);
    assert!(none.total(|b| b.retries) > 2 * all[13].total(|b| b.retries));
    assert!(none.peak_requests() > all[13].peak_requests());
}
