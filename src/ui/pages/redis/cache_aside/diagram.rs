//! Pictures of the cache-aside demo: one request's path as a sequence diagram (app, Redis, origin
//! API) and the latency scatter where hits and misses separate. SVG attributes and classes only
//! (no inline styles); colours come from `styles/redis.css` through theme variables.

use std::fmt::Write;
use std::rc::Rc;

use yew::prelude::*;

use crate::redis::cache_aside::{Outcome, RequestRecord};
use crate::ui::components::chart::{nice_ticks, short_number};
use crate::ui::hooks::{use_sampled, use_step_key};

const LANE_APP: f64 = 42.0;
const LANE_REDIS: f64 = 160.0;
const LANE_API: f64 = 278.0;
const SEQ_W: f64 = 320.0;
const SEQ_H: f64 = 236.0;

#[derive(Properties, PartialEq)]
pub struct SequenceProps {
    pub record: RequestRecord,
    /// The run's clock in ms since it began: messages not sent yet are not drawn.
    pub now_ms: u64,
    pub ttl_s: u64,
}

/// One message arrow from lane `from` to lane `to` at height `y`, labelled above the line.
fn message(from: f64, to: f64, y: f64, label: String, class: &'static str, testid: &'static str) -> Html {
    let dir = if to > from { 1.0 } else { -1.0 };
    let tip = to - dir * 2.0;
    let head =
        format!("M{tip:.1},{y:.1} L{:.1},{:.1} L{:.1},{:.1} Z", tip - dir * 8.0, y - 4.0, tip - dir * 8.0, y + 4.0);
    // Labels start just right of the left lane; a long one (a 39-letter user name) is squeezed
    // to fit the diagram rather than clipped.
    let x = from.min(to) + 8.0;
    let room = SEQ_W - x - 4.0;
    let estimate = label.chars().count() as f64 * 7.0;
    let fit = (estimate > room).then(|| format!("{room:.0}"));
    html! {
        <g class={classes!("ca-seq__msg", class)} data-testid={testid}>
            <line x1={format!("{:.1}", from + dir * 2.0)} x2={format!("{:.1}", tip - dir * 6.0)} y1={y.to_string()} y2={y.to_string()} />
            <path d={head} />
            <text class="ca-seq__label" x={x.to_string()} y={(y - 5.0).to_string()}
                  textLength={fit.clone()} lengthAdjust={fit.as_ref().map(|_| "spacingAndGlyphs")}>{ label }</text>
        </g>
    }
}

