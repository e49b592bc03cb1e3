//! The command table: name, arity (Redis's convention: `n` exact, `-n` at least n, counting the
//! name), flags, syntax, a one-line summary and the handler, one `pub static` per command. The web
//! CLI's HELP and Tab completion read it; `Store::execute` dispatches through it.
//!
//! Servers reach the commands only through the [`CommandSet`] installed on their thread
//! ([`installed`]): natively [`ALL`]; in a wasm bundle the set its entry point installs, so a page
//! that can issue only some commands (the locks and messaging pages) links only their handlers
//! (ARCHITECTURE.md, "Bundle"). Nothing outside this file and the bundles' entry points names
//! [`COMMANDS`] or [`ALL`] in code that ships.

use std::sync::OnceLock;

use super::cmd::{
    admin, blocking, connection, databases, hashes, introspect, keys, lists, pubsub, scripting, server, sets, streams,
    strings, transactions, zsets,
};
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
    /// Refused inside a script (Redis's `CMD_NOSCRIPT`: MULTI, SUBSCRIBE, BLPOP…).
    NoScript,
    /// May block its client (Redis's `CMD_BLOCKING`); inside MULTI or a script it never does.
    Blocking,
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
    Transactions,
    PubSub,
    Stream,
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
            Group::Transactions => "transactions",
            Group::PubSub => "pubsub",
            Group::Stream => "stream",
        }
    }
}

pub struct CommandSpec {
    /// Lower-case, as Redis names commands in errors; a subcommand is `container|sub`
    /// (`config|get`), Redis's "full name".
    pub name: &'static str,
    pub arity: i32,
    pub flags: &'static [Flag],
    pub group: Group,
    /// Arguments after the name, in the notation of Redis's docs.
    pub syntax: &'static str,
    pub summary: &'static str,
    pub handler: Handler,
    /// A container command's subcommands (CLIENT, CONFIG, PUBSUB); the container itself is never
    /// called: `server::lookup_command` resolves `argv[1]` first, as Redis's `lookupCommand` does.
    pub subcommands: &'static [CommandSpec],
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
const NS: &[Flag] = &[NoScript];
const NSF: &[Flag] = &[NoScript, Fast];

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
            subcommands: &[],
        }
    };
}

/// A container command (Redis's `subcommands_dict`): arity and flags of the bare name, then the
/// subcommand table.
macro_rules! container {
    ($name:literal, $group:ident, $summary:literal, $subs:expr) => {
        CommandSpec {
            name: $name,
            arity: -2,
            flags: &[],
            group: Group::$group,
            syntax: "<subcommand> [<arg> ...]",
            summary: $summary,
            handler: super::server::container_never_called,
            subcommands: $subs,
        }
    };
}

/// One `pub static` per command and [`COMMANDS`] listing them all, so each spec is written once and
/// every list of commands (the full table, a bundle's [`CommandSet`]) holds references to it.
macro_rules! commands {
    ($($ident:ident = $spec:expr;)*) => {
        $(pub static $ident: CommandSpec = $spec;)*

        /// Every command the model implements: what [`ALL`] serves.
        pub static COMMANDS: &[&CommandSpec] = &[$(&$ident),*];
    };
}

