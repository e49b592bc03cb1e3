//! Hash commands (t_hash.c). Field order is insertion order (Redis's listpack encoding).

use crate::redis::args::{err, error, Args, CmdResult};
use crate::redis::longdouble::LongDouble;
use crate::redis::num;
use crate::redis::reply::Reply;
use crate::redis::store::Store;
use crate::redis::value::Value;

type Hash = crate::redis::keyspace::Map<Vec<u8>, Vec<u8>>;

fn read_hash<'s>(s: &'s mut Store, key: &[u8]) -> Result<Option<&'s Hash>, Reply> {
    match s.read(key) {
        None => Ok(None),
        Some(Value::Hash(h)) => Ok(Some(h)),
        Some(_) => Err(error(err::WRONGTYPE)),
    }
}

fn write_hash<'s>(s: &'s mut Store, key: &[u8]) -> Result<Option<&'s mut Hash>, Reply> {
    match s.write(key) {
        None => Ok(None),
        Some(Value::Hash(h)) => Ok(Some(h)),
        Some(_) => Err(error(err::WRONGTYPE)),
    }
}

/// `hashTypeLookupWriteOrCreate`: the hash at `key`, created empty if missing. (The playground's
/// limits are checked for the command's result before it runs, in `redis::limits`.)
fn hash_or_create<'s>(s: &'s mut Store, key: &[u8]) -> Result<&'s mut Hash, Reply> {
    let len = write_hash(s, key)?.map(|h| h.len());
    if len.is_none() {
        s.set_key(key, Value::Hash(Box::default()), false);
    }
    Ok(write_hash(s, key)?.expect("created above"))
}

fn hset_generic(s: &mut Store, a: &mut Args, cmd: &str) -> CmdResult {
    let key = a.next()?;
    let pairs = a.rest();
    if !pairs.len().is_multiple_of(2) {
        return Err(Reply::Error(format!("ERR wrong number of arguments for '{cmd}' command")));
    }
    let h = hash_or_create(s, key)?;
    let mut created = 0;
    for p in pairs.chunks(2) {
        if h.insert(p[0].clone(), p[1].clone()).is_none() {
            created += 1;
        }
    }
    s.signal_modified(key);
    Ok(if cmd == "hset" { Reply::Integer(created) } else { Reply::ok() })
}

pub fn hset(s: &mut Store, a: &mut Args) -> CmdResult {
    hset_generic(s, a, "hset")
}
pub fn hmset(s: &mut Store, a: &mut Args) -> CmdResult {
    hset_generic(s, a, "hmset")
}

pub fn hsetnx(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let f = a.next()?;
    let v = a.next()?;
    let h = hash_or_create(s, key)?;
    if h.contains_key(f) {
        return Ok(Reply::Integer(0));
    }
    h.insert(f.to_vec(), v.to_vec());
    s.signal_modified(key);
    Ok(Reply::Integer(1))
}

pub fn hget(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let f = a.next()?;
    Ok(read_hash(s, key)?.and_then(|h| h.get(f)).map_or(Reply::Nil, |v| Reply::bulk(v.clone())))
}

pub fn hmget(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let fields = a.rest();
    let h = read_hash(s, key)?;
    Ok(Reply::Array(
        fields.iter().map(|f| h.and_then(|h| h.get(f)).map_or(Reply::Nil, |v| Reply::bulk(v.clone()))).collect(),
    ))
}

pub fn hdel(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let fields = a.rest();
    let Some(h) = write_hash(s, key)? else {
        return Ok(Reply::Integer(0));
    };
    let n = fields.iter().filter(|f| h.shift_remove(*f).is_some()).count();
    s.delete_if_empty(key);
    if n > 0 {
        s.signal_modified(key);
    }
    Ok(Reply::Integer(n as i64))
}

pub fn hexists(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let f = a.next()?;
    Ok(Reply::Integer(i64::from(read_hash(s, key)?.is_some_and(|h| h.contains_key(f)))))
}

pub fn hlen(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    Ok(Reply::Integer(read_hash(s, key)?.map_or(0, |h| h.len() as i64)))
}

pub fn hstrlen(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let f = a.next()?;
    Ok(Reply::Integer(read_hash(s, key)?.and_then(|h| h.get(f)).map_or(0, |v| v.len() as i64)))
}

fn hgetall_generic(s: &mut Store, a: &mut Args, keys: bool, values: bool) -> CmdResult {
    let key = a.next()?;
    let mut out = Vec::new();
    if let Some(h) = read_hash(s, key)? {
        for (k, v) in h.iter() {
            if keys {
                out.push(Reply::bulk(k.clone()));
            }
            if values {
                out.push(Reply::bulk(v.clone()));
            }
        }
    }
    Ok(Reply::Array(out))
}

pub fn hgetall(s: &mut Store, a: &mut Args) -> CmdResult {
    hgetall_generic(s, a, true, true)
}
pub fn hkeys(s: &mut Store, a: &mut Args) -> CmdResult {
    hgetall_generic(s, a, true, false)
}
pub fn hvals(s: &mut Store, a: &mut Args) -> CmdResult {
    hgetall_generic(s, a, false, true)
}

pub fn hincrby(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let f = a.next()?;
    let by = a.next_i64()?;
    let h = hash_or_create(s, key)?;
    let current = match h.get(f) {
        None => 0,
        Some(v) => num::parse_i64(v).ok_or_else(|| error("ERR hash value is not an integer"))?,
    };
    let value = current.checked_add(by).ok_or_else(|| error(err::OVERFLOW))?;
    h.insert(f.to_vec(), value.to_string().into_bytes());
    s.signal_modified(key);
    Ok(Reply::Integer(value))
}

pub fn hincrbyfloat(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let f = a.next()?;
    let by = LongDouble::parse(a.next()?).ok_or_else(|| error(err::NOT_FLOAT))?;
    if !by.is_finite() {
        return Err(error("ERR value is NaN or Infinity"));
    }
    let h = hash_or_create(s, key)?;
    let current = match h.get(f) {
        None => LongDouble::ZERO,
        Some(v) => LongDouble::parse(v).ok_or_else(|| error("ERR hash value is not a float"))?,
    };
    let text = current.add(by).to_human().ok_or_else(|| error("ERR increment would produce NaN or Infinity"))?;
    h.insert(f.to_vec(), text.clone().into_bytes());
    s.signal_modified(key);
    Ok(Reply::bulk(text))
}
