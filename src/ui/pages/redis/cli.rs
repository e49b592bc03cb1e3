//! One redis-cli in the page: a prompt (redis-cli's own, with `[n]` and `(TX)`), a scrolling
//! transcript of replies in redis-cli's format, ↑/↓ history, Tab completion of command names,
//! redis-cli's inline syntax hint, and Ctrl-C (a key and a button) for a client that waits for a
//! reply or reads messages. While it does, what is typed stays in the prompt: Enter keeps it.
//! It holds only what is being typed (the tabs keep each tab's draft); the transcript, history
//! and state come from the page's reducer.
//! Each scrollback entry is its own component compared by identity, so a new command renders one
//! entry, whatever the scrollback holds.

use std::rc::Rc;

use web_sys::{HtmlElement, HtmlInputElement};
use yew::prelude::*;

use super::{Origin, Transcript, TranscriptEntry};
use crate::redis::session::{human_bytes, CliMode, History, HISTORY_LINE_MAX_BYTES};
use crate::redis::table;

#[derive(Properties, PartialEq)]
pub struct CliProps {
    pub transcript: Rc<Transcript>,
    pub history: Rc<History>,
    /// redis-cli's prompt now (`127.0.0.1:6379[1](TX)> `).
    pub prompt: AttrValue,
    pub mode: CliMode,
    /// What was typed when this tab was last shown.
    pub draft: AttrValue,
    /// What is typed, as it changes (the tabs keep it while another tab is shown).
    pub on_draft: Callback<String>,
    /// A line the user submitted with Enter (only while redis-cli is at its prompt).
    pub on_run: Callback<String>,
    /// Ctrl-C (key or button) while the client waits or reads messages.
    pub on_interrupt: Callback<()>,
}

/// Where ↑/↓ and Tab are in their cycles.
#[derive(Default)]
struct Cursor {
    /// Index into history while browsing it; `None` at the line being typed.
    history: Option<usize>,
    /// What was typed before ↑ started browsing, restored by ↓ past the newest entry.
    draft: String,
    /// The prefix Tab completes and the index of the candidate last shown.
    completion: Option<(String, usize)>,
}

/// The completion of `prefix` redis-cli would show: lower case if the user typed lower case.
fn complete_as_typed(prefix: &str, index: usize) -> Option<(String, usize)> {
    let names = table::complete(prefix);
    if names.is_empty() {
        return None;
    }
    let i = index % names.len();
    let lower = prefix.chars().any(|c| c.is_ascii_lowercase());
    let name = if lower { names[i].to_string() } else { names[i].to_ascii_uppercase() };
    Some((name, i))
}

/// redis-cli's hint: the syntax of the command being typed, once its name is complete.
fn hint(line: &str) -> Option<String> {
    let name = line.split_whitespace().next()?;
    let spec = table::lookup(name.as_bytes())?;
    Some(format!("{} {}", spec.name.to_ascii_uppercase(), spec.syntax))
}

