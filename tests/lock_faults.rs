#![cfg(not(target_arch = "wasm32"))]
//! Faults the presets do not cover on their own: partitions, a slow Redis, restarts.

use playground::lock::{run, Action, Scenario, Step, Summary, Target};
use playground::sim::TEST_EPOCH;

fn summary(s: &Scenario) -> Summary {
    let sim = run(s, TEST_EPOCH, false).unwrap();
    sim.model.summary(sim.now())
}

fn with_steps(steps: Vec<(u64, Action)>) -> Scenario {
    Scenario {
        duration_ms: 60_000,
        steps: steps.into_iter().map(|(at_ms, action)| Step { at_ms, action }).collect(),
        ..Scenario::default()
    }
}

fn partition_holder() -> Scenario {
    with_steps(vec![
        (12_000, Action::Partition { target: Target::Holder }),
        (40_000, Action::Heal { target: Target::Worker(0) }),
        (40_000, Action::Heal { target: Target::Worker(1) }),
    ])
}

#[test]
fn a_partitioned_holder_with_ioredis_defaults_waits_in_renew_lock_still_believing() {
    // ioredis has no command timeout and keepAlive 0: a partition does not close the connection,
    // the renew's GET just waits (TCP retransmits), and the holder keeps believing while its lease
    // runs out and another worker takes the lock.
    for seed in 1..=4 {
        let sum = summary(&Scenario { seed, ..partition_holder() });
        assert!(sum.violations >= 1, "seed {seed}: {sum:?}");
        assert_eq!(sum.handovers, 1, "seed {seed}: {sum:?}");
        assert!(sum.belief_without_truth_ms > 10_000, "seed {seed}: {sum:?}");
    }
}

#[test]
fn a_partitioned_holder_with_a_command_timeout_gives_up_before_its_lease_expires() {
    // Command timeout (2 s) + renew interval (5 s) < TTL (10 s): with the option, the reference is
    // safe here.
    for seed in 1..=4 {
        let sum = summary(&Scenario { seed, command_timeout_ms: Some(2_000), ..partition_holder() });
        assert_eq!(sum.violations, 0, "seed {seed}: {sum:?}");
        assert_eq!(sum.handovers, 1, "seed {seed}: {sum:?}");
        assert_eq!(sum.duplicate_or_out_of_order_jobs, 0, "seed {seed}: {sum:?}");
    }
}

#[test]
fn a_redis_slower_than_the_command_timeout_leaves_the_lock_unheld() {
    let s = Scenario {
        command_timeout_ms: Some(2_000),
        ..with_steps(vec![(10_000, Action::RedisSlow { instance: 0, extra_ms: 3_000 })])
    };
    let sum = summary(&s);
    assert_eq!(sum.violations, 0, "{sum:?}");
    // Every command now times out on the client: after the first failed renew nobody works.
    assert!(sum.time_without_holder_ms > 40_000, "{sum:?}");
    assert!(sum.highest_job < 10, "{sum:?}");
}

#[test]
fn a_slow_redis_without_a_command_timeout_lets_the_lease_run_out_under_the_renewing_holder() {
    // ioredis waits: the renew's GET and EXPIRE take 3 s more each, the key set at ~5 s expires at
    // ~15 s before the EXPIRE arrives, and a waiter that asks in between takes the lock.
    let s = with_steps(vec![(10_000, Action::RedisSlow { instance: 0, extra_ms: 3_000 })]);
    let sum = summary(&Scenario { retry_interval_ms: 1_000, ..s });
    assert!(sum.violations >= 1, "{sum:?}");
}

#[test]
fn a_graceful_stop_then_restart_rejoins_with_the_same_id() {
    let s = Scenario {
        workers: 1,
        ..with_steps(vec![
            (10_000, Action::Stop { target: Target::Worker(0) }),
            (15_000, Action::Restart { target: Target::Worker(0) }),
        ])
    };
    let sim = run(&s, TEST_EPOCH, false).unwrap();
    let card = sim.model.worker_view(0).unwrap();
    assert_eq!(card.restarts, 0, "a stopped process is started again, not recreated");
    let sum = sim.model.summary(sim.now());
    assert_eq!(sum.acquisitions, 2, "{sum:?}");
    assert_eq!(sum.handovers, 0, "same worker both times: {sum:?}");
    assert_eq!(sum.duplicate_or_out_of_order_jobs, 0, "{sum:?}");
    assert!((4_900..6_000).contains(&sum.time_without_holder_ms), "{sum:?}");
}

#[test]
fn pausing_a_non_holder_is_harmless() {
    let s = with_steps(vec![(10_000, Action::Pause { target: Target::NonHolder, ms: 30_000 })]);
    let sum = summary(&s);
    assert_eq!(sum.violations, 0, "{sum:?}");
    assert_eq!(sum.handovers, 0, "{sum:?}");
    assert_eq!(sum.duplicate_or_out_of_order_jobs, 0, "{sum:?}");
}

#[test]
fn a_stop_sent_to_a_paused_worker_is_handled_when_it_resumes() {
    let s = Scenario {
        workers: 1,
        ..with_steps(vec![
            (10_000, Action::Pause { target: Target::Worker(0), ms: 5_000 }),
            (12_000, Action::Stop { target: Target::Worker(0) }),
        ])
    };
    let sim = run(&s, TEST_EPOCH, false).unwrap();
    let log = sim.model.log();
    assert!(log.iter().any(|l| l.at_ms == 12_000 && l.text == "STOP worker-0 (handled when it resumes)"));
    let stop_work = log.iter().find(|l| l.text.starts_with("Stop work")).expect("stopped");
    assert_eq!(stop_work.at_ms, 15_000);
    let card = sim.model.worker_view(0).unwrap();
    assert_eq!(card.state, playground::lock::WorkerState::Idle);
}

#[test]
fn redlock_refuses_a_majority_that_took_longer_than_the_validity() {
    use playground::sim::Distribution;
    // One round trip (1.2 s) is longer than TTL − drift (1000 − 12 ms): every majority comes too late.
    let slow = Scenario {
        redis_instances: 3,
        ttl_ms: 1_000,
        renew_interval_ms: 300,
        retry_interval_ms: 500,
        latency: Distribution::Constant { ms: 600.0 },
        duration_ms: 30_000,
        ..Scenario::default()
    };
    let sum = summary(&slow);
    assert_eq!(sum.acquisitions, 0, "{sum:?}");
    // The same latency with a single Redis (no validity rule) does acquire.
    let single = summary(&Scenario { redis_instances: 1, ..slow });
    assert!(single.acquisitions >= 1, "{single:?}");
}
