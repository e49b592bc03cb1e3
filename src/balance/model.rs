//! The simulated fleet on the kernel: clients send Poisson traffic through one balancer to servers
//! with concurrency limits and bounded queues; health checks decide what the balancer believes.
//!
//! The balancer sees only [`ServerView`]s — what checks and its own bookkeeping tell it — while the
//! model keeps each server's true [`ServerState`]. A request sent to a server that crashed but is
//! not yet detected fails and is counted. The workload (arrival times, clients, paths, ports and
//! each request's amount of work) comes from streams that do not depend on the algorithm, so every
//! algorithm sees exactly the same requests for one seed.

use super::balancer::{Balancer, Request, ServerView};
use super::metrics::{Metrics, RunSummary};
use super::passive::{MaxFails, PeerFails};
pub use super::scenario::ServerState;
use super::scenario::{Action, Scenario, ServerConfig};
use super::{build_balancer, AlgorithmId, BalanceError};
use crate::sim::{Ctx, Distribution, Model, SimDuration, SimRng, SimTime, Simulation, TEST_EPOCH};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Events of the load-balancing model.
#[derive(Clone, Debug, PartialEq)]
pub enum LbEvent {
    /// The next request arrives at the balancer.
    Arrival,
    /// A server finishes a request that arrived at `arrived`; `generation` guards against
    /// completions of work lost in a crash.
    Done { server: u32, generation: u32, arrived: SimTime },
    /// An active health check of `server`.
    HealthCheck { server: usize },
    /// Close a metrics window (and advance slow starts).
    Window,
    /// The scenario's duration is over: no more arrivals. The run ends as soon as nothing is in
    /// flight (now, or when the last request finishes).
    ArrivalsEnd,
    /// A scripted change to the fleet (boxed: it is rare and large, and every event is moved
    /// through the heap).
    Act(Box<Action>),
}

#[derive(Clone, Copy, Debug)]
struct Queued {
    arrived: SimTime,
    work_ms: f64,
}

/// One server's true state and the balancer's beliefs about it.
#[derive(Clone, Debug)]
struct Server {
    cfg: ServerConfig,
    state: ServerState,
    pinned_latency_ms: Option<u64>,
    busy: u32,
    queue: VecDeque<Queued>,
    generation: u32,
    /// The active checks' verdict.
    checks_up: bool,
    ok_streak: u32,
    fail_streak: u32,
    /// nginx's passive-check bookkeeping (`max_fails` / `fail_timeout`).
    fails: PeerFails,
    /// When the server last came back (slow start runs from here).
    recovered_at: Option<SimTime>,
}

impl Server {
    fn new(cfg: ServerConfig) -> Self {
        Server {
            state: cfg.state,
            cfg,
            pinned_latency_ms: None,
            busy: 0,
            queue: VecDeque::new(),
            generation: 0,
            checks_up: true,
            ok_streak: 0,
            fail_streak: 0,
            fails: PeerFails::default(),
            recovered_at: None,
        }
    }
}

/// One request dispatched, for the page's animation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    pub at_ms: u64,
    pub client: u32,
    /// Index into the scenario's `paths`.
    pub path: u16,
    /// `None` when no server was eligible.
    pub server: Option<u32>,
    pub outcome: FlowOutcome,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowOutcome {
    Served,
    Queued,
    Dropped,
    Failed,
    NoServer,
}

/// A server as the page draws it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServerSnapshot {
    pub index: usize,
    pub state: ServerState,
    pub pinned_latency_ms: Option<u64>,
    /// What the balancer believes.
    pub view: ServerView,
    pub busy: u32,
    pub queued: u32,
    pub concurrency: u32,
    pub queue_limit: u32,
    pub configured_weight: u32,
    pub requests: u64,
    pub completed: u64,
    pub errors: u64,
    pub drops: u64,
    pub utilization: f64,
    pub p99_ms: u64,
}

/// The model: fleet, balancer, workload streams and metrics. `Clone` for rewind's snapshots.
#[derive(Clone)]
pub struct LbModel {
    scenario: Scenario,
    balancer: Box<dyn Balancer>,
    servers: Vec<Server>,
    views: Vec<ServerView>,
    clients: Vec<[u8; 4]>,
    path_weights: Vec<u64>,
    arrivals_rng: SimRng,
    /// Arrival clock in fractional ms since the start, so high rates do not round to zero gaps.
    arrival_clock_ms: f64,
    start: SimTime,
    end: SimTime,
    /// nginx's `max_fails` / `fail_timeout` (off without passive checks).
    max_fails: MaxFails,
    /// The earliest passive skip that ends (views need a refresh then).
    next_passive_expiry: SimTime,
    /// The pending close of the current metrics window.
    window_event: Option<crate::sim::EventId>,
    pub metrics: Metrics,
    /// Recent dispatches (only kept when `flow_capacity > 0`).
    flows: VecDeque<Flow>,
    flow_capacity: usize,
    /// Each server's (state, believed up) when rewind last looked (`Rewindable::drain_notable`).
    pub(super) notable_seen: Vec<(ServerState, bool)>,
}

