//! What a cluster run is: the cluster's shape, the network, the application's workload, the
//! client's options, the run's length and the faults scheduled in it; the presets; the URL form.

use serde::{Deserialize, Deserializer, Serialize};
use thiserror::Error;

use super::client::{ClientOptions, ScaleReads};
use super::config::{port_of, ClusterConfig, ConfigError, NodeIdx, NODE_TIMEOUT_RANGE};
use super::slot::SLOTS;
use crate::sim::tagged::required;
use crate::sim::QueryParams;

/// Accepted ranges of the workload and network settings.
pub const CLIENTS_RANGE: (usize, usize) = (1, 8);
pub const RATE_RANGE: (f64, f64) = (0.0, 2000.0);
pub const LAG_RANGE: (u64, u64) = (0, 10_000);
pub const LATENCY_RANGE: (u64, u64) = (0, 1000);
pub const DURATION_RANGE: (u64, u64) = (5_000, 3_600_000);
pub const USERS_RANGE: (u64, u64) = (1, 10_000);

/// The cache-aside application spread over the cluster (the Redis page's demo, scaled out).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkloadConfig {
    /// Application processes, each with its own cluster client.
    pub clients: usize,
    /// Cache-aside reads per second (`GET user:<name>`; a miss asks the origin and `SETEX`es).
    pub read_rate: f64,
    /// Writes per second (`SET session:<n> <token> EX 600`).
    pub write_rate: f64,
    pub users: u64,
    /// Zipf exponent of user popularity.
    pub skew: f64,
    /// TTL of cached answers (s).
    pub ttl_s: u64,
    /// The origin API's mean response time (ms).
    pub origin_ms: f64,
    /// Keys `{orders}:<n>` loaded at the start: one hash tag, so all in one slot (105).
    pub tagged_keys: u64,
    /// Share of reads that look up two of them at once (`MGET {orders}:a {orders}:b`).
    pub tagged_share: f64,
}

impl Default for WorkloadConfig {
    fn default() -> Self {
        WorkloadConfig {
            clients: 3,
            read_rate: 100.0,
            write_rate: 20.0,
            users: 300,
            skew: 1.1,
            ttl_s: 30,
            origin_ms: 370.0,
            tagged_keys: 0,
            tagged_share: 0.0,
        }
    }
}

/// How CLUSTER FAILOVER is asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailoverMode {
    Default,
    Force,
    Takeover,
}

/// A fault or operation, scheduled or from the page. Written as `{"kind": "kill", "node": 0}`; read
/// through [`ActionFields`] (see [`crate::sim::tagged`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// SIGKILL the process (no persistence: its data is gone).
    Kill {
        node: NodeIdx,
    },
    /// Start it again from its `nodes.conf`.
    Restart {
        node: NodeIdx,
    },
    /// Cut these nodes and application processes off from everything else.
    Partition {
        nodes: Vec<NodeIdx>,
        clients: Vec<usize>,
    },
    Heal,
    /// Extra one-way latency on every link of `node` (0 removes it).
    Latency {
        node: NodeIdx,
        ms: u64,
    },
    /// `redis-cli --cluster reshard`: move `slots` slots from `from` to `to` (the first ones `from` has).
    Reshard {
        from: NodeIdx,
        to: NodeIdx,
        slots: u32,
    },
    /// CLUSTER FAILOVER on replica `node`.
    Failover {
        node: NodeIdx,
        mode: FailoverMode,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum ActionKind {
    Kill,
    Restart,
    Partition,
    Heal,
    Latency,
    Reshard,
    Failover,
}

/// [`Action`]'s JSON object: the tag and every variant's fields.
#[derive(Deserialize)]
#[serde(expecting = "internally tagged enum Action")]
struct ActionFields {
    kind: ActionKind,
    node: Option<NodeIdx>,
    nodes: Option<Vec<NodeIdx>>,
    clients: Option<Vec<usize>>,
    ms: Option<u64>,
    from: Option<NodeIdx>,
    to: Option<NodeIdx>,
    slots: Option<u32>,
    mode: Option<FailoverMode>,
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let f = ActionFields::deserialize(d)?;
        Ok(match f.kind {
            ActionKind::Kill => Action::Kill { node: required(f.node, "node")? },
            ActionKind::Restart => Action::Restart { node: required(f.node, "node")? },
            ActionKind::Partition => {
                Action::Partition { nodes: required(f.nodes, "nodes")?, clients: required(f.clients, "clients")? }
            }
            ActionKind::Heal => Action::Heal,
            ActionKind::Latency => Action::Latency { node: required(f.node, "node")?, ms: required(f.ms, "ms")? },
            ActionKind::Reshard => Action::Reshard {
                from: required(f.from, "from")?,
                to: required(f.to, "to")?,
                slots: required(f.slots, "slots")?,
            },
            ActionKind::Failover => {
                Action::Failover { node: required(f.node, "node")?, mode: required(f.mode, "mode")? }
            }
        })
    }
}

