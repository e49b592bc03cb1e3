//! `sim redis-bench` and the `redis-model` REPL.
use super::{CliResult, Common};

#[derive(clap::Args, Debug)]
pub struct BenchArgs {}

pub fn bench(_c: &Common, _a: BenchArgs) -> CliResult {
    Err("sim redis-bench is not built yet".into())
}
