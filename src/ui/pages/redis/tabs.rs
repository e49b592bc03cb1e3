//! The redis-cli tabs: one per client (client 1, client 2… up to [`MAX_CLIS`]), each its own
//! connection to the one modeled server. A tab shows whether its client waits for a reply or
//! reads messages, and a badge counting what it printed while another tab was shown. Only the
//! selected tab's redis-cli is drawn; what was typed in the others is kept here.

use std::collections::BTreeMap;
use std::rc::Rc;

use yew::prelude::*;

use super::cli::Cli;
use crate::redis::session::{CliDesk, CliMode, MAX_CLIS};

/// What the tabs can ask of the page, by tab index.
#[derive(Clone, PartialEq)]
pub struct TabCallbacks {
    pub interrupt: Callback<usize>,
    pub open: Callback<()>,
    pub close: Callback<usize>,
    pub select: Callback<usize>,
}

#[derive(Properties, PartialEq)]
pub struct CliTabsProps {
    pub desk: Rc<CliDesk>,
    /// A line entered in the selected tab.
    pub on_run: Callback<String>,
    pub callbacks: TabCallbacks,
}

#[component]
pub fn CliTabs(props: &CliTabsProps) -> Html {
    // Drafts by tab number: what was typed in a tab survives showing another one.
    let drafts = use_mut_ref(BTreeMap::<u32, String>::new);
    let desk = &props.desk;
    let selected = desk.selected.min(desk.tabs.len() - 1);
    let tab = &desk.tabs[selected];
    let number = tab.number;
    {
        let mut d = drafts.borrow_mut();
        d.retain(|n, _| desk.tabs.iter().any(|t| t.number == *n));
    }
    let draft = drafts.borrow().get(&number).cloned().unwrap_or_default();
    let on_draft = {
        let drafts = drafts.clone();
        Callback::from(move |text: String| {
            drafts.borrow_mut().insert(number, text);
        })
    };
    let on_interrupt = props.callbacks.interrupt.reform(move |_: ()| selected);
    let open = props.callbacks.open.reform(|_: MouseEvent| ());
    let can_open = desk.tabs.len() < MAX_CLIS;
    let closable = desk.tabs.len() > 1;
    html! {
        <div class="panel redis-cli" data-testid="redis-cli">
            <div class="redis-panel-head">
                <h2>{ "redis-cli" }</h2>
                <span class="redis-panel-head__help">{ "Try " }<code>{ "HELP SET" }</code>{ ", " }<code>{ "SUBSCRIBE news" }</code>{ " here and " }<code>{ "PUBLISH news hi" }</code>{ " in another client; Tab, ↑/↓, Ctrl-C" }</span>
            </div>
            <div class="redis-tabs" role="group" aria-label="redis-cli clients" data-testid="redis-cli-tabs">
                { for desk.tabs.iter().enumerate().map(|(i, t)| {
                    let is_selected = i == selected;
                    let select = props.callbacks.select.reform(move |_: MouseEvent| i);
                    let close = props.callbacks.close.reform(move |_: MouseEvent| i);
                    let (state_class, state_label) = match t.cli.mode() {
                        CliMode::Prompt => (None, ""),
                        CliMode::Waiting { .. } => (Some("redis-tab--waiting"), ", waiting for a reply"),
                        CliMode::Reading { .. } => (Some("redis-tab--reading"), ", reading messages"),
                    };
                    let id = t.cli.client().map(|c| format!("client id {c}")).unwrap_or_else(|| "not connected".into());
                    html! {
                        <div key={t.number} class={classes!("redis-tab", is_selected.then_some("redis-tab--selected"), state_class)} data-testid="redis-cli-tab-wrap">
                            <button type="button" class="redis-tab__select" aria-current={is_selected.then_some(AttrValue::from("true"))}
                                onclick={select} data-testid="redis-cli-tab" title={format!("client {} ({id}){state_label}", t.number)}>
                                if state_class.is_some() {
                                    <span class="redis-tab__state" aria-hidden="true"></span>
                                }
                                { format!("client {}", t.number) }
                                <span class="visually-hidden">{ state_label }</span>
                                if t.unread > 0 {
                                    <span class="redis-tab__badge" data-testid="redis-cli-tab-badge" aria-label={format!("{} new", t.unread)}>
                                        { if t.unread > 99 { "99+".to_string() } else { t.unread.to_string() } }
                                    </span>
                                }
                            </button>
                            if closable {
                                <button type="button" class="redis-tab__close" onclick={close} aria-label={format!("Close client {}", t.number)} title="Close this client (its connection closes)" data-testid="redis-cli-tab-close">
                                    { "×" }
                                </button>
                            }
                        </div>
                    }
                }) }
                <button type="button" class="redis-tab__add" onclick={open} disabled={!can_open}
                    title={if can_open { "Open another redis-cli (a new connection)".to_string() } else { format!("At most {MAX_CLIS} clients") }}
                    aria-label="Open another redis-cli client" data-testid="redis-cli-tab-add">
                    { "+ client" }
                </button>
            </div>
            <Cli key={number}
                transcript={tab.cli.transcript.clone()}
                history={tab.cli.history.clone()}
                prompt={AttrValue::from(tab.cli.prompt())}
                mode={tab.cli.mode()}
                draft={AttrValue::from(draft)}
                {on_draft}
                on_run={props.on_run.clone()}
                {on_interrupt} />
        </div>
    }
}
