//! Blocking pops and the pops they share code with (t_list.c, t_zset.c): BLPOP, BRPOP, BLMOVE,
//! BRPOPLPUSH, LMPOP, BLMPOP, ZPOPMIN, ZPOPMAX, BZPOPMIN, BZPOPMAX, ZMPOP, BZMPOP, and how a
//! blocked client is served when its key gets data (`serve_list_waiter`, `serve_zset_waiter`,
//! called by `blocking.rs`).
//!
//! A blocking command first behaves like its non-blocking form on the first key that has data.
//! With none, it blocks — unless its client denies blocking (inside EXEC, or a script), where it
//! replies as if it had timed out at once.

use crate::redis::args::{err, error, is, Args, CmdResult};
use crate::redis::blocking::BlockedOp;
use crate::redis::client::ClientId;
use crate::redis::num;
use crate::redis::object::{self, TimeoutUnit};
use crate::redis::reply::Reply;
use crate::redis::store::Store;
use crate::redis::value::Value;

use super::lists::write_list as list_mut;
use super::zsets::write_zset as zset_mut;

fn denies_blocking(s: &Store) -> bool {
    s.current_client().is_some_and(|c| c.denies_blocking())
}

fn timeout(s: &Store, arg: &[u8]) -> Result<u64, Reply> {
    object::get_timeout(arg, TimeoutUnit::Seconds, s.now_ms).map(|t| t as u64)
}

/// `getListPositionFromObjectOrReply`: LEFT is the head.
fn list_position(arg: &[u8]) -> Result<bool, Reply> {
    if is(arg, "right") {
        Ok(false)
    } else if is(arg, "left") {
        Ok(true)
    } else {
        Err(error(err::SYNTAX))
    }
}

// ---- lists ------------------------------------------------------------------------------------

/// Pops up to `count` elements (`listPopRangeAndReplyWithKey`): `[key, [elements…]]`; the key is
/// touched and deleted when emptied. True in the second field when it was deleted.
fn pop_range_reply(s: &mut Store, key: &[u8], head: bool, count: i64) -> (Reply, bool) {
    let mut items = Vec::new();
    if let Ok(Some(list)) = list_mut(s, key) {
        let n = usize::try_from(count).unwrap_or(usize::MAX).min(list.len());
        for _ in 0..n {
            if let Some(v) = if head { list.pop_front() } else { list.pop_back() } {
                items.push(Reply::bulk(v));
            }
        }
    }
    let deleted = delete_if_empty_list(s, key);
    s.signal_modified(key);
    (Reply::Array(vec![Reply::bulk(key.to_vec()), Reply::Array(items)]), deleted)
}

fn delete_if_empty_list(s: &mut Store, key: &[u8]) -> bool {
    let empty = s.db.get(key).is_some_and(|v| v.is_empty());
    if empty {
        s.remove_key(key);
    }
    empty
}

/// `blockingPopGenericCommand`: BLPOP/BRPOP (`count` None) and BLMPOP.
fn blocking_pop(s: &mut Store, keys: &[Vec<u8>], head: bool, timeout_arg: &[u8], count: Option<i64>) -> CmdResult {
    let deadline = timeout(s, timeout_arg)?;
    for key in keys {
        let Some(list) = list_mut(s, key)? else {
            continue;
        };
        if list.is_empty() {
            continue;
        }
        if let Some(n) = count {
            return Ok(pop_range_reply(s, key, head, n).0);
        }
        let v = if head { list.pop_front() } else { list.pop_back() }.unwrap_or_default();
        delete_if_empty_list(s, key);
        s.signal_modified(key);
        return Ok(Reply::Array(vec![Reply::bulk(key.clone()), Reply::bulk(v)]));
    }
    if denies_blocking(s) {
        return Ok(Reply::NilArray);
    }
    let keys: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
    s.block_client(BlockedOp::ListPop { head, count }, &keys, deadline);
    Ok(Reply::NilArray)
}

pub fn blpop(s: &mut Store, a: &mut Args) -> CmdResult {
    let argv = a.argv();
    blocking_pop(s, &argv[1..argv.len() - 1], true, &argv[argv.len() - 1], None)
}

