//! Active expiry as Redis 7.0's `activeExpireCycle` (expire.c) does it, emulated on the virtual
//! clock.
//!
//! What Redis does (default `active-expire-effort 1`, `hz 10`):
//! - A **slow cycle** runs from `serverCron` every 100 ms. It loops: sample up to 20 keys that
//!   have a TTL (`ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP`), delete the expired ones, and loop again
//!   while more than 10 % of the sample was expired (`ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE`,
//!   integer percent: `expired*100/sampled > 10`). Every 16 loops it checks its time: past 25 % of
//!   the 100 ms tick (25 000 µs, `ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC`) it stops and sets
//!   `timelimit_exit`.
//! - A **fast cycle** runs from `beforeSleep`, before the event loop waits again: after each
//!   `serverCron` and after each batch of client commands. It has a 1 000 µs budget
//!   (`ACTIVE_EXPIRE_CYCLE_FAST_DURATION`), never starts within 2 000 µs of the previous fast
//!   cycle, and starts at all only if the previous cycle hit its time limit or
//!   `stat_expired_stale_perc < 10` is false. That estimate is a fraction (0–1, a 5 % running
//!   average of expired/sampled) compared with the integer 10, so in 7.0 it never starts a fast
//!   cycle: only a time-limit exit does. The model keeps that comparison as the source has it.
//!
//! The model has no CPU time, so the time budget is spent explicitly: each sampled key costs
//! [`SAMPLE_COST_NS`] and each key deleted [`EXPIRE_COST_NS`] more. Calibrated against Debian's
//! redis-server 7.0.15 on this project's machine (2 cores): 1 M keys expiring at one instant were
//! reclaimed at 0.99 µs of process CPU time per key (`/proc/<pid>/stat` utime+stime over 6 s,
//! against INFO's `expired_keys`; INFO's own `expire_cycle_cpu_milliseconds` counts wall time and
//! read 3.5× higher on the shared machine), so sample + delete = 1 µs; with 30 % of the keys
//! expired, the cycles spent about 0.6 µs per key sampled, which puts a sample near 0.25 µs. A
//! slow cycle over keys that are all expired thus reclaims about 25 000 keys, a fast one about
//! 1 300 (it checks its time only every 16 loops), matching the order of magnitude Redis shows.
//!
//! Where the model differs, and why: Redis walks the expires dict's buckets with a cursor (an
//! order random with respect to insertion); the model draws positions from the store's seeded
//! random stream, or takes every key when there are at most 20. Redis's loops also scan empty
//! buckets (up to 20 per key wanted), so at the end of a mass expiry, in a dict left sparse, a
//! real server samples fewer keys per loop and finishes later than the model (the differential
//! test prints both); its early exit for a dict under 1 % full has no counterpart. The cycle's cost does
//! not block clients: commands at the same virtual time see its deletions at once.
//!
//! Must never read a clock: time comes from the caller, the budget from the cost constants.

use super::store::Store;
use crate::sim::{SimDuration, SimTime};

/// `ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP` (effort 1).
pub const KEYS_PER_LOOP: usize = 20;
/// `ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE` (effort 1): loop again while more than this percent of
/// a sample was expired.
pub const ACCEPTABLE_STALE_PERCENT: u64 = 10;
/// `ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC`: the slow cycle's share of one `serverCron` period.
pub const SLOW_TIME_PERCENT: u64 = 25;
/// `server.hz` (the default `hz 10`).
pub const HZ: u64 = 10;
/// How often `serverCron` runs the slow cycle.
pub const PERIOD: SimDuration = SimDuration::from_millis(1000 / HZ);
/// The slow cycle's budget: `config_cycle_slow_time_perc*1000000/server.hz/100` µs.
pub const SLOW_BUDGET_US: u64 = SLOW_TIME_PERCENT * 1_000_000 / HZ / 100;
/// `CRON_DBS_PER_CALL`: databases one cycle visits (all 16 by default).
pub const CRON_DBS_PER_CALL: usize = 16;
/// `ACTIVE_EXPIRE_CYCLE_FAST_DURATION`: the fast cycle's budget, and half its minimum spacing.
pub const FAST_BUDGET_US: u64 = 1_000;
/// Loops between two looks at the clock (`(iteration & 0xf) == 0`).
pub const TIME_CHECK_EVERY: u32 = 16;
/// Modeled CPU time to sample one key with a TTL (see the module header for the calibration).
pub const SAMPLE_COST_NS: u64 = 250;
/// Modeled CPU time to delete one expired key, on top of sampling it.
pub const EXPIRE_COST_NS: u64 = 750;

/// Which of the two cycles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CycleKind {
    /// From `serverCron`, every [`Store::cron_period`] (budget [`SLOW_BUDGET_US`] at the default hz).
    Slow,
    /// From `beforeSleep`, budget [`FAST_BUDGET_US`].
    Fast,
}

