//! `use_click_away` with real pointer events.

use std::cell::Cell;
use std::rc::Rc;

use playground::ui::hooks::use_click_away;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;
use web_sys::PointerEvent;
use yew::prelude::*;

use crate::support::*;

#[derive(Properties, PartialEq)]
struct ProbeProps {
    on_away: Callback<PointerEvent>,
}

#[component]
fn Probe(props: &ProbeProps) -> Html {
    let node = use_node_ref();
    use_click_away(node.clone(), props.on_away.clone());
    html! {
        <div ref={node} data-testid="inside"><button data-testid="inner">{ "inner" }</button></div>
    }
}

fn counter() -> (Rc<Cell<u32>>, Callback<PointerEvent>) {
    let n = Rc::new(Cell::new(0));
    let m = n.clone();
    (n, Callback::from(move |_| m.set(m.get() + 1)))
}

#[wasm_bindgen_test]
async fn inside_keeps_outside_fires_for_mouse_pen_and_touch() {
    let root = fresh_root();
    let (n, cb) = counter();
    let handle = yew::Renderer::<Probe>::with_root_and_props(root.clone(), ProbeProps { on_away: cb }).render();
    settle().await;
    let inner = by_testid(&root, "inner").unwrap();
    pointerdown(&inner, "mouse");
    assert_eq!(n.get(), 0, "a pointerdown inside must not count as away");
    pointerdown(&document().body().unwrap(), "mouse");
    assert_eq!(n.get(), 1);
    pointerdown(&document().body().unwrap(), "touch");
    assert_eq!(n.get(), 2, "touch outside counts");
    pointerdown(&document().body().unwrap(), "pen");
    assert_eq!(n.get(), 3, "pen outside counts");
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn after_unmount_nothing_is_called() {
    let root = fresh_root();
    let (n, cb) = counter();
    let handle = yew::Renderer::<Probe>::with_root_and_props(root.clone(), ProbeProps { on_away: cb }).render();
    settle().await;
    handle.destroy();
    settle().await;
    pointerdown(&document().body().unwrap(), "mouse");
    assert_eq!(n.get(), 0);
    root.remove();
}

#[wasm_bindgen(inline_js = r#"
export function spy_listeners(type_) {
  const doc = document;
  const orig = doc.addEventListener;
  const origRemove = doc.removeEventListener;
  const spy = { added: 0, removed: 0, restore() { delete doc.addEventListener; delete doc.removeEventListener; } };
  doc.addEventListener = function (t, ...rest) { if (t === type_) spy.added++; return orig.call(this, t, ...rest); };
  doc.removeEventListener = function (t, ...rest) { if (t === type_) spy.removed++; return origRemove.call(this, t, ...rest); };
  return spy;
}
export function spy_added(spy) { return spy.added; }
export function spy_removed(spy) { return spy.removed; }
export function spy_restore(spy) { spy.restore(); }
"#)]
extern "C" {
    fn spy_listeners(type_: &str) -> JsValue;
    fn spy_added(spy: &JsValue) -> u32;
    fn spy_removed(spy: &JsValue) -> u32;
    fn spy_restore(spy: &JsValue);
}

#[wasm_bindgen_test]
async fn a_new_callback_is_used_without_re_registering() {
    let spy = spy_listeners("pointerdown");
    let root = fresh_root();
    let (first, cb1) = counter();
    let (second, cb2) = counter();
    let mut handle = yew::Renderer::<Probe>::with_root_and_props(root.clone(), ProbeProps { on_away: cb1 }).render();
    settle().await;
    assert_eq!(spy_added(&spy), 1, "one document listener once mounted");
    handle.update(ProbeProps { on_away: cb2 });
    settle().await;
    pointerdown(&document().body().unwrap(), "mouse");
    assert_eq!((first.get(), second.get()), (0, 1), "the latest callback is the one called");
    assert_eq!(spy_added(&spy), 1, "re-rendering with a new callback must not re-register");
    assert_eq!(spy_removed(&spy), 0);
    handle.destroy();
    settle().await;
    assert_eq!(spy_removed(&spy), 1, "the listener is removed on unmount");
    spy_restore(&spy);
    root.remove();
}
