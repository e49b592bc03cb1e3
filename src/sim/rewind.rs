//! Rewind: a run that can go back in time exactly. A [`Rewind`] wraps a [`Simulation`] of a
//! [`Rewindable`] model and keeps what defines the run besides its scenario and seed — the **action
//! log**, every user action with the virtual time and the event count at which it was applied — plus
//! snapshots of the whole simulation taken every so many events. Going back restores the nearest
//! snapshot at or before the target and replays forward from it, applying the logged actions at
//! their places; going forward past the furthest point reached (the *horizon*) simply runs on.
//!
//! Because the running trace digest ([`super::Trace::set_running_digest`]) is part of the
//! simulation's state, the digest at a moment is the same however that moment was reached: run
//! straight, seeked to from far ahead, or stepped back to event by event (tests/kernel_rewind.rs
//! checks it over many seeds and random seek sequences).
//!
//! Acting while rewound (the cursor before the horizon) cuts off the future: the logged actions
//! after the cursor, the snapshots and notable marks after it are dropped, and the new action
//! starts a new branch ([`Rewind::act`] says how much was cut).
//!
//! Memory is bounded: at most [`RewindConfig::max_snapshots`] snapshots, and at most
//! [`RewindConfig::max_snapshot_bytes`] in them as the model weighs them
//! ([`Rewindable::snapshot_bytes`]: a model whose histories are windowed holds more in snapshots far
//! apart, which share less); when either cap is reached every other one is dropped and the interval
//! doubles, so they stay evenly spread over the run.
//! A backward seek leaves a few *scratch* snapshots at exponentially growing distances behind its
//! target (at most [`SCRATCH`]), which makes repeated steps back cheap.
//!
//! A model declares its notable events (a violation, a fault, a failover, a handover) through
//! [`Rewindable::drain_notable`]; the rewind keeps them as [`Mark`]s for "previous/next notable".
//!
//! Never reads a clock; the caller decides how much work a frame may do (`*_bounded`).

use super::kernel::{Ctx, Model, Simulation};
use super::playback::Clocked;
use super::{SimDuration, SimTime};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// A model that can be rewound: cloneable (snapshots), with user actions that can be logged and
/// replayed, and (optionally) notable events.
pub trait Rewindable: Model<Event: Clone> + Clone {
    /// What a user can do to a run between events (a fault button, a scripted step).
    type Action: Clone + fmt::Debug + PartialEq + Serialize + DeserializeOwned;
    /// Applies `action` now. An error names what was wrong; a refused action changes nothing and is
    /// not logged.
    fn apply(&mut self, ctx: &mut Ctx<'_, Self::Event>, action: &Self::Action) -> Result<(), String>;
    /// Moves what became notable since the last call (during the last event or action) into `out`.
    fn drain_notable(&mut self, now: SimTime, out: &mut Vec<Notable>) {
        let _ = (now, out);
    }
    /// Roughly the heap bytes a snapshot of this state holds beyond what it shares with `other`, the
    /// snapshot kept before it (`None`: the first), e.g. with [`super::History::bytes_beyond`].
    /// Weighed against [`RewindConfig::max_snapshot_bytes`]; the default, 0, leaves a model's
    /// snapshots counted but not weighed.
    fn snapshot_bytes(&self, other: Option<&Self>) -> usize {
        let _ = other;
        0
    }
}

/// Kinds of notable events a model can declare (the scrubber's marks and its jump buttons).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotableKind {
    /// A safety property broke (e.g. two lock holders).
    Violation,
    /// Damage done (e.g. a stale write accepted).
    Harm,
    /// A fault was injected (a button or a scripted step).
    Fault,
    /// A replacement took over after a failure.
    Failover,
    /// Ownership passed on (e.g. the lock went to another worker).
    Handover,
}

impl NotableKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NotableKind::Violation => "violation",
            NotableKind::Harm => "harm",
            NotableKind::Fault => "fault",
            NotableKind::Failover => "failover",
            NotableKind::Handover => "handover",
        }
    }
}

/// Something notable, as a model reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notable {
    pub kind: NotableKind,
    pub label: String,
}

/// A point in a run's history: after `events` events, with the clock at `at_ms` (ms since the run
/// started). Positions are ordered along the history (both parts only grow).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Cursor {
    pub events: u64,
    pub at_ms: u64,
}

