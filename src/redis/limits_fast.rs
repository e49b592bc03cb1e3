//! The limit check's fast path (issue 11): for the write commands whose effect is bounded by
//! their own arguments, an upper bound on what the command can add — keys, elements per value,
//! bytes of [`value_cost`], the longest string — is computed from the arguments and the current
//! sizes of the keys it names, without copying anything. When the dataset's totals plus that
//! bound are within every limit, the command runs directly; otherwise (and for every command not
//! listed in [`growth_of`]) the scratch check of `limits.rs` decides, exactly as before. So the
//! fast path can only admit what the scratch check would admit, and a refused command is still
//! refused whole with the same error.
//!
//! The dataset's totals come from a [`Tally`] each database's [`Keyspace`] keeps: an upper bound
//! on its cost and on its longest key, string or element. Computing one reads every value once;
//! after that, a fast-path command adds its own bound to it, and any other change to the
//! keyspace that can add to it (a scratch-checked write, an import) makes the keyspace forget it,
//! so it is counted again on the next fast-path command. Removing a key (a delete, expiry,
//! eviction) subtracts that key's cost from it, and commands that only remove (pops, deletes, TTL
//! changes) keep it: an upper bound stays one when the dataset shrinks.
//!
//! Must never read a clock or draw randomness: it only reads sizes and arguments.

use super::keyspace::Keyspace;
use super::limits::{value_cost, Limits, ITEM_OVERHEAD};
use super::store::Store;
use super::value::Value;

/// What the limit check knows of one database's values as a whole, as upper bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tally {
    /// At least the sum of [`value_cost`] over the database's keys.
    pub cost: u64,
    /// At least the length of its longest key name, string, or collection element (each list
    /// element, set or sorted-set member, hash field and value, stream name or payload).
    pub longest: usize,
}

impl Tally {
    /// The exact tally of `keys`: reads every value once.
    pub fn of(keys: &Keyspace) -> Tally {
        keys.iter().fold(Tally { cost: 0, longest: 0 }, |t, (k, v)| Tally {
            cost: t.cost.saturating_add(value_cost(k, v)),
            longest: t.longest.max(k.len()).max(super::limits::longest_part(v).1),
        })
    }
}

/// What a write command can do to the dataset, judged from its name and arguments alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Growth<'a> {
    /// Adds no key, no element, no byte and no longer string: it only removes or changes
    /// deadlines (pops, deletes, TTLs).
    Shrinks,
    /// Writes only `keys` (in the active database), with values made of its own arguments.
    Bounded {
        keys: Vec<&'a [u8]>,
        /// Most keys it can create.
        new_keys: usize,
        /// Most elements it can add to each key's collection (`None`: it writes strings).
        elements: Option<usize>,
        /// Most it can add to the dataset's [`value_cost`].
        bytes: u64,
        /// Longest key, string or element it can store.
        longest: usize,
    },
}

/// The longest a 64-bit integer is written out ("-9223372036854775808").
const I64_DIGITS: usize = 20;

