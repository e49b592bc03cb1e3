//! "One call": `retry(call, onRetry, maxRetries)` against a failing API, played on the kernel's
//! clock with the shared controls, drawn as a sequence diagram, with the attempts, the policy's
//! delays and the `onRetry` log beside it.

use std::collections::BTreeMap;
use std::rc::Rc;

use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::diagram::{layout, outcome_text, reply_text, Layout, SequenceDiagram};
use super::fields::{number_word, parse_f64, parse_opt_u64, parse_u32, parse_u64, plural, ChoiceField, NumField};
use crate::backoff::policy::GRPC_MIN_CONNECT_TIMEOUT_MS;
use crate::backoff::retry::{self, RetryModel};
use crate::backoff::{AttemptOutcome, Policy, RetryParams, RetryQuery, RetrySchedule};
use crate::sim::params::clip;
use crate::sim::playback::Finite;
use crate::sim::{QueryParams, SimTime};
use crate::ui::components::ControlsBar;
use crate::ui::hooks::use_playback;

pub const POLICIES: [(&str, &str); 7] = [
    ("none", "none (retry at once)"),
    ("constant", "constant"),
    ("exponential", "exponential"),
    ("full_jitter", "full jitter"),
    ("equal_jitter", "equal jitter"),
    ("decorrelated", "decorrelated jitter"),
    ("grpc", "gRPC connection backoff"),
];

pub const APIS: [(&str, &str); 4] = [
    ("fail_first", "fails the first k calls"),
    ("fail_prob", "fails with probability p"),
    ("down", "down from t1 to t2"),
    ("rate_limited", "rate-limited (429 + Retry-After)"),
];

/// The most retries the page draws (the diagram gets long past this).
pub const MAX_RETRIES_UI: u32 = 20;

/// Reads the one-call fields from the URL (notices for bad values).
pub fn read_query(q: &mut QueryParams) -> RetryQuery {
    let d = RetryQuery::default();
    let names: Vec<&str> = POLICIES.iter().map(|p| p.0).collect();
    let apis: Vec<&str> = APIS.iter().map(|p| p.0).collect();
    let policy = q.choice("policy", &d.policy, &names);
    // Each policy's usual numbers when the link does not say (as choosing it in the form does).
    let base_default = match policy.as_str() {
        "grpc" => 1000,
        "constant" => 200,
        _ => d.base_ms,
    };
    let base_ms = q.u64_in("base_ms", base_default, 0, 3_600_000);
    let factor = if q.raw("factor").is_some() { Some(q.f64_in("factor", 2.0, 1.0, 10.0)) } else { None };
    let cap_ms = if q.raw("cap_ms").is_some() { Some(q.u64_in("cap_ms", 1000, 0, 86_400_000)) } else { None };
    let jitter = q.f64_in("jitter", d.jitter, 0.0, 1.0);
    let min_connect_ms = if q.raw("min_connect_ms").is_some() {
        Some(q.u64_in("min_connect_ms", GRPC_MIN_CONNECT_TIMEOUT_MS, 0, 3_600_000))
    } else {
        None
    };
    let max_retries = q.u64_in("max_retries", u64::from(d.max_retries), 0, u64::from(MAX_RETRIES_UI)) as u32;
    let api = q.choice("api", &d.api, &apis);
    let k = q.u64_in("k", u64::from(d.k), 0, 50) as u32;
    let p = q.f64_in("p", d.p, 0.0, 1.0);
    let from_ms = q.u64_in("from_ms", d.from_ms, 0, 600_000);
    let to_ms = q.u64_in("to_ms", d.to_ms, 0, 600_000);
    let until_ms = q.u64_in("until_ms", d.until_ms, 0, 600_000);
    let latency_ms = q.u64_in("latency_ms", d.latency_ms, 0, 10_000);
    let max_elapsed_ms =
        if q.raw("max_elapsed_ms").is_some() { Some(q.u64_in("max_elapsed_ms", 5000, 1, 86_400_000)) } else { None };
    let honour_retry_after = q.flag("honour_retry_after", d.honour_retry_after);
    RetryQuery {
        policy,
        base_ms,
        factor,
        cap_ms,
        jitter,
        min_connect_ms,
        max_retries,
        api,
        k,
        p,
        from_ms,
        to_ms,
        until_ms,
        latency_ms,
        max_elapsed_ms,
        honour_retry_after,
        seed: d.seed,
    }
}

