//! Which arguments of a command are keys, and whether it writes: what a cluster node needs to
//! route a command (`getNodeByQuery` in `src/cluster.c`).
//!
//! The positions are Redis's legacy key specification (`first`, `last`, `step` as `COMMAND INFO`
//! reports them), derived from the syntax line of each command in the store's command table
//! (`crate::redis::table`), so commands the store gains later are routed without a second table:
//! leading `key`/`newkey`/`source`/`destination` arguments are keys, `[key ...]` repeats them to
//! the end, `key value [key value ...]` steps by two, and `key [key ...] timeout` stops one short.
//! `tests/cluster_differential.rs` compares every derived spec with the real server's
//! `COMMAND INFO`. The cluster's own commands (CLUSTER, ASKING, READONLY, READWRITE, WAIT) have no
//! keys; MIGRATE's key is found by [`command_keys`] itself.

use crate::redis::table::{self, Flag};

/// Where a command's keys are, as `COMMAND INFO` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeySpec {
    /// Position of the first key (1 = the argument after the command name); 0 = no keys.
    pub first: i32,
    /// Position of the last key; negative counts from the end (-1 = the last argument).
    pub last: i32,
    pub step: i32,
}

impl KeySpec {
    pub const NONE: KeySpec = KeySpec { first: 0, last: 0, step: 0 };
}

fn is_key_word(w: &str) -> bool {
    matches!(w, "key" | "newkey" | "source" | "destination")
}

/// A syntax line's words, with shard channels read as keys: Redis 7 declares them as keys
/// (SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH), so they are routed by slot like keys.
fn syntax_words(syntax: &str) -> Vec<&str> {
    syntax
        .split_whitespace()
        .map(|w| match w {
            "shardchannel" => "key",
            "[shardchannel" => "[key",
            w => w,
        })
        .collect()
}

/// The key spec a command's syntax line implies (see the module header).
pub fn spec_from_syntax(syntax: &str) -> KeySpec {
    let words = syntax_words(syntax);
    // `[key [key ...]]`: optional keys to the end (SUNSUBSCRIBE).
    if words.len() == 3 && words[0] == "[key" && words[1] == "[key" && words[2] == "...]]" {
        return KeySpec { first: 1, last: -1, step: 1 };
    }
    let leading = words.iter().take_while(|w| is_key_word(w)).count() as i32;
    if leading == 0 {
        return KeySpec::NONE;
    }
    let rest = &words[leading as usize..];
    // `key value [key value ...]`: pairs to the end.
    if rest.len() >= 4 && rest[0] == "value" && rest[1] == "[key" && rest[2] == "value" && rest[3] == "...]" {
        return KeySpec { first: 1, last: -1, step: 2 };
    }
    // `key [key ...]`, possibly followed by a trailing argument (`timeout`).
    if rest.len() >= 2 && rest[0] == "[key" && rest[1] == "...]" {
        let trailing = rest.len() as i32 - 2;
        return KeySpec { first: 1, last: -1 - trailing, step: 1 };
    }
    KeySpec { first: 1, last: leading, step: 1 }
}

/// Cluster-level commands the store's table does not hold, with Redis 7.0's arity and flags.
const CLUSTER_COMMANDS: &[(&str, i32, bool)] = &[
    ("cluster", -2, false),
    ("asking", 1, false),
    ("readonly", 1, false),
    ("readwrite", 1, false),
    ("wait", 3, false),
    ("migrate", -6, true),
];

/// What routing needs to know about a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandInfo {
    pub name: &'static str,
    pub arity: i32,
    pub write: bool,
    pub spec: KeySpec,
}

/// The routing facts of `name` (case-insensitive), or `None` for a command no table knows.
pub fn command_info(name: &[u8]) -> Option<CommandInfo> {
    if let Some(&(n, arity, write)) = CLUSTER_COMMANDS.iter().find(|(n, ..)| n.as_bytes().eq_ignore_ascii_case(name)) {
        return Some(CommandInfo { name: n, arity, write, spec: KeySpec::NONE });
    }
    let spec = table::lookup(name)?;
    Some(CommandInfo {
        name: spec.name,
        arity: spec.arity,
        write: spec.flags.contains(&Flag::Write),
        spec: spec_from_syntax(spec.syntax),
    })
}

