//! The lock model checker: every interleaving of the playground's lock workers, Redis instances,
//! messages, timers and faults within bounds, breadth-first, for the shortest counterexample to each
//! safety property.
//!
//! The workers are the real sans-IO [`crate::lock::LockWorker`], interned and memoised
//! (`machines.rs`); the rest of the world is modeled compactly (`model.rs`): each instance's key,
//! value, TTL and token counter, the messages in flight, the protected resource with fencing, the
//! fault budget. `search.rs` explores it; `trace.rs` turns a counterexample into labelled steps and
//! a runtime scenario. Pure: no clock (the CLI and the worker time it), no entropy, no I/O.

pub mod config;
pub mod machines;
pub mod model;
pub mod replay;
pub mod search;
pub mod trace;

pub use config::{CheckConfig, ConfigError, Fault, Property, Variant};
pub use replay::{replay_choice, trace_replay, TraceReplay, MAX_TRIES};
pub use search::{check, CheckReport, Progress, PropertyOutcome, Search, Stop};
pub use trace::{replay_plan, RedisSnapshot, ReplayPlan, TraceStep, WorkerSnapshot};
