//! A server's Lua 5.1 interpreter ([`LuaVm`]): the sandbox of `sandbox.lua`, the host functions
//! behind `redis.*` and `math.random`, scripts compiled once by SHA1, and the Lua ↔ RESP
//! conversions of script_lua.c.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use serde::{Deserialize, Serialize};

use omnilua::{Function, Lua, LuaString, LuaVersion, SandboxConfig, Table, TripReason, Value, Variadic};

use super::engine::{Interpret, ScriptLogEntry, LOG_CAPACITY};
use super::rand48::Rand48;
use super::{sha1_hex, ScriptHost, ScriptLimits, StopScript};
use crate::redis::num::format_g;
use crate::redis::reply::Reply;

const SANDBOX: &str = include_str!("sandbox.lua");

/// Raises for a host function, as `luaError` / `luaL_error` raise from a C function: a table as
/// it is, a library message with the position of the script code that called the host function.
const RAISER: &str = r#"
local dbg, type, error = debug, type, error
return function(e)
  if type(e) == 'string' then
    local level = 2
    while true do
      local i = dbg.getinfo(level, 'Sl')
      if not i then
        break
      end
      if i.source ~= '=redis' and i.what ~= 'tail' and i.what ~= 'C' then
        e = i.short_src .. ':' .. i.currentline .. ': ' .. e
        break
      end
      level = level + 1
    end
  end
  error(e, 0)
end
"#;

/// How deep the Lua → RESP conversion follows nested tables before it answers
/// "reached lua stack limit" for the inner table, as `luaReplyToRedisReply` does when the Lua stack
/// runs out. Redis gets there at about 8,000 levels; the model stops at 1,000 so that printing
/// and dropping the reply (recursive everywhere else in the model) stays within a thread's stack.
pub const MAX_REPLY_DEPTH: usize = 1000;

/// How deep calls of sandbox.lua's wrapped library functions (string.find/match/gmatch/gsub/format,
/// load, loadstring, setmetatable, getmetatable, rawset) may nest through callbacks before the
/// script gets "C stack overflow". Each level costs the Rust (wasm) stack far more than one of
/// Lua's own C levels; with 200 of those and this many, the deepest script stays well inside the
/// browser's default 1 MB stack (measured: under 0.4 MB in a debug build).
pub const MAX_KEEPER_NESTING: u32 = 20;

pub struct RunContext<'a> {
    pub read_only: bool,
    /// The script declared `allow-oom` (`SCRIPT_ALLOW_OOM`): no command it calls is refused for
    /// memory.
    pub allow_oom: bool,
    pub rand: &'a mut Rand48,
    pub log: &'a mut Vec<ScriptLogEntry>,
    pub host: &'a mut dyn ScriptHost,
}

/// What one run lets the script do (`run_ctx->flags`' `SCRIPT_READ_ONLY` and `SCRIPT_ALLOW_OOM`).
#[derive(Clone, Copy, Debug)]
struct Bridge {
    read_only: bool,
    allow_oom: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum RunOutcome {
    Reply(Reply),
    /// The script raised: the error text and, when the handler found them, source and line.
    Failed {
        message: String,
        source_line: Option<(String, String)>,
    },
    /// The error handler itself failed; its message.
    HandlerFailed(String),
    StepBudget,
    MemoryBudget,
    /// The host stopped the script ([`StopScript`]); its reply.
    Stopped(Reply),
}

fn new_interpreter() -> Result<Lua, String> {
    Lua::try_new_versioned(LuaVersion::V51).map_err(|e| e.to_string())
}

/// The bridge's own chunks (`RAISER`, `sandbox.lua`) compiled once per process and kept as Lua 5.1
/// bytecode with their debug information (the handler tells bridge frames by their source
/// `=redis`). Parsing `sandbox.lua` costs about a millisecond; loading its bytecode into a new
/// interpreter is what makes booting one cheap. A chunk that cannot be dumped is kept as text.
struct BridgeChunks {
    raiser: Vec<u8>,
    sandbox: Vec<u8>,
}

fn bridge_chunks() -> &'static BridgeChunks {
    static CHUNKS: std::sync::OnceLock<BridgeChunks> = std::sync::OnceLock::new();
    CHUNKS.get_or_init(|| {
        let precompiled = |source: &str| -> Vec<u8> {
            new_interpreter()
                .ok()
                .and_then(|lua| lua.load(source).set_name("=redis").into_function().ok()?.dump(false).ok())
                .unwrap_or_else(|| source.as_bytes().to_vec())
        };
        BridgeChunks { raiser: precompiled(RAISER), sandbox: precompiled(SANDBOX) }
    })
}

