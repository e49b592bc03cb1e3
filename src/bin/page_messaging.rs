//! The browser entry point of the bundle of the messaging page (the patterns on the modeled Redis).
//! index.html's loader loads it for that page's paths instead of the light bundle (`src/main.rs`); see
//! ARCHITECTURE.md, "Bundle".

#[cfg(target_arch = "wasm32")]
fn main() {
    playground::ui::start(playground::ui::Pages::MESSAGING);
}

/// The deliberate panic of `src/main.rs`, for this bundle's page.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn playground_debug_panic(message: String) {
    panic!("{message}");
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("page_messaging is one of the playground's wasm bundles and runs in the browser: `./scripts/serve.sh` serves it.");
}
