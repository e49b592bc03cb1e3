//! `use_playback`: drives a run from `requestAnimationFrame` through the core's [`Playback`].
//!
//! Each frame asks the core to run the virtual time owed for the wall time that passed, within the
//! simulation's share of the frame: [`FRAME_AIM_MS`] of work per frame in all, minus what drawing
//! the page will likely cost (measured each frame from the frame's start to a timer task that runs
//! once the frame's render, style, layout and paint are done; the core's [`FrameBudget`] plans for
//! the 95th percentile of the last frames' cost, or the smoothed cost plus twice its smoothed
//! deviation when that is more), never less than [`MIN_SIM_MS`]. While the
//! simulation wants more than that, frames alternate: one simulates (with nearly the whole goal),
//! the next redraws the page, so a frame's work is the larger of the two rather than their sum.
//! Past its share a frame stops and the rest is carried to later frames, so a fast speed on a busy
//! model or a costly picture lowers the speed achieved
//! (shown as "running at N× of M× asked"), never the page's responsiveness. Space toggles play and
//! → steps (← steps back on a rewindable run), unless the user is typing in a field; with several
//! players on one page the keys drive the one used (or mounted) most recently.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_events::{EventListener, EventListenerOptions};
use gloo_render::{request_animation_frame, AnimationFrame};
use gloo_timers::callback::Timeout;
use wasm_bindgen::JsCast;
use web_sys::KeyboardEvent;
use yew::prelude::*;

use crate::sim::playback::{format_speed, Clocked};
use crate::sim::{FrameBudget, FrameReport, Playback, SimTime};
use crate::ui::performance_now;

/// Wall-clock milliseconds of main-thread work that nearly every animation frame stays within: the
/// simulation's share plus drawing the page.
pub const FRAME_GOAL_MS: f64 = 8.0;
/// What the budget aims each frame at: the goal less a millisecond for what its own measurement
/// does not see (other callbacks in the same frame, the 0.1 ms granularity of the clock, the work
/// between the measuring timer and the frame's end), so that the frames that fill their share
/// (a hungry simulation's) stay within the goal rather than on it.
pub const FRAME_AIM_MS: f64 = FRAME_GOAL_MS - 1.0;
/// The simulation's share of a frame never drops below this, however costly drawing is.
pub const MIN_SIM_MS: f64 = 1.5;

thread_local! {
    /// Mounted players by recency of use: the last one answers the keyboard.
    static KEY_OWNERS: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
    static NEXT_PLAYER: std::cell::Cell<u64> = const { std::cell::Cell::new(1) };
}

fn claim_keys(id: u64) {
    KEY_OWNERS.with(|o| {
        let mut o = o.borrow_mut();
        o.retain(|x| *x != id);
        o.push(id);
    });
}

fn release_keys(id: u64) {
    KEY_OWNERS.with(|o| o.borrow_mut().retain(|x| *x != id));
}

fn owns_keys(id: u64) -> bool {
    KEY_OWNERS.with(|o| o.borrow().last() == Some(&id))
}

struct Driver {
    /// Identifies this player for the keyboard (see `KEY_OWNERS`).
    id: u64,
    playback: Playback,
    last_frame_ms: Option<f64>,
    report: FrameReport,
    frame: Option<AnimationFrame>,
    /// The simulation's share of the next frame, from the measured cost of drawing.
    budget: FrameBudget,
    /// Fires once the current frame is drawn, to measure it (dropped with the player).
    measure: Option<Timeout>,
}

/// A handle on the playback of one run; cheap to clone and to compare.
pub struct PlaybackHandle<C: Clocked + 'static> {
    run: Rc<RefCell<C>>,
    driver: Rc<RefCell<Driver>>,
    redraw: UseForceUpdateHandle,
    playing: UseStateHandle<bool>,
}

impl<C: Clocked + 'static> Clone for PlaybackHandle<C> {
    fn clone(&self) -> Self {
        PlaybackHandle {
            run: self.run.clone(),
            driver: self.driver.clone(),
            redraw: self.redraw.clone(),
            playing: self.playing.clone(),
        }
    }
}

impl<C: Clocked + 'static> PartialEq for PlaybackHandle<C> {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.run, &o.run) && Rc::ptr_eq(&self.driver, &o.driver) && *self.playing == *o.playing
    }
}

