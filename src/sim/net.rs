//! The network model every model sends its messages through: named nodes, per-link latency and
//! loss, symmetric partitions, per-node pauses (a GC pause) and per-node clock drift.
//!
//! A model owns a [`Network`] and uses it from inside [`Model::handle`](super::Model::handle)
//! through the kernel's [`Ctx`]: the model's event type wraps [`NetEvent`] (it implements
//! `From<NetEvent<M, T>>`), [`Network::send`] and [`Network::set_timer`] schedule node-addressed
//! events on the kernel's queue, and when one of those events comes due the model passes it back
//! to [`Network::on_event`], which either returns a [`Delivery`] for the model to act on or
//! swallows it (dropped, or held because the node is paused). [`Network::describe`] renders the
//! same decision for the trace, so a drop shows there as dropped *with its reason*.
//!
//! Semantics, precisely:
//! - **Latency** is sampled per message from the link's [`Distribution`] (rounded to whole ms);
//!   unset links use the default. Messages on one link may overtake each other unless
//!   [`Network::set_fifo`] is on. A node sending to itself gets zero latency and no loss.
//! - **Loss** is decided when the message is sent; a lost message becomes a `Dropped` event at
//!   the send time (so it is traced) and is never delivered.
//! - **Partitions** are symmetric cuts between pairs of nodes. A message sent across a cut is
//!   dropped at once; a message already in flight when its link is cut is dropped on arrival
//!   ("partitioned in flight"). Healing does not resurrect dropped messages.
//! - **Pause**: a paused node receives nothing and fires no timers. Messages and timers that come
//!   due while it is paused are held, and on [`Network::resume`] they are re-queued at the resume
//!   time in the order they came due. Its clock keeps running, as a real clock does during a GC
//!   pause (that is what makes leases expire under a paused holder). The network does not stop a
//!   paused node from *sending*: a paused node has no deliveries to react to, so a model only sends
//!   from it if something outside the node (a user action) does so.
//! - **Drift**: a node's clock runs at `rate` local ms per true ms. A timer of local duration `d`
//!   set by a node with rate `r` fires after `d / r` of true time (rounded to whole ms); changing
//!   the rate does not move timers already set. [`Network::local_now`] reads a node's own clock.
//!
//! This module never reads a wall clock or OS entropy: latency and loss draw from the
//! [`SimRng`] the network is given.
//!
//! # Example
//! ```
//! use playground::sim::net::{Delivery, LinkConfig, NetEvent, Network, NodeId};
//! use playground::sim::{Ctx, Distribution, Model, SimDuration, SimRng, Simulation, TEST_EPOCH};
//!
//! enum Ev {
//!     Net(NetEvent<&'static str, ()>),
//!     Kick,
//! }
//! impl From<NetEvent<&'static str, ()>> for Ev {
//!     fn from(e: NetEvent<&'static str, ()>) -> Self {
//!         Ev::Net(e)
//!     }
//! }
//!
//! struct PingPong {
//!     net: Network<&'static str, ()>,
//!     a: NodeId,
//!     b: NodeId,
//!     pongs: u32,
//! }
//!
//! impl Model for PingPong {
//!     type Event = Ev;
//!     fn handle(&mut self, ctx: &mut Ctx<'_, Ev>, ev: Ev) {
//!         match ev {
//!             Ev::Kick => {
//!                 self.net.send(ctx, self.a, self.b, "ping");
//!             }
//!             Ev::Net(e) => match self.net.on_event(ctx, e) {
//!                 Some(Delivery::Message { from, to, msg: "ping", .. }) => {
//!                     self.net.send(ctx, to, from, "pong");
//!                 }
//!                 Some(Delivery::Message { .. }) => self.pongs += 1,
//!                 Some(Delivery::Timer { .. }) | None => {}
//!             },
//!         }
//!     }
//!     fn describe(&self, ev: &Ev) -> (String, String) {
//!         match ev {
//!             Ev::Kick => ("user".into(), "kick".into()),
//!             Ev::Net(e) => self.net.describe(e, |m| m.to_string(), |_| "tick".into()),
//!         }
//!     }
//! }
//!
//! let mut net = Network::new(SimRng::new(7).child("network"), Distribution::Constant { ms: 10.0 });
//! let a = net.add_node("a").unwrap();
//! let b = net.add_node("b").unwrap();
//! let mut sim = Simulation::new(PingPong { net, a, b, pongs: 0 }, TEST_EPOCH);
//! sim.trace_mut().set_enabled(true);
//! sim.schedule_in(SimDuration::ZERO, Ev::Kick);
//! sim.run_for(SimDuration::from_secs(1));
//! assert_eq!(sim.model.pongs, 1);
//! assert_eq!(
//!     sim.trace().to_text(),
//!     "       0.000 #0 user: kick\n       0.010 #1 b: recv from a: ping\n       0.020 #2 a: recv from b: pong\n"
//! );
//!
//! // Cut the link: the next ping is dropped, and the trace says why.
//! sim.model.net.cut(a, b);
//! sim.schedule_in(SimDuration::ZERO, Ev::Kick);
//! sim.run_for(SimDuration::from_secs(1));
//! assert_eq!(sim.model.pongs, 1);
//! assert!(sim.trace().to_text().ends_with("a: dropped a -> b (partitioned): ping\n"));
//! ```

