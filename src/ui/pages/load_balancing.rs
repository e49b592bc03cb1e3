//! The load-balancing playground page.

use yew::prelude::*;

use crate::ui::components::PageHeader;
use crate::ui::Route;

#[component]
pub fn LoadBalancingPage() -> Html {
    let info = super::info(Route::LoadBalancing);
    html! {
        <section class="model-page" data-testid="page-load-balancing">
            <PageHeader title={info.title} lede={info.lede} />
            <div class="panel">
                <h2>{ "What you will explore here" }</h2>
                <ul>{ for info.teaches.iter().map(|t| html! { <li>{ *t }</li> }) }</ul>
            </div>
        </section>
    }
}
