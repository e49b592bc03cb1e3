//! The scripting commands: argument handling of EVAL* and SCRIPT (eval.c), the script cache, the
//! server's Lua interpreter, the rand48 stream and the script log that outlive one run.

use serde::{Deserialize, Serialize};

use std::cell::RefCell;
use std::rc::Rc;

use super::lua::{CompileError, RunContext, RunOutcome};
use super::rand48::Rand48;
use super::{parse_shebang, sha1_hex, CachedScript, ScriptCache, ScriptFlags, ScriptHost, ScriptLimits};
use crate::redis::args::{c_str, is};
use crate::redis::num::parse_i64;
use crate::redis::reply::Reply;

/// How many `redis.log` lines the engine keeps (oldest dropped first).
pub const LOG_CAPACITY: usize = 100;

/// One `redis.log` line at or above the server's verbosity (notice), as the server log has it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptLogEntry {
    /// 0 debug, 1 verbose, 2 notice, 3 warning (`redis.LOG_*`).
    pub level: u8,
    pub message: String,
}

const NOSCRIPT: &str = "NOSCRIPT No matching script. Please use EVAL.";
/// `scriptPrepareForRun`'s refusal of a script with flags but without `allow-oom` or `no-writes`.
const OOM_SCRIPT: &str = "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'";

const SCRIPT_HELP: &[&str] = &[
    "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DEBUG (YES|SYNC|NO)",
    "    Set the debug mode for subsequent scripts executed.",
    "EXISTS <sha1> [<sha1> ...]",
    "    Return information about the existence of the scripts in the script cache.",
    "FLUSH [ASYNC|SYNC]",
    "    Flush the Lua scripts cache. Very dangerous on replicas.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the scripts cache.",
    "    * SYNC: Synchronously flush the scripts cache.",
    "KILL",
    "    Kill the currently executing Lua script.",
    "LOAD <script>",
    "    Load a script into the scripts cache without executing it.",
    "HELP",
    "    Prints this help.",
];

/// The scripting state of one server: what survives between scripts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScriptEngine {
    cache: ScriptCache,
    rand: Rand48,
    limits: ScriptLimits,
    log: Vec<ScriptLogEntry>,
    interpreter: Interpreter,
}

