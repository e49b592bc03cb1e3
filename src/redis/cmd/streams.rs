//! Stream commands (t_stream.c): XADD, XLEN, XRANGE/XREVRANGE, XDEL, XTRIM, XSETID, XREAD and
//! XREADGROUP (with BLOCK, served through `blocking.rs`), XGROUP, XACK, XPENDING, XCLAIM,
//! XAUTOCLAIM, XINFO. Argument parsing follows the C code step by step, so errors come in Redis's
//! order with Redis's texts. The data type is `redis::stream`.

use crate::redis::args::{c_str, err, error, is, Args, CmdResult};
use crate::redis::blocking::BlockedOp;
use crate::redis::client::ClientId;
use crate::redis::object::{self, TimeoutUnit};
use crate::redis::reply::Reply;
use crate::redis::store::Store;
use crate::redis::stream::{
    parse_id, Consumer, Fields, Group, IdForm, Nack, NodeLimits, Stream, StreamId, Trim, TrimStrategy,
    INVALID_ENTRIES_READ, INVALID_ID,
};
use crate::redis::value::{KeyType, Value};

fn id_reply(id: StreamId) -> Reply {
    Reply::bulk(id.to_string().into_bytes())
}

fn fields_reply(fields: &Fields) -> Reply {
    Reply::Array(fields.iter().flat_map(|(f, v)| [Reply::bulk(f.clone()), Reply::bulk(v.clone())]).collect())
}

fn entry_reply(id: StreamId, fields: &Fields) -> Reply {
    Reply::Array(vec![id_reply(id), fields_reply(fields)])
}

/// `lookupKeyRead` + `checkType`.
fn read_stream<'s>(s: &'s mut Store, key: &[u8]) -> Result<Option<&'s Stream>, Reply> {
    match s.read(key) {
        None => Ok(None),
        Some(Value::Stream(st)) => Ok(Some(st)),
        Some(_) => Err(error(err::WRONGTYPE)),
    }
}

/// `lookupKeyWrite` + `checkType`.
pub(crate) fn write_stream<'s>(s: &'s mut Store, key: &[u8]) -> Result<Option<&'s mut Stream>, Reply> {
    match s.write(key) {
        None => Ok(None),
        Some(Value::Stream(st)) => Ok(Some(st)),
        Some(_) => Err(error(err::WRONGTYPE)),
    }
}

fn strict_id(arg: &[u8]) -> Result<StreamId, Reply> {
    parse_id(arg, 0, IdForm::Strict).map(|(id, _)| id).ok_or_else(|| error(INVALID_ID))
}

/// `streamParseIntervalIDOrReply`: `(` makes the bound exclusive (and strict).
fn interval_id(arg: &[u8], missing_seq: u64) -> Result<(StreamId, bool), Reply> {
    if arg.len() > 1 && arg[0] == b'(' {
        let id = parse_id(&arg[1..], missing_seq, IdForm::Strict).ok_or_else(|| error(INVALID_ID))?;
        Ok((id.0, true))
    } else {
        let id = parse_id(arg, missing_seq, IdForm::Range).ok_or_else(|| error(INVALID_ID))?;
        Ok((id.0, false))
    }
}

/// The start of a range: inclusive, `(id` moves to the next ID.
fn range_start(arg: &[u8]) -> Result<StreamId, Reply> {
    let (id, ex) = interval_id(arg, 0)?;
    if ex {
        return id.incr().ok_or_else(|| error("ERR invalid start ID for the interval"));
    }
    Ok(id)
}

fn range_end(arg: &[u8]) -> Result<StreamId, Reply> {
    let (id, ex) = interval_id(arg, u64::MAX)?;
    if ex {
        return id.decr().ok_or_else(|| error("ERR invalid end ID for the interval"));
    }
    Ok(id)
}

fn node_limits(s: &Store) -> NodeLimits {
    NodeLimits {
        max_bytes: u64::try_from(s.config_int("stream-node-max-bytes")).unwrap_or(0),
        max_entries: u64::try_from(s.config_int("stream-node-max-entries")).unwrap_or(0),
    }
}

fn now_u64(s: &Store) -> u64 {
    u64::try_from(s.now_ms).unwrap_or(0)
}

// ---- XADD / XTRIM ---------------------------------------------------------------------------

/// What `streamParseAddOrTrimArgsOrReply` returns.
struct AddTrimArgs {
    trim: Trim,
    /// Position of the ID argument (XADD).
    idpos: usize,
    id: Option<(StreamId, bool)>,
    no_mkstream: bool,
}

