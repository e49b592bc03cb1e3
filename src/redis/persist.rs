//! Export and import of the dataset (the page keeps it in localStorage): a versioned JSON
//! document, validated on the way in so corrupt or hand-edited input is a clear error and never a
//! half-loaded store.
//!
//! Bytes are stored as a JSON string when they are UTF-8 and as `{"hex": "…"}` otherwise; scores
//! are strings in Redis's own format (`inf`, `1.5`) because JSON has no infinity.

use super::keyspace::{Keyspace, Map, Set};
use serde::{Deserialize, Serialize};

use super::databases::Db;
use super::limits::Breach;
use super::num;
use super::store::Store;
use super::stream::{parse_id, Consumer, Group, IdForm, Nack, Stream, INVALID_ENTRIES_READ};
use super::value::{Value, ZSet};
use crate::sim::SimTime;

pub const FORMAT_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Bytes {
    Text(String),
    Hex { hex: String },
}

impl Bytes {
    pub fn from_slice(b: &[u8]) -> Bytes {
        match std::str::from_utf8(b) {
            Ok(s) => Bytes::Text(s.to_string()),
            Err(_) => Bytes::Hex { hex: b.iter().map(|c| format!("{c:02x}")).collect() },
        }
    }
    fn decode(&self) -> Result<Vec<u8>, ImportError> {
        match self {
            Bytes::Text(s) => Ok(s.as_bytes().to_vec()),
            Bytes::Hex { hex } => {
                if hex.len() % 2 != 0 || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
                    return Err(ImportError::BadHex(hex.chars().take(40).collect()));
                }
                Ok((0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0)).collect())
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "lowercase")]
pub enum SnapshotValue {
    String(Bytes),
    List(Vec<Bytes>),
    Set(Vec<Bytes>),
    Hash(Vec<(Bytes, Bytes)>),
    Zset(Vec<(Bytes, String)>),
    Stream(SnapshotStream),
}

/// A stream: its entries, its counters and its consumer groups.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapshotStream {
    /// `[id, [[field, value], …]]` in ID order.
    pub entries: Vec<(String, Vec<(Bytes, Bytes)>)>,
    pub last_id: String,
    pub max_deleted_id: String,
    pub entries_added: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<SnapshotGroup>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapshotGroup {
    pub name: Bytes,
    pub last_id: String,
    /// -1 when unknown.
    pub entries_read: i64,
    /// `[name, seen_time_ms]`.
    pub consumers: Vec<(Bytes, i64)>,
    /// `[id, consumer, delivery_time_ms, delivery_count]`.
    pub pending: Vec<(String, Bytes, i64, u64)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapshotKey {
    pub key: Bytes,
    /// Absolute deadline on the store's clock (Unix ms), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at_ms: Option<i64>,
    #[serde(flatten)]
    pub value: SnapshotValue,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub version: u32,
    /// What DEBUG SLEEP had added to the clock, so deadlines keep their meaning.
    #[serde(default)]
    pub clock_offset_ms: u64,
    /// Database 0's keys (every snapshot has them; older ones have nothing else).
    pub keys: Vec<SnapshotKey>,
    /// The other numbered databases that hold keys, by index (SELECT 3 and SET k v survive a
    /// reload). Absent when they are all empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub databases: Vec<SnapshotDb>,
}

/// One database other than 0.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapshotDb {
    pub index: usize,
    pub keys: Vec<SnapshotKey>,
}

