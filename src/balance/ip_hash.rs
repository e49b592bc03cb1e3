//! nginx's `ip_hash` (`ngx_http_upstream_get_ip_hash_peer`): the hash starts at 89 and folds in
//! the first three octets of the client's IPv4 address as `hash = (hash * 113 + octet) % 6271`;
//! `hash % total_weight` walks the weighted peer list. If that peer is down the same fold runs
//! again from the current hash (so the retry sequence is fixed for a /24); after 20 tries nginx
//! falls back to weighted round robin. `ip-hash-full` is the same with all four octets.

use super::balancer::{Balancer, Request, ServerView};
use super::hash::{nginx_ip_hash, weighted_slot};
use super::smooth_wrr::SmoothWrr;
use super::AlgorithmId;
use crate::sim::SimTime;

#[derive(Clone, Debug)]
pub struct IpHash {
    /// 3 for nginx's `ip_hash`, 4 for the full-address variant.
    octets: usize,
    fallback: SmoothWrr,
}

impl IpHash {
    /// nginx's `ip_hash`: the /24 decides.
    pub fn nginx() -> Self {
        IpHash { octets: 3, fallback: SmoothWrr::new() }
    }
    /// The whole address decides.
    pub fn full() -> Self {
        IpHash { octets: 4, fallback: SmoothWrr::new() }
    }
}

impl Balancer for IpHash {
    fn algorithm(&self) -> AlgorithmId {
        if self.octets == 3 { AlgorithmId::IpHash } else { AlgorithmId::IpHashFull }
    }

    fn pick(&mut self, req: &Request<'_>, servers: &[ServerView], _now: SimTime) -> Option<usize> {
        let total: u64 = servers.iter().map(|s| u64::from(s.weight)).sum();
        if total == 0 {
            return None;
        }
        let mut hash: u32 = 89;
        for _ in 0..20 {
            hash = nginx_ip_hash(hash, &req.client_ip[..self.octets]);
            let w = u64::from(hash) % total;
            if let Some(p) = weighted_slot(servers.iter().map(|s| s.weight), w) {
                if servers[p].up {
                    return Some(p);
                }
            }
        }
        self.fallback.pick_views(servers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_slash_24_goes_to_one_server_and_moves_only_when_it_is_down() {
        let mut b = IpHash::nginx();
        let mut s = vec![ServerView::up(1); 3];
        let first = b.pick(&Request::from_client([198, 51, 100, 1], "/"), &s, SimTime::ZERO).unwrap();
        for host in 0..=255u8 {
            assert_eq!(b.pick(&Request::from_client([198, 51, 100, host], "/"), &s, SimTime::ZERO), Some(first));
        }
        s[first].up = false;
        let second = b.pick(&Request::from_client([198, 51, 100, 7], "/"), &s, SimTime::ZERO).unwrap();
        assert_ne!(second, first);
        // 89 → 154 for 192.168.1.x; 154 % 3 = 1.
        let s = vec![ServerView::up(1); 3];
        assert_eq!(b.pick(&Request::from_client([192, 168, 1, 9], "/"), &s, SimTime::ZERO), Some(1));
    }

    #[test]
    fn full_variant_spreads_one_slash_24() {
        let mut b = IpHash::full();
        let s = vec![ServerView::up(1); 4];
        let mut seen = [false; 4];
        for host in 0..=255u8 {
            seen[b.pick(&Request::from_client([198, 51, 100, host], "/"), &s, SimTime::ZERO).unwrap()] = true;
        }
        assert!(seen.iter().all(|x| *x));
    }
}