/// Compiles a user script as `luaL_loadbuffer` does in Redis: text only. omnilua's loader would
/// take a precompiled chunk (ESC, "Lua"…) too; Redis's parser sees that byte as a symbol.
fn load_user_script(lua: &Lua, body: &[u8]) -> omnilua::Result<Function> {
    if body.first() == Some(&0x1b) {
        return Err(omnilua::Error::from(omnilua::LuaError::runtime(format_args!(
            "user_script:1: unexpected symbol near 'char(27)'"
        ))));
    }
    lua.load(body).set_name("@user_script").into_function()
}

/// The budget of one run (or one compilation): `max_steps` instructions, and `max_memory_bytes`
/// on top of what the interpreter already holds when the run starts.
fn sandbox_config(limits: &ScriptLimits, held_bytes: usize) -> SandboxConfig {
    SandboxConfig {
        instruction_limit: Some(limits.max_steps.max(1)),
        memory_limit_bytes: Some(held_bytes.saturating_add(limits.max_memory_bytes)),
        check_interval: 1,
        remove_globals: Vec::new(),
    }
}

/// Named registry slots of the bridge (Redis keeps its scripts as `f_<sha>` in the registry too).
const RAISER_SLOT: &str = "redis.raiser";
const KEEPER_IMPLS_SLOT: &str = "redis.keeper_impls";

/// After a run that left more than this many bytes behind (garbage included), a full collection.
/// Redis steps its collector every 50 scripts (`LUA_GC_CYCLE_PERIOD`); omnilua's incremental
/// collector keeps the rest bounded by itself.
const COLLECT_AFTER_GROWTH: usize = 1 << 20;

/// What the persistent host functions share with the run in progress: the rand48 stream and the
/// log are the engine's and are lent to the interpreter for the length of one run.
#[derive(Default)]
struct RunState {
    rand: RefCell<Rand48>,
    log: RefCell<Vec<ScriptLogEntry>>,
    /// Nesting of keepers (see [`LuaVm::boot`]) in the current run.
    keeper_depth: Cell<u32>,
}

/// A server's Lua interpreter, kept between scripts as Redis keeps `lctx.lua`: `sandbox.lua` runs
/// once when it is built (the read-only globals and libraries, `redis.*`, the error handler), each
/// script is compiled once and kept by its SHA1 (Redis's `f_<sha>`), and a run only sets KEYS and
/// ARGV, lends the run's host to `redis.call` / `redis.pcall`, refills the budget and calls the
/// compiled function. SCRIPT FLUSH drops it (`scriptingReset`).
///
/// Nothing a script can reach outlives its run: the globals, every library table and the string
/// metatable are read-only (as on the referee, Debian's 7.0.15), KEYS and ARGV are replaced by the
/// next run, and `math.random`'s state and the log are the engine's. So a kept interpreter answers
/// exactly as a fresh one would, only faster.
pub struct LuaVm {
    lua: Lua,
    /// Raises for a host function (`RAISER`).
    raiser: Function,
    /// sandbox.lua's `run(script, keys, argv, call, pcall)`.
    runner: Function,
    /// The base library's `collectgarbage`, to read what the interpreter holds.
    collectgarbage: Function,
    /// Compiled scripts by lower-case SHA1 hex.
    functions: BTreeMap<String, Function>,
    state: Rc<RunState>,
    limits: ScriptLimits,
    /// GC-tracked bytes after the last full collection (or boot).
    settled_bytes: usize,
}

impl LuaVm {
    /// A new interpreter with the bridge booted, for runs within `limits`.
    pub fn new(limits: &ScriptLimits) -> Result<LuaVm, String> {
        let lua = new_interpreter()?;
        let state = Rc::new(RunState::default());
        let collectgarbage: Function = lua.globals().raw_get("collectgarbage").map_err(|e| e.to_string())?;
        let (raiser, runner) = Self::boot(&lua, &state, limits).map_err(|e| e.to_string())?;
        let mut vm = LuaVm {
            lua,
            raiser,
            runner,
            collectgarbage,
            functions: BTreeMap::new(),
            state,
            limits: limits.clone(),
            settled_bytes: 0,
        };
        vm.collect();
        Ok(vm)
    }

    /// How many scripts are compiled in it.
    pub fn compiled(&self) -> usize {
        self.functions.len()
    }

    /// The limits this interpreter was built for (sandbox.lua's bounds depend on them).
    pub fn limits(&self) -> &ScriptLimits {
        &self.limits
    }

    /// GC-tracked bytes the interpreter holds, garbage included (`collectgarbage('count')`).
    fn held_bytes(&self) -> usize {
        self.collectgarbage.call::<_, f64>("count").map_or(0, |kb| (kb * 1024.0) as usize)
    }

    fn collect(&mut self) {
        self.lua.gc_collect();
        self.settled_bytes = self.held_bytes();
    }

