//! `ReplayPanel`: "Download replay" and "Open replay" for a rewindable page — the run as the JSON
//! file `sim <model> --replay-out` writes and `sim replay` runs (scenario, seed, epoch, action log,
//! cursor). The page reads the picked file's text (`on_text`: parse, check, load, or say what is
//! wrong); a bad file gets a message naming what is wrong and the current run stays as it is.

use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ReplayPanelProps {
    /// Makes the file's text (the run as it stands) when the user asks for it.
    pub on_download: Callback<()>,
    /// A file's text was read: the page opens it, or returns why not.
    pub on_text: Callback<String, Result<(), String>>,
    /// A file could not be used: why.
    pub on_error: Callback<String>,
    #[prop_or_default]
    pub error: Option<String>,
    /// Logged actions in the run (for the label).
    pub actions: usize,
}

#[component]
pub fn ReplayPanel(props: &ReplayPanelProps) -> Html {
    let file_ref = use_node_ref();
    let on_pick = {
        let on_text = props.on_text.clone();
        let on_error = props.on_error.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            input.set_value("");
            let (on_text, on_error) = (on_text.clone(), on_error.clone());
            let name = file.name();
            wasm_bindgen_futures::spawn_local(async move {
                let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
                let text = match text.ok().and_then(|t| t.as_string()) {
                    Some(t) => t,
                    None => {
                        on_error.emit(format!("{name} could not be read as text; the current run is unchanged."));
                        return;
                    }
                };
                if let Err(e) = on_text.emit(text) {
                    on_error.emit(format!("{name} was not opened: {e}. The current run is unchanged."));
                }
            });
        })
    };
    let open = {
        let file_ref = file_ref.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(i) = file_ref.cast::<web_sys::HtmlElement>() {
                i.click();
            }
        })
    };
    html! {
        <div class="replay-panel" data-testid="replay-panel">
            <button type="button" class="button button--quiet" data-testid="replay-download"
                    title="Save this run (scenario, seed, your actions and the cursor) as a file `sim replay` also runs"
                    onclick={props.on_download.reform(|_: MouseEvent| ())}>
                { format!("Download replay ({} action{})", props.actions, if props.actions == 1 { "" } else { "s" }) }
            </button>
            <button type="button" class="button button--quiet" data-testid="replay-open" onclick={open}>{ "Open replay…" }</button>
            <input ref={file_ref} type="file" accept=".json,application/json" class="replay-panel__file" data-testid="replay-file"
                   aria-label="Replay file" onchange={on_pick} />
            if let Some(e) = &props.error {
                <p class="notice notice--error" role="alert" data-testid="replay-error">{ e.clone() }</p>
            }
        </div>
    }
}
