//! The CLUSTER command (`clusterCommand` in `src/cluster.c`) and MIGRATE's argument parsing, with
//! Redis 7.0.15's replies and error texts.
//!
//! Modeled subcommands: INFO, NODES, SLOTS, SHARDS, MYID, REPLICAS/SLAVES, KEYSLOT,
//! COUNTKEYSINSLOT, GETKEYSINSLOT, COUNT-FAILURE-REPORTS, ADDSLOTS, DELSLOTS, ADDSLOTSRANGE,
//! DELSLOTSRANGE, SETSLOT (IMPORTING, MIGRATING, STABLE, NODE), FAILOVER [FORCE|TAKEOVER],
//! BUMPEPOCH, FLUSHSLOTS, SAVECONFIG and HELP. MEET, FORGET, REPLICATE, RESET, SET-CONFIG-EPOCH
//! and LINKS answer with an error that says they are not modeled (the cluster is created joined).

use super::bus::Flags;
use super::config::{addr_of, node_at, port_of, NodeIdx};
use super::node::ReplInfo;
use super::server::{MigrateRequest, Server, SideEffects};
use super::slot::{key_slot, Slot, SlotSet, SLOTS};
use crate::redis::Reply;
use crate::sim::SimTime;

/// CLUSTER subcommands and their arity (Redis 7.0's command table).
const SUBCOMMANDS: &[(&str, i32)] = &[
    ("addslots", -3),
    ("addslotsrange", -4),
    ("bumpepoch", 2),
    ("count-failure-reports", 3),
    ("countkeysinslot", 3),
    ("delslots", -3),
    ("delslotsrange", -4),
    ("failover", -2),
    ("flushslots", 2),
    ("forget", 3),
    ("getkeysinslot", 4),
    ("help", 2),
    ("info", 2),
    ("keyslot", 3),
    ("links", 2),
    ("meet", -4),
    ("myid", 2),
    ("nodes", 2),
    ("replicas", 3),
    ("replicate", 3),
    ("reset", -2),
    ("saveconfig", 2),
    ("set-config-epoch", 3),
    ("setslot", -4),
    ("shards", 2),
    ("slaves", 3),
    ("slots", 2),
];

const HELP: &[&str] = &[
    "ADDSLOTS <slot> [<slot> ...]",
    "    Assign slots to current node.",
    "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
    "    Assign slots which are between <start-slot> and <end-slot> to current node.",
    "BUMPEPOCH",
    "    Advance the cluster config epoch.",
    "COUNT-FAILURE-REPORTS <node-id>",
    "    Return number of failure reports for <node-id>.",
    "COUNTKEYSINSLOT <slot>",
    "    Return the number of keys in <slot>.",
    "DELSLOTS <slot> [<slot> ...]",
    "    Delete slots information from current node.",
    "DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
    "    Delete slots information which are between <start-slot> and <end-slot> from current node.",
    "FAILOVER [FORCE|TAKEOVER]",
    "    Promote current replica node to being a master.",
    "FORGET <node-id>",
    "    Remove a node from the cluster.",
    "GETKEYSINSLOT <slot> <count>",
    "    Return key names stored by current node in a slot.",
    "FLUSHSLOTS",
    "    Delete current node own slots information.",
    "INFO",
    "    Return information about the cluster.",
    "KEYSLOT <key>",
    "    Return the hash slot for <key>.",
    "MEET <ip> <port> [<bus-port>]",
    "    Connect nodes into a working cluster.",
    "MYID",
    "    Return the node id.",
    "NODES",
    "    Return cluster configuration seen by node. Output format:",
    "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
    "REPLICATE <node-id>",
    "    Configure current node as replica to <node-id>.",
    "RESET [HARD|SOFT]",
    "    Reset current node (default: soft).",
    "SET-CONFIG-EPOCH <epoch>",
    "    Set config epoch of current node.",
    "SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
    "    Set slot state.",
    "REPLICAS <node-id>",
    "    Return <node-id> replicas.",
    "SAVECONFIG",
    "    Force saving cluster configuration on disk.",
    "SLOTS",
    "    Return information about slots range mappings. Each range is made of:",
    "    start, end, master and replicas IP addresses, ports and ids",
    "SHARDS",
    "    Return information about slot range mappings and the nodes associated with them.",
    "LINKS",
    "    Return information about all network links between this node and its peers.",
    "    Output format is an array where each array element is a map containing attributes of a link",
];

