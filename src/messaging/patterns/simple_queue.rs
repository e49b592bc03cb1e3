//! `simple-queue`: producers `LPUSH queue m`, each worker slot `BRPOP queue 1`. A message popped
//! by a worker that then dies is gone: nothing in Redis remembers it (at-most-once).

use crate::messaging::machine::{
    argv, enqueue_now, parse_payload, popped, Actor, ConsumerState, Input, Io, Job, Machine, Tag, Timer, Worker, QUEUE,
};
use crate::sim::SimRng;

#[derive(Clone)]
pub struct SimpleQueue {
    workers: Vec<Worker>,
}

impl SimpleQueue {
    pub fn new(sc: &crate::messaging::Scenario, root: &SimRng) -> Self {
        SimpleQueue { workers: Worker::fleet(sc, root) }
    }

    fn pop(&mut self, io: &mut Io<'_>, w: u32, s: u32) {
        io.send(Actor::Slot(w, s), Tag::Pop, argv(&[b"BRPOP", QUEUE, b"1"]));
    }

    fn start(&mut self, io: &mut Io<'_>, w: u32) {
        for s in 0..io.sc.consumers.concurrency {
            self.pop(io, w, s);
        }
    }

    /// No job on slot `s` and no BRPOP of its own in flight.
    fn slot_idle(&self, io: &Io<'_>, w: u32, s: u32) -> bool {
        let busy = self.workers[w as usize].jobs.keys().any(|j| (*j % 64) as u32 == s && s < 64);
        !busy && !io.links.in_flight(Actor::Slot(w, s), &Tag::Pop)
    }
}

impl Machine for SimpleQueue {
    fn handle(&mut self, io: &mut Io<'_>, input: Input) {
        match input {
            Input::Start => (0..io.sc.consumers.count).for_each(|w| self.start(io, w)),
            Input::Produced { producer, msg } => enqueue_now(io, producer, msg),
            Input::Reply { actor: Actor::Slot(w, s), tag: Tag::Pop, frame } => {
                let Some((msg, retries, eta, b)) =
                    popped(frame).and_then(|b| parse_payload(&b).map(|(m, r, e)| (m, r, e, b)))
                else {
                    return self.pop(io, w, s);
                };
                io.deliver(msg, 0, w);
                let job = Job { msg, payload: b, retries, eta, tag: String::new(), running: true, acked: false };
                let wk = &mut self.workers[w as usize];
                let id = wk.new_job(s, job);
                wk.run_job(io, w, id, None);
            }
            Input::Reply { .. } | Input::Pushed { .. } | Input::Failed { .. } => {}
            Input::Reconnected(Actor::Slot(w, s)) => {
                if self.slot_idle(io, w, s) {
                    self.pop(io, w, s);
                }
            }
            Input::Reconnected(_) => {}
            Input::Timer(Timer::WorkDone { worker: w, epoch, job: id }) => {
                let Some((job, failed)) = self.workers[w as usize].finish(io, w, epoch, id) else { return };
                if !failed {
                    io.process(job.msg, 0, w);
                }
                self.pop(io, w, (id % 64) as u32);
            }
            Input::Timer(_) => {}
            Input::Crash(w) => {
                self.workers[w as usize].die(io, w);
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
        argv(&[b"LPUSH", QUEUE, payload])
    }

    fn consumer(&self, w: u32) -> ConsumerState {
        self.workers[w as usize].state()
    }
}
