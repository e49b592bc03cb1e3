//! The scenario: everything that defines a run, as one serde struct the page keeps in its URL, plus
//! the presets. Validation turns every bad value a user can type into a [`BalanceError`] that names
//! it; nothing here panics on input.

use super::l7_path::PathRule;
use super::{AlgorithmId, BalanceError, BalancerConfig};
use crate::sim::Distribution;
use serde::{Deserialize, Serialize};

/// A server's true condition (what health checks try to find out).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerState {
    #[default]
    Up,
    /// Crashed: connections fail, in-flight work is lost.
    Down,
    /// Serving, but `slow_factor` times slower.
    Slow,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerConfig {
    pub weight: u32,
    /// Requests served at once; more wait in the queue.
    pub concurrency: u32,
    /// Waiting requests beyond this are dropped (a 503).
    pub queue_limit: u32,
    /// Service time is divided by this (2.0 = twice as fast).
    pub speed: f64,
    /// Service time multiplier while `Slow`.
    pub slow_factor: f64,
    pub state: ServerState,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            weight: 1,
            concurrency: 8,
            queue_limit: 64,
            speed: 1.0,
            slow_factor: 10.0,
            state: ServerState::Up,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientsConfig {
    /// Distinct clients (each with one IPv4 address).
    pub count: u32,
    /// How many of them sit behind one NAT: their addresses all fall in `nat_prefix`.0/24.
    pub nat_clients: u32,
    pub nat_prefix: [u8; 3],
}

impl Default for ClientsConfig {
    fn default() -> Self {
        ClientsConfig { count: 1000, nat_clients: 0, nat_prefix: [100, 64, 7] }
    }
}

/// Periodic bursts: for `length_ms` out of every `every_ms` the arrival rate is multiplied.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Burst {
    pub every_ms: u64,
    pub length_ms: u64,
    pub multiplier: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ArrivalConfig {
    /// Mean Poisson arrival rate, requests per second of virtual time.
    pub rate_per_s: f64,
    pub burst: Option<Burst>,
}

impl Default for ArrivalConfig {
    fn default() -> Self {
        ArrivalConfig { rate_per_s: 1000.0, burst: None }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathWeight {
    pub path: String,
    pub weight: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActiveCheck {
    pub interval_ms: u64,
    /// Consecutive failed checks before a server is marked down.
    pub fall: u32,
    /// Consecutive passed checks before it is marked up again.
    pub rise: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PassiveCheck {
    /// nginx `max_fails`: this many failures, each within `fail_timeout_ms` of the last check,
    /// take a server out of rotation (and each failure costs it `weight / max_fails` of effective
    /// weight in the round-robin table). No passive check at all is nginx's `max_fails=0`.
    pub max_fails: u32,
    /// nginx `fail_timeout`: how long a failed server is skipped before one probe request is let
    /// through ([`super::passive`]).
    pub fail_timeout_ms: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HealthConfig {
    pub active: Option<ActiveCheck>,
    pub passive: Option<PassiveCheck>,
    /// A server coming back ramps its weight from 1 to full over this long (0 = off).
    pub slow_start_ms: u64,
}

impl HealthConfig {
    /// The usual checks: an active check every second (3 failures mark a server down, 2 passes
    /// bring it back) and nginx's passive `max_fails=1 fail_timeout=10s` defaults.
    pub fn active_and_passive(slow_start_ms: u64) -> Self {
        HealthConfig {
            active: Some(ActiveCheck { interval_ms: 1_000, fall: 3, rise: 2 }),
            passive: Some(PassiveCheck { max_fails: 1, fail_timeout_ms: 10_000 }),
            slow_start_ms,
        }
    }
}

/// Something that happens to the fleet at a given time (the presets' scripts, the page's buttons).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    SetState {
        server: usize,
        state: ServerState,
    },
    /// Every response from `server` takes exactly `latency_ms` (Linkerd's slow-server experiment).
    PinLatency {
        server: usize,
        latency_ms: u64,
    },
    Unpin {
        server: usize,
    },
    /// The server's weight changed at runtime (as nginx Plus's API or a re-resolved SRV weight
    /// does): the balancer gives the peer fresh round-robin state (`Balancer::weight_changed`).
    SetWeight {
        server: usize,
        weight: u32,
    },
    AddServer {
        config: ServerConfig,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScheduledAction {
    pub at_ms: u64,
    pub action: Action,
}

/// One run's full definition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Scenario {
    pub name: String,
    pub algorithm: AlgorithmId,
    pub seed: u64,
    /// Arrivals stop after this much virtual time; requests in flight then finish.
    pub duration_ms: u64,
    /// Width of the over-time metric windows.
    pub window_ms: u64,
    pub clients: ClientsConfig,
    pub arrivals: ArrivalConfig,
    pub paths: Vec<PathWeight>,
    pub dst_ports: Vec<u16>,
    /// Service time of one request on a speed-1 server.
    pub service: Distribution,
    pub servers: Vec<ServerConfig>,
    pub health: HealthConfig,
    pub balancer: BalancerConfig,
    pub events: Vec<ScheduledAction>,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            name: "custom".into(),
            algorithm: AlgorithmId::RoundRobin,
            seed: 1,
            duration_ms: 10_000,
            window_ms: 1_000,
            clients: ClientsConfig::default(),
            arrivals: ArrivalConfig::default(),
            paths: vec![
                PathWeight { path: "/api/orders".into(), weight: 50 },
                PathWeight { path: "/auth/login".into(), weight: 10 },
                PathWeight { path: "/static/app.js".into(), weight: 40 },
            ],
            dst_ports: vec![80, 443],
            service: Distribution::Exponential { mean_ms: 20.0 },
            servers: vec![ServerConfig::default(); 4],
            health: HealthConfig::default(),
            balancer: BalancerConfig::default(),
            events: Vec::new(),
        }
    }
}

fn bad(msg: String) -> BalanceError {
    BalanceError::Scenario(msg)
}

fn check_positive(name: &str, v: f64) -> Result<(), BalanceError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(bad(format!("{name} = {v} must be a finite number > 0")))
    }
}

/// Every parameter finite, scales positive, shapes in range: a bad one would make samples NaN,
/// infinite or negative.
fn check_distribution(d: &Distribution) -> Result<(), BalanceError> {
    let ok = match *d {
        Distribution::Constant { ms } => ms.is_finite() && ms >= 0.0,
        Distribution::Uniform { min_ms, max_ms } => {
            min_ms.is_finite() && max_ms.is_finite() && 0.0 <= min_ms && min_ms <= max_ms
        }
        Distribution::AbsNormal { mean_ms, std_dev_ms } => {
            mean_ms.is_finite() && std_dev_ms.is_finite() && mean_ms >= 0.0 && std_dev_ms >= 0.0
        }
        Distribution::LogNormal { median_ms, sigma } => {
            median_ms.is_finite() && sigma.is_finite() && median_ms > 0.0 && sigma >= 0.0
        }
        Distribution::Exponential { mean_ms } => mean_ms.is_finite() && mean_ms > 0.0,
        Distribution::Pareto { min_ms, alpha } => {
            min_ms.is_finite() && alpha.is_finite() && min_ms > 0.0 && alpha > 0.0
        }
    };
    if ok {
        Ok(())
    } else {
        Err(bad(format!(
            "service distribution {d:?}: parameters must be finite, scales > 0 (constant ≥ 0, uniform 0 ≤ min ≤ max), sigma ≥ 0, alpha > 0"
        )))
    }
}

/// A run keeps at most this many closed metrics windows (one day in 1 s windows fits).
pub const MAX_WINDOWS: u64 = 100_000;

impl Scenario {
    /// Checks every value a user could have typed. The balancer's own knobs are checked when it is
    /// built.
    pub fn validate(&self) -> Result<(), BalanceError> {
        if self.duration_ms == 0 || self.duration_ms > 86_400_000 {
            return Err(bad(format!("duration_ms = {} must be in 1..=86400000 (one day)", self.duration_ms)));
        }
        if self.window_ms == 0 {
            return Err(bad("window_ms = 0 must be ≥ 1".into()));
        }
        let windows = self.duration_ms.div_ceil(self.window_ms);
        if windows > MAX_WINDOWS {
            return Err(bad(format!(
                "duration_ms = {} in windows of window_ms = {} would keep {windows} windows; at most {MAX_WINDOWS} (raise window_ms)",
                self.duration_ms, self.window_ms
            )));
        }
        check_positive("arrivals.rate_per_s", self.arrivals.rate_per_s)?;
        if self.arrivals.rate_per_s > 10_000_000.0 {
            return Err(bad(format!("arrivals.rate_per_s = {} must be ≤ 10000000", self.arrivals.rate_per_s)));
        }
        if let Some(b) = &self.arrivals.burst {
            check_positive("arrivals.burst.multiplier", b.multiplier)?;
            if b.every_ms == 0 || b.length_ms > b.every_ms {
                return Err(bad(format!(
                    "burst every_ms = {} / length_ms = {}: need every_ms ≥ 1 and length_ms ≤ every_ms",
                    b.every_ms, b.length_ms
                )));
            }
        }
        if self.clients.count == 0 || self.clients.count > 1_000_000 {
            return Err(bad(format!("clients.count = {} must be in 1..=1000000", self.clients.count)));
        }
        if self.clients.nat_clients > self.clients.count {
            return Err(bad(format!(
                "clients.nat_clients = {} exceeds clients.count = {}",
                self.clients.nat_clients, self.clients.count
            )));
        }
        if self.paths.iter().map(|p| u64::from(p.weight)).sum::<u64>() == 0 {
            return Err(bad("paths: need at least one path with a positive weight".into()));
        }
        if self.dst_ports.is_empty() {
            return Err(bad("dst_ports: need at least one destination port".into()));
        }
        check_distribution(&self.service)?;
        if self.servers.is_empty() || self.servers.len() > 10_000 {
            return Err(bad(format!("servers: {} given, need 1..=10000", self.servers.len())));
        }
        let added = self.events.iter().filter(|e| matches!(e.action, Action::AddServer { .. })).count();
        for (i, s) in self
            .servers
            .iter()
            .chain(self.events.iter().filter_map(|e| match &e.action {
                Action::AddServer { config } => Some(config),
                _ => None,
            }))
            .enumerate()
        {
            if s.concurrency == 0 {
                return Err(bad(format!("server {i}: concurrency = 0 must be ≥ 1")));
            }
            check_positive(&format!("server {i}: speed"), s.speed)?;
            check_positive(&format!("server {i}: slow_factor"), s.slow_factor)?;
        }
        let max_index = self.servers.len() + added;
        for e in &self.events {
            let server = match &e.action {
                Action::SetState { server, .. }
                | Action::PinLatency { server, .. }
                | Action::Unpin { server }
                | Action::SetWeight { server, .. } => *server,
                Action::AddServer { .. } => 0,
            };
            if server >= max_index {
                return Err(bad(format!("event at {} ms names server {server}; servers are 0..{max_index}", e.at_ms)));
            }
        }
        if let Some(a) = &self.health.active {
            if a.interval_ms == 0 || a.fall == 0 || a.rise == 0 {
                return Err(bad(format!(
                    "health.active interval_ms = {}, fall = {}, rise = {}: all must be ≥ 1",
                    a.interval_ms, a.fall, a.rise
                )));
            }
        }
        if let Some(p) = &self.health.passive {
            if p.max_fails == 0 || p.fail_timeout_ms == 0 {
                return Err(bad(format!(
                    "health.passive max_fails = {}, fail_timeout_ms = {}: both must be ≥ 1",
                    p.max_fails, p.fail_timeout_ms
                )));
            }
        }
        Ok(())
    }

    /// The scenario as JSON (what the page stores in its URL, compressed or not).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(s: &str) -> Result<Self, BalanceError> {
        let sc: Scenario = serde_json::from_str(s).map_err(|e| bad(format!("scenario JSON: {e}")))?;
        sc.validate()?;
        Ok(sc)
    }

    /// The server count at its largest (after every `AddServer`).
    pub fn max_servers(&self) -> usize {
        self.servers.len() + self.events.iter().filter(|e| matches!(e.action, Action::AddServer { .. })).count()
    }

    /// Offered load relative to capacity: arrival rate × mean service ÷ Σ concurrency × speed.
    pub fn offered_load(&self) -> f64 {
        let capacity: f64 = self.servers.iter().map(|s| f64::from(s.concurrency) * s.speed).sum();
        self.arrivals.rate_per_s * self.service.mean_ms() / 1000.0 / capacity
    }
}

