//! The picture of the wire: the nodes on a ring and the application processes below them, with
//! every cluster-bus message and redirect of the last second drawn as a fading line (pings and
//! pongs of the gossip, FAIL broadcasts, vote requests and votes, UPDATE), so a user sees why a
//! failover happens: who stopped answering, who spread the news, who voted.

use yew::prelude::*;

use super::topology::node_class;
use crate::cluster::config::port_of;
use crate::cluster::metrics::{Traffic, TrafficKind, TRAFFIC_WINDOW_MS};
use crate::cluster::view::{Health, NodeRow};

const W: f64 = 420.0;
const H: f64 = 300.0;
const CX: f64 = 210.0;
const CY: f64 = 135.0;
const RING: f64 = 92.0;
const APPS_Y: f64 = 284.0;

#[derive(Properties, PartialEq)]
pub struct WireProps {
    pub nodes: Vec<NodeRow>,
    pub apps: usize,
    pub traffic: Vec<Traffic>,
    pub now_ms: u64,
}

fn node_xy(i: usize, n: usize) -> (f64, f64) {
    let a = -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * i as f64 / n.max(1) as f64;
    (CX + RING * a.cos(), CY + RING * a.sin())
}

fn app_xy(c: usize, apps: usize) -> (f64, f64) {
    let step = W / (apps.max(1) + 1) as f64;
    (step * (c + 1) as f64, APPS_Y)
}

fn health_name(h: Health) -> &'static str {
    match h {
        Health::Ok => "ok",
        Health::Pfail => "pfail",
        Health::Fail => "fail",
        Health::Handshake => "handshake",
        Health::Killed => "killed",
    }
}

/// A curved path from `a` to `b`, bent to the right of the direction of travel so that the two
/// directions of one pair of nodes are told apart.
fn arc(a: (f64, f64), b: (f64, f64)) -> String {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len = (dx * dx + dy * dy).sqrt().max(1.0);
    let bend = 0.12 * len;
    let (mx, my) = ((a.0 + b.0) / 2.0 - dy / len * bend, (a.1 + b.1) / 2.0 + dx / len * bend);
    format!("M{:.1} {:.1} Q{mx:.1} {my:.1} {:.1} {:.1}", a.0, a.1, b.0, b.1)
}

#[component]
pub fn WirePicture(props: &WireProps) -> Html {
    let n = props.nodes.len();
    let mut counts = [0usize; TrafficKind::ALL.len()];
    let lines: Html = props
        .traffic
        .iter()
        .filter(|t| t.from < n && (t.kind.is_redirect() && t.to < props.apps || !t.kind.is_redirect() && t.to < n))
        .map(|t| {
            if let Some(k) = TrafficKind::ALL.iter().position(|k| *k == t.kind) {
                counts[k] += 1;
            }
            let from = node_xy(t.from, n);
            let to = if t.kind.is_redirect() { app_xy(t.to, props.apps) } else { node_xy(t.to, n) };
            let age = props.now_ms.saturating_sub(t.at_ms) as f64 / TRAFFIC_WINDOW_MS as f64;
            let opacity = format!("{:.2}", (1.0 - age).clamp(0.12, 1.0));
            let marker = matches!(
                t.kind,
                TrafficKind::Vote
                    | TrafficKind::VoteRequest
                    | TrafficKind::Fail
                    | TrafficKind::Moved
                    | TrafficKind::Ask
            )
            .then(|| format!("url(#cl-wire-arrow-{})", t.kind.name()));
            html! {
                <path class={classes!("cl-wire", format!("cl-wire--{}", t.kind.name()))} d={arc(from, to)}
                      opacity={opacity} marker-end={marker} data-kind={t.kind.name()} />
            }
        })
        .collect();
    let markers: Html = [TrafficKind::Fail, TrafficKind::VoteRequest, TrafficKind::Vote, TrafficKind::Moved, TrafficKind::Ask]
        .iter()
        .map(|k| {
            html! {
                <marker id={format!("cl-wire-arrow-{}", k.name())} viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
                    <path d="M0 0 L10 5 L0 10 z" class={classes!("cl-wire__head", format!("cl-wire__head--{}", k.name()))} />
                </marker>
            }
        })
        .collect();
    let nodes: Html = props
        .nodes
        .iter()
        .map(|row| {
            let (x, y) = node_xy(row.idx, n);
            let role = if row.master { "M" } else { "R" };
            // Labels sit outside the ring, on the side away from the centre.
            let (lx, ly) = (CX + (x - CX) * 1.32, CY + (y - CY) * 1.32 + 4.0);
            html! {
                <g data-testid={format!("wire-node-{}", row.idx)} data-health={health_name(row.health)}>
                    <circle cx={format!("{x:.1}")} cy={format!("{y:.1}")} r="15"
                            class={classes!(node_class(row.idx), "cl-wire__node", format!("cl-wire__node--{}", health_name(row.health)))} />
                    <text x={format!("{x:.1}")} y={format!("{:.1}", y + 4.0)} class="cl-wire__role">{ role }</text>
                    <text x={format!("{lx:.1}")} y={format!("{ly:.1}")} class="cl-wire__label">{ format!(":{}", port_of(row.idx)) }</text>
                </g>
            }
        })
        .collect();
    let apps: Html = (0..props.apps)
        .map(|c| {
            let (x, y) = app_xy(c, props.apps);
            html! {
                <g>
                    <rect x={format!("{:.1}", x - 22.0)} y={format!("{:.1}", y - 11.0)} width="44" height="22" rx="4" class="cl-wire__app" />
                    <text x={format!("{x:.1}")} y={format!("{:.1}", y + 4.0)} class="cl-wire__label">{ format!("app {}", c + 1) }</text>
                </g>
            }
        })
        .collect();
    let legend: Html = TrafficKind::ALL
        .iter()
        .zip(counts)
        .filter(|(k, _)| **k != TrafficKind::Other)
        .map(|(k, c)| {
            html! {
                <li data-testid={format!("wire-count-{}", k.name())}>
                    <svg class="cl-wire__swatch" viewBox="0 0 20 8" aria-hidden="true"><line x1="0" y1="4" x2="20" y2="4" class={classes!("cl-wire", format!("cl-wire--{}", k.name()))} /></svg>
                    { format!("{} {c}", k.name()) }
                </li>
            }
        })
        .collect();
    html! {
        <figure class="cl-wire-fig" data-testid="wire">
            <svg viewBox={format!("0 0 {W} {H}")} role="img" aria-label="Cluster bus messages and redirects of the last second">
                <defs>{ markers }</defs>
                { lines }
                { nodes }
                { apps }
            </svg>
            <figcaption>
                <ul class="cl-wire__legend">{ legend }</ul>
                <p class="cl-muted">{ "The last second of the wire. Nodes gossip with PING and PONG; one that stops answering is flagged PFAIL after the node timeout, then FAIL once a majority of masters report it (red broadcast); its replica asks for votes (purple) and the masters vote (green); applications meet MOVED (orange) and ASK (teal) on the way to the new owner. M master, R replica; a red ring is a node others flag failing." }</p>
            </figcaption>
        </figure>
    }
}
