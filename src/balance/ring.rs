//! Consistent hashing on a ring with virtual nodes (Karger et al.; ketama; nginx's
//! `hash … consistent`): every server owns `weight × vnodes_per_weight` points on a 64-bit circle,
//! a key goes to the owner of the first point at or after its hash (wrapping), and a down server's
//! points are skipped clockwise — so removing one server moves only the keys it owned.

use super::balancer::{Balancer, Request, ServerView};
use super::hash::{mix64, server_name_hash, HashKey};
use super::AlgorithmId;
use crate::sim::SimTime;

/// The sorted points of a ring: (position, server index).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HashRing {
    points: Vec<(u64, u32)>,
}

impl HashRing {
    /// Server `i` gets `weights[i] × vnodes_per_weight` points whose positions depend only on its
    /// name and the point's number, so adding server `n` leaves every other point where it was.
    pub fn build(weights: &[u32], vnodes_per_weight: u32) -> Self {
        let mut points = Vec::new();
        for (i, w) in weights.iter().enumerate() {
            let count = u64::from(*w).saturating_mul(u64::from(vnodes_per_weight));
            for v in 0..count {
                points.push((mix64(server_name_hash(i, v)), i as u32));
            }
        }
        points.sort_unstable();
        HashRing { points }
    }

    pub fn points(&self) -> &[(u64, u32)] {
        &self.points
    }

    /// The owner of `hash`: the first point clockwise whose server passes `usable`.
    pub fn lookup(&self, hash: u64, usable: impl Fn(usize) -> bool) -> Option<usize> {
        let n = self.points.len();
        let start = self.points.partition_point(|p| p.0 < hash);
        (0..n).map(|k| self.points[(start + k) % n].1 as usize).find(|i| usable(*i))
    }
}

#[derive(Clone, Debug)]
pub struct RingHash {
    key: HashKey,
    vnodes_per_weight: u32,
    ring: HashRing,
    /// The weights the ring was built for; a change rebuilds it.
    built_for: Vec<u32>,
}

impl RingHash {
    pub fn new(key: HashKey, vnodes_per_weight: u32) -> Self {
        RingHash { key, vnodes_per_weight, ring: HashRing::default(), built_for: Vec::new() }
    }

    pub fn ring(&self) -> &HashRing {
        &self.ring
    }
}

impl Balancer for RingHash {
    fn algorithm(&self) -> AlgorithmId {
        AlgorithmId::Ring
    }

    fn pick(&mut self, req: &Request<'_>, servers: &[ServerView], _now: SimTime) -> Option<usize> {
        if self.built_for.len() != servers.len() || self.built_for.iter().zip(servers).any(|(w, s)| *w != s.weight) {
            self.built_for = servers.iter().map(|s| s.weight).collect();
            self.ring = HashRing::build(&self.built_for, self.vnodes_per_weight);
        }
        self.ring.lookup(self.key.hash(req), |i| servers[i].up)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_follow_weights_and_down_servers_are_skipped() {
        let ring = HashRing::build(&[1, 2, 0], 10);
        assert_eq!(ring.points().len(), 30);
        assert_eq!(ring.points().iter().filter(|p| p.1 == 1).count(), 20);
        for h in [0u64, 1 << 40, u64::MAX] {
            let owner = ring.lookup(h, |_| true).unwrap();
            assert_ne!(owner, 2);
            let other = ring.lookup(h, |i| i != owner).unwrap();
            assert_ne!(other, owner);
        }
        assert_eq!(ring.lookup(5, |_| false), None);
    }

    #[test]
    fn a_client_sticks_while_its_server_is_up() {
        let mut b = RingHash::new(HashKey::ClientIp, 100);
        let s = vec![ServerView::up(1); 5];
        let r = Request::from_client([10, 9, 8, 7], "/");
        let first = b.pick(&r, &s, SimTime::ZERO);
        assert!((0..10).all(|_| b.pick(&r, &s, SimTime::ZERO) == first));
    }
}
