//! `redis-model`: the modeled Redis as a REPL on stdin. All logic lives in `playground::cli::redis`.
#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    playground::cli::redis::repl_main()
}

// The wasm test run builds every binary; there is nothing to run in a browser.
#[cfg(target_arch = "wasm32")]
fn main() {}
