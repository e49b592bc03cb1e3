//! The Redis edge-case files, one loader for every test that reads them: `tests/redis_cases.rs`
//! (the model's replies, pinned in `<family>.out`) and `tests/redis_differential.rs` (the same
//! scripts against a real redis-server).
//!
//! `tests/redis_cases/<family>.redis` is a redis-cli script: one command per line, tokenized by
//! `redis::cli::tokenize` (quotes and `\x` escapes as redis-cli reads them); blank lines and lines
//! starting with `#` are skipped. Adding a family is adding a file.

#![allow(dead_code)]

use std::path::PathBuf;

/// The directory of the edge-case files.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests").join("redis_cases")
}

/// One family: its name (the file stem), the script's path and text.
pub struct Family {
    pub name: String,
    pub path: PathBuf,
    pub script: String,
}

/// Every `*.redis` file of [`dir`], sorted by name. Panics naming the file that cannot be read,
/// or when there is none (a harness that runs nothing must not pass).
pub fn families() -> Vec<Family> {
    let dir = dir();
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
    let mut paths: Vec<PathBuf> = entries
        .map(|e| e.unwrap_or_else(|e| panic!("list {}: {e}", dir.display())).path())
        .filter(|p| p.extension().is_some_and(|x| x == "redis"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no *.redis files in {}", dir.display());
    paths
        .into_iter()
        .map(|path| {
            let name = path.file_stem().and_then(|s| s.to_str()).expect("a UTF-8 file name").to_string();
            let script = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            Family { name, path, script }
        })
        .collect()
}

/// The commands of a script: trimmed non-empty lines that are not `#` comments.
pub fn lines(script: &str) -> impl Iterator<Item = &str> {
    script.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'))
}
