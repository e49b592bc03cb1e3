//! `task-queue`: Celery on kombu's Redis transport. Producers `LPUSH celery m` (the message
//! carries its ETA: `apply_async(countdown=…)`); a worker `BRPOP celery 1` while fewer than
//! concurrency × prefetch-multiplier messages are reserved, records each delivery with `MULTI ZADD
//! unacked_index <t> <tag> HSET unacked <tag> m EXEC`, acks with `MULTI ZREM … HDEL … EXEC` (before
//! the task runs, or after it with `acks_late`), and runs `restore_visible`: `SET unacked_mutex …
//! EX 300 NX`, `ZREVRANGEBYSCORE unacked_index <now - visibility> 0 WITHSCORES LIMIT 0 10`, `MULTI
//! HGET ZREM HDEL EXEC` and `RPUSH celery m` per tag. Retries publish a new message with an ETA
//! from the backoff policy; results go to `SET celery-task-meta-<id> … EX 86400`; the dead-letter
//! list is `celery.dead-letter`; idempotency keys are `SET idem:<id> <tag> NX EX 86400`.

use crate::messaging::machine::{
    argv, parse_payload, payload, popped, secs, Actor, ConsumerState, Counter, Effect, Input, Io, Job, Machine, Tag,
    Timer, TimerToken, Worker, CELERY,
};
use crate::messaging::trail::{Fate, Node, StepKind};
use crate::redis::Reply;
use crate::sim::{SimDuration, SimRng, SimTime};

/// What a task-queue worker keeps besides its jobs.
#[derive(Clone, Debug, Default)]
struct Consumer {
    /// A BRPOP is in flight.
    consuming: bool,
    /// A `restore_visible` round is under way.
    restoring: bool,
    /// Deliveries so far (the delivery tag's counter).
    deliveries: u64,
    /// The wake-up for the earliest future ETA among reserved tasks.
    eta_timer: Option<(SimTime, TimerToken)>,
}

#[derive(Clone)]
pub struct TaskQueue {
    workers: Vec<Worker>,
    consumers: Vec<Consumer>,
    next_token: TimerToken,
}

impl TaskQueue {
    pub fn new(sc: &crate::messaging::Scenario, root: &SimRng) -> Self {
        TaskQueue {
            workers: Worker::fleet(sc, root),
            consumers: vec![Consumer::default(); sc.consumers.count as usize],
            next_token: 0,
        }
    }

    fn send(&mut self, io: &mut Io<'_>, actor: Actor, tag: Tag, command: Vec<Vec<u8>>) {
        if !io.send(actor, tag.clone(), command) {
            self.failed(actor, tag);
        }
    }

    /// A command that never ran (the connection failed first): its owner makes up for it.
    fn failed(&mut self, actor: Actor, tag: Tag) {
        match (actor, tag) {
            (Actor::Slot(w, _), Tag::Pop) => self.consumers[w as usize].consuming = false,
            (Actor::Control(w), Tag::QosMutex | Tag::QosRange) => self.consumers[w as usize].restoring = false,
            (Actor::Control(w), Tag::Idem(job)) => {
                // The key was never checked: the task goes back to waiting for a free slot.
                let wk = &mut self.workers[w as usize];
                wk.running = wk.running.saturating_sub(1);
                if let Some(j) = wk.jobs.get_mut(&job) {
                    j.running = false;
                }
            }
            (_, _) => {}
        }
    }

    fn start(&mut self, io: &mut Io<'_>, w: u32) {
        let epoch = self.workers[w as usize].epoch;
        self.consume(io, w);
        io.after(SimDuration::from_millis(io.sc.task.restore_every_ms), Timer::RestoreTick { worker: w, epoch });
    }

    fn consume(&mut self, io: &mut Io<'_>, w: u32) {
        let limit = (io.sc.consumers.concurrency * io.sc.consumers.prefetch_multiplier) as usize;
        let wk = &self.workers[w as usize];
        if !wk.up || self.consumers[w as usize].consuming || wk.jobs.len() >= limit {
            return;
        }
        self.consumers[w as usize].consuming = true;
        self.send(io, Actor::Slot(w, 0), Tag::Pop, argv(&[b"BRPOP", CELERY, b"1"]));
    }

