//! The browser entry point of the bundle of the Redis page (redis-cli, the key browser, cache-aside).
//! index.html's loader loads it for that page's paths instead of the light bundle (`src/main.rs`); see
//! ARCHITECTURE.md, "Bundle".

playground::bundle_entry!(REDIS, with_remote_lua, playground::redis::table::ALL);
