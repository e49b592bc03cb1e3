//! Backoff policies: how long to wait before retry number `n`.
//!
//! Every formula is a pure function of integer "ticks" (milliseconds for one call, microseconds in
//! the contention experiment) with the randomness injected as a [`SimRng`]. Arithmetic saturates and
//! is capped, so attempt 1,000 or `u32::MAX` is as safe as attempt 1. The jittered formulas are the
//! AWS Architecture Blog's ("Exponential Backoff And Jitter", 2015), with `random_between(a, b)`
//! read as a uniform integer in the inclusive range `[a, b]`. This module must never read a clock.

use crate::sim::tagged::required;
use crate::sim::{SimDuration, SimRng};
use serde::{Deserialize, Deserializer, Serialize};

/// `min(cap, base · factor^n)`, saturating. Integral factors (2, 3 …) are computed exactly in
/// integers; fractional ones (gRPC's 1.6) in `f64`, rounded to the nearest tick.
pub fn exponential(base: u64, factor: f64, cap: u64, n: u32) -> u64 {
    if factor.is_nan() || factor <= 0.0 || base == 0 {
        return 0;
    }
    if factor.fract() == 0.0 && factor <= f64::from(u32::MAX) {
        let f = factor as u64;
        let grown = f.checked_pow(n).map_or(u64::MAX, |p| base.saturating_mul(p));
        return grown.min(cap);
    }
    let v = base as f64 * libm::pow(factor, f64::from(n));
    if v.is_nan() || v >= cap as f64 {
        cap
    } else {
        (libm::round(v) as u64).min(cap)
    }
}

/// The AWS blog's "expo": `min(cap, base · 2^n)`.
pub fn expo(base: u64, cap: u64, n: u32) -> u64 {
    exponential(base, 2.0, cap, n)
}

/// Full jitter: `random_between(0, min(cap, base · 2^n))`.
pub fn full_jitter(base: u64, cap: u64, n: u32, rng: &mut SimRng) -> u64 {
    rng.range_inclusive(0, expo(base, cap, n))
}

/// Equal jitter: `temp = min(cap, base · 2^n); temp/2 + random_between(0, temp/2)`.
pub fn equal_jitter(base: u64, cap: u64, n: u32, rng: &mut SimRng) -> u64 {
    let half = expo(base, cap, n) / 2;
    half + rng.range_inclusive(0, half)
}

/// Decorrelated jitter: `sleep = min(cap, random_between(base, sleep · 3))`, where `prev_sleep` is
/// the previous sleep (the first call passes `base`). Returns the new sleep.
pub fn decorrelated_jitter(base: u64, cap: u64, prev_sleep: u64, rng: &mut SimRng) -> u64 {
    let hi = prev_sleep.saturating_mul(3).max(base);
    rng.range_inclusive(base, hi).min(cap)
}

/// gRPC connection backoff (grpc/grpc `doc/connection-backoff.md`, `ConnectWithBackoff`): the
/// backoff of the first attempt is INITIAL_BACKOFF exactly; later ones are
/// `min(initial · multiplier^(n-1), max)` jittered uniformly by ±`jitter`. In the spec this is the
/// time from one attempt's *start* to the next one's (the attempt's deadline), not a sleep after a
/// failure; [`super::retry`] runs it that way.
pub fn grpc_connection(initial: u64, multiplier: f64, jitter: f64, max: u64, n: u32, rng: &mut SimRng) -> u64 {
    if n <= 1 {
        return initial.min(max);
    }
    let b = exponential(initial, multiplier, max, n - 1);
    let j = if jitter.is_nan() { 0.0 } else { jitter.clamp(0.0, 1.0) };
    let lo = libm::round(b as f64 * (1.0 - j));
    let hi = libm::round(b as f64 * (1.0 + j));
    let to_ticks = |x: f64| {
        if x >= u64::MAX as f64 {
            u64::MAX
        } else {
            x.max(0.0) as u64
        }
    };
    rng.range_inclusive(to_ticks(lo), to_ticks(hi))
}

