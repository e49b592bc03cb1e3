//! The distributed-lock playground: the reference design's lock-worker state machine (sans-IO),
//! the runtime that runs a fleet of workers against modeled Redis instances over a modeled network
//! with faults, the safety checker, and the presets.
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

pub use command::{LockCommand, COMPARE_AND_DELETE_LUA, COMPARE_AND_EXTEND_LUA};
pub use machine::{
    Effect, Event, Ignored, LockWorker, MachineConfig, Outcome, ReleaseVariant, RenewVariant, RequestId, TimerKind,
    Transition, WorkerState,
};
pub use checker::{Checker, Summary, Violation, WriteRecord};
pub use runtime::{build, run, ActionError, LockEvent, LockRuntime, RedisView, WorkerStatus, WorkerView};
pub use scenario::{
    parse_duration, preset, preset_description, ttl_warning, Action, DurationError, Scenario, ScenarioError, Step, Target,
    Variants, PRESET_IDS,
};
