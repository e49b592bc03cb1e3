#![cfg(not(target_arch = "wasm32"))]
//! Each preset's expected outcome, asserted over several seeds, with and without the variants that
//! should change it. Each run is 60 s of virtual time (a few hundred events).

use playground::lock::machine::{ReleaseVariant, RenewVariant};
use playground::lock::{preset, run, Action, Scenario, Step, Summary, PRESET_IDS};
use playground::sim::TEST_EPOCH;

const SEEDS: std::ops::RangeInclusive<u64> = 1..=4;

fn summary(id: &str, seed: u64, tweak: impl Fn(&mut Scenario)) -> Summary {
    let mut s = preset(id).unwrap();
    s.seed = seed;
    tweak(&mut s);
    let sim = run(&s, TEST_EPOCH, false).unwrap();
    sim.model.summary(sim.now())
}

fn fencing(s: &mut Scenario) {
    s.variants.fencing = true;
}
fn atomic_renew(s: &mut Scenario) {
    s.variants.renew = RenewVariant::CompareAndExtend;
}
fn plain(_: &mut Scenario) {}

#[test]
fn handover_hands_the_lock_over_safely() {
    for seed in SEEDS {
        let s = summary("handover", seed, plain);
        assert_eq!(s.violations, 0, "seed {seed}: {s:?}");
        assert_eq!(s.handovers, 1, "seed {seed}: {s:?}");
        assert_eq!(s.duplicate_or_out_of_order_jobs, 0, "seed {seed}: {s:?}");
        assert_eq!(s.stale_writes_accepted, 0, "seed {seed}: {s:?}");
        // Graceful: the gap is a release and a retry, well under the TTL.
        assert!(s.time_without_holder_ms < 5_500, "seed {seed}: {s:?}");
    }
}

#[test]
fn crash_waits_for_the_ttl_then_another_takes_over() {
    for seed in SEEDS {
        let s = summary("crash", seed, plain);
        assert_eq!(s.violations, 0, "seed {seed}: {s:?}");
        assert_eq!(s.handovers, 1, "seed {seed}: {s:?}");
        assert_eq!(s.duplicate_or_out_of_order_jobs, 0, "seed {seed}: {s:?}");
        // No release: the lock has to expire (TTL 10 s after the last renew, which was 0–5 s ago).
        assert!(s.time_without_holder_ms >= 5_000, "seed {seed}: {s:?}");
    }
}

#[test]
fn gc_pause_violates_without_fencing_and_fencing_rejects_the_stale_write() {
    for seed in SEEDS {
        let s = summary("gc-pause", seed, plain);
        assert!(s.violations >= 1, "seed {seed}: {s:?}");
        assert!(s.stale_writes_accepted >= 1, "seed {seed}: {s:?}");
        assert!(s.duplicate_or_out_of_order_jobs >= 1, "seed {seed}: {s:?}");
        // The paused holder kept believing for most of its 25 s pause after its lease ran out.
        assert!(s.belief_without_truth_ms >= 10_000, "seed {seed}: {s:?}");
        let f = summary("gc-pause", seed, fencing);
        assert!(f.violations >= 1, "fencing does not stop the belief, only the write; seed {seed}: {f:?}");
        assert_eq!(f.stale_writes_accepted, 0, "seed {seed}: {f:?}");
        assert!(f.stale_writes_rejected >= 1, "seed {seed}: {f:?}");
        assert_eq!(f.duplicate_or_out_of_order_jobs, 0, "seed {seed}: {f:?}");
    }
}

#[test]
fn renew_race_get_then_expire_extends_another_workers_lock_atomic_does_not() {
    for seed in SEEDS {
        let s = summary("renew-race", seed, plain);
        assert!(s.foreign_lock_extensions >= 1, "seed {seed}: {s:?}");
        assert!(s.violations >= 1, "seed {seed}: {s:?}");
        let a = summary("renew-race", seed, atomic_renew);
        assert_eq!(a.foreign_lock_extensions, 0, "seed {seed}: {a:?}");
        assert_eq!(a.violations, 0, "seed {seed}: {a:?}");
    }
}

