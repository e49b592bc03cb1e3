//! A lock scenario as plain data (what the page keeps in its URL and `sim lock` builds from flags):
//! the fleet, the timings, the variants, the network, and fault steps at virtual times. Also the
//! presets, the TTL warning and the duration parser. Never reads a wall clock.

use super::machine::{MachineConfig, ReleaseVariant, RenewVariant, REFERENCE_LOCK_KEY};
use crate::sim::{Distribution, SimDuration};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Which worker a fault step targets; `Holder`/`NonHolder` are resolved when the step fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Worker(usize),
    /// The worker that believes it holds the lock (the lowest index if several do; the worker
    /// Redis names, or worker 0, if none does).
    Holder,
    /// The first running worker that is not the holder.
    NonHolder,
}

/// A fault or action, as a button on the page or a scheduled scenario step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// Kill the process: no release, timers and work vanish.
    Crash {
        target: Target,
    },
    /// Graceful shutdown: `STOP`.
    Stop {
        target: Target,
    },
    /// Start again (a crashed worker comes back as a new process with a new id; a stopped one is
    /// sent `TRY_ACQUIRE_LOCK`).
    Restart {
        target: Target,
    },
    /// A stop-the-world pause (GC): timers, replies and work are held, then resume.
    Pause {
        target: Target,
        ms: u64,
    },
    /// Cut the worker off from every Redis instance.
    Partition {
        target: Target,
    },
    Heal {
        target: Target,
    },
    /// The worker's clock runs at `rate` local ms per true ms (1 = exact).
    ClockRate {
        target: Target,
        rate: f64,
    },
    /// Extra latency on the worker's links to Redis (both directions).
    SlowLink {
        target: Target,
        extra_ms: u64,
    },
    /// The instance dies; it loses everything (no persistence) and drops requests until restarted.
    RedisCrash {
        instance: usize,
    },
    RedisRestart {
        instance: usize,
    },
    /// The instance takes `extra_ms` longer to execute each command.
    RedisSlow {
        instance: usize,
        extra_ms: u64,
    },
}

impl Target {
    /// `worker-2`, `the holder`, `a non-holder`.
    pub fn describe(&self) -> String {
        match self {
            Target::Worker(w) => format!("worker-{w}"),
            Target::Holder => "the holder".into(),
            Target::NonHolder => "a non-holder".into(),
        }
    }
}

impl Action {
    /// A short sentence for the page's chips, marks and the log: `pause worker-0 for 25s`.
    pub fn describe(&self) -> String {
        let ms = |ms: u64| super::url::Dur(ms).to_string();
        match self {
            Action::Crash { target: t } => format!("crash {}", t.describe()),
            Action::Stop { target: t } => format!("STOP {}", t.describe()),
            Action::Restart { target: t } => format!("restart {}", t.describe()),
            Action::Pause { target: t, ms: p } => format!("pause {} for {}", t.describe(), ms(*p)),
            Action::Partition { target: t } => format!("partition {}", t.describe()),
            Action::Heal { target: t } => format!("heal {}", t.describe()),
            Action::ClockRate { target: t, rate } => format!("{}'s clock at {rate}×", t.describe()),
            Action::SlowLink { target: t, extra_ms } => format!("{}'s link +{extra_ms} ms", t.describe()),
            Action::RedisCrash { instance } => format!("redis-{instance} crashes"),
            Action::RedisRestart { instance } => format!("redis-{instance} restarts"),
            Action::RedisSlow { instance, extra_ms } => format!("redis-{instance} +{extra_ms} ms"),
        }
    }
}

/// An action at a virtual time (ms since the run started).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub at_ms: u64,
    pub action: Action,
}

/// The variants a user can switch.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variants {
    pub renew: RenewVariant,
    pub release: ReleaseVariant,
    pub fencing: bool,
}

