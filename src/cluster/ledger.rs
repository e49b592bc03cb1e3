//! Which acknowledged writes still exist: the accounting behind "lost acknowledged writes".
//!
//! Every write a master applies gets a replication offset in its replication history (a Redis
//! replication ID). A replica that is promoted starts a new history whose first part is the old
//! one up to the offset it had (`shiftReplicationId`); a node restarted without persistence, or
//! resynchronised from scratch, holds a different history from then on. A node at position
//! `(history h, offset o)` holds every write of `h` up to `o`, and every write of `h`'s ancestors
//! up to the offsets where they forked.
//!
//! A write is *acknowledged* when its client receives the master's OK. It is *lost* once no node
//! holds it any more: when the promoted replica was behind, the old master's extra writes vanish
//! as soon as that master is killed (no persistence) or turned into a replica and resynchronised;
//! a master cut off on the minority side keeps what it accepted until the partition heals and it
//! resynchronises. Each acknowledged write is counted at most once.
//!
//! Data can be on the wire: a master's last writes may still reach its replica after the master
//! died, and a client may see an OK after the master is gone. So the runtime calls [`Ledger::settle`]
//! a little after anything changed (longer than any message takes to land), and an
//! acknowledgement that no node holds when it arrives is only judged at a settle at least that
//! long after it (`not_before`).
//!
//! Bounded: each history keeps the offsets of at most [`MAX_TRACKED`] acknowledged writes still
//! held; older ones are forgotten (and can no longer be counted as lost).

use serde::{Deserialize, Serialize};

/// A replication history (replication ID).
pub type HistId = usize;

/// Acknowledged writes remembered per history.
pub const MAX_TRACKED: usize = 200_000;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct History {
    /// The history this one continues, and the offset up to which it shares it.
    parent: Option<(HistId, u64)>,
    /// Offsets of acknowledged writes that some node still holds (unordered).
    acked: Vec<u64>,
}

/// One node's data: which history, up to which offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub hist: HistId,
    pub offset: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    histories: Vec<History>,
    /// Acknowledgements of writes no node held when they arrived: (history, offset, judge no
    /// earlier than this time).
    doubtful: Vec<(HistId, u64, u64)>,
    /// Acknowledged writes counted as lost so far.
    pub lost: u64,
    /// Acknowledged writes seen.
    pub acked: u64,
}