    /// Runs sandbox.lua with the host functions that need nothing from a particular run. These
    /// hold no handle into the interpreter (a Rust closure that did would keep it alive forever):
    /// what they need from Lua they find in the registry.
    fn boot(lua: &Lua, state: &Rc<RunState>, limits: &ScriptLimits) -> omnilua::Result<(Function, Function)> {
        let chunks = bridge_chunks();
        let raiser: Function = lua.load(&chunks.raiser).set_name("=redis").into_function()?.call(())?;
        lua.set_named_registry_value(RAISER_SLOT, raiser.clone())?;
        let raiser_of = |lua: &Lua| lua.named_registry_value::<Function>(RAISER_SLOT);
        let sha1 = lua.create_function(move |lua, args: Variadic<Value>| {
            let args = args.into_vec();
            if args.len() != 1 {
                return failure(lua, &raiser_of(lua)?, "wrong number of arguments");
            }
            // lua_tolstring: strings and numbers; anything else hashes as the empty string.
            let bytes = to_lua_string_bytes(&args[0]).unwrap_or_default();
            values(vec![Value::String(lua.create_string(sha1_hex(&bytes))?)])
        })?;
        let run_state = Rc::clone(state);
        let random = lua.create_function(move |lua, args: Variadic<Value>| {
            let args = args.into_vec();
            math_random(lua, &raiser_of(lua)?, &args, &mut run_state.rand.borrow_mut())
        })?;
        let run_state = Rc::clone(state);
        let randomseed = lua.create_function(move |lua, args: Variadic<Value>| {
            let args = args.into_vec();
            match check_int(args.first().unwrap_or(&Value::Nil), 1, "randomseed") {
                Ok(seed) => {
                    run_state.rand.borrow_mut().seed(seed);
                    values(Vec::new())
                }
                Err(e) => lib_failure(lua, &raiser_of(lua)?, &e),
            }
        })?;
        let run_state = Rc::clone(state);
        let log_fn = lua.create_function(move |lua, args: Variadic<Value>| {
            let args = args.into_vec();
            redis_log(lua, &raiser_of(lua)?, &args, &mut run_state.log.borrow_mut())
        })?;
        let setresp = lua.create_function(move |lua, args: Variadic<Value>| {
            let args = args.into_vec();
            let raiser = raiser_of(lua)?;
            if args.len() != 1 {
                return failure(lua, &raiser, "redis.setresp() requires one argument.");
            }
            match to_number(&args[0]).map(|n| n as i64) {
                Some(2) => values(Vec::new()),
                Some(3) => failure(
                    lua,
                    &raiser,
                    "playground limit: redis.setresp(3) is not modeled; the model speaks RESP2 only",
                ),
                _ => failure(lua, &raiser, "RESP version must be 2 or 3."),
            }
        })?;
        let set_repl = lua.create_function(move |lua, args: Variadic<Value>| {
            let args = args.into_vec();
            let raiser = raiser_of(lua)?;
            if args.len() != 1 {
                return failure(lua, &raiser, "redis.set_repl() requires two arguments.");
            }
            // lua_tonumber then an int: anything but 0..3 is refused (replication is not modeled).
            let flags = to_number(&args[0]).unwrap_or(0.0);
            if !(0.0..4.0).contains(&flags.trunc()) {
                return failure(
                    lua,
                    &raiser,
                    "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
                );
            }
            values(Vec::new())
        })?;
        let acl_check = lua.create_function(move |lua, args: Variadic<Value>| {
            let args = args.into_vec();
            let argv = match lua_args_to_argv(&args) {
                Ok(a) => a,
                Err(msg) => return failure(lua, &raiser_of(lua)?, msg),
            };
            if crate::redis::table::lookup(&argv[0]).is_none() {
                return failure(lua, &raiser_of(lua)?, "Invalid command passed to redis.acl_check_cmd()");
            }
            // The model has one user with every permission.
            values(vec![Value::Boolean(true)])
        })?;
        let boot: Function = lua.load(&chunks.sandbox).set_name("=redis").into_function()?;
        let booted: Variadic<Value> = boot.call(Variadic::from(vec![
            Value::Function(sha1),
            Value::Function(random),
            Value::Function(randomseed),
            Value::Function(log_fn),
            Value::Function(setresp),
            Value::Function(acl_check),
            Value::Function(set_repl),
            Value::Number(limits.max_memory_bytes as f64),
        ]))?;
        let mut booted = booted.into_vec().into_iter();
        let (Some(Value::Function(runner)), Some(Value::Table(impls)), Some(Value::Function(install))) =
            (booted.next(), booted.next(), booted.next())
        else {
            return Err(omnilua::Error::from(omnilua::LuaError::runtime(format_args!(
                "sandbox bootstrap returned no runner"
            ))));
        };
        // A keeper is a host (C) function that calls one of sandbox.lua's wrappers: when the
        // script tail-calls `string.find`, its frame stays on the stack, as it would for Redis's C
        // function, so errors still name the script's line.
        // A call from Rust into Lua is not one of the interpreter's counted C levels, and costs
        // several kilobytes of (wasm) stack: keepers nested through callbacks (a gsub replacement
        // calling gsub) stop at MAX_KEEPER_NESTING as Lua's C levels stop at 200.
        lua.set_named_registry_value(KEEPER_IMPLS_SLOT, impls.clone())?;
        let keepers = lua.create_table()?;
        for i in 1..=impls.len()? {
            let run_state = Rc::clone(state);
            let keeper = lua.create_function(move |lua, args: Variadic<Value>| {
                let depth = &run_state.keeper_depth;
                if depth.get() >= MAX_KEEPER_NESTING {
                    return Err(omnilua::Error::from(omnilua::LuaError::runtime(format_args!("C stack overflow"))));
                }
                let wrapper: Function = lua.named_registry_value::<Table>(KEEPER_IMPLS_SLOT)?.raw_get(i as f64)?;
                depth.set(depth.get() + 1);
                let result = wrapper.call::<_, Variadic<Value>>(args);
                depth.set(depth.get() - 1);
                result
            })?;
            keepers.raw_set(i as f64, keeper)?;
        }
        install.call::<_, ()>(keepers)?;
        Ok((raiser, runner))
    }