impl<C: Clocked + 'static> PlaybackHandle<C> {
    pub fn is_playing(&self) -> bool {
        self.driver.borrow().playback.is_playing()
    }
    pub fn play(&self) {
        claim_keys(self.driver.borrow().id);
        self.driver.borrow_mut().playback.play();
        self.playing.set(true);
    }
    pub fn pause(&self) {
        claim_keys(self.driver.borrow().id);
        self.driver.borrow_mut().playback.pause();
        self.playing.set(false);
    }
    pub fn toggle(&self) {
        if self.is_playing() {
            self.pause()
        } else {
            self.play()
        }
    }
    /// Pauses and processes one event.
    pub fn step(&self) {
        claim_keys(self.driver.borrow().id);
        let mut d = self.driver.borrow_mut();
        d.playback.step(&mut *self.run.borrow_mut());
        drop(d);
        self.playing.set(false);
        self.redraw.force_update();
    }
    /// Pauses and goes back one event, for runs that can rewind (a no-op otherwise).
    pub fn step_back(&self) {
        claim_keys(self.driver.borrow().id);
        self.driver.borrow_mut().playback.pause();
        self.run.borrow_mut().step_back();
        self.playing.set(false);
        self.redraw.force_update();
    }
    /// Pauses and processes everything due at the next event's time.
    pub fn jump_to_next(&self) {
        claim_keys(self.driver.borrow().id);
        let mut d = self.driver.borrow_mut();
        d.playback.jump_to_next(&mut *self.run.borrow_mut());
        drop(d);
        self.playing.set(false);
        self.redraw.force_update();
    }
    pub fn speed(&self) -> f64 {
        self.driver.borrow().playback.speed()
    }
    pub fn set_speed(&self, speed: f64) {
        claim_keys(self.driver.borrow().id);
        self.driver.borrow_mut().playback.set_speed(speed);
        self.redraw.force_update();
    }
    pub fn slider(&self) -> u32 {
        self.driver.borrow().playback.slider()
    }
    pub fn set_slider(&self, pos: u32) {
        claim_keys(self.driver.borrow().id);
        self.driver.borrow_mut().playback.set_slider(pos);
        self.redraw.force_update();
    }
    pub fn report(&self) -> FrameReport {
        self.driver.borrow().report
    }
    /// The run's current virtual time.
    pub fn now(&self) -> SimTime {
        self.run.borrow().now()
    }
    /// "running at 12× of 1000×" when the budget holds the run back, else `None`.
    pub fn behind_text(&self) -> Option<String> {
        let r = self.report();
        (self.is_playing() && r.behind)
            .then(|| format!("running at {} of {} asked", format_speed(r.effective_speed), format_speed(r.asked_speed)))
    }
    /// Forces a redraw after the page changed the run from outside (a user action, a reset).
    pub fn redraw(&self) {
        self.redraw.force_update();
    }
    pub fn run(&self) -> &Rc<RefCell<C>> {
        &self.run
    }
    /// `ControlsBar`'s play/pause callback.
    pub fn on_toggle(&self) -> Callback<()> {
        let h = self.clone();
        Callback::from(move |_| h.toggle())
    }
    /// `ControlsBar`'s step callback.
    pub fn on_step(&self) -> Callback<()> {
        let h = self.clone();
        Callback::from(move |_| h.step())
    }
    /// `ControlsBar`'s next-event callback.
    pub fn on_next(&self) -> Callback<()> {
        let h = self.clone();
        Callback::from(move |_| h.jump_to_next())
    }
    /// `ControlsBar`'s speed-slider callback (pages that also write the URL wrap their own).
    pub fn on_slider(&self) -> Callback<u32> {
        let h = self.clone();
        Callback::from(move |pos| h.set_slider(pos))
    }
}

fn is_typing_target(e: &KeyboardEvent) -> bool {
    e.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .map(|el| {
            let tag = el.tag_name().to_ascii_lowercase();
            matches!(tag.as_str(), "input" | "textarea" | "select" | "button" | "a" | "summary")
                || el.closest("[contenteditable], [role='dialog']").ok().flatten().is_some()
        })
        .unwrap_or(false)
}

