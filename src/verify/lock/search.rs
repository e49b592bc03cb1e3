//! Breadth-first search over the lock model, resumable in slices (the browser runs it a slice at a
//! time in a Web Worker; the CLI runs it to the end).
//!
//! Each distinct canonical state is stored once: its fingerprint in the [`FingerprintSet`] and, by
//! its number, the parent's number and the action that reached it (8 bytes), so a trace is rebuilt
//! by replaying actions from the start. Only the current and the next level are kept as encoded
//! bytes. A property's first violation is met on the shallowest level that has one, so its trace
//! is a shortest counterexample; the search goes on until every property asked for has one, the
//! state space within the depth is exhausted, or the state limit is reached.

use super::config::{CheckConfig, ConfigError, Property};
use super::model::{Action, LockModel};
use super::trace::{build_trace, TraceStep};
use crate::verify::fingerprint::{hash_bytes, FingerprintSet};
use serde::Serialize;

const ROOT: u32 = u32::MAX;

/// Why the search stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stop {
    /// Every property asked for has a counterexample.
    AllFound,
    /// No new state within the depth: the bounded state space is explored completely.
    Exhausted,
    /// The depth bound was reached with states still unexplored beyond it.
    Depth,
    /// The distinct-state limit was reached.
    StateLimit,
}

/// Progress figures, cheap to read between slices.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// Successor states generated (duplicates included).
    pub states: u64,
    pub unique_states: u64,
    /// The deepest level fully explored.
    pub depth: u32,
    pub found: usize,
    pub done: bool,
}

/// One property's answer.
#[derive(Clone, Debug, Serialize)]
pub struct PropertyOutcome {
    pub property: Property,
    pub sentence: &'static str,
    /// `counterexample` or `no-counterexample`.
    pub result: &'static str,
    /// The counterexample's length, or the depth explored without one.
    pub depth: u32,
    /// What the answer means, in one sentence.
    pub summary: String,
    pub trace: Vec<TraceStep>,
}

/// The whole answer.
#[derive(Clone, Debug, Serialize)]
pub struct CheckReport {
    pub config: CheckConfig,
    pub states: u64,
    pub unique_states: u64,
    pub depth: u32,
    pub stop: Stop,
    /// True when the bounded state space was explored completely (no counterexample is a proof
    /// within the bounds).
    pub complete: bool,
    /// Actions not explored because they would put more messages in flight than the model holds.
    pub pruned: u64,
    /// Distinct worker machines met, and calls of the real `LockWorker::handle`.
    pub machine_classes: usize,
    pub machine_calls: u64,
    pub outcomes: Vec<PropertyOutcome>,
}

pub struct Search {
    model: LockModel,
    wanted: Vec<Property>,
    seen: FingerprintSet,
    parent: Vec<u32>,
    action: Vec<u32>,
    level: Vec<u8>,
    level_offsets: Vec<(u32, u32)>,
    cursor: usize,
    next: Vec<u8>,
    next_offsets: Vec<(u32, u32)>,
    depth: u32,
    states: u64,
    pruned: u64,
    found: Vec<(Property, u32, u32, u32)>,
    stop: Option<Stop>,
    buf: Vec<u8>,
    scratch: Vec<u8>,
    actions: Vec<Action>,
}

impl Search {
    pub fn new(cfg: CheckConfig) -> Result<Search, ConfigError> {
        cfg.validate()?;
        let wanted = cfg.properties();
        let model = LockModel::new(cfg);
        let mut s = Search {
            model,
            wanted,
            seen: FingerprintSet::new(),
            parent: Vec::new(),
            action: Vec::new(),
            level: Vec::new(),
            level_offsets: Vec::new(),
            cursor: 0,
            next: Vec::new(),
            next_offsets: Vec::new(),
            depth: 0,
            states: 0,
            pruned: 0,
            found: Vec::new(),
            stop: None,
            buf: Vec::new(),
            scratch: Vec::new(),
            actions: Vec::new(),
        };
        let init = s.model.initial();
        s.model.canonical(&init, &mut s.buf, &mut s.scratch);
        let (id, _) = s.seen.insert(hash_bytes(&s.buf));
        s.parent.push(ROOT);
        s.action.push(0);
        s.level_offsets.push((0, id));
        s.level.extend_from_slice(&s.buf);
        s.level_offsets.push((s.level.len() as u32, 0));
        Ok(s)
    }

    pub fn progress(&self) -> Progress {
        Progress {
            states: self.states,
            unique_states: self.seen.len() as u64,
            depth: self.depth,
            found: self.found.len(),
            done: self.stop.is_some(),
        }
    }

    pub fn is_done(&self) -> bool {
        self.stop.is_some()
    }

