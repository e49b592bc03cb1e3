//! A layer-4 hash of the connection's 5-tuple, done as nginx's generic `hash` directive does it
//! (`ngx_http_upstream_get_hash_peer`, Cache::Memcached-compatible):
//! `hash += (crc32([rehash] key) >> 16) & 0x7fff` (a `u32`, wrapping), then `hash % total_weight`
//! walks the weighted peer list; a down or failed peer means rehashing with the try number
//! prepended, counting `++tries > 20`: 21 probes, then nginx's weighted round robin. With fewer
//! than 2 peers it goes to round robin at once (`hp->rrp.peers->number < 2`). The key is the
//! 5-tuple's 13 bytes (source address and port, destination address and port, protocol).

use super::balancer::{Balancer, BalancerSnapshot, Request, ServerView};
use super::hash::crc32;
use super::nginx::{hashed_peer, NginxPeers};
use super::AlgorithmId;
use crate::sim::SimTime;

#[derive(Clone, Debug, Default)]
pub struct L4Hash {
    peers: NginxPeers,
}

impl L4Hash {
    pub fn new() -> Self {
        Self::with_max_fails(1)
    }
    /// With the upstream's `max_fails` (the fallback's failure penalty).
    pub fn with_max_fails(max_fails: u32) -> Self {
        L4Hash { peers: NginxPeers::with_max_fails(max_fails) }
    }
    /// How many hash probes the last pick made (0 when it went straight to round robin).
    pub fn last_probes(&self) -> u32 {
        self.peers.last_probes
    }
}

/// One probe of nginx's `hash`: `(crc32([rehash] key) >> 16) & 0x7fff`, the rehash number written
/// in decimal before the key from the second probe on.
pub fn nginx_hash_step(rehash: u32, key: &[u8]) -> u32 {
    let prefix = rehash.to_string();
    let parts: [&[u8]; 2] = [if rehash > 0 { prefix.as_bytes() } else { b"" }, key];
    (crc32(&parts) >> 16) & 0x7fff
}

impl Balancer for L4Hash {
    fn algorithm(&self) -> AlgorithmId {
        AlgorithmId::L4Hash
    }

    fn pick(&mut self, req: &Request<'_>, servers: &[ServerView], _now: SimTime) -> Option<usize> {
        let total: u64 = servers.iter().map(|s| u64::from(s.weight)).sum();
        let key = req.five_tuple_bytes();
        // `hp->hash` accumulates (a wrapping `uint32_t`); the try number is the rehash number.
        let mut hash: u32 = 0;
        self.peers
            .pick(servers, |rehash| {
                hash = hash.wrapping_add(nginx_hash_step(rehash, &key));
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
    fn same_connection_same_server_and_ports_spread() {
        let mut b = L4Hash::new();
        let s = vec![ServerView::up(1); 4];
        let mut r = Request::from_client([203, 0, 113, 5], "/");
        let first = b.pick(&r, &s, SimTime::ZERO);
        assert_eq!(b.pick(&r, &s, SimTime::ZERO), first);
        let mut seen = [0u32; 4];
        for port in 40_000..40_400u16 {
            r.client_port = port;
            seen[b.pick(&r, &s, SimTime::ZERO).unwrap()] += 1;
        }
        assert!(seen.iter().all(|c| *c > 50), "{seen:?}");
    }

    /// The Cache::Memcached step: the first probe hashes the bare key, later ones prefix the
    /// rehash number ("1", "2", …).
    #[test]
    fn hash_step_prefixes_the_rehash_number() {
        assert_eq!(nginx_hash_step(0, b"key"), (crc32(&[b"key"]) >> 16) & 0x7fff);
        assert_eq!(nginx_hash_step(12, b"key"), (crc32(&[b"12key"]) >> 16) & 0x7fff);
    }
}
