//! The reference `retry(call, onRetry, maxRetries)` executor on the kernel's virtual clock.
//!
//! Semantics reproduced exactly: attempt 0 runs at once; when an attempt fails and fewer than
//! `maxRetries` retries were made, `onRetry` is reported and retry `n` runs after the policy's wait
//! (the reference's is 2^n × 100 ms: 200, 400, 800, 1600 …); when the last retry fails, its error
//! reaches the caller. Generalised to any [`Policy`], an optional max-elapsed deadline, a call
//! latency and `Retry-After` honouring. The outcome is data a sequence diagram is drawn from: one
//! [`AttemptRecord`] per attempt and the `onRetry` log. This module must never read a clock.
//!
//! The gRPC policy runs as grpc/grpc's `doc/connection-backoff.md` (`ConnectWithBackoff`) says:
//! the backoff is measured between attempt *starts*. Each attempt gets a backoff deadline,
//! `start + backoff` (INITIAL_BACKOFF exactly for the first, then the growing, jittered one), and
//! may run until `max(backoff deadline, start + MIN_CONNECT_TIMEOUT)` (20 s by default) before it
//! counts as failed; after a failure the next attempt starts at the backoff deadline
//! (`SleepUntil(current_deadline)`), or at once if that has passed.

use super::policy::{Backoff, Policy, PolicyError};
use crate::sim::{Ctx, Model, SimDuration, SimRng, SimTime, Simulation};
use serde::{Deserialize, Serialize};

/// A flaky API to call. Times are milliseconds since the call began.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FailingApi {
    /// Fails the first `k` calls (503), then succeeds (the reference uses k = 3).
    FailFirst { k: u32 },
    /// Each call fails (503) with probability `p`, independently.
    FailWithProbability { p: f64 },
    /// Down (503) from `from_ms` (inclusive) to `to_ms` (exclusive), up otherwise.
    DownBetween { from_ms: u64, to_ms: u64 },
    /// Over its rate limit until `until_ms`: calls before then get 429 with a `Retry-After` of the
    /// remaining time in whole seconds (as HTTP sends it); calls after succeed.
    RateLimited { until_ms: u64 },
}

/// An error reply of the API: what reaches `onRetry` and, for the last attempt, the caller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub status: u16,
    pub message: String,
    /// `Retry-After`, converted to milliseconds.
    pub retry_after_ms: Option<u64>,
}

impl FailingApi {
    /// The kinds' names as URLs and the CLI spell them.
    pub const KINDS: [&'static str; 4] = ["fail_first", "fail_prob", "down", "rate_limited"];

    /// The reply to the call number `call` (0-based) made at `at_ms` after the call began.
    fn reply(&self, call: u32, at_ms: u64, rng: &mut SimRng) -> Result<(), ApiError> {
        let unavailable = || ApiError { status: 503, message: "Service Unavailable".into(), retry_after_ms: None };
        match *self {
            FailingApi::FailFirst { k } => {
                if call < k {
                    Err(unavailable())
                } else {
                    Ok(())
                }
            }
            FailingApi::FailWithProbability { p } => {
                if rng.bernoulli(p) {
                    Err(unavailable())
                } else {
                    Ok(())
                }
            }
            FailingApi::DownBetween { from_ms, to_ms } => {
                if (from_ms..to_ms).contains(&at_ms) {
                    Err(unavailable())
                } else {
                    Ok(())
                }
            }
            FailingApi::RateLimited { until_ms } => {
                if at_ms < until_ms {
                    let secs = (until_ms - at_ms).div_ceil(1000);
                    Err(ApiError {
                        status: 429,
                        message: "Too Many Requests".into(),
                        retry_after_ms: Some(secs.saturating_mul(1000)),
                    })
                } else {
                    Ok(())
                }
            }
        }
    }
}

/// Everything one retried call needs (serializable: the page keeps it in the URL).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RetryParams {
    pub policy: Policy,
    pub max_retries: u32,
    pub api: FailingApi,
    /// How long each attempt takes before its reply arrives (the reference: 0).
    pub call_latency_ms: u64,
    /// Give up when the next wait would end later than this after the first attempt began.
    pub max_elapsed_ms: Option<u64>,
    /// Wait at least a 429's `Retry-After`.
    pub honour_retry_after: bool,
    pub seed: u64,
}