/// Everything a run depends on besides the seed's randomness.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Scenario {
    /// The preset this scenario came from, if any (for the page's picker).
    pub preset: Option<String>,
    pub seed: u64,
    pub workers: usize,
    /// Redis instances: 1 is the reference design, more is Redlock.
    pub redis_instances: usize,
    pub duration_ms: u64,
    pub lock_key: String,
    pub ttl_ms: u64,
    pub renew_interval_ms: u64,
    pub retry_interval_ms: u64,
    /// The client's per-command timeout. `None` (the default) is ioredis's default: no timeout, a
    /// command waits for its reply as long as it takes.
    #[serde(alias = "client_timeout_ms")]
    pub command_timeout_ms: Option<u64>,
    /// Redlock's per-instance request timeout (small against the TTL: 5–50 ms for a 10 s TTL).
    pub redlock_timeout_ms: u64,
    /// How long the reference's `startWork` works (its consumer simulates 2 s of work), on the
    /// worker's own clock. One job per entry to `working`.
    pub job_ms: u64,
    /// How long the reference's `stopWork` takes to resolve (1 s).
    pub stop_work_ms: u64,
    /// Latency of each worker↔Redis link, one way.
    pub latency: Distribution,
    /// Workers start within this window (randomly), so they contend like real servers booting.
    pub start_jitter_ms: u64,
    pub variants: Variants,
    pub steps: Vec<Step>,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            preset: None,
            seed: 1,
            workers: 2,
            redis_instances: 1,
            duration_ms: 120_000,
            lock_key: REFERENCE_LOCK_KEY.into(),
            ttl_ms: 10_000,
            renew_interval_ms: 5_000,
            retry_interval_ms: 5_000,
            command_timeout_ms: None,
            redlock_timeout_ms: 50,
            job_ms: 2_000,
            stop_work_ms: 1_000,
            latency: Distribution::Uniform { min_ms: 1.0, max_ms: 5.0 },
            start_jitter_ms: 100,
            variants: Variants::default(),
            steps: Vec::new(),
        }
    }
}

pub const MAX_WORKERS: usize = 16;
pub const MAX_REDIS_INSTANCES: usize = 9;

/// Scenario mistakes a user can make; each names the bad value and what is accepted.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ScenarioError {
    #[error("workers = {0}; expected 1 to {MAX_WORKERS}")]
    Workers(usize),
    #[error("redis instances = {0}; expected 1 (single Redis) to {MAX_REDIS_INSTANCES} (Redlock)")]
    Instances(usize),
    #[error("{name} = {value} ms; expected at least {min} ms")]
    TooShort { name: &'static str, value: u64, min: u64 },
    #[error("lock key must not be empty; the reference uses \"lock.resource-worker\"")]
    EmptyKey,
    #[error("fencing needs one Redis: with Redlock on {0} instances there is no single counter to take a token from; use redis_instances = 1 or turn fencing off")]
    FencingWithRedlock(usize),
    #[error("Redlock request timeout = {value} ms; expected 1 ms to a tenth of the TTL ({max} ms), e.g. 5–50 ms for a 10 s TTL")]
    RedlockTimeout { value: u64, max: u64 },
    #[error("step {index} targets worker {worker}, but there are only {workers} workers (0 to {last})", last = workers.saturating_sub(1))]
    StepWorker { index: usize, worker: usize, workers: usize },
    #[error("step {index} targets Redis instance {instance}, but there are only {instances} (0 to {last})", last = instances.saturating_sub(1))]
    StepInstance { index: usize, instance: usize, instances: usize },
    #[error("step {index}: clock rate {rate} is out of range; expected 0.01 to 100 (1 = exact)")]
    StepRate { index: usize, rate: f64 },
    #[error("latency {0} has a negative, NaN or infinite parameter; expected finite numbers >= 0")]
    Latency(String),
    #[error("unknown preset {0:?}; expected one of: {list}", list = PRESET_IDS.join(", "))]
    UnknownPreset(String),
    #[error("scenario JSON is not understood: {0}; expected an object like {{\"workers\": 2, \"ttl_ms\": 10000}} (missing fields take their defaults)")]
    Json(String),
}

