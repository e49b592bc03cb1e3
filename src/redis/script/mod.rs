//! Lua scripting as Redis 7.0 does it: EVAL / EVALSHA / EVAL_RO / EVALSHA_RO / SCRIPT, on a real
//! Lua 5.1 interpreter (`omnilua`, pure Rust).
//!
//! The engine reaches the interpreter only through an [`Interpret`] built by a [`Boot`] function,
//! never by name: natively every server has the Lua VM; in the browser a bundle has it only if its
//! entry point installs it ([`install_lua`]: the Redis and Cluster pages, whose prompts take any
//! script), the locks page installs `lock::store::LockScripts` (its model's three scripts by their
//! native steps), and the others install nothing, so their wasm carries no omnilua and EVAL answers
//! [`NO_INTERPRETER`] there (ARCHITECTURE.md, "Bundle").
//!
//! The bridge owns no keyspace: a script reaches the data only through the caller's
//! [`ScriptHost`] (`redis.call` / `redis.pcall` → [`ScriptHost::call`]), so it runs against the
//! single-client [`crate::redis::Store`] today and a multi-client engine later. Everything a
//! script does happens inside one call of [`ScriptEngine::eval_command`]: the script is atomic.
//!
//! Faithful to `script_lua.c`, `eval.c`, `script.c` of Redis 7.0.15:
//! - Lua ↔ RESP conversion both ways (numbers truncate to integers, `false` → nil, `true` → 1,
//!   a table stops at its first nil, `{err=…}`, `{ok=…}`, `{double=…}`, `{map=…}`, `{set=…}`…);
//! - `redis.call` / `pcall` / `status_reply` / `error_reply` / `sha1hex` / `log` / `setresp` /
//!   `set_repl` / `acl_check_cmd` and the `REDIS_*`, `LOG_*`, `REPL_*` constants;
//! - the error texts (`… script: <sha>, on @user_script:<line>.`), Redis's `pcall`, its rand48
//!   `math.random`, the read-only global table and libraries, the shebang flags, the
//!   read-only checks of EVAL_RO / `no-writes`.
//!
//! One interpreter per server, as Redis keeps one Lua state (`lctx.lua`): built on the first
//! script, each script compiled once and kept by its SHA1 (Redis's `f_<sha>`), KEYS and ARGV set
//! per call, dropped by SCRIPT FLUSH. Nothing a script can reach survives its run (the globals,
//! the libraries and the string metatable are read-only), so keeping the interpreter changes no
//! reply; it only makes a run cost microseconds instead of booting a sandbox each time.
//!
//! What Redis does not have: a budget. Each run has a step and a memory limit
//! ([`ScriptLimits`]); a runaway script is stopped with a `playground limit` error instead of
//! freezing the tab (a real server would answer BUSY to everyone until SCRIPT KILL), and the
//! interpreter it ran in is dropped, to be built anew for the next script.
//!
//! Architecture invariant: the bridge is pure — no clock, no entropy (math.random is rand48 from
//! a fixed state, as in Redis), no I/O; the same calls give the same replies on every platform.
//! Not modeled: the cjson, cmsgpack, struct and bit libraries (a script naming them gets Redis's
//! "nonexistent global variable" error), `redis.setresp(3)` (the model speaks RESP2), SCRIPT KILL
//! (nothing runs concurrently) and SCRIPT DEBUG.

mod engine;
mod lua;
pub mod rand48;
pub mod remote;

#[cfg(test)]
mod tests;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::args::c_str;
use super::cli::tokenize_bytes;
use super::reply::Reply;
use super::table;

pub use engine::{
    install_interpreter, install_lua, Boot, DebugMode, EvalArgs, EvalOutcome, Interpret, ScriptEngine, ScriptLogEntry,
    ScriptSource, ScriptSubcommand, NO_INTERPRETER,
};
pub use lua::{lua_to_reply, reply_to_lua, MAX_KEEPER_NESTING, MAX_REPLY_DEPTH};
pub use lua::{CompileError, RunContext, RunOutcome};

/// What the command table says about a command a script calls (`scriptCall`'s checks).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandTraits {
    /// Redis's arity convention: `n` exactly, `-n` at least n, counting the name.
    pub arity: i32,
    /// A `write` command: refused in a read-only script.
    pub write: bool,
    /// A `noscript` command (EVAL, SCRIPT, MULTI, SUBSCRIBE…): refused in any script.
    pub deny_script: bool,
    /// A `denyoom` command: refused as a script's first write when the command that runs the
    /// script started over `maxmemory` (`scriptVerifyOOM`).
    pub deny_oom: bool,
}

