//! The cache-aside pattern on the modeled Redis: an application answers "how many public
//! repositories does user X have?" from a slow origin API and caches each answer in Redis with
//! `SETEX <username> <ttl> <count>`. The defaults are the reference article's: the key is the
//! username itself, the TTL 3600 s, an origin call about 372 ms against a cache hit of about
//! 5 ms ([`Config::default`]).
//!
//! A request runs as events on the kernel clock: at its start the application sends
//! `GET <username>` to the [`Store`]; a hit replies after one Redis round trip; a miss waits for
//! that round trip, then the origin's answer, then writes it back with `SETEX` and replies after
//! one more round trip. Requests come from the page (a typed user name, [`CacheAside::request`])
//! or from a skewed popularity workload (Zipf over N users at a Poisson rate). Every 100 ms of
//! virtual time the store's active expiry runs as an idle Redis runs it (the slow cycle, then
//! `beforeSleep`'s fast cycle), and each command is followed by `beforeSleep` too, so expired
//! answers vanish untouched; a miss
//! on a user whose answer had been cached before is counted as a *refetch caused by expiry*.
//!
//! How the page drives it: build a [`Simulation`] with [`new_simulation`], play it with the shared
//! playback, call [`CacheAside::request`] / [`CacheAside::set_config`] through `Simulation::act`,
//! and draw [`CacheAside::records`], [`CacheAside::totals`], [`CacheAside::ratio_buckets`] and
//! `store.browse(now, b"*", …)` (the demo's store holds only its cache).
//!
//! A run has no end of its own: the workload keeps arriving until the page pauses it.
//!
//! Architecture invariant: pure like the rest of `redis/` — no clock but the kernel's, randomness
//! only from the seeded `SimRng`, ordered collections only.

pub mod replay;

use std::collections::BTreeMap;
use std::sync::Arc;

use thiserror::Error;

use super::{cli, Reply, Store};
use crate::sim::{Ctx, Distribution, EventId, History, Model, SimDuration, SimRng, SimTime, Simulation, TEST_EPOCH};

/// Accepted ranges of the workload settings (the page's form and URL use them too).
pub const TTL_RANGE: (u64, u64) = (1, 86_400);
pub const RATE_RANGE: (f64, f64) = (0.0, 100.0);
pub const USERS_RANGE: (u64, u64) = (1, 10_000);
pub const SKEW_RANGE: (f64, f64) = (0.0, 3.0);
/// How many request records are kept for drawing (older ones only count in the totals).
pub const RECORDS_KEPT: usize = 2_000;
/// How many one-second hit-ratio buckets are kept.
pub const BUCKETS_KEPT: usize = 3_600;
/// The store's active expiry period (Redis's `hz 10`).
pub const EXPIRE_PERIOD: SimDuration = super::expire::PERIOD;
/// The reference article's cache TTL: `client.setex(username, 3600, repos)`.
pub const REFERENCE_TTL_S: u64 = 3600;
/// The reference article's response times: about 372 ms from the API, about 5 ms from Redis.
pub const REFERENCE_ORIGIN_MS: f64 = 372.0;
pub const REFERENCE_HIT_MS: f64 = 5.0;

/// The names of the most popular users in the workload; the rest are `dev<N>`.
pub const FAMOUS: [&str; 12] = [
    "octocat",
    "torvalds",
    "gaearon",
    "sindresorhus",
    "yyx990803",
    "tj",
    "addyosmani",
    "kentcdodds",
    "mitsuhiko",
    "antirez",
    "dtolnay",
    "BurntSushi",
];

/// The workload and the cache's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Seconds an answer stays cached (the `SETEX` argument; the reference uses 3600).
    pub ttl_s: u64,
    /// Workload requests per second of virtual time; 0 turns the workload off.
    pub rate_per_s: f64,
    /// How many distinct users the workload asks about.
    pub users: u64,
    /// Zipf exponent: user k (1-based) is asked about in proportion to 1 / k^skew (0 = uniform).
    pub skew: f64,
    /// The origin API's response time.
    pub origin: Distribution,
    /// One round trip between the application and Redis.
    pub redis_rtt: Distribution,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            ttl_s: REFERENCE_TTL_S,
            rate_per_s: 5.0,
            users: 50,
            skew: 1.1,
            origin: Distribution::AbsNormal { mean_ms: REFERENCE_ORIGIN_MS, std_dev_ms: 35.0 },
            redis_rtt: Distribution::AbsNormal { mean_ms: REFERENCE_HIT_MS, std_dev_ms: 0.8 },
        }
    }
}

