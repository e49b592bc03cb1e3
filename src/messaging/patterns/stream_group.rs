//! `stream-group`: producers `XADD stream * payload m`; each worker slot reads its own pending
//! entries first (`XREADGROUP … STREAMS stream 0`, after a restart) and then new ones (`XREADGROUP
//! GROUP <group> c<w>.<s> COUNT 1 BLOCK 1000 STREAMS stream >`), acks with `XACK`. A worker's claim
//! tick takes over entries idle past the heartbeat TTL (`XAUTOCLAIM … 0-0 COUNT 10`); with
//! `dead_letter_after = N` it first asks `XPENDING stream <group> IDLE t - + 10`, XCLAIMs the
//! entries delivered N times or more, copies them to `stream:dead-letter` and XACKs them, and
//! XCLAIMs the rest to run again. At-least-once, with per-consumer pending lists.

use crate::messaging::machine::{
    argv, enqueue_now, parse_payload, stream_entries, xreadgroup_entries, Actor, ConsumerState, Counter, Input, Io,
    Job, Machine, Tag, Timer, Worker, CLAIM_SLOT, DEAD_LETTER_STREAM, STREAM,
};
use crate::messaging::trail::{Fate, Node, StepKind};
use crate::redis::Reply;
use crate::sim::{SimDuration, SimRng};

#[derive(Clone)]
pub struct StreamGroup {
    workers: Vec<Worker>,
    /// A claim round (XPENDING/XAUTOCLAIM/XCLAIM) is under way for worker `w`.
    restoring: Vec<bool>,
}

/// The consumer group worker `w` reads in: its own under `group_per_consumer` (fan-out), else one
/// shared group.
pub fn group_name(sc: &crate::messaging::Scenario, w: u32) -> String {
    if sc.group_per_consumer {
        format!("g{w}")
    } else {
        "workers".into()
    }
}

impl StreamGroup {
    pub fn new(sc: &crate::messaging::Scenario, root: &SimRng) -> Self {
        StreamGroup { workers: Worker::fleet(sc, root), restoring: vec![false; sc.consumers.count as usize] }
    }

    /// The consumer group worker `w` reads in.
    fn group(io: &Io<'_>, w: u32) -> String {
        group_name(io.sc, w)
    }

    fn copy_of(io: &Io<'_>, w: u32) -> usize {
        if io.sc.copies() > 1 {
            w as usize
        } else {
            0
        }
    }

    /// `XREADGROUP GROUP <group> c<w>.<s> COUNT 1 [BLOCK ms] STREAMS <stream> <id>` for slot `s` of
    /// worker `w`: id `0` re-reads its own pending entries, `>` asks for new ones.
    fn xreadgroup(io: &Io<'_>, w: u32, s: u32, block_ms: Option<&[u8]>, id: &[u8]) -> Vec<Vec<u8>> {
        let group = Self::group(io, w);
        let consumer = format!("c{w}.{s}");
        let mut parts: Vec<&[u8]> =
            vec![b"XREADGROUP", b"GROUP", group.as_bytes(), consumer.as_bytes(), b"COUNT", b"1"];
        if let Some(ms) = block_ms {
            parts.extend([b"BLOCK".as_slice(), ms]);
        }
        parts.extend([b"STREAMS".as_slice(), STREAM, id]);
        argv(&parts)
    }

    fn read_history(io: &mut Io<'_>, w: u32, s: u32) {
        let cmd = Self::xreadgroup(io, w, s, None, b"0");
        io.send(Actor::Slot(w, s), Tag::History, cmd);
    }

    fn read_new(io: &mut Io<'_>, w: u32, s: u32) {
        let cmd = Self::xreadgroup(io, w, s, Some(b"1000"), b">");
        io.send(Actor::Slot(w, s), Tag::Pop, cmd);
    }

