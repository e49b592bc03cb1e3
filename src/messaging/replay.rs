//! The messaging run on rewind: [`MessagingModel`] as a [`Rewindable`] model whose user actions
//! are the page's buttons — a fault now (crash or slow a consumer, restart the broker, a
//! downstream outage, a partition) and a peak-load burst ([`MsgAction`]) — and whose notable
//! events are what a user jumps to: a fault or burst (fault), a redelivery (failover), a consumer
//! that died holding messages, a duplicate processing, a message lost in a partition, a failed
//! request, a dead-lettered message or a PUBLISH that offline subscribers missed (harm). And as a [`ReplayModel`] (model id
//! `messaging`, scenario [`Scenario`]), with the action log's compact URL text
//! (`1jk~5k~c0-3000_3uw~dw~l500-1000`, see [`action_code`]).
//!
//! Never reads a clock.

use super::runtime::{build_sim, MessagingModel, MsgEvent};
use super::scenario::{Fault, Scenario};
use crate::sim::replay::{Replay, ReplayModel, RunUrl};
use crate::sim::rewind::{Cursor, LoggedAction, Notable, Rewind, Rewindable, Seek};
use crate::sim::{Ctx, QueryParams, SimTime, Simulation};
use serde::{Deserialize, Serialize};

/// A rewindable messaging run.
pub type MessagingRewind = Rewind<MessagingModel>;
/// A messaging replay file.
pub type MessagingReplay = Replay<Scenario, MsgAction>;

/// What a user does to a messaging run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MsgAction {
    /// A fault starting now (its `at_ms` is not read: the fault starts when the action is
    /// applied; the page logs 0).
    Fault(Fault),
    /// `count` more messages over `over_ms`, starting now (the "peak load" button).
    Burst { count: u32, over_ms: u64 },
}

impl Rewindable for MessagingModel {
    type Action = MsgAction;

    fn apply(&mut self, ctx: &mut Ctx<'_, MsgEvent>, action: &MsgAction) -> Result<(), String> {
        match action {
            MsgAction::Fault(f) => self.inject_now(ctx, f.clone()),
            MsgAction::Burst { count, over_ms } => self.burst_now(ctx, *count, *over_ms),
        }
        .map_err(|e| e.to_string())
    }

    fn drain_notable(&mut self, _now: SimTime, out: &mut Vec<Notable>) {
        if let Some(n) = &mut self.notable {
            out.append(n);
        }
    }
}

impl ReplayModel for MessagingModel {
    const ID: &'static str = "messaging";
    type Scenario = Scenario;

    fn build(scenario: &Scenario, seed: u64, epoch: SimTime) -> Result<Simulation<Self>, String> {
        let mut sim = build_sim(scenario.clone(), seed, epoch).map_err(|e| e.to_string())?;
        sim.model.notable = Some(Vec::new());
        Ok(sim)
    }

    fn default_end_ms(scenario: &Scenario) -> u64 {
        scenario.produce_for_ms.saturating_add(scenario.drain_ms)
    }
}

/// A fresh rewindable run of `scenario`, keeping the page's trail of `trail` (flows, lives) when
/// given. The run's server keeps its timers after the end (producers stopped, the drain time
/// over), so callers cap their seeks at [`MessagingModel::end_ms`] as `MessagingRun` does.
pub fn rewind(
    scenario: &Scenario,
    seed: u64,
    epoch: SimTime,
    trail: Option<(usize, usize)>,
) -> Result<MessagingRewind, String> {
    let mut sim = MessagingModel::build(scenario, seed, epoch)?;
    if let Some((flows, lives)) = trail {
        sim.model.record_trail(flows, lives);
    }
    Ok(Rewind::new(sim))
}

