//! The live fleet: an SVG diagram of clients → balancer → servers with requests as moving dots,
//! and one card per server with live bars, the Down / Slow ×10 / Recover buttons and a weight field
//! (a mid-run weight change, logged like the buttons).

use std::rc::Rc;

use yew::prelude::*;

use crate::balance::{server_name, Flow, FlowOutcome, ServerSnapshot, ServerState};
use crate::ui::hooks::use_sampled;

/// How often a server card's live numbers are redrawn while playing (ms of wall time).
const SAMPLE_MS: f64 = 100.0;

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

/// The ten palette classes (colours that read on light and dark backgrounds).
const SERVER_CLASSES: [&str; 10] =
    ["lb-c0", "lb-c1", "lb-c2", "lb-c3", "lb-c4", "lb-c5", "lb-c6", "lb-c7", "lb-c8", "lb-c9"];

/// A request dot's classes per server palette class (static, so a frame allocates none).
const DOT_CLASSES: [&str; 10] = [
    "lb-dot lb-c0",
    "lb-dot lb-c1",
    "lb-dot lb-c2",
    "lb-dot lb-c3",
    "lb-dot lb-c4",
    "lb-dot lb-c5",
    "lb-dot lb-c6",
    "lb-dot lb-c7",
    "lb-dot lb-c8",
    "lb-dot lb-c9",
];

/// A palette class per server (ten colours that read on light and dark backgrounds).
pub fn server_class(i: usize) -> &'static str {
    SERVER_CLASSES[i % 10]
}

/// Where one dot is: its position and the classes that colour it.
#[derive(Clone, Debug, PartialEq)]
pub struct Dot {
    pub x: f64,
    pub y: f64,
    pub class: &'static str,
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
                (FlowOutcome::Dropped, _) => "lb-dot lb-dot--drop",
                (FlowOutcome::Failed, _) | (FlowOutcome::NoServer, _) => "lb-dot lb-dot--fail",
                (_, Some(s)) => DOT_CLASSES[s as usize % 10],
                (_, None) => "lb-dot",
            };
            Some(Dot { x, y, class })
        })
        .collect()
}

#[derive(Properties, PartialEq)]
pub struct FleetDiagramProps {
    /// Shared with the page, which keeps what the diagram last drew between its redraws (so a
    /// frame that does not redraw it copies nothing).
    pub servers: Rc<Vec<ServerSnapshot>>,
    pub flows: Rc<Vec<Flow>>,
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
    // Drawn as memoised layers: only what a frame changed (the dots, a server's bars) re-renders;
    // the paths, clients and balancer re-render when the fleet's shape or the balancer's view does.
    let n = props.servers.len();
    let h = layout_height(n);
    let g = props.geometry;
    let w = g.w;
    let dots = dots(&props.flows, props.now_ms, props.speed, n, g);
    let up: Vec<bool> = props.servers.iter().map(|s| s.view.up).collect();
    let label_every = if n > 12 { 2 } else { 1 };
    html! {
        <figure class="lb-fleet">
            <svg class="lb-fleet__svg" viewBox={format!("0 0 {w} {h}")} role="img" data-testid="lb-fleet"
                 aria-label={format!("{} clients send requests through the {} balancer to {n} servers", props.clients, props.algorithm)}>
                <title>{ "Requests flowing from clients through the balancer to the servers" }</title>
                <FleetPaths up={up} geometry={g} />
                // Requests in flight, under the nodes so labels stay readable.
                <FleetDots dots={dots} />
                <FleetHub clients={props.clients} algorithm={props.algorithm.clone()} height={h} geometry={g} />
                // Servers: a box coloured by server, a busy bar and a label.
                { for props.servers.iter().map(|s| {
                    let frac = if s.concurrency > 0 { (f64::from(s.busy) / f64::from(s.concurrency)).min(1.0) } else { 0.0 };
                    let qfrac = if s.queue_limit > 0 { (f64::from(s.queued) / f64::from(s.queue_limit)).min(1.0) } else { 0.0 };
                    html! {
                        <FleetNode key={s.index} index={s.index} servers={n} geometry={g}
                            state={state_class(s)} busy_w={tenths(g.bar_w * frac)} queue_w={tenths(g.bar_w * qfrac)}
                            label={s.index % label_every == 0 || n <= 12} />
                    }
                }) }
            </svg>
            <figcaption class="lb-muted">
                { format!("Each dot is one request (the newest {MAX_DOTS} at most are drawn), coloured by its server; red ones failed or were dropped. Bars: busy of concurrency, thin line: queue.") }
            </figcaption>
        </figure>
    }
}

/// A length at the precision it is drawn with (tenths of a unit), so equal drawings compare equal.
fn tenths(v: f64) -> i64 {
    (v * 10.0).round() as i64
}

