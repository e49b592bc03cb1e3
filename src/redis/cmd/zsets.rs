//! Sorted-set commands (t_zset.c). Ranges follow Redis's listpack code paths (small sorted sets),
//! including BYLEX over members whose scores differ.

use crate::redis::args::{c_str, err, error, is, Args, CmdResult};
use crate::redis::num;
use crate::redis::reply::Reply;
use crate::redis::store::Store;
use crate::redis::value::{Value, ZSet};

fn read_zset<'s>(s: &'s mut Store, key: &[u8]) -> Result<Option<&'s ZSet>, Reply> {
    match s.read(key) {
        None => Ok(None),
        Some(Value::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(error(err::WRONGTYPE)),
    }
}

pub(crate) fn write_zset<'s>(s: &'s mut Store, key: &[u8]) -> Result<Option<&'s mut ZSet>, Reply> {
    match s.write(key) {
        None => Ok(None),
        Some(Value::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(error(err::WRONGTYPE)),
    }
}

fn score_reply(v: f64) -> Reply {
    Reply::bulk(num::format_score(v))
}

/// `zaddGenericCommand` (ZADD, and ZINCRBY with `incr_cmd`).
fn zadd_generic(s: &mut Store, a: &mut Args, incr_cmd: bool) -> CmdResult {
    let key = a.next()?;
    let (mut nx, mut xx, mut gt, mut lt, mut ch, mut incr) = (false, false, false, false, false, incr_cmd);
    while let Some(opt) = a.peek() {
        if is(opt, "nx") {
            nx = true;
        } else if is(opt, "xx") {
            xx = true;
        } else if is(opt, "ch") {
            ch = true;
        } else if is(opt, "incr") {
            incr = true;
        } else if is(opt, "gt") {
            gt = true;
        } else if is(opt, "lt") {
            lt = true;
        } else {
            break;
        }
        a.next()?;
    }
    let rest = a.rest();
    if rest.is_empty() || !rest.len().is_multiple_of(2) {
        return Err(error(err::SYNTAX));
    }
    if nx && xx {
        return Err(error("ERR XX and NX options at the same time are not compatible"));
    }
    // Mirrors t_zset.c's condition term by term.
    #[allow(clippy::nonminimal_bool)]
    let incompatible = (gt && nx) || (lt && nx) || (gt && lt);
    if incompatible {
        return Err(error("ERR GT, LT, and/or NX options at the same time are not compatible"));
    }
    if incr && rest.len() > 2 {
        return Err(error("ERR INCR option supports a single increment-element pair"));
    }
    let mut scores = Vec::with_capacity(rest.len() / 2);
    for p in rest.chunks(2) {
        scores.push(num::parse_f64(&p[0]).ok_or_else(|| error(err::NOT_FLOAT))?);
    }
    let exists = write_zset(s, key)?.is_some();
    let incr_reply = |processed: bool, score: f64| if processed { score_reply(score) } else { Reply::Nil };
    if !exists {
        if xx {
            return Ok(if incr { Reply::Nil } else { Reply::Integer(0) });
        }
        s.set_key(key, Value::ZSet(Box::default()), false);
    }
    let z = write_zset(s, key)?.expect("created above");
    let (mut added, mut updated, mut processed) = (0i64, 0i64, false);
    let mut last = 0.0;
    for (p, &score) in rest.chunks(2).zip(&scores) {
        let member = &p[1];
        match z.score(member) {
            Some(cur) => {
                if nx {
                    continue;
                }
                let mut new = score;
                if incr {
                    new += cur;
                    if new.is_nan() {
                        // `goto cleanup`: members changed before the error still count.
                        if added + updated > 0 {
                            s.signal_modified(key);
                        }
                        return Err(error("ERR resulting score is not a number (NaN)"));
                    }
                }
                if (lt && new >= cur) || (gt && new <= cur) {
                    continue;
                }
                processed = true;
                last = new;
                if new != cur {
                    z.insert(member.clone(), new);
                    updated += 1;
                }
            }
            None if !xx => {
                z.insert(member.clone(), score);
                added += 1;
                processed = true;
                last = score;
            }
            None => {}
        }
    }
    if added + updated > 0 {
        s.signal_modified(key);
    }
    Ok(if incr { incr_reply(processed, last) } else { Reply::Integer(if ch { added + updated } else { added }) })
}

