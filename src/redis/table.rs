//! The command table: name, arity (Redis's convention: `n` exact, `-n` at least n, counting the
//! name), flags, syntax, a one-line summary and the handler. The web CLI's HELP and Tab completion
//! read it; `Store::execute` dispatches through it.

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
    c!("copy", -3, WD, Keyspace, "source destination [DB destination-db] [REPLACE]", "Copy a key", databases::copy),
    c!("keys", 2, R, Keyspace, "pattern", "Find all keys matching the given pattern", keys::keys),
    c!("scan", -2, R, Keyspace, "cursor [MATCH pattern] [COUNT count] [TYPE type]", "Incrementally iterate the keys space", keys::scan),
    c!("randomkey", 1, &[ReadOnly, Random], Keyspace, "", "Return a random key from the keyspace", keys::randomkey),
    c!("dbsize", 1, RF, Server, "", "Return the number of keys in the selected database", keys::dbsize),
    c!("flushdb", -1, W, Server, "[ASYNC | SYNC]", "Remove all keys from the current database", databases::flushdb),
    c!("flushall", -1, W, Server, "[ASYNC | SYNC]", "Remove all keys from all databases", databases::flushall),
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
    // transactions
    c!("multi", 1, NSF, Transactions, "", "Mark the start of a transaction block", transactions::multi),
    c!("exec", 1, NS, Transactions, "", "Execute all commands issued after MULTI", transactions::exec),
    c!("discard", 1, NSF, Transactions, "", "Discard all commands issued after MULTI", transactions::discard),
    c!("watch", -2, NSF, Transactions, "key [key ...]", "Watch the given keys to determine execution of the MULTI/EXEC block", transactions::watch),
    c!("unwatch", 1, NSF, Transactions, "", "Forget about all watched keys", transactions::unwatch),
    // databases
    c!("select", 2, F, Connection, "index", "Change the selected database for the current connection", databases::select),
    c!("move", 3, WF, Keyspace, "key db", "Move a key to another database", databases::move_),
    c!("swapdb", 3, WF, Server, "index1 index2", "Swaps two Redis databases", databases::swapdb),
    // connection
    container!("client", Connection, "A container for client connection commands", CLIENT),
    c!("reset", 1, NSF, Connection, "", "Reset the connection", connection::reset),
    c!("quit", -1, NSF, Connection, "", "Close the connection", connection::quit),
    // pub/sub
    c!("subscribe", -2, NS, PubSub, "channel [channel ...]", "Listen for messages published to the given channels", pubsub::subscribe),
    c!("unsubscribe", -1, NS, PubSub, "[channel [channel ...]]", "Stop listening for messages posted to the given channels", pubsub::unsubscribe),
    c!("psubscribe", -2, NS, PubSub, "pattern [pattern ...]", "Listen for messages published to channels matching the given patterns", pubsub::psubscribe),
    c!("punsubscribe", -1, NS, PubSub, "[pattern [pattern ...]]", "Stop listening for messages posted to channels matching the given patterns", pubsub::punsubscribe),
    c!("publish", 3, F, PubSub, "channel message", "Post a message to a channel", pubsub::publish),
    c!("ssubscribe", -2, NS, PubSub, "shardchannel [shardchannel ...]", "Listen for messages published to the given shard channels", pubsub::ssubscribe),
    c!("sunsubscribe", -1, NS, PubSub, "[shardchannel [shardchannel ...]]", "Stop listening for messages posted to the given shard channels", pubsub::sunsubscribe),
    c!("spublish", 3, F, PubSub, "shardchannel message", "Post a message to a shard channel", pubsub::spublish),
    container!("pubsub", PubSub, "A container for Pub/Sub commands", PUBSUB),
    // blocking pops and the pops they serve
    c!("blpop", -3, &[Write, NoScript, Blocking], List, "key [key ...] timeout", "Remove and get the first element in a list, or block until one is available", blocking::blpop),
    c!("brpop", -3, &[Write, NoScript, Blocking], List, "key [key ...] timeout", "Remove and get the last element in a list, or block until one is available", blocking::brpop),
    c!("blmove", 6, &[Write, DenyOom, NoScript, Blocking], List, "source destination LEFT | RIGHT LEFT | RIGHT timeout", "Pop an element from a list, push it to another list and return it; or block until one is available", blocking::blmove),
    c!("brpoplpush", 4, &[Write, DenyOom, NoScript, Blocking], List, "source destination timeout", "Pop an element from a list, push it to another list and return it; or block until one is available", blocking::brpoplpush),
    c!("lmpop", -4, W, List, "numkeys key [key ...] LEFT | RIGHT [COUNT count]", "Pop elements from a list", blocking::lmpop),
    c!("blmpop", -5, &[Write, Blocking], List, "timeout numkeys key [key ...] LEFT | RIGHT [COUNT count]", "Pop elements from a list, or block until one is available", blocking::blmpop),
    c!("zpopmin", -2, WF, SortedSet, "key [count]", "Remove and return members with the lowest scores in a sorted set", blocking::zpopmin),
    c!("zpopmax", -2, WF, SortedSet, "key [count]", "Remove and return members with the highest scores in a sorted set", blocking::zpopmax),
    c!("bzpopmin", -3, &[Write, NoScript, Fast, Blocking], SortedSet, "key [key ...] timeout", "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available", blocking::bzpopmin),
    c!("bzpopmax", -3, &[Write, NoScript, Fast, Blocking], SortedSet, "key [key ...] timeout", "Remove and return the member with the highest score from one or more sorted sets, or block until one is available", blocking::bzpopmax),
    c!("zmpop", -4, W, SortedSet, "numkeys key [key ...] MIN | MAX [COUNT count]", "Remove and return members with scores in a sorted set", blocking::zmpop),
    c!("bzmpop", -5, &[Write, Blocking], SortedSet, "timeout numkeys key [key ...] MIN | MAX [COUNT count]", "Remove and return members with scores in a sorted set or block until one is available", blocking::bzmpop),
    // streams
    c!("xadd", -5, WDF, Stream, "key [NOMKSTREAM] [MAXLEN | MINID [= | ~] threshold [LIMIT count]] * | id field value [field value ...]", "Appends a new entry to a stream", streams::xadd),
    c!("xlen", 2, RF, Stream, "key", "Return the number of entries in a stream", streams::xlen),
    c!("xrange", -4, R, Stream, "key start end [COUNT count]", "Return a range of elements in a stream, with IDs matching the specified IDs interval", streams::xrange),
    c!("xrevrange", -4, R, Stream, "key end start [COUNT count]", "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE", streams::xrevrange),
    c!("xdel", -3, WF, Stream, "key id [id ...]", "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.", streams::xdel),
    c!("xtrim", -4, W, Stream, "key MAXLEN | MINID [= | ~] threshold [LIMIT count]", "Trims the stream to (approximately if '~' is passed) a certain size", streams::xtrim),
    c!("xsetid", -3, WDF, Stream, "key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]", "An internal command for replicating stream values", streams::xsetid),
    c!("xread", -4, &[ReadOnly, Blocking], Stream, "[COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]", "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.", streams::xread),
    c!("xreadgroup", -7, &[Write, Blocking], Stream, "GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...]", "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.", streams::xreadgroup),
    c!("xack", -4, WF, Stream, "key group id [id ...]", "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.", streams::xack),
    c!("xpending", -3, R, Stream, "key group [[IDLE min-idle-time] start end count [consumer]]", "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.", streams::xpending),
    c!("xclaim", -6, WF, Stream, "key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]", "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.", streams::xclaim),
    c!("xautoclaim", -6, WF, Stream, "key group consumer min-idle-time start [COUNT count] [JUSTID]", "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.", streams::xautoclaim),
    container!("xgroup", Stream, "A container for consumer groups commands", XGROUP),
    container!("xinfo", Stream, "A container for stream introspection commands", XINFO),
    // server
    container!("config", Server, "A container for server configuration commands", CONFIG),
    container!("object", Keyspace, "A container for object introspection commands", OBJECT),
    container!("memory", Server, "A container for memory diagnostics commands", MEMORY),
    c!("time", 1, F, Server, "", "Return the current server time (the virtual clock)", admin::time),
    c!("wait", 3, NS, Keyspace, "numreplicas timeout", "Wait for the synchronous replication of all the write commands sent in the context of the current connection", admin::wait),
];

