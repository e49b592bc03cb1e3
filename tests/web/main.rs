//! Browser tests: wasm-bindgen-test in headless Chromium, with real DOM events.
//! Run with `cargo test --target wasm32-unknown-unknown --test web` (scripts/test.sh does).
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::wasm_bindgen_test_configure;

wasm_bindgen_test_configure!(run_in_browser);

mod support;

mod backoff_page;
mod click_away;
mod cluster_page;
mod kernel;
mod load_balancing_page;
mod locks_page;
mod messaging_linear;
mod messaging_page;
mod modal;
mod playback;
mod redis_cache_page;
mod redis_page;
mod redis_scripting;
mod rewind;
mod routes;
mod verify;
