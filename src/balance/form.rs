//! The scenario as flat text fields: what the page's editor shows and what its URL carries
//! (`?preset=sticky-nat&alg=ip-hash-full&weights=1,1,2&rate=400…`).
//!
//! A [`ScenarioForm`] is a list of `key = text` pairs over a *base* scenario (a preset or the
//! default) that supplies what has no field (paths, ports, L7 rules, scripted events). Parsing
//! checks each field on its own, so a bad value names its field, the text given and what is
//! accepted; the URL reader then falls back field by field to the base's value. Pure: no web types.

use super::replay::MAX_WEIGHT;
use super::scenario::{ActiveCheck, ArrivalConfig, Burst, PassiveCheck, Scenario, ServerConfig};
use super::{preset, AlgorithmId};
use crate::sim::Distribution;
use serde::{Deserialize, Serialize};

/// The editable fields, in the order the editor and the URL list them.
pub const FIELDS: [&str; 21] = [
    "alg",
    "weights",
    "rate",
    "dur",
    "svc",
    "svc_a",
    "svc_b",
    "conc",
    "queue",
    "burst_every",
    "burst_len",
    "burst_x",
    "hc_every",
    "hc_fall",
    "hc_rise",
    "pf_max",
    "pf_timeout",
    "slow_start",
    "clients",
    "nat",
    "mg_track",
];

/// Most servers the `weights` field may list.
pub const MAX_SERVERS: usize = 50;

/// The longest text the `weights` field keeps: every server at the largest weight
/// ([`super::replay::MAX_WEIGHT`]), each followed by a comma and a space.
pub const WEIGHTS_MAX_CHARS: usize = MAX_SERVERS * (MAX_WEIGHT.ilog10() as usize + 1 + 2);

/// The longest text any other field keeps: every accepted number (at most `3600000`, or a decimal
/// like `0.001`) fits many times over.
pub const NUMBER_MAX_CHARS: usize = 32;

/// The longest text the editor's box for `field` keeps. Nothing legal comes near it; a 164 KB paste
/// into the weights box once made a 224 ms task.
pub fn max_chars(field: &str) -> usize {
    match field {
        "weights" => WEIGHTS_MAX_CHARS,
        _ => NUMBER_MAX_CHARS,
    }
}

/// The service-time shapes the editor offers, by their field value.
pub const SERVICE_KINDS: [&str; 6] = ["exponential", "lognormal", "pareto", "constant", "uniform", "absnormal"];

/// A field that did not parse: which one, the text given, and what would be accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{label} (`{field}`) = {value:?} is not accepted: expected {accepted}")]
pub struct FieldError {
    pub field: String,
    pub label: String,
    pub value: String,
    pub accepted: String,
}

/// Human label of a field.
pub fn label(field: &str) -> &'static str {
    match field {
        "alg" => "Algorithm",
        "weights" => "Server weights",
        "rate" => "Arrival rate (req/s)",
        "dur" => "Duration (ms)",
        "svc" => "Service time",
        "svc_a" => "Service parameter A",
        "svc_b" => "Service parameter B",
        "conc" => "Concurrency per server",
        "queue" => "Queue limit per server",
        "burst_every" => "Burst every (ms, 0 = off)",
        "burst_len" => "Burst length (ms)",
        "burst_x" => "Burst rate ×",
        "hc_every" => "Active check every (ms, 0 = off)",
        "hc_fall" => "Checks to mark down (fall)",
        "hc_rise" => "Checks to mark up (rise)",
        "pf_max" => "Passive max_fails (0 = off)",
        "pf_timeout" => "Passive fail_timeout (ms)",
        "slow_start" => "Slow start (ms, 0 = off)",
        "clients" => "Clients",
        "nat" => "Clients behind one NAT /24",
        "mg_track" => "Maglev connection tracking (flows, 0 = off)",
        "preset" => "Preset",
        _ => "Field",
    }
}

/// What the two service parameters mean for a service kind.
pub fn service_param_labels(kind: &str) -> (&'static str, Option<&'static str>) {
    match kind {
        "constant" => ("Service time (ms)", None),
        "lognormal" => ("Median (ms)", Some("Sigma")),
        "pareto" => ("Minimum (ms)", Some("Alpha (tail; ≤ 2 is heavy)")),
        "uniform" => ("Minimum (ms)", Some("Maximum (ms)")),
        "absnormal" => ("Mean (ms)", Some("Std deviation (ms)")),
        _ => ("Mean (ms)", None),
    }
}

