//! `sim lock-live`: the unchanged sans-IO lock machine ([`LockWorker`]) against a real Redis.
//!
//! One thread per worker owns its machine, its own connection per Redis instance (the `redis`
//! crate), its timers (real ones, on `Instant`), the reference's 2 s `startWork` job and 1 s
//! `stopWork`. Commands run synchronously on the worker's thread; a reply, an error or a timeout
//! goes back to the machine as the event the model would deliver. The client follows ioredis's
//! defaults like the model's: no per-command timeout unless `--command-timeout`, a dropped
//! connection is re-dialled after `min(attempt × 50, 2000)` ms with the unanswered command written
//! again, and after 20 failed attempts the command fails with ioredis's `MaxRetriesPerRequestError`.
//! (While a worker thread waits for a reply or a reconnection it does not react to its own timers:
//! a thread has one thing to do at a time, where the model's client is event driven.)
//!
//! Faults, scheduled from the start of the run: `--stop-holder-at` (graceful STOP), `--pause-holder-at`
//! with `--pause-for` (a stop-the-world pause of the holder's thread, like a GC pause),
//! `--client-pause-at` with `--client-pause-for` (`CLIENT PAUSE … ALL` on every server) and
//! `--restart-server-at` (`SHUTDOWN NOSAVE`, then the tool starts `redis-server` again on the same
//! loopback port without persistence).
//!
//! A monitor thread reads the lock key every 20 ms; every transition and write is reported to the
//! same [`Checker`] as `sim lock`, and the JSON summary has the same fields. The wall clock is read
//! here only (time since the run started becomes the checker's `SimTime`).
//!
//! The tool deletes the lock key and its token key on every server before it starts.

use super::{CliResult, Common};
use crate::lock::machine::{ioredis, ReleaseVariant, RenewVariant, REFERENCE_LOCK_KEY};
use crate::lock::runtime::{majority_value, ProtectedResource};
use crate::lock::{parse_duration, Checker, Effect, Event, LockCommand, LockWorker, MachineConfig, Summary, TimerKind};
use crate::redis::Reply;
use crate::sim::{SimDuration, SimRng, SimTime};
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// A Redis server as HOST:PORT. Give it several times for Redlock (a majority of N).
    #[arg(long, required = true)]
    pub redis: Vec<String>,
    /// Number of workers (threads), 1 to 16.
    #[arg(long, default_value_t = 3)]
    pub workers: usize,
    /// How long to run, like 20s.
    #[arg(long, default_value = "20s")]
    pub duration: String,
    /// Stop the holder gracefully (STOP) at this time.
    #[arg(long)]
    pub stop_holder_at: Option<String>,
    /// Freeze the holder's thread (a GC pause) at this time …
    #[arg(long)]
    pub pause_holder_at: Option<String>,
    /// … for this long.
    #[arg(long, default_value = "15s")]
    pub pause_for: String,
    /// `CLIENT PAUSE` every server at this time …
    #[arg(long)]
    pub client_pause_at: Option<String>,
    /// … for this long.
    #[arg(long, default_value = "5s")]
    pub client_pause_for: String,
    /// Restart the (loopback) server without persistence at this time: SHUTDOWN NOSAVE, then start
    /// `--server-bin` on the same port.
    #[arg(long)]
    pub restart_server_at: Option<String>,
    /// The redis-server binary `--restart-server-at` starts.
    #[arg(long, default_value = "redis-server")]
    pub server_bin: String,
    /// `reference` (GET then EXPIRE) or `atomic` (compare-and-extend).
    #[arg(long, default_value = "reference", value_parser = ["reference", "atomic"])]
    pub renew: String,
    /// `reference` (GET then DEL if mine), `naive-del` or `atomic` (compare-and-delete).
    #[arg(long, default_value = "reference", value_parser = ["reference", "naive-del", "atomic"])]
    pub release: String,
    /// Acquire with the SET NX + INCR script; the protected resource rejects lower tokens.
    #[arg(long)]
    pub fencing: bool,
    #[arg(long, default_value = "10s")]
    pub ttl: String,
    #[arg(long, default_value = "5s")]
    pub renew_interval: String,
    #[arg(long, default_value = "5s")]
    pub retry_interval: String,
    /// startWork's job length.
    #[arg(long, default_value = "2s")]
    pub job: String,
    /// How long stopWork takes.
    #[arg(long, default_value = "1s")]
    pub stop_work: String,
    /// A per-command timeout (none by default, as ioredis).
    #[arg(long)]
    pub command_timeout: Option<String>,
    #[arg(long, default_value = REFERENCE_LOCK_KEY)]
    pub key: String,
    /// Also print the event log.
    #[arg(long)]
    pub trace: bool,
}