/// The path of one request: GET, then (on a miss) the origin call and SETEX, then the reply.
#[component]
pub fn SequenceDiagram(props: &SequenceProps) -> Html {
    let r = &props.record;
    let now = props.now_ms;
    let hit = r.outcome.is_hit();
    // The key the app used, as the core makes it (the reference keys by the username itself).
    let key = crate::redis::cache_aside::cache_key(&r.user);
    let mut msgs: Vec<Html> = Vec::new();
    msgs.push(message(LANE_APP, LANE_REDIS, 56.0, format!("GET {key}"), "ca-seq__msg--req", "seq-get"));
    if now >= r.get_reply_ms {
        let reply = r.commands.first().map(|c| c.reply.clone()).unwrap_or_default();
        let class = if hit { "ca-seq__msg--hit" } else { "ca-seq__msg--miss" };
        msgs.push(message(LANE_REDIS, LANE_APP, 84.0, reply, class, "seq-get-reply"));
    }
    if !hit && now >= r.get_reply_ms {
        msgs.push(message(
            LANE_APP,
            LANE_API,
            112.0,
            format!("count repos of {}", r.user),
            "ca-seq__msg--origin",
            "seq-origin",
        ));
        match r.origin_reply_ms {
            Some(t) if now >= t => {
                let took = t - r.get_reply_ms;
                let count = r.count.map(|c| c.to_string()).unwrap_or_default();
                msgs.push(message(
                    LANE_API,
                    LANE_APP,
                    140.0,
                    format!("{count} ({took} ms)"),
                    "ca-seq__msg--origin",
                    "seq-origin-reply",
                ));
                let setex = r
                    .commands
                    .get(1)
                    .map(|c| c.command.clone())
                    .unwrap_or_else(|| format!("SETEX {key} {} {count}", props.ttl_s));
                msgs.push(message(LANE_APP, LANE_REDIS, 168.0, setex, "ca-seq__msg--req", "seq-setex"));
                if r.done_ms.is_some_and(|d| now >= d) {
                    msgs.push(message(LANE_REDIS, LANE_APP, 192.0, "OK".into(), "ca-seq__msg--ok", "seq-setex-reply"));
                }
            }
            _ => msgs.push(html! {
                <text class="ca-seq__wait" x={LANE_API.to_string()} y="140" text-anchor="middle">{ "working…" }</text>
            }),
        }
    }
    let (verdict, verdict_class) = match (r.outcome, r.latency_ms()) {
        (Outcome::Hit, Some(l)) => (format!("HIT · {l} ms"), "ca-seq__verdict--hit"),
        (Outcome::Miss { refetch }, Some(l)) => {
            let why = if r.duplicate {
                " (duplicate)"
            } else if refetch {
                " (expired)"
            } else {
                ""
            };
            (format!("MISS{why} · {l} ms"), "ca-seq__verdict--miss")
        }
        (Outcome::Hit, None) => ("HIT · replying…".to_string(), "ca-seq__verdict--hit"),
        (Outcome::Miss { .. }, None) => ("MISS · waiting for the API…".to_string(), "ca-seq__verdict--miss"),
    };
    let title = format!("Request #{} for {}: {}", r.id, r.user, verdict);
    let lane = |x: f64, name: &'static str, idle: bool| {
        html! {
            <g class={classes!("ca-seq__lane", idle.then_some("ca-seq__lane--idle"))}>
                <rect x={(x - 38.0).to_string()} y="8" width="76" height="24" rx="5" />
                <text x={x.to_string()} y="24" text-anchor="middle">{ name }</text>
                <line x1={x.to_string()} x2={x.to_string()} y1="32" y2="204" stroke-dasharray="3 4" />
            </g>
        }
    };
    html! {
        <figure class={classes!("ca-seq", if hit { "ca-seq--hit" } else { "ca-seq--miss" })} data-testid="seq">
            <svg class="ca-seq__svg" viewBox={format!("0 0 {SEQ_W} {SEQ_H}")} role="img" aria-label={title.clone()}>
                <title>{ title }</title>
                { lane(LANE_APP, "App", false) }
                { lane(LANE_REDIS, "Redis", false) }
                { lane(LANE_API, "API", hit) }
                if hit {
                    <text class="ca-seq__skip" x={LANE_API.to_string()} y="120" text-anchor="middle">{ "not called" }</text>
                }
                { for msgs }
                <text class={classes!("ca-seq__verdict", verdict_class)} x={(SEQ_W / 2.0).to_string()} y="226" text-anchor="middle"
                      data-testid="seq-verdict">{ verdict }</text>
            </svg>
            <figcaption>{ format!("#{} {} · t = {:.1} s", r.id, r.user, r.start_ms as f64 / 1000.0) }</figcaption>
        </figure>
    }
}

/// One dot of the scatter: seconds since the run began, latency in ms, hit or miss.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dot {
    pub t_s: f64,
    pub ms: f64,
    pub hit: bool,
}

#[derive(Properties, PartialEq)]
pub struct ScatterProps {
    /// Shared with the demo, which keeps what it last drew between redraws.
    pub dots: Rc<Vec<Dot>>,
}

const W: f64 = 440.0;
const H: f64 = 240.0;
const PAD_L: f64 = 56.0;
const PAD_R: f64 = 12.0;
const PAD_T: f64 = 12.0;
const PAD_B: f64 = 40.0;

/// How often the playing scatter is redrawn: at 100× its 400 dots are all new every few frames,
/// so drawing them every frame buys nothing a reader can see.
const SCATTER_SAMPLE_MS: f64 = 100.0;

/// Latency of each completed request over time on a log axis (1 ms to 1 s): hits lie along the
/// bottom (≈ 5 ms), misses along the top (≈ 380 ms). Redrawn at most every
/// [`SCATTER_SAMPLE_MS`] while playing fast (a step or a typed request at once).
#[component]
pub fn LatencyScatter(props: &ScatterProps) -> Html {
    // Dots come newest first. A step or a typed request moves the newest by well under a virtual
    // second; at 100× a frame moves it by more than one.
    let step = use_step_key(props.dots.first().map_or(0, |d| (d.t_s * 1000.0) as u64), 1000);
    let dots = use_sampled(props.dots.clone(), step, SCATTER_SAMPLE_MS, 0.0);
    html! { <ScatterPlot dots={dots} /> }
}

