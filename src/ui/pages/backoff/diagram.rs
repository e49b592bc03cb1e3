//! The one-call sequence diagram: client and API lifelines, one arrow per attempt, the API's reply,
//! a wait bar per backoff (labelled with its milliseconds), and the outcome, drawn down the page in
//! virtual-time order. The layout comes from the whole schedule (so nothing jumps while playing);
//! what is drawn comes from how far the live run has got.

use std::rc::Rc;

use yew::prelude::*;

use crate::backoff::retry::GiveUp;
use crate::backoff::{AttemptOutcome, CallResult, RetrySchedule};
use crate::ui::components::chart::arrow_marker;

pub const WIDTH: f64 = 440.0;
const CLIENT_X: f64 = 92.0;
const API_X: f64 = 372.0;
const TOP: f64 = 62.0;
/// Vertical room between an attempt's arrow and its reply's (plus some for latency).
const CALL_H: f64 = 34.0;
const WAIT_MIN_H: f64 = 22.0;
const WAIT_SPAN_H: f64 = 150.0;
const OUTCOME_H: f64 = 46.0;

/// Where one attempt sits.
#[derive(Clone, Debug, PartialEq)]
pub struct AttemptRow {
    pub y_send: f64,
    pub y_reply: f64,
    /// The wait after this attempt's failure: (top, bottom, wait ms, reported at ms).
    pub wait: Option<(f64, f64, u64, u64)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub rows: Vec<AttemptRow>,
    pub y_outcome: f64,
    pub height: f64,
    /// (virtual ms, y) knots: the "now" line interpolates between them.
    pub knots: Vec<(u64, f64)>,
}

/// Lays a schedule out: fixed room per call, and a wait bar whose height grows with the wait (a
/// minimum keeps short waits readable; the label gives the exact milliseconds).
pub fn layout(s: &RetrySchedule) -> Layout {
    let max_wait = s.on_retry.iter().map(|r| r.wait_ms).max().unwrap_or(0).max(1) as f64;
    let max_latency = s.attempts.iter().map(|a| a.end_ms - a.start_ms).max().unwrap_or(0).max(1) as f64;
    let mut y = TOP;
    let mut rows = Vec::new();
    let mut knots = Vec::new();
    for (i, a) in s.attempts.iter().enumerate() {
        let lat = a.end_ms - a.start_ms;
        let y_send = y;
        let y_reply = y_send + CALL_H + 24.0 * lat as f64 / max_latency;
        knots.push((a.start_ms, y_send));
        knots.push((a.end_ms, y_reply));
        let wait = s.on_retry.get(i).map(|r| {
            let top = y_reply + 8.0;
            let bottom = top + WAIT_MIN_H + WAIT_SPAN_H * r.wait_ms as f64 / max_wait;
            knots.push((r.at_ms, top));
            knots.push((r.at_ms.saturating_add(r.wait_ms), bottom));
            (top, bottom, r.wait_ms, r.at_ms)
        });
        y = match wait {
            Some((_, bottom, _, _)) => bottom + 28.0,
            None => y_reply + 18.0,
        };
        rows.push(AttemptRow { y_send, y_reply, wait });
    }
    Layout { rows, y_outcome: y, height: y + OUTCOME_H + 8.0, knots }
}

impl Layout {
    /// The y of virtual time `now_ms`, never past `limit` (the next thing that has not happened).
    pub fn y_at(&self, now_ms: u64, limit: f64) -> f64 {
        let mut y = TOP - 14.0;
        for (i, &(t, ky)) in self.knots.iter().enumerate() {
            if now_ms < t {
                if i > 0 {
                    let (t0, y0) = self.knots[i - 1];
                    if t > t0 {
                        y = y0 + (ky - y0) * (now_ms - t0) as f64 / (t - t0) as f64;
                    }
                }
                return y.min(limit);
            }
            y = ky;
        }
        y.min(limit)
    }
}

pub fn reply_text(o: &AttemptOutcome) -> String {
    match o {
        AttemptOutcome::Ok => "200 OK".into(),
        AttemptOutcome::Err { error } => match error.retry_after_ms {
            Some(ra) => format!("{} {}, Retry-After {} s", error.status, error.message, ra / 1000),
            None => format!("{} {}", error.status, error.message),
        },
    }
}

