//! The server around the keyspace: many clients, the path every command takes (Redis's
//! `processCommand`), and what the server writes to each connection.
//!
//! Sans-IO: a front end (the /redis page, a kernel model, the REPL, a test) owns the connections.
//! It calls [`Store::connect`], then [`Store::execute_as`]`(client, now, argv)` for each command a
//! client sends, and gets that client's replies back at once ([`Outcome::Replied`]) or learns that
//! the client is now blocked ([`Outcome::Blocked`]). Everything the server writes to *other*
//! connections meanwhile — pub/sub messages, a woken BLPOP's reply, a killed connection — is
//! queued as [`Output`]s in the order Redis would write them; [`Store::take_outputs`] hands them
//! over. Time only moves when the caller says so: [`Store::next_timeout`] tells when the earliest
//! blocked client times out, and [`Store::advance_clients`]`(now)` delivers every timeout due by
//! then. [`Store::execute`] (in `store.rs`) is the one-client shorthand: a default client, created
//! on first use, whose blocking commands jump the clock to their timeout as DEBUG SLEEP does.
//!
//! What happens to one command (`process_command`, in Redis's order): look it up (containers
//! resolve their subcommand), check arity, refuse it in a subscribed RESP2 connection, queue it
//! inside MULTI (`+QUEUED`), else run it (`call`: select the client's database, run the handler,
//! write its reply); then serve clients whose keys became ready, resume clients that were
//! unblocked (their pipelined commands), and deliver timeouts that are now due.
//!
//! Replies are written frame by frame to the client's stream (`write_frame`). EXEC opens an array
//! of N elements that the next N frames fill, exactly as a RESP reader would group the bytes Redis
//! sends — so a transaction whose SUBSCRIBE writes two frames reproduces Redis's wire output too.
//!
//! One call (`execute_as`, `advance_clients`) is one round of Redis's event loop: what is written
//! during it reaches the sockets when it ends. So a client that CLIENT KILL frees during the round
//! loses what was written to it in that round, as `freeClient` drops an unsent output buffer.
//!
//! Must never do I/O or read a clock; order comes from `BTreeMap`/`IndexMap`/`Vec` only.
//!
//! Architecture invariant: a handler's returned reply is written only if it did not write its own
//! frames or block (`srv.replied`); blocking and pub/sub handlers write through `write_frame`.

use super::blocking::Blocking;
use super::client::{Client, ClientId, OpenArray};
use super::config::Config;
use super::databases::Databases;
use super::multi::Watches;
use super::pubsub::{Kind, PubSub};
use super::reply::Reply;
use super::store::Store;
use super::table::{self, CommandSpec};
use crate::sim::vec_map::VecMap;
use crate::sim::{SimDuration, SimTime};

/// What became of one command for the client that sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The replies written to the client, in order: exactly one for almost every command;
    /// (P|S)SUBSCRIBE and (P|S)UNSUBSCRIBE write one per channel. A command sent while MULTI is
    /// open replies `+QUEUED`.
    Replied(Vec<Reply>),
    /// The client is blocked (BLPOP, BZPOPMIN, WAIT…; or the command arrived while it was): its
    /// reply arrives later as an [`Output`], when data comes, its timeout passes, CLIENT UNBLOCK
    /// frees it. Commands sent meanwhile run, in order, once it is unblocked.
    Blocked,
    /// The server closed the connection after writing these replies (QUIT, CLIENT KILL of
    /// itself), or the client was not connected (no replies).
    Closed(Vec<Reply>),
}

/// Something the server wrote to a connection other than the caller's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    pub client: ClientId,
    pub event: Event,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// One reply frame (a pub/sub message, a served or timed-out blocking command, the reply of
    /// a command that waited behind a blocked one).
    Reply(Reply),
    /// The server closed the connection (CLIENT KILL, QUIT after a blocked command).
    Closed,
}

/// How one command left its client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum After {
    Replied,
    Blocked,
    Closed,
}

/// Counters INFO reports beyond the keyspace's own.
#[derive(Clone, Debug, Default)]
pub(crate) struct Counters {
    pub(crate) total_connections_received: u64,
}

/// Where frames go while a command runs.
#[derive(Clone, Debug, Default)]
struct Outbox {
    /// Frames and closes for every client but the caller, in write order.
    outputs: Vec<Output>,
    /// The client whose `execute_as` is running: its frames are returned directly.
    caller: Option<ClientId>,
    caller_frames: Vec<Reply>,
    caller_closed: bool,
    /// Where this round's outputs start (Redis's event-loop iteration: everything written from
    /// here on reaches the sockets only when the round ends).
    round_start: usize,
    /// Frames captured instead of written (a script's `redis.call`), innermost last.
    captures: Vec<(ClientId, Vec<Reply>)>,
}

/// The id of the first connection: in Redis 7.0 ids 1 and 2 go to internal clients created at
/// startup, so a fresh server's first connection is 3.
pub const FIRST_CLIENT_ID: u64 = 3;