    fn start(&mut self, io: &mut Io<'_>, w: u32) {
        let group = Self::group(io, w);
        io.send(
            Actor::Control(w),
            Tag::Ignore,
            argv(&[b"XGROUP", b"CREATE", STREAM, group.as_bytes(), b"0", b"MKSTREAM"]),
        );
        for s in 0..io.sc.consumers.concurrency {
            Self::read_history(io, w, s);
        }
        let epoch = self.workers[w as usize].epoch;
        io.after(SimDuration::from_millis(io.sc.reliable.reaper_every_ms), Timer::RestoreTick { worker: w, epoch });
    }

    fn on_read(&mut self, io: &mut Io<'_>, w: u32, s: u32, frame: Reply, history: bool) {
        let entries = xreadgroup_entries(&frame);
        let Some((id, payload)) = entries.into_iter().next() else {
            // Nothing pending (history done) or the BLOCK timed out: read new entries.
            return Self::read_new(io, w, s);
        };
        let Some((msg, retries, eta)) = parse_payload(&payload) else { return Self::read_new(io, w, s) };
        io.deliver(msg, Self::copy_of(io, w), w);
        let tag = String::from_utf8_lossy(&id).into_owned();
        let wk = &mut self.workers[w as usize];
        let job = wk.new_job(s, Job { msg, payload, retries, eta, tag, running: true, acked: history });
        wk.run_job(io, w, job, None);
    }

    /// Runs entries this worker claimed (XAUTOCLAIM or XCLAIM) on its claim slot.
    fn take_claimed(&mut self, io: &mut Io<'_>, w: u32, entries: Vec<(Vec<u8>, Vec<u8>)>) {
        for (id, payload) in entries {
            let Some((msg, retries, eta)) = parse_payload(&payload) else { continue };
            io.count(Counter::Restored);
            io.note(msg, StepKind::Restored { by: "a claim of an idle pending entry" });
            io.deliver(msg, Self::copy_of(io, w), w);
            let tag = String::from_utf8_lossy(&id).into_owned();
            let wk = &mut self.workers[w as usize];
            let job = wk.new_job(CLAIM_SLOT, Job { msg, payload, retries, eta, tag, running: true, acked: false });
            wk.run_job(io, w, job, None);
        }
        self.restoring[w as usize] = false;
    }

    /// `XAUTOCLAIM stream <group> c<w>.claim <idle> 0-0 COUNT 10`: entries idle past the heartbeat
    /// TTL (their consumer is presumed dead or stuck) come to this worker.
    fn autoclaim(io: &mut Io<'_>, w: u32) {
        let group = Self::group(io, w);
        let claimer = format!("c{w}.claim");
        let idle = io.sc.reliable.heartbeat_ttl_ms.to_string();
        let cmd = argv(&[
            b"XAUTOCLAIM",
            STREAM,
            group.as_bytes(),
            claimer.as_bytes(),
            idle.as_bytes(),
            b"0-0",
            b"COUNT",
            b"10",
        ]);
        io.send(Actor::Control(w), Tag::Claim, cmd);
    }

    /// `XCLAIM stream <group> c<w>.claim <idle> <ids…>`: the min-idle check makes one worker win
    /// each entry when several look at the same XPENDING list.
    fn xclaim(io: &Io<'_>, w: u32, ids: &[&[u8]]) -> Vec<Vec<u8>> {
        let group = Self::group(io, w);
        let claimer = format!("c{w}.claim");
        let idle = io.sc.reliable.heartbeat_ttl_ms.to_string();
        let mut parts: Vec<&[u8]> = vec![b"XCLAIM", STREAM, group.as_bytes(), claimer.as_bytes(), idle.as_bytes()];
        parts.extend_from_slice(ids);
        argv(&parts)
    }

