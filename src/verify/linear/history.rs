//! A history of operations on the modeled Redis: what each client asked, when it asked, and what
//! it was told and when — or that it never learned (a timeout or a lost reply: the operation may or
//! may not have happened).
//!
//! The JSON form (`sim check history FILE`):
//!
//! ```json
//! {"ops": [
//!   {"client": 1, "key": "x", "op": "set", "value": "1", "invoke": 0, "return": 5, "result": "OK"},
//!   {"client": 2, "key": "x", "op": "get", "invoke": 6, "return": 9, "result": "1"},
//!   {"client": 2, "key": "n", "op": "incr", "by": 1, "invoke": 10, "return": 12, "result": 1},
//!   {"client": 3, "key": "x", "op": "del", "invoke": 13, "return": null}
//! ]}
//! ```
//!
//! - `op`: `get`, `set` (with `value`), `set-nx` (with `value`), `del`, `incr` (with an optional
//!   `by`, default 1);
//! - `invoke` / `return`: virtual times (integers, any unit, e.g. ms); `return` is `null` or absent
//!   when the client never learned the outcome (`"outcome": "unknown"` says the same with the time
//!   the client gave up; `"outcome": "fail"` marks an operation that surely did not take effect,
//!   which is left out of the check);
//! - `result`: `get` → the value or `null` (nil); `set` → `"OK"`; `set-nx` → `"OK"` or `null`;
//!   `del` → 0 or 1; `incr` → the new value, or `{"error": "..."}`.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// What a client asked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Input {
    Get,
    Set {
        value: String,
    },
    SetNx {
        value: String,
    },
    Del,
    Incr {
        #[serde(default = "one")]
        by: i64,
    },
}

fn one() -> i64 {
    1
}

impl Input {
    /// The command a client sends for this operation on `key` (`INCR` when `by` is 1, else `INCRBY`).
    pub fn argv(&self, key: &str) -> Vec<Vec<u8>> {
        let k = key.as_bytes().to_vec();
        match self {
            Input::Get => vec![b"GET".to_vec(), k],
            Input::Set { value } => vec![b"SET".to_vec(), k, value.as_bytes().to_vec()],
            Input::SetNx { value } => vec![b"SET".to_vec(), k, value.as_bytes().to_vec(), b"NX".to_vec()],
            Input::Del => vec![b"DEL".to_vec(), k],
            Input::Incr { by: 1 } => vec![b"INCR".to_vec(), k],
            Input::Incr { by } => vec![b"INCRBY".to_vec(), k, by.to_string().into_bytes()],
        }
    }
}

/// What it was told.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Output {
    Nil,
    Ok,
    Value(String),
    Int(i64),
    Error(String),
}

impl Output {
    /// The modeled Redis's reply as a history records it.
    pub fn from_reply(reply: &crate::redis::Reply) -> Output {
        use crate::redis::Reply;
        match reply {
            Reply::Status(s) if s == "OK" => Output::Ok,
            Reply::Status(s) => Output::Value(s.clone()),
            Reply::Error(e) => Output::Error(e.clone()),
            Reply::Integer(i) => Output::Int(*i),
            Reply::Bulk(b) => Output::Value(String::from_utf8_lossy(b).into_owned()),
            Reply::Nil => Output::Nil,
            other => Output::Error(format!("unexpected reply {other:?}")),
        }
    }
}

/// One operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Operation {
    pub client: u64,
    pub key: String,
    #[serde(flatten)]
    pub input: Input,
    pub invoke: u64,
    /// When the reply arrived (`None`: never, or the client gave up).
    #[serde(rename = "return")]
    pub ret: Option<u64>,
    /// The reply (`None`: the outcome is unknown — the operation may or may not have happened).
    pub output: Option<Output>,
}

impl Operation {
    /// Whether the operation can constrain an order: a read whose outcome is unknown observed
    /// nothing, so the checker leaves it out.
    pub fn constrains(&self) -> bool {
        !(self.input == Input::Get && self.output.is_none())
    }