impl LbModel {
    fn new(scenario: &Scenario, start: SimTime) -> Result<Self, BalanceError> {
        scenario.validate()?;
        let root = SimRng::new(scenario.seed);
        let max_fails = match &scenario.health.passive {
            Some(p) => MaxFails { max_fails: p.max_fails, fail_timeout: SimDuration::from_millis(p.fail_timeout_ms) },
            None => MaxFails::OFF,
        };
        let balancer = build_balancer(
            scenario.algorithm,
            &scenario.balancer,
            scenario.max_servers(),
            max_fails.max_fails,
            root.child("balancer"),
        )?;
        let servers: Vec<Server> = scenario.servers.iter().cloned().map(Server::new).collect();
        let mut clients_rng = root.child("clients");
        let c = &scenario.clients;
        let clients = (0..c.count)
            .map(|i| {
                if i < c.nat_clients {
                    // A carrier NAT: many clients, addresses drawn from one /24.
                    [c.nat_prefix[0], c.nat_prefix[1], c.nat_prefix[2], clients_rng.range_inclusive(1, 254) as u8]
                } else {
                    // Elsewhere: distinct addresses spread over 10.0.0.0/8-like space.
                    let x = clients_rng.next_u32();
                    [(x >> 24) as u8 | 1, (x >> 16) as u8, (x >> 8) as u8, (x as u8).max(1)]
                }
            })
            .collect();
        let mut m = LbModel {
            views: vec![ServerView::up(0); servers.len()],
            servers,
            clients,
            path_weights: scenario.paths.iter().map(|p| u64::from(p.weight)).collect(),
            arrivals_rng: root.child("arrivals"),
            arrival_clock_ms: 0.0,
            start,
            end: start + SimDuration::from_millis(scenario.duration_ms),
            max_fails,
            next_passive_expiry: SimTime::MAX,
            window_event: None,
            metrics: Metrics::new(scenario.servers.len(), start),
            flows: VecDeque::new(),
            flow_capacity: 0,
            notable_seen: scenario.servers.iter().map(|s| (s.state, true)).collect(),
            balancer,
            scenario: scenario.clone(),
        };
        for i in 0..m.servers.len() {
            m.refresh_view(i, start);
        }
        Ok(m)
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Keep the last `n` dispatches for animation (0 = off).
    pub fn record_flows(&mut self, n: usize) {
        self.flow_capacity = n;
        self.flows.clear();
    }

    pub fn balancer(&self) -> &dyn Balancer {
        self.balancer.as_ref()
    }

    /// Every client's IPv4 address (index = `Flow::client`).
    pub fn clients(&self) -> &[[u8; 4]] {
        &self.clients
    }

    pub fn views(&self) -> &[ServerView] {
        &self.views
    }

    pub fn flows(&self) -> &VecDeque<Flow> {
        &self.flows
    }

    /// Weight after slow start, as the balancer should see it. As in nginx, slow start does not
    /// apply to the hashing methods: changing their weights would remap clients.
    fn effective_weight(&self, i: usize, now: SimTime) -> u32 {
        let s = &self.servers[i];
        let hashing = matches!(
            self.scenario.algorithm,
            AlgorithmId::IpHash
                | AlgorithmId::IpHashFull
                | AlgorithmId::L4Hash
                | AlgorithmId::Ring
                | AlgorithmId::Maglev
        );
        let ramp = if hashing { 0 } else { self.scenario.health.slow_start_ms };
        match s.recovered_at {
            Some(t) if ramp > 0 && (now - t).as_millis() < ramp && s.cfg.weight > 0 => {
                let w = u128::from(s.cfg.weight) * u128::from((now - t).as_millis()) / u128::from(ramp);
                (w as u32).max(1)
            }
            _ => s.cfg.weight,
        }
    }

    /// nginx's `peers->single`: one peer is always tried and its failures are not counted.
    fn single(&self) -> bool {
        self.servers.len() == 1
    }

    fn refresh_view(&mut self, i: usize, now: SimTime) {
        let skipped = !self.single() && self.servers[i].fails.skipped(self.max_fails, now);
        if let Some(t) = self.servers[i].fails.skipped_until(self.max_fails, now).filter(|_| skipped) {
            self.next_passive_expiry = self.next_passive_expiry.min(t);
        }
        let w = self.effective_weight(i, now);
        let v = &mut self.views[i];
        v.up = self.servers[i].checks_up && !skipped;
        v.weight = w;
    }

    fn refresh_all(&mut self, now: SimTime) {
        self.next_passive_expiry = SimTime::MAX;
        for i in 0..self.servers.len() {
            self.refresh_view(i, now);
        }
    }

    /// The tail of nginx's `get_peer`: the chosen peer is "checked" once `fail_timeout` has passed
    /// since its last check, which after a skip makes this request the one probe and skips the
    /// peer again until it answers.
    fn after_pick(&mut self, i: usize, now: SimTime) {
        if self.max_fails.max_fails == 0 || self.single() {
            return;
        }
        self.servers[i].fails.picked(self.max_fails, now);
        if self.servers[i].fails.fails >= self.max_fails.max_fails {
            self.refresh_view(i, now);
        }
    }

    /// A request to `i` ended without failing (`free_peer` with state 0). nginx tests the skip
    /// on every pick, so a peer whose probe succeeded is eligible at once: refresh its view.
    fn succeeded(&mut self, i: usize, now: SimTime) {
        let was = self.servers[i].fails.fails;
        if self.single() {
            self.servers[i].fails.single();
        } else {
            self.servers[i].fails.succeeded();
        }
        if was > 0 && self.servers[i].fails.fails == 0 {
            self.refresh_view(i, now);
        }
    }

    fn record_flow(&mut self, now: SimTime, client: usize, path: usize, server: Option<usize>, outcome: FlowOutcome) {
        if self.flow_capacity == 0 {
            return;
        }
        if self.flows.len() == self.flow_capacity {
            self.flows.pop_front();
        }
        self.flows.push_back(Flow {
            at_ms: (now - self.start).as_millis(),
            client: client as u32,
            path: path.min(usize::from(u16::MAX)) as u16,
            server: server.map(|s| s as u32),
            outcome,
        });
    }

    /// `count` requests to `server` failed: counted, reported to the balancer (nginx's
    /// effective-weight penalty, once per request) and to the passive check (`fails++` each).
    fn fail(&mut self, i: usize, count: u64, now: SimTime) {
        if count == 0 {
            return;
        }
        self.metrics.failed(i, count);
        // The penalty floors the effective weight at 0 within a few failures; more change nothing.
        for _ in 0..count.min(64) {
            self.balancer.report_failure(i);
        }
        if self.single() {
            self.servers[i].fails.single();
            return;
        }
        for _ in 0..count.min(u64::from(u32::MAX)) {
            self.servers[i].fails.failed(now);
            if self.servers[i].fails.fails == u32::MAX {
                break;
            }
        }
        self.refresh_view(i, now);
    }

    fn start_service(&mut self, ctx: &mut Ctx<'_, LbEvent>, i: usize, q: Queued) {
        let now = ctx.now();
        let s = &mut self.servers[i];
        let ms = match s.pinned_latency_ms {
            Some(p) => p as f64,
            None => {
                let slow = if s.state == ServerState::Slow { s.cfg.slow_factor } else { 1.0 };
                q.work_ms / s.cfg.speed * slow
            }
        };
        s.busy += 1;
        let busy = s.busy;
        let generation = s.generation;
        self.metrics.servers[i].set_busy(busy, now);
        ctx.schedule_in(
            SimDuration::from_millis_f64(ms),
            LbEvent::Done { server: i as u32, generation, arrived: q.arrived },
        );
    }

    fn on_arrival(&mut self, ctx: &mut Ctx<'_, LbEvent>) {
        let now = ctx.now();
        self.schedule_next_arrival(ctx);
        self.metrics.arrival();
        if now >= self.next_passive_expiry {
            self.refresh_all(now);
        }
        let rng = &mut self.arrivals_rng;
        let client = rng.index(self.clients.len());
        let path = rng.weighted_index(&self.path_weights).unwrap_or(0);
        let dst_port = self.scenario.dst_ports[rng.index(self.scenario.dst_ports.len())];
        let client_port = 1024 + rng.below(64_512) as u16;
        let work_ms = self.scenario.service.sample_ms(rng);
        let req = Request {
            client_ip: self.clients[client],
            client_port,
            dst_ip: [10, 0, 0, 1],
            dst_port,
            protocol: 6,
            path: &self.scenario.paths[path].path,
        };
        let Some(i) = self.balancer.pick(&req, &self.views, now).filter(|i| *i < self.servers.len()) else {
            self.metrics.no_server();
            self.record_flow(now, client, path, None, FlowOutcome::NoServer);
            return;
        };
        self.after_pick(i, now);
        self.metrics.servers[i].requests += 1;
        let q = Queued { arrived: now, work_ms };
        let s = &mut self.servers[i];
        let outcome = if s.state == ServerState::Down {
            FlowOutcome::Failed
        } else if s.busy < s.cfg.concurrency {
            FlowOutcome::Served
        } else if (s.queue.len() as u64) < u64::from(s.cfg.queue_limit) {
            FlowOutcome::Queued
        } else {
            FlowOutcome::Dropped
        };
        match outcome {
            FlowOutcome::Failed => self.fail(i, 1, now),
            FlowOutcome::Served => {
                self.views[i].active += 1;
                self.start_service(ctx, i, q);
            }
            FlowOutcome::Queued => {
                self.views[i].active += 1;
                self.servers[i].queue.push_back(q);
            }
            // A full queue answers 503, which nginx passes on without counting a failure
            // (`proxy_next_upstream` does not include http_503 by default).
            FlowOutcome::Dropped | FlowOutcome::NoServer => {
                self.metrics.dropped(i);
                self.succeeded(i, now);
            }
        }
        self.record_flow(now, client, path, Some(i), outcome);
    }

    fn schedule_next_arrival(&mut self, ctx: &mut Ctx<'_, LbEvent>) {
        let mut rate = self.scenario.arrivals.rate_per_s;
        if let Some(b) = &self.scenario.arrivals.burst {
            if (self.arrival_clock_ms as u64) % b.every_ms < b.length_ms {
                rate *= b.multiplier;
            }
        }
        self.arrival_clock_ms += self.arrivals_rng.exponential(1000.0 / rate);
        let at = self.start + SimDuration::from_millis_f64(self.arrival_clock_ms.floor());
        if at < self.end {
            ctx.schedule_at(at, LbEvent::Arrival);
        }
    }

    fn on_done(&mut self, ctx: &mut Ctx<'_, LbEvent>, i: usize, generation: u32, arrived: SimTime) {
        if self.servers[i].generation != generation {
            return;
        }
        let now = ctx.now();
        let latency = now - arrived;
        self.metrics.completed(i, latency);
        let v = &mut self.views[i];
        v.active = v.active.saturating_sub(1);
        v.rtt_ms = if v.rtt_ms == 0.0 {
            latency.as_millis() as f64
        } else {
            0.9 * v.rtt_ms + 0.1 * latency.as_millis() as f64
        };
        self.balancer.observe(i, latency, now);
        self.succeeded(i, now);
        let s = &mut self.servers[i];
        s.busy -= 1;
        let busy = s.busy;
        self.metrics.servers[i].set_busy(busy, now);
        if let Some(q) = self.servers[i].queue.pop_front() {
            self.start_service(ctx, i, q);
        }
        self.finish_if_drained(ctx);
    }

    fn on_health_check(&mut self, ctx: &mut Ctx<'_, LbEvent>, i: usize) {
        let Some(a) = self.scenario.health.active.clone() else {
            return;
        };
        let now = ctx.now();
        let s = &mut self.servers[i];
        if s.state == ServerState::Down {
            s.ok_streak = 0;
            s.fail_streak = s.fail_streak.saturating_add(1);
            if s.checks_up && s.fail_streak >= a.fall {
                s.checks_up = false;
            }
        } else {
            s.fail_streak = 0;
            s.ok_streak = s.ok_streak.saturating_add(1);
            if !s.checks_up && s.ok_streak >= a.rise {
                s.checks_up = true;
                s.recovered_at = Some(now);
            }
        }
        self.refresh_view(i, now);
        // Checks serve the arrivals; none is left to check for once they stop.
        if now + SimDuration::from_millis(a.interval_ms) < self.end {
            ctx.schedule_in(SimDuration::from_millis(a.interval_ms), LbEvent::HealthCheck { server: i });
        }
    }

    /// Each server's true state and whether the balancer believes it up.
    pub(super) fn server_states(&self) -> impl Iterator<Item = (ServerState, bool)> + '_ {
        self.servers.iter().zip(&self.views).map(|(s, v)| (s.state, v.up))
    }

