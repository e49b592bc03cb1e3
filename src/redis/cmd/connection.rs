//! Connection commands (networking.c): CLIENT ID / INFO / LIST / KILL / SETNAME / GETNAME /
//! UNBLOCK / GETREDIR / NO-EVICT / HELP, RESET and QUIT.
//!
//! CLIENT LIST prints Redis 7.0's line format with the fields the model knows (id, addr, laddr,
//! fd, name, age, idle, flags, db, sub, psub, ssub, multi, cmd, user, redir, resp); the buffer
//! and memory fields of a real server (qbuf, omem, tot-mem…) are left out rather than invented.
//! There are no sockets: `addr` is a made-up loopback address unique per client
//! (`127.0.0.1:<40000+id>`), `laddr` the default port, `fd` the id plus 7.

use crate::redis::args::{c_str, err, error, is, Args, CmdResult};
use crate::redis::client::{Client, ClientId};
use crate::redis::object;
use crate::redis::reply::Reply;
use crate::redis::store::Store;

/// The address CLIENT LIST shows for a client.
pub fn client_addr(id: ClientId) -> String {
    format!("127.0.0.1:{}", 40_000u64.saturating_add(id.0 % 25_000))
}
const LADDR: &str = "127.0.0.1:6379";

/// `getClientType`'s names for TYPE filters.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ClientType {
    Normal,
    Replica,
    PubSub,
    Master,
}

/// `getClientTypeByName`.
fn client_type_by_name(name: &[u8]) -> Option<ClientType> {
    let n = c_str(name);
    if n.eq_ignore_ascii_case(b"normal") {
        Some(ClientType::Normal)
    } else if n.eq_ignore_ascii_case(b"slave") || n.eq_ignore_ascii_case(b"replica") {
        Some(ClientType::Replica)
    } else if n.eq_ignore_ascii_case(b"pubsub") {
        Some(ClientType::PubSub)
    } else if n.eq_ignore_ascii_case(b"master") {
        Some(ClientType::Master)
    } else {
        None
    }
}

fn client_type(c: &Client) -> ClientType {
    if c.is_subscribed() {
        ClientType::PubSub
    } else {
        ClientType::Normal
    }
}

fn unknown_type(name: &[u8]) -> Reply {
    Reply::Error(format!("ERR Unknown client type '{}'", String::from_utf8_lossy(c_str(name))))
}

