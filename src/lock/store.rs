//! How the lock runtime talks to a modeled Redis instance: argv in, [`Reply`] out, with the clock
//! passed in.
//!
//! The atomic operations of the variants are Lua scripts, and the modeled Redis runs them as a
//! real server does: [`Instance::eval`] sends `EVAL <Script::lua()> <numkeys> <keys…> <args…>`,
//! so the text the locks page shows is the text the model executes (through the store's one Lua
//! interpreter, the script compiled once and found by its SHA1 afterwards). Each [`Script`] also
//! keeps native steps that do what its text does ([`Script::run_native`]): the same
//! `redis.call`s in the same order; a test runs both side by side and requires the same replies
//! and keys, and `cargo test --release --test lock_chaos -- --nocapture` prints how much the
//! interpreter costs against the steps.
//!
//! Never does I/O and never reads a wall clock.

use std::collections::BTreeMap;

use super::command::LockCommand;
use crate::redis::script::{
    check_script_call, script_error_text, CompileError, Interpret, RunContext, RunOutcome, ScriptLimits, StopScript,
};
use crate::redis::table::{self, CommandSet};
use crate::redis::{Reply, Store};
use crate::sim::{SimRng, SimTime};

/// The commands the lock model sends, and its scripts call, on every preset and variant with every
/// button of the page: the locks page's bundle installs these instead of the whole table
/// (`bundle_entry!(LOCKS, with_lock_scripts, …)`), so its wasm links no other command's handler.
/// The page has no prompt, so nothing else ever reaches its servers; `tests/bundle_commands.rs` holds
/// this list to what the runs look up, name for name.
pub static LOCK_COMMANDS: CommandSet = CommandSet::part(
    "locks page",
    &[&table::SET, &table::GET, &table::DEL, &table::PEXPIRE, &table::EXPIRE, &table::PTTL, &table::INCR, &table::EVAL],
);

/// Compare-and-extend: extend the key's TTL only while it still holds our value. What the atomic
/// renew variant sends (`EVAL <script> 1 <key> <value> <ttl ms>`).
pub const COMPARE_AND_EXTEND_LUA: &str = r#"if redis.call("get", KEYS[1]) == ARGV[1] then
    return redis.call("pexpire", KEYS[1], ARGV[2])
else
    return 0
end"#;

/// Compare-and-delete, verbatim from the Redis distributed-locks documentation
/// (<https://redis.io/docs/latest/develop/use/patterns/distributed-locks/>). What the atomic release
/// variant sends (`EVAL <script> 1 <key> <value>`).
pub const COMPARE_AND_DELETE_LUA: &str = r#"if redis.call("get",KEYS[1]) == ARGV[1] then
    return redis.call("del",KEYS[1])
else
    return 0
end"#;

/// Acquire with a fencing token: `SET NX` and, only if it succeeded, `INCR` of the token counter, in
/// one script on the same instance. The token comes with the grant, so a delayed `INCR` can never
/// hand a holder whose lease already expired a higher token than its successor's
/// (`EVAL <script> 2 <key> <token key> <value> <ttl ms>`; the reply is the token, or nil).
pub const ACQUIRE_WITH_TOKEN_LUA: &str = r#"if redis.call("set", KEYS[1], ARGV[1], "NX", "PX", ARGV[2]) then
    return redis.call("incr", KEYS[2])
else
    return false
end"#;

/// The atomic operations, each a Lua script on a real server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Script {
    CompareAndExtend,
    CompareAndDelete,
    AcquireWithToken,
}

fn arg(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

impl Script {
    pub const ALL: [Script; 3] = [Script::CompareAndExtend, Script::CompareAndDelete, Script::AcquireWithToken];

    /// The name the panels show instead of the whole text.
    pub fn name(self) -> &'static str {
        match self {
            Script::CompareAndExtend => "compare-and-extend",
            Script::CompareAndDelete => "compare-and-delete",
            Script::AcquireWithToken => "set-nx-incr",
        }
    }

    /// The exact Lua text a real client sends with `EVAL`.
    pub fn lua(self) -> &'static str {
        match self {
            Script::CompareAndExtend => COMPARE_AND_EXTEND_LUA,
            Script::CompareAndDelete => COMPARE_AND_DELETE_LUA,
            Script::AcquireWithToken => ACQUIRE_WITH_TOKEN_LUA,
        }
    }

    /// What [`Script::lua`] does, call for call, on the modeled store (`keys` = `KEYS`, `args` =
    /// `ARGV`). Lua's `nil`/`false` from a `redis.call` is `Reply::Nil` here; `return false` is a nil
    /// reply, as Redis converts it.
    pub fn run_native(self, store: &mut Store, now: SimTime, keys: &[String], args: &[String]) -> Reply {
        let key = |i: usize| keys.get(i).map_or_else(Vec::new, |k| arg(k));
        let argv = |i: usize| args.get(i).map_or_else(Vec::new, |a| arg(a));
        match self {
            Script::CompareAndExtend | Script::CompareAndDelete => {
                let current = store.execute(now, &[b"GET".to_vec(), key(0)]);
                if current != Reply::Bulk(argv(0)) {
                    return Reply::Integer(0);
                }
                if self == Script::CompareAndExtend {
                    store.execute(now, &[b"PEXPIRE".to_vec(), key(0), argv(1)])
                } else {
                    store.execute(now, &[b"DEL".to_vec(), key(0)])
                }
            }
            Script::AcquireWithToken => {
                let set =
                    store.execute(now, &[b"SET".to_vec(), key(0), argv(0), b"NX".to_vec(), b"PX".to_vec(), argv(1)]);
                match set {
                    Reply::Status(_) => store.execute(now, &[b"INCR".to_vec(), key(1)]),
                    // `SET … NX` that did not set is nil, i.e. false in Lua: the script returns false.
                    Reply::Nil => Reply::Nil,
                    // A `redis.call` error aborts the script with that error.
                    other => other,
                }
            }
        }
    }
}

