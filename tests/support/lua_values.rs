//! Generated RESP replies and Lua values for the fuzz of the bridge's conversions
//! (`tests/redis_script_fuzz.rs`), with what script_lua.c makes of them, written from its source
//! rule by rule as a reference: `expected` for a Lua value a script returns, `round_tripped` for a
//! reply a script received from `redis.call` and returned.

#![allow(dead_code)]

use omnilua::{Function, Lua, Value};
use playground::redis::num::format_g;
use playground::redis::reply::Reply;
use playground::redis::script::MAX_REPLY_DEPTH;
use playground::sim::SimRng;

/// `(long long)` of a double on x86-64: truncation, INT64_MIN when out of range or NaN.
pub fn c_long_long(n: f64) -> i64 {
    // NaN is in no range, so it lands on INT64_MIN too.
    if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&n) {
        i64::MIN
    } else {
        n as i64
    }
}

/// C's `%.17g` as `addReplyDouble` prints a double (x86's 0/0 is a negative NaN).
pub fn c_double17(n: f64) -> String {
    match n {
        n if n.is_nan() && n.is_sign_negative() => "-nan".into(),
        n if n.is_nan() => "nan".into(),
        f64::INFINITY => "inf".into(),
        f64::NEG_INFINITY => "-inf".into(),
        n => format_g(n, 17),
    }
}

pub fn bytes(rng: &mut SimRng) -> Vec<u8> {
    match rng.index(4) {
        0 => Vec::new(),
        1 => b"value".to_vec(),
        2 => (0..rng.index(12)).map(|_| rng.index(256) as u8).collect(),
        _ => format!("k{}", rng.index(100)).into_bytes(),
    }
}

pub fn number(rng: &mut SimRng) -> f64 {
    match rng.index(10) {
        0 => f64::NAN,
        1 => f64::INFINITY,
        2 => f64::NEG_INFINITY,
        3 => 9_223_372_036_854_775_808.0,
        4 => -9_223_372_036_854_775_808.0,
        5 => rng.normal(0.0, 1e20),
        6 => -0.0,
        7 => rng.uniform(-10.0, 10.0),
        _ => rng.below(1000) as f64 - 500.0,
    }
}

pub fn integer(rng: &mut SimRng) -> i64 {
    match rng.index(6) {
        0 => i64::MAX,
        1 => i64::MIN,
        2 => (1i64 << 53) + rng.below(1000) as i64,
        3 => rng.next_u64() as i64,
        _ => rng.below(2000) as i64 - 1000,
    }
}

/// A RESP2 reply such as a command gives: statuses and errors are one line without NULs.
pub fn reply(rng: &mut SimRng, depth: usize) -> Reply {
    let line = |rng: &mut SimRng| -> String {
        let words = ["OK", "QUEUED", "PONG", "with space", "x", "42", "ünïcode", ""];
        words[rng.index(words.len())].to_string()
    };
    match rng.index(if depth < 4 { 8 } else { 7 }) {
        0 => Reply::Status(line(rng)),
        1 => {
            let codes = ["ERR", "WRONGTYPE", "NOSCRIPT", "BUSYKEY", "ERR"];
            Reply::Error(format!("{} {}", codes[rng.index(codes.len())], line(rng)))
        }
        2 => Reply::Integer(integer(rng)),
        3 | 4 => Reply::Bulk(bytes(rng)),
        5 => Reply::Nil,
        6 => Reply::NilArray,
        _ => Reply::Array((0..rng.index(5)).map(|_| reply(rng, depth + 1)).collect()),
    }
}

/// What Redis gives back for a reply a script received and returned.
pub fn round_tripped(reply: &Reply) -> Reply {
    match reply {
        Reply::NilArray => Reply::Nil,
        Reply::Integer(i) => Reply::Integer(c_long_long(*i as f64)),
        Reply::Array(items) => Reply::Array(items.iter().map(round_tripped).collect()),
        other => other.clone(),
    }
}

