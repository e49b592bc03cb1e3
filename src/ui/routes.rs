//! The route table, React-Router style: one enum, one `switch` per build that renders a page per route.
//!
//! The Pages site is two wasm bundles (ARCHITECTURE.md, "Bundle"): the light one (home, backoff, load
//! balancing, the 404 page) and the Redis one (the pages that need the Redis model and its Lua VM).
//! Each bundle's bin mounts the app with its own [`Pages`]; index.html's loader picks the bundle by
//! path, so a link to the other bundle's page is a plain full-page load.

use yew::prelude::*;
use yew_router::prelude::*;

use super::pages;

#[derive(Routable, Clone, Copy, PartialEq, Eq, Debug)]
pub enum Route {
    #[at("/")]
    Home,
    #[at("/locks")]
    Locks,
    #[at("/backoff")]
    Backoff,
    #[at("/load-balancing")]
    LoadBalancing,
    #[at("/redis")]
    Redis,
    #[at("/cluster")]
    Cluster,
    #[at("/messaging")]
    Messaging,
    #[not_found]
    #[at("/404")]
    NotFound,
}

/// One wasm build of the app, named by what it carries.
///
/// Architecture invariant: index.html's loader (Trunk.toml's `pattern_script`) sends exactly the
/// paths of [`Bundle::Redis`]'s routes to the Redis bundle; every other path loads the light one.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Bundle {
    /// The shell with home, backoff, load balancing and the 404 page: no Redis model, no Lua VM.
    Light,
    /// The pages built on the Redis model (with EVAL's Lua VM): locks, redis, cluster, messaging.
    Redis,
}

impl Route {
    /// The routes in the header's order, with their link text.
    pub const NAV: [(Route, &'static str); 7] = [
        (Route::Home, "Home"),
        (Route::Locks, "Locks"),
        (Route::Backoff, "Backoff"),
        (Route::LoadBalancing, "Load balancing"),
        (Route::Redis, "Redis"),
        (Route::Cluster, "Cluster"),
        (Route::Messaging, "Messaging"),
    ];

    /// The bundle whose build renders this route.
    pub const fn bundle(self) -> Bundle {
        match self {
            Route::Home | Route::Backoff | Route::LoadBalancing | Route::NotFound => Bundle::Light,
            Route::Locks | Route::Redis | Route::Cluster | Route::Messaging => Bundle::Redis,
        }
    }
}

/// The pages one build mounts: which bundle it is (`None`: every page, as the browser tests mount
/// them) and the switch that renders them. A bin passes a `Pages` whose switch names only its own
/// pages, so link-time optimisation leaves the others out of its wasm.
#[derive(Clone, Copy, Debug)]
pub struct Pages {
    pub bundle: Option<Bundle>,
    pub render: fn(Route) -> Html,
}

impl PartialEq for Pages {
    /// A build's switch follows from its bundle; comparing function pointers is not meaningful.
    fn eq(&self, other: &Self) -> bool {
        self.bundle == other.bundle
    }
}

impl Pages {
    /// Every page in one build (the browser tests' `Layout`).
    pub const ALL: Pages = Pages { bundle: None, render: switch };
    /// The light bundle (`ds-playground`).
    pub const LIGHT: Pages = Pages { bundle: Some(Bundle::Light), render: switch_light };
    /// The Redis bundle (`redis_pages`).
    pub const REDIS: Pages = Pages { bundle: Some(Bundle::Redis), render: switch_redis };

    /// Whether this build renders the route itself (else a link to it loads the other bundle).
    pub fn mounts(self, route: Route) -> bool {
        self.bundle.is_none_or(|b| route.bundle() == b)
    }
}

/// Every page.
pub fn switch(route: Route) -> Html {
    match route.bundle() {
        Bundle::Light => switch_light(route),
        Bundle::Redis => switch_redis(route),
    }
}

/// The light bundle's pages.
pub fn switch_light(route: Route) -> Html {
    match route {
        Route::Home => html! { <pages::home::HomePage /> },
        Route::Backoff => html! { <pages::backoff::BackoffPage /> },
        Route::LoadBalancing => html! { <pages::load_balancing::LoadBalancingPage /> },
        Route::NotFound => html! { <pages::not_found::NotFoundPage /> },
        Route::Locks | Route::Redis | Route::Cluster | Route::Messaging => {
            html! { <pages::elsewhere::ElsewherePage /> }
        }
    }
}

/// The Redis bundle's pages.
pub fn switch_redis(route: Route) -> Html {
    match route {
        Route::Locks => html! { <pages::locks::LocksPage /> },
        Route::Redis => html! { <pages::redis::RedisPage /> },
        Route::Cluster => html! { <pages::cluster::ClusterPage /> },
        Route::Messaging => html! { <pages::messaging::MessagingPage /> },
        Route::Home | Route::Backoff | Route::LoadBalancing | Route::NotFound => {
            html! { <pages::elsewhere::ElsewherePage /> }
        }
    }
}
