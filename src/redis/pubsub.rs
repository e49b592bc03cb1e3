//! Publish/subscribe (pubsub.c): channel and pattern subscriptions, shard channels, and PUBLISH's
//! delivery to every client subscribed at that moment.
//!
//! Delivery order for one PUBLISH is Redis's: the channel's subscribers in the order they
//! subscribed, then every matching pattern's subscribers. Where Redis iterates a hash table (the
//! patterns of one PUBLISH, `PUBSUB CHANNELS`, an argument-less UNSUBSCRIBE) its order depends on
//! a random seed chosen at startup; the model uses first-subscription order, which is one of the
//! orders Redis can produce. A client only ever receives a message published after its SUBSCRIBE
//! ran: messages are written into the subscriber's output at PUBLISH time, never replayed.

use super::client::ClientId;
use super::glob;
use super::keyspace::Map;
use super::reply::Reply;
use super::store::Store;

/// Redis's `pubsubtype`: plain channels or shard channels (SSUBSCRIBE/SPUBLISH).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Plain,
    Shard,
}

impl Kind {
    fn subscribe_word(self) -> &'static str {
        match self {
            Kind::Plain => "subscribe",
            Kind::Shard => "ssubscribe",
        }
    }
    fn unsubscribe_word(self) -> &'static str {
        match self {
            Kind::Plain => "unsubscribe",
            Kind::Shard => "sunsubscribe",
        }
    }
    fn message_word(self) -> &'static str {
        match self {
            Kind::Plain => "message",
            Kind::Shard => "smessage",
        }
    }
}

/// The server-side indexes: channel → subscribers, pattern → subscribers, in subscription order.
#[derive(Clone, Debug, Default)]
pub(crate) struct PubSub {
    pub(crate) channels: Map<Vec<u8>, Vec<ClientId>>,
    pub(crate) patterns: Map<Vec<u8>, Vec<ClientId>>,
    pub(crate) shard_channels: Map<Vec<u8>, Vec<ClientId>>,
}

impl PubSub {
    fn index(&mut self, kind: Kind) -> &mut Map<Vec<u8>, Vec<ClientId>> {
        match kind {
            Kind::Plain => &mut self.channels,
            Kind::Shard => &mut self.shard_channels,
        }
    }
    pub(crate) fn channels_of(&self, kind: Kind) -> &Map<Vec<u8>, Vec<ClientId>> {
        match kind {
            Kind::Plain => &self.channels,
            Kind::Shard => &self.shard_channels,
        }
    }
}

fn bulk(s: &str) -> Reply {
    Reply::bulk(s.as_bytes().to_vec())
}

impl Store {
    /// The count a (un)subscribe reply carries: channels + patterns, or shard channels.
    fn subscription_count(&self, id: ClientId, kind: Kind) -> i64 {
        self.srv.clients.get(&id).map_or(0, |c| match kind {
            Kind::Plain => c.subscription_count(),
            Kind::Shard => c.shard_channels.len(),
        }) as i64
    }

    /// `pubsubSubscribeChannel`: subscribes (if not already) and replies the confirmation.
    pub(crate) fn subscribe_channel(&mut self, id: ClientId, channel: &[u8], kind: Kind) -> bool {
        let Some(c) = self.srv.clients.get_mut(&id) else {
            return false;
        };
        let set = match kind {
            Kind::Plain => &mut c.channels,
            Kind::Shard => &mut c.shard_channels,
        };
        let added = set.insert(channel.to_vec());
        if added {
            self.srv.pubsub.index(kind).entry(channel.to_vec()).or_default().push(id);
        }
        let count = self.subscription_count(id, kind);
        self.write_frame(
            id,
            Reply::Array(vec![bulk(kind.subscribe_word()), Reply::bulk(channel.to_vec()), Reply::Integer(count)]),
        );
        added
    }