/// The bound of the write commands the fast path knows (from Redis 7.0's semantics of each);
/// `None` for any other (it takes the scratch check). `argv` has passed the client layer's arity
/// check, but a short one is still answered with `None`, never a panic.
pub fn growth_of<'a>(name: &str, argv: &'a [Vec<u8>]) -> Option<Growth<'a>> {
    let args = argv.get(1..)?;
    let key = args.first()?.as_slice();
    let rest = &args[1..];
    let rest_bytes: u64 = rest.iter().map(|a| a.len() as u64).sum();
    let longest_arg = args.iter().map(Vec::len).max().unwrap_or(0);
    let overhead = |items: usize| ITEM_OVERHEAD.saturating_mul(items as u64);
    // One key whose new elements, fields, values, members or string are among `rest`: the key
    // may be new (its overhead and name), each element adds its overhead, and no stored byte
    // is not an argument's.
    let one = |elements: Option<usize>| Growth::Bounded {
        keys: vec![key],
        new_keys: 1,
        elements,
        bytes: overhead(1 + elements.unwrap_or(0)) + key.len() as u64 + rest_bytes,
        longest: longest_arg,
    };
    Some(match name {
        "del" | "unlink" | "getdel" | "lpop" | "rpop" | "lrem" | "ltrim" | "srem" | "spop" | "hdel" | "zrem"
        | "zpopmin" | "zpopmax" | "zremrangebyscore" | "zremrangebyrank" | "zremrangebylex" | "persist" | "expire"
        | "pexpire" | "expireat" | "pexpireat" => Growth::Shrinks,
        // Acknowledging, deleting and trimming stream entries never creates the key or adds a byte
        // (a big group's XACK used to copy the whole stream for the scratch check).
        "xack" | "xdel" | "xtrim" => Growth::Shrinks,
        "lpush" | "rpush" | "lpushx" | "rpushx" | "sadd" => one(Some(rest.len())),
        // field value pairs.
        "hset" | "hmset" | "hsetnx" => one(Some(rest.len().div_ceil(2))),
        // Every member follows its score (NX, XX, GT, LT, CH, INCR only take more arguments).
        "zadd" => one(Some(rest.len() / 2)),
        "zincrby" | "linsert" => one(Some(1)),
        // Replaces one element: no new element, at most the new one's bytes.
        "lset" => one(Some(0)),
        "set" | "setnx" | "setex" | "psetex" | "getset" => one(None),
        // The new value is an integer written out; the increment is not stored.
        "incr" | "decr" | "incrby" | "decrby" => Growth::Bounded {
            keys: vec![key],
            new_keys: 1,
            elements: None,
            bytes: overhead(1) + key.len() as u64 + I64_DIGITS as u64,
            longest: key.len().max(I64_DIGITS),
        },
        "hincrby" => {
            let field = rest.first().map_or(0, Vec::len);
            Growth::Bounded {
                keys: vec![key],
                new_keys: 1,
                elements: Some(1),
                bytes: overhead(2) + (key.len() + field + I64_DIGITS) as u64,
                longest: key.len().max(field).max(I64_DIGITS),
            }
        }
        "mset" | "msetnx" => {
            let keys: Vec<&[u8]> = args.iter().step_by(2).map(Vec::as_slice).collect();
            Growth::Bounded {
                new_keys: keys.len(),
                keys,
                elements: None,
                bytes: overhead(args.len().div_ceil(2)) + args.iter().map(|a| a.len() as u64).sum::<u64>(),
                longest: longest_arg,
            }
        }
        _ => return None,
    })
}

/// How the limit check has run so far (for tests and the benchmark), and a switch that turns
/// the fast path off (so a test can compare the two paths).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LimitRuns {
    /// Write commands admitted by the fast path.
    pub fast: u64,
    /// Write commands that ran the scratch check.
    pub scratch: u64,
    /// Every checked write takes the scratch check.
    pub scratch_only: bool,
}

/// The fast path's verdict: the command may run directly, and the active database's tally
/// afterwards is this (`None`: not known).
pub(crate) struct Admitted(Option<Tally>);

impl Store {
    /// How the limit check has run (see [`LimitRuns`]).
    pub fn limit_runs(&self) -> &LimitRuns {
        &self.limit_runs
    }

    /// Turns the fast path off or on (tests compare both paths; the answers must not differ).
    pub fn set_limit_scratch_only(&mut self, scratch_only: bool) {
        self.limit_runs.scratch_only = scratch_only;
    }

    /// The tally of database `i`, counted now if its keyspace has none.
    fn tally_of_db(&mut self, i: usize) -> Tally {
        let keys = self.db_keys_mut(i);
        if let Some(t) = keys.tally() {
            return t;
        }
        let t = Tally::of(keys);
        keys.set_tally(Some(t));
        t
    }