    fn reserve(&mut self, io: &mut Io<'_>, w: u32, bytes: Vec<u8>) {
        let Some((msg, retries, eta)) = parse_payload(&bytes) else {
            return;
        };
        io.deliver(msg, 0, w);
        let c = &mut self.consumers[w as usize];
        c.deliveries += 1;
        let tag = format!("w{w}.{}", c.deliveries);
        let control = Actor::Control(w);
        let score = secs(io.now);
        self.send(io, control, Tag::Ignore, argv(&[b"MULTI"]));
        self.send(io, control, Tag::Ignore, argv(&[b"ZADD", b"unacked_index", score.as_bytes(), tag.as_bytes()]));
        self.send(io, control, Tag::Ignore, argv(&[b"HSET", b"unacked", tag.as_bytes(), &bytes]));
        self.send(io, control, Tag::Ignore, argv(&[b"EXEC"]));
        let job = Job { msg, payload: bytes, retries, eta, tag, running: false, acked: false };
        self.workers[w as usize].new_job(0, job);
        self.schedule_runs(io, w);
    }

    /// Starts reserved tasks whose ETA has come, up to the concurrency, and wakes up for the
    /// earliest ETA still in the future.
    fn schedule_runs(&mut self, io: &mut Io<'_>, w: u32) {
        let now = io.now;
        loop {
            let wk = &self.workers[w as usize];
            if !wk.up || wk.running >= io.sc.consumers.concurrency {
                break;
            }
            let next = wk.jobs.iter().filter(|(_, j)| !j.running && j.eta <= now).map(|(id, _)| *id).next();
            let Some(id) = next else { break };
            self.start_task(io, w, id);
            if self.workers[w as usize].jobs.get(&id).is_some_and(|j| !j.running) {
                // Its idempotency check could not reach the broker: it waits for the control
                // connection's reconnect (starting it again now would never end).
                break;
            }
        }
        let wk = &self.workers[w as usize];
        let earliest = wk.jobs.values().filter(|j| !j.running && j.eta > now).map(|j| j.eta).min();
        if let Some(t) = earliest {
            let c = &mut self.consumers[w as usize];
            if c.eta_timer.is_none_or(|(at, _)| at > t) {
                if let Some((_, token)) = c.eta_timer {
                    io.cancel(token);
                }
                let token = self.next_token;
                self.next_token += 1;
                io.at_token(t, Timer::EtaTick { worker: w, epoch: wk.epoch }, token);
                c.eta_timer = Some((t, token));
            }
        }
    }

    fn ack(&mut self, io: &mut Io<'_>, w: u32, tag: &str) {
        let c = Actor::Control(w);
        self.send(io, c, Tag::Ignore, argv(&[b"MULTI"]));
        self.send(io, c, Tag::Ignore, argv(&[b"ZREM", b"unacked_index", tag.as_bytes()]));
        self.send(io, c, Tag::Ignore, argv(&[b"HDEL", b"unacked", tag.as_bytes()]));
        self.send(io, c, Tag::Ignore, argv(&[b"EXEC"]));
    }

    fn long(io: &Io<'_>) -> Option<(f64, u64)> {
        Some((io.sc.task.long_task_fraction, io.sc.task.long_task_ms))
    }

    fn start_task(&mut self, io: &mut Io<'_>, w: u32, id: u64) {
        let Some(job) = self.workers[w as usize].jobs.get_mut(&id) else {
            return;
        };
        job.running = true;
        let (tag, msg) = (job.tag.clone(), job.msg);
        if !io.sc.task.acks_late {
            job.acked = true;
            self.ack(io, w, &tag);
        }
        if io.sc.task.idempotency_keys {
            // Counted as running while the key is checked, so the slot is taken.
            self.workers[w as usize].running += 1;
            let key = format!("idem:{msg}");
            let cmd = argv(&[b"SET", key.as_bytes(), tag.as_bytes(), b"NX", b"EX", b"86400"]);
            self.send(io, Actor::Control(w), Tag::Idem(id), cmd);
        } else {
            self.workers[w as usize].run_job(io, w, id, Self::long(io));
        }
    }

