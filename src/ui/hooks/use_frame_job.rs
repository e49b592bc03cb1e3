//! `use_frame_job`: runs a long computation (the contention sweep, the herd series) in slices, one
//! slice per animation frame, so the tab never freezes. The page's tick closure does a budgeted
//! slice of work and says whether more is left; cancelling drops the pending frame (and with it the
//! closure and the work it owns). Used by the backoff sweep and herd and the load-balancing compare.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_render::{request_animation_frame, AnimationFrame};
use yew::prelude::*;

/// Wall-clock milliseconds of work per frame: leaves room for layout and paint at 60 Hz.
pub const SLICE_MS: f64 = 12.0;

type Tick = Rc<RefCell<dyn FnMut() -> bool>>;
type Slot = Rc<RefCell<Option<AnimationFrame>>>;

#[derive(Clone)]
pub struct FrameJobHandle {
    slot: Slot,
}

impl PartialEq for FrameJobHandle {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.slot, &o.slot)
    }
}

impl FrameJobHandle {
    /// Calls `tick` once per animation frame until it returns false. Replaces any job running.
    pub fn start(&self, tick: impl FnMut() -> bool + 'static) {
        let tick: Tick = Rc::new(RefCell::new(tick));
        schedule(tick, self.slot.clone());
    }
    /// Stops the job: its next frame never runs.
    pub fn cancel(&self) {
        let pending = self.slot.borrow_mut().take();
        drop(pending);
    }
}

fn schedule(tick: Tick, slot: Slot) {
    let (t2, s2) = (tick.clone(), slot.clone());
    let frame = request_animation_frame(move |_| {
        let more = (t2.borrow_mut())();
        if more {
            schedule(t2, s2);
        } else {
            let done = s2.borrow_mut().take();
            drop(done);
        }
    });
    *slot.borrow_mut() = Some(frame);
}

/// A frame-sliced job slot, cancelled when the component unmounts.
#[hook]
pub fn use_frame_job() -> FrameJobHandle {
    let slot: Slot = use_mut_ref(|| None);
    {
        let slot = slot.clone();
        use_effect_with((), move |_| {
            move || {
                let pending = slot.borrow_mut().take();
                drop(pending);
            }
        });
    }
    FrameJobHandle { slot }
}