pub fn zadd(s: &mut Store, a: &mut Args) -> CmdResult {
    zadd_generic(s, a, false)
}
pub fn zincrby(s: &mut Store, a: &mut Args) -> CmdResult {
    zadd_generic(s, a, true)
}

pub fn zscore(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let m = a.next()?;
    Ok(read_zset(s, key)?.and_then(|z| z.score(m)).map_or(Reply::Nil, score_reply))
}

fn zrank_generic(s: &mut Store, a: &mut Args, rev: bool) -> CmdResult {
    let key = a.next()?;
    let m = a.next()?;
    let Some(z) = read_zset(s, key)? else {
        return Ok(Reply::Nil);
    };
    Ok(z.rank(m).map_or(Reply::Nil, |r| Reply::Integer(if rev { z.len() - 1 - r } else { r } as i64)))
}

pub fn zrank(s: &mut Store, a: &mut Args) -> CmdResult {
    zrank_generic(s, a, false)
}
pub fn zrevrank(s: &mut Store, a: &mut Args) -> CmdResult {
    zrank_generic(s, a, true)
}

pub fn zrem(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let ms = a.rest();
    let Some(z) = write_zset(s, key)? else {
        return Ok(Reply::Integer(0));
    };
    let n = ms.iter().filter(|m| z.remove(m).is_some()).count();
    s.delete_if_empty(key);
    if n > 0 {
        s.signal_modified(key);
    }
    Ok(Reply::Integer(n as i64))
}

pub fn zcard(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    Ok(Reply::Integer(read_zset(s, key)?.map_or(0, |z| z.len() as i64)))
}

/// A score interval as `zslParseRange` reads it.
#[derive(Clone, Copy, Debug)]
struct ScoreRange {
    min: f64,
    max: f64,
    minex: bool,
    maxex: bool,
}

impl ScoreRange {
    fn gte_min(&self, v: f64) -> bool {
        if self.minex {
            v > self.min
        } else {
            v >= self.min
        }
    }
    fn lte_max(&self, v: f64) -> bool {
        if self.maxex {
            v < self.max
        } else {
            v <= self.max
        }
    }
    fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.minex || self.maxex))
    }
}

/// One end of a score range: `(` for exclusive, then C `strtod` over the rest (leading spaces and
/// an empty string allowed, as `zslParseRange` does; NaN rejected).
fn parse_score_bound(arg: &[u8]) -> Option<(f64, bool)> {
    let arg = c_str(arg);
    let (body, ex) = match arg.first() {
        Some(b'(') => (&arg[1..], true),
        _ => (arg, false),
    };
    let v = if body.is_empty() { 0.0 } else { num::strtod_full(body)? };
    if v.is_nan() {
        None
    } else {
        Some((v, ex))
    }
}

fn parse_score_range(min: &[u8], max: &[u8]) -> Result<ScoreRange, Reply> {
    let bad = || error("ERR min or max is not a float");
    let (min, minex) = parse_score_bound(min).ok_or_else(bad)?;
    let (max, maxex) = parse_score_bound(max).ok_or_else(bad)?;
    Ok(ScoreRange { min, max, minex, maxex })
}

/// One end of a lex range: `-`, `+`, `(member` or `[member`.
#[derive(Clone, Debug)]
enum LexBound {
    Min,
    Max,
    Value(Vec<u8>, bool),
}

fn parse_lex_bound(arg: &[u8]) -> Option<LexBound> {
    match arg.first() {
        Some(b'+') if c_str(arg).len() == 1 => Some(LexBound::Max),
        Some(b'-') if c_str(arg).len() == 1 => Some(LexBound::Min),
        Some(b'(') => Some(LexBound::Value(arg[1..].to_vec(), true)),
        Some(b'[') => Some(LexBound::Value(arg[1..].to_vec(), false)),
        _ => None,
    }
}

