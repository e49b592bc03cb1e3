//! The browser entry point: mounts the app. Everything else lives in the library.

#[cfg(target_arch = "wasm32")]
fn main() {
    playground::ui::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "The playground runs in the browser: `./scripts/serve.sh` builds and serves it on http://127.0.0.1:8080.\n\
         Native tools: `cargo run --release --bin sim -- --help` and `cargo run --release --bin redis-model`."
    );
}