/// A position including how many logged actions were applied: actions happen between events, so
/// (events, time) alone does not tell "just before" from "just after" an action.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
struct Pos {
    at: Cursor,
    actions: usize,
}

/// A notable event where it happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    pub at: Cursor,
    /// Logged actions applied by then.
    pub actions: usize,
    pub kind: NotableKind,
    pub label: String,
}

impl Mark {
    fn pos(&self) -> Pos {
        Pos { at: self.at, actions: self.actions }
    }
}

/// One user action in the log: applied after `events` events with the clock at `at_ms`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoggedAction<A> {
    pub at_ms: u64,
    pub events: u64,
    pub action: A,
}

impl<A> LoggedAction<A> {
    pub fn at(&self) -> Cursor {
        Cursor { events: self.events, at_ms: self.at_ms }
    }
}

/// The most actions one run's log holds (a page keeps it in its URL).
pub const MAX_ACTIONS: usize = 1_000;
/// The most notable marks kept (the oldest go first).
pub const MAX_MARKS: usize = 10_000;
/// The most scratch snapshots a backward seek leaves behind.
pub const SCRATCH: usize = 24;

/// Where to go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seek {
    /// The state at virtual time `ms` (since the start): every event and action at or before it.
    Time(u64),
    /// The state right after `n` events (and the actions logged before the next one, at that time).
    Events(u64),
    /// Exactly a cursor: after `events` events, the clock at `at_ms`, with the actions logged up to
    /// there (what a shared link's cursor names).
    At(Cursor),
}

/// What went wrong with an action log.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum RewindError {
    #[error("the action log holds at most {MAX_ACTIONS} actions; reset the run to act again")]
    LogFull,
    #[error("action {index} is logged at {at_ms} ms after event {events}, before the action logged ahead of it; a log is in the order the actions happened")]
    OutOfOrder { index: usize, events: u64, at_ms: u64 },
    #[error("action {index} ({action}) is logged after event {events} at {at_ms} ms, but the run {found}; the log does not belong to this scenario and seed")]
    DoesNotFit { index: usize, action: String, events: u64, at_ms: u64, found: String },
    #[error("action {index} ({action}) was refused on replay: {reason}")]
    Refused { index: usize, action: String, reason: String },
    #[error("{0}")]
    Action(String),
}

/// Snapshot spacing and cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RewindConfig {
    /// Events between two snapshots at first (it doubles whenever the cap is reached).
    pub every: u64,
    /// The most snapshots kept (at least 4).
    pub max_snapshots: usize,
    /// The most bytes the regular snapshots may hold together, as [`Rewindable::snapshot_bytes`]
    /// weighs them (each beyond the one before it). Past it they are thinned like past
    /// `max_snapshots`, down to two. A model whose snapshots grow with the run (windowed
    /// histories that snapshots far apart no longer share) needs it to stay bounded.
    pub max_snapshot_bytes: usize,
}

impl Default for RewindConfig {
    fn default() -> Self {
        RewindConfig { every: 512, max_snapshots: 128, max_snapshot_bytes: usize::MAX }
    }
}

/// What cutting off the future dropped (for the page's "new branch" notice).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Branch {
    /// Logged actions that were after the cursor.
    pub actions_dropped: usize,
    /// How far the old history reached beyond the cursor.
    pub horizon_ms: u64,
    pub horizon_events: u64,
}

/// Counters for the budgets (how much work seeks did).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RewindStats {
    pub restores: u64,
    pub replayed_events: u64,
    pub snapshots_taken: u64,
}

#[derive(Clone)]
struct Snapshot<M: Rewindable> {
    at: Pos,
    sim: Simulation<M>,
    /// What it holds beyond the regular snapshot before it ([`Rewindable::snapshot_bytes`]).
    bytes: usize,
}

/// A rewindable run: the simulation at the cursor, the action log, snapshots and notable marks.
pub struct Rewind<M: Rewindable> {
    sim: Simulation<M>,
    actions: Vec<LoggedAction<M::Action>>,
    /// How many logged actions the simulation has applied.
    applied: usize,
    horizon: Pos,
    snapshots: Vec<Snapshot<M>>,
    scratch: Vec<Snapshot<M>>,
    every: u64,
    config: RewindConfig,
    marks: Vec<Mark>,
    notable: Vec<Notable>,
    /// The first way the log did not fit the run during a replay (the log is then not replayed
    /// past it).
    error: Option<RewindError>,
    stats: RewindStats,
    /// A run that ends (see [`Rewind::set_finite`]).
    finite: bool,
}

