//! `sim`: the models on the command line. All logic lives in `playground::cli`.
#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    playground::cli::sim_main()
}

// The wasm test run builds every binary; there is nothing to run in a browser.
#[cfg(target_arch = "wasm32")]
fn main() {}