/// `shared.oomerr`: what a deny-oom command gets over `maxmemory`.
pub const OOM_ERROR: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// Server state beyond the active database (see the module header).
#[derive(Clone, Debug)]
pub(crate) struct ServerState {
    pub(crate) dbs: Databases,
    /// Connected clients by id (= connection order, CLIENT LIST's order).
    pub(crate) clients: VecMap<ClientId, Client>,
    next_id: u64,
    /// The client whose command is running (`server.current_client`).
    pub(crate) current: ClientId,
    /// The client [`Store::execute`] speaks for.
    default_client: Option<ClientId>,
    pub(crate) watches: Watches,
    pub(crate) pubsub: PubSub,
    pub(crate) blocking: Blocking,
    pub(crate) config: Config,
    out: Outbox,
    pub(crate) counters: Counters,
    /// Set by a handler that wrote its own frames or blocked: its return value is not written.
    pub(crate) replied: bool,
    /// Reply arrays being filled across all clients (0: `write_frame` takes its fast path).
    open_arrays: usize,
    /// Clients flagged to close after their reply (0: nothing to check after a command).
    pub(crate) closing: usize,
    /// `server.pre_command_oom_state`: memory was still over `maxmemory` after the last command's
    /// evictions. Kept as Redis keeps it: only a command that runs while `maxmemory` is set
    /// updates it. A script's calls read it (`scriptVerifyOOM`), EXEC's commands see EXEC's.
    pub(crate) pre_command_oom: bool,
}

impl Default for ServerState {
    fn default() -> Self {
        ServerState {
            dbs: Databases::default(),
            clients: VecMap::new(),
            next_id: FIRST_CLIENT_ID,
            current: ClientId(0),
            default_client: None,
            watches: Watches::default(),
            pubsub: PubSub::default(),
            blocking: Blocking::default(),
            config: Config::default(),
            out: Outbox::default(),
            counters: Counters::default(),
            replied: false,
            open_arrays: 0,
            closing: 0,
            pre_command_oom: false,
        }
    }
}

/// Why a command could not be found (`commandCheckExistence`), as Redis's error text without the
/// `ERR ` prefix.
fn lookup_error(argv: &[Vec<u8>], container: bool) -> String {
    if container {
        let cmd = String::from_utf8_lossy(super::args::c_str(&argv[0])).to_ascii_uppercase();
        let sub = super::args::c_str(&argv[1]);
        let sub = String::from_utf8_lossy(&sub[..sub.len().min(128)]).into_owned();
        format!("unknown subcommand '{sub}'. Try {cmd} HELP.").replace(['\r', '\n'], " ")
    } else {
        match super::store::unknown_command(argv) {
            Reply::Error(e) => e.strip_prefix("ERR ").unwrap_or(&e).to_string(),
            _ => String::new(),
        }
    }
}

/// `lookupCommand`: a plain command, a container's subcommand (`argv[1]`, case-insensitive), or the
/// bare container when it has no arguments (its arity then fails).
pub fn lookup_command(argv: &[Vec<u8>]) -> Result<&'static CommandSpec, String> {
    let Some(name) = argv.first() else { return Err("empty command".into()) };
    let Some(base) = table::lookup(name) else { return Err(lookup_error(argv, false)) };
    if base.subcommands.is_empty() || argv.len() == 1 {
        return Ok(base);
    }
    let sub = &argv[1];
    base.subcommands
        .iter()
        .find(|s| s.name.split_once('|').is_some_and(|(_, n)| sub.eq_ignore_ascii_case(n.as_bytes())))
        .ok_or_else(|| lookup_error(argv, true))
}

/// Containers are resolved before dispatch; this handler only exists to fill the table row.
pub(crate) fn container_never_called(_s: &mut Store, _a: &mut super::args::Args) -> super::args::CmdResult {
    Err(Reply::error("ERR unknown subcommand"))
}

/// Commands a subscribed RESP2 connection may still send.
fn allowed_when_subscribed(name: &str) -> bool {
    matches!(
        name,
        "ping"
            | "subscribe"
            | "ssubscribe"
            | "unsubscribe"
            | "sunsubscribe"
            | "psubscribe"
            | "punsubscribe"
            | "quit"
            | "reset"
    )
}

/// Commands MULTI runs at once instead of queueing.
fn runs_inside_multi(name: &str) -> bool {
    matches!(name, "exec" | "discard" | "multi" | "watch" | "quit" | "reset")
}

impl Store {
    // ---- connections ------------------------------------------------------------------------

    /// A new connection (Redis's `createClient`), at caller time `now`. Ids count up from
    /// [`FIRST_CLIENT_ID`] and are never reused.
    pub fn connect(&mut self, now: SimTime) -> ClientId {
        self.set_clock(now);
        let id = ClientId(self.srv.next_id);
        self.srv.next_id += 1;
        self.srv.clients.insert(id, Client::new(id, self.now_ms));
        self.srv.counters.total_connections_received = self.srv.counters.total_connections_received.saturating_add(1);
        id
    }

    /// A client on database `db` that may not block: the one a limits probe (`limits.rs`) runs
    /// its scratch command as.
    pub(crate) fn connect_scratch_client(&mut self, db: usize) -> ClientId {
        let id = ClientId(self.srv.next_id);
        self.srv.next_id += 1;
        let mut c = Client::new(id, self.now_ms);
        c.db = db;
        c.flags.deny_blocking = true;
        self.srv.clients.insert(id, c);
        id
    }

    /// The connection closes (the client hung up, or a front end's Ctrl-C in a blocked or
    /// subscribed redis-cli). Its subscriptions, WATCHes, transaction and blocked command go with
    /// it; nothing is written to it any more.
    pub fn disconnect(&mut self, id: ClientId) {
        self.free_client(id);
        self.activate_db(0);
    }

    /// One connected client's state.
    pub fn client(&self, id: ClientId) -> Option<&Client> {
        self.srv.clients.get(&id)
    }

    /// The client [`Store::execute`] speaks for, while it is connected (`None` before the first
    /// command and after QUIT or CLIENT KILL closed it; the next command reconnects).
    pub fn default_client(&self) -> Option<ClientId> {
        self.srv.default_client
    }

