//! A stand-in for `redis::Store` with only the commands the lock needs (SET NX EX/PX, GET, DEL,
//! EXPIRE, PEXPIRE, PTTL, INCR), used until the modeled Redis lands on this branch. Same signature:
//! `new(rng)`, `execute(now, argv) -> Reply`, `run_active_expire_cycle(now)`. Lazy expiry only.

use crate::redis::Reply;
use crate::sim::{SimRng, SimTime};
use std::collections::BTreeMap;

pub struct Store {
    keys: BTreeMap<Vec<u8>, (Vec<u8>, Option<SimTime>)>,
}

fn num(a: &[u8]) -> Option<i64> {
    std::str::from_utf8(a).ok()?.parse().ok()
}

impl Store {
    pub fn new(_rng: SimRng) -> Store {
        Store { keys: BTreeMap::new() }
    }

    fn expire_lazily(&mut self, now: SimTime, key: &[u8]) {
        if let Some((_, Some(at))) = self.keys.get(key) {
            if *at <= now {
                self.keys.remove(key);
            }
        }
    }

    pub fn run_active_expire_cycle(&mut self, now: SimTime) -> usize {
        let before = self.keys.len();
        self.keys.retain(|_, (_, at)| at.is_none_or(|t| t > now));
        before - self.keys.len()
    }

    pub fn execute(&mut self, now: SimTime, argv: &[Vec<u8>]) -> Reply {
        let Some(name) = argv.first() else {
            return Reply::error("ERR empty command");
        };
        if let Some(key) = argv.get(1) {
            self.expire_lazily(now, key);
        }
        let name = String::from_utf8_lossy(name).to_ascii_uppercase();
        match (name.as_str(), argv.len()) {
            ("GET", 2) => self.keys.get(&argv[1]).map_or(Reply::Nil, |(v, _)| Reply::Bulk(v.clone())),
            ("DEL", 2) => Reply::Integer(i64::from(self.keys.remove(&argv[1]).is_some())),
            ("SET", 6) => {
                let nx = argv[3].eq_ignore_ascii_case(b"NX");
                let unit = if argv[4].eq_ignore_ascii_case(b"EX") {
                    1000
                } else if argv[4].eq_ignore_ascii_case(b"PX") {
                    1
                } else {
                    return Reply::error("ERR syntax error");
                };
                let Some(n) = num(&argv[5]).filter(|n| *n > 0) else {
                    return Reply::error("ERR invalid expire time in 'set' command");
                };
                if !nx {
                    return Reply::error("ERR syntax error");
                }
                if self.keys.contains_key(&argv[1]) {
                    return Reply::Nil;
                }
                let at = now.0.saturating_add((n as u64).saturating_mul(unit));
                self.keys.insert(argv[1].clone(), (argv[2].clone(), Some(SimTime(at))));
                Reply::ok()
            }
            ("EXPIRE" | "PEXPIRE", 3) => {
                let unit = if name == "EXPIRE" { 1000 } else { 1 };
                let Some(n) = num(&argv[2]) else {
                    return Reply::error("ERR value is not an integer or out of range");
                };
                match self.keys.get_mut(&argv[1]) {
                    None => Reply::Integer(0),
                    Some(entry) => {
                        if n <= 0 {
                            self.keys.remove(&argv[1]);
                        } else {
                            entry.1 = Some(SimTime(now.0.saturating_add((n as u64).saturating_mul(unit))));
                        }
                        Reply::Integer(1)
                    }
                }
            }
            ("PTTL", 2) => match self.keys.get(&argv[1]) {
                None => Reply::Integer(-2),
                Some((_, None)) => Reply::Integer(-1),
                Some((_, Some(at))) => Reply::Integer(at.0.saturating_sub(now.0) as i64),
            },
            ("INCR", 2) => {
                let cur = match self.keys.get(&argv[1]) {
                    None => 0,
                    Some((v, _)) => match num(v) {
                        Some(n) => n,
                        None => return Reply::error("ERR value is not an integer or out of range"),
                    },
                };
                let Some(next) = cur.checked_add(1) else {
                    return Reply::error("ERR increment or decrement would overflow");
                };
                let ttl = self.keys.get(&argv[1]).and_then(|(_, t)| *t);
                self.keys.insert(argv[1].clone(), (next.to_string().into_bytes(), ttl));
                Reply::Integer(next)
            }
            _ => Reply::error(format!("ERR unknown command '{name}' for the lock's stand-in store")),
        }
    }
}