/// What a script can reach: command lookup and execution. The engine implements this for its
/// clients; [`TableHost`] wraps a single-client `Store`.
pub trait ScriptHost {
    /// The command `argv` names (any case; a container's subcommand from `argv[1]`, as
    /// `lookupCommand` does), or `None` if there is no such command.
    fn lookup(&self, argv: &[Vec<u8>]) -> Option<CommandTraits>;
    /// Runs one command for the script (already checked by the bridge) and returns its reply, or
    /// [`StopScript`] when the host will not let the script go on (a playground limit the command
    /// would cross): the script then stops at once — `pcall` cannot catch it — and the run answers
    /// the stop's reply. Undoing what the script wrote before is the host's job.
    fn call(&mut self, argv: &[Vec<u8>]) -> Result<Reply, StopScript>;
    /// Whether `maxmemory` is set and the command running the script found memory over it after
    /// evicting (`server.maxmemory && server.pre_command_oom_state`). A host without a memory
    /// limit never is.
    fn out_of_memory(&self) -> bool {
        false
    }
}

/// A host's refusal to run any more of a script; its reply becomes the script's reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StopScript(pub Reply);

/// `scriptCall`'s checks on a command a script calls (`luaRedisGenericCommand`), in Redis's order:
/// the command must exist, take that many arguments, be allowed in scripts, not write from a
/// read-only script, and (`scriptVerifyOOM`) not be the script's first write while the command that
/// runs the script started over the memory limit — crossing it mid-run refuses nothing. A write
/// marks `write_dirty`. `Err` is the error text `redis.call` raises (code first). Shared by every
/// interpreter (the Lua bridge and `lock::store::LockScripts`), so they refuse alike.
pub fn check_script_call(
    host: &dyn ScriptHost,
    argv: &[Vec<u8>],
    read_only: bool,
    allow_oom: bool,
    write_dirty: &mut bool,
) -> Result<(), String> {
    let refuse = |msg: &str| Err(format!("ERR {msg}"));
    let Some(traits) = host.lookup(argv) else {
        return refuse("Unknown Redis command called from script");
    };
    let (argc, arity) = (argv.len() as i64, i64::from(traits.arity));
    if (arity > 0 && argc != arity) || argc < -arity {
        return refuse("Wrong number of args calling Redis command from script");
    }
    if traits.deny_script {
        return refuse("This Redis command is not allowed from script");
    }
    if read_only && traits.write {
        return refuse("Write commands are not allowed from read-only scripts.");
    }
    if !allow_oom && !*write_dirty && traits.deny_oom && host.out_of_memory() {
        return Err(super::server::OOM_ERROR.to_string());
    }
    *write_dirty |= traits.write;
    Ok(())
}

/// The `err` string `luaPushErrorBuff` builds from an error reply's text (without its '-'): its
/// code kept, or ERR for a message without one, trailing line breaks dropped.
pub fn script_error_text(text: &str) -> String {
    let (code, msg) = text.split_once(' ').unwrap_or(("ERR", text));
    format!("{code} {}", msg.trim_matches(['\r', '\n']))
}

/// What the model's command table says about the command `argv` names, as a [`ScriptHost`]
/// reports it (SCRIPT's subcommands resolved).
pub fn table_traits(argv: &[Vec<u8>]) -> Option<CommandTraits> {
    let spec = super::server::lookup_command(argv).ok()?;
    if spec.name == "script" && argv.len() >= 2 {
        return script_subcommand(&argv[1]);
    }
    Some(CommandTraits {
        arity: spec.arity,
        write: spec.flags.contains(&table::Flag::Write),
        deny_script: spec.flags.contains(&table::Flag::NoScript),
        deny_oom: spec.flags.contains(&table::Flag::DenyOom),
    })
}

/// A [`ScriptHost`] over the model's command table and a function that executes one command,
/// e.g. `TableHost(|argv| store.execute(now, argv))`. It never stops a script.
pub struct TableHost<F>(pub F);

impl<F: FnMut(&[Vec<u8>]) -> Reply> ScriptHost for TableHost<F> {
    fn lookup(&self, argv: &[Vec<u8>]) -> Option<CommandTraits> {
        table_traits(argv)
    }
    fn call(&mut self, argv: &[Vec<u8>]) -> Result<Reply, StopScript> {
        Ok((self.0)(argv))
    }
}

/// SCRIPT's subcommands as Redis 7.0's command table has them: all `noscript` but HELP.
pub fn script_subcommand(sub: &[u8]) -> Option<CommandTraits> {
    let sub = String::from_utf8_lossy(sub).to_ascii_lowercase();
    let (arity, deny_script) = match sub.as_str() {
        "help" => (2, false),
        "debug" | "load" => (3, true),
        "exists" => (-3, true),
        "flush" => (-2, true),
        "kill" => (2, true),
        _ => return None,
    };
    Some(CommandTraits { arity, write: false, deny_script, deny_oom: false })
}

