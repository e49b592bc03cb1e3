//! Thundering herd: M clients against a server of capacity C requests/s that fails at t1 and
//! recovers at t2, run on the kernel (`crate::sim::Simulation`) once per retry strategy, with and
//! without a retry limiter per client (a Finagle-style budget, or gRPC retry throttling). The output is requests/s over time: data for a
//! chart of how each strategy piles retries onto a recovering server.
//!
//! Model. Each client loops: send a request; on a failure, retry under the strategy (base, cap, at
//! most `max_retries` retries, and — with a limiter — only if the limiter allows it); after a success or
//! giving up, think for `think_ms`, then send the next request. Clients start at a random phase
//! within the first think period. A request reaches the server after rtt/2 and is answered after
//! another rtt/2. The server rejects everything during [t1, t2) and, otherwise, every request
//! beyond C in the current whole second (a fixed-window capacity). This module must never read a
//! clock.

use super::contention::Strategy;
use super::limiter::{BudgetParams, LimiterError, RetryBudget, RetryThrottle, ThrottleParams};
use super::policy::{decorrelated_jitter, equal_jitter, expo, full_jitter};
use crate::sim::{Ctx, Model, SimDuration, SimRng, SimTime, Simulation};
use serde::{Deserialize, Serialize};

/// Parameters of the herd (serializable: the page keeps them in its URL).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HerdParams {
    /// M.
    pub clients: u32,
    /// C, requests per second the server can answer.
    pub capacity_rps: u32,
    /// t1: the server starts failing.
    pub fail_at_ms: u64,
    /// t2: the server recovers.
    pub recover_at_ms: u64,
    pub duration_ms: u64,
    /// A client's pause between one request's end and the next request.
    pub think_ms: u64,
    pub rtt_ms: u64,
    pub max_retries: u32,
    pub base_ms: u64,
    pub cap_ms: u64,
    /// The per-client budget used by the "with budget" series. Finagle's default reserve (10
    /// retries/s) would dwarf one client's ~1 request/s, so the herd's budget has none: each
    /// client earns its retries from its own requests (20 % of them).
    pub budget: BudgetParams,
    /// The per-client gRPC retry throttle used by the "throttle" series.
    pub throttle: ThrottleParams,
    /// Width of a chart bucket (1000: requests per second).
    pub bucket_ms: u64,
    pub seed: u64,
}

impl Default for HerdParams {
    fn default() -> Self {
        HerdParams {
            clients: 500,
            capacity_rps: 600,
            fail_at_ms: 10_000,
            recover_at_ms: 20_000,
            duration_ms: 60_000,
            think_ms: 1000,
            rtt_ms: 20,
            max_retries: 6,
            base_ms: 100,
            cap_ms: 10_000,
            budget: BudgetParams { ttl_ms: 10_000, min_retries_per_sec: 0, percent_can_retry: 0.2 },
            throttle: ThrottleParams::default(),
            bucket_ms: 1000,
            seed: 1,
        }
    }
}

/// A run keeps at most this many chart buckets per series (an hour in 1 s buckets fits).
pub const MAX_HERD_BUCKETS: u64 = 10_000;

/// Errors a user can cause with herd parameters.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum HerdError {
    #[error("{0} clients is not usable: expected 1 to 100000")]
    Clients(u32),
    #[error("capacity {0} requests/s is not usable: expected at least 1")]
    Capacity(u32),
    #[error("outage {fail_at_ms}..{recover_at_ms} ms is reversed: expected t1 ≤ t2")]
    Outage { fail_at_ms: u64, recover_at_ms: u64 },
    #[error("duration {0} ms is not usable: expected 1 ms to 3600000 ms")]
    Duration(u64),
    #[error("bucket {0} ms is not usable: expected 1 ms to the duration")]
    Bucket(u64),
    #[error(
        "{duration_ms} ms in buckets of {bucket_ms} ms would be {buckets} buckets: expected at most {MAX_HERD_BUCKETS} (raise the bucket)"
    )]
    Buckets { duration_ms: u64, bucket_ms: u64, buckets: u64 },
    #[error("cap {cap_ms} ms is below base {base_ms} ms: expected cap ≥ base")]
    CapBelowBase { base_ms: u64, cap_ms: u64 },
    #[error(transparent)]
    Budget(#[from] LimiterError),
}