/// Subcommand rows: `sub!("client", "id", …)` names the row `client|id`.
macro_rules! sub {
    ($name:literal, $arity:expr, $flags:expr, $group:ident, $syntax:literal, $summary:literal, $h:path) => {
        c!($name, $arity, $flags, $group, $syntax, $summary, $h)
    };
}

static CLIENT: &[CommandSpec] = &[
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

static PUBSUB: &[CommandSpec] = &[
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

static XGROUP: &[CommandSpec] = &[
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

static XINFO: &[CommandSpec] = &[
    sub!("xinfo|stream", -3, R, Stream, "key [FULL [COUNT count]]", "Get information about a stream", streams::xinfo),
    sub!("xinfo|groups", 3, R, Stream, "key", "List the consumer groups of a stream", streams::xinfo),
    sub!("xinfo|consumers", 4, R, Stream, "key group", "List the consumers in a consumer group", streams::xinfo),
    sub!("xinfo|help", 2, &[], Stream, "", "Show helpful text about the different subcommands", streams::xinfo),
];

static OBJECT: &[CommandSpec] = &[
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

static MEMORY: &[CommandSpec] = &[
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

static CONFIG: &[CommandSpec] = &[
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
        expect_test::expect!["158"].assert_eq(&COMMANDS.len().to_string());
        expect_test::expect!["158"].assert_eq(&COMMANDS.len().to_string());
    }
}

/// Random command lines for the store's property tests (`keyspace::alloc_tests`,
/// `limits_fast::tests`): any write command of the table, with arguments from the test's pools.
#[cfg(test)]
pub(crate) mod random_lines {
    use super::{Flag, COMMANDS};
    use crate::sim::SimRng;

    /// A command line split on whitespace, as the store takes it.
    pub fn argv(line: &str) -> Vec<Vec<u8>> {
        line.split_whitespace().map(|w| w.as_bytes().to_vec()).collect()
    }

    /// The names of the table's write commands and subcommands (`container|sub`), but `skip`.
    pub fn write_commands(skip: &[&str]) -> Vec<&'static str> {
        COMMANDS
            .iter()
            .flat_map(|c| std::iter::once(c).chain(c.subcommands.iter()))
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
