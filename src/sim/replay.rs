//! The replay file: everything that defines a run — the model's id, its scenario, the seed, the
//! epoch, the action log — and optionally a cursor (the moment to open it at), as one JSON object.
//! The page's "Download replay" and `sim <model> --replay-out FILE` write it; "Open replay" and
//! `sim replay FILE` read it back. Reading checks the envelope first, so a wrong file gets a
//! message naming what is wrong (not JSON, not a replay, another model, a newer version, a bad
//! field or log) instead of a half-loaded run.
//!
//! A model takes part by implementing [`ReplayModel`] (its id, scenario type and how to build a
//! run). Its actions also travel in a page's URL: the model implements [`ActionCodec`] (one
//! action as a short code) and the log's URL text and a run's URL pairs are written once here
//! ([`log_to_query`], [`log_from_query`], [`RunUrl`]). Never reads a clock.

use super::rewind::{check_log, Cursor, LoggedAction, Rewind, RewindConfig, RewindError, Rewindable, Seek};
use super::{QueryParams, SimTime, Simulation};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The `format` field every replay file carries.
pub const REPLAY_FORMAT: &str = "ds-playground-replay";
/// The version this build writes and reads.
pub const REPLAY_VERSION: u32 = 1;
/// The largest replay file read (a log of 1,000 actions is far smaller).
pub const MAX_REPLAY_BYTES: usize = 1 << 20;

/// A model whose runs can be written to and read from a replay file.
pub trait ReplayModel: Rewindable {
    /// The id in the file's `model` field (`lock`, `lb`, …).
    const ID: &'static str;
    type Scenario: Clone + Serialize + DeserializeOwned;
    /// Builds a fresh run of `scenario` with `seed`, its clock starting at `epoch`; an error names
    /// what is wrong with the scenario.
    fn build(scenario: &Self::Scenario, seed: u64, epoch: SimTime) -> Result<Simulation<Self>, String>;
    /// How long a run of `scenario` lasts when nothing else says (the CLI's run length).
    fn default_end_ms(scenario: &Self::Scenario) -> u64;
}

/// What a replay file holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Replay<S, A> {
    pub format: String,
    pub version: u32,
    pub model: String,
    pub seed: u64,
    /// The run's epoch (Unix ms): worker ids and the like are derived from it.
    pub epoch_ms: u64,
    pub scenario: S,
    pub actions: Vec<LoggedAction<A>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<Cursor>,
}

/// Why a replay file was not opened.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ReplayError {
    #[error("the file is {0} bytes; a replay is at most {MAX_REPLAY_BYTES} bytes")]
    TooLarge(usize),
    #[error("the file is not JSON ({0}); expected a replay written by \"Download replay\" or `sim … --replay-out`")]
    NotJson(String),
    #[error("the file is JSON but not a replay (no \"format\": \"{REPLAY_FORMAT}\"); expected a file written by \"Download replay\" or `sim … --replay-out`")]
    NotAReplay,
    #[error("the replay is version {0}; this build reads version {REPLAY_VERSION}")]
    Version(u64),
    #[error("the replay is of the model {found:?}; expected {expected:?}")]
    WrongModel { found: String, expected: String },
    #[error("the replay's {0}")]
    Fields(String),
    #[error("the replay's scenario is not valid: {0}")]
    Scenario(String),
    #[error("the replay's action log: {0}")]
    Log(#[from] RewindError),
}

/// The envelope only: enough to tell which model a file is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayHeader {
    pub model: String,
    pub version: u64,
}

/// Reads the envelope of a replay file (size, JSON, format, version, model).
pub fn read_header(text: &str) -> Result<ReplayHeader, ReplayError> {
    if text.len() > MAX_REPLAY_BYTES {
        return Err(ReplayError::TooLarge(text.len()));
    }
    let v: Envelope = serde_json::from_str(text).map_err(|e| ReplayError::NotJson(e.to_string()))?;
    if v.format.as_str() != Some(REPLAY_FORMAT) {
        return Err(ReplayError::NotAReplay);
    }
    let version = match v.version {
        Loose::U64(n) => n,
        _ => 0,
    };
    if version != u64::from(REPLAY_VERSION) {
        return Err(ReplayError::Version(version));
    }
    let model =
        v.model.as_str().ok_or_else(|| ReplayError::Fields("\"model\" is missing; expected e.g. \"lock\"".into()))?;
    Ok(ReplayHeader { model: model.to_string(), version })
}

