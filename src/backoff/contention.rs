//! The AWS Architecture Blog's optimistic-concurrency contention experiment ("Exponential Backoff
//! And Jitter", 2015), one run at a time or as a resumable sweep.
//!
//! N clients each read a row's version, then write with it; the write succeeds only if the version
//! is still current (and bumps it). A client whose write failed backs off, then reads again. Every
//! network hop takes |Normal(10 ms, 2 ms)|; the backoff before retry n uses base 5 ms and cap 2000 ms.
//! As in the blog's simulator, only writes count as calls, the backoff of retry n uses `n` counted
//! from 1, the backoff is added to the next read's outbound hop, and a run's time is the time of its
//! last event (the last client's successful write reply).
//!
//! Why a dedicated event loop rather than `crate::sim::Simulation`: the default sweep is ~9,500 runs
//! and ~15 million writes, and must finish in about a second natively. Measured on this project's
//! machine (release, loaded), the same experiment written as a kernel `Model` (four events per
//! write, Box–Muller hops) made ~2 million writes/s; this loop makes ~14 million. Each client has
//! exactly one message in flight, so the loop keeps a 4-ary heap of packed `u64` (time, client)
//! keys and the event's kind in the client: no boxed events, no trace, no tombstones. Only the
//! server-side events (a read or a write reaching the row) are queued; the replies' arrivals touch
//! no shared state and are folded into them (see [`Client::phase`]). It keeps the kernel's spirit:
//! a total order on events (time, then client index where the kernel would use the sequence
//! number) and one seeded `SimRng` per run. Its clock counts integer *microseconds*: the blog's
//! simulator uses continuous time, and whole milliseconds would turn ~10 ms hops into frequent
//! exact ties that change who wins a race. Results are reported in milliseconds.
//! This module must never read a wall clock.

use super::policy::{decorrelated_jitter, equal_jitter, expo, full_jitter};
use crate::sim::quad_heap::QuadHeap;
use crate::sim::ziggurat::Ziggurat;
use crate::sim::{Clocked, SimRng, SimTime};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The five strategies of the blog, in its order (also the CSV's order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// `min(cap, base · 2^n)`, no jitter.
    Exponential,
    Decorrelated,
    EqualJitter,
    FullJitter,
    /// Retry at once.
    None,
}

impl Strategy {
    pub const ALL: [Strategy; 5] =
        [Strategy::Exponential, Strategy::Decorrelated, Strategy::EqualJitter, Strategy::FullJitter, Strategy::None];

    /// The CSV name.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Exponential => "exponential",
            Strategy::Decorrelated => "decorrelated",
            Strategy::EqualJitter => "equal_jitter",
            Strategy::FullJitter => "full_jitter",
            Strategy::None => "none",
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Errors a user can cause with contention parameters.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ContentionError {
    #[error("unknown strategy {0:?}: expected one of {names}", names = Strategy::ALL.map(|s| s.name()).join(", "))]
    Strategy(String),
    #[error("{0} clients is not usable: expected 1 to {MAX_CLIENTS}")]
    Clients(u64),
    #[error("cap {cap_ms} ms is below base {base_ms} ms: expected cap ≥ base")]
    CapBelowBase { base_ms: u64, cap_ms: u64 },
    #[error("network delay Normal({mean_ms} ms, {sd_ms} ms) is not usable: expected finite, non-negative numbers")]
    Network { mean_ms: f64, sd_ms: f64 },
    #[error("client range {0:?} is not usable: expected FROM..TO:STEP with 1 ≤ FROM ≤ TO ≤ {MAX_CLIENTS} and STEP ≥ 1, e.g. 10..190:10")]
    Range(String),
    #[error("{0} runs is not usable: expected 1 to {MAX_RUNS}")]
    Runs(u64),
}

impl FromStr for Strategy {
    type Err = ContentionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Strategy::ALL.into_iter().find(|x| x.name() == s).ok_or_else(|| ContentionError::Strategy(s.to_string()))
    }
}

/// The most clients one run may have (the event key packs the client index in 20 bits).
pub const MAX_CLIENTS: u32 = 100_000;
/// The most runs per sweep cell.
pub const MAX_RUNS: u32 = 100_000;

/// One contention run's parameters (the blog's: base 5 ms, cap 2 s, hops |Normal(10, 2)| ms).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContentionParams {
    pub clients: u32,
    pub strategy: Strategy,
    pub base_ms: u64,
    pub cap_ms: u64,
    pub net_mean_ms: f64,
    pub net_sd_ms: f64,
}

impl ContentionParams {
    pub fn blog(clients: u32, strategy: Strategy) -> Self {
        ContentionParams { clients, strategy, base_ms: 5, cap_ms: 2000, net_mean_ms: 10.0, net_sd_ms: 2.0 }
    }

    /// Checks the parameters as [`ContentionRun::new`] does.
    pub fn validate(&self) -> Result<(), ContentionError> {
        if self.clients == 0 || self.clients > MAX_CLIENTS {
            return Err(ContentionError::Clients(u64::from(self.clients)));
        }
        if self.cap_ms < self.base_ms {
            return Err(ContentionError::CapBelowBase { base_ms: self.base_ms, cap_ms: self.cap_ms });
        }
        let ok = |x: f64| (0.0..1e9).contains(&x);
        if !ok(self.net_mean_ms) || !ok(self.net_sd_ms) {
            return Err(ContentionError::Network { mean_ms: self.net_mean_ms, sd_ms: self.net_sd_ms });
        }
        Ok(())
    }
}

