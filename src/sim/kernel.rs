//! The discrete-event kernel every model runs on: a clock, an event queue and a trace.
//!
//! A model implements [`Model`]: it receives one event at a time together with a [`Ctx`] through
//! which it reads the clock and schedules or cancels further events. The kernel never performs I/O
//! and never looks at a wall clock; the UI decides how much virtual time to run per frame.

use super::queue::{EventId, EventQueue};
use super::trace::{Trace, TraceEntry};
use super::{SimDuration, SimTime};

/// What a simulated system must provide to run on the kernel.
pub trait Model {
    type Event;
    /// Handles one event at `ctx.now()`.
    fn handle(&mut self, ctx: &mut Ctx<'_, Self::Event>, event: Self::Event);
    /// A stable description of `event` for the trace: the node it concerns and what happened.
    fn describe(&self, event: &Self::Event) -> (String, String);
}

/// The model's view of the kernel while it handles an event.
pub struct Ctx<'a, E> {
    now: SimTime,
    queue: &'a mut EventQueue<E>,
}

impl<E> Ctx<'_, E> {
    pub fn now(&self) -> SimTime {
        self.now
    }
    /// Schedules at an absolute time; a time in the past is treated as "now".
    pub fn schedule_at(&mut self, at: SimTime, event: E) -> EventId {
        self.queue.schedule(at.max(self.now), event)
    }
    pub fn schedule_in(&mut self, after: SimDuration, event: E) -> EventId {
        self.queue.schedule(self.now + after, event)
    }
    pub fn cancel(&mut self, id: EventId) {
        self.queue.cancel(id)
    }
    /// Whether `id` is still waiting to fire (neither fired nor cancelled).
    pub fn is_pending(&self, id: EventId) -> bool {
        self.queue.is_pending(id)
    }
}

/// A model plus its clock, queue and trace.
pub struct Simulation<M: Model> {
    pub model: M,
    now: SimTime,
    start: SimTime,
    queue: EventQueue<M::Event>,
    trace: Trace,
    processed: u64,
}

impl<M: Model> Simulation<M> {
    /// A simulation whose clock starts at `epoch`.
    pub fn new(model: M, epoch: SimTime) -> Self {
        Simulation { model, now: epoch, start: epoch, queue: EventQueue::new(), trace: Trace::default(), processed: 0 }
    }

    /// Like [`Simulation::new`] with room for `events` pending events before the queue reallocates.
    pub fn with_capacity(model: M, epoch: SimTime, events: usize) -> Self {
        Simulation { queue: EventQueue::with_capacity(events), ..Self::new(model, epoch) }
    }

    pub fn now(&self) -> SimTime {
        self.now
    }
    pub fn start(&self) -> SimTime {
        self.start
    }
    /// Virtual time since the run started.
    pub fn elapsed(&self) -> SimDuration {
        self.now - self.start
    }
    pub fn processed(&self) -> u64 {
        self.processed
    }
    pub fn trace(&self) -> &Trace {
        &self.trace
    }
    pub fn trace_mut(&mut self) -> &mut Trace {
        &mut self.trace
    }

    /// Schedules an event from outside the model (a user action, a scenario step).
    pub fn schedule_at(&mut self, at: SimTime, event: M::Event) -> EventId {
        self.queue.schedule(at.max(self.now), event)
    }
    pub fn schedule_in(&mut self, after: SimDuration, event: M::Event) -> EventId {
        self.queue.schedule(self.now + after, event)
    }
    pub fn cancel(&mut self, id: EventId) {
        self.queue.cancel(id)
    }
    pub fn is_pending(&self, id: EventId) -> bool {
        self.queue.is_pending(id)
    }

    /// Runs `f` against the model with a scheduling context at the current time — how the UI applies a
    /// user action (e.g. "crash worker 2") between events.
    pub fn act<R>(&mut self, f: impl FnOnce(&mut M, &mut Ctx<'_, M::Event>) -> R) -> R {
        let mut ctx = Ctx { now: self.now, queue: &mut self.queue };
        f(&mut self.model, &mut ctx)
    }

    pub fn next_event_time(&mut self) -> Option<SimTime> {
        self.queue.next_time()
    }
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    /// Processes exactly one event; returns false when the queue is empty.
    pub fn step(&mut self) -> bool {
        let Some((at, id, event)) = self.queue.pop() else {
            return false;
        };
        self.now = self.now.max(at);
        if self.trace.enabled() {
            let (node, what) = self.model.describe(&event);
            self.trace.push(TraceEntry { seq: id.0, at_ms: (self.now - self.start).0, node, what });
        }
        let mut ctx = Ctx { now: self.now, queue: &mut self.queue };
        self.model.handle(&mut ctx, event);
        self.processed += 1;
        true
    }

    /// Processes every event due at or before `until`, then sets the clock to `until`.
    pub fn run_until(&mut self, until: SimTime) {
        while let Some(t) = self.queue.next_time() {
            if t > until {
                break;
            }
            self.step();
        }
        self.now = self.now.max(until);
    }

    pub fn run_for(&mut self, d: SimDuration) {
        self.run_until(self.now + d)
    }

    /// Like [`Simulation::run_until`] but stops after at most `max_events` (for frame budgets).
    /// Returns true when `until` was reached.
    pub fn run_until_bounded(&mut self, until: SimTime, max_events: u64) -> bool {
        let mut n = 0;
        while let Some(t) = self.queue.next_time() {
            if t > until {
                break;
            }
            if n == max_events {
                return false;
            }
            self.step();
            n += 1;
        }
        self.now = self.now.max(until);
        true
    }
}
