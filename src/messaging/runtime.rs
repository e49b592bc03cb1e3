//! The messaging run on the kernel: the router between the pattern machines, the broker (the
//! modeled Redis) and the kernel.
//!
//! Each pattern is a sans-IO machine in [`super::patterns`] (one file per pattern, with the exact
//! Redis commands it sends in its header): it takes an [`Input`] and returns [`Effect`]s. This
//! runtime owns what every pattern shares — producers and their outboxes, one connection per
//! [`Actor`] to the modeled server ([`Broker`]) `network_ms` away, the faults, the checker, the
//! trail and the samples — and carries the effects out in the order they were returned: a `Send`
//! goes on the actor's connection (connecting first; each connection keeps the tags of the
//! commands it has in flight, so a reply is matched to what it answers as a client library does),
//! a `Timer` becomes a kernel event handed back as [`Input::Timer`], a `Deliver`/`Process` is
//! counted by the checker and drawn in the trail.
//!
//! Architecture invariant: the runtime knows no pattern's protocol beyond the producers' push
//! command ([`Machine::push_command`]) and which broker keys hold the queue depth; every other
//! command comes from a machine's effects.

use super::broker::{Broker, FSYNC_PERIOD};
use super::checker::{Checker, MsgId, Report, Sample};
use super::linear::MessageLog;
use super::machine::{
    frame_messages, Actor, Counter, Effect, Input, Io, Links, Machine, Tag, Timer, TimerToken, CELERY, QUEUE,
};
use super::patterns::PatternMachine;
use super::scenario::{Fault, PatternId, Scenario, ScenarioError};
use super::trail::{DropCause, Fate, Flow, Node, StepKind, Trail};
use crate::redis::{ClientId, Event, Outcome, Reply};
use crate::sim::rewind::{Notable, NotableKind};
use crate::sim::{Ctx, EventId, Model, SimDuration, SimRng, SimTime, Simulation, TEST_EPOCH};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

pub use super::machine::parse_payload;

/// Kernel events of a messaging run.
#[derive(Clone, Debug, PartialEq)]
pub enum MsgEvent {
    Produce {
        producer: u32,
    },
    BurstMessage {
        producer: u32,
    },
    /// A command reaches the broker.
    ToBroker {
        actor: Actor,
        epoch: u32,
        argv: Vec<Vec<u8>>,
    },
    /// A frame reaches a client.
    ToClient {
        actor: Actor,
        epoch: u32,
        frame: Reply,
    },
    /// The connection was refused or reset.
    Reset {
        actor: Actor,
        epoch: u32,
    },
    Reconnect {
        actor: Actor,
    },
    /// A blocked client's timeout is due.
    BrokerWake,
    /// serverCron (active expiry) every 100 ms; the everysec fsync every second.
    Cron,
    Sample,
    FaultStart(u32),
    FaultEnd(u32),
    /// A timer the pattern machine set (`token` when it may cancel it).
    Machine {
        timer: Timer,
        token: Option<TimerToken>,
    },
}

/// What a worker crash took with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrashRecord {
    pub worker: u32,
    pub at_ms: u64,
    /// Messages the worker held (popped or reserved, not finished) when it died, plus frames
    /// carrying messages that were on the wire to it.
    pub in_flight: Vec<MsgId>,
}

/// Counters beyond the checker's: what each pattern's machinery did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunStats {
    /// Request/response: attempts an instance refused (backlog full, or no instance eligible).
    pub rejected: u64,
    pub timed_out: u64,
    /// Requests that failed after every retry.
    pub failed: u64,
    /// Retries (requests or tasks).
    pub retries: u64,
    pub dead_lettered: u64,
    /// Times a message's processing started (task runs, including duplicates and failures).
    pub executions: u64,
    /// Messages restored to the queue (reaper or visibility timeout).
    pub restored: u64,
    pub broker_commands: u64,
    pub broker_restarts: u32,
    /// Producer commands resent after a connection failed.
    pub resent: u64,
    /// Request/response: rejections and timeouts from a burst's start to 2 s after its end.
    pub rejected_or_timed_out_during_burst: u64,
    /// Frames carrying a message that a partition swallowed on their way to a consumer.
    pub partition_dropped: u64,
}

impl RunStats {
    fn add(&mut self, c: Counter) {
        let n = match c {
            Counter::Rejected => &mut self.rejected,
            Counter::TimedOut => &mut self.timed_out,
            Counter::Failed => &mut self.failed,
            Counter::Retries => &mut self.retries,
            Counter::DeadLettered => &mut self.dead_lettered,
            Counter::Executions => &mut self.executions,
            Counter::Restored => &mut self.restored,
            Counter::RejectedOrTimedOutDuringBurst => &mut self.rejected_or_timed_out_during_burst,
        };
        *n = n.saturating_add(1);
    }
}

/// The messaging model. Build it with [`MessagingRun::new`] (or, rewindable,
/// `messaging::replay::rewind`). `Clone` is a snapshot of the whole run.
#[derive(Clone)]
pub struct MessagingModel {
    sc: Scenario,
    broker: Broker,
    /// The connections (and whether the broker is up): what machines read when they decide.
    links: Links,
    clients: BTreeMap<ClientId, Actor>,
    machine: PatternMachine,
    /// Kernel events of the machine's cancellable timers.
    timers: BTreeMap<TimerToken, EventId>,
    outbox: Vec<VecDeque<(MsgId, Vec<u8>)>>,
    producer_rng: Vec<SimRng>,
    producer_seq: Vec<u64>,
    next_burst_producer: u32,
    checker: Checker,
    stats: RunStats,
    crashes: Vec<CrashRecord>,
    /// (message, consumer) of every frame a partition swallowed on its way to a consumer.
    partition_drops: Vec<(MsgId, u32)>,
    published: Vec<(MsgId, i64)>,
    outage: bool,
    wake: Option<(SimTime, EventId)>,
    start: SimTime,
    last_fsync: SimTime,
    burst_windows: Vec<(SimTime, SimTime)>,
    /// What the page draws and inspects; `None` (recording off) unless asked for.
    trail: Option<Trail>,
    /// A network partition separates the consumers from the broker (or the instances from their
    /// clients) while true.
    partitioned: bool,
    /// Pushes and side effects for the linearizability history (`super::linear`).
    history: MessageLog,
    /// What became notable since the rewind last asked (faults, redeliveries, duplicates, losses);
    /// `None` (nothing kept) unless the run is rewindable.
    pub(super) notable: Option<Vec<Notable>>,
    /// Running counts for the notable marks' labels.
    marks: MarkCounts,
}

