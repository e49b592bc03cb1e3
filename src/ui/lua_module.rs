//! The page side of the Lua module (`src/bin/lua_module.rs`): the Redis and Cluster pages' bundles
//! carry no Lua VM; their servers run scripts on remote VMs (`redis::script::remote`) over
//! [`JsLuaLink`], and the module is fetched and instantiated on first need ([`load`], awaited by
//! `hooks::use_lua_gate` before a line that may run a script is submitted), never at first load.
//!
//! index.html's loader (Trunk.toml) defines `window.playgroundLoadLua()`, which imports the module's
//! JS glue (hashed by scripts/build-pages.sh), instantiates its wasm and resolves to its exports.
//!
//! The calls are synchronous: `lua_request` runs the script in the module and, for every
//! `redis.call`, calls back into this bundle through one JS function ([`host_callback`]), which
//! answers for the run in progress through [`HOST`].

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Function, Reflect, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::redis::script::remote::{install_remote_lua, HostFn, LuaLink};

/// The host callback of the run in progress, with its lifetime erased.
type HostPtr = *mut HostFn<'static>;

thread_local! {
    /// This build's servers run scripts on the module ([`install`]).
    static REMOTE: Cell<bool> = const { Cell::new(false) };
    /// The module's `lua_request` export, once loaded.
    static REQUEST: RefCell<Option<Function>> = const { RefCell::new(None) };
    /// The run in progress's host callback: set by [`JsLuaLink::exchange`] for exactly the
    /// duration of its `lua_request` call, and taken out while [`host_callback`] uses it.
    static HOST: Cell<Option<HostPtr>> = const { Cell::new(None) };
    /// The JS function the module calls for host requests (kept for the page's life).
    static HOST_CALLBACK: Closure<dyn Fn(Uint8Array) -> Uint8Array> =
        Closure::<dyn Fn(Uint8Array) -> Uint8Array>::new(host_callback);
}

/// What a script command answers when the module could not be loaded.
pub const LOAD_FAILED: &str = "ERR the Lua interpreter could not be loaded";

/// Makes this page's servers run scripts on the Lua module (`bundle_entry!(…, with_remote_lua)`).
pub fn install() {
    REMOTE.with(|r| r.set(true));
    install_remote_lua(Rc::new(JsLuaLink));
}

/// Whether scripts can run now: the module is loaded, or this build's servers do not use it (a
/// build that runs scripts in-process, as the browser tests do with the Lua VM installed, has
/// nothing to load).
pub fn is_loaded() -> bool {
    !REMOTE.with(Cell::get) || REQUEST.with(|r| r.borrow().is_some())
}

/// Fetches and instantiates the module if it is not loaded yet. The error is the reply a script
/// command gets (`ERR …`), naming what failed.
pub async fn load() -> Result<(), String> {
    if is_loaded() {
        return Ok(());
    }
    let failed = |why: String| format!("{LOAD_FAILED} ({why}); nothing was run, try again");
    let window = web_sys::window().ok_or_else(|| failed("no window".into()))?;
    let loader = Reflect::get(&window, &JsValue::from_str("playgroundLoadLua"))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or_else(|| failed("this build's index.html has no loader for it".into()))?;
    let promise = loader
        .call0(&JsValue::NULL)
        .ok()
        .and_then(|p| p.dyn_into::<js_sys::Promise>().ok())
        .ok_or_else(|| failed("its loader did not start".into()))?;
    let exports = JsFuture::from(promise).await.map_err(|e| failed(js_error_text(&e)))?;
    let request = Reflect::get(&exports, &JsValue::from_str("lua_request"))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or_else(|| failed("the module has no lua_request".into()))?;
    REQUEST.with(|r| *r.borrow_mut() = Some(request));
    Ok(())
}

/// A JS error's message, else its string form (capped).
fn js_error_text(e: &JsValue) -> String {
    let text = e
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "unknown error".into());
    text.chars().take(200).collect()
}

/// Answers one host request of the Lua module for the run in progress. Outside a run (or when
/// re-entered) the answer is empty, which the module reads as a failed link: the script stops
/// with an error instead of reaching a host that is not there.
fn host_callback(question: Uint8Array) -> Uint8Array {
    let question = question.to_vec();
    let answer = match HOST.with(|h| h.take()) {
        Some(host) => {
            // SAFETY: `host` was made from the `&mut HostFn` that `JsLuaLink::exchange` holds for
            // the whole of its synchronous `lua_request` call, and this callback runs only inside
            // that call (the module calls it synchronously, on this one thread). The borrow is
            // not used by `exchange` meanwhile, and `HOST` is emptied while it is in use here, so
            // no second `&mut` to it can exist even if the module re-entered.
            let answer = unsafe { (*host)(&question) };
            HOST.with(|h| h.set(Some(host)));
            answer
        }
        None => Vec::new(),
    };
    Uint8Array::from(answer.as_slice())
}

/// The link to the Lua module over its JS exports.
pub struct JsLuaLink;

impl LuaLink for JsLuaLink {
    fn exchange(&self, request: &[u8], host: &mut HostFn<'_>) -> Result<Vec<u8>, String> {
        let function =
            REQUEST.with(|r| r.borrow().clone()).ok_or_else(|| "the Lua interpreter is not loaded".to_string())?;
        let host: *mut HostFn<'_> = host;
        // SAFETY: only the lifetime is erased; the pointer is stored in `HOST` for the duration of
        // the call below and the previous value is put back before `host`'s borrow ends.
        let host = unsafe { std::mem::transmute::<*mut HostFn<'_>, HostPtr>(host) };
        let previous = HOST.with(|h| h.replace(Some(host)));
        let answer = HOST_CALLBACK.with(|callback| {
            let callback: &Function = callback.as_ref().unchecked_ref();
            function.call2(&JsValue::NULL, &Uint8Array::from(request), callback)
        });
        HOST.with(|h| h.set(previous));
        match answer {
            Ok(bytes) if bytes.is_instance_of::<Uint8Array>() => Ok(Uint8Array::new(&bytes).to_vec()),
            Ok(_) => Err("the Lua interpreter answered no bytes".into()),
            Err(e) => Err(format!("the Lua interpreter failed: {}", js_error_text(&e))),
        }
    }
}
