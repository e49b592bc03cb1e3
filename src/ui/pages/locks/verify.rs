//! The Verify panel on the locks page: every interleaving of the lock protocol within bounds,
//! checked in a Web Worker (`verify_worker.rs`), with progress, Cancel, the answer — "no
//! counterexample up to depth N, K states" or the shortest counterexample as a numbered trace — and
//! a button that opens the counterexample on the page's timeline through Rewind.
//!
//! State: one reducer ([`VerifyState`]) over the form's texts, their validation and the check's
//! status; the worker is owned by an effect keyed on the run number (a new run, Cancel, an answer
//! or leaving the page terminates it), so the page's main thread never runs the search.

use std::rc::Rc;

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::verify_worker::{self, DoneMsg, ProgressMsg, WorkerHandle, WorkerIn, WorkerOut};
use crate::sim::SimDuration;
use crate::verify::lock::config::{MAX_BUDGET, MAX_DEPTH};
use crate::verify::lock::{CheckConfig, Fault, Variant};

/// The faults the panel offers, with their labels.
pub const FAULTS: [(Fault, &str); 5] = [
    (Fault::Pause, "GC pause"),
    (Fault::Crash, "worker crash"),
    (Fault::Delay, "message delay"),
    (Fault::RedisRestart, "Redis restart (no persistence)"),
    (Fault::Drift, "clock drift"),
];
/// The page stops a search at this many distinct states (about 30 bytes each in the worker).
pub const PAGE_MAX_STATES: u64 = 2_000_000;
/// The deepest search the page offers (the core accepts up to `MAX_DEPTH`).
pub const PAGE_MAX_DEPTH: u32 = 150;
const _: () = assert!(PAGE_MAX_DEPTH <= MAX_DEPTH);

/// The form's texts, as typed.
#[derive(Clone, Debug, PartialEq)]
pub struct VerifyForm {
    pub variant: String,
    pub workers: String,
    pub redis: String,
    pub faults: Vec<Fault>,
    pub budget: String,
    pub depth: String,
}

impl Default for VerifyForm {
    fn default() -> Self {
        VerifyForm {
            variant: "reference".into(),
            workers: "2".into(),
            redis: "1".into(),
            faults: vec![Fault::Pause],
            budget: "1".into(),
            depth: "40".into(),
        }
    }
}

impl VerifyForm {
    /// The check the form asks for, or a sentence per field that is not accepted.
    pub fn config(&self) -> Result<CheckConfig, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let variant = Variant::from_id(self.variant.trim()).map_err(|e| errors.push(("variant", e.to_string()))).ok();
        let workers = match self.workers.trim().parse::<usize>() {
            Ok(n) if (2..=3).contains(&n) => Some(n),
            _ => {
                errors.push(("workers", format!("Workers {:?} is not accepted; expected 2 or 3.", self.workers)));
                None
            }
        };
        let redis = match (variant, self.redis.trim().parse::<usize>()) {
            (Some(Variant::Redlock), Ok(n)) if n == 3 || n == 5 => Some(n),
            (Some(Variant::Redlock), _) => {
                errors.push((
                    "redis",
                    format!("Redis instances {:?} is not accepted; Redlock runs on 3 or 5.", self.redis),
                ));
                None
            }
            _ => Some(1),
        };
        let budget = match self.budget.trim().parse::<u8>() {
            Ok(b) if b <= MAX_BUDGET => Some(b),
            _ => {
                errors.push((
                    "budget",
                    format!(
                        "Fault budget {:?} is not accepted; expected a whole number from 0 to {MAX_BUDGET}.",
                        self.budget
                    ),
                ));
                None
            }
        };
        let depth = match self.depth.trim().parse::<u32>() {
            Ok(d) if (1..=PAGE_MAX_DEPTH).contains(&d) => Some(d),
            _ => {
                errors.push((
                    "depth",
                    format!(
                        "Depth {:?} is not accepted; expected a whole number of steps from 1 to {PAGE_MAX_DEPTH}.",
                        self.depth
                    ),
                ));
                None
            }
        };
        match (variant, workers, redis, budget, depth) {
            (Some(v), Some(w), Some(r), Some(b), Some(d)) if errors.is_empty() => {
                let mut cfg = CheckConfig::new(v).with_faults(&self.faults).with_budget(b).with_depth(d);
                cfg.workers = w;
                cfg.redis = r;
                cfg.max_states = PAGE_MAX_STATES;
                cfg.validate().map_err(|e| vec![("variant", e.to_string())])?;
                Ok(cfg)
            }
            _ => Err(errors),
        }
    }
}

