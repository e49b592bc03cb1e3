//! Mounting helpers and real DOM events for the browser tests.

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, KeyboardEvent, KeyboardEventInit, PointerEvent, PointerEventInit};

pub fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// Installs the whole command table, as the Redis and Cluster pages' bundles do (`bundle_entry!(…,
/// redis::table::ALL)`): in wasm a thread's servers know no command until one is installed. Every
/// test that runs a Redis model outside a mounted page calls it (through [`with_lua`] too).
pub fn with_all_commands() {
    playground::redis::table::install_commands(&playground::redis::table::ALL);
}

/// Installs the Lua interpreter behind EVAL and the whole command table, as the bundles of the pages
/// that run any script do; without it a wasm build's servers answer EVAL with an error. Idempotent;
/// every test whose models may run a script calls it (through [`fresh_root`] too).
pub fn with_lua() {
    with_all_commands();
    playground::redis::script::install_lua();
}

/// Installs the script interpreter and the command table the bundle serving `path` installs
/// (`bundle_entry!` in src/bin/page_*.rs): for /locks the locks page's own `LockScripts` and
/// `LOCK_COMMANDS`, for /messaging no interpreter and `MESSAGING_COMMANDS`, so their tests run the
/// models as those bundles do; the Lua VM and every command for every other path.
pub fn with_bundles_interpreter(path: &str) {
    use playground::redis::table::install_commands;
    use playground::ui::routes::{Bundle, Route};
    use yew_router::Routable;
    let route = Route::recognize(path.split(['?', '#']).next().unwrap_or(path)).unwrap_or(Route::NotFound);
    match route.bundle() {
        Bundle::Locks => {
            install_commands(&playground::lock::store::LOCK_COMMANDS);
            playground::redis::script::install_interpreter(playground::lock::store::boot_lock_scripts);
        }
        Bundle::Messaging => install_commands(&playground::messaging::MESSAGING_COMMANDS),
        _ => with_lua(),
    }
}

/// A fresh element appended to `<body>` for one test to mount into (with the Lua interpreter
/// installed: [`with_lua`]).
pub fn fresh_root() -> Element {
    with_lua();
    let el = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&el).unwrap();
    el
}

/// Lets Yew's scheduler render: it runs on the microtask/timer queue after a state change.
pub async fn settle() {
    for _ in 0..3 {
        gloo_timers::future::TimeoutFuture::new(0).await;
    }
}

/// Dispatches a bubbling `pointerdown` of the given pointer type on `target`.
pub fn pointerdown(target: &web_sys::EventTarget, pointer_type: &str) {
    let init = PointerEventInit::new();
    init.set_bubbles(true);
    init.set_cancelable(true);
    init.set_composed(true);
    init.set_pointer_type(pointer_type);
    init.set_is_primary(true);
    let ev = PointerEvent::new_with_event_init_dict("pointerdown", &init).unwrap();
    target.dispatch_event(&ev).unwrap();
}

/// Dispatches a bubbling `keydown` for `key` on `target`.
/// Dispatches a keydown; returns whether the page left the browser's default action to happen.
pub fn keydown(target: &web_sys::EventTarget, key: &str) -> bool {
    let init = KeyboardEventInit::new();
    init.set_bubbles(true);
    init.set_cancelable(true);
    init.set_key(key);
    let ev = KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    target.dispatch_event(&ev).unwrap()
}

pub fn query(root: &Element, selector: &str) -> Option<Element> {
    root.query_selector(selector).unwrap()
}

pub fn by_testid(root: &Element, id: &str) -> Option<Element> {
    query(root, &format!("[data-testid='{id}']"))
}

pub fn click(el: &Element) {
    el.dyn_ref::<HtmlElement>().expect("an HTML element").click();
}

pub fn active_element() -> Option<Element> {
    document().active_element()
}