/// What a live run needs, parsed and checked.
#[derive(Clone, Debug)]
pub struct LiveConfig {
    pub servers: Vec<String>,
    pub workers: usize,
    pub duration: Duration,
    pub machine: MachineConfig,
    pub job: Duration,
    pub stop_work: Duration,
    pub stop_holder_at: Option<Duration>,
    pub pause_holder: Option<(Duration, Duration)>,
    pub client_pause: Option<(Duration, Duration)>,
    pub restart_server_at: Option<Duration>,
    pub server_bin: String,
    pub seed: u64,
}

fn dur(text: &str) -> Result<Duration, Box<dyn std::error::Error>> {
    Ok(Duration::from_millis(parse_duration(text)?.0))
}

impl LiveConfig {
    pub fn from_args(c: &Common, a: &Args) -> Result<LiveConfig, Box<dyn std::error::Error>> {
        if !(1..=16).contains(&a.workers) {
            return Err(format!("workers = {}; expected 1 to 16", a.workers).into());
        }
        for s in &a.redis {
            let ok = s.rsplit_once(':').is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok());
            if !ok {
                return Err(format!("--redis {s:?} is not HOST:PORT, like 127.0.0.1:6379").into());
            }
        }
        if a.fencing && a.redis.len() > 1 {
            return Err("fencing needs one Redis: with Redlock there is no single counter to take a token from".into());
        }
        let ms = |d: Duration| SimDuration(d.as_millis() as u64);
        let machine = MachineConfig {
            lock_key: a.key.clone(),
            ttl: ms(dur(&a.ttl)?),
            renew_interval: ms(dur(&a.renew_interval)?),
            retry_interval: ms(dur(&a.retry_interval)?),
            renew: if a.renew == "atomic" { RenewVariant::CompareAndExtend } else { RenewVariant::GetThenExpire },
            release: ReleaseVariant::from_id(&a.release).unwrap_or_default(),
            fencing: a.fencing,
            instances: a.redis.len(),
            command_timeout: a.command_timeout.as_deref().map(dur).transpose()?.map(ms),
            redlock_request_timeout: SimDuration(50),
        };
        let at = |o: &Option<String>| o.as_deref().map(dur).transpose();
        Ok(LiveConfig {
            servers: a.redis.clone(),
            workers: a.workers,
            duration: dur(&a.duration)?,
            machine,
            job: dur(&a.job)?,
            stop_work: dur(&a.stop_work)?,
            stop_holder_at: at(&a.stop_holder_at)?,
            pause_holder: at(&a.pause_holder_at)?.map(|t| dur(&a.pause_for).map(|d| (t, d))).transpose()?,
            client_pause: at(&a.client_pause_at)?.map(|t| dur(&a.client_pause_for).map(|d| (t, d))).transpose()?,
            restart_server_at: at(&a.restart_server_at)?,
            server_bin: a.server_bin.clone(),
            seed: c.seed,
        })
    }
}

/// The result of a live run: the same summary as `sim lock`, and the log.
#[derive(Serialize, Debug)]
pub struct LiveOutput {
    pub mode: &'static str,
    pub redis: Vec<String>,
    pub workers: usize,
    pub duration_ms: u64,
    pub fencing: bool,
    pub atomic_renew: bool,
    pub release: &'static str,
    pub command_timeout_ms: Option<u64>,
    pub verdict_text: &'static str,
    #[serde(flatten)]
    pub summary: Summary,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<Vec<String>>,
}

/// What the threads share: the judge and the storage, the believers, the log.
struct Shared {
    start: Instant,
    checker: Checker,
    resource: ProtectedResource,
    /// Each worker's lock value while it believes it holds the lock.
    believers: Vec<Option<String>>,
    truth: Option<String>,
    log: Vec<String>,
}