/// How many of each notable thing happened so far (the marks' "(N in all)").
#[derive(Clone, Debug, Default)]
struct MarkCounts {
    redelivered: u64,
    duplicated: u64,
    lost: u64,
}

const RECONNECT: SimDuration = SimDuration::from_millis(500);

impl MessagingModel {
    fn new(sc: Scenario, seed: u64) -> Result<Self, ScenarioError> {
        sc.validate()?;
        let root = SimRng::new(seed);
        let copies = sc.copies();
        let machine = super::patterns::build(&sc, &root)?;
        let p = sc.producers.count as usize;
        let broker = Broker::new(root.child("broker"), sc.persistence);
        Ok(MessagingModel {
            links: Links { conns: BTreeMap::new(), broker_up: broker.is_up() },
            broker,
            clients: BTreeMap::new(),
            machine,
            timers: BTreeMap::new(),
            outbox: vec![VecDeque::new(); p],
            producer_rng: (0..p).map(|i| root.child_indexed("producer", i as u64)).collect(),
            producer_seq: vec![0; p],
            next_burst_producer: 0,
            checker: Checker::new(copies),
            stats: RunStats::default(),
            crashes: Vec::new(),
            partition_drops: Vec::new(),
            published: Vec::new(),
            outage: false,
            wake: None,
            start: TEST_EPOCH,
            last_fsync: TEST_EPOCH,
            burst_windows: Vec::new(),
            trail: None,
            partitioned: false,
            history: MessageLog::default(),
            notable: None,
            marks: MarkCounts::default(),
            sc,
        })
    }

    fn latency(&self) -> SimDuration {
        SimDuration::from_millis(self.sc.network_ms)
    }

    fn elapsed_ms(&self, now: SimTime) -> u64 {
        now.saturating_since(self.start).as_millis()
    }

    fn at(&self, ms: u64) -> SimTime {
        self.start.saturating_add(SimDuration::from_millis(ms))
    }

    fn note(&mut self, now: SimTime, msg: MsgId, kind: StepKind) {
        let at_ms = self.elapsed_ms(now);
        if let Some(t) = &mut self.trail {
            t.note(at_ms, msg, kind);
        }
    }

    fn flow(&mut self, now: SimTime, msg: MsgId, from: Node, to: Node, fate: Fate) {
        let at_ms = self.elapsed_ms(now);
        if let Some(t) = &mut self.trail {
            t.flow(Flow { at_ms, msg, from, to, fate });
        }
    }

    fn mark(&mut self, kind: NotableKind, label: impl FnOnce() -> String) {
        if let Some(n) = &mut self.notable {
            n.push(Notable { kind, label: label() });
        }
    }

    /// A message (or a copy of it) is gone for good: a harm mark.
    fn mark_lost(&mut self, what: impl FnOnce() -> String) {
        self.marks.lost += 1;
        let n = self.marks.lost;
        self.mark(NotableKind::Harm, || format!("{} ({n} lost in all)", what()));
    }

    fn in_burst(&self, now: SimTime) -> bool {
        self.burst_windows.iter().any(|(a, b)| now >= *a && now <= *b + SimDuration::from_millis(2_000))
    }

    // ---- the machine -------------------------------------------------------------------------

    /// Hands `input` to the pattern machine and carries out its effects, in order.
    fn feed(&mut self, ctx: &mut Ctx<'_, MsgEvent>, input: Input) {
        self.links.broker_up = self.broker.is_up();
        let in_burst = self.sc.pattern == PatternId::RequestResponse && self.in_burst(ctx.now());
        let mut effects = Vec::new();
        let mut io = Io {
            now: ctx.now(),
            sc: &self.sc,
            links: &self.links,
            partitioned: self.partitioned,
            outage: self.outage,
            in_burst,
            effects: &mut effects,
        };
        self.machine.handle(&mut io, input);
        for e in effects {
            self.execute(ctx, e);
        }
    }

    fn execute(&mut self, ctx: &mut Ctx<'_, MsgEvent>, effect: Effect) {
        let now = ctx.now();
        let at_ms = self.elapsed_ms(now);
        self.history.effect(&effect, at_ms);
        match effect {
            Effect::Send { actor, tag, argv } => {
                // When the broker is unreachable the machine already made up for the command.
                let _ = self.send(ctx, actor, tag, argv);
            }
            Effect::Timer { at, timer, token } => {
                let id = ctx.schedule_at(at, MsgEvent::Machine { timer, token });
                if let Some(t) = token {
                    self.timers.insert(t, id);
                }
            }
            Effect::Cancel(token) => {
                if let Some(id) = self.timers.remove(&token) {
                    ctx.cancel(id);
                }
            }
            Effect::Enqueue { producer, msg, payload } => {
                self.outbox[producer as usize].push_back((msg, payload));
                self.flush_outbox(ctx, producer);
            }
            Effect::Deliver { msg, copy, consumer } => {
                let at_ms = self.elapsed_ms(now);
                let before = self.checker.deliveries(msg, copy);
                self.checker.deliver(msg, copy);
                if before > 0 && self.notable.is_some() {
                    self.marks.redelivered += 1;
                    let n = self.marks.redelivered;
                    self.mark(NotableKind::Failover, || {
                        format!("message {msg} redelivered to consumer {consumer} ({n} redeliveries in all)")
                    });
                }
                if let Some(t) = &mut self.trail {
                    let fate = if before > 0 || self.checker.is_processed(msg, copy) {
                        Fate::Duplicate
                    } else {
                        Fate::Delivered
                    };
                    t.note(at_ms, msg, StepKind::Delivered { consumer, delivery: before.saturating_add(1) });
                    t.flow(Flow { at_ms, msg, from: Node::Broker, to: Node::Consumer(consumer), fate });
                }
            }
            Effect::Process { msg, copy, consumer } => {
                let duplicate = self.checker.is_processed(msg, copy);
                self.checker.process(msg, copy, now);
                if duplicate && self.notable.is_some() {
                    self.marks.duplicated += 1;
                    let n = self.marks.duplicated;
                    self.mark(NotableKind::Harm, || {
                        format!("message {msg} processed again by consumer {consumer} ({n} duplicates in all)")
                    });
                }
                self.note(now, msg, StepKind::Processed { consumer, duplicate });
            }
            Effect::Suppress => self.checker.suppress(),
            Effect::Note { msg, kind } => self.note(now, msg, kind),
            Effect::Flow { msg, from, to, fate } => self.flow(now, msg, from, to, fate),
            Effect::Count(c) => {
                self.stats.add(c);
                match c {
                    Counter::Failed => self.mark_lost(|| "a request failed after every retry".to_string()),
                    Counter::DeadLettered => {
                        self.mark(NotableKind::Harm, || "a message went to the dead-letter queue".to_string())
                    }
                    _ => {}
                }
            }
            Effect::Crashed { worker, in_flight, connections } => {
                let at_ms = self.elapsed_ms(now);
                if !in_flight.is_empty() {
                    let n = in_flight.len();
                    self.mark(NotableKind::Harm, || format!("consumer {worker} died holding {n} message(s)"));
                }
                self.crashes.push(CrashRecord { worker, at_ms, in_flight });
                if connections {
                    self.close_connections(ctx, worker);
                }
            }
            Effect::Answered(actor) => {
                if let Some(c) = self.links.conns.get_mut(&actor) {
                    c.inflight.pop_front();
                }
            }
        }
    }

