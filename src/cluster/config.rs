//! The cluster's shape and settings, and how `redis-cli --cluster create` lays it out.
//!
//! `Layout::create` follows `clusterManagerCommandCreate` in `src/redis-cli.c` (Redis 7.0.15):
//! the first `masters` nodes become masters with `16384 / masters` slots each (computed in
//! `float` and rounded with `lround`, the last master taking the remainder); the rest, rotated by
//! one, are handed out as replicas in order; then `clusterManagerOptimizeAntiAffinity` swaps
//! replica assignments at random for `500 × nodes` rounds. Every node is on 127.0.0.1, where no
//! swap changes the anti-affinity score, so each swap is kept: which replica follows which master
//! is a draw of the seed, as it is a draw of `srand(time(NULL))` for the real tool. Config epochs
//! are then set to 1, 2, 3 … in node order (`CLUSTER SET-CONFIG-EPOCH`).

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::slot::{Slot, SLOTS};
use crate::sim::SimRng;

/// Accepted ranges.
pub const MASTERS_RANGE: (usize, usize) = (3, 9);
pub const REPLICAS_RANGE: (usize, usize) = (0, 2);
pub const NODE_TIMEOUT_RANGE: (u64, u64) = (500, 60_000);
/// The first node's port (7000, 7001, … as in the cluster tutorial).
pub const BASE_PORT: u16 = 7000;

/// A node of the cluster: an index into the cluster's node table (0 = 127.0.0.1:7000).
pub type NodeIdx = usize;

/// Settings every node shares (redis.conf `cluster-*` options and replication settings).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterConfig {
    pub masters: usize,
    pub replicas: usize,
    /// `cluster-node-timeout` (ms).
    pub node_timeout_ms: u64,
    /// `cluster-require-full-coverage` (yes): with an uncovered or failed slot the whole cluster
    /// refuses key commands.
    pub require_full_coverage: bool,
    /// `cluster-allow-reads-when-down` (no).
    pub allow_reads_when_down: bool,
    /// `cluster-allow-replica-migration` (yes): a master left without slots follows the node
    /// that took them.
    pub allow_replica_migration: bool,
    /// `cluster-replica-validity-factor` (10; 0 = always allowed to fail over).
    pub replica_validity_factor: u64,
    /// `repl-ping-replica-period` (10 s).
    pub repl_ping_period_ms: u64,
    /// `repl-timeout` (60 s).
    pub repl_timeout_ms: u64,
    /// `repl-backlog-size` (1 MB).
    pub repl_backlog_bytes: usize,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            masters: 3,
            replicas: 1,
            node_timeout_ms: 5000,
            require_full_coverage: true,
            allow_reads_when_down: false,
            allow_replica_migration: true,
            replica_validity_factor: 10,
            repl_ping_period_ms: 10_000,
            repl_timeout_ms: 60_000,
            repl_backlog_bytes: 1 << 20,
        }
    }
}

/// A cluster shape the playground cannot build, with what it accepts.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum ConfigError {
    #[error("{0} masters is not accepted: Redis Cluster needs at least 3, and the playground draws at most 9 (enter 3 to 9)")]
    Masters(usize),
    #[error("{0} replicas per master is not accepted: enter 0, 1 or 2")]
    Replicas(usize),
    #[error("node timeout {0} ms is not accepted: enter 500 to 60000 ms")]
    NodeTimeout(u64),
}

impl ClusterConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(MASTERS_RANGE.0..=MASTERS_RANGE.1).contains(&self.masters) {
            return Err(ConfigError::Masters(self.masters));
        }
        if self.replicas > REPLICAS_RANGE.1 {
            return Err(ConfigError::Replicas(self.replicas));
        }
        if !(NODE_TIMEOUT_RANGE.0..=NODE_TIMEOUT_RANGE.1).contains(&self.node_timeout_ms) {
            return Err(ConfigError::NodeTimeout(self.node_timeout_ms));
        }
        Ok(())
    }
    pub fn nodes(&self) -> usize {
        self.masters * (self.replicas + 1)
    }
}

/// The port of node `i`.
pub fn port_of(i: NodeIdx) -> u16 {
    BASE_PORT.saturating_add(i as u16)
}

/// `127.0.0.1:<port>` of node `i`.
pub fn addr_of(i: NodeIdx) -> String {
    format!("127.0.0.1:{}", port_of(i))
}

/// The node whose address is `addr` (`127.0.0.1:7002` → 2), among `n` nodes.
pub fn node_at(addr: &str, n: usize) -> Option<NodeIdx> {
    let (host, port) = addr.rsplit_once(':')?;
    if host != "127.0.0.1" {
        return None;
    }
    let port: u16 = port.parse().ok()?;
    let i = usize::from(port.checked_sub(BASE_PORT)?);
    (i < n).then_some(i)
}

