//! Random choice among healthy servers, proportional to weight (nginx's `random` without `two`).

use super::balancer::{Balancer, Request, ServerView};
use super::AlgorithmId;
use crate::sim::{SimRng, SimTime};

#[derive(Clone, Debug)]
pub struct RandomPick {
    rng: SimRng,
    weights: Vec<u64>,
}

impl RandomPick {
    pub fn new(rng: SimRng) -> Self {
        RandomPick { rng, weights: Vec::new() }
    }
}

impl Balancer for RandomPick {
    fn algorithm(&self) -> AlgorithmId {
        AlgorithmId::Random
    }

    fn pick(&mut self, _req: &Request<'_>, servers: &[ServerView], _now: SimTime) -> Option<usize> {
        self.weights.clear();
        self.weights.extend(servers.iter().map(|s| if s.up { u64::from(s.weight) } else { 0 }));
        self.rng.weighted_index(&self.weights)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_picks_down_and_follows_weights() {
        let mut b = RandomPick::new(SimRng::new(4));
        let mut s = vec![ServerView::up(1), ServerView::up(3), ServerView::up(5)];
        s[2].up = false;
        let mut c = [0u32; 3];
        for _ in 0..8000 {
            c[b.pick(&Request::from_client([1, 1, 1, 1], "/"), &s, SimTime::ZERO).unwrap()] += 1;
        }
        assert_eq!(c[2], 0);
        let ratio = f64::from(c[1]) / f64::from(c[0]);
        assert!((ratio - 3.0).abs() < 0.3, "{c:?}");
    }
}