/// Where the check is.
#[derive(Clone, Debug, PartialEq)]
pub enum VerifyStatus {
    Idle,
    /// A worker runs `config`; `progress` is its last report.
    Running {
        config: CheckConfig,
        progress: Option<ProgressMsg>,
    },
    Done(Rc<DoneMsg>),
    Cancelled {
        progress: Option<ProgressMsg>,
    },
    Failed(String),
}

/// The panel's state.
#[derive(Clone, Debug, PartialEq)]
pub struct VerifyState {
    pub form: VerifyForm,
    /// Fields not accepted, with why (shown beside the field; Run refuses while any remains).
    pub errors: Vec<(&'static str, String)>,
    pub status: VerifyStatus,
    /// Increases with every Run: messages from an older worker are ignored.
    pub run: u64,
}

impl Default for VerifyState {
    fn default() -> Self {
        VerifyState { form: VerifyForm::default(), errors: Vec::new(), status: VerifyStatus::Idle, run: 0 }
    }
}

impl VerifyState {
    pub fn is_running(&self) -> bool {
        matches!(self.status, VerifyStatus::Running { .. })
    }
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|(f, _)| *f == field).map(|(_, m)| m.as_str())
    }
}

/// What the user and the worker ask of the panel.
#[derive(Clone, Debug)]
pub enum VerifyAction {
    /// A form field's text changed (`variant`, `workers`, `redis`, `budget`, `depth`).
    Field(&'static str, String),
    Fault(Fault, bool),
    /// Run the check the form describes (refused with the fields' messages when it is not valid).
    Run,
    Cancel,
    /// A message from the worker of run `n`.
    Worker(u64, WorkerOut),
    /// The worker of run `n` failed to start or crashed.
    WorkerFailed(u64, String),
}

impl Reducible for VerifyState {
    type Action = VerifyAction;

    fn reduce(self: Rc<Self>, action: VerifyAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            VerifyAction::Field(name, value) => {
                match name {
                    "variant" => {
                        // Redlock needs several instances; the others one.
                        let redlock = value == "redlock";
                        if redlock && next.form.redis.trim() == "1" {
                            next.form.redis = "5".into();
                        } else if !redlock {
                            next.form.redis = "1".into();
                        }
                        next.form.variant = value;
                    }
                    "workers" => next.form.workers = value,
                    "redis" => next.form.redis = value,
                    "budget" => next.form.budget = value,
                    _ => next.form.depth = value,
                }
                next.errors = next.form.config().err().unwrap_or_default();
            }
            VerifyAction::Fault(f, on) => {
                next.form.faults.retain(|x| *x != f);
                if on {
                    next.form.faults.push(f);
                    next.form.faults.sort();
                }
            }
            VerifyAction::Run => match next.form.config() {
                Ok(config) => {
                    next.errors.clear();
                    next.run += 1;
                    next.status = VerifyStatus::Running { config, progress: None };
                }
                Err(errors) => next.errors = errors,
            },
            VerifyAction::Cancel => {
                if let VerifyStatus::Running { progress, .. } = &next.status {
                    next.status = VerifyStatus::Cancelled { progress: *progress };
                }
            }
            VerifyAction::Worker(n, out) => {
                if n != next.run || !next.is_running() {
                    return self;
                }
                match out {
                    WorkerOut::Ready => return self,
                    WorkerOut::Progress(p) => {
                        if let VerifyStatus::Running { progress, .. } = &mut next.status {
                            *progress = Some(p);
                        }
                    }
                    WorkerOut::Done(d) => next.status = VerifyStatus::Done(Rc::new(*d)),
                    WorkerOut::Error { message } => next.status = VerifyStatus::Failed(message),
                }
            }
            VerifyAction::WorkerFailed(n, message) => {
                if n == next.run && next.is_running() {
                    next.status = VerifyStatus::Failed(message);
                }
            }
        }
        Rc::new(next)
    }
}

fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn progress_line(p: &ProgressMsg) -> String {
    format!(
        "{} states ({} distinct), depth {}, {} states/s",
        count(p.states),
        count(p.unique_states),
        p.depth,
        count(p.states_per_s.round() as u64)
    )
}

#[derive(Properties, PartialEq)]
pub struct VerifyPanelProps {
    /// The locks page's epoch (Unix ms): a counterexample opens as a run starting there.
    pub epoch_ms: u64,
    /// "Replay on the timeline": the lock replay file's text of the counterexample.
    pub on_replay: Callback<String>,
}

