//! Worker ids: ULIDs, as the reference's `ulid()` makes them (26 Crockford base32 characters, 48
//! bits of milliseconds then 80 random bits), formatted by the `ulid` crate. The time is the virtual
//! clock and the random bits come from the worker's own seeded stream, so an id is replayable:
//! never a wall clock or OS entropy. Sorted ids sort by creation time, as real ULIDs do.

use crate::sim::{SimRng, SimTime};

#[cfg(test)]
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A ULID for a worker created at virtual time `now`, its 80 random bits drawn from `rng`.
pub fn worker_id(now: SimTime, rng: &mut SimRng) -> String {
    let time = now.as_unix_ms() & ((1u64 << 48) - 1);
    let hi = u128::from(rng.next_u64() & 0xFFFF);
    let lo = u128::from(rng.next_u64());
    ulid::Ulid::from_parts(time, (hi << 64) | lo).to_string()
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