/// A setting or user name the demo cannot use, with the value and what would be accepted.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum InputError {
    #[error("TTL {0:?} is not accepted: enter whole seconds from 1 to 86400")]
    Ttl(String),
    #[error("Rate {0:?} is not accepted: enter requests per second from 0 (workload off) to 100")]
    Rate(String),
    #[error("Users {0:?} is not accepted: enter a whole number from 1 to 10000")]
    Users(String),
    #[error("Skew {0:?} is not accepted: enter a number from 0 (uniform) to 3")]
    Skew(String),
    #[error(
        "User name {0:?} is not accepted: 1–39 letters, digits or single hyphens, not starting or ending with a hyphen"
    )]
    User(String),
}

pub fn parse_ttl(s: &str) -> Result<u64, InputError> {
    s.trim()
        .parse::<u64>()
        .ok()
        .filter(|v| (TTL_RANGE.0..=TTL_RANGE.1).contains(v))
        .ok_or_else(|| InputError::Ttl(s.into()))
}
pub fn parse_rate(s: &str) -> Result<f64, InputError> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && (RATE_RANGE.0..=RATE_RANGE.1).contains(v))
        .ok_or_else(|| InputError::Rate(s.into()))
}
pub fn parse_users(s: &str) -> Result<u64, InputError> {
    s.trim()
        .parse::<u64>()
        .ok()
        .filter(|v| (USERS_RANGE.0..=USERS_RANGE.1).contains(v))
        .ok_or_else(|| InputError::Users(s.into()))
}
pub fn parse_skew(s: &str) -> Result<f64, InputError> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && (SKEW_RANGE.0..=SKEW_RANGE.1).contains(v))
        .ok_or_else(|| InputError::Skew(s.into()))
}

/// A GitHub-style user name: 1–39 ASCII letters, digits or hyphens, no leading, trailing or
/// doubled hyphen. Keeps keys printable and short.
pub fn parse_user(s: &str) -> Result<String, InputError> {
    let t = s.trim();
    let ok = !t.is_empty()
        && t.len() <= 39
        && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !t.starts_with('-')
        && !t.ends_with('-')
        && !t.contains("--");
    if ok {
        Ok(t.to_string())
    } else {
        Err(InputError::User(s.into()))
    }
}

/// The Redis key an answer is cached under: the username itself, as the reference does.
pub fn cache_key(user: &str) -> String {
    user.to_string()
}

/// The workload's name for popularity rank `k` (0-based).
pub fn user_name(k: u64) -> String {
    match FAMOUS.get(k as usize) {
        Some(n) => (*n).to_string(),
        None => format!("dev{}", k + 1),
    }
}

/// The origin's answer for `user`: a stable pseudo count of public repositories (FNV-1a of the
/// name), so the same user always has the same count.
pub fn repo_count(user: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in user.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    if user == "octocat" {
        8
    } else {
        h % 300
    }
}

/// Who asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Typed,
    Workload,
}

/// What the cache said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Hit,
    /// A miss; `refetch` when the user's answer had been cached before and expired.
    Miss {
        refetch: bool,
    },
}

impl Outcome {
    pub fn is_hit(self) -> bool {
        matches!(self, Outcome::Hit)
    }
}

/// One command the application sent to Redis, with its reply as redis-cli prints it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issued {
    pub command: String,
    pub reply: String,
}

/// One request, from its start to its reply.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestRecord {
    pub id: u64,
    pub user: String,
    pub source: Source,
    /// When the request started, in ms since the run began.
    pub start_ms: u64,
    pub outcome: Outcome,
    /// When Redis's reply to GET reached the application (ms since the run began).
    pub get_reply_ms: u64,
    /// For a miss: when the origin answered.
    pub origin_reply_ms: Option<u64>,
    /// When the application replied; `None` while in flight.
    pub done_ms: Option<u64>,
    /// The repository count returned.
    pub count: Option<u64>,
    pub commands: Vec<Issued>,
    /// A miss that called the origin while an earlier call for the same user was in flight.
    pub duplicate: bool,
}

impl RequestRecord {
    /// End-to-end latency, once done.
    pub fn latency_ms(&self) -> Option<u64> {
        self.done_ms.map(|d| d - self.start_ms)
    }
}