/// What `activeExpireCycle` keeps between calls (its `static` variables and the server stats it
/// updates).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ActiveExpire {
    /// The previous cycle stopped at its time limit.
    pub timelimit_exit: bool,
    /// Store-clock µs when the last fast cycle started.
    pub last_fast_cycle_us: Option<i64>,
    /// `stat_expired_stale_perc`: running estimate (a fraction, 0–1) of expired keys among keys
    /// with a TTL.
    pub stale_fraction: f64,
    /// `stat_expired_time_cap_reached_count`.
    pub time_cap_reached: u64,
    /// `stat_expire_cycle_time_used`, modeled µs.
    pub cycle_time_used_us: u64,
    /// `current_db`: where the next cycle starts its round of the databases.
    pub current_db: usize,
}

/// What one call did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CycleReport {
    /// False when a fast cycle was not due and returned at once.
    pub ran: bool,
    /// Sampling loops (`iteration`).
    pub loops: u32,
    pub sampled: u64,
    pub expired: u64,
    /// Modeled CPU time spent, µs.
    pub cost_us: u64,
    /// Stopped at its time limit.
    pub time_limit_hit: bool,
}

impl Store {
    /// `serverCron`'s period at the configured `hz` (100 ms at the default 10).
    pub fn cron_period(&self) -> SimDuration {
        SimDuration::from_millis(1000 / self.config_int("hz").clamp(1, 500) as u64)
    }

    /// The slow cycle's budget at the configured `hz`: `config_cycle_slow_time_perc*1000000/server.hz/100` µs.
    fn slow_budget_us(&self) -> u64 {
        SLOW_TIME_PERCENT * 1_000_000 / self.config_int("hz").clamp(1, 500) as u64 / 100
    }

    /// One `activeExpireCycle(kind)` at caller time `now`, `after_us` µs into that millisecond
    /// (a fast cycle right after a slow one starts when the slow one's modeled time is spent).
    pub fn active_expire_cycle(&mut self, kind: CycleKind, now: SimTime, after_us: u64) -> CycleReport {
        self.set_clock(now);
        let start_us = self.now_ms.saturating_mul(1000).saturating_add(after_us as i64);
        let mut report = CycleReport::default();
        if kind == CycleKind::Fast {
            // As expire.c has it: the stale estimate is a fraction, compared with 10.
            if !self.active_expire.timelimit_exit && self.active_expire.stale_fraction < ACCEPTABLE_STALE_PERCENT as f64
            {
                return report;
            }
            if self.active_expire.last_fast_cycle_us.is_some_and(|last| start_us < last + 2 * FAST_BUDGET_US as i64) {
                return report;
            }
            self.active_expire.last_fast_cycle_us = Some(start_us);
        }
        report.ran = true;
        self.stats.active_expire_cycles = self.stats.active_expire_cycles.saturating_add(1);
        let budget_ns = match kind {
            CycleKind::Slow => self.slow_budget_us(),
            CycleKind::Fast => FAST_BUDGET_US,
        } * 1000;
        // `dbs_per_call`: CRON_DBS_PER_CALL (16) capped at the number of databases, or every
        // database when the previous cycle ran out of time.
        let dbnum = self.database_count();
        let dbs_per_call = if self.active_expire.timelimit_exit { dbnum } else { CRON_DBS_PER_CALL.min(dbnum) };
        self.active_expire.timelimit_exit = false;
        let prev_db = self.active_db();
        let mut spent_ns: u64 = 0;
        let mut j = 0;
        while j < dbs_per_call && !self.active_expire.timelimit_exit {
            let db = self.active_expire.current_db % dbnum;
            self.active_expire.current_db = self.active_expire.current_db.wrapping_add(1);
            j += 1;
            if self.db_view(db).1.is_empty() {
                continue;
            }
            self.activate_db(db);
            loop {
                let len = self.expires.len();
                if len == 0 {
                    break;
                }
                report.loops += 1;
                let (sampled, expired) = self.sample_and_expire(len.min(KEYS_PER_LOOP));
                report.sampled += sampled as u64;
                report.expired += expired as u64;
                spent_ns += sampled as u64 * SAMPLE_COST_NS + expired as u64 * EXPIRE_COST_NS;
                if report.loops.is_multiple_of(TIME_CHECK_EVERY) && spent_ns > budget_ns {
                    self.active_expire.timelimit_exit = true;
                    self.active_expire.time_cap_reached = self.active_expire.time_cap_reached.saturating_add(1);
                    report.time_limit_hit = true;
                    break;
                }
                if sampled > 0 && (expired * 100 / sampled) as u64 <= ACCEPTABLE_STALE_PERCENT {
                    break;
                }
            }
        }
        self.activate_db(prev_db);
        report.cost_us = spent_ns / 1000;
        let a = &mut self.active_expire;
        a.cycle_time_used_us = a.cycle_time_used_us.saturating_add(report.cost_us);
        let current = if report.sampled > 0 { report.expired as f64 / report.sampled as f64 } else { 0.0 };
        a.stale_fraction = current * 0.05 + a.stale_fraction * 0.95;
        report
    }