impl<M: Rewindable> Rewind<M> {
    /// Wraps a freshly built simulation (no event processed yet) and turns its running digest on.
    pub fn new(sim: Simulation<M>) -> Self {
        Self::with_config(sim, RewindConfig::default())
    }

    pub fn with_config(mut sim: Simulation<M>, config: RewindConfig) -> Self {
        sim.trace_mut().set_running_digest(true);
        let config = RewindConfig { every: config.every.max(1), max_snapshots: config.max_snapshots.max(4), ..config };
        let first = Snapshot { at: Pos::default(), bytes: sim.model.snapshot_bytes(None), sim: sim.clone() };
        Rewind {
            horizon: Pos::default(),
            sim,
            actions: Vec::new(),
            applied: 0,
            snapshots: vec![first],
            scratch: Vec::new(),
            every: config.every,
            config,
            marks: Vec::new(),
            notable: Vec::new(),
            error: None,
            stats: RewindStats { snapshots_taken: 1, ..RewindStats::default() },
            finite: false,
        }
    }

    /// Like [`Rewind::new`], with an action log to replay (checked for order and size; whether it
    /// fits the run shows as the run reaches each action: see [`Rewind::error`]).
    pub fn with_log(
        sim: Simulation<M>,
        config: RewindConfig,
        actions: Vec<LoggedAction<M::Action>>,
    ) -> Result<Self, RewindError> {
        check_log(&actions)?;
        let mut r = Self::with_config(sim, config);
        r.actions = actions;
        Ok(r)
    }

    /// Marks the run as one that ends (like `playback::Finite`): once nothing is left to happen —
    /// no event queued, no logged action ahead — seeking or playing on leaves the clock at the last
    /// event instead of moving it to the time asked for.
    pub fn set_finite(&mut self, finite: bool) {
        self.finite = finite;
    }

    /// Whether nothing is left to happen at the cursor: no event queued and no logged action ahead.
    pub fn is_idle(&mut self) -> bool {
        self.sim.next_event_time().is_none() && self.applied >= self.actions.len()
    }

    /// The simulation at the cursor (draw from `sim().model`).
    pub fn sim(&self) -> &Simulation<M> {
        &self.sim
    }
    pub fn model(&self) -> &M {
        &self.sim.model
    }
    pub fn cursor(&self) -> Cursor {
        Cursor { events: self.sim.processed(), at_ms: self.rel(self.sim.now()) }
    }
    fn pos(&self) -> Pos {
        Pos { at: self.cursor(), actions: self.applied }
    }
    /// The furthest point this branch of the run has reached.
    pub fn horizon(&self) -> Cursor {
        self.horizon.at
    }
    /// Whether the cursor is before the horizon (acting now would start a new branch).
    pub fn is_rewound(&self) -> bool {
        self.pos() < self.horizon
    }
    /// Logged actions not applied yet that the run has already passed (a log that does not fit),
    /// or that lie beyond where it has been run.
    pub fn pending_actions(&self) -> usize {
        self.actions.len() - self.applied
    }
    /// The whole action log of this branch (including actions after the cursor).
    pub fn actions(&self) -> &[LoggedAction<M::Action>] {
        &self.actions
    }
    /// How many of the logged actions are behind the cursor.
    pub fn applied(&self) -> usize {
        self.applied
    }
    /// Notable marks of this branch, in order (bounded by [`MAX_MARKS`]).
    pub fn marks(&self) -> &[Mark] {
        &self.marks
    }
    /// The running trace digest at the cursor.
    pub fn digest(&self) -> String {
        self.sim.trace().running_digest().expect("a rewind keeps the running digest on")
    }
    /// The first way a replayed log did not fit the run, if any.
    pub fn error(&self) -> Option<&RewindError> {
        self.error.as_ref()
    }
    pub fn stats(&self) -> RewindStats {
        self.stats
    }
    /// Snapshots kept (regular, scratch) and the current interval in events.
    pub fn snapshot_counts(&self) -> (usize, usize, u64) {
        (self.snapshots.len(), self.scratch.len(), self.every)
    }

    fn rel(&self, t: SimTime) -> u64 {
        t.saturating_since(self.sim.start()).0
    }
    fn abs(&self, ms: u64) -> SimTime {
        self.sim.start() + SimDuration(ms)
    }

