//! The reference scenario that proves a run is a pure function of its seed, natively and in the
//! browser: four nodes gossip over random latencies with loss, one node's clock drifts, and "user
//! actions" injected at fixed virtual times partition and heal the network and pause and resume a
//! node (a GC pause). Its trace digest is checked into the native and the browser tests.
//!
//! This module must stay stable: changing what it does changes the pinned digest (which is the
//! point: a change to the kernel, the network or the RNG that alters a run must be noticed).

use super::net::{Delivery, LinkConfig, NetEvent, Network, NodeId};
use super::{Ctx, Distribution, Model, SimDuration, SimRng, Simulation, Trace, TEST_EPOCH};

/// Messages the nodes exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    Ping(u32),
    Pong(u32),
    Hello,
}

/// Node-local timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tick {
    Gossip,
}

/// What a user does at a fixed virtual time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserAction {
    /// Cut every link between the two groups (by node index).
    Partition(Vec<usize>, Vec<usize>),
    HealAll,
    Pause(usize),
    Resume(usize),
    /// Node `i` says hello to every other node.
    Broadcast(usize),
}

pub enum Ev {
    Net(NetEvent<Msg, Tick>),
    User(UserAction),
}

impl From<NetEvent<Msg, Tick>> for Ev {
    fn from(e: NetEvent<Msg, Tick>) -> Self {
        Ev::Net(e)
    }
}

/// The reference model: gossiping nodes and their counters.
pub struct Gossip {
    pub net: Network<Msg, Tick>,
    pub nodes: Vec<NodeId>,
    /// One stream per node, so a node's choices do not depend on the others'.
    rngs: Vec<SimRng>,
    next_ping: u32,
    pub pongs: Vec<u32>,
}

impl Gossip {
    fn index(&self, n: NodeId) -> usize {
        n.0 as usize
    }

    fn gossip(&mut self, ctx: &mut Ctx<'_, Ev>, node: NodeId) {
        let i = self.index(node);
        let others: Vec<NodeId> = self.nodes.iter().copied().filter(|n| *n != node).collect();
        let peer = others[self.rngs[i].index(others.len())];
        let k = self.next_ping;
        self.next_ping = self.next_ping.wrapping_add(1);
        self.net.send(ctx, node, peer, Msg::Ping(k));
        let period = SimDuration(100 + self.rngs[i].below(20));
        self.net.set_timer(ctx, node, period, Tick::Gossip);
    }
}

impl Model for Gossip {
    type Event = Ev;

    fn handle(&mut self, ctx: &mut Ctx<'_, Ev>, ev: Ev) {
        match ev {
            Ev::Net(e) => match self.net.on_event(ctx, e) {
                Some(Delivery::Timer { node, timer: Tick::Gossip, .. }) => self.gossip(ctx, node),
                Some(Delivery::Message { from, to, msg: Msg::Ping(k), .. }) => {
                    self.net.send(ctx, to, from, Msg::Pong(k));
                }
                Some(Delivery::Message { to, msg: Msg::Pong(_), .. }) => {
                    let i = self.index(to);
                    self.pongs[i] = self.pongs[i].saturating_add(1);
                }
                Some(Delivery::Message { msg: Msg::Hello, .. }) | None => {}
            },
            Ev::User(UserAction::Partition(left, right)) => {
                let l: Vec<NodeId> = left.iter().map(|i| self.nodes[*i]).collect();
                let r: Vec<NodeId> = right.iter().map(|i| self.nodes[*i]).collect();
                self.net.partition(&l, &r);
            }
            Ev::User(UserAction::HealAll) => self.net.heal_all(),
            Ev::User(UserAction::Pause(i)) => {
                let _ = self.net.pause(self.nodes[i]);
            }
            Ev::User(UserAction::Resume(i)) => {
                let _ = self.net.resume(ctx, self.nodes[i]);
            }
            Ev::User(UserAction::Broadcast(i)) => {
                let from = self.nodes[i];
                for to in self.nodes.clone() {
                    if to != from {
                        self.net.send(ctx, from, to, Msg::Hello);
                    }
                }
            }
        }
    }

    fn describe(&self, ev: &Ev) -> (String, String) {
        match ev {
            Ev::Net(e) => self.net.describe(e, |m| format!("{m:?}"), |t| format!("{t:?}")),
            Ev::User(a) => ("user".to_string(), format!("{a:?}")),
        }
    }
}