    /// Every connected client, in connection order.
    pub fn clients(&self) -> impl Iterator<Item = &Client> {
        self.srv.clients.values()
    }

    /// `freeClient`: unblock (without a reply), unwatch, unsubscribe, forget.
    pub(crate) fn free_client(&mut self, id: ClientId) {
        if !self.srv.clients.contains_key(&id) {
            return;
        }
        if let Some(c) = self.srv.clients.get(&id) {
            self.srv.open_arrays = self.srv.open_arrays.saturating_sub(c.open_arrays.len());
            self.srv.closing = self.srv.closing.saturating_sub(usize::from(c.flags.close_after_reply));
        }
        self.unblock_client(id);
        self.unwatch_all_keys(id);
        self.unsubscribe_all_channels(id, false, Kind::Plain);
        self.unsubscribe_all_channels(id, false, Kind::Shard);
        self.unsubscribe_all_patterns(id, false);
        self.srv.clients.remove(&id);
        self.srv.blocking.unblocked.retain(|&c| c != id);
        if self.srv.default_client == Some(id) {
            self.srv.default_client = None;
        }
    }

    /// Closes a connection from inside the server: the caller's own close is reported by its
    /// [`Outcome`], anyone else's as an [`Event::Closed`]. `flushed` is true for a close after
    /// the reply was written (QUIT, `CLIENT_CLOSE_AFTER_REPLY`); CLIENT KILL frees the client at
    /// once (`freeClient`), and what was written to it in this same round — not yet sent to its
    /// socket, as Redis only writes to sockets before it sleeps — is lost with it.
    pub(crate) fn close_client(&mut self, id: ClientId, flushed: bool) {
        if !self.srv.clients.contains_key(&id) {
            return;
        }
        self.free_client(id);
        let out = &mut self.srv.out;
        if out.caller == Some(id) {
            if !flushed {
                out.caller_frames.clear();
            }
            out.caller_closed = true;
        } else {
            if !flushed {
                let mark = out.round_start;
                let mut i = 0;
                out.outputs.retain(|o| {
                    let keep = i < mark || o.client != id;
                    i += 1;
                    keep
                });
            }
            out.outputs.push(Output { client: id, event: Event::Closed });
        }
    }

    // ---- commands ---------------------------------------------------------------------------

    /// Runs one command sent by `client` at caller time `now` (see the module header). Timeouts
    /// already due at `now` are delivered first, as outputs.
    pub fn execute_as(&mut self, client: ClientId, now: SimTime, argv: &[Vec<u8>]) -> Outcome {
        let after = self.run_for(client, now, argv);
        let frames = std::mem::take(&mut self.srv.out.caller_frames);
        match after {
            After::Replied => Outcome::Replied(frames),
            After::Blocked if frames.is_empty() => Outcome::Blocked,
            After::Blocked => Outcome::Replied(frames),
            After::Closed => Outcome::Closed(frames),
        }
    }

    /// `execute_as` leaving the client's frames in `srv.out.caller_frames` (so the one-client
    /// path can reuse that buffer instead of allocating a reply vector per command).
    fn run_for(&mut self, client: ClientId, now: SimTime, argv: &[Vec<u8>]) -> After {
        self.set_clock(now);
        self.srv.out.caller_frames.clear();
        // Whatever was due before this command arrived happens first (`beforeSleep`); what it
        // writes, even to this client (its blocked command's timeout), goes out as outputs.
        self.settle();
        let Some(c) = self.srv.clients.get_mut(&client) else { return After::Closed };
        self.srv.out.round_start = self.srv.out.outputs.len();
        self.srv.out.caller = Some(client);
        self.srv.out.caller_closed = false;
        if argv.is_empty() {
            // An empty request: Redis reads and ignores it.
        } else if c.blocked.is_some() {
            c.pending.push_back(argv.to_vec());
        } else {
            self.process_command(client, argv);
            self.finish_command(client);
            self.settle();
        }
        let closed = std::mem::take(&mut self.srv.out.caller_closed);
        self.srv.out.caller = None;
        self.activate_db(0);
        if closed {
            After::Closed
        } else if self.srv.blocking.blocked_count() > 0 && self.srv.clients.get(&client).is_some_and(Client::is_blocked)
        {
            After::Blocked
        } else {
            After::Replied
        }
    }

    /// Everything the server wrote since the last call that was not an [`Outcome`]'s reply, in
    /// write order: messages and woken clients' replies for other connections, closes, and what
    /// became due before a command started (a timeout reaching the very client that sends the
    /// command is written before that command runs: deliver outputs first, or call
    /// [`Store::advance_clients`] whenever the clock moves, and the order is always right).
    pub fn take_outputs(&mut self) -> Vec<Output> {
        self.srv.out.round_start = 0;
        std::mem::take(&mut self.srv.out.outputs)
    }

    /// Outputs waiting to be taken.
    pub fn pending_outputs(&self) -> &[Output] {
        &self.srv.out.outputs
    }

    /// When (caller clock) the earliest blocked client times out: Redis times a client out once
    /// the clock is past its deadline, so 1 ms after it. `None` when nobody waits with a timeout.
    pub fn next_timeout(&self) -> Option<SimTime> {
        let deadline = self.srv.blocking.earliest_timeout()?;
        Some(SimTime(deadline.saturating_add(1).saturating_sub(self.clock_offset().as_millis())))
    }

