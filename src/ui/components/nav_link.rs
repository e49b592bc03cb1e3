//! `NavLink`: a router link that marks itself `aria-current="page"` when its route is showing and
//! brings back the query string its page last had, so a model page's scenario survives a round trip
//! through the other pages. `PageLink`: a plain link to a page.
//!
//! Both are router links to the pages this build mounts and full-page loads of the other bundle's
//! pages (ARCHITECTURE.md, "Bundle"); the remembered queries live in sessionStorage for that reason,
//! so they survive the load.

use std::cell::RefCell;

use yew::prelude::*;
use yew_router::prelude::*;

use crate::sim::vec_map::VecMap;
use crate::ui::routes::Route;

use crate::ui::routes::Pages;

thread_local! {
    /// Last query string (without `?`) seen on each route's path during this visit.
    static LAST_QUERY: RefCell<VecMap<String, String>> = RefCell::new(load_queries());
}

/// Where the remembered queries are kept for the tab's session: a link into the other bundle is a
/// full-page load, which starts a fresh wasm instance.
const QUERIES_KEY: &str = "dsp.nav.queries";

/// The queries remembered earlier in this tab (empty when sessionStorage is unavailable or holds
/// something else).
fn load_queries() -> VecMap<String, String> {
    session_storage()
        .and_then(|s| s.get_item(QUERIES_KEY).ok().flatten())
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default()
}

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.session_storage().ok().flatten())
}

/// Records the query string the given route is showing.
pub fn remember_query(route: Route, query: &str) {
    let q = query.trim_start_matches('?').to_string();
    LAST_QUERY.with(|m| {
        let mut m = m.borrow_mut();
        if m.get(&route.to_path()) == Some(&q) {
            return;
        }
        m.insert(route.to_path(), q);
        // Bounded: one entry per route. A full or unavailable storage only loses the round trip.
        if let (Some(storage), Ok(json)) = (session_storage(), serde_json::to_string(&*m)) {
            let _ = storage.set_item(QUERIES_KEY, &json);
        }
    });
}

fn remembered_query(route: Route) -> String {
    LAST_QUERY.with(|m| m.borrow().get(&route.to_path()).cloned().unwrap_or_default())
}

/// Whether this build renders `route` itself; without a [`Pages`] context (a component mounted on
/// its own in a test), every route is taken as mounted.
#[hook]
fn use_mounts(route: Route) -> bool {
    use_context::<Pages>().is_none_or(|pages| pages.mounts(route))
}

/// Whether a click should be left to the browser (new tab, new window, download).
fn is_modified_click(e: &MouseEvent) -> bool {
    e.button() != 0 || e.ctrl_key() || e.meta_key() || e.shift_key() || e.alt_key()
}

/// Splits `a=1&b=x%20y` into decoded pairs, for re-encoding by the router.
fn query_pairs(query: &str) -> Vec<(String, String)> {
    let Ok(params) = web_sys::UrlSearchParams::new_with_str(query) else { return Vec::new() };
    let mut out = Vec::new();
    if let Ok(Some(iter)) = js_sys::try_iter(&params) {
        for entry in iter.flatten() {
            let pair = js_sys::Array::from(&entry);
            if let (Some(k), Some(v)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
                out.push((k, v));
            }
        }
    }
    out
}

#[derive(Properties, PartialEq)]
pub struct NavLinkProps {
    pub to: Route,
    #[prop_or_default]
    pub children: Html,
}

#[component]
pub fn NavLink(props: &NavLinkProps) -> Html {
    let navigator = use_navigator().expect("NavLink must be rendered inside a yew-router Router");
    // Layout records the showing route's query before the links render; the location hook only
    // makes each link re-render when it changes.
    let current = use_route::<Route>();
    let _location = use_location();
    let to = props.to;
    let mounted = use_mounts(to);
    let active = current == Some(to);
    let query = remembered_query(to);
    let base = navigator.basename().unwrap_or("").to_string();
    let href =
        if query.is_empty() { format!("{base}{}", to.to_path()) } else { format!("{base}{}?{query}", to.to_path()) };
    let onclick = {
        let navigator = navigator.clone();
        Callback::from(move |e: MouseEvent| {
            // Let the browser handle new-tab and new-window clicks, and load the other bundle's pages.
            if !mounted || is_modified_click(&e) {
                return;
            }
            e.prevent_default();
            let pairs = query_pairs(&query);
            // With no query, or one the router cannot encode, the plain route is pushed.
            if pairs.is_empty() || navigator.push_with_query(&to, &pairs).is_err() {
                navigator.push(&to);
            }
        })
    };
    html! {
        <a {href} class={classes!("site-nav__link", active.then_some("is-active"))}
           aria-current={active.then_some("page")} {onclick}>
            { props.children.clone() }
        </a>
    }
}

#[derive(Properties, PartialEq)]
pub struct PageLinkProps {
    pub to: Route,
    #[prop_or_default]
    pub classes: Classes,
    #[prop_or_default]
    pub children: Html,
}

/// A link to a page (without its remembered query): a router push when this build mounts the page,
/// a full-page load of the other bundle otherwise.
#[component]
pub fn PageLink(props: &PageLinkProps) -> Html {
    let navigator = use_navigator().expect("PageLink must be rendered inside a yew-router Router");
    let to = props.to;
    let mounted = use_mounts(to);
    let href = format!("{}{}", navigator.basename().unwrap_or(""), to.to_path());
    let onclick = Callback::from(move |e: MouseEvent| {
        if mounted && !is_modified_click(&e) {
            e.prevent_default();
            navigator.push(&to);
        }
    });
    html! {
        <a {href} class={props.classes.clone()} {onclick}>{ props.children.clone() }</a>
    }
}
