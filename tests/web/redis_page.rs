//! Browser tests of the redis page: the redis-cli, the key browser and persistence, driven with
//! real DOM events on the mounted page.

use gloo_storage::{LocalStorage, Storage};
use playground::ui::pages::redis::{storage, RedisPage};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlInputElement, HtmlTextAreaElement, InputEvent};
use yew::prelude::*;
use yew_router::Router;

use crate::support::*;

#[component]
fn Host() -> Html {
    let history = use_memo((), |_| memory_history("/redis"));
    html! {
        <Router history={(*history).clone()}>
            <RedisPage />
        </Router>
    }
}

struct Mounted {
    root: Element,
    handle: Option<yew::AppHandle<Host>>,
}

impl Mounted {
    fn unmount(&mut self) {
        if let Some(h) = self.handle.take() {
            h.destroy();
        }
        self.root.remove();
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        self.unmount();
    }
}

/// Clears the page's storage once the previous test's page has finished unmounting (its last save
/// flushes as it unmounts, which Yew runs on its scheduler).
async fn clear_storage() {
    settle().await;
    LocalStorage::delete(storage::DATASET_KEY);
    LocalStorage::delete(storage::HISTORY_KEY);
    LocalStorage::delete(storage::HELD_KEY);
}

fn stored(key: &str) -> Option<String> {
    LocalStorage::raw().get_item(key).unwrap()
}

/// Waits (up to 3 s) until localStorage's `key` satisfies `ok`: saving is debounced.
async fn saved(key: &str, ok: impl Fn(Option<&str>) -> bool) -> Option<String> {
    for _ in 0..60 {
        if ok(stored(key).as_deref()) {
            break;
        }
        gloo_timers::future::TimeoutFuture::new(50).await;
    }
    stored(key)
}

async fn mount() -> Mounted {
    let root = fresh_root();
    let handle = yew::Renderer::<Host>::with_root(root.clone()).render();
    settle().await;
    Mounted { root, handle: Some(handle) }
}

async fn fresh_page() -> Mounted {
    clear_storage().await;
    mount().await
}

fn set_input(el: &Element, value: &str) {
    if let Some(i) = el.dyn_ref::<HtmlInputElement>() {
        i.set_value(value);
    } else {
        el.dyn_ref::<HtmlTextAreaElement>().expect("an input or textarea").set_value(value);
    }
    el.dispatch_event(&InputEvent::new("input").unwrap()).unwrap();
}

fn cli_input(root: &Element) -> HtmlInputElement {
    by_testid(root, "redis-cli-input").expect("the CLI prompt").unchecked_into()
}

/// Types `line` into the CLI and presses Enter.
async fn run(root: &Element, line: &str) {
    let input = cli_input(root);
    set_input(&input, line);
    settle().await;
    keydown(&input, "Enter");
    settle().await;
}

fn outputs(root: &Element) -> Vec<String> {
    let list = root.query_selector_all("[data-testid='redis-cli-output']").unwrap();
    (0..list.length()).map(|i| list.item(i).unwrap().text_content().unwrap_or_default()).collect()
}

fn last_output(root: &Element) -> String {
    outputs(root).pop().expect("at least one reply")
}

fn rows(root: &Element) -> Vec<String> {
    let list = root.query_selector_all("[data-testid='redis-browser-row']").unwrap();
    (0..list.length()).map(|i| list.item(i).unwrap().text_content().unwrap_or_default()).collect()
}

fn row_keys(root: &Element) -> Vec<String> {
    let list = root.query_selector_all("[data-testid='redis-browser-key']").unwrap();
    (0..list.length()).map(|i| list.item(i).unwrap().text_content().unwrap_or_default()).collect()
}

#[wasm_bindgen_test]
async fn cli_replies_exactly_as_redis_cli_prints_them() {
    let page = fresh_page().await;
    let root = &page.root;
    assert_eq!(by_testid(root, "redis-cli-prompt").unwrap().text_content().unwrap(), "127.0.0.1:6379>");
    run(root, "SET a 1").await;
    assert_eq!(last_output(root), "OK");
    run(root, "GET a").await;
    assert_eq!(last_output(root), "\"1\"");
    run(root, "INCR a").await;
    assert_eq!(last_output(root), "(integer) 2");
    run(root, "FOO bar").await;
    assert_eq!(last_output(root), "(error) ERR unknown command 'FOO', with args beginning with: 'bar' ");
    let last = root.query_selector_all("[data-testid='redis-cli-entry']").unwrap();
    let last = last.item(last.length() - 1).unwrap().unchecked_into::<Element>();
    assert!(last.class_list().contains("redis-cli__entry--error"), "errors are marked");
    run(root, "RPUSH l x \"two words\" \"tab\\there\"").await;
    run(root, "LRANGE l 0 -1").await;
    assert_eq!(last_output(root), "1) \"x\"\n2) \"two words\"\n3) \"tab\\there\"");
    run(root, "GET nosuch").await;
    assert_eq!(last_output(root), "(nil)");
    run(root, "SET k \"unterminated").await;
    assert!(last_output(root).starts_with("Invalid argument(s)"), "{}", last_output(root));
    run(root, "clear").await;
    assert!(outputs(root).is_empty(), "CLEAR empties the transcript");
    assert_eq!(cli_input(root).value(), "", "the prompt is empty after Enter");
}

