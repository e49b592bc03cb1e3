//! The messaging run as a history for the linearizability checker (`verify::linear`), in the manner
//! of Jepsen's queue tests: each unit a consumer is meant to process (a message; a (message,
//! subscriber) pair under fan-out) is its own register key, `msg:<id>` (`msg:<id>/<copy>` under
//! fan-out), holding "the message is still owed to a consumer":
//!
//! - a producer's push (LPUSH / XADD / PUBLISH) is a `SET` of the key, from when the command went on
//!   the wire to when the broker's reply arrived; a push whose connection failed after sending it
//!   (the broker may or may not have run it) is unknown; a push that never reached the wire, or was
//!   answered with an error, surely did not happen and is left out. A push resent after a failure is
//!   a second `SET`;
//! - a consumer's side effect (the checker's "processed") is a `DEL` that found the key (`1`), from
//!   the delivery it processed to the side effect: the message left the system;
//! - at the end of a finished run, a final read per key (Jepsen's final reads): the value when the
//!   unit is still owed — its payload is somewhere in the broker's keyspace from where it will be
//!   delivered (a list, a hash, a set, a stream entry no group has acknowledged; a stream entry
//!   counts for the groups that have not acknowledged it) or a live consumer holds it — else nil.
//!
//! What the checker then flags, each with its smallest failing sub-history:
//! - a **lost acknowledged message**: `SET → OK`, no `DEL`, final read nil — the broker said it had
//!   the message and nobody processed it, and it is not there any more (a host crash without
//!   persistence, a simple-queue consumer crashing after BRPOP, a reply swallowed by a partition);
//! - a **duplicate**: two `DEL`s that found the key with only one `SET` — processed twice though
//!   pushed once (a reaper or visibility timeout restoring a message that was still being worked);
//! - a **processed message still queued**: `DEL` then a final read that sees the value (it would be
//!   delivered again).
//!
//! How this differs from the delivery checker (`checker`), which counts a unit lost when it was
//! never processed: here a unit is flagged only when the broker acknowledged it, so a push still
//! unanswered when its connection failed is not a lost *acknowledged* message; a unit still in the
//! broker at the end (e.g. dead-lettered into `celery.dead-letter` or `stream:dead-letter`, kept
//! for an operator) is owed, not lost; and a duplicate that the producer's own resend explains (the
//! message was pushed twice) is linearizable, where the delivery checker counts it duplicated.
//! Pub/sub's PUBLISH reply promises delivery only to the subscribers connected then, so the units
//! an offline subscriber missed are flagged — that is pub/sub's at-most-once delivery, as the
//! delivery checker counts it too.
//!
//! Request/response has no broker between its clients and instances: there is no history to take.
//!
//! Architecture invariant: recording never changes a run (no random draw, no event depends on it)
//! and is bounded ([`LOG_CAP`] entries; a longer run is refused, not truncated).

use super::checker::MsgId;
use super::machine::{parse_payload, Effect};
use super::patterns::stream_group::group_name;
use super::runtime::{MessagingModel, MessagingRun};
use super::scenario::PatternId;
use crate::redis::Value;
use crate::verify::linear::{History, Input, LinearLimits, Operation, Output, SlicedCheck};
use std::collections::{BTreeMap, BTreeSet};

/// Client ids in the history: producer `p` is `p`, consumer `w` is `CONSUMER + w`, the final
/// reads are [`READER`].
pub const CONSUMER: u64 = 1_000;
pub const READER: u64 = 1_000_000;
/// Pushes and side effects the log keeps (a run of `MAX_MESSAGES` has room for several of each).
pub const LOG_CAP: usize = 2_000_000;

/// How a push ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PushEnd {
    /// On the wire, unanswered.
    InFlight,
    Acked(u64),
    /// The connection failed after the command was sent: it may or may not have run.
    Unknown,
    /// An error reply: it did not run.
    Refused,
}

#[derive(Clone, Debug)]
struct Push {
    msg: MsgId,
    producer: u32,
    sent_ms: u64,
    end: PushEnd,
}

/// A side effect: unit (`msg`, `copy`) processed by `consumer`, delivered at `from_ms`.
#[derive(Clone, Debug)]
struct Take {
    msg: MsgId,
    copy: usize,
    consumer: u32,
    from_ms: u64,
    at_ms: u64,
}

/// What the runtime tells the history as the run goes: pushes sent, answered and failed, and the
/// deliveries and side effects among the machine's effects. Times are ms since the run's start.
#[derive(Clone, Debug, Default)]
pub struct MessageLog {
    pushes: Vec<Push>,
    /// The push of each message on the wire now (a producer resends only after a failure).
    open: BTreeMap<MsgId, usize>,
    /// The latest delivery of each unit not yet processed.
    delivered: BTreeMap<(MsgId, usize), u64>,
    takes: Vec<Take>,
    /// More than [`LOG_CAP`] entries were offered: the log stopped.
    full: bool,
}

