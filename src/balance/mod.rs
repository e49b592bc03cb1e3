//! Load balancing: twelve algorithms behind one [`Balancer`] trait, a simulated fleet of servers
//! and clients on the kernel, health checks, HDR-histogram metrics, presets and a compare mode.
//!
//! Code map:
//! - `balancer`: the trait, [`Request`] (client address, 5-tuple, path) and [`ServerView`] (what
//!   the balancer believes about a server: up, active requests, weight, RTT average).
//! - one file per algorithm: `round_robin`, `smooth_wrr`, `least_conn`, `ip_hash` (also
//!   `ip-hash-full`), `l4_hash`, `l7_path`, `random` (nginx's `random` and `random two`, the
//!   `p2c` algorithm), `ring`, `maglev`, `peak_ewma`; `hash` holds their portable hash functions.
//!   [`build_balancer`] makes one from an [`AlgorithmId`]. A balancer's memory is shown through
//!   the generic [`BalancerSnapshot`].
//! - `passive`: nginx's `max_fails` / `fail_timeout` per peer, which the model applies to what
//!   every balancer sees.
//! - `scenario`: the serde [`Scenario`] (the page's URL state) with validation and the presets.
//! - `model`: [`LbModel`] on the kernel and [`LbRun`], the handle the page and the CLI step.
//! - `metrics`: histograms and counters; [`RunSummary`] is the printable result.
//! - `compare`: every algorithm on one workload, in chunks. `moved`: keys moved on membership change.
//! - `form`: the scenario as flat text fields (the page's editor and URL), checked field by field.
//!
//! How the page drives it: `let mut run = LbRun::new(&scenario)?;` played through the shared
//! playback driver (`LbRun` is `Clocked`; its clock stops at the run's last event, and
//! `run.is_done()` says the run is over), or `run.step()` for the step button; then draw
//! `run.servers()` (cards: state, busy/queue bars, weight, utilization, p99),
//! `run.model().balancer().snapshot()` (what the balancer remembers, per server and overall),
//! `run.model().metrics.windows` (the percentile chart) and `run.model().flows()` (after
//! `run.record_flows(n)`, the animated requests). Buttons call `run.set_server_state(i, …)`.
//! Compare mode: `Compare::all(&scenario)?`, then `compare.step(events_per_frame)` until
//! `done`, reading `progress().fraction`; cancel by dropping it; `rows()`/`to_csv()` to export.
//!
//! Architecture invariant: this module is pure — time comes from the kernel, randomness from
//! `SimRng` children named `balancer`, `clients` and `arrivals`, and no map whose iteration order
//! could leak into output is used. It never names a web type nor reads a wall clock (a test greps).
//!
//! Architecture invariant: the workload does not depend on the algorithm. Arrival times, clients,
//! paths, ports and each request's work are drawn from streams the balancer never touches, so every
//! algorithm in a comparison serves exactly the same requests.
//!
//! Architecture invariant: a balancer sees only `ServerView`s. A crashed server looks healthy until
//! an active or passive check marks it down; requests sent to it meanwhile fail and are counted.

pub mod balancer;
pub mod compare;
pub mod form;
pub mod hash;
pub mod ip_hash;
pub mod l4_hash;
pub mod l7_path;
pub mod least_conn;
pub mod maglev;
pub mod metrics;
pub mod model;
pub mod moved;
pub mod nginx;
pub mod passive;
pub mod peak_ewma;
pub mod random;
pub mod replay;
pub mod ring;
pub mod round_robin;
pub mod scenario;
pub mod smooth_wrr;

pub use balancer::{Balancer, BalancerSnapshot, Request, ServerView};
pub use compare::{Compare, CompareProgress, CompareRow};
pub use form::{FieldError, ScenarioForm};
pub use hash::HashKey;
pub use metrics::{Metrics, RunSummary, ServerSummary, WindowSummary};
pub use model::{Flow, FlowOutcome, LbEvent, LbModel, LbRun, ServerSnapshot};
pub use moved::{keys_moved, HashScheme, MembershipChange};
pub use scenario::{preset, presets, Action, Preset, Scenario, ServerConfig, ServerState};

