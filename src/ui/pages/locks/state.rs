//! The locks page's one reducer, over (scenario, action log, cursor): the run is a rewindable
//! `LockRewind` built from the scenario, the seed and the epoch; every action is an imperative
//! intent that calls the core (`Rewind::act`, `seek`, `step_back`, rebuild) and what the page draws
//! is a function of the run at its cursor. The run sits behind an `Rc<RefCell<…>>` shared with
//! `use_playback`, which moves the cursor forward frame by frame; [`LocksState::stamp`] says when
//! the run changed, so memoized panels redraw only then.

use std::cell::RefCell;
use std::rc::Rc;

use yew::prelude::*;

use crate::lock::url::Dur;
use crate::lock::{self, Action, LockReplay, LockRewind, Scenario};
use crate::sim::rewind::RewindConfig;
use crate::sim::SimTime;
use crate::ui::components::scrubber::{branch_notice, RewindCommand};

/// Page-level settings of the fault buttons.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FaultSettings {
    pub pause_ms: u64,
    pub drift_rate: f64,
    pub slow_ms: u64,
}

impl Default for FaultSettings {
    fn default() -> Self {
        FaultSettings { pause_ms: 15_000, drift_rate: 0.4, slow_ms: 2_000 }
    }
}

/// The run a page shows, shared with the playback loop. Compares by identity and stamp, so a
/// memoized panel that gets it as a prop redraws only when the run moved or changed.
#[derive(Clone)]
pub struct RunRef {
    pub run: Rc<RefCell<LockRewind>>,
    pub stamp: Stamp,
}

impl PartialEq for RunRef {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.run, &o.run) && self.stamp == o.stamp
    }
}

pub use crate::ui::components::scrubber::Stamp;

/// The page's state.
pub struct LocksState {
    pub run: Rc<RefCell<LockRewind>>,
    pub scenario: Scenario,
    /// The run's epoch (Unix ms): read once when the page mounts, or from a link or replay file.
    pub epoch: SimTime,
    pub faults: FaultSettings,
    pub action_error: Option<String>,
    pub form_error: Option<String>,
    /// "New branch" after acting while rewound.
    pub branch: Option<String>,
    /// Why a replay file or a link's log was not used (the current run is kept).
    pub replay_error: Option<String>,
    /// Where the run is being taken (a link's or a replay's cursor), frame by frame.
    pub opening: Option<crate::sim::rewind::Seek>,
    /// Wall ms the last seek or step through the scrubber took (the browser budgets read it).
    pub last_seek_ms: Option<f64>,
    pub version: u64,
}

/// Snapshot spacing for the page: every 512 events, at most 128 snapshots (~250 KB each for 16
/// workers, sharing their history; `sim lock --rewind-memory` measures it).
pub fn rewind_config() -> RewindConfig {
    RewindConfig::default()
}

fn build(scenario: &Scenario, epoch: SimTime) -> LockRewind {
    let sim = lock::build(scenario, epoch)
        .or_else(|_| lock::build(&Scenario::default(), epoch))
        .expect("the default scenario is valid");
    LockRewind::with_config(sim, rewind_config())
}

impl LocksState {
    pub fn new(scenario: Scenario, epoch: SimTime) -> Self {
        LocksState {
            run: Rc::new(RefCell::new(build(&scenario, epoch))),
            scenario,
            epoch,
            faults: FaultSettings::default(),
            action_error: None,
            form_error: None,
            branch: None,
            replay_error: None,
            opening: None,
            last_seek_ms: None,
            version: 0,
        }
    }

    /// Loads a link's action log (to be taken to its cursor by the page); a log that does not
    /// belong to the scenario is refused with a message and the run starts fresh.
    pub fn with_log(mut self, actions: Vec<crate::sim::LoggedAction<Action>>) -> Self {
        if actions.is_empty() {
            return self;
        }
        let sim = lock::build(&self.scenario, self.epoch).expect("validated scenario");
        match LockRewind::with_log(sim, rewind_config(), actions) {
            Ok(r) => *self.run.borrow_mut() = r,
            Err(e) => self.replay_error = Some(format!("The link's action log was not used: {e}")),
        }
        self
    }

    pub fn stamp(&self) -> Stamp {
        Stamp::of(&self.run.borrow(), self.version)
    }

    pub fn run_ref(&self) -> RunRef {
        RunRef { run: self.run.clone(), stamp: self.stamp() }
    }

    /// A replay of the run as it stands, with its cursor (what "Download replay" saves).
    pub fn replay(&self) -> LockReplay {
        crate::sim::replay::capture(&*self.run.borrow(), &self.scenario, self.scenario.seed, true)
    }

    fn next(&self) -> LocksState {
        LocksState {
            run: self.run.clone(),
            scenario: self.scenario.clone(),
            epoch: self.epoch,
            faults: self.faults,
            action_error: self.action_error.clone(),
            form_error: self.form_error.clone(),
            branch: self.branch.clone(),
            replay_error: self.replay_error.clone(),
            opening: self.opening,
            last_seek_ms: self.last_seek_ms,
            version: self.version.wrapping_add(1),
        }
    }
}