#[wasm_bindgen_test]
async fn history_recalls_with_arrows_and_survives_a_reload() {
    let mut page = fresh_page().await;
    run(&page.root, "SET kept yes").await;
    run(&page.root, "GET kept").await;
    let input = cli_input(&page.root);
    set_input(&input, "draft");
    keydown(&input, "ArrowUp");
    settle().await;
    assert_eq!(input.value(), "GET kept");
    keydown(&input, "ArrowUp");
    settle().await;
    assert_eq!(input.value(), "SET kept yes");
    keydown(&input, "ArrowUp");
    settle().await;
    assert_eq!(input.value(), "SET kept yes", "the oldest entry stays");
    keydown(&input, "ArrowDown");
    settle().await;
    assert_eq!(input.value(), "GET kept");
    keydown(&input, "ArrowDown");
    settle().await;
    assert_eq!(input.value(), "draft", "↓ past the newest restores the draft");

    page.unmount();
    let page = mount().await;
    assert_eq!(row_keys(&page.root), vec!["kept"], "the dataset survived the remount");
    let input = cli_input(&page.root);
    keydown(&input, "ArrowUp");
    settle().await;
    assert_eq!(input.value(), "GET kept", "the history survived the remount");
    run(&page.root, "GET kept").await;
    assert_eq!(last_output(&page.root), "\"yes\"");
}

#[wasm_bindgen_test]
async fn tab_completes_names_and_help_shows_syntax() {
    let page = fresh_page().await;
    let root = &page.root;
    let input = cli_input(root);
    set_input(&input, "SET");
    keydown(&input, "Tab");
    settle().await;
    let first = input.value();
    assert!(first.starts_with("SET"), "SET completes to a SET-family name, got {first:?}");
    keydown(&input, "Tab");
    settle().await;
    let second = input.value();
    assert!(second.starts_with("SET") && second != first, "Tab again cycles: {first:?} then {second:?}");
    set_input(&input, "zrevr");
    assert!(!keydown(&input, "Tab"), "a name to complete: Tab completes it");
    settle().await;
    assert_eq!(input.value(), "zrevrange", "lower case stays lower case");
    // Nothing to complete: Tab is the browser's (focus moves on), so the keyboard is never trapped.
    for line in ["", "SET k v", "NOSUCHCMD"] {
        set_input(&input, line);
        assert!(keydown(&input, "Tab"), "Tab after {line:?} moves the focus on");
    }
    set_input(&input, "SET ");
    settle().await;
    assert!(by_testid(root, "redis-cli-hint").unwrap().text_content().unwrap().starts_with("SET key value [NX | XX]"));
    run(root, "HELP SET").await;
    let help = last_output(root);
    assert!(help.contains("SET key value [NX | XX] [GET]"), "{help}");
    assert!(help.contains("summary: Set the string value of a key"), "{help}");
}

#[wasm_bindgen_test]
async fn browser_lists_keys_with_live_ttl_and_the_glob_filter_narrows_them() {
    let page = fresh_page().await;
    let root = &page.root;
    run(root, "SET user:1 alice EX 100").await;
    run(root, "SET user:2 bob").await;
    run(root, "RPUSH queue a b c").await;
    assert_eq!(row_keys(root), vec!["queue", "user:1", "user:2"]);
    let all = rows(root);
    assert!(all[1].contains("string") && all[1].contains("1 m 40 s") | all[1].contains("1 m 39 s"), "{all:?}");
    assert!(all[1].contains("5 bytes") && all[1].contains("\"alice\""), "{all:?}");
    assert!(
        all[0].contains("list") && all[0].contains("3 items") && all[0].contains("[\"a\", \"b\", \"c\"]"),
        "{all:?}"
    );
    assert!(all[2].contains("—"), "no TTL is a dash: {all:?}");
    // The TTL counts down with the page clock, without any command.
    storage::skew_clock(10_000);
    let ttl_text = || {
        root.query_selector_all("[data-testid='redis-browser-ttl']").unwrap().item(1).unwrap().text_content().unwrap()
    };
    for _ in 0..20 {
        if ttl_text().starts_with("1 m 2") {
            break;
        }
        gloo_timers::future::TimeoutFuture::new(50).await;
    }
    assert!(ttl_text().starts_with("1 m 29 s") || ttl_text().starts_with("1 m 30 s"), "{}", ttl_text());

    let filter = by_testid(root, "redis-browser-filter").unwrap();
    set_input(&filter, "user:*");
    settle().await;
    assert_eq!(row_keys(root), vec!["user:1", "user:2"]);
    set_input(&filter, "user:[^1]");
    settle().await;
    assert_eq!(row_keys(root), vec!["user:2"]);
    set_input(&filter, "[");
    settle().await;
    assert!(row_keys(root).is_empty(), "an odd pattern is just a pattern");
    assert!(by_testid(root, "redis-browser-count").unwrap().text_content().unwrap().contains("No live key matches"));
}