use super::vec_map::{DequeMap, VecMap, VecSet};
use super::{Ctx, Distribution, EventId, SimDuration, SimRng, SimTime};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A node of the modeled network: an index into the network's node table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NodeId(pub u32);

/// A handle to a node-local timer (stable across a pause, unlike the kernel's `EventId`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TimerId(pub u64);

/// A message's identity, unique within one network (for drawing it in flight).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MessageId(pub u64);

/// A message on its way, for drawing: it left `from` at `sent_at` and reaches `to` at `arrives_at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InFlight {
    pub id: MessageId,
    pub from: NodeId,
    pub to: NodeId,
    pub sent_at: SimTime,
    pub arrives_at: SimTime,
}

/// How one direction of a link behaves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkConfig {
    pub latency: Distribution,
    /// Probability in [0, 1] that a message is lost.
    pub loss: f64,
}

impl LinkConfig {
    pub fn new(latency: Distribution, loss: f64) -> Self {
        LinkConfig { latency, loss }
    }
    fn validate(&self) -> Result<(), NetError> {
        if !(0.0..=1.0).contains(&self.loss) {
            return Err(NetError::BadLoss(self.loss));
        }
        let params: &[f64] = match &self.latency {
            Distribution::Constant { ms } => &[*ms],
            Distribution::Uniform { min_ms, max_ms } => &[*min_ms, *max_ms],
            Distribution::AbsNormal { mean_ms, std_dev_ms } => &[*mean_ms, *std_dev_ms],
            Distribution::LogNormal { median_ms, sigma } => &[*median_ms, *sigma],
            Distribution::Exponential { mean_ms } => &[*mean_ms],
            Distribution::Pareto { min_ms, alpha } => &[*min_ms, *alpha],
        };
        if params.iter().any(|p| !p.is_finite() || *p < 0.0) {
            return Err(NetError::BadLatency(format!("{:?}", self.latency)));
        }
        Ok(())
    }
}

/// Why a message was not delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// The link's loss probability struck.
    Lost,
    /// The link was cut when the message was sent.
    Partitioned,
    /// The link was cut while the message was in flight.
    PartitionedInFlight,
    /// The sender or recipient is not a node of this network.
    UnknownNode,
}

impl DropReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::Lost => "lost",
            DropReason::Partitioned => "partitioned",
            DropReason::PartitionedInFlight => "partitioned in flight",
            DropReason::UnknownNode => "unknown node",
        }
    }
}

/// Mistakes a user (or a scenario file) can make when configuring a network.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum NetError {
    #[error("node name {0:?} is already taken; every node needs a distinct name")]
    DuplicateName(String),
    #[error("node name must not be empty; use a short label such as \"n1\"")]
    EmptyName,
    #[error("unknown node {name:?}; known nodes: {known}")]
    UnknownNode { name: String, known: String },
    #[error("unknown node id {0}; ids come from Network::add_node")]
    UnknownNodeId(u32),
    #[error("loss probability {0} is out of range; expected a number from 0 to 1")]
    BadLoss(f64),
    #[error("clock rate {0} is out of range; expected a number from 0.01 to 100 (1 = exact)")]
    BadClockRate(f64),
    #[error("latency {0} has a negative, NaN or infinite parameter; expected finite numbers >= 0")]
    BadLatency(String),
}

/// What the network hands the model: a message arriving or a timer firing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Delivery<M, T> {
    Message { id: MessageId, from: NodeId, to: NodeId, msg: M, sent_at: SimTime },
    Timer { node: NodeId, id: TimerId, timer: T },
}

impl<M, T> Delivery<M, T> {
    /// The node this delivery is for.
    pub fn node(&self) -> NodeId {
        match self {
            Delivery::Message { to, .. } => *to,
            Delivery::Timer { node, .. } => *node,
        }
    }
}

/// The kernel events the network schedules; the model wraps them in its own event type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum NetEvent<M, T> {
    /// A message reaching its recipient, or a timer coming due.
    Due(Delivery<M, T>),
    /// A delivery that was held while its node was paused, released at resume.
    Released(Delivery<M, T>),
    /// A message dropped when it was sent (traced at the send time).
    Dropped { from: NodeId, to: NodeId, msg: M, reason: DropReason },
}

/// What [`Network::send`] did with a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendOutcome {
    /// In flight; it comes due at this time (it may still be dropped or held on arrival).
    InFlight {
        id: MessageId,
        arrives_at: SimTime,
    },
    Dropped(DropReason),
}

/// Counters for drawing and for tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetStats {
    pub sent: u64,
    pub delivered: u64,
    pub lost: u64,
    pub partitioned: u64,
    /// Deliveries held because their node was paused (counted each time one is held).
    pub held: u64,
    pub timers_set: u64,
    pub timers_fired: u64,
}

/// A node's own clock: `local = base_local + (now - base_true) * rate`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct LocalClock {
    base_true: SimTime,
    base_local_ms: f64,
    rate: f64,
}

impl LocalClock {
    fn read_ms(&self, now: SimTime) -> f64 {
        self.base_local_ms + (now - self.base_true).0 as f64 * self.rate
    }
}

#[derive(Clone, Debug)]
struct NodeState<M, T> {
    name: String,
    paused: bool,
    /// Deliveries that came due while paused, in the order they came due.
    held: Vec<Delivery<M, T>>,
    clock: Option<LocalClock>,
}

