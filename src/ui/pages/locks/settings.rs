//! The scenario form: fleet, timings, latency and the variants with their explanations. Each field
//! applies on change (rebuilding the run); a bad value is named with what is accepted.

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::lock::url::{self as params, Dur};
use crate::lock::{
    ReleaseVariant, RenewVariant, Scenario, ACQUIRE_WITH_TOKEN_LUA, COMPARE_AND_DELETE_LUA, COMPARE_AND_EXTEND_LUA,
    EXPLAIN_CLIENT, EXPLAIN_FENCING, EXPLAIN_FENCING_REDLOCK, EXPLAIN_REDLOCK, EXPLAIN_RELEASE_ATOMIC,
    EXPLAIN_RELEASE_NAIVE_DEL, EXPLAIN_RELEASE_REFERENCE, EXPLAIN_RENEW_ATOMIC, EXPLAIN_RENEW_GET_THEN_EXPIRE,
};

#[derive(Properties, PartialEq)]
pub struct ScenarioSettingsProps {
    pub scenario: Scenario,
    #[prop_or_default]
    pub error: Option<String>,
    pub on_apply: Callback<Scenario>,
    /// A field's value was not accepted (the message names it and what is).
    pub on_error: Callback<String>,
}

#[component]
pub fn ScenarioSettings(props: &ScenarioSettingsProps) -> Html {
    let s = &props.scenario;
    let apply = props.on_apply.clone();
    let form_error = props.on_error.clone();
    let field = |name: &'static str, label: &'static str, value: String, hint: &'static str| {
        let s = s.clone();
        let apply = apply.clone();
        let form_error = form_error.clone();
        let onchange = Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let text = input.value();
            let mut next = s.clone();
            let dur = |t: &str| t.parse::<Dur>().map(|d| d.0);
            let result: Result<(), String> = match name {
                "workers" => match text.trim().parse::<usize>() {
                    Ok(n) if (1..=16).contains(&n) => { next.workers = n; Ok(()) }
                    _ => Err(format!("Workers {text:?} is not accepted; expected a whole number from 1 to 16.")),
                },
                "timeout" => match text.trim() {
                    "" | "none" => { next.command_timeout_ms = None; Ok(()) }
                    t => match dur(t) {
                        Ok(ms) if (1..=params::MAX_DURATION_MS).contains(&ms) => { next.command_timeout_ms = Some(ms); Ok(()) }
                        _ => Err(format!("Command timeout {text:?} is not accepted; expected none (ioredis's default) or a duration from 1ms to 1h, like 2s.")),
                    },
                },
                "latency" => match dur(&text) {
                    Ok(ms) if ms <= 10_000 => { next.latency = params::latency_around(ms as f64); Ok(()) }
                    _ => Err(format!("Latency {text:?} is not accepted; expected a one-way latency from 0ms to 10s, like 3ms.")),
                },
                _ => match dur(&text) {
                    Ok(ms) if (1..=params::MAX_DURATION_MS).contains(&ms) => {
                        match name {
                            "ttl" => next.ttl_ms = ms,
                            "renew" => next.renew_interval_ms = ms,
                            "retry" => next.retry_interval_ms = ms,
                            _ => next.job_ms = ms,
                        }
                        Ok(())
                    }
                    _ => Err(format!("{label} {text:?} is not accepted; expected a duration from 1ms to 1h, like 10s, 500ms or 2m.")),
                },
            };
            match result {
                Ok(()) => apply.emit(next),
                Err(e) => form_error.emit(e),
            }
        });
        html! {
            <label class="field">
                <span>{ label }</span>
                <input type="text" maxlength="24" value={value} data-testid={format!("setting-{name}")} onchange={onchange} title={hint} />
            </label>
        }
    };
    let toggle = |testid: &'static str, label: &'static str, on: bool, set: fn(&mut Scenario, bool), explain: Html| {
        let s = s.clone();
        let apply = apply.clone();
        let onchange = Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let mut next = s.clone();
            set(&mut next, input.checked());
            apply.emit(next);
        });
        html! {
            <div class="lk-variant">
                <label class="lk-variant__toggle">
                    <input type="checkbox" checked={on} data-testid={testid} onchange={onchange} />
                    <strong>{ label }</strong>
                </label>
                { explain }
            </div>
        }
    };
    let atomic_renew = s.variants.renew == RenewVariant::CompareAndExtend;
    let redlock = s.redis_instances > 1;
    let on_release = {
        let s = s.clone();
        let apply = apply.clone();
        Callback::from(move |e: Event| {
            let sel: HtmlSelectElement = e.target_unchecked_into();
            let mut next = s.clone();
            next.variants.release = ReleaseVariant::from_id(&sel.value()).unwrap_or_default();
            apply.emit(next);
        })
    };
    let release_explain = match s.variants.release {
        ReleaseVariant::Reference => EXPLAIN_RELEASE_REFERENCE,
        ReleaseVariant::NaiveDel => EXPLAIN_RELEASE_NAIVE_DEL,
        ReleaseVariant::CompareAndDelete => EXPLAIN_RELEASE_ATOMIC,
    };
    let on_redlock = {
        let s = s.clone();
        let apply = apply.clone();
        Callback::from(move |e: Event| {
            let sel: HtmlSelectElement = e.target_unchecked_into();
            let n = sel.value().parse::<usize>().unwrap_or(1);
            let mut next = Scenario { redis_instances: n, ..s.clone() };
            if n > 1 {
                next.variants.fencing = false;
            }
            apply.emit(next);
        })
    };
    html! {
        <section class="panel lk-settings" data-testid="settings">
            <h2>{ "Scenario" }</h2>
            <p class="lk-muted">{ "Changing a setting restarts the run from time zero; the whole scenario is in the page's URL, so a copied link replays it." }</p>
            if let Some(err) = &props.error {
                <p class="notice notice--error" role="alert" data-testid="form-error">{ err.clone() }</p>
            }
            <div class="form-grid">
                { field("workers", "Workers (1–16)", s.workers.to_string(), "How many workers compete for the lock") }
                { field("ttl", "Lock TTL", Dur(s.ttl_ms).to_string(), "SET … NX EX <ttl>") }
                { field("renew", "Renew interval", Dur(s.renew_interval_ms).to_string(), "working → renew_lock after this") }
                { field("retry", "Retry interval", Dur(s.retry_interval_ms).to_string(), "waiting_to_acquire_lock → acquiring_lock after this") }
                { field("latency", "Latency (one way, mean)", Dur(s.latency.mean_ms().round() as u64).to_string(), "Worker ↔ Redis one-way latency") }
                { field("job", "Job time (startWork)", Dur(s.job_ms).to_string(), "How long the job startWork runs on each entry to working takes (the reference: 2 s)") }
                { field("timeout", "Command timeout", s.command_timeout_ms.map_or("none".to_string(), |t| Dur(t).to_string()), "none: ioredis's default, a command waits as long as it takes") }
            </div>
            <h3 class="lk-subhead">{ "Variants" }</h3>
            <div class="lk-variants">
                { toggle("variant-atomic-renew", "Atomic renew (compare-and-extend)", atomic_renew,
                    |s, on| s.variants.renew = if on { RenewVariant::CompareAndExtend } else { RenewVariant::GetThenExpire },
                    html! { <>
                        <p>{ if atomic_renew { EXPLAIN_RENEW_ATOMIC } else { EXPLAIN_RENEW_GET_THEN_EXPIRE } }</p>
                        <details><summary>{ "The Lua script" }</summary><pre class="lk-code">{ COMPARE_AND_EXTEND_LUA }</pre></details>
                    </> }) }
                <div class="lk-variant">
                    <label class="lk-variant__toggle">
                        <strong>{ "Release" }</strong>
                        <select data-testid="variant-release" onchange={on_release}>
                            { for ReleaseVariant::ALL.iter().map(|v| html! {
                                <option value={v.id()} selected={s.variants.release == *v}>{ match v {
                                    ReleaseVariant::Reference => "reference: GET, then DEL if mine",
                                    ReleaseVariant::NaiveDel => "naive-del: plain DEL",
                                    ReleaseVariant::CompareAndDelete => "atomic: compare-and-delete",
                                } }</option>
                            }) }
                        </select>
                    </label>
                    <p data-testid="release-explain">{ release_explain }</p>
                    if s.variants.release == ReleaseVariant::CompareAndDelete {
                        <details><summary>{ "The Lua script" }</summary><pre class="lk-code">{ COMPARE_AND_DELETE_LUA }</pre></details>
                    }
                </div>
                if redlock {
                    <div class="lk-variant">
                        <label class="lk-variant__toggle">
                            <input type="checkbox" checked=false disabled=true data-testid="variant-fencing" />
                            <strong>{ "Fencing tokens" }</strong>
                        </label>
                        <p data-testid="fencing-redlock">{ EXPLAIN_FENCING_REDLOCK }</p>
                    </div>
                } else {
                    { toggle("variant-fencing", "Fencing tokens", s.variants.fencing, |s, on| s.variants.fencing = on,
                        html! { <>
                            <p>{ EXPLAIN_FENCING }</p>
                            <details><summary>{ "The Lua script" }</summary><pre class="lk-code">{ ACQUIRE_WITH_TOKEN_LUA }</pre></details>
                        </> }) }
                }
                <div class="lk-variant">
                    <label class="lk-variant__toggle">
                        <strong>{ "Redlock" }</strong>
                        <select data-testid="variant-redlock" onchange={on_redlock}>
                            { for [1usize, 3, 5, 7, 9].iter().map(|n| html! {
                                <option value={n.to_string()} selected={s.redis_instances == *n}>
                                    { if *n == 1 { "off (one Redis)".to_string() } else { format!("N = {n} instances") } }
                                </option>
                            }) }
                        </select>
                    </label>
                    <p>{ EXPLAIN_REDLOCK }</p>
                </div>
                <div class="lk-variant">
                    <strong>{ "The Redis client" }</strong>
                    <p data-testid="client-explain">{ EXPLAIN_CLIENT }</p>
                </div>
            </div>
        </section>
    }
}
