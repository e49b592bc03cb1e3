//! The cache-aside demo's one reducer, over (scenario, action log, cursor): the run is a rewindable
//! `CacheRewind` built from the settings it starts with, the seed and the epoch; typed requests and
//! settings changes are logged actions (`Rewind::act`), the scrubber seeks and steps, and what the
//! demo draws is a function of the run at its cursor. The run sits behind an `Rc<RefCell<…>>`
//! shared with `use_playback`, which moves the cursor forward frame by frame.

use std::cell::RefCell;
use std::rc::Rc;

use yew::prelude::*;

use crate::redis::cache_aside::replay::{CacheAction, CacheReplay, CacheRewind, Settings};
use crate::redis::cache_aside::CacheAside;
use crate::sim::replay::ReplayModel;
use crate::sim::rewind::{LoggedAction, RewindConfig, Seek};
use crate::sim::{SimTime, TEST_EPOCH};
use crate::ui::components::scrubber::{branch_notice, RewindCommand};

/// Events a typed request made while paused may run to reach its reply.
const FAST_FORWARD_EVENTS: usize = 100_000;

/// Snapshot spacing for the demo (every 512 events, at most 128 snapshots).
pub fn rewind_config() -> RewindConfig {
    RewindConfig::default()
}

fn build(settings: &Settings, seed: u64, epoch: SimTime) -> CacheRewind {
    let sim = CacheAside::build(settings, seed, epoch)
        .or_else(|_| CacheAside::build(&Settings::default(), seed, epoch))
        .expect("the default settings are valid");
    CacheRewind::with_config(sim, rewind_config())
}

/// Reads and checks a replay file's text (envelope, fields, log, then the settings).
pub fn parse_replay(text: &str) -> Result<CacheReplay, String> {
    let r = CacheReplay::parse(text, CacheAside::ID).map_err(|e| e.to_string())?;
    r.scenario.validate().map_err(|e| format!("the replay's settings are not valid: {e}"))?;
    Ok(r)
}

pub use crate::ui::components::scrubber::Stamp;

/// The demo's state.
pub struct CacheState {
    pub run: Rc<RefCell<CacheRewind>>,
    /// The settings the run started with (the scenario; later changes are in the action log).
    pub settings: Settings,
    pub seed: u64,
    /// The run's epoch: the demo's fixed one, or a replay file's.
    pub epoch: SimTime,
    /// Why the last typed request or settings change was refused.
    pub action_error: Option<String>,
    /// "New branch" after acting while rewound.
    pub branch: Option<String>,
    /// Why a replay file or a link's log was not used (the current run is kept).
    pub replay_error: Option<String>,
    /// Where the run is being taken (a link's or a replay's cursor), frame by frame.
    pub opening: Option<Seek>,
    /// Wall ms the last seek or step through the scrubber took (the browser budgets read it).
    pub last_seek_ms: Option<f64>,
    /// The last typed request's id (its result is shown while the cursor is past its start).
    pub last_typed: Option<u64>,
    pub version: u64,
}

impl CacheState {
    pub fn new(settings: Settings, seed: u64) -> Self {
        CacheState {
            run: Rc::new(RefCell::new(build(&settings, seed, TEST_EPOCH))),
            settings,
            seed,
            epoch: TEST_EPOCH,
            action_error: None,
            branch: None,
            replay_error: None,
            opening: None,
            last_seek_ms: None,
            last_typed: None,
            version: 0,
        }
    }

    /// Loads a link's action log (the page then takes the run to the link's cursor); a log that does
    /// not fit is refused with a message and the run starts fresh.
    pub fn with_log(mut self, actions: Vec<LoggedAction<CacheAction>>, epoch: Option<SimTime>) -> Self {
        if let Some(e) = epoch {
            self.epoch = e;
            *self.run.borrow_mut() = build(&self.settings, self.seed, e);
        }
        if actions.is_empty() {
            return self;
        }
        let sim = CacheAside::build(&self.settings, self.seed, self.epoch).expect("validated settings");
        match CacheRewind::with_log(sim, rewind_config(), actions) {
            Ok(r) => *self.run.borrow_mut() = r,
            Err(e) => self.replay_error = Some(format!("The link's action log was not used: {e}")),
        }
        self
    }

    pub fn stamp(&self) -> Stamp {
        Stamp::of(&self.run.borrow(), self.version)
    }