/// What the engine needs from a Lua interpreter. `super::lua::LuaVm` (omnilua) is the one there is;
/// the engine reaches it only through a [`Boot`] function, never by name, so a wasm bundle whose
/// entry point does not install it (see [`install_lua`]) does not link the interpreter at all.
pub trait Interpret {
    /// The limits it was built for (its bounds depend on them).
    fn limits(&self) -> &ScriptLimits;
    /// How many scripts it holds compiled.
    fn compiled(&self) -> usize;
    /// Compiles `body` and keeps it under `sha` (lower-case hex).
    fn compile(&mut self, sha: &str, body: &[u8]) -> Result<(), CompileError>;
    /// Runs the script `sha` (compiling `body` first if it is not yet), with KEYS and ARGV.
    fn run(&mut self, sha: &str, body: &[u8], keys: &[Vec<u8>], args: &[Vec<u8>], ctx: RunContext<'_>) -> RunOutcome;
}

/// Builds an interpreter for runs within the limits; the error says why it could not start.
pub type Boot = fn(&ScriptLimits) -> Result<Box<dyn Interpret>, String>;

thread_local! {
    /// The interpreter a wasm entry point installed on its (only) thread (`bundle_entry!`).
    static INSTALLED: std::cell::Cell<Option<Boot>> = const { std::cell::Cell::new(None) };
}

/// Makes EVAL, EVALSHA and SCRIPT LOAD run on the Lua interpreter in every server this thread builds
/// from now on. The bundles of the pages where anyone can type a script call it first thing
/// (`bundle_entry!(…, with_lua)`); the others never name it, so their wasm leaves the interpreter
/// out. Natively the interpreter is always there (the `sim` CLI, `redis-model`, the tests),
/// installed or not. Idempotent.
pub fn install_lua() {
    install_interpreter(super::lua::boot);
}

/// Makes every server this thread builds from now on run its scripts on `boot`'s interpreter: the
/// Lua VM ([`install_lua`]) or one that runs only a page's own scripts, as the locks page's bundle
/// does (`crate::lock::store::boot_lock_scripts`).
pub fn install_interpreter(boot: Boot) {
    INSTALLED.with(|installed| installed.set(Some(boot)));
}

/// The interpreter a new server gets: the installed one, else natively the Lua VM, else none.
fn default_boot() -> Option<Boot> {
    #[cfg(not(target_arch = "wasm32"))]
    let native: Option<Boot> = Some(super::lua::boot);
    #[cfg(target_arch = "wasm32")]
    let native: Option<Boot> = None;
    INSTALLED.with(std::cell::Cell::get).or(native)
}

/// The answer to a command that needs the interpreter in a build without one: a page whose bundle
/// leaves the Lua VM out (ARCHITECTURE.md, "Bundle").
pub const NO_INTERPRETER: &str = "ERR playground limit: this page's build has no Lua interpreter, so EVAL, EVALSHA and SCRIPT LOAD are not available here (they run on the Redis and Cluster pages)";

/// The server's Lua interpreter (an [`Interpret`] from its [`Boot`]), built on the first script that
/// needs it and kept until SCRIPT FLUSH, a change of limits, or a run a playground limit stopped.
///
/// It holds nothing a script could observe (see `super::lua::LuaVm`): only compiled functions, which
/// depend on nothing but the script's text. So it is not part of the engine's value: engines
/// compare equal whatever their interpreters, and a clone of the server shares the interpreter
/// (a `Store` is cloned for every rewind snapshot and every script's undo copy; sharing spares
/// booting a new interpreter after each).
#[derive(Clone)]
struct Interpreter {
    /// How to build one; `None` in a build without the interpreter.
    boot: Option<Boot>,
    vm: Option<Rc<RefCell<Box<dyn Interpret>>>>,
}

/// Why there is no interpreter to run a script on.
enum Unavailable {
    /// This build has none ([`NO_INTERPRETER`]).
    NotInBuild,
    /// It failed to boot.
    DidNotStart,
}

impl Default for Interpreter {
    fn default() -> Interpreter {
        Interpreter { boot: default_boot(), vm: None }
    }
}

impl PartialEq for Interpreter {
    fn eq(&self, _: &Interpreter) -> bool {
        true
    }
}

impl std::fmt::Debug for Interpreter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match (&self.boot, &self.vm) {
            (None, _) => "Interpreter(not in this build)",
            (Some(_), Some(_)) => "Interpreter(booted)",
            (Some(_), None) => "Interpreter(none)",
        })
    }
}

impl Interpreter {
    /// The interpreter for `limits`, booted now if there is none (or it was built for other
    /// limits).
    fn get(&mut self, limits: &ScriptLimits) -> Result<Rc<RefCell<Box<dyn Interpret>>>, Unavailable> {
        let boot = self.boot.ok_or(Unavailable::NotInBuild)?;
        if let Some(vm) = &self.vm {
            if vm.try_borrow().is_ok_and(|vm| vm.limits() == limits) {
                return Ok(Rc::clone(vm));
            }
        }
        let vm = Rc::new(RefCell::new(boot(limits).map_err(|_| Unavailable::DidNotStart)?));
        self.vm = Some(Rc::clone(&vm));
        Ok(vm)
    }

    /// A fresh interpreter of its own, not kept (for a run that found the shared one busy).
    fn fresh(&self, limits: &ScriptLimits) -> Result<Box<dyn Interpret>, String> {
        match self.boot {
            Some(boot) => boot(limits),
            None => Err(NO_INTERPRETER.into()),
        }
    }

    /// Drops this server's hold on the interpreter (`scriptingReset`).
    fn reset(&mut self) {
        self.vm = None;
    }
}

