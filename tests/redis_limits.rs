#![cfg(not(target_arch = "wasm32"))]
//! The playground's limits are checked for what a command would produce, before it runs: a
//! command that would cross one is refused whole, and whatever the store accepts, its export
//! loads again (issue 11, "Data loss on the Redis page").

use playground::redis::{Reply, Store};
use playground::sim::{SimRng, TEST_EPOCH};

fn argv(words: impl IntoIterator<Item = impl Into<Vec<u8>>>) -> Vec<Vec<u8>> {
    words.into_iter().map(Into::into).collect()
}

#[test]
fn one_mset_past_the_key_limit_is_refused_whole_and_the_saved_dataset_still_loads() {
    let t = TEST_EPOCH;
    let mut s = Store::new(SimRng::new(1));
    assert_eq!(s.execute_str(t, "SET important data"), Reply::ok());
    let mut cmd = argv(["MSET"]);
    for i in 0..10_001 {
        cmd.push(format!("k{i}").into_bytes());
        cmd.push(b"v".to_vec());
    }
    let before = s.export_json(t);
    let reply = s.execute(t, &cmd);
    let Reply::Error(text) = &reply else { panic!("MSET of 10,001 new keys on top of 1 was accepted: {reply:?}") };
    assert!(
        text.contains("10002") && text.contains("10000"),
        "the error names the would-be count and the limit: {text}"
    );
    assert_eq!(s.dbsize(), 1, "nothing is partly applied");
    assert_eq!(s.export_json(t), before);
    let mut reloaded = Store::new(SimRng::new(2));
    reloaded.import_json(&s.export_json(t)).expect("what the store holds always loads");
    assert_eq!(reloaded.execute_str(t, "GET important"), Reply::bulk("data"));
}

// ---- property: refused means untouched, accepted means loadable --------------------------------

use playground::redis::{Limits, COMMANDS};
use playground::sim::{SimDuration, SimTime};
use std::collections::BTreeSet;

/// Limits small enough that random commands cross every one of them often.
fn tight() -> Limits {
    Limits {
        max_keys: 6,
        max_value_bytes: 12,
        max_collection_len: 6,
        max_dataset_bytes: 420,
        max_reply_elements: 10,
        max_reply_bytes: 60,
    }
}

struct Gen {
    rng: SimRng,
    now: SimTime,
}