    /// Arms the budget for one run or compilation: `max_steps` fresh instructions and
    /// `max_memory_bytes` above what the interpreter holds now. When what it holds has grown by
    /// more than [`COLLECT_AFTER_GROWTH`] since the last full collection (garbage of earlier runs),
    /// it collects first, so that a run's allowance does not depend on what ran before.
    fn arm(&mut self) -> omnilua::Result<omnilua::Sandbox> {
        let mut held = self.held_bytes();
        if held > self.settled_bytes.saturating_add(COLLECT_AFTER_GROWTH) {
            self.collect();
            held = self.settled_bytes;
        }
        let sandbox = self.lua.install_sandbox(sandbox_config(&self.limits, held))?;
        // A refill of the instructions and a clear of the last run's trip.
        sandbox.reset();
        Ok(sandbox)
    }

    /// `luaCreateFunction`: compiles `body` as `@user_script` and keeps it under `sha`. The error
    /// is the interpreter's message, e.g. `user_script:1: '=' expected near 'x'`; after a
    /// playground-limit error the interpreter must be dropped.
    pub fn compile(&mut self, sha: &str, body: &[u8]) -> Result<(), CompileError> {
        if self.functions.contains_key(sha) {
            return Ok(());
        }
        let sandbox = self.arm().map_err(|e| CompileError::Syntax(e.to_string()))?;
        match load_user_script(&self.lua, body) {
            Ok(f) => {
                self.functions.insert(sha.to_string(), f);
                Ok(())
            }
            Err(e) => match sandbox.tripped() {
                Some(_) => Err(CompileError::Budget(format!(
                    "playground limit: compiling needs more than {} bytes",
                    self.limits.max_memory_bytes
                ))),
                None => Err(CompileError::Syntax(e.to_string())),
            },
        }
    }

    /// Runs the script compiled as `sha` (compiling `body` first if this interpreter has not seen
    /// it) with KEYS and ARGV. After a playground-limit outcome the interpreter should be
    /// dropped: an aborted run may leave anything behind.
    pub fn run(
        &mut self,
        sha: &str,
        body: &[u8],
        keys: &[Vec<u8>],
        args: &[Vec<u8>],
        ctx: RunContext<'_>,
    ) -> RunOutcome {
        if let Err(e) = self.compile(sha, body) {
            return match e {
                CompileError::Budget(_) => RunOutcome::MemoryBudget,
                CompileError::Syntax(msg) => RunOutcome::HandlerFailed(msg),
            };
        }
        let RunContext { read_only, allow_oom, rand, log, host } = ctx;
        // Lend the engine's rand48 stream and log to the interpreter for this run.
        *self.state.rand.borrow_mut() = rand.clone();
        *self.state.log.borrow_mut() = std::mem::take(log);
        self.state.keeper_depth.set(0);
        let outcome = self.run_compiled(sha, keys, args, Bridge { read_only, allow_oom }, host);
        *rand = self.state.rand.borrow().clone();
        *log = std::mem::take(&mut *self.state.log.borrow_mut());
        outcome
    }