impl Action {
    /// A short description for the page's log.
    pub fn describe(&self) -> String {
        match self {
            Action::Kill { node } => format!("kill 127.0.0.1:{}", port_of(*node)),
            Action::Restart { node } => format!("restart 127.0.0.1:{}", port_of(*node)),
            Action::Partition { nodes, clients } => {
                let mut parts: Vec<String> = nodes.iter().map(|n| format!(":{}", port_of(*n))).collect();
                parts.extend(clients.iter().map(|c| format!("app {}", c + 1)));
                format!("partition {{{}}} from the rest", parts.join(", "))
            }
            Action::Heal => "heal the partition".into(),
            Action::Latency { node, ms } => format!("latency +{ms} ms on :{}", port_of(*node)),
            Action::Reshard { from, to, slots } => {
                format!("reshard {slots} slots :{} → :{}", port_of(*from), port_of(*to))
            }
            Action::Failover { node, mode } => format!(
                "CLUSTER FAILOVER{} on :{}",
                match mode {
                    FailoverMode::Default => "",
                    FailoverMode::Force => " FORCE",
                    FailoverMode::Takeover => " TAKEOVER",
                },
                port_of(*node)
            ),
        }
    }
}

/// An action at a time of the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub at_ms: u64,
    pub action: Action,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    pub preset: String,
    pub cluster: ClusterConfig,
    /// One-way latency between any two hosts (ms).
    pub latency_ms: u64,
    /// Extra delay of every master → replica stream (ms): the replication lag.
    pub repl_lag_ms: u64,
    pub workload: WorkloadConfig,
    pub client: ClientOptions,
    /// The run stops here.
    pub duration_ms: u64,
    pub steps: Vec<Step>,
}

impl Default for Scenario {
    fn default() -> Self {
        preset("failover").expect("the failover preset exists")
    }
}

/// The presets: id and one line.
pub const PRESETS: [(&str, &str); 5] = [
    ("failover", "Kill the master 127.0.0.1:7000 at 10 s; its replica is promoted; the old master returns at 35 s as a replica."),
    ("partition-minority", "Cut 127.0.0.1:7000 off with application 1 at 10 s: it accepts writes until the node timeout, its replica is promoted, and what it accepted is lost when the partition heals at 30 s."),
    ("reshard", "Move 1000 slots from 127.0.0.1:7000 to 127.0.0.1:7001 under load, key by key: slot 105 holds 3000 {orders} keys, and reads of them meet ASK and TRYAGAIN while it moves."),
    ("replica-lag", "Replication lags 800 ms behind; killing the master at 10 s loses the writes inside that window."),
    ("steady", "No faults: a healthy cluster under the cache-aside workload."),
];