/// What happens to a node-addressed event when it comes due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    Deliver,
    Hold,
    Drop(DropReason),
    /// A timer cancelled while it was held.
    Vanish,
}

/// The modeled network. `M` is the message type, `T` the timer payload type.
#[derive(Clone, Debug)]
pub struct Network<M, T> {
    nodes: Vec<NodeState<M, T>>,
    default_link: LinkConfig,
    /// Per-direction overrides of the default link.
    links: VecMap<(NodeId, NodeId), LinkConfig>,
    /// Cut node pairs, stored with the smaller id first (cuts are symmetric).
    cuts: VecMap<(NodeId, NodeId), ()>,
    rng: SimRng,
    fifo: bool,
    /// Latest arrival time per direction, for FIFO links.
    last_arrival: VecMap<(NodeId, NodeId), SimTime>,
    next_timer: u64,
    /// Timers waiting in the kernel queue, so they can be cancelled.
    queued_timers: DequeMap<TimerId, EventId>,
    /// Timers held by a paused node and not cancelled.
    held_timers: VecSet<TimerId>,
    next_message: u64,
    /// Messages sent and not yet arrived, for drawing.
    in_flight: DequeMap<MessageId, InFlight>,
    stats: NetStats,
}

impl<M, T> Network<M, T> {
    /// An empty network whose links default to `default_latency` and no loss.
    pub fn new(rng: SimRng, default_latency: Distribution) -> Self {
        Network {
            nodes: Vec::new(),
            default_link: LinkConfig { latency: default_latency, loss: 0.0 },
            links: VecMap::new(),
            cuts: VecMap::new(),
            rng,
            fifo: false,
            last_arrival: VecMap::new(),
            next_timer: 0,
            queued_timers: DequeMap::new(),
            held_timers: VecSet::new(),
            next_message: 0,
            in_flight: DequeMap::new(),
            stats: NetStats::default(),
        }
    }

    // ---- nodes -------------------------------------------------------------------------------

    pub fn add_node(&mut self, name: &str) -> Result<NodeId, NetError> {
        if name.is_empty() {
            return Err(NetError::EmptyName);
        }
        if self.nodes.iter().any(|n| n.name == name) {
            return Err(NetError::DuplicateName(name.to_string()));
        }
        let id = NodeId(u32::try_from(self.nodes.len()).unwrap_or(u32::MAX));
        self.nodes.push(NodeState { name: name.to_string(), paused: false, held: Vec::new(), clock: None });
        Ok(id)
    }

    /// Looks a node up by name.
    pub fn node(&self, name: &str) -> Result<NodeId, NetError> {
        match self.nodes.iter().position(|n| n.name == name) {
            Some(i) => Ok(NodeId(i as u32)),
            None => Err(NetError::UnknownNode {
                name: name.to_string(),
                known: self.nodes.iter().map(|n| n.name.as_str()).collect::<Vec<_>>().join(", "),
            }),
        }
    }

    /// A node's name (`"?"` for an id this network did not hand out).
    pub fn name(&self, id: NodeId) -> &str {
        self.nodes.get(id.0 as usize).map_or("?", |n| n.name.as_str())
    }

    /// Every node in creation order.
    pub fn nodes(&self) -> impl Iterator<Item = (NodeId, &str)> + '_ {
        self.nodes.iter().enumerate().map(|(i, n)| (NodeId(i as u32), n.name.as_str()))
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    fn state(&self, id: NodeId) -> Result<&NodeState<M, T>, NetError> {
        self.nodes.get(id.0 as usize).ok_or(NetError::UnknownNodeId(id.0))
    }
    fn state_mut(&mut self, id: NodeId) -> Result<&mut NodeState<M, T>, NetError> {
        self.nodes.get_mut(id.0 as usize).ok_or(NetError::UnknownNodeId(id.0))
    }

    // ---- links -------------------------------------------------------------------------------

    pub fn set_default_link(&mut self, cfg: LinkConfig) -> Result<(), NetError> {
        cfg.validate()?;
        self.default_link = cfg;
        Ok(())
    }
    pub fn default_link(&self) -> &LinkConfig {
        &self.default_link
    }
    /// Sets both directions between `a` and `b`.
    pub fn set_link(&mut self, a: NodeId, b: NodeId, cfg: LinkConfig) -> Result<(), NetError> {
        self.set_link_directed(a, b, cfg.clone())?;
        self.set_link_directed(b, a, cfg)
    }
    /// Sets the direction `from -> to` only.
    pub fn set_link_directed(&mut self, from: NodeId, to: NodeId, cfg: LinkConfig) -> Result<(), NetError> {
        cfg.validate()?;
        self.state(from)?;
        self.state(to)?;
        self.links.insert((from, to), cfg);
        Ok(())
    }
    /// The configuration used for messages `from -> to`.
    pub fn link(&self, from: NodeId, to: NodeId) -> &LinkConfig {
        self.links.get(&(from, to)).unwrap_or(&self.default_link)
    }
    /// With FIFO on, a message never arrives before one sent earlier on the same direction.
    pub fn set_fifo(&mut self, on: bool) {
        self.fifo = on;
    }

    // ---- partitions --------------------------------------------------------------------------