    /// `pubsubUnsubscribeChannel`.
    pub(crate) fn unsubscribe_channel(&mut self, id: ClientId, channel: &[u8], notify: bool, kind: Kind) -> bool {
        let Some(c) = self.srv.clients.get_mut(&id) else {
            return false;
        };
        let set = match kind {
            Kind::Plain => &mut c.channels,
            Kind::Shard => &mut c.shard_channels,
        };
        let removed = set.shift_remove(channel);
        if removed {
            let index = self.srv.pubsub.index(kind);
            if let Some(list) = index.get_mut(channel) {
                list.retain(|&x| x != id);
                if list.is_empty() {
                    index.shift_remove(channel);
                }
            }
        }
        if notify {
            let count = self.subscription_count(id, kind);
            self.write_frame(
                id,
                Reply::Array(vec![bulk(kind.unsubscribe_word()), Reply::bulk(channel.to_vec()), Reply::Integer(count)]),
            );
        }
        removed
    }

    /// `pubsubUnsubscribeAllChannelsInternal`: one reply per channel, or one with a nil channel
    /// when there was none.
    pub(crate) fn unsubscribe_all_channels(&mut self, id: ClientId, notify: bool, kind: Kind) -> usize {
        let channels: Vec<Vec<u8>> = match self.srv.clients.get(&id) {
            Some(c) => match kind {
                Kind::Plain => c.channels.iter().cloned().collect(),
                Kind::Shard => c.shard_channels.iter().cloned().collect(),
            },
            None => return 0,
        };
        let mut count = 0;
        for ch in channels {
            count += usize::from(self.unsubscribe_channel(id, &ch, notify, kind));
        }
        if notify && count == 0 {
            let n = self.subscription_count(id, kind);
            self.write_frame(id, Reply::Array(vec![bulk(kind.unsubscribe_word()), Reply::Nil, Reply::Integer(n)]));
        }
        count
    }

    /// `pubsubSubscribePattern`.
    pub(crate) fn subscribe_pattern(&mut self, id: ClientId, pattern: &[u8]) -> bool {
        let Some(c) = self.srv.clients.get_mut(&id) else {
            return false;
        };
        let added = !c.patterns.iter().any(|p| p == pattern);
        if added {
            c.patterns.push(pattern.to_vec());
            self.srv.pubsub.patterns.entry(pattern.to_vec()).or_default().push(id);
        }
        let count = self.subscription_count(id, Kind::Plain);
        self.write_frame(
            id,
            Reply::Array(vec![bulk("psubscribe"), Reply::bulk(pattern.to_vec()), Reply::Integer(count)]),
        );
        added
    }

    /// `pubsubUnsubscribePattern`.
    pub(crate) fn unsubscribe_pattern(&mut self, id: ClientId, pattern: &[u8], notify: bool) -> bool {
        let Some(c) = self.srv.clients.get_mut(&id) else {
            return false;
        };
        let pos = c.patterns.iter().position(|p| p == pattern);
        if let Some(i) = pos {
            c.patterns.remove(i);
            if let Some(list) = self.srv.pubsub.patterns.get_mut(pattern) {
                list.retain(|&x| x != id);
                if list.is_empty() {
                    self.srv.pubsub.patterns.shift_remove(pattern);
                }
            }
        }
        if notify {
            let count = self.subscription_count(id, Kind::Plain);
            self.write_frame(
                id,
                Reply::Array(vec![bulk("punsubscribe"), Reply::bulk(pattern.to_vec()), Reply::Integer(count)]),
            );
        }
        pos.is_some()
    }

    /// `pubsubUnsubscribeAllPatterns`.
    pub(crate) fn unsubscribe_all_patterns(&mut self, id: ClientId, notify: bool) -> usize {
        let patterns = match self.srv.clients.get(&id) {
            Some(c) => c.patterns.clone(),
            None => return 0,
        };
        let mut count = 0;
        for p in patterns {
            count += usize::from(self.unsubscribe_pattern(id, &p, notify));
        }
        if notify && count == 0 {
            let n = self.subscription_count(id, Kind::Plain);
            self.write_frame(id, Reply::Array(vec![bulk("punsubscribe"), Reply::Nil, Reply::Integer(n)]));
        }
        count
    }