    fn run_compiled(
        &mut self,
        sha: &str,
        keys: &[Vec<u8>],
        args: &[Vec<u8>],
        bridge: Bridge,
        host: &mut dyn ScriptHost,
    ) -> RunOutcome {
        let sandbox = match self.arm() {
            Ok(sandbox) => sandbox,
            Err(e) => return RunOutcome::HandlerFailed(e.to_string()),
        };
        let lua = &self.lua;
        let limits = &self.limits;
        let raiser = &self.raiser;
        let max_reply = limits.max_reply_elements;
        let host = RefCell::new(host);
        let host = &host;
        let stopped: RefCell<Option<Reply>> = RefCell::new(None);
        let stopped = &stopped;
        // `SCRIPT_WRITE_DIRTY`: the script has called a write command (once set, memory refuses
        // nothing more: Redis cannot stop a script half way).
        let write_dirty = Cell::new(false);
        let write_dirty = &write_dirty;
        let result = lua.scope(|scope| {
            let make_call = |raise_errors: bool| {
                scope.create_function(lua, move |lua, args: Variadic<Value>| {
                    let args = args.into_vec();
                    let (value, is_error) = match redis_call(lua, &args, bridge, write_dirty, &mut **host.borrow_mut())?
                    {
                        Ok(called) => called,
                        Err(StopScript(reply)) => {
                            // Uncatchable: the budget drops to one step, so the next instruction
                            // aborts the run even inside pcall.
                            stopped.borrow_mut().get_or_insert(reply);
                            lua.install_sandbox(SandboxConfig {
                                instruction_limit: Some(1),
                                ..sandbox_config(limits, usize::MAX / 2)
                            })?;
                            return Err(omnilua::Error::from(omnilua::LuaError::runtime(format_args!(
                                "the script was stopped"
                            ))));
                        }
                    };
                    if raise_errors && is_error {
                        // Raised from here, a C function, as luaRedisGenericCommand raises: the
                        // handler then finds the script one level up, even after a tail call.
                        return raise(raiser, value);
                    }
                    Ok(Variadic::from(vec![value]))
                })
            };
            let Some(script) = self.functions.get(sha) else {
                return Err(omnilua::Error::from(omnilua::LuaError::runtime(format_args!("script not compiled"))));
            };
            let keys = string_array(lua, keys)?;
            let args = string_array(lua, args)?;
            let out: Variadic<Value> = self.runner.call(Variadic::from(vec![
                Value::Function(script.clone()),
                Value::Table(keys),
                Value::Table(args),
                Value::Function(make_call(true)?),
                Value::Function(make_call(false)?),
            ]))?;
            let mut out = out.into_vec().into_iter();
            let ok = matches!(out.next(), Some(Value::Boolean(true)));
            let value = out.next().unwrap_or(Value::Nil);
            if ok {
                Ok(RunOutcome::Reply(lua_to_reply(value, max_reply)))
            } else {
                Ok(failure_outcome(value))
            }
        });
        if let Some(reply) = stopped.borrow_mut().take() {
            return RunOutcome::Stopped(reply);
        }
        match result {
            Ok(outcome) => outcome,
            Err(e) => match sandbox.tripped() {
                Some(TripReason::Instructions) => RunOutcome::StepBudget,
                Some(TripReason::Memory) => RunOutcome::MemoryBudget,
                None => RunOutcome::HandlerFailed(e.to_string()),
            },
        }
    }
}

impl Interpret for LuaVm {
    fn limits(&self) -> &ScriptLimits {
        LuaVm::limits(self)
    }
    fn compiled(&self) -> usize {
        LuaVm::compiled(self)
    }
    fn compile(&mut self, sha: &str, body: &[u8]) -> Result<(), CompileError> {
        LuaVm::compile(self, sha, body)
    }
    fn run(&mut self, sha: &str, body: &[u8], keys: &[Vec<u8>], args: &[Vec<u8>], ctx: RunContext<'_>) -> RunOutcome {
        LuaVm::run(self, sha, body, keys, args, ctx)
    }
}

/// The [`super::engine::Boot`] of the Lua VM: the one place outside this file that leads to omnilua.
pub fn boot(limits: &ScriptLimits) -> Result<Box<dyn Interpret>, String> {
    Ok(Box::new(LuaVm::new(limits)?))
}

/// Why a script did not compile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CompileError {
    /// The interpreter's message.
    Syntax(String),
    /// The memory budget stopped the compiler; the message says so.
    Budget(String),
}

type HostResult = omnilua::Result<Variadic<Value>>;

fn values(v: Vec<Value>) -> HostResult {
    Ok(Variadic::from(v))
}

/// Raises `value` through the raiser (which never returns normally).
fn raise(raiser: &Function, value: Value) -> HostResult {
    raiser.call::<_, ()>(Variadic::from(vec![value]))?;
    Err(omnilua::Error::from(omnilua::LuaError::runtime(format_args!("the raiser returned"))))
}

/// A Redis error (`luaPushError` + `luaError`): `{err = "ERR <msg>"}`.
fn failure(lua: &Lua, raiser: &Function, msg: &str) -> HostResult {
    raise(raiser, Value::Table(error_table(lua, &format!("ERR {msg}"))?))
}

/// A library error (`luaL_error`): the message with the caller's position.
fn lib_failure(lua: &Lua, raiser: &Function, msg: &str) -> HostResult {
    raise(raiser, Value::String(lua.create_string(msg)?))
}

