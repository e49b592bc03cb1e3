//! The 404 page for unknown paths.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::ui::components::nav_link::PageLink;
use crate::ui::Route;

#[component]
pub fn NotFoundPage() -> Html {
    let location = use_location();
    let path = location.map(|l| l.path().to_string()).unwrap_or_default();
    html! {
        <section class="not-found" data-testid="page-not-found">
            <h1>{ "Page not found" }</h1>
            <p>{ "There is no playground at " }<code>{ path }</code>{ "." }</p>
            <p><PageLink to={Route::Home} classes="button">{ "Go to the home page" }</PageLink></p>
        </section>
    }
}
