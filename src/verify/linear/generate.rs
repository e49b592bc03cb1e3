//! Histories recorded from the modeled Redis, for tests, benchmarks and the page's examples.
//!
//! Operations run one at a time on a real [`Store`] (so every history is linearizable by
//! construction: the execution order is a witness), each at an instant inside a random window
//! `[invoke, return]`, so that windows overlap as much as the spread asks; some replies are lost
//! (outcome unknown). Deterministic from the seed.

use super::history::{History, HistoryRecorder, Input, Output};
use crate::redis::Store;
use crate::sim::{SimRng, SimTime};
use serde::{Deserialize, Serialize};

/// What to generate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GenConfig {
    pub seed: u64,
    pub ops: usize,
    /// Keys used (`k0`, `k1`, …).
    pub keys: usize,
    /// Operations start one `step` apart; each window reaches up to `spread` either side of its
    /// instant, so about `2 × spread / step` operations overlap.
    pub step: u64,
    pub spread: u64,
    /// Replies lost, per thousand operations.
    pub lost_per_mille: u64,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig { seed: 1, ops: 100, keys: 3, step: 10, spread: 40, lost_per_mille: 100 }
    }
}

/// A linearizable history of GET, SET, SET NX, DEL and INCRBY on the modeled Redis.
pub fn recorded_history(cfg: &GenConfig) -> History {
    let mut rng = SimRng::new(cfg.seed);
    let mut store = Store::new(rng.child("store"));
    let mut rec = HistoryRecorder::new();
    let keys: Vec<String> = (0..cfg.keys.max(1)).map(|k| format!("k{k}")).collect();
    let spread = cfg.spread.max(1);
    for i in 0..cfg.ops {
        let at = spread.saturating_add((i as u64).saturating_mul(cfg.step));
        let key = &keys[rng.index(keys.len())];
        let input = match rng.below(6) {
            0 | 5 => Input::Get,
            1 if rng.bernoulli(0.5) => Input::Set { value: rng.below(5).to_string() },
            1 => Input::Set { value: format!("s{}", rng.below(3)) },
            2 => Input::SetNx { value: format!("w{i}") },
            3 => Input::Del,
            _ => Input::Incr { by: rng.below(3) as i64 - 1 },
        };
        let reply = store.execute(SimTime(1_000_000u64.saturating_add(at)), &input.argv(key));
        let invoke = at.saturating_sub(rng.below(spread));
        let id = rec.invoke(rng.below(8), key, input, invoke);
        if rng.below(1000) < cfg.lost_per_mille {
            rec.unknown(id, at.saturating_add(1));
        } else {
            rec.ok(id, Output::from_reply(&reply), at.saturating_add(rng.below(spread)));
        }
    }
    rec.finish()
}