fn parse_add_or_trim(s: &Store, argv: &[Vec<u8>], xadd: bool) -> Result<AddTrimArgs, Reply> {
    let mut t = Trim::default();
    let (mut id, mut no_mkstream, mut limit_given) = (None, false, false);
    let mut i = 2;
    while i < argv.len() {
        let moreargs = argv.len() - 1 - i;
        let opt = &argv[i];
        if xadd && c_str(opt) == b"*" {
            break;
        } else if (is(opt, "maxlen") || is(opt, "minid")) && moreargs > 0 {
            if t.strategy != TrimStrategy::None {
                return Err(error("ERR syntax error, MAXLEN and MINID options at the same time are not compatible"));
            }
            t.approx = false;
            let next = c_str(&argv[i + 1]);
            if moreargs >= 2 && next == b"~" {
                t.approx = true;
                i += 1;
            } else if moreargs >= 2 && next == b"=" {
                i += 1;
            }
            if is(opt, "maxlen") {
                let n = object::get_long_long(&argv[i + 1], None)?;
                if n < 0 {
                    return Err(error("ERR The MAXLEN argument must be >= 0."));
                }
                t.strategy = TrimStrategy::MaxLen(n as u64);
            } else {
                t.strategy = TrimStrategy::MinId(strict_id(&argv[i + 1])?);
            }
            i += 1;
        } else if is(opt, "limit") && moreargs > 0 {
            let n = object::get_long_long(&argv[i + 1], None)?;
            if n < 0 {
                return Err(error("ERR The LIMIT argument must be >= 0."));
            }
            t.limit = n as u64;
            limit_given = true;
            i += 1;
        } else if xadd && is(opt, "nomkstream") {
            no_mkstream = true;
        } else if xadd {
            let parsed = parse_id(opt, 0, IdForm::Add).ok_or_else(|| error(INVALID_ID))?;
            id = Some(parsed);
            break;
        } else {
            return Err(error(err::SYNTAX));
        }
        i += 1;
    }
    if t.limit > 0 && t.strategy == TrimStrategy::None {
        return Err(error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"));
    }
    if !xadd && t.strategy == TrimStrategy::None {
        return Err(error("ERR syntax error, XTRIM must be called with a trimming strategy"));
    }
    if limit_given {
        if !t.approx {
            return Err(error("ERR syntax error, LIMIT cannot be used without the special ~ option"));
        }
    } else if t.approx {
        let per_node = s.config_int("stream-node-max-entries");
        let mut limit = 100i64.saturating_mul(per_node);
        if limit <= 0 {
            limit = 10_000;
        }
        t.limit = limit.min(1_000_000) as u64;
    } else {
        t.limit = 0;
    }
    Ok(AddTrimArgs { trim: t, idpos: i, id, no_mkstream })
}

pub fn xadd(s: &mut Store, a: &mut Args) -> CmdResult {
    let argv = a.argv();
    let p = parse_add_or_trim(s, argv, true)?;
    let field_pos = p.idpos + 1;
    let n = argv.len().saturating_sub(field_pos);
    if field_pos > argv.len() || n < 2 || n % 2 == 1 {
        return Err(error("ERR wrong number of arguments for 'xadd' command"));
    }
    if let Some((id, true)) = p.id {
        if id.is_zero() {
            return Err(error("ERR The ID specified in XADD must be greater than 0-0"));
        }
    }
    let key = &argv[1];
    if write_stream(s, key)?.is_none() {
        if p.no_mkstream {
            return Ok(Reply::Nil);
        }
        s.db_add(key, Value::Stream(Box::default()));
    }
    let limits = node_limits(s);
    let now = now_u64(s);
    let st = write_stream(s, key)?.expect("created above");
    if st.last_id == StreamId::MAX {
        return Err(error("ERR The stream has exhausted the last possible ID, unable to add more items"));
    }
    let fields: Fields = argv[field_pos..].chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect();
    let id = st.append(fields, p.id, now, limits).map_err(|e| match e {
        crate::redis::stream::AppendError::NotGreater => {
            error("ERR The ID specified in XADD is equal or smaller than the target stream top item")
        }
        crate::redis::stream::AppendError::TooLarge => error("ERR Elements are too large to be stored"),
    })?;
    st.trim(p.trim);
    s.signal_modified(key);
    s.signal_key_as_ready(key, KeyType::Stream);
    Ok(id_reply(id))
}

pub fn xtrim(s: &mut Store, a: &mut Args) -> CmdResult {
    let argv = a.argv();
    let p = parse_add_or_trim(s, argv, false)?;
    let key = &argv[1];
    let Some(st) = write_stream(s, key)? else { return Ok(Reply::Integer(0)) };
    let deleted = st.trim(p.trim);
    if deleted > 0 {
        s.signal_modified(key);
    }
    Ok(Reply::Integer(deleted as i64))
}

pub fn xlen(s: &mut Store, a: &mut Args) -> CmdResult {
    let key = a.next()?;
    Ok(Reply::Integer(read_stream(s, key)?.map_or(0, |st| st.len() as i64)))
}

fn xrange_generic(s: &mut Store, a: &mut Args, rev: bool) -> CmdResult {
    let argv = a.argv();
    let (start_arg, end_arg) = if rev { (&argv[3], &argv[2]) } else { (&argv[2], &argv[3]) };
    let start = range_start(start_arg)?;
    let end = range_end(end_arg)?;
    let mut count: i64 = -1;
    let mut j = 4;
    while j < argv.len() {
        if c_str(&argv[j]).eq_ignore_ascii_case(b"count") && j + 1 < argv.len() {
            count = object::get_long_long(&argv[j + 1], None)?.max(0);
            j += 2;
        } else {
            return Err(error(err::SYNTAX));
        }
    }
    let Some(st) = read_stream(s, &argv[1])? else { return Ok(Reply::Array(vec![])) };
    if count == 0 {
        return Ok(Reply::NilArray);
    }
    let take = if count < 0 { usize::MAX } else { count as usize };
    Ok(Reply::Array(st.range(start, end, rev).take(take).map(|(id, f)| entry_reply(*id, f)).collect()))
}

pub fn xrange(s: &mut Store, a: &mut Args) -> CmdResult {
    xrange_generic(s, a, false)
}
pub fn xrevrange(s: &mut Store, a: &mut Args) -> CmdResult {
    xrange_generic(s, a, true)
}

pub fn xdel(s: &mut Store, a: &mut Args) -> CmdResult {
    let argv = a.argv();
    let key = &argv[1];
    if write_stream(s, key)?.is_none() {
        return Ok(Reply::Integer(0));
    }
    let ids = argv[2..].iter().map(|x| strict_id(x)).collect::<Result<Vec<_>, _>>()?;
    let st = write_stream(s, key)?.expect("checked above");
    let deleted = st.xdel(&ids);
    if deleted > 0 {
        s.signal_modified(key);
    }
    Ok(Reply::Integer(deleted as i64))
}

pub fn xsetid(s: &mut Store, a: &mut Args) -> CmdResult {
    let argv = a.argv();
    let id = strict_id(&argv[2])?;
    let (mut entries_added, mut max_xdel) = (-1i64, StreamId::MIN);
    let mut i = 3;
    while i < argv.len() {
        let more = argv.len() - 1 - i > 0;
        if is(&argv[i], "entriesadded") && more {
            entries_added = object::get_long_long(&argv[i + 1], None)?;
            if entries_added < 0 {
                return Err(error("ERR entries_added must be positive"));
            }
        } else if is(&argv[i], "maxdeletedid") && more {
            max_xdel = strict_id(&argv[i + 1])?;
            if id < max_xdel {
                return Err(error("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"));
            }
        } else {
            return Err(error(err::SYNTAX));
        }
        i += 2;
    }
    let key = &argv[1];
    let Some(st) = write_stream(s, key)? else { return Err(error(err::NO_SUCH_KEY)) };
    if let Some((&top, _)) = st.last_entry() {
        if id < top {
            return Err(error("ERR The ID specified in XSETID is smaller than the target stream top item"));
        }
        if entries_added != -1 && st.len() as i64 > entries_added {
            return Err(error("ERR The entries_added specified in XSETID is smaller than the target stream length"));
        }
    }
    st.last_id = id;
    if entries_added != -1 {
        st.entries_added = entries_added as u64;
    }
    if !max_xdel.is_zero() {
        st.max_deleted_entry_id = max_xdel;
    }
    Ok(Reply::ok())
}

// ---- consumer groups: delivery --------------------------------------------------------------

/// `streamLookupConsumer` (refreshing its seen time) or `streamCreateConsumer`.
fn consumer_for<'g>(g: &'g mut Group, name: &[u8], now: i64) -> &'g mut Consumer {
    let c = g.consumers.get_or_insert_with(name.to_vec(), || Consumer { seen_time: now, pel: Default::default() });
    c.seen_time = now;
    c
}

