//! The /cluster page's state: a `ui::rewind_page::RewindPage` over the cluster run
//! (`cluster::replay`: fault buttons and typed redis-cli lines are logged `ClusterAction`s), so the
//! page rewinds, branches, opens replays and links like every rewindable page. The page has no
//! state of its own beside the run: the redis-cli session and transcript live in the model.

use crate::cluster::replay::ClusterAction;
use crate::cluster::runtime::ClusterSim;
use crate::cluster::scenario::Scenario;
use crate::redis::script::remote::line_may_run_script;
use crate::sim::rewind::LoggedAction;
use crate::ui::lua_module;
use crate::ui::rewind_page::{RewindMsg, RewindPage, RewindPageSpec};

pub struct ClusterPageSpec;

/// The cluster page's own messages.
pub enum ClusterPageMsg {
    /// A redis-cli line that was not run because the Lua interpreter did not load: the error is
    /// shown, nothing is logged.
    Refused { line: String, error: String },
}

pub type ClusterState = RewindPage<ClusterPageSpec>;
pub type ClusterMsg = RewindMsg<ClusterPageSpec>;

impl RewindPageSpec for ClusterPageSpec {
    type Model = ClusterSim;
    type Extra = ();
    type Msg = ClusterPageMsg;

    fn validate(scenario: &Scenario, _seed: u64) -> Result<(), String> {
        scenario.validate().map_err(|e| e.to_string())
    }

    fn fallback() -> Scenario {
        Scenario::default()
    }

    /// Snapshots capped by bytes ([`crate::cluster::replay::page_rewind_config`]).
    fn config() -> crate::sim::rewind::RewindConfig {
        crate::cluster::replay::page_rewind_config()
    }

    /// A replay whose logged redis-cli lines run scripts opens once the Lua module is loaded (if it
    /// does not load, those lines answer that the interpreter did not start).
    fn before_open(actions: &[LoggedAction<ClusterAction>], open: Box<dyn FnOnce()>) {
        if !waits_for_lua(actions) {
            open();
            return;
        }
        wasm_bindgen_futures::spawn_local(async move {
            let _ = lua_module::load().await;
            open();
        });
    }

    fn reduce(page: &mut ClusterState, msg: ClusterPageMsg) {
        match msg {
            ClusterPageMsg::Refused { line, error } => {
                page.action_error = Some(format!("{line}: {error}"));
            }
        }
    }
}

/// Whether opening a run with `actions` must wait for the Lua module: it is not loaded yet and the
/// log has a redis-cli line that may run a script. One test for a link (`ClusterPage`) and a replay
/// file ([`RewindPageSpec::before_open`], which both use to open).
pub fn waits_for_lua(actions: &[LoggedAction<ClusterAction>]) -> bool {
    !lua_module::is_loaded() && log_runs_scripts(actions)
}

/// Whether replaying `actions` runs a redis-cli line that may run a script (it needs the Lua module).
pub fn log_runs_scripts(actions: &[LoggedAction<ClusterAction>]) -> bool {
    actions.iter().any(|a| matches!(&a.action, ClusterAction::Cli(line) if line_may_run_script(line)))
}