    /// A replay of the run as it stands, with its cursor (what "Download replay" saves).
    pub fn replay(&self) -> CacheReplay {
        crate::sim::replay::capture(&*self.run.borrow(), &self.settings, self.seed, true)
    }

    fn next(&self) -> CacheState {
        CacheState {
            run: self.run.clone(),
            settings: self.settings.clone(),
            seed: self.seed,
            epoch: self.epoch,
            action_error: self.action_error.clone(),
            branch: self.branch.clone(),
            replay_error: self.replay_error.clone(),
            opening: self.opening,
            last_seek_ms: self.last_seek_ms,
            last_typed: self.last_typed,
            version: self.version.wrapping_add(1),
        }
    }
}

/// What the user (or the page's loader) asks of the demo.
pub enum CacheMsg {
    /// A new run from these settings and seed (Reset, a new seed).
    Restart {
        settings: Settings,
        seed: u64,
    },
    /// A typed request or a settings change, applied at the cursor and logged. A request made while
    /// paused runs on to its reply at once (`complete`).
    Act {
        action: CacheAction,
        complete: bool,
    },
    /// Seek, step or jump in the run's history.
    Rewind(RewindCommand),
    /// The run was moved by the playback loop (nothing to do but redraw).
    Moved,
    /// Open a replay file's run, to be taken to its cursor.
    LoadReplay(Box<CacheReplay>),
    /// A replay file (or a link) could not be used: say why, keep the current run.
    ReplayError(String),
    DismissBranch,
    /// The frame-sliced trip to a link's or replay's cursor is over.
    Opened,
}

impl Reducible for CacheState {
    type Action = CacheMsg;

    fn reduce(self: Rc<Self>, msg: CacheMsg) -> Rc<Self> {
        let mut next = self.next();
        match msg {
            CacheMsg::Restart { settings, seed } => {
                // The same cell, new contents: the playback loop holds this `Rc`.
                *next.run.borrow_mut() = build(&settings, seed, self.epoch);
                next.settings = settings;
                next.seed = seed;
                next.action_error = None;
                next.branch = None;
                next.replay_error = None;
                next.opening = None;
                next.last_typed = None;
            }
            CacheMsg::Act { action, complete } => {
                let mut run = next.run.borrow_mut();
                let at = run.cursor().at_ms;
                let id = run.model().next_request_id();
                let typed = matches!(action, CacheAction::Request { .. });
                match run.act(action) {
                    Ok(branch) => {
                        next.action_error = None;
                        next.branch = branch.map(|b| branch_notice(at, &b));
                        if typed {
                            next.last_typed = Some(id);
                            // Paused, the request runs to its reply at once (the clock moves on by
                            // its latency); playing, it unfolds at the chosen speed.
                            if complete {
                                for _ in 0..FAST_FORWARD_EVENTS {
                                    if run.model().record(id).is_some_and(|r| r.done_ms.is_some())
                                        || !run.step_forward()
                                    {
                                        break;
                                    }
                                }
                            }
                        }
                    }
                    Err(e) => next.action_error = Some(e.to_string()),
                }
            }
            CacheMsg::Rewind(cmd) => {
                let t0 = crate::ui::performance_now();
                cmd.apply(&mut *next.run.borrow_mut());
                next.last_seek_ms = Some(crate::ui::performance_now() - t0);
                next.opening = None;
            }
            CacheMsg::Moved => {}
            CacheMsg::LoadReplay(r) => {
                let built = CacheAside::build(&r.scenario, r.seed, r.epoch()).and_then(|sim| {
                    CacheRewind::with_log(sim, rewind_config(), r.actions.clone()).map_err(|e| e.to_string())
                });
                match built {
                    Ok(run) => {
                        *next.run.borrow_mut() = run;
                        next.settings = r.scenario.clone();
                        next.seed = r.seed;
                        next.epoch = r.epoch();
                        next.opening = r.cursor.map(Seek::At);
                        next.replay_error = None;
                        next.action_error = None;
                        next.branch = None;
                        next.last_typed = None;
                    }
                    Err(e) => {
                        next.replay_error =
                            Some(format!("The replay was not opened: {e}. The current run is unchanged."))
                    }
                }
            }
            CacheMsg::ReplayError(e) => next.replay_error = Some(e),
            CacheMsg::DismissBranch => next.branch = None,
            CacheMsg::Opened => {
                next.opening = None;
                if let Some(e) = next.run.borrow().error() {
                    next.replay_error = Some(format!("The run's action log does not fit it: {e}"));
                }
            }
        }
        Rc::new(next)
    }
}