    /// XPENDING's answer (id, consumer, idle, deliveries): entries delivered `dead_letter_after`
    /// times or more are claimed to be dead-lettered, the others are claimed to run again.
    fn on_pending(&mut self, io: &mut Io<'_>, w: u32, frame: Reply) {
        let limit = u64::from(io.sc.dead_letter_after);
        let mut poisoned: Vec<(Vec<u8>, u64)> = Vec::new();
        let mut retry: Vec<Vec<u8>> = Vec::new();
        if let Reply::Array(rows) = frame {
            for row in rows {
                let Reply::Array(f) = row else { continue };
                if let (Some(Reply::Bulk(id)), Some(Reply::Integer(n))) = (f.first(), f.get(3)) {
                    let n = u64::try_from(*n).unwrap_or(0);
                    if n >= limit {
                        poisoned.push((id.clone(), n));
                    } else {
                        retry.push(id.clone());
                    }
                }
            }
        }
        if !poisoned.is_empty() {
            let ids: Vec<&[u8]> = poisoned.iter().map(|(id, _)| id.as_slice()).collect();
            let cmd = Self::xclaim(io, w, &ids);
            if !io.send(Actor::Control(w), Tag::DeadClaim(poisoned.clone()), cmd) {
                self.failed(Actor::Control(w), Tag::DeadClaim(poisoned.clone()));
            }
        }
        if retry.is_empty() {
            self.restoring[w as usize] = false;
        } else {
            let ids: Vec<&[u8]> = retry.iter().map(Vec::as_slice).collect();
            let cmd = Self::xclaim(io, w, &ids);
            if !io.send(Actor::Control(w), Tag::ClaimIds, cmd) {
                self.failed(Actor::Control(w), Tag::ClaimIds);
            }
        }
    }

    /// Dead-letters what this worker's XCLAIM won: `XADD stream:dead-letter * payload … origin
    /// <id> deliveries <n>`, then `XACK` so no one claims it again.
    fn dead_letter(io: &mut Io<'_>, w: u32, frame: &Reply, counts: &[(Vec<u8>, u64)]) {
        let group = Self::group(io, w);
        let c = Actor::Control(w);
        for (id, payload) in stream_entries(frame) {
            let deliveries = counts.iter().find(|(i, _)| *i == id).map_or(0, |(_, n)| *n);
            let n = deliveries.to_string();
            let cmd = argv(&[
                b"XADD",
                DEAD_LETTER_STREAM,
                b"*",
                b"payload",
                &payload,
                b"origin",
                &id,
                b"deliveries",
                n.as_bytes(),
            ]);
            io.send(c, Tag::Ignore, cmd);
            io.send(c, Tag::Ignore, argv(&[b"XACK", STREAM, group.as_bytes(), &id]));
            io.count(Counter::DeadLettered);
            if let Some((msg, _, _)) = parse_payload(&payload) {
                io.note(msg, StepKind::DeadLettered { deliveries });
                io.flow(msg, Node::Broker, Node::DeadLetter, Fate::DeadLettered);
            }
        }
    }

    /// A command that never ran: a claim round that cannot go on ends.
    fn failed(&mut self, actor: Actor, tag: Tag) {
        if let (Actor::Control(w), Tag::Claim | Tag::Pending | Tag::ClaimIds) = (actor, tag) {
            self.restoring[w as usize] = false;
        }
    }

    fn on_restore_tick(&mut self, io: &mut Io<'_>, w: u32, epoch: u32) {
        let wk = &self.workers[w as usize];
        if wk.epoch != epoch || !wk.up {
            return;
        }
        io.after(SimDuration::from_millis(io.sc.reliable.reaper_every_ms), Timer::RestoreTick { worker: w, epoch });
        if self.restoring[w as usize] {
            return;
        }
        self.restoring[w as usize] = true;
        if io.sc.dead_letter_after > 0 {
            // As real consumers do: look at the delivery counts first (XAUTOCLAIM does not return
            // them), dead-letter what was delivered too often, then claim the rest.
            let group = Self::group(io, w);
            let idle = io.sc.reliable.heartbeat_ttl_ms.to_string();
            let cmd = argv(&[b"XPENDING", STREAM, group.as_bytes(), b"IDLE", idle.as_bytes(), b"-", b"+", b"10"]);
            if !io.send(Actor::Control(w), Tag::Pending, cmd) {
                self.failed(Actor::Control(w), Tag::Pending);
            }
            return;
        }
        Self::autoclaim(io, w);
        if !io.links.can_send(Actor::Control(w)) {
            self.failed(Actor::Control(w), Tag::Claim);
        }
    }
}

