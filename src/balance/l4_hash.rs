//! A layer-4 hash of the connection's 5-tuple, done as nginx's generic `hash` directive does it
//! (Cache::Memcached-compatible): `hash += (crc32([rehash] key) >> 16) & 0x7fff`, then
//! `hash % total_weight` walks the weighted peer list; a down peer means rehashing with the try
//! number prepended, and after 20 tries nginx falls back to weighted round robin.

use super::balancer::{Balancer, Request, ServerView};
use super::hash::{crc32, weighted_slot};
use super::smooth_wrr::SmoothWrr;
use super::AlgorithmId;
use crate::sim::SimTime;

#[derive(Clone, Debug, Default)]
pub struct L4Hash {
    fallback: SmoothWrr,
}

impl L4Hash {
    pub fn new() -> Self {
        L4Hash { fallback: SmoothWrr::new() }
    }
}

impl Balancer for L4Hash {
    fn algorithm(&self) -> AlgorithmId {
        AlgorithmId::L4Hash
    }

    fn pick(&mut self, req: &Request<'_>, servers: &[ServerView], _now: SimTime) -> Option<usize> {
        let total: u64 = servers.iter().map(|s| u64::from(s.weight)).sum();
        if total == 0 {
            return None;
        }
        let key = req.five_tuple_bytes();
        let mut hash: u64 = 0;
        for rehash in 0..20u32 {
            let prefix = rehash.to_string();
            let parts: [&[u8]; 2] = [if rehash > 0 { prefix.as_bytes() } else { b"" }, &key];
            hash += u64::from((crc32(&parts) >> 16) & 0x7fff);
            if let Some(p) = weighted_slot(servers.iter().map(|s| s.weight), hash % total) {
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
}
