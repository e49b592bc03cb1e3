//! The workers panel: the fault-button settings, the action error, and one card per worker (id,
//! state, token, "holds the lock", its state diagram and its fault buttons). A card gets a
//! [`WorkerSnap`] of plain values, so it redraws only when one of them changes.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::diagram::{LastTransition, StateDiagram};
use super::state::{FaultSettings, RunRef};
use super::text::secs_short;
use crate::lock::client::ConnState;
use crate::lock::url::Dur;
use crate::lock::{self, Action, Target, WorkerStatus};
use crate::ui::hooks::{use_sampled, use_stable_callback, use_step_key};

#[derive(Properties, PartialEq)]
pub struct WorkersPanelProps {
    pub run: RunRef,
    pub faults: FaultSettings,
    #[prop_or_default]
    pub error: Option<String>,
    pub on_action: Callback<Action>,
    pub on_details: Callback<usize>,
    /// A fault setting changed: (`pause` | `drift` | `slow`, the text).
    pub on_setting: Callback<(&'static str, String)>,
}

#[component]
pub fn WorkersPanel(props: &WorkersPanelProps) -> Html {
    // A step or an action moves the run by an event or two; a playing frame by many (then the
    // cards sample).
    let stamp = props.run.stamp;
    let step = use_step_key(stamp.cursor.events.saturating_add(stamp.applied as u64), 2);
    let run = props.run.run.borrow();
    let rt = run.model();
    let fs = props.faults;
    let cards = (0..rt.worker_count())
        .filter_map(|w| rt.worker_view(w).map(|v| WorkerSnap::of(&v)))
        .map(|snap| {
            let key = snap.index;
            html! {
                <WorkerCard key={key} snap={snap} step={step} pause_ms={fs.pause_ms} drift_rate={fs.drift_rate}
                            on_action={props.on_action.clone()} on_details={props.on_details.clone()} />
            }
        })
        .collect::<Html>();
    let fault_field = |name: &'static str, label: &'static str, value: String| {
        let cb = props.on_setting.clone();
        html! {
            <label class="field lk-fault-setting">
                <span>{ label }</span>
                <input type="text" maxlength="24" value={value} data-testid={format!("fault-{name}")}
                       onchange={Callback::from(move |e: Event| { let i: HtmlInputElement = e.target_unchecked_into(); cb.emit((name, i.value())); })} />
            </label>
        }
    };
    html! {
        <section class="panel lk-workers" data-testid="workers">
            <div class="lk-panel-head">
                <h2>{ format!("Workers ({})", rt.worker_count()) }</h2>
                <div class="lk-fault-settings">
                    { fault_field("pause", "Pause length", Dur(fs.pause_ms).to_string()) }
                    { fault_field("drift", "Drift rate (×)", fs.drift_rate.to_string()) }
                    { fault_field("slow", "Redis slow by", Dur(fs.slow_ms).to_string()) }
                </div>
            </div>
            if let Some(err) = &props.error {
                <p class="notice notice--error" role="alert" data-testid="action-error">{ err.clone() }</p>
            }
            <div class="lk-worker-grid">{ cards }</div>
        </section>
    }
}

/// What a worker card shows: plain values, so the card is redrawn only when one changes.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkerSnap {
    pub index: usize,
    pub id: String,
    pub status: WorkerStatus,
    pub state: lock::WorkerState,
    pub last: Option<LastTransition>,
    pub token: Option<i64>,
    pub believes: bool,
    pub job: Option<u64>,
    pub jobs_written: u64,
    pub clock_rate: f64,
    pub partitioned: bool,
    pub extra_latency_ms: u64,
    /// The lock value when it is not the id (Redlock's random value per acquisition).
    pub lock_value: Option<String>,
    /// Its ioredis connection when not ready, and the commands waiting in its offline queue.
    pub connection: Option<ConnState>,
    pub queued: usize,
}