/// The envelope's three fields as `serde_json::Value` would give them (`Loose::Other` when absent
/// or of another type), read without building a `Value`: any JSON is accepted exactly where
/// `Value` accepts it, a repeated field keeps its last value, and anything but an object has no
/// fields. (A `Value` would bring its own map type and parser paths into the page's wasm.)
#[derive(Default)]
struct Envelope {
    format: Loose,
    version: Loose,
    model: Loose,
}

/// A JSON value as far as the envelope needs it: a string, an unsigned integer, or anything else
/// (read to its end and dropped).
#[derive(Default)]
enum Loose {
    Str(String),
    U64(u64),
    #[default]
    Other,
}

impl Loose {
    fn as_str(&self) -> Option<&str> {
        match self {
            Loose::Str(s) => Some(s),
            _ => None,
        }
    }
}

struct LooseVisitor;

impl<'de> serde::de::Visitor<'de> for LooseVisitor {
    type Value = Loose;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Loose, E> {
        Ok(Loose::Other)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Loose, E> {
        Ok(Loose::Other)
    }
    fn visit_u64<E>(self, v: u64) -> Result<Loose, E> {
        Ok(Loose::U64(v))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Loose, E> {
        Ok(Loose::Other)
    }
    fn visit_str<E>(self, v: &str) -> Result<Loose, E> {
        Ok(Loose::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Loose, E> {
        Ok(Loose::Str(v))
    }
    fn visit_unit<E>(self) -> Result<Loose, E> {
        Ok(Loose::Other)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Loose, A::Error> {
        while seq.next_element::<Loose>()?.is_some() {}
        Ok(Loose::Other)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Loose, A::Error> {
        while map.next_entry::<String, Loose>()?.is_some() {}
        Ok(Loose::Other)
    }
}

impl<'de> Deserialize<'de> for Loose {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LooseVisitor)
    }
}

impl<'de> Deserialize<'de> for Envelope {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct EnvelopeVisitor;
        impl<'de> serde::de::Visitor<'de> for EnvelopeVisitor {
            type Value = Envelope;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Envelope, A::Error> {
                let mut e = Envelope::default();
                while let Some(key) = map.next_key::<String>()? {
                    let value: Loose = map.next_value()?;
                    match key.as_str() {
                        "format" => e.format = value,
                        "version" => e.version = value,
                        "model" => e.model = value,
                        _ => {}
                    }
                }
                Ok(e)
            }
            // Any other JSON value: an envelope with no fields.
            fn visit_bool<E>(self, _: bool) -> Result<Envelope, E> {
                Ok(Envelope::default())
            }
            fn visit_i64<E>(self, _: i64) -> Result<Envelope, E> {
                Ok(Envelope::default())
            }
            fn visit_u64<E>(self, _: u64) -> Result<Envelope, E> {
                Ok(Envelope::default())
            }
            fn visit_f64<E>(self, _: f64) -> Result<Envelope, E> {
                Ok(Envelope::default())
            }
            fn visit_str<E>(self, _: &str) -> Result<Envelope, E> {
                Ok(Envelope::default())
            }
            fn visit_unit<E>(self) -> Result<Envelope, E> {
                Ok(Envelope::default())
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Envelope, A::Error> {
                LooseVisitor.visit_seq(seq).map(|_| Envelope::default())
            }
        }
        d.deserialize_any(EnvelopeVisitor)
    }
}

impl<S: Serialize + DeserializeOwned, A: Serialize + DeserializeOwned> Replay<S, A> {
    pub fn new(model: &str, seed: u64, epoch: SimTime, scenario: S, actions: Vec<LoggedAction<A>>) -> Self {
        Replay {
            format: REPLAY_FORMAT.to_string(),
            version: REPLAY_VERSION,
            model: model.to_string(),
            seed,
            epoch_ms: epoch.as_unix_ms(),
            scenario,
            actions,
            cursor: None,
        }
    }

    /// Reads a replay of `model`, checking the envelope, the fields and the log's order and size.
    pub fn parse(text: &str, model: &str) -> Result<Self, ReplayError> {
        let header = read_header(text)?;
        if header.model != model {
            return Err(ReplayError::WrongModel { found: header.model, expected: model.to_string() });
        }
        let r: Self = serde_json::from_str(text).map_err(|e| ReplayError::Fields(e.to_string()))?;
        check_log(&r.actions)?;
        Ok(r)
    }

    /// Pretty JSON, the file's content.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a replay is plain data")
    }

    pub fn epoch(&self) -> SimTime {
        SimTime::from_unix_ms(self.epoch_ms)
    }
}

/// Builds the rewindable run a replay describes (not yet run: seek it where you want).
pub fn open<M: ReplayModel>(
    replay: &Replay<M::Scenario, M::Action>,
    config: RewindConfig,
) -> Result<Rewind<M>, ReplayError> {
    let sim = M::build(&replay.scenario, replay.seed, replay.epoch()).map_err(ReplayError::Scenario)?;
    Ok(Rewind::with_log(sim, config, replay.actions.clone())?)
}

/// A replay of a rewind's run as it stands (its whole branch), with its cursor.
pub fn capture<M: ReplayModel>(
    rewind: &Rewind<M>,
    scenario: &M::Scenario,
    seed: u64,
    with_cursor: bool,
) -> Replay<M::Scenario, M::Action> {
    let mut r = Replay::new(M::ID, seed, rewind.sim().start(), scenario.clone(), rewind.actions().to_vec());
    r.cursor = with_cursor.then(|| rewind.cursor());
    r
}

/// Digits of base 36, for compact action logs in URLs.
pub fn b36(mut n: u64) -> String {
    const D: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(D[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII digits")
}

/// Reads [`b36`]'s digits (at most 13, so the value fits a `u64`).
pub fn parse_b36(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 13 {
        return None;
    }
    u64::from_str_radix(s, 36).ok()
}

/// A model's user actions as compact URL codes: each model implements only this, and the action
/// log's URL text ([`log_to_query`], [`log_from_query`]) and a run's URL pairs ([`RunUrl`]) are
/// written once here for all of them.
pub trait ActionCodec: Sized {
    /// A well-formed log entry (`time~events~code`), shown when an entry is not understood.
    const EXAMPLE: &'static str;
    /// The action's short code: only unreserved URL characters and no `_` or `~` (the log's
    /// separators), so a log is not escaped in a query string.
    fn encode(&self) -> String;
    /// Reads [`ActionCodec::encode`]'s code; `None` when it is not one.
    fn decode(code: &str) -> Option<Self>;
}

/// An action log as URL text: `{at_ms}~{events}~{code}` per action (numbers in base 36), joined by
/// `_`, with each action's short code ([`ActionCodec::encode`]). Only unreserved URL characters,
/// so it is not escaped in a query string.
pub fn log_to_query<A: ActionCodec>(actions: &[LoggedAction<A>]) -> String {
    actions
        .iter()
        .map(|a| format!("{}~{}~{}", b36(a.at_ms), b36(a.events), a.action.encode()))
        .collect::<Vec<_>>()
        .join("_")
}

/// Reads [`log_to_query`]'s text; an error names the first entry not understood and shows the
/// model's [`ActionCodec::EXAMPLE`].
pub fn log_from_query<A: ActionCodec>(text: &str) -> Result<Vec<LoggedAction<A>>, String> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    text.split('_')
        .enumerate()
        .map(|(i, item)| {
            let mut parts = item.splitn(3, '~');
            let at = parts.next().and_then(parse_b36);
            let events = parts.next().and_then(parse_b36);
            let action = parts.next().and_then(A::decode);
            match (at, events, action) {
                (Some(at_ms), Some(events), Some(action)) => Ok(LoggedAction { at_ms, events, action }),
                _ => Err(format!(
                    "action {i} {item:?} is not understood; expected time~events~code, like {}",
                    A::EXAMPLE
                )),
            }
        })
        .collect()
}

/// Where a link opens a run: a virtual time and, for an exact moment within one millisecond, the
/// event index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UrlCursor {
    pub at_ms: u64,
    pub events: Option<u64>,
}

impl UrlCursor {
    /// Where to seek: the exact cursor when the event index is known, else the time.
    pub fn seek(self) -> Seek {
        match self.events {
            Some(events) => Seek::At(Cursor { events, at_ms: self.at_ms }),
            None => Seek::Time(self.at_ms),
        }
    }
}

/// A run's replay in a page's URL: `a` the action log (in the model's compact codec), `t` the
/// cursor's virtual time in ms and `ev` its event index, `epoch` the run's epoch (Unix ms).
#[derive(Clone, Debug, PartialEq)]
pub struct RunUrl<A> {
    pub actions: Vec<LoggedAction<A>>,
    pub cursor: Option<UrlCursor>,
    pub epoch_ms: Option<u64>,
}

impl<A> Default for RunUrl<A> {
    fn default() -> Self {
        RunUrl { actions: Vec::new(), cursor: None, epoch_ms: None }
    }
}

impl<A: ActionCodec> RunUrl<A> {
    /// Reads `a` (the action log, [`log_from_query`]), `t`, `ev` and `epoch`, with a notice for
    /// each bad one.
    pub fn read(q: &mut QueryParams) -> RunUrl<A> {
        let mut out = RunUrl::default();
        if let Some(text) = q.raw("a").map(str::to_string) {
            match log_from_query(&text).and_then(|log| check_log(&log).map(|()| log).map_err(|e| e.to_string())) {
                Ok(log) => out.actions = log,
                Err(e) => q.notice("a", &text, &format!("an action log as the page writes it: {e}"), "no actions"),
            }
        }
        if q.raw("t").is_some() {
            let t = q.field("t", u64::MAX, "a virtual time in ms, like 42000", |_| true);
            if t != u64::MAX {
                let ev = q.raw("ev").is_some().then(|| q.field("ev", u64::MAX, "an event index", |_| true));
                out.cursor = Some(UrlCursor { at_ms: t, events: ev.filter(|e| *e != u64::MAX) });
            }
        }
        if q.raw("epoch").is_some() {
            let e = q.field("epoch", 0u64, "Unix ms, like 1767225600000", |e| *e > 0);
            out.epoch_ms = (e > 0).then_some(e);
        }
        out
    }

    /// The pairs that carry the run (the log as [`log_to_query`] writes it): nothing for a fresh
    /// run at time zero.
    pub fn pairs(actions: &[LoggedAction<A>], cursor: Cursor, epoch_ms: u64) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if actions.is_empty() && cursor == Cursor::default() {
            return out;
        }
        out.push(("epoch".to_string(), epoch_ms.to_string()));
        if !actions.is_empty() {
            out.push(("a".to_string(), log_to_query(actions)));
        }
        out.push(("t".to_string(), cursor.at_ms.to_string()));
        out.push(("ev".to_string(), cursor.events.to_string()));
        out
    }
}

/// [`RunUrl::read`] as a function (what the pages call).
pub fn read_run_url<A: ActionCodec>(q: &mut QueryParams) -> RunUrl<A> {
    RunUrl::read(q)
}

/// [`RunUrl::pairs`] as a function (what the pages call).
pub fn run_url_pairs<A: ActionCodec>(
    actions: &[LoggedAction<A>],
    cursor: Cursor,
    epoch_ms: u64,
) -> Vec<(String, String)> {
    RunUrl::pairs(actions, cursor, epoch_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `read_header` as it was, over a `serde_json::Value`: the oracle of the envelope's reader.
    fn read_header_by_value(text: &str) -> Result<ReplayHeader, ReplayError> {
        if text.len() > MAX_REPLAY_BYTES {
            return Err(ReplayError::TooLarge(text.len()));
        }
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| ReplayError::NotJson(e.to_string()))?;
        if v.get("format").and_then(|f| f.as_str()) != Some(REPLAY_FORMAT) {
            return Err(ReplayError::NotAReplay);
        }
        let version = v.get("version").and_then(|x| x.as_u64()).unwrap_or(0);
        if version != u64::from(REPLAY_VERSION) {
            return Err(ReplayError::Version(version));
        }
        let model = v
            .get("model")
            .and_then(|m| m.as_str())
            .ok_or_else(|| ReplayError::Fields("\"model\" is missing; expected e.g. \"lock\"".into()))?;
        Ok(ReplayHeader { model: model.to_string(), version })
    }

    #[test]
    fn the_envelope_reads_as_a_json_value_would() {
        let f = r#""format":"ds-playground-replay""#;
        let cases = [
            String::new(),
            "{".into(),
            "{}".into(),
            "[]".into(),
            "[1, {\"a\": [}]".into(),
            "5".into(),
            "-5".into(),
            "1.5e3".into(),
            "null".into(),
            "true".into(),
            "\"text\"".into(),
            "\"\\ud800\"".into(),
            "{\"a\":1,}".into(),
            "{} x".into(),
            format!("{{{f}}}"),
            format!("{{{f},\"version\":1}}"),
            format!("{{{f},\"version\":1,\"model\":\"lock\"}}"),
            format!("{{{f},\"version\":1,\"model\":\"lock\",\"model\":\"lb\"}}"),
            format!("{{{f},\"version\":1,\"model\":\"lock\",\"model\":5}}"),
            format!("{{{f},\"version\":1.0,\"model\":\"lock\"}}"),
            format!("{{{f},\"version\":-1,\"model\":\"lock\"}}"),
            format!("{{{f},\"version\":\"1\",\"model\":\"lock\"}}"),
            format!("{{{f},\"version\":2,\"model\":\"lock\"}}"),
            format!("{{{f},\"version\":18446744073709551616,\"model\":\"lock\"}}"),
            format!("{{{f},\"version\":1,\"model\":[\"lock\"],\"x\":{{\"y\":[1,2,{{}}]}}}}"),
            format!("{{{f},\"version\":1,\"model\":\"lock\",\"x\":\"\\ud800\"}}"),
            format!("{{{f},\"version\":1,\"model\":\"lock\",\"x\":01}}"),
            format!("{{{f},\"version\":1,\"model\":\"l\\u00f6ck\"}}"),
            format!("{{{f},\"version\":1,\"model\":\"lock\"}} trailing"),
            r#"{"format":"other","version":1,"model":"lock"}"#.to_string(),
            format!("{{\"format\":5,{f},\"version\":1,\"model\":\"lock\"}}"),
            format!("{{{f},\"format\":null,\"version\":1,\"model\":\"lock\"}}"),
            format!("{}{{}}", "[".repeat(200)),
            "x".repeat(MAX_REPLAY_BYTES + 1),
        ];
        for text in &cases {
            assert_eq!(read_header(text), read_header_by_value(text), "{text:.80}");
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        #[test]
        fn the_envelope_reads_as_a_json_value_would_on_any_text(
            text in r#"[{}\[\],:" 0-9a-z.eE+\-\\]{0,40}"#,
            fields in r#"(,"(format|version|model|x)":("ds-playground-replay"|"lock"|1|2|-1|1.0|null|\[\]|\{\}|"\\u0041")){0,5}"#,
        ) {
            proptest::prop_assert_eq!(read_header(&text), read_header_by_value(&text));
            let object = format!("{{\"a\":0{fields}}}");
            proptest::prop_assert_eq!(read_header(&object), read_header_by_value(&object));
        }
    }

    #[test]
    fn bad_files_are_named_before_anything_is_loaded() {
        type R = Replay<u32, u32>;
        let err = |t: &str| R::parse(t, "lock").unwrap_err().to_string();
        assert!(err("{nope").starts_with("the file is not JSON"));
        assert!(err("[1, 2]").starts_with("the file is JSON but not a replay"));
        assert_eq!(
            err(r#"{"format":"ds-playground-replay","version":9,"model":"lock"}"#),
            "the replay is version 9; this build reads version 1"
        );
        assert_eq!(
            err(r#"{"format":"ds-playground-replay","version":1,"model":"lb"}"#),
            "the replay is of the model \"lb\"; expected \"lock\""
        );
        assert!(err(r#"{"format":"ds-playground-replay","version":1,"model":"lock","seed":"x"}"#)
            .starts_with("the replay's invalid type"));
        let big = format!("\"{}\"", "x".repeat(MAX_REPLAY_BYTES));
        assert!(err(&big).starts_with("the file is 1048578 bytes"));
        let mut ok = R::new("lock", 7, SimTime::from_unix_ms(1_700_000_000_000), 3, vec![]);
        ok.actions.push(LoggedAction { at_ms: 10, events: 4, action: 1 });
        ok.cursor = Some(Cursor { events: 9, at_ms: 20 });
        assert_eq!(R::parse(&ok.to_json(), "lock"), Ok(ok.clone()));
        ok.actions.push(LoggedAction { at_ms: 5, events: 4, action: 2 });
        assert!(R::parse(&ok.to_json(), "lock")
            .unwrap_err()
            .to_string()
            .starts_with("the replay's action log: action 1"));
    }
}
