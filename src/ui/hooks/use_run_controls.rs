//! `use_run_controls`: the `ControlsBar` callbacks every seeded, played page wires the same way —
//! play/pause (which at the end of a run that ends does what the page says instead), step, next
//! event, the speed slider (which also rewrites the page's URL), a new seed and Reset (both a
//! restart at a seed). The page supplies what differs: whether the run has ended, what Play does
//! then, how to restart, how to write its URL.

use yew::prelude::*;

use super::use_playback::PlaybackHandle;
use crate::sim::playback::Clocked;

/// The callbacks for `ControlsBar`.
#[derive(Clone, PartialEq)]
pub struct RunControls {
    pub on_toggle: Callback<()>,
    pub on_step: Callback<()>,
    pub on_next: Callback<()>,
    pub on_slider: Callback<u32>,
    pub on_seed: Callback<u64>,
    pub on_reset: Callback<()>,
}

/// What a page tells [`use_run_controls`].
pub struct RunControlsSpec {
    /// The seed Reset restarts with.
    pub seed: u64,
    /// Whether the run is over (nothing left to happen); Play then emits `on_play_ended`.
    pub ended: bool,
    pub on_play_ended: Callback<()>,
    /// A new run at this seed (the page also records the seed and writes its URL).
    pub restart: Callback<u64>,
    /// Writes the page's URL (after the speed changed).
    pub write_url: Callback<()>,
}

#[hook]
pub fn use_run_controls<C: Clocked + 'static>(playback: &PlaybackHandle<C>, spec: RunControlsSpec) -> RunControls {
    let RunControlsSpec { seed, ended, on_play_ended, restart, write_url } = spec;
    let on_toggle = {
        let p = playback.clone();
        Callback::from(move |_: ()| {
            if ended && !p.is_playing() {
                on_play_ended.emit(());
            } else {
                p.toggle();
            }
        })
    };
    let on_slider = {
        let p = playback.clone();
        Callback::from(move |pos: u32| {
            p.set_slider(pos);
            write_url.emit(());
        })
    };
    let on_reset = restart.reform(move |_: ()| seed);
    RunControls {
        on_toggle,
        on_step: playback.on_step(),
        on_next: playback.on_next(),
        on_slider,
        on_seed: restart,
        on_reset,
    }
}
