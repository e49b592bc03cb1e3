//! The Verify panel's Web Worker (built by Trunk from index.html's `data-type="worker"` link): runs
//! the lock model checker off the page's main thread. All logic lives in
//! `playground::ui::pages::locks::verify_worker`.

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    playground::ui::pages::locks::verify_worker::worker_main();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("verify_worker runs in the browser as the Verify panel's Web Worker; natively use `sim check lock`.");
}