    /// One loop's sample: `n` keys with a TTL (all of them when there are at most `n`), deleting
    /// those whose deadline has passed (`now > when`). Returns (sampled, expired).
    fn sample_and_expire(&mut self, n: usize) -> (usize, usize) {
        let now = self.now_ms;
        let mut expired = 0;
        if self.expires.len() <= n {
            let due: Vec<Box<[u8]>> = self.expires.iter().filter(|(_, &w)| now > w).map(|(k, _)| k.clone()).collect();
            let sampled = self.expires.len();
            for k in due {
                self.delete_expired(&k);
                expired += 1;
            }
            return (sampled, expired);
        }
        for _ in 0..n {
            let i = self.rng.index(self.expires.len());
            let Some((key, &when)) = self.expires.get_index(i) else {
                break;
            };
            if now > when {
                let key = key.clone();
                self.delete_expired(&key);
                expired += 1;
            }
        }
        (n, expired)
    }

    /// The slow cycle `serverCron` runs every [`Store::cron_period`], at caller time `now`. Returns how many
    /// keys it deleted. (See [`Store::advance_to`] to run every tick and the fast cycles too.)
    pub fn run_active_expire_cycle(&mut self, now: SimTime) -> usize {
        self.active_expire_cycle(CycleKind::Slow, now, 0).expired as usize
    }

    /// `beforeSleep`'s fast cycle at caller time `now`: what Redis runs before it waits for the
    /// next event. A front end calls it after each batch of commands. Returns the keys deleted.
    pub fn before_sleep(&mut self, now: SimTime) -> usize {
        self.active_expire_cycle(CycleKind::Fast, now, 0).expired as usize
    }

