//! `request-response`: no broker. Each produced message is a request a client sends to an
//! instance a [`Balancer`] picks, with a timeout and retries after a backoff
//! [`Policy`](crate::backoff::Policy) delay. An instance serves `concurrency` requests at once,
//! queues up to `backlog` more and refuses the rest; a crashed instance loses what it held and its
//! clients time out.

use crate::balance::{build_balancer, Balancer, BalancerConfig, Request, ServerView};
use crate::messaging::machine::{argv, ConsumerState, Counter, Effect, Input, Io, Machine, Timer, TimerToken, Worker};
use crate::messaging::scenario::{Scenario, ScenarioError};
use crate::messaging::trail::{Fate, Node, StepKind};
use crate::messaging::MsgId;
use crate::sim::{SimDuration, SimRng};
use std::collections::VecDeque;

#[derive(Clone, Debug, Default)]
struct Instance {
    up: bool,
    /// Bumped by every crash: arrivals and completions of an earlier life are ignored.
    generation: u32,
    busy: u32,
    queue: VecDeque<(u64, u32)>,
    outstanding: u32,
    rtt_ms: f64,
}

#[derive(Clone, Debug)]
struct RrRequest {
    msg: MsgId,
    attempt: u32,
    done: bool,
    prev_delay: Option<SimDuration>,
    timeout: Option<TimerToken>,
    instance: Option<u32>,
}

#[derive(Clone)]
pub struct RequestResponse {
    /// Only each instance's random stream and speed are used (the instances' state is below).
    workers: Vec<Worker>,
    balancer: Box<dyn Balancer>,
    instances: Vec<Instance>,
    requests: Vec<RrRequest>,
    rng: SimRng,
    next_token: TimerToken,
}

impl RequestResponse {
    pub fn new(sc: &Scenario, root: &SimRng) -> Result<Self, ScenarioError> {
        let n = sc.consumers.count as usize;
        let balancer = build_balancer(
            sc.request_response.balancer,
            &BalancerConfig::default(),
            n,
            // No passive health check in this pattern: nginx's max_fails=0.
            crate::balance::passive::MaxFails::OFF.max_fails,
            root.child("balancer"),
        )
        .map_err(|e| ScenarioError::Range {
            field: "request_response.balancer",
            value: e.to_string(),
            accepted: "a balancer that works with this many instances",
        })?;
        Ok(RequestResponse {
            workers: Worker::fleet(sc, root),
            balancer,
            instances: vec![Instance { up: true, ..Instance::default() }; n],
            requests: Vec::new(),
            rng: root.child("retry"),
            next_token: 0,
        })
    }

    fn latency(io: &Io<'_>) -> SimDuration {
        SimDuration::from_millis(io.sc.network_ms)
    }

    fn attempt(&mut self, io: &mut Io<'_>, req: u64) {
        let timeout = SimDuration::from_millis(io.sc.request_response.timeout_ms);
        let views: Vec<ServerView> = self
            .instances
            .iter()
            .map(|i| ServerView { up: true, active: i.outstanding, weight: 1, rtt_ms: i.rtt_ms })
            .collect();
        let ip = [10, 1, (req >> 8) as u8, req as u8];
        let pick = self.balancer.pick(&Request::from_client(ip, "/"), &views, io.now);
        let r = &mut self.requests[req as usize];
        let attempt = r.attempt;
        let Some(instance) = pick else {
            io.count(Counter::Rejected);
            return self.failed(io, req);
        };
        r.instance = Some(instance as u32);
        let inst = &mut self.instances[instance];
        inst.outstanding += 1;
        let generation = inst.generation;
        io.after(Self::latency(io), Timer::RrArrive { instance: instance as u32, generation, req, attempt });
        let token = self.next_token;
        self.next_token += 1;
        io.at_token(io.now + timeout, Timer::RrTimeout { req, attempt }, token);
        r.timeout = Some(token);
    }

    /// The attempt failed (refused, failed or timed out): retry after the policy's delay, or give up.
    fn failed(&mut self, io: &mut Io<'_>, req: u64) {
        let r = &mut self.requests[req as usize];
        if r.attempt >= io.sc.request_response.max_retries {
            r.done = true;
            io.count(Counter::Failed);
            io.note(r.msg, StepKind::GaveUp);
            return;
        }
        r.attempt += 1;
        io.count(Counter::Retries);
        let d = io.sc.request_response.retry_policy.delay(r.attempt, r.prev_delay, &mut self.rng);
        r.prev_delay = Some(d);
        io.after(d, Timer::RrAttempt { req });
    }

    fn start_work(&mut self, io: &mut Io<'_>, instance: u32, req: u64, attempt: u32) {
        io.count(Counter::Executions);
        let generation = self.instances[instance as usize].generation;
        let wk = &mut self.workers[instance as usize];
        let ms = io.sc.consumers.service.sample_ms(&mut wk.rng) * wk.slow;
        io.after(SimDuration::from_millis_f64(ms), Timer::RrDone { instance, generation, req, attempt });
    }

