//! The browser entry point of the bundle of the locks page (the lock workers on the Redis model). Its
//! EVAL scripts run on the lock-scripts interpreter (`lock::store::LockScripts`: their native steps),
//! not on the Lua VM, which this bundle leaves out: the page has no prompt to type another script.
//! Its servers dispatch through `lock::store::LOCK_COMMANDS`, the commands the lock model sends, so
//! no other command's handler is linked. index.html's loader loads it for that page's paths instead
//! of the light bundle (`src/main.rs`); see ARCHITECTURE.md, "Bundle".

playground::bundle_entry!(LOCKS, with_lock_scripts, playground::lock::store::LOCK_COMMANDS);
