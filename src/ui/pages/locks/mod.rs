//! The locks playground page: a fleet of lock workers against modeled Redis, played by the shared
//! controls bar. It draws each worker's state machine, a swimlane timeline with the safety
//! checker's violations, the Redis panel, the event log, the safety summary, and the scenario's
//! controls (kept in the URL).
//!
//! State: the run is a `use_mut_ref` `Simulation<LockRuntime>` driven by `use_playback`; every
//! button calls the core (`Simulation::act` + `LockRuntime::apply_action`) and asks for a redraw;
//! changing the scenario rebuilds the run. The page's own view state (timeline window, log filter,
//! open dialog, form errors) lives in small hooks. No model logic lives here.

mod diagram;
mod timeline;

use std::cell::RefCell;
use std::rc::Rc;

use gloo_events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::lock::client::ConnState;
use crate::lock::url::{self as params, Dur, CUSTOM};
use crate::lock::{
    self, preset_description, Action, LockRuntime, ReleaseVariant, RenewVariant, Scenario, Target,
    Verdict, WorkerStatus, ACQUIRE_WITH_TOKEN_LUA, COMPARE_AND_DELETE_LUA, COMPARE_AND_EXTEND_LUA,
    EXPLAIN_CLIENT, EXPLAIN_FENCING, EXPLAIN_FENCING_REDLOCK, EXPLAIN_REDLOCK,
    EXPLAIN_RELEASE_ATOMIC, EXPLAIN_RELEASE_NAIVE_DEL, EXPLAIN_RELEASE_REFERENCE,
    EXPLAIN_RENEW_ATOMIC, EXPLAIN_RENEW_GET_THEN_EXPIRE, PRESET_IDS,
};
use crate::sim::{SimDuration, SimTime, Simulation};
use crate::ui::components::{ControlsBar, Modal, PageHeader, ParamNotices};
use crate::ui::hooks::{use_playback, use_url_params, PlaybackHandle};
use crate::ui::Route;
use diagram::{LastTransition, StateDiagram};
use timeline::Window;

type Run = Simulation<LockRuntime>;

/// The page's epoch: the browser's current time, read only here, at the edge.
fn epoch_now() -> SimTime {
    SimTime::from_unix_ms(js_sys::Date::now().max(0.0) as u64)
}

/// Builds a run of `s`, or (if it is somehow invalid) of the default scenario.
fn build_run(s: &Scenario) -> Run {
    lock::build(s, epoch_now())
        .or_else(|_| lock::build(&Scenario::default(), epoch_now()))
        .expect("the default scenario is valid")
}

fn secs(ms: u64) -> String {
    SimDuration(ms).to_string()
}

/// The timeline's zoom and pan: `end = None` follows "now".
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimelineView {
    pub span_ms: u64,
    pub end_ms: Option<u64>,
}

impl Default for TimelineView {
    fn default() -> Self {
        TimelineView {
            span_ms: 60_000,
            end_ms: None,
        }
    }
}

pub enum ViewAction {
    Zoom(f64),
    /// Pan by a fraction of the span (negative = back in time), given "now".
    Pan(f64, u64),
    /// Drag: set the window's end directly.
    EndAt(u64, u64),
    Follow,
    /// Show the whole run so far (and follow it).
    Fit(u64),
}

const MIN_SPAN: u64 = 1_000;
/// How often (wall ms) the cards, Redis panel and log are rebuilt while playing.
const HEAVY_MS: f64 = 150.0;
const MAX_SPAN: u64 = 3_600_000;

impl Reducible for TimelineView {
    type Action = ViewAction;
    fn reduce(self: Rc<Self>, action: ViewAction) -> Rc<Self> {
        let mut v = *self;
        match action {
            ViewAction::Zoom(factor) => {
                v.span_ms = ((v.span_ms as f64 * factor).round() as u64).clamp(MIN_SPAN, MAX_SPAN);
            }
            ViewAction::Pan(frac, now) => {
                let end =
                    v.end_ms.unwrap_or_else(|| now.max(v.span_ms)) as f64 + v.span_ms as f64 * frac;
                v = v.with_end(end.max(0.0) as u64, now);
            }
            ViewAction::EndAt(end, now) => v = v.with_end(end, now),
            ViewAction::Follow => v.end_ms = None,
            ViewAction::Fit(now) => {
                v.span_ms = now
                    .div_ceil(10_000)
                    .saturating_mul(10_000)
                    .clamp(60_000, MAX_SPAN);
                v.end_ms = None;
            }
        }
        Rc::new(v)
    }
}

impl TimelineView {
    fn with_end(mut self, end: u64, now: u64) -> Self {
        let end = end.max(self.span_ms);
        self.end_ms = if end >= now.max(self.span_ms) {
            None
        } else {
            Some(end)
        };
        self
    }
    pub fn window(&self, now: u64) -> Window {
        let end = self.end_ms.unwrap_or_else(|| now.max(self.span_ms));
        Window {
            start: end.saturating_sub(self.span_ms),
            end,
        }
    }
}

/// Page-level settings of the fault buttons.
#[derive(Clone, Copy, PartialEq)]
struct FaultSettings {
    pause_ms: u64,
    drift_rate: f64,
    slow_ms: u64,
}