/// `catClientInfoString` (the fields the model has). `unblocked`: just unblocked, its pipelined
/// commands not yet resumed (flag `u`, visible to a command in the same round, e.g. inside EXEC).
pub fn client_info_line(c: &Client, now_ms: i64, unblocked: bool) -> String {
    let mut flags = String::new();
    if c.is_subscribed() {
        flags.push('P');
    }
    if c.flags.multi {
        flags.push('x');
    }
    if c.is_blocked() {
        flags.push('b');
    }
    if c.flags.dirty_cas {
        flags.push('d');
    }
    if c.flags.close_after_reply {
        flags.push('c');
    }
    if unblocked {
        flags.push('u');
    }
    if c.flags.no_evict {
        flags.push('e');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    let secs = |ms: i64| now_ms.div_euclid(1000) - ms.div_euclid(1000);
    format!(
        "id={} addr={} laddr={LADDR} fd={} name={} age={} idle={} flags={flags} db={} sub={} psub={} ssub={} multi={} cmd={} user=default redir=-1 resp=2",
        c.id,
        client_addr(c.id),
        c.id.0.saturating_add(7),
        String::from_utf8_lossy(c.name.as_deref().unwrap_or_default()),
        secs(c.created_ms),
        secs(c.last_interaction_ms),
        c.db,
        c.channels.len(),
        c.patterns.len(),
        c.shard_channels.len(),
        if c.flags.multi { c.queued.len() as i64 } else { -1 },
        c.last_cmd.unwrap_or("NULL"),
    )
}

pub fn client_id(s: &mut Store, _a: &mut Args) -> CmdResult {
    Ok(Reply::Integer(s.srv.current.0 as i64))
}

pub fn client_info(s: &mut Store, _a: &mut Args) -> CmdResult {
    let now = s.now_ms;
    let u = s.srv.blocking.unblocked.contains(&s.srv.current);
    Ok(Reply::bulk(s.current_client().map(|c| client_info_line(c, now, u) + "\n").unwrap_or_default()))
}

pub fn client_list(s: &mut Store, a: &mut Args) -> CmdResult {
    a.next()?;
    let now = s.now_ms;
    let rest = a.rest();
    let mut out = String::new();
    if rest.len() == 2 && is(&rest[0], "type") {
        let t = client_type_by_name(&rest[1]).ok_or_else(|| unknown_type(&rest[1]))?;
        for c in s.clients().filter(|c| client_type(c) == t) {
            out.push_str(&client_info_line(c, now, s.srv.blocking.unblocked.contains(&c.id)));
            out.push('\n');
        }
    } else if rest.len() > 1 && is(&rest[0], "id") {
        for arg in &rest[1..] {
            let id = object::get_long_long(arg, Some("Invalid client ID"))?;
            if let Some(c) = s.client(ClientId(id as u64)) {
                out.push_str(&client_info_line(c, now, s.srv.blocking.unblocked.contains(&c.id)));
                out.push('\n');
            }
        }
    } else if !rest.is_empty() {
        return Err(error(err::SYNTAX));
    } else {
        for c in s.clients() {
            out.push_str(&client_info_line(c, now, s.srv.blocking.unblocked.contains(&c.id)));
            out.push('\n');
        }
    }
    Ok(Reply::bulk(out))
}

/// `CLIENT KILL addr` (old form: OK or "No such client", may kill itself) or
/// `CLIENT KILL <filter> <value> …` (new form: the number killed; SKIPME yes by default).
pub fn client_kill(s: &mut Store, a: &mut Args) -> CmdResult {
    a.next()?;
    let rest = a.rest();
    let me = s.srv.current;
    let mut addr: Option<&[u8]> = None;
    let mut laddr: Option<&[u8]> = None;
    let mut ty: Option<ClientType> = None;
    let mut id: Option<u64> = None;
    let mut skipme = true;
    let old_form = rest.len() == 1;
    if old_form {
        addr = Some(&rest[0]);
        skipme = false;
    } else {
        let mut i = 0;
        while i < rest.len() {
            let opt = &rest[i];
            let Some(value) = rest.get(i + 1) else {
                return Err(error(err::SYNTAX));
            };
            if is(opt, "id") {
                let v = object::get_range_long(value, 1, i64::MAX, Some("client-id should be greater than 0"))?;
                id = Some(v as u64);
            } else if is(opt, "type") {
                ty = Some(client_type_by_name(value).ok_or_else(|| unknown_type(value))?);
            } else if is(opt, "addr") {
                addr = Some(value);
            } else if is(opt, "laddr") {
                laddr = Some(value);
            } else if is(opt, "user") {
                if c_str(value) != b"default" {
                    return Err(Reply::Error(format!("ERR No such user '{}'", String::from_utf8_lossy(c_str(value)))));
                }
            } else if is(opt, "skipme") {
                if is(value, "yes") {
                    skipme = true;
                } else if is(value, "no") {
                    skipme = false;
                } else {
                    return Err(error(err::SYNTAX));
                }
            } else {
                return Err(error(err::SYNTAX));
            }
            i += 2;
        }
    }
    let victims: Vec<ClientId> = s
        .clients()
        .filter(|c| addr.is_none_or(|x| c_str(x) == client_addr(c.id).as_bytes()))
        .filter(|_| laddr.is_none_or(|x| c_str(x) == LADDR.as_bytes()))
        .filter(|c| ty.is_none_or(|t| client_type(c) == t))
        .filter(|c| id.is_none_or(|x| c.id.0 == x))
        .filter(|c| !(c.id == me && skipme))
        .map(|c| c.id)
        .collect();
    let killed = victims.len();
    for v in victims {
        if v == me {
            s.close_after_reply();
        } else {
            s.close_client(v, false);
        }
    }
    if old_form {
        if killed == 0 {
            Err(error("ERR No such client"))
        } else {
            Ok(Reply::ok())
        }
    } else {
        Ok(Reply::Integer(killed as i64))
    }
}

/// `clientSetName`: printable ASCII without spaces; empty clears the name.
pub fn client_setname(s: &mut Store, a: &mut Args) -> CmdResult {
    a.next()?;
    let name = a.next()?;
    if name.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        return Err(error("ERR Client names cannot contain spaces, newlines or special characters."));
    }
    if let Some(c) = s.current_client_mut() {
        c.name = if name.is_empty() { None } else { Some(name.to_vec()) };
    }
    Ok(Reply::ok())
}