/// Reads and checks a replay file's text (envelope, fields, log, then the scenario).
pub fn parse_replay(text: &str) -> Result<LockReplay, String> {
    use crate::sim::replay::ReplayModel;
    let r = LockReplay::parse(text, lock::LockRuntime::ID).map_err(|e| e.to_string())?;
    Scenario { seed: r.seed, ..r.scenario.clone() }
        .validate()
        .map_err(|e| format!("the replay's scenario is not valid: {e}"))?;
    Ok(r)
}

/// What the user (or the page's loader) asks of the page.
pub enum LocksAction {
    /// Rebuild the run from this scenario (a settings change, a preset, the seed, Reset).
    SetScenario(Scenario),
    /// A fault button: applied at the cursor and logged.
    Act(Action),
    /// Seek, step or jump in the run's history.
    Rewind(RewindCommand),
    /// The run was moved by the playback loop (nothing to do but redraw).
    Moved,
    /// Open a replay file's run (its scenario, seed, epoch and log), to be taken to its cursor.
    LoadReplay(Box<LockReplay>),
    /// A replay file (or a link) could not be used: say why, keep the current run.
    ReplayError(String),
    FormError(String),
    /// A fault setting field (`pause`, `drift`, `slow`) changed.
    FaultSetting(&'static str, String),
    DismissBranch,
    /// The frame-sliced trip to a link's or replay's cursor is over.
    Opened,
}

impl Reducible for LocksState {
    type Action = LocksAction;

    fn reduce(self: Rc<Self>, action: LocksAction) -> Rc<Self> {
        let mut next = self.next();
        match action {
            LocksAction::SetScenario(s) => {
                if let Err(e) = s.validate() {
                    next.form_error = Some(e.to_string());
                    return Rc::new(next);
                }
                next.form_error = None;
                next.action_error = None;
                next.branch = None;
                next.replay_error = None;
                next.opening = None;
                // The same cell, new contents: the playback loop holds this `Rc`.
                *next.run.borrow_mut() = build(&s, self.epoch);
                next.scenario = s;
            }
            LocksAction::Act(a) => {
                let at = next.run.borrow().cursor().at_ms;
                let result = next.run.borrow_mut().act(a);
                match result {
                    Ok(branch) => {
                        next.action_error = None;
                        if let Some(b) = branch {
                            next.branch = Some(branch_notice(at, &b));
                        }
                    }
                    Err(e) => next.action_error = Some(e.to_string()),
                }
            }
            LocksAction::Rewind(cmd) => {
                let t0 = crate::ui::performance_now();
                cmd.apply(&mut *next.run.borrow_mut());
                next.last_seek_ms = Some(crate::ui::performance_now() - t0);
                next.opening = None;
            }
            LocksAction::Moved => {}
            LocksAction::LoadReplay(r) => {
                let sim = lock::build(&Scenario { seed: r.seed, ..r.scenario.clone() }, r.epoch());
                let built = sim.map_err(|e| format!("The replay's scenario is not valid: {e}")).and_then(|sim| {
                    LockRewind::with_log(sim, rewind_config(), r.actions.clone()).map_err(|e| e.to_string())
                });
                match built {
                    Ok(run) => {
                        *next.run.borrow_mut() = run;
                        next.scenario = Scenario { seed: r.seed, ..r.scenario.clone() };
                        next.epoch = r.epoch();
                        next.opening = r.cursor.map(crate::sim::rewind::Seek::At);
                        next.replay_error = None;
                        next.action_error = None;
                        next.form_error = None;
                        next.branch = None;
                    }
                    Err(e) => {
                        next.replay_error =
                            Some(format!("The replay was not opened: {e}. The current run is unchanged."))
                    }
                }
            }
            LocksAction::ReplayError(e) => next.replay_error = Some(e),
            LocksAction::FormError(e) => next.form_error = Some(e),
            LocksAction::FaultSetting(name, value) => {
                let mut f = next.faults;
                let bad = |what: &str| Some(format!("{name} {value:?} is not accepted; expected {what}"));
                let err = match name {
                    "pause" => match value.parse::<Dur>() {
                        Ok(d) if (1..=600_000).contains(&d.0) => {
                            f.pause_ms = d.0;
                            None
                        }
                        _ => bad("a duration from 1ms to 10m, like 15s"),
                    },
                    "drift" => match value.trim().parse::<f64>() {
                        Ok(r) if r.is_finite() && (0.01..=100.0).contains(&r) => {
                            f.drift_rate = r;
                            None
                        }
                        _ => bad("a clock rate from 0.01 to 100 (1 = exact)"),
                    },
                    _ => match value.parse::<Dur>() {
                        Ok(d) if d.0 <= 60_000 => {
                            f.slow_ms = d.0;
                            None
                        }
                        _ => bad("a delay from 0ms to 60s, like 2s"),
                    },
                };
                next.action_error = err;
                next.faults = f;
            }
            LocksAction::DismissBranch => next.branch = None,
            LocksAction::Opened => {
                next.opening = None;
                if let Some(e) = next.run.borrow().error() {
                    next.replay_error = Some(format!("The run's action log does not fit it: {e}"));
                }
            }
        }
        Rc::new(next)
    }
}