    /// Applies a user action at the cursor and logs it. If the cursor is before the horizon, the
    /// future is cut off first (the returned [`Branch`] says what went); a refused action changes
    /// nothing, not even the future.
    pub fn act(&mut self, action: M::Action) -> Result<Option<Branch>, RewindError> {
        if self.applied >= MAX_ACTIONS {
            return Err(RewindError::LogFull);
        }
        // The model changes nothing when it refuses, so the future is cut only once it accepted.
        let result = self.sim.act(|m, ctx| m.apply(ctx, &action));
        if let Err(e) = result {
            return Err(RewindError::Action(e));
        }
        let branch = self.is_rewound().then(|| self.cut_future());
        let at = self.cursor();
        self.note_action(&action);
        self.actions.push(LoggedAction { at_ms: at.at_ms, events: at.events, action });
        self.applied = self.actions.len();
        self.after_progress();
        Ok(branch)
    }

    /// Drops everything after the cursor: logged actions, snapshots, marks; the horizon comes back
    /// to the cursor.
    fn cut_future(&mut self) -> Branch {
        let here = self.pos();
        let branch = Branch {
            actions_dropped: self.actions.len() - self.applied,
            horizon_ms: self.horizon.at.at_ms,
            horizon_events: self.horizon.at.events,
        };
        self.actions.truncate(self.applied);
        self.snapshots.retain(|s| s.at <= here);
        self.scratch.retain(|s| s.at <= here);
        self.marks.retain(|m| m.pos() <= here);
        self.horizon = here;
        self.error = None;
        branch
    }

    fn note_action(&mut self, action: &M::Action) {
        let text = serde_json::to_string(action).unwrap_or_else(|_| format!("{action:?}"));
        self.sim.note("action", text);
    }

    /// After an event or an action: notable marks, the horizon, regular snapshots.
    fn after_progress(&mut self) {
        let now = self.sim.now();
        self.sim.model.drain_notable(now, &mut self.notable);
        let here = self.pos();
        if here <= self.horizon {
            self.notable.clear();
            return;
        }
        self.horizon = here;
        for n in self.notable.drain(..) {
            self.marks.push(Mark { at: here.at, actions: here.actions, kind: n.kind, label: n.label });
        }
        if self.marks.len() > MAX_MARKS {
            let excess = self.marks.len() - MAX_MARKS;
            self.marks.drain(..excess);
        }
        let last = self.snapshots.last().map_or(0, |s| s.at.at.events);
        if here.at.events >= last.saturating_add(self.every) {
            let bytes = self.sim.model.snapshot_bytes(self.snapshots.last().map(|s| &s.sim.model));
            self.snapshots.push(Snapshot { at: here, sim: self.sim.clone(), bytes });
            self.stats.snapshots_taken += 1;
            while self.snapshots.len() > 2
                && (self.snapshots.len() > self.config.max_snapshots
                    || self.snapshot_bytes() > self.config.max_snapshot_bytes)
            {
                // Keep the first and every other one after it; the spacing doubles.
                let mut i = 0;
                self.snapshots.retain(|_| {
                    i += 1;
                    i % 2 == 1
                });
                self.every = self.every.saturating_mul(2);
                self.reweigh();
            }
        }
    }

    /// What the regular snapshots hold together, as the model weighs them.
    pub fn snapshot_bytes(&self) -> usize {
        self.snapshots.iter().map(|s| s.bytes).fold(0, usize::saturating_add)
    }

    /// Weighs each regular snapshot again against its new neighbour (after thinning).
    fn reweigh(&mut self) {
        for i in 0..self.snapshots.len() {
            let (before, rest) = self.snapshots.split_at_mut(i);
            rest[0].bytes = rest[0].sim.model.snapshot_bytes(before.last().map(|s| &s.sim.model));
        }
    }

    /// Whether the next logged action is due before the next event, for `target`.
    fn action_due(&self, target: Seek) -> bool {
        let Some(a) = self.actions.get(self.applied) else {
            return false;
        };
        if a.events != self.sim.processed() || self.error.is_some() {
            return false;
        }
        match target {
            Seek::Time(t) => a.at_ms <= t,
            Seek::Events(n) => self.sim.processed() < n || a.at_ms <= self.rel(self.sim.now()),
            Seek::At(c) => self.sim.processed() < c.events || a.at_ms <= c.at_ms,
        }
    }

