//! List commands (t_list.c).

use crate::redis::args::{err, error, is, Args, CmdResult};
use crate::redis::reply::Reply;
use crate::redis::store::Store;
use crate::redis::value::{List, Value};

fn read_list<'s>(s: &'s mut Store, key: &[u8]) -> Result<Option<&'s List>, Reply> {
    match s.read(key) {
        None => Ok(None),
        Some(Value::List(l)) => Ok(Some(l)),
        Some(_) => Err(error(err::WRONGTYPE)),
    }
}

pub(crate) fn write_list<'s>(s: &'s mut Store, key: &[u8]) -> Result<Option<&'s mut List>, Reply> {
    match s.write(key) {
        None => Ok(None),
        Some(Value::List(l)) => Ok(Some(l)),
        Some(_) => Err(error(err::WRONGTYPE)),
    }
}

fn push_generic(s: &mut Store, a: &mut Args, head: bool, only_existing: bool) -> CmdResult {
    let key = a.next()?;
    let elems = a.rest();
    let exists = write_list(s, key)?.is_some();
    if !exists && only_existing {
        return Ok(Reply::Integer(0));
    }
    if !exists {
        s.set_key(key, Value::List(Box::default()), false);
    }
    let list = write_list(s, key)?.expect("created above");
    for e in elems {
        if head {
            list.push_front(e.clone());
        } else {
            list.push_back(e.clone());
        }
    }
    let n = list.len();
    s.signal_modified(key);
    Ok(Reply::Integer(n as i64))
}

pub fn lpush(s: &mut Store, a: &mut Args) -> CmdResult {
    push_generic(s, a, true, false)
}
pub fn rpush(s: &mut Store, a: &mut Args) -> CmdResult {
    push_generic(s, a, false, false)
}
pub fn lpushx(s: &mut Store, a: &mut Args) -> CmdResult {
    push_generic(s, a, true, true)
}
pub fn rpushx(s: &mut Store, a: &mut Args) -> CmdResult {
    push_generic(s, a, false, true)
}

fn pop_generic(s: &mut Store, a: &mut Args, head: bool, cmd: &str) -> CmdResult {
    let key = a.next()?;
    if a.remaining() > 1 {
        return Err(Reply::Error(format!("ERR wrong number of arguments for '{cmd}' command")));
    }
    let count = match a.remaining() {
        1 => Some(a.next_non_negative(err::POSITIVE)?),
        _ => None,
    };
    let Some(list) = write_list(s, key)? else {
        return Ok(if count.is_some() { Reply::NilArray } else { Reply::Nil });
    };
    let reply = match count {
        Some(0) => return Ok(Reply::Array(Vec::new())),
        None => {
            let v = if head { list.pop_front() } else { list.pop_back() };
            Reply::bulk(v.unwrap_or_default())
        }
        Some(n) => {
            let n = usize::try_from(n).unwrap_or(usize::MAX).min(list.len());
            let mut out = Vec::with_capacity(n);
            for _ in 0..n {
                let v = if head { list.pop_front() } else { list.pop_back() };
                out.push(Reply::bulk(v.unwrap_or_default()));
            }
            Reply::Array(out)
        }
    };
    s.delete_if_empty(key);
    s.signal_modified(key);
    Ok(reply)
}

pub fn lpop(s: &mut Store, a: &mut Args) -> CmdResult {
    pop_generic(s, a, true, "lpop")
}
pub fn rpop(s: &mut Store, a: &mut Args) -> CmdResult {
    pop_generic(s, a, false, "rpop")
}

pub fn llen(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    Ok(Reply::Integer(read_list(s, key)?.map_or(0, |l| l.len() as i64)))
}

/// Redis's index sanitising for LRANGE/LTRIM/ZRANGE: `Some((start, end))` inclusive, or `None`
/// when the range is empty.
pub fn clamp_range(mut start: i64, mut end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    if start < 0 {
        start = len.saturating_add(start);
    }
    if end < 0 {
        end = len.saturating_add(end);
    }
    if start < 0 {
        start = 0;
    }
    if start > end || start >= len {
        return None;
    }
    if end >= len {
        end = len - 1;
    }
    Some((start as usize, end as usize))
}

pub fn lrange(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let start = a.next_i64()?;
    let end = a.next_i64()?;
    let Some(list) = read_list(s, key)? else {
        return Ok(Reply::Array(Vec::new()));
    };
    Ok(Reply::Array(match clamp_range(start, end, list.len()) {
        None => Vec::new(),
        Some((a, b)) => list.range(a..=b).map(|e| Reply::bulk(e.clone())).collect(),
    }))
}

/// A list index (negative from the tail) to a position, if in range.
fn list_index(index: i64, len: usize) -> Option<usize> {
    let i = if index < 0 { (len as i64).checked_add(index)? } else { index };
    if i >= 0 && (i as u64) < len as u64 {
        Some(i as usize)
    } else {
        None
    }
}

pub fn lindex(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let Some(list) = read_list(s, key)? else {
        return Ok(Reply::Nil);
    };
    let index = a.next_i64()?;
    Ok(list_index(index, list.len()).map_or(Reply::Nil, |i| Reply::bulk(list[i].clone())))
}