    /// Moves the clients' clock to caller time `now`: blocked clients whose deadline has passed
    /// get their timeout reply (as outputs), and their pipelined commands run. Returns how many
    /// clients timed out.
    pub fn advance_clients(&mut self, now: SimTime) -> usize {
        self.set_clock(now);
        let before = self.srv.blocking.blocked_count();
        self.srv.out.round_start = self.srv.out.outputs.len();
        self.settle();
        self.activate_db(0);
        before.saturating_sub(self.srv.blocking.blocked_count())
    }

    /// The one-client shorthand behind [`Store::execute`]: the default client sends `argv`. A
    /// command that blocks is answered as if nobody else could wake it: the store clock jumps past
    /// its deadline (like DEBUG SLEEP) and the timeout reply comes back; without a deadline
    /// (timeout 0) it would wait forever, so the client is unblocked with an error saying so.
    /// Commands that reply more than once (SUBSCRIBE a b) return their first reply here; use
    /// [`Store::execute_as`] for all of them.
    pub(crate) fn execute_default(&mut self, now: SimTime, argv: &[Vec<u8>]) -> Reply {
        let id = self.default_client_id(now);
        match self.run_for(id, now, argv) {
            After::Replied | After::Closed => {
                let frames = &mut self.srv.out.caller_frames;
                if frames.len() == 1 {
                    frames.pop().unwrap_or(Reply::NilArray)
                } else {
                    frames.drain(..).next().unwrap_or(Reply::NilArray)
                }
            }
            After::Blocked => self.wait_out_default(id, now, argv).into_iter().next().unwrap_or(Reply::NilArray),
        }
    }

    fn default_client_id(&mut self, now: SimTime) -> ClientId {
        // `free_client` forgets the default client, so a remembered id is always connected.
        match self.srv.default_client {
            Some(id) => id,
            None => {
                let id = self.connect(now);
                self.srv.default_client = Some(id);
                id
            }
        }
    }

    /// [`Store::execute`] with every reply the command writes (SUBSCRIBE a b: two): what a
    /// single-connection front end such as `redis-model` prints. An empty `argv` replies
    /// nothing, as Redis ignores an empty request.
    pub fn execute_all(&mut self, now: SimTime, argv: &[Vec<u8>]) -> Vec<Reply> {
        let id = self.default_client_id(now);
        match self.execute_as(id, now, argv) {
            Outcome::Replied(f) | Outcome::Closed(f) => f,
            Outcome::Blocked => self.wait_out_default(id, now, argv),
        }
    }

    fn wait_out_default(&mut self, id: ClientId, now: SimTime, argv: &[Vec<u8>]) -> Vec<Reply> {
        let deadline = self.srv.clients.get(&id).and_then(|c| c.blocked.as_ref()).map(|b| b.timeout);
        let Some(deadline) = deadline else {
            return Vec::new();
        };
        if deadline == 0 {
            self.unblock_client(id);
            self.srv.blocking.unblocked.retain(|&c| c != id);
            let name = String::from_utf8_lossy(&argv[0]).to_ascii_uppercase();
            return vec![Reply::Error(format!(
                "ERR playground: {name} with timeout 0 would block this connection forever and no other client can serve it here; give a timeout"
            ))];
        }
        // Jump the store clock just past the deadline, as a real client would wait.
        let target = deadline.saturating_add(1);
        let store_now = self.store_time(now).as_unix_ms();
        if target > store_now {
            self.clock_offset = self.clock_offset.saturating_add(SimDuration::from_millis(target - store_now));
        }
        self.advance_clients(now);
        let mut mine = Vec::new();
        self.srv.out.outputs.retain(|o| {
            if o.client != id {
                return true;
            }
            if let Event::Reply(r) = &o.event {
                mine.push(r.clone());
            }
            false
        });
        mine
    }

    /// Runs until nothing more is due: ready keys, timeouts past the clock, and the pipelined
    /// commands of clients that were unblocked.
    #[inline]
    fn settle(&mut self) {
        let b = &self.srv.blocking;
        if b.has_ready_keys() || b.timeout_table_len() > 0 || !b.unblocked.is_empty() {
            self.settle_all();
        }
    }

    fn settle_all(&mut self) {
        loop {
            if self.srv.blocking.has_ready_keys() {
                self.handle_clients_blocked_on_keys();
                continue;
            }
            if self.handle_blocked_clients_timeout() > 0 {
                continue;
            }
            if let Some(id) = self.srv.blocking.unblocked.pop_front() {
                self.process_pending(id);
                continue;
            }
            break;
        }
    }

    /// `processUnblockedClients` for one client: its queued commands, until it blocks again.
    fn process_pending(&mut self, id: ClientId) {
        loop {
            let Some(c) = self.srv.clients.get_mut(&id) else {
                return;
            };
            if c.blocked.is_some() {
                return;
            }
            let Some(argv) = c.pending.pop_front() else {
                return;
            };
            self.process_command(id, &argv);
            self.finish_command(id);
            if self.srv.blocking.has_ready_keys() {
                self.handle_clients_blocked_on_keys();
            }
        }
    }

    /// After a client's command: close it if it asked to be closed once answered.
    fn finish_command(&mut self, id: ClientId) {
        if self.srv.closing > 0 && self.srv.clients.get(&id).is_some_and(|c| c.flags.close_after_reply) {
            self.close_client(id, true);
        }
    }

