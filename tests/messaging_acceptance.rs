//! The messaging issue's acceptance lines, asserted over several seeds, plus determinism and the
//! `sim messaging` command line. Every expected set is computed from what the run recorded (crash
//! records, PUBLISH replies), never typed in.

use playground::messaging::transport::LinkParams;
use playground::messaging::{
    run_preset, run_transport, Fault, MessagingRun, MsgId, PatternId, RunResult, MAX_LIVE_BURST,
};
use std::collections::BTreeSet;
use std::process::Command;

const SEEDS: [u64; 5] = [1, 2, 3, 7, 42];

fn by_label<'a>(runs: &'a [RunResult], label: &str) -> &'a RunResult {
    runs.iter().find(|r| r.label == label).unwrap_or_else(|| panic!("no run labelled {label}"))
}

fn in_flight(r: &RunResult) -> BTreeSet<MsgId> {
    r.crashes.iter().flat_map(|c| c.in_flight.iter().copied()).collect()
}

#[test]
fn consumer_crash_simple_queue_loses_exactly_the_in_flight_messages_reliable_queue_none() {
    for seed in SEEDS {
        let runs = run_preset("consumer-crash", seed).unwrap();
        let simple = by_label(&runs, "simple-queue");
        let held = in_flight(simple);
        assert!(!held.is_empty(), "seed {seed}: the crash should catch work in flight");
        let lost: BTreeSet<MsgId> = simple.lost_units.iter().map(|u| u.0).collect();
        assert_eq!(lost, held, "seed {seed}: simple-queue loses exactly what the crashed worker held");
        assert_eq!(simple.report.lost, held.len() as u64);

        let reliable = by_label(&runs, "reliable-queue");
        assert!(
            reliable.stats.restored >= in_flight(reliable).len() as u64,
            "seed {seed}: the held messages came back"
        );
        for label in ["reliable-queue", "stream-group"] {
            let r = by_label(&runs, label);
            assert_eq!(r.report.lost, 0, "seed {seed}: {label} redelivers");
            let held = in_flight(r);
            assert!(!held.is_empty(), "seed {seed}: {label}'s crash caught work in flight");
            assert!(
                r.report.redelivered >= held.len() as u64,
                "seed {seed}: {label} delivered the held messages again"
            );
            let dup: BTreeSet<MsgId> = r.duplicated_units.iter().map(|u| u.0).collect();
            assert!(
                dup.is_subset(&held),
                "seed {seed}: {label} may duplicate only in-flight messages: {dup:?} ⊄ {held:?}"
            );
        }
    }
}

#[test]
fn offline_subscriber_misses_exactly_what_was_published_while_it_was_away() {
    for seed in SEEDS {
        let runs = run_preset("offline-subscriber", seed).unwrap();
        let r = by_label(&runs, "pubsub");
        assert_eq!(r.pattern, PatternId::Pubsub);
        let subscribers = 3;
        // PUBLISH's reply says how many subscribers got each message; the offline one is 0.
        let missed: BTreeSet<MsgId> = r.published.iter().filter(|(_, n)| *n < subscribers).map(|(m, _)| *m).collect();
        let expected: BTreeSet<MsgId> = missed.union(&in_flight(r)).copied().collect();
        assert!(expected.len() > 50, "seed {seed}: 3 s offline at 40 messages/s misses many: {}", expected.len());
        assert!(r.lost_units.iter().all(|u| u.1 == 0), "seed {seed}: only the offline subscriber misses anything");
        let lost: BTreeSet<MsgId> = r.lost_units.iter().map(|u| u.0).collect();
        assert_eq!(lost, expected, "seed {seed}");
        let first = r.published.iter().find(|(m, _)| missed.contains(m)).map(|p| p.0).unwrap();
        let last = r.published.iter().rev().find(|(m, _)| missed.contains(m)).map(|p| p.0).unwrap();
        assert!(
            missed.len() as u64 == last - first + 1,
            "seed {seed}: the missed messages are one contiguous run (the offline window)"
        );
        assert_eq!(r.report.duplicated, 0);
        let streams = by_label(&runs, "stream-group, a group per subscriber");
        assert_eq!(streams.report.lost, 0, "seed {seed}: the stream keeps what was added while the consumer was away");
        assert_eq!(streams.report.processed, 3 * streams.report.produced);
    }
}

