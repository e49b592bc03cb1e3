//! Commands across the numbered databases (db.c): SELECT, MOVE, SWAPDB, COPY … DB, FLUSHDB,
//! FLUSHALL. The storage side (which database is active, swapping, flushing) is
//! `databases.rs`.

use crate::redis::args::{err, error, is, Args, CmdResult};
use crate::redis::object;
use crate::redis::reply::Reply;
use crate::redis::store::Store;

const OUT_OF_RANGE: &str = "ERR DB index is out of range";
const SAME_OBJECT: &str = "ERR source and destination objects are the same";

/// A database number argument (`getIntFromObjectOrReply` then `selectDb`'s range check).
fn db_index(s: &Store, arg: &[u8], msg: Option<&str>) -> Result<usize, Reply> {
    let id = object::get_int(arg, msg)?;
    usize::try_from(id).ok().filter(|&i| i < s.database_count()).ok_or_else(|| error(OUT_OF_RANGE))
}

pub fn select(s: &mut Store, a: &mut Args) -> CmdResult {
    let db = db_index(s, a.next()?, None)?;
    if let Some(c) = s.current_client_mut() {
        c.db = db;
    }
    s.activate_db(db);
    Ok(Reply::ok())
}

/// `moveCommand`: 1 when the key moved, 0 when it is missing here or present there.
pub fn move_(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let src = s.active_db();
    let dst = db_index(s, a.next()?, None)?;
    if src == dst {
        return Err(error(SAME_OBJECT));
    }
    s.expire_if_needed(key);
    let Some(value) = s.db.get(key).cloned() else {
        return Ok(Reply::Integer(0));
    };
    let expire = s.expire_of(key);
    s.activate_db(dst);
    s.expire_if_needed(key);
    if s.db.contains_key(key) {
        s.activate_db(src);
        return Ok(Reply::Integer(0));
    }
    s.db_add(key, value);
    if let Some(when) = expire {
        s.set_expire(key, when);
    }
    s.activate_db(src);
    s.remove_key(key);
    s.signal_modified(key);
    s.activate_db(dst);
    s.signal_modified(key);
    s.activate_db(src);
    Ok(Reply::Integer(1))
}

pub fn swapdb(s: &mut Store, a: &mut Args) -> CmdResult {
    let first = object::get_int(a.next()?, Some("invalid first DB index"))?;
    let second = object::get_int(a.next()?, Some("invalid second DB index"))?;
    let n = s.database_count() as i64;
    let valid = |i: i32| (0..n).contains(&i64::from(i));
    if !valid(first) || !valid(second) {
        return Err(error(OUT_OF_RANGE));
    }
    s.swap_databases(first as usize, second as usize);
    Ok(Reply::ok())
}

/// `copyCommand`: COPY source destination [DB destination-db] [REPLACE].
pub fn copy(s: &mut Store, a: &mut Args) -> CmdResult {
    let src_key = a.next()?;
    let dst_key = a.next()?;
    let src = s.active_db();
    let mut dst = src;
    let mut replace = false;
    while let Some(opt) = a.peek() {
        a.next()?;
        if is(opt, "replace") {
            replace = true;
        } else if is(opt, "db") && a.peek().is_some() {
            dst = db_index(s, a.next()?, None)?;
        } else {
            return Err(error(err::SYNTAX));
        }
    }
    if src == dst && src_key == dst_key {
        return Err(error(SAME_OBJECT));
    }
    let Some(value) = s.read(src_key).cloned() else {
        return Ok(Reply::Integer(0));
    };
    let expire = s.expire_of(src_key);
    s.activate_db(dst);
    s.expire_if_needed(dst_key);
    if s.db.contains_key(dst_key) {
        if !replace {
            s.activate_db(src);
            return Ok(Reply::Integer(0));
        }
        s.remove_key(dst_key);
    }
    s.db_add(dst_key, value);
    if let Some(when) = expire {
        s.set_expire(dst_key, when);
    }
    s.signal_modified(dst_key);
    s.activate_db(src);
    Ok(Reply::Integer(1))
}

/// `getFlushCommandFlags`: one optional ASYNC or SYNC.
fn flush_flags(a: &mut Args) -> Result<(), Reply> {
    match a.remaining() {
        0 => Ok(()),
        1 => {
            let opt = a.next()?;
            if is(opt, "async") || is(opt, "sync") {
                Ok(())
            } else {
                Err(error(err::SYNTAX))
            }
        }
        _ => Err(error(err::SYNTAX)),
    }
}

pub fn flushdb(s: &mut Store, a: &mut Args) -> CmdResult {
    flush_flags(a)?;
    let db = s.active_db();
    s.flush_databases(Some(db));
    Ok(Reply::ok())
}

pub fn flushall(s: &mut Store, a: &mut Args) -> CmdResult {
    flush_flags(a)?;
    s.flush_databases(None);
    Ok(Reply::ok())
}
