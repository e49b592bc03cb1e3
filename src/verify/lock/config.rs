//! What a lock check explores: the variant, the fleet, the faults and their budget, the depth and the
//! timings (the playground's defaults). Every user-settable value is validated with a message that
//! names the value and what is accepted.

use crate::lock::machine::{MachineConfig, ReleaseVariant, RenewVariant};
use crate::lock::Scenario;
use crate::sim::SimDuration;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The protocol variants the checker knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    /// The reference: GET-then-EXPIRE renew, GET-then-DEL-if-mine release, one Redis.
    Reference,
    /// Compare-and-extend renew, compare-and-delete release, one Redis.
    Atomic,
    /// Atomic, plus a fencing token with the grant, checked by the protected resource.
    Fenced,
    /// Redlock on 3 or 5 instances (atomic scripts on each).
    Redlock,
}

impl Variant {
    pub const ALL: [Variant; 4] = [Variant::Reference, Variant::Atomic, Variant::Fenced, Variant::Redlock];
    pub fn id(self) -> &'static str {
        match self {
            Variant::Reference => "reference",
            Variant::Atomic => "atomic",
            Variant::Fenced => "fenced",
            Variant::Redlock => "redlock",
        }
    }
    pub fn from_id(id: &str) -> Result<Variant, ConfigError> {
        Variant::ALL.into_iter().find(|v| v.id() == id).ok_or_else(|| ConfigError::Variant(id.to_string()))
    }
}

/// The faults the search may inject (each costs one unit of the budget; resuming a paused worker and
/// restarting a crashed one are free).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    /// A stop-the-world pause (GC) of a worker, until the search resumes it.
    Pause,
    /// A worker's process dies (no release); the search may restart it as a new process.
    Crash,
    /// A message is held back while time passes (it is delivered later, in order on its connection).
    Delay,
    /// A message is lost.
    Drop,
    /// A Redis instance restarts without persistence: its keys and the token counter are gone.
    RedisRestart,
    /// A worker's clock falls behind by the drift step: its pending timers fire that much later.
    Drift,
    /// A graceful shutdown (`STOP`): stopWork, then the release.
    Stop,
}

impl Fault {
    pub const ALL: [Fault; 7] =
        [Fault::Pause, Fault::Crash, Fault::Delay, Fault::Drop, Fault::RedisRestart, Fault::Drift, Fault::Stop];
    pub fn id(self) -> &'static str {
        match self {
            Fault::Pause => "pause",
            Fault::Crash => "crash",
            Fault::Delay => "delay",
            Fault::Drop => "drop",
            Fault::RedisRestart => "redis-restart",
            Fault::Drift => "drift",
            Fault::Stop => "stop",
        }
    }
    /// Parses a comma-separated list such as `pause,crash,delay` (empty or `none` is no faults).
    pub fn parse_list(text: &str) -> Result<Vec<Fault>, ConfigError> {
        let mut out = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty() && *p != "none") {
            // `restart` is short for a Redis restart (a crashed worker's restart is always allowed).
            let id = if part == "restart" { "redis-restart" } else { part };
            let f =
                Fault::ALL.into_iter().find(|f| f.id() == id).ok_or_else(|| ConfigError::Fault(part.to_string()))?;
            if !out.contains(&f) {
                out.push(f);
            }
        }
        out.sort();
        Ok(out)
    }
}

/// The properties the checker looks for counterexamples to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Property {
    /// Two workers believe they hold the lock (`working` or `renew_lock`) at once.
    MutualExclusion,
    /// A write from a worker that no longer holds the lock is accepted by the protected resource while
    /// Redis names another worker as the holder.
    StaleWrite,
    /// A job is accepted twice (or out of order).
    DoubleJob,
    /// A renewal extends another worker's lock (the GET-then-EXPIRE race's signature).
    ForeignExtend,
    /// A release deletes another worker's lock (the GET-then-DEL race's signature).
    ForeignDelete,
}

