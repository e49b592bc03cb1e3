//! Maglev hashing (Eisenbud et al., NSDI 2016, section 3.4): every healthy backend has a
//! permutation of the lookup table's slots, `offset = h1(name) mod M`, `skip = h2(name) mod (M−1) + 1`,
//! `permutation[j] = (offset + j·skip) mod M`; backends take turns claiming the next free slot of
//! their permutation until the table (M = 65537, a prime) is full. A key goes to
//! `table[hash mod M]`. The table is rebuilt over the healthy backends when that set changes, as
//! Maglev does. Weights (an extension the paper mentions) give a backend `weight / gcd` turns per
//! round.
//!
//! Optional connection tracking (section 3.3): a bounded table remembers the backend chosen for
//! each recent flow; a flow found there whose backend is still healthy goes to it again, whatever
//! the lookup table now says, so a table change (a backend added or removed) does not move
//! existing flows. Otherwise the lookup table chooses and the choice is recorded. When the table is
//! full the least recently seen flow is forgotten. A flow is what the balancer hashes (the client
//! address, the 5-tuple or the path).

use super::balancer::{Balancer, BalancerSnapshot, Request, ServerView};
use super::hash::{server_name_hash, HashKey};
use super::AlgorithmId;
use crate::sim::SimTime;
use std::collections::BTreeMap;

/// The paper's default table size.
pub const MAGLEV_TABLE_SIZE: usize = 65_537;

/// A filled lookup table: slot → backend index.
/// The slots are shared between clones (a rewind snapshot of the model costs no copy of the
/// 65,537 slots); a rebuild makes a new table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MaglevTable {
    entries: std::sync::Arc<Vec<u32>>,
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
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
            return (MaglevTable { entries: Default::default() }, claims);
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
        (MaglevTable { entries: std::sync::Arc::new(entries) }, claims)
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

/// Maglev's connection tracking table: flow hash → backend, bounded, least recently seen evicted.
#[derive(Clone, Debug, Default)]
pub struct ConnTrack {
    capacity: usize,
    /// flow hash → (backend, last seen stamp).
    flows: BTreeMap<u64, (u32, u64)>,
    /// last seen stamp → flow hash, oldest first.
    by_age: BTreeMap<u64, u64>,
    clock: u64,
    /// Lookups answered from the table (the flow stayed put).
    pub hits: u64,
}

impl ConnTrack {
    pub fn new(capacity: usize) -> Self {
        ConnTrack { capacity, ..ConnTrack::default() }
    }

    pub fn len(&self) -> usize {
        self.flows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }

    /// The backend recorded for `flow`, refreshing its age.
    fn get(&mut self, flow: u64) -> Option<u32> {
        let (backend, stamp) = *self.flows.get(&flow)?;
        self.clock += 1;
        self.by_age.remove(&stamp);
        self.by_age.insert(self.clock, flow);
        self.flows.insert(flow, (backend, self.clock));
        Some(backend)
    }

    /// Records `flow → backend`, evicting the least recently seen flow when full.
    fn put(&mut self, flow: u64, backend: u32) {
        if self.capacity == 0 {
            return;
        }
        if let Some((_, stamp)) = self.flows.remove(&flow) {
            self.by_age.remove(&stamp);
        } else if self.flows.len() >= self.capacity {
            if let Some((_, oldest)) = self.by_age.pop_first() {
                self.flows.remove(&oldest);
            }
        }
        self.clock += 1;
        self.flows.insert(flow, (backend, self.clock));
        self.by_age.insert(self.clock, flow);
    }
}

#[derive(Clone, Debug)]
pub struct Maglev {
    key: HashKey,
    size: usize,
    table: MaglevTable,
    /// (weight, up) per server the table was built for; a change rebuilds it.
    built_for: Vec<(u32, bool)>,
    /// Connection tracking, when on.
    tracking: Option<ConnTrack>,
}

impl Maglev {
    /// `size` should be prime (validated where user input arrives, in `build_balancer`).
    pub fn new(key: HashKey, size: usize) -> Self {
        Maglev { key, size, table: MaglevTable::default(), built_for: Vec::new(), tracking: None }
    }

