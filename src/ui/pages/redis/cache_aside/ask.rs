//! The "ask for a user" form and the typed request's result line. Keeps its own text, so what the
//! user typed survives every redraw; a bad name is named here and never reaches the run.

use yew::prelude::*;

use super::input_text;
use crate::redis::cache_aside::{parse_user, Outcome, RequestRecord};

#[derive(Properties, PartialEq)]
pub struct AskFormProps {
    /// A valid user name to request.
    pub on_request: Callback<String>,
    /// The last typed request as of the cursor (none before it started).
    pub result: Option<RequestRecord>,
    /// The TTL the answer is cached for (for the result's sentence).
    pub ttl_s: u64,
}

#[component]
pub fn AskForm(props: &AskFormProps) -> Html {
    let text = use_state(|| "octocat".to_string());
    let error = use_state(|| None::<String>);
    let on_input = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| text.set(input_text(&e)))
    };
    let on_submit = {
        let (text, error, on_request) = (text.clone(), error.clone(), props.on_request.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match parse_user(&text) {
                Err(err) => error.set(Some(err.to_string())),
                Ok(user) => {
                    error.set(None);
                    on_request.emit(user);
                }
            }
        })
    };
    let result = props.result.as_ref().map(|r| {
        let (text, class) = match (r.outcome, r.latency_ms()) {
            (_, None) => (format!("{}: in flight…", r.user), "ca-result--pending"),
            (Outcome::Hit, Some(l)) => (
                format!("{}: HIT in {l} ms — {} repos, straight from Redis", r.user, r.count.unwrap_or(0)),
                "ca-result--hit",
            ),
            (Outcome::Miss { refetch }, Some(l)) => (
                format!(
                    "{}: MISS in {l} ms — {} repos from the API{}, now cached for {} s",
                    r.user,
                    r.count.unwrap_or(0),
                    if refetch { " (the cached answer had expired)" } else { "" },
                    props.ttl_s
                ),
                "ca-result--miss",
            ),
        };
        html! { <p class={classes!("ca-result", class)} role="status" data-testid="ca-result">{ text }</p> }
    });
    html! {
        <>
            <form class="ca-ask" onsubmit={on_submit} data-testid="ca-ask">
                <label class="field">
                    <span>{ "Ask for a user's public repository count" }</span>
                    <input type="text" value={(*text).clone()} oninput={on_input} data-testid="ca-user"
                           aria-invalid={error.is_some().to_string()} autocomplete="off" spellcheck="false" />
                </label>
                <button type="submit" class="button" data-testid="ca-request">{ "Request" }</button>
            </form>
            if let Some(err) = &*error {
                <p class="notice notice--error" role="alert" data-testid="ca-user-error">{ err.clone() }</p>
            }
            { for result }
        </>
    }
}
