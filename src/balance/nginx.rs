//! What nginx's hashing and random balancers share (`ngx_http_upstream_ip_hash_module.c`,
//! `ngx_http_upstream_hash_module.c`, `ngx_http_upstream_random_module.c`): they sit on the
//! upstream's round-robin peers, whose weighted round robin is their fallback and whose effective
//! weights take the failure penalty, and they all probe the same way — with fewer than 2 peers they
//! go straight to round robin (`peers->number < 2`), otherwise they try candidates until one is
//! usable, counting `++tries > 20`: 21 probes at most, then round robin.

use super::balancer::{BalancerSnapshot, ServerView};
use super::hash::weighted_slot;
use super::smooth_wrr::SmoothWrr;

/// nginx's bound on retried probes before the round-robin fallback (`tries > 20`).
pub const NGINX_TRIES: u32 = 20;

/// The hashing balancers' probe: the peer whose weight range holds `hash % total` (`w = hash %
/// peers->total_weight` walked over the peer list), if it is usable.
pub fn hashed_peer(servers: &[ServerView], total: u64, hash: u32) -> Option<usize> {
    weighted_slot(servers.iter().map(|s| s.weight), u64::from(hash) % total).filter(|p| servers[*p].up)
}

/// How a pick was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    /// A probe found a usable peer.
    Probed(usize),
    /// Round robin answered (fewer than 2 peers, or 21 probes failed); `None` if it found nothing.
    RoundRobin(Option<usize>),
}

impl Pick {
    pub fn server(self) -> Option<usize> {
        match self {
            Pick::Probed(i) => Some(i),
            Pick::RoundRobin(i) => i,
        }
    }
}

/// The round-robin peers under an nginx balancer, and the probes of the last pick.
#[derive(Clone, Debug, Default)]
pub struct NginxPeers {
    /// The upstream's weighted round robin (fallback, failure penalty).
    pub rr: SmoothWrr,
    /// Probes the last pick made (0 when round robin answered at once).
    pub last_probes: u32,
}

impl NginxPeers {
    pub fn with_max_fails(max_fails: u32) -> Self {
        NginxPeers { rr: SmoothWrr::with_max_fails(max_fails), last_probes: 0 }
    }

    /// One request's pick: `probe(try)` looks at the candidate of try `try` (0, 1, …) and says
    /// whether it is usable.
    pub fn pick(&mut self, servers: &[ServerView], mut probe: impl FnMut(u32) -> Option<usize>) -> Pick {
        self.last_probes = 0;
        let total: u64 = servers.iter().map(|s| u64::from(s.weight)).sum();
        if servers.len() < 2 || total == 0 {
            return Pick::RoundRobin(self.rr.pick_views(servers));
        }
        for tries in 0..=NGINX_TRIES {
            self.last_probes += 1;
            if let Some(i) = probe(tries) {
                return Pick::Probed(i);
            }
        }
        Pick::RoundRobin(self.rr.pick_views(servers))
    }

    /// A failed request: the round-robin table's effective-weight penalty.
    pub fn penalize(&mut self, server: usize) {
        self.rr.penalize(server);
    }

    /// The probes of the last pick, under `label`.
    pub fn snapshot(&self, label: &'static str) -> BalancerSnapshot {
        BalancerSnapshot::total(label, f64::from(self.last_probes))
    }
}

#[cfg(test)]
mod tests {
    use super::super::hash::HashKey;
    use super::super::ip_hash::IpHash;
    use super::super::l4_hash::L4Hash;
    use super::super::random::{RandomPick, RandomTwo};
    use super::super::ring::RingHash;
    use super::super::{Balancer, Request};
    use super::*;
    use crate::sim::{SimRng, SimTime};

    /// Every nginx balancer probes the same way: `if (++tries > 20)` falls back to round robin —
    /// `ngx_http_upstream_get_ip_hash_peer`, `ngx_http_upstream_get_hash_peer`,
    /// `ngx_http_upstream_get_chash_peer`, `ngx_http_upstream_get_random_peer`,
    /// `ngx_http_upstream_get_random2_peer` — so with every peer down they make 21 probes; and with
    /// fewer than 2 peers (`peers->number < 2`, `peers->single`) they make none.
    #[test]
    fn twenty_retries_are_twenty_one_probes_and_one_peer_is_round_robin() {
        let balancers: Vec<Box<dyn Balancer>> = vec![
            Box::new(IpHash::nginx()),
            Box::new(IpHash::full()),
            Box::new(L4Hash::new()),
            Box::new(RingHash::new(HashKey::ClientIp, 160)),
            Box::new(RandomPick::new(SimRng::new(1))),
            Box::new(RandomTwo::new(SimRng::new(1))),
        ];
        let req = Request::from_client([203, 0, 113, 5], "/");
        let down = vec![ServerView { up: false, ..ServerView::up(1) }; 4];
        let one = vec![ServerView::up(1)];
        for mut b in balancers {
            let probes = |b: &dyn Balancer| b.snapshot().totals.last().map(|t| t.1);
            assert_eq!(b.pick(&req, &down, SimTime::ZERO), None, "{}", b.algorithm());
            assert_eq!(probes(b.as_ref()), Some(21.0), "{}", b.algorithm());
            assert_eq!(b.pick(&req, &one, SimTime::ZERO), Some(0), "{}", b.algorithm());
            assert_eq!(probes(b.as_ref()), Some(0.0), "{}", b.algorithm());
        }
        // random two with one usable peer of three: the second distinct usable draw never comes.
        let mut b = RandomTwo::new(SimRng::new(1));
        let mut s = vec![ServerView::up(1); 3];
        s[1].up = false;
        s[2].up = false;
        assert_eq!(b.pick(&req, &s, SimTime::ZERO), Some(0));
        assert_eq!(b.last_draws(), 21);
    }
}