/// A backoff policy in milliseconds, as the page and the CLI choose it (serializable for the URL).
/// Written as `{"kind": "full_jitter", "base_ms": 100, "cap_ms": 10000}`; read through
/// [`PolicyFields`] (see [`crate::sim::tagged`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Policy {
    /// Retry at once.
    None,
    Constant {
        delay_ms: u64,
    },
    /// `min(cap, base · factor^n)` before retry `n` (the reference executor is base 100, factor 2).
    Exponential {
        base_ms: u64,
        factor: f64,
        cap_ms: u64,
    },
    FullJitter {
        base_ms: u64,
        cap_ms: u64,
    },
    EqualJitter {
        base_ms: u64,
        cap_ms: u64,
    },
    Decorrelated {
        base_ms: u64,
        cap_ms: u64,
    },
    /// gRPC connection backoff; [`Policy::grpc`] has the spec's defaults.
    Grpc {
        initial_ms: u64,
        multiplier: f64,
        jitter: f64,
        max_ms: u64,
        /// MIN_CONNECT_TIMEOUT: every attempt may run at least this long
        /// (`TryConnect(Max(current_deadline, now() + MIN_CONNECT_TIMEOUT))`).
        /// Optional in JSON (older documents lack it): the spec's value.
        min_connect_timeout_ms: u64,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum PolicyKind {
    None,
    Constant,
    Exponential,
    FullJitter,
    EqualJitter,
    Decorrelated,
    Grpc,
}

/// [`Policy`]'s JSON object: the tag and every variant's fields.
#[derive(Deserialize)]
#[serde(expecting = "internally tagged enum Policy")]
struct PolicyFields {
    kind: PolicyKind,
    delay_ms: Option<u64>,
    base_ms: Option<u64>,
    factor: Option<f64>,
    cap_ms: Option<u64>,
    initial_ms: Option<u64>,
    multiplier: Option<f64>,
    jitter: Option<f64>,
    max_ms: Option<u64>,
    min_connect_timeout_ms: Option<u64>,
}

impl<'de> Deserialize<'de> for Policy {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let f = PolicyFields::deserialize(d)?;
        let base_cap =
            || -> Result<(u64, u64), D::Error> { Ok((required(f.base_ms, "base_ms")?, required(f.cap_ms, "cap_ms")?)) };
        Ok(match f.kind {
            PolicyKind::None => Policy::None,
            PolicyKind::Constant => Policy::Constant { delay_ms: required(f.delay_ms, "delay_ms")? },
            PolicyKind::Exponential => Policy::Exponential {
                base_ms: required(f.base_ms, "base_ms")?,
                factor: required(f.factor, "factor")?,
                cap_ms: required(f.cap_ms, "cap_ms")?,
            },
            PolicyKind::FullJitter => {
                let (base_ms, cap_ms) = base_cap()?;
                Policy::FullJitter { base_ms, cap_ms }
            }
            PolicyKind::EqualJitter => {
                let (base_ms, cap_ms) = base_cap()?;
                Policy::EqualJitter { base_ms, cap_ms }
            }
            PolicyKind::Decorrelated => {
                let (base_ms, cap_ms) = base_cap()?;
                Policy::Decorrelated { base_ms, cap_ms }
            }
            PolicyKind::Grpc => Policy::Grpc {
                initial_ms: required(f.initial_ms, "initial_ms")?,
                multiplier: required(f.multiplier, "multiplier")?,
                jitter: required(f.jitter, "jitter")?,
                max_ms: required(f.max_ms, "max_ms")?,
                min_connect_timeout_ms: f.min_connect_timeout_ms.unwrap_or(GRPC_MIN_CONNECT_TIMEOUT_MS),
            },
        })
    }
}

/// The spec's MIN_CONNECT_TIMEOUT: 20 s.
pub const GRPC_MIN_CONNECT_TIMEOUT_MS: u64 = 20_000;

/// Why a policy's parameters are unusable.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PolicyError {
    #[error("unknown policy {0:?}: expected one of {names}", names = Policy::NAMES.join(", "))]
    Unknown(String),
    #[error("backoff factor {0} is not usable: expected a finite number ≥ 1")]
    Factor(f64),
    #[error("gRPC multiplier {0} is not usable: expected a finite number ≥ 1")]
    Multiplier(f64),
    #[error("gRPC jitter {0} is not usable: expected a fraction in [0, 1]")]
    Jitter(f64),
    #[error("cap {cap_ms} ms is below base {base_ms} ms: expected cap ≥ base")]
    CapBelowBase { base_ms: u64, cap_ms: u64 },
}

