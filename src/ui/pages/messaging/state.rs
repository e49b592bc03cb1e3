//! The /messaging page's state: a `ui::rewind_page::RewindPage` over the messaging run
//! (`messaging::replay`: the fault buttons, the consumers' crash and slow buttons and "peak load"
//! are logged `MsgAction`s), so the page rewinds, branches, opens replays and links like every
//! rewindable page. Its own state is the run's label; what the user inspects and the redis-cli
//! transcript live in the page's view reducer (they read the run at its cursor).

use crate::messaging::runtime::MessagingModel;
use crate::messaging::{MsgAction, Scenario};
use crate::sim::replay::ReplayModel;
use crate::sim::rewind::{LoggedAction, Rewind, RewindConfig, Seek};
use crate::sim::SimTime;
use crate::ui::rewind_page::{NewRun, RewindMsg, RewindPage, RewindPageSpec};

use super::{FLOWS_KEPT, LIVES_KEPT};

pub struct MsgPageSpec;

pub type MsgState = RewindPage<MsgPageSpec>;
pub type MsgMsg = RewindMsg<MsgPageSpec>;

/// The page's own state beside the run.
#[derive(Clone, Debug, PartialEq)]
pub struct MsgExtra {
    /// What the run is called (the preset's variant, or "opened replay").
    pub label: String,
    /// How many replays were opened on this page: the pickers follow each one.
    pub opened: u64,
}

pub enum MsgPageMsg {
    /// The label of the run a `Restart` just made.
    Label(String),
    /// A button's action, applied at the cursor and logged; what is due at once (the fault's
    /// start) runs at once, even while paused.
    ActNow(MsgAction),
}

impl RewindPageSpec for MsgPageSpec {
    type Model = MessagingModel;
    type Extra = MsgExtra;
    type Msg = MsgPageMsg;

    fn validate(scenario: &Scenario, _seed: u64) -> Result<(), String> {
        scenario.validate().map_err(|e| e.to_string())
    }

    fn fallback() -> Scenario {
        Scenario::default()
    }

    /// Every 512 events, at most 64 snapshots: each holds the page's trail of moves and lives.
    fn config() -> RewindConfig {
        RewindConfig { every: 512, max_snapshots: 64, ..RewindConfig::default() }
    }

    fn build(
        scenario: &Scenario,
        seed: u64,
        epoch: SimTime,
        actions: Vec<LoggedAction<MsgAction>>,
    ) -> Result<Rewind<MessagingModel>, String> {
        let mut sim = MessagingModel::build(scenario, seed, epoch)?;
        sim.model.record_trail(FLOWS_KEPT, LIVES_KEPT);
        Rewind::with_log(sim, Self::config(), actions).map_err(|e| e.to_string())
    }

    fn on_new_run(page: &mut MsgState, origin: NewRun<'_, MessagingModel>) {
        if let NewRun::Replay(r) = origin {
            page.extra.label = format!("{} (opened replay)", r.scenario.pattern);
            page.extra.opened += 1;
        }
    }

    fn reduce(page: &mut MsgState, msg: MsgPageMsg) {
        match msg {
            MsgPageMsg::Label(l) => page.extra.label = l,
            MsgPageMsg::ActNow(a) => {
                if page.act(a) {
                    let mut run = page.run.borrow_mut();
                    let now = run.cursor().at_ms;
                    run.seek(Seek::Time(now));
                }
            }
        }
    }
}
