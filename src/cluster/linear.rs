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
use crate::verify::linear::{
    check_history, check_history_with, split_by_key, History, Input, KeyFailure, LinearLimits, LinearReport, Operation,
    Output,
};

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

/// The same check as [`check_writes`], in slices a page can spread over frames: the history is
/// taken once (on a clone of the run at its cursor: the final reads act on the run), then checked
/// key by key, in key order, [`LinearJob::step`] keys at a time. The failing keys, their
/// sub-histories and the too-large keys are exactly `check_writes`'s.
#[derive(Clone, Debug)]
pub struct LinearJob {
    /// When the history was taken (the run's elapsed virtual time).
    pub at_ms: u64,
    /// The operations checked (unknown reads, which constrain nothing, left out).
    pub operations: usize,
    by_key: Vec<History>,
    next: usize,
    pub failures: Vec<KeyFailure>,
    pub too_large: Vec<(String, usize)>,
}

impl LinearJob {
    /// Takes the run's history (call on a clone: the final reads are commands on the run).
    /// Refused when the run is so long that a session key could have expired.
    pub fn new(run: &mut ClusterRun) -> Result<LinearJob, String> {
        let at_ms = run.elapsed_ms();
        if at_ms >= SESSION_TTL_S * 1000 {
            return Err(format!(
                "the run is at {} s, past the session keys' {SESSION_TTL_S} s TTL: the history would not be sound",
                at_ms / 1000
            ));
        }
        let h = write_history(run);
        let (operations, by_key) = split_by_key(h.ops);
        Ok(LinearJob { at_ms, operations, by_key, next: 0, failures: Vec::new(), too_large: Vec::new() })
    }
    /// Keys in the history.
    pub fn keys(&self) -> usize {
        self.by_key.len()
    }
    /// Keys checked so far.
    pub fn checked(&self) -> usize {
        self.next
    }
    pub fn is_done(&self) -> bool {
        self.next >= self.by_key.len()
    }
    /// Checks up to `keys` more keys; true when every key is checked.
    pub fn step(&mut self, keys: usize) -> bool {
        let end = self.next.saturating_add(keys).min(self.by_key.len());
        for h in &self.by_key[self.next..end] {
            let r = check_history_with(h, LinearLimits::default());
            self.failures.extend(r.failures);
            self.too_large.extend(r.too_large);
        }
        self.next = end;
        self.is_done()
    }
    /// The keys found linearizable so far.
    pub fn linearizable(&self) -> usize {
        self.next.saturating_sub(self.failures.len() + self.too_large.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::scenario::preset;

    /// The sliced job finds exactly what the one-shot check finds (replica-lag seed 1: 26 keys).
    #[test]
    fn the_sliced_job_agrees_with_the_one_shot_check() {
        let mut r = ClusterRun::new(preset("replica-lag").unwrap(), 1).unwrap();
        r.run_to_end();
        let mut job = LinearJob::new(&mut ClusterRun { sim: r.sim.clone() }).unwrap();
        let (_, report) = check_writes(&mut r);
        let mut slices = 0;
        while !job.step(7) {
            slices += 1;
        }
        assert!(slices > 1, "several slices");
        assert_eq!(job.keys(), report.keys);
        assert_eq!(job.operations, report.operations);
        let keys = |f: &[KeyFailure]| f.iter().map(|f| (f.key.clone(), f.ops.len())).collect::<Vec<_>>();
        assert_eq!(keys(&job.failures), keys(&report.failures));
        assert_eq!(job.failures.len(), 26);
        assert_eq!(job.linearizable(), report.keys - 26 - report.too_large.len());
    }
}
