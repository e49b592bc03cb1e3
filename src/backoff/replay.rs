//! The backoff page's live contention run on rewind: [`LiveContention`] wraps one
//! [`ContentionRun`] as a kernel [`Model`] so that [`crate::sim::rewind::Rewind`] can snapshot it,
//! seek it and step it back exactly, and as a [`ReplayModel`] (model id `backoff`, scenario
//! [`ContentionParams`], the run's seed the replay's).
//!
//! One kernel event is one server-side event of the contention loop (a read or a write reaching
//! the row), scheduled at its microsecond time rounded *up* to the kernel's millisecond, so that
//! at kernel time T every contention event at or before T ms has run — what
//! `ContentionRun::advance_to_ms(T)` does. Only one such event is queued at a time, so the
//! kernel's order is the loop's (time, then client). When the last client succeeds, a `Finish`
//! event at its reply's millisecond ends the run there (the page plays it as a run that ends).
//!
//! User actions ([`LiveAction`]): more clients join now, an outside writer bumps the row's version,
//! every client switches its backoff strategy. Notable: each action (fault), a retry storm (a
//! 10 ms window in which at least a fifth of the clients, and at least three, lose their writes:
//! harm), half and then all of the clients done (handover: the row has passed through them).
//!
//! Never reads a clock.

use super::contention::{ContentionParams, ContentionRun, Strategy, MAX_CLIENTS};
pub use crate::sim::replay::{log_from_query, log_to_query, read_run_url, run_url_pairs};
use crate::sim::replay::{ActionCodec, ReplayModel, RunUrl};
#[cfg(test)]
use crate::sim::rewind::LoggedAction;
use crate::sim::rewind::{Notable, NotableKind, Rewind, Rewindable};
use crate::sim::{Ctx, EventId, Model, SimDuration, SimTime, Simulation};
use serde::{Deserialize, Serialize};

/// A rewindable live contention run.
pub type ContentionRewind = Rewind<LiveContention>;
/// A live contention run's replay file.
pub type ContentionReplay = crate::sim::replay::Replay<ContentionParams, LiveAction>;

/// The most clients one [`LiveAction::Join`] adds.
pub const MAX_JOIN: u32 = 100;
/// The window over which lost writes are counted for a retry storm.
pub const STORM_WINDOW_US: u64 = 10_000;
/// How long `sim replay` runs a replay without a cursor at most; a run ends by itself once every
/// client has written (the slowest blog runs, 200 clients without jitter, take about a minute).
pub const END_BOUND_MS: u64 = 3_600_000;

/// What a user can do to a live run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum LiveAction {
    /// `clients` more clients start now (1 to [`MAX_JOIN`]).
    Join { clients: u32 },
    /// Somebody outside the experiment writes the row: every version read before now is stale.
    OutsideWrite,
    /// Every retry from now on backs off with `strategy`.
    SwitchStrategy { strategy: Strategy },
}

/// The kernel's events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveEvent {
    /// The contention loop's next server-side event is due.
    Arrive,
    /// The last client's successful reply has arrived.
    Finish,
}

/// One live contention run on the kernel.
#[derive(Clone, Debug)]
pub struct LiveContention {
    run: ContentionRun,
    epoch: SimTime,
    /// The one queued `Arrive` (re-queued when a join brings an earlier event).
    next: Option<EventId>,
    /// Lost writes in the current storm window: (window index, count, already marked).
    storm: (u64, u32, bool),
    /// How many "clients done" milestones were marked (half, all) for the current client count.
    milestones: (u32, u8),
    notable: Vec<Notable>,
}

impl LiveContention {
    /// A fresh run of `params` (the page's: run 0 of `seed`, as `ContentionRun::seeded` makes it).
    pub fn build(params: &ContentionParams, seed: u64, epoch: SimTime) -> Result<Simulation<Self>, String> {
        let run = ContentionRun::seeded(params.clone(), seed, 0).map_err(|e| e.to_string())?;
        let model =
            LiveContention { run, epoch, next: None, storm: (0, 0, false), milestones: (0, 0), notable: Vec::new() };
        let mut sim = Simulation::new(model, epoch);
        sim.act(|m, ctx| m.requeue(ctx));
        Ok(sim)
    }

