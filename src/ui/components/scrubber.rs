//! `Scrubber`: the timeline scrubber under a page's controls bar for a rewindable run
//! (`sim::rewind::Rewind`). A range input over the run's history (0 to its horizon) that seeks as it
//! is dragged, ◀/▶ to step one event back or forward, bar-and-triangle buttons to jump to the previous or next notable
//! event (violation, harm, fault, failover, handover), the notable marks as coloured ticks along
//! the track, the cursor's time and event index, and the notices "rewound: acting now starts a new
//! branch" and "the future was cut off".
//!
//! A leaf: [`ScrubberState::of`] turns a rewind into plain values, and every intent comes back as a
//! [`RewindCommand`] the page's reducer applies with [`RewindCommand::apply`]. How a page adopts
//! rewind is written down in ARCHITECTURE.md ("Rewind on a page").

use std::rc::Rc;

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::sim::rewind::{Branch, Cursor, NotableKind, Rewind, Rewindable, Seek};
use crate::sim::SimDuration;

/// What the user asked of the rewind.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RewindCommand {
    /// Drag: the state at this virtual time (ms since the start).
    SeekMs(u64),
    StepBack,
    StepForward,
    PrevMark,
    NextMark,
}

impl RewindCommand {
    /// Applies the command to `run`; returns whether the cursor moved.
    pub fn apply<M: Rewindable>(self, run: &mut Rewind<M>) -> bool {
        let before = run.cursor();
        match self {
            RewindCommand::SeekMs(ms) => {
                run.seek(Seek::Time(ms.min(run.horizon().at_ms)));
            }
            RewindCommand::StepBack => {
                run.step_back();
            }
            RewindCommand::StepForward => {
                run.step_forward();
            }
            RewindCommand::PrevMark => {
                run.seek_prev_mark();
            }
            RewindCommand::NextMark => {
                run.seek_next_mark();
            }
        }
        run.cursor() != before
    }
}

/// What identifies a rewindable run's state for redraws and URL writes: the cursor, the actions
/// applied and logged, and a counter the page's reducer bumps on every change (a new run, a
/// refused action's message…).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stamp {
    pub cursor: Cursor,
    pub applied: usize,
    pub logged: usize,
    pub version: u64,
}

impl Stamp {
    pub fn of<M: Rewindable>(run: &Rewind<M>, version: u64) -> Self {
        Stamp { cursor: run.cursor(), applied: run.applied(), logged: run.actions().len(), version }
    }
}

/// One notable mark as the track draws it.
#[derive(Clone, Debug, PartialEq)]
pub struct MarkView {
    pub at_ms: u64,
    pub kind: NotableKind,
    pub label: String,
}

/// The most marks drawn on the track (the newest; a long run keeps more for the jump buttons).
pub const MAX_DRAWN_MARKS: usize = 400;

/// Everything the scrubber shows, as plain values.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ScrubberState {
    pub cursor: Cursor,
    pub horizon: Cursor,
    pub rewound: bool,
    pub marks: Rc<[MarkView]>,
    pub has_prev: bool,
    pub has_next: bool,
    /// Logged actions behind and ahead of the cursor.
    pub actions_behind: usize,
    pub actions_ahead: usize,
    /// The running trace digest at the cursor (what `sim replay` prints for the same moment).
    pub digest: String,
    /// Snapshots kept (regular + scratch).
    pub snapshots: usize,
}

impl ScrubberState {
    pub fn of<M: Rewindable>(run: &Rewind<M>) -> Self {
        let marks = run.marks();
        let skip = marks.len().saturating_sub(MAX_DRAWN_MARKS);
        ScrubberState {
            cursor: run.cursor(),
            horizon: run.horizon(),
            rewound: run.is_rewound(),
            marks: marks[skip..]
                .iter()
                .map(|m| MarkView { at_ms: m.at.at_ms, kind: m.kind, label: m.label.clone() })
                .collect(),
            has_prev: run.prev_mark().is_some(),
            has_next: run.next_mark().is_some(),
            actions_behind: run.applied(),
            actions_ahead: run.actions().len() - run.applied(),
            digest: run.digest(),
            snapshots: {
                let (regular, scratch, _) = run.snapshot_counts();
                regular + scratch
            },
        }
    }
}

/// The sentence a page shows after acting while rewound cut the future off.
pub fn branch_notice(at_ms: u64, b: &Branch) -> String {
    let actions = match b.actions_dropped {
        0 => String::new(),
        1 => " and 1 later action".to_string(),
        n => format!(" and {n} later actions"),
    };
    format!(
        "New branch: you acted at {} while rewound, so the old future (up to {}{actions}) was cut off.",
        SimDuration(at_ms).clock_string(),
        SimDuration(b.horizon_ms).clock_string(),
    )
}

#[derive(Properties, PartialEq)]
pub struct ScrubberProps {
    pub state: ScrubberState,
    pub on_command: Callback<RewindCommand>,
    /// The "new branch" notice, when the last action cut the future off.
    #[prop_or_default]
    pub branch: Option<AttrValue>,
    #[prop_or_default]
    pub on_dismiss_branch: Callback<()>,
    /// Wall ms the last seek took (read by the browser budgets), if known.
    #[prop_or_default]
    pub last_seek_ms: Option<f64>,
}

#[derive(Properties, PartialEq)]
struct MarkLinesProps {
    marks: Rc<[MarkView]>,
}

