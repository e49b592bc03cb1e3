//! Many clients against a real redis-server: every client of a script is its own TCP connection
//! on the real side and its own [`ClientId`] on the model's, and after each command every
//! connection's traffic is compared frame by frame — the sender's replies, the messages other
//! subscribers receive, the replies of clients a push woke up, the connections a CLIENT KILL
//! closed — and nothing else may arrive anywhere.
//!
//! Scripts are data files under `tests/fixtures/redis/clients/` (one per family) plus seeded
//! random multi-client sequences. A line is `N> command` (client N, 1–9), `@sleep MS` (both sides
//! wait MS milliseconds of wall-clock time; the model's clock is the wall clock), or `# comment`.
//! `$N` in a command is client N's id on each side (ids differ: the real server counts every
//! connection it ever had). `N> !close` hangs up client N.
//!
//! Comparison is exact except where Redis leaves the answer open or to a random hash seed:
//! - ids are mapped to client numbers; CLIENT LIST/INFO are compared on the fields the model has,
//!   without addr/laddr/fd/age/idle and the buffer sizes;
//! - PUBSUB CHANNELS, KEYS, SMEMBERS and CONFIG GET are compared as sorted sets;
//! - an argument-less (P|S)UNSUBSCRIBE replies one frame per channel in hash order: the channel
//!   names are compared as a set, the counts (which only depend on position) in order;
//! - one PUBLISH reaches a client that subscribed to several matching patterns in hash order:
//!   the `pmessage` frames of one step to one client are compared as a set (channel `message`
//!   frames, which Redis sends first, in order);
//! - TIME must be within 2 s of the wall clock on both sides.
//!
//! A barrier (PING on a separate sync connection, also mirrored in the model) after each step
//! ensures everything the server wrote for that step has arrived before the "nothing else"
//! check.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use playground::redis::cli::{format_inline, tokenize};
use playground::redis::{ClientId, Event, Outcome, Reply, Store};
use playground::sim::SimRng;

use super::{start_server, wall_now};

/// One real connection, reading with timeouts.
struct RConn {
    writer: TcpStream,
    reader: BufReader<TcpStream>,
    closed: bool,
}

#[derive(Debug)]
#[allow(dead_code)] // the message is for the failure report's Debug output
enum ReadErr {
    Timeout,
    Eof,
    Other(String),
}

impl RConn {
    fn connect(port: u16) -> RConn {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect to redis-server");
        s.set_nodelay(true).expect("nodelay");
        RConn { reader: BufReader::new(s.try_clone().expect("clone socket")), writer: s, closed: false }
    }

    fn send(&mut self, argv: &[Vec<u8>]) {
        let mut out = format!("*{}\r\n", argv.len()).into_bytes();
        for a in argv {
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a);
            out.extend_from_slice(b"\r\n");
        }
        // A write to a connection the server closed may fail: the read will tell.
        let _ = self.writer.write_all(&out);
    }

    fn line(&mut self) -> Result<Vec<u8>, ReadErr> {
        let mut l = Vec::new();
        match self.reader.read_until(b'\n', &mut l) {
            Ok(0) => Err(ReadErr::Eof),
            Ok(_) if l.ends_with(b"\r\n") => {
                l.truncate(l.len() - 2);
                Ok(l)
            }
            Ok(_) => Err(ReadErr::Other(format!("partial line {:?}", String::from_utf8_lossy(&l)))),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Err(ReadErr::Timeout),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => Err(ReadErr::Eof),
            Err(e) => Err(ReadErr::Other(e.to_string())),
        }
    }

    fn read(&mut self, timeout: Duration) -> Result<Reply, ReadErr> {
        self.writer.set_read_timeout(Some(timeout)).expect("set timeout");
        self.read_reply()
    }

    fn read_reply(&mut self) -> Result<Reply, ReadErr> {
        let l = self.line()?;
        if l.is_empty() {
            return Err(ReadErr::Other("empty RESP line".into()));
        }
        let text = String::from_utf8_lossy(&l[1..]).into_owned();
        let num = |t: &str| t.parse::<i64>().map_err(|_| ReadErr::Other(format!("bad number {t:?}")));
        Ok(match l[0] {
            b'+' => Reply::Status(text),
            b'-' => Reply::Error(text),
            b':' => Reply::Integer(num(&text)?),
            b'$' => {
                let n = num(&text)?;
                if n < 0 {
                    return Ok(Reply::Nil);
                }
                let mut buf = vec![0; n as usize + 2];
                self.reader.read_exact(&mut buf).map_err(|e| ReadErr::Other(e.to_string()))?;
                buf.truncate(n as usize);
                Reply::Bulk(buf)
            }
            b'*' => {
                let n = num(&text)?;
                if n < 0 {
                    return Ok(Reply::NilArray);
                }
                let mut items = Vec::new();
                for _ in 0..n {
                    items.push(self.read_reply()?);
                }
                Reply::Array(items)
            }
            other => return Err(ReadErr::Other(format!("unexpected RESP type byte {other:?}"))),
        })
    }

    /// Whether anything (data or the server's close) is waiting to be read.
    fn has_pending(&mut self) -> bool {
        if !self.reader.buffer().is_empty() {
            return true;
        }
        self.writer.set_nonblocking(true).expect("nonblocking");
        let mut b = [0u8; 1];
        let r = self.writer.peek(&mut b);
        self.writer.set_nonblocking(false).expect("blocking");
        match r {
            Ok(_) => true, // data, or 0 = the server closed it
            Err(e) => e.kind() != ErrorKind::WouldBlock,
        }
    }
}