fn fmt_f64(v: f64) -> String {
    let s = format!("{v}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// The scenario as text fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioForm {
    /// Preset id of the base scenario; "custom" is the default scenario.
    pub preset: String,
    pub values: Vec<(String, String)>,
}

impl ScenarioForm {
    /// The fields of `sc`, over the preset `preset_id`.
    pub fn from_scenario(preset_id: &str, sc: &Scenario) -> Self {
        let (kind, a, b) = match sc.service {
            Distribution::Constant { ms } => ("constant", ms, 0.0),
            Distribution::Exponential { mean_ms } => ("exponential", mean_ms, 0.0),
            Distribution::LogNormal { median_ms, sigma } => ("lognormal", median_ms, sigma),
            Distribution::Pareto { min_ms, alpha } => ("pareto", min_ms, alpha),
            Distribution::Uniform { min_ms, max_ms } => ("uniform", min_ms, max_ms),
            Distribution::AbsNormal { mean_ms, std_dev_ms } => ("absnormal", mean_ms, std_dev_ms),
        };
        let first = sc.servers.first().cloned().unwrap_or_default();
        let burst = sc.arrivals.burst.clone();
        let active = sc.health.active.clone();
        let passive = sc.health.passive.clone();
        let values = vec![
            ("alg", sc.algorithm.id().to_string()),
            ("weights", sc.servers.iter().map(|s| s.weight.to_string()).collect::<Vec<_>>().join(",")),
            ("rate", fmt_f64(sc.arrivals.rate_per_s)),
            ("dur", sc.duration_ms.to_string()),
            ("svc", kind.to_string()),
            ("svc_a", fmt_f64(a)),
            ("svc_b", fmt_f64(b)),
            ("conc", first.concurrency.to_string()),
            ("queue", first.queue_limit.to_string()),
            ("burst_every", burst.as_ref().map_or(0, |b| b.every_ms).to_string()),
            ("burst_len", burst.as_ref().map_or(0, |b| b.length_ms).to_string()),
            ("burst_x", fmt_f64(burst.as_ref().map_or(3.0, |b| b.multiplier))),
            ("hc_every", active.as_ref().map_or(0, |a| a.interval_ms).to_string()),
            ("hc_fall", active.as_ref().map_or(3, |a| a.fall).to_string()),
            ("hc_rise", active.as_ref().map_or(2, |a| a.rise).to_string()),
            ("pf_max", passive.as_ref().map_or(0, |p| p.max_fails).to_string()),
            ("pf_timeout", passive.as_ref().map_or(10_000, |p| p.fail_timeout_ms).to_string()),
            ("slow_start", sc.health.slow_start_ms.to_string()),
            ("clients", sc.clients.count.to_string()),
            ("nat", sc.clients.nat_clients.to_string()),
            ("mg_track", sc.balancer.maglev_tracking.to_string()),
        ];
        ScenarioForm {
            preset: preset_id.to_string(),
            values: values.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        }
    }

    /// The base scenario of a preset id ("custom" or unknown → the default).
    pub fn base(preset_id: &str) -> Scenario {
        preset(preset_id).unwrap_or_default()
    }

    /// The form of a preset, unedited.
    pub fn for_preset(preset_id: &str) -> Self {
        Self::from_scenario(preset_id, &Self::base(preset_id))
    }

    pub fn get(&self, field: &str) -> &str {
        self.values.iter().find(|(k, _)| k == field).map_or("", |(_, v)| v.as_str())
    }

    pub fn set(&mut self, field: &str, value: impl Into<String>) {
        let value = value.into();
        match self.values.iter_mut().find(|(k, _)| k == field) {
            Some((_, v)) => *v = value,
            None => self.values.push((field.to_string(), value)),
        }
    }

    /// Every field checked on its own; on success the scenario (not yet validated as a whole).
    pub fn to_scenario(&self, seed: u64) -> Result<Scenario, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut sc = Self::base(&self.preset);
        sc.seed = seed;
        let mut err = |field: &str, accepted: &str| {
            errors.push(FieldError {
                field: field.to_string(),
                label: label(field).to_string(),
                value: self.get(field).to_string(),
                accepted: accepted.to_string(),
            });
        };
        fn int(s: &str, lo: u64, hi: u64) -> Option<u64> {
            s.trim().parse::<u64>().ok().filter(|v| (lo..=hi).contains(v))
        }
        fn num(s: &str, lo: f64, hi: f64) -> Option<f64> {
            s.trim().parse::<f64>().ok().filter(|v| v.is_finite() && *v >= lo && *v <= hi)
        }
        macro_rules! int_field {
            ($f:expr, $lo:expr, $hi:expr) => {
                int(self.get($f), $lo, $hi).unwrap_or_else(|| {
                    err($f, &format!("a whole number from {} to {}", $lo, $hi));
                    $lo
                })
            };
        }
        macro_rules! num_field {
            ($f:expr, $lo:expr, $hi:expr, $what:expr) => {
                num(self.get($f), $lo, $hi).unwrap_or_else(|| {
                    err($f, $what);
                    $lo
                })
            };
        }

        match self.get("alg").trim().parse::<AlgorithmId>() {
            Ok(a) => sc.algorithm = a,
            Err(_) => err("alg", &format!("one of {}", AlgorithmId::id_list())),
        }
        let weights: Option<Vec<u32>> = {
            let parts: Vec<Option<u32>> = self
                .get("weights")
                .split(',')
                .map(|p| p.trim().parse::<u32>().ok().filter(|w| *w <= MAX_WEIGHT))
                .collect();
            let all: Option<Vec<u32>> = parts.into_iter().collect();
            all.filter(|w| (1..=MAX_SERVERS).contains(&w.len()) && w.iter().any(|x| *x > 0))
        };
        let rate = num_field!("rate", 0.1, 100_000.0, "a number of requests per second from 0.1 to 100000");
        let dur = int_field!("dur", 100, 3_600_000);
        let kind = self.get("svc").trim().to_string();
        let a_ok = |lo: f64| num(self.get("svc_a"), lo, 100_000.0);
        let service = match kind.as_str() {
            "constant" => a_ok(0.0).map(|ms| Distribution::Constant { ms }).ok_or("a time in ms from 0 to 100000"),
            "exponential" => a_ok(0.001)
                .map(|mean_ms| Distribution::Exponential { mean_ms })
                .ok_or("a mean in ms from 0.001 to 100000"),
            "lognormal" | "pareto" | "uniform" | "absnormal" => {
                match a_ok(if kind == "lognormal" || kind == "pareto" { 0.001 } else { 0.0 }) {
                    None => Err("a time in ms from 0.001 to 100000"),
                    Some(a) => {
                        let b = self.get("svc_b");
                        let (bv, what) = match kind.as_str() {
                            "lognormal" => (num(b, 0.0, 5.0), "a sigma from 0 to 5"),
                            "pareto" => (num(b, 0.05, 100.0).filter(|x| *x > 0.0), "an alpha from 0.05 to 100"),
                            "uniform" => (num(b, a, 100_000.0), "a maximum in ms from the minimum to 100000"),
                            _ => (num(b, 0.0, 100_000.0), "a standard deviation in ms from 0 to 100000"),
                        };
                        match bv {
                            None => {
                                err("svc_b", what);
                                Ok(sc.service.clone())
                            }
                            Some(b) => Ok(match kind.as_str() {
                                "lognormal" => Distribution::LogNormal { median_ms: a, sigma: b },
                                "pareto" => Distribution::Pareto { min_ms: a, alpha: b },
                                "uniform" => Distribution::Uniform { min_ms: a, max_ms: b },
                                _ => Distribution::AbsNormal { mean_ms: a, std_dev_ms: b },
                            }),
                        }
                    }
                }
            }
            _ => {
                err("svc", &format!("one of {}", SERVICE_KINDS.join(", ")));
                Ok(sc.service.clone())
            }
        };
        match service {
            Ok(d) => sc.service = d,
            Err(what) => err("svc_a", what),
        }
        let conc = int_field!("conc", 1, 100_000) as u32;
        let queue = int_field!("queue", 0, 1_000_000) as u32;
        let burst_every = int_field!("burst_every", 0, 3_600_000);
        let burst_len = int(self.get("burst_len"), 0, burst_every.max(1)).unwrap_or_else(|| {
            err("burst_len", &format!("a whole number of ms from 0 to the burst period ({burst_every})"));
            0
        });
        let burst_x = num_field!("burst_x", 0.1, 100.0, "a multiplier from 0.1 to 100");
        let hc_every = int_field!("hc_every", 0, 600_000);
        let hc_fall = int_field!("hc_fall", 1, 100) as u32;
        let hc_rise = int_field!("hc_rise", 1, 100) as u32;
        let pf_max = int_field!("pf_max", 0, 1_000) as u32;
        let pf_timeout = int_field!("pf_timeout", 1, 3_600_000);
        let slow_start = int_field!("slow_start", 0, 3_600_000);
        let mg_track = int_field!("mg_track", 0, u64::from(super::MAX_MAGLEV_TRACKING)) as u32;
        let clients = int_field!("clients", 1, 100_000) as u32;
        let nat = int(self.get("nat"), 0, u64::from(clients)).unwrap_or_else(|| {
            err("nat", &format!("a whole number from 0 to the number of clients ({clients})"));
            0
        }) as u32;
        let Some(weights) = weights else {
            err(
                "weights",
                &format!(
                    "1 to {MAX_SERVERS} whole numbers from 0 to {MAX_WEIGHT}, separated by commas, at least one above 0"
                ),
            );
            return Err(errors);
        };
        if !errors.is_empty() {
            return Err(errors);
        }

        let template = sc.servers.first().cloned().unwrap_or_default();
        sc.servers = weights
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let base = sc.servers.get(i).cloned().unwrap_or_else(|| template.clone());
                ServerConfig { weight: *w, concurrency: conc, queue_limit: queue, ..base }
            })
            .collect();
        sc.arrivals = ArrivalConfig {
            rate_per_s: rate,
            burst: (burst_every > 0).then_some(Burst {
                every_ms: burst_every,
                length_ms: burst_len,
                multiplier: burst_x,
            }),
        };
        sc.duration_ms = dur;
        sc.health.active =
            (hc_every > 0).then_some(ActiveCheck { interval_ms: hc_every, fall: hc_fall, rise: hc_rise });
        sc.health.passive = (pf_max > 0).then_some(PassiveCheck { max_fails: pf_max, fail_timeout_ms: pf_timeout });
        sc.health.slow_start_ms = slow_start;
        sc.balancer.maglev_tracking = mg_track;
        sc.clients.count = clients;
        sc.clients.nat_clients = nat;
        for e in &mut sc.events {
            if let super::Action::AddServer { config } = &mut e.action {
                config.concurrency = conc;
                config.queue_limit = queue;
            }
        }
        // The base's script and rules name servers by index: keep only what still exists.
        let max =
            sc.servers.len() + sc.events.iter().filter(|e| matches!(e.action, super::Action::AddServer { .. })).count();
        sc.events.retain(|e| match &e.action {
            super::Action::SetState { server, .. }
            | super::Action::PinLatency { server, .. }
            | super::Action::Unpin { server }
            | super::Action::SetWeight { server, .. } => *server < max,
            super::Action::AddServer { .. } => true,
        });
        sc.balancer.l7_rules.retain(|r| r.pool.iter().all(|i| *i < max));
        sc.balancer.l7_default_pool.retain(|i| *i < max);
        Ok(sc)
    }

    /// The URL pairs: `preset` then every field that differs from the preset's own value.
    pub fn url_pairs(&self) -> Vec<(String, String)> {
        let base = Self::for_preset(&self.preset);
        let mut out = vec![("preset".to_string(), self.preset.clone())];
        for (k, v) in &self.values {
            if base.get(k) != v {
                out.push((k.clone(), v.clone()));
            }
        }
        out
    }

    /// Reads a form from URL values: `preset` picks the base, then each field present overrides
    /// it. A field that does not parse falls back to the base's value and yields an error naming it.
    pub fn from_url(raw: impl Fn(&str) -> Option<String>, seed: u64) -> (Self, Scenario, Vec<FieldError>) {
        let mut errors = Vec::new();
        let preset_id = match raw("preset") {
            None => "custom".to_string(),
            Some(p) if p == "custom" || preset(&p).is_ok() => p,
            Some(p) => {
                let ids = super::presets().iter().map(|p| p.id).collect::<Vec<_>>().join(", ");
                errors.push(FieldError {
                    field: "preset".into(),
                    label: label("preset").into(),
                    value: p,
                    accepted: format!("custom or one of {ids}"),
                });
                "custom".to_string()
            }
        };
        let base = Self::for_preset(&preset_id);
        let mut form = base.clone();
        for f in FIELDS {
            if let Some(v) = raw(f) {
                form.set(f, v);
            }
        }
        // Revert each bad field until the rest parse (a bad field can make another look bad, e.g.
        // a burst length checked against a bad period, so repeat).
        for _ in 0..FIELDS.len() {
            match form.to_scenario(seed) {
                Ok(sc) => match sc.validate().and_then(|_| super::LbRun::new(&sc).map(|_| ())) {
                    Ok(()) => return (form, sc, errors),
                    Err(e) => {
                        errors.push(FieldError {
                            field: "scenario".into(),
                            label: "Scenario".into(),
                            value: e.to_string(),
                            accepted: "a valid combination; the preset's values were used".into(),
                        });
                        let mut sc = Self::base(&preset_id);
                        sc.seed = seed;
                        return (base, sc, errors);
                    }
                },
                Err(errs) => {
                    for e in errs {
                        form.set(&e.field, base.get(&e.field).to_string());
                        if !errors.iter().any(|x| x.field == e.field) {
                            errors.push(e);
                        }
                    }
                }
            }
        }
        let mut sc = Self::base(&preset_id);
        sc.seed = seed;
        (base, sc, errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_legal_weights_and_every_preset_fit_the_editor_caps() {
        let largest = vec![MAX_WEIGHT.to_string(); MAX_SERVERS].join(", ");
        assert!(largest.len() <= max_chars("weights"), "{} > {}", largest.len(), max_chars("weights"));
        let mut form = ScenarioForm::for_preset("custom");
        form.set("weights", largest);
        assert!(form.to_scenario(1).is_ok(), "the largest legal weights are accepted");
        for p in super::super::presets() {
            let form = ScenarioForm::for_preset(p.id);
            for f in FIELDS {
                assert!(form.get(f).chars().count() < max_chars(f), "{} {f} = {:?}", p.id, form.get(f));
            }
        }
    }

    #[test]
    fn every_preset_round_trips_through_its_form() {
        for p in super::super::presets() {
            let form = ScenarioForm::for_preset(p.id);
            let sc = form.to_scenario(p.scenario.seed).unwrap();
            assert_eq!(sc, p.scenario, "{}", p.id);
            assert_eq!(form.url_pairs(), vec![("preset".to_string(), p.id.to_string())]);
        }
    }

    #[test]
    fn url_fields_override_and_bad_ones_are_named_and_reverted() {
        let q = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(a, _)| *a == k).map(|(_, v)| v.to_string())
        };
        let (form, sc, errs) =
            ScenarioForm::from_url(q(&[("preset", "sticky-nat"), ("alg", "ip-hash-full"), ("weights", "1,2,3")]), 7);
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(sc.algorithm, AlgorithmId::IpHashFull);
        assert_eq!(sc.servers.iter().map(|s| s.weight).collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(sc.seed, 7);
        assert_eq!(sc.clients.nat_clients, 600);
        assert_eq!(form.url_pairs().len(), 3);

        let (_, sc, errs) = ScenarioForm::from_url(q(&[("rate", "lots"), ("weights", "1,,x"), ("alg", "wrr")]), 1);
        let text: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert_eq!(sc.arrivals.rate_per_s, 1000.0);
        assert_eq!(sc.servers.len(), 4);
        assert!(text.iter().any(|t| t.contains("`rate`") && t.contains("\"lots\"")), "{text:?}");
        assert!(text.iter().any(|t| t.contains("`weights`") && t.contains("\"1,,x\"")), "{text:?}");
        assert!(text.iter().any(|t| t.contains("`alg`") && t.contains("smooth-wrr")), "{text:?}");

        let (_, _, errs) = ScenarioForm::from_url(q(&[("preset", "nope")]), 1);
        assert!(errs[0].to_string().contains("linkerd-slow-server"));
    }

    #[test]
    fn fewer_servers_drop_script_entries_that_name_missing_ones() {
        let mut form = ScenarioForm::for_preset("linkerd-slow-server");
        form.set("weights", "1,1");
        let sc = form.to_scenario(1).unwrap();
        assert!(sc.events.is_empty());
        sc.validate().unwrap();
        let mut form = ScenarioForm::for_preset("l7-paths");
        form.set("weights", "1,1");
        let sc = form.to_scenario(1).unwrap();
        assert!(super::super::LbRun::new(&sc).is_ok());
    }

    #[test]
    fn service_kinds_parse_and_check_their_second_parameter() {
        let mut form = ScenarioForm::for_preset("custom");
        form.set("svc", "pareto");
        form.set("svc_a", "5");
        form.set("svc_b", "1.5");
        assert_eq!(form.to_scenario(1).unwrap().service, Distribution::Pareto { min_ms: 5.0, alpha: 1.5 });
        form.set("svc_b", "0");
        let e = form.to_scenario(1).unwrap_err();
        assert_eq!(e[0].field, "svc_b");
        assert!(e[0].to_string().contains("\"0\""));
    }
}
