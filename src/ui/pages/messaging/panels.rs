//! The messaging page's leaf components: the checker's counts, the consumer cards with their
//! fault buttons, the inspector (a message's life, a consumer's holdings) and the redis-cli pane.
//! They get values and callbacks and hold no model state.

use std::rc::Rc;

use web_sys::{HtmlElement, HtmlInputElement};
use yew::prelude::*;

use crate::messaging::trail::Step;
use crate::messaging::{ConsumerView, MsgId, Report, RunStats};

#[derive(Properties, PartialEq)]
pub struct CountsProps {
    pub report: Report,
    pub stats: RunStats,
    pub done: bool,
    /// Put before every `count-…` test id (`vs-` for the compared run).
    #[prop_or_default]
    pub prefix: AttrValue,
}

/// The delivery checker's counts. Before the run ends a message not yet processed is still in
/// flight or queued, so "lost" is only claimed once the run is over.
#[component]
pub fn Counts(props: &CountsProps) -> Html {
    let r = &props.report;
    let bad = |v: u64| classes!((v > 0).then_some("msg-bad"));
    let lost = if props.done { r.lost.to_string() } else { format!("{} pending", r.lost) };
    let id = |name: &str| format!("{}{name}", props.prefix);
    html! {
        <dl class="msg-totals" data-testid={id("msg-counts")}>
            <div><dt>{ "Produced" }</dt><dd data-testid={id("count-produced")}>{ r.produced }</dd></div>
            <div><dt>{ "Delivered" }</dt><dd data-testid={id("count-delivered")}>{ r.delivered }</dd></div>
            <div><dt>{ "Processed" }</dt><dd data-testid={id("count-processed")}>{ r.processed }</dd></div>
            <div><dt>{ if props.done { "Lost" } else { "Lost (at the end)" } }</dt>
                <dd data-testid={id("count-lost")} class={bad(if props.done { r.lost } else { 0 })}>{ lost }</dd></div>
            <div><dt>{ "Duplicated" }</dt><dd data-testid={id("count-duplicated")} class={bad(r.duplicated)}>{ r.duplicated }</dd></div>
            <div><dt>{ "Redelivered" }</dt><dd data-testid={id("count-redelivered")}>{ r.redelivered }</dd></div>
            <div><dt>{ "Out of order" }</dt><dd data-testid={id("count-out-of-order")}>{ r.out_of_order }</dd></div>
            <div><dt>{ "Dead-lettered" }</dt><dd data-testid={id("count-dead")}>{ props.stats.dead_lettered }</dd></div>
            <div><dt>{ "p50 / p99 latency" }</dt><dd data-testid={id("count-latency")}>{ format!("{} / {} ms", r.p50_ms, r.p99_ms) }</dd></div>
            <div><dt>{ "Peak depth" }</dt><dd data-testid={id("count-peak")}>{ r.peak_depth }</dd></div>
        </dl>
    }
}

/// A consumer fault from a card's buttons.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ConsumerOp {
    Crash,
    Slow,
    Inspect,
}

#[derive(Properties, PartialEq)]
pub struct ConsumerCardProps {
    pub consumer: ConsumerView,
    /// "subscriber", "instance" or "worker".
    pub noun: AttrValue,
    pub selected: bool,
    pub on_op: Callback<(u32, ConsumerOp)>,
}

#[component]
pub fn ConsumerCard(props: &ConsumerCardProps) -> Html {
    let c = &props.consumer;
    let i = c.index;
    let op = |o: ConsumerOp| {
        let cb = props.on_op.clone();
        Callback::from(move |_: MouseEvent| cb.emit((i, o)))
    };
    let state = if !c.up {
        "down"
    } else if c.partitioned {
        "cut off"
    } else if c.slow > 1.0 {
        "slow"
    } else {
        "up"
    };
    let crash = if props.noun == "subscriber" { "Take offline 3 s" } else { "Crash 3 s" };
    html! {
        <div class={classes!("msg-card", format!("msg-card--{}", state.replace(' ', "-")), props.selected.then_some("msg-card--selected"))}
             data-testid={format!("msg-consumer-{i}")}>
            <div class="msg-card__head">
                <strong>{ format!("{} {i}", props.noun) }</strong>
                <span class="msg-card__state">{ state }</span>
            </div>
            <p class="msg-card__stats msg-muted">{ format!("running {} · holds {}", c.running, c.held.len()) }</p>
            <div class="msg-card__actions">
                <button type="button" class="button button--quiet" data-testid={format!("msg-crash-{i}")} disabled={!c.up} onclick={op(ConsumerOp::Crash)}>{ crash }</button>
                <button type="button" class="button button--quiet" data-testid={format!("msg-slow-{i}")} disabled={!c.up || c.slow > 1.0} onclick={op(ConsumerOp::Slow)}>{ "Slow ×10 5 s" }</button>
                <button type="button" class="button button--quiet" data-testid={format!("msg-inspect-{i}")} onclick={op(ConsumerOp::Inspect)}>{ "Inspect" }</button>
            </div>
        </div>
    }
}

/// What the inspector shows.
#[derive(Clone, Debug, PartialEq)]
pub enum Inspected {
    Nothing,
    /// A message and its steps (`None`: no longer remembered).
    Message(MsgId, Option<Vec<Step>>),
    Consumer(ConsumerView, AttrValue),
}

#[derive(Properties, PartialEq)]
pub struct InspectorProps {
    pub inspected: Inspected,
    /// Recently produced messages, newest first, to pick from.
    pub recent: Vec<MsgId>,
    pub lives_kept: usize,
    pub on_message: Callback<MsgId>,
}

