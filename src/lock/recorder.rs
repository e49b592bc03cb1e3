//! The recorder: what happened in a lock run, kept for drawing and judging. Worker and Redis
//! lanes, the global and per-worker logs, GC pauses, each instance's last commands, and the safety
//! [`Checker`] that judges the same observations. The runtime only reports to it; the page and
//! `sim lock` only read it.
//!
//! Every history is bounded: entries older than [`HISTORY_WINDOW_MS`] of virtual time (the
//! timeline's widest window) go, in batches, and no history exceeds its count cap, so a run played
//! at 1000× for hours keeps a steady memory footprint. The summary's counts stay exact. Histories
//! are `sim::History`s, so a clone of the recorder (a rewind snapshot) shares their past.
//! Never reads a wall clock.

use super::checker::{Checker, Interval, HISTORY_LIMIT, HISTORY_WINDOW_MS};
use super::machine::WorkerState;
use crate::sim::{History, SimTime};
use serde::Serialize;
use std::collections::VecDeque;

/// How many commands each Redis panel keeps.
pub const REDIS_PANEL_COMMANDS: usize = 64;
/// How many lines each worker's own log keeps (within the window).
pub const WORKER_LOG_LIMIT: usize = 2_000;

/// What a worker lane shows over an interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "state")]
pub enum LaneState {
    NotStarted,
    State(WorkerState),
    Crashed,
}

/// One segment of a worker's timeline lane.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StateSpan {
    pub from: SimTime,
    pub to: Option<SimTime>,
    pub state: LaneState,
    /// The worker id during this span (a restarted worker has a new id).
    pub worker_id: String,
}

/// One segment of a Redis lane: the lock key's value, its deadline and which worker set it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RedisSpan {
    pub from: SimTime,
    pub to: Option<SimTime>,
    pub value: Option<String>,
    pub expires_at: Option<SimTime>,
    pub up: bool,
    /// The worker whose value this is, when known.
    pub owner: Option<usize>,
}

/// A line of a log, with its virtual time (ms since the run started).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    pub at_ms: u64,
    pub worker: Option<usize>,
    pub text: String,
}

/// A command a Redis instance executed (or dropped) and its reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CommandRecord {
    pub at_ms: u64,
    pub worker: usize,
    pub worker_id: String,
    pub command: String,
    pub reply: String,
}

/// The run's recorded history.
#[derive(Clone, Debug)]
pub struct Recorder {
    start: SimTime,
    log: History<LogEntry>,
    worker_logs: Vec<History<LogEntry>>,
    worker_lanes: Vec<History<StateSpan>>,
    pauses: Vec<History<Interval>>,
    redis_lanes: Vec<History<RedisSpan>>,
    commands: Vec<VecDeque<CommandRecord>>,
    checker: Checker,
}

impl Recorder {
    pub fn new(start: SimTime, worker_ids: &[String], instances: usize) -> Self {
        Recorder {
            start,
            log: History::new(),
            worker_logs: vec![History::new(); worker_ids.len()],
            worker_lanes: worker_ids
                .iter()
                .map(|id| {
                    History::from_iter([StateSpan {
                        from: start,
                        to: None,
                        state: LaneState::NotStarted,
                        worker_id: id.clone(),
                    }])
                })
                .collect(),
            pauses: vec![History::new(); worker_ids.len()],
            redis_lanes: (0..instances)
                .map(|_| {
                    History::from_iter([RedisSpan {
                        from: start,
                        to: None,
                        value: None,
                        expires_at: None,
                        up: true,
                        owner: None,
                    }])
                })
                .collect(),
            commands: vec![VecDeque::new(); instances],
            checker: Checker::new(),
        }
    }

    fn rel(&self, now: SimTime) -> u64 {
        now.saturating_since(self.start).0
    }

    /// A line for the global log only (faults, the scenario's steps).
    pub fn log(&mut self, now: SimTime, worker: Option<usize>, text: String) {
        let at_ms = self.rel(now);
        self.log.push(LogEntry { at_ms, worker, text });
        let start = self.start;
        self.log.trim_window(now, HISTORY_WINDOW_MS, HISTORY_LIMIT, |l| Some(start + crate::sim::SimDuration(l.at_ms)));
    }

    /// A line of worker `w`'s own log (also in the global log).
    pub fn worker_log(&mut self, now: SimTime, w: usize, text: String) {
        let at_ms = self.rel(now);
        let start = self.start;
        let end = |l: &LogEntry| Some(start + crate::sim::SimDuration(l.at_ms));
        self.worker_logs[w].push(LogEntry { at_ms, worker: Some(w), text: text.clone() });
        self.worker_logs[w].trim_window(now, HISTORY_WINDOW_MS, WORKER_LOG_LIMIT, end);
        self.log(now, Some(w), text);
    }