    /// Applies the next logged action (which is due) at its place.
    fn apply_logged(&mut self) {
        let index = self.applied;
        let a = self.actions[index].clone();
        let now_ms = self.rel(self.sim.now());
        let next_ms = self.sim.next_event_time().map(|t| self.rel(t));
        if a.at_ms < now_ms || next_ms.is_some_and(|n| n < a.at_ms) {
            self.error = Some(RewindError::DoesNotFit {
                index,
                action: format!("{:?}", a.action),
                events: a.events,
                at_ms: a.at_ms,
                found: match next_ms {
                    Some(n) if n < a.at_ms => format!("has its next event at {n} ms"),
                    _ => format!("is at {now_ms} ms after that event"),
                },
            });
            return;
        }
        self.sim.advance_clock(self.abs(a.at_ms));
        match self.sim.act(|m, ctx| m.apply(ctx, &a.action)) {
            Ok(()) => {
                self.note_action(&a.action);
                self.applied += 1;
                self.after_progress();
            }
            Err(reason) => {
                self.error = Some(RewindError::Refused { index, action: format!("{:?}", a.action), reason });
            }
        }
    }

    /// Runs forward toward `target`, processing at most `budget` events; true when it got there.
    fn forward(&mut self, target: Seek, budget: u64) -> bool {
        let mut n = 0u64;
        loop {
            while self.action_due(target) {
                self.apply_logged();
            }
            let go = match (target, self.sim.next_event_time()) {
                (_, None) => false,
                (Seek::Time(t), Some(next)) => self.rel(next) <= t,
                (Seek::Events(e), Some(_)) => self.sim.processed() < e,
                (Seek::At(c), Some(_)) => self.sim.processed() < c.events,
            };
            if !go {
                break;
            }
            if n >= budget {
                self.stats.replayed_events += n;
                return false;
            }
            // A logged action due before this event that could not be applied (a log that does not
            // fit) is never skipped silently.
            if let Some(a) = self.actions.get(self.applied) {
                if self.error.is_none() && a.events == self.sim.processed() {
                    self.error = Some(RewindError::DoesNotFit {
                        index: self.applied,
                        action: format!("{:?}", a.action),
                        events: a.events,
                        at_ms: a.at_ms,
                        found: "has its next event before that time".into(),
                    });
                }
            }
            self.sim.step();
            n += 1;
            self.after_progress();
        }
        let until = match target {
            Seek::Time(t) => Some(t),
            Seek::At(c) => Some(c.at_ms),
            Seek::Events(_) => None,
        };
        if let Some(t) = until {
            if !(self.finite && self.is_idle()) {
                self.sim.advance_clock(self.abs(t));
            }
            self.after_progress();
        }
        self.stats.replayed_events += n;
        true
    }

    /// Whether the position `p` is at or before where `target` leads.
    fn not_after(p: Pos, target: Seek) -> bool {
        match target {
            Seek::Time(t) => p.at.at_ms <= t,
            Seek::Events(n) => p.at.events <= n,
            Seek::At(c) => p.at <= c,
        }
    }

    /// Whether `target` lies behind the cursor (so the run must be restored from a snapshot).
    fn is_behind(&self, target: Seek) -> bool {
        let c = self.cursor();
        match target {
            Seek::Time(t) => t < c.at_ms,
            Seek::Events(n) => n < c.events,
            Seek::At(t) => t < c,
        }
    }

    /// Goes to `target`: forward by running (replaying the log within the history, extending it
    /// beyond), backward by restoring the nearest snapshot and replaying. Returns the cursor.
    pub fn seek(&mut self, target: Seek) -> Cursor {
        self.seek_bounded(target, u64::MAX);
        self.cursor()
    }

