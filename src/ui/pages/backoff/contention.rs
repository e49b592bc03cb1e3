//! "Contention": the AWS blog's optimistic-concurrency experiment. The sweep (N clients × five
//! strategies × R runs) runs in frame slices with a progress bar and Cancel; finished sweeps are
//! cached by their parameters for the page's lifetime, so going back to earlier settings shows
//! them at once. One run per strategy at a chosen N is drawn as calls over time.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use yew::prelude::*;

use super::fields::{human_ms, parse_u32, NumField};
use crate::backoff::{calls_over_time, sweep_csv, CallsHistogram, ClientRange, Strategy, Sweep, SweepParams, SweepRow};
use crate::sim::QueryParams;
use crate::ui::components::{Histogram, LineChart, Series};
use crate::ui::download::download_text;
use crate::ui::hooks::{use_frame_job, SLICE_MS};
use crate::ui::performance_now;

/// The sweep form: N from..to step, R runs per point, and N of the histograms.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SweepForm {
    pub runs: u32,
    pub from: u32,
    pub to: u32,
    pub step: u32,
    pub hist_n: u32,
}

impl Default for SweepForm {
    fn default() -> Self {
        SweepForm { runs: 100, from: 10, to: 190, step: 10, hist_n: 100 }
    }
}

pub const MAX_RUNS_UI: u32 = 1000;
pub const MAX_CLIENTS_UI: u32 = 1000;
pub const MAX_HIST_CLIENTS: u32 = 400;

pub fn read_sweep(q: &mut QueryParams) -> SweepForm {
    let d = SweepForm::default();
    SweepForm {
        runs: q.u64_in("runs", u64::from(d.runs), 1, u64::from(MAX_RUNS_UI)) as u32,
        from: q.u64_in("n_from", u64::from(d.from), 1, u64::from(MAX_CLIENTS_UI)) as u32,
        to: q.u64_in("n_to", u64::from(d.to), 1, u64::from(MAX_CLIENTS_UI)) as u32,
        step: q.u64_in("n_step", u64::from(d.step), 1, u64::from(MAX_CLIENTS_UI)) as u32,
        hist_n: q.u64_in("hist_n", u64::from(d.hist_n), 1, u64::from(MAX_HIST_CLIENTS)) as u32,
    }
}

pub fn sweep_pairs(f: &SweepForm) -> Vec<(String, String)> {
    vec![
        ("runs".into(), f.runs.to_string()),
        ("n_from".into(), f.from.to_string()),
        ("n_to".into(), f.to.to_string()),
        ("n_step".into(), f.step.to_string()),
        ("hist_n".into(), f.hist_n.to_string()),
    ]
}

fn apply_field(f: &mut SweepForm, name: &str, raw: &str) -> Result<(), String> {
    match name {
        "runs" => f.runs = parse_u32("Runs per point R", raw, 1, MAX_RUNS_UI)?,
        "n_from" => f.from = parse_u32("Clients from", raw, 1, MAX_CLIENTS_UI)?,
        "n_to" => f.to = parse_u32("Clients to", raw, 1, MAX_CLIENTS_UI)?,
        "n_step" => f.step = parse_u32("Clients step", raw, 1, MAX_CLIENTS_UI)?,
        "hist_n" => f.hist_n = parse_u32("Clients in the histograms", raw, 1, MAX_HIST_CLIENTS)?,
        other => return Err(format!("Unknown field \"{other}\".")),
    }
    Ok(())
}

/// The core's sweep parameters for a form and seed, or why they are unusable.
pub fn sweep_params(f: &SweepForm, seed: u64) -> Result<SweepParams, String> {
    let clients = ClientRange::new(f.from, f.to, f.step).map_err(|e| super::one_call::capitalise(&e.to_string()))?;
    Ok(SweepParams { clients, runs: f.runs, seed, ..SweepParams::default() })
}

/// The cache key of a parameter set: its query string.
pub fn cache_key(p: &SweepParams) -> String {
    serde_qs::to_string(p).unwrap_or_default()
}

#[derive(Clone, Debug, PartialEq)]
pub struct CachedSweep {
    pub rows: Rc<Vec<SweepRow>>,
    /// In-page wall time from Run to the last row (performance.now).
    pub elapsed_ms: f64,
    /// Of which computing (the sum of the frame slices).
    pub busy_ms: f64,
    pub frames: u32,
}