impl Gen {
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.rng.index(xs.len())]
    }
    fn key(&mut self) -> String {
        // Mostly a small pool (so commands meet each other's values); sometimes a long name.
        if self.rng.bernoulli(0.03) {
            "k".repeat(1 + self.rng.index(14))
        } else {
            format!("k{}", self.rng.index(7))
        }
    }
    fn value(&mut self) -> String {
        let n = match self.rng.below(10) {
            0 => 9 + self.rng.index(6),
            _ => self.rng.index(5),
        };
        (0..n).map(|_| (b'a' + self.rng.below(4) as u8) as char).collect()
    }
    /// A database: mostly 0 to 2, so keys meet across them.
    fn db(&mut self) -> String {
        self.pick(&["0", "0", "1", "2"]).to_string()
    }
    fn num(&mut self) -> String {
        self.pick(&["0", "1", "2", "3", "-1", "-2", "5", "12", "20", "100"]).to_string()
    }
    fn many(&mut self, f: &mut dyn FnMut(&mut Self) -> Vec<String>) -> Vec<String> {
        let n = 1 + self.rng.index(8);
        (0..n).flat_map(|_| f(self)).collect()
    }
    fn command(&mut self) -> Vec<String> {
        let writes: Vec<&str> = COMMANDS
            .iter()
            .filter(|c| c.flags.contains(&playground::redis::table::Flag::Write))
            .map(|c| c.name)
            .collect();
        let name = if self.rng.bernoulli(0.8) {
            writes[self.rng.index(writes.len())]
        } else {
            self.pick(&[
                "get",
                "mget",
                "lrange",
                "smembers",
                "hgetall",
                "zrange",
                "srandmember",
                "dbsize",
                "keys",
                "select",
            ])
        };
        let mut c = vec![name.to_string()];
        let k = self.key();
        let v = self.value();
        let ms = (self.now.as_unix_ms() + self.rng.below(300)).to_string();
        let rest: Vec<String> = match name {
            "set" => {
                let mut r = vec![k, v];
                r.extend(match self.rng.below(6) {
                    0 => vec!["PX".to_string(), (1 + self.rng.below(200)).to_string()],
                    1 => vec!["NX".to_string()],
                    2 => vec!["XX".to_string(), "GET".to_string()],
                    3 => vec!["KEEPTTL".to_string()],
                    _ => vec![],
                });
                r
            }
            "getset" | "setnx" | "append" => vec![k, v],
            "setex" => vec![k, (1 + self.rng.below(3)).to_string(), v],
            "psetex" => vec![k, (1 + self.rng.below(200)).to_string(), v],
            "mset" | "msetnx" => self.many(&mut |g| vec![g.key(), g.value()]),
            "incr" | "decr" | "getdel" | "persist" | "lpop" | "rpop" | "spop" => {
                let mut r = vec![k];
                if matches!(name, "lpop" | "rpop" | "spop") && self.rng.bernoulli(0.5) {
                    r.push(self.pick(&["1", "2", "7"]).into());
                }
                r
            }
            "incrby" | "decrby" => vec![k, self.num()],
            "incrbyfloat" => vec![k, self.pick(&["1.5", "1e10", "-0.25", "3"]).into()],
            "getex" => vec![k, self.pick(&["PERSIST", "PX"]).into()]
                .into_iter()
                .chain(Some("50".into()))
                .take(2 + self.rng.index(2))
                .collect(),
            "setrange" => vec![k, self.pick(&["0", "3", "8", "11", "12", "20"]).into(), v],
            "del" | "unlink" => self.many(&mut |g| vec![g.key()]),
            "expire" => vec![k, self.pick(&["1", "0", "-1", "100"]).into()],
            "pexpire" => vec![k, (self.rng.below(200)).to_string()],
            "expireat" => vec![k, (self.now.as_unix_ms() / 1000 + self.rng.below(3)).to_string()],
            "pexpireat" => vec![k, ms],
            "rename" | "renamenx" | "rpoplpush" => vec![k, self.key()],
            "copy" => {
                let mut r = vec![k, self.key()];
                if self.rng.bernoulli(0.4) {
                    r.extend(["DB".to_string(), self.db()]);
                }
                if self.rng.bernoulli(0.5) {
                    r.push("REPLACE".into());
                }
                r
            }
            "zpopmin" | "zpopmax" => {
                let mut r = vec![k];
                if self.rng.bernoulli(0.5) {
                    r.push(self.pick(&["1", "2", "7"]).into());
                }
                r
            }
            "move" => vec![k, self.db()],
            "xadd" => {
                let mut r = vec![k];
                if self.rng.bernoulli(0.2) {
                    r.extend(["MAXLEN".to_string(), self.pick(&["~", "="]).into(), self.num()]);
                }
                r.push("*".into());
                r.extend(self.many(&mut |g| vec![g.value(), g.value()]));
                r
            }
            "xdel" => vec![k, format!("{}-0", self.now.as_unix_ms()), "0-1".into()],
            "xtrim" => vec![k, "MAXLEN".into(), self.num()],
            "xsetid" => vec![k, format!("{}-9", self.now.as_unix_ms())],
            "xreadgroup" => vec!["GROUP".into(), "g".into(), self.value(), "STREAMS".into(), k, ">".into()],
            "xack" => vec![k, "g".into(), "0-1".into()],
            "xclaim" => vec![k, "g".into(), self.value(), "0".into(), "0-1".into()],
            "xautoclaim" => vec![k, "g".into(), self.value(), "0".into(), "0".into()],
            "swapdb" => vec![self.db(), self.db()],
            // Blocking forms: with nothing to take, the one-client path waits out a short timeout.
            "blpop" | "brpop" | "bzpopmin" | "bzpopmax" => vec![k, self.key(), "0.01".into()],
            "blmove" => vec![
                k,
                self.key(),
                self.pick(&["LEFT", "RIGHT"]).into(),
                self.pick(&["LEFT", "RIGHT"]).into(),
                "0.01".into(),
            ],
            "brpoplpush" => vec![k, self.key(), "0.01".into()],
            "lmpop" | "zmpop" | "blmpop" | "bzmpop" => {
                let mut r = if name.starts_with('b') { vec!["0.01".to_string()] } else { vec![] };
                r.extend(["2".to_string(), k, self.key()]);
                r.push(
                    if name.contains('l') { self.pick(&["LEFT", "RIGHT"]) } else { self.pick(&["MIN", "MAX"]) }.into(),
                );
                if self.rng.bernoulli(0.5) {
                    r.extend(["COUNT".to_string(), self.pick(&["1", "3"]).into()]);
                }
                r
            }
            "flushdb" | "flushall" => {
                if self.rng.bernoulli(0.9) {
                    return vec!["dbsize".into()];
                }
                vec![]
            }
            "lpush" | "rpush" | "lpushx" | "rpushx" | "sadd" | "srem" | "zrem" => {
                let mut r = vec![k];
                r.extend(self.many(&mut |g| vec![g.value()]));
                r
            }
            "lset" => vec![k, self.pick(&["0", "-1", "3"]).into(), v],
            "lrem" => vec![k, self.num(), v],
            "ltrim" => vec![k, self.num(), self.num()],
            "linsert" => vec![k, self.pick(&["BEFORE", "AFTER"]).into(), self.value(), v],
            "lmove" => vec![k, self.key(), self.pick(&["LEFT", "RIGHT"]).into(), self.pick(&["LEFT", "RIGHT"]).into()],
            "smove" => vec![k, self.key(), v],
            "hset" | "hmset" => {
                let mut r = vec![k];
                r.extend(self.many(&mut |g| vec![g.value(), g.value()]));
                r
            }
            "hsetnx" => vec![k, self.value(), v],
            "hdel" => {
                let mut r = vec![k];
                r.extend(self.many(&mut |g| vec![g.value()]));
                r
            }
            "hincrby" => vec![k, self.value(), self.num()],
            "hincrbyfloat" => vec![k, self.value(), "2.5".into()],
            "zadd" => {
                let mut r = vec![k];
                if self.rng.bernoulli(0.3) {
                    r.push(self.pick(&["NX", "XX", "GT", "LT", "CH"]).into());
                }
                if self.rng.bernoulli(0.1) {
                    r.extend(["INCR".to_string(), self.num(), v]);
                } else {
                    r.extend(self.many(&mut |g| vec![g.num(), g.value()]));
                }
                r
            }
            "zincrby" => vec![k, self.num(), v],
            "get" | "smembers" | "hgetall" => vec![k],
            "mget" => self.many(&mut |g| vec![g.key()]),
            "lrange" | "zrange" => vec![k, "0".into(), "-1".into()],
            "srandmember" => vec![k, self.pick(&["-9", "-3", "3"]).into()],
            "keys" => vec!["*".into()],
            "dbsize" => vec![],
            "select" => vec![self.db()],
            other => {
                panic!("the generator does not know the write command {other:?}: teach it, so the property covers it")
            }
        };
        c.extend(rest);
        c
    }
}