    /// Worker `w` is now in `state` (a new span unless nothing changed).
    pub fn set_lane(&mut self, now: SimTime, w: usize, state: LaneState, worker_id: &str) {
        let lane = &mut self.worker_lanes[w];
        if let Some(last) = lane.last_mut() {
            if last.state == state && last.worker_id == worker_id {
                return;
            }
            last.to = Some(now);
        }
        lane.push(StateSpan { from: now, to: None, state, worker_id: worker_id.to_string() });
        lane.trim_window(now, HISTORY_WINDOW_MS, HISTORY_LIMIT, |s| s.to);
    }

    pub fn pause(&mut self, now: SimTime, w: usize, until: SimTime) {
        self.pauses[w].push(Interval { from: now, to: Some(until) });
        self.pauses[w].trim_window(now, HISTORY_WINDOW_MS, HISTORY_LIMIT, |p| p.to);
    }

    /// Instance `i`'s lock key now looks like `span` (from `span.from`); a no-op when unchanged.
    pub fn redis_span(&mut self, now: SimTime, i: usize, span: RedisSpan) {
        let lane = &mut self.redis_lanes[i];
        let last = lane.last().map(|s| (&s.value, s.expires_at, s.up));
        if last == Some((&span.value, span.expires_at, span.up)) {
            return;
        }
        if let Some(l) = lane.last_mut() {
            l.to = Some(span.from);
        }
        lane.push(span);
        lane.trim_window(now, HISTORY_WINDOW_MS, HISTORY_LIMIT, |s| s.to);
    }

    pub fn command(&mut self, i: usize, record: CommandRecord) {
        let c = &mut self.commands[i];
        c.push_back(record);
        while c.len() > REDIS_PANEL_COMMANDS {
            c.pop_front();
        }
    }

    /// Roughly the heap bytes of this recorder's histories that `other` (another clone: a rewind
    /// snapshot's) does not share with it. Snapshots an hour or more apart share nothing, so each
    /// holds a whole window of lanes and logs: this is what rewind weighs them by.
    pub fn bytes_beyond(&self, other: Option<&Recorder>) -> usize {
        use std::mem::size_of;
        let log = |l: &LogEntry| size_of::<LogEntry>() + l.text.capacity();
        let span = |s: &StateSpan| size_of::<StateSpan>() + s.worker_id.capacity();
        let mut bytes = self.log.bytes_beyond(other.map(|o| &o.log), log);
        for (w, h) in self.worker_logs.iter().enumerate() {
            bytes += h.bytes_beyond(other.and_then(|o| o.worker_logs.get(w)), log);
        }
        for (w, h) in self.worker_lanes.iter().enumerate() {
            bytes += h.bytes_beyond(other.and_then(|o| o.worker_lanes.get(w)), span);
        }
        for (w, h) in self.pauses.iter().enumerate() {
            bytes += h.bytes_beyond(other.and_then(|o| o.pauses.get(w)), |_| size_of::<Interval>());
        }
        for (i, h) in self.redis_lanes.iter().enumerate() {
            bytes += h.bytes_beyond(other.and_then(|o| o.redis_lanes.get(i)), |s| {
                size_of::<RedisSpan>() + s.value.as_ref().map_or(0, String::capacity)
            });
        }
        let commands: usize = self
            .commands
            .iter()
            .flatten()
            .map(|c| size_of::<CommandRecord>() + c.worker_id.capacity() + c.command.capacity() + c.reply.capacity())
            .sum();
        bytes + commands + self.checker.bytes_beyond(other.map(|o| &o.checker))
    }

    pub fn checker(&self) -> &Checker {
        &self.checker
    }
    pub fn checker_mut(&mut self) -> &mut Checker {
        &mut self.checker
    }

    /// The global event log, in order (within the window).
    pub fn global_log(&self) -> &History<LogEntry> {
        &self.log
    }
    pub fn worker_log_lines(&self, w: usize) -> &History<LogEntry> {
        &self.worker_logs[w]
    }
    pub fn worker_lane(&self, w: usize) -> &History<StateSpan> {
        &self.worker_lanes[w]
    }
    pub fn pauses(&self, w: usize) -> &History<Interval> {
        &self.pauses[w]
    }
    pub fn redis_lane(&self, i: usize) -> &History<RedisSpan> {
        &self.redis_lanes[i]
    }
    pub fn redis_last(&self, i: usize) -> Option<&RedisSpan> {
        self.redis_lanes[i].last()
    }
    pub fn commands(&self, i: usize) -> &VecDeque<CommandRecord> {
        &self.commands[i]
    }

    /// How many entries every history holds now (what the memory figures follow).
    pub fn entries(&self) -> usize {
        self.log.len()
            + self.worker_logs.iter().map(History::len).sum::<usize>()
            + self.worker_lanes.iter().map(History::len).sum::<usize>()
            + self.pauses.iter().map(History::len).sum::<usize>()
            + self.redis_lanes.iter().map(History::len).sum::<usize>()
            + self.commands.iter().map(VecDeque::len).sum::<usize>()
            + self.checker.violations().len()
            + self.checker.writes().len()
    }
}
