//! Retry limiters: they decide whether a retry may be sent at all, whatever the backoff says.
//!
//! Two designs are modeled: gRPC's retry throttling (gRFC A6: a token bucket that failures drain and
//! successes refill; no retries while it is at most half full) and Finagle's `RetryBudget` (retries
//! may be a percentage of recent requests, plus a small reserve per second, over a TTL window),
//! as `RetryBudget.scala` and twitter/util's `TokenBucket` and `WindowedAdder` do it. Both count in
//! integers, so their state is exact and portable. Time is passed in; this module must never read
//! a clock.

use crate::sim::{SimDuration, SimTime};
use serde::{Deserialize, Serialize};

/// Why a limiter's parameters are unusable.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum LimiterError {
    #[error("maxTokens {0} is not usable: expected a number in (0, 1000]")]
    MaxTokens(f64),
    #[error("tokenRatio {0} is not usable: expected a positive number (3 decimals are kept)")]
    TokenRatio(f64),
    #[error("retry budget percentage {0} is not usable: expected a fraction in [0, 1000]")]
    Percent(f64),
    #[error("retry budget TTL {0} ms is not usable: expected 1000 ms to 60999 ms (1 to 60 whole seconds)")]
    Ttl(u64),
}

/// gRPC retry throttling parameters (the service config's `retryThrottling`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThrottleParams {
    pub max_tokens: f64,
    pub token_ratio: f64,
}

impl Default for ThrottleParams {
    /// The example values of gRFC A6.
    fn default() -> Self {
        ThrottleParams { max_tokens: 10.0, token_ratio: 0.1 }
    }
}

/// gRPC's client-side retry throttle: a token bucket in thousandths of a token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RetryThrottle {
    max_milli: u64,
    ratio_milli: u64,
    tokens_milli: u64,
}

fn to_milli(x: f64) -> u64 {
    libm::round(x * 1000.0) as u64
}

impl RetryThrottle {
    /// A full bucket. `max_tokens` must be in (0, 1000] and `token_ratio` positive, as in gRPC.
    pub fn new(p: ThrottleParams) -> Result<Self, LimiterError> {
        if !(p.max_tokens > 0.0 && p.max_tokens <= 1000.0) {
            return Err(LimiterError::MaxTokens(p.max_tokens));
        }
        if !(p.token_ratio.is_finite() && to_milli(p.token_ratio) > 0) || p.token_ratio > 1e12 {
            return Err(LimiterError::TokenRatio(p.token_ratio));
        }
        let max_milli = to_milli(p.max_tokens);
        Ok(RetryThrottle { max_milli, ratio_milli: to_milli(p.token_ratio), tokens_milli: max_milli })
    }
    /// Current tokens (for drawing the bucket).
    pub fn tokens(&self) -> f64 {
        self.tokens_milli as f64 / 1000.0
    }
    pub fn max_tokens(&self) -> f64 {
        self.max_milli as f64 / 1000.0
    }
    /// Retries are allowed only while tokens > maxTokens / 2.
    pub fn retry_allowed(&self) -> bool {
        self.tokens_milli.saturating_mul(2) > self.max_milli
    }
    /// A failed (retryable) response: one token less, never below zero.
    pub fn on_failure(&mut self) {
        self.tokens_milli = self.tokens_milli.saturating_sub(1000);
    }
    /// A successful response: `tokenRatio` more, never above the maximum.
    pub fn on_success(&mut self) {
        self.tokens_milli = self.tokens_milli.saturating_add(self.ratio_milli).min(self.max_milli);
    }
}

/// Finagle `RetryBudget` parameters (`RetryBudget.apply(ttl, minRetriesPerSec, percentCanRetry)`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BudgetParams {
    /// How long a deposit (or withdrawal) counts: whole seconds from 1 to 60 are what Finagle
    /// accepts (`ttl.inSeconds`); the window is cut into ten slices of `ttl / 10` ms.
    pub ttl_ms: u64,
    /// Retries always allowed per second, whatever the traffic (an `Int` in Finagle).
    pub min_retries_per_sec: u32,
    /// Retries allowed per request, as a fraction (0.2 = 20 %), from 0 to 1000.
    pub percent_can_retry: f64,
}

