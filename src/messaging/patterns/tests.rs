//! Each pattern machine alone: feed it events, read its effects (no broker, no kernel).

use super::{build, PatternMachine};
use crate::messaging::machine::testing::{bulk, commands, Bench};
use crate::messaging::machine::{payload, Actor, Conn, Counter, Effect, Input, Machine, Tag, Timer};
use crate::messaging::scenario::{Consumers, PatternId, Scenario};
use crate::redis::Reply;
use crate::sim::{Distribution, SimRng, TEST_EPOCH};

fn bench(pattern: PatternId, consumers: u32, concurrency: u32) -> (Bench, PatternMachine) {
    let sc = Scenario {
        pattern,
        consumers: Consumers {
            count: consumers,
            concurrency,
            service: Distribution::Constant { ms: 10.0 },
            ..Consumers::default()
        },
        ..Scenario::default()
    };
    let m = build(&sc, &SimRng::new(1)).expect("a valid scenario");
    (Bench::new(sc), m)
}

fn msg(id: u64) -> Vec<u8> {
    payload(id, 0, TEST_EPOCH)
}

/// The `WorkDone` timer among `effects` (the job the machine started).
fn work_done(effects: &[Effect]) -> Timer {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::Timer { timer: t @ Timer::WorkDone { .. }, .. } => Some(t.clone()),
            _ => None,
        })
        .expect("a job started")
}

fn has(effects: &[Effect], want: &Effect) -> bool {
    effects.contains(want)
}

#[test]
fn simple_queue_pops_runs_acks_nothing_and_loses_what_a_crash_held() {
    let (b, mut m) = bench(PatternId::SimpleQueue, 1, 2);
    let start = b.feed(&mut m, Input::Start);
    assert_eq!(commands(&start), ["worker-0/0> BRPOP queue 1", "worker-0/1> BRPOP queue 1"]);
    let reply = Reply::Array(vec![bulk("queue"), Reply::Bulk(msg(7))]);
    let got = b.feed(&mut m, Input::Reply { actor: Actor::Slot(0, 1), tag: Tag::Pop, frame: reply });
    assert!(has(&got, &Effect::Deliver { msg: 7, copy: 0, consumer: 0 }));
    assert!(commands(&got).is_empty(), "a simple queue sends nothing while the job runs");
    let crash = b.feed(&mut m, Input::Crash(0));
    assert!(has(&crash, &Effect::Crashed { worker: 0, in_flight: vec![7], connections: true }));
    // The finished job of the dead life is ignored.
    assert!(b.feed(&mut m, Input::Timer(work_done(&got))).is_empty());
    let restart = b.feed(&mut m, Input::Restart(0));
    assert_eq!(commands(&restart).len(), 2, "both slots pop again");
}

#[test]
fn simple_queue_processes_a_finished_job_and_pops_on_the_same_slot() {
    let (b, mut m) = bench(PatternId::SimpleQueue, 1, 2);
    let reply = Reply::Array(vec![bulk("queue"), Reply::Bulk(msg(3))]);
    let got = b.feed(&mut m, Input::Reply { actor: Actor::Slot(0, 1), tag: Tag::Pop, frame: reply });
    let done = b.feed(&mut m, Input::Timer(work_done(&got)));
    assert!(has(&done, &Effect::Process { msg: 3, copy: 0, consumer: 0 }));
    assert_eq!(commands(&done), ["worker-0/1> BRPOP queue 1"]);
    // A BRPOP that timed out (nil) pops again.
    let nil = b.feed(&mut m, Input::Reply { actor: Actor::Slot(0, 0), tag: Tag::Pop, frame: Reply::Nil });
    assert_eq!(commands(&nil), ["worker-0/0> BRPOP queue 1"]);
}

