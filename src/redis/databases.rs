//! The numbered databases (16 by default, the `databases` setting).
//!
//! The store's `db`/`expires` fields hold the *active* database: the one the running command's
//! client has SELECTed. Every other database waits in a slot of [`Databases`]; switching swaps the
//! two (a few pointer moves, no copying), so every command handler keeps reading `s.db` and
//! never needs to know which number it is working on. Between calls the active database is
//! database 0, so `dbsize`, `browse`, persistence and the active-expire cycle keep meaning
//! "database 0" for their existing callers.
//!
//! Architecture invariant: outside a command, database 0 is active (`Store::activate_db(0)` ends
//! every entry point in `server.rs`).

use super::keyspace::{Keyspace, Map};
use super::store::Store;
use super::value::{KeyType, Value};

/// Redis's default `databases`.
pub const DEFAULT_DATABASES: usize = 16;

/// One parked database: its keys and their deadlines.
#[derive(Clone, Debug, Default)]
pub(crate) struct Db {
    pub(crate) keys: Keyspace,
    pub(crate) expires: Map<Box<[u8]>, i64>,
}

#[derive(Clone, Debug)]
pub(crate) struct Databases {
    /// One slot per database; the active database's slot is an empty placeholder.
    slots: Vec<Db>,
    active: usize,
}

impl Default for Databases {
    fn default() -> Self {
        Databases { slots: vec![Db::default(); DEFAULT_DATABASES], active: 0 }
    }
}

impl Store {
    /// How many databases the server has (`databases`, 16).
    pub fn database_count(&self) -> usize {
        self.srv.dbs.slots.len()
    }

    /// The database the running command works on.
    pub(crate) fn active_db(&self) -> usize {
        self.srv.dbs.active
    }

    /// Makes database `i` the one `self.db`/`self.expires` hold (`selectDb` for the keyspace).
    #[inline]
    pub(crate) fn activate_db(&mut self, i: usize) {
        if self.srv.dbs.active != i {
            self.switch_db(i);
        }
    }

    fn switch_db(&mut self, i: usize) {
        let cur = self.srv.dbs.active;
        if i >= self.srv.dbs.slots.len() {
            return;
        }
        let dbs = &mut self.srv.dbs;
        std::mem::swap(&mut self.db, &mut dbs.slots[cur].keys);
        std::mem::swap(&mut self.expires, &mut dbs.slots[cur].expires);
        std::mem::swap(&mut self.db, &mut dbs.slots[i].keys);
        std::mem::swap(&mut self.expires, &mut dbs.slots[i].expires);
        dbs.active = i;
    }

    /// Runs `f` with database `i` active and restores the previous one: how a front end reads or
    /// persists a database other than 0 (`with_database(3, |s| s.browse(now, b"*", 50))`).
    pub fn with_database<R>(&mut self, i: usize, f: impl FnOnce(&mut Store) -> R) -> R {
        let prev = self.active_db();
        self.activate_db(i);
        let r = f(self);
        self.activate_db(prev);
        r
    }

    /// Keys and deadlines of database `i`, wherever it currently lives.
    pub(crate) fn db_view(&self, i: usize) -> (&Keyspace, &Map<Box<[u8]>, i64>) {
        if i == self.srv.dbs.active {
            (&self.db, &self.expires)
        } else {
            let d = &self.srv.dbs.slots[i];
            (&d.keys, &d.expires)
        }
    }

    /// The keys of database `i`, wherever it currently lives, to change.
    pub(crate) fn db_keys_mut(&mut self, i: usize) -> &mut Keyspace {
        if i == self.srv.dbs.active {
            &mut self.db
        } else {
            &mut self.srv.dbs.slots[i].keys
        }
    }

    /// Keys held by database `i` (DBSIZE as that database's clients see it).
    pub fn database_len(&self, i: usize) -> usize {
        if i < self.database_count() {
            self.db_view(i).0.len()
        } else {
            0
        }
    }

    /// Whether `key` is logically expired in database `i` (`keyIsExpired`, no deletion).
    pub(crate) fn key_is_expired_in(&self, i: usize, key: &[u8]) -> bool {
        matches!(self.db_view(i).1.get(key), Some(&when) if self.now_ms > when)
    }

    /// `dbAdd`: inserts a key that is known to be absent and signals clients blocked on it.
    /// Unlike [`Store::set_key`] it does not touch WATCHers: the command does that itself.
    pub(crate) fn db_add(&mut self, key: &[u8], value: Value) {
        let kind = value.key_type();
        self.db.insert(key, value);
        let lru = self.fresh_lru();
        self.db.set_lru(key, lru);
        self.signal_key_as_ready(key, kind);
    }

    /// Empties database `db`, or every database (`emptyData`), after touching the keys clients
    /// WATCH there (`signalFlushedDb`, while the keys still exist).
    pub(crate) fn flush_databases(&mut self, db: Option<usize>) {
        let range = match db {
            Some(i) => i..i + 1,
            None => 0..self.database_count(),
        };
        let emptied: Vec<Vec<Box<[u8]>>> = range.clone().map(|i| self.blocked_stream_keys(i, None)).collect();
        for i in range.clone() {
            self.touch_all_watched_keys_in_db(i, None);
        }
        for i in range.clone() {
            if i == self.srv.dbs.active {
                self.db.clear();
                self.expires.clear();
            } else {
                let d = &mut self.srv.dbs.slots[i];
                d.keys.clear();
                d.expires.clear();
            }
        }
        // `scanDatabaseForDeletedStreams`: XREADGROUP waiters on a flushed stream are told.
        for (i, keys) in (range.start..range.end).zip(emptied) {
            for key in keys {
                self.with_database(i, |s| s.signal_key_as_ready(&key, KeyType::Stream));
            }
        }
    }