    /// Whether the fast path admits `argv` (a write command named `name`) under the limits.
    pub(crate) fn fast_admit(&mut self, name: &str, argv: &[Vec<u8>]) -> Option<Admitted> {
        if self.limit_runs.scratch_only {
            return None;
        }
        let (keys, new_keys, elements, bytes, longest) = match growth_of(name, argv)? {
            Growth::Shrinks => return Some(Admitted(self.db.tally())),
            Growth::Bounded { keys, new_keys, elements, bytes, longest } => (keys, new_keys, elements, bytes, longest),
        };
        let Limits { max_keys, max_value_bytes, max_collection_len, max_dataset_bytes, .. } = self.limits;
        if longest > max_value_bytes || self.total_keys().saturating_add(new_keys) > max_keys {
            return None;
        }
        if let Some(added) = elements {
            let len = |k: &[u8]| self.db.get(k).map_or(0, Value::len);
            if keys.iter().any(|k| len(k).saturating_add(added) > max_collection_len) {
                return None;
            }
        }
        let active = self.active_db();
        let mut total = Tally { cost: 0, longest: 0 };
        let mut here = None;
        for i in 0..self.database_count() {
            let t = self.tally_of_db(i);
            total = Tally { cost: total.cost.saturating_add(t.cost), longest: total.longest.max(t.longest) };
            if i == active {
                here = Some(t);
            }
        }
        let here = here?;
        if total.longest > max_value_bytes || total.cost.saturating_add(bytes) > max_dataset_bytes {
            return None;
        }
        Some(Admitted(Some(Tally { cost: here.cost.saturating_add(bytes), longest: here.longest.max(longest) })))
    }

