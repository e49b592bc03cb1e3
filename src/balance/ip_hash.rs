//! nginx's `ip_hash` (`ngx_http_upstream_get_ip_hash_peer`): the hash starts at 89 and folds in
//! the first three octets of the client's IPv4 address as `hash = (hash * 113 + octet) % 6271`;
//! `hash % total_weight` walks the weighted peer list (down peers keep their share of it). If that
//! peer is down or failed, the same fold runs again from the current hash (so the retry sequence is
//! fixed for a /24), counting `++tries > 20`: 21 probes in all, then nginx falls back to its
//! weighted round robin. With fewer than 2 peers it goes to round robin at once
//! (`iphp->rrp.peers->number < 2`). `ip-hash-full` is the same with all four octets.

use super::balancer::{Balancer, BalancerSnapshot, Request, ServerView};
use super::hash::nginx_ip_hash;
use super::nginx::{hashed_peer, NginxPeers};
use super::AlgorithmId;
use crate::sim::SimTime;

#[derive(Clone, Debug)]
pub struct IpHash {
    /// 3 for nginx's `ip_hash`, 4 for the full-address variant.
    octets: usize,
    peers: NginxPeers,
}

impl IpHash {
    /// nginx's `ip_hash`: the /24 decides.
    pub fn nginx() -> Self {
        IpHash { octets: 3, peers: NginxPeers::with_max_fails(1) }
    }
    /// The whole address decides.
    pub fn full() -> Self {
        IpHash { octets: 4, peers: NginxPeers::with_max_fails(1) }
    }
    /// With the upstream's `max_fails` (the fallback's failure penalty).
    pub fn with_max_fails(mut self, max_fails: u32) -> Self {
        self.peers = NginxPeers::with_max_fails(max_fails);
        self
    }
    /// How many hash probes the last pick made (0 when it went straight to round robin).
    pub fn last_probes(&self) -> u32 {
        self.peers.last_probes
    }
}

impl Balancer for IpHash {
    fn algorithm(&self) -> AlgorithmId {
        if self.octets == 3 {
            AlgorithmId::IpHash
        } else {
            AlgorithmId::IpHashFull
        }
    }

    fn pick(&mut self, req: &Request<'_>, servers: &[ServerView], _now: SimTime) -> Option<usize> {
        let total: u64 = servers.iter().map(|s| u64::from(s.weight)).sum();
        let octets = &req.client_ip[..self.octets];
        // `iphp->hash` starts at 89 and each probe folds the octets in again.
        let mut hash: u32 = 89;
        self.peers
            .pick(servers, |_| {
                hash = nginx_ip_hash(hash, octets);
                hashed_peer(servers, total, hash)
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
        self.peers.snapshot("hash probes (last pick)")
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

    /// `ngx_http_upstream_get_ip_hash_peer`: `if (++iphp->tries > 20)` falls back to round robin,
    /// so a client whose every probe lands on down peers makes 21 probes first.
    #[test]
    fn twenty_retries_are_twenty_one_probes_then_round_robin() {
        // Two peers, weights 1 and 1000: nearly every probe lands on s1, which is down.
        let mut s = vec![ServerView::up(1), ServerView::up(1000)];
        s[1].up = false;
        let mut b = IpHash::nginx();
        let mut saw_21 = false;
        for host in 0..=255u8 {
            for net in 0..=40u8 {
                let got = b.pick(&Request::from_client([10, net, host, 1], "/"), &s, SimTime::ZERO);
                assert_eq!(got, Some(0));
                assert!((1..=21).contains(&b.last_probes()), "{}", b.last_probes());
                saw_21 |= b.last_probes() == 21;
            }
        }
        assert!(saw_21, "some /24 should miss s0 on all 21 probes and reach round robin");
        // Every peer down: 21 probes, then round robin finds nothing either.
        let down = vec![ServerView { up: false, ..ServerView::up(1) }; 3];
        assert_eq!(b.pick(&Request::from_client([192, 168, 1, 9], "/"), &down, SimTime::ZERO), None);
        assert_eq!(b.last_probes(), 21);
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
