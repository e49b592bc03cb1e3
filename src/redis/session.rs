//! What a redis-cli session in the page keeps between commands — its history and its scrollback —
//! bounded by count *and* bytes, with work per command proportional to that command's own text
//! (issue 11: after one 2 MB line every later command took 330–450 ms, because the whole history
//! and transcript were copied, re-rendered and re-saved each time).
//!
//! Entries are shared (`Rc`), so copying a log for a new page state copies pointers, never text;
//! pushing trims the oldest entries until both bounds hold.
//!
//! It also holds the page's redis-cli clients ([`RedisCli`], [`CliDesk`]; see their section).
//! Pure: no clock (time comes in as arguments), no web types.

use std::collections::VecDeque;
use std::rc::Rc;

use super::cli::format_human;
use super::client::ClientId;
use super::reply::Reply;
use super::server::{Event, Outcome};
use super::store::Store;
use crate::sim::SimTime;

/// Something a [`BoundedLog`] can weigh.
pub trait Weighed {
    /// The bytes this entry holds.
    fn weight(&self) -> usize;
}

impl Weighed for str {
    fn weight(&self) -> usize {
        self.len()
    }
}

/// A queue of shared entries, oldest first, holding at most `max_items` entries and
/// `max_bytes` bytes.
#[derive(Debug)]
pub struct BoundedLog<T: ?Sized> {
    items: VecDeque<Rc<T>>,
    bytes: usize,
    max_items: usize,
    max_bytes: usize,
}

impl<T: ?Sized> Clone for BoundedLog<T> {
    fn clone(&self) -> Self {
        BoundedLog {
            items: self.items.clone(),
            bytes: self.bytes,
            max_items: self.max_items,
            max_bytes: self.max_bytes,
        }
    }
}

impl<T: ?Sized> PartialEq for BoundedLog<T> {
    /// Entries compare by identity: two logs are equal when they share the same entries.
    fn eq(&self, other: &Self) -> bool {
        self.items.len() == other.items.len() && self.items.iter().zip(&other.items).all(|(a, b)| Rc::ptr_eq(a, b))
    }
}

impl<T: Weighed + ?Sized> BoundedLog<T> {
    pub fn new(max_items: usize, max_bytes: usize) -> Self {
        BoundedLog { items: VecDeque::new(), bytes: 0, max_items, max_bytes }
    }

    /// Appends `item` and drops the oldest entries until both bounds hold. An entry heavier than
    /// `max_bytes` on its own is not kept (returns false).
    pub fn push(&mut self, item: Rc<T>) -> bool {
        let w = item.weight();
        if w > self.max_bytes || self.max_items == 0 {
            return false;
        }
        self.bytes += w;
        self.items.push_back(item);
        while self.items.len() > self.max_items || self.bytes > self.max_bytes {
            if let Some(old) = self.items.pop_front() {
                self.bytes -= old.weight();
            }
        }
        true
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    /// Bytes held (the sum of the entries' weights).
    pub fn bytes(&self) -> usize {
        self.bytes
    }
    pub fn get(&self, i: usize) -> Option<&Rc<T>> {
        self.items.get(i)
    }
    pub fn last(&self) -> Option<&Rc<T>> {
        self.items.back()
    }
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Rc<T>> + ExactSizeIterator {
        self.items.iter()
    }
    pub fn clear(&mut self) {
        self.items.clear();
        self.bytes = 0;
    }
}

/// Lines of CLI history kept (and saved).
pub const HISTORY_MAX_LINES: usize = 200;
/// Bytes of CLI history kept (and saved in localStorage).
pub const HISTORY_MAX_BYTES: usize = 128 << 10;
/// A line longer than this is run but not remembered (redis-cli keeps every line; a browser tab
/// saving megabytes of history to localStorage on every command does not).
pub const HISTORY_LINE_MAX_BYTES: usize = 16 << 10;

/// The command history: ↑/↓ recall, redis-cli's rule that a line equal to the previous one is not
/// added again, bounded by lines and bytes.
pub type History = BoundedLog<str>;

pub fn new_history() -> History {
    History::new(HISTORY_MAX_LINES, HISTORY_MAX_BYTES)
}

/// Remembers `line` unless it repeats the newest entry or is longer than
/// [`HISTORY_LINE_MAX_BYTES`]. Returns whether it was kept.
pub fn remember(history: &mut History, line: &str) -> bool {
    if line.len() > HISTORY_LINE_MAX_BYTES {
        return false;
    }
    if history.last().is_some_and(|l| &**l == line) {
        return true;
    }
    history.push(Rc::from(line))
}

/// A history from saved lines (oldest first), applying the same bounds as typing them would.
pub fn history_from(lines: impl IntoIterator<Item = String>) -> History {
    let mut h = new_history();
    for l in lines {
        remember(&mut h, &l);
    }
    h
}

/// Text cut to at most `max` bytes at a character boundary, and how many bytes were left out.
pub fn clip(text: &str, max: usize) -> (&str, usize) {
    if text.len() <= max {
        return (text, 0);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (&text[..end], text.len() - end)
}

/// Bytes of a command line shown in the scrollback.
pub const SHOWN_COMMAND_BYTES: usize = 1 << 10;
/// Bytes of one reply shown in the scrollback.
pub const SHOWN_OUTPUT_BYTES: usize = 64 << 10;
/// Entries the scrollback keeps.
pub const SCROLLBACK_MAX_ENTRIES: usize = 300;
/// Bytes the scrollback keeps (older entries scroll away for good, as in a terminal).
pub const SCROLLBACK_MAX_BYTES: usize = 512 << 10;

/// A number of bytes as people read it: `980 bytes`, `12.5 KB`, `2.0 MB`.
pub fn human_bytes(n: usize) -> String {
    if n < 1024 {
        format!("{n} bytes")
    } else if n < 1024 * 1024 {
        format!("{:.1} KB", n as f64 / 1024.0)
    } else {
        format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
    }
}

// ---- redis-cli clients ---------------------------------------------------------------------------
//
// Several redis-cli's against one multi-client server (the /redis page's tabs), each following
// redis-cli 7.0.15 (`src/redis-cli.c`): its prompt (`cliRefreshPrompt`: `[n]` for a selected
// database, `(TX)` inside MULTI, both tracked on the client side from the replies, as redis-cli
// tracks them), its pub/sub mode (`Reading messages... (press Ctrl-C to quit)` and every reply
// printed as it arrives), a blocked command's wait and the `(%.2fs)` it prints after a command
// that took 500 ms or more, and its Ctrl-C (`sigIntHandler`): in pub/sub mode the connection is
// closed and a new one opened (`cliConnect(CC_FORCE)`, which forgets `[n]` and `(TX)` and then
// selects the database typed last); anywhere else redis-cli exits, and the page starts a new one.

/// The host part of redis-cli's prompt.
pub const PROMPT_HOST: &str = "127.0.0.1:6379";
/// redis-cli's prompt without a connection.
pub const NOT_CONNECTED_PROMPT: &str = "not connected> ";
/// What redis-cli prints when it enters pub/sub mode.
pub const READING_MESSAGES: &str = "Reading messages... (press Ctrl-C to quit)";
/// What redis-cli prints when the server closed the connection under it (`cliPrintContextError`).
pub const SERVER_CLOSED: &str = "Error: Server closed the connection";
/// redis-cli prints how long a command took once it took this long (`repl`).
pub const SHOW_ELAPSED_MS: u64 = 500;
/// Most redis-cli tabs the page keeps open.
pub const MAX_CLIS: usize = 8;

/// Where a transcript entry came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Typed at this redis-cli's prompt, or printed by it.
    Cli,
    /// A command the key browser ran on the user's behalf (shown so the user learns it).
    Browser,
    /// A note from the page, not redis-cli's own output (a redis-cli that exited and restarted).
    Page,
}

/// One command and what it printed, or output that arrived on its own (a pub/sub message, a woken
/// BLPOP's reply: `prompt` and `command` empty). A long command line or reply is cut (the rest is
/// counted, not kept), so an entry is bounded by [`SHOWN_COMMAND_BYTES`] and [`SHOWN_OUTPUT_BYTES`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TranscriptEntry {
    pub id: u64,
    /// The prompt the command was typed at (`127.0.0.1:6379[2](TX)> `).
    pub prompt: String,
    pub command: String,
    /// Bytes of the command line not shown.
    pub command_hidden: usize,
    pub output: String,
    /// Bytes of the output not shown.
    pub output_hidden: usize,
    pub is_error: bool,
    pub origin: Origin,
    /// The line was run but is too long to be kept in the history.
    pub not_remembered: bool,
}

