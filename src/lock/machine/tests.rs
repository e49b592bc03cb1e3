//! Every (state, event) pair of the reference design, as one data-driven snapshot table, plus the
//! variants (atomic renew, fencing, Redlock).

use super::*;
use crate::sim::TEST_EPOCH;
use expect_test::{expect, Expect};

fn worker(cfg: MachineConfig) -> LockWorker {
    LockWorker::new("W1".into(), cfg, SimRng::new(1))
}

fn ok() -> Reply {
    Reply::ok()
}

/// Replies to the first request the current round waits for.
fn reply(w: &mut LockWorker, r: Reply) -> Outcome {
    let (instance, req) = w.pending_requests()[0];
    w.handle(TEST_EPOCH, Event::Reply { instance, req, reply: r })
}

/// Drives a fresh worker into `state` along the reference design's own transitions.
fn in_state(state: WorkerState, cfg: MachineConfig) -> LockWorker {
    use WorkerState as S;
    let mut w = worker(cfg);
    let t = TEST_EPOCH;
    match state {
        S::Idle => {}
        S::AcquiringLock => {
            w.handle(t, Event::TryAcquireLock);
        }
        S::Working => {
            w.handle(t, Event::TryAcquireLock);
            // With fencing the grant is the set-nx-incr script's token.
            let grant = if w.cfg.fencing { Reply::Integer(1) } else { ok() };
            reply(&mut w, grant);
        }
        S::RenewLock => {
            w = in_state(S::Working, w.cfg.clone());
            w.handle(t, Event::RenewTimer);
        }
        S::PauseWork => {
            w = in_state(S::RenewLock, w.cfg.clone());
            reply(&mut w, Reply::bulk("OTHER"));
        }
        S::WaitingToAcquireLock => {
            w.handle(t, Event::TryAcquireLock);
            reply(&mut w, Reply::Nil);
        }
        S::Cleanup => {
            w = in_state(S::Working, w.cfg.clone());
            w.handle(t, Event::Stop);
        }
        S::ReleasingLock => {
            w = in_state(S::Cleanup, w.cfg.clone());
            w.handle(t, Event::WorkStopped);
        }
    }
    assert_eq!(w.state(), state);
    w
}

fn render_effect(e: &Effect) -> String {
    match e {
        Effect::Send { instance, command, timeout: None, .. } => format!("send[{instance}] {}", command.display()),
        Effect::Send { instance, command, timeout: Some(t), .. } => {
            format!("send[{instance}] {} (timeout {t})", command.display())
        }
        Effect::SetTimer { timer, after } => format!("set {timer:?} {after}"),
        Effect::CancelTimer { timer } => format!("cancel {timer:?}"),
        Effect::StartWork => "startWork".into(),
        Effect::StopWork => "stopWork".into(),
        Effect::Log(l) => format!("log \"{l}\""),
    }
}

fn render(o: &Outcome) -> String {
    match o.ignored {
        Some(Ignored(why)) => format!("(no-op: {why})"),
        None => {
            let fx: Vec<String> = o.effects.iter().map(render_effect).collect();
            format!("-> {} [{}]", o.to, fx.join("; "))
        }
    }
}

/// The events to try in `state`: every event kind, and for replies each answer that matters there.
fn events_for(w: &LockWorker) -> Vec<(String, Event)> {
    use WorkerState as S;
    let pending = w.pending_requests().first().copied();
    let stale = Event::Reply { instance: 0, req: RequestId(999), reply: ok() };
    let mut evs = vec![
        ("TRY_ACQUIRE_LOCK".to_string(), Event::TryAcquireLock),
        ("STOP".to_string(), Event::Stop),
        ("RENEW_TIMER".to_string(), Event::RenewTimer),
        ("RETRY_TIMER".to_string(), Event::RetryTimer),
        ("VALIDITY_TIMER".to_string(), Event::ValidityTimer),
        ("WORK_STOPPED".to_string(), Event::WorkStopped),
        ("reply to a stale request".to_string(), stale),
    ];
    let answers: Vec<(&str, Reply)> = match w.state() {
        S::AcquiringLock => {
            vec![("OK", ok()), ("token 7", Reply::Integer(7)), ("nil", Reply::Nil), ("error", Reply::error("ERR boom"))]
        }
        S::RenewLock => vec![
            ("nil", Reply::Nil),
            ("own id", Reply::bulk("W1")),
            ("other id", Reply::bulk("OTHER")),
            ("1", Reply::Integer(1)),
            ("0", Reply::Integer(0)),
            ("error", Reply::error("ERR boom")),
        ],
        S::ReleasingLock => vec![
            ("own id", Reply::bulk("W1")),
            ("other id", Reply::bulk("OTHER")),
            ("nil", Reply::Nil),
            ("1", Reply::Integer(1)),
            ("error", Reply::error("ERR boom")),
        ],
        S::Idle | S::Working | S::PauseWork | S::WaitingToAcquireLock | S::Cleanup => {
            vec![("OK", ok())]
        }
    };
    let (instance, req) = pending.unwrap_or((0, RequestId(1)));
    for (label, r) in answers {
        evs.push((format!("reply {label}"), Event::Reply { instance, req, reply: r }));
    }
    evs.push(("client timeout".to_string(), Event::ClientTimeout { instance, req }));
    evs
}