#[component]
pub fn VerifyPanel(props: &VerifyPanelProps) -> Html {
    let state = use_reducer(VerifyState::default);
    let worker = use_mut_ref(|| None::<WorkerHandle>);

    // The worker lives while run `state.run` is running; any change (a new run, Cancel, an answer,
    // leaving the page) drops the handle, which terminates it.
    {
        let dispatch = state.dispatcher();
        let running = match &state.status {
            VerifyStatus::Running { config, .. } => Some(config.clone()),
            _ => None,
        };
        let epoch_ms = props.epoch_ms;
        let worker = worker.clone();
        use_effect_with((state.run, running.is_some()), move |(run, _)| {
            let run = *run;
            if let Some(config) = running {
                let (d1, d2) = (dispatch.clone(), dispatch.clone());
                let spawned = verify_worker::spawn(
                    &WorkerIn::Start { config, epoch_ms },
                    move |out| d1.dispatch(VerifyAction::Worker(run, out)),
                    move |message| d2.dispatch(VerifyAction::WorkerFailed(run, message)),
                );
                match spawned {
                    Ok(h) => *worker.borrow_mut() = Some(h),
                    Err(message) => dispatch.dispatch(VerifyAction::WorkerFailed(run, message)),
                }
            }
            move || {
                worker.borrow_mut().take();
            }
        });
    }

    let field = |name: &'static str| {
        let d = state.dispatcher();
        Callback::from(move |e: Event| {
            let value = match e.target_dyn_into::<HtmlSelectElement>() {
                Some(sel) => sel.value(),
                None => e.target_unchecked_into::<HtmlInputElement>().value(),
            };
            d.dispatch(VerifyAction::Field(name, value));
        })
    };
    let running = state.is_running();
    let f = &state.form;
    let redlock = f.variant == "redlock";
    let invalid = |name: &str| state.error(name).is_some().then_some("true");
    let on_run = {
        let d = state.dispatcher();
        Callback::from(move |_| d.dispatch(VerifyAction::Run))
    };
    let on_cancel = {
        let d = state.dispatcher();
        Callback::from(move |_| d.dispatch(VerifyAction::Cancel))
    };
    let faults = FAULTS.iter().map(|(fault, label)| {
        let d = state.dispatcher();
        let fault = *fault;
        let onchange = Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            d.dispatch(VerifyAction::Fault(fault, input.checked()));
        });
        html! {
            <label class="vf-fault">
                <input type="checkbox" checked={f.faults.contains(&fault)} disabled={running} {onchange}
                       data-testid={format!("verify-fault-{}", fault.id())} />
                <span>{ *label }</span>
            </label>
        }
    });
    let num_field = |name: &'static str, label: &'static str, value: &str, hint: &'static str| {
        html! {
            <label class="field">
                <span>{ label }</span>
                <input type="text" inputmode="numeric" value={value.to_string()} onchange={field(name)}
                       disabled={running} aria-invalid={invalid(name)} title={hint}
                       data-testid={format!("verify-{name}")} />
            </label>
        }
    };
    let errors = state.errors.iter().map(|(_, m)| html! { <li>{ m.clone() }</li> });

    let status = match &state.status {
        VerifyStatus::Idle => html! {
            <p class="vf-status" data-testid="verify-status">
                { "Explores every interleaving of messages, timers and the chosen faults up to the depth, breadth-first, so a counterexample is a shortest one." }
            </p>
        },
        VerifyStatus::Running { config, progress } => html! {
            <div class="vf-status" role="status" data-testid="verify-status">
                <progress class="progress" data-testid="verify-progress" aria-label="Depth explored"
                          max={config.depth.to_string()} value={progress.map_or(0, |p| p.depth).to_string()} />
                <p data-testid="verify-progress-text">
                    { progress.as_ref().map_or_else(|| "Starting the checker…".to_string(), progress_line) }
                </p>
            </div>
        },
        VerifyStatus::Cancelled { progress } => html! {
            <p class="vf-status" role="status" data-testid="verify-status">
                { format!("Cancelled{}.", progress.as_ref().map_or(String::new(), |p| format!(" after {}", progress_line(p)))) }
            </p>
        },
        VerifyStatus::Failed(m) => html! {
            <p class="notice notice--error" role="alert" data-testid="verify-status">{ format!("The check failed: {m}") }</p>
        },
        VerifyStatus::Done(d) => done_view(d, &props.on_replay),
    };

    html! {
        <section class="panel vf" data-testid="verify-panel" aria-labelledby="verify-title">
            <h2 id="verify-title" class="vf__title">{ "Verify: every interleaving, not just this seed" }</h2>
            <div class="form-grid vf__form">
                <label class="field">
                    <span>{ "Variant" }</span>
                    <select onchange={field("variant")} disabled={running} data-testid="verify-variant">
                        { for Variant::ALL.iter().map(|v| html! {
                            <option value={v.id()} selected={f.variant == v.id()}>{ v.id() }</option>
                        }) }
                    </select>
                </label>
                { num_field("workers", "Workers", &f.workers, "2 or 3 identical workers") }
                if redlock {
                    { num_field("redis", "Redis instances", &f.redis, "Redlock: 3 or 5") }
                }
                { num_field("budget", "Fault budget", &f.budget, "How many faults one run may suffer (0 to 4)") }
                { num_field("depth", "Depth (steps)", &f.depth, "The longest trace explored (1 to 150)") }
            </div>
            <fieldset class="vf__faults" disabled={running}>
                <legend>{ "Faults the search may inject" }</legend>
                { for faults }
            </fieldset>
            if !state.errors.is_empty() {
                <ul class="notice notice--error vf__errors" role="alert" data-testid="verify-errors">{ for errors }</ul>
            }
            <div class="vf__actions">
                <button class="button" onclick={on_run} disabled={running} data-testid="verify-run">{ "Run" }</button>
                <button class="button button--quiet" onclick={on_cancel} disabled={!running} data-testid="verify-cancel">{ "Cancel" }</button>
            </div>
            { status }
        </section>
    }
}