impl Policy {
    /// The reference executor's policy: 2^n × 100 ms, uncapped.
    pub fn reference() -> Policy {
        Policy::Exponential { base_ms: 100, factor: 2.0, cap_ms: u64::MAX }
    }

    /// The policy names the CLI, the URL and the CSV use, in the page's order.
    pub const NAMES: [&'static str; 7] =
        ["none", "constant", "exponential", "full_jitter", "equal_jitter", "decorrelated", "grpc"];

    /// gRPC's connection backoff defaults: 1 s, ×1.6, ±20 %, at most 120 s, every attempt allowed
    /// at least 20 s.
    pub fn grpc() -> Policy {
        Policy::Grpc {
            initial_ms: 1000,
            multiplier: 1.6,
            jitter: 0.2,
            max_ms: 120_000,
            min_connect_timeout_ms: GRPC_MIN_CONNECT_TIMEOUT_MS,
        }
    }

    /// For `grpc`: sets MIN_CONNECT_TIMEOUT (other policies have none and are unchanged).
    pub fn with_min_connect_timeout(mut self, ms: u64) -> Policy {
        if let Policy::Grpc { min_connect_timeout_ms, .. } = &mut self {
            *min_connect_timeout_ms = ms;
        }
        self
    }

    /// For `grpc`: MIN_CONNECT_TIMEOUT in ms.
    pub fn min_connect_timeout_ms(&self) -> Option<u64> {
        match self {
            Policy::Grpc { min_connect_timeout_ms, .. } => Some(*min_connect_timeout_ms),
            _ => None,
        }
    }

    /// A policy from its name and the numbers a form or a command line gives: `base_ms` is the
    /// constant delay for `constant` and the initial backoff for `grpc`; no factor means 2 (1.6 for
    /// `grpc`) and is ignored where it has no meaning; no cap means uncapped (120 s for `grpc`).
    pub fn from_parts(
        name: &str,
        base_ms: u64,
        factor: Option<f64>,
        cap_ms: Option<u64>,
        jitter: f64,
    ) -> Result<Policy, PolicyError> {
        let cap = cap_ms.unwrap_or(u64::MAX);
        let p = match name {
            "none" => Policy::None,
            "constant" => Policy::Constant { delay_ms: base_ms },
            "exponential" => Policy::Exponential { base_ms, factor: factor.unwrap_or(2.0), cap_ms: cap },
            "full_jitter" => Policy::FullJitter { base_ms, cap_ms: cap },
            "equal_jitter" => Policy::EqualJitter { base_ms, cap_ms: cap },
            "decorrelated" => Policy::Decorrelated { base_ms, cap_ms: cap },
            "grpc" => Policy::Grpc {
                initial_ms: base_ms,
                multiplier: factor.unwrap_or(1.6),
                jitter,
                max_ms: cap_ms.unwrap_or(120_000),
                min_connect_timeout_ms: GRPC_MIN_CONNECT_TIMEOUT_MS,
            },
            other => return Err(PolicyError::Unknown(other.to_string())),
        };
        p.validate()?;
        Ok(p)
    }

    /// The short name the CLI and CSV use.
    pub fn name(&self) -> &'static str {
        match self {
            Policy::None => "none",
            Policy::Constant { .. } => "constant",
            Policy::Exponential { .. } => "exponential",
            Policy::FullJitter { .. } => "full_jitter",
            Policy::EqualJitter { .. } => "equal_jitter",
            Policy::Decorrelated { .. } => "decorrelated",
            Policy::Grpc { .. } => "grpc",
        }
    }

