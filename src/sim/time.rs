//! Virtual time: integer milliseconds on the Unix epoch.
//!
//! Every model measures time with these two newtypes and nothing else. A run starts at a chosen
//! epoch (the browser passes the page's current time, tests a fixed one), so a modeled
//! `EXPIREAT 1700000000` means what it means in Redis. This module must never read a wall clock.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// An instant of virtual time: milliseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SimTime(pub u64);

/// A span of virtual time in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SimDuration(pub u64);

/// The fixed epoch tests start from: 2023-11-14T22:13:20Z (Unix 1_700_000_000 s).
pub const TEST_EPOCH: SimTime = SimTime(1_700_000_000_000);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    pub const MAX: SimTime = SimTime(u64::MAX);

    pub const fn from_unix_ms(ms: u64) -> Self {
        SimTime(ms)
    }
    pub const fn from_unix_secs(s: u64) -> Self {
        SimTime(s.saturating_mul(1000))
    }
    pub const fn as_unix_ms(self) -> u64 {
        self.0
    }
    pub const fn as_unix_secs(self) -> u64 {
        self.0 / 1000
    }
    /// Time elapsed since `earlier`, or zero if `earlier` is later (never underflows).
    pub const fn saturating_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
    pub const fn saturating_add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
    pub const fn checked_add(self, d: SimDuration) -> Option<SimTime> {
        match self.0.checked_add(d.0) {
            Some(v) => Some(SimTime(v)),
            None => None,
        }
    }
}

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);
    pub const MAX: SimDuration = SimDuration(u64::MAX);

    pub const fn from_millis(ms: u64) -> Self {
        SimDuration(ms)
    }
    pub const fn from_secs(s: u64) -> Self {
        SimDuration(s.saturating_mul(1000))
    }
    pub const fn as_millis(self) -> u64 {
        self.0
    }
    /// Whole seconds, rounded down.
    pub const fn as_secs(self) -> u64 {
        self.0 / 1000
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }
    pub const fn saturating_add(self, o: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(o.0))
    }
    pub const fn saturating_sub(self, o: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_sub(o.0))
    }
    pub const fn saturating_mul(self, k: u64) -> SimDuration {
        SimDuration(self.0.saturating_mul(k))
    }
    /// Rounds a non-negative float number of milliseconds to a duration (NaN and negatives are 0,
    /// huge values saturate), so distributions can be sampled in f64 and scheduled in integers.
    pub fn from_millis_f64(ms: f64) -> SimDuration {
        if ms.is_nan() || ms <= 0.0 {
            SimDuration(0)
        } else if ms >= u64::MAX as f64 {
            SimDuration(u64::MAX)
        } else {
            SimDuration(libm::round(ms) as u64)
        }
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    /// Saturates at `SimTime::MAX`: a timer "at the end of time" never fires rather than wrapping.
    fn add(self, d: SimDuration) -> SimTime {
        self.saturating_add(d)
    }
}
impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}
impl Sub<SimTime> for SimTime {
    type Output = SimDuration;
    /// Saturates at zero.
    fn sub(self, earlier: SimTime) -> SimDuration {
        self.saturating_since(earlier)
    }
}
impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, o: SimDuration) -> SimDuration {
        self.saturating_add(o)
    }
}
impl AddAssign for SimDuration {
    fn add_assign(&mut self, o: SimDuration) {
        *self = *self + o;
    }
}
impl Sub for SimDuration {
    type Output = SimDuration;
    fn sub(self, o: SimDuration) -> SimDuration {
        self.saturating_sub(o)
    }
}

impl SimTime {
    /// The instant as UTC, `2023-11-14 22:13:20.000` (proleptic Gregorian; for the UI's clock).
    pub fn utc_string(self) -> String {
        let ms = self.0 % 1000;
        let secs = self.0 / 1000;
        let (days, rem) = (secs / 86_400, secs % 86_400);
        let (y, m, d) = civil_from_days(days);
        format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{ms:03}", rem / 3600, rem % 3600 / 60, rem % 60)
    }
}

/// Howard Hinnant's `civil_from_days` for days since 1970-01-01 (non-negative only).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

impl SimDuration {
    /// A run clock, `h:mm:ss.mmm` (hours grow past 24 rather than wrapping into days).
    pub fn clock_string(self) -> String {
        let s = self.0 / 1000;
        format!("{}:{:02}:{:02}.{:03}", s / 3600, s % 3600 / 60, s % 60, self.0 % 1000)
    }
}

impl fmt::Display for SimDuration {
    /// `1.250s` style: always three decimals, so trace lines align and snapshot cleanly.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}s", self.0 / 1000, self.0 % 1000)
    }
}

impl fmt::Display for SimTime {
    /// Unix milliseconds; use [`SimTime::saturating_since`] for a run-relative clock.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "@{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates_instead_of_wrapping() {
        assert_eq!(SimTime::MAX + SimDuration(5), SimTime::MAX);
        assert_eq!(SimTime(5) - SimTime(10), SimDuration::ZERO);
        assert_eq!(SimDuration(3) - SimDuration(10), SimDuration::ZERO);
        assert_eq!(SimDuration::MAX.saturating_mul(2), SimDuration::MAX);
        assert_eq!(SimTime::from_unix_secs(1_700_000_000), TEST_EPOCH);
    }

    #[test]
    fn float_milliseconds_round_and_clamp() {
        assert_eq!(SimDuration::from_millis_f64(1.4), SimDuration(1));
        assert_eq!(SimDuration::from_millis_f64(1.5), SimDuration(2));
        assert_eq!(SimDuration::from_millis_f64(-3.0), SimDuration(0));
        assert_eq!(SimDuration::from_millis_f64(f64::NAN), SimDuration(0));
        assert_eq!(SimDuration::from_millis_f64(1e300), SimDuration::MAX);
    }

    #[test]
    fn clocks_for_the_ui() {
        assert_eq!(TEST_EPOCH.utc_string(), "2023-11-14 22:13:20.000");
        assert_eq!(SimTime::ZERO.utc_string(), "1970-01-01 00:00:00.000");
        assert_eq!(SimTime(951_782_400_123).utc_string(), "2000-02-29 00:00:00.123");
        assert_eq!(SimTime(4_107_542_399_999).utc_string(), "2100-02-28 23:59:59.999");
        assert_eq!(SimDuration(3_723_004).clock_string(), "1:02:03.004");
        assert_eq!(SimDuration(90_000_000).clock_string(), "25:00:00.000");
        let _ = SimTime::MAX.utc_string(); // does not overflow
    }

    #[test]
    fn durations_display_with_millisecond_precision() {
        assert_eq!(SimDuration(1250).to_string(), "1.250s");
        assert_eq!(SimDuration(7).to_string(), "0.007s");
    }
}
