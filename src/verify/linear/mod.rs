//! Linearizability of histories of the modeled Redis: `history.rs` is the history (recorded from a
//! model run or read from JSON), `check.rs` the per-key Wing–Gong search with Lowe's memo, bounded
//! by a step budget so a history too large to decide gets that answer instead of a frozen tab.
//! Pure: it counts search steps and never reads a clock.

pub mod check;
pub mod generate;
pub mod history;

pub use check::{
    check_history, check_history_with, split_by_key, KeyFailure, KeyVerdict, LinearLimits, LinearReport, SlicedCheck,
};
pub use generate::{recorded_history, GenConfig};
pub use history::{History, HistoryError, HistoryRecorder, Input, OpId, Operation, Output};