/// One script line.
#[derive(Clone, Debug)]
pub enum Line {
    Cmd { who: usize, argv: Vec<Vec<u8>> },
    Close { who: usize },
    Sleep { ms: u64 },
}

impl Line {
    fn render(&self) -> String {
        match self {
            Line::Cmd { who, argv } => format!("{who}> {}", super::render(argv)),
            Line::Close { who } => format!("{who}> !close"),
            Line::Sleep { ms } => format!("@sleep {ms}"),
        }
    }
}

pub fn parse_script(text: &str) -> Vec<Line> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            if let Some(ms) = l.strip_prefix("@sleep ") {
                return Line::Sleep { ms: ms.trim().parse().expect("@sleep milliseconds") };
            }
            let (who, cmd) = l.split_once("> ").unwrap_or_else(|| panic!("`N> command` expected: {l}"));
            let who: usize = who.trim().parse().unwrap_or_else(|_| panic!("client number expected: {l}"));
            assert!((1..=9).contains(&who), "clients are numbered 1 to 9: {l}");
            if cmd.trim() == "!close" {
                Line::Close { who }
            } else {
                Line::Cmd { who, argv: tokenize(cmd).unwrap_or_else(|e| panic!("{l}: {e}")) }
            }
        })
        .collect()
}

/// Both sides of one script run: real connections and model clients, slot 0 being the sync
/// connection.
struct Pair {
    model: Store,
    ids: Vec<Option<ClientId>>,
    conns: Vec<Option<RConn>>,
    real_ids: Vec<i64>,
    /// The model's id of each client number (kept after it disconnects, like `real_ids`).
    model_ids: Vec<i64>,
    /// Each client's commands queued since MULTI (to normalize EXEC's elements).
    queued: Vec<Vec<Vec<Vec<u8>>>>,
    /// The client of the command being compared.
    who: usize,
    /// Per client, the commands whose replies are still to come (a blocked command and what was
    /// pipelined behind it), to normalize those replies when they arrive in a later step.
    awaiting: Vec<std::collections::VecDeque<Vec<Vec<u8>>>>,
    port: u16,
}

const READ_TIMEOUT: Duration = Duration::from_millis(1500);

impl Pair {
    fn new(port: u16, seed: u64) -> Pair {
        let mut p = Pair {
            model: Store::new(SimRng::new(seed)),
            ids: vec![None; 10],
            conns: (0..10).map(|_| None).collect(),
            real_ids: vec![0; 10],
            model_ids: vec![0; 10],
            queued: vec![Vec::new(); 10],
            who: 0,
            awaiting: vec![std::collections::VecDeque::new(); 10],
            port,
        };
        p.open(0);
        let flush = |p: &mut Pair| {
            let c = p.conns[0].as_mut().expect("sync");
            c.send(&[b"FLUSHALL".to_vec()]);
            c.read(READ_TIMEOUT).expect("FLUSHALL")
        };
        assert_eq!(flush(&mut p), Reply::ok());
        // Every CONFIG parameter the model has back to its default.
        let c = p.conns[0].as_mut().expect("sync");
        c.send(&[b"CONFIG".to_vec(), b"SET".to_vec(), b"hz".to_vec(), b"10".to_vec()]);
        assert_eq!(c.read(READ_TIMEOUT).expect("CONFIG SET"), Reply::ok());
        p.wait_until_connections(1);
        p
    }

