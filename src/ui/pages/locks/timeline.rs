//! The swimlane timeline along virtual time: per worker its state intervals (coloured by state) and
//! a "believes it holds the lock" bar, GC pauses hatched; a lane per Redis instance with the lock
//! key's owner and a TTL-left sawtooth; the storage service's writes as ticks; lease overlaps (two
//! holders) as hatched bands across every lane with a "2 holders" label, so they read without
//! colour; "now" as a line. Worker identity colours (`owner-N`) and state colours (`st-*`) are two
//! disjoint palettes, checked for colour-blind-safe distance by `tests/lock_page_views.rs`.
//!
//! Cheap to redraw every frame: everything that lives in time is drawn in a group whose x unit is
//! one virtual millisecond since the run started, scaled and shifted by one `transform`, and keyed,
//! so panning or following "now" changes one attribute instead of every rectangle. Only what falls
//! in the visible window is drawn (lanes are sorted, so it is found by binary search).

use std::collections::BTreeMap;
use std::fmt::Write;

use yew::prelude::*;

use crate::lock::runtime::{LaneState, RedisSpan, StateSpan};
use crate::lock::LockRuntime;
use crate::sim::{History, SimTime};
use crate::ui::components::chart::nice_ticks;

pub const VIEW_W: f64 = 1000.0;
pub const GUTTER: f64 = 92.0;
const RIGHT: f64 = 22.0;
const PLOT_W: f64 = VIEW_W - GUTTER - RIGHT;
const WORKER_LANE: f64 = 26.0;
const REDIS_LANE: f64 = 32.0;
const WRITES_LANE: f64 = 24.0;
const AXIS: f64 = 24.0;

/// The visible window, in ms since the run started.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    pub start: u64,
    pub end: u64,
}

impl Window {
    pub fn x(&self, t: u64) -> f64 {
        GUTTER + (t as f64 - self.start as f64) / self.span() * PLOT_W
    }
    fn span(&self) -> f64 {
        self.end.saturating_sub(self.start).max(1) as f64
    }
    /// Ms of virtual time per SVG unit.
    pub fn ms_per_unit(&self) -> f64 {
        self.span() / PLOT_W
    }
}

/// `12s`, `1:05`, `1:02:03`: tick labels.
pub fn tick_label(ms: u64) -> String {
    let s = ms / 1000;
    let frac = ms % 1000;
    let base = if s < 60 {
        format!("{s}")
    } else if s < 3600 {
        format!("{}:{:02}", s / 60, s % 60)
    } else {
        format!("{}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
    };
    let base = if frac == 0 { base } else { format!("{base}.{frac:03}").trim_end_matches('0').to_string() };
    if s < 60 {
        format!("{base}s")
    } else {
        base
    }
}

/// The total height of the timeline's SVG for this many lanes.
pub fn height(workers: usize, instances: usize) -> f64 {
    8.0 + workers as f64 * WORKER_LANE + instances as f64 * REDIS_LANE + WRITES_LANE + AXIS
}

fn state_class(s: &LaneState) -> String {
    match s {
        LaneState::NotStarted => "st-not_started".into(),
        LaneState::Crashed => "st-crashed".into(),
        LaneState::State(st) => format!("st-{}", st.name()),
    }
}

fn state_text(s: &LaneState) -> &'static str {
    match s {
        LaneState::NotStarted => "not started",
        LaneState::Crashed => "crashed",
        LaneState::State(st) => st.name(),
    }
}

/// The index range of `lane` overlapping `[start, end]` (spans are ordered by `from`).
fn visible<T>(lane: &History<T>, from: impl Fn(&T) -> u64, start: u64, end: u64) -> std::ops::Range<usize> {
    let first = lane.partition_point(|s| from(s) < start).saturating_sub(1);
    let last = lane.partition_point(|s| from(s) <= end);
    first.min(last)..last
}

fn f(v: f64) -> String {
    format!("{v:.1}")
}

