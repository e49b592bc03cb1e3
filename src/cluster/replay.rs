//! The cluster on rewind: [`ClusterSim`] as a [`Rewindable`] model whose user actions are the
//! page's fault buttons and the lines typed at its `redis-cli -c` ([`ClusterAction`]), and whose
//! notable events are what a user jumps to: a fault (kill, restart, partition, heal, latency —
//! scripted or clicked), PFAIL and FAIL, a promotion (failover), acknowledged writes counted lost
//! (harm), a resharding started and a MOVED storm (handover). And as a [`ReplayModel`] (model id
//! `cluster`, scenario [`Scenario`]), with the action log's compact URL text
//! (`7ps~2bk~k0_8hk~2mg~cSET.foo.bar`, see [`action_code`]).
//!
//! Never reads a clock.

use super::cli::MAX_LINE;
use super::config::NodeIdx;
use super::runtime::{ClusterRun, ClusterSim, Ev};
use super::scenario::{Action, FailoverMode, Scenario};
pub use crate::sim::replay::{log_from_query, log_to_query, read_run_url, run_url_pairs};
use crate::sim::replay::{ActionCodec, Replay, ReplayModel, RunUrl};
#[cfg(test)]
use crate::sim::rewind::LoggedAction;
use crate::sim::rewind::{Notable, Rewind, RewindConfig, Rewindable};
use crate::sim::{Ctx, SimTime, Simulation};
use serde::{Deserialize, Serialize};

/// A rewindable cluster run.
pub type ClusterRewind = Rewind<ClusterSim>;
/// A cluster replay file.
pub type ClusterReplay = Replay<Scenario, ClusterAction>;

/// The most extra latency the page's fault form accepts (ms).
pub const MAX_LATENCY_MS: u64 = 5_000;

/// How the cluster page keeps its rewind: the default spacing and count, and at most
/// [`PAGE_SNAPSHOT_BYTES`] in snapshots. Each snapshot is the whole world (six nodes' slot tables,
/// stores and backlogs, the clients' slot tables, the workload's writes), about 2 MB at the start
/// and more as the writes accumulate, so 128 of them held 260 MB.
pub fn page_rewind_config() -> RewindConfig {
    RewindConfig { max_snapshot_bytes: PAGE_SNAPSHOT_BYTES, ..RewindConfig::default() }
}

/// The cluster page's cap on what its rewind snapshots hold (as [`ClusterSim`] weighs them).
pub const PAGE_SNAPSHOT_BYTES: usize = 32 << 20;

/// What a user does to a cluster run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClusterAction {
    /// A fault or operation (the page's buttons).
    Op(Action),
    /// A line typed at the page's `redis-cli -c` prompt.
    Cli(String),
}

impl ClusterSim {
    /// Why `a` cannot be done to this cluster now, if it cannot.
    pub fn check_action(&self, a: &Action) -> Result<(), String> {
        let n = self.nodes();
        let apps = self.clients.len();
        let node = |i: NodeIdx| {
            if i < n {
                Ok(())
            } else {
                Err(format!("node {i} does not exist; the cluster has nodes 0 to {}", n - 1))
            }
        };
        match a {
            Action::Kill { node: i } | Action::Restart { node: i } | Action::Failover { node: i, .. } => node(*i),
            Action::Latency { node: i, ms } => {
                node(*i)?;
                if *ms > MAX_LATENCY_MS {
                    return Err(format!("latency {ms} ms is not accepted: enter 0 to {MAX_LATENCY_MS} ms"));
                }
                Ok(())
            }
            Action::Partition { nodes, clients } => {
                if nodes.is_empty() && clients.is_empty() {
                    return Err("a partition needs at least one node or application on its side".into());
                }
                nodes.iter().try_for_each(|&i| node(i))?;
                match clients.iter().find(|&&c| c >= apps) {
                    Some(c) => Err(format!("application {} does not exist; there are {apps}", c + 1)),
                    None => Ok(()),
                }
            }
            Action::Heal => Ok(()),
            Action::Reshard { from, to, slots } => {
                node(*from)?;
                node(*to)?;
                if from == to {
                    return Err("resharding needs two different nodes".into());
                }
                if !(1..=16384).contains(slots) {
                    return Err(format!("slots to move {slots} is not accepted: enter 1 to 16384"));
                }
                Ok(())
            }
        }
    }
}

