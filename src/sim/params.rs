//! URL state: a run's seed and speed (and each model page's own fields) read from and written to
//! the query string, so a copied link replays the same run.
//!
//! The query string is read into a flat map of strings (names and values percent-decoded with the
//! `percent-encoding` crate, as `serde_qs` read them before), then each field is parsed on its own:
//! a bad or out-of-range value never spoils the others. It falls back to the field's
//! default and adds a [`ParamError`] notice naming the parameter, the bad value and what is
//! accepted, which the page shows. This module is pure: the UI hands it `location.search`.

use super::playback::{clamp_speed, MAX_SPEED, MIN_SPEED};
use super::vec_map::VecMap;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};
use serde::{Deserialize, Serialize};
use std::fmt::Display;
use std::str::FromStr;
use thiserror::Error;

/// Why a URL parameter was not used as given.
#[derive(Clone, Debug, Error, PartialEq, Eq, Serialize, Deserialize)]
pub enum ParamError {
    #[error("URL parameter `{param}`: {:?} is not accepted (expected {accepted}); using {default}", clip(.value))]
    Invalid { param: String, value: String, accepted: String, default: String },
    #[error("URL query part {part:?} could not be read (expected name=value pairs joined by &); ignored")]
    Malformed { part: String },
}

/// At most this many characters of a value a user gave are repeated back in a message.
pub const SHOWN_CHARS: usize = 60;

/// `text` as a message repeats it: whole when short, else its start, an ellipsis and its length,
/// so a 2 KB paste cannot flood a notice.
pub fn clip(text: &str) -> String {
    let n = text.chars().count();
    if n <= SHOWN_CHARS {
        text.to_string()
    } else {
        let head: String = text.chars().take(SHOWN_CHARS).collect();
        format!("{head}… ({n} characters)")
    }
}

/// `text` as a capped input keeps it: its first `max` characters, and whether anything was cut.
/// The UI's text boxes that feed per-tick work (the key browser's filter, the load-balancing
/// editor's fields) keep what is typed or pasted to a fixed length with this.
pub fn cap_chars(text: &str, max: usize) -> (String, bool) {
    match text.char_indices().nth(max) {
        Some((end, _)) => (text[..end].to_string(), true),
        None => (text.to_string(), false),
    }
}

/// Whether `text` fills an input whose `maxlength` is `max`: `maxlength` counts UTF-16 units, which
/// are never fewer than characters, so a box at its cap may have refused part of a paste.
pub fn at_input_cap(text: &str, max: usize) -> bool {
    text.encode_utf16().count() >= max
}

/// What a name or value escapes in a query string, exactly what `serde_qs` escaped, so every link
/// the app wrote before reads and is written the same: control characters, non-ASCII bytes (as
/// UTF-8), a space (written `+`) and `"#<>%+[]=&`. Commas, slashes and the rest stay readable.
const QUERY_ESCAPES: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'%')
    .add(b'+')
    .add(b'[')
    .add(b']')
    .add(b'=')
    .add(b'&');

/// Appends `text` escaped for a query string (see [`QUERY_ESCAPES`]).
fn encode_into(text: &str, out: &mut String) {
    for piece in utf8_percent_encode(text, QUERY_ESCAPES) {
        out.push_str(if piece == "%20" { "+" } else { piece });
    }
}

/// One name or value of a query string: `+` is a space and `%` with two hex digits a byte (a `%`
/// without them stays as written); `None` when the bytes are not UTF-8.
fn decode(raw: &str) -> Option<String> {
    let spaced = raw.replace('+', " ");
    percent_decode_str(&spaced).decode_utf8().ok().map(|text| text.into_owned())
}

/// A parsed query string, read field by field, collecting notices about bad values.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueryParams {
    map: VecMap<String, String>,
    notices: Vec<ParamError>,
}

