//! Keeps the core pure (rust-analyzer's "tidy" tests) — the one purity check for every model: no web types, wall clock or OS entropy outside
//! the skin (`src/ui/`) and the native edge (`src/cli/`, `src/bin/`, `src/main.rs`).
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};

/// Web types, clocks, OS entropy, and hash containers whose iteration order could leak into output
/// (membership-only tables use `hashbrown::HashTable` with a fixed hasher, as the Redis keyspace does).
const FORBIDDEN: &[&str] = &[
    "yew",
    "web_sys",
    "js_sys",
    "gloo",
    "wasm_bindgen",
    "std::time",
    "Instant",
    "SystemTime",
    "thread_rng",
    "rand::random",
    "OsRng",
    "getrandom",
    "HashMap",
    "HashSet",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_core_names_no_web_types_clock_or_entropy() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let edge = ["ui", "cli", "bin"].map(|d| src.join(d));
    let mut offences = Vec::new();
    let mut checked = 0;
    for file in files {
        if edge.iter().any(|e| file.starts_with(e)) || file == src.join("main.rs") || file == src.join("lib.rs") {
            continue;
        }
        checked += 1;
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for word in FORBIDDEN {
                let hit = code.match_indices(word).any(|(i, _)| {
                    let before = code[..i].chars().last();
                    let after = code[i + word.len()..].chars().next();
                    let ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
                    !ident(before) && !ident(after)
                });
                if hit {
                    offences.push(format!("{}:{}: `{word}` in the core: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(checked >= 5, "the tidy check found only {checked} core files: is it looking in the right place?");
    assert!(offences.is_empty(), "the core must stay pure:\n{}", offences.join("\n"));
}

/// `src/ui` exists only in the wasm build, whose library tests run `#[wasm_bindgen_test]` functions
/// only: a plain `#[test]` there would never run. Pure logic a page needs tested belongs in the core
/// (tested natively); a page's behaviour belongs in `tests/web`.
#[test]
fn no_plain_unit_tests_hide_in_the_wasm_only_ui() {
    let ui = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ui");
    let mut files = Vec::new();
    rust_files(&ui, &mut files);
    assert!(files.len() >= 20, "found only {} ui files: is it looking in the right place?", files.len());
    let offences: Vec<String> = files
        .iter()
        .flat_map(|file| {
            let text = std::fs::read_to_string(file).unwrap();
            text.lines()
                .enumerate()
                .filter(|(_, l)| l.trim() == "#[test]")
                .map(|(n, _)| format!("{}:{}", file.display(), n + 1))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        offences.is_empty(),
        "`#[test]` in src/ui never runs (no native build, no wasm runner for it):\n{}",
        offences.join("\n")
    );
}

/// How ARCHITECTURE.md names a source file: a module directory's `mod.rs` by the directory
/// (`balance/`), `lib.rs`/`main.rs` by their path, any other file by its file name (`smooth_wrr.rs`)
/// or its module name in backticks (`` `smooth_wrr` ``). Unit-test modules (`tests.rs`) are covered
/// by their parent's entry.
fn named_in(doc: &str, src: &Path, file: &Path) -> bool {
    let rel = file.strip_prefix(src).unwrap();
    let name = rel.file_name().unwrap().to_string_lossy();
    let stem = name.trim_end_matches(".rs");
    match &*name {
        "tests.rs" => true,
        "lib.rs" | "main.rs" => doc.contains(&format!("src/{name}")),
        "mod.rs" => {
            let dir = rel.parent().unwrap().to_string_lossy().replace('\\', "/");
            doc.contains(&format!("{dir}/"))
        }
        _ => doc.contains(&*name) || doc.contains(&format!("`{stem}`")),
    }
}

#[test]
fn architecture_md_names_every_source_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("src");
    let doc = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let missing: Vec<String> = files
        .iter()
        .filter(|f| !named_in(&doc, &src, f))
        .map(|f| f.strip_prefix(root).unwrap().display().to_string())
        .collect();
    assert!(files.len() > 50, "found only {} source files", files.len());
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md's code map must name every source file (by file name, or a module directory by `dir/`); missing:\n{}",
        missing.join("\n")
    );
}

/// The Lua module (`src/bin/lua_module.rs`), which the Redis and Cluster pages load on their first
/// script: index.html builds it, scripts/build-pages.sh hashes its names, the loader's `LUA_MODULE`
/// names its files, and exactly those two pages' bundles install the remote interpreter over it
/// while no page bundle links the Lua VM itself.
#[test]
fn the_lua_module_is_built_hashed_and_loaded_only_by_the_script_pages() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |f: &str| std::fs::read_to_string(root.join(f)).unwrap();
    let (trunk, index, build) = (read("Trunk.toml"), read("index.html"), read("scripts/build-pages.sh"));
    assert!(
        trunk.contains("const LUA_MODULE = ['{base}lua_module.js', '{base}lua_module_bg.wasm'];"),
        "Trunk.toml's loader names the Lua module's files in LUA_MODULE"
    );
    assert!(
        trunk.contains("window.playgroundLoadLua = "),
        "the loader defines playgroundLoadLua (src/ui/lua_module.rs)"
    );
    assert!(index.contains("data-bin=\"lua_module\" data-type=\"worker\""), "index.html builds lua_module");
    assert!(
        build.lines().any(|l| l.starts_with("for bin in ") && l.split([' ', ';']).any(|w| w == "lua_module")),
        "scripts/build-pages.sh hashes lua_module's file names"
    );
    for page in ["page_locks", "page_redis", "page_cluster", "page_messaging"] {
        let entry = read(&format!("src/bin/{page}.rs"));
        let remote = entry.contains(", with_remote_lua,");
        let prompts = page == "page_redis" || page == "page_cluster";
        assert_eq!(remote, prompts, "{page}: with_remote_lua only on redis and cluster");
        assert!(!entry.contains(", with_lua,"), "{page}: no page bundle links the Lua VM (it is the Lua module's)");
        // The whole command table only where a prompt takes any command (ARCHITECTURE.md, "Bundle").
        let all = entry.contains("redis::table::ALL)");
        assert_eq!(all, prompts, "{page}: the whole command table only on redis and cluster");
    }
}

/// The paths index.html's loader (Trunk.toml's `PAGE_BUNDLES`) sends to each Redis page's bundle, and
/// the bundle `Route::bundle` puts each route in with the bin `Bundle::bin` names (src/ui/routes.rs):
/// they must agree, or a page would load in a bundle that does not carry it. index.html must build
/// every such bin and scripts/build-pages.sh must give each its hashed names.
#[test]
fn the_loader_sends_each_redis_page_to_its_own_bundle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |f: &str| std::fs::read_to_string(root.join(f)).unwrap();
    let (trunk, routes, index, build) =
        (read("Trunk.toml"), read("src/ui/routes.rs"), read("index.html"), read("scripts/build-pages.sh"));

    // `  locks: ['{base}page_locks.js', '{base}page_locks_bg.wasm'],` between `const PAGE_BUNDLES = {` and `};`.
    let table = trunk
        .split_once("const PAGE_BUNDLES = {")
        .and_then(|(_, rest)| rest.split_once("};"))
        .expect("Trunk.toml's pattern_script defines `const PAGE_BUNDLES = { … };`")
        .0;
    let mut loader: Vec<(String, String)> = Vec::new();
    for line in table.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (page, files) = line.split_once(": ").unwrap_or_else(|| panic!("PAGE_BUNDLES line {line:?}"));
        let bin = files
            .strip_prefix("['{base}")
            .and_then(|f| f.split_once(".js', '{base}"))
            .unwrap_or_else(|| panic!("PAGE_BUNDLES line {line:?} names `{{base}}<bin>.js` then the wasm"));
        assert_eq!(bin.1, format!("{}_bg.wasm'],", bin.0), "PAGE_BUNDLES line {line:?}: the wasm of the same bin");
        loader.push((format!("/{page}"), bin.0.to_string()));
    }
    loader.sort();

    // `#[at("/path")]` then the variant on a following line.
    let mut path_of = std::collections::BTreeMap::new();
    let mut at = None;
    for line in routes.lines().map(str::trim) {
        if let Some(p) = line.strip_prefix("#[at(\"").and_then(|l| l.strip_suffix("\")]")) {
            at = Some(p.to_string());
        } else if let (Some(p), Some(variant)) = (&at, line.strip_suffix(',')) {
            if variant.chars().all(|c| c.is_ascii_alphanumeric()) {
                path_of.insert(variant.to_string(), p.clone());
                at = None;
            }
        }
    }
    let bin_of = bundle_bins(&routes);
    // `Route::Locks => Bundle::Locks,` in `Route::bundle`: every bundle but the light one.
    let mut bundles: Vec<(String, String)> = routes
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Route::")?.strip_suffix(',')?.split_once(" => Bundle::"))
        .filter(|(_, b)| *b != "Light")
        .map(|(v, b)| {
            let path = path_of.get(v).unwrap_or_else(|| panic!("no #[at] for Route::{v}")).clone();
            (path, bin_of.get(b).unwrap_or_else(|| panic!("Bundle::bin names no bin for Bundle::{b}")).clone())
        })
        .collect();
    bundles.sort();
    assert!(bundles.len() >= 4, "Route::bundle puts each Redis page in its own bundle: {bundles:?}");
    assert_eq!(loader, bundles, "Trunk.toml's PAGE_BUNDLES vs Route::bundle and Bundle::bin");
    for (_, bin) in &bundles {
        assert!(index.contains(&format!("data-bin=\"{bin}\" data-type=\"worker\"")), "index.html builds {bin}");
        assert!(
            build.lines().any(|l| l.starts_with("for bin in ") && l.split([' ', ';']).any(|w| w == bin)),
            "scripts/build-pages.sh hashes {bin}'s file names"
        );
        assert!(root.join(format!("src/bin/{bin}.rs")).exists(), "src/bin/{bin}.rs is the bin");
    }
}

/// Each bundle's bin, from `Bundle::bin` in src/ui/routes.rs (`Bundle::Locks => "page_locks",`).
fn bundle_bins(routes: &str) -> std::collections::BTreeMap<String, String> {
    routes
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Bundle::")?.strip_suffix("\",")?.split_once(" => \""))
        .map(|(b, bin)| (b.to_string(), bin.to_string()))
        .collect()
}