#[test]
fn random_commands_near_the_limits_never_half_apply_and_always_leave_a_loadable_dataset() {
    let seeds = 200;
    let (mut refused, mut accepted) = (0u64, 0u64);
    let mut names_refused = BTreeSet::new();
    for seed in 0..seeds {
        let mut g = Gen { rng: SimRng::new(seed).child("commands"), now: TEST_EPOCH };
        let mut s = Store::with_limits(SimRng::new(seed).child("store"), tight());
        for _ in 0..200 {
            g.now += SimDuration::from_millis(g.rng.below(40));
            if g.rng.bernoulli(0.1) {
                s.run_active_expire_cycle(g.now);
            }
            let cmd = g.command();
            let argv: Vec<Vec<u8>> = cmd.iter().map(|w| w.as_bytes().to_vec()).collect();
            let (before, held) = (s.export_json(g.now), s.dbsize());
            let reply = s.execute(g.now, &argv);
            let after = s.export_json(g.now);
            if matches!(&reply, Reply::Error(e) if e.contains("playground limit")) {
                refused += 1;
                names_refused.insert(cmd[0].clone());
                assert_eq!(after, before, "seed {seed}: refused {cmd:?} changed the dataset");
                assert_eq!(s.dbsize(), held, "seed {seed}: refused {cmd:?} changed DBSIZE");
            } else {
                accepted += 1;
                let mut copy = Store::with_limits(SimRng::new(0), tight());
                if let Err(e) = copy.import_json(&after) {
                    panic!("seed {seed}: after {cmd:?} -> {reply:?} the export does not load: {e}\n{after}");
                }
                assert_eq!(copy.export_json(g.now), after, "seed {seed}: the export round-trips exactly");
            }
        }
    }
    println!("limits property: {seeds} seeds, {accepted} accepted and {refused} refused commands; refused: {names_refused:?}");
    for name in
        ["mset", "rpush", "sadd", "hset", "zadd", "copy", "append", "setrange", "set", "linsert", "lmove", "smove"]
    {
        assert!(names_refused.contains(name), "{name} was never refused: the generator does not reach its limits");
    }
}