/// Bounds on one script run. Exceeding one stops the script with a `playground limit` error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptLimits {
    /// Lua VM instructions one run may execute (library work such as pattern matching counts too).
    pub max_steps: u64,
    /// Bytes the interpreter may hold; strings and tables a run builds count.
    pub max_memory_bytes: usize,
    /// Most elements (through nested arrays) in the reply a script returns.
    pub max_reply_elements: usize,
}

impl Default for ScriptLimits {
    fn default() -> Self {
        ScriptLimits { max_steps: 5_000_000, max_memory_bytes: 32 << 20, max_reply_elements: 25_000 }
    }
}

/// `#!lua flags=…` of a script (eval.c's `evalExtractShebangFlags`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptFlags {
    /// No shebang: EVAL's compatibility mode (may write, flags come from the command).
    pub compat: bool,
    pub no_writes: bool,
    pub allow_oom: bool,
    pub allow_stale: bool,
    pub no_cluster: bool,
    pub allow_cross_slot_keys: bool,
}

/// A script in the cache: its body and the flags its shebang declared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedScript {
    pub body: Vec<u8>,
    pub flags: ScriptFlags,
    /// Bytes of the shebang line, skipped (its newline kept) when compiling.
    pub shebang_len: usize,
}

/// The script cache of SCRIPT LOAD / EXISTS / FLUSH and EVALSHA: body by lower-case SHA1 hex,
/// in insertion order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptCache {
    scripts: IndexMap<String, CachedScript>,
}

impl ScriptCache {
    /// The script whose SHA1 is `sha` (any case).
    pub fn get(&self, sha: &[u8]) -> Option<&CachedScript> {
        let sha = std::str::from_utf8(sha).ok()?.to_ascii_lowercase();
        self.scripts.get(&sha)
    }
    /// SCRIPT EXISTS for one SHA1. Redis compares case-insensitively.
    pub fn contains(&self, sha: &[u8]) -> bool {
        self.get(sha).is_some()
    }
    pub fn insert(&mut self, sha: String, script: CachedScript) {
        self.scripts.insert(sha, script);
    }
    pub fn len(&self) -> usize {
        self.scripts.len()
    }
    pub fn is_empty(&self) -> bool {
        self.scripts.is_empty()
    }
    pub fn clear(&mut self) {
        self.scripts.clear();
    }
    /// SHA1s in load order.
    pub fn shas(&self) -> impl Iterator<Item = &str> {
        self.scripts.keys().map(String::as_str)
    }
}

/// The lower-case hex SHA1 of `body` (`sha1hex` in eval.c; also `redis.sha1hex`).
pub fn sha1_hex(body: &[u8]) -> String {
    use sha1::{Digest, Sha1};
    let digest = Sha1::digest(body);
    let mut out = String::with_capacity(40);
    for b in digest {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    out
}

/// Parses a `#!lua` shebang line as `evalExtractShebangFlags` does: the line ends at the first
/// `\n` of the C string (a NUL before it means there is none), `sdssplitargs` splits it (quotes and
/// escapes included), and names compare as C strings. `Ok` with `compat` set when there is no
/// shebang; the error is the message Redis replies with (without its `ERR ` prefix).
pub fn parse_shebang(body: &[u8]) -> Result<(ScriptFlags, usize), String> {
    if !body.starts_with(b"#!") {
        return Ok((ScriptFlags { compat: true, ..ScriptFlags::default() }, 0));
    }
    let Some(end) = c_str(body).iter().position(|&b| b == b'\n') else {
        return Err("Invalid script shebang".into());
    };
    let parts = match tokenize_bytes(&body[..end]) {
        Ok(parts) if !parts.is_empty() => parts,
        _ => return Err("Invalid engine in script shebang".into()),
    };
    let text = |b: &[u8]| String::from_utf8_lossy(c_str(b)).into_owned();
    if c_str(&parts[0]) != b"#!lua" {
        return Err(format!("Unexpected engine in script shebang: {}", text(&parts[0])));
    }
    let mut flags = ScriptFlags::default();
    for part in &parts[1..] {
        let Some(list) = part.strip_prefix(b"flags=") else {
            return Err(format!("Unknown lua shebang option: {}", text(part)));
        };
        // sdssplitlen gives no element for an empty list, and empty ones between commas.
        for flag in list.split(|&b| b == b',').filter(|_| !list.is_empty()) {
            match c_str(flag) {
                b"no-writes" => flags.no_writes = true,
                b"allow-oom" => flags.allow_oom = true,
                b"allow-stale" => flags.allow_stale = true,
                b"no-cluster" => flags.no_cluster = true,
                b"allow-cross-slot-keys" => flags.allow_cross_slot_keys = true,
                other => return Err(format!("Unexpected flag in script shebang: {}", text(other))),
            }
        }
    }
    Ok((flags, end))
}
