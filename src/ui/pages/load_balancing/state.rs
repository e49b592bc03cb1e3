//! The load-balancing page's one reducer, over (scenario, action log, cursor): the run is a
//! rewindable `LbRewind` built from the applied scenario form, the seed and the epoch; the server
//! cards' buttons are logged actions (`Rewind::act`), the scrubber seeks and steps, and what the
//! page draws is a function of the run at its cursor. The run sits behind an `Rc<RefCell<…>>`
//! shared with `use_playback`, which moves the cursor forward frame by frame.

use std::cell::RefCell;
use std::rc::Rc;

use yew::prelude::*;

use crate::balance::replay::{LbReplay, LbRewind};
use crate::balance::{preset, Action, LbModel, Scenario, ScenarioForm};
use crate::sim::replay::ReplayModel;
use crate::sim::rewind::{LoggedAction, RewindConfig, Seek};
use crate::sim::{SimTime, TEST_EPOCH};
pub use crate::ui::components::scrubber::Stamp;
use crate::ui::components::scrubber::{branch_notice, RewindCommand};

use super::{CHART_WINDOWS, FLOW_CAPACITY};

/// Snapshot spacing for the page (every 512 events, at most 128 snapshots).
pub fn rewind_config() -> RewindConfig {
    RewindConfig::default()
}

/// A fresh run of `sc` with `seed`, keeping the page's bounded flows and chart windows, played as a
/// run that ends (the clock stays at the last event once every request has finished).
fn build(sc: &Scenario, seed: u64, epoch: SimTime, actions: Vec<LoggedAction<Action>>) -> Result<LbRewind, String> {
    let mut sim = LbModel::build(sc, seed, epoch)?;
    sim.model.record_flows(FLOW_CAPACITY);
    sim.model.metrics.keep_windows(CHART_WINDOWS);
    let mut r = LbRewind::with_log(sim, rewind_config(), actions).map_err(|e| e.to_string())?;
    r.set_finite(true);
    Ok(r)
}

fn build_or_default(sc: &Scenario, seed: u64, epoch: SimTime) -> LbRewind {
    // `ScenarioForm::from_url` and the editor only hand over scenarios that built a run.
    build(sc, seed, epoch, Vec::new())
        .or_else(|_| build(&Scenario::default(), seed, epoch, Vec::new()))
        .expect("the default scenario is valid")
}

/// Reads and checks a replay file's text (envelope, fields, log, then the scenario).
pub fn parse_replay(text: &str) -> Result<LbReplay, String> {
    let r = LbReplay::parse(text, LbModel::ID).map_err(|e| e.to_string())?;
    r.scenario.validate().map_err(|e| format!("the replay's scenario is not valid: {e}"))?;
    Ok(r)
}

/// The page's state.
pub struct LbState {
    pub run: Rc<RefCell<LbRewind>>,
    /// The applied form (the editor starts from it; the URL carries it).
    pub form: ScenarioForm,
    /// The scenario the run was built from (the form's, or a replay file's).
    pub scenario: Scenario,
    pub seed: u64,
    /// The run's epoch: the page's fixed one, or a link's or replay file's.
    pub epoch: SimTime,
    /// Why the last server action was refused.
    pub action_error: Option<String>,
    /// "New branch" after acting while rewound.
    pub branch: Option<String>,
    /// Why a replay file or a link's log was not used (the current run is kept).
    pub replay_error: Option<String>,
    /// Where the run is being taken (a link's or a replay's cursor), frame by frame.
    pub opening: Option<Seek>,
    /// Wall ms the last seek or step through the scrubber took (the browser budgets read it).
    pub last_seek_ms: Option<f64>,
    pub version: u64,
}

impl LbState {
    pub fn new(form: ScenarioForm, scenario: Scenario, seed: u64) -> Self {
        LbState {
            run: Rc::new(RefCell::new(build_or_default(&scenario, seed, TEST_EPOCH))),
            form,
            scenario,
            seed,
            epoch: TEST_EPOCH,
            action_error: None,
            branch: None,
            replay_error: None,
            opening: None,
            last_seek_ms: None,
            version: 0,
        }
    }

