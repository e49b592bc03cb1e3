//! What the key browser draws: one row per live key (type, TTL, size, value preview), filtered by
//! a Redis glob, and the full value of one key. Reading never changes the store: keys whose
//! deadline has passed are hidden (as KEYS hides them) without being deleted. Edits and deletes
//! from the browser go through [`Store::execute`] like any other client's commands.

use serde::{Deserialize, Serialize};

use super::cli::quote;
use super::glob;
use super::num::format_score;
use super::store::Store;
use super::value::{KeyType, Value};
use crate::sim::SimTime;

/// One row of the key browser.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeyRow {
    pub key: Vec<u8>,
    /// The key as redis-cli would print it (quoted, escaped): safe to show as text.
    pub key_display: String,
    pub key_type: KeyType,
    /// Milliseconds left before the key expires, `None` for a key without a deadline.
    pub ttl_ms: Option<u64>,
    /// String length in bytes, or element count of a collection.
    pub size: usize,
    /// A short, escaped preview of the value (at most [`PREVIEW_CHARS`] characters plus `…`).
    pub preview: String,
}

/// A key eviction removed recently and that has not come back, as the key browser lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvictedRow {
    pub key: Vec<u8>,
    /// The key as redis-cli would print it (quoted, escaped): safe to show as text.
    pub key_display: String,
    /// The `maxmemory-policy` that evicted it.
    pub policy: &'static str,
    /// How long ago, in store milliseconds.
    pub ago_ms: u64,
}

/// The full value of one key, for the browser's modal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FullValue {
    String(Vec<u8>),
    List(Vec<Vec<u8>>),
    /// In the order SMEMBERS replies.
    Set(Vec<Vec<u8>>),
    Hash(Vec<(Vec<u8>, Vec<u8>)>),
    /// Ascending by (score, member).
    ZSet(Vec<(Vec<u8>, f64)>),
    /// Entries in ID order (newest last; [`Store::browser_value`] keeps only the newest
    /// [`STREAM_ENTRIES_SHOWN`]), then the groups.
    Stream {
        entries: Vec<(String, super::stream::Fields)>,
        /// XLEN: entries in the stream, shown or not.
        total: usize,
        /// The stream's last ID (XINFO STREAM's last-generated-id).
        last_id: String,
        groups: Vec<GroupView>,
    },
}

/// Entries of a stream the key browser shows (the newest ones).
pub const STREAM_ENTRIES_SHOWN: usize = 100;
/// Pending entries shown per consumer (the oldest ones, as XPENDING lists them).
pub const PENDING_SHOWN: usize = 50;

/// A consumer group as the key browser shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupView {
    pub name: Vec<u8>,
    pub last_delivered: String,
    /// Entries delivered and not yet acknowledged (XPENDING's count).
    pub pending: usize,
    pub consumers: Vec<ConsumerView>,
}

/// A consumer and its pending entries (XPENDING key group - + count consumer).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConsumerView {
    pub name: Vec<u8>,
    /// Milliseconds since the consumer was last seen (XINFO CONSUMERS' idle).
    pub idle_ms: u64,
    /// Its pending entries, oldest first ([`Store::browser_value`]: at most [`PENDING_SHOWN`]).
    pub pending: Vec<PendingView>,
    /// All its pending entries, shown or not.
    pub pending_total: usize,
}

/// One pending entry: its ID, milliseconds since its last delivery and how often it was delivered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingView {
    pub id: String,
    pub idle_ms: u64,
    pub deliveries: u64,
}

pub const PREVIEW_CHARS: usize = 60;

fn truncate(mut s: String) -> String {
    if s.chars().count() > PREVIEW_CHARS {
        s = s.chars().take(PREVIEW_CHARS).collect();
        s.push('…');
    }
    s
}

