//! Peak EWMA (Finagle's `PeakEwma`, Linkerd's and tower's `PeakEwma` with P2C): each server keeps
//! an RTT estimate that jumps straight to any larger observation (a new peak) and otherwise decays
//! towards new samples as `estimate·e^(−Δt/τ) + rtt·(1 − e^(−Δt/τ))`. Reading the cost first decays
//! the estimate towards 0 for the time since its last update (tower's `decay`), so a server that
//! was slow once is tried again eventually. Cost = estimate × (pending + 1); as in Linkerd, two
//! distinct healthy servers are drawn at random and the cheaper one wins.

use super::balancer::{Balancer, Request, ServerView};
use super::p2c::{draw_pair, Pair};
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

    fn rtt_estimates(&self) -> Option<&[RttEstimate]> {
        Some(&self.estimates)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
