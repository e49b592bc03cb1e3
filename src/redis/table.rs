//! The command table: name, arity (Redis's convention: `n` exact, `-n` at least n, counting the
//! name), flags, syntax, a one-line summary and the handler. The web CLI's HELP and Tab completion
//! read it; `Store::execute` dispatches through it.

use std::sync::OnceLock;

use super::cmd::{hashes, keys, lists, scripting, server, sets, strings, zsets};
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
    /// Refused inside a Lua script (`noscript`: EVAL, SCRIPT, DEBUG…).
    NoScript,
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
    Scripting,
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
            Group::Scripting => "scripting",
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
    c!("getset", 3, WDF, String, "key value", "Set the string value of a key and return its old value", strings::getset),
    c!("setnx", 3, WDF, String, "key value", "Set the value of a key, only if the key does not exist", strings::setnx),
    c!("setex", 4, WD, String, "key seconds value", "Set the value and expiration of a key", strings::setex),
    c!("psetex", 4, WD, String, "key milliseconds value", "Set the value and expiration in milliseconds of a key", strings::psetex),
    c!("mset", -3, WD, String, "key value [key value ...]", "Set multiple keys to multiple values", strings::mset),
    c!("msetnx", -3, WD, String, "key value [key value ...]", "Set multiple keys to multiple values, only if none of the keys exist", strings::msetnx),
    c!("mget", -2, RF, String, "key [key ...]", "Get the values of all the given keys", strings::mget),
    c!("append", 3, WDF, String, "key value", "Append a value to a key", strings::append),
    c!("strlen", 2, RF, String, "key", "Get the length of the value stored in a key", strings::strlen),
    c!("incr", 2, WDF, String, "key", "Increment the integer value of a key by one", strings::incr),
    c!("decr", 2, WDF, String, "key", "Decrement the integer value of a key by one", strings::decr),
    c!("incrby", 3, WDF, String, "key increment", "Increment the integer value of a key by the given amount", strings::incrby),
    c!("decrby", 3, WDF, String, "key decrement", "Decrement the integer value of a key by the given number", strings::decrby),
    c!("incrbyfloat", 3, WDF, String, "key increment", "Increment the float value of a key by the given amount", strings::incrbyfloat),
    c!("getdel", 2, WF, String, "key", "Get the value of a key and delete the key", strings::getdel),
    c!("getex", -2, WF, String, "key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]", "Get the value of a key and optionally set its expiration", strings::getex),
    c!("getrange", 4, R, String, "key start end", "Get a substring of the string stored at a key", strings::getrange),
    c!("substr", 4, R, String, "key start end", "Get a substring of the string stored at a key", strings::getrange),
    c!("setrange", 4, WD, String, "key offset value", "Overwrite part of a string at key starting at the specified offset", strings::setrange),
    // keyspace
    c!("del", -2, W, Keyspace, "key [key ...]", "Delete a key", keys::del),
    c!("unlink", -2, WF, Keyspace, "key [key ...]", "Delete a key asynchronously in another thread (here: at once)", keys::unlink),
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
    c!("rename", 3, W, Keyspace, "key newkey", "Rename a key", keys::rename),
    c!("renamenx", 3, WF, Keyspace, "key newkey", "Rename a key, only if the new key does not exist", keys::renamenx),
    c!("copy", -3, WD, Keyspace, "source destination [DB destination-db] [REPLACE]", "Copy a key", keys::copy),
    c!("keys", 2, R, Keyspace, "pattern", "Find all keys matching the given pattern", keys::keys),
    c!("scan", -2, R, Keyspace, "cursor [MATCH pattern] [COUNT count] [TYPE type]", "Incrementally iterate the keys space", keys::scan),
    c!("randomkey", 1, &[ReadOnly, Random], Keyspace, "", "Return a random key from the keyspace", keys::randomkey),
    c!("dbsize", 1, RF, Server, "", "Return the number of keys in the selected database", keys::dbsize),
    c!("flushdb", -1, W, Server, "[ASYNC | SYNC]", "Remove all keys from the current database", keys::flushdb),
    c!("flushall", -1, W, Server, "[ASYNC | SYNC]", "Remove all keys from all databases", keys::flushall),
    // lists
    c!("lpush", -3, WDF, List, "key element [element ...]", "Prepend one or multiple elements to a list", lists::lpush),
    c!("rpush", -3, WDF, List, "key element [element ...]", "Append one or multiple elements to a list", lists::rpush),
    c!("lpushx", -3, WDF, List, "key element [element ...]", "Prepend an element to a list, only if the list exists", lists::lpushx),
    c!("rpushx", -3, WDF, List, "key element [element ...]", "Append an element to a list, only if the list exists", lists::rpushx),
    c!("lpop", -2, WF, List, "key [count]", "Remove and get the first elements in a list", lists::lpop),
    c!("rpop", -2, WF, List, "key [count]", "Remove and get the last elements in a list", lists::rpop),
    c!("llen", 2, RF, List, "key", "Get the length of a list", lists::llen),
    c!("lrange", 4, R, List, "key start stop", "Get a range of elements from a list", lists::lrange),
    c!("lindex", 3, R, List, "key index", "Get an element from a list by its index", lists::lindex),
    c!("lset", 4, WD, List, "key index element", "Set the value of an element in a list by its index", lists::lset),
    c!("lrem", 4, W, List, "key count element", "Remove elements from a list", lists::lrem),
    c!("ltrim", 4, W, List, "key start stop", "Trim a list to the specified range", lists::ltrim),
    c!("linsert", 5, WD, List, "key BEFORE | AFTER pivot element", "Insert an element before or after another element in a list", lists::linsert),
    c!("lpos", -3, R, List, "key element [RANK rank] [COUNT num-matches] [MAXLEN len]", "Return the index of matching elements on a list", lists::lpos),
    c!("lmove", 5, WD, List, "source destination LEFT | RIGHT LEFT | RIGHT", "Pop an element from a list, push it to another list and return it", lists::lmove),
    c!("rpoplpush", 3, WD, List, "source destination", "Remove the last element in a list, prepend it to another list and return it", lists::rpoplpush),
    // sets
    c!("sadd", -3, WDF, Set, "key member [member ...]", "Add one or more members to a set", sets::sadd),
    c!("srem", -3, WF, Set, "key member [member ...]", "Remove one or more members from a set", sets::srem),
    c!("smembers", 2, R, Set, "key", "Get all the members in a set", sets::smembers),
    c!("sismember", 3, RF, Set, "key member", "Determine if a given value is a member of a set", sets::sismember),
    c!("smismember", -3, RF, Set, "key member [member ...]", "Returns the membership associated with the given elements for a set", sets::smismember),
    c!("scard", 2, RF, Set, "key", "Get the number of members in a set", sets::scard),
    c!("sinter", -2, R, Set, "key [key ...]", "Intersect multiple sets", sets::sinter),
    c!("sunion", -2, R, Set, "key [key ...]", "Add multiple sets", sets::sunion),
    c!("sdiff", -2, R, Set, "key [key ...]", "Subtract multiple sets", sets::sdiff),
    c!("spop", -2, &[Write, Fast, Random], Set, "key [count]", "Remove and return one or multiple random members from a set", sets::spop),
    c!("srandmember", -2, &[ReadOnly, Random], Set, "key [count]", "Get one or multiple random members from a set", sets::srandmember),
    c!("smove", 4, WF, Set, "source destination member", "Move a member from one set to another", sets::smove),
    // hashes
    c!("hset", -4, WDF, Hash, "key field value [field value ...]", "Set the string value of a hash field", hashes::hset),
    c!("hmset", -4, WDF, Hash, "key field value [field value ...]", "Set multiple hash fields to multiple values", hashes::hmset),
    c!("hsetnx", 4, WDF, Hash, "key field value", "Set the value of a hash field, only if the field does not exist", hashes::hsetnx),
    c!("hget", 3, RF, Hash, "key field", "Get the value of a hash field", hashes::hget),
    c!("hmget", -3, RF, Hash, "key field [field ...]", "Get the values of all the given hash fields", hashes::hmget),
    c!("hdel", -3, WF, Hash, "key field [field ...]", "Delete one or more hash fields", hashes::hdel),
    c!("hexists", 3, RF, Hash, "key field", "Determine if a hash field exists", hashes::hexists),
    c!("hlen", 2, RF, Hash, "key", "Get the number of fields in a hash", hashes::hlen),
    c!("hstrlen", 3, RF, Hash, "key field", "Get the length of the value of a hash field", hashes::hstrlen),
    c!("hgetall", 2, R, Hash, "key", "Get all the fields and values in a hash", hashes::hgetall),
    c!("hkeys", 2, R, Hash, "key", "Get all the fields in a hash", hashes::hkeys),
    c!("hvals", 2, R, Hash, "key", "Get all the values in a hash", hashes::hvals),
    c!("hincrby", 4, WDF, Hash, "key field increment", "Increment the integer value of a hash field by the given number", hashes::hincrby),
    c!("hincrbyfloat", 4, WDF, Hash, "key field increment", "Increment the float value of a hash field by the given amount", hashes::hincrbyfloat),
    // sorted sets
    c!("zadd", -4, WDF, SortedSet, "key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]", "Add one or more members to a sorted set, or update its score if it already exists", zsets::zadd),
    c!("zincrby", 4, WDF, SortedSet, "key increment member", "Increment the score of a member in a sorted set", zsets::zincrby),
    c!("zscore", 3, RF, SortedSet, "key member", "Get the score associated with the given member in a sorted set", zsets::zscore),
    c!("zrank", 3, RF, SortedSet, "key member", "Determine the index of a member in a sorted set", zsets::zrank),
    c!("zrevrank", 3, RF, SortedSet, "key member", "Determine the index of a member in a sorted set, with scores ordered from high to low", zsets::zrevrank),
    c!("zrem", -3, WF, SortedSet, "key member [member ...]", "Remove one or more members from a sorted set", zsets::zrem),
    c!("zcard", 2, RF, SortedSet, "key", "Get the number of members in a sorted set", zsets::zcard),
    c!("zcount", 4, RF, SortedSet, "key min max", "Count the members in a sorted set with scores within the given values", zsets::zcount),
    c!("zrange", -4, R, SortedSet, "key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]", "Return a range of members in a sorted set", zsets::zrange),
    c!("zrangebyscore", -4, R, SortedSet, "key min max [WITHSCORES] [LIMIT offset count]", "Return a range of members in a sorted set, by score", zsets::zrangebyscore),
    c!("zrevrange", -4, R, SortedSet, "key start stop [WITHSCORES]", "Return a range of members in a sorted set, by index, with scores ordered from high to low", zsets::zrevrange),
    c!("zrevrangebyscore", -4, R, SortedSet, "key max min [WITHSCORES] [LIMIT offset count]", "Return a range of members in a sorted set, by score, with scores ordered from high to low", zsets::zrevrangebyscore),
    // server / connection
    c!("ping", -1, F, Connection, "[message]", "Ping the server", server::ping),
    c!("echo", 2, F, Connection, "message", "Echo the given string", server::echo),
    c!("info", -1, &[Random], Server, "[section [section ...]]", "Get information and statistics about the server", server::info),
    c!("debug", -2, &[NoScript], Server, "SLEEP seconds", "DEBUG SLEEP advances the store's clock by that many seconds (other subcommands are not modeled)", server::debug),
    // scripting
    c!("eval", -3, &[NoScript], Scripting, "script numkeys [key [key ...]] [arg [arg ...]]", "Execute a Lua script server side", scripting::eval),
    c!("evalsha", -3, &[NoScript], Scripting, "sha1 numkeys [key [key ...]] [arg [arg ...]]", "Execute a Lua script server side", scripting::eval),
    c!("eval_ro", -3, &[NoScript, ReadOnly], Scripting, "script numkeys [key [key ...]] [arg [arg ...]]", "Execute a read-only Lua script server side", scripting::eval),
    c!("evalsha_ro", -3, &[NoScript, ReadOnly], Scripting, "sha1 numkeys [key [key ...]] [arg [arg ...]]", "Execute a read-only Lua script server side", scripting::eval),
    c!("script", -2, &[NoScript], Scripting, "DEBUG | EXISTS | FLUSH | HELP | KILL | LOAD", "A container for Lua scripts management commands", scripting::script),
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