/// `streamReplyWithRange` with a group: entries after `start` (at most `count`, 0 for all),
/// advancing the group's last ID and read counter and adding them to the PELs unless `noack`.
fn deliver_new(
    st: &mut Stream,
    group: &[u8],
    consumer: &[u8],
    start: StreamId,
    count: usize,
    noack: bool,
    now: i64,
) -> Reply {
    let take = if count == 0 { usize::MAX } else { count };
    let picked: Vec<(StreamId, Fields)> =
        st.entries().range(start..).take(take).map(|(id, f)| (*id, f.clone())).collect();
    let mut out = Vec::with_capacity(picked.len());
    for (id, fields) in picked {
        let tomb = st.range_has_tombstones(Some(id), None);
        let estimate = st.estimate_distance(id);
        let added = st.entries_added;
        let g = st.groups.get_mut(group).expect("the caller found the group");
        if id > g.last_id {
            if g.entries_read != INVALID_ENTRIES_READ && !tomb {
                g.entries_read += 1;
            } else if added > 0 {
                g.entries_read = estimate;
            }
            g.last_id = id;
        }
        out.push(entry_reply(id, &fields));
        if !noack {
            match g.pel.get_mut(&id) {
                Some(nack) => {
                    let old = std::mem::replace(&mut nack.consumer, consumer.to_vec());
                    nack.delivery_time = now;
                    nack.delivery_count = 1;
                    if let Some(c) = g.consumers.get_mut(&old) {
                        c.pel.remove(&id);
                    }
                }
                None => {
                    g.pel.insert(id, Nack { delivery_time: now, delivery_count: 1, consumer: consumer.to_vec() });
                }
            }
            if let Some(c) = g.consumers.get_mut(consumer) {
                c.pel.insert(id);
            }
        }
    }
    Reply::Array(out)
}

/// `streamReplyWithRangeFromConsumerPEL`: the consumer's own pending entries from `start`.
fn deliver_history(st: &mut Stream, group: &[u8], consumer: &[u8], start: StreamId, count: usize, now: i64) -> Reply {
    let ids: Vec<StreamId> = {
        let g = &st.groups[group];
        let c = &g.consumers[consumer];
        let take = if count == 0 { usize::MAX } else { count };
        c.pel.range(start..).take(take).copied().collect()
    };
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        match st.get(&id).cloned() {
            Some(fields) => {
                out.push(entry_reply(id, &fields));
                if let Some(n) = st.groups.get_mut(group).and_then(|g| g.pel.get_mut(&id)) {
                    n.delivery_time = now;
                    n.delivery_count += 1;
                }
            }
            None => out.push(Reply::Array(vec![id_reply(id), Reply::NilArray])),
        }
    }
    Reply::Array(out)
}

// ---- XREAD / XREADGROUP ---------------------------------------------------------------------

/// `XREAD_BLOCKED_DEFAULT_COUNT`.
const BLOCKED_DEFAULT_COUNT: u64 = 1000;

/// A group read's names, for blocking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupRead {
    pub group: Vec<u8>,
    pub consumer: Vec<u8>,
    pub noack: bool,
}

fn xread_generic(s: &mut Store, a: &mut Args, xreadgroup: bool) -> CmdResult {
    let argv = a.argv();
    let (mut timeout, mut count, mut streams_arg, mut noack) = (None::<u64>, 0i64, 0usize, false);
    let mut group: Option<(&[u8], &[u8])> = None;
    let mut i = 1;
    while i < argv.len() {
        let moreargs = argv.len() - i - 1;
        let o = &argv[i];
        if is(o, "block") && moreargs > 0 {
            // `CLIENT_SCRIPT`: refused before the timeout is read, with or without data, in the
            // command's name as the script wrote it.
            if s.current_client().is_some_and(|c| c.in_script()) {
                return Err(Reply::Error(format!(
                    "ERR {} command is not allowed with BLOCK option from scripts",
                    String::from_utf8_lossy(c_str(&argv[0]))
                )));
            }
            i += 1;
            timeout = Some(object::get_timeout(&argv[i], TimeoutUnit::Milliseconds, s.now_ms)? as u64);
        } else if is(o, "count") && moreargs > 0 {
            i += 1;
            count = object::get_long_long(&argv[i], None)?.max(0);
        } else if is(o, "streams") && moreargs > 0 {
            streams_arg = i + 1;
            if !(argv.len() - streams_arg).is_multiple_of(2) {
                return Err(error(
                    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                ));
            }
            break;
        } else if is(o, "group") && moreargs >= 2 {
            if !xreadgroup {
                return Err(error("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."));
            }
            group = Some((&argv[i + 1], &argv[i + 2]));
            i += 2;
        } else if is(o, "noack") {
            if !xreadgroup {
                return Err(error("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."));
            }
            noack = true;
        } else {
            return Err(error(err::SYNTAX));
        }
        i += 1;
    }
    if streams_arg == 0 {
        return Err(error(err::SYNTAX));
    }
    if xreadgroup && group.is_none() {
        return Err(error("ERR Missing GROUP option for XREADGROUP"));
    }
    let n = (argv.len() - streams_arg) / 2;
    let keys = &argv[streams_arg..streams_arg + n];
    let mut ids = Vec::with_capacity(n);
    for (j, key) in keys.iter().enumerate() {
        let arg = &argv[streams_arg + n + j];
        let last_id =
            read_stream(s, key)?.map(|st| (st.last_id, group.is_some_and(|(g, _)| st.groups.contains_key(g))));
        if let Some((g, _)) = group {
            if !last_id.is_some_and(|(_, has)| has) {
                return Err(Reply::Error(format!(
                    "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
                    String::from_utf8_lossy(c_str(key)),
                    String::from_utf8_lossy(c_str(g))
                )));
            }
        }
        if c_str(arg) == b"$" {
            if xreadgroup {
                return Err(error("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."));
            }
            ids.push(last_id.map_or(StreamId::MIN, |(l, _)| l));
            continue;
        } else if c_str(arg) == b">" {
            if !xreadgroup {
                return Err(error("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."));
            }
            ids.push(StreamId::MAX);
            continue;
        }
        ids.push(strict_id(arg)?);
    }
    let now = s.now_ms;
    let mut out = Vec::new();
    for (j, key) in keys.iter().enumerate() {
        let Some(st) = read_stream(s, key)? else { continue };
        let mut gt = ids[j];
        let (mut serve, mut history) = (false, false);
        if let Some((g, _)) = group {
            if gt != StreamId::MAX {
                serve = true;
                history = true;
            } else if let Some((&maxid, _)) = st.last_entry() {
                let last = st.groups[g].last_id;
                if maxid > last {
                    serve = true;
                    gt = last;
                }
            }
        } else if let Some((&maxid, _)) = st.last_entry() {
            serve = maxid > gt;
        }
        if !serve {
            continue;
        }
        let start = gt.incr().unwrap_or(StreamId::MIN);
        let entries = match group {
            Some((g, c)) => {
                let Some(Value::Stream(st)) = s.write(key) else { continue };
                let grp = st.groups.get_mut(g).expect("checked above");
                consumer_for(grp, c, now);
                if history {
                    deliver_history(st, g, c, start, count as usize, now)
                } else {
                    deliver_new(st, g, c, start, count as usize, noack, now)
                }
            }
            None => {
                let take = if count == 0 { usize::MAX } else { count as usize };
                Reply::Array(
                    st.range(start, StreamId::MAX, false).take(take).map(|(id, f)| entry_reply(*id, f)).collect(),
                )
            }
        };
        out.push(Reply::Array(vec![Reply::bulk(key.clone()), entries]));
    }
    if !out.is_empty() {
        return Ok(Reply::Array(out));
    }
    if let Some(deadline) = timeout {
        if s.current_client().is_some_and(|c| c.denies_blocking()) {
            return Ok(Reply::NilArray);
        }
        let count = if count > 0 { count as u64 } else { BLOCKED_DEFAULT_COUNT };
        let group = group.map(|(g, c)| GroupRead { group: g.to_vec(), consumer: c.to_vec(), noack });
        let key_refs: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
        // `blockForKeys`: a key named twice keeps its first ID.
        let mut per_key: Vec<(Box<[u8]>, StreamId)> = Vec::with_capacity(n);
        for (k, id) in keys.iter().zip(&ids) {
            if !per_key.iter().any(|(x, _)| **x == **k) {
                per_key.push((k.as_slice().into(), *id));
            }
        }
        s.block_client(BlockedOp::Stream { ids: per_key, count, group }, &key_refs, deadline);
        return Ok(Reply::NilArray);
    }
    Ok(Reply::NilArray)
}