#[test]
fn reliable_queue_recovers_its_list_before_popping_and_puts_failures_back_atomically() {
    let (mut b, mut m) = bench(PatternId::ReliableQueue, 1, 1);
    let start = b.feed(&mut m, Input::Start);
    assert_eq!(
        commands(&start),
        [
            "worker-0> SADD workers 0",
            "worker-0> SET heartbeat:0 1 PX 3000",
            "worker-0> LMOVE processing:0 queue RIGHT RIGHT"
        ]
    );
    assert!(start.iter().any(|e| matches!(e, Effect::Timer { timer: Timer::ReaperTick, .. })));
    let back = b.feed(&mut m, Input::Reply { actor: Actor::Control(0), tag: Tag::Recover, frame: Reply::Bulk(msg(1)) });
    assert!(has(&back, &Effect::Count(Counter::Restored)));
    assert_eq!(commands(&back), ["worker-0> LMOVE processing:0 queue RIGHT RIGHT"]);
    let empty = b.feed(&mut m, Input::Reply { actor: Actor::Control(0), tag: Tag::Recover, frame: Reply::Nil });
    assert_eq!(commands(&empty), ["worker-0/0> BLMOVE queue processing:0 RIGHT LEFT 1"]);
    let got = b.feed(&mut m, Input::Reply { actor: Actor::Slot(0, 0), tag: Tag::Pop, frame: Reply::Bulk(msg(1)) });
    b.outage = true;
    let done = b.feed(&mut m, Input::Timer(work_done(&got)));
    let m1 = String::from_utf8(msg(1)).unwrap();
    assert_eq!(
        commands(&done),
        [
            "worker-0/0> MULTI".to_string(),
            format!("worker-0/0> LREM processing:0 1 {m1}"),
            format!("worker-0/0> RPUSH queue {m1}"),
            "worker-0/0> EXEC".to_string(),
            "worker-0/0> BLMOVE queue processing:0 RIGHT LEFT 1".to_string(),
        ]
    );
    assert!(!done.iter().any(|e| matches!(e, Effect::Process { .. })));
}

#[test]
fn the_reaper_moves_back_only_the_lists_of_workers_without_a_heartbeat() {
    let (mut b, mut m) = bench(PatternId::ReliableQueue, 2, 1);
    let tick = b.feed(&mut m, Input::Timer(Timer::ReaperTick));
    assert_eq!(commands(&tick), ["reaper> SMEMBERS workers"]);
    // While its SMEMBERS is unanswered, the next tick sends nothing.
    b.links.conns.insert(Actor::Reaper, Conn { inflight: [Tag::ReaperMembers].into(), ..Conn::default() });
    assert!(commands(&b.feed(&mut m, Input::Timer(Timer::ReaperTick))).is_empty());
    let members = Reply::Array(vec![bulk("0"), bulk("1")]);
    let ask = b.feed(&mut m, Input::Reply { actor: Actor::Reaper, tag: Tag::ReaperMembers, frame: members });
    assert_eq!(commands(&ask), ["reaper> EXISTS heartbeat:0", "reaper> EXISTS heartbeat:1"]);
    let alive =
        b.feed(&mut m, Input::Reply { actor: Actor::Reaper, tag: Tag::ReaperExists(0), frame: Reply::Integer(1) });
    assert!(alive.is_empty());
    let dead =
        b.feed(&mut m, Input::Reply { actor: Actor::Reaper, tag: Tag::ReaperExists(1), frame: Reply::Integer(0) });
    assert_eq!(commands(&dead), ["reaper> LMOVE processing:1 queue RIGHT RIGHT"]);
}

#[test]
fn pubsub_gives_each_subscriber_its_own_copy_in_order_up_to_its_concurrency() {
    let (b, mut m) = bench(PatternId::Pubsub, 2, 1);
    assert_eq!(
        commands(&b.feed(&mut m, Input::Start)),
        ["worker-0/0> SUBSCRIBE events", "worker-1/0> SUBSCRIBE events"]
    );
    assert!(m.takes_pushes(Actor::Slot(1, 0)) && !m.takes_pushes(Actor::Producer(0)));
    let confirm = Reply::Array(vec![bulk("subscribe"), bulk("events"), Reply::Integer(1)]);
    assert_eq!(
        b.feed(&mut m, Input::Pushed { actor: Actor::Slot(1, 0), frame: confirm }),
        [Effect::Answered(Actor::Slot(1, 0))]
    );
    let push = |id| Reply::Array(vec![bulk("message"), bulk("events"), Reply::Bulk(msg(id))]);
    let first = b.feed(&mut m, Input::Pushed { actor: Actor::Slot(1, 0), frame: push(4) });
    assert!(has(&first, &Effect::Deliver { msg: 4, copy: 1, consumer: 1 }));
    let second = b.feed(&mut m, Input::Pushed { actor: Actor::Slot(1, 0), frame: push(5) });
    assert!(!second.iter().any(|e| matches!(e, Effect::Timer { .. })), "concurrency 1: the second waits");
    assert_eq!(m.consumer(1).held, [(4, true), (5, false)]);
    let done = b.feed(&mut m, Input::Timer(work_done(&first)));
    assert!(has(&done, &Effect::Process { msg: 4, copy: 1, consumer: 1 }));
    assert!(
        done.iter().any(|e| matches!(e, Effect::Timer { timer: Timer::WorkDone { .. }, .. })),
        "then the next starts"
    );
}

