//! The route table, React-Router style: one enum, one `switch` that renders a page per route.

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
}

pub fn switch(route: Route) -> Html {
    match route {
        Route::Home => html! { <pages::home::HomePage /> },
        Route::Locks => html! { <pages::locks::LocksPage /> },
        Route::Backoff => html! { <pages::backoff::BackoffPage /> },
        Route::LoadBalancing => html! { <pages::load_balancing::LoadBalancingPage /> },
        Route::Redis => html! { <pages::redis::RedisPage /> },
        Route::Cluster => html! { <pages::cluster::ClusterPage /> },
        Route::Messaging => html! { <pages::messaging::MessagingPage /> },
        Route::NotFound => html! { <pages::not_found::NotFoundPage /> },
    }
}