impl Property {
    pub const ALL: [Property; 5] = [
        Property::MutualExclusion,
        Property::StaleWrite,
        Property::DoubleJob,
        Property::ForeignExtend,
        Property::ForeignDelete,
    ];
    pub fn id(self) -> &'static str {
        match self {
            Property::MutualExclusion => "mutual-exclusion",
            Property::StaleWrite => "stale-write",
            Property::DoubleJob => "double-job",
            Property::ForeignExtend => "foreign-extend",
            Property::ForeignDelete => "foreign-delete",
        }
    }
    /// The sentence the page and the CLI print.
    pub fn sentence(self) -> &'static str {
        match self {
            Property::MutualExclusion => "two workers believe they hold the lock",
            Property::StaleWrite => "a write from a stale holder is accepted",
            Property::DoubleJob => "a job is processed twice",
            Property::ForeignExtend => "a renewal extends another worker's lock",
            Property::ForeignDelete => "a release deletes another worker's lock",
        }
    }
    pub fn from_id(id: &str) -> Result<Property, ConfigError> {
        Property::ALL.into_iter().find(|p| p.id() == id).ok_or_else(|| ConfigError::Property(id.to_string()))
    }
    pub(crate) fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// Everything one check depends on. Build it with [`CheckConfig::new`] and the `with_*` setters or
/// deserialize it (missing fields take their defaults), then [`CheckConfig::validate`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CheckConfig {
    pub variant: Variant,
    pub workers: usize,
    /// Redis instances: 1 for `reference`, `atomic` and `fenced`; 3 or 5 for `redlock`.
    pub redis: usize,
    pub faults: Vec<Fault>,
    /// How many faults one run may suffer.
    pub budget: u8,
    /// The longest trace explored (actions from the start).
    pub depth: u32,
    /// The search stops after this many distinct states (the answer then says it is incomplete).
    pub max_states: u64,
    /// The properties to look for (all of them when empty).
    pub properties: Vec<Property>,
    /// Seeds the workers' random streams as `sim lock --seed` does (Redlock's values and retry delays).
    pub seed: u64,
    pub ttl_ms: u64,
    pub renew_interval_ms: u64,
    pub retry_interval_ms: u64,
    pub job_ms: u64,
    pub stop_work_ms: u64,
    /// How far one drift step sets a worker's clock back.
    pub drift_ms: u64,
    /// Worker i starts at i × this (servers booting apart; 0 = all at once).
    pub stagger_ms: u64,
    /// Symmetry reduction: states that differ only by a renaming of identical workers are one
    /// state. Off only to check that the reduction loses no counterexample.
    pub symmetry: bool,
}

impl Default for CheckConfig {
    fn default() -> Self {
        CheckConfig::new(Variant::Reference)
    }
}

pub const MAX_DEPTH: u32 = 400;
pub const MAX_STATES: u64 = 50_000_000;
pub const MAX_BUDGET: u8 = 4;
/// Timers and TTLs are kept as u32 milliseconds in the state.
pub const MAX_DURATION_MS: u64 = 3_600_000;

impl CheckConfig {
    /// The playground's timings (TTL 10 s, renew and retry 5 s, job 2 s, stopWork 1 s), two workers,
    /// the variant's instances, pause/crash/delay with a budget of one, depth 40.
    pub fn new(variant: Variant) -> Self {
        let s = Scenario::default();
        CheckConfig {
            variant,
            workers: 2,
            redis: if variant == Variant::Redlock { 5 } else { 1 },
            faults: vec![Fault::Pause, Fault::Crash, Fault::Delay],
            budget: 1,
            depth: 40,
            max_states: 5_000_000,
            properties: Vec::new(),
            seed: 1,
            ttl_ms: s.ttl_ms,
            renew_interval_ms: s.renew_interval_ms,
            retry_interval_ms: s.retry_interval_ms,
            job_ms: s.job_ms,
            stop_work_ms: s.stop_work_ms,
            drift_ms: s.ttl_ms,
            stagger_ms: if variant == Variant::Redlock { 1_000 } else { 0 },
            symmetry: true,
        }
    }
    pub fn with_faults(mut self, faults: &[Fault]) -> Self {
        self.faults = faults.to_vec();
        self
    }
    pub fn with_budget(mut self, budget: u8) -> Self {
        self.budget = budget;
        self
    }
    pub fn with_depth(mut self, depth: u32) -> Self {
        self.depth = depth;
        self
    }
    pub fn with_symmetry(mut self, on: bool) -> Self {
        self.symmetry = on;
        self
    }
    pub fn with_properties(mut self, properties: &[Property]) -> Self {
        self.properties = properties.to_vec();
        self
    }