    /// Like [`Rewind::seek`] but processes at most `budget` events (a frame's worth); true when
    /// `target` was reached. Call again with the same target to go on.
    pub fn seek_bounded(&mut self, target: Seek, budget: u64) -> bool {
        let behind = self.is_behind(target);
        // The best place to start from: the latest snapshot at or before the target, if it is
        // later than the cursor (or the cursor is past the target).
        let here = self.pos();
        let pick = |v: &[Snapshot<M>]| v.iter().rposition(|s| Self::not_after(s.at, target));
        let regular = pick(&self.snapshots).map(|i| (false, i, self.snapshots[i].at));
        let scratch = pick(&self.scratch).map(|i| (true, i, self.scratch[i].at));
        let best = match (regular, scratch) {
            (Some(a), Some(b)) => Some(if b.2 > a.2 { b } else { a }),
            (a, b) => a.or(b),
        };
        if let Some((is_scratch, i, at)) = best {
            if behind || at > here {
                let snap = if is_scratch { &self.scratch[i] } else { &self.snapshots[i] };
                self.sim = snap.sim.clone();
                self.applied = snap.at.actions;
                self.stats.restores += 1;
                if behind {
                    self.error = None;
                }
            }
        }
        if behind {
            if let Seek::Events(target_events) = target {
                return self.replay_leaving_scratch(target_events, budget);
            }
        }
        self.forward(target, budget)
    }

    /// Replays up to `target` events, leaving scratch snapshots at `target - 2^k` events on the way,
    /// so that stepping back again and again restores a close one.
    fn replay_leaving_scratch(&mut self, target: u64, budget: u64) -> bool {
        let from = self.sim.processed();
        let mut marks: Vec<u64> = (0..40).map(|k| target.saturating_sub(1u64 << k)).take_while(|p| *p > from).collect();
        marks.reverse();
        marks.dedup();
        let here = self.pos();
        self.scratch.retain(|s| s.at <= here);
        for p in marks {
            let spent = self.sim.processed() - from;
            if !self.forward(Seek::Events(p), budget.saturating_sub(spent)) {
                return false;
            }
            if self.sim.processed() == p && self.scratch.last().is_none_or(|s| s.at.at.events < p) {
                self.scratch.push(Snapshot { at: self.pos(), sim: self.sim.clone(), bytes: 0 });
            }
        }
        while self.scratch.len() > SCRATCH {
            self.scratch.remove(0);
        }
        let left = budget.saturating_sub(self.sim.processed() - from);
        self.forward(Seek::Events(target), left)
    }

    /// Steps back one event (to the state right after the previous one, or the start). False
    /// when there is nothing to go back to.
    pub fn step_back(&mut self) -> bool {
        let before = self.pos();
        let n = self.sim.processed();
        self.seek(Seek::Events(n.saturating_sub(1)));
        if self.pos() == before && n == 0 {
            return false;
        }
        self.pos() != before
    }

    /// Steps forward one event (replaying the logged actions before it). False when the queue is
    /// empty.
    pub fn step_forward(&mut self) -> bool {
        let n = self.sim.processed();
        self.seek(Seek::Events(n + 1));
        self.sim.processed() > n
    }

    /// The last notable mark at a cursor strictly before this one.
    pub fn prev_mark(&self) -> Option<&Mark> {
        let here = self.cursor();
        self.marks.iter().rev().find(|m| m.at < here)
    }
    /// The first notable mark at a cursor strictly after this one (within the history).
    pub fn next_mark(&self) -> Option<&Mark> {
        let here = self.cursor();
        self.marks.iter().find(|m| m.at > here)
    }
    /// Goes to the previous notable mark (the moment right after it); false when there is none.
    pub fn seek_prev_mark(&mut self) -> bool {
        match self.prev_mark().map(|m| m.at) {
            Some(at) => {
                self.seek(Seek::At(at));
                true
            }
            None => false,
        }
    }
    /// Goes to the next notable mark within the history; false when there is none.
    pub fn seek_next_mark(&mut self) -> bool {
        match self.next_mark().map(|m| m.at) {
            Some(at) => {
                self.seek(Seek::At(at));
                true
            }
            None => false,
        }
    }
}

/// Checks a log's size and order.
pub fn check_log<A>(actions: &[LoggedAction<A>]) -> Result<(), RewindError> {
    if actions.len() > MAX_ACTIONS {
        return Err(RewindError::LogFull);
    }
    for (index, w) in actions.windows(2).enumerate() {
        if w[1].at() < w[0].at() {
            return Err(RewindError::OutOfOrder { index: index + 1, events: w[1].events, at_ms: w[1].at_ms });
        }
    }
    Ok(())
}

