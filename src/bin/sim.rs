//! `sim`: the models on the command line. All logic lives in `playground::cli`.
/// Counts heap bytes for `sim redis-bench`'s bytes-per-key figure.
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: playground::cli::alloc_counter::CountingAllocator = playground::cli::alloc_counter::CountingAllocator;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    playground::cli::sim_main()
}

// The wasm test run builds every binary; there is nothing to run in a browser.
#[cfg(target_arch = "wasm32")]
fn main() {}
