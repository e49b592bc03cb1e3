//! The trace: one serializable entry per processed event, with a stable one-line rendering that
//! snapshot tests and determinism checks compare byte for byte, JSON export, and a SHA-256 digest
//! of the rendering that native and browser runs compare.
//!
//! A trace is off by default (a disabled trace costs one branch per event and allocates nothing).
//! The UI keeps a bounded window with [`Trace::set_limit`]; the digest covers the entries kept.
//!
//! A *running digest* ([`Trace::set_running_digest`]) hashes every entry as it is recorded, whether
//! or not the entries are kept: it is the SHA-256 of the text rendering of the whole run so far, in
//! constant memory, and it is part of the trace's (and so a snapshot's) state. Rewind relies on it:
//! the digest at a moment is the same however that moment was reached.

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

/// The entry's line, `{seconds:>8}.{ms:03} #{seq} {node}: {what}` ([`TraceEntry::write_line`]).
impl fmt::Display for TraceEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut line = Vec::new();
        self.write_line(&mut line);
        line.pop();
        f.write_str(&String::from_utf8_lossy(&line))
    }
}

impl TraceEntry {
    /// Writes the entry's line, `{seconds:>8}.{ms:03} #{seq} {node}: {what}`, and a newline into
    /// `out` (cleared first): the one definition of the trace's text, which `Display`, the text
    /// export and the digests all use. By hand, since the running digest writes one line per event
    /// and `core::fmt`'s padding and dynamic calls cost more than the hashing in the browser.
    fn write_line(&self, out: &mut Vec<u8>) {
        out.clear();
        let mut n = itoa::Buffer::new();
        let secs = n.format(self.at_ms / 1000);
        out.resize(8usize.saturating_sub(secs.len()), b' ');
        out.extend_from_slice(secs.as_bytes());
        let ms = self.at_ms % 1000;
        out.extend_from_slice(&[b'.', b'0' + (ms / 100) as u8, b'0' + (ms / 10 % 10) as u8, b'0' + (ms % 10) as u8]);
        out.extend_from_slice(b" #");
        out.extend_from_slice(n.format(self.seq).as_bytes());
        out.push(b' ');
        out.extend_from_slice(self.node.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(self.what.as_bytes());
        out.push(b'\n');
    }
}

/// SHA-256 fed one entry line at a time: the digest of everything recorded so far.
#[derive(Clone, Default)]
pub struct RunningDigest {
    hasher: Sha256,
    lines: u64,
    /// The line being hashed (kept to reuse its allocation).
    line: Vec<u8>,
}

impl fmt::Debug for RunningDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RunningDigest({} lines, {})", self.lines, self.hex())
    }
}

impl RunningDigest {
    fn feed(&mut self, e: &TraceEntry) {
        e.write_line(&mut self.line);
        self.hasher.update(&self.line);
        self.lines += 1;
    }
    /// The hex digest of the lines fed so far (the hasher itself goes on).
    pub fn hex(&self) -> String {
        hex(self.hasher.clone().finalize().as_slice())
    }
    /// How many lines were fed.
    pub fn lines(&self) -> u64 {
        self.lines
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A bounded or unbounded record of processed events. Disabled traces cost nothing per event.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Trace {
    enabled: bool,
    /// The running digest, when on (not serialized: it is state, not data).
    #[serde(skip)]
    running: Option<RunningDigest>,
    entries: Vec<TraceEntry>,
    /// Keep only the newest this many entries (None: keep all).
    #[serde(default)]
    limit: Option<usize>,
    /// Entries pushed out by the limit.
    #[serde(default)]
    evicted: u64,
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
    /// Turns the running digest on (from an empty digest, so turn it on before the run starts) or
    /// off. It hashes every recorded entry, kept or not, even while entries are not kept.
    pub fn set_running_digest(&mut self, on: bool) {
        match (on, self.running.is_some()) {
            (true, false) => self.running = Some(RunningDigest::default()),
            (false, true) => self.running = None,
            _ => {}
        }
    }
    /// The running digest's hex, if it is on: SHA-256 of the text of every entry recorded since.
    pub fn running_digest(&self) -> Option<String> {
        self.running.as_ref().map(RunningDigest::hex)
    }
    /// How many entries the running digest has hashed (`None` when it is off).
    pub fn digested(&self) -> Option<u64> {
        self.running.as_ref().map(RunningDigest::lines)
    }
    /// Whether recorded entries go anywhere (kept, or hashed): when false the kernel does not even
    /// describe its events.
    pub fn wants_entries(&self) -> bool {
        self.enabled || self.running.is_some()
    }
    /// Records one entry: hashed into the running digest (if on) and kept (if enabled).
    pub fn record(&mut self, e: TraceEntry) {
        if let Some(r) = &mut self.running {
            r.feed(&e);
        }
        if self.enabled {
            self.push(e);
        }
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
        let (mut text, mut line) = (Vec::new(), Vec::new());
        for e in self.entries() {
            e.write_line(&mut line);
            text.extend_from_slice(&line);
        }
        String::from_utf8(text).expect("trace lines are made of strings")
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
        let mut d = RunningDigest::default();
        for e in self.entries() {
            d.feed(e);
        }
        d.hex()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(i: u64) -> TraceEntry {
        TraceEntry { seq: i, at_ms: i * 1500, node: format!("n{}", i % 3), what: format!("event {i}") }
    }

    /// The line's fields at their edges: seconds wider than the eight-column pad, zero, the largest
    /// times and sequence numbers, multi-byte text, empty node and event.
    #[test]
    fn the_trace_line_pads_seconds_and_keeps_three_millisecond_digits() {
        let line = |seq: u64, at_ms: u64, node: &str, what: &str| {
            TraceEntry { seq, at_ms, node: node.into(), what: what.into() }.to_string()
        };
        let lines = [
            line(0, 0, "", ""),
            line(7, 1_005, "node-7", "ü😀 €"),
            line(12, 99_999_999_999, "a", "x: y"),
            line(u64::MAX, u64::MAX, "  padded  ", "z"),
        ];
        expect_test::expect![[r#"
            [
                "       0.000 #0 : ",
                "       1.005 #7 node-7: ü😀 €",
                "99999999.999 #12 a: x: y",
                "18446744073709551.615 #18446744073709551615   padded  : z",
            ]
        "#]]
        .assert_debug_eq(&lines);
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
    fn the_running_digest_is_the_digest_of_everything_recorded_kept_or_not() {
        let mut full = Trace::recording();
        full.set_running_digest(true);
        let mut bounded = Trace::recording();
        bounded.set_limit(Some(2));
        bounded.set_running_digest(true);
        let mut digest_only = Trace::default();
        digest_only.set_running_digest(true);
        assert!(digest_only.wants_entries() && !digest_only.enabled());
        for i in 0..7 {
            full.record(entry(i));
            bounded.record(entry(i));
            digest_only.record(entry(i));
        }
        assert_eq!(full.running_digest(), Some(full.digest()));
        assert_eq!(bounded.running_digest(), full.running_digest());
        assert_ne!(bounded.digest(), full.digest(), "the bounded trace keeps two entries only");
        assert_eq!(digest_only.running_digest(), full.running_digest());
        assert!(digest_only.is_empty());
        assert_eq!(digest_only.digested(), Some(7));
        // A clone goes on from the same state.
        let mut fork = digest_only.clone();
        fork.record(entry(7));
        full.record(entry(7));
        assert_eq!(fork.running_digest(), Some(full.digest()));
        assert!(!Trace::default().wants_entries());
        assert_eq!(Trace::default().running_digest(), None);
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