use crate::sim::{SimDuration, SimRng};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The algorithms, by their stable ids (`round-robin`, `smooth-wrr`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlgorithmId {
    RoundRobin,
    SmoothWrr,
    LeastConn,
    IpHash,
    IpHashFull,
    L4Hash,
    L7Path,
    Random,
    P2c,
    Ring,
    Maglev,
    PeakEwma,
}

impl AlgorithmId {
    pub const ALL: [AlgorithmId; 12] = [
        AlgorithmId::RoundRobin,
        AlgorithmId::SmoothWrr,
        AlgorithmId::LeastConn,
        AlgorithmId::IpHash,
        AlgorithmId::IpHashFull,
        AlgorithmId::L4Hash,
        AlgorithmId::L7Path,
        AlgorithmId::Random,
        AlgorithmId::P2c,
        AlgorithmId::Ring,
        AlgorithmId::Maglev,
        AlgorithmId::PeakEwma,
    ];

    /// Every id, comma-separated, for messages that say what is accepted.
    pub fn id_list() -> String {
        AlgorithmId::ALL.iter().map(|a| a.id()).collect::<Vec<_>>().join(", ")
    }

    pub fn id(self) -> &'static str {
        match self {
            AlgorithmId::RoundRobin => "round-robin",
            AlgorithmId::SmoothWrr => "smooth-wrr",
            AlgorithmId::LeastConn => "least-conn",
            AlgorithmId::IpHash => "ip-hash",
            AlgorithmId::IpHashFull => "ip-hash-full",
            AlgorithmId::L4Hash => "l4-hash",
            AlgorithmId::L7Path => "l7-path",
            AlgorithmId::Random => "random",
            AlgorithmId::P2c => "p2c",
            AlgorithmId::Ring => "ring",
            AlgorithmId::Maglev => "maglev",
            AlgorithmId::PeakEwma => "peak-ewma",
        }
    }

    /// A short explanation for the page.
    pub fn explanation(self) -> &'static str {
        match self {
            AlgorithmId::RoundRobin => "Each request goes to the next healthy server in turn; weights and load are ignored.",
            AlgorithmId::SmoothWrr => "nginx's smooth weighted round robin: every pick adds each server's effective weight to its current weight, the largest wins and gives back the total, so heavy servers are spread out rather than bunched.",
            AlgorithmId::LeastConn => "nginx's least_conn: the server with the fewest open requests per unit of weight; ties are broken by weighted round robin.",
            AlgorithmId::IpHash => "nginx's ip_hash: the first three octets of the client's IPv4 address pick the server, so a whole /24 sticks to one server while it is up.",
            AlgorithmId::IpHashFull => "Like ip_hash, but all four octets count: clients in one /24 spread out, each still sticky.",
            AlgorithmId::L4Hash => "A hash of the connection's 5-tuple (addresses, ports, protocol): one connection, one server, as a layer-4 balancer does.",
            AlgorithmId::L7Path => "Layer-7 rules: the first path prefix that matches chooses a pool of servers (round robin inside it); the rest go to a default pool.",
            AlgorithmId::Random => "nginx's random: a server drawn in proportion to weight, drawn again while it is down (21 draws at most, then round robin).",
            AlgorithmId::P2c => "Power of two choices as nginx's random two least_conn: draw two different servers in proportion to weight and send to the one with fewer open requests per unit of weight (the second on a tie); nearly as good as least-conn with almost no coordination.",
            AlgorithmId::Ring => "nginx's hash $key consistent: 160 CRC-32 points per unit of weight on a ring; a key goes to the first point at or after its hash (21 points tried, then round robin), so when a server leaves only its own keys move.",
            AlgorithmId::Maglev => "Google's Maglev: each server fills a 65,537-slot lookup table by its own permutation, giving even load and little movement when servers change; with connection tracking, flows already seen stay on their server.",
            AlgorithmId::PeakEwma => "Peak EWMA (Finagle, Linkerd): cost = latency estimate × (pending + 1), the estimate jumping to new peaks and decaying slowly; two random servers, the cheaper wins.",
        }
    }

    /// Whether a pick depends only on the request and the algorithm's own history, so a list of
    /// picks can be printed without running a simulation.
    pub fn is_deterministic_without_load(self) -> bool {
        !matches!(self, AlgorithmId::LeastConn | AlgorithmId::P2c | AlgorithmId::PeakEwma | AlgorithmId::Random)
    }
}

