//! maxmemory and eviction (evict.c of Redis 7.0.15): the eight policies, the LRU clock, the LFU
//! logarithmic counter with its decay, the 16-entry eviction pool fed by `maxmemory-samples`
//! draws, and `performEvictions` as `processCommand` runs it before each command.
//!
//! Differences from the real server, on purpose: key samples are independent uniform draws from
//! the keyspace (Redis's `dictGetSomeKeys` walks a few consecutive hash buckets, which holds keys
//! in hash order: the same thing statistically); there is no eviction time limit (Redis stops
//! after ~500 µs of wall time and continues from a timer; the model frees everything at once);
//! lazy freeing is not modeled.
//!
//! Deterministic: every draw (key samples, random policies, `LFULogIncr`'s `rand()`) comes from
//! the store's `SimRng` child `"evict"`; times come from the store clock. Never a wall clock.

use std::collections::VecDeque;

use super::memory::{self, KeyMeta};
use super::store::Store;
use crate::sim::SimRng;

/// `maxmemory_policy_enum` in config.c order: CONFIG's names and error text.
pub const POLICY_NAMES: [&str; 8] = [
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
];

/// A `maxmemory-policy`, in [`POLICY_NAMES`] order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
    AllkeysLru,
    AllkeysLfu,
    AllkeysRandom,
    NoEviction,
}

impl Policy {
    pub const ALL: [Policy; 8] = [
        Policy::VolatileLru,
        Policy::VolatileLfu,
        Policy::VolatileRandom,
        Policy::VolatileTtl,
        Policy::AllkeysLru,
        Policy::AllkeysLfu,
        Policy::AllkeysRandom,
        Policy::NoEviction,
    ];
    pub fn from_index(i: usize) -> Policy {
        Policy::ALL.get(i).copied().unwrap_or(Policy::NoEviction)
    }
    pub fn name(self) -> &'static str {
        POLICY_NAMES[Policy::ALL.iter().position(|&p| p == self).unwrap_or(7)]
    }
    /// `MAXMEMORY_FLAG_LFU`: access updates a frequency counter instead of a clock.
    pub fn is_lfu(self) -> bool {
        matches!(self, Policy::VolatileLfu | Policy::AllkeysLfu)
    }
    fn is_lru(self) -> bool {
        matches!(self, Policy::VolatileLru | Policy::AllkeysLru)
    }
    /// `MAXMEMORY_FLAG_ALLKEYS`: candidates are every key, not only those with a deadline.
    fn all_keys(self) -> bool {
        matches!(self, Policy::AllkeysLru | Policy::AllkeysLfu | Policy::AllkeysRandom)
    }
    /// Whether the eviction pool serves this policy (LRU, LFU, TTL); the rest draw at random.
    fn uses_pool(self) -> bool {
        self.is_lru() || self.is_lfu() || self == Policy::VolatileTtl
    }
}

/// `LRU_CLOCK_MAX`: the LRU field holds 24 bits of seconds.
pub const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;
/// `LFU_INIT_VAL`: a new key's counter.
pub const LFU_INIT_VAL: u8 = 5;
/// `EVPOOL_SIZE`.
pub const EVPOOL_SIZE: usize = 16;
/// How many evicted keys the page's "recently evicted" list keeps.
pub const RECENT_EVICTED: usize = 32;

/// `getLRUClock` at store time `now_ms` (`LRU_CLOCK_RESOLUTION` 1000 ms).
pub fn lru_clock(now_ms: i64) -> u32 {
    ((now_ms.max(0) / 1000) as u64 & u64::from(LRU_CLOCK_MAX)) as u32
}

/// `estimateObjectIdleTime`, in ms.
pub fn idle_ms(lru: u32, clock: u32) -> u64 {
    if clock >= lru {
        u64::from(clock - lru) * 1000
    } else {
        (u64::from(clock) + u64::from(LRU_CLOCK_MAX - lru)) * 1000
    }
}

/// `LFUGetTimeInMinutes`: 16 bits of Unix minutes.
pub fn lfu_minutes(now_ms: i64) -> u32 {
    ((now_ms.max(0) / 1000 / 60) & 65535) as u32
}

/// `LFUTimeElapsed`: minutes since `ldt`, wrapping once.
fn lfu_elapsed(ldt: u32, now_min: u32) -> u32 {
    if now_min >= ldt {
        now_min - ldt
    } else {
        65535 - ldt + now_min
    }
}

