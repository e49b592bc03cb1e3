#![cfg(not(target_arch = "wasm32"))]
//! The read-only state the page draws: worker cards, lanes, belief and violation intervals, the
//! Redis panel and the global log; and user actions applied between events.

use playground::lock::runtime::{LaneState, LockEvent};
use playground::lock::{build, preset, run, Action, ActionError, Target, WorkerState, WorkerStatus};
use playground::sim::{SimDuration, TEST_EPOCH};

#[test]
fn handover_log_reads_like_the_reference() {
    let mut s = preset("handover").unwrap();
    s.duration_ms = 26_000;
    let sim = run(&s, TEST_EPOCH, false).unwrap();
    let text: String = sim
        .model
        .log()
        .iter()
        .filter(|l| !l.text.contains(" wrote job "))
        .map(|l| format!("{:06} {}\n", l.at_ms, l.text))
        .collect();
    expect_test::expect![[r#"
        000010 Trying to acquire lock { workerId: '01HF7YAT005NQM3QQZB23SM8C8' }
        000023 Lock acquired. Starting work { workerId: '01HF7YAT005NQM3QQZB23SM8C8' }
        000050 Trying to acquire lock { workerId: '01HF7YAT00XN0AT6PWYXFZZD8T' }
        005023 Renewing lock { workerId: '01HF7YAT005NQM3QQZB23SM8C8' }
        005036 Lock acquired. Starting work { workerId: '01HF7YAT005NQM3QQZB23SM8C8' }
        005061 Trying to acquire lock { workerId: '01HF7YAT00XN0AT6PWYXFZZD8T' }
        010036 Renewing lock { workerId: '01HF7YAT005NQM3QQZB23SM8C8' }
        010047 Lock acquired. Starting work { workerId: '01HF7YAT005NQM3QQZB23SM8C8' }
        010063 Trying to acquire lock { workerId: '01HF7YAT00XN0AT6PWYXFZZD8T' }
        015047 Renewing lock { workerId: '01HF7YAT005NQM3QQZB23SM8C8' }
        015062 Lock acquired. Starting work { workerId: '01HF7YAT005NQM3QQZB23SM8C8' }
        015071 Trying to acquire lock { workerId: '01HF7YAT00XN0AT6PWYXFZZD8T' }
        020000 STOP worker-0
        020000 Stop work { workerId: '01HF7YAT005NQM3QQZB23SM8C8' }
        020076 Trying to acquire lock { workerId: '01HF7YAT00XN0AT6PWYXFZZD8T' }
        021000 Releasing lock { workerId: '01HF7YAT005NQM3QQZB23SM8C8' }
        025080 Trying to acquire lock { workerId: '01HF7YAT00XN0AT6PWYXFZZD8T' }
        025086 Lock acquired. Starting work { workerId: '01HF7YAT00XN0AT6PWYXFZZD8T' }
    "#]]
    .assert_eq(&text);
}

#[test]
fn gc_pause_views_show_the_violation_on_the_timeline() {
    let sim = run(&preset("gc-pause").unwrap(), TEST_EPOCH, false).unwrap();
    let rt = &sim.model;
    let v = &rt.violations()[0];
    assert_eq!(v.workers.len(), 2);
    let (from, to) = (v.span.from, v.span.to.expect("closed by the end"));
    // Both workers' belief intervals cover the violation.
    for w in &v.workers {
        let beliefs = rt.belief_intervals(*w);
        assert!(
            beliefs.iter().any(|b| b.from <= from && b.to.is_none_or(|t| t >= to)),
            "worker {w}: {beliefs:?} vs {from:?}..{to:?}"
        );
    }
    // The paused worker's card shows the pause and its lane never left `working` during it.
    let paused = (0..rt.worker_count()).find(|w| !rt.worker_view(*w).unwrap().pauses.is_empty()).unwrap();
    let card = rt.worker_view(paused).unwrap();
    assert_eq!(card.pauses.len(), 1);
    let p = &card.pauses[0];
    assert!(card.lane.iter().any(|s| s.state == LaneState::State(WorkerState::Working)
        && s.from <= p.from
        && s.to.is_some_and(|t| t >= p.to.unwrap())));
    assert_eq!(card.status, WorkerStatus::Running);
    assert!(card.log.iter().all(|l| l.worker == Some(paused)));
    // The Redis lane shows the other worker's value while the paused one still believed.
    let redis = rt.redis_view(0, sim.now()).unwrap();
    let other = rt.worker_view(1 - paused).unwrap().id.to_string();
    assert!(redis.lane.iter().any(|s| s.value.as_deref() == Some(other.as_str()) && s.from <= to));
    assert_eq!(redis.lock_key, "lock.resource-worker");
    assert!(redis.value.is_some());
    assert!(redis.ttl_left_ms.is_some_and(|t| t <= 10_000));
    assert!(!redis.commands.is_empty() && redis.commands.len() <= 64);
    assert!(redis.commands.iter().any(|c| c.command.starts_with("SET lock.resource-worker") && c.reply == "OK"));
    // The global log is in time order.
    assert!(rt.log().iter().zip(rt.log().iter().skip(1)).all(|(a, b)| a.at_ms <= b.at_ms));
    // The cards serialize for the page.
    let json = serde_json::to_string(&card).unwrap();
    assert!(json.contains(&format!("\"id\":\"{}\"", card.id)), "{json}");
    assert!(json.contains("\"status\":\"running\""), "{json}");
}

#[test]
fn user_actions_apply_between_events_and_bad_targets_are_errors() {
    let mut s = preset("handover").unwrap();
    s.steps.clear();
    let mut sim = build(&s, TEST_EPOCH).unwrap();
    sim.run_for(SimDuration::from_secs(3));
    let holder = sim.act(|m, _| m.holder(TEST_EPOCH + SimDuration::from_secs(3))).unwrap();
    sim.act(|m, ctx| m.apply_action(ctx, &Action::Crash { target: Target::Worker(holder) })).unwrap();
    assert_eq!(sim.model.worker_view(holder).unwrap().status, WorkerStatus::Crashed);
    assert!(!sim.model.worker_view(holder).unwrap().believes_it_holds);
    let err = sim.act(|m, ctx| m.apply_action(ctx, &Action::Stop { target: Target::Worker(7) })).unwrap_err();
    assert_eq!(err, ActionError::UnknownWorker { worker: 7, workers: 2 });
    assert_eq!(err.to_string(), "worker 7 does not exist; expected 0 to 1");
    let err = sim.act(|m, ctx| m.apply_action(ctx, &Action::RedisCrash { instance: 1 })).unwrap_err();
    assert_eq!(err.to_string(), "Redis instance 1 does not exist; expected 0 to 0");
    // A restart brings the crashed worker back as a new process with a new id, as an event.
    let old_id = sim.model.worker_view(holder).unwrap().id.to_string();
    sim.schedule_in(SimDuration::ZERO, LockEvent::User(Action::Restart { target: Target::Worker(holder) }));
    sim.run_for(SimDuration::from_secs(30));
    let card = sim.model.worker_view(holder).unwrap();
    assert_eq!(card.status, WorkerStatus::Running);
    assert_ne!(card.id, old_id);
    assert_eq!(card.restarts, 1);
    assert!(card.lane.iter().any(|s| s.state == LaneState::Crashed));
    let sum = sim.model.summary(sim.now());
    assert_eq!(sum.violations, 0, "{sum:?}");
    assert_eq!(sum.handovers, 1, "{sum:?}");
}

#[test]
fn an_expired_lock_ends_on_the_redis_lane_at_its_deadline() {
    let sim = run(&preset("crash").unwrap(), TEST_EPOCH, false).unwrap();
    let redis = sim.model.redis_view(0, sim.now()).unwrap();
    // The crashed holder's key was never deleted: its span ends exactly when it expired.
    let expired: Vec<_> =
        redis.lane.iter().filter(|s| s.value.is_some() && s.expires_at.is_some() && s.to == s.expires_at).collect();
    assert_eq!(expired.len(), 1, "{:#?}", redis.lane);
    let gap = redis.lane.iter().find(|s| Some(s.from) == expired[0].to).expect("the next span starts there");
    assert_eq!(gap.value, None);
}
