//! The browser entry point of the light bundle (home, backoff, load balancing): mounts the app with
//! those pages. `src/bin/page_*.rs` are the other bundles, one per Redis page (ARCHITECTURE.md,
//! "Bundle"). Everything else lives in the library.

#[cfg(target_arch = "wasm32")]
fn main() {
    playground::ui::start(playground::ui::Pages::LIGHT);
}

/// Panics on purpose so the end-to-end tests can check that a crash is reported in the console and
/// shown to the user as a banner (reachable only from the developer console as
/// `wasmBindings.playground_debug_panic("…")`). Each bundle's bin exports it.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn playground_debug_panic(message: String) {
    panic!("{message}");
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "The playground runs in the browser: `./scripts/serve.sh` builds and serves it on http://127.0.0.1:8080.\n\
         Native tools: `cargo run --release --bin sim -- --help` and `cargo run --release --bin redis-model`."
    );
}