fn preview(v: &Value) -> String {
    let join = |items: Vec<String>| items.join(", ");
    // Only the first few elements are rendered; long collections end in an ellipsis anyway.
    const FIRST: usize = 8;
    truncate(match v {
        Value::Str(s) => quote(&s[..s.len().min(PREVIEW_CHARS * 4)]),
        Value::List(l) => format!("[{}]", join(l.iter().take(FIRST).map(|e| quote(e)).collect())),
        Value::Set(s) => {
            format!(
                "{{{}}}",
                join(super::cmd::sets::reply_order(s.iter()).iter().take(FIRST).map(|e| quote(e)).collect())
            )
        }
        Value::Hash(h) => {
            format!("{{{}}}", join(h.iter().take(FIRST).map(|(f, v)| format!("{}: {}", quote(f), quote(v))).collect()))
        }
        Value::ZSet(z) => {
            join(z.iter().take(FIRST).map(|(m, s)| format!("{} ({})", quote(m), format_score(s))).collect())
        }
        Value::Stream(s) => join(
            s.entries()
                .iter()
                .take(FIRST)
                .map(|(id, f)| {
                    let pairs: Vec<String> = f.iter().map(|(k, v)| format!("{}: {}", quote(k), quote(v))).collect();
                    format!("{id} {{{}}}", pairs.join(", "))
                })
                .collect(),
        ),
    })
}

impl Store {
    fn live_deadline(&self, key: &[u8], now_ms: i64) -> Result<Option<i64>, ()> {
        match self.expires.get(key) {
            Some(&w) if now_ms > w => Err(()),
            Some(&w) => Ok(Some(w)),
            None => Ok(None),
        }
    }

    fn now_ms_for(&self, now: SimTime) -> i64 {
        i64::try_from(self.store_time(now).as_unix_ms()).unwrap_or(i64::MAX)
    }

    /// Live keys matching `pattern` (Redis glob; `*` for all), sorted by key bytes, at most `limit`.
    pub fn browse(&self, now: SimTime, pattern: &[u8], limit: usize) -> Vec<KeyRow> {
        self.browse_by(now, pattern, limit, |a, b| a.0.cmp(b.0)).0
    }