impl Weighed for TranscriptEntry {
    fn weight(&self) -> usize {
        self.prompt.len() + self.command.len() + self.output.len()
    }
}

/// A scrollback: bounded by entries and bytes.
pub type Transcript = BoundedLog<TranscriptEntry>;

pub fn new_transcript() -> Transcript {
    Transcript::new(SCROLLBACK_MAX_ENTRIES, SCROLLBACK_MAX_BYTES)
}

const GENERAL_HELP: &str = "redis-cli in the page (a model of Redis 7.0)\n\
To get help about Redis commands type:\n      \
\"help @<group>\" to get a list of commands in <group>\n      \
\"help <command>\" for help on <command>\n      \
Tab completes command names, Up/Down recall history, \"clear\" clears this screen,\n      \
Ctrl-C stops a blocked or subscribed client\n\n\
Groups: @string @generic @list @set @hash @sorted-set @server @connection\n";

/// What `HELP ...` prints; `None` when redis-cli prints nothing (an unknown topic).
pub fn help_output(topic: &[Vec<u8>]) -> Option<String> {
    use super::table;
    let Some(first) = topic.first() else {
        return Some(GENERAL_HELP.to_string());
    };
    let first = String::from_utf8_lossy(first).to_ascii_lowercase();
    if let Some(group) = first.strip_prefix('@') {
        let out: String = table::installed()
            .commands
            .iter()
            .filter(|c| c.group.name() == group)
            .filter_map(|c| table::help_text(c.name))
            .collect();
        return (!out.is_empty()).then_some(out);
    }
    table::help_text(&first)
}

/// redis-cli's connection (`context`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    Connected(ClientId),
    /// The server closed it while redis-cli sat at its prompt: redis-cli finds out at the next
    /// command, which fails with [`SERVER_CLOSED`].
    ClosedByServer(ClientId),
    /// No connection (`not connected> `): the next command connects first.
    None,
}

/// What redis-cli is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CliMode {
    /// At its prompt.
    Prompt,
    /// Waiting for a blocked command's reply (BLPOP, WAIT…), since then.
    Waiting { since: SimTime },
    /// In pub/sub mode, printing every reply as it arrives, since then.
    Reading { since: SimTime },
}

/// C's `atoi`, which redis-cli applies to SELECT's argument: leading spaces, a sign, digits, and
/// anything after ignored (`SELECT 3x` replies an error, so it never reaches the prompt).
fn atoi(b: &[u8]) -> i64 {
    let mut i = 0;
    while i < b.len() && super::cli::is_space(b[i]) {
        i += 1;
    }
    let neg = b.get(i) == Some(&b'-');
    if matches!(b.get(i), Some(b'-' | b'+')) {
        i += 1;
    }
    let mut n: i64 = 0;
    while let Some(d) = b.get(i).filter(|c| c.is_ascii_digit()) {
        n = n.saturating_mul(10).saturating_add(i64::from(d - b'0'));
        i += 1;
    }
    let n = if neg { -n } else { n };
    n.clamp(i64::from(i32::MIN), i64::from(i32::MAX))
}

fn argv_is(argv: &[Vec<u8>], name: &str) -> bool {
    argv.first().is_some_and(|a| a.eq_ignore_ascii_case(name.as_bytes()))
}