    /// `processCommand` for client `id` (see the module header).
    fn process_command(&mut self, id: ClientId, argv: &[Vec<u8>]) {
        if argv.is_empty() {
            return;
        }
        self.srv.current = id;
        let now = self.now_ms;
        let spec = lookup_command(argv);
        let Some(c) = self.srv.clients.get_mut(&id) else { return };
        c.last_interaction_ms = now;
        c.last_cmd = spec.as_ref().ok().map(|s| s.name);
        let (subscribed, multi, db) = (c.is_subscribed(), c.flags.multi, c.db);
        let spec = match spec {
            Ok(s) => s,
            Err(msg) => return self.reject(id, None, msg),
        };
        let argc = argv.len() as i64;
        let arity = i64::from(spec.arity);
        if (arity > 0 && argc != arity) || argc < -arity {
            return self.reject(id, Some(spec), format!("wrong number of arguments for '{}' command", spec.name));
        }
        if self.maxmemory() != 0 && self.oom_refuses(id, spec, argv, multi) {
            return self.reject_with(id, Some(spec), OOM_ERROR.to_string(), OOM_ERROR.to_string());
        }
        if subscribed && !allowed_when_subscribed(spec.name) {
            return self.reject(
                id,
                Some(spec),
                format!(
                    "Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
                    spec.name
                )
                .replace(['\r', '\n'], " "),
            );
        }
        if multi && !runs_inside_multi(spec.name) {
            self.queue_multi_command(id, spec, argv);
            self.write_frame(id, Reply::Status("QUEUED".into()));
            return;
        }
        self.call_in(db, spec, argv);
        if self.srv.blocking.has_ready_keys() {
            self.handle_clients_blocked_on_keys();
        }
    }

    /// `rejectCommand`: dooms an open transaction; EXEC itself aborts it.
    fn reject(&mut self, id: ClientId, spec: Option<&'static CommandSpec>, msg: String) {
        self.reject_with(id, spec, format!("ERR {msg}"), msg)
    }

    /// [`Store::reject`] with the whole error text (`-OOM …` has no `ERR` prefix) and the text
    /// `execCommandAbort` quotes.
    fn reject_with(&mut self, id: ClientId, spec: Option<&'static CommandSpec>, error: String, abort: String) {
        self.flag_transaction(id);
        if spec.is_some_and(|s| s.name == "exec") {
            self.discard_transaction(id);
            self.write_frame(id, Reply::Error(format!("EXECABORT Transaction discarded because of: {abort}")));
        } else {
            self.write_frame(id, Reply::Error(error));
        }
    }

    /// `processCommand`'s maxmemory step: evict by the policy, then refuse a deny-oom command
    /// (or anything but EXEC/DISCARD/QUIT/RESET queued in MULTI; or an EXEC whose queue holds a
    /// deny-oom command) when memory is still over the limit. A command let through records
    /// whether memory was over (`pre_command_oom_state`).
    fn oom_refuses(&mut self, id: ClientId, spec: &'static CommandSpec, argv: &[Vec<u8>], multi: bool) -> bool {
        let out_of_memory = self.perform_evictions() == crate::redis::evict::EvictResult::Fail;
        let mut reject = self.is_deny_oom(spec, argv);
        if spec.name == "exec" {
            reject |= self.srv.clients.get(&id).is_some_and(|c| c.queued.iter().any(|q| q.deny_oom));
        }
        if multi && !matches!(spec.name, "exec" | "discard" | "quit" | "reset") {
            reject = true;
        }
        let refused = out_of_memory && reject;
        if !refused {
            // Saved for the command's scripts, which must not see the memory their own run uses.
            self.srv.pre_command_oom = out_of_memory;
        }
        refused
    }

    /// `getCommandFlags(c) & CMD_DENYOOM`: the table's flag, except for an EVAL-family command
    /// whose script declares flags (`scriptFlagsToCmdFlags`: deny-oom unless `allow-oom` or
    /// `no-writes`).
    pub(crate) fn is_deny_oom(&self, spec: &CommandSpec, argv: &[Vec<u8>]) -> bool {
        if matches!(spec.name, "eval" | "evalsha" | "eval_ro" | "evalsha_ro") {
            if let Some(flags) = self.scripts.declared_flags(argv) {
                return !flags.allow_oom && !flags.no_writes;
            }
        }
        spec.flags.contains(&crate::redis::table::Flag::DenyOom)
    }

    /// `call`: runs an already checked command for the current client in its database and writes
    /// the reply (unless the handler wrote its own or blocked).
    pub(crate) fn call(&mut self, spec: &'static CommandSpec, argv: &[Vec<u8>]) {
        let Some(db) = self.srv.clients.get(&self.srv.current).map(|c| c.db) else { return };
        self.call_in(db, spec, argv);
    }

    /// [`Store::call`] for a client whose database the caller already knows.
    fn call_in(&mut self, db: usize, spec: &'static CommandSpec, argv: &[Vec<u8>]) {
        let id = self.srv.current;
        self.activate_db(db);
        let saved = std::mem::replace(&mut self.srv.replied, false);
        let reply = self.call_handler(spec, argv);
        let wrote_own = std::mem::replace(&mut self.srv.replied, saved);
        if !wrote_own {
            self.write_frame(id, reply);
        }
    }

