//! `sim redis-bench` and the `redis-model` REPL: the native edges of the modeled Redis. This is
//! where the wall clock is read (the REPL's starting time, benchmark timings).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;

use super::{CliResult, Common};
use crate::redis::cli::{format_human, tokenize_bytes};
use crate::redis::{Limits, Reply, Store};
use crate::sim::{SimDuration, SimRng, SimTime};

// ---- the REPL ---------------------------------------------------------------------------------

#[derive(Parser, Debug)]
#[command(
    name = "redis-model",
    about = "The playground's modeled Redis 7 as a REPL: one command per line on stdin, tokenized and printed as redis-cli does"
)]
pub struct ReplArgs {
    /// Write each reply as raw RESP2 bytes (flushed after every reply) instead of redis-cli's format.
    #[arg(long)]
    pub resp: bool,
    /// Seed of the store's random stream (SPOP, SRANDMEMBER, RANDOMKEY, active expiry sampling).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Apply the browser's playground limits (key count, value and reply sizes) instead of none.
    #[arg(long)]
    pub playground_limits: bool,
}

/// Entry point of the `redis-model` binary.
pub fn repl_main() -> std::process::ExitCode {
    let args = ReplArgs::parse();
    let start = SimTime(SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64));
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let started = Instant::now();
    let clock = move || start + SimDuration::from_millis(started.elapsed().as_millis() as u64);
    match run_repl(stdin.lock(), stdout.lock(), &args, clock) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("redis-model: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

/// Runs the REPL over `input` until end of input or until the server closes the connection
/// (QUIT). One connection: SUBSCRIBE keeps it subscribed, MULTI queues, and a blocking command
/// that nothing can serve jumps the clock to its timeout (see [`Store::execute_all`]). `clock` is
/// the caller's time for each command (the wall clock since start in the binary); the store adds
/// DEBUG SLEEP's offset itself, and the active expire cycle runs for every 100 ms of that time
/// that passed between commands.
pub fn run_repl(
    input: impl BufRead,
    mut out: impl Write,
    args: &ReplArgs,
    mut clock: impl FnMut() -> SimTime,
) -> std::io::Result<()> {
    let limits = if args.playground_limits { Limits::default() } else { Limits::unlimited() };
    let mut store = Store::with_limits(SimRng::new(args.seed).child("redis"), limits);
    let mut last = clock();
    let mut input = input;
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        while line.last().is_some_and(|&c| c == b'\n' || c == b'\r') {
            line.pop();
        }
        let argv = match tokenize_bytes(&line) {
            Ok(a) if a.is_empty() => continue,
            Ok(a) => a,
            Err(_) => {
                // redis-cli prints this and sends nothing.
                if args.resp {
                    out.write_all(&Reply::error("ERR Invalid argument(s)").to_resp())?;
                } else {
                    writeln!(out, "Invalid argument(s)")?;
                }
                out.flush()?;
                continue;
            }
        };
        let now = clock();
        store.advance_to(store.store_time(last), store.store_time(now), 1000);
        last = now;
        let replies = store.execute_all(now, &argv);
        if !args.resp && is_subscribe(&argv[0]) {
            // What redis-cli prints before it starts reading a subscriber's messages.
            writeln!(out, "Reading messages... (press Ctrl-C to quit)")?;
        }
        for reply in &replies {
            if args.resp {
                out.write_all(&reply.to_resp())?;
            } else {
                out.write_all(format_human(reply).as_bytes())?;
            }
        }
        out.flush()?;
        if store.default_client().is_none() {
            // QUIT (or CLIENT KILL of itself): the server closed the connection.
            return Ok(());
        }
    }
}

/// The commands after which redis-cli enters its "reading messages" mode.
fn is_subscribe(name: &[u8]) -> bool {
    [&b"subscribe"[..], b"psubscribe", b"ssubscribe"].iter().any(|c| name.eq_ignore_ascii_case(c))
}

// ---- the benchmark ------------------------------------------------------------------------------

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Keys to load (`key:0` … `key:N-1`); SET and GET each run once per key.
    #[arg(long, default_value_t = 1_000_000)]
    pub keys: u64,
    /// Bytes in each value.
    #[arg(long, default_value_t = 10)]
    pub value_bytes: usize,
    /// Skip the real redis-server, even when one is installed.
    #[arg(long)]
    pub model_only: bool,
    /// Instead: the maxmemory policies on a Zipf(0.99) GET-then-SET-on-miss trace, model against
    /// redis-server, with maxmemory at 10 % of the working set (`--keys` keys, default 1 M).
    #[arg(long)]
    pub eviction: bool,
    /// With --eviction: reads in the trace (0 = twice --keys). With --limit-check: timed rounds
    /// per cell (0 = 2000).
    #[arg(long, default_value_t = 0)]
    pub ops: u64,
    /// Instead: what the playground's limit check costs a one-element write to a collection of
    /// 10, 1 000, 10 000 and 100 000 elements, against no check (issue 11).
    #[arg(long)]
    pub limit_check: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("--keys {0} is out of range: give 1 to 100000000")]
    Keys(u64),
    #[error("--value-bytes {0} is out of range: give 1 to 1048576")]
    ValueBytes(usize),
    #[error("--ops {0} is out of range: give 0 (twice --keys) to 1000000000")]
    Ops(u64),
}

