//! The load-balancing page's state: a [`RewindPage`] (scenario, action log, cursor) whose run is a
//! rewindable `LbRewind` built from the applied scenario form, the seed and the epoch, kept with
//! bounded flows and chart windows and played as a run that ends. The server cards' buttons are
//! logged actions; the page's own state is the applied form, and its own message a restart from a
//! new form.

use crate::balance::replay::LbRewind;
use crate::balance::{preset, Action, LbModel, Scenario, ScenarioForm};
use crate::sim::replay::ReplayModel;
use crate::sim::rewind::{LoggedAction, RewindConfig};
use crate::sim::SimTime;
pub use crate::ui::components::scrubber::Stamp;
use crate::ui::rewind_page::{NewRun, RewindMsg, RewindPage, RewindPageSpec};

use super::{CHART_WINDOWS, FLOW_CAPACITY};

/// The load-balancing page as a [`RewindPageSpec`].
pub struct LbPage;

/// The page's state.
pub type LbState = RewindPage<LbPage>;
/// What the user (or the page's loader) asks of the page.
pub type LbMsg = RewindMsg<LbPage>;

/// The page's own state beside the run.
#[derive(Clone)]
pub struct LbExtra {
    /// The applied form (the editor starts from it; the URL carries it).
    pub form: ScenarioForm,
}

/// The page's own messages.
pub enum LbPageMsg {
    /// A new run from an applied form (or a preset, a new seed, Reset): the form is kept for the
    /// editor and the URL.
    Restart { form: ScenarioForm, scenario: Box<Scenario>, seed: u64 },
}

impl RewindPageSpec for LbPage {
    type Model = LbModel;
    type Extra = LbExtra;
    type Msg = LbPageMsg;

    fn validate(scenario: &Scenario, _seed: u64) -> Result<(), String> {
        scenario.validate().map_err(|e| e.to_string())
    }

    fn fallback() -> Scenario {
        Scenario::default()
    }

    /// Snapshots capped by bytes ([`crate::balance::replay::page_rewind_config`]).
    fn config() -> RewindConfig {
        crate::balance::replay::page_rewind_config()
    }

    /// Keeps the page's bounded flows and chart windows, played as a run that ends (the clock stays
    /// at the last event once every request has finished).
    fn build(sc: &Scenario, seed: u64, epoch: SimTime, actions: Vec<LoggedAction<Action>>) -> Result<LbRewind, String> {
        let mut sim = LbModel::build(sc, seed, epoch)?;
        sim.model.record_flows(FLOW_CAPACITY);
        sim.model.metrics.keep_windows(CHART_WINDOWS);
        let mut r = LbRewind::with_log(sim, Self::config(), actions).map_err(|e| e.to_string())?;
        r.set_finite(true);
        Ok(r)
    }

    fn on_new_run(page: &mut LbState, origin: NewRun<'_, LbModel>) {
        if let NewRun::Replay(r) = origin {
            let base = if preset(&r.scenario.name).is_ok() { r.scenario.name.as_str() } else { "custom" };
            page.extra.form = ScenarioForm::from_scenario(base, &r.scenario);
        }
    }

    fn reduce(page: &mut LbState, msg: LbPageMsg) {
        match msg {
            LbPageMsg::Restart { form, scenario, seed } => {
                page.restart(*scenario, seed);
                page.extra.form = form;
            }
        }
    }
}

/// Reads and checks a replay file's text (envelope, fields, log, then the scenario).
pub fn parse_replay(text: &str) -> Result<crate::balance::replay::LbReplay, String> {
    LbState::parse_replay(text)
}
