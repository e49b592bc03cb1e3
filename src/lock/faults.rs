//! Faults: what the page's buttons and a scenario's steps do to the hosts of a [`LockRuntime`]:
//! crash, stop, restart and pause a worker, partition and heal it, drift its clock, slow its link,
//! crash, restart and slow a Redis instance. Each one changes the hosts and logs what it did; the
//! recorder and checker see the consequences like any other event. Never reads a wall clock.

use super::ids::worker_id;
use super::machine::{Event, LockWorker, WorkerState};
use super::recorder::LaneState;
use super::runtime::{LockEvent, LockRuntime, Msg, WorkerStatus};
use super::scenario::{Action, Target};
use crate::sim::net::{LinkConfig, TimerId};
use crate::sim::{Ctx, Distribution, SimDuration, SimTime};
use thiserror::Error;

/// Actions the user can get wrong.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ActionError {
    #[error("worker {worker} does not exist; expected 0 to {last}", last = workers.saturating_sub(1))]
    UnknownWorker { worker: usize, workers: usize },
    #[error("Redis instance {instance} does not exist; expected 0 to {last}", last = instances.saturating_sub(1))]
    UnknownInstance { instance: usize, instances: usize },
    #[error("clock rate {0} is out of range; expected 0.01 to 100 (1 = exact)")]
    BadRate(f64),
}

/// Latency `extra_ms` slower than `d` (exact for constant, uniform and normal latencies; the others
/// become a constant at their mean plus the extra).
fn slower(d: &Distribution, extra_ms: u64) -> Distribution {
    let x = extra_ms as f64;
    match *d {
        Distribution::Constant { ms } => Distribution::Constant { ms: ms + x },
        Distribution::Uniform { min_ms, max_ms } => Distribution::Uniform { min_ms: min_ms + x, max_ms: max_ms + x },
        Distribution::AbsNormal { mean_ms, std_dev_ms } => Distribution::AbsNormal { mean_ms: mean_ms + x, std_dev_ms },
        Distribution::LogNormal { .. } | Distribution::Exponential { .. } | Distribution::Pareto { .. } => {
            Distribution::Constant { ms: d.mean_ms() + x }
        }
    }
}

impl LockRuntime {
    fn resolve(&mut self, now: SimTime, target: Target) -> Result<Option<usize>, ActionError> {
        let n = self.workers.len();
        Ok(match target {
            Target::Worker(w) if w < n => Some(w),
            Target::Worker(w) => return Err(ActionError::UnknownWorker { worker: w, workers: n }),
            Target::Holder => Some(self.holder(now).unwrap_or(0)),
            Target::NonHolder => {
                let h = self.holder(now);
                (0..n).find(|w| Some(*w) != h && self.workers[*w].status != WorkerStatus::Crashed)
            }
        })
    }

    /// Applies a fault or user action now.
    pub fn apply_action(&mut self, ctx: &mut Ctx<'_, LockEvent>, action: &Action) -> Result<(), ActionError> {
        let now = ctx.now();
        let instances = self.redis.len();
        let check_instance = |instance: usize| {
            if instance < instances {
                Ok(instance)
            } else {
                Err(ActionError::UnknownInstance { instance, instances })
            }
        };
        match action {
            Action::Crash { target } => {
                if let Some(w) = self.resolve(now, *target)? {
                    self.crash(ctx, w);
                }
            }
            Action::Stop { target } => {
                if let Some(w) = self.resolve(now, *target)? {
                    if self.workers[w].status == WorkerStatus::Paused {
                        self.recorder.log(now, Some(w), format!("STOP worker-{w} (handled when it resumes)"));
                        self.workers[w].deferred.push(Event::Stop);
                    } else {
                        self.recorder.log(now, Some(w), format!("STOP worker-{w}"));
                        self.feed(ctx, w, Event::Stop);
                    }
                }
            }
            Action::Restart { target } => {
                if let Some(w) = self.resolve(now, *target)? {
                    self.restart(ctx, w);
                }
            }
            Action::Pause { target, ms } => {
                if let Some(w) = self.resolve(now, *target)? {
                    if self.workers[w].status == WorkerStatus::Running {
                        let node = self.workers[w].node;
                        self.net.pause(node).expect("worker nodes exist");
                        self.workers[w].status = WorkerStatus::Paused;
                        let until = now + SimDuration(*ms);
                        self.recorder.pause(now, w, until);
                        let incarnation = self.workers[w].incarnation;
                        ctx.schedule_at(until, LockEvent::PauseEnd { worker: w, incarnation });
                        self.recorder.log(now, Some(w), format!("worker-{w} paused for {}", SimDuration(*ms)));
                    }
                }
            }
            Action::Partition { target } | Action::Heal { target } => {
                if let Some(w) = self.resolve(now, *target)? {
                    let cut = matches!(action, Action::Partition { .. });
                    let was = self.workers[w].partitioned;
                    self.workers[w].partitioned = cut;
                    if was && !cut {
                        self.release_held(ctx, w);
                    }
                    let what = if cut { "partitioned from Redis (its packets wait)" } else { "healed" };
                    self.recorder.log(now, Some(w), format!("worker-{w} {what}"));
                }
            }
            Action::ClockRate { target, rate } => {
                if let Some(w) = self.resolve(now, *target)? {
                    let node = self.workers[w].node;
                    self.net.set_clock_rate(now, node, *rate).map_err(|_| ActionError::BadRate(*rate))?;
                    self.recorder.log(now, Some(w), format!("worker-{w} clock now runs at {rate}×"));
                }
            }
            Action::SlowLink { target, extra_ms } => {
                if let Some(w) = self.resolve(now, *target)? {
                    let node = self.workers[w].node;
                    let link = LinkConfig::new(slower(&self.scenario.latency, *extra_ms), 0.0);
                    for r in &self.redis {
                        self.net.set_link(node, r.node, link.clone()).expect("valid nodes and latency");
                    }
                    self.workers[w].extra_latency_ms = *extra_ms;
                    self.recorder.log(now, Some(w), format!("worker-{w} link to Redis +{extra_ms} ms"));
                }
            }
            Action::RedisCrash { instance } => {
                let i = check_instance(*instance)?;
                if self.redis[i].up {
                    self.redis[i].up = false;
                    self.redis[i].instance.wipe();
                    self.redis[i].dirty = true;
                    // The process is gone: the kernel closes every client connection.
                    let node = self.redis[i].node;
                    for ((worker, incarnation), epoch) in std::mem::take(&mut self.redis[i].clients) {
                        let to = self.workers[worker].node;
                        self.net.send(ctx, node, to, Msg::Closed { worker, incarnation, instance: i, epoch });
                    }
                    self.recorder.log(now, None, format!("redis-{i} crashed (no persistence: data lost)"));
                }
            }
            Action::RedisRestart { instance } => {
                let i = check_instance(*instance)?;
                if !self.redis[i].up {
                    self.redis[i].up = true;
                    self.recorder.log(now, None, format!("redis-{i} restarted empty"));
                }
            }
            Action::RedisSlow { instance, extra_ms } => {
                let i = check_instance(*instance)?;
                self.redis[i].extra_ms = *extra_ms;
                self.recorder.log(now, None, format!("redis-{i} now takes +{extra_ms} ms per command"));
            }
        }
        self.notable.faults.push(action.describe());
        Ok(())
    }