    /// Runs an already looked-up, arity-checked command as `client` and returns its reply
    /// instead of writing it, with blocking denied (a blocking command answers as if it timed
    /// out) and marked as a script's (`CLIENT_SCRIPT`): the hook a script runner's `redis.call` uses, after its own checks (unknown command,
    /// arity, [`table::Flag::NoScript`], read-only scripts) with [`lookup_command`]. The client's
    /// selected database is used, and frames the command writes to *other* clients (PUBLISH) are
    /// delivered as usual. Only the first frame is returned.
    pub fn call_captured(&mut self, client: ClientId, spec: &'static CommandSpec, argv: &[Vec<u8>]) -> Reply {
        let id = client;
        let outer = std::mem::replace(&mut self.srv.current, id);
        let saved = self.srv.clients.get(&id).map(|c| (c.flags.deny_blocking, c.flags.script));
        if let Some(c) = self.srv.clients.get_mut(&id) {
            c.flags.deny_blocking = true;
            c.flags.script = true;
        }
        self.srv.out.captures.push((id, Vec::new()));
        self.call(spec, argv);
        let (_, frames) = self.srv.out.captures.pop().unwrap_or((id, Vec::new()));
        if let (Some(c), Some((deny, script))) = (self.srv.clients.get_mut(&id), saved) {
            c.flags.deny_blocking = deny;
            c.flags.script = script;
        }
        self.srv.current = outer;
        frames.into_iter().next().unwrap_or(Reply::Nil)
    }

    // ---- output -----------------------------------------------------------------------------

    /// Writes one reply frame to client `id`'s connection (`addReply`): into the innermost open
    /// array if one is being filled, else onto the wire.
    pub(crate) fn write_frame(&mut self, id: ClientId, reply: Reply) {
        if let Some((cap, frames)) = self.srv.out.captures.last_mut() {
            if *cap == id {
                frames.push(reply);
                return;
            }
        }
        let mut reply = reply;
        if self.srv.out.caller == Some(id) && self.srv.open_arrays == 0 {
            // The common case: the sender's own reply, no EXEC array being filled.
            self.srv.out.caller_frames.push(reply);
            return;
        }
        let Some(c) = self.srv.clients.get_mut(&id) else { return };
        while let Some(top) = c.open_arrays.last_mut() {
            top.items.push(reply);
            top.remaining -= 1;
            if top.remaining > 0 {
                return;
            }
            let done = c.open_arrays.pop().map(|a| a.items).unwrap_or_default();
            self.srv.open_arrays -= 1;
            reply = Reply::Array(done);
        }
        if self.srv.out.caller == Some(id) {
            self.srv.out.caller_frames.push(reply);
        } else {
            self.srv.out.outputs.push(Output { client: id, event: Event::Reply(reply) });
        }
    }

    /// Writes an array header of `len` elements (`addReplyArrayLen` before the elements are
    /// known): the next `len` frames to this client become its elements.
    pub(crate) fn open_array(&mut self, id: ClientId, len: usize) {
        if len == 0 {
            self.write_frame(id, Reply::Array(Vec::new()));
        } else if let Some(c) = self.srv.clients.get_mut(&id) {
            c.open_arrays.push(OpenArray { remaining: len, items: Vec::with_capacity(len) });
            self.srv.open_arrays += 1;
        }
    }

    /// The client running the current command.
    pub(crate) fn current_client(&self) -> Option<&Client> {
        self.srv.clients.get(&self.srv.current)
    }

    pub(crate) fn current_client_mut(&mut self) -> Option<&mut Client> {
        self.srv.clients.get_mut(&self.srv.current)
    }

    /// Flags the current client to be closed once its reply is written (QUIT, CLIENT KILL of
    /// itself).
    pub(crate) fn close_after_reply(&mut self) {
        if let Some(c) = self.srv.clients.get_mut(&self.srv.current) {
            if !c.flags.close_after_reply {
                c.flags.close_after_reply = true;
                self.srv.closing += 1;
            }
        }
    }

    /// Marks the running handler as having written its own replies.
    pub(crate) fn replied_already(&mut self) -> super::args::CmdResult {
        self.srv.replied = true;
        Ok(Reply::Nil)
    }
}

impl Store {
    /// Checks that the server-side indexes agree with every client's own lists: watchers,
    /// subscribers, blocked clients, the timeout table, and that database 0 is active between
    /// calls. For property and fuzz tests; `Err` names the first disagreement.
    pub fn check_indexes(&self) -> Result<(), String> {
        use super::multi::DbKeyRef;
        if self.active_db() != 0 {
            return Err(format!("database {} is active between calls", self.active_db()));
        }
        let mut watch_entries = 0;
        let mut channel_entries = 0;
        let mut pattern_entries = 0;
        let mut shard_entries = 0;
        let mut blocked = 0;
        for c in self.srv.clients.values() {
            for (db, key) in &c.watched {
                let listed =
                    self.srv.watches.keys.get(&DbKeyRef(*db, key)).is_some_and(|l| l.iter().any(|w| w.client == c.id));
                if !listed {
                    return Err(format!("client {} watches {:?} but the index does not say so", c.id, key));
                }
                watch_entries += 1;
            }
            for ch in &c.channels {
                if !self.srv.pubsub.channels.get(ch).is_some_and(|l| l.contains(&c.id)) {
                    return Err(format!("client {} is subscribed to {ch:?} but the index does not say so", c.id));
                }
                channel_entries += 1;
            }
            for ch in &c.shard_channels {
                if !self.srv.pubsub.shard_channels.get(ch).is_some_and(|l| l.contains(&c.id)) {
                    return Err(format!(
                        "client {} is subscribed to shard channel {ch:?} but the index does not say so",
                        c.id
                    ));
                }
                shard_entries += 1;
            }
            for p in &c.patterns {
                if !self.srv.pubsub.patterns.get(p).is_some_and(|l| l.contains(&c.id)) {
                    return Err(format!(
                        "client {} is subscribed to pattern {p:?} but the index does not say so",
                        c.id
                    ));
                }
                pattern_entries += 1;
            }
            if let Some(b) = &c.blocked {
                blocked += 1;
                for k in &b.keys {
                    if !self.srv.blocking.is_waiting(b.db, k, c.id) {
                        return Err(format!("client {} is blocked on {k:?} but the index does not say so", c.id));
                    }
                }
            }
            if !c.open_arrays.is_empty() {
                return Err(format!("client {} has a reply array still open between calls", c.id));
            }
        }
        let count = |m: &super::keyspace::Map<Vec<u8>, Vec<ClientId>>| m.values().map(Vec::len).sum::<usize>();
        if self.srv.watches.keys.values().map(Vec::len).sum::<usize>() != watch_entries
            || count(&self.srv.pubsub.channels) != channel_entries
            || count(&self.srv.pubsub.patterns) != pattern_entries
            || count(&self.srv.pubsub.shard_channels) != shard_entries
        {
            return Err("an index lists a client that does not list it back".into());
        }
        if self.srv.blocking.blocked_count() != blocked {
            return Err(format!("{} blocked clients counted, {blocked} blocked", self.srv.blocking.blocked_count()));
        }
        self.srv.blocking.check(&self.srv.clients)
    }
}

