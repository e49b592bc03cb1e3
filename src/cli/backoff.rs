//! `sim retry` and `sim backoff-sweep`.
use super::{CliResult, Common};

#[derive(clap::Args, Debug)]
pub struct RetryArgs {}
#[derive(clap::Args, Debug)]
pub struct SweepArgs {}

pub fn retry(_c: &Common, _a: RetryArgs) -> CliResult {
    Err("sim retry is not built yet".into())
}
pub fn sweep(_c: &Common, _a: SweepArgs) -> CliResult {
    Err("sim backoff-sweep is not built yet".into())
}