    /// The contention run (read its figures; its clock is the last event's, see [`Self::phases`]).
    pub fn run(&self) -> &ContentionRun {
        &self.run
    }

    /// Each client's phase at kernel time `now`.
    pub fn phases(&self, now: SimTime) -> Vec<super::ClientPhase> {
        self.run.phases_at(self.us(now))
    }

    fn us(&self, t: SimTime) -> u64 {
        t.saturating_since(self.epoch).0.saturating_mul(1000)
    }

    fn at_ms(&self, us: u64) -> SimTime {
        self.epoch + SimDuration(us.div_ceil(1000))
    }

    /// Queues the kernel event for the loop's next event (replacing a queued one).
    fn requeue(&mut self, ctx: &mut Ctx<'_, LiveEvent>) {
        if let Some(id) = self.next.take() {
            ctx.cancel(id);
        }
        if let Some((us, _, _)) = self.run.next_event() {
            self.next = Some(ctx.schedule_at(self.at_ms(us), LiveEvent::Arrive));
        }
    }

    fn milestone_check(&mut self) {
        let total = self.run.params().clients;
        let done = total - self.run.remaining();
        if self.milestones.0 != total {
            self.milestones = (total, 0);
        }
        while self.milestones.1 < 2 {
            let need = if self.milestones.1 == 0 { total.div_ceil(2) } else { total };
            if done < need {
                break;
            }
            let label = if self.milestones.1 == 0 {
                format!("half of the {total} clients have written")
            } else {
                format!("all {total} clients have written (row at v{})", self.run.version())
            };
            self.notable.push(Notable { kind: NotableKind::Handover, label });
            self.milestones.1 += 1;
        }
    }
}

impl Model for LiveContention {
    type Event = LiveEvent;

    fn handle(&mut self, ctx: &mut Ctx<'_, LiveEvent>, event: LiveEvent) {
        match event {
            LiveEvent::Arrive => {
                self.next = None;
                let Some((at_us, _, _)) = self.run.next_event() else { return };
                let lost_before = self.run.result().failed_writes;
                self.run.step();
                if self.run.result().failed_writes > lost_before {
                    let window = at_us / STORM_WINDOW_US;
                    if self.storm.0 != window {
                        self.storm = (window, 0, false);
                    }
                    self.storm.1 += 1;
                    let threshold = (self.run.params().clients / 5).max(3);
                    if self.storm.1 >= threshold && !self.storm.2 {
                        self.storm.2 = true;
                        let from = window * STORM_WINDOW_US / 1000;
                        self.notable.push(Notable {
                            kind: NotableKind::Harm,
                            label: format!("retry storm: {threshold} writes lost within {from}–{} ms", from + 10),
                        });
                    }
                }
                self.milestone_check();
                if self.run.is_done() {
                    ctx.schedule_at(self.at_ms(self.run.end_us()), LiveEvent::Finish);
                }
                self.requeue(ctx);
            }
            LiveEvent::Finish => {}
        }
    }

    fn describe(&self, event: &LiveEvent) -> (String, String) {
        match event {
            LiveEvent::Arrive => match self.run.next_event() {
                Some((us, c, write)) => {
                    let what = if write {
                        format!(
                            "write with v{} at {us} µs (row v{})",
                            self.run.clients()[c as usize].read_version,
                            self.run.version()
                        )
                    } else {
                        format!("read at {us} µs (row v{})", self.run.version())
                    };
                    (format!("c{c}"), what)
                }
                None => ("row".into(), "nothing due".into()),
            },
            LiveEvent::Finish => ("row".into(), format!("all {} clients done", self.run.params().clients)),
        }
    }
}

impl Rewindable for LiveContention {
    type Action = LiveAction;