#[wasm_bindgen_test]
async fn browser_filter_keeps_at_most_256_characters_of_a_121_kb_paste_and_says_so() {
    let page = fresh_page().await;
    let root = &page.root;
    run(root, "SET user:1 alice").await;
    run(root, "SET long:1 x").await;
    let filter = by_testid(root, "redis-browser-filter").unwrap();
    assert_eq!(filter.get_attribute("maxlength").as_deref(), Some("256"), "typing and pasting stop at 256");
    assert!(by_testid(root, "redis-browser-filter-note").is_none(), "no note before the cap is reached");
    // What the monkey pasted (121,450 characters) once made a 222 ms task: the glob ran against every
    // key on each tick and the "no key matches" line quoted all of it.
    let paste = "long ".repeat(24_290);
    assert_eq!(paste.len(), 121_450);
    for _ in 0..2 {
        // Twice: the second time the kept filter is already the capped text.
        set_input(&filter, &paste);
        settle().await;
        let value = filter.unchecked_ref::<HtmlInputElement>().value();
        assert_eq!(value, paste[..256], "the box keeps the first 256 characters");
        let note = by_testid(root, "redis-browser-filter-note").expect("a note says the filter was cut");
        assert!(note.text_content().unwrap().contains("256 characters"), "{:?}", note.text_content());
        let count = by_testid(root, "redis-browser-count").unwrap().text_content().unwrap();
        assert!(
            count.starts_with("No live key matches") && count.len() < 300,
            "the line quotes the capped filter: {} chars",
            count.len()
        );
    }
    // Multi-byte text is cut on a character boundary.
    set_input(&filter, &"ü".repeat(300));
    settle().await;
    assert_eq!(filter.unchecked_ref::<HtmlInputElement>().value().chars().count(), 256);
    set_input(&filter, "user:*");
    settle().await;
    assert_eq!(row_keys(root), vec!["user:1"], "a short filter still narrows the rows");
    assert!(by_testid(root, "redis-browser-filter-note").is_none(), "the note goes with the long filter");
}

#[wasm_bindgen_test]
async fn a_key_with_expire_1_vanishes_from_the_browser_on_its_own() {
    let page = fresh_page().await;
    let root = &page.root;
    run(root, "SET k v").await;
    run(root, "EXPIRE k 1").await;
    assert_eq!(last_output(root), "(integer) 1");
    assert_eq!(row_keys(root), vec!["k"]);
    storage::skew_clock(1_200);
    // The 100 ms clock tick redraws the browser; give it a few ticks.
    for _ in 0..20 {
        if row_keys(root).is_empty() {
            break;
        }
        gloo_timers::future::TimeoutFuture::new(50).await;
    }
    assert!(row_keys(root).is_empty(), "the expired key left the browser without any command");
    gloo_timers::future::TimeoutFuture::new(150).await;
    run(root, "DBSIZE").await;
    assert_eq!(last_output(root), "(integer) 0", "the active-expire cycle reclaimed it");
    // The expiry chart samples every 500 ms: held and readable lines, and the pending count.
    for _ in 0..20 {
        if by_testid(root, "redis-expiry-pending").is_some_and(|e| e.text_content().as_deref() == Some("0")) {
            break;
        }
        gloo_timers::future::TimeoutFuture::new(50).await;
    }
    let chart = by_testid(root, "redis-expiry-chart").expect("the expiry chart is drawn");
    assert_eq!(chart.query_selector_all("path.line").unwrap().length(), 2);
    assert_eq!(by_testid(root, "redis-expiry-pending").unwrap().text_content().unwrap(), "0");
}

#[wasm_bindgen_test]
async fn corrupt_storage_is_held_for_the_user_and_the_page_starts_empty() {
    clear_storage().await;
    LocalStorage::raw().set_item(storage::DATASET_KEY, "not json").unwrap();
    LocalStorage::raw().set_item(storage::HISTORY_KEY, "{\"oops\":1}").unwrap();
    let page = mount().await;
    let root = &page.root;
    let held = by_testid(root, "redis-held-copy").expect("the unloadable copy is shown");
    let text = held.text_content().unwrap();
    assert!(
        text.contains("The saved dataset could not be loaded") && text.contains("stored dataset is not valid JSON"),
        "{text}"
    );
    assert!(
        root.text_content().unwrap().contains("The saved CLI history could not be loaded"),
        "the history problem is a notice"
    );
    assert!(row_keys(root).is_empty());
    assert_eq!(stored(storage::HELD_KEY).as_deref(), Some("not json"), "moved aside as it was");
    run(root, "SET fine 1").await;
    assert_eq!(last_output(root), "OK", "the page works after the bad load");
    let saved_now = saved(storage::DATASET_KEY, |d| d.is_some_and(|d| d.contains("\"fine\""))).await;
    assert!(saved_now.is_some_and(|d| d.contains("\"fine\"")), "the page saves its own dataset");
    assert_eq!(stored(storage::HELD_KEY).as_deref(), Some("not json"), "and the held copy is untouched");
    // A wrong format version is named too, and a second unloadable copy stays in place.
    drop(page);
    settle().await;
    LocalStorage::raw().set_item(storage::DATASET_KEY, "{\"version\":9,\"keys\":[]}").unwrap();
    let page = mount().await;
    let text = page.root.text_content().unwrap();
    assert!(text.contains("format version 9; this build reads version 1"), "{text}");
    assert_eq!(page.root.query_selector_all("[data-testid='redis-held-copy']").unwrap().length(), 2);
    clear_storage().await;
}