pub fn attempt_name(n: u32) -> String {
    if n == 0 {
        "attempt 0 (first call)".into()
    } else {
        format!("attempt {n} (retry {n})")
    }
}

/// The outcome in one sentence.
pub fn outcome_text(r: &CallResult) -> String {
    match r {
        CallResult::Succeeded { attempt, at_ms } => {
            format!("Success on attempt {} of the call (retry {attempt}) at t = {at_ms} ms.", attempt + 1)
        }
        CallResult::Failed { error, at_ms, reason } => {
            let why = match reason {
                GiveUp::RetriesExhausted => "every retry was used",
                GiveUp::Deadline => "the next wait would pass the deadline",
            };
            format!("Error {} {} reaches the caller at t = {at_ms} ms: {why}.", error.status, error.message)
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct SequenceDiagramProps {
    pub schedule: Rc<RetrySchedule>,
    pub layout: Rc<Layout>,
    /// Attempts sent so far.
    pub sent: usize,
    /// Replies received so far.
    pub replied: usize,
    pub now_ms: u64,
    pub finished: bool,
}

#[component]
pub fn SequenceDiagram(props: &SequenceDiagramProps) -> Html {
    let s = &props.schedule;
    let l = &props.layout;
    let h = l.height;
    let mid = (CLIENT_X + API_X) / 2.0;
    // The next thing that has not happened bounds the "now" line.
    let limit = if props.finished {
        l.y_outcome
    } else if props.sent > props.replied {
        l.rows.get(props.sent - 1).map(|r| r.y_reply).unwrap_or(h)
    } else {
        l.rows.get(props.sent).map(|r| r.y_send).unwrap_or(l.y_outcome)
    };
    let now_y = l.y_at(props.now_ms, limit);
    let f = |v: f64| format!("{v:.1}");
    let rows = s.attempts.iter().zip(l.rows.iter()).enumerate().map(|(i, (a, r))| {
        let sent = i < props.sent;
        let replied = i < props.replied;
        let failed = matches!(a.outcome, AttemptOutcome::Err { .. });
        let reply_class = if failed { "bo-seq__reply bo-seq__reply--fail" } else { "bo-seq__reply bo-seq__reply--ok" };
        let marker = if failed { "url(#bo-arrow-fail)" } else { "url(#bo-arrow-ok)" };
        let wait = r.wait.filter(|_| replied).map(|(top, bottom, wait_ms, at_ms)| {
            let done = props.sent > i + 1;
            let frac = if done || wait_ms == 0 {
                if done { 1.0 } else { 0.0 }
            } else {
                (props.now_ms.saturating_sub(at_ms) as f64 / wait_ms as f64).clamp(0.0, 1.0)
            };
            html! {
                <g class="bo-seq__wait" data-testid="seq-wait">
                    <rect class="bo-seq__wait-frame" x={f(CLIENT_X - 7.0)} y={f(top)} width="14" height={f(bottom - top)} rx="3" />
                    <rect class="bo-seq__wait-fill" x={f(CLIENT_X - 7.0)} y={f(top)} width="14" height={f((bottom - top) * frac)} rx="3" />
                    <text class="bo-seq__wait-label" x={f(CLIENT_X + 14.0)} y={f((top + bottom) / 2.0 + 4.0)}>
                        { format!("wait {wait_ms} ms") }
                    </text>
                    <text class="bo-seq__small" x={f(CLIENT_X + 14.0)} y={f(top + 10.0)}>{ format!("onRetry #{}", i + 1) }</text>
                </g>
            }
        });
        html! {
            <g>
                if sent {
                    <g class="bo-seq__attempt" data-testid="seq-attempt">
                        <text class="bo-seq__time" x={f(CLIENT_X - 12.0)} y={f(r.y_send + 4.0)} text-anchor="end">{ format!("{} ms", a.start_ms) }</text>
                        <line class="bo-seq__call" x1={f(CLIENT_X)} y1={f(r.y_send)} x2={f(API_X - 2.0)} y2={f(r.y_send)} marker-end="url(#bo-arrow)" />
                        <text x={f(mid)} y={f(r.y_send - 6.0)} text-anchor="middle">{ attempt_name(a.attempt) }</text>
                    </g>
                }
                if replied {
                    if a.end_ms != a.start_ms {
                        <text class="bo-seq__time" x={f(CLIENT_X - 12.0)} y={f(r.y_reply + 4.0)} text-anchor="end">{ format!("{} ms", a.end_ms) }</text>
                    }
                    <g class={reply_class} data-testid="seq-reply">
                        <line x1={f(API_X)} y1={f(r.y_reply)} x2={f(CLIENT_X + 2.0)} y2={f(r.y_reply)} marker-end={marker} />
                        <text x={f(mid)} y={f(r.y_reply - 6.0)} text-anchor="middle">{ reply_text(&a.outcome) }</text>
                    </g>
                }
                { for wait }
            </g>
        }
    });
    let outcome = props.finished.then(|| {
        let (class, text) = match &s.result {
            CallResult::Succeeded { .. } => {
                ("bo-seq__outcome bo-seq__outcome--ok", format!("✓ {}", short_outcome(&s.result)))
            }
            CallResult::Failed { .. } => {
                ("bo-seq__outcome bo-seq__outcome--fail", format!("✗ {}", short_outcome(&s.result)))
            }
        };
        html! {
            <g class={class} data-testid="seq-outcome">
                <rect x="8" y={f(l.y_outcome)} width={f(WIDTH - 16.0)} height={f(OUTCOME_H - 8.0)} rx="8" />
                <text x={f(WIDTH / 2.0)} y={f(l.y_outcome + 24.0)} text-anchor="middle">{ text }</text>
            </g>
        }
    });
    html! {
        <svg class="bo-seq" viewBox={format!("0 0 {WIDTH} {h:.0}")} role="img" data-testid="sequence-diagram"
             aria-label="Sequence diagram of the retried call: attempts, replies, waits and the outcome">
            <title>{ "Sequence diagram of the retried call" }</title>
            <defs>
                { arrow_marker("bo-arrow", "bo-seq__head") }
                { arrow_marker("bo-arrow-fail", "bo-seq__head bo-seq__head--fail") }
                { arrow_marker("bo-arrow-ok", "bo-seq__head bo-seq__head--ok") }
            </defs>
            <g class="bo-seq__actor">
                <rect x={f(CLIENT_X - 48.0)} y="8" width="96" height="28" rx="6" />
                <text x={f(CLIENT_X)} y="27" text-anchor="middle">{ "Client" }</text>
                <rect x={f(API_X - 48.0)} y="8" width="96" height="28" rx="6" />
                <text x={f(API_X)} y="27" text-anchor="middle">{ "API" }</text>
            </g>
            <line class="bo-seq__lifeline" x1={f(CLIENT_X)} y1="36" x2={f(CLIENT_X)} y2={f(l.y_outcome - 4.0)} />
            <line class="bo-seq__lifeline" x1={f(API_X)} y1="36" x2={f(API_X)} y2={f(l.y_outcome - 4.0)} />
            <text class="bo-seq__small" x="4" y="52">{ "time ↓" }</text>
            { for rows }
            { for outcome }
            if !props.finished {
                <g class="bo-seq__now" data-testid="seq-now">
                    <line x1="4" y1={f(now_y)} x2={f(WIDTH - 4.0)} y2={f(now_y)} />
                    <text x={f(WIDTH - 6.0)} y={f(now_y - 4.0)} text-anchor="end">{ format!("now {} ms", props.now_ms) }</text>
                </g>
            }
        </svg>
    }
}

fn short_outcome(r: &CallResult) -> String {
    match r {
        CallResult::Succeeded { attempt, at_ms } => {
            format!("success on attempt {} at {at_ms} ms", attempt + 1)
        }
        CallResult::Failed { error, at_ms, .. } => {
            format!("error {} reaches the caller at {at_ms} ms", error.status)
        }
    }
}