    /// The `limit` live keys with the longest time to live (keys without one last, ties by key
    /// bytes), and how many live keys there are: what a panel showing "the freshest cache entries
    /// of N" needs, without formatting a row for every key.
    pub fn browse_longest_ttl(&self, now: SimTime, limit: usize) -> (Vec<KeyRow>, usize) {
        // A later deadline is a longer TTL; `None` (no TTL) sorts after every deadline.
        self.browse_by(now, b"*", limit, |a, b| match (a.2, b.2) {
            (Some(x), Some(y)) => y.cmp(&x).then(a.0.cmp(b.0)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.0.cmp(b.0),
        })
    }

    /// Live keys matching `pattern`, the first `limit` of them in `order`, and how many matched.
    /// Sorts and cuts the matches first, then formats only the rows drawn: pages call this every
    /// 100 ms or every frame, and a preview (a set's reply order, escaping) is the costly part.
    fn browse_by(
        &self,
        now: SimTime,
        pattern: &[u8],
        limit: usize,
        order: impl Fn(&(&[u8], &Value, Option<i64>), &(&[u8], &Value, Option<i64>)) -> std::cmp::Ordering,
    ) -> (Vec<KeyRow>, usize) {
        let now_ms = self.now_ms_for(now);
        let mut live: Vec<(&[u8], &Value, Option<i64>)> = self
            .db
            .iter()
            .filter(|(k, _)| pattern == b"*" || glob::matches(pattern, k, false))
            .filter_map(|(k, v)| Some((&**k, v, self.live_deadline(k, now_ms).ok()?)))
            .collect();
        let matched = live.len();
        if live.len() > limit {
            live.select_nth_unstable_by(limit, &order);
            live.truncate(limit);
        }
        live.sort_unstable_by(&order);
        let rows = live
            .into_iter()
            .map(|(k, v, deadline)| KeyRow {
                key: k.to_vec(),
                key_display: quote(k),
                key_type: v.key_type(),
                ttl_ms: deadline.map(|w| (w - now_ms).max(0) as u64),
                size: v.len(),
                preview: preview(v),
            })
            .collect();
        (rows, matched)
    }

    /// Keys of database `db` (the active one, as in [`Store::with_database`]) that eviction removed
    /// recently, matching `pattern`, newest first, each once, without those that exist again.
    /// Bounded by the store's [`super::evict::RECENT_EVICTED`].
    pub fn evicted_rows(&self, db: usize, now: SimTime, pattern: &[u8]) -> Vec<EvictedRow> {
        let now_ms = self.now_ms_for(now);
        let mut rows: Vec<EvictedRow> = Vec::new();
        for e in self.recently_evicted().rev() {
            let gone = !self.db.contains_key(&e.key) || self.live_deadline(&e.key, now_ms).is_err();
            if e.db == db
                && gone
                && (pattern == b"*" || glob::matches(pattern, &e.key, false))
                && !rows.iter().any(|r| *r.key == *e.key)
            {
                rows.push(EvictedRow {
                    key: e.key.to_vec(),
                    key_display: quote(&e.key),
                    policy: e.policy.name(),
                    ago_ms: u64::try_from(now_ms.saturating_sub(e.at_ms)).unwrap_or(0),
                });
            }
        }
        rows
    }

    /// The whole value of `key` and its TTL in ms, if the key is live.
    pub fn full_value(&self, now: SimTime, key: &[u8]) -> Option<(FullValue, Option<u64>)> {
        self.value_view(now, key, usize::MAX, usize::MAX)
    }

    /// What the key browser's modal shows of `key`: [`Store::full_value`], but a stream only
    /// with its newest [`STREAM_ENTRIES_SHOWN`] entries and each consumer's oldest
    /// [`PENDING_SHOWN`] pending entries (it is redrawn every clock tick).
    pub fn browser_value(&self, now: SimTime, key: &[u8]) -> Option<(FullValue, Option<u64>)> {
        self.value_view(now, key, STREAM_ENTRIES_SHOWN, PENDING_SHOWN)
    }

    fn value_view(
        &self,
        now: SimTime,
        key: &[u8],
        entries_max: usize,
        pending_max: usize,
    ) -> Option<(FullValue, Option<u64>)> {
        let now_ms = self.now_ms_for(now);
        let deadline = self.live_deadline(key, now_ms).ok()?;
        let v = self.db.get(key)?;
        let full = match v {
            Value::Str(s) => FullValue::String(s.to_vec()),
            Value::List(l) => FullValue::List(l.iter().cloned().collect()),
            Value::Set(s) => FullValue::Set(super::cmd::sets::reply_order(s.iter())),
            Value::Hash(h) => FullValue::Hash(h.iter().map(|(f, v)| (f.clone(), v.clone())).collect()),
            Value::ZSet(z) => FullValue::ZSet(z.iter().map(|(m, s)| (m.to_vec(), s)).collect()),
            Value::Stream(s) => {
                let since = |t: i64| u64::try_from(now_ms.saturating_sub(t)).unwrap_or(0);
                let mut entries: Vec<(String, super::stream::Fields)> =
                    s.entries().iter().rev().take(entries_max).map(|(id, f)| (id.to_string(), f.clone())).collect();
                entries.reverse();
                let groups = s
                    .groups
                    .iter()
                    .map(|(name, g)| GroupView {
                        name: name.clone(),
                        last_delivered: g.last_id.to_string(),
                        pending: g.pel.len(),
                        consumers: g
                            .consumers
                            .iter()
                            .map(|(c, cons)| ConsumerView {
                                name: c.clone(),
                                idle_ms: since(cons.seen_time),
                                pending: cons
                                    .pel
                                    .iter()
                                    .take(pending_max)
                                    .map(|id| {
                                        let nack = g.pel.get(id);
                                        PendingView {
                                            id: id.to_string(),
                                            idle_ms: nack.map_or(0, |n| since(n.delivery_time)),
                                            deliveries: nack.map_or(0, |n| n.delivery_count),
                                        }
                                    })
                                    .collect(),
                                pending_total: cons.pel.len(),
                            })
                            .collect(),
                    })
                    .collect();
                FullValue::Stream { entries, total: s.len(), last_id: s.last_id.to_string(), groups }
            }
        };
        Some((full, deadline.map(|w| (w - now_ms).max(0) as u64)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{SimDuration, SimRng, TEST_EPOCH};

    /// The key browser's evicted rows: keys of the shown database that eviction removed, newest
    /// first, each once, with the policy that evicted them; a key written again leaves the list;
    /// the filter applies.
    #[test]
    fn evicted_rows_name_the_policy_and_leave_when_the_key_returns() {
        let mut s = Store::new(SimRng::new(1));
        let t = TEST_EPOCH;
        let run = |s: &mut Store, at: SimTime, line: &str| s.execute(at, &crate::redis::cli::tokenize(line).unwrap());
        let base = s.used_memory();
        run(&mut s, t, "CONFIG SET maxmemory-policy allkeys-lru");
        run(&mut s, t, &format!("CONFIG SET maxmemory {}", base + 600));
        for i in 0..12 {
            run(&mut s, t + SimDuration::from_millis(i * 1000), &format!("SET key:{i} {}", "v".repeat(60)));
        }
        run(&mut s, t + SimDuration::from_millis(12_000), "SELECT 0");
        let later = t + SimDuration::from_millis(20_000);
        let rows = s.evicted_rows(0, later, b"*");
        assert!(rows.len() >= 3, "several keys were evicted: {rows:?}");
        assert!(rows.iter().all(|r| r.policy == "allkeys-lru" && s.full_value(later, &r.key).is_none()));
        assert!(rows.windows(2).all(|w| w[0].ago_ms <= w[1].ago_ms), "newest first");
        let first = rows.last().unwrap().key.clone();
        assert_eq!(first, b"key:0".to_vec(), "LRU evicts the idlest first");
        // Written again, it is live and no longer listed as evicted; the filter narrows; another
        // database's list is empty.
        run(&mut s, later, "CONFIG SET maxmemory 0");
        run(&mut s, later, "SET key:0 back");
        let again = s.evicted_rows(0, later, b"*");
        assert!(again.iter().all(|r| r.key != first) && again.len() == rows.len() - 1);
        assert_eq!(s.evicted_rows(0, later, b"key:1").len(), usize::from(rows.iter().any(|r| r.key == b"key:1")));
        assert!(s.evicted_rows(1, later, b"*").is_empty());
    }

    #[test]
    fn rows_hide_expired_keys_and_escape_text() {
        let mut s = Store::new(SimRng::new(1));
        let t = TEST_EPOCH;
        for line in [
            "SET user:1 \"<img src=x onerror=alert(1)>\"",
            "SET user:2 bob PX 500",
            "RPUSH queue a b c",
            "HSET h f v",
            "ZADD z 1.5 m",
            "SADD s 3 1 2",
        ] {
            s.execute(t, &crate::redis::cli::tokenize(line).unwrap());
        }
        s.execute(t, &[b"SET".to_vec(), b"bin\n".to_vec(), vec![0, 255, b'"']]);
        let rows = s.browse(t + SimDuration::from_millis(100), b"*", 100);
        let shown: Vec<String> = rows
            .iter()
            .map(|r| {
                format!("{} {} ttl={:?} size={} {}", r.key_display, r.key_type.name(), r.ttl_ms, r.size, r.preview)
            })
            .collect();
        expect_test::expect![[r#"
            "bin\n" string ttl=None size=3 "\x00\xff\""
            "h" hash ttl=None size=1 {"f": "v"}
            "queue" list ttl=None size=3 ["a", "b", "c"]
            "s" set ttl=None size=3 {"1", "2", "3"}
            "user:1" string ttl=None size=28 "<img src=x onerror=alert(1)>"
            "user:2" string ttl=Some(400) size=3 "bob"
            "z" zset ttl=None size=1 "m" (1.5)"#]]
        .assert_eq(&shown.join("\n"));
        // Past the deadline the row disappears, though nothing deleted the key yet.
        assert_eq!(s.browse(t + SimDuration::from_millis(501), b"user:*", 100).len(), 1);
        assert_eq!(s.dbsize(), 7);
        assert_eq!(
            (s.live_count(t + SimDuration::from_millis(500)), s.live_count(t + SimDuration::from_millis(501))),
            (7, 6)
        );
        assert_eq!(s.full_value(t, b"z"), Some((FullValue::ZSet(vec![(b"m".to_vec(), 1.5)]), None)));
        assert_eq!(s.full_value(t + SimDuration::from_millis(600), b"user:2"), None);
    }

    #[test]
    fn a_stream_shows_its_newest_entries_last_its_groups_and_each_consumers_pending_entries() {
        let mut s = Store::new(SimRng::new(3));
        let t = TEST_EPOCH;
        for i in 1..=150 {
            s.execute_str(t, &format!("XADD st {i}-0 n {i}"));
        }
        s.execute_str(t, "XGROUP CREATE st workers 0");
        s.execute_str(t, "XREADGROUP GROUP workers alice COUNT 2 STREAMS st >");
        let later = t + SimDuration::from_millis(1500);
        s.execute_str(later, "XREADGROUP GROUP workers bob COUNT 1 STREAMS st >");
        s.execute_str(later, "XACK st workers 1-0");
        let at = later + SimDuration::from_millis(250);
        let Some((FullValue::Stream { entries, total, last_id, groups }, None)) = s.browser_value(at, b"st") else {
            panic!("a stream");
        };
        assert_eq!((entries.len(), total, last_id.as_str()), (STREAM_ENTRIES_SHOWN, 150, "150-0"));
        assert_eq!((entries[0].0.as_str(), entries[99].0.as_str()), ("51-0", "150-0"), "the newest, newest last");
        let shown: Vec<String> = groups[0]
            .consumers
            .iter()
            .map(|c| {
                let p: Vec<String> =
                    c.pending.iter().map(|p| format!("{} idle {} ms × {}", p.id, p.idle_ms, p.deliveries)).collect();
                format!(
                    "{} idle {} ms, {} pending: {}",
                    String::from_utf8_lossy(&c.name),
                    c.idle_ms,
                    c.pending_total,
                    p.join(", ")
                )
            })
            .collect();
        expect_test::expect![[r#"
            alice idle 1750 ms, 1 pending: 2-0 idle 1750 ms × 1
            bob idle 250 ms, 1 pending: 3-0 idle 250 ms × 1"#]]
        .assert_eq(&shown.join("\n"));
        assert_eq!((groups[0].pending, groups[0].last_delivered.as_str()), (2, "3-0"));
        let Some((FullValue::Stream { entries, .. }, _)) = s.full_value(at, b"st") else { panic!("a stream") };
        assert_eq!(entries.len(), 150, "full_value (MIGRATE's copy) keeps every entry");
    }

    #[test]
    fn a_limit_keeps_the_first_keys_in_byte_order() {
        let mut s = Store::new(SimRng::new(2));
        for i in (0..50).rev() {
            s.execute(TEST_EPOCH, &[b"SET".to_vec(), format!("k{i:02}").into_bytes(), b"v".to_vec()]);
        }
        s.execute(TEST_EPOCH, &crate::redis::cli::tokenize("SET k00 gone PX 5").unwrap());
        let later = TEST_EPOCH + SimDuration::from_millis(10);
        let keys: Vec<String> = s.browse(later, b"k*", 3).iter().map(|r| r.key_display.clone()).collect();
        assert_eq!(keys, ["\"k01\"", "\"k02\"", "\"k03\""], "expired k00 is skipped before the cut");
        assert_eq!(s.browse(later, b"k4?", 100).len(), 10);
        assert_eq!(s.browse(later, b"*", 0).len(), 0);
    }

    #[test]
    fn longest_ttl_first_then_keys_without_one_and_the_live_count() {
        let mut s = Store::new(SimRng::new(3));
        for line in ["SET a 1 EX 10", "SET b 1 EX 30", "SET c 1", "SET d 1 EX 30", "SET e 1 PX 5", "SET f 1 EX 20"] {
            s.execute(TEST_EPOCH, &crate::redis::cli::tokenize(line).unwrap());
        }
        let later = TEST_EPOCH + SimDuration::from_millis(10);
        let (rows, live) = s.browse_longest_ttl(later, 4);
        let keys: Vec<&str> = rows.iter().map(|r| r.key_display.as_str()).collect();
        assert_eq!(keys, ["\"b\"", "\"d\"", "\"f\"", "\"a\""], "expired e is not counted, c (no TTL) is last");
        assert_eq!(live, 5);
        let (all, _) = s.browse_longest_ttl(later, 100);
        assert_eq!(all.last().map(|r| r.key_display.as_str()), Some("\"c\""));
    }
}
