//! How long failover takes, over many seeds: the distribution behind "a killed master's replica
//! is promoted after roughly 6.5–8.5 s with `cluster-node-timeout 5000`".
//!
//! Each seed runs the `failover` preset (kill 127.0.0.1:7000 under a light load) just long enough
//! for the promotion, and records the phases after the kill: the first PFAIL, the first FAIL
//! (quorum reached), the start of the winning election, and the promoted replica owning the slots.
//! Pure: the same seeds and node timeout give the same figures.

use std::ops::Range;

use serde::Serialize;

use super::runtime::ClusterRun;
use super::scenario::{preset, Action, ScenarioError};

/// The phases of one seed's failover, in ms after the kill.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailoverSample {
    pub seed: u64,
    pub pfail_ms: u64,
    pub fail_ms: u64,
    pub election_ms: u64,
    pub failover_ms: u64,
}

/// Percentiles (nearest rank) of one phase over the seeds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Spread {
    pub min: u64,
    pub p10: u64,
    pub median: u64,
    pub p90: u64,
    pub max: u64,
}

impl Spread {
    /// `None` for no values.
    pub fn of(mut v: Vec<u64>) -> Option<Spread> {
        if v.is_empty() {
            return None;
        }
        v.sort_unstable();
        let at = |q: usize| v[(v.len() * q).div_ceil(100).saturating_sub(1)];
        Some(Spread { min: v[0], p10: at(10), median: at(50), p90: at(90), max: v[v.len() - 1] })
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FailoverDistribution {
    pub node_timeout_ms: u64,
    pub seeds: u64,
    pub samples: Vec<FailoverSample>,
    /// Seeds whose master was never replaced within the run.
    pub without_failover: Vec<u64>,
    pub pfail: Option<Spread>,
    pub fail: Option<Spread>,
    pub election: Option<Spread>,
    pub failover: Option<Spread>,
}

impl FailoverDistribution {
    /// The share of samples whose failover took `lo..=hi` ms.
    pub fn share_within(&self, lo: u64, hi: u64) -> f64 {
        if self.samples.is_empty() {
            return 0.0;
        }
        let n = self.samples.iter().filter(|s| (lo..=hi).contains(&s.failover_ms)).count();
        n as f64 / self.samples.len() as f64
    }

    /// Sample counts per `width_ms` bucket: (bucket start, count), from the fastest to the slowest.
    pub fn histogram(&self, width_ms: u64) -> Vec<(u64, usize)> {
        let width = width_ms.max(1);
        let mut out: Vec<(u64, usize)> = Vec::new();
        let mut times: Vec<u64> = self.samples.iter().map(|s| s.failover_ms).collect();
        times.sort_unstable();
        for t in times {
            let start = t / width * width;
            match out.last_mut() {
                Some((s, n)) if *s == start => *n += 1,
                _ => out.push((start, 1)),
            }
        }
        out
    }
}

/// Kill the first master at 10 s in the `failover` preset with this node timeout, once per seed.
pub fn failover_distribution(node_timeout_ms: u64, seeds: Range<u64>) -> Result<FailoverDistribution, ScenarioError> {
    let mut base = preset("failover")?;
    base.cluster.node_timeout_ms = node_timeout_ms;
    base.workload.read_rate = 20.0;
    base.workload.write_rate = 5.0;
    let kill_at = base.steps.iter().find(|s| matches!(s.action, Action::Kill { .. })).map_or(10_000, |s| s.at_ms);
    base.steps.retain(|s| s.at_ms <= kill_at);
    // PFAIL takes up to 1.5 node timeouts, FAIL and the election a few seconds more.
    base.duration_ms = kill_at.saturating_add(node_timeout_ms.saturating_mul(3)).saturating_add(5_000);
    base.validate()?;
    let mut samples = Vec::new();
    let mut without_failover = Vec::new();
    for seed in seeds.clone() {
        let mut run = ClusterRun::new(base.clone(), seed)?;
        run.run_to_end();
        let rec = run.model().metrics.failovers.front().cloned();
        let after = |t: Option<u64>| t.map(|t| t.saturating_sub(kill_at));
        match rec {
            Some(r) if r.promoted_ms.is_some() => samples.push(FailoverSample {
                seed,
                pfail_ms: after(r.pfail_ms).unwrap_or(0),
                fail_ms: after(r.fail_ms).unwrap_or(0),
                election_ms: after(r.election_ms).unwrap_or(0),
                failover_ms: after(r.promoted_ms).unwrap_or(0),
            }),
            _ => without_failover.push(seed),
        }
    }
    let spread = |f: fn(&FailoverSample) -> u64| Spread::of(samples.iter().map(f).collect());
    Ok(FailoverDistribution {
        node_timeout_ms,
        seeds: seeds.end.saturating_sub(seeds.start),
        pfail: spread(|s| s.pfail_ms),
        fail: spread(|s| s.fail_ms),
        election: spread(|s| s.election_ms),
        failover: spread(|s| s.failover_ms),
        samples,
        without_failover,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_buckets() {
        let s = Spread::of((1..=20).collect()).unwrap();
        assert_eq!((s.min, s.p10, s.median, s.p90, s.max), (1, 2, 10, 18, 20));
        assert_eq!(Spread::of(Vec::new()), None);
        let d = FailoverDistribution {
            node_timeout_ms: 5000,
            seeds: 3,
            samples: [7100, 7400, 8600]
                .iter()
                .enumerate()
                .map(|(i, &t)| FailoverSample {
                    seed: i as u64,
                    pfail_ms: 0,
                    fail_ms: 0,
                    election_ms: 0,
                    failover_ms: t,
                })
                .collect(),
            without_failover: Vec::new(),
            pfail: None,
            fail: None,
            election: None,
            failover: None,
        };
        assert_eq!(d.histogram(500), vec![(7000, 2), (8500, 1)]);
        assert!((d.share_within(6500, 8500) - 2.0 / 3.0).abs() < 1e-9);
    }
}
