//! The trace: one serializable entry per processed event, with a stable one-line rendering that
//! snapshot tests and determinism checks compare byte for byte.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceEntry {
    /// The event's sequence number in the queue (ties at one millisecond fire in this order).
    pub seq: u64,
    /// Milliseconds since the run started.
    pub at_ms: u64,
    pub node: String,
    pub what: String,
}

impl fmt::Display for TraceEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:>8}.{:03} #{} {}: {}", self.at_ms / 1000, self.at_ms % 1000, self.seq, self.node, self.what)
    }
}

/// A bounded or unbounded record of processed events. Disabled traces cost nothing per event.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Trace {
    enabled: bool,
    entries: Vec<TraceEntry>,
}

impl Trace {
    pub fn enabled(&self) -> bool {
        self.enabled
    }
    pub fn set_enabled(&mut self, on: bool) {
        self.enabled = on;
    }
    pub fn push(&mut self, e: TraceEntry) {
        self.entries.push(e);
    }
    pub fn entries(&self) -> &[TraceEntry] {
        &self.entries
    }
    pub fn clear(&mut self) {
        self.entries.clear();
    }
    /// The stable text rendering: one line per entry.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for e in &self.entries {
            s.push_str(&e.to_string());
            s.push('\n');
        }
        s
    }
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.entries).expect("trace entries are plain data")
    }
    /// SHA-256 of the text rendering, hex: what native and browser runs compare.
    pub fn digest(&self) -> String {
        let mut h = Sha256::new();
        for e in &self.entries {
            h.update(e.to_string().as_bytes());
            h.update(b"\n");
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}