/// Running totals over the whole run (records beyond [`RECORDS_KEPT`] still count here).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Totals {
    pub requests: u64,
    pub completed: u64,
    pub hits: u64,
    pub misses: u64,
    /// Misses on a user whose answer had been cached before and expired.
    pub expiry_refetches: u64,
    pub origin_calls: u64,
    /// Misses that called the origin while another request for the same user was already waiting
    /// on it (a cache stampede: cache-aside alone does not coalesce them).
    pub duplicate_origin_calls: u64,
    pub hit_latency_sum_ms: u64,
    pub miss_latency_sum_ms: u64,
    /// Keys the active expiry cycle deleted.
    pub actively_expired: u64,
    /// Completed requests that were hits (for the mean hit latency).
    pub completed_hits: u64,
}

impl Totals {
    /// Hits over completed lookups (a lookup completes when GET replies), `None` before any.
    pub fn hit_ratio(&self) -> Option<f64> {
        let n = self.hits + self.misses;
        (n > 0).then(|| self.hits as f64 / n as f64)
    }
    pub fn mean_hit_ms(&self) -> Option<f64> {
        let n = self.completed_hits();
        (n > 0).then(|| self.hit_latency_sum_ms as f64 / n as f64)
    }
    pub fn mean_miss_ms(&self) -> Option<f64> {
        let n = self.completed - self.completed_hits();
        (n > 0).then(|| self.miss_latency_sum_ms as f64 / n as f64)
    }
    fn completed_hits(&self) -> u64 {
        self.completed_hits
    }
}

/// Hits and misses decided within one second of virtual time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bucket {
    /// Seconds since the run began.
    pub second: u64,
    pub hits: u64,
    pub misses: u64,
}

/// The kernel's events.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// The workload's next request arrives.
    Arrival,
    /// A request starts: the application sends GET.
    Start { id: u64 },
    /// For a miss: the origin's answer arrives; the application sends SETEX.
    OriginReply { id: u64 },
    /// The application replies to its client.
    Done { id: u64 },
    /// The store's active expiry cycle.
    ExpireCycle,
}

/// The cache-aside model: the store, the workload and what happened. Cloneable for rewind's
/// snapshots: the records and ratio buckets are [`History`]s whose clones share their past, so a
/// snapshot costs the store, the small maps and a chunk or two.
#[derive(Clone)]
pub struct CacheAside {
    pub store: Store,
    config: Config,
    epoch: SimTime,
    rng_workload: SimRng,
    rng_latency: SimRng,
    /// Cumulative Zipf weights over the workload's users (shared by snapshots).
    cumulative: Arc<Vec<f64>>,
    next_arrival: Option<EventId>,
    next_id: u64,
    /// In-flight requests' users by id (the record holds the rest).
    in_flight: BTreeMap<u64, String>,
    /// Users whose answer has been written to the cache at least once.
    ever_cached: BTreeMap<String, u64>,
    /// Origin calls in flight per user.
    fetching: BTreeMap<String, u32>,
    records: History<RequestRecord>,
    totals: Totals,
    buckets: History<Bucket>,
    /// Duplicate origin calls already reported as notable (rewind's marks).
    notable_duplicates: u64,
}

/// A simulation of the demo with `config` and `seed`, its expiry cycle and workload scheduled.
pub fn new_simulation(config: Config, seed: u64) -> Simulation<CacheAside> {
    new_simulation_at(config, seed, TEST_EPOCH)
}

/// [`new_simulation`] with its clock starting at `epoch` (a replay file's).
pub fn new_simulation_at(config: Config, seed: u64, epoch: SimTime) -> Simulation<CacheAside> {
    let mut sim = Simulation::new(CacheAside::new(config, seed, epoch), epoch);
    sim.schedule_in(EXPIRE_PERIOD, Event::ExpireCycle);
    sim.act(|m, ctx| m.schedule_arrival(ctx));
    sim
}

impl CacheAside {
    pub fn new(config: Config, seed: u64, epoch: SimTime) -> Self {
        let root = SimRng::new(seed).child("cache-aside");
        let mut m = CacheAside {
            store: Store::new(root.child("redis")),
            cumulative: Arc::new(Vec::new()),
            config,
            epoch,
            rng_workload: root.child("workload"),
            rng_latency: root.child("latency"),
            next_arrival: None,
            next_id: 0,
            in_flight: BTreeMap::new(),
            ever_cached: BTreeMap::new(),
            fetching: BTreeMap::new(),
            records: History::new(),
            totals: Totals::default(),
            buckets: History::new(),
            notable_duplicates: 0,
        };
        m.rebuild_weights();
        m
    }

