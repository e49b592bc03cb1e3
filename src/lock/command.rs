//! The Redis commands a lock worker sends, as values, and the two Lua scripts of the atomic variants.
//!
//! A [`LockCommand`] knows its real Redis argv (what a worker would put on the wire to a real
//! server), so the same machine could drive a real Redis. The scripts are run by the runtime as one
//! atomic step against the modeled store (see `runtime::execute_command`). Never does I/O.

use serde::{Deserialize, Serialize};

/// Compare-and-extend: extend the key's TTL only while it still holds our value. What the atomic
/// renew variant sends (`EVAL <script> 1 <key> <workerId> <ttl ms>`).
pub const COMPARE_AND_EXTEND_LUA: &str = r#"if redis.call("get", KEYS[1]) == ARGV[1] then
    return redis.call("pexpire", KEYS[1], ARGV[2])
else
    return 0
end"#;

/// Compare-and-delete, verbatim from the Redis distributed-locks documentation
/// (<https://redis.io/docs/latest/develop/use/patterns/distributed-locks/>). What the atomic release
/// variant sends (`EVAL <script> 1 <key> <workerId>`).
pub const COMPARE_AND_DELETE_LUA: &str = r#"if redis.call("get",KEYS[1]) == ARGV[1] then
    return redis.call("del",KEYS[1])
else
    return 0
end"#;

/// One command a worker sends to one Redis instance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LockCommand {
    /// `SET <key> <value> NX EX <s>` (or `PX <ms>` when the TTL is not whole seconds): acquire.
    SetNx { key: String, value: String, ttl_ms: u64 },
    /// `GET <key>`: the first half of the reference renew.
    Get { key: String },
    /// `EXPIRE <key> <s>` (or `PEXPIRE`): the second half of the reference renew.
    Expire { key: String, ttl_ms: u64 },
    /// `DEL <key>`: the reference release.
    Del { key: String },
    /// `INCR <key>`: take a fencing token.
    Incr { key: String },
    /// `EVAL COMPARE_AND_EXTEND_LUA 1 <key> <value> <ttl ms>`.
    CompareAndExtend { key: String, value: String, ttl_ms: u64 },
    /// `EVAL COMPARE_AND_DELETE_LUA 1 <key> <value>`.
    CompareAndDelete { key: String, value: String },
}

fn b(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

impl LockCommand {
    /// The argv a real Redis client would send.
    pub fn argv(&self) -> Vec<Vec<u8>> {
        match self {
            LockCommand::SetNx { key, value, ttl_ms } => {
                if ttl_ms % 1000 == 0 {
                    vec![b("SET"), b(key), b(value), b("NX"), b("EX"), b(&(ttl_ms / 1000).to_string())]
                } else {
                    vec![b("SET"), b(key), b(value), b("NX"), b("PX"), b(&ttl_ms.to_string())]
                }
            }
            LockCommand::Get { key } => vec![b("GET"), b(key)],
            LockCommand::Expire { key, ttl_ms } => {
                if ttl_ms % 1000 == 0 {
                    vec![b("EXPIRE"), b(key), b(&(ttl_ms / 1000).to_string())]
                } else {
                    vec![b("PEXPIRE"), b(key), b(&ttl_ms.to_string())]
                }
            }
            LockCommand::Del { key } => vec![b("DEL"), b(key)],
            LockCommand::Incr { key } => vec![b("INCR"), b(key)],
            LockCommand::CompareAndExtend { key, value, ttl_ms } => {
                vec![b("EVAL"), b(COMPARE_AND_EXTEND_LUA), b("1"), b(key), b(value), b(&ttl_ms.to_string())]
            }
            LockCommand::CompareAndDelete { key, value } => {
                vec![b("EVAL"), b(COMPARE_AND_DELETE_LUA), b("1"), b(key), b(value)]
            }
        }
    }

    /// A short one-line rendering for logs and the Redis panel (scripts are named, not printed).
    pub fn display(&self) -> String {
        match self {
            LockCommand::CompareAndExtend { key, value, ttl_ms } => {
                format!("EVAL <compare-and-extend> 1 {key} {value} {ttl_ms}")
            }
            LockCommand::CompareAndDelete { key, value } => format!("EVAL <compare-and-delete> 1 {key} {value}"),
            other => other.argv().iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect::<Vec<_>>().join(" "),
        }
    }
}

/// A reply rendered the way `redis-cli` shows it, for logs and the Redis panel.
pub fn display_reply(reply: &crate::redis::Reply) -> String {
    use crate::redis::Reply;
    match reply {
        Reply::Status(s) => s.clone(),
        Reply::Error(e) => format!("(error) {e}"),
        Reply::Integer(i) => format!("(integer) {i}"),
        Reply::Bulk(bytes) => format!("\"{}\"", String::from_utf8_lossy(bytes)),
        Reply::Nil => "(nil)".to_string(),
        Reply::Array(items) => format!("[{}]", items.iter().map(display_reply).collect::<Vec<_>>().join(", ")),
        Reply::NilArray => "(nil array)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    #[test]
    fn commands_render_as_the_reference_sends_them() {
        let cmds = [
            LockCommand::SetNx { key: "lock:jobs".into(), value: "W".into(), ttl_ms: 10_000 },
            LockCommand::SetNx { key: "lock:jobs".into(), value: "W".into(), ttl_ms: 1_500 },
            LockCommand::Get { key: "lock:jobs".into() },
            LockCommand::Expire { key: "lock:jobs".into(), ttl_ms: 10_000 },
            LockCommand::Expire { key: "lock:jobs".into(), ttl_ms: 250 },
            LockCommand::Del { key: "lock:jobs".into() },
            LockCommand::Incr { key: "lock:jobs:token".into() },
            LockCommand::CompareAndExtend { key: "lock:jobs".into(), value: "W".into(), ttl_ms: 10_000 },
            LockCommand::CompareAndDelete { key: "lock:jobs".into(), value: "W".into() },
        ];
        let text: Vec<String> = cmds.iter().map(LockCommand::display).collect();
        expect![[r#"
            [
                "SET lock:jobs W NX EX 10",
                "SET lock:jobs W NX PX 1500",
                "GET lock:jobs",
                "EXPIRE lock:jobs 10",
                "PEXPIRE lock:jobs 250",
                "DEL lock:jobs",
                "INCR lock:jobs:token",
                "EVAL <compare-and-extend> 1 lock:jobs W 10000",
                "EVAL <compare-and-delete> 1 lock:jobs W",
            ]
        "#]]
        .assert_debug_eq(&text);
        assert_eq!(cmds[8].argv()[1], COMPARE_AND_DELETE_LUA.as_bytes());
    }
}
