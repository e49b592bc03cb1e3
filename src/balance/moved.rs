//! How many keys change servers when the membership changes: modulo hashing vs nginx's consistent
//! hash ring vs Maglev. Servers are named by index (`s0`, `s1`, …); removing `k` servers removes the
//! last `k`, adding `k` appends new ones, so every scheme sees the same change. Keys are
//! `key-0`, `key-1`, …, hashed as each scheme hashes them (CRC-32 of the text for the ring).

use super::hash::{crc32, mix64};
use super::maglev::MaglevTable;
use super::ring::HashRing;
use super::BalanceError;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HashScheme {
    /// `hash mod N`.
    Modulo,
    /// nginx's `hash … consistent`: 160 CRC-32 points per server.
    Ring,
    /// Maglev with the paper's 65,537-slot table.
    Maglev,
}

impl HashScheme {
    pub const ALL: [HashScheme; 3] = [HashScheme::Modulo, HashScheme::Ring, HashScheme::Maglev];
    /// The schemes' names, in `ALL`'s order.
    pub const NAMES: [&'static str; 3] = ["modulo", "ring", "maglev"];
}

impl FromStr for HashScheme {
    type Err = BalanceError;
    fn from_str(s: &str) -> Result<Self, BalanceError> {
        HashScheme::NAMES
            .iter()
            .position(|n| *n == s)
            .map(|i| HashScheme::ALL[i])
            .ok_or_else(|| BalanceError::UnknownHashScheme(s.to_string()))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MembershipChange {
    Remove(usize),
    Add(usize),
}

/// Which server each of `keys` keys maps to with `n` servers.
fn assign(scheme: HashScheme, n: usize, keys: u64) -> Vec<u32> {
    let hashes = (0..keys).map(mix64);
    match scheme {
        HashScheme::Modulo => hashes.map(|h| (h % n as u64) as u32).collect(),
        HashScheme::Ring => {
            let ring = HashRing::build(&vec![1; n], super::ring::NGINX_POINTS_PER_WEIGHT);
            (0..keys).map(|k| ring.lookup(crc32(&[format!("key-{k}").as_bytes()])).unwrap_or(0) as u32).collect()
        }
        HashScheme::Maglev => {
            let t = MaglevTable::build(&vec![1; n], &vec![true; n], super::maglev::MAGLEV_TABLE_SIZE);
            hashes.map(|h| t.lookup(h).unwrap_or(0) as u32).collect()
        }
    }
}

/// The fraction of `keys` keys whose server changes when `servers` servers undergo `change`.
pub fn keys_moved(
    scheme: HashScheme,
    servers: usize,
    change: MembershipChange,
    keys: u64,
) -> Result<f64, BalanceError> {
    if servers == 0 || servers > 10_000 {
        return Err(BalanceError::Membership(format!("servers = {servers} must be in 1..=10000")));
    }
    if keys == 0 || keys > 100_000_000 {
        return Err(BalanceError::Membership(format!("keys = {keys} must be in 1..=100000000")));
    }
    let after = match change {
        MembershipChange::Remove(k) if k >= 1 && k < servers => servers - k,
        MembershipChange::Add(k) if k >= 1 && servers + k <= 10_000 => servers + k,
        MembershipChange::Remove(k) => {
            return Err(BalanceError::Membership(format!(
                "cannot remove {k} of {servers} servers; remove 1..={}",
                servers - 1
            )))
        }
        MembershipChange::Add(k) => {
            return Err(BalanceError::Membership(format!("cannot add {k} servers; add 1..={}", 10_000 - servers)))
        }
    };
    let a = assign(scheme, servers, keys);
    let b = assign(scheme, after, keys);
    let moved = a.iter().zip(&b).filter(|(x, y)| x != y).count();
    Ok(moved as f64 / keys as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modulo_moves_most_consistent_schemes_about_one_nth() {
        let m = keys_moved(HashScheme::Modulo, 10, MembershipChange::Remove(1), 20_000).unwrap();
        assert!(m > 0.85, "{m}");
        for s in [HashScheme::Ring, HashScheme::Maglev] {
            let f = keys_moved(s, 10, MembershipChange::Remove(1), 20_000).unwrap();
            assert!((0.07..0.14).contains(&f), "{s:?} {f}");
        }
    }

    #[test]
    fn bad_changes_are_errors() {
        assert!(keys_moved(HashScheme::Ring, 3, MembershipChange::Remove(3), 10)
            .unwrap_err()
            .to_string()
            .contains("remove 1..=2"));
        assert!(keys_moved(HashScheme::Ring, 0, MembershipChange::Add(1), 10).is_err());
        assert!("crush".parse::<HashScheme>().unwrap_err().to_string().contains("one of modulo, ring, maglev"));
    }
}