/// `LFUDecrAndReturn`: the counter after one decrement per `decay_time` minutes elapsed.
pub fn lfu_decr(lru: u32, now_min: u32, decay_time: i64) -> u8 {
    let ldt = lru >> 8;
    let counter = (lru & 255) as u64;
    let periods = if decay_time > 0 { u64::from(lfu_elapsed(ldt, now_min)) / decay_time as u64 } else { 0 };
    if periods > 0 {
        counter.saturating_sub(periods) as u8
    } else {
        counter as u8
    }
}

/// `LFULogIncr` with `r` the uniform draw in [0, 1] Redis takes from `rand()/RAND_MAX`.
pub fn lfu_log_incr(counter: u8, log_factor: i64, r: f64) -> u8 {
    if counter == 255 {
        return 255;
    }
    let baseval = (f64::from(counter) - f64::from(LFU_INIT_VAL)).max(0.0);
    let p = 1.0 / (baseval * log_factor as f64 + 1.0);
    if r < p {
        counter + 1
    } else {
        counter
    }
}

/// One pool slot: a candidate key and its score (higher is evicted first).
#[derive(Clone, Debug)]
struct PoolEntry {
    idle: u64,
    key: Box<[u8]>,
    db: usize,
}

/// What eviction keeps between commands: the pool, the random policies' database cursor, its
/// random stream, and what the page shows.
#[derive(Clone, Debug, Default)]
pub struct Eviction {
    /// Ascending by `idle`; at most [`EVPOOL_SIZE`].
    pool: Vec<PoolEntry>,
    /// `next_db` of the random policies.
    next_db: usize,
    rng: Option<SimRng>,
    /// The last evicted keys, newest last; at most [`RECENT_EVICTED`].
    pub recent: VecDeque<EvictedKey>,
    /// The most `used_memory` has been (INFO's `used_memory_peak`).
    pub peak: u64,
}

/// One key eviction removed, for the page (the memory panel and the key browser).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvictedKey {
    pub db: usize,
    pub key: Box<[u8]>,
    /// The `maxmemory-policy` that chose it.
    pub policy: Policy,
    /// Store time of the eviction (unix ms).
    pub at_ms: i64,
}

/// What `performEvictions` concluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvictResult {
    /// Under the limit (or no limit), possibly after evicting.
    Ok,
    /// Over the limit and nothing more can be evicted (or `noeviction`).
    Fail,
}

impl Eviction {
    /// `evictionPoolPopulate`'s insertion: keeps the pool sorted ascending and at most 16 long,
    /// dropping the best-kept (lowest score) entry when full.
    fn insert(&mut self, e: PoolEntry) {
        let k = self.pool.iter().position(|p| p.idle >= e.idle).unwrap_or(self.pool.len());
        if k == 0 && self.pool.len() == EVPOOL_SIZE {
            return;
        }
        if self.pool.len() < EVPOOL_SIZE {
            self.pool.insert(k, e);
        } else {
            // No free space on the right: insert at k-1, shifting the left part out.
            self.pool.remove(0);
            self.pool.insert(k - 1, e);
        }
    }
}

impl Store {
    /// The current `maxmemory-policy`.
    pub fn policy(&self) -> Policy {
        match self.config_value("maxmemory-policy") {
            super::config::ConfigValue::Enum(i) => Policy::from_index(i),
            _ => Policy::NoEviction,
        }
    }

    /// `maxmemory` in bytes (0: no limit).
    pub fn maxmemory(&self) -> u64 {
        match self.config_value("maxmemory") {
            super::config::ConfigValue::Memory(m) => m,
            _ => 0,
        }
    }

    /// The modeled `used_memory`: an empty server's bytes plus every database's keys, values,
    /// bucket arrays and expires entries (see `redis::memory`).
    pub fn used_memory(&self) -> u64 {
        let mut total = memory::BASELINE_USED_MEMORY;
        for i in 0..self.database_count() {
            let (keys, expires) = self.db_view(i);
            total += keys.alloc_total() + memory::dict_buckets_alloc(keys.len()) as u64;
            total +=
                expires.len() as u64 * memory::je_size(24) as u64 + memory::dict_buckets_alloc(expires.len()) as u64;
        }
        total
    }

    /// Roughly the heap bytes this store holds, for weighing a clone of it (a rewind snapshot):
    /// the modeled dataset ([`Store::used_memory`] less an empty server's baseline, which is
    /// Redis's and not this model's) plus the struct itself.
    pub fn heap_bytes(&self) -> usize {
        let dataset = self.used_memory().saturating_sub(memory::BASELINE_USED_MEMORY);
        std::mem::size_of::<Store>().saturating_add(usize::try_from(dataset).unwrap_or(usize::MAX))
    }

