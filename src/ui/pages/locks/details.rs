//! The worker details dialog: its id, state, status, token, counts, last transition and its own log.

use yew::prelude::*;

use super::state::RunRef;
use super::text::tick;
use crate::ui::components::Modal;

#[derive(Properties, PartialEq)]
pub struct WorkerDetailsProps {
    pub run: RunRef,
    pub worker: usize,
    pub on_close: Callback<()>,
}

#[component]
pub fn WorkerDetails(props: &WorkerDetailsProps) -> Html {
    let run = props.run.run.borrow();
    let rt = run.model();
    let Some(v) = rt.worker_view(props.worker) else {
        return Html::default();
    };
    let w = v.index;
    html! {
        <Modal title={format!("worker-{w} details")} on_close={props.on_close.clone()} class={classes!("modal--wide")} testid="worker-modal">
            <dl class="lk-facts lk-facts--wide">
                <div><dt>{ "id" }</dt><dd class="lk-mono">{ v.id }</dd></div>
                <div><dt>{ "state" }</dt><dd class="lk-mono">{ v.state.name() }</dd></div>
                <div><dt>{ "status" }</dt><dd>{ format!("{:?}", v.status).to_lowercase() }</dd></div>
                <div><dt>{ "token" }</dt><dd class="lk-mono">{ v.token.map_or("—".to_string(), |t| t.to_string()) }</dd></div>
                <div><dt>{ "jobs written" }</dt><dd class="lk-mono">{ v.jobs_written }</dd></div>
                <div><dt>{ "restarts" }</dt><dd class="lk-mono">{ v.restarts }</dd></div>
                <div><dt>{ "GC pauses" }</dt><dd class="lk-mono">{ v.pauses.len() }</dd></div>
                if let Some(t) = v.last_transition {
                    <div><dt>{ "last transition" }</dt><dd class="lk-mono">{ format!("{} —{}→ {} at {}", t.from, t.event, t.to, tick(t.at.saturating_since(rt.start()).0)) }</dd></div>
                }
            </dl>
            <h3 class="lk-subhead">{ format!("Own log (newest first, {} lines)", v.log.len()) }</h3>
            <ol class="lk-log__lines lk-log__lines--modal" data-testid="worker-log">
                { for v.log.iter().rev().take(400).map(|l| html! {
                    <li><span class="lk-log__t lk-mono">{ tick(l.at_ms) }</span><span class="lk-log__text">{ l.text.clone() }</span></li>
                }) }
            </ol>
        </Modal>
    }
}
