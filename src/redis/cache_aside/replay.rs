//! The cache-aside demo on rewind: [`CacheAside`] as a [`Rewindable`] model whose user actions are
//! the page's typed requests and settings changes ([`CacheAction`]) and whose notable events are
//! cache stampedes (a miss that calls the API while a call for the same user is in flight), and as
//! a [`ReplayModel`] (model id `cache-aside`, scenario [`Settings`]: the workload a run starts
//! with). Also the action log's compact URL text (`a=3k~2b~qoctocat_…`, see [`log_to_query`]).
//!
//! Never reads a clock.

use serde::{Deserialize, Serialize};

use super::{
    new_simulation_at, parse_user, CacheAside, Config, InputError, RATE_RANGE, SKEW_RANGE, TTL_RANGE, USERS_RANGE,
};
pub use crate::sim::replay::{log_from_query, log_to_query};
use crate::sim::replay::{ActionCodec, Replay, ReplayModel, RunUrl};
#[cfg(test)]
use crate::sim::rewind::LoggedAction;
use crate::sim::rewind::{Notable, NotableKind, Rewind, RewindConfig, Rewindable};
use crate::sim::{Ctx, SimTime, Simulation};

/// A rewindable cache-aside run.
pub type CacheRewind = Rewind<CacheAside>;
/// A cache-aside replay file.
pub type CacheReplay = Replay<Settings, CacheAction>;

/// How long `sim replay` runs a cache-aside replay without a cursor (the demo has no end of its own).
pub const DEFAULT_END_MS: u64 = 60_000;

/// How the cache-aside page keeps its rewind: the default spacing and count, and at most
/// [`PAGE_SNAPSHOT_BYTES`] in snapshots. Snapshots far apart share none of their records, and each
/// holds its own store and user maps.
pub fn page_rewind_config() -> RewindConfig {
    RewindConfig { max_snapshot_bytes: PAGE_SNAPSHOT_BYTES, ..RewindConfig::default() }
}

/// The cache-aside page's cap on what its rewind snapshots hold (as [`CacheAside`] weighs them).
pub const PAGE_SNAPSHOT_BYTES: usize = 32 << 20;

/// The settings a user can change (the page's form and URL): the rest of [`Config`] (the origin's
/// and Redis's response times) is the reference's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub ttl_s: u64,
    pub rate_per_s: f64,
    pub users: u64,
    pub skew: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings::of(&Config::default())
    }
}

impl Settings {
    pub fn of(c: &Config) -> Self {
        Settings { ttl_s: c.ttl_s, rate_per_s: c.rate_per_s, users: c.users, skew: c.skew }
    }
    /// Every field within its accepted range (the first one that is not, named with its value).
    pub fn validate(&self) -> Result<(), InputError> {
        let within = |v: f64, (lo, hi): (f64, f64)| v.is_finite() && (lo..=hi).contains(&v);
        if !(TTL_RANGE.0..=TTL_RANGE.1).contains(&self.ttl_s) {
            return Err(InputError::Ttl(self.ttl_s.to_string()));
        }
        if !within(self.rate_per_s, RATE_RANGE) {
            return Err(InputError::Rate(self.rate_per_s.to_string()));
        }
        if !(USERS_RANGE.0..=USERS_RANGE.1).contains(&self.users) {
            return Err(InputError::Users(self.users.to_string()));
        }
        if !within(self.skew, SKEW_RANGE) {
            return Err(InputError::Skew(self.skew.to_string()));
        }
        Ok(())
    }
    /// The model's config with these settings (and the reference's response times).
    pub fn config(&self) -> Config {
        Config {
            ttl_s: self.ttl_s,
            rate_per_s: self.rate_per_s,
            users: self.users,
            skew: self.skew,
            ..Config::default()
        }
    }
}

/// What a user does to a cache-aside run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CacheAction {
    /// A typed request for one user's repository count.
    Request { user: String },
    /// New settings: the TTL from the next SETEX, the workload from its next arrival.
    Configure { settings: Settings },
}

impl Rewindable for CacheAside {
    type Action = CacheAction;

    fn apply(&mut self, ctx: &mut Ctx<'_, Self::Event>, action: &CacheAction) -> Result<(), String> {
        match action {
            CacheAction::Request { user } => {
                let user = parse_user(user).map_err(|e| e.to_string())?;
                self.request(ctx, &user);
            }
            CacheAction::Configure { settings } => {
                settings.validate().map_err(|e| e.to_string())?;
                self.set_config(ctx, settings.config());
            }
        }
        Ok(())
    }

    /// The records and buckets beyond `other`'s, the store and the user maps
    /// ([`CacheAside::bytes_beyond`]).
    fn snapshot_bytes(&self, other: Option<&Self>) -> usize {
        self.bytes_beyond(other)
    }

    fn drain_notable(&mut self, _now: SimTime, out: &mut Vec<Notable>) {
        let duplicates = self.totals.duplicate_origin_calls;
        if duplicates > self.notable_duplicates {
            self.notable_duplicates = duplicates;
            let user = self.records.iter().rev().find(|r| r.duplicate).map(|r| r.user.clone()).unwrap_or_default();
            out.push(Notable {
                kind: NotableKind::Harm,
                label: format!("stampede: {user} missed and called the API again while a call for it was in flight"),
            });
        }
    }
}

impl ReplayModel for CacheAside {
    const ID: &'static str = "cache-aside";
    type Scenario = Settings;

    fn build(scenario: &Settings, seed: u64, epoch: SimTime) -> Result<Simulation<Self>, String> {
        scenario.validate().map_err(|e| e.to_string())?;
        Ok(new_simulation_at(scenario.config(), seed, epoch))
    }