pub fn lset(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let Some(list) = write_list(s, key)? else {
        return Err(error(err::NO_SUCH_KEY));
    };
    let index = a.next_i64()?;
    let value = a.next()?;
    let i = list_index(index, list.len()).ok_or_else(|| error(err::OUT_OF_RANGE))?;
    list.set(i, value.to_vec());
    s.signal_modified(key);
    Ok(Reply::ok())
}

pub fn lrem(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let count = a.next_i64()?;
    let elem = a.next()?;
    let Some(list) = write_list(s, key)? else {
        return Ok(Reply::Integer(0));
    };
    let limit = if count == 0 { u64::MAX } else { count.unsigned_abs() };
    let mut removed: u64 = 0;
    if count >= 0 {
        let mut i = 0;
        while i < list.len() && removed < limit {
            if list[i] == elem {
                list.remove(i);
                removed += 1;
            } else {
                i += 1;
            }
        }
    } else {
        let mut i = list.len();
        while i > 0 && removed < limit {
            i -= 1;
            if list[i] == elem {
                list.remove(i);
                removed += 1;
            }
        }
    }
    if removed > 0 {
        s.signal_modified(key);
    }
    s.delete_if_empty(key);
    Ok(Reply::Integer(removed as i64))
}

pub fn ltrim(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let start = a.next_i64()?;
    let end = a.next_i64()?;
    let Some(list) = write_list(s, key)? else {
        return Ok(Reply::ok());
    };
    match clamp_range(start, end, list.len()) {
        None => list.clear(),
        Some((a, b)) => list.trim(a, b),
    }
    s.delete_if_empty(key);
    s.signal_modified(key);
    Ok(Reply::ok())
}

pub fn linsert(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let place = a.next()?;
    let after = if is(place, "after") {
        true
    } else if is(place, "before") {
        false
    } else {
        return Err(error(err::SYNTAX));
    };
    let pivot = a.next()?;
    let elem = a.next()?;
    let Some(list) = write_list(s, key)? else {
        return Ok(Reply::Integer(0));
    };
    match list.iter().position(|e| e == pivot) {
        None => Ok(Reply::Integer(-1)),
        Some(i) => {
            list.insert_at(i, after, elem.to_vec());
            let n = list.len();
            s.signal_modified(key);
            Ok(Reply::Integer(n as i64))
        }
    }
}

pub fn lpos(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let elem = a.next()?;
    let mut rank: i64 = 1;
    let mut count: Option<i64> = None;
    let mut maxlen: i64 = 0;
    while let Some(opt) = a.peek() {
        a.next()?;
        let more = a.peek().is_some();
        if is(opt, "rank") && more {
            rank = a.next_i64()?;
            if rank == 0 || rank == i64::MIN {
                return Err(error(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
                ));
            }
        } else if is(opt, "count") && more {
            count = Some(a.next_non_negative("ERR COUNT can't be negative")?);
        } else if is(opt, "maxlen") && more {
            maxlen = a.next_non_negative("ERR MAXLEN can't be negative")?;
        } else {
            return Err(error(err::SYNTAX));
        }
    }
    let from_tail = rank < 0;
    let rank = rank.unsigned_abs();
    let Some(list) = read_list(s, key)? else {
        return Ok(if count.is_some() { Reply::Array(Vec::new()) } else { Reply::Nil });
    };
    let len = list.len();
    let mut matches: u64 = 0;
    let mut out = Vec::new();
    for step in 0..len {
        if maxlen != 0 && step as i64 >= maxlen {
            break;
        }
        let i = if from_tail { len - 1 - step } else { step };
        if list[i] == elem {
            matches += 1;
            if matches >= rank {
                out.push(Reply::Integer(i as i64));
                match count {
                    None => break,
                    Some(c) if c != 0 && (matches - rank + 1) as i64 >= c => break,
                    _ => {}
                }
            }
        }
    }
    Ok(match count {
        Some(_) => Reply::Array(out),
        None => out.pop().unwrap_or(Reply::Nil),
    })
}

fn side(arg: &[u8]) -> Result<bool, Reply> {
    if is(arg, "left") {
        Ok(true)
    } else if is(arg, "right") {
        Ok(false)
    } else {
        Err(error(err::SYNTAX))
    }
}

pub(crate) fn lmove_generic(s: &mut Store, src: &[u8], dst: &[u8], from_left: bool, to_left: bool) -> CmdResult {
    if write_list(s, src)?.is_none() {
        return Ok(Reply::Nil);
    }
    write_list(s, dst)?;
    let list = write_list(s, src)?.expect("checked above");
    let v = if from_left { list.pop_front() } else { list.pop_back() }.unwrap_or_default();
    if write_list(s, dst)?.is_none() {
        s.set_key(dst, Value::List(Box::default()), false);
    }
    s.signal_modified(dst);
    let d = write_list(s, dst)?.expect("created above");
    if to_left {
        d.push_front(v.clone());
    } else {
        d.push_back(v.clone());
    }
    s.delete_if_empty(src);
    s.signal_modified(src);
    Ok(Reply::bulk(v))
}

pub fn lmove(s: &mut Store, a: &mut Args) -> CmdResult {
    let src = a.next()?;
    let dst = a.next()?;
    let from_left = side(a.next()?)?;
    let to_left = side(a.next()?)?;
    lmove_generic(s, src, dst, from_left, to_left)
}

pub fn rpoplpush(s: &mut Store, a: &mut Args) -> CmdResult {
    let src = a.next()?;
    let dst = a.next()?;
    lmove_generic(s, src, dst, false, true)
}