/// The notable marks as ticks at their own time (the parent's viewBox spans the horizon). Redrawn
/// only when the marks change; keyed by time and kind, so when the newest [`MAX_DRAWN_MARKS`] move
/// on by one, one tick goes and one comes instead of every tick changing.
#[component]
fn MarkLines(props: &MarkLinesProps) -> Html {
    let mut prev: Option<(u64, NotableKind)> = None;
    let mut nth = 0u32;
    props
        .marks
        .iter()
        .map(|m| {
            // Marks are in time order, so equal (time, kind) pairs are neighbours: count them.
            nth = if prev == Some((m.at_ms, m.kind)) { nth + 1 } else { 0 };
            prev = Some((m.at_ms, m.kind));
            let x = m.at_ms.to_string();
            html! {
                <line key={format!("{}-{}-{nth}", m.at_ms, m.kind.as_str())}
                      class={classes!("scrub__mark", format!("scrub__mark--{}", m.kind.as_str()))}
                      x1={x.clone()} x2={x} y1="0" y2="10" data-kind={m.kind.as_str()}>
                    <title>{ format!("{} — {}", SimDuration(m.at_ms).clock_string(), m.label) }</title>
                </line>
            }
        })
        .collect()
}

#[component]
pub fn Scrubber(props: &ScrubberProps) -> Html {
    let s = &props.state;
    let horizon = s.horizon.at_ms.max(1);
    let cmd = |c: RewindCommand| props.on_command.reform(move |_: MouseEvent| c);
    let on_input = props.on_command.reform(|e: InputEvent| {
        let input: HtmlInputElement = e.target_unchecked_into();
        RewindCommand::SeekMs(input.value().parse::<f64>().map_or(0, |v| v.max(0.0) as u64))
    });
    let position = format!(
        "{} of {} · event {} of {}",
        SimDuration(s.cursor.at_ms).clock_string(),
        SimDuration(s.horizon.at_ms).clock_string(),
        s.cursor.events,
        s.horizon.events,
    );
    // Bar-and-triangle icons drawn as SVG (a font may lack ⏮ and ⏭).
    let icon = |d: &'static str| {
        html! { <svg class="scrub__icon" viewBox="0 0 16 16" aria-hidden="true"><path d={d} /></svg> }
    };
    html! {
        <section class={classes!("scrub", s.rewound.then_some("scrub--rewound"))} aria-label="Rewind" data-testid="scrubber"
                 data-cursor-ms={s.cursor.at_ms.to_string()} data-cursor-events={s.cursor.events.to_string()}
                 data-horizon-ms={s.horizon.at_ms.to_string()} data-horizon-events={s.horizon.events.to_string()}
                 data-digest={s.digest.clone()} data-snapshots={s.snapshots.to_string()}
                 data-seek-ms={props.last_seek_ms.map(|v| format!("{v:.2}")).unwrap_or_default()}>
            <div class="scrub__row">
                <button type="button" class="button button--quiet scrub__btn" title="Previous notable event (violation, harm, fault, handover)"
                        aria-label="Previous notable event" data-testid="scrub-prev-mark" disabled={!s.has_prev}
                        onclick={cmd(RewindCommand::PrevMark)}>{ icon("M2 2h2.5v12H2zM14 2v12L5.5 8z") }</button>
                <button type="button" class="button button--quiet scrub__btn" title="Step back one event (←)"
                        aria-label="Step back one event" data-testid="scrub-back" disabled={s.cursor == Cursor::default()}
                        onclick={cmd(RewindCommand::StepBack)}>{ "◀" }</button>
                <div class="scrub__track">
                    // In the run's own milliseconds: a playing run's horizon moves every frame, and
                    // only the viewBox and the past's width follow it; the marks stay put.
                    <svg class="scrub__marks" viewBox={format!("0 0 {horizon} 10")} preserveAspectRatio="none" aria-hidden="true"
                         data-testid="scrub-marks">
                        <rect class="scrub__past" width={s.cursor.at_ms.min(horizon).to_string()} height="10" />
                        <MarkLines marks={s.marks.clone()} />
                    </svg>
                    <input type="range" class="scrub__range" min="0" max={horizon.to_string()} step="1"
                           value={s.cursor.at_ms.to_string()} aria-label="Seek through the run's history"
                           aria-valuetext={SimDuration(s.cursor.at_ms).clock_string()}
                           data-testid="scrub-range" oninput={on_input} />
                </div>
                <button type="button" class="button button--quiet scrub__btn" title="Step forward one event (→)"
                        aria-label="Step forward one event" data-testid="scrub-forward"
                        onclick={cmd(RewindCommand::StepForward)}>{ "▶" }</button>
                <button type="button" class="button button--quiet scrub__btn" title="Next notable event"
                        aria-label="Next notable event" data-testid="scrub-next-mark" disabled={!s.has_next}
                        onclick={cmd(RewindCommand::NextMark)}>{ icon("M11.5 2H14v12h-2.5zM2 2v12l8.5-6z") }</button>
            </div>
            <p class="scrub__status" data-testid="scrub-position">
                <span class="mono">{ position }</span>
                if s.rewound {
                    <strong class="scrub__rewound" data-testid="scrub-rewound">
                        { format!(" Rewound: play or → replays the history{}; acting now starts a new branch.",
                            match s.actions_ahead { 0 => String::new(), 1 => " (and 1 logged action)".into(), n => format!(" (and {n} logged actions)") }) }
                    </strong>
                }
            </p>
            if let Some(b) = &props.branch {
                <p class="notice scrub__branch" role="status" data-testid="scrub-branch">
                    { b.clone() }
                    <button type="button" class="button button--quiet" onclick={props.on_dismiss_branch.reform(|_: MouseEvent| ())}>{ "OK" }</button>
                </p>
            }
        </section>
    }
}