impl WorkerSnap {
    fn of(v: &lock::WorkerView<'_>) -> Self {
        WorkerSnap {
            index: v.index,
            id: v.id.to_string(),
            status: v.status,
            state: v.state,
            last: v.last_transition.map(|t| LastTransition {
                from: t.from,
                to: t.to,
                event: t.event.clone(),
                at: t.at.as_unix_ms(),
            }),
            token: v.token,
            believes: v.believes_it_holds,
            job: v.current_job,
            jobs_written: v.jobs_written,
            clock_rate: v.clock_rate,
            partitioned: v.partitioned,
            extra_latency_ms: v.extra_latency_ms,
            lock_value: (v.lock_value != v.id).then(|| v.lock_value.to_string()),
            connection: v.connection.filter(|c| *c != ConnState::Ready),
            queued: v.queued_commands,
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct WorkerCardProps {
    pub snap: WorkerSnap,
    pub pause_ms: u64,
    pub drift_rate: f64,
    pub on_action: Callback<Action>,
    pub on_details: Callback<usize>,
    /// Changes when the run moved by a step, not a playing frame's many events (`use_step_key`).
    #[prop_or_default]
    pub step: u64,
}

/// How often a playing card is redrawn (`use_sampled`): sixteen cards whose states change every
/// frame at 100× are read at 8 Hz, each at its own phase, so their redraws spread over the frames.
const CARD_SAMPLE_MS: f64 = 125.0;

/// One worker's card, drawn from its snapshot sampled at [`CARD_SAMPLE_MS`] (a crash, stop or
/// restart, and a step through the run, are drawn at once).
#[component]
pub fn WorkerCard(props: &WorkerCardProps) -> Html {
    let w = props.snap.index;
    let snap = use_sampled(props.snap.clone(), (props.snap.status, props.step), CARD_SAMPLE_MS, w as f64 / 16.0);
    // The page builds its callbacks in every render: stable ones keep the body memoized.
    let on_action = use_stable_callback(props.on_action.clone());
    let on_details = use_stable_callback(props.on_details.clone());
    html! {
        <WorkerCardBody snap={snap} pause_ms={props.pause_ms} drift_rate={props.drift_rate}
                        on_action={on_action} on_details={on_details} />
    }
}

/// One worker: id, state, token, "holds the lock", its state diagram and its fault buttons.
#[component]
fn WorkerCardBody(props: &WorkerCardProps) -> Html {
    let v = &props.snap;
    let w = v.index;
    let button = |label: String, testid: String, action: Action, disabled: bool, danger: bool| {
        let act = props.on_action.clone();
        html! {
            <button type="button" class={classes!("button", "button--quiet", "lk-fault", danger.then_some("lk-fault--danger"))}
                    data-testid={testid} disabled={disabled}
                    onclick={Callback::from(move |_: MouseEvent| act.emit(action.clone()))}>{ label }</button>
        }
    };
    let t = Target::Worker(w);
    let alive = matches!(v.status, WorkerStatus::Running | WorkerStatus::Paused);
    let drifting = (v.clock_rate - 1.0).abs() > 1e-9;
    let state_label = match v.status {
        WorkerStatus::Crashed => "crashed".to_string(),
        WorkerStatus::NotStarted => "not started".to_string(),
        WorkerStatus::Paused => format!("{} (paused)", v.state.name()),
        WorkerStatus::Running => v.state.name().to_string(),
    };
    let open_details = props.on_details.reform(move |_: MouseEvent| w);
    html! {
        <article class={classes!("lk-worker", format!("owner-{}", w % 8), v.believes.then_some("lk-worker--holder"))}
                 data-testid={format!("worker-{w}")}>
            <header class="lk-worker__head">
                <span class="lk-swatch" aria-hidden="true"></span>
                <h3>{ format!("worker-{w}") }</h3>
                <span class="lk-state" data-testid={format!("worker-{w}-state")}>{ state_label }</span>
                if v.believes {
                    <span class="lk-badge lk-badge--holder" data-testid={format!("worker-{w}-holder")}>{ "holds the lock" }</span>
                }
            </header>
            <dl class="lk-facts">
                <div><dt>{ "id" }</dt><dd class="lk-mono" data-testid={format!("worker-{w}-id")}>{ v.id.clone() }</dd></div>
                <div><dt>{ "token" }</dt><dd class="lk-mono" data-testid={format!("worker-{w}-token")}>{ v.token.map_or("—".to_string(), |t| t.to_string()) }</dd></div>
                <div><dt>{ "job" }</dt><dd class="lk-mono">{ v.job.map_or("—".to_string(), |j| format!("#{j}")) }</dd></div>
                <div><dt>{ "written" }</dt><dd class="lk-mono">{ v.jobs_written }</dd></div>
                if drifting { <div><dt>{ "clock" }</dt><dd class="lk-mono lk-warn">{ format!("{}×", v.clock_rate) }</dd></div> }
                if v.partitioned { <div><dt>{ "network" }</dt><dd class="lk-warn">{ "partitioned" }</dd></div> }
                if v.extra_latency_ms > 0 { <div><dt>{ "link" }</dt><dd class="lk-mono lk-warn">{ format!("+{} ms", v.extra_latency_ms) }</dd></div> }
                if let Some(value) = &v.lock_value { <div><dt>{ "lock value" }</dt><dd class="lk-mono" title="Redlock: a fresh random value per acquisition">{ value.clone() }</dd></div> }
                if let Some(c) = v.connection {
                    <div><dt>{ "redis" }</dt><dd class="lk-warn" data-testid={format!("worker-{w}-connection")}>
                        { match c { ConnState::Connecting => "connecting", ConnState::Reconnecting => "reconnecting", ConnState::Ready => "ready" } }
                        if v.queued > 0 { { format!(", {} queued", v.queued) } }
                    </dd></div>
                }
            </dl>
            <StateDiagram state={v.state} status={v.status} last={v.last.clone()} name={format!("worker-{w}")} />
            <div class="lk-faults" role="group" aria-label={format!("Faults for worker-{w}")}>
                { button("Crash".into(), format!("worker-{w}-crash"), Action::Crash { target: t }, !alive, true) }
                { button("Stop".into(), format!("worker-{w}-stop"), Action::Stop { target: t }, !alive, false) }
                { button("Restart".into(), format!("worker-{w}-restart"), Action::Restart { target: t }, v.status == WorkerStatus::NotStarted, false) }
                { button(format!("Pause {}", secs_short(props.pause_ms)), format!("worker-{w}-pause"), Action::Pause { target: t, ms: props.pause_ms },
                         v.status != WorkerStatus::Running, false) }
                if v.partitioned {
                    { button("Heal".into(), format!("worker-{w}-heal"), Action::Heal { target: t }, false, false) }
                } else {
                    { button("Partition".into(), format!("worker-{w}-partition"), Action::Partition { target: t }, false, false) }
                }
                if drifting {
                    { button("Clock 1×".into(), format!("worker-{w}-drift"), Action::ClockRate { target: t, rate: 1.0 }, false, false) }
                } else {
                    { button(format!("Drift {}×", props.drift_rate), format!("worker-{w}-drift"), Action::ClockRate { target: t, rate: props.drift_rate }, false, false) }
                }
                <button type="button" class="button lk-fault" data-testid={format!("worker-{w}-details")} aria-haspopup="dialog" onclick={open_details}>{ "Details" }</button>
            </div>
        </article>
    }
}
