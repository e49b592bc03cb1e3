//! Transactions (multi.c): MULTI, EXEC, DISCARD, WATCH, UNWATCH. Queueing itself happens in the
//! dispatcher (`server.rs`), which answers `+QUEUED` and dooms the transaction when a command is
//! refused while queueing.

use crate::redis::args::{Args, CmdResult};
use crate::redis::reply::Reply;
use crate::redis::store::Store;

fn err(text: &str) -> CmdResult {
    Err(Reply::Error(format!("ERR {text}")))
}

pub fn multi(s: &mut Store, _a: &mut Args) -> CmdResult {
    let Some(c) = s.current_client_mut() else {
        return Ok(Reply::ok());
    };
    if c.flags.multi {
        return err("MULTI calls can not be nested");
    }
    c.flags.multi = true;
    Ok(Reply::ok())
}

pub fn discard(s: &mut Store, _a: &mut Args) -> CmdResult {
    let id = s.srv.current;
    if !s.current_client().is_some_and(|c| c.flags.multi) {
        return err("DISCARD without MULTI");
    }
    s.discard_transaction(id);
    Ok(Reply::ok())
}

/// `execCommand`: fails with a nil array when a WATCHed key was touched (or has expired since),
/// with EXECABORT when queueing failed, else runs the queue with blocking denied and replies one
/// array whose elements are the commands' replies, errors included.
pub fn exec(s: &mut Store, _a: &mut Args) -> CmdResult {
    let id = s.srv.current;
    if !s.current_client().is_some_and(|c| c.flags.multi) {
        return err("EXEC without MULTI");
    }
    if s.is_watched_key_expired(id) {
        if let Some(c) = s.current_client_mut() {
            c.flags.dirty_cas = true;
        }
    }
    let (dirty_cas, dirty_exec) =
        s.current_client().map_or((false, false), |c| (c.flags.dirty_cas, c.flags.dirty_exec));
    if dirty_cas || dirty_exec {
        s.discard_transaction(id);
        return if dirty_exec {
            Err(Reply::error("EXECABORT Transaction discarded because of previous errors."))
        } else {
            Ok(Reply::NilArray)
        };
    }
    // The queue stays in place while it runs (CLIENT LIST's `multi=` still counts it).
    let queued = s.current_client().map(|c| c.queued.clone()).unwrap_or_default();
    let old_deny = s.current_client().is_some_and(|c| c.flags.deny_blocking);
    if let Some(c) = s.current_client_mut() {
        c.flags.deny_blocking = true;
    }
    // Unwatch as soon as possible: the transaction's own writes must not dirty it.
    s.unwatch_all_keys(id);
    s.open_array(id, queued.len());
    for q in &queued {
        s.srv.current = id;
        s.call(q.spec, &q.argv);
    }
    if let Some(c) = s.srv.clients.get_mut(&id) {
        if !old_deny {
            c.flags.deny_blocking = false;
        }
    }
    s.srv.current = id;
    s.discard_transaction(id);
    s.replied_already()
}

pub fn watch(s: &mut Store, a: &mut Args) -> CmdResult {
    let id = s.srv.current;
    let (multi, dirty) = s.current_client().map_or((false, false), |c| (c.flags.multi, c.flags.dirty_cas));
    if multi {
        return err("WATCH inside MULTI is not allowed");
    }
    // No point in watching if the client is already dirty.
    if !dirty {
        for key in a.rest() {
            s.watch_for_key(id, key);
        }
    }
    Ok(Reply::ok())
}

pub fn unwatch(s: &mut Store, _a: &mut Args) -> CmdResult {
    let id = s.srv.current;
    s.unwatch_all_keys(id);
    if let Some(c) = s.current_client_mut() {
        c.flags.dirty_cas = false;
    }
    Ok(Reply::ok())
}
