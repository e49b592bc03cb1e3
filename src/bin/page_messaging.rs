//! The browser entry point of the bundle of the messaging page (the patterns on the modeled Redis).
//! index.html's loader loads it for that page's paths instead of the light bundle (`src/main.rs`); see
//! ARCHITECTURE.md, "Bundle".

playground::bundle_entry!(MESSAGING);
