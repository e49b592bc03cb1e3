//! One sans-IO state machine per messaging pattern (see [`super::machine`] for the vocabulary).
//! Each file holds one pattern's consumers (and reaper) and the exact Redis commands they send;
//! the runtime routes events and effects between them, the broker and the kernel.

pub mod pubsub;
pub mod reliable_queue;
pub mod request_response;
pub mod simple_queue;
pub mod stream_group;
pub mod task_queue;

use super::machine::Machine;
use super::scenario::{PatternId, Scenario, ScenarioError};
use crate::sim::SimRng;

/// The machine for `sc.pattern`, its random streams children of `root`.
pub fn build(sc: &Scenario, root: &SimRng) -> Result<Box<dyn Machine>, ScenarioError> {
    Ok(match sc.pattern {
        PatternId::RequestResponse => Box::new(request_response::RequestResponse::new(sc, root)?),
        PatternId::SimpleQueue => Box::new(simple_queue::SimpleQueue::new(sc, root)),
        PatternId::ReliableQueue => Box::new(reliable_queue::ReliableQueue::new(sc, root)),
        PatternId::Pubsub => Box::new(pubsub::Pubsub::new(sc, root)),
        PatternId::StreamGroup => Box::new(stream_group::StreamGroup::new(sc, root)),
        PatternId::TaskQueue => Box::new(task_queue::TaskQueue::new(sc, root)),
    })
}

#[cfg(test)]
mod tests;