/// One redis-cli: its connection, the prompt state it keeps from the replies it read, what it is
/// doing, its scrollback and its own history.
#[derive(Clone, Debug, PartialEq)]
pub struct RedisCli {
    link: Link,
    /// `config.dbnum`: the database the prompt shows.
    dbnum: i64,
    /// `config.conn_info.input_dbnum`: the database a new connection selects.
    input_dbnum: i64,
    in_multi: bool,
    pre_multi_dbnum: i64,
    mode: CliMode,
    pub transcript: Rc<Transcript>,
    pub history: Rc<History>,
    next_id: u64,
}

impl RedisCli {
    /// A redis-cli started now: it connects at once, as redis-cli does before its first prompt.
    pub fn start(store: &mut Store, now: SimTime, history: History) -> RedisCli {
        RedisCli {
            link: Link::Connected(store.connect(now)),
            dbnum: 0,
            input_dbnum: 0,
            in_multi: false,
            pre_multi_dbnum: 0,
            mode: CliMode::Prompt,
            transcript: Rc::new(new_transcript()),
            history: Rc::new(history),
            next_id: 0,
        }
    }

    /// The prompt redis-cli shows now (`cliRefreshPrompt`), with its trailing space.
    pub fn prompt(&self) -> String {
        if self.link == Link::None {
            return NOT_CONNECTED_PROMPT.to_string();
        }
        let mut p = PROMPT_HOST.to_string();
        if self.dbnum != 0 {
            p.push_str(&format!("[{}]", self.dbnum));
        }
        if self.in_multi {
            p.push_str("(TX)");
        }
        p.push_str("> ");
        p
    }

    pub fn mode(&self) -> CliMode {
        self.mode
    }

    pub fn link(&self) -> Link {
        self.link
    }

    /// The server-side client this redis-cli is connected as, if any.
    pub fn client(&self) -> Option<ClientId> {
        match self.link {
            Link::Connected(id) => Some(id),
            _ => None,
        }
    }

    /// Waiting for a reply or reading messages: what it types is kept, not run.
    pub fn is_busy(&self) -> bool {
        self.mode != CliMode::Prompt
    }

    fn push(&mut self, prompt: &str, command: &str, output: &str, is_error: bool, origin: Origin, remembered: bool) {
        let (command_shown, command_hidden) = clip(command, SHOWN_COMMAND_BYTES);
        let (output_shown, output_hidden) = clip(output, SHOWN_OUTPUT_BYTES);
        let entry = TranscriptEntry {
            id: self.next_id,
            prompt: prompt.to_string(),
            command: command_shown.to_string(),
            command_hidden,
            output: output_shown.to_string(),
            output_hidden,
            is_error,
            origin,
            not_remembered: !remembered,
        };
        self.next_id += 1;
        Rc::make_mut(&mut self.transcript).push(Rc::new(entry));
    }

    /// Output that arrived on its own (no prompt, no command).
    fn print(&mut self, output: &str, is_error: bool, origin: Origin) {
        self.push("", "", output, is_error, origin, true);
    }

    /// A note from the page (not redis-cli's output).
    pub fn note(&mut self, text: &str) {
        self.print(text, false, Origin::Page);
    }

    /// `line` answered by the page with `error` (an `ERR …` text) instead of being run: the page
    /// could not get what it needs to run it (its Lua interpreter did not load).
    pub fn refuse(&mut self, line: &str, error: &str) {
        let prompt = self.prompt();
        self.push(&prompt, line, &format_human(&Reply::Error(error.to_string())), true, Origin::Cli, false);
    }

    /// A key browser command shown in this transcript, with what it replied.
    pub fn show_browser_command(&mut self, command: &str, reply: &Reply) {
        self.push("", command, &format_human(reply), reply.is_error(), Origin::Browser, true);
    }

    fn elapsed(since: SimTime, now: SimTime) -> Option<String> {
        let ms = now.saturating_since(since).as_millis();
        (ms >= SHOW_ELAPSED_MS).then(|| format!("({:.2}s)\n", ms as f64 / 1000.0))
    }

    /// What redis-cli does after it read the reply of a command it sent (`cliSendCommand`'s
    /// prompt bookkeeping; `last` is the type of the last reply read).
    fn after_reply(&mut self, argv: &[Vec<u8>], last: &Reply) {
        let error = last.is_error();
        let one = argv.len() == 1;
        if argv_is(argv, "select") && argv.len() == 2 && !error {
            self.dbnum = atoi(&argv[1]);
            self.input_dbnum = self.dbnum;
        } else if argv_is(argv, "multi") && one && !error {
            self.in_multi = true;
            self.pre_multi_dbnum = self.dbnum;
        } else if argv_is(argv, "exec") && one && self.in_multi {
            self.in_multi = false;
            if error || matches!(last, Reply::Nil | Reply::NilArray) {
                self.dbnum = self.pre_multi_dbnum;
                self.input_dbnum = self.dbnum;
            }
        } else if argv_is(argv, "discard") && one && !error {
            self.in_multi = false;
            self.dbnum = self.pre_multi_dbnum;
            self.input_dbnum = self.dbnum;
        } else if argv_is(argv, "reset") && one && !error {
            self.in_multi = false;
            self.dbnum = 0;
            self.input_dbnum = 0;
        }
    }

    /// `cliConnect` on a new connection: `forced` is `CC_FORCE` with a live context (which forgets
    /// the prompt's `[n]` and `(TX)`); then `cliSelect` selects the database typed last.
    fn reconnect(&mut self, store: &mut Store, now: SimTime, forced: bool) {
        if let Link::Connected(id) | Link::ClosedByServer(id) = self.link {
            store.disconnect(id);
        }
        if forced {
            self.dbnum = 0;
            self.in_multi = false;
        }
        let id = store.connect(now);
        self.link = Link::Connected(id);
        if self.input_dbnum != self.dbnum {
            let argv = vec![b"SELECT".to_vec(), self.input_dbnum.to_string().into_bytes()];
            match store.execute_as(id, now, &argv) {
                Outcome::Replied(r) if r.first().is_some_and(|r| !r.is_error()) => self.dbnum = self.input_dbnum,
                Outcome::Replied(r) => {
                    let why = r.first().map(format_human).unwrap_or_default();
                    let why = why.trim_end().trim_start_matches("(error) ");
                    self.print(&format!("SELECT {} failed: {why}\n", self.input_dbnum), true, Origin::Cli);
                }
                Outcome::Blocked | Outcome::Closed(_) => {}
            }
        }
    }