    /// How many servers the fleet has now.
    /// Roughly the heap bytes this state holds, weighed by what it keeps: the metrics'
    /// histograms and windows, each server with its queue, the balancer's views, the client and
    /// path tables, the kept flows and the scenario. What a rewind snapshot of it costs (nothing
    /// here is shared between clones).
    pub fn heap_bytes(&self) -> usize {
        use std::mem::{size_of, size_of_val};
        let servers: usize =
            self.servers.iter().map(|s| size_of::<Server>() + s.queue.len() * size_of::<Queued>()).sum();
        // The balancer's own per-server tables are not visible through the trait: count its
        // struct and a few words per server for them.
        let balancer = size_of_val(&*self.balancer) + self.servers.len() * 4 * size_of::<u64>();
        let scenario = size_of::<Scenario>()
            + self.scenario.servers.len() * size_of::<ServerConfig>()
            + self.scenario.events.len() * size_of::<super::scenario::ScheduledAction>()
            + self.scenario.paths.len() * size_of::<super::scenario::PathWeight>();
        size_of::<Self>()
            + self.metrics.heap_bytes()
            + servers
            + balancer
            + scenario
            + self.views.len() * size_of::<ServerView>()
            + self.clients.len() * size_of::<[u8; 4]>()
            + self.path_weights.len() * size_of::<u64>()
            + self.flows.len() * size_of::<Flow>()
            + self.notable_seen.len() * size_of::<(ServerState, bool)>()
    }