fn to_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => Some(*n),
        Value::Integer(i) => Some(*i as f64),
        Value::String(s) => {
            let b = s.as_bytes().ok()?;
            crate::redis::num::strtod_full(String::from_utf8_lossy(&b).trim().as_bytes())
        }
        _ => None,
    }
}

/// `lua_tolstring`: a string's bytes, a number as Lua 5.1 prints it (`%.14g`), else `None`.
fn to_lua_string_bytes(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => s.as_bytes().ok(),
        Value::Number(n) => Some(lua_number_string(*n).into_bytes()),
        Value::Integer(i) => Some(lua_number_string(*i as f64).into_bytes()),
        _ => None,
    }
}

fn lua_number_string(n: f64) -> String {
    c_double(n, 14)
}

/// C's `%.<p>g` including its spellings of infinities and NaN (x86 NaNs from 0/0 are negative).
fn c_double(n: f64, precision: usize) -> String {
    if n.is_nan() {
        if n.is_sign_negative() {
            "-nan".into()
        } else {
            "nan".into()
        }
    } else if n.is_infinite() {
        if n > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        }
    } else {
        format_g(n, precision)
    }
}

/// `luaArgsToRedisArgv`: strings as they are, numbers as `%.17g`; anything else is an error.
fn lua_args_to_argv(args: &[Value]) -> Result<Vec<Vec<u8>>, &'static str> {
    if args.is_empty() {
        return Err("Please specify at least one argument for this redis lib call");
    }
    args.iter()
        .map(|a| match a {
            Value::String(s) => s.as_bytes().map_err(|_| "Lua redis lib command arguments must be strings or integers"),
            Value::Number(n) => Ok(c_double(*n, 17).into_bytes()),
            Value::Integer(i) => Ok(c_double(*i as f64, 17).into_bytes()),
            _ => Err("Lua redis lib command arguments must be strings or integers"),
        })
        .collect()
}

/// `luaRedisGenericCommand` + `scriptCall`: the checks, the call, the reply as a Lua value.
/// Returns the value and whether it is an error table, or the host's [`StopScript`].
fn redis_call(
    lua: &Lua,
    args: &[Value],
    bridge: Bridge,
    write_dirty: &Cell<bool>,
    host: &mut dyn ScriptHost,
) -> omnilua::Result<Result<(Value, bool), StopScript>> {
    let argv = match lua_args_to_argv(args) {
        Ok(a) => a,
        Err(msg) => return Ok(Ok((Value::Table(error_table(lua, &format!("ERR {msg}"))?), true))),
    };
    let mut dirty = write_dirty.get();
    if let Err(text) = super::check_script_call(host, &argv, bridge.read_only, bridge.allow_oom, &mut dirty) {
        let t = error_table(lua, &text)?;
        t.raw_set("ignore_error_stats_update", true)?;
        return Ok(Ok((Value::Table(t), true)));
    }
    write_dirty.set(dirty);
    let reply = match host.call(&argv) {
        Ok(reply) => reply,
        Err(stop) => return Ok(Err(stop)),
    };
    let is_error = reply.is_error();
    Ok(Ok((reply_to_lua(lua, &reply)?, is_error)))
}

/// `luaPushErrorBuff`: `{err = "CODE message"}` from a "-CODE message" or a plain message.
fn error_table(lua: &Lua, text: &str) -> omnilua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set("err", lua.create_string(super::script_error_text(text))?)?;
    Ok(t)
}

/// `redisProtocolToLuaType` for RESP2 replies.
pub fn reply_to_lua(lua: &Lua, reply: &Reply) -> omnilua::Result<Value> {
    Ok(match reply {
        Reply::Integer(i) => Value::Number(*i as f64),
        Reply::Bulk(b) => Value::String(lua.create_string(b)?),
        Reply::Nil | Reply::NilArray => Value::Boolean(false),
        Reply::Status(s) => {
            let t = lua.create_table()?;
            t.raw_set("ok", lua.create_string(s)?)?;
            Value::Table(t)
        }
        Reply::Error(e) => {
            let t = error_table(lua, e)?;
            t.raw_set("ignore_error_stats_update", true)?;
            Value::Table(t)
        }
        Reply::Array(items) => {
            let t = lua.create_table()?;
            for (i, item) in items.iter().enumerate() {
                t.raw_set(i as f64 + 1.0, reply_to_lua(lua, item)?)?;
            }
            Value::Table(t)
        }
    })
}

fn string_array(lua: &Lua, items: &[Vec<u8>]) -> omnilua::Result<Table> {
    let t = lua.create_table()?;
    for (i, item) in items.iter().enumerate() {
        t.raw_set(i as f64 + 1.0, lua.create_string(item)?)?;
    }
    Ok(t)
}

