//! `sim lock`.
use super::{CliResult, Common};

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(_c: &Common, _a: Args) -> CliResult {
    Err("sim lock is not built yet".into())
}
