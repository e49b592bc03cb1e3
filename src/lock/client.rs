//! The Redis client of the reference, ioredis with its defaults, as a sans-IO connection model:
//! one [`Connection`] per (worker, Redis instance).
//!
//! What it models, from ioredis 5 (`lib/redis/RedisOptions.ts`, `lib/redis/event_handler.ts`):
//! - no per-command timeout (`commandTimeout` unset): a command waits for its reply as long as it
//!   takes; the machine only gives up when its `Send` carried a timeout (the option, or Redlock's);
//! - the offline queue (`enableOfflineQueue: true`): a command issued while the connection is not
//!   ready waits in a queue and is written once it is;
//! - commands written but unanswered when the connection closed are written again after the
//!   reconnect (`autoResendUnfulfilledCommands: true`), before the offline queue;
//! - reconnection waits `min(attempt × 50, 2000)` ms (the default `retryStrategy`), and every
//!   `maxRetriesPerRequest + 1` = 21st attempt rejects everything queued with
//!   `MaxRetriesPerRequestError`;
//! - the connection is established (TCP connect plus the ready check) in one round trip; a host
//!   whose Redis is down refuses it at once.
//!
//! What closes a connection is the server going away (it crashed or restarted). A network
//! partition does not: TCP keeps retransmitting, and ioredis's default `keepAlive: 0` sends no
//! probes, so the client just waits (the runtime holds the packets until the partition heals).
//!
//! Never does I/O; the runtime performs the [`ClientEffect`]s.

use super::command::LockCommand;
use super::machine::{ioredis, RequestId};
use crate::sim::SimDuration;
use std::collections::VecDeque;

/// Where the connection stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnState {
    /// A connection attempt is on its way.
    Connecting,
    Ready,
    /// Waiting out the retry strategy's delay before the next attempt.
    Reconnecting,
}

/// A command the client holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Queued {
    pub req: RequestId,
    pub command: LockCommand,
}

/// What the runtime must do for the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientEffect {
    /// Write `command` on connection `epoch`.
    Transmit { epoch: u64, req: RequestId, command: LockCommand },
    /// Open connection `epoch` (one round trip: accepted, or refused when the server is down).
    Connect { epoch: u64 },
    /// Call [`Connection::on_reconnect_timer`] after this long.
    ReconnectAfter(SimDuration),
    /// Reject request `req` with this error (delivered to the machine as an error reply).
    Fail { req: RequestId, error: String },
}

/// One ioredis connection.
#[derive(Clone, Debug)]
pub struct Connection {
    state: ConnState,
    /// Identifies the current TCP connection; replies and closes for older ones are stale.
    epoch: u64,
    /// ioredis's `retryAttempts`: reset when the connection becomes ready.
    retry_attempts: u32,
    /// Written on the current connection, awaiting their replies (ioredis's `commandQueue`).
    in_flight: VecDeque<Queued>,
    /// Unanswered when the previous connection closed (ioredis's `prevCommandQueue`).
    unfulfilled: VecDeque<Queued>,
    /// Issued while not ready (ioredis's `offlineQueue`).
    offline: VecDeque<Queued>,
}

impl Connection {
    /// A new client connects at once (ioredis's `lazyConnect: false`).
    pub fn new() -> (Connection, Vec<ClientEffect>) {
        let c = Connection {
            state: ConnState::Connecting,
            epoch: 1,
            retry_attempts: 0,
            in_flight: VecDeque::new(),
            unfulfilled: VecDeque::new(),
            offline: VecDeque::new(),
        };
        (c, vec![ClientEffect::Connect { epoch: 1 }])
    }

    pub fn state(&self) -> ConnState {
        self.state
    }
    pub fn epoch(&self) -> u64 {
        self.epoch
    }
    pub fn retry_attempts(&self) -> u32 {
        self.retry_attempts
    }
    /// Commands the client holds that have not been written yet (offline queue and resends).
    pub fn queued(&self) -> usize {
        self.offline.len() + self.unfulfilled.len()
    }

    /// The machine sends a command.
    pub fn issue(&mut self, req: RequestId, command: LockCommand) -> Vec<ClientEffect> {
        match self.state {
            ConnState::Ready => {
                self.in_flight.push_back(Queued { req, command: command.clone() });
                vec![ClientEffect::Transmit { epoch: self.epoch, req, command }]
            }
            ConnState::Connecting | ConnState::Reconnecting => {
                self.offline.push_back(Queued { req, command });
                Vec::new()
            }
        }
    }

    /// A reply arrived on connection `epoch` for `req`: true when it belongs to this connection
    /// (the runtime then hands it to the machine).
    pub fn on_reply(&mut self, epoch: u64, req: RequestId) -> bool {
        if epoch != self.epoch || self.state != ConnState::Ready {
            return false;
        }
        match self.in_flight.iter().position(|q| q.req == req) {
            Some(i) => {
                self.in_flight.remove(i);
                true
            }
            None => false,
        }
    }