    /// Checks the parameters a user can get wrong.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let cap_check = |base_ms: u64, cap_ms: u64| {
            if cap_ms < base_ms {
                Err(PolicyError::CapBelowBase { base_ms, cap_ms })
            } else {
                Ok(())
            }
        };
        match *self {
            Policy::None | Policy::Constant { .. } => Ok(()),
            Policy::Exponential { base_ms, factor, cap_ms } => {
                if !factor.is_finite() || factor < 1.0 {
                    return Err(PolicyError::Factor(factor));
                }
                cap_check(base_ms, cap_ms)
            }
            Policy::FullJitter { base_ms, cap_ms }
            | Policy::EqualJitter { base_ms, cap_ms }
            | Policy::Decorrelated { base_ms, cap_ms } => cap_check(base_ms, cap_ms),
            Policy::Grpc { initial_ms, multiplier, jitter, max_ms, .. } => {
                if !multiplier.is_finite() || multiplier < 1.0 {
                    return Err(PolicyError::Multiplier(multiplier));
                }
                if !(0.0..=1.0).contains(&jitter) {
                    return Err(PolicyError::Jitter(jitter));
                }
                cap_check(initial_ms, max_ms)
            }
        }
    }

    /// The wait before retry `n` (n ≥ 1), given the previous wait (only decorrelated jitter reads it;
    /// pass `None` before the first retry).
    pub fn delay(&self, n: u32, prev: Option<SimDuration>, rng: &mut SimRng) -> SimDuration {
        let ms = match *self {
            Policy::None => 0,
            Policy::Constant { delay_ms } => delay_ms,
            Policy::Exponential { base_ms, factor, cap_ms } => exponential(base_ms, factor, cap_ms, n),
            Policy::FullJitter { base_ms, cap_ms } => full_jitter(base_ms, cap_ms, n, rng),
            Policy::EqualJitter { base_ms, cap_ms } => equal_jitter(base_ms, cap_ms, n, rng),
            Policy::Decorrelated { base_ms, cap_ms } => {
                decorrelated_jitter(base_ms, cap_ms, prev.map_or(base_ms, |d| d.as_millis()), rng)
            }
            Policy::Grpc { initial_ms, multiplier, jitter, max_ms, .. } => {
                grpc_connection(initial_ms, multiplier, jitter, max_ms, n, rng)
            }
        };
        SimDuration::from_millis(ms)
    }
}

/// One row of the page's "delay per retry" table: a sampled wait and the range it was drawn from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DelayRow {
    /// 1-based retry number.
    pub retry: u32,
    pub sample_ms: u64,
    pub min_ms: u64,
    pub max_ms: u64,
}

impl Policy {
    /// The inclusive range the wait before retry `n` is drawn from (decorrelated jitter's depends
    /// on the previous wait).
    pub fn delay_range(&self, n: u32, prev: Option<SimDuration>) -> (u64, u64) {
        match *self {
            Policy::None => (0, 0),
            Policy::Constant { delay_ms } => (delay_ms, delay_ms),
            Policy::Exponential { base_ms, factor, cap_ms } => {
                let d = exponential(base_ms, factor, cap_ms, n);
                (d, d)
            }
            Policy::FullJitter { base_ms, cap_ms } => (0, expo(base_ms, cap_ms, n)),
            Policy::EqualJitter { base_ms, cap_ms } => {
                let half = expo(base_ms, cap_ms, n) / 2;
                (half, half.saturating_mul(2))
            }
            Policy::Decorrelated { base_ms, cap_ms } => {
                let prev = prev.map_or(base_ms, |d| d.as_millis());
                (base_ms.min(cap_ms), prev.saturating_mul(3).max(base_ms).min(cap_ms))
            }
            Policy::Grpc { initial_ms, multiplier, jitter, max_ms, .. } => {
                if n <= 1 {
                    let d = initial_ms.min(max_ms);
                    return (d, d);
                }
                let b = exponential(initial_ms, multiplier, max_ms, n - 1) as f64;
                let j = if jitter.is_nan() { 0.0 } else { jitter.clamp(0.0, 1.0) };
                let to_ticks = |x: f64| {
                    if x >= u64::MAX as f64 {
                        u64::MAX
                    } else {
                        x.max(0.0) as u64
                    }
                };
                (to_ticks(libm::round(b * (1.0 - j))), to_ticks(libm::round(b * (1.0 + j))))
            }
        }
    }

