//! CONFIG parameters (config.c): the table of parameters the model honours, how CONFIG SET parses
//! each type, and CONFIG GET's glob matching.
//!
//! Adding a parameter is one row in [`PARAMS`] (name, alias, type, default, flags, apply hook) and
//! reading it where the model honours it (`s.config_int("hz")`). Parsing and errors are Redis's:
//! integers with `string2ll` and bounds, memory sizes with `memtoull` units, `yes`/`no`, enums.
//! Parameters Redis has but the model does not honour are not listed: CONFIG GET matches nothing
//! for them and CONFIG SET replies Redis's unknown-option error, so no setting pretends to work.

use super::glob;
use super::num;
use super::store::Store;

/// How a parameter's value is parsed and printed.
#[derive(Clone, Copy, Debug)]
pub enum ParamType {
    /// `createIntConfig`/`createLongLongConfig` without flags: an integer within bounds.
    Int { min: i64, max: i64 },
    /// `MEMORY_CONFIG`: bytes, with `k`/`kb`/`m`/`mb`/`g`/`gb` units.
    Memory { max: u64 },
    /// `yes` / `no`.
    Bool,
    /// One of the names (case-insensitive), printed as written here.
    Enum(&'static [&'static str]),
}

/// One CONFIG parameter.
pub struct Param {
    pub name: &'static str,
    /// An older name that CONFIG GET/SET also accept (`slaveof` for `replicaof`).
    pub alias: Option<&'static str>,
    pub ty: ParamType,
    /// The value at startup, as CONFIG GET prints it.
    pub default: &'static str,
    /// Only settable at startup (CONFIG SET replies "can't set immutable config").
    pub immutable: bool,
    /// Runs after a successful CONFIG SET of this parameter (Redis's `apply` function; it may
    /// adjust the stored value, as `updateHZ` caps `hz`).
    pub apply: Option<fn(&mut Store)>,
}

/// The parameters the model honours.
pub static PARAMS: &[Param] = &[
    Param {
        name: "databases",
        alias: None,
        ty: ParamType::Int { min: 1, max: i32::MAX as i64 },
        default: "16",
        immutable: true,
        apply: None,
    },
    Param {
        name: "stream-node-max-bytes",
        alias: None,
        ty: ParamType::Memory { max: i64::MAX as u64 },
        default: "4096",
        immutable: false,
        apply: None,
    },
    Param {
        name: "stream-node-max-entries",
        alias: None,
        ty: ParamType::Int { min: 0, max: i64::MAX },
        default: "100",
        immutable: false,
        apply: None,
    },
    Param {
        name: "hz",
        alias: None,
        ty: ParamType::Int { min: 0, max: i32::MAX as i64 },
        default: "10",
        immutable: false,
        apply: Some(apply_hz),
    },
    Param {
        name: "maxmemory",
        alias: None,
        ty: ParamType::Memory { max: u64::MAX },
        default: "0",
        immutable: false,
        apply: None,
    },
    Param {
        name: "maxmemory-policy",
        alias: None,
        ty: ParamType::Enum(&super::evict::POLICY_NAMES),
        default: "noeviction",
        immutable: false,
        apply: None,
    },
    Param {
        name: "maxmemory-samples",
        alias: None,
        ty: ParamType::Int { min: 1, max: i32::MAX as i64 },
        default: "5",
        immutable: false,
        apply: None,
    },
    Param {
        name: "lfu-log-factor",
        alias: None,
        ty: ParamType::Int { min: 0, max: i32::MAX as i64 },
        default: "10",
        immutable: false,
        apply: None,
    },
    Param {
        name: "lfu-decay-time",
        alias: None,
        ty: ParamType::Int { min: 0, max: i32::MAX as i64 },
        default: "1",
        immutable: false,
        apply: None,
    },
];

/// `updateHZ`: Redis accepts any hz but runs between 1 and 500.
fn apply_hz(s: &mut Store) {
    let hz = s.config_int("hz").clamp(1, 500);
    s.set_config_value("hz", ConfigValue::Int(hz));
}

/// A parameter's current value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigValue {
    Int(i64),
    Memory(u64),
    Bool(bool),
    Enum(usize),
}

/// The server's current settings, one value per [`PARAMS`] row.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    values: Vec<ConfigValue>,
}

