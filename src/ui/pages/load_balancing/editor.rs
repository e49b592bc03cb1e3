//! The scenario editor: a preset picker and every parameter as a field. "Apply" checks each field
//! (a bad one is named with its value and what is accepted), then the whole scenario (the core's
//! validation and balancer build), and only then hands the form to the page. Each text box keeps
//! at most `form::max_chars` characters (its `maxlength`, and [`crate::ui::capped_input_value`] for
//! a value set by script), far above any legal value; a note names each box at its cap, since a
//! paste into it may have been cut (a 164 KB paste into the weights box once made a 224 ms task).

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::balance::form::{label, max_chars, service_param_labels, FieldError, FIELDS, SERVICE_KINDS};
use crate::balance::{presets, AlgorithmId, LbRun, ScenarioForm};
use crate::sim::params::at_input_cap;

#[derive(Properties, PartialEq)]
pub struct ScenarioEditorProps {
    /// The applied form (the editor starts from it and returns to it when it changes).
    pub form: ScenarioForm,
    pub seed: u64,
    pub on_apply: Callback<ScenarioForm>,
}

/// What Apply found wrong.
#[derive(Clone, Debug, PartialEq)]
enum Problems {
    None,
    Fields(Vec<FieldError>),
    Scenario(String),
}

#[component]
pub fn ScenarioEditor(props: &ScenarioEditorProps) -> Html {
    // The draft lives in a ref so a submit always reads the latest keystrokes, even when it comes in
    // the same tick as the last input event.
    let draft = use_mut_ref(|| props.form.clone());
    let redraw = use_force_update();
    let problems = use_state(|| Problems::None);
    {
        let draft = draft.clone();
        let problems = problems.clone();
        let redraw = redraw.clone();
        use_effect_with(props.form.clone(), move |f| {
            *draft.borrow_mut() = f.clone();
            problems.set(Problems::None);
            redraw.force_update();
        });
    }

    let try_apply = {
        let problems = problems.clone();
        let on_apply = props.on_apply.clone();
        let seed = props.seed;
        move |f: ScenarioForm| match f.to_scenario(seed) {
            Err(errs) => problems.set(Problems::Fields(errs)),
            Ok(sc) => match sc.validate().and_then(|_| LbRun::new(&sc).map(|_| ())) {
                Err(e) => problems.set(Problems::Scenario(e.to_string())),
                Ok(()) => {
                    problems.set(Problems::None);
                    on_apply.emit(f);
                }
            },
        }
    };
    let on_submit = {
        let draft = draft.clone();
        let try_apply = try_apply.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let f = draft.borrow().clone();
            try_apply(f);
        })
    };
    let on_preset = {
        let try_apply = try_apply.clone();
        Callback::from(move |e: Event| {
            let sel: HtmlSelectElement = e.target_unchecked_into();
            try_apply(ScenarioForm::for_preset(&sel.value()));
        })
    };
    let set_field = |field: &'static str| {
        let draft = draft.clone();
        let redraw = redraw.clone();
        Callback::from(move |e: Event| {
            let max = max_chars(field);
            let v = e
                .target_dyn_into::<HtmlInputElement>()
                .map(|i| crate::ui::capped_input_value(&i, max))
                .or_else(|| e.target_dyn_into::<HtmlSelectElement>().map(|s| s.value()))
                .unwrap_or_default();
            let was_at_cap = at_input_cap(draft.borrow().get(field), max);
            let now_at_cap = at_input_cap(&v, max);
            draft.borrow_mut().set(field, v);
            // Only the service kind changes what the form shows (its parameters' labels), and a
            // field reaching or leaving its cap (the note saying a paste was cut).
            if field == "svc" || was_at_cap != now_at_cap {
                redraw.force_update();
            }
        })
    };
    let draft = draft.borrow().clone();
    let bad_fields: Vec<String> = match &*problems {
        Problems::Fields(errs) => errs.iter().map(|e| e.field.clone()).collect(),
        _ => Vec::new(),
    };
    let input = |field: &'static str, text: &str, hint: Option<&str>| {
        let invalid = bad_fields.iter().any(|f| f == field);
        html! {
            <label class="field">
                <span>{ text.to_string() }</span>
                <input type="text" value={draft.get(field).to_string()} oninput={set_field(field).reform(|e: InputEvent| Event::from(e))}
                       maxlength={max_chars(field).to_string()}
                       aria-invalid={invalid.to_string()} data-testid={format!("lb-field-{field}")}
                       title={hint.map(|h| h.to_string())} />
            </label>
        }
    };
    // Text fields that reached their cap: a paste into them may have been cut.
    let at_cap: Vec<&'static str> = FIELDS
        .into_iter()
        .filter(|f| !matches!(*f, "alg" | "svc") && at_input_cap(draft.get(f), max_chars(f)))
        .collect();
    let kind = draft.get("svc").to_string();
    let (a_label, b_label) = service_param_labels(&kind);
    let descr = presets().into_iter().find(|p| p.id == draft.preset).map(|p| p.description);

    html! {
        <form class="panel lb-editor" data-testid="lb-editor" onsubmit={on_submit}>
            <h2>{ "Scenario" }</h2>
            <div class="lb-editor__presets">
                <label class="field">
                    <span>{ "Preset" }</span>
                    <select data-testid="lb-preset" onchange={on_preset}>
                        <option value="custom" selected={draft.preset == "custom"}>{ "Custom (defaults)" }</option>
                        { for presets().into_iter().map(|p| html! {
                            <option value={p.id} selected={draft.preset == p.id}>{ p.title }</option>
                        }) }
                    </select>
                </label>
                if let Some(d) = descr {
                    <p class="lb-muted lb-editor__descr" data-testid="lb-preset-description">{ d }</p>
                }
            </div>
            <fieldset class="lb-fieldset">
                <legend>{ "Balancer and fleet" }</legend>
                <div class="form-grid">
                    <label class="field">
                        <span>{ label("alg") }</span>
                        <select data-testid="lb-field-alg" onchange={set_field("alg")}>
                            { for AlgorithmId::ALL.iter().map(|a| html! {
                                <option value={a.id()} selected={draft.get("alg") == a.id()}>{ a.id() }</option>
                            }) }
                        </select>
                    </label>
                    { input("weights", label("weights"), Some("one weight per server, e.g. 2,3,1")) }
                    { input("conc", label("conc"), None) }
                    { input("queue", label("queue"), None) }
                    { input("mg_track", label("mg_track"), Some("Maglev only: flows already seen stay on their server when the table changes, while it is healthy")) }
                </div>
            </fieldset>
            <fieldset class="lb-fieldset">
                <legend>{ "Traffic" }</legend>
                <div class="form-grid">
                    { input("rate", label("rate"), None) }
                    { input("dur", label("dur"), None) }
                    { input("clients", label("clients"), None) }
                    { input("nat", label("nat"), Some("these clients share one /24: ip_hash sends them all to one server")) }
                    { input("burst_every", label("burst_every"), None) }
                    { input("burst_len", label("burst_len"), None) }
                    { input("burst_x", label("burst_x"), None) }
                </div>
            </fieldset>
            <fieldset class="lb-fieldset">
                <legend>{ "Service time" }</legend>
                <div class="form-grid">
                    <label class="field">
                        <span>{ label("svc") }</span>
                        <select data-testid="lb-field-svc" onchange={set_field("svc")}>
                            { for SERVICE_KINDS.iter().map(|k| html! {
                                <option value={*k} selected={kind == *k}>{ *k }</option>
                            }) }
                        </select>
                    </label>
                    { input("svc_a", a_label, None) }
                    if let Some(b) = b_label {
                        { input("svc_b", b, None) }
                    }
                </div>
            </fieldset>
            <fieldset class="lb-fieldset">
                <legend>{ "Health checks" }</legend>
                <div class="form-grid">
                    { input("hc_every", label("hc_every"), None) }
                    { input("hc_fall", label("hc_fall"), None) }
                    { input("hc_rise", label("hc_rise"), None) }
                    { input("pf_max", label("pf_max"), Some("nginx max_fails: this many failures take a server out for fail_timeout, then one probe request is let through; each failure also costs weight / max_fails of its round-robin weight")) }
                    { input("pf_timeout", label("pf_timeout"), Some("nginx fail_timeout")) }
                    { input("slow_start", label("slow_start"), None) }
                </div>
            </fieldset>
            if !at_cap.is_empty() {
                <div class="notice" role="status" data-testid="lb-editor-cut">
                    <ul>{ for at_cap.iter().map(|f| html! {
                        <li data-testid={format!("lb-editor-cut-{f}")}>
                            { format!("{} (`{f}`) holds at most {} characters; anything longer was cut.", label(f), max_chars(f)) }
                        </li>
                    }) }</ul>
                </div>
            }
            {
                match &*problems {
                    Problems::None => html! {},
                    Problems::Fields(errs) => html! {
                        <div class="notice notice--error" role="alert" data-testid="lb-editor-errors">
                            <strong>{ "Not applied:" }</strong>
                            <ul>{ for errs.iter().map(|e| html! { <li>{ format!("{} (`{}`) = {:?} is not accepted: expected {}", e.label, e.field, crate::sim::params::clip(&e.value), e.accepted) }</li> }) }</ul>
                        </div>
                    },
                    Problems::Scenario(msg) => html! {
                        <div class="notice notice--error" role="alert" data-testid="lb-editor-errors">
                            <strong>{ "Not applied: " }</strong>{ msg.clone() }
                        </div>
                    },
                }
            }
            <div class="lb-editor__actions">
                <button type="submit" class="button" data-testid="lb-apply">{ "Apply and restart" }</button>
                <span class="lb-muted">{ "Applying restarts the run with the current seed and puts the scenario in the URL." }</span>
            </div>
        </form>
    }
}