/// Where a client is, for drawing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientPhase {
    /// Backing off (after a failure) and sending a read.
    Reading,
    /// The read's reply (the version) is on its way back.
    ReadReply,
    /// The write, carrying the version read, is on its way.
    Writing,
    /// The write's reply is on its way back.
    WriteReply,
    Done,
}

/// The server-side event a client waits for. Client-side events (a reply arriving) touch no
/// shared state, so the loop folds them into the server-side ones: a read's arrival schedules the
/// write's arrival two hops later, a failed write's arrival schedules the next read's arrival two
/// hops plus the backoff later. That halves the events without changing any outcome's
/// distribution; the in-between phases are recovered from the reply times for drawing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Pending {
    ReadArrive,
    WriteArrive,
    Nothing,
}

/// One client's state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Client {
    pending: Pending,
    /// When the reply now (or last) in flight reaches the client, in microseconds.
    reply_at_us: u64,
    /// Failed writes so far (the next backoff uses `attempt`).
    pub attempt: u32,
    /// Decorrelated jitter's previous sleep, in microseconds.
    sleep_us: u64,
    /// The version the client read last.
    pub read_version: u64,
    /// Writes made.
    pub calls: u32,
    /// When its successful write's reply reached it, in microseconds.
    pub done_at_us: Option<u64>,
}

impl Client {
    /// Where the client is at `now_us` (between two of its events).
    pub fn phase(&self, now_us: u64) -> ClientPhase {
        let in_flight = now_us < self.reply_at_us;
        match (self.pending, in_flight) {
            (Pending::ReadArrive, true) => ClientPhase::WriteReply,
            (Pending::ReadArrive, false) => ClientPhase::Reading,
            (Pending::WriteArrive, true) => ClientPhase::ReadReply,
            (Pending::WriteArrive, false) => ClientPhase::Writing,
            (Pending::Nothing, true) => ClientPhase::WriteReply,
            (Pending::Nothing, false) => ClientPhase::Done,
        }
    }
}

/// Event keys pack (time µs, client index): 20 bits of client, 44 of time (~203 days; later times
/// saturate, which no validated run comes near).
const CLIENT_BITS: u32 = 20;
const MAX_KEY_TIME_US: u64 = (1 << (64 - CLIENT_BITS)) - 1;

/// Samples |Normal(mean, sd)| in whole microseconds.
#[derive(Clone)]
struct NetDelay {
    mean_us: f64,
    sd_us: f64,
    zig: &'static Ziggurat,
}

impl std::fmt::Debug for NetDelay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "|Normal({} µs, {} µs)|", self.mean_us, self.sd_us)
    }
}

impl NetDelay {
    #[inline(always)]
    fn sample_us(&mut self, rng: &mut SimRng) -> u64 {
        let x = libm::fabs(self.mean_us + self.sd_us * self.zig.sample(rng));
        // Rounds half up (x ≥ 0); bounded by validation (mean, sd < 1e9 ms), so the cast is exact.
        (x + 0.5) as u64
    }
}

/// What a finished run measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContentionResult {
    pub clients: u32,
    pub strategy: Strategy,
    /// Writes made by all clients.
    pub calls: u64,
    pub failed_writes: u64,
    /// Time until the last client succeeded, in milliseconds.
    pub time_ms: f64,
}

/// One run of the experiment, steppable event by event (for drawing it live) or run to the end.
#[derive(Clone, Debug)]
pub struct ContentionRun {
    params: ContentionParams,
    base_us: u64,
    cap_us: u64,
    net: NetDelay,
    rng: SimRng,
    /// Min-heap of packed (time µs, client): each client has exactly one pending event, whose kind
    /// its phase says.
    heap: QuadHeap,
    /// Set while handling an event: the next push replaces the heap's top (the event handled).
    replace_top: bool,
    now_us: u64,
    /// Server-side events processed (for the playback's progress).
    events: u64,
    /// When the last successful write's reply arrived: the run's time once every client is done.
    end_us: u64,
    version: u64,
    clients: Vec<Client>,
    remaining: u32,
    calls: u64,
    failed_writes: u64,
    /// Every write's arrival time (µs), when recording for the calls-over-time histogram.
    write_times_us: Option<Vec<u64>>,
}

impl ContentionRun {
    /// A run with every client's first read scheduled at time 0 + one hop, drawing from `rng`.
    pub fn new(params: ContentionParams, rng: SimRng) -> Result<Self, ContentionError> {
        params.validate()?;
        let n = params.clients as usize;
        let mut run = ContentionRun {
            base_us: params.base_ms.saturating_mul(1000),
            cap_us: params.cap_ms.saturating_mul(1000),
            net: NetDelay {
                mean_us: params.net_mean_ms * 1000.0,
                sd_us: params.net_sd_ms * 1000.0,
                zig: Ziggurat::get(),
            },
            rng,
            heap: QuadHeap::with_capacity(n),
            replace_top: false,
            now_us: 0,
            events: 0,
            end_us: 0,
            version: 0,
            clients: Vec::with_capacity(n),
            remaining: params.clients,
            calls: 0,
            failed_writes: 0,
            write_times_us: None,
            params,
        };
        for i in 0..n {
            run.clients.push(Client {
                pending: Pending::ReadArrive,
                reply_at_us: 0,
                attempt: 0,
                sleep_us: run.base_us,
                read_version: 0,
                calls: 0,
                done_at_us: None,
            });
            let d = run.net.sample_us(&mut run.rng);
            run.push(d, i as u32);
        }
        Ok(run)
    }

