//! The key browser (in the manner of Redis Commander): one row per live key with its type, a TTL
//! that counts down with the page's clock, its size and a value preview, narrowed by a Redis glob.
//! A key opens in the shared `Modal` with its full value, an edit form and delete. Every change
//! is a Redis command sent through the page (`on_command`), so it shows up in the CLI transcript.
//! Keys that maxmemory eviction removed recently (and that have not come back) follow the live
//! rows, struck through, with the policy that evicted them.

use std::collections::BTreeMap;

use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

use super::StoreHandle;
use crate::redis::browser::{EvictedRow, FullValue, KeyRow, PENDING_SHOWN};
use crate::redis::cli::quote;
use crate::redis::num::format_score;
use crate::redis::KeyType;
use crate::sim::SimTime;
use crate::ui::components::Modal;

/// Rows drawn at most (the store holds up to 10 000 keys; the filter finds the rest).
pub const ROW_LIMIT: usize = 200;
/// Elements of a collection drawn in the modal at most.
const ELEMENT_LIMIT: usize = 500;
/// The longest filter, in characters. The glob is matched against every key on every clock tick and
/// the "no key matches" line quotes it, so neither may grow with what is typed or pasted (a 121 KB
/// paste made one 222 ms task). The input's `maxlength` caps typing and pasting;
/// [`crate::ui::capped_input_value`] also caps a value set by script.
pub const FILTER_MAX_CHARS: usize = 256;

/// A TTL as people read it: `4.2 s`, `3 m 05 s`, `2 h 10 m`, `3 d 4 h`.
pub fn format_ttl(ms: u64) -> String {
    let s = ms / 1000;
    if ms < 60_000 {
        format!("{}.{} s", s, (ms % 1000) / 100)
    } else if s < 3600 {
        format!("{} m {:02} s", s / 60, s % 60)
    } else if s < 86_400 {
        format!("{} h {:02} m", s / 3600, s % 3600 / 60)
    } else {
        format!("{} d {} h", s / 86_400, s % 86_400 / 3600)
    }
}

fn format_size(row_type: KeyType, size: usize) -> String {
    match (row_type, size) {
        (KeyType::String, 1) => "1 byte".into(),
        (KeyType::String, n) => format!("{n} bytes"),
        (_, 1) => "1 item".into(),
        (_, n) => format!("{n} items"),
    }
}

/// Bytes as text: UTF-8 as it is, anything else in redis-cli's escaped form.
fn text_of(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_string(),
        Err(_) => quote(b),
    }
}

/// The key without redis-cli's surrounding quotes (escapes stay, so it is always printable).
fn key_label(row: &KeyRow) -> String {
    let d = &row.key_display;
    d.strip_prefix('"').and_then(|d| d.strip_suffix('"')).unwrap_or(d).to_string()
}

/// A small bar that drains as the key's TTL runs out (red in its last fifth).
fn ttl_bar(fraction: f64) -> Html {
    const W: f64 = 64.0;
    let w = format!("{:.1}", (fraction.clamp(0.0, 1.0) * W).max(1.0));
    html! {
        <svg class={classes!("redis-ttl-bar", (fraction < 0.2).then_some("redis-ttl-bar--low"))} viewBox="0 0 64 6" width="64" height="6" aria-hidden="true">
            <rect class="redis-ttl-bar__track" x="0" y="0" width="64" height="6" rx="3" />
            <rect class="redis-ttl-bar__fill" x="0" y="0" width={w} height="6" rx="3" />
        </svg>
    }
}

#[derive(Properties, PartialEq)]
pub struct KeyBrowserProps {
    pub store: StoreHandle,
    /// The database shown: the selected redis-cli's.
    pub db: usize,
    /// The page clock's last tick: TTLs are drawn against it.
    pub now: SimTime,
    /// Changes whenever the dataset may have changed.
    pub version: u64,
    pub on_command: Callback<Vec<Vec<u8>>>,
}