    pub fn server_count(&self) -> usize {
        self.servers.len()
    }

    /// Each server's configured weight (before slow start).
    pub fn server_weights(&self) -> impl Iterator<Item = u32> + '_ {
        self.servers.iter().map(|s| s.cfg.weight)
    }

    fn draining(&self) -> bool {
        self.servers.iter().any(|s| s.busy > 0 || !s.queue.is_empty())
    }

    /// After the arrivals have stopped, the last request to finish ends the run: the open metrics
    /// window closes then instead of at its full width, so nothing is left to happen.
    pub(super) fn finish_if_drained(&mut self, ctx: &mut Ctx<'_, LbEvent>) {
        let now = ctx.now();
        if now < self.end || self.draining() {
            return;
        }
        if let Some(id) = self.window_event.take() {
            ctx.cancel(id);
            self.metrics.close_window(now);
        }
    }

    /// Applies a change to the fleet now (scripted events and the page's buttons).
    pub fn apply(&mut self, ctx: &mut Ctx<'_, LbEvent>, action: Action) {
        let now = ctx.now();
        match action {
            Action::SetState { server, state } if server < self.servers.len() => {
                let was = self.servers[server].state;
                self.servers[server].state = state;
                if state == ServerState::Down && was != ServerState::Down {
                    // The crash loses everything in service or queued there.
                    let s = &mut self.servers[server];
                    let lost = u64::from(s.busy) + s.queue.len() as u64;
                    s.generation = s.generation.wrapping_add(1);
                    s.busy = 0;
                    s.queue.clear();
                    self.metrics.servers[server].set_busy(0, now);
                    self.views[server].active = 0;
                    self.fail(server, lost, now);
                } else if was == ServerState::Down
                    && state != ServerState::Down
                    && self.scenario.health.active.is_none()
                {
                    // Without active checks nothing else notices the recovery; slow start still applies.
                    self.servers[server].recovered_at = Some(now);
                }
                self.refresh_view(server, now);
            }
            Action::PinLatency { server, latency_ms } if server < self.servers.len() => {
                self.servers[server].pinned_latency_ms = Some(latency_ms);
            }
            Action::Unpin { server } if server < self.servers.len() => {
                self.servers[server].pinned_latency_ms = None;
            }
            Action::SetWeight { server, weight } if server < self.servers.len() => {
                self.servers[server].cfg.weight = weight;
                self.refresh_view(server, now);
                // What the balancer is shown (slow start may still be ramping it).
                self.balancer.weight_changed(server, self.views[server].weight);
            }
            Action::AddServer { config } => {
                self.servers.push(Server::new(config));
                self.views.push(ServerView::up(0));
                self.metrics.add_server(now);
                let i = self.servers.len() - 1;
                self.refresh_view(i, now);
                if let Some(a) = &self.scenario.health.active {
                    ctx.schedule_in(SimDuration::from_millis(a.interval_ms), LbEvent::HealthCheck { server: i });
                }
            }
            // An index that does not exist (the page's buttons are bounded; this keeps it total).
            Action::SetState { .. } | Action::PinLatency { .. } | Action::Unpin { .. } | Action::SetWeight { .. } => {}
        }
    }

    /// Snapshot of every server for drawing.
    pub fn server_snapshots(&self, now: SimTime) -> Vec<ServerSnapshot> {
        self.servers
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let m = &self.metrics.servers[i];
                ServerSnapshot {
                    index: i,
                    state: s.state,
                    pinned_latency_ms: s.pinned_latency_ms,
                    view: self.views[i],
                    busy: s.busy,
                    queued: s.queue.len() as u32,
                    concurrency: s.cfg.concurrency,
                    queue_limit: s.cfg.queue_limit,
                    configured_weight: s.cfg.weight,
                    requests: m.requests,
                    completed: m.completed,
                    errors: m.errors,
                    drops: m.drops,
                    utilization: super::metrics::round3(m.utilization(s.cfg.concurrency, self.start, now)),
                    p99_ms: if m.latency.is_empty() { 0 } else { m.latency.value_at_quantile(0.99) },
                }
            })
            .collect()
    }

    pub fn summary(&self, now: SimTime) -> RunSummary {
        let weights: Vec<u32> = self.servers.iter().map(|s| s.cfg.weight).collect();
        let conc: Vec<u32> = self.servers.iter().map(|s| s.cfg.concurrency).collect();
        self.metrics.summary(
            &self.scenario.name,
            self.scenario.algorithm.id(),
            self.scenario.seed,
            &weights,
            &conc,
            now,
        )
    }
}

