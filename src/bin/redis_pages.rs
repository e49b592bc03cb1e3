//! The browser entry point of the Redis bundle: the pages built on the Redis model and its Lua VM
//! (locks, redis, cluster, messaging). index.html's loader loads it for those paths instead of the
//! light bundle (`src/main.rs`); see ARCHITECTURE.md, "Bundle".

#[cfg(target_arch = "wasm32")]
fn main() {
    playground::ui::start(playground::ui::Pages::REDIS);
}

/// The deliberate panic of `src/main.rs`, for this bundle's pages.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn playground_debug_panic(message: String) {
    panic!("{message}");
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("redis_pages is the playground's Redis bundle and runs in the browser: `./scripts/serve.sh` serves it.");
}
