//! Retry limiters: they decide whether a retry may be sent at all, whatever the backoff says.
//!
//! Two designs are modeled: gRPC's retry throttling (gRFC A6: a token bucket that failures drain and
//! successes refill; no retries while it is at most half full) and Finagle's `RetryBudget` (retries
//! may be a percentage of recent requests, plus a small reserve per second, over a TTL window).
//! Both count in integers (milli-tokens), so their state is exact and portable. Time is passed in;
//! this module must never read a clock.

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
    #[error("retry budget minimum {0} retries/s is not usable: expected a finite number ≥ 0")]
    MinPerSec(f64),
    #[error("retry budget TTL {0} ms is not usable: expected 1000 ms to 60000 ms")]
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

/// Finagle `RetryBudget` parameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BudgetParams {
    /// How long a deposit (or withdrawal) counts.
    pub ttl_ms: u64,
    /// Retries always allowed per second, whatever the traffic.
    pub min_retries_per_sec: f64,
    /// Retries allowed per request, as a fraction (0.2 = 20 %).
    pub percent_can_retry: f64,
}

impl Default for BudgetParams {
    /// Finagle's defaults: 10 s, 10 retries/s, 20 %.
    fn default() -> Self {
        BudgetParams { ttl_ms: 10_000, min_retries_per_sec: 10.0, percent_can_retry: 0.2 }
    }
}

/// How many slices the TTL window is cut into (Finagle's `WindowedAdder` uses ten).
const SLICES: u64 = 10;

/// Finagle's token retry budget: each request deposits 1000 milli-tokens, each retry withdraws
/// `1000 / percent`; deposits and withdrawals expire after the TTL; a fixed reserve of
/// `min_retries_per_sec · ttl` retries never expires.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RetryBudget {
    params: BudgetParams,
    slice_ms: u64,
    withdraw: i64,
    reserve: i64,
    /// (slice index, net milli-tokens) for the slices still inside the window, oldest first.
    window: Vec<(u64, i64)>,
}

impl RetryBudget {
    pub fn new(params: BudgetParams) -> Result<Self, LimiterError> {
        if !(1000..=60_000).contains(&params.ttl_ms) {
            return Err(LimiterError::Ttl(params.ttl_ms));
        }
        if !(params.min_retries_per_sec.is_finite() && params.min_retries_per_sec >= 0.0) {
            return Err(LimiterError::MinPerSec(params.min_retries_per_sec));
        }
        let p = params.percent_can_retry;
        if !(p.is_finite() && (0.0..=1000.0).contains(&p)) {
            return Err(LimiterError::Percent(p));
        }
        // A zero percentage makes every withdrawal unaffordable except from the reserve.
        let withdraw = if p == 0.0 { i64::MAX / 4 } else { libm::round(1000.0 / p).max(1.0) as i64 };
        let reserve_retries = params.min_retries_per_sec * params.ttl_ms as f64 / 1000.0;
        let reserve = if p == 0.0 {
            // Finagle multiplies the reserve by the withdrawal amount; keep the same number of
            // reserved retries when the withdrawal is "infinite".
            (libm::round(reserve_retries) as i64).saturating_mul(withdraw)
        } else {
            libm::round(reserve_retries * withdraw as f64) as i64
        };
        Ok(RetryBudget { params, slice_ms: params.ttl_ms.div_ceil(SLICES), withdraw, reserve, window: Vec::new() })
    }

    pub fn params(&self) -> BudgetParams {
        self.params
    }

    fn expire(&mut self, now: SimTime) {
        let slice = now.as_unix_ms() / self.slice_ms;
        let oldest = slice.saturating_sub(SLICES - 1);
        self.window.retain(|(s, _)| *s >= oldest);
    }

    fn add(&mut self, now: SimTime, amount: i64) {
        let slice = now.as_unix_ms() / self.slice_ms;
        match self.window.last_mut() {
            Some((s, v)) if *s == slice => *v = v.saturating_add(amount),
            _ => self.window.push((slice, amount)),
        }
    }

    /// Milli-tokens available now.
    pub fn balance(&mut self, now: SimTime) -> i64 {
        self.expire(now);
        self.window.iter().fold(self.reserve, |a, (_, v)| a.saturating_add(*v))
    }

    /// Retries affordable now (for drawing the budget).
    pub fn retries_available(&mut self, now: SimTime) -> u64 {
        (self.balance(now).max(0) / self.withdraw.max(1)) as u64
    }

    /// Every request (first tries only) deposits.
    pub fn deposit(&mut self, now: SimTime) {
        self.expire(now);
        self.add(now, 1000);
    }

    /// Takes a retry out of the budget if it can afford one.
    pub fn try_withdraw(&mut self, now: SimTime) -> bool {
        if self.balance(now) >= self.withdraw {
            self.add(now, -self.withdraw);
            true
        } else {
            false
        }
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

    #[test]
    fn budget_allows_the_reserve_then_a_percentage_of_requests() {
        let p = BudgetParams { ttl_ms: 10_000, min_retries_per_sec: 0.5, percent_can_retry: 0.2 };
        let mut b = RetryBudget::new(p).unwrap();
        let t0 = SimTime::from_unix_ms(0);
        // Reserve: 0.5/s over 10 s = 5 retries.
        assert_eq!(b.retries_available(t0), 5);
        assert_eq!((0..8).filter(|_| b.try_withdraw(t0)).count(), 5);
        // 20 requests deposit enough for 4 retries.
        for _ in 0..20 {
            b.deposit(t0);
        }
        assert_eq!((0..8).filter(|_| b.try_withdraw(t0)).count(), 4);
        // After the TTL the deposits and the withdrawals have expired: the reserve is back.
        let later = SimTime::from_unix_ms(10_000);
        assert_eq!(b.retries_available(later), 5);
    }

    #[test]
    fn budget_rejects_bad_parameters_by_name() {
        let e = RetryBudget::new(BudgetParams { ttl_ms: 10, ..BudgetParams::default() }).unwrap_err();
        assert_eq!(e.to_string(), "retry budget TTL 10 ms is not usable: expected 1000 ms to 60000 ms");
        let e = RetryBudget::new(BudgetParams { percent_can_retry: -1.0, ..BudgetParams::default() }).unwrap_err();
        assert_eq!(e.to_string(), "retry budget percentage -1 is not usable: expected a fraction in [0, 1000]");
        let mut none = RetryBudget::new(BudgetParams { min_retries_per_sec: 0.0, percent_can_retry: 0.0, ..BudgetParams::default() }).unwrap();
        let t = SimTime::from_unix_ms(5);
        for _ in 0..1000 {
            none.deposit(t);
        }
        assert!(!none.try_withdraw(t));
    }
}