/// Redis's `math.random` over rand48: no argument → [0,1); `u` → [1,u]; `l, u` → [l,u].
fn math_random(lua: &Lua, raiser: &Function, args: &[Value], rand: &mut Rand48) -> HostResult {
    let n = args.len();
    let r = rand.next_unit();
    let value = match n {
        0 => r,
        1 => {
            let u = match check_int(&args[0], 1, "random") {
                Ok(u) => u,
                Err(e) => return lib_failure(lua, raiser, &e),
            };
            if u < 1 {
                return lib_failure(lua, raiser, "bad argument #1 to 'random' (interval is empty)");
            }
            (r * f64::from(u)).floor() + 1.0
        }
        2 => {
            let (l, u) = match (check_int(&args[0], 1, "random"), check_int(&args[1], 2, "random")) {
                (Ok(l), Ok(u)) => (l, u),
                (Err(e), _) | (_, Err(e)) => return lib_failure(lua, raiser, &e),
            };
            if l > u {
                return lib_failure(lua, raiser, "bad argument #2 to 'random' (interval is empty)");
            }
            // `u-l+1` in C int arithmetic (wraps on x86).
            let span = u.wrapping_sub(l).wrapping_add(1);
            (r * f64::from(span)).floor() + f64::from(l)
        }
        _ => return lib_failure(lua, raiser, "wrong number of arguments"),
    };
    values(vec![Value::Number(value)])
}

/// `luaL_checkint`: a number (or numeric string) truncated to a C int; out of range or NaN gives
/// INT_MIN as the x86 conversion does.
fn check_int(v: &Value, arg: usize, function: &str) -> Result<i32, String> {
    match to_number(v) {
        Some(x) if x.is_finite() && x > -2_147_483_649.0 && x < 2_147_483_648.0 => Ok(x.trunc() as i32),
        Some(_) => Ok(i32::MIN),
        None => Err(format!("bad argument #{arg} to '{function}' (number expected, got {})", lua_typename(v))),
    }
}

fn lua_typename(v: &Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::Boolean(_) => "boolean",
        Value::Integer(_) | Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Table(_) => "table",
        Value::Function(_) => "function",
        Value::UserData(_) | Value::LightUserData(_) => "userdata",
        Value::Thread(_) => "thread",
    }
}

/// `redis.log(level, ...)`: kept when at or above the server's verbosity (notice).
fn redis_log(lua: &Lua, raiser: &Function, args: &[Value], log: &mut Vec<ScriptLogEntry>) -> HostResult {
    if args.len() < 2 {
        return failure(lua, raiser, "redis.log() requires two arguments or more.");
    }
    let Some(level) = (match &args[0] {
        Value::Number(_) | Value::Integer(_) | Value::String(_) => to_number(&args[0]),
        _ => None,
    }) else {
        return failure(lua, raiser, "First argument must be a number (log level).");
    };
    let level = if level.is_finite() { level.trunc() as i64 } else { i64::MIN };
    if !(0..=3).contains(&level) {
        return failure(lua, raiser, "Invalid debug level.");
    }
    if level >= 2 {
        let parts: Vec<String> = args[1..]
            .iter()
            .filter_map(to_lua_string_bytes)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .collect();
        if log.len() >= LOG_CAPACITY {
            log.remove(0);
        }
        log.push(ScriptLogEntry { level: level as u8, message: parts.join(" ") });
    }
    values(Vec::new())
}

/// `luaExtractErrorInformation` on what the error handler returned.
fn failure_outcome(value: Value) -> RunOutcome {
    let Value::Table(t) = value else {
        let msg = match &value {
            Value::String(s) => String::from_utf8_lossy(&s.as_bytes().unwrap_or_default()).into_owned(),
            _ => "execution failure".into(),
        };
        return RunOutcome::HandlerFailed(msg);
    };
    let field = |name: &str| -> Option<String> {
        match t.get::<_, Value>(name).ok()? {
            Value::String(s) => Some(c_string(&s.as_bytes().ok()?)),
            Value::Number(n) => Some(lua_number_string(n)),
            Value::Integer(i) => Some(lua_number_string(i as f64)),
            _ => None,
        }
    };
    // A table without an `err` string crashes a real 7.0 server (sdscatfmt of NULL).
    let message = field("err").unwrap_or_else(|| "ERR unknown error".into());
    let source_line = match (field("source"), field("line")) {
        (Some(s), Some(l)) => Some((s, l)),
        _ => None,
    };
    RunOutcome::Failed { message, source_line }
}