fn mset_argv(pairs: usize) -> String {
    let mut line = String::from("MSET");
    for i in 0..pairs {
        line.push_str(&format!(" k{i} v"));
    }
    line
}

/// Issue 11's data loss, as a user met it: one MSET of 10,001 pairs after SET important data.
#[wasm_bindgen_test]
async fn an_oversized_mset_is_refused_and_the_saved_dataset_survives_the_reload() {
    let mut page = fresh_page().await;
    run(&page.root, "SET important data").await;
    run(&page.root, &mset_argv(10_001)).await;
    let out = last_output(&page.root);
    assert!(
        out.starts_with("(error) OOM playground limit") && out.contains("10002 keys") && out.contains("10000"),
        "{out}"
    );
    run(&page.root, "DBSIZE").await;
    assert_eq!(last_output(&page.root), "(integer) 1");
    page.unmount();
    let page = mount().await;
    assert!(by_testid(&page.root, "redis-held-copy").is_none(), "the saved copy loads");
    assert_eq!(row_keys(&page.root), vec!["important"]);
    run(&page.root, "GET important").await;
    assert_eq!(last_output(&page.root), "\"data\"");
}

/// A saved copy that does not load (here, one written under looser limits) is kept, shown,
/// offered for download and deleted only on Discard — never overwritten by the next command.
#[wasm_bindgen_test]
async fn an_unloadable_saved_dataset_is_kept_until_the_user_discards_it() {
    clear_storage().await;
    let keys: Vec<String> =
        (0..10_002).map(|i| format!("{{\"key\":\"k{i}\",\"type\":\"string\",\"value\":\"v\"}}")).collect();
    let json = format!("{{\"version\":1,\"keys\":[{}]}}", keys.join(","));
    LocalStorage::raw().set_item(storage::DATASET_KEY, &json).unwrap();
    let mut page = mount().await;
    let held = by_testid(&page.root, "redis-held-copy").expect("held");
    let text = held.text_content().unwrap();
    assert!(text.contains("The saved dataset could not be loaded") && text.contains("10002 keys"), "{text}");
    assert!(by_testid(&held, "redis-held-download").is_some());
    assert!(row_keys(&page.root).is_empty(), "the store starts empty");
    run(&page.root, "SET new work").await;
    saved(storage::DATASET_KEY, |d| d.is_some()).await;
    assert_eq!(stored(storage::HELD_KEY).as_deref(), Some(json.as_str()), "not overwritten");
    page.unmount();

    // Still there after a reload; Discard asks first.
    let page = mount().await;
    let root = &page.root;
    assert!(by_testid(root, "redis-held-copy").is_some(), "shown again after the reload");
    assert_eq!(row_keys(root), vec!["new"], "the new work was saved beside it");
    click(&by_testid(root, "redis-held-discard").unwrap());
    settle().await;
    assert!(by_testid(root, "redis-held-discard-modal").is_some(), "Discard asks first");
    assert!(stored(storage::HELD_KEY).is_some(), "nothing deleted before confirming");
    click(&by_testid(root, "redis-held-discard-confirm").unwrap());
    settle().await;
    assert!(by_testid(root, "redis-held-copy").is_none());
    assert!(stored(storage::HELD_KEY).is_none(), "discarded for good");
    clear_storage().await;
}

/// When the aside place is taken, an unloadable dataset stays where it is and the page does not
/// save over it until it is discarded.
#[wasm_bindgen_test]
async fn a_held_copy_in_place_pauses_saving_until_discarded() {
    clear_storage().await;
    LocalStorage::raw().set_item(storage::HELD_KEY, "older junk").unwrap();
    LocalStorage::raw().set_item(storage::DATASET_KEY, "newer junk").unwrap();
    let page = mount().await;
    let root = &page.root;
    assert!(by_testid(root, "redis-held-paused").is_some(), "the page says saving is paused");
    run(root, "SET x 1").await;
    gloo_timers::future::TimeoutFuture::new(600).await;
    assert_eq!(stored(storage::DATASET_KEY).as_deref(), Some("newer junk"), "not overwritten");
    // Discard the in-place one (the second notice): saving resumes at once.
    let discards = root.query_selector_all("[data-testid='redis-held-discard']").unwrap();
    click(&discards.item(1).unwrap().unchecked_into());
    settle().await;
    click(&by_testid(root, "redis-held-discard-confirm").unwrap());
    settle().await;
    let now = saved(storage::DATASET_KEY, |d| d.is_some_and(|d| d.contains("\"x\""))).await;
    assert!(now.is_some_and(|d| d.contains("\"x\"")), "saving resumed");
    assert_eq!(stored(storage::HELD_KEY).as_deref(), Some("older junk"));
    clear_storage().await;
}