impl Default for Config {
    fn default() -> Self {
        let values = PARAMS
            .iter()
            .map(|p| parse(p, p.default.as_bytes()).unwrap_or_else(|e| panic!("default of {}: {e}", p.name)))
            .collect();
        Config { values }
    }
}

/// Finds a parameter by name or alias, case-insensitively (`lookupConfig`).
pub fn lookup(name: &[u8]) -> Option<usize> {
    PARAMS.iter().position(|p| {
        name.eq_ignore_ascii_case(p.name.as_bytes()) || p.alias.is_some_and(|a| name.eq_ignore_ascii_case(a.as_bytes()))
    })
}

/// `memtoull`: digits then an optional unit; a wrapped product is what C computes.
fn memtoull(s: &[u8]) -> Option<u64> {
    if s.first() == Some(&b'-') {
        return None;
    }
    let digits = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let unit = &s[digits..];
    let mul: u64 = match unit.to_ascii_lowercase().as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1_000_000,
        b"mb" => 1024 * 1024,
        b"g" => 1_000_000_000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits >= 128 {
        return None;
    }
    // strtoull: overflow saturates at ULLONG_MAX (errno ERANGE is not checked by memtoull).
    let mut v: u64 = 0;
    for d in &s[..digits] {
        v = v.checked_mul(10).and_then(|v| v.checked_add(u64::from(d - b'0'))).unwrap_or(u64::MAX);
    }
    Some(v.wrapping_mul(mul))
}

/// Parses a CONFIG SET value for `p`: the value, or Redis's reason (without the prefix).
fn parse(p: &Param, value: &[u8]) -> Result<ConfigValue, String> {
    match p.ty {
        ParamType::Int { min, max } => {
            let v = num::parse_i64(value).ok_or("argument couldn't be parsed into an integer")?;
            if v < min || v > max {
                return Err(format!("argument must be between {min} and {max} inclusive"));
            }
            Ok(ConfigValue::Int(v))
        }
        ParamType::Memory { max } => {
            let v = memtoull(value).ok_or("argument must be a memory value")?;
            if v > max {
                return Err(format!("argument must be between 0 and {max} inclusive"));
            }
            Ok(ConfigValue::Memory(v))
        }
        ParamType::Bool => {
            if value.eq_ignore_ascii_case(b"yes") {
                Ok(ConfigValue::Bool(true))
            } else if value.eq_ignore_ascii_case(b"no") {
                Ok(ConfigValue::Bool(false))
            } else {
                Err("argument must be 'yes' or 'no'".into())
            }
        }
        ParamType::Enum(names) => names
            .iter()
            .position(|n| value.eq_ignore_ascii_case(n.as_bytes()))
            .map(ConfigValue::Enum)
            .ok_or_else(|| format!("argument(s) must be one of the following: {}", names.join(", "))),
    }
}

fn format(p: &Param, v: ConfigValue) -> String {
    match (p.ty, v) {
        (ParamType::Enum(names), ConfigValue::Enum(i)) => names.get(i).copied().unwrap_or("").to_string(),
        (_, ConfigValue::Int(i)) => i.to_string(),
        (_, ConfigValue::Memory(m)) => m.to_string(),
        (_, ConfigValue::Bool(b)) => if b { "yes" } else { "no" }.to_string(),
        (_, ConfigValue::Enum(i)) => i.to_string(),
    }
}

impl Store {
    /// The current value of parameter `name` (panics on a name not in [`PARAMS`]: a programming
    /// error, caught by the unit tests of whoever reads it).
    pub fn config_value(&self, name: &str) -> ConfigValue {
        let i = lookup(name.as_bytes()).unwrap_or_else(|| panic!("no CONFIG parameter {name}"));
        self.srv.config.values[i]
    }

    /// An integer or memory parameter's value.
    pub fn config_int(&self, name: &str) -> i64 {
        match self.config_value(name) {
            ConfigValue::Int(i) => i,
            ConfigValue::Memory(m) => i64::try_from(m).unwrap_or(i64::MAX),
            ConfigValue::Bool(b) => i64::from(b),
            ConfigValue::Enum(e) => e as i64,
        }
    }

    pub(crate) fn set_config_value(&mut self, name: &str, v: ConfigValue) {
        if let Some(i) = lookup(name.as_bytes()) {
            self.srv.config.values[i] = v;
        }
    }

