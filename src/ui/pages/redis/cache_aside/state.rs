//! The cache-aside demo's state: a [`RewindPage`] (scenario, action log, cursor) whose run is a
//! rewindable `CacheRewind` built from the settings it starts with, the seed and the epoch. Typed
//! requests and settings changes are logged actions; the demo's own state is the last typed
//! request, and its own message a typed request that, made while paused, runs on to its reply.

use crate::redis::cache_aside::replay::{CacheAction, CacheReplay, Settings};
use crate::redis::cache_aside::CacheAside;
pub use crate::ui::components::scrubber::Stamp;
use crate::ui::rewind_page::{NewRun, RewindMsg, RewindPage, RewindPageSpec};

/// Events a typed request made while paused may run to reach its reply.
const FAST_FORWARD_EVENTS: usize = 100_000;

/// The cache-aside demo as a [`RewindPageSpec`].
pub struct CachePage;

/// The demo's state (`scenario` is the settings the run started with; later changes are in the
/// action log).
pub type CacheState = RewindPage<CachePage>;
/// What the user (or the demo's loader) asks of the demo.
pub type CacheMsg = RewindMsg<CachePage>;

/// The demo's own state beside the run.
#[derive(Clone, Default)]
pub struct CacheExtra {
    /// The last typed request's id (its result is shown while the cursor is past its start).
    pub last_typed: Option<u64>,
}

/// The demo's own messages.
pub enum CachePageMsg {
    /// A typed request or a settings change, applied at the cursor and logged. A request made while
    /// paused runs on to its reply at once (`complete`).
    Act { action: CacheAction, complete: bool },
}

impl RewindPageSpec for CachePage {
    type Model = CacheAside;
    type Extra = CacheExtra;
    type Msg = CachePageMsg;
    const SCENARIO_NOUN: &'static str = "settings";

    fn validate(settings: &Settings, _seed: u64) -> Result<(), String> {
        settings.validate().map_err(|e| e.to_string())
    }

    fn fallback() -> Settings {
        Settings::default()
    }

    /// Snapshots capped by bytes ([`crate::redis::cache_aside::replay::page_rewind_config`]).
    fn config() -> crate::sim::rewind::RewindConfig {
        crate::redis::cache_aside::replay::page_rewind_config()
    }

    fn on_new_run(page: &mut CacheState, _origin: NewRun<'_, CacheAside>) {
        page.extra.last_typed = None;
    }

    fn reduce(page: &mut CacheState, msg: CachePageMsg) {
        let CachePageMsg::Act { action, complete } = msg;
        let id = page.run.borrow().model().next_request_id();
        let typed = matches!(action, CacheAction::Request { .. });
        if !page.act(action) || !typed {
            return;
        }
        page.extra.last_typed = Some(id);
        // Paused, the request runs to its reply at once (the clock moves on by its latency);
        // playing, it unfolds at the chosen speed.
        if complete {
            let mut run = page.run.borrow_mut();
            for _ in 0..FAST_FORWARD_EVENTS {
                if run.model().record(id).is_some_and(|r| r.done_ms.is_some()) || !run.step_forward() {
                    break;
                }
            }
        }
    }
}

/// Reads and checks a replay file's text (envelope, fields, log, then the settings).
pub fn parse_replay(text: &str) -> Result<CacheReplay, String> {
    CacheState::parse_replay(text)
}