/// A 2 MB line is run, cut in the scrollback (with its size said), and not kept in the history.
#[wasm_bindgen_test]
async fn a_2_mb_line_is_cut_in_the_scrollback_and_not_kept_in_history() {
    let page = fresh_page().await;
    let root = &page.root;
    run(root, "SET small 1").await;
    let long = format!("ECHO {}", "x".repeat(2 << 20));
    run(root, &long).await;
    let out = last_output(root);
    assert!(
        out.starts_with("(error) ERR playground limit: an argument of 2097152 bytes"),
        "{}",
        &out[..out.len().min(200)]
    );
    let cut = by_testid(root, "redis-cli-cut").expect("the cut is said").text_content().unwrap();
    assert!(cut.contains("2.0 MB more not shown"), "{cut}");
    assert!(by_testid(root, "redis-cli-not-remembered").is_some());
    let shown = by_testid(root, "redis-cli-transcript").unwrap().text_content().unwrap();
    assert!(shown.len() < 8 << 10, "{} bytes shown", shown.len());
    let input = cli_input(root);
    keydown(&input, "ArrowUp");
    settle().await;
    assert_eq!(input.value(), "SET small 1", "the long line is not in the history");
    let history = saved(storage::HISTORY_KEY, |h| h.is_some()).await.unwrap();
    assert!(history.len() < 1024, "{history}");
}

#[wasm_bindgen_test]
async fn keys_and_values_are_text_never_markup() {
    let page = fresh_page().await;
    let root = &page.root;
    let evil = "<img src=x onerror=alert(1)>";
    run(root, &format!("SET \"{evil}\" \"{evil}\"")).await;
    assert_eq!(last_output(root), "OK");
    run(root, &format!("GET \"{evil}\"")).await;
    assert_eq!(last_output(root), format!("\"{evil}\""));
    assert_eq!(row_keys(root), vec![evil.to_string()]);
    assert!(rows(root)[0].contains(evil));
    click(&by_testid(root, "redis-browser-key").unwrap());
    settle().await;
    let modal = by_testid(root, "redis-key-modal").expect("the key opens in the modal");
    assert_eq!(by_testid(&modal, "redis-key-value").unwrap().text_content().unwrap(), evil);
    assert!(modal.text_content().unwrap().contains(&format!("Key {evil}")));
    assert!(root.query_selector("img").unwrap().is_none(), "no element was made from the text");
    assert!(document().query_selector("img").unwrap().is_none());
}

#[wasm_bindgen_test]
async fn the_modal_edits_expires_and_deletes_a_key() {
    let page = fresh_page().await;
    let root = &page.root;
    run(root, "SET s hello").await;
    run(root, "HSET h f v").await;
    click(&by_testid(root, "redis-browser-key").unwrap()); // "h" sorts first
    settle().await;
    let modal = by_testid(root, "redis-key-modal").unwrap();
    assert!(modal.text_content().unwrap().contains("edited in the CLI"), "other types say how to edit them");
    click(&by_testid(&modal, "modal-close").unwrap());
    settle().await;

    let keys = root.query_selector_all("[data-testid='redis-browser-key']").unwrap();
    click(&keys.item(1).unwrap().unchecked_into());
    settle().await;
    let modal = by_testid(root, "redis-key-modal").unwrap();
    assert_eq!(by_testid(&modal, "redis-key-value").unwrap().text_content().unwrap(), "hello");
    set_input(&by_testid(&modal, "redis-key-edit-value").unwrap(), "world");
    set_input(&by_testid(&modal, "redis-key-edit-ttl").unwrap(), "soon");
    settle().await;
    click(&by_testid(&modal, "redis-key-save").unwrap());
    settle().await;
    let err = by_testid(&modal, "redis-key-edit-error").expect("a bad TTL is explained").text_content().unwrap();
    assert!(err.contains("\"soon\"") && err.contains("whole number of seconds"), "{err}");
    set_input(&by_testid(&modal, "redis-key-edit-ttl").unwrap(), "50");
    settle().await;
    click(&by_testid(&modal, "redis-key-save").unwrap());
    settle().await;
    assert!(by_testid(&modal, "redis-key-edit-error").is_none());
    assert_eq!(by_testid(&modal, "redis-key-value").unwrap().text_content().unwrap(), "world");
    let ttl = by_testid(&modal, "redis-key-ttl").unwrap().text_content().unwrap();
    assert!(ttl.starts_with("50.0 s") || ttl.starts_with("49."), "TTL ~50 s: {ttl}");
    let transcript = by_testid(root, "redis-cli-transcript").unwrap().text_content().unwrap();
    assert!(transcript.contains("SET s world EX 50") && transcript.contains("from the key browser"), "{transcript}");

    click(&by_testid(&modal, "redis-key-delete").unwrap());
    settle().await;
    click(&by_testid(&modal, "redis-key-delete-confirm").unwrap());
    settle().await;
    assert!(by_testid(root, "redis-key-modal").is_none());
    assert_eq!(row_keys(root), vec!["h"]);
    run(root, "EXISTS s").await;
    assert_eq!(last_output(root), "(integer) 0");
}

