//! Distributed Systems Playground: deterministic models of distributed-systems patterns (the pure
//! core) and the Yew skin that draws them in the browser.
//!
//! Architecture invariant: every module except `ui` is pure Rust — no `yew`, `web_sys`, `js_sys`,
//! `gloo`, wall clock or OS entropy — and is tested natively. `ui` only exists in the wasm build.

pub mod backoff;
pub mod balance;
pub mod cluster;
pub mod lock;
pub mod messaging;
pub mod redis;
pub mod sim;
pub mod verify;

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;

#[cfg(target_arch = "wasm32")]
pub mod ui;

/// The body of a wasm bundle's entry point (`src/main.rs`, `src/bin/page_*.rs`): in the browser, `main`
/// mounts the app with the bundle's pages (a [`ui::Pages`] constant) and the bin exports
/// `playground_debug_panic`, which panics on purpose so the end-to-end tests can check that a crash is
/// reported in the console and shown as a banner (reachable only from the developer console as
/// `wasmBindings.playground_debug_panic("…")`; each bundle must export its own). Natively, `main`
/// prints where the bundle runs, or the given message.
///
/// A Redis page's bundle also names its script interpreter and its command table, which it installs
/// before mounting: `bundle_entry!(PAGES, SCRIPTS, COMMANDS)`. Only what a bundle names is linked
/// into its wasm (ARCHITECTURE.md, "Bundle").
///
/// SCRIPTS, the interpreter behind EVAL: `with_lua` installs the Lua VM ([`redis::script::install_lua`])
/// in-process; `with_remote_lua` installs remote VMs over the Lua module (`ui::lua_module`), a wasm
/// module of its own fetched the first time a script is about to run: the Redis and Cluster pages,
/// whose first load then carries no interpreter; `with_lock_scripts` installs the interpreter that runs
/// only the lock model's own scripts by their native steps (`lock::store::boot_lock_scripts`): the
/// locks page; `no_scripts` installs none (EVAL then answers `redis::script::NO_INTERPRETER`).
///
/// COMMANDS, a `&'static` [`redis::table::CommandSet`] ([`redis::table::install_commands`]):
/// `redis::table::ALL` for the pages whose prompts take any command, else the part of the table the
/// page's models can issue (`lock::store::LOCK_COMMANDS`, `messaging::MESSAGING_COMMANDS`), so the
/// other commands' handlers stay out of the wasm.
#[macro_export]
macro_rules! bundle_entry {
    ($pages:ident, $scripts:ident, $commands:path) => {
        $crate::bundle_entry!(@entry $pages, {
            $crate::redis::table::install_commands(&$commands);
            $crate::bundle_entry!(@scripts $scripts);
        }, $crate::bundle_entry!(@native));
    };
    (@scripts with_lua) => { $crate::redis::script::install_lua() };
    (@scripts with_remote_lua) => { $crate::ui::lua_module::install() };
    (@scripts with_lock_scripts) => {
        $crate::redis::script::install_interpreter($crate::lock::store::boot_lock_scripts)
    };
    (@scripts no_scripts) => { () };
    ($pages:ident, $native:expr) => {
        $crate::bundle_entry!(@entry $pages, {}, $native);
    };
    (@native) => {
        concat!(
            env!("CARGO_BIN_NAME"),
            " is one of the playground's wasm bundles and runs in the browser: `./scripts/serve.sh` serves it."
        )
    };
    (@entry $pages:ident, { $($setup:stmt;)* }, $native:expr) => {
        #[cfg(target_arch = "wasm32")]
        fn main() {
            $($setup;)*
            $crate::ui::start($crate::ui::Pages::$pages);
        }

        #[cfg(target_arch = "wasm32")]
        #[wasm_bindgen::prelude::wasm_bindgen]
        pub fn playground_debug_panic(message: String) {
            panic!("{message}");
        }

        #[cfg(not(target_arch = "wasm32"))]
        fn main() {
            eprintln!("{}", $native);
        }
    };
}
