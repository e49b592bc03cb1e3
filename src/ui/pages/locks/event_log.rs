//! The event log: the run's global log as of the cursor, newest first, filtered per worker or to
//! Redis and the system.

use web_sys::HtmlSelectElement;
use yew::prelude::*;

use super::state::RunRef;
use super::text::tick;

#[derive(Properties, PartialEq)]
pub struct EventLogProps {
    pub run: RunRef,
}

#[component]
pub fn EventLog(props: &EventLogProps) -> Html {
    // None = all; Some(None) = Redis and system; Some(Some(w)) = worker w.
    let log_filter = use_state(|| None::<Option<usize>>);
    let run = props.run.run.borrow();
    let rt = run.model();
    let filter = *log_filter;
    let on_filter = {
        let log_filter = log_filter.clone();
        Callback::from(move |e: Event| {
            let sel: HtmlSelectElement = e.target_unchecked_into();
            log_filter.set(match sel.value().as_str() {
                "all" => None,
                "system" => Some(None),
                w => w.parse::<usize>().ok().map(Some),
            });
        })
    };
    let log = rt.log();
    let lines = log
        .iter()
        .rev()
        .filter(|l| filter.is_none_or(|f| l.worker == f))
        .take(80)
        .enumerate()
        // Keyed by position, not by event: at speed all 80 rows are new at each redraw, and
        // position keys rewrite the rows' text in place instead of building 80 new rows (whose
        // elements would each need a fresh style) and removing the old ones.
        .map(|(row, l)| {
            html! {
                <li key={row} class={l.worker.map(|w| format!("owner-{}", w % 8))}>
                    <span class="lk-log__t lk-mono">{ tick(l.at_ms) }</span>
                    <span class="lk-swatch" aria-hidden="true"></span>
                    <span class="lk-log__text">{ l.text.clone() }</span>
                </li>
            }
        })
        .collect::<Html>();
    html! {
        <section class="panel lk-log" data-testid="event-log">
            <div class="lk-panel-head">
                <h2>{ "Event log" }</h2>
                <label class="field lk-log__filter">
                    <span>{ "Show" }</span>
                    <select data-testid="log-filter" onchange={on_filter}>
                        <option value="all" selected={filter.is_none()}>{ "all" }</option>
                        { for (0..rt.worker_count()).map(|w| html! {
                            <option value={w.to_string()} selected={filter == Some(Some(w))}>{ format!("worker-{w}") }</option>
                        }) }
                        <option value="system" selected={filter == Some(None)}>{ "Redis and system" }</option>
                    </select>
                </label>
            </div>
            <ol class="lk-log__lines" aria-label="Newest first" data-testid="log-lines">{ lines }</ol>
        </section>
    }
}