    // ---- start -------------------------------------------------------------------------------

    fn start_run(&mut self, ctx: &mut Ctx<'_, MsgEvent>) {
        self.start = ctx.now();
        self.last_fsync = ctx.now();
        for p in 0..self.sc.producers.count {
            self.schedule_next_produce(ctx, p);
        }
        for b in self.sc.producers.bursts.clone() {
            let count = u64::from(b.count.max(1));
            for i in 0..u64::from(b.count) {
                let at = self.at(b.at_ms.saturating_add(b.over_ms.saturating_mul(i) / count));
                let producer = self.next_burst_producer;
                self.next_burst_producer = (self.next_burst_producer + 1) % self.sc.producers.count;
                ctx.schedule_at(at, MsgEvent::BurstMessage { producer });
            }
            self.burst_windows.push((self.at(b.at_ms), self.at(b.at_ms.saturating_add(b.over_ms))));
        }
        for (i, f) in self.sc.faults.clone().iter().enumerate() {
            ctx.schedule_at(self.at(f.at_ms()), MsgEvent::FaultStart(i as u32));
        }
        ctx.schedule_in(SimDuration::ZERO, MsgEvent::Sample);
        if self.sc.pattern == PatternId::RequestResponse {
            return;
        }
        ctx.schedule_in(self.broker.store().cron_period(), MsgEvent::Cron);
        self.feed(ctx, Input::Start);
    }

    fn schedule_next_produce(&mut self, ctx: &mut Ctx<'_, MsgEvent>, p: u32) {
        let rate = self.sc.producers.rate_per_s;
        if rate <= 0.0 {
            return;
        }
        let gap = self.producer_rng[p as usize].exponential(1000.0 / rate);
        let at = ctx.now() + SimDuration::from_millis_f64(gap);
        if self.elapsed_ms(at) < self.sc.produce_for_ms {
            ctx.schedule_at(at, MsgEvent::Produce { producer: p });
        }
    }

    // ---- connections -------------------------------------------------------------------------

    /// Sends `command` on `actor`'s connection (connecting first). When the broker is unreachable
    /// the tag comes back (and a reconnect is scheduled).
    fn send(&mut self, ctx: &mut Ctx<'_, MsgEvent>, actor: Actor, tag: Tag, command: Vec<Vec<u8>>) -> Result<(), Tag> {
        let lat = self.latency();
        let conn = self.links.conns.entry(actor).or_default();
        if conn.client.is_none() {
            match self.broker.connect(ctx.now()) {
                Some(id) => {
                    conn.client = Some(id);
                    self.clients.insert(id, actor);
                }
                None => {
                    if !conn.reconnecting {
                        conn.reconnecting = true;
                        ctx.schedule_in(RECONNECT, MsgEvent::Reconnect { actor });
                    }
                    return Err(tag);
                }
            }
        }
        conn.inflight.push_back(tag);
        let epoch = conn.epoch;
        ctx.schedule_in(lat, MsgEvent::ToBroker { actor, epoch, argv: command });
        Ok(())
    }

    /// A command that never ran (the connection failed first): its owner makes up for it.
    fn failed(&mut self, ctx: &mut Ctx<'_, MsgEvent>, actor: Actor, tag: Tag) {
        match (actor, tag) {
            (Actor::Producer(p), Tag::Push(id, bytes)) => {
                self.history.failed(id);
                self.stats.resent += 1;
                self.outbox[p as usize].push_front((id, bytes));
            }
            (Actor::Producer(_), _) => {}
            (actor, tag) => self.feed(ctx, Input::Failed { actor, tag }),
        }
    }

    fn on_to_broker(&mut self, ctx: &mut Ctx<'_, MsgEvent>, actor: Actor, epoch: u32, command: Vec<Vec<u8>>) {
        let Some(conn) = self.links.conns.get(&actor) else {
            return;
        };
        if conn.epoch != epoch {
            return; // sent on a connection that has since closed
        }
        let Some(client) = conn.client else { return };
        if self.partitioned && actor.worker().is_some() {
            return; // lost in the partition; the client's socket timeout will notice
        }
        if !self.broker.is_up() {
            ctx.schedule_in(self.latency(), MsgEvent::Reset { actor, epoch });
            return;
        }
        let outcome = self.broker.execute(actor.code(), client, ctx.now(), command);
        let lat = self.latency();
        match outcome {
            Outcome::Replied(frames) | Outcome::Closed(frames) => {
                for frame in frames {
                    ctx.schedule_in(lat, MsgEvent::ToClient { actor, epoch, frame });
                }
            }
            Outcome::Blocked => {}
        }
        self.route_outputs(ctx);
    }

    fn route_outputs(&mut self, ctx: &mut Ctx<'_, MsgEvent>) {
        let lat = self.latency();
        for out in self.broker.take_outputs() {
            let Some(&actor) = self.clients.get(&out.client) else {
                continue;
            };
            let Some(conn) = self.links.conns.get(&actor) else {
                continue;
            };
            let epoch = conn.epoch;
            match out.event {
                Event::Reply(frame) => {
                    ctx.schedule_in(lat, MsgEvent::ToClient { actor, epoch, frame });
                }
                Event::Closed => {
                    ctx.schedule_in(lat, MsgEvent::Reset { actor, epoch });
                }
            }
        }
        let next = self.broker.next_timeout();
        match (next, self.wake) {
            (Some(t), Some((at, _))) if at <= t => {}
            (Some(t), prev) => {
                if let Some((_, id)) = prev {
                    ctx.cancel(id);
                }
                self.wake = Some((t, ctx.schedule_at(t, MsgEvent::BrokerWake)));
            }
            (None, _) => {}
        }
    }

