//! Data-driven tests of the bridge, driving the single-client `Store` through `EVAL`.

use expect_test::{expect, Expect};

use crate::redis::cli::format_inline;
use crate::redis::Store;
use crate::sim::{SimRng, TEST_EPOCH};

fn argv(parts: &[&str]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.as_bytes().to_vec()).collect()
}

/// Runs each command (a list of arguments) and renders `command -> reply` lines.
fn run(store: &mut Store, commands: &[&[&str]]) -> String {
    let mut out = String::new();
    for c in commands {
        let reply = store.execute(TEST_EPOCH, &argv(c));
        out.push_str(&format!("{} -> {}\n", c.join(" ").replace('\n', "\\n"), format_inline(&reply)));
    }
    out
}

fn check(commands: &[&[&str]], expect: Expect) {
    let mut store = Store::new(SimRng::new(1));
    expect.assert_eq(&run(&mut store, commands));
}

#[test]
fn smoke() {
    check(&[&["EVAL", "return 1 + 1", "0"]], expect![[r#"
        EVAL return 1 + 1 0 -> (integer) 2
    "#]]);
}