impl RetryParams {
    /// The reference: `retry(call, onRetry, 4)` with 2^n × 100 ms waits against "fails first 3".
    pub fn reference() -> Self {
        RetryParams {
            policy: Policy::reference(),
            max_retries: 4,
            api: FailingApi::FailFirst { k: 3 },
            call_latency_ms: 0,
            max_elapsed_ms: None,
            honour_retry_after: true,
            seed: 1,
        }
    }
}

/// [`RetryParams`] flattened for a URL query string (`serde_qs` cannot read internally tagged
/// enums): plain names and numbers, converted with [`RetryQuery::to_params`] / `From<&RetryParams>`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RetryQuery {
    /// none, constant, exponential, full_jitter, equal_jitter, decorrelated or grpc.
    pub policy: String,
    /// The base (or constant, or gRPC initial) delay.
    pub base_ms: u64,
    /// 2 when absent (gRPC: 1.6).
    pub factor: Option<f64>,
    /// No cap when absent (gRPC: 120 s).
    pub cap_ms: Option<u64>,
    pub jitter: f64,
    /// gRPC's MIN_CONNECT_TIMEOUT; 20 s when absent.
    pub min_connect_ms: Option<u64>,
    pub max_retries: u32,
    /// fail_first, fail_prob, down or rate_limited.
    pub api: String,
    pub k: u32,
    pub p: f64,
    pub from_ms: u64,
    pub to_ms: u64,
    pub until_ms: u64,
    pub latency_ms: u64,
    pub max_elapsed_ms: Option<u64>,
    pub honour_retry_after: bool,
    pub seed: u64,
}

impl Default for RetryQuery {
    /// The reference call.
    fn default() -> Self {
        RetryQuery::from(&RetryParams::reference())
    }
}

impl From<&RetryParams> for RetryQuery {
    fn from(r: &RetryParams) -> Self {
        let mut q = RetryQuery {
            policy: r.policy.name().to_string(),
            base_ms: 100,
            factor: None,
            cap_ms: None,
            jitter: 0.2,
            min_connect_ms: None,
            max_retries: r.max_retries,
            api: String::new(),
            k: 3,
            p: 0.5,
            from_ms: 0,
            to_ms: 1000,
            until_ms: 2500,
            latency_ms: r.call_latency_ms,
            max_elapsed_ms: r.max_elapsed_ms,
            honour_retry_after: r.honour_retry_after,
            seed: r.seed,
        };
        let cap = |c: u64| if c == u64::MAX { None } else { Some(c) };
        match r.policy {
            Policy::None => {}
            Policy::Constant { delay_ms } => q.base_ms = delay_ms,
            Policy::Exponential { base_ms, factor, cap_ms } => {
                (q.base_ms, q.factor, q.cap_ms) = (base_ms, Some(factor), cap(cap_ms))
            }
            Policy::FullJitter { base_ms, cap_ms }
            | Policy::EqualJitter { base_ms, cap_ms }
            | Policy::Decorrelated { base_ms, cap_ms } => (q.base_ms, q.cap_ms) = (base_ms, cap(cap_ms)),
            Policy::Grpc { initial_ms, multiplier, jitter, max_ms, min_connect_timeout_ms } => {
                q.min_connect_ms = Some(min_connect_timeout_ms);
                (q.base_ms, q.factor, q.jitter, q.cap_ms) = (initial_ms, Some(multiplier), jitter, Some(max_ms))
            }
        }
        q.api = match r.api {
            FailingApi::FailFirst { k } => {
                q.k = k;
                "fail_first"
            }
            FailingApi::FailWithProbability { p } => {
                q.p = p;
                "fail_prob"
            }
            FailingApi::DownBetween { from_ms, to_ms } => {
                (q.from_ms, q.to_ms) = (from_ms, to_ms);
                "down"
            }
            FailingApi::RateLimited { until_ms } => {
                q.until_ms = until_ms;
                "rate_limited"
            }
        }
        .to_string();
        q
    }
}

