//! EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT on the single-client store: thin glue over
//! [`crate::redis::script::ScriptEngine`]. A script's `redis.call` runs through
//! [`Store::execute`] at the same instant (Redis freezes time for a script), so the whole script
//! happens inside this one command: atomically.
//!
//! Playground limits and scripts: every command a script calls is checked like any other (a
//! write on a scratch copy of its keys, see `redis::limits`), against the data as the script has
//! left it so far. A script is all or nothing with respect to the limits: the first command that
//! a limit refuses stops the script at once (`pcall` cannot catch it), and so do its step and
//! memory budgets and a reply larger than the reply limits; then everything the script wrote is
//! undone and the reply is the refusal. A real Redis cannot stop a script that has written
//! (`scriptVerifyOOM` refuses only a script's first write), but a real Redis has no playground
//! limits; the model keeps "a refused command changes nothing" for EVAL too.

use crate::redis::args::{Args, CmdResult};
use crate::redis::limits::is_refusal;
use crate::redis::reply::Reply;
use crate::redis::script::{table_traits, CommandTraits, ScriptEngine, ScriptHost, StopScript};
use crate::redis::store::Store;
use crate::sim::SimTime;

/// The caller time of the command being executed (the store clock minus DEBUG SLEEP's offset).
fn caller_now(store: &Store) -> SimTime {
    let store_ms = u64::try_from(store.now_ms).unwrap_or(0);
    SimTime(store_ms.saturating_sub(store.clock_offset.as_millis()))
}

/// The store as a script sees it: commands run at the script's instant; the store as it was
/// before the script's first write is kept, to be put back if a limit stops the script.
struct StoreHost<'a> {
    store: &'a mut Store,
    now: SimTime,
    /// The whole store before the first write (the script cache is out of it while a script
    /// runs, so this is the data, the clock and the random stream). Taken lazily: a read-only
    /// script copies nothing.
    before_first_write: Option<Store>,
}

impl StoreHost<'_> {
    /// Puts the store back as it was before the script wrote anything. Counters (INFO stats)
    /// keep what happened.
    fn undo(&mut self) {
        if let Some(mut before) = self.before_first_write.take() {
            before.stats = std::mem::take(&mut self.store.stats);
            *self.store = before;
        }
    }
}

impl ScriptHost for StoreHost<'_> {
    fn lookup(&self, argv: &[Vec<u8>]) -> Option<CommandTraits> {
        table_traits(argv)
    }

    fn call(&mut self, argv: &[Vec<u8>]) -> Result<Reply, StopScript> {
        if self.before_first_write.is_none() && table_traits(argv).is_some_and(|t| t.write) {
            self.before_first_write = Some(self.store.clone());
        }
        let reply = self.store.execute(self.now, argv);
        if is_refusal(&reply) {
            return Err(StopScript(reply));
        }
        Ok(reply)
    }
}

pub fn eval(store: &mut Store, args: &mut Args) -> CmdResult {
    let now = caller_now(store);
    let mut engine = std::mem::take(&mut store.scripts);
    let mut host = StoreHost { store, now, before_first_write: None };
    let outcome = engine.eval(args.argv(), &mut host);
    let mut reply = outcome.reply;
    let mut undo = outcome.stopped;
    if !undo && matches!(reply, Reply::Array(_) | Reply::Bulk(_)) {
        // The reply limits are measured again by the caller, but by then the writes would stay.
        let checked = host.store.check_reply_after(reply);
        undo = is_refusal(&checked);
        reply = checked;
    }
    if undo {
        host.undo();
    }
    store.scripts = engine;
    Ok(reply)
}

pub fn script(store: &mut Store, args: &mut Args) -> CmdResult {
    let engine: &mut ScriptEngine = &mut store.scripts;
    Ok(engine.script_command(args.argv()))
}
