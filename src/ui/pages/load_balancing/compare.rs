//! Compare mode: every algorithm on the page's seeded workload through the core's chunked
//! `Compare`, a slice per animation frame (about [`SLICE_MS`] of work), with a progress bar and
//! Cancel; then a table, bar charts of p50/p99, drops + errors and fairness, and CSV/JSON export.

use yew::prelude::*;

use crate::balance::compare::rows_to_csv;
use crate::balance::{Compare, CompareRow, Scenario};
use crate::ui::components::chart::short_number;
use crate::ui::download::download_text;
use crate::ui::hooks::use_frame_job;
use crate::ui::performance_now;

/// Wall milliseconds of comparison work per animation frame.
pub const SLICE_MS: f64 = 10.0;
/// Events per `Compare::step` call between clock checks.
const EVENTS_PER_STEP: u64 = 2_000;

/// A comparison in progress.
struct Job {
    compare: Compare,
    started_ms: f64,
    frames: u32,
}

#[derive(Clone, Debug, PartialEq)]
enum Status {
    Idle,
    Running {
        fraction: f64,
        finished: usize,
        total: usize,
    },
    Done {
        rows: Vec<CompareRow>,
        elapsed_ms: f64,
        frames: u32,
        /// Boxed: the scenario is large and the other states are small.
        scenario: Box<Scenario>,
    },
    Cancelled {
        fraction: f64,
    },
    Failed(String),
}

#[derive(Properties, PartialEq)]
pub struct ComparePanelProps {
    /// The workload every algorithm runs (its own algorithm is ignored).
    pub scenario: Scenario,
}

impl Job {
    /// One frame's slice of work; returns whether more is left.
    fn tick(&mut self, status: &UseStateHandle<Status>) -> bool {
        let start = performance_now();
        self.frames += 1;
        let mut p = self.compare.progress();
        while !p.done && performance_now() - start < SLICE_MS {
            p = self.compare.step(EVENTS_PER_STEP);
        }
        if p.done {
            status.set(Status::Done {
                rows: self.compare.rows().to_vec(),
                elapsed_ms: performance_now() - self.started_ms,
                frames: self.frames,
                scenario: Box::new(self.compare.scenario().clone()),
            });
        } else {
            status.set(Status::Running { fraction: p.fraction, finished: p.finished, total: p.total });
        }
        !p.done
    }
}

/// Horizontal bars, one row per label; `values` holds one or two numbers per row (two draw a
/// pair of bars, e.g. p50 and p99).
fn bar_chart(title: &str, testid: &str, rows: &[(String, Vec<f64>)], names: &[&str], fmt: fn(f64) -> String) -> Html {
    let max = rows.iter().flat_map(|r| r.1.iter().copied()).fold(0.0f64, f64::max).max(1e-9);
    let row_h = 8.0 * names.len() as f64 + 8.0;
    let h = rows.len() as f64 * row_h + 8.0;
    let (lx, bw) = (92.0, 170.0);
    html! {
        <figure class="lb-bars" data-testid={testid.to_string()}>
            <figcaption>{ title.to_string() }</figcaption>
            <svg class="chart lb-bars__svg" viewBox={format!("0 0 320 {h}")} role="img" aria-label={title.to_string()}>
                <title>{ title.to_string() }</title>
                { for rows.iter().enumerate().map(|(i, (label, vals))| {
                    let y0 = 4.0 + i as f64 * row_h;
                    html! {
                        <g>
                            <text x={(lx - 4.0).to_string()} y={(y0 + row_h / 2.0 + 1.0).to_string()} text-anchor="end">{ label.clone() }</text>
                            { for vals.iter().enumerate().map(|(k, v)| {
                                let y = y0 + 2.0 + k as f64 * 8.0;
                                let w = (v / max * bw).max(if *v > 0.0 { 1.0 } else { 0.0 });
                                html! {
                                    <g>
                                        <rect class={format!("series-{k}")} x={lx.to_string()} y={y.to_string()} width={format!("{w:.1}")} height="7" />
                                        <text class="lb-bars__value" x={(lx + w + 3.0).to_string()} y={(y + 6.5).to_string()}>{ fmt(*v) }</text>
                                    </g>
                                }
                            }) }
                        </g>
                    }
                }) }
            </svg>
            if names.len() > 1 {
                <crate::ui::components::Legend names={names.iter().map(|n| AttrValue::from(n.to_string())).collect::<Vec<_>>()} />
            }
        </figure>
    }
}