fn err(text: impl Into<String>) -> Reply {
    Reply::Error(text.into())
}

fn bulk(s: impl Into<Vec<u8>>) -> Reply {
    Reply::Bulk(s.into())
}

fn lower(a: &[u8]) -> String {
    String::from_utf8_lossy(a).to_ascii_lowercase()
}

fn text(a: &[u8]) -> String {
    String::from_utf8_lossy(a).into_owned()
}

/// `getSlotOrReply`.
fn slot_arg(a: &[u8]) -> Result<Slot, Reply> {
    match crate::redis::num::parse_i64(a) {
        Some(s) if (0..SLOTS as i64).contains(&s) => Ok(s as Slot),
        _ => Err(err("ERR Invalid or out of range slot")),
    }
}

/// `clusterLookupNode`: by the full 40-character name.
fn lookup(server: &Server, name: &[u8]) -> Option<NodeIdx> {
    server.cluster.names.iter().position(|n| n.as_bytes() == name)
}

/// CLUSTER <subcommand> … on `server`.
pub fn cluster(server: &mut Server, now: SimTime, argv: &[Vec<u8>], repl: &ReplInfo, fx: &mut SideEffects) -> Reply {
    let sub = lower(&argv[1]);
    let Some(&(name, arity)) = SUBCOMMANDS.iter().find(|(n, _)| *n == sub) else {
        return err(format!(
            "ERR unknown subcommand '{}'. Try {} HELP.",
            text(&argv[1]),
            text(&argv[0]).to_ascii_uppercase()
        ));
    };
    let argc = argv.len() as i32;
    if (arity > 0 && argc != arity) || argc < -arity {
        return err(format!("ERR wrong number of arguments for 'cluster|{name}' command"));
    }
    let nowms = now.as_unix_ms();
    match name {
        "help" => {
            let mut lines = vec![bulk(format!(
                "{} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                text(&argv[0]).to_ascii_uppercase()
            ))];
            lines.extend(HELP.iter().map(|l| bulk(*l)));
            lines.push(bulk("HELP"));
            lines.push(bulk("    Prints this help."));
            Reply::Array(lines)
        }
        "info" => bulk(info(server)),
        "nodes" => bulk(nodes(server)),
        "myid" => bulk(server.cluster.names[server.idx].clone()),
        "slots" => slots(server),
        "shards" => shards(server),
        "keyslot" => Reply::Integer(i64::from(key_slot(&argv[2]))),
        "countkeysinslot" => match crate::redis::num::parse_i64(&argv[2]) {
            None => err("ERR value is not an integer or out of range"),
            Some(s) if !(0..SLOTS as i64).contains(&s) => err("ERR Invalid slot"),
            Some(s) => Reply::Integer(server.count_keys_in_slot(s as Slot) as i64),
        },
        "getkeysinslot" => {
            let (Some(slot), Some(max)) =
                (crate::redis::num::parse_i64(&argv[2]), crate::redis::num::parse_i64(&argv[3]))
            else {
                return err("ERR value is not an integer or out of range");
            };
            if !(0..SLOTS as i64).contains(&slot) || max < 0 {
                return err("ERR Invalid slot or number of keys");
            }
            Reply::Array(server.keys_in_slot(slot as Slot, max as usize).into_iter().map(Reply::Bulk).collect())
        }
        "count-failure-reports" => match lookup(server, &argv[2]) {
            None => err(format!("ERR Unknown node {}", text(&argv[2]))),
            Some(n) => Reply::Integer(server.cluster.failure_reports_count(n, nowms) as i64),
        },
        "replicas" | "slaves" => match lookup(server, &argv[2]) {
            None => err(format!("ERR Unknown node {}", text(&argv[2]))),
            Some(n) if server.cluster.nodes[n].is_slave() => err("ERR The specified node is not a master"),
            Some(n) => Reply::Array(
                server.cluster.nodes[n].slaves.clone().into_iter().map(|s| bulk(node_line(server, s))).collect(),
            ),
        },
        "addslots" | "delslots" => {
            let del = name == "delslots";
            let mut slots = Vec::new();
            for a in &argv[2..] {
                match slot_arg(a) {
                    Ok(s) => slots.push((s, s)),
                    Err(e) => return e,
                }
            }
            update_slots(server, &slots, del)
        }
        "addslotsrange" | "delslotsrange" => {
            if argc % 2 == 1 {
                return err(format!("ERR wrong number of arguments for 'cluster|{name}' command"));
            }
            let del = name == "delslotsrange";
            let mut ranges = Vec::new();
            for pair in argv[2..].chunks(2) {
                let (a, b) = match (slot_arg(&pair[0]), slot_arg(&pair[1])) {
                    (Ok(a), Ok(b)) => (a, b),
                    (Err(e), _) | (_, Err(e)) => return e,
                };
                if a > b {
                    return err(format!("ERR start slot number {a} is greater than end slot number {b}"));
                }
                ranges.push((a, b));
            }
            update_slots(server, &ranges, del)
        }
        "flushslots" => {
            if server.store.dbsize() != 0 {
                return err("ERR DB must be empty to perform CLUSTER FLUSHSLOTS.");
            }
            let mine: Vec<Slot> = server.cluster.myself().slots.iter().collect();
            for s in mine {
                server.cluster.del_slot(s);
            }
            server.cluster.request_state_update();
            Reply::ok()
        }
        "setslot" => setslot(server, now, argv, fx),
        "failover" => {
            let (mut force, mut takeover) = (false, false);
            if argc == 3 {
                match lower(&argv[2]).as_str() {
                    "force" => force = true,
                    "takeover" => {
                        takeover = true;
                        force = true;
                    }
                    _ => return err("ERR syntax error"),
                }
            } else if argc > 3 {
                return err(format!(
                    "ERR unknown subcommand or wrong number of arguments for '{}'. Try CLUSTER HELP.",
                    text(&argv[1])
                ));
            }
            let c = &server.cluster;
            if c.is_master() {
                return err("ERR You should send CLUSTER FAILOVER to a replica");
            }
            let Some(m) = c.master() else { return err("ERR I'm a replica but my master is unknown to me") };
            if !force && (c.nodes[m].failed() || c.nodes[m].link.is_none()) {
                return err("ERR Master is down or failed, please use CLUSTER FAILOVER FORCE");
            }
            let effects = server.cluster.start_manual_failover(nowms, force, takeover, repl);
            fx.cluster.extend(effects);
            Reply::ok()
        }
        "bumpepoch" => {
            let mut out = Vec::new();
            let bumped = server.cluster.bump_config_epoch_without_consensus(&mut out);
            fx.cluster.extend(out);
            Reply::Status(format!(
                "{} {}",
                if bumped { "BUMPED" } else { "STILL" },
                server.cluster.myself().config_epoch
            ))
        }
        "saveconfig" => Reply::ok(),
        _ => err(format!(
            "ERR playground: CLUSTER {} is not modeled (the cluster is created joined, with fixed members)",
            name.to_ascii_uppercase()
        )),
    }
}

