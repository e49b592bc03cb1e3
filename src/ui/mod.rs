//! The Yew skin: routes, layout, pages, components and hooks. It only turns user intent into calls on
//! the pure core and draws the core's state.
//!
//! Architecture invariant: this is the only module that names `yew`, `web_sys`, `js_sys` or `gloo`,
//! and it exists only in the wasm32 build.

pub mod app;
pub mod components;
pub mod download;
pub mod hooks;
pub mod lua_module;
pub mod pages;
pub mod rewind_page;
pub mod routes;

pub use app::{App, Layout, Shell};
pub use routes::{Bundle, Pages, Route};

use wasm_bindgen::JsCast;

/// `performance.now()` in ms (0 when unavailable): the one place the skin reads the monotonic wall
/// clock, for frame budgets and in-page timings.
pub fn performance_now() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or(0.0)
}

/// The value of a text box capped at `max` characters (`crate::sim::params::cap_chars`), written
/// back into the box when it was cut: its `maxlength` stops typing and pasting, but a value set by
/// script is not held to it, and the state may already hold the same capped text (Yew would then
/// leave the longer value in the box).
pub fn capped_input_value(input: &web_sys::HtmlInputElement, max: usize) -> String {
    let (text, cut) = crate::sim::params::cap_chars(&input.value(), max);
    if cut {
        input.set_value(&text);
    }
    text
}

/// Text of the banner shown when the app panics.
pub const CRASH_BANNER_TEXT: &str = "Something went wrong and the playground stopped. Reload the page to start again.";

/// Installs the panic hook and mounts the app, with one bundle's pages, on `<body>`.
pub fn start(pages: Pages) {
    // Through Yew's setter: a plain `std::panic::set_hook` would be replaced by Yew's default hook.
    yew::set_custom_panic_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        show_crash_banner();
    }));
    yew::Renderer::<App>::with_props(app::AppProps { pages }).render();
    // The static loading state from index.html has done its job once the app is mounted.
    if let Some(boot) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("boot")) {
        boot.remove();
    }
}

/// Draws the crash banner with plain DOM calls: after a panic the Yew app can no longer render.
pub fn show_crash_banner() {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    if doc.get_element_by_id("crash-banner").is_some() {
        return;
    }
    let Ok(banner) = doc.create_element("div") else { return };
    banner.set_id("crash-banner");
    let _ = banner.set_attribute("role", "alert");
    let _ = banner.set_attribute("data-testid", "crash-banner");
    banner.set_class_name("crash-banner");
    let text = doc.create_element("span").ok();
    if let Some(t) = &text {
        t.set_text_content(Some(CRASH_BANNER_TEXT));
        let _ = banner.append_child(t);
    }
    if let Ok(button) = doc.create_element("button") {
        button.set_text_content(Some("Reload"));
        let reload = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(|| {
            if let Some(w) = web_sys::window() {
                let _ = w.location().reload();
            }
        });
        if let Some(b) = button.dyn_ref::<web_sys::HtmlElement>() {
            b.set_onclick(Some(reload.as_ref().unchecked_ref()));
        }
        // The page is dead after a panic; the closure must outlive this function to stay clickable.
        reload.forget();
        let _ = banner.append_child(&button);
    }
    if let Some(body) = doc.body() {
        let _ = body.prepend_with_node_1(&banner);
    }
}