impl RetryQuery {
    /// The parameters this query names; unknown names are errors that list what is accepted.
    pub fn to_params(&self) -> Result<RetryParams, RetryError> {
        let mut policy = Policy::from_parts(&self.policy, self.base_ms, self.factor, self.cap_ms, self.jitter)?;
        if let Some(ms) = self.min_connect_ms {
            policy = policy.with_min_connect_timeout(ms);
        }
        let api = match self.api.as_str() {
            "fail_first" => FailingApi::FailFirst { k: self.k },
            "fail_prob" => FailingApi::FailWithProbability { p: self.p },
            "down" => FailingApi::DownBetween { from_ms: self.from_ms, to_ms: self.to_ms },
            "rate_limited" => FailingApi::RateLimited { until_ms: self.until_ms },
            other => return Err(RetryError::Api(other.to_string())),
        };
        Ok(RetryParams {
            policy,
            max_retries: self.max_retries,
            api,
            call_latency_ms: self.latency_ms,
            max_elapsed_ms: self.max_elapsed_ms,
            honour_retry_after: self.honour_retry_after,
            seed: self.seed,
        })
    }
}

/// The most retries one call may be asked to make (the schedule is drawn attempt by attempt).
pub const MAX_RETRIES_LIMIT: u32 = 10_000;

/// Why a retry run cannot start.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RetryError {
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error("failure probability {0} is not usable: expected a number in [0, 1]")]
    Probability(f64),
    #[error("outage window {from_ms}..{to_ms} ms is empty or reversed: expected from < to")]
    Window { from_ms: u64, to_ms: u64 },
    #[error("max retries {0} is too many: expected at most {MAX_RETRIES_LIMIT}")]
    MaxRetries(u32),
    #[error("unknown failing API {0:?}: expected one of {names}", names = FailingApi::KINDS.join(", "))]
    Api(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AttemptOutcome {
    Ok,
    Err { error: ApiError },
}

/// One attempt, for the sequence diagram and the table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptRecord {
    /// 0 is the first call; n is retry n.
    pub attempt: u32,
    /// Milliseconds since the call began.
    pub start_ms: u64,
    pub end_ms: u64,
    /// The wait between the previous reply and this attempt (0 for attempt 0).
    pub wait_before_ms: u64,
    pub outcome: AttemptOutcome,
    /// gRPC only: `start + backoff`, when the next attempt may start at the earliest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_deadline_ms: Option<u64>,
    /// gRPC only: how long this attempt may run, `max(backoff deadline, start +
    /// MIN_CONNECT_TIMEOUT)`; an attempt still unanswered then fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_deadline_ms: Option<u64>,
}

/// An `onRetry` report: made when a retry is decided, before its wait.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnRetry {
    pub at_ms: u64,
    /// The retry about to be made (1-based).
    pub retry: u32,
    pub error: ApiError,
    pub wait_ms: u64,
}

/// Why a call stopped retrying.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GiveUp {
    /// `maxRetries` retries were made and the last one failed.
    RetriesExhausted,
    /// The next wait would pass the max-elapsed deadline.
    Deadline,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CallResult {
    Succeeded {
        attempt: u32,
        at_ms: u64,
    },
    /// The last attempt's error reaches the caller.
    Failed {
        error: ApiError,
        at_ms: u64,
        reason: GiveUp,
    },
}

/// The whole story of one retried call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetrySchedule {
    pub attempts: Vec<AttemptRecord>,
    pub on_retry: Vec<OnRetry>,
    pub result: CallResult,
}

impl RetrySchedule {
    /// The waits between attempts, in order.
    pub fn waits(&self) -> Vec<u64> {
        self.on_retry.iter().map(|r| r.wait_ms).collect()
    }
}

#[derive(Clone, Debug)]
pub enum RetryEvent {
    Send { attempt: u32, wait_before_ms: u64 },
    Reply { attempt: u32, reply: Result<(), ApiError> },
}

/// The executor as a kernel model, so the page can step it event by event.
pub struct RetryModel {
    params: RetryParams,
    backoff: Backoff,
    api_rng: SimRng,
    policy_rng: SimRng,
    start: SimTime,
    attempts: Vec<AttemptRecord>,
    on_retry: Vec<OnRetry>,
    result: Option<CallResult>,
    /// gRPC: the current attempt's backoff deadline (ms since the call began).
    backoff_deadline_ms: Option<u64>,
}

