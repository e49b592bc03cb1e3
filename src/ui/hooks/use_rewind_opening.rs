//! `use_rewind_opening`: takes a rewindable run to a link's or a replay file's cursor in slices of a
//! frame's budget (`use_frame_job`), so opening a long run never freezes the tab. While it works the
//! playback is paused and `on_moved` fires once per frame (the page redraws its progress notice);
//! when the cursor is reached `on_opened` fires. A new target replaces the old; `None` cancels.

use std::cell::RefCell;
use std::rc::Rc;

use yew::prelude::*;

use super::use_frame_job::{use_frame_job, SLICE_MS};
use super::use_playback::PlaybackHandle;
use crate::sim::rewind::{Rewind, Rewindable, Seek};

/// Events per `seek_bounded` call between two looks at the frame's clock.
const EVENTS_PER_LOOK: u64 = 256;

#[hook]
pub fn use_rewind_opening<M: Rewindable + 'static>(
    playback: &PlaybackHandle<Rewind<M>>,
    opening: Option<Seek>,
    on_moved: Callback<()>,
    on_opened: Callback<()>,
) {
    let job = use_frame_job();
    let run: Rc<RefCell<Rewind<M>>> = playback.run().clone();
    let playback = playback.clone();
    use_effect_with(opening, move |opening| {
        if let Some(target) = *opening {
            playback.pause();
            job.start(move || {
                let t0 = crate::ui::performance_now();
                loop {
                    if run.borrow_mut().seek_bounded(target, EVENTS_PER_LOOK) {
                        on_opened.emit(());
                        return false;
                    }
                    if crate::ui::performance_now() - t0 > SLICE_MS {
                        on_moved.emit(());
                        return true;
                    }
                }
            });
        } else {
            job.cancel();
        }
    });
}