#[component]
pub fn ComparePanel(props: &ComparePanelProps) -> Html {
    // The frame job owns the comparison while it runs; unmounting or Cancel drops both.
    let frames = use_frame_job();
    let progress = use_mut_ref(|| 0.0f64);
    let status = use_state(|| Status::Idle);
    let export_error = use_state(|| None::<String>);
    let on_run = {
        let frames = frames.clone();
        let progress = progress.clone();
        let status = status.clone();
        let scenario = props.scenario.clone();
        Callback::from(move |_: MouseEvent| match Compare::all(&scenario) {
            Err(e) => status.set(Status::Failed(e.to_string())),
            Ok(compare) => {
                let mut job = Job { compare, started_ms: performance_now(), frames: 0 };
                *progress.borrow_mut() = 0.0;
                status.set(Status::Running {
                    fraction: 0.0,
                    finished: 0,
                    total: crate::balance::AlgorithmId::ALL.len(),
                });
                let (status, progress) = (status.clone(), progress.clone());
                frames.start(move || {
                    let more = job.tick(&status);
                    *progress.borrow_mut() = job.compare.progress().fraction;
                    more
                });
            }
        })
    };
    let on_cancel = {
        let status = status.clone();
        Callback::from(move |_: MouseEvent| {
            frames.cancel();
            status.set(Status::Cancelled { fraction: *progress.borrow() });
        })
    };
    let export = |kind: &'static str| {
        let status = status.clone();
        let export_error = export_error.clone();
        Callback::from(move |_: MouseEvent| {
            let Status::Done { rows, elapsed_ms, scenario, .. } = &*status else {
                return;
            };
            let result = if kind == "csv" {
                download_text("load-balancing-compare.csv", "text/csv", &rows_to_csv(rows))
            } else {
                let doc = serde_json::json!({ "scenario": scenario, "elapsed_ms": elapsed_ms.round(), "rows": rows });
                download_text(
                    "load-balancing-compare.json",
                    "application/json",
                    &serde_json::to_string_pretty(&doc).unwrap_or_default(),
                )
            };
            export_error.set(result.err());
        })
    };
    let sc = &props.scenario;
    let requests = (sc.arrivals.rate_per_s * sc.duration_ms as f64 / 1000.0).round();
    let running = matches!(&*status, Status::Running { .. });

    html! {
        <div class="panel lb-compare" data-testid="lb-compare">
            <h2>{ "Compare every algorithm" }</h2>
            <p class="lb-muted">
                { format!("All 12 algorithms serve the same seeded workload (seed {}, about {} requests over {} s, {} servers). \
                           It runs a slice per frame, so the page stays responsive.", sc.seed, requests, sc.duration_ms as f64 / 1000.0, sc.servers.len()) }
            </p>
            <div class="lb-compare__actions">
                <button type="button" class="button" data-testid="compare-run" disabled={running} onclick={on_run}>{ "Run compare" }</button>
                if running {
                    <button type="button" class="button button--quiet" data-testid="compare-cancel" onclick={on_cancel}>{ "Cancel" }</button>
                }
            </div>
            {
                match &*status {
                    Status::Idle => html! {},
                    Status::Running { fraction, finished, total } => html! {
                        <div class="lb-compare__progress">
                            <progress data-testid="compare-progress" max="1" value={fraction.to_string()}>{ format!("{:.0}%", fraction * 100.0) }</progress>
                            <span class="lb-muted">{ format!("{:.0}% · {finished} of {total} algorithms done", fraction * 100.0) }</span>
                        </div>
                    },
                    Status::Cancelled { fraction } => html! {
                        <p class="notice" data-testid="compare-cancelled">{ format!("Cancelled at {:.0}%. Nothing was kept.", fraction * 100.0) }</p>
                    },
                    Status::Failed(msg) => html! {
                        <p class="notice notice--error" role="alert" data-testid="compare-error">{ format!("Compare could not start: {msg}") }</p>
                    },
                    Status::Done { rows, elapsed_ms, frames, .. } => {
                        let best = rows.iter().map(|r| r.p99_ms).min().unwrap_or(0);
                        let lat: Vec<(String, Vec<f64>)> = rows.iter().map(|r| (r.algorithm.id().to_string(), vec![r.p50_ms as f64, r.p99_ms as f64])).collect();
                        let lost: Vec<(String, Vec<f64>)> = rows.iter().map(|r| (r.algorithm.id().to_string(), vec![(r.drops + r.errors) as f64])).collect();
                        let fair: Vec<(String, Vec<f64>)> = rows.iter().map(|r| (r.algorithm.id().to_string(), vec![r.fairness])).collect();
                        html! {
                            <div class="lb-compare__result">
                                <p data-testid="compare-time">
                                    { format!("Compared {} algorithms in {:.2} s of page time over {} frames.", rows.len(), elapsed_ms / 1000.0, frames) }
                                </p>
                                <div class="lb-compare__charts">
                                    { bar_chart("Latency p50 and p99 (ms)", "compare-chart-latency", &lat, &["p50", "p99"], short_number) }
                                    { bar_chart("Dropped + failed requests", "compare-chart-lost", &lost, &["lost"], short_number) }
                                    { bar_chart("Fairness: busiest server ÷ mean (1 = even)", "compare-chart-fairness", &fair, &["fairness"], |v| format!("{v:.2}")) }
                                </div>
                                <div class="table-scroll">
                                    <table class="data-table" data-testid="compare-table">
                                        <thead><tr>
                                            <th>{ "algorithm" }</th><th>{ "p50 ms" }</th><th>{ "p99 ms" }</th><th>{ "p99.9 ms" }</th>
                                            <th>{ "drops" }</th><th>{ "errors" }</th><th>{ "completed" }</th><th>{ "fairness" }</th>
                                        </tr></thead>
                                        <tbody>
                                            { for rows.iter().map(|r| html! {
                                                <tr class={classes!((r.p99_ms == best).then_some("lb-best"))}>
                                                    <td>{ r.algorithm.id() }</td><td>{ r.p50_ms }</td><td>{ r.p99_ms }</td><td>{ r.p999_ms }</td>
                                                    <td>{ r.drops }</td><td>{ r.errors }</td><td>{ r.completed }</td><td>{ format!("{:.3}", r.fairness) }</td>
                                                </tr>
                                            }) }
                                        </tbody>
                                    </table>
                                </div>
                                <div class="lb-compare__actions">
                                    <button type="button" class="button button--quiet" data-testid="compare-csv" onclick={export("csv")}>{ "Export CSV" }</button>
                                    <button type="button" class="button button--quiet" data-testid="compare-json" onclick={export("json")}>{ "Export JSON" }</button>
                                </div>
                                if let Some(e) = &*export_error {
                                    <p class="notice notice--error" role="alert">{ e.clone() }</p>
                                }
                            </div>
                        }
                    }
                }
            }
        </div>
    }
}
