//! Retry with exponential backoff: policies, retry limiters, the reference retry executor, the AWS
//! optimistic-concurrency contention experiment and a thundering-herd model.
//!
//! Everything here is pure: time is virtual ([`crate::sim::SimTime`], or integer microseconds inside
//! the contention loop), randomness is an injected [`crate::sim::SimRng`], and no function reads a
//! wall clock, touches OS entropy or names a web type. The page and the `sim` CLI only call in.
//!
//! - [`policy`]: the delay formulas (none, constant, exponential, full/equal/decorrelated jitter,
//!   gRPC connection backoff) and [`policy::Backoff`], a policy in use with a max-elapsed deadline.
//! - [`limiter`]: gRPC retry throttling and Finagle's retry budget.
//! - [`retry`]: `retry(call, onRetry, maxRetries)` on the kernel's clock against failing APIs.
//! - [`contention`]: the AWS blog's OCC experiment, one run at a time or as a resumable sweep.
//! - [`herd`]: many clients against a server that fails and recovers, per strategy.

pub mod contention;
pub mod herd;
pub mod limiter;
pub mod policy;
pub mod retry;

pub use contention::{
    calls_over_time, CallsHistogram, ClientPhase, ClientRange, ContentionParams, ContentionResult, ContentionRun, Strategy,
    Sweep, SweepParams, SweepProgress, SweepRow,
};
pub use herd::{HerdBucket, HerdLimiter, HerdParams, HerdSeries};
pub use limiter::{BudgetParams, LimiterError, RetryBudget, RetryThrottle, ThrottleParams};
pub use policy::{Backoff, DelayRow, Policy, PolicyError};
pub use retry::{ApiError, AttemptOutcome, AttemptRecord, CallResult, FailingApi, OnRetry, RetryParams, RetrySchedule};