    /// After a command the fast path admitted ran: records the active database's tally (the
    /// command's own changes made the keyspace forget it).
    pub(crate) fn after_fast(&mut self, admitted: Admitted) {
        self.limit_runs.fast += 1;
        // A command that only removed keys left the keyspace's own tally (less what it removed):
        // both bound the values from above, so the lesser of each figure does too.
        let tally = match (self.db.tally(), admitted.0) {
            (Some(kept), Some(t)) => Some(Tally { cost: kept.cost.min(t.cost), longest: kept.longest.min(t.longest) }),
            (kept, t) => t.or(kept),
        };
        self.db.set_tally(tally);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redis::limits::is_refusal;
    use crate::redis::table::random_lines::{any_write, argv, write_commands};
    use crate::redis::Reply;
    use crate::sim::{SimRng, SimTime};

    const NOW: SimTime = SimTime(1_000_000);

    fn tight() -> Limits {
        Limits {
            max_keys: 5,
            max_value_bytes: 8,
            max_collection_len: 6,
            max_dataset_bytes: 400,
            max_reply_elements: 50,
            max_reply_bytes: 400,
        }
    }

    /// Every database's tally, where one is kept, bounds the exact figures from above.
    fn assert_tallies_bound(s: &mut Store, context: &str) {
        for i in 0..s.database_count() {
            let keys = s.db_keys_mut(i);
            if let Some(t) = keys.tally() {
                let exact = Tally::of(keys);
                assert!(
                    t.cost >= exact.cost && t.longest >= exact.longest,
                    "database {i}: tally {t:?} below the exact {exact:?} after {context}"
                );
            }
        }
    }

    /// Write commands that wait for data: with one client they would only block it.
    const BLOCKING: &[&str] =
        &["blpop", "brpop", "blmove", "brpoplpush", "blmpop", "bzpopmin", "bzpopmax", "bzmpop", "xreadgroup"];

    /// A random command line: mostly the fast path's commands with well-formed arguments near
    /// the tight limits, the rest any write command of the table with arguments from a pool.
    fn random_command(rng: &mut SimRng, writes: &[&'static str]) -> Vec<Vec<u8>> {
        const KEYS: &[&str] = &["a", "b", "l", "h", "s", "z", "k2345678", "k23456789"];
        const WORDS: &[&str] = &["1", "2", "-1", "0", "x", "yy", "1234567", "12345678", "123456789", "3.5"];
        let key = |rng: &mut SimRng| KEYS[rng.index(KEYS.len())].to_string();
        let word = |rng: &mut SimRng| WORDS[rng.index(WORDS.len())].to_string();
        let words = |rng: &mut SimRng, n: usize| (0..n).map(|_| word(rng)).collect::<Vec<_>>().join(" ");
        let n = 1 + rng.index(4);
        let line = match rng.index(26) {
            0 => format!("RPUSH {} {}", key(rng), words(rng, n)),
            1 => format!("LPUSH {} {}", key(rng), words(rng, n)),
            2 => format!("SADD {} {}", key(rng), words(rng, n)),
            3 => format!("HSET {} {}", key(rng), words(rng, 2 * n)),
            4 => format!("ZADD {} {} {}", key(rng), ["", "NX", "XX", "CH", "INCR"][rng.index(5)], words(rng, 2 * n)),
            5 => format!("SET {} {}", key(rng), word(rng)),
            6 => format!("MSET {} {} {} {}", key(rng), word(rng), key(rng), word(rng)),
            7 => format!("INCRBY {} {}", key(rng), ["1", "-9223372036854775807", "9223372036854775807"][rng.index(3)]),
            8 => format!("HINCRBY {} {} {}", key(rng), word(rng), ["1", "-9223372036854775807"][rng.index(2)]),
            9 => format!("LSET {} {} {}", key(rng), ["0", "-1", "5"][rng.index(3)], word(rng)),
            10 => format!("LINSERT {} BEFORE {} {}", key(rng), word(rng), word(rng)),
            11 => format!("ZINCRBY {} {} {}", key(rng), word(rng), word(rng)),
            12 => format!("RPOP {} {}", key(rng), ["1", "3"][rng.index(2)]),
            13 => format!("SREM {} {}", key(rng), words(rng, n)),
            14 => format!("DEL {} {}", key(rng), key(rng)),
            15 => format!("EXPIRE {} {}", key(rng), ["0", "-1", "100"][rng.index(3)]),
            16 => format!("SELECT {}", rng.index(3)),
            17 => format!("SETNX {} {}", key(rng), word(rng)),
            18 => format!("HSETNX {} {} {}", key(rng), word(rng), word(rng)),
            19 => format!("LPUSHX {} {}", key(rng), words(rng, n)),
            20 => format!("ZPOPMIN {} {}", key(rng), n),
            21 => format!("PEXPIRE {} {}", key(rng), ["1", "1000"][rng.index(2)]),
            _ => any_write(rng, writes, key, word),
        };
        argv(&line)
    }

    #[test]
    fn over_many_seeds_the_fast_path_admits_only_what_the_scratch_check_admits_and_leaves_the_same_store() {
        let writes = write_commands(BLOCKING);
        let (mut fast_runs, mut refusals) = (0u64, 0u64);
        for seed in 0..300 {
            let mut rng = SimRng::new(seed).child("limits-fast");
            let mut fast = Store::with_limits(SimRng::new(seed), tight());
            let mut scratch = fast.clone();
            scratch.set_limit_scratch_only(true);
            let mut now = NOW;
            for step in 0..60 {
                let cmd = random_command(&mut rng, &writes);
                let shown = String::from_utf8_lossy(&cmd.join(&b' ')).into_owned();
                let before = fast.limit_runs().fast;
                let a = fast.execute(now, &cmd);
                let b = scratch.execute(now, &cmd);
                let took_fast = fast.limit_runs().fast > before;
                assert!(
                    !(took_fast && is_refusal(&b)),
                    "seed {seed} step {step}: the fast path admitted `{shown}`, the scratch check refused it: {b:?}"
                );
                assert_eq!(a, b, "seed {seed} step {step}: `{shown}` answered differently");
                assert_eq!(
                    fast.export_json(now),
                    scratch.export_json(now),
                    "seed {seed} step {step}: `{shown}` left different stores"
                );
                assert_tallies_bound(&mut fast, &format!("seed {seed} step {step} `{shown}`"));
                fast_runs += u64::from(took_fast);
                refusals += u64::from(is_refusal(&a));
                now += crate::sim::SimDuration::from_millis(rng.below(3));
            }
            assert_eq!(scratch.limit_runs().fast, 0, "the switch turns the fast path off");
        }
        // The sequences reach both paths and the limits (else the property says little).
        assert!(fast_runs > 3_000 && refusals > 500, "fast path {fast_runs} times, {refusals} refusals");
    }

    fn big(kind: &str, n: usize) -> Store {
        let limits = Limits { max_collection_len: 20_000, max_dataset_bytes: 16 << 20, ..Limits::default() };
        let mut s = Store::with_limits(SimRng::new(1), limits);
        for chunk in (0..n).collect::<Vec<_>>().chunks(1_000) {
            let items: Vec<String> = chunk
                .iter()
                .map(|i| match kind {
                    "HSET" => format!("f{i} v"),
                    "ZADD" => format!("{i} m{i}"),
                    _ => format!("e{i}"),
                })
                .collect();
            let r = s.execute(NOW, &argv(&format!("{kind} big {}", items.join(" "))));
            assert!(matches!(r, Reply::Integer(_)), "{r:?}");
        }
        s
    }

    /// A cache whose keys expire while new ones are written (the cache-aside demo): a key that
    /// expires, is deleted or evicted takes its own cost off the tally, so the next write is
    /// checked against it rather than counting the whole keyspace again, and the tally still
    /// bounds the exact figures.
    #[test]
    fn removing_a_key_keeps_the_tally_less_that_key_s_cost() {
        let mut s = Store::with_limits(SimRng::new(1), Limits::default());
        for i in 0..50 {
            s.execute(NOW, &argv(&format!("SET k{i} {} PX {}", "v".repeat(i + 1), 10 + i)));
        }
        let before = s.db_keys_mut(0).tally().expect("the fast path keeps a tally");
        let exact = Tally::of(s.db_keys_mut(0)).cost;
        let cost = |s: &mut Store, k: &str| value_cost(k.as_bytes(), s.db.get(k.as_bytes()).unwrap());
        let k3 = cost(&mut s, "k3");
        s.execute(NOW, &argv("DEL k3"));
        let after_del = s.db_keys_mut(0).tally().expect("a delete keeps the tally");
        assert_eq!(after_del.cost, before.cost - k3, "less the deleted key's cost");
        // Lazy expiry on a read, then the active cycle.
        let later = NOW + crate::sim::SimDuration::from_millis(30);
        let k10 = cost(&mut s, "k10");
        s.execute(later, &argv("GET k10"));
        let after_expiry = s.db_keys_mut(0).tally().expect("an expired key keeps the tally");
        assert_eq!(after_expiry.cost, after_del.cost - k10);
        s.active_expire_cycle(
            crate::redis::expire::CycleKind::Slow,
            later + crate::sim::SimDuration::from_millis(100),
            0,
        );
        let t = s.db_keys_mut(0).tally().expect("the active expire cycle keeps the tally");
        assert!(s.db.is_empty());
        assert_eq!(t.cost, before.cost - exact, "every removal subtracted exactly what it removed");
        let scratch = s.limit_runs().scratch;
        s.execute(later, &argv("SET fresh 1"));
        assert_eq!(s.limit_runs().scratch, scratch, "the next write takes the fast path");
        assert_tallies_bound(&mut s, "after the writes");
    }

    #[test]
    fn one_element_writes_to_ten_thousand_element_collections_take_the_fast_path() {
        for (fill, writes) in [
            ("RPUSH", &["RPUSH big new", "LPUSH big new", "RPOP big", "LSET big 0 x", "LINSERT big BEFORE x y"][..]),
            ("HSET", &["HSET big new v", "HDEL big new", "HINCRBY big n 1"]),
            ("SADD", &["SADD big new", "SREM big new", "SPOP big"]),
            ("ZADD", &["ZADD big 1.5 new", "ZINCRBY big 2 new", "ZREM big new", "ZPOPMIN big"]),
        ] {
            let mut s = big(fill, 10_000);
            s.execute(NOW, &argv("SET warm 1"));
            let runs = s.limit_runs().clone();
            for w in writes {
                let r = s.execute(NOW, &argv(w));
                assert!(!matches!(r, Reply::Error(_)), "{w}: {r:?}");
            }
            assert_eq!(s.limit_runs().scratch, runs.scratch, "{fill}: no scratch run for {writes:?}");
            assert_eq!(s.limit_runs().fast, runs.fast + writes.len() as u64);
        }
    }

    #[test]
    fn a_write_the_bound_does_not_fit_takes_the_scratch_check_and_is_refused_whole_with_the_same_error() {
        let mut s = Store::with_limits(SimRng::new(1), tight());
        for line in ["RPUSH l a b c d e f", "SET k 1", "MSET x 1 y 2 z 3"] {
            s.execute(NOW, &argv(line));
        }
        let mut scratch = s.clone();
        scratch.set_limit_scratch_only(true);
        for (line, error) in [
            (
                "RPUSH l g",
                r#"ERR playground limit: this command would make list "l" hold 7 elements, the most allowed is 6; nothing was changed"#,
            ),
            (
                "SET w 1",
                "OOM playground limit: this command would leave 6 keys, the most allowed is 5; nothing was changed (delete keys or FLUSHDB)",
            ),
        ] {
            let before = (s.limit_runs().clone(), s.export_json(NOW));
            let r = s.execute(NOW, &argv(line));
            assert_eq!(r, Reply::Error(error.into()), "{line}");
            assert_eq!(scratch.execute(NOW, &argv(line)), r, "{line}: the scratch-only store says the same");
            assert_eq!(s.export_json(NOW), before.1, "{line} changed nothing");
            assert_eq!(s.limit_runs().scratch, before.0.scratch + 1, "{line} went to the scratch check");
        }
        // A shrinking command runs on the fast path even at the limits.
        let scratch_runs = s.limit_runs().scratch;
        assert_eq!(s.execute(NOW, &argv("RPOP l")), Reply::Bulk(b"f".to_vec()));
        assert_eq!(s.limit_runs().scratch, scratch_runs);
    }

    #[test]
    fn a_value_longer_than_the_limits_now_allow_sends_growing_writes_to_the_scratch_check() {
        // Loaded under looser limits: the scratch check refuses growing the long value, and the
        // fast path (whose tally sees the long element) does not take it.
        let mut s = Store::with_limits(SimRng::new(1), Limits::default());
        s.execute(NOW, &argv("RPUSH l 123456789"));
        s.limits = tight();
        let runs = s.limit_runs().clone();
        let r = s.execute(NOW, &argv("RPUSH l 1"));
        assert_eq!(
            r,
            Reply::Error(r#"ERR playground limit: this command would write a element of 9 bytes at key "l", the most allowed is 8; nothing was changed"#.into())
        );
        assert_eq!((s.limit_runs().fast, s.limit_runs().scratch), (runs.fast, runs.scratch + 1));
    }

    #[test]
    fn growth_bounds_cover_what_the_command_can_store() {
        let hset = argv("HSET h f1 v1 f2 v22");
        let g = growth_of("hset", &hset).unwrap();
        assert_eq!(
            g,
            Growth::Bounded {
                keys: vec![&b"h"[..]],
                new_keys: 1,
                elements: Some(2),
                bytes: 16 * 3 + 1 + 9,
                longest: 3
            }
        );
        let mset = argv("MSET a 1 bb 22");
        let g = growth_of("mset", &mset).unwrap();
        assert_eq!(
            g,
            Growth::Bounded { keys: vec![&b"a"[..], b"bb"], new_keys: 2, elements: None, bytes: 32 + 6, longest: 2 }
        );
        assert_eq!(growth_of("rpop", &argv("RPOP l")), Some(Growth::Shrinks));
        assert_eq!(growth_of("xack", &argv("XACK s g 1-0")), Some(Growth::Shrinks));
        assert_eq!(growth_of("sunionstore", &argv("SUNIONSTORE d a b")), None, "not bounded by its arguments");
        assert_eq!(growth_of("rpush", &argv("RPUSH")), None, "a short argv is no panic");
    }
}
