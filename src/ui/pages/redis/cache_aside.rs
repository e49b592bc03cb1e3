//! The cache-aside demo (being built).

use yew::prelude::*;

#[component]
pub fn CacheAsideDemo() -> Html {
    html! { <div class="panel" data-testid="cache-aside"><h2>{ "Cache-aside" }</h2></div> }
}
