//! The Lua interpreter in another module: an [`Interpret`] ([`RemoteInterpreter`]) that forwards
//! compile and run as bytes over a [`LuaLink`] to a [`LuaService`] holding the real `LuaVm`s, whose
//! `redis.call` / `redis.pcall`, command lookups and memory queries come back over the same link
//! to the run's [`ScriptHost`] ([`serve_host`]).
//!
//! Why: the Lua VM is about 250 KB of gzipped wasm, and only EVAL / EVALSHA / SCRIPT LOAD need it.
//! The Redis and Cluster pages' bundles install [`install_remote_lua`] with a link to a separate wasm
//! module (`src/bin/lua_module.rs`) that the page fetches the first time a script is about to run
//! (`ui::lua_module`), so the first load carries no interpreter (ARCHITECTURE.md, "Bundle").
//! [`Loopback`] runs the same protocol in-process, so natively the remote path is tested against
//! the direct VM: same replies, errors, logs and rand48 stream.
//!
//! Everything crossing is a serde value (`serde_json` bytes): the rand48 stream and the script log
//! go across with the run and come back with its outcome, so a run answers exactly as the
//! in-process interpreter would. One remote VM per [`RemoteInterpreter`], named by an id, built
//! with the limits given at boot and dropped with it.
//!
//! Architecture invariant: pure — no web types; the link is the only way out, and the wasm glue
//! that implements it lives in `ui` and in the Lua module's bin.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use serde::{Deserialize, Serialize};

use super::engine::{Interpret, ScriptLogEntry};
use super::lua::{CompileError, LuaVm, RunContext, RunOutcome};
use super::rand48::Rand48;
use super::{CommandTraits, ScriptHost, ScriptLimits, StopScript};
use crate::redis::reply::Reply;

/// A request from a page to the Lua module.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum LuaRequest {
    /// Build VM `vm` for runs within `limits` (replacing any VM of that id).
    Boot { vm: u32, limits: ScriptLimits },
    /// Compile `body` in VM `vm` and keep it under `sha`.
    Compile { vm: u32, sha: String, body: Vec<u8> },
    /// Run `sha` (compiling `body` first if needed) with the engine's rand48 stream and log.
    Run {
        vm: u32,
        sha: String,
        body: Vec<u8>,
        keys: Vec<Vec<u8>>,
        args: Vec<Vec<u8>>,
        read_only: bool,
        allow_oom: bool,
        rand: Rand48,
        log: Vec<ScriptLogEntry>,
    },
    /// Forget VM `vm`.
    Drop { vm: u32 },
}

/// The Lua module's answer to a [`LuaRequest`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum LuaResponse {
    Booted,
    Compiled {
        result: Result<(), CompileError>,
        compiled: usize,
    },
    Ran {
        outcome: RunOutcome,
        rand: Rand48,
        log: Vec<ScriptLogEntry>,
        compiled: usize,
    },
    Dropped,
    /// The request could not be served; why.
    Refused(String),
}

/// What the Lua module asks of the run in progress ([`ScriptHost`] across the link).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HostRequest {
    Lookup(Vec<Vec<u8>>),
    Call(Vec<Vec<u8>>),
    OutOfMemory,
}

/// The page's answer to a [`HostRequest`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HostResponse {
    Traits(Option<CommandTraits>),
    Called(Result<Reply, StopScript>),
    OutOfMemory(bool),
}

/// The host's side of a link's callback: one serialised [`HostRequest`] in, its serialised
/// [`HostResponse`] out.
pub type HostFn<'a> = dyn FnMut(&[u8]) -> Vec<u8> + 'a;

/// A synchronous channel to a [`LuaService`]: sends one serialised [`LuaRequest`] and returns the
/// serialised [`LuaResponse`], calling `host` for every [`HostRequest`] the service makes
/// meanwhile. `Err` when the service cannot be reached (not loaded, or it failed).
pub trait LuaLink {
    fn exchange(&self, request: &[u8], host: &mut HostFn<'_>) -> Result<Vec<u8>, String>;
}

/// What a request answers when the link or the message is broken.
const LINK_LOST: &str = "the link to the Lua interpreter failed";

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Every type crossing is plain data (strings, byte vectors, integers, enums): serde_json
    // cannot fail on it.
    serde_json::to_vec(value).unwrap_or_default()
}

