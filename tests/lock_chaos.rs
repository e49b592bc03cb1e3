#![cfg(not(target_arch = "wasm32"))]
//! Chaos: any button at any time must never panic the model, and what it reports must stay
//! self-consistent. 300 seeds × 30 s of virtual time with random faults of every kind (including
//! Redlock, drifting clocks and Redis crashes); a few seconds natively.

use playground::lock::machine::{ReleaseVariant, RenewVariant};
use playground::lock::runtime::LaneState;
use playground::lock::{run, Action, Scenario, Step, Target, Variants};
use playground::sim::{Distribution, SimRng, SimTime, TEST_EPOCH};

fn random_action(r: &mut SimRng, workers: usize, instances: usize) -> Action {
    let target = match r.below(3) {
        0 => Target::Holder,
        1 => Target::NonHolder,
        _ => Target::Worker(r.index(workers)),
    };
    let instance = r.index(instances);
    match r.below(11) {
        0 => Action::Crash { target },
        1 => Action::Stop { target },
        2 => Action::Restart { target },
        3 => Action::Pause { target, ms: r.range_inclusive(100, 30_000) },
        4 => Action::Partition { target },
        5 => Action::Heal { target },
        6 => Action::ClockRate { target, rate: r.uniform(0.1, 3.0) },
        7 => Action::SlowLink { target, extra_ms: r.range_inclusive(0, 4_000) },
        8 => Action::RedisCrash { instance },
        9 => Action::RedisRestart { instance },
        _ => Action::RedisSlow { instance, extra_ms: r.range_inclusive(0, 3_000) },
    }
}

fn chaos_scenario(seed: u64) -> Scenario {
    let mut r = SimRng::new(seed).child("chaos");
    let workers = r.range_inclusive(1, 16) as usize;
    let redis_instances = [1, 1, 3, 5][r.index(4)];
    let mut steps: Vec<Step> = (0..r.range_inclusive(0, 12))
        .map(|_| Step { at_ms: r.range_inclusive(0, 30_000), action: random_action(&mut r, workers, redis_instances) })
        .collect();
    steps.sort_by_key(|s| s.at_ms);
    Scenario {
        seed,
        workers,
        redis_instances,
        duration_ms: 30_000,
        ttl_ms: r.range_inclusive(500, 15_000),
        renew_interval_ms: r.range_inclusive(200, 8_000),
        retry_interval_ms: r.range_inclusive(100, 6_000),
        command_timeout_ms: r.bernoulli(0.5).then(|| r.range_inclusive(50, 4_000)),
        job_ms: r.range_inclusive(50, 3_000),
        latency: Distribution::Exponential { mean_ms: r.uniform(0.5, 200.0) },
        variants: Variants {
            renew: if r.bernoulli(0.5) { RenewVariant::GetThenExpire } else { RenewVariant::CompareAndExtend },
            release: ReleaseVariant::ALL[r.index(3)],
            // Fencing needs a single counter: not with Redlock.
            fencing: redis_instances == 1 && r.bernoulli(0.5),
        },
        steps,
        ..Scenario::default()
    }
}