/// One action's short code: `c0-3000` crash consumer 0 for 3000 ms, `s2-10-5000` slow consumer
/// 2 ×10 for 5000 ms, `b2000` broker restart (2000 ms down), `o3000` downstream outage for 3000
/// ms, `p3000` partition for 3000 ms, `l500-1000` peak load of 500 messages over 1000 ms.
pub fn action_code(a: &MsgAction) -> String {
    match a {
        MsgAction::Fault(f) => match *f {
            Fault::Crash { consumer, down_ms, .. } => format!("c{consumer}-{down_ms}"),
            Fault::Slow { consumer, factor, for_ms, .. } => format!("s{consumer}-{factor}-{for_ms}"),
            Fault::BrokerRestart { down_ms, .. } => format!("b{down_ms}"),
            Fault::Outage { for_ms, .. } => format!("o{for_ms}"),
            Fault::Partition { for_ms, .. } => format!("p{for_ms}"),
        },
        MsgAction::Burst { count, over_ms } => format!("l{count}-{over_ms}"),
    }
}

/// Reads [`action_code`]'s text back (values are checked when the action is applied).
pub fn parse_action_code(code: &str) -> Option<MsgAction> {
    let kind = code.get(..1)?;
    let rest = &code[1..];
    let parts: Vec<&str> = rest.split('-').collect();
    let fault = match (kind, parts.as_slice()) {
        ("c", [c, d]) => Fault::Crash { consumer: c.parse().ok()?, at_ms: 0, down_ms: d.parse().ok()? },
        ("s", [c, f, d]) => {
            let factor: f64 = f.parse().ok()?;
            if !factor.is_finite() {
                return None;
            }
            Fault::Slow { consumer: c.parse().ok()?, at_ms: 0, factor, for_ms: d.parse().ok()? }
        }
        ("b", [d]) => Fault::BrokerRestart { at_ms: 0, down_ms: d.parse().ok()? },
        ("o", [d]) => Fault::Outage { at_ms: 0, for_ms: d.parse().ok()? },
        ("p", [d]) => Fault::Partition { at_ms: 0, for_ms: d.parse().ok()? },
        ("l", [n, d]) => return Some(MsgAction::Burst { count: n.parse().ok()?, over_ms: d.parse().ok()? }),
        _ => return None,
    };
    Some(MsgAction::Fault(fault))
}

/// The action log as URL text (`{at_ms}~{events}~{code}` joined by `_`, numbers in base 36).
pub fn log_to_query(actions: &[LoggedAction<MsgAction>]) -> String {
    crate::sim::replay::log_to_query(actions, action_code)
}

/// Reads [`log_to_query`]'s text; an error names the first entry not understood.
pub fn log_from_query(text: &str) -> Result<Vec<LoggedAction<MsgAction>>, String> {
    crate::sim::replay::log_from_query(text, parse_action_code, "1jk~5k~c0-3000")
}

/// A messaging run's replay in the page's URL (`a`, `t`, `ev`, `epoch`).
pub type MsgRunUrl = RunUrl<MsgAction>;

/// Reads `a`, `t`, `ev` and `epoch`, with a notice for each bad one.
pub fn read_run_url(q: &mut QueryParams) -> MsgRunUrl {
    RunUrl::read_with(q, log_from_query)
}

/// The pairs that carry the run: nothing for a fresh run at time zero.
pub fn run_url_pairs(actions: &[LoggedAction<MsgAction>], cursor: Cursor, epoch_ms: u64) -> Vec<(String, String)> {
    RunUrl::pairs_with(actions, cursor, epoch_ms, log_to_query)
}