/// Through `from_str`, as every other JSON the pages read: a second reader (`from_slice`) would put
/// a second copy of serde_json's parser into the page's wasm (about 27 KB).
fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("{LINK_LOST}: {e}"))?;
    serde_json::from_str(text).map_err(|e| format!("{LINK_LOST}: {e}"))
}

/// The page side of a host callback: decodes `request`, asks `host`, encodes the answer. A request
/// that does not decode is answered as a stopped script, never a panic.
pub fn serve_host(request: &[u8], host: &mut dyn ScriptHost) -> Vec<u8> {
    let response = match decode::<HostRequest>(request) {
        Ok(HostRequest::Lookup(argv)) => HostResponse::Traits(host.lookup(&argv)),
        Ok(HostRequest::Call(argv)) => HostResponse::Called(host.call(&argv)),
        Ok(HostRequest::OutOfMemory) => HostResponse::OutOfMemory(host.out_of_memory()),
        Err(e) => HostResponse::Called(Err(StopScript(Reply::Error(format!("ERR {e}"))))),
    };
    encode(&response)
}

/// The Lua module's side: the VMs by id, answering [`LuaRequest`]s. Holds at most one VM per live
/// [`RemoteInterpreter`] (each drops its own).
#[derive(Default)]
pub struct LuaService {
    vms: BTreeMap<u32, LuaVm>,
}

impl LuaService {
    /// How many VMs it holds.
    pub fn vms(&self) -> usize {
        self.vms.len()
    }

    /// Answers one serialised request; `host` reaches the run's [`ScriptHost`] across the link.
    pub fn handle(&mut self, request: &[u8], host: &mut HostFn<'_>) -> Vec<u8> {
        encode(&match decode::<LuaRequest>(request) {
            Ok(request) => self.serve(request, host),
            Err(e) => LuaResponse::Refused(e),
        })
    }

    fn serve(&mut self, request: LuaRequest, host: &mut HostFn<'_>) -> LuaResponse {
        match request {
            LuaRequest::Boot { vm, limits } => match LuaVm::new(&limits) {
                Ok(lua) => {
                    self.vms.insert(vm, lua);
                    LuaResponse::Booted
                }
                Err(e) => LuaResponse::Refused(e),
            },
            LuaRequest::Compile { vm, sha, body } => match self.vms.get_mut(&vm) {
                Some(lua) => LuaResponse::Compiled { result: lua.compile(&sha, &body), compiled: lua.compiled() },
                None => LuaResponse::Refused(format!("no Lua VM {vm}")),
            },
            LuaRequest::Run { vm, sha, body, keys, args, read_only, allow_oom, mut rand, mut log } => {
                let Some(lua) = self.vms.get_mut(&vm) else {
                    return LuaResponse::Refused(format!("no Lua VM {vm}"));
                };
                let mut remote = RemoteHost { host: RefCell::new(host) };
                let ctx = RunContext { read_only, allow_oom, rand: &mut rand, log: &mut log, host: &mut remote };
                let outcome = lua.run(&sha, &body, &keys, &args, ctx);
                LuaResponse::Ran { outcome, rand, log, compiled: lua.compiled() }
            }
            LuaRequest::Drop { vm } => {
                self.vms.remove(&vm);
                LuaResponse::Dropped
            }
        }
    }
}

/// The run's [`ScriptHost`] as the Lua module sees it: every question goes back over the link.
struct RemoteHost<'h, 'a> {
    host: RefCell<&'h mut HostFn<'a>>,
}

impl RemoteHost<'_, '_> {
    fn ask(&self, request: &HostRequest) -> Result<HostResponse, String> {
        let mut host = self.host.try_borrow_mut().map_err(|_| format!("{LINK_LOST}: re-entered"))?;
        decode(&(*host)(&encode(request)))
    }
}