impl fmt::Display for AlgorithmId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// Errors a user can cause when choosing or configuring a balancer or scenario.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BalanceError {
    #[error("unknown algorithm {0:?}; expected one of: {ids}", ids = AlgorithmId::id_list())]
    UnknownAlgorithm(String),
    #[error("Maglev table size {0} must be a prime number ≥ the number of servers (65537 is the paper's)")]
    MaglevTableSize(u64),
    #[error("ring needs 1 to 1000 points per unit of weight (nginx: 160), got {0}")]
    RingVnodes(u32),
    #[error("L7 rule {prefix:?} names server {server}, but there are only {servers} servers (indexes 0..{servers})")]
    L7PoolServer { prefix: String, server: usize, servers: usize },
    #[error("invalid scenario: {0}")]
    Scenario(String),
    #[error("Maglev connection tracking of {0} flows is too many: expected 0 (off) to {MAX_MAGLEV_TRACKING}")]
    MaglevTracking(u32),
    #[error("unknown hashing scheme {0:?}; expected one of {names}", names = HashScheme::NAMES.join(", "))]
    UnknownHashScheme(String),
    #[error("bad membership change: {0}")]
    Membership(String),
    #[error("unknown preset {0:?}; expected one of: {1}")]
    UnknownPreset(String, String),
}

/// How the playground names server `i` everywhere (cards, diagrams, tables, the ring's hashed
/// names): `s0`, `s1`, …
pub fn server_name(i: usize) -> String {
    format!("s{i}")
}

impl FromStr for AlgorithmId {
    type Err = BalanceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AlgorithmId::ALL.into_iter().find(|a| a.id() == s).ok_or_else(|| BalanceError::UnknownAlgorithm(s.to_string()))
    }
}

/// Per-algorithm knobs (serde, part of the scenario).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BalancerConfig {
    /// What ring and Maglev hash.
    pub hash_key: HashKey,
    /// Ring points per unit of weight (ketama and nginx use 160).
    pub vnodes_per_weight: u32,
    /// Maglev lookup table size (prime).
    pub maglev_table_size: u64,
    /// Maglev's connection tracking table, in flows (0 = no tracking).
    pub maglev_tracking: u32,
    /// L7 rules, first match wins.
    pub l7_rules: Vec<l7_path::PathRule>,
    /// L7 default pool; empty = every server.
    pub l7_default_pool: Vec<usize>,
    /// Peak EWMA's decay time constant (Linkerd: 10 s).
    pub ewma_decay_ms: u64,
    /// Peak EWMA's estimate before a server has answered.
    pub ewma_default_rtt_ms: u64,
}

impl Default for BalancerConfig {
    fn default() -> Self {
        BalancerConfig {
            hash_key: HashKey::ClientIp,
            vnodes_per_weight: 160,
            maglev_table_size: maglev::MAGLEV_TABLE_SIZE as u64,
            maglev_tracking: 0,
            l7_rules: Vec::new(),
            l7_default_pool: Vec::new(),
            ewma_decay_ms: 10_000,
            ewma_default_rtt_ms: 30,
        }
    }
}

/// The most Maglev connection-tracking entries a scenario may ask for.
pub const MAX_MAGLEV_TRACKING: u32 = 1_000_000;