impl ScriptEngine {
    pub fn new(limits: ScriptLimits) -> ScriptEngine {
        ScriptEngine { limits, ..ScriptEngine::default() }
    }
    pub fn limits(&self) -> &ScriptLimits {
        &self.limits
    }
    pub fn set_limits(&mut self, limits: ScriptLimits) {
        self.limits = limits;
        self.interpreter.reset();
    }
    pub fn cache(&self) -> &ScriptCache {
        &self.cache
    }
    /// How many scripts the server's interpreter holds compiled, or `None` when it has none (before
    /// the first script, after SCRIPT FLUSH, after a run a playground limit stopped).
    pub fn compiled_scripts(&self) -> Option<usize> {
        let vm = self.interpreter.vm.as_ref()?;
        vm.try_borrow().ok().map(|vm| vm.compiled())
    }
    /// Drops this server's interpreter; the next script builds a new one. Changes no reply (that
    /// is what the tests comparing a kept interpreter with fresh ones check).
    pub fn reset_interpreter(&mut self) {
        self.interpreter.reset();
    }
    /// Whether this server can run scripts: false in a wasm bundle built without the interpreter.
    pub fn has_interpreter(&self) -> bool {
        self.interpreter.boot.is_some()
    }
    /// Gives this server another interpreter, or none (as a bundle without one has), so that what
    /// such a build answers can be tested natively.
    pub fn set_interpreter(&mut self, boot: Option<Boot>) {
        self.interpreter = Interpreter { boot, vm: None };
    }
    /// `redis.log` lines kept so far (bounded by [`LOG_CAPACITY`]).
    pub fn log(&self) -> &[ScriptLogEntry] {
        &self.log
    }

    /// EVAL, EVALSHA, EVAL_RO or EVALSHA_RO with its full argv; `argv[0]` decides which. A host
    /// that can undo writes uses [`ScriptEngine::eval`] instead, to learn when it must.
    pub fn eval_command(&mut self, argv: &[Vec<u8>], host: &mut dyn ScriptHost) -> Reply {
        self.eval(argv, host).reply
    }

    /// `evalGetCommandFlags`: the flags a script's shebang declares for the EVAL-family command
    /// `argv` (its SHA1 looked up in the cache, else EVAL's body's shebang parsed), or `None` when
    /// the command's own table flags apply (no shebang, a bad one, an EVALSHA of an unknown or
    /// not 40-character SHA1).
    pub fn declared_flags(&self, argv: &[Vec<u8>]) -> Option<ScriptFlags> {
        let (name, source) = (argv.first()?.to_ascii_lowercase(), argv.get(1)?);
        let evalsha = name.starts_with(b"evalsha");
        let flags = if evalsha {
            if source.len() != 40 {
                return None;
            }
            self.cache.get(source)?.flags
        } else {
            match self.cache.get(sha1_hex(source).as_bytes()) {
                Some(script) => script.flags,
                None => parse_shebang(source).ok()?.0,
            }
        };
        (!flags.compat).then_some(flags)
    }

    /// [`ScriptEngine::eval_command`] that also says whether a playground limit stopped the run.
    pub fn eval(&mut self, argv: &[Vec<u8>], host: &mut dyn ScriptHost) -> EvalOutcome {
        let call = match EvalArgs::parse(argv) {
            Ok(call) => call,
            Err(e) => return EvalOutcome::answered(e),
        };
        let sha = match call.source {
            ScriptSource::Sha(sha) => {
                let sha = String::from_utf8_lossy(sha).to_ascii_lowercase();
                if !self.cache.contains(sha.as_bytes()) {
                    return EvalOutcome::answered(Reply::error(NOSCRIPT));
                }
                sha
            }
            ScriptSource::Body(body) => match self.load(body) {
                Ok(sha) => sha,
                Err(e) => return EvalOutcome::answered(e),
            },
        };
        self.run_cached(&sha, call.keys, call.args, call.read_only, host)
    }