// The commands the model implements, one `pub static` each (`table::SET`, …), and [`COMMANDS`]: all
// of them, in this order. A bundle that can issue only some installs a [`CommandSet`] naming those
// (`lock::store::LOCK_COMMANDS`, `messaging::MESSAGING_COMMANDS`), so its wasm links no other handler.
commands! {
    // strings
    SET = c!("set", -3, WD, String, "key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]", "Set the string value of a key", strings::set);
    GET = c!("get", 2, RF, String, "key", "Get the value of a key", strings::get);
    GETSET = c!("getset", 3, WDF, String, "key value", "Set the string value of a key and return its old value", strings::getset);
    SETNX = c!("setnx", 3, WDF, String, "key value", "Set the value of a key, only if the key does not exist", strings::setnx);
    SETEX = c!("setex", 4, WD, String, "key seconds value", "Set the value and expiration of a key", strings::setex);
    PSETEX = c!("psetex", 4, WD, String, "key milliseconds value", "Set the value and expiration in milliseconds of a key", strings::psetex);
    MSET = c!("mset", -3, WD, String, "key value [key value ...]", "Set multiple keys to multiple values", strings::mset);
    MSETNX = c!("msetnx", -3, WD, String, "key value [key value ...]", "Set multiple keys to multiple values, only if none of the keys exist", strings::msetnx);
    MGET = c!("mget", -2, RF, String, "key [key ...]", "Get the values of all the given keys", strings::mget);
    APPEND = c!("append", 3, WDF, String, "key value", "Append a value to a key", strings::append);
    STRLEN = c!("strlen", 2, RF, String, "key", "Get the length of the value stored in a key", strings::strlen);
    INCR = c!("incr", 2, WDF, String, "key", "Increment the integer value of a key by one", strings::incr);
    DECR = c!("decr", 2, WDF, String, "key", "Decrement the integer value of a key by one", strings::decr);
    INCRBY = c!("incrby", 3, WDF, String, "key increment", "Increment the integer value of a key by the given amount", strings::incrby);
    DECRBY = c!("decrby", 3, WDF, String, "key decrement", "Decrement the integer value of a key by the given number", strings::decrby);
    INCRBYFLOAT = c!("incrbyfloat", 3, WDF, String, "key increment", "Increment the float value of a key by the given amount", strings::incrbyfloat);
    GETDEL = c!("getdel", 2, WF, String, "key", "Get the value of a key and delete the key", strings::getdel);
    GETEX = c!("getex", -2, WF, String, "key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]", "Get the value of a key and optionally set its expiration", strings::getex);
    GETRANGE = c!("getrange", 4, R, String, "key start end", "Get a substring of the string stored at a key", strings::getrange);
    SUBSTR = c!("substr", 4, R, String, "key start end", "Get a substring of the string stored at a key", strings::getrange);
    SETRANGE = c!("setrange", 4, WD, String, "key offset value", "Overwrite part of a string at key starting at the specified offset", strings::setrange);
    // keyspace
    DEL = c!("del", -2, W, Keyspace, "key [key ...]", "Delete a key", keys::del);
    UNLINK = c!("unlink", -2, WF, Keyspace, "key [key ...]", "Delete a key asynchronously in another thread (here: at once)", keys::unlink);
    EXISTS = c!("exists", -2, RF, Keyspace, "key [key ...]", "Determine if a key exists", keys::exists);
    EXPIRE = c!("expire", -3, WF, Keyspace, "key seconds [NX | XX | GT | LT]", "Set a key's time to live in seconds", keys::expire);
    PEXPIRE = c!("pexpire", -3, WF, Keyspace, "key milliseconds [NX | XX | GT | LT]", "Set a key's time to live in milliseconds", keys::pexpire);
    EXPIREAT = c!("expireat", -3, WF, Keyspace, "key unix-time-seconds [NX | XX | GT | LT]", "Set the expiration for a key as a UNIX timestamp", keys::expireat);
    PEXPIREAT = c!("pexpireat", -3, WF, Keyspace, "key unix-time-milliseconds [NX | XX | GT | LT]", "Set the expiration for a key as a UNIX timestamp specified in milliseconds", keys::pexpireat);
    TTL = c!("ttl", 2, RF, Keyspace, "key", "Get the time to live for a key in seconds", keys::ttl);
    PTTL = c!("pttl", 2, RF, Keyspace, "key", "Get the time to live for a key in milliseconds", keys::pttl);
    EXPIRETIME = c!("expiretime", 2, RF, Keyspace, "key", "Get the expiration Unix timestamp for a key", keys::expiretime);
    PEXPIRETIME = c!("pexpiretime", 2, RF, Keyspace, "key", "Get the expiration Unix timestamp for a key in milliseconds", keys::pexpiretime);
    PERSIST = c!("persist", 2, WF, Keyspace, "key", "Remove the expiration from a key", keys::persist);
    TYPE = c!("type", 2, RF, Keyspace, "key", "Determine the type stored at key", keys::type_);
    RENAME = c!("rename", 3, W, Keyspace, "key newkey", "Rename a key", keys::rename);
    RENAMENX = c!("renamenx", 3, WF, Keyspace, "key newkey", "Rename a key, only if the new key does not exist", keys::renamenx);
    COPY = c!("copy", -3, WD, Keyspace, "source destination [DB destination-db] [REPLACE]", "Copy a key", databases::copy);
    KEYS = c!("keys", 2, R, Keyspace, "pattern", "Find all keys matching the given pattern", keys::keys);
    SCAN = c!("scan", -2, R, Keyspace, "cursor [MATCH pattern] [COUNT count] [TYPE type]", "Incrementally iterate the keys space", keys::scan);
    RANDOMKEY = c!("randomkey", 1, &[ReadOnly, Random], Keyspace, "", "Return a random key from the keyspace", keys::randomkey);
    DBSIZE = c!("dbsize", 1, RF, Server, "", "Return the number of keys in the selected database", keys::dbsize);
    FLUSHDB = c!("flushdb", -1, W, Server, "[ASYNC | SYNC]", "Remove all keys from the current database", databases::flushdb);
    FLUSHALL = c!("flushall", -1, W, Server, "[ASYNC | SYNC]", "Remove all keys from all databases", databases::flushall);
    // lists
    LPUSH = c!("lpush", -3, WDF, List, "key element [element ...]", "Prepend one or multiple elements to a list", lists::lpush);
    RPUSH = c!("rpush", -3, WDF, List, "key element [element ...]", "Append one or multiple elements to a list", lists::rpush);
    LPUSHX = c!("lpushx", -3, WDF, List, "key element [element ...]", "Prepend an element to a list, only if the list exists", lists::lpushx);
    RPUSHX = c!("rpushx", -3, WDF, List, "key element [element ...]", "Append an element to a list, only if the list exists", lists::rpushx);
    LPOP = c!("lpop", -2, WF, List, "key [count]", "Remove and get the first elements in a list", lists::lpop);
    RPOP = c!("rpop", -2, WF, List, "key [count]", "Remove and get the last elements in a list", lists::rpop);
    LLEN = c!("llen", 2, RF, List, "key", "Get the length of a list", lists::llen);
    LRANGE = c!("lrange", 4, R, List, "key start stop", "Get a range of elements from a list", lists::lrange);
    LINDEX = c!("lindex", 3, R, List, "key index", "Get an element from a list by its index", lists::lindex);
    LSET = c!("lset", 4, WD, List, "key index element", "Set the value of an element in a list by its index", lists::lset);
    LREM = c!("lrem", 4, W, List, "key count element", "Remove elements from a list", lists::lrem);
    LTRIM = c!("ltrim", 4, W, List, "key start stop", "Trim a list to the specified range", lists::ltrim);
    LINSERT = c!("linsert", 5, WD, List, "key BEFORE | AFTER pivot element", "Insert an element before or after another element in a list", lists::linsert);
    LPOS = c!("lpos", -3, R, List, "key element [RANK rank] [COUNT num-matches] [MAXLEN len]", "Return the index of matching elements on a list", lists::lpos);
    LMOVE = c!("lmove", 5, WD, List, "source destination LEFT | RIGHT LEFT | RIGHT", "Pop an element from a list, push it to another list and return it", lists::lmove);
    RPOPLPUSH = c!("rpoplpush", 3, WD, List, "source destination", "Remove the last element in a list, prepend it to another list and return it", lists::rpoplpush);
    // sets
    SADD = c!("sadd", -3, WDF, Set, "key member [member ...]", "Add one or more members to a set", sets::sadd);
    SREM = c!("srem", -3, WF, Set, "key member [member ...]", "Remove one or more members from a set", sets::srem);
    SMEMBERS = c!("smembers", 2, R, Set, "key", "Get all the members in a set", sets::smembers);
    SISMEMBER = c!("sismember", 3, RF, Set, "key member", "Determine if a given value is a member of a set", sets::sismember);
    SMISMEMBER = c!("smismember", -3, RF, Set, "key member [member ...]", "Returns the membership associated with the given elements for a set", sets::smismember);
    SCARD = c!("scard", 2, RF, Set, "key", "Get the number of members in a set", sets::scard);
    SINTER = c!("sinter", -2, R, Set, "key [key ...]", "Intersect multiple sets", sets::sinter);
    SUNION = c!("sunion", -2, R, Set, "key [key ...]", "Add multiple sets", sets::sunion);
    SDIFF = c!("sdiff", -2, R, Set, "key [key ...]", "Subtract multiple sets", sets::sdiff);
    SPOP = c!("spop", -2, &[Write, Fast, Random], Set, "key [count]", "Remove and return one or multiple random members from a set", sets::spop);
    SRANDMEMBER = c!("srandmember", -2, &[ReadOnly, Random], Set, "key [count]", "Get one or multiple random members from a set", sets::srandmember);
    SMOVE = c!("smove", 4, WF, Set, "source destination member", "Move a member from one set to another", sets::smove);
    // hashes
    HSET = c!("hset", -4, WDF, Hash, "key field value [field value ...]", "Set the string value of a hash field", hashes::hset);
    HMSET = c!("hmset", -4, WDF, Hash, "key field value [field value ...]", "Set multiple hash fields to multiple values", hashes::hmset);
    HSETNX = c!("hsetnx", 4, WDF, Hash, "key field value", "Set the value of a hash field, only if the field does not exist", hashes::hsetnx);
    HGET = c!("hget", 3, RF, Hash, "key field", "Get the value of a hash field", hashes::hget);
    HMGET = c!("hmget", -3, RF, Hash, "key field [field ...]", "Get the values of all the given hash fields", hashes::hmget);
    HDEL = c!("hdel", -3, WF, Hash, "key field [field ...]", "Delete one or more hash fields", hashes::hdel);
    HEXISTS = c!("hexists", 3, RF, Hash, "key field", "Determine if a hash field exists", hashes::hexists);
    HLEN = c!("hlen", 2, RF, Hash, "key", "Get the number of fields in a hash", hashes::hlen);
    HSTRLEN = c!("hstrlen", 3, RF, Hash, "key field", "Get the length of the value of a hash field", hashes::hstrlen);
    HGETALL = c!("hgetall", 2, R, Hash, "key", "Get all the fields and values in a hash", hashes::hgetall);
    HKEYS = c!("hkeys", 2, R, Hash, "key", "Get all the fields in a hash", hashes::hkeys);
    HVALS = c!("hvals", 2, R, Hash, "key", "Get all the values in a hash", hashes::hvals);
    HINCRBY = c!("hincrby", 4, WDF, Hash, "key field increment", "Increment the integer value of a hash field by the given number", hashes::hincrby);
    HINCRBYFLOAT = c!("hincrbyfloat", 4, WDF, Hash, "key field increment", "Increment the float value of a hash field by the given amount", hashes::hincrbyfloat);
    // sorted sets
    ZADD = c!("zadd", -4, WDF, SortedSet, "key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]", "Add one or more members to a sorted set, or update its score if it already exists", zsets::zadd);
    ZINCRBY = c!("zincrby", 4, WDF, SortedSet, "key increment member", "Increment the score of a member in a sorted set", zsets::zincrby);
    ZSCORE = c!("zscore", 3, RF, SortedSet, "key member", "Get the score associated with the given member in a sorted set", zsets::zscore);
    ZRANK = c!("zrank", 3, RF, SortedSet, "key member", "Determine the index of a member in a sorted set", zsets::zrank);
    ZREVRANK = c!("zrevrank", 3, RF, SortedSet, "key member", "Determine the index of a member in a sorted set, with scores ordered from high to low", zsets::zrevrank);
    ZREM = c!("zrem", -3, WF, SortedSet, "key member [member ...]", "Remove one or more members from a sorted set", zsets::zrem);
    ZCARD = c!("zcard", 2, RF, SortedSet, "key", "Get the number of members in a sorted set", zsets::zcard);
    ZCOUNT = c!("zcount", 4, RF, SortedSet, "key min max", "Count the members in a sorted set with scores within the given values", zsets::zcount);
    ZRANGE = c!("zrange", -4, R, SortedSet, "key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]", "Return a range of members in a sorted set", zsets::zrange);
    ZRANGEBYSCORE = c!("zrangebyscore", -4, R, SortedSet, "key min max [WITHSCORES] [LIMIT offset count]", "Return a range of members in a sorted set, by score", zsets::zrangebyscore);
    ZREVRANGE = c!("zrevrange", -4, R, SortedSet, "key start stop [WITHSCORES]", "Return a range of members in a sorted set, by index, with scores ordered from high to low", zsets::zrevrange);
    ZREVRANGEBYSCORE = c!("zrevrangebyscore", -4, R, SortedSet, "key max min [WITHSCORES] [LIMIT offset count]", "Return a range of members in a sorted set, by score, with scores ordered from high to low", zsets::zrevrangebyscore);
    // server / connection
    PING = c!("ping", -1, F, Connection, "[message]", "Ping the server", server::ping);
    ECHO = c!("echo", 2, F, Connection, "message", "Echo the given string", server::echo);
    INFO = c!("info", -1, &[Random], Server, "[section [section ...]]", "Get information and statistics about the server", server::info);
    DEBUG = c!("debug", -2, &[NoScript], Server, "SLEEP seconds", "DEBUG SLEEP advances the store's clock by that many seconds (other subcommands are not modeled)", server::debug);
    // scripting
    EVAL = c!("eval", -3, &[NoScript], Scripting, "script numkeys [key [key ...]] [arg [arg ...]]", "Execute a Lua script server side", scripting::eval);
    EVALSHA = c!("evalsha", -3, &[NoScript], Scripting, "sha1 numkeys [key [key ...]] [arg [arg ...]]", "Execute a Lua script server side", scripting::eval);
    EVAL_RO = c!("eval_ro", -3, &[NoScript, ReadOnly], Scripting, "script numkeys [key [key ...]] [arg [arg ...]]", "Execute a read-only Lua script server side", scripting::eval);
    EVALSHA_RO = c!("evalsha_ro", -3, &[NoScript, ReadOnly], Scripting, "sha1 numkeys [key [key ...]] [arg [arg ...]]", "Execute a read-only Lua script server side", scripting::eval);
    SCRIPT = c!("script", -2, &[NoScript], Scripting, "DEBUG | EXISTS | FLUSH | HELP | KILL | LOAD", "A container for Lua scripts management commands", scripting::script);
    // transactions
    MULTI = c!("multi", 1, NSF, Transactions, "", "Mark the start of a transaction block", transactions::multi);
    EXEC = c!("exec", 1, NS, Transactions, "", "Execute all commands issued after MULTI", transactions::exec);
    DISCARD = c!("discard", 1, NSF, Transactions, "", "Discard all commands issued after MULTI", transactions::discard);
    WATCH = c!("watch", -2, NSF, Transactions, "key [key ...]", "Watch the given keys to determine execution of the MULTI/EXEC block", transactions::watch);
    UNWATCH = c!("unwatch", 1, NSF, Transactions, "", "Forget about all watched keys", transactions::unwatch);
    // databases
    SELECT = c!("select", 2, F, Connection, "index", "Change the selected database for the current connection", databases::select);
    MOVE = c!("move", 3, WF, Keyspace, "key db", "Move a key to another database", databases::move_);
    SWAPDB = c!("swapdb", 3, WF, Server, "index1 index2", "Swaps two Redis databases", databases::swapdb);
    // connection
    CLIENT = container!("client", Connection, "A container for client connection commands", CLIENT_SUBCOMMANDS);
    RESET = c!("reset", 1, NSF, Connection, "", "Reset the connection", connection::reset);
    QUIT = c!("quit", -1, NSF, Connection, "", "Close the connection", connection::quit);
    // pub/sub
    SUBSCRIBE = c!("subscribe", -2, NS, PubSub, "channel [channel ...]", "Listen for messages published to the given channels", pubsub::subscribe);
    UNSUBSCRIBE = c!("unsubscribe", -1, NS, PubSub, "[channel [channel ...]]", "Stop listening for messages posted to the given channels", pubsub::unsubscribe);
    PSUBSCRIBE = c!("psubscribe", -2, NS, PubSub, "pattern [pattern ...]", "Listen for messages published to channels matching the given patterns", pubsub::psubscribe);
    PUNSUBSCRIBE = c!("punsubscribe", -1, NS, PubSub, "[pattern [pattern ...]]", "Stop listening for messages posted to channels matching the given patterns", pubsub::punsubscribe);
    PUBLISH = c!("publish", 3, F, PubSub, "channel message", "Post a message to a channel", pubsub::publish);
    SSUBSCRIBE = c!("ssubscribe", -2, NS, PubSub, "shardchannel [shardchannel ...]", "Listen for messages published to the given shard channels", pubsub::ssubscribe);
    SUNSUBSCRIBE = c!("sunsubscribe", -1, NS, PubSub, "[shardchannel [shardchannel ...]]", "Stop listening for messages posted to the given shard channels", pubsub::sunsubscribe);
    SPUBLISH = c!("spublish", 3, F, PubSub, "shardchannel message", "Post a message to a shard channel", pubsub::spublish);
    PUBSUB = container!("pubsub", PubSub, "A container for Pub/Sub commands", PUBSUB_SUBCOMMANDS);
    // blocking pops and the pops they serve
    BLPOP = c!("blpop", -3, &[Write, NoScript, Blocking], List, "key [key ...] timeout", "Remove and get the first element in a list, or block until one is available", blocking::blpop);
    BRPOP = c!("brpop", -3, &[Write, NoScript, Blocking], List, "key [key ...] timeout", "Remove and get the last element in a list, or block until one is available", blocking::brpop);
    BLMOVE = c!("blmove", 6, &[Write, DenyOom, NoScript, Blocking], List, "source destination LEFT | RIGHT LEFT | RIGHT timeout", "Pop an element from a list, push it to another list and return it; or block until one is available", blocking::blmove);
    BRPOPLPUSH = c!("brpoplpush", 4, &[Write, DenyOom, NoScript, Blocking], List, "source destination timeout", "Pop an element from a list, push it to another list and return it; or block until one is available", blocking::brpoplpush);
    LMPOP = c!("lmpop", -4, W, List, "numkeys key [key ...] LEFT | RIGHT [COUNT count]", "Pop elements from a list", blocking::lmpop);
    BLMPOP = c!("blmpop", -5, &[Write, Blocking], List, "timeout numkeys key [key ...] LEFT | RIGHT [COUNT count]", "Pop elements from a list, or block until one is available", blocking::blmpop);
    ZPOPMIN = c!("zpopmin", -2, WF, SortedSet, "key [count]", "Remove and return members with the lowest scores in a sorted set", blocking::zpopmin);
    ZPOPMAX = c!("zpopmax", -2, WF, SortedSet, "key [count]", "Remove and return members with the highest scores in a sorted set", blocking::zpopmax);
    BZPOPMIN = c!("bzpopmin", -3, &[Write, NoScript, Fast, Blocking], SortedSet, "key [key ...] timeout", "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available", blocking::bzpopmin);
    BZPOPMAX = c!("bzpopmax", -3, &[Write, NoScript, Fast, Blocking], SortedSet, "key [key ...] timeout", "Remove and return the member with the highest score from one or more sorted sets, or block until one is available", blocking::bzpopmax);
    ZMPOP = c!("zmpop", -4, W, SortedSet, "numkeys key [key ...] MIN | MAX [COUNT count]", "Remove and return members with scores in a sorted set", blocking::zmpop);
    BZMPOP = c!("bzmpop", -5, &[Write, Blocking], SortedSet, "timeout numkeys key [key ...] MIN | MAX [COUNT count]", "Remove and return members with scores in a sorted set or block until one is available", blocking::bzmpop);
    // streams
    XADD = c!("xadd", -5, WDF, Stream, "key [NOMKSTREAM] [MAXLEN | MINID [= | ~] threshold [LIMIT count]] * | id field value [field value ...]", "Appends a new entry to a stream", streams::xadd);
    XLEN = c!("xlen", 2, RF, Stream, "key", "Return the number of entries in a stream", streams::xlen);
    XRANGE = c!("xrange", -4, R, Stream, "key start end [COUNT count]", "Return a range of elements in a stream, with IDs matching the specified IDs interval", streams::xrange);
    XREVRANGE = c!("xrevrange", -4, R, Stream, "key end start [COUNT count]", "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE", streams::xrevrange);
    XDEL = c!("xdel", -3, WF, Stream, "key id [id ...]", "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.", streams::xdel);
    XTRIM = c!("xtrim", -4, W, Stream, "key MAXLEN | MINID [= | ~] threshold [LIMIT count]", "Trims the stream to (approximately if '~' is passed) a certain size", streams::xtrim);
    XSETID = c!("xsetid", -3, WDF, Stream, "key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]", "An internal command for replicating stream values", streams::xsetid);
    XREAD = c!("xread", -4, &[ReadOnly, Blocking], Stream, "[COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]", "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.", streams::xread);
    XREADGROUP = c!("xreadgroup", -7, &[Write, Blocking], Stream, "GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...]", "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.", streams::xreadgroup);
    XACK = c!("xack", -4, WF, Stream, "key group id [id ...]", "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.", streams::xack);
    XPENDING = c!("xpending", -3, R, Stream, "key group [[IDLE min-idle-time] start end count [consumer]]", "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.", streams::xpending);
    XCLAIM = c!("xclaim", -6, WF, Stream, "key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]", "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.", streams::xclaim);
    XAUTOCLAIM = c!("xautoclaim", -6, WF, Stream, "key group consumer min-idle-time start [COUNT count] [JUSTID]", "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.", streams::xautoclaim);
    XGROUP = container!("xgroup", Stream, "A container for consumer groups commands", XGROUP_SUBCOMMANDS);
    XINFO = container!("xinfo", Stream, "A container for stream introspection commands", XINFO_SUBCOMMANDS);
    // server
    CONFIG = container!("config", Server, "A container for server configuration commands", CONFIG_SUBCOMMANDS);
    OBJECT = container!("object", Keyspace, "A container for object introspection commands", OBJECT_SUBCOMMANDS);
    MEMORY = container!("memory", Server, "A container for memory diagnostics commands", MEMORY_SUBCOMMANDS);
    TIME = c!("time", 1, F, Server, "", "Return the current server time (the virtual clock)", admin::time);
    WAIT = c!("wait", 3, NS, Keyspace, "numreplicas timeout", "Wait for the synchronous replication of all the write commands sent in the context of the current connection", admin::wait);
}

