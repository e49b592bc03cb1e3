//! The lock-worker machine's state diagram: the eight states of the reference design as nodes,
//! its transitions (from `WorkerState::diagram_edges`) as labelled arrows, the current state lit
//! and the last transition drawn with an animated highlight (re-created per transition, so the
//! CSS animation plays again). `STOP` goes from every state to `cleanup`: it is drawn once, as an
//! entry arrow "from any state", and the concrete STOP edge appears only when it was just taken.

use yew::prelude::*;

use crate::lock::{WorkerState, WorkerStatus};
use crate::ui::components::chart::arrow_marker;

/// Node width and height in SVG units.
const NW: f64 = 124.0;
const NH: f64 = 30.0;

/// The diagram's layout: a 3 × 3 grid (the acquire loop on top, the holding loop in the middle
/// column, the shutdown path on the left).
pub fn node_pos(s: WorkerState) -> (f64, f64) {
    use WorkerState::*;
    let (col, row) = match s {
        Idle => (0, 0),
        AcquiringLock => (1, 0),
        WaitingToAcquireLock => (2, 0),
        ReleasingLock => (0, 1),
        Working => (1, 1),
        PauseWork => (2, 1),
        Cleanup => (0, 2),
        RenewLock => (1, 2),
    };
    (72.0 + 168.0 * col as f64, 40.0 + 86.0 * row as f64)
}

/// Node label lines (the long name is broken where a reader would break it).
fn label_lines(s: WorkerState) -> Vec<&'static str> {
    match s {
        WorkerState::WaitingToAcquireLock => vec!["waiting_to_", "acquire_lock"],
        other => vec![other.name()],
    }
}

/// One drawn edge: its path, where its label goes and how it is anchored.
struct EdgeShape {
    d: String,
    label_x: f64,
    label_y: f64,
    anchor: &'static str,
}

fn edge_shape(from: WorkerState, to: WorkerState) -> Option<EdgeShape> {
    use WorkerState::*;
    let (fx, fy) = node_pos(from);
    let (tx, ty) = node_pos(to);
    let hw = NW / 2.0;
    let hh = NH / 2.0;
    let line = |x1: f64, y1: f64, x2: f64, y2: f64| format!("M{x1:.1},{y1:.1} L{x2:.1},{y2:.1}");
    Some(match (from, to) {
        (Idle, AcquiringLock) => EdgeShape {
            d: line(fx + hw, fy, tx - hw - 2.0, ty),
            label_x: (fx + tx) / 2.0,
            label_y: fy - hh - 8.0,
            anchor: "middle",
        },
        (AcquiringLock, WaitingToAcquireLock) => EdgeShape {
            d: line(fx + hw, fy - 6.0, tx - hw - 2.0, ty - 6.0),
            label_x: (fx + tx) / 2.0,
            label_y: fy - hh - 8.0,
            anchor: "middle",
        },
        (WaitingToAcquireLock, AcquiringLock) => EdgeShape {
            d: line(fx - hw, fy + 6.0, tx + hw + 2.0, ty + 6.0),
            label_x: (fx + tx) / 2.0,
            label_y: fy + hh + 14.0,
            anchor: "middle",
        },
        (AcquiringLock, Working) => EdgeShape {
            d: line(fx - 10.0, fy + hh, tx - 10.0, ty - hh - 2.0),
            label_x: fx - 16.0,
            label_y: (fy + ty) / 2.0 + 4.0,
            anchor: "end",
        },
        (Working, RenewLock) => EdgeShape {
            d: line(fx - 8.0, fy + hh, tx - 8.0, ty - hh - 2.0),
            label_x: fx - 14.0,
            label_y: (fy + ty) / 2.0 + 4.0,
            anchor: "end",
        },
        (RenewLock, Working) => EdgeShape {
            d: line(fx + 8.0, fy - hh, tx + 8.0, ty + hh + 2.0),
            label_x: fx + 14.0,
            label_y: (fy + ty) / 2.0 + 4.0,
            anchor: "start",
        },
        (RenewLock, PauseWork) => EdgeShape {
            d: format!("M{:.1},{:.1} Q{:.1},{:.1} {:.1},{:.1}", fx + hw, fy, tx, fy, tx, ty + hh + 2.0),
            label_x: tx - 30.0,
            label_y: fy - 8.0,
            anchor: "middle",
        },
        (PauseWork, WaitingToAcquireLock) => EdgeShape {
            d: line(fx, fy - hh, tx, ty + hh + 2.0),
            label_x: fx + 6.0,
            label_y: (fy + ty) / 2.0 + 4.0,
            anchor: "start",
        },
        (Cleanup, ReleasingLock) => EdgeShape {
            d: line(fx, fy - hh, tx, ty + hh + 2.0),
            label_x: fx - 6.0,
            label_y: (fy + ty) / 2.0 + 4.0,
            anchor: "end",
        },
        (ReleasingLock, Idle) => EdgeShape {
            d: line(fx, fy - hh, tx, ty + hh + 2.0),
            label_x: fx + 6.0,
            label_y: (fy + ty) / 2.0 + 4.0,
            anchor: "start",
        },
        (_, Cleanup) => {
            // A concrete STOP edge (only drawn when just taken): a straight line to cleanup.
            if from == Cleanup {
                return None;
            }
            let (dx, dy) = (tx - fx, ty - fy);
            let len = (dx * dx + dy * dy).sqrt().max(1.0);
            let (sx, sy) = (fx + dx / len * 30.0, fy + dy / len * 18.0);
            let (ex, ey) = (tx - dx / len * 66.0, ty - dy / len * 20.0);
            EdgeShape {
                d: line(sx, sy, ex, ey),
                label_x: (sx + ex) / 2.0,
                label_y: (sy + ey) / 2.0 - 4.0,
                anchor: "middle",
            }
        }
        _ => return None,
    })
}