impl Scenario {
    /// Checks every field a user can set.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        if !(1..=MAX_WORKERS).contains(&self.workers) {
            return Err(ScenarioError::Workers(self.workers));
        }
        if !(1..=MAX_REDIS_INSTANCES).contains(&self.redis_instances) {
            return Err(ScenarioError::Instances(self.redis_instances));
        }
        if self.lock_key.is_empty() {
            return Err(ScenarioError::EmptyKey);
        }
        for (name, value, min) in [
            ("ttl", self.ttl_ms, 1),
            ("renew interval", self.renew_interval_ms, 1),
            ("retry interval", self.retry_interval_ms, 1),
            ("command timeout", self.command_timeout_ms.unwrap_or(1), 1),
            ("job time", self.job_ms, 1),
            ("stopWork time", self.stop_work_ms, 1),
        ] {
            if value < min {
                return Err(ScenarioError::TooShort { name, value, min });
            }
        }
        if self.variants.fencing && self.redis_instances > 1 {
            return Err(ScenarioError::FencingWithRedlock(self.redis_instances));
        }
        if self.redis_instances > 1 && !(1..=(self.ttl_ms / 10).max(1)).contains(&self.redlock_timeout_ms) {
            return Err(ScenarioError::RedlockTimeout {
                value: self.redlock_timeout_ms,
                max: (self.ttl_ms / 10).max(1),
            });
        }
        let params: Vec<f64> = match &self.latency {
            Distribution::Constant { ms } => vec![*ms],
            Distribution::Uniform { min_ms, max_ms } => vec![*min_ms, *max_ms],
            Distribution::AbsNormal { mean_ms, std_dev_ms } => vec![*mean_ms, *std_dev_ms],
            Distribution::LogNormal { median_ms, sigma } => vec![*median_ms, *sigma],
            Distribution::Exponential { mean_ms } => vec![*mean_ms],
            Distribution::Pareto { min_ms, alpha } => vec![*min_ms, *alpha],
        };
        if params.iter().any(|p| !p.is_finite() || *p < 0.0) {
            return Err(ScenarioError::Latency(format!("{:?}", self.latency)));
        }
        for (index, step) in self.steps.iter().enumerate() {
            let target = match &step.action {
                Action::Crash { target }
                | Action::Stop { target }
                | Action::Restart { target }
                | Action::Pause { target, .. }
                | Action::Partition { target }
                | Action::Heal { target }
                | Action::SlowLink { target, .. } => Some(*target),
                Action::ClockRate { target, rate } => {
                    if !rate.is_finite() || !(0.01..=100.0).contains(rate) {
                        return Err(ScenarioError::StepRate { index, rate: *rate });
                    }
                    Some(*target)
                }
                Action::RedisCrash { instance }
                | Action::RedisRestart { instance }
                | Action::RedisSlow { instance, .. } => {
                    if *instance >= self.redis_instances {
                        return Err(ScenarioError::StepInstance {
                            index,
                            instance: *instance,
                            instances: self.redis_instances,
                        });
                    }
                    None
                }
            };
            if let Some(Target::Worker(worker)) = target {
                if worker >= self.workers {
                    return Err(ScenarioError::StepWorker { index, worker, workers: self.workers });
                }
            }
        }
        Ok(())
    }

    /// Parses a scenario from JSON (the page's URL parameter, `sim lock --scenario`) and validates it.
    pub fn from_json(text: &str) -> Result<Scenario, ScenarioError> {
        let s: Scenario = serde_json::from_str(text).map_err(|e| ScenarioError::Json(e.to_string()))?;
        s.validate()?;
        Ok(s)
    }

    /// The JSON the page puts in its URL.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a scenario is plain data")
    }

    /// The machine configuration every worker of this scenario runs.
    pub fn machine_config(&self) -> MachineConfig {
        MachineConfig {
            lock_key: self.lock_key.clone(),
            ttl: SimDuration(self.ttl_ms),
            renew_interval: SimDuration(self.renew_interval_ms),
            retry_interval: SimDuration(self.retry_interval_ms),
            renew: self.variants.renew,
            release: self.variants.release,
            fencing: self.variants.fencing,
            instances: self.redis_instances,
            command_timeout: self.command_timeout_ms.map(SimDuration),
            redlock_request_timeout: SimDuration(self.redlock_timeout_ms),
        }
    }

    /// The page's warning when the TTL leaves no margin (see [`ttl_warning`]).
    pub fn ttl_warning(&self) -> Option<String> {
        ttl_warning(
            SimDuration(self.ttl_ms),
            SimDuration(self.renew_interval_ms),
            SimDuration::from_millis_f64(self.latency.mean_ms()),
        )
    }
}