#[test]
fn redis_restart_without_persistence_gives_two_holders() {
    for seed in SEEDS {
        let s = summary("redis-restart", seed, plain);
        assert!(s.violations >= 1, "seed {seed}: {s:?}");
        assert!(s.handovers >= 1, "seed {seed}: {s:?}");
        // The fencing counter lived in the same Redis and was lost too, so fencing does not help.
        let f = summary("redis-restart", seed, fencing);
        assert!(f.violations >= 1, "seed {seed}: {f:?}");
    }
}

#[test]
fn redlock_survives_one_master_down() {
    for seed in SEEDS {
        let s = summary("redlock-master-down", seed, plain);
        assert_eq!(s.violations, 0, "seed {seed}: {s:?}");
        assert_eq!(s.duplicate_or_out_of_order_jobs, 0, "seed {seed}: {s:?}");
        assert!(s.handovers >= 1, "the holder's STOP at 30 s hands over on 4 of 5; seed {seed}: {s:?}");
        // One 2 s job per entry to working (every 5 s renewal): about 12 in 60 s.
        assert!(s.highest_job >= 10, "the lock keeps working; seed {seed}: {s:?}");
    }
}

#[test]
fn redlock_without_a_majority_never_holds() {
    let mut s = preset("redlock-master-down").unwrap();
    s.steps = (0..3).map(|i| Step { at_ms: 0, action: Action::RedisCrash { instance: i } }).collect();
    let sim = run(&s, TEST_EPOCH, false).unwrap();
    let sum = sim.model.summary(sim.now());
    assert_eq!(sum.acquisitions, 0, "{sum:?}");
    assert_eq!(sum.writes_accepted, 0, "{sum:?}");
}

#[test]
fn clock_drift_lets_the_lock_expire_under_a_believing_holder() {
    for seed in SEEDS {
        let s = summary("clock-drift", seed, plain);
        assert!(s.violations >= 1, "seed {seed}: {s:?}");
        assert!(s.stale_writes_accepted >= 1, "seed {seed}: {s:?}");
        let f = summary("clock-drift", seed, fencing);
        assert_eq!(f.stale_writes_accepted, 0, "seed {seed}: {f:?}");
        assert!(f.stale_writes_rejected >= 1, "seed {seed}: {f:?}");
    }
}

fn release(v: ReleaseVariant) -> impl Fn(&mut Scenario) {
    move |s: &mut Scenario| s.variants.release = v
}

#[test]
fn stop_while_waiting_reference_release_keeps_the_holders_lock_naive_del_does_not() {
    // Three workers; a waiting (non-holder) worker stops gracefully and releases.
    for seed in SEEDS {
        // The reference's maybeReleaseLock: GET says someone else's, so no DEL. 0 violations.
        let s = summary("stop-while-waiting", seed, plain);
        assert_eq!(s.violations, 0, "seed {seed}: {s:?}");
        assert_eq!(s.foreign_lock_deletes, 0, "seed {seed}: {s:?}");
        assert_eq!(s.handovers, 0, "the holder keeps its lock; seed {seed}: {s:?}");
        // naive-del: the DEL removes the holder's key and the third worker acquires it.
        let n = summary("stop-while-waiting", seed, release(ReleaseVariant::NaiveDel));
        assert_eq!(n.foreign_lock_deletes, 1, "seed {seed}: {n:?}");
        assert!(n.violations >= 1, "seed {seed}: {n:?}");
        assert!(n.handovers >= 1, "seed {seed}: {n:?}");
        // The atomic compare-and-delete is as safe as the reference here.
        let a = summary("stop-while-waiting", seed, release(ReleaseVariant::CompareAndDelete));
        assert_eq!((a.violations, a.foreign_lock_deletes), (0, 0), "seed {seed}: {a:?}");
    }
}

#[test]
fn every_preset_runs_and_logs_the_reference_messages() {
    for id in PRESET_IDS {
        let sim = run(&preset(id).unwrap(), TEST_EPOCH, false).unwrap();
        let log: Vec<&str> = sim.model.log().iter().map(|l| l.text.as_str()).collect();
        for prefix in [
            "Trying to acquire lock { workerId: '",
            "Lock acquired. Starting work { workerId: '",
            "Renewing lock { workerId: '",
        ] {
            assert!(log.iter().any(|l| l.starts_with(prefix)), "{id}: no {prefix:?}");
        }
    }
    let sim = run(&preset("handover").unwrap(), TEST_EPOCH, false).unwrap();
    let log: Vec<&str> = sim.model.log().iter().map(|l| l.text.as_str()).collect();
    for prefix in ["Stop work { workerId: '", "Releasing lock { workerId: '"] {
        assert!(log.iter().any(|l| l.starts_with(prefix)), "handover: no {prefix:?}");
    }
}

