//! `sim replay FILE`: runs a replay file — the page's "Download replay" or `sim <model>
//! --replay-out` — and prints `{"model", "events", "digest"}` (and the virtual time reached). Without
//! flags it runs to the file's cursor, or to the scenario's end when it has none; `--until-ms T`
//! runs straight to T; `--seek-ms T` runs to the end keeping snapshots and then seeks to T (the two
//! print the same digest).
//!
//! A model takes part by implementing `sim::replay::ReplayModel` and adding one arm to [`run`].

use super::{CliResult, Common, RewindFlags};
use crate::backoff::replay::LiveContention;
use crate::balance::LbModel;
use crate::cluster::runtime::ClusterSim;
use crate::lock::LockRuntime;
use crate::messaging::runtime::MessagingModel;
use crate::redis::cache_aside::CacheAside;
use crate::sim::replay::{open, read_header, Replay, ReplayModel};
use crate::sim::rewind::{RewindConfig, Seek};
use serde::Serialize;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The replay file (JSON).
    pub file: PathBuf,
    #[command(flatten)]
    pub rewind: RewindFlags,
}

/// What `sim replay` prints.
#[derive(Serialize, Debug, PartialEq)]
pub struct ReplayOutput {
    pub model: String,
    pub events: u64,
    pub digest: String,
    pub at_ms: u64,
}

/// The models whose replays this build runs.
pub const REPLAY_MODELS: &[&str] =
    &[LockRuntime::ID, CacheAside::ID, LbModel::ID, LiveContention::ID, ClusterSim::ID, MessagingModel::ID];

pub fn run(c: &Common, a: Args) -> CliResult {
    let text = std::fs::read_to_string(&a.file)
        .map_err(|e| format!("cannot read the replay file {}: {e}", a.file.display()))?;
    let out = replay_text(&text, &a.rewind)?;
    if let Some(path) = &a.rewind.replay_out {
        return Err(format!(
            "--replay-out {} is for `sim <model>`; `sim replay` reads a replay, copy the file instead",
            path.display()
        )
        .into());
    }
    if c.json {
        super::output::print_json(&out)
    } else {
        println!("{}: {} events to {} ms, digest {}", out.model, out.events, out.at_ms, out.digest);
        Ok(())
    }
}

/// Runs a replay's text as the flags say.
pub fn replay_text(text: &str, flags: &RewindFlags) -> Result<ReplayOutput, Box<dyn std::error::Error>> {
    let header = read_header(text)?;
    match header.model.as_str() {
        LockRuntime::ID => replay_model::<LockRuntime>(text, flags),
        CacheAside::ID => replay_model::<CacheAside>(text, flags),
        LbModel::ID => replay_model::<LbModel>(text, flags),
        LiveContention::ID => replay_model::<LiveContention>(text, flags),
        ClusterSim::ID => replay_model::<ClusterSim>(text, flags),
        MessagingModel::ID => replay_model::<MessagingModel>(text, flags),
        other => Err(format!(
            "replays of the model {other:?} are not supported by this build; it replays: {}",
            REPLAY_MODELS.join(", ")
        )
        .into()),
    }
}

fn replay_model<M: ReplayModel>(text: &str, flags: &RewindFlags) -> Result<ReplayOutput, Box<dyn std::error::Error>> {
    let r = Replay::<M::Scenario, M::Action>::parse(text, M::ID)?;
    let mut rw = open::<M>(&r, RewindConfig::default())?;
    let end = r.cursor.map(|c| c.at_ms).unwrap_or_else(|| M::default_end_ms(&r.scenario));
    match (flags.until_ms, flags.seek_ms) {
        (Some(t), _) => {
            rw.seek(Seek::Time(t));
        }
        (None, Some(t)) => {
            rw.seek(Seek::Time(end.max(t)));
            rw.seek(Seek::Time(t));
        }
        (None, None) => {
            match r.cursor {
                Some(c) => rw.seek(Seek::At(c)),
                None => rw.seek(Seek::Time(end)),
            };
        }
    }
    if let Some(e) = rw.error() {
        return Err(e.to_string().into());
    }
    let cursor = rw.cursor();
    Ok(ReplayOutput { model: M::ID.to_string(), events: cursor.events, digest: rw.digest(), at_ms: cursor.at_ms })
}