/// Test helper: runs a multi-client script and renders what every client sees.
///
/// One command per line, prefixed by the client's letter (`A: SET k v`); a client connects the
/// first time its letter appears. `@+N` advances the clock by N ms (delivering due timeouts),
/// `A: !close` disconnects A. Each command prints `A: <command> -> <replies>` (or `(blocked)`,
/// `(closed)`), followed by indented `B <- <reply>` lines for what other clients received.
#[cfg(test)]
pub(crate) fn run_clients(script: &str) -> String {
    run_clients_on(&mut Store::new(crate::sim::SimRng::new(1)), script)
}

/// [`run_clients`] on a given store (one with small limits, say).
#[cfg(test)]
pub(crate) fn run_clients_on(store: &mut Store, script: &str) -> String {
    use super::cli::{format_inline, tokenize};
    use std::collections::BTreeMap;
    let mut now = crate::sim::TEST_EPOCH;
    let mut ids: BTreeMap<char, ClientId> = BTreeMap::new();
    let mut out = String::new();
    let name_of =
        |ids: &BTreeMap<char, ClientId>, id: ClientId| ids.iter().find(|(_, &v)| v == id).map_or('?', |(&k, _)| k);
    let render = |ids: &BTreeMap<char, ClientId>, outputs: Vec<Output>, out: &mut String| {
        for o in outputs {
            let who = name_of(ids, o.client);
            match o.event {
                Event::Reply(r) => out.push_str(&format!("  {who} <- {}\n", format_inline(&r))),
                Event::Closed => out.push_str(&format!("  {who} <- (closed)\n")),
            }
        }
    };
    for line in script.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        if let Some(ms) = line.strip_prefix("@+") {
            now += SimDuration::from_millis(ms.parse().expect("test clock step"));
            store.advance_clients(now);
            out.push_str(&format!("{line}\n"));
            let o = store.take_outputs();
            render(&ids, o, &mut out);
            continue;
        }
        let (who, cmd) = line.split_once(": ").expect("A: command");
        let who = who.chars().next().expect("client letter");
        let id = *ids.entry(who).or_insert_with(|| store.connect(now));
        if cmd == "!close" {
            store.disconnect(id);
            out.push_str(&format!("{who}: !close\n"));
            continue;
        }
        let argv = tokenize(cmd).expect("test command tokenizes");
        let shown = match store.execute_as(id, now, &argv) {
            Outcome::Replied(f) => f.iter().map(format_inline).collect::<Vec<_>>().join(" | "),
            Outcome::Blocked => "(blocked)".into(),
            Outcome::Closed(f) => {
                let mut v: Vec<String> = f.iter().map(format_inline).collect();
                v.push("(closed)".into());
                v.join(" | ")
            }
        };
        out.push_str(&format!("{who}: {cmd} -> {shown}\n"));
        let o = store.take_outputs();
        render(&ids, o, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redis::cli;
    use crate::sim::{SimRng, TEST_EPOCH};
    use expect_test::expect;

    #[test]
    fn each_client_has_its_own_connection_state() {
        expect![[r#"
            A: SELECT 1 -> OK
            A: CLIENT SETNAME alice -> OK
            A: MULTI -> OK
            B: SET k in-db-0 -> OK
            B: CLIENT GETNAME -> (nil)
            A: SET k in-db-1 -> QUEUED
            A: EXEC -> [OK]
            B: GET k -> "in-db-0"
            A: GET k -> "in-db-1"
            A: CLIENT GETNAME -> "alice"
        "#]]
        .assert_eq(&run_clients(
            "A: SELECT 1
             A: CLIENT SETNAME alice
             A: MULTI
             B: SET k in-db-0
             B: CLIENT GETNAME
             A: SET k in-db-1
             A: EXEC
             B: GET k
             A: GET k
             A: CLIENT GETNAME",
        ));
    }

    #[test]
    fn commands_sent_while_blocked_run_in_order_once_it_is_served() {
        expect![[r#"
            A: BLPOP q 0 -> (blocked)
            A: SET after 1 -> (blocked)
            A: GET after -> (blocked)
            B: GET after -> (nil)
            B: RPUSH q x -> (integer) 1
              A <- ["q", "x"]
              A <- OK
              A <- "1"
        "#]]
        .assert_eq(&run_clients(
            "A: BLPOP q 0
             A: SET after 1
             A: GET after
             B: GET after
             B: RPUSH q x",
        ));
    }

    #[test]
    fn a_blocked_client_times_out_one_ms_after_its_deadline_on_the_virtual_clock() {
        let mut s = Store::new(SimRng::new(1));
        let t0 = TEST_EPOCH;
        let a = s.connect(t0);
        let argv: Vec<Vec<u8>> = ["BLPOP", "q", "1.5"].iter().map(|w| w.as_bytes().to_vec()).collect();
        assert_eq!(s.execute_as(a, t0, &argv), Outcome::Blocked);
        assert_eq!(s.next_timeout(), Some(t0 + SimDuration::from_millis(1501)));
        assert_eq!(s.advance_clients(t0 + SimDuration::from_millis(1500)), 0);
        assert!(s.take_outputs().is_empty());
        assert_eq!(s.advance_clients(t0 + SimDuration::from_millis(1501)), 1);
        assert_eq!(s.take_outputs(), vec![Output { client: a, event: Event::Reply(Reply::NilArray) }]);
        assert_eq!(s.next_timeout(), None);
        s.check_indexes().unwrap();
    }

    #[test]
    fn the_default_client_waits_out_a_blocking_command_by_jumping_the_clock() {
        let mut s = Store::new(SimRng::new(1));
        let t0 = TEST_EPOCH;
        assert_eq!(s.execute_str(t0, "BLPOP q 2"), Reply::NilArray);
        assert_eq!(s.clock_offset(), SimDuration::from_millis(2001));
        assert_eq!(s.execute_str(t0, "WAIT 1 250"), Reply::Integer(0));
        assert_eq!(s.clock_offset(), SimDuration::from_millis(2252));
        expect!["ERR playground: BRPOP with timeout 0 would block this connection forever and no other client can serve it here; give a timeout"]
            .assert_eq(&cli::format_inline(&s.execute_str(t0, "BRPOP q 0")).replace("(error) ", ""));
        assert_eq!(s.execute_str(t0, "PING"), Reply::Status("PONG".into()), "the client is usable again");
    }

    #[test]
    fn exec_replies_what_a_resp_reader_groups_even_when_a_command_writes_twice() {
        // SUBSCRIBE a b writes two frames: EXEC's two-element array holds both, and PING's
        // reply (a subscribed-style pong by then) follows as a frame of its own, as on the wire.
        expect![[r#"
            A: MULTI -> OK
            A: SUBSCRIBE a b -> QUEUED
            A: PING -> QUEUED
            A: EXEC -> [["subscribe", "a", (integer) 1], ["subscribe", "b", (integer) 2]] | ["pong", ""]
        "#]]
        .assert_eq(&run_clients(
            "A: MULTI
             A: SUBSCRIBE a b
             A: PING
             A: EXEC",
        ));
    }

    #[test]
    fn a_cloned_server_continues_identically() {
        let script = ["A: BLPOP q 0", "B: SUBSCRIBE ch", "C: WATCH k", "C: MULTI", "C: INCR k"];
        let mut s = Store::new(SimRng::new(3));
        let t0 = TEST_EPOCH;
        let ids: Vec<ClientId> = (0..3).map(|_| s.connect(t0)).collect();
        for line in script {
            let (who, cmd) = line.split_once(": ").unwrap();
            let id = ids[(who.as_bytes()[0] - b'A') as usize];
            s.execute_as(id, t0, &cli::tokenize(cmd).unwrap());
        }
        let mut copy = s.clone();
        let run = |s: &mut Store| {
            let mut log = Vec::new();
            for (id, cmd) in [(ids[2], "EXEC"), (ids[0], "PING"), (ids[2], "PUBLISH ch hi"), (ids[2], "RPUSH q v")] {
                log.push(format!("{:?}", s.execute_as(id, t0, &cli::tokenize(cmd).unwrap())));
                log.push(format!("{:?}", s.take_outputs()));
            }
            log
        };
        assert_eq!(run(&mut s), run(&mut copy));
    }

    #[test]
    fn an_empty_request_is_ignored_even_behind_a_blocked_command() {
        let mut s = Store::new(SimRng::new(1));
        let t0 = TEST_EPOCH;
        let a = s.connect(t0);
        assert_eq!(s.execute_as(a, t0, &[]), Outcome::Replied(vec![]));
        s.execute_as(a, t0, &cli::tokenize("BLPOP q 0").unwrap());
        assert_eq!(s.execute_as(a, t0, &[]), Outcome::Blocked);
        let b = s.connect(t0);
        s.execute_as(b, t0, &cli::tokenize("RPUSH q x").unwrap());
        assert_eq!(s.take_outputs().len(), 1, "only BLPOP's reply");
        assert!(lookup_command(&[]).is_err());
    }

    #[test]
    fn killing_a_client_closes_its_connection_and_frees_what_it_held() {
        expect![[r#"
            A: SUBSCRIBE ch -> ["subscribe", "ch", (integer) 1]
            B: BLPOP q 0 -> (blocked)
            C: CLIENT KILL TYPE pubsub -> (integer) 1
              A <- (closed)
            C: CLIENT KILL ID 4 -> (integer) 1
              B <- (closed)
            C: PUBLISH ch x -> (integer) 0
            C: CLIENT KILL ID 5 SKIPME no -> (integer) 1 | (closed)
        "#]]
        .assert_eq(&run_clients(
            "A: SUBSCRIBE ch
             B: BLPOP q 0
             C: CLIENT KILL TYPE pubsub
             C: CLIENT KILL ID 4
             C: PUBLISH ch x
             C: CLIENT KILL ID 5 SKIPME no",
        ));
    }
}
