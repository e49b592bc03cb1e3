#![cfg(not(target_arch = "wasm32"))]
//! The locks and messaging pages' bundles dispatch through their own part of the command table
//! (`lock::store::LOCK_COMMANDS`, `messaging::MESSAGING_COMMANDS`), so their wasm links no other
//! command's handler (ARCHITECTURE.md, "Bundle"). These tests find and hold those parts by
//! measurement: every preset and variant of the page's models, with the page's live actions and
//! rewinds, runs once with the whole table and once with the page's part installed (on a thread of its
//! own, as the bundle installs it on its one thread); the digests must be the same, the part must
//! never miss a command the runs looked up, and every command the runs looked up must be in it.
//!
//! `BUNDLE_COMMANDS=print cargo test --test bundle_commands -- --nocapture` prints what the runs look
//! up, to write a part from.

use std::collections::BTreeSet;

use playground::lock::store::{boot_lock_scripts, LOCK_COMMANDS};
use playground::lock::{build, preset, Action, LockRewind, ReleaseVariant, RenewVariant, Scenario, Target, PRESET_IDS};
use playground::messaging::scenario::{page_variants, PAGE_PRESETS};
use playground::messaging::{query_runs, Fault, MessagingRun, PatternId, MESSAGING_COMMANDS};
use playground::redis::script::install_interpreter;
use playground::redis::table::{self, install_commands, lookups, CommandSet};
use playground::sim::rewind::Seek;
use playground::sim::{SimDuration, TEST_EPOCH};

/// Runs `work` on a fresh thread with `set` installed (or the whole table), recording lookups.
fn on_thread<T: Send + 'static>(
    set: Option<&'static CommandSet>,
    setup: fn(),
    work: fn() -> T,
) -> (T, lookups::Lookups) {
    std::thread::spawn(move || {
        if let Some(set) = set {
            install_commands(set);
        }
        setup();
        lookups::start();
        let out = work();
        (out, lookups::take())
    })
    .join()
    .expect("the runs finish")
}

fn names(set: &CommandSet) -> BTreeSet<&'static str> {
    set.commands.iter().map(|c| c.name).collect()
}

/// Every lock preset with every renew and release variant, fencing on and off (fencing only on one
/// instance, as the page offers it).
fn lock_scenarios() -> Vec<Scenario> {
    let mut out = Vec::new();
    for id in PRESET_IDS {
        for renew in [RenewVariant::GetThenExpire, RenewVariant::CompareAndExtend] {
            for release in [ReleaseVariant::Reference, ReleaseVariant::NaiveDel, ReleaseVariant::CompareAndDelete] {
                for fencing in [false, true] {
                    let mut s = preset(id).expect("a preset");
                    if fencing && s.redis_instances != 1 {
                        continue;
                    }
                    s.variants.renew = renew;
                    s.variants.release = release;
                    s.variants.fencing = fencing;
                    s.duration_ms = s.duration_ms.min(90_000);
                    out.push(s);
                }
            }
        }
    }
    out
}

/// Each scenario played as the page plays it: on a rewind, with every button the page has pressed
/// along the way, a rewind into the past and a branch from there; the digest at the end, and the
/// holder's key as the Redis panel reads it.
fn lock_digests() -> Vec<String> {
    lock_scenarios()
        .iter()
        .map(|s| {
            let mut r = LockRewind::new(build(s, TEST_EPOCH).expect("a valid scenario"));
            let w = |i: usize| Target::Worker(i % s.workers);
            let actions = [
                (4_000, Action::Pause { target: Target::Holder, ms: 3_000 }),
                (9_000, Action::Partition { target: w(1) }),
                (12_000, Action::Heal { target: w(1) }),
                (14_000, Action::SlowLink { target: w(2), extra_ms: 300 }),
                (16_000, Action::ClockRate { target: w(0), rate: 1.5 }),
                (18_000, Action::Crash { target: Target::Holder }),
                (20_000, Action::Stop { target: Target::NonHolder }),
                (24_000, Action::Restart { target: w(0) }),
                (26_000, Action::RedisSlow { instance: 0, extra_ms: 50 }),
                (30_000, Action::RedisCrash { instance: 0 }),
                (33_000, Action::RedisRestart { instance: 0 }),
            ];
            for (at, action) in actions {
                r.seek(Seek::Time(at));
                r.act(action).expect("the action applies");
            }
            r.seek(Seek::Time(10_000));
            r.act(Action::Crash { target: Target::Holder }).expect("a crash");
            r.seek(Seek::Time(s.duration_ms));
            let now = r.sim().now();
            let view = r.model().redis_view(0, now).map(|v| (v.value.map(str::to_owned), v.ttl_left_ms));
            format!("{} {view:?}", r.digest())
        })
        .collect()
}