    /// The pause of worker `w` is over: it handles what was held, then deferred signals.
    pub(super) fn pause_end(&mut self, ctx: &mut Ctx<'_, LockEvent>, w: usize, incarnation: u32) {
        let now = ctx.now();
        let slot = &mut self.workers[w];
        if slot.incarnation == incarnation && slot.status == WorkerStatus::Paused {
            slot.status = WorkerStatus::Running;
            let node = slot.node;
            self.net.resume(ctx, node).expect("worker nodes exist");
            self.recorder.log(now, Some(w), format!("worker-{w} resumed"));
            for ev in std::mem::take(&mut self.workers[w].deferred) {
                self.feed(ctx, w, ev);
            }
        }
    }

    fn crash(&mut self, ctx: &mut Ctx<'_, LockEvent>, w: usize) {
        let now = ctx.now();
        if matches!(self.workers[w].status, WorkerStatus::Crashed | WorkerStatus::NotStarted) {
            return;
        }
        let slot = &mut self.workers[w];
        let mut timers: Vec<TimerId> = slot.timers.values().copied().collect();
        timers.extend(slot.pending.values().filter_map(|(_, t)| *t));
        timers.extend(slot.reconnect.values().copied());
        timers.extend(slot.job.map(|(_, t)| t));
        timers.extend(slot.stopping);
        slot.timers.clear();
        slot.pending.clear();
        slot.reconnect.clear();
        slot.job = None;
        slot.stopping = None;
        slot.conns.clear();
        slot.held.clear();
        slot.deferred.clear();
        let old = slot.incarnation;
        slot.incarnation = slot.incarnation.saturating_add(1);
        let was_paused = slot.status == WorkerStatus::Paused;
        slot.status = WorkerStatus::Crashed;
        let node = slot.node;
        for t in timers {
            self.net.cancel_timer(ctx, t);
        }
        // The servers see the dead process's connections close.
        for r in &mut self.redis {
            r.clients.remove(&(w, old));
        }
        if was_paused {
            // Held replies are released and then dropped: they belong to the dead incarnation.
            self.net.resume(ctx, node).expect("worker nodes exist");
        }
        self.set_lane(now, w, LaneState::Crashed);
        self.recorder.log(now, Some(w), format!("worker-{w} crashed (no release)"));
    }

    fn restart(&mut self, ctx: &mut Ctx<'_, LockEvent>, w: usize) {
        let now = ctx.now();
        match self.workers[w].status {
            WorkerStatus::Running if self.workers[w].machine.state() == WorkerState::Idle => {
                self.recorder.log(now, Some(w), format!("worker-{w} started again"));
                self.feed(ctx, w, Event::TryAcquireLock);
                return;
            }
            WorkerStatus::Running | WorkerStatus::Paused => self.crash(ctx, w),
            WorkerStatus::Crashed | WorkerStatus::NotStarted => {}
        }
        let slot = &mut self.workers[w];
        slot.restarts = slot.restarts.saturating_add(1);
        slot.incarnation = slot.incarnation.saturating_add(1);
        let label = format!("worker-{w}-restart");
        let mut id_rng = self.rng.child_indexed(&label, slot.restarts);
        let mut id = worker_id(now, &mut id_rng);
        while self.workers.iter().any(|w| w.machine.id() == id) {
            id = worker_id(now, &mut id_rng);
        }
        let slot = &mut self.workers[w];
        slot.machine =
            LockWorker::new(id, self.cfg.clone(), self.rng.child_indexed(&format!("{label}-machine"), slot.restarts));
        self.recorder.log(now, Some(w), format!("worker-{w} restarted as {}", self.workers[w].machine.id()));
        self.start_process(ctx, w);
    }
}