/// The query pairs that reproduce `q` (only the fields its policy and API use).
pub fn query_pairs(q: &RetryQuery) -> Vec<(String, String)> {
    let mut v = vec![("policy".to_string(), q.policy.clone())];
    let mut push = |k: &str, val: String| v.push((k.to_string(), val));
    if q.policy != "none" {
        push("base_ms", q.base_ms.to_string());
    }
    if let Some(f) = q.factor {
        push("factor", f.to_string());
    }
    if let Some(c) = q.cap_ms {
        push("cap_ms", c.to_string());
    }
    if q.policy == "grpc" {
        push("jitter", q.jitter.to_string());
        if let Some(ms) = q.min_connect_ms {
            push("min_connect_ms", ms.to_string());
        }
    }
    push("max_retries", q.max_retries.to_string());
    push("api", q.api.clone());
    match q.api.as_str() {
        "fail_first" => push("k", q.k.to_string()),
        "fail_prob" => push("p", q.p.to_string()),
        "down" => {
            push("from_ms", q.from_ms.to_string());
            push("to_ms", q.to_ms.to_string());
        }
        _ => {
            push("until_ms", q.until_ms.to_string());
            push("honour_retry_after", q.honour_retry_after.to_string());
        }
    }
    if q.latency_ms > 0 {
        push("latency_ms", q.latency_ms.to_string());
    }
    if let Some(d) = q.max_elapsed_ms {
        push("max_elapsed_ms", d.to_string());
    }
    v
}

/// Applies one form field to `q`; the message names the bad value and what is accepted.
pub fn apply_field(q: &mut RetryQuery, name: &str, raw: &str) -> Result<(), String> {
    match name {
        "policy" => {
            if !POLICIES.iter().any(|p| p.0 == raw) {
                return Err(format!(
                    "Policy \"{}\" is not accepted: expected one of {}.",
                    clip(raw),
                    Policy::NAMES.join(", ")
                ));
            }
            if q.policy != raw {
                // Each policy starts from its usual numbers.
                let (base, factor, cap) = match raw {
                    "grpc" => (1000, Some(1.6), Some(120_000)),
                    "exponential" => (100, None, None),
                    "constant" => (200, None, None),
                    _ => (100, None, q.cap_ms),
                };
                q.base_ms = base;
                q.factor = factor;
                q.cap_ms = cap;
                q.policy = raw.to_string();
            }
        }
        "base_ms" => q.base_ms = parse_u64("Base delay", raw, 0, 3_600_000)?,
        "factor" => q.factor = Some(parse_f64("Factor", raw, 1.0, 10.0)?),
        "cap_ms" => q.cap_ms = parse_opt_u64("Cap", raw, 0, 86_400_000)?,
        "jitter" => q.jitter = parse_f64("Jitter", raw, 0.0, 1.0)?,
        "min_connect_ms" => q.min_connect_ms = Some(parse_u64("Min connect timeout", raw, 0, 3_600_000)?),
        "max_retries" => q.max_retries = parse_u32("maxRetries", raw, 0, MAX_RETRIES_UI)?,
        "max_elapsed_ms" => q.max_elapsed_ms = parse_opt_u64("Deadline", raw, 1, 86_400_000)?,
        "api" => {
            if !APIS.iter().any(|p| p.0 == raw) {
                return Err(format!(
                    "Failing API \"{}\" is not accepted: expected one of {}.",
                    clip(raw),
                    APIS.iter().map(|a| a.0).collect::<Vec<_>>().join(", ")
                ));
            }
            q.api = raw.to_string();
        }
        "k" => q.k = parse_u32("k", raw, 0, 50)?,
        "p" => q.p = parse_f64("p", raw, 0.0, 1.0)?,
        "from_ms" => q.from_ms = parse_u64("t1", raw, 0, 600_000)?,
        "to_ms" => q.to_ms = parse_u64("t2", raw, 0, 600_000)?,
        "until_ms" => q.until_ms = parse_u64("Limited until", raw, 0, 600_000)?,
        "latency_ms" => q.latency_ms = parse_u64("Call latency", raw, 0, 10_000)?,
        "honour_retry_after" => q.honour_retry_after = raw == "true",
        other => return Err(format!("Unknown field \"{other}\".")),
    }
    Ok(())
}