/// ADDSLOTS / DELSLOTS (+RANGE): `checkSlotAssignmentsOrReply` then `clusterUpdateSlots`.
fn update_slots(server: &mut Server, ranges: &[(Slot, Slot)], del: bool) -> Reply {
    let mut seen = SlotSet::new();
    for &(a, b) in ranges {
        for s in a..=b {
            let bound = server.cluster.owner(s).is_some();
            if del && !bound {
                return err(format!("ERR Slot {s} is already unassigned"));
            } else if !del && bound {
                return err(format!("ERR Slot {s} is already busy"));
            }
            if !seen.insert(s) {
                return err(format!("ERR Slot {s} specified multiple times"));
            }
        }
    }
    let me = server.idx;
    for s in seen.iter() {
        server.cluster.importing_from.remove(&s);
        if del {
            server.cluster.del_slot(s);
        } else {
            server.cluster.add_slot(me, s);
        }
    }
    server.cluster.request_state_update();
    Reply::ok()
}

/// CLUSTER SETSLOT.
fn setslot(server: &mut Server, now: SimTime, argv: &[Vec<u8>], fx: &mut SideEffects) -> Reply {
    if server.cluster.is_slave() {
        return err("ERR Please use SETSLOT only with masters.");
    }
    let slot = match slot_arg(&argv[2]) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let me = server.idx;
    let action = lower(&argv[3]);
    let argc = argv.len();
    match (action.as_str(), argc) {
        ("migrating", 5) => {
            if server.cluster.owner(slot) != Some(me) {
                return err(format!("ERR I'm not the owner of hash slot {slot}"));
            }
            let Some(n) = lookup(server, &argv[4]) else {
                return err(format!("ERR I don't know about node {}", text(&argv[4])));
            };
            if server.cluster.nodes[n].is_slave() {
                return err("ERR Target node is not a master");
            }
            server.cluster.migrating_to.insert(slot, n);
        }
        ("importing", 5) => {
            if server.cluster.owner(slot) == Some(me) {
                return err(format!("ERR I'm already the owner of hash slot {slot}"));
            }
            let Some(n) = lookup(server, &argv[4]) else {
                return err(format!("ERR I don't know about node {}", text(&argv[4])));
            };
            if server.cluster.nodes[n].is_slave() {
                return err("ERR Target node is not a master");
            }
            server.cluster.importing_from.insert(slot, n);
        }
        ("stable", 4) => {
            server.cluster.importing_from.remove(&slot);
            server.cluster.migrating_to.remove(&slot);
        }
        ("node", 5) => {
            let Some(n) = lookup(server, &argv[4]) else {
                return err(format!("ERR Unknown node {}", text(&argv[4])));
            };
            if server.cluster.nodes[n].is_slave() {
                return err("ERR Target node is not a master");
            }
            let keys = server.count_keys_in_slot(slot);
            if server.cluster.owner(slot) == Some(me) && n != me && keys != 0 {
                return err(format!(
                    "ERR Can't assign hashslot {slot} to a different node while I still hold keys for this hash slot."
                ));
            }
            if keys == 0 {
                server.cluster.migrating_to.remove(&slot);
            }
            let was_mine = server.cluster.owner(slot) == Some(me);
            server.cluster.del_slot(slot);
            server.cluster.add_slot(n, slot);
            if was_mine
                && n != me
                && server.cluster.myself().numslots() == 0
                && server.cluster.cfg.allow_replica_migration
            {
                let mut out = Vec::new();
                out.push(super::node::Effect::Event(super::node::NodeEvent::BecameReplica { of: n }));
                server.cluster.set_master(n, &mut out);
                fx.cluster.extend(out);
            }
            if n == me && server.cluster.importing_from.remove(&slot).is_some() {
                let mut out = Vec::new();
                server.cluster.bump_config_epoch_without_consensus(&mut out);
                fx.cluster.extend(out);
                let repl = server.repl_info(now.as_unix_ms());
                fx.cluster.extend(server.cluster.broadcast_pong_all(&repl));
            }
        }
        _ => return err("ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP"),
    }
    server.cluster.request_state_update();
    Reply::ok()
}

