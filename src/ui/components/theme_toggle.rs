//! The light/dark switch in the header.

use yew::prelude::*;

use crate::ui::hooks::{use_theme, Theme};

#[component]
pub fn ThemeToggle() -> Html {
    let theme = use_theme();
    let current = theme.theme();
    let label = match current {
        Theme::Light => "Switch to dark theme",
        Theme::Dark => "Switch to light theme",
    };
    let onclick = {
        let theme = theme.clone();
        Callback::from(move |_| theme.toggle())
    };
    html! {
        <button type="button" class="icon-button" data-testid="theme-toggle" aria-label={label} title={label} {onclick}>
            <span aria-hidden="true">{ if current == Theme::Dark { "☀" } else { "☾" } }</span>
        </button>
    }
}