pub fn brpop(s: &mut Store, a: &mut Args) -> CmdResult {
    let argv = a.argv();
    blocking_pop(s, &argv[1..argv.len() - 1], false, &argv[argv.len() - 1], None)
}

/// `blmoveGenericCommand`: LMOVE when the source has elements, else block on it.
fn blmove_generic(s: &mut Store, src: &[u8], dst: &[u8], from_head: bool, to_head: bool, deadline: u64) -> CmdResult {
    if list_mut(s, src)?.is_some() {
        return super::lists::lmove_generic(s, src, dst, from_head, to_head);
    }
    if denies_blocking(s) {
        return Ok(Reply::Nil);
    }
    s.block_client(BlockedOp::ListMove { from_head, to_head, dst: dst.into() }, &[src], deadline);
    Ok(Reply::Nil)
}

pub fn blmove(s: &mut Store, a: &mut Args) -> CmdResult {
    let src = a.next()?;
    let dst = a.next()?;
    let from_head = list_position(a.next()?)?;
    let to_head = list_position(a.next()?)?;
    let deadline = timeout(s, a.next()?)?;
    blmove_generic(s, src, dst, from_head, to_head, deadline)
}

pub fn brpoplpush(s: &mut Store, a: &mut Args) -> CmdResult {
    let src = a.next()?;
    let dst = a.next()?;
    let deadline = timeout(s, a.next()?)?;
    blmove_generic(s, src, dst, false, true, deadline)
}

/// What LMPOP/ZMPOP and their blocking forms parse: the keys, the side, the count.
struct MPop<'a> {
    keys: &'a [Vec<u8>],
    side: bool,
    count: i64,
}

/// `lmpopGenericCommand` / `zmpopGenericCommand` argument parsing from `numkeys_idx`;
/// `side_words` are (true-word, false-word): ("left", "right") or ("max", "min").
fn parse_mpop<'a>(argv: &'a [Vec<u8>], numkeys_idx: usize, side_words: (&str, &str)) -> Result<MPop<'a>, Reply> {
    let numkeys = object::get_range_long(&argv[numkeys_idx], 1, i64::MAX, Some("numkeys should be greater than 0"))?;
    let where_idx = (numkeys_idx as u64).saturating_add(numkeys as u64).saturating_add(1);
    if where_idx >= argv.len() as u64 {
        return Err(error(err::SYNTAX));
    }
    let where_idx = where_idx as usize;
    let w = &argv[where_idx];
    let side = if is(w, side_words.0) {
        true
    } else if is(w, side_words.1) {
        false
    } else {
        return Err(error(err::SYNTAX));
    };
    let mut count: i64 = -1;
    let mut j = where_idx + 1;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        if count == -1 && is(&argv[j], "count") && more > 0 {
            j += 1;
            count = object::get_range_long(&argv[j], 1, i64::MAX, Some("count should be greater than 0"))?;
        } else {
            return Err(error(err::SYNTAX));
        }
        j += 1;
    }
    if count == -1 {
        count = 1;
    }
    Ok(MPop { keys: &argv[numkeys_idx + 1..where_idx], side, count })
}

pub fn lmpop(s: &mut Store, a: &mut Args) -> CmdResult {
    let argv = a.argv();
    let p = parse_mpop(argv, 1, ("left", "right"))?;
    for key in p.keys {
        let Some(list) = list_mut(s, key)? else {
            continue;
        };
        if list.is_empty() {
            continue;
        }
        return Ok(pop_range_reply(s, key, p.side, p.count).0);
    }
    Ok(Reply::NilArray)
}

pub fn blmpop(s: &mut Store, a: &mut Args) -> CmdResult {
    let argv = a.argv();
    let p = parse_mpop(argv, 2, ("left", "right"))?;
    blocking_pop(s, p.keys, p.side, &argv[1], Some(p.count))
}

