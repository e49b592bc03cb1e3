#![cfg(not(target_arch = "wasm32"))]
//! The cluster model against a real Redis Cluster of the same shape.
//!
//! The test starts six `redis-server` processes on free loopback ports (cluster-enabled, no
//! persistence, `cluster-node-timeout 5000`), joins them with `redis-cli --cluster create …
//! --cluster-replicas 1 --cluster-yes`, waits for `cluster_state:ok` on every node, and compares
//! with the model (addresses mapped: real port P0 + i ↔ model 127.0.0.1:7000 + i; node IDs by
//! index):
//! - `keyHashSlot`: CLUSTER KEYSLOT for 12,000 keys (hash tags, empty braces, binary bytes);
//! - every command's key specification against `COMMAND INFO` (first, last, step);
//! - MOVED, ASK, TRYAGAIN and CROSSSLOT replies, ASKING, READONLY on a replica, SETSLOT
//!   IMPORTING/MIGRATING/NODE, MIGRATE, COUNTKEYSINSLOT/GETKEYSINSLOT, and the refusals of
//!   FAILOVER, REPLICAS and ADDSLOTS/DELSLOTS (+RANGE), byte for byte;
//! - CLUSTER INFO's fields, and the shape of CLUSTER NODES, SLOTS and SHARDS;
//! - then it SIGKILLs a master and prints how long the real replica took to be promoted beside
//!   the model's failover times over many seeds, with the same node timeout.
//!
//! Every process it started is killed when it ends (a Drop guard, also on failure), and its
//! temporary directory removed.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use playground::cluster::cli::CliSession;
use playground::cluster::keys::{command_info, KeySpec};
use playground::cluster::runtime::ClusterRun;
use playground::cluster::scenario::preset;
use playground::cluster::server::ConnState;
use playground::cluster::slot::key_slot;
use playground::redis::{table, Reply};
use playground::sim::SimRng;
use redis::ConnectionLike;

const NODES: usize = 6;
const MODEL_PORT: u16 = 7000;