thread_local! {
    /// Finished sweeps by parameter set; kept while the page is open (navigating away and back too).
    static CACHE: RefCell<BTreeMap<String, CachedSweep>> = const { RefCell::new(BTreeMap::new()) };
}

fn cached(key: &str) -> Option<CachedSweep> {
    CACHE.with(|c| c.borrow().get(key).cloned())
}

#[derive(Clone, Debug, PartialEq)]
pub enum SweepStatus {
    Idle,
    Running { done: u64, total: u64 },
    Done { from_cache: bool, run: CachedSweep },
    Cancelled { done: u64, total: u64 },
}

#[derive(Clone, PartialEq)]
pub struct ContentionState {
    pub form: SweepForm,
    pub field_errors: BTreeMap<&'static str, String>,
    pub error: Option<String>,
    pub status: SweepStatus,
    /// The rows shown (complete, cached, or as far as a running or cancelled sweep got).
    pub rows: Rc<Vec<SweepRow>>,
    /// What the rows are for, in words.
    pub rows_for: String,
}

pub enum ContentionAction {
    Set(&'static str, String),
    Error(String),
    Started { total: u64, label: String },
    Progress { done: u64, total: u64, rows: Option<Vec<SweepRow>> },
    Finished(CachedSweep),
    Cancelled,
    ShowCached(CachedSweep, String),
    Clear,
}

impl Reducible for ContentionState {
    type Action = ContentionAction;
    fn reduce(self: Rc<Self>, action: ContentionAction) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            ContentionAction::Set(name, raw) => match apply_field(&mut s.form, name, &raw) {
                Ok(()) => {
                    s.field_errors.remove(name);
                }
                Err(e) => {
                    s.field_errors.insert(name, e);
                }
            },
            ContentionAction::Error(e) => s.error = Some(e),
            ContentionAction::Started { total, label } => {
                s.error = None;
                s.status = SweepStatus::Running { done: 0, total };
                s.rows = Rc::new(Vec::new());
                s.rows_for = label;
            }
            ContentionAction::Progress { done, total, rows } => {
                s.status = SweepStatus::Running { done, total };
                if let Some(r) = rows {
                    s.rows = Rc::new(r);
                }
            }
            ContentionAction::Finished(run) => {
                s.rows = run.rows.clone();
                s.status = SweepStatus::Done { from_cache: false, run };
            }
            ContentionAction::Cancelled => {
                if let SweepStatus::Running { done, total } = s.status {
                    s.status = SweepStatus::Cancelled { done, total };
                }
            }
            ContentionAction::ShowCached(run, label) => {
                s.error = None;
                s.rows = run.rows.clone();
                s.rows_for = label;
                s.status = SweepStatus::Done { from_cache: true, run };
            }
            ContentionAction::Clear => {
                if !matches!(s.status, SweepStatus::Running { .. }) {
                    s.status = SweepStatus::Idle;
                    s.rows = Rc::new(Vec::new());
                }
            }
        }
        Rc::new(s)
    }
}

/// A strategy's name on the charts.
pub fn strategy_label(s: Strategy) -> &'static str {
    match s {
        Strategy::Exponential => "exponential (no jitter)",
        Strategy::Decorrelated => "decorrelated jitter",
        Strategy::EqualJitter => "equal jitter",
        Strategy::FullJitter => "full jitter",
        Strategy::None => "none (no backoff)",
    }
}

fn label_for(p: &SweepParams) -> String {
    format!("N = {} clients, R = {} runs per point, seed {}", p.clients, p.runs, p.seed)
}

/// One line per strategy of `value(row)` against clients.
pub fn sweep_series(rows: &[SweepRow], value: impl Fn(&SweepRow) -> f64) -> Vec<Series> {
    Strategy::ALL
        .iter()
        .map(|s| Series {
            name: strategy_label(*s).into(),
            points: rows.iter().filter(|r| r.strategy == *s).map(|r| (f64::from(r.clients), value(r))).collect(),
        })
        .collect()
}

/// The five calls-over-time histograms on one time window and one y scale.
#[derive(Clone, Debug, PartialEq)]
pub struct SharedHistograms {
    /// Bucket width, ms.
    pub width: f64,
    /// The time window drawn, ms: until the slowest strategy other than plain exponential is done
    /// (plain exponential can take ten times longer; its tail is cut and the title says so).
    pub window_ms: f64,
    /// Shared y maximum: the busiest bucket after the first one (the first holds every client's
    /// first write at once and would flatten everything else; it is drawn cut off).
    pub y_max: f64,
    /// Each strategy's (start ms, writes) bars.
    pub bars: Vec<Vec<(f64, f64)>>,
}

