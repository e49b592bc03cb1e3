//! The notice shown when the URL carried a bad parameter: which one, what it was, what is accepted.

use yew::prelude::*;

use crate::sim::ParamError;

#[derive(Properties, PartialEq)]
pub struct ParamNoticesProps {
    pub notices: Vec<ParamError>,
}

#[component]
pub fn ParamNotices(props: &ParamNoticesProps) -> Html {
    if props.notices.is_empty() {
        return html! {};
    }
    html! {
        <div class="notice" role="status" data-testid="param-notices">
            <strong>{ "Some settings in the link were not usable, so defaults were used:" }</strong>
            <ul>{ for props.notices.iter().map(|n| html! { <li>{ n.to_string() }</li> }) }</ul>
        </div>
    }
}
