//! The Redis playground page: a redis-cli in the page, a key browser and the cache-aside demo.

pub mod cache_aside;

use yew::prelude::*;

use crate::ui::components::PageHeader;
use crate::ui::Route;

#[component]
pub fn RedisPage() -> Html {
    let info = super::info(Route::Redis);
    html! {
        <section class="model-page" data-testid="page-redis">
            <PageHeader title={info.title} lede={info.lede} />
            <cache_aside::CacheAsideDemo />
        </section>
    }
}