/// redis-cli's `HELP <command>` text for `name`, or `None` for an unknown command.
pub fn help_text(name: &str) -> Option<String> {
    let c = lookup(name.as_bytes())?;
    Some(format!(
        "\n  {} {}\n  summary: {}\n  group: {}\n",
        c.name.to_ascii_uppercase(),
        c.syntax,
        c.summary,
        c.group.name()
    ))
}

/// Command names starting with `prefix` (case-insensitive), sorted: Tab completion.
pub fn complete(prefix: &str) -> Vec<&'static str> {
    let p = prefix.to_ascii_lowercase();
    sorted_index().iter().filter(|(n, _)| n.starts_with(&p)).map(|(n, _)| *n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent_and_serves_help_and_completion() {
        let mut names: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
        names.sort();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "duplicate command names");
        assert!(COMMANDS.iter().all(|c| c.name == c.name.to_ascii_lowercase() && c.arity != 0));
        assert_eq!(lookup(b"GeT").map(|c| c.name), Some("get"));
        assert!(lookup(b"nosuch").is_none());
        assert_eq!(complete("ZREV"), vec!["zrevrange", "zrevrangebyscore", "zrevrank"]);
        assert_eq!(
            help_text("getex").unwrap(),
            "\n  GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]\n  summary: Get the value of a key and optionally set its expiration\n  group: string\n"
        );
        expect_test::expect!["106"].assert_eq(&COMMANDS.len().to_string());
    }
}
