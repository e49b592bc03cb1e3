//! Counterexamples as labelled steps with their virtual times, and the lock-runtime scenario that
//! replays one (for the page's timeline).
//!
//! A trace is rebuilt by replaying the stored actions from the start; the search renames identical
//! workers as it goes (symmetry reduction), so the replay tracks the renaming and every step names
//! workers as they were at the start (`worker-0`, `worker-1`, …).

use super::config::{Property, Variant};
use super::model::{AReply, Action, LockModel, Status, TimerCode, Val, MAX_WORKERS};
use crate::lock::machine::{ReleaseVariant, RenewVariant};
use crate::lock::scenario::{Action as LockAction, Step, Target};
use crate::lock::{Scenario, Variants};
use crate::sim::Distribution;
use serde::{Deserialize, Serialize};

/// One worker as a step leaves it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerSnapshot {
    /// `running`, `paused` or `crashed`.
    pub status: String,
    /// The machine's state (`working`, `renew_lock`, …).
    pub state: String,
    pub believes: bool,
    pub token: Option<i64>,
}

/// One Redis instance as a step leaves it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedisSnapshot {
    /// The worker whose value the key holds (`None`: no key).
    pub holder: Option<usize>,
    /// True when the value is one the holder used before (an older process, or Redlock's previous value).
    pub old_value: bool,
    pub ttl_ms: Option<u64>,
}

/// One step of a counterexample.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceStep {
    /// Virtual time of the step, ms from the start.
    pub at_ms: u64,
    /// `deliver`, `delay`, `drop`, `timer`, `tick`, `pause`, `resume`, `crash`, `restart`, `stop`,
    /// `drift` or `redis-restart`.
    pub kind: String,
    pub worker: Option<usize>,
    pub instance: Option<usize>,
    /// The command or reply a message step carries (`SET NX`, `(nil)`, …), or the timer's name.
    pub detail: String,
    /// A sentence for the page.
    pub label: String,
    pub workers: Vec<WorkerSnapshot>,
    pub redis: Vec<RedisSnapshot>,
    /// Properties this step violates.
    pub violated: Vec<Property>,
}

fn val_name(v: Val, names: &[u8; MAX_WORKERS]) -> String {
    if v.is_none() {
        return "nothing".into();
    }
    let w = names[usize::from(v.slot())];
    if v.age() == 0 {
        format!("worker-{w}'s value")
    } else {
        format!("worker-{w}'s old value")
    }
}

fn reply_text(r: AReply, names: &[u8; MAX_WORKERS]) -> String {
    match r {
        AReply::Ok => "OK".into(),
        AReply::Nil => "(nil)".into(),
        AReply::Bulk(v) => val_name(v, names),
        AReply::Int(i) => format!("(integer) {i}"),
    }
}