impl Model for LbModel {
    type Event = LbEvent;

    fn handle(&mut self, ctx: &mut Ctx<'_, LbEvent>, event: LbEvent) {
        match event {
            LbEvent::Arrival => self.on_arrival(ctx),
            LbEvent::Done { server, generation, arrived } => self.on_done(ctx, server as usize, generation, arrived),
            LbEvent::HealthCheck { server } => self.on_health_check(ctx, server),
            LbEvent::Window => {
                let now = ctx.now();
                self.metrics.close_window(now);
                self.refresh_all(now);
                // Windows go on while requests are still draining after the last arrival.
                self.window_event = (now < self.end || self.draining())
                    .then(|| ctx.schedule_in(SimDuration::from_millis(self.scenario.window_ms), LbEvent::Window));
            }
            LbEvent::ArrivalsEnd => self.finish_if_drained(ctx),
            LbEvent::Act(a) => {
                self.apply(ctx, *a);
                self.finish_if_drained(ctx);
            }
        }
    }

    fn describe(&self, event: &LbEvent) -> (String, String) {
        match event {
            LbEvent::Arrival => ("lb".into(), "arrival".into()),
            LbEvent::Done { server, .. } => (format!("server-{server}"), "done".into()),
            LbEvent::HealthCheck { server } => (format!("server-{server}"), "health-check".into()),
            LbEvent::Window => ("metrics".into(), "window".into()),
            LbEvent::ArrivalsEnd => ("lb".into(), "arrivals end".into()),
            LbEvent::Act(a) => ("fleet".into(), format!("{a:?}")),
        }
    }
}

/// A running scenario: what the page and the CLI hold and step.
pub struct LbRun {
    sim: Simulation<LbModel>,
}

impl LbRun {
    /// Builds the run at the tests' fixed epoch (time only matters relative to the start).
    pub fn new(scenario: &Scenario) -> Result<Self, BalanceError> {
        Self::with_epoch(scenario, TEST_EPOCH)
    }

    pub fn with_epoch(scenario: &Scenario, epoch: SimTime) -> Result<Self, BalanceError> {
        let model = LbModel::new(scenario, epoch)?;
        let mut sim = Simulation::new(model, epoch);
        sim.schedule_at(epoch, LbEvent::Arrival);
        let window = sim.schedule_in(SimDuration::from_millis(scenario.window_ms), LbEvent::Window);
        sim.model.window_event = Some(window);
        sim.schedule_in(SimDuration::from_millis(scenario.duration_ms), LbEvent::ArrivalsEnd);
        if let Some(a) = &scenario.health.active {
            for i in 0..scenario.servers.len() {
                sim.schedule_in(SimDuration::from_millis(a.interval_ms), LbEvent::HealthCheck { server: i });
            }
        }
        // A change scripted for after the arrivals stop would only keep an idle run going.
        for e in scenario.events.iter().filter(|e| e.at_ms < scenario.duration_ms) {
            sim.schedule_in(SimDuration::from_millis(e.at_ms), LbEvent::Act(Box::new(e.action.clone())));
        }
        Ok(LbRun { sim })
    }

    /// The simulation, to be wrapped in a rewind (`sim::rewind::Rewind`) or run by hand.
    pub fn into_simulation(self) -> Simulation<LbModel> {
        self.sim
    }

    /// Keep the last `n` dispatches for animation (0 = off, the default; costs a little per request).
    pub fn record_flows(&mut self, n: usize) {
        self.sim.model.record_flows(n);
    }

    /// Keep only the last `n` closed metrics windows (a live page's bounded history).
    pub fn keep_windows(&mut self, n: usize) {
        self.sim.model.metrics.keep_windows(n);
    }

    /// Record every event in the kernel's trace (for determinism checks and the page's log).
    pub fn enable_trace(&mut self) {
        self.sim.trace_mut().set_enabled(true);
    }

    pub fn trace(&self) -> &crate::sim::Trace {
        self.sim.trace()
    }

    pub fn model(&self) -> &LbModel {
        &self.sim.model
    }