    /// CONFIG GET: (name as replied, value) for every parameter matching one of the patterns. A
    /// pattern without glob characters is an exact, case-insensitive name and replies the name
    /// as the client spelled it; a glob matches names (and aliases) case-insensitively.
    pub(crate) fn config_get(&self, patterns: &[Vec<u8>]) -> Vec<(Vec<u8>, String)> {
        let mut matched: Vec<(Vec<u8>, usize)> = Vec::new();
        let seen = |m: &Vec<(Vec<u8>, usize)>, name: &[u8]| m.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
        for pat in patterns {
            if !pat.iter().any(|c| matches!(c, b'[' | b'*' | b'?')) {
                if seen(&matched, pat) {
                    continue;
                }
                if let Some(i) = lookup(pat) {
                    matched.push((pat.clone(), i));
                }
                continue;
            }
            for (i, p) in PARAMS.iter().enumerate() {
                for name in std::iter::once(p.name).chain(p.alias) {
                    if seen(&matched, p.name.as_bytes()) || seen(&matched, name.as_bytes()) {
                        continue;
                    }
                    if glob::matches(pat, name.as_bytes(), true) {
                        matched.push((name.as_bytes().to_vec(), i));
                    }
                }
            }
        }
        matched.into_iter().map(|(n, i)| (n, format(&PARAMS[i], self.srv.config.values[i]))).collect()
    }

    /// CONFIG SET of (name, value) pairs, all or nothing: `Err` carries Redis's error text.
    pub(crate) fn config_set(&mut self, pairs: &[(&[u8], &[u8])]) -> Result<(), String> {
        let mut unknown: Option<&[u8]> = None;
        let mut invalid = false;
        let mut err: Option<(String, String)> = None;
        let mut chosen: Vec<usize> = Vec::new();
        for (name, _) in pairs {
            let Some(i) = lookup(name) else {
                if !invalid {
                    unknown = Some(name);
                    invalid = true;
                }
                continue;
            };
            if invalid {
                continue;
            }
            let shown = String::from_utf8_lossy(super::args::c_str(name)).into_owned();
            if PARAMS[i].immutable {
                err = Some((shown, "can't set immutable config".into()));
                invalid = true;
                continue;
            }
            if chosen.contains(&i) {
                err = Some((shown, "duplicate parameter".into()));
                invalid = true;
            }
            chosen.push(i);
        }
        if let Some(name) = unknown {
            return Err(format!(
                "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
                String::from_utf8_lossy(super::args::c_str(name))
            ));
        }
        if let Some((name, why)) = err {
            return Err(format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {why}"));
        }
        let backup = self.srv.config.values.clone();
        let mut applies: Vec<fn(&mut Store)> = Vec::new();
        for (&i, (_, value)) in chosen.iter().zip(pairs) {
            match parse(&PARAMS[i], value) {
                Ok(v) => {
                    if self.srv.config.values[i] != v {
                        self.srv.config.values[i] = v;
                        if let Some(a) = PARAMS[i].apply {
                            if !applies.iter().any(|f| std::ptr::fn_addr_eq(*f, a)) {
                                applies.push(a);
                            }
                        }
                    }
                }
                Err(why) => {
                    self.srv.config.values = backup;
                    return Err(format!(
                        "ERR CONFIG SET failed (possibly related to argument '{}') - {why}",
                        PARAMS[i].name
                    ));
                }
            }
        }
        for a in applies {
            a(self);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_values_parse_like_memtoull() {
        assert_eq!(memtoull(b"100"), Some(100));
        assert_eq!(memtoull(b"1kb"), Some(1024));
        assert_eq!(memtoull(b"1K"), Some(1000));
        assert_eq!(memtoull(b"2GB"), Some(2 << 30));
        assert_eq!(memtoull(b""), Some(0));
        assert_eq!(memtoull(b"-1"), None);
        assert_eq!(memtoull(b"1 mb"), None);
        assert_eq!(memtoull(b"1tb"), None);
    }

    #[test]
    fn every_default_parses() {
        let c = Config::default();
        assert_eq!(c.values.len(), PARAMS.len());
        for (p, v) in PARAMS.iter().zip(&c.values) {
            assert_eq!(format(p, *v), p.default, "{} prints its default back", p.name);
        }
    }
}
