//! `redis-cli --cluster reshard` as a sans-IO operator: for each slot, `clusterManagerMoveSlot`
//! (`src/redis-cli.c`) — SETSLOT IMPORTING on the target, SETSLOT MIGRATING on the source, then
//! GETKEYSINSLOT and MIGRATE … KEYS in batches of 10 (`--cluster-pipeline`) until the slot is
//! empty, then SETSLOT NODE on the target, the source and every other master. Each command is
//! one round trip; any error reply stops the resharding, as redis-cli exits.

use serde::{Deserialize, Serialize};

use super::config::{port_of, NodeIdx};
use super::slot::Slot;
use crate::redis::Reply;

/// `--cluster-pipeline` default.
pub const PIPELINE: usize = 10;
/// `--cluster-timeout` default (ms), passed to MIGRATE.
pub const MIGRATE_TIMEOUT_MS: u64 = 60_000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum Stage {
    Importing,
    Migrating,
    GetKeys,
    Migrate,
    NodeOnTarget,
    NodeOnSource,
    NodeOnOthers(usize),
}

/// Progress of a resharding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resharder {
    pub from: NodeIdx,
    pub to: NodeIdx,
    pub slots: Vec<Slot>,
    /// Index of the slot being moved.
    pub current: usize,
    stage: Stage,
    batch: Vec<Vec<u8>>,
    /// The other masters to inform (at start).
    others: Vec<NodeIdx>,
    names: Vec<String>,
    pub keys_moved: u64,
    pub started_ms: u64,
    pub finished_ms: Option<u64>,
    pub error: Option<String>,
}

/// One command to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReshardCmd {
    pub node: NodeIdx,
    pub argv: Vec<Vec<u8>>,
}

fn words(ws: &[&str]) -> Vec<Vec<u8>> {
    ws.iter().map(|w| w.as_bytes().to_vec()).collect()
}

impl Resharder {
    pub fn new(
        from: NodeIdx,
        to: NodeIdx,
        slots: Vec<Slot>,
        others: Vec<NodeIdx>,
        names: Vec<String>,
        now_ms: u64,
    ) -> Resharder {
        Resharder {
            from,
            to,
            slots,
            current: 0,
            stage: Stage::Importing,
            batch: Vec::new(),
            others,
            names,
            keys_moved: 0,
            started_ms: now_ms,
            finished_ms: None,
            error: None,
        }
    }

    pub fn is_done(&self) -> bool {
        self.finished_ms.is_some() || self.error.is_some()
    }

    pub fn slots_moved(&self) -> usize {
        self.current
    }

    /// The slot being moved now.
    pub fn slot(&self) -> Option<Slot> {
        self.slots.get(self.current).copied()
    }

    /// The command for the current step.
    pub fn command(&self) -> Option<ReshardCmd> {
        if self.is_done() {
            return None;
        }
        let slot = self.slot()?.to_string();
        let (from, to) = (&self.names[self.from], &self.names[self.to]);
        let (node, argv) = match &self.stage {
            Stage::Importing => (self.to, words(&["CLUSTER", "SETSLOT", &slot, "IMPORTING", from])),
            Stage::Migrating => (self.from, words(&["CLUSTER", "SETSLOT", &slot, "MIGRATING", to])),
            Stage::GetKeys => (self.from, words(&["CLUSTER", "GETKEYSINSLOT", &slot, &PIPELINE.to_string()])),
            Stage::Migrate => {
                let mut argv = words(&[
                    "MIGRATE",
                    "127.0.0.1",
                    &port_of(self.to).to_string(),
                    "",
                    "0",
                    &MIGRATE_TIMEOUT_MS.to_string(),
                    "KEYS",
                ]);
                argv.extend(self.batch.iter().cloned());
                (self.from, argv)
            }
            Stage::NodeOnTarget => (self.to, words(&["CLUSTER", "SETSLOT", &slot, "NODE", to])),
            Stage::NodeOnSource => (self.from, words(&["CLUSTER", "SETSLOT", &slot, "NODE", to])),
            Stage::NodeOnOthers(i) => (self.others[*i], words(&["CLUSTER", "SETSLOT", &slot, "NODE", to])),
        };
        Some(ReshardCmd { node, argv })
    }