    /// Runs the cached script `sha` (lower-case hex) with KEYS and ARGV; `read_only` for the *_RO
    /// commands. The script's shebang flags apply as `scriptPrepareForRun` applies them.
    pub fn run_cached(
        &mut self,
        sha: &str,
        keys: &[Vec<u8>],
        args: &[Vec<u8>],
        read_only: bool,
        host: &mut dyn ScriptHost,
    ) -> EvalOutcome {
        let Some(script) = self.cache.get(sha.as_bytes()).cloned() else {
            return EvalOutcome::answered(Reply::error(NOSCRIPT));
        };
        if !script.flags.compat && !script.flags.no_writes && read_only {
            return EvalOutcome::answered(Reply::error(
                "ERR Can not execute a script with write flag using *_ro command.",
            ));
        }
        // The no-writes flag implies allow-oom; compatibility mode leaves memory to each call.
        let flags = script.flags;
        if !flags.compat && !flags.allow_oom && !flags.no_writes && host.out_of_memory() {
            return EvalOutcome::answered(Reply::error(OOM_SCRIPT));
        }
        let read_only = read_only || (!flags.compat && flags.no_writes);
        let allow_oom = !flags.compat && flags.allow_oom;
        let body = blank_shebang(&script);
        let ctx = RunContext { read_only, allow_oom, rand: &mut self.rand, log: &mut self.log, host };
        let outcome = match self.interpreter.get(&self.limits) {
            // Another server sharing this interpreter is running a script that reached this one
            // (never today): a fresh interpreter of its own for this run.
            Ok(vm) => match vm.try_borrow_mut() {
                Ok(mut vm) => vm.run(sha, &body, keys, args, ctx),
                Err(_) => match self.interpreter.fresh(&self.limits) {
                    Ok(mut vm) => vm.run(sha, &body, keys, args, ctx),
                    Err(e) => RunOutcome::HandlerFailed(e),
                },
            },
            Err(Unavailable::NotInBuild) => return EvalOutcome::answered(Reply::error(NO_INTERPRETER)),
            Err(Unavailable::DidNotStart) => RunOutcome::HandlerFailed("the Lua interpreter did not start".into()),
        };
        let stopped = matches!(outcome, RunOutcome::StepBudget | RunOutcome::MemoryBudget | RunOutcome::Stopped(_));
        if stopped {
            // An aborted run may have left anything half done in the interpreter.
            self.interpreter.reset();
        }
        let reply = match outcome {
            RunOutcome::Reply(r) => r,
            RunOutcome::Failed { message, source_line } => {
                let mut text = message;
                if let Some((source, line)) = source_line {
                    text.push_str(&format!(" script: {sha}, on {source}:{line}."));
                }
                // Redis sends this text as it is; a line break would break the protocol.
                Reply::Error(text.replace(['\r', '\n'], " "))
            }
            RunOutcome::HandlerFailed(msg) => {
                let short: String = msg.chars().take(100).collect();
                Reply::Error(single_line(&format!("ERR Error running script {sha}, {short}")))
            }
            RunOutcome::StepBudget => Reply::Error(format!(
                "ERR playground limit: the script ran {} Lua steps without finishing (a real Redis would keep running it and answer BUSY to every other client) script: {sha}",
                self.limits.max_steps
            )),
            RunOutcome::MemoryBudget => Reply::Error(format!(
                "ERR playground limit: the script needed more than {} bytes of Lua memory script: {sha}",
                self.limits.max_memory_bytes
            )),
            RunOutcome::Stopped(Reply::Error(text)) => Reply::Error(format!("{text} script: {sha}")),
            RunOutcome::Stopped(other) => other,
        };
        EvalOutcome { reply, stopped }
    }

    /// `luaCreateFunction`: checks the shebang and compiles `body`, caches it, returns its SHA1.
    /// The error is the reply Redis gives (`Error compiling script …`).
    pub fn load(&mut self, body: &[u8]) -> Result<String, Reply> {
        let sha = sha1_hex(body);
        if self.cache.contains(sha.as_bytes()) {
            return Ok(sha);
        }
        let (flags, shebang_len) = parse_shebang(body).map_err(|e| Reply::Error(single_line(&format!("ERR {e}"))))?;
        let script = CachedScript { body: body.to_vec(), flags, shebang_len };
        let compiled = match self.interpreter.get(&self.limits) {
            Ok(vm) => match vm.try_borrow_mut() {
                Ok(mut vm) => vm.compile(&sha, &blank_shebang(&script)),
                Err(_) => self
                    .interpreter
                    .fresh(&self.limits)
                    .map_err(CompileError::Syntax)
                    .and_then(|mut vm| vm.compile(&sha, &blank_shebang(&script))),
            },
            Err(Unavailable::NotInBuild) => return Err(Reply::error(NO_INTERPRETER)),
            Err(Unavailable::DidNotStart) => Err(CompileError::Syntax("the Lua interpreter did not start".into())),
        };
        if let Err(e) = compiled {
            let e = match e {
                CompileError::Syntax(e) => e,
                CompileError::Budget(e) => {
                    self.interpreter.reset();
                    e
                }
            };
            return Err(Reply::Error(single_line(&format!("ERR Error compiling script (new function): {e}"))));
        }
        self.cache.insert(sha.clone(), script);
        Ok(sha)
    }

