//! The distributed-lock playground: the reference design's lock-worker state machine (sans-IO),
//! the runtime that runs a fleet of workers against modeled Redis instances over a modeled network
//! with faults, the safety checker, and the presets.
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
//!   [`LockRuntime::summary`]. The state diagram's edges are [`WorkerState::diagram_edges`]; the
//!   scripts' text is [`COMPARE_AND_EXTEND_LUA`] and [`COMPARE_AND_DELETE_LUA`].
//!
//! Architecture invariant: nothing here reads a wall clock, touches OS entropy, names a web type or
//! iterates a `HashMap`; time is `SimTime`, randomness is a `SimRng` child per component.

pub mod checker;
pub mod command;
pub mod ids;
pub mod machine;
pub mod runtime;
pub mod scenario;
pub mod store;
pub mod url;

pub use checker::{Checker, Summary, Violation, WriteRecord};
pub use command::{LockCommand, COMPARE_AND_DELETE_LUA, COMPARE_AND_EXTEND_LUA};
pub use machine::{
    Effect, Event, Ignored, LockWorker, MachineConfig, Outcome, ReleaseVariant, RenewVariant, RequestId, TimerKind,
    Transition, WorkerState,
};
pub use runtime::{build, run, ActionError, LockEvent, LockRuntime, RedisView, WorkerStatus, WorkerView};
pub use scenario::{
    parse_duration, preset, preset_description, ttl_warning, Action, DurationError, Scenario, ScenarioError, Step,
    Target, Variants, EXPLAIN_FENCING, EXPLAIN_REDLOCK, EXPLAIN_RELEASE_ATOMIC, EXPLAIN_RELEASE_DEL,
    EXPLAIN_RENEW_ATOMIC, EXPLAIN_RENEW_GET_THEN_EXPIRE, PRESET_IDS,
};