pub fn xread(s: &mut Store, a: &mut Args) -> CmdResult {
    xread_generic(s, a, false)
}
pub fn xreadgroup(s: &mut Store, a: &mut Args) -> CmdResult {
    xread_generic(s, a, true)
}

/// `serveClientsBlockedOnStreamKey` for one waiter: true when it was answered (and is to be
/// unblocked), false when the stream has nothing new for it yet.
pub(crate) fn serve_stream_waiter(s: &mut Store, receiver: ClientId, key: &[u8], op: &BlockedOp) -> bool {
    let BlockedOp::Stream { ids, count, group } = op else { return false };
    let now = s.now_ms;
    let Some(Value::Stream(st)) = s.db.get_mut(key) else { return false };
    let mut gt = ids.iter().find(|(k, _)| **k == *key).map_or(StreamId::MIN, |(_, id)| *id);
    if let Some(g) = group {
        match st.groups.get(&g.group) {
            None => {
                s.write_frame(
                    receiver,
                    error("NOGROUP the consumer group this client was blocked on no longer exists"),
                );
                return true;
            }
            Some(grp) => gt = grp.last_id,
        }
    }
    if st.last_id <= gt {
        return false;
    }
    let start = gt.incr().unwrap_or(StreamId::MIN);
    let entries = match group {
        Some(g) => {
            consumer_for(st.groups.get_mut(&g.group).expect("found above"), &g.consumer, now);
            deliver_new(st, &g.group, &g.consumer, start, *count as usize, g.noack, now)
        }
        None => Reply::Array(
            st.range(start, StreamId::MAX, false).take(*count as usize).map(|(id, f)| entry_reply(*id, f)).collect(),
        ),
    };
    s.write_frame(receiver, Reply::Array(vec![Reply::Array(vec![Reply::bulk(key.to_vec()), entries])]));
    true
}

// ---- XGROUP ---------------------------------------------------------------------------------

fn subcommand_syntax_error(argv: &[Vec<u8>]) -> Reply {
    let cmd = String::from_utf8_lossy(c_str(&argv[0])).to_ascii_uppercase();
    Reply::Error(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try {cmd} HELP.",
        String::from_utf8_lossy(&c_str(&argv[1])[..c_str(&argv[1]).len().min(128)])
    ))
}

fn nogroup_for_key(group: &[u8], key: &[u8]) -> Reply {
    Reply::Error(format!(
        "NOGROUP No such consumer group '{}' for key name '{}'",
        String::from_utf8_lossy(c_str(group)),
        String::from_utf8_lossy(c_str(key))
    ))
}

/// `xgroupCommand`: every XGROUP subcommand.
pub fn xgroup(s: &mut Store, a: &mut Args) -> CmdResult {
    let argv = a.argv();
    let opt = &argv[1];
    if is(opt, "help") {
        return Ok(super::connection::help_reply(
            &argv[0],
            &[
                "CREATE <key> <groupname> <id|$> [option]",
                "    Create a new consumer group. Options are:",
                "    * MKSTREAM",
                "      Create the empty stream if it does not exist.",
                "    * ENTRIESREAD entries_read",
                "      Set the group's entries_read counter (internal use).",
                "CREATECONSUMER <key> <groupname> <consumer>",
                "    Create a new consumer in the specified group.",
                "DELCONSUMER <key> <groupname> <consumer>",
                "    Remove the specified consumer.",
                "DESTROY <key> <groupname>",
                "    Remove the specified group.",
                "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
                "    Set the current group ID and entries_read counter.",
            ],
        ));
    }
    let (create, setid) = (is(opt, "create"), is(opt, "setid"));
    let (mut mkstream, mut entries_read) = (false, INVALID_ENTRIES_READ);
    let mut i = 5;
    while i < argv.len() {
        if create && is(&argv[i], "mkstream") {
            mkstream = true;
            i += 1;
        } else if (create || setid) && is(&argv[i], "entriesread") && i + 1 < argv.len() {
            entries_read = object::get_long_long(&argv[i + 1], None)?;
            if entries_read < 0 && entries_read != INVALID_ENTRIES_READ {
                return Err(error("ERR value for ENTRIESREAD must be positive or -1"));
            }
            i += 2;
        } else {
            return Err(subcommand_syntax_error(argv));
        }
    }
    let key = &argv[2];
    let grp = &argv[3];
    let exists = write_stream(s, key)?.is_some();
    if !mkstream {
        if !exists {
            return Err(error("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."));
        }
        let has = write_stream(s, key)?.is_some_and(|st| st.groups.contains_key(grp.as_slice()));
        if !has && (setid || is(opt, "createconsumer") || is(opt, "delconsumer")) {
            return Err(nogroup_for_key(grp, key));
        }
    }
    let now = s.now_ms;
    if create && (5..=8).contains(&argv.len()) {
        let id = if c_str(&argv[4]) == b"$" {
            write_stream(s, key)?.map_or(StreamId::MIN, |st| st.last_id)
        } else {
            strict_id(&argv[4])?
        };
        if !exists {
            s.db_add(key, Value::Stream(Box::default()));
            s.signal_modified(key);
        }
        let st = write_stream(s, key)?.expect("exists or was created");
        if st.groups.contains_key(grp.as_slice()) {
            return Err(error("BUSYGROUP Consumer Group name already exists"));
        }
        st.groups.insert(grp.clone(), Group::new(id, entries_read));
        return Ok(Reply::ok());
    }
    if setid && (argv.len() == 5 || argv.len() == 7) {
        let last = write_stream(s, key)?.map_or(StreamId::MIN, |st| st.last_id);
        let id = if c_str(&argv[4]) == b"$" {
            last
        } else {
            parse_id(&argv[4], 0, IdForm::Range).ok_or_else(|| error(INVALID_ID))?.0
        };
        let st = write_stream(s, key)?.expect("checked above");
        let g = st.groups.get_mut(grp.as_slice()).expect("checked above");
        g.last_id = id;
        g.entries_read = entries_read;
        return Ok(Reply::ok());
    }
    if is(opt, "destroy") && argv.len() == 4 {
        let st = write_stream(s, key)?.expect("checked above");
        if st.groups.remove(grp.as_slice()).is_some() {
            // Clients blocked in XREADGROUP on this group get -NOGROUP.
            s.signal_key_as_ready(key, KeyType::Stream);
            return Ok(Reply::Integer(1));
        }
        return Ok(Reply::Integer(0));
    }
    if is(opt, "createconsumer") && argv.len() == 5 {
        let st = write_stream(s, key)?.expect("checked above");
        let g = st.groups.get_mut(grp.as_slice()).expect("checked above");
        if g.consumers.contains_key(argv[4].as_slice()) {
            return Ok(Reply::Integer(0));
        }
        g.consumers.insert(argv[4].clone(), Consumer { seen_time: now, pel: Default::default() });
        return Ok(Reply::Integer(1));
    }
    if is(opt, "delconsumer") && argv.len() == 5 {
        let st = write_stream(s, key)?.expect("checked above");
        let g = st.groups.get_mut(grp.as_slice()).expect("checked above");
        let Some(c) = g.consumers.remove(argv[4].as_slice()) else { return Ok(Reply::Integer(0)) };
        for id in &c.pel {
            g.pel.remove(id);
        }
        return Ok(Reply::Integer(c.pel.len() as i64));
    }
    Err(subcommand_syntax_error(argv))
}