    /// The seeded run the sweep makes: run `index` of (`clients`, `strategy`) under `seed`. Runs do
    /// not depend on each other, so a sweep can be resumed, split or reordered.
    pub fn seeded(params: ContentionParams, seed: u64, index: u32) -> Result<Self, ContentionError> {
        let key = (u64::from(params.clients) << 32) | u64::from(index);
        let rng = SimRng::new(seed).child_indexed(params.strategy.name(), key);
        ContentionRun::new(params, rng)
    }

    /// Keep every write's time for [`ContentionRun::calls_histogram`].
    pub fn record_calls(mut self) -> Self {
        self.write_times_us = Some(Vec::new());
        self
    }

    #[inline]
    fn push(&mut self, at_us: u64, client: u32) {
        let key = (at_us.min(MAX_KEY_TIME_US) << CLIENT_BITS) | u64::from(client);
        if self.replace_top {
            self.replace_top = false;
            if self.heap.peek().is_some() {
                self.heap.replace_top(key);
                return;
            }
        }
        self.heap.push(key);
    }

    fn backoff_us(&mut self, c: usize) -> u64 {
        let n = self.clients[c].attempt;
        let (base, cap) = (self.base_us, self.cap_us);
        match self.params.strategy {
            Strategy::None => 0,
            Strategy::Exponential => expo(base, cap, n),
            Strategy::FullJitter => full_jitter(base, cap, n, &mut self.rng),
            Strategy::EqualJitter => equal_jitter(base, cap, n, &mut self.rng),
            Strategy::Decorrelated => {
                let s = decorrelated_jitter(base, cap, self.clients[c].sleep_us, &mut self.rng);
                self.clients[c].sleep_us = s;
                s
            }
        }
    }

    /// Processes one server-side event (a read or a write reaching the row); false once every
    /// client has succeeded.
    pub fn step(&mut self) -> bool {
        let Some(key) = self.heap.peek() else {
            return false;
        };
        // Every event schedules at most one successor for the same client, so the successor
        // replaces the handled event at the top of the heap (one sift instead of a pop and a push).
        self.replace_top = true;
        self.events += 1;
        let at = key >> CLIENT_BITS;
        let c = (key & ((1 << CLIENT_BITS) - 1)) as usize;
        self.now_us = at;
        match self.clients[c].pending {
            Pending::ReadArrive => {
                // The version travels back (one hop), then the write travels out (another).
                let back = self.net.sample_us(&mut self.rng);
                let out = self.net.sample_us(&mut self.rng);
                let client = &mut self.clients[c];
                client.read_version = self.version;
                client.reply_at_us = at.saturating_add(back);
                client.pending = Pending::WriteArrive;
                self.push(at.saturating_add(back).saturating_add(out), c as u32);
            }
            Pending::WriteArrive => {
                self.calls += 1;
                if let Some(w) = self.write_times_us.as_mut() {
                    w.push(at);
                }
                let back = self.net.sample_us(&mut self.rng);
                let ok = self.clients[c].read_version == self.version;
                let client = &mut self.clients[c];
                client.calls = client.calls.saturating_add(1);
                client.reply_at_us = at.saturating_add(back);
                if ok {
                    self.version += 1;
                    client.pending = Pending::Nothing;
                    client.done_at_us = Some(client.reply_at_us);
                    self.end_us = self.end_us.max(client.reply_at_us);
                    self.remaining -= 1;
                    self.heap.pop();
                    self.replace_top = false;
                } else {
                    self.failed_writes += 1;
                    client.attempt = client.attempt.saturating_add(1);
                    client.pending = Pending::ReadArrive;
                    let out = self.net.sample_us(&mut self.rng);
                    let wait = self.backoff_us(c);
                    let next = at.saturating_add(back).saturating_add(out).saturating_add(wait);
                    self.push(next, c as u32);
                }
            }
            Pending::Nothing => {
                // A finished client never has a pending event; drop a stray key rather than loop.
                self.heap.pop();
                self.replace_top = false;
            }
        }
        true
    }

    /// Processes every event up to `t_ms` and moves the clock there (for drawing at a frame's
    /// time); stops early at the end of the run.
    pub fn advance_to_ms(&mut self, t_ms: f64) {
        let t_us = if t_ms.is_nan() || t_ms <= 0.0 { 0 } else { (t_ms * 1000.0).min(u64::MAX as f64) as u64 };
        while let Some(key) = self.heap.peek() {
            if key >> CLIENT_BITS > t_us {
                break;
            }
            self.step();
        }
        self.settle_clock(t_us);
    }

