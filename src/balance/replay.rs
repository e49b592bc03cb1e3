//! Load balancing on rewind: [`LbModel`] as a [`Rewindable`] model whose user actions are the
//! page's per-server buttons and the scenario's own kind of fleet change ([`Action`]: down, slow,
//! recover, pinned latency, a new server), and whose notable events are faults (a server's true
//! state changes) and failovers (the balancer takes a server out of rotation, or back in); and as a
//! [`ReplayModel`] (model id `lb`, scenario [`Scenario`]: the run's whole definition, its seed
//! replaced by the replay's). Also the action log's compact URL text (`a=7ps~2bk~d1`, see
//! [`log_to_query`]).
//!
//! Never reads a clock.

use super::model::LbModel;
use super::scenario::{Action, Scenario, ServerConfig, ServerState};
use super::LbRun;
pub use crate::sim::replay::{log_from_query, log_to_query};
use crate::sim::replay::{ActionCodec, Replay, ReplayModel, RunUrl};
#[cfg(test)]
use crate::sim::rewind::LoggedAction;
use crate::sim::rewind::{Notable, NotableKind, Rewind, RewindConfig, Rewindable};
use crate::sim::{Ctx, SimTime, Simulation};

/// A rewindable load-balancing run.
pub type LbRewind = Rewind<LbModel>;
/// A load-balancing replay file.
pub type LbReplay = Replay<Scenario, Action>;

/// The largest weight a server may be given (the scenario editor's bound).
pub const MAX_WEIGHT: u32 = 1_000;

/// How long after the arrivals stop `sim replay` runs a replay without a cursor. A run ends by
/// itself once the last request has finished (the clock then stays put); this is only the bound.
pub const DRAIN_MS: u64 = 60_000;

/// How the load-balancing page keeps its rewind: the default spacing and count, and at most
/// [`PAGE_SNAPSHOT_BYTES`] in snapshots. Each snapshot is a whole model (nothing is shared between
/// them), most of it histograms: a 20-server fleet weighs about 1.3 MB, so 128 of them held 150 MB.
pub fn page_rewind_config() -> RewindConfig {
    RewindConfig { max_snapshot_bytes: PAGE_SNAPSHOT_BYTES, ..RewindConfig::default() }
}

/// The load-balancing page's cap on what its rewind snapshots hold (as [`LbModel`] weighs them).
pub const PAGE_SNAPSHOT_BYTES: usize = 32 << 20;

fn state_word(s: ServerState) -> &'static str {
    match s {
        ServerState::Up => "up",
        ServerState::Down => "down",
        ServerState::Slow => "slow",
    }
}

impl Rewindable for LbModel {
    type Action = Action;

    fn apply(&mut self, ctx: &mut Ctx<'_, Self::Event>, action: &Action) -> Result<(), String> {
        let n = self.server_count();
        match action {
            Action::SetState { server, .. }
            | Action::PinLatency { server, .. }
            | Action::Unpin { server }
            | Action::SetWeight { server, .. }
                if *server >= n =>
            {
                return Err(format!("server {server} does not exist; the fleet has servers 0 to {}", n - 1));
            }
            Action::SetWeight { server, weight } => {
                if *weight > MAX_WEIGHT {
                    return Err(format!(
                        "weight {weight} is not accepted; a weight is a whole number from 0 to {MAX_WEIGHT}"
                    ));
                }
                if *weight == 0 && self.server_weights().enumerate().all(|(i, w)| i == *server || w == 0) {
                    return Err(format!(
                        "weight 0 for server {server} would leave no server with a positive weight; keep at least one above 0"
                    ));
                }
            }
            Action::AddServer { config } => {
                let most = self.scenario().max_servers().max(self.scenario().servers.len());
                if n >= most {
                    return Err(format!(
                        "the fleet already has {n} servers, the most this scenario's balancer was built for ({most})"
                    ));
                }
                check_server(config)?;
            }
            _ => {}
        }
        LbModel::apply(self, ctx, action.clone());
        self.finish_if_drained(ctx);
        Ok(())
    }

    /// The whole model: its clones share nothing ([`LbModel::heap_bytes`]).
    fn snapshot_bytes(&self, _other: Option<&Self>) -> usize {
        self.heap_bytes()
    }