#[wasm_bindgen_test]
async fn reset_asks_first_then_clears_dataset_and_history() {
    let page = fresh_page().await;
    let root = &page.root;
    run(root, "SET a 1").await;
    assert!(saved(storage::HISTORY_KEY, |h| h.is_some()).await.is_some(), "the history is saved within the debounce");
    click(&by_testid(root, "redis-reset").unwrap());
    settle().await;
    let modal = by_testid(root, "redis-reset-modal").expect("Reset asks for confirmation");
    assert_eq!(row_keys(root), vec!["a"], "nothing is deleted before confirming");
    click(&by_testid(&modal, "redis-reset-confirm").unwrap());
    settle().await;
    assert!(by_testid(root, "redis-reset-modal").is_none());
    assert!(row_keys(root).is_empty());
    assert!(outputs(root).is_empty());
    assert!(LocalStorage::raw().get_item(storage::DATASET_KEY).unwrap().is_none());
    assert!(LocalStorage::raw().get_item(storage::HISTORY_KEY).unwrap().is_none());
    let input = cli_input(root);
    keydown(&input, "ArrowUp");
    settle().await;
    assert_eq!(input.value(), "", "no history after Reset");
}

fn tabs(root: &Element) -> Vec<Element> {
    let list = root.query_selector_all("[data-testid='redis-cli-tab']").unwrap();
    (0..list.length()).map(|i| list.item(i).unwrap().unchecked_into()).collect()
}

async fn open_tab(root: &Element) {
    click(&by_testid(root, "redis-cli-tab-add").expect("the + client button"));
    settle().await;
}

async fn show_tab(root: &Element, i: usize) {
    click(&tabs(root)[i]);
    settle().await;
}

fn badge(root: &Element, i: usize) -> Option<String> {
    tabs(root)[i].query_selector("[data-testid='redis-cli-tab-badge']").unwrap().and_then(|b| b.text_content())
}

fn prompt(root: &Element) -> String {
    by_testid(root, "redis-cli-prompt").unwrap().text_content().unwrap()
}

#[wasm_bindgen_test]
async fn two_tabs_subscribe_in_one_and_publish_in_the_other_delivers_in_order_with_a_badge() {
    let page = fresh_page().await;
    let root = &page.root;
    run(root, "SUBSCRIBE news").await;
    assert_eq!(
        outputs(root),
        ["Reading messages... (press Ctrl-C to quit)\n1) \"subscribe\"\n2) \"news\"\n3) (integer) 1"]
    );
    assert!(by_testid(root, "redis-cli-state").is_some(), "the prompt shows the client reads messages");
    open_tab(root).await;
    assert_eq!(tabs(root).len(), 2);
    assert_eq!(tabs(root)[1].get_attribute("aria-current").as_deref(), Some("true"), "the new tab is selected");
    run(root, "PUBLISH news first").await;
    assert_eq!(last_output(root), "(integer) 1");
    run(root, "PUBLISH news second").await;
    assert_eq!(badge(root, 0).as_deref(), Some("2"), "the hidden tab counts what it printed");
    show_tab(root, 0).await;
    assert_eq!(badge(root, 0), None, "seen once shown");
    let out = outputs(root);
    assert_eq!(
        out[1..],
        ["1) \"message\"\n2) \"news\"\n3) \"first\"", "1) \"message\"\n2) \"news\"\n3) \"second\""],
        "redis-cli's triples, in publish order"
    );
}

#[wasm_bindgen_test]
async fn blpop_in_one_tab_is_woken_at_once_by_lpush_from_the_other_and_typing_is_kept() {
    let page = fresh_page().await;
    let root = &page.root;
    run(root, "BLPOP jobs 0").await;
    assert!(by_testid(root, "redis-cli-state").unwrap().text_content().unwrap().contains("Waiting for the reply"));
    let input = cli_input(root);
    set_input(&input, "GET after");
    settle().await;
    keydown(&input, "Enter");
    settle().await;
    assert_eq!(cli_input(root).value(), "GET after", "Enter while waiting keeps the line");
    open_tab(root).await;
    run(root, "LPUSH jobs j1").await;
    assert_eq!(last_output(root), "(integer) 1", "LPUSH replies the length it made, as Redis does");
    run(root, "LLEN jobs").await;
    assert_eq!(last_output(root), "(integer) 0", "the waiting client took it at once");
    assert_eq!(badge(root, 0).as_deref(), Some("1"), "a wake-up badges the hidden tab");
    show_tab(root, 0).await;
    assert!(last_output(root).starts_with("1) \"jobs\"\n2) \"j1\""), "{}", last_output(root));
    assert!(by_testid(root, "redis-cli-state").is_none(), "back at the prompt");
    assert_eq!(cli_input(root).value(), "GET after", "the draft survived the tab switch");
    keydown(&cli_input(root), "Enter");
    settle().await;
    assert_eq!(last_output(root), "(nil)");
}