/// A rewind is played like any simulation: playing forward past the cursor replays the logged
/// future and then extends the history.
impl<M: Rewindable> Clocked for Rewind<M> {
    fn now(&self) -> SimTime {
        self.sim.now()
    }
    fn processed(&self) -> u64 {
        self.sim.processed()
    }
    fn next_event_time(&mut self) -> Option<SimTime> {
        // A logged action due before the next event counts as something to jump to.
        let action = self
            .actions
            .get(self.applied)
            .filter(|a| a.events == self.sim.processed() && self.error.is_none())
            .map(|a| self.abs(a.at_ms));
        match (action, self.sim.next_event_time()) {
            (Some(a), Some(e)) => Some(a.min(e)),
            (a, e) => a.or(e),
        }
    }
    fn step(&mut self) -> bool {
        self.step_forward()
    }
    fn run_until(&mut self, until: SimTime) {
        let t = self.rel(until);
        self.seek_bounded(Seek::Time(t), u64::MAX);
    }
    fn run_until_bounded(&mut self, until: SimTime, max_events: u64) -> bool {
        let t = self.rel(until);
        if t < self.cursor().at_ms {
            return true;
        }
        self.forward(Seek::Time(t), max_events)
    }
    fn step_back(&mut self) -> bool {
        Rewind::step_back(self)
    }
    fn can_step_back(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{SimRng, TEST_EPOCH};

    /// A few nodes that ping each other at random intervals; an action "kicks" a node (it schedules
    /// an extra burst); every 10th ping of node 0 is notable.
    #[derive(Clone)]
    struct Pinger {
        rng: SimRng,
        pings: Vec<u64>,
        notable: Vec<Notable>,
    }
    #[derive(Clone, Debug, PartialEq)]
    struct Ping(usize);

    impl Model for Pinger {
        type Event = Ping;
        fn handle(&mut self, ctx: &mut Ctx<'_, Ping>, Ping(n): Ping) {
            self.pings[n] += 1;
            if n == 0 && self.pings[0].is_multiple_of(10) {
                self.notable.push(Notable { kind: NotableKind::Handover, label: format!("ping {}", self.pings[0]) });
            }
            let to = self.rng.below(self.pings.len() as u64) as usize;
            let after = self.rng.range_inclusive(0, 30);
            ctx.schedule_in(SimDuration(after), Ping(to));
        }
        fn describe(&self, Ping(n): &Ping) -> (String, String) {
            (format!("n{n}"), format!("ping {}", self.pings[*n]))
        }
    }
    impl Rewindable for Pinger {
        type Action = usize;
        fn apply(&mut self, ctx: &mut Ctx<'_, Ping>, node: &usize) -> Result<(), String> {
            if *node >= self.pings.len() {
                return Err(format!("node {node} does not exist"));
            }
            self.notable.push(Notable { kind: NotableKind::Fault, label: format!("kick {node}") });
            for i in 0..3 {
                ctx.schedule_in(SimDuration(i), Ping(*node));
            }
            Ok(())
        }
        fn drain_notable(&mut self, _: SimTime, out: &mut Vec<Notable>) {
            out.append(&mut self.notable);
        }
    }

    fn sim(seed: u64) -> Simulation<Pinger> {
        let mut s =
            Simulation::new(Pinger { rng: SimRng::new(seed), pings: vec![0; 3], notable: Vec::new() }, TEST_EPOCH);
        s.schedule_in(SimDuration(1), Ping(0));
        s
    }

    fn small() -> RewindConfig {
        RewindConfig { every: 16, max_snapshots: 6, ..RewindConfig::default() }
    }

    #[test]
    fn seeking_back_gives_the_state_and_digest_of_the_straight_run() {
        let mut r = Rewind::with_config(sim(3), small());
        r.seek(Seek::Time(500));
        r.act(1).unwrap();
        r.seek(Seek::Time(2_000));
        let end = (r.cursor(), r.digest(), r.model().pings.clone());
        // Straight, in one go, with the same action at the same place.
        let mut straight = Rewind::with_log(sim(3), RewindConfig::default(), r.actions().to_vec()).unwrap();
        straight.seek(Seek::Time(2_000));
        assert_eq!((straight.cursor(), straight.digest(), straight.model().pings.clone()), end);
        // Back to 700 ms, and the digest equals a straight run to 700 ms.
        r.seek(Seek::Time(700));
        let mut to700 = Rewind::with_log(sim(3), small(), r.actions().to_vec()).unwrap();
        to700.seek(Seek::Time(700));
        assert_eq!(r.digest(), to700.digest());
        assert_eq!(r.cursor(), to700.cursor());
        // And forward again to the end.
        r.seek(Seek::Time(2_000));
        assert_eq!((r.cursor(), r.digest(), r.model().pings.clone()), end);
        assert!(r.stats().restores >= 1);
        let (n, _, every) = r.snapshot_counts();
        assert!(n <= 6 && every > 16, "thinned: {n} snapshots every {every}");
    }

    #[test]
    fn step_back_undoes_exactly_one_event() {
        let mut r = Rewind::with_config(sim(5), small());
        let mut digests = vec![r.digest()];
        for _ in 0..200 {
            assert!(r.step_forward());
            digests.push(r.digest());
        }
        for i in (0..200).rev() {
            assert!(r.step_back());
            assert_eq!(r.cursor().events, i as u64);
            assert_eq!(r.digest(), digests[i], "after stepping back to event {i}");
        }
        assert!(!r.step_back());
    }

    #[test]
    fn acting_while_rewound_cuts_off_the_future() {
        let mut r = Rewind::with_config(sim(7), small());
        r.seek(Seek::Time(300));
        r.act(2).unwrap();
        r.seek(Seek::Time(900));
        r.act(0).unwrap();
        r.seek(Seek::Time(1_500));
        assert_eq!(r.actions().len(), 2);
        r.seek(Seek::Time(600));
        assert!(r.is_rewound());
        assert_eq!(r.applied(), 1);
        let branch = r.act(1).unwrap().expect("a new branch");
        assert_eq!(branch.actions_dropped, 1);
        assert_eq!(branch.horizon_ms, 1_500);
        assert_eq!(r.actions().iter().map(|a| a.action).collect::<Vec<_>>(), [2, 1]);
        assert!(!r.is_rewound());
        assert!(r.marks().iter().all(|m| m.at <= r.cursor()));
        assert!(r.marks().iter().any(|m| m.label == "kick 1"), "the new branch's own action is marked");
        // A refused action changes nothing.
        r.seek(Seek::Time(100));
        assert_eq!(r.act(9).unwrap_err().to_string(), "node 9 does not exist");
        assert_eq!(r.actions().len(), 2);
        assert_eq!(r.horizon().at_ms, 600);
    }

    #[test]
    fn notable_marks_are_kept_and_jumped_to() {
        let mut r = Rewind::with_config(sim(11), small());
        r.seek(Seek::Time(200));
        r.act(0).unwrap();
        r.seek(Seek::Time(3_000));
        let marks = r.marks().to_vec();
        assert!(marks.len() > 3, "{marks:?}");
        assert!(marks.iter().any(|m| m.kind == NotableKind::Fault && m.label == "kick 0"));
        r.seek(Seek::Time(0));
        let mut seen = Vec::new();
        while r.seek_next_mark() {
            seen.push(r.cursor());
        }
        let mut expected: Vec<Cursor> = marks.iter().map(|m| m.at).collect();
        expected.dedup();
        assert_eq!(seen, expected);
        assert!(r.seek_prev_mark());
        assert_eq!(r.cursor(), expected[expected.len() - 2]);
    }

    #[test]
    fn a_log_that_does_not_fit_is_reported_not_skipped() {
        // Logged after event 30 but at time 0: the run's event 30 happens later than that.
        let bad = vec![LoggedAction { at_ms: 0, events: 30, action: 0usize }];
        let mut r = Rewind::with_log(sim(1), small(), bad).unwrap();
        r.seek(Seek::Events(20));
        assert_eq!(r.error(), None);
        r.seek(Seek::Events(40));
        assert!(matches!(r.error(), Some(RewindError::DoesNotFit { index: 0, events: 30, .. })), "{:?}", r.error());
        assert_eq!(r.pending_actions(), 1);
        let out_of_order = vec![
            LoggedAction { at_ms: 50, events: 10, action: 0usize },
            LoggedAction { at_ms: 40, events: 10, action: 1 },
        ];
        assert_eq!(
            Rewind::with_log(sim(1), small(), out_of_order).err().map(|e| e.to_string()),
            Some("action 1 is logged at 40 ms after event 10, before the action logged ahead of it; a log is in the order the actions happened".into())
        );
        let refused = vec![LoggedAction { at_ms: 0, events: 0, action: 7usize }];
        let mut r = Rewind::with_log(sim(1), small(), refused).unwrap();
        r.seek(Seek::Time(10));
        assert_eq!(
            r.error().map(|e| e.to_string()),
            Some("action 0 (7) was refused on replay: node 7 does not exist".into())
        );
    }
}
