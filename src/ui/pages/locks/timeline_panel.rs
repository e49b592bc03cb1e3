//! The timeline panel: the swimlane drawing (`timeline.rs`) with its pan and zoom tools, drag to
//! pan, the wheel to zoom, "Whole run" and "Follow now", and the legend. "Now" is the cursor: a
//! rewound run draws its history up to the cursor only.

use std::rc::Rc;

use gloo_events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::state::RunRef;
use super::timeline::{self, Window};
use crate::lock;

/// The timeline's zoom and pan: `end = None` follows "now" (the cursor).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimelineView {
    pub span_ms: u64,
    pub end_ms: Option<u64>,
    /// "Whole run": the span grows with the run (in 10 s steps, at least a minute), from 0 to now.
    pub fit: bool,
}

impl Default for TimelineView {
    fn default() -> Self {
        TimelineView { span_ms: 60_000, end_ms: None, fit: false }
    }
}

pub enum ViewAction {
    /// Multiply the span, given "now" (a fitted span is taken as it is now, then scaled).
    Zoom(f64, u64),
    /// Pan by a fraction of the span (negative = back in time), given "now".
    Pan(f64, u64),
    /// Drag: set the window's end directly.
    EndAt(u64, u64),
    Follow,
    /// Show the whole run so far, and keep showing all of it as it grows.
    Fit(u64),
}

const MIN_SPAN: u64 = 1_000;

const MAX_SPAN: u64 = 3_600_000;

impl Reducible for TimelineView {
    type Action = ViewAction;
    fn reduce(self: Rc<Self>, action: ViewAction) -> Rc<Self> {
        let mut v = *self;
        // Any other tool leaves "Whole run" at the span it shows now.
        let now = match action {
            ViewAction::Zoom(_, now) | ViewAction::Pan(_, now) | ViewAction::EndAt(_, now) | ViewAction::Fit(now) => {
                now
            }
            ViewAction::Follow => 0,
        };
        if v.fit && !matches!(action, ViewAction::Follow) {
            v.span_ms = fit_span(now);
            v.fit = false;
        }
        match action {
            ViewAction::Zoom(factor, _) => {
                v.span_ms = ((v.span_ms as f64 * factor).round() as u64).clamp(MIN_SPAN, MAX_SPAN);
            }
            ViewAction::Pan(frac, now) => {
                let end = v.end_ms.unwrap_or_else(|| now.max(v.span_ms)) as f64 + v.span_ms as f64 * frac;
                v = v.with_end(end.max(0.0) as u64, now);
            }
            ViewAction::EndAt(end, now) => v = v.with_end(end, now),
            ViewAction::Follow => v.end_ms = None,
            ViewAction::Fit(_) => {
                v.fit = true;
                v.end_ms = None;
            }
        }
        Rc::new(v)
    }
}

impl TimelineView {
    fn with_end(mut self, end: u64, now: u64) -> Self {
        let end = end.max(self.span_ms);
        self.end_ms = if end >= now.max(self.span_ms) { None } else { Some(end) };
        self
    }
    pub fn window(&self, now: u64) -> Window {
        let span = if self.fit { fit_span(now) } else { self.span_ms };
        let end = self.end_ms.unwrap_or_else(|| now.max(span));
        Window { start: end.saturating_sub(span), end }
    }
}

/// The whole run so far: `now` rounded up to 10 s, at least a minute, at most the kept hour.
fn fit_span(now: u64) -> u64 {
    now.div_ceil(10_000).saturating_mul(10_000).clamp(60_000, MAX_SPAN)
}

#[derive(Properties, PartialEq)]
pub struct TimelinePanelProps {
    pub run: RunRef,
}

#[component]
pub fn TimelinePanel(props: &TimelinePanelProps) -> Html {
    let view = use_reducer(TimelineView::default);
    let svg_ref = use_node_ref();
    let drag = use_mut_ref(|| None::<(f64, u64, f64)>);
    // Wheel over the timeline zooms (a non-passive listener so the page does not scroll).
    {
        let svg_ref = svg_ref.clone();
        let view = view.dispatcher();
        // The run is replaced in place on a restart, never a new `Rc`, so capturing it once holds.
        let run = props.run.run.clone();
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
                        view.dispatch(ViewAction::Zoom(
                            if e.delta_y() > 0.0 { 1.25 } else { 0.8 },
                            run.borrow().cursor().at_ms,
                        ));
                    },
                )
            });
            move || drop(listener)
        });
    }
    let run = props.run.run.borrow();
    let rt = run.model();
    let now = run.sim().now();
    let now_rel = run.cursor().at_ms;
    let win = view.window(now_rel);
    // "Now" as of the user's action, read from the run when they act: while playing, the panel is
    // redrawn on its own schedule (`use_stagger`), so the value captured at the last render can be
    // hundreds of virtual seconds old at high speed.
    let now_for_view = {
        let run = props.run.run.clone();
        move || run.borrow().cursor().at_ms
    };
    let vbtn = |label: &'static str, title: &'static str, testid: &'static str, action: fn(u64) -> ViewAction| {
        let view = view.dispatcher();
        let now_for_view = now_for_view.clone();
        html! {
            <button type="button" class="button button--quiet lk-tl__btn" title={title} data-testid={testid}
                    onclick={Callback::from(move |_: MouseEvent| view.dispatch(action(now_for_view())))}>{ label }</button>
        }
    };
    let on_pointerdown = {
        let drag = drag.clone();
        let view = view.clone();
        let now_for_view = now_for_view.clone();
        Callback::from(move |e: PointerEvent| {
            let Some(el) = e.current_target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else {
                return;
            };
            let width = el.get_bounding_client_rect().width().max(1.0);
            let w = view.window(now_for_view());
            let ms_per_px = w.ms_per_unit() * timeline::VIEW_W / width;
            *drag.borrow_mut() = Some((e.client_x() as f64, w.end, ms_per_px));
            let _ = el.set_pointer_capture(e.pointer_id());
        })
    };
    let on_pointermove = {
        let drag = drag.clone();
        let view = view.dispatcher();
        let now_for_view = now_for_view.clone();
        Callback::from(move |e: PointerEvent| {
            let Some((x0, end0, ms_per_px)) = *drag.borrow() else {
                return;
            };
            let dx = e.client_x() as f64 - x0;
            if dx.abs() < 3.0 {
                return;
            }
            let end = (end0 as f64 - dx * ms_per_px).max(0.0) as u64;
            view.dispatch(ViewAction::EndAt(end, now_for_view()));
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
                    { vbtn("−", "Zoom out (or scroll the wheel over the timeline)", "tl-zoom-out", |n| ViewAction::Zoom(2.0, n)) }
                    { vbtn("+", "Zoom in", "tl-zoom-in", |n| ViewAction::Zoom(0.5, n)) }
                    <button type="button" class={classes!("button", "lk-tl__btn", (!view.fit).then_some("button--quiet"))}
                            title="Show the whole run so far, and keep showing all of it as it grows"
                            aria-pressed={view.fit.to_string()} data-testid="tl-fit"
                            onclick={{ let v = view.dispatcher(); let now = now_for_view.clone(); Callback::from(move |_: MouseEvent| v.dispatch(ViewAction::Fit(now()))) }}>
                        { "Whole run" }
                    </button>
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

    timeline_html
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