    pub fn config(&self) -> &Config {
        &self.config
    }
    /// The most recent records, oldest first (at most [`RECORDS_KEPT`]).
    pub fn records(&self) -> &History<RequestRecord> {
        &self.records
    }
    pub fn totals(&self) -> Totals {
        self.totals
    }
    /// Per-second hit/miss counts, oldest first (at most [`BUCKETS_KEPT`]).
    pub fn ratio_buckets(&self) -> &History<Bucket> {
        &self.buckets
    }
    /// Roughly the heap bytes this state holds beyond `other`, another clone of it (`None`:
    /// everything): the records and ratio buckets it does not share with `other` (their sealed
    /// chunks are shared between clones), and the store and the maps of users, never shared.
    /// What a rewind snapshot of it costs.
    pub fn bytes_beyond(&self, other: Option<&CacheAside>) -> usize {
        use std::mem::size_of;
        let issued = |i: &Issued| size_of::<Issued>() + i.command.len() + i.reply.len();
        let record = |r: &RequestRecord| {
            size_of::<RequestRecord>() + r.user.len() + r.commands.iter().map(issued).sum::<usize>()
        };
        // A BTreeMap entry: the key and value, and its share of a node's bookkeeping.
        let entry = |k: &String, v: usize| k.len() + size_of::<String>() + v + 16;
        let users = self.in_flight.values().map(|u| entry(u, size_of::<u64>())).sum::<usize>()
            + self.ever_cached.keys().map(|u| entry(u, size_of::<u64>())).sum::<usize>()
            + self.fetching.keys().map(|u| entry(u, size_of::<u32>())).sum::<usize>();
        size_of::<Self>()
            + self.store.heap_bytes()
            + users
            + self.records.bytes_beyond(other.map(|o| &o.records), record)
            + self.buckets.bytes_beyond(other.map(|o| &o.buckets), |_| size_of::<Bucket>())
    }

    /// Milliseconds since the run began at `now`.
    pub fn elapsed_ms(&self, now: SimTime) -> u64 {
        (now - self.epoch).as_millis()
    }
    pub fn record(&self, id: u64) -> Option<&RequestRecord> {
        // Ids are dense and records are kept in id order, so the position is computable.
        let first = self.records.first()?.id;
        self.records.get(id.checked_sub(first)? as usize).filter(|r| r.id == id)
    }

    /// The id the next request will get (a typed request's, before it is made).
    pub fn next_request_id(&self) -> u64 {
        self.next_id
    }

    /// Starts a request for `user` now (a name typed on the page). Returns its id.
    pub fn request(&mut self, ctx: &mut Ctx<'_, Event>, user: &str) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.in_flight.insert(id, user.to_string());
        ctx.schedule_in(SimDuration::ZERO, Event::Start { id });
        id
    }

    /// Applies new settings: the TTL to the next SETEX, the workload from its next arrival on.
    pub fn set_config(&mut self, ctx: &mut Ctx<'_, Event>, config: Config) {
        let workload_changed = config.rate_per_s != self.config.rate_per_s
            || config.users != self.config.users
            || config.skew != self.config.skew;
        self.config = config;
        if workload_changed {
            self.rebuild_weights();
            if let Some(id) = self.next_arrival.take() {
                ctx.cancel(id);
            }
            self.schedule_arrival(ctx);
        }
    }

    fn rebuild_weights(&mut self) {
        let n = self.config.users.clamp(USERS_RANGE.0, USERS_RANGE.1);
        let mut acc = 0.0;
        self.cumulative = Arc::new(
            (1..=n)
                .map(|k| {
                    acc += libm::pow(k as f64, -self.config.skew);
                    acc
                })
                .collect(),
        );
    }

    fn pick_user(&mut self) -> String {
        let total = *self.cumulative.last().unwrap_or(&1.0);
        let x = self.rng_workload.unit_f64() * total;
        let k = self.cumulative.partition_point(|c| *c <= x).min(self.cumulative.len().saturating_sub(1));
        user_name(k as u64)
    }

    fn schedule_arrival(&mut self, ctx: &mut Ctx<'_, Event>) {
        let rate = self.config.rate_per_s;
        // NaN counts as "off" too.
        if rate.is_nan() || rate <= 0.0 {
            self.next_arrival = None;
            return;
        }
        let gap = self.rng_workload.exponential(1000.0 / rate);
        // At least 1 ms apart so a huge rate cannot stall the clock.
        let gap = SimDuration::from_millis_f64(gap).max(SimDuration::from_millis(1));
        self.next_arrival = Some(ctx.schedule_in(gap, Event::Arrival));
    }

    fn rtt(&mut self) -> SimDuration {
        self.config.redis_rtt.sample(&mut self.rng_latency).max(SimDuration::from_millis(1))
    }