#[wasm_bindgen_test]
async fn blpop_times_out_on_the_pages_clock() {
    let page = fresh_page().await;
    let root = &page.root;
    run(root, "BLPOP nothing 5").await;
    assert!(by_testid(root, "redis-cli-state").is_some());
    storage::skew_clock(4_000);
    gloo_timers::future::TimeoutFuture::new(250).await;
    assert!(by_testid(root, "redis-cli-state").is_some(), "4 s in: still waiting");
    storage::skew_clock(1_100);
    gloo_timers::future::TimeoutFuture::new(250).await;
    settle().await;
    let out = last_output(root);
    assert!(out.starts_with("(nil)\n(5."), "the timeout reply and redis-cli's elapsed time: {out}");
    assert!(by_testid(root, "redis-cli-state").is_none());
}

#[wasm_bindgen_test]
async fn the_prompt_shows_tx_inside_multi_and_the_selected_database() {
    let page = fresh_page().await;
    let root = &page.root;
    run(root, "SELECT 2").await;
    assert_eq!(prompt(root), "127.0.0.1:6379[2]>");
    assert_eq!(by_testid(root, "redis-browser-db").unwrap().text_content().unwrap(), " · database 2");
    run(root, "MULTI").await;
    assert_eq!(prompt(root), "127.0.0.1:6379[2](TX)>");
    run(root, "SET k v").await;
    assert_eq!(last_output(root), "QUEUED");
    let entries = root.query_selector_all("[data-testid='redis-cli-entry'] .redis-cli__prompt").unwrap();
    let last = entries.item(entries.length() - 1).unwrap().text_content().unwrap();
    assert_eq!(last, "127.0.0.1:6379[2](TX)> ", "the transcript keeps the prompt it was typed at");
    run(root, "EXEC").await;
    assert_eq!(last_output(root), "1) OK");
    assert_eq!(prompt(root), "127.0.0.1:6379[2]>");
    assert_eq!(row_keys(root), vec!["k"], "the browser shows database 2");
    open_tab(root).await;
    assert_eq!(prompt(root), "127.0.0.1:6379>", "another client starts on database 0");
    assert!(row_keys(root).is_empty());
}

#[wasm_bindgen_test]
async fn ctrl_c_ends_a_subscription_as_redis_cli_does_by_reconnecting() {
    let page = fresh_page().await;
    let root = &page.root;
    run(root, "SUBSCRIBE ch").await;
    let input = cli_input(root);
    set_input(&input, "typed while reading");
    settle().await;
    let init = web_sys::KeyboardEventInit::new();
    init.set_bubbles(true);
    init.set_cancelable(true);
    init.set_key("c");
    init.set_ctrl_key(true);
    input
        .dispatch_event(&web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap())
        .unwrap();
    settle().await;
    assert!(by_testid(root, "redis-cli-state").is_none(), "back at the prompt");
    assert_eq!(last_output(root), "^C");
    assert_eq!(cli_input(root).value(), "typed while reading", "typing is not lost");
    open_tab(root).await;
    run(root, "PUBLISH ch hello").await;
    assert_eq!(last_output(root), "(integer) 0", "the server dropped the subscription with the old connection");
    run(root, "PUBSUB NUMSUB ch").await;
    assert_eq!(last_output(root), "1) \"ch\"\n2) (integer) 0");
}

#[wasm_bindgen_test]
async fn rapid_tab_switching_and_closing_keeps_every_client_consistent() {
    let page = fresh_page().await;
    let root = &page.root;
    for _ in 0..9 {
        open_tab(root).await;
    }
    assert_eq!(tabs(root).len(), 8, "at most 8 clients");
    assert!(by_testid(root, "redis-cli-tab-add").unwrap().has_attribute("disabled"));
    for i in 0..8 {
        show_tab(root, i).await;
        run(root, &format!("CLIENT SETNAME c{}", i + 1)).await;
    }
    let closes = root.query_selector_all("[data-testid='redis-cli-tab-close']").unwrap();
    click(&closes.item(3).unwrap().unchecked_into());
    settle().await;
    run(root, "CLIENT LIST").await;
    let list = last_output(root);
    assert_eq!(list.lines().count(), 7, "closing a tab closed its connection: {list}");
    assert!(!list.contains("name=c4 "), "{list}");
}

