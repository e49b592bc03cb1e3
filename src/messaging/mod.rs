//! The messaging playground's pure core: request/response, list queues, pub/sub and a
//! Celery-style task queue built on the modeled Redis, a delivery checker that measures what each
//! pattern guarantees, and TCP vs UDP over one lossy link.
//!
//! Code map:
//! - [`scenario`]: producers, consumers, faults, per-pattern knobs, validation, presets.
//! - [`broker`]: the modeled Redis server with host crashes under each persistence setting and
//!   the redis-cli log of what clients sent.
//! - [`machine`]: what every pattern machine speaks: actors, tags, inputs, effects, the view.
//! - [`patterns`]: one sans-IO state machine per pattern (events in, effects out: the Redis
//!   commands it sends, the timers it sets, the messages it delivers and processes), each file
//!   headed by the exact commands its pattern sends.
//! - [`runtime`]: the kernel model — routes events and effects between the pattern machine, the
//!   broker and the kernel; owns producers, connections, faults, checker and trail.
//! - [`replay`]: the run on rewind — the page's buttons as logged actions with compact URL codes,
//!   notable marks (faults, redeliveries, duplicates, losses), the replay file's model.
//! - [`checker`]: produced / delivered / processed / lost / duplicated / out of order, latency
//!   percentiles, bounded depth and lag series — all derived from what happened in the run.
//! - [`linear`]: the run as a history for the linearizability checker (each message a register
//!   key: pushes are SETs, side effects DELs, final reads of what is still owed), so lost
//!   acknowledged messages and duplicates come with their smallest failing sub-history.
//! - [`pair`]: two runs of one workload (another pattern) on one clock, faults into both: the
//!   page's compare.
//! - [`trail`]: the bounded record of moves and message lives the page draws and inspects.
//! - [`transport`]: TCP (handshake, seq/ack, RFC 6298 RTO, slow start + AIMD, in-order
//!   delivery) and UDP over the same lossy, duplicating, reordering link.
//!
//! Architecture invariant: nothing here reads a clock, touches entropy or names a web type; a run
//! is a pure function of (scenario, seed). Consumers and producers reach the broker's data only
//! through commands on their own connections (the observers `Broker::list_len`/`hash_len` read
//! for drawing and never change anything).
//! Architecture invariant: no count the checker reports is asserted by the model; each comes from
//! the records of produce, deliver and side-effect events.

pub mod broker;
pub mod checker;
pub mod flow_picture;
pub mod linear;
pub mod machine;
pub mod pair;
pub mod patterns;
pub mod replay;
pub mod runtime;
pub mod scenario;
pub mod trail;
pub mod transport;

pub use broker::MESSAGING_COMMANDS;
pub use checker::{Checker, MsgId, Report, Sample};
pub use pair::{same_workload, RunPair};
pub use replay::{MessagingRewind, MsgAction};
pub use runtime::{
    parse_payload, query_runs, run_preset, ConsumerView, CrashRecord, MessagingRun, QueryError, RunResult, RunStats,
    MAX_LIVE_BURST,
};
pub use scenario::{preset, Fault, PatternId, Persistence, Scenario, ScenarioError, Variant, PRESETS};
pub use transport::{run_transport, LinkParams, TcpReport, TransportReport, UdpReport};
