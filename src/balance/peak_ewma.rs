//! Peak EWMA (Finagle's `PeakEwma`, Linkerd's and tower's `PeakEwma` with P2C): each server keeps
//! an RTT estimate that jumps straight to any larger observation (a new peak) and otherwise decays
//! towards new samples as `estimate·e^(−Δt/τ) + rtt·(1 − e^(−Δt/τ))`. Reading the cost first decays
//! the estimate towards 0 for the time since its last update (tower's `decay`), so a server that
//! was slow once is tried again eventually. Cost = estimate × (pending + 1); as in Finagle and
//! Linkerd, two distinct healthy servers are drawn uniformly at random (unweighted) and the cheaper
//! one wins.

use super::balancer::{Balancer, BalancerSnapshot, Request, ServerView};
use super::AlgorithmId;
use crate::sim::{SimDuration, SimRng, SimTime};
use serde::{Deserialize, Serialize};

/// One server's estimate.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RttEstimate {
    pub rtt_ms: f64,
    pub updated_at: SimTime,
}

impl RttEstimate {
    /// Folds one observed `rtt_ms` in at `now` (tower's `RttEstimate::update`).
    pub fn update(&mut self, rtt_ms: f64, now: SimTime, decay_ms: f64) -> f64 {
        if self.rtt_ms < rtt_ms {
            self.rtt_ms = rtt_ms;
        } else {
            let elapsed = (now - self.updated_at).as_millis() as f64;
            let decay = libm::exp(-elapsed / decay_ms);
            self.rtt_ms = self.rtt_ms * decay + rtt_ms * (1.0 - decay);
        }
        if now > self.updated_at {
            self.updated_at = now;
        }
        self.rtt_ms
    }
}

#[derive(Clone, Debug)]
pub struct PeakEwma {
    rng: SimRng,
    /// τ of the decay: Linkerd uses 10 s.
    decay_ms: f64,
    /// The estimate a server starts with before it has answered anything.
    default_rtt_ms: f64,
    estimates: Vec<RttEstimate>,
    healthy: Vec<usize>,
}

impl PeakEwma {
    pub fn new(rng: SimRng, decay: SimDuration, default_rtt: SimDuration) -> Self {
        PeakEwma {
            rng,
            decay_ms: (decay.as_millis().max(1)) as f64,
            default_rtt_ms: default_rtt.as_millis() as f64,
            estimates: Vec::new(),
            healthy: Vec::new(),
        }
    }

    pub fn estimates(&self) -> &[RttEstimate] {
        &self.estimates
    }

    fn grow(&mut self, n: usize, now: SimTime) {
        if self.estimates.len() < n {
            self.estimates.resize(n, RttEstimate { rtt_ms: self.default_rtt_ms, updated_at: now });
        }
    }

    /// Decays server `i`'s estimate to `now` and returns its cost.
    pub fn cost(&mut self, i: usize, pending: u32, now: SimTime) -> f64 {
        let rtt = self.estimates[i].update(0.0, now, self.decay_ms);
        rtt * (f64::from(pending) + 1.0)
    }
}

impl Balancer for PeakEwma {
    fn algorithm(&self) -> AlgorithmId {
        AlgorithmId::PeakEwma
    }

    fn pick(&mut self, _req: &Request<'_>, servers: &[ServerView], now: SimTime) -> Option<usize> {
        self.grow(servers.len(), now);
        let (a, b) = match draw_pair(&mut self.rng, servers, &mut self.healthy) {
            Pair::None => return None,
            Pair::One(i) => return Some(i),
            Pair::Two(a, b) => (a, b),
        };
        let ca = self.cost(a, servers[a].active, now);
        let cb = self.cost(b, servers[b].active, now);
        Some(if cb < ca { b } else { a })
    }

    fn observe(&mut self, server: usize, rtt: SimDuration, now: SimTime) {
        self.grow(server + 1, now);
        self.estimates[server].update(rtt.as_millis() as f64, now, self.decay_ms);
    }

