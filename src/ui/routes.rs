//! The route table, React-Router style: one enum, one `switch` per build that renders a page per route.
//!
//! The Pages site is five wasm bundles (ARCHITECTURE.md, "Bundle"): the light one (home, backoff, load
//! balancing, the 404 page) and one per page built on the Redis model and its Lua VM (locks, redis,
//! cluster, messaging). Each bundle's bin mounts the app with its own [`Pages`]; index.html's loader
//! picks the bundle by path, so a link to another bundle's page is a plain full-page load.

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
/// paths of each Redis page's route to that page's bundle ([`Bundle::bin`]); every other path loads
/// the light one.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Bundle {
    /// The shell with home, backoff, load balancing and the 404 page: no Redis model, no Lua VM.
    Light,
    /// The locks page (the Redis model, EVAL's Lua VM, the lock workers).
    Locks,
    /// The Redis page (redis-cli, the key browser, cache-aside).
    Redis,
    /// The cluster page (the cluster model on Redis stores).
    Cluster,
    /// The messaging page (the patterns on the modeled Redis).
    Messaging,
}

impl Bundle {
    /// The Cargo bin that builds it (`src/main.rs` for the light one, `src/bin/<bin>.rs` otherwise):
    /// its wasm and JS glue are named after it.
    pub const fn bin(self) -> &'static str {
        match self {
            Bundle::Light => "ds-playground",
            Bundle::Locks => "page_locks",
            Bundle::Redis => "page_redis",
            Bundle::Cluster => "page_cluster",
            Bundle::Messaging => "page_messaging",
        }
    }
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
            Route::Locks => Bundle::Locks,
            Route::Redis => Bundle::Redis,
            Route::Cluster => Bundle::Cluster,
            Route::Messaging => Bundle::Messaging,
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
    /// The locks page's bundle (`page_locks`).
    pub const LOCKS: Pages = Pages { bundle: Some(Bundle::Locks), render: switch_locks };
    /// The Redis page's bundle (`page_redis`).
    pub const REDIS: Pages = Pages { bundle: Some(Bundle::Redis), render: switch_redis };
    /// The cluster page's bundle (`page_cluster`).
    pub const CLUSTER: Pages = Pages { bundle: Some(Bundle::Cluster), render: switch_cluster };
    /// The messaging page's bundle (`page_messaging`).
    pub const MESSAGING: Pages = Pages { bundle: Some(Bundle::Messaging), render: switch_messaging };

    /// Whether this build renders the route itself (else a link to it loads another bundle).
    pub fn mounts(self, route: Route) -> bool {
        self.bundle.is_none_or(|b| route.bundle() == b)
    }
}

/// Every page.
pub fn switch(route: Route) -> Html {
    match route.bundle() {
        Bundle::Light => switch_light(route),
        Bundle::Locks => switch_locks(route),
        Bundle::Redis => switch_redis(route),
        Bundle::Cluster => switch_cluster(route),
        Bundle::Messaging => switch_messaging(route),
    }
}

/// What a bundle shows for another bundle's route (only if the loader and [`Route::bundle`] disagree).
fn elsewhere() -> Html {
    html! { <pages::elsewhere::ElsewherePage /> }
}

/// The light bundle's pages.
pub fn switch_light(route: Route) -> Html {
    match route {
        Route::Home => html! { <pages::home::HomePage /> },
        Route::Backoff => html! { <pages::backoff::BackoffPage /> },
        Route::LoadBalancing => html! { <pages::load_balancing::LoadBalancingPage /> },
        Route::NotFound => html! { <pages::not_found::NotFoundPage /> },
        Route::Locks | Route::Redis | Route::Cluster | Route::Messaging => elsewhere(),
    }
}

// One switch per Redis page: each names only its own page, so its bundle links no other page's
// model (ARCHITECTURE.md, "Bundle").

/// The locks page's bundle.
pub fn switch_locks(route: Route) -> Html {
    match route {
        Route::Locks => html! { <pages::locks::LocksPage /> },
        _ => elsewhere(),
    }
}

/// The Redis page's bundle.
pub fn switch_redis(route: Route) -> Html {
    match route {
        Route::Redis => html! { <pages::redis::RedisPage /> },
        _ => elsewhere(),
    }
}

/// The cluster page's bundle.
pub fn switch_cluster(route: Route) -> Html {
    match route {
        Route::Cluster => html! { <pages::cluster::ClusterPage /> },
        _ => elsewhere(),
    }
}

/// The messaging page's bundle.
pub fn switch_messaging(route: Route) -> Html {
    match route {
        Route::Messaging => html! { <pages::messaging::MessagingPage /> },
        _ => elsewhere(),
    }
}
