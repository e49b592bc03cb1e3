//! The Lua module: the Lua VM and its bridge to Redis (`redis::script::remote::LuaService`) as a wasm
//! module of its own, which the Redis and Cluster pages fetch the first time a script is about to
//! run (`ui::lua_module`), so that their first load carries no interpreter (ARCHITECTURE.md,
//! "Bundle"). Trunk builds it from index.html's `data-type="worker"` link; it mounts nothing.
//!
//! Its one export, `lua_request(request, host)`, answers a serialised `LuaRequest`; while a script
//! runs, every `redis.call` / `redis.pcall`, command lookup and memory question goes to `host`, a
//! JS function leading back into the page's bundle, which answers for the run in progress.

#[cfg(target_arch = "wasm32")]
mod module {
    use std::cell::RefCell;

    use js_sys::{Function, Uint8Array};
    use playground::redis::script::remote::{LuaResponse, LuaService};
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsValue;

    thread_local! {
        static SERVICE: RefCell<LuaService> = RefCell::new(LuaService::default());
    }

    /// Answers one serialised `LuaRequest` (see `redis::script::remote`); `host` answers the run's
    /// serialised `HostRequest`s with `HostResponse`s.
    #[wasm_bindgen]
    pub fn lua_request(request: &[u8], host: &Function) -> Vec<u8> {
        let mut ask_host = |question: &[u8]| -> Vec<u8> {
            match host.call1(&JsValue::NULL, &Uint8Array::from(question)) {
                Ok(answer) if answer.is_instance_of::<Uint8Array>() => Uint8Array::new(&answer).to_vec(),
                // Not the protocol's answer: the service reports the link as failed.
                _ => Vec::new(),
            }
        };
        SERVICE.with(|service| match service.try_borrow_mut() {
            Ok(mut service) => service.handle(request, &mut ask_host),
            Err(_) => {
                serde_json::to_vec(&LuaResponse::Refused("the Lua interpreter is busy".into())).unwrap_or_default()
            }
        })
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    // `redis.acl_check_cmd` asks the table whether a command exists: the pages that load this module
    // (Redis, Cluster) take every command.
    playground::redis::table::install_commands(&playground::redis::table::ALL);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("lua_module is the Redis pages' Lua interpreter, loaded by them in the browser; natively the interpreter is built in.");
}
