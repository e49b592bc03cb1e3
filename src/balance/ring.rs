//! nginx's consistent hashing, `hash $key consistent` (`ngx_http_upstream_hash_module.c`), exactly:
//!
//! - `ngx_http_upstream_update_chash`: each server gets `weight × 160` points, Cache::Memcached::Fast
//!   style: `point = crc32(HOST \0 PORT prev_point)` where `prev_point` is the previous point's
//!   four bytes (little-endian; 0 for the first). Points are sorted and duplicates dropped.
//!   Servers are named as the page names them (`s0`, `s1`, … — an upstream of `server s0;` lines,
//!   so no port).
//! - `ngx_http_upstream_init_chash_peer`: a request hashes its key with CRC-32 and starts at the
//!   first point at or after that hash (`ngx_http_upstream_find_chash_point`, wrapping).
//! - `ngx_http_upstream_get_chash_peer`: the point's server is taken unless it is down or failed;
//!   otherwise the next point is tried, counting `tries > 20`: 21 points, then nginx's weighted
//!   round robin. A single-peer upstream goes to round robin at once.
//!
//! The points per unit of weight are a knob here (160 is nginx's constant) so the page can show
//! what fewer points do to the balance.

use super::balancer::{Balancer, BalancerSnapshot, Request, ServerView};
use super::hash::{crc32, HashKey};
use super::nginx::{NginxPeers, Pick};
use super::{server_name, AlgorithmId};
use crate::sim::SimTime;

/// nginx's points per unit of weight.
pub const NGINX_POINTS_PER_WEIGHT: u32 = 160;

/// The sorted points of a ring: (CRC-32 position, server index).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HashRing {
    points: Vec<(u32, u32)>,
}

impl HashRing {
    /// Server `i` (named [`server_name`]`(i)`) gets `weights[i] × points_per_weight` points whose
    /// positions depend only on its name, so adding a server leaves every other point where it was.
    pub fn build(weights: &[u32], points_per_weight: u32) -> Self {
        let mut points = Vec::new();
        for (i, w) in weights.iter().enumerate() {
            let name = server_name(i);
            // No ':' in the name: nginx hashes the whole name as HOST and an empty PORT.
            let count = u64::from(*w).saturating_mul(u64::from(points_per_weight));
            let mut prev: u32 = 0;
            for _ in 0..count {
                let hash = crc32(&[name.as_bytes(), b"\0", &prev.to_le_bytes()]);
                points.push((hash, i as u32));
                prev = hash;
            }
        }
        // Stable, so of equal hashes the earlier server's point is the one kept (glibc's qsort is a
        // merge sort in practice).
        points.sort_by_key(|p| p.0);
        points.dedup_by_key(|p| p.0);
        HashRing { points }
    }

    pub fn points(&self) -> &[(u32, u32)] {
        &self.points
    }

    /// `ngx_http_upstream_find_chash_point`: the index of the first point at or after `hash`
    /// (which may be one past the end: the walk takes it modulo the number of points).
    pub fn first_point(&self, hash: u32) -> usize {
        self.points.partition_point(|p| p.0 < hash)
    }

    /// The owner of the first point clockwise from `hash` whose server passes `usable`, looking at
    /// no more than `max_points` points.
    pub fn walk(&self, hash: u32, max_points: usize, usable: impl Fn(usize) -> bool) -> Option<usize> {
        let n = self.points.len();
        if n == 0 {
            return None;
        }
        let start = self.first_point(hash);
        (0..max_points.min(n)).map(|k| self.points[(start + k) % n].1 as usize).find(|i| usable(*i))
    }

    /// The owner of `hash` when every server is usable.
    pub fn lookup(&self, hash: u32) -> Option<usize> {
        self.walk(hash, 1, |_| true)
    }
}

#[derive(Clone, Debug)]
pub struct RingHash {
    key: HashKey,
    points_per_weight: u32,
    ring: HashRing,
    /// The weights the ring was built for; a change rebuilds it (nginx rebuilds on reload).
    built_for: Vec<u32>,
    /// The round robin that picks among a point's peers and that nginx falls back to.
    peers: NginxPeers,
    key_buf: String,
}

impl RingHash {
    pub fn new(key: HashKey, points_per_weight: u32) -> Self {
        Self::with_max_fails(key, points_per_weight, 1)
    }

    /// With the upstream's `max_fails` (the round-robin weight table's failure penalty).
    pub fn with_max_fails(key: HashKey, points_per_weight: u32, max_fails: u32) -> Self {
        RingHash {
            key,
            points_per_weight,
            ring: HashRing::default(),
            built_for: Vec::new(),
            peers: NginxPeers::with_max_fails(max_fails),
            key_buf: String::new(),
        }
    }

    pub fn ring(&self) -> &HashRing {
        &self.ring
    }