/// `sdscmplex`: compare with the special min and max strings.
fn cmp_lex(a: &LexBound, b: &[u8]) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    match a {
        LexBound::Min => Less,
        LexBound::Max => Greater,
        LexBound::Value(v, _) => v.as_slice().cmp(b),
    }
}

struct LexRange {
    min: LexBound,
    max: LexBound,
}

impl LexRange {
    fn ex(b: &LexBound) -> bool {
        matches!(b, LexBound::Min | LexBound::Max | LexBound::Value(_, true))
    }
    fn gte_min(&self, v: &[u8]) -> bool {
        let c = cmp_lex(&self.min, v);
        if Self::ex(&self.min) {
            c.is_lt()
        } else {
            c.is_le()
        }
    }
    fn lte_max(&self, v: &[u8]) -> bool {
        let c = cmp_lex(&self.max, v);
        if Self::ex(&self.max) {
            c.is_gt()
        } else {
            c.is_ge()
        }
    }
    /// `zzlIsInLexRange`'s first test: ranges that are always empty.
    fn is_empty(&self) -> bool {
        use std::cmp::Ordering::*;
        let c = match (&self.min, &self.max) {
            (LexBound::Min, LexBound::Min) | (LexBound::Max, LexBound::Max) => Equal,
            (LexBound::Min, _) | (_, LexBound::Max) => Less,
            (LexBound::Max, _) | (_, LexBound::Min) => Greater,
            (LexBound::Value(a, _), LexBound::Value(b, _)) => a.cmp(b),
        };
        c == Greater || (c == Equal && (Self::ex(&self.min) || Self::ex(&self.max)))
    }
}

fn parse_lex_range(min: &[u8], max: &[u8]) -> Result<LexRange, Reply> {
    let bad = || error("ERR min or max not valid string range item");
    Ok(LexRange { min: parse_lex_bound(min).ok_or_else(bad)?, max: parse_lex_bound(max).ok_or_else(bad)? })
}

#[derive(Clone, Copy, PartialEq)]
enum RangeType {
    Auto,
    Rank,
    Score,
    Lex,
}

/// Emits `(member, score)` pairs as a flat reply.
fn emit(items: Vec<(Vec<u8>, f64)>, withscores: bool) -> Reply {
    let mut out = Vec::with_capacity(items.len() * if withscores { 2 } else { 1 });
    for (m, sc) in items {
        out.push(Reply::bulk(m));
        if withscores {
            out.push(score_reply(sc));
        }
    }
    Reply::Array(out)
}