#[component]
pub fn Inspector(props: &InspectorProps) -> Html {
    let pick = |m: MsgId| {
        let cb = props.on_message.clone();
        Callback::from(move |_: MouseEvent| cb.emit(m))
    };
    let body = match &props.inspected {
        Inspected::Nothing => html! {
            <p class="msg-muted">{ "Click a dot, a consumer or one of the messages below to see its life." }</p>
        },
        Inspected::Message(id, None) => html! {
            <p class="msg-muted" data-testid="msg-inspector-forgotten">
                { format!("Message {id} is no longer remembered: the page keeps the lives of the last {} messages.", props.lives_kept) }
            </p>
        },
        Inspected::Message(id, Some(steps)) => html! {
            <>
                <h3>{ format!("Message {id}") }</h3>
                <ol class="msg-life" data-testid="msg-life">
                    { for steps.iter().map(|s| html! {
                        <li><span class="msg-mono">{ format!("{:>6.3} s", s.at_ms as f64 / 1000.0) }</span>{ " " }{ s.kind.to_string() }</li>
                    }) }
                </ol>
            </>
        },
        Inspected::Consumer(c, noun) => html! {
            <>
                <h3>{ format!("{noun} {}: {}", c.index, if c.up { "up" } else { "down" }) }</h3>
                <p class="msg-muted" data-testid="msg-holdings">
                    { format!("Running {}, holding {} message(s){}", c.running, c.held.len(),
                        if c.slow > 1.0 { format!(", {}× slower", c.slow) } else { String::new() }) }
                </p>
                <ul class="msg-chips">
                    { for c.held.iter().zip(c.tags.iter().map(Some).chain(std::iter::repeat(None))).map(|((m, running), tag)| html! {
                        <li><button type="button" class="msg-chip" onclick={pick(*m)}>
                            { format!("{m}{}{}", if *running { " ▶" } else { "" }, tag.filter(|t| !t.is_empty()).map(|t| format!(" · {t}")).unwrap_or_default()) }
                        </button></li>
                    }) }
                </ul>
            </>
        },
    };
    html! {
        <div class="panel msg-inspector" data-testid="msg-inspector">
            <h2>{ "Inspector" }</h2>
            { body }
            if !props.recent.is_empty() {
                <p class="msg-muted msg-recent__title">{ "Recent messages:" }</p>
                <ul class="msg-chips" data-testid="msg-recent">
                    { for props.recent.iter().map(|m| html! {
                        <li><button type="button" class="msg-chip" onclick={pick(*m)}>{ m.to_string() }</button></li>
                    }) }
                </ul>
            }
        </div>
    }
}

/// One command typed in the pane and what it printed.
#[derive(Clone, Debug, PartialEq)]
pub struct CliEntry {
    pub id: u64,
    pub command: String,
    pub output: String,
}

#[derive(Properties, PartialEq)]
pub struct CliPaneProps {
    pub transcript: Rc<Vec<CliEntry>>,
    pub suggestions: Vec<&'static str>,
    /// What the run's clients sent last (newest last).
    pub sent: Vec<String>,
    pub on_run: Callback<String>,
}

#[component]
pub fn CliPane(props: &CliPaneProps) -> Html {
    let input = use_node_ref();
    let scroll = use_node_ref();
    {
        let scroll = scroll.clone();
        use_effect_with(props.transcript.clone(), move |_| {
            if let Some(el) = scroll.cast::<HtmlElement>() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    }
    let onkeydown = {
        let on_run = props.on_run.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" {
                e.prevent_default();
                let el = e.target_unchecked_into::<HtmlInputElement>();
                let line = el.value();
                el.set_value("");
                on_run.emit(line);
            }
        })
    };
    html! {
        <div class="panel msg-cli" data-testid="msg-cli">
            <h2>{ "redis-cli on the run's server" }</h2>
            <p class="msg-muted">{ "Reads the same modeled Redis the run uses, at the current virtual time. Commands that write are refused: the run's clients are its only writers." }</p>
            <div class="msg-cli__suggest">
                { for props.suggestions.iter().map(|s| {
                    let cb = props.on_run.clone();
                    let line = s.to_string();
                    html! { <button type="button" class="msg-chip" onclick={Callback::from(move |_: MouseEvent| cb.emit(line.clone()))}>{ *s }</button> }
                }) }
            </div>
            <div class="msg-cli__screen" ref={scroll} data-testid="msg-cli-transcript" tabindex="0" role="log" aria-label="redis-cli transcript">
                { for props.transcript.iter().map(|e| html! {
                    <div key={e.id}>
                        <div class="msg-cli__cmd">{ format!("redis> {}", e.command) }</div>
                        <pre class="msg-cli__out">{ &e.output }</pre>
                    </div>
                }) }
            </div>
            <label class="msg-cli__line">
                <span class="msg-mono">{ "redis>" }</span>
                <input ref={input} type="text" class="msg-cli__input" data-testid="msg-cli-input" spellcheck="false"
                       autocomplete="off" aria-label="redis-cli command" placeholder="LLEN queue" maxlength="2000" {onkeydown} />
            </label>
            <details class="msg-sent">
                <summary>{ format!("What the clients sent last ({} commands)", props.sent.len()) }</summary>
                <pre class="msg-cli__out" data-testid="msg-sent">{ props.sent.join("\n") }</pre>
            </details>
        </div>
    }
}