/// One script invocation: which script, its `KEYS` and its `ARGV`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptCall {
    pub script: Script,
    pub keys: Vec<String>,
    pub args: Vec<String>,
}

impl ScriptCall {
    /// The argv a real client sends: `EVAL <lua> <numkeys> <keys…> <args…>`.
    pub fn argv(&self) -> Vec<Vec<u8>> {
        let mut v = vec![b"EVAL".to_vec(), arg(self.script.lua()), self.keys.len().to_string().into_bytes()];
        v.extend(self.keys.iter().map(|k| arg(k)));
        v.extend(self.args.iter().map(|a| arg(a)));
        v
    }
}

/// A modeled Redis instance as the lock runtime needs it.
#[derive(Clone)]
pub struct Instance {
    store: Store,
    rng: SimRng,
    restarts: u64,
}

/// What the lock key looks like inside one instance right now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyView {
    pub value: Option<String>,
    pub expires_at: Option<SimTime>,
}

impl Instance {
    pub fn new(rng: SimRng) -> Self {
        let store = Store::new(rng.child_indexed("store", 0));
        Instance { store, rng, restarts: 0 }
    }

    /// Crash and restart without persistence: every key is lost.
    pub fn wipe(&mut self) {
        self.restarts = self.restarts.saturating_add(1);
        self.store = Store::new(self.rng.child_indexed("store", self.restarts));
    }

    /// How many times this instance lost its data (a connection from before a restart is dead).
    pub fn restarts(&self) -> u64 {
        self.restarts
    }

    pub fn execute_argv(&mut self, now: SimTime, argv: &[Vec<u8>]) -> Reply {
        self.store.execute(now, argv)
    }

    /// Runs one script atomically: `EVAL` of its exact text on the modeled Redis. The ONE place a
    /// script runs.
    pub fn eval(&mut self, now: SimTime, call: &ScriptCall) -> Reply {
        self.store.execute(now, &call.argv())
    }

    /// What [`Instance::eval`] would answer, by the script's native steps instead of its text
    /// (for the test that holds the two together, and to measure what the interpreter costs).
    pub fn eval_native(&mut self, now: SimTime, call: &ScriptCall) -> Reply {
        call.script.run_native(&mut self.store, now, &call.keys, &call.args)
    }

    /// Runs one lock command; scripts go through [`Instance::eval`].
    pub fn execute(&mut self, now: SimTime, command: &LockCommand) -> Reply {
        match command.script() {
            Some(call) => self.eval(now, &call),
            None => self.execute_argv(now, &command.argv()),
        }
    }

    /// The key's value and deadline (`GET` + `PTTL`; expiry is applied lazily first, as Redis does).
    pub fn peek(&mut self, now: SimTime, key: &str) -> KeyView {
        let value = match self.execute_argv(now, &[b"GET".to_vec(), key.as_bytes().to_vec()]) {
            Reply::Bulk(v) => Some(String::from_utf8_lossy(&v).into_owned()),
            _ => None,
        };
        let expires_at = match self.execute_argv(now, &[b"PTTL".to_vec(), key.as_bytes().to_vec()]) {
            Reply::Integer(ms) if ms >= 0 => Some(SimTime(now.0.saturating_add(ms as u64))),
            _ => None,
        };
        KeyView { value, expires_at }
    }

    pub fn run_active_expire_cycle(&mut self, now: SimTime) {
        self.store.run_active_expire_cycle(now);
    }
}