/// Why stored data could not be loaded.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ImportError {
    #[error("stored dataset is not valid JSON for this format: {0}")]
    Json(String),
    #[error("stored dataset has format version {found}; this build reads version {supported}")]
    Version { found: u32, supported: u32 },
    #[error("stored dataset lists key {0:?} twice")]
    DuplicateKey(String),
    #[error("stored dataset has a stream at key {key:?} that does not load: {reason}")]
    BadStream { key: String, reason: String },
    #[error("stored dataset has database {index}; this store has databases 0 to {last} (each listed once)")]
    BadDatabase { index: usize, last: usize },
    #[error("stored dataset has an empty {kind} at key {key:?}; Redis never keeps empty collections")]
    EmptyCollection { key: String, kind: &'static str },
    #[error("stored dataset has score {score:?} at key {key:?}; a score is a float such as 1.5, inf or -inf")]
    BadScore { key: String, score: String },
    #[error("stored dataset has invalid hex bytes {0:?}; expected an even number of hex digits")]
    BadHex(String),
    /// Over one of the playground's limits — the same check every command passes before it
    /// runs, so an export of this build's store never lands here.
    #[error("stored dataset holds {0}")]
    OverLimit(#[from] Breach),
}

fn export_stream(s: &Stream) -> SnapshotStream {
    let b = |v: &[u8]| Bytes::from_slice(v);
    SnapshotStream {
        entries: s
            .entries()
            .iter()
            .map(|(id, f)| (id.to_string(), f.iter().map(|(k, v)| (b(k), b(v))).collect()))
            .collect(),
        last_id: s.last_id.to_string(),
        max_deleted_id: s.max_deleted_entry_id.to_string(),
        entries_added: s.entries_added,
        groups: s
            .groups
            .iter()
            .map(|(name, g)| SnapshotGroup {
                name: b(name),
                last_id: g.last_id.to_string(),
                entries_read: g.entries_read,
                consumers: g.consumers.iter().map(|(n, c)| (b(n), c.seen_time)).collect(),
                pending: g
                    .pel
                    .iter()
                    .map(|(id, n)| (id.to_string(), b(&n.consumer), n.delivery_time, n.delivery_count))
                    .collect(),
            })
            .collect(),
    }
}

fn import_stream(st: &SnapshotStream) -> Result<Stream, String> {
    let id = |s: &str| parse_id(s.as_bytes(), 0, IdForm::Strict).map(|(id, _)| id).ok_or(format!("bad id {s:?}"));
    let bytes = |b: &Bytes| b.decode().map_err(|e| e.to_string());
    let mut entries = Vec::with_capacity(st.entries.len());
    for (eid, fields) in &st.entries {
        if fields.is_empty() {
            return Err(format!("entry {eid} has no fields"));
        }
        let f = fields.iter().map(|(k, v)| Ok((bytes(k)?, bytes(v)?))).collect::<Result<Vec<_>, String>>()?;
        entries.push((id(eid)?, f));
    }
    let mut groups = crate::sim::vec_map::VecMap::new();
    for g in &st.groups {
        let mut grp = Group::new(id(&g.last_id)?, g.entries_read.max(INVALID_ENTRIES_READ));
        for (n, seen) in &g.consumers {
            grp.consumers.insert(bytes(n)?, Consumer { seen_time: *seen, pel: Default::default() });
        }
        for (pid, consumer, time, count) in &g.pending {
            let pid = id(pid)?;
            let consumer = bytes(consumer)?;
            let c = grp.consumers.get_mut(&consumer).ok_or(format!("pending entry {pid} names an unknown consumer"))?;
            c.pel.insert(pid);
            let nack = Nack { delivery_time: *time, delivery_count: *count, consumer };
            if grp.pel.insert(pid, nack).is_some() {
                return Err(format!("pending entry {pid} is listed twice"));
            }
        }
        if groups.insert(bytes(&g.name)?, grp).is_some() {
            return Err("a group is listed twice".into());
        }
    }
    Stream::restore(entries, id(&st.last_id)?, id(&st.max_deleted_id)?, st.entries_added, groups)
}

impl Store {
    /// The live dataset of every database (expired keys left out) at caller time `now`.
    pub fn export(&self, now: SimTime) -> Snapshot {
        let now_ms = i64::try_from(self.store_time(now).as_unix_ms()).unwrap_or(i64::MAX);
        let keys = self.export_database(0, now_ms);
        let databases = (1..self.database_count())
            .filter(|&i| self.database_len(i) > 0)
            .map(|index| SnapshotDb { index, keys: self.export_database(index, now_ms) })
            .filter(|d| !d.keys.is_empty())
            .collect();
        Snapshot { version: FORMAT_VERSION, clock_offset_ms: self.clock_offset.as_millis(), keys, databases }
    }

    fn export_database(&self, index: usize, now_ms: i64) -> Vec<SnapshotKey> {
        let (db, expires) = self.db_view(index);
        let mut keys = Vec::new();
        for (k, v) in db {
            let exp = expires.get(k).copied();
            if exp.is_some_and(|w| now_ms > w) {
                continue;
            }
            let value = match v {
                Value::Str(s) => SnapshotValue::String(Bytes::from_slice(s)),
                Value::List(l) => SnapshotValue::List(l.iter().map(|e| Bytes::from_slice(e)).collect()),
                Value::Set(s) => SnapshotValue::Set(s.iter().map(|e| Bytes::from_slice(e)).collect()),
                Value::Hash(h) => {
                    SnapshotValue::Hash(h.iter().map(|(f, v)| (Bytes::from_slice(f), Bytes::from_slice(v))).collect())
                }
                Value::ZSet(z) => {
                    SnapshotValue::Zset(z.iter().map(|(m, s)| (Bytes::from_slice(m), num::format_score(s))).collect())
                }
                Value::Stream(s) => SnapshotValue::Stream(export_stream(s)),
            };
            keys.push(SnapshotKey { key: Bytes::from_slice(k), expires_at_ms: exp, value });
        }
        keys
    }

    pub fn export_json(&self, now: SimTime) -> String {
        serde_json::to_string(&self.export(now)).unwrap_or_else(|_| "{}".into())
    }

    /// Replaces the dataset (every database) with `snapshot` after validating all of it; on
    /// error the store is unchanged. The limits count every database together, as commands do.
    pub fn import(&mut self, snapshot: &Snapshot) -> Result<(), ImportError> {
        if snapshot.version != FORMAT_VERSION {
            return Err(ImportError::Version { found: snapshot.version, supported: FORMAT_VERSION });
        }
        // The key count first, so an oversized document is refused before anything is built.
        let listed = snapshot.databases.iter().fold(snapshot.keys.len(), |n, d| n.saturating_add(d.keys.len()));
        self.limits.check_totals(listed, 0)?;
        let n = self.database_count();
        let mut loaded: Vec<(usize, Db)> = Vec::with_capacity(1 + snapshot.databases.len());
        let (mut total_keys, mut cost) = (0usize, 0u64);
        let lists = std::iter::once((0, &snapshot.keys)).chain(snapshot.databases.iter().map(|d| (d.index, &d.keys)));
        for (index, keys) in lists {
            if index >= n || loaded.iter().any(|(i, ..)| *i == index) {
                return Err(ImportError::BadDatabase { index, last: n - 1 });
            }
            loaded.push((index, self.import_keys(keys, &mut total_keys, &mut cost)?));
        }
        for i in 0..n {
            self.with_database(i, |s| {
                s.db.clear();
                s.expires.clear();
            });
        }
        for (index, db) in loaded {
            self.with_database(index, |s| {
                s.db = db.keys;
                s.expires = db.expires;
            });
        }
        self.clock_offset = crate::sim::SimDuration::from_millis(snapshot.clock_offset_ms);
        Ok(())
    }

    /// One database's keys, validated, counted into the running totals.
    fn import_keys(&self, keys: &[SnapshotKey], total_keys: &mut usize, cost: &mut u64) -> Result<Db, ImportError> {
        let mut db = Keyspace::new();
        let mut expires: Map<Box<[u8]>, i64> = Map::default();
        for sk in keys {
            let key = sk.key.decode()?;
            let name = String::from_utf8_lossy(&key).into_owned();
            let nonempty = |n: usize, kind: &'static str| {
                if n == 0 {
                    Err(ImportError::EmptyCollection { key: name.clone(), kind })
                } else {
                    Ok(())
                }
            };
            let decode_all = |items: &[Bytes]| items.iter().map(Bytes::decode).collect::<Result<Vec<_>, _>>();
            let value = match &sk.value {
                SnapshotValue::String(b) => Value::str(b.decode()?),
                SnapshotValue::List(items) => {
                    nonempty(items.len(), "list")?;
                    Value::List(Box::new(decode_all(items)?.into_iter().collect()))
                }
                SnapshotValue::Set(items) => {
                    nonempty(items.len(), "set")?;
                    Value::Set(Box::new(decode_all(items)?.into_iter().collect::<Set<Vec<u8>>>()))
                }
                SnapshotValue::Hash(pairs) => {
                    nonempty(pairs.len(), "hash")?;
                    let mut h = Map::default();
                    for (f, v) in pairs {
                        h.insert(f.decode()?, v.decode()?);
                    }
                    Value::Hash(Box::new(h))
                }
                SnapshotValue::Zset(pairs) => {
                    nonempty(pairs.len(), "zset")?;
                    let mut z = ZSet::default();
                    for (m, sc) in pairs {
                        let score = num::parse_f64(sc.as_bytes())
                            .ok_or_else(|| ImportError::BadScore { key: name.clone(), score: sc.clone() })?;
                        z.insert(m.decode()?, score);
                    }
                    Value::ZSet(Box::new(z))
                }
                SnapshotValue::Stream(st) => Value::Stream(Box::new(
                    import_stream(st).map_err(|reason| ImportError::BadStream { key: name.clone(), reason })?,
                )),
            };
            *cost = cost.saturating_add(self.limits.check_value(&key, &value)?);
            *total_keys += 1;
            self.limits.check_totals(*total_keys, *cost)?;
            if db.insert(&key, value).is_some() {
                return Err(ImportError::DuplicateKey(name));
            }
            if let Some(w) = sk.expires_at_ms {
                expires.insert(key.into_boxed_slice(), w);
            }
        }
        Ok(Db { keys: db, expires })
    }

    /// The export as JSON, after checking that it loads again into a store with the same limits:
    /// what a front end writes over a saved copy, so a saved copy is never replaced by one that
    /// would not load.
    pub fn export_checked(&self, now: SimTime) -> Result<String, ImportError> {
        let json = self.export_json(now);
        Store::with_limits(crate::sim::SimRng::new(0), self.limits.clone()).import_json(&json)?;
        Ok(json)
    }

    pub fn import_json(&mut self, json: &str) -> Result<(), ImportError> {
        let snap: Snapshot = serde_json::from_str(json).map_err(|e| ImportError::Json(e.to_string()))?;
        self.import(&snap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redis::cli::tokenize;
    use crate::sim::{SimRng, TEST_EPOCH};

    fn filled() -> Store {
        let mut s = Store::new(SimRng::new(3));
        for line in [
            r#"SET s "hello world" EX 100"#,
            r#"SET bin "\x00\xff""#,
            "RPUSH l a b",
            "SADD set x y",
            "HSET h f1 v1 f2 v2",
            "ZADD z 1.5 a inf b -inf c",
            "SET gone x PX 1",
        ] {
            s.execute(TEST_EPOCH, &tokenize(line).unwrap());
        }
        s
    }

    #[test]
    fn round_trip_keeps_values_deadlines_and_order() {
        let s = filled();
        let later = TEST_EPOCH + crate::sim::SimDuration::from_millis(10);
        let json = s.export_json(later);
        let mut t = Store::new(SimRng::new(9));
        t.import_json(&json).unwrap();
        assert_eq!(t.export_json(later), json);
        assert_eq!(t.browse(later, b"*", 100), s.browse(later, b"*", 100));
        assert!(!json.contains("gone"));
        assert!(json.contains(r#"{"hex":"00ff"}"#));
    }

    #[test]
    fn export_checked_refuses_a_dataset_that_would_not_load() {
        let mut s = filled();
        assert!(s.export_checked(TEST_EPOCH).is_ok());
        // A dataset over the limits can only come from looser limits (an older build); its
        // export is refused, naming why, instead of being written over a good saved copy.
        s.limits.max_keys = 3;
        let e = s.export_checked(TEST_EPOCH).unwrap_err().to_string();
        assert_eq!(e, "stored dataset holds 7 keys, the most allowed is 3");
        s.limits.max_keys = 100;
        s.limits.max_collection_len = 1;
        let e = s.export_checked(TEST_EPOCH).unwrap_err().to_string();
        assert_eq!(e, "stored dataset holds list \"l\" of 2 elements, the most allowed is 1");
    }

    #[test]
    fn corrupt_input_is_a_clear_error_and_leaves_the_store_alone() {
        let mut s = filled();
        let before = s.export_json(TEST_EPOCH);
        let cases = [
            "not json",
            r#"{"version":2,"keys":[]}"#,
            r#"{"version":1,"keys":[{"key":"a","type":"string","value":"x"},{"key":"a","type":"string","value":"y"}]}"#,
            r#"{"version":1,"keys":[{"key":"a","type":"list","value":[]}]}"#,
            r#"{"version":1,"keys":[{"key":"a","type":"zset","value":[["m","nan"]]}]}"#,
            r#"{"version":1,"keys":[{"key":{"hex":"0g"},"type":"string","value":"x"}]}"#,
            r#"{"version":1,"keys":[{"key":"a","type":"stream","value":"x"}]}"#,
        ];
        let errors: Vec<String> = cases.iter().map(|c| s.import_json(c).unwrap_err().to_string()).collect();
        expect_test::expect![[r#"
            stored dataset is not valid JSON for this format: expected ident at line 1 column 2
            stored dataset has format version 2; this build reads version 1
            stored dataset lists key "a" twice
            stored dataset has an empty list at key "a"; Redis never keeps empty collections
            stored dataset has score "nan" at key "a"; a score is a float such as 1.5, inf or -inf
            stored dataset has invalid hex bytes "0g"; expected an even number of hex digits
            stored dataset is not valid JSON for this format: invalid type: string "x", expected struct SnapshotStream at line 1 column 60"#]]
        .assert_eq(&errors.join("\n"));
        assert_eq!(s.export_json(TEST_EPOCH), before);
    }
}
