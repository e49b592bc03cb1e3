//! `ControlsBar`: the shared play / step / next-event / speed / seed / reset bar of every model page.
//!
//! A leaf: it shows values and reports intent through callbacks; `use_playback` does the driving.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::Modal;
use crate::sim::playback::{format_speed, speed_from_slider};

#[derive(Properties, PartialEq)]
pub struct ControlsBarProps {
    pub playing: bool,
    /// Slider position 0..=1000 (logarithmic: 0 = 0.1×, 250 = 1×, 1000 = 1000×).
    pub slider: u32,
    /// The virtual clock, e.g. `0:01:23.450`.
    pub clock: AttrValue,
    /// Shown when the frame budget holds the run back (e.g. "running at 40× of 1000× asked").
    #[prop_or_default]
    pub behind: Option<AttrValue>,
    pub seed: u64,
    pub on_toggle: Callback<()>,
    pub on_step: Callback<()>,
    pub on_next: Callback<()>,
    pub on_slider: Callback<u32>,
    pub on_seed: Callback<u64>,
    /// Called after the user confirms the reset in a dialog.
    pub on_reset: Callback<()>,
}

#[component]
pub fn ControlsBar(props: &ControlsBarProps) -> Html {
    let confirming = use_state(|| false);
    let seed_error = use_state(|| None::<String>);
    let seed_text = use_state(|| props.seed.to_string());
    {
        let seed_text = seed_text.clone();
        let seed_error = seed_error.clone();
        use_effect_with(props.seed, move |seed| {
            seed_text.set(seed.to_string());
            seed_error.set(None);
        });
    }

    let on_toggle = props.on_toggle.reform(|_: MouseEvent| ());
    let on_step = props.on_step.reform(|_: MouseEvent| ());
    let on_next = props.on_next.reform(|_: MouseEvent| ());
    let on_slider = {
        let cb = props.on_slider.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Ok(v) = input.value().parse::<u32>() {
                cb.emit(v.min(1000));
            }
        })
    };
    let on_seed_input = {
        let seed_text = seed_text.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            seed_text.set(input.value());
        })
    };
    let apply_seed = {
        let seed_text = seed_text.clone();
        let seed_error = seed_error.clone();
        let cb = props.on_seed.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match seed_text.trim().parse::<u64>() {
                Ok(s) => {
                    seed_error.set(None);
                    cb.emit(s);
                }
                Err(_) => seed_error.set(Some(format!(
                    "Seed \"{}\" is not accepted: enter a whole number from 0 to {}.",
                    seed_text.as_str(),
                    u64::MAX
                ))),
            }
        })
    };
    let open_reset = {
        let confirming = confirming.clone();
        Callback::from(move |_: MouseEvent| confirming.set(true))
    };
    let close_reset = {
        let confirming = confirming.clone();
        Callback::from(move |_| confirming.set(false))
    };
    let confirm_reset = {
        let confirming = confirming.clone();
        let cb = props.on_reset.clone();
        Callback::from(move |_: MouseEvent| {
            confirming.set(false);
            cb.emit(());
        })
    };
    let speed = speed_from_slider(props.slider);
    html! {
        <div class="controls-bar" role="toolbar" aria-label="Simulation controls" data-testid="controls-bar">
            <div class="controls-bar__group">
                <button type="button" class="button controls-bar__play" data-testid="play-toggle"
                        aria-pressed={props.playing.to_string()} onclick={on_toggle}
                        title="Play or pause (Space)">
                    { if props.playing { "❚❚ Pause" } else { "▶ Play" } }
                </button>
                <button type="button" class="button button--quiet" data-testid="step" onclick={on_step} title="Process one event (→)">
                    { "Step" }
                </button>
                <button type="button" class="button button--quiet" data-testid="next-event" onclick={on_next} title="Jump to the next event's time">
                    { "Next event" }
                </button>
            </div>
            <div class="controls-bar__clock" data-testid="clock" aria-live="off" title="Virtual time since the run started">
                <span class="controls-bar__label">{ "t =" }</span>
                <output>{ props.clock.clone() }</output>
            </div>
            <label class="controls-bar__speed">
                <span class="controls-bar__label">{ "Speed" }</span>
                <input type="range" min="0" max="1000" step="1" value={props.slider.to_string()}
                       aria-valuetext={format_speed(speed)} data-testid="speed" oninput={on_slider} />
                <output data-testid="speed-value">{ format_speed(speed) }</output>
            </label>
            // The notice's place is kept whether it shows or not, so it appearing while playing
            // never moves the bar's other controls or the page below.
            <span class="controls-bar__behind" role="status" data-testid="behind-slot">
                if let Some(text) = &props.behind {
                    <span data-testid="behind">{ text.clone() }</span>
                }
            </span>
            <form class="controls-bar__seed" onsubmit={apply_seed}>
                <label>
                    <span class="controls-bar__label">{ "Seed" }</span>
                    <input type="text" inputmode="numeric" maxlength="24" value={(*seed_text).clone()} size="8"
                           aria-invalid={seed_error.is_some().to_string()} data-testid="seed" oninput={on_seed_input} />
                </label>
                <button type="submit" class="button button--quiet">{ "Apply" }</button>
            </form>
            <button type="button" class="button button--quiet" data-testid="reset" aria-haspopup="dialog" onclick={open_reset}>{ "Reset" }</button>
            if let Some(err) = &*seed_error {
                <p class="notice notice--error controls-bar__error" role="alert">{ err.clone() }</p>
            }
            if *confirming {
                <Modal title="Reset the run?" on_close={close_reset.clone()} testid="reset-modal">
                    <p>{ "The run goes back to time zero with the current seed and settings. What happened so far is discarded." }</p>
                    <div class="modal__actions">
                        <button type="button" class="button button--quiet" onclick={close_reset.reform(|_: MouseEvent| ())}>{ "Cancel" }</button>
                        <button type="button" class="button button--danger" data-testid="reset-confirm" onclick={confirm_reset}>{ "Reset" }</button>
                    </div>
                </Modal>
            }
        </div>
    }
}
