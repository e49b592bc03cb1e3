//! The modeled Redis 7: keyspace, expiry, command table and replies, with real Redis 7.0
//! semantics (RESP2, byte-exact error texts), checked against a real redis-server by
//! `tests/redis_differential.rs`.
//!
//! Architecture invariant: the store is pure — its clock is passed in (`SimTime`, Unix ms), its
//! randomness is a `SimRng`, and it never does I/O. Replies are values exactly as RESP2 has them.
//! (`tests/redis_repl.rs` greps this directory for clocks, entropy, HashMap and web types.)
//!
//! How a front end drives it:
//! - Many clients (the server engine, `server.rs`): [`Store::connect`] gives a [`ClientId`];
//!   [`Store::execute_as`]`(client, now, argv)` returns that client's [`Outcome`] (its replies, or
//!   `Blocked`, or `Closed`); [`Store::take_outputs`] returns what other connections received
//!   meanwhile (pub/sub messages, woken BLPOPs, kills) in order; [`Store::next_timeout`] and
//!   [`Store::advance_clients`] run blocked clients' timeouts on the virtual clock.
//! - One client: [`Store::execute`]`(now, argv)` runs one command and returns its [`Reply`]. `argv` comes from
//!   [`cli::tokenize`] (redis-cli's quoting rules); [`cli::format_human`] prints the reply the way
//!   redis-cli does, [`Reply::to_resp`] gives the wire bytes.
//! - Time only moves when the caller says so: pass the current virtual time to every call, and
//!   call [`Store::run_active_expire_cycle`] every 100 ms of virtual time (or
//!   [`Store::advance_to`]`(last, now, max_cycles)` to catch up) so expired keys vanish untouched.
//!   `DEBUG SLEEP n` moves the store's own clock forward by n seconds ([`Store::clock_offset`]).
//! - Drawing: [`Store::browse`] (key, type, TTL, size, preview; glob filter) and
//!   [`Store::full_value`] read without modifying; [`Store::export_json`]/[`Store::import_json`]
//!   persist the dataset; the installed [`table::CommandSet`] ([`table::installed`]: every command
//!   natively, a page's own in its wasm bundle), [`table::help_text`] and [`table::complete`] serve
//!   HELP and Tab completion; [`Store::stats`] and `INFO` give counters.
//!
//! ```
//! use playground::redis::{cli, Store};
//! use playground::sim::{SimDuration, SimRng, TEST_EPOCH};
//!
//! let mut store = Store::new(SimRng::new(7).child("redis"));
//! let t0 = TEST_EPOCH;
//! let reply = store.execute(t0, &cli::tokenize("SET session:1 \"alice\" PX 250").unwrap());
//! assert_eq!(cli::format_human(&reply), "OK\n");
//! // 300 ms later the active cycle has reclaimed the key without anyone reading it.
//! store.advance_to(t0, t0 + SimDuration::from_millis(300), 10);
//! assert_eq!(store.dbsize(), 0);
//!
//! // Two connections: a worker blocks on a queue, a producer's push wakes it.
//! use playground::redis::{Event, Outcome, Reply};
//! let argv = |line: &str| cli::tokenize(line).unwrap();
//! let (worker, producer) = (store.connect(t0), store.connect(t0));
//! assert_eq!(store.execute_as(worker, t0, &argv("BLPOP jobs 5")), Outcome::Blocked);
//! assert_eq!(store.execute_as(producer, t0, &argv("RPUSH jobs j1")), Outcome::Replied(vec![Reply::Integer(1)]));
//! let out = store.take_outputs();
//! assert_eq!((out[0].client, &out[0].event), (worker, &Event::Reply(Reply::Array(vec![Reply::bulk("jobs"), Reply::bulk("j1")]))));
//! ```

pub mod args;
pub mod blocking;
pub mod browser;
pub mod cache_aside;
pub mod cli;
pub mod client;
pub mod cmd;
pub mod config;
pub mod databases;
pub mod evict;
pub mod expire;
pub mod glob;
pub mod keyspace;
pub mod limits;
pub mod limits_fast;
pub mod longdouble;
pub mod memory;
pub mod multi;
pub mod num;
pub mod object;
pub mod persist;
pub mod pubsub;
pub mod quicklist;
pub mod reply;
pub mod script;
pub mod server;
pub mod session;
pub mod store;
pub mod stream;
pub mod table;
pub mod value;

pub use client::{Client, ClientId};
pub use reply::Reply;
pub use server::{Event, Outcome, Output};
pub use store::{Limits, Stats, Store};
pub use table::{CommandSet, CommandSpec, COMMANDS};
pub use value::{KeyType, Value};
