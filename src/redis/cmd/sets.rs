//! Set commands (t_set.c).
//!
//! Reply order: a small all-integer Redis set is an intset and replies in ascending numeric order;
//! the model does the same. Other sets are hashtables in Redis, whose order is unspecified; the
//! model replies in insertion order (the differential test sorts those replies).

use crate::redis::args::{err, error, Args, CmdResult};
use crate::redis::num;
use crate::redis::reply::Reply;
use crate::redis::store::Store;
use crate::redis::value::Value;

type Set = crate::redis::keyspace::Set<Vec<u8>>;

/// Redis keeps a set as an intset while every member is an integer and there are at most this many.
const INTSET_MAX_ENTRIES: usize = 512;

/// SRANDMEMBER with a negative count repeats picks; the model refuses to build more than this.
const MAX_REPEATED_PICKS: usize = 10_000_000;

fn read_set<'s>(s: &'s mut Store, key: &[u8]) -> Result<Option<&'s Set>, Reply> {
    match s.read(key) {
        None => Ok(None),
        Some(Value::Set(v)) => Ok(Some(v)),
        Some(_) => Err(error(err::WRONGTYPE)),
    }
}

fn write_set<'s>(s: &'s mut Store, key: &[u8]) -> Result<Option<&'s mut Set>, Reply> {
    match s.write(key) {
        None => Ok(None),
        Some(Value::Set(v)) => Ok(Some(v)),
        Some(_) => Err(error(err::WRONGTYPE)),
    }
}

/// Members in the order Redis would reply them (see the module note).
pub fn reply_order<'a>(members: impl Iterator<Item = &'a Vec<u8>>) -> Vec<Vec<u8>> {
    let v: Vec<Vec<u8>> = members.cloned().collect();
    let ints: Option<Vec<i64>> = v.iter().map(|m| num::parse_i64(m)).collect();
    match ints {
        Some(mut ints) if v.len() <= INTSET_MAX_ENTRIES => {
            ints.sort_unstable();
            ints.into_iter().map(|i| i.to_string().into_bytes()).collect()
        }
        _ => v,
    }
}

fn members_reply(members: Vec<Vec<u8>>) -> Reply {
    Reply::Array(members.into_iter().map(Reply::bulk).collect())
}

pub fn sadd(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let members = a.rest();
    if write_set(s, key)?.is_none() {
        s.set_key(key, Value::Set(Box::default()), false);
    }
    let set = write_set(s, key)?.expect("created above");
    let added = members.iter().filter(|m| set.insert((*m).clone())).count();
    if added > 0 {
        s.signal_modified(key);
    }
    Ok(Reply::Integer(added as i64))
}

pub fn srem(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let members = a.rest();
    let Some(set) = write_set(s, key)? else {
        return Ok(Reply::Integer(0));
    };
    let removed = members.iter().filter(|m| set.swap_remove(*m)).count();
    s.delete_if_empty(key);
    if removed > 0 {
        s.signal_modified(key);
    }
    Ok(Reply::Integer(removed as i64))
}

pub fn smembers(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    Ok(members_reply(read_set(s, key)?.map_or_else(Vec::new, |v| reply_order(v.iter()))))
}

pub fn sismember(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let m = a.next()?;
    Ok(Reply::Integer(i64::from(read_set(s, key)?.is_some_and(|v| v.contains(m)))))
}

pub fn smismember(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let ms = a.rest();
    let set = read_set(s, key)?;
    Ok(Reply::Array(ms.iter().map(|m| Reply::Integer(i64::from(set.is_some_and(|v| v.contains(m))))).collect()))
}

pub fn scard(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    Ok(Reply::Integer(read_set(s, key)?.map_or(0, |v| v.len() as i64)))
}

/// Looks up every key first (WRONGTYPE for any of them wins), missing keys as `None`.
fn load_sets(s: &mut Store, keys: &[Vec<u8>]) -> Result<Vec<Option<Set>>, Reply> {
    keys.iter().map(|k| Ok(read_set(s, k)?.cloned())).collect()
}

pub fn sinter(s: &mut Store, a: &mut Args) -> CmdResult {
    let sets = load_sets(s, a.rest())?;
    if sets.iter().any(Option::is_none) {
        return Ok(Reply::Array(Vec::new()));
    }
    let sets: Vec<Set> = sets.into_iter().flatten().collect();
    let mut order: Vec<&Set> = sets.iter().collect();
    order.sort_by_key(|v| v.len());
    let out: Set = order[0].iter().filter(|m| order[1..].iter().all(|o| o.contains(*m))).cloned().collect();
    Ok(members_reply(reply_order(out.iter())))
}