/// The TTL must exceed the renew interval plus the renew's round trips (GET and EXPIRE: two round
/// trips, four one-way latencies), or the lock can expire under a healthy holder.
pub fn ttl_warning(ttl: SimDuration, renew_interval: SimDuration, one_way_latency: SimDuration) -> Option<String> {
    let needed = renew_interval.saturating_add(one_way_latency.saturating_mul(4));
    if ttl > needed {
        None
    } else {
        Some(format!(
            "TTL {ttl} does not exceed the renew interval {renew_interval} plus the renew's round trips \
             ({} at {one_way_latency} one way): the lock can expire under a healthy holder",
            one_way_latency.saturating_mul(4)
        ))
    }
}

/// One short paragraph per variant, for the page.
pub const EXPLAIN_RENEW_GET_THEN_EXPIRE: &str = "The reference renew: GET the key; if it still holds this \
worker's id, EXPIRE it; if it is gone, SET NX it again. Two round trips, not atomic: if the key expires and another \
worker takes it between the GET and the EXPIRE, the EXPIRE extends the other worker's lock and this one carries on \
believing it holds it.";
pub const EXPLAIN_RENEW_ATOMIC: &str = "Compare-and-extend in one step: a Lua script that extends the TTL only if \
the key still holds this worker's id. Redis runs a script atomically, so nothing can slip in between the check \
and the extension.";
pub const EXPLAIN_RELEASE_REFERENCE: &str = "The reference release (maybeReleaseLock): GET the key, and DEL it only \
if it holds this worker's id; otherwise do nothing. A worker that does not hold the lock leaves it alone. Not \
atomic: if the key expires and another worker takes it between the GET and the DEL, the DEL deletes the new \
holder's lock (a narrow race).";
pub const EXPLAIN_RELEASE_NAIVE_DEL: &str = "naive-del: a plain DEL, whoever holds the key. A worker that lost the \
lock, or never had it, deletes the current holder's lock on its way out, and a third worker can take it while \
the holder still believes it holds it.";
pub const EXPLAIN_RELEASE_ATOMIC: &str = "Compare-and-delete, the script from the Redis distributed-locks docs: \
delete the key only if it still holds this worker's id, in one atomic step (no race).";
pub const EXPLAIN_FENCING: &str = "Fencing tokens: the lock is taken with one script that does SET NX and, only if \
that succeeded, INCR lock.resource-worker:token, on the same instance, so the token comes with the grant. The \
worker sends it with every write; the storage remembers the highest token it has seen and rejects lower ones, so \
a holder that woke up from a pause cannot overwrite the new holder's work. Two holders can still overlap; the \
harm is what fencing prevents.";
pub const EXPLAIN_FENCING_REDLOCK: &str = "No safe fencing token with Redlock: each instance would count on its own, \
and a majority of independent counters is not one counter, so two holders can get tokens in the wrong order. \
Fencing needs a single linearizable counter (one Redis here, or a consensus system).";
pub const EXPLAIN_REDLOCK: &str = "Redlock: the lock lives on N independent Redis instances. A worker asks each one \
with a short request timeout (50 ms here, small against the TTL, so a dead instance cannot eat the lease) and a \
fresh random value per acquisition. It holds the lock only if a majority said OK within the validity time \
(TTL − time spent acquiring − clock drift, drift = TTL × 1% + 2 ms), works only until that validity is over \
unless a renewal extends it, and otherwise releases everywhere and retries after a random delay.";
pub const EXPLAIN_CLIENT: &str = "The client is ioredis with its defaults: no per-command timeout (a command waits \
for its reply as long as it takes), commands queue while disconnected and are sent on reconnect, reconnection \
waits min(attempt × 50, 2000) ms, and after 20 failed attempts the queued commands fail. A partition does not \
close the connection (TCP keeps retrying), so a partitioned holder waits in renew_lock, still believing.";