/// The schedule of `q` under `seed`, or why it cannot run.
pub fn plan(q: &RetryQuery, seed: u64) -> Result<(RetryParams, RetrySchedule), String> {
    let params = RetryQuery { seed, ..q.clone() }.to_params().map_err(|e| capitalise(&e.to_string()))?;
    let schedule = retry::run(params.clone()).map_err(|e| capitalise(&e.to_string()))?;
    Ok((params, schedule))
}

/// A core message as a sentence: capitalised, with a full stop.
pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str() + if s.ends_with('.') { "" } else { "." },
        None => String::new(),
    }
}

#[derive(Clone, PartialEq)]
pub struct OneCallState {
    pub query: RetryQuery,
    pub field_errors: BTreeMap<&'static str, String>,
    /// A combination the core rejects (e.g. cap below base), named by the core.
    pub error: Option<String>,
    pub seed: u64,
    /// The last valid parameters and their schedule (what is drawn).
    pub params: RetryParams,
    pub schedule: Rc<RetrySchedule>,
    pub layout: Rc<Layout>,
    pub generation: u32,
}

pub enum OneCallAction {
    Set(&'static str, String),
    SetSeed(u64),
}

impl OneCallState {
    pub fn new(query: RetryQuery, seed: u64) -> Self {
        let (params, schedule, error) = match plan(&query, seed) {
            Ok((p, s)) => (p, s, None),
            Err(e) => {
                let (p, s) = plan(&RetryQuery::default(), seed).expect("the reference call always runs");
                (p, s, Some(format!("{e} The reference call is shown instead.")))
            }
        };
        let layout = Rc::new(layout(&schedule));
        OneCallState {
            query,
            field_errors: BTreeMap::new(),
            error,
            seed,
            params,
            schedule: Rc::new(schedule),
            layout,
            generation: 0,
        }
    }

    fn replan(&mut self) {
        match plan(&self.query, self.seed) {
            Ok((p, s)) => {
                self.error = None;
                if p != self.params || *self.schedule != s {
                    self.layout = Rc::new(layout(&s));
                    self.schedule = Rc::new(s);
                    self.params = p;
                    self.generation += 1;
                }
            }
            Err(e) => self.error = Some(e),
        }
    }
}

impl Reducible for OneCallState {
    type Action = OneCallAction;
    fn reduce(self: Rc<Self>, action: OneCallAction) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            OneCallAction::Set(name, raw) => {
                match apply_field(&mut s.query, name, &raw) {
                    Ok(()) => {
                        s.field_errors.remove(name);
                    }
                    Err(e) => {
                        s.field_errors.insert(name, e);
                    }
                }
                s.replan();
            }
            OneCallAction::SetSeed(seed) => {
                s.seed = seed;
                s.replan();
            }
        }
        Rc::new(s)
    }
}

#[derive(Properties, PartialEq)]
pub struct OneCallProps {
    pub initial: RetryQuery,
    pub seed: u64,
    pub initial_speed: f64,
    pub on_seed: Callback<u64>,
    /// This section's URL pairs (speed included) whenever they change.
    pub on_pairs: Callback<Vec<(String, String)>>,
}

/// A fresh run; played, its clock stops at the call's outcome (nothing happens after it).
fn new_run(params: &RetryParams) -> Finite<RetryModel> {
    Finite(retry::simulation(params.clone()).expect("parameters were validated by running the schedule"))
}