impl HerdParams {
    fn validate(&self) -> Result<(), HerdError> {
        if self.clients == 0 || self.clients > 100_000 {
            return Err(HerdError::Clients(self.clients));
        }
        if self.capacity_rps == 0 {
            return Err(HerdError::Capacity(self.capacity_rps));
        }
        if self.fail_at_ms > self.recover_at_ms {
            return Err(HerdError::Outage { fail_at_ms: self.fail_at_ms, recover_at_ms: self.recover_at_ms });
        }
        if self.duration_ms == 0 || self.duration_ms > 3_600_000 {
            return Err(HerdError::Duration(self.duration_ms));
        }
        if self.bucket_ms == 0 || self.bucket_ms > self.duration_ms {
            return Err(HerdError::Bucket(self.bucket_ms));
        }
        let buckets = self.duration_ms.div_ceil(self.bucket_ms);
        if buckets > MAX_HERD_BUCKETS {
            return Err(HerdError::Buckets { duration_ms: self.duration_ms, bucket_ms: self.bucket_ms, buckets });
        }
        if self.cap_ms < self.base_ms {
            return Err(HerdError::CapBelowBase { base_ms: self.base_ms, cap_ms: self.cap_ms });
        }
        RetryBudget::new(self.budget, SimTime::ZERO)?;
        RetryThrottle::new(self.throttle)?;
        Ok(())
    }
}

/// One chart bucket.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HerdBucket {
    pub start_ms: u64,
    /// Requests that reached the server (first tries + retries).
    pub requests: u64,
    pub retries: u64,
    pub successes: u64,
    pub rejected: u64,
    /// Retries the limiter refused (the client gave up on that request instead).
    pub denied_by_limiter: u64,
    /// Requests abandoned after `max_retries` retries.
    pub gave_up: u64,
}

/// What may stop a client's retry besides `max_retries`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HerdLimiter {
    None,
    /// A Finagle-style [`RetryBudget`] per client ([`HerdParams::budget`]).
    Budget,
    /// gRPC retry throttling per client ([`HerdParams::throttle`]).
    Throttle,
}

impl HerdLimiter {
    pub fn name(self) -> &'static str {
        match self {
            HerdLimiter::None => "none",
            HerdLimiter::Budget => "budget",
            HerdLimiter::Throttle => "throttle",
        }
    }
}

#[derive(Clone, Debug)]
enum ClientLimiter {
    None,
    Budget(RetryBudget),
    Throttle(RetryThrottle),
}

/// One line of the chart: a strategy under a limiter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HerdSeries {
    pub strategy: Strategy,
    pub limiter: HerdLimiter,
    pub buckets: Vec<HerdBucket>,
}

impl HerdSeries {
    pub fn total(&self, f: impl Fn(&HerdBucket) -> u64) -> u64 {
        self.buckets.iter().map(f).sum()
    }
    /// The busiest bucket's requests.
    pub fn peak_requests(&self) -> u64 {
        self.buckets.iter().map(|b| b.requests).max().unwrap_or(0)
    }
}

#[derive(Clone, Debug)]
struct HerdClient {
    rng: SimRng,
    limiter: ClientLimiter,
    /// Retries made for the current request.
    retries: u32,
    /// Decorrelated jitter's previous sleep.
    sleep_ms: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HerdEvent {
    /// A client's request reaches the server.
    Arrive { client: u32, retry: bool },
    /// The server's answer reaches the client.
    Reply { client: u32, ok: bool },
    /// A client starts its next request.
    Start { client: u32 },
}

/// The herd as a kernel model (step it, or let [`run`] finish it).
pub struct HerdModel {
    params: HerdParams,
    strategy: Strategy,
    clients: Vec<HerdClient>,
    /// (whole second, requests admitted in it).
    window: (u64, u32),
    buckets: Vec<HerdBucket>,
    start: SimTime,
}

impl HerdModel {
    pub fn buckets(&self) -> &[HerdBucket] {
        &self.buckets
    }