#[component]
pub fn Cli(props: &CliProps) -> Html {
    let input = {
        let draft = props.draft.to_string();
        use_state(move || draft)
    };
    let kept = use_state(|| false);
    let cursor = use_mut_ref(Cursor::default);
    let input_ref = use_node_ref();
    let scroll_ref = use_node_ref();

    // Keep the newest reply in view.
    {
        let scroll_ref = scroll_ref.clone();
        use_effect_with(props.transcript.clone(), move |_| {
            if let Some(el) = scroll_ref.cast::<HtmlElement>() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    }

    // The tabs keep the draft, so switching away and back loses nothing.
    {
        let on_draft = props.on_draft.clone();
        use_effect_with((*input).clone(), move |text| on_draft.emit(text.clone()));
    }
    let busy = props.mode != CliMode::Prompt;
    if !busy && *kept {
        kept.set(false);
    }

    let oninput = {
        let input = input.clone();
        let cursor = cursor.clone();
        Callback::from(move |e: InputEvent| {
            let value = e.target_unchecked_into::<HtmlInputElement>().value();
            cursor.borrow_mut().completion = None;
            input.set(value);
        })
    };
    let interrupt_button = {
        let on_interrupt = props.on_interrupt.clone();
        let input_ref = input_ref.clone();
        Callback::from(move |_: MouseEvent| {
            on_interrupt.emit(());
            if let Some(el) = input_ref.cast::<HtmlElement>() {
                let _ = el.focus();
            }
        })
    };

    let onkeydown = {
        let input = input.clone();
        let cursor = cursor.clone();
        let history = props.history.clone();
        let on_run = props.on_run.clone();
        let on_interrupt = props.on_interrupt.clone();
        let kept = kept.clone();
        Callback::from(move |e: KeyboardEvent| {
            let el = e.target_unchecked_into::<HtmlInputElement>();
            let current = el.value();
            if e.ctrl_key() && e.key().eq_ignore_ascii_case("c") {
                // Ctrl-C stops a waiting or reading client; otherwise (or with text selected
                // to copy) it is the browser's.
                let selected = el.selection_start().ok().flatten() != el.selection_end().ok().flatten();
                if busy && !selected {
                    e.prevent_default();
                    on_interrupt.emit(());
                }
                return;
            }
            let mut c = cursor.borrow_mut();
            let show = |text: String| {
                el.set_value(&text);
                input.set(text);
            };
            match e.key().as_str() {
                "Enter" if busy => {
                    // redis-cli reads no line while it waits: the line stays for later.
                    e.prevent_default();
                    kept.set(true);
                }
                "Enter" => {
                    e.prevent_default();
                    *c = Cursor::default();
                    drop(c);
                    show(String::new());
                    on_run.emit(current);
                }
                "ArrowUp" => {
                    e.prevent_default();
                    let at = match c.history {
                        None if history.is_empty() => return,
                        None => {
                            c.draft = current;
                            history.len() - 1
                        }
                        Some(i) => i.saturating_sub(1),
                    };
                    c.history = Some(at);
                    c.completion = None;
                    show(history.get(at).map(|l| l.to_string()).unwrap_or_default());
                }
                "ArrowDown" => {
                    e.prevent_default();
                    let Some(i) = c.history else { return };
                    c.completion = None;
                    if let Some(line) = history.get(i + 1) {
                        c.history = Some(i + 1);
                        show(line.to_string());
                    } else {
                        c.history = None;
                        show(std::mem::take(&mut c.draft));
                    }
                }
                "Tab" if !e.shift_key() && !e.ctrl_key() && !e.alt_key() && !e.meta_key() => {
                    // Only the command name completes, as in redis-cli. With nothing to complete (an
                    // empty prompt, arguments typed, no such name) Tab moves the focus on, and
                    // Shift+Tab always moves it back: the keyboard is never trapped in the prompt.
                    let typed = current.trim_start();
                    if typed.is_empty() || typed.contains(char::is_whitespace) {
                        return;
                    }
                    let (prefix, next) = match &c.completion {
                        Some((p, i)) if complete_as_typed(p, *i).is_some_and(|(n, _)| n == typed) => (p.clone(), i + 1),
                        _ => (typed.to_string(), 0),
                    };
                    if let Some((name, i)) = complete_as_typed(&prefix, next) {
                        e.prevent_default();
                        c.completion = Some((prefix, i));
                        show(name);
                    }
                }
                _ => {}
            }
        })
    };

    let hint_text = hint(&input);
    let state_text = match props.mode {
        CliMode::Prompt => None,
        CliMode::Reading { .. } => Some(
            "Reading messages: press Ctrl-C to quit (redis-cli reconnects, so the server drops the subscriptions).",
        ),
        CliMode::Waiting { .. } => Some(
            "Waiting for the reply: press Ctrl-C to stop (redis-cli exits and a new one starts on a new connection).",
        ),
    };
    html! {
            <div class={classes!("redis-cli__screen", busy.then_some("redis-cli__screen--busy"))}>
                <div class="redis-cli__transcript" ref={scroll_ref} data-testid="redis-cli-transcript" aria-live="polite" tabindex="0">
                    if props.transcript.is_empty() {
                        <p class="redis-cli__welcome">{ "Connected to the modeled Redis 7.0. Type a command and press Enter." }</p>
                    }
                    { for props.transcript.iter().map(|t| html! { <TranscriptLine key={t.id} entry={t.clone()} /> }) }
                </div>
                if let Some(text) = state_text {
                    <div class="redis-cli__state" role="status" data-testid="redis-cli-state">
                        <span>{ text }</span>
                        <button type="button" class="button button--danger redis-cli__interrupt" onclick={interrupt_button} data-testid="redis-cli-interrupt" title="Ctrl-C">
                            { "Ctrl-C" }
                        </button>
                    </div>
                }
                <label class="redis-cli__line">
                    <span class="redis-cli__prompt" data-testid="redis-cli-prompt">{ props.prompt.trim_end().to_string() }</span>
                    <input
                        ref={input_ref}
                        class="redis-cli__input"
                        type="text"
                        value={(*input).clone()}
                        {oninput}
                        {onkeydown}
                        autocomplete="off"
                        autocapitalize="off"
                        spellcheck="false"
                        aria-label="Redis command"
                        data-testid="redis-cli-input"
                    />
                </label>
                <div class="redis-cli__hint" data-testid="redis-cli-hint" aria-live="polite">
                    if busy && *kept {
                        { "Your line is kept: it runs when you press Enter once this client is back at its prompt." }
                    } else {
                        { hint_text.unwrap_or_default() }
                    }
                </div>
            </div>
    }
}

#[derive(Properties)]
pub struct TranscriptLineProps {
    pub entry: Rc<TranscriptEntry>,
}

impl PartialEq for TranscriptLineProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.entry, &other.entry)
    }
}