impl Machine for StreamGroup {
    fn handle(&mut self, io: &mut Io<'_>, input: Input) {
        match input {
            Input::Start => (0..io.sc.consumers.count).for_each(|w| self.start(io, w)),
            Input::Produced { producer, msg } => enqueue_now(io, producer, msg),
            Input::Reply { actor: Actor::Slot(w, s), tag: Tag::Pop, frame } => self.on_read(io, w, s, frame, false),
            Input::Reply { actor: Actor::Slot(w, s), tag: Tag::History, frame } => self.on_read(io, w, s, frame, true),
            Input::Reply { actor: Actor::Control(w), tag: Tag::Claim, frame } => {
                let entries = match &frame {
                    Reply::Array(parts) => parts.get(1).map(stream_entries).unwrap_or_default(),
                    _ => Vec::new(),
                };
                self.take_claimed(io, w, entries);
            }
            Input::Reply { actor: Actor::Control(w), tag: Tag::Pending, frame } => self.on_pending(io, w, frame),
            Input::Reply { actor: Actor::Control(w), tag: Tag::DeadClaim(counts), frame } => {
                Self::dead_letter(io, w, &frame, &counts)
            }
            Input::Reply { actor: Actor::Control(w), tag: Tag::ClaimIds, frame } => {
                let entries = stream_entries(&frame);
                self.take_claimed(io, w, entries);
            }
            Input::Reply { .. } | Input::Pushed { .. } => {}
            Input::Failed { actor, tag } => self.failed(actor, tag),
            Input::Reconnected(Actor::Slot(w, s)) => {
                let busy = self.workers[w as usize].jobs.keys().any(|j| (*j % 64) as u32 == s && s < 64);
                let actor = Actor::Slot(w, s);
                if !busy && !io.links.in_flight(actor, &Tag::Pop) && !io.links.in_flight(actor, &Tag::History) {
                    Self::read_history(io, w, s);
                }
            }
            Input::Reconnected(_) => {}
            Input::Timer(Timer::WorkDone { worker: w, epoch, job: id }) => {
                let Some((job, failed)) = self.workers[w as usize].finish(io, w, epoch, id) else { return };
                let slot = (id % 64) as u32;
                let group = Self::group(io, w);
                let c = if slot == CLAIM_SLOT { Actor::Control(w) } else { Actor::Slot(w, slot) };
                if !failed {
                    io.process(job.msg, Self::copy_of(io, w), w);
                    io.send(c, Tag::Ignore, argv(&[b"XACK", STREAM, group.as_bytes(), job.tag.as_bytes()]));
                }
                // A failed entry stays pending: XAUTOCLAIM hands it out again once it is idle.
                if slot != CLAIM_SLOT {
                    // `acked` marks a job read from the consumer's own history: keep draining it.
                    if job.acked {
                        Self::read_history(io, w, slot);
                    } else {
                        Self::read_new(io, w, slot);
                    }
                }
            }
            Input::Timer(Timer::RestoreTick { worker, epoch }) => self.on_restore_tick(io, worker, epoch),
            Input::Timer(_) => {}
            Input::Crash(w) => {
                if self.workers[w as usize].die(io, w) {
                    self.restoring[w as usize] = false;
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
        argv(&[b"XADD", STREAM, b"*", b"payload", payload])
    }

    fn consumer(&self, w: u32) -> ConsumerState {
        self.workers[w as usize].state()
    }
}
