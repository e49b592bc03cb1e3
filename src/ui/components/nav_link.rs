//! `NavLink`: a router link that marks itself `aria-current="page"` when its route is showing and
//! brings back the query string its page last had, so a model page's scenario survives a round trip
//! through the other pages.

use std::cell::RefCell;
use std::collections::BTreeMap;

use yew::prelude::*;
use yew_router::prelude::*;

use crate::ui::routes::Route;

thread_local! {
    /// Last query string (without `?`) seen on each route's path during this visit.
    static LAST_QUERY: RefCell<BTreeMap<String, String>> = const { RefCell::new(BTreeMap::new()) };
}

/// Records the query string the given route is showing.
pub fn remember_query(route: Route, query: &str) {
    let q = query.trim_start_matches('?').to_string();
    LAST_QUERY.with(|m| {
        m.borrow_mut().insert(route.to_path(), q);
    });
}

fn remembered_query(route: Route) -> String {
    LAST_QUERY.with(|m| m.borrow().get(&route.to_path()).cloned().unwrap_or_default())
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
    let active = current == Some(to);
    let query = remembered_query(to);
    let base = navigator.basename().unwrap_or("").to_string();
    let href =
        if query.is_empty() { format!("{base}{}", to.to_path()) } else { format!("{base}{}?{query}", to.to_path()) };
    let onclick = {
        let navigator = navigator.clone();
        Callback::from(move |e: MouseEvent| {
            // Let the browser handle new-tab and new-window clicks.
            if e.button() != 0 || e.ctrl_key() || e.meta_key() || e.shift_key() || e.alt_key() {
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