/// The last transition a worker took (what the diagram animates).
#[derive(Clone, Debug, PartialEq)]
pub struct LastTransition {
    pub from: WorkerState,
    pub to: WorkerState,
    pub event: String,
    /// Unix ms; a new value re-creates the highlight so its animation plays again.
    pub at: u64,
}

#[derive(Properties, PartialEq)]
pub struct StateDiagramProps {
    pub state: WorkerState,
    pub status: WorkerStatus,
    #[prop_or_default]
    pub last: Option<LastTransition>,
    /// For the SVG's accessible name, e.g. "worker-0".
    pub name: AttrValue,
}

/// The SVG state diagram of one worker. Pure function of its props, so Yew skips it when nothing
/// changed (16 cards at 100× stay cheap).
#[component]
pub fn StateDiagram(props: &StateDiagramProps) -> Html {
    let edges = WorkerState::diagram_edges();
    let last = props.last.as_ref();
    let is_last = |from: WorkerState, to: WorkerState| last.is_some_and(|l| l.from == from && l.to == to);
    let down = matches!(props.status, WorkerStatus::Crashed | WorkerStatus::NotStarted);
    let status_text = match props.status {
        WorkerStatus::NotStarted => Some("not started"),
        WorkerStatus::Crashed => Some("crashed"),
        WorkerStatus::Paused => Some("paused (GC)"),
        WorkerStatus::Running => None,
    };
    let (cx, cy) = node_pos(WorkerState::Cleanup);
    let title = format!("State diagram of {}: current state {}", props.name, props.state.name());
    html! {
        <svg class={classes!("lk-diagram", down.then_some("lk-diagram--down"), (props.status == WorkerStatus::Paused).then_some("lk-diagram--paused"))}
             viewBox="-28 0 536 272" role="img" aria-label={title.clone()} data-testid="state-diagram">
            <title>{ title }</title>
            <defs>
                { arrow_marker("lk-arrow", "lk-diagram__head") }
                { arrow_marker("lk-arrow-last", "lk-diagram__head lk-diagram__head--last") }
            </defs>
            // Edges of the reference design (STOP drawn once, below).
            { for edges.iter().filter(|(_, ev, _)| *ev != "STOP").filter_map(|(from, ev, to)| {
                let shape = edge_shape(*from, *to)?;
                let lit = is_last(*from, *to);
                Some(html! {
                    <g class={classes!("lk-diagram__edge", lit.then_some("lk-diagram__edge--last"))}
                       key={format!("{}-{}-{}", from.name(), to.name(), if lit { last.map_or(0, |l| l.at) } else { 0 })}>
                        <path d={shape.d} marker-end={if lit { "url(#lk-arrow-last)" } else { "url(#lk-arrow)" }} />
                        <text x={format!("{:.1}", shape.label_x)} y={format!("{:.1}", shape.label_y)} text-anchor={shape.anchor}>{ *ev }</text>
                    </g>
                })
            }) }
            // STOP from any state: one entry arrow into cleanup.
            <g class={classes!("lk-diagram__edge", "lk-diagram__edge--stop", last.is_some_and(|l| l.to == WorkerState::Cleanup).then_some("lk-diagram__edge--last"))}
               key={format!("stop-{}", last.filter(|l| l.to == WorkerState::Cleanup).map_or(0, |l| l.at))}>
                <path d={format!("M{:.1},{:.1} L{:.1},{:.1}", cx, cy + 52.0, cx, cy + NH / 2.0 + 2.0)} marker-end="url(#lk-arrow)" />
                <text x={format!("{:.1}", cx + 8.0)} y={format!("{:.1}", cy + 46.0)} text-anchor="start">{ "STOP (from any state)" }</text>
            </g>
            if let Some(l) = last.filter(|l| l.to == WorkerState::Cleanup && l.from != WorkerState::Cleanup) {
                if let Some(shape) = edge_shape(l.from, l.to) {
                    <g class="lk-diagram__edge lk-diagram__edge--last" key={format!("stop-edge-{}", l.at)}>
                        <path d={shape.d} marker-end="url(#lk-arrow-last)" />
                    </g>
                }
            }
            { for WorkerState::ALL.iter().map(|s| {
                let (x, y) = node_pos(*s);
                let current = *s == props.state && !down;
                let lines = label_lines(*s);
                let n = lines.len() as f64;
                html! {
                    <g class={classes!("lk-diagram__node", current.then_some("lk-diagram__node--current"))}
                       data-state={s.name()} aria-current={current.then_some("true")}>
                        <rect x={format!("{:.1}", x - NW / 2.0)} y={format!("{:.1}", y - NH / 2.0)} width={NW.to_string()} height={NH.to_string()} rx="8" />
                        { for lines.iter().enumerate().map(|(i, line)| html! {
                            <text x={format!("{x:.1}")} y={format!("{:.1}", y + 4.0 + (i as f64 - (n - 1.0) / 2.0) * 11.0)} text-anchor="middle">{ *line }</text>
                        }) }
                    </g>
                }
            }) }
            if let Some(text) = status_text {
                <g class="lk-diagram__status">
                    <rect x="300" y="238" width="172" height="28" rx="8" />
                    <text x="386" y="257" text-anchor="middle">{ text }</text>
                </g>
            }
        </svg>
    }
}