    /// SCRIPT with its full argv (`argv[0]` is SCRIPT).
    pub fn script_command(&mut self, argv: &[Vec<u8>]) -> Reply {
        match ScriptSubcommand::parse(argv) {
            Err(e) => e,
            Ok(ScriptSubcommand::Help) => {
                Reply::Array(SCRIPT_HELP.iter().map(|l| Reply::Status((*l).into())).collect())
            }
            Ok(ScriptSubcommand::Flush) => {
                self.cache.clear();
                self.interpreter.reset();
                Reply::ok()
            }
            Ok(ScriptSubcommand::Exists(shas)) => {
                Reply::Array(shas.iter().map(|sha| Reply::Integer(i64::from(self.cache.contains(sha)))).collect())
            }
            Ok(ScriptSubcommand::Load(body)) => match self.load(body) {
                Ok(sha) => Reply::bulk(sha),
                Err(e) => e,
            },
            Ok(ScriptSubcommand::Kill) => Reply::error("NOTBUSY No scripts in execution right now."),
            Ok(ScriptSubcommand::Debug(DebugMode::No)) => Reply::ok(),
            Ok(ScriptSubcommand::Debug(DebugMode::Yes | DebugMode::Sync)) => {
                Reply::error("ERR playground limit: SCRIPT DEBUG (the Lua debugger) is not modeled")
            }
        }
    }
}

/// How an EVAL-family command ended.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalOutcome {
    pub reply: Reply,
    /// A playground limit stopped the script (its step or memory budget, or the host's
    /// [`super::StopScript`]): whatever it wrote must be undone, so that a refused script changes
    /// nothing.
    pub stopped: bool,
}

impl EvalOutcome {
    fn answered(reply: Reply) -> EvalOutcome {
        EvalOutcome { reply, stopped: false }
    }
}

/// Which script an EVAL-family command names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScriptSource<'a> {
    /// EVAL / EVAL_RO: the script's text.
    Body(&'a [u8]),
    /// EVALSHA / EVALSHA_RO: 40 bytes, a SHA1 in hex in any case if it is to match.
    Sha(&'a [u8]),
}

/// An EVAL-family command's arguments as eval.c takes them apart (`evalShaCommand`'s length check,
/// then `evalGenericCommand`'s numkeys), before anything is looked up or compiled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EvalArgs<'a> {
    pub source: ScriptSource<'a>,
    /// EVAL_RO / EVALSHA_RO.
    pub read_only: bool,
    pub keys: &'a [Vec<u8>],
    pub args: &'a [Vec<u8>],
}

