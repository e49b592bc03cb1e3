//! The modeled Redis 7: keyspace, expiry, command table and replies, with real Redis semantics.
//!
//! Architecture invariant: the store is pure — its clock is passed in (`SimTime`, Unix ms), its
//! randomness is a `SimRng`, and it never does I/O. Replies are values exactly as RESP2 has them.
//!
//! Entry point: [`Store::execute`] runs one command (`argv` as bytes) and returns its [`Reply`];
//! [`Store::run_active_expire_cycle`] is Redis's periodic expiry sampling, for the caller to run
//! every 100 ms of virtual time.

pub mod args;
pub mod browser;
pub mod cli;
pub mod cmd;
pub mod edge_cases;
pub mod glob;
pub mod keyspace;
pub mod longdouble;
pub mod num;
pub mod persist;
pub mod reply;
pub mod store;
pub mod table;
pub mod value;

pub use reply::Reply;
pub use store::{Limits, Stats, Store};
pub use table::{CommandSpec, COMMANDS};
pub use value::{KeyType, Value};