    /// Moves the clock to `t_us` after every event due by then has run. When nothing is left the
    /// run is over and the clock goes to its end, the last client's successful reply (which lands
    /// one hop after the last server-side event), and no further: the same instant however the
    /// frames fell.
    fn settle_clock(&mut self, t_us: u64) {
        let t_us = if self.heap.peek().is_none() { self.end_us } else { t_us };
        self.now_us = self.now_us.max(t_us);
    }

    /// Each client's phase now, for drawing.
    pub fn phases(&self) -> Vec<ClientPhase> {
        self.clients.iter().map(|c| c.phase(self.now_us)).collect()
    }

    /// Runs to the end and reports.
    pub fn run_to_end(&mut self) -> ContentionResult {
        while self.step() {}
        // The last reply lands after the last server-side event.
        self.now_us = self.now_us.max(self.end_us);
        self.result()
    }

    /// The figures so far (final once [`ContentionRun::is_done`]).
    pub fn result(&self) -> ContentionResult {
        ContentionResult {
            clients: self.params.clients,
            strategy: self.params.strategy,
            calls: self.calls,
            failed_writes: self.failed_writes,
            time_ms: if self.is_done() { self.end_us } else { self.now_us } as f64 / 1000.0,
        }
    }

    pub fn is_done(&self) -> bool {
        self.remaining == 0
    }
    pub fn params(&self) -> &ContentionParams {
        &self.params
    }
    /// Virtual time in milliseconds (fractional).
    pub fn now_ms(&self) -> f64 {
        self.now_us as f64 / 1000.0
    }
    /// The row's current version (= successful writes, plus outside writes on a live run).
    pub fn version(&self) -> u64 {
        self.version
    }
    pub fn clients(&self) -> &[Client] {
        &self.clients
    }
    /// Clients still trying.
    pub fn remaining(&self) -> u32 {
        self.remaining
    }

    /// Each client's phase at `now_us` (a live run's clock is the kernel's, not the last event's).
    pub fn phases_at(&self, now_us: u64) -> Vec<ClientPhase> {
        self.clients.iter().map(|c| c.phase(now_us)).collect()
    }

    /// The next server-side event: its time in microseconds, its client and whether it is a write
    /// (else a read) reaching the row.
    pub fn next_event(&self) -> Option<(u64, u32, bool)> {
        let key = self.heap.peek()?;
        let c = (key & ((1 << CLIENT_BITS) - 1)) as u32;
        let write = self.clients.get(c as usize).is_some_and(|x| x.pending == Pending::WriteArrive);
        Some((key >> CLIENT_BITS, c, write))
    }

    /// When the last successful write's reply arrived, in microseconds (the run's end once done).
    pub fn end_us(&self) -> u64 {
        self.end_us
    }

    /// `n` more clients start at `at_us`: each reads the row one hop later, as the first clients
    /// did at time 0. Refused (nothing changes) when the run would exceed [`MAX_CLIENTS`].
    pub fn join(&mut self, n: u32, at_us: u64) -> Result<(), ContentionError> {
        let total = u64::from(self.params.clients) + u64::from(n);
        if n == 0 || total > u64::from(MAX_CLIENTS) {
            return Err(ContentionError::Clients(total));
        }
        for _ in 0..n {
            let i = self.clients.len() as u32;
            self.clients.push(Client {
                pending: Pending::ReadArrive,
                reply_at_us: at_us,
                attempt: 0,
                sleep_us: self.base_us,
                read_version: 0,
                calls: 0,
                done_at_us: None,
            });
            let d = self.net.sample_us(&mut self.rng);
            self.replace_top = false;
            self.push(at_us.saturating_add(d), i);
        }
        self.params.clients = total as u32;
        self.remaining += n;
        Ok(())
    }

    /// Every retry from now on backs off with `strategy` (a new retry policy rolled out mid-run).
    pub fn set_strategy(&mut self, strategy: Strategy) {
        self.params.strategy = strategy;
    }

    /// Somebody outside the experiment writes the row now: its version moves on, so every client
    /// holding the old version loses its write.
    pub fn outside_write(&mut self) {
        self.version += 1;
    }

    /// Writes per `bucket_ms` bucket from time 0, when recording (empty otherwise).
    pub fn calls_histogram(&self, bucket_ms: u64) -> Vec<u64> {
        let bucket_us = bucket_ms.max(1).saturating_mul(1000);
        let Some(times) = &self.write_times_us else {
            return Vec::new();
        };
        let mut h: Vec<u64> = Vec::new();
        for &t in times {
            let b = (t / bucket_us) as usize;
            if h.len() <= b {
                h.resize(b + 1, 0);
            }
            h[b] += 1;
        }
        h
    }
}

/// A contention run can be played by the shared controls: its clock is read in whole milliseconds
/// (the run keeps microseconds inside), and the next event's time is rounded up so that running
/// until it processes it.
impl Clocked for ContentionRun {
    fn now(&self) -> SimTime {
        SimTime(self.now_us / 1000)
    }
    fn processed(&self) -> u64 {
        self.events
    }
    fn next_event_time(&mut self) -> Option<SimTime> {
        self.heap.peek().map(|key| SimTime((key >> CLIENT_BITS).div_ceil(1000)))
    }
    fn step(&mut self) -> bool {
        ContentionRun::step(self)
    }
    fn run_until(&mut self, until: SimTime) {
        self.advance_to_ms(until.0 as f64);
    }
    /// Once every client has succeeded the run is over: the clock goes no further than the last
    /// reply, however long the playback asks for.
    fn run_until_bounded(&mut self, until: SimTime, max_events: u64) -> bool {
        let until_us = until.0.saturating_mul(1000);
        for _ in 0..max_events {
            match self.heap.peek() {
                Some(key) if key >> CLIENT_BITS <= until_us => {
                    ContentionRun::step(self);
                }
                _ => {
                    self.settle_clock(until_us);
                    return true;
                }
            }
        }
        if self.heap.peek().is_none_or(|key| key >> CLIENT_BITS > until_us) {
            self.settle_clock(until_us);
            return true;
        }
        false
    }
}

