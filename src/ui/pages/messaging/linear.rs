//! The messaging page's linearizability panel (issue 16), in the manner of the cluster's: "Check
//! linearizability" takes the finished run's history (`messaging::linear`: each message a key,
//! pushes as SETs, side effects as DELs, final reads of what is still owed) and checks it key by
//! key in frame slices (`use_frame_job`), never blocking a frame. It shows keys checked /
//! linearizable / not, the delivery checker's lost and duplicated counts beside them (and why they
//! may differ), and for each failing message (a bounded list) its smallest failing sub-history as
//! the cluster panel draws it, with a button that opens the message in the inspector. A result is
//! for the run it was taken on: a new run or a replay marks it stale.

use std::cell::RefCell;
use std::rc::Rc;

use yew::prelude::*;

use crate::messaging::linear::{job, key_unit, CONSUMER, READER};
use crate::messaging::runtime::MessagingModel;
use crate::messaging::MsgId;
use crate::sim::rewind::Rewind;
use crate::ui::hooks::{use_frame_job, SLICE_MS};
use crate::ui::pages::cluster::linear::{KeyFailureEq, SubHistory};
use crate::ui::performance_now;
use crate::verify::linear::{Input, KeyFailure, Output};

/// Failing messages drawn (the rest are counted).
pub const FAILURES_SHOWN: usize = 6;

/// The page's (rewindable) run, compared by identity.
#[derive(Clone)]
pub struct RunRef(pub Rc<RefCell<Rewind<MessagingModel>>>);

impl PartialEq for RunRef {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.0, &o.0)
    }
}

/// What a check was taken on: a new run or a replay changes it.
#[derive(Clone, PartialEq)]
struct RunMark {
    label: String,
    events: u64,
}

/// A finished check.
struct Checked {
    mark: RunMark,
    keys: usize,
    operations: usize,
    linearizable: usize,
    failures: Vec<KeyFailure>,
    too_large: usize,
    lost: u64,
    duplicated: u64,
    ms: f64,
}

#[derive(Clone)]
enum Status {
    Idle,
    Running { checked: usize, keys: usize },
    Refused(String),
    Done(Rc<Checked>),
}

#[derive(Properties, PartialEq)]
pub struct MsgLinearPanelProps {
    pub run: RunRef,
    /// What the run is called (the preset's variant, or an opened replay).
    pub label: AttrValue,
    /// The run's events so far (a result taken at another count is stale).
    pub events: u64,
    /// Opens a message in the inspector.
    pub on_inspect: Callback<MsgId>,
}

/// A failing sub-history's kind, from its shape: a push acknowledged and read back as gone is a
/// lost message, two side effects of one push a duplicate, a side effect followed by a final read
/// that still finds the message a processed message left in the broker (to be delivered again).
fn kind(f: &KeyFailure) -> &'static str {
    let gone = f.ops.iter().any(|o| o.input == Input::Get && o.output == Some(Output::Nil));
    let dels = f.ops.iter().filter(|o| o.input == Input::Del).count();
    let still = f.ops.iter().any(|o| o.input == Input::Get && matches!(o.output, Some(Output::Value(_))));
    if gone && dels == 0 {
        "lost"
    } else if dels > 1 {
        "processed twice"
    } else if still && dels == 1 {
        "processed, still queued"
    } else {
        "other"
    }
}

fn lane_names(f: &KeyFailure) -> Rc<Vec<(u64, AttrValue)>> {
    let mut v: Vec<(u64, AttrValue)> = Vec::new();
    for o in &f.ops {
        if v.iter().any(|(c, _)| *c == o.client) {
            continue;
        }
        let name = match o.client {
            READER => "final read".to_string(),
            c if c >= CONSUMER => format!("consumer-{}", c - CONSUMER),
            c => format!("producer-{c}"),
        };
        v.push((o.client, AttrValue::from(name)));
    }
    Rc::new(v)
}

