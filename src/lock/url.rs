//! The /locks page's scenario in the query string: `preset=gc-pause&fencing=1&workers=3&seed=7`.
//! The release variant is `release=reference|naive-del|atomic` (`atomic_release=1` is still read as
//! `release=atomic`); `timeout=2s` sets a per-command client timeout (absent: ioredis's none).
//!
//! A preset (or `custom`) gives the base scenario; each other parameter overrides one field of it.
//! Only fields that differ from the preset are written back, so links stay short and a preset's own
//! values (e.g. renew-race's constant latency) survive a round trip. Durations read like `10s`,
//! `500ms` or `2m`. Bad values fall back with a notice naming the parameter.
//!
//! A rewindable run adds its replay: `a` the action log (see `crate::sim::replay::log_to_query`), `t` the cursor's
//! virtual time in ms and `ev` its event index, `epoch` the run's epoch (Unix ms, which worker ids
//! are made from), so a link opens the same run at the same moment.

use std::fmt;
use std::str::FromStr;

use super::machine::{ReleaseVariant, RenewVariant};
use super::scenario::Action;
use super::scenario::{parse_duration, preset, Scenario, PRESET_IDS};
use crate::sim::{Distribution, QueryParams, SimParams};

/// A duration parameter in ms, read with the core's duration parser.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dur(pub u64);

impl FromStr for Dur {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse_duration(s).map(|d| Dur(d.0)).map_err(|e| e.to_string())
    }
}

impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(1000) && self.0 > 0 {
            write!(f, "{}s", self.0 / 1000)
        } else {
            write!(f, "{}ms", self.0)
        }
    }
}

pub const CUSTOM: &str = "custom";
pub const MAX_DURATION_MS: u64 = 3_600_000;

/// The preset's scenario (or the default one for `custom`) with the given seed.
pub fn base_scenario(preset_id: &str, seed: u64) -> Scenario {
    let mut s = if preset_id == CUSTOM { Scenario::default() } else { preset(preset_id).unwrap_or_default() };
    s.seed = seed;
    s
}

/// Latency whose mean one-way delay is `mean_ms`: uniform from ⅓ to ⁵⁄₃ of it (the default 1–5 ms
/// is `3ms`).
pub fn latency_around(mean_ms: f64) -> Distribution {
    Distribution::Uniform { min_ms: mean_ms / 3.0, max_ms: mean_ms * 5.0 / 3.0 }
}

pub use crate::sim::replay::UrlCursor;
#[cfg(test)]
use crate::sim::rewind::{Cursor, LoggedAction};
/// A lock run's replay in the URL.
pub type RunUrl = crate::sim::replay::RunUrl<Action>;

/// What the URL asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct LocksUrl {
    pub scenario: Scenario,
    pub speed: f64,
    /// The run's action log, cursor and epoch, when the link carries them.
    pub run: RunUrl,
    /// A scenario whose fields are each fine but which is invalid as a whole (e.g. a preset's step
    /// names Redis instance 2 but `redlock=1`): why the preset was used as it is.
    pub invalid: Option<String>,
}

/// Reads the page's parameters, falling back per field with notices.
pub fn read(q: &mut QueryParams) -> LocksUrl {
    let sim = SimParams::read(q);
    let mut options: Vec<&str> = vec![CUSTOM];
    options.extend(PRESET_IDS);
    let id = q.choice("preset", CUSTOM, &options);
    let base = base_scenario(&id, sim.seed);
    let mut s = base.clone();
    let dur_accepted = "a duration from 1ms to 1h, like 10s, 500ms or 2m";
    let dur = |q: &mut QueryParams, name: &str, default: u64| {
        q.field(name, Dur(default), dur_accepted, |d: &Dur| (1..=MAX_DURATION_MS).contains(&d.0)).0
    };
    s.workers = q.u64_in("workers", base.workers as u64, 1, 16) as usize;
    s.ttl_ms = dur(q, "ttl", base.ttl_ms);
    s.renew_interval_ms = dur(q, "renew", base.renew_interval_ms);
    s.retry_interval_ms = dur(q, "retry", base.retry_interval_ms);
    s.job_ms = dur(q, "job", base.job_ms);
    if q.raw("latency").is_some() {
        let mean = base.latency.mean_ms().round() as u64;
        let l = q
            .field("latency", Dur(mean), "a one-way latency from 0ms to 10s, like 3ms or 1s", |d: &Dur| d.0 <= 10_000)
            .0;
        if l != mean || base.latency != latency_around(l as f64) {
            s.latency = latency_around(l as f64);
        }
    }
    let atomic_renew = q.flag("atomic_renew", base.variants.renew == RenewVariant::CompareAndExtend);
    s.variants.renew = if atomic_renew { RenewVariant::CompareAndExtend } else { RenewVariant::GetThenExpire };
    let ids: Vec<&str> = ReleaseVariant::ALL.iter().map(|v| v.id()).collect();
    s.variants.release = if q.raw("release").is_some() {
        let id = q.choice("release", base.variants.release.id(), &ids);
        ReleaseVariant::from_id(&id).unwrap_or(base.variants.release)
    } else if q.raw("atomic_release").is_some() {
        // The older flag: on means the atomic script, off the reference release.
        if q.flag("atomic_release", false) {
            ReleaseVariant::CompareAndDelete
        } else {
            ReleaseVariant::Reference
        }
    } else {
        base.variants.release
    };
    if q.raw("timeout").is_some() {
        let t = q.field(
            "timeout",
            Dur(base.command_timeout_ms.unwrap_or(0)),
            "a command timeout from 1ms to 1h, like 2s (leave it out for none, as ioredis)",
            |d: &Dur| (1..=MAX_DURATION_MS).contains(&d.0),
        );
        s.command_timeout_ms = (t.0 > 0).then_some(t.0);
    }
    s.variants.fencing = q.flag("fencing", base.variants.fencing);
    s.redis_instances = q.u64_in("redlock", base.redis_instances as u64, 1, 9) as usize;
    let run = RunUrl::read(q);
    match s.validate() {
        Ok(()) => LocksUrl { scenario: s, speed: sim.speed, run, invalid: None },
        Err(e) => LocksUrl {
            invalid: Some(format!("The URL's scenario is not valid as a whole: {e}. Using the {id} preset as it is.")),
            scenario: base,
            speed: sim.speed,
            run: RunUrl::default(),
        },
    }
}