/// Replays `path` (encoded actions) from the start and describes every step.
pub fn build_trace(model: &mut LockModel, path: &[u32]) -> Vec<TraceStep> {
    let (mut buf, mut scratch) = (Vec::new(), Vec::new());
    let mut s = model.initial();
    model.canonical(&s.clone(), &mut buf, &mut scratch);
    // The initial state is symmetric; canonical() may rename it too.
    let perm0 = model.canonical(&s, &mut buf, &mut scratch);
    let mut names = [0u8, 1, 2];
    let mut renamed = names;
    for old in 0..model.workers() {
        renamed[usize::from(perm0[old])] = names[old];
    }
    names = renamed;
    s = model.decode(&buf);
    let mut at = 0u64;
    let mut out = Vec::new();
    for &code in path {
        let a = Action::decode(code);
        let name = |w: u8| usize::from(names[usize::from(w)]);
        let (kind, mut worker, mut instance, mut detail);
        (worker, instance, detail) = (None, None, String::new());
        let label;
        match a {
            Action::Deliver(m) | Action::Delay(m) | Action::Drop(m) => {
                let msg = s.msgs[usize::from(m)];
                let w = name(msg.worker);
                worker = Some(w);
                instance = Some(usize::from(msg.instance));
                let what = match msg.reply {
                    None => msg.cmd.name().to_string(),
                    Some(r) => reply_text(r, &names),
                };
                detail = what.clone();
                let (from, to) = match msg.reply {
                    None => (format!("worker-{w}"), format!("redis-{}", msg.instance)),
                    Some(_) => (format!("redis-{}", msg.instance), format!("worker-{w}")),
                };
                let (k, verb) = match a {
                    Action::Deliver(_) => ("deliver", "arrives"),
                    Action::Delay(_) => ("delay", "is delayed"),
                    _ => ("drop", "is lost"),
                };
                kind = k;
                let reply_of_cmd = match msg.reply {
                    Some(_) => format!(" (reply to {})", msg.cmd.name()),
                    None => String::new(),
                };
                label = format!("{from} → {to}: {what}{reply_of_cmd} {verb}");
            }
            Action::Fire { worker: w, code } => {
                kind = "timer";
                worker = Some(name(w));
                detail = TimerCode::from_index(usize::from(code)).name();
                label = format!("worker-{}: {}", name(w), detail);
            }
            Action::Held(w) => {
                kind = "timer";
                worker = Some(name(w));
                let code = s.workers[usize::from(w)].held[0];
                detail = TimerCode::from_index(usize::from(code)).name();
                label = format!("worker-{}: {} (held during the pause)", name(w), detail);
            }
            Action::Tick => {
                kind = "tick";
                let d = model.next_event(&s).unwrap_or(0);
                detail = format!("{d} ms");
                label = format!("time passes: {d} ms");
            }
            Action::Pause(w)
            | Action::Resume(w)
            | Action::Crash(w)
            | Action::Restart(w)
            | Action::Stop(w)
            | Action::Drift(w) => {
                let n = name(w);
                worker = Some(n);
                let (k, l) = match a {
                    Action::Pause(_) => ("pause", format!("worker-{n} freezes (GC pause)")),
                    Action::Resume(_) => ("resume", format!("worker-{n} resumes")),
                    Action::Crash(_) => ("crash", format!("worker-{n} crashes (no release)")),
                    Action::Restart(_) => ("restart", format!("worker-{n} restarts as a new process")),
                    Action::Stop(_) => ("stop", format!("worker-{n} is stopped (STOP)")),
                    _ => ("drift", format!("worker-{n}'s clock falls {} ms behind", model.cfg.drift_ms)),
                };
                kind = k;
                label = l;
            }
            Action::RedisRestart(i) => {
                kind = "redis-restart";
                instance = Some(usize::from(i));
                label = format!("redis-{i} restarts without persistence (its keys are gone)");
            }
        }
        let (n, fx) = model.apply(&s, a);
        at += fx.advanced_ms;
        let mut label = label;
        if let (Action::Deliver(_), Some(r)) = (a, fx.reply) {
            label.push_str(&format!("; redis replies {}", reply_text(r, &names)));
        }
        if a == Action::Tick {
            for i in 0..model.instances() {
                if !s.redis[i].value.is_none() && n.redis[i].value.is_none() {
                    let whose = val_name(s.redis[i].value, &names);
                    label.push_str(&format!("; redis-{i}: the lock key ({whose}) expires"));
                }
            }
        }
        if let Some((accepted, stale, dup)) = fx.write {
            let mut what =
                if accepted { "the write is accepted".to_string() } else { "the write is rejected (fencing)".into() };
            if stale {
                what.push_str(", though Redis names someone else");
            }
            if dup {
                what.push_str(", a job done twice");
            }
            label.push_str(&format!(" — {what}"));
        }
        let violated: Vec<Property> = Property::ALL.into_iter().filter(|p| fx.violated & p.bit() != 0).collect();
        // Snapshots in the original names.
        let mut workers =
            vec![
                WorkerSnapshot { status: String::new(), state: String::new(), believes: false, token: None };
                model.workers()
            ];
        for slot in 0..model.workers() {
            let wk = &n.workers[slot];
            let info = model.info(wk.class);
            let crashed = wk.status == Status::Crashed;
            workers[usize::from(names[slot])] = WorkerSnapshot {
                status: match wk.status {
                    Status::Running => "running",
                    Status::Paused => "paused",
                    Status::Crashed => "crashed",
                }
                .into(),
                state: if crashed { "-".into() } else { info.state.name().into() },
                believes: !crashed && info.state.believes_it_holds(),
                token: if crashed { None } else { info.token },
            };
        }
        let redis = n.redis[..model.instances()]
            .iter()
            .map(|r| RedisSnapshot {
                holder: (!r.value.is_none()).then(|| usize::from(names[usize::from(r.value.slot())])),
                old_value: !r.value.is_none() && r.value.age() > 0,
                ttl_ms: (!r.value.is_none()).then_some(u64::from(r.dl)),
            })
            .collect();
        out.push(TraceStep { at_ms: at, kind: kind.into(), worker, instance, detail, label, workers, redis, violated });
        let perm = model.canonical(&n, &mut buf, &mut scratch);
        let mut renamed = names;
        for old in 0..model.workers() {
            renamed[usize::from(perm[old])] = names[old];
        }
        names = renamed;
        s = model.decode(&buf);
    }
    out
}

