//! The swimlane timeline along virtual time: per worker its state intervals (coloured by state) and
//! a "believes it holds the lock" bar, GC pauses hatched; a lane per Redis instance with the lock
//! key's owner and a TTL-left sawtooth; the storage service's writes as ticks; mutual-exclusion
//! violations as red bands across every lane; "now" as a line. Only what falls in the visible
//! window is drawn (lanes are sorted, so the window is found by binary search).

use yew::prelude::*;

use crate::lock::runtime::{LaneState, RedisSpan, StateSpan};
use crate::lock::LockRuntime;
use crate::sim::SimTime;
use crate::ui::components::chart::nice_ticks;

pub const VIEW_W: f64 = 1000.0;
pub const GUTTER: f64 = 92.0;
const RIGHT: f64 = 10.0;
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
        let span = self.end.saturating_sub(self.start).max(1) as f64;
        GUTTER + (t as f64 - self.start as f64) / span * (VIEW_W - GUTTER - RIGHT)
    }
    /// Ms of virtual time per SVG unit.
    pub fn ms_per_unit(&self) -> f64 {
        self.end.saturating_sub(self.start).max(1) as f64 / (VIEW_W - GUTTER - RIGHT)
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
    if frac == 0 {
        if s < 60 { format!("{base}s") } else { base }
    } else {
        format!("{base}.{:0>3}", frac).trim_end_matches('0').to_string() + if s < 60 { "s" } else { "" }
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

/// The slice of `lane` overlapping `[start, end]` (spans are ordered by `from`).
fn visible<'a, T>(lane: &'a [T], from: impl Fn(&T) -> u64, start: u64, end: u64) -> &'a [T] {
    let first = lane.partition_point(|s| from(s) < start).saturating_sub(1);
    let last = lane.partition_point(|s| from(s) <= end);
    &lane[first.min(last)..last]
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
    let clamp_x = |t: u64| win.x(t.clamp(win.start, win.end));
    let ttl = rt.scenario().ttl_ms.max(1) as f64;

    // Which worker a lock value names: current ids plus ids seen in the window (restarts change ids).
    let mut owners: Vec<(String, usize)> = Vec::new();
    let mut worker_lanes = Vec::with_capacity(workers);
    let mut y = 8.0;
    for w in 0..workers {
        let Some(v) = rt.worker_view(w) else { continue };
        let spans: &[StateSpan] = visible(v.lane, |s| rel(s.from), win.start, win.end);
        for s in spans {
            if !owners.iter().any(|(id, _)| *id == s.worker_id) {
                owners.push((s.worker_id.clone(), w));
            }
        }
        if !owners.iter().any(|(id, _)| id == v.id) {
            owners.push((v.id.to_string(), w));
        }
        let band_y = y + 2.0;
        let rects = spans.iter().map(|s| {
            let from = rel(s.from);
            let to = s.to.map_or(now_rel, rel);
            let (x1, x2) = (clamp_x(from), clamp_x(to));
            let width = (x2 - x1).max(0.6);
            let believes = matches!(s.state, LaneState::State(st) if st.believes_it_holds());
            html! {
                <>
                    <rect class={classes!("lk-span", state_class(&s.state))} x={f(x1)} y={f(band_y)} width={f(width)} height="14">
                        <title>{ format!("worker-{w} {} from {} to {}", state_text(&s.state), tick_label(from), tick_label(to)) }</title>
                    </rect>
                    if believes {
                        <rect class="lk-belief" x={f(x1)} y={f(band_y + 16.0)} width={f(width)} height="5" />
                    }
                </>
            }
        });
        let pauses = v.pauses.iter().filter(|p| rel(p.from) <= win.end && p.to.map_or(now_rel, rel) >= win.start).map(|p| {
            let from = rel(p.from);
            // A pause scheduled to end later is drawn only up to now.
            let to = p.to.map_or(now_rel, rel).min(now_rel);
            let (x1, x2) = (clamp_x(from), clamp_x(to));
            html! {
                <rect class="lk-pause" x={f(x1)} y={f(band_y - 1.0)} width={f((x2 - x1).max(0.0))} height="16">
                    <title>{ format!("worker-{w} paused (GC) from {}", tick_label(from)) }</title>
                </rect>
            }
        });
        worker_lanes.push(html! {
            <g class={classes!("lk-lane", format!("owner-{}", w % 8))} data-testid={format!("lane-worker-{w}")}>
                <rect class="lk-lane__swatch" x="4" y={f(band_y + 1.0)} width="6" height="18" rx="2" />
                <text class="lk-lane__label" x="14" y={f(band_y + 12.0)}>{ format!("worker-{w}") }</text>
                { for rects }
                { for pauses }
            </g>
        });
        y += WORKER_LANE;
    }

    let owner_of = |value: &str| owners.iter().find(|(id, _)| id == value).map(|(_, w)| *w);
    let mut redis_lanes = Vec::with_capacity(instances);
    for i in 0..instances {
        let Some(r) = rt.redis_view(i, now) else { continue };
        let spans: &[RedisSpan] = visible(r.lane, |s| rel(s.from), win.start, win.end);
        let band_y = y + 3.0;
        let band_h = REDIS_LANE - 8.0;
        let mut ttl_path = String::new();
        let rects = spans.iter().map(|s| {
            let from = rel(s.from);
            let to = s.to.map_or(now_rel, rel);
            let (x1, x2) = (clamp_x(from), clamp_x(to));
            let width = (x2 - x1).max(0.6);
            if !s.up {
                return html! {
                    <rect class="lk-redis-down" x={f(x1)} y={f(band_y)} width={f(width)} height={f(band_h)}>
                        <title>{ format!("redis-{i} down from {}", tick_label(from)) }</title>
                    </rect>
                };
            }
            let Some(value) = s.value.as_deref() else { return html! {} };
            if let Some(exp) = s.expires_at {
                let left = |t: u64| (rel(exp) as f64 - t as f64).max(0.0) / ttl;
                let a = from.clamp(win.start, win.end);
                let b = to.clamp(win.start, win.end);
                let ya = band_y + band_h - left(a).min(1.0) * band_h;
                let yb = band_y + band_h - left(b).min(1.0) * band_h;
                ttl_path.push_str(&format!("M{} {} L{} {} ", f(win.x(a)), f(ya), f(win.x(b)), f(yb)));
            }
            let owner = owner_of(value);
            let label = owner.map_or_else(|| "?".to_string(), |w| format!("w{w}"));
            html! {
                <>
                    <rect class={classes!("lk-redis-value", owner.map(|w| format!("owner-{}", w % 8)))}
                          x={f(x1)} y={f(band_y)} width={f(width)} height={f(band_h)}>
                        <title>{ format!("redis-{i}: {} = {value} from {}", r.lock_key, tick_label(from)) }</title>
                    </rect>
                    if width > 26.0 {
                        <text class="lk-redis-value__label" x={f(x1 + 4.0)} y={f(band_y + 11.0)}>{ label }</text>
                    }
                </>
            }
        }).collect::<Html>();
        redis_lanes.push(html! {
            <g class="lk-lane lk-lane--redis" data-testid={format!("lane-redis-{i}")}>
                <text class="lk-lane__label" x="4" y={f(band_y + 10.0)}>{ format!("redis-{i}") }</text>
                <text class="lk-lane__sublabel" x="4" y={f(band_y + 21.0)}>{ "value · TTL" }</text>
                <rect class="lk-lane__bg" x={f(GUTTER)} y={f(band_y)} width={f(VIEW_W - GUTTER - RIGHT)} height={f(band_h)} />
                { rects }
                <path class="lk-ttl" d={ttl_path} />
            </g>
        });
        y += REDIS_LANE;
    }

    // Writes to the protected resource.
    let writes = rt.writes();
    let first = writes.partition_point(|w| rel(w.at) < win.start);
    let last = writes.partition_point(|w| rel(w.at) <= win.end);
    let wy = y + 4.0;
    let ticks = writes[first..last].iter().map(|wr| {
        let x = win.x(rel(wr.at));
        let (class, what) = if !wr.accepted {
            ("lk-write lk-write--rejected", "rejected by fencing")
        } else if wr.stale {
            ("lk-write lk-write--stale", "STALE write accepted")
        } else if wr.duplicate_or_out_of_order {
            ("lk-write lk-write--dup", "duplicate or out of order")
        } else {
            ("lk-write lk-write--ok", "accepted")
        };
        let title = format!("{} worker-{} wrote job {}: {what}", tick_label(rel(wr.at)), wr.worker, wr.job);
        if !wr.accepted {
            html! {
                <path class={class} d={format!("M{} {} l8 8 M{} {} l-8 8", f(x - 4.0), f(wy + 2.0), f(x + 4.0), f(wy + 2.0))} data-testid="write-rejected">
                    <title>{ title }</title>
                </path>
            }
        } else {
            html! {
                <line class={class} x1={f(x)} x2={f(x)} y1={f(wy)} y2={f(wy + 14.0)}
                      data-testid={if wr.stale { "write-stale" } else { "write" }}>
                    <title>{ title }</title>
                </line>
            }
        }
    });
    let writes_lane = html! {
        <g class="lk-lane lk-lane--writes">
            <text class="lk-lane__label" x="4" y={f(wy + 11.0)}>{ "writes" }</text>
            { for ticks }
        </g>
    };
    y += WRITES_LANE;

    // Violations: red bands across every lane.
    let violations = rt
        .violations()
        .iter()
        .filter(|v| rel(v.span.from) <= win.end && v.span.to.map_or(now_rel, rel) >= win.start)
        .map(|v| {
            let from = rel(v.span.from);
            let to = v.span.to.map_or(now_rel, rel);
            let (x1, x2) = (clamp_x(from), clamp_x(to));
            let who = v.workers.iter().map(|w| format!("worker-{w}")).collect::<Vec<_>>().join(" and ");
            html! {
                <g class="lk-violation" data-testid="timeline-violation">
                    <rect x={f(x1)} y="2" width={f((x2 - x1).max(2.0))} height={f(lanes_bottom - 2.0)} />
                    <rect class="lk-violation__cap" x={f(x1)} y="0" width={f((x2 - x1).max(2.0))} height="4" />
                    <title>{ format!("Mutual exclusion violated from {} to {}: {who} both believe they hold the lock", tick_label(from), tick_label(to)) }</title>
                </g>
            }
        });

    let ticks = nice_ticks(win.start as f64 / 1000.0, win.end as f64 / 1000.0, 8);
    let axis = ticks.iter().map(|t| {
        let ms = (t * 1000.0).round().max(0.0) as u64;
        let x = win.x(ms);
        html! {
            <g class="lk-axis__tick">
                <line x1={f(x)} x2={f(x)} y1="4" y2={f(y + 4.0)} />
                <text x={f(x)} y={f(y + 18.0)} text-anchor="middle">{ tick_label(ms) }</text>
            </g>
        }
    });
    let now_x = (now_rel >= win.start && now_rel <= win.end).then(|| win.x(now_rel));
    let label = format!(
        "Timeline from {} to {}: {} worker lanes, {} Redis lanes, writes; {} violation(s) so far",
        tick_label(win.start),
        tick_label(win.end),
        workers,
        instances,
        rt.violations().len()
    );
    html! {
        <>
            <defs>
                <pattern id="lk-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
                    <rect class="lk-hatch__bg" width="6" height="6" />
                    <line class="lk-hatch__line" x1="0" y1="0" x2="0" y2="6" />
                </pattern>
            </defs>
            <title>{ label }</title>
            <g class="lk-axis">{ for axis }</g>
            { for worker_lanes }
            { for redis_lanes }
            { writes_lane }
            { for violations }
            if let Some(x) = now_x {
                <line class="lk-now" x1={f(x)} x2={f(x)} y1="0" y2={f(lanes_bottom)} data-testid="timeline-now" />
            }
        </>
    }
}