impl MessageLog {
    fn room(&mut self) -> bool {
        if self.pushes.len() + self.takes.len() >= LOG_CAP {
            self.full = true;
        }
        !self.full
    }

    /// Producer `producer`'s push of `msg` went on the wire.
    pub fn sent(&mut self, msg: MsgId, producer: u32, at_ms: u64) {
        if self.room() {
            self.open.insert(msg, self.pushes.len());
            self.pushes.push(Push { msg, producer, sent_ms: at_ms, end: PushEnd::InFlight });
        }
    }

    /// The broker's reply to the push of `msg` arrived (`ok`: not an error).
    pub fn replied(&mut self, msg: MsgId, ok: bool, at_ms: u64) {
        if let Some(i) = self.open.remove(&msg) {
            self.pushes[i].end = if ok { PushEnd::Acked(at_ms) } else { PushEnd::Refused };
        }
    }

    /// The push of `msg` failed: if it was on the wire, its outcome is unknown.
    pub fn failed(&mut self, msg: MsgId) {
        if let Some(i) = self.open.remove(&msg) {
            self.pushes[i].end = PushEnd::Unknown;
        }
    }

    /// A machine's effect, as the runtime carries it out at `at_ms`.
    pub fn effect(&mut self, effect: &Effect, at_ms: u64) {
        match *effect {
            Effect::Deliver { msg, copy, .. } => {
                self.delivered.insert((msg, copy), at_ms);
            }
            Effect::Process { msg, copy, consumer } => {
                let from_ms = self.delivered.remove(&(msg, copy)).unwrap_or(at_ms).min(at_ms);
                if self.room() {
                    self.takes.push(Take { msg, copy, consumer, from_ms, at_ms });
                }
            }
            _ => {}
        }
    }
}

/// Why a run's history was not taken.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HistoryRefused {
    #[error("request/response has no broker between its clients and instances: there is no history of pushes and consumptions to check")]
    NoBroker,
    #[error("the run is at {now_ms} ms of {end_ms} ms: messages still on the wire would read as lost; run it to the end first")]
    NotFinished { now_ms: u64, end_ms: u64 },
    #[error("the broker is down at the end of the run (its host crashed and has not restarted): the final reads cannot be taken")]
    BrokerDown,
    #[error("the run recorded more than {LOG_CAP} pushes and side effects: too long to keep a history of")]
    TooLong,
}

/// The key of unit (`msg`, `copy`) of a run with `copies` units per message.
pub fn unit_key(msg: MsgId, copy: usize, copies: usize) -> String {
    if copies > 1 {
        format!("msg:{msg}/{copy}")
    } else {
        format!("msg:{msg}")
    }
}

/// The unit a history key names: (message, copy).
pub fn key_unit(key: &str) -> Option<(MsgId, usize)> {
    let rest = key.strip_prefix("msg:")?;
    match rest.split_once('/') {
        Some((m, c)) => Some((m.parse().ok()?, c.parse().ok()?)),
        None => Some((rest.parse().ok()?, 0)),
    }
}

/// The units still owed at the end: in the broker's keyspace where a consumer will get them, or
/// held by a live consumer.
fn owed(run: &MessagingModel) -> BTreeSet<(MsgId, usize)> {
    let sc = run.scenario();
    let copies = sc.copies();
    // Stream groups by name: which copy each one delivers (fan-out: one group per subscriber).
    let group_copy: BTreeMap<Vec<u8>, usize> = (0..sc.consumers.count)
        .map(|w| (group_name(sc, w).into_bytes(), if copies > 1 { w as usize } else { 0 }))
        .collect();
    let mut out = BTreeSet::new();
    let all = |out: &mut BTreeSet<(MsgId, usize)>, bytes: &[u8]| {
        if let Some((m, _, _)) = parse_payload(bytes) {
            out.extend((0..copies).map(|c| (m, c)));
        }
    };
    for (_, value) in run.store().db.iter() {
        match value {
            Value::Str(s) => all(&mut out, &s[..]),
            Value::List(l) => l.iter().for_each(|e| all(&mut out, &e[..])),
            Value::Set(s) => s.iter().for_each(|e| all(&mut out, &e[..])),
            Value::Hash(h) => h.iter().for_each(|(_, v)| all(&mut out, &v[..])),
            Value::ZSet(z) => z.iter().for_each(|(e, _)| all(&mut out, e)),
            Value::Stream(st) => {
                for (id, fields) in st.entries().iter() {
                    let Some(m) = fields.iter().find_map(|(_, v)| parse_payload(v)).map(|p| p.0) else { continue };
                    if st.groups.is_empty() {
                        out.extend((0..copies).map(|c| (m, c)));
                        continue;
                    }
                    for (name, g) in &st.groups {
                        if *id > g.last_id || g.pel.contains_key(id) {
                            let copy = group_copy.get(name).copied().unwrap_or(0);
                            out.insert((m, copy));
                        }
                    }
                }
            }
        }
    }
    for c in run.consumers() {
        if c.up {
            let copy = if copies > 1 { c.index as usize } else { 0 };
            out.extend(c.held.iter().map(|(m, _)| (*m, copy)));
        }
    }
    out
}