fn table(cfg: MachineConfig, expect: Expect) {
    let mut out = String::new();
    for state in WorkerState::ALL {
        let probe = in_state(state, cfg.clone());
        for (label, ev) in events_for(&probe) {
            let mut w = in_state(state, cfg.clone());
            let o = w.handle(TEST_EPOCH, ev);
            out.push_str(&format!("{state} + {label} {}\n", render(&o)));
        }
    }
    expect.assert_eq(&out);
}

#[test]
fn every_state_event_pair_follows_the_reference_table() {
    table(
        MachineConfig::default(),
        expect![[r#"
            idle + TRY_ACQUIRE_LOCK -> acquiring_lock [log "Trying to acquire lock { workerId: 'W1' }"; send[0] SET lock.resource-worker W1 NX EX 10]
            idle + STOP -> cleanup [cancel Renew; cancel Retry; log "Stop work { workerId: 'W1' }"; stopWork]
            idle + RENEW_TIMER (no-op: renew timer is only armed in working)
            idle + RETRY_TIMER (no-op: retry timer is only armed in waiting_to_acquire_lock)
            idle + VALIDITY_TIMER (no-op: the validity timer only matters while holding the lock)
            idle + WORK_STOPPED (no-op: stopWork is only invoked in pause_work and cleanup)
            idle + reply to a stale request (no-op: stale reply: no request in flight in this state)
            idle + reply OK (no-op: stale reply: no request in flight in this state)
            idle + client timeout (no-op: stale reply: no request in flight in this state)
            acquiring_lock + TRY_ACQUIRE_LOCK (no-op: TRY_ACQUIRE_LOCK is only handled in idle)
            acquiring_lock + STOP -> cleanup [cancel Renew; cancel Retry; log "Stop work { workerId: 'W1' }"; stopWork]
            acquiring_lock + RENEW_TIMER (no-op: renew timer is only armed in working)
            acquiring_lock + RETRY_TIMER (no-op: retry timer is only armed in waiting_to_acquire_lock)
            acquiring_lock + VALIDITY_TIMER (no-op: the validity timer only matters while holding the lock)
            acquiring_lock + WORK_STOPPED (no-op: stopWork is only invoked in pause_work and cleanup)
            acquiring_lock + reply to a stale request (no-op: stale reply: not the request this round waits for)
            acquiring_lock + reply OK -> working [log "Lock acquired. Starting work { workerId: 'W1' }"; startWork; set Renew 5.000s]
            acquiring_lock + reply token 7 -> waiting_to_acquire_lock [set Retry 5.000s]
            acquiring_lock + reply nil -> waiting_to_acquire_lock [set Retry 5.000s]
            acquiring_lock + reply error -> waiting_to_acquire_lock [set Retry 5.000s]
            acquiring_lock + client timeout -> waiting_to_acquire_lock [set Retry 5.000s]
            working + TRY_ACQUIRE_LOCK (no-op: TRY_ACQUIRE_LOCK is only handled in idle)
            working + STOP -> cleanup [cancel Renew; cancel Retry; log "Stop work { workerId: 'W1' }"; stopWork]
            working + RENEW_TIMER -> renew_lock [log "Renewing lock { workerId: 'W1' }"; send[0] GET lock.resource-worker]
            working + RETRY_TIMER (no-op: retry timer is only armed in waiting_to_acquire_lock)
            working + VALIDITY_TIMER (no-op: the validity timer is only armed with Redlock)
            working + WORK_STOPPED (no-op: stopWork is only invoked in pause_work and cleanup)
            working + reply to a stale request (no-op: stale reply: no request in flight in this state)
            working + reply OK (no-op: stale reply: no request in flight in this state)
            working + client timeout (no-op: stale reply: no request in flight in this state)
            renew_lock + TRY_ACQUIRE_LOCK (no-op: TRY_ACQUIRE_LOCK is only handled in idle)
            renew_lock + STOP -> cleanup [cancel Renew; cancel Retry; log "Stop work { workerId: 'W1' }"; stopWork]
            renew_lock + RENEW_TIMER (no-op: renew timer is only armed in working)
            renew_lock + RETRY_TIMER (no-op: retry timer is only armed in waiting_to_acquire_lock)
            renew_lock + VALIDITY_TIMER (no-op: the validity timer is only armed with Redlock)
            renew_lock + WORK_STOPPED (no-op: stopWork is only invoked in pause_work and cleanup)
            renew_lock + reply to a stale request (no-op: stale reply: not the request this round waits for)
            renew_lock + reply nil -> renew_lock [send[0] SET lock.resource-worker W1 NX EX 10]
            renew_lock + reply own id -> renew_lock [send[0] EXPIRE lock.resource-worker 10]
            renew_lock + reply other id -> pause_work [log "Stop work { workerId: 'W1' }"; stopWork]
            renew_lock + reply 1 -> pause_work [log "Stop work { workerId: 'W1' }"; stopWork]
            renew_lock + reply 0 -> pause_work [log "Stop work { workerId: 'W1' }"; stopWork]
            renew_lock + reply error -> pause_work [log "Stop work { workerId: 'W1' }"; stopWork]
            renew_lock + client timeout -> pause_work [log "Stop work { workerId: 'W1' }"; stopWork]
            pause_work + TRY_ACQUIRE_LOCK (no-op: TRY_ACQUIRE_LOCK is only handled in idle)
            pause_work + STOP -> cleanup [cancel Renew; cancel Retry; log "Stop work { workerId: 'W1' }"; stopWork]
            pause_work + RENEW_TIMER (no-op: renew timer is only armed in working)
            pause_work + RETRY_TIMER (no-op: retry timer is only armed in waiting_to_acquire_lock)
            pause_work + VALIDITY_TIMER (no-op: the validity timer only matters while holding the lock)
            pause_work + WORK_STOPPED -> waiting_to_acquire_lock [set Retry 5.000s]
            pause_work + reply to a stale request (no-op: stale reply: no request in flight in this state)
            pause_work + reply OK (no-op: stale reply: no request in flight in this state)
            pause_work + client timeout (no-op: stale reply: no request in flight in this state)
            waiting_to_acquire_lock + TRY_ACQUIRE_LOCK (no-op: TRY_ACQUIRE_LOCK is only handled in idle)
            waiting_to_acquire_lock + STOP -> cleanup [cancel Renew; cancel Retry; log "Stop work { workerId: 'W1' }"; stopWork]
            waiting_to_acquire_lock + RENEW_TIMER (no-op: renew timer is only armed in working)
            waiting_to_acquire_lock + RETRY_TIMER -> acquiring_lock [log "Trying to acquire lock { workerId: 'W1' }"; send[0] SET lock.resource-worker W1 NX EX 10]
            waiting_to_acquire_lock + VALIDITY_TIMER (no-op: the validity timer only matters while holding the lock)
            waiting_to_acquire_lock + WORK_STOPPED (no-op: stopWork is only invoked in pause_work and cleanup)
            waiting_to_acquire_lock + reply to a stale request (no-op: stale reply: no request in flight in this state)
            waiting_to_acquire_lock + reply OK (no-op: stale reply: no request in flight in this state)
            waiting_to_acquire_lock + client timeout (no-op: stale reply: no request in flight in this state)
            cleanup + TRY_ACQUIRE_LOCK (no-op: TRY_ACQUIRE_LOCK is only handled in idle)
            cleanup + STOP -> cleanup [cancel Renew; cancel Retry; log "Stop work { workerId: 'W1' }"; stopWork]
            cleanup + RENEW_TIMER (no-op: renew timer is only armed in working)
            cleanup + RETRY_TIMER (no-op: retry timer is only armed in waiting_to_acquire_lock)
            cleanup + VALIDITY_TIMER (no-op: the validity timer only matters while holding the lock)
            cleanup + WORK_STOPPED -> releasing_lock [log "Releasing lock { workerId: 'W1' }"; send[0] GET lock.resource-worker]
            cleanup + reply to a stale request (no-op: stale reply: no request in flight in this state)
            cleanup + reply OK (no-op: stale reply: no request in flight in this state)
            cleanup + client timeout (no-op: stale reply: no request in flight in this state)
            releasing_lock + TRY_ACQUIRE_LOCK (no-op: TRY_ACQUIRE_LOCK is only handled in idle)
            releasing_lock + STOP -> cleanup [cancel Renew; cancel Retry; log "Stop work { workerId: 'W1' }"; stopWork]
            releasing_lock + RENEW_TIMER (no-op: renew timer is only armed in working)
            releasing_lock + RETRY_TIMER (no-op: retry timer is only armed in waiting_to_acquire_lock)
            releasing_lock + VALIDITY_TIMER (no-op: the validity timer only matters while holding the lock)
            releasing_lock + WORK_STOPPED (no-op: stopWork is only invoked in pause_work and cleanup)
            releasing_lock + reply to a stale request (no-op: stale reply: not the request this round waits for)
            releasing_lock + reply own id -> releasing_lock [send[0] DEL lock.resource-worker]
            releasing_lock + reply other id -> idle []
            releasing_lock + reply nil -> idle []
            releasing_lock + reply 1 -> idle []
            releasing_lock + reply error -> idle []
            releasing_lock + client timeout -> idle []
        "#]],
    );
}

#[test]
fn every_state_event_pair_with_atomic_scripts_and_fencing() {
    let cfg = MachineConfig {
        renew: RenewVariant::CompareAndExtend,
        release: ReleaseVariant::CompareAndDelete,
        fencing: true,
        ..MachineConfig::default()
    };
    table(
        cfg,
        expect![[r#"
            idle + TRY_ACQUIRE_LOCK -> acquiring_lock [log "Trying to acquire lock { workerId: 'W1' }"; send[0] EVAL <set-nx-incr> 2 lock.resource-worker lock.resource-worker:token W1 10000]
            idle + STOP -> cleanup [cancel Renew; cancel Retry; log "Stop work { workerId: 'W1' }"; stopWork]
            idle + RENEW_TIMER (no-op: renew timer is only armed in working)
            idle + RETRY_TIMER (no-op: retry timer is only armed in waiting_to_acquire_lock)
            idle + VALIDITY_TIMER (no-op: the validity timer only matters while holding the lock)
            idle + WORK_STOPPED (no-op: stopWork is only invoked in pause_work and cleanup)
            idle + reply to a stale request (no-op: stale reply: no request in flight in this state)
            idle + reply OK (no-op: stale reply: no request in flight in this state)
            idle + client timeout (no-op: stale reply: no request in flight in this state)
            acquiring_lock + TRY_ACQUIRE_LOCK (no-op: TRY_ACQUIRE_LOCK is only handled in idle)
            acquiring_lock + STOP -> cleanup [cancel Renew; cancel Retry; log "Stop work { workerId: 'W1' }"; stopWork]
            acquiring_lock + RENEW_TIMER (no-op: renew timer is only armed in working)
            acquiring_lock + RETRY_TIMER (no-op: retry timer is only armed in waiting_to_acquire_lock)
            acquiring_lock + VALIDITY_TIMER (no-op: the validity timer only matters while holding the lock)
            acquiring_lock + WORK_STOPPED (no-op: stopWork is only invoked in pause_work and cleanup)
            acquiring_lock + reply to a stale request (no-op: stale reply: not the request this round waits for)
            acquiring_lock + reply OK -> waiting_to_acquire_lock [set Retry 5.000s]
            acquiring_lock + reply token 7 -> working [log "Lock acquired. Starting work { workerId: 'W1' }"; startWork; set Renew 5.000s]
            acquiring_lock + reply nil -> waiting_to_acquire_lock [set Retry 5.000s]
            acquiring_lock + reply error -> waiting_to_acquire_lock [set Retry 5.000s]
            acquiring_lock + client timeout -> waiting_to_acquire_lock [set Retry 5.000s]
            working + TRY_ACQUIRE_LOCK (no-op: TRY_ACQUIRE_LOCK is only handled in idle)
            working + STOP -> cleanup [cancel Renew; cancel Retry; log "Stop work { workerId: 'W1' }"; stopWork]
            working + RENEW_TIMER -> renew_lock [log "Renewing lock { workerId: 'W1' }"; send[0] EVAL <compare-and-extend> 1 lock.resource-worker W1 10000]
            working + RETRY_TIMER (no-op: retry timer is only armed in waiting_to_acquire_lock)
            working + VALIDITY_TIMER (no-op: the validity timer is only armed with Redlock)
            working + WORK_STOPPED (no-op: stopWork is only invoked in pause_work and cleanup)
            working + reply to a stale request (no-op: stale reply: no request in flight in this state)
            working + reply OK (no-op: stale reply: no request in flight in this state)
            working + client timeout (no-op: stale reply: no request in flight in this state)
            renew_lock + TRY_ACQUIRE_LOCK (no-op: TRY_ACQUIRE_LOCK is only handled in idle)
            renew_lock + STOP -> cleanup [cancel Renew; cancel Retry; log "Stop work { workerId: 'W1' }"; stopWork]
            renew_lock + RENEW_TIMER (no-op: renew timer is only armed in working)
            renew_lock + RETRY_TIMER (no-op: retry timer is only armed in waiting_to_acquire_lock)
            renew_lock + VALIDITY_TIMER (no-op: the validity timer is only armed with Redlock)
            renew_lock + WORK_STOPPED (no-op: stopWork is only invoked in pause_work and cleanup)
            renew_lock + reply to a stale request (no-op: stale reply: not the request this round waits for)
            renew_lock + reply nil -> pause_work [log "Stop work { workerId: 'W1' }"; stopWork]
            renew_lock + reply own id -> pause_work [log "Stop work { workerId: 'W1' }"; stopWork]
            renew_lock + reply other id -> pause_work [log "Stop work { workerId: 'W1' }"; stopWork]
            renew_lock + reply 1 -> working [log "Lock acquired. Starting work { workerId: 'W1' }"; startWork; set Renew 5.000s]
            renew_lock + reply 0 -> pause_work [log "Stop work { workerId: 'W1' }"; stopWork]
            renew_lock + reply error -> pause_work [log "Stop work { workerId: 'W1' }"; stopWork]
            renew_lock + client timeout -> pause_work [log "Stop work { workerId: 'W1' }"; stopWork]
            pause_work + TRY_ACQUIRE_LOCK (no-op: TRY_ACQUIRE_LOCK is only handled in idle)
            pause_work + STOP -> cleanup [cancel Renew; cancel Retry; log "Stop work { workerId: 'W1' }"; stopWork]
            pause_work + RENEW_TIMER (no-op: renew timer is only armed in working)
            pause_work + RETRY_TIMER (no-op: retry timer is only armed in waiting_to_acquire_lock)
            pause_work + VALIDITY_TIMER (no-op: the validity timer only matters while holding the lock)
            pause_work + WORK_STOPPED -> waiting_to_acquire_lock [set Retry 5.000s]
            pause_work + reply to a stale request (no-op: stale reply: no request in flight in this state)
            pause_work + reply OK (no-op: stale reply: no request in flight in this state)
            pause_work + client timeout (no-op: stale reply: no request in flight in this state)
            waiting_to_acquire_lock + TRY_ACQUIRE_LOCK (no-op: TRY_ACQUIRE_LOCK is only handled in idle)
            waiting_to_acquire_lock + STOP -> cleanup [cancel Renew; cancel Retry; log "Stop work { workerId: 'W1' }"; stopWork]
            waiting_to_acquire_lock + RENEW_TIMER (no-op: renew timer is only armed in working)
            waiting_to_acquire_lock + RETRY_TIMER -> acquiring_lock [log "Trying to acquire lock { workerId: 'W1' }"; send[0] EVAL <set-nx-incr> 2 lock.resource-worker lock.resource-worker:token W1 10000]
            waiting_to_acquire_lock + VALIDITY_TIMER (no-op: the validity timer only matters while holding the lock)
            waiting_to_acquire_lock + WORK_STOPPED (no-op: stopWork is only invoked in pause_work and cleanup)
            waiting_to_acquire_lock + reply to a stale request (no-op: stale reply: no request in flight in this state)
            waiting_to_acquire_lock + reply OK (no-op: stale reply: no request in flight in this state)
            waiting_to_acquire_lock + client timeout (no-op: stale reply: no request in flight in this state)
            cleanup + TRY_ACQUIRE_LOCK (no-op: TRY_ACQUIRE_LOCK is only handled in idle)
            cleanup + STOP -> cleanup [cancel Renew; cancel Retry; log "Stop work { workerId: 'W1' }"; stopWork]
            cleanup + RENEW_TIMER (no-op: renew timer is only armed in working)
            cleanup + RETRY_TIMER (no-op: retry timer is only armed in waiting_to_acquire_lock)
            cleanup + VALIDITY_TIMER (no-op: the validity timer only matters while holding the lock)
            cleanup + WORK_STOPPED -> releasing_lock [log "Releasing lock { workerId: 'W1' }"; send[0] EVAL <compare-and-delete> 1 lock.resource-worker W1]
            cleanup + reply to a stale request (no-op: stale reply: no request in flight in this state)
            cleanup + reply OK (no-op: stale reply: no request in flight in this state)
            cleanup + client timeout (no-op: stale reply: no request in flight in this state)
            releasing_lock + TRY_ACQUIRE_LOCK (no-op: TRY_ACQUIRE_LOCK is only handled in idle)
            releasing_lock + STOP -> cleanup [cancel Renew; cancel Retry; log "Stop work { workerId: 'W1' }"; stopWork]
            releasing_lock + RENEW_TIMER (no-op: renew timer is only armed in working)
            releasing_lock + RETRY_TIMER (no-op: retry timer is only armed in waiting_to_acquire_lock)
            releasing_lock + VALIDITY_TIMER (no-op: the validity timer only matters while holding the lock)
            releasing_lock + WORK_STOPPED (no-op: stopWork is only invoked in pause_work and cleanup)
            releasing_lock + reply to a stale request (no-op: stale reply: not the request this round waits for)
            releasing_lock + reply own id -> idle []
            releasing_lock + reply other id -> idle []
            releasing_lock + reply nil -> idle []
            releasing_lock + reply 1 -> idle []
            releasing_lock + reply error -> idle []
            releasing_lock + client timeout -> idle []
        "#]],
    );
}

#[test]
fn atomic_renew_and_release_variants() {
    let cfg = MachineConfig {
        renew: RenewVariant::CompareAndExtend,
        release: ReleaseVariant::CompareAndDelete,
        ..MachineConfig::default()
    };
    let mut w = in_state(WorkerState::RenewLock, cfg.clone());
    assert_eq!(
        render(&reply(&mut w, Reply::Integer(1))),
        "-> working [log \"Lock acquired. Starting work { workerId: 'W1' }\"; startWork; set Renew 5.000s]"
    );
    let mut w = in_state(WorkerState::RenewLock, cfg.clone());
    expect![[r#"-> pause_work [log "Stop work { workerId: 'W1' }"; stopWork]"#]]
        .assert_eq(&render(&reply(&mut w, Reply::Integer(0))));
    let mut w = in_state(WorkerState::Cleanup, cfg);
    expect![[r#"-> releasing_lock [log "Releasing lock { workerId: 'W1' }"; send[0] EVAL <compare-and-delete> 1 lock.resource-worker W1]"#]].assert_eq(&render(&w.handle(TEST_EPOCH, Event::WorkStopped)));
}

#[test]
fn reference_renew_reacquires_a_vanished_key_and_trusts_expire() {
    let mut w = in_state(WorkerState::RenewLock, MachineConfig::default());
    let o = reply(&mut w, Reply::Nil);
    assert_eq!(render(&o), "-> renew_lock [send[0] SET lock.resource-worker W1 NX EX 10]");
    assert_eq!(
        render(&reply(&mut w, ok())),
        "-> working [log \"Lock acquired. Starting work { workerId: 'W1' }\"; startWork; set Renew 5.000s]"
    );
    // EXPIRE answering 0 (the key vanished between GET and EXPIRE) is not an error in the reference.
    let mut w = in_state(WorkerState::RenewLock, MachineConfig::default());
    reply(&mut w, Reply::bulk("W1"));
    assert_eq!(
        render(&reply(&mut w, Reply::Integer(0))),
        "-> working [log \"Lock acquired. Starting work { workerId: 'W1' }\"; startWork; set Renew 5.000s]"
    );
    // The reacquire losing the race fails the renew.
    let mut w = in_state(WorkerState::RenewLock, MachineConfig::default());
    reply(&mut w, Reply::Nil);
    assert_eq!(
        w.handle(TEST_EPOCH, Event::ClientTimeout { instance: 0, req: w.pending_requests()[0].1 }).to,
        WorkerState::PauseWork
    );
}

#[test]
fn fencing_token_comes_with_the_grant_in_one_script() {
    let cfg = MachineConfig { fencing: true, ..MachineConfig::default() };
    let mut w = worker(cfg.clone());
    expect![[r#"-> acquiring_lock [log "Trying to acquire lock { workerId: 'W1' }"; send[0] EVAL <set-nx-incr> 2 lock.resource-worker lock.resource-worker:token W1 10000]"#]]
        .assert_eq(&render(&w.handle(TEST_EPOCH, Event::TryAcquireLock)));
    expect![[r#"-> working [log "Lock acquired. Starting work { workerId: 'W1' }"; startWork; set Renew 5.000s]"#]]
        .assert_eq(&render(&reply(&mut w, Reply::Integer(7))));
    assert_eq!(w.token(), Some(7));
    // The script's nil (SET NX refused, no INCR) is a failed acquire.
    let mut w = worker(cfg.clone());
    w.handle(TEST_EPOCH, Event::TryAcquireLock);
    assert_eq!(reply(&mut w, Reply::Nil).to, WorkerState::WaitingToAcquireLock);
    assert_eq!(w.token(), None);
    // Renew that re-acquires a vanished key takes a fresh token with the new grant.
    let mut w = in_state(WorkerState::RenewLock, cfg);
    expect!["-> renew_lock [send[0] EVAL <set-nx-incr> 2 lock.resource-worker lock.resource-worker:token W1 10000]"]
        .assert_eq(&render(&reply(&mut w, Reply::Nil)));
    assert_eq!(reply(&mut w, Reply::Integer(9)).to, WorkerState::Working);
    assert_eq!(w.token(), Some(9));
}

#[test]
fn reference_release_is_maybe_release_lock_get_then_del_if_mine() {
    // maybeReleaseLock: GET; DEL only if the value is this worker's id; otherwise do nothing.
    let mut w = in_state(WorkerState::Cleanup, MachineConfig::default());
    expect![[r#"-> releasing_lock [log "Releasing lock { workerId: 'W1' }"; send[0] GET lock.resource-worker]"#]]
        .assert_eq(&render(&w.handle(TEST_EPOCH, Event::WorkStopped)));
    assert_eq!(render(&reply(&mut w, Reply::bulk("W1"))), "-> releasing_lock [send[0] DEL lock.resource-worker]");
    assert_eq!(render(&reply(&mut w, Reply::Integer(1))), "-> idle []");
    for not_mine in [Reply::bulk("OTHER"), Reply::Nil] {
        let mut w = in_state(WorkerState::Cleanup, MachineConfig::default());
        w.handle(TEST_EPOCH, Event::WorkStopped);
        assert_eq!(render(&reply(&mut w, not_mine)), "-> idle []", "someone else's lock is left alone");
    }
    // naive-del: a plain DEL whoever holds the key.
    let cfg = MachineConfig { release: ReleaseVariant::NaiveDel, ..MachineConfig::default() };
    let mut w = in_state(WorkerState::Cleanup, cfg);
    expect![[r#"-> releasing_lock [log "Releasing lock { workerId: 'W1' }"; send[0] DEL lock.resource-worker]"#]]
        .assert_eq(&render(&w.handle(TEST_EPOCH, Event::WorkStopped)));
}

#[test]
fn lock_acquired_starting_work_is_logged_on_every_entry_to_working() {
    // The reference invokes startWork on entry to working, and startWork logs the line: after a
    // renewal too.
    let mut w = in_state(WorkerState::RenewLock, MachineConfig::default());
    reply(&mut w, Reply::bulk("W1"));
    expect![[r#"-> working [log "Lock acquired. Starting work { workerId: 'W1' }"; startWork; set Renew 5.000s]"#]]
        .assert_eq(&render(&reply(&mut w, Reply::Integer(1))));
}

#[test]
fn the_reference_timings_key_and_client_defaults() {
    let cfg = MachineConfig::default();
    assert_eq!(cfg.lock_key, "lock.resource-worker");
    assert_eq!(
        (cfg.ttl, cfg.renew_interval, cfg.retry_interval),
        (SimDuration(10_000), SimDuration(5_000), SimDuration(5_000))
    );
    assert_eq!(cfg.command_timeout, None, "ioredis: no per-command timeout");
    assert_eq!(cfg.release, ReleaseVariant::Reference);
    // A command timeout is an option, carried by every request of a round.
    let mut w = worker(MachineConfig { command_timeout: Some(SimDuration(2_000)), ..cfg });
    expect![[r#"-> acquiring_lock [log "Trying to acquire lock { workerId: 'W1' }"; send[0] SET lock.resource-worker W1 NX EX 10 (timeout 2.000s)]"#]]
        .assert_eq(&render(&w.handle(TEST_EPOCH, Event::TryAcquireLock)));
}

fn redlock_round(w: &mut LockWorker, at: SimTime, answers: &[Option<Reply>]) -> Outcome {
    let pending = w.pending_requests();
    let mut last = None;
    for ((instance, req), a) in pending.into_iter().zip(answers) {
        last = Some(match a {
            Some(r) => w.handle(at, Event::Reply { instance, req, reply: r.clone() }),
            None => w.handle(at, Event::ClientTimeout { instance, req }),
        });
    }
    last.expect("answers for every instance")
}

#[test]
fn redlock_needs_a_majority_within_validity() {
    let cfg = MachineConfig { instances: 5, ..MachineConfig::default() };
    assert_eq!(cfg.redlock_drift(), SimDuration(102));
    let t0 = TEST_EPOCH;
    // 3 of 5 quickly: held.
    let mut w = worker(cfg.clone());
    w.handle(t0, Event::TryAcquireLock);
    let value = w.lock_value().to_string();
    assert_eq!(value.len(), 32, "a fresh random value, not the worker id: {value}");
    assert!(w.pending_requests().len() == 5);
    let o = redlock_round(&mut w, t0 + SimDuration(50), &[Some(ok()), Some(ok()), None, Some(Reply::Nil), Some(ok())]);
    assert_eq!(o.to, WorkerState::Working);
    // Work is limited to the validity time: 10000 − 50 − 102 ms.
    assert!(o.effects.contains(&Effect::SetTimer { timer: TimerKind::Validity, after: SimDuration(9_848) }), "{o:?}");
    let o = w.handle(t0 + SimDuration(9_898), Event::ValidityTimer);
    expect![[r#"-> pause_work [cancel Renew; log "Lock validity time is over { workerId: 'W1' }"; cancel Validity; log "Stop work { workerId: 'W1' }"; stopWork]"#]].assert_eq(&render(&o));
    // The next acquisition uses another value.
    w.handle(t0 + SimDuration(9_900), Event::WorkStopped);
    w.handle(t0 + SimDuration(12_000), Event::RetryTimer);
    assert_ne!(w.lock_value(), value);
    // 2 of 5: not held; release everywhere and retry after a random delay.
    let mut w = worker(cfg.clone());
    w.handle(t0, Event::TryAcquireLock);
    let o = redlock_round(&mut w, t0 + SimDuration(50), &[Some(ok()), Some(ok()), None, Some(Reply::Nil), None]);
    expect!["-> waiting_to_acquire_lock [send[0] EVAL <compare-and-delete> 1 lock.resource-worker 6c3aa3408fc84b4fa6daeb352b26ba48 (timeout 0.050s); send[1] EVAL <compare-and-delete> 1 lock.resource-worker 6c3aa3408fc84b4fa6daeb352b26ba48 (timeout 0.050s); send[2] EVAL <compare-and-delete> 1 lock.resource-worker 6c3aa3408fc84b4fa6daeb352b26ba48 (timeout 0.050s); send[3] EVAL <compare-and-delete> 1 lock.resource-worker 6c3aa3408fc84b4fa6daeb352b26ba48 (timeout 0.050s); send[4] EVAL <compare-and-delete> 1 lock.resource-worker 6c3aa3408fc84b4fa6daeb352b26ba48 (timeout 0.050s); cancel Validity; set Retry 4.406s]"].assert_eq(&render(&o));
    // 5 of 5 but too late: validity = 10000 − 9900 − 102 < 0.
    let mut w = worker(cfg);
    w.handle(t0, Event::TryAcquireLock);
    let o =
        redlock_round(&mut w, t0 + SimDuration(9_900), &[Some(ok()), Some(ok()), Some(ok()), Some(ok()), Some(ok())]);
    assert_eq!(o.to, WorkerState::WaitingToAcquireLock);
}

#[test]
fn last_transition_ignores_round_progress() {
    let cfg = MachineConfig { instances: 3, ..MachineConfig::default() };
    let mut w = worker(cfg);
    w.handle(TEST_EPOCH, Event::TryAcquireLock);
    let first = w.last_transition().cloned();
    let (i, req) = w.pending_requests()[0];
    let o = w.handle(TEST_EPOCH + SimDuration(5), Event::Reply { instance: i, req, reply: ok() });
    assert_eq!((o.from, o.to, o.ignored), (WorkerState::AcquiringLock, WorkerState::AcquiringLock, None));
    assert_eq!(w.last_transition().cloned(), first);
    // The same reply twice is stale.
    let o = w.handle(TEST_EPOCH, Event::Reply { instance: i, req, reply: ok() });
    assert!(o.ignored.is_some());
}

#[test]
fn diagram_has_every_state_and_stop_everywhere() {
    let edges = WorkerState::diagram_edges();
    for s in WorkerState::ALL {
        assert!(edges.iter().any(|(f, e, t)| *f == s && *e == "STOP" && *t == WorkerState::Cleanup));
        assert!(edges.iter().any(|(f, _, t)| *f == s || *t == s));
    }
}