/// Subcommand rows: `sub!("client", "id", …)` names the row `client|id`.
macro_rules! sub {
    ($name:literal, $arity:expr, $flags:expr, $group:ident, $syntax:literal, $summary:literal, $h:path) => {
        c!($name, $arity, $flags, $group, $syntax, $summary, $h)
    };
}

static CLIENT_SUBCOMMANDS: &[CommandSpec] = &[
    sub!("client|id", 2, NS, Connection, "", "Returns the client ID for the current connection", connection::client_id),
    sub!("client|info", 2, NS, Connection, "", "Returns information about the current client connection", connection::client_info),
    sub!("client|list", -2, NS, Connection, "[TYPE NORMAL | MASTER | REPLICA | PUBSUB] [ID client-id [client-id ...]]", "Get the list of client connections", connection::client_list),
    sub!("client|kill", -3, NS, Connection, "ip:port | [ID client-id] [TYPE NORMAL | MASTER | SLAVE | REPLICA | PUBSUB] [USER username] [ADDR ip:port] [LADDR ip:port] [SKIPME yes/no]", "Kill the connection of a client", connection::client_kill),
    sub!("client|setname", 3, NS, Connection, "connection-name", "Set the current connection name", connection::client_setname),
    sub!("client|getname", 2, NS, Connection, "", "Get the current connection name", connection::client_getname),
    sub!("client|unblock", -3, NS, Connection, "client-id [TIMEOUT | ERROR]", "Unblock a client blocked in a blocking command from a different connection", connection::client_unblock),
    sub!("client|getredir", 2, NS, Connection, "", "Get tracking notifications redirection client ID if any", connection::client_getredir),
    sub!("client|no-evict", 3, NS, Connection, "ON | OFF", "Set client eviction mode for the current connection", connection::client_no_evict),
    sub!("client|reply", 3, NS, Connection, "ON | OFF | SKIP", "Instruct the server whether to reply to commands (not modeled)", connection::client_not_modeled),
    sub!("client|pause", -3, NS, Connection, "timeout [WRITE | ALL]", "Stop processing commands from clients for some time (not modeled)", connection::client_not_modeled),
    sub!("client|unpause", 2, NS, Connection, "", "Resume processing of clients that were paused (not modeled)", connection::client_not_modeled),
    sub!("client|tracking", -3, NS, Connection, "ON | OFF [REDIRECT client-id] [PREFIX prefix [PREFIX prefix ...]] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]", "Enable or disable server assisted client side caching support (not modeled)", connection::client_not_modeled),
    sub!("client|trackinginfo", 2, NS, Connection, "", "Return information about server assisted client side caching for the current connection (not modeled)", connection::client_not_modeled),
    sub!("client|caching", 3, NS, Connection, "YES | NO", "Instruct the server about tracking or not keys in the next request (not modeled)", connection::client_not_modeled),
    sub!("client|help", 2, &[], Connection, "", "Show helpful text about the different subcommands", connection::client_help),
];