/// The reference's consumer simulates 2 s of work per `startWork`, and its `stopWork` resolves
/// after 1 s: in a fault-free handover each job is written 2 s after "Lock acquired. Starting
/// work", and the holder's "Releasing lock" comes 1 s after its "Stop work".
#[test]
fn start_work_takes_2_s_and_stop_work_1_s_as_in_the_reference() {
    let s = preset("handover").unwrap();
    assert_eq!((s.job_ms, s.stop_work_ms), (2_000, 1_000));
    for seed in SEEDS {
        let mut s = preset("handover").unwrap();
        s.seed = seed;
        let sim = run(&s, TEST_EPOCH, false).unwrap();
        let log: Vec<(u64, Option<usize>, String)> =
            sim.model.log().iter().map(|l| (l.at_ms, l.worker, l.text.clone())).collect();
        let mut jobs = 0;
        for (i, (at, w, text)) in log.iter().enumerate() {
            if !text.starts_with("Lock acquired. Starting work") {
                continue;
            }
            let w = w.expect("a worker's line");
            let written = log[i + 1..]
                .iter()
                .find(|(_, lw, t)| *lw == Some(w) && (t.contains(" wrote job ") || t.starts_with("Stop work")));
            if let Some((done, _, t)) = written.filter(|(_, _, t)| t.contains(" wrote job ")) {
                assert_eq!(done - at, 2_000, "seed {seed}: job of worker-{w} ({t}) after {at} ms");
                jobs += 1;
            }
        }
        assert!(jobs >= 8, "seed {seed}: {jobs} jobs checked");
        let stop = log.iter().find(|(_, _, t)| t.starts_with("Stop work")).expect("the holder stops");
        let release =
            log.iter().find(|(_, w, t)| *w == stop.1 && t.starts_with("Releasing lock")).expect("the holder releases");
        assert_eq!(release.0 - stop.0, 1_000, "seed {seed}: stopWork resolves after 1 s");
    }
}

fn sim_json(args: &[&str]) -> Result<serde_json::Value, String> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sim")).args(args).output().expect("the sim binary runs");
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).expect("JSON on stdout"))
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// `sim lock --release reference|naive-del|atomic`, with `--atomic-release` kept as an alias of
/// `--release atomic`; on stop-while-waiting only naive-del deletes the holder's key.
#[test]
fn cli_release_flag_picks_reference_naive_del_or_atomic_and_atomic_release_is_an_alias() {
    let base = ["lock", "--preset", "stop-while-waiting", "--json"];
    let with = |extra: &[&str]| sim_json(&[&base[..], extra].concat());
    let reference = with(&[]).unwrap();
    assert_eq!(reference["release"], "reference");
    assert_eq!((reference["violations"].as_u64(), reference["foreign_lock_deletes"].as_u64()), (Some(0), Some(0)));
    let naive = with(&["--release", "naive-del"]).unwrap();
    assert_eq!(naive["release"], "naive-del");
    assert_eq!(naive["foreign_lock_deletes"].as_u64(), Some(1));
    assert!(naive["violations"].as_u64() >= Some(1), "{naive}");
    let atomic = with(&["--release", "atomic"]).unwrap();
    let alias = with(&["--atomic-release"]).unwrap();
    assert_eq!(atomic["release"], "atomic");
    assert_eq!(alias["release"], "atomic");
    assert_eq!(alias["digest"], atomic["digest"], "the alias runs the same run");
    assert_ne!(atomic["digest"], reference["digest"]);
    let bad = with(&["--release", "del"]).unwrap_err();
    assert!(bad.contains("'del'") && bad.contains("naive-del"), "{bad}");
    let both = with(&["--release", "naive-del", "--atomic-release"]).unwrap_err();
    assert!(both.contains("cannot be used with"), "{both}");
}