#[test]
fn visibility_timeout_runs_long_tasks_twice_and_idempotency_keys_make_it_harmless() {
    for seed in SEEDS {
        let runs = run_preset("visibility-timeout", seed).unwrap();
        let plain = by_label(&runs, "task-queue");
        assert!(plain.report.duplicated > 0, "seed {seed}: a task longer than the visibility timeout runs twice");
        assert!(plain.stats.restored > 0);
        assert_eq!(plain.report.lost, 0);
        let keyed = by_label(&runs, "task-queue + idempotency keys");
        assert!(keyed.report.redelivered > 0, "seed {seed}: the redelivery still happens");
        assert_eq!(keyed.report.duplicated, 0, "seed {seed}: but no side effect happens twice");
        assert!(keyed.report.suppressed > 0);
        assert_eq!(keyed.report.lost, 0);
    }
}

#[test]
fn peak_cut_request_response_refuses_the_burst_and_the_queues_absorb_it() {
    for seed in SEEDS {
        let runs = run_preset("peak-cut", seed).unwrap();
        let rr = by_label(&runs, "request-response");
        assert!(
            rr.stats.rejected_or_timed_out_during_burst > 0,
            "seed {seed}: request-response rejects or times out during the burst: {:?}",
            rr.stats
        );
        assert!(rr.report.lost > 0);
        for label in ["simple-queue", "reliable-queue"] {
            let q = by_label(&runs, label);
            assert_eq!(q.report.lost, 0, "seed {seed}: {label} loses nothing");
            let before = q.series.iter().filter(|s| s.at_ms < 3_000).map(|s| s.depth).max().unwrap();
            let peak = q.series.iter().map(|s| s.depth).max().unwrap();
            let end = q.series.last().unwrap();
            assert!(peak > 500 && peak > 10 * before.max(1), "seed {seed}: {label}'s depth rises ({before} → {peak})");
            assert_eq!(end.depth, 0, "seed {seed}: {label} drains");
            assert_eq!(end.lag, 0);
        }
    }
}

#[test]
fn tcp_delivers_everything_in_order_and_udp_loses_about_the_loss_rate() {
    for seed in SEEDS {
        let p = LinkParams { loss: 0.1, ..LinkParams::default() };
        let r = run_transport(&p, seed).unwrap();
        assert_eq!(r.tcp.delivered, r.tcp.sent, "seed {seed}");
        assert!(r.tcp.in_order);
        assert!(r.tcp.retransmits > 0);
        let n = r.udp.sent as f64;
        let rate = r.udp.lost as f64 / n;
        let sigma = (0.1 * 0.9 / n).sqrt();
        assert!(
            (rate - 0.1).abs() <= 4.0 * sigma,
            "seed {seed}: UDP lost {rate:.3}, expected 0.1 ± {:.3}",
            4.0 * sigma
        );
        assert!(r.udp.duplicated > 0 && r.udp.reordered > 0, "seed {seed}: {:?}", r.udp);
        // Head-of-line blocking: some message waited behind a lost one for at least an RTO (1 s),
        // far beyond anything the link itself delays.
        assert!(
            r.tcp.max_ms >= r.udp.p99_ms + 1_000,
            "seed {seed}: tcp max {} ms, udp p99 {} ms",
            r.tcp.max_ms,
            r.udp.p99_ms
        );
    }
}

#[test]
fn broker_restart_loses_what_the_persistence_setting_would() {
    for seed in SEEDS {
        let runs = run_preset("broker-restart", seed).unwrap();
        let none = &runs[0];
        let always = &runs[2];
        assert!(none.report.lost > 0, "seed {seed}: no persistence loses the queue");
        assert_eq!(always.report.lost, 0, "seed {seed}: appendfsync always keeps every acknowledged write");
        assert!(runs.iter().all(|r| r.stats.broker_restarts == 1));
    }
}

