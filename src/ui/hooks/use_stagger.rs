//! `use_stagger`: which of a page's heavy pictures may be redrawn in this render while a run plays.
//!
//! A playing page renders every animation frame. Pictures that are costly to diff, restyle and
//! paint (a timeline of swimlanes, sequence diagrams, tables) look live at 7–15 Hz; redrawing them
//! less often, and never two in the same frame, keeps every frame's work small. Each part has its
//! period; in a render while playing at most one part is due: the most overdue one whose period
//! has passed. While paused (and on the first render) every part is due, so a step, a seek or a
//! click shows at once. The page keeps the value it drew for a part that is not due.

use yew::prelude::*;

use crate::ui::performance_now;

/// For each of `N` parts with the given periods (wall ms), whether it is due in this render.
#[hook]
pub fn use_stagger<const N: usize>(playing: bool, periods_ms: [f64; N]) -> [bool; N] {
    let last = use_mut_ref(|| None::<[f64; N]>);
    let now = performance_now();
    let mut last = last.borrow_mut();
    let Some(drawn) = last.as_mut().filter(|_| playing) else {
        *last = Some([now; N]);
        return [true; N];
    };
    let overdue = |i: usize| now - drawn[i] - periods_ms[i];
    let mut due = [false; N];
    if let Some(i) = (0..N).max_by(|a, b| overdue(*a).total_cmp(&overdue(*b))) {
        if overdue(i) >= 0.0 {
            drawn[i] = now;
            due[i] = true;
        }
    }
    due
}