    fn snapshot(&self) -> BalancerSnapshot {
        BalancerSnapshot {
            columns: vec!["RTT estimate (ms)"],
            rows: self.estimates.iter().map(|e| vec![libm::round(e.rtt_ms * 10.0) / 10.0]).collect(),
            totals: Vec::new(),
        }
    }
}

/// Two distinct indexes of `0..n` (n ≥ 2), uniformly.
fn two_distinct(rng: &mut SimRng, n: usize) -> (usize, usize) {
    let a = rng.index(n);
    let mut b = rng.index(n - 1);
    if b >= a {
        b += 1;
    }
    (a, b)
}

/// The outcome of drawing two eligible servers.
enum Pair {
    None,
    One(usize),
    Two(usize, usize),
}

/// Two distinct eligible servers, uniformly. Draws from every server first (O(1), the common
/// case); only if a draw lands on an ineligible server does it draw again among the eligible ones
/// (collected into `healthy`). Either way the pair is uniform over the eligible servers.
fn draw_pair(rng: &mut SimRng, servers: &[ServerView], healthy: &mut Vec<usize>) -> Pair {
    let n = servers.len();
    let ok = |i: usize| servers[i].up && servers[i].weight > 0;
    if n >= 2 {
        let (a, b) = two_distinct(rng, n);
        if ok(a) && ok(b) {
            return Pair::Two(a, b);
        }
    }
    healthy.clear();
    healthy.extend(super::balancer::eligible(servers));
    match healthy.len() {
        0 => Pair::None,
        1 => Pair::One(healthy[0]),
        m => {
            let (x, y) = two_distinct(rng, m);
            Pair::Two(healthy[x], healthy[y])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_distinct_eligible_and_uniform() {
        let mut rng = SimRng::new(9);
        let mut s = vec![ServerView::up(1); 4];
        s[3].up = false;
        let mut healthy = Vec::new();
        let mut seen = [0u32; 4];
        for _ in 0..6000 {
            match draw_pair(&mut rng, &s, &mut healthy) {
                Pair::Two(a, b) => {
                    assert_ne!(a, b);
                    seen[a] += 1;
                    seen[b] += 1;
                }
                _ => panic!("three eligible servers make a pair"),
            }
        }
        assert_eq!(seen[3], 0);
        assert!(seen[..3].iter().all(|c| (3600..4400).contains(c)), "{seen:?}");
        s[1].up = false;
        s[2].up = false;
        assert!(matches!(draw_pair(&mut rng, &s, &mut healthy), Pair::One(0)));
    }

    #[test]
    fn estimate_jumps_to_peaks_and_decays_otherwise() {
        let mut e = RttEstimate { rtt_ms: 10.0, updated_at: SimTime(0) };
        assert_eq!(e.update(2000.0, SimTime(100), 10_000.0), 2000.0);
        // One τ later a 10 ms sample pulls it most of the way down: 2000/e + 10(1 − 1/e).
        let v = e.update(10.0, SimTime(10_100), 10_000.0);
        assert!((v - (2000.0 / std::f64::consts::E + 10.0 * (1.0 - 1.0 / std::f64::consts::E))).abs() < 1e-9, "{v}");
    }

    #[test]
    fn a_slow_server_loses_every_pair_it_is_in() {
        let mut b = PeakEwma::new(SimRng::new(1), SimDuration::from_secs(10), SimDuration::from_millis(30));
        let s = vec![ServerView::up(1); 3];
        let now = SimTime(1_000);
        b.observe(0, SimDuration::from_millis(2000), now);
        b.observe(1, SimDuration::from_millis(10), now);
        b.observe(2, SimDuration::from_millis(12), now);
        for _ in 0..200 {
            assert_ne!(b.pick(&Request::from_client([1, 1, 1, 1], "/"), &s, now), Some(0));
        }
    }
}
