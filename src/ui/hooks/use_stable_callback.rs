//! `use_stable_callback`: a callback that stays the same value across renders while always calling
//! the latest one passed in.
//!
//! A parent that builds its callbacks in every render hands its children a new `Callback` each
//! frame, and `Callback`'s equality is identity, so a child memoized on its props redraws anyway.
//! A leaf that samples its values (`use_sampled`) passes this stable one down instead.

use yew::prelude::*;

#[hook]
pub fn use_stable_callback<IN: 'static, OUT: 'static>(latest: Callback<IN, OUT>) -> Callback<IN, OUT> {
    let cell = use_mut_ref(|| latest.clone());
    *cell.borrow_mut() = latest;
    let stable = use_memo((), move |_| {
        Callback::from(move |v: IN| {
            // Not borrowed while it runs, so the callback may render this component again.
            let latest = cell.borrow().clone();
            latest.emit(v)
        })
    });
    (*stable).clone()
}