/// A memory history at `path`, which may carry a query string (`/locks?preset=gc-pause`).
/// (`MemoryHistory::with_entries` rejects queries, so the query is applied separately.)
pub fn memory_history(path_and_query: &str) -> yew_router::history::AnyHistory {
    use yew_router::history::{History, MemoryHistory};
    let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
    let history = MemoryHistory::with_entries(vec![path.to_string()]);
    if !query.is_empty() {
        let params = web_sys::UrlSearchParams::new_with_str(query).unwrap();
        let mut pairs: Vec<(String, String)> = Vec::new();
        for entry in js_sys::try_iter(&params).unwrap().unwrap() {
            let pair = js_sys::Array::from(&entry.unwrap());
            pairs.push((pair.get(0).as_string().unwrap(), pair.get(1).as_string().unwrap()));
        }
        history.replace_with_query(path, pairs).unwrap();
    }
    history.into()
}

#[derive(yew::Properties, PartialEq)]
pub struct RoutedProps {
    pub path: yew::AttrValue,
}

/// `C` under a memory-history router at `path` (which may carry a query string).
#[yew::component]
pub fn Routed<C>(props: &RoutedProps) -> yew::Html
where
    C: yew::BaseComponent<Properties = ()>,
{
    let history = yew::use_memo(props.path.clone(), |p| memory_history(p));
    yew::html! {
        <yew_router::Router history={(*history).clone()}>
            <C />
        </yew_router::Router>
    }
}

/// Mounts `C` under a memory router at `path` in a fresh element and lets it render.
pub async fn mount_at<C>(path: &str) -> (Element, yew::AppHandle<Routed<C>>)
where
    C: yew::BaseComponent<Properties = ()>,
{
    let root = fresh_root();
    with_bundles_interpreter(path);
    let handle =
        yew::Renderer::<Routed<C>>::with_root_and_props(root.clone(), RoutedProps { path: path.to_string().into() })
            .render();
    settle().await;
    (root, handle)
}

/// An attribute of the element with `data-testid={id}` (empty when absent).
pub fn attr(root: &Element, id: &str, name: &str) -> String {
    by_testid(root, id).unwrap_or_else(|| panic!("no [data-testid={id}]")).get_attribute(name).unwrap_or_default()
}

/// Drags the rewind scrubber's range to `ms` (an input event, as a drag fires).
pub fn drag_to(root: &Element, ms: u64) {
    set_value(&by_testid(root, "scrub-range").unwrap(), &ms.to_string(), "input");
}

/// Types `value` into a form control (input or select) and fires the bubbling `event` a user's
/// edit fires (`input` while typing or dragging, `change` when committed).
pub fn set_value(el: &Element, value: &str, event: &str) {
    if let Some(select) = el.dyn_ref::<web_sys::HtmlSelectElement>() {
        select.set_value(value);
    } else {
        el.dyn_ref::<web_sys::HtmlInputElement>().expect("an input or a select").set_value(value);
    }
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    init.set_cancelable(true);
    el.dispatch_event(&web_sys::Event::new_with_event_init_dict(event, &init).unwrap()).unwrap();
}

/// The app plus a probe of the router's query string. Browser tests mount under a memory router, so
/// `window.location.search` never changes: what a page writes to its URL is the router's query,
/// which the probe shows as `[data-testid=probe-query]` (read it with [`router_query`]).
#[yew::component]
pub fn LayoutWithQuery() -> yew::Html {
    yew::html! { <><playground::ui::Layout /><QueryProbe /></> }
}

#[yew::component]
fn QueryProbe() -> yew::Html {
    let location = yew_router::hooks::use_location();
    yew::html! { <output data-testid="probe-query">{ location.map(|l| l.query_str().to_string()).unwrap_or_default() }</output> }
}

/// The router's query string as [`LayoutWithQuery`]'s probe shows it (with its leading `?`).
pub fn router_query(root: &Element) -> String {
    by_testid(root, "probe-query").expect("mounted with LayoutWithQuery").text_content().unwrap_or_default()
}
