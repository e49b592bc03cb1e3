//! Keyspace commands (db.c, expire.c): DEL, EXISTS, expiry, TYPE, RENAME, COPY, KEYS, SCAN…

use crate::redis::args::{err, error, is, Args, CmdResult};
use crate::redis::reply::Reply;
use crate::redis::store::Store;
use crate::redis::{glob, num};

pub fn del(s: &mut Store, a: &mut Args) -> CmdResult {
    let mut n = 0;
    for key in a.rest() {
        s.expire_if_needed(key);
        if s.remove_key(key) {
            s.signal_modified(key);
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
    s.signal_modified(key);
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
    // `(ttl+500)/1000` overflows i64 for deadlines near i64::MAX; a real server (gcc -O2) replies
    // the mathematically exact quotient there, so compute it wide.
    Ok(Reply::Integer(if ms { ttl } else { ((i128::from(ttl) + 500) / 1000) as i64 }))
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
    let removed = s.persist(key);
    if removed {
        s.signal_modified(key);
    }
    Ok(Reply::Integer(i64::from(removed)))
}

pub fn type_(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    s.expire_if_needed(key);
    Ok(Reply::Status(s.db.get(key).map_or("none", |v| v.key_type().name()).to_string()))
}

pub fn unlink(s: &mut Store, a: &mut Args) -> CmdResult {
    del(s, a)
}

fn rename_generic(s: &mut Store, a: &mut Args, nx: bool) -> CmdResult {
    let src = a.next()?;
    let dst = a.next()?;
    if !s.exists(src) {
        return Err(error(err::NO_SUCH_KEY));
    }
    if src == dst {
        return Ok(if nx { Reply::Integer(0) } else { Reply::ok() });
    }
    let expire = s.expire_of(src);
    if s.exists(dst) {
        if nx {
            return Ok(Reply::Integer(0));
        }
        s.remove_key(dst);
    }
    let (value, meta) = s.db.swap_remove_meta(src).expect("checked above");
    s.expires.swap_remove(src);
    s.signal_modified(src);
    s.set_key(dst, value, false);
    // The same object under its new name: its encoding and LRU/LFU field go with it.
    s.db.adopt(dst, meta);
    if let Some(when) = expire {
        s.set_expire(dst, when);
    }
    Ok(if nx { Reply::Integer(1) } else { Reply::ok() })
}

pub fn rename(s: &mut Store, a: &mut Args) -> CmdResult {
    rename_generic(s, a, false)
}
pub fn renamenx(s: &mut Store, a: &mut Args) -> CmdResult {
    rename_generic(s, a, true)
}

pub fn keys(s: &mut Store, a: &mut Args) -> CmdResult {
    let pattern = a.next()?;
    let all = pattern == b"*";
    let now = s.now_ms;
    let out: Vec<Reply> =
        s.db.keys()
            .filter(|k| all || glob::matches(pattern, k, false))
            .filter(|k| !matches!(s.expires.get(&***k), Some(&w) if now > w))
            .map(|k| Reply::bulk(k.to_vec()))
            .collect();
    Ok(Reply::Array(out))
}

/// The position of a key in SCAN's iteration order: a stable 64-bit hash of its bytes.
///
/// Redis walks its hash table's buckets in reverse-binary order so that a cursor survives
/// rehashing. The model's cursor is simpler with the same guarantee: keys are visited in order of
/// this hash, a cursor is "the next hash to visit", and so every key present for a whole iteration
/// is returned (exactly once, unless it was renamed) whatever is added or deleted meanwhile.
pub fn scan_hash(key: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    // SplitMix finaliser so similar keys spread over the cursor space.
    h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    h ^ (h >> 31)
}

/// `parseScanCursorOrReply`: `strtoul` semantics (optional sign, a negative wraps, empty is 0),
/// no leading space, nothing left over, no overflow.
fn parse_cursor(arg: &[u8]) -> Result<u64, Reply> {
    let invalid = || error("ERR invalid cursor");
    let arg = crate::redis::args::c_str(arg);
    if arg.first().is_some_and(|c| c.is_ascii_whitespace() || *c == 0x0b) {
        return Err(invalid());
    }
    if arg.is_empty() {
        return Ok(0);
    }
    let (neg, digits) = match arg[0] {
        b'-' => (true, &arg[1..]),
        b'+' => (false, &arg[1..]),
        _ => (false, arg),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(invalid());
    }
    let mut v: u64 = 0;
    for d in digits {
        v = v.checked_mul(10).and_then(|v| v.checked_add(u64::from(d - b'0'))).ok_or_else(invalid)?;
    }
    Ok(if neg { v.wrapping_neg() } else { v })
}

pub fn scan(s: &mut Store, a: &mut Args) -> CmdResult {
    let cursor = parse_cursor(a.next()?)?;
    let mut count: i64 = 10;
    let mut pattern: Option<&[u8]> = None;
    let mut type_name: Option<&[u8]> = None;
    while let Some(opt) = a.peek() {
        a.next()?;
        let has_value = a.peek().is_some();
        if is(opt, "count") && has_value {
            count = a.next_i64()?;
            if count < 1 {
                return Err(error(err::SYNTAX));
            }
        } else if is(opt, "match") && has_value {
            let p = a.next()?;
            pattern = if p == b"*" { None } else { Some(p) };
        } else if is(opt, "type") && has_value {
            type_name = Some(a.next()?);
        } else {
            return Err(error(err::SYNTAX));
        }
    }
    // The `count` keys with the smallest hashes at or after the cursor (all keys sharing the last
    // hash included, so a collision cannot split across pages). O(n) per call: a selection, not
    // a sort, and only the chosen keys are copied.
    let mut cands: Vec<(u64, usize)> =
        s.db.keys().enumerate().map(|(i, k)| (scan_hash(k), i)).filter(|(h, _)| *h >= cursor).collect();
    let take = usize::try_from(count).unwrap_or(usize::MAX).min(cands.len());
    let next = if take > 0 && take < cands.len() {
        cands.select_nth_unstable_by_key(take - 1, |c| c.0);
        let last_hash = cands[take - 1].0;
        cands.retain(|c| c.0 <= last_hash);
        last_hash.wrapping_add(1)
    } else {
        0
    };
    let mut page: Vec<(u64, Box<[u8]>)> =
        cands.iter().filter_map(|&(h, i)| s.db.get_index(i).map(|(k, _)| (h, Box::from(k)))).collect();
    page.sort_unstable();
    let mut keys = Vec::new();
    for (_, k) in page {
        if pattern.is_some_and(|p| !glob::matches(p, &k, false)) {
            continue;
        }
        if s.expire_if_needed(&k) {
            continue;
        }
        if let Some(t) = type_name {
            let kt = s.db.get(&k).map(|v| v.key_type().name()).unwrap_or("none");
            if !crate::redis::args::c_str(t).eq_ignore_ascii_case(kt.as_bytes()) {
                continue;
            }
        }
        keys.push(Reply::bulk(k.into_vec()));
    }
    Ok(Reply::Array(vec![Reply::bulk(next.to_string()), Reply::Array(keys)]))
}

pub fn randomkey(s: &mut Store, _a: &mut Args) -> CmdResult {
    loop {
        let Some(k) = s.random_key_raw() else {
            return Ok(Reply::Nil);
        };
        if !s.expire_if_needed(&k) {
            return Ok(Reply::bulk(k.into_vec()));
        }
    }
}

pub fn dbsize(s: &mut Store, _a: &mut Args) -> CmdResult {
    Ok(Reply::Integer(s.db.len() as i64))
}

#[cfg(test)]
mod tests {
    use crate::redis::{Reply, Store};
    use crate::sim::{SimRng, TEST_EPOCH};
    use std::collections::BTreeSet;

    #[test]
    fn scan_returns_every_key_present_throughout_despite_churn() {
        let mut s = Store::new(SimRng::new(5));
        let t = TEST_EPOCH;
        for i in 0..300 {
            s.execute_str(t, &format!("SET stable:{i} x"));
        }
        let mut seen = BTreeSet::new();
        let mut cursor = "0".to_string();
        let mut calls: u32 = 0;
        loop {
            calls += 1;
            let Reply::Array(parts) = s.execute_str(t, &format!("SCAN {cursor} COUNT 7")) else { panic!() };
            let (Reply::Bulk(c), Reply::Array(keys)) = (&parts[0], &parts[1]) else { panic!() };
            for k in keys {
                if let Reply::Bulk(k) = k {
                    seen.insert(String::from_utf8(k.clone()).unwrap());
                }
            }
            // Churn between calls: new keys come and go.
            s.execute_str(t, &format!("SET churn:{calls} y"));
            s.execute_str(t, &format!("DEL churn:{}", calls.saturating_sub(3)));
            cursor = String::from_utf8(c.clone()).unwrap();
            if cursor == "0" {
                break;
            }
            assert!(calls < 1000, "SCAN must terminate");
        }
        for i in 0..300 {
            assert!(seen.contains(&format!("stable:{i}")), "stable:{i} missing");
        }
        assert!(calls >= 300 / 7, "COUNT bounds each page");
    }
}