// ---- XACK / XPENDING / XCLAIM / XAUTOCLAIM --------------------------------------------------

pub fn xack(s: &mut Store, a: &mut Args) -> CmdResult {
    let argv = a.argv();
    let has = read_stream(s, &argv[1])?.is_some_and(|st| st.groups.contains_key(argv[2].as_slice()));
    if !has {
        return Ok(Reply::Integer(0));
    }
    let ids = argv[3..].iter().map(|x| strict_id(x)).collect::<Result<Vec<_>, _>>()?;
    let st = write_stream(s, &argv[1])?.expect("checked above");
    let g = st.groups.get_mut(argv[2].as_slice()).expect("checked above");
    let mut acked = 0;
    for id in ids {
        if let Some(n) = g.pel.remove(&id) {
            if let Some(c) = g.consumers.get_mut(&n.consumer) {
                c.pel.remove(&id);
            }
            acked += 1;
        }
    }
    Ok(Reply::Integer(acked))
}

fn nogroup(key: &[u8], group: &[u8]) -> Reply {
    Reply::Error(format!(
        "NOGROUP No such key '{}' or consumer group '{}'",
        String::from_utf8_lossy(c_str(key)),
        String::from_utf8_lossy(c_str(group))
    ))
}

pub fn xpending(s: &mut Store, a: &mut Args) -> CmdResult {
    let argv = a.argv();
    let justinfo = argv.len() == 3;
    if argv.len() != 3 && (argv.len() < 6 || argv.len() > 9) {
        return Err(error(err::SYNTAX));
    }
    let (mut start, mut end, mut count, mut minidle, mut consumer) = (StreamId::MIN, StreamId::MAX, 0i64, 0i64, None);
    if argv.len() >= 6 {
        let mut startidx = 3;
        if is(&argv[3], "idle") {
            minidle = object::get_long_long(&argv[4], None)?;
            if argv.len() < 8 {
                return Err(error(err::SYNTAX));
            }
            startidx += 2;
        }
        count = object::get_long_long(&argv[startidx + 2], None)?.max(0);
        start = range_start(&argv[startidx])?;
        end = range_end(&argv[startidx + 1])?;
        if startidx + 3 < argv.len() {
            consumer = Some(&argv[startidx + 3]);
        }
    }
    let key = &argv[1];
    let gname = &argv[2];
    let now = s.now_ms;
    let st = read_stream(s, key)?;
    let Some(g) = st.and_then(|st| st.groups.get(gname.as_slice())) else { return Err(nogroup(key, gname)) };
    if justinfo {
        if g.pel.is_empty() {
            return Ok(Reply::Array(vec![Reply::Integer(0), Reply::Nil, Reply::Nil, Reply::NilArray]));
        }
        let first = *g.pel.keys().next().expect("not empty");
        let last = *g.pel.keys().next_back().expect("not empty");
        let consumers = g
            .consumers
            .iter()
            .filter(|(_, c)| !c.pel.is_empty())
            .map(|(n, c)| Reply::Array(vec![Reply::bulk(n.clone()), Reply::bulk(c.pel.len().to_string().into_bytes())]))
            .collect();
        return Ok(Reply::Array(vec![
            Reply::Integer(g.pel.len() as i64),
            id_reply(first),
            id_reply(last),
            Reply::Array(consumers),
        ]));
    }
    let ids: Vec<StreamId> = match consumer {
        Some(name) => match g.consumers.get(name.as_slice()) {
            None => return Ok(Reply::Array(vec![])),
            Some(c) => c.pel.iter().copied().collect(),
        },
        None => g.pel.keys().copied().collect(),
    };
    let mut out = Vec::new();
    let mut left = count;
    for id in ids.into_iter().filter(|id| *id >= start) {
        if left == 0 || id > end {
            break;
        }
        let n = &g.pel[&id];
        if minidle != 0 && now - n.delivery_time < minidle {
            continue;
        }
        left -= 1;
        out.push(Reply::Array(vec![
            id_reply(id),
            Reply::bulk(n.consumer.clone()),
            Reply::Integer((now - n.delivery_time).max(0)),
            Reply::Integer(n.delivery_count as i64),
        ]));
    }
    Ok(Reply::Array(out))
}

