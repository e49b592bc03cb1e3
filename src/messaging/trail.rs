//! What a run shows of its messages: the recent moves between producers, the broker and the
//! consumers (for drawing them as moving dots) and each message's life as a list of steps (for the
//! inspector). Recording is off unless asked for ([`super::MessagingRun::record_trail`]), so the
//! command line and the acceptance runs pay nothing for it.
//!
//! Architecture invariant: a trail is bounded: at most `flow_cap` moves and `life_cap` messages of
//! at most [`STEPS_PER_MESSAGE`] steps each; the oldest go first. Recording never changes a run
//! (no random draw, no event depends on it).

use super::checker::MsgId;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::fmt;

/// Steps kept per message (a message retried forever stops growing its life here).
pub const STEPS_PER_MESSAGE: usize = 24;

/// A place a message moves between.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Node {
    Producer(u32),
    /// The broker's key, channel or stream (the balancer for request/response).
    Broker,
    Consumer(u32),
    /// The dead-letter list or stream.
    DeadLetter,
}

/// How a move ends, which is how the page colours its dot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fate {
    /// On its way to the broker.
    Sent,
    /// A first delivery to a consumer.
    Delivered,
    /// A delivery of a unit the consumer side had already had (a redelivery).
    Duplicate,
    /// Gone: dropped with a crashed consumer, sent into a partition, missed while offline,
    /// rejected or timed out.
    Lost,
    DeadLettered,
}

/// One move of one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    pub at_ms: u64,
    pub msg: MsgId,
    pub from: Node,
    pub to: Node,
    pub fate: Fate,
}

/// Why a consumer lost what it held or was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DropCause {
    Crash,
    Partition,
    Offline,
}

/// One thing that happened to a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum StepKind {
    Produced {
        producer: u32,
    },
    /// PUBLISH answered: this many subscribers received it.
    Published {
        receivers: i64,
    },
    Delivered {
        consumer: u32,
        delivery: u32,
    },
    Processed {
        consumer: u32,
        duplicate: bool,
    },
    Failed {
        consumer: u32,
    },
    /// An idempotency key stopped a second side effect.
    Suppressed {
        consumer: u32,
    },
    Dropped {
        consumer: u32,
        cause: DropCause,
    },
    /// Put back for another consumer (reaper, XAUTOCLAIM, visibility timeout, own recovery).
    Restored {
        by: &'static str,
    },
    Retried {
        attempt: u32,
    },
    DeadLettered {
        deliveries: u64,
    },
    /// Request/response: an instance refused the attempt (backlog full or no instance).
    Rejected,
    TimedOut {
        attempt: u32,
    },
    /// Request/response: the client gave up after its last retry.
    GaveUp,
}

impl fmt::Display for StepKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepKind::Produced { producer } => write!(f, "produced by producer-{producer}"),
            StepKind::Published { receivers } => write!(f, "PUBLISH reached {receivers} subscriber(s)"),
            StepKind::Delivered { consumer, delivery } => {
                write!(f, "delivered to consumer-{consumer} (delivery {delivery})")
            }
            StepKind::Processed { consumer, duplicate: false } => write!(f, "processed by consumer-{consumer}"),
            StepKind::Processed { consumer, duplicate: true } => {
                write!(f, "processed again by consumer-{consumer}: a duplicate side effect")
            }
            StepKind::Failed { consumer } => write!(f, "processing failed on consumer-{consumer}"),
            StepKind::Suppressed { consumer } => {
                write!(f, "consumer-{consumer} found the idempotency key set and skipped the side effect")
            }
            StepKind::Dropped { consumer, cause } => match cause {
                DropCause::Crash => write!(f, "dropped: consumer-{consumer} crashed while holding it"),
                DropCause::Partition => {
                    write!(f, "dropped: the reply to consumer-{consumer} went into the partition")
                }
                DropCause::Offline => write!(f, "missed: subscriber consumer-{consumer} was offline"),
            },
            StepKind::Restored { by } => write!(f, "put back by {by}"),
            StepKind::Retried { attempt } => write!(f, "retry {attempt} scheduled"),
            StepKind::DeadLettered { deliveries } => write!(f, "dead-lettered after {deliveries} deliveries"),
            StepKind::Rejected => write!(f, "rejected by the instance (backlog full)"),
            StepKind::TimedOut { attempt } => write!(f, "attempt {attempt} timed out"),
            StepKind::GaveUp => write!(f, "the client gave up after its last retry"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    pub at_ms: u64,
    pub kind: StepKind,
}

/// The bounded record; see the module header.
#[derive(Clone, Debug, Default)]
pub struct Trail {
    flow_cap: usize,
    life_cap: usize,
    flows: VecDeque<Flow>,
    lives: BTreeMap<MsgId, Vec<Step>>,
}

impl Trail {
    pub fn new(flow_cap: usize, life_cap: usize) -> Self {
        Trail { flow_cap: flow_cap.max(1), life_cap: life_cap.max(1), ..Trail::default() }
    }

    pub fn flow(&mut self, f: Flow) {
        if self.flows.len() >= self.flow_cap {
            self.flows.pop_front();
        }
        self.flows.push_back(f);
    }

    pub fn note(&mut self, at_ms: u64, msg: MsgId, kind: StepKind) {
        if !self.lives.contains_key(&msg) && self.lives.len() >= self.life_cap {
            // Forget the oldest message (ids grow with production time).
            self.lives.pop_first();
        }
        let life = self.lives.entry(msg).or_default();
        if life.len() < STEPS_PER_MESSAGE {
            life.push(Step { at_ms, kind });
        }
    }

    /// The recent moves, oldest first.
    pub fn flows(&self) -> &VecDeque<Flow> {
        &self.flows
    }

    /// A message's steps, if it is still remembered.
    pub fn life(&self, msg: MsgId) -> Option<&[Step]> {
        self.lives.get(&msg).map(Vec::as_slice)
    }

    /// The messages remembered, oldest first.
    pub fn remembered(&self) -> impl DoubleEndedIterator<Item = MsgId> + '_ {
        self.lives.keys().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trail_keeps_its_bounds_and_forgets_the_oldest_first() {
        let mut t = Trail::new(3, 2);
        for i in 0..5 {
            t.flow(Flow { at_ms: i, msg: i, from: Node::Producer(0), to: Node::Broker, fate: Fate::Sent });
            t.note(i, i, StepKind::Produced { producer: 0 });
        }
        assert_eq!(t.flows().iter().map(|f| f.msg).collect::<Vec<_>>(), vec![2, 3, 4]);
        assert_eq!(t.remembered().collect::<Vec<_>>(), vec![3, 4]);
        for _ in 0..100 {
            t.note(9, 4, StepKind::Retried { attempt: 1 });
        }
        assert_eq!(t.life(4).map(<[Step]>::len), Some(STEPS_PER_MESSAGE));
        assert_eq!(t.life(0), None);
    }
}