/// `zrangeGenericCommand`.
fn zrange_generic(s: &mut Store, a: &mut Args, mut rangetype: RangeType, mut rev: Option<bool>) -> CmdResult {
    let key = a.next()?;
    let mut min_arg = a.next()?;
    let mut max_arg = a.next()?;
    let (mut withscores, mut offset, mut limit) = (false, 0i64, -1i64);
    while let Some(opt) = a.peek() {
        a.next()?;
        if is(opt, "withscores") {
            withscores = true;
        } else if is(opt, "limit") && a.remaining() >= 2 {
            offset = a.next_i64()?;
            limit = a.next_i64()?;
        } else if rev.is_none() && is(opt, "rev") {
            rev = Some(true);
        } else if rangetype == RangeType::Auto && is(opt, "bylex") {
            rangetype = RangeType::Lex;
        } else if rangetype == RangeType::Auto && is(opt, "byscore") {
            rangetype = RangeType::Score;
        } else {
            return Err(error(err::SYNTAX));
        }
    }
    let rev = rev.unwrap_or(false);
    if rangetype == RangeType::Auto {
        rangetype = RangeType::Rank;
    }
    if limit != -1 && rangetype == RangeType::Rank {
        return Err(error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"));
    }
    if withscores && rangetype == RangeType::Lex {
        return Err(error("ERR syntax error, WITHSCORES not supported in combination with BYLEX"));
    }
    if rev && rangetype != RangeType::Rank {
        std::mem::swap(&mut min_arg, &mut max_arg);
    }
    enum Spec {
        Rank(i64, i64),
        Score(ScoreRange),
        Lex(LexRange),
    }
    let spec = match rangetype {
        RangeType::Score => Spec::Score(parse_score_range(min_arg, max_arg)?),
        RangeType::Lex => Spec::Lex(parse_lex_range(min_arg, max_arg)?),
        _ => {
            let start = crate::redis::num::parse_i64(min_arg).ok_or_else(|| error(err::NOT_INTEGER))?;
            let end = crate::redis::num::parse_i64(max_arg).ok_or_else(|| error(err::NOT_INTEGER))?;
            Spec::Rank(start, end)
        }
    };
    let Some(z) = read_zset(s, key)? else {
        return Ok(Reply::Array(Vec::new()));
    };
    let mut ordered: Vec<(Vec<u8>, f64)> = z.iter().map(|(m, sc)| (m.to_vec(), sc)).collect();
    let (all_first, all_last) = (ordered[0].1, ordered[ordered.len() - 1].1);
    let (ordered_fwd_first, ordered_fwd_last) = (ordered[0].0.clone(), ordered[ordered.len() - 1].0.clone());
    if rev {
        ordered.reverse();
    }
    // The walk of the listpack code: find the first element (in walk order) passing the near
    // bound, skip `offset` elements without looking at them, then emit while the far bound holds.
    type Bound<'b> = &'b dyn Fn(&(Vec<u8>, f64)) -> bool;
    let walk = |near: Bound, far: Bound| {
        if offset < 0 {
            return Vec::new();
        }
        let start = match ordered.iter().position(near) {
            Some(i) if far(&ordered[i]) => i,
            _ => return Vec::new(),
        };
        let skipped = ordered.iter().skip(start).skip(usize::try_from(offset).unwrap_or(usize::MAX));
        let taken = skipped.take_while(|e| far(e)).cloned();
        if limit < 0 {
            taken.collect()
        } else {
            taken.take(usize::try_from(limit).unwrap_or(usize::MAX)).collect()
        }
    };
    let too_far = offset > 0 && offset as u64 >= z.len() as u64;
    let items = match spec {
        Spec::Rank(start, end) => match super::lists::clamp_range(start, end, z.len()) {
            None => Vec::new(),
            Some((a, b)) => ordered[a..=b].to_vec(),
        },
        Spec::Score(r) => {
            let (first, last) = (all_first, all_last);
            if r.is_empty() || too_far || !r.gte_min(last) || !r.lte_max(first) {
                Vec::new()
            } else if rev {
                walk(&|e| r.lte_max(e.1), &|e| r.gte_min(e.1))
            } else {
                walk(&|e| r.gte_min(e.1), &|e| r.lte_max(e.1))
            }
        }
        Spec::Lex(r) => {
            // `zzlIsInLexRange` tests the range against the last and first elements first.
            let (first, last) = (&ordered_fwd_first, &ordered_fwd_last);
            if r.is_empty() || too_far || !r.gte_min(last) || !r.lte_max(first) {
                Vec::new()
            } else if rev {
                walk(&|e| r.lte_max(&e.0), &|e| r.gte_min(&e.0))
            } else {
                walk(&|e| r.gte_min(&e.0), &|e| r.lte_max(&e.0))
            }
        }
    };
    Ok(emit(items, withscores))
}

pub fn zrange(s: &mut Store, a: &mut Args) -> CmdResult {
    zrange_generic(s, a, RangeType::Auto, None)
}
pub fn zrangebyscore(s: &mut Store, a: &mut Args) -> CmdResult {
    zrange_generic(s, a, RangeType::Score, Some(false))
}
pub fn zrevrangebyscore(s: &mut Store, a: &mut Args) -> CmdResult {
    zrange_generic(s, a, RangeType::Score, Some(true))
}
pub fn zrevrange(s: &mut Store, a: &mut Args) -> CmdResult {
    zrange_generic(s, a, RangeType::Rank, Some(true))
}

pub fn zcount(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    let r = parse_score_range(a.next()?, a.next()?)?;
    let Some(z) = read_zset(s, key)? else {
        return Ok(Reply::Integer(0));
    };
    if r.is_empty() {
        return Ok(Reply::Integer(0));
    }
    Ok(Reply::Integer(z.iter().filter(|(_, sc)| r.gte_min(*sc) && r.lte_max(*sc)).count() as i64))
}
