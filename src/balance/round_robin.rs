//! Plain round robin: the next healthy server in index order, weights ignored.

use super::balancer::{Balancer, Request, ServerView};
use super::AlgorithmId;
use crate::sim::SimTime;

#[derive(Clone, Debug, Default)]
pub struct RoundRobin {
    /// The index to try first on the next pick.
    next: usize,
}

impl RoundRobin {
    pub fn new() -> Self {
        RoundRobin { next: 0 }
    }
}

impl Balancer for RoundRobin {
    fn algorithm(&self) -> AlgorithmId {
        AlgorithmId::RoundRobin
    }

    fn pick(&mut self, _req: &Request<'_>, servers: &[ServerView], _now: SimTime) -> Option<usize> {
        let n = servers.len();
        for k in 0..n {
            let i = (self.next + k) % n;
            if servers[i].up && servers[i].weight > 0 {
                self.next = (i + 1) % n;
                return Some(i);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_and_skips_down_servers() {
        let mut rr = RoundRobin::new();
        let mut s = vec![ServerView::up(1); 3];
        let req = Request::from_client([1, 2, 3, 4], "/");
        let a: Vec<_> = (0..4).map(|_| rr.pick(&req, &s, SimTime::ZERO).unwrap()).collect();
        assert_eq!(a, vec![0, 1, 2, 0]);
        s[2].up = false;
        let b: Vec<_> = (0..3).map(|_| rr.pick(&req, &s, SimTime::ZERO).unwrap()).collect();
        assert_eq!(b, vec![1, 0, 1]);
        s.iter_mut().for_each(|v| v.up = false);
        assert_eq!(rr.pick(&req, &s, SimTime::ZERO), None);
    }
}