#[derive(Debug, serde::Serialize)]
struct Figures {
    keys: u64,
    value_bytes: usize,
    model_set_ops_per_sec: f64,
    model_get_ops_per_sec: f64,
    model_heap_bytes_per_key: Option<f64>,
    /// The model on redis-benchmark's own workload: one key (`key:__rand_int__`), 3-byte value.
    model_set_ops_per_sec_bench_workload: f64,
    model_get_ops_per_sec_bench_workload: f64,
    redis_version: Option<String>,
    redis_set_ops_per_sec: Option<f64>,
    redis_get_ops_per_sec: Option<f64>,
    redis_used_memory_bytes_per_key: Option<f64>,
    redis_note: Option<String>,
}

/// Writes `key:{i}` into a reused buffer.
fn write_key(buf: &mut Vec<u8>, i: u64) {
    use std::io::Write as _;
    buf.clear();
    let _ = write!(buf, "key:{i}");
}

fn key_arg(i: u64) -> Vec<u8> {
    format!("key:{i}").into_bytes()
}

pub fn bench(c: &Common, a: BenchArgs) -> CliResult {
    if a.keys == 0 || a.keys > 100_000_000 {
        return Err(BenchError::Keys(a.keys).into());
    }
    if a.value_bytes == 0 || a.value_bytes > 1 << 20 {
        return Err(BenchError::ValueBytes(a.value_bytes).into());
    }
    if a.eviction {
        if a.ops > 1_000_000_000 {
            return Err(BenchError::Ops(a.ops).into());
        }
        super::redis_evict::eviction_bench(c.seed, a.keys as usize, a.ops as usize, a.value_bytes, a.model_only);
        return Ok(());
    }
    if a.limit_check {
        if a.ops > 1_000_000 {
            return Err(BenchError::Ops(a.ops).into());
        }
        let ops = if a.ops == 0 { 2_000 } else { a.ops as usize };
        return super::redis_limits_bench::print(&super::redis_limits_bench::run(ops), ops, c.json);
    }
    let value = vec![b'x'; a.value_bytes];
    let now = SimTime(SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64));

    // Model: SET every key, then GET every key, one `execute` per command (argv built per command,
    // as a client's parser would hand it over).
    let heap_before = super::alloc_counter::allocated_bytes();
    let mut store = Store::with_limits(SimRng::new(c.seed).child("redis"), Limits::unlimited());
    // One argv reused across commands, as a server reuses its query buffer.
    let mut argv: Vec<Vec<u8>> = vec![b"SET".to_vec(), Vec::with_capacity(32), value.clone()];
    let t0 = Instant::now();
    for i in 0..a.keys {
        write_key(&mut argv[1], i);
        let r = store.execute(now, &argv);
        debug_assert_eq!(r, Reply::ok());
    }
    let set_secs = t0.elapsed().as_secs_f64();
    let heap_after = super::alloc_counter::allocated_bytes();
    let t1 = Instant::now();
    let mut hits = 0u64;
    let mut argv: Vec<Vec<u8>> = vec![b"GET".to_vec(), Vec::with_capacity(32)];
    for i in 0..a.keys {
        write_key(&mut argv[1], i);
        if let Reply::Bulk(_) = store.execute(now, &argv) {
            hits += 1;
        }
    }
    let get_secs = t1.elapsed().as_secs_f64();
    assert_eq!(hits, a.keys, "every GET finds its key");
    let per_key = match (heap_before, heap_after) {
        (Some(b), Some(af)) => Some(af.saturating_sub(b) as f64 / a.keys as f64),
        _ => None,
    };
    drop(store);

    // The same commands redis-benchmark sends without -r: one key, a 3-byte value.
    let (bench_set, bench_get) = {
        let mut store = Store::with_limits(SimRng::new(c.seed).child("redis"), Limits::unlimited());
        let set: Vec<Vec<u8>> = vec![b"SET".to_vec(), b"key:__rand_int__".to_vec(), b"xxx".to_vec()];
        let get: Vec<Vec<u8>> = vec![b"GET".to_vec(), b"key:__rand_int__".to_vec()];
        let t = Instant::now();
        for _ in 0..a.keys {
            std::hint::black_box(store.execute(now, &set));
        }
        let set_ops = a.keys as f64 / t.elapsed().as_secs_f64();
        let t = Instant::now();
        for _ in 0..a.keys {
            std::hint::black_box(store.execute(now, &get));
        }
        (set_ops, a.keys as f64 / t.elapsed().as_secs_f64())
    };

    let mut f = Figures {
        keys: a.keys,
        value_bytes: a.value_bytes,
        model_set_ops_per_sec: a.keys as f64 / set_secs,
        model_get_ops_per_sec: a.keys as f64 / get_secs,
        model_heap_bytes_per_key: per_key,
        model_set_ops_per_sec_bench_workload: bench_set,
        model_get_ops_per_sec_bench_workload: bench_get,
        redis_version: None,
        redis_set_ops_per_sec: None,
        redis_get_ops_per_sec: None,
        redis_used_memory_bytes_per_key: None,
        redis_note: None,
    };
    if a.model_only {
        f.redis_note = Some("skipped (--model-only)".into());
    } else {
        match real_redis(&a, &value) {
            Ok(r) => {
                f.redis_version = Some(r.version);
                f.redis_set_ops_per_sec = Some(r.set);
                f.redis_get_ops_per_sec = Some(r.get);
                f.redis_used_memory_bytes_per_key = Some(r.bytes_per_key);
            }
            Err(e) => f.redis_note = Some(e),
        }
    }
    if c.json {
        return super::output::print_json(&f);
    }
    let opt = |v: Option<f64>, digits: usize| v.map_or("n/a".to_string(), |v| format!("{v:.digits$}"));
    println!("redis-bench: {} keys (key:N), {}-byte values", f.keys, f.value_bytes);
    println!("{:<28} {:>16} {:>22}", "", "model (in-process)", "redis-server");
    println!("{:<28} {:>16.0} {:>22}", "SET ops/s", f.model_set_ops_per_sec, opt(f.redis_set_ops_per_sec, 0));
    println!("{:<28} {:>16.0} {:>22}", "GET ops/s", f.model_get_ops_per_sec, opt(f.redis_get_ops_per_sec, 0));
    println!(
        "{:<28} {:>16.0} {:>22}",
        "SET ops/s, one key, 3 B",
        f.model_set_ops_per_sec_bench_workload,
        opt(f.redis_set_ops_per_sec, 0)
    );
    println!(
        "{:<28} {:>16.0} {:>22}",
        "GET ops/s, one key, 3 B",
        f.model_get_ops_per_sec_bench_workload,
        opt(f.redis_get_ops_per_sec, 0)
    );
    println!(
        "{:<28} {:>16} {:>22}",
        "bytes per key",
        opt(f.model_heap_bytes_per_key, 1),
        opt(f.redis_used_memory_bytes_per_key, 1)
    );
    if let (Some(rs), Some(rg)) = (f.redis_set_ops_per_sec, f.redis_get_ops_per_sec) {
        println!(
            "model/redis throughput, 1M distinct keys: SET {:.1}x, GET {:.1}x",
            f.model_set_ops_per_sec / rs,
            f.model_get_ops_per_sec / rg
        );
        println!(
            "model/redis throughput, redis-benchmark's workload (one key, 3 B): SET {:.1}x, GET {:.1}x",
            f.model_set_ops_per_sec_bench_workload / rs,
            f.model_get_ops_per_sec_bench_workload / rg
        );
    }
    println!("model: one Store::execute per command (argv buffer reused, reply built and dropped); heap bytes from the counting allocator");
    match &f.redis_version {
        Some(v) => println!(
            "redis-server {v}: redis-benchmark -P 16 -t set,get -n {} -q (its default key and 3-byte value); bytes per key = INFO used_memory delta after loading the same keys",
            f.keys
        ),
        None => println!("redis-server: {}", f.redis_note.as_deref().unwrap_or("not measured")),
    }
    Ok(())
}