    fn exec(&mut self, now: SimTime, argv: &[&str]) -> (Reply, Issued) {
        let argv_b: Vec<Vec<u8>> = argv.iter().map(|a| a.as_bytes().to_vec()).collect();
        let reply = self.store.execute(now, &argv_b);
        // The event loop goes back to waiting after the command: beforeSleep's fast expire cycle.
        self.store.before_sleep(now);
        let issued =
            Issued { command: argv.join(" "), reply: cli::format_human(&reply).trim_end_matches('\n').to_string() };
        (reply, issued)
    }

    fn bucket_mut(&mut self, second: u64) -> &mut Bucket {
        if self.buckets.last().map(|b| b.second) != Some(second) {
            // Fill skipped seconds so the chart shows quiet periods as quiet.
            let from = self.buckets.last().map(|b| b.second + 1).unwrap_or(second);
            for s in from..=second {
                self.buckets.push(Bucket { second: s, hits: 0, misses: 0 });
                if self.buckets.len() > BUCKETS_KEPT {
                    self.buckets.drop_front(1);
                }
            }
        }
        self.buckets.last_mut().expect("a bucket was just pushed")
    }

    fn start(&mut self, ctx: &mut Ctx<'_, Event>, id: u64, user: String, source: Source) {
        let now = ctx.now();
        let key = cache_key(&user);
        let (reply, issued) = self.exec(now, &["GET", &key]);
        let rtt = self.rtt();
        let start_ms = self.elapsed_ms(now);
        let get_reply_ms = start_ms + rtt.as_millis();
        let (outcome, count) = match reply {
            Reply::Bulk(b) => (Outcome::Hit, std::str::from_utf8(&b).ok().and_then(|s| s.parse().ok())),
            _ => (Outcome::Miss { refetch: self.ever_cached.contains_key(&user) }, None),
        };
        self.totals.requests += 1;
        let mut duplicate = false;
        match outcome {
            Outcome::Hit => {
                self.totals.hits += 1;
                self.bucket_mut(start_ms / 1000).hits += 1;
                ctx.schedule_in(rtt, Event::Done { id });
            }
            Outcome::Miss { refetch } => {
                self.totals.misses += 1;
                self.totals.origin_calls += 1;
                if refetch {
                    self.totals.expiry_refetches += 1;
                }
                let waiting = self.fetching.entry(user.clone()).or_insert(0);
                duplicate = *waiting > 0;
                *waiting += 1;
                if duplicate {
                    self.totals.duplicate_origin_calls += 1;
                }
                self.bucket_mut(start_ms / 1000).misses += 1;
                let origin = self.config.origin.sample(&mut self.rng_latency).max(SimDuration::from_millis(1));
                ctx.schedule_in(rtt + origin, Event::OriginReply { id });
            }
        }
        self.records.push(RequestRecord {
            id,
            user,
            source,
            start_ms,
            outcome,
            get_reply_ms,
            origin_reply_ms: None,
            done_ms: None,
            count,
            commands: vec![issued],
            duplicate,
        });
        if self.records.len() > RECORDS_KEPT {
            self.records.drop_front(1);
        }
    }

    fn record_mut(&mut self, id: u64) -> Option<&mut RequestRecord> {
        let first = self.records.first()?.id;
        self.records.get_mut(id.checked_sub(first)? as usize).filter(|r| r.id == id)
    }

    fn origin_reply(&mut self, ctx: &mut Ctx<'_, Event>, id: u64) {
        let now = ctx.now();
        let Some(user) = self.in_flight.get(&id).cloned() else {
            return;
        };
        let count = repo_count(&user);
        let key = cache_key(&user);
        let ttl = self.config.ttl_s.to_string();
        let (_, issued) = self.exec(now, &["SETEX", &key, &ttl, &count.to_string()]);
        if let Some(n) = self.fetching.get_mut(&user) {
            *n -= 1;
            if *n == 0 {
                self.fetching.remove(&user);
            }
        }
        self.ever_cached.insert(user, self.elapsed_ms(now));
        let at = self.elapsed_ms(now);
        if let Some(r) = self.record_mut(id) {
            r.origin_reply_ms = Some(at);
            r.count = Some(count);
            r.commands.push(issued);
        }
        let rtt = self.rtt();
        ctx.schedule_in(rtt, Event::Done { id });
    }

    fn done(&mut self, now: SimTime, id: u64) {
        self.in_flight.remove(&id);
        let at = self.elapsed_ms(now);
        let Some(r) = self.record_mut(id) else { return };
        r.done_ms = Some(at);
        let latency = at - r.start_ms;
        let hit = r.outcome.is_hit();
        self.totals.completed += 1;
        if hit {
            self.totals.completed_hits += 1;
            self.totals.hit_latency_sum_ms += latency;
        } else {
            self.totals.miss_latency_sum_ms += latency;
        }
    }
}