    fn pair(a: NodeId, b: NodeId) -> (NodeId, NodeId) {
        if a <= b {
            (a, b)
        } else {
            (b, a)
        }
    }
    /// Cuts the link between `a` and `b` in both directions.
    pub fn cut(&mut self, a: NodeId, b: NodeId) {
        if a != b {
            self.cuts.insert(Self::pair(a, b), ());
        }
    }
    pub fn heal(&mut self, a: NodeId, b: NodeId) {
        self.cuts.remove(&Self::pair(a, b));
    }
    /// Cuts every link between a node of `left` and a node of `right`.
    pub fn partition(&mut self, left: &[NodeId], right: &[NodeId]) {
        for &a in left {
            for &b in right {
                self.cut(a, b);
            }
        }
    }
    /// Heals every link between a node of `left` and a node of `right`.
    pub fn heal_groups(&mut self, left: &[NodeId], right: &[NodeId]) {
        for &a in left {
            for &b in right {
                self.heal(a, b);
            }
        }
    }
    pub fn heal_all(&mut self) {
        self.cuts.clear();
    }
    pub fn is_cut(&self, a: NodeId, b: NodeId) -> bool {
        self.cuts.contains_key(&Self::pair(a, b))
    }
    /// Every cut pair (smaller id first), in order: for drawing.
    pub fn cuts(&self) -> impl Iterator<Item = (NodeId, NodeId)> + '_ {
        self.cuts.keys().copied()
    }

    // ---- pauses ------------------------------------------------------------------------------

    /// Pauses `node`: from now on what comes due to it is held until [`Network::resume`].
    pub fn pause(&mut self, node: NodeId) -> Result<(), NetError> {
        self.state_mut(node)?.paused = true;
        Ok(())
    }
    pub fn is_paused(&self, node: NodeId) -> bool {
        self.state(node).is_ok_and(|n| n.paused)
    }
    /// How many deliveries `node` is holding.
    pub fn held_count(&self, node: NodeId) -> usize {
        self.state(node).map_or(0, |n| n.held.len())
    }

    /// Resumes `node` and re-queues everything it held, at `ctx.now()`, in the order it came due.
    pub fn resume<E: From<NetEvent<M, T>>>(&mut self, ctx: &mut Ctx<'_, E>, node: NodeId) -> Result<(), NetError> {
        let state = self.state_mut(node)?;
        state.paused = false;
        let held = std::mem::take(&mut state.held);
        let now = ctx.now();
        for d in held {
            if let Delivery::Timer { id, .. } = &d {
                let id = *id;
                if !self.held_timers.remove(&id) {
                    continue; // cancelled while held
                }
                let eid = ctx.schedule_at(now, NetEvent::Released(d).into());
                self.queued_timers.insert(id, eid);
            } else {
                ctx.schedule_at(now, NetEvent::Released(d).into());
            }
        }
        Ok(())
    }

    // ---- clocks ------------------------------------------------------------------------------

    /// Sets `node`'s clock rate (local ms per true ms) from `now` on; its local reading is continuous.
    pub fn set_clock_rate(&mut self, now: SimTime, node: NodeId, rate: f64) -> Result<(), NetError> {
        if !rate.is_finite() || !(0.01..=100.0).contains(&rate) {
            return Err(NetError::BadClockRate(rate));
        }
        let state = self.state_mut(node)?;
        let local = state.clock.map_or(now.0 as f64, |c| c.read_ms(now));
        state.clock = Some(LocalClock { base_true: now, base_local_ms: local, rate });
        Ok(())
    }
    pub fn clock_rate(&self, node: NodeId) -> f64 {
        self.state(node).ok().and_then(|n| n.clock).map_or(1.0, |c| c.rate)
    }
    /// What `node`'s own clock reads at true time `now` (equal to `now` for an exact clock).
    pub fn local_now(&self, now: SimTime, node: NodeId) -> SimTime {
        match self.state(node).ok().and_then(|n| n.clock) {
            Some(c) => SimTime(SimDuration::from_millis_f64(c.read_ms(now)).0),
            None => now,
        }
    }
    /// The true duration a timer of `local` duration on `node` takes.
    pub fn true_duration(&self, node: NodeId, local: SimDuration) -> SimDuration {
        let rate = self.clock_rate(node);
        if rate == 1.0 {
            local
        } else {
            SimDuration::from_millis_f64(local.0 as f64 / rate)
        }
    }

    // ---- traffic -----------------------------------------------------------------------------

    /// Sends `msg` from `from` to `to` now.
    pub fn send<E: From<NetEvent<M, T>>>(
        &mut self,
        ctx: &mut Ctx<'_, E>,
        from: NodeId,
        to: NodeId,
        msg: M,
    ) -> SendOutcome {
        self.stats.sent = self.stats.sent.saturating_add(1);
        let now = ctx.now();
        let reason = if self.state(from).is_err() || self.state(to).is_err() {
            Some(DropReason::UnknownNode)
        } else if self.is_cut(from, to) {
            Some(DropReason::Partitioned)
        } else {
            None
        };
        let reason = reason.or_else(|| {
            if from == to {
                return None;
            }
            let loss = self.link(from, to).loss;
            self.rng.bernoulli(loss).then_some(DropReason::Lost)
        });
        if let Some(reason) = reason {
            self.count_drop(reason);
            ctx.schedule_at(now, NetEvent::Dropped { from, to, msg, reason }.into());
            return SendOutcome::Dropped(reason);
        }
        let mut arrives_at = if from == to {
            now
        } else {
            let link = self.links.get(&(from, to)).unwrap_or(&self.default_link);
            now + link.latency.sample(&mut self.rng)
        };
        if self.fifo {
            let last = self.last_arrival.get_or_insert_with((from, to), || arrives_at);
            arrives_at = arrives_at.max(*last);
            *last = arrives_at;
        }
        let id = MessageId(self.next_message);
        self.next_message = self.next_message.saturating_add(1);
        self.in_flight.insert(id, InFlight { id, from, to, sent_at: now, arrives_at });
        ctx.schedule_at(arrives_at, NetEvent::Due(Delivery::Message { id, from, to, msg, sent_at: now }).into());
        SendOutcome::InFlight { id, arrives_at }
    }

    fn count_drop(&mut self, reason: DropReason) {
        match reason {
            DropReason::Lost => self.stats.lost = self.stats.lost.saturating_add(1),
            DropReason::Partitioned | DropReason::PartitionedInFlight | DropReason::UnknownNode => {
                self.stats.partitioned = self.stats.partitioned.saturating_add(1)
            }
        }
    }

    /// Sets a timer on `node` that fires after `local` as measured by the node's own clock.
    pub fn set_timer<E: From<NetEvent<M, T>>>(
        &mut self,
        ctx: &mut Ctx<'_, E>,
        node: NodeId,
        local: SimDuration,
        timer: T,
    ) -> TimerId {
        let id = TimerId(self.next_timer);
        self.next_timer = self.next_timer.saturating_add(1);
        self.stats.timers_set = self.stats.timers_set.saturating_add(1);
        let after = self.true_duration(node, local);
        let eid = ctx.schedule_in(after, NetEvent::Due(Delivery::Timer { node, id, timer }).into());
        self.queued_timers.insert(id, eid);
        id
    }

    /// Cancels a timer, whether queued or held by a paused node. Returns false when it already fired.
    pub fn cancel_timer<E>(&mut self, ctx: &mut Ctx<'_, E>, id: TimerId) -> bool {
        if let Some(eid) = self.queued_timers.remove(&id) {
            ctx.cancel(eid);
            true
        } else {
            self.held_timers.remove(&id)
        }
    }

    fn fate(&self, ev: &NetEvent<M, T>) -> Fate {
        match ev {
            NetEvent::Dropped { reason, .. } => Fate::Drop(*reason),
            NetEvent::Due(d) | NetEvent::Released(d) => {
                let Ok(node) = self.state(d.node()) else {
                    return Fate::Drop(DropReason::UnknownNode);
                };
                if let (NetEvent::Due(_), Delivery::Message { from, to, .. }) = (ev, d) {
                    if self.is_cut(*from, *to) {
                        return Fate::Drop(DropReason::PartitionedInFlight);
                    }
                }
                if let Delivery::Timer { id, .. } = d {
                    if !self.queued_timers.contains_key(id) {
                        return Fate::Vanish;
                    }
                }
                if node.paused {
                    Fate::Hold
                } else {
                    Fate::Deliver
                }
            }
        }
    }

    /// Handles one of the network's events as it comes due: returns what the model should act on,
    /// or `None` when the event was dropped or held for a paused node.
    pub fn on_event<E>(&mut self, _ctx: &mut Ctx<'_, E>, ev: NetEvent<M, T>) -> Option<Delivery<M, T>> {
        let fate = self.fate(&ev);
        let d = match ev {
            NetEvent::Dropped { .. } => return None,
            NetEvent::Due(d) => {
                if let Delivery::Message { id, .. } = &d {
                    self.in_flight.remove(id);
                }
                d
            }
            NetEvent::Released(d) => d,
        };
        match fate {
            Fate::Deliver => {
                match &d {
                    Delivery::Message { .. } => self.stats.delivered = self.stats.delivered.saturating_add(1),
                    Delivery::Timer { id, .. } => {
                        self.queued_timers.remove(id);
                        self.stats.timers_fired = self.stats.timers_fired.saturating_add(1);
                    }
                }
                Some(d)
            }
            Fate::Hold => {
                self.stats.held = self.stats.held.saturating_add(1);
                if let Delivery::Timer { id, .. } = &d {
                    self.queued_timers.remove(id);
                    self.held_timers.insert(*id);
                }
                if let Some(n) = self.nodes.get_mut(d.node().0 as usize) {
                    n.held.push(d);
                }
                None
            }
            Fate::Drop(reason) => {
                self.count_drop(reason);
                None
            }
            Fate::Vanish => None,
        }
    }

    /// The trace line for one of the network's events: `(node name, what happens to it)`, as
    /// [`Network::on_event`] will decide it in the current state.
    pub fn describe(
        &self,
        ev: &NetEvent<M, T>,
        msg: impl Fn(&M) -> String,
        timer: impl Fn(&T) -> String,
    ) -> (String, String) {
        let fate = self.fate(ev);
        let body = |d: &Delivery<M, T>| match d {
            Delivery::Message { from, msg: m, .. } => format!("recv from {}: {}", self.name(*from), msg(m)),
            Delivery::Timer { id, timer: t, .. } => format!("timer {}: {}", id.0, timer(t)),
        };
        match (ev, fate) {
            (NetEvent::Dropped { from, to, msg: m, reason }, _) => (
                self.name(*from).to_string(),
                format!("dropped {} -> {} ({}): {}", self.name(*from), self.name(*to), reason.as_str(), msg(m)),
            ),
            (NetEvent::Due(d) | NetEvent::Released(d), Fate::Drop(reason)) => {
                let what = match d {
                    Delivery::Message { from, to, msg: m, .. } => {
                        format!("dropped {} -> {} ({}): {}", self.name(*from), self.name(*to), reason.as_str(), msg(m))
                    }
                    Delivery::Timer { .. } => format!("dropped ({}): {}", reason.as_str(), body(d)),
                };
                (self.name(d.node()).to_string(), what)
            }
            (NetEvent::Due(d) | NetEvent::Released(d), Fate::Vanish) => {
                (self.name(d.node()).to_string(), format!("cancelled while held: {}", body(d)))
            }
            (NetEvent::Due(d) | NetEvent::Released(d), Fate::Hold) => {
                (self.name(d.node()).to_string(), format!("held (paused): {}", body(d)))
            }
            (NetEvent::Due(d), Fate::Deliver) => (self.name(d.node()).to_string(), body(d)),
            (NetEvent::Released(d), Fate::Deliver) => {
                (self.name(d.node()).to_string(), format!("released: {}", body(d)))
            }
        }
    }

    pub fn stats(&self) -> &NetStats {
        &self.stats
    }

    /// Messages sent and not yet arrived, oldest first.
    pub fn in_flight(&self) -> impl Iterator<Item = &InFlight> + '_ {
        self.in_flight.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Model, Simulation, TEST_EPOCH};

    /// A test model: every delivery is recorded; user actions are closures over the network.
    enum Ev {
        Net(NetEvent<String, &'static str>),
        Send(&'static str, &'static str, &'static str),
        Timer(&'static str, u64, &'static str),
        Pause(&'static str),
        Resume(&'static str),
        Cut(&'static str, &'static str),
        Heal(&'static str, &'static str),
    }
    impl From<NetEvent<String, &'static str>> for Ev {
        fn from(e: NetEvent<String, &'static str>) -> Self {
            Ev::Net(e)
        }
    }
    struct Rec {
        net: Network<String, &'static str>,
        got: Vec<(u64, String)>,
    }
    impl Model for Rec {
        type Event = Ev;
        fn handle(&mut self, ctx: &mut Ctx<'_, Ev>, ev: Ev) {
            let id = |net: &Network<_, _>, n: &str| net.node(n).unwrap();
            match ev {
                Ev::Net(e) => {
                    if let Some(d) = self.net.on_event(ctx, e) {
                        let at = (ctx.now() - TEST_EPOCH).0;
                        let what = match d {
                            Delivery::Message { from, to, msg, .. } => {
                                format!("{} got {msg} from {}", self.net.name(to), self.net.name(from))
                            }
                            Delivery::Timer { node, timer, .. } => format!("{} timer {timer}", self.net.name(node)),
                        };
                        self.got.push((at, what));
                    }
                }
                Ev::Send(a, b, m) => {
                    let (a, b) = (id(&self.net, a), id(&self.net, b));
                    self.net.send(ctx, a, b, m.to_string());
                }
                Ev::Timer(n, ms, t) => {
                    let n = id(&self.net, n);
                    self.net.set_timer(ctx, n, SimDuration(ms), t);
                }
                Ev::Pause(n) => self.net.pause(id(&self.net, n)).unwrap(),
                Ev::Resume(n) => {
                    let n = id(&self.net, n);
                    self.net.resume(ctx, n).unwrap()
                }
                Ev::Cut(a, b) => {
                    let (a, b) = (id(&self.net, a), id(&self.net, b));
                    self.net.cut(a, b)
                }
                Ev::Heal(a, b) => {
                    let (a, b) = (id(&self.net, a), id(&self.net, b));
                    self.net.heal(a, b)
                }
            }
        }
        fn describe(&self, ev: &Ev) -> (String, String) {
            match ev {
                Ev::Net(e) => self.net.describe(e, |m| m.clone(), |t| t.to_string()),
                _ => ("user".into(), "action".into()),
            }
        }
    }

    fn sim(latency_ms: f64) -> Simulation<Rec> {
        let mut net = Network::new(SimRng::new(1).child("network"), Distribution::Constant { ms: latency_ms });
        for n in ["a", "b", "c"] {
            net.add_node(n).unwrap();
        }
        let mut s = Simulation::new(Rec { net, got: vec![] }, TEST_EPOCH);
        s.trace_mut().set_enabled(true);
        s
    }
    /// The trace with each line's alignment padding removed (expect-test strips common indentation).
    fn trimmed(text: &str) -> String {
        text.lines().map(|l| format!("{}\n", l.trim_start())).collect()
    }
    fn at(s: &mut Simulation<Rec>, ms: u64, ev: Ev) {
        s.schedule_at(TEST_EPOCH + SimDuration(ms), ev);
    }

    #[test]
    fn pause_holds_messages_and_timers_and_releases_them_in_order_at_resume() {
        let mut s = sim(10.0);
        at(&mut s, 0, Ev::Pause("b"));
        at(&mut s, 1, Ev::Send("a", "b", "m1"));
        at(&mut s, 2, Ev::Timer("b", 5, "t1")); // due at 7, while paused
        at(&mut s, 3, Ev::Send("c", "b", "m2"));
        at(&mut s, 3, Ev::Send("b", "a", "from-paused")); // the network does not stop a paused sender
        at(&mut s, 50, Ev::Resume("b"));
        s.run_for(SimDuration(100));
        expect_test::expect![[r#"
            [
                (
                    13,
                    "a got from-paused from b",
                ),
                (
                    50,
                    "b timer t1",
                ),
                (
                    50,
                    "b got m1 from a",
                ),
                (
                    50,
                    "b got m2 from c",
                ),
            ]
        "#]]
        .assert_debug_eq(&s.model.got);
        expect_test::expect![[r#"
                   0.000 #0 user: action
                   0.001 #1 user: action
                   0.002 #2 user: action
                   0.003 #3 user: action
                   0.003 #4 user: action
                   0.007 #7 b: held (paused): timer 0: t1
                   0.011 #6 b: held (paused): recv from a: m1
                   0.013 #8 b: held (paused): recv from c: m2
                   0.013 #9 a: recv from b: from-paused
                   0.050 #5 user: action
                   0.050 #10 b: released: timer 0: t1
                   0.050 #11 b: released: recv from a: m1
                   0.050 #12 b: released: recv from c: m2
        "#]]
        .assert_eq(&trimmed(&s.trace().to_text()));
        assert_eq!(s.model.net.held_count(s.model.net.node("b").unwrap()), 0);
        assert_eq!(s.model.net.stats().held, 3);
    }

    #[test]
    fn cuts_drop_at_send_and_in_flight_and_heal_restores_traffic() {
        let mut s = sim(10.0);
        at(&mut s, 0, Ev::Send("a", "b", "in-flight"));
        at(&mut s, 5, Ev::Cut("b", "a")); // symmetric: same as cut(a, b)
        at(&mut s, 6, Ev::Send("b", "a", "across-cut"));
        at(&mut s, 6, Ev::Send("a", "c", "unaffected"));
        at(&mut s, 20, Ev::Heal("a", "b"));
        at(&mut s, 21, Ev::Send("a", "b", "after-heal"));
        s.run_for(SimDuration(100));
        let text = s.trace().to_text();
        assert!(text.contains("b: dropped a -> b (partitioned in flight): in-flight"), "{text}");
        assert!(text.contains("b: dropped b -> a (partitioned): across-cut"), "{text}");
        let got: Vec<_> = s.model.got.iter().map(|g| g.1.as_str()).collect();
        assert_eq!(got, ["c got unaffected from a", "b got after-heal from a"]);
        assert_eq!(s.model.net.stats().partitioned, 2);
    }

    #[test]
    fn nodes_cuts_and_messages_in_flight_are_observable() {
        let mut s = sim(10.0);
        let (a, b, c) =
            (s.model.net.node("a").unwrap(), s.model.net.node("b").unwrap(), s.model.net.node("c").unwrap());
        s.model.net.set_clock_rate(TEST_EPOCH, c, 0.5).unwrap();
        at(&mut s, 0, Ev::Pause("b"));
        at(&mut s, 0, Ev::Cut("a", "c"));
        at(&mut s, 1, Ev::Send("a", "b", "m"));
        at(&mut s, 2, Ev::Send("c", "a", "dropped"));
        s.run_until(TEST_EPOCH + SimDuration(5));
        let net = &s.model.net;
        assert_eq!(
            net.in_flight().copied().collect::<Vec<_>>(),
            [InFlight {
                id: MessageId(0),
                from: a,
                to: b,
                sent_at: TEST_EPOCH + SimDuration(1),
                arrives_at: TEST_EPOCH + SimDuration(11)
            }]
        );
        assert_eq!(net.cuts().collect::<Vec<_>>(), [(a, c)]);
        assert!(net.is_paused(b) && !net.is_paused(a));
        assert_eq!(net.local_now(s.now(), c), TEST_EPOCH + SimDuration(3)); // 5 ms at half speed: 2.5, rounded up
        s.run_until(TEST_EPOCH + SimDuration(20));
        let net = &s.model.net;
        assert_eq!(net.in_flight().count(), 0);
        assert_eq!((net.held_count(b), net.stats().held, net.stats().partitioned), (1, 1, 1));
    }

    #[test]
    fn group_partitions_cut_every_cross_pair_only() {
        let mut net: Network<(), ()> = Network::new(SimRng::new(1), Distribution::Constant { ms: 1.0 });
        let ids: Vec<_> = ["a", "b", "c", "d"].iter().map(|n| net.add_node(n).unwrap()).collect();
        net.partition(&ids[..2], &ids[2..]);
        assert_eq!(net.cuts().count(), 4);
        assert!(net.is_cut(ids[0], ids[3]) && net.is_cut(ids[3], ids[0]));
        assert!(!net.is_cut(ids[0], ids[1]) && !net.is_cut(ids[2], ids[3]));
        net.heal_groups(&ids[2..], &ids[..2]);
        assert_eq!(net.cuts().count(), 0);
    }

    #[test]
    fn a_fast_clock_fires_timers_early_and_reads_ahead() {
        let mut s = sim(10.0);
        let b = s.model.net.node("b").unwrap();
        s.model.net.set_clock_rate(TEST_EPOCH, b, 2.0).unwrap();
        s.model.net.set_clock_rate(TEST_EPOCH, s.model.net.node("c").unwrap(), 0.5).unwrap();
        at(&mut s, 0, Ev::Timer("a", 100, "exact"));
        at(&mut s, 0, Ev::Timer("b", 100, "fast"));
        at(&mut s, 0, Ev::Timer("c", 100, "slow"));
        s.run_for(SimDuration(1000));
        let got: Vec<_> = s.model.got.iter().map(|(t, w)| format!("{t} {w}")).collect();
        assert_eq!(got, ["50 b timer fast", "100 a timer exact", "200 c timer slow"]);
        assert_eq!(s.model.net.local_now(TEST_EPOCH + SimDuration(1000), b), TEST_EPOCH + SimDuration(2000));
        // Changing the rate keeps the local clock continuous.
        s.model.net.set_clock_rate(TEST_EPOCH + SimDuration(1000), b, 1.0).unwrap();
        assert_eq!(s.model.net.local_now(TEST_EPOCH + SimDuration(1500), b), TEST_EPOCH + SimDuration(2500));
    }

    #[test]
    fn loss_is_roughly_the_configured_probability_and_traced_as_lost() {
        let mut s = sim(1.0);
        let (a, b) = (s.model.net.node("a").unwrap(), s.model.net.node("b").unwrap());
        s.model.net.set_link(a, b, LinkConfig::new(Distribution::Uniform { min_ms: 1.0, max_ms: 5.0 }, 0.25)).unwrap();
        for i in 0..4000 {
            at(&mut s, i, Ev::Send("a", "b", "x"));
        }
        s.run_for(SimDuration(10_000));
        let lost = s.model.net.stats().lost;
        assert!((800..1200).contains(&lost), "lost {lost}");
        assert_eq!(s.model.got.len() as u64 + lost, 4000);
        assert!(s.trace().to_text().contains("a: dropped a -> b (lost): x"));
    }

    #[test]
    fn fifo_links_never_reorder() {
        let mut s = sim(1.0);
        s.model
            .net
            .set_default_link(LinkConfig::new(Distribution::Uniform { min_ms: 0.0, max_ms: 50.0 }, 0.0))
            .unwrap();
        s.model.net.set_fifo(true);
        let names: Vec<&'static str> = (0..200).map(|i| &*Box::leak(format!("{i:03}").into_boxed_str())).collect();
        for (i, n) in names.iter().enumerate() {
            at(&mut s, i as u64 / 10, Ev::Send("a", "b", n));
        }
        s.run_for(SimDuration(1000));
        let got: Vec<_> = s.model.got.iter().map(|g| g.1.clone()).collect();
        let mut sorted = got.clone();
        sorted.sort();
        assert_eq!(got, sorted);
        assert_eq!(got.len(), 200);
    }

    #[test]
    fn cancelled_timers_never_fire_even_when_held() {
        let mut s = sim(1.0);
        let b = s.model.net.node("b").unwrap();
        let (t1, t2) = s.act(|m, ctx| {
            (m.net.set_timer(ctx, b, SimDuration(10), "t1"), m.net.set_timer(ctx, b, SimDuration(10), "t2"))
        });
        s.act(|m, _| m.net.pause(b)).unwrap();
        s.run_for(SimDuration(20));
        assert_eq!(s.model.net.held_count(b), 2);
        assert!(s.act(|m, ctx| m.net.cancel_timer(ctx, t1)));
        s.act(|m, ctx| m.net.resume(ctx, b)).unwrap();
        s.run_for(SimDuration(20));
        let got: Vec<_> = s.model.got.iter().map(|g| g.1.as_str()).collect();
        assert_eq!(got, ["b timer t2"]);
        assert!(!s.act(|m, ctx| m.net.cancel_timer(ctx, t2)), "already fired");
    }

    #[test]
    fn configuration_mistakes_are_errors_that_name_the_value() {
        let mut net: Network<(), ()> = Network::new(SimRng::new(1), Distribution::Constant { ms: 1.0 });
        let a = net.add_node("a").unwrap();
        assert_eq!(net.add_node("a"), Err(NetError::DuplicateName("a".into())));
        assert_eq!(net.add_node(""), Err(NetError::EmptyName));
        assert_eq!(net.node("zz").unwrap_err().to_string(), "unknown node \"zz\"; known nodes: a");
        let e = net.set_link(a, a, LinkConfig::new(Distribution::Constant { ms: 1.0 }, 1.5)).unwrap_err();
        assert_eq!(e.to_string(), "loss probability 1.5 is out of range; expected a number from 0 to 1");
        let e = net.set_default_link(LinkConfig::new(Distribution::Constant { ms: -1.0 }, 0.0)).unwrap_err();
        assert!(e.to_string().contains("Constant { ms: -1.0 }"), "{e}");
        assert_eq!(net.set_clock_rate(TEST_EPOCH, a, 0.0), Err(NetError::BadClockRate(0.0)));
        assert!(net.set_clock_rate(TEST_EPOCH, a, f64::NAN).unwrap_err().to_string().contains("NaN"));
        assert_eq!(net.pause(NodeId(9)), Err(NetError::UnknownNodeId(9)));
    }
}
