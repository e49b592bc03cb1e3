//! The browser entry point of the bundle of the cluster page (the cluster model on Redis stores).
//! index.html's loader loads it for that page's paths instead of the light bundle (`src/main.rs`); see
//! ARCHITECTURE.md, "Bundle".

playground::bundle_entry!(CLUSTER, with_remote_lua, playground::redis::table::ALL);