/// A lock-runtime scenario that replays a counterexample's faults at their virtual times, and the
/// steps it cannot express exactly.
#[derive(Clone, Debug, Serialize)]
pub struct ReplayPlan {
    pub scenario: Scenario,
    /// Where the runtime's replay differs from the checker's trace (message interleavings at one
    /// instant are the kernel's, not forced; a delay is a slow link; a drift step is a slow clock).
    pub notes: Vec<String>,
}

/// Builds the scenario: the checker's fleet, timings and variant, zero latency (the checker's
/// messages take no time), no start jitter, and one scripted step per fault of the trace.
pub fn replay_plan(variant: Variant, cfg: &super::config::CheckConfig, trace: &[TraceStep]) -> ReplayPlan {
    let atomic = variant != Variant::Reference;
    let mut scenario = Scenario {
        preset: None,
        seed: cfg.seed,
        workers: cfg.workers,
        redis_instances: cfg.redis,
        ttl_ms: cfg.ttl_ms,
        renew_interval_ms: cfg.renew_interval_ms,
        retry_interval_ms: cfg.retry_interval_ms,
        job_ms: cfg.job_ms,
        stop_work_ms: cfg.stop_work_ms,
        latency: Distribution::Constant { ms: 0.0 },
        start_jitter_ms: 0,
        variants: Variants {
            renew: if atomic { RenewVariant::CompareAndExtend } else { RenewVariant::GetThenExpire },
            release: if atomic { ReleaseVariant::CompareAndDelete } else { ReleaseVariant::Reference },
            fencing: variant == Variant::Fenced,
        },
        ..Scenario::default()
    };
    let end = trace.last().map_or(0, |s| s.at_ms);
    scenario.duration_ms = end + cfg.ttl_ms * 2;
    let mut notes = Vec::new();
    if cfg.stagger_ms > 0 {
        notes.push(format!(
            "workers start {} ms apart in the checker; the runtime starts them together",
            cfg.stagger_ms
        ));
    }
    for (i, st) in trace.iter().enumerate() {
        let target = |w: Option<usize>| Target::Worker(w.unwrap_or(0));
        let at_ms = st.at_ms;
        let mut push = |action| scenario.steps.push(Step { at_ms, action });
        match st.kind.as_str() {
            "pause" => {
                let until = trace[i + 1..]
                    .iter()
                    .find(|x| x.kind == "resume" && x.worker == st.worker)
                    // A trace that ends with the worker still frozen: it wakes a TTL later, so the
                    // replay shows what it does then.
                    .map_or(end + cfg.ttl_ms, |x| x.at_ms);
                push(LockAction::Pause { target: target(st.worker), ms: until.saturating_sub(at_ms).max(1) });
            }
            "crash" => push(LockAction::Crash { target: target(st.worker) }),
            "restart" => push(LockAction::Restart { target: target(st.worker) }),
            "stop" => push(LockAction::Stop { target: target(st.worker) }),
            "redis-restart" => {
                let instance = st.instance.unwrap_or(0);
                push(LockAction::RedisCrash { instance });
                push(LockAction::RedisRestart { instance });
            }
            "delay" => {
                let until = trace[i + 1..]
                    .iter()
                    .find(|x| x.kind == "deliver" && x.worker == st.worker && x.instance == st.instance)
                    .map_or(scenario.duration_ms, |x| x.at_ms);
                // The runtime holds a partitioned worker's packets and sends them on at the heal,
                // in order, as TCP does: the delayed message arrives when the checker delivers it.
                push(LockAction::Partition { target: target(st.worker) });
                scenario.steps.push(Step { at_ms: until, action: LockAction::Heal { target: target(st.worker) } });
                notes.push(format!(
                    "step {}: the delayed message becomes worker-{}'s partition from {at_ms} ms to {until} ms (every packet of it waits, not only that one)",
                    i + 1,
                    st.worker.unwrap_or(0)
                ));
            }
            "drift" => {
                // Falling D behind over 2·D at half speed.
                let d = cfg.drift_ms;
                push(LockAction::ClockRate { target: target(st.worker), rate: 0.5 });
                scenario.steps.push(Step {
                    at_ms: at_ms + 2 * d,
                    action: LockAction::ClockRate { target: target(st.worker), rate: 1.0 },
                });
                notes.push(format!(
                    "step {}: the drift step becomes a clock at half speed for {} ms (the same {d} ms behind, reached gradually)",
                    i + 1,
                    2 * d
                ));
            }
            "drop" => notes.push(format!(
                "step {}: a lost message has no runtime fault (TCP does not lose it); not replayed",
                i + 1
            )),
            _ => {}
        }
    }
    // Stable: a heal and a partition at one instant keep their trace order.
    scenario.steps.sort_by_key(|s| s.at_ms);
    ReplayPlan { scenario, notes }
}
