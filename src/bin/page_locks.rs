//! The browser entry point of the bundle of the locks page (the lock workers on the Redis model, their
//! EVAL scripts on its Lua VM). index.html's loader loads it for that page's paths instead of the light
//! bundle (`src/main.rs`); see ARCHITECTURE.md, "Bundle".

playground::bundle_entry!(LOCKS);
