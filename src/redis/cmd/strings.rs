//! String commands (t_string.c): SET and friends, counters, ranges.

use crate::redis::args::{c_str, err, error, is, Args, CmdResult};
use crate::redis::num;
use crate::redis::reply::Reply;
use crate::redis::store::Store;
use crate::redis::value::Value;

/// `SET`'s flags as `parseExtendedStringArgumentsOrReply` collects them.
#[derive(Default)]
struct SetFlags {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    persist: bool,
    /// (unit is seconds, absolute, the argument)
    expire: Option<(bool, bool, Vec<u8>)>,
}

#[derive(PartialEq)]
enum ExtendedFor {
    Set,
    GetEx,
}

/// `parseExtendedStringArgumentsOrReply`: the exact acceptance rules (an option that conflicts with
/// an earlier one is a syntax error; a repeated EX/PX with no conflicting one replaces the first).
fn parse_extended(args: &mut Args, kind: ExtendedFor) -> Result<SetFlags, Reply> {
    let mut f = SetFlags::default();
    let set = kind == ExtendedFor::Set;
    while let Some(opt) = args.peek() {
        args.next()?;
        let has_next = args.peek().is_some();
        let expire_kind = |f: &SetFlags| f.expire.as_ref().map(|(s, a, _)| (*s, *a));
        let any_expire = f.expire.is_some();
        if is(opt, "nx") && !f.xx && set {
            f.nx = true;
        } else if is(opt, "xx") && !f.nx && set {
            f.xx = true;
        } else if is(opt, "get") && set {
            f.get = true;
        } else if is(opt, "keepttl") && !f.persist && !any_expire && set {
            f.keep_ttl = true;
        } else if is(opt, "persist") && !set && !any_expire && !f.keep_ttl {
            f.persist = true;
        } else if let Some((secs, abs)) = expire_option(opt) {
            // Each expire option conflicts with the other three, KEEPTTL and PERSIST, not itself.
            let conflict = f.keep_ttl || f.persist || matches!(expire_kind(&f), Some(k) if k != (secs, abs));
            if conflict || !has_next {
                return Err(error(err::SYNTAX));
            }
            f.expire = Some((secs, abs, args.next()?.to_vec()));
        } else {
            return Err(error(err::SYNTAX));
        }
    }
    Ok(f)
}

fn expire_option(opt: &[u8]) -> Option<(bool, bool)> {
    let o = c_str(opt);
    if o.eq_ignore_ascii_case(b"ex") {
        Some((true, false))
    } else if o.eq_ignore_ascii_case(b"px") {
        Some((false, false))
    } else if o.eq_ignore_ascii_case(b"exat") {
        Some((true, true))
    } else if o.eq_ignore_ascii_case(b"pxat") {
        Some((false, true))
    } else {
        None
    }
}

/// `getExpireMillisecondsOrReply`: the absolute deadline in ms, or the "invalid expire time" error.
fn expire_deadline(store: &Store, cmd: &str, secs: bool, abs: bool, arg: &[u8]) -> Result<i64, Reply> {
    let invalid = || Reply::Error(format!("ERR invalid expire time in '{cmd}' command"));
    let v = num::parse_i64(arg).ok_or_else(|| error(err::NOT_INTEGER))?;
    if v <= 0 || (secs && v > i64::MAX / 1000) {
        return Err(invalid());
    }
    let mut ms = if secs { v * 1000 } else { v };
    if !abs {
        ms = ms.checked_add(store.now_ms).ok_or_else(invalid)?;
    }
    if ms <= 0 {
        return Err(invalid());
    }
    Ok(ms)
}

pub fn set(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let val = a.next()?;
    let f = parse_extended(a, ExtendedFor::Set)?;
    let deadline = match &f.expire {
        Some((secs, abs, arg)) => Some(expire_deadline(s, "set", *secs, *abs, arg)?),
        None => None,
    };
    let old = if f.get {
        match s.read_str(key)? {
            Some(v) => Reply::bulk(v.to_vec()),
            None => Reply::Nil,
        }
    } else {
        Reply::Nil
    };
    let found = s.exists(key);
    if (f.nx && found) || (f.xx && !found) {
        return Ok(if f.get { old } else { Reply::Nil });
    }
    s.set_key(key, Value::str(val), f.keep_ttl);
    if let Some(when) = deadline {
        s.set_expire(key, when);
    }
    Ok(if f.get { old } else { Reply::ok() })
}

pub fn get(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    Ok(match s.read_str(key)? {
        Some(v) => Reply::bulk(v.to_vec()),
        None => Reply::Nil,
    })
}

fn incr_by(s: &mut Store, key: &[u8], incr: i64) -> CmdResult {
    let current = match s.write(key) {
        None => 0,
        Some(Value::Str(v)) => num::parse_i64(v).ok_or_else(|| error(err::NOT_INTEGER))?,
        Some(_) => return Err(error(err::WRONGTYPE)),
    };
    let value = current.checked_add(incr).ok_or_else(|| error(err::OVERFLOW))?;
    s.overwrite(key, Value::str(value.to_string()));
    Ok(Reply::Integer(value))
}

pub fn incr(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    incr_by(s, key, 1)
}

pub fn decr(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    incr_by(s, key, -1)
}

pub fn incrby(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let by = a.next_i64()?;
    incr_by(s, key, by)
}

pub fn decrby(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let by = a.next_i64()?;
    if by == i64::MIN {
        return Err(error("ERR decrement would overflow"));
    }
    incr_by(s, key, -by)
}