    fn default_end_ms(_: &Settings) -> u64 {
        DEFAULT_END_MS
    }
}

/// One action's short code: `qoctocat` a request for octocat, `s30-5-50-1.1` settings
/// (TTL-rate-users-skew).
pub fn action_code(a: &CacheAction) -> String {
    match a {
        CacheAction::Request { user } => format!("q{user}"),
        CacheAction::Configure { settings: s } => format!("s{}-{}-{}-{}", s.ttl_s, s.rate_per_s, s.users, s.skew),
    }
}

/// Reads [`action_code`]'s text back (values are checked when the action is applied).
pub fn parse_action_code(code: &str) -> Option<CacheAction> {
    let mut chars = code.chars();
    let kind = chars.next()?;
    let rest = chars.as_str();
    match kind {
        'q' if !rest.is_empty() => Some(CacheAction::Request { user: rest.to_string() }),
        's' => {
            let mut p = rest.split('-');
            let ttl_s = p.next()?.parse().ok()?;
            let rate_per_s = p.next()?.parse::<f64>().ok().filter(|v| v.is_finite())?;
            let users = p.next()?.parse().ok()?;
            let skew = p.next()?.parse::<f64>().ok().filter(|v| v.is_finite())?;
            p.next()
                .is_none()
                .then_some(CacheAction::Configure { settings: Settings { ttl_s, rate_per_s, users, skew } })
        }
        _ => None,
    }
}

/// The actions' URL codes ([`action_code`], [`parse_action_code`]): the action log's text
/// ([`log_to_query`]) and the run's URL pairs are the shared ones in [`crate::sim::replay`]. Also a
/// user name's letters, digits and hyphens need no escaping.
impl ActionCodec for CacheAction {
    const EXAMPLE: &'static str = "3k~2b~qoctocat";
    fn encode(&self) -> String {
        action_code(self)
    }
    fn decode(code: &str) -> Option<Self> {
        parse_action_code(code)
    }
}

/// A cache-aside run's replay in the page's URL (`a`, `t`, `ev`, `epoch`).
pub type CacheRunUrl = RunUrl<CacheAction>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rewind::Seek;
    use crate::sim::TEST_EPOCH;

    #[test]
    fn actions_round_trip_through_their_codes_and_bad_ones_are_named() {
        let log = vec![
            LoggedAction { at_ms: 1_000, events: 40, action: CacheAction::Request { user: "octo-cat".into() } },
            LoggedAction {
                at_ms: 2_500,
                events: 90,
                action: CacheAction::Configure {
                    settings: Settings { ttl_s: 2, rate_per_s: 12.5, users: 300, skew: 0.8 },
                },
            },
        ];
        let text = log_to_query(&log);
        expect_test::expect!["rs~14~qocto-cat_1xg~2i~s2-12.5-300-0.8"].assert_eq(&text);
        assert!(text.chars().all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c)), "{text}");
        assert_eq!(log_from_query(&text), Ok(log));
        assert_eq!(
            log_from_query::<CacheAction>("rs~14~x1"),
            Err("action 0 \"rs~14~x1\" is not understood; expected time~events~code, like 3k~2b~qoctocat".into())
        );
        for bad in ["q", "s1-2-3", "s1-2-3-4-5", "sNaN-1-1-1", "s1-inf-1-1"] {
            assert_eq!(parse_action_code(bad), None, "{bad}");
        }
    }

    #[test]
    fn refused_actions_name_the_value_and_change_nothing() {
        let sim = CacheAside::build(&Settings { rate_per_s: 0.0, ..Settings::default() }, 3, TEST_EPOCH).unwrap();
        let mut r = CacheRewind::new(sim);
        let digest = r.digest();
        let e = r.act(CacheAction::Request { user: "<b>".into() }).unwrap_err().to_string();
        assert!(e.contains("\"<b>\"") && e.contains("letters, digits"), "{e}");
        let bad = Settings { ttl_s: 0, ..Settings::default() };
        let e = r.act(CacheAction::Configure { settings: bad.clone() }).unwrap_err().to_string();
        assert!(e.contains("\"0\"") && e.contains("1 to 86400"), "{e}");
        assert_eq!((r.digest(), r.actions().len()), (digest, 0));
        assert!(CacheAside::build(&bad, 3, TEST_EPOCH).is_err());
    }

    #[test]
    fn a_stampede_is_a_notable_mark_and_rewinding_undoes_a_typed_request() {
        // One user at 50/s: requests pile onto the first API call.
        let s = Settings { rate_per_s: 50.0, users: 1, ..Settings::default() };
        let mut r = CacheRewind::new(CacheAside::build(&s, 4, TEST_EPOCH).unwrap());
        r.seek(Seek::Time(3_000));
        let m = r.marks().first().expect("a stampede mark");
        assert_eq!(m.kind, NotableKind::Harm);
        assert!(m.label.contains("octocat"), "{}", m.label);
        r.act(CacheAction::Request { user: "torvalds".into() }).unwrap();
        r.seek(Seek::Time(4_000));
        assert!(r.model().records().iter().any(|x| x.user == "torvalds"));
        // Back before the typed request: the run is the one that never had it.
        r.seek(Seek::Time(2_000));
        let mut plain = CacheRewind::new(CacheAside::build(&s, 4, TEST_EPOCH).unwrap());
        plain.seek(Seek::Time(2_000));
        assert_eq!((r.digest(), r.model().totals()), (plain.digest(), plain.model().totals()));
        assert!(!r.model().records().iter().any(|x| x.user == "torvalds"));
        // Forward again replays it from the log.
        r.seek(Seek::Time(4_000));
        assert!(r.model().records().iter().any(|x| x.user == "torvalds"));
    }
}