/// Moves `id`'s pending entry to `consumer` (created when missing), as XCLAIM/XAUTOCLAIM do.
fn claim_one(g: &mut Group, id: StreamId, consumer: &[u8], delivery_time: i64, count: Option<u64>, bump: bool) {
    let Some(n) = g.pel.get_mut(&id) else { return };
    let old = n.consumer.clone();
    n.delivery_time = delivery_time;
    if let Some(c) = count {
        n.delivery_count = c;
    } else if bump {
        n.delivery_count += 1;
    }
    if old != consumer {
        if let Some(c) = g.consumers.get_mut(&old) {
            c.pel.remove(&id);
        }
        n.consumer = consumer.to_vec();
        if let Some(c) = g.consumers.get_mut(consumer) {
            c.pel.insert(id);
        }
    }
}

pub fn xclaim(s: &mut Store, a: &mut Args) -> CmdResult {
    let argv = a.argv();
    let key = &argv[1];
    let gname = &argv[2];
    let has = read_stream(s, key)?.is_some_and(|st| st.groups.contains_key(gname.as_slice()));
    if !has {
        return Err(nogroup(key, gname));
    }
    let minidle = object::get_long_long(&argv[4], Some("Invalid min-idle-time argument for XCLAIM"))?.max(0);
    let mut ids = Vec::new();
    let mut j = 5;
    while j < argv.len() {
        match parse_id(&argv[j], 0, IdForm::Strict) {
            Some((id, _)) => ids.push((id, j)),
            None => break,
        }
        j += 1;
    }
    let now = s.now_ms;
    let (mut force, mut justid, mut retrycount, mut deliverytime, mut last_id) =
        (false, false, -1i64, -1i64, StreamId::MIN);
    while j < argv.len() {
        let more = argv.len() - 1 - j > 0;
        let opt = &argv[j];
        if is(opt, "force") {
            force = true;
        } else if is(opt, "justid") {
            justid = true;
        } else if is(opt, "idle") && more {
            j += 1;
            deliverytime = now - object::get_long_long(&argv[j], Some("Invalid IDLE option argument for XCLAIM"))?;
        } else if is(opt, "time") && more {
            j += 1;
            deliverytime = object::get_long_long(&argv[j], Some("Invalid TIME option argument for XCLAIM"))?;
        } else if is(opt, "retrycount") && more {
            j += 1;
            retrycount = object::get_long_long(&argv[j], Some("Invalid RETRYCOUNT option argument for XCLAIM"))?;
        } else if is(opt, "lastid") && more {
            j += 1;
            last_id = strict_id(&argv[j])?;
        } else {
            return Err(Reply::Error(format!(
                "ERR Unrecognized XCLAIM option '{}'",
                String::from_utf8_lossy(c_str(opt))
            )));
        }
        j += 1;
    }
    let st = write_stream(s, key)?.expect("checked above");
    {
        let g = st.groups.get_mut(gname.as_slice()).expect("checked above");
        if last_id > g.last_id {
            g.last_id = last_id;
        }
    }
    if deliverytime != -1 {
        if deliverytime < 0 || deliverytime > now {
            deliverytime = now;
        }
    } else {
        deliverytime = now;
    }
    let name = &argv[3];
    let mut out = Vec::new();
    let mut consumer_ready = false;
    for (id, _) in ids {
        let fields = st.get(&id).cloned();
        let g = st.groups.get_mut(gname.as_slice()).expect("checked above");
        let Some(fields) = fields else {
            if let Some(n) = g.pel.remove(&id) {
                if let Some(c) = g.consumers.get_mut(&n.consumer) {
                    c.pel.remove(&id);
                }
            }
            continue;
        };
        let mut forced = false;
        if force && !g.pel.contains_key(&id) {
            g.pel.insert(id, Nack { delivery_time: now, delivery_count: 1, consumer: Vec::new() });
            forced = true;
        }
        let Some(n) = g.pel.get(&id) else { continue };
        if !forced && minidle != 0 && now - n.delivery_time < minidle {
            continue;
        }
        if !consumer_ready {
            consumer_for(g, name, now);
            consumer_ready = true;
        }
        claim_one(g, id, name, deliverytime, (retrycount >= 0).then_some(retrycount as u64), !justid);
        if forced {
            // A forced NACK had no consumer: it joins the claimer's PEL.
            if let Some(c) = g.consumers.get_mut(name.as_slice()) {
                c.pel.insert(id);
            }
        }
        out.push(if justid { id_reply(id) } else { entry_reply(id, &fields) });
    }
    Ok(Reply::Array(out))
}

pub fn xautoclaim(s: &mut Store, a: &mut Args) -> CmdResult {
    let argv = a.argv();
    let minidle = object::get_long_long(&argv[4], Some("Invalid min-idle-time argument for XAUTOCLAIM"))?.max(0);
    let start = range_start(&argv[5])?;
    let (mut count, mut justid) = (100i64, false);
    let mut j = 6;
    while j < argv.len() {
        let more = argv.len() - 1 - j > 0;
        if is(&argv[j], "count") && more {
            let max = i64::MAX / 16;
            count = object::get_range_long(&argv[j + 1], 1, max, Some("COUNT must be > 0"))?;
            j += 1;
        } else if is(&argv[j], "justid") {
            justid = true;
        } else {
            return Err(error(err::SYNTAX));
        }
        j += 1;
    }
    let key = &argv[1];
    let gname = &argv[2];
    let has = read_stream(s, key)?.is_some_and(|st| st.groups.contains_key(gname.as_slice()));
    if !has {
        return Err(nogroup(key, gname));
    }
    let now = s.now_ms;
    let name = &argv[3];
    let st = write_stream(s, key)?.expect("checked above");
    let mut attempts = count.saturating_mul(10);
    let mut cursor = Some(start);
    let (mut claimed, mut deleted) = (Vec::new(), Vec::new());
    let mut consumer_ready = false;
    loop {
        if attempts == 0 {
            break;
        }
        attempts -= 1;
        if count == 0 {
            break;
        }
        let Some(from) = cursor else { break };
        let Some(id) = st.groups[gname.as_slice()].pel.range(from..).next().map(|(id, _)| *id) else {
            cursor = None;
            break;
        };
        cursor = id.incr();
        let fields = st.get(&id).cloned();
        let g = st.groups.get_mut(gname.as_slice()).expect("checked above");
        let Some(fields) = fields else {
            if let Some(n) = g.pel.remove(&id) {
                if let Some(c) = g.consumers.get_mut(&n.consumer) {
                    c.pel.remove(&id);
                }
            }
            deleted.push(id_reply(id));
            count -= 1;
            continue;
        };
        if minidle != 0 && now - g.pel[&id].delivery_time < minidle {
            continue;
        }
        if !consumer_ready {
            consumer_for(g, name, now);
            consumer_ready = true;
        }
        claim_one(g, id, name, now, None, !justid);
        claimed.push(if justid { id_reply(id) } else { entry_reply(id, &fields) });
        count -= 1;
    }
    let next = cursor
        .and_then(|c| st.groups[gname.as_slice()].pel.range(c..).next().map(|(id, _)| *id))
        .unwrap_or(StreamId::MIN);
    Ok(Reply::Array(vec![id_reply(next), Reply::Array(claimed), Reply::Array(deleted)]))
}

