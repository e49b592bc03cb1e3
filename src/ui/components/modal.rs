//! `Modal`: a dialog built on [`use_click_away`].
//!
//! It closes on a pointerdown outside it, on Escape and on its close button. It is
//! `role="dialog"`, `aria-modal="true"` and labelled by its title; focus moves into it when it
//! opens, Tab cycles inside it, and focus returns to the opener when it closes; the page behind does
//! not scroll while it is open. The parent decides whether it is open by rendering it or not.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, KeyboardEvent};
use yew::prelude::*;

use crate::ui::hooks::use_click_away;

#[derive(Properties, PartialEq)]
pub struct ModalProps {
    pub title: AttrValue,
    pub on_close: Callback<()>,
    #[prop_or_default]
    pub children: Html,
    /// Extra class for sizing (e.g. `modal--wide`).
    #[prop_or_default]
    pub class: Classes,
    #[prop_or(AttrValue::Static("modal"))]
    pub testid: AttrValue,
}

thread_local! {
    static NEXT_ID: Cell<u32> = const { Cell::new(0) };
    /// Open modals: the page scroll lock is released when the last one closes.
    static OPEN_COUNT: Cell<u32> = const { Cell::new(0) };
}

const FOCUSABLE: &str =
    "a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";

fn document() -> Option<web_sys::Document> {
    web_sys::window().and_then(|w| w.document())
}

fn focusables(dialog: &web_sys::Element) -> Vec<HtmlElement> {
    let Ok(list) = dialog.query_selector_all(FOCUSABLE) else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.item(i)).filter_map(|n| n.dyn_into::<HtmlElement>().ok()).collect()
}

#[component]
pub fn Modal(props: &ModalProps) -> Html {
    let dialog_ref = use_node_ref();
    let title_id = use_memo((), |_| {
        NEXT_ID.with(|n| {
            n.set(n.get() + 1);
            format!("modal-title-{}", n.get())
        })
    });
    let on_close: Rc<RefCell<Callback<()>>> = use_mut_ref(|| props.on_close.clone());
    *on_close.borrow_mut() = props.on_close.clone();

    {
        let on_close = props.on_close.clone();
        use_click_away(dialog_ref.clone(), Callback::from(move |_| on_close.emit(())));
    }

    // Mount: remember the opener, move focus in, lock page scroll, listen for Escape and Tab.
    // Unmount: undo all of it and give focus back.
    {
        let dialog_ref = dialog_ref.clone();
        let on_close = on_close.clone();
        use_effect_with((), move |_| {
            let doc = document();
            let opener = doc.as_ref().and_then(|d| d.active_element()).and_then(|e| e.dyn_into::<HtmlElement>().ok());
            if let Some(dialog) = dialog_ref.cast::<HtmlElement>() {
                match focusables(&dialog).first() {
                    Some(first) => {
                        let _ = first.focus();
                    }
                    None => {
                        let _ = dialog.focus();
                    }
                }
            }
            if OPEN_COUNT.with(|c| {
                c.set(c.get() + 1);
                c.get() == 1
            }) {
                if let Some(body) = doc.as_ref().and_then(|d| d.body()) {
                    let _ = body.class_list().add_1("modal-open");
                }
            }
            let keys = doc.as_ref().map(|d| {
                let dialog_ref = dialog_ref.clone();
                // Not passive: Escape and Tab call preventDefault.
                EventListener::new_with_options(
                    d,
                    "keydown",
                    EventListenerOptions::enable_prevent_default(),
                    move |e| {
                        let Some(e) = e.dyn_ref::<KeyboardEvent>() else { return };
                        match e.key().as_str() {
                            "Escape" => {
                                e.prevent_default();
                                let cb = on_close.borrow().clone();
                                cb.emit(());
                            }
                            "Tab" => {
                                let Some(dialog) = dialog_ref.cast::<web_sys::Element>() else { return };
                                let items = focusables(&dialog);
                                let (Some(first), Some(last)) = (items.first(), items.last()) else { return };
                                let active = document().and_then(|d| d.active_element());
                                let on = |el: &HtmlElement| {
                                    active.as_ref().is_some_and(|a| a == el.unchecked_ref::<web_sys::Element>())
                                };
                                let inside = active.as_ref().is_some_and(|a| dialog.contains(Some(a)));
                                if e.shift_key() && (on(first) || !inside) {
                                    e.prevent_default();
                                    let _ = last.focus();
                                } else if !e.shift_key() && (on(last) || !inside) {
                                    e.prevent_default();
                                    let _ = first.focus();
                                }
                            }
                            _ => {}
                        }
                    },
                )
            });
            move || {
                drop(keys);
                if OPEN_COUNT.with(|c| {
                    c.set(c.get().saturating_sub(1));
                    c.get() == 0
                }) {
                    if let Some(body) = document().and_then(|d| d.body()) {
                        let _ = body.class_list().remove_1("modal-open");
                    }
                }
                if let Some(opener) = opener {
                    if opener.is_connected() {
                        let _ = opener.focus();
                    }
                }
            }
        });
    }

    let close = {
        let on_close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| on_close.emit(()))
    };
    html! {
        <div class="modal-backdrop" data-testid={format!("{}-backdrop", props.testid)}>
            <div
                ref={dialog_ref}
                class={classes!("modal", props.class.clone())}
                role="dialog"
                aria-modal="true"
                aria-labelledby={(*title_id).clone()}
                tabindex="-1"
                data-testid={props.testid.clone()}
            >
                <div class="modal__head">
                    <h2 id={(*title_id).clone()} class="modal__title">{ props.title.clone() }</h2>
                    <button type="button" class="icon-button modal__close" aria-label="Close" data-testid="modal-close" onclick={close}>
                        <span aria-hidden="true">{ "✕" }</span>
                    </button>
                </div>
                <div class="modal__body">{ props.children.clone() }</div>
            </div>
        </div>
    }
}