    /// One line: `client 1: set x "1" → OK  [0, 5]`.
    pub fn describe(&self) -> String {
        let what = match &self.input {
            Input::Get => format!("get {}", self.key),
            Input::Set { value } => format!("set {} {value:?}", self.key),
            Input::SetNx { value } => format!("set-nx {} {value:?}", self.key),
            Input::Del => format!("del {}", self.key),
            Input::Incr { by } => format!("incr {} by {by}", self.key),
        };
        let out = match &self.output {
            None => "? (outcome unknown)".to_string(),
            Some(Output::Nil) => "(nil)".into(),
            Some(Output::Ok) => "OK".into(),
            Some(Output::Value(v)) => format!("{v:?}"),
            Some(Output::Int(i)) => format!("(integer) {i}"),
            Some(Output::Error(e)) => format!("(error) {e}"),
        };
        let end = self.ret.map_or("∞".to_string(), |r| r.to_string());
        format!("client {}: {what} → {out}  [{}, {end}]", self.client, self.invoke)
    }
}

/// A whole history.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct History {
    pub ops: Vec<Operation>,
}

/// Identifies an operation being recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpId(pub usize);

/// Records a history from a running model: `invoke` when a client sends, `ok` when the reply
/// arrives, `unknown` when it gives up; operations still open at `finish` are unknown.
#[derive(Clone, Debug, Default)]
pub struct HistoryRecorder {
    ops: Vec<Operation>,
}