// ---- XINFO ----------------------------------------------------------------------------------

fn lag_reply(st: &Stream, g: &Group) -> Reply {
    st.group_lag(g).map_or(Reply::Nil, Reply::Integer)
}

fn entries_read_reply(g: &Group) -> Reply {
    if g.entries_read != INVALID_ENTRIES_READ {
        Reply::Integer(g.entries_read)
    } else {
        Reply::Nil
    }
}

fn bulk(s: &str) -> Reply {
    Reply::bulk(s.as_bytes().to_vec())
}

fn stream_info(st: &Stream, argv: &[Vec<u8>]) -> CmdResult {
    let opts = &argv[3..];
    let (full, mut count) = match opts.len() {
        0 => (false, 10i64),
        1 | 3 => {
            if !is(&opts[0], "full") {
                return Err(subcommand_syntax_error(argv));
            }
            let mut count = 10;
            if opts.len() == 3 {
                if !is(&opts[1], "count") {
                    return Err(subcommand_syntax_error(argv));
                }
                count = object::get_long_long(&opts[2], None)?;
                if count < 0 {
                    count = 10;
                }
            }
            (true, count)
        }
        _ => return Err(subcommand_syntax_error(argv)),
    };
    let mut out = vec![
        bulk("length"),
        Reply::Integer(st.len() as i64),
        bulk("radix-tree-keys"),
        Reply::Integer(st.node_count() as i64),
        bulk("radix-tree-nodes"),
        Reply::Integer(st.rax_nodes() as i64),
        bulk("last-generated-id"),
        id_reply(st.last_id),
        bulk("max-deleted-entry-id"),
        id_reply(st.max_deleted_entry_id),
        bulk("entries-added"),
        Reply::Integer(st.entries_added as i64),
        bulk("recorded-first-entry-id"),
        id_reply(st.first_id),
    ];
    if !full {
        out.push(bulk("groups"));
        out.push(Reply::Integer(st.groups.len() as i64));
        out.push(bulk("first-entry"));
        out.push(st.first_entry().map_or(Reply::Nil, |(id, f)| entry_reply(*id, f)));
        out.push(bulk("last-entry"));
        out.push(st.last_entry().map_or(Reply::Nil, |(id, f)| entry_reply(*id, f)));
        return Ok(Reply::Array(out));
    }
    if count == 0 {
        count = i64::MAX;
    }
    let take = usize::try_from(count).unwrap_or(usize::MAX);
    out.push(bulk("entries"));
    out.push(Reply::Array(
        st.range(StreamId::MIN, StreamId::MAX, false).take(take).map(|(id, f)| entry_reply(*id, f)).collect(),
    ));
    out.push(bulk("groups"));
    let groups = st
        .groups
        .iter()
        .map(|(name, g)| {
            let pending = g
                .pel
                .iter()
                .take(take)
                .map(|(id, n)| {
                    Reply::Array(vec![
                        id_reply(*id),
                        Reply::bulk(n.consumer.clone()),
                        Reply::Integer(n.delivery_time),
                        Reply::Integer(n.delivery_count as i64),
                    ])
                })
                .collect();
            let consumers = g
                .consumers
                .iter()
                .map(|(cname, c)| {
                    let cpel = c
                        .pel
                        .iter()
                        .take(take)
                        .map(|id| {
                            let n = &g.pel[id];
                            Reply::Array(vec![
                                id_reply(*id),
                                Reply::Integer(n.delivery_time),
                                Reply::Integer(n.delivery_count as i64),
                            ])
                        })
                        .collect();
                    Reply::Array(vec![
                        bulk("name"),
                        Reply::bulk(cname.clone()),
                        bulk("seen-time"),
                        Reply::Integer(c.seen_time),
                        bulk("pel-count"),
                        Reply::Integer(c.pel.len() as i64),
                        bulk("pending"),
                        Reply::Array(cpel),
                    ])
                })
                .collect();
            Reply::Array(vec![
                bulk("name"),
                Reply::bulk(name.clone()),
                bulk("last-delivered-id"),
                id_reply(g.last_id),
                bulk("entries-read"),
                entries_read_reply(g),
                bulk("lag"),
                lag_reply(st, g),
                bulk("pel-count"),
                Reply::Integer(g.pel.len() as i64),
                bulk("pending"),
                Reply::Array(pending),
                bulk("consumers"),
                Reply::Array(consumers),
            ])
        })
        .collect();
    out.push(Reply::Array(groups));
    Ok(Reply::Array(out))
}

/// `xinfoCommand`: XINFO STREAM / GROUPS / CONSUMERS / HELP.
pub fn xinfo(s: &mut Store, a: &mut Args) -> CmdResult {
    let argv = a.argv();
    if is(&argv[1], "help") {
        if argv.len() != 2 {
            return Err(subcommand_syntax_error(argv));
        }
        return Ok(super::connection::help_reply(
            &argv[0],
            &[
                "CONSUMERS <key> <groupname>",
                "    Show consumers of <groupname>.",
                "GROUPS <key>",
                "    Show the stream consumer groups.",
                "STREAM <key> [FULL [COUNT <count>]",
                "    Show information about the stream.",
            ],
        ));
    } else if argv.len() < 3 {
        return Err(subcommand_syntax_error(argv));
    }
    let now = s.now_ms;
    let Some(st) = read_stream(s, &argv[2])? else { return Err(error(err::NO_SUCH_KEY)) };
    let opt = &argv[1];
    if is(opt, "consumers") && argv.len() == 4 {
        let Some(g) = st.groups.get(argv[3].as_slice()) else { return Err(nogroup_for_key(&argv[3], &argv[2])) };
        return Ok(Reply::Array(
            g.consumers
                .iter()
                .map(|(name, c)| {
                    Reply::Array(vec![
                        bulk("name"),
                        Reply::bulk(name.clone()),
                        bulk("pending"),
                        Reply::Integer(c.pel.len() as i64),
                        bulk("idle"),
                        Reply::Integer((now - c.seen_time).max(0)),
                    ])
                })
                .collect(),
        ));
    }
    if is(opt, "groups") && argv.len() == 3 {
        return Ok(Reply::Array(
            st.groups
                .iter()
                .map(|(name, g)| {
                    Reply::Array(vec![
                        bulk("name"),
                        Reply::bulk(name.clone()),
                        bulk("consumers"),
                        Reply::Integer(g.consumers.len() as i64),
                        bulk("pending"),
                        Reply::Integer(g.pel.len() as i64),
                        bulk("last-delivered-id"),
                        id_reply(g.last_id),
                        bulk("entries-read"),
                        entries_read_reply(g),
                        bulk("lag"),
                        lag_reply(st, g),
                    ])
                })
                .collect(),
        ));
    }
    if is(opt, "stream") {
        return stream_info(st, argv);
    }
    Err(subcommand_syntax_error(argv))
}

