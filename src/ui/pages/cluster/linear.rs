//! The linearizability panel (issue 16): "Check linearizability" takes the client history of a
//! clone of the run at its cursor (`cluster::linear::LinearJob`: the acknowledged, unknown and open
//! `SET session:<n>` writes plus a final read of every key) and checks it key by key in frame
//! slices (`use_frame_job`), never blocking a frame. It shows keys checked / linearizable / not,
//! and for each failing key (a bounded list) its smallest failing sub-history as a timeline of
//! operations (invoke → return bars, one lane per client) with a button that seeks the run to the
//! failing write. A result is for the cursor it was taken at: moving the cursor marks it stale.

use std::rc::Rc;

use yew::prelude::*;

use crate::cluster::linear::{LinearJob, READER};
use crate::cluster::runtime::{ClusterRun, ClusterSim};
use crate::sim::rewind::Cursor;
use crate::sim::SimDuration;
use crate::ui::hooks::{use_frame_job, SLICE_MS};
use crate::ui::performance_now;
use crate::ui::rewind_page::RunRef;
use crate::verify::linear::{Input, KeyFailure, Operation, Output};

/// Failing keys drawn (the rest are counted).
pub const FAILURES_SHOWN: usize = 6;

/// A finished check.
struct Checked {
    cursor: Cursor,
    actions: usize,
    keys: usize,
    operations: usize,
    linearizable: usize,
    failures: Vec<KeyFailure>,
    too_large: usize,
    lost: u64,
    ms: f64,
}

impl PartialEq for Checked {
    fn eq(&self, o: &Self) -> bool {
        std::ptr::eq(self, o)
    }
}

impl PartialEq for KeyFailureEq {
    fn eq(&self, o: &Self) -> bool {
        self.0.key == o.0.key && self.0.ops.len() == o.0.ops.len()
    }
}

/// A failure as a prop (compared by key and size).
#[derive(Clone)]
pub(crate) struct KeyFailureEq(pub Rc<KeyFailure>);

#[derive(Clone)]
enum Status {
    Idle,
    Running { checked: usize, keys: usize },
    Refused(String),
    Done(Rc<Checked>),
}

#[derive(Properties, PartialEq)]
pub struct LinearPanelProps {
    pub run: RunRef<ClusterSim>,
    /// Seeks the run to a time (ms from the run's start).
    pub on_seek: Callback<u64>,
}

fn secs(ms: u64) -> String {
    SimDuration::from_millis(ms).clock_string()
}

/// The time a failing sub-history is about: its first write's acknowledgement (or invoke).
fn seek_ms(f: &KeyFailure) -> u64 {
    f.ops
        .iter()
        .find(|o| !matches!(o.input, Input::Get))
        .or_else(|| f.ops.first())
        .map_or(0, |o| o.ret.unwrap_or(o.invoke))
}

