//! nginx's `random` balancer (`ngx_http_upstream_random_module.c`), with and without `two`.
//!
//! - `random` (`ngx_http_upstream_get_random_peer`): `ngx_http_upstream_peek_random_peer` draws
//!   `x = random() % total_weight` and takes the peer whose weight range holds `x` (so a draw is
//!   proportional to weight, down peers included); a down or failed peer means drawing again,
//!   counting `++tries > 20`, after which nginx falls back to its weighted round robin.
//! - `random two least_conn` (`ngx_http_upstream_get_random2_peer`, our `p2c`): draws the same way
//!   until it holds two different usable peers, then keeps the first only if the second has more
//!   connections per unit of weight (`peer->conns * prev->weight > prev->conns * peer->weight`), so
//!   ties go to the second draw. Every draw counts towards the same 21 (a repeat of the first peer
//!   too).
//!
//! Both go straight to round robin with fewer than 2 peers (`peers->number < 2`).

use super::balancer::{Balancer, BalancerSnapshot, Request, ServerView};
use super::hash::weighted_slot;
use super::nginx::NginxPeers;
use super::AlgorithmId;
use crate::sim::{SimRng, SimTime};

/// `ngx_http_upstream_peek_random_peer`: a peer drawn in proportion to its weight (`total` > 0).
fn peek(rng: &mut SimRng, servers: &[ServerView], total: u64) -> usize {
    let x = rng.below(total);
    weighted_slot(servers.iter().map(|s| s.weight), x).unwrap_or(0)
}

fn total_weight(servers: &[ServerView]) -> u64 {
    servers.iter().map(|s| u64::from(s.weight)).sum()
}

/// nginx's `random`: one weighted draw, redrawn while the peer is unusable.
#[derive(Clone, Debug)]
pub struct RandomPick {
    rng: SimRng,
    peers: NginxPeers,
}

impl RandomPick {
    pub fn new(rng: SimRng) -> Self {
        Self::with_max_fails(rng, 1)
    }
    /// With the upstream's `max_fails` (the fallback's failure penalty).
    pub fn with_max_fails(rng: SimRng, max_fails: u32) -> Self {
        RandomPick { rng, peers: NginxPeers::with_max_fails(max_fails) }
    }
    /// Random draws the last pick made (0 when round robin answered at once).
    pub fn last_draws(&self) -> u32 {
        self.peers.last_probes
    }
}

impl Balancer for RandomPick {
    fn algorithm(&self) -> AlgorithmId {
        AlgorithmId::Random
    }

    fn pick(&mut self, _req: &Request<'_>, servers: &[ServerView], _now: SimTime) -> Option<usize> {
        let total = total_weight(servers);
        let rng = &mut self.rng;
        self.peers.pick(servers, |_| Some(peek(rng, servers, total)).filter(|i| servers[*i].up)).server()
    }

    fn report_failure(&mut self, server: usize) {
        self.peers.penalize(server);
    }

    fn weight_changed(&mut self, server: usize, weight: u32) {
        self.peers.rr.reset_peer(server, weight);
    }

    fn snapshot(&self) -> BalancerSnapshot {
        self.peers.snapshot("random draws (last pick)")
    }
}

/// nginx's `random two least_conn`: two weighted draws of different usable peers, the one with
/// fewer connections per unit of weight wins, the second on a tie.
#[derive(Clone, Debug)]
pub struct RandomTwo {
    rng: SimRng,
    peers: NginxPeers,
}

impl RandomTwo {
    pub fn new(rng: SimRng) -> Self {
        Self::with_max_fails(rng, 1)
    }
    /// With the upstream's `max_fails` (the fallback's failure penalty).
    pub fn with_max_fails(rng: SimRng, max_fails: u32) -> Self {
        RandomTwo { rng, peers: NginxPeers::with_max_fails(max_fails) }
    }
    /// Random draws the last pick made (0 when round robin answered at once).
    pub fn last_draws(&self) -> u32 {
        self.peers.last_probes
    }
}

impl Balancer for RandomTwo {
    fn algorithm(&self) -> AlgorithmId {
        AlgorithmId::P2c
    }