#[test]
fn retry_storm_backoff_dead_letters_fewer_tasks_than_retrying_at_once() {
    for seed in SEEDS {
        let runs = run_preset("retry-storm", seed).unwrap();
        let (now, backoff) = (&runs[0], &runs[1]);
        assert!(now.stats.dead_lettered > 0, "seed {seed}: immediate retries burn through max_retries in the outage");
        assert!(backoff.stats.dead_lettered < now.stats.dead_lettered, "seed {seed}");
        assert_eq!(now.report.lost, now.stats.dead_lettered, "seed {seed}: what is dead-lettered is what is lost");
    }
}

#[test]
fn a_run_replays_from_its_seed() {
    for id in ["consumer-crash", "visibility-timeout", "broker-restart"] {
        assert_eq!(run_preset(id, 9).unwrap(), run_preset(id, 9).unwrap(), "{id}");
    }
    assert_ne!(run_preset("consumer-crash", 9).unwrap(), run_preset("consumer-crash", 10).unwrap());
    let p = LinkParams::default();
    assert_eq!(run_transport(&p, 4).unwrap(), run_transport(&p, 4).unwrap());
}

#[test]
fn the_redis_cli_pane_shows_the_commands_each_pattern_sends() {
    let runs = run_preset("consumer-crash", 1).unwrap();
    let simple = by_label(&runs, "simple-queue");
    assert!(simple.commands.iter().any(|c| c.contains("> BRPOP queue 1")), "{:?}", &simple.commands[..5]);
    let reliable = by_label(&runs, "reliable-queue");
    assert!(reliable.commands.iter().any(|c| c.contains("> BLMOVE queue processing:")));
    assert!(reliable.commands.iter().any(|c| c.contains("> LREM processing:")));
    let streams = by_label(&runs, "stream-group");
    // The log keeps the last 200 commands: the producers stopped before the end, so no XADD here.
    for cmd in ["XREADGROUP GROUP workers", "XACK stream workers", "XAUTOCLAIM stream workers"] {
        assert!(streams.commands.iter().any(|c| c.contains(cmd)), "{cmd} missing from {:?}", &streams.commands[..5]);
    }
    let tasks = run_preset("visibility-timeout", 1).unwrap();
    let log = tasks[0].commands.join("\n");
    for cmd in ["ZADD unacked_index", "HSET unacked", "ZREVRANGEBYSCORE unacked_index", "SET unacked_mutex", "EXEC"] {
        assert!(tasks.iter().flat_map(|t| t.commands.iter()).any(|c| c.contains(cmd)), "{cmd} missing from\n{log}");
    }
}

