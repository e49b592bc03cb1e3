//! The trace: one serializable entry per processed event, with a stable one-line rendering that
//! snapshot tests and determinism checks compare byte for byte, JSON export, and a SHA-256 digest
//! of the rendering that native and browser runs compare.
//!
//! A trace is off by default (a disabled trace costs one branch per event and allocates nothing).
//! The UI keeps a bounded window with [`Trace::set_limit`]; the digest covers the entries kept.

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
    /// Keep only the newest this many entries (None: keep all).
    #[serde(default)]
    limit: Option<usize>,
    /// Entries pushed out by the limit.
    #[serde(default)]
    evicted: u64,
}

/// Feeds formatted text straight into a hasher, so digesting allocates no strings.
struct HashWriter<'a>(&'a mut Sha256);

impl fmt::Write for HashWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.update(s.as_bytes());
        Ok(())
    }
}

impl Trace {
    /// An enabled, unbounded trace.
    pub fn recording() -> Self {
        Trace { enabled: true, ..Trace::default() }
    }
    pub fn enabled(&self) -> bool {
        self.enabled
    }
    pub fn set_enabled(&mut self, on: bool) {
        self.enabled = on;
    }
    /// Keeps only the newest `limit` entries from now on (`None`: keep everything).
    pub fn set_limit(&mut self, limit: Option<usize>) {
        self.limit = limit;
        self.enforce_limit(true);
    }
    pub fn limit(&self) -> Option<usize> {
        self.limit
    }
    /// How many entries the limit has pushed out.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }
    /// Evicts lazily (when the vector holds twice the limit) so pushing stays amortised O(1).
    fn enforce_limit(&mut self, exact: bool) {
        if let Some(limit) = self.limit {
            let len = self.entries.len();
            if len > limit && (exact || len >= limit.saturating_mul(2).max(limit + 1)) {
                let n = len - limit;
                self.entries.drain(..n);
                self.evicted = self.evicted.saturating_add(n as u64);
            }
        }
    }
    pub fn push(&mut self, e: TraceEntry) {
        self.entries.push(e);
        self.enforce_limit(false);
    }
    /// The entries kept, oldest first.
    pub fn entries(&self) -> &[TraceEntry] {
        let start = match self.limit {
            Some(limit) => self.entries.len().saturating_sub(limit),
            None => 0,
        };
        &self.entries[start..]
    }
    pub fn len(&self) -> usize {
        self.entries().len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries().is_empty()
    }
    pub fn last(&self) -> Option<&TraceEntry> {
        self.entries.last()
    }
    pub fn clear(&mut self) {
        self.entries.clear();
        self.evicted = 0;
    }
    /// The stable text rendering: one line per entry.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for e in self.entries() {
            s.push_str(&e.to_string());
            s.push('\n');
        }
        s
    }
    /// The entries as a JSON array of `{seq, at_ms, node, what}` objects.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self.entries()).expect("trace entries are plain data")
    }
    /// Reads back what [`Trace::to_json`] wrote.
    pub fn entries_from_json(json: &str) -> Result<Vec<TraceEntry>, serde_json::Error> {
        serde_json::from_str(json)
    }
    /// SHA-256 of the text rendering, hex: what native and browser runs compare.
    pub fn digest(&self) -> String {
        use fmt::Write;
        let mut h = Sha256::new();
        for e in self.entries() {
            let _ = writeln!(HashWriter(&mut h), "{e}");
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(i: u64) -> TraceEntry {
        TraceEntry { seq: i, at_ms: i * 1500, node: format!("n{}", i % 3), what: format!("event {i}") }
    }

    #[test]
    fn text_json_and_digest_are_stable() {
        let mut t = Trace::recording();
        for i in 0..3 {
            t.push(entry(i));
        }
        expect_test::expect![[r#"
            |       0.000 #0 n0: event 0
            |       1.500 #1 n1: event 1
            |       3.000 #2 n2: event 2
        "#]]
        .assert_eq(&t.to_text().lines().map(|l| format!("|{l}\n")).collect::<String>());
        expect_test::expect![[r#"[{"seq":0,"at_ms":0,"node":"n0","what":"event 0"},{"seq":1,"at_ms":1500,"node":"n1","what":"event 1"},{"seq":2,"at_ms":3000,"node":"n2","what":"event 2"}]"#]]
        .assert_eq(&t.to_json());
        assert_eq!(Trace::entries_from_json(&t.to_json()).unwrap(), t.entries());
        // The digest is SHA-256 of exactly the text rendering.
        let direct: String = Sha256::digest(t.to_text().as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(t.digest(), direct);
        expect_test::expect!["4f9bf82bf910931fa3bd6f007775c88875ceaf3f71bf85264e5772aad658af53"].assert_eq(&t.digest());
    }

    #[test]
    fn a_limited_trace_keeps_the_newest_entries() {
        let mut t = Trace::recording();
        t.set_limit(Some(4));
        for i in 0..11 {
            t.push(entry(i));
        }
        let seqs: Vec<u64> = t.entries().iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [7, 8, 9, 10]);
        assert_eq!(t.len(), 4);
        t.set_limit(Some(2));
        assert_eq!(t.evicted(), 9);
        assert_eq!(t.entries().iter().map(|e| e.seq).collect::<Vec<_>>(), [9, 10]);
        t.set_limit(None);
        t.push(entry(11));
        assert_eq!(t.len(), 3);
    }
}