#[wasm_bindgen_test]
async fn memory_panel_shows_the_limit_the_policy_and_the_keys_eviction_removed() {
    let page = fresh_page().await;
    let root = &page.root;
    let text = |id: &str| by_testid(root, id).and_then(|e| e.text_content()).unwrap_or_default();
    assert_eq!(text("redis-memory-policy"), "noeviction");
    assert_eq!(text("redis-memory-max"), "no limit (maxmemory 0)");
    assert_eq!(text("redis-memory-evicted"), "0");
    assert!(text("redis-memory-used").contains("B)"), "used_memory in bytes: {}", text("redis-memory-used"));
    run(root, "SET a 1").await;

    // The policy select and the maxmemory form run CONFIG SET through the transcript.
    let select = by_testid(root, "redis-memory-policy-select").unwrap().unchecked_into::<web_sys::HtmlSelectElement>();
    select.set_value("allkeys-lru");
    select
        .dispatch_event(
            &web_sys::Event::new_with_event_init_dict("change", &{
                let init = web_sys::EventInit::new();
                init.set_bubbles(true);
                init
            })
            .unwrap(),
        )
        .unwrap();
    settle().await;
    assert_eq!(text("redis-memory-policy"), "allkeys-lru");
    assert_eq!(last_output(root), "OK");
    let input = by_testid(root, "redis-memory-max-input").unwrap();
    set_input(&input, "1");
    click(&by_testid(root, "redis-memory-max-set").unwrap());
    settle().await;
    assert_eq!(text("redis-memory-max"), "1B");

    // Over the limit: the next write evicts every key it can, then is refused.
    run(root, "SET b 2").await;
    assert_eq!(last_output(root), "(error) OOM command not allowed when used memory > 'maxmemory'.");
    assert_eq!(text("redis-memory-evicted"), "1");
    let evicted: Vec<String> = root
        .query_selector_all("[data-testid='redis-memory-evicted-key']")
        .unwrap()
        .values()
        .into_iter()
        .filter_map(|n| n.ok()?.dyn_into::<Element>().ok()?.text_content())
        .collect();
    assert_eq!(evicted, vec!["a".to_string()]);
    let bar = by_testid(root, "redis-memory-used-bar").unwrap();
    assert!(bar.class_list().contains("redis-memory__used--over"), "the bar says over the limit");
    // A bad value gets Redis's own error in the transcript and changes nothing.
    set_input(&input, "lots");
    click(&by_testid(root, "redis-memory-max-set").unwrap());
    settle().await;
    assert!(last_output(root).contains("argument must be a memory value"), "{}", last_output(root));
    assert_eq!(text("redis-memory-max"), "1B");
}

fn evicted_rows(root: &Element) -> Vec<Element> {
    let list = root.query_selector_all("[data-testid='redis-browser-evicted-row']").unwrap();
    (0..list.length()).filter_map(|i| list.item(i)?.dyn_into::<Element>().ok()).collect()
}

#[wasm_bindgen_test]
async fn the_key_browser_marks_evicted_keys_with_the_policy_until_they_return() {
    let page = fresh_page().await;
    let root = &page.root;
    for line in ["SET a 1", "SET b 2", "SET c 3", "CONFIG SET maxmemory-policy allkeys-lru", "CONFIG SET maxmemory 1"] {
        run(root, line).await;
    }
    assert!(evicted_rows(root).is_empty(), "nothing evicted yet");
    // The next command evicts every key it can, then is refused.
    run(root, "SET d 4").await;
    assert_eq!(last_output(root), "(error) OOM command not allowed when used memory > 'maxmemory'.");
    assert!(row_keys(root).is_empty(), "no live key is left: {:?}", row_keys(root));
    let evicted = evicted_rows(root);
    let keys: Vec<String> = evicted
        .iter()
        .map(|r| {
            r.query_selector("[data-testid='redis-browser-evicted-key']").unwrap().unwrap().text_content().unwrap()
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(sorted, ["a", "b", "c"], "every evicted key is listed once");
    for row in &evicted {
        assert!(row.class_list().contains("redis-browser__row--evicted"), "styled apart from live rows");
        let policy = row.query_selector("[data-testid='redis-browser-evicted-policy']").unwrap().unwrap();
        assert!(policy.text_content().unwrap().starts_with("evicted by allkeys-lru"), "{:?}", policy.text_content());
    }
    let count = by_testid(root, "redis-browser-count").unwrap().text_content().unwrap();
    assert!(count.contains("3 recently evicted"), "{count}");

    // Written again, a key is live and leaves the evicted list; the filter narrows both.
    run(root, "CONFIG SET maxmemory 0").await;
    run(root, "SET a back").await;
    assert_eq!(row_keys(root), ["a"]);
    assert_eq!(evicted_rows(root).len(), 2);
    set_input(&by_testid(root, "redis-browser-filter").unwrap(), "b*");
    settle().await;
    assert!(row_keys(root).is_empty());
    let left: Vec<String> = evicted_rows(root).iter().map(|r| r.text_content().unwrap()).collect();
    assert_eq!(left.len(), 1);
    assert!(left[0].starts_with("bevicted"), "{left:?}");
}