    /// With a connection tracking table of `capacity` flows (0 = none).
    pub fn with_tracking(mut self, capacity: usize) -> Self {
        self.tracking = (capacity > 0).then(|| ConnTrack::new(capacity));
        self
    }

    pub fn table(&self) -> &MaglevTable {
        &self.table
    }

    pub fn tracking(&self) -> Option<&ConnTrack> {
        self.tracking.as_ref()
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
        let flow = self.key.hash(req);
        if let Some(track) = &mut self.tracking {
            if let Some(b) = track.get(flow) {
                let b = b as usize;
                if servers.get(b).is_some_and(|s| s.up && s.weight > 0) {
                    track.hits += 1;
                    return Some(b);
                }
            }
        }
        let chosen = self.table.lookup(flow)?;
        if let Some(track) = &mut self.tracking {
            track.put(flow, chosen as u32);
        }
        Some(chosen)
    }

    fn snapshot(&self) -> BalancerSnapshot {
        let mut per = vec![0.0; self.built_for.len()];
        for e in self.table.entries() {
            if let Some(c) = per.get_mut(*e as usize) {
                *c += 1.0;
            }
        }
        let mut totals = vec![("table slots", self.table.entries().len() as f64)];
        if let Some(t) = &self.tracking {
            totals.push(("tracked flows", t.len() as f64));
            totals.push(("answered by tracking", t.hits as f64));
        }
        BalancerSnapshot { columns: vec!["table slots"], rows: per.into_iter().map(|c| vec![c]).collect(), totals }
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

    /// Section 3.3: with connection tracking, a flow already seen stays on its backend when the
    /// table changes (here a backend is added), as long as that backend is healthy; without it,
    /// about 1/(N+1) of the flows move.
    #[test]
    fn connection_tracking_keeps_existing_flows_across_table_changes() {
        let before = vec![ServerView::up(1); 4];
        let mut after = before.clone();
        after.push(ServerView::up(1));
        let reqs: Vec<Request<'static>> = (0..2000u32).map(|k| Request::from_client(k.to_be_bytes(), "/")).collect();
        let moved = |m: &mut Maglev, servers: &[ServerView], homes: &[usize]| {
            reqs.iter().zip(homes).filter(|(r, h)| m.pick(r, servers, SimTime::ZERO) != Some(**h)).count()
        };
        let mut plain = Maglev::new(HashKey::ClientIp, 251);
        let homes: Vec<usize> = reqs.iter().map(|r| plain.pick(r, &before, SimTime::ZERO).unwrap()).collect();
        let n = moved(&mut plain, &after, &homes);
        assert!((250..550).contains(&n), "{n} of 2000 moved without tracking");

        let mut tracked = Maglev::new(HashKey::ClientIp, 251).with_tracking(10_000);
        let homes2: Vec<usize> = reqs.iter().map(|r| tracked.pick(r, &before, SimTime::ZERO).unwrap()).collect();
        assert_eq!(homes, homes2, "tracking changes nothing while the table stands");
        assert_eq!(moved(&mut tracked, &after, &homes), 0);
        // A tracked flow whose backend goes down is hashed again, and recorded anew.
        let mut down = after.clone();
        down[0].up = false;
        let on_zero = homes.iter().filter(|h| **h == 0).count();
        assert_eq!(moved(&mut tracked, &down, &homes), on_zero);
        assert!(reqs.iter().all(|r| tracked.pick(r, &down, SimTime::ZERO) != Some(0)));
    }

    #[test]
    fn tracking_table_is_bounded_and_forgets_the_least_recently_seen() {
        let mut t = ConnTrack::new(2);
        t.put(1, 0);
        t.put(2, 1);
        assert_eq!(t.get(1), Some(0));
        t.put(3, 2);
        assert_eq!(t.len(), 2);
        assert_eq!(t.get(2), None, "flow 2 was the least recently seen");
        assert_eq!(t.get(1), Some(0));
        assert_eq!(t.get(3), Some(2));
    }

    #[test]
    fn primes() {
        assert!(is_prime(65_537));
        assert!(!is_prime(65_536));
        assert!(!is_prime(1));
    }
}
