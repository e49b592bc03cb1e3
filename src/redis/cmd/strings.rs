//! String commands (t_string.c): SET and friends, counters, ranges.

use crate::redis::args::{c_str, err, error, is, Args, CmdResult};
use crate::redis::longdouble::LongDouble;
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
    if !f.nx && !f.xx && !f.get && !f.keep_ttl {
        // Plain SET: the lookup Redis does first only matters for an expired key, which
        // `expire_if_needed` reclaims (and counts) just the same; then one insert.
        s.expire_if_needed(key);
        s.set_key(key, Value::str(val), false);
        if let Some(when) = deadline {
            s.set_expire(key, when);
        }
        return Ok(Reply::ok());
    }
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

fn bulk_or_nil(v: Option<&[u8]>) -> Reply {
    v.map_or(Reply::Nil, |b| Reply::bulk(b.to_vec()))
}

pub fn getset(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let val = a.next()?;
    let old = bulk_or_nil(s.read_str(key)?);
    s.set_key(key, Value::str(val), false);
    Ok(old)
}

pub fn setnx(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let val = a.next()?;
    if s.exists(key) {
        return Ok(Reply::Integer(0));
    }
    s.set_key(key, Value::str(val), false);
    Ok(Reply::Integer(1))
}

fn setex_generic(s: &mut Store, a: &mut Args, cmd: &str, secs: bool) -> CmdResult {
    let key = a.next()?;
    let ttl = a.next()?;
    let val = a.next()?;
    let when = expire_deadline(s, cmd, secs, false, ttl)?;
    s.set_key(key, Value::str(val), false);
    s.set_expire(key, when);
    Ok(Reply::ok())
}

pub fn setex(s: &mut Store, a: &mut Args) -> CmdResult {
    setex_generic(s, a, "setex", true)
}
pub fn psetex(s: &mut Store, a: &mut Args) -> CmdResult {
    setex_generic(s, a, "psetex", false)
}

fn mset_generic(s: &mut Store, a: &mut Args, cmd: &str, nx: bool) -> CmdResult {
    let pairs = a.rest();
    if !pairs.len().is_multiple_of(2) {
        return Err(Reply::Error(format!("ERR wrong number of arguments for '{cmd}' command")));
    }
    if nx && pairs.chunks(2).any(|p| s.exists(&p[0])) {
        return Ok(Reply::Integer(0));
    }
    for p in pairs.chunks(2) {
        s.set_key(&p[0], Value::str(p[1].clone()), false);
    }
    Ok(if nx { Reply::Integer(1) } else { Reply::ok() })
}

pub fn mset(s: &mut Store, a: &mut Args) -> CmdResult {
    mset_generic(s, a, "mset", false)
}
pub fn msetnx(s: &mut Store, a: &mut Args) -> CmdResult {
    mset_generic(s, a, "msetnx", true)
}

pub fn mget(s: &mut Store, a: &mut Args) -> CmdResult {
    let mut out = Vec::new();
    for key in a.rest() {
        out.push(match s.read(key) {
            Some(Value::Str(v)) => Reply::bulk(v.to_vec()),
            _ => Reply::Nil,
        });
    }
    Ok(Reply::Array(out))
}

pub fn append(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let tail = a.next()?;
    let current = match s.write(key) {
        None => None,
        Some(Value::Str(v)) => Some(v.len()),
        Some(_) => return Err(error(err::WRONGTYPE)),
    };
    match current {
        None => {
            s.set_key(key, Value::str(tail), false);
            Ok(Reply::Integer(tail.len() as i64))
        }
        Some(len) => {
            s.check_string_len(key, len.saturating_add(tail.len()))?;
            let Some(Value::Str(v)) = s.db.get_mut(key) else { return Err(error(err::WRONGTYPE)) };
            let mut grown = std::mem::take(v).into_vec();
            grown.extend_from_slice(tail);
            let n = grown.len();
            *v = grown.into_boxed_slice();
            s.signal_modified(key);
            Ok(Reply::Integer(n as i64))
        }
    }
}

