//! Stable, portable hashes shared by the hashing balancers and the keys-moved experiment.
//! Nothing here may depend on the platform's `Hasher` (whose output is not specified).

/// FNV-1a, 64 bits.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// SplitMix64's finaliser: a good avalanche for integer keys.
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A 64-bit hash of server `index` salted by `salt` (Maglev's two permutation hashes).
pub fn server_name_hash(index: usize, salt: u64) -> u64 {
    let mut buf = [0u8; 24];
    buf[..8].copy_from_slice(b"backend-");
    buf[8..16].copy_from_slice(&(index as u64).to_be_bytes());
    buf[16..24].copy_from_slice(&salt.to_be_bytes());
    mix64(fnv1a64(&buf))
}

/// nginx `ip_hash`'s step over the address bytes: starting from `hash` (89 on the first try),
/// `hash = (hash * 113 + octet) % 6271` for each octet.
pub fn nginx_ip_hash(mut hash: u32, octets: &[u8]) -> u32 {
    for o in octets {
        hash = (hash * 113 + u32::from(*o)) % 6271;
    }
    hash
}

/// CRC-32 (the IEEE polynomial nginx's `ngx_crc32_long` uses).
pub fn crc32(parts: &[&[u8]]) -> u32 {
    const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
    let mut d = CRC.digest();
    for p in parts {
        d.update(p);
    }
    d.finalize()
}

/// Walks nginx's weighted peer list: the peer whose weight range contains `w` (`w < total`).
pub fn weighted_slot(weights: impl Iterator<Item = u32>, mut w: u64) -> Option<usize> {
    for (i, wt) in weights.enumerate() {
        let wt = u64::from(wt);
        if w < wt {
            return Some(i);
        }
        w -= wt;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nginx_ip_hash_matches_hand_computation() {
        // 89*113+192 = 10249 % 6271 = 3978; 3978*113+168 = 449682 % 6271 = 4441; 4441*113+1 = 501834 % 6271 = 154
        assert_eq!(nginx_ip_hash(89, &[192, 168, 1]), 154);
    }

    #[test]
    fn crc32_is_the_ieee_one() {
        assert_eq!(crc32(&[b"123456789"]), 0xCBF4_3926);
        assert_eq!(crc32(&[b"1234", b"56789"]), 0xCBF4_3926);
    }

    #[test]
    fn weighted_slot_walks_ranges() {
        let w = [2u32, 3, 1];
        let got: Vec<_> = (0..6).map(|x| weighted_slot(w.iter().copied(), x).unwrap()).collect();
        assert_eq!(got, vec![0, 0, 1, 1, 1, 2]);
        assert_eq!(weighted_slot(w.iter().copied(), 6), None);
    }
}

/// What the consistent-hashing balancers (ring, Maglev) hash to place a request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HashKey {
    /// The client address: sticky per client, the usual web setup (`hash $remote_addr consistent`).
    #[default]
    ClientIp,
    /// The connection's 5-tuple, as Maglev does for packets.
    FiveTuple,
    /// The request path (cache-friendly sharding).
    Path,
}

impl HashKey {
    /// The key as nginx's variables would spell it, for `hash $key consistent`: `$remote_addr`
    /// ("203.0.113.5"), `$remote_addr:$remote_port $server_addr:$server_port` plus the protocol
    /// number for the 5-tuple, or `$uri`.
    pub fn write_text(self, req: &super::Request<'_>, out: &mut String) {
        use std::fmt::Write;
        let ip = |b: [u8; 4]| format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3]);
        let _ = match self {
            HashKey::ClientIp => write!(out, "{}", ip(req.client_ip)),
            HashKey::FiveTuple => write!(
                out,
                "{}:{} {}:{} {}",
                ip(req.client_ip),
                req.client_port,
                ip(req.dst_ip),
                req.dst_port,
                req.protocol
            ),
            HashKey::Path => write!(out, "{}", req.path),
        };
    }

    /// A 64-bit hash of the key's bytes (what Maglev looks up).
    pub fn hash(self, req: &super::Request<'_>) -> u64 {
        match self {
            HashKey::ClientIp => mix64(fnv1a64(&req.client_ip)),
            HashKey::FiveTuple => mix64(fnv1a64(&req.five_tuple_bytes())),
            HashKey::Path => mix64(fnv1a64(req.path.as_bytes())),
        }
    }
}
