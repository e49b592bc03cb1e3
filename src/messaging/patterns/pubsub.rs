//! `pubsub`: producers `PUBLISH events m`; each subscriber `SUBSCRIBE events` and processes what
//! arrives in order, up to its concurrency. Nothing is stored: a subscriber that is offline (or
//! cut off) when a message is published never sees it; every subscriber gets its own copy.

use crate::messaging::machine::{
    argv, enqueue_now, parse_payload, Actor, ConsumerState, Effect, Input, Io, Job, Machine, Tag, Timer, Worker,
    CHANNEL,
};
use crate::redis::Reply;
use crate::sim::SimRng;
use std::collections::VecDeque;

#[derive(Clone)]
pub struct Pubsub {
    workers: Vec<Worker>,
    /// Messages each subscriber received and has not started, in order.
    backlog: Vec<VecDeque<u64>>,
}

impl Pubsub {
    pub fn new(sc: &crate::messaging::Scenario, root: &SimRng) -> Self {
        Pubsub { workers: Worker::fleet(sc, root), backlog: vec![VecDeque::new(); sc.consumers.count as usize] }
    }

    fn subscribe(io: &mut Io<'_>, w: u32) {
        io.send(Actor::Slot(w, 0), Tag::Subscribe, argv(&[b"SUBSCRIBE", CHANNEL]));
    }

    fn next(&mut self, io: &mut Io<'_>, w: u32) {
        let wk = &mut self.workers[w as usize];
        if wk.running >= io.sc.consumers.concurrency {
            return;
        }
        if let Some(job) = self.backlog[w as usize].pop_front() {
            if let Some(j) = wk.jobs.get_mut(&job) {
                j.running = true;
            }
            wk.run_job(io, w, job, None);
        }
    }

    fn pushed(&mut self, io: &mut Io<'_>, w: u32, frame: Reply) {
        let Reply::Array(parts) = frame else { return };
        match parts.first() {
            Some(Reply::Bulk(k)) if k.as_slice() == b"message" => {
                let Some(Reply::Bulk(b)) = parts.get(2) else {
                    return;
                };
                let Some((msg, _, _)) = parse_payload(b) else {
                    return;
                };
                io.deliver(msg, w as usize, w);
                let job = Job {
                    msg,
                    payload: b.clone(),
                    retries: 0,
                    eta: io.now,
                    tag: String::new(),
                    running: false,
                    acked: true,
                };
                let id = self.workers[w as usize].new_job(0, job);
                self.backlog[w as usize].push_back(id);
                self.next(io, w);
            }
            Some(Reply::Bulk(k)) if k.as_slice() == b"subscribe" => {
                io.effects.push(Effect::Answered(Actor::Slot(w, 0)));
            }
            _ => {}
        }
    }
}

impl Machine for Pubsub {
    fn handle(&mut self, io: &mut Io<'_>, input: Input) {
        match input {
            Input::Start => (0..io.sc.consumers.count).for_each(|w| Self::subscribe(io, w)),
            Input::Produced { producer, msg } => enqueue_now(io, producer, msg),
            Input::Pushed { actor: Actor::Slot(w, _), frame } => self.pushed(io, w, frame),
            Input::Pushed { .. } | Input::Reply { .. } | Input::Failed { .. } => {}
            Input::Reconnected(Actor::Slot(w, _)) => Self::subscribe(io, w),
            Input::Reconnected(_) => {}
            Input::Timer(Timer::WorkDone { worker: w, epoch, job }) => {
                let Some((job, failed)) = self.workers[w as usize].finish(io, w, epoch, job) else { return };
                if !failed {
                    io.process(job.msg, w as usize, w);
                }
                self.next(io, w);
            }
            Input::Timer(_) => {}
            Input::Crash(w) => {
                if self.workers[w as usize].die(io, w) {
                    self.backlog[w as usize].clear();
                }
            }
            Input::Restart(w) => {
                if self.workers[w as usize].revive() {
                    Self::subscribe(io, w);
                }
            }
            Input::Slow(w, factor) => self.workers[w as usize].slow = factor,
        }
    }

    fn push_command(&self, payload: &[u8]) -> Vec<Vec<u8>> {
        argv(&[b"PUBLISH", CHANNEL, payload])
    }

    fn consumer(&self, w: u32) -> ConsumerState {
        self.workers[w as usize].state()
    }

    fn takes_pushes(&self, actor: Actor) -> bool {
        matches!(actor, Actor::Slot(..))
    }
}