fn tenths_str(t: i64) -> String {
    format!("{:.1}", t as f64 / 10.0)
}

#[derive(Properties, PartialEq)]
struct FleetPathsProps {
    /// Per server: whether the balancer believes it up (its path is dashed when not).
    up: Vec<bool>,
    geometry: Geometry,
}

#[component]
fn FleetPaths(props: &FleetPathsProps) -> Html {
    let n = props.up.len();
    let h = layout_height(n);
    let lb_y = h / 2.0;
    let Geometry { client_x, lb_x, server_x, .. } = props.geometry;
    html! {
        <>
            { for (0..CLIENT_ROWS).map(|r| { let y = client_y(r, h); html! {
                <line class="lb-path" x1={(client_x + 10.0).to_string()} y1={y.to_string()} x2={lb_x.to_string()} y2={lb_y.to_string()} />
            }}) }
            { for props.up.iter().enumerate().map(|(i, up)| { let y = server_y(i, n, h); html! {
                <line class={classes!("lb-path", (!up).then_some("lb-path--off"))}
                      x1={lb_x.to_string()} y1={lb_y.to_string()} x2={(server_x - 12.0).to_string()} y2={y.to_string()} />
            }}) }
        </>
    }
}

#[derive(Properties, PartialEq)]
struct FleetDotsProps {
    dots: Vec<Dot>,
}