pub fn sunion(s: &mut Store, a: &mut Args) -> CmdResult {
    let sets = load_sets(s, a.rest())?;
    let mut out = Set::default();
    for set in sets.iter().flatten() {
        out.extend(set.iter().cloned());
    }
    Ok(members_reply(reply_order(out.iter())))
}

pub fn sdiff(s: &mut Store, a: &mut Args) -> CmdResult {
    let sets = load_sets(s, a.rest())?;
    let Some(Some(first)) = sets.first() else {
        return Ok(Reply::Array(Vec::new()));
    };
    let out: Set = first.iter().filter(|m| !sets[1..].iter().flatten().any(|o| o.contains(*m))).cloned().collect();
    Ok(members_reply(reply_order(out.iter())))
}

pub fn spop(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    if a.remaining() > 1 {
        return Err(error(err::SYNTAX));
    }
    let count = match a.remaining() {
        1 => Some(a.next_non_negative(err::POSITIVE)? as u64),
        _ => None,
    };
    let len = match write_set(s, key)? {
        None => return Ok(if count.is_some() { Reply::Array(Vec::new()) } else { Reply::Nil }),
        Some(v) => v.len(),
    };
    let n = match count {
        Some(0) => return Ok(Reply::Array(Vec::new())),
        Some(c) => usize::try_from(c).unwrap_or(usize::MAX).min(len),
        None => 1,
    };
    let mut popped = Vec::with_capacity(n);
    for _ in 0..n {
        let i = s.rng.index(len - popped.len());
        if let Some(Value::Set(set)) = s.db.get_mut(key) {
            if let Some(m) = set.swap_remove_index(i) {
                popped.push(m);
            }
        }
    }
    s.delete_if_empty(key);
    s.signal_modified(key);
    Ok(match count {
        None => popped.pop().map_or(Reply::Nil, Reply::bulk),
        Some(_) => members_reply(popped),
    })
}

pub fn srandmember(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    if a.remaining() > 1 {
        return Err(error(err::SYNTAX));
    }
    let count = match a.remaining() {
        1 => {
            let c = a.next_i64()?;
            if c == i64::MIN {
                return Err(error(
                    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
                ));
            }
            Some(c)
        }
        _ => None,
    };
    let max_reply = s.limits.max_reply_elements;
    let Some(set) = read_set(s, key)?.cloned() else {
        return Ok(if count.is_some() { Reply::Array(Vec::new()) } else { Reply::Nil });
    };
    let len = set.len();
    match count {
        None => {
            let i = s.rng.index(len);
            Ok(Reply::bulk(set[i].clone()))
        }
        Some(0) => Ok(Reply::Array(Vec::new())),
        Some(c) if c > 0 => {
            let n = usize::try_from(c).unwrap_or(usize::MAX).min(len);
            let mut idx: Vec<usize> = (0..len).collect();
            s.rng.shuffle(&mut idx);
            idx.truncate(n);
            Ok(members_reply(idx.into_iter().map(|i| set[i].clone()).collect()))
        }
        Some(c) => {
            let n = c.unsigned_abs();
            // Even without playground limits, a reply is built in memory before it is sent.
            if n > max_reply.min(MAX_REPEATED_PICKS) as u64 {
                return Err(Reply::Error(format!(
                    "ERR playground limit: reply has more than {} elements; narrow the range or use SCAN",
                    max_reply.min(MAX_REPEATED_PICKS)
                )));
            }
            Ok(members_reply((0..n).map(|_| set[s.rng.index(len)].clone()).collect()))
        }
    }
}

pub fn smove(s: &mut Store, a: &mut Args) -> CmdResult {
    let src = a.next()?;
    let dst = a.next()?;
    let m = a.next()?;
    let src_exists = s.exists(src);
    let dst_exists = s.exists(dst);
    if !src_exists {
        return Ok(Reply::Integer(0));
    }
    write_set(s, src)?;
    write_set(s, dst)?;
    if src == dst {
        return Ok(Reply::Integer(i64::from(write_set(s, src)?.is_some_and(|v| v.contains(m)))));
    }
    if !write_set(s, src)?.is_some_and(|v| v.contains(m)) {
        return Ok(Reply::Integer(0));
    }
    if let Some(v) = write_set(s, src)? {
        v.swap_remove(m);
    }
    s.delete_if_empty(src);
    s.signal_modified(src);
    if !dst_exists {
        s.set_key(dst, Value::Set(Box::default()), false);
    }
    if write_set(s, dst)?.expect("created above").insert(m.to_vec()) {
        s.signal_modified(dst);
    }
    Ok(Reply::Integer(1))
}
