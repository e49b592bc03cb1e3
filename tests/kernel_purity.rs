#![cfg(not(target_arch = "wasm32"))]
//! The kernel's purity, checked by reading its source (rust-analyzer's "tidy" tests): nothing in
//! src/sim reads a wall clock, touches OS entropy, names a web type or iterates a hash map.

use std::path::Path;

const FORBIDDEN: &[&str] = &[
    "std::time",
    "Instant",
    "SystemTime",
    "HashMap",
    "HashSet",
    "rand::random",
    "thread_rng",
    "OsRng",
    "getrandom",
    "web_sys",
    "js_sys",
    "gloo",
    "yew",
];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/sim exists") {
        let path = entry.expect("readable entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_kernel_reads_no_clock_no_entropy_and_no_web_types() {
    let mut files = Vec::new();
    rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src/sim"), &mut files);
    files.sort();
    assert!(files.len() >= 10, "expected the kernel's files, found {files:?}");
    let mut hits = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("readable source");
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for word in FORBIDDEN {
                if code.contains(word) {
                    hits.push(format!("{}:{}: {word}", f.display(), n + 1));
                }
            }
        }
    }
    assert!(hits.is_empty(), "forbidden names in the pure kernel:\n{}", hits.join("\n"));
}
