//! Hash slots: Redis Cluster's key → slot function and a 16384-bit slot set.
//!
//! `key_slot` is `keyHashSlot` of `src/cluster.c` (Redis 7.0.15): CRC16-XMODEM of the key, or of
//! its hash tag, masked to 14 bits. The hash tag is what lies between the first `{` and the first
//! `}` after it, when that is non-empty; otherwise the whole key is hashed (so `{}x` and `x{`
//! hash whole). `tests/cluster_differential.rs` checks it against a real server key by key.

use serde::{Deserialize, Serialize};

/// How many hash slots a cluster has (`CLUSTER_SLOTS`).
pub const SLOTS: usize = 16384;

/// A hash slot, 0..16384.
pub type Slot = u16;

const CRC16: crc::Crc<u16> = crc::Crc::<u16>::new(&crc::CRC_16_XMODEM);

/// CRC16-XMODEM (polynomial 0x1021, init 0), the checksum Redis Cluster hashes keys with.
pub fn crc16(bytes: &[u8]) -> u16 {
    CRC16.checksum(bytes)
}

/// The part of `key` that is hashed when it has a hash tag: the bytes between the first `{` and
/// the first `}` after it, if there are any. `None` means the whole key is hashed.
pub fn hash_tag(key: &[u8]) -> Option<&[u8]> {
    let s = key.iter().position(|&b| b == b'{')?;
    let e = key[s + 1..].iter().position(|&b| b == b'}')? + s + 1;
    (e > s + 1).then(|| &key[s + 1..e])
}

/// The hash slot of `key` (`keyHashSlot`).
pub fn key_slot(key: &[u8]) -> Slot {
    crc16(hash_tag(key).unwrap_or(key)) & 0x3FFF
}

/// Everything the key-placement view shows about one key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    /// CRC16 of the hashed part.
    pub crc16: u16,
    /// The hash tag, when the key has one.
    pub tag: Option<Vec<u8>>,
    pub slot: Slot,
}

/// The CRC16, hash tag and slot of `key`.
pub fn placement(key: &[u8]) -> Placement {
    let tag = hash_tag(key);
    let crc = crc16(tag.unwrap_or(key));
    Placement { crc16: crc, tag: tag.map(<[u8]>::to_vec), slot: crc & 0x3FFF }
}

/// A set of hash slots: one bit per slot (the `myslots` bitmap of a cluster bus header).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotSet {
    #[serde(with = "bits_serde")]
    bits: Box<[u64; SLOTS / 64]>,
}

mod bits_serde {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    pub fn serialize<S: Serializer>(b: &[u64; 256], s: S) -> Result<S::Ok, S::Error> {
        b.as_slice().serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Box<[u64; 256]>, D::Error> {
        let v = Vec::<u64>::deserialize(d)?;
        let arr: [u64; 256] = v.try_into().map_err(|_| serde::de::Error::custom("a slot set has 256 words"))?;
        Ok(Box::new(arr))
    }
}

impl Default for SlotSet {
    fn default() -> Self {
        SlotSet { bits: Box::new([0; SLOTS / 64]) }
    }
}

impl std::fmt::Debug for SlotSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SlotSet{:?}", self.ranges())
    }
}

