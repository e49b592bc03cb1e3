//! `use_sampled`: a live value drawn at a lower rate than the frames that carry it.
//!
//! A playing page renders every frame; numbers that change every frame (a card's counters and bars)
//! make Chromium restyle, lay out and repaint their box every frame, which is most of a frame's
//! work. Read at 10 Hz they still look live. Each caller passes a `phase` (e.g. its index) so that
//! many sampled leaves do not all redraw in the same frame: their updates spread over the period.
//! A change of `key` (a discrete state such as "down") is drawn at once, so is a lone change (a
//! step or a click on a paused page), and the latest value is always drawn within one period, even
//! when no further frame comes.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use yew::prelude::*;

use crate::ui::performance_now;

struct Sampled<T, K> {
    value: T,
    key: K,
    /// The period (counted from the caller's phase) the shown value was taken in.
    slot: i64,
    /// When a value other than the shown one last arrived (never, at first).
    arrived: f64,
    /// A redraw at the next slot, pending while a newer value waits to be shown.
    trailing: Option<Timeout>,
}

/// Returns the value to draw: `value` itself when `key` changed or a new period slot began since
/// the last one drawn, else the last one drawn (a redraw is then scheduled for the next slot).
#[hook]
pub fn use_sampled<T, K>(value: T, key: K, period_ms: f64, phase: f64) -> T
where
    T: Clone + PartialEq + 'static,
    K: Clone + PartialEq + 'static,
{
    let period = period_ms.max(1.0);
    let offset = phase.rem_euclid(1.0) * period;
    let now = performance_now();
    let slot = ((now + offset) / period).floor() as i64;
    let state: Rc<RefCell<Sampled<T, K>>> = use_mut_ref(|| Sampled {
        value: value.clone(),
        key: key.clone(),
        slot,
        arrived: f64::NEG_INFINITY,
        trailing: None,
    });
    let redraw = use_force_update();
    let mut s = state.borrow_mut();
    if s.value == value && s.key == key {
        s.trailing = None;
        return value;
    }
    // Values arriving less than a period apart are a stream (a playing page) and are sampled; a
    // lone change (a step, a click on a paused page) is drawn at once.
    let streaming = now - s.arrived < period;
    s.arrived = now;
    if s.key != key || s.slot != slot || !streaming {
        s.value = value;
        s.key = key;
        s.slot = slot;
        s.trailing = None;
    } else if s.trailing.is_none() {
        let wait = ((slot + 1) as f64 * period - offset - now).max(0.0).ceil() as u32 + 1;
        s.trailing = Some(Timeout::new(wait, move || redraw.force_update()));
    }
    s.value.clone()
}
