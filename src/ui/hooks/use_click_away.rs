//! `use_click_away`: the React `useClickAway` equivalent.
//!
//! Listens to `pointerdown` on the document (mouse, pen and touch alike) and calls the *latest*
//! callback only when the event's target lies outside the referenced element. The listener is
//! registered once per mounted element — passing a new callback on re-render swaps the callback
//! without re-registering — and is removed on unmount.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_events::EventListener;
use wasm_bindgen::JsCast;
use web_sys::{Node, PointerEvent};
use yew::prelude::*;

#[hook]
pub fn use_click_away(node: NodeRef, on_away: Callback<PointerEvent>) {
    let latest: Rc<RefCell<Callback<PointerEvent>>> = use_mut_ref(|| on_away.clone());
    *latest.borrow_mut() = on_away;

    use_effect_with(node, move |node| {
        let node = node.clone();
        let listener = gloo_utils_document().map(|doc| {
            EventListener::new(&doc, "pointerdown", move |event| {
                let Some(event) = event.dyn_ref::<PointerEvent>() else { return };
                // Not mounted (yet, or any more): there is no "inside", so nothing is "away".
                let Some(element) = node.get() else { return };
                let target = event.target().and_then(|t| t.dyn_into::<Node>().ok());
                if target.as_ref().is_some_and(|t| element.contains(Some(t))) {
                    return;
                }
                let callback = latest.borrow().clone();
                callback.emit(event.clone());
            })
        });
        move || drop(listener)
    });
}

fn gloo_utils_document() -> Option<web_sys::Document> {
    web_sys::window().and_then(|w| w.document())
}