/// The key arguments of `argv` (Redis's `getKeysFromCommand` for legacy specs). MIGRATE's key is
/// argument 3, or the arguments after `KEYS` when that is empty.
pub fn command_keys<'a>(info: &CommandInfo, argv: &'a [Vec<u8>]) -> Vec<&'a [u8]> {
    if info.name == "migrate" {
        if argv.len() > 3 && !argv[3].is_empty() {
            return vec![&argv[3]];
        }
        return match argv.iter().position(|a| a.eq_ignore_ascii_case(b"keys")) {
            Some(i) if i >= 6 => argv[i + 1..].iter().map(Vec::as_slice).collect(),
            _ => Vec::new(),
        };
    }
    let KeySpec { first, last, step } = info.spec;
    if first == 0 || step <= 0 {
        return Vec::new();
    }
    let argc = argv.len() as i32;
    let last = if last < 0 { argc + last } else { last.min(argc - 1) };
    let mut out = Vec::new();
    let mut i = first;
    while i <= last && i < argc {
        out.push(argv[i as usize].as_slice());
        i += step;
    }
    out
}

/// True for commands that have key arguments at all (`processCommand` only routes those).
pub fn has_keys(info: &CommandInfo) -> bool {
    info.spec.first != 0 || info.name == "migrate"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(line: &str) -> Vec<String> {
        let argv: Vec<Vec<u8>> = line.split_whitespace().map(|w| w.as_bytes().to_vec()).collect();
        let info = command_info(&argv[0]).expect("known command");
        command_keys(&info, &argv).into_iter().map(|k| String::from_utf8_lossy(k).into_owned()).collect()
    }

    /// Redis 7 declares shard channels as keys: SSUBSCRIBE / SUNSUBSCRIBE / SPUBLISH route by slot.
    #[test]
    fn shard_channels_are_keys() {
        assert_eq!(spec_from_syntax("shardchannel [shardchannel ...]"), KeySpec { first: 1, last: -1, step: 1 });
        assert_eq!(spec_from_syntax("[shardchannel [shardchannel ...]]"), KeySpec { first: 1, last: -1, step: 1 });
        assert_eq!(spec_from_syntax("shardchannel message"), KeySpec { first: 1, last: 1, step: 1 });
    }

    #[test]
    fn specs_match_redis_command_info() {
        let spec = |n: &str| command_info(n.as_bytes()).unwrap().spec;
        assert_eq!(spec("get"), KeySpec { first: 1, last: 1, step: 1 });
        assert_eq!(spec("mset"), KeySpec { first: 1, last: -1, step: 2 });
        assert_eq!(spec("mget"), KeySpec { first: 1, last: -1, step: 1 });
        assert_eq!(spec("rename"), KeySpec { first: 1, last: 2, step: 1 });
        assert_eq!(spec("lmove"), KeySpec { first: 1, last: 2, step: 1 });
        assert_eq!(spec("ping"), KeySpec::NONE);
        assert_eq!(spec("keys"), KeySpec::NONE);
        assert_eq!(spec_from_syntax("key [key ...] timeout"), KeySpec { first: 1, last: -2, step: 1 });
        assert!(command_info(b"SET").unwrap().write && !command_info(b"get").unwrap().write);
        assert!(command_info(b"nosuch").is_none());
    }

    #[test]
    fn keys_of_commands() {
        assert_eq!(keys("MSET a 1 b 2"), ["a", "b"]);
        assert_eq!(keys("DEL a b c"), ["a", "b", "c"]);
        assert_eq!(keys("SET k v EX 10"), ["k"]);
        assert_eq!(keys("SMOVE s d m"), ["s", "d"]);
        assert_eq!(keys("MIGRATE h 1 k 0 10"), ["k"]);
        assert_eq!(keys("MIGRATE h 1 \"\" 0 10 COPY KEYS a b"), ["\"\""]);
        let argv: Vec<Vec<u8>> = vec![
            b"MIGRATE".to_vec(),
            b"h".to_vec(),
            b"1".to_vec(),
            b"".to_vec(),
            b"0".to_vec(),
            b"10".to_vec(),
            b"KEYS".to_vec(),
            b"a".to_vec(),
            b"b".to_vec(),
        ];
        let info = command_info(b"migrate").unwrap();
        assert_eq!(command_keys(&info, &argv), [&b"a"[..], &b"b"[..]]);
        assert!(keys("PING").is_empty());
    }

    /// Every command of the store's table gets a spec (none is silently unroutable).
    #[test]
    fn every_table_command_has_a_derivable_spec() {
        for c in table::COMMANDS {
            let spec = spec_from_syntax(c.syntax);
            // A leading key, optional or not.
            let keyless = !syntax_words(c.syntax).first().is_some_and(|w| is_key_word(w.trim_start_matches('[')));
            assert_eq!(spec == KeySpec::NONE, keyless, "{}: {}", c.name, c.syntax);
        }
    }
}
