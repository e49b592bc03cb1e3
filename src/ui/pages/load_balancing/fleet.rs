//! The live fleet: an SVG diagram of clients → balancer → servers with requests as moving dots,
//! and one card per server with live bars and the Down / Slow ×10 / Recover buttons.

use yew::prelude::*;

use crate::balance::{server_name, Flow, FlowOutcome, ServerSnapshot, ServerState};

/// At most this many request dots are drawn per frame (the newest dispatches), whatever the rate:
/// 20 servers at 1,000 req/s and 1000× speed dispatch a million requests per wall second.
pub const MAX_DOTS: usize = 120;

/// Wall time one dot takes from a client to its server, at any speed.
const TRIP_WALL_MS: f64 = 700.0;

/// Client rows drawn on the left (clients are assigned to rows by index).
const CLIENT_ROWS: usize = 8;

/// Where the diagram's columns are. Phones get a narrower drawing (a taller aspect), so it is not
/// scaled down to illegibility.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Geometry {
    pub w: f64,
    pub client_x: f64,
    pub lb_x: f64,
    pub server_x: f64,
    pub bar_w: f64,
}

impl Geometry {
    pub const WIDE: Geometry = Geometry { w: 640.0, client_x: 40.0, lb_x: 300.0, server_x: 540.0, bar_w: 60.0 };
    pub const NARROW: Geometry = Geometry { w: 400.0, client_x: 24.0, lb_x: 178.0, server_x: 322.0, bar_w: 44.0 };
}

/// A palette class per server (ten colours that read on light and dark backgrounds).
pub fn server_class(i: usize) -> String {
    format!("lb-c{}", i % 10)
}

/// Where one dot is: its position and the classes that colour it.
#[derive(Clone, Debug, PartialEq)]
pub struct Dot {
    pub x: f64,
    pub y: f64,
    pub class: String,
}

fn layout_height(servers: usize) -> f64 {
    (servers as f64 * 24.0 + 40.0).max(240.0)
}

fn server_y(i: usize, n: usize, h: f64) -> f64 {
    let step = (h - 40.0) / n.max(1) as f64;
    20.0 + step * (i as f64 + 0.5)
}

fn client_y(row: usize, h: f64) -> f64 {
    let step = (h - 40.0) / CLIENT_ROWS as f64;
    20.0 + step * (row as f64 + 0.5)
}

/// The dots of the newest flows: a flow of age `a` (virtual ms) is a fraction `a / trip` along its
/// path, where the trip is [`TRIP_WALL_MS`] of wall time at `speed`, shortened when dispatches are so
/// dense that the newest [`MAX_DOTS`] all happened within less virtual time than that (then the
/// dots spread along the whole path instead of bunching at the clients).
pub fn dots(flows: &[Flow], now_ms: u64, speed: f64, servers: usize, g: Geometry) -> Vec<Dot> {
    let Geometry { client_x, lb_x, server_x, .. } = g;
    let h = layout_height(servers);
    let newest = &flows[flows.len().saturating_sub(MAX_DOTS)..];
    let Some(oldest) = newest.first() else {
        return Vec::new();
    };
    let span = now_ms.saturating_sub(oldest.at_ms) as f64;
    let full = flows.len() >= MAX_DOTS;
    let trip = if full { (speed * TRIP_WALL_MS).min(span.max(1.0)) } else { speed * TRIP_WALL_MS }.max(1.0);
    let lb_y = h / 2.0;
    newest
        .iter()
        .filter_map(|f| {
            let age = now_ms.saturating_sub(f.at_ms) as f64;
            let t = age / trip;
            if t > 1.0 {
                return None;
            }
            let (cx, cy) = (client_x + 10.0, client_y(f.client as usize % CLIENT_ROWS, h));
            let (x, y) = if t < 0.5 {
                let u = t * 2.0;
                (cx + (lb_x - cx) * u, cy + (lb_y - cy) * u)
            } else {
                let u = (t - 0.5) * 2.0;
                match f.server {
                    Some(s) if f.outcome != FlowOutcome::NoServer => {
                        let sy = server_y(s as usize, servers, h);
                        (lb_x + (server_x - 12.0 - lb_x) * u, lb_y + (sy - lb_y) * u)
                    }
                    _ => (lb_x + 20.0 * u, lb_y + 30.0 * u),
                }
            };
            let class = match (f.outcome, f.server) {
                (FlowOutcome::Dropped, _) => "lb-dot lb-dot--drop".to_string(),
                (FlowOutcome::Failed, _) | (FlowOutcome::NoServer, _) => "lb-dot lb-dot--fail".to_string(),
                (_, Some(s)) => format!("lb-dot {}", server_class(s as usize)),
                (_, None) => "lb-dot".to_string(),
            };
            Some(Dot { x, y, class })
        })
        .collect()
}

