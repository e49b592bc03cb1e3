//! Command handlers, one file per command family. Each handler takes the store and a cursor over
//! the arguments (arity already checked) and returns a reply; `Err` is an error reply.

pub mod keys;
pub mod server;
pub mod strings;