    /// The properties asked for (all when none were named).
    pub fn properties(&self) -> Vec<Property> {
        if self.properties.is_empty() {
            Property::ALL.to_vec()
        } else {
            let mut p = self.properties.clone();
            p.sort();
            p.dedup();
            p
        }
    }

    pub fn has(&self, f: Fault) -> bool {
        self.faults.contains(&f)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(2..=3).contains(&self.workers) {
            return Err(ConfigError::Workers(self.workers));
        }
        let ok = match self.variant {
            Variant::Redlock => self.redis == 3 || self.redis == 5,
            _ => self.redis == 1,
        };
        if !ok {
            return Err(ConfigError::Redis { variant: self.variant.id(), redis: self.redis });
        }
        if self.budget > MAX_BUDGET {
            return Err(ConfigError::Budget(self.budget));
        }
        if !(1..=MAX_DEPTH).contains(&self.depth) {
            return Err(ConfigError::Depth(self.depth));
        }
        if !(1..=MAX_STATES).contains(&self.max_states) {
            return Err(ConfigError::MaxStates(self.max_states));
        }
        for (name, value, min) in [
            ("ttl", self.ttl_ms, 1),
            ("renew interval", self.renew_interval_ms, 1),
            ("retry interval", self.retry_interval_ms, 1),
            ("job time", self.job_ms, 1),
            ("stopWork time", self.stop_work_ms, 1),
            ("drift step", self.drift_ms, 1),
            ("stagger", self.stagger_ms, 0),
        ] {
            if value < min || value > MAX_DURATION_MS {
                return Err(ConfigError::Duration { name, value, min });
            }
        }
        Ok(())
    }

    /// The machine every worker runs, as the playground configures it for this variant.
    pub fn machine_config(&self) -> MachineConfig {
        let atomic = self.variant != Variant::Reference;
        MachineConfig {
            ttl: SimDuration(self.ttl_ms),
            renew_interval: SimDuration(self.renew_interval_ms),
            retry_interval: SimDuration(self.retry_interval_ms),
            renew: if atomic { RenewVariant::CompareAndExtend } else { RenewVariant::GetThenExpire },
            release: if atomic { ReleaseVariant::CompareAndDelete } else { ReleaseVariant::Reference },
            fencing: self.variant == Variant::Fenced,
            instances: self.redis,
            ..MachineConfig::default()
        }
    }
}

/// Bad check settings; each message names the value and what is accepted.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ConfigError {
    #[error("unknown variant {0:?}; expected one of: reference, atomic, fenced, redlock")]
    Variant(String),
    #[error("unknown fault {0:?}; expected a comma-separated list of: pause, crash, delay, drop, restart (a Redis restart without persistence; also redis-restart), drift, stop (or none)")]
    Fault(String),
    #[error("unknown property {0:?}; expected one of: mutual-exclusion, stale-write, double-job, foreign-extend, foreign-delete")]
    Property(String),
    #[error("workers = {0}; expected 2 or 3")]
    Workers(usize),
    #[error("redis = {redis} with variant {variant}; expected 1 for reference, atomic and fenced, 3 or 5 for redlock")]
    Redis { variant: &'static str, redis: usize },
    #[error("fault budget = {0}; expected 0 to {MAX_BUDGET}")]
    Budget(u8),
    #[error("depth = {0}; expected 1 to {MAX_DEPTH}")]
    Depth(u32),
    #[error("max states = {0}; expected 1 to {MAX_STATES}")]
    MaxStates(u64),
    #[error("{name} = {value} ms; expected {min} to {MAX_DURATION_MS} ms")]
    Duration { name: &'static str, value: u64, min: u64 },
    #[error("check request is not understood: {0}; expected a JSON object like {{\"variant\": \"reference\", \"depth\": 30}}")]
    Json(String),
}
