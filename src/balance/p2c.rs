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

/// The outcome of drawing two eligible servers.
pub(crate) enum Pair {
    None,
    One(usize),
    Two(usize, usize),
}

/// Two distinct eligible servers, uniformly. Draws from every server first (O(1), the common
/// case); only if a draw lands on an ineligible server does it draw again among the eligible ones
/// (collected into `healthy`). Either way the pair is uniform over the eligible servers.
pub(crate) fn draw_pair(rng: &mut SimRng, servers: &[ServerView], healthy: &mut Vec<usize>) -> Pair {
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

impl Balancer for PowerOfTwo {
    fn algorithm(&self) -> AlgorithmId {
        AlgorithmId::P2c
    }

    fn pick(&mut self, _req: &Request<'_>, servers: &[ServerView], _now: SimTime) -> Option<usize> {
        let (a, b) = match draw_pair(&mut self.rng, servers, &mut self.healthy) {
            Pair::None => return None,
            Pair::One(i) => return Some(i),
            Pair::Two(a, b) => (a, b),
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