/// CLUSTER INFO (the fields of `clusterCommand`'s "info" branch).
pub fn info(server: &Server) -> String {
    let c = &server.cluster;
    let (mut assigned, mut ok, mut pfail, mut fail) = (0, 0, 0, 0);
    for o in c.slots.iter().flatten() {
        assigned += 1;
        let p = &c.nodes[*o];
        if p.failed() {
            fail += 1;
        } else if p.timed_out() {
            pfail += 1;
        } else {
            ok += 1;
        }
    }
    let mut s = format!(
        "cluster_state:{}\r\ncluster_slots_assigned:{assigned}\r\ncluster_slots_ok:{ok}\r\ncluster_slots_pfail:{pfail}\r\ncluster_slots_fail:{fail}\r\ncluster_known_nodes:{}\r\ncluster_size:{}\r\ncluster_current_epoch:{}\r\ncluster_my_epoch:{}\r\n",
        c.state.name(),
        c.nodes.len(),
        c.size,
        c.current_epoch,
        c.my_epoch()
    );
    let mut total = 0;
    for t in super::bus::MsgType::ALL {
        let n = c.stats_sent[t as usize];
        if n > 0 {
            total += n;
            s.push_str(&format!("cluster_stats_messages_{}_sent:{n}\r\n", t.name()));
        }
    }
    s.push_str(&format!("cluster_stats_messages_sent:{total}\r\n"));
    let mut total = 0;
    for t in super::bus::MsgType::ALL {
        let n = c.stats_received[t as usize];
        if n > 0 {
            total += n;
            s.push_str(&format!("cluster_stats_messages_{}_received:{n}\r\n", t.name()));
        }
    }
    s.push_str(&format!("cluster_stats_messages_received:{total}\r\n"));
    s.push_str("total_cluster_links_buffer_limit_exceeded:0\r\n");
    s
}