/// The query pairs for `s` at `speed`: the preset, seed, speed, then only what differs from the preset.
pub fn pairs(s: &Scenario, speed: f64) -> Vec<(String, String)> {
    let id = s.preset.clone().unwrap_or_else(|| CUSTOM.to_string());
    let base = base_scenario(&id, s.seed);
    let mut out = vec![("preset".to_string(), id)];
    for (k, v) in (SimParams { seed: s.seed, speed }).pairs() {
        out.push((k.to_string(), v));
    }
    let mut push = |k: &str, v: String| out.push((k.to_string(), v));
    if s.workers != base.workers {
        push("workers", s.workers.to_string());
    }
    for (name, value, b) in [
        ("ttl", s.ttl_ms, base.ttl_ms),
        ("renew", s.renew_interval_ms, base.renew_interval_ms),
        ("retry", s.retry_interval_ms, base.retry_interval_ms),
        ("job", s.job_ms, base.job_ms),
    ] {
        if value != b {
            push(name, Dur(value).to_string());
        }
    }
    if s.latency != base.latency {
        push("latency", Dur(s.latency.mean_ms().round() as u64).to_string());
    }
    let flag = |b: bool| if b { "1".to_string() } else { "0".to_string() };
    if s.variants.renew != base.variants.renew {
        push("atomic_renew", flag(s.variants.renew == RenewVariant::CompareAndExtend));
    }
    if s.variants.release != base.variants.release {
        push("release", s.variants.release.id().to_string());
    }
    if s.command_timeout_ms != base.command_timeout_ms {
        if let Some(t) = s.command_timeout_ms {
            push("timeout", Dur(t).to_string());
        }
    }
    if s.variants.fencing != base.variants.fencing {
        push("fencing", flag(s.variants.fencing));
    }
    if s.redis_instances != base.redis_instances {
        push("redlock", s.redis_instances.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &str) -> (LocksUrl, Vec<String>) {
        let mut p = QueryParams::parse(q);
        let u = read(&mut p);
        (u, p.into_notices().iter().map(|n| n.to_string()).collect())
    }

    fn query(pairs: &[(String, String)]) -> String {
        pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
    }

    #[test]
    fn the_issue_example_reads_and_round_trips() {
        let (u, notices) = parse("preset=gc-pause&fencing=1&workers=3&seed=7");
        assert!(notices.is_empty(), "{notices:?}");
        assert_eq!(u.scenario.preset.as_deref(), Some("gc-pause"));
        assert!(u.scenario.variants.fencing);
        assert_eq!((u.scenario.workers, u.scenario.seed), (3, 7));
        assert_eq!(u.scenario.steps, preset("gc-pause").unwrap().steps);
        let q = query(&pairs(&u.scenario, u.speed));
        assert_eq!(q, "preset=gc-pause&seed=7&speed=1&workers=3&fencing=1");
        assert_eq!(parse(&q).0, u);
    }

    #[test]
    fn every_field_round_trips_and_presets_keep_their_latency() {
        let (u, n) = parse("preset=custom&ttl=12s&renew=4s&retry=700ms&job=3s&latency=30ms&atomic_renew=1&atomic_release=yes&redlock=5&workers=16&speed=100&timeout=2s");
        assert!(n.is_empty(), "{n:?}");
        let s = &u.scenario;
        assert_eq!((s.ttl_ms, s.renew_interval_ms, s.retry_interval_ms, s.job_ms), (12_000, 4_000, 700, 3_000));
        assert_eq!(s.variants.release, ReleaseVariant::CompareAndDelete, "atomic_release=yes is release=atomic");
        assert_eq!(s.command_timeout_ms, Some(2_000));
        assert_eq!(s.latency, latency_around(30.0));
        assert_eq!(s.redis_instances, 5);
        assert_eq!(parse(&query(&pairs(s, u.speed))).0, u);
        let (u, _) = parse("preset=renew-race");
        assert_eq!(query(&pairs(&u.scenario, 1.0)), "preset=renew-race&seed=1&speed=1");
    }

    #[test]
    fn bad_values_name_the_parameter_and_fall_back() {
        let (u, n) = parse("preset=nope&workers=99&ttl=ten&fencing=maybe");
        assert_eq!(u.scenario, base_scenario(CUSTOM, 1));
        assert_eq!(n.len(), 4, "{n:?}");
        assert!(n[0].contains("`preset`") && n[0].contains("gc-pause"), "{}", n[0]);
        assert!(n.iter().any(|t| t.contains("`workers`: \"99\"") && t.contains("1 to 16")), "{n:?}");
        assert!(n.iter().any(|t| t.contains("`ttl`: \"ten\"") && t.contains("like 10s")), "{n:?}");
        let (u, n) = parse("preset=redlock-master-down&redlock=1");
        assert!(n.is_empty());
        assert_eq!(u.scenario, base_scenario("redlock-master-down", 1));
        assert!(u.invalid.unwrap().contains("Redis instance 2"));
    }

    #[test]
    fn a_run_with_actions_and_a_cursor_round_trips_in_under_2_kb() {
        use crate::lock::Target;
        let (u, _) = parse("preset=gc-pause&seed=7");
        // A typical session: a dozen fault clicks over ten minutes, then a cursor somewhere.
        let actions: Vec<LoggedAction<Action>> = (0..12u64)
            .map(|i| LoggedAction {
                at_ms: 12_345 + i * 47_000,
                events: 120 + i * 900,
                action: match i % 4 {
                    0 => Action::Pause { target: Target::Worker(1), ms: 15_000 },
                    1 => Action::Crash { target: Target::Holder },
                    2 => Action::Restart { target: Target::Worker(0) },
                    _ => Action::ClockRate { target: Target::Worker(2), rate: 0.4 },
                },
            })
            .collect();
        let cursor = Cursor { events: 9_876, at_ms: 543_210 };
        let mut all = pairs(&u.scenario, 1.0);
        all.extend(RunUrl::pairs(&actions, cursor, 1_767_225_600_000));
        let q = query(&all);
        println!("typical locks URL query with 12 actions and a cursor: {} bytes", q.len());
        assert!(q.len() <= 2048, "{} bytes: {q}", q.len());
        let (back, notices) = parse(&q);
        assert!(notices.is_empty(), "{notices:?}");
        assert_eq!(back.run.actions, actions);
        assert_eq!(back.run.cursor, Some(UrlCursor { at_ms: 543_210, events: Some(9_876) }));
        assert_eq!(back.run.epoch_ms, Some(1_767_225_600_000));
        // The longest log the page keeps (1,000 actions) still reads back.
        let many: Vec<_> =
            (0..1000).map(|i| LoggedAction { at_ms: i * 1000, events: i * 50, ..actions[1].clone() }).collect();
        let q = query(&RunUrl::pairs(&many, cursor, 1));
        println!("locks URL query with the log's cap of 1,000 actions: {} bytes", q.len());
        assert_eq!(parse(&q).0.run.actions.len(), 1000);
        // A fresh run writes nothing; a bad log gets a notice and is dropped.
        assert!(RunUrl::pairs(&[], Cursor::default(), 5).is_empty());
        let (u, n) = parse("preset=gc-pause&a=zz~1~q9&t=soon");
        assert_eq!(u.run, RunUrl::default());
        assert_eq!(n.len(), 2, "{n:?}");
        assert!(n[0].contains("`a`") && n[0].contains("not understood"), "{n:?}");
    }

    #[test]
    fn release_variants_read_by_name_and_write_back_by_name() {
        for v in ReleaseVariant::ALL {
            let (u, n) = parse(&format!("preset=stop-while-waiting&release={}", v.id()));
            assert!(n.is_empty(), "{n:?}");
            assert_eq!(u.scenario.variants.release, v);
            let q = query(&pairs(&u.scenario, 1.0));
            assert_eq!(parse(&q).0.scenario, u.scenario, "{q}");
        }
        let (u, _) = parse("preset=custom&release=naive-del");
        assert_eq!(query(&pairs(&u.scenario, 1.0)), "preset=custom&seed=1&speed=1&release=naive-del");
        let (_, n) = parse("release=plain");
        assert!(n[0].contains("`release`") && n[0].contains("reference, naive-del, atomic"), "{n:?}");
    }
}