    fn drain_notable(&mut self, _now: SimTime, out: &mut Vec<Notable>) {
        let now: Vec<(ServerState, bool)> = self.server_states().collect();
        for (i, &(state, up)) in now.iter().enumerate() {
            let (was_state, was_up) = self.notable_seen.get(i).copied().unwrap_or((ServerState::Up, true));
            if state != was_state {
                out.push(Notable { kind: NotableKind::Fault, label: format!("server {i} is {}", state_word(state)) });
            }
            if up != was_up {
                let label = if up {
                    format!("server {i} back in rotation")
                } else {
                    format!("server {i} taken out of rotation")
                };
                out.push(Notable { kind: NotableKind::Failover, label });
            }
        }
        self.notable_seen = now;
    }
}

fn check_server(c: &ServerConfig) -> Result<(), String> {
    let probe = Scenario { servers: vec![c.clone()], events: Vec::new(), ..Scenario::default() };
    probe.validate().map_err(|e| format!("the new server: {e}"))
}

impl ReplayModel for LbModel {
    const ID: &'static str = "lb";
    type Scenario = Scenario;

    fn build(scenario: &Scenario, seed: u64, epoch: SimTime) -> Result<Simulation<Self>, String> {
        let sc = Scenario { seed, ..scenario.clone() };
        LbRun::with_epoch(&sc, epoch).map(LbRun::into_simulation).map_err(|e| e.to_string())
    }

    fn default_end_ms(scenario: &Scenario) -> u64 {
        scenario.duration_ms.saturating_add(DRAIN_MS)
    }
}

fn state_letter(s: ServerState) -> char {
    match s {
        ServerState::Up => 'u',
        ServerState::Down => 'd',
        ServerState::Slow => 's',
    }
}

/// One action's short code: `d1` server 1 down, `s1` slow, `u1` up (recover), `p1-250` latency
/// pinned at 250 ms, `n1` unpinned, `w1-5` weight 5, `a2-8-64-1-10-u` a new server (weight, concurrency, queue
/// limit, speed, slow factor, state).
pub fn action_code(a: &Action) -> String {
    match a {
        Action::SetState { server, state } => format!("{}{server}", state_letter(*state)),
        Action::PinLatency { server, latency_ms } => format!("p{server}-{latency_ms}"),
        Action::Unpin { server } => format!("n{server}"),
        Action::SetWeight { server, weight } => format!("w{server}-{weight}"),
        Action::AddServer { config: c } => format!(
            "a{}-{}-{}-{}-{}-{}",
            c.weight,
            c.concurrency,
            c.queue_limit,
            c.speed,
            c.slow_factor,
            state_letter(c.state)
        ),
    }
}

fn parse_state(c: &str) -> Option<ServerState> {
    match c {
        "u" => Some(ServerState::Up),
        "d" => Some(ServerState::Down),
        "s" => Some(ServerState::Slow),
        _ => None,
    }
}

/// Reads [`action_code`]'s text back (values are checked when the action is applied).
pub fn parse_action_code(code: &str) -> Option<Action> {
    let kind = code.get(..1)?;
    let rest = &code[1..];
    let finite = |s: &str| s.parse::<f64>().ok().filter(|v| v.is_finite());
    match kind {
        "u" | "d" | "s" => Some(Action::SetState { server: rest.parse().ok()?, state: parse_state(kind)? }),
        "p" => {
            let (server, ms) = rest.split_once('-')?;
            Some(Action::PinLatency { server: server.parse().ok()?, latency_ms: ms.parse().ok()? })
        }
        "n" => Some(Action::Unpin { server: rest.parse().ok()? }),
        "w" => {
            let (server, weight) = rest.split_once('-')?;
            Some(Action::SetWeight { server: server.parse().ok()?, weight: weight.parse().ok()? })
        }
        "a" => {
            let p: Vec<&str> = rest.split('-').collect();
            let [w, c, q, speed, slow, state] = p.as_slice() else {
                return None;
            };
            Some(Action::AddServer {
                config: ServerConfig {
                    weight: w.parse().ok()?,
                    concurrency: c.parse().ok()?,
                    queue_limit: q.parse().ok()?,
                    speed: finite(speed)?,
                    slow_factor: finite(slow)?,
                    state: parse_state(state)?,
                },
            })
        }
        _ => None,
    }
}

/// The actions' URL codes ([`action_code`], [`parse_action_code`]): the action log's text
/// ([`log_to_query`]) and the run's URL pairs are the shared ones in [`crate::sim::replay`].
impl ActionCodec for Action {
    const EXAMPLE: &'static str = "7ps~2bk~d1";
    fn encode(&self) -> String {
        action_code(self)
    }
    fn decode(code: &str) -> Option<Self> {
        parse_action_code(code)
    }
}