struct RealFigures {
    version: String,
    set: f64,
    get: f64,
    bytes_per_key: f64,
}

/// Kills the server it holds when dropped.
pub(crate) struct ServerGuard(pub(crate) Child);
impl Drop for ServerGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a redis-server (no persistence) on a free loopback port and connects once it answers
/// PING; the guard stops it when dropped.
pub(crate) fn start_redis_server() -> Result<(ServerGuard, RespConn, u16), String> {
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("could not start redis-server: {e}"))?;
    let guard = ServerGuard(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(mut c) = RespConn::connect(port) {
            if c.call(&[b"PING".to_vec()]).ok() == Some(Reply::Status("PONG".into())) {
                return Ok((guard, c, port));
            }
        }
        if Instant::now() > deadline {
            return Err("redis-server did not answer PING within 10 s".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn which(bin: &str) -> bool {
    Command::new(bin).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok()
}

fn real_redis(a: &BenchArgs, value: &[u8]) -> Result<RealFigures, String> {
    if !which("redis-server") || !which("redis-benchmark") {
        return Err("redis-server or redis-benchmark not installed; model figures only".into());
    }
    let (_guard, mut conn, port) = start_redis_server()?;
    let out = Command::new("redis-benchmark")
        .args(["-p", &port.to_string(), "-P", "16", "-t", "set,get", "-n", &a.keys.to_string(), "-q"])
        .output()
        .map_err(|e| format!("redis-benchmark failed: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).replace('\r', "\n");
    let rate = |name: &str| -> Option<f64> {
        text.lines()
            .filter_map(|l| l.trim().strip_prefix(&format!("{name}: ")))
            .filter_map(|rest| rest.split_whitespace().next()?.parse().ok())
            .next_back()
    };
    let (set, get) = (rate("SET").ok_or("no SET figure from redis-benchmark")?, rate("GET").ok_or("no GET figure")?);

    conn.call(&[b"FLUSHALL".to_vec()]).map_err(|e| e.to_string())?;
    let used = |c: &mut RespConn| -> Result<(u64, String), String> {
        let info = match c.call(&[b"INFO".to_vec()]).map_err(|e| e.to_string())? {
            Reply::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
            other => return Err(format!("unexpected INFO reply {other:?}")),
        };
        let field = |f: &str| info.lines().find_map(|l| l.strip_prefix(f)).map(str::trim).map(str::to_string);
        let used = field("used_memory:").and_then(|v| v.parse().ok()).ok_or("INFO has no used_memory")?;
        Ok((used, field("redis_version:").unwrap_or_default()))
    };
    let (before, version) = used(&mut conn)?;
    // Load the same keys the model holds, pipelined in batches.
    let mut i = 0;
    while i < a.keys {
        let end = (i + 1000).min(a.keys);
        let mut buf = Vec::new();
        for k in i..end {
            buf.extend_from_slice(b"*3\r\n");
            for arg in [b"SET".as_slice(), &key_arg(k), value] {
                buf.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
                buf.extend_from_slice(arg);
                buf.extend_from_slice(b"\r\n");
            }
        }
        conn.writer.write_all(&buf).map_err(|e| e.to_string())?;
        for _ in i..end {
            conn.read_reply().map_err(|e| e.to_string())?;
        }
        i = end;
    }
    let (after, _) = used(&mut conn)?;
    Ok(RealFigures { version, set, get, bytes_per_key: after.saturating_sub(before) as f64 / a.keys as f64 })
}

/// A small RESP2 client for the benchmark.
pub(crate) struct RespConn {
    reader: BufReader<TcpStream>,
    pub(crate) writer: TcpStream,
}

impl RespConn {
    pub(crate) fn connect(port: u16) -> std::io::Result<RespConn> {
        let s = TcpStream::connect(("127.0.0.1", port))?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(RespConn { reader: BufReader::new(s.try_clone()?), writer: s })
    }
    pub(crate) fn call(&mut self, argv: &[Vec<u8>]) -> std::io::Result<Reply> {
        let mut out = format!("*{}\r\n", argv.len()).into_bytes();
        for a in argv {
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a);
            out.extend_from_slice(b"\r\n");
        }
        self.writer.write_all(&out)?;
        self.read_reply()
    }
    pub(crate) fn read_reply(&mut self) -> std::io::Result<Reply> {
        let mut l = Vec::new();
        self.reader.read_until(b'\n', &mut l)?;
        if l.len() < 3 {
            return Err(std::io::Error::other("connection closed"));
        }
        l.truncate(l.len() - 2);
        let text = String::from_utf8_lossy(&l[1..]).into_owned();
        let bad = |_| std::io::Error::other("malformed RESP");
        Ok(match l[0] {
            b'+' => Reply::Status(text),
            b'-' => Reply::Error(text),
            b':' => Reply::Integer(text.parse().map_err(bad)?),
            b'$' => {
                let n: i64 = text.parse().map_err(bad)?;
                if n < 0 {
                    return Ok(Reply::Nil);
                }
                let mut buf = vec![0; n as usize + 2];
                self.reader.read_exact(&mut buf)?;
                buf.truncate(n as usize);
                Reply::Bulk(buf)
            }
            b'*' => {
                let n: i64 = text.parse().map_err(bad)?;
                if n < 0 {
                    return Ok(Reply::NilArray);
                }
                Reply::Array((0..n).map(|_| self.read_reply()).collect::<Result<_, _>>()?)
            }
            _ => return Err(std::io::Error::other("unexpected RESP type")),
        })
    }
}