/// One command and its reply; what was cut for length is said, with its size.
#[component]
fn TranscriptLine(props: &TranscriptLineProps) -> Html {
    let t = &props.entry;
    let typed = !t.prompt.is_empty() || !t.command.is_empty();
    html! {
        <div class={classes!("redis-cli__entry", t.is_error.then_some("redis-cli__entry--error"), (t.origin == Origin::Page).then_some("redis-cli__entry--note"))} data-testid="redis-cli-entry">
            if typed {
            <div class="redis-cli__command">
                <span class="redis-cli__prompt">{ if t.prompt.is_empty() { "» ".to_string() } else { t.prompt.clone() } }</span>
                <span>{ t.command.clone() }</span>
                if t.command_hidden > 0 {
                    <span class="redis-cli__cut" data-testid="redis-cli-cut">
                        { format!("… {} more not shown", human_bytes(t.command_hidden)) }
                    </span>
                }
                if t.origin == Origin::Browser {
                    <span class="redis-cli__origin">{ "from the key browser" }</span>
                }
                if t.not_remembered {
                    <span class="redis-cli__origin" data-testid="redis-cli-not-remembered">
                        { format!("not kept in history (longer than {})", human_bytes(HISTORY_LINE_MAX_BYTES)) }
                    </span>
                }
            </div>
            }
            if !t.output.is_empty() {
                <pre class="redis-cli__output" data-testid="redis-cli-output">{ t.output.trim_end_matches('\n').to_string() }</pre>
            }
            if t.output_hidden > 0 {
                <div class="redis-cli__cut" data-testid="redis-cli-cut">
                    { format!("… {} more of this reply not shown (narrow the range, or open the key in the browser)", human_bytes(t.output_hidden)) }
                </div>
            }
        </div>
    }
}
