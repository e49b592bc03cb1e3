//! `reliable-queue`: producers `LPUSH queue m`; each worker slot `BLMOVE queue processing:<w>
//! RIGHT LEFT 1`, acks with `LREM processing:<w> 1 m`, and puts a failed message back with `MULTI
//! LREM … RPUSH queue m EXEC`. Workers `SADD workers <w>` and refresh `SET heartbeat:<w> 1 PX ttl`;
//! a restarted worker first moves its own processing list back (`LMOVE processing:<w> queue RIGHT
//! RIGHT` until nil); the reaper runs `SMEMBERS workers`, `EXISTS heartbeat:<w>` and moves a dead
//! worker's list back. At-least-once: what a dead worker held comes back, and may run twice.

use crate::messaging::machine::{
    argv, enqueue_now, parse_payload, popped, Actor, ConsumerState, Counter, Input, Io, Job, Machine, Tag, Timer,
    Worker, QUEUE,
};
use crate::messaging::trail::StepKind;
use crate::redis::Reply;
use crate::sim::{SimDuration, SimRng};

#[derive(Clone)]
pub struct ReliableQueue {
    workers: Vec<Worker>,
    /// Worker `w`'s slots wait until the restarted worker has moved its old list back.
    recovering: Vec<bool>,
}

fn processing(w: u32) -> String {
    format!("processing:{w}")
}

impl ReliableQueue {
    pub fn new(sc: &crate::messaging::Scenario, root: &SimRng) -> Self {
        ReliableQueue { workers: Worker::fleet(sc, root), recovering: vec![false; sc.consumers.count as usize] }
    }

    fn start(&mut self, io: &mut Io<'_>, w: u32) {
        self.recovering[w as usize] = true;
        let name = format!("{w}");
        io.send(Actor::Control(w), Tag::Ignore, argv(&[b"SADD", b"workers", name.as_bytes()]));
        self.heartbeat(io, w);
        self.recover(io, w);
    }

    fn heartbeat(&mut self, io: &mut Io<'_>, w: u32) {
        let key = format!("heartbeat:{w}");
        let ttl = io.sc.reliable.heartbeat_ttl_ms.to_string();
        io.send(Actor::Control(w), Tag::Ignore, argv(&[b"SET", key.as_bytes(), b"1", b"PX", ttl.as_bytes()]));
        let epoch = self.workers[w as usize].epoch;
        io.after(SimDuration::from_millis(io.sc.reliable.heartbeat_every_ms), Timer::Heartbeat { worker: w, epoch });
    }

    fn recover(&mut self, io: &mut Io<'_>, w: u32) {
        let key = processing(w);
        io.send(Actor::Control(w), Tag::Recover, argv(&[b"LMOVE", key.as_bytes(), QUEUE, b"RIGHT", b"RIGHT"]));
    }

    fn reaper_move(&mut self, io: &mut Io<'_>, w: u32) {
        let key = processing(w);
        io.send(Actor::Reaper, Tag::ReaperMove(w), argv(&[b"LMOVE", key.as_bytes(), QUEUE, b"RIGHT", b"RIGHT"]));
    }

    fn pop(&mut self, io: &mut Io<'_>, w: u32, s: u32) {
        let key = processing(w);
        io.send(Actor::Slot(w, s), Tag::Pop, argv(&[b"BLMOVE", QUEUE, key.as_bytes(), b"RIGHT", b"LEFT", b"1"]));
    }

    fn slot_idle(&self, io: &Io<'_>, w: u32, s: u32) -> bool {
        let busy = self.workers[w as usize].jobs.keys().any(|j| (*j % 64) as u32 == s && s < 64);
        !busy && !io.links.in_flight(Actor::Slot(w, s), &Tag::Pop)
    }

    fn restored(io: &mut Io<'_>, frame: &Reply, by: &'static str) -> bool {
        let Reply::Bulk(p) = frame else { return false };
        io.count(Counter::Restored);
        if let Some((msg, _, _)) = parse_payload(p) {
            io.note(msg, StepKind::Restored { by });
        }
        true
    }
}