    pub fn simulation(&self) -> &Simulation<LbModel> {
        &self.sim
    }

    pub fn now(&self) -> SimTime {
        self.sim.now()
    }

    pub fn elapsed(&self) -> SimDuration {
        self.sim.elapsed()
    }

    /// Events processed so far.
    pub fn events(&self) -> u64 {
        self.sim.processed()
    }

    /// One event; false once nothing is left (arrivals ended and every request finished).
    pub fn step(&mut self) -> bool {
        self.sim.step()
    }

    /// Runs `d` of virtual time (the page's frame with a speed factor).
    pub fn run_for(&mut self, d: SimDuration) {
        self.sim.run_for(d)
    }

    /// At most `max_events` events; returns true when the run has finished.
    pub fn run_bounded(&mut self, max_events: u64) -> bool {
        for _ in 0..max_events {
            if !self.sim.step() {
                return true;
            }
        }
        self.is_done()
    }

    pub fn run_to_end(&mut self) {
        while self.sim.step() {}
    }

    pub fn is_done(&mut self) -> bool {
        self.sim.next_event_time().is_none()
    }

    /// Share of the arrival period covered, 0..=1.
    pub fn progress(&self) -> f64 {
        (self.elapsed().as_millis() as f64 / self.sim.model.scenario.duration_ms as f64).min(1.0)
    }

    /// The page's per-server buttons: Down, Slow ×10 (`ServerState::Slow`), Recover (`Up`).
    pub fn set_server_state(&mut self, server: usize, state: ServerState) {
        self.apply(Action::SetState { server, state });
    }

    pub fn apply(&mut self, action: Action) {
        self.sim.act(|m, ctx| {
            m.apply(ctx, action);
            m.finish_if_drained(ctx);
        });
    }

    pub fn servers(&self) -> Vec<ServerSnapshot> {
        self.sim.model.server_snapshots(self.sim.now())
    }

    /// The summary so far (call after `run_to_end` for the final one; the open window is not in it).
    pub fn summary(&self) -> RunSummary {
        self.sim.model.summary(self.sim.now())
    }
}

/// The page plays an `LbRun` through the shared playback driver. Every call goes to the kernel,
/// except that the clock never moves past the run's last event: once arrivals have stopped and
/// every request has finished, nothing is left to happen and the run is over, so playing on does
/// not make time pass.
impl crate::sim::Clocked for LbRun {
    fn now(&self) -> SimTime {
        self.sim.now()
    }
    fn processed(&self) -> u64 {
        self.sim.processed()
    }
    fn next_event_time(&mut self) -> Option<SimTime> {
        self.sim.next_event_time()
    }
    fn step(&mut self) -> bool {
        self.sim.step()
    }
    fn run_until(&mut self, until: SimTime) {
        self.sim.run_until_bounded_or_idle(until, u64::MAX);
    }
    fn run_until_bounded(&mut self, until: SimTime, max_events: u64) -> bool {
        self.sim.run_until_bounded_or_idle(until, max_events)
    }
}