/// What C sees of a Lua string through `char *`: up to the first NUL byte.
fn c_string(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// `luaReplyToRedisReply` for a RESP2 client, iterative so a deep or cyclic table cannot exhaust
/// the Rust stack.
pub fn lua_to_reply(root: Value, max_elements: usize) -> Reply {
    enum Source {
        Array { table: Table, next: i64 },
        List(std::vec::IntoIter<Value>),
    }
    struct Open {
        source: Source,
        items: Vec<Reply>,
    }
    enum Step {
        Leaf(Reply),
        Open(Source),
    }
    fn classify(v: Value) -> Step {
        match v {
            Value::String(s) => Step::Leaf(Reply::Bulk(s.as_bytes().unwrap_or_default())),
            Value::Boolean(true) => Step::Leaf(Reply::Integer(1)),
            Value::Boolean(false) => Step::Leaf(Reply::Nil),
            Value::Number(n) => Step::Leaf(Reply::Integer(c_long_long(n))),
            Value::Integer(i) => Step::Leaf(Reply::Integer(i)),
            Value::Table(t) => table_step(t),
            _ => Step::Leaf(Reply::Nil),
        }
    }
    fn raw_str(t: &Table, key: &str) -> Option<LuaString> {
        match t.raw_get::<_, Value>(key).ok()? {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    fn table_step(t: Table) -> Step {
        if let Some(e) = raw_str(&t, "err") {
            let text = c_string(&e.as_bytes().unwrap_or_default());
            let text = format!("-{text}");
            let text = text.trim_end_matches(['\r', '\n']).replace(['\r', '\n'], " ");
            return Step::Leaf(Reply::Error(text[1..].to_string()));
        }
        if let Some(s) = raw_str(&t, "ok") {
            return Step::Leaf(Reply::Status(c_string(&s.as_bytes().unwrap_or_default()).replace(['\r', '\n'], " ")));
        }
        match t.raw_get::<_, Value>("double") {
            Ok(Value::Number(d)) => return Step::Leaf(Reply::Bulk(c_double(d, 17).into_bytes())),
            Ok(Value::Integer(i)) => return Step::Leaf(Reply::Bulk(c_double(i as f64, 17).into_bytes())),
            _ => {}
        }
        if let Some(s) = raw_str(&t, "big_number") {
            let mut b = s.as_bytes().unwrap_or_default();
            for c in b.iter_mut() {
                if *c == b'\r' || *c == b'\n' {
                    *c = b' ';
                }
            }
            return Step::Leaf(Reply::Bulk(b));
        }
        if let Ok(Value::Table(v)) = t.raw_get::<_, Value>("verbatim_string") {
            if raw_str(&v, "format").is_some() {
                if let Some(s) = raw_str(&v, "string") {
                    return Step::Leaf(Reply::Bulk(s.as_bytes().unwrap_or_default()));
                }
            }
        }
        if let Ok(Value::Table(m)) = t.raw_get::<_, Value>("map") {
            let flat: Vec<Value> = m.raw_pairs().unwrap_or_default().into_iter().flat_map(|(k, v)| [k, v]).collect();
            return Step::Open(Source::List(flat.into_iter()));
        }
        if let Ok(Value::Table(s)) = t.raw_get::<_, Value>("set") {
            let keys: Vec<Value> = s.raw_pairs().unwrap_or_default().into_iter().map(|(k, _)| k).collect();
            return Step::Open(Source::List(keys.into_iter()));
        }
        Step::Open(Source::Array { table: t, next: 1 })
    }
    fn pull(source: &mut Source) -> Option<Value> {
        match source {
            Source::Array { table, next } => {
                let v = table.raw_get::<_, Value>(*next as f64).unwrap_or(Value::Nil);
                if matches!(v, Value::Nil) {
                    return None;
                }
                *next += 1;
                Some(v)
            }
            Source::List(it) => it.next(),
        }
    }

    let mut stack: Vec<Open> = Vec::new();
    let mut elements = 0usize;
    let mut next = root;
    loop {
        let mut finished = match classify(next) {
            Step::Leaf(r) => r,
            Step::Open(_) if stack.len() >= MAX_REPLY_DEPTH => Reply::error("ERR reached lua stack limit"),
            Step::Open(mut source) => match pull(&mut source) {
                Some(v) => {
                    stack.push(Open { source, items: Vec::new() });
                    next = v;
                    continue;
                }
                None => Reply::Array(Vec::new()),
            },
        };
        // Hand the finished reply to its parent, closing every frame that thereby ends.
        loop {
            elements += 1;
            if elements > max_elements {
                return Reply::Error(format!(
                    "ERR playground limit: the script's reply has more than {max_elements} elements"
                ));
            }
            let Some(top) = stack.last_mut() else {
                return finished;
            };
            top.items.push(finished);
            match pull(&mut top.source) {
                Some(v) => {
                    next = v;
                    break;
                }
                None => {
                    let frame = stack.pop().expect("the frame just used");
                    finished = Reply::Array(frame.items);
                }
            }
        }
    }
}

/// `(long long)` of a double as x86-64 converts it: truncation, and INT64_MIN when out of range.
fn c_long_long(n: f64) -> i64 {
    if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&n) {
        n as i64
    } else {
        i64::MIN
    }
}
