//! The lock playground on rewind: [`LockRuntime`] as a [`Rewindable`] model (its user actions are
//! the fault buttons' [`Action`]s; its notable events are lease overlaps, harm, faults and
//! handovers) and a [`ReplayModel`] (model id `lock`), plus the compact action-log text the page
//! keeps in its URL (`a=8ks~2jk~p0-25000_…`, see [`log_to_query`]).
//!
//! Never reads a clock.

use super::runtime::{build, LockRuntime};
use super::scenario::{Action, Scenario, Target};
use crate::sim::replay::{Replay, ReplayModel};
use crate::sim::rewind::{LoggedAction, Notable, NotableKind, Rewind, RewindConfig, Rewindable};
use crate::sim::{Ctx, SimTime, Simulation};

/// A rewindable lock run.
pub type LockRewind = Rewind<LockRuntime>;
/// A lock replay file.
pub type LockReplay = Replay<Scenario, Action>;

/// How the locks page keeps its rewind: the default spacing and count, and at most
/// [`PAGE_SNAPSHOT_BYTES`] in snapshots. A lock run's histories are windowed (an hour of virtual
/// time), so snapshots more than an hour apart share nothing: without a byte cap, a long run at
/// 1000× kept up to 128 whole windows.
pub fn page_rewind_config() -> RewindConfig {
    RewindConfig { max_snapshot_bytes: PAGE_SNAPSHOT_BYTES, ..RewindConfig::default() }
}

/// The locks page's cap on what its rewind snapshots hold (as [`LockRuntime`] weighs them).
pub const PAGE_SNAPSHOT_BYTES: usize = 32 << 20;

/// What a snapshot of a lock run holds besides its recorder's histories, roughly (measured with
/// `sim lock --rewind-memory`).
const SNAPSHOT_BASE_BYTES: usize = 64 << 10;

impl Rewindable for LockRuntime {
    type Action = Action;

    fn apply(&mut self, ctx: &mut Ctx<'_, Self::Event>, action: &Action) -> Result<(), String> {
        self.apply_action(ctx, action).map_err(|e| e.to_string())
    }

    /// The recorder's histories beyond `other`'s, plus a fixed share for the rest (workers, the
    /// Redis stores, the network: small, and not shared between snapshots).
    fn snapshot_bytes(&self, other: Option<&Self>) -> usize {
        SNAPSHOT_BASE_BYTES + self.recorder.bytes_beyond(other.map(|o| &o.recorder))
    }

    fn drain_notable(&mut self, now: SimTime, out: &mut Vec<Notable>) {
        for f in self.notable.faults.drain(..) {
            out.push(Notable { kind: NotableKind::Fault, label: f });
        }
        let counts = self.recorder.checker().notable_counts();
        let seen = self.notable.seen;
        if counts == seen {
            return;
        }
        self.notable.seen = counts;
        if counts.0 > seen.0 {
            let who = self
                .recorder
                .checker()
                .violations()
                .last()
                .map(|v| v.workers.iter().map(|w| format!("worker-{w}")).collect::<Vec<_>>().join(" and "))
                .unwrap_or_default();
            out.push(Notable {
                kind: NotableKind::Violation,
                label: format!("lease overlap: {who} believe they hold the lock"),
            });
        }
        if counts.2 > seen.2 {
            let label = match self.recorder.checker().writes().last() {
                Some(w) if w.stale => format!("stale write of job {} accepted from worker-{}", w.job, w.worker),
                Some(w) => format!("job {} written twice or out of order by worker-{}", w.job, w.worker),
                None => "harm".to_string(),
            };
            out.push(Notable { kind: NotableKind::Harm, label });
        }
        if counts.1 > seen.1 {
            let to = (0..self.worker_count()).find(|w| self.believes(*w));
            out.push(Notable {
                kind: NotableKind::Handover,
                label: match to {
                    Some(w) => format!("handover: worker-{w} takes the lock"),
                    None => "handover".to_string(),
                },
            });
        }
        let _ = now;
    }
}

impl ReplayModel for LockRuntime {
    const ID: &'static str = "lock";
    type Scenario = Scenario;

    fn build(scenario: &Scenario, seed: u64, epoch: SimTime) -> Result<Simulation<Self>, String> {
        let s = Scenario { seed, ..scenario.clone() };
        build(&s, epoch).map_err(|e| e.to_string())
    }

    fn default_end_ms(scenario: &Scenario) -> u64 {
        scenario.duration_ms
    }
}

fn target_code(t: &Target) -> String {
    match t {
        Target::Worker(w) => w.to_string(),
        Target::Holder => "H".into(),
        Target::NonHolder => "N".into(),
    }
}

fn parse_target(s: &str) -> Option<Target> {
    match s {
        "H" => Some(Target::Holder),
        "N" => Some(Target::NonHolder),
        _ => s.parse::<usize>().ok().map(Target::Worker),
    }
}