/// One run's calls over time: writes per bucket, the blog's histogram (clustered without jitter,
/// spread out with it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallsHistogram {
    pub strategy: Strategy,
    pub result: ContentionResult,
    pub bucket_ms: u64,
    pub counts: Vec<u64>,
}

/// One seeded run per strategy at `clients` with the blog's parameters, each with its histogram.
pub fn calls_over_time(clients: u32, seed: u64, bucket_ms: u64) -> Result<Vec<CallsHistogram>, ContentionError> {
    Strategy::ALL
        .into_iter()
        .map(|strategy| {
            let mut run = ContentionRun::seeded(ContentionParams::blog(clients, strategy), seed, 0)?.record_calls();
            let result = run.run_to_end();
            Ok(CallsHistogram { strategy, result, bucket_ms, counts: run.calls_histogram(bucket_ms) })
        })
        .collect()
}

/// An inclusive range of client counts with a step, written `FROM..TO:STEP` (e.g. `10..190:10`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRange {
    pub from: u32,
    pub to: u32,
    pub step: u32,
}

impl Default for ClientRange {
    fn default() -> Self {
        ClientRange { from: 10, to: 190, step: 10 }
    }
}

impl ClientRange {
    pub fn new(from: u32, to: u32, step: u32) -> Result<Self, ContentionError> {
        if from == 0 || from > to || to > MAX_CLIENTS || step == 0 {
            return Err(ContentionError::Range(format!("{from}..{to}:{step}")));
        }
        Ok(ClientRange { from, to, step })
    }
    pub fn values(&self) -> Vec<u32> {
        (self.from..=self.to).step_by(self.step.max(1) as usize).collect()
    }
}

impl FromStr for ClientRange {
    type Err = ContentionError;
    /// `A..B:S`, `A..B` (step 10) or a single count `N`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ContentionError::Range(s.to_string());
        let num = |t: &str| t.trim().parse::<u32>().map_err(|_| bad());
        let (span, step) = match s.split_once(':') {
            Some((a, b)) => (a, num(b)?),
            None => (s, 10),
        };
        let (from, to) = match span.split_once("..") {
            Some((a, b)) => (num(a)?, num(b.strip_prefix('=').unwrap_or(b))?),
            None => {
                let n = num(span)?;
                (n, n)
            }
        };
        ClientRange::new(from, to, step).map_err(|_| bad())
    }
}

impl fmt::Display for ClientRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}:{}", self.from, self.to, self.step)
    }
}

/// The sweep's parameters (serializable: the page keeps them in its URL and keys results by them).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepParams {
    pub clients: ClientRange,
    pub runs: u32,
    pub seed: u64,
    pub strategies: Vec<Strategy>,
    pub base_ms: u64,
    pub cap_ms: u64,
    pub net_mean_ms: f64,
    pub net_sd_ms: f64,
}

impl Default for SweepParams {
    /// The blog's sweep: 10…190 clients step 10, 100 runs, all five strategies.
    fn default() -> Self {
        SweepParams {
            clients: ClientRange::default(),
            runs: 100,
            seed: 1,
            strategies: Strategy::ALL.to_vec(),
            base_ms: 5,
            cap_ms: 2000,
            net_mean_ms: 10.0,
            net_sd_ms: 2.0,
        }
    }
}

/// One CSV row: means over the runs of one (clients, strategy) cell.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepRow {
    pub clients: u32,
    pub strategy: Strategy,
    pub time_ms: f64,
    pub calls: f64,
}

/// How far a sweep has come.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepProgress {
    pub runs_done: u64,
    pub runs_total: u64,
}

impl SweepProgress {
    pub fn done(&self) -> bool {
        self.runs_done >= self.runs_total
    }
    /// 0.0 … 1.0, for a progress bar.
    pub fn fraction(&self) -> f64 {
        if self.runs_total == 0 {
            1.0
        } else {
            self.runs_done as f64 / self.runs_total as f64
        }
    }
}

/// The sweep, resumable in chunks: call [`Sweep::step`] with a budget of runs per frame; cancel by
/// dropping it. Rows appear as cells complete, in (clients, strategy) order.
#[derive(Clone, Debug)]
pub struct Sweep {
    params: SweepParams,
    cells: Vec<(u32, Strategy)>,
    cell: usize,
    run: u32,
    sum_time_ms: f64,
    sum_calls: u64,
    runs_done: u64,
    rows: Vec<SweepRow>,
}