impl ScriptHost for RemoteHost<'_, '_> {
    fn lookup(&self, argv: &[Vec<u8>]) -> Option<CommandTraits> {
        match self.ask(&HostRequest::Lookup(argv.to_vec())) {
            Ok(HostResponse::Traits(traits)) => traits,
            _ => None,
        }
    }
    fn call(&mut self, argv: &[Vec<u8>]) -> Result<Reply, StopScript> {
        match self.ask(&HostRequest::Call(argv.to_vec())) {
            Ok(HostResponse::Called(result)) => result,
            Ok(_) => Err(StopScript(Reply::Error(format!("ERR {LINK_LOST}: a wrong answer to a call")))),
            Err(e) => Err(StopScript(Reply::Error(format!("ERR {e}")))),
        }
    }
    fn out_of_memory(&self) -> bool {
        matches!(self.ask(&HostRequest::OutOfMemory), Ok(HostResponse::OutOfMemory(true)))
    }
}

/// An interpreter whose VM lives behind a [`LuaLink`] (one remote VM, id `vm`).
pub struct RemoteInterpreter {
    link: Rc<dyn LuaLink>,
    vm: u32,
    limits: ScriptLimits,
    /// Scripts the remote VM holds compiled, as its last answer said.
    compiled: usize,
}

impl RemoteInterpreter {
    /// Boots a remote VM for `limits` over `link`.
    pub fn boot(link: Rc<dyn LuaLink>, limits: &ScriptLimits) -> Result<RemoteInterpreter, String> {
        let vm = NEXT_VM.with(|next| {
            let vm = next.get();
            next.set(vm.wrapping_add(1));
            vm
        });
        let interpreter = RemoteInterpreter { link, vm, limits: limits.clone(), compiled: 0 };
        match interpreter.exchange(&LuaRequest::Boot { vm, limits: limits.clone() }, &mut |_| Vec::new())? {
            LuaResponse::Booted => Ok(interpreter),
            LuaResponse::Refused(e) => Err(e),
            other => Err(format!("{LINK_LOST}: {other:?} answered a boot")),
        }
    }

    fn exchange(&self, request: &LuaRequest, host: &mut HostFn<'_>) -> Result<LuaResponse, String> {
        decode(&self.link.exchange(&encode(request), host)?)
    }
}

thread_local! {
    /// The id the next remote VM gets (unique per page: one Lua module per page).
    static NEXT_VM: Cell<u32> = const { Cell::new(1) };
    /// The link [`install_remote_lua`] installed.
    static LINK: RefCell<Option<Rc<dyn LuaLink>>> = const { RefCell::new(None) };
}

impl Drop for RemoteInterpreter {
    fn drop(&mut self) {
        // A VM the module cannot drop now (it is busy, or gone) is left to it.
        let _ = self.exchange(&LuaRequest::Drop { vm: self.vm }, &mut |_| Vec::new());
    }
}

impl Interpret for RemoteInterpreter {
    fn limits(&self) -> &ScriptLimits {
        &self.limits
    }
    fn compiled(&self) -> usize {
        self.compiled
    }
    fn compile(&mut self, sha: &str, body: &[u8]) -> Result<(), CompileError> {
        let request = LuaRequest::Compile { vm: self.vm, sha: sha.to_string(), body: body.to_vec() };
        match self.exchange(&request, &mut |_| Vec::new()) {
            Ok(LuaResponse::Compiled { result, compiled }) => {
                self.compiled = compiled;
                result
            }
            Ok(LuaResponse::Refused(e)) | Err(e) => Err(CompileError::Syntax(e)),
            Ok(other) => Err(CompileError::Syntax(format!("{LINK_LOST}: {other:?} answered a compile"))),
        }
    }
    fn run(&mut self, sha: &str, body: &[u8], keys: &[Vec<u8>], args: &[Vec<u8>], ctx: RunContext<'_>) -> RunOutcome {
        let RunContext { read_only, allow_oom, rand, log, host } = ctx;
        let request = LuaRequest::Run {
            vm: self.vm,
            sha: sha.to_string(),
            body: body.to_vec(),
            keys: keys.to_vec(),
            args: args.to_vec(),
            read_only,
            allow_oom,
            rand: rand.clone(),
            log: log.clone(),
        };
        match self.exchange(&request, &mut |request| serve_host(request, host)) {
            Ok(LuaResponse::Ran { outcome, rand: after, log: new_log, compiled }) => {
                *rand = after;
                *log = new_log;
                self.compiled = compiled;
                outcome
            }
            Ok(LuaResponse::Refused(e)) | Err(e) => RunOutcome::HandlerFailed(e),
            Ok(other) => RunOutcome::HandlerFailed(format!("{LINK_LOST}: {other:?} answered a run")),
        }
    }
}

