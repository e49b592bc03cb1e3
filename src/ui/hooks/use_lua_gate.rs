//! `use_lua_gate`: submits redis-cli lines in order, loading the Lua module first when a line may
//! run a script (`redis::script::remote::line_may_run_script`) and it is not loaded yet
//! (`ui::lua_module`). Shared by the Redis and Cluster pages' prompts.
//!
//! While the module loads, the prompt stays usable: later lines wait behind the script line so that
//! the order of commands is kept, and `loading` is true (the page says "loading the Lua
//! interpreter…"). If the load fails, each waiting script line is answered by `refuse` with the
//! error and changes nothing; the other lines run. The next script line tries the load again.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use yew::prelude::*;

use crate::redis::script::remote::line_may_run_script;
use crate::ui::lua_module;

/// Most lines that may wait for the module (beyond that a line is refused, not queued).
pub const MAX_WAITING_LINES: usize = 200;

/// What the page shows while lines wait.
pub const LOADING_TEXT: &str = "loading the Lua interpreter…";

#[derive(Clone, PartialEq)]
pub struct LuaGateHandle {
    /// Submit a line (instead of calling the page's run callback directly).
    pub submit: Callback<String>,
    /// Lines are waiting for the module to load.
    pub loading: bool,
}

/// `run` submits a line to the page; `refuse` answers a line that could not run, with the error.
#[hook]
pub fn use_lua_gate(run: Callback<String>, refuse: Callback<(String, String)>) -> LuaGateHandle {
    let loading = use_state_eq(|| false);
    let waiting: Rc<RefCell<VecDeque<String>>> = use_mut_ref(VecDeque::new);
    let latest = use_mut_ref(|| (run.clone(), refuse.clone()));
    *latest.borrow_mut() = (run, refuse);
    let submit = {
        let loading = loading.clone();
        use_callback((), move |line: String, _| {
            let queued = !waiting.borrow().is_empty();
            if !queued && (lua_module::is_loaded() || !line_may_run_script(&line)) {
                let run = latest.borrow().0.clone();
                run.emit(line);
                return;
            }
            if waiting.borrow().len() >= MAX_WAITING_LINES {
                let refuse = latest.borrow().1.clone();
                refuse.emit((
                    line,
                    format!(
                        "ERR too many lines are waiting for the Lua interpreter to load (at most {MAX_WAITING_LINES})"
                    ),
                ));
                return;
            }
            waiting.borrow_mut().push_back(line);
            if queued {
                // The load in progress drains the queue.
                return;
            }
            loading.set(true);
            let (waiting, latest, loading) = (waiting.clone(), latest.clone(), loading.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let loaded = lua_module::load().await;
                loop {
                    let Some(line) = waiting.borrow_mut().pop_front() else { break };
                    let (run, refuse) = latest.borrow().clone();
                    match &loaded {
                        Err(e) if line_may_run_script(&line) => refuse.emit((line, e.clone())),
                        _ => run.emit(line),
                    }
                }
                loading.set(false);
            });
        })
    };
    LuaGateHandle { submit, loading: *loading }
}