#[test]
fn random_faults_never_panic_and_reports_stay_consistent() {
    let start = std::time::Instant::now();
    let mut violations_seen = 0;
    for seed in 0..300 {
        let s = chaos_scenario(seed);
        s.validate().unwrap();
        let sim = run(&s, TEST_EPOCH, false).unwrap();
        let rt = &sim.model;
        let now = sim.now();
        let sum = rt.summary(now);
        assert_eq!(sum.violations, rt.violations().len() as u64, "seed {seed}");
        assert_eq!(sum.writes_accepted, rt.writes().iter().filter(|w| w.accepted).count() as u64, "seed {seed}");
        violations_seen += sum.violations;
        // Fencing: the resource never accepted a token lower than one it had accepted before.
        if s.variants.fencing {
            let tokens: Vec<i64> = rt.writes().iter().filter(|w| w.accepted).filter_map(|w| w.token).collect();
            // A Redis crash resets the token counter, which the resource then (rightly) rejects.
            assert!(tokens.windows(2).all(|p| p[0] <= p[1]), "seed {seed}: {tokens:?}");
        }
        // Every lane is contiguous and ordered; only the last span is open.
        for w in 0..rt.worker_count() {
            let card = rt.worker_view(w).unwrap();
            check_lane(seed, card.lane.iter().map(|l| (l.from, l.to)).collect());
            assert!(card.lane.iter().all(|l| l.state != LaneState::NotStarted || l.from == TEST_EPOCH), "seed {seed}");
            for b in rt.belief_intervals(w) {
                assert!(b.to.is_none_or(|t| t >= b.from), "seed {seed}");
            }
        }
        for i in 0..rt.redis_count() {
            check_lane(seed, rt.redis_view(i, now).unwrap().lane.iter().map(|l| (l.from, l.to)).collect());
        }
        assert!(rt.log().iter().zip(rt.log().iter().skip(1)).all(|(a, b)| a.at_ms <= b.at_ms), "seed {seed}");
        // Ids of the current processes are distinct.
        let mut ids: Vec<&str> = (0..rt.worker_count()).map(|w| rt.worker_view(w).unwrap().id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), rt.worker_count(), "seed {seed}");
    }
    // Chaos really produced unsafe runs to check (the sweep is not vacuous).
    assert!(violations_seen > 20, "{violations_seen}");
    println!("lock chaos: 300 seeds × 30 s of virtual time in {:.2} s", start.elapsed().as_secs_f64());
}

/// What running the lock scripts through EVAL costs against their native steps, measured in the
/// same run on twin instances with the same calls: a printed figure, not an assertion.
#[test]
fn eval_of_the_lock_scripts_costs_against_native_steps() {
    use playground::lock::store::{Instance, Script, ScriptCall};
    use playground::redis::Reply;
    let calls: Vec<ScriptCall> = (0..20_000u64)
        .map(|i| {
            let value = format!("worker-{}", i % 3);
            let key = vec!["lock.resource".to_string()];
            match i % 4 {
                0 => ScriptCall {
                    script: Script::AcquireWithToken,
                    keys: vec!["lock.resource".into(), "lock.resource:token".into()],
                    args: vec![value, "10000".into()],
                },
                1 | 2 => ScriptCall { script: Script::CompareAndExtend, keys: key, args: vec![value, "10000".into()] },
                _ => ScriptCall { script: Script::CompareAndDelete, keys: key, args: vec![value] },
            }
        })
        .collect();
    let time = |by_eval: bool| {
        let mut redis = Instance::new(SimRng::new(5));
        let start = std::time::Instant::now();
        let mut replies = Vec::with_capacity(calls.len());
        for (i, c) in calls.iter().enumerate() {
            let now = SimTime(TEST_EPOCH.0 + i as u64);
            replies.push(if by_eval { redis.eval(now, c) } else { redis.eval_native(now, c) });
        }
        (start.elapsed().as_secs_f64(), replies)
    };
    let (native, native_replies) = time(false);
    let (eval, eval_replies) = time(true);
    assert_eq!(eval_replies, native_replies);
    assert!(eval_replies.contains(&Reply::Integer(1)) && eval_replies.contains(&Reply::Integer(0)));
    let per = |secs: f64| secs * 1e6 / calls.len() as f64;
    println!(
        "lock scripts: {} calls, native steps {:.2} µs/call, EVAL {:.2} µs/call ({:.1}×)",
        calls.len(),
        per(native),
        per(eval),
        eval / native
    );
}

fn check_lane(seed: u64, spans: Vec<(SimTime, Option<SimTime>)>) {
    assert!(!spans.is_empty(), "seed {seed}");
    for pair in spans.windows(2) {
        assert_eq!(pair[0].1, Some(pair[1].0), "seed {seed}: lane not contiguous: {spans:?}");
        assert!(pair[0].0 <= pair[1].0, "seed {seed}: lane out of order: {spans:?}");
    }
    assert_eq!(spans.last().unwrap().1, None, "seed {seed}");
}