impl HistoryRecorder {
    pub fn new() -> Self {
        HistoryRecorder::default()
    }
    pub fn invoke(&mut self, client: u64, key: &str, input: Input, at: u64) -> OpId {
        self.ops.push(Operation { client, key: key.to_string(), input, invoke: at, ret: None, output: None });
        OpId(self.ops.len() - 1)
    }
    pub fn ok(&mut self, id: OpId, output: Output, at: u64) {
        if let Some(op) = self.ops.get_mut(id.0) {
            op.ret = Some(at.max(op.invoke));
            op.output = Some(output);
        }
    }
    pub fn unknown(&mut self, id: OpId, at: u64) {
        if let Some(op) = self.ops.get_mut(id.0) {
            op.ret = Some(at.max(op.invoke));
            op.output = None;
        }
    }
    pub fn len(&self) -> usize {
        self.ops.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
    pub fn finish(self) -> History {
        History { ops: self.ops }
    }
}

/// A malformed history file: says where and what is accepted.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum HistoryError {
    #[error("not JSON: {0}; expected an object like {{\"ops\": [{{\"client\": 1, \"key\": \"x\", \"op\": \"get\", \"invoke\": 0, \"return\": 3, \"result\": null}}]}}")]
    Json(String),
    #[error("operation {index}: {message}")]
    Op { index: usize, message: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHistory {
    ops: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOp {
    #[serde(default)]
    client: u64,
    key: String,
    op: String,
    value: Option<String>,
    by: Option<i64>,
    invoke: u64,
    #[serde(rename = "return", default)]
    ret: Option<u64>,
    #[serde(default)]
    result: Option<serde_json::Value>,
    outcome: Option<String>,
}

impl History {
    pub fn from_json(text: &str) -> Result<History, HistoryError> {
        let raw: RawHistory = serde_json::from_str(text).map_err(|e| HistoryError::Json(e.to_string()))?;
        let mut ops = Vec::with_capacity(raw.ops.len());
        for (index, v) in raw.ops.into_iter().enumerate() {
            let bad = |message: String| HistoryError::Op { index, message };
            let r: RawOp = serde_json::from_value(v)
                .map_err(|e| bad(format!("{e}; expected fields client, key, op, value/by, invoke, return, result")))?;
            let need_value =
                |v: Option<String>| v.ok_or_else(|| bad(format!("op {:?} needs a string \"value\"", r.op)));
            let input = match r.op.as_str() {
                "get" => Input::Get,
                "set" => Input::Set { value: need_value(r.value.clone())? },
                "set-nx" => Input::SetNx { value: need_value(r.value.clone())? },
                "del" => Input::Del,
                "incr" => Input::Incr { by: r.by.unwrap_or(1) },
                other => {
                    return Err(bad(format!("unknown op {other:?}; expected get, set, set-nx, del or incr")));
                }
            };
            let unknown = match r.outcome.as_deref() {
                None | Some("ok") => r.ret.is_none(),
                Some("unknown") => true,
                // Surely did not happen (Jepsen's `:fail`): it constrains nothing, as in Porcupine.
                Some("fail") => continue,
                Some(other) => {
                    return Err(bad(format!("outcome {other:?}; expected \"ok\", \"unknown\" or \"fail\"")));
                }
            };
            if let Some(ret) = r.ret {
                if ret < r.invoke {
                    return Err(bad(format!("return {ret} is before invoke {}; expected return >= invoke", r.invoke)));
                }
            }
            let output = if unknown { None } else { Some(parse_result(&input, r.result.as_ref()).map_err(bad)?) };
            ops.push(Operation { client: r.client, key: r.key, input, invoke: r.invoke, ret: r.ret, output });
        }
        Ok(History { ops })
    }

    /// The JSON form [`History::from_json`] reads.
    pub fn to_json(&self) -> String {
        let ops: Vec<serde_json::Value> = self
            .ops
            .iter()
            .map(|o| {
                let mut m = serde_json::Map::new();
                m.insert("client".into(), o.client.into());
                m.insert("key".into(), o.key.clone().into());
                let (op, extra) = match &o.input {
                    Input::Get => ("get", None),
                    Input::Set { value } => ("set", Some(("value", serde_json::Value::from(value.clone())))),
                    Input::SetNx { value } => ("set-nx", Some(("value", serde_json::Value::from(value.clone())))),
                    Input::Del => ("del", None),
                    Input::Incr { by } => ("incr", Some(("by", serde_json::Value::from(*by)))),
                };
                m.insert("op".into(), op.into());
                if let Some((k, v)) = extra {
                    m.insert(k.into(), v);
                }
                m.insert("invoke".into(), o.invoke.into());
                m.insert("return".into(), o.ret.map_or(serde_json::Value::Null, Into::into));
                match &o.output {
                    None => {
                        m.insert("outcome".into(), "unknown".into());
                    }
                    Some(out) => {
                        let v = match out {
                            Output::Nil => serde_json::Value::Null,
                            Output::Ok => "OK".into(),
                            Output::Value(s) => s.clone().into(),
                            Output::Int(i) => (*i).into(),
                            Output::Error(e) => serde_json::json!({ "error": e }),
                        };
                        m.insert("result".into(), v);
                    }
                }
                serde_json::Value::Object(m)
            })
            .collect();
        serde_json::json!({ "ops": ops }).to_string()
    }
}

fn parse_result(input: &Input, v: Option<&serde_json::Value>) -> Result<Output, String> {
    use serde_json::Value as J;
    let null = J::Null;
    let v = v.unwrap_or(&null);
    if let Some(e) = v.get("error").and_then(J::as_str) {
        return Ok(Output::Error(e.to_string()));
    }
    match (input, v) {
        (Input::Get, J::Null) | (Input::SetNx { .. }, J::Null) => Ok(Output::Nil),
        (Input::Get, J::String(s)) => Ok(Output::Value(s.clone())),
        (Input::Set { .. } | Input::SetNx { .. }, J::String(s)) if s == "OK" => Ok(Output::Ok),
        (Input::Del | Input::Incr { .. }, J::Number(n)) if n.as_i64().is_some() => {
            Ok(Output::Int(n.as_i64().unwrap_or_default()))
        }
        (Input::Get, _) => Err(format!("get's result {v}; expected a string or null")),
        (Input::Set { .. }, _) => Err(format!("set's result {v}; expected \"OK\"")),
        (Input::SetNx { .. }, _) => Err(format!("set-nx's result {v}; expected \"OK\" or null")),
        (Input::Del, _) => Err(format!("del's result {v}; expected an integer")),
        (Input::Incr { .. }, _) => Err(format!("incr's result {v}; expected an integer or {{\"error\": \"...\"}}")),
    }
}