#[component]
pub fn MsgLinearPanel(props: &MsgLinearPanelProps) -> Html {
    let status = use_state(|| Status::Idle);
    let frame_job = use_frame_job();
    let (mark, done) = {
        let run = props.run.0.borrow();
        let done = run.cursor().at_ms >= run.model().end_ms();
        (RunMark { label: props.label.to_string(), events: props.events }, done)
    };
    let on_check = {
        let (run, status, frame_job, mark) = (props.run.0.clone(), status.clone(), frame_job.clone(), mark.clone());
        Callback::from(move |_: MouseEvent| {
            let rw = run.borrow();
            let report = rw.model().report();
            let taken = job(rw.model(), rw.cursor().at_ms);
            drop(rw);
            let mut j = match taken {
                Ok(j) => j,
                Err(e) => return status.set(Status::Refused(e.to_string())),
            };
            let started = performance_now();
            status.set(Status::Running { checked: 0, keys: j.keys() });
            let (status, mark) = (status.clone(), mark.clone());
            frame_job.start(move || {
                let t0 = performance_now();
                while !j.is_done() && performance_now() - t0 < SLICE_MS {
                    j.step(1);
                }
                if !j.is_done() {
                    status.set(Status::Running { checked: j.checked(), keys: j.keys() });
                    return true;
                }
                status.set(Status::Done(Rc::new(Checked {
                    mark: mark.clone(),
                    keys: j.keys(),
                    operations: j.operations,
                    linearizable: j.linearizable(),
                    failures: std::mem::take(&mut j.failures),
                    too_large: j.too_large.len(),
                    lost: report.lost,
                    duplicated: report.duplicated,
                    ms: performance_now() - started,
                })));
                false
            });
        })
    };
    let on_cancel = {
        let (status, frame_job) = (status.clone(), frame_job.clone());
        Callback::from(move |_: MouseEvent| {
            frame_job.cancel();
            status.set(Status::Idle);
        })
    };
    let running = matches!(*status, Status::Running { .. });
    html! {
        <div class="panel msg-linear" data-testid="msg-linear-panel">
            <h2>{ "Linearizability" }</h2>
            <p class="msg-muted">
                { "Each message is a key: a producer's push is a SET (from sending it to the broker's reply), a consumer's side effect a DEL, and the end of the run a final read of whether the message is still owed — in the broker (a queue, a processing list, a stream entry no group has acknowledged) or in a live consumer's hands. Is there an order of these operations, each taking effect between its call and its reply, that explains every reply? A message the broker acknowledged and nobody processed, which is gone at the end, has none; nor has a message processed twice though pushed once. The check runs in slices between frames, on the finished run." }
            </p>
            <div class="cl-linear__actions">
                <button type="button" class="button" data-testid="msg-linear-check" disabled={running || !done} onclick={on_check}>{ "Check linearizability" }</button>
                if running {
                    <button type="button" class="button" data-testid="msg-linear-cancel" onclick={on_cancel}>{ "Cancel" }</button>
                }
                if !done {
                    <span class="msg-muted" data-testid="msg-linear-wait">{ "Run it to the end (Run to end ⇥) to check it." }</span>
                }
            </div>
            { match &*status {
                Status::Idle => html! {},
                Status::Running { checked, keys } => html! {
                    <p class="msg-muted" role="status" data-testid="msg-linear-progress">{ format!("Checking message key {checked} of {keys}…") }</p>
                },
                Status::Refused(e) => html! { <p class="notice notice--error" role="alert" data-testid="msg-linear-error">{ format!("Not checked: {e}") }</p> },
                Status::Done(c) => html! { <LinearResult checked={CheckedRef(c.clone())} stale={c.mark != mark} on_inspect={props.on_inspect.clone()} /> },
            } }
        </div>
    }
}

#[derive(Clone)]
struct CheckedRef(Rc<Checked>);

impl PartialEq for CheckedRef {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.0, &o.0)
    }
}

#[derive(Properties, PartialEq)]
struct ResultProps {
    checked: CheckedRef,
    stale: bool,
    on_inspect: Callback<MsgId>,
}