#[test]
fn partition_simple_queue_loses_exactly_the_replies_the_partition_swallowed_reliable_queue_and_stream_none() {
    for seed in SEEDS {
        let runs = run_preset("partition", seed).unwrap();
        let simple = by_label(&runs, "simple-queue");
        let swallowed: BTreeSet<MsgId> = simple.partition_drops.iter().map(|d| d.0).collect();
        assert!(!swallowed.is_empty(), "seed {seed}: a blocked BRPOP should hand a message into the partition");
        let lost: BTreeSet<MsgId> = simple.lost_units.iter().map(|u| u.0).collect();
        assert_eq!(lost, swallowed, "seed {seed}: simple-queue loses exactly the popped replies that never arrived");
        for label in ["reliable-queue", "stream-group"] {
            let r = by_label(&runs, label);
            assert_eq!(r.report.lost, 0, "seed {seed}: {label} gets back what the partition swallowed");
            assert_eq!(r.report.processed, r.report.produced, "seed {seed}: {label}");
        }
        // Pub/sub: each subscriber loses exactly the messages pushed to it while cut off.
        let pubsub = by_label(&runs, "pubsub");
        let pushed: BTreeSet<(MsgId, usize)> = pubsub.partition_drops.iter().map(|(m, w)| (*m, *w as usize)).collect();
        let lost: BTreeSet<(MsgId, usize)> = pubsub.lost_units.iter().copied().collect();
        assert!(!pushed.is_empty(), "seed {seed}");
        assert!(pushed.is_subset(&lost), "seed {seed}: pubsub loses what PUBLISH pushed into the partition");
        // … and, after the heal, what was published before the subscribers had reconnected.
        let receivers: std::collections::BTreeMap<MsgId, i64> = pubsub.published.iter().copied().collect();
        for (m, c) in lost.difference(&pushed) {
            assert!(receivers.get(m).is_some_and(|n| *n < 3), "seed {seed}: ({m}, {c}) lost but PUBLISH reached all");
        }
        // Celery's BRPOP reply is lost before the task is reserved in `unacked`: lost, never restored.
        let task = by_label(&runs, "task-queue");
        let swallowed: BTreeSet<MsgId> = task.partition_drops.iter().map(|d| d.0).collect();
        assert!(task.lost_units.iter().all(|u| swallowed.contains(&u.0)), "seed {seed}: task-queue");
        // Request/response: the instances are unreachable; retries recover some, the rest fail.
        let rr = by_label(&runs, "request-response");
        // A request can fail at the client yet have run (its reply was swallowed): lost ≤ failed.
        assert!(rr.stats.timed_out > 0 && rr.report.lost > 0, "seed {seed}: {:?}", rr.stats);
        assert!(rr.report.lost <= rr.stats.failed, "seed {seed}: {:?}", rr.stats);
    }
}

#[test]
fn stream_group_dead_letters_an_entry_after_n_deliveries_with_xadd_and_xack() {
    use playground::messaging::scenario::preset;
    use playground::messaging::trail::StepKind;
    let mut total = 0;
    for seed in SEEDS {
        let variants = preset("poison-message").unwrap();
        let forever = MessagingRun::new(variants[0].scenario.clone(), seed, "forever").unwrap().run_to_end();
        assert_eq!((forever.report.lost, forever.stats.dead_lettered), (0, 0), "seed {seed}: claimed until it works");

        let limit = variants[1].scenario.dead_letter_after;
        assert_eq!(limit, 3);
        let mut run = MessagingRun::new(variants[1].scenario.clone(), seed, "dlq").unwrap();
        run.record_trail(16, 1_000_000);
        let end = run.end();
        run.advance(end, u64::MAX);
        let r = run.result();
        total += r.stats.dead_lettered;
        assert_eq!(r.report.lost, r.stats.dead_lettered, "seed {seed}: only dead-lettered entries go unprocessed");
        assert_eq!(run.query("XLEN stream:dead-letter").unwrap(), format!("(integer) {}", r.stats.dead_lettered));
        let trail = run.trail().unwrap();
        for (msg, _) in &r.lost_units {
            let life = trail.life(*msg).unwrap();
            let deliveries = life.iter().filter(|s| matches!(s.kind, StepKind::Delivered { .. })).count();
            assert_eq!(deliveries, limit as usize, "seed {seed}: message {msg} was delivered exactly N times");
            assert!(life.iter().any(|s| s.kind == StepKind::DeadLettered { deliveries: 3 }), "seed {seed}");
        }
        // XACKed: nothing dead-lettered stays pending in the group.
        let pending = run.query("XPENDING stream workers").unwrap();
        assert!(pending.starts_with("1) (integer) 0"), "seed {seed}: {pending}");
    }
    assert!(total > 0, "some entry should fail three deliveries in a row over the seeds");
}

