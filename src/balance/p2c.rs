//! Power of two choices (Mitzenmacher; tower's `p2c`): draw two distinct healthy servers at random
//! and send to the less loaded one, load being active requests per unit of weight (nginx's
//! `random two least_conn`). Ties go to the first draw.

use super::balancer::{Balancer, Request, ServerView};
use super::AlgorithmId;
use crate::sim::{SimRng, SimTime};

#[derive(Clone, Debug)]
pub struct PowerOfTwo {
    rng: SimRng,
    healthy: Vec<usize>,
}

impl PowerOfTwo {
    pub fn new(rng: SimRng) -> Self {
        PowerOfTwo { rng, healthy: Vec::new() }
    }
}

/// Two distinct indexes of `0..n` (n ≥ 2), uniformly.
pub(crate) fn two_distinct(rng: &mut SimRng, n: usize) -> (usize, usize) {
    let a = rng.index(n);
    let mut b = rng.index(n - 1);
    if b >= a {
        b += 1;
    }
    (a, b)
}

impl Balancer for PowerOfTwo {
    fn algorithm(&self) -> AlgorithmId {
        AlgorithmId::P2c
    }

    fn pick(&mut self, _req: &Request<'_>, servers: &[ServerView], _now: SimTime) -> Option<usize> {
        let n = servers.len();
        let ok = |i: usize| servers[i].up && servers[i].weight > 0;
        // Draw from every server first (O(1), the common case); only if a draw lands on an
        // ineligible server, draw again among the eligible ones. Both ways the pair is uniform over
        // the eligible servers.
        let first = if n >= 2 { Some(two_distinct(&mut self.rng, n)) } else { None };
        let (a, b) = match first {
            Some((a, b)) if ok(a) && ok(b) => (a, b),
            _ => {
                self.healthy.clear();
                self.healthy.extend(super::balancer::eligible(servers));
                match self.healthy.len() {
                    0 => return None,
                    1 => return Some(self.healthy[0]),
                    m => {
                        let (x, y) = two_distinct(&mut self.rng, m);
                        (self.healthy[x], self.healthy[y])
                    }
                }
            }
        };
        let (sa, sb) = (&servers[a], &servers[b]);
        if u64::from(sb.active) * u64::from(sa.weight) < u64::from(sa.active) * u64::from(sb.weight) {
            Some(b)
        } else {
            Some(a)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_picks_the_most_loaded_of_the_pair() {
        let mut b = PowerOfTwo::new(SimRng::new(9));
        let mut s = vec![ServerView::up(1); 3];
        s[0].active = 10;
        s[1].active = 5;
        for _ in 0..500 {
            // Server 0 is the most loaded of any pair it is in, so it never wins.
            assert_ne!(b.pick(&Request::from_client([1, 1, 1, 1], "/"), &s, SimTime::ZERO), Some(0));
        }
        s[1].up = false;
        s[2].up = false;
        assert_eq!(b.pick(&Request::from_client([1, 1, 1, 1], "/"), &s, SimTime::ZERO), Some(0));
    }
}