impl Rewindable for ClusterSim {
    type Action = ClusterAction;

    /// The whole world: its clones share nothing ([`ClusterSim::heap_bytes`]).
    fn snapshot_bytes(&self, _other: Option<&Self>) -> usize {
        self.heap_bytes()
    }

    fn apply(&mut self, ctx: &mut Ctx<'_, Ev>, action: &ClusterAction) -> Result<(), String> {
        match action {
            ClusterAction::Op(a) => {
                self.check_action(a)?;
                self.notice_action(a);
                ClusterSim::apply(self, ctx, a.clone());
            }
            ClusterAction::Cli(line) => {
                if line.len() > MAX_LINE {
                    return Err(format!("the line is {} bytes; redis-cli here takes at most {MAX_LINE}", line.len()));
                }
                if line.contains(['\n', '\r']) {
                    return Err("type one command per line".into());
                }
                self.cli_line(ctx, line);
            }
        }
        Ok(())
    }

    fn drain_notable(&mut self, _now: SimTime, out: &mut Vec<Notable>) {
        out.append(&mut self.notable);
    }
}

impl ReplayModel for ClusterSim {
    const ID: &'static str = "cluster";
    type Scenario = Scenario;

    fn build(scenario: &Scenario, seed: u64, epoch: SimTime) -> Result<Simulation<Self>, String> {
        ClusterRun::new_at(scenario.clone(), seed, epoch).map(|r| r.sim).map_err(|e| e.to_string())
    }

    fn default_end_ms(scenario: &Scenario) -> u64 {
        scenario.duration_ms
    }
}

/// A fresh rewindable run of `scenario`. Nothing happens after the scenario's end (events then
/// land nowhere), but timers set before it still fire, so callers cap their seeks at the end as
/// [`ClusterRun`] does.
pub fn rewind(scenario: &Scenario, seed: u64, epoch: SimTime) -> Result<ClusterRewind, String> {
    Ok(Rewind::new(ClusterSim::build(scenario, seed, epoch)?))
}

fn list(v: &[usize]) -> String {
    v.iter().map(usize::to_string).collect::<Vec<_>>().join(".")
}

fn parse_list(s: &str) -> Option<Vec<usize>> {
    if s.is_empty() {
        return Some(Vec::new());
    }
    s.split('.').map(|x| x.parse().ok()).collect()
}

/// A typed line in URL-safe letters: `[A-Za-z0-9]` as they are, a space as `.`, any other byte
/// as `-` and two hex digits.
fn escape_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for b in line.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => out.push(b as char),
            b' ' => out.push('.'),
            _ => out.push_str(&format!("-{b:02x}")),
        }
    }
    out
}