    fn on_reset(&mut self, ctx: &mut Ctx<'_, MsgEvent>, actor: Actor, epoch: u32) {
        let Some(conn) = self.links.conns.get_mut(&actor) else {
            return;
        };
        if conn.epoch != epoch {
            return;
        }
        conn.epoch += 1;
        if let Some(c) = conn.client.take() {
            self.clients.remove(&c);
        }
        let tags: Vec<Tag> = conn.inflight.drain(..).collect();
        let schedule = !conn.reconnecting;
        conn.reconnecting = true;
        for t in tags {
            self.failed(ctx, actor, t);
        }
        if schedule {
            ctx.schedule_in(RECONNECT, MsgEvent::Reconnect { actor });
        }
    }

    fn on_reconnect(&mut self, ctx: &mut Ctx<'_, MsgEvent>, actor: Actor) {
        if let Some(c) = self.links.conns.get_mut(&actor) {
            c.reconnecting = false;
        }
        if let Some(w) = actor.worker() {
            if !self.machine.consumer(w).up {
                return;
            }
        }
        if !self.broker.is_up() {
            if let Some(c) = self.links.conns.get_mut(&actor) {
                c.reconnecting = true;
            }
            ctx.schedule_in(RECONNECT, MsgEvent::Reconnect { actor });
            return;
        }
        match actor {
            Actor::Producer(p) => self.flush_outbox(ctx, p),
            Actor::Slot(..) | Actor::Control(_) | Actor::Reaper => self.feed(ctx, Input::Reconnected(actor)),
        }
    }

    fn on_to_client(&mut self, ctx: &mut Ctx<'_, MsgEvent>, actor: Actor, epoch: u32, frame: Reply) {
        let Some(conn) = self.links.conns.get_mut(&actor) else {
            return;
        };
        if conn.epoch != epoch {
            // On the wire to a connection that died: what it carried is gone with it.
            if let Some(w) = actor.worker() {
                let mut lost = Vec::new();
                frame_messages(&frame, &mut lost);
                if let Some(rec) = self.crashes.iter_mut().rev().find(|c| c.worker == w) {
                    rec.in_flight.extend(lost);
                }
            }
            return;
        }
        if self.partitioned {
            if let Some(w) = actor.worker() {
                // Never arrives: what the broker handed to this connection is gone with the frame.
                let mut lost = Vec::new();
                frame_messages(&frame, &mut lost);
                for m in lost {
                    self.mark_lost(|| format!("message {m} lost in the partition on its way to consumer {w}"));
                    self.stats.partition_dropped += 1;
                    self.partition_drops.push((m, w));
                    self.note(ctx.now(), m, StepKind::Dropped { consumer: w, cause: DropCause::Partition });
                    self.flow(ctx.now(), m, Node::Broker, Node::Consumer(w), Fate::Lost);
                }
                return;
            }
        }
        if self.machine.takes_pushes(actor) {
            return self.feed(ctx, Input::Pushed { actor, frame });
        }
        let Some(tag) = conn.inflight.pop_front() else {
            return;
        };
        match actor {
            Actor::Producer(_) => self.on_pushed(ctx, tag, frame),
            Actor::Slot(..) | Actor::Control(_) | Actor::Reaper => self.feed(ctx, Input::Reply { actor, tag, frame }),
        }
    }

    /// Closes worker `w`'s connections: it died, so the server sees them go.
    fn close_connections(&mut self, ctx: &mut Ctx<'_, MsgEvent>, w: u32) {
        let actors: Vec<Actor> = self.links.conns.keys().copied().filter(|a| a.worker() == Some(w)).collect();
        for a in actors {
            let Some(conn) = self.links.conns.get_mut(&a) else {
                continue;
            };
            conn.epoch += 1;
            conn.inflight.clear();
            conn.reconnecting = false;
            if let Some(c) = conn.client.take() {
                self.clients.remove(&c);
                self.broker.disconnect(c);
            }
        }
        self.route_outputs(ctx);
    }

    // ---- producers ---------------------------------------------------------------------------

    fn produce(&mut self, ctx: &mut Ctx<'_, MsgEvent>, p: u32) {
        let seq = self.producer_seq[p as usize];
        self.producer_seq[p as usize] += 1;
        let id = self.checker.produce(p, seq, ctx.now());
        self.note(ctx.now(), id, StepKind::Produced { producer: p });
        self.flow(ctx.now(), id, Node::Producer(p), Node::Broker, Fate::Sent);
        self.feed(ctx, Input::Produced { producer: p, msg: id });
    }

    fn flush_outbox(&mut self, ctx: &mut Ctx<'_, MsgEvent>, p: u32) {
        while let Some((id, bytes)) = self.outbox[p as usize].pop_front() {
            let command = self.machine.push_command(&bytes);
            if let Err(tag) = self.send(ctx, Actor::Producer(p), Tag::Push(id, bytes), command) {
                return self.failed(ctx, Actor::Producer(p), tag);
            }
            let at_ms = self.elapsed_ms(ctx.now());
            self.history.sent(id, p, at_ms);
        }
    }

    /// The broker answered a producer's push (PUBLISH says how many subscribers received it).
    fn on_pushed(&mut self, ctx: &mut Ctx<'_, MsgEvent>, tag: Tag, frame: Reply) {
        if let Tag::Push(id, _) = &tag {
            let at_ms = self.elapsed_ms(ctx.now());
            self.history.replied(*id, !matches!(frame, Reply::Error(_)), at_ms);
        }
        let (Tag::Push(id, _), Reply::Integer(n)) = (tag, frame) else { return };
        if self.sc.pattern != PatternId::Pubsub {
            return;
        }
        self.published.push((id, n));
        if self.notable.is_some() {
            let missed = (0..self.sc.consumers.count).filter(|w| !self.machine.consumer(*w).up).count();
            if missed > 0 {
                self.mark_lost(|| format!("message {id} published while {missed} subscriber(s) were offline"));
            }
        }
        if self.trail.is_some() {
            self.note(ctx.now(), id, StepKind::Published { receivers: n });
            let offline: Vec<u32> = (0..self.sc.consumers.count).filter(|w| !self.machine.consumer(*w).up).collect();
            for w in offline {
                self.note(ctx.now(), id, StepKind::Dropped { consumer: w, cause: DropCause::Offline });
                self.flow(ctx.now(), id, Node::Broker, Node::Consumer(w), Fate::Lost);
            }
        }
    }

    // ---- faults ------------------------------------------------------------------------------

