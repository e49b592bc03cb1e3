//! "Download replay" and "Open replay": the run as the JSON file `sim lock --replay-out` writes and
//! `sim replay` runs (scenario, seed, epoch, action log, cursor). Opening checks the file first; a
//! bad one gets a message naming what is wrong and the current run stays as it is.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::lock::LockReplay;
use crate::lock::LockRuntime;
use crate::sim::replay::ReplayModel;

#[derive(Properties, PartialEq)]
pub struct ReplayPanelProps {
    /// Makes the file's text (the run as it stands) when the user asks for it.
    pub on_download: Callback<()>,
    /// A file was read and understood.
    pub on_open: Callback<LockReplay>,
    /// A file could not be used: why.
    pub on_error: Callback<String>,
    #[prop_or_default]
    pub error: Option<String>,
    /// Logged actions in the run (for the label).
    pub actions: usize,
}

/// Reads and checks a replay file's text.
pub fn parse_replay(text: &str) -> Result<LockReplay, String> {
    let r = LockReplay::parse(text, LockRuntime::ID).map_err(|e| e.to_string())?;
    crate::lock::Scenario { seed: r.seed, ..r.scenario.clone() }
        .validate()
        .map_err(|e| format!("the replay's scenario is not valid: {e}"))?;
    Ok(r)
}

#[component]
pub fn ReplayPanel(props: &ReplayPanelProps) -> Html {
    let file_ref = use_node_ref();
    let on_pick = {
        let on_open = props.on_open.clone();
        let on_error = props.on_error.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            input.set_value("");
            let (on_open, on_error) = (on_open.clone(), on_error.clone());
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
                match parse_replay(&text) {
                    Ok(r) => on_open.emit(r),
                    Err(e) => on_error.emit(format!("{name} was not opened: {e}. The current run is unchanged.")),
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
        <div class="lk-replay" data-testid="replay-panel">
            <button type="button" class="button button--quiet" data-testid="replay-download"
                    title="Save this run (scenario, seed, your actions and the cursor) as a file `sim replay` also runs"
                    onclick={props.on_download.reform(|_: MouseEvent| ())}>
                { format!("Download replay ({} action{})", props.actions, if props.actions == 1 { "" } else { "s" }) }
            </button>
            <button type="button" class="button button--quiet" data-testid="replay-open" onclick={open}>{ "Open replay…" }</button>
            <input ref={file_ref} type="file" accept=".json,application/json" class="lk-replay__file" data-testid="replay-file"
                   aria-label="Replay file" onchange={on_pick} />
            if let Some(e) = &props.error {
                <p class="notice notice--error" role="alert" data-testid="replay-error">{ e.clone() }</p>
            }
        </div>
    }
}