impl Model for CacheAside {
    type Event = Event;

    fn handle(&mut self, ctx: &mut Ctx<'_, Event>, event: Event) {
        match event {
            Event::Arrival => {
                self.next_arrival = None;
                let user = self.pick_user();
                let id = self.next_id;
                self.next_id += 1;
                self.in_flight.insert(id, user.clone());
                self.start(ctx, id, user, Source::Workload);
                self.schedule_arrival(ctx);
            }
            Event::Start { id } => {
                if let Some(user) = self.in_flight.get(&id).cloned() {
                    self.start(ctx, id, user, Source::Typed);
                }
            }
            Event::OriginReply { id } => self.origin_reply(ctx, id),
            Event::Done { id } => self.done(ctx.now(), id),
            Event::ExpireCycle => {
                // serverCron's slow cycle, then beforeSleep's fast one as the loop goes idle.
                let now = ctx.now();
                let slow = self.store.active_expire_cycle(super::expire::CycleKind::Slow, now, 0);
                let fast = self.store.active_expire_cycle(super::expire::CycleKind::Fast, now, slow.cost_us);
                self.totals.actively_expired += slow.expired + fast.expired;
                ctx.schedule_in(EXPIRE_PERIOD, Event::ExpireCycle);
            }
        }
    }

    fn describe(&self, event: &Event) -> (String, String) {
        let user = |id: &u64| self.in_flight.get(id).cloned().unwrap_or_default();
        match event {
            Event::Arrival => ("workload".into(), "request arrives".into()),
            Event::Start { id } => ("app".into(), format!("#{id} GET {}", cache_key(&user(id)))),
            Event::OriginReply { id } => ("origin".into(), format!("#{id} origin answers for {}", user(id))),
            Event::Done { id } => ("app".into(), format!("#{id} replies")),
            Event::ExpireCycle => ("redis".into(), "active expire cycle".into()),
        }
    }
}

