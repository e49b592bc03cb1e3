#![cfg(not(target_arch = "wasm32"))]
//! The reference `retry(call, onRetry, maxRetries)` schedules, asserted exactly through the public
//! API (the core's purity is checked for every model by tests/tidy.rs).

use playground::backoff::retry::{self, CallResult, GiveUp, RetryParams};
use playground::backoff::{AttemptOutcome, FailingApi, Policy};

#[test]
fn fail_first_3_max_retries_4_succeeds_on_the_4th_attempt_after_200_400_800() {
    let s = retry::run(RetryParams::reference()).unwrap();
    let rows: Vec<(u32, u64, u64, bool)> =
        s.attempts.iter().map(|a| (a.attempt, a.start_ms, a.wait_before_ms, a.outcome == AttemptOutcome::Ok)).collect();
    assert_eq!(rows, vec![(0, 0, 0, false), (1, 200, 200, false), (2, 600, 400, false), (3, 1400, 800, true)]);
    assert_eq!(s.waits(), vec![200, 400, 800]);
    assert_eq!(s.on_retry.len(), 3);
    assert_eq!(s.result, CallResult::Succeeded { attempt: 3, at_ms: 1400 });
}

#[test]
fn fail_first_5_max_retries_4_reports_the_last_error_after_200_400_800_1600() {
    let s = retry::run(RetryParams { api: FailingApi::FailFirst { k: 5 }, ..RetryParams::reference() }).unwrap();
    assert_eq!(s.waits(), vec![200, 400, 800, 1600]);
    assert_eq!(s.attempts.iter().map(|a| a.start_ms).collect::<Vec<_>>(), vec![0, 200, 600, 1400, 3000]);
    let CallResult::Failed { error, at_ms, reason } = &s.result else { panic!("expected failure: {:?}", s.result) };
    assert_eq!((error.status, *at_ms, *reason), (503, 3000, GiveUp::RetriesExhausted));
    // The error the caller gets is the last attempt's.
    assert_eq!(s.attempts.last().unwrap().outcome, AttemptOutcome::Err { error: error.clone() });
}

#[test]
fn every_policy_keeps_max_retries_plus_one_attempts_at_most() {
    let policies = [
        Policy::None,
        Policy::Constant { delay_ms: 50 },
        Policy::reference(),
        Policy::FullJitter { base_ms: 100, cap_ms: 5000 },
        Policy::EqualJitter { base_ms: 100, cap_ms: 5000 },
        Policy::Decorrelated { base_ms: 100, cap_ms: 5000 },
        Policy::grpc(),
    ];
    for seed in 0..40 {
        for p in &policies {
            let params = RetryParams {
                policy: p.clone(),
                api: FailingApi::FailWithProbability { p: 0.7 },
                max_retries: 6,
                seed,
                ..RetryParams::reference()
            };
            let s = retry::run(params.clone()).unwrap();
            assert!(s.attempts.len() <= 7);
            assert_eq!(s.on_retry.len() + 1, s.attempts.len());
            assert_eq!(s, retry::run(params).unwrap(), "replays from its seed");
            for w in s.attempts.windows(2) {
                assert_eq!(w[1].start_ms, w[0].end_ms + w[1].wait_before_ms);
            }
        }
    }
}