/// Forty lowercase hex characters: a node ID (`getRandomHexChars`), drawn from the seed.
pub fn node_name(rng: &mut SimRng) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    (0..40).map(|_| HEX[rng.index(16)] as char).collect()
}

/// Who is a master of which slots and who replicates whom, right after `--cluster create`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    /// Per master (node index = position), its inclusive slot range.
    pub master_slots: Vec<(Slot, Slot)>,
    /// Per node, the master it replicates (`None` for masters).
    pub replica_of: Vec<Option<NodeIdx>>,
}

impl Layout {
    /// The layout `redis-cli --cluster create … --cluster-replicas r` builds (see the module header).
    pub fn create(masters: usize, replicas: usize, rng: &mut SimRng) -> Layout {
        let n = masters * (replicas + 1);
        let slots_per_node = SLOTS as f32 / masters as f32;
        let mut first: i64 = 0;
        let mut cursor: f32 = 0.0;
        let mut master_slots = Vec::with_capacity(masters);
        for i in 0..masters {
            let mut last = libm::roundf(cursor + slots_per_node - 1.0) as i64;
            if last > SLOTS as i64 || i == masters - 1 {
                last = SLOTS as i64 - 1;
            }
            if last < first {
                last = first;
            }
            master_slots.push((first as Slot, last as Slot));
            first = last + 1;
            cursor += slots_per_node;
        }
        let mut rest: Vec<NodeIdx> = (masters..n).collect();
        if !rest.is_empty() {
            rest.rotate_left(1);
        }
        let mut replica_of = vec![None; n];
        let mut next = rest.into_iter();
        for m in 0..masters {
            for _ in 0..replicas {
                if let Some(r) = next.next() {
                    replica_of[r] = Some(m);
                }
            }
        }
        // clusterManagerOptimizeAntiAffinity: on one host every swap keeps the score, so it is kept.
        if replicas > 0 {
            for _ in 0..500 * n {
                let offenders: Vec<NodeIdx> =
                    (0..masters).filter_map(|m| (0..n).find(|&r| replica_of[r] == Some(m))).collect();
                let a = offenders[rng.index(offenders.len())];
                let others: Vec<NodeIdx> = (0..n).filter(|&r| r != a && replica_of[r].is_some()).collect();
                if others.is_empty() {
                    break;
                }
                let b = others[rng.index(others.len())];
                replica_of.swap(a, b);
            }
        }
        Layout { master_slots, replica_of }
    }

    /// The replicas of master `m`, in node order.
    pub fn replicas_of(&self, m: NodeIdx) -> Vec<NodeIdx> {
        (0..self.replica_of.len()).filter(|&r| self.replica_of[r] == Some(m)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `redis-cli --cluster create` prints "Master[0] -> Slots 0 - 5460", "Master[1] -> Slots
    /// 5461 - 10922", "Master[2] -> Slots 10923 - 16383" for three masters.
    #[test]
    fn slot_allocation_matches_redis_cli() {
        let l = Layout::create(3, 1, &mut SimRng::new(1));
        assert_eq!(l.master_slots, vec![(0, 5460), (5461, 10922), (10923, 16383)]);
        let l5 = Layout::create(5, 0, &mut SimRng::new(1));
        assert_eq!(l5.master_slots, vec![(0, 3276), (3277, 6553), (6554, 9829), (9830, 13106), (13107, 16383)]);
        // Every master gets exactly `replicas` replicas, whatever the swaps did.
        for seed in 0..20 {
            let l = Layout::create(4, 2, &mut SimRng::new(seed));
            for m in 0..4 {
                assert_eq!(l.replicas_of(m).len(), 2);
            }
            assert!(l.replica_of[..4].iter().all(Option::is_none));
        }
    }

    #[test]
    fn config_validation_names_the_value() {
        let bad = ClusterConfig { masters: 2, ..ClusterConfig::default() };
        assert_eq!(
            bad.validate().unwrap_err().to_string(),
            "2 masters is not accepted: Redis Cluster needs at least 3, and the playground draws at most 9 (enter 3 to 9)"
        );
        assert!(ClusterConfig::default().validate().is_ok());
        assert_eq!(node_at("127.0.0.1:7002", 6), Some(2));
        assert_eq!(node_at("127.0.0.1:7009", 6), None);
        assert_eq!(node_name(&mut SimRng::new(3)).len(), 40);
    }
}