#[test]
fn the_pages_redis_cli_reads_the_runs_server_and_refuses_writes() {
    let v = playground::messaging::scenario::page_run("consumer-crash", PatternId::StreamGroup, 0).unwrap();
    let mut run = MessagingRun::new(v.scenario, 1, &v.label).unwrap();
    let at = run.now().saturating_add(playground::sim::SimDuration::from_millis(6_000));
    run.advance(at, u64::MAX);
    let groups = run.query("XINFO GROUPS stream").unwrap();
    assert!(groups.contains("workers") && groups.contains("pending"), "{groups}");
    let e = run.query("XADD stream * a b").unwrap_err().to_string();
    assert!(e.contains("XADD changes data") && e.contains("LLEN"), "{e}");
    let e = run.query("NOPE").unwrap_err().to_string();
    assert!(e.contains("unknown command"), "{e}");
    assert!(run.query("XLEN \"stream").is_err(), "unbalanced quotes are named");
    // A refused command changed nothing; a read does not either.
    assert_eq!(run.query("XLEN stream").unwrap(), run.query("XLEN stream").unwrap());
}

#[test]
fn an_injected_crash_loses_the_simple_queues_held_messages_like_a_scheduled_one() {
    let v = playground::messaging::scenario::page_run("steady", PatternId::SimpleQueue, 0).unwrap();
    let mut run = MessagingRun::new(v.scenario, 3, &v.label).unwrap();
    let at = run.now().saturating_add(playground::sim::SimDuration::from_millis(4_000));
    run.advance(at, u64::MAX);
    run.inject(Fault::Crash { consumer: 1, at_ms: 0, down_ms: 2_000 }).unwrap();
    assert!(run.inject(Fault::Crash { consumer: 9, at_ms: 0, down_ms: 1 }).is_err(), "consumer 9 does not exist");
    assert!(run.burst(0, 100).is_err() && run.burst(MAX_LIVE_BURST + 1, 100).is_err());
    run.burst(200, 500).unwrap();
    let end = run.end();
    run.advance(end, u64::MAX);
    let r = run.result();
    let held: BTreeSet<MsgId> = in_flight(&r);
    assert!(!held.is_empty());
    let lost: BTreeSet<MsgId> = r.lost_units.iter().map(|u| u.0).collect();
    assert_eq!(lost, held);
    assert!(r.report.peak_depth > 50, "the burst queued up: {}", r.report.peak_depth);
}

fn sim(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sim")).args(args).output().expect("the sim binary runs");
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn sim_messaging_prints_the_issue_json_shapes() {
    let (code, out, err) = sim(&["messaging", "--preset", "consumer-crash", "--seed", "3", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let patterns = v["patterns"].as_array().unwrap();
    assert_eq!(patterns.len(), 3);
    for p in patterns {
        for key in
            ["pattern", "produced", "delivered", "processed", "lost", "duplicated", "out_of_order", "p50_ms", "p99_ms"]
        {
            assert!(p.get(key).is_some(), "{key} missing in {p}");
        }
    }
    assert_eq!(patterns[0]["pattern"], "simple-queue");

    let (code, out, err) = sim(&["messaging", "--preset", "tcp-vs-udp", "--loss", "0.1", "--seed", "2", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let keys = |o: &serde_json::Value| o.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&v["tcp"]), ["delivered", "in_order", "retransmits", "sent"]);
    assert_eq!(keys(&v["udp"]), ["delivered", "duplicated", "lost", "reordered", "sent"]);
    assert_eq!(v["tcp"]["in_order"], true);
}

#[test]
fn sim_messaging_names_bad_arguments() {
    let (code, _, err) = sim(&["messaging", "--preset", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("\"nope\"") && err.contains("peak-cut"), "{err}");
    let (code, _, err) = sim(&["messaging", "--preset", "tcp-vs-udp", "--loss", "2"]);
    assert_eq!(code, 2);
    assert!(err.contains("loss = 2") && err.contains("[0, 0.9]"), "{err}");
    let (code, _, err) = sim(&["messaging", "--preset", "peak-cut", "--loss", "0.1"]);
    assert_eq!(code, 2);
    assert!(err.contains("--loss only applies to --preset tcp-vs-udp"), "{err}");
    let (code, _, err) = sim(&["messaging"]);
    assert_eq!(code, 2);
    assert!(err.contains("--preset"), "{err}");
}