    /// Keys evicted most recently, newest last; at most [`RECENT_EVICTED`].
    pub fn recently_evicted(&self) -> impl DoubleEndedIterator<Item = &EvictedKey> {
        self.evict.recent.iter()
    }

    fn evict_rng(&mut self) -> &mut SimRng {
        let seed = &self.rng;
        self.evict.rng.get_or_insert_with(|| seed.child("evict"))
    }

    /// The LRU/LFU field a new object gets (`createObject`).
    pub(crate) fn fresh_lru(&self) -> u32 {
        if self.policy().is_lfu() {
            (lfu_minutes(self.now_ms) << 8) | u32::from(LFU_INIT_VAL)
        } else {
            lru_clock(self.now_ms)
        }
    }

    /// `lookupKey`'s touch: the LRU clock, or `updateLFU` (decay, then a logarithmic increment).
    pub(crate) fn touch_key(&mut self, key: &[u8]) {
        let Some(meta) = self.db.meta(key) else { return };
        let lru = if self.policy().is_lfu() {
            let now_min = lfu_minutes(self.now_ms);
            let counter = lfu_decr(meta.lru, now_min, self.config_int("lfu-decay-time"));
            let factor = self.config_int("lfu-log-factor");
            let r = if counter == 255 { 1.0 } else { self.evict_rng().unit_f64() };
            (now_min << 8) | u32::from(lfu_log_incr(counter, factor, r))
        } else {
            lru_clock(self.now_ms)
        };
        self.db.set_lru(key, lru);
    }

    /// The key's sticky meta (LRU/LFU field, bytes, encoding flags) in the current database.
    pub(crate) fn key_meta(&self, key: &[u8]) -> Option<KeyMeta> {
        self.db.meta(key)
    }

    /// `evictionPoolPopulate` for database `db`.
    fn populate_pool(&mut self, db: usize, policy: Policy) {
        let samples = usize::try_from(self.config_int("maxmemory-samples")).unwrap_or(5);
        let now_min = lfu_minutes(self.now_ms);
        let clock = lru_clock(self.now_ms);
        let decay = self.config_int("lfu-decay-time");
        let n = {
            let (keys, expires) = self.db_view(db);
            if policy.all_keys() {
                keys.len()
            } else {
                expires.len()
            }
        };
        let draws = samples.min(n);
        let mut picked: Vec<usize> = Vec::with_capacity(draws);
        while picked.len() < draws {
            let i = self.evict_rng().index(n);
            if !picked.contains(&i) {
                picked.push(i);
            }
        }
        let mut found: Vec<PoolEntry> = Vec::with_capacity(draws);
        {
            let (keys, expires) = self.db_view(db);
            for i in picked {
                let (key, meta, deadline) = if policy.all_keys() {
                    let Some((k, _)) = keys.get_index(i) else { continue };
                    (Box::<[u8]>::from(k), keys.meta_at(i), expires.get(k).copied())
                } else {
                    let Some((k, &when)) = expires.get_index(i) else { continue };
                    (k.clone(), keys.meta(k), Some(when))
                };
                let lru = meta.map_or(0, |m| m.lru);
                let idle = if policy.is_lru() {
                    idle_ms(lru, clock)
                } else if policy.is_lfu() {
                    255 - u64::from(lfu_decr(lru, now_min, decay))
                } else {
                    u64::MAX - deadline.unwrap_or(0) as u64
                };
                found.push(PoolEntry { idle, key, db });
            }
        }
        for e in found {
            self.evict.insert(e);
        }
    }