impl Shared {
    fn now(&self) -> SimTime {
        SimTime(self.start.elapsed().as_millis() as u64)
    }
    fn observe(&mut self) {
        let now = self.now();
        let believers: Vec<(usize, &str)> =
            self.believers.iter().enumerate().filter_map(|(w, v)| v.as_deref().map(|v| (w, v))).collect();
        self.checker.observe(now, &believers, self.truth.as_deref());
    }
    fn log(&mut self, line: String) {
        let t = self.start.elapsed().as_millis();
        self.log.push(format!("{:>6}.{:03} {line}", t / 1000, t % 1000));
    }
}

type SharedRef = Arc<Mutex<Shared>>;

fn lock(shared: &SharedRef) -> std::sync::MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

fn connect(server: &str) -> redis::RedisResult<redis::Connection> {
    let client = redis::Client::open(format!("redis://{server}/"))?;
    client.get_connection_with_timeout(Duration::from_secs(1))
}

fn to_reply(v: redis::Value) -> Reply {
    match v {
        redis::Value::Nil => Reply::Nil,
        redis::Value::Int(i) => Reply::Integer(i),
        redis::Value::BulkString(b) => Reply::Bulk(b),
        redis::Value::Okay => Reply::ok(),
        redis::Value::SimpleString(s) => Reply::Status(s),
        redis::Value::ServerError(e) => Reply::Error(e.to_string()),
        other => Reply::Error(format!("unexpected reply {other:?}")),
    }
}

/// Runs `argv` on a connection: a reply, or `None` when the connection failed (or timed out).
fn query(con: &mut redis::Connection, argv: &[Vec<u8>], timeout: Option<Duration>) -> Option<Reply> {
    let _ = con.set_read_timeout(timeout);
    let mut cmd = redis::cmd(&String::from_utf8_lossy(&argv[0]));
    for a in &argv[1..] {
        cmd.arg(a.as_slice());
    }
    match cmd.query::<redis::Value>(con) {
        Ok(v) => Some(to_reply(v)),
        Err(e) if e.is_io_error() || e.is_timeout() || e.is_connection_dropped() => None,
        Err(e) => Some(Reply::Error(e.to_string())),
    }
}

enum Control {
    Stop,
    Pause(Duration),
}

/// One worker's thread: its machine, connections and timers.
struct Worker {
    index: usize,
    machine: LockWorker,
    servers: Vec<String>,
    conns: Vec<Option<redis::Connection>>,
    timers: BTreeMap<TimerKind, Instant>,
    job: Option<(u64, Instant)>,
    stopping: Option<Instant>,
    job_len: Duration,
    stop_work: Duration,
    end: Instant,
    shared: SharedRef,
}

enum Outcome {
    Reply(Reply),
    TimedOut,
}

impl Worker {
    fn now(&self) -> SimTime {
        lock(&self.shared).now()
    }

    /// Sends `command` to server `i` as ioredis would: (re)connect with its backoff, write, wait.
    fn execute(&mut self, i: usize, command: &LockCommand, timeout: Option<Duration>) -> Outcome {
        let argv = command.argv();
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut attempts = 0u32;
        loop {
            if deadline.is_some_and(|d| Instant::now() >= d) || Instant::now() >= self.end {
                return Outcome::TimedOut;
            }
            if self.conns[i].is_none() {
                match connect(&self.servers[i]) {
                    Ok(c) => self.conns[i] = Some(c),
                    Err(_) => {
                        attempts += 1;
                        if attempts.is_multiple_of(ioredis::MAX_RETRIES_PER_REQUEST + 1) {
                            return Outcome::Reply(Reply::Error(ioredis::max_retries_error()));
                        }
                        std::thread::sleep(Duration::from_millis(ioredis::reconnect_delay(attempts).0));
                        continue;
                    }
                }
            }
            let left = deadline.map(|d| d.saturating_duration_since(Instant::now()).max(Duration::from_millis(1)));
            let con = self.conns[i].as_mut().expect("connected above");
            match query(con, &argv, left) {
                Some(reply) => return Outcome::Reply(reply),
                None => {
                    // The connection failed or the reply is late: drop it (a late reply would be
                    // read as the next command's) and, without a timeout, write the command again.
                    self.conns[i] = None;
                    if deadline.is_some() {
                        return Outcome::TimedOut;
                    }
                }
            }
        }
    }