    fn on_fault(&mut self, ctx: &mut Ctx<'_, MsgEvent>, index: u32, start: bool) {
        let Some(f) = self.sc.faults.get(index as usize).cloned() else {
            return;
        };
        let end = MsgEvent::FaultEnd(index);
        if start {
            self.mark(NotableKind::Fault, || fault_label(&f));
        }
        match (f, start) {
            (Fault::Crash { consumer, down_ms, .. }, true) => {
                self.feed(ctx, Input::Crash(consumer));
                ctx.schedule_in(SimDuration::from_millis(down_ms), end);
            }
            (Fault::Crash { consumer, .. }, false) => self.feed(ctx, Input::Restart(consumer)),
            (Fault::Slow { consumer, factor, for_ms, .. }, true) => {
                self.feed(ctx, Input::Slow(consumer, factor));
                ctx.schedule_in(SimDuration::from_millis(for_ms), end);
            }
            (Fault::Slow { consumer, .. }, false) => self.feed(ctx, Input::Slow(consumer, 1.0)),
            (Fault::BrokerRestart { down_ms, .. }, true) => {
                self.broker.crash(ctx.now());
                self.stats.broker_restarts += 1;
                let lat = self.latency();
                for (actor, conn) in &self.links.conns {
                    if conn.client.is_some() {
                        ctx.schedule_in(lat, MsgEvent::Reset { actor: *actor, epoch: conn.epoch });
                    }
                }
                self.clients.clear();
                if let Some((_, id)) = self.wake.take() {
                    ctx.cancel(id);
                }
                ctx.schedule_in(SimDuration::from_millis(down_ms), end);
            }
            (Fault::BrokerRestart { .. }, false) => self.broker.restart(),
            (Fault::Outage { for_ms, .. }, true) => {
                self.outage = true;
                ctx.schedule_in(SimDuration::from_millis(for_ms), end);
            }
            (Fault::Outage { .. }, false) => self.outage = false,
            (Fault::Partition { for_ms, .. }, true) => {
                self.partitioned = true;
                ctx.schedule_in(SimDuration::from_millis(for_ms), end);
            }
            (Fault::Partition { .. }, false) => self.heal_partition(ctx),
        }
    }

    /// The partition heals. Every consumer connection's socket timeout fired meanwhile, so the
    /// clients drop them and reconnect; the retransmitted FINs reach the server, which closes its
    /// side (unblocking any BRPOP/BLMOVE/XREADGROUP still parked there).
    fn heal_partition(&mut self, ctx: &mut Ctx<'_, MsgEvent>) {
        self.partitioned = false;
        let cut: Vec<(Actor, u32, Option<ClientId>)> = self
            .links
            .conns
            .iter()
            .filter(|(a, _)| a.worker().is_some())
            .map(|(a, c)| (*a, c.epoch, c.client))
            .collect();
        for (actor, epoch, client) in cut {
            if let Some(c) = client {
                self.broker.disconnect(c);
                ctx.schedule_in(SimDuration::ZERO, MsgEvent::Reset { actor, epoch });
            }
        }
        self.route_outputs(ctx);
    }

    // ---- observation -------------------------------------------------------------------------

    fn depth(&self) -> u64 {
        match self.sc.pattern {
            PatternId::SimpleQueue | PatternId::ReliableQueue => self.broker.list_len(QUEUE),
            PatternId::TaskQueue => self.broker.list_len(CELERY) + self.broker.hash_len(b"unacked"),
            PatternId::Pubsub => 0,
            PatternId::StreamGroup => self.checker.undelivered(),
            PatternId::RequestResponse => self.machine.queued(),
        }
    }
}

impl Model for MessagingModel {
    type Event = MsgEvent;

    fn handle(&mut self, ctx: &mut Ctx<'_, MsgEvent>, event: MsgEvent) {
        match event {
            MsgEvent::Produce { producer } => {
                self.produce(ctx, producer);
                self.schedule_next_produce(ctx, producer);
            }
            MsgEvent::BurstMessage { producer } => self.produce(ctx, producer),
            MsgEvent::ToBroker { actor, epoch, argv } => self.on_to_broker(ctx, actor, epoch, argv),
            MsgEvent::ToClient { actor, epoch, frame } => self.on_to_client(ctx, actor, epoch, frame),
            MsgEvent::Reset { actor, epoch } => self.on_reset(ctx, actor, epoch),
            MsgEvent::Reconnect { actor } => self.on_reconnect(ctx, actor),
            MsgEvent::Machine { timer, token } => {
                if let Some(t) = token {
                    self.timers.remove(&t);
                }
                self.feed(ctx, Input::Timer(timer));
            }
            MsgEvent::BrokerWake => {
                self.wake = None;
                self.broker.advance(ctx.now());
                self.route_outputs(ctx);
            }
            MsgEvent::Cron => {
                self.broker.advance(ctx.now());
                if ctx.now().saturating_since(self.last_fsync) >= FSYNC_PERIOD {
                    self.last_fsync = ctx.now();
                    self.broker.fsync(ctx.now());
                }
                self.route_outputs(ctx);
                ctx.schedule_in(self.broker.store().cron_period(), MsgEvent::Cron);
            }
            MsgEvent::Sample => {
                let at = self.elapsed_ms(ctx.now());
                let depth = self.depth();
                self.checker.sample(at, depth);
                ctx.schedule_in(SimDuration::from_millis(self.sc.sample_ms), MsgEvent::Sample);
            }
            MsgEvent::FaultStart(i) => self.on_fault(ctx, i, true),
            MsgEvent::FaultEnd(i) => self.on_fault(ctx, i, false),
        }
    }

    fn describe(&self, event: &MsgEvent) -> (String, String) {
        match event {
            MsgEvent::ToBroker { actor, argv, .. } => (
                "redis".into(),
                format!(
                    "{} > {}",
                    actor.name(),
                    argv.iter().map(|a| String::from_utf8_lossy(a)).collect::<Vec<_>>().join(" ")
                ),
            ),
            MsgEvent::ToClient { actor, frame, .. } => (actor.name(), format!("< {frame:?}")),
            other => ("run".into(), format!("{other:?}")),
        }
    }
}

/// Everything one run produced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    pub pattern: PatternId,
    pub label: String,
    pub report: Report,
    pub stats: RunStats,
    pub series: Vec<Sample>,
    pub crashes: Vec<CrashRecord>,
    /// Pub/sub: each message and how many subscribers PUBLISH said received it.
    pub published: Vec<(MsgId, i64)>,
    /// Units never processed, (message, copy).
    pub lost_units: Vec<(MsgId, usize)>,
    pub duplicated_units: Vec<(MsgId, usize)>,
    /// (message, consumer) of every frame a partition swallowed on its way to a consumer.
    pub partition_drops: Vec<(MsgId, u32)>,
    /// The last commands clients sent, as redis-cli would show them.
    pub commands: Vec<String>,
}

