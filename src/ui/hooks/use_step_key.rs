//! `use_step_key`: tells a step from a stream, for `use_sampled`'s key.
//!
//! `use_sampled` draws a change at once when its key changes. A leaf that samples a playing run
//! passes this key: it changes whenever `position` (an event count plus actions applied, the
//! newest request's id, a virtual-time mark) moved forward by at least one and at most `step`
//! since the last render — a step, a typed request, an action — so those are drawn at once however
//! fast they come (a user clicking "next event" quickly, a browser test), while a playing run,
//! which jumps further between two frames, is sampled. A render where `position` did not move
//! leaves the key alone.

use yew::prelude::*;

#[hook]
pub fn use_step_key(position: u64, step: u64) -> u64 {
    let last = use_mut_ref(|| (position, 0u64));
    let mut l = last.borrow_mut();
    if position > l.0 && position - l.0 <= step {
        l.1 = l.1.wrapping_add(1);
    }
    l.0 = position;
    l.1
}