/// Makes every server this thread builds from now on run its scripts on remote VMs over `link`
/// (the Redis and Cluster pages' bundles: `bundle_entry!(…, with_remote_lua)`).
pub fn install_remote_lua(link: Rc<dyn LuaLink>) {
    LINK.with(|l| *l.borrow_mut() = Some(link));
    super::install_interpreter(boot_remote);
}

/// The [`super::Boot`] of remote VMs over the installed link.
pub fn boot_remote(limits: &ScriptLimits) -> Result<Box<dyn Interpret>, String> {
    let link = LINK.with(|l| l.borrow().clone()).ok_or_else(|| "no link to a Lua interpreter".to_string())?;
    Ok(Box::new(RemoteInterpreter::boot(link, limits)?))
}

/// A [`LuaLink`] to a [`LuaService`] in the same process: the whole protocol (every request and
/// callback serialised and decoded) without a second module. Natively it tests the remote path.
#[derive(Default)]
pub struct Loopback {
    service: RefCell<LuaService>,
    requests: Cell<usize>,
}

impl Loopback {
    /// How many VMs its service holds.
    pub fn vms(&self) -> usize {
        self.service.borrow().vms()
    }
    /// How many requests it has served.
    pub fn requests(&self) -> usize {
        self.requests.get()
    }
}

impl LuaLink for Loopback {
    fn exchange(&self, request: &[u8], host: &mut HostFn<'_>) -> Result<Vec<u8>, String> {
        // A script never reaches another script (EVAL and SCRIPT are `noscript`), so the service
        // is never re-entered; if it were, the run would fail instead of panicking.
        let mut service = self.service.try_borrow_mut().map_err(|_| "the Lua interpreter is busy".to_string())?;
        self.requests.set(self.requests.get() + 1);
        Ok(service.handle(request, host))
    }
}

/// Whether the command `line` (as typed at a redis-cli prompt) may run a script, so that a page whose
/// Lua VM is a module loaded on first need must load it before submitting the line: EVAL, EVALSHA,
/// EVAL_RO, EVALSHA_RO, SCRIPT (LOAD compiles), FCALL, FCALL_RO and FUNCTION, and EXEC (a queued
/// EVAL runs there). redis-cli's repeat count (`3 EVAL …`) is looked past. A line that does not
/// tokenize runs nothing.
pub fn line_may_run_script(line: &str) -> bool {
    let Ok(words) = crate::redis::cli::tokenize(line) else {
        return false;
    };
    let mut words = words.iter().skip_while(|w| !w.is_empty() && w.iter().all(u8::is_ascii_digit));
    words.next().is_some_and(|name| {
        let name = name.to_ascii_lowercase();
        matches!(
            name.as_slice(),
            b"eval"
                | b"evalsha"
                | b"eval_ro"
                | b"evalsha_ro"
                | b"script"
                | b"fcall"
                | b"fcall_ro"
                | b"function"
                | b"exec"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::line_may_run_script;

    #[test]
    fn lines_that_may_run_a_script_are_the_eval_family_script_function_and_exec() {
        for line in
            ["EVAL \"return 1\" 0", "evalsha abc 0", "Eval_RO x 0", "script load x", "EXEC", "3 eval x 0", "FCALL f 0"]
        {
            assert!(line_may_run_script(line), "{line}");
        }
        for line in ["GET k", "SET eval x", "", "   ", "MULTI", "\"unterminated", "DISCARD", "3 GET k"] {
            assert!(!line_may_run_script(line), "{line}");
        }
    }
}
