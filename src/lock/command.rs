//! The Redis commands a lock worker sends, as values.
//!
//! A [`LockCommand`] knows its real Redis argv (what a worker puts on the wire to a real server, as
//! `sim lock-live` does), so the same machine drives the model and a real Redis. The atomic
//! operations are scripts whose text lives beside their native steps in `store.rs`. Never does I/O.

use super::store::{Script, ScriptCall};
use serde::{Deserialize, Serialize};

pub use super::store::{ACQUIRE_WITH_TOKEN_LUA, COMPARE_AND_DELETE_LUA, COMPARE_AND_EXTEND_LUA};

/// One command a worker sends to one Redis instance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LockCommand {
    /// `SET <key> <value> NX EX <s>` (or `PX <ms>` when the TTL is not whole seconds): acquire.
    SetNx { key: String, value: String, ttl_ms: u64 },
    /// `EVAL ACQUIRE_WITH_TOKEN_LUA 2 <key> <token key> <value> <ttl ms>`: acquire and take a
    /// fencing token in one atomic step (the reply is the token, or nil).
    SetNxWithToken { key: String, token_key: String, value: String, ttl_ms: u64 },
    /// `GET <key>`: the first half of the reference renew and of the reference release.
    Get { key: String },
    /// `EXPIRE <key> <s>` (or `PEXPIRE`): the second half of the reference renew.
    Expire { key: String, ttl_ms: u64 },
    /// `DEL <key>`: the second half of the reference release, and the whole `naive-del` release.
    Del { key: String },
    /// `EVAL COMPARE_AND_EXTEND_LUA 1 <key> <value> <ttl ms>`.
    CompareAndExtend { key: String, value: String, ttl_ms: u64 },
    /// `EVAL COMPARE_AND_DELETE_LUA 1 <key> <value>`.
    CompareAndDelete { key: String, value: String },
}

fn b(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

impl LockCommand {
    /// The script this command runs, if it is one.
    pub fn script(&self) -> Option<ScriptCall> {
        let call = |script: Script, keys: Vec<&String>, args: Vec<String>| ScriptCall {
            script,
            keys: keys.into_iter().cloned().collect(),
            args,
        };
        match self {
            LockCommand::SetNxWithToken { key, token_key, value, ttl_ms } => {
                Some(call(Script::AcquireWithToken, vec![key, token_key], vec![value.clone(), ttl_ms.to_string()]))
            }
            LockCommand::CompareAndExtend { key, value, ttl_ms } => {
                Some(call(Script::CompareAndExtend, vec![key], vec![value.clone(), ttl_ms.to_string()]))
            }
            LockCommand::CompareAndDelete { key, value } => {
                Some(call(Script::CompareAndDelete, vec![key], vec![value.clone()]))
            }
            LockCommand::SetNx { .. }
            | LockCommand::Get { .. }
            | LockCommand::Expire { .. }
            | LockCommand::Del { .. } => None,
        }
    }

    /// The argv a real Redis client would send.
    pub fn argv(&self) -> Vec<Vec<u8>> {
        if let Some(call) = self.script() {
            return call.argv();
        }
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
            LockCommand::SetNxWithToken { .. }
            | LockCommand::CompareAndExtend { .. }
            | LockCommand::CompareAndDelete { .. } => unreachable!("scripts are rendered above"),
        }
    }

    /// Whether this command may extend or delete a key that holds another worker's value (what the
    /// checker watches for).
    pub fn touches_owner(&self) -> Option<OwnerEffect> {
        match self {
            LockCommand::Expire { .. } | LockCommand::CompareAndExtend { .. } => Some(OwnerEffect::Extend),
            LockCommand::Del { .. } | LockCommand::CompareAndDelete { .. } => Some(OwnerEffect::Delete),
            LockCommand::SetNx { .. } | LockCommand::SetNxWithToken { .. } | LockCommand::Get { .. } => None,
        }
    }

    /// A short one-line rendering for logs and the Redis panel (scripts are named, not printed).
    pub fn display(&self) -> String {
        match self.script() {
            Some(call) => {
                let mut parts =
                    vec!["EVAL".to_string(), format!("<{}>", call.script.name()), call.keys.len().to_string()];
                parts.extend(call.keys);
                parts.extend(call.args);
                parts.join(" ")
            }
            None => self.argv().iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect::<Vec<_>>().join(" "),
        }
    }
}

/// What an owner-sensitive command does to the key when it succeeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnerEffect {
    Extend,
    Delete,
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
        let k = "lock.resource-worker";
        let cmds = [
            LockCommand::SetNx { key: k.into(), value: "W".into(), ttl_ms: 10_000 },
            LockCommand::SetNx { key: k.into(), value: "W".into(), ttl_ms: 1_500 },
            LockCommand::SetNxWithToken {
                key: k.into(),
                token_key: format!("{k}:token"),
                value: "W".into(),
                ttl_ms: 10_000,
            },
            LockCommand::Get { key: k.into() },
            LockCommand::Expire { key: k.into(), ttl_ms: 10_000 },
            LockCommand::Expire { key: k.into(), ttl_ms: 250 },
            LockCommand::Del { key: k.into() },
            LockCommand::CompareAndExtend { key: k.into(), value: "W".into(), ttl_ms: 10_000 },
            LockCommand::CompareAndDelete { key: k.into(), value: "W".into() },
        ];
        let text: Vec<String> = cmds.iter().map(LockCommand::display).collect();
        expect![[r#"
            [
                "SET lock.resource-worker W NX EX 10",
                "SET lock.resource-worker W NX PX 1500",
                "EVAL <set-nx-incr> 2 lock.resource-worker lock.resource-worker:token W 10000",
                "GET lock.resource-worker",
                "EXPIRE lock.resource-worker 10",
                "PEXPIRE lock.resource-worker 250",
                "DEL lock.resource-worker",
                "EVAL <compare-and-extend> 1 lock.resource-worker W 10000",
                "EVAL <compare-and-delete> 1 lock.resource-worker W",
            ]
        "#]]
        .assert_debug_eq(&text);
        assert_eq!(cmds[8].argv()[1], COMPARE_AND_DELETE_LUA.as_bytes());
        assert_eq!(cmds[2].argv()[1], ACQUIRE_WITH_TOKEN_LUA.as_bytes());
    }
}