    /// redis-cli exits (QUIT, EXIT, Ctrl-C outside pub/sub mode, a lost connection in pub/sub
    /// mode) and the page starts a new one in the same tab: a new connection on database 0, the
    /// scrollback and history kept (redis-cli keeps its history in a file).
    fn exit_and_restart(&mut self, store: &mut Store, now: SimTime, why: &str) {
        if let Link::Connected(id) | Link::ClosedByServer(id) = self.link {
            store.disconnect(id);
        }
        let id = store.connect(now);
        self.link = Link::Connected(id);
        self.dbnum = 0;
        self.input_dbnum = 0;
        self.in_multi = false;
        self.pre_multi_dbnum = 0;
        self.mode = CliMode::Prompt;
        self.note(&format!("{why}; a new redis-cli started on a new connection (client id {id}).\n"));
    }

    /// A line typed at the prompt and Enter: what redis-cli's `repl` does with it. Returns false
    /// when nothing ran (an empty line, or redis-cli is busy: the caller keeps the line).
    pub fn enter(&mut self, store: &mut Store, now: SimTime, line: &str, saved: &mut History) -> bool {
        if self.is_busy() || line.trim().is_empty() {
            return false;
        }
        let prompt = self.prompt();
        let argv = match super::cli::tokenize(line) {
            Ok(a) => a,
            Err(e) => {
                let remembered = remember(Rc::make_mut(&mut self.history), line);
                remember(saved, line);
                self.push(&prompt, line, &format!("{e}\n"), true, Origin::Cli, remembered);
                return true;
            }
        };
        if argv.is_empty() {
            return false;
        }
        let remembered = remember(Rc::make_mut(&mut self.history), line);
        remember(saved, line);
        if argv_is(&argv, "quit") || argv_is(&argv, "exit") {
            self.push(&prompt, line, "", false, Origin::Cli, remembered);
            self.exit_and_restart(store, now, "redis-cli exited");
            return true;
        }
        if argv_is(&argv, "clear") && argv.len() == 1 {
            Rc::make_mut(&mut self.transcript).clear();
            return true;
        }
        if argv_is(&argv, "help") || argv_is(&argv, "?") {
            let out = help_output(&argv[1..]).unwrap_or_default();
            self.push(&prompt, line, &out, false, Origin::Cli, remembered);
            return true;
        }
        let pubsub = argv_is(&argv, "subscribe") || argv_is(&argv, "psubscribe") || argv_is(&argv, "ssubscribe");
        let id = match self.link {
            Link::Connected(id) => id,
            Link::ClosedByServer(_) => {
                // The write goes out, the read finds the connection closed.
                let mut out = String::new();
                if pubsub {
                    out.push_str(READING_MESSAGES);
                    out.push('\n');
                }
                out.push_str(SERVER_CLOSED);
                out.push('\n');
                self.push(&prompt, line, &out, true, Origin::Cli, remembered);
                if pubsub {
                    self.exit_and_restart(store, now, "redis-cli exited (the connection was lost in pub/sub mode)");
                } else {
                    self.link = Link::None;
                }
                return true;
            }
            Link::None => {
                self.reconnect(store, now, false);
                match self.link {
                    Link::Connected(id) => id,
                    _ => return true,
                }
            }
        };
        let outcome = store.execute_as(id, now, &argv);
        let mut out = String::new();
        if pubsub {
            out.push_str(READING_MESSAGES);
            out.push('\n');
        }
        let (frames, closed, blocked) = match outcome {
            Outcome::Replied(f) => (f, false, false),
            Outcome::Blocked => (Vec::new(), false, true),
            Outcome::Closed(f) => (f, true, false),
        };
        for f in &frames {
            out.push_str(&super::cli::format_for(&argv, f));
        }
        let is_error = frames.iter().any(Reply::is_error);
        if closed {
            self.link = Link::ClosedByServer(id);
        }
        if pubsub && !frames.last().is_some_and(Reply::is_error) && !closed {
            self.mode = CliMode::Reading { since: now };
        } else if blocked {
            self.mode = CliMode::Waiting { since: now };
        } else if let Some(last) = frames.last() {
            self.after_reply(&argv, last);
        }
        self.push(&prompt, line, &out, is_error, Origin::Cli, remembered);
        true
    }

    /// Something the server wrote to this redis-cli's connection on its own: a pub/sub message,
    /// a blocked command's reply, or the close of the connection. Returns whether it printed.
    pub fn receive(&mut self, store: &mut Store, now: SimTime, event: &Event, sent: &[Vec<u8>]) -> bool {
        match (self.mode, event) {
            (CliMode::Reading { .. }, Event::Reply(r)) => {
                self.print(&format_human(r), r.is_error(), Origin::Cli);
                if r.is_error() {
                    self.mode = CliMode::Prompt;
                }
            }
            (CliMode::Waiting { since }, Event::Reply(r)) => {
                let mut out = format_human(r);
                out.push_str(&Self::elapsed(since, now).unwrap_or_default());
                self.mode = CliMode::Prompt;
                self.after_reply(sent, r);
                self.print(&out, r.is_error(), Origin::Cli);
            }
            (CliMode::Prompt, Event::Reply(r)) => self.print(&format_human(r), r.is_error(), Origin::Cli),
            (CliMode::Reading { .. }, Event::Closed) => {
                self.print(&format!("{SERVER_CLOSED}\n"), true, Origin::Cli);
                self.link = Link::None;
                self.exit_and_restart(store, now, "redis-cli exited (the connection was lost in pub/sub mode)");
            }
            (CliMode::Waiting { .. }, Event::Closed) => {
                self.print(&format!("{SERVER_CLOSED}\n"), true, Origin::Cli);
                self.link = Link::None;
                self.mode = CliMode::Prompt;
            }
            (CliMode::Prompt, Event::Closed) => {
                if let Link::Connected(id) = self.link {
                    self.link = Link::ClosedByServer(id);
                }
                return false;
            }
        }
        true
    }