/// The dots as one `<path>` per colour (a circle of radius 3 is two arcs), not one `<circle>` per
/// request: a frame then changes at most a dozen attributes instead of hundreds, and Chromium
/// restyles and lays out a dozen SVG elements instead of up to [`MAX_DOTS`]. The group's
/// `data-dots` says how many are drawn.
#[component]
fn FleetDots(props: &FleetDotsProps) -> Html {
    use std::fmt::Write;
    let mut paths: Vec<(&'static str, String)> = Vec::new();
    for d in &props.dots {
        let i = match paths.iter().position(|(c, _)| *c == d.class) {
            Some(i) => i,
            None => {
                paths.push((d.class, String::with_capacity(64 * 16)));
                paths.len() - 1
            }
        };
        let _ = write!(paths[i].1, "M{:.1} {:.1}a3 3 0 1 0 6 0a3 3 0 1 0-6 0", d.x - 3.0, d.y);
    }
    // In a fixed order, so the paths keep their places from frame to frame.
    paths.sort_by_key(|(c, _)| *c);
    html! {
        <g class="lb-dots" data-testid="lb-dots" data-dots={props.dots.len().to_string()}>
            { for paths.into_iter().map(|(class, d)| html! { <path key={class} class={class} d={d} /> }) }
        </g>
    }
}

#[derive(Properties, PartialEq)]
struct FleetHubProps {
    clients: usize,
    algorithm: AttrValue,
    height: f64,
    geometry: Geometry,
}

/// The clients and the balancer.
#[component]
fn FleetHub(props: &FleetHubProps) -> Html {
    let h = props.height;
    let lb_y = h / 2.0;
    let Geometry { client_x, lb_x, .. } = props.geometry;
    html! {
        <>
            { for (0..CLIENT_ROWS).map(|r| { let y = client_y(r, h); html! {
                <circle class="lb-client" cx={client_x.to_string()} cy={y.to_string()} r="7" />
            }}) }
            <text class="lb-label" x="4" y="12">{ format!("{} clients", props.clients) }</text>
            <rect class="lb-balancer" x={(lb_x - 48.0).to_string()} y={(lb_y - 20.0).to_string()} width="96" height="40" rx="8" />
            <text class="lb-label lb-label--strong" x={lb_x.to_string()} y={(lb_y - 26.0).to_string()} text-anchor="middle">{ "balancer" }</text>
            <text class="lb-label lb-label--on" x={lb_x.to_string()} y={(lb_y + 4.0).to_string()} text-anchor="middle">{ props.algorithm.clone() }</text>
        </>
    }
}

#[derive(Properties, PartialEq)]
struct FleetNodeProps {
    index: usize,
    servers: usize,
    geometry: Geometry,
    state: &'static str,
    /// Bar widths in tenths of a unit.
    busy_w: i64,
    queue_w: i64,
    label: bool,
}

/// One server in the diagram; re-renders only when its drawing changes.
#[component]
fn FleetNode(props: &FleetNodeProps) -> Html {
    let (i, n) = (props.index, props.servers);
    let h = layout_height(n);
    let Geometry { server_x, bar_w, .. } = props.geometry;
    let y = server_y(i, n, h);
    let bh = ((h - 40.0) / n.max(1) as f64 - 4.0).clamp(6.0, 18.0);
    html! {
        <g class={classes!("lb-node", props.state)} data-testid={format!("lb-node-{i}")}>
            <rect class={classes!("lb-node__box", server_class(i))} x={(server_x - 12.0).to_string()} y={(y - bh / 2.0).to_string()} width="12" height={bh.to_string()} rx="2" />
            <rect class="lb-node__track" x={server_x.to_string()} y={(y - bh / 2.0).to_string()} width={bar_w.to_string()} height={bh.to_string()} />
            <rect class="lb-node__busy" x={server_x.to_string()} y={(y - bh / 2.0).to_string()} width={tenths_str(props.busy_w)} height={bh.to_string()} />
            <rect class="lb-node__queue" x={server_x.to_string()} y={(y + bh / 2.0 - 2.0).to_string()} width={tenths_str(props.queue_w)} height="2" />
            if props.label {
                <text class="lb-label" x={(server_x + bar_w + 6.0).to_string()} y={(y + 4.0).to_string()}>{ server_name(i) }</text>
            }
        </g>
    }
}

#[derive(Properties, PartialEq)]
pub struct ServerCardProps {
    pub server: ServerSnapshot,
    /// What the balancer remembers about this server (named values from its snapshot).
    #[prop_or_default]
    pub memory: Vec<(&'static str, f64)>,
    pub on_action: Callback<(usize, ServerState)>,
    /// A new weight for the server, applied at the cursor (the balancer follows it at once).
    #[prop_or_default]
    pub on_weight: Callback<(usize, u32)>,
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
    // The header, the bars and the buttons are memoised leaves: a frame that only moved the
    // counters re-renders the text lines, not the rest.
    // The counters and bars change every frame while playing; drawn at 10 Hz (each card in its
    // own phase, so a frame redraws a few cards, not all) they look as live and cost a fraction.
    // A change of state (down, slow, marked down, weight) is drawn at once.
    let p = &props.server;
    let key = (p.state, p.view.up, p.view.weight, p.pinned_latency_ms);
    let phase = (p.index as f64 * 0.618_033_988_75).fract();
    let (server, memory) = use_sampled((props.server.clone(), props.memory.clone()), key, SAMPLE_MS, phase);
    // The card itself is a memoised leaf of the sample: in the frames between two samples (most
    // of them) it is not rebuilt nor diffed at all.
    html! {
        <ServerCardBody server={server} memory={memory} on_action={props.on_action.clone()} on_weight={props.on_weight.clone()} />
    }
}

/// A server card as sampled by [`ServerCard`].
#[component]
fn ServerCardBody(props: &ServerCardProps) -> Html {
    let (s, memory) = (&props.server, &props.memory);
    let i = s.index;
    let state_cls = match (s.state, s.view.up) {
        (ServerState::Down, _) => "lb-card--down",
        (_, false) => "lb-card--marked",
        (ServerState::Slow, _) => "lb-card--slow",
        _ => "",
    };
    html! {
        <article class={classes!("lb-card", state_cls)} data-testid={format!("server-card-{i}")}>
            <CardHead index={i} weight={s.view.weight} />
            <p class="lb-card__state" data-testid={format!("server-state-{i}")}>{ state_text(s) }</p>
            <CardBars index={i} busy={s.busy} concurrency={s.concurrency} queued={s.queued} queue_limit={s.queue_limit} utilization={s.utilization} />
            <p class="lb-card__stats lb-muted">
                { format!("{} req · {} err · {} drop · p99 {} ms", s.requests, s.errors, s.drops, s.p99_ms) }
            </p>
            if !memory.is_empty() {
                <p class="lb-card__memory lb-muted" data-testid={format!("server-memory-{i}")}>
                    { "balancer: " }
                    { memory.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(" · ") }
                </p>
            }
            <CardActions index={i} state={s.state} on_action={props.on_action.clone()} />
            <CardWeight index={i} weight={s.configured_weight} on_weight={props.on_weight.clone()} />
        </article>
    }
}

#[derive(Properties, PartialEq)]
struct CardHeadProps {
    index: usize,
    weight: u32,
}

#[component]
fn CardHead(props: &CardHeadProps) -> Html {
    let i = props.index;
    html! {
        <header class="lb-card__head">
            <svg class="lb-card__swatch" viewBox="0 0 10 10" aria-hidden="true"><rect class={server_class(i)} width="10" height="10" rx="2" /></svg>
            <strong>{ server_name(i) }</strong>
            <span class="lb-muted">{ format!("weight {}", props.weight) }</span>
        </header>
    }
}

#[derive(Properties, PartialEq)]
struct CardBarsProps {
    index: usize,
    busy: u32,
    concurrency: u32,
    queued: u32,
    queue_limit: u32,
    utilization: f64,
}

#[component]
fn CardBars(props: &CardBarsProps) -> Html {
    let bar = |row: usize, label: &'static str, frac: f64, text: String, class: &'static str| {
        let y = 4.0 + row as f64 * 18.0;
        let frac = if frac.is_finite() { frac.clamp(0.0, 1.0) } else { 0.0 };
        html! {
            <g>
                <text class="lb-label" x="0" y={(y + 10.0).to_string()}>{ label }</text>
                <rect class="lb-bar__track" x="44" y={y.to_string()} width="110" height="12" rx="2" />
                <rect class={classes!("lb-bar", class)} x="44" y={y.to_string()} width={format!("{:.1}", 110.0 * frac)} height="12" rx="2" />
                <text class="lb-label" x="160" y={(y + 10.0).to_string()}>{ text }</text>
            </g>
        }
    };
    let p = props;
    let busy_frac = f64::from(p.busy) / f64::from(p.concurrency.max(1));
    let queue_frac = if p.queue_limit == 0 { 0.0 } else { f64::from(p.queued) / f64::from(p.queue_limit) };
    html! {
        <svg class="lb-card__bars" viewBox="0 0 210 58" role="img"
             aria-label={format!("{}: {} of {} busy, {} queued, utilization {:.0}%", server_name(p.index), p.busy, p.concurrency, p.queued, p.utilization * 100.0)}>
            { bar(0, "busy", busy_frac, format!("{}/{}", p.busy, p.concurrency), "lb-bar--busy") }
            { bar(1, "queue", queue_frac, format!("{}/{}", p.queued, p.queue_limit), "lb-bar--queue") }
            { bar(2, "util", p.utilization, format!("{:.0}%", p.utilization * 100.0), "lb-bar--util") }
        </svg>
    }
}

#[derive(Properties, PartialEq)]
struct CardActionsProps {
    index: usize,
    state: ServerState,
    on_action: Callback<(usize, ServerState)>,
}

#[component]
fn CardActions(props: &CardActionsProps) -> Html {
    let i = props.index;
    let act = |state: ServerState| {
        let cb = props.on_action.clone();
        Callback::from(move |_: MouseEvent| cb.emit((i, state)))
    };
    let s = props.state;
    html! {
        <div class="lb-card__actions">
            <button type="button" class="button button--quiet" data-testid={format!("server-{i}-down")}
                    disabled={s == ServerState::Down} onclick={act(ServerState::Down)}>{ "Down" }</button>
            <button type="button" class="button button--quiet" data-testid={format!("server-{i}-slow")}
                    disabled={s == ServerState::Slow} onclick={act(ServerState::Slow)}>{ "Slow ×10" }</button>
            <button type="button" class="button button--quiet" data-testid={format!("server-{i}-recover")}
                    disabled={s == ServerState::Up} onclick={act(ServerState::Up)}>{ "Recover" }</button>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct CardWeightProps {
    index: usize,
    /// The configured weight at the cursor.
    weight: u32,
    on_weight: Callback<(usize, u32)>,
}

/// The weight field: what the user types stays here (rewinding never loses it); only a whole
/// number from 0 to 1000 becomes an action.
#[component]
fn CardWeight(props: &CardWeightProps) -> Html {
    let i = props.index;
    let text = use_state(|| None::<String>);
    let error = use_state(|| None::<String>);
    let shown = (*text).clone().unwrap_or_else(|| props.weight.to_string());
    let on_input = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| {
            text.set(Some(e.target_unchecked_into::<web_sys::HtmlInputElement>().value()))
        })
    };
    let on_submit = {
        let (text, error, cb, current) = (text.clone(), error.clone(), props.on_weight.clone(), props.weight);
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let raw = (*text).clone().unwrap_or_else(|| current.to_string());
            match raw.trim().parse::<u32>() {
                Ok(w) if w <= crate::balance::replay::MAX_WEIGHT => {
                    error.set(None);
                    text.set(None);
                    cb.emit((i, w));
                }
                _ => error.set(Some(format!("weight {raw:?} is not accepted; expected a whole number from 0 to 1000"))),
            }
        })
    };
    html! {
        <form class="lb-card__weight" novalidate=true onsubmit={on_submit} data-testid={format!("server-{i}-weight-form")}>
            <label>
                { "weight " }
                <input type="number" min="0" max="1000" step="1" inputmode="numeric" value={shown}
                       aria-label={format!("Weight of server {i}")} data-testid={format!("server-{i}-weight")}
                       oninput={on_input} />
            </label>
            <button type="submit" class="button button--quiet" data-testid={format!("server-{i}-set-weight")}>{ "Set" }</button>
            if let Some(e) = &*error {
                <span class="lb-bad" role="alert" data-testid={format!("server-{i}-weight-error")}>{ e.clone() }</span>
            }
        </form>
    }
}