impl Default for BudgetParams {
    /// Finagle's defaults: 10 s, 10 retries/s, 20 %.
    fn default() -> Self {
        BudgetParams { ttl_ms: 10_000, min_retries_per_sec: 10, percent_can_retry: 0.2 }
    }
}

/// `TokenRetryBudget.ScaleFactor`: a deposit is 1000 tokens, so fractional percentages need no
/// floating point in the bucket.
const SCALE_FACTOR: f64 = 1000.0;

/// How many slices the TTL window is cut into (`TokenBucket.newLeakyBucket` uses ten).
const SLICES: u64 = 10;

/// twitter/util's `WindowedAdder(range, slices, now)`: a running sum of the last `slices` windows
/// of `range / slices` ms each. Only the newest slice is written; when `now` has moved past the
/// current slice, it is filed into a ring of `slices − 1` older ones and any slices skipped
/// meanwhile are zeroed. Slices start when the adder is made and restart at every expiry, as in
/// the original (not aligned to the clock).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct WindowedAdder {
    window_ms: u64,
    /// The current slice.
    writer: i64,
    /// The older slices, a ring of `slices − 1`.
    buf: Vec<i64>,
    i: usize,
    /// When the current slice began.
    old: SimTime,
}

impl WindowedAdder {
    fn new(range_ms: u64, slices: u64, now: SimTime) -> Self {
        WindowedAdder { window_ms: range_ms / slices, writer: 0, buf: vec![0; (slices - 1) as usize], i: 0, old: now }
    }

    /// `expired()`: file the current slice, zero the skipped ones.
    fn expire_if_due(&mut self, now: SimTime) {
        let since = (now - self.old).as_millis();
        if since < self.window_ms {
            return;
        }
        let n = self.buf.len();
        self.buf[self.i] = std::mem::take(&mut self.writer);
        self.i = (self.i + 1) % n;
        let nskip = ((since / self.window_ms).saturating_sub(1)).min(n as u64) as usize;
        if nskip > 0 {
            let r = nskip.min(n - self.i);
            self.buf[self.i..self.i + r].fill(0);
            self.buf[..nskip - r].fill(0);
            self.i = (self.i + nskip) % n;
        }
        self.old = now;
    }

    fn add(&mut self, x: i64, now: SimTime) {
        self.expire_if_due(now);
        self.writer = self.writer.saturating_add(x);
    }

    fn sum(&mut self, now: SimTime) -> i64 {
        self.expire_if_due(now);
        self.buf.iter().fold(self.writer, |a, v| a.saturating_add(*v))
    }
}

/// Finagle's `RetryBudget` (finagle-core `RetryBudget.scala`), exactly:
/// - no percentage and no minimum is `RetryBudget.Empty`: never a retry;
/// - otherwise a leaky token bucket (`TokenBucket.newLeakyBucket(ttl, reserve)`): each request
///   deposits `1000` tokens (none when `percentCanRetry = 0`), each retry withdraws
///   `(1000 / percentCanRetry).toInt` (1 when the percentage is 0) if the count covers it;
///   deposits and withdrawals leave the window after about a TTL;
/// - a reserve of `minRetriesPerSec × ttl.inSeconds × withdrawal` tokens never expires, so a
///   client that has just started, or sends little, may still retry `minRetriesPerSec` per second.
///
/// With `percentCanRetry = 0` requests earn no retries at all: only the reserve pays for them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RetryBudget {
    params: BudgetParams,
    /// `RetryBudget.Empty`.
    empty: bool,
    deposit: i64,
    withdraw: i64,
    reserve: i64,
    window: WindowedAdder,
}

impl RetryBudget {
    /// A budget created at `now` (the leaky bucket's slices start then).
    pub fn new(params: BudgetParams, now: SimTime) -> Result<Self, LimiterError> {
        let ttl_secs = params.ttl_ms / 1000;
        if !(1..=60).contains(&ttl_secs) {
            return Err(LimiterError::Ttl(params.ttl_ms));
        }
        let p = params.percent_can_retry;
        if !(p.is_finite() && (0.0..=SCALE_FACTOR).contains(&p)) {
            return Err(LimiterError::Percent(p));
        }
        let (deposit, withdraw) = if p == 0.0 {
            (0, 1)
        } else {
            // Scala's Double.toInt truncates (and saturates, as `as` does).
            (SCALE_FACTOR as i64, i64::from((SCALE_FACTOR / p) as i32))
        };
        let reserve = i64::from(params.min_retries_per_sec).saturating_mul(ttl_secs as i64).saturating_mul(withdraw);
        Ok(RetryBudget {
            params,
            empty: params.min_retries_per_sec == 0 && p == 0.0,
            deposit,
            withdraw,
            reserve,
            window: WindowedAdder::new(params.ttl_ms, SLICES, now),
        })
    }

