//! The "cache and workload" form (TTL, rate, users, skew) and the TTL presets. Keeps its own texts
//! and their errors, so a half-typed value survives redraws; only valid settings go up, as a
//! logged settings change.

use yew::prelude::*;

use super::input_text;
use crate::redis::cache_aside::replay::Settings;
use crate::redis::cache_aside::{parse_rate, parse_skew, parse_ttl, parse_users, InputError};

/// The texts of the form.
#[derive(Clone, Debug, PartialEq)]
struct SettingsForm {
    ttl: String,
    rate: String,
    users: String,
    skew: String,
}

impl SettingsForm {
    fn of(s: &Settings) -> Self {
        SettingsForm {
            ttl: s.ttl_s.to_string(),
            rate: s.rate_per_s.to_string(),
            users: s.users.to_string(),
            skew: s.skew.to_string(),
        }
    }
    /// The settings the form describes, or every field's error.
    fn parse(&self) -> Result<Settings, Vec<InputError>> {
        match (parse_ttl(&self.ttl), parse_rate(&self.rate), parse_users(&self.users), parse_skew(&self.skew)) {
            (Ok(ttl_s), Ok(rate_per_s), Ok(users), Ok(skew)) => Ok(Settings { ttl_s, rate_per_s, users, skew }),
            (a, b, c, d) => Err([a.err(), b.err(), c.err(), d.err()].into_iter().flatten().collect()),
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct WorkloadFormProps {
    /// The settings in force at the cursor (the form starts from them; presets change their TTL).
    pub current: Settings,
    pub on_apply: Callback<Settings>,
}

#[component]
pub fn WorkloadForm(props: &WorkloadFormProps) -> Html {
    let form = use_state(|| SettingsForm::of(&props.current));
    let errors = use_state(Vec::<String>::new);
    let field = |f: fn(&mut SettingsForm) -> &mut String| {
        let form = form.clone();
        Callback::from(move |e: InputEvent| {
            let mut next = (*form).clone();
            *f(&mut next) = input_text(&e);
            form.set(next);
        })
    };
    let on_submit = {
        let (form, errors, on_apply) = (form.clone(), errors.clone(), props.on_apply.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match form.parse() {
                Err(errs) => errors.set(errs.iter().map(ToString::to_string).collect()),
                Ok(settings) => {
                    errors.set(Vec::new());
                    on_apply.emit(settings);
                }
            }
        })
    };
    let preset = |ttl_s: u64| {
        let (form, errors, on_apply, current) =
            (form.clone(), errors.clone(), props.on_apply.clone(), props.current.clone());
        Callback::from(move |_: MouseEvent| {
            let mut f = (*form).clone();
            f.ttl = ttl_s.to_string();
            form.set(f);
            errors.set(Vec::new());
            on_apply.emit(Settings { ttl_s, ..current.clone() });
        })
    };
    html! {
        <>
            <form class="ca-workload" onsubmit={on_submit} data-testid="ca-workload">
                <fieldset>
                    <legend>{ "Cache and workload" }</legend>
                    <div class="form-grid">
                        <label class="field"><span>{ "TTL (s)" }</span>
                            <input type="text" inputmode="numeric" maxlength="24" value={form.ttl.clone()} oninput={field(|f| &mut f.ttl)} data-testid="ca-ttl" /></label>
                        <label class="field"><span>{ "Requests / s (0 = off)" }</span>
                            <input type="text" inputmode="decimal" maxlength="24" value={form.rate.clone()} oninput={field(|f| &mut f.rate)} data-testid="ca-rate" /></label>
                        <label class="field"><span>{ "Users" }</span>
                            <input type="text" inputmode="numeric" maxlength="24" value={form.users.clone()} oninput={field(|f| &mut f.users)} data-testid="ca-users" /></label>
                        <label class="field"><span>{ "Skew (Zipf s)" }</span>
                            <input type="text" inputmode="decimal" maxlength="24" value={form.skew.clone()} oninput={field(|f| &mut f.skew)} data-testid="ca-skew" /></label>
                    </div>
                    <div class="ca-actions">
                        <button type="submit" class="button" data-testid="ca-apply">{ "Apply" }</button>
                        <span class="ca-presets">
                            { "TTL:" }
                            <button type="button" class="button button--quiet" onclick={preset(2)} data-testid="ca-ttl-2">{ "2 s" }</button>
                            <button type="button" class="button button--quiet" onclick={preset(30)}>{ "30 s" }</button>
                            <button type="button" class="button button--quiet" onclick={preset(3600)}>{ "1 h" }</button>
                        </span>
                    </div>
                </fieldset>
            </form>
            if !errors.is_empty() {
                <div class="notice notice--error" role="alert" data-testid="ca-config-errors">
                    <ul>{ for errors.iter().map(|e| html! { <li>{ e.clone() }</li> }) }</ul>
                </div>
            }
        </>
    }
}
