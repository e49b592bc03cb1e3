//! `sim kernel-bench`.
use super::{CliResult, Common};

#[derive(clap::Args, Debug)]
pub struct BenchArgs {}

pub fn bench(_c: &Common, _a: BenchArgs) -> CliResult {
    Err("kernel-bench is not built yet".into())
}