    fn feed(&mut self, first: Event) {
        let mut queue = VecDeque::from([first]);
        while let Some(event) = queue.pop_front() {
            let now = self.now();
            let out = self.machine.handle(now, event);
            if out.ignored.is_some() {
                continue;
            }
            {
                let mut s = lock(&self.shared);
                let believes = out.to.believes_it_holds();
                s.believers[self.index] = believes.then(|| self.machine.lock_value().to_string());
                if out.from == crate::lock::WorkerState::AcquiringLock && out.to == crate::lock::WorkerState::Working {
                    s.checker.on_acquired(self.machine.id());
                }
                if out.from != out.to {
                    s.log(format!("worker-{} {} -> {}", self.index, out.from, out.to));
                }
                s.observe();
            }
            for effect in out.effects {
                match effect {
                    Effect::Send { instance, req, command, timeout } => {
                        let t = timeout.map(|d| Duration::from_millis(d.0));
                        match self.execute(instance, &command, t) {
                            Outcome::Reply(reply) => queue.push_back(Event::Reply { instance, req, reply }),
                            Outcome::TimedOut => queue.push_back(Event::ClientTimeout { instance, req }),
                        }
                    }
                    Effect::SetTimer { timer, after } => {
                        self.timers.insert(timer, Instant::now() + Duration::from_millis(after.0));
                    }
                    Effect::CancelTimer { timer } => {
                        self.timers.remove(&timer);
                    }
                    Effect::StartWork => {
                        if self.job.is_none() {
                            let job = lock(&self.shared).resource.next_job;
                            self.job = Some((job, Instant::now() + self.job_len));
                        }
                    }
                    Effect::StopWork => {
                        self.job = None;
                        self.stopping = Some(Instant::now() + self.stop_work);
                    }
                    Effect::Log(line) => lock(&self.shared).log(line),
                }
            }
        }
    }

    fn write_job(&mut self, job: u64) {
        let token = self.machine.token();
        let mut s = lock(&self.shared);
        let accepted = s.resource.write(job, token);
        let now = s.now();
        let truth = s.truth.clone();
        s.checker.on_write(
            now,
            self.index,
            self.machine.id(),
            self.machine.lock_value(),
            job,
            token,
            accepted,
            truth.as_deref(),
        );
        let verdict = if accepted { "accepted" } else { "REJECTED (fencing)" };
        s.log(format!("worker-{} wrote job {job}: {verdict}", self.index));
    }

    fn run(mut self, control: Receiver<Control>) {
        self.feed(Event::TryAcquireLock);
        loop {
            let now = Instant::now();
            if now >= self.end {
                return;
            }
            let next = self
                .timers
                .values()
                .copied()
                .chain(self.job.map(|(_, t)| t))
                .chain(self.stopping)
                .chain(std::iter::once(self.end))
                .min()
                .unwrap_or(self.end);
            match control.recv_timeout(next.saturating_duration_since(now)) {
                Ok(Control::Stop) => {
                    lock(&self.shared).log(format!("STOP worker-{}", self.index));
                    self.feed(Event::Stop);
                }
                Ok(Control::Pause(d)) => {
                    lock(&self.shared).log(format!("worker-{} paused for {} ms", self.index, d.as_millis()));
                    std::thread::sleep(d);
                    lock(&self.shared).log(format!("worker-{} resumed", self.index));
                }
                Err(RecvTimeoutError::Disconnected) => return,
                Err(RecvTimeoutError::Timeout) => {}
            }
            let now = Instant::now();
            if let Some((job, t)) = self.job {
                if t <= now {
                    self.job = None;
                    self.write_job(job);
                }
            }
            if self.stopping.is_some_and(|t| t <= now) {
                self.stopping = None;
                self.feed(Event::WorkStopped);
            }
            let due: Vec<TimerKind> = self.timers.iter().filter(|(_, t)| **t <= now).map(|(k, _)| *k).collect();
            for kind in due {
                if self.timers.get(&kind).is_some_and(|t| *t <= now) {
                    self.timers.remove(&kind);
                    self.feed(match kind {
                        TimerKind::Renew => Event::RenewTimer,
                        TimerKind::Retry => Event::RetryTimer,
                        TimerKind::Validity => Event::ValidityTimer,
                    });
                }
            }
        }
    }
}