/// Drives `run` from animation frames. `run` is the page's own `Rc` (from `use_mut_ref`), so a page
/// resets a run by replacing what is inside it.
#[hook]
pub fn use_playback<C: Clocked + 'static>(run: Rc<RefCell<C>>, initial_speed: f64) -> PlaybackHandle<C> {
    let driver = use_mut_ref(|| Driver {
        id: NEXT_PLAYER.with(|n| {
            let id = n.get();
            n.set(id + 1);
            id
        }),
        playback: Playback::new(initial_speed),
        last_frame_ms: None,
        report: FrameReport::default(),
        frame: None,
        budget: FrameBudget::new(FRAME_AIM_MS, MIN_SIM_MS),
        measure: None,
    });
    let redraw = use_force_update();
    let playing = use_state(|| false);
    let handle =
        PlaybackHandle { run: run.clone(), driver: driver.clone(), redraw: redraw.clone(), playing: playing.clone() };

    // The frame loop runs only while playing; pausing or unmounting drops the pending frame.
    {
        let run = run.clone();
        let driver = driver.clone();
        let redraw = redraw.clone();
        use_effect_with(*playing, move |playing| {
            fn schedule<C: Clocked + 'static>(
                run: Rc<RefCell<C>>,
                driver: Rc<RefCell<Driver>>,
                redraw: UseForceUpdateHandle,
            ) {
                let d2 = driver.clone();
                let frame = request_animation_frame(move |ts| {
                    // The frame's work counts from its start (`ts`, when the browser began it), so
                    // whatever ran in it before this callback counts with the drawing.
                    let frame_start = ts.min(performance_now());
                    let start = performance_now();
                    let plan = d2.borrow().budget.plan();
                    {
                        let mut d = d2.borrow_mut();
                        if plan.simulate {
                            // A frame that only draws leaves `last_frame_ms` alone, so the next
                            // simulating frame owes the wall time of both.
                            let elapsed = d.last_frame_ms.map(|last| (ts - last).max(0.0)).unwrap_or(0.0);
                            d.last_frame_ms = Some(ts);
                            let share = plan.sim_ms;
                            let report = d
                                .playback
                                .advance(&mut *run.borrow_mut(), elapsed, || performance_now() - start > share);
                            d.report = report;
                        }
                        let sim_ms = performance_now() - start;
                        // This frame's report, when it simulated (a frame that only draws keeps
                        // the last one, which `ran` does not read).
                        let hungry = plan.simulate && d.report.budget_hit;
                        d.budget.ran(plan, hungry, sim_ms);
                        // A timer task set now runs after this frame's render (Yew's, in the
                        // microtasks that follow this callback), style, layout and paint.
                        let d3 = d2.clone();
                        d.measure = Some(Timeout::new(0, move || {
                            d3.borrow_mut().budget.record(plan.draw, performance_now() - frame_start, sim_ms);
                        }));
                    }
                    if plan.draw {
                        redraw.force_update();
                    }
                    if d2.borrow().playback.is_playing() {
                        schedule(run, d2, redraw);
                    }
                });
                driver.borrow_mut().frame = Some(frame);
            }
            if *playing {
                driver.borrow_mut().last_frame_ms = None;
                driver.borrow_mut().budget.reset();
                schedule(run, driver.clone(), redraw);
            }
            move || {
                let mut d = driver.borrow_mut();
                d.frame = None;
                d.measure = None;
            }
        });
    }

    // Keyboard: Space toggles, → steps (not while typing or inside a dialog), for the player the
    // user touched last.
    {
        let handle = handle.clone();
        let id = driver.borrow().id;
        use_effect_with((), move |_| {
            claim_keys(id);
            let listener = web_sys::window().and_then(|w| w.document()).map(|doc| {
                EventListener::new_with_options(
                    &doc,
                    "keydown",
                    EventListenerOptions::enable_prevent_default(),
                    move |e| {
                        let Some(e) = e.dyn_ref::<KeyboardEvent>() else { return };
                        if !owns_keys(id) || e.ctrl_key() || e.meta_key() || e.alt_key() || is_typing_target(e) {
                            return;
                        }
                        match e.key().as_str() {
                            " " => {
                                e.prevent_default();
                                handle.toggle();
                            }
                            "ArrowRight" => {
                                e.prevent_default();
                                handle.step();
                            }
                            "ArrowLeft" if handle.run.borrow().can_step_back() => {
                                e.prevent_default();
                                handle.step_back();
                            }
                            _ => {}
                        }
                    },
                )
            });
            move || {
                drop(listener);
                release_keys(id);
            }
        });
    }
    handle
}