    /// Waits before retries 1..=`retries`, sampled in order from `seed`, with their ranges.
    pub fn delay_table(&self, retries: u32, seed: u64) -> Vec<DelayRow> {
        let mut rng = SimRng::new(seed).child("policy");
        let mut prev = None;
        (1..=retries)
            .map(|n| {
                let (min_ms, max_ms) = self.delay_range(n, prev);
                let d = self.delay(n, prev, &mut rng);
                prev = Some(d);
                DelayRow { retry: n, sample_ms: d.as_millis(), min_ms, max_ms }
            })
            .collect()
    }
}

/// A policy in use by one call: remembers the retry count, the previous wait and the time spent,
/// and gives up once an optional max-elapsed deadline would be passed.
#[derive(Clone, Debug)]
pub struct Backoff {
    policy: Policy,
    max_elapsed: Option<SimDuration>,
    retries: u32,
    prev: Option<SimDuration>,
}

impl Backoff {
    pub fn new(policy: Policy) -> Self {
        Backoff { policy, max_elapsed: None, retries: 0, prev: None }
    }

    /// Stop retrying when the elapsed time plus the next wait would exceed `d`.
    pub fn with_max_elapsed(mut self, d: Option<SimDuration>) -> Self {
        self.max_elapsed = d;
        self
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }
    /// Retries handed out so far.
    pub fn retries(&self) -> u32 {
        self.retries
    }

    /// The wait before the next retry, or `None` when the deadline forbids it. `elapsed` is the
    /// time since the first attempt started.
    pub fn next_delay(&mut self, elapsed: SimDuration, rng: &mut SimRng) -> Option<SimDuration> {
        let n = self.retries.saturating_add(1);
        let d = self.policy.delay(n, self.prev, rng);
        if let Some(max) = self.max_elapsed {
            if elapsed.saturating_add(d) > max {
                return None;
            }
        }
        self.retries = n;
        self.prev = Some(d);
        Some(d)
    }

    /// Forget past retries (after a success).
    pub fn reset(&mut self) {
        self.retries = 0;
        self.prev = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(not(target_arch = "wasm32"))]
    use proptest::prelude::*;

    /// `Policy`'s decoder before it went through `PolicyFields`: serde's derived internally tagged enum.
    mod derived {
        use serde::{Deserialize, Serialize};

        fn grpc_min_connect_timeout_ms() -> u64 {
            super::GRPC_MIN_CONNECT_TIMEOUT_MS
        }