    /// The reply to the current command arrived (or the connection failed: `Err`).
    pub fn on_reply(&mut self, now_ms: u64, reply: Result<Reply, String>) {
        let reply = match reply {
            Ok(Reply::Error(e)) => {
                // "If the source node has just lost its last slot … this is not an error."
                if self.stage == Stage::NodeOnSource && e.starts_with("ERR Please use SETSLOT only with masters.") {
                    Reply::ok()
                } else {
                    self.error = Some(format!("slot {}: {e}", self.slot().unwrap_or(0)));
                    return;
                }
            }
            Ok(r) => r,
            Err(e) => {
                self.error = Some(format!("slot {}: {e}", self.slot().unwrap_or(0)));
                return;
            }
        };
        self.stage = match &self.stage {
            Stage::Importing => Stage::Migrating,
            Stage::Migrating => Stage::GetKeys,
            Stage::GetKeys => {
                let keys: Vec<Vec<u8>> = match reply {
                    Reply::Array(items) => {
                        items.into_iter().filter_map(|r| if let Reply::Bulk(b) = r { Some(b) } else { None }).collect()
                    }
                    _ => Vec::new(),
                };
                if keys.is_empty() {
                    Stage::NodeOnTarget
                } else {
                    self.batch = keys;
                    Stage::Migrate
                }
            }
            Stage::Migrate => {
                self.keys_moved += self.batch.len() as u64;
                self.batch.clear();
                Stage::GetKeys
            }
            Stage::NodeOnTarget => Stage::NodeOnSource,
            Stage::NodeOnSource => return self.inform_other(0, now_ms),
            Stage::NodeOnOthers(i) => return self.inform_other(i + 1, now_ms),
        };
    }

    /// SETSLOT NODE on the next other master, or on to the next slot.
    fn inform_other(&mut self, next: usize, now_ms: u64) {
        if next < self.others.len() {
            self.stage = Stage::NodeOnOthers(next);
            return;
        }
        self.current += 1;
        self.stage = Stage::Importing;
        if self.current >= self.slots.len() {
            self.finished_ms = Some(now_ms);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        (0..3).map(|i| format!("{i:040}")).collect()
    }

    #[test]
    fn moves_a_slot_like_cluster_manager_move_slot() {
        let mut r = Resharder::new(0, 1, vec![5], vec![2], names(), 0);
        let mut seen = Vec::new();
        let replies = [
            Reply::ok(),
            Reply::ok(),
            Reply::Array(vec![Reply::bulk("a"), Reply::bulk("b")]),
            Reply::ok(),
            Reply::Array(vec![]),
            Reply::ok(),
            Reply::ok(),
            Reply::ok(),
        ];
        for reply in replies {
            let c = r.command().expect("a command");
            seen.push(format!(
                "{}: {}",
                c.node,
                c.argv.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect::<Vec<_>>().join(" ")
            ));
            r.on_reply(10, Ok(reply));
        }
        assert!(r.is_done() && r.error.is_none() && r.keys_moved == 2, "{r:?}");
        let n = |i: usize| format!("{i:040}");
        assert_eq!(
            seen,
            vec![
                format!("1: CLUSTER SETSLOT 5 IMPORTING {}", n(0)),
                format!("0: CLUSTER SETSLOT 5 MIGRATING {}", n(1)),
                "0: CLUSTER GETKEYSINSLOT 5 10".to_string(),
                "0: MIGRATE 127.0.0.1 7001  0 60000 KEYS a b".to_string(),
                "0: CLUSTER GETKEYSINSLOT 5 10".to_string(),
                format!("1: CLUSTER SETSLOT 5 NODE {}", n(1)),
                format!("0: CLUSTER SETSLOT 5 NODE {}", n(1)),
                format!("2: CLUSTER SETSLOT 5 NODE {}", n(1)),
            ]
        );
    }
}
