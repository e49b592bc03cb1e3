//! Compare mode: every chosen algorithm on the same seeded workload, one after another, in chunks
//! of events so the page can run it across animation frames, show progress and cancel (by simply
//! dropping the `Compare`).

use super::metrics::RunSummary;
use super::model::LbRun;
use super::scenario::Scenario;
use super::{AlgorithmId, BalanceError};
use serde::{Deserialize, Serialize};

/// One row of the comparison table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompareRow {
    pub algorithm: AlgorithmId,
    pub p50_ms: u64,
    pub p99_ms: u64,
    pub p999_ms: u64,
    pub drops: u64,
    pub errors: u64,
    pub completed: u64,
    pub fairness: f64,
}

impl CompareRow {
    pub fn from_summary(algorithm: AlgorithmId, s: &RunSummary) -> Self {
        CompareRow {
            algorithm,
            p50_ms: s.latency.p50_ms,
            p99_ms: s.latency.p99_ms,
            p999_ms: s.latency.p999_ms,
            drops: s.drops,
            errors: s.errors,
            completed: s.completed,
            fairness: s.fairness,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompareProgress {
    /// Algorithms finished.
    pub finished: usize,
    pub total: usize,
    /// 0..=1 over the whole comparison.
    pub fraction: f64,
    pub done: bool,
}

pub struct Compare {
    scenario: Scenario,
    algorithms: Vec<AlgorithmId>,
    current: Option<LbRun>,
    rows: Vec<CompareRow>,
}

impl Compare {
    /// Checks every algorithm can be built for the scenario before starting.
    pub fn new(scenario: &Scenario, algorithms: &[AlgorithmId]) -> Result<Self, BalanceError> {
        for a in algorithms {
            LbRun::new(&Scenario { algorithm: *a, ..scenario.clone() })?;
        }
        Ok(Compare { scenario: scenario.clone(), algorithms: algorithms.to_vec(), current: None, rows: Vec::new() })
    }

    /// Every algorithm.
    pub fn all(scenario: &Scenario) -> Result<Self, BalanceError> {
        Self::new(scenario, &AlgorithmId::ALL)
    }

    /// Processes up to `max_events` simulation events, then reports progress.
    pub fn step(&mut self, max_events: u64) -> CompareProgress {
        let mut budget = max_events;
        while budget > 0 && self.rows.len() < self.algorithms.len() {
            let alg = self.algorithms[self.rows.len()];
            let run = match &mut self.current {
                Some(r) => r,
                None => match LbRun::new(&Scenario { algorithm: alg, ..self.scenario.clone() }) {
                    Ok(r) => self.current.insert(r),
                    // Checked in `new`; unreachable for an unchanged scenario, but never panic.
                    Err(_) => {
                        self.algorithms.truncate(self.rows.len());
                        break;
                    }
                },
            };
            let before = run.events();
            let done = run.run_bounded(budget);
            budget = budget.saturating_sub(run.events() - before);
            if done {
                let s = run.summary();
                self.rows.push(CompareRow::from_summary(alg, &s));
                self.current = None;
            }
        }
        self.progress()
    }

    pub fn progress(&self) -> CompareProgress {
        let total = self.algorithms.len();
        let finished = self.rows.len();
        let partial = self.current.as_ref().map_or(0.0, |r| r.progress());
        let fraction = if total == 0 { 1.0 } else { ((finished as f64 + partial) / total as f64).min(1.0) };
        CompareProgress { finished, total, fraction, done: finished == total }
    }

    /// The workload being compared.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn rows(&self) -> &[CompareRow] {
        &self.rows
    }

    /// Runs to the end in one go (native use).
    pub fn run_to_end(&mut self) -> &[CompareRow] {
        while !self.step(1 << 20).done {}
        &self.rows
    }

    pub fn to_csv(&self) -> String {
        rows_to_csv(&self.rows)
    }
}

/// The comparison table as CSV, one line per algorithm under a header (what the page exports).
pub fn rows_to_csv(rows: &[CompareRow]) -> String {
    let mut out = String::from("algorithm,p50_ms,p99_ms,p999_ms,drops,errors,completed,fairness\n");
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            r.algorithm, r.p50_ms, r.p99_ms, r.p999_ms, r.drops, r.errors, r.completed, r.fairness
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_compare_equals_one_shot_runs_and_reports_progress() {
        let sc = Scenario { duration_ms: 1_000, ..Scenario::default() };
        let algs = [AlgorithmId::RoundRobin, AlgorithmId::P2c, AlgorithmId::Maglev];
        let mut c = Compare::new(&sc, &algs).unwrap();
        let mut last = 0.0;
        let mut steps = 0;
        loop {
            let p = c.step(300);
            assert!(p.fraction >= last);
            last = p.fraction;
            steps += 1;
            if p.done {
                break;
            }
        }
        assert!(steps > 3);
        for (row, alg) in c.rows().iter().zip(algs) {
            let mut r = LbRun::new(&Scenario { algorithm: alg, ..sc.clone() }).unwrap();
            r.run_to_end();
            assert_eq!(*row, CompareRow::from_summary(alg, &r.summary()));
        }
        assert_eq!(c.to_csv().lines().count(), 4);
    }
}