/// A named, described starting point for the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Preset {
    pub id: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub scenario: Scenario,
}

fn servers_with_weights(weights: &[u32]) -> Vec<ServerConfig> {
    weights.iter().map(|w| ServerConfig { weight: *w, ..ServerConfig::default() }).collect()
}

fn dies(with_health: bool) -> Scenario {
    Scenario {
        name: if with_health { "server-dies-health-checks" } else { "server-dies-no-health-checks" }.into(),
        algorithm: AlgorithmId::RoundRobin,
        duration_ms: 30_000,
        arrivals: ArrivalConfig { rate_per_s: 400.0, burst: None },
        servers: vec![ServerConfig::default(); 4],
        health: if with_health { HealthConfig::active_and_passive(5_000) } else { HealthConfig::default() },
        events: vec![
            ScheduledAction { at_ms: 10_000, action: Action::SetState { server: 1, state: ServerState::Down } },
            ScheduledAction { at_ms: 20_000, action: Action::SetState { server: 1, state: ServerState::Up } },
        ],
        ..Scenario::default()
    }
}

/// Every preset, in the order the page lists them.
pub fn presets() -> Vec<Preset> {
    vec![
        Preset {
            id: "nginx-2-3-1",
            title: "nginx: weights 2:3:1",
            description: "The reference article's three servers with weights 2, 3 and 1 under smooth weighted round robin: per 6 requests, s1 s0 s1 s2 s0 s1.",
            scenario: Scenario {
                name: "nginx-2-3-1".into(),
                algorithm: AlgorithmId::SmoothWrr,
                arrivals: ArrivalConfig { rate_per_s: 300.0, burst: None },
                servers: servers_with_weights(&[2, 3, 1]),
                ..Scenario::default()
            },
        },
        Preset {
            id: "nginx-5-5",
            title: "nginx: two equal servers, weight 5",
            description: "Two servers of weight 5 alternate strictly: smooth WRR never sends five in a row to one of them.",
            scenario: Scenario {
                name: "nginx-5-5".into(),
                algorithm: AlgorithmId::SmoothWrr,
                arrivals: ArrivalConfig { rate_per_s: 200.0, burst: None },
                servers: servers_with_weights(&[5, 5]),
                ..Scenario::default()
            },
        },
        Preset {
            id: "linkerd-slow-server",
            title: "One slow server (Linkerd's experiment)",
            description: "11 backends; from 10 s to 40 s one of them answers every request in exactly 2 s. Round robin keeps sending it 1/11 of the traffic; peak EWMA notices and routes around it.",
            scenario: Scenario {
                name: "linkerd-slow-server".into(),
                algorithm: AlgorithmId::PeakEwma,
                duration_ms: 60_000,
                arrivals: ArrivalConfig { rate_per_s: 1000.0, burst: None },
                service: Distribution::LogNormal { median_ms: 10.0, sigma: 0.5 },
                // Enough concurrency that the slow server only answers late, as in Linkerd's test, rather
                // than also queueing (91 req/s × 2 s ≈ 182 in flight).
                servers: vec![ServerConfig { concurrency: 256, queue_limit: 1000, ..ServerConfig::default() }; 11],
                events: vec![
                    ScheduledAction { at_ms: 10_000, action: Action::PinLatency { server: 3, latency_ms: 2_000 } },
                    ScheduledAction { at_ms: 40_000, action: Action::Unpin { server: 3 } },
                ],
                ..Scenario::default()
            },
        },
        Preset {
            id: "server-dies-no-health",
            title: "A server dies, no health checks",
            description: "s1 crashes at 10 s and comes back at 20 s. Without checks the balancer keeps sending it a quarter of the traffic, and every one of those requests fails.",
            scenario: dies(false),
        },
        Preset {
            id: "server-dies-health",
            title: "A server dies, with health checks",
            description: "The same crash with passive checks (max_fails 1, fail_timeout 10 s), active checks every second (fall 3, rise 2) and a 5 s slow start: only the first failures are lost.",
            scenario: dies(true),
        },
        Preset {
            id: "sticky-nat",
            title: "Sticky sessions with ip_hash and a NATed /24",
            description: "ip_hash keys on the first three octets, so 600 of 1000 clients behind one carrier NAT /24 all land on one server: sticky, but badly unbalanced. Try ip-hash-full.",
            scenario: Scenario {
                name: "sticky-nat".into(),
                algorithm: AlgorithmId::IpHash,
                clients: ClientsConfig { count: 1000, nat_clients: 600, nat_prefix: [100, 64, 7] },
                arrivals: ArrivalConfig { rate_per_s: 400.0, burst: None },
                ..Scenario::default()
            },
        },
        Preset {
            id: "scale-out",
            title: "Scale-out and keys moved",
            description: "Five servers under nginx's consistent hashing; a sixth joins at 10 s. Only about a sixth of the clients move (compare `sim lb moved` for modulo, ring and Maglev).",
            scenario: Scenario {
                name: "scale-out".into(),
                algorithm: AlgorithmId::Ring,
                duration_ms: 20_000,
                arrivals: ArrivalConfig { rate_per_s: 500.0, burst: None },
                servers: vec![ServerConfig::default(); 5],
                events: vec![ScheduledAction { at_ms: 10_000, action: Action::AddServer { config: ServerConfig::default() } }],
                ..Scenario::default()
            },
        },
        Preset {
            id: "maglev-conntrack",
            title: "Maglev with connection tracking",
            description: "Five servers under Maglev with a 10,000-flow connection tracking table; a sixth joins at 10 s. The lookup table changes, but flows already tracked stay on their server, so s5 only gets flows the table has not seen — here none, since all 1,000 clients were seen in the first 10 s. Set tracking to 0 to see a sixth of the clients move to s5.",
            scenario: Scenario {
                name: "maglev-conntrack".into(),
                algorithm: AlgorithmId::Maglev,
                duration_ms: 20_000,
                arrivals: ArrivalConfig { rate_per_s: 500.0, burst: None },
                servers: vec![ServerConfig::default(); 5],
                balancer: BalancerConfig { maglev_tracking: 10_000, ..BalancerConfig::default() },
                events: vec![ScheduledAction { at_ms: 10_000, action: Action::AddServer { config: ServerConfig::default() } }],
                ..Scenario::default()
            },
        },
        Preset {
            id: "l7-paths",
            title: "Layer-7 path rules",
            description: "/api/ goes to s0–s1, /static/ to s2, everything else to s3.",
            scenario: Scenario {
                name: "l7-paths".into(),
                algorithm: AlgorithmId::L7Path,
                balancer: BalancerConfig {
                    l7_rules: vec![
                        PathRule { prefix: "/api/".into(), pool: vec![0, 1] },
                        PathRule { prefix: "/static/".into(), pool: vec![2] },
                    ],
                    l7_default_pool: vec![3],
                    ..BalancerConfig::default()
                },
                arrivals: ArrivalConfig { rate_per_s: 300.0, burst: None },
                ..Scenario::default()
            },
        },
    ]
}

