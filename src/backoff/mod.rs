//! Retry with exponential backoff: policies, retry limiters, the reference retry executor, the AWS
//! optimistic-concurrency contention experiment and a thundering-herd model.
//!
//! Everything here is pure: time is virtual ([`crate::sim::SimTime`], or integer microseconds inside
//! the contention loop), randomness is an injected [`crate::sim::SimRng`], and no function reads a
//! wall clock, touches OS entropy or names a web type. The page and the `sim` CLI only call in.
//!
//! - [`policy`]: the delay formulas (none, constant, exponential, full/equal/decorrelated jitter,
//!   gRPC connection backoff) and [`policy::Backoff`], a policy in use with a max-elapsed deadline.
//! - [`limiter`]: gRPC retry throttling and Finagle's retry budget (`RetryBudget::new(params, now)`:
//!   its window's slices start when it is made, as twitter/util's `WindowedAdder` does).
//! - [`retry`]: `retry(call, onRetry, maxRetries)` on the kernel's clock against failing APIs.
//! - [`contention`]: the AWS blog's OCC experiment, one run at a time or as a resumable sweep.
//! - [`herd`]: many clients against a server that fails and recovers, per strategy.
//! - [`replay`]: the page's live contention run as a rewindable kernel model (replay model
//!   `backoff`): clients join, an outside write and a strategy switch are its logged actions.
//!
//! Driving it from the page:
//! - One call: `retry::run(RetryQuery::to_params()?)` gives a [`RetrySchedule`] (attempts with
//!   start, end, wait and outcome; the `onRetry` log; the result); `retry::simulation(params)` gives
//!   the kernel `Simulation` to step event by event. `Policy::delay_table` fills the delay table.
//! - Contention, one run: `ContentionRun::seeded(params, seed, 0)?.record_calls()`, then
//!   `advance_to_ms(t)` per frame and `phases()`, `version()`, `result()` to draw;
//!   `calls_over_time` gives the five histograms at once.
//! - Contention sweep: `Sweep::new(SweepParams)?`, then `step(runs_per_frame)` until
//!   `progress().done()`; `rows()` grow as cells complete; `csv()` exports. Cancel = drop it.
//! - Herd: `herd::run_all(&params, &[HerdLimiter::None, HerdLimiter::Budget])` (or `simulation`
//!   to step one series).
//!
//! Every parameter struct is serde; `RetryQuery`, `SweepParams` and `HerdParams` round-trip
//! through `serde_qs` for the URL.

pub mod contention;
pub mod herd;
pub mod limiter;
pub mod policy;
pub mod replay;
pub mod retry;

pub use contention::{
    calls_over_time, sweep_csv, CallsHistogram, ClientPhase, ClientRange, ContentionParams, ContentionResult,
    ContentionRun, Strategy, Sweep, SweepParams, SweepProgress, SweepRow,
};
pub use herd::{herd_csv, HerdBucket, HerdLimiter, HerdParams, HerdSeries};
pub use limiter::{BudgetParams, LimiterError, RetryBudget, RetryThrottle, ThrottleParams};
pub use policy::{Backoff, DelayRow, Policy, PolicyError};
pub use retry::{
    ApiError, AttemptOutcome, AttemptRecord, CallResult, FailingApi, OnRetry, RetryError, RetryParams, RetryQuery,
    RetrySchedule,
};