#[derive(Properties, PartialEq)]
pub struct FleetDiagramProps {
    pub servers: Vec<ServerSnapshot>,
    pub flows: Vec<Flow>,
    pub now_ms: u64,
    pub speed: f64,
    pub clients: usize,
    pub algorithm: AttrValue,
    #[prop_or(Geometry::WIDE)]
    pub geometry: Geometry,
}

fn state_class(s: &ServerSnapshot) -> &'static str {
    match (s.state, s.view.up) {
        (ServerState::Down, _) => "lb-node--down",
        (_, false) => "lb-node--marked",
        (ServerState::Slow, _) => "lb-node--slow",
        _ if s.pinned_latency_ms.is_some() => "lb-node--slow",
        _ => "lb-node--up",
    }
}

#[component]
pub fn FleetDiagram(props: &FleetDiagramProps) -> Html {
    let n = props.servers.len();
    let h = layout_height(n);
    let lb_y = h / 2.0;
    let g = props.geometry;
    let Geometry { w, client_x, lb_x, server_x, bar_w } = g;
    let dots = dots(&props.flows, props.now_ms, props.speed, n, g);
    let label_every = if n > 12 { 2 } else { 1 };
    html! {
        <figure class="lb-fleet">
            <svg class="lb-fleet__svg" viewBox={format!("0 0 {w} {h}")} role="img" data-testid="lb-fleet"
                 aria-label={format!("{} clients send requests through the {} balancer to {n} servers", props.clients, props.algorithm)}>
                <title>{ "Requests flowing from clients through the balancer to the servers" }</title>
                // Paths.
                { for (0..CLIENT_ROWS).map(|r| { let y = client_y(r, h); html! {
                    <line class="lb-path" x1={(client_x + 10.0).to_string()} y1={y.to_string()} x2={lb_x.to_string()} y2={lb_y.to_string()} />
                }}) }
                { for props.servers.iter().map(|s| { let y = server_y(s.index, n, h); html! {
                    <line class={classes!("lb-path", (!s.view.up).then_some("lb-path--off"))}
                          x1={lb_x.to_string()} y1={lb_y.to_string()} x2={(server_x - 12.0).to_string()} y2={y.to_string()} />
                }}) }
                // Requests in flight, under the nodes so labels stay readable.
                <g class="lb-dots" data-testid="lb-dots">
                    { for dots.iter().map(|d| html! {
                        <circle class={d.class.clone()} cx={format!("{:.1}", d.x)} cy={format!("{:.1}", d.y)} r="3" />
                    }) }
                </g>
                // Clients.
                { for (0..CLIENT_ROWS).map(|r| { let y = client_y(r, h); html! {
                    <circle class="lb-client" cx={client_x.to_string()} cy={y.to_string()} r="7" />
                }}) }
                <text class="lb-label" x="4" y="12">{ format!("{} clients", props.clients) }</text>
                // The balancer.
                <rect class="lb-balancer" x={(lb_x - 48.0).to_string()} y={(lb_y - 20.0).to_string()} width="96" height="40" rx="8" />
                <text class="lb-label lb-label--strong" x={lb_x.to_string()} y={(lb_y - 26.0).to_string()} text-anchor="middle">{ "balancer" }</text>
                <text class="lb-label lb-label--on" x={lb_x.to_string()} y={(lb_y + 4.0).to_string()} text-anchor="middle">{ props.algorithm.clone() }</text>
                // Servers: a box coloured by server, a busy bar and a label.
                { for props.servers.iter().map(|s| {
                    let y = server_y(s.index, n, h);
                    let bh = ((h - 40.0) / n.max(1) as f64 - 4.0).clamp(6.0, 18.0);
                    let frac = if s.concurrency > 0 { (f64::from(s.busy) / f64::from(s.concurrency)).min(1.0) } else { 0.0 };
                    let qfrac = if s.queue_limit > 0 { (f64::from(s.queued) / f64::from(s.queue_limit)).min(1.0) } else { 0.0 };
                    html! {
                        <g class={classes!("lb-node", state_class(s))} data-testid={format!("lb-node-{}", s.index)}>
                            <rect class={classes!("lb-node__box", server_class(s.index))} x={(server_x - 12.0).to_string()} y={(y - bh / 2.0).to_string()} width="12" height={bh.to_string()} rx="2" />
                            <rect class="lb-node__track" x={server_x.to_string()} y={(y - bh / 2.0).to_string()} width={bar_w.to_string()} height={bh.to_string()} />
                            <rect class="lb-node__busy" x={server_x.to_string()} y={(y - bh / 2.0).to_string()} width={format!("{:.1}", bar_w * frac)} height={bh.to_string()} />
                            <rect class="lb-node__queue" x={server_x.to_string()} y={(y + bh / 2.0 - 2.0).to_string()} width={format!("{:.1}", bar_w * qfrac)} height="2" />
                            if s.index % label_every == 0 || n <= 12 {
                                <text class="lb-label" x={(server_x + bar_w + 6.0).to_string()} y={(y + 4.0).to_string()}>{ server_name(s.index) }</text>
                            }
                        </g>
                    }
                }) }
            </svg>
            <figcaption class="lb-muted">
                { format!("Each dot is one request (the newest {MAX_DOTS} at most are drawn), coloured by its server; red ones failed or were dropped. Bars: busy of concurrency, thin line: queue.") }
            </figcaption>
        </figure>
    }
}

