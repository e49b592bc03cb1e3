//! The cached keys with their TTLs counting down, and the latest requests with their commands
//! (plus the CSV export of every kept request), as of the cursor.

use std::rc::Rc;

use yew::prelude::*;

use crate::redis::browser::KeyRow;
use crate::redis::cache_aside::{Outcome, RequestRecord, Source};
use crate::ui::hooks::{use_sampled, use_stable_callback, use_step_key};

#[derive(Properties, PartialEq)]
pub struct KeysTableProps {
    /// The keys drawn (the longest-lived first).
    pub keys: Vec<KeyRow>,
    pub key_count: usize,
    pub ttl_s: u64,
}

#[component]
pub fn KeysTable(props: &KeysTableProps) -> Html {
    html! {
        <div>
            <h3>{ format!("Cached keys ({})", props.key_count) }</h3>
            <div class="table-scroll">
                <table class="data-table" data-testid="ca-keys">
                    <thead><tr><th>{ "key" }</th><th>{ "value" }</th><th>{ "TTL" }</th></tr></thead>
                    <tbody>
                        { for props.keys.iter().map(|k| {
                            let ttl = k.ttl_ms.unwrap_or(0);
                            html! {
                                <tr>
                                    <td><code>{ k.key_display.clone() }</code></td>
                                    <td>{ k.preview.clone() }</td>
                                    <td class="ca-ttl">
                                        <span>{ format!("{:.1} s", ttl as f64 / 1000.0) }</span>
                                        <progress class="progress" max={(props.ttl_s * 1000).to_string()} value={ttl.to_string()} />
                                    </td>
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
            </div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct RequestsTableProps {
    /// The latest requests, newest first (shared with the demo, which keeps what it last drew).
    pub rows: Rc<Vec<RequestRecord>>,
    pub on_export: Callback<()>,
    #[prop_or_default]
    pub export_error: Option<String>,
}

/// How often the playing requests table is redrawn: at 100× its rows are all new every frame.
const TABLE_SAMPLE_MS: f64 = 100.0;

/// The latest requests, sampled at [`TABLE_SAMPLE_MS`] while playing (a step or a typed request
/// at once).
#[component]
pub fn RequestsTable(props: &RequestsTableProps) -> Html {
    let step = use_step_key(props.rows.first().map_or(0, |r| r.id), 2);
    let rows = use_sampled(props.rows.clone(), step, TABLE_SAMPLE_MS, 0.75);
    let on_export = use_stable_callback(props.on_export.clone());
    html! { <RequestsTableBody rows={rows} on_export={on_export} export_error={props.export_error.clone()} /> }
}

#[component]
fn RequestsTableBody(props: &RequestsTableProps) -> Html {
    html! {
        <div>
            <h3>{ "Latest requests" }</h3>
            <div class="table-scroll">
                <table class="data-table" data-testid="ca-requests-table">
                    <thead><tr><th>{ "t (s)" }</th><th>{ "user" }</th><th>{ "result" }</th><th>{ "latency" }</th><th>{ "commands" }</th></tr></thead>
                    <tbody>
                        { for props.rows.iter().map(|r| {
                            let (label, class) = match (r.outcome, r.duplicate) {
                                (Outcome::Hit, _) => ("HIT", "ca-badge ca-badge--hit"),
                                (Outcome::Miss { .. }, true) => ("MISS (duplicate)", "ca-badge ca-badge--miss"),
                                (Outcome::Miss { refetch: true }, false) => ("MISS (expired)", "ca-badge ca-badge--miss"),
                                (Outcome::Miss { refetch: false }, false) => ("MISS", "ca-badge ca-badge--miss"),
                            };
                            let cmds: Vec<&str> = r.commands.iter().map(|c| c.command.as_str()).collect();
                            html! {
                                <tr data-testid="ca-row">
                                    <td>{ format!("{:.3}", r.start_ms as f64 / 1000.0) }</td>
                                    <td>{ r.user.clone() }{ if r.source == Source::Typed { " ✎" } else { "" } }</td>
                                    <td><span class={class}>{ label }</span></td>
                                    <td data-testid="ca-latency">{ r.latency_ms().map(|l| format!("{l} ms")).unwrap_or_else(|| "…".into()) }</td>
                                    <td class="ca-cmds"><code>{ cmds.join(" · ") }</code></td>
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
            </div>
            <button type="button" class="button button--quiet" onclick={props.on_export.reform(|_: MouseEvent| ())}
                    data-testid="ca-export">{ "Export requests (CSV)" }</button>
            if let Some(err) = &props.export_error {
                <p class="notice notice--error" role="alert">{ err.clone() }</p>
            }
        </div>
    }
}
