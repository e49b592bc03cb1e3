//! Pub/sub commands (pubsub.c): (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH and PUBSUB
//! CHANNELS / NUMSUB / NUMPAT / SHARDCHANNELS / SHARDNUMSUB. The subscription indexes and message
//! delivery are `pubsub.rs`.

use crate::redis::args::{c_str, Args, CmdResult};
use crate::redis::glob;
use crate::redis::pubsub::Kind;
use crate::redis::reply::Reply;
use crate::redis::store::Store;

/// `addReplySubcommandSyntaxError`.
pub fn subcommand_syntax_error(a: &Args) -> Reply {
    let argv = a.argv();
    let cmd = String::from_utf8_lossy(c_str(&argv[0])).to_ascii_uppercase();
    let sub = c_str(&argv[1]);
    Reply::Error(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try {cmd} HELP.",
        String::from_utf8_lossy(&sub[..sub.len().min(128)])
    ))
}

/// SUBSCRIBE/PSUBSCRIBE refuse a client that must not block, except inside MULTI (Redis keeps
/// that for compatibility); SSUBSCRIBE refuses it even there.
fn check_may_subscribe(s: &Store, name: &str, allow_in_multi: bool) -> Result<(), Reply> {
    let c = s.current_client();
    let deny = c.is_some_and(|c| c.flags.deny_blocking);
    let multi = c.is_some_and(|c| c.flags.multi);
    if deny && !(allow_in_multi && multi) {
        return Err(Reply::Error(format!("ERR {name} isn't allowed for a DENY BLOCKING client")));
    }
    Ok(())
}

fn subscribe_generic(s: &mut Store, a: &mut Args, kind: Kind) -> CmdResult {
    let (name, in_multi) = match kind {
        Kind::Plain => ("SUBSCRIBE", true),
        Kind::Shard => ("SSUBSCRIBE", false),
    };
    check_may_subscribe(s, name, in_multi)?;
    let id = s.srv.current;
    for ch in a.rest() {
        s.subscribe_channel(id, ch, kind);
    }
    s.replied_already()
}

fn unsubscribe_generic(s: &mut Store, a: &mut Args, kind: Kind) -> CmdResult {
    let id = s.srv.current;
    let channels = a.rest();
    if channels.is_empty() {
        s.unsubscribe_all_channels(id, true, kind);
    } else {
        for ch in channels {
            s.unsubscribe_channel(id, ch, true, kind);
        }
    }
    s.replied_already()
}

pub fn subscribe(s: &mut Store, a: &mut Args) -> CmdResult {
    subscribe_generic(s, a, Kind::Plain)
}
pub fn unsubscribe(s: &mut Store, a: &mut Args) -> CmdResult {
    unsubscribe_generic(s, a, Kind::Plain)
}
pub fn ssubscribe(s: &mut Store, a: &mut Args) -> CmdResult {
    subscribe_generic(s, a, Kind::Shard)
}
pub fn sunsubscribe(s: &mut Store, a: &mut Args) -> CmdResult {
    unsubscribe_generic(s, a, Kind::Shard)
}

pub fn psubscribe(s: &mut Store, a: &mut Args) -> CmdResult {
    check_may_subscribe(s, "PSUBSCRIBE", true)?;
    let id = s.srv.current;
    for p in a.rest() {
        s.subscribe_pattern(id, p);
    }
    s.replied_already()
}

pub fn punsubscribe(s: &mut Store, a: &mut Args) -> CmdResult {
    let id = s.srv.current;
    let patterns = a.rest();
    if patterns.is_empty() {
        s.unsubscribe_all_patterns(id, true);
    } else {
        for p in patterns {
            s.unsubscribe_pattern(id, p, true);
        }
    }
    s.replied_already()
}

pub fn publish(s: &mut Store, a: &mut Args) -> CmdResult {
    let channel = a.next()?;
    let message = a.next()?;
    Ok(Reply::Integer(s.publish_message(channel, message, Kind::Plain)))
}

pub fn spublish(s: &mut Store, a: &mut Args) -> CmdResult {
    let channel = a.next()?;
    let message = a.next()?;
    Ok(Reply::Integer(s.publish_message(channel, message, Kind::Shard)))
}

/// `channelList`: channels with at least one subscriber, optionally matching a glob.
fn channel_list(s: &Store, a: &mut Args, kind: Kind) -> CmdResult {
    let argv = a.argv();
    if argv.len() > 3 {
        return Err(subcommand_syntax_error(a));
    }
    let pattern = argv.get(2);
    Ok(Reply::Array(
        s.srv
            .pubsub
            .channels_of(kind)
            .keys()
            .filter(|ch| pattern.is_none_or(|p| glob::matches(p, ch, false)))
            .map(|ch| Reply::bulk(ch.clone()))
            .collect(),
    ))
}

fn numsub(s: &Store, a: &mut Args, kind: Kind) -> CmdResult {
    let mut out = Vec::new();
    for ch in &a.argv()[2..] {
        let n = s.srv.pubsub.channels_of(kind).get(ch).map_or(0, Vec::len);
        out.push(Reply::bulk(ch.clone()));
        out.push(Reply::Integer(n as i64));
    }
    Ok(Reply::Array(out))
}

pub fn pubsub_channels(s: &mut Store, a: &mut Args) -> CmdResult {
    channel_list(s, a, Kind::Plain)
}
pub fn pubsub_shardchannels(s: &mut Store, a: &mut Args) -> CmdResult {
    channel_list(s, a, Kind::Shard)
}
pub fn pubsub_numsub(s: &mut Store, a: &mut Args) -> CmdResult {
    numsub(s, a, Kind::Plain)
}
pub fn pubsub_shardnumsub(s: &mut Store, a: &mut Args) -> CmdResult {
    numsub(s, a, Kind::Shard)
}
/// The number of distinct patterns subscribed to (not of subscriptions).
pub fn pubsub_numpat(s: &mut Store, _a: &mut Args) -> CmdResult {
    Ok(Reply::Integer(s.srv.pubsub.patterns.len() as i64))
}

pub fn pubsub_help(_s: &mut Store, a: &mut Args) -> CmdResult {
    Ok(super::connection::help_reply(
        &a.argv()[0],
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    ))
}
