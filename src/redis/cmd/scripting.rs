//! EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT on the single-client store: thin glue over
//! [`crate::redis::script::ScriptEngine`]. A script's `redis.call` runs through
//! [`Store::execute`] at the same instant (Redis freezes time for a script), so the whole script
//! happens inside this one command: atomically.

use crate::redis::args::{Args, CmdResult};
use crate::redis::script::{ScriptEngine, TableHost};
use crate::redis::store::Store;
use crate::sim::SimTime;

/// The caller time of the command being executed (the store clock minus DEBUG SLEEP's offset).
fn caller_now(store: &Store) -> SimTime {
    let store_ms = u64::try_from(store.now_ms).unwrap_or(0);
    SimTime(store_ms.saturating_sub(store.clock_offset.as_millis()))
}

pub fn eval(store: &mut Store, args: &mut Args) -> CmdResult {
    let now = caller_now(store);
    let mut engine = std::mem::take(&mut store.scripts);
    let reply = engine.eval_command(args.argv(), &mut TableHost(|argv: &[Vec<u8>]| store.execute(now, argv)));
    store.scripts = engine;
    Ok(reply)
}

pub fn script(store: &mut Store, args: &mut Args) -> CmdResult {
    let engine: &mut ScriptEngine = &mut store.scripts;
    Ok(engine.script_command(args.argv()))
}
