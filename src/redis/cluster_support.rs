//! A small read-only accessor the cluster model needs from the store: its keys, without
//! formatting a browser row per key (CLUSTER COUNTKEYSINSLOT / GETKEYSINSLOT and the dirty-slot
//! cleanup scan every key's slot).
//!
//! This file is compiled as part of `crate::cluster` (see `src/cluster/mod.rs`), so `src/redis/`
//! itself is unchanged; it only reads the store's crate-visible keyspace.

use crate::redis::Store;

impl Store {
    /// Every key held, including ones whose deadline has passed but that nothing has reclaimed yet
    /// (as DBSIZE counts them), in no particular order.
    pub fn keys_raw(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.db.keys().map(|k| &**k)
    }
}