fn unescape_line(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'.' => out.push(b' '),
            b'-' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            c if c.is_ascii_alphanumeric() => out.push(c),
            _ => return None,
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// One action's short code: `k0` kill node 0, `r0` restart, `p0.4-1` partition nodes 0 and 4
/// with application 1 (0-based), `h` heal, `l2-200` +200 ms on node 2, `m0-1-1000` reshard 1000
/// slots from 0 to 1, `f3-d` CLUSTER FAILOVER on 3 (`d`, `f`orce, `t`akeover), `c…` a typed line.
pub fn action_code(a: &ClusterAction) -> String {
    match a {
        ClusterAction::Op(op) => match op {
            Action::Kill { node } => format!("k{node}"),
            Action::Restart { node } => format!("r{node}"),
            Action::Partition { nodes, clients } => format!("p{}-{}", list(nodes), list(clients)),
            Action::Heal => "h".into(),
            Action::Latency { node, ms } => format!("l{node}-{ms}"),
            Action::Reshard { from, to, slots } => format!("m{from}-{to}-{slots}"),
            Action::Failover { node, mode } => format!(
                "f{node}-{}",
                match mode {
                    FailoverMode::Default => 'd',
                    FailoverMode::Force => 'f',
                    FailoverMode::Takeover => 't',
                }
            ),
        },
        ClusterAction::Cli(line) => format!("c{}", escape_line(line)),
    }
}

/// Reads [`action_code`]'s text back (values are checked when the action is applied).
pub fn parse_action_code(code: &str) -> Option<ClusterAction> {
    let kind = code.get(..1)?;
    let rest = &code[1..];
    let op = match kind {
        "k" => Action::Kill { node: rest.parse().ok()? },
        "r" => Action::Restart { node: rest.parse().ok()? },
        "p" => {
            let (nodes, clients) = rest.split_once('-')?;
            Action::Partition { nodes: parse_list(nodes)?, clients: parse_list(clients)? }
        }
        "h" if rest.is_empty() => Action::Heal,
        "l" => {
            let (node, ms) = rest.split_once('-')?;
            Action::Latency { node: node.parse().ok()?, ms: ms.parse().ok()? }
        }
        "m" => {
            let mut p = rest.split('-');
            let (from, to, slots) = (p.next()?, p.next()?, p.next()?);
            if p.next().is_some() {
                return None;
            }
            Action::Reshard { from: from.parse().ok()?, to: to.parse().ok()?, slots: slots.parse().ok()? }
        }
        "f" => {
            let (node, mode) = rest.split_once('-')?;
            let mode = match mode {
                "d" => FailoverMode::Default,
                "f" => FailoverMode::Force,
                "t" => FailoverMode::Takeover,
                _ => return None,
            };
            Action::Failover { node: node.parse().ok()?, mode }
        }
        "c" => return unescape_line(rest).map(ClusterAction::Cli),
        _ => return None,
    };
    Some(ClusterAction::Op(op))
}

/// The actions' URL codes ([`action_code`], [`parse_action_code`]): the action log's text
/// ([`log_to_query`]) and the run's URL pairs are the shared ones in [`crate::sim::replay`].
impl ActionCodec for ClusterAction {
    const EXAMPLE: &'static str = "7ps~2bk~k0";
    fn encode(&self) -> String {
        action_code(self)
    }
    fn decode(code: &str) -> Option<Self> {
        parse_action_code(code)
    }
}

/// A cluster run's replay in the page's URL (`a`, `t`, `ev`, `epoch`).
pub type ClusterRunUrl = RunUrl<ClusterAction>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::scenario::preset;
    use crate::sim::rewind::{NotableKind, Seek};
    use crate::sim::TEST_EPOCH;

    fn op(a: Action) -> ClusterAction {
        ClusterAction::Op(a)
    }

    #[test]
    fn actions_round_trip_through_their_codes_and_bad_ones_are_named() {
        let acts = [
            op(Action::Kill { node: 0 }),
            op(Action::Restart { node: 12 }),
            op(Action::Partition { nodes: vec![0, 4], clients: vec![1] }),
            op(Action::Partition { nodes: vec![], clients: vec![0] }),
            op(Action::Heal),
            op(Action::Latency { node: 2, ms: 200 }),
            op(Action::Reshard { from: 0, to: 1, slots: 1000 }),
            op(Action::Failover { node: 3, mode: FailoverMode::Force }),
            ClusterAction::Cli("SET foo bar".into()),
            ClusterAction::Cli("set {user1000}.following \"a b\" ~_-. é".into()),
        ];
        let log: Vec<_> = acts
            .iter()
            .enumerate()
            .map(|(i, a)| LoggedAction { at_ms: 1_000 * i as u64, events: 100 * i as u64, action: a.clone() })
            .collect();
        let text = log_to_query(&log);
        expect_test::expect!["0~0~k0_rs~2s~r12_1jk~5k~p0.4-1_2bc~8c~p-0_334~b4~h_3uw~dw~l2-200_4mo~go~m0-1-1000_5eg~jg~f3-f_668~m8~cSET.foo.bar_6y0~p0~cset.-7buser1000-7d-2efollowing.-22a.b-22.-7e-5f-2d-2e.-c3-a9"]
            .assert_eq(&text);
        assert!(text.chars().all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c)), "{text}");
        assert_eq!(log_from_query(&text), Ok(log));
        for bad in ["x1", "k", "kx", "p1", "p1-x", "h1", "l1", "m1-2", "m1-2-3-4", "f1-z", "c-zz", "c-4", "c%"] {
            assert_eq!(parse_action_code(bad), None, "{bad}");
        }
    }

    #[test]
    fn refused_actions_name_the_value_and_change_nothing() {
        let mut r = rewind(&preset("steady").unwrap(), 1, TEST_EPOCH).unwrap();
        r.seek(Seek::Time(1_000));
        let digest = r.digest();
        for (a, msg) in [
            (op(Action::Kill { node: 6 }), "node 6 does not exist; the cluster has nodes 0 to 5"),
            (op(Action::Partition { nodes: vec![], clients: vec![] }), "a partition needs at least one node"),
            (op(Action::Partition { nodes: vec![1], clients: vec![5] }), "application 6 does not exist; there are"),
            (op(Action::Latency { node: 1, ms: 9_000 }), "latency 9000 ms is not accepted: enter 0 to 5000 ms"),
            (op(Action::Reshard { from: 1, to: 1, slots: 5 }), "resharding needs two different nodes"),
            (op(Action::Reshard { from: 1, to: 2, slots: 0 }), "slots to move 0 is not accepted"),
            (ClusterAction::Cli("x".repeat(5_000)), "the line is 5000 bytes"),
        ] {
            let e = r.act(a).unwrap_err().to_string();
            assert!(e.starts_with(msg), "{e}");
        }
        assert_eq!((r.digest(), r.actions().len()), (digest, 0));
    }

    /// The failover preset's marks: the kill, a PFAIL, the FAIL, the promotion, the restart; a
    /// typed SET is part of the run: rewinding before it takes it (and its transcript line) back.
    #[test]
    fn a_failover_run_marks_what_a_user_jumps_to_and_typed_commands_rewind() {
        let sc = preset("failover").unwrap();
        let mut r = rewind(&sc, 1, TEST_EPOCH).unwrap();
        r.seek(Seek::Time(2_000));
        r.act(ClusterAction::Cli("SET foo bar".into())).unwrap();
        assert_eq!(
            r.model().transcript.back().map(|e| e.output.as_str()),
            Some("-> Redirected to slot [12182] located at 127.0.0.1:7002\nOK\n")
        );
        r.seek(Seek::Time(sc.duration_ms));
        let kinds: Vec<(NotableKind, &str)> = r.marks().iter().map(|m| (m.kind, m.label.as_str())).collect();
        let first = |k: NotableKind, p: &str| kinds.iter().position(|(kk, l)| *kk == k && l.starts_with(p));
        let kill = first(NotableKind::Fault, "kill 127.0.0.1:7000").expect("the kill");
        let pfail = first(NotableKind::Fault, "PFAIL").expect("a PFAIL");
        let fail = first(NotableKind::Fault, "FAIL").expect("a FAIL");
        let promo = first(NotableKind::Failover, "promotion").expect("a promotion");
        let restart = first(NotableKind::Fault, "restart 127.0.0.1:7000").expect("the restart");
        assert!(kill < pfail && pfail < fail && fail < promo && promo < restart, "{kinds:?}");
        assert_eq!(r.marks()[kill].at.at_ms, 10_000);
        // Back before the typed SET: no transcript, and the same run as one without it.
        r.seek(Seek::Time(1_500));
        assert!(r.model().transcript.is_empty());
        let mut plain = rewind(&sc, 1, TEST_EPOCH).unwrap();
        plain.seek(Seek::Time(1_500));
        assert_eq!(r.digest(), plain.digest());
        // At the end, the same run as `ClusterRun`'s straight one with the same typed line.
        r.seek(Seek::Time(sc.duration_ms));
        let mut straight = ClusterRun::new(sc.clone(), 1).unwrap();
        straight.run_to_ms(2_000);
        straight.sim.act(|m, ctx| m.cli_line(ctx, "SET foo bar"));
        straight.run_to_end();
        // (The digests differ only by the rewind's trace line for the logged action.)
        assert_eq!(r.cursor().events, straight.sim.processed());
        assert_eq!(r.model().metrics.totals, straight.model().metrics.totals);
        assert_eq!(r.model().transcript, straight.model().transcript);
    }

    #[test]
    fn replica_lag_marks_the_lost_writes_as_harm() {
        let sc = preset("replica-lag").unwrap();
        let mut r = rewind(&sc, 1, TEST_EPOCH).unwrap();
        r.seek(Seek::Time(sc.duration_ms));
        let harm: Vec<&str> =
            r.marks().iter().filter(|m| m.kind == NotableKind::Harm).map(|m| m.label.as_str()).collect();
        let total = r.model().ledger.lost;
        assert!(total > 0);
        assert!(harm.last().is_some_and(|l| l.ends_with(&format!("({total} in all)"))), "{harm:?}");
    }
}
