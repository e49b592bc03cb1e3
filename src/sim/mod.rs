//! The deterministic simulation kernel shared by every model: virtual time, the event queue, seeded
//! randomness, the network model and the trace.
//!
//! Architecture invariant: nothing here reads a wall clock, touches OS entropy or names a web type.

pub mod bench;
pub mod kernel;
pub mod net;
pub mod queue;
pub mod rng;
pub mod time;
pub mod trace;

pub use kernel::{Ctx, Model, Simulation};
pub use queue::{EventId, EventQueue};
pub use rng::{Distribution, SimRng};
pub use time::{SimDuration, SimTime, TEST_EPOCH};
pub use trace::{Trace, TraceEntry};