impl QueryParams {
    /// Parses `query` (a leading `?` is allowed). Never fails: unreadable parts become notices.
    pub fn parse(query: &str) -> Self {
        let query = query.strip_prefix('?').unwrap_or(query);
        let mut params = QueryParams::default();
        // Part by part, so that one bad part does not lose the good ones; a repeated name keeps
        // its last value, and brackets are plain characters.
        for part in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            match (decode(name), decode(value)) {
                (Some(name), Some(value)) => {
                    params.map.insert(name, value);
                }
                _ => params.notices.push(ParamError::Malformed { part: part.to_string() }),
            }
        }
        params
    }

    /// The raw value of `name`, if present.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(String::as_str)
    }

    /// Every parameter present, by name.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.map.keys().map(String::as_str)
    }

    /// Reads `name` as a `T` that `valid` accepts; otherwise returns `default` and records a
    /// notice saying `accepted`. An absent parameter is simply the default (no notice).
    pub fn field<T: FromStr + Display>(
        &mut self,
        name: &str,
        default: T,
        accepted: &str,
        valid: impl Fn(&T) -> bool,
    ) -> T {
        let Some(raw) = self.map.get(name) else {
            return default;
        };
        match raw.trim().parse::<T>() {
            Ok(v) if valid(&v) => v,
            _ => {
                self.notices.push(ParamError::Invalid {
                    param: name.to_string(),
                    value: raw.clone(),
                    accepted: accepted.to_string(),
                    default: default.to_string(),
                });
                default
            }
        }
    }

    /// Records a notice for `name` whose `value` a page could not use (for values read by hand).
    pub fn notice(&mut self, name: &str, value: &str, accepted: &str, default: &str) {
        self.notices.push(ParamError::Invalid {
            param: name.to_string(),
            value: value.to_string(),
            accepted: accepted.to_string(),
            default: default.to_string(),
        });
    }

    /// An unsigned integer in `lo..=hi`.
    pub fn u64_in(&mut self, name: &str, default: u64, lo: u64, hi: u64) -> u64 {
        let accepted = if hi == u64::MAX {
            format!("a whole number >= {lo}")
        } else {
            format!("a whole number from {lo} to {hi}")
        };
        self.field(name, default, &accepted, |v| (lo..=hi).contains(v))
    }

    /// A finite number in `lo..=hi`.
    pub fn f64_in(&mut self, name: &str, default: f64, lo: f64, hi: f64) -> f64 {
        self.field(name, default, &format!("a number from {lo} to {hi}"), |v: &f64| {
            v.is_finite() && (lo..=hi).contains(v)
        })
    }

    /// `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`).
    pub fn flag(&mut self, name: &str, default: bool) -> bool {
        let Some(raw) = self.map.get(name) else {
            return default;
        };
        match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => true,
            "false" | "0" | "no" | "off" => false,
            _ => {
                self.notices.push(ParamError::Invalid {
                    param: name.to_string(),
                    value: raw.clone(),
                    accepted: "true or false".to_string(),
                    default: default.to_string(),
                });
                default
            }
        }
    }

    /// One of `options` (exact, case-sensitive).
    pub fn choice(&mut self, name: &str, default: &str, options: &[&str]) -> String {
        let accepted = format!("one of {}", options.join(", "));
        self.field(name, default.to_string(), &accepted, |v: &String| options.contains(&v.as_str()))
    }

    pub fn notices(&self) -> &[ParamError] {
        &self.notices
    }
    pub fn into_notices(self) -> Vec<ParamError> {
        self.notices
    }
}

/// Writes name/value pairs as a query string (no leading `?`), in the order given, escaped as
/// `serde_qs` escaped a map (a test holds the two equal): a repeated name keeps its first place and
/// its last value. Model pages append their own fields to the kernel's.
pub fn to_query(pairs: &[(&str, String)]) -> String {
    let mut kept: Vec<(&str, &str)> = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        match kept.iter_mut().find(|(name, _)| name == k) {
            Some(slot) => slot.1 = v,
            None => kept.push((k, v)),
        }
    }
    let mut out = String::new();
    for (i, (k, v)) in kept.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_into(k, &mut out);
        out.push('=');
        encode_into(v, &mut out);
    }
    out
}