#[component]
pub fn KeyBrowser(props: &KeyBrowserProps) -> Html {
    let filter = use_state(String::new);
    let open: UseStateHandle<Option<Vec<u8>>> = use_state(|| None);
    // The longest TTL seen per key: the bar drains from there (the store keeps no original TTL).
    let ttl_seen = use_mut_ref(BTreeMap::<Vec<u8>, u64>::new);

    let pattern: Vec<u8> = if filter.trim().is_empty() { b"*".to_vec() } else { filter.as_bytes().to_vec() };
    let (db, now) = (props.db, props.now);
    let (rows, total, evicted) = props
        .store
        .0
        .borrow_mut()
        .with_database(db, |s| (s.browse(now, &pattern, ROW_LIMIT), s.dbsize(), s.evicted_rows(db, now, &pattern)));
    let ttl_fraction = {
        let mut seen = ttl_seen.borrow_mut();
        if seen.len() > 4 * ROW_LIMIT {
            seen.clear();
        }
        rows.iter()
            .map(|r| {
                r.ttl_ms.map(|ms| {
                    let top = seen.entry(r.key.clone()).or_insert(ms);
                    *top = (*top).max(ms);
                    ms as f64 / (*top).max(1) as f64
                })
            })
            .collect::<Vec<_>>()
    };

    let on_filter = {
        let filter = filter.clone();
        Callback::from(move |e: InputEvent| {
            let input = e.target_unchecked_into::<HtmlInputElement>();
            filter.set(crate::ui::capped_input_value(&input, FILTER_MAX_CHARS));
        })
    };
    let at_cap = crate::sim::params::at_input_cap(&filter, FILTER_MAX_CHARS);
    let close = {
        let open = open.clone();
        Callback::from(move |_: ()| open.set(None))
    };
    // One callback for every row, so a row whose key, TTL and value did not change skips the
    // redraw on a clock tick.
    let on_open = {
        let open = open.clone();
        (*use_memo((), move |_| Callback::from(move |key: Vec<u8>| open.set(Some(key))))).clone()
    };

    html! {
        <div class="panel redis-browser" data-testid="redis-browser">
            <div class="redis-panel-head">
                <h2>{ "Key browser" }<span class="redis-browser__db" data-testid="redis-browser-db">{ format!(" · database {}", props.db) }</span></h2>
                <span class="redis-panel-head__help">{ "The selected client's database. TTLs count down live; expired keys vanish on their own." }</span>
            </div>
            <label class="field redis-browser__filter">
                <span>{ "Filter (Redis glob: " }<code>{ "*" }</code>{ ", " }<code>{ "?" }</code>{ ", " }<code>{ "[a-z]" }</code>{ ", " }<code>{ "\\" }</code>{ ")" }</span>
                <input type="text" value={(*filter).clone()} oninput={on_filter} placeholder="*" maxlength={FILTER_MAX_CHARS.to_string()} autocomplete="off" spellcheck="false" data-testid="redis-browser-filter" />
            </label>
            if at_cap {
                <p class="redis-muted redis-browser__filter-note" role="status" data-testid="redis-browser-filter-note">
                    { format!("The filter holds at most {FILTER_MAX_CHARS} characters; anything longer was cut.") }
                </p>
            }
            <div class="table-scroll redis-browser__scroll">
                <table class="data-table redis-browser__table" data-testid="redis-browser-table">
                    <thead>
                        <tr><th scope="col">{ "Key" }</th><th scope="col">{ "Type" }</th><th scope="col">{ "TTL" }</th><th scope="col">{ "Size" }</th><th scope="col">{ "Value" }</th></tr>
                    </thead>
                    <tbody>
                        { for rows.iter().zip(ttl_fraction).map(|(row, fraction)| html! {
                            <BrowserRow key={row.key_display.clone()} row={row.clone()} {fraction} on_open={on_open.clone()} />
                        }) }
                        { for evicted.iter().map(|row| html! { <EvictedBrowserRow key={format!("evicted {}", row.key_display)} row={row.clone()} /> }) }
                    </tbody>
                </table>
            </div>
            <p class="redis-browser__count" data-testid="redis-browser-count">
                { if !evicted.is_empty() {
                    format!(
                        "{} · {} recently evicted (struck through).",
                        match rows.len() {
                            0 => "No live key matches".to_string(),
                            1 => "1 live key".to_string(),
                            n => format!("{n} live keys"),
                        },
                        evicted.len()
                    )
                } else if rows.is_empty() && total == 0 {
                    "No keys yet. Try SET greeting hello EX 30 in the CLI.".to_string()
                } else if rows.is_empty() {
                    format!("No live key matches {}.", quote(&pattern))
                } else if rows.len() == ROW_LIMIT {
                    format!("Showing the first {ROW_LIMIT} matching keys; narrow the filter to see others.")
                } else {
                    format!("{} matching {}.", rows.len(), if rows.len() == 1 { "key" } else { "keys" })
                } }
            </p>
            if let Some(key) = (*open).clone() {
                <KeyModal store={props.store.clone()} db={props.db} now={props.now} version={props.version} key_bytes={key} on_command={props.on_command.clone()} on_close={close} />
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct BrowserRowProps {
    pub row: KeyRow,
    /// The TTL bar's fill (`None` for a key without a deadline).
    pub fraction: Option<f64>,
    pub on_open: Callback<Vec<u8>>,
}

#[component]
pub fn BrowserRow(props: &BrowserRowProps) -> Html {
    let row = &props.row;
    let onclick = {
        let (key, on_open) = (row.key.clone(), props.on_open.clone());
        Callback::from(move |_: MouseEvent| on_open.emit(key.clone()))
    };
    html! {
        <tr data-testid="redis-browser-row">
            <td class="redis-browser__key-cell">
                <button type="button" class="redis-browser__key" {onclick} data-testid="redis-browser-key" aria-haspopup="dialog" title="Open this key">
                    { key_label(row) }
                </button>
            </td>
            <td><span class={classes!("redis-type", format!("redis-type--{}", row.key_type.name()))}>{ row.key_type.name() }</span></td>
            <td class="redis-browser__ttl" data-testid="redis-browser-ttl">
                { match row.ttl_ms {
                    Some(ms) => html! { <>{ format_ttl(ms) }{ ttl_bar(props.fraction.unwrap_or(1.0)) }</> },
                    None => html! { <span class="redis-muted" title="no expiry">{ "—" }</span> },
                } }
            </td>
            <td class="redis-browser__size">{ format_size(row.key_type, row.size) }</td>
            <td class="redis-browser__preview">{ row.preview.clone() }</td>
        </tr>
    }
}

#[derive(Properties, PartialEq)]
pub struct EvictedBrowserRowProps {
    pub row: EvictedRow,
}

/// A key eviction removed: no longer in the database, so nothing to open.
#[component]
pub fn EvictedBrowserRow(props: &EvictedBrowserRowProps) -> Html {
    let row = &props.row;
    let key = row.key_display.strip_prefix('"').and_then(|d| d.strip_suffix('"')).unwrap_or(&row.key_display);
    html! {
        <tr class="redis-browser__row--evicted" data-testid="redis-browser-evicted-row">
            <td class="redis-browser__key-cell"><s class="redis-browser__evicted-key" data-testid="redis-browser-evicted-key">{ key.to_string() }</s></td>
            <td><span class="redis-type redis-type--evicted">{ "evicted" }</span></td>
            <td class="redis-browser__ttl"><span class="redis-muted">{ "—" }</span></td>
            <td class="redis-browser__size"><span class="redis-muted">{ "—" }</span></td>
            <td class="redis-browser__preview" data-testid="redis-browser-evicted-policy">
                { format!("evicted by {} {} ago", row.policy, format_ttl(row.ago_ms)) }
            </td>
        </tr>
    }
}

#[derive(Properties, PartialEq)]
pub struct KeyModalProps {
    pub store: StoreHandle,
    pub db: usize,
    pub now: SimTime,
    pub version: u64,
    pub key_bytes: Vec<u8>,
    pub on_command: Callback<Vec<Vec<u8>>>,
    pub on_close: Callback<()>,
}

/// A TTL field's text as a Redis expiry: empty means none; otherwise whole seconds ≥ 1.
pub fn parse_ttl_field(text: &str) -> Result<Option<u64>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    match t.parse::<u64>() {
        Ok(n) if (1..=1_000_000_000).contains(&n) => Ok(Some(n)),
        _ => Err(format!(
            "TTL {t:?} is not usable: enter a whole number of seconds from 1 to 1000000000, or leave it empty for no expiry."
        )),
    }
}

fn value_view(v: &FullValue) -> Html {
    let more = |n: usize| {
        (n > ELEMENT_LIMIT).then(|| html! { <p class="redis-muted">{ format!("… and {} more (use the CLI to read them all).", n - ELEMENT_LIMIT) }</p> })
    };
    match v {
        FullValue::String(s) => html! { <pre class="redis-value" data-testid="redis-key-value">{ text_of(s) }</pre> },
        FullValue::List(items) | FullValue::Set(items) => {
            let list = matches!(v, FullValue::List(_));
            html! {
                <>
                <div class="table-scroll redis-value-table">
                    <table class="data-table" data-testid="redis-key-value">
                        <thead><tr><th scope="col">{ if list { "Index" } else { "#" } }</th><th scope="col">{ if list { "Element" } else { "Member" } }</th></tr></thead>
                        <tbody>{ for items.iter().take(ELEMENT_LIMIT).enumerate().map(|(i, e)| html! { <tr><td>{ i }</td><td class="redis-cell-text">{ text_of(e) }</td></tr> }) }</tbody>
                    </table>
                </div>
                { more(items.len()) }
                </>
            }
        }
        FullValue::Hash(pairs) => html! {
            <>
            <div class="table-scroll redis-value-table">
                <table class="data-table" data-testid="redis-key-value">
                    <thead><tr><th scope="col">{ "Field" }</th><th scope="col">{ "Value" }</th></tr></thead>
                    <tbody>{ for pairs.iter().take(ELEMENT_LIMIT).map(|(f, v)| html! { <tr><td class="redis-cell-text">{ text_of(f) }</td><td class="redis-cell-text">{ text_of(v) }</td></tr> }) }</tbody>
                </table>
            </div>
            { more(pairs.len()) }
            </>
        },
        FullValue::ZSet(pairs) => html! {
            <>
            <div class="table-scroll redis-value-table">
                <table class="data-table" data-testid="redis-key-value">
                    <thead><tr><th scope="col">{ "Rank" }</th><th scope="col">{ "Member" }</th><th scope="col">{ "Score" }</th></tr></thead>
                    <tbody>{ for pairs.iter().take(ELEMENT_LIMIT).enumerate().map(|(i, (m, s))| html! { <tr><td>{ i }</td><td class="redis-cell-text">{ text_of(m) }</td><td>{ format_score(*s) }</td></tr> }) }</tbody>
                </table>
            </div>
            { more(pairs.len()) }
            </>
        },
        FullValue::Stream { entries, total, last_id, groups } => html! {
            <>
            <p class="redis-muted" data-testid="redis-stream-summary">
                { if *total > entries.len() {
                    format!("The newest {} of {total} entries (last ID {last_id}), newest last; XRANGE reads the others.", entries.len())
                } else {
                    format!("{total} {} (last ID {last_id}), newest last.", if *total == 1 { "entry" } else { "entries" })
                } }
            </p>
            <div class="table-scroll redis-value-table">
                <table class="data-table" data-testid="redis-key-value">
                    <thead><tr><th scope="col">{ "ID" }</th><th scope="col">{ "Fields" }</th></tr></thead>
                    <tbody>{ for entries.iter().map(|(id, f)| html! {
                        <tr data-testid="redis-stream-entry"><td class="redis-cell-id">{ id }</td><td class="redis-cell-text">{ f.iter().map(|(k, v)| format!("{} = {}", text_of(k), text_of(v))).collect::<Vec<_>>().join(", ") }</td></tr>
                    }) }</tbody>
                </table>
            </div>
            if groups.is_empty() {
                <p class="redis-muted">{ "No consumer groups (XGROUP CREATE makes one)." }</p>
            }
            { for groups.iter().map(|g| html! {
                <div class="table-scroll redis-value-table" data-testid="redis-stream-group">
                    <p><strong>{ format!("Group {}", text_of(&g.name)) }</strong>{ format!(": last delivered {}, {} pending", g.last_delivered, g.pending) }</p>
                    <table class="data-table">
                        <thead><tr><th scope="col">{ "Consumer" }</th><th scope="col">{ "Idle" }</th><th scope="col">{ "Pending entries (idle, deliveries)" }</th></tr></thead>
                        <tbody>{ for g.consumers.iter().map(|c| html! {
                            <tr data-testid="redis-stream-consumer">
                                <td class="redis-cell-text">{ text_of(&c.name) }</td>
                                <td>{ format_ttl(c.idle_ms) }</td>
                                <td class="redis-cell-text">
                                    { if c.pending.is_empty() {
                                        "none".to_string()
                                    } else {
                                        c.pending.iter().map(|p| format!("{} ({}, ×{})", p.id, format_ttl(p.idle_ms), p.deliveries)).collect::<Vec<_>>().join(", ")
                                    } }
                                    if c.pending_total > PENDING_SHOWN {
                                        <span class="redis-muted">{ format!(" … and {} more (XPENDING lists them)", c.pending_total - PENDING_SHOWN) }</span>
                                    }
                                </td>
                            </tr>
                        }) }</tbody>
                    </table>
                </div>
            }) }
            </>
        },
    }
}

#[component]
pub fn KeyModal(props: &KeyModalProps) -> Html {
    let current = props.store.0.borrow_mut().with_database(props.db, |s| s.browser_value(props.now, &props.key_bytes));
    let initial_ttl =
        current.as_ref().and_then(|(_, ttl)| ttl.map(|ms| ms.div_ceil(1000).to_string())).unwrap_or_default();
    let initial_value = match &current {
        Some((FullValue::String(s), _)) => String::from_utf8_lossy(s).into_owned(),
        _ => String::new(),
    };
    let value_text = use_state(move || initial_value);
    let ttl_text = use_state(move || initial_ttl);
    let error: UseStateHandle<Option<String>> = use_state(|| None);
    let confirm_delete = use_state(|| false);
    let key = props.key_bytes.clone();
    let title = format!("Key {}", text_of(&key));

    let Some((value, ttl)) = current else {
        return html! {
            <Modal title={title} on_close={props.on_close.clone()} class={classes!("modal--wide")} testid="redis-key-modal">
                <p data-testid="redis-key-gone">{ "This key no longer exists: it expired or was deleted." }</p>
            </Modal>
        };
    };
    let is_string = matches!(value, FullValue::String(_));
    let (type_name, len) = match &value {
        FullValue::String(s) => ("string", s.len()),
        FullValue::List(l) => ("list", l.len()),
        FullValue::Set(s) => ("set", s.len()),
        FullValue::Hash(h) => ("hash", h.len()),
        FullValue::ZSet(z) => ("zset", z.len()),
        FullValue::Stream { total, .. } => ("stream", *total),
    };
    let size = format_size(KeyType::from_name(type_name.as_bytes()).unwrap_or(KeyType::String), len);

    let on_value = {
        let value_text = value_text.clone();
        Callback::from(move |e: InputEvent| value_text.set(e.target_unchecked_into::<HtmlTextAreaElement>().value()))
    };
    let on_ttl = {
        let ttl_text = ttl_text.clone();
        Callback::from(move |e: InputEvent| ttl_text.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let on_save = {
        let (value_text, ttl_text, error) = (value_text.clone(), ttl_text.clone(), error.clone());
        let on_command = props.on_command.clone();
        let key = key.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let ttl = match parse_ttl_field(&ttl_text) {
                Ok(t) => t,
                Err(msg) => return error.set(Some(msg)),
            };
            error.set(None);
            if is_string {
                let mut argv = vec![b"SET".to_vec(), key.clone(), value_text.as_bytes().to_vec()];
                if let Some(s) = ttl {
                    argv.extend([b"EX".to_vec(), s.to_string().into_bytes()]);
                }
                on_command.emit(argv);
            } else {
                on_command.emit(match ttl {
                    Some(s) => vec![b"EXPIRE".to_vec(), key.clone(), s.to_string().into_bytes()],
                    None => vec![b"PERSIST".to_vec(), key.clone()],
                });
            }
        })
    };
    let ask_delete = {
        let confirm_delete = confirm_delete.clone();
        Callback::from(move |_: MouseEvent| confirm_delete.set(true))
    };
    let cancel_delete = {
        let confirm_delete = confirm_delete.clone();
        Callback::from(move |_: MouseEvent| confirm_delete.set(false))
    };
    let do_delete = {
        let on_command = props.on_command.clone();
        let on_close = props.on_close.clone();
        let key = key.clone();
        Callback::from(move |_: MouseEvent| {
            on_command.emit(vec![b"DEL".to_vec(), key.clone()]);
            on_close.emit(());
        })
    };

    html! {
        <Modal title={title} on_close={props.on_close.clone()} class={classes!("modal--wide")} testid="redis-key-modal">
            <dl class="redis-key-facts">
                <div><dt>{ "Type" }</dt><dd><span class={classes!("redis-type", format!("redis-type--{type_name}"))}>{ type_name }</span></dd></div>
                <div><dt>{ "TTL" }</dt><dd data-testid="redis-key-ttl">{ ttl.map(format_ttl).unwrap_or_else(|| "no expiry".into()) }</dd></div>
                <div><dt>{ "Size" }</dt><dd>{ size }</dd></div>
            </dl>
            <h3 class="redis-modal-heading">{ "Value" }</h3>
            { value_view(&value) }
            <h3 class="redis-modal-heading">{ "Edit" }</h3>
            <form class="redis-edit" onsubmit={on_save} data-testid="redis-key-edit">
                if is_string {
                    <label class="field">
                        <span>{ "Value" }</span>
                        <textarea rows="3" value={(*value_text).clone()} oninput={on_value} spellcheck="false" data-testid="redis-key-edit-value" />
                    </label>
                } else {
                    <p class="redis-muted">{ format!("A {type_name}'s elements are edited in the CLI (") }
                        <code>{ match type_name { "list" => "RPUSH, LSET, LREM", "set" => "SADD, SREM", "hash" => "HSET, HDEL", "stream" => "XADD, XDEL, XACK", _ => "ZADD, ZREM" } }</code>
                        { "); its TTL can be changed here." }</p>
                }
                <label class="field redis-edit__ttl">
                    <span>{ "TTL in seconds (empty: no expiry)" }</span>
                    <input type="text" inputmode="numeric" maxlength="24" value={(*ttl_text).clone()} oninput={on_ttl} aria-invalid={error.is_some().to_string()} data-testid="redis-key-edit-ttl" />
                </label>
                if let Some(msg) = (*error).clone() {
                    <p class="notice notice--error" role="alert" data-testid="redis-key-edit-error">{ msg }</p>
                }
                <div class="modal__actions redis-edit__actions">
                    if *confirm_delete {
                        <span class="redis-edit__confirm">{ "Delete this key?" }</span>
                        <button type="button" class="button button--quiet" onclick={cancel_delete}>{ "Keep it" }</button>
                        <button type="button" class="button button--danger" onclick={do_delete} data-testid="redis-key-delete-confirm">{ "Delete" }</button>
                    } else {
                        <button type="button" class="button button--quiet" onclick={ask_delete} data-testid="redis-key-delete">{ "Delete…" }</button>
                        <button type="submit" class="button" data-testid="redis-key-save">{ if is_string { "Save (SET)" } else { "Apply TTL" } }</button>
                    }
                </div>
            </form>
        </Modal>
    }
}