static PUBSUB_SUBCOMMANDS: &[CommandSpec] = &[
    sub!("pubsub|channels", -2, &[], PubSub, "[pattern]", "List active channels", pubsub::pubsub_channels),
    sub!(
        "pubsub|numsub",
        -2,
        &[],
        PubSub,
        "[channel [channel ...]]",
        "Get the count of subscribers for channels",
        pubsub::pubsub_numsub
    ),
    sub!(
        "pubsub|numpat",
        2,
        &[],
        PubSub,
        "",
        "Get the count of unique patterns pattern subscriptions",
        pubsub::pubsub_numpat
    ),
    sub!(
        "pubsub|shardchannels",
        -2,
        &[],
        PubSub,
        "[pattern]",
        "List active shard channels",
        pubsub::pubsub_shardchannels
    ),
    sub!(
        "pubsub|shardnumsub",
        -2,
        &[],
        PubSub,
        "[shardchannel [shardchannel ...]]",
        "Get the count of subscribers for shard channels",
        pubsub::pubsub_shardnumsub
    ),
    sub!("pubsub|help", 2, &[], PubSub, "", "Show helpful text about the different subcommands", pubsub::pubsub_help),
];

static XGROUP_SUBCOMMANDS: &[CommandSpec] = &[
    sub!(
        "xgroup|create",
        -5,
        WD,
        Stream,
        "key group id | $ [MKSTREAM] [ENTRIESREAD entries-read]",
        "Create a consumer group.",
        streams::xgroup
    ),
    sub!(
        "xgroup|setid",
        -5,
        W,
        Stream,
        "key group id | $ [ENTRIESREAD entries-read]",
        "Set a consumer group to an arbitrary last delivered ID value.",
        streams::xgroup
    ),
    sub!("xgroup|destroy", 4, W, Stream, "key group", "Destroy a consumer group.", streams::xgroup),
    sub!(
        "xgroup|createconsumer",
        5,
        WD,
        Stream,
        "key group consumer",
        "Create a consumer in a consumer group.",
        streams::xgroup
    ),
    sub!(
        "xgroup|delconsumer",
        5,
        W,
        Stream,
        "key group consumer",
        "Delete a consumer from a consumer group.",
        streams::xgroup
    ),
    sub!("xgroup|help", 2, &[], Stream, "", "Show helpful text about the different subcommands", streams::xgroup),
];