pub fn strlen(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    Ok(Reply::Integer(s.read_str(key)?.map_or(0, |v| v.len() as i64)))
}

pub fn incrbyfloat(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let by = a.next()?;
    let current = match s.write(key) {
        None => LongDouble::ZERO,
        Some(Value::Str(v)) => LongDouble::parse(v).ok_or_else(|| error(err::NOT_FLOAT))?,
        Some(_) => return Err(error(err::WRONGTYPE)),
    };
    let by = LongDouble::parse(by).ok_or_else(|| error(err::NOT_FLOAT))?;
    let text = current.add(by).to_human().ok_or_else(|| error("ERR increment would produce NaN or Infinity"))?;
    s.overwrite(key, Value::str(text.clone()));
    Ok(Reply::bulk(text))
}

pub fn getdel(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let v = s.read_str(key)?.map(<[u8]>::to_vec);
    if v.is_some() {
        s.remove_key(key);
        s.signal_modified(key);
    }
    Ok(v.map_or(Reply::Nil, Reply::bulk))
}

pub fn getex(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let f = parse_extended(a, ExtendedFor::GetEx)?;
    let Some(v) = s.read_str(key)?.map(<[u8]>::to_vec) else {
        return Ok(Reply::Nil);
    };
    // Unlike SET, GETEX looks the key up before it validates the expire time.
    let deadline = match &f.expire {
        Some((secs, abs, arg)) => Some((expire_deadline(s, "getex", *secs, *abs, arg)?, *abs)),
        None => None,
    };
    match deadline {
        Some((when, true)) if when <= s.now_ms => {
            s.remove_key(key);
            s.signal_modified(key);
        }
        Some((when, _)) => {
            s.set_expire(key, when);
            s.signal_modified(key);
        }
        None if f.persist => {
            let removed = s.persist(key);
            if removed {
                s.signal_modified(key);
            }
        }
        None => {}
    }
    Ok(Reply::bulk(v))
}

pub fn getrange(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let mut start = a.next_i64()?;
    let mut end = a.next_i64()?;
    let Some(v) = s.read_str(key)? else {
        return Ok(Reply::bulk(Vec::new()));
    };
    let len = v.len() as i64;
    if start < 0 && end < 0 && start > end {
        return Ok(Reply::bulk(Vec::new()));
    }
    if start < 0 {
        start = len.saturating_add(start);
    }
    if end < 0 {
        end = len.saturating_add(end);
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        return Ok(Reply::bulk(Vec::new()));
    }
    Ok(Reply::bulk(v[start as usize..=end as usize].to_vec()))
}

pub fn setrange(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let offset = a.next_i64()?;
    let val = a.next()?;
    if offset < 0 {
        return Err(error("ERR offset is out of range"));
    }
    let offset = usize::try_from(offset).unwrap_or(usize::MAX);
    let existing = match s.write(key) {
        None => None,
        Some(Value::Str(v)) => Some(v.len()),
        Some(_) => return Err(error(err::WRONGTYPE)),
    };
    match existing {
        None if val.is_empty() => return Ok(Reply::Integer(0)),
        Some(len) if val.is_empty() => return Ok(Reply::Integer(len as i64)),
        _ => {}
    }
    s.check_string_len(key, offset.saturating_add(val.len()))?;
    let mut bytes = match s.db.get_mut(key) {
        Some(Value::Str(v)) => std::mem::take(v).into_vec(),
        _ => Vec::new(),
    };
    let end = offset + val.len();
    if bytes.len() < end {
        bytes.resize(end, 0);
    }
    bytes[offset..end].copy_from_slice(val);
    let n = bytes.len();
    s.overwrite(key, Value::str(bytes));
    Ok(Reply::Integer(n as i64))
}