    fn apply(&mut self, ctx: &mut Ctx<'_, LiveEvent>, action: &LiveAction) -> Result<(), String> {
        let now_us = self.us(ctx.now());
        match *action {
            LiveAction::Join { clients } => {
                let have = self.run.params().clients;
                if clients == 0 || clients > MAX_JOIN {
                    return Err(format!("{clients} clients cannot join at once: expected 1 to {MAX_JOIN}"));
                }
                if u64::from(have) + u64::from(clients) > u64::from(MAX_CLIENTS) {
                    return Err(format!("the run has {have} clients; at most {MAX_CLIENTS} in all"));
                }
                self.run.join(clients, now_us).map_err(|e| e.to_string())?;
                self.notable.push(Notable { kind: NotableKind::Fault, label: format!("{clients} clients join") });
                self.requeue(ctx);
            }
            LiveAction::OutsideWrite => {
                self.run.outside_write();
                self.notable.push(Notable {
                    kind: NotableKind::Fault,
                    label: format!("an outside write moves the row to v{}", self.run.version()),
                });
            }
            LiveAction::SwitchStrategy { strategy } => {
                if strategy == self.run.params().strategy {
                    return Err(format!("the clients already back off with {}", strategy.name()));
                }
                self.run.set_strategy(strategy);
                self.notable.push(Notable {
                    kind: NotableKind::Fault,
                    label: format!("the clients switch to {}", strategy.name()),
                });
            }
        }
        Ok(())
    }

    fn drain_notable(&mut self, _now: SimTime, out: &mut Vec<Notable>) {
        out.append(&mut self.notable);
    }
}

impl ReplayModel for LiveContention {
    const ID: &'static str = "backoff";
    type Scenario = ContentionParams;

    fn build(scenario: &ContentionParams, seed: u64, epoch: SimTime) -> Result<Simulation<Self>, String> {
        LiveContention::build(scenario, seed, epoch)
    }

    fn default_end_ms(_scenario: &ContentionParams) -> u64 {
        END_BOUND_MS
    }
}

/// One action's short code: `j10` ten clients join, `w` an outside write, `s3` switch to
/// `Strategy::ALL[3]` (full jitter).
pub fn action_code(a: &LiveAction) -> String {
    match a {
        LiveAction::Join { clients } => format!("j{clients}"),
        LiveAction::OutsideWrite => "w".into(),
        LiveAction::SwitchStrategy { strategy } => {
            format!("s{}", Strategy::ALL.iter().position(|s| s == strategy).unwrap_or(0))
        }
    }
}

/// Reads [`action_code`]'s text back (values are checked when the action is applied).
pub fn parse_action_code(code: &str) -> Option<LiveAction> {
    let rest = code.get(1..)?;
    match code.get(..1)? {
        "j" => Some(LiveAction::Join { clients: rest.parse().ok()? }),
        "w" if rest.is_empty() => Some(LiveAction::OutsideWrite),
        "s" => Some(LiveAction::SwitchStrategy { strategy: *Strategy::ALL.get(rest.parse::<usize>().ok()?)? }),
        _ => None,
    }
}

/// The actions' URL codes ([`action_code`], [`parse_action_code`]): the action log's text
/// ([`log_to_query`]) and the run's URL pairs are the shared ones in [`crate::sim::replay`].
impl ActionCodec for LiveAction {
    const EXAMPLE: &'static str = "2s~4k~j10";
    fn encode(&self) -> String {
        action_code(self)
    }
    fn decode(code: &str) -> Option<Self> {
        parse_action_code(code)
    }
}