static XINFO_SUBCOMMANDS: &[CommandSpec] = &[
    sub!("xinfo|stream", -3, R, Stream, "key [FULL [COUNT count]]", "Get information about a stream", streams::xinfo),
    sub!("xinfo|groups", 3, R, Stream, "key", "List the consumer groups of a stream", streams::xinfo),
    sub!("xinfo|consumers", 4, R, Stream, "key group", "List the consumers in a consumer group", streams::xinfo),
    sub!("xinfo|help", 2, &[], Stream, "", "Show helpful text about the different subcommands", streams::xinfo),
];

static OBJECT_SUBCOMMANDS: &[CommandSpec] = &[
    sub!(
        "object|encoding",
        3,
        R,
        Keyspace,
        "key",
        "Inspect the internal encoding of a Redis object",
        introspect::object_encoding
    ),
    sub!(
        "object|freq",
        3,
        R,
        Keyspace,
        "key",
        "Get the logarithmic access frequency counter of a Redis object",
        introspect::object_freq
    ),
    sub!(
        "object|idletime",
        3,
        R,
        Keyspace,
        "key",
        "Get the time since a Redis object was last accessed",
        introspect::object_idletime
    ),
    sub!(
        "object|refcount",
        3,
        R,
        Keyspace,
        "key",
        "Get the number of references to the value of the key",
        introspect::object_refcount
    ),
    sub!(
        "object|help",
        2,
        &[],
        Keyspace,
        "",
        "Show helpful text about the different subcommands",
        introspect::object_help
    ),
];