impl RetryModel {
    pub fn attempts(&self) -> &[AttemptRecord] {
        &self.attempts
    }
    pub fn on_retry(&self) -> &[OnRetry] {
        &self.on_retry
    }
    /// `None` while the call is still in progress.
    pub fn result(&self) -> Option<&CallResult> {
        self.result.as_ref()
    }
}

impl Model for RetryModel {
    type Event = RetryEvent;

    fn handle(&mut self, ctx: &mut Ctx<'_, RetryEvent>, event: RetryEvent) {
        let at_ms = (ctx.now() - self.start).as_millis();
        match event {
            RetryEvent::Send { attempt, wait_before_ms } => {
                let mut reply = self.params.api.reply(attempt, at_ms, &mut self.api_rng);
                let mut end_ms = at_ms.saturating_add(self.params.call_latency_ms);
                // gRPC: this attempt's backoff deadline and how long it may run.
                let (backoff_deadline_ms, connect_deadline_ms) = match self.params.policy.min_connect_timeout_ms() {
                    Some(min_connect) => {
                        let backoff = self.params.policy.delay(attempt.saturating_add(1), None, &mut self.policy_rng);
                        let deadline = at_ms.saturating_add(backoff.as_millis());
                        (Some(deadline), Some(deadline.max(at_ms.saturating_add(min_connect))))
                    }
                    None => (None, None),
                };
                self.backoff_deadline_ms = backoff_deadline_ms;
                if let Some(cd) = connect_deadline_ms.filter(|cd| end_ms > *cd) {
                    end_ms = cd;
                    reply = Err(ApiError {
                        status: 504,
                        message: "Connect deadline exceeded".into(),
                        retry_after_ms: None,
                    });
                }
                let outcome = match &reply {
                    Ok(()) => AttemptOutcome::Ok,
                    Err(error) => AttemptOutcome::Err { error: error.clone() },
                };
                self.attempts.push(AttemptRecord {
                    attempt,
                    start_ms: at_ms,
                    end_ms,
                    wait_before_ms,
                    outcome,
                    backoff_deadline_ms,
                    connect_deadline_ms,
                });
                ctx.schedule_in(SimDuration::from_millis(end_ms - at_ms), RetryEvent::Reply { attempt, reply });
            }
            RetryEvent::Reply { attempt, reply: Ok(()) } => {
                self.result = Some(CallResult::Succeeded { attempt, at_ms });
            }
            RetryEvent::Reply { attempt, reply: Err(error) } => {
                if attempt >= self.params.max_retries {
                    self.result = Some(CallResult::Failed { error, at_ms, reason: GiveUp::RetriesExhausted });
                    return;
                }
                // gRPC sleeps until the failed attempt's backoff deadline; the others wait the
                // policy's delay from the failure.
                let next = match self.backoff_deadline_ms {
                    Some(deadline) => {
                        let wait = deadline.saturating_sub(at_ms);
                        self.params
                            .max_elapsed_ms
                            .is_none_or(|d| at_ms.saturating_add(wait) <= d)
                            .then_some(SimDuration::from_millis(wait))
                    }
                    None => self.backoff.next_delay(SimDuration::from_millis(at_ms), &mut self.policy_rng),
                };
                let Some(mut wait) = next else {
                    self.result = Some(CallResult::Failed { error, at_ms, reason: GiveUp::Deadline });
                    return;
                };
                if self.params.honour_retry_after {
                    if let Some(ra) = error.retry_after_ms {
                        wait = wait.max(SimDuration::from_millis(ra));
                        // A Retry-After longer than the backoff must not carry the call past its
                        // deadline either.
                        if self.params.max_elapsed_ms.is_some_and(|d| at_ms.saturating_add(wait.as_millis()) > d) {
                            self.result = Some(CallResult::Failed { error, at_ms, reason: GiveUp::Deadline });
                            return;
                        }
                    }
                }
                let retry = attempt + 1;
                self.on_retry.push(OnRetry { at_ms, retry, error, wait_ms: wait.as_millis() });
                ctx.schedule_in(wait, RetryEvent::Send { attempt: retry, wait_before_ms: wait.as_millis() });
            }
        }
    }