/// Takes `follower` (the page's compared run: the same workload with another pattern) to `lead`'s
/// virtual time with the actions `lead` has applied, each at its virtual time: the two runs stay on
/// one clock whichever way `lead` moved. Going back and forth within the same action log seeks
/// `follower` through its own snapshots; a new action at `lead`'s horizon is applied to `follower`
/// at the same time; when `lead`'s log was cut (a new branch), `follower` is rebuilt with
/// `rebuild` and its actions applied again. Returns false when `follower` refused an action that
/// `lead` took (it then stays without it).
pub fn follow(
    lead: &MessagingRewind,
    follower: &mut MessagingRewind,
    rebuild: impl FnOnce() -> MessagingRewind,
) -> bool {
    let t = lead.cursor().at_ms;
    let want = &lead.actions()[..lead.applied()];
    let same = |a: &LoggedAction<MsgAction>, b: &LoggedAction<MsgAction>| a.at_ms == b.at_ms && a.action == b.action;
    let have = follower.actions();
    let k = want.iter().zip(have).take_while(|(a, b)| same(a, b)).count();
    // What `follower` logged beyond the common part must lie after `t` (a future `lead` rewound
    // before); anything else means the logs went different ways.
    let stale = have.get(k).is_some_and(|h| k < want.len() || h.at_ms <= t);
    if stale {
        *follower = rebuild();
    }
    let mut all_taken = true;
    for a in &lead.actions()[follower.actions().len().min(want.len())..lead.applied()] {
        follower.seek(Seek::Time(a.at_ms));
        all_taken &= follower.act(a.action.clone()).is_ok();
    }
    follower.seek(Seek::Time(t));
    all_taken
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messaging::scenario::page_run;
    use crate::messaging::{MessagingRun, PatternId};
    use crate::sim::rewind::NotableKind;
    use crate::sim::TEST_EPOCH;

    fn fault(f: Fault) -> MsgAction {
        MsgAction::Fault(f)
    }

    #[test]
    fn actions_round_trip_through_their_codes_and_bad_ones_are_named() {
        let acts = [
            fault(Fault::Crash { consumer: 0, at_ms: 0, down_ms: 3_000 }),
            fault(Fault::Slow { consumer: 12, at_ms: 0, factor: 10.0, for_ms: 5_000 }),
            fault(Fault::Slow { consumer: 1, at_ms: 0, factor: 2.5, for_ms: 100 }),
            fault(Fault::BrokerRestart { at_ms: 0, down_ms: 2_000 }),
            fault(Fault::Outage { at_ms: 0, for_ms: 3_000 }),
            fault(Fault::Partition { at_ms: 0, for_ms: 3_000 }),
            MsgAction::Burst { count: 500, over_ms: 1_000 },
        ];
        let log: Vec<_> = acts
            .iter()
            .enumerate()
            .map(|(i, a)| LoggedAction { at_ms: 1_000 * i as u64, events: 100 * i as u64, action: a.clone() })
            .collect();
        let text = log_to_query(&log);
        expect_test::expect![
            "0~0~c0-3000_rs~2s~s12-10-5000_1jk~5k~s1-2.5-100_2bc~8c~b2000_334~b4~o3000_3uw~dw~p3000_4mo~go~l500-1000"
        ]
        .assert_eq(&text);
        assert!(text.chars().all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c)), "{text}");
        assert_eq!(log_from_query(&text), Ok(log));
        for bad in ["x1", "c", "c1", "c1-x", "s1-2", "s1-inf-3", "s1-NaN-3", "b", "b1-2", "ox", "l5", "l-5"] {
            assert_eq!(parse_action_code(bad), None, "{bad}");
        }
        let e = log_from_query("0~0~c0-3000_zz").unwrap_err();
        assert!(e.starts_with("action 1 \"zz\" is not understood"), "{e}");
    }

    #[test]
    fn refused_actions_name_the_value_and_change_nothing() {
        let sc = page_run("steady", PatternId::SimpleQueue, 0).unwrap().scenario;
        let mut r = rewind(&sc, 1, TEST_EPOCH, None).unwrap();
        r.seek(Seek::Time(1_000));
        let digest = r.digest();
        for (a, msg) in [
            (
                fault(Fault::Crash { consumer: 9, at_ms: 0, down_ms: 1_000 }),
                "names consumer 9, but there are 3 consumers",
            ),
            (
                fault(Fault::Slow { consumer: 0, at_ms: 0, factor: f64::NAN, for_ms: 1_000 }),
                "faults[].factor = NaN is out of range",
            ),
            (MsgAction::Burst { count: 0, over_ms: 1_000 }, "burst.count"),
            (MsgAction::Burst { count: 9_000, over_ms: 1_000 }, "burst.count"),
        ] {
            let e = r.act(a).unwrap_err().to_string();
            assert!(e.contains(msg), "{e}");
        }
        assert_eq!((r.digest(), r.actions().len()), (digest, 0));
    }

    /// A crash pressed on the page is a fault mark; the messages the crashed reliable-queue
    /// worker held come back (redelivery marks); rewinding before the crash gives the run without
    /// it, and at the end the same counts as `MessagingRun` with the same button at the same time.
    #[test]
    fn a_crash_marks_the_fault_and_the_redeliveries_and_rewinds_exactly() {
        let sc = page_run("steady", PatternId::ReliableQueue, 0).unwrap().scenario;
        let end = MessagingModel::default_end_ms(&sc);
        let mut r = rewind(&sc, 3, TEST_EPOCH, Some((100, 100))).unwrap();
        r.seek(Seek::Time(2_000));
        r.act(fault(Fault::Crash { consumer: 0, at_ms: 0, down_ms: 3_000 })).unwrap();
        r.seek(Seek::Time(end));
        let kinds: Vec<(NotableKind, &str)> = r.marks().iter().map(|m| (m.kind, m.label.as_str())).collect();
        assert_eq!(kinds.first(), Some(&(NotableKind::Fault, "consumer 0 crashes (3000 ms down)")), "{kinds:?}");
        assert_eq!(r.marks()[0].at.at_ms, 2_000);
        assert!(kinds.iter().any(|(k, l)| *k == NotableKind::Failover && l.contains("redelivered")), "{kinds:?}");
        let report = r.model().report();
        // Back before the crash: the same run as one without it.
        r.seek(Seek::Time(1_500));
        assert_eq!(r.applied(), 0, "back at 1.5 s, before the logged crash");
        let mut plain = rewind(&sc, 3, TEST_EPOCH, None).unwrap();
        plain.seek(Seek::Time(1_500));
        assert_eq!(r.digest(), plain.digest());
        r.seek(Seek::Time(end));
        assert_eq!(r.model().report(), report);
        let mut straight = MessagingRun::new(sc, 3, "x").unwrap();
        straight.advance(TEST_EPOCH.saturating_add(crate::sim::SimDuration::from_millis(2_000)), u64::MAX);
        straight.inject(Fault::Crash { consumer: 0, at_ms: 0, down_ms: 3_000 }).unwrap();
        let e = straight.end();
        straight.advance(e, u64::MAX);
        assert_eq!(straight.report(), report);
        assert_eq!(straight.events(), r.cursor().events);
    }

    /// The compared run follows the lead's clock and actions: after any moves of the lead (a
    /// crash logged, a rewind before it, a new branch with a partition instead) the follower is
    /// the run of its own pattern with the lead's applied actions at the same times.
    #[test]
    fn the_compared_run_follows_the_lead_through_rewinds_and_branches() {
        let sc = page_run("steady", PatternId::SimpleQueue, 0).unwrap().scenario;
        let other = crate::messaging::same_workload(&sc, PatternId::ReliableQueue);
        let fresh = || rewind(&other, 5, TEST_EPOCH, None).unwrap();
        let mut lead = rewind(&sc, 5, TEST_EPOCH, None).unwrap();
        let mut f = fresh();
        let check = |lead: &MessagingRewind, f: &MessagingRewind| {
            let mut oracle = fresh();
            for a in &lead.actions()[..lead.applied()] {
                oracle.seek(Seek::Time(a.at_ms));
                oracle.act(a.action.clone()).unwrap();
            }
            oracle.seek(Seek::Time(lead.cursor().at_ms));
            assert_eq!(f.cursor().at_ms, lead.cursor().at_ms);
            assert_eq!(f.digest(), oracle.digest(), "at {} ms", lead.cursor().at_ms);
        };
        lead.seek(Seek::Time(2_000));
        lead.act(fault(Fault::Crash { consumer: 1, at_ms: 0, down_ms: 2_000 })).unwrap();
        lead.seek(Seek::Time(5_000));
        assert!(follow(&lead, &mut f, fresh));
        check(&lead, &f);
        lead.seek(Seek::Time(1_000));
        assert!(follow(&lead, &mut f, fresh));
        check(&lead, &f);
        lead.seek(Seek::Time(6_000));
        assert!(follow(&lead, &mut f, fresh));
        check(&lead, &f);
        lead.seek(Seek::Time(1_500));
        lead.act(fault(Fault::Partition { at_ms: 0, for_ms: 1_000 })).unwrap();
        lead.seek(Seek::Time(4_000));
        assert!(follow(&lead, &mut f, fresh));
        check(&lead, &f);
        assert_eq!(f.actions().len(), 1);
    }
}