static MEMORY_SUBCOMMANDS: &[CommandSpec] = &[
    sub!(
        "memory|usage",
        -3,
        R,
        Server,
        "key [SAMPLES count]",
        "Estimate the memory usage of a key",
        introspect::memory_usage
    ),
    sub!("memory|doctor", 2, &[], Server, "", "Output a memory problems report", introspect::memory_doctor),
    sub!(
        "memory|help",
        2,
        &[],
        Server,
        "",
        "Show helpful text about the different subcommands",
        introspect::memory_help
    ),
];

static CONFIG_SUBCOMMANDS: &[CommandSpec] = &[
    sub!(
        "config|get",
        -3,
        NS,
        Server,
        "parameter [parameter ...]",
        "Get the values of configuration parameters",
        admin::config_get
    ),
    sub!(
        "config|set",
        -4,
        NS,
        Server,
        "parameter value [parameter value ...]",
        "Set configuration parameters to the given values",
        admin::config_set
    ),
    sub!("config|resetstat", 2, NS, Server, "", "Reset the stats returned by INFO", admin::config_resetstat),
    sub!(
        "config|rewrite",
        2,
        NS,
        Server,
        "",
        "Rewrite the configuration file with the in memory configuration",
        admin::config_rewrite
    ),
    sub!("config|help", 2, &[], Server, "", "Show helpful text about the different subcommands", admin::config_help),
];

