//! OBJECT and MEMORY (object.c): a key's encoding, reference count, idle time and access
//! frequency, and its size in bytes, from the memory model (`redis::memory`) and the eviction
//! clocks (`redis::evict`).

use crate::redis::args::{err, error, Args, CmdResult};
use crate::redis::evict::{idle_ms, lfu_decr, lfu_minutes, lru_clock};
use crate::redis::memory;
use crate::redis::reply::Reply;
use crate::redis::store::Store;
use crate::redis::value::Value;

/// `OBJ_SHARED_REFCOUNT`: the reference count of a shared integer.
const SHARED_REFCOUNT: i64 = i32::MAX as i64;

/// `objectCommandLookup`: a read lookup that counts a hit or miss but does not touch the key.
fn lookup_meta(s: &mut Store, key: &[u8]) -> Option<(memory::Encoding, memory::KeyMeta, bool)> {
    s.expire_if_needed(key);
    let found = s.db.get(key).zip(s.key_meta(key)).map(|(v, m)| {
        let small_int = matches!(v, Value::Str(b) if memory::encoding(v, m.flags) == memory::Encoding::Int
            && crate::redis::num::parse_i64(b).is_some_and(|n| (0..10_000).contains(&n)));
        (memory::encoding(v, m.flags), m, small_int)
    });
    if found.is_some() {
        s.stats.keyspace_hits = s.stats.keyspace_hits.saturating_add(1);
    } else {
        s.stats.keyspace_misses = s.stats.keyspace_misses.saturating_add(1);
    }
    found
}

pub fn object_encoding(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = &a.argv()[2];
    Ok(match lookup_meta(s, key) {
        Some((enc, _, _)) => Reply::bulk(enc.name()),
        None => Reply::Nil,
    })
}

pub fn object_refcount(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = &a.argv()[2];
    let Some((_, _, small_int)) = lookup_meta(s, key) else { return Ok(Reply::Nil) };
    // Small integers share one object unless an LRU/LFU policy with a maxmemory forbids it.
    let policy = s.policy();
    let shared_allowed = s.maxmemory() == 0 || !(policy.is_lfu() || policy.name().ends_with("-lru"));
    Ok(Reply::Integer(if small_int && shared_allowed { SHARED_REFCOUNT } else { 1 }))
}

pub fn object_idletime(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = &a.argv()[2];
    let Some((_, meta, _)) = lookup_meta(s, key) else { return Ok(Reply::Nil) };
    if s.policy().is_lfu() {
        return Err(error("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."));
    }
    Ok(Reply::Integer((idle_ms(meta.lru, lru_clock(s.now_ms)) / 1000) as i64))
}

pub fn object_freq(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = &a.argv()[2];
    let Some((_, meta, _)) = lookup_meta(s, key) else { return Ok(Reply::Nil) };
    if !s.policy().is_lfu() {
        return Err(error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."));
    }
    let decay = s.config_int("lfu-decay-time");
    Ok(Reply::Integer(i64::from(lfu_decr(meta.lru, lfu_minutes(s.now_ms), decay))))
}

pub fn object_help(_s: &mut Store, a: &mut Args) -> CmdResult {
    Ok(super::connection::help_reply(
        &a.argv()[0],
        &[
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ],
    ))
}

/// `MEMORY USAGE key [SAMPLES count]`: options are checked before the key is looked up; the
/// lookup is the dictionary's own (no expiry, no hit counting), as in Redis.
pub fn memory_usage(s: &mut Store, a: &mut Args) -> CmdResult {
    let argv = a.argv();
    let mut samples: usize = 5;
    let mut j = 3;
    while j < argv.len() {
        if argv[j].eq_ignore_ascii_case(b"samples") && j + 1 < argv.len() {
            let n = crate::redis::object::get_long_long(&argv[j + 1], None)?;
            if n < 0 {
                return Err(error(err::SYNTAX));
            }
            samples = if n == 0 { 0 } else { usize::try_from(n).unwrap_or(usize::MAX) };
            j += 2;
        } else {
            return Err(error(err::SYNTAX));
        }
    }
    let key = &argv[2];
    let (Some(v), Some(m)) = (s.db.get(key), s.key_meta(key)) else { return Ok(Reply::Nil) };
    Ok(Reply::Integer(memory::usage(key, v, m.flags, samples) as i64))
}

pub fn memory_help(_s: &mut Store, a: &mut Args) -> CmdResult {
    Ok(super::connection::help_reply(
        &a.argv()[0],
        &[
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    ))
}

/// `MEMORY DOCTOR`: the model has none of the allocator's or replication's issues to report, so
/// it answers as Redis does for a small instance (under 5 MB), or for one without issues (its
/// peak report is left out).
pub fn memory_doctor(s: &mut Store, _a: &mut Args) -> CmdResult {
    let text = if s.used_memory() < 5 * 1024 * 1024 {
        "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
    } else {
        "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n"
    };
    Ok(Reply::bulk(text))
}