/// A live contention run's replay in the page's URL (`a`, `t`, `ev`, `epoch`).
pub type ContentionRunUrl = RunUrl<LiveAction>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rewind::Seek;
    use crate::sim::TEST_EPOCH;

    fn params(clients: u32, strategy: Strategy) -> ContentionParams {
        ContentionParams::blog(clients, strategy)
    }

    #[test]
    fn the_kernel_run_is_the_contention_loop_event_for_event() {
        for s in Strategy::ALL {
            let p = params(30, s);
            let mut sim = LiveContention::build(&p, 5, TEST_EPOCH).unwrap();
            while sim.step() {}
            let mut straight = ContentionRun::seeded(p.clone(), 5, 0).unwrap();
            let res = straight.run_to_end();
            assert_eq!(sim.model.run().result(), res, "{s}");
            // The clock stops at the millisecond of the last reply.
            assert_eq!(sim.elapsed().0, straight.end_us().div_ceil(1000));
            // At any millisecond the phases are those of the loop advanced to it.
            let mut sim = LiveContention::build(&p, 5, TEST_EPOCH).unwrap();
            let mut loop_run = ContentionRun::seeded(p, 5, 0).unwrap();
            for t in [0u64, 9, 10, 25, 57, 140, 800] {
                sim.run_until(TEST_EPOCH + SimDuration(t));
                loop_run.advance_to_ms(t as f64);
                assert_eq!(sim.model.phases(sim.now()), loop_run.phases(), "{s} at {t} ms");
                assert_eq!(sim.model.run().version(), loop_run.version());
            }
        }
    }

    #[test]
    fn actions_round_trip_through_their_codes_and_bad_ones_are_named() {
        let log = vec![
            LoggedAction { at_ms: 100, events: 40, action: LiveAction::Join { clients: 10 } },
            LoggedAction { at_ms: 150, events: 60, action: LiveAction::OutsideWrite },
            LoggedAction {
                at_ms: 2_000,
                events: 900,
                action: LiveAction::SwitchStrategy { strategy: Strategy::FullJitter },
            },
        ];
        let text = log_to_query(&log);
        expect_test::expect!["2s~14~j10_46~1o~w_1jk~p0~s3"].assert_eq(&text);
        assert_eq!(log_from_query(&text), Ok(log));
        for bad in ["", "j", "jx", "w1", "s5", "sx", "x"] {
            assert_eq!(parse_action_code(bad), None, "{bad}");
        }
        assert_eq!(
            log_from_query::<LiveAction>("2s~14~q"),
            Err("action 0 \"2s~14~q\" is not understood; expected time~events~code, like 2s~4k~j10".into())
        );
    }

    #[test]
    fn refused_actions_name_the_value_and_change_nothing() {
        let mut r =
            ContentionRewind::new(LiveContention::build(&params(20, Strategy::Exponential), 1, TEST_EPOCH).unwrap());
        r.seek(Seek::Time(30));
        let digest = r.digest();
        let err = |r: &mut ContentionRewind, a| r.act(a).unwrap_err().to_string();
        assert_eq!(err(&mut r, LiveAction::Join { clients: 0 }), "0 clients cannot join at once: expected 1 to 100");
        assert_eq!(
            err(&mut r, LiveAction::Join { clients: 101 }),
            "101 clients cannot join at once: expected 1 to 100"
        );
        assert_eq!(
            err(&mut r, LiveAction::SwitchStrategy { strategy: Strategy::Exponential }),
            "the clients already back off with exponential"
        );
        let mut big = ContentionRewind::new(
            LiveContention::build(&params(MAX_CLIENTS - 5, Strategy::None), 1, TEST_EPOCH).unwrap(),
        );
        assert_eq!(
            err(&mut big, LiveAction::Join { clients: 6 }),
            format!("the run has {} clients; at most {MAX_CLIENTS} in all", MAX_CLIENTS - 5)
        );
        assert_eq!((r.digest(), r.actions().len()), (digest, 0));
        let e = LiveContention::build(&params(0, Strategy::None), 1, TEST_EPOCH).err().unwrap();
        assert!(e.contains("expected 1 to"), "{e}");
    }

    #[test]
    fn an_outside_write_makes_every_reader_lose_and_rewinding_before_it_undoes_it() {
        // Every hop exactly 10 ms: all twenty read v0 at 10 ms and write at 30 ms, where client 0
        // wins and nineteen lose — unless the row moved on in between.
        let p = ContentionParams { net_sd_ms: 0.0, ..params(20, Strategy::FullJitter) };
        let mut r = ContentionRewind::new(LiveContention::build(&p, 3, TEST_EPOCH).unwrap());
        r.set_finite(true);
        r.seek(Seek::Time(25));
        let lost_before = r.model().run().result().failed_writes;
        let v = r.model().run().version();
        r.act(LiveAction::OutsideWrite).unwrap();
        assert_eq!(r.model().run().version(), v + 1);
        r.seek(Seek::Time(40));
        let plain = {
            let mut s = LiveContention::build(&p, 3, TEST_EPOCH).unwrap();
            s.run_until(TEST_EPOCH + SimDuration(40));
            s
        };
        assert_eq!(plain.model.run().result().failed_writes, 19);
        assert_eq!((lost_before, r.model().run().result().failed_writes), (0, 20));
        let kinds: Vec<_> = r.marks().iter().map(|m| (m.kind, m.label.clone())).collect();
        assert_eq!(kinds[0], (NotableKind::Fault, format!("an outside write moves the row to v{}", v + 1)));
        // Back before the write: the run that never had it.
        r.seek(Seek::Time(20));
        let mut plain = ContentionRewind::new(LiveContention::build(&p, 3, TEST_EPOCH).unwrap());
        plain.seek(Seek::Time(20));
        assert_eq!(r.digest(), plain.digest());
        // Play to the end: one more success than clients is impossible, the version counts the
        // outside write too.
        r.seek(Seek::Time(END_BOUND_MS));
        assert!(r.model().run().is_done());
        assert_eq!(r.model().run().version(), 21);
    }

    #[test]
    fn joined_clients_all_write_and_the_run_ends_at_its_last_reply() {
        let p = params(10, Strategy::EqualJitter);
        let mut r = ContentionRewind::new(LiveContention::build(&p, 8, TEST_EPOCH).unwrap());
        r.set_finite(true);
        r.seek(Seek::Time(50));
        r.act(LiveAction::Join { clients: 15 }).unwrap();
        r.act(LiveAction::SwitchStrategy { strategy: Strategy::Decorrelated }).unwrap();
        r.seek(Seek::Time(END_BOUND_MS));
        assert!(r.is_idle());
        let run = r.model().run();
        assert!(run.is_done());
        assert_eq!((run.version(), run.params().clients, run.clients().len()), (25, 25, 25));
        assert_eq!(r.cursor().at_ms, run.end_us().div_ceil(1000));
        assert!(r.model().phases(r.sim().now()).iter().all(|p| *p == super::super::ClientPhase::Done));
        let labels: Vec<&str> = r.marks().iter().map(|m| m.label.as_str()).collect();
        assert!(labels.contains(&"15 clients join"), "{labels:?}");
        assert!(labels.contains(&"the clients switch to decorrelated"), "{labels:?}");
        assert!(labels.contains(&"half of the 25 clients have written"), "{labels:?}");
        assert_eq!(labels.last(), Some(&"all 25 clients have written (row at v25)"));
    }

    #[test]
    fn many_clients_without_backoff_make_a_retry_storm_mark() {
        let mut r = ContentionRewind::new(LiveContention::build(&params(100, Strategy::None), 2, TEST_EPOCH).unwrap());
        r.seek(Seek::Time(200));
        let storms: Vec<_> = r.marks().iter().filter(|m| m.kind == NotableKind::Harm).collect();
        assert!(!storms.is_empty());
        assert!(storms[0].label.starts_with("retry storm: 20 writes lost within"), "{}", storms[0].label);
        // Jumping to it and back again lands on the same state.
        let at = storms[0].at;
        r.seek(Seek::At(at));
        let d = r.digest();
        r.seek(Seek::Time(0));
        r.seek(Seek::At(at));
        assert_eq!(r.digest(), d);
    }
}