struct Cluster {
    children: Vec<Option<Child>>,
    base: u16,
    dir: PathBuf,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for c in self.children.iter_mut().flatten() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn port_free(p: u16) -> bool {
    TcpListener::bind(("127.0.0.1", p)).is_ok()
}

/// A base port whose six client ports and six bus ports (+10000) are free.
fn free_base() -> u16 {
    let mut rng = SimRng::new(std::process::id() as u64);
    for _ in 0..200 {
        let base = 20_000 + (rng.below(900) as u16) * 10;
        if (0..NODES as u16).all(|i| port_free(base + i) && port_free(base + 10_000 + i)) {
            return base;
        }
    }
    panic!("no free block of loopback ports for six cluster nodes");
}

/// Starts the processes and runs `redis-cli --cluster create`; returns the cluster and when the
/// create command was started.
fn start_cluster() -> (Cluster, Instant) {
    let base = free_base();
    let dir = std::env::temp_dir().join(format!("cluster-diff-{}-{base}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut cluster = Cluster { children: Vec::new(), base, dir: dir.clone() };
    for i in 0..NODES as u16 {
        let port = base + i;
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--cluster-enabled", "yes"])
            .args(["--cluster-config-file", &format!("nodes-{port}.conf"), "--cluster-node-timeout", "5000"])
            .args(["--save", "", "--appendonly", "no", "--dir", dir.to_str().expect("utf-8 temp dir")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        match child {
            Ok(c) => cluster.children.push(Some(c)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                panic!("redis-server not found: install it (the README test command does)")
            }
            Err(e) => panic!("could not start redis-server: {e}"),
        }
    }
    for i in 0..NODES as u16 {
        let deadline = Instant::now() + Duration::from_secs(10);
        while call(base + i, &["PING"]).is_err() {
            assert!(Instant::now() < deadline, "redis-server on port {} did not answer PING", base + i);
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let addrs: Vec<String> = (0..NODES as u16).map(|i| format!("127.0.0.1:{}", base + i)).collect();
    let create = Instant::now();
    let status = Command::new("redis-cli")
        .args(["--cluster", "create"])
        .args(&addrs)
        .args(["--cluster-replicas", "1", "--cluster-yes"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run redis-cli --cluster create");
    assert!(status.success(), "redis-cli --cluster create failed");
    (cluster, create)
}

fn to_reply(v: redis::Value) -> Reply {
    match v {
        redis::Value::Nil => Reply::Nil,
        redis::Value::Int(i) => Reply::Integer(i),
        redis::Value::BulkString(b) => Reply::Bulk(b),
        redis::Value::Array(items) => Reply::Array(items.into_iter().map(to_reply).collect()),
        redis::Value::SimpleString(s) => Reply::Status(s),
        redis::Value::Okay => Reply::ok(),
        redis::Value::VerbatimString { text, .. } => Reply::Bulk(text.into_bytes()),
        redis::Value::ServerError(e) => Reply::Error(match e.details() {
            Some(d) => format!("{} {d}", e.code()),
            None => e.code().to_string(),
        }),
        other => panic!("unexpected RESP2 value {other:?}"),
    }
}

fn connect(port: u16) -> redis::RedisResult<redis::Connection> {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/"))?;
    let con = client.get_connection_with_timeout(Duration::from_secs(2))?;
    con.set_read_timeout(Some(Duration::from_secs(10)))?;
    Ok(con)
}

fn packed(argv: &[Vec<u8>]) -> Vec<u8> {
    let mut c = redis::Cmd::new();
    for a in argv {
        c.arg(a.as_slice());
    }
    c.get_packed_command()
}

/// One command on a fresh connection.
fn call(port: u16, words: &[&str]) -> redis::RedisResult<Reply> {
    let mut con = connect(port)?;
    let argv: Vec<Vec<u8>> = words.iter().map(|w| w.as_bytes().to_vec()).collect();
    con.req_packed_command(&packed(&argv)).map(to_reply)
}

fn text(r: &Reply) -> String {
    match r {
        Reply::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
        other => panic!("expected a bulk string, got {other:?}"),
    }
}

/// CLUSTER INFO as field → value.
fn info_fields(r: &Reply) -> BTreeMap<String, String> {
    text(r).lines().filter_map(|l| l.split_once(':')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// A session that runs the same commands on a real node and on the model's node of the same
/// index, with node IDs and ports mapped.
struct Both<'a> {
    real: Vec<redis::Connection>,
    base: u16,
    real_ids: Vec<String>,
    model: &'a mut ClusterRun,
    model_conns: Vec<ConnState>,
}

impl Both<'_> {
    fn model_ids(&self) -> Vec<String> {
        self.model.model().names.clone()
    }
    /// Replaces `{id<i>}` with node i's ID and `{port<i>}` with its port.
    fn fill(&self, words: &[&str], real: bool) -> Vec<Vec<u8>> {
        let ids = if real { self.real_ids.clone() } else { self.model_ids() };
        words
            .iter()
            .map(|w| {
                let mut w = w.to_string();
                for (i, id) in ids.iter().enumerate() {
                    w = w.replace(&format!("{{id{i}}}"), id);
                    let port = if real { self.base + i as u16 } else { MODEL_PORT + i as u16 };
                    w = w.replace(&format!("{{port{i}}}"), &port.to_string());
                }
                w.into_bytes()
            })
            .collect()
    }
    fn map_ports(&self, r: Reply) -> Reply {
        match r {
            Reply::Error(mut e) => {
                for i in 0..NODES as u16 {
                    e = e.replace(&format!("127.0.0.1:{}", self.base + i), &format!("127.0.0.1:{}", MODEL_PORT + i));
                }
                Reply::Error(e)
            }
            other => other,
        }
    }
    /// Runs `words` on node `i` of both; returns (real, model) with the real ports mapped.
    fn run(&mut self, i: usize, words: &[&str]) -> (Reply, Reply) {
        let cmd = packed(&self.fill(words, true));
        let real = self.real[i].req_packed_command(&cmd).map(to_reply).expect("real reply");
        let argv = self.fill(words, false);
        let mut conn = self.model_conns[i];
        let model = self.model.cli(i, &mut conn, argv).expect("the model answers");
        self.model_conns[i] = conn;
        (self.map_ports(real), model)
    }
    /// Runs `words` on node `i` of both and asserts the replies are equal.
    fn same(&mut self, i: usize, words: &[&str]) -> Reply {
        let (real, model) = self.run(i, words);
        assert_eq!(model, real, "node {i}: {}", words.join(" "));
        real
    }
}

/// 12,000 keys: random binary keys biased towards braces, and hand-picked hash-tag shapes.
fn keys() -> Vec<Vec<u8>> {
    let mut rng = SimRng::new(2024);
    let alphabet: &[u8] = b"{}{}ab\x00\xff:xyz0189 ";
    let mut out: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"{}".to_vec(),
        b"{}x".to_vec(),
        b"x{}".to_vec(),
        b"{}{x}".to_vec(),
        b"{x}{}".to_vec(),
        b"{{}}".to_vec(),
        b"}{".to_vec(),
        b"}{x}".to_vec(),
        b"{user1000}.following".to_vec(),
        b"foo{bar}{zap}".to_vec(),
        b"foo{{bar}}zap".to_vec(),
        b"\xff{\x00}\xfe".to_vec(),
    ];
    while out.len() < 12_000 {
        let len = rng.below(24) as usize;
        let key: Vec<u8> = (0..len)
            .map(|_| if rng.bernoulli(0.7) { alphabet[rng.index(alphabet.len())] } else { rng.below(256) as u8 })
            .collect();
        out.push(key);
    }
    out
}

/// Waits until every node says cluster_state:ok and sees three masters and three replicas.
fn wait_ok(base: u16, start: Instant, within: Duration) -> Duration {
    loop {
        let ok = (0..NODES as u16).all(|i| {
            let state =
                call(base + i, &["CLUSTER", "INFO"]).map(|r| text(&r).contains("cluster_state:ok")).unwrap_or(false);
            let roles =
                call(base + i, &["CLUSTER", "NODES"]).map(|r| text(&r).matches("slave").count() == 3).unwrap_or(false);
            state && roles
        });
        if ok {
            return start.elapsed();
        }
        assert!(start.elapsed() < within, "the real cluster did not reach cluster_state:ok within {within:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The replica of each master, from a CLUSTER NODES text: master ID → replica ID.
fn replica_ids(nodes: &str) -> BTreeMap<String, String> {
    nodes
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            (f[2].contains("slave")).then(|| (f[3].to_string(), f[0].to_string()))
        })
        .collect()
}

fn nodes_line_ok(line: &str) -> bool {
    let f: Vec<&str> = line.split(' ').collect();
    let hex40 = |s: &str| s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    f.len() >= 8
        && hex40(f[0])
        && f[1].starts_with("127.0.0.1:")
        && f[1].contains('@')
        && f[2]
            .split(',')
            .all(|x| ["myself", "master", "slave", "fail?", "fail", "handshake", "noaddr", "nofailover"].contains(&x))
        && (f[3] == "-" || hex40(f[3]))
        && f[4].parse::<u64>().is_ok()
        && f[5].parse::<u64>().is_ok()
        && f[6].parse::<u64>().is_ok()
        && (f[7] == "connected" || f[7] == "disconnected")
        && f[8..].iter().all(|s| s.split('-').all(|n| n.parse::<u16>().is_ok()))
}

/// The shape of a reply: arrays by length and element shape, integers as "int", strings as
/// "str", errors by their first word.
fn shape(r: &Reply) -> String {
    match r {
        Reply::Array(items) => format!("[{}]", items.iter().map(shape).collect::<Vec<_>>().join(",")),
        Reply::Integer(_) => "int".into(),
        Reply::Bulk(_) | Reply::Status(_) => "str".into(),
        Reply::Nil | Reply::NilArray => "nil".into(),
        Reply::Error(e) => format!("err:{}", e.split(' ').next().unwrap_or("")),
    }
}

#[test]
fn the_model_answers_like_a_real_redis_cluster() {
    let started = Instant::now();
    let (cluster, create) = start_cluster();
    let base = cluster.base;
    let ok_after = wait_ok(base, create, Duration::from_secs(30));
    println!(
        "real cluster: cluster_state:ok with every replica known {:.1} s after redis-cli --cluster create started",
        ok_after.as_secs_f64()
    );

    // --- key slots -------------------------------------------------------------------------------
    let ks = keys();
    let mut con = connect(base).expect("connect");
    let mut mismatches = Vec::new();
    for chunk in ks.chunks(1000) {
        let mut pipe = Vec::new();
        for k in chunk {
            pipe.extend(packed(&[b"CLUSTER".to_vec(), b"KEYSLOT".to_vec(), k.clone()]));
        }
        let replies = con.req_packed_commands(&pipe, 0, chunk.len()).expect("pipelined KEYSLOT");
        for (k, r) in chunk.iter().zip(replies) {
            let real = match to_reply(r) {
                Reply::Integer(s) => s as u16,
                other => panic!("KEYSLOT {k:?}: {other:?}"),
            };
            if real != key_slot(k) {
                mismatches.push((k.clone(), real, key_slot(k)));
            }
        }
    }
    assert!(mismatches.is_empty(), "slots differ (key, real, model): {:?}", &mismatches[..mismatches.len().min(10)]);
    println!("key slots: {} keys agree", ks.len());

    // --- key specifications ------------------------------------------------------------------------
    let mut spec_mismatches = Vec::new();
    for c in table::COMMANDS {
        let real = call(base, &["COMMAND", "INFO", c.name]).expect("COMMAND INFO");
        let Reply::Array(items) = real else { panic!("COMMAND INFO {}: {real:?}", c.name) };
        let Some(Reply::Array(info)) = items.first() else { panic!("COMMAND INFO {}: {items:?}", c.name) };
        let int = |i: usize| match &info[i] {
            Reply::Integer(n) => *n as i32,
            other => panic!("{}: {other:?}", c.name),
        };
        let spec = command_info(c.name.as_bytes()).expect("known").spec;
        let real_spec = KeySpec { first: int(3), last: int(4), step: int(5) };
        if spec != real_spec {
            spec_mismatches.push((c.name, spec, real_spec));
        }
    }
    assert!(spec_mismatches.is_empty(), "key specs differ (command, model, real): {spec_mismatches:#?}");

    // --- the model, same shape -------------------------------------------------------------------
    let mut s = preset("steady").unwrap();
    s.workload.read_rate = 0.0;
    s.workload.write_rate = 0.0;
    let mut model = ClusterRun::new(s, 11).unwrap();
    model.run_to_ms(1000);

    let real_nodes: Vec<String> =
        (0..NODES as u16).map(|i| text(&call(base + i, &["CLUSTER", "NODES"]).unwrap())).collect();
    let real_ids: Vec<String> =
        (0..NODES as u16).map(|i| text(&call(base + i, &["CLUSTER", "MYID"]).unwrap())).collect();
    let real_conns: Vec<redis::Connection> = (0..NODES as u16).map(|i| connect(base + i).unwrap()).collect();
    let mut both = Both {
        real: real_conns,
        base,
        real_ids: real_ids.clone(),
        model: &mut model,
        model_conns: vec![ConnState::default(); NODES],
    };

    // CLUSTER INFO fields.
    let mut real_epochs = Vec::new();
    let mut model_epochs = Vec::new();
    for i in 0..NODES {
        let (real, model) = both.run(i, &["CLUSTER", "INFO"]);
        let (rf, mf) = (info_fields(&real), info_fields(&model));
        for field in [
            "cluster_state",
            "cluster_slots_assigned",
            "cluster_slots_ok",
            "cluster_slots_pfail",
            "cluster_slots_fail",
            "cluster_known_nodes",
            "cluster_size",
            "cluster_current_epoch",
        ] {
            assert_eq!(mf.get(field), rf.get(field), "node {i}: {field}");
        }
        let names = |f: &BTreeMap<String, String>| -> Vec<String> {
            f.keys()
                .filter(|k| {
                    !k.starts_with("cluster_stats_messages_")
                        || k.ends_with("messages_sent")
                        || k.ends_with("messages_received")
                })
                .cloned()
                .collect()
        };
        assert_eq!(names(&mf), names(&rf), "node {i}: CLUSTER INFO field names");
        real_epochs.push(rf["cluster_my_epoch"].clone());
        model_epochs.push(mf["cluster_my_epoch"].clone());
    }
    real_epochs.sort();
    model_epochs.sort();
    assert_eq!(model_epochs, real_epochs, "cluster_my_epoch over the six nodes");

    // CLUSTER NODES: one well-formed line per node, the same flags.
    for i in 0..NODES {
        let (real, model) = both.run(i, &["CLUSTER", "NODES"]);
        let flags = |t: &str| {
            let mut f: Vec<String> = t.lines().map(|l| l.split(' ').nth(2).unwrap_or("").to_string()).collect();
            f.sort();
            f
        };
        for l in text(&real).lines().chain(text(&model).lines()) {
            assert!(nodes_line_ok(l), "malformed CLUSTER NODES line {l:?}");
        }
        assert_eq!(flags(&text(&model)), flags(&text(&real)), "node {i}: flags");
    }

    // Redirects, errors, ASKING, READONLY, a slot migration.
    let tag = (0..).map(|n| format!("{{t{n}}}")).find(|t| key_slot(t.as_bytes()) < 5000).unwrap();
    let slot = key_slot(tag.as_bytes()).to_string();
    let k1 = format!("{tag}k1");
    let km = format!("{tag}missing");
    both.same(0, &["SET", &k1, "v1"]);
    both.same(1, &["GET", &k1]);
    both.same(0, &["GET", "foo"]);
    both.same(0, &["SET", "foo", "bar"]);
    both.same(2, &["SET", "foo", "bar"]);
    both.same(2, &["MSET", "a", "1", "b", "2"]);
    both.same(2, &["MGET", "foo", "{foo}x"]);
    both.same(0, &["CLUSTER", "KEYSLOT", "{user1000}.following"]);
    both.same(0, &["CLUSTER", "COUNTKEYSINSLOT", &slot]);
    both.same(0, &["CLUSTER", "GETKEYSINSLOT", &slot, "10"]);
    both.same(0, &["CLUSTER", "COUNTKEYSINSLOT", "16384"]);
    both.same(0, &["CLUSTER", "SETSLOT", &slot, "FOO"]);
    both.same(0, &["CLUSTER", "NOSUCH"]);
    both.same(0, &["CLUSTER", "KEYSLOT"]);
    both.same(0, &["CLUSTER", "FAILOVER"]);
    both.same(0, &["CLUSTER", "FAILOVER", "NOW"]);
    both.same(0, &["CLUSTER", "REPLICAS", "nosuchnode"]);
    both.same(0, &["CLUSTER", "REPLICAS", "{id3}"]);
    both.same(0, &["CLUSTER", "ADDSLOTS", "0"]);
    both.same(0, &["CLUSTER", "ADDSLOTS", "16384"]);
    both.same(0, &["CLUSTER", "DELSLOTS", "7", "7"]);
    both.same(0, &["CLUSTER", "ADDSLOTSRANGE", "9", "8"]);
    both.same(0, &["CLUSTER", "DELSLOTSRANGE", "1", "2", "3"]);
    both.same(0, &["WAIT", "x", "0"]);
    both.same(1, &["CLUSTER", "SETSLOT", &slot, "IMPORTING", "{id0}"]);
    both.same(0, &["CLUSTER", "SETSLOT", &slot, "MIGRATING", "{id1}"]);
    both.same(0, &["GET", &k1]);
    both.same(0, &["GET", &km]);
    both.same(0, &["MGET", &k1, &km]);
    both.same(1, &["GET", &km]);
    both.same(1, &["ASKING"]);
    both.same(1, &["GET", &km]);
    both.same(1, &["GET", &km]);
    both.same(1, &["ASKING"]);
    both.same(1, &["MGET", &k1, &km]);
    both.same(0, &["MIGRATE", "127.0.0.1", "{port1}", &k1, "0", "5000"]);
    both.same(0, &["MIGRATE", "127.0.0.1", "{port1}", &k1, "0", "5000"]);
    both.same(0, &["GET", &k1]);
    both.same(1, &["ASKING"]);
    both.same(1, &["GET", &k1]);
    both.same(1, &["CLUSTER", "COUNTKEYSINSLOT", &slot]);
    both.same(1, &["CLUSTER", "SETSLOT", &slot, "NODE", "{id1}"]);
    both.same(0, &["CLUSTER", "SETSLOT", &slot, "NODE", "{id1}"]);
    both.same(0, &["GET", &k1]);
    both.same(1, &["GET", &k1]);

    // A replica: MOVED without READONLY, served after it; writes still MOVED.
    let real_replica_of_0 = replica_ids(&real_nodes[0])[&real_ids[0]].clone();
    let real_r = real_ids.iter().position(|id| *id == real_replica_of_0).unwrap();
    let model_r = (0..NODES).find(|&r| both.model.model().servers[r].cluster.master() == Some(0)).unwrap();
    let ask_replica = |both: &mut Both, words: &[&str]| -> (Reply, Reply) {
        let cmd = packed(&both.fill(words, true));
        let real = both.real[real_r].req_packed_command(&cmd).map(to_reply).unwrap();
        let mut conn = both.model_conns[model_r];
        let model = both.model.cli(model_r, &mut conn, both.fill(words, false)).unwrap();
        both.model_conns[model_r] = conn;
        (both.map_ports(real), model)
    };
    for words in [
        vec!["GET", "foo2"],
        vec!["READONLY"],
        vec!["GET", "{t}"],
        vec!["SET", "{t}", "x"],
        vec!["READWRITE"],
        vec!["GET", "{t}"],
        vec!["WAIT", "1", "0"],
        vec!["FLUSHALL"],
    ] {
        let (real, model) = ask_replica(&mut both, &words);
        assert_eq!(model, real, "replica: {words:?}");
    }

    // CLUSTER SLOTS and SHARDS: same ranges, owners and shapes once every replica has an offset.
    for m in 0..3 {
        let key = (0..).map(|n| format!("w{n}")).find(|k| (key_slot(k.as_bytes()) as usize) * 3 / 16384 == m).unwrap();
        both.same(m, &["SET", &key, "1"]);
    }
    // Replicas are listed once the asking node has heard an offset from them (`isReplicaAvailable`).
    let listed =
        |r: &Reply| matches!(r, Reply::Array(rs) if rs.iter().all(|e| matches!(e, Reply::Array(f) if f.len() == 4)));
    let waited = Instant::now();
    while !listed(&call(base + 3, &["CLUSTER", "SLOTS"]).unwrap()) {
        assert!(waited.elapsed() < Duration::from_secs(15), "real replicas never listed in CLUSTER SLOTS");
        std::thread::sleep(Duration::from_millis(100));
    }
    both.model.run_to_ms(6000);
    let (real, model) = both.run(3, &["CLUSTER", "SLOTS"]);
    assert_eq!(shape(&model), shape(&real), "CLUSTER SLOTS shape");
    let ranges = |r: &Reply, base: u16| -> Vec<(i64, i64, i64)> {
        let Reply::Array(rs) = r else { panic!() };
        rs.iter()
            .map(|e| {
                let Reply::Array(f) = e else { panic!() };
                let (Reply::Integer(a), Reply::Integer(b), Reply::Array(m)) = (&f[0], &f[1], &f[2]) else { panic!() };
                let Reply::Integer(p) = m[1] else { panic!() };
                (*a, *b, p - i64::from(base))
            })
            .collect()
    };
    assert_eq!(ranges(&model, MODEL_PORT), ranges(&real, base), "CLUSTER SLOTS ranges and masters");
    let (real, model) = both.run(4, &["CLUSTER", "SHARDS"]);
    let shard_shapes = |r: &Reply| {
        let Reply::Array(shards) = r else { panic!("{r:?}") };
        let mut v: Vec<String> = shards.iter().map(shape).collect();
        v.sort();
        v
    };
    assert_eq!(shard_shapes(&model), shard_shapes(&real), "CLUSTER SHARDS shapes");
    let shard_keys = |r: &Reply| -> Vec<String> {
        let Reply::Array(shards) = r else { panic!() };
        let Reply::Array(s0) = &shards[0] else { panic!() };
        let Reply::Array(nodes) = &s0[3] else { panic!() };
        let Reply::Array(n0) = &nodes[0] else { panic!() };
        s0.iter().step_by(2).chain(n0.iter().step_by(2)).map(text).collect()
    };
    assert_eq!(shard_keys(&model), shard_keys(&real), "CLUSTER SHARDS field names");
    drop(both);

    // --- failover --------------------------------------------------------------------------------
    let mut cluster = cluster;
    let real_nodes0 = text(&call(base + 1, &["CLUSTER", "NODES"]).unwrap());
    let replica_id = replica_ids(&real_nodes0)[&real_ids[0]].clone();
    let replica_idx = real_ids.iter().position(|id| *id == replica_id).unwrap();
    let mut child = cluster.children[0].take().expect("node 0 runs");
    child.kill().expect("SIGKILL the master");
    let killed = Instant::now();
    let _ = child.wait();
    let real_ms = loop {
        let nodes = call(base + replica_idx as u16, &["CLUSTER", "NODES"]).map(|r| text(&r)).unwrap_or_default();
        if nodes.lines().any(|l| l.starts_with(&replica_id) && l.contains("myself,master")) {
            break killed.elapsed().as_millis() as u64;
        }
        assert!(killed.elapsed() < Duration::from_secs(40), "the real replica was not promoted within 40 s");
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut model_ms: Vec<u64> = (0..20)
        .map(|seed| {
            let mut s = preset("failover").unwrap();
            s.workload.read_rate = 0.0;
            s.workload.write_rate = 0.0;
            s.duration_ms = 25_000;
            s.steps.retain(|st| st.at_ms <= 10_000);
            let mut r = ClusterRun::new(s, seed).unwrap();
            r.run_to_end();
            r.summary(seed).failover_ms.expect("the model fails over")
        })
        .collect();
    model_ms.sort();
    println!(
        "failover, cluster-node-timeout 5000: real Redis Cluster {real_ms} ms; model over 20 seeds: min {} ms, median {} ms, max {} ms ({model_ms:?})",
        model_ms[0],
        model_ms[10],
        model_ms[19]
    );
    assert!((5000..30_000).contains(&real_ms), "real failover {real_ms} ms");
    // The CLI session follows the promoted replica.
    let mut cli = CliSession::new(1);
    let mut s = preset("failover").unwrap();
    s.workload.read_rate = 0.0;
    s.workload.write_rate = 0.0;
    let mut r = ClusterRun::new(s, 1).unwrap();
    r.run_to_ms(30_000);
    let out = cli.execute(&mut r, "SET foo bar");
    assert!(out.text.starts_with("-> Redirected to slot [12182] located at 127.0.0.1:7002\n"), "{}", out.text);
    drop(cluster);
    println!("differential test wall time: {:.1} s", started.elapsed().as_secs_f64());
}
