//! Generated inputs for the scripting commands, shared by the fuzz test (`tests/redis_script_fuzz.rs`,
//! millions of them through the parsers) and the differential test (`tests/redis_scripting.rs`, a
//! seeded sample against a real redis-server): shebang lines and EVAL / EVALSHA / SCRIPT argument
//! lists built from the tokens Redis's parsers care about.

#![allow(dead_code)]

use playground::redis::script::ScriptFlags;
use playground::sim::SimRng;

fn pick<'a>(rng: &mut SimRng, items: &[&'a str]) -> &'a str {
    items[rng.index(items.len())]
}

/// Shebang options that are valid on their own, with the flags they set.
const CLEAN_OPTIONS: &[(&str, &[&str])] = &[
    ("flags=", &[]),
    ("flags=no-writes", &["no-writes"]),
    ("flags=allow-oom,no-writes", &["allow-oom", "no-writes"]),
    ("flags=allow-stale", &["allow-stale"]),
    ("flags=no-cluster,allow-cross-slot-keys", &["no-cluster", "allow-cross-slot-keys"]),
    ("flags=no-writes,no-writes", &["no-writes"]),
    ("\"flags=no-writes\"", &["no-writes"]),
    ("'flags=allow-oom'", &["allow-oom"]),
    ("\"flags=no-wri\\x74es\"", &["no-writes"]),
];

/// Options Redis refuses or reads in a surprising way (quotes, escapes, NULs, empty flags).
const ODD_OPTIONS: &[&str] = &[
    "flags=,",
    "flags=no-writes,,allow-stale",
    "flags=bogus",
    "flags=no-writes,",
    "x=y",
    "flags",
    "FLAGS=no-writes",
    "flags=No-Writes",
    "flags=\"no-writes\"x",
    "\"flags=no-writes\\x00zz\"",
    "\"flags=bogus\\x00zz\"",
    "\"fl\\x00ags=x\"",
    "'flags=no-writes",
    "\"unterminated",
    "flags='allow-oom'",
    "fl\"ags=no-writes\"",
    "\"\"",
];

const ENGINES: &[&str] =
    &["lua", "lua", "lua", "Lua", "python", "", "lua5.1", "\"lua\"", "'lua'", "lua\"", "\"lu\\x61\"", "\"lua\\x00x\""];
const SEPARATORS: &[&str] = &[" ", " ", "  ", "\t", "\x0b", "\x0c", "\r", ""];
const TERMINATORS: &[&str] = &["\n", "\n", "\n", "\r\n", "", "\0\n", " \n"];

/// A script body starting with a generated shebang line, and the flags it sets when it is a
/// plain valid shebang (`#!lua` and clean options separated by blanks, ending in a newline).
pub fn shebang_body(rng: &mut SimRng) -> (Vec<u8>, Option<ScriptFlags>) {
    let engine = pick(rng, ENGINES);
    let mut line = format!("#!{engine}");
    let mut clean = engine == "lua";
    let mut flags = ScriptFlags::default();
    for _ in 0..rng.index(4) {
        let sep = pick(rng, SEPARATORS);
        clean &= matches!(sep, " " | "  " | "\t");
        line.push_str(sep);
        if rng.index(3) == 0 {
            line.push_str(pick(rng, ODD_OPTIONS));
            clean = false;
        } else {
            let (option, set) = CLEAN_OPTIONS[rng.index(CLEAN_OPTIONS.len())];
            line.push_str(option);
            for flag in set {
                match *flag {
                    "no-writes" => flags.no_writes = true,
                    "allow-oom" => flags.allow_oom = true,
                    "allow-stale" => flags.allow_stale = true,
                    "no-cluster" => flags.no_cluster = true,
                    _ => flags.allow_cross_slot_keys = true,
                }
            }
        }
    }
    let end = pick(rng, TERMINATORS);
    clean &= end == "\n" || end == " \n";
    line.push_str(end);
    line.push_str("return 1");
    (line.into_bytes(), clean.then_some(flags))
}