impl<'a> EvalArgs<'a> {
    /// Parses a full argv (`argv[0]` EVAL, EVALSHA, EVAL_RO or EVALSHA_RO in any case). The error
    /// is Redis's reply.
    pub fn parse(argv: &'a [Vec<u8>]) -> Result<EvalArgs<'a>, Reply> {
        let name = argv.first().map(|n| n.to_ascii_lowercase()).unwrap_or_default();
        let (by_sha, read_only) = match name.as_slice() {
            b"eval" => (false, false),
            b"eval_ro" => (false, true),
            b"evalsha" => (true, false),
            b"evalsha_ro" => (true, true),
            _ => return Err(Reply::error("ERR not an EVAL command")),
        };
        let [_, script, numkeys, rest @ ..] = argv else {
            let name = String::from_utf8_lossy(&name).into_owned();
            return Err(Reply::Error(format!("ERR wrong number of arguments for '{name}' command")));
        };
        if by_sha && script.len() != 40 {
            return Err(Reply::error(NOSCRIPT));
        }
        let Some(numkeys) = parse_i64(numkeys) else {
            return Err(Reply::error("ERR value is not an integer or out of range"));
        };
        let Ok(numkeys) = usize::try_from(numkeys) else {
            return Err(Reply::error("ERR Number of keys can't be negative"));
        };
        if numkeys > rest.len() {
            return Err(Reply::error("ERR Number of keys can't be greater than number of args"));
        }
        let (keys, args) = rest.split_at(numkeys);
        let source = if by_sha { ScriptSource::Sha(script) } else { ScriptSource::Body(script) };
        Ok(EvalArgs { source, read_only, keys, args })
    }
}

/// SCRIPT DEBUG's mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DebugMode {
    Yes,
    Sync,
    No,
}

/// A SCRIPT subcommand as `scriptCommand` and the command table's subcommand arities take it apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScriptSubcommand<'a> {
    Help,
    /// FLUSH, FLUSH SYNC, FLUSH ASYNC: the model flushes at once either way.
    Flush,
    Exists(&'a [Vec<u8>]),
    Load(&'a [u8]),
    Kill,
    Debug(DebugMode),
}

impl<'a> ScriptSubcommand<'a> {
    /// Parses a full argv (`argv[0]` is SCRIPT). The error is Redis's reply.
    pub fn parse(argv: &'a [Vec<u8>]) -> Result<ScriptSubcommand<'a>, Reply> {
        let Some(sub) = argv.get(1) else {
            return Err(Reply::error("ERR wrong number of arguments for 'script' command"));
        };
        let arity_error =
            |name: &str| Reply::Error(format!("ERR wrong number of arguments for 'script|{name}' command"));
        let rest = &argv[2..];
        if is(sub, "help") {
            return if rest.is_empty() { Ok(ScriptSubcommand::Help) } else { Err(arity_error("help")) };
        }
        if is(sub, "flush") {
            return match rest {
                [] => Ok(ScriptSubcommand::Flush),
                [mode] if is(mode, "sync") || is(mode, "async") => Ok(ScriptSubcommand::Flush),
                _ => Err(Reply::error("ERR SCRIPT FLUSH only support SYNC|ASYNC option")),
            };
        }
        if is(sub, "exists") {
            return if rest.is_empty() { Err(arity_error("exists")) } else { Ok(ScriptSubcommand::Exists(rest)) };
        }
        if is(sub, "load") {
            return match rest {
                [body] => Ok(ScriptSubcommand::Load(body)),
                _ => Err(arity_error("load")),
            };
        }
        if is(sub, "kill") {
            return if rest.is_empty() { Ok(ScriptSubcommand::Kill) } else { Err(arity_error("kill")) };
        }
        if is(sub, "debug") {
            let [mode] = rest else { return Err(arity_error("debug")) };
            let modes = [("no", DebugMode::No), ("yes", DebugMode::Yes), ("sync", DebugMode::Sync)];
            return match modes.iter().find(|(word, _)| is(mode, word)) {
                Some(&(_, mode)) => Ok(ScriptSubcommand::Debug(mode)),
                None => Err(Reply::error("ERR Use SCRIPT DEBUG YES/SYNC/NO")),
            };
        }
        let sub: String = String::from_utf8_lossy(c_str(sub)).chars().take(128).collect();
        Err(Reply::Error(single_line(&format!("ERR unknown subcommand '{sub}'. Try SCRIPT HELP."))))
    }
}

/// The body the interpreter sees: the shebang line blanked but its newline kept, so line numbers
/// stay the user's (eval.c skips it the same way).
fn blank_shebang(script: &CachedScript) -> Vec<u8> {
    script.body[script.shebang_len..].to_vec()
}

/// `addReplyErrorFormat`'s cleanup: trailing line breaks dropped, inner ones become spaces.
fn single_line(s: &str) -> String {
    s.trim_end_matches(['\r', '\n']).replace(['\r', '\n'], " ")
}
