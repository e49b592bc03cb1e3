//! Verification: an exhaustive model checker for the lock protocols (`lock`) and a linearizability
//! checker for histories of the modeled Redis (`linear`).
//!
//! Both are pure and deterministic: they count states and steps but never read a clock (the CLI and
//! the Web Worker measure time), draw no entropy and do no I/O; their hash tables are membership
//! only and never iterated.

pub mod fingerprint;
pub mod linear;
pub mod lock;
