//! The distributed-lock playground: the reference design's lock-worker state machine (sans-IO),
//! its ioredis client (sans-IO), the runtime that hosts a fleet of workers against modeled Redis
//! instances over a modeled network, the faults, the recorder with the safety checker, and the
//! presets.
//!
//! How the page uses it:
//! - Build a [`Scenario`] (from [`preset`], the URL — [`url::read`] / [`url::pairs`] map the page's
//!   query string `preset=gc-pause&fencing=1&workers=3&seed=7` to and from it — or the controls), check it with
//!   [`Scenario::validate`] and [`Scenario::ttl_warning`], then [`build`] a
//!   `Simulation<LockRuntime>` starting at the page's epoch.
//! - Play with `sim.run_until(..)` / `run_until_bounded(..)` per frame, or `sim.step()`; apply a
//!   button with `sim.act(|rt, ctx| rt.apply_action(ctx, &action))` (an [`ActionError`] names a bad
//!   target) or schedule `LockEvent::User(action)`.
//! - Draw from `sim.model`: [`LockRuntime::worker_view`] (id, state, last transition, token,
//!   belief, job, own log, lane, pauses), [`LockRuntime::belief_intervals`],
//!   [`LockRuntime::redis_view`] (key, value, TTL left, last commands with replies, lane),
//!   [`LockRuntime::violations`], [`LockRuntime::writes`], [`LockRuntime::log`] and
//!   [`LockRuntime::summary`] (with its [`Verdict`]). The state diagram's edges are
//!   [`WorkerState::diagram_edges`]; the scripts' text is [`COMPARE_AND_EXTEND_LUA`],
//!   [`COMPARE_AND_DELETE_LUA`] and [`ACQUIRE_WITH_TOKEN_LUA`].
//!
//! The same [`LockWorker`] drives a real Redis in `sim lock-live` (`src/cli/lock_live.rs`), judged by
//! the same [`Checker`].
//!
//! Architecture invariant: nothing here reads a wall clock, touches OS entropy, names a web type or
//! iterates a `HashMap`; time is `SimTime`, randomness is a `SimRng` child per component.

pub mod checker;
pub mod client;
pub mod command;
pub mod faults;
pub mod ids;
pub mod machine;
pub mod recorder;
pub mod replay;
pub mod runtime;
pub mod scenario;
pub mod store;
pub mod url;

pub use checker::{Checker, Summary, Verdict, Violation, WriteRecord};
pub use command::{LockCommand, ACQUIRE_WITH_TOKEN_LUA, COMPARE_AND_DELETE_LUA, COMPARE_AND_EXTEND_LUA};
pub use faults::ActionError;
pub use machine::{
    Effect, Event, Ignored, LockWorker, MachineConfig, Outcome, ReleaseVariant, RenewVariant, RequestId, TimerKind,
    Transition, WorkerState,
};
pub use replay::{LockReplay, LockRewind};
pub use runtime::{build, run, LockEvent, LockRuntime, RedisView, WorkerStatus, WorkerView};
pub use scenario::{
    parse_duration, preset, preset_description, ttl_warning, Action, DurationError, Scenario, ScenarioError, Step,
    Target, Variants, EXPLAIN_CLIENT, EXPLAIN_FENCING, EXPLAIN_FENCING_REDLOCK, EXPLAIN_REDLOCK,
    EXPLAIN_RELEASE_ATOMIC, EXPLAIN_RELEASE_NAIVE_DEL, EXPLAIN_RELEASE_REFERENCE, EXPLAIN_RENEW_ATOMIC,
    EXPLAIN_RENEW_GET_THEN_EXPIRE, PRESET_IDS,
};