/// One line of CLUSTER NODES (`clusterGenNodeDescription`), as node `server` sees node `n`.
pub fn node_line(server: &Server, n: NodeIdx) -> String {
    let c = &server.cluster;
    let p = &c.nodes[n];
    let epoch = match (p.is_slave(), p.slaveof) {
        (true, Some(m)) => c.nodes[m].config_epoch,
        _ => p.config_epoch,
    };
    let mut s = format!(
        "{} {}@{} {} {} {} {} {} {}",
        c.names[n],
        addr_of(n),
        u32::from(port_of(n)) + 10000,
        p.flags.describe(),
        p.slaveof.map_or("-".to_string(), |m| c.names[m].clone()),
        p.ping_sent,
        p.pong_received,
        epoch,
        if p.link.is_some() || p.flags.has(Flags::MYSELF) { "connected" } else { "disconnected" }
    );
    let ranges = p.slots.ranges();
    if !ranges.is_empty() {
        s.push(' ');
        s.push_str(&super::slot::format_ranges(&ranges));
    }
    if n == c.me {
        for (slot, to) in &c.migrating_to {
            s.push_str(&format!(" [{slot}->-{}]", c.names[*to]));
        }
        for (slot, from) in &c.importing_from {
            if !c.migrating_to.contains_key(slot) {
                s.push_str(&format!(" [{slot}-<-{}]", c.names[*from]));
            }
        }
    }
    s
}

/// CLUSTER NODES.
pub fn nodes(server: &Server) -> String {
    (0..server.cluster.nodes.len()).map(|n| node_line(server, n) + "\n").collect()
}

/// `isReplicaAvailable`.
fn replica_available(server: &Server, n: NodeIdx) -> bool {
    let c = &server.cluster;
    if c.nodes[n].failed() {
        return false;
    }
    let offset = if n == c.me { server.repl.offset } else { c.nodes[n].repl_offset };
    offset != 0
}

fn node_entry(server: &Server, n: NodeIdx) -> Reply {
    Reply::Array(vec![
        bulk("127.0.0.1"),
        Reply::Integer(i64::from(port_of(n))),
        bulk(server.cluster.names[n].clone()),
        Reply::Array(Vec::new()),
    ])
}

/// Contiguous runs of slots with one owner, ascending: `(first, last, owner)`.
pub fn owner_runs(owners: &[Option<NodeIdx>]) -> Vec<(Slot, Slot, NodeIdx)> {
    let mut runs: Vec<(Slot, Slot, NodeIdx)> = Vec::new();
    for (i, o) in owners.iter().enumerate() {
        let Some(o) = *o else { continue };
        match runs.last_mut() {
            Some((_, last, owner)) if *owner == o && usize::from(*last) + 1 == i => *last = i as Slot,
            _ => runs.push((i as Slot, i as Slot, o)),
        }
    }
    runs
}

