//! What nginx's hashing and random balancers share (`ngx_http_upstream_ip_hash_module.c`,
//! `ngx_http_upstream_hash_module.c`, `ngx_http_upstream_random_module.c`): they sit on the
//! upstream's round-robin peers, whose weighted round robin is their fallback and whose effective
//! weights take the failure penalty, and they all probe the same way — with fewer than 2 peers they
//! go straight to round robin (`peers->number < 2`), otherwise they try candidates until one is
//! usable, counting `++tries > 20`: 21 probes at most, then round robin.

use super::balancer::{BalancerSnapshot, ServerView};
use super::smooth_wrr::SmoothWrr;

/// nginx's bound on retried probes before the round-robin fallback (`tries > 20`).
pub const NGINX_TRIES: u32 = 20;

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
        NginxPeers {
            rr: SmoothWrr::with_max_fails(max_fails),
            last_probes: 0,
        }
    }

    /// One request's pick: `probe(try)` looks at the candidate of try `try` (0, 1, …) and says
    /// whether it is usable.
    pub fn pick(
        &mut self,
        servers: &[ServerView],
        mut probe: impl FnMut(u32) -> Option<usize>,
    ) -> Pick {
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