/// A table of commands a server dispatches through: [`ALL`], or the part of it a wasm bundle's pages
/// can issue. The bundle's entry point installs it on its thread ([`install_commands`],
/// `bundle_entry!`); a bundle that never names [`ALL`] links only its set's handlers (ARCHITECTURE.md,
/// "Bundle").
pub struct CommandSet {
    /// Who it serves, in the error a command outside it gets ("locks page": "… (the locks page
    /// carries only the commands its models use; …)").
    pub name: &'static str,
    pub commands: &'static [&'static CommandSpec],
    /// [`ALL`]: a name it lacks is not a Redis command the model knows at all.
    pub complete: bool,
    /// Names in byte order, with their index in `commands`, built on the first lookup.
    index: OnceLock<Vec<(&'static str, usize)>>,
}

impl CommandSet {
    /// A bundle's part of the table.
    pub const fn part(name: &'static str, commands: &'static [&'static CommandSpec]) -> CommandSet {
        CommandSet { name, commands, complete: false, index: OnceLock::new() }
    }

    fn sorted_index(&self) -> &[(&'static str, usize)] {
        self.index.get_or_init(|| {
            let mut v: Vec<(&'static str, usize)> =
                self.commands.iter().enumerate().map(|(i, c)| (c.name, i)).collect();
            v.sort();
            v
        })
    }

    /// Finds a command by name, case-insensitively.
    pub fn lookup(&self, name: &[u8]) -> Option<&'static CommandSpec> {
        if name.len() > 32 {
            return None;
        }
        let mut buf = [0u8; 32];
        let lower = &mut buf[..name.len()];
        lower.copy_from_slice(name);
        lower.make_ascii_lowercase();
        let idx = self.sorted_index();
        idx.binary_search_by(|(n, _)| n.as_bytes().cmp(lower)).ok().map(|i| self.commands[idx[i].1])
    }
}

/// The whole table: the sim CLI, redis-model and every native test, and the Redis and Cluster pages'
/// bundles, whose redis-cli prompts take any command.
pub static ALL: CommandSet =
    CommandSet { name: "every page", commands: COMMANDS, complete: true, index: OnceLock::new() };

/// What a wasm thread has before its entry point installs a set: nothing, so that no bundle links
/// [`ALL`] unless it names it.
#[cfg(target_arch = "wasm32")]
static NOTHING_INSTALLED: CommandSet = CommandSet::part("build, which installed no command table,", &[]);

thread_local! {
    /// The set the thread's entry point installed (`bundle_entry!`).
    static INSTALLED: std::cell::Cell<Option<&'static CommandSet>> = const { std::cell::Cell::new(None) };
}

/// Makes every server on this thread dispatch through `set` from now on (a bundle's entry point,
/// `bundle_entry!`; a test that runs a page's models as its bundle does).
pub fn install_commands(set: &'static CommandSet) {
    INSTALLED.with(|installed| installed.set(Some(set)));
}

/// The set servers on this thread dispatch through: the installed one, else natively [`ALL`], else
/// (in wasm) none.
pub fn installed() -> &'static CommandSet {
    #[cfg(not(target_arch = "wasm32"))]
    let fallback = &ALL;
    #[cfg(target_arch = "wasm32")]
    let fallback = &NOTHING_INSTALLED;
    INSTALLED.with(std::cell::Cell::get).unwrap_or(fallback)
}

/// Every command and subcommand (`container|sub`) the model implements, in table order: each command,
/// then its subcommands.
pub fn every_spec() -> impl Iterator<Item = &'static CommandSpec> {
    COMMANDS.iter().copied().flat_map(|c| std::iter::once(c).chain(c.subcommands.iter()))
}

