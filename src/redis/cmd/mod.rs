//! Command handlers, one file per command family. Each handler takes the store and a cursor over
//! the arguments (arity already checked) and returns a reply; `Err` is an error reply.

pub mod admin;
pub mod blocking;
pub mod connection;
pub mod databases;
pub mod hashes;
pub mod introspect;
pub mod keys;
pub mod lists;
pub mod pubsub;
pub mod scripting;
pub mod server;
pub mod sets;
pub mod streams;
pub mod strings;
pub mod transactions;
pub mod zsets;