#[component]
pub fn OneCall(props: &OneCallProps) -> Html {
    let state = use_reducer({
        let (q, seed) = (props.initial.clone(), props.seed);
        move || OneCallState::new(q, seed)
    });
    let run = use_mut_ref({
        let p = state.params.clone();
        move || new_run(&p)
    });
    let playback = use_playback(run.clone(), props.initial_speed);

    {
        let state = state.clone();
        use_effect_with(props.seed, move |seed| {
            if state.seed != *seed {
                state.dispatch(OneCallAction::SetSeed(*seed));
            }
        });
    }
    // A new schedule (or a reset) starts a fresh run, paused at time zero.
    let reset_gen = use_state(|| 0u32);
    {
        let (run, playback) = (run.clone(), playback.clone());
        use_effect_with((state.params.clone(), state.generation, *reset_gen), move |(params, _, _)| {
            *run.borrow_mut() = new_run(params);
            playback.pause();
            playback.redraw();
        });
    }
    {
        let cb = props.on_pairs.clone();
        let slider = playback.slider();
        let speed = playback.speed();
        use_effect_with((state.query.clone(), slider), move |(q, _)| {
            let mut pairs = query_pairs(q);
            pairs.push(("speed".into(), crate::sim::params::url_speed(speed)));
            cb.emit(pairs);
        });
    }

    let (sent, replied, now_ms, result, attempts, on_retry) = {
        let run = run.borrow();
        let sim = &run.0;
        let m = &sim.model;
        (
            m.attempts().len(),
            m.on_retry().len() + usize::from(m.result().is_some()),
            sim.now().as_unix_ms(),
            m.result().cloned(),
            m.attempts().to_vec(),
            m.on_retry().to_vec(),
        )
    };
    let finished = result.is_some();
    {
        let playback = playback.clone();
        use_effect_with((finished, playback.is_playing()), move |(finished, playing)| {
            if *finished && *playing {
                playback.pause();
            }
        });
    }

    let on_field = {
        let state = state.clone();
        Callback::from(move |(name, raw): (&'static str, String)| state.dispatch(OneCallAction::Set(name, raw)))
    };
    let on_retry_after = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            state.dispatch(OneCallAction::Set("honour_retry_after", input.checked().to_string()));
        })
    };
    let finish = {
        let (run, playback) = (run.clone(), playback.clone());
        Callback::from(move |_: MouseEvent| {
            {
                let sim = &mut run.borrow_mut().0;
                while sim.model.result().is_none() && sim.step() {}
            }
            playback.pause();
            playback.redraw();
        })
    };
    // Play at the outcome replays the same call from the start.
    let on_toggle = {
        let (run, playback, params) = (run.clone(), playback.clone(), state.params.clone());
        Callback::from(move |_: ()| {
            if finished && !playback.is_playing() {
                *run.borrow_mut() = new_run(&params);
                playback.play();
            } else {
                playback.toggle();
            }
        })
    };
    let on_reset = {
        let reset_gen = reset_gen.clone();
        Callback::from(move |_| reset_gen.set(*reset_gen + 1))
    };

    let q = &state.query;
    let invalid = |n: &str| state.field_errors.contains_key(n);
    let max_r = u64::from(state.params.max_retries);
    let delay_rows = state.params.policy.delay_table(state.params.max_retries, state.params.seed);
    let clock = (SimTime(now_ms) - SimTime::ZERO).clock_string();
    let policy = q.policy.as_str();
    let grpc = state.params.policy.min_connect_timeout_ms().is_some();
    let api = q.api.as_str();

    html! {
        <section class="panel bo-section" data-testid="one-call" aria-labelledby="bo-one-call-h">
            <h2 id="bo-one-call-h">{ "One call: retry(call, onRetry, maxRetries)" }</h2>
            <p class="bo-statement" data-testid="attempts-statement">
                <strong>{ format!("maxRetries = {max_r} means up to {} and {}", plural(max_r + 1, "attempt", "attempts"), plural(max_r, "wait", "waits")) }</strong>
                { format!(" — the first call plus {} {}, each after a wait.", number_word(max_r), if max_r == 1 { "retry" } else { "retries" }) }
                { " The retry helper modelled here, retry(call, onRetry, maxRetries) with 2ⁿ × 100 ms waits, says in its own doc comment that maxRetries = 4 makes three waits — one fewer than its loop makes; the schedule below is what the loop really does." }
            </p>
            <div class="form-grid bo-form" data-testid="one-call-form">
                <ChoiceField name="policy" label="Backoff policy" value={q.policy.clone()} options={POLICIES.to_vec()} on_change={on_field.clone()} />
                if policy != "none" {
                    <NumField name="base_ms" label={if policy == "constant" { "Delay (ms)" } else if policy == "grpc" { "Initial backoff (ms)" } else { "Base (ms)" }}
                              value={q.base_ms.to_string()} invalid={invalid("base_ms")} on_change={on_field.clone()} />
                }
                if policy == "exponential" || policy == "grpc" {
                    <NumField name="factor" label={if policy == "grpc" { "Multiplier" } else { "Factor" }}
                              value={q.factor.unwrap_or(if policy == "grpc" { 1.6 } else { 2.0 }).to_string()} invalid={invalid("factor")} on_change={on_field.clone()} />
                }
                if !matches!(policy, "none" | "constant") {
                    <NumField name="cap_ms" label="Cap (ms)" value={q.cap_ms.map(|c| c.to_string()).unwrap_or_default()}
                              placeholder="none" invalid={invalid("cap_ms")} on_change={on_field.clone()} />
                }
                if policy == "grpc" {
                    <NumField name="jitter" label="Jitter (±fraction)" value={q.jitter.to_string()} invalid={invalid("jitter")} on_change={on_field.clone()} />
                    <NumField name="min_connect_ms" label="Min connect timeout (ms)" value={q.min_connect_ms.unwrap_or(GRPC_MIN_CONNECT_TIMEOUT_MS).to_string()} invalid={invalid("min_connect_ms")} on_change={on_field.clone()} />
                }
                <NumField name="max_retries" label="maxRetries" value={q.max_retries.to_string()} invalid={invalid("max_retries")} on_change={on_field.clone()} />
                <NumField name="max_elapsed_ms" label="Deadline (ms)" value={q.max_elapsed_ms.map(|c| c.to_string()).unwrap_or_default()}
                          placeholder="none" invalid={invalid("max_elapsed_ms")} on_change={on_field.clone()} />
                <ChoiceField name="api" label="Failing API" value={q.api.clone()} options={APIS.to_vec()} on_change={on_field.clone()} />
                if api == "fail_first" {
                    <NumField name="k" label="k (failures first)" value={q.k.to_string()} invalid={invalid("k")} on_change={on_field.clone()} />
                }
                if api == "fail_prob" {
                    <NumField name="p" label="p (failure probability)" value={q.p.to_string()} invalid={invalid("p")} on_change={on_field.clone()} />
                }
                if api == "down" {
                    <NumField name="from_ms" label="Down from t1 (ms)" value={q.from_ms.to_string()} invalid={invalid("from_ms")} on_change={on_field.clone()} />
                    <NumField name="to_ms" label="Up again at t2 (ms)" value={q.to_ms.to_string()} invalid={invalid("to_ms")} on_change={on_field.clone()} />
                }
                if api == "rate_limited" {
                    <NumField name="until_ms" label="Limited until (ms)" value={q.until_ms.to_string()} invalid={invalid("until_ms")} on_change={on_field.clone()} />
                    <label class="field bo-check">
                        <span>{ "Honour Retry-After" }</span>
                        <input type="checkbox" checked={q.honour_retry_after} data-testid="field-honour_retry_after" onchange={on_retry_after} />
                    </label>
                }
                <NumField name="latency_ms" label="Call latency (ms)" value={q.latency_ms.to_string()} invalid={invalid("latency_ms")} on_change={on_field.clone()} />
            </div>
            if !state.field_errors.is_empty() || state.error.is_some() {
                <div class="notice notice--error" role="alert" data-testid="one-call-errors">
                    <ul class="bo-errors">
                        { for state.field_errors.values().map(|e| html! { <li>{ e.clone() }</li> }) }
                        { for state.error.iter().map(|e| html! { <li>{ e.clone() }</li> }) }
                    </ul>
                    if state.error.is_some() { <p>{ "The diagram still shows the last valid settings." }</p> }
                </div>
            }
            <ControlsBar playing={playback.is_playing()} slider={playback.slider()} clock={clock}
                         behind={playback.behind_text().map(AttrValue::from)} seed={props.seed}
                         on_toggle={on_toggle}
                         on_step={playback.on_step()}
                         on_next={playback.on_next()}
                         on_slider={{ let p = playback.clone(); Callback::from(move |v| p.set_slider(v)) }}
                         on_seed={props.on_seed.clone()} on_reset={on_reset} />
            <div class="bo-one-call">
                <figure class="bo-one-call__diagram">
                    <SequenceDiagram schedule={state.schedule.clone()} layout={state.layout.clone()} sent={sent} replied={replied}
                                     now_ms={now_ms} finished={finished} />
                </figure>
                <div class="bo-one-call__side">
                    <p class={classes!("bo-outcome", result.as_ref().map(|r| if matches!(r, crate::backoff::CallResult::Succeeded { .. }) { "bo-outcome--ok" } else { "bo-outcome--fail" }))}
                       data-testid="one-call-outcome" aria-live="polite">
                        { match &result {
                            Some(r) => outcome_text(r),
                            None if sent == 0 => "Press ▶ Play (or Step) to make the call.".to_string(),
                            None => format!("In progress: {} made so far.", plural(sent as u64, "attempt", "attempts")),
                        } }
                    </p>
                    if !finished {
                        <button type="button" class="button button--quiet" data-testid="one-call-finish" onclick={finish}>{ "Skip to the outcome" }</button>
                    }
                    <h3>{ "Attempts" }</h3>
                    <div class="table-scroll">
                        <table class="data-table" data-testid="attempts-table">
                            <thead><tr><th>{ "Attempt" }</th><th>{ "Wait before" }</th><th>{ "Starts at" }</th>
                                if grpc { <th>{ "Next start ≥" }</th><th>{ "May run until" }</th> }
                                <th>{ "Reply" }</th></tr></thead>
                            <tbody>
                                { for attempts.iter().map(|a| html! {
                                    <tr class={if matches!(a.outcome, AttemptOutcome::Ok) { "bo-row--ok" } else { "bo-row--fail" }}>
                                        <td>{ if a.attempt == 0 { "#0 first call".to_string() } else { format!("#{} retry {}", a.attempt, a.attempt) } }</td>
                                        <td data-testid="attempt-wait">{ format!("{} ms", a.wait_before_ms) }</td>
                                        <td>{ format!("{} ms", a.start_ms) }</td>
                                        if grpc {
                                            <td data-testid="attempt-backoff-deadline">{ a.backoff_deadline_ms.map(|v| format!("{v} ms")).unwrap_or_default() }</td>
                                            <td data-testid="attempt-connect-deadline">{ a.connect_deadline_ms.map(|v| format!("{v} ms")).unwrap_or_default() }</td>
                                        }
                                        <td class="bo-reply">{ reply_text(&a.outcome) }</td>
                                    </tr>
                                }) }
                            </tbody>
                        </table>
                    </div>
                    <h3>{ "onRetry log" }</h3>
                    if on_retry.is_empty() {
                        <p class="bo-muted" data-testid="on-retry-log">{ "No onRetry call yet." }</p>
                    } else {
                        <ol class="bo-log" data-testid="on-retry-log">
                            { for on_retry.iter().map(|r| html! {
                                <li>{ format!("t = {} ms · onRetry(error {} {}, retry {}) → wait {} ms", r.at_ms, r.error.status, r.error.message, r.retry, r.wait_ms) }</li>
                            }) }
                        </ol>
                    }
                    if grpc {
                        <p class="bo-muted bo-small" data-testid="grpc-note">{ "gRPC connection backoff (grpc/grpc doc/connection-backoff.md) runs between attempt starts: each attempt's backoff deadline is its start plus the backoff below, and the next attempt starts then — at once if the failure came later. An attempt may run until max(backoff deadline, start + min connect timeout) before it counts as failed." }</p>
                    }
                    <h3>{ if grpc { "The backoff from each attempt's start" } else { "The policy's delay before each retry" } }</h3>
                    if delay_rows.is_empty() {
                        <p class="bo-muted">{ "maxRetries = 0: no retry, no wait." }</p>
                    } else {
                        <div class="table-scroll">
                            <table class="data-table" data-testid="delay-table">
                                <thead><tr><th>{ if grpc { "From attempt" } else { "Retry" } }</th><th>{ "Sample" }</th><th>{ "Min" }</th><th>{ "Max" }</th></tr></thead>
                                <tbody>
                                    { for delay_rows.iter().map(|d| html! {
                                        <tr>
                                            <td>{ if grpc { format!("#{}", d.retry - 1) } else { d.retry.to_string() } }</td>
                                            <td data-testid="delay-sample">{ format!("{} ms", d.sample_ms) }</td>
                                            <td>{ ms_or_inf(d.min_ms) }</td>
                                            <td>{ ms_or_inf(d.max_ms) }</td>
                                        </tr>
                                    }) }
                                </tbody>
                            </table>
                        </div>
                        <p class="bo-muted bo-small">{ "Sampled from the same seed as the run; a 429's Retry-After can lengthen a wait, and a deadline can end the call early." }</p>
                    }
                </div>
            </div>
        </section>
    }
}

fn ms_or_inf(ms: u64) -> String {
    if ms == u64::MAX {
        "∞".into()
    } else {
        format!("{ms} ms")
    }
}
