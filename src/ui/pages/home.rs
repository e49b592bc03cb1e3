//! The landing page: one card per playground.

use yew::prelude::*;

use crate::ui::components::nav_link::PageLink;

use super::PLAYGROUNDS;

#[component]
pub fn HomePage() -> Html {
    html! {
        <section class="home" data-testid="page-home">
            <div class="hero">
                <h1>{ "Distributed Systems Playground" }</h1>
                <p class="lede">
                    { "See distributed-systems patterns work — and fail. Each playground is a faithful, seeded \
                       simulation you can play, pause, step, break on purpose and share by URL." }
                </p>
            </div>
            <ul class="card-grid">
                { for PLAYGROUNDS.iter().map(|p| html! {
                    <li class="card">
                        <h2 class="card__title">
                            <PageLink to={p.route}>{ p.title }</PageLink>
                        </h2>
                        <p>{ p.lede }</p>
                        <ul class="card__list">
                            { for p.teaches.iter().map(|t| html! { <li>{ *t }</li> }) }
                        </ul>
                        <PageLink to={p.route} classes="button">{ "Open the playground →" }</PageLink>
                    </li>
                }) }
            </ul>
        </section>
    }
}
