//! The cluster's client history for the linearizability checker: every `SET session:<n> <token>`
//! the application sent, with its invoke and return times and how it ended (acknowledged; unknown
//! after a timeout or a closed connection; surely not applied after a refusal), plus a final read
//! of every written key through a `redis-cli -c`-like session at the end of the run (Jepsen's final
//! reads). A write that was acknowledged and then read back as nil is a lost write: no order of the
//! operations explains it, and `verify::linear` names it with the smallest failing sub-history.
//!
//! Each session key is written once with a 600 s TTL, longer than a scenario's writes can age
//! within the checked runs; the cache-aside keys (30 s TTL, expiring on their own) are left out.
//! Pure: runs on the cluster's virtual time.

use super::config::{node_at, NodeIdx};
use super::runtime::ClusterRun;
use super::server::ConnState;
use super::workload::{WriteResult, SESSION_TTL_S};
use crate::redis::Reply;
use crate::verify::linear::{check_history, History, Input, LinearReport, Operation, Output};

/// The client id of the final reads.
pub const READER: u64 = 1_000;
/// Redirects followed by one final read.
const MAX_REDIRECTS: usize = 16;

/// Reads `key` through the cluster as `redis-cli -c` would (following MOVED/ASK); `None` when no
/// node answers it.
fn read(run: &mut ClusterRun, node: &mut NodeIdx, key: &str) -> Option<Reply> {
    let mut conn = ConnState::default();
    for _ in 0..=MAX_REDIRECTS {
        let argv = vec![b"GET".to_vec(), key.as_bytes().to_vec()];
        match run.cli(*node, &mut conn, argv) {
            Ok(Reply::Error(e)) if e.starts_with("MOVED ") || e.starts_with("ASK ") => {
                let addr = e.split_whitespace().nth(2)?;
                *node = node_at(addr, run.model().nodes())?;
                conn = ConnState::default();
            }
            Ok(r) => return Some(r),
            // A killed node: try the next one.
            Err(_) => *node = (*node + 1) % run.model().nodes(),
        }
    }
    None
}

/// The history of the run so far (call after the run ended): the writes, then a final read of
/// every key written.
pub fn write_history(run: &mut ClusterRun) -> History {
    let end = run.elapsed_ms();
    let mut ops = Vec::new();
    let w = &run.model().workload;
    for x in &w.writes {
        let input = Input::Set { value: x.value.clone() };
        let (ret, output) = match x.result {
            WriteResult::Ok => (Some(x.return_ms), Some(Output::Ok)),
            WriteResult::Unknown => (None, None),
            WriteResult::Failed => continue,
        };
        ops.push(Operation { client: x.client as u64, key: x.key.clone(), input, invoke: x.invoke_ms, ret, output });
    }
    for (client, key, value, invoke) in w.open_writes() {
        ops.push(Operation {
            client: client as u64,
            key,
            input: Input::Set { value },
            invoke,
            ret: None,
            output: None,
        });
    }
    let mut keys: Vec<String> = ops.iter().map(|o| o.key.clone()).collect();
    keys.sort();
    keys.dedup();
    let mut node: NodeIdx = 0;
    for (i, key) in keys.into_iter().enumerate() {
        let at = end + 1 + i as u64;
        let Some(reply) = read(run, &mut node, &key) else { continue };
        let output = match Output::from_reply(&reply) {
            Output::Error(_) => continue,
            o => o,
        };
        ops.push(Operation { client: READER, key, input: Input::Get, invoke: at, ret: Some(at), output: Some(output) });
    }
    History { ops }
}

/// The run's writes checked for linearizability (the run must be shorter than the sessions' TTL).
pub fn check_writes(run: &mut ClusterRun) -> (History, LinearReport) {
    debug_assert!(run.elapsed_ms() < SESSION_TTL_S * 1000, "a session key could have expired");
    let h = write_history(run);
    let r = check_history(&h);
    (h, r)
}