/// What one consumer is and holds right now (for the page's cards and inspector).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConsumerView {
    pub index: u32,
    pub up: bool,
    /// 1 = normal speed; 10 = ten times slower.
    pub slow: f64,
    /// Cut off from the broker by a partition.
    pub partitioned: bool,
    /// Messages being processed now.
    pub running: u32,
    /// Messages it holds (popped, reserved, received or claimed, not finished), with whether each
    /// is running.
    pub held: Vec<(MsgId, bool)>,
    /// Task queue: the Celery delivery tags; stream group: the entry ids (parallel to `held`).
    pub tags: Vec<String>,
}

/// Whether the page's redis-cli runs `spec` ([`MessagingModel::query`]): it reads, it does not block,
/// and it needs no connection state (a transaction, a script, a subscription, a database). The
/// messaging page's bundle keeps every such command ([`super::MESSAGING_COMMANDS`]).
pub fn query_runs(spec: &crate::redis::CommandSpec) -> bool {
    use crate::redis::table::{Flag, Group};
    let stateful = matches!(spec.group, Group::Transactions | Group::Scripting)
        || matches!(
            spec.name,
            "subscribe"
                | "psubscribe"
                | "ssubscribe"
                | "unsubscribe"
                | "punsubscribe"
                | "sunsubscribe"
                | "monitor"
                | "select"
                | "swapdb"
                | "reset"
                | "quit"
                | "hello"
                | "auth"
        );
    !(spec.flags.contains(&Flag::Write) || spec.flags.contains(&Flag::Blocking) || stateful)
}

/// Why a command typed in the page's redis-cli was not run.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum QueryError {
    #[error("(error) {0}")]
    Syntax(String),
    #[error("(error) ERR {0}")]
    Unknown(String),
    #[error(
        "(error) {0} changes data: this pane only reads the run's server (LLEN, LRANGE, XINFO GROUPS, XPENDING, \
         XRANGE, HGETALL, ZRANGE, KEYS, TYPE, TTL, PUBSUB NUMSUB …); the run's own clients are the only writers"
    )]
    Writes(String),
    #[error("(error) the broker is down (its host crashed); try again after it restarts")]
    BrokerDown,
}

/// Largest burst one button press adds (the run's total stays within `MAX_MESSAGES`).
pub const MAX_LIVE_BURST: u32 = 5_000;

/// A messaging run the caller advances (the page plays it; the CLI runs it to the end).
pub struct MessagingRun {
    sim: Simulation<MessagingModel>,
    end: SimTime,
    label: String,
}

impl MessagingModel {
    pub fn scenario(&self) -> &Scenario {
        &self.sc
    }

    /// Virtual ms since the run started at `now`.
    pub fn ms_at(&self, now: SimTime) -> u64 {
        self.elapsed_ms(now)
    }

    /// When producers have stopped and the drain time is over (ms since the start).
    pub fn end_ms(&self) -> u64 {
        self.sc.produce_for_ms.saturating_add(self.sc.drain_ms)
    }

    /// Keeps the last `flows` moves and the lives of the last `lives` messages (see `trail`).
    pub fn record_trail(&mut self, flows: usize, lives: usize) {
        self.trail = Some(Trail::new(flows, lives));
    }

    pub fn trail(&self) -> Option<&Trail> {
        self.trail.as_ref()
    }

    /// The pushes and side effects recorded for `super::linear::history`.
    pub fn message_log(&self) -> &MessageLog {
        &self.history
    }

    /// The broker's dataset now (read-only; for final reads and observers).
    pub fn store(&self) -> &crate::redis::Store {
        self.broker.store()
    }

    /// The checker's counts so far.
    pub fn report(&self) -> Report {
        self.checker.report()
    }

    pub fn stats(&self) -> RunStats {
        RunStats { broker_commands: self.broker.commands(), ..self.stats.clone() }
    }

    /// Depth, lag and processed over time (bounded, see `checker::Series`).
    pub fn series(&self) -> &[Sample] {
        &self.checker.series.points
    }

    fn command_line(&self, l: &super::broker::LogLine) -> String {
        format!("{} {}> {}", l.at.saturating_since(self.start), Actor::from_code(l.owner).name(), l.command())
    }

    /// The last `n` commands clients sent, as redis-cli's MONITOR-like log shows them.
    pub fn recent_commands(&self, n: usize) -> Vec<String> {
        let log: Vec<_> = self.broker.log().collect();
        log[log.len().saturating_sub(n)..].iter().map(|l| self.command_line(l)).collect()
    }

    pub fn is_partitioned(&self) -> bool {
        self.partitioned
    }

    pub fn broker_up(&self) -> bool {
        self.broker.is_up()
    }

    /// Each consumer (worker, subscriber or instance) and what it holds.
    pub fn consumers(&self) -> Vec<ConsumerView> {
        (0..self.sc.consumers.count)
            .map(|i| {
                let c = self.machine.consumer(i);
                ConsumerView {
                    index: i,
                    up: c.up,
                    slow: c.slow,
                    partitioned: self.partitioned,
                    running: c.running,
                    held: c.held,
                    tags: c.tags,
                }
            })
            .collect()
    }

    /// Adds `fault` to the run's faults, starting now (its `at_ms` is replaced by the current
    /// time): the page's buttons. The fault is checked like a scenario's; a refused fault changes
    /// nothing. It starts with the events due now.
    pub fn inject_now(&mut self, ctx: &mut Ctx<'_, MsgEvent>, fault: Fault) -> Result<(), ScenarioError> {
        let now_ms = self.elapsed_ms(ctx.now());
        let fault = match fault {
            Fault::Crash { consumer, down_ms, .. } => Fault::Crash { consumer, at_ms: now_ms, down_ms },
            Fault::Slow { consumer, factor, for_ms, .. } => Fault::Slow { consumer, at_ms: now_ms, factor, for_ms },
            Fault::BrokerRestart { down_ms, .. } => Fault::BrokerRestart { at_ms: now_ms, down_ms },
            Fault::Outage { for_ms, .. } => Fault::Outage { at_ms: now_ms, for_ms },
            Fault::Partition { for_ms, .. } => Fault::Partition { at_ms: now_ms, for_ms },
        };
        let mut check = self.sc.clone();
        check.faults = vec![fault.clone()];
        check.validate()?;
        if self.sc.faults.len() >= 1_000 {
            return Err(ScenarioError::Range {
                field: "faults",
                value: "1000".into(),
                accepted: "at most 1000 faults in one run",
            });
        }
        let index = self.sc.faults.len() as u32;
        self.sc.faults.push(fault);
        ctx.schedule_in(SimDuration::ZERO, MsgEvent::FaultStart(index));
        Ok(())
    }

