//! The locks page's state: a [`RewindPage`] (scenario, action log, cursor) whose run is a
//! rewindable `LockRewind` built from the scenario, the seed and the epoch; the fault buttons are
//! logged actions. The page's own state is the fault buttons' settings and the settings form's
//! error; its own messages apply a scenario (checked first) and change a fault setting.

use crate::lock::url::Dur;
use crate::lock::{LockReplay, LockRuntime, Scenario};
use crate::sim::rewind::RewindConfig;
use crate::sim::SimTime;
pub use crate::ui::components::scrubber::Stamp;
use crate::ui::rewind_page::{NewRun, RewindMsg, RewindPage, RewindPageSpec};

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

/// The locks page as a [`RewindPageSpec`].
pub struct LocksPage;

/// The page's state. `scenario.seed` is the run's seed (kept equal to `seed`).
pub type LocksState = RewindPage<LocksPage>;
/// What the user (or the page's loader) asks of the page.
pub type LocksAction = RewindMsg<LocksPage>;
/// The run a page shows, shared with the playback loop (memoized panels take it as a prop).
pub type RunRef = crate::ui::rewind_page::RunRef<LockRuntime>;

/// The page's own state beside the run.
#[derive(Clone, Default)]
pub struct LocksExtra {
    pub faults: FaultSettings,
    /// Why the last settings form was refused.
    pub form_error: Option<String>,
}

/// The page's own messages.
pub enum LocksPageMsg {
    /// Rebuild the run from this scenario (a settings change, a preset, the seed, Reset), if valid.
    SetScenario(Box<Scenario>),
    FormError(String),
    /// A fault setting field (`pause`, `drift`, `slow`) changed.
    FaultSetting(&'static str, String),
}

/// A fresh page's state: the run of `scenario` from `epoch`.
pub fn new_state(scenario: Scenario, epoch: SimTime) -> LocksState {
    let seed = scenario.seed;
    LocksState::new(scenario, seed, epoch, LocksExtra::default())
}

impl RewindPageSpec for LocksPage {
    type Model = LockRuntime;
    type Extra = LocksExtra;
    type Msg = LocksPageMsg;

    fn validate(scenario: &Scenario, seed: u64) -> Result<(), String> {
        Scenario { seed, ..scenario.clone() }.validate().map_err(|e| e.to_string())
    }

    fn fallback() -> Scenario {
        Scenario::default()
    }

    fn config() -> RewindConfig {
        crate::lock::replay::page_rewind_config()
    }

    fn on_new_run(page: &mut LocksState, origin: NewRun<'_, LockRuntime>) {
        if let NewRun::Replay(_) = origin {
            page.scenario.seed = page.seed;
        }
        page.extra.form_error = None;
    }

    fn reduce(next: &mut LocksState, msg: LocksPageMsg) {
        match msg {
            LocksPageMsg::SetScenario(s) => match s.validate() {
                Err(e) => next.extra.form_error = Some(e.to_string()),
                Ok(()) => {
                    let seed = s.seed;
                    next.restart(*s, seed);
                }
            },
            LocksPageMsg::FormError(e) => next.extra.form_error = Some(e),
            LocksPageMsg::FaultSetting(name, value) => {
                let mut f = next.extra.faults;
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
                next.extra.faults = f;
            }
        }
    }
}

/// Reads and checks a replay file's text (envelope, fields, log, then the scenario).
pub fn parse_replay(text: &str) -> Result<LockReplay, String> {
    LocksState::parse_replay(text)
}
