//! A counterexample as a run of the lock playground: the checker's trace becomes the locks page's
//! scenario plus an action log (each fault a logged action at its virtual time and event count),
//! so the page opens it through Rewind and the user scrubs through the violation on the usual
//! timeline, where the runtime's own safety checker marks it.
//!
//! The checker's steps do not map 1:1 onto the runtime's events: the checker's messages take no
//! time and it chooses the order of everything due at one instant, while the runtime's network and
//! kernel decide that order. So the mapping places each fault at its step's virtual time, after
//! 0, 1, 2, … of the runtime's events of that millisecond (every combination, in order, at most
//! [`MAX_TRIES`] runs), keeps the first placement whose run the runtime's `Checker` flags with the
//! same property, and says whether one did ([`TraceReplay::reproduced`]). A delayed message becomes a partition of its worker from the
//! delay to the delivery (the runtime holds the packets, as TCP would); a drift step becomes a
//! clock at half speed for twice the step; a lost message has no runtime fault and is left out.
//! Each such difference is a note.
//!
//! Pure and deterministic: it runs the lock runtime on virtual time, never reads a clock.

use super::config::{CheckConfig, Property};
use super::search::{CheckReport, PropertyOutcome};
use super::trace::{replay_plan, TraceStep};
use crate::lock::scenario::Action as LockAction;
use crate::lock::{self, LockReplay, LockRewind, LockRuntime, Scenario};
use crate::sim::replay::{Replay, ReplayModel};
use crate::sim::rewind::{Cursor, NotableKind, RewindConfig, Seek};
use crate::sim::SimTime;
use serde::Serialize;

/// How far past the violation's first instant the replay's cursor lands (virtual ms).
pub const AFTER_VIOLATION_MS: u64 = 2_000;

/// The most runtime runs the placement search tries before it settles for the first placement.
pub const MAX_TRIES: usize = 400;

/// A counterexample ready to open on the locks page.
#[derive(Clone, Debug, Serialize)]
pub struct TraceReplay {
    /// The property whose counterexample this is.
    pub property: Property,
    /// Scenario (no scripted steps), seed, epoch and the action log; the cursor is
    /// [`AFTER_VIOLATION_MS`] after the runtime's mark of the violation when it was reproduced, else
    /// at the trace's last step.
    pub replay: LockReplay,
    /// Whether the runtime's checker flags the same property in the replayed run.
    pub reproduced: bool,
    /// Where the violation is marked on the timeline (virtual ms from the start).
    pub violation_ms: Option<u64>,
    /// Per logged fault, how many runtime events of its millisecond ran before it.
    pub offsets: Vec<u32>,
    /// Runtime runs the placement search took.
    pub tries: usize,
    /// Where the runtime's replay differs from the checker's trace.
    pub notes: Vec<String>,
}

/// The kind of runtime mark that shows `p`, if the runtime's checker watches it.
pub fn runtime_mark(p: Property) -> Option<NotableKind> {
    match p {
        Property::MutualExclusion => Some(NotableKind::Violation),
        Property::StaleWrite | Property::DoubleJob => Some(NotableKind::Harm),
        Property::ForeignExtend | Property::ForeignDelete => None,
    }
}

/// The counterexample the page replays from a report: the first property (in the order mutual
/// exclusion, stale write, double job, then the race signatures) that has one.
pub fn replay_choice(report: &CheckReport) -> Option<&PropertyOutcome> {
    let rank = |p: Property| match runtime_mark(p) {
        Some(_) => p as u8,
        None => 10 + p as u8,
    };
    report.outcomes.iter().filter(|o| !o.trace.is_empty()).min_by_key(|o| rank(o.property))
}

/// The fault actions of a trace at their virtual times, in order (what [`replay_plan`] scripts).
fn timed_actions(cfg: &CheckConfig, trace: &[TraceStep]) -> (Scenario, Vec<(u64, LockAction)>, Vec<String>) {
    let mut plan = replay_plan(cfg.variant, cfg, trace);
    let steps = std::mem::take(&mut plan.scenario.steps);
    (plan.scenario, steps.into_iter().map(|s| (s.at_ms, s.action)).collect(), plan.notes)
}

