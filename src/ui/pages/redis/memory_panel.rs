//! "Memory and eviction": the modeled `used_memory` against `maxmemory` as a bar, the policy, the
//! evicted and expired key counts, the last keys eviction removed, and a form that sets
//! `maxmemory` and `maxmemory-policy` through CONFIG SET (run as a command the transcript shows,
//! so a bad value gets Redis's own error there). Reads the store; never changes it itself.

use yew::prelude::*;

use super::StoreHandle;
use crate::redis::cmd::server::human_bytes;
use crate::redis::evict::POLICY_NAMES;

#[derive(Properties, PartialEq)]
pub struct MemoryPanelProps {
    pub store: StoreHandle,
    /// Bumped by the page whenever the store changed (the store handle itself stays equal).
    pub version: u64,
    /// Runs a command on the user's behalf (shown in the transcript).
    pub on_command: Callback<Vec<Vec<u8>>>,
}

/// How many recently evicted keys the panel lists.
const SHOWN_EVICTED: usize = 8;

#[component]
pub fn MemoryPanel(props: &MemoryPanelProps) -> Html {
    let store = props.store.0.borrow();
    let used = store.used_memory();
    let max = store.maxmemory();
    let policy = store.policy().name();
    let evicted = store.stats().evicted_keys;
    let expired = store.stats().expired_keys;
    let recent: Vec<String> = store
        .recently_evicted()
        .rev()
        .take(SHOWN_EVICTED)
        .map(|e| {
            let k = String::from_utf8_lossy(&e.key);
            if e.db == 0 {
                k.into_owned()
            } else {
                format!("{k} (db {})", e.db)
            }
        })
        .collect();
    drop(store);

    // The bar: used against the limit (or against itself with no limit), in SVG units.
    const W: f64 = 600.0;
    let fill = if max == 0 { 1.0 } else { (used as f64 / max as f64).min(1.0) };
    let over = max != 0 && used > max;
    let bar_class = if over {
        "redis-memory__used redis-memory__used--over"
    } else if max != 0 && fill > 0.9 {
        "redis-memory__used redis-memory__used--near"
    } else {
        "redis-memory__used"
    };
    let limit_text = if max == 0 { "no limit (maxmemory 0)".to_string() } else { human_bytes(max) };

    let maxmemory_input = use_node_ref();
    let on_set_max = {
        let input = maxmemory_input.clone();
        let run = props.on_command.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Some(el) = input.cast::<web_sys::HtmlInputElement>() {
                let v = el.value().trim().to_string();
                if !v.is_empty() {
                    run.emit(vec![b"CONFIG".to_vec(), b"SET".to_vec(), b"maxmemory".to_vec(), v.into_bytes()]);
                }
            }
        })
    };
    let on_policy = {
        let run = props.on_command.clone();
        Callback::from(move |e: Event| {
            if let Some(el) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                run.emit(vec![
                    b"CONFIG".to_vec(),
                    b"SET".to_vec(),
                    b"maxmemory-policy".to_vec(),
                    el.value().into_bytes(),
                ]);
            }
        })
    };

    html! {
        <div class="panel redis-memory" data-testid="redis-memory">
            <div class="redis-panel-head">
                <h2>{ "Memory and eviction" }</h2>
                <span class="redis-panel-head__help">{ "used_memory as Redis 7.0 would allocate it (jemalloc size classes, encodings)" }</span>
            </div>
            <svg class="redis-memory__bar" viewBox={format!("0 0 {W} 24")} preserveAspectRatio="none" role="img"
                aria-label={format!("used memory {} of {}", human_bytes(used), limit_text)} data-testid="redis-memory-bar">
                <rect class="redis-memory__track" x="0" y="0" width={W.to_string()} height="24" rx="4" />
                <rect class={bar_class} x="0" y="0" width={format!("{:.1}", W * fill)} height="24" rx="4" data-testid="redis-memory-used-bar" />
            </svg>
            <dl class="redis-expiry__facts redis-memory__facts">
                <div><dt>{ "used_memory" }</dt><dd data-testid="redis-memory-used">{ format!("{} ({used} B)", human_bytes(used)) }</dd></div>
                <div><dt>{ "maxmemory" }</dt><dd data-testid="redis-memory-max">{ limit_text.clone() }</dd></div>
                <div><dt>{ "maxmemory-policy" }</dt><dd data-testid="redis-memory-policy">{ policy }</dd></div>
                <div><dt>{ "Keys evicted" }</dt><dd data-testid="redis-memory-evicted">{ evicted }</dd></div>
                <div><dt>{ "Keys expired" }</dt><dd>{ expired }</dd></div>
            </dl>
            <div class="redis-memory__controls">
                <form class="redis-memory__form" onsubmit={on_set_max}>
                    <label class="field">
                        <span>{ "maxmemory" }</span>
                        <input ref={maxmemory_input} type="text" inputmode="text" placeholder="e.g. 1mb, 950000, 0" maxlength="32"
                            data-testid="redis-memory-max-input" />
                    </label>
                    <button type="submit" class="button button--quiet" data-testid="redis-memory-max-set">{ "Set" }</button>
                </form>
                <label class="field">
                    <span>{ "Policy" }</span>
                    <select onchange={on_policy} data-testid="redis-memory-policy-select">
                        { for POLICY_NAMES.iter().map(|p| html! { <option value={*p} selected={*p == policy}>{ *p }</option> }) }
                    </select>
                </label>
            </div>
            <div class="redis-memory__evicted" data-testid="redis-memory-recent">
                <h3 class="redis-modal-heading">{ "Recently evicted" }</h3>
                if recent.is_empty() {
                    <p class="redis-muted">{ "No key evicted yet. Set a maxmemory just above used_memory and a policy, then add keys." }</p>
                } else {
                    <ul class="redis-memory__list">
                        { for recent.iter().map(|k| html! { <li class="redis-memory__evicted-key" data-testid="redis-memory-evicted-key">{ k.clone() }</li> }) }
                    </ul>
                }
            </div>
            <p class="redis-muted redis-expiry__note">
                { "Before each command Redis compares used_memory with maxmemory. Over it, the policy picks victims: noeviction refuses \
                   writes with -OOM; the -lru and -lfu policies sample maxmemory-samples keys into a 16-entry pool and evict the \
                   idlest or least frequently used; -ttl the soonest to expire; -random any. volatile-* only consider keys with a TTL. \
                   An empty server already uses about 0.9 MB." }
            </p>
        </div>
    }
}