/// One action's short code: `c2` crash worker 2, `pH-25000` pause the holder 25 s, `C0` crash
/// redis-0, `d1-0.4` worker 1's clock at 0.4×.
pub fn action_code(a: &Action) -> String {
    match a {
        Action::Crash { target } => format!("c{}", target_code(target)),
        Action::Stop { target } => format!("s{}", target_code(target)),
        Action::Restart { target } => format!("r{}", target_code(target)),
        Action::Pause { target, ms } => format!("p{}-{ms}", target_code(target)),
        Action::Partition { target } => format!("x{}", target_code(target)),
        Action::Heal { target } => format!("h{}", target_code(target)),
        Action::ClockRate { target, rate } => format!("d{}-{rate}", target_code(target)),
        Action::SlowLink { target, extra_ms } => format!("l{}-{extra_ms}", target_code(target)),
        Action::RedisCrash { instance } => format!("C{instance}"),
        Action::RedisRestart { instance } => format!("R{instance}"),
        Action::RedisSlow { instance, extra_ms } => format!("S{instance}-{extra_ms}"),
    }
}

/// Reads [`action_code`]'s text back.
pub fn parse_action_code(code: &str) -> Option<Action> {
    let mut chars = code.chars();
    let kind = chars.next()?;
    let rest = chars.as_str();
    let (head, param) = match rest.split_once('-') {
        Some((h, p)) => (h, Some(p)),
        None => (rest, None),
    };
    let num = |p: Option<&str>| p.and_then(|p| p.parse::<u64>().ok());
    let target = || parse_target(head);
    let instance = || head.parse::<usize>().ok();
    Some(match (kind, param) {
        ('c', None) => Action::Crash { target: target()? },
        ('s', None) => Action::Stop { target: target()? },
        ('r', None) => Action::Restart { target: target()? },
        ('p', p) => Action::Pause { target: target()?, ms: num(p)? },
        ('x', None) => Action::Partition { target: target()? },
        ('h', None) => Action::Heal { target: target()? },
        ('d', Some(p)) => {
            Action::ClockRate { target: target()?, rate: p.parse::<f64>().ok().filter(|r| r.is_finite())? }
        }
        ('l', p) => Action::SlowLink { target: target()?, extra_ms: num(p)? },
        ('C', None) => Action::RedisCrash { instance: instance()? },
        ('R', None) => Action::RedisRestart { instance: instance()? },
        ('S', p) => Action::RedisSlow { instance: instance()?, extra_ms: num(p)? },
        _ => return None,
    })
}

/// The action log as URL text: `{at_ms}~{events}~{code}` per action (numbers in base 36), joined
/// by `_` (see [`crate::sim::replay::log_to_query`]). Only unreserved URL characters, so it is not
/// escaped in a query string.
pub fn log_to_query(actions: &[LoggedAction<Action>]) -> String {
    crate::sim::replay::log_to_query(actions, action_code)
}

/// Reads [`log_to_query`]'s text; an error names the first entry not understood.
pub fn log_from_query(text: &str) -> Result<Vec<LoggedAction<Action>>, String> {
    crate::sim::replay::log_from_query(text, parse_action_code, "8ks~2jk~c1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_round_trips_through_its_code() {
        let t = [Target::Worker(3), Target::Holder, Target::NonHolder];
        let mut all = Vec::new();
        for target in t {
            all.extend([
                Action::Crash { target },
                Action::Stop { target },
                Action::Restart { target },
                Action::Pause { target, ms: 25_000 },
                Action::Partition { target },
                Action::Heal { target },
                Action::ClockRate { target, rate: 0.4 },
                Action::ClockRate { target, rate: 12.0 },
                Action::SlowLink { target, extra_ms: 2_000 },
            ]);
        }
        all.extend([
            Action::RedisCrash { instance: 4 },
            Action::RedisRestart { instance: 0 },
            Action::RedisSlow { instance: 1, extra_ms: 0 },
        ]);
        let log: Vec<LoggedAction<Action>> = all
            .iter()
            .enumerate()
            .map(|(i, a)| LoggedAction { at_ms: 1_000 * i as u64 + 7, events: 5_000 * i as u64, action: a.clone() })
            .collect();
        let text = log_to_query(&log);
        assert!(text.chars().all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c)), "{text}");
        assert_eq!(log_from_query(&text), Ok(log));
        expect_test::expect!["7~0~c3_s7~3uw~pH-25000"].assert_eq(&log_to_query(&[
            LoggedAction { at_ms: 7, events: 0, action: Action::Crash { target: Target::Worker(3) } },
            LoggedAction { at_ms: 1_015, events: 5_000, action: Action::Pause { target: Target::Holder, ms: 25_000 } },
        ]));
        assert_eq!(log_from_query(""), Ok(vec![]));
        assert_eq!(
            log_from_query("7~0~c3_zz~1~q9"),
            Err("action 1 \"zz~1~q9\" is not understood; expected time~events~code, like 8ks~2jk~c1".into())
        );
        for bad in ["c", "p1", "d1-x", "dH-inf", "C", "cZ", "7~0", "~~c1"] {
            assert!(log_from_query(&format!("1~1~{bad}")).is_err() || log_from_query(bad).is_err(), "{bad}");
        }
    }
}