pub fn shared_histograms(h: &[CallsHistogram], target: usize) -> SharedHistograms {
    let end = |x: &CallsHistogram| x.counts.len() as f64 * x.bucket_ms as f64;
    let others = h.iter().filter(|x| x.strategy != Strategy::Exponential).map(end).fold(0.0, f64::max);
    let window_ms = if others > 0.0 { others } else { h.iter().map(end).fold(1.0, f64::max) }.max(1.0);
    let raw = (window_ms / target.max(1) as f64).max(1.0);
    let mag = 10f64.powf(raw.log10().floor());
    let width = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|w| *w >= raw).unwrap_or(10.0 * mag).max(1.0);
    let bins = (window_ms / width).ceil().max(1.0) as usize;
    let bars: Vec<Vec<(f64, f64)>> = h
        .iter()
        .map(|x| {
            let mut v = vec![0.0; bins];
            for (i, c) in x.counts.iter().enumerate() {
                let b = ((i as u64 * x.bucket_ms) as f64 / width) as usize;
                if let Some(slot) = v.get_mut(b) {
                    *slot += *c as f64;
                }
            }
            v.into_iter().enumerate().map(|(i, c)| (i as f64 * width, c)).collect()
        })
        .collect();
    let after_first = bars.iter().flat_map(|b| b.iter().skip(1)).map(|b| b.1).fold(0.0, f64::max);
    let y_max = if after_first > 0.0 { after_first } else { bars.iter().flatten().map(|b| b.1).fold(1.0, f64::max) };
    SharedHistograms { width, window_ms, y_max, bars }
}

#[derive(Properties, PartialEq)]
pub struct ContentionProps {
    pub initial: SweepForm,
    pub seed: u64,
    pub on_pairs: Callback<Vec<(String, String)>>,
    pub on_seed: Callback<u64>,
    /// The live run's part of the URL the page was opened with.
    pub live: Rc<super::live::LiveUrl>,
    /// The live run's URL pairs (none while it is closed).
    pub on_live_pairs: Callback<Vec<(String, String)>>,
}