#[derive(Properties, PartialEq)]
pub struct ServerCardProps {
    pub server: ServerSnapshot,
    /// What the balancer remembers about this server (named values from its snapshot).
    #[prop_or_default]
    pub memory: Vec<(&'static str, f64)>,
    pub on_action: Callback<(usize, ServerState)>,
}

fn state_text(s: &ServerSnapshot) -> String {
    let truth = match s.state {
        ServerState::Up if s.pinned_latency_ms.is_some() => {
            format!("pinned at {} ms", s.pinned_latency_ms.unwrap_or(0))
        }
        ServerState::Up => "up".into(),
        ServerState::Down => "down".into(),
        ServerState::Slow => "slow ×10".into(),
    };
    let belief = if s.view.up { "balancer: up" } else { "balancer: marked down" };
    format!("{truth} · {belief}")
}

#[component]
pub fn ServerCard(props: &ServerCardProps) -> Html {
    let s = &props.server;
    let i = s.index;
    let bar = |row: usize, label: &str, frac: f64, text: String, class: &'static str| {
        let y = 4.0 + row as f64 * 18.0;
        let frac = if frac.is_finite() { frac.clamp(0.0, 1.0) } else { 0.0 };
        html! {
            <g>
                <text class="lb-label" x="0" y={(y + 10.0).to_string()}>{ label.to_string() }</text>
                <rect class="lb-bar__track" x="44" y={y.to_string()} width="110" height="12" rx="2" />
                <rect class={classes!("lb-bar", class)} x="44" y={y.to_string()} width={format!("{:.1}", 110.0 * frac)} height="12" rx="2" />
                <text class="lb-label" x="160" y={(y + 10.0).to_string()}>{ text }</text>
            </g>
        }
    };
    let act = |state: ServerState| {
        let cb = props.on_action.clone();
        Callback::from(move |_: MouseEvent| cb.emit((i, state)))
    };
    let busy_frac = f64::from(s.busy) / f64::from(s.concurrency.max(1));
    let queue_frac = if s.queue_limit == 0 { 0.0 } else { f64::from(s.queued) / f64::from(s.queue_limit) };
    let state_cls = match (s.state, s.view.up) {
        (ServerState::Down, _) => "lb-card--down",
        (_, false) => "lb-card--marked",
        (ServerState::Slow, _) => "lb-card--slow",
        _ => "",
    };
    html! {
        <article class={classes!("lb-card", state_cls)} data-testid={format!("server-card-{i}")}>
            <header class="lb-card__head">
                <svg class="lb-card__swatch" viewBox="0 0 10 10" aria-hidden="true"><rect class={server_class(i)} width="10" height="10" rx="2" /></svg>
                <strong>{ server_name(i) }</strong>
                <span class="lb-muted">{ format!("weight {}", s.view.weight) }</span>
            </header>
            <p class="lb-card__state" data-testid={format!("server-state-{i}")}>{ state_text(s) }</p>
            <svg class="lb-card__bars" viewBox="0 0 210 58" role="img"
                 aria-label={format!("{}: {} of {} busy, {} queued, utilization {:.0}%", server_name(i), s.busy, s.concurrency, s.queued, s.utilization * 100.0)}>
                { bar(0, "busy", busy_frac, format!("{}/{}", s.busy, s.concurrency), "lb-bar--busy") }
                { bar(1, "queue", queue_frac, format!("{}/{}", s.queued, s.queue_limit), "lb-bar--queue") }
                { bar(2, "util", s.utilization, format!("{:.0}%", s.utilization * 100.0), "lb-bar--util") }
            </svg>
            <p class="lb-card__stats lb-muted">
                { format!("{} req · {} err · {} drop · p99 {} ms", s.requests, s.errors, s.drops, s.p99_ms) }
            </p>
            if !props.memory.is_empty() {
                <p class="lb-card__memory lb-muted" data-testid={format!("server-memory-{i}")}>
                    { "balancer: " }
                    { props.memory.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(" · ") }
                </p>
            }
            <div class="lb-card__actions">
                <button type="button" class="button button--quiet" data-testid={format!("server-{i}-down")}
                        disabled={s.state == ServerState::Down} onclick={act(ServerState::Down)}>{ "Down" }</button>
                <button type="button" class="button button--quiet" data-testid={format!("server-{i}-slow")}
                        disabled={s.state == ServerState::Slow} onclick={act(ServerState::Slow)}>{ "Slow ×10" }</button>
                <button type="button" class="button button--quiet" data-testid={format!("server-{i}-recover")}
                        disabled={s.state == ServerState::Up} onclick={act(ServerState::Up)}>{ "Recover" }</button>
            </div>
        </article>
    }
}