/// CLUSTER SLOTS (`clusterReplyMultiBulkSlots`).
pub fn slots(server: &Server) -> Reply {
    let c = &server.cluster;
    Reply::Array(
        owner_runs(&c.slots)
            .into_iter()
            .map(|(a, b, n)| {
                let mut entry = vec![Reply::Integer(i64::from(a)), Reply::Integer(i64::from(b)), node_entry(server, n)];
                for &r in &c.nodes[n].slaves {
                    if replica_available(server, r) {
                        entry.push(node_entry(server, r));
                    }
                }
                Reply::Array(entry)
            })
            .collect(),
    )
}

/// CLUSTER SHARDS (`clusterReplyShards`), maps as RESP2 flat arrays.
pub fn shards(server: &Server) -> Reply {
    let c = &server.cluster;
    let mut shards = Vec::new();
    for m in 0..c.nodes.len() {
        if !c.nodes[m].is_master() {
            continue;
        }
        let mut slots = Vec::new();
        for (a, b) in c.nodes[m].slots.ranges() {
            slots.push(Reply::Integer(i64::from(a)));
            slots.push(Reply::Integer(i64::from(b)));
        }
        let mut members = vec![m];
        members.extend(c.nodes[m].slaves.iter().copied());
        let nodes = members
            .into_iter()
            .map(|n| {
                let p = &c.nodes[n];
                let offset = if n == c.me { server.repl.offset } else { p.repl_offset };
                let health = if p.failed() {
                    "fail"
                } else if p.is_slave() && offset == 0 {
                    "loading"
                } else {
                    "online"
                };
                Reply::Array(vec![
                    bulk("id"),
                    bulk(c.names[n].clone()),
                    bulk("port"),
                    Reply::Integer(i64::from(port_of(n))),
                    bulk("ip"),
                    bulk("127.0.0.1"),
                    bulk("endpoint"),
                    bulk("127.0.0.1"),
                    bulk("role"),
                    bulk(if p.is_slave() { "replica" } else { "master" }),
                    bulk("replication-offset"),
                    Reply::Integer(offset as i64),
                    bulk("health"),
                    bulk(health),
                ])
            })
            .collect();
        shards.push(Reply::Array(vec![bulk("slots"), Reply::Array(slots), bulk("nodes"), Reply::Array(nodes)]));
    }
    Reply::Array(shards)
}

/// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [KEYS key …] (`migrateCommand`'s
/// argument checks; AUTH is not modeled).
pub fn parse_migrate(argv: &[Vec<u8>], nodes: usize) -> Result<MigrateRequest, Reply> {
    let (mut copy, mut replace) = (false, false);
    let mut keys: Vec<Vec<u8>> = Vec::new();
    let mut first_key = 3;
    let mut num_keys = 1;
    let mut j = 6;
    while j < argv.len() {
        let moreargs = argv.len() - 1 - j;
        match lower(&argv[j]).as_str() {
            "copy" => copy = true,
            "replace" => replace = true,
            "keys" => {
                if !argv[3].is_empty() {
                    return Err(err(
                        "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string",
                    ));
                }
                first_key = j + 1;
                num_keys = argv.len() - j - 1;
                break;
            }
            "auth" | "auth2" => return Err(err("ERR playground: MIGRATE AUTH is not modeled")),
            _ => return Err(err("ERR syntax error")),
        }
        let _ = moreargs;
        j += 1;
    }
    let Some(db) = crate::redis::num::parse_i64(&argv[4]) else {
        return Err(err("ERR value is not an integer or out of range"));
    };
    let Some(timeout) = crate::redis::num::parse_i64(&argv[5]) else {
        return Err(err("ERR value is not an integer or out of range"));
    };
    let _ = timeout;
    if db != 0 {
        return Err(err("ERR Target instance replied with error: ERR SELECT is not allowed in cluster mode"));
    }
    keys.extend(argv[first_key..first_key + num_keys].iter().cloned());
    let addr = format!("{}:{}", text(&argv[1]), text(&argv[2]));
    let target = node_at(&addr, nodes).ok_or_else(|| err("IOERR error or timeout connecting to the client"))?;
    Ok(MigrateRequest { target, keys, copy, replace })
}
