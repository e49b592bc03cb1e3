//! A model page's title block.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PageHeaderProps {
    pub title: AttrValue,
    pub lede: AttrValue,
    #[prop_or_default]
    pub children: Html,
}

#[component]
pub fn PageHeader(props: &PageHeaderProps) -> Html {
    html! {
        <header class="page-header">
            <h1>{ props.title.clone() }</h1>
            <p class="lede">{ props.lede.clone() }</p>
            { props.children.clone() }
        </header>
    }
}