    /// Ring points the last pick looked at (0 when round robin answered at once).
    pub fn last_points(&self) -> u32 {
        self.peers.last_probes
    }
}

impl Balancer for RingHash {
    fn algorithm(&self) -> AlgorithmId {
        AlgorithmId::Ring
    }

    fn pick(&mut self, req: &Request<'_>, servers: &[ServerView], _now: SimTime) -> Option<usize> {
        self.peers.rr.sync(servers);
        if self.built_for.len() != servers.len() || self.built_for.iter().zip(servers).any(|(w, s)| *w != s.weight) {
            self.built_for = servers.iter().map(|s| s.weight).collect();
            self.ring = HashRing::build(&self.built_for, self.points_per_weight);
        }
        let n = self.ring.points.len();
        if n == 0 && servers.len() >= 2 {
            return None;
        }
        self.key_buf.clear();
        self.key.write_text(req, &mut self.key_buf);
        let start = self.ring.first_point(crc32(&[self.key_buf.as_bytes()]));
        let points = &self.ring.points;
        // Each try looks at the next point (`hp->hash++`).
        let pick = self.peers.pick(servers, |tries| {
            let s = points[(start + tries as usize) % n].1 as usize;
            servers[s].up.then_some(s)
        });
        if let Pick::Probed(s) = pick {
            // nginx runs its weighted round robin among the peers of that server name (here
            // one), which moves their current and effective weights as any pick does.
            self.peers.rr.pick_among(|j| j == s);
        }
        pick.server()
    }

    fn report_failure(&mut self, server: usize) {
        self.peers.penalize(server);
    }

    fn weight_changed(&mut self, server: usize, weight: u32) {
        self.peers.rr.reset_peer(server, weight);
    }

    fn snapshot(&self) -> BalancerSnapshot {
        let mut per = vec![0.0; self.built_for.len()];
        for (_, s) in &self.ring.points {
            if let Some(c) = per.get_mut(*s as usize) {
                *c += 1.0;
            }
        }
        BalancerSnapshot {
            columns: vec!["ring points"],
            rows: per.into_iter().map(|c| vec![c]).collect(),
            totals: vec![
                ("ring points", self.ring.points.len() as f64),
                ("points probed (last pick)", f64::from(self.peers.last_probes)),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ngx_http_upstream_update_chash`: crc32(HOST \0 PORT prev) chained from 0, 160 per unit of
    /// weight, sorted.
    #[test]
    fn points_are_nginx_chained_crc32_160_per_unit_of_weight() {
        let ring = HashRing::build(&[1, 2], NGINX_POINTS_PER_WEIGHT);
        assert_eq!(ring.points().len(), 480);
        assert_eq!(ring.points().iter().filter(|p| p.1 == 1).count(), 320);
        assert!(ring.points().windows(2).all(|w| w[0].0 < w[1].0));
        let first = crc32(&[b"s0", b"\0", &0u32.to_le_bytes()]);
        let second = crc32(&[b"s0", b"\0", &first.to_le_bytes()]);
        assert!(ring.points().contains(&(first, 0)) && ring.points().contains(&(second, 0)));
        // The whole chain is the plain CRC-32 of the concatenation.
        assert_eq!(crc32(&[b"s0\0\0\0\0\0"]), first);
    }

    #[test]
    fn keys_start_at_the_first_point_at_or_after_their_hash() {
        let ring = HashRing::build(&[1, 1, 1], 4);
        let p = ring.points();
        assert_eq!(ring.first_point(p[3].0), 3);
        assert_eq!(ring.first_point(p[3].0 + 1), 4);
        assert_eq!(ring.lookup(u32::MAX), Some(p[0].1 as usize), "past the last point wraps to the first");
        assert_eq!(ring.walk(5, 1, |_| false), None);
    }

    #[test]
    fn a_client_sticks_while_its_server_is_up_and_only_its_keys_move() {
        let mut b = RingHash::new(HashKey::ClientIp, NGINX_POINTS_PER_WEIGHT);
        let mut s = vec![ServerView::up(1); 5];
        let homes: Vec<usize> =
            (0..200u8).map(|h| b.pick(&Request::from_client([10, 9, h, 7], "/"), &s, SimTime::ZERO).unwrap()).collect();
        assert!((0..10).all(|_| b.pick(&Request::from_client([10, 9, 0, 7], "/"), &s, SimTime::ZERO) == Some(homes[0])));
        s[2].up = false;
        for (h, home) in homes.iter().enumerate() {
            let now = b.pick(&Request::from_client([10, 9, h as u8, 7], "/"), &s, SimTime::ZERO).unwrap();
            if *home != 2 {
                assert_eq!(now, *home);
            } else {
                assert_ne!(now, 2);
            }
        }
    }
}