/// Runs the server command `argv` once on a fresh connection (faults and set-up).
fn admin(server: &str, argv: &[&str]) -> Result<Reply, String> {
    let mut con = connect(server).map_err(|e| format!("cannot connect to {server}: {e}"))?;
    let argv: Vec<Vec<u8>> = argv.iter().map(|a| a.as_bytes().to_vec()).collect();
    query(&mut con, &argv, Some(Duration::from_secs(5))).ok_or_else(|| format!("{server} did not answer"))
}

/// Starts `bin` as a Redis server without persistence on `host:port`.
fn spawn_server(bin: &str, host: &str, port: &str) -> Result<std::process::Child, String> {
    std::process::Command::new(bin)
        .args(["--port", port, "--bind", host, "--save", "", "--appendonly", "no"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {bin}: {e}"))
}

/// Waits (up to 10 s) until `server` answers PING.
fn wait_for_ping(server: &str) -> Result<(), String> {
    for _ in 0..500 {
        if admin(server, &["PING"]).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(format!("{server} did not answer PING within 10 s"))
}

/// A redis-server this process started on a free loopback port, stopped when dropped (tests and
/// demos of `sim lock-live`).
pub struct LocalServer {
    child: std::process::Child,
    port: u16,
}

impl LocalServer {
    pub fn start(bin: &str) -> Result<LocalServer, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free loopback port: {e}"))?
            .port();
        let child = spawn_server(bin, "127.0.0.1", &port.to_string())?;
        let server = LocalServer { child, port };
        wait_for_ping(&server.address())?;
        Ok(server)
    }
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        // A restart during a run replaced our process with another on the same port: stop that too.
        let _ = admin(&self.address(), &["SHUTDOWN", "NOSAVE"]);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Restarts a loopback server without persistence: SHUTDOWN NOSAVE, then `bin` on the same port.
fn restart_server(server: &str, bin: &str) -> Result<std::process::Child, String> {
    let (host, port) = server.rsplit_once(':').ok_or("not HOST:PORT")?;
    if !matches!(host, "127.0.0.1" | "localhost" | "::1" | "[::1]") {
        return Err(format!("--restart-server-at restarts a local server; {server} is not on loopback"));
    }
    let _ = admin(server, &["SHUTDOWN", "NOSAVE"]);
    std::thread::sleep(Duration::from_millis(100));
    let child = spawn_server(bin, host, port)?;
    wait_for_ping(server)?;
    Ok(child)
}

/// Runs a live scenario and returns its summary (the `sim lock-live` command prints it).
pub fn run_live(cfg: &LiveConfig, keep_log: bool) -> Result<LiveOutput, Box<dyn std::error::Error>> {
    for s in &cfg.servers {
        admin(s, &["PING"])?;
        admin(s, &["DEL", &cfg.machine.lock_key, &cfg.machine.token_key()])?;
    }
    let start = Instant::now();
    let end = start + cfg.duration;
    let shared: SharedRef = Arc::new(Mutex::new(Shared {
        start,
        checker: Checker::new(),
        resource: ProtectedResource::new(cfg.machine.fencing),
        believers: vec![None; cfg.workers],
        truth: None,
        log: Vec::new(),
    }));
    let root = SimRng::new(cfg.seed);
    let unix_ms =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    let mut controls: Vec<Sender<Control>> = Vec::new();
    let mut threads = Vec::new();
    for i in 0..cfg.workers {
        let id = crate::lock::ids::worker_id(SimTime(unix_ms), &mut root.child_indexed("live-worker-id", i as u64));
        let machine = LockWorker::new(id, cfg.machine.clone(), root.child_indexed("live-worker", i as u64));
        let worker = Worker {
            index: i,
            machine,
            servers: cfg.servers.clone(),
            conns: cfg.servers.iter().map(|_| None).collect(),
            timers: BTreeMap::new(),
            job: None,
            stopping: None,
            job_len: cfg.job,
            stop_work: cfg.stop_work,
            end,
            shared: shared.clone(),
        };
        let (tx, rx) = channel();
        controls.push(tx);
        threads.push(std::thread::spawn(move || worker.run(rx)));
        // Servers booting a little apart, as the model's start jitter.
        std::thread::sleep(Duration::from_millis(20));
    }
    // The monitor: Redis's truth every 20 ms (the majority value, with Redlock).
    let monitor = {
        let shared = shared.clone();
        let servers = cfg.servers.clone();
        let key = cfg.machine.lock_key.clone();
        std::thread::spawn(move || {
            let mut conns: Vec<Option<redis::Connection>> = servers.iter().map(|_| None).collect();
            while Instant::now() < end {
                let mut values = Vec::new();
                for (i, s) in servers.iter().enumerate() {
                    if conns[i].is_none() {
                        conns[i] = connect(s).ok();
                    }
                    let got = conns[i].as_mut().and_then(|c| {
                        query(c, &[b"GET".to_vec(), key.as_bytes().to_vec()], Some(Duration::from_millis(200)))
                    });
                    match got {
                        Some(Reply::Bulk(v)) => values.push(String::from_utf8_lossy(&v).into_owned()),
                        Some(_) => {}
                        None => conns[i] = None,
                    }
                }
                let truth = majority_value(values.iter().map(String::as_str), servers.len()).map(str::to_string);
                {
                    let mut s = lock(&shared);
                    s.truth = truth;
                    s.observe();
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    // The faults, in time order.
    let mut faults: Vec<(Duration, &str)> = Vec::new();
    faults.extend(cfg.stop_holder_at.map(|t| (t, "stop")));
    faults.extend(cfg.pause_holder.map(|(t, _)| (t, "pause")));
    faults.extend(cfg.client_pause.map(|(t, _)| (t, "client-pause")));
    faults.extend(cfg.restart_server_at.map(|t| (t, "restart")));
    faults.sort();
    let mut children = Vec::new();
    for (at, what) in faults {
        std::thread::sleep((start + at).saturating_duration_since(Instant::now()));
        let holder = lock(&shared).believers.iter().position(Option::is_some);
        match what {
            "stop" | "pause" => {
                let Some(w) = holder else {
                    lock(&shared).log(format!("{what}: nobody holds the lock; skipped"));
                    continue;
                };
                let c = if what == "stop" {
                    Control::Stop
                } else {
                    Control::Pause(cfg.pause_holder.map_or(Duration::ZERO, |(_, d)| d))
                };
                let _ = controls[w].send(c);
            }
            "client-pause" => {
                let ms = cfg.client_pause.map_or(0, |(_, d)| d.as_millis()).to_string();
                for s in &cfg.servers {
                    let r = admin(s, &["CLIENT", "PAUSE", &ms, "ALL"]);
                    lock(&shared).log(format!("CLIENT PAUSE {ms} ALL on {s}: {r:?}"));
                }
            }
            _ => {
                let r = restart_server(&cfg.servers[0], &cfg.server_bin);
                lock(&shared).log(format!("{} restarted without persistence: {}", cfg.servers[0], r.is_ok()));
                match r {
                    Ok(child) => children.push(child),
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    for t in threads {
        let _ = t.join();
    }
    let _ = monitor.join();
    // A server the tool started is the caller's to keep: it is left running, as it was found.
    drop(children);
    let s = lock(&shared);
    let summary = s.checker.summary(s.now());
    Ok(LiveOutput {
        mode: "live",
        redis: cfg.servers.clone(),
        workers: cfg.workers,
        duration_ms: cfg.duration.as_millis() as u64,
        fencing: cfg.machine.fencing,
        atomic_renew: cfg.machine.renew == RenewVariant::CompareAndExtend,
        release: cfg.machine.release.id(),
        command_timeout_ms: cfg.machine.command_timeout.map(|d| d.0),
        verdict_text: summary.verdict.sentence(),
        summary,
        log: keep_log.then(|| s.log.clone()),
    })
}

pub fn run(c: &Common, a: Args) -> CliResult {
    let cfg = LiveConfig::from_args(c, &a)?;
    let out = run_live(&cfg, a.trace)?;
    super::output::print_json(&out)
}