/// A load-balancing run's replay in the page's URL (`a`, `t`, `ev`, `epoch`).
pub type LbRunUrl = RunUrl<Action>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::balance::preset;
    use crate::sim::rewind::Seek;
    use crate::sim::TEST_EPOCH;

    fn dies() -> Scenario {
        preset("server-dies-health").unwrap()
    }

    #[test]
    fn actions_round_trip_through_their_codes_and_bad_ones_are_named() {
        let log = vec![
            LoggedAction {
                at_ms: 10_000,
                events: 3_000,
                action: Action::SetState { server: 1, state: ServerState::Down },
            },
            LoggedAction { at_ms: 11_000, events: 3_400, action: Action::PinLatency { server: 0, latency_ms: 250 } },
            LoggedAction { at_ms: 12_000, events: 3_900, action: Action::Unpin { server: 0 } },
            LoggedAction {
                at_ms: 13_000,
                events: 4_000,
                action: Action::SetState { server: 2, state: ServerState::Slow },
            },
            LoggedAction {
                at_ms: 14_000,
                events: 4_100,
                action: Action::AddServer { config: ServerConfig { speed: 1.5, ..ServerConfig::default() } },
            },
            LoggedAction { at_ms: 15_000, events: 4_200, action: Action::SetWeight { server: 3, weight: 25 } },
        ];
        let text = log_to_query(&log);
        expect_test::expect!["7ps~2bc~d1_8hk~2mg~p0-250_99c~30c~n0_a14~334~s2_asw~35w~a1-8-64-1.5-10-u_bko~38o~w3-25"]
            .assert_eq(&text);
        assert!(text.chars().all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c)), "{text}");
        assert_eq!(log_from_query(&text), Ok(log));
        for bad in ["x1", "d", "dx", "p1", "p1-x", "w1", "w1-x", "w-3", "a1-2-3", "a1-2-3-inf-1-u", "a1-2-3-1-1-z", ""]
        {
            assert_eq!(parse_action_code(bad), None, "{bad}");
        }
        assert_eq!(
            log_from_query::<Action>("7ps~2bc~q1"),
            Err("action 0 \"7ps~2bc~q1\" is not understood; expected time~events~code, like 7ps~2bk~d1".into())
        );
    }

    #[test]
    fn refused_actions_name_the_value_and_change_nothing() {
        let mut r = LbRewind::new(LbModel::build(&dies(), 1, TEST_EPOCH).unwrap());
        r.seek(Seek::Time(1_000));
        let digest = r.digest();
        let e = r.act(Action::SetState { server: 9, state: ServerState::Down }).unwrap_err().to_string();
        assert_eq!(e, "server 9 does not exist; the fleet has servers 0 to 3");
        let e = r.act(Action::AddServer { config: ServerConfig::default() }).unwrap_err().to_string();
        assert!(e.contains("already has 4 servers"), "{e}");
        let e = r.act(Action::SetWeight { server: 0, weight: 1_001 }).unwrap_err().to_string();
        assert_eq!(e, "weight 1001 is not accepted; a weight is a whole number from 0 to 1000");
        for server in 0..3 {
            r.act(Action::SetWeight { server, weight: 0 }).unwrap();
        }
        let e = r.act(Action::SetWeight { server: 3, weight: 0 }).unwrap_err().to_string();
        assert!(e.starts_with("weight 0 for server 3 would leave no server with a positive weight"), "{e}");
        assert_eq!(r.actions().len(), 3);
        r.seek(Seek::Time(0));
        r.act(Action::SetState { server: 0, state: ServerState::Down }).unwrap();
        assert_eq!(r.actions().len(), 1);
        let mut fresh = LbRewind::new(LbModel::build(&dies(), 1, TEST_EPOCH).unwrap());
        fresh.seek(Seek::Time(1_000));
        assert_eq!(fresh.digest(), digest, "refused actions changed nothing");
    }

    /// The page's weight action on nginx's smooth weighted round robin: applied at the cursor,
    /// the peer gets nginx's fresh state (weight = effective weight = the new weight, current
    /// weight 0), the balancer follows the new weight from then on, and rewinding before the
    /// change and playing forward replays it to the same table and digest.
    #[test]
    fn a_mid_run_weight_change_is_logged_applied_at_the_cursor_and_replayed_exactly() {
        let sc = Scenario {
            algorithm: crate::balance::AlgorithmId::SmoothWrr,
            events: Vec::new(),
            servers: vec![ServerConfig { weight: 1, ..ServerConfig::default() }; 3],
            ..dies()
        };
        let mut r = LbRewind::new(LbModel::build(&sc, 5, TEST_EPOCH).unwrap());
        r.seek(Seek::Time(3_000));
        let before: Vec<u64> = r.model().metrics.servers.iter().map(|s| s.requests).collect();
        r.act(Action::SetWeight { server: 2, weight: 6 }).unwrap();
        let row = r.model().balancer().snapshot().server(2);
        assert_eq!(row, [("weight", 6.0), ("effective weight", 6.0), ("current weight", 0.0)]);
        assert_eq!(r.model().server_snapshots(r.sim().now())[2].configured_weight, 6);
        r.seek(Seek::Time(8_000));
        let after: Vec<u64> = r.model().metrics.servers.iter().map(|s| s.requests).collect();
        let gained: Vec<u64> = after.iter().zip(&before).map(|(a, b)| a - b).collect();
        // 6:1:1 from the change on (health checks keep every server up here).
        assert!(gained[2] >= 5 * gained[0].max(gained[1]), "{gained:?}");
        let (digest, table) = (r.digest(), r.model().balancer().snapshot());
        r.seek(Seek::Time(2_000));
        assert_eq!(r.model().balancer().snapshot().server(2)[0], ("weight", 1.0));
        r.seek(Seek::Time(8_000));
        assert_eq!((r.digest(), r.model().balancer().snapshot()), (digest, table));
        let code = log_to_query(r.actions());
        assert!(code.ends_with("~w2-6"), "{code}");
    }

    #[test]
    fn a_kill_is_a_fault_mark_and_rewinding_before_it_undoes_it() {
        // The preset without its scripted events: the user kills server 2 at 5 s.
        let sc = Scenario { events: Vec::new(), ..dies() };
        let mut r = LbRewind::new(LbModel::build(&sc, 3, TEST_EPOCH).unwrap());
        r.seek(Seek::Time(5_000));
        r.act(Action::SetState { server: 2, state: ServerState::Down }).unwrap();
        r.seek(Seek::Time(12_000));
        let kinds: Vec<_> = r.marks().iter().map(|m| (m.kind, m.label.as_str())).collect();
        assert_eq!(
            kinds,
            [(NotableKind::Fault, "server 2 is down"), (NotableKind::Failover, "server 2 taken out of rotation")]
        );
        assert_eq!(r.marks()[0].at.at_ms, 5_000);
        let killed = r.model().metrics.errors();
        assert!(killed > 0, "the crash loses requests");
        // Back before the kill: the run is the one that never had it.
        r.seek(Seek::Time(4_000));
        let mut plain = LbRewind::new(LbModel::build(&sc, 3, TEST_EPOCH).unwrap());
        plain.seek(Seek::Time(4_000));
        assert_eq!(r.digest(), plain.digest());
        // A different kill branches: server 0 instead, the old future is cut.
        let b = r.act(Action::SetState { server: 0, state: ServerState::Down }).unwrap().expect("a new branch");
        assert_eq!((b.actions_dropped, b.horizon_ms), (1, 12_000));
        r.seek(Seek::Time(12_000));
        assert_eq!(r.model().server_snapshots(r.sim().now())[0].state, ServerState::Down);
        assert_eq!(r.model().server_snapshots(r.sim().now())[2].state, ServerState::Up);
    }

    #[test]
    fn a_finished_run_stays_finished_and_seeks_within_it() {
        let sc = Scenario { duration_ms: 2_000, ..dies() };
        let end = LbModel::default_end_ms(&sc);
        let mut r = LbRewind::new(LbModel::build(&sc, 5, TEST_EPOCH).unwrap());
        r.set_finite(true);
        r.seek(Seek::Time(end));
        let at = r.cursor();
        let mut straight = LbRun::new(&Scenario { seed: 5, ..sc.clone() }).unwrap();
        straight.run_to_end();
        // The clock stays at the last event, however far past it the seek asked for.
        assert_eq!((at.events, at.at_ms), (straight.events(), straight.elapsed().as_millis()));
        assert!(r.is_idle() && at.at_ms < end);
        r.seek(Seek::Time(1_000));
        assert!(!r.is_idle());
        r.seek(Seek::Time(end));
        assert_eq!(r.cursor(), at);
        // Acting after the end happens at the last event's time.
        r.act(Action::SetState { server: 0, state: ServerState::Down }).unwrap();
        assert_eq!(r.actions()[0].at_ms, at.at_ms);
    }
}
