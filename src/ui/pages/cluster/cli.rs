//! redis-cli in cluster mode (`-c`) in the page: the prompt follows the node the session is on,
//! redirects print as redis-cli prints them, ↑/↓ walk the history. The session itself lives in the
//! run (`ClusterSim::session`, rewound with it; each line is a logged action); this component only
//! edits the line.

use std::rc::Rc;

use web_sys::{HtmlElement, HtmlInputElement};
use yew::prelude::*;

pub use crate::cluster::cli::CliEntry;

#[derive(Properties, PartialEq)]
pub struct ClusterCliProps {
    pub prompt: AttrValue,
    pub transcript: Rc<Vec<CliEntry>>,
    pub on_run: Callback<String>,
}

#[component]
pub fn ClusterCli(props: &ClusterCliProps) -> Html {
    let browsing = use_mut_ref(|| None::<usize>);
    let scroll_ref = use_node_ref();
    {
        let scroll_ref = scroll_ref.clone();
        use_effect_with(props.transcript.clone(), move |_| {
            if let Some(el) = scroll_ref.cast::<HtmlElement>() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    }
    let onkeydown = {
        let on_run = props.on_run.clone();
        let transcript = props.transcript.clone();
        let browsing = browsing.clone();
        Callback::from(move |e: KeyboardEvent| {
            let el = e.target_unchecked_into::<HtmlInputElement>();
            let history: Vec<&String> = transcript.iter().map(|t| &t.command).collect();
            let mut b = browsing.borrow_mut();
            match e.key().as_str() {
                "Enter" => {
                    e.prevent_default();
                    let line = el.value();
                    el.set_value("");
                    *b = None;
                    drop(b);
                    on_run.emit(line);
                }
                "ArrowUp" if !history.is_empty() => {
                    e.prevent_default();
                    let at = b.map_or(history.len() - 1, |i| i.saturating_sub(1));
                    *b = Some(at);
                    el.set_value(history[at]);
                }
                "ArrowDown" => {
                    if let Some(i) = *b {
                        e.prevent_default();
                        if i + 1 < history.len() {
                            *b = Some(i + 1);
                            el.set_value(history[i + 1]);
                        } else {
                            *b = None;
                            el.set_value("");
                        }
                    }
                }
                _ => {}
            }
        })
    };
    html! {
        <div class="cl-cli" data-testid="cluster-cli">
            <div class="cl-cli__screen" ref={scroll_ref} aria-live="polite" data-testid="cluster-cli-transcript">
                if props.transcript.is_empty() {
                    <p class="cl-muted">{ "$ redis-cli -c -p 7000 — try SET foo bar, GET foo, CLUSTER NODES, CLUSTER SHARDS, MSET a 1 b 2, WAIT 1 1000." }</p>
                }
                { for props.transcript.iter().map(|t| html! {
                    <div key={t.id} class="cl-cli__entry" data-testid="cluster-cli-entry">
                        <div><span class="cl-cli__prompt">{ t.prompt.clone() }</span>{ " " }{ t.command.clone() }</div>
                        <pre class="cl-cli__output" data-testid="cluster-cli-output">{ t.output.trim_end_matches('\n').to_string() }</pre>
                    </div>
                }) }
            </div>
            <label class="cl-cli__line">
                <span class="cl-cli__prompt" data-testid="cluster-cli-prompt">{ props.prompt.clone() }</span>
                <input type="text" class="cl-cli__input" {onkeydown} autocomplete="off" autocapitalize="off" spellcheck="false"
                       maxlength="4096" aria-label="redis-cli command" data-testid="cluster-cli-input" />
            </label>
        </div>
    }
}