/// The interpreter of the locks page's bundle: it runs the three lock scripts ([`Script::ALL`], found
/// by their exact text) by their native steps, each `redis.call` through the same host a Lua
/// interpreter calls (so the script cache, WATCH, the limits, undo and INFO see the same commands),
/// with `scriptCall`'s checks and Redis's error text, and refuses to compile anything else. The
/// locks page has no prompt, so its model's scripts are the only ones it ever runs, and its wasm
/// leaves the Lua VM (about a quarter of a Redis page's bundle) out. Natively, and on the Redis and
/// Cluster pages, the same scripts run on the real interpreter; `tests/lock_scripts_native.rs` holds
/// the two to the same replies, errors and keys, and to the same digest over whole lock runs.
pub struct LockScripts {
    limits: ScriptLimits,
    /// Compiled scripts by lower-case SHA1 hex.
    compiled: BTreeMap<String, Script>,
}

/// A [`crate::redis::script::Boot`]: what the locks page's entry point installs
/// (`bundle_entry!(LOCKS, with_lock_scripts)`).
pub fn boot_lock_scripts(limits: &ScriptLimits) -> Result<Box<dyn Interpret>, String> {
    Ok(Box::new(LockScripts { limits: limits.clone(), compiled: BTreeMap::new() }))
}

/// What the lock-scripts interpreter answers for any other script.
pub const ONLY_LOCK_SCRIPTS: &str = "playground limit: this page's build has no Lua interpreter; it runs only the lock scripts (compare-and-extend, compare-and-delete, set-nx-incr)";

/// One `redis.call` as `luaRedisGenericCommand` + `scriptCall` make it: the checks, then the call.
/// `Err` is how the script ends: a raised error (its text) or the host's stop.
fn lock_call(ctx: &mut RunContext<'_>, dirty: &mut bool, argv: &[Option<&[u8]>]) -> Result<Reply, RunOutcome> {
    let raised = |text: String| RunOutcome::Failed { message: text, source_line: None };
    let Some(argv) = argv.iter().map(|a| a.map(<[u8]>::to_vec)).collect::<Option<Vec<_>>>() else {
        // KEYS[i] or ARGV[i] past the end is nil: not a string or a number.
        return Err(raised("ERR Lua redis lib command arguments must be strings or integers".into()));
    };
    check_script_call(&*ctx.host, &argv, ctx.read_only, ctx.allow_oom, dirty).map_err(raised)?;
    match ctx.host.call(&argv) {
        Ok(Reply::Error(text)) => Err(raised(script_error_text(&text))),
        Ok(reply) => Ok(reply),
        Err(StopScript(reply)) => Err(RunOutcome::Stopped(reply)),
    }
}

