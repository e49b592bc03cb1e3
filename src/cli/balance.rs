//! `sim lb …`.
use super::{CliResult, Common};

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(_c: &Common, _a: Args) -> CliResult {
    Err("sim lb is not built yet".into())
}
