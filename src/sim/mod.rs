//! The deterministic simulation kernel shared by every model: virtual time, the event queue, seeded
//! randomness, the network model and the trace, plus the pure halves of the UI's playback driver
//! and URL state.
//!
//! Code map:
//! - [`time`]: `SimTime` (Unix ms) and `SimDuration`, saturating arithmetic.
//! - [`rng`]: `SimRng` (PCG-64 MCG, portable), child streams, distributions.
//! - [`queue`]: the (time, sequence)-ordered event queue with O(1) cancellation.
//! - [`kernel`]: `Model`, `Ctx` and `Simulation` (step, run_until, run_for, act).
//! - [`net`]: the network model (latency, loss, partitions, pauses, drift) a model owns.
//! - [`trace`]: one entry per processed event; text, JSON, SHA-256 digest.
//! - [`history`]: `History<T>`, a bounded time-ordered record whose clones share their past.
//! - [`selfcheck`]: the reference scenario whose digest native and browser tests pin.
//! - [`playback`]: per-frame driver with the wall clock passed in (speed, budget, debt).
//! - [`rewind`]: snapshots, the action log and exact seeks back and forth (`Rewind`), and
//!   [`replay`](mod@replay) the file that carries a run (model, scenario, seed, actions, cursor).
//! - [`params`]: seed/speed and page fields to and from the query string.
//! - [`bench`](mod@bench): the timer-storm workload `sim kernel-bench` and the browser test time.
//! - [`vec_map`]: `VecMap`, a sorted-`Vec` ordered map for a model's small maps (smaller wasm).
//! - [`tagged`]: decoding `#[serde(tag = "kind")]` enums through one flat struct (smaller wasm).
//! - [`quad_heap`], [`ziggurat`]: parts for a model's own hot loop (a 4-ary min-heap of `u64` keys,
//!   a standard-normal sampler); the backoff contention experiment is built from them.
//!
//! Architecture invariant: nothing here reads a wall clock, touches OS entropy, names a web type or
//! lets a hash map's iteration order reach an output (tests/tidy.rs checks the source).
//! Architecture invariant: the same seed and the same actions at the same virtual times give a
//! byte-identical trace, natively and in the browser (tests/kernel_determinism.rs, tests/web/kernel.rs).

pub mod bench;
pub mod history;
pub mod kernel;
pub mod net;
pub mod params;
pub mod playback;
pub mod quad_heap;
pub mod queue;
pub mod replay;
pub mod rewind;
pub mod rng;
pub mod selfcheck;
pub mod tagged;
pub mod time;
pub mod trace;
pub mod vec_map;
pub mod ziggurat;

pub use history::History;
pub use kernel::{Ctx, Model, Simulation};
pub use net::{Delivery, DropReason, LinkConfig, NetError, NetEvent, Network, NodeId, TimerId};
pub use params::{ParamError, QueryParams, SimParams};
pub use playback::{Clocked, FrameBudget, FramePlan, FrameReport, Playback};
pub use queue::{EventId, EventQueue};
pub use rewind::{Cursor, LoggedAction, Mark, Notable, NotableKind, Rewind, Rewindable, Seek};
pub use rng::{Distribution, SimRng};
pub use selfcheck::reference_digest;
pub use time::{SimDuration, SimTime, TEST_EPOCH};
pub use trace::{Trace, TraceEntry};