#[component]
pub fn LinearPanel(props: &LinearPanelProps) -> Html {
    let status = use_state(|| Status::Idle);
    let job = use_frame_job();
    let (cursor, actions) = {
        let r = props.run.run.borrow();
        (r.cursor(), r.actions().len())
    };
    let on_check = {
        let (run, status, job) = (props.run.run.clone(), status.clone(), job.clone());
        Callback::from(move |_: MouseEvent| {
            let r = run.borrow();
            let (cursor, actions) = (r.cursor(), r.actions().len());
            let mut clone = ClusterRun { sim: r.sim().clone() };
            drop(r);
            let lost = clone.model().ledger.lost;
            let started = performance_now();
            let mut taken: Option<LinearJob> = None;
            status.set(Status::Running { checked: 0, keys: 0 });
            let status = status.clone();
            job.start(move || {
                let t0 = performance_now();
                let Some(j) = taken.as_mut() else {
                    // First slice: the history (the final reads act on the clone).
                    match LinearJob::new(&mut clone) {
                        Ok(j) => {
                            status.set(Status::Running { checked: 0, keys: j.keys() });
                            taken = Some(j);
                            return true;
                        }
                        Err(e) => {
                            status.set(Status::Refused(e));
                            return false;
                        }
                    }
                };
                while !j.is_done() && performance_now() - t0 < SLICE_MS {
                    j.step(1);
                }
                if !j.is_done() {
                    status.set(Status::Running { checked: j.checked(), keys: j.keys() });
                    return true;
                }
                status.set(Status::Done(Rc::new(Checked {
                    cursor,
                    actions,
                    keys: j.keys(),
                    operations: j.operations,
                    linearizable: j.linearizable(),
                    failures: std::mem::take(&mut j.failures),
                    too_large: j.too_large.len(),
                    lost,
                    ms: performance_now() - started,
                })));
                false
            });
        })
    };
    let on_cancel = {
        let (status, job) = (status.clone(), job.clone());
        Callback::from(move |_: MouseEvent| {
            job.cancel();
            status.set(Status::Idle);
        })
    };
    let running = matches!(*status, Status::Running { .. });
    html! {
        <div class="cl-linear" data-testid="linear-panel">
            <p class="cl-muted">
                { "Checks the application's writes (SET session:<n>, each key written once) and a final read of every written key, as Jepsen does, against a single Redis: is there an order of the operations, each taking effect between its call and its reply, that explains every reply? A failover that loses acknowledged writes leaves keys for which there is none. The check runs on a copy of the run at the cursor, in slices between frames." }
            </p>
            <div class="cl-linear__actions">
                <button type="button" class="button" data-testid="linear-check" disabled={running} onclick={on_check}>{ "Check linearizability" }</button>
                if running {
                    <button type="button" class="button" data-testid="linear-cancel" onclick={on_cancel}>{ "Cancel" }</button>
                }
            </div>
            { match &*status {
                Status::Idle => html! {},
                Status::Running { checked, keys } => html! {
                    <p class="cl-muted" role="status" data-testid="linear-progress">
                        { if *keys == 0 { "Taking the history…".to_string() } else { format!("Checking key {checked} of {keys}…") } }
                    </p>
                },
                Status::Refused(e) => html! { <p class="notice notice--error" role="alert" data-testid="linear-error">{ format!("Not checked: {e}") }</p> },
                Status::Done(c) => html! { <LinearResult checked={c.clone()} stale={c.cursor != cursor || c.actions != actions} on_seek={props.on_seek.clone()} /> },
            } }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct ResultProps {
    checked: Rc<Checked>,
    stale: bool,
    on_seek: Callback<u64>,
}

#[component]
fn LinearResult(props: &ResultProps) -> Html {
    let c = &props.checked;
    let not = c.failures.len();
    let gap = c.lost.saturating_sub(not as u64);
    html! {
        <div data-testid="linear-result">
            if props.stale {
                <p class="notice" role="status" data-testid="linear-stale">
                    { format!("Stale: this result is for the run at {} (event {}); the cursor has moved since. Check again for the run where it is now.", secs(c.cursor.at_ms), c.cursor.events) }
                </p>
            }
            <dl class="cl-linear__counts">
                <div><dt>{ "keys checked" }</dt><dd data-testid="linear-keys">{ c.keys }</dd></div>
                <div><dt>{ "linearizable" }</dt><dd data-testid="linear-ok">{ c.linearizable }</dd></div>
                <div class={classes!((not > 0).then_some("cl-linear__bad"))}><dt>{ "not linearizable" }</dt><dd data-testid="linear-failing">{ not }</dd></div>
                if c.too_large > 0 {
                    <div><dt>{ "too large to decide" }</dt><dd data-testid="linear-too-large">{ c.too_large }</dd></div>
                }
            </dl>
            <p class="cl-muted" data-testid="linear-summary">
                { format!("{} operations on {} keys, at {}, checked in {:.0} ms. ", c.operations, c.keys, secs(c.cursor.at_ms), c.ms) }
                { format!("The ledger counts {} acknowledged writes lost; {} keys are not linearizable.", c.lost, not) }
                if gap > 0 {
                    { format!(" The {gap} more are cache-aside fills (SETEX user:<name>) lost in the failover: the ledger counts every acknowledged write, but the history leaves the fills out, since they expire by themselves in 30 s and are refilled from the API. Every lost session write is one failing key.") }
                } else if c.lost > 0 {
                    { " Every lost acknowledged write is a session write, one failing key each." }
                }
            </p>
            if not > 0 {
                <ul class="cl-linear__failures">
                    { for c.failures.iter().take(FAILURES_SHOWN).enumerate().map(|(i, f)| {
                        let at = seek_ms(f);
                        let seek = props.on_seek.reform(move |_: MouseEvent| at);
                        html! {
                            <li class="cl-linear__failure" data-testid="linear-failure">
                                <div class="cl-linear__head">
                                    <span class="cl-mono">{ &f.key }</span>
                                    <span class="cl-muted">{ format!("{} of its {} operations{}", f.ops.len(), f.key_operations, if f.minimal { "" } else { " (shrinking stopped early)" }) }</span>
                                    <button type="button" class="button button--quiet" data-testid={format!("linear-seek-{i}")} onclick={seek}>{ format!("Seek to {}", secs(at)) }</button>
                                </div>
                                <SubHistory ops={KeyFailureEq(Rc::new(f.clone()))} />
                                <p class="cl-muted cl-linear__why">{ &f.explanation }</p>
                            </li>
                        }
                    }) }
                </ul>
                if not > FAILURES_SHOWN {
                    <p class="cl-muted" data-testid="linear-more">{ format!("… and {} more failing keys.", not - FAILURES_SHOWN) }</p>
                }
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub(crate) struct SubProps {
    pub ops: KeyFailureEq,
    /// Lane names by client id, over the cluster's ("app <n>", "final read"): the messaging
    /// page's producers and consumers.
    #[prop_or_default]
    pub names: Rc<Vec<(u64, AttrValue)>>,
}

fn client_name(c: u64) -> String {
    if c == READER {
        "final read".to_string()
    } else {
        format!("app {c}")
    }
}

fn short(s: &str) -> String {
    if s.chars().count() > 10 {
        format!("\"{}…\"", s.chars().take(9).collect::<String>())
    } else {
        format!("\"{s}\"")
    }
}

fn op_label(o: &Operation) -> String {
    let what = match &o.input {
        Input::Get => "GET".to_string(),
        Input::Set { value } => format!("SET {}", short(value)),
        Input::SetNx { value } => format!("SET NX {}", short(value)),
        Input::Del => "DEL".to_string(),
        Input::Incr { by } => format!("INCRBY {by}"),
    };
    let out = match &o.output {
        None => "?".to_string(),
        Some(Output::Nil) => "nil".to_string(),
        Some(Output::Ok) => "OK".to_string(),
        Some(Output::Value(v)) => short(v),
        Some(Output::Int(n)) => format!("(integer) {n}"),
        Some(Output::Error(e)) => format!("(error) {e}"),
    };
    format!("{what} → {out}")
}

/// A failing sub-history: one lane per client, each operation a bar from its call to its reply
/// (an operation whose outcome is unknown runs dashed to the right edge).
#[component]
pub(crate) fn SubHistory(props: &SubProps) -> Html {
    let ops = &props.ops.0.ops;
    let client_name =
        |c: u64| props.names.iter().find(|(id, _)| *id == c).map_or_else(|| client_name(c), |(_, n)| n.to_string());
    let mut clients: Vec<u64> = Vec::new();
    for o in ops {
        if !clients.contains(&o.client) {
            clients.push(o.client);
        }
    }
    let t0 = ops.iter().map(|o| o.invoke).min().unwrap_or(0);
    let t1 = ops.iter().map(|o| o.ret.unwrap_or(o.invoke)).max().unwrap_or(t0).max(t0 + 1);
    const W: f64 = 560.0;
    const L: f64 = 78.0;
    const R: f64 = 12.0;
    const LANE: f64 = 30.0;
    let span = (t1 - t0) as f64;
    let x = |t: u64| L + (t - t0) as f64 / span * (W - L - R);
    let h = LANE * clients.len() as f64 + 22.0;
    html! {
        <svg class="cl-linear__svg" viewBox={format!("0 0 {W} {h}")} role="img" data-testid="linear-timeline"
             aria-label={format!("The failing sub-history of {}: {}", props.ops.0.key, ops.iter().map(op_label).collect::<Vec<_>>().join("; "))}>
            { for clients.iter().enumerate().map(|(lane, c)| {
                let y = LANE * lane as f64 + 18.0;
                html! {
                    <>
                        <text class="cl-linear__lane" x="0" y={format!("{:.1}", y + 4.0)}>{ client_name(*c) }</text>
                        <line class="cl-linear__rail" x1={L.to_string()} x2={(W - R).to_string()} y1={format!("{y:.1}")} y2={format!("{y:.1}")} />
                    </>
                }
            }) }
            { for ops.iter().map(|o| {
                let lane = clients.iter().position(|c| *c == o.client).unwrap_or(0);
                let y = LANE * lane as f64 + 18.0;
                let x0 = x(o.invoke);
                let x1 = o.ret.map_or(W - R, x).max(x0 + 3.0);
                let kind = match (&o.input, &o.output) {
                    (_, None) => "cl-linear__op--unknown",
                    (Input::Get, _) => "cl-linear__op--read",
                    _ => "cl-linear__op--write",
                };
                let right = x0 > W / 2.0;
                html! {
                    <g class={classes!("cl-linear__op", kind)}>
                        <rect x={format!("{x0:.1}")} y={format!("{:.1}", y - 5.0)} width={format!("{:.1}", x1 - x0)} height="10" rx="2">
                            <title>{ format!("{} (client {}): called at {}, {}", op_label(o), client_name(o.client), secs(o.invoke), o.ret.map_or("no reply".to_string(), |r| format!("replied at {}", secs(r)))) }</title>
                        </rect>
                        <text class="cl-linear__label" x={format!("{:.1}", if right { x1 } else { x0 })} y={format!("{:.1}", y - 8.0)}
                              text-anchor={if right { "end" } else { "start" }}>{ op_label(o) }</text>
                    </g>
                }
            }) }
            <text class="cl-linear__tick" x={L.to_string()} y={format!("{:.1}", h - 2.0)}>{ secs(t0) }</text>
            <text class="cl-linear__tick" x={(W - R).to_string()} y={format!("{:.1}", h - 2.0)} text-anchor="end">{ secs(t1) }</text>
        </svg>
    }
}