    /// Generates about `budget` successor states (a slice), then returns.
    pub fn run_slice(&mut self, budget: u64) -> Progress {
        let mut spent = 0u64;
        while self.stop.is_none() && spent < budget {
            if self.cursor + 1 >= self.level_offsets.len() {
                self.next_level();
                continue;
            }
            let (start, id) = self.level_offsets[self.cursor];
            let end = self.level_offsets[self.cursor + 1].0;
            self.cursor += 1;
            let state = self.model.decode(&self.level[start as usize..end as usize]);
            let mut actions = std::mem::take(&mut self.actions);
            self.model.actions(&state, &mut actions);
            for &a in &actions {
                let (succ, fx) = self.model.apply(&state, a);
                spent += 1;
                self.states += 1;
                if fx.overflow {
                    self.pruned += 1;
                    continue;
                }
                if fx.violated != 0 {
                    for &p in &self.wanted {
                        if fx.violated & p.bit() != 0 && !self.found.iter().any(|f| f.0 == p) {
                            self.found.push((p, id, a.encode(), self.depth + 1));
                        }
                    }
                }
                self.model.canonical(&succ, &mut self.buf, &mut self.scratch);
                let (nid, new) = self.seen.insert(hash_bytes(&self.buf));
                if new {
                    self.parent.push(id);
                    self.action.push(a.encode());
                    self.next_offsets.push((self.next.len() as u32, nid));
                    self.next.extend_from_slice(&self.buf);
                }
            }
            self.actions = actions;
            if self.found.len() == self.wanted.len() {
                self.stop = Some(Stop::AllFound);
            } else if self.seen.len() as u64 >= self.model.cfg.max_states {
                self.stop = Some(Stop::StateLimit);
            }
        }
        self.progress()
    }

    fn next_level(&mut self) {
        self.depth += 1;
        if self.next_offsets.is_empty() {
            self.stop = Some(Stop::Exhausted);
            return;
        }
        if self.depth >= self.model.cfg.depth {
            self.stop = Some(Stop::Depth);
            return;
        }
        std::mem::swap(&mut self.level, &mut self.next);
        std::mem::swap(&mut self.level_offsets, &mut self.next_offsets);
        self.next.clear();
        self.next_offsets.clear();
        self.level_offsets.push((self.level.len() as u32, 0));
        self.cursor = 0;
    }

    /// Runs to the end.
    pub fn run(&mut self) -> Progress {
        while !self.is_done() {
            self.run_slice(1 << 20);
        }
        self.progress()
    }

    /// The answer (call once done; before that it reports what is known so far).
    pub fn report(&mut self) -> CheckReport {
        let stop = self.stop.unwrap_or(Stop::Depth);
        let complete = stop == Stop::Exhausted;
        let explored = match stop {
            Stop::Exhausted | Stop::Depth => self.depth,
            Stop::AllFound | Stop::StateLimit => self.depth.saturating_sub(1),
        };
        let unique = self.seen.len() as u64;
        let mut outcomes = Vec::new();
        for &p in &self.wanted.clone() {
            let outcome = match self.found.iter().find(|f| f.0 == p).copied() {
                Some((_, from, action, depth)) => {
                    let mut path = vec![action];
                    let mut at = from;
                    while self.parent[at as usize] != ROOT {
                        path.push(self.action[at as usize]);
                        at = self.parent[at as usize];
                    }
                    path.reverse();
                    let trace = build_trace(&mut self.model, &path);
                    PropertyOutcome {
                        property: p,
                        sentence: p.sentence(),
                        result: "counterexample",
                        depth,
                        summary: format!("counterexample in {depth} steps: {}", p.sentence()),
                        trace,
                    }
                }
                None => {
                    let bound = if complete {
                        format!("the bounded state space is exhausted at depth {explored}")
                    } else if stop == Stop::StateLimit {
                        format!("stopped at the state limit ({} states)", self.model.cfg.max_states)
                    } else {
                        format!("up to depth {explored}")
                    };
                    PropertyOutcome {
                        property: p,
                        sentence: p.sentence(),
                        result: "no-counterexample",
                        depth: explored,
                        summary: format!("no counterexample {bound}, {unique} states: never {}", p.sentence()),
                        trace: Vec::new(),
                    }
                }
            };
            outcomes.push(outcome);
        }
        CheckReport {
            config: self.model.cfg.clone(),
            states: self.states,
            unique_states: unique,
            depth: explored,
            stop,
            complete,
            pruned: self.pruned,
            machine_classes: self.model.machines.classes(),
            machine_calls: self.model.machines.handled,
            outcomes,
        }
    }
}

/// Runs a whole check.
pub fn check(cfg: CheckConfig) -> Result<CheckReport, ConfigError> {
    let mut s = Search::new(cfg)?;
    s.run();
    Ok(s.report())
}