#[cfg(test)]
mod tests {
    use crate::redis::server::run_clients;
    use expect_test::expect;

    #[test]
    fn automatic_ids_come_from_the_virtual_clock_and_never_go_back() {
        // TEST_EPOCH is 1_700_000_000_000 ms: `*` takes it, then the sequence grows within the ms.
        expect![[r#"
            A: XADD s * a 1 -> "1700000000000-0"
            A: XADD s * a 2 -> "1700000000000-1"
            @+5
            A: XADD s * a 3 -> "1700000000005-0"
            A: XADD s 1800000000000-* a 4 -> "1800000000000-0"
            A: XADD s * a 5 -> "1800000000000-1"
        "#]]
        .assert_eq(&run_clients(
            "A: XADD s * a 1\nA: XADD s * a 2\n@+5\nA: XADD s * a 3\nA: XADD s 1800000000000-* a 4\nA: XADD s * a 5",
        ));
    }

    #[test]
    fn pending_entries_age_on_the_virtual_clock_and_idle_filters_and_claims_use_it() {
        expect![[r#"
            A: XADD s 1-0 f 1 -> "1-0"
            A: XADD s 2-0 f 2 -> "2-0"
            A: XGROUP CREATE s g 0 -> OK
            A: XREADGROUP GROUP g alice COUNT 1 STREAMS s > -> [["s", [["1-0", ["f", "1"]]]]]
            @+300
            A: XREADGROUP GROUP g alice STREAMS s > -> [["s", [["2-0", ["f", "2"]]]]]
            @+100
            A: XPENDING s g - + 10 -> [["1-0", "alice", (integer) 400, (integer) 1], ["2-0", "alice", (integer) 100, (integer) 1]]
            A: XPENDING s g IDLE 200 - + 10 -> [["1-0", "alice", (integer) 400, (integer) 1]]
            A: XCLAIM s g bob 200 1-0 2-0 -> [["1-0", ["f", "1"]]]
            A: XAUTOCLAIM s g carol 50 0 JUSTID -> ["0-0", ["2-0"], (empty array)]
            A: XINFO CONSUMERS s g -> [["name", "alice", "pending", (integer) 0, "idle", (integer) 100], ["name", "bob", "pending", (integer) 1, "idle", (integer) 0], ["name", "carol", "pending", (integer) 1, "idle", (integer) 0]]
            A: XPENDING s g - + 10 -> [["1-0", "bob", (integer) 0, (integer) 2], ["2-0", "carol", (integer) 0, (integer) 1]]
        "#]]
        .assert_eq(&run_clients(
            "A: XADD s 1-0 f 1\nA: XADD s 2-0 f 2\nA: XGROUP CREATE s g 0
             A: XREADGROUP GROUP g alice COUNT 1 STREAMS s >\n@+300\nA: XREADGROUP GROUP g alice STREAMS s >
             @+100\nA: XPENDING s g - + 10\nA: XPENDING s g IDLE 200 - + 10\nA: XCLAIM s g bob 200 1-0 2-0
             A: XAUTOCLAIM s g carol 50 0 JUSTID\nA: XINFO CONSUMERS s g\nA: XPENDING s g - + 10",
        ));
    }

    #[test]
    fn a_blocked_xread_is_served_by_xadd_and_times_out_on_the_virtual_clock() {
        expect![[r#"
            A: XREAD BLOCK 0 STREAMS s $ -> (blocked)
            B: XREAD BLOCK 50 STREAMS s 5-0 -> (blocked)
            C: XADD s 1-0 f v -> "1-0"
              A <- [["s", [["1-0", ["f", "v"]]]]]
            @+100
              B <- (nil)
        "#]]
        .assert_eq(&run_clients(
            "A: XREAD BLOCK 0 STREAMS s $\nB: XREAD BLOCK 50 STREAMS s 5-0\nC: XADD s 1-0 f v\n@+100",
        ));
    }
}

#[cfg(test)]
mod persistence_and_limits {
    use crate::redis::store::run_lines as run;
    use crate::redis::{Limits, Store};
    use crate::sim::{SimRng, TEST_EPOCH};
    use expect_test::expect;

    #[test]
    fn a_stream_with_groups_and_pending_entries_is_saved_and_loaded_whole() {
        let mut s = Store::new(SimRng::new(1));
        run(
            &mut s,
            "XADD s 1-0 f 1\nXADD s 2-0 f 2 g x\nXADD s 3-0 f 3\nXDEL s 2-0\nXGROUP CREATE s grp 0
             XREADGROUP GROUP grp alice COUNT 1 STREAMS s >\nXGROUP CREATECONSUMER s grp bob",
        );
        let json = s.export_checked(TEST_EPOCH).unwrap();
        let mut t = Store::new(SimRng::new(2));
        t.import_json(&json).unwrap();
        assert_eq!(t.export_json(TEST_EPOCH), json);
        let probe = "XINFO STREAM s FULL\nXPENDING s grp\nXADD s 2-5 f late";
        assert_eq!(run(&mut t, probe), run(&mut s, probe));
        let bad = json.replacen(r#""alice",1700000000000"#, r#""nobody",1700000000000"#, 1);
        assert_ne!(bad, json);
        assert!(t.import_json(&bad).unwrap_err().to_string().contains("names an unknown consumer"));
    }

    #[test]
    fn stream_writes_are_checked_against_the_limits_before_they_run() {
        let mut s = Store::with_limits(
            SimRng::new(1),
            Limits { max_collection_len: 2, max_value_bytes: 8, max_dataset_bytes: 200, ..Limits::default() },
        );
        expect![[r#"
            XADD s 1-0 f 1 -> "1-0"
            XADD s 2-0 f 2 -> "2-0"
            XADD s 3-0 f 3 -> (error) ERR playground limit: this command would make stream "s" hold 3 elements, the most allowed is 2; nothing was changed
            XADD s MAXLEN 2 3-0 f 3 -> "3-0"
            XRANGE s - + -> [["2-0", ["f", "2"]], ["3-0", ["f", "3"]]]
            XGROUP CREATE s group-name-too-long 0 -> (error) ERR playground limit: an argument of 19 bytes is longer than a value may be (8 bytes); nothing was changed
            XINFO GROUPS s -> (empty array)"#]]
        .assert_eq(&run(
            &mut s,
            "XADD s 1-0 f 1\nXADD s 2-0 f 2\nXADD s 3-0 f 3\nXADD s MAXLEN 2 3-0 f 3\nXRANGE s - +
             XGROUP CREATE s group-name-too-long 0\nXINFO GROUPS s",
        ));
    }
}