#[component]
fn LinearResult(props: &ResultProps) -> Html {
    let c = &props.checked.0;
    let not = c.failures.len();
    let lost = c.failures.iter().filter(|f| kind(f) == "lost").count();
    let twice = c.failures.iter().filter(|f| kind(f) == "processed twice").count();
    let mut why = Vec::new();
    if c.lost > lost as u64 {
        why.push(format!(
            "the delivery checker counts {} more lost: units never processed that the broker never acknowledged (the push's connection failed first) or that are still owed at the end (e.g. dead-lettered, kept for an operator) — not lost acknowledged messages",
            c.lost - lost as u64
        ));
    }
    if c.duplicated > twice as u64 {
        why.push(format!(
            "{} of its duplicates the producer's own resend explains (the message was pushed twice), which the history allows",
            c.duplicated - twice as u64
        ));
    }
    html! {
        <div data-testid="msg-linear-result">
            if props.stale {
                <p class="notice" role="status" data-testid="msg-linear-stale">
                    { format!("Stale: this result is for {} at event {}; the run has changed since. Check again.", c.mark.label, c.mark.events) }
                </p>
            }
            <dl class="cl-linear__counts">
                <div><dt>{ "message keys" }</dt><dd data-testid="msg-linear-keys">{ c.keys }</dd></div>
                <div><dt>{ "linearizable" }</dt><dd data-testid="msg-linear-ok">{ c.linearizable }</dd></div>
                <div class={classes!((not > 0).then_some("cl-linear__bad"))}><dt>{ "not linearizable" }</dt><dd data-testid="msg-linear-failing">{ not }</dd></div>
                <div><dt>{ "lost acknowledged" }</dt><dd data-testid="msg-linear-lost">{ lost }</dd></div>
                <div><dt>{ "processed twice" }</dt><dd data-testid="msg-linear-twice">{ twice }</dd></div>
                if c.too_large > 0 {
                    <div><dt>{ "too large to decide" }</dt><dd data-testid="msg-linear-too-large">{ c.too_large }</dd></div>
                }
            </dl>
            <p class="msg-muted" data-testid="msg-linear-summary">
                { format!("{} operations on {} message keys, checked in {:.0} ms. ", c.operations, c.keys, c.ms) }
                { format!("The delivery checker counts {} lost and {} duplicated; the history flags {lost} lost acknowledged messages and {twice} processed twice.", c.lost, c.duplicated) }
                if !why.is_empty() {
                    { format!(" The difference: {}.", why.join("; ")) }
                }
            </p>
            if not > 0 {
                <ul class="cl-linear__failures">
                    { for c.failures.iter().take(FAILURES_SHOWN).enumerate().map(|(i, f)| {
                        let msg = key_unit(&f.key).map(|u| u.0);
                        html! {
                            <li class="cl-linear__failure" data-testid="msg-linear-failure">
                                <div class="cl-linear__head">
                                    <span class="mono">{ &f.key }</span>
                                    <span class="msg-muted">{ format!("{}: {} of its {} operations{}", kind(f), f.ops.len(), f.key_operations, if f.minimal { "" } else { " (shrinking stopped early)" }) }</span>
                                    if let Some(m) = msg {
                                        <button type="button" class="button button--quiet" data-testid={format!("msg-linear-inspect-{i}")}
                                            onclick={props.on_inspect.reform(move |_: MouseEvent| m)}>{ format!("Inspect message {m}") }</button>
                                    }
                                </div>
                                <SubHistory ops={KeyFailureEq(Rc::new(f.clone()))} names={lane_names(f)} />
                                <p class="msg-muted cl-linear__why">{ &f.explanation }</p>
                            </li>
                        }
                    }) }
                </ul>
                if not > FAILURES_SHOWN {
                    <p class="msg-muted" data-testid="msg-linear-more">{ format!("… and {} more failing message keys.", not - FAILURES_SHOWN) }</p>
                }
            }
        </div>
    }
}
