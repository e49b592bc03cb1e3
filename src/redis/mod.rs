//! The modeled Redis 7: keyspace, expiry, command table and replies, with real Redis semantics.
//!
//! Architecture invariant: the store is pure — its clock is passed in (`SimTime`, Unix ms), its
//! randomness is a `SimRng`, and it never does I/O. Replies are values exactly as RESP2 has them.

pub mod reply;

pub use reply::Reply;
