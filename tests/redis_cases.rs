#![cfg(not(target_arch = "wasm32"))]
//! The model's replies to the Redis edge-case files, pinned: for every `tests/redis_cases/<family>.redis`
//! (found by reading the directory, sorted) a fresh `Store` runs the script and its replies, one
//! `COMMAND -> reply` line each (`cli::format_inline`), must equal `<family>.out`.
//! `UPDATE_EXPECT=1 cargo test --test redis_cases` rewrites the `.out` files (and creates a new
//! family's). `tests/redis_differential.rs` runs the same scripts against a real redis-server, so
//! these files hold real Redis 7.0 replies.

#[path = "support/redis_cases.rs"]
mod redis_cases;

use expect_test::expect_file;
use playground::redis::cli::{format_inline, tokenize};
use playground::redis::Store;
use playground::sim::{SimRng, TEST_EPOCH};

/// The model's transcript of one script: `COMMAND -> reply` per command, newline-terminated.
fn transcript(family: &str, script: &str) -> String {
    let mut store = Store::new(SimRng::new(1));
    redis_cases::lines(script)
        .map(|l| {
            let argv = tokenize(l).unwrap_or_else(|e| panic!("{family}.redis: cannot tokenize `{l}`: {e}"));
            format!("{l} -> {}\n", format_inline(&store.execute(TEST_EPOCH, &argv)))
        })
        .collect()
}

#[test]
fn model_replies_match_the_pinned_out_files() {
    let families = redis_cases::families();
    let mut ran = 0;
    for family in &families {
        let out = family.path.with_extension("out");
        expect_file![out].assert_eq(&transcript(&family.name, &family.script));
        ran += 1;
    }
    let on_disk = std::fs::read_dir(redis_cases::dir())
        .expect("list tests/redis_cases")
        .filter(|e| e.as_ref().is_ok_and(|e| e.path().extension().is_some_and(|x| x == "redis")))
        .count();
    assert!(ran > 0, "no edge-case family ran");
    assert_eq!(ran, on_disk, "every *.redis file on disk ran");
}

/// Every `.out` belongs to a `.redis` script (a renamed or deleted family leaves no stale pin).
#[test]
fn every_out_file_has_its_script() {
    for entry in std::fs::read_dir(redis_cases::dir()).expect("list tests/redis_cases") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_some_and(|x| x == "out") {
            assert!(path.with_extension("redis").exists(), "{} has no .redis script beside it", path.display());
        }
    }
}

/// Comments and blank lines are skipped; everything else is one command.
#[test]
fn lines_skip_comments_and_blanks() {
    let got: Vec<&str> = redis_cases::lines("# header\n\nSET k v\n   # indented comment\n  GET k  \n").collect();
    assert_eq!(got, ["SET k v", "GET k"]);
}