impl SlotSet {
    pub fn new() -> Self {
        Self::default()
    }
    /// Every slot in `lo..=hi`.
    pub fn range(lo: Slot, hi: Slot) -> Self {
        let mut s = Self::new();
        for slot in lo..=hi {
            s.insert(slot);
        }
        s
    }
    pub fn contains(&self, slot: Slot) -> bool {
        let i = usize::from(slot);
        i < SLOTS && self.bits[i / 64] & (1 << (i % 64)) != 0
    }
    /// Adds `slot`; true if it was not there.
    pub fn insert(&mut self, slot: Slot) -> bool {
        let i = usize::from(slot) % SLOTS;
        let had = self.bits[i / 64] & (1 << (i % 64)) != 0;
        self.bits[i / 64] |= 1 << (i % 64);
        !had
    }
    /// Removes `slot`; true if it was there.
    pub fn remove(&mut self, slot: Slot) -> bool {
        let i = usize::from(slot) % SLOTS;
        let had = self.bits[i / 64] & (1 << (i % 64)) != 0;
        self.bits[i / 64] &= !(1 << (i % 64));
        had
    }
    pub fn len(&self) -> usize {
        self.bits.iter().map(|w| w.count_ones() as usize).sum()
    }
    pub fn is_empty(&self) -> bool {
        self.bits.iter().all(|&w| w == 0)
    }
    pub fn clear(&mut self) {
        *self.bits = [0; SLOTS / 64];
    }
    /// The slots in exactly one of the two sets.
    pub fn xor(&self, other: &SlotSet) -> SlotSet {
        let mut out = self.clone();
        for (a, b) in out.bits.iter_mut().zip(other.bits.iter()) {
            *a ^= *b;
        }
        out
    }
    /// Removes every slot that is in both `a` and `b`.
    pub fn remove_common(&mut self, a: &SlotSet, b: &SlotSet) {
        for ((x, y), z) in self.bits.iter_mut().zip(a.bits.iter()).zip(b.bits.iter()) {
            *x &= !(*y & *z);
        }
    }
    /// Adds every slot of `other`.
    pub fn union_with(&mut self, other: &SlotSet) {
        for (a, b) in self.bits.iter_mut().zip(other.bits.iter()) {
            *a |= *b;
        }
    }
    /// The slots in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = Slot> + '_ {
        self.bits.iter().enumerate().flat_map(|(w, &bits)| {
            let mut b = bits;
            std::iter::from_fn(move || {
                if b == 0 {
                    return None;
                }
                let t = b.trailing_zeros() as usize;
                b &= b - 1;
                Some((w * 64 + t) as Slot)
            })
        })
    }
    /// Maximal runs of consecutive slots as inclusive `(first, last)` pairs, ascending — how
    /// CLUSTER NODES prints a node's slots (`0-5460`).
    pub fn ranges(&self) -> Vec<(Slot, Slot)> {
        let mut out: Vec<(Slot, Slot)> = Vec::new();
        for s in self.iter() {
            match out.last_mut() {
                Some((_, hi)) if *hi + 1 == s => *hi = s,
                _ => out.push((s, s)),
            }
        }
        out
    }
}

/// Inclusive ranges as CLUSTER NODES prints them: `0-5460 5462 6000-6001`.
pub fn format_ranges(ranges: &[(Slot, Slot)]) -> String {
    ranges.iter().map(|&(a, b)| if a == b { a.to_string() } else { format!("{a}-{b}") }).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The examples of the cluster specification ("Keys hash tags") and `tests/unit/cluster`.
    #[test]
    fn hash_tags_follow_key_hash_slot_exactly() {
        assert_eq!(hash_tag(b"{user1000}.following"), Some(&b"user1000"[..]));
        assert_eq!(hash_tag(b"foo{}{bar}"), None, "empty first tag: the whole key is hashed");
        assert_eq!(hash_tag(b"foo{{bar}}zap"), Some(&b"{bar"[..]));
        assert_eq!(hash_tag(b"foo{bar}{zap}"), Some(&b"bar"[..]));
        assert_eq!(hash_tag(b"foo{bar"), None);
        assert_eq!(hash_tag(b"foobar}"), None);
        assert_eq!(hash_tag(b"}{x}"), Some(&b"x"[..]));
        assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"{user1000}.followers"));
        assert_eq!(key_slot(b"foo{}{bar}"), crc16(b"foo{}{bar}") & 0x3FFF);
    }

    /// Values a real Redis 7.0 returns for CLUSTER KEYSLOT (and the spec's CRC16 test vector).
    #[test]
    fn known_slots() {
        assert_eq!(crc16(b"123456789"), 0x31C3, "the spec's reference CRC16 check value");
        assert_eq!(key_slot(b"{orders}:7"), 105);
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"bar"), 5061);
        assert_eq!(key_slot(b"hello"), 866);
        assert_eq!(key_slot(b""), 0);
        let p = placement(b"{user}:1");
        assert_eq!((p.tag.as_deref(), p.slot), (Some(&b"user"[..]), key_slot(b"user")));
    }

    #[test]
    fn slot_set_ranges() {
        let mut s = SlotSet::range(0, 5460);
        s.insert(6000);
        s.insert(6001);
        s.insert(16383);
        assert_eq!(s.len(), 5464);
        assert_eq!(format_ranges(&s.ranges()), "0-5460 6000-6001 16383");
        assert!(s.remove(0) && !s.remove(0));
        assert_eq!(s.iter().next(), Some(1));
        assert!(!s.contains(0) && s.contains(16383));
    }
}