/// Every stylesheet under styles/ reaches the pages: index.html links the shell's (main, scrubber) for
/// every bundle and puts each page's own in its `bundle-styles` template, where each link's
/// `data-bundles` names bins that exist (the light one, `ds-playground`, or one in `Bundle::bin`), so the
/// loader (Trunk.toml) adds it for those bundles only. A stylesheet linked nowhere, or for a bin that
/// does not exist, would leave a page unstyled.
#[test]
fn every_stylesheet_is_linked_for_every_bundle_or_for_the_bundles_that_use_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |f: &str| std::fs::read_to_string(root.join(f)).unwrap();
    let (index, routes, trunk) = (read("index.html"), read("src/ui/routes.rs"), read("Trunk.toml"));
    assert!(trunk.contains("getElementById('bundle-styles')"), "the loader adds the bundle's styles from the template");
    let template = index
        .split_once("<template id=\"bundle-styles\">")
        .and_then(|(_, t)| t.split_once("</template>"))
        .map(|(t, _)| t)
        .expect("index.html has a <template id=\"bundle-styles\">");
    let mut bins: Vec<String> = bundle_bins(&routes).into_values().collect();
    bins.push("ds-playground".into());
    let mut seen = Vec::new();
    for line in index.lines().map(str::trim).filter(|l| l.starts_with("<link data-trunk rel=\"css\"")) {
        let href = line.split("href=\"").nth(1).and_then(|h| h.split('"').next()).expect("a css link has an href");
        seen.push(href.to_string());
        let in_template = template.contains(line);
        let named: Vec<&str> = line
            .split("data-bundles=\"")
            .nth(1)
            .and_then(|b| b.split('"').next())
            .map(|b| b.split(' ').collect())
            .unwrap_or_default();
        assert_eq!(
            in_template,
            !named.is_empty(),
            "{href}: a page's stylesheet is in the template with data-bundles, a shared one outside without"
        );
        for bin in named {
            assert!(bins.iter().any(|b| b == bin), "{href}: data-bundles names {bin:?}, not a bundle ({bins:?})");
        }
    }
    for entry in std::fs::read_dir(root.join("styles")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".css") {
            assert!(seen.contains(&format!("styles/{name}")), "styles/{name} is linked by index.html");
        }
    }
}