#[test]
fn stream_group_drains_its_history_then_reads_new_entries_and_dead_letters_after_n_deliveries() {
    let (mut b, mut m) = bench(PatternId::StreamGroup, 1, 1);
    let start = b.feed(&mut m, Input::Start);
    assert_eq!(
        commands(&start),
        [
            "worker-0> XGROUP CREATE stream workers 0 MKSTREAM",
            "worker-0/0> XREADGROUP GROUP workers c0.0 COUNT 1 STREAMS stream 0"
        ]
    );
    let none = Reply::Array(vec![Reply::Array(vec![bulk("stream"), Reply::Array(vec![])])]);
    let next = b.feed(&mut m, Input::Reply { actor: Actor::Slot(0, 0), tag: Tag::History, frame: none });
    assert_eq!(commands(&next), ["worker-0/0> XREADGROUP GROUP workers c0.0 COUNT 1 BLOCK 1000 STREAMS stream >"]);

    b.sc.dead_letter_after = 3;
    let tick = b.feed(&mut m, Input::Timer(Timer::RestoreTick { worker: 0, epoch: 0 }));
    assert_eq!(commands(&tick), ["worker-0> XPENDING stream workers IDLE 3000 - + 10"]);
    let row = |id: &str, n| Reply::Array(vec![bulk(id), bulk("c0.0"), Reply::Integer(4000), Reply::Integer(n)]);
    let pending = Reply::Array(vec![row("1-0", 3), row("2-0", 1)]);
    let claims = b.feed(&mut m, Input::Reply { actor: Actor::Control(0), tag: Tag::Pending, frame: pending });
    assert_eq!(
        commands(&claims),
        ["worker-0> XCLAIM stream workers c0.claim 3000 1-0", "worker-0> XCLAIM stream workers c0.claim 3000 2-0"]
    );
    let entry =
        Reply::Array(vec![Reply::Array(vec![bulk("1-0"), Reply::Array(vec![bulk("payload"), Reply::Bulk(msg(9))])])]);
    let tag = Tag::DeadClaim(vec![(b"1-0".to_vec(), 3)]);
    let dead = b.feed(&mut m, Input::Reply { actor: Actor::Control(0), tag, frame: entry });
    let m9 = String::from_utf8(msg(9)).unwrap();
    assert_eq!(
        commands(&dead),
        [
            format!("worker-0> XADD stream:dead-letter * payload {m9} origin 1-0 deliveries 3"),
            "worker-0> XACK stream workers 1-0".to_string()
        ]
    );
    assert!(has(&dead, &Effect::Count(Counter::DeadLettered)));
}

#[test]
fn task_queue_reserves_within_the_prefetch_limit_acks_early_and_waits_for_the_eta() {
    let (mut b, mut m) = bench(PatternId::TaskQueue, 1, 1);
    b.sc.consumers.prefetch_multiplier = 1;
    b.sc.task.countdown_ms = 500;
    b.sc.task.acks_late = false;
    let produced = b.feed(&mut m, Input::Produced { producer: 0, msg: 2 });
    let eta = TEST_EPOCH + crate::sim::SimDuration::from_millis(500);
    assert_eq!(produced, [Effect::Enqueue { producer: 0, msg: 2, payload: payload(2, 0, eta) }]);
    assert_eq!(commands(&b.feed(&mut m, Input::Start)), ["worker-0/0> BRPOP celery 1"]);
    let pop = Reply::Array(vec![bulk("celery"), Reply::Bulk(payload(2, 0, eta))]);
    let got = b.feed(&mut m, Input::Reply { actor: Actor::Slot(0, 0), tag: Tag::Pop, frame: pop });
    assert_eq!(
        commands(&got),
        [
            "worker-0> MULTI",
            "worker-0> ZADD unacked_index 1700000000.000 w0.1",
            &format!("worker-0> HSET unacked w0.1 {}", String::from_utf8(payload(2, 0, eta)).unwrap()),
            "worker-0> EXEC"
        ],
        "reserved, not started (ETA in 500 ms), and no second BRPOP (prefetch 1)"
    );
    let wake = got.iter().find_map(|e| match e {
        Effect::Timer { at, timer: Timer::EtaTick { .. }, .. } => Some(*at),
        _ => None,
    });
    assert_eq!(wake, Some(eta));
    b.now = eta;
    let run = b.feed(&mut m, Input::Timer(Timer::EtaTick { worker: 0, epoch: 0 }));
    assert_eq!(
        commands(&run),
        ["worker-0> MULTI", "worker-0> ZREM unacked_index w0.1", "worker-0> HDEL unacked w0.1", "worker-0> EXEC"],
        "early ack: acked before the task runs"
    );
    assert!(run.iter().any(|e| matches!(e, Effect::Timer { timer: Timer::WorkDone { .. }, .. })));
}

