#![cfg(not(target_arch = "wasm32"))]
//! Property tests of the sans-IO lock-worker machine: random event sequences (including stale and
//! duplicate replies, timeouts and timers in the wrong state) never panic and keep its invariants.

use playground::lock::machine::{
    Effect, Event, LockWorker, MachineConfig, ReleaseVariant, RenewVariant, RequestId, WorkerState,
};
use playground::redis::Reply;
use playground::sim::{SimDuration, SimRng, TEST_EPOCH};
use proptest::prelude::*;
use std::collections::BTreeSet;

#[derive(Clone, Debug)]
enum Op {
    Try,
    Stop,
    RenewTimer,
    ValidityTimer,
    RetryTimer,
    WorkStopped,
    /// Answer the `n`-th pending request (modulo) with reply kind `k`.
    Answer(usize, u8),
    Timeout(usize),
    Stale(u8),
    Wait(u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::Try),
        Just(Op::Stop),
        Just(Op::RenewTimer),
        Just(Op::ValidityTimer),
        Just(Op::RetryTimer),
        Just(Op::WorkStopped),
        (any::<usize>(), 0u8..8).prop_map(|(n, k)| Op::Answer(n, k)),
        any::<usize>().prop_map(Op::Timeout),
        (0u8..7).prop_map(Op::Stale),
        any::<u16>().prop_map(Op::Wait),
    ]
}

fn reply(k: u8) -> Reply {
    match k {
        0 => Reply::ok(),
        1 => Reply::Nil,
        2 => Reply::error("ERR boom"),
        3 => Reply::bulk("W"),
        4 => Reply::bulk("OTHER"),
        5 => Reply::Integer(1),
        6 => Reply::Integer(0),
        _ => Reply::Integer(42),
    }
}

fn config(instances: usize, atomic: bool, fencing: bool) -> MachineConfig {
    MachineConfig {
        instances,
        fencing,
        renew: if atomic { RenewVariant::CompareAndExtend } else { RenewVariant::GetThenExpire },
        release: if atomic { ReleaseVariant::CompareAndDelete } else { ReleaseVariant::Reference },
        ..MachineConfig::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_event_sequences_keep_the_invariants(
        instances in prop_oneof![Just(1usize), Just(3), Just(5)],
        atomic in any::<bool>(),
        fencing in any::<bool>(),
        ops in proptest::collection::vec(op(), 0..80),
    ) {
        // Fencing runs only with a single Redis (one counter); with Redlock the option is inert.
        let fencing_runs = config(instances, atomic, fencing).fencing_active();
        prop_assert_eq!(fencing_runs, fencing && instances == 1);
        let mut w = LockWorker::new("W".into(), config(instances, atomic, fencing), SimRng::new(3));
        let mut now = TEST_EPOCH;
        let mut sent: BTreeSet<RequestId> = BTreeSet::new();
        for op in ops {
            let pending = w.pending_requests();
            let before = w.state();
            let ev = match op {
                Op::Try => Event::TryAcquireLock,
                Op::Stop => Event::Stop,
                Op::RenewTimer => Event::RenewTimer,
                Op::ValidityTimer => Event::ValidityTimer,
                Op::RetryTimer => Event::RetryTimer,
                Op::WorkStopped => Event::WorkStopped,
                Op::Answer(n, k) if !pending.is_empty() => {
                    let (instance, req) = pending[n % pending.len()];
                    Event::Reply { instance, req, reply: reply(k) }
                }
                Op::Timeout(n) if !pending.is_empty() => {
                    let (instance, req) = pending[n % pending.len()];
                    Event::ClientTimeout { instance, req }
                }
                Op::Answer(_, k) | Op::Stale(k) => Event::Reply { instance: 0, req: RequestId(1_000_000), reply: reply(k) },
                Op::Timeout(_) => Event::ClientTimeout { instance: 0, req: RequestId(1_000_000) },
                Op::Wait(ms) => {
                    now += SimDuration(u64::from(ms));
                    continue;
                }
            };
            let is_stop = ev == Event::Stop;
            let out = w.handle(now, ev);
            prop_assert_eq!(out.from, before);
            prop_assert_eq!(out.to, w.state());
            if out.ignored.is_some() {
                prop_assert_eq!(w.state(), before, "a no-op changes nothing");
                prop_assert!(out.effects.is_empty());
                prop_assert_eq!(w.pending_requests(), pending);
            }
            if is_stop {
                prop_assert_eq!(w.state(), WorkerState::Cleanup);
            }
            for e in &out.effects {
                if let Effect::Send { req, instance, .. } = e {
                    prop_assert!(sent.insert(*req), "request ids are never reused");
                    prop_assert!(*instance < instances);
                }
            }
            prop_assert_eq!(w.believes_it_holds(), matches!(w.state(), WorkerState::Working | WorkerState::RenewLock));
            let waits = !w.pending_requests().is_empty();
            prop_assert!(
                !waits || matches!(w.state(), WorkerState::AcquiringLock | WorkerState::RenewLock | WorkerState::ReleasingLock),
                "only the states that invoke a Redis service wait for replies (state {})", w.state()
            );
            if fencing_runs && w.state() == WorkerState::Working {
                prop_assert!(w.token().is_some(), "with fencing, working always has a token");
            }
            if !fencing_runs {
                prop_assert_eq!(w.token(), None, "without fencing (or with Redlock) there is never a token");
            }
        }
    }
}