/// The presets' ids, in the page's order.
pub const PRESET_IDS: [&str; 8] = [
    "handover",
    "crash",
    "gc-pause",
    "renew-race",
    "stop-while-waiting",
    "redis-restart",
    "redlock-master-down",
    "clock-drift",
];

/// One line per preset for the page's picker.
pub fn preset_description(id: &str) -> Option<&'static str> {
    Some(match id {
        "handover" => {
            "The holder shuts down gracefully at 20 s: stopWork takes 1 s, it releases, the other worker takes over."
        }
        "crash" => "The holder crashes at 20 s without releasing: the lock expires, another worker takes it.",
        "gc-pause" => {
            "The holder freezes for 25 s (longer than the TTL) mid-job: another worker takes the lock, then the \
             paused one wakes up still believing it holds it and writes. Fencing rejects that write."
        }
        "renew-race" => {
            "The holder's link to Redis gets slow: its GET says 'mine', the key expires, another worker takes it, \
             and the late EXPIRE extends the other worker's lock. Atomic renew does not."
        }
        "stop-while-waiting" => {
            "Three workers; at 12 s one that does not hold the lock stops gracefully and releases. The reference \
             release (GET, then DEL only if mine) leaves the holder's lock alone. With naive-del its DEL removes the \
             holder's key and the third worker takes it while the holder still believes it holds it."
        }
        "redis-restart" => {
            "Redis restarts without persistence at 21 s: the lock is lost, another worker acquires while the holder \
             still believes it holds it."
        }
        "redlock-master-down" => "Redlock on 5 instances; one goes down at 5 s: 4 of 5 is still a majority.",
        "clock-drift" => {
            "At 10 s the holder's clock starts running at 0.1×: its 2 s job takes 20 s and its 5 s renew timer 50 s, \
             both longer than the 10 s TTL. The lock expires under it, another worker takes it, and the drifting \
             holder still writes its job. Fencing rejects that write."
        }
        _ => return None,
    })
}

/// A preset scenario by id.
pub fn preset(id: &str) -> Result<Scenario, ScenarioError> {
    let base = Scenario { preset: Some(id.to_string()), ..Scenario::default() };
    let at = |s: u64, action: Action| Step { at_ms: s * 1000, action };
    let holder = Target::Holder;
    Ok(match id {
        "handover" => Scenario { duration_ms: 60_000, steps: vec![at(20, Action::Stop { target: holder })], ..base },
        "crash" => Scenario { duration_ms: 60_000, steps: vec![at(20, Action::Crash { target: holder })], ..base },
        "gc-pause" => Scenario {
            duration_ms: 60_000,
            steps: vec![Step { at_ms: 20_500, action: Action::Pause { target: holder, ms: 25_000 } }],
            ..base
        },
        "renew-race" => Scenario {
            duration_ms: 60_000,
            retry_interval_ms: 500,
            latency: Distribution::Constant { ms: 2.0 },
            steps: vec![at(10, Action::SlowLink { target: holder, extra_ms: 2_000 })],
            ..base
        },
        "stop-while-waiting" => Scenario {
            duration_ms: 40_000,
            workers: 3,
            // The waiters retry every second, so after the holder's key vanishes one of them asks
            // before the holder's next renewal (every 5 s) would take it back.
            retry_interval_ms: 1_000,
            steps: vec![at(12, Action::Stop { target: Target::NonHolder })],
            ..base
        },
        "redis-restart" => Scenario {
            duration_ms: 60_000,
            retry_interval_ms: 1_000,
            steps: vec![
                Step { at_ms: 21_000, action: Action::RedisCrash { instance: 0 } },
                Step { at_ms: 21_100, action: Action::RedisRestart { instance: 0 } },
            ],
            ..base
        },
        "redlock-master-down" => Scenario {
            duration_ms: 60_000,
            workers: 3,
            redis_instances: 5,
            // Servers booting seconds apart: the first takes all five instances uncontested (three
            // workers asking at the same millisecond split the votes, and Redlock then releases and
            // retries after a random delay).
            start_jitter_ms: 3_000,
            // Redlock as specified: both scripts.
            variants: Variants {
                renew: RenewVariant::CompareAndExtend,
                release: ReleaseVariant::CompareAndDelete,
                fencing: false,
            },
            steps: vec![at(5, Action::RedisCrash { instance: 2 }), at(30, Action::Stop { target: holder })],
            ..base
        },
        "clock-drift" => Scenario {
            duration_ms: 60_000,
            steps: vec![at(10, Action::ClockRate { target: holder, rate: 0.1 })],
            ..base
        },
        other => return Err(ScenarioError::UnknownPreset(other.to_string())),
    })
}