pub fn client_getname(s: &mut Store, _a: &mut Args) -> CmdResult {
    Ok(s.current_client().and_then(|c| c.name.clone()).map_or(Reply::Nil, Reply::Bulk))
}

/// `CLIENT UNBLOCK id [TIMEOUT|ERROR]`: 1 if that client was blocked and is now answered.
pub fn client_unblock(s: &mut Store, a: &mut Args) -> CmdResult {
    a.next()?;
    let target = a.next()?;
    let mut as_error = false;
    if a.remaining() > 1 {
        let sub = c_str(&a.argv()[1]);
        let cmd = String::from_utf8_lossy(c_str(&a.argv()[0])).to_ascii_uppercase();
        return Err(Reply::Error(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try {cmd} HELP.",
            String::from_utf8_lossy(&sub[..sub.len().min(128)])
        )));
    }
    if let Some(reason) = a.peek() {
        if is(reason, "timeout") {
            as_error = false;
        } else if is(reason, "error") {
            as_error = true;
        } else {
            return Err(error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"));
        }
    }
    let id = ClientId(object::get_long_long(target, None)? as u64);
    if !s.client(id).is_some_and(Client::is_blocked) {
        return Ok(Reply::Integer(0));
    }
    if as_error {
        s.write_frame(id, Reply::error("UNBLOCKED client unblocked via CLIENT UNBLOCK"));
    } else {
        s.reply_blocked_timed_out(id);
    }
    s.unblock_client(id);
    Ok(Reply::Integer(1))
}

pub fn client_getredir(_s: &mut Store, _a: &mut Args) -> CmdResult {
    Ok(Reply::Integer(-1))
}

pub fn client_no_evict(s: &mut Store, a: &mut Args) -> CmdResult {
    a.next()?;
    let v = a.next()?;
    let on = if is(v, "on") {
        true
    } else if is(v, "off") {
        false
    } else {
        return Err(error(err::SYNTAX));
    };
    if let Some(c) = s.current_client_mut() {
        c.flags.no_evict = on;
    }
    Ok(Reply::ok())
}

/// CLIENT subcommands a real server has and the model does not (REPLY, PAUSE, TRACKING…).
pub fn client_not_modeled(_s: &mut Store, a: &mut Args) -> CmdResult {
    let sub = String::from_utf8_lossy(c_str(a.next()?)).to_ascii_uppercase();
    Err(Reply::Error(format!(
        "ERR CLIENT {sub} is not modeled by the playground (modeled: ID, INFO, LIST, KILL, SETNAME, GETNAME, UNBLOCK, GETREDIR, NO-EVICT)"
    )))
}