/// Draws the timeline of `rt` at `now` over `win`.
pub fn view(rt: &LockRuntime, now: SimTime, win: Window) -> Html {
    let start = rt.start();
    let rel = |t: SimTime| t.saturating_since(start).0;
    let now_rel = rel(now);
    let workers = rt.worker_count();
    let instances = rt.redis_count();
    let h = height(workers, instances);
    let lanes_bottom = h - AXIS;
    let ttl = rt.scenario().ttl_ms.max(1) as f64;
    // Narrow spans stay visible: at least 0.6 SVG units wide (in ms, so it changes only on zoom).
    let min_w = (win.ms_per_unit() * 0.6).ceil().max(1.0) as u64;
    let width_ms = |from: u64, to: u64| to.saturating_sub(from).max(min_w);

    let mut labels = Vec::new();
    let mut lanes = Vec::new();
    let mut y = 8.0;
    for w in 0..workers {
        let Some(v) = rt.worker_view(w) else { continue };
        let range = visible(v.lane, |s| rel(s.from), win.start, win.end);
        let band_y = f(y + 2.0);
        let belief_y = f(y + 18.0);
        // One path per state colour (and one for the belief bar) instead of an element per span:
        // a contended lane has hundreds of short spans in view, and the element count, not the
        // geometry, is what Chromium pays for every frame.
        let mut by_state: BTreeMap<String, String> = BTreeMap::new();
        let mut belief = String::new();
        for s in range.map(|i| &v.lane[i]) {
            let s: &StateSpan = s;
            let from = rel(s.from);
            let to = s.to.map_or(now_rel, rel);
            let w = width_ms(from, to);
            if matches!(s.state, LaneState::NotStarted) {
                continue;
            }
            let d = by_state.entry(state_class(&s.state)).or_default();
            let _ = write!(d, "M{from} {band_y}h{w}v14h-{w}Z");
            if matches!(s.state, LaneState::State(st) if st.believes_it_holds()) {
                let _ = write!(belief, "M{from} {belief_y}h{w}v5h-{w}Z");
            }
        }
        let rects = by_state
            .into_iter()
            .map(|(class, d)| html! { <path key={class.clone()} class={classes!("lk-span", class)} d={d} /> })
            .chain((!belief.is_empty()).then(|| html! { <path key="belief" class="lk-belief" d={belief} /> }));
        let pauses = v.pauses.iter().enumerate().filter(|(_, p)| rel(p.from) <= win.end && p.to.map_or(now_rel, rel) >= win.start).map(|(i, p)| {
            let from = rel(p.from);
            // A pause scheduled to end later is drawn only up to now.
            let to = p.to.map_or(now_rel, rel).min(now_rel);
            html! {
                <rect key={format!("p{i}")} class="lk-pause" vector-effect="non-scaling-stroke" x={from.to_string()} y={f(y + 1.0)} width={to.saturating_sub(from).to_string()} height="16">
                    <title>{ format!("worker-{w} paused (GC) from {}", tick_label(from)) }</title>
                </rect>
            }
        });
        lanes.push(html! {
            <g key={format!("w{w}")} data-testid={format!("lane-worker-{w}")}>{ for rects }{ for pauses }</g>
        });
        labels.push(html! {
            <g class={format!("owner-{}", w % 8)}>
                <rect class="lk-lane__swatch" x="4" y={f(y + 3.0)} width="6" height="18" rx="2" />
                <text class="lk-lane__label" x="14" y={f(y + 14.0)}>{ format!("worker-{w}") }</text>
                <title>{ format!("worker-{w}: {}", v.lane.last().map_or("not started", |s| state_text(&s.state))) }</title>
            </g>
        });
        y += WORKER_LANE;
    }

    let mut value_labels = Vec::new();
    for i in 0..instances {
        let Some(r) = rt.redis_view(i, now) else {
            continue;
        };
        let range = visible(r.lane, |s| rel(s.from), win.start, win.end);
        let band_y = y + 3.0;
        let band_h = REDIS_LANE - 8.0;
        let mut ttl_path = String::new();
        // Runs of one value (renewals split spans) get one label.
        let mut run: Option<(u64, u64, Option<usize>, String)> = None;
        let flush = |run: Option<(u64, u64, Option<usize>, String)>, out: &mut Vec<Html>| {
            let Some((from, to, owner, _)) = run else {
                return;
            };
            let (x1, x2) = (win.x(from.max(win.start)), win.x(to.min(win.end)));
            if x2 - x1 > 26.0 {
                out.push(html! {
                    <text class="lk-redis-value__label" x={f(x1 + 4.0)} y={f(band_y + 11.0)}>{ owner.map_or("?".to_string(), |w| format!("w{w}")) }</text>
                });
            }
        };
        let rects = range.map(|k| {
            let s: &RedisSpan = &r.lane[k];
            let from = rel(s.from);
            let to = s.to.map_or(now_rel, rel);
            if !s.up {
                flush(run.take(), &mut value_labels);
                return html! {
                    <rect key={k} class="lk-redis-down" vector-effect="non-scaling-stroke" x={from.to_string()} y={f(band_y)} width={width_ms(from, to).to_string()} height={f(band_h)}>
                        <title>{ format!("redis-{i} down from {}", tick_label(from)) }</title>
                    </rect>
                };
            }
            let Some(value) = s.value.as_deref() else {
                flush(run.take(), &mut value_labels);
                return html! { <g key={k}></g> };
            };
            if let Some(exp) = s.expires_at {
                let left = |t: u64| (rel(exp) as f64 - t as f64).max(0.0) / ttl;
                let ya = band_y + band_h - left(from).min(1.0) * band_h;
                let yb = band_y + band_h - left(to).min(1.0) * band_h;
                ttl_path.push_str(&format!("M{from} {} L{to} {} ", f(ya), f(yb)));
            }
            let owner = s.owner;
            match &mut run {
                Some((_, end, _, v)) if v == value => *end = to,
                _ => {
                    flush(run.take(), &mut value_labels);
                    run = Some((from, to, owner, value.to_string()));
                }
            }
            html! {
                <rect key={k} class={classes!("lk-redis-value", owner.map(|w| format!("owner-{}", w % 8)))}
                      x={from.to_string()} y={f(band_y)} width={width_ms(from, to).to_string()} height={f(band_h)}>
                    <title>{ format!("redis-{i}: {} = {value} from {}", r.lock_key, tick_label(from)) }</title>
                </rect>
            }
        }).collect::<Vec<Html>>();
        flush(run.take(), &mut value_labels);
        lanes.push(html! {
            <g key={format!("r{i}")} class="lk-lane--redis" data-testid={format!("lane-redis-{i}")}>
                { for rects }
                <path class="lk-ttl" d={ttl_path} vector-effect="non-scaling-stroke" />
            </g>
        });
        labels.push(html! {
            <g>
                <text class="lk-lane__label" x="4" y={f(band_y + 10.0)}>{ format!("redis-{i}") }</text>
                <text class="lk-lane__sublabel" x="4" y={f(band_y + 21.0)}>{ "value · TTL" }</text>
                <rect class="lk-lane__bg" x={f(GUTTER)} y={f(band_y)} width={f(PLOT_W)} height={f(band_h)} />
            </g>
        });
        y += REDIS_LANE;
    }

    // Writes to the protected resource: vertical ticks (non-scaling strokes keep their width).
    let writes = rt.writes();
    let first = writes.partition_point(|w| rel(w.at) < win.start);
    let last = writes.partition_point(|w| rel(w.at) <= win.end);
    let wy = y + 4.0;
    let ticks = (first..last).map(|i| {
        let wr = &writes[i];
        let x = rel(wr.at).to_string();
        let (class, what, testid) = if !wr.accepted {
            ("lk-write lk-write--rejected", "rejected by fencing", "write-rejected")
        } else if wr.stale {
            ("lk-write lk-write--stale", "STALE write accepted", "write-stale")
        } else if wr.duplicate_or_out_of_order {
            ("lk-write lk-write--dup", "duplicate or out of order", "write")
        } else {
            ("lk-write lk-write--ok", "accepted", "write")
        };
        html! {
            <line key={i} class={class} x1={x.clone()} x2={x} y1={f(wy)} y2={f(wy + 14.0)} vector-effect="non-scaling-stroke" data-testid={testid}>
                <title>{ format!("{} worker-{} wrote job {}: {what}", tick_label(rel(wr.at)), wr.worker, wr.job) }</title>
            </line>
        }
    });
    lanes.push(html! { <g key="writes">{ for ticks }</g> });
    labels.push(html! { <text class="lk-lane__label" x="4" y={f(wy + 11.0)}>{ "writes" }</text> });
    y += WRITES_LANE;

    // Lease overlaps: hatched bands across every lane with a label, drawn in screen units (so the
    // hatching is not stretched by the time scale), clipped to the plot.
    let violations = rt
        .violations()
        .iter()
        .enumerate()
        .filter(|(_, v)| rel(v.span.from) <= win.end && v.span.to.map_or(now_rel, rel) >= win.start)
        .map(|(i, v)| {
            let from = rel(v.span.from);
            let to = v.span.to.map_or(now_rel, rel);
            let who = v.workers.iter().map(|w| format!("worker-{w}")).collect::<Vec<_>>().join(" and ");
            let x1 = win.x(from.max(win.start));
            let x2 = win.x(to.min(win.end)).max(x1 + 3.0);
            let label = format!("{} holders", v.workers.len());
            html! {
                <g key={i} class="lk-violation" data-testid="timeline-violation">
                    <rect class="lk-violation__band" x={f(x1)} y="2" width={f(x2 - x1)} height={f(lanes_bottom - 2.0)} />
                    <rect class="lk-violation__hatch" x={f(x1)} y="2" width={f(x2 - x1)} height={f(lanes_bottom - 2.0)} />
                    <rect class="lk-violation__cap" x={f(x1)} y="0" width={f(x2 - x1)} height="4" />
                    if x2 - x1 > 58.0 {
                        <text class="lk-violation__label" x={f(x1 + 4.0)} y="15">{ label }</text>
                    } else if x2 - x1 > 9.0 {
                        <text class="lk-violation__label" x={f(x1 + 2.0)} y="15">{ v.workers.len().to_string() }</text>
                    }
                    <title>{ match v.span.to {
                        Some(_) => format!("Lease overlap from {} to {}: {who} believed they held the lock", tick_label(from), tick_label(to)),
                        None => format!("Lease overlap since {}: {who} believe they hold the lock", tick_label(from)),
                    } }</title>
                </g>
            }
        })
        .collect::<Html>();

    let ticks = nice_ticks(win.start as f64 / 1000.0, win.end as f64 / 1000.0, 8);
    let axis = ticks.iter().map(|t| {
        let ms = (t * 1000.0).round().max(0.0) as u64;
        let x = win.x(ms);
        html! {
            <g>
                <line x1={f(x)} x2={f(x)} y1="4" y2={f(y + 4.0)} />
                <text x={f(x)} y={f(y + 18.0)} text-anchor="middle">{ tick_label(ms) }</text>
            </g>
        }
    });
    let now_x = (now_rel >= win.start && now_rel <= win.end).then(|| win.x(now_rel));
    let label = format!(
        "Timeline from {} to {}: {} worker lanes, {} Redis lanes, writes; {} lease overlap(s) so far",
        tick_label(win.start),
        tick_label(win.end),
        workers,
        instances,
        rt.violations().len()
    );
    let k = PLOT_W / win.span();
    html! {
        <>
            <defs>
                <pattern id="lk-hatch" patternUnits="userSpaceOnUse" width="7" height="7" patternTransform="rotate(45)">
                    <rect class="lk-hatch__stripe" width="3" height="7" />
                </pattern>
                <clipPath id="lk-plot-clip">
                    <rect x={f(GUTTER)} y="0" width={f(PLOT_W)} height={f(lanes_bottom)} />
                </clipPath>
            </defs>
            <title>{ label }</title>
            <g class="lk-axis">{ for axis }</g>
            <g class="lk-lanes">{ for labels }</g>
            <g clip-path="url(#lk-plot-clip)">
                <g transform={format!("translate({GUTTER} 0) scale({k:.6} 1) translate(-{} 0)", win.start)}>{ for lanes }</g>
                { for value_labels }
                { violations }
            </g>
            if let Some(x) = now_x {
                <line class="lk-now" x1={f(x)} x2={f(x)} y1="0" y2={f(lanes_bottom)} data-testid="timeline-now" />
            }
        </>
    }
}
