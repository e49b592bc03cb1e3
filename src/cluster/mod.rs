//! Redis Cluster: 16384 hash slots over 3–9 masters with 0–2 replicas each, modeled after Redis
//! 7.0.15's `src/cluster.c`, `src/replication.c` and `redis-cli --cluster`, plus a cluster-aware
//! client in the manner of ioredis's `Cluster`.
//!
//! Code map:
//! - [`slot`]: CRC16-XMODEM key slots, hash tags, slot sets.
//! - [`keys`]: which arguments of a command are keys (from the store's command table).
//! - [`config`]: cluster settings, node names and the `--cluster create` layout.
//! - [`bus`]: cluster-bus messages and node flags.
//! - [`node`]: one node's cluster state and protocol (failure detection, elections, config).
//! - [`replication`]: master → replica streams, PSYNC, backlog, acknowledgements.
//! - [`ledger`]: which acknowledged writes still exist somewhere.
//! - [`server`] and [`commands`]: a redis-server process: routing (MOVED/ASK/…), CLUSTER, WAIT.
//!
//! Architecture invariant: pure like every model — time is passed in, randomness comes from
//! `SimRng` streams, collections whose order reaches output are `Vec`/`BTreeMap`.

pub mod bus;
pub mod cli;
pub mod client;
pub mod commands;
pub mod config;
pub mod failover_times;
pub mod keys;
pub mod ledger;
pub mod linear;
pub mod metrics;
pub mod node;
pub mod replay;
pub mod replication;
pub mod reshard;
pub mod runtime;
pub mod scenario;
pub mod server;
pub mod slot;
pub mod view;
pub mod workload;

// A read-only accessor on the store, kept beside the store's code (see the file's header).
#[path = "../redis/cluster_support.rs"]
mod redis_support;
