//! The preset picker: a preset's name, what to look for, and its scripted faults as chips.

use web_sys::HtmlSelectElement;
use yew::prelude::*;

use super::text::tick;
use crate::lock::url::{self as params, CUSTOM};
use crate::lock::{preset_description, Scenario, PRESET_IDS};

#[derive(Properties, PartialEq)]
pub struct PresetPanelProps {
    pub scenario: Scenario,
    /// A preset was picked: its scenario, with the current seed.
    pub on_apply: Callback<Scenario>,
}

#[component]
pub fn PresetPanel(props: &PresetPanelProps) -> Html {
    let s = &props.scenario;
    let current_preset = s.preset.clone().unwrap_or_else(|| CUSTOM.to_string());
    let on_preset = {
        let apply = props.on_apply.clone();
        let seed = s.seed;
        Callback::from(move |e: Event| {
            let sel: HtmlSelectElement = e.target_unchecked_into();
            apply.emit(params::base_scenario(&sel.value(), seed));
        })
    };
    html! {
        <section class="panel lk-preset" data-testid="preset-panel">
            <label class="field lk-preset__pick">
                <span>{ "Preset" }</span>
                <select data-testid="preset-select" onchange={on_preset}>
                    <option value={CUSTOM} selected={current_preset == CUSTOM}>{ "custom (no scripted faults)" }</option>
                    { for PRESET_IDS.iter().map(|id| html! {
                        <option value={*id} selected={current_preset == *id}>{ *id }</option>
                    }) }
                </select>
            </label>
            <p class="lk-preset__what" data-testid="preset-description">
                <strong>{ "What to look for: " }</strong>
                { preset_description(&current_preset).unwrap_or(
                    "No scripted faults: the workers elect a holder, renew and process jobs. Use the buttons on the cards and on Redis to break it.") }
            </p>
            if !s.steps.is_empty() {
                <p class="lk-preset__steps">
                    { "Scripted: " }
                    { for s.steps.iter().map(|st| html! { <span class="lk-chip">{ format!("{} {}", tick(st.at_ms), st.action.describe()) }</span> }) }
                </p>
            }
        </section>
    }
}
