#![cfg(not(target_arch = "wasm32"))]
//! The lock model's core stays pure: no wall clock, no OS entropy, no `HashMap` iteration, no web
//! types in src/lock/ (rust-analyzer's "tidy" tests in miniature).

use std::path::Path;

fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push((path.display().to_string(), std::fs::read_to_string(&path).unwrap()));
        }
    }
}

#[test]
fn lock_core_is_pure() {
    let mut files = Vec::new();
    sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lock"), &mut files);
    assert!(files.len() >= 6, "found {} files", files.len());
    let banned = [
        "Instant",
        "SystemTime",
        "HashMap",
        "HashSet",
        "rand::random",
        "thread_rng",
        "getrandom",
        "yew",
        "web_sys",
        "js_sys",
        "gloo",
    ];
    for (path, text) in &files {
        // Comments may name what the code must never use.
        for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim_start().starts_with("//")) {
            for word in banned {
                assert!(!line.contains(word), "{path}:{} uses {word}: {line}", n + 1);
            }
        }
    }
}