#[component]
pub fn LocksPage() -> Html {
    let info = super::info(Route::Locks);
    let url = use_url_params(params::read);
    let scenario = use_state(|| url.initial().scenario.clone());
    let run: Rc<RefCell<Run>> = {
        let s = url.initial().scenario.clone();
        use_mut_ref(move || build_run(&s))
    };
    let playback = use_playback(run.clone(), url.initial().speed);
    let view = use_reducer(TimelineView::default);
    let log_filter = use_state(|| None::<Option<usize>>);
    let details = use_state(|| None::<usize>);
    let form_error = use_state(|| None::<String>);
    let action_error = use_state(|| None::<String>);
    let redis_shown = use_state(|| 0usize);
    let faults = use_state(|| FaultSettings {
        pause_ms: 15_000,
        drift_rate: 0.4,
        slow_ms: 2_000,
    });
    // Invalid values in the URL are replaced by what the page uses, once, on load (as the other
    // pages do), so a copied link never carries a value the page ignored.
    {
        let url = url.clone();
        let scenario = (*scenario).clone();
        let speed = url.initial().speed;
        use_effect_with((), move |_| {
            if !url.notices().is_empty() || url.initial().invalid.is_some() {
                url.write(params::pairs(&scenario, speed));
            }
        });
    }
    let svg_ref = use_node_ref();
    let drag = use_mut_ref(|| None::<(f64, u64, f64)>);
    let heavy = use_mut_ref(|| [None::<(f64, Html)>, None, None]);

    // Rebuilds the run from `s`, paused at time zero, and writes the URL.
    let apply_scenario = {
        let run = run.clone();
        let playback = playback.clone();
        let scenario = scenario.clone();
        let url = url.clone();
        let view = view.dispatcher();
        let form_error = form_error.clone();
        let action_error = action_error.clone();
        // Stable across renders (no deps), so the memoized settings form is not redrawn per frame.
        use_callback((), move |s: Scenario, _| {
            if let Err(e) = s.validate() {
                form_error.set(Some(e.to_string()));
                return;
            }
            form_error.set(None);
            action_error.set(None);
            playback.pause();
            *run.borrow_mut() = build_run(&s);
            url.write(params::pairs(&s, playback.speed()));
            scenario.set(s);
            view.dispatch(ViewAction::Follow);
            playback.redraw();
        })
    };

    // A fault or user action, applied now through the core.
    // Stable across renders (no deps), so memoized worker cards are not redrawn for a new closure.
    let act = {
        let run = run.clone();
        let playback = playback.clone();
        let action_error = action_error.clone();
        use_callback((), move |a: Action, _| {
            let result = run.borrow_mut().act(|rt, ctx| rt.apply_action(ctx, &a));
            action_error.set(result.err().map(|e| e.to_string()));
            playback.redraw();
        })
    };
    let on_details = {
        let details = details.clone();
        use_callback((), move |w: usize, _| details.set(Some(w)))
    };

    // Wheel over the timeline zooms (a non-passive listener so the page does not scroll).
    {
        let svg_ref = svg_ref.clone();
        let view = view.dispatcher();
        use_effect_with((), move |_| {
            let listener = svg_ref.cast::<web_sys::Element>().map(|el| {
                EventListener::new_with_options(
                    &el,
                    "wheel",
                    EventListenerOptions::enable_prevent_default(),
                    move |e| {
                        let Some(e) = e.dyn_ref::<web_sys::WheelEvent>() else {
                            return;
                        };
                        e.prevent_default();
                        view.dispatch(ViewAction::Zoom(if e.delta_y() > 0.0 { 1.25 } else { 0.8 }));
                    },
                )
            });
            move || drop(listener)
        });
    }

    let rb = run.borrow();
    let rt = &rb.model;
    let now = rb.now();
    let now_rel = now.saturating_since(rt.start()).0;
    let s = (*scenario).clone();
    let summary = rt.summary(now);
    let win = view.window(now_rel);

    // ---- controls bar --------------------------------------------------------------------------
    let on_seed = {
        let apply = apply_scenario.clone();
        let scenario = scenario.clone();
        Callback::from(move |seed: u64| {
            apply.emit(Scenario {
                seed,
                ..(*scenario).clone()
            })
        })
    };
    let on_reset = {
        let apply = apply_scenario.clone();
        let scenario = scenario.clone();
        Callback::from(move |_| apply.emit((*scenario).clone()))
    };
    let on_slider = {
        let playback = playback.clone();
        let url = url.clone();
        let scenario = scenario.clone();
        Callback::from(move |pos: u32| {
            playback.set_slider(pos);
            url.write(params::pairs(&scenario, playback.speed()));
        })
    };
    let controls = html! {
        <ControlsBar
            playing={playback.is_playing()}
            slider={playback.slider()}
            clock={AttrValue::from(SimDuration(now_rel).clock_string())}
            behind={playback.behind_text().map(AttrValue::from)}
            seed={s.seed}
            on_toggle={playback.on_toggle()}
            on_step={playback.on_step()}
            on_next={playback.on_next()}
            on_slider={on_slider}
            on_seed={on_seed}
            on_reset={on_reset}
        />
    };

    // ---- safety summary ------------------------------------------------------------------------
    let tile = |testid: &'static str,
                label: &'static str,
                value: String,
                bad: bool,
                hint: &'static str| {
        html! {
            <div class={classes!("lk-stat", bad.then_some("lk-stat--bad"))} title={hint}>
                <span class="lk-stat__value" data-testid={testid}>{ value }</span>
                <span class="lk-stat__label">{ label }</span>
            </div>
        }
    };
    let summary_html = html! {
        <section class="lk-summary" aria-label="Safety summary" data-testid="safety-summary">
            { tile("summary-violations", "lease overlaps", summary.violations.to_string(), summary.violations > 0,
                   "Violations of mutual exclusion: intervals where two or more workers believed they held the lock") }
            { tile("summary-violation-time", "two holders for", secs(summary.violation_time_ms), summary.violation_time_ms > 0,
                   "Total time with two or more believers") }
            { tile("summary-dup", "dup / out-of-order jobs", summary.duplicate_or_out_of_order_jobs.to_string(),
                   summary.duplicate_or_out_of_order_jobs > 0, "Jobs processed twice or out of order") }
            { tile("summary-stale-accepted", "harm: stale writes", summary.stale_writes_accepted.to_string(),
                   summary.stale_writes_accepted > 0, "Writes the storage accepted from a worker that no longer held the lock") }
            { tile("summary-stale-rejected", "stale writes rejected", summary.stale_writes_rejected.to_string(), false,
                   "Writes fencing rejected (token lower than the highest seen)") }
            { tile("summary-handovers", "handovers", summary.handovers.to_string(), false, "The lock passed to another worker") }
            { tile("summary-no-holder", "no holder", secs(summary.time_without_holder_ms), false, "Total time nobody held the lock") }
            { tile("summary-jobs", "jobs done", summary.highest_job.to_string(), false, "Highest job number accepted by the storage") }
        </section>
    };

    let verdict_html = {
        let class = match summary.verdict {
            Verdict::Safe => "lk-verdict--safe",
            Verdict::OverlapWithoutHarm => "lk-verdict--overlap",
            Verdict::Harm => "lk-verdict--harm",
        };
        let last_step = s.steps.iter().map(|st| st.at_ms).max();
        html! {
            <div class="lk-status">
                <p class={classes!("lk-verdict", class)} role="status" data-testid="summary-verdict">{ summary.verdict.sentence() }</p>
                <p class="lk-runstatus" data-testid="run-status">
                    { if playback.is_playing() { "Running" } else { "Paused" } }
                    { format!(" at {}. ", tick(now_rel)) }
                    <strong>{ "This run goes on until you pause it" }</strong>
                    { match last_step {
                        Some(ms) => format!(" (the scripted faults are over after {}; the CLI's run length is {}).", tick(ms), secs(s.duration_ms)),
                        None => format!(" (no scripted faults; the CLI's run length is {}).", secs(s.duration_ms)),
                    } }
                </p>
            </div>
        }
    };

    // ---- preset picker ---------------------------------------------------------------------------
    let current_preset = s.preset.clone().unwrap_or_else(|| CUSTOM.to_string());
    let on_preset = {
        let apply = apply_scenario.clone();
        let scenario = scenario.clone();
        Callback::from(move |e: Event| {
            let sel: HtmlSelectElement = e.target_unchecked_into();
            apply.emit(params::base_scenario(&sel.value(), scenario.seed));
        })
    };
    let preset_panel = html! {
        <section class="panel lk-preset" data-testid="preset-panel">
            <label class="field lk-preset__pick">
                <span>{ "Preset" }</span>
                <select data-testid="preset-select" onchange={on_preset}>
                    <option value={CUSTOM} selected={current_preset == CUSTOM}>{ "custom (no scripted faults)" }</option>
                    { for PRESET_IDS.iter().map(|id| html! {
                        <option value={*id} selected={current_preset == *id}>{ *id }</option>
                    }) }
                </select>
            </label>
            <p class="lk-preset__what" data-testid="preset-description">
                <strong>{ "What to look for: " }</strong>
                { preset_description(&current_preset).unwrap_or(
                    "No scripted faults: the workers elect a holder, renew and process jobs. Use the buttons on the cards and on Redis to break it.") }
            </p>
            if !s.steps.is_empty() {
                <p class="lk-preset__steps">
                    { "Scripted: " }
                    { for s.steps.iter().map(|st| html! { <span class="lk-chip">{ format!("{} {}", tick(st.at_ms), action_text(&st.action)) }</span> }) }
                </p>
            }
        </section>
    };

    // ---- timeline --------------------------------------------------------------------------------
    let now_for_view = now_rel;
    let vbtn = |label: &'static str,
                title: &'static str,
                testid: &'static str,
                action: fn(u64) -> ViewAction| {
        let view = view.dispatcher();
        html! {
            <button type="button" class="button button--quiet lk-tl__btn" title={title} data-testid={testid}
                    onclick={Callback::from(move |_: MouseEvent| view.dispatch(action(now_for_view)))}>{ label }</button>
        }
    };
    let on_pointerdown = {
        let drag = drag.clone();
        let view = view.clone();
        Callback::from(move |e: PointerEvent| {
            let Some(el) = e
                .current_target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            else {
                return;
            };
            let width = el.get_bounding_client_rect().width().max(1.0);
            let w = view.window(now_for_view);
            let ms_per_px = w.ms_per_unit() * timeline::VIEW_W / width;
            *drag.borrow_mut() = Some((e.client_x() as f64, w.end, ms_per_px));
            let _ = el.set_pointer_capture(e.pointer_id());
        })
    };
    let on_pointermove = {
        let drag = drag.clone();
        let view = view.dispatcher();
        Callback::from(move |e: PointerEvent| {
            let Some((x0, end0, ms_per_px)) = *drag.borrow() else {
                return;
            };
            let dx = e.client_x() as f64 - x0;
            if dx.abs() < 3.0 {
                return;
            }
            let end = (end0 as f64 - dx * ms_per_px).max(0.0) as u64;
            view.dispatch(ViewAction::EndAt(end, now_for_view));
        })
    };
    let on_pointerup = {
        let drag = drag.clone();
        Callback::from(move |_: PointerEvent| *drag.borrow_mut() = None)
    };
    let tl_height = timeline::height(rt.worker_count(), rt.redis_count());
    let timeline_html = html! {
        <section class="panel lk-tl" data-testid="timeline">
            <div class="lk-panel-head">
                <h2>{ "Timeline" }</h2>
                <div class="lk-tl__tools" role="group" aria-label="Pan and zoom the timeline">
                    { vbtn("◀", "Pan back in time", "tl-pan-back", |n| ViewAction::Pan(-0.25, n)) }
                    { vbtn("▶", "Pan forward in time", "tl-pan-forward", |n| ViewAction::Pan(0.25, n)) }
                    { vbtn("−", "Zoom out (or scroll the wheel over the timeline)", "tl-zoom-out", |_| ViewAction::Zoom(2.0)) }
                    { vbtn("+", "Zoom in", "tl-zoom-in", |_| ViewAction::Zoom(0.5)) }
                    { vbtn("Whole run", "Show the whole run so far", "tl-fit", ViewAction::Fit) }
                    <button type="button" class={classes!("button", "lk-tl__btn", view.end_ms.is_some().then_some("button--quiet"))}
                            aria-pressed={view.end_ms.is_none().to_string()} data-testid="tl-follow"
                            onclick={{ let v = view.dispatcher(); Callback::from(move |_: MouseEvent| v.dispatch(ViewAction::Follow)) }}>
                        { "Follow now" }
                    </button>
                    <span class="lk-tl__range" data-testid="tl-range">{ format!("{} – {}", timeline::tick_label(win.start), timeline::tick_label(win.end)) }</span>
                </div>
            </div>
            <div class="lk-tl__scroll">
                <svg ref={svg_ref.clone()} class="lk-tl__svg" viewBox={format!("0 0 {} {tl_height:.0}", timeline::VIEW_W)}
                     role="img" data-testid="timeline-svg"
                     onpointerdown={on_pointerdown} onpointermove={on_pointermove} onpointerup={on_pointerup.clone()}
                     onpointercancel={on_pointerup}>
                    { timeline::view(rt, now, win) }
                </svg>
            </div>
            <TimelineLegend />
        </section>
    };

    // ---- worker cards, Redis panel, event log -------------------------------------------------------
    // While playing, these three panels are rebuilt at most every HEAVY_MS of wall time each, one
    // panel per frame (the stalest), and otherwise reused as they are (a clone of the same tree
    // diffs to no DOM change); the timeline, the summary and the clock still move every frame.
    let wall = js_sys::Date::now();
    let rebuild: [bool; 3] = {
        let h = heavy.borrow();
        if !playback.is_playing() {
            [true; 3]
        } else {
            let stalest = (0..3).min_by(|a, b| {
                let ta = h[*a].as_ref().map_or(f64::MIN, |(t, _)| *t);
                let tb = h[*b].as_ref().map_or(f64::MIN, |(t, _)| *t);
                ta.total_cmp(&tb)
            });
            std::array::from_fn(|i| match &h[i] {
                None => true,
                Some((t, _)) => Some(i) == stalest && wall - *t >= HEAVY_MS,
            })
        }
    };
    let cached = |i: usize| {
        heavy.borrow()[i]
            .as_ref()
            .map(|(_, html)| html.clone())
            .unwrap_or_default()
    };
    let store = |i: usize, html: &Html| heavy.borrow_mut()[i] = Some((wall, html.clone()));
    let fs = *faults;
    let workers_html = if rebuild[0] {
        // ---- worker cards ----------------------------------------------------------------------------
        let cards = (0..rt.worker_count())
            .filter_map(|w| rt.worker_view(w).map(|v| WorkerSnap::of(&v)))
            .map(|snap| {
                let key = snap.index;
                html! {
                <WorkerCard key={key} snap={snap} pause_ms={fs.pause_ms} drift_rate={fs.drift_rate}
                            on_action={act.clone()} on_details={on_details.clone()} />
                }
            })
            .collect::<Html>();

        let on_fault_setting = {
            let faults = faults.clone();
            let action_error = action_error.clone();
            Callback::from(move |(name, value): (&'static str, String)| {
                let mut f = *faults;
                let bad =
                    |what: &str| Some(format!("{name} {value:?} is not accepted; expected {what}"));
                let err = match name {
                    "pause" => match value.parse::<Dur>() {
                        Ok(d) if (1..=600_000).contains(&d.0) => {
                            f.pause_ms = d.0;
                            None
                        }
                        _ => bad("a duration from 1ms to 10m, like 15s"),
                    },
                    "drift" => match value.trim().parse::<f64>() {
                        Ok(r) if r.is_finite() && (0.01..=100.0).contains(&r) => {
                            f.drift_rate = r;
                            None
                        }
                        _ => bad("a clock rate from 0.01 to 100 (1 = exact)"),
                    },
                    _ => match value.parse::<Dur>() {
                        Ok(d) if d.0 <= 60_000 => {
                            f.slow_ms = d.0;
                            None
                        }
                        _ => bad("a delay from 0ms to 60s, like 2s"),
                    },
                };
                action_error.set(err);
                faults.set(f);
            })
        };
        let fault_field = |name: &'static str, label: &'static str, value: String| {
            let cb = on_fault_setting.clone();
            html! {
                <label class="field lk-fault-setting">
                    <span>{ label }</span>
                    <input type="text" value={value} data-testid={format!("fault-{name}")}
                           onchange={Callback::from(move |e: Event| { let i: HtmlInputElement = e.target_unchecked_into(); cb.emit((name, i.value())); })} />
                </label>
            }
        };
        let workers_html = html! {
            <section class="panel lk-workers" data-testid="workers">
                <div class="lk-panel-head">
                    <h2>{ format!("Workers ({})", rt.worker_count()) }</h2>
                    <div class="lk-fault-settings">
                        { fault_field("pause", "Pause length", Dur(fs.pause_ms).to_string()) }
                        { fault_field("drift", "Drift rate (×)", fs.drift_rate.to_string()) }
                        { fault_field("slow", "Redis slow by", Dur(fs.slow_ms).to_string()) }
                    </div>
                </div>
                if let Some(err) = &*action_error {
                    <p class="notice notice--error" role="alert" data-testid="action-error">{ err.clone() }</p>
                }
                <div class="lk-worker-grid">{ cards }</div>
            </section>
        };
        store(0, &workers_html);
        workers_html
    } else {
        cached(0)
    };
    let redis_html = if rebuild[1] {
        // ---- Redis panel -------------------------------------------------------------------------------
        let shown = (*redis_shown).min(rt.redis_count().saturating_sub(1));
        let instances = (0..rt.redis_count()).filter_map(|i| {
        let r = rt.redis_view(i, now)?;
        let ttl_frac = r.ttl_left_ms.map_or(0.0, |t| (t as f64 / s.ttl_ms.max(1) as f64).min(1.0));
        let owner = r.owner;
        let rbtn = |label: String, testid: String, action: Action, danger: bool| {
            let act = act.clone();
            html! {
                <button type="button" class={classes!("button", "button--quiet", "lk-fault", danger.then_some("lk-fault--danger"))}
                        data-testid={testid} onclick={Callback::from(move |_: MouseEvent| act.emit(action.clone()))}>{ label }</button>
            }
        };
        let select = {
            let redis_shown = redis_shown.clone();
            Callback::from(move |_: MouseEvent| redis_shown.set(i))
        };
        Some(html! {
            <div class={classes!("lk-redis", (!r.up).then_some("lk-redis--down"), (i == shown && rt.redis_count() > 1).then_some("lk-redis--shown"))}
                 data-testid={format!("redis-{i}")}>
                <div class="lk-redis__head">
                    <h3>{ format!("redis-{i}") }</h3>
                    <span class={classes!("lk-badge", if r.up { "lk-badge--up" } else { "lk-badge--down" })}>{ if r.up { "up" } else { "down" } }</span>
                    if r.extra_latency_ms > 0 { <span class="lk-badge lk-badge--slow">{ format!("slow +{} ms", r.extra_latency_ms) }</span> }
                    if rt.redis_count() > 1 {
                        <button type="button" class="button button--quiet lk-fault" aria-pressed={(i == shown).to_string()} onclick={select}>{ "commands" }</button>
                    }
                </div>
                <dl class="lk-facts">
                    <div><dt>{ "key" }</dt><dd class="lk-mono">{ r.lock_key }</dd></div>
                    <div><dt>{ "value" }</dt><dd class={classes!("lk-mono", owner.map(|w| format!("owner-{}", w % 8)))} data-testid={format!("redis-{i}-value")}>
                        { r.value.map_or("(nil)".to_string(), |v| v.to_string()) }
                        if let Some(w) = owner { <span class="lk-owner-tag"><span class="lk-swatch" aria-hidden="true"></span>{ format!(" worker-{w}") }</span> }
                    </dd></div>
                    <div><dt>{ "TTL" }</dt><dd class="lk-mono" data-testid={format!("redis-{i}-ttl")}>{ r.ttl_left_ms.map_or("—".to_string(), secs) }</dd></div>
                </dl>
                <svg class="lk-ttlbar" viewBox="0 0 100 6" preserveAspectRatio="none" role="img" aria-label="TTL left">
                    <rect class="lk-ttlbar__bg" width="100" height="6" rx="3" />
                    <rect class="lk-ttlbar__fill" width={format!("{:.1}", ttl_frac * 100.0)} height="6" rx="3" />
                </svg>
                <div class="lk-faults">
                    if r.up {
                        { rbtn("Crash (no persistence)".into(), format!("redis-{i}-crash"), Action::RedisCrash { instance: i }, true) }
                    } else {
                        { rbtn("Restart (empty)".into(), format!("redis-{i}-restart"), Action::RedisRestart { instance: i }, false) }
                    }
                    if r.extra_latency_ms > 0 {
                        { rbtn("Fast again".into(), format!("redis-{i}-slow"), Action::RedisSlow { instance: i, extra_ms: 0 }, false) }
                    } else {
                        { rbtn(format!("Slow +{}", secs_short(fs.slow_ms)), format!("redis-{i}-slow"), Action::RedisSlow { instance: i, extra_ms: fs.slow_ms }, false) }
                    }
                </div>
            </div>
        })
    }).collect::<Html>();
        let commands = rt.redis_view(shown, now).map(|r| {
        r.commands.iter().rev().take(14).map(|c| html! {
            <tr>
                <td class="lk-mono">{ tick(c.at_ms) }</td>
                <td class={format!("owner-{}", c.worker % 8)}><span class="lk-swatch" aria-hidden="true"></span>{ format!("w{}", c.worker) }</td>
                <td class="lk-mono lk-cmd">{ c.command.clone() }</td>
                <td class="lk-mono lk-reply">{ c.reply.clone() }</td>
            </tr>
        }).collect::<Html>()
    }).unwrap_or_default();
        let redis_html = html! {
            <section class="panel lk-redis-panel" data-testid="redis-panel">
                <h2>{ if rt.redis_count() > 1 { format!("Redis — Redlock on {} instances", rt.redis_count()) } else { "Redis".to_string() } }</h2>
                <div class="lk-redis-grid">{ instances }</div>
                <h3 class="lk-subhead">{ format!("Last commands on redis-{shown}") }</h3>
                <div class="table-scroll">
                    <table class="data-table lk-commands" data-testid="redis-commands">
                        <thead><tr><th>{ "t" }</th><th>{ "from" }</th><th>{ "command" }</th><th>{ "reply" }</th></tr></thead>
                        <tbody>{ commands }</tbody>
                    </table>
                </div>
            </section>
        };
        store(1, &redis_html);
        redis_html
    } else {
        cached(1)
    };
    let log_html = if rebuild[2] {
        // ---- event log ---------------------------------------------------------------------------------
        let filter = *log_filter;
        let on_filter = {
            let log_filter = log_filter.clone();
            Callback::from(move |e: Event| {
                let sel: HtmlSelectElement = e.target_unchecked_into();
                log_filter.set(match sel.value().as_str() {
                    "all" => None,
                    "system" => Some(None),
                    w => w.parse::<usize>().ok().map(Some),
                });
            })
        };
        let lines = rt
            .log()
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, l)| filter.is_none_or(|f| l.worker == f))
            .take(80)
            .map(|(i, l)| {
                html! {
                    <li key={i} class={l.worker.map(|w| format!("owner-{}", w % 8))}>
                        <span class="lk-log__t lk-mono">{ tick(l.at_ms) }</span>
                        <span class="lk-swatch" aria-hidden="true"></span>
                        <span class="lk-log__text">{ l.text.clone() }</span>
                    </li>
                }
            })
            .collect::<Html>();
        let log_html = html! {
            <section class="panel lk-log" data-testid="event-log">
                <div class="lk-panel-head">
                    <h2>{ "Event log" }</h2>
                    <label class="field lk-log__filter">
                        <span>{ "Show" }</span>
                        <select data-testid="log-filter" onchange={on_filter}>
                            <option value="all" selected={filter.is_none()}>{ "all" }</option>
                            { for (0..rt.worker_count()).map(|w| html! {
                                <option value={w.to_string()} selected={filter == Some(Some(w))}>{ format!("worker-{w}") }</option>
                            }) }
                            <option value="system" selected={filter == Some(None)}>{ "Redis and system" }</option>
                        </select>
                    </label>
                </div>
                <ol class="lk-log__lines" aria-label="Newest first" data-testid="log-lines">{ lines }</ol>
            </section>
        };
        store(2, &log_html);
        log_html
    } else {
        cached(2)
    };

    // ---- scenario settings -------------------------------------------------------------------------
    let on_form_error = {
        let form_error = form_error.clone();
        use_callback((), move |e: String, _| form_error.set(Some(e)))
    };
    let settings_html = html! {
        <ScenarioSettings scenario={s.clone()} error={(*form_error).clone()} on_apply={apply_scenario.clone()} on_error={on_form_error} />
    };

    // ---- details modal -------------------------------------------------------------------------------
    let modal = details.and_then(|w| rt.worker_view(w)).map(|v| {
        let close = {
            let details = details.clone();
            Callback::from(move |_| details.set(None))
        };
        let w = v.index;
        html! {
            <Modal title={format!("worker-{w} details")} on_close={close} class={classes!("modal--wide")} testid="worker-modal">
                <dl class="lk-facts lk-facts--wide">
                    <div><dt>{ "id" }</dt><dd class="lk-mono">{ v.id }</dd></div>
                    <div><dt>{ "state" }</dt><dd class="lk-mono">{ v.state.name() }</dd></div>
                    <div><dt>{ "status" }</dt><dd>{ format!("{:?}", v.status).to_lowercase() }</dd></div>
                    <div><dt>{ "token" }</dt><dd class="lk-mono">{ v.token.map_or("—".to_string(), |t| t.to_string()) }</dd></div>
                    <div><dt>{ "jobs written" }</dt><dd class="lk-mono">{ v.jobs_written }</dd></div>
                    <div><dt>{ "restarts" }</dt><dd class="lk-mono">{ v.restarts }</dd></div>
                    <div><dt>{ "GC pauses" }</dt><dd class="lk-mono">{ v.pauses.len() }</dd></div>
                    if let Some(t) = v.last_transition {
                        <div><dt>{ "last transition" }</dt><dd class="lk-mono">{ format!("{} —{}→ {} at {}", t.from, t.event, t.to, tick(t.at.saturating_since(rt.start()).0)) }</dd></div>
                    }
                </dl>
                <h3 class="lk-subhead">{ format!("Own log (newest first, {} lines)", v.log.len()) }</h3>
                <ol class="lk-log__lines lk-log__lines--modal" data-testid="worker-log">
                    { for v.log.iter().rev().take(400).map(|l| html! {
                        <li><span class="lk-log__t lk-mono">{ tick(l.at_ms) }</span><span class="lk-log__text">{ l.text.clone() }</span></li>
                    }) }
                </ol>
            </Modal>
        }
    });

    let warning = s.ttl_warning();
    let invalid = url.initial().invalid.clone();
    html! {
        <section class="model-page lk-page" data-testid="page-locks">
            <PageHeader title={info.title} lede={info.lede} />
            <ParamNotices notices={url.notices().to_vec()} />
            if let Some(text) = invalid {
                <p class="notice notice--error" data-testid="scenario-invalid">{ text }</p>
            }
            { controls }
            { summary_html }
            { verdict_html }
            if let Some(w) = warning {
                <p class="notice" role="status" data-testid="ttl-warning"><strong>{ "TTL warning: " }</strong>{ w }</p>
            }
            { preset_panel }
            { timeline_html }
            <div class="lk-columns">
                { workers_html }
                <div class="lk-side">
                    { redis_html }
                    { log_html }
                </div>
            </div>
            { settings_html }
            { modal.unwrap_or_default() }
        </section>
    }
}