/// A command name or option as a `redis.call` argument.
fn word(w: &'static str) -> Option<&'static [u8]> {
    Some(w.as_bytes())
}

impl Interpret for LockScripts {
    fn limits(&self) -> &ScriptLimits {
        &self.limits
    }
    fn compiled(&self) -> usize {
        self.compiled.len()
    }
    fn compile(&mut self, sha: &str, body: &[u8]) -> Result<(), CompileError> {
        match Script::ALL.into_iter().find(|s| s.lua().as_bytes() == body) {
            Some(script) => {
                self.compiled.insert(sha.to_string(), script);
                Ok(())
            }
            None => Err(CompileError::Syntax(ONLY_LOCK_SCRIPTS.into())),
        }
    }
    fn run(
        &mut self,
        sha: &str,
        body: &[u8],
        keys: &[Vec<u8>],
        args: &[Vec<u8>],
        mut ctx: RunContext<'_>,
    ) -> RunOutcome {
        if self.compile(sha, body).is_err() {
            return RunOutcome::HandlerFailed(ONLY_LOCK_SCRIPTS.into());
        }
        let Some(&script) = self.compiled.get(sha) else {
            return RunOutcome::HandlerFailed(ONLY_LOCK_SCRIPTS.into());
        };
        let key = |i: usize| keys.get(i).map(Vec::as_slice);
        let arg = |i: usize| args.get(i).map(Vec::as_slice);
        let mut dirty = false;
        // Each step is the script's line `line`: a raised error names it, as Redis's handler does.
        let mut step = |line: u32, argv: &[Option<&[u8]>], ctx: &mut RunContext<'_>| {
            lock_call(ctx, &mut dirty, argv).map_err(|outcome| match outcome {
                RunOutcome::Failed { message, .. } => {
                    RunOutcome::Failed { message, source_line: Some(("@user_script".into(), line.to_string())) }
                }
                other => other,
            })
        };
        let ran = match script {
            Script::CompareAndExtend | Script::CompareAndDelete => {
                // `if redis.call("get", KEYS[1]) == ARGV[1]`: a nil reply is false, never equal.
                step(1, &[word("get"), key(0)], &mut ctx).and_then(|current| {
                    let equal = matches!((&current, arg(0)), (Reply::Bulk(v), Some(a)) if v.as_slice() == a);
                    match (equal, script) {
                        (false, _) => Ok(Reply::Integer(0)),
                        (true, Script::CompareAndExtend) => step(2, &[word("pexpire"), key(0), arg(1)], &mut ctx),
                        (true, _) => step(2, &[word("del"), key(0)], &mut ctx),
                    }
                })
            }
            Script::AcquireWithToken => {
                let set = [word("set"), key(0), arg(0), word("NX"), word("PX"), arg(1)];
                step(1, &set, &mut ctx).and_then(|set| match set {
                    // `SET … NX` that did not set is nil, false in Lua: `return false` is a nil reply.
                    Reply::Nil => Ok(Reply::Nil),
                    _ => step(2, &[word("incr"), key(1)], &mut ctx),
                })
            }
        };
        match ran {
            Ok(reply) => RunOutcome::Reply(reply),
            Err(outcome) => outcome,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::TEST_EPOCH;

    fn call(script: Script, keys: &[&str], args: &[&str]) -> ScriptCall {
        ScriptCall {
            script,
            keys: keys.iter().map(|s| s.to_string()).collect(),
            args: args.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn scripts_do_what_their_lua_says() {
        let mut r = Instance::new(SimRng::new(1));
        let t = TEST_EPOCH;
        let acquire = |v: &str| call(Script::AcquireWithToken, &["k", "k:token"], &[v, "10000"]);
        // The token comes with the grant; a refused SET NX takes no token.
        assert_eq!(r.eval(t, &acquire("A")), Reply::Integer(1));
        assert_eq!(r.eval(t, &acquire("B")), Reply::Nil);
        assert_eq!(r.execute_argv(t, &[b"GET".to_vec(), b"k:token".to_vec()]), Reply::bulk("1"));
        // Compare-and-extend / -delete touch only their own value.
        assert_eq!(r.eval(t, &call(Script::CompareAndExtend, &["k"], &["B", "20000"])), Reply::Integer(0));
        assert_eq!(r.eval(t, &call(Script::CompareAndExtend, &["k"], &["A", "20000"])), Reply::Integer(1));
        assert_eq!(r.peek(t, "k").expires_at, Some(SimTime(t.0 + 20_000)));
        assert_eq!(r.eval(t, &call(Script::CompareAndDelete, &["k"], &["B"])), Reply::Integer(0));
        assert_eq!(r.eval(t, &call(Script::CompareAndDelete, &["k"], &["A"])), Reply::Integer(1));
        assert_eq!(r.eval(t, &acquire("B")), Reply::Integer(2), "the counter survives the lock key");
        // The argv a real client sends carries the exact text.
        let argv = acquire("A").argv();
        assert_eq!(argv[1], ACQUIRE_WITH_TOKEN_LUA.as_bytes());
        assert_eq!(&argv[2..], &[b"2".to_vec(), b"k".to_vec(), b"k:token".to_vec(), b"A".to_vec(), b"10000".to_vec()]);
    }

    #[test]
    fn eval_of_each_script_answers_as_its_native_steps() {
        // Twin instances: one runs the Lua text through the modeled Redis's EVAL, the other the
        // native steps; every reply and the keys they leave must agree.
        let mut lua = Instance::new(SimRng::new(3));
        let mut native = Instance::new(SimRng::new(3));
        let mut t = TEST_EPOCH;
        let calls = [
            call(Script::AcquireWithToken, &["k", "k:token"], &["A", "300"]),
            call(Script::AcquireWithToken, &["k", "k:token"], &["B", "300"]),
            call(Script::CompareAndExtend, &["k"], &["B", "500"]),
            call(Script::CompareAndExtend, &["k"], &["A", "500"]),
            call(Script::CompareAndDelete, &["k"], &["B"]),
            call(Script::CompareAndDelete, &["k"], &["A"]),
            call(Script::CompareAndExtend, &["k"], &["A", "500"]),
            call(Script::AcquireWithToken, &["k", "k:token"], &["B", "100"]),
            call(Script::CompareAndExtend, &["k:token"], &["2", "oops"]),
            call(Script::AcquireWithToken, &["k:token", "k"], &["C", "100"]),
        ];
        for (i, c) in calls.iter().chain(calls.iter()).enumerate() {
            let by_eval = lua.eval(t, c);
            let by_steps = native.eval_native(t, c);
            let shape = |r: &Reply| match r {
                // EVAL adds where the error came from; the steps have no script to name.
                Reply::Error(e) => Reply::Error(e.split(" script: ").next().unwrap_or(e).to_string()),
                other => other.clone(),
            };
            assert_eq!(shape(&by_eval), shape(&by_steps), "call {i}: {c:?}");
            for key in ["k", "k:token"] {
                assert_eq!(lua.peek(t, key), native.peek(t, key), "call {i}: key {key}");
            }
            t = SimTime(t.0 + 150);
        }
    }
}
