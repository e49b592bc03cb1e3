//! nginx's `least_conn`: the healthy peer with the fewest active connections relative to its
//! weight (`conns_a * weight_b < conns_b * weight_a`); when several tie, nginx runs its smooth
//! weighted round robin among just those peers, which for equal weights is plain round robin.

use super::balancer::{Balancer, BalancerSnapshot, Request, ServerView};
use super::smooth_wrr::SmoothWrr;
use super::AlgorithmId;
use crate::sim::SimTime;

#[derive(Clone, Debug, Default)]
pub struct LeastConn {
    /// The tie-breaker keeps nginx's current/effective weights across picks.
    wrr: SmoothWrr,
}

impl LeastConn {
    pub fn new() -> Self {
        LeastConn { wrr: SmoothWrr::new() }
    }

    /// With the upstream's `max_fails` (the failure penalty of the shared weight table).
    pub fn with_max_fails(max_fails: u32) -> Self {
        LeastConn { wrr: SmoothWrr::with_max_fails(max_fails) }
    }
}

/// `a` has strictly fewer connections per unit of weight than `b`.
fn less(a: &ServerView, b: &ServerView) -> bool {
    u64::from(a.active) * u64::from(b.weight) < u64::from(b.active) * u64::from(a.weight)
}

fn tied(a: &ServerView, b: &ServerView) -> bool {
    u64::from(a.active) * u64::from(b.weight) == u64::from(b.active) * u64::from(a.weight)
}

impl Balancer for LeastConn {
    fn algorithm(&self) -> AlgorithmId {
        AlgorithmId::LeastConn
    }

    fn pick(&mut self, _req: &Request<'_>, servers: &[ServerView], _now: SimTime) -> Option<usize> {
        let mut best: Option<usize> = None;
        let mut many = false;
        for (i, s) in servers.iter().enumerate() {
            if !s.up || s.weight == 0 {
                continue;
            }
            match best {
                None => best = Some(i),
                Some(b) if less(s, &servers[b]) => {
                    best = Some(i);
                    many = false;
                }
                Some(b) if tied(s, &servers[b]) => many = true,
                Some(_) => {}
            }
        }
        let b = best?;
        if !many {
            return Some(b);
        }
        let view: Vec<ServerView> =
            servers.iter().map(|s| ServerView { up: s.up && s.weight > 0 && tied(s, &servers[b]), ..*s }).collect();
        self.wrr.pick_views(&view)
    }

    fn report_failure(&mut self, server: usize) {
        self.wrr.penalize(server);
    }

    fn weight_changed(&mut self, server: usize, weight: u32) {
        self.wrr.reset_peer(server, weight);
    }

    fn snapshot(&self) -> BalancerSnapshot {
        self.wrr.table_snapshot()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fewest_connections_per_weight_wins_and_ties_rotate() {
        let mut lc = LeastConn::new();
        let req = Request::from_client([1, 1, 1, 1], "/");
        let mut s = vec![ServerView::up(1); 3];
        s[0].active = 2;
        let picks: Vec<_> = (0..4).map(|_| lc.pick(&req, &s, SimTime::ZERO).unwrap()).collect();
        assert_eq!(picks, vec![1, 2, 1, 2]);
        // Weight 3 with 5 connections (5/3) beats weight 1 with 2 (2/1).
        let s = vec![ServerView { active: 5, ..ServerView::up(3) }, ServerView { active: 2, ..ServerView::up(1) }];
        assert_eq!(lc.pick(&req, &s, SimTime::ZERO), Some(0));
    }
}
