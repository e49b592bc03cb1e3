//! The page's read-only pictures: the failover timeline, the counts, the workload charts, the
//! protocol log and the key-placement box.

use std::collections::VecDeque;

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::cluster::config::{addr_of, port_of, NodeIdx};
use crate::cluster::metrics::{Bucket, FailoverRecord, TimedEvent};
use crate::cluster::node::NodeEvent;
use crate::cluster::slot::placement;
use crate::redis::cli::quote;
use crate::sim::vec_map::VecMap;
use crate::ui::components::{LineChart, Series};

/// Seconds of history the charts show.
pub const CHART_SECONDS: usize = 120;
/// Protocol events listed.
pub const EVENTS_SHOWN: usize = 14;

fn secs(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    pub record: Option<FailoverRecord>,
    pub node_timeout_ms: u64,
    pub now_ms: u64,
}

/// PFAIL → FAIL → election → promotion of the latest failover, on one time axis from the moment
/// the master was lost.
#[component]
pub fn FailoverTimeline(props: &TimelineProps) -> Html {
    let Some(f) = &props.record else {
        return html! {
            <p class="cl-muted" data-testid="failover-timeline-empty">
                { "No master has failed yet. Kill a master (or cut one off) and play: its replica is promoted after the node timeout, the failure agreement and the election." }
            </p>
        };
    };
    let t0 = f.start_ms;
    let end = f.promoted_ms.unwrap_or(props.now_ms).max(t0 + props.node_timeout_ms + 1000);
    let span = (end - t0).max(1) as f64;
    const W: f64 = 640.0;
    const L: f64 = 16.0;
    let x = |t: u64| L + t.saturating_sub(t0) as f64 / span * (W - 2.0 * L);
    let phases: [(&str, &str, Option<u64>); 6] = [
        ("lost", "master lost", Some(t0)),
        ("pfail", "PFAIL", f.pfail_ms),
        ("fail", "FAIL (quorum)", f.fail_ms),
        ("scheduled", "election scheduled", f.election_scheduled_ms),
        ("election", "election", f.election_ms),
        ("promoted", "promoted", f.promoted_ms),
    ];
    let timeout_x = x(t0 + props.node_timeout_ms);
    html! {
        <div class="cl-timeline" data-testid="failover-timeline">
            <svg viewBox={format!("0 0 {W} 40")} role="img" aria-label="Failover timeline: the phases on one time axis">
                <line class="cl-timeline__axis" x1={L.to_string()} x2={(W - L).to_string()} y1="20" y2="20" />
                <line class="cl-timeline__timeout" x1={format!("{timeout_x:.1}")} x2={format!("{timeout_x:.1}")} y1="4" y2="36">
                    <title>{ format!("node timeout {}", secs(props.node_timeout_ms)) }</title>
                </line>
                { for phases.iter().filter_map(|(id, label, t)| t.map(|t| (id, label, t))).map(|(id, label, t)| html! {
                    <circle class={classes!("cl-phase__dot", format!("cl-phase--{id}"))} cx={format!("{:.1}", x(t))} cy="20" r="7">
                        <title>{ format!("{label} +{}", secs(t - t0)) }</title>
                    </circle>
                }) }
            </svg>
            <ol class="cl-phases">
                { for phases.iter().map(|(id, label, t)| html! {
                    <li class={classes!("cl-phases__item", format!("cl-phase--{id}"), t.is_none().then_some("cl-phases__item--pending"))} data-testid={t.map(|_| format!("phase-{id}"))}>
                        <svg class="cl-node__swatch" viewBox="0 0 12 12" aria-hidden="true"><circle class="cl-phase__dot" cx="6" cy="6" r="5" /></svg>
                        <span>{ *label }</span>
                        <span class="cl-mono">{ t.map_or("—".to_string(), |t| format!("+{}", secs(t - t0))) }</span>
                    </li>
                }) }
                <li class="cl-phases__item cl-phases__item--timeout">
                    <svg class="cl-node__swatch" viewBox="0 0 12 12" aria-hidden="true"><line class="cl-timeline__timeout" x1="6" x2="6" y1="0" y2="12" /></svg>
                    <span>{ "node timeout" }</span>
                    <span class="cl-mono">{ format!("+{}", secs(props.node_timeout_ms)) }</span>
                </li>
            </ol>
            <p class="cl-timeline__summary" data-testid="failover-summary">
                { match (f.promoted, f.failover_ms()) {
                    (Some(p), Some(ms)) => format!(
                        "127.0.0.1:{} was lost at {}; its replica 127.0.0.1:{} owned its slots {} later ({} votes).",
                        port_of(f.master), secs(t0), port_of(p), secs(ms), f.votes
                    ),
                    _ => format!("127.0.0.1:{} was lost at {}; no replica has taken over yet.", port_of(f.master), secs(t0)),
                } }
            </p>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct CountsProps {
    pub acked: u64,
    pub lost: u64,
    pub moved: u64,
    pub ask: u64,
    pub errors: VecMap<String, u64>,
    pub unavailable_ms: u64,
    pub writable: usize,
    pub ops: u64,
    pub hit_ratio: Option<f64>,
}

#[component]
pub fn Counts(props: &CountsProps) -> Html {
    let errors: u64 = props.errors.values().sum();
    let by_kind = props.errors.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ");
    html! {
        <dl class="cl-counts" data-testid="counts">
            <div class={classes!((props.lost > 0).then_some("cl-bad"))}><dt>{ "lost acknowledged writes" }</dt><dd data-testid="count-lost">{ props.lost }</dd></div>
            <div><dt>{ "acknowledged writes" }</dt><dd data-testid="count-acked">{ props.acked }</dd></div>
            <div><dt>{ "MOVED / ASK" }</dt><dd data-testid="count-redirects">{ format!("{} / {}", props.moved, props.ask) }</dd></div>
            <div class={classes!((errors > 0).then_some("cl-bad"))}><dt>{ "errors" }</dt><dd data-testid="count-errors" title={by_kind.clone()}>{ errors }</dd></div>
            <div><dt>{ "unavailable" }</dt><dd data-testid="count-unavailable" title="Time during which some slot had no master accepting writes">{ secs(props.unavailable_ms) }</dd></div>
            <div class={classes!((props.writable < 16384).then_some("cl-bad"))}><dt>{ "writable slots" }</dt><dd data-testid="count-writable">{ props.writable }</dd></div>
            <div><dt>{ "operations" }</dt><dd>{ props.ops }</dd></div>
            <div><dt>{ "hit ratio" }</dt><dd>{ props.hit_ratio.map_or("—".into(), |r| format!("{:.1} %", r * 100.0)) }</dd></div>
            if !by_kind.is_empty() {
                <div class="cl-counts__wide"><dt>{ "errors by kind" }</dt><dd data-testid="count-errors-by-kind">{ by_kind }</dd></div>
            }
        </dl>
    }
}

#[derive(Properties, PartialEq)]
pub struct ChartsProps {
    pub buckets: Vec<Bucket>,
    pub narrow: bool,
}

/// Operations, errors, redirects, latency and hit ratio per second.
#[component]
pub fn WorkloadCharts(props: &ChartsProps) -> Html {
    let b = &props.buckets;
    let x = |k: &Bucket| k.second as f64;
    let line = |name: &str, f: &dyn Fn(&Bucket) -> Option<f64>| Series {
        name: name.to_string().into(),
        points: b.iter().filter_map(|k| f(k).map(|y| (x(k), y))).collect(),
    };
    let width = if props.narrow { 360.0 } else { 460.0 };
    html! {
        <div class="cl-charts" data-testid="workload-charts">
            <LineChart title="Operations per second" x_label="virtual time (s)" y_label="per second" width={width} height={220.0}
                series={vec![line("ok", &|k| Some(k.ok as f64)), line("errors", &|k| Some(k.errors as f64))]} testid="chart-ops" />
            <LineChart title="Redirects per second" x_label="virtual time (s)" y_label="per second" width={width} height={220.0}
                series={vec![line("MOVED", &|k| Some(k.moved as f64)), line("ASK", &|k| Some(k.ask as f64))]} testid="chart-redirects" />
            <LineChart title="Latency per second (mean and max)" x_label="virtual time (s)" y_label="ms" width={width} height={220.0} log_y={true}
                series={vec![line("mean", &|k| k.mean_latency_ms()), line("max", &|k| (k.ok + k.errors > 0).then_some(k.latency_max_ms as f64))]} testid="chart-latency" />
            <LineChart title="Hit ratio and writable slots" x_label="virtual time (s)" y_label="%" width={width} height={220.0} y_max={Some(100.0)}
                series={vec![line("hit ratio", &|k| k.hit_ratio().map(|r| r * 100.0)), line("writable slots", &|k| Some(k.writable_slots as f64 / 163.84))]} testid="chart-ratio" />
        </div>
    }
}

/// A protocol event as the node's log would say it.
pub fn event_text(e: &TimedEvent) -> String {
    let who = |n: NodeIdx| addr_of(n);
    match &e.event {
        NodeEvent::Pfail { node } => format!("*** NODE {} possibly failing", who(*node)),
        NodeEvent::MarkedFail { node, reports } => {
            format!("Marking node {} as failing (quorum reached: {reports})", who(*node))
        }
        NodeEvent::FailReceived { node, from } => {
            format!("FAIL message received from {} about {}", who(*from), who(*node))
        }
        NodeEvent::FailCleared { node } => format!("Clear FAIL state for node {}", who(*node)),
        NodeEvent::ElectionScheduled { delay_ms, rank, offset } => {
            format!("Start of election delayed for {delay_ms} milliseconds (rank #{rank}, offset {offset})")
        }
        NodeEvent::ElectionStarted { epoch } => {
            format!("Starting a failover election for epoch {epoch}")
        }
        NodeEvent::VoteGranted { candidate, epoch } => {
            format!("Failover auth granted to {} for epoch {epoch}", who(*candidate))
        }
        NodeEvent::VoteDenied { candidate, reason } => {
            format!("Failover auth denied to {}: {reason}", who(*candidate))
        }
        NodeEvent::ElectionWon { epoch, votes } => {
            format!("Failover election won ({votes} votes, epoch {epoch}): I'm the new master")
        }
        NodeEvent::ElectionExpired { epoch } => format!("Failover attempt expired (epoch {epoch})"),
        NodeEvent::BecameReplica { of } => {
            format!("Configuration change detected. Reconfiguring myself as a replica of {}", who(*of))
        }
        NodeEvent::StateChanged { state } => format!("Cluster state changed: {}", state.name()),
        NodeEvent::ConfigEpoch { epoch } => format!("configEpoch set to {epoch}"),
        NodeEvent::ManualFailover { what } => format!("Manual failover: {what}"),
    }
}

#[derive(Properties, PartialEq)]
pub struct EventLogProps {
    pub events: Vec<TimedEvent>,
    pub log: Vec<(u64, String)>,
}

#[component]
pub fn EventLog(props: &EventLogProps) -> Html {
    html! {
        <div class="cl-logs">
            <div>
                <h3>{ "What the nodes logged" }</h3>
                <ol class="cl-log" data-testid="event-log" reversed=true>
                    { for props.events.iter().rev().take(EVENTS_SHOWN).map(|e| html! {
                        <li><span class="cl-mono">{ format!("{:>7.3}", e.at_ms as f64 / 1000.0) }</span>{ " " }<strong>{ format!(":{}", port_of(e.node)) }</strong>{ " " }{ event_text(e) }</li>
                    }) }
                </ol>
            </div>
            <div>
                <h3>{ "What the operator did" }</h3>
                <ol class="cl-log" data-testid="operator-log" reversed=true>
                    { for props.log.iter().rev().take(EVENTS_SHOWN).map(|(t, l)| html! {
                        <li><span class="cl-mono">{ format!("{:>7.3}", *t as f64 / 1000.0) }</span>{ " " }{ l.clone() }</li>
                    }) }
                </ol>
            </div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct PlacementProps {
    /// Owner of each slot, as the page's viewer sees it.
    pub owner_of: Callback<u16, Option<NodeIdx>>,
}

/// Type a key, see its CRC16, hash tag, slot and owner.
#[component]
pub fn KeyPlacement(props: &PlacementProps) -> Html {
    let key = use_state(|| "{user1000}.following".to_string());
    let oninput = {
        let key = key.clone();
        Callback::from(move |e: InputEvent| key.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let p = placement(key.as_bytes());
    let owner = props.owner_of.emit(p.slot);
    html! {
        <div class="cl-placement" data-testid="key-placement">
            <label class="field">
                <span>{ "Key" }</span>
                <input type="text" value={(*key).clone()} {oninput} maxlength="512" spellcheck="false" autocomplete="off" data-testid="placement-key" />
            </label>
            <dl class="cl-placement__facts">
                <div><dt>{ "hashed part" }</dt><dd data-testid="placement-tag">{ match &p.tag {
                    Some(t) => format!("hash tag {}", quote(t)),
                    None => "the whole key (no hash tag)".to_string(),
                } }</dd></div>
                <div><dt>{ "CRC16-XMODEM" }</dt><dd class="cl-mono" data-testid="placement-crc">{ format!("0x{:04X} ({})", p.crc16, p.crc16) }</dd></div>
                <div><dt>{ "slot" }</dt><dd class="cl-mono" data-testid="placement-slot">{ format!("{} = 0x{:04X} & 0x3FFF", p.slot, p.crc16) }</dd></div>
                <div><dt>{ "owner" }</dt><dd data-testid="placement-owner">{ owner.map_or("no master (unassigned)".to_string(), addr_of) }</dd></div>
            </dl>
        </div>
    }
}

/// The newest `n` complete seconds (the one still running is left out), oldest first.
pub fn recent_buckets(buckets: &VecDeque<Bucket>, n: usize, now_ms: u64) -> Vec<Bucket> {
    let complete: Vec<&Bucket> = buckets.iter().filter(|b| (b.second + 1) * 1000 <= now_ms).collect();
    complete[complete.len().saturating_sub(n)..].iter().map(|b| (*b).clone()).collect()
}