/// The history of a finished run: the pushes, the side effects, then a final read of every key.
pub fn history(run: &MessagingRun) -> Result<History, HistoryRefused> {
    history_at(run.model(), run.model().ms_at(run.now()))
}

/// The history of `run` standing at `now_ms` (ms since its start; a rewound run is read at its
/// cursor): refused unless the run is over.
pub fn history_at(run: &MessagingModel, now_ms: u64) -> Result<History, HistoryRefused> {
    let sc = run.scenario();
    if sc.pattern == PatternId::RequestResponse {
        return Err(HistoryRefused::NoBroker);
    }
    if now_ms < run.end_ms() {
        return Err(HistoryRefused::NotFinished { now_ms, end_ms: run.end_ms() });
    }
    if !run.broker_up() {
        return Err(HistoryRefused::BrokerDown);
    }
    let log = run.message_log();
    if log.full {
        return Err(HistoryRefused::TooLong);
    }
    let copies = sc.copies();
    let mut ops = Vec::with_capacity(log.pushes.len() * copies + log.takes.len());
    let mut keys: BTreeSet<(MsgId, usize)> = BTreeSet::new();
    for p in &log.pushes {
        let (ret, output) = match p.end {
            PushEnd::Acked(at) => (Some(at), Some(Output::Ok)),
            PushEnd::InFlight | PushEnd::Unknown => (None, None),
            PushEnd::Refused => continue,
        };
        for copy in 0..copies {
            keys.insert((p.msg, copy));
            ops.push(Operation {
                client: u64::from(p.producer),
                key: unit_key(p.msg, copy, copies),
                input: Input::Set { value: p.msg.to_string() },
                invoke: p.sent_ms,
                ret,
                output: output.clone(),
            });
        }
    }
    for t in &log.takes {
        keys.insert((t.msg, t.copy));
        ops.push(Operation {
            client: CONSUMER + u64::from(t.consumer),
            key: unit_key(t.msg, t.copy, copies),
            input: Input::Del,
            invoke: t.from_ms,
            ret: Some(t.at_ms),
            output: Some(Output::Int(1)),
        });
    }
    let owed = owed(run);
    let at = now_ms + 1;
    for (msg, copy) in keys {
        let output = if owed.contains(&(msg, copy)) { Output::Value(msg.to_string()) } else { Output::Nil };
        ops.push(Operation {
            client: READER,
            key: unit_key(msg, copy, copies),
            input: Input::Get,
            invoke: at,
            ret: Some(at),
            output: Some(output),
        });
    }
    Ok(History { ops })
}

/// The units a failing key names, in message order.
pub fn failing_units(failures: &[crate::verify::linear::KeyFailure]) -> Vec<(MsgId, usize)> {
    let mut v: Vec<(MsgId, usize)> = failures.iter().filter_map(|f| key_unit(&f.key)).collect();
    v.sort();
    v
}

/// The check of a finished run, in slices a page can spread over frames.
pub fn job(run: &MessagingModel, now_ms: u64) -> Result<SlicedCheck, HistoryRefused> {
    Ok(SlicedCheck::new(history_at(run, now_ms)?, LinearLimits::default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_keys_round_trip() {
        assert_eq!(unit_key(7, 0, 1), "msg:7");
        assert_eq!(unit_key(7, 2, 3), "msg:7/2");
        assert_eq!(key_unit("msg:7"), Some((7, 0)));
        assert_eq!(key_unit("msg:7/2"), Some((7, 2)));
        assert_eq!(key_unit("x"), None);
        assert_eq!(key_unit("msg:a/1"), None);
    }

    #[test]
    fn the_log_keeps_each_push_attempt_and_the_delivery_a_side_effect_came_from() {
        let mut log = MessageLog::default();
        log.sent(1, 0, 10);
        log.failed(1);
        log.failed(2); // never sent: nothing to mark
        log.sent(1, 0, 500);
        log.replied(1, true, 502);
        log.sent(2, 1, 20);
        log.replied(2, false, 22);
        log.effect(&Effect::Deliver { msg: 1, copy: 0, consumer: 3 }, 600);
        log.effect(&Effect::Process { msg: 1, copy: 0, consumer: 3 }, 650);
        let ends: Vec<PushEnd> = log.pushes.iter().map(|p| p.end).collect();
        assert_eq!(ends, vec![PushEnd::Unknown, PushEnd::Acked(502), PushEnd::Refused]);
        assert_eq!((log.takes[0].from_ms, log.takes[0].at_ms, log.takes[0].consumer), (600, 650, 3));
        assert!(log.delivered.is_empty());
    }
}