impl Sweep {
    pub fn new(params: SweepParams) -> Result<Self, ContentionError> {
        if params.runs == 0 || params.runs > MAX_RUNS {
            return Err(ContentionError::Runs(u64::from(params.runs)));
        }
        let c = params.clients;
        ClientRange::new(c.from, c.to, c.step)?;
        let probe = ContentionParams {
            clients: c.from,
            strategy: Strategy::None,
            base_ms: params.base_ms,
            cap_ms: params.cap_ms,
            net_mean_ms: params.net_mean_ms,
            net_sd_ms: params.net_sd_ms,
        };
        probe.validate()?;
        let cells =
            c.values().into_iter().flat_map(|n| params.strategies.iter().map(move |s| (n, *s))).collect::<Vec<_>>();
        Ok(Sweep { params, cells, cell: 0, run: 0, sum_time_ms: 0.0, sum_calls: 0, runs_done: 0, rows: Vec::new() })
    }

    pub fn params(&self) -> &SweepParams {
        &self.params
    }

    pub fn progress(&self) -> SweepProgress {
        SweepProgress { runs_done: self.runs_done, runs_total: self.cells.len() as u64 * u64::from(self.params.runs) }
    }

    /// Every (clients, strategy) cell, in row order.
    pub fn cells(&self) -> &[(u32, Strategy)] {
        &self.cells
    }

    fn cell_params(&self, clients: u32, strategy: Strategy) -> ContentionParams {
        ContentionParams {
            clients,
            strategy,
            base_ms: self.params.base_ms,
            cap_ms: self.params.cap_ms,
            net_mean_ms: self.params.net_mean_ms,
            net_sd_ms: self.params.net_sd_ms,
        }
    }

    fn one_run(&self, clients: u32, strategy: Strategy, index: u32) -> ContentionResult {
        ContentionRun::seeded(self.cell_params(clients, strategy), self.params.seed, index)
            .expect("parameters were validated when the sweep was made")
            .run_to_end()
    }

    /// One whole cell, independently of the sweep's progress: the same row [`Sweep::step`] makes
    /// (runs are summed in the same order). Lets a native caller spread cells over threads.
    pub fn run_cell(&self, clients: u32, strategy: Strategy) -> SweepRow {
        let (mut time, mut calls) = (0.0, 0u64);
        for i in 0..self.params.runs {
            let r = self.one_run(clients, strategy, i);
            time += r.time_ms;
            calls = calls.saturating_add(r.calls);
        }
        let runs = f64::from(self.params.runs);
        SweepRow { clients, strategy, time_ms: time / runs, calls: calls as f64 / runs }
    }

    /// Runs at most `budget_runs` more runs and reports progress.
    pub fn step(&mut self, budget_runs: u32) -> SweepProgress {
        let mut budget = budget_runs;
        while budget > 0 && self.cell < self.cells.len() {
            let (clients, strategy) = self.cells[self.cell];
            let r = self.one_run(clients, strategy, self.run);
            self.sum_time_ms += r.time_ms;
            self.sum_calls = self.sum_calls.saturating_add(r.calls);
            self.run += 1;
            self.runs_done += 1;
            budget -= 1;
            if self.run == self.params.runs {
                let runs = f64::from(self.params.runs);
                self.rows.push(SweepRow {
                    clients,
                    strategy,
                    time_ms: self.sum_time_ms / runs,
                    calls: self.sum_calls as f64 / runs,
                });
                self.cell += 1;
                self.run = 0;
                self.sum_time_ms = 0.0;
                self.sum_calls = 0;
            }
        }
        self.progress()
    }

    /// Runs everything left.
    pub fn run_to_end(&mut self) -> &[SweepRow] {
        while !self.step(u32::MAX).done() {}
        &self.rows
    }

    /// Completed cells so far.
    pub fn rows(&self) -> &[SweepRow] {
        &self.rows
    }

    /// The rows as CSV (`clients,time_ms,calls,strategy`), one decimal place.
    pub fn csv(&self) -> String {
        sweep_csv(&self.rows)
    }
}