    fn pick(&mut self, _req: &Request<'_>, servers: &[ServerView], _now: SimTime) -> Option<usize> {
        let total = total_weight(servers);
        let rng = &mut self.rng;
        // Every draw is a try, the first usable one (`prev`) included.
        let mut prev: Option<usize> = None;
        self.peers
            .pick(servers, |_| {
                let i = peek(rng, servers, total);
                if prev == Some(i) || !servers[i].up {
                    return None;
                }
                let Some(p) = prev else {
                    prev = Some(i);
                    return None;
                };
                let (a, b) = (&servers[p], &servers[i]);
                let second_busier =
                    u64::from(b.active) * u64::from(a.weight) > u64::from(a.active) * u64::from(b.weight);
                Some(if second_busier { p } else { i })
            })
            .server()
    }

    fn report_failure(&mut self, server: usize) {
        self.peers.penalize(server);
    }

    fn weight_changed(&mut self, server: usize, weight: u32) {
        self.peers.rr.reset_peer(server, weight);
    }

    fn snapshot(&self) -> BalancerSnapshot {
        self.peers.snapshot("random draws (last pick)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> Request<'static> {
        Request::from_client([1, 1, 1, 1], "/")
    }

    #[test]
    fn random_never_picks_down_and_follows_weights() {
        let mut b = RandomPick::new(SimRng::new(4));
        let mut s = vec![ServerView::up(1), ServerView::up(3), ServerView::up(5)];
        s[2].up = false;
        let mut c = [0u32; 3];
        for _ in 0..8000 {
            c[b.pick(&req(), &s, SimTime::ZERO).unwrap()] += 1;
        }
        assert_eq!(c[2], 0);
        let ratio = f64::from(c[1]) / f64::from(c[0]);
        assert!((ratio - 3.0).abs() < 0.3, "{c:?}");
    }

    /// `ngx_http_upstream_get_random2_peer` draws through `ngx_http_upstream_peek_random_peer`,
    /// in proportion to weight. With equal loads the second distinct draw wins, so a server's share
    /// is P(second draw = j) = Σ_{i≠j} p_i·p_j / (1 − p_i) — 0.664 for the two weight-3 servers of
    /// 1,3,1,3 (uniform pair draws would give them 0.5).
    #[test]
    fn random_two_draws_in_proportion_to_weight() {
        let mut b = RandomTwo::new(SimRng::new(7));
        let w = [1.0, 3.0, 1.0, 3.0];
        let s: Vec<ServerView> = w.iter().map(|x| ServerView::up(*x as u32)).collect();
        let p: Vec<f64> = w.iter().map(|x| x / 8.0).collect();
        let want = |j: usize| (0..4).filter(|i| *i != j).map(|i| p[i] * p[j] / (1.0 - p[i])).sum::<f64>();
        let n = 40_000;
        let mut c = [0u32; 4];
        for _ in 0..n {
            c[b.pick(&req(), &s, SimTime::ZERO).unwrap()] += 1;
        }
        for (j, count) in c.iter().enumerate() {
            let got = f64::from(*count) / f64::from(n);
            assert!((got - want(j)).abs() < 0.01, "server {j}: {got} vs {}", want(j));
        }
        assert!((want(1) + want(3) - 0.664).abs() < 0.001);
    }

    /// `if (peer->conns * prev->weight > prev->conns * peer->weight) peer = prev;`: the second
    /// draw wins ties, the first wins only when the second is busier per unit of weight.
    #[test]
    fn random_two_ties_go_to_the_second_draw() {
        let s = vec![ServerView::up(1), ServerView::up(1)];
        // With two equally loaded peers, the winner is always the second distinct draw: replay the
        // draws with the same seed to know which that was.
        for seed in 0..50 {
            let mut b = RandomTwo::new(SimRng::new(seed));
            let got = b.pick(&req(), &s, SimTime::ZERO).unwrap();
            let mut rng = SimRng::new(seed);
            let first = rng.below(2) as usize;
            let second = loop {
                let d = rng.below(2) as usize;
                if d != first {
                    break d;
                }
            };
            assert_eq!(got, second, "seed {seed}");
        }
        // Weight 2 with 3 connections (1.5 each) against weight 1 with 2 (2 each): the lighter per
        // weight wins whichever order they were drawn in.
        let s = vec![ServerView { active: 3, ..ServerView::up(2) }, ServerView { active: 2, ..ServerView::up(1) }];
        let mut b = RandomTwo::new(SimRng::new(3));
        assert!((0..200).all(|_| b.pick(&req(), &s, SimTime::ZERO) == Some(0)));
    }
}