#[test]
fn a_task_queue_worker_that_cannot_reach_the_broker_tries_again_on_reconnect() {
    let (mut b, mut m) = bench(PatternId::TaskQueue, 1, 1);
    b.links.broker_up = false;
    let start = b.feed(&mut m, Input::Start);
    assert_eq!(commands(&start), ["worker-0/0> BRPOP celery 1"]);
    // The BRPOP never ran, so the worker is not consuming: the reconnect sends it again.
    b.links.broker_up = true;
    assert_eq!(commands(&b.feed(&mut m, Input::Reconnected(Actor::Slot(0, 0)))), ["worker-0/0> BRPOP celery 1"]);
}

#[test]
fn request_response_retries_a_timed_out_request_after_the_backoff_delay_and_then_gives_up() {
    let (mut b, mut m) = bench(PatternId::RequestResponse, 2, 1);
    b.sc.request_response.max_retries = 1;
    let sent = b.feed(&mut m, Input::Produced { producer: 0, msg: 0 });
    let (arrive, timeout) = match sent.as_slice() {
        [Effect::Timer { timer: a @ Timer::RrArrive { .. }, .. }, Effect::Timer { timer: t @ Timer::RrTimeout { .. }, token: Some(_), .. }] => {
            (a.clone(), t.clone())
        }
        other => panic!("{other:?}"),
    };
    let served = b.feed(&mut m, Input::Timer(arrive));
    assert!(
        has(&served, &Effect::Deliver { msg: 0, copy: 0, consumer: 0 })
            || has(&served, &Effect::Deliver { msg: 0, copy: 0, consumer: 1 })
    );
    let late = b.feed(&mut m, Input::Timer(timeout));
    assert!(has(&late, &Effect::Count(Counter::TimedOut)) && has(&late, &Effect::Count(Counter::Retries)));
    let retry = late.iter().find_map(|e| match e {
        Effect::Timer { timer: t @ Timer::RrAttempt { .. }, .. } => Some(t.clone()),
        _ => None,
    });
    let again = b.feed(&mut m, Input::Timer(retry.expect("a retry is scheduled")));
    let second_timeout = again.iter().find_map(|e| match e {
        Effect::Timer { timer: t @ Timer::RrTimeout { .. }, .. } => Some(t.clone()),
        _ => None,
    });
    let gave_up = b.feed(&mut m, Input::Timer(second_timeout.expect("a timeout")));
    assert!(has(&gave_up, &Effect::Count(Counter::Failed)), "{gave_up:?}");
    assert_eq!(m.consumer(0).tags, Vec::<String>::new());
}

#[test]
fn a_task_whose_idempotency_check_cannot_reach_the_broker_waits_for_the_reconnect() {
    let (mut b, mut m) = bench(PatternId::TaskQueue, 1, 1);
    b.sc.task.idempotency_keys = true;
    b.links.broker_up = false;
    let pop = Reply::Array(vec![bulk("celery"), Reply::Bulk(msg(6))]);
    // Before the fix this call never returned: the task went back to waiting and was started again.
    let got = b.feed(&mut m, Input::Reply { actor: Actor::Slot(0, 0), tag: Tag::Pop, frame: pop });
    let checks = commands(&got).iter().filter(|c| c.contains("SET idem:6")).count();
    assert_eq!(checks, 1, "{:?}", commands(&got));
    assert_eq!(m.consumer(0).held, [(6, false)], "still reserved, not running");
    b.links.broker_up = true;
    let again = b.feed(&mut m, Input::Reconnected(Actor::Control(0)));
    assert!(commands(&again).iter().any(|c| c.contains("SET idem:6 w0.1 NX EX 86400")), "{:?}", commands(&again));
}