/// Every messaging page preset and variant over three seeds, the live runs the page's fault buttons
/// and bursts make, and the page's redis-cli chips and every command it would run, at the end.
fn messaging_digests() -> Vec<String> {
    let mut out = Vec::new();
    for id in PAGE_PRESETS {
        for v in page_variants(id).expect("a page preset") {
            for seed in [1, 7, 42] {
                let mut run = MessagingRun::new(v.scenario.clone(), seed, &v.label).expect("a valid preset");
                run.record_trail(400, 60);
                let end = run.end();
                run.advance(end, u64::MAX);
                out.push(format!("{id} {} {seed} {:?} {:?}", v.label, run.result(), run.recent_commands(20)));
            }
            let mut run = MessagingRun::new(v.scenario.clone(), 3, "live").expect("a valid preset");
            let consumers = v.scenario.consumers.count;
            let at = |ms: u64| TEST_EPOCH.saturating_add(SimDuration::from_millis(ms));
            run.advance(at(2_000), u64::MAX);
            run.inject(Fault::Crash { consumer: 0, at_ms: 0, down_ms: 1_500 }).expect("a crash");
            run.burst(200, 500).expect("a burst");
            run.advance(at(4_000), u64::MAX);
            run.inject(Fault::Slow { consumer: consumers - 1, at_ms: 0, factor: 8.0, for_ms: 2_000 }).expect("slow");
            run.inject(Fault::Partition { at_ms: 0, for_ms: 1_200 }).expect("a partition");
            run.advance(at(6_000), u64::MAX);
            run.inject(Fault::BrokerRestart { at_ms: 0, down_ms: 800 }).expect("a broker restart");
            run.inject(Fault::Outage { at_ms: 0, for_ms: 1_000 }).expect("an outage");
            run.advance(at(9_000), u64::MAX);
            let now = run.now();
            for q in v.scenario.pattern.suggested_queries() {
                out.push(format!("{q}: {:?}", run.model().query(now, q)));
            }
            out.push(format!("live {id} {} {:?}", v.label, run.result()));
        }
    }
    out
}

fn print_lookups(page: &str, found: &BTreeSet<&'static str>) {
    if std::env::var("BUNDLE_COMMANDS").as_deref() == Ok("print") {
        println!("{page} looked up: {}", found.iter().copied().collect::<Vec<_>>().join(" "));
    }
}

#[test]
fn lock_runs_look_up_only_the_locks_page_commands_and_digest_the_same_with_them() {
    let (whole, seen) = on_thread(None, || install_interpreter(boot_lock_scripts), lock_digests);
    let (part, seen_part) = on_thread(Some(&LOCK_COMMANDS), || install_interpreter(boot_lock_scripts), lock_digests);
    print_lookups("locks", &seen.found);
    assert!(seen_part.missing.is_empty(), "the locks page's commands lack {:?}", seen_part.missing);
    assert!(seen.missing.is_empty(), "the runs sent unknown commands {:?}", seen.missing);
    assert_eq!(whole, part, "the runs differ with the locks page's commands");
    // The part is exactly what the runs use: a command nothing on the page sends would only cost bytes.
    assert_eq!(seen.found, names(&LOCK_COMMANDS), "LOCK_COMMANDS against what the lock runs look up");
}

#[test]
fn messaging_runs_and_the_pages_read_only_prompt_find_every_command_they_look_up() {
    let (whole, seen) = on_thread(None, || {}, messaging_digests);
    let (part, seen_part) = on_thread(Some(&MESSAGING_COMMANDS), || {}, messaging_digests);
    print_lookups("messaging", &seen.found);
    assert!(seen_part.missing.is_empty(), "the messaging page's commands lack {:?}", seen_part.missing);
    assert!(seen.missing.is_empty(), "the runs sent unknown commands {:?}", seen.missing);
    assert_eq!(whole, part, "the runs differ with the messaging page's commands");
    let kept = names(&MESSAGING_COMMANDS);
    let prompt: BTreeSet<&str> = table::COMMANDS.iter().filter(|c| query_runs(c)).map(|c| c.name).collect();
    let used: BTreeSet<&str> = seen.found.union(&prompt).copied().collect();
    // What the runs send and everything the page's prompt runs, and nothing else.
    assert_eq!(used, kept, "MESSAGING_COMMANDS against what the runs look up and the prompt runs");
    assert!(prompt.contains("xinfo") && prompt.contains("zrange") && !prompt.contains("set"));
    let _ = PatternId::ALL;
}

#[test]
fn a_command_outside_the_installed_part_is_unknown_and_the_error_says_where_it_runs() {
    let reply = std::thread::spawn(|| {
        install_commands(&LOCK_COMMANDS);
        let mut store = playground::redis::Store::new(playground::sim::SimRng::new(1));
        let argv = |s: &str| s.split(' ').map(|w| w.as_bytes().to_vec()).collect::<Vec<_>>();
        let known = store.execute(TEST_EPOCH, &argv("SET k v"));
        let cut = store.execute(TEST_EPOCH, &argv("XADD s * f v"));
        (known, cut, table::help_text("xadd"), table::complete("x"))
    })
    .join()
    .expect("a thread");
    assert_eq!(reply.0, playground::redis::Reply::ok());
    assert_eq!(
        reply.1,
        playground::redis::Reply::error(
            "ERR unknown command 'XADD', with args beginning with: 's' '*' 'f' 'v' (the locks page carries only the commands its models use; the Redis page has them all)"
        )
    );
    assert_eq!(reply.2, None, "HELP knows only the installed commands");
    assert!(reply.3.is_empty(), "nor does completion");
    // Natively, with nothing installed, every command is there.
    assert!(table::help_text("xadd").is_some());
    assert!(table::installed().complete);
}
