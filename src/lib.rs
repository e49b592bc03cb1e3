//! Distributed Systems Playground: deterministic models of distributed-systems patterns (the pure
//! core) and the Yew skin that draws them in the browser.
//!
//! Architecture invariant: every module except `ui` is pure Rust — no `yew`, `web_sys`, `js_sys`,
//! `gloo`, wall clock or OS entropy — and is tested natively. `ui` only exists in the wasm build.

pub mod backoff;
pub mod balance;
pub mod cluster;
pub mod lock;
pub mod messaging;
pub mod redis;
pub mod sim;
pub mod verify;

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;

#[cfg(target_arch = "wasm32")]
pub mod ui;
