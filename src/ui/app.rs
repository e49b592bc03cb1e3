//! The app shell: router, header with navigation, main content and footer. Each wasm bundle mounts
//! it with its own [`Pages`] (ARCHITECTURE.md, "Bundle"); the browser tests mount [`Layout`], which
//! has every page.

use yew::prelude::*;
use yew_router::prelude::*;

use super::components::nav_link::{remember_query, NavLink};
use super::components::{about::AboutButton, theme_toggle::ThemeToggle};
use super::routes::{Pages, Route};

/// Where the footer's source link points: set by the Pages workflow from the repository it builds,
/// else the package's repository field.
pub const SOURCE_URL: &str = match option_env!("PLAYGROUND_SOURCE_URL") {
    Some(url) => url,
    None => env!("CARGO_PKG_REPOSITORY"),
};

#[derive(Properties, PartialEq)]
pub struct AppProps {
    /// The pages this build carries.
    pub pages: Pages,
}

/// The whole app: a browser router (its basename comes from `<base href>`) around the shell.
#[component]
pub fn App(props: &AppProps) -> Html {
    html! {
        <BrowserRouter>
            <Shell pages={props.pages} />
        </BrowserRouter>
    }
}

/// The shell with every page, inside a router; tests mount it under a memory router.
#[component]
pub fn Layout() -> Html {
    html! { <Shell pages={Pages::ALL} /> }
}

/// Everything inside the router, for one build's pages. The pages are also a context: the nav's
/// links load the other bundle's pages in full.
#[component]
pub fn Shell(props: &AppProps) -> Html {
    let pages = props.pages;
    // Once per navigation, not once per nav link: what the nav links bring back to each page.
    let route = use_route::<Route>();
    let location = use_location();
    if let (Some(route), Some(location)) = (route, location) {
        remember_query(route, location.query_str());
    }
    html! {
        <ContextProvider<Pages> context={pages}>
            <a class="skip-link" href="#main">{ "Skip to content" }</a>
            <header class="site-header">
                <div class="site-header__inner">
                    <span class="brand" aria-label="Distributed Systems Playground">
                        <span class="brand__mark" aria-hidden="true">{ "◆" }</span>
                        <span class="brand__name">{ "Distributed Systems Playground" }</span>
                    </span>
                    <nav class="site-nav" aria-label="Playgrounds">
                        <ul>
                            { for Route::NAV.iter().map(|(route, label)| html! {
                                <li><NavLink to={*route}>{ *label }</NavLink></li>
                            }) }
                        </ul>
                    </nav>
                    <div class="site-header__tools">
                        <AboutButton />
                        <ThemeToggle />
                    </div>
                </div>
            </header>
            <main id="main" class="site-main" tabindex="-1">
                <Switch<Route> render={pages.render} />
            </main>
            <footer class="site-footer">
                <p>
                    { "Deterministic, seeded models running entirely in your browser. " }
                    <a href={SOURCE_URL} rel="noopener">{ "Source code" }</a>
                </p>
            </footer>
        </ContextProvider<Pages>>
    }
}