/// A speed as a URL carries it: four significant digits (`25.12`, not `25.1188643150958`), which
/// is enough for every slider position to read back as itself.
pub fn url_speed(speed: f64) -> String {
    let s = clamp_speed(speed);
    let decimals = (3 - libm::floor(libm::log10(s)) as i32).clamp(0, 4) as usize;
    let text = format!("{s:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// The URL state every page shares.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimParams {
    pub seed: u64,
    /// Playback speed, 0.1×–1000×.
    pub speed: f64,
}

impl Default for SimParams {
    fn default() -> Self {
        SimParams { seed: 1, speed: 1.0 }
    }
}

impl SimParams {
    /// Reads `seed` and `speed` from `params`, falling back to defaults with notices.
    pub fn read(params: &mut QueryParams) -> Self {
        let d = SimParams::default();
        let seed = params.u64_in("seed", d.seed, 0, u64::MAX);
        let speed = params.f64_in("speed", d.speed, MIN_SPEED, MAX_SPEED);
        SimParams { seed, speed }
    }

    /// Parses a query string: the parameters and every notice about bad values.
    pub fn from_query(query: &str) -> (Self, Vec<ParamError>) {
        let mut params = QueryParams::parse(query);
        let p = Self::read(&mut params);
        (p, params.into_notices())
    }

    /// The pairs this struct contributes to a query string.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![("seed", self.seed.to_string()), ("speed", url_speed(self.speed))]
    }

    /// `seed=…&speed=…`, which [`SimParams::from_query`] reads back unchanged.
    pub fn to_query(&self) -> String {
        to_query(&self.pairs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_chars_keeps_the_first_characters_and_says_whether_it_cut() {
        assert_eq!(cap_chars("abc", 3), ("abc".to_string(), false));
        assert_eq!(cap_chars("abcd", 3), ("abc".to_string(), true));
        assert_eq!(cap_chars("", 0), (String::new(), false));
        // Cut on a character boundary, counting characters, not bytes.
        assert_eq!(cap_chars("üüüü", 2), ("üü".to_string(), true));
        assert!(at_input_cap("abc", 3) && !at_input_cap("ab", 3));
        // An astral character is two UTF-16 units, as `maxlength` counts.
        assert!(at_input_cap("a😀", 3));
    }

    #[test]
    fn reads_seed_and_speed_and_round_trips() {
        let (p, notices) = SimParams::from_query("?seed=42&speed=2.5");
        assert_eq!(p, SimParams { seed: 42, speed: 2.5 });
        assert!(notices.is_empty());
        assert_eq!(p.to_query(), "seed=42&speed=2.5");
        for p in [SimParams { seed: u64::MAX, speed: 0.1 }, SimParams { seed: 0, speed: 1000.0 }, SimParams::default()]
        {
            assert_eq!(SimParams::from_query(&p.to_query()), (p, vec![]));
        }
        assert_eq!(SimParams::from_query(""), (SimParams::default(), vec![]));
    }

    #[test]
    fn speeds_are_written_with_four_significant_digits() {
        let shown: Vec<String> = [0.1, 1.0, 2.5, 25.1188643150958, 251.188643150958, 999.99, 1000.0, 0.123456]
            .iter()
            .map(|s| url_speed(*s))
            .collect();
        assert_eq!(shown, ["0.1", "1", "2.5", "25.12", "251.2", "1000", "1000", "0.1235"]);
        let p = SimParams { seed: 1, speed: 25.1188643150958 };
        assert_eq!(p.to_query(), "seed=1&speed=25.12");
    }

    #[test]
    fn bad_values_fall_back_with_a_notice_naming_the_parameter() {
        let (p, notices) = SimParams::from_query("seed=-3&speed=5000");
        assert_eq!(p, SimParams::default());
        let text: Vec<String> = notices.iter().map(|n| n.to_string()).collect();
        expect_test::expect![[r#"
            [
                "URL parameter `seed`: \"-3\" is not accepted (expected a whole number >= 0); using 1",
                "URL parameter `speed`: \"5000\" is not accepted (expected a number from 0.1 to 1000); using 1",
            ]
        "#]]
        .assert_debug_eq(&text);
        let (p, notices) = SimParams::from_query("speed=NaN&seed=7");
        assert_eq!(p, SimParams { seed: 7, speed: 1.0 });
        assert_eq!(notices.len(), 1);
        let (_, notices) = SimParams::from_query("speed=inf");
        assert_eq!(notices.len(), 1);
    }

    #[test]
    fn long_bad_values_are_clipped_in_notices() {
        let long = "1,".repeat(1000);
        let (_, notices) = SimParams::from_query(&format!("speed={long}"));
        let text = notices[0].to_string();
        assert!(text.len() < 200 && text.contains("… (2000 characters)"), "{text}");
        assert_eq!(clip("short"), "short");
    }

    #[test]
    fn garbage_never_panics_and_good_parts_survive() {
        let (p, notices) = SimParams::from_query("seed=9&a[b][c]=1&&=&%zz&speed=3");
        assert_eq!(p, SimParams { seed: 9, speed: 3.0 });
        assert!(notices.iter().all(|n| matches!(n, ParamError::Malformed { .. })), "{notices:?}");
        for junk in
            ["%", "?&&&", "seed", "seed=%FF%FE", "speed=1e999", "seed[]=1&seed[]=2", "=", "🦀=🦀", "seed=1&seed=2"]
        {
            let (p, _) = SimParams::from_query(junk);
            assert!((MIN_SPEED..=MAX_SPEED).contains(&p.speed), "{junk}");
        }
    }

    #[test]
    fn field_helpers_for_model_pages() {
        let mut q = QueryParams::parse("workers=5&algo=p2c&jitter=yes&loss=0.5&name=a%20b");
        assert_eq!(q.u64_in("workers", 3, 1, 16), 5);
        assert_eq!(q.choice("algo", "rr", &["rr", "p2c", "ewma"]), "p2c");
        assert!(q.flag("jitter", false));
        assert_eq!(q.f64_in("loss", 0.0, 0.0, 1.0), 0.5);
        assert_eq!(q.raw("name"), Some("a b"));
        assert_eq!(q.u64_in("absent", 3, 1, 16), 3);
        assert!(q.notices().is_empty());
        let mut q = QueryParams::parse("workers=99&algo=magic&jitter=maybe");
        assert_eq!(q.u64_in("workers", 3, 1, 16), 3);
        assert_eq!(q.choice("algo", "rr", &["rr", "p2c"]), "rr");
        assert!(!q.flag("jitter", false));
        let text: Vec<String> = q.notices().iter().map(|n| n.to_string()).collect();
        expect_test::expect![[r#"
            [
                "URL parameter `workers`: \"99\" is not accepted (expected a whole number from 1 to 16); using 3",
                "URL parameter `algo`: \"magic\" is not accepted (expected one of rr, p2c); using rr",
                "URL parameter `jitter`: \"maybe\" is not accepted (expected true or false); using false",
            ]
        "#]]
        .assert_debug_eq(&text);
        let pairs = [("seed", "1".to_string()), ("name", "a b&c".to_string())];
        let s = to_query(&pairs);
        assert_eq!(QueryParams::parse(&s).raw("name"), Some("a b&c"));
    }

    /// The exact text every URL the app writes and reads: awkward values pinned (commas, spaces,
    /// `+`, `%`, `&`, `=`, brackets, unicode, control characters, empty values, repeated keys).
    #[test]
    fn the_query_codec_is_pinned_on_awkward_values() {
        let pairs: Vec<(&str, String)> = vec![
            ("a", "1,2, 3".to_string()),
            ("b c", "x+y z".to_string()),
            ("p%", "100%".to_string()),
            ("amp&", "k=v&w".to_string()),
            ("br[0]", "[x]".to_string()),
            ("uni", "ü😀€".to_string()),
            ("ctl", "tab\tnl\n\u{7f}".to_string()),
            ("quote", "\"#<>'~!*()$;:/?@".to_string()),
            ("empty", String::new()),
            ("", "nameless".to_string()),
            ("a", "again".to_string()),
            ("safe", "AZaz09-_.".to_string()),
        ];
        let written = to_query(&pairs);
        expect_test::expect!["a=again&b+c=x%2By+z&p%25=100%25&amp%26=k%3Dv%26w&br%5B0%5D=%5Bx%5D&uni=%C3%BC%F0%9F%98%80%E2%82%AC&ctl=tab%09nl%0A%7F&quote=%22%23%3C%3E'~!*()$;:/?@&empty=&=nameless&safe=AZaz09-_."].assert_eq(&written);
        let read = QueryParams::parse(&written);
        let back: Vec<(&str, Option<&str>)> = pairs.iter().map(|(k, _)| (*k, read.raw(k))).collect();
        expect_test::expect![[r##"
            (
                [
                    (
                        "a",
                        Some(
                            "again",
                        ),
                    ),
                    (
                        "b c",
                        Some(
                            "x+y z",
                        ),
                    ),
                    (
                        "p%",
                        Some(
                            "100%",
                        ),
                    ),
                    (
                        "amp&",
                        Some(
                            "k=v&w",
                        ),
                    ),
                    (
                        "br[0]",
                        Some(
                            "[x]",
                        ),
                    ),
                    (
                        "uni",
                        Some(
                            "ü😀€",
                        ),
                    ),
                    (
                        "ctl",
                        Some(
                            "tab\tnl\n\u{7f}",
                        ),
                    ),
                    (
                        "quote",
                        Some(
                            "\"#<>'~!*()$;:/?@",
                        ),
                    ),
                    (
                        "empty",
                        Some(
                            "",
                        ),
                    ),
                    (
                        "",
                        Some(
                            "nameless",
                        ),
                    ),
                    (
                        "a",
                        Some(
                            "again",
                        ),
                    ),
                    (
                        "safe",
                        Some(
                            "AZaz09-_.",
                        ),
                    ),
                ],
                [],
            )
        "##]]
        .assert_debug_eq(&(back, read.notices()));
        assert_eq!(to_query(&[]), "");
        // (query, the pairs read, how many notices)
        type Read<'a> = (&'a str, Vec<(String, String)>, usize);
        let reads: Vec<Read> = [
            "",
            "?",
            "=",
            "=x",
            "=x&a=1",
            "a=1&=x",
            "=x&=y",
            "a",
            "a&b=",
            "a=1&a=2",
            "a=1&a",
            "007=x&7=y",
            "%37=z&7=y",
            "4294967296=big",
            "a+b=c+d&a%20b=e",
            "k=%zz%4%41%%41%+%2",
            "k=%FF&k=ok",
            "k=ok&k=%FF",
            "%FF=1",
            "a[b][c]=1&d[]=2",
            "&&&",
            "x=1=2&&y==",
            "🦀=🦀",
        ]
        .iter()
        .map(|q| {
            let p = QueryParams::parse(q);
            let pairs = p.names().map(|n| (n.to_string(), p.raw(n).unwrap().to_string())).collect();
            (*q, pairs, p.notices().len())
        })
        .collect();
        expect_test::expect![[r#"
            [
                (
                    "",
                    [],
                    0,
                ),
                (
                    "?",
                    [],
                    0,
                ),
                (
                    "=",
                    [
                        (
                            "",
                            "",
                        ),
                    ],
                    0,
                ),
                (
                    "=x",
                    [
                        (
                            "",
                            "x",
                        ),
                    ],
                    0,
                ),
                (
                    "=x&a=1",
                    [
                        (
                            "",
                            "x",
                        ),
                        (
                            "a",
                            "1",
                        ),
                    ],
                    0,
                ),
                (
                    "a=1&=x",
                    [
                        (
                            "",
                            "x",
                        ),
                        (
                            "a",
                            "1",
                        ),
                    ],
                    0,
                ),
                (
                    "=x&=y",
                    [
                        (
                            "",
                            "y",
                        ),
                    ],
                    0,
                ),
                (
                    "a",
                    [
                        (
                            "a",
                            "",
                        ),
                    ],
                    0,
                ),
                (
                    "a&b=",
                    [
                        (
                            "a",
                            "",
                        ),
                        (
                            "b",
                            "",
                        ),
                    ],
                    0,
                ),
                (
                    "a=1&a=2",
                    [
                        (
                            "a",
                            "2",
                        ),
                    ],
                    0,
                ),
                (
                    "a=1&a",
                    [
                        (
                            "a",
                            "",
                        ),
                    ],
                    0,
                ),
                (
                    "007=x&7=y",
                    [
                        (
                            "007",
                            "x",
                        ),
                        (
                            "7",
                            "y",
                        ),
                    ],
                    0,
                ),
                (
                    "%37=z&7=y",
                    [
                        (
                            "7",
                            "y",
                        ),
                    ],
                    0,
                ),
                (
                    "4294967296=big",
                    [
                        (
                            "4294967296",
                            "big",
                        ),
                    ],
                    0,
                ),
                (
                    "a+b=c+d&a%20b=e",
                    [
                        (
                            "a b",
                            "e",
                        ),
                    ],
                    0,
                ),
                (
                    "k=%zz%4%41%%41%+%2",
                    [
                        (
                            "k",
                            "%zz%4A%A% %2",
                        ),
                    ],
                    0,
                ),
                (
                    "k=%FF&k=ok",
                    [
                        (
                            "k",
                            "ok",
                        ),
                    ],
                    1,
                ),
                (
                    "k=ok&k=%FF",
                    [
                        (
                            "k",
                            "ok",
                        ),
                    ],
                    1,
                ),
                (
                    "%FF=1",
                    [],
                    1,
                ),
                (
                    "a[b][c]=1&d[]=2",
                    [
                        (
                            "a[b][c]",
                            "1",
                        ),
                        (
                            "d[]",
                            "2",
                        ),
                    ],
                    0,
                ),
                (
                    "&&&",
                    [],
                    0,
                ),
                (
                    "x=1=2&&y==",
                    [
                        (
                            "x",
                            "1=2",
                        ),
                        (
                            "y",
                            "=",
                        ),
                    ],
                    0,
                ),
                (
                    "🦀=🦀",
                    [
                        (
                            "🦀",
                            "🦀",
                        ),
                    ],
                    0,
                ),
            ]
        "#]]
        .assert_debug_eq(&reads);
    }

    /// `serde_qs` itself, as this module used it before reading and writing by hand.
    #[cfg(not(target_arch = "wasm32"))]
    fn serde_qs_read(query: &str) -> Option<std::collections::BTreeMap<String, String>> {
        serde_qs::Config::new().max_depth(0).deserialize_str(query).ok()
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn serde_qs_write(pairs: &[(&str, String)]) -> String {
        let map: indexmap::IndexMap<&str, &str> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        serde_qs::to_string(&map).unwrap()
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn reads_and_writes_as_serde_qs_on_awkward_cases() {
        // Wherever serde_qs read a query with named parts (its own quirks aside: all-digit names
        // were numbers, `=x` had no name), the map read now is the same.
        for q in [
            "",
            "a",
            "a&b=",
            "a=1&a=2",
            "a=1&a",
            "a+b=c+d&a%20b=e",
            "k=%zz%4",
            "k=ok&k=%e2%82%ac",
            "a[b][c]=1&d[]=2",
            "&&&a=1",
            "x=1=2&&y==",
            "🦀=🦀",
            "a=%e2%82%ac",
            "p%25=%",
            "weights=1,2,3&speed=25.12&name=a+b%2Bc",
        ] {
            let theirs = serde_qs_read(q).map(|m| m.into_iter().collect::<Vec<_>>());
            assert!(theirs.is_some(), "serde_qs reads {q:?}");
            assert_eq!(Some(read(q)), theirs, "{q:?}");
        }
        let awkward = [
            "",
            " ",
            "a b",
            "1,2",
            "+",
            "%",
            "%2B",
            "&",
            "=",
            "[]",
            "ü",
            "😀",
            "\t\u{7f}",
            "\"#<>'~!*()$;:/?@",
            "AZaz09-_.",
        ];
        for k in awkward {
            for v in awkward {
                let pairs = [("seed", "1".to_string()), (k, v.to_string()), ("seed", v.to_string())];
                assert_eq!(to_query(&pairs), serde_qs_write(&pairs), "{k:?} {v:?}");
            }
        }
        assert_eq!(to_query(&[]), "");
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn well_escaped(q: &str) -> bool {
        let b = q.as_bytes();
        b.iter().enumerate().all(|(i, &c)| {
            c != b'%'
                || (b.get(i + 1).is_some_and(u8::is_ascii_hexdigit) && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
        })
    }

    /// What [`QueryParams::parse`] read, by name, when it read every part.
    #[cfg(not(target_arch = "wasm32"))]
    fn read(q: &str) -> Vec<(String, String)> {
        let p = QueryParams::parse(q);
        assert!(p.notices().is_empty(), "{q:?}: {:?}", p.notices());
        let mut pairs: Vec<(String, String)> =
            p.names().map(|n| (n.to_string(), p.raw(n).unwrap().to_string())).collect();
        pairs.sort();
        pairs
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        #[test]
        fn reads_as_serde_qs(parts in proptest::collection::vec(("[a-z.\\[\\]+%2Fü-]{1,4}", "[a7=%+ \\[\\]0F2eü😀.,-]{0,6}"), 0..5)) {
            // Named parts whose names are not all digits (serde_qs read those as numbers).
            let q: Vec<String> = parts.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let q = q.join("&");
            // Where every `%` starts an escape (serde_qs kept the character after a lone `%`
            // undecoded, a `+` too; percent-encoding decodes it).
            proptest::prop_assume!(well_escaped(&q));
            if let Some(theirs) = serde_qs_read(&q) {
                let theirs: Vec<(String, String)> = theirs.into_iter().collect();
                proptest::prop_assert_eq!(read(&q), theirs);
            } else {
                proptest::prop_assert!(!QueryParams::parse(&q).notices().is_empty(), "{q:?}: serde_qs refused it");
            }
        }

        #[test]
        fn writes_as_serde_qs(pairs in proptest::collection::vec(("[a7=&%+ \\[\\]0F2eü😀.\t-]{0,4}", "\\PC{0,6}"), 1..5)) {
            let pairs: Vec<(&str, String)> = pairs.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
            proptest::prop_assert_eq!(to_query(&pairs), serde_qs_write(&pairs));
        }

        #[test]
        fn any_query_parses_without_panicking_and_stays_in_range(q in ".{0,60}") {
            let (p, _) = SimParams::from_query(&q);
            proptest::prop_assert!((MIN_SPEED..=MAX_SPEED).contains(&p.speed));
        }

        #[test]
        fn any_valid_params_round_trip(seed: u64, pos in 0u32..=1000) {
            use crate::sim::playback::{slider_from_speed, speed_from_slider};
            let p = SimParams { seed, speed: speed_from_slider(pos) };
            let (back, notices) = SimParams::from_query(&p.to_query());
            proptest::prop_assert!(notices.is_empty());
            proptest::prop_assert_eq!(back.seed, seed);
            proptest::prop_assert_eq!(slider_from_speed(back.speed), pos);
            proptest::prop_assert_eq!(SimParams::from_query(&back.to_query()).0, back);
        }
    }
}