/// The service distribution a scenario uses, re-exported for the page's editors.
pub type ServiceTime = Distribution;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::balance::scenario::{ActiveCheck, HealthConfig, PassiveCheck, ScheduledAction};

    fn small(alg: AlgorithmId) -> Scenario {
        Scenario {
            algorithm: alg,
            duration_ms: 3_000,
            arrivals: crate::balance::scenario::ArrivalConfig { rate_per_s: 200.0, burst: None },
            ..Scenario::default()
        }
    }

    #[test]
    fn every_request_is_accounted_for() {
        for alg in AlgorithmId::ALL {
            let mut r = LbRun::new(&small(alg)).unwrap();
            r.run_to_end();
            let s = r.summary();
            assert_eq!(s.arrivals, s.completed + s.drops + s.errors, "{alg}");
            assert!(s.arrivals > 400, "{alg}: {}", s.arrivals);
            assert!(r.servers().iter().all(|v| v.view.active == 0 && v.busy == 0), "{alg}");
        }
    }

    #[test]
    fn same_seed_same_run_different_seed_different_run() {
        let a = {
            let mut r = LbRun::new(&small(AlgorithmId::P2c)).unwrap();
            r.run_to_end();
            r.summary()
        };
        let b = {
            let mut r = LbRun::new(&small(AlgorithmId::P2c)).unwrap();
            r.run_to_end();
            r.summary()
        };
        assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
        let c = {
            let mut r = LbRun::new(&Scenario { seed: 2, ..small(AlgorithmId::P2c) }).unwrap();
            r.run_to_end();
            r.summary()
        };
        assert_ne!(a.arrivals, c.arrivals);
    }

    /// One line per algorithm on the same small workload with a crash at 1 s (no checks): pins
    /// every algorithm's behaviour so an accidental change shows up as a snapshot diff.
    #[test]
    fn all_algorithms_on_one_workload_snapshot() {
        let mut out = String::new();
        for alg in AlgorithmId::ALL {
            let mut sc = small(alg);
            sc.duration_ms = 2_000;
            sc.servers[3].weight = 3;
            sc.events = vec![ScheduledAction {
                at_ms: 1_000,
                action: Action::SetState { server: 1, state: ServerState::Down },
            }];
            let mut r = LbRun::new(&sc).unwrap();
            r.run_to_end();
            let s = r.summary();
            let per: Vec<String> = s.servers.iter().map(|v| v.requests.to_string()).collect();
            out.push_str(&format!(
                "{:<12} arrivals {} done {} errors {} p50 {} p99 {} per-server {}\n",
                alg.id(),
                s.arrivals,
                s.completed,
                s.errors,
                s.latency.p50_ms,
                s.latency.p99_ms,
                per.join("/")
            ));
        }
        expect_test::expect![[r#"
            round-robin  arrivals 414 done 362 errors 52 p50 11 p99 82 per-server 104/104/103/103
            smooth-wrr   arrivals 414 done 380 errors 34 p50 11 p99 82 per-server 69/69/69/207
            least-conn   arrivals 414 done 307 errors 107 p50 12 p99 86 per-server 70/145/68/131
            ip-hash      arrivals 414 done 378 errors 36 p50 11 p99 75 per-server 61/69/78/206
            ip-hash-full arrivals 414 done 382 errors 32 p50 12 p99 86 per-server 68/65/60/221
            l4-hash      arrivals 414 done 381 errors 33 p50 12 p99 86 per-server 68/74/73/199
            l7-path      arrivals 414 done 362 errors 52 p50 11 p99 82 per-server 104/104/103/103
            random       arrivals 414 done 379 errors 35 p50 11 p99 86 per-server 68/72/58/216
            p2c          arrivals 414 done 340 errors 74 p50 11 p99 75 per-server 74/111/67/162
            ring         arrivals 414 done 377 errors 37 p50 11 p99 86 per-server 63/74/63/214
            maglev       arrivals 414 done 388 errors 26 p50 11 p99 82 per-server 70/59/62/223
            peak-ewma    arrivals 414 done 337 errors 77 p50 11 p99 82 per-server 126/119/62/107
        "#]]
        .assert_eq(&out);
    }

    #[test]
    fn playing_through_clocked_equals_running_directly() {
        use crate::sim::{Clocked, Playback};
        let sc = small(AlgorithmId::P2c);
        let mut direct = LbRun::new(&sc).unwrap();
        direct.run_for(SimDuration::from_millis(1_000));
        let mut played = LbRun::new(&sc).unwrap();
        let mut pb = Playback::new(10.0);
        pb.play();
        // 100 wall ms at 10× = 1 s of virtual time, in frames of 10 ms with no budget limit.
        for _ in 0..10 {
            pb.advance(&mut played, 10.0, || false);
        }
        assert_eq!(Clocked::now(&played), direct.now());
        assert_eq!(Clocked::processed(&played), direct.events());
        assert_eq!(
            serde_json::to_string(&played.summary()).unwrap(),
            serde_json::to_string(&direct.summary()).unwrap()
        );
    }

    /// Played to its end, a run stops: the clock stays at its last event however long the
    /// playback keeps asking for more time.
    #[test]
    fn played_past_its_end_the_clock_stops_at_the_last_event() {
        use crate::sim::{Clocked, Playback};
        let mut sc = small(AlgorithmId::RoundRobin);
        sc.duration_ms = 500;
        let mut run = LbRun::new(&sc).unwrap();
        let mut pb = Playback::new(100.0);
        pb.play();
        for _ in 0..100 {
            pb.advance(&mut run, 16.0, || false);
        }
        assert!(run.is_done());
        let end = Clocked::now(&run);
        let elapsed = (end - TEST_EPOCH).as_millis();
        // The last request's end, a little after the 500 ms of arrivals — not the next 1 s
        // window boundary: the open window closes early.
        assert!((500..700).contains(&elapsed), "{elapsed}");
        let last = run.model().metrics.windows.last().unwrap().clone();
        assert_eq!(last.end_ms, elapsed);
        pb.advance(&mut run, 1_000.0, || false);
        assert_eq!(Clocked::now(&run), end);
        // Direct driving agrees: the same events, and run_to_end reaches the same last instant.
        let mut direct = LbRun::new(&sc).unwrap();
        direct.run_to_end();
        assert_eq!((direct.now(), direct.events()), (end, run.events()));
    }

    /// A change scripted after the arrivals stop does not keep the run going.
    #[test]
    fn scripted_actions_after_the_end_do_not_extend_the_run() {
        let mut sc = small(AlgorithmId::Maglev);
        sc.duration_ms = 1_000;
        sc.events =
            vec![ScheduledAction { at_ms: 5_000, action: Action::AddServer { config: ServerConfig::default() } }];
        let mut r = LbRun::new(&sc).unwrap();
        r.run_to_end();
        assert!(r.elapsed().as_millis() < 1_500, "{}", r.elapsed());
        assert_eq!(r.servers().len(), 4);
    }

    #[test]
    fn queue_overflow_drops() {
        let mut sc = small(AlgorithmId::RoundRobin);
        sc.servers = vec![ServerConfig { concurrency: 1, queue_limit: 2, ..ServerConfig::default() }];
        sc.service = Distribution::Constant { ms: 100.0 };
        let mut r = LbRun::new(&sc).unwrap();
        r.run_to_end();
        let s = r.summary();
        // Capacity is 10/s for 3 s against ~600 arrivals.
        assert!(s.drops > 500 && s.completed <= 33, "{} {}", s.drops, s.completed);
    }

    #[test]
    fn dead_server_fails_until_detected() {
        let mut sc = small(AlgorithmId::RoundRobin);
        sc.duration_ms = 10_000;
        sc.events =
            vec![ScheduledAction { at_ms: 2_000, action: Action::SetState { server: 0, state: ServerState::Down } }];
        let no_checks = {
            let mut r = LbRun::new(&sc).unwrap();
            r.run_to_end();
            r.summary()
        };
        sc.health = HealthConfig {
            active: Some(ActiveCheck { interval_ms: 500, fall: 2, rise: 1 }),
            passive: None,
            slow_start_ms: 0,
        };
        let active = {
            let mut r = LbRun::new(&sc).unwrap();
            r.run_to_end();
            r.summary()
        };
        sc.health.passive = Some(PassiveCheck { max_fails: 1, fail_timeout_ms: 60_000 });
        let both = {
            let mut r = LbRun::new(&sc).unwrap();
            r.run_to_end();
            r.summary()
        };
        // About a quarter of 8 s × 200/s fail without checks; within ~1 s with active checks; a
        // handful with passive ones.
        assert!(no_checks.errors > 350, "{}", no_checks.errors);
        assert!(active.errors < 80 && active.errors > 10, "{}", active.errors);
        assert!(both.errors < 10, "{}", both.errors);
    }

    /// nginx's passive check end to end (`ngx_http_upstream_get_peer` skips a peer with
    /// `fails >= max_fails` for `fail_timeout`, then lets exactly one probe through): a crashed
    /// server with no active checks gets one request per fail_timeout, and is back in rotation as
    /// soon as a probe succeeds.
    #[test]
    fn passive_check_sends_one_probe_per_fail_timeout_and_a_good_probe_revives() {
        let mut sc = small(AlgorithmId::SmoothWrr);
        sc.duration_ms = 12_000;
        sc.health = HealthConfig {
            active: None,
            passive: Some(PassiveCheck { max_fails: 1, fail_timeout_ms: 1_000 }),
            slow_start_ms: 0,
        };
        sc.events = vec![
            ScheduledAction { at_ms: 2_000, action: Action::SetState { server: 0, state: ServerState::Down } },
            ScheduledAction { at_ms: 8_500, action: Action::SetState { server: 0, state: ServerState::Up } },
        ];
        let mut r = LbRun::new(&sc).unwrap();
        r.record_flows(1_000_000);
        r.run_to_end();
        let to0: Vec<Flow> = r.model().flows().iter().filter(|f| f.server == Some(0)).copied().collect();
        let failed: Vec<u64> = to0.iter().filter(|f| f.outcome == FlowOutcome::Failed).map(|f| f.at_ms).collect();
        // The crash at 2 s fails the requests in flight there, which takes s0 out; then one probe
        // just after each fail_timeout fails: ~3, ~4 … ~8 s.
        assert_eq!(failed.len(), 6, "{failed:?}");
        assert!((3_001..3_100).contains(&failed[0]), "{failed:?}");
        for w in failed.windows(2) {
            assert!((1_001..1_100).contains(&(w[1] - w[0])), "{failed:?}");
        }
        // Recovered at 8.5 s: the next probe (by ~9.1 s) succeeds and traffic returns.
        let served_late = to0.iter().filter(|f| f.at_ms > 9_200 && f.outcome != FlowOutcome::Failed).count();
        assert!(served_late > 100, "{served_late}");
    }

    /// `max_fails=3`: two failures within fail_timeout leave the peer in rotation, the third takes
    /// it out; `max_fails` = no passive config never takes it out.
    #[test]
    fn passive_check_honours_the_configured_max_fails() {
        let run = |passive: Option<PassiveCheck>| {
            let mut sc = small(AlgorithmId::RoundRobin);
            sc.duration_ms = 5_000;
            sc.health = HealthConfig { active: None, passive, slow_start_ms: 0 };
            sc.events = vec![ScheduledAction {
                at_ms: 1_000,
                action: Action::SetState { server: 0, state: ServerState::Down },
            }];
            let mut r = LbRun::new(&sc).unwrap();
            r.run_to_end();
            r.summary().errors
        };
        assert_eq!(run(Some(PassiveCheck { max_fails: 3, fail_timeout_ms: 10_000 })), 3);
        assert_eq!(run(Some(PassiveCheck { max_fails: 1, fail_timeout_ms: 10_000 })), 1);
        assert!(run(None) > 150);
    }

    #[test]
    fn slow_start_ramps_the_weight() {
        let mut sc = small(AlgorithmId::SmoothWrr);
        sc.health = HealthConfig {
            active: Some(ActiveCheck { interval_ms: 100, fall: 1, rise: 1 }),
            passive: None,
            slow_start_ms: 1_000,
        };
        sc.servers = vec![ServerConfig { weight: 10, ..ServerConfig::default() }; 2];
        sc.events = vec![
            ScheduledAction { at_ms: 100, action: Action::SetState { server: 0, state: ServerState::Down } },
            ScheduledAction { at_ms: 500, action: Action::SetState { server: 0, state: ServerState::Up } },
        ];
        let mut r = LbRun::new(&sc).unwrap();
        r.run_for(SimDuration::from_millis(700));
        let w = r.servers()[0].view.weight;
        assert!((1..10).contains(&w), "{w}");
        r.run_for(SimDuration::from_millis(1_500));
        assert_eq!(r.servers()[0].view.weight, 10);
    }

    #[test]
    fn slow_start_leaves_hashing_weights_alone() {
        let mut sc = small(AlgorithmId::Ring);
        sc.health = HealthConfig {
            active: Some(ActiveCheck { interval_ms: 100, fall: 1, rise: 1 }),
            passive: None,
            slow_start_ms: 1_000,
        };
        sc.servers = vec![ServerConfig { weight: 10, ..ServerConfig::default() }; 2];
        sc.events = vec![
            ScheduledAction { at_ms: 100, action: Action::SetState { server: 0, state: ServerState::Down } },
            ScheduledAction { at_ms: 500, action: Action::SetState { server: 0, state: ServerState::Up } },
        ];
        let mut r = LbRun::new(&sc).unwrap();
        r.run_for(SimDuration::from_millis(700));
        assert!(r.servers()[0].view.up);
        assert_eq!(r.servers()[0].view.weight, 10);
    }
}