/// A duration a user typed: `120s`, `500ms`, `2m`, `1.5s`, `1h` (a bare number is seconds).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DurationError {
    #[error("duration is empty; expected a number with a unit, like 120s, 500ms or 2m")]
    Empty,
    #[error("duration {0:?} is not understood; expected a number with a unit ms, s, m or h, like 120s, 500ms or 2m")]
    Malformed(String),
    #[error("duration {0:?} is too large; expected at most about 584 million years")]
    TooLarge(String),
}

pub fn parse_duration(text: &str) -> Result<SimDuration, DurationError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(DurationError::Empty);
    }
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let scale: f64 = match unit.trim() {
        "ms" => 1.0,
        "" | "s" => 1000.0,
        "m" | "min" => 60_000.0,
        "h" => 3_600_000.0,
        _ => return Err(DurationError::Malformed(text.to_string())),
    };
    if number.is_empty() || number.matches('.').count() > 1 {
        return Err(DurationError::Malformed(text.to_string()));
    }
    let value: f64 = number.parse().map_err(|_| DurationError::Malformed(text.to_string()))?;
    let ms = value * scale;
    if !ms.is_finite() || ms >= u64::MAX as f64 {
        return Err(DurationError::TooLarge(text.to_string()));
    }
    Ok(SimDuration::from_millis_f64(ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units_and_reject_nonsense() {
        let ok = |s: &str| parse_duration(s).map(|d| d.0);
        assert_eq!(ok("120s"), Ok(120_000));
        assert_eq!(ok("500ms"), Ok(500));
        assert_eq!(ok("2m"), Ok(120_000));
        assert_eq!(ok("1.5s"), Ok(1_500));
        assert_eq!(ok("1h"), Ok(3_600_000));
        assert_eq!(ok("7"), Ok(7_000));
        assert_eq!(parse_duration(""), Err(DurationError::Empty));
        for bad in ["s", "12x", "1.2.3s", "-5s", "ten seconds"] {
            assert_eq!(parse_duration(bad), Err(DurationError::Malformed(bad.to_string())), "{bad}");
        }
        assert!(matches!(parse_duration("999999999999999999999h"), Err(DurationError::TooLarge(_))));
        expect_test::expect![[
            r#"duration "12x" is not understood; expected a number with a unit ms, s, m or h, like 120s, 500ms or 2m"#
        ]]
        .assert_eq(&parse_duration("12x").unwrap_err().to_string());
    }

    #[test]
    fn every_preset_is_valid_and_unknown_ones_are_named() {
        for id in PRESET_IDS {
            let s = preset(id).unwrap();
            s.validate().unwrap();
            assert!(preset_description(id).is_some());
            assert_eq!(s.preset.as_deref(), Some(id));
        }
        expect_test::expect![[r#"unknown preset "nope"; expected one of: handover, crash, gc-pause, renew-race, stop-while-waiting, redis-restart, redlock-master-down, clock-drift"#]]
            .assert_eq(&preset("nope").unwrap_err().to_string());
    }

    #[test]
    fn validation_names_the_bad_value() {
        let bad = Scenario { workers: 17, ..Scenario::default() };
        assert_eq!(bad.validate().unwrap_err().to_string(), "workers = 17; expected 1 to 16");
        let bad = Scenario {
            steps: vec![Step { at_ms: 0, action: Action::Crash { target: Target::Worker(2) } }],
            ..Scenario::default()
        };
        assert_eq!(
            bad.validate().unwrap_err().to_string(),
            "step 0 targets worker 2, but there are only 2 workers (0 to 1)"
        );
        let bad = Scenario {
            steps: vec![Step { at_ms: 0, action: Action::ClockRate { target: Target::Holder, rate: 0.0 } }],
            ..Scenario::default()
        };
        assert!(matches!(bad.validate(), Err(ScenarioError::StepRate { .. })));
        let bad = Scenario { latency: Distribution::Constant { ms: f64::NAN }, ..Scenario::default() };
        assert!(matches!(bad.validate(), Err(ScenarioError::Latency(_))));
        let bad = Scenario { ttl_ms: 0, ..Scenario::default() };
        assert_eq!(bad.validate().unwrap_err().to_string(), "ttl = 0 ms; expected at least 1 ms");
    }

    /// The Redlock algorithm's per-instance timeout is small against the TTL (the Redis docs: 5–50
    /// ms for a 10 s TTL): 50 ms by default, refused above a tenth of the TTL, and named.
    #[test]
    fn redlock_request_timeout_is_small_against_the_ttl() {
        let redlock = Scenario { redis_instances: 5, ..Scenario::default() };
        assert_eq!(redlock.redlock_timeout_ms, 50);
        assert_eq!(redlock.validate(), Ok(()));
        let slow = Scenario { redlock_timeout_ms: 1_001, ..redlock.clone() };
        assert_eq!(
            slow.validate().unwrap_err().to_string(),
            "Redlock request timeout = 1001 ms; expected 1 ms to a tenth of the TTL (1000 ms), e.g. 5–50 ms for a 10 s TTL"
        );
        assert!(matches!(
            Scenario { redlock_timeout_ms: 0, ..redlock }.validate(),
            Err(ScenarioError::RedlockTimeout { value: 0, max: 1000 })
        ));
        // A single Redis has no Redlock round: the field is not checked there.
        assert_eq!(Scenario { redlock_timeout_ms: 0, ..Scenario::default() }.validate(), Ok(()));
    }

    #[test]
    fn ttl_warning_fires_without_margin() {
        assert_eq!(Scenario::default().ttl_warning(), None);
        let tight = Scenario { ttl_ms: 5_000, ..Scenario::default() };
        expect_test::expect!["TTL 5.000s does not exceed the renew interval 5.000s plus the renew's round trips (0.012s at 0.003s one way): the lock can expire under a healthy holder"]
            .assert_eq(&tight.ttl_warning().unwrap());
    }

    #[test]
    fn scenario_round_trips_through_json_and_fills_defaults() {
        let s = preset("gc-pause").unwrap();
        let json = serde_json::to_string(&s).unwrap();
        let back: Scenario = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
        let partial: Scenario = serde_json::from_str(r#"{"workers": 4}"#).unwrap();
        assert_eq!(partial, Scenario { workers: 4, ..Scenario::default() });
        assert_eq!(Scenario::from_json(&s.to_json()), Ok(s));
        assert_eq!(Scenario::from_json(r#"{"workers": 0}"#), Err(ScenarioError::Workers(0)));
        let err = Scenario::from_json(r#"{"workers": "many"}"#).unwrap_err().to_string();
        assert!(err.starts_with("scenario JSON is not understood: invalid type: string \"many\""), "{err}");
        let step = r#"{"steps": [{"at_ms": 1000, "action": {"kind": "pause", "target": {"worker": 1}, "ms": 500}}]}"#;
        assert_eq!(
            Scenario::from_json(step).unwrap().steps[0].action,
            Action::Pause { target: Target::Worker(1), ms: 500 }
        );
    }
}

#[cfg(test)]
mod url_tests {
    use super::*;

    #[test]
    fn scenario_survives_a_query_string_as_json() {
        // The page keeps the scenario in its URL as one JSON-valued parameter.
        #[derive(Serialize, Deserialize)]
        struct Query {
            scenario: String,
        }
        let s = preset("redlock-master-down").unwrap();
        let qs = serde_qs::to_string(&Query { scenario: serde_json::to_string(&s).unwrap() }).unwrap();
        let back: Query = serde_qs::from_str(&qs).unwrap();
        let parsed: Scenario = serde_json::from_str(&back.scenario).unwrap();
        assert_eq!(parsed, s);
    }
}