impl Machine for ReliableQueue {
    fn handle(&mut self, io: &mut Io<'_>, input: Input) {
        match input {
            Input::Start => {
                (0..io.sc.consumers.count).for_each(|w| self.start(io, w));
                io.after(SimDuration::from_millis(io.sc.reliable.reaper_every_ms), Timer::ReaperTick);
            }
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
            Input::Reply { actor: Actor::Control(w), tag: Tag::Recover, frame } => {
                if Self::restored(io, &frame, "the restarted worker's recovery") {
                    self.recover(io, w);
                } else {
                    self.recovering[w as usize] = false;
                    for s in 0..io.sc.consumers.concurrency {
                        self.pop(io, w, s);
                    }
                }
            }
            Input::Reply { actor: Actor::Reaper, tag: Tag::ReaperMembers, frame } => {
                let Reply::Array(names) = frame else { return };
                for n in names {
                    let Reply::Bulk(b) = n else { continue };
                    let Some(w) = std::str::from_utf8(&b).ok().and_then(|s| s.parse::<u32>().ok()) else {
                        continue;
                    };
                    let key = format!("heartbeat:{w}");
                    io.send(Actor::Reaper, Tag::ReaperExists(w), argv(&[b"EXISTS", key.as_bytes()]));
                }
            }
            Input::Reply { actor: Actor::Reaper, tag: Tag::ReaperExists(w), frame } => {
                if frame == Reply::Integer(0) {
                    self.reaper_move(io, w);
                }
            }
            Input::Reply { actor: Actor::Reaper, tag: Tag::ReaperMove(w), frame } => {
                if Self::restored(io, &frame, "the reaper") {
                    self.reaper_move(io, w);
                }
            }
            Input::Reply { .. } | Input::Pushed { .. } | Input::Failed { .. } => {}
            Input::Reconnected(Actor::Slot(w, s)) => {
                if !self.recovering[w as usize] && self.slot_idle(io, w, s) {
                    self.pop(io, w, s);
                }
            }
            Input::Reconnected(Actor::Control(w)) => {
                let name = format!("{w}");
                io.send(Actor::Control(w), Tag::Ignore, argv(&[b"SADD", b"workers", name.as_bytes()]));
                if self.recovering[w as usize] {
                    self.recover(io, w);
                }
            }
            Input::Reconnected(Actor::Producer(_) | Actor::Reaper) => {}
            Input::Timer(Timer::WorkDone { worker: w, epoch, job: id }) => {
                let Some((job, failed)) = self.workers[w as usize].finish(io, w, epoch, id) else { return };
                let key = processing(w);
                let slot = (id % 64) as u32;
                let c = Actor::Slot(w, slot);
                if failed {
                    io.send(c, Tag::Ignore, argv(&[b"MULTI"]));
                    io.send(c, Tag::Ignore, argv(&[b"LREM", key.as_bytes(), b"1", &job.payload]));
                    io.send(c, Tag::Ignore, argv(&[b"RPUSH", QUEUE, &job.payload]));
                    io.send(c, Tag::Ignore, argv(&[b"EXEC"]));
                } else {
                    io.process(job.msg, 0, w);
                    io.send(c, Tag::Ignore, argv(&[b"LREM", key.as_bytes(), b"1", &job.payload]));
                }
                self.pop(io, w, slot);
            }
            Input::Timer(Timer::Heartbeat { worker: w, epoch }) => {
                let wk = &self.workers[w as usize];
                if wk.up && wk.epoch == epoch {
                    self.heartbeat(io, w);
                }
            }
            Input::Timer(Timer::ReaperTick) => {
                if io.links.idle(Actor::Reaper) {
                    io.send(Actor::Reaper, Tag::ReaperMembers, argv(&[b"SMEMBERS", b"workers"]));
                }
                io.after(SimDuration::from_millis(io.sc.reliable.reaper_every_ms), Timer::ReaperTick);
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
