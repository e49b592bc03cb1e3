//! The Verify panel's Web Worker (built by Trunk from index.html's `data-type="worker"` link): runs
//! the lock model checker off the page's main thread. All logic lives in
//! `playground::ui::pages::locks::verify_worker`. Its replays run the lock model on the Redis model,
//! through the locks page's commands (`lock::store::LOCK_COMMANDS`), as the page does.

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    playground::redis::table::install_commands(&playground::lock::store::LOCK_COMMANDS);
    playground::ui::pages::locks::verify_worker::worker_main();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("verify_worker runs in the browser as the Verify panel's Web Worker; natively use `sim check lock`.");
}
