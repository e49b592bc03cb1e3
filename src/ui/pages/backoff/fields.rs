//! Form fields of the backoff page and the parsing behind them: every bad entry gets a message that
//! names the value and says what is accepted.

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::sim::params::clip;

/// Parses a whole number in `lo..=hi`, or says why not.
pub fn parse_u64(label: &str, raw: &str, lo: u64, hi: u64) -> Result<u64, String> {
    match raw.trim().parse::<u64>() {
        Ok(v) if (lo..=hi).contains(&v) => Ok(v),
        _ => Err(format!("{label} \"{}\" is not accepted: expected a whole number from {lo} to {hi}.", clip(raw))),
    }
}

pub fn parse_u32(label: &str, raw: &str, lo: u32, hi: u32) -> Result<u32, String> {
    parse_u64(label, raw, u64::from(lo), u64::from(hi)).map(|v| v as u32)
}

/// Parses a finite number in `lo..=hi`.
pub fn parse_f64(label: &str, raw: &str, lo: f64, hi: f64) -> Result<f64, String> {
    match raw.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && (lo..=hi).contains(&v) => Ok(v),
        _ => Err(format!("{label} \"{}\" is not accepted: expected a number from {lo} to {hi}.", clip(raw))),
    }
}

/// An optional whole number: blank means none.
pub fn parse_opt_u64(label: &str, raw: &str, lo: u64, hi: u64) -> Result<Option<u64>, String> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    parse_u64(label, raw, lo, hi).map(Some).map_err(|_| {
        format!(
            "{label} \"{}\" is not accepted: expected a whole number from {lo} to {hi}, or blank for none.",
            clip(raw)
        )
    })
}

#[derive(Properties, PartialEq)]
pub struct NumFieldProps {
    /// The form's name for the field (also `data-testid="field-NAME"`).
    pub name: &'static str,
    pub label: AttrValue,
    pub value: AttrValue,
    #[prop_or_default]
    pub invalid: bool,
    #[prop_or_default]
    pub placeholder: Option<AttrValue>,
    #[prop_or_default]
    pub disabled: bool,
    pub on_change: Callback<(&'static str, String)>,
}

/// A labelled text field that reports its value on `change` (Enter or leaving the field).
#[component]
pub fn NumField(props: &NumFieldProps) -> Html {
    let onchange = {
        let (cb, name) = (props.on_change.clone(), props.name);
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            cb.emit((name, input.value()));
        })
    };
    html! {
        <label class="field">
            <span>{ props.label.clone() }</span>
            <input type="text" inputmode="decimal" maxlength="24" value={props.value.clone()} name={props.name}
                   placeholder={props.placeholder.clone()} disabled={props.disabled}
                   aria-invalid={props.invalid.to_string()} data-testid={format!("field-{}", props.name)} {onchange} />
        </label>
    }
}

#[derive(Properties, PartialEq)]
pub struct ChoiceFieldProps {
    pub name: &'static str,
    pub label: AttrValue,
    pub value: AttrValue,
    /// (value, label) pairs.
    pub options: Vec<(&'static str, &'static str)>,
    pub on_change: Callback<(&'static str, String)>,
}

#[component]
pub fn ChoiceField(props: &ChoiceFieldProps) -> Html {
    let onchange = {
        let (cb, name) = (props.on_change.clone(), props.name);
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            cb.emit((name, select.value()));
        })
    };
    html! {
        <label class="field">
            <span>{ props.label.clone() }</span>
            <select name={props.name} data-testid={format!("field-{}", props.name)} {onchange}>
                { for props.options.iter().map(|(v, l)| html! {
                    <option value={*v} selected={props.value.as_str() == *v}>{ *l }</option>
                }) }
            </select>
        </label>
    }
}

/// Small numbers in words ("five attempts"), larger ones in digits.
pub fn number_word(n: u64) -> String {
    const WORDS: [&str; 21] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
    ];
    WORDS.get(n as usize).map(|w| w.to_string()).unwrap_or_else(|| n.to_string())
}

/// "1 attempt" / "5 attempts" in words.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", number_word(n), if n == 1 { one } else { many })
}

/// Milliseconds for people: 850 ms, 2.4 s.
pub fn human_ms(ms: f64) -> String {
    if ms >= 10_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else {
        format!("{ms:.0} ms")
    }
}