/// `serveClientBlockedOnList`: gives `receiver` what it waits for from the list at `key` (in the
/// active database) and writes its reply. True when the list was emptied and deleted.
pub(crate) fn serve_list_waiter(s: &mut Store, receiver: ClientId, key: &[u8], op: &BlockedOp) -> bool {
    match op {
        BlockedOp::ListPop { head, count: None } => {
            let v = match list_mut(s, key) {
                Ok(Some(l)) => if *head { l.pop_front() } else { l.pop_back() }.unwrap_or_default(),
                _ => return false,
            };
            s.write_frame(receiver, Reply::Array(vec![Reply::bulk(key.to_vec()), Reply::bulk(v)]));
            // No signal: the push that made the key ready already touched it.
            delete_if_empty_list(s, key)
        }
        BlockedOp::ListPop { head, count: Some(n) } => {
            let (reply, deleted) = pop_range_reply(s, key, *head, *n);
            s.write_frame(receiver, reply);
            deleted
        }
        BlockedOp::ListMove { from_head, to_head, dst } => {
            let dst_len = match list_mut(s, dst) {
                Ok(d) => d.map(|l| l.len()),
                Err(e) => {
                    s.write_frame(receiver, e);
                    return false;
                }
            };
            // The push is a write like LMOVE's: checked against the limits before it happens.
            // Refused, the receiver gets the refusal and nothing moves (as with a destination
            // of the wrong type).
            let db = s.active_db();
            let touched = [(db, key), (db, &**dst)];
            if let Err(e) =
                s.probe(&touched, |scratch| super::lists::lmove_generic(scratch, key, dst, *from_head, *to_head).err())
            {
                s.write_frame(receiver, e);
                return false;
            }
            let v = match list_mut(s, key) {
                Ok(Some(l)) => if *from_head { l.pop_front() } else { l.pop_back() }.unwrap_or_default(),
                _ => return false,
            };
            // `lmoveHandlePush`.
            if dst_len.is_none() {
                s.db_add(dst, Value::List(Box::default()));
            }
            s.signal_modified(dst);
            if let Ok(Some(d)) = list_mut(s, dst) {
                if *to_head {
                    d.push_front(v.clone());
                } else {
                    d.push_back(v.clone());
                }
            }
            s.write_frame(receiver, Reply::bulk(v));
            delete_if_empty_list(s, key)
        }
        BlockedOp::ZSetPop { .. } | BlockedOp::Stream { .. } | BlockedOp::Wait => false,
    }
}

// ---- sorted sets ------------------------------------------------------------------------------

fn score_reply(v: f64) -> Reply {
    Reply::bulk(num::format_score(v))
}

/// `genericZpopCommand`: pops from the first existing key of `keys`. `emit_key` puts the key
/// first; `nested` gives `[member, score]` pairs; `nil_when_empty` replies a nil array instead of
/// an empty one when no key exists. The second field: the key was emptied and deleted.
fn generic_zpop(
    s: &mut Store,
    keys: &[Vec<u8>],
    max: bool,
    emit_key: bool,
    count: i64,
    nested: bool,
    nil_when_empty: bool,
) -> Result<(Reply, bool), Reply> {
    let mut found = None;
    for key in keys {
        if zset_mut(s, key)?.is_some() {
            found = Some(key);
            break;
        }
    }
    let Some(key) = found else {
        return Ok((if nil_when_empty { Reply::NilArray } else { Reply::Array(Vec::new()) }, false));
    };
    if count == 0 {
        return Ok((Reply::Array(Vec::new()), false));
    }
    let count = if count == -1 { 1 } else { count };
    let mut popped = Vec::new();
    if let Some(z) = zset_mut(s, key)? {
        let n = usize::try_from(count).unwrap_or(usize::MAX).min(z.len());
        for _ in 0..n {
            let next = if max { z.iter().next_back() } else { z.iter().next() }.map(|(m, sc)| (m.to_vec(), sc));
            let Some((m, sc)) = next else { break };
            z.remove(&m);
            popped.push((m, sc));
        }
    }
    if !popped.is_empty() {
        s.signal_modified(key);
    }
    let mut items: Vec<Reply> = Vec::new();
    for (m, sc) in popped {
        if nested {
            items.push(Reply::Array(vec![Reply::bulk(m), score_reply(sc)]));
        } else {
            items.push(Reply::bulk(m));
            items.push(score_reply(sc));
        }
    }
    let reply = match (emit_key, nested) {
        (false, _) => Reply::Array(items),
        (true, false) => {
            let mut v = vec![Reply::bulk(key.clone())];
            v.extend(items);
            Reply::Array(v)
        }
        (true, true) => Reply::Array(vec![Reply::bulk(key.clone()), Reply::Array(items)]),
    };
    let empty = s.db.get(key.as_slice()).is_some_and(Value::is_empty);
    if empty {
        s.remove_key(key);
    }
    Ok((reply, empty))
}