    /// Adds a burst of `count` messages over `over_ms`, starting now (the "peak load" button).
    pub fn burst_now(&mut self, ctx: &mut Ctx<'_, MsgEvent>, count: u32, over_ms: u64) -> Result<(), ScenarioError> {
        self.check_burst(count)?;
        let now = ctx.now();
        let n = u64::from(count);
        let producers = self.sc.producers.count.max(1);
        for i in 0..n {
            let at = now.saturating_add(SimDuration::from_millis(over_ms.saturating_mul(i) / n));
            let producer = self.next_burst_producer;
            self.next_burst_producer = (self.next_burst_producer + 1) % producers;
            ctx.schedule_at(at, MsgEvent::BurstMessage { producer });
        }
        self.burst_windows.push((now, now.saturating_add(SimDuration::from_millis(over_ms))));
        self.mark(NotableKind::Fault, || format!("peak load: +{count} messages in {over_ms} ms"));
        Ok(())
    }

    /// Whether [`MessagingModel::burst_now`] would take `count` more messages (it changes nothing).
    pub fn check_burst(&self, count: u32) -> Result<(), ScenarioError> {
        let produced = self.checker.produced() as f64;
        if count == 0 || count > MAX_LIVE_BURST {
            return Err(ScenarioError::Range {
                field: "burst.count",
                value: count.to_string(),
                accepted: "1 to 5000 messages",
            });
        }
        if produced + f64::from(count) > super::scenario::MAX_MESSAGES {
            return Err(ScenarioError::TooManyMessages(produced + f64::from(count)));
        }
        Ok(())
    }

    /// Runs a read-only command typed by the user against (a copy of) the run's server at `now`,
    /// as redis-cli would print its reply. Commands that write are refused: the run's clients are
    /// its only writers, so a replay from the seed stays the same run.
    pub fn query(&self, now: SimTime, line: &str) -> Result<String, QueryError> {
        let argv = crate::redis::cli::tokenize(line).map_err(|e| QueryError::Syntax(e.to_string()))?;
        if argv.is_empty() {
            return Ok(String::new());
        }
        let spec = crate::redis::server::lookup_command(&argv).map_err(QueryError::Unknown)?;
        if !query_runs(spec) {
            return Err(QueryError::Writes(spec.name.to_uppercase().replace('|', " ")));
        }
        if !self.broker.is_up() {
            return Err(QueryError::BrokerDown);
        }
        let mut store = self.broker.store().clone();
        let reply = store.execute(now, &argv);
        Ok(crate::redis::cli::format_human(&reply).trim_end_matches('\n').to_string())
    }

    /// Everything the run produced so far (`label` names the run).
    pub fn result(&self, label: &str) -> RunResult {
        RunResult {
            pattern: self.sc.pattern,
            label: label.to_string(),
            report: self.checker.report(),
            stats: self.stats(),
            series: self.checker.series.points.clone(),
            crashes: self.crashes.clone(),
            published: self.published.clone(),
            lost_units: self.checker.lost_units(),
            duplicated_units: self.checker.duplicated_units(),
            partition_drops: self.partition_drops.clone(),
            commands: self.broker.log().map(|l| self.command_line(l)).collect(),
        }
    }
}

/// A fault as a notable mark names it.
fn fault_label(f: &Fault) -> String {
    match *f {
        Fault::Crash { consumer, down_ms, .. } => format!("consumer {consumer} crashes ({down_ms} ms down)"),
        Fault::Slow { consumer, factor, for_ms, .. } => {
            format!("consumer {consumer} slows down ×{factor} for {for_ms} ms")
        }
        Fault::BrokerRestart { down_ms, .. } => format!("the broker's host crashes ({down_ms} ms down)"),
        Fault::Outage { for_ms, .. } => format!("downstream outage for {for_ms} ms"),
        Fault::Partition { for_ms, .. } => format!("consumers partitioned from the broker for {for_ms} ms"),
    }
}

/// Builds the kernel run of `scenario` with `seed`, its clock starting at `epoch`, started (the
/// producers', faults' and machine's first events queued).
pub(super) fn build_sim(
    scenario: Scenario,
    seed: u64,
    epoch: SimTime,
) -> Result<Simulation<MessagingModel>, ScenarioError> {
    let model = MessagingModel::new(scenario, seed)?;
    let mut sim = Simulation::new(model, epoch);
    sim.act(|m, ctx| m.start_run(ctx));
    Ok(sim)
}

impl MessagingRun {
    pub fn new(scenario: Scenario, seed: u64, label: &str) -> Result<Self, ScenarioError> {
        let run_ms = scenario.produce_for_ms.saturating_add(scenario.drain_ms);
        let sim = build_sim(scenario, seed, TEST_EPOCH)?;
        let end = TEST_EPOCH.saturating_add(SimDuration::from_millis(run_ms));
        Ok(MessagingRun { sim, end, label: label.to_string() })
    }

    pub fn end(&self) -> SimTime {
        self.end
    }
    pub fn now(&self) -> SimTime {
        self.sim.now()
    }
    pub fn events(&self) -> u64 {
        self.sim.processed()
    }
    pub fn is_done(&self) -> bool {
        self.sim.now() >= self.end
    }

    /// The kernel run (its trace holds the running digest when turned on).
    pub fn sim(&self) -> &Simulation<MessagingModel> {
        &self.sim
    }
    pub fn sim_mut(&mut self) -> &mut Simulation<MessagingModel> {
        &mut self.sim
    }
    pub fn model(&self) -> &MessagingModel {
        &self.sim.model
    }

    /// Runs up to `until` (capped at the end) or `max_events`, whichever comes first; true when
    /// `until` was reached.
    pub fn advance(&mut self, until: SimTime, max_events: u64) -> bool {
        self.sim.run_until_bounded(until.min(self.end), max_events)
    }

    /// Keeps the last `flows` moves and the lives of the last `lives` messages (see `trail`).
    pub fn record_trail(&mut self, flows: usize, lives: usize) {
        self.sim.model.record_trail(flows, lives);
    }

    pub fn trail(&self) -> Option<&Trail> {
        self.sim.model.trail()
    }