    fn on_idem(&mut self, io: &mut Io<'_>, w: u32, id: u64, frame: Reply) {
        let wk = &mut self.workers[w as usize];
        wk.running = wk.running.saturating_sub(1);
        if !wk.jobs.contains_key(&id) {
            return;
        }
        if frame == Reply::ok() {
            return wk.run_job(io, w, id, Self::long(io));
        }
        // Someone already did (or is doing) this task: skip the side effect, ack, move on.
        io.effects.push(Effect::Suppress);
        let Some(job) = wk.jobs.remove(&id) else {
            return;
        };
        io.note(job.msg, StepKind::Suppressed { consumer: w });
        if !job.acked {
            self.ack(io, w, &job.tag);
        }
        self.schedule_runs(io, w);
        self.consume(io, w);
    }

    fn finish_task(&mut self, io: &mut Io<'_>, w: u32, job: Job, failed: bool) {
        let c = Actor::Control(w);
        let meta = format!("celery-task-meta-{}", job.msg);
        if !failed {
            io.process(job.msg, 0, w);
            let cmd = argv(&[b"SET", meta.as_bytes(), br#"{"status": "SUCCESS"}"#, b"EX", b"86400"]);
            self.send(io, c, Tag::Ignore, cmd);
        } else if job.retries < io.sc.task.max_retries {
            io.count(Counter::Retries);
            let n = job.retries + 1;
            io.note(job.msg, StepKind::Retried { attempt: n });
            let d = io.sc.task.retry_policy.delay(n, None, &mut self.workers[w as usize].rng);
            let next = payload(job.msg, n, io.now + d);
            if io.sc.task.idempotency_keys {
                let key = format!("idem:{}", job.msg);
                self.send(io, c, Tag::Ignore, argv(&[b"DEL", key.as_bytes()]));
            }
            self.send(io, c, Tag::Ignore, argv(&[b"LPUSH", CELERY, &next]));
        } else {
            io.count(Counter::DeadLettered);
            let deliveries = u64::from(job.retries) + 1;
            io.note(job.msg, StepKind::DeadLettered { deliveries });
            io.flow(job.msg, Node::Consumer(w), Node::DeadLetter, Fate::DeadLettered);
            self.send(io, c, Tag::Ignore, argv(&[b"LPUSH", b"celery.dead-letter", &job.payload]));
            let cmd = argv(&[b"SET", meta.as_bytes(), br#"{"status": "FAILURE"}"#, b"EX", b"86400"]);
            self.send(io, c, Tag::Ignore, cmd);
        }
        if !job.acked {
            self.ack(io, w, &job.tag);
        }
        self.schedule_runs(io, w);
        self.consume(io, w);
    }

    fn on_restore_tick(&mut self, io: &mut Io<'_>, w: u32, epoch: u32) {
        let wk = &self.workers[w as usize];
        if wk.epoch != epoch || !wk.up {
            return;
        }
        io.after(SimDuration::from_millis(io.sc.task.restore_every_ms), Timer::RestoreTick { worker: w, epoch });
        if self.consumers[w as usize].restoring {
            return;
        }
        self.consumers[w as usize].restoring = true;
        let id = format!("w{w}");
        let cmd = argv(&[b"SET", b"unacked_mutex", id.as_bytes(), b"EX", b"300", b"NX"]);
        self.send(io, Actor::Control(w), Tag::QosMutex, cmd);
    }

    fn on_qos_range(&mut self, io: &mut Io<'_>, w: u32, frame: Reply) {
        let c = Actor::Control(w);
        if let Reply::Array(items) = frame {
            for pair in items.chunks(2) {
                if let Reply::Bulk(tag) = &pair[0] {
                    self.send(io, c, Tag::Ignore, argv(&[b"MULTI"]));
                    self.send(io, c, Tag::Ignore, argv(&[b"HGET", b"unacked", tag]));
                    self.send(io, c, Tag::Ignore, argv(&[b"ZREM", b"unacked_index", tag]));
                    self.send(io, c, Tag::Ignore, argv(&[b"HDEL", b"unacked", tag]));
                    self.send(io, c, Tag::QosRestore, argv(&[b"EXEC"]));
                }
            }
        }
        self.send(io, c, Tag::Ignore, argv(&[b"DEL", b"unacked_mutex"]));
        self.consumers[w as usize].restoring = false;
    }
}

impl Machine for TaskQueue {
    fn handle(&mut self, io: &mut Io<'_>, input: Input) {
        match input {
            Input::Start => (0..io.sc.consumers.count).for_each(|w| self.start(io, w)),
            Input::Produced { producer, msg } => {
                let eta = io.now + SimDuration::from_millis(io.sc.task.countdown_ms);
                io.effects.push(Effect::Enqueue { producer, msg, payload: payload(msg, 0, eta) });
            }
            Input::Reply { actor: Actor::Slot(w, _), tag: Tag::Pop, frame } => {
                self.consumers[w as usize].consuming = false;
                if let Some(b) = popped(frame) {
                    self.reserve(io, w, b);
                }
                self.consume(io, w);
            }
            Input::Reply { actor: Actor::Control(w), tag: Tag::Idem(job), frame } => self.on_idem(io, w, job, frame),
            Input::Reply { actor: Actor::Control(w), tag: Tag::QosMutex, frame } => {
                if frame == Reply::ok() {
                    let ceil = io.now.as_unix_ms().saturating_sub(io.sc.task.visibility_timeout_ms);
                    let ceil = secs(SimTime::from_unix_ms(ceil));
                    let cmd = argv(&[
                        b"ZREVRANGEBYSCORE",
                        b"unacked_index",
                        ceil.as_bytes(),
                        b"0",
                        b"WITHSCORES",
                        b"LIMIT",
                        b"0",
                        b"10",
                    ]);
                    self.send(io, Actor::Control(w), Tag::QosRange, cmd);
                } else {
                    self.consumers[w as usize].restoring = false;
                }
            }
            Input::Reply { actor: Actor::Control(w), tag: Tag::QosRange, frame } => self.on_qos_range(io, w, frame),
            Input::Reply { actor: Actor::Control(w), tag: Tag::QosRestore, frame } => {
                let Reply::Array(r) = frame else { return };
                let Some(Reply::Bulk(p)) = r.first() else { return };
                io.count(Counter::Restored);
                if let Some((msg, _, _)) = parse_payload(p) {
                    io.note(msg, StepKind::Restored { by: "restore_visible (visibility timeout)" });
                }
                self.send(io, Actor::Control(w), Tag::Ignore, argv(&[b"RPUSH", CELERY, p]));
            }
            Input::Reply { .. } | Input::Pushed { .. } => {}
            Input::Failed { actor, tag } => self.failed(actor, tag),
            Input::Reconnected(Actor::Slot(w, _)) => self.consume(io, w),
            Input::Reconnected(Actor::Control(w)) => self.schedule_runs(io, w),
            Input::Reconnected(Actor::Producer(_) | Actor::Reaper) => {}
            Input::Timer(Timer::WorkDone { worker: w, epoch, job }) => {
                let Some((job, failed)) = self.workers[w as usize].finish(io, w, epoch, job) else { return };
                self.finish_task(io, w, job, failed);
            }
            Input::Timer(Timer::RestoreTick { worker, epoch }) => self.on_restore_tick(io, worker, epoch),
            Input::Timer(Timer::EtaTick { worker, epoch }) => {
                if self.workers[worker as usize].epoch == epoch {
                    self.consumers[worker as usize].eta_timer = None;
                    self.schedule_runs(io, worker);
                }
            }
            Input::Timer(_) => {}
            Input::Crash(w) => {
                if self.workers[w as usize].up {
                    let c = &mut self.consumers[w as usize];
                    c.consuming = false;
                    c.restoring = false;
                    if let Some((_, token)) = c.eta_timer.take() {
                        io.cancel(token);
                    }
                    self.workers[w as usize].die(io, w);
                }
            }
            Input::Restart(w) => {
                if self.workers[w as usize].revive() {
                    self.start(io, w);
                }
            }
            Input::Slow(w, factor) => self.workers[w as usize].slow = factor,
        }
    }

    fn push_command(&self, payload: &[u8]) -> Vec<Vec<u8>> {
        argv(&[b"LPUSH", CELERY, payload])
    }

    fn consumer(&self, w: u32) -> ConsumerState {
        self.workers[w as usize].state()
    }
}