/// `addReplyHelp`: the header, the lines, then HELP's own two lines.
pub fn help_reply(argv0: &[u8], lines: &[&str]) -> Reply {
    let cmd = String::from_utf8_lossy(c_str(argv0)).to_ascii_uppercase();
    let mut out = vec![Reply::Status(format!("{cmd} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"))];
    out.extend(lines.iter().map(|l| Reply::Status((*l).to_string())));
    out.push(Reply::Status("HELP".into()));
    out.push(Reply::Status("    Prints this help.".into()));
    Reply::Array(out)
}

pub fn client_help(_s: &mut Store, a: &mut Args) -> CmdResult {
    Ok(help_reply(
        &a.argv()[0],
        &[
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Control server assisted client side caching.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
        ],
    ))
}

/// `resetCommand` / `clearClientConnectionState`: database 0, no transaction, no WATCH, no
/// subscriptions, no name.
pub fn reset(s: &mut Store, _a: &mut Args) -> CmdResult {
    let id = s.srv.current;
    if let Some(c) = s.current_client_mut() {
        c.db = 0;
    }
    s.activate_db(0);
    s.discard_transaction(id);
    s.unsubscribe_all_channels(id, false, crate::redis::pubsub::Kind::Plain);
    s.unsubscribe_all_channels(id, false, crate::redis::pubsub::Kind::Shard);
    s.unsubscribe_all_patterns(id, false);
    if let Some(c) = s.current_client_mut() {
        c.name = None;
    }
    Ok(Reply::Status("RESET".into()))
}

/// `quitCommand`: OK, then the server closes the connection.
pub fn quit(s: &mut Store, _a: &mut Args) -> CmdResult {
    s.close_after_reply();
    Ok(Reply::ok())
}

#[cfg(test)]
mod tests {
    use crate::redis::server::run_clients;
    use expect_test::expect;

    #[test]
    fn client_list_has_redis_7_0s_line_format_for_the_fields_the_model_knows() {
        expect![[r#"
            A: CLIENT SETNAME worker -> OK
            B: SUBSCRIBE ch -> ["subscribe", "ch", (integer) 1]
            C: MULTI -> OK
            C: GET k -> QUEUED
            D: BLPOP q 0 -> (blocked)
            A: CLIENT LIST -> "id=3 addr=127.0.0.1:40003 laddr=127.0.0.1:6379 fd=10 name=worker age=0 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 cmd=client|list user=default redir=-1 resp=2\nid=4 addr=127.0.0.1:40004 laddr=127.0.0.1:6379 fd=11 name= age=0 idle=0 flags=P db=0 sub=1 psub=0 ssub=0 multi=-1 cmd=subscribe user=default redir=-1 resp=2\nid=5 addr=127.0.0.1:40005 laddr=127.0.0.1:6379 fd=12 name= age=0 idle=0 flags=x db=0 sub=0 psub=0 ssub=0 multi=1 cmd=get user=default redir=-1 resp=2\nid=6 addr=127.0.0.1:40006 laddr=127.0.0.1:6379 fd=13 name= age=0 idle=0 flags=b db=0 sub=0 psub=0 ssub=0 multi=-1 cmd=blpop user=default redir=-1 resp=2\n"
        "#]]
        .assert_eq(&run_clients("A: CLIENT SETNAME worker\nB: SUBSCRIBE ch\nC: MULTI\nC: GET k\nD: BLPOP q 0\nA: CLIENT LIST"));
    }

    #[test]
    fn reset_returns_the_connection_to_a_new_ones_state() {
        expect![[r#"
            A: SELECT 2 -> OK
            A: CLIENT SETNAME n -> OK
            A: SUBSCRIBE ch -> ["subscribe", "ch", (integer) 1]
            A: RESET -> RESET
            A: CLIENT INFO -> "id=3 addr=127.0.0.1:40003 laddr=127.0.0.1:6379 fd=10 name= age=0 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 cmd=client|info user=default redir=-1 resp=2\n"
        "#]]
        .assert_eq(&run_clients("A: SELECT 2\nA: CLIENT SETNAME n\nA: SUBSCRIBE ch\nA: RESET\nA: CLIENT INFO"));
    }
}
