//! Small text helpers of the locks page.

use crate::lock::url::Dur;
use crate::sim::SimDuration;

/// `1.250s` style durations.
pub fn secs(ms: u64) -> String {
    SimDuration(ms).to_string()
}

/// `15s`, `500ms`: the fault settings' durations.
pub fn secs_short(ms: u64) -> String {
    Dur(ms).to_string()
}

/// `+12.345s` style run-relative timestamps.
pub fn tick(ms: u64) -> String {
    let s = ms / 1000;
    if s >= 60 {
        format!("{}:{:02}.{:03}", s / 60, s % 60, ms % 1000)
    } else {
        format!("{}.{:03}s", s, ms % 1000)
    }
}