fn zpop_min_max(s: &mut Store, a: &mut Args, max: bool) -> CmdResult {
    let argv = a.argv();
    if argv.len() > 3 {
        return Err(error(err::SYNTAX));
    }
    let count = match argv.get(2) {
        Some(c) => object::get_positive_long(c, None)?,
        None => -1,
    };
    Ok(generic_zpop(s, &argv[1..2], max, false, count, false, false)?.0)
}

pub fn zpopmin(s: &mut Store, a: &mut Args) -> CmdResult {
    zpop_min_max(s, a, false)
}
pub fn zpopmax(s: &mut Store, a: &mut Args) -> CmdResult {
    zpop_min_max(s, a, true)
}

/// `blockingGenericZpopCommand`: BZPOPMIN/BZPOPMAX (`count` None) and BZMPOP.
fn blocking_zpop(s: &mut Store, keys: &[Vec<u8>], max: bool, timeout_arg: &[u8], count: Option<i64>) -> CmdResult {
    let deadline = timeout(s, timeout_arg)?;
    let nested = count.is_some();
    for key in keys {
        let Some(z) = zset_mut(s, key)? else { continue };
        if z.is_empty() {
            continue;
        }
        let (reply, _) = generic_zpop(s, std::slice::from_ref(key), max, true, count.unwrap_or(-1), nested, nested)?;
        return Ok(reply);
    }
    if denies_blocking(s) {
        return Ok(Reply::NilArray);
    }
    let keys: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
    s.block_client(BlockedOp::ZSetPop { max, count }, &keys, deadline);
    Ok(Reply::NilArray)
}

pub fn bzpopmin(s: &mut Store, a: &mut Args) -> CmdResult {
    let argv = a.argv();
    blocking_zpop(s, &argv[1..argv.len() - 1], false, &argv[argv.len() - 1], None)
}

pub fn bzpopmax(s: &mut Store, a: &mut Args) -> CmdResult {
    let argv = a.argv();
    blocking_zpop(s, &argv[1..argv.len() - 1], true, &argv[argv.len() - 1], None)
}

pub fn zmpop(s: &mut Store, a: &mut Args) -> CmdResult {
    let argv = a.argv();
    let p = parse_mpop(argv, 1, ("max", "min"))?;
    Ok(generic_zpop(s, p.keys, p.side, true, p.count, true, true)?.0)
}

pub fn bzmpop(s: &mut Store, a: &mut Args) -> CmdResult {
    let argv = a.argv();
    let p = parse_mpop(argv, 2, ("max", "min"))?;
    blocking_zpop(s, p.keys, p.side, &argv[1], Some(p.count))
}

/// Serves a client blocked in BZPOPMIN/BZPOPMAX/BZMPOP from the sorted set at `key`. True when
/// the set was emptied and deleted.
pub(crate) fn serve_zset_waiter(s: &mut Store, receiver: ClientId, key: &[u8], op: &BlockedOp) -> bool {
    let BlockedOp::ZSetPop { max, count } = op else {
        return false;
    };
    let nested = count.is_some();
    match generic_zpop(s, &[key.to_vec()], *max, true, count.unwrap_or(-1), nested, nested) {
        Ok((reply, deleted)) => {
            s.write_frame(receiver, reply);
            deleted
        }
        Err(e) => {
            s.write_frame(receiver, e);
            false
        }
    }
}