    fn describe(&self, event: &RetryEvent) -> (String, String) {
        match event {
            RetryEvent::Send { attempt, wait_before_ms } => {
                ("client".into(), format!("attempt {attempt} after waiting {wait_before_ms} ms"))
            }
            RetryEvent::Reply { attempt, reply: Ok(()) } => ("api".into(), format!("attempt {attempt}: ok")),
            RetryEvent::Reply { attempt, reply: Err(e) } => {
                ("api".into(), format!("attempt {attempt}: {} {}", e.status, e.message))
            }
        }
    }
}

/// A retried call ready to run: the kernel simulation with attempt 0 scheduled at once.
pub fn simulation(params: RetryParams) -> Result<Simulation<RetryModel>, RetryError> {
    params.policy.validate()?;
    if params.max_retries > MAX_RETRIES_LIMIT {
        return Err(RetryError::MaxRetries(params.max_retries));
    }
    match params.api {
        FailingApi::FailWithProbability { p } if !(0.0..=1.0).contains(&p) => return Err(RetryError::Probability(p)),
        FailingApi::DownBetween { from_ms, to_ms } if from_ms >= to_ms => {
            return Err(RetryError::Window { from_ms, to_ms })
        }
        _ => {}
    }
    let root = SimRng::new(params.seed);
    let backoff =
        Backoff::new(params.policy.clone()).with_max_elapsed(params.max_elapsed_ms.map(SimDuration::from_millis));
    let model = RetryModel {
        backoff,
        api_rng: root.child("api"),
        policy_rng: root.child("policy"),
        start: SimTime::ZERO,
        attempts: Vec::new(),
        on_retry: Vec::new(),
        result: None,
        backoff_deadline_ms: None,
        params,
    };
    let mut sim = Simulation::new(model, SimTime::ZERO);
    sim.trace_mut().set_enabled(true);
    sim.schedule_at(SimTime::ZERO, RetryEvent::Send { attempt: 0, wait_before_ms: 0 });
    Ok(sim)
}