    /// The outcome of connection attempt `epoch`.
    pub fn on_connect_result(&mut self, epoch: u64, accepted: bool) -> Vec<ClientEffect> {
        if epoch != self.epoch || self.state != ConnState::Connecting {
            return Vec::new();
        }
        if !accepted {
            return self.closed();
        }
        self.state = ConnState::Ready;
        self.retry_attempts = 0;
        let mut fx = Vec::new();
        let resend: Vec<Queued> = self.unfulfilled.drain(..).chain(self.offline.drain(..)).collect();
        for q in resend {
            fx.push(ClientEffect::Transmit { epoch: self.epoch, req: q.req, command: q.command.clone() });
            self.in_flight.push_back(q);
        }
        fx
    }

    /// The server closed connection `epoch` (it crashed or restarted).
    pub fn on_closed(&mut self, epoch: u64) -> Vec<ClientEffect> {
        if epoch != self.epoch || self.state != ConnState::Ready {
            return Vec::new();
        }
        // What was written and not answered is written again after the reconnect.
        let lost: Vec<Queued> = self.in_flight.drain(..).collect();
        self.unfulfilled.extend(lost);
        self.closed()
    }

    /// ioredis's `closeHandler`: schedule the next attempt, and past `maxRetriesPerRequest`
    /// attempts reject everything queued.
    fn closed(&mut self) -> Vec<ClientEffect> {
        self.state = ConnState::Reconnecting;
        self.retry_attempts = self.retry_attempts.saturating_add(1);
        let mut fx = vec![ClientEffect::ReconnectAfter(ioredis::reconnect_delay(self.retry_attempts))];
        if self.retry_attempts.is_multiple_of(ioredis::MAX_RETRIES_PER_REQUEST + 1) {
            let error = ioredis::max_retries_error();
            for q in self.unfulfilled.drain(..).chain(self.offline.drain(..)) {
                fx.push(ClientEffect::Fail { req: q.req, error: error.clone() });
            }
        }
        fx
    }

    /// The retry strategy's delay is over: try again.
    pub fn on_reconnect_timer(&mut self) -> Vec<ClientEffect> {
        if self.state != ConnState::Reconnecting {
            return Vec::new();
        }
        self.state = ConnState::Connecting;
        self.epoch = self.epoch.saturating_add(1);
        vec![ClientEffect::Connect { epoch: self.epoch }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(n: u64) -> (RequestId, LockCommand) {
        (RequestId(n), LockCommand::Get { key: "k".into() })
    }

    #[test]
    fn commands_wait_in_the_offline_queue_until_the_connection_is_ready() {
        let (mut c, fx) = Connection::new();
        assert_eq!(fx, vec![ClientEffect::Connect { epoch: 1 }]);
        let (r, cmd) = get(1);
        assert!(c.issue(r, cmd.clone()).is_empty(), "not ready yet: queued, nothing written");
        assert_eq!(c.queued(), 1);
        assert_eq!(c.on_connect_result(1, true), vec![ClientEffect::Transmit { epoch: 1, req: r, command: cmd }]);
        assert!(c.on_reply(1, r));
        assert!(!c.on_reply(1, r), "answered once");
    }

    #[test]
    fn reconnection_waits_min_attempt_times_50_and_2000_ms_and_resends_unanswered_commands() {
        let (mut c, _) = Connection::new();
        c.on_connect_result(1, true);
        let (r, cmd) = get(7);
        c.issue(r, cmd.clone());
        // The server restarts: the unanswered GET is kept for the new connection.
        assert_eq!(c.on_closed(1), vec![ClientEffect::ReconnectAfter(SimDuration(50))]);
        assert_eq!(c.on_reconnect_timer(), vec![ClientEffect::Connect { epoch: 2 }]);
        assert_eq!(c.on_connect_result(2, false), vec![ClientEffect::ReconnectAfter(SimDuration(100))]);
        let delays: Vec<u64> = (3..=45u32).map(|a| ioredis::reconnect_delay(a).0).collect();
        assert_eq!((delays[0], delays[36], delays[37], delays[42]), (150, 1_950, 2_000, 2_000));
        c.on_reconnect_timer();
        assert_eq!(c.on_connect_result(3, true), vec![ClientEffect::Transmit { epoch: 3, req: r, command: cmd }]);
        assert!(!c.on_reply(1, r), "a reply on the dead connection is stale");
        assert!(c.on_reply(3, r));
    }

    #[test]
    fn the_twenty_first_failed_attempt_rejects_the_queue_with_max_retries_per_request() {
        let (mut c, _) = Connection::new();
        let (r, cmd) = get(1);
        c.issue(r, cmd);
        let mut failed = Vec::new();
        for attempt in 1..=21u64 {
            let fx = c.on_connect_result(attempt, false);
            assert_eq!(fx[0], ClientEffect::ReconnectAfter(ioredis::reconnect_delay(attempt as u32)));
            failed.extend(fx.into_iter().skip(1).map(|e| (attempt, e)));
            c.on_reconnect_timer();
        }
        assert_eq!(failed.len(), 1, "{failed:?}");
        assert_eq!(failed[0].0, 21);
        let ClientEffect::Fail { req, error } = &failed[0].1 else { panic!("{failed:?}") };
        assert_eq!(*req, r);
        assert!(error.starts_with("MaxRetriesPerRequestError: Reached the max retries per request limit (which is 20)"));
        assert_eq!(c.queued(), 0);
    }
}