fn done_view(d: &DoneMsg, on_replay: &Callback<String>) -> Html {
    let figures = format!(
        "{} states ({} distinct) in {} — {} states/s in this tab's worker",
        count(d.states),
        count(d.unique_states),
        SimDuration(d.elapsed_ms.round() as u64).clock_string(),
        count(d.states_per_s.round() as u64)
    );
    let outcomes = d.outcomes.iter().map(|o| {
        let bad = o.result == "counterexample";
        html! {
            <li class={classes!("vf-outcome", bad.then_some("vf-outcome--bad"))} data-testid={format!("verify-outcome-{}", o.property.id())}>
                <strong>{ if bad { "✗ " } else { "✓ " } }</strong>{ o.summary.clone() }
            </li>
        }
    });
    let chosen = d.replay.as_ref().and_then(|r| d.outcomes.iter().find(|o| o.property == r.property));
    let trace = chosen.map(|o| {
        let steps = o.trace.iter().map(|s| {
            let bad = !s.violated.is_empty();
            html! {
                <li class={classes!("vf-step", bad.then_some("vf-step--violation"))}>
                    <span class="vf-step__at">{ SimDuration(s.at_ms).clock_string() }</span>
                    <span class="vf-step__label">{ s.label.clone() }</span>
                </li>
            }
        });
        html! {
            <div class="vf-trace">
                <h3 class="vf__subtitle">{ format!("Counterexample: {} ({} steps)", o.sentence, o.trace.len()) }</h3>
                <ol class="vf-trace__steps" data-testid="verify-trace">{ for steps }</ol>
            </div>
        }
    });
    let replay = d.replay.as_ref().map(|r| {
        let text = r.replay_json.clone();
        let on_replay = on_replay.clone();
        let onclick = Callback::from(move |_| on_replay.emit(text.clone()));
        let how = if r.reproduced {
            format!(
                "The run replays the trace's faults on the usual timeline; the runtime's checker marks the violation at {}.",
                SimDuration(r.violation_ms.unwrap_or(0)).clock_string()
            )
        } else {
            "The run replays the trace's faults; the runtime did not reach the same violation (see the notes).".to_string()
        };
        html! {
            <div class="vf-replay">
                <button class="button" {onclick} data-testid="verify-replay">{ "Replay on the timeline" }</button>
                <p class="vf-replay__how" data-testid="verify-replay-how">{ how }</p>
                if !r.notes.is_empty() {
                    <ul class="vf-replay__notes">{ for r.notes.iter().map(|n| html! { <li>{ n.clone() }</li> }) }</ul>
                }
            </div>
        }
    });
    html! {
        <div class="vf-result" data-testid="verify-result">
            <ul class="vf-outcomes">{ for outcomes }</ul>
            <p class="vf-figures" data-testid="verify-figures">{ figures }</p>
            { trace.unwrap_or_default() }
            { replay.unwrap_or_default() }
        </div>
    }
}