/// What a worker card shows: plain values, so the card is redrawn only when one changes.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkerSnap {
    pub index: usize,
    pub id: String,
    pub status: WorkerStatus,
    pub state: lock::WorkerState,
    pub last: Option<LastTransition>,
    pub token: Option<i64>,
    pub believes: bool,
    pub job: Option<u64>,
    pub jobs_written: u64,
    pub clock_rate: f64,
    pub partitioned: bool,
    pub extra_latency_ms: u64,
    /// The lock value when it is not the id (Redlock's random value per acquisition).
    pub lock_value: Option<String>,
    /// Its ioredis connection when not ready, and the commands waiting in its offline queue.
    pub connection: Option<ConnState>,
    pub queued: usize,
}

impl WorkerSnap {
    fn of(v: &lock::WorkerView<'_>) -> Self {
        WorkerSnap {
            index: v.index,
            id: v.id.to_string(),
            status: v.status,
            state: v.state,
            last: v.last_transition.map(|t| LastTransition {
                from: t.from,
                to: t.to,
                event: t.event.clone(),
                at: t.at.as_unix_ms(),
            }),
            token: v.token,
            believes: v.believes_it_holds,
            job: v.current_job,
            jobs_written: v.jobs_written,
            clock_rate: v.clock_rate,
            partitioned: v.partitioned,
            extra_latency_ms: v.extra_latency_ms,
            lock_value: (v.lock_value != v.id).then(|| v.lock_value.to_string()),
            connection: v.connection.filter(|c| *c != ConnState::Ready),
            queued: v.queued_commands,
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct WorkerCardProps {
    pub snap: WorkerSnap,
    pub pause_ms: u64,
    pub drift_rate: f64,
    pub on_action: Callback<Action>,
    pub on_details: Callback<usize>,
}

/// One worker: id, state, token, "holds the lock", its state diagram and its fault buttons.
#[component]
pub fn WorkerCard(props: &WorkerCardProps) -> Html {
    let v = &props.snap;
    let w = v.index;
    let button = |label: String, testid: String, action: Action, disabled: bool, danger: bool| {
        let act = props.on_action.clone();
        html! {
            <button type="button" class={classes!("button", "button--quiet", "lk-fault", danger.then_some("lk-fault--danger"))}
                    data-testid={testid} disabled={disabled}
                    onclick={Callback::from(move |_: MouseEvent| act.emit(action.clone()))}>{ label }</button>
        }
    };
    let t = Target::Worker(w);
    let alive = matches!(v.status, WorkerStatus::Running | WorkerStatus::Paused);
    let drifting = (v.clock_rate - 1.0).abs() > 1e-9;
    let state_label = match v.status {
        WorkerStatus::Crashed => "crashed".to_string(),
        WorkerStatus::NotStarted => "not started".to_string(),
        WorkerStatus::Paused => format!("{} (paused)", v.state.name()),
        WorkerStatus::Running => v.state.name().to_string(),
    };
    let open_details = props.on_details.reform(move |_: MouseEvent| w);
    html! {
        <article class={classes!("lk-worker", format!("owner-{}", w % 8), v.believes.then_some("lk-worker--holder"))}
                 data-testid={format!("worker-{w}")}>
            <header class="lk-worker__head">
                <span class="lk-swatch" aria-hidden="true"></span>
                <h3>{ format!("worker-{w}") }</h3>
                <span class="lk-state" data-testid={format!("worker-{w}-state")}>{ state_label }</span>
                if v.believes {
                    <span class="lk-badge lk-badge--holder" data-testid={format!("worker-{w}-holder")}>{ "holds the lock" }</span>
                }
            </header>
            <dl class="lk-facts">
                <div><dt>{ "id" }</dt><dd class="lk-mono" data-testid={format!("worker-{w}-id")}>{ v.id.clone() }</dd></div>
                <div><dt>{ "token" }</dt><dd class="lk-mono" data-testid={format!("worker-{w}-token")}>{ v.token.map_or("—".to_string(), |t| t.to_string()) }</dd></div>
                <div><dt>{ "job" }</dt><dd class="lk-mono">{ v.job.map_or("—".to_string(), |j| format!("#{j}")) }</dd></div>
                <div><dt>{ "written" }</dt><dd class="lk-mono">{ v.jobs_written }</dd></div>
                if drifting { <div><dt>{ "clock" }</dt><dd class="lk-mono lk-warn">{ format!("{}×", v.clock_rate) }</dd></div> }
                if v.partitioned { <div><dt>{ "network" }</dt><dd class="lk-warn">{ "partitioned" }</dd></div> }
                if v.extra_latency_ms > 0 { <div><dt>{ "link" }</dt><dd class="lk-mono lk-warn">{ format!("+{} ms", v.extra_latency_ms) }</dd></div> }
                if let Some(value) = &v.lock_value { <div><dt>{ "lock value" }</dt><dd class="lk-mono" title="Redlock: a fresh random value per acquisition">{ value.clone() }</dd></div> }
                if let Some(c) = v.connection {
                    <div><dt>{ "redis" }</dt><dd class="lk-warn" data-testid={format!("worker-{w}-connection")}>
                        { match c { ConnState::Connecting => "connecting", ConnState::Reconnecting => "reconnecting", ConnState::Ready => "ready" } }
                        if v.queued > 0 { { format!(", {} queued", v.queued) } }
                    </dd></div>
                }
            </dl>
            <StateDiagram state={v.state} status={v.status} last={v.last.clone()} name={format!("worker-{w}")} />
            <div class="lk-faults" role="group" aria-label={format!("Faults for worker-{w}")}>
                { button("Crash".into(), format!("worker-{w}-crash"), Action::Crash { target: t }, !alive, true) }
                { button("Stop".into(), format!("worker-{w}-stop"), Action::Stop { target: t }, !alive, false) }
                { button("Restart".into(), format!("worker-{w}-restart"), Action::Restart { target: t }, v.status == WorkerStatus::NotStarted, false) }
                { button(format!("Pause {}", secs_short(props.pause_ms)), format!("worker-{w}-pause"), Action::Pause { target: t, ms: props.pause_ms },
                         v.status != WorkerStatus::Running, false) }
                if v.partitioned {
                    { button("Heal".into(), format!("worker-{w}-heal"), Action::Heal { target: t }, false, false) }
                } else {
                    { button("Partition".into(), format!("worker-{w}-partition"), Action::Partition { target: t }, false, false) }
                }
                if drifting {
                    { button("Clock 1×".into(), format!("worker-{w}-drift"), Action::ClockRate { target: t, rate: 1.0 }, false, false) }
                } else {
                    { button(format!("Drift {}×", props.drift_rate), format!("worker-{w}-drift"), Action::ClockRate { target: t, rate: props.drift_rate }, false, false) }
                }
                <button type="button" class="button lk-fault" data-testid={format!("worker-{w}-details")} onclick={open_details}>{ "Details" }</button>
            </div>
        </article>
    }
}

/// `+12.345s` style run-relative timestamps.
fn tick(ms: u64) -> String {
    let s = ms / 1000;
    if s >= 60 {
        format!("{}:{:02}.{:03}", s / 60, s % 60, ms % 1000)
    } else {
        format!("{}.{:03}s", s, ms % 1000)
    }
}

fn secs_short(ms: u64) -> String {
    Dur(ms).to_string()
}

fn action_text(a: &Action) -> String {
    let target = |t: &Target| match t {
        Target::Worker(w) => format!("worker-{w}"),
        Target::Holder => "the holder".into(),
        Target::NonHolder => "a non-holder".into(),
    };
    match a {
        Action::Crash { target: t } => format!("crash {}", target(t)),
        Action::Stop { target: t } => format!("STOP {}", target(t)),
        Action::Restart { target: t } => format!("restart {}", target(t)),
        Action::Pause { target: t, ms } => format!("pause {} for {}", target(t), secs_short(*ms)),
        Action::Partition { target: t } => format!("partition {}", target(t)),
        Action::Heal { target: t } => format!("heal {}", target(t)),
        Action::ClockRate { target: t, rate } => format!("{}'s clock at {rate}×", target(t)),
        Action::SlowLink {
            target: t,
            extra_ms,
        } => format!("{}'s link +{extra_ms} ms", target(t)),
        Action::RedisCrash { instance } => format!("redis-{instance} crashes"),
        Action::RedisRestart { instance } => format!("redis-{instance} restarts"),
        Action::RedisSlow { instance, extra_ms } => format!("redis-{instance} +{extra_ms} ms"),
    }
}

/// The timeline's legend (static, so Yew never redraws it).
#[component]
fn TimelineLegend() -> Html {
    html! {
            <ul class="lk-legend" aria-label="Timeline legend">
                { for lock::WorkerState::ALL.iter().map(|st| html! {
                    <li><svg viewBox="0 0 12 12" aria-hidden="true"><rect class={format!("lk-span st-{}", st.name())} width="12" height="12" rx="2" /></svg>{ st.name() }</li>
                }) }
                <li><svg viewBox="0 0 12 12" aria-hidden="true"><rect class="lk-span st-crashed" width="12" height="12" rx="2" /></svg>{ "crashed" }</li>
                <li><svg viewBox="0 0 12 12" aria-hidden="true"><rect class="lk-belief" y="4" width="12" height="5" /></svg>{ "believes it holds the lock" }</li>
                <li><svg viewBox="0 0 12 12" aria-hidden="true"><rect class="lk-pause" width="12" height="12" /></svg>{ "paused (GC)" }</li>
                <li><svg viewBox="0 0 12 12" aria-hidden="true"><rect class="lk-legend__violation" width="12" height="12" /></svg>{ "two holders: lease overlap (hatched, labelled)" }</li>
                <li><svg viewBox="0 0 12 12" aria-hidden="true"><line class="lk-write lk-write--ok" x1="6" x2="6" y1="0" y2="12" /></svg>{ "write accepted" }</li>
                <li><svg viewBox="0 0 12 12" aria-hidden="true"><line class="lk-write lk-write--stale" x1="6" x2="6" y1="0" y2="12" /></svg>{ "stale write accepted" }</li>
                <li><svg viewBox="0 0 12 12" aria-hidden="true"><line class="lk-write lk-write--rejected" x1="6" x2="6" y1="0" y2="12" /></svg>{ "write rejected (fencing)" }</li>
                <li><svg viewBox="0 0 12 12" aria-hidden="true"><path class="lk-ttl" d="M0 2 L12 10" /></svg>{ "TTL left" }</li>
            </ul>
    }
}

/// The scenario form: fleet, timings, latency and the variants with their explanations. Each field
/// applies on change (rebuilding the run); a bad value is named with what is accepted.
#[derive(Properties, PartialEq)]
pub struct ScenarioSettingsProps {
    pub scenario: Scenario,
    #[prop_or_default]
    pub error: Option<String>,
    pub on_apply: Callback<Scenario>,
    /// A field's value was not accepted (the message names it and what is).
    pub on_error: Callback<String>,
}

#[component]
pub fn ScenarioSettings(props: &ScenarioSettingsProps) -> Html {
    let s = &props.scenario;
    let apply = props.on_apply.clone();
    let form_error = props.on_error.clone();
    let field = |name: &'static str, label: &'static str, value: String, hint: &'static str| {
        let s = s.clone();
        let apply = apply.clone();
        let form_error = form_error.clone();
        let onchange = Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let text = input.value();
            let mut next = s.clone();
            let dur = |t: &str| t.parse::<Dur>().map(|d| d.0);
            let result: Result<(), String> = match name {
                "workers" => match text.trim().parse::<usize>() {
                    Ok(n) if (1..=16).contains(&n) => { next.workers = n; Ok(()) }
                    _ => Err(format!("Workers {text:?} is not accepted; expected a whole number from 1 to 16.")),
                },
                "timeout" => match text.trim() {
                    "" | "none" => { next.command_timeout_ms = None; Ok(()) }
                    t => match dur(t) {
                        Ok(ms) if (1..=params::MAX_DURATION_MS).contains(&ms) => { next.command_timeout_ms = Some(ms); Ok(()) }
                        _ => Err(format!("Command timeout {text:?} is not accepted; expected none (ioredis's default) or a duration from 1ms to 1h, like 2s.")),
                    },
                },
                "latency" => match dur(&text) {
                    Ok(ms) if ms <= 10_000 => { next.latency = params::latency_around(ms as f64); Ok(()) }
                    _ => Err(format!("Latency {text:?} is not accepted; expected a one-way latency from 0ms to 10s, like 3ms.")),
                },
                _ => match dur(&text) {
                    Ok(ms) if (1..=params::MAX_DURATION_MS).contains(&ms) => {
                        match name {
                            "ttl" => next.ttl_ms = ms,
                            "renew" => next.renew_interval_ms = ms,
                            "retry" => next.retry_interval_ms = ms,
                            _ => next.job_ms = ms,
                        }
                        Ok(())
                    }
                    _ => Err(format!("{label} {text:?} is not accepted; expected a duration from 1ms to 1h, like 10s, 500ms or 2m.")),
                },
            };
            match result {
                Ok(()) => apply.emit(next),
                Err(e) => form_error.emit(e),
            }
        });
        html! {
            <label class="field">
                <span>{ label }</span>
                <input type="text" value={value} data-testid={format!("setting-{name}")} onchange={onchange} title={hint} />
            </label>
        }
    };
    let toggle = |testid: &'static str,
                  label: &'static str,
                  on: bool,
                  set: fn(&mut Scenario, bool),
                  explain: Html| {
        let s = s.clone();
        let apply = apply.clone();
        let onchange = Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let mut next = s.clone();
            set(&mut next, input.checked());
            apply.emit(next);
        });
        html! {
            <div class="lk-variant">
                <label class="lk-variant__toggle">
                    <input type="checkbox" checked={on} data-testid={testid} onchange={onchange} />
                    <strong>{ label }</strong>
                </label>
                { explain }
            </div>
        }
    };
    let atomic_renew = s.variants.renew == RenewVariant::CompareAndExtend;
    let redlock = s.redis_instances > 1;
    let on_release = {
        let s = s.clone();
        let apply = apply.clone();
        Callback::from(move |e: Event| {
            let sel: HtmlSelectElement = e.target_unchecked_into();
            let mut next = s.clone();
            next.variants.release = ReleaseVariant::from_id(&sel.value()).unwrap_or_default();
            apply.emit(next);
        })
    };
    let release_explain = match s.variants.release {
        ReleaseVariant::Reference => EXPLAIN_RELEASE_REFERENCE,
        ReleaseVariant::NaiveDel => EXPLAIN_RELEASE_NAIVE_DEL,
        ReleaseVariant::CompareAndDelete => EXPLAIN_RELEASE_ATOMIC,
    };
    let on_redlock = {
        let s = s.clone();
        let apply = apply.clone();
        Callback::from(move |e: Event| {
            let sel: HtmlSelectElement = e.target_unchecked_into();
            let n = sel.value().parse::<usize>().unwrap_or(1);
            let mut next = Scenario {
                redis_instances: n,
                ..s.clone()
            };
            if n > 1 {
                next.variants.fencing = false;
            }
            apply.emit(next);
        })
    };
    html! {
        <section class="panel lk-settings" data-testid="settings">
            <h2>{ "Scenario" }</h2>
            <p class="lk-muted">{ "Changing a setting restarts the run from time zero; the whole scenario is in the page's URL, so a copied link replays it." }</p>
            if let Some(err) = &props.error {
                <p class="notice notice--error" role="alert" data-testid="form-error">{ err.clone() }</p>
            }
            <div class="form-grid">
                { field("workers", "Workers (1–16)", s.workers.to_string(), "How many workers compete for the lock") }
                { field("ttl", "Lock TTL", Dur(s.ttl_ms).to_string(), "SET … NX EX <ttl>") }
                { field("renew", "Renew interval", Dur(s.renew_interval_ms).to_string(), "working → renew_lock after this") }
                { field("retry", "Retry interval", Dur(s.retry_interval_ms).to_string(), "waiting_to_acquire_lock → acquiring_lock after this") }
                { field("latency", "Latency (one way, mean)", Dur(s.latency.mean_ms().round() as u64).to_string(), "Worker ↔ Redis one-way latency") }
                { field("job", "Job time (startWork)", Dur(s.job_ms).to_string(), "How long the job startWork runs on each entry to working takes (the reference: 2 s)") }
                { field("timeout", "Command timeout", s.command_timeout_ms.map_or("none".to_string(), |t| Dur(t).to_string()), "none: ioredis's default, a command waits as long as it takes") }
            </div>
            <h3 class="lk-subhead">{ "Variants" }</h3>
            <div class="lk-variants">
                { toggle("variant-atomic-renew", "Atomic renew (compare-and-extend)", atomic_renew,
                    |s, on| s.variants.renew = if on { RenewVariant::CompareAndExtend } else { RenewVariant::GetThenExpire },
                    html! { <>
                        <p>{ if atomic_renew { EXPLAIN_RENEW_ATOMIC } else { EXPLAIN_RENEW_GET_THEN_EXPIRE } }</p>
                        <details><summary>{ "The Lua script" }</summary><pre class="lk-code">{ COMPARE_AND_EXTEND_LUA }</pre></details>
                    </> }) }
                <div class="lk-variant">
                    <label class="lk-variant__toggle">
                        <strong>{ "Release" }</strong>
                        <select data-testid="variant-release" onchange={on_release}>
                            { for ReleaseVariant::ALL.iter().map(|v| html! {
                                <option value={v.id()} selected={s.variants.release == *v}>{ match v {
                                    ReleaseVariant::Reference => "reference: GET, then DEL if mine",
                                    ReleaseVariant::NaiveDel => "naive-del: plain DEL",
                                    ReleaseVariant::CompareAndDelete => "atomic: compare-and-delete",
                                } }</option>
                            }) }
                        </select>
                    </label>
                    <p data-testid="release-explain">{ release_explain }</p>
                    if s.variants.release == ReleaseVariant::CompareAndDelete {
                        <details><summary>{ "The Lua script" }</summary><pre class="lk-code">{ COMPARE_AND_DELETE_LUA }</pre></details>
                    }
                </div>
                if redlock {
                    <div class="lk-variant">
                        <label class="lk-variant__toggle">
                            <input type="checkbox" checked=false disabled=true data-testid="variant-fencing" />
                            <strong>{ "Fencing tokens" }</strong>
                        </label>
                        <p data-testid="fencing-redlock">{ EXPLAIN_FENCING_REDLOCK }</p>
                    </div>
                } else {
                    { toggle("variant-fencing", "Fencing tokens", s.variants.fencing, |s, on| s.variants.fencing = on,
                        html! { <>
                            <p>{ EXPLAIN_FENCING }</p>
                            <details><summary>{ "The Lua script" }</summary><pre class="lk-code">{ ACQUIRE_WITH_TOKEN_LUA }</pre></details>
                        </> }) }
                }
                <div class="lk-variant">
                    <label class="lk-variant__toggle">
                        <strong>{ "Redlock" }</strong>
                        <select data-testid="variant-redlock" onchange={on_redlock}>
                            { for [1usize, 3, 5, 7, 9].iter().map(|n| html! {
                                <option value={n.to_string()} selected={s.redis_instances == *n}>
                                    { if *n == 1 { "off (one Redis)".to_string() } else { format!("N = {n} instances") } }
                                </option>
                            }) }
                        </select>
                    </label>
                    <p>{ EXPLAIN_REDLOCK }</p>
                </div>
                <div class="lk-variant">
                    <strong>{ "The Redis client" }</strong>
                    <p data-testid="client-explain">{ EXPLAIN_CLIENT }</p>
                </div>
            </div>
        </section>
    }
}

// Keep the handle type nameable for tests and future panels.
#[allow(dead_code)]
type LocksPlayback = PlaybackHandle<Run>;
