//! The Redis panel: each instance's lock key, value (with its owner), TTL left and fault buttons,
//! and the last commands the chosen instance executed, with their replies — all as of the cursor.

use yew::prelude::*;

use super::state::RunRef;
use super::text::{secs, secs_short, tick};
use crate::lock::Action;

#[derive(Properties, PartialEq)]
pub struct RedisPanelProps {
    pub run: RunRef,
    /// The "Slow +…" button's delay.
    pub slow_ms: u64,
    pub on_action: Callback<Action>,
}

#[component]
pub fn RedisPanel(props: &RedisPanelProps) -> Html {
    let redis_shown = use_state(|| 0usize);
    let run = props.run.run.borrow();
    let rt = run.model();
    let now = run.sim().now();
    let ttl_ms = rt.scenario().ttl_ms;
    let act = props.on_action.clone();
    let slow_ms = props.slow_ms;
    let shown = (*redis_shown).min(rt.redis_count().saturating_sub(1));
    let instances = (0..rt.redis_count()).filter_map(|i| {
let r = rt.redis_view(i, now)?;
let ttl_frac = r.ttl_left_ms.map_or(0.0, |t| (t as f64 / ttl_ms.max(1) as f64).min(1.0));
let owner = r.owner;
let rbtn = |label: String, testid: String, action: Action, danger: bool| {
    let act = act.clone();
    html! {
        <button type="button" class={classes!("button", "button--quiet", "lk-fault", danger.then_some("lk-fault--danger"))}
                data-testid={testid} onclick={Callback::from(move |_: MouseEvent| act.emit(action.clone()))}>{ label }</button>
    }
};
let select = {
    let redis_shown = redis_shown.clone();
    Callback::from(move |_: MouseEvent| redis_shown.set(i))
};
Some(html! {
    <div class={classes!("lk-redis", (!r.up).then_some("lk-redis--down"), (i == shown && rt.redis_count() > 1).then_some("lk-redis--shown"))}
         data-testid={format!("redis-{i}")}>
        <div class="lk-redis__head">
            <h3>{ format!("redis-{i}") }</h3>
            <span class={classes!("lk-badge", if r.up { "lk-badge--up" } else { "lk-badge--down" })}>{ if r.up { "up" } else { "down" } }</span>
            if r.extra_latency_ms > 0 { <span class="lk-badge lk-badge--slow">{ format!("slow +{} ms", r.extra_latency_ms) }</span> }
            if rt.redis_count() > 1 {
                <button type="button" class="button button--quiet lk-fault" aria-pressed={(i == shown).to_string()} onclick={select}>{ "commands" }</button>
            }
        </div>
        <dl class="lk-facts">
            <div><dt>{ "key" }</dt><dd class="lk-mono">{ r.lock_key }</dd></div>
            <div><dt>{ "value" }</dt><dd class={classes!("lk-mono", owner.map(|w| format!("owner-{}", w % 8)))} data-testid={format!("redis-{i}-value")}>
                { r.value.map_or("(nil)".to_string(), |v| v.to_string()) }
                if let Some(w) = owner { <span class="lk-owner-tag"><span class="lk-swatch" aria-hidden="true"></span>{ format!(" worker-{w}") }</span> }
            </dd></div>
            <div><dt>{ "TTL" }</dt><dd class="lk-mono" data-testid={format!("redis-{i}-ttl")}>{ r.ttl_left_ms.map_or("—".to_string(), secs) }</dd></div>
        </dl>
        <svg class="lk-ttlbar" viewBox="0 0 100 6" preserveAspectRatio="none" role="img" aria-label="TTL left">
            <rect class="lk-ttlbar__bg" width="100" height="6" rx="3" />
            <rect class="lk-ttlbar__fill" width={format!("{:.1}", ttl_frac * 100.0)} height="6" rx="3" />
        </svg>
        <div class="lk-faults">
            if r.up {
                { rbtn("Crash (no persistence)".into(), format!("redis-{i}-crash"), Action::RedisCrash { instance: i }, true) }
            } else {
                { rbtn("Restart (empty)".into(), format!("redis-{i}-restart"), Action::RedisRestart { instance: i }, false) }
            }
            if r.extra_latency_ms > 0 {
                { rbtn("Fast again".into(), format!("redis-{i}-slow"), Action::RedisSlow { instance: i, extra_ms: 0 }, false) }
            } else {
                { rbtn(format!("Slow +{}", secs_short(slow_ms)), format!("redis-{i}-slow"), Action::RedisSlow { instance: i, extra_ms: slow_ms }, false) }
            }
        </div>
    </div>
})
    }).collect::<Html>();
    let commands = rt.redis_view(shown, now).map(|r| {
r.commands.iter().rev().take(14).map(|c| html! {
    <tr>
        <td class="lk-mono">{ tick(c.at_ms) }</td>
        <td class={format!("owner-{}", c.worker % 8)}><span class="lk-swatch" aria-hidden="true"></span>{ format!("w{}", c.worker) }</td>
        <td class="lk-mono lk-cmd">{ c.command.clone() }</td>
        <td class="lk-mono lk-reply">{ c.reply.clone() }</td>
    </tr>
}).collect::<Html>()
    }).unwrap_or_default();
    html! {
        <section class="panel lk-redis-panel" data-testid="redis-panel">
            <h2>{ if rt.redis_count() > 1 { format!("Redis — Redlock on {} instances", rt.redis_count()) } else { "Redis".to_string() } }</h2>
            <div class="lk-redis-grid">{ instances }</div>
            <h3 class="lk-subhead">{ format!("Last commands on redis-{shown}") }</h3>
            <div class="table-scroll">
                <table class="data-table lk-commands" data-testid="redis-commands">
                    <thead><tr><th>{ "t" }</th><th>{ "from" }</th><th>{ "command" }</th><th>{ "reply" }</th></tr></thead>
                    <tbody>{ commands }</tbody>
                </table>
            </div>
        </section>
    }
}
