//! One connection's state (Redis's `client` struct, the part the model needs): id, name, selected
//! database, MULTI queue and flags, WATCHed keys, subscriptions, the blocked command, commands
//! that arrived while it was blocked, and the reply arrays it has open (EXEC).
//!
//! Pure data: the behaviour lives in `server.rs` (dispatch), `multi.rs`, `pubsub.rs` and
//! `blocking.rs`, which keep the server-side indexes (key → watchers, channel → subscribers,
//! key → blocked clients) in step with these per-client lists.

use std::collections::VecDeque;

use super::blocking::Blocked;
use super::keyspace::Set;
use super::reply::Reply;
use super::table::CommandSpec;

/// A connection's id: 3, 4, 5… in connection order, never reused (Redis's `client->id`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientId(pub u64);

impl std::fmt::Display for ClientId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A command queued by MULTI.
#[derive(Clone, Debug)]
pub(crate) struct Queued {
    pub(crate) spec: &'static CommandSpec,
    pub(crate) argv: Vec<Vec<u8>>,
    /// Deny-oom when queued (`mstate.cmd_flags`): a script's flags are read at queue time.
    pub(crate) deny_oom: bool,
}

/// Redis's client flags the model reproduces (`CLIENT_MULTI`, `CLIENT_DIRTY_CAS`, …).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Flags {
    /// Inside MULTI (`x` in CLIENT LIST).
    pub(crate) multi: bool,
    /// A WATCHed key was touched: EXEC will reply a nil array (`d`).
    pub(crate) dirty_cas: bool,
    /// A command was rejected while queueing: EXEC will reply EXECABORT.
    pub(crate) dirty_exec: bool,
    /// Blocking commands answer as if they timed out (set during EXEC and scripts).
    pub(crate) deny_blocking: bool,
    /// The command comes from a script's `redis.call` (Redis's `CLIENT_SCRIPT`, the Lua client).
    pub(crate) script: bool,
    /// QUIT or CLIENT KILL of itself: close once the reply is written (`c`).
    pub(crate) close_after_reply: bool,
    /// CLIENT NO-EVICT ON (`e`).
    pub(crate) no_evict: bool,
}

/// One reply array whose header is already written and whose elements are still arriving (EXEC's
/// reply, filled by the queued commands' replies in order).
#[derive(Clone, Debug)]
pub(crate) struct OpenArray {
    pub(crate) remaining: usize,
    pub(crate) items: Vec<Reply>,
}

#[derive(Clone, Debug)]
pub struct Client {
    pub(crate) id: ClientId,
    pub(crate) name: Option<Vec<u8>>,
    /// The SELECTed database.
    pub(crate) db: usize,
    /// Store-clock ms when it connected (CLIENT LIST `age`).
    pub(crate) created_ms: i64,
    /// Store-clock ms of its last command (CLIENT LIST `idle`).
    pub(crate) last_interaction_ms: i64,
    /// The last command it sent, by full name (`client|list`); `None` for an unknown command or
    /// before the first one (CLIENT LIST `cmd=NULL`).
    pub(crate) last_cmd: Option<&'static str>,
    pub(crate) flags: Flags,
    /// MULTI's queue.
    pub(crate) queued: Vec<Queued>,
    /// (database, key) in WATCH order; the expired-at-WATCH flag lives in the server's index.
    pub(crate) watched: Vec<(usize, Box<[u8]>)>,
    /// Channels, in subscription order (Redis keeps a dict; see `pubsub.rs` on order).
    pub(crate) channels: Set<Vec<u8>>,
    /// Patterns, in subscription order (Redis's list).
    pub(crate) patterns: Vec<Vec<u8>>,
    /// Shard channels (SSUBSCRIBE).
    pub(crate) shard_channels: Set<Vec<u8>>,
    /// The command it is blocked in, if any.
    pub(crate) blocked: Option<Blocked>,
    /// Commands received while blocked, run in order once it is unblocked (pipelining).
    pub(crate) pending: VecDeque<Vec<Vec<u8>>>,
    /// Reply arrays being filled (EXEC), innermost last.
    pub(crate) open_arrays: Vec<OpenArray>,
}

impl Client {
    pub(crate) fn new(id: ClientId, now_ms: i64) -> Client {
        Client {
            id,
            name: None,
            db: 0,
            created_ms: now_ms,
            last_interaction_ms: now_ms,
            last_cmd: None,
            flags: Flags::default(),
            queued: Vec::new(),
            watched: Vec::new(),
            channels: Set::default(),
            patterns: Vec::new(),
            shard_channels: Set::default(),
            blocked: None,
            pending: VecDeque::new(),
            open_arrays: Vec::new(),
        }
    }

    pub fn id(&self) -> ClientId {
        self.id
    }
    /// CLIENT SETNAME's name.
    pub fn name(&self) -> Option<&[u8]> {
        self.name.as_deref()
    }
    /// The SELECTed database.
    pub fn db(&self) -> usize {
        self.db
    }
    /// Inside MULTI (the redis-cli prompt shows `(TX)`).
    pub fn in_multi(&self) -> bool {
        self.flags.multi
    }
    /// Commands queued since MULTI.
    pub fn queued_len(&self) -> usize {
        self.queued.len()
    }
    /// Subscribed to at least one channel, pattern or shard channel (`CLIENT_PUBSUB`): a RESP2
    /// connection then accepts only (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT and RESET.
    pub fn is_subscribed(&self) -> bool {
        self.subscription_count() + self.shard_channels.len() > 0
    }
    /// Channels plus patterns (the count SUBSCRIBE's replies carry).
    pub fn subscription_count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }
    pub fn channels(&self) -> impl Iterator<Item = &[u8]> {
        self.channels.iter().map(Vec::as_slice)
    }
    pub fn patterns(&self) -> impl Iterator<Item = &[u8]> {
        self.patterns.iter().map(Vec::as_slice)
    }
    /// Blocked in BLPOP, BZPOPMIN, WAIT…
    pub fn is_blocked(&self) -> bool {
        self.blocked.is_some()
    }
    /// The blocked command, for pictures (keys, deadline).
    pub fn blocked(&self) -> Option<&Blocked> {
        self.blocked.as_ref()
    }
    /// Keys it WATCHes, as (database, key).
    pub fn watched(&self) -> impl Iterator<Item = (usize, &[u8])> {
        self.watched.iter().map(|(d, k)| (*d, &**k))
    }
    /// A WATCHed key was touched: EXEC will fail.
    pub fn is_dirty(&self) -> bool {
        self.flags.dirty_cas
    }
    /// Blocking commands do not block (inside EXEC; a script runner sets it too).
    pub fn denies_blocking(&self) -> bool {
        self.flags.deny_blocking
    }
    /// The command being run comes from a script (`CLIENT_SCRIPT`).
    pub fn in_script(&self) -> bool {
        self.flags.script
    }
}