/// Runs a retried call to its end and returns its schedule.
pub fn run(params: RetryParams) -> Result<RetrySchedule, RetryError> {
    let mut sim = simulation(params)?;
    while sim.model.result.is_none() && sim.step() {}
    let m = sim.model;
    let result = m.result.expect("the executor always ends: every reply either succeeds, retries or gives up");
    Ok(RetrySchedule { attempts: m.attempts, on_retry: m.on_retry, result })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(s: &RetrySchedule) -> String {
        let mut out = String::new();
        for a in &s.attempts {
            let o = match &a.outcome {
                AttemptOutcome::Ok => "ok".to_string(),
                AttemptOutcome::Err { error } => format!("{} {}", error.status, error.message),
            };
            out.push_str(&format!("#{} start {} wait {}: {}\n", a.attempt, a.start_ms, a.wait_before_ms, o));
        }
        out.push_str(&format!("{:?}\n", s.result));
        out
    }

    #[test]
    fn reference_fail_first_3_succeeds_on_the_fourth_attempt() {
        let s = run(RetryParams::reference()).unwrap();
        assert_eq!(s.waits(), vec![200, 400, 800]);
        assert_eq!(s.result, CallResult::Succeeded { attempt: 3, at_ms: 1400 });
        expect_test::expect![[r#"
            #0 start 0 wait 0: 503 Service Unavailable
            #1 start 200 wait 200: 503 Service Unavailable
            #2 start 600 wait 400: 503 Service Unavailable
            #3 start 1400 wait 800: ok
            Succeeded { attempt: 3, at_ms: 1400 }
        "#]]
        .assert_eq(&show(&s));
    }

    #[test]
    fn reference_fail_first_5_gives_the_last_error_after_four_waits() {
        let s = run(RetryParams { api: FailingApi::FailFirst { k: 5 }, ..RetryParams::reference() }).unwrap();
        assert_eq!(s.waits(), vec![200, 400, 800, 1600]);
        assert_eq!(s.attempts.len(), 5);
        assert_eq!(s.on_retry.iter().map(|r| r.retry).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
        match &s.result {
            CallResult::Failed { error, at_ms, reason } => {
                assert_eq!((error.status, *at_ms, *reason), (503, 3000, GiveUp::RetriesExhausted));
            }
            other => panic!("expected failure, got {other:?}"),
        }
    }

    #[test]
    fn retry_after_is_honoured_when_longer_than_the_backoff() {
        let p = RetryParams { api: FailingApi::RateLimited { until_ms: 2500 }, ..RetryParams::reference() };
        let s = run(p.clone()).unwrap();
        assert_eq!(s.waits(), vec![3000]);
        assert_eq!(s.result, CallResult::Succeeded { attempt: 1, at_ms: 3000 });
        let s = run(RetryParams { honour_retry_after: false, ..p }).unwrap();
        assert_eq!(s.waits(), vec![200, 400, 800, 1600]);
        assert!(matches!(s.result, CallResult::Succeeded { attempt: 4, at_ms: 3000 }));
    }

    #[test]
    fn outage_window_and_deadline() {
        let p = RetryParams { api: FailingApi::DownBetween { from_ms: 0, to_ms: 1000 }, ..RetryParams::reference() };
        assert_eq!(run(p.clone()).unwrap().result, CallResult::Succeeded { attempt: 3, at_ms: 1400 });
        let s = run(RetryParams { max_elapsed_ms: Some(1000), ..p }).unwrap();
        assert_eq!(s.waits(), vec![200, 400]);
        assert!(matches!(s.result, CallResult::Failed { reason: GiveUp::Deadline, at_ms: 600, .. }));
    }

    #[test]
    fn retry_after_past_the_deadline_gives_up_at_once() {
        let p = RetryParams {
            api: FailingApi::RateLimited { until_ms: 2500 },
            max_elapsed_ms: Some(2000),
            ..RetryParams::reference()
        };
        let s = run(p.clone()).unwrap();
        assert!(s.waits().is_empty(), "a 3 s Retry-After would end after the 2 s deadline");
        assert!(matches!(s.result, CallResult::Failed { reason: GiveUp::Deadline, at_ms: 0, .. }));
        // Within the deadline it is honoured as before.
        let s = run(RetryParams { max_elapsed_ms: Some(3000), ..p }).unwrap();
        assert_eq!(s.waits(), vec![3000]);
        assert_eq!(s.result, CallResult::Succeeded { attempt: 1, at_ms: 3000 });
    }

    #[test]
    fn latency_shifts_every_start() {
        let s = run(RetryParams { call_latency_ms: 50, ..RetryParams::reference() }).unwrap();
        let starts: Vec<u64> = s.attempts.iter().map(|a| a.start_ms).collect();
        assert_eq!(starts, vec![0, 250, 700, 1550]);
    }

    /// grpc/grpc doc/connection-backoff.md, `ConnectWithBackoff`: `SleepUntil(current_deadline)`
    /// — the backoff runs from one attempt's start to the next one's, so a slow failure eats
    /// into the wait instead of adding to it; the first deadline is INITIAL_BACKOFF exactly.
    #[test]
    fn grpc_backoff_runs_between_attempt_starts() {
        let p = RetryParams { policy: Policy::grpc(), call_latency_ms: 300, ..RetryParams::reference() };
        let s = run(p).unwrap();
        let starts: Vec<u64> = s.attempts.iter().map(|a| a.start_ms).collect();
        assert_eq!(starts[1], 1000, "the first deadline is 1 s after the first start, not after its failure");
        assert_eq!(s.attempts[0].wait_before_ms, 0);
        assert_eq!(s.attempts[1].wait_before_ms, 700);
        for w in s.attempts.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            assert_eq!(Some(b.start_ms), a.backoff_deadline_ms, "{:?}", s.attempts);
        }
        // 1.6 s ± 20 % after the second start, and so on.
        let gap = starts[2] - starts[1];
        assert!((1280..=1920).contains(&gap), "{gap}");
        assert_eq!(s.result, CallResult::Succeeded { attempt: 3, at_ms: starts[3] + 300 });
    }

    /// `TryConnect(Max(current_deadline, now() + MIN_CONNECT_TIMEOUT))`: an attempt may run 20 s
    /// even when the backoff is 1 s; one that takes longer fails at that deadline, and the next
    /// starts at once (its backoff deadline has long passed).
    #[test]
    fn grpc_attempts_get_at_least_the_min_connect_timeout() {
        let s = run(RetryParams {
            policy: Policy::grpc(),
            call_latency_ms: 25_000,
            max_retries: 2,
            api: FailingApi::FailFirst { k: 0 },
            ..RetryParams::reference()
        })
        .unwrap();
        let a = &s.attempts[0];
        assert_eq!((a.backoff_deadline_ms, a.connect_deadline_ms), (Some(1_000), Some(20_000)));
        assert_eq!(a.end_ms, 20_000);
        assert!(matches!(&a.outcome, AttemptOutcome::Err { error } if error.status == 504));
        assert_eq!(s.attempts[1].start_ms, 20_000);
        assert_eq!(s.attempts[1].wait_before_ms, 0);
        // With a backoff longer than 20 s the backoff deadline is the connect deadline.
        let s = run(RetryParams {
            policy: Policy::grpc().with_min_connect_timeout(20_000),
            call_latency_ms: 25_000,
            ..RetryParams::reference()
        })
        .unwrap();
        assert_eq!(s.attempts[0].connect_deadline_ms, Some(20_000));
        let long = Policy::Grpc {
            initial_ms: 30_000,
            multiplier: 1.6,
            jitter: 0.2,
            max_ms: 120_000,
            min_connect_timeout_ms: 20_000,
        };
        let s = run(RetryParams { policy: long, call_latency_ms: 25_000, ..RetryParams::reference() }).unwrap();
        let a = &s.attempts[0];
        assert_eq!((a.connect_deadline_ms, a.end_ms), (Some(30_000), 25_000));
        assert_eq!(s.attempts[1].start_ms, 30_000);
    }

    #[test]
    fn bad_parameters_are_named_not_panicked_on() {
        let e = run(RetryParams { api: FailingApi::FailWithProbability { p: 1.5 }, ..RetryParams::reference() });
        assert_eq!(e.unwrap_err().to_string(), "failure probability 1.5 is not usable: expected a number in [0, 1]");
        let e = run(RetryParams { api: FailingApi::DownBetween { from_ms: 5, to_ms: 5 }, ..RetryParams::reference() });
        assert!(matches!(e, Err(RetryError::Window { .. })));
        let e = run(RetryParams { max_retries: u32::MAX, ..RetryParams::reference() });
        assert!(matches!(e, Err(RetryError::MaxRetries(u32::MAX))));
    }

    #[test]
    fn params_round_trip_through_a_query_string() {
        let cases = [
            RetryParams::reference(),
            RetryParams {
                policy: Policy::grpc(),
                api: FailingApi::FailWithProbability { p: 0.25 },
                ..RetryParams::reference()
            },
            RetryParams {
                policy: Policy::Decorrelated { base_ms: 50, cap_ms: 3000 },
                api: FailingApi::DownBetween { from_ms: 100, to_ms: 900 },
                max_elapsed_ms: Some(5000),
                ..RetryParams::reference()
            },
            RetryParams {
                policy: Policy::Constant { delay_ms: 70 },
                api: FailingApi::RateLimited { until_ms: 4000 },
                ..RetryParams::reference()
            },
        ];
        for p in cases {
            let q = serde_qs::to_string(&RetryQuery::from(&p)).unwrap();
            let back: RetryQuery = serde_qs::from_str(&q).unwrap();
            assert_eq!(back.to_params().unwrap(), p, "{q}");
        }
        let partial: RetryQuery = serde_qs::from_str("policy=full_jitter&cap_ms=800").unwrap();
        assert_eq!(partial.to_params().unwrap().policy, Policy::FullJitter { base_ms: 100, cap_ms: 800 });
        let bad: RetryQuery = serde_qs::from_str("api=flaky").unwrap();
        assert_eq!(
            bad.to_params().unwrap_err().to_string(),
            "unknown failing API \"flaky\": expected one of fail_first, fail_prob, down, rate_limited"
        );
    }

    #[test]
    fn probabilistic_api_replays_from_its_seed() {
        let p = RetryParams {
            api: FailingApi::FailWithProbability { p: 0.6 },
            policy: Policy::FullJitter { base_ms: 100, cap_ms: 10_000 },
            max_retries: 8,
            seed: 11,
            ..RetryParams::reference()
        };
        let a = simulation(p.clone()).unwrap();
        let mut a = a;
        while a.step() {}
        let mut b = simulation(p).unwrap();
        while b.step() {}
        assert_eq!(a.trace().to_text(), b.trace().to_text());
        assert!(a.model.result().is_some());
    }
}