/// The records as CSV (one row per request, oldest first).
pub fn records_csv<'a>(records: impl IntoIterator<Item = &'a RequestRecord>) -> String {
    let mut out = String::from(
        "id,start_ms,user,source,outcome,expiry_refetch,duplicate_origin_call,latency_ms,count,commands\n",
    );
    for r in records {
        let (outcome, refetch) = match r.outcome {
            Outcome::Hit => ("hit", false),
            Outcome::Miss { refetch } => ("miss", refetch),
        };
        let cmds: Vec<&str> = r.commands.iter().map(|c| c.command.as_str()).collect();
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},\"{}\"\n",
            r.id,
            r.start_ms,
            r.user,
            match r.source {
                Source::Typed => "typed",
                Source::Workload => "workload",
            },
            outcome,
            refetch,
            r.duplicate,
            r.latency_ms().map(|l| l.to_string()).unwrap_or_default(),
            r.count.map(|c| c.to_string()).unwrap_or_default(),
            cmds.join("; ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quiet(ttl_s: u64) -> Simulation<CacheAside> {
        new_simulation(Config { ttl_s, rate_per_s: 0.0, ..Config::default() }, 7)
    }

    /// Requests `user` now and runs until it has replied; returns its record.
    fn ask(sim: &mut Simulation<CacheAside>, user: &str) -> RequestRecord {
        let id = sim.act(|m, ctx| m.request(ctx, user));
        for _ in 0..10_000 {
            if sim.model.record(id).and_then(|r| r.done_ms).is_some() {
                break;
            }
            sim.step();
        }
        sim.model.record(id).cloned().expect("the request was recorded")
    }

    #[test]
    fn defaults_follow_the_reference_article_setex_3600_by_username_372_ms_against_5_ms() {
        let c = Config::default();
        assert_eq!(c.ttl_s, 3600);
        assert_eq!(c.origin.mean_ms(), 372.0);
        assert_eq!(c.redis_rtt.mean_ms(), 5.0);
        let mut sim = new_simulation(Config { rate_per_s: 0.0, ..c }, 7);
        let miss = ask(&mut sim, "octocat");
        assert_eq!(miss.commands[1].command, "SETEX octocat 3600 8", "keyed by the username itself");
        let hit = ask(&mut sim, "octocat");
        assert_eq!(hit.commands[0].command, "GET octocat");
        // Many requests: a miss is the origin plus two Redis round trips (GET, SETEX), a hit one.
        let mut sim = new_simulation(Config { rate_per_s: 50.0, users: 200, ..Config::default() }, 3);
        sim.run_for(SimDuration::from_secs(120));
        let t = sim.model.totals();
        let (hit, miss) = (t.mean_hit_ms().unwrap(), t.mean_miss_ms().unwrap());
        assert!((4.0..=6.0).contains(&hit), "mean hit {hit:.1} ms");
        assert!((372.0..=400.0).contains(&miss), "mean miss {miss:.1} ms");
    }

    #[test]
    fn first_request_misses_slowly_and_the_second_hits_fast() {
        let mut sim = quiet(3600);
        let first = ask(&mut sim, "octocat");
        assert_eq!(first.outcome, Outcome::Miss { refetch: false });
        let l1 = first.latency_ms().unwrap();
        assert!((280..=480).contains(&l1), "a miss pays for the origin: {l1} ms");
        let cmds: Vec<&str> = first.commands.iter().map(|c| c.command.as_str()).collect();
        assert_eq!(cmds, ["GET octocat", "SETEX octocat 3600 8"]);
        assert_eq!(first.commands[0].reply, "(nil)");
        assert_eq!(first.commands[1].reply, "OK");
        assert_eq!(first.count, Some(8));

        let second = ask(&mut sim, "octocat");
        assert_eq!(second.outcome, Outcome::Hit);
        let l2 = second.latency_ms().unwrap();
        assert!((1..=12).contains(&l2), "a hit is one Redis round trip: {l2} ms");
        assert_eq!(second.commands.len(), 1);
        assert_eq!(second.commands[0].reply, "\"8\"");
        assert_eq!(second.count, Some(8));
        let t = sim.model.totals();
        assert_eq!((t.requests, t.hits, t.misses, t.origin_calls), (2, 1, 1, 1));
        assert_eq!(t.hit_ratio(), Some(0.5));
        assert_eq!(sim.model.store.execute_str(sim.now(), "TTL octocat"), Reply::Integer(3600));
    }

    #[test]
    fn after_the_ttl_the_answer_expires_untouched_and_the_next_request_refetches() {
        let mut sim = quiet(2);
        ask(&mut sim, "torvalds");
        assert_eq!(sim.model.store.dbsize(), 1);
        sim.run_for(SimDuration::from_millis(2_200));
        // Nobody read the key: the active expiry cycle reclaimed it.
        assert_eq!(sim.model.store.dbsize(), 0);
        assert!(sim.model.totals().actively_expired >= 1);
        let again = ask(&mut sim, "torvalds");
        assert_eq!(again.outcome, Outcome::Miss { refetch: true });
        assert!(again.latency_ms().unwrap() > 250);
        assert_eq!(sim.model.totals().expiry_refetches, 1);
        // A user never cached before is a plain miss, not a refetch.
        assert_eq!(ask(&mut sim, "antirez").outcome, Outcome::Miss { refetch: false });
    }

    fn ratio_after(config: Config, secs: u64, seed: u64) -> f64 {
        let mut sim = new_simulation(config, seed);
        sim.run_for(SimDuration::from_secs(secs));
        sim.model.totals().hit_ratio().unwrap()
    }

    #[test]
    fn a_skewed_workload_hits_more_and_the_ratio_rises_as_the_cache_warms() {
        let base = Config { ttl_s: 3600, rate_per_s: 20.0, users: 1000, ..Config::default() };
        let uniform = ratio_after(Config { skew: 0.0, ..base.clone() }, 60, 3);
        let skewed = ratio_after(Config { skew: 1.2, ..base.clone() }, 60, 3);
        assert!(skewed > uniform + 0.3, "skewed {skewed:.2} vs uniform {uniform:.2}");

        let mut sim = new_simulation(Config { skew: 1.2, ..base }, 3);
        sim.run_for(SimDuration::from_secs(120));
        let b = sim.model.ratio_buckets();
        let ratio = |s: &[Bucket]| {
            let (h, m) = s.iter().fold((0, 0), |(h, m), b| (h + b.hits, m + b.misses));
            h as f64 / (h + m) as f64
        };
        let v: Vec<Bucket> = b.iter().copied().collect();
        let early = ratio(&v[..10]);
        let late = ratio(&v[v.len() - 30..]);
        assert!(late > early + 0.2, "late {late:.2} vs early {early:.2}");
    }

    #[test]
    fn a_short_ttl_causes_expiry_refetches() {
        let cfg = Config { rate_per_s: 20.0, users: 20, skew: 1.0, ..Config::default() };
        let mut short = new_simulation(Config { ttl_s: 2, ..cfg.clone() }, 5);
        let mut long = new_simulation(Config { ttl_s: 3600, ..cfg }, 5);
        short.run_for(SimDuration::from_secs(60));
        long.run_for(SimDuration::from_secs(60));
        assert!(short.model.totals().expiry_refetches > 50, "{:?}", short.model.totals());
        assert_eq!(long.model.totals().expiry_refetches, 0);
        assert!(short.model.totals().hit_ratio() < long.model.totals().hit_ratio());
    }

    #[test]
    fn concurrent_misses_for_one_user_all_call_the_origin() {
        // One user at 50 requests/s: while the first origin call (~370 ms) is in flight, every
        // request misses and calls the origin again; after the SETEX they hit.
        let mut sim = new_simulation(Config { rate_per_s: 50.0, users: 1, ttl_s: 3600, ..Config::default() }, 4);
        sim.run_for(SimDuration::from_secs(5));
        let t = sim.model.totals();
        assert!(t.duplicate_origin_calls >= 5, "{t:?}");
        assert_eq!(t.origin_calls, t.misses);
        assert_eq!(t.duplicate_origin_calls, t.misses - 1);
        let first_hit = sim.model.records().iter().position(|r| r.outcome.is_hit()).unwrap();
        assert!(sim.model.records().iter().skip(first_hit).all(|r| r.outcome.is_hit()));
        assert!(sim.model.records().iter().take(first_hit).skip(1).all(|r| r.duplicate));
    }

    #[test]
    fn same_seed_same_records_and_trace() {
        let run = |seed| {
            let mut sim = new_simulation(Config::default(), seed);
            sim.trace_mut().set_enabled(true);
            sim.run_for(SimDuration::from_secs(20));
            sim.act(|m, ctx| m.request(ctx, "octocat"));
            sim.run_for(SimDuration::from_secs(20));
            (format!("{:?}", sim.model.records()), sim.trace().digest(), records_csv(sim.model.records()))
        };
        let a = run(11);
        assert_eq!(a, run(11));
        assert_ne!(a.0, run(12).0);
    }

    #[test]
    fn changing_the_rate_to_zero_stops_the_workload_and_ttl_applies_to_the_next_setex() {
        let mut sim = new_simulation(Config::default(), 9);
        sim.run_for(SimDuration::from_secs(5));
        let before = sim.model.totals().requests;
        assert!(before > 5);
        let cfg = Config { rate_per_s: 0.0, ttl_s: 42, ..Config::default() };
        sim.act(|m, ctx| m.set_config(ctx, cfg));
        sim.run_for(SimDuration::from_secs(5));
        assert_eq!(sim.model.totals().requests, before);
        let r = ask(&mut sim, "new-user");
        assert_eq!(r.commands[1].command, format!("SETEX new-user 42 {}", repo_count("new-user")));
    }

    #[test]
    fn bad_inputs_name_the_value_and_what_is_accepted() {
        assert_eq!(parse_ttl("30"), Ok(30));
        assert_eq!(parse_rate(" 2.5 "), Ok(2.5));
        assert_eq!(parse_users("50"), Ok(50));
        assert_eq!(parse_skew("0"), Ok(0.0));
        for bad in ["0", "-5", "abc", "86401", "1.5", ""] {
            let e = parse_ttl(bad).unwrap_err().to_string();
            assert!(e.contains(&format!("{bad:?}")) && e.contains("1 to 86400"), "{e}");
        }
        assert!(parse_rate("NaN").is_err() && parse_rate("101").is_err() && parse_rate("-1").is_err());
        assert!(parse_users("0").is_err() && parse_users("10001").is_err());
        assert!(parse_skew("3.5").is_err() && parse_skew("inf").is_err());
        assert_eq!(parse_user(" octocat "), Ok("octocat".into()));
        for bad in ["", "-a", "a-", "a--b", "a b", "<img>", &"x".repeat(40)] {
            let e = parse_user(bad).unwrap_err().to_string();
            assert!(e.contains(&format!("{bad:?}")), "{e}");
        }
    }

    #[test]
    fn records_are_capped_but_totals_keep_counting() {
        let mut sim = new_simulation(Config { rate_per_s: 100.0, ..Config::default() }, 1);
        sim.run_for(SimDuration::from_secs(30));
        assert_eq!(sim.model.records().len(), RECORDS_KEPT);
        assert!(sim.model.totals().requests > RECORDS_KEPT as u64);
        let last = sim.model.records().last().unwrap().id;
        assert_eq!(sim.model.record(last).unwrap().id, last);
        assert_eq!(user_name(0), "octocat");
        assert_eq!(user_name(12), "dev13");
    }
}