    fn bucket(&mut self, now: SimTime) -> Option<&mut HerdBucket> {
        let i = ((now - self.start).as_millis() / self.params.bucket_ms) as usize;
        self.buckets.get_mut(i)
    }

    fn backoff_ms(&mut self, c: usize) -> u64 {
        let (base, cap) = (self.params.base_ms, self.params.cap_ms);
        let cl = &mut self.clients[c];
        let n = cl.retries;
        match self.strategy {
            Strategy::None => 0,
            Strategy::Exponential => expo(base, cap, n),
            Strategy::FullJitter => full_jitter(base, cap, n, &mut cl.rng),
            Strategy::EqualJitter => equal_jitter(base, cap, n, &mut cl.rng),
            Strategy::Decorrelated => {
                cl.sleep_ms = decorrelated_jitter(base, cap, cl.sleep_ms, &mut cl.rng);
                cl.sleep_ms
            }
        }
    }

    fn half_rtt(&self) -> SimDuration {
        SimDuration::from_millis(self.params.rtt_ms / 2)
    }
}

impl Model for HerdModel {
    type Event = HerdEvent;

    fn handle(&mut self, ctx: &mut Ctx<'_, HerdEvent>, event: HerdEvent) {
        let now = ctx.now();
        let rel = (now - self.start).as_millis();
        match event {
            HerdEvent::Start { client } => {
                let cl = &mut self.clients[client as usize];
                cl.retries = 0;
                cl.sleep_ms = self.params.base_ms;
                if let ClientLimiter::Budget(b) = &mut cl.limiter {
                    b.deposit(now);
                }
                ctx.schedule_in(self.half_rtt(), HerdEvent::Arrive { client, retry: false });
            }
            HerdEvent::Arrive { client, retry } => {
                let down = (self.params.fail_at_ms..self.params.recover_at_ms).contains(&rel);
                let second = rel / 1000;
                if self.window.0 != second {
                    self.window = (second, 0);
                }
                let ok = !down && self.window.1 < self.params.capacity_rps;
                if ok {
                    self.window.1 += 1;
                }
                if let Some(b) = self.bucket(now) {
                    b.requests += 1;
                    b.retries += u64::from(retry);
                    b.successes += u64::from(ok);
                    b.rejected += u64::from(!ok);
                }
                ctx.schedule_in(self.half_rtt(), HerdEvent::Reply { client, ok });
            }
            HerdEvent::Reply { client, ok } => {
                let c = client as usize;
                let think = SimDuration::from_millis(self.params.think_ms);
                if let ClientLimiter::Throttle(t) = &mut self.clients[c].limiter {
                    if ok {
                        t.on_success()
                    } else {
                        t.on_failure()
                    }
                }
                if ok {
                    ctx.schedule_in(think, HerdEvent::Start { client });
                    return;
                }
                if self.clients[c].retries >= self.params.max_retries {
                    if let Some(b) = self.bucket(now) {
                        b.gave_up += 1;
                    }
                    ctx.schedule_in(think, HerdEvent::Start { client });
                    return;
                }
                let allowed = match &mut self.clients[c].limiter {
                    ClientLimiter::None => true,
                    ClientLimiter::Budget(b) => b.try_withdraw(now),
                    ClientLimiter::Throttle(t) => t.retry_allowed(),
                };
                if !allowed {
                    if let Some(b) = self.bucket(now) {
                        b.denied_by_limiter += 1;
                    }
                    ctx.schedule_in(think, HerdEvent::Start { client });
                    return;
                }
                self.clients[c].retries += 1;
                let wait = SimDuration::from_millis(self.backoff_ms(c));
                ctx.schedule_in(wait + self.half_rtt(), HerdEvent::Arrive { client, retry: true });
            }
        }
    }