    /// Keys of database `emptied` that clients block on and that hold a stream there but not in
    /// database `replaced_with` (the streams a flush or SWAPDB takes away).
    fn blocked_stream_keys(&self, emptied: usize, replaced_with: Option<usize>) -> Vec<Box<[u8]>> {
        if self.blocked_clients_by_kind().all(|(k, n)| k != super::blocking::BlockKind::Stream || n == 0) {
            return Vec::new();
        }
        let is_stream = |db: usize, k: &[u8]| matches!(self.db_view(db).0.get(k), Some(Value::Stream(_)));
        self.blocked_keys_in(emptied)
            .into_iter()
            .filter(|k| is_stream(emptied, k) && !replaced_with.is_some_and(|r| is_stream(r, k)))
            .collect()
    }

    /// `dbSwapDatabases`: exchanges the contents of two databases; clients stay on their numbers
    /// and so see the other data. WATCHed keys that exist on either side are touched, and keys
    /// clients block on are re-examined. `false` when an index is out of range.
    pub(crate) fn swap_databases(&mut self, a: usize, b: usize) -> bool {
        let n = self.database_count();
        if a >= n || b >= n {
            return false;
        }
        if a == b {
            return true;
        }
        let gone_a = self.blocked_stream_keys(a, Some(b));
        let gone_b = self.blocked_stream_keys(b, Some(a));
        self.touch_all_watched_keys_in_db(a, Some(b));
        self.touch_all_watched_keys_in_db(b, Some(a));
        // Park the active database, swap the slots, take the active one back.
        let active = self.srv.dbs.active;
        let dbs = &mut self.srv.dbs;
        std::mem::swap(&mut self.db, &mut dbs.slots[active].keys);
        std::mem::swap(&mut self.expires, &mut dbs.slots[active].expires);
        dbs.slots.swap(a, b);
        std::mem::swap(&mut self.db, &mut dbs.slots[active].keys);
        std::mem::swap(&mut self.expires, &mut dbs.slots[active].expires);
        for key in gone_a {
            self.with_database(a, |s| s.signal_key_as_ready(&key, KeyType::Stream));
        }
        for key in gone_b {
            self.with_database(b, |s| s.signal_key_as_ready(&key, KeyType::Stream));
        }
        self.scan_database_for_ready_keys(a);
        self.scan_database_for_ready_keys(b);
        true
    }
}

#[cfg(test)]
mod tests {
    use crate::redis::server::run_clients;
    use crate::redis::Store;
    use crate::sim::{SimDuration, SimRng, TEST_EPOCH};
    use expect_test::expect;

    #[test]
    fn sixteen_databases_with_select_move_swapdb_and_copy() {
        expect![[r##"
            A: SET k zero -> OK
            A: SELECT 15 -> OK
            A: SELECT 16 -> (error) ERR DB index is out of range
            A: SET k fifteen -> OK
            A: MOVE k 0 -> (integer) 0
            A: COPY k k DB 3 -> (integer) 1
            A: DBSIZE -> (integer) 1
            B: DBSIZE -> (integer) 1
            B: SWAPDB 0 15 -> OK
            B: GET k -> "fifteen"
            A: GET k -> "zero"
            A: INFO keyspace -> "# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\ndb3:keys=1,expires=0,avg_ttl=0\r\ndb15:keys=1,expires=0,avg_ttl=0\r\n"
            A: FLUSHALL -> OK
            A: INFO keyspace -> "# Keyspace\r\n"
        "##]]
        .assert_eq(&run_clients(
            "A: SET k zero\nA: SELECT 15\nA: SELECT 16\nA: SET k fifteen\nA: MOVE k 0\nA: COPY k k DB 3\nA: DBSIZE
             B: DBSIZE\nB: SWAPDB 0 15\nB: GET k\nA: GET k\nA: INFO keyspace\nA: FLUSHALL\nA: INFO keyspace",
        ));
    }

    #[test]
    fn between_calls_database_0_is_active_and_other_databases_expire_actively() {
        let mut s = Store::new(SimRng::new(1));
        let t0 = TEST_EPOCH;
        s.execute_str(t0, "SET a 1");
        s.execute_str(t0, "SELECT 4");
        s.execute_str(t0, "SET b 1 PX 50");
        s.execute_str(t0, "SET c 1");
        assert_eq!(s.dbsize(), 1, "dbsize() is database 0's");
        assert_eq!(s.database_len(4), 2);
        s.advance_to(t0, t0 + SimDuration::from_millis(200), 10);
        assert_eq!(s.database_len(4), 1, "the active cycle visits every database");
        assert_eq!(s.with_database(4, |s| s.dbsize()), 1);
        s.check_indexes().unwrap();
    }
}