    /// `performEvictions`: frees keys by the policy until `used_memory` is under `maxmemory`.
    pub(crate) fn perform_evictions(&mut self) -> EvictResult {
        let max = self.maxmemory();
        if max == 0 {
            return EvictResult::Ok;
        }
        let used = self.used_memory();
        if used <= max {
            return EvictResult::Ok;
        }
        let policy = self.policy();
        if policy == Policy::NoEviction {
            return EvictResult::Fail;
        }
        let to_free = used - max;
        let mut freed = 0u64;
        let home = self.active_db();
        let dbs = self.database_count();
        let mut result = EvictResult::Ok;
        while freed < to_free {
            let best: Option<(usize, Box<[u8]>)> = if policy.uses_pool() {
                loop {
                    let mut total = 0;
                    for db in 0..dbs {
                        let (keys, expires) = self.db_view(db);
                        let n = if policy.all_keys() { keys.len() } else { expires.len() };
                        if n > 0 {
                            self.populate_pool(db, policy);
                            total += n;
                        }
                    }
                    if total == 0 {
                        break None;
                    }
                    // From the best candidate down; ghosts (keys gone since) are dropped.
                    let mut chosen = None;
                    while let Some(e) = self.evict.pool.pop() {
                        let (keys, expires) = self.db_view(e.db);
                        let present =
                            if policy.all_keys() { keys.contains_key(&e.key) } else { expires.contains_key(&e.key) };
                        if present {
                            chosen = Some((e.db, e.key));
                            break;
                        }
                    }
                    if chosen.is_some() {
                        break chosen;
                    }
                }
            } else {
                let mut pick = None;
                for _ in 0..dbs {
                    self.evict.next_db = self.evict.next_db.wrapping_add(1);
                    let j = self.evict.next_db % dbs;
                    let n = {
                        let (keys, expires) = self.db_view(j);
                        if policy.all_keys() {
                            keys.len()
                        } else {
                            expires.len()
                        }
                    };
                    if n > 0 {
                        let i = self.evict_rng().index(n);
                        let (keys, expires) = self.db_view(j);
                        let key = if policy.all_keys() {
                            keys.get_index(i).map(|(k, _)| Box::<[u8]>::from(k))
                        } else {
                            expires.get_index(i).map(|(k, _)| k.clone())
                        };
                        pick = key.map(|k| (j, k));
                        break;
                    }
                }
                pick
            };
            let Some((db, key)) = best else {
                result = EvictResult::Fail;
                break;
            };
            let before = self.used_memory();
            self.activate_db(db);
            self.remove_key(&key);
            self.touch_watched_key(db, &key);
            let after = self.used_memory();
            freed += before.saturating_sub(after);
            self.stats.evicted_keys = self.stats.evicted_keys.saturating_add(1);
            if self.evict.recent.len() == RECENT_EVICTED {
                self.evict.recent.pop_front();
            }
            let (policy, at_ms) = (self.policy(), self.now_ms);
            self.evict.recent.push_back(EvictedKey { db, key, policy, at_ms });
        }
        self.activate_db(home);
        result
    }

    /// Records the peak after a command (INFO `used_memory_peak`).
    pub(crate) fn note_memory_peak(&mut self) {
        let used = self.used_memory();
        if used > self.evict.peak {
            self.evict.peak = used;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lfu_counter_grows_logarithmically_and_decays_per_minute() {
        // A counter at the initial value always grows; at 5 + 10 with factor 10 it needs r < 1/101.
        assert_eq!(lfu_log_incr(LFU_INIT_VAL, 10, 0.99), 6);
        assert_eq!(lfu_log_incr(15, 10, 0.5), 15);
        assert_eq!(lfu_log_incr(15, 10, 0.009), 16);
        assert_eq!(lfu_log_incr(255, 0, 0.0), 255);
        // Decay: one per elapsed `decay_time` minutes, never below 0; 0 disables it.
        let lru = (100 << 8) | 20;
        assert_eq!(lfu_decr(lru, 100, 1), 20);
        assert_eq!(lfu_decr(lru, 107, 1), 13);
        assert_eq!(lfu_decr(lru, 107, 2), 17);
        assert_eq!(lfu_decr(lru, 200, 1), 0);
        assert_eq!(lfu_decr(lru, 200, 0), 20);
        // Wrapping minutes count once around.
        assert_eq!(lfu_decr((65530 << 8) | 20, 4, 1), 11);
    }

    #[test]
    fn lru_idle_time_wraps_like_estimate_object_idle_time() {
        assert_eq!(idle_ms(10, 15), 5000);
        assert_eq!(idle_ms(LRU_CLOCK_MAX - 1, 2), 3000);
        assert_eq!(lru_clock(1_700_000_000_123), (1_700_000_000u64 & u64::from(LRU_CLOCK_MAX)) as u32);
    }

    #[test]
    fn pool_keeps_the_sixteen_best_candidates_in_order() {
        let mut ev = Eviction::default();
        for i in 0..40u64 {
            let idle = (i * 7919) % 101;
            ev.insert(PoolEntry { idle, key: i.to_string().into_bytes().into(), db: 0 });
        }
        let idles: Vec<u64> = ev.pool.iter().map(|e| e.idle).collect();
        let mut all: Vec<u64> = (0..40u64).map(|i| (i * 7919) % 101).collect();
        all.sort();
        assert_eq!(idles, all[all.len() - EVPOOL_SIZE..].to_vec());
    }
}