    /// Ctrl-C at this redis-cli's prompt. In pub/sub mode redis-cli closes the connection and
    /// opens a new one (the server drops its subscriptions with the old one), then prints how long
    /// the command ran; while it waits for a blocked command's reply it exits (the server drops
    /// the blocked command with the connection). At an idle prompt it returns false and does
    /// nothing: the page leaves Ctrl-C to the browser there (copy).
    pub fn interrupt(&mut self, store: &mut Store, now: SimTime) -> bool {
        match self.mode {
            CliMode::Prompt => false,
            CliMode::Reading { since } => {
                self.mode = CliMode::Prompt;
                self.reconnect(store, now, true);
                let mut out = "^C\n".to_string();
                out.push_str(&Self::elapsed(since, now).unwrap_or_default());
                self.print(&out, false, Origin::Cli);
                true
            }
            CliMode::Waiting { .. } => {
                self.print("^C\n", false, Origin::Cli);
                self.exit_and_restart(store, now, "redis-cli exited on Ctrl-C while it waited for a reply");
                true
            }
        }
    }

    /// The connection goes away with the tab.
    pub fn close(&mut self, store: &mut Store) {
        if let Link::Connected(id) | Link::ClosedByServer(id) = self.link {
            store.disconnect(id);
        }
        self.link = Link::None;
    }
}

/// One redis-cli tab.
#[derive(Clone, Debug, PartialEq)]
pub struct CliTab {
    /// "client 1", "client 2"…: the lowest number free when the tab opened.
    pub number: u32,
    pub cli: RedisCli,
    /// Outputs printed while the tab was not selected (a message, a wake-up).
    pub unread: u32,
    /// The command a blocked redis-cli waits on (its prompt bookkeeping needs it).
    waiting_on: Rc<Vec<Vec<u8>>>,
}

/// Several redis-cli's against one server, one selected: they share the saved history (redis-cli
/// keeps one history file) and every output the server writes is routed to its tab.
#[derive(Clone, Debug, PartialEq)]
pub struct CliDesk {
    pub tabs: Vec<CliTab>,
    pub selected: usize,
    /// The key browser's own connection, on the database it shows.
    browser: Option<(ClientId, usize)>,
}

impl CliDesk {
    /// One redis-cli, its history read from the saved one.
    pub fn new(store: &mut Store, now: SimTime, history: History) -> CliDesk {
        let cli = RedisCli::start(store, now, history);
        CliDesk {
            tabs: vec![CliTab { number: 1, cli, unread: 0, waiting_on: Rc::default() }],
            selected: 0,
            browser: None,
        }
    }

    pub fn current(&self) -> &CliTab {
        &self.tabs[self.selected.min(self.tabs.len() - 1)]
    }

    /// Opens a new redis-cli (selected), its history read from the saved one. Refused, with a
    /// message, past [`MAX_CLIS`].
    pub fn open(&mut self, store: &mut Store, now: SimTime, saved: &History) -> Result<(), String> {
        if self.tabs.len() >= MAX_CLIS {
            return Err(format!(
                "At most {MAX_CLIS} redis-cli clients are open at once here; close one (×) to open another."
            ));
        }
        let number = (1..).find(|n| self.tabs.iter().all(|t| t.number != *n)).unwrap_or(1);
        let cli = RedisCli::start(store, now, saved.clone());
        let at = self.tabs.iter().position(|t| t.number > number).unwrap_or(self.tabs.len());
        self.tabs.insert(at, CliTab { number, cli, unread: 0, waiting_on: Rc::default() });
        self.selected = at;
        Ok(())
    }

    /// Closes tab `i` and its connection (what it subscribed, watched or waited on goes with it);
    /// the last tab stays.
    pub fn close(&mut self, store: &mut Store, now: SimTime, i: usize) {
        if self.tabs.len() <= 1 || i >= self.tabs.len() {
            return;
        }
        let mut tab = self.tabs.remove(i);
        tab.cli.close(store);
        if self.selected > i || self.selected >= self.tabs.len() {
            self.selected = self.selected.saturating_sub(1);
        }
        self.tabs[self.selected].unread = 0;
        self.route(store, now);
    }

    pub fn select(&mut self, i: usize) {
        if i < self.tabs.len() {
            self.selected = i;
            self.tabs[i].unread = 0;
        }
    }

    /// The selected tab's line. Returns whether it ran.
    pub fn enter(&mut self, store: &mut Store, now: SimTime, line: &str, saved: &mut History) -> bool {
        let i = self.selected;
        let tab = &mut self.tabs[i];
        let ran = tab.cli.enter(store, now, line, saved);
        if ran && tab.cli.mode() != CliMode::Prompt {
            tab.waiting_on = Rc::new(super::cli::tokenize(line).unwrap_or_default());
        }
        self.route(store, now);
        ran
    }

    /// The selected tab's `line` answered with `error` without running ([`RedisCli::refuse`]).
    pub fn refuse(&mut self, line: &str, error: &str) {
        let i = self.selected;
        self.tabs[i].cli.refuse(line, error);
    }

    /// Ctrl-C in tab `i`.
    pub fn interrupt(&mut self, store: &mut Store, now: SimTime, i: usize) -> bool {
        let Some(tab) = self.tabs.get_mut(i) else { return false };
        let done = tab.cli.interrupt(store, now);
        self.route(store, now);
        done
    }

