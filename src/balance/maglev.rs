//! Maglev hashing (Eisenbud et al., NSDI 2016, section 3.4): every healthy backend has a
//! permutation of the lookup table's slots, `offset = h1(name) mod M`, `skip = h2(name) mod (M−1) + 1`,
//! `permutation[j] = (offset + j·skip) mod M`; backends take turns claiming the next free slot of
//! their permutation until the table (M = 65537, a prime) is full. A key goes to
//! `table[hash mod M]`. The table is rebuilt over the healthy backends when that set changes, as
//! Maglev does. Weights (an extension the paper mentions) give a backend `weight / gcd` turns per
//! round.

use super::balancer::{Balancer, Request, ServerView};
use super::hash::{server_name_hash, HashKey};
use super::AlgorithmId;
use crate::sim::SimTime;

/// The paper's default table size.
pub const MAGLEV_TABLE_SIZE: usize = 65_537;

/// A filled lookup table: slot → backend index.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MaglevTable {
    entries: Vec<u32>,
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a } else { gcd(b, a % b) }
}

impl MaglevTable {
    /// Fills a table of `size` slots (a prime) for the backends with `usable[i]` and a positive
    /// weight. Returns an empty table when there is none.
    pub fn build(weights: &[u32], usable: &[bool], size: usize) -> Self {
        Self::build_recording(weights, usable, size, 0).0
    }

    /// Like [`MaglevTable::build`], also returning the first `record` claims as (backend, slot) in
    /// the order they happened: the page animates the fill of a small table with it.
    pub fn build_recording(weights: &[u32], usable: &[bool], size: usize, record: usize) -> (Self, Vec<(u32, u32)>) {
        let mut claims = Vec::new();
        let live: Vec<usize> = (0..weights.len()).filter(|i| usable[*i] && weights[*i] > 0).collect();
        if live.is_empty() || size == 0 {
            return (MaglevTable { entries: Vec::new() }, claims);
        }
        let g = live.iter().fold(0, |g, i| gcd(g, weights[*i]));
        let m = size as u64;
        let perm: Vec<(u64, u64)> = live
            .iter()
            .map(|i| {
                let offset = server_name_hash(*i, 0x6d61_676c_6576_3031) % m;
                let skip = if m > 1 { server_name_hash(*i, 0x6d61_676c_6576_3032) % (m - 1) + 1 } else { 1 };
                (offset, skip)
            })
            .collect();
        let mut next = vec![0u64; live.len()];
        let mut entries = vec![u32::MAX; size];
        let mut filled = 0usize;
        'fill: loop {
            for (k, i) in live.iter().enumerate() {
                for _ in 0..(weights[*i] / g) {
                    let (offset, skip) = perm[k];
                    let mut c = ((offset + next[k] * skip) % m) as usize;
                    while entries[c] != u32::MAX {
                        next[k] += 1;
                        c = ((offset + next[k] * skip) % m) as usize;
                    }
                    entries[c] = *i as u32;
                    if claims.len() < record {
                        claims.push((*i as u32, c as u32));
                    }
                    next[k] += 1;
                    filled += 1;
                    if filled == size {
                        break 'fill;
                    }
                }
            }
        }
        (MaglevTable { entries }, claims)
    }

    pub fn entries(&self) -> &[u32] {
        &self.entries
    }

    pub fn lookup(&self, hash: u64) -> Option<usize> {
        if self.entries.is_empty() {
            return None;
        }
        Some(self.entries[(hash % self.entries.len() as u64) as usize] as usize)
    }
}

#[derive(Clone, Debug)]
pub struct Maglev {
    key: HashKey,
    size: usize,
    table: MaglevTable,
    /// (weight, up) per server the table was built for; a change rebuilds it.
    built_for: Vec<(u32, bool)>,
}

impl Maglev {
    /// `size` should be prime (validated where user input arrives, in `build_balancer`).
    pub fn new(key: HashKey, size: usize) -> Self {
        Maglev { key, size, table: MaglevTable::default(), built_for: Vec::new() }
    }

    pub fn table(&self) -> &MaglevTable {
        &self.table
    }
}

impl Balancer for Maglev {
    fn algorithm(&self) -> AlgorithmId {
        AlgorithmId::Maglev
    }

    fn pick(&mut self, req: &Request<'_>, servers: &[ServerView], _now: SimTime) -> Option<usize> {
        if self.built_for.len() != servers.len()
            || self.built_for.iter().zip(servers).any(|(b, s)| *b != (s.weight, s.up))
        {
            self.built_for = servers.iter().map(|s| (s.weight, s.up)).collect();
            let w: Vec<u32> = servers.iter().map(|s| s.weight).collect();
            let up: Vec<bool> = servers.iter().map(|s| s.up).collect();
            self.table = MaglevTable::build(&w, &up, self.size);
        }
        self.table.lookup(self.key.hash(req))
    }
}

/// True when `n` is prime (trial division: table sizes are small).
pub fn is_prime(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    let mut d = 2;
    while d * d <= n {
        if n.is_multiple_of(d) {
            return false;
        }
        d += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_full_and_nearly_even() {
        let t = MaglevTable::build(&[1; 7], &[true; 7], MAGLEV_TABLE_SIZE);
        let mut c = [0usize; 7];
        t.entries().iter().for_each(|e| c[*e as usize] += 1);
        assert_eq!(c.iter().sum::<usize>(), MAGLEV_TABLE_SIZE);
        let (lo, hi) = (*c.iter().min().unwrap(), *c.iter().max().unwrap());
        assert!(hi - lo <= 1, "{c:?}");
    }

    #[test]
    fn small_table_snapshot_and_weights() {
        let t = MaglevTable::build(&[1, 1, 1], &[true; 3], 7);
        assert_eq!(t.entries().len(), 7);
        let t = MaglevTable::build(&[3, 1], &[true; 2], 13);
        let zeros = t.entries().iter().filter(|e| **e == 0).count();
        assert_eq!(zeros, 10, "{:?}", t.entries());
        assert!(MaglevTable::build(&[1], &[false], 7).lookup(3).is_none());
        let (t, claims) = MaglevTable::build_recording(&[1, 1, 1], &[true; 3], 7, 100);
        assert_eq!(claims.len(), 7);
        for (b, slot) in claims {
            assert_eq!(t.entries()[slot as usize], b);
        }
    }

    #[test]
    fn primes() {
        assert!(is_prime(65_537));
        assert!(!is_prime(65_536));
        assert!(!is_prime(1));
    }
}