/// A Lua value to build, with the reply script_lua.c makes of it.
#[derive(Clone, Debug)]
pub enum Spec {
    Nil,
    Bool(bool),
    Num(f64),
    Str(Vec<u8>),
    Function,
    /// An array part (the reply stops at its first nil) and named fields (`err`, `map`, …).
    Table {
        items: Vec<Spec>,
        fields: Vec<(&'static str, Spec)>,
    },
    /// `t = {}; t[1] = t`: nested until the depth cap answers for the innermost table.
    SelfNested,
}

pub fn leaf(rng: &mut SimRng) -> Spec {
    match rng.index(6) {
        0 => Spec::Nil,
        1 => Spec::Bool(rng.index(2) == 0),
        2 | 3 => Spec::Num(number(rng)),
        4 => Spec::Str(bytes(rng)),
        _ => Spec::Function,
    }
}

pub fn spec(rng: &mut SimRng, depth: usize) -> Spec {
    if depth >= 4 || rng.index(3) != 0 {
        return leaf(rng);
    }
    if rng.index(5000) == 0 {
        return Spec::SelfNested;
    }
    let items = (0..rng.index(6)).map(|_| spec(rng, depth + 1)).collect();
    let mut fields = Vec::new();
    let names = ["err", "ok", "double", "big_number", "verbatim_string", "map", "set", "other"];
    for _ in 0..rng.index(3) {
        let name = names[rng.index(names.len())];
        if fields.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let value = match name {
            "verbatim_string" => {
                let mut parts = Vec::new();
                if rng.index(4) != 0 {
                    parts.push(("format", if rng.index(4) == 0 { leaf(rng) } else { Spec::Str(b"txt".to_vec()) }));
                }
                if rng.index(4) != 0 {
                    parts.push(("string", if rng.index(4) == 0 { leaf(rng) } else { Spec::Str(bytes(rng)) }));
                }
                Spec::Table { items: Vec::new(), fields: parts }
            }
            // One entry at most: the order of pairs() is the interpreter's.
            "map" | "set" if rng.index(4) != 0 => {
                let value = if name == "map" { spec(rng, depth + 1) } else { Spec::Bool(true) };
                let entry = if matches!(value, Spec::Nil) { Vec::new() } else { vec![("member", value)] };
                Spec::Table { items: Vec::new(), fields: entry }
            }
            _ => leaf(rng),
        };
        fields.push((name, value));
    }
    Spec::Table { items, fields }
}

/// Builds `spec` in `lua`; `function` stands for every function value.
pub fn build(lua: &Lua, spec: &Spec, function: &Function) -> omnilua::Result<Value> {
    Ok(match spec {
        Spec::Nil => Value::Nil,
        Spec::Bool(b) => Value::Boolean(*b),
        Spec::Num(n) => Value::Number(*n),
        Spec::Str(b) => Value::String(lua.create_string(b)?),
        Spec::Function => Value::Function(function.clone()),
        Spec::SelfNested => {
            let t = lua.create_table()?;
            t.raw_set(1.0, t.clone())?;
            Value::Table(t)
        }
        Spec::Table { items, fields } => {
            let t = lua.create_table()?;
            for (i, item) in items.iter().enumerate() {
                let v = build(lua, item, function)?;
                if !matches!(v, Value::Nil) {
                    t.raw_set(i as f64 + 1.0, v)?;
                }
            }
            for (name, value) in fields {
                t.raw_set(*name, build(lua, value, function)?)?;
            }
            Value::Table(t)
        }
    })
}

/// `luaReplyToRedisReply` for a RESP2 client, written from script_lua.c as plainly as possible
/// (with the model's depth cap, [`MAX_REPLY_DEPTH`], where Redis runs out of Lua stack).
pub fn expected(spec: &Spec, depth: usize) -> Reply {
    let c_text = |b: &[u8]| {
        let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
        String::from_utf8_lossy(&b[..end]).into_owned()
    };
    let (items, fields) = match spec {
        Spec::Nil | Spec::Function | Spec::Bool(false) => return Reply::Nil,
        Spec::Bool(true) => return Reply::Integer(1),
        Spec::Num(n) => return Reply::Integer(c_long_long(*n)),
        Spec::Str(b) => return Reply::Bulk(b.clone()),
        Spec::SelfNested => {
            let mut reply = Reply::error("ERR reached lua stack limit");
            for _ in depth..MAX_REPLY_DEPTH {
                reply = Reply::Array(vec![reply]);
            }
            return reply;
        }
        Spec::Table { items, fields } => (items, fields),
    };
    let field = |name: &str| fields.iter().find(|(n, _)| *n == name).map(|(_, v)| v);
    if let Some(Spec::Str(e)) = field("err") {
        return Reply::Error(c_text(e).trim_end_matches(['\r', '\n']).replace(['\r', '\n'], " "));
    }
    if let Some(Spec::Str(s)) = field("ok") {
        return Reply::Status(c_text(s).replace(['\r', '\n'], " "));
    }
    if let Some(Spec::Num(d)) = field("double") {
        return Reply::Bulk(c_double17(*d).into_bytes());
    }
    if let Some(Spec::Str(b)) = field("big_number") {
        return Reply::Bulk(b.iter().map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c }).collect());
    }
    if let Some(Spec::Table { fields: parts, .. }) = field("verbatim_string") {
        let part = |name: &str| parts.iter().find(|(n, _)| *n == name).map(|(_, v)| v);
        if let (Some(Spec::Str(_)), Some(Spec::Str(s))) = (part("format"), part("string")) {
            return Reply::Bulk(s.clone());
        }
    }
    if depth >= MAX_REPLY_DEPTH {
        return Reply::error("ERR reached lua stack limit");
    }
    if let Some(Spec::Table { fields: entry, .. }) = field("map") {
        let flat = entry.iter().flat_map(|(k, v)| [Spec::Str(k.as_bytes().to_vec()), v.clone()]);
        return Reply::Array(flat.map(|s| expected(&s, depth + 1)).collect());
    }
    if let Some(Spec::Table { fields: entry, .. }) = field("set") {
        return Reply::Array(
            entry.iter().map(|(k, _)| expected(&Spec::Str(k.as_bytes().to_vec()), depth + 1)).collect(),
        );
    }
    let upto = items.iter().position(|i| matches!(i, Spec::Nil)).unwrap_or(items.len());
    Reply::Array(items[..upto].iter().map(|i| expected(i, depth + 1)).collect())
}

pub fn depth_of(reply: &Reply) -> usize {
    match reply {
        Reply::Array(items) => 1 + items.iter().map(depth_of).max().unwrap_or(0),
        _ => 1,
    }
}

pub fn count(reply: &Reply) -> usize {
    match reply {
        Reply::Array(items) => 1 + items.iter().map(count).sum::<usize>(),
        _ => 1,
    }
}