    /// The clock moved: blocked clients whose timeout passed get their reply.
    pub fn advance(&mut self, store: &mut Store, now: SimTime) {
        store.advance_clients(now);
        self.route(store, now);
    }

    /// The database the selected redis-cli's connection is on (what the key browser shows).
    pub fn selected_db(&self, store: &Store) -> usize {
        self.current().cli.client().and_then(|id| store.client(id)).map_or(0, |c| c.db())
    }

    /// A command from the key browser, on its own connection on database `db`; shown in the
    /// selected tab's transcript. Returns the reply.
    pub fn browser_command(&mut self, store: &mut Store, now: SimTime, db: usize, argv: &[Vec<u8>]) -> Reply {
        let id = match self.browser {
            Some((id, at)) if at == db && store.client(id).is_some() => id,
            _ => {
                if let Some((old, _)) = self.browser.take() {
                    store.disconnect(old);
                }
                let id = store.connect(now);
                store.execute_as(id, now, &[b"SELECT".to_vec(), db.to_string().into_bytes()]);
                self.browser = Some((id, db));
                id
            }
        };
        let reply = match store.execute_as(id, now, argv) {
            Outcome::Replied(mut f) | Outcome::Closed(mut f) if !f.is_empty() => f.remove(0),
            _ => Reply::NilArray,
        };
        let i = self.selected;
        self.tabs[i].cli.show_browser_command(&super::cli::display_argv(argv), &reply);
        self.route(store, now);
        reply
    }

