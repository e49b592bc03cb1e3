//! Hooks: one per file, each returning a handle with intent methods.

pub mod use_click_away;
pub mod use_frame_job;
pub mod use_lua_gate;
pub mod use_playback;
pub mod use_rewind_opening;
pub mod use_run_controls;
pub mod use_sampled;
pub mod use_stable_callback;
pub mod use_stagger;
pub mod use_step_key;
pub mod use_theme;
pub mod use_url_params;

pub use use_click_away::use_click_away;
pub use use_frame_job::{use_frame_job, FrameJobHandle, SLICE_MS};
pub use use_lua_gate::{use_lua_gate, LuaGateHandle};
pub use use_playback::{use_playback, PlaybackHandle, FRAME_GOAL_MS, MIN_SIM_MS};
pub use use_rewind_opening::use_rewind_opening;
pub use use_run_controls::{use_run_controls, RunControls, RunControlsSpec};
pub use use_sampled::use_sampled;
pub use use_stable_callback::use_stable_callback;
pub use use_stagger::use_stagger;
pub use use_step_key::use_step_key;
pub use use_theme::{use_theme, Theme, ThemeHandle};
pub use use_url_params::{use_url_params, UrlParamsHandle};
