//! State hashing for the model checkers: a fast, portable 64-bit hash of a canonical byte string and
//! a membership table from fingerprints to dense state numbers.
//!
//! The table stores fingerprints only (hash compaction, as TLC and SPIN do), so two distinct states
//! collide with probability about n² / 2⁶⁵ for n states: 3 × 10⁻⁶ for ten million. It never iterates
//! in hash order: state numbers are handed out in insertion order, which is the search's own order.

use hashbrown::HashTable;

const K1: u64 = 0x9E37_79B9_7F4A_7C15;
const K2: u64 = 0xC2B2_AE3D_27D4_EB4F;

/// MurmurHash3's 64-bit finaliser: every input bit reaches every output bit.
#[inline]
pub fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    h ^= h >> 33;
    h = h.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    h ^ (h >> 33)
}

/// A 64-bit hash of `bytes`, the same on every platform (little-endian words, fixed constants).
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h = K2 ^ (bytes.len() as u64).wrapping_mul(K1);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h ^ w.wrapping_mul(K1).rotate_left(31)).wrapping_mul(K2).rotate_left(27);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut buf = [0u8; 8];
        buf[..rest.len()].copy_from_slice(rest);
        let w = u64::from_le_bytes(buf);
        h = (h ^ w.wrapping_mul(K1).rotate_left(31)).wrapping_mul(K2).rotate_left(27);
    }
    fmix64(h)
}

/// Fingerprints seen so far, each numbered in the order it was first inserted.
#[derive(Default)]
pub struct FingerprintSet {
    table: HashTable<u32>,
    prints: Vec<u64>,
}

impl FingerprintSet {
    pub fn new() -> Self {
        FingerprintSet::default()
    }

    /// Inserts `fp`; returns its number and whether it is new.
    pub fn insert(&mut self, fp: u64) -> (u32, bool) {
        let prints = &self.prints;
        if let Some(&i) = self.table.find(fp, |&i| prints[i as usize] == fp) {
            return (i, false);
        }
        let i = self.prints.len() as u32;
        self.prints.push(fp);
        let prints = &self.prints;
        self.table.insert_unique(fp, i, |&i| prints[i as usize]);
        (i, true)
    }

    pub fn len(&self) -> usize {
        self.prints.len()
    }
    pub fn is_empty(&self) -> bool {
        self.prints.is_empty()
    }
    /// Heap bytes held (the table's slots and the fingerprints), for the memory figure.
    pub fn bytes(&self) -> usize {
        self.table.capacity() * (std::mem::size_of::<u32>() + 1) + self.prints.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_pinned_and_sensitive_to_every_byte() {
        // Pinned: a fingerprint must not change between platforms or releases of the checker.
        expect_test::expect!["0x33b9e213dabfaccc"].assert_eq(&format!("{:#x}", hash_bytes(b"lock.resource-worker")));
        let a = hash_bytes(&[1, 2, 3, 4, 5, 6, 7, 8, 9]);
        for i in 0..9 {
            let mut v = vec![1u8, 2, 3, 4, 5, 6, 7, 8, 9];
            v[i] ^= 1;
            assert_ne!(hash_bytes(&v), a, "byte {i}");
        }
        assert_ne!(hash_bytes(&[0]), hash_bytes(&[0, 0]), "length counts");
    }

    #[test]
    fn the_set_numbers_fingerprints_in_insertion_order() {
        let mut s = FingerprintSet::new();
        assert_eq!(s.insert(42), (0, true));
        assert_eq!(s.insert(7), (1, true));
        assert_eq!(s.insert(42), (0, false));
        for i in 0..10_000u64 {
            s.insert(fmix64(i + 100));
        }
        assert_eq!(s.len(), 10_002);
        assert_eq!(s.insert(fmix64(5_100)), (5_002, false));
    }
}