    /// `pubsubPublishMessage`: writes the message to every current subscriber and returns how
    /// many received it (a client subscribed both to the channel and to a matching pattern, or to
    /// two matching patterns, counts once per subscription, as in Redis).
    pub(crate) fn publish_message(&mut self, channel: &[u8], message: &[u8], kind: Kind) -> i64 {
        let mut receivers = 0;
        let direct: Vec<ClientId> = self.srv.pubsub.channels_of(kind).get(channel).cloned().unwrap_or_default();
        for id in direct {
            self.write_frame(
                id,
                Reply::Array(vec![
                    bulk(kind.message_word()),
                    Reply::bulk(channel.to_vec()),
                    Reply::bulk(message.to_vec()),
                ]),
            );
            receivers += 1;
        }
        if kind == Kind::Shard {
            return receivers;
        }
        let matching: Vec<(Vec<u8>, Vec<ClientId>)> = self
            .srv
            .pubsub
            .patterns
            .iter()
            .filter(|(p, _)| glob::matches(p, channel, false))
            .map(|(p, l)| (p.clone(), l.clone()))
            .collect();
        for (pattern, clients) in matching {
            for id in clients {
                self.write_frame(
                    id,
                    Reply::Array(vec![
                        bulk("pmessage"),
                        Reply::bulk(pattern.clone()),
                        Reply::bulk(channel.to_vec()),
                        Reply::bulk(message.to_vec()),
                    ]),
                );
                receivers += 1;
            }
        }
        receivers
    }
}

#[cfg(test)]
mod tests {
    use crate::redis::server::run_clients;
    use expect_test::expect;

    #[test]
    fn messages_reach_current_subscribers_in_order_and_never_a_late_one() {
        expect![[r#"
            A: SUBSCRIBE news -> ["subscribe", "news", (integer) 1]
            C: PUBLISH news first -> (integer) 1
              A <- ["message", "news", "first"]
            B: PSUBSCRIBE n* -> ["psubscribe", "n*", (integer) 1]
            C: PUBLISH news second -> (integer) 2
              A <- ["message", "news", "second"]
              B <- ["pmessage", "n*", "news", "second"]
            C: PUBLISH other x -> (integer) 0
        "#]]
        .assert_eq(&run_clients(
            "A: SUBSCRIBE news\nC: PUBLISH news first\nB: PSUBSCRIBE n*\nC: PUBLISH news second\nC: PUBLISH other x",
        ));
    }

    #[test]
    fn a_subscribed_connection_refuses_ordinary_commands_with_redis_error() {
        expect![[r#"
            A: SUBSCRIBE ch -> ["subscribe", "ch", (integer) 1]
            A: GET k -> (error) ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context
            A: CONFIG GET hz -> (error) ERR Can't execute 'config|get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context
            A: PING -> ["pong", ""]
            A: UNSUBSCRIBE -> ["unsubscribe", "ch", (integer) 0]
            A: GET k -> (nil)
        "#]]
        .assert_eq(&run_clients("A: SUBSCRIBE ch\nA: GET k\nA: CONFIG GET hz\nA: PING\nA: UNSUBSCRIBE\nA: GET k"));
    }

    #[test]
    fn a_client_on_a_channel_and_two_matching_patterns_counts_three_times() {
        expect![[r#"
            A: SUBSCRIBE a.b -> ["subscribe", "a.b", (integer) 1]
            A: PSUBSCRIBE a.* *.b -> ["psubscribe", "a.*", (integer) 2] | ["psubscribe", "*.b", (integer) 3]
            B: PUBLISH a.b m -> (integer) 3
              A <- ["message", "a.b", "m"]
              A <- ["pmessage", "a.*", "a.b", "m"]
              A <- ["pmessage", "*.b", "a.b", "m"]
            B: PUBSUB NUMSUB a.b x -> ["a.b", (integer) 1, "x", (integer) 0]
            B: PUBSUB NUMPAT -> (integer) 2
        "#]]
        .assert_eq(&run_clients(
            "A: SUBSCRIBE a.b\nA: PSUBSCRIBE a.* *.b\nB: PUBLISH a.b m\nB: PUBSUB NUMSUB a.b x\nB: PUBSUB NUMPAT",
        ));
    }
}