    /// Hands every output the server wrote to the redis-cli it was written to; a tab not
    /// selected counts what it printed.
    fn route(&mut self, store: &mut Store, now: SimTime) {
        for o in store.take_outputs() {
            // Outputs for a connection no tab holds (the key browser's) are not shown.
            let Some(i) = self.tabs.iter().position(|t| t.cli.client() == Some(o.client)) else {
                continue;
            };
            let tab = &mut self.tabs[i];
            let sent = tab.waiting_on.clone();
            if tab.cli.receive(store, now, &o.event, &sent) && i != self.selected {
                tab.unread = tab.unread.saturating_add(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Weighed for String {
        fn weight(&self) -> usize {
            self.len()
        }
    }

    #[test]
    fn a_bounded_log_trims_the_oldest_by_count_and_by_bytes() {
        let mut log: BoundedLog<String> = BoundedLog::new(3, 10);
        for s in ["aaaa", "bbbb", "cc"] {
            assert!(log.push(Rc::new(s.to_string())));
        }
        assert_eq!((log.len(), log.bytes()), (3, 10));
        log.push(Rc::new("d".into()));
        let kept: Vec<&str> = log.iter().map(|s| s.as_str()).collect();
        assert_eq!(kept, ["bbbb", "cc", "d"], "count bound");
        log.push(Rc::new("eeeeee".into()));
        let kept: Vec<&str> = log.iter().map(|s| s.as_str()).collect();
        assert_eq!(kept, ["cc", "d", "eeeeee"], "byte bound: 4 + 2 + 1 + 6 > 10 drops the oldest");
        assert_eq!(log.bytes(), 9);
        assert!(!log.push(Rc::new("x".repeat(11))), "heavier than the whole log: not kept");
        assert_eq!(log.len(), 3);
        let copy = log.clone();
        assert_eq!(copy, log, "a copy shares its entries");
        let mut other = log.clone();
        other.push(Rc::new("f".into()));
        assert_ne!(other, log);
    }

    #[test]
    fn history_skips_repeats_and_long_lines_and_stays_within_its_bytes() {
        let mut h = new_history();
        assert!(remember(&mut h, "SET a 1"));
        assert!(remember(&mut h, "SET a 1"));
        assert_eq!(h.len(), 1, "a repeat of the newest line is not added");
        let long = format!("SET big {}", "x".repeat(2 << 20));
        assert!(!remember(&mut h, &long), "a 2 MB line is run, not remembered");
        for i in 0..1000 {
            remember(&mut h, &format!("SET k{i} {}", "v".repeat(1000)));
        }
        assert!(
            h.bytes() <= HISTORY_MAX_BYTES && h.len() <= HISTORY_MAX_LINES,
            "{} lines, {} bytes",
            h.len(),
            h.bytes()
        );
        assert!(h.last().unwrap().starts_with("SET k999 "));
        let reloaded = history_from(h.iter().map(|l| l.to_string()).chain([long]));
        assert_eq!(reloaded.len(), h.len());
    }

    #[test]
    fn clip_cuts_at_a_character_boundary() {
        assert_eq!(clip("hello", 10), ("hello", 0));
        assert_eq!(clip("héllo", 2), ("h", 5));
        assert_eq!(clip("héllo", 3), ("hé", 3));
        assert_eq!(human_bytes(980), "980 bytes");
        assert_eq!(human_bytes(2 << 20), "2.0 MB");
    }
}

#[cfg(test)]
mod cli_tests {
    use super::*;
    use crate::sim::{SimDuration, SimRng, TEST_EPOCH};
    use expect_test::expect;

    /// What a terminal would show for tab `i`: each command after its prompt, then its output.
    fn screen(desk: &CliDesk, i: usize) -> String {
        let mut out = String::new();
        for e in desk.tabs[i].cli.transcript.iter() {
            if !e.prompt.is_empty() || !e.command.is_empty() {
                out.push_str(&format!("{}{}\n", e.prompt, e.command));
            }
            out.push_str(&e.output);
        }
        out.push_str(&desk.tabs[i].cli.prompt());
        out
    }

    struct Setup {
        store: Store,
        desk: CliDesk,
        saved: History,
        now: SimTime,
    }

    impl Setup {
        fn new(tabs: usize) -> Setup {
            let mut store = Store::new(SimRng::new(1));
            let now = TEST_EPOCH;
            let saved = new_history();
            let mut desk = CliDesk::new(&mut store, now, saved.clone());
            for _ in 1..tabs {
                desk.open(&mut store, now, &saved).unwrap();
            }
            Setup { store, desk, saved, now }
        }
        fn type_in(&mut self, tab: usize, line: &str) -> bool {
            self.desk.select(tab);
            self.desk.enter(&mut self.store, self.now, line, &mut self.saved)
        }
        fn wait(&mut self, ms: u64) {
            self.now += SimDuration::from_millis(ms);
            self.desk.advance(&mut self.store, self.now);
        }
    }

    #[test]
    fn a_refused_line_shows_its_error_in_the_selected_tab_and_runs_nothing() {
        let mut s = Setup::new(2);
        s.type_in(1, "SELECT 2");
        s.desk
            .refuse("EVAL \"return redis.call('SET', 'k', 'v')\" 0", "ERR the Lua interpreter could not be loaded (x)");
        expect![[r#"
            127.0.0.1:6379> SELECT 2
            OK
            127.0.0.1:6379[2]> EVAL "return redis.call('SET', 'k', 'v')" 0
            (error) ERR the Lua interpreter could not be loaded (x)
            127.0.0.1:6379[2]> "#]]
        .assert_eq(&screen(&s.desk, 1));
        assert_eq!(s.store.dbsize(), 0);
        assert!(s.desk.tabs[1].cli.transcript.last().is_some_and(|e| e.is_error));
    }

    #[test]
    fn the_prompt_shows_tx_inside_multi_and_the_selected_database_as_redis_cli_does() {
        let mut s = Setup::new(1);
        for line in ["SELECT 2", "MULTI", "SET a 1", "SELECT 3", "EXEC", "MULTI", "SELECT 5", "DISCARD", "RESET"] {
            s.type_in(0, line);
        }
        expect![[r#"
            127.0.0.1:6379> SELECT 2
            OK
            127.0.0.1:6379[2]> MULTI
            OK
            127.0.0.1:6379[2](TX)> SET a 1
            QUEUED
            127.0.0.1:6379[2](TX)> SELECT 3
            QUEUED
            127.0.0.1:6379[3](TX)> EXEC
            1) OK
            2) OK
            127.0.0.1:6379[3]> MULTI
            OK
            127.0.0.1:6379[3](TX)> SELECT 5
            QUEUED
            127.0.0.1:6379[5](TX)> DISCARD
            OK
            127.0.0.1:6379[3]> RESET
            RESET
            127.0.0.1:6379> "#]]
        .assert_eq(&screen(&s.desk, 0));
    }

    #[test]
    fn a_watch_broken_by_another_client_makes_exec_reply_nil_and_the_prompt_go_back() {
        let mut s = Setup::new(2);
        s.type_in(0, "WATCH k");
        s.type_in(0, "MULTI");
        s.type_in(0, "SELECT 1");
        s.type_in(1, "SET k other");
        s.type_in(0, "EXEC");
        expect![[r#"
            127.0.0.1:6379> WATCH k
            OK
            127.0.0.1:6379> MULTI
            OK
            127.0.0.1:6379(TX)> SELECT 1
            QUEUED
            127.0.0.1:6379[1](TX)> EXEC
            (nil)
            127.0.0.1:6379> "#]]
        .assert_eq(&screen(&s.desk, 0));
    }

    #[test]
    fn subscribe_in_one_client_and_publish_in_another_prints_redis_cli_triples_in_order() {
        let mut s = Setup::new(2);
        s.type_in(0, "SUBSCRIBE news");
        s.type_in(1, "PSUBSCRIBE n*");
        s.type_in(0, "PING");
        assert!(!s.desk.tabs[0].cli.transcript.iter().any(|e| e.command == "PING"), "a reading redis-cli runs nothing");
        s.desk.select(1);
        s.desk.open(&mut s.store, s.now, &s.saved.clone()).unwrap();
        s.type_in(2, "PUBLISH news first");
        s.type_in(2, "PUBLISH news second");
        assert_eq!(s.desk.tabs[0].unread, 2, "a tab not selected counts what it printed");
        expect![[r#"
            127.0.0.1:6379> SUBSCRIBE news
            Reading messages... (press Ctrl-C to quit)
            1) "subscribe"
            2) "news"
            3) (integer) 1
            1) "message"
            2) "news"
            3) "first"
            1) "message"
            2) "news"
            3) "second"
            127.0.0.1:6379> "#]]
        .assert_eq(&screen(&s.desk, 0));
        expect![[r#"
            127.0.0.1:6379> PSUBSCRIBE n*
            Reading messages... (press Ctrl-C to quit)
            1) "psubscribe"
            2) "n*"
            3) (integer) 1
            1) "pmessage"
            2) "n*"
            3) "news"
            4) "first"
            1) "pmessage"
            2) "n*"
            3) "news"
            4) "second"
            127.0.0.1:6379> "#]]
        .assert_eq(&screen(&s.desk, 1));
        expect![[r#"
            127.0.0.1:6379> PUBLISH news first
            (integer) 2
            127.0.0.1:6379> PUBLISH news second
            (integer) 2
            127.0.0.1:6379> "#]]
        .assert_eq(&screen(&s.desk, 2));
        s.desk.select(0);
        assert_eq!(s.desk.tabs[0].unread, 0);
    }

    #[test]
    fn ctrl_c_in_pub_sub_mode_reconnects_like_redis_cli_so_the_server_drops_the_subscription() {
        let mut s = Setup::new(2);
        s.type_in(0, "SELECT 4");
        s.type_in(0, "SUBSCRIBE ch");
        let old = s.desk.tabs[0].cli.client().unwrap();
        s.now += SimDuration::from_millis(1234);
        assert!(s.desk.interrupt(&mut s.store, s.now, 0));
        let new = s.desk.tabs[0].cli.client().unwrap();
        assert_ne!(old, new, "a new connection");
        assert!(s.store.client(old).is_none());
        assert_eq!(s.store.client(new).unwrap().db(), 4, "cliSelect selects the database typed last");
        s.type_in(1, "PUBLISH ch x");
        expect![[r#"
            127.0.0.1:6379> PUBLISH ch x
            (integer) 0
            127.0.0.1:6379> "#]]
        .assert_eq(&screen(&s.desk, 1));
        expect![[r#"
            127.0.0.1:6379> SELECT 4
            OK
            127.0.0.1:6379[4]> SUBSCRIBE ch
            Reading messages... (press Ctrl-C to quit)
            1) "subscribe"
            2) "ch"
            3) (integer) 1
            ^C
            (1.23s)
            127.0.0.1:6379[4]> "#]]
        .assert_eq(&screen(&s.desk, 0));
    }

    #[test]
    fn blpop_is_woken_first_come_first_served_by_another_client_and_prints_the_elapsed_time() {
        let mut s = Setup::new(3);
        s.type_in(0, "BLPOP q 5");
        s.wait(100);
        s.type_in(1, "BLPOP q 5");
        assert!(s.desk.tabs[0].cli.is_busy() && s.desk.tabs[1].cli.is_busy());
        assert!(!s.type_in(0, "GET q"), "a waiting redis-cli runs nothing; the page keeps the line");
        s.wait(2400);
        s.type_in(2, "LPUSH q a");
        s.wait(2601);
        expect![[r#"
            127.0.0.1:6379> BLPOP q 5
            1) "q"
            2) "a"
            (2.50s)
            127.0.0.1:6379> "#]]
        .assert_eq(&screen(&s.desk, 0));
        expect![[r#"
            127.0.0.1:6379> BLPOP q 5
            (nil)
            (5.00s)
            127.0.0.1:6379> "#]]
        .assert_eq(&screen(&s.desk, 1));
        assert!(!s.desk.tabs[1].cli.is_busy());
    }

    #[test]
    fn ctrl_c_while_blocked_exits_redis_cli_so_the_server_drops_the_blocked_command() {
        let mut s = Setup::new(2);
        s.type_in(0, "SELECT 1");
        s.type_in(0, "BLPOP q 0");
        assert!(s.desk.interrupt(&mut s.store, s.now, 0));
        s.type_in(1, "SELECT 1");
        s.type_in(1, "RPUSH q x");
        s.type_in(1, "LLEN q");
        assert!(s.desk.tabs[1].cli.transcript.last().unwrap().output == "(integer) 1\n", "nobody popped it");
        let text = screen(&s.desk, 0);
        assert!(text.ends_with("^C\nredis-cli exited on Ctrl-C while it waited for a reply; a new redis-cli started on a new connection (client id 5).\n127.0.0.1:6379> "), "{text}");
        assert!(!s.desk.interrupt(&mut s.store, s.now, 0), "at an idle prompt Ctrl-C is the browser's");
    }

    #[test]
    fn a_killed_connection_is_found_at_the_next_command_then_redis_cli_reconnects() {
        let mut s = Setup::new(2);
        s.type_in(0, "SUBSCRIBE ch");
        s.type_in(1, "CLIENT KILL TYPE pubsub");
        s.type_in(1, "CLIENT KILL ID 4 SKIPME no");
        s.type_in(1, "GET a");
        s.type_in(1, "GET a");
        let zero = screen(&s.desk, 0);
        assert!(
            zero.contains(
                "Error: Server closed the connection\nredis-cli exited (the connection was lost in pub/sub mode)"
            ),
            "{zero}"
        );
        expect![[r#"
            127.0.0.1:6379> CLIENT KILL TYPE pubsub
            (integer) 1
            127.0.0.1:6379> CLIENT KILL ID 4 SKIPME no
            (integer) 1
            127.0.0.1:6379> GET a
            Error: Server closed the connection
            not connected> GET a
            (nil)
            127.0.0.1:6379> "#]]
        .assert_eq(&screen(&s.desk, 1));
    }

    #[test]
    fn tabs_are_bounded_numbered_and_closing_one_frees_its_connection() {
        let mut s = Setup::new(1);
        let saved = s.saved.clone();
        for _ in 1..MAX_CLIS {
            s.desk.open(&mut s.store, s.now, &saved).unwrap();
        }
        let err = s.desk.open(&mut s.store, s.now, &saved).unwrap_err();
        assert!(err.contains("At most 8"), "{err}");
        s.type_in(2, "BLPOP q 0");
        s.desk.close(&mut s.store, s.now, 2);
        assert_eq!(s.store.clients().count(), MAX_CLIS - 1);
        s.store.check_indexes().unwrap();
        s.desk.open(&mut s.store, s.now, &saved).unwrap();
        let numbers: Vec<u32> = s.desk.tabs.iter().map(|t| t.number).collect();
        assert_eq!(numbers, [1, 2, 3, 4, 5, 6, 7, 8], "the lowest free number, in order");
        assert_eq!(s.desk.tabs[s.desk.selected].number, 3);
        for _ in 0..20 {
            s.desk.close(&mut s.store, s.now, 0);
        }
        assert_eq!(s.desk.tabs.len(), 1, "the last tab stays");
    }

    #[test]
    fn quit_restarts_redis_cli_and_history_is_shared_through_the_saved_copy() {
        let mut s = Setup::new(1);
        s.type_in(0, "SET a 1");
        s.type_in(0, "SELECT 2");
        s.type_in(0, "QUIT");
        assert_eq!(s.desk.tabs[0].cli.prompt(), "127.0.0.1:6379> ");
        let saved = s.saved.clone();
        s.desk.open(&mut s.store, s.now, &saved).unwrap();
        let h: Vec<&str> = s.desk.tabs[1].cli.history.iter().map(|l| &**l).collect();
        assert_eq!(h, ["SET a 1", "SELECT 2", "QUIT"], "a new redis-cli reads the history file");
        s.type_in(1, "GET a");
        assert_eq!(s.desk.tabs[0].cli.history.len(), 3, "each keeps its own in memory");
        assert_eq!(s.saved.len(), 4);
    }
}
