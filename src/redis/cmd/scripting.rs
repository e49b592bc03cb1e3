//! EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT on the multi-client server: thin glue over
//! [`crate::redis::script::ScriptEngine`]. A script's `redis.call` runs as the calling client
//! through [`Store::call_captured`] at the same instant (Redis freezes time for a script), so the
//! whole script happens inside this one command: atomically with respect to every other client.
//! Inside MULTI, EVAL is queued and runs inside EXEC like any command; blocking commands do not
//! block (BLMPOP, BZMPOP answer nil on empty keys; BLPOP and the other `noscript` ones are
//! refused, as in 7.0.15's command table); SELECT is local to the script; its writes touch WATCHed
//! keys as any write does.
//!
//! Playground limits and scripts: every command a script calls is checked like any other (a
//! write on a scratch copy of its keys, see `redis::limits`), against the data as the script has
//! left it so far. A script is all or nothing with respect to the limits: the first command that
//! a limit refuses stops the script at once (`pcall` cannot catch it), and so do its step and
//! memory budgets and a reply larger than the reply limits; then everything the script wrote is
//! undone and the reply is the refusal. A real Redis cannot stop a script that has written, but
//! a real Redis has no playground limits; the model keeps "a refused command changes nothing" for
//! EVAL too. `maxmemory` is Redis's own business and is modeled as Redis has it: the host reports
//! whether the command started over the limit ([`ScriptHost::out_of_memory`]) and the bridge
//! refuses only a script's first write (`scriptVerifyOOM`), as an ordinary, catchable error.

use crate::redis::args::{Args, CmdResult};
use crate::redis::client::ClientId;
use crate::redis::limits::is_refusal;
use crate::redis::reply::Reply;
use crate::redis::script::{table_traits, CommandTraits, ScriptEngine, ScriptHost, StopScript};
use crate::redis::server::lookup_command;
use crate::redis::store::Store;

/// The server as a script sees it: every `redis.call` runs as the calling client
/// ([`Store::call_captured`]: its database, blocking denied, the reply handed back), inside the
/// one command that runs the script, so no other client runs in between. The server as it was
/// before the script's first write is kept, to be put back if a limit stops the script.
struct StoreHost<'a> {
    store: &'a mut Store,
    client: ClientId,
    /// The whole server before the first write (the script cache is out of it while a script
    /// runs): every database, expiries, the random stream, what was written to clients. Taken
    /// lazily: a read-only script copies nothing.
    before_first_write: Option<Store>,
}

impl StoreHost<'_> {
    /// Puts the server back as it was before the script wrote anything. Counters (INFO stats)
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
        let spec = match lookup_command(argv) {
            Ok(spec) => spec,
            Err(msg) => return Ok(Reply::Error(format!("ERR {msg}"))),
        };
        if self.before_first_write.is_none() && table_traits(argv).is_some_and(|t| t.write) {
            self.before_first_write = Some(self.store.clone());
        }
        let reply = self.store.call_captured(self.client, spec, argv);
        if is_refusal(&reply) {
            return Err(StopScript(reply));
        }
        Ok(reply)
    }

    fn out_of_memory(&self) -> bool {
        self.store.maxmemory() != 0 && self.store.srv.pre_command_oom
    }
}

pub fn eval(store: &mut Store, args: &mut Args) -> CmdResult {
    let client = store.srv.current;
    // SELECT inside a script is the script's own (Redis 7.0 runs it on the Lua client): the
    // caller's database is put back afterwards.
    let caller_db = store.client(client).map(|c| c.db);
    let mut engine = std::mem::take(&mut store.scripts);
    let mut host = StoreHost { store, client, before_first_write: None };
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
    if let Some(db) = caller_db {
        if let Some(c) = store.srv.clients.get_mut(&client) {
            c.db = db;
        }
        store.activate_db(db);
    }
    store.srv.current = client;
    Ok(reply)
}

pub fn script(store: &mut Store, args: &mut Args) -> CmdResult {
    let engine: &mut ScriptEngine = &mut store.scripts;
    Ok(engine.script_command(args.argv()))
}