/// Builds the balancer `algorithm` for `servers` servers; `max_fails` is the upstream's nginx
/// `max_fails` (0 = off), which sizes the effective-weight penalty of the nginx balancers; `rng`
/// is only drawn from by the randomized ones.
pub fn build_balancer(
    algorithm: AlgorithmId,
    cfg: &BalancerConfig,
    servers: usize,
    max_fails: u32,
    rng: SimRng,
) -> Result<Box<dyn Balancer>, BalanceError> {
    Ok(match algorithm {
        AlgorithmId::RoundRobin => Box::new(round_robin::RoundRobin::new()),
        AlgorithmId::SmoothWrr => Box::new(smooth_wrr::SmoothWrr::with_max_fails(max_fails)),
        AlgorithmId::LeastConn => Box::new(least_conn::LeastConn::with_max_fails(max_fails)),
        AlgorithmId::IpHash => Box::new(ip_hash::IpHash::nginx().with_max_fails(max_fails)),
        AlgorithmId::IpHashFull => Box::new(ip_hash::IpHash::full().with_max_fails(max_fails)),
        AlgorithmId::L4Hash => Box::new(l4_hash::L4Hash::with_max_fails(max_fails)),
        AlgorithmId::L7Path => {
            for r in &cfg.l7_rules {
                if let Some(bad) = r.pool.iter().find(|i| **i >= servers) {
                    return Err(BalanceError::L7PoolServer { prefix: r.prefix.clone(), server: *bad, servers });
                }
            }
            if let Some(bad) = cfg.l7_default_pool.iter().find(|i| **i >= servers) {
                return Err(BalanceError::L7PoolServer { prefix: "(default)".into(), server: *bad, servers });
            }
            Box::new(l7_path::L7Path::new(cfg.l7_rules.clone(), cfg.l7_default_pool.clone()))
        }
        AlgorithmId::Random => Box::new(random::RandomPick::with_max_fails(rng, max_fails)),
        AlgorithmId::P2c => Box::new(random::RandomTwo::with_max_fails(rng, max_fails)),
        AlgorithmId::Ring => {
            if !(1..=1000).contains(&cfg.vnodes_per_weight) {
                return Err(BalanceError::RingVnodes(cfg.vnodes_per_weight));
            }
            Box::new(ring::RingHash::with_max_fails(cfg.hash_key, cfg.vnodes_per_weight, max_fails))
        }
        AlgorithmId::Maglev => {
            let m = cfg.maglev_table_size;
            if !maglev::is_prime(m) || m < servers as u64 || m > 10_000_019 {
                return Err(BalanceError::MaglevTableSize(m));
            }
            if cfg.maglev_tracking > MAX_MAGLEV_TRACKING {
                return Err(BalanceError::MaglevTracking(cfg.maglev_tracking));
            }
            Box::new(maglev::Maglev::new(cfg.hash_key, m as usize).with_tracking(cfg.maglev_tracking as usize))
        }
        AlgorithmId::PeakEwma => Box::new(peak_ewma::PeakEwma::new(
            rng,
            SimDuration::from_millis(cfg.ewma_decay_ms),
            SimDuration::from_millis(cfg.ewma_default_rtt_ms),
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_unknown_ids_name_the_choices() {
        for a in AlgorithmId::ALL {
            assert_eq!(a.id().parse::<AlgorithmId>(), Ok(a));
            assert_eq!(serde_json::to_string(&a).unwrap(), format!("\"{}\"", a.id()));
            assert!(!a.explanation().is_empty());
        }
        let e = "wrr".parse::<AlgorithmId>().unwrap_err().to_string();
        assert!(e.contains("\"wrr\"") && e.ends_with(&AlgorithmId::id_list()), "{e}");
        assert!(AlgorithmId::ALL.iter().all(|a| AlgorithmId::id_list().contains(a.id())));
    }

    #[test]
    fn bad_configs_are_errors_not_panics() {
        let cfg = BalancerConfig { maglev_table_size: 65_536, ..Default::default() };
        assert_eq!(
            build_balancer(AlgorithmId::Maglev, &cfg, 3, 1, SimRng::new(1)).err(),
            Some(BalanceError::MaglevTableSize(65_536))
        );
        let cfg = BalancerConfig {
            l7_rules: vec![l7_path::PathRule { prefix: "/api".into(), pool: vec![7] }],
            ..Default::default()
        };
        let e = build_balancer(AlgorithmId::L7Path, &cfg, 3, 1, SimRng::new(1)).err().unwrap().to_string();
        assert!(e.contains("server 7") && e.contains("3 servers"), "{e}");
    }
}
