//! WATCH bookkeeping and MULTI state (multi.c): which clients watch which keys, what touching a
//! key does to them, and the checks EXEC makes.
//!
//! Every write that changes a key calls [`Store::signal_modified`] exactly where Redis calls
//! `signalModifiedKey` (the command handlers, `set_key`, expiry); FLUSHDB/FLUSHALL and SWAPDB call
//! [`Store::touch_all_watched_keys_in_db`]. The rules are multi.c's, quirks included:
//! - a key that was already logically expired when WATCHed is remembered as such; deleting it
//!   later (lazily or actively) is "no logical change" and only clears that mark;
//! - touching such a key while it exists stops the scan of that key's watchers (`break` in
//!   `touchWatchedKey`): neither that client nor later ones are marked;
//! - at EXEC a watched key that has expired since WATCH fails the transaction
//!   (`isWatchedKeyExpired`), even if nothing deleted it yet.
//!
//! Server-side index: (db, key) → watchers in WATCH order; each client keeps its own list too.

use super::client::{ClientId, Queued};
use super::keyspace::Map;
use super::store::Store;
use super::table::CommandSpec;

/// A (database, key) pair as the per-database indexes store it.
pub(crate) type DbKey = (usize, Box<[u8]>);

/// Borrowed lookup form of [`DbKey`] (hashes exactly like it).
#[derive(Hash)]
pub(crate) struct DbKeyRef<'a>(pub usize, pub &'a [u8]);