/// Scripts the EVAL argument lists name; a differential run loads them first.
pub const BODIES: &[&str] = &[
    "return {#KEYS, #ARGV, KEYS[1], ARGV[1]}",
    "return redis.call('GET', KEYS[1] or 'k')",
    "#!lua flags=no-writes\nreturn #KEYS",
    "#!lua\nreturn redis.call('SET', KEYS[1] or 'k', 'v')",
    "return redis.call('DEL', 'nokey')",
];

const NUMKEYS: &[&str] = &[
    "0",
    "0",
    "1",
    "1",
    "2",
    "3",
    "-1",
    "x",
    "",
    " 1",
    "1 ",
    "01",
    "+1",
    "-0",
    "1.0",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "2147483648",
];

const WORDS: &[&str] = &["k", "a", "b", "v", "", "42", "x y", "return 1"];

/// An EVAL, EVALSHA, EVAL_RO or EVALSHA_RO argument list. `shas` are the SHA1s of [`BODIES`].
pub fn eval_argv(rng: &mut SimRng, shas: &[String]) -> Vec<Vec<u8>> {
    let name = pick(rng, &["EVAL", "eval", "EVAL_RO", "EVALSHA", "evalsha", "EVALSHA_RO", "Eval_Ro"]);
    let mut argv = vec![name.as_bytes().to_vec()];
    if rng.index(40) == 0 {
        return argv;
    }
    let by_sha = name.to_ascii_lowercase().starts_with("evalsha");
    let script = if by_sha {
        match rng.index(6) {
            0 => "ffffffffffffffffffffffffffffffffffffffff".to_string(),
            1 => "not-a-sha".to_string(),
            2 => shas[rng.index(shas.len())].to_ascii_uppercase(),
            _ => shas[rng.index(shas.len())].clone(),
        }
    } else {
        BODIES[rng.index(BODIES.len())].to_string()
    };
    argv.push(script.into_bytes());
    if rng.index(40) == 0 {
        return argv;
    }
    argv.push(pick(rng, NUMKEYS).as_bytes().to_vec());
    for _ in 0..rng.index(5) {
        argv.push(pick(rng, WORDS).as_bytes().to_vec());
    }
    argv
}

/// A SCRIPT argument list (never SCRIPT DEBUG YES/SYNC, which would put a real connection into
/// the debugger).
pub fn script_argv(rng: &mut SimRng, shas: &[String]) -> Vec<Vec<u8>> {
    let sub =
        pick(rng, &["LOAD", "load", "EXISTS", "exists", "FLUSH", "flush", "KILL", "HELP", "help", "DEBUG", "NOPE", ""]);
    let mut argv = vec![b"SCRIPT".to_vec()];
    if rng.index(30) == 0 {
        return argv;
    }
    argv.push(sub.as_bytes().to_vec());
    let is_debug = sub.eq_ignore_ascii_case("debug");
    for _ in 0..rng.index(4) {
        let word = match rng.index(6) {
            0 => shas[rng.index(shas.len())].clone(),
            1 => BODIES[rng.index(BODIES.len())].to_string(),
            2 if !is_debug => pick(rng, &["SYNC", "async", "sync ", "LATER"]).to_string(),
            2 => pick(rng, &["no", "NO", "maybe", "n"]).to_string(),
            3 => "return +".to_string(),
            _ => pick(rng, WORDS).to_string(),
        };
        let word =
            if is_debug && ["yes", "sync"].iter().any(|w| word.eq_ignore_ascii_case(w)) { "no".into() } else { word };
        argv.push(word.into_bytes());
    }
    argv
}

/// A generated list mutated byte by byte (insert, delete, replace), for the parsers' fuzz.
pub fn mutate(rng: &mut SimRng, argv: &mut [Vec<u8>]) {
    if argv.is_empty() {
        return;
    }
    for _ in 0..rng.index(4) {
        let arg = &mut argv[rng.index(argv.len())];
        let at = rng.index(arg.len() + 1);
        match rng.index(3) {
            0 => arg.insert(at, rng.index(256) as u8),
            1 if at < arg.len() => {
                arg.remove(at);
            }
            _ if at < arg.len() => arg[at] = rng.index(256) as u8,
            _ => {}
        }
    }
}
