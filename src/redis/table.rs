//! The command table: name, arity (Redis's convention: `n` exact, `-n` at least n, counting the
//! name), flags, syntax, a one-line summary and the handler. The web CLI's HELP and Tab completion
//! read it; `Store::execute` dispatches through it.

use std::sync::OnceLock;

use super::cmd::{keys, server, strings};
use super::store::Handler;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flag {
    Write,
    ReadOnly,
    /// Refused when the playground's key limit is reached (Redis refuses these over maxmemory).
    DenyOom,
    Fast,
    /// The reply depends on the store's random stream (SPOP, RANDOMKEY…).
    Random,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    String,
    Keyspace,
    List,
    Set,
    Hash,
    SortedSet,
    Server,
    Connection,
}

impl Group {
    pub fn name(self) -> &'static str {
        match self {
            Group::String => "string",
            Group::Keyspace => "generic",
            Group::List => "list",
            Group::Set => "set",
            Group::Hash => "hash",
            Group::SortedSet => "sorted-set",
            Group::Server => "server",
            Group::Connection => "connection",
        }
    }
}

pub struct CommandSpec {
    /// Lower-case, as Redis names commands in errors.
    pub name: &'static str,
    pub arity: i32,
    pub flags: &'static [Flag],
    pub group: Group,
    /// Arguments after the name, in the notation of Redis's docs.
    pub syntax: &'static str,
    pub summary: &'static str,
    pub handler: Handler,
}

impl std::fmt::Debug for CommandSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandSpec").field("name", &self.name).field("arity", &self.arity).finish()
    }
}

use Flag::*;
const W: &[Flag] = &[Write];
const WD: &[Flag] = &[Write, DenyOom];
const WDF: &[Flag] = &[Write, DenyOom, Fast];
const WF: &[Flag] = &[Write, Fast];
const R: &[Flag] = &[ReadOnly];
const RF: &[Flag] = &[ReadOnly, Fast];
const F: &[Flag] = &[Fast];

macro_rules! c {
    ($name:literal, $arity:expr, $flags:expr, $group:ident, $syntax:literal, $summary:literal, $h:path) => {
        CommandSpec {
            name: $name,
            arity: $arity,
            flags: $flags,
            group: Group::$group,
            syntax: $syntax,
            summary: $summary,
            handler: $h,
        }
    };
}

/// Every command the model implements.
pub static COMMANDS: &[CommandSpec] = &[
    // strings
    c!("set", -3, WD, String, "key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]", "Set the string value of a key", strings::set),
    c!("get", 2, RF, String, "key", "Get the value of a key", strings::get),
    c!("incr", 2, WDF, String, "key", "Increment the integer value of a key by one", strings::incr),
    c!("decr", 2, WDF, String, "key", "Decrement the integer value of a key by one", strings::decr),
    c!("incrby", 3, WDF, String, "key increment", "Increment the integer value of a key by the given amount", strings::incrby),
    c!("decrby", 3, WDF, String, "key decrement", "Decrement the integer value of a key by the given number", strings::decrby),
    // keyspace
    c!("del", -2, W, Keyspace, "key [key ...]", "Delete a key", keys::del),
    c!("exists", -2, RF, Keyspace, "key [key ...]", "Determine if a key exists", keys::exists),
    c!("expire", -3, WF, Keyspace, "key seconds [NX | XX | GT | LT]", "Set a key's time to live in seconds", keys::expire),
    c!("pexpire", -3, WF, Keyspace, "key milliseconds [NX | XX | GT | LT]", "Set a key's time to live in milliseconds", keys::pexpire),
    c!("expireat", -3, WF, Keyspace, "key unix-time-seconds [NX | XX | GT | LT]", "Set the expiration for a key as a UNIX timestamp", keys::expireat),
    c!("pexpireat", -3, WF, Keyspace, "key unix-time-milliseconds [NX | XX | GT | LT]", "Set the expiration for a key as a UNIX timestamp specified in milliseconds", keys::pexpireat),
    c!("ttl", 2, RF, Keyspace, "key", "Get the time to live for a key in seconds", keys::ttl),
    c!("pttl", 2, RF, Keyspace, "key", "Get the time to live for a key in milliseconds", keys::pttl),
    c!("expiretime", 2, RF, Keyspace, "key", "Get the expiration Unix timestamp for a key", keys::expiretime),
    c!("pexpiretime", 2, RF, Keyspace, "key", "Get the expiration Unix timestamp for a key in milliseconds", keys::pexpiretime),
    c!("persist", 2, WF, Keyspace, "key", "Remove the expiration from a key", keys::persist),
    c!("type", 2, RF, Keyspace, "key", "Determine the type stored at key", keys::type_),
    // server / connection
    c!("ping", -1, F, Connection, "[message]", "Ping the server", server::ping),
];

fn sorted_index() -> &'static [(&'static str, usize)] {
    static INDEX: OnceLock<Vec<(&'static str, usize)>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut v: Vec<(&'static str, usize)> = COMMANDS.iter().enumerate().map(|(i, c)| (c.name, i)).collect();
        v.sort();
        v
    })
}

/// Finds a command by name, case-insensitively.
pub fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    if name.len() > 32 {
        return None;
    }
    let mut buf = [0u8; 32];
    let lower = &mut buf[..name.len()];
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    let idx = sorted_index();
    idx.binary_search_by(|(n, _)| n.as_bytes().cmp(lower)).ok().map(|i| &COMMANDS[idx[i].1])
}

/// Command names starting with `prefix` (case-insensitive), sorted: Tab completion.
pub fn complete(prefix: &str) -> Vec<&'static str> {
    let p = prefix.to_ascii_lowercase();
    sorted_index().iter().filter(|(n, _)| n.starts_with(&p)).map(|(n, _)| *n).collect()
}
