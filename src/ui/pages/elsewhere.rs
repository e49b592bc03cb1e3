//! What a bundle shows for a route that the other bundle carries (ARCHITECTURE.md, "Bundle").
//!
//! Links to the other bundle's pages are full-page loads, and index.html's loader picks the bundle
//! by path, so this only shows if the loader and `Route::bundle` disagree (a bug: it is logged as an
//! error, which the end-to-end tests fail on). It offers the full-page load that fixes it.

use yew::prelude::*;
use yew_router::prelude::*;

#[component]
pub fn ElsewherePage() -> Html {
    let location = use_location();
    let navigator = use_navigator();
    let path = location.as_ref().map(|l| l.path().to_string()).unwrap_or_default();
    let query = location.as_ref().map(|l| l.query_str().to_string()).unwrap_or_default();
    let base = navigator.as_ref().and_then(|n| n.basename()).unwrap_or("").to_string();
    let href = format!("{base}{path}{query}");
    use_effect_with(path.clone(), |path| {
        web_sys::console::error_1(
            &format!("{path} belongs to the other wasm bundle: index.html's loader and Route::bundle disagree").into(),
        );
    });
    html! {
        <section class="not-found" data-testid="page-elsewhere">
            <h1>{ "Loading another part of the playground" }</h1>
            <p>{ "The page at " }<code>{ path }</code>{ " is in another part of the app." }</p>
            <p><a {href} class="button">{ "Open it" }</a></p>
        </section>
    }
}