        #[derive(Serialize, Deserialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        pub enum Policy {
            None,
            Constant {
                delay_ms: u64,
            },
            Exponential {
                base_ms: u64,
                factor: f64,
                cap_ms: u64,
            },
            FullJitter {
                base_ms: u64,
                cap_ms: u64,
            },
            EqualJitter {
                base_ms: u64,
                cap_ms: u64,
            },
            Decorrelated {
                base_ms: u64,
                cap_ms: u64,
            },
            Grpc {
                initial_ms: u64,
                multiplier: f64,
                jitter: f64,
                max_ms: u64,
                #[serde(default = "grpc_min_connect_timeout_ms")]
                min_connect_timeout_ms: u64,
            },
        }
    }

    #[test]
    fn policies_decode_as_the_derived_tagged_enum_did() {
        let docs = [
            r#"{"kind":"none"}"#,
            r#"{"kind":"none","delay_ms":3}"#,
            r#"{"kind":"constant","delay_ms":100}"#,
            r#"{"kind":"exponential","base_ms":100,"factor":2.0,"cap_ms":10000}"#,
            r#"{"kind":"exponential","base_ms":100,"factor":2,"cap_ms":10000}"#,
            r#"{"cap_ms":500,"kind":"full_jitter","base_ms":10}"#,
            r#"{"kind":"equal_jitter","base_ms":10,"cap_ms":500}"#,
            r#"{"kind":"decorrelated","base_ms":10,"cap_ms":500}"#,
            // Older documents have no min_connect_timeout_ms: the spec's 20 s.
            r#"{"kind":"grpc","initial_ms":1000,"multiplier":1.6,"jitter":0.2,"max_ms":120000}"#,
            r#"{"kind":"grpc","initial_ms":1000,"multiplier":1.6,"jitter":0.2,"max_ms":120000,"min_connect_timeout_ms":5}"#,
            // Rejected alike.
            r#"{"kind":"constant"}"#,
            r#"{"kind":"full_jitter","base_ms":10}"#,
            r#"{"kind":"grpc","initial_ms":1000,"multiplier":1.6,"max_ms":120000}"#,
            r#"{"kind":"fibonacci"}"#,
            r#"{"delay_ms":100}"#,
            r#"{"kind":"constant","delay_ms":"soon"}"#,
            r#"{"kind":"exponential","base_ms":100,"factor":"2","cap_ms":10000}"#,
            r#"null"#,
        ];
        crate::sim::tagged::assert_decodes_as_derived::<Policy, derived::Policy>(&docs);
    }

    #[test]
    fn reference_schedule_is_powers_of_two_times_100() {
        let mut r = SimRng::new(1);
        let waits: Vec<u64> = (1..=5).map(|n| Policy::reference().delay(n, None, &mut r).as_millis()).collect();
        assert_eq!(waits, vec![200, 400, 800, 1600, 3200]);
    }

    #[test]
    fn huge_attempts_saturate_at_the_cap() {
        for n in [64, 1000, u32::MAX] {
            assert_eq!(expo(5, 2000, n), 2000);
            assert_eq!(exponential(1000, 1.6, 120_000, n), 120_000);
            assert_eq!(exponential(100, 2.0, u64::MAX, n), u64::MAX);
            assert_eq!(exponential(u64::MAX, 3.0, u64::MAX, n), u64::MAX);
        }
        let mut r = SimRng::new(2);
        assert!(equal_jitter(u64::MAX, u64::MAX, u32::MAX, &mut r) >= u64::MAX / 2);
        let d = decorrelated_jitter(5, 2000, u64::MAX, &mut r);
        assert!((5..=2000).contains(&d), "{d}");
        let g = grpc_connection(u64::MAX, 1.6, 0.2, u64::MAX, u32::MAX, &mut r);
        assert!(g >= (u64::MAX as f64 * 0.8) as u64, "{g}");
    }

    #[test]
    fn grpc_first_wait_is_exact_then_jittered_within_twenty_percent() {
        let mut r = SimRng::new(3);
        let p = Policy::grpc();
        assert_eq!(p.delay(1, None, &mut r).as_millis(), 1000);
        for _ in 0..200 {
            let d = p.delay(2, None, &mut r).as_millis();
            assert!((1280..=1920).contains(&d), "{d}");
            let d = p.delay(1000, None, &mut r).as_millis();
            assert!((96_000..=144_000).contains(&d), "{d}");
        }
    }

    #[test]
    fn delay_table_for_the_page() {
        let rows = Policy::FullJitter { base_ms: 100, cap_ms: 1000 }.delay_table(5, 1);
        let ranges: Vec<(u64, u64)> = rows.iter().map(|r| (r.min_ms, r.max_ms)).collect();
        assert_eq!(ranges, vec![(0, 200), (0, 400), (0, 800), (0, 1000), (0, 1000)]);
        let rows = Policy::reference().delay_table(4, 1);
        assert_eq!(rows.iter().map(|r| r.sample_ms).collect::<Vec<_>>(), vec![200, 400, 800, 1600]);
    }

    #[test]
    fn max_elapsed_stops_the_backoff() {
        let mut r = SimRng::new(4);
        let mut b = Backoff::new(Policy::reference()).with_max_elapsed(Some(SimDuration::from_millis(1000)));
        assert_eq!(b.next_delay(SimDuration::ZERO, &mut r), Some(SimDuration::from_millis(200)));
        assert_eq!(b.next_delay(SimDuration::from_millis(200), &mut r), Some(SimDuration::from_millis(400)));
        assert_eq!(b.next_delay(SimDuration::from_millis(600), &mut r), None);
        assert_eq!(b.retries(), 2);
    }

    #[test]
    fn bad_parameters_are_named() {
        let e = Policy::Exponential { base_ms: 10, factor: 0.5, cap_ms: 100 }.validate().unwrap_err();
        assert_eq!(e.to_string(), "backoff factor 0.5 is not usable: expected a finite number ≥ 1");
        let e = Policy::FullJitter { base_ms: 10, cap_ms: 5 }.validate().unwrap_err();
        assert_eq!(e.to_string(), "cap 5 ms is below base 10 ms: expected cap ≥ base");
        assert!(Policy::grpc().validate().is_ok());
    }

    // proptest is a native-only dev-dependency.
    #[cfg(not(target_arch = "wasm32"))]
    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn full_jitter_stays_in_zero_to_capped_expo(seed: u64, base in 0u64..10_000, cap in 0u64..1_000_000, n in 0u32..2000) {
            let mut r = SimRng::new(seed);
            let v = full_jitter(base, cap, n, &mut r);
            prop_assert!(v <= cap.min(expo(base, u64::MAX, n)));
        }

        #[test]
        fn equal_jitter_stays_in_upper_half(seed: u64, base in 0u64..10_000, cap in 0u64..1_000_000, n in 0u32..2000) {
            let mut r = SimRng::new(seed);
            let t = expo(base, cap, n);
            let v = equal_jitter(base, cap, n, &mut r);
            prop_assert!(v >= t / 2 && v <= t, "{} not in [{}, {}]", v, t / 2, t);
        }

        #[test]
        fn decorrelated_stays_between_base_and_cap(seed: u64, base in 0u64..10_000, extra in 0u64..1_000_000, steps in 1usize..200) {
            let cap = base + extra;
            let mut r = SimRng::new(seed);
            let mut sleep = base;
            for _ in 0..steps {
                let next = decorrelated_jitter(base, cap, sleep, &mut r);
                prop_assert!(next >= base && next <= cap);
                prop_assert!(next <= sleep.saturating_mul(3).max(base));
                sleep = next;
            }
        }

        #[test]
        fn exponential_is_monotone_and_capped(base in 0u64..1_000_000, factor in 1.0f64..4.0, cap: u64, n in 0u32..u32::MAX) {
            let a = exponential(base, factor, cap, n);
            let b = exponential(base, factor, cap, n.saturating_add(1));
            prop_assert!(a <= cap && b <= cap);
            prop_assert!(a <= b);
        }

        #[test]
        fn grpc_is_within_twenty_percent_of_the_capped_base(seed: u64, n in 2u32..u32::MAX) {
            let mut r = SimRng::new(seed);
            let b = exponential(1000, 1.6, 120_000, n - 1) as f64;
            let v = grpc_connection(1000, 1.6, 0.2, 120_000, n, &mut r) as f64;
            prop_assert!(v >= (b * 0.8).round() && v <= (b * 1.2).round());
        }

        #[test]
        fn every_sample_lies_in_its_stated_range(seed: u64, retries in 1u32..40) {
            for p in [Policy::None, Policy::Constant { delay_ms: 7 }, Policy::reference(),
                      Policy::Exponential { base_ms: 3, factor: 1.5, cap_ms: 10_000 },
                      Policy::FullJitter { base_ms: 5, cap_ms: 2000 }, Policy::EqualJitter { base_ms: 5, cap_ms: 2001 },
                      Policy::Decorrelated { base_ms: 5, cap_ms: 2000 }, Policy::grpc()] {
                for row in p.delay_table(retries, seed) {
                    prop_assert!(row.min_ms <= row.sample_ms && row.sample_ms <= row.max_ms, "{:?} {:?}", p, row);
                }
            }
        }

        #[test]
        fn every_policy_is_safe_at_any_attempt(seed: u64, n: u32, prev: u64) {
            let mut r = SimRng::new(seed);
            for p in [Policy::None, Policy::Constant { delay_ms: 7 }, Policy::reference(),
                      Policy::FullJitter { base_ms: 5, cap_ms: 2000 }, Policy::EqualJitter { base_ms: 5, cap_ms: 2000 },
                      Policy::Decorrelated { base_ms: 5, cap_ms: 2000 }, Policy::grpc()] {
                let d = p.delay(n, Some(SimDuration::from_millis(prev)), &mut r).as_millis();
                match p {
                    Policy::FullJitter { .. } | Policy::EqualJitter { .. } | Policy::Decorrelated { .. } => prop_assert!(d <= 2000),
                    Policy::Grpc { .. } => prop_assert!(d <= 144_000),
                    _ => {}
                }
            }
        }
    }
}