#[component]
pub fn Contention(props: &ContentionProps) -> Html {
    let state = use_reducer({
        let form = props.initial;
        move || ContentionState {
            form,
            field_errors: BTreeMap::new(),
            error: None,
            status: SweepStatus::Idle,
            rows: Rc::new(Vec::new()),
            rows_for: String::new(),
        }
    });
    let job = use_frame_job();
    let seed = props.seed;
    let live = use_state(|| props.live.open);

    // Settings that were swept before show their cached results at once.
    {
        let state = state.clone();
        let cb = props.on_pairs.clone();
        use_effect_with((state.form, seed), move |(form, seed)| {
            cb.emit(sweep_pairs(form));
            if matches!(state.status, SweepStatus::Running { .. }) {
                return;
            }
            match sweep_params(form, *seed) {
                Ok(p) => match cached(&cache_key(&p)) {
                    Some(c) => state.dispatch(ContentionAction::ShowCached(c, label_for(&p))),
                    None => state.dispatch(ContentionAction::Clear),
                },
                Err(_) => state.dispatch(ContentionAction::Clear),
            }
        });
    }

    let on_field = {
        let state = state.clone();
        Callback::from(move |(name, raw): (&'static str, String)| state.dispatch(ContentionAction::Set(name, raw)))
    };
    let run = {
        let (state, job) = (state.clone(), job.clone());
        Callback::from(move |_: MouseEvent| {
            let params = match sweep_params(&state.form, seed) {
                Ok(p) => p,
                Err(e) => return state.dispatch(ContentionAction::Error(e)),
            };
            let key = cache_key(&params);
            if let Some(c) = cached(&key) {
                return state.dispatch(ContentionAction::ShowCached(c, label_for(&params)));
            }
            let mut sweep = match Sweep::new(params.clone()) {
                Ok(s) => s,
                Err(e) => return state.dispatch(ContentionAction::Error(super::one_call::capitalise(&e.to_string()))),
            };
            let total = sweep.progress().runs_total;
            state.dispatch(ContentionAction::Started { total, label: label_for(&params) });
            let dispatcher = state.dispatcher();
            let started = performance_now();
            let (mut busy, mut frames, mut shown_rows) = (0.0, 0u32, 0usize);
            job.start(move || {
                let t0 = performance_now();
                frames += 1;
                loop {
                    let p = sweep.step(1);
                    if p.done() || performance_now() - t0 > SLICE_MS {
                        break;
                    }
                }
                busy += performance_now() - t0;
                let p = sweep.progress();
                if p.done() {
                    let run = CachedSweep {
                        rows: Rc::new(sweep.rows().to_vec()),
                        elapsed_ms: performance_now() - started,
                        busy_ms: busy,
                        frames,
                    };
                    CACHE.with(|c| c.borrow_mut().insert(key.clone(), run.clone()));
                    dispatcher.dispatch(ContentionAction::Finished(run));
                    return false;
                }
                let rows = (sweep.rows().len() != shown_rows).then(|| {
                    shown_rows = sweep.rows().len();
                    sweep.rows().to_vec()
                });
                dispatcher.dispatch(ContentionAction::Progress { done: p.runs_done, total: p.runs_total, rows });
                true
            });
        })
    };
    let cancel = {
        let (state, job) = (state.clone(), job.clone());
        Callback::from(move |_: MouseEvent| {
            job.cancel();
            state.dispatch(ContentionAction::Cancelled);
        })
    };
    let export = {
        let rows = state.rows.clone();
        let error = state.clone();
        Callback::from(move |_: MouseEvent| {
            if let Err(e) = download_text("backoff-contention.csv", "text/csv", &sweep_csv(&rows)) {
                error.dispatch(ContentionAction::Error(e));
            }
        })
    };

    let hist_n = state.form.hist_n;
    // One run per strategy, re-bucketed once per (N, seed): not on every progress frame.
    let hist = use_memo((hist_n, seed), |(n, seed)| {
        calls_over_time(*n, *seed, 1)
            .map(|h| {
                let shared = shared_histograms(&h, 80);
                (h, shared)
            })
            .map_err(|e| e.to_string())
    });
    let running = matches!(state.status, SweepStatus::Running { .. });
    let f = &state.form;
    let invalid = |n: &str| state.field_errors.contains_key(n);
    let rows = &state.rows;

    html! {
        <section class="panel bo-section" data-testid="contention" aria-labelledby="bo-contention-h">
            <h2 id="bo-contention-h">{ "Contention: many clients, one row" }</h2>
            <p class="bo-muted">
                { "The AWS Architecture Blog's experiment: N clients each read a row's version and then write with it; a write succeeds only if nobody wrote in between. \
                   A loser backs off (base 5 ms, cap 2 s) and reads again. Every network hop takes |Normal(10 ms, 2 ms)|. \
                   Work = writes made by all clients; time = until the last client succeeds; both averaged over R runs." }
            </p>
            <div class="form-grid bo-form">
                <NumField name="n_from" label="Clients from" value={f.from.to_string()} invalid={invalid("n_from")} disabled={running} on_change={on_field.clone()} />
                <NumField name="n_to" label="Clients to" value={f.to.to_string()} invalid={invalid("n_to")} disabled={running} on_change={on_field.clone()} />
                <NumField name="n_step" label="Step" value={f.step.to_string()} invalid={invalid("n_step")} disabled={running} on_change={on_field.clone()} />
                <NumField name="runs" label="Runs per point (R)" value={f.runs.to_string()} invalid={invalid("runs")} disabled={running} on_change={on_field.clone()} />
            </div>
            if !state.field_errors.is_empty() || state.error.is_some() {
                <div class="notice notice--error" role="alert" data-testid="sweep-errors">
                    <ul class="bo-errors">
                        { for state.field_errors.values().map(|e| html! { <li>{ e.clone() }</li> }) }
                        { for state.error.iter().map(|e| html! { <li>{ e.clone() }</li> }) }
                    </ul>
                </div>
            }
            <div class="bo-actions">
                <button type="button" class="button" data-testid="sweep-run" disabled={running} onclick={run}>{ "Run the sweep" }</button>
                if running {
                    <button type="button" class="button button--quiet" data-testid="sweep-cancel" onclick={cancel}>{ "Cancel" }</button>
                }
                if !rows.is_empty() && !running {
                    <button type="button" class="button button--quiet" data-testid="sweep-export" onclick={export}>{ "Export CSV" }</button>
                }
            </div>
            <div class="bo-status" data-testid="sweep-status" aria-live="polite">
                { match &state.status {
                    SweepStatus::Idle => html! { <p class="bo-muted">{ format!("Not run yet for these settings: {} points × 5 strategies × {} runs.", ClientRange::new(f.from, f.to, f.step).map(|r| r.values().len()).unwrap_or(0), f.runs) }</p> },
                    SweepStatus::Running { done, total } => html! {
                        <div>
                            <progress class="progress" data-testid="sweep-progress" max={total.to_string()} value={done.to_string()}></progress>
                            <p>{ format!("Running: {done} of {total} runs ({:.0} %). The page stays responsive: the work runs in 12 ms slices, one per frame.", *done as f64 * 100.0 / (*total).max(1) as f64) }</p>
                        </div>
                    },
                    SweepStatus::Cancelled { done, total } => html! { <p data-testid="sweep-cancelled">{ format!("Cancelled after {done} of {total} runs. Completed points are shown; nothing was cached.") }</p> },
                    SweepStatus::Done { from_cache, run } => html! {
                        <p data-testid="sweep-time">
                            { format!("The sweep took {} in this tab (performance.now from Run to the last point): {} computing in {} frames.", human_ms(run.elapsed_ms), human_ms(run.busy_ms), run.frames) }
                            if *from_cache { <strong>{ " Shown from the cache — not recomputed." }</strong> }
                        </p>
                    },
                } }
            </div>
            if !rows.is_empty() {
                <p class="bo-muted bo-small">{ state.rows_for.clone() }</p>
                <div class="bo-chart-grid" data-testid="sweep-charts">
                    <LineChart title="Total calls (writes) vs clients" x_label="clients (N)" y_label="calls"
                               series={sweep_series(rows, |r| r.calls)} width={480.0} height={280.0} testid="chart-calls" />
                    <LineChart title="Time until the last client succeeds vs clients" x_label="clients (N)" y_label="time (ms)"
                               series={sweep_series(rows, |r| r.time_ms)} width={480.0} height={280.0} testid="chart-time" />
                </div>
            }
            <h3>{ "Watch one run" }</h3>
            <button type="button" class="button button--quiet" data-testid="live-toggle" aria-expanded={live.to_string()}
                    onclick={{
                        let (live, pairs) = (live.clone(), props.on_live_pairs.clone());
                        Callback::from(move |_: MouseEvent| {
                            if *live {
                                pairs.emit(Vec::new());
                            }
                            live.set(!*live);
                        })
                    }}>
                { if *live { "Close the live run" } else { "Watch one run live" } }
            </button>
            if *live {
                <super::live::LiveContention seed={seed} on_seed={props.on_seed.clone()} initial={props.live.clone()}
                                             on_pairs={props.on_live_pairs.clone()} />
            }
            <h3>{ "Calls over time: one run per strategy" }</h3>
            <div class="form-grid bo-form">
                <NumField name="hist_n" label="Clients (N)" value={f.hist_n.to_string()} invalid={invalid("hist_n")} on_change={on_field.clone()} />
            </div>
            <p class="bo-muted">{ "Without jitter the retries come in waves: everybody who lost waits the same time and collides again. With jitter they spread out, so fewer writes lose. Same scales on all five." }</p>
            { match &*hist {
                Ok((h, sh)) => {
                    let width = sh.width;
                    html! {
                        <>
                        <p class="bo-muted bo-small">{ format!("Bars of {width} ms over the first {}; the first bar (every client's first write, all at once) is cut off at the top.", human_ms(sh.window_ms)) }</p>
                        <div class="bo-hist-grid" data-testid="histograms">
                            { for h.iter().zip(sh.bars.iter()).enumerate().map(|(i, (x, b))| {
                                let cut = if x.result.time_ms > sh.window_ms + width { format!(" (drawn until {})", human_ms(sh.window_ms)) } else { String::new() };
                                html! {
                                    <div class="bo-hist">
                                        <h4>{ format!("{}: {} calls, last success at {}{cut}", strategy_label(x.strategy), x.result.calls, human_ms(x.result.time_ms)) }</h4>
                                        <Histogram title={format!("Writes per {width} ms, {}", strategy_label(x.strategy))} x_label="time (ms)" y_label="writes"
                                                   buckets={b.clone()} bucket_width={width} series_index={i} y_max={Some(sh.y_max)} width={480.0} height={210.0} />
                                    </div>
                                }
                            }) }
                        </div>
                        </>
                    }
                }
                Err(e) => html! { <p class="notice notice--error">{ e.clone() }</p> },
            } }
        </section>
    }
}