/// Finds a command of the installed set by name, case-insensitively.
pub fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    let found = installed().lookup(name);
    #[cfg(not(target_arch = "wasm32"))]
    lookups::note(name, found);
    found
}

/// redis-cli's `HELP <command>` text for `name`, or `None` for a command the installed set lacks.
pub fn help_text(name: &str) -> Option<String> {
    let c = installed().lookup(name.as_bytes())?;
    Some(format!(
        "\n  {} {}\n  summary: {}\n  group: {}\n",
        c.name.to_ascii_uppercase(),
        c.syntax,
        c.summary,
        c.group.name()
    ))
}

/// Command names of the installed set starting with `prefix` (case-insensitive), sorted: Tab
/// completion.
pub fn complete(prefix: &str) -> Vec<&'static str> {
    let p = prefix.to_ascii_lowercase();
    installed().sorted_index().iter().filter(|(n, _)| n.starts_with(&p)).map(|(n, _)| *n).collect()
}

/// Natively, a record of the names servers on this thread looked up: how the tests find, and hold, the
/// commands a page's models issue (`tests/bundle_commands.rs`). Off until [`lookups::start`]; never in
/// wasm.
#[cfg(not(target_arch = "wasm32"))]
pub mod lookups {
    use std::cell::RefCell;
    use std::collections::BTreeSet;

    use super::CommandSpec;

    /// What [`take`] returns: the names found (lower case, containers as themselves) and those the
    /// installed set lacked (as sent, lossily decoded, at most 64 bytes).
    #[derive(Clone, Debug, Default, PartialEq, Eq)]
    pub struct Lookups {
        pub found: BTreeSet<&'static str>,
        pub missing: BTreeSet<String>,
    }

    thread_local! {
        static RECORD: RefCell<Option<Lookups>> = const { RefCell::new(None) };
    }

    /// Starts (or restarts, empty) recording this thread's lookups.
    pub fn start() {
        RECORD.with(|r| *r.borrow_mut() = Some(Lookups::default()));
    }

    /// Stops recording and returns what was recorded since [`start`] (empty if it was not started).
    pub fn take() -> Lookups {
        RECORD.with(|r| r.borrow_mut().take()).unwrap_or_default()
    }

    pub(super) fn note(name: &[u8], found: Option<&'static CommandSpec>) {
        RECORD.with(|r| {
            if let Some(rec) = r.borrow_mut().as_mut() {
                match found {
                    Some(spec) => {
                        rec.found.insert(spec.name);
                    }
                    None => {
                        rec.missing.insert(String::from_utf8_lossy(&name[..name.len().min(64)]).into_owned());
                    }
                }
            }
        });
    }
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
        expect_test::expect!["158"].assert_eq(&COMMANDS.len().to_string());
    }

    #[test]
    fn a_part_of_the_table_finds_only_its_own_commands_and_shares_their_specs() {
        static PART: CommandSet = CommandSet::part("test page", &[&GET, &CONFIG, &DEL]);
        assert!(std::ptr::eq(PART.lookup(b"gEt").unwrap(), &GET), "the same static, not a copy");
        assert!(std::ptr::eq(ALL.lookup(b"GET").unwrap(), &GET));
        assert_eq!(PART.lookup(b"config").map(|c| c.subcommands.len()), Some(CONFIG_SUBCOMMANDS.len()));
        assert!(PART.lookup(b"set").is_none() && ALL.lookup(b"set").is_some());
        assert!(!PART.complete && ALL.complete);
        assert_eq!(ALL.commands.len(), COMMANDS.len());
    }
}

/// Random command lines for the store's property tests (`keyspace::alloc_tests`,
/// `limits_fast::tests`): any write command of the table, with arguments from the test's pools.
#[cfg(test)]
pub(crate) mod random_lines {
    use super::Flag;
    use crate::sim::SimRng;

    /// A command line split on whitespace, as the store takes it.
    pub fn argv(line: &str) -> Vec<Vec<u8>> {
        line.split_whitespace().map(|w| w.as_bytes().to_vec()).collect()
    }

    /// The names of the table's write commands and subcommands (`container|sub`), but `skip`.
    pub fn write_commands(skip: &[&str]) -> Vec<&'static str> {
        super::every_spec()
            .filter(|c| c.flags.contains(&Flag::Write) && !skip.contains(&c.name))
            .map(|c| c.name)
            .collect()
    }

    /// One of `writes` with up to four arguments: the first two keys, the rest keys or words.
    pub fn any_write(
        rng: &mut SimRng,
        writes: &[&'static str],
        key: impl Fn(&mut SimRng) -> String,
        word: impl Fn(&mut SimRng) -> String,
    ) -> String {
        let name = writes[rng.index(writes.len())];
        let mut parts = vec![name.replace('|', " ")];
        parts.extend((0..rng.index(5)).map(|i| if i < 2 || rng.bernoulli(0.5) { key(rng) } else { word(rng) }));
        parts.join(" ")
    }
}