/// Sweep rows as CSV (`clients,time_ms,calls,strategy`, one decimal place), the format the `sim
/// backoff-sweep` command prints: the page exports cached rows with it, without the sweep.
pub fn sweep_csv(rows: &[SweepRow]) -> String {
    let mut s = String::from("clients,time_ms,calls,strategy\n");
    for r in rows {
        s.push_str(&format!("{},{:.1},{:.1},{}\n", r.clients, r.time_ms, r.calls, r.strategy.name()));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweep_parameters_round_trip_through_a_query_string() {
        let p = SweepParams {
            runs: 7,
            seed: 99,
            strategies: vec![Strategy::FullJitter, Strategy::None],
            ..SweepParams::default()
        };
        let q = serde_qs::to_string(&p).unwrap();
        let back: SweepParams = serde_qs::from_str(&q).unwrap();
        assert_eq!(back, p);
        let j: SweepParams = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(j, p);
    }

    // proptest is a native-only dev-dependency.
    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn every_run_ends_with_one_success_per_client(seed: u64, clients in 1u32..40, s in 0usize..5, sd in 0.0f64..5.0) {
            let params = ContentionParams { net_sd_ms: sd, ..ContentionParams::blog(clients, Strategy::ALL[s]) };
            let mut r = ContentionRun::seeded(params, seed, 0).unwrap();
            let res = r.run_to_end();
            proptest::prop_assert!(r.is_done());
            proptest::prop_assert_eq!(r.version(), u64::from(clients));
            proptest::prop_assert_eq!(res.calls - res.failed_writes, u64::from(clients));
            proptest::prop_assert!(r.phases().iter().all(|p| *p == ClientPhase::Done));
            proptest::prop_assert!(r.clients().iter().all(|c| c.calls == c.attempt + 1));
        }
    }

    /// Played past its end the run stops at the last reply: the clock does not run on.
    #[test]
    fn played_past_its_end_the_clock_stops_at_the_last_reply() {
        use crate::sim::Playback;
        let mut run = ContentionRun::seeded(ContentionParams::blog(5, Strategy::FullJitter), 3, 0).unwrap();
        let mut pb = Playback::new(50.0);
        pb.play();
        for _ in 0..200 {
            pb.advance(&mut run, 16.0, || false);
        }
        assert!(run.is_done());
        let end = run.result().time_ms;
        let now = Clocked::now(&run).0 as f64;
        assert!(now <= end && now >= end - 1.0, "{now} vs {end}");
        // Whatever the frames: stepping by a different wall time ends at the same instant.
        let mut other = ContentionRun::seeded(ContentionParams::blog(5, Strategy::FullJitter), 3, 0).unwrap();
        let mut pb = Playback::new(7.0);
        pb.play();
        while !other.is_done() {
            pb.advance(&mut other, 5.0, || false);
        }
        pb.advance(&mut other, 5.0, || false);
        assert_eq!(Clocked::now(&other), Clocked::now(&run));
        run.advance_to_ms(1e9);
        assert!(Clocked::now(&run).0 as f64 <= end);
        assert!(run.phases().iter().all(|p| *p == ClientPhase::Done));
    }

    #[test]
    fn one_client_succeeds_with_one_write_after_four_hops() {
        let mut live = ContentionRun::seeded(ContentionParams::blog(1, Strategy::Exponential), 1, 0).unwrap();
        assert_eq!(live.phases(), vec![ClientPhase::Reading]);
        live.advance_to_ms(25.0);
        assert!(matches!(live.phases()[0], ClientPhase::Writing | ClientPhase::WriteReply), "{:?}", live.phases());
        live.advance_to_ms(1000.0);
        assert_eq!(live.phases(), vec![ClientPhase::Done]);
        let mut r = ContentionRun::seeded(ContentionParams::blog(1, Strategy::Exponential), 1, 0).unwrap();
        let res = r.run_to_end();
        assert_eq!((res.calls, res.failed_writes), (1, 0));
        assert!(res.time_ms > 20.0 && res.time_ms < 70.0, "{}", res.time_ms);
        assert_eq!(r.phases(), vec![ClientPhase::Done]);
    }

    #[test]
    fn fixed_hops_give_exact_times() {
        // sd = 0: every hop is exactly 10 ms. One client: read at 10, write at 30, reply at 40.
        let p = ContentionParams { net_sd_ms: 0.0, ..ContentionParams::blog(1, Strategy::Exponential) };
        let mut r = ContentionRun::seeded(p.clone(), 0, 0).unwrap();
        assert_eq!(r.run_to_end().time_ms, 40.0);
        assert_eq!(r.phases(), vec![ClientPhase::Done]);
        // Two clients tie at every step; the lower index wins the first write. The loser's retry
        // waits 10 + 10 ms of hops plus expo(1) = 10 ms: read at 60, write at 80, reply at 90.
        let mut r = ContentionRun::seeded(ContentionParams { clients: 2, ..p }, 0, 0).unwrap();
        let res = r.run_to_end();
        assert_eq!((res.calls, res.time_ms), (3, 90.0));
        assert_eq!(r.clients()[0].done_at_us, Some(40_000));
    }

    #[test]
    fn every_client_succeeds_exactly_once_and_versions_count_successes() {
        for s in Strategy::ALL {
            let mut r = ContentionRun::seeded(ContentionParams::blog(30, s), 9, 0).unwrap();
            let res = r.run_to_end();
            assert!(r.is_done());
            assert_eq!(r.version(), 30);
            assert_eq!(res.calls - res.failed_writes, 30);
            assert_eq!(r.clients().iter().map(|c| u64::from(c.calls)).sum::<u64>(), res.calls);
            let last = r.clients().iter().filter_map(|c| c.done_at_us).max().unwrap();
            assert_eq!(last as f64 / 1000.0, res.time_ms);
        }
    }

    #[test]
    fn same_seed_same_run_and_histogram_counts_every_write() {
        let p = ContentionParams::blog(50, Strategy::FullJitter);
        let mut a = ContentionRun::seeded(p.clone(), 3, 7).unwrap().record_calls();
        let mut b = ContentionRun::seeded(p, 3, 7).unwrap();
        let ra = a.run_to_end();
        assert_eq!(ra, b.run_to_end());
        assert_eq!(a.calls_histogram(10).iter().sum::<u64>(), ra.calls);
        assert!(b.calls_histogram(10).is_empty());
    }

    #[test]
    fn histograms_are_clustered_without_jitter_and_spread_with_it() {
        let h = calls_over_time(100, 1, 10).unwrap();
        let peak = |s: Strategy| *h.iter().find(|x| x.strategy == s).unwrap().counts.iter().max().unwrap();
        let busy = |s: Strategy| h.iter().find(|x| x.strategy == s).unwrap().counts.iter().filter(|c| **c > 0).count();
        for x in &h {
            assert_eq!(x.counts.iter().sum::<u64>(), x.result.calls);
        }
        // Without jitter, each round's retries land in the same few buckets and the row sits idle
        // between rounds; with full jitter the same work is spread over most of the run.
        let busy_fraction =
            |s: Strategy| busy(s) as f64 / h.iter().find(|x| x.strategy == s).unwrap().counts.len() as f64;
        assert!(busy_fraction(Strategy::Exponential) < 0.1, "{}", busy_fraction(Strategy::Exponential));
        assert!(busy_fraction(Strategy::FullJitter) > 4.0 * busy_fraction(Strategy::Exponential));
        assert!(peak(Strategy::Exponential) >= 10);
    }

    #[test]
    fn client_ranges_parse_and_reject_clearly() {
        assert_eq!("10..190:10".parse::<ClientRange>().unwrap().values().len(), 19);
        assert_eq!("5..=7:1".parse::<ClientRange>().unwrap().values(), vec![5, 6, 7]);
        assert_eq!("40".parse::<ClientRange>().unwrap().values(), vec![40]);
        for bad in ["", "10..", "190..10:10", "0..10:1", "10..20:0", "a..b", "1..200000:1"] {
            let e = bad.parse::<ClientRange>().unwrap_err();
            assert!(e.to_string().contains("expected FROM..TO:STEP"), "{bad}: {e}");
        }
        assert_eq!(
            "fast".parse::<Strategy>().unwrap_err().to_string(),
            "unknown strategy \"fast\": expected one of exponential, decorrelated, equal_jitter, full_jitter, none"
        );
    }

    #[test]
    fn sweep_resumes_in_chunks_with_the_same_rows_as_one_go() {
        let params = SweepParams { clients: ClientRange::new(10, 30, 10).unwrap(), runs: 4, ..SweepParams::default() };
        let mut whole = Sweep::new(params.clone()).unwrap();
        whole.run_to_end();
        let mut chunked = Sweep::new(params).unwrap();
        let mut seen = Vec::new();
        loop {
            let p = chunked.step(3);
            seen.push(p.runs_done);
            if p.done() {
                break;
            }
        }
        assert_eq!(seen.last(), Some(&60));
        assert_eq!(seen[0], 3);
        assert_eq!(whole.rows(), chunked.rows());
        let by_cell: Vec<SweepRow> = whole.cells().iter().map(|&(n, s)| whole.run_cell(n, s)).collect();
        assert_eq!(by_cell, whole.rows());
        assert_eq!(chunked.rows().len(), 15);
        assert!(chunked.csv().starts_with("clients,time_ms,calls,strategy\n10,"));
        assert!(Sweep::new(SweepParams { runs: 0, ..SweepParams::default() }).is_err());
    }

    #[test]
    fn sweep_csv_has_the_cli_header_and_one_row_per_cell() {
        let rows = vec![
            SweepRow { clients: 10, strategy: Strategy::FullJitter, time_ms: 123.456, calls: 20.04 },
            SweepRow { clients: 20, strategy: Strategy::None, time_ms: 0.0, calls: 1.0 },
        ];
        expect_test::expect![[r#"
            clients,time_ms,calls,strategy
            10,123.5,20.0,full_jitter
            20,0.0,1.0,none
        "#]]
        .assert_eq(&sweep_csv(&rows));
        assert_eq!(sweep_csv(&[]), "clients,time_ms,calls,strategy\n");
        let mut sweep = Sweep::new(SweepParams {
            clients: ClientRange::new(10, 20, 10).unwrap(),
            runs: 2,
            ..SweepParams::default()
        })
        .unwrap();
        sweep.run_to_end();
        assert_eq!(sweep.csv(), sweep_csv(sweep.rows()));
        assert_eq!(sweep.csv().lines().count(), 1 + 2 * 5);
    }

    #[test]
    fn a_played_run_ends_exactly_like_one_run_to_the_end() {
        let p = ContentionParams::blog(30, Strategy::FullJitter);
        let whole = ContentionRun::seeded(p.clone(), 7, 0).unwrap().run_to_end();
        let mut played = ContentionRun::seeded(p, 7, 0).unwrap();
        assert_eq!(Clocked::now(&played), SimTime(0));
        let first = played.next_event_time().expect("every client's first read is queued");
        assert!(first.0 >= 1, "a hop takes time");
        // Frames of 16 ms with a small event budget, as the playback drives it.
        let mut t = 0;
        while !played.is_done() {
            t += 16;
            while !played.run_until_bounded(SimTime(t), 7) {}
            if played.is_done() {
                // The last frame ends at the run's end, the last reply, wherever the frame fell.
                assert_eq!(Clocked::now(&played).0, libm::round(whole.time_ms * 1000.0) as u64 / 1000);
            } else {
                assert_eq!(Clocked::now(&played), SimTime(t));
            }
            assert!(played.phases().len() == 30);
        }
        assert_eq!(played.result(), whole);
        assert!(played.processed() > 30);
        assert_eq!(played.next_event_time(), None);
    }
}
