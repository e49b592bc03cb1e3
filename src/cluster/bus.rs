//! The cluster bus: the messages nodes exchange on port+10000 (`clusterMsg` in `src/cluster.h`),
//! as values. Node identities are indices into the cluster's node table; the 40-hex names are
//! only for display.

use serde::{Deserialize, Serialize};

use super::config::NodeIdx;
use super::slot::SlotSet;

/// Node flags (`CLUSTER_NODE_*`), as a node sees itself or a peer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Flags(pub u16);

impl Flags {
    pub const MASTER: Flags = Flags(1);
    pub const SLAVE: Flags = Flags(2);
    pub const PFAIL: Flags = Flags(4);
    pub const FAIL: Flags = Flags(8);
    pub const MYSELF: Flags = Flags(16);
    pub const HANDSHAKE: Flags = Flags(32);
    pub const NOADDR: Flags = Flags(64);
    pub const MEET: Flags = Flags(128);
    pub const MIGRATE_TO: Flags = Flags(256);
    pub const NOFAILOVER: Flags = Flags(512);

    pub fn has(self, f: Flags) -> bool {
        self.0 & f.0 != 0
    }
    pub fn set(&mut self, f: Flags) {
        self.0 |= f.0;
    }
    pub fn clear(&mut self, f: Flags) {
        self.0 &= !f.0;
    }
    pub fn union(self, f: Flags) -> Flags {
        Flags(self.0 | f.0)
    }

    /// The comma-separated flag list of CLUSTER NODES (`representClusterNodeFlags`).
    pub fn describe(self) -> String {
        const TABLE: [(Flags, &str); 8] = [
            (Flags::MYSELF, "myself"),
            (Flags::MASTER, "master"),
            (Flags::SLAVE, "slave"),
            (Flags::PFAIL, "fail?"),
            (Flags::FAIL, "fail"),
            (Flags::HANDSHAKE, "handshake"),
            (Flags::NOADDR, "noaddr"),
            (Flags::NOFAILOVER, "nofailover"),
        ];
        let names: Vec<&str> = TABLE.iter().filter(|(f, _)| self.has(*f)).map(|(_, n)| *n).collect();
        if names.is_empty() {
            "noflags".into()
        } else {
            names.join(",")
        }
    }
}

/// Message types, in `CLUSTERMSG_TYPE_*` order (the index of the per-type counters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MsgType {
    Ping = 0,
    Pong = 1,
    Meet = 2,
    Fail = 3,
    Publish = 4,
    AuthRequest = 5,
    AuthAck = 6,
    Update = 7,
    MfStart = 8,
    Module = 9,
    PublishShard = 10,
}

/// How many message types there are (`CLUSTERMSG_TYPE_COUNT`).
pub const MSG_TYPES: usize = 11;

impl MsgType {
    pub const ALL: [MsgType; MSG_TYPES] = [
        MsgType::Ping,
        MsgType::Pong,
        MsgType::Meet,
        MsgType::Fail,
        MsgType::Publish,
        MsgType::AuthRequest,
        MsgType::AuthAck,
        MsgType::Update,
        MsgType::MfStart,
        MsgType::Module,
        MsgType::PublishShard,
    ];
    /// `clusterGetMessageTypeString`.
    pub fn name(self) -> &'static str {
        match self {
            MsgType::Ping => "ping",
            MsgType::Pong => "pong",
            MsgType::Meet => "meet",
            MsgType::Fail => "fail",
            MsgType::Publish => "publish",
            MsgType::PublishShard => "publishshard",
            MsgType::AuthRequest => "auth-req",
            MsgType::AuthAck => "auth-ack",
            MsgType::Update => "update",
            MsgType::MfStart => "mfstart",
            MsgType::Module => "module",
        }
    }
}

/// The header every bus message carries (`clusterBuildMessageHdr`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub sender: NodeIdx,
    pub current_epoch: u64,
    /// The config epoch of the sender's master (its own when it is a master).
    pub config_epoch: u64,
    /// Replication offset: `master_repl_offset` of a master, the processed offset of a replica.
    pub offset: u64,
    /// The slots of the sender's master (its own when it is a master).
    pub myslots: SlotSet,
    pub slaveof: Option<NodeIdx>,
    pub flags: Flags,
    /// `CLUSTERMSG_FLAG0_PAUSED`: a master paused for a manual failover.
    pub paused: bool,
    /// `CLUSTERMSG_FLAG0_FORCEACK`: a manual failover's vote request.
    pub force_ack: bool,
}

/// One gossip section entry (`clusterMsgDataGossip`): times travel in whole seconds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gossip {
    pub node: NodeIdx,
    pub ping_sent_s: u64,
    pub pong_received_s: u64,
    pub flags: Flags,
}

/// A message's type-specific part.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Body {
    Ping(Vec<Gossip>),
    Pong(Vec<Gossip>),
    Fail { about: NodeIdx },
    AuthRequest,
    AuthAck,
    Update { node: NodeIdx, config_epoch: u64, slots: SlotSet },
    MfStart,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BusMsg {
    pub header: Header,
    pub body: Body,
}

impl BusMsg {
    pub fn kind(&self) -> MsgType {
        match self.body {
            Body::Ping(_) => MsgType::Ping,
            Body::Pong(_) => MsgType::Pong,
            Body::Fail { .. } => MsgType::Fail,
            Body::AuthRequest => MsgType::AuthRequest,
            Body::AuthAck => MsgType::AuthAck,
            Body::Update { .. } => MsgType::Update,
            Body::MfStart => MsgType::MfStart,
        }
    }
    /// A short description for traces and the message log.
    pub fn summary(&self) -> String {
        match &self.body {
            Body::Ping(g) | Body::Pong(g) => {
                format!("{} (epoch {}, {} gossip)", self.kind().name(), self.header.current_epoch, g.len())
            }
            Body::Fail { about } => format!("fail about node {about}"),
            Body::AuthRequest => format!("auth-req for epoch {}", self.header.current_epoch),
            Body::AuthAck => format!("auth-ack for epoch {}", self.header.current_epoch),
            Body::Update { node, config_epoch, .. } => format!("update: node {node} has epoch {config_epoch}"),
            Body::MfStart => "mfstart".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_print_like_cluster_nodes() {
        assert_eq!(Flags::MYSELF.union(Flags::MASTER).describe(), "myself,master");
        assert_eq!(Flags::SLAVE.union(Flags::PFAIL).describe(), "slave,fail?");
        assert_eq!(Flags::MASTER.union(Flags::FAIL).describe(), "master,fail");
        assert_eq!(Flags(0).describe(), "noflags");
        assert_eq!(MsgType::AuthRequest.name(), "auth-req");
    }
}
