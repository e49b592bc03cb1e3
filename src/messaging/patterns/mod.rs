//! One sans-IO state machine per messaging pattern (see [`super::machine`] for the vocabulary).
//! Each file holds one pattern's consumers (and reaper) and the exact Redis commands they send;
//! the runtime routes events and effects between them, the broker and the kernel.

pub mod pubsub;
pub mod reliable_queue;
pub mod request_response;
pub mod simple_queue;
pub mod stream_group;
pub mod task_queue;

use super::machine::{Actor, ConsumerState, Input, Io, Machine};
use super::scenario::{PatternId, Scenario, ScenarioError};
use crate::sim::SimRng;

/// The run's pattern machine: one of the six, as a value (a rewind snapshot clones the run, and
/// with it the machine's state).
#[derive(Clone)]
pub enum PatternMachine {
    RequestResponse(request_response::RequestResponse),
    SimpleQueue(simple_queue::SimpleQueue),
    ReliableQueue(reliable_queue::ReliableQueue),
    Pubsub(pubsub::Pubsub),
    StreamGroup(stream_group::StreamGroup),
    TaskQueue(task_queue::TaskQueue),
}

/// Calls `$call` on whichever machine `$m` holds.
macro_rules! each {
    ($m:expr, $x:ident => $call:expr) => {
        match $m {
            PatternMachine::RequestResponse($x) => $call,
            PatternMachine::SimpleQueue($x) => $call,
            PatternMachine::ReliableQueue($x) => $call,
            PatternMachine::Pubsub($x) => $call,
            PatternMachine::StreamGroup($x) => $call,
            PatternMachine::TaskQueue($x) => $call,
        }
    };
}

impl Machine for PatternMachine {
    fn handle(&mut self, io: &mut Io<'_>, input: Input) {
        each!(self, m => m.handle(io, input))
    }
    fn push_command(&self, payload: &[u8]) -> Vec<Vec<u8>> {
        each!(self, m => m.push_command(payload))
    }
    fn consumer(&self, w: u32) -> ConsumerState {
        each!(self, m => m.consumer(w))
    }
    fn takes_pushes(&self, actor: Actor) -> bool {
        each!(self, m => m.takes_pushes(actor))
    }
    fn queued(&self) -> u64 {
        each!(self, m => m.queued())
    }
}

/// The machine for `sc.pattern`, its random streams children of `root`.
pub fn build(sc: &Scenario, root: &SimRng) -> Result<PatternMachine, ScenarioError> {
    Ok(match sc.pattern {
        PatternId::RequestResponse => {
            PatternMachine::RequestResponse(request_response::RequestResponse::new(sc, root)?)
        }
        PatternId::SimpleQueue => PatternMachine::SimpleQueue(simple_queue::SimpleQueue::new(sc, root)),
        PatternId::ReliableQueue => PatternMachine::ReliableQueue(reliable_queue::ReliableQueue::new(sc, root)),
        PatternId::Pubsub => PatternMachine::Pubsub(pubsub::Pubsub::new(sc, root)),
        PatternId::StreamGroup => PatternMachine::StreamGroup(stream_group::StreamGroup::new(sc, root)),
        PatternId::TaskQueue => PatternMachine::TaskQueue(task_queue::TaskQueue::new(sc, root)),
    })
}

#[cfg(test)]
mod tests;