    fn describe(&self, event: &HerdEvent) -> (String, String) {
        match *event {
            HerdEvent::Start { client } => (format!("client{client}"), "start request".into()),
            HerdEvent::Arrive { client, retry } => {
                ("server".into(), format!("request from client{client}{}", if retry { " (retry)" } else { "" }))
            }
            HerdEvent::Reply { client, ok } => (format!("client{client}"), if ok { "ok" } else { "rejected" }.into()),
        }
    }
}

/// The herd for one strategy, ready to step; its clock starts at 0.
pub fn simulation(
    params: &HerdParams,
    strategy: Strategy,
    limiter: HerdLimiter,
) -> Result<Simulation<HerdModel>, HerdError> {
    params.validate()?;
    let root = SimRng::new(params.seed).child(strategy.name());
    let n_buckets = params.duration_ms.div_ceil(params.bucket_ms) as usize;
    let buckets =
        (0..n_buckets as u64).map(|i| HerdBucket { start_ms: i * params.bucket_ms, ..HerdBucket::default() }).collect();
    let mut clients = Vec::with_capacity(params.clients as usize);
    let mut starts = Vec::with_capacity(params.clients as usize);
    for i in 0..params.clients {
        // Phases come from a stream shared by every strategy, so all series see the same start.
        let phase = SimRng::new(params.seed).child_indexed("phase", u64::from(i)).below(params.think_ms.max(1));
        starts.push(phase);
        let limiter = match limiter {
            HerdLimiter::None => ClientLimiter::None,
            HerdLimiter::Budget => ClientLimiter::Budget(RetryBudget::new(params.budget, SimTime::ZERO)?),
            HerdLimiter::Throttle => ClientLimiter::Throttle(RetryThrottle::new(params.throttle)?),
        };
        clients.push(HerdClient {
            rng: root.child_indexed("client", u64::from(i)),
            limiter,
            retries: 0,
            sleep_ms: params.base_ms,
        });
    }
    let model = HerdModel { params: params.clone(), strategy, clients, window: (0, 0), buckets, start: SimTime::ZERO };
    let mut sim = Simulation::new(model, SimTime::ZERO);
    for (i, at) in starts.into_iter().enumerate() {
        sim.schedule_at(SimTime::from_unix_ms(at), HerdEvent::Start { client: i as u32 });
    }
    Ok(sim)
}

/// Runs one series to the end of the duration.
pub fn run(params: &HerdParams, strategy: Strategy, limiter: HerdLimiter) -> Result<HerdSeries, HerdError> {
    let mut sim = simulation(params, strategy, limiter)?;
    sim.run_until(SimTime::from_unix_ms(params.duration_ms));
    Ok(HerdSeries { strategy, limiter, buckets: sim.model.buckets })
}

/// Every strategy under each of `limiters` (strategy-major): with `[None, Budget]`, the chart's
/// ten lines "with and without a retry budget".
pub fn run_all(params: &HerdParams, limiters: &[HerdLimiter]) -> Result<Vec<HerdSeries>, HerdError> {
    let mut out = Vec::new();
    for s in Strategy::ALL {
        for l in limiters {
            out.push(run(params, s, *l)?);
        }
    }
    Ok(out)
}

/// Every series' buckets as CSV, one row per (bucket, strategy, limiter):
/// `start_ms,strategy,limiter,requests,retries,successes,rejected,denied_by_limiter,gave_up`.
pub fn herd_csv(series: &[HerdSeries]) -> String {
    let mut s =
        String::from("start_ms,strategy,limiter,requests,retries,successes,rejected,denied_by_limiter,gave_up\n");
    for sr in series {
        for b in &sr.buckets {
            s.push_str(&format!(
                "{},{},{},{},{},{},{},{},{}\n",
                b.start_ms,
                sr.strategy.name(),
                sr.limiter.name(),
                b.requests,
                b.retries,
                b.successes,
                b.rejected,
                b.denied_by_limiter,
                b.gave_up
            ));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> HerdParams {
        HerdParams {
            clients: 100,
            capacity_rps: 120,
            fail_at_ms: 5_000,
            recover_at_ms: 10_000,
            duration_ms: 30_000,
            ..HerdParams::default()
        }
    }

    #[test]
    fn a_healthy_server_answers_everyone_about_once_a_second() {
        let p = HerdParams { fail_at_ms: 0, recover_at_ms: 0, ..small() };
        let s = run(&p, Strategy::FullJitter, HerdLimiter::None).unwrap();
        assert_eq!(s.total(|b| b.rejected), 0);
        assert_eq!(s.total(|b| b.retries), 0);
        // 100 clients, a request every think (1 s) + rtt (20 ms).
        let mid = &s.buckets[10];
        assert!((90..=100).contains(&mid.requests), "{mid:?}");
    }

    #[test]
    fn outage_rejects_everything_and_retries_pile_up_without_jitter_or_budget() {
        let p = small();
        let none = run(&p, Strategy::None, HerdLimiter::None).unwrap();
        for b in &none.buckets[5..10] {
            assert_eq!(b.successes, 0, "{b:?}");
        }
        let budgeted = run(&p, Strategy::None, HerdLimiter::Budget).unwrap();
        assert!(none.total(|b| b.retries) > 3 * budgeted.total(|b| b.retries));
        assert!(budgeted.total(|b| b.denied_by_limiter) > 0);
        let throttled = run(&p, Strategy::None, HerdLimiter::Throttle).unwrap();
        assert!(none.total(|b| b.retries) > 3 * throttled.total(|b| b.retries));
        assert!(throttled.total(|b| b.denied_by_limiter) > 0);
        let full = run(&p, Strategy::FullJitter, HerdLimiter::None).unwrap();
        assert!(none.peak_requests() > full.peak_requests());
    }

    #[test]
    fn all_series_are_deterministic_and_named() {
        let p = HerdParams { clients: 30, duration_ms: 15_000, ..small() };
        let both = [HerdLimiter::None, HerdLimiter::Budget];
        let a = run_all(&p, &both).unwrap();
        assert_eq!(a, run_all(&p, &both).unwrap());
        assert_eq!(a.len(), 10);
        assert_eq!((a[0].limiter, a[1].limiter), (HerdLimiter::None, HerdLimiter::Budget));
        assert_eq!(a[0].buckets.len(), 15);
    }

    #[test]
    fn params_round_trip_through_a_query_string() {
        let p = HerdParams { clients: 42, recover_at_ms: 12_345, ..HerdParams::default() };
        let back: HerdParams = serde_qs::from_str(&serde_qs::to_string(&p).unwrap()).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn bad_parameters_are_named() {
        let e = run(&HerdParams { fail_at_ms: 9, recover_at_ms: 3, ..small() }, Strategy::None, HerdLimiter::None)
            .unwrap_err();
        assert_eq!(e.to_string(), "outage 9..3 ms is reversed: expected t1 ≤ t2");
        assert!(matches!(
            run(&HerdParams { clients: 0, ..small() }, Strategy::None, HerdLimiter::None),
            Err(HerdError::Clients(0))
        ));
        assert!(matches!(
            run(&HerdParams { bucket_ms: 0, ..small() }, Strategy::None, HerdLimiter::None),
            Err(HerdError::Bucket(0))
        ));
        // What the run would keep is checked before it runs: an hour in 1 ms buckets is refused.
        let e = run(&HerdParams { duration_ms: 3_600_000, bucket_ms: 1, ..small() }, Strategy::None, HerdLimiter::None)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "3600000 ms in buckets of 1 ms would be 3600000 buckets: expected at most 10000 (raise the bucket)"
        );
    }

    #[test]
    fn herd_csv_has_a_header_and_a_row_per_bucket_and_series() {
        let b = |start_ms, requests| HerdBucket {
            start_ms,
            requests,
            retries: 1,
            successes: 2,
            rejected: 3,
            denied_by_limiter: 4,
            gave_up: 5,
        };
        let series = vec![
            HerdSeries {
                strategy: Strategy::FullJitter,
                limiter: HerdLimiter::None,
                buckets: vec![b(0, 10), b(1000, 11)],
            },
            HerdSeries { strategy: Strategy::None, limiter: HerdLimiter::Budget, buckets: vec![b(0, 7)] },
        ];
        expect_test::expect![[r#"
            start_ms,strategy,limiter,requests,retries,successes,rejected,denied_by_limiter,gave_up
            0,full_jitter,none,10,1,2,3,4,5
            1000,full_jitter,none,11,1,2,3,4,5
            0,none,budget,7,1,2,3,4,5
        "#]]
        .assert_eq(&herd_csv(&series));
        let real = run_all(&small(), &[HerdLimiter::None, HerdLimiter::Budget]).unwrap();
        assert_eq!(herd_csv(&real).lines().count(), 1 + 10 * 30);
    }
}
