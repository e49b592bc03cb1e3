//! The browser entry point of the light bundle (home, backoff, load balancing): mounts the app with
//! those pages. `src/bin/page_*.rs` are the other bundles, one per Redis page (ARCHITECTURE.md,
//! "Bundle"). Everything else lives in the library.

playground::bundle_entry!(
    LIGHT,
    "The playground runs in the browser: `./scripts/serve.sh` builds and serves it on http://127.0.0.1:8080.\n\
     Native tools: `cargo run --release --bin sim -- --help` and `cargo run --release --bin redis-model`."
);