/// Runs the trace's faults on the runtime, fault `i` after `offsets[i]` runtime events of its
/// millisecond; `Err(i)` when fault `i`'s millisecond has fewer events than that.
fn run_with(
    scenario: &Scenario,
    epoch: SimTime,
    actions: &[(u64, LockAction)],
    offsets: &[u32],
) -> Result<LockRewind, usize> {
    let sim = lock::build(scenario, epoch).expect("replay_plan builds a valid scenario");
    let mut run = LockRewind::with_config(sim, RewindConfig::default());
    for (i, ((at, action), k)) in actions.iter().zip(offsets).enumerate() {
        let at = *at;
        if at > 0 {
            run.seek(Seek::Time(at - 1));
        }
        let before = run.cursor().events;
        if *k > 0 {
            let c = run.seek(Seek::Events(before + u64::from(*k)));
            if c.at_ms > at || c.events < before + u64::from(*k) {
                return Err(i);
            }
        }
        let events = run.cursor().events;
        run.seek(Seek::At(Cursor { events, at_ms: at }));
        // A refused action (e.g. healing a worker that is not cut off) changes nothing.
        let _ = run.act(action.clone());
    }
    run.seek(Seek::Time(scenario.duration_ms));
    Ok(run)
}

/// The first mark of `kind` at or after `from_ms`.
fn first_mark(run: &LockRewind, kind: NotableKind) -> Option<Cursor> {
    run.marks().iter().find(|m| m.kind == kind).map(|m| m.at)
}

/// Maps a counterexample onto the lock runtime (see the module header).
pub fn trace_replay(cfg: &CheckConfig, outcome: &PropertyOutcome, epoch: SimTime) -> TraceReplay {
    let (scenario, actions, mut notes) = timed_actions(cfg, &outcome.trace);
    let mark = runtime_mark(outcome.property);
    // Odometer over the faults' offsets, the first fault's fastest; a fault whose millisecond has
    // run out of events carries to the next one.
    let mut offsets = vec![0u32; actions.len()];
    let mut found = None;
    let mut tries = 0;
    while tries < MAX_TRIES && mark.is_some() {
        tries += 1;
        let carry = match run_with(&scenario, epoch, &actions, &offsets) {
            Ok(run) => {
                if let Some(at) = mark.and_then(|k| first_mark(&run, k)) {
                    found = Some((offsets.clone(), run, at));
                    break;
                }
                0
            }
            Err(i) => {
                offsets[..=i].fill(0);
                i + 1
            }
        };
        if carry >= offsets.len() {
            break;
        }
        offsets[carry] += 1;
    }
    let (offsets, run, hit) = match found {
        Some((o, run, at)) => (o, run, Some(at)),
        None => {
            let zero = vec![0u32; actions.len()];
            let run = run_with(&scenario, epoch, &actions, &zero).expect("no event is needed before a fault");
            (zero, run, None)
        }
    };
    match (mark, hit) {
        (None, _) => notes.push(format!(
            "the runtime's checker watches lease overlaps and harm, not \"{}\"; scrub to the trace's last step at {} ms",
            outcome.sentence,
            outcome.trace.last().map_or(0, |s| s.at_ms)
        )),
        (Some(_), None) => notes.push(format!(
            "the runtime ordered the events of one instant differently and did not reach \"{}\" with these faults",
            outcome.sentence
        )),
        (Some(_), Some(_)) => {}
    }
    // The page opens the run a moment after the violation (or at the trace's end), so the overlap
    // is already drawn; the scrubber's previous-mark button goes to its first instant.
    let mut run = run;
    let at = match hit {
        Some(c) => c.at_ms + AFTER_VIOLATION_MS,
        None => outcome.trace.last().map_or(0, |s| s.at_ms),
    };
    let cursor = Some(run.seek(Seek::Time(at.min(scenario.duration_ms))));
    let mut replay: LockReplay =
        Replay::new(LockRuntime::ID, scenario.seed, epoch, scenario.clone(), run.actions().to_vec());
    replay.cursor = cursor;
    TraceReplay {
        property: outcome.property,
        replay,
        reproduced: hit.is_some(),
        violation_ms: hit.map(|c| c.at_ms),
        offsets,
        tries,
        notes,
    }
}
