//! Keyspace commands (db.c, expire.c): DEL, EXISTS, expiry, TYPE, RENAME, COPY, KEYS, SCAN…

use crate::redis::args::{err, error, is, Args, CmdResult};
use crate::redis::num;
use crate::redis::reply::Reply;
use crate::redis::store::Store;

pub fn del(s: &mut Store, a: &mut Args) -> CmdResult {
    let mut n = 0;
    for key in a.rest() {
        s.expire_if_needed(key);
        if s.remove_key(key) {
            n += 1;
        }
    }
    Ok(Reply::Integer(n))
}

pub fn exists(s: &mut Store, a: &mut Args) -> CmdResult {
    let mut n = 0;
    for key in a.rest() {
        if s.read(key).is_some() {
            n += 1;
        }
    }
    Ok(Reply::Integer(n))
}

#[derive(Default)]
struct ExpireFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

/// `parseExtendedExpireArgumentsOrReply`.
fn parse_expire_flags(a: &mut Args) -> Result<ExpireFlags, Reply> {
    let mut f = ExpireFlags::default();
    for opt in a.rest() {
        if is(opt, "nx") {
            f.nx = true;
        } else if is(opt, "xx") {
            f.xx = true;
        } else if is(opt, "gt") {
            f.gt = true;
        } else if is(opt, "lt") {
            f.lt = true;
        } else {
            let text = String::from_utf8_lossy(crate::redis::args::c_str(opt)).into_owned();
            return Err(Reply::Error(format!("ERR Unsupported option {text}")));
        }
    }
    if f.nx && (f.xx || f.gt || f.lt) {
        return Err(error("ERR NX and XX, GT or LT options at the same time are not compatible"));
    }
    if f.gt && f.lt {
        return Err(error("ERR GT and LT options at the same time are not compatible"));
    }
    Ok(f)
}

/// `expireGenericCommand`: `basetime` is now (relative forms) or 0 (absolute forms).
fn expire_generic(s: &mut Store, a: &mut Args, cmd: &str, relative: bool, secs: bool) -> CmdResult {
    let key = a.next()?;
    let param = a.next()?;
    let f = parse_expire_flags(a)?;
    let invalid = || Reply::Error(format!("ERR invalid expire time in '{cmd}' command"));
    let mut when = num::parse_i64(param).ok_or_else(|| error(err::NOT_INTEGER))?;
    if secs {
        when = when.checked_mul(1000).ok_or_else(invalid)?;
    }
    let base = if relative { s.now_ms } else { 0 };
    if when > i64::MAX - base {
        return Err(invalid());
    }
    when += base;
    if !s.exists(key) {
        return Ok(Reply::Integer(0));
    }
    let current = s.expire_of(key);
    if (f.nx && current.is_some())
        || (f.xx && current.is_none())
        || (f.gt && current.is_none_or(|c| when <= c))
        || (f.lt && current.is_some_and(|c| when >= c))
    {
        return Ok(Reply::Integer(0));
    }
    if when <= s.now_ms {
        s.remove_key(key);
    } else {
        s.set_expire(key, when);
    }
    Ok(Reply::Integer(1))
}

pub fn expire(s: &mut Store, a: &mut Args) -> CmdResult {
    expire_generic(s, a, "expire", true, true)
}
pub fn pexpire(s: &mut Store, a: &mut Args) -> CmdResult {
    expire_generic(s, a, "pexpire", true, false)
}
pub fn expireat(s: &mut Store, a: &mut Args) -> CmdResult {
    expire_generic(s, a, "expireat", false, true)
}
pub fn pexpireat(s: &mut Store, a: &mut Args) -> CmdResult {
    expire_generic(s, a, "pexpireat", false, false)
}

/// `ttlGenericCommand`.
fn ttl_generic(s: &mut Store, a: &mut Args, ms: bool, absolute: bool) -> CmdResult {
    let key = a.next()?;
    if !s.exists(key) {
        return Ok(Reply::Integer(-2));
    }
    let Some(when) = s.expire_of(key) else {
        return Ok(Reply::Integer(-1));
    };
    let ttl = if absolute { when } else { when - s.now_ms }.max(0);
    Ok(Reply::Integer(if ms { ttl } else { (ttl + 500) / 1000 }))
}

pub fn ttl(s: &mut Store, a: &mut Args) -> CmdResult {
    ttl_generic(s, a, false, false)
}
pub fn pttl(s: &mut Store, a: &mut Args) -> CmdResult {
    ttl_generic(s, a, true, false)
}
pub fn expiretime(s: &mut Store, a: &mut Args) -> CmdResult {
    ttl_generic(s, a, false, true)
}
pub fn pexpiretime(s: &mut Store, a: &mut Args) -> CmdResult {
    ttl_generic(s, a, true, true)
}

pub fn persist(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    if !s.exists(key) {
        return Ok(Reply::Integer(0));
    }
    Ok(Reply::Integer(i64::from(s.persist(key))))
}

pub fn type_(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    s.expire_if_needed(key);
    Ok(Reply::Status(s.db.get(key).map_or("none", |v| v.key_type().name()).to_string()))
}