    /// What an idle server does for every [`PERIOD`] boundary in `(last, now]` (at most
    /// `max_cycles` of them): the slow cycle from `serverCron`, then `beforeSleep`'s fast cycle
    /// as the event loop goes back to waiting. Returns the keys deleted.
    pub fn advance_to(&mut self, last: SimTime, now: SimTime, max_cycles: usize) -> usize {
        let period = self.cron_period().as_millis();
        let mut t = (last.as_unix_ms() / period).saturating_add(1).saturating_mul(period);
        let mut deleted = 0;
        let mut cycles = 0;
        while t <= now.as_unix_ms() && cycles < max_cycles {
            let slow = self.active_expire_cycle(CycleKind::Slow, SimTime(t), 0);
            let fast = self.active_expire_cycle(CycleKind::Fast, SimTime(t), slow.cost_us);
            deleted += (slow.expired + fast.expired) as usize;
            t = t.saturating_add(period);
            cycles += 1;
        }
        deleted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{SimRng, TEST_EPOCH};

    /// `n` keys with a TTL, the first `expired` of them already past their deadline at
    /// `TEST_EPOCH + 1 s`, the rest an hour away.
    fn store_with(n: usize, expired: usize) -> (Store, SimTime) {
        let mut s = Store::with_limits(SimRng::new(3), crate::redis::Limits::unlimited());
        for i in 0..n {
            let ttl = if i < expired { 500 } else { 3_600_000 };
            s.execute_str(TEST_EPOCH, &format!("SET k{i} v PX {ttl}"));
        }
        (s, TEST_EPOCH + SimDuration::from_secs(1))
    }

    #[test]
    fn constants_are_redis_7_0_defaults() {
        assert_eq!(KEYS_PER_LOOP, 20);
        assert_eq!(ACCEPTABLE_STALE_PERCENT, 10);
        assert_eq!(SLOW_BUDGET_US, 25_000, "25 % of a 100 ms tick at hz 10");
        assert_eq!(FAST_BUDGET_US, 1_000);
        assert_eq!(PERIOD, SimDuration::from_millis(100));
    }

    #[test]
    fn a_slow_cycle_samples_20_keys_and_stops_when_at_most_10_percent_were_stale() {
        // 1 % expired: a sample of 20 almost never holds 3 expired keys, so one loop and done.
        let (mut s, later) = store_with(10_000, 100);
        let r = s.active_expire_cycle(CycleKind::Slow, later, 0);
        assert_eq!((r.loops, r.sampled), (1, 20), "{r:?}");
        assert!(!r.time_limit_hit);
        // With 3 or more of 20 expired (15 %) it loops again; the cycle ends on a loop that found
        // at most 2 (10 %).
        let (mut s, later) = store_with(1_000, 500);
        let r = s.active_expire_cycle(CycleKind::Slow, later, 0);
        assert!(r.loops > 1, "{r:?}");
        assert_eq!(r.sampled, 20 * u64::from(r.loops));
        assert!(r.expired > 0 && r.expired < 500, "{r:?}");
    }

    #[test]
    fn a_slow_cycle_stops_at_its_25_ms_budget_checked_every_16_loops() {
        // Every key expired: each loop deletes 20 keys at 1 µs each = 20 µs, so the budget of
        // 25 000 µs is passed during loop 1 251 and seen at the next multiple of 16, loop 1 264.
        let (mut s, later) = store_with(60_000, 60_000);
        let r = s.active_expire_cycle(CycleKind::Slow, later, 0);
        assert!(r.time_limit_hit, "{r:?}");
        assert_eq!(r.loops, 1_264);
        assert_eq!(r.expired, 1_264 * 20);
        assert_eq!(r.cost_us, 25_280);
        assert_eq!(s.dbsize(), 60_000 - 25_280);
        assert_eq!(s.active_expire.time_cap_reached, 1);
        assert!(s.active_expire.timelimit_exit);
    }

    #[test]
    fn the_fast_cycle_runs_only_after_a_time_limit_exit_for_at_most_1_ms_and_not_within_2_ms() {
        let (mut s, later) = store_with(60_000, 60_000);
        assert!(!s.active_expire_cycle(CycleKind::Fast, later, 0).ran, "no time-limit exit yet: no fast cycle");
        let slow = s.active_expire_cycle(CycleKind::Slow, later, 0);
        assert!(slow.time_limit_hit);
        let fast = s.active_expire_cycle(CycleKind::Fast, later, slow.cost_us);
        assert!(fast.ran && fast.time_limit_hit, "{fast:?}");
        // 1 000 µs is passed in loop 51 and seen at loop 64: 1 280 keys.
        assert_eq!((fast.loops, fast.expired), (64, 1_280));
        let again = s.active_expire_cycle(CycleKind::Fast, later, slow.cost_us + 1_999);
        assert!(!again.ran, "within 2 000 µs of the last fast cycle");
        let later_fast = s.active_expire_cycle(CycleKind::Fast, later, slow.cost_us + 2_000);
        assert!(later_fast.ran);
    }

    #[test]
    fn a_high_stale_estimate_alone_never_starts_a_fast_cycle_as_in_redis_7_0() {
        // Half the keys expired: slow cycles loop until their sample is clean, without reaching
        // the time limit; the stale estimate climbs towards 0.5 but stays under the integer 10
        // it is compared with, so no fast cycle runs.
        let (mut s, mut t) = store_with(20_000, 2_000);
        for _ in 0..20 {
            let r = s.active_expire_cycle(CycleKind::Slow, t, 0);
            assert!(!r.time_limit_hit);
            assert!(!s.active_expire_cycle(CycleKind::Fast, t, r.cost_us).ran);
            t += PERIOD;
        }
        assert!(s.active_expire.stale_fraction > 0.0 && s.active_expire.stale_fraction < 1.0);
    }

    #[test]
    fn a_key_expires_only_once_the_clock_is_past_its_deadline() {
        // `keyIsExpired` and `activeExpireCycleTryExpire`: `now > when`.
        let mut s = Store::new(SimRng::new(1));
        s.execute_str(TEST_EPOCH, "SET k v PX 100");
        let at = TEST_EPOCH + SimDuration::from_millis(100);
        assert_eq!(s.run_active_expire_cycle(at), 0);
        assert_eq!(s.execute_str(at, "GET k"), crate::redis::Reply::bulk("v"));
        assert_eq!(s.execute_str(at, "PTTL k"), crate::redis::Reply::Integer(0));
        let after = at + SimDuration::from_millis(1);
        assert_eq!(s.execute_str(after, "GET k"), crate::redis::Reply::Nil);
    }

    #[test]
    fn an_idle_server_reclaims_a_mass_expiry_at_slow_plus_fast_cycle_speed() {
        // 100 000 keys expire at once; each tick's slow cycle (25 280 keys) plus the fast cycle
        // after it (1 280) reclaim 26 560 keys per 100 ms.
        let (mut s, later) = store_with(100_000, 100_000);
        let t0 = SimTime((later.as_unix_ms() / 100) * 100);
        let deleted = s.advance_to(t0, t0 + SimDuration::from_millis(300), 10);
        assert_eq!(deleted, 3 * 26_560);
        assert_eq!(s.dbsize(), 100_000 - 3 * 26_560);
        let all = s.advance_to(t0 + SimDuration::from_millis(300), t0 + SimDuration::from_millis(500), 10);
        assert_eq!(all, 100_000 - 3 * 26_560);
        assert_eq!(s.dbsize(), 0);
    }
}