    /// Polls the real server until it has `n` connections (a closed socket is noticed by the
    /// server asynchronously), then re-syncs the sync connection's last command on both sides.
    fn wait_until_connections(&mut self, n: usize) {
        for _ in 0..200 {
            let c = self.conns[0].as_mut().expect("sync");
            c.send(&[b"CLIENT".to_vec(), b"LIST".to_vec()]);
            if let Ok(Reply::Bulk(b)) = c.read(READ_TIMEOUT) {
                if String::from_utf8_lossy(&b).lines().count() == n {
                    break;
                }
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        self.barrier();
    }

    fn open(&mut self, who: usize) {
        let mut c = RConn::connect(self.port);
        c.send(&[b"CLIENT".to_vec(), b"ID".to_vec()]);
        let Ok(Reply::Integer(id)) = c.read(READ_TIMEOUT) else { panic!("CLIENT ID on a new connection") };
        self.real_ids[who] = id;
        self.conns[who] = Some(c);
        let m = self.model.connect(wall_now());
        // The model's connection sends the same CLIENT ID, so CLIENT LIST's cmd= agrees.
        let _ = self.model.execute_as(m, wall_now(), &[b"CLIENT".to_vec(), b"ID".to_vec()]);
        self.ids[who] = Some(m);
        self.model_ids[who] = m.0 as i64;
    }

    fn client_number_of_real(&self, id: i64) -> Option<usize> {
        (0..10).find(|&i| self.conns[i].is_some() && self.real_ids[i] == id)
    }
    fn client_number_of_model(&self, id: i64) -> Option<usize> {
        (0..10).find(|&i| self.ids[i].is_some_and(|m| m.0 as i64 == id))
    }

    fn substitute(argv: &[Vec<u8>], id_of: impl Fn(usize) -> i64) -> Vec<Vec<u8>> {
        argv.iter()
            .map(|a| match a.strip_prefix(b"$") {
                Some(n) if n.len() == 1 && n[0].is_ascii_digit() => {
                    id_of((n[0] - b'0') as usize).to_string().into_bytes()
                }
                _ => a.clone(),
            })
            .collect()
    }

    /// Runs one line on both sides; `Err` describes the first difference.
    fn step(&mut self, line: &Line) -> Result<(), String> {
        match line {
            Line::Sleep { ms } => {
                self.who = 0;
                std::thread::sleep(Duration::from_millis(*ms));
                self.model.advance_clients(wall_now());
                let outputs = self.model.take_outputs();
                let expected: Vec<(usize, Event)> = outputs
                    .into_iter()
                    .filter_map(|o| self.client_number_of_model(o.client.0 as i64).map(|w| (w, o.event)))
                    .collect();
                self.compare(&expected, &[])
            }
            Line::Close { who } => {
                let who = *who;
                if let Some(m) = self.ids[who].take() {
                    self.model.disconnect(m);
                }
                self.conns[who] = None;
                self.awaiting[who].clear();
                // Let the server notice before the next step.
                let open = self.conns.iter().filter(|c| c.is_some()).count();
                self.wait_until_connections(open);
                Ok(())
            }
            Line::Cmd { who, argv } => {
                let who = *who;
                if self.conns[who].is_none() {
                    self.open(who);
                }
                let real_argv = Self::substitute(argv, |n| self.real_ids[n]);
                let model_argv = Self::substitute(argv, |n| self.model_ids[n]);
                let mid = self.ids[who].expect("connected");
                self.who = who;
                let outcome = self.model.execute_as(mid, wall_now(), &model_argv);
                self.conns[who].as_mut().expect("connected").send(&real_argv);
                let mut expected: Vec<(usize, Event)> = Vec::new();
                match outcome {
                    Outcome::Replied(f) => expected.extend(f.into_iter().map(|r| (who, Event::Reply(r)))),
                    Outcome::Blocked => self.awaiting[who].push_back(argv.clone()),
                    Outcome::Closed(f) => {
                        expected.extend(f.into_iter().map(|r| (who, Event::Reply(r))));
                        expected.push((who, Event::Closed));
                    }
                }
                for o in self.model.take_outputs() {
                    if let Some(w) = self.client_number_of_model(o.client.0 as i64) {
                        expected.push((w, o.event));
                    }
                }
                self.compare(&expected, argv)
            }
        }
    }

    fn barrier(&mut self) {
        let ping = [b"PING".to_vec()];
        if let Some(m) = self.ids[0] {
            let _ = self.model.execute_as(m, wall_now(), &ping);
        }
        let c = self.conns[0].as_mut().expect("sync connection");
        c.send(&ping);
        assert_eq!(c.read(READ_TIMEOUT).expect("sync PING"), Reply::Status("PONG".into()));
    }

    /// Reads what each connection is expected to have received and checks nothing else came.
    fn compare(&mut self, expected: &[(usize, Event)], argv: &[Vec<u8>]) -> Result<(), String> {
        let mut by_client: BTreeMap<usize, Vec<&Event>> = BTreeMap::new();
        for (w, e) in expected {
            by_client.entry(*w).or_default().push(e);
        }
        for (&w, events) in &by_client {
            let mut model_frames = Vec::new();
            let mut real_frames = Vec::new();
            let mut expect_close = false;
            for e in events {
                match e {
                    Event::Reply(r) => {
                        model_frames.push(r.clone());
                        let Some(c) = self.conns[w].as_mut() else {
                            return Err(format!("client {w} expected {} but is gone", format_inline(r)));
                        };
                        match c.read(READ_TIMEOUT) {
                            Ok(real) => real_frames.push(real),
                            Err(e) => {
                                return Err(format!(
                                    "client {w}: the model wrote {} but redis-server sent nothing ({e:?})",
                                    format_inline(r)
                                ))
                            }
                        }
                    }
                    Event::Closed => expect_close = true,
                }
            }
            let queued = if w == self.who { std::mem::take(&mut self.queued[w]) } else { Vec::new() };
            let (m, r) = if w == self.who || self.awaiting[w].is_empty() {
                (
                    self.normalize(argv, model_frames.clone(), false, &queued),
                    self.normalize(argv, real_frames, true, &queued),
                )
            } else {
                self.normalize_awaited(w, &model_frames, &real_frames)
            };
            if w == self.who {
                let name = argv.first().map(|a| super::upper(a)).unwrap_or_default();
                if model_frames == [Reply::Status("QUEUED".into())] {
                    self.queued[w] = queued;
                    self.queued[w].push(argv.to_vec());
                } else {
                    let ends_transaction = matches!(name.as_str(), "EXEC" | "DISCARD" | "RESET")
                        || (name == "MULTI" && model_frames == [Reply::ok()]);
                    if !ends_transaction {
                        self.queued[w] = queued;
                    }
                }
            }
            if m != r {
                return Err(format!(
                    "client {w}:\n  model: {}\n  redis: {}",
                    m.iter().map(format_inline).collect::<Vec<_>>().join(" | "),
                    r.iter().map(format_inline).collect::<Vec<_>>().join(" | ")
                ));
            }
            if expect_close {
                let c = self.conns[w].as_mut().expect("conn");
                match c.read(READ_TIMEOUT) {
                    Err(ReadErr::Eof) => {
                        c.closed = true;
                        self.conns[w] = None;
                        self.ids[w] = None;
                        self.awaiting[w].clear();
                        let open = self.conns.iter().filter(|c| c.is_some()).count();
                        self.wait_until_connections(open);
                    }
                    other => {
                        return Err(format!("client {w}: the model closed the connection, redis-server sent {other:?}"))
                    }
                }
            }
        }
        self.barrier();
        for w in 1..10 {
            if let Some(c) = self.conns[w].as_mut() {
                if c.has_pending() {
                    let extra = match c.read(READ_TIMEOUT) {
                        Ok(r) => format_inline(&r),
                        Err(e) => format!("{e:?}"),
                    };
                    return Err(format!("client {w}: redis-server sent {extra} that the model did not"));
                }
            }
        }
        Ok(())
    }

    /// Frames for a client that is not the sender: the replies of its blocked command and of the
    /// commands pipelined behind it (in order, each normalized for its own command), then pushes.
    fn normalize_awaited(&mut self, w: usize, model: &[Reply], real: &[Reply]) -> (Vec<Reply>, Vec<Reply>) {
        let (mut m, mut r) = (Vec::new(), Vec::new());
        let mut i = 0;
        while i < model.len() {
            let Some(cmd) = self.awaiting[w].pop_front() else { break };
            let n = frames_of(&cmd, &model[i..]).min(model.len() - i);
            m.extend(self.normalize(&cmd, model[i..i + n].to_vec(), false, &[]));
            r.extend(self.normalize(&cmd, real[i..i + n].to_vec(), true, &[]));
            i += n;
        }
        m.extend(self.normalize(&[], model[i..].to_vec(), false, &[]));
        r.extend(self.normalize(&[], real[i..].to_vec(), true, &[]));
        (m, r)
    }

    /// One reply reduced to what Redis specifies for command `argv`.
    fn normalize_frame(&self, argv: &[Vec<u8>], f: Reply, real: bool) -> Reply {
        let name = argv.first().map(|a| super::upper(a)).unwrap_or_default();
        let sub = argv.get(1).map(|a| super::upper(a)).unwrap_or_default();
        let map_id = |id: i64| -> Reply {
            let n = if real { self.client_number_of_real(id) } else { self.client_number_of_model(id) };
            Reply::Status(match n {
                Some(n) => format!("<client {n}>"),
                None => "<unknown client>".into(),
            })
        };
        match (name.as_str(), sub.as_str(), f) {
            ("CLIENT", "ID", Reply::Integer(id)) => map_id(id),
            (_, _, Reply::Bulk(b)) if b.starts_with(b"id=") => Reply::Bulk(self.client_lines(&b, real).into_bytes()),
            ("PUBSUB", "CHANNELS" | "SHARDCHANNELS", r) | ("KEYS" | "SMEMBERS", _, r) => super::sorted(r),
            ("CONFIG", "GET", Reply::Array(items)) => {
                let mut pairs: Vec<Vec<Reply>> = items.chunks(2).map(<[Reply]>::to_vec).collect();
                pairs.sort_by_key(|p| format!("{p:?}"));
                Reply::Array(pairs.concat())
            }
            ("INFO", _, Reply::Bulk(b)) => {
                // The fields the model reports whose values do not depend on the process.
                const KEEP: &[&str] = &[
                    "connected_clients",
                    "cluster_connections",
                    "maxclients",
                    "blocked_clients",
                    "tracking_clients",
                    "clients_in_timeout_table",
                    "pubsub_channels",
                    "pubsub_patterns",
                    "pubsubshard_channels",
                ];
                let text = String::from_utf8_lossy(&b);
                let kept: Vec<&str> = text
                    .split("\r\n")
                    .filter(|l| {
                        l.starts_with('#')
                            || l.starts_with("db")
                            || l.split_once(':').is_some_and(|(k, _)| KEEP.contains(&k))
                    })
                    .collect();
                Reply::Bulk(kept.join("\n").into_bytes())
            }
            ("TIME", _, Reply::Array(parts)) => {
                let now = wall_now().as_unix_ms() as i64 / 1000;
                let ok = matches!(parts.first(), Some(Reply::Bulk(b)) if String::from_utf8_lossy(b).parse::<i64>().is_ok_and(|s| (s - now).abs() <= 2));
                Reply::Status(if ok && parts.len() == 2 { "<now>".into() } else { format!("{parts:?}") })
            }
            (n, _, r) if n.starts_with('X') => normalize_stream_times(&name, &sub, r),
            (_, _, r) => r,
        }
    }

    /// Reduces frames to what Redis specifies (see the module note).
    fn normalize(&self, argv: &[Vec<u8>], frames: Vec<Reply>, real: bool, queued: &[Vec<Vec<u8>>]) -> Vec<Reply> {
        let name = argv.first().map(|a| super::upper(a)).unwrap_or_default();
        if name == "EXEC" && !queued.is_empty() {
            // EXEC's elements are the queued commands' replies; a command that writes several
            // frames (SUBSCRIBE a b) pushes the rest past the array's end. Flatten, then
            // normalize each command's frames as that command's.
            let mut flat = Vec::new();
            let mut it = frames.into_iter();
            match it.next() {
                Some(Reply::Array(items)) if items.len() == queued.len() => {
                    flat.push(Reply::Status(format!("<exec of {}>", items.len())));
                    flat.extend(items);
                }
                Some(other) => return std::iter::once(self.normalize_frame(argv, other, real)).chain(it).collect(),
                None => return Vec::new(),
            }
            flat.extend(it);
            let mut out = vec![flat[0].clone()];
            let mut i = 1;
            for q in queued {
                let n = frames_of(q, &flat[i..]).min(flat.len() - i);
                out.extend(self.normalize(q, flat[i..i + n].to_vec(), real, &[]));
                i += n;
            }
            out.extend(self.normalize(&[], flat[i..].to_vec(), real, &[]));
            return out;
        }
        let mut frames: Vec<Reply> = frames.into_iter().map(|f| self.normalize_frame(argv, f, real)).collect();
        // An argument-less unsubscribe replies in hash order: channel names as a set, counts in
        // order.
        if argv.len() == 1 && matches!(name.as_str(), "UNSUBSCRIBE" | "PUNSUBSCRIBE" | "SUNSUBSCRIBE") {
            let word = |f: &Reply| match f {
                Reply::Array(p) if p.len() == 3 => match &p[0] {
                    Reply::Bulk(w) if w.ends_with(b"unsubscribe") => Some(w.clone()),
                    _ => None,
                },
                _ => None,
            };
            let mut i = 0;
            while i < frames.len() {
                let Some(w) = word(&frames[i]) else {
                    i += 1;
                    continue;
                };
                let end = frames[i..].iter().position(|f| word(f).as_ref() != Some(&w)).map_or(frames.len(), |e| i + e);
                let mut names: Vec<Reply> = frames[i..end]
                    .iter()
                    .filter_map(|f| if let Reply::Array(p) = f { p.get(1).cloned() } else { None })
                    .collect();
                names.sort_by_key(|n| format!("{n:?}"));
                for (f, n) in frames[i..end].iter_mut().zip(names) {
                    if let Reply::Array(p) = f {
                        p[1] = n;
                    }
                }
                i = end;
            }
        }
        // pmessage frames of one step: a set.
        let is_pmessage =
            |f: &Reply| matches!(f, Reply::Array(p) if p.first() == Some(&Reply::Bulk(b"pmessage".to_vec())));
        if let Some(start) = frames.iter().position(is_pmessage) {
            let end = frames[start..].iter().position(|f| !is_pmessage(f)).map_or(frames.len(), |e| start + e);
            frames[start..end].sort_by_key(|f| format!("{f:?}"));
        }
        frames
    }

    /// CLIENT LIST/INFO lines reduced to the fields the model has, ids mapped to client numbers.
    fn client_lines(&self, text: &[u8], real: bool) -> String {
        const KEEP: &[&str] = &["name", "flags", "db", "sub", "psub", "ssub", "multi", "cmd", "user", "redir", "resp"];
        String::from_utf8_lossy(text)
            .lines()
            .map(|l| {
                let mut fields = Vec::new();
                for f in l.split(' ') {
                    let (k, v) = f.split_once('=').unwrap_or((f, ""));
                    if k == "id" {
                        let id: i64 = v.parse().unwrap_or(-1);
                        let n = if real { self.client_number_of_real(id) } else { self.client_number_of_model(id) };
                        fields.push(format!("client={}", n.map_or("?".to_string(), |n| n.to_string())));
                    } else if KEEP.contains(&k) {
                        fields.push(f.to_string());
                    }
                }
                fields.join(" ")
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// How many frames command `cmd` writes, judging from the frames that follow.
fn frames_of(cmd: &[Vec<u8>], next: &[Reply]) -> usize {
    let name = cmd.first().map(|a| super::upper(a)).unwrap_or_default();
    if matches!(next.first(), Some(Reply::Error(_))) {
        return 1;
    }
    match name.as_str() {
        "SUBSCRIBE" | "PSUBSCRIBE" | "SSUBSCRIBE" | "UNSUBSCRIBE" | "PUNSUBSCRIBE" | "SUNSUBSCRIBE"
            if cmd.len() > 1 =>
        {
            cmd.len() - 1
        }
        "UNSUBSCRIBE" | "PUNSUBSCRIBE" | "SUNSUBSCRIBE" => {
            let word = Reply::Bulk(name.to_ascii_lowercase().into_bytes());
            next.iter().take_while(|f| matches!(f, Reply::Array(p) if p.first() == Some(&word))).count().max(1)
        }
        _ => 1,
    }
}

fn run(port: u16, script: &[Line], seed: u64) -> Option<(usize, String)> {
    let mut p = Pair::new(port, seed);
    let result = script.iter().enumerate().find_map(|(i, l)| p.step(l).err().map(|e| (i, e)));
    // Hang up everything so the next run starts clean (blocked clients included).
    for w in 0..10 {
        if let Some(m) = p.ids[w].take() {
            p.model.disconnect(m);
        }
        p.conns[w] = None;
    }
    result
}

pub fn check(port: u16, label: &str, script: Vec<Line>, seed: u64) {
    if let Some(first) = run(port, &script, seed) {
        let (min, why) = super::shrink_with(script, first, |s| run(port, s, seed));
        let lines: Vec<String> = min.iter().map(Line::render).collect();
        panic!("{label}: the model differs from redis-server.\nMinimal reproducer:\n  {}\n{why}", lines.join("\n  "));
    }
}

// ---- seeded random multi-client sequences ----------------------------------------------------

struct Gen<'a> {
    rng: &'a mut SimRng,
    /// The next explicit stream id's milliseconds (ids from `*` could differ in their sequence
    /// between the two clocks).
    next_ms: u64,
}

impl Gen<'_> {
    fn pick<'s>(&mut self, xs: &[&'s str]) -> &'s str {
        xs[self.rng.index(xs.len())]
    }
    fn words(&mut self, ws: &[&str]) -> Vec<Vec<u8>> {
        ws.iter().map(|w| w.as_bytes().to_vec()).collect()
    }
    fn line(&mut self, clients: usize) -> Line {
        let who = 1 + self.rng.index(clients);
        if self.rng.bernoulli(0.01) {
            return Line::Close { who };
        }
        let k = self.pick(&["k1", "k2", "q1", "q2", "z1"]);
        let k2 = self.pick(&["k1", "k2", "q1", "q2", "z1"]);
        let ch = self.pick(&["ch1", "ch2", "news.1"]);
        let v = self.pick(&["a", "b", "1", "7"]);
        let other = format!("${}", 1 + self.rng.index(clients));
        let x = self.pick(&["x1", "x1", "x2", "k1"]);
        let words: Vec<String> = match self.rng.below(62) {
            0 => vec!["SET".into(), k.into(), v.into()],
            1 => vec!["GET".into(), k.into()],
            2 => vec!["INCR".into(), k.into()],
            3 => vec!["DEL".into(), k.into()],
            4 => vec!["EXPIRE".into(), k.into(), self.pick(&["100", "-1"]).into()],
            5 | 6 => vec![self.pick(&["LPUSH", "RPUSH"]).into(), k.into(), v.into(), self.pick(&["x", "y"]).into()],
            7 => vec![self.pick(&["LPOP", "RPOP", "LLEN"]).into(), k.into()],
            8 => vec!["ZADD".into(), k.into(), self.pick(&["1", "2", "3"]).into(), v.into()],
            9 => vec![self.pick(&["ZPOPMIN", "ZPOPMAX", "ZCARD"]).into(), k.into()],
            10 | 11 => vec!["MULTI".into()],
            12 | 13 => vec!["EXEC".into()],
            14 => vec!["DISCARD".into()],
            15 | 16 => vec!["WATCH".into(), k.into(), k2.into()],
            17 => vec!["UNWATCH".into()],
            18 => vec!["SELECT".into(), self.pick(&["0", "1", "0"]).into()],
            19 => vec!["MOVE".into(), k.into(), self.pick(&["0", "1"]).into()],
            20 => vec![self.pick(&["DBSIZE", "FLUSHDB"]).into()],
            21 => {
                vec!["COPY".into(), k.into(), k2.into(), "DB".into(), self.pick(&["0", "1"]).into(), "REPLACE".into()]
            }
            22 | 23 => vec!["SUBSCRIBE".into(), ch.into(), self.pick(&["ch1", "ch2"]).into()],
            24 => vec!["UNSUBSCRIBE".into(), ch.into()],
            25 => vec![self.pick(&["UNSUBSCRIBE", "PUNSUBSCRIBE"]).into()],
            26 => vec!["PSUBSCRIBE".into(), self.pick(&["ch*", "news.*", "c?1"]).into()],
            27 => vec!["PUNSUBSCRIBE".into(), self.pick(&["ch*", "news.*"]).into()],
            28..=30 => vec!["PUBLISH".into(), ch.into(), v.into()],
            31 => vec!["PUBSUB".into(), self.pick(&["NUMSUB", "CHANNELS", "NUMPAT"]).into()],
            32 | 33 => vec![self.pick(&["BLPOP", "BRPOP"]).into(), k.into(), k2.into(), "0".into()],
            34 => vec![
                "BLMOVE".into(),
                k.into(),
                k2.into(),
                self.pick(&["LEFT", "RIGHT"]).into(),
                self.pick(&["LEFT", "RIGHT"]).into(),
                "0".into(),
            ],
            35 => vec![self.pick(&["BZPOPMIN", "BZPOPMAX"]).into(), k.into(), "0".into()],
            36 => vec![
                "BLMPOP".into(),
                "0".into(),
                "2".into(),
                k.into(),
                k2.into(),
                "LEFT".into(),
                "COUNT".into(),
                "2".into(),
            ],
            37 => vec!["CLIENT".into(), "UNBLOCK".into(), other, self.pick(&["TIMEOUT", "ERROR"]).into()],
            // (CLIENT ID is in the tables: inside EXEC its number could not be mapped to a client.)
            38 => vec!["CLIENT".into(), self.pick(&["GETNAME", "LIST", "INFO"]).into()],
            39 => vec!["CLIENT".into(), "SETNAME".into(), self.pick(&["worker", "", "a b"]).into()],
            40 => vec![self.pick(&["RESET", "PING"]).into()],
            41 => vec!["PING".into(), "hi".into()],
            42 => vec!["WAIT".into(), "0".into(), "0".into()],
            43 => vec![self.pick(&["SSUBSCRIBE", "SUNSUBSCRIBE", "SPUBLISH"]).into(), ch.into(), v.into()],
            44 => vec![self.pick(&["SUNSUBSCRIBE", "QUIT"]).into()],
            45 => vec!["CLIENT".into(), "KILL".into(), "ID".into(), other],
            46 => vec!["LMOVE".into(), k.into(), k2.into(), "RIGHT".into(), "LEFT".into()],
            47 => vec![self.pick(&["GETDEL", "PERSIST", "TYPE"]).into(), k.into()],
            48 => vec!["PEXPIRE".into(), k.into(), self.pick(&["-1", "100000"]).into()],
            49 => vec!["ZMPOP".into(), "2".into(), k.into(), k2.into(), self.pick(&["MIN", "MAX"]).into()],
            50 => vec!["BLMPOP".into(), "0".into(), "1".into(), k.into(), "RIGHT".into()],
            // Streams: explicit increasing ids, blocking reads served by XADD, groups.
            51..=53 => {
                self.next_ms += 1;
                let mut w = vec!["XADD".to_string(), x.into()];
                if self.rng.bernoulli(0.3) {
                    w.extend(["MAXLEN".into(), self.pick(&["~", "="]).into(), "2".into()]);
                }
                w.extend([format!("{}-0", self.next_ms), "f".into(), v.into()]);
                w
            }
            54 => vec!["XREAD".into(), "BLOCK".into(), "0".into(), "STREAMS".into(), x.into(), "$".into()],
            55 => vec![
                "XREADGROUP".into(),
                "GROUP".into(),
                "g".into(),
                format!("c{who}"),
                "BLOCK".into(),
                "0".into(),
                "STREAMS".into(),
                x.into(),
                self.pick(&[">", ">", "0"]).into(),
            ],
            56 => vec![
                "XGROUP".into(),
                "CREATE".into(),
                x.into(),
                "g".into(),
                self.pick(&["$", "0"]).into(),
                "MKSTREAM".into(),
            ],
            57 => vec![
                "XAUTOCLAIM".into(),
                x.into(),
                "g".into(),
                format!("c{who}"),
                "0".into(),
                "0".into(),
                "JUSTID".into(),
            ],
            58 => vec![self.pick(&["XPENDING", "XINFO"]).into(), x.into(), "g".into()],
            59 => vec!["XINFO".into(), "GROUPS".into(), x.into()],
            60 => vec![self.pick(&["XLEN", "DEL", "TYPE"]).into(), x.into()],
            61 => vec!["XTRIM".into(), x.into(), "MAXLEN".into(), "1".into()],
            _ => vec![self.pick(&["GET", "FOO"]).into()],
        };
        Line::Cmd { who, argv: self.words(&words.iter().map(String::as_str).collect::<Vec<_>>()) }
    }
}

/// The edge-case tables (one file per family) and `REDIS_DIFF_CLIENT_SEQUENCES` (default 400)
/// random sequences of 10–40 lines over three clients.
pub fn clients_match_redis_server() {
    let server = start_server();
    let port = server.port;
    let mut table_lines = 0;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/redis/clients");
    let mut files: Vec<_> =
        std::fs::read_dir(&dir).expect("fixture directory").filter_map(Result::ok).map(|e| e.path()).collect();
    files.sort();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("fixture");
        let script = parse_script(&text);
        table_lines += script.len();
        check(port, &format!("clients table {}", f.display()), script, 1);
    }
    let n: u64 = std::env::var("REDIS_DIFF_CLIENT_SEQUENCES").ok().and_then(|v| v.parse().ok()).unwrap_or(400);
    let root_seed: u64 = std::env::var("REDIS_DIFF_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x5EED);
    let root = SimRng::new(root_seed).child("clients");
    let mut lines = 0;
    for i in 0..n {
        let mut rng = root.child_indexed("sequence", i);
        let len = rng.range_inclusive(10, 40);
        let mut g = Gen { rng: &mut rng, next_ms: 1 };
        let script: Vec<Line> = (0..len).map(|_| g.line(3)).collect();
        lines += script.len();
        check(port, &format!("random client sequence {i}"), script, i);
    }
    println!(
        "differential (clients): {} tables ({table_lines} lines) and {n} random three-client sequences ({lines} lines) agree with redis-server",
        files.len()
    );
    drop(server);
}

/// Stream replies carry times: ids made by `*` and delivery / seen times are the wall clock on
/// each side (a few ms apart), idle times likewise. Those become placeholders; everything else,
/// and every explicit id, is compared exactly.
fn normalize_stream_times(name: &str, sub: &str, r: Reply) -> Reply {
    let now = wall_now().as_unix_ms() as i64;
    let recent = |ms: i64| (ms - now).abs() < 600_000;
    fn walk(r: Reply, f: &dyn Fn(Reply) -> Reply) -> Reply {
        match r {
            Reply::Array(items) => Reply::Array(items.into_iter().map(|i| walk(i, f)).collect()),
            other => f(other),
        }
    }
    let times = |r: Reply| match r {
        Reply::Bulk(b) => {
            let text = String::from_utf8_lossy(&b).into_owned();
            match text.split_once('-').and_then(|(ms, seq)| Some((ms.parse::<i64>().ok()?, seq.parse::<u64>().ok()?))) {
                Some((ms, seq)) if recent(ms) => Reply::Status(format!("<now>-{seq}")),
                _ => Reply::Bulk(b),
            }
        }
        Reply::Integer(ms) if recent(ms) => Reply::Status("<now>".into()),
        other => other,
    };
    let r = walk(r, &times);
    // Idle times: XPENDING's per-entry elapsed field and XINFO CONSUMERS' idle.
    match (name, sub, r) {
        ("XPENDING", _, Reply::Array(items)) => Reply::Array(
            items
                .into_iter()
                .map(|e| match e {
                    Reply::Array(mut p) if p.len() == 4 && matches!(p[2], Reply::Integer(_)) => {
                        p[2] = Reply::Status("<idle>".into());
                        Reply::Array(p)
                    }
                    other => other,
                })
                .collect(),
        ),
        ("XINFO", "CONSUMERS", Reply::Array(items)) => Reply::Array(
            items
                .into_iter()
                .map(|c| match c {
                    Reply::Array(mut p) if p.len() == 6 => {
                        p[5] = Reply::Status("<idle>".into());
                        Reply::Array(p)
                    }
                    other => other,
                })
                .collect(),
        ),
        (_, _, r) => r,
    }
}