    /// Loads a link's action log and epoch (the page then takes the run to the link's cursor); a
    /// log that does not fit is refused with a message and the run starts fresh.
    pub fn with_log(mut self, actions: Vec<LoggedAction<Action>>, epoch: Option<SimTime>) -> Self {
        if let Some(e) = epoch {
            self.epoch = e;
            *self.run.borrow_mut() = build_or_default(&self.scenario, self.seed, e);
        }
        if actions.is_empty() {
            return self;
        }
        match build(&self.scenario, self.seed, self.epoch, actions) {
            Ok(r) => *self.run.borrow_mut() = r,
            Err(e) => self.replay_error = Some(format!("The link's action log was not used: {e}")),
        }
        self
    }

    pub fn stamp(&self) -> Stamp {
        Stamp::of(&self.run.borrow(), self.version)
    }

    /// A replay of the run as it stands, with its cursor (what "Download replay" saves).
    pub fn replay(&self) -> LbReplay {
        crate::sim::replay::capture(&*self.run.borrow(), &self.scenario, self.seed, true)
    }

    fn next(&self) -> LbState {
        LbState {
            run: self.run.clone(),
            form: self.form.clone(),
            scenario: self.scenario.clone(),
            seed: self.seed,
            epoch: self.epoch,
            action_error: self.action_error.clone(),
            branch: self.branch.clone(),
            replay_error: self.replay_error.clone(),
            opening: self.opening,
            last_seek_ms: self.last_seek_ms,
            version: self.version.wrapping_add(1),
        }
    }
}

/// A new run's definition.
pub struct Restart {
    pub form: ScenarioForm,
    pub scenario: Scenario,
    pub seed: u64,
}

/// What the user (or the page's loader) asks of the page.
pub enum LbMsg {
    /// A new run (Reset, a new seed, an applied form or preset).
    Restart(Box<Restart>),
    /// A server card's button, applied at the cursor and logged.
    Act(Action),
    /// Seek, step or jump in the run's history.
    Rewind(RewindCommand),
    /// The run was moved by the playback loop (nothing to do but redraw).
    Moved,
    /// Open a replay file's run, to be taken to its cursor.
    LoadReplay(Box<LbReplay>),
    /// A replay file (or a link) could not be used: say why, keep the current run.
    ReplayError(String),
    DismissBranch,
    /// The frame-sliced trip to a link's or replay's cursor is over.
    Opened,
}

impl Reducible for LbState {
    type Action = LbMsg;

    fn reduce(self: Rc<Self>, msg: LbMsg) -> Rc<Self> {
        let mut next = self.next();
        match msg {
            LbMsg::Restart(r) => {
                let Restart { form, scenario, seed } = *r;
                // The same cell, new contents: the playback loop holds this `Rc`.
                *next.run.borrow_mut() = build_or_default(&scenario, seed, self.epoch);
                next.form = form;
                next.scenario = scenario;
                next.seed = seed;
                next.action_error = None;
                next.branch = None;
                next.replay_error = None;
                next.opening = None;
            }
            LbMsg::Act(action) => {
                let mut run = next.run.borrow_mut();
                let at = run.cursor().at_ms;
                match run.act(action) {
                    Ok(branch) => {
                        next.action_error = None;
                        next.branch = branch.map(|b| branch_notice(at, &b));
                    }
                    Err(e) => next.action_error = Some(e.to_string()),
                }
            }
            LbMsg::Rewind(cmd) => {
                let t0 = crate::ui::performance_now();
                cmd.apply(&mut *next.run.borrow_mut());
                next.last_seek_ms = Some(crate::ui::performance_now() - t0);
                next.opening = None;
            }
            LbMsg::Moved => {}
            LbMsg::LoadReplay(r) => match build(&r.scenario, r.seed, r.epoch(), r.actions.clone()) {
                Ok(run) => {
                    *next.run.borrow_mut() = run;
                    let base = if preset(&r.scenario.name).is_ok() { r.scenario.name.as_str() } else { "custom" };
                    next.form = ScenarioForm::from_scenario(base, &r.scenario);
                    next.scenario = r.scenario.clone();
                    next.seed = r.seed;
                    next.epoch = r.epoch();
                    next.opening = r.cursor.map(Seek::At);
                    next.replay_error = None;
                    next.action_error = None;
                    next.branch = None;
                }
                Err(e) => {
                    next.replay_error = Some(format!("The replay was not opened: {e}. The current run is unchanged."))
                }
            },
            LbMsg::ReplayError(e) => next.replay_error = Some(e),
            LbMsg::DismissBranch => next.branch = None,
            LbMsg::Opened => {
                next.opening = None;
                if let Some(e) = next.run.borrow().error() {
                    next.replay_error = Some(format!("The run's action log does not fit it: {e}"));
                }
            }
        }
        Rc::new(next)
    }
}