/// The reference scenario for `seed`, built but not run, with its trace on.
pub fn reference_sim(seed: u64) -> Simulation<Gossip> {
    let root = SimRng::new(seed);
    let lat = Distribution::LogNormal { median_ms: 20.0, sigma: 0.5 };
    let mut net = Network::new(root.child("network"), lat);
    net.set_default_link(LinkConfig::new(Distribution::LogNormal { median_ms: 20.0, sigma: 0.5 }, 0.05))
        .expect("valid link");
    let nodes: Vec<NodeId> = (1..=4).map(|i| net.add_node(&format!("n{i}")).expect("distinct names")).collect();
    net.set_link(nodes[0], nodes[1], LinkConfig::new(Distribution::Uniform { min_ms: 5.0, max_ms: 15.0 }, 0.0))
        .expect("valid link");
    net.set_link(nodes[2], nodes[3], LinkConfig::new(Distribution::AbsNormal { mean_ms: 30.0, std_dev_ms: 10.0 }, 0.1))
        .expect("valid link");
    net.set_link(nodes[0], nodes[3], LinkConfig::new(Distribution::Constant { ms: 40.0 }, 0.0)).expect("valid link");
    net.set_clock_rate(TEST_EPOCH, nodes[3], 1.05).expect("valid rate");
    let rngs = (0..nodes.len() as u64).map(|i| root.child_indexed("node", i)).collect();
    let n = nodes.len();
    let mut sim = Simulation::new(Gossip { net, nodes, rngs, next_ping: 0, pongs: vec![0; n] }, TEST_EPOCH);
    sim.trace_mut().set_enabled(true);
    sim.act(|m, ctx| {
        for (i, node) in m.nodes.clone().into_iter().enumerate() {
            m.net.set_timer(ctx, node, SimDuration(10 * i as u64), Tick::Gossip);
        }
    });
    let at = |ms: u64| TEST_EPOCH + SimDuration(ms);
    sim.schedule_at(at(1000), Ev::User(UserAction::Partition(vec![0, 1], vec![2, 3])));
    sim.schedule_at(at(1500), Ev::User(UserAction::Broadcast(0)));
    sim.schedule_at(at(2000), Ev::User(UserAction::HealAll));
    sim.schedule_at(at(2500), Ev::User(UserAction::Pause(2)));
    sim.schedule_at(at(3200), Ev::User(UserAction::Resume(2)));
    sim.schedule_at(at(4000), Ev::User(UserAction::Broadcast(3)));
    sim
}

/// How long the reference scenario runs.
pub const REFERENCE_RUN: SimDuration = SimDuration::from_secs(5);

/// The reference scenario's full trace for `seed`.
pub fn reference_trace(seed: u64) -> Trace {
    let mut sim = reference_sim(seed);
    sim.run_for(REFERENCE_RUN);
    sim.trace().clone()
}

/// SHA-256 of the reference scenario's trace text for `seed`: what native and browser tests pin.
pub fn reference_digest(seed: u64) -> String {
    reference_trace(seed).digest()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scenario_exercises_every_network_feature() {
        let mut sim = reference_sim(42);
        sim.run_for(REFERENCE_RUN);
        let text = sim.trace().to_text();
        for needle in ["(lost)", "(partitioned)", "held (paused)", "released:", "Hello", "Pong", "Partition("] {
            assert!(text.contains(needle), "no {needle:?} in the reference trace");
        }
        let stats = *sim.model.net.stats();
        assert!(stats.delivered > 100 && stats.lost > 0 && stats.partitioned > 0 && stats.held > 0, "{stats:?}");
        // The drifting node (rate 1.05) gossips more often than the exact ones.
        assert!(sim.model.pongs.iter().all(|p| *p > 0), "{:?}", sim.model.pongs);
    }

    #[test]
    fn the_first_lines_of_the_reference_trace() {
        let t = reference_trace(42);
        let head: String = t.entries()[..12].iter().map(|e| format!("{e}\n").trim_start().to_string()).collect();
        expect_test::expect![[r#"
            0.000 #0 n1: timer 0: Gossip
            0.010 #1 n2: timer 1: Gossip
            0.011 #10 n2: recv from n1: Ping(0)
            0.020 #2 n3: timer 2: Gossip
            0.023 #14 n1: recv from n2: Pong(0)
            0.029 #3 n4: timer 3: Gossip
            0.055 #15 n4: recv from n3: Ping(2)
            0.061 #17 n3: recv from n4: Ping(3)
            0.063 #12 n3: recv from n2: Ping(1)
            0.085 #20 n4: recv from n3: Pong(3)
            0.088 #19 n3: recv from n4: Pong(2)
            0.088 #21 n2: recv from n3: Pong(1)
        "#]]
        .assert_eq(&head);
    }
}
