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

fn clear_storage() {
    LocalStorage::delete(storage::DATASET_KEY);
    LocalStorage::delete(storage::HISTORY_KEY);
}

async fn mount() -> Mounted {
    let root = fresh_root();
    let handle = yew::Renderer::<Host>::with_root(root.clone()).render();
    settle().await;
    Mounted { root, handle: Some(handle) }
}

async fn fresh_page() -> Mounted {
    clear_storage();
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
    set_input(&input, "SE");
    keydown(&input, "Tab");
    settle().await;
    let first = input.value();
    assert!(first.starts_with("SET"), "SE completes to a SET-family name, got {first:?}");
    keydown(&input, "Tab");
    settle().await;
    let second = input.value();
    assert!(second.starts_with("SET") && second != first, "Tab again cycles: {first:?} then {second:?}");
    set_input(&input, "zrevr");
    keydown(&input, "Tab");
    settle().await;
    assert_eq!(input.value(), "zrevrange", "lower case stays lower case");
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
    assert!(all[0].contains("list") && all[0].contains("3 items") && all[0].contains("[\"a\", \"b\", \"c\"]"), "{all:?}");
    assert!(all[2].contains("—"), "no TTL is a dash: {all:?}");
    // The TTL counts down with the page clock, without any command.
    storage::skew_clock(10_000);
    let ttl_text = || root.query_selector_all("[data-testid='redis-browser-ttl']").unwrap().item(1).unwrap().text_content().unwrap();
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
async fn corrupt_storage_gives_an_empty_store_and_a_notice() {
    LocalStorage::raw().set_item(storage::DATASET_KEY, "not json").unwrap();
    LocalStorage::raw().set_item(storage::HISTORY_KEY, "{\"oops\":1}").unwrap();
    let page = mount().await;
    let root = &page.root;
    let notices = root.query_selector_all("[data-testid='redis-storage-notice']").unwrap();
    assert_eq!(notices.length(), 2);
    let text = root.text_content().unwrap();
    assert!(text.contains("The saved dataset could not be loaded, so the store starts empty: stored dataset is not valid JSON"), "{text}");
    assert!(text.contains("The saved CLI history could not be loaded"), "{text}");
    assert!(row_keys(root).is_empty());
    run(root, "SET fine 1").await;
    assert_eq!(last_output(root), "OK", "the page works after the bad load");
    let saved = LocalStorage::raw().get_item(storage::DATASET_KEY).unwrap().unwrap();
    assert!(saved.contains("\"fine\""), "the next change overwrote the corrupt item: {saved}");
    // A wrong format version is named too.
    page.root.remove();
    drop(page);
    LocalStorage::raw().set_item(storage::DATASET_KEY, "{\"version\":9,\"keys\":[]}").unwrap();
    let page = mount().await;
    assert!(page.root.text_content().unwrap().contains("format version 9; this build reads version 1"));
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
    assert!(LocalStorage::raw().get_item(storage::HISTORY_KEY).unwrap().is_some());
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
