//! The browser entry point of the bundle of the messaging page (the patterns on the modeled Redis).
//! No pattern sends EVAL, so it installs no script interpreter; its servers dispatch through
//! `messaging::MESSAGING_COMMANDS` (what the patterns send and every command the page's read-only
//! redis-cli runs), so no other command's handler is linked. index.html's loader loads it for that
//! page's paths instead of the light bundle (`src/main.rs`); see ARCHITECTURE.md, "Bundle".

playground::bundle_entry!(MESSAGING, no_scripts, playground::messaging::MESSAGING_COMMANDS);