/// A problem with a scenario, naming the value and what is accepted.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum ScenarioError {
    #[error("unknown preset {0:?}: choose failover, partition-minority, reshard, replica-lag or steady")]
    Preset(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{what} {value} is not accepted: enter {lo} to {hi}")]
    Range { what: &'static str, value: String, lo: String, hi: String },
    #[error("step at {at_ms} ms names node {node}, but the cluster has {nodes} nodes (0 to {})", nodes - 1)]
    Node { at_ms: u64, node: NodeIdx, nodes: usize },
}

/// The preset `id`.
pub fn preset(id: &str) -> Result<Scenario, ScenarioError> {
    let base = Scenario {
        preset: id.to_string(),
        cluster: ClusterConfig::default(),
        latency_ms: 1,
        repl_lag_ms: 0,
        workload: WorkloadConfig::default(),
        client: ClientOptions::default(),
        duration_ms: 60_000,
        steps: Vec::new(),
    };
    let s = match id {
        "failover" => Scenario {
            duration_ms: 50_000,
            steps: vec![
                Step { at_ms: 10_000, action: Action::Kill { node: 0 } },
                Step { at_ms: 35_000, action: Action::Restart { node: 0 } },
            ],
            ..base
        },
        "partition-minority" => Scenario {
            duration_ms: 50_000,
            steps: vec![
                Step { at_ms: 10_000, action: Action::Partition { nodes: vec![0], clients: vec![0] } },
                Step { at_ms: 30_000, action: Action::Heal },
            ],
            ..base
        },
        "reshard" => Scenario {
            workload: WorkloadConfig { tagged_keys: 3000, tagged_share: 0.3, ..WorkloadConfig::default() },
            duration_ms: 40_000,
            steps: vec![Step { at_ms: 5_000, action: Action::Reshard { from: 0, to: 1, slots: 1000 } }],
            ..base
        },
        "replica-lag" => Scenario {
            repl_lag_ms: 800,
            workload: WorkloadConfig { write_rate: 100.0, ..WorkloadConfig::default() },
            duration_ms: 40_000,
            steps: vec![Step { at_ms: 10_000, action: Action::Kill { node: 0 } }],
            ..base
        },
        "steady" => Scenario { duration_ms: 120_000, ..base },
        other => return Err(ScenarioError::Preset(other.to_string())),
    };
    Ok(s)
}

fn range<T: PartialOrd + ToString>(what: &'static str, v: T, lo: T, hi: T) -> Result<(), ScenarioError> {
    if v < lo || v > hi {
        return Err(ScenarioError::Range { what, value: v.to_string(), lo: lo.to_string(), hi: hi.to_string() });
    }
    Ok(())
}

impl Scenario {
    pub fn validate(&self) -> Result<(), ScenarioError> {
        self.cluster.validate()?;
        let w = &self.workload;
        range("application processes", w.clients, CLIENTS_RANGE.0, CLIENTS_RANGE.1)?;
        if !w.read_rate.is_finite() {
            return Err(ScenarioError::Range {
                what: "reads per second",
                value: w.read_rate.to_string(),
                lo: "0".into(),
                hi: "2000".into(),
            });
        }
        range("reads per second", w.read_rate, RATE_RANGE.0, RATE_RANGE.1)?;
        if !w.write_rate.is_finite() {
            return Err(ScenarioError::Range {
                what: "writes per second",
                value: w.write_rate.to_string(),
                lo: "0".into(),
                hi: "2000".into(),
            });
        }
        range("writes per second", w.write_rate, RATE_RANGE.0, RATE_RANGE.1)?;
        range("users", w.users, USERS_RANGE.0, USERS_RANGE.1)?;
        range("tagged keys", w.tagged_keys, 0, 5000)?;
        if !(0.0..=1.0).contains(&w.tagged_share) {
            return Err(ScenarioError::Range {
                what: "tagged share",
                value: w.tagged_share.to_string(),
                lo: "0".into(),
                hi: "1".into(),
            });
        }
        range("replication lag (ms)", self.repl_lag_ms, LAG_RANGE.0, LAG_RANGE.1)?;
        range("latency (ms)", self.latency_ms, LATENCY_RANGE.0, LATENCY_RANGE.1)?;
        range("duration (ms)", self.duration_ms, DURATION_RANGE.0, DURATION_RANGE.1)?;
        let nodes = self.cluster.nodes();
        for s in &self.steps {
            let named: Vec<NodeIdx> = match &s.action {
                Action::Kill { node }
                | Action::Restart { node }
                | Action::Latency { node, .. }
                | Action::Failover { node, .. } => vec![*node],
                Action::Partition { nodes, .. } => nodes.clone(),
                Action::Reshard { from, to, slots } => {
                    range("slots to move", *slots as usize, 1, SLOTS)?;
                    vec![*from, *to]
                }
                Action::Heal => vec![],
            };
            if let Some(&node) = named.iter().find(|&&n| n >= nodes) {
                return Err(ScenarioError::Node { at_ms: s.at_ms, node, nodes });
            }
        }
        Ok(())
    }

    /// Reads a scenario from the page's query string: the preset, then overrides. Bad values fall
    /// back to the preset's and are reported in `q`'s notices.
    pub fn from_query(q: &mut QueryParams) -> Scenario {
        let ids: Vec<&str> = PRESETS.iter().map(|(id, _)| *id).collect();
        let id = q.choice("preset", "failover", &ids);
        let mut s = preset(&id).unwrap_or_default();
        s.cluster.node_timeout_ms =
            q.u64_in("timeout", s.cluster.node_timeout_ms, NODE_TIMEOUT_RANGE.0, NODE_TIMEOUT_RANGE.1);
        s.cluster.masters = q.u64_in("masters", s.cluster.masters as u64, 3, 9) as usize;
        s.cluster.replicas = q.u64_in("replicas", s.cluster.replicas as u64, 0, 2) as usize;
        s.repl_lag_ms = q.u64_in("lag", s.repl_lag_ms, LAG_RANGE.0, LAG_RANGE.1);
        s.workload.read_rate = q.f64_in("reads", s.workload.read_rate, RATE_RANGE.0, RATE_RANGE.1);
        s.workload.write_rate = q.f64_in("writes", s.workload.write_rate, RATE_RANGE.0, RATE_RANGE.1);
        let scale = q.choice("scale", s.client.scale_reads.name(), &["master", "slave", "all"]);
        s.client.scale_reads = match scale.as_str() {
            "slave" => ScaleReads::Slave,
            "all" => ScaleReads::All,
            _ => ScaleReads::Master,
        };
        s
    }

    /// The query pairs that reproduce this scenario (only what differs from its preset).
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        let base = preset(&self.preset).unwrap_or_default();
        let mut pairs = vec![("preset".to_string(), self.preset.clone())];
        let mut push = |k: &str, v: String, d: String| {
            if v != d {
                pairs.push((k.to_string(), v));
            }
        };
        push("timeout", self.cluster.node_timeout_ms.to_string(), base.cluster.node_timeout_ms.to_string());
        push("masters", self.cluster.masters.to_string(), base.cluster.masters.to_string());
        push("replicas", self.cluster.replicas.to_string(), base.cluster.replicas.to_string());
        push("lag", self.repl_lag_ms.to_string(), base.repl_lag_ms.to_string());
        push("reads", self.workload.read_rate.to_string(), base.workload.read_rate.to_string());
        push("writes", self.workload.write_rate.to_string(), base.workload.write_rate.to_string());
        push("scale", self.client.scale_reads.name().to_string(), base.client.scale_reads.name().to_string());
        pairs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_validate_and_round_trip_through_the_url() {
        for (id, _) in PRESETS {
            let s = preset(id).unwrap();
            s.validate().unwrap();
            let query = crate::sim::params::to_query(
                &s.query_pairs().iter().map(|(k, v)| (k.as_str(), v.clone())).collect::<Vec<_>>(),
            );
            let mut q = QueryParams::parse(&query);
            assert_eq!(Scenario::from_query(&mut q), s, "{id}");
            assert!(q.notices().is_empty());
        }
        assert_eq!(
            preset("nope").unwrap_err().to_string(),
            "unknown preset \"nope\": choose failover, partition-minority, reshard, replica-lag or steady"
        );
    }

    /// `Action`'s decoder before it went through `ActionFields`: serde's derived internally tagged enum.
    mod derived {
        use super::super::FailoverMode;
        use crate::cluster::config::NodeIdx;
        use serde::{Deserialize, Serialize};

        #[derive(Serialize, Deserialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        pub enum Action {
            Kill { node: NodeIdx },
            Restart { node: NodeIdx },
            Partition { nodes: Vec<NodeIdx>, clients: Vec<usize> },
            Heal,
            Latency { node: NodeIdx, ms: u64 },
            Reshard { from: NodeIdx, to: NodeIdx, slots: u32 },
            Failover { node: NodeIdx, mode: FailoverMode },
        }
    }

    #[test]
    fn actions_decode_as_the_derived_tagged_enum_did() {
        let docs = [
            r#"{"kind":"kill","node":0}"#,
            r#"{"node":2,"kind":"restart"}"#,
            r#"{"kind":"partition","nodes":[0,3],"clients":[1]}"#,
            r#"{"kind":"heal"}"#,
            r#"{"kind":"heal","node":1}"#,
            r#"{"kind":"latency","node":1,"ms":250}"#,
            r#"{"kind":"reshard","from":0,"to":1,"slots":1000}"#,
            r#"{"kind":"failover","node":3,"mode":"takeover"}"#,
            r#"{"kind":"failover","node":3,"mode":"default","extra":true}"#,
            // Rejected alike: a missing field, a missing or unknown tag, a bad value, not an object.
            r#"{"kind":"kill"}"#,
            r#"{"kind":"reshard","from":0,"slots":5}"#,
            r#"{"node":0}"#,
            r#"{"kind":"explode","node":0}"#,
            r#"{"kind":"failover","node":3,"mode":"gently"}"#,
            r#"{"kind":"kill","node":-1}"#,
            r#"{"kind":"kill","node":0,"node":1}"#,
            r#""kill""#,
        ];
        crate::sim::tagged::assert_decodes_as_derived::<Action, derived::Action>(&docs);
        for (id, _) in PRESETS {
            let s = preset(id).unwrap();
            let back: Scenario = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
            assert_eq!(back, s, "{id}");
        }
    }

    #[test]
    fn bad_url_values_fall_back_with_a_notice() {
        let mut q = QueryParams::parse("preset=reshard&timeout=5&masters=twelve");
        let s = Scenario::from_query(&mut q);
        assert_eq!((s.preset.as_str(), s.cluster.node_timeout_ms, s.cluster.masters), ("reshard", 5000, 3));
        assert_eq!(q.notices().len(), 2);
        let bad = Scenario { steps: vec![Step { at_ms: 1, action: Action::Kill { node: 9 } }], ..Scenario::default() };
        assert_eq!(
            bad.validate().unwrap_err().to_string(),
            "step at 1 ms names node 9, but the cluster has 6 nodes (0 to 5)"
        );
    }
}