impl indexmap::Equivalent<DbKey> for DbKeyRef<'_> {
    fn equivalent(&self, k: &DbKey) -> bool {
        self.0 == k.0 && self.1 == &*k.1
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Watcher {
    pub(crate) client: ClientId,
    /// The key was already logically expired when WATCHed (`watchedKey.expired`).
    pub(crate) expired: bool,
}

/// The server's `db->watched_keys`, for every database.
#[derive(Clone, Debug, Default)]
pub(crate) struct Watches {
    pub(crate) keys: Map<DbKey, Vec<Watcher>>,
}

impl Store {
    /// `signalModifiedKey` for `key` in the active database: marks its watchers dirty.
    pub(crate) fn signal_modified(&mut self, key: &[u8]) {
        // Every modification passes here: count the key's bytes again (`redis::memory`).
        self.db.refresh(key, 0);
        if self.srv.watches.keys.is_empty() {
            return;
        }
        let db = self.active_db();
        self.touch_watched_key(db, key);
    }

    /// `touchWatchedKey`.
    pub(crate) fn touch_watched_key(&mut self, db: usize, key: &[u8]) {
        let Some(list) = self.srv.watches.keys.get(&DbKeyRef(db, key)) else {
            return;
        };
        let snapshot = list.clone();
        let present = self.db_view(db).0.contains_key(key);
        for w in snapshot {
            if w.expired {
                if !present {
                    // Already expired key is deleted, so logically no change.
                    self.set_watch_expired(db, key, w.client, false);
                    continue;
                }
                break;
            }
            if let Some(c) = self.srv.clients.get_mut(&w.client) {
                c.flags.dirty_cas = true;
            }
            // No point in watching anything else: the transaction is doomed.
            self.unwatch_all_keys(w.client);
        }
    }

    fn set_watch_expired(&mut self, db: usize, key: &[u8], client: ClientId, expired: bool) {
        if let Some(list) = self.srv.watches.keys.get_mut(&DbKeyRef(db, key)) {
            if let Some(w) = list.iter_mut().find(|w| w.client == client) {
                w.expired = expired;
            }
        }
    }

    /// `touchAllWatchedKeysInDb`: FLUSHDB/FLUSHALL (`replaced_with` = None, while the keys still
    /// exist) and SWAPDB (the database whose contents take `emptied`'s place).
    pub(crate) fn touch_all_watched_keys_in_db(&mut self, emptied: usize, replaced_with: Option<usize>) {
        if self.srv.watches.keys.is_empty() {
            return;
        }
        let keys: Vec<Box<[u8]>> =
            self.srv.watches.keys.keys().filter(|(d, _)| *d == emptied).map(|(_, k)| k.clone()).collect();
        for key in keys {
            let exists_in_emptied = self.db_view(emptied).0.contains_key(&key);
            let in_replacement = replaced_with.is_some_and(|r| self.db_view(r).0.contains_key(&key));
            if !exists_in_emptied && !in_replacement {
                continue;
            }
            let replacement_expired = replaced_with.is_some_and(|r| self.key_is_expired_in(r, &key));
            let Some(list) = self.srv.watches.keys.get(&DbKeyRef(emptied, &key)) else {
                continue;
            };
            let mut dirty = Vec::new();
            let mut updated = list.clone();
            for w in updated.iter_mut() {
                if w.expired {
                    if !in_replacement {
                        // Expired key now deleted: no logical change.
                        w.expired = false;
                        continue;
                    } else if replacement_expired {
                        // Expired key remains expired.
                        continue;
                    }
                } else if !exists_in_emptied && replacement_expired {
                    // A missing key replaced by an expired one.
                    w.expired = true;
                    continue;
                }
                dirty.push(w.client);
            }
            if let Some(list) = self.srv.watches.keys.get_mut(&DbKeyRef(emptied, &key)) {
                *list = updated;
            }
            for id in dirty {
                if let Some(c) = self.srv.clients.get_mut(&id) {
                    c.flags.dirty_cas = true;
                }
            }
        }
    }

    /// `watchForKey` for the current client in its database.
    pub(crate) fn watch_for_key(&mut self, id: ClientId, key: &[u8]) {
        let Some(c) = self.srv.clients.get(&id) else {
            return;
        };
        let db = c.db;
        if c.watched.iter().any(|(d, k)| *d == db && &**k == key) {
            return;
        }
        let expired = self.key_is_expired_in(db, key);
        self.srv.watches.keys.entry((db, key.into())).or_default().push(Watcher { client: id, expired });
        if let Some(c) = self.srv.clients.get_mut(&id) {
            c.watched.push((db, key.into()));
        }
    }

    /// `unwatchAllKeys`.
    pub(crate) fn unwatch_all_keys(&mut self, id: ClientId) {
        let Some(c) = self.srv.clients.get_mut(&id) else {
            return;
        };
        let watched = std::mem::take(&mut c.watched);
        for (db, key) in watched {
            if let Some(list) = self.srv.watches.keys.get_mut(&DbKeyRef(db, &key)) {
                list.retain(|w| w.client != id);
                if list.is_empty() {
                    self.srv.watches.keys.shift_remove(&DbKeyRef(db, &key));
                }
            }
        }
    }

    /// `isWatchedKeyExpired`: a key watched while alive has expired since (checked by EXEC).
    pub(crate) fn is_watched_key_expired(&self, id: ClientId) -> bool {
        let Some(c) = self.srv.clients.get(&id) else {
            return false;
        };
        c.watched.iter().any(|(db, key)| {
            let marked = self
                .srv
                .watches
                .keys
                .get(&DbKeyRef(*db, key))
                .and_then(|l| l.iter().find(|w| w.client == id))
                .is_some_and(|w| w.expired);
            !marked && self.key_is_expired_in(*db, key)
        })
    }

    /// `discardTransaction`: drops the queue and the MULTI/dirty flags, and unwatches everything.
    pub(crate) fn discard_transaction(&mut self, id: ClientId) {
        if let Some(c) = self.srv.clients.get_mut(&id) {
            c.queued.clear();
            c.flags.multi = false;
            c.flags.dirty_cas = false;
            c.flags.dirty_exec = false;
        }
        self.unwatch_all_keys(id);
    }

    /// `flagTransaction`: an error while queueing dooms the transaction (EXECABORT).
    pub(crate) fn flag_transaction(&mut self, id: ClientId) {
        if let Some(c) = self.srv.clients.get_mut(&id) {
            if c.flags.multi {
                c.flags.dirty_exec = true;
            }
        }
    }

    /// `queueMultiCommand`: nothing is kept once the transaction is doomed.
    pub(crate) fn queue_multi_command(&mut self, id: ClientId, spec: &'static CommandSpec, argv: &[Vec<u8>]) {
        let deny_oom = self.is_deny_oom(spec, argv);
        if let Some(c) = self.srv.clients.get_mut(&id) {
            if c.flags.dirty_cas || c.flags.dirty_exec {
                return;
            }
            c.queued.push(Queued { spec, argv: argv.to_vec(), deny_oom });
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::redis::server::run_clients;
    use expect_test::expect;

    #[test]
    fn another_clients_write_to_a_watched_key_fails_exec_with_a_nil_array() {
        expect![[r#"
            A: WATCH k -> OK
            B: SET k 2 -> OK
            A: MULTI -> OK
            A: INCR k -> QUEUED
            A: EXEC -> (nil)
            A: GET k -> "2"
        "#]]
        .assert_eq(&run_clients("A: WATCH k\nB: SET k 2\nA: MULTI\nA: INCR k\nA: EXEC\nA: GET k"));
    }

    #[test]
    fn only_real_modifications_touch_a_watched_key() {
        // SADD of a present member and LREM of nothing change nothing; LTRIM always signals.
        expect![[r#"
            B: SADD s a -> (integer) 1
            A: WATCH s -> OK
            B: SADD s a -> (integer) 0
            B: SREM s zz -> (integer) 0
            A: MULTI -> OK
            A: SCARD s -> QUEUED
            A: EXEC -> [(integer) 1]
            B: RPUSH l a -> (integer) 1
            A: WATCH l -> OK
            B: LTRIM l 0 -1 -> OK
            A: MULTI -> OK
            A: EXEC -> (nil)
        "#]]
        .assert_eq(&run_clients(
            "B: SADD s a\nA: WATCH s\nB: SADD s a\nB: SREM s zz\nA: MULTI\nA: SCARD s\nA: EXEC
             B: RPUSH l a\nA: WATCH l\nB: LTRIM l 0 -1\nA: MULTI\nA: EXEC",
        ));
    }

    #[test]
    fn a_watched_key_that_expires_before_exec_fails_it_but_one_already_expired_does_not() {
        expect![[r#"
            A: SET e v PX 100 -> OK
            A: WATCH e -> OK
            @+200
            A: MULTI -> OK
            A: EXEC -> (nil)
            A: SET gone v PX 100 -> OK
            @+200
            A: WATCH gone -> OK
            B: GET gone -> (nil)
            A: MULTI -> OK
            A: EXEC -> (empty array)
        "#]]
        .assert_eq(&run_clients(
            "A: SET e v PX 100\nA: WATCH e\n@+200\nA: MULTI\nA: EXEC
             A: SET gone v PX 100\n@+200\nA: WATCH gone\nB: GET gone\nA: MULTI\nA: EXEC",
        ));
    }

    #[test]
    fn flushdb_flushall_and_swapdb_touch_watched_keys_that_exist() {
        expect![[r#"
            B: SET k 1 -> OK
            A: WATCH k nothere -> OK
            B: FLUSHDB -> OK
            A: MULTI -> OK
            A: EXEC -> (nil)
            A: WATCH nothere -> OK
            B: FLUSHALL -> OK
            A: MULTI -> OK
            A: EXEC -> (empty array)
            B: SET s 1 -> OK
            A: WATCH s -> OK
            B: SWAPDB 0 1 -> OK
            A: MULTI -> OK
            A: EXEC -> (nil)
        "#]]
        .assert_eq(&run_clients(
            "B: SET k 1\nA: WATCH k nothere\nB: FLUSHDB\nA: MULTI\nA: EXEC
             A: WATCH nothere\nB: FLUSHALL\nA: MULTI\nA: EXEC
             B: SET s 1\nA: WATCH s\nB: SWAPDB 0 1\nA: MULTI\nA: EXEC",
        ));
    }

    #[test]
    fn queue_time_errors_abort_and_runtime_errors_stay_inside_execs_array() {
        expect![[r#"
            A: MULTI -> OK
            A: SET k v -> QUEUED
            A: LPUSH k x -> QUEUED
            A: GET k -> QUEUED
            A: EXEC -> [OK, (error) WRONGTYPE Operation against a key holding the wrong kind of value, "v"]
            A: MULTI -> OK
            A: GET -> (error) ERR wrong number of arguments for 'get' command
            A: MULTI -> (error) ERR MULTI calls can not be nested
            A: WATCH k -> (error) ERR WATCH inside MULTI is not allowed
            A: EXEC -> (error) EXECABORT Transaction discarded because of previous errors.
            A: EXEC -> (error) ERR EXEC without MULTI
            A: DISCARD -> (error) ERR DISCARD without MULTI
            A: EXEC x -> (error) EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command
        "#]]
        .assert_eq(&run_clients(
            "A: MULTI\nA: SET k v\nA: LPUSH k x\nA: GET k\nA: EXEC
             A: MULTI\nA: GET\nA: MULTI\nA: WATCH k\nA: EXEC\nA: EXEC\nA: DISCARD\nA: EXEC x",
        ));
    }
}