/// The preset called `id`.
pub fn preset(id: &str) -> Result<Scenario, BalanceError> {
    let all = presets();
    let ids = all.iter().map(|p| p.id).collect::<Vec<_>>().join(", ");
    all.into_iter()
        .find(|p| p.id == id)
        .map(|p| p.scenario)
        .ok_or_else(|| BalanceError::UnknownPreset(id.to_string(), ids))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid_and_round_trip_through_json() {
        for p in presets() {
            p.scenario.validate().unwrap_or_else(|e| panic!("{}: {e}", p.id));
            assert_eq!(Scenario::from_json(&p.scenario.to_json()).unwrap(), p.scenario, "{}", p.id);
        }
        assert!(preset("nope").unwrap_err().to_string().contains("linkerd-slow-server"));
    }

    #[test]
    fn bad_values_are_named() {
        let mut s = Scenario::default();
        s.arrivals.rate_per_s = -3.0;
        assert!(s.validate().unwrap_err().to_string().contains("rate_per_s = -3"));
        let mut s = Scenario::default();
        s.servers[2].concurrency = 0;
        assert!(s.validate().unwrap_err().to_string().contains("server 2: concurrency = 0"));
        let mut s = Scenario::default();
        s.events.push(ScheduledAction { at_ms: 5, action: Action::Unpin { server: 9 } });
        assert!(s.validate().unwrap_err().to_string().contains("server 9"));
        let s = Scenario { service: Distribution::Pareto { min_ms: 5.0, alpha: 0.0 }, ..Scenario::default() };
        assert!(s.validate().unwrap_err().to_string().contains("alpha: 0.0"));
        let s = Scenario { duration_ms: 86_400_000, window_ms: 100, ..Scenario::default() };
        let e = s.validate().unwrap_err().to_string();
        assert!(e.contains("864000 windows; at most 100000"), "{e}");
        let s = Scenario { duration_ms: 86_400_000, window_ms: 1000, ..Scenario::default() };
        assert!(s.validate().is_ok());
        assert!(Scenario::from_json("{\"duration_ms\": 0}").unwrap_err().to_string().contains("duration_ms = 0"));
        // Missing fields fall back to defaults, so short URLs work.
        assert_eq!(Scenario::from_json("{\"seed\": 9}").unwrap().seed, 9);
    }
}