    pub fn params(&self) -> BudgetParams {
        self.params
    }

    /// Tokens one retry costs (`withdrawalAmount`).
    pub fn withdrawal(&self) -> i64 {
        self.withdraw
    }

    /// Tokens in the bucket now (`count`: the window's sum plus the reserve).
    pub fn count(&mut self, now: SimTime) -> i64 {
        if self.empty {
            return 0;
        }
        self.window.sum(now).saturating_add(self.reserve)
    }

    /// Retries affordable now (`balance = count / withdrawalAmount`, at least 0).
    pub fn retries_available(&mut self, now: SimTime) -> u64 {
        (self.count(now).max(0) / self.withdraw.max(1)) as u64
    }

    /// Every request (first tries only) deposits.
    pub fn deposit(&mut self, now: SimTime) {
        if !self.empty {
            self.window.add(self.deposit, now);
        }
    }

    /// `tryWithdraw`: takes a retry out of the budget if the count covers it.
    pub fn try_withdraw(&mut self, now: SimTime) -> bool {
        if self.empty || self.count(now) < self.withdraw {
            return false;
        }
        self.window.add(-self.withdraw, now);
        true
    }

    /// The window length (for axis labels).
    pub fn ttl(&self) -> SimDuration {
        SimDuration::from_millis(self.params.ttl_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_stops_retries_at_half_and_recovers_with_successes() {
        let mut t = RetryThrottle::new(ThrottleParams { max_tokens: 10.0, token_ratio: 0.5 }).unwrap();
        let mut log = Vec::new();
        for _ in 0..6 {
            t.on_failure();
            log.push((t.tokens(), t.retry_allowed()));
        }
        assert_eq!(log, vec![(9.0, true), (8.0, true), (7.0, true), (6.0, true), (5.0, false), (4.0, false)]);
        t.on_success();
        t.on_success();
        assert_eq!((t.tokens(), t.retry_allowed()), (5.0, false));
        t.on_success();
        assert_eq!((t.tokens(), t.retry_allowed()), (5.5, true));
        for _ in 0..100 {
            t.on_success();
        }
        assert_eq!(t.tokens(), 10.0);
        for _ in 0..100 {
            t.on_failure();
        }
        assert_eq!(t.tokens(), 0.0);
    }

    #[test]
    fn throttle_rejects_bad_parameters_by_name() {
        let e = RetryThrottle::new(ThrottleParams { max_tokens: 2000.0, token_ratio: 0.1 }).unwrap_err();
        assert_eq!(e.to_string(), "maxTokens 2000 is not usable: expected a number in (0, 1000]");
        assert!(RetryThrottle::new(ThrottleParams { max_tokens: 10.0, token_ratio: 0.0 }).is_err());
        assert!(RetryThrottle::new(ThrottleParams { max_tokens: f64::NAN, token_ratio: 0.1 }).is_err());
    }

    fn budget(ttl_ms: u64, min: u32, percent: f64) -> RetryBudget {
        RetryBudget::new(
            BudgetParams { ttl_ms, min_retries_per_sec: min, percent_can_retry: percent },
            SimTime::from_unix_ms(0),
        )
        .unwrap()
    }

    /// `RetryBudget.apply`: `withdrawalAmount = (ScaleFactor / percentCanRetry).toInt` (truncated,
    /// not rounded) and `reserve = minRetriesPerSec * ttl.inSeconds * withdrawalAmount`.
    #[test]
    fn finagle_withdrawal_is_truncated_and_the_reserve_scales_by_it() {
        assert_eq!(budget(10_000, 0, 0.15).withdrawal(), 6666);
        assert_eq!(budget(10_000, 0, 0.3).withdrawal(), 3333);
        assert_eq!(budget(10_000, 0, 3.0).withdrawal(), 333);
        assert_eq!(budget(10_000, 0, 1000.0).withdrawal(), 1);
        let t0 = SimTime::from_unix_ms(0);
        let mut b = budget(10_000, 1, 0.2);
        assert_eq!(b.count(t0), 10 * 5000);
        assert_eq!(b.retries_available(t0), 10);
        // ttl.inSeconds truncates: 10.9 s reserves like 10 s.
        assert_eq!(budget(10_999, 1, 0.2).retries_available(t0), 10);
    }

    /// `if (minRetriesPerSec == 0 && percentCanRetry == 0.0) return Empty`, and with a zero
    /// percentage `depositAmount = 0`, `withdrawalAmount = 1`: requests earn no retries.
    #[test]
    fn zero_percent_means_requests_earn_no_retries() {
        let t0 = SimTime::from_unix_ms(0);
        let mut empty = budget(10_000, 0, 0.0);
        for _ in 0..1000 {
            empty.deposit(t0);
        }
        assert!(!empty.try_withdraw(t0));
        assert_eq!(empty.retries_available(t0), 0);
        // Only the reserve pays: 2/s over 10 s, whatever the deposits.
        let mut reserve_only = budget(10_000, 2, 0.0);
        for _ in 0..1000 {
            reserve_only.deposit(t0);
        }
        assert_eq!((0..100).filter(|_| reserve_only.try_withdraw(t0)).count(), 20);
    }

    #[test]
    fn budget_allows_the_reserve_then_a_percentage_of_requests() {
        let mut b = budget(10_000, 1, 0.2);
        let t0 = SimTime::from_unix_ms(0);
        assert_eq!((0..20).filter(|_| b.try_withdraw(t0)).count(), 10);
        // 20 requests deposit enough for 4 retries.
        for _ in 0..20 {
            b.deposit(t0);
        }
        assert_eq!((0..8).filter(|_| b.try_withdraw(t0)).count(), 4);
        // After the TTL the deposits and the withdrawals have expired: the reserve is back.
        assert_eq!(b.retries_available(SimTime::from_unix_ms(10_000)), 10);
    }

    /// twitter/util `WindowedAdder(ttl, 10, now)`: ten slices of ttl/10 (one written, nine kept),
    /// so a deposit counts until the tenth slice roll-over after it; slices roll over only when the
    /// adder is touched (and then start afresh), and skipped slices are zeroed however long the
    /// budget sat idle.
    #[test]
    fn deposits_leave_the_window_after_ten_slices() {
        let mut b = budget(10_000, 0, 1.0);
        for _ in 0..5 {
            b.deposit(SimTime::from_unix_ms(0));
        }
        // Read first at 9.999 s: the slices roll over then (nine skipped), and the next roll-over
        // is a whole slice later, so the deposit still counts until 10.999 s.
        assert_eq!(b.retries_available(SimTime::from_unix_ms(9_999)), 5);
        assert_eq!(b.retries_available(SimTime::from_unix_ms(10_998)), 5);
        assert_eq!(b.retries_available(SimTime::from_unix_ms(10_999)), 0);
        // Slices run from the last expiry, not from the clock's whole seconds.
        let mut b = budget(10_000, 0, 1.0);
        b.deposit(SimTime::from_unix_ms(500));
        for t in (1_500..=9_500).step_by(1_000) {
            assert_eq!(b.retries_available(SimTime::from_unix_ms(t)), 1, "at {t}");
        }
        assert_eq!(b.retries_available(SimTime::from_unix_ms(10_500)), 0);
        // Idle far longer than the window: everything is gone.
        let mut b = budget(10_000, 0, 1.0);
        b.deposit(SimTime::from_unix_ms(0));
        assert_eq!(b.retries_available(SimTime::from_unix_ms(1_000_000)), 0);
    }

    #[test]
    fn budget_rejects_bad_parameters_by_name() {
        let t0 = SimTime::from_unix_ms(0);
        let e = RetryBudget::new(BudgetParams { ttl_ms: 10, ..BudgetParams::default() }, t0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "retry budget TTL 10 ms is not usable: expected 1000 ms to 60999 ms (1 to 60 whole seconds)"
        );
        let e = RetryBudget::new(BudgetParams { percent_can_retry: -1.0, ..BudgetParams::default() }, t0).unwrap_err();
        assert_eq!(e.to_string(), "retry budget percentage -1 is not usable: expected a fraction in [0, 1000]");
        assert!(RetryBudget::new(BudgetParams { percent_can_retry: 1000.5, ..BudgetParams::default() }, t0).is_err());
    }
}