impl Ledger {
    /// Roughly the heap bytes this ledger holds: every history's tracked offsets (up to
    /// [`MAX_TRACKED`] of them) and the doubtful acknowledgements.
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let histories: usize =
            self.histories.iter().map(|h| size_of::<History>() + h.acked.len() * size_of::<u64>()).sum();
        histories + self.doubtful.len() * size_of::<(HistId, u64, u64)>()
    }

    pub fn new() -> Ledger {
        Ledger::default()
    }

    /// A new history, continuing `parent` up to the given offset (a promotion), or a fresh one.
    pub fn new_history(&mut self, parent: Option<(HistId, u64)>) -> HistId {
        self.histories.push(History { parent, acked: Vec::new() });
        self.histories.len() - 1
    }

    pub fn histories(&self) -> usize {
        self.histories.len()
    }

    /// How far each history is held by the given node positions.
    fn coverage(&self, positions: &[Position]) -> Vec<Option<u64>> {
        let mut cov: Vec<Option<u64>> = vec![None; self.histories.len()];
        for p in positions {
            let (mut h, mut o) = (p.hist, p.offset);
            while let Some(c) = cov.get_mut(h) {
                *c = Some(c.map_or(o, |x| x.max(o)));
                match self.histories[h].parent {
                    Some((parent, fork)) => {
                        h = parent;
                        o = o.min(fork);
                    }
                    None => break,
                }
            }
        }
        cov
    }

    /// Records that a client received the OK of the write at `offset` of `hist`, at `now_ms`.
    /// If no node holds it now, it is judged by a settle no earlier than `not_before` (the data may
    /// still be on its way to a replica). Returns false in that case.
    pub fn acknowledge(&mut self, hist: HistId, offset: u64, positions: &[Position], not_before: u64) -> bool {
        if hist >= self.histories.len() {
            return true;
        }
        self.acked += 1;
        let held = self.coverage(positions)[hist].is_some_and(|c| c >= offset);
        if !held {
            self.doubtful.push((hist, offset, not_before));
            return false;
        }
        let acked = &mut self.histories[hist].acked;
        if acked.len() >= MAX_TRACKED {
            acked.remove(0);
        }
        acked.push(offset);
        true
    }

    /// Acknowledgements still waiting to be judged.
    pub fn doubtful(&self) -> usize {
        self.doubtful.len()
    }

    /// At `now_ms`, counts the acknowledged writes no node holds any more (after a kill, a
    /// restart, a resynchronisation, once what was on the wire has landed). Returns how many were
    /// newly lost.
    pub fn settle(&mut self, positions: &[Position], now_ms: u64) -> u64 {
        let cov = self.coverage(positions);
        let mut newly = 0;
        for (h, hist) in self.histories.iter_mut().enumerate() {
            let c = cov[h];
            let before = hist.acked.len();
            hist.acked.retain(|&o| c.is_some_and(|c| o <= c));
            newly += (before - hist.acked.len()) as u64;
        }
        let histories = &mut self.histories;
        self.doubtful.retain(|&(h, o, not_before)| {
            if not_before > now_ms {
                return true;
            }
            if cov[h].is_some_and(|c| o <= c) {
                histories[h].acked.push(o);
            } else {
                newly += 1;
            }
            false
        });
        self.lost += newly;
        newly
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_promoted_replica_behind_its_master_loses_the_difference_when_the_master_goes() {
        let mut l = Ledger::new();
        let h = l.new_history(None);
        let master = Position { hist: h, offset: 100 };
        let replica = Position { hist: h, offset: 80 };
        for o in [10, 50, 80, 90, 100] {
            assert!(l.acknowledge(h, o, &[master, replica], 0));
        }
        // The replica is promoted: a new history continuing h up to 80.
        let y = l.new_history(Some((h, 80)));
        let promoted = Position { hist: y, offset: 80 };
        // While the old master still lives (minority side), nothing is lost yet.
        assert_eq!(l.settle(&[master, promoted], 0), 0);
        // It resynchronises from the new master: 90 and 100 are gone.
        assert_eq!(l.settle(&[Position { hist: y, offset: 85 }, promoted], 0), 2);
        // A late acknowledgement of a write beyond the fork is judged once what was on the wire
        // has landed.
        assert!(!l.acknowledge(h, 95, &[promoted], 10));
        assert_eq!(l.settle(&[promoted], 5), 0, "too early to judge");
        assert_eq!(l.settle(&[promoted], 10), 1);
        assert_eq!((l.lost, l.acked), (3, 6));
        // A doubtful write that did land on a replica is not lost.
        assert!(!l.acknowledge(y, 90, &[promoted], 10));
        assert_eq!(l.settle(&[Position { hist: y, offset: 90 }], 10), 0);
        // Writes of the new history are held by its master.
        assert!(l.acknowledge(y, 81, &[Position { hist: y, offset: 81 }], 0));
    }

    #[test]
    fn a_restart_without_persistence_that_wipes_the_replica_loses_everything() {
        let mut l = Ledger::new();
        let h = l.new_history(None);
        for o in 1..=5 {
            l.acknowledge(h, o * 10, &[Position { hist: h, offset: 50 }], 0);
        }
        let fresh = l.new_history(None);
        // The replica still holds h until it resynchronises from the empty master.
        assert_eq!(l.settle(&[Position { hist: fresh, offset: 0 }, Position { hist: h, offset: 50 }], 0), 0);
        assert_eq!(l.settle(&[Position { hist: fresh, offset: 0 }, Position { hist: fresh, offset: 0 }], 0), 5);
    }
}