/// One dot as a path segment: two half-circle arcs of radius 3 around (x, y).
fn dot_path(d: &mut String, x: f64, y: f64) {
    let _ = write!(d, "M{:.1},{y:.1}a3,3 0 1,0 6,0a3,3 0 1,0 -6,0", x - 3.0);
}

/// The scatter itself: one path per colour (hits, misses) instead of a circle per request, so a
/// redraw is two attribute changes, not hundreds of elements to restyle.
#[component]
fn ScatterPlot(props: &ScatterProps) -> Html {
    let (mut x0, mut x1) =
        props.dots.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), d| (a.min(d.t_s), b.max(d.t_s)));
    if !x0.is_finite() {
        (x0, x1) = (0.0, 10.0);
    }
    if x1 - x0 < 10.0 {
        x1 = x0 + 10.0;
    }
    let plot_w = W - PAD_L - PAD_R;
    let plot_h = H - PAD_T - PAD_B;
    let sx = |x: f64| PAD_L + (x - x0) / (x1 - x0) * plot_w;
    // log10 from 0 (1 ms) to 3.2 (≈ 1.6 s).
    let (lo, hi) = (0.0, 3.2);
    let sy = |ms: f64| PAD_T + plot_h - ((ms.max(1.0).log10() - lo) / (hi - lo)).clamp(0.0, 1.0) * plot_h;
    let y_ticks = [1.0, 10.0, 100.0, 1000.0];
    let (mut hits, mut misses) = (String::new(), String::new());
    let (mut n_hits, mut n_misses) = (0usize, 0usize);
    for d in props.dots.iter() {
        if d.hit {
            dot_path(&mut hits, sx(d.t_s), sy(d.ms));
            n_hits += 1;
        } else {
            dot_path(&mut misses, sx(d.t_s), sy(d.ms));
            n_misses += 1;
        }
    }
    html! {
        <figure class="chart-figure" data-testid="ca-latency-chart">
            <svg class="chart ca-scatter" viewBox={format!("0 0 {W} {H}")} role="img"
                 aria-label="Latency of each request over time: hits near 5 ms, misses near 370 ms">
                <title>{ "Latency of each request over time" }</title>
                { for y_ticks.iter().map(|t| { let y = sy(*t); html! {
                    <g>
                        <line class="grid" x1={PAD_L.to_string()} x2={(W - PAD_R).to_string()} y1={y.to_string()} y2={y.to_string()} stroke-dasharray="2 3" />
                        <text x={(PAD_L - 6.0).to_string()} y={(y + 4.0).to_string()} text-anchor="end">{ short_number(*t) }</text>
                    </g>
                }}) }
                { for nice_ticks(x0, x1, 5).iter().map(|t| html! {
                    <text x={sx(*t).to_string()} y={(H - PAD_B + 16.0).to_string()} text-anchor="middle">{ short_number(*t) }</text>
                }) }
                <line class="axis" x1={PAD_L.to_string()} x2={PAD_L.to_string()} y1={PAD_T.to_string()} y2={(H - PAD_B).to_string()} />
                <line class="axis" x1={PAD_L.to_string()} x2={(W - PAD_R).to_string()} y1={(H - PAD_B).to_string()} y2={(H - PAD_B).to_string()} />
                <text x={(PAD_L + plot_w / 2.0).to_string()} y={(H - 6.0).to_string()} text-anchor="middle">{ "virtual time (s)" }</text>
                <text x="12" y={(PAD_T + plot_h / 2.0).to_string()} text-anchor="middle"
                      transform={format!("rotate(-90 12 {})", PAD_T + plot_h / 2.0)}>{ "latency (ms, log)" }</text>
                <path class="ca-dot ca-dot--hit" d={hits} data-testid="ca-dots-hit" data-count={n_hits.to_string()} />
                <path class="ca-dot ca-dot--miss" d={misses} data-testid="ca-dots-miss" data-count={n_misses.to_string()} />
            </svg>
            <ul class="legend">
                <li><svg viewBox="0 0 10 10" aria-hidden="true"><circle class="ca-dot ca-dot--hit" cx="5" cy="5" r="4" /></svg>{ "hit (answer from Redis)" }</li>
                <li><svg viewBox="0 0 10 10" aria-hidden="true"><circle class="ca-dot ca-dot--miss" cx="5" cy="5" r="4" /></svg>{ "miss (origin API called)" }</li>
            </ul>
        </figure>
    }
}
