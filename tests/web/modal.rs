//! `Modal`: outside click, Escape, close button, focus handling and scroll lock, with real events.

use playground::ui::components::Modal;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use yew::prelude::*;

use crate::support::*;

#[component]
fn Host() -> Html {
    let open = use_state(|| false);
    let onclick = {
        let open = open.clone();
        Callback::from(move |_| open.set(true))
    };
    let on_close = {
        let open = open.clone();
        Callback::from(move |_| open.set(false))
    };
    html! {
        <div>
            <button data-testid="opener" {onclick}>{ "Open" }</button>
            <p data-testid="outside">{ "page text" }</p>
            if *open {
                <Modal title="Test dialog" {on_close}>
                    <p data-testid="body-text">{ "hello" }</p>
                    <button data-testid="inside-button">{ "Inside" }</button>
                </Modal>
            }
        </div>
    }
}

async fn open_modal(root: &web_sys::Element) -> web_sys::Element {
    let opener = by_testid(root, "opener").unwrap();
    opener.dyn_ref::<web_sys::HtmlElement>().unwrap().focus().unwrap();
    click(&opener);
    settle().await;
    by_testid(root, "modal").expect("the dialog opens")
}

#[wasm_bindgen_test]
async fn dialog_is_accessible_and_takes_focus_and_locks_scroll() {
    let root = fresh_root();
    let handle = yew::Renderer::<Host>::with_root(root.clone()).render();
    settle().await;
    let dialog = open_modal(&root).await;
    assert_eq!(dialog.get_attribute("role").as_deref(), Some("dialog"));
    assert_eq!(dialog.get_attribute("aria-modal").as_deref(), Some("true"));
    let label_id = dialog.get_attribute("aria-labelledby").unwrap();
    let title = document().get_element_by_id(&label_id).expect("the label points at the title");
    assert_eq!(title.text_content().as_deref(), Some("Test dialog"));
    let active = active_element().unwrap();
    assert!(dialog.contains(Some(&active)), "focus moves into the dialog");
    assert!(document().body().unwrap().class_list().contains("modal-open"), "the page behind does not scroll");
    handle.destroy();
    settle().await;
    assert!(!document().body().unwrap().class_list().contains("modal-open"));
    root.remove();
}

#[wasm_bindgen_test]
async fn pointerdown_inside_keeps_it_open_outside_closes_it() {
    let root = fresh_root();
    let handle = yew::Renderer::<Host>::with_root(root.clone()).render();
    settle().await;
    open_modal(&root).await;
    pointerdown(&by_testid(&root, "body-text").unwrap(), "mouse");
    settle().await;
    assert!(by_testid(&root, "modal").is_some(), "inside keeps it open");
    pointerdown(&by_testid(&root, "modal-backdrop").unwrap(), "mouse");
    settle().await;
    assert!(by_testid(&root, "modal").is_none(), "outside closes it");
    assert!(!document().body().unwrap().class_list().contains("modal-open"));
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn touch_outside_closes_it() {
    let root = fresh_root();
    let handle = yew::Renderer::<Host>::with_root(root.clone()).render();
    settle().await;
    open_modal(&root).await;
    pointerdown(&document().body().unwrap(), "touch");
    settle().await;
    assert!(by_testid(&root, "modal").is_none());
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn escape_closes_it_and_focus_returns_to_the_opener() {
    let root = fresh_root();
    let handle = yew::Renderer::<Host>::with_root(root.clone()).render();
    settle().await;
    open_modal(&root).await;
    keydown(&active_element().unwrap(), "Escape");
    settle().await;
    assert!(by_testid(&root, "modal").is_none(), "Escape closes it");
    assert_eq!(active_element(), by_testid(&root, "opener"), "focus goes back to the opener");
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn close_button_closes_it() {
    let root = fresh_root();
    let handle = yew::Renderer::<Host>::with_root(root.clone()).render();
    settle().await;
    open_modal(&root).await;
    click(&by_testid(&root, "modal-close").unwrap());
    settle().await;
    assert!(by_testid(&root, "modal").is_none());
    assert_eq!(active_element(), by_testid(&root, "opener"));
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn tab_stays_inside_the_dialog() {
    let root = fresh_root();
    let handle = yew::Renderer::<Host>::with_root(root.clone()).render();
    settle().await;
    let dialog = open_modal(&root).await;
    // Last focusable is the inside button; Tab from it wraps to the first (the close button).
    by_testid(&root, "inside-button").unwrap().dyn_ref::<web_sys::HtmlElement>().unwrap().focus().unwrap();
    keydown(&active_element().unwrap(), "Tab");
    let active = active_element().unwrap();
    assert!(dialog.contains(Some(&active)));
    assert_eq!(Some(active), by_testid(&root, "modal-close"));
    handle.destroy();
    root.remove();
}
