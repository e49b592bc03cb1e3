//! ULID-like worker ids: 26 Crockford base32 characters, the first 10 from the virtual time in ms
//! (48 bits), the last 16 from 80 bits of the worker's own seeded stream. Sorted ids sort by creation
//! time, as real ULIDs do. Never reads a wall clock or OS entropy.

use crate::sim::{SimRng, SimTime};

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A ULID-shaped id for a worker created at virtual time `now`, drawn from `rng`.
pub fn worker_id(now: SimTime, rng: &mut SimRng) -> String {
    let time = u128::from(now.as_unix_ms() & ((1u64 << 48) - 1));
    let hi = u128::from(rng.next_u64() & 0xFFFF);
    let lo = u128::from(rng.next_u64());
    let value: u128 = (time << 80) | (hi << 64) | lo;
    // 26 characters × 5 bits = 130 bits: the top two bits are always zero, as in the ULID spec.
    (0..26)
        .map(|i| {
            let shift = 5 * (25 - i);
            CROCKFORD[((value >> shift) & 0x1F) as usize] as char
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::TEST_EPOCH;

    #[test]
    fn ids_are_26_crockford_chars_seeded_and_time_ordered() {
        let root = SimRng::new(1);
        let a = worker_id(TEST_EPOCH, &mut root.child_indexed("worker", 0));
        let a2 = worker_id(TEST_EPOCH, &mut root.child_indexed("worker", 0));
        let b = worker_id(TEST_EPOCH, &mut root.child_indexed("worker", 1));
        let later = worker_id(SimTime(TEST_EPOCH.0 + 1), &mut root.child_indexed("worker", 0));
        assert_eq!(a, a2, "same seed, same id");
        assert_ne!(a, b);
        assert_eq!(a.len(), 26);
        assert!(a.bytes().all(|c| CROCKFORD.contains(&c)));
        assert_eq!(&a[..10], &b[..10], "same millisecond, same time prefix");
        assert!(later > a);
        expect_test::expect!["01HF7YAT00P8N7SDS25SBSDM61"].assert_eq(&a);
    }

    #[test]
    fn a_thousand_workers_get_distinct_ids() {
        let root = SimRng::new(9);
        let mut ids: Vec<String> =
            (0..1000).map(|i| worker_id(TEST_EPOCH, &mut root.child_indexed("worker", i))).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 1000);
    }
}