    fn on_timer(&mut self, io: &mut Io<'_>, timer: Timer) {
        let lat = Self::latency(io);
        match timer {
            Timer::RrAttempt { req } => {
                if !self.requests[req as usize].done {
                    self.attempt(io, req);
                }
            }
            Timer::RrArrive { .. } | Timer::RrReply { .. } if io.partitioned => {
                // Lost in the partition: the client's timeout and retries take over.
            }
            Timer::RrArrive { instance, generation, req, attempt } => {
                let inst = &mut self.instances[instance as usize];
                if !inst.up || inst.generation != generation {
                    return; // connection refused: the client times out
                }
                let msg = self.requests[req as usize].msg;
                if inst.busy < io.sc.consumers.concurrency {
                    inst.busy += 1;
                    io.deliver(msg, 0, instance);
                    self.start_work(io, instance, req, attempt);
                } else if inst.queue.len() < io.sc.request_response.backlog as usize {
                    inst.queue.push_back((req, attempt));
                } else {
                    io.count(Counter::Rejected);
                    if io.in_burst {
                        io.count(Counter::RejectedOrTimedOutDuringBurst);
                    }
                    io.note(msg, StepKind::Rejected);
                    io.flow(msg, Node::Broker, Node::Consumer(instance), Fate::Lost);
                    io.after(lat, Timer::RrReply { req, attempt, instance, ok: false, sent: io.now });
                }
            }
            Timer::RrDone { instance, generation, req, attempt } => {
                let inst = &mut self.instances[instance as usize];
                if inst.generation != generation {
                    return;
                }
                inst.busy = inst.busy.saturating_sub(1);
                let failed = io.outage || self.workers[instance as usize].rng.bernoulli(io.sc.consumers.failure_p);
                let msg = self.requests[req as usize].msg;
                if failed {
                    io.note(msg, StepKind::Failed { consumer: instance });
                } else {
                    io.process(msg, 0, instance);
                }
                io.after(lat, Timer::RrReply { req, attempt, instance, ok: !failed, sent: io.now });
                let inst = &mut self.instances[instance as usize];
                if let Some((next, a)) = inst.queue.pop_front() {
                    inst.busy += 1;
                    io.deliver(self.requests[next as usize].msg, 0, instance);
                    self.start_work(io, instance, next, a);
                }
            }
            Timer::RrReply { req, attempt, instance, ok, sent } => {
                let inst = &mut self.instances[instance as usize];
                inst.outstanding = inst.outstanding.saturating_sub(1);
                let rtt = io.now.saturating_since(sent);
                inst.rtt_ms = inst.rtt_ms * 0.8 + rtt.as_millis() as f64 * 0.2;
                self.balancer.observe(instance as usize, rtt, io.now);
                let r = &mut self.requests[req as usize];
                if r.done || r.attempt != attempt {
                    return; // a late answer to an attempt the client gave up on
                }
                if let Some(t) = r.timeout.take() {
                    io.cancel(t);
                }
                if ok {
                    r.done = true;
                } else {
                    self.balancer.report_failure(instance as usize);
                    self.failed(io, req);
                }
            }
            Timer::RrTimeout { req, attempt } => {
                let r = &mut self.requests[req as usize];
                if r.done || r.attempt != attempt {
                    return;
                }
                r.timeout = None;
                if let Some(i) = r.instance {
                    let inst = &mut self.instances[i as usize];
                    inst.outstanding = inst.outstanding.saturating_sub(1);
                }
                io.count(Counter::TimedOut);
                if io.in_burst {
                    io.count(Counter::RejectedOrTimedOutDuringBurst);
                }
                io.note(r.msg, StepKind::TimedOut { attempt: r.attempt + 1 });
                self.failed(io, req);
            }
            Timer::WorkDone { .. }
            | Timer::Heartbeat { .. }
            | Timer::ReaperTick
            | Timer::RestoreTick { .. }
            | Timer::EtaTick { .. } => {}
        }
    }
}

impl Machine for RequestResponse {
    fn handle(&mut self, io: &mut Io<'_>, input: Input) {
        match input {
            Input::Produced { msg, .. } => {
                self.requests.push(RrRequest {
                    msg,
                    attempt: 0,
                    done: false,
                    prev_delay: None,
                    timeout: None,
                    instance: None,
                });
                self.attempt(io, msg);
            }
            Input::Timer(t) => self.on_timer(io, t),
            Input::Crash(w) => {
                let inst = &mut self.instances[w as usize];
                inst.up = false;
                inst.generation += 1;
                inst.busy = 0;
                let in_flight: Vec<MsgId> = inst.queue.drain(..).map(|(r, _)| self.requests[r as usize].msg).collect();
                io.effects.push(Effect::Crashed { worker: w, in_flight, connections: false });
            }
            Input::Restart(w) => self.instances[w as usize].up = true,
            Input::Slow(w, factor) => self.workers[w as usize].slow = factor,
            // No broker, no connections: the clients talk to the instances directly.
            Input::Start
            | Input::Reply { .. }
            | Input::Pushed { .. }
            | Input::Failed { .. }
            | Input::Reconnected(_) => {}
        }
    }

    /// Never sent (request/response has no broker); what a producer would publish if it had one.
    fn push_command(&self, payload: &[u8]) -> Vec<Vec<u8>> {
        argv(&[b"LPUSH", crate::messaging::machine::QUEUE, payload])
    }

    fn consumer(&self, w: u32) -> ConsumerState {
        let inst = &self.instances[w as usize];
        ConsumerState {
            up: inst.up,
            slow: self.workers[w as usize].slow,
            running: inst.busy,
            held: inst.queue.iter().map(|(r, _)| (self.requests[*r as usize].msg, false)).collect(),
            tags: Vec::new(),
        }
    }

    fn queued(&self) -> u64 {
        self.instances.iter().map(|i| i.queue.len() as u64).sum()
    }
}