    pub fn scenario(&self) -> &Scenario {
        &self.sim.model.sc
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    /// The checker's counts so far.
    pub fn report(&self) -> Report {
        self.sim.model.report()
    }

    pub fn stats(&self) -> RunStats {
        self.sim.model.stats()
    }

    /// Depth, lag and processed over time (bounded, see `checker::Series`).
    pub fn series(&self) -> &[Sample] {
        self.sim.model.series()
    }

    /// The last `n` commands clients sent, as redis-cli's MONITOR-like log shows them.
    pub fn recent_commands(&self, n: usize) -> Vec<String> {
        self.sim.model.recent_commands(n)
    }

    pub fn is_partitioned(&self) -> bool {
        self.sim.model.is_partitioned()
    }

    pub fn broker_up(&self) -> bool {
        self.sim.model.broker_up()
    }

    /// Each consumer (worker, subscriber or instance) and what it holds.
    pub fn consumers(&self) -> Vec<ConsumerView> {
        self.sim.model.consumers()
    }

    /// Injects `fault` now (see [`MessagingModel::inject_now`]); it takes effect at once, even
    /// while paused (what is due now runs now).
    pub fn inject(&mut self, fault: Fault) -> Result<(), ScenarioError> {
        self.sim.act(|m, ctx| m.inject_now(ctx, fault))?;
        let now = self.sim.now();
        self.sim.run_until(now);
        Ok(())
    }

    /// Adds a burst of `count` messages over `over_ms`, starting now (the "peak load" button).
    pub fn burst(&mut self, count: u32, over_ms: u64) -> Result<(), ScenarioError> {
        self.sim.act(|m, ctx| m.burst_now(ctx, count, over_ms))
    }

    /// Whether [`MessagingRun::burst`] would take `count` more messages (it changes nothing).
    pub fn check_burst(&self, count: u32) -> Result<(), ScenarioError> {
        self.sim.model.check_burst(count)
    }

    /// A read-only command typed by the user (see [`MessagingModel::query`]).
    pub fn query(&self, line: &str) -> Result<String, QueryError> {
        self.sim.model.query(self.sim.now(), line)
    }

    pub fn run_to_end(mut self) -> RunResult {
        let end = self.end;
        self.sim.run_until(end);
        self.result()
    }

    pub fn result(&self) -> RunResult {
        self.sim.model.result(&self.label)
    }
}

/// The page plays a `MessagingRun` through the shared playback driver; the clock stops at the
/// run's end (producers stopped and the drain time over).
impl crate::sim::Clocked for MessagingRun {
    fn now(&self) -> SimTime {
        self.sim.now()
    }
    fn processed(&self) -> u64 {
        self.sim.processed()
    }
    fn next_event_time(&mut self) -> Option<SimTime> {
        let end = self.end;
        self.sim.next_event_time().filter(|t| *t <= end)
    }
    fn step(&mut self) -> bool {
        if crate::sim::Clocked::next_event_time(self).is_none() {
            return false;
        }
        self.sim.step()
    }
    fn run_until(&mut self, until: SimTime) {
        let until = until.min(self.end);
        self.sim.run_until(until);
    }
    fn run_until_bounded(&mut self, until: SimTime, max_events: u64) -> bool {
        self.advance(until, max_events)
    }
}

/// Runs every variant of a preset to the end.
pub fn run_preset(id: &str, seed: u64) -> Result<Vec<RunResult>, ScenarioError> {
    super::scenario::preset(id)?
        .into_iter()
        .map(|v| Ok(MessagingRun::new(v.scenario, seed, &v.label)?.run_to_end()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messaging::machine::payload;
    use crate::messaging::scenario::{Consumers, Producers};
    use crate::sim::Distribution;

    fn run(sc: Scenario, seed: u64) -> RunResult {
        MessagingRun::new(sc, seed, "test").unwrap().run_to_end()
    }

    fn base(pattern: PatternId) -> Scenario {
        Scenario {
            pattern,
            produce_for_ms: 5_000,
            drain_ms: 5_000,
            producers: Producers { count: 2, rate_per_s: 20.0, bursts: Vec::new() },
            consumers: Consumers { count: 3, service: Distribution::Constant { ms: 10.0 }, ..Consumers::default() },
            ..Scenario::default()
        }
    }

    #[test]
    fn without_faults_every_pattern_processes_everything_once() {
        for pattern in PatternId::ALL {
            let r = run(base(pattern), 5);
            let units = if pattern.is_fan_out() { 3 } else { 1 } * r.report.produced;
            assert!(r.report.produced > 100, "{pattern}");
            assert_eq!(
                (r.report.processed, r.report.lost, r.report.duplicated),
                (units, 0, 0),
                "{pattern}: {:?}",
                r.report
            );
            assert_eq!(r.series.last().map(|s| s.lag), Some(0), "{pattern}");
        }
    }

    #[test]
    fn a_slow_consumer_builds_a_backlog_that_drains_after_it_recovers() {
        let mut sc = base(PatternId::SimpleQueue);
        sc.consumers.count = 1;
        sc.faults = vec![Fault::Slow { consumer: 0, at_ms: 1_000, factor: 20.0, for_ms: 2_000 }];
        let slow = run(sc.clone(), 1);
        sc.faults.clear();
        let fast = run(sc, 1);
        assert!(
            slow.report.peak_depth > 10 * fast.report.peak_depth.max(1),
            "{} vs {}",
            slow.report.peak_depth,
            fast.report.peak_depth
        );
        assert!(slow.report.p99_ms > fast.report.p99_ms);
        assert_eq!(slow.report.lost, 0);
    }

    #[test]
    fn a_crashed_instance_costs_request_response_timeouts_that_retries_recover() {
        let mut sc = base(PatternId::RequestResponse);
        sc.faults = vec![Fault::Crash { consumer: 0, at_ms: 2_000, down_ms: 2_000 }];
        let r = run(sc, 3);
        assert!(r.stats.timed_out > 0 && r.stats.retries > 0, "{:?}", r.stats);
        assert_eq!(r.stats.failed, r.report.lost, "a request is lost when its last retry fails");
    }

    #[test]
    fn payloads_round_trip() {
        let p = payload(42, 3, SimTime::from_unix_ms(1_700_000_000_123));
        assert_eq!(parse_payload(&p), Some((42, 3, SimTime::from_unix_ms(1_700_000_000_123))));
        assert_eq!(parse_payload(b"msg:x:1:2"), None);
        for a in [Actor::Producer(7), Actor::Slot(3, 5), Actor::Control(9), Actor::Reaper] {
            assert_eq!(Actor::from_code(a.code()), a);
        }
    }
}
