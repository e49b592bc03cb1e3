#![cfg(not(target_arch = "wasm32"))]
//! The network model under random scenarios (proptest over seeds and action scripts): messages are
//! conserved (every one sent is delivered, lost or dropped by a partition, none duplicated), nothing
//! reaches a paused node, nothing crosses a cut link, timers honour clock drift, and a run is
//! reproducible.

use playground::sim::net::{Delivery, LinkConfig, NetEvent, Network, NodeId};
use playground::sim::{Ctx, Distribution, Model, SimDuration, SimRng, SimTime, Simulation, TEST_EPOCH};
use proptest::prelude::*;

const NODES: u32 = 5;

#[derive(Clone, Debug)]
enum Action {
    Send(u32, u32),
    Timer(u32, u64),
    Cut(u32, u32),
    Heal(u32, u32),
    Pause(u32),
    Resume(u32),
    Rate(u32, u32),
}

enum Ev {
    Net(NetEvent<u64, (u64, SimTime, u64)>),
    Act(Action),
}
impl From<NetEvent<u64, (u64, SimTime, u64)>> for Ev {
    fn from(e: NetEvent<u64, (u64, SimTime, u64)>) -> Self {
        Ev::Net(e)
    }
}

struct Checker {
    net: Network<u64, (u64, SimTime, u64)>,
    next_msg: u64,
    delivered: Vec<u64>,
    /// (timer id, true delay expected) for timers that fired without being held.
    violations: Vec<String>,
}

impl Model for Checker {
    type Event = Ev;
    fn handle(&mut self, ctx: &mut Ctx<'_, Ev>, ev: Ev) {
        match ev {
            Ev::Net(e) => {
                let released = matches!(e, NetEvent::Released(_));
                match self.net.on_event(ctx, e) {
                    Some(Delivery::Message { from, to, msg, sent_at, .. }) => {
                        if self.net.is_paused(to) {
                            self.violations.push(format!("message {msg} reached paused {to:?}"));
                        }
                        if !released && self.net.is_cut(from, to) {
                            self.violations.push(format!("message {msg} crossed a cut {from:?}-{to:?}"));
                        }
                        if ctx.now() < sent_at {
                            self.violations.push(format!("message {msg} arrived before it was sent"));
                        }
                        self.delivered.push(msg);
                    }
                    Some(Delivery::Timer { node, timer: (local, set_at, rate_milli), .. }) => {
                        if self.net.is_paused(node) {
                            self.violations.push(format!("timer fired on paused {node:?}"));
                        }
                        let expected =
                            set_at + SimDuration::from_millis_f64(local as f64 / (rate_milli as f64 / 1000.0));
                        if (!released && ctx.now() != expected) || (released && ctx.now() < expected) {
                            self.violations.push(format!(
                                "timer set at {set_at} for {local} ms at rate {rate_milli}‰ fired at {}",
                                ctx.now()
                            ));
                        }
                    }
                    None => {}
                }
            }
            Ev::Act(a) => match a {
                Action::Send(f, t) => {
                    let m = self.next_msg;
                    self.next_msg += 1;
                    self.net.send(ctx, NodeId(f), NodeId(t), m);
                }
                Action::Timer(n, local) => {
                    let rate = (self.net.clock_rate(NodeId(n)) * 1000.0).round() as u64;
                    self.net.set_timer(ctx, NodeId(n), SimDuration(local), (local, ctx.now(), rate));
                }
                Action::Cut(a, b) => self.net.cut(NodeId(a), NodeId(b)),
                Action::Heal(a, b) => self.net.heal(NodeId(a), NodeId(b)),
                Action::Pause(n) => self.net.pause(NodeId(n)).expect("known node"),
                Action::Resume(n) => self.net.resume(ctx, NodeId(n)).expect("known node"),
                Action::Rate(n, permille) => {
                    let now = ctx.now();
                    self.net.set_clock_rate(now, NodeId(n), f64::from(permille) / 1000.0).expect("valid rate")
                }
            },
        }
    }
    fn describe(&self, ev: &Ev) -> (String, String) {
        match ev {
            Ev::Net(e) => self.net.describe(e, |m| m.to_string(), |t| format!("{t:?}")),
            Ev::Act(a) => ("script".into(), format!("{a:?}")),
        }
    }
}

fn action() -> impl Strategy<Value = Action> {
    let n = 0..NODES;
    prop_oneof![
        6 => (n.clone(), n.clone()).prop_map(|(a, b)| Action::Send(a, b)),
        2 => (n.clone(), 0u64..300).prop_map(|(a, d)| Action::Timer(a, d)),
        1 => (n.clone(), n.clone()).prop_map(|(a, b)| Action::Cut(a, b)),
        1 => (n.clone(), n.clone()).prop_map(|(a, b)| Action::Heal(a, b)),
        1 => n.clone().prop_map(Action::Pause),
        1 => n.clone().prop_map(Action::Resume),
        1 => (n, 500u32..2000).prop_map(|(a, r)| Action::Rate(a, r)),
    ]
}

fn run(seed: u64, script: &[(u64, Action)]) -> Simulation<Checker> {
    let mut net =
        Network::new(SimRng::new(seed).child("network"), Distribution::LogNormal { median_ms: 20.0, sigma: 0.8 });
    net.set_default_link(LinkConfig::new(Distribution::LogNormal { median_ms: 20.0, sigma: 0.8 }, 0.1)).unwrap();
    for i in 0..NODES {
        net.add_node(&format!("n{i}")).unwrap();
    }
    net.set_link(NodeId(0), NodeId(1), LinkConfig::new(Distribution::Uniform { min_ms: 1.0, max_ms: 100.0 }, 0.0))
        .unwrap();
    let mut sim = Simulation::new(Checker { net, next_msg: 0, delivered: vec![], violations: vec![] }, TEST_EPOCH);
    sim.trace_mut().set_enabled(true);
    for (at, a) in script {
        sim.schedule_at(TEST_EPOCH + SimDuration(*at), Ev::Act(a.clone()));
    }
    sim.run_for(SimDuration(2_000));
    // Let everything settle: heal, resume everyone, drain the queue.
    sim.act(|m, ctx| {
        m.net.heal_all();
        for i in 0..NODES {
            m.net.resume(ctx, NodeId(i)).unwrap();
        }
    });
    while sim.step() {}
    sim
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn network_invariants_hold(seed: u64, mut script in proptest::collection::vec((0u64..1500, action()), 0..120)) {
        script.sort_by_key(|(t, _)| *t);
        let sim = run(seed, &script);
        let m = &sim.model;
        prop_assert!(m.violations.is_empty(), "{:?}", m.violations);
        let s = m.net.stats();
        prop_assert_eq!(s.sent, s.delivered + s.lost + s.partitioned, "{:?}", s);
        prop_assert_eq!(m.delivered.len() as u64, s.delivered);
        let mut seen = m.delivered.clone();
        seen.sort();
        seen.dedup();
        prop_assert_eq!(seen.len(), m.delivered.len(), "a message was delivered twice");
        prop_assert_eq!(s.timers_fired, s.timers_set);
        for i in 0..NODES {
            prop_assert_eq!(m.net.held_count(NodeId(i)), 0);
        }
        prop_assert_eq!(m.net.in_flight().count(), 0);
        let again = run(seed, &script);
        prop_assert_eq!(sim.trace().to_text(), again.trace().to_text());
    }
}
