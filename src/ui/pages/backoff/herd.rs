//! "Thundering herd": M clients against a server of capacity C that is down from t1 to t2, once per
//! strategy, without and with a retry budget; requests/s over time. The ten runs are computed in
//! frame slices (progress bar, Cancel) and start by themselves when the section appears.

use std::collections::BTreeMap;
use std::rc::Rc;

use yew::prelude::*;

use super::contention::strategy_label;
use super::fields::{human_ms, parse_u32, parse_u64, NumField};
use super::one_call::capitalise;
use crate::backoff::herd::{self, HerdModel};
use crate::backoff::{herd_csv, HerdLimiter, HerdParams, HerdSeries, Strategy};
use crate::sim::{QueryParams, SimTime, Simulation};
use crate::ui::components::{LineChart, Series};
use crate::ui::download::download_text;
use crate::ui::hooks::{use_frame_job, SLICE_MS};
use crate::ui::performance_now;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HerdForm {
    pub clients: u32,
    pub capacity: u32,
    pub t1_s: u64,
    pub t2_s: u64,
    pub duration_s: u64,
}

impl Default for HerdForm {
    fn default() -> Self {
        let d = HerdParams::default();
        HerdForm {
            clients: d.clients,
            capacity: d.capacity_rps,
            t1_s: d.fail_at_ms / 1000,
            t2_s: d.recover_at_ms / 1000,
            duration_s: d.duration_ms / 1000,
        }
    }
}

pub const MAX_HERD_CLIENTS: u32 = 5000;

pub fn read_herd(q: &mut QueryParams) -> HerdForm {
    let d = HerdForm::default();
    HerdForm {
        clients: q.u64_in("m", u64::from(d.clients), 1, u64::from(MAX_HERD_CLIENTS)) as u32,
        capacity: q.u64_in("c", u64::from(d.capacity), 1, 100_000) as u32,
        t1_s: q.u64_in("t1", d.t1_s, 0, 600),
        t2_s: q.u64_in("t2", d.t2_s, 0, 600),
        duration_s: q.u64_in("dur", d.duration_s, 1, 600),
    }
}

pub fn herd_pairs(f: &HerdForm) -> Vec<(String, String)> {
    vec![
        ("m".into(), f.clients.to_string()),
        ("c".into(), f.capacity.to_string()),
        ("t1".into(), f.t1_s.to_string()),
        ("t2".into(), f.t2_s.to_string()),
        ("dur".into(), f.duration_s.to_string()),
    ]
}

fn apply_field(f: &mut HerdForm, name: &str, raw: &str) -> Result<(), String> {
    match name {
        "m" => f.clients = parse_u32("Clients M", raw, 1, MAX_HERD_CLIENTS)?,
        "c" => f.capacity = parse_u32("Capacity C", raw, 1, 100_000)?,
        "t1" => f.t1_s = parse_u64("Failure starts t1", raw, 0, 600)?,
        "t2" => f.t2_s = parse_u64("Recovery t2", raw, 0, 600)?,
        "dur" => f.duration_s = parse_u64("Duration", raw, 1, 600)?,
        other => return Err(format!("Unknown field \"{other}\".")),
    }
    Ok(())
}

pub fn herd_params(f: &HerdForm, seed: u64) -> HerdParams {
    HerdParams {
        clients: f.clients,
        capacity_rps: f.capacity,
        fail_at_ms: f.t1_s * 1000,
        recover_at_ms: f.t2_s * 1000,
        duration_ms: f.duration_s * 1000,
        seed,
        ..HerdParams::default()
    }
}

/// The ten runs, strategy-major, without and with the budget (as `herd::run_all` orders them).
pub const LIMITERS: [HerdLimiter; 2] = [HerdLimiter::None, HerdLimiter::Budget];

#[derive(Clone, Debug, PartialEq)]
pub enum HerdStatus {
    Idle,
    Running { done_ms: u64, total_ms: u64 },
    Done { elapsed_ms: f64 },
    Cancelled,
}

#[derive(Clone, PartialEq)]
pub struct HerdState {
    pub form: HerdForm,
    pub field_errors: BTreeMap<&'static str, String>,
    pub error: Option<String>,
    pub status: HerdStatus,
    pub series: Rc<Vec<HerdSeries>>,
    /// The parameters the series were made with.
    pub shown: Option<HerdParams>,
}

pub enum HerdAction {
    Set(&'static str, String),
    Error(String),
    Started(HerdParams),
    Progress { done_ms: u64, total_ms: u64 },
    Finished { series: Vec<HerdSeries>, elapsed_ms: f64 },
    Cancelled,
}

impl Reducible for HerdState {
    type Action = HerdAction;
    fn reduce(self: Rc<Self>, action: HerdAction) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            HerdAction::Set(name, raw) => match apply_field(&mut s.form, name, &raw) {
                Ok(()) => {
                    s.field_errors.remove(name);
                }
                Err(e) => {
                    s.field_errors.insert(name, e);
                }
            },
            HerdAction::Error(e) => s.error = Some(e),
            HerdAction::Started(p) => {
                s.error = None;
                s.status = HerdStatus::Running { done_ms: 0, total_ms: p.duration_ms * 10 };
                s.series = Rc::new(Vec::new());
                s.shown = Some(p);
            }
            HerdAction::Progress { done_ms, total_ms } => s.status = HerdStatus::Running { done_ms, total_ms },
            HerdAction::Finished { series, elapsed_ms } => {
                s.series = Rc::new(series);
                s.status = HerdStatus::Done { elapsed_ms };
            }
            HerdAction::Cancelled => s.status = HerdStatus::Cancelled,
        }
        Rc::new(s)
    }
}

/// Requests per second over time for one limiter's five strategies, plus the capacity line.
pub fn herd_series(series: &[HerdSeries], limiter: HerdLimiter, params: &HerdParams) -> Vec<Series> {
    let per_s = 1000.0 / params.bucket_ms as f64;
    let mut out: Vec<Series> = Strategy::ALL
        .iter()
        .filter_map(|s| series.iter().find(|x| x.strategy == *s && x.limiter == limiter))
        .map(|x| Series {
            name: strategy_label(x.strategy).into(),
            points: x.buckets.iter().map(|b| (b.start_ms as f64 / 1000.0, b.requests as f64 * per_s)).collect(),
        })
        .collect();
    let end = params.duration_ms as f64 / 1000.0;
    out.push(Series {
        name: "server capacity C".into(),
        points: vec![(0.0, f64::from(params.capacity_rps)), (end, f64::from(params.capacity_rps))],
    });
    out
}

struct HerdJob {
    params: HerdParams,
    next: usize,
    sim: Option<Simulation<HerdModel>>,
    out: Vec<HerdSeries>,
}

impl HerdJob {
    fn order() -> Vec<(Strategy, HerdLimiter)> {
        Strategy::ALL.iter().flat_map(|s| LIMITERS.iter().map(move |l| (*s, *l))).collect()
    }
    /// Works until `time_up`; true when all ten runs are done.
    fn work(&mut self, time_up: impl Fn() -> bool) -> Result<bool, String> {
        let order = HerdJob::order();
        let end = SimTime::from_unix_ms(self.params.duration_ms);
        loop {
            if self.next >= order.len() {
                return Ok(true);
            }
            let (strategy, limiter) = order[self.next];
            if self.sim.is_none() {
                self.sim = Some(herd::simulation(&self.params, strategy, limiter).map_err(|e| e.to_string())?);
            }
            let sim = self.sim.as_mut().expect("made above");
            if sim.run_until_bounded(end, 2000) {
                let sim = self.sim.take().expect("present");
                self.out.push(HerdSeries { strategy, limiter, buckets: sim.model.buckets().to_vec() });
                self.next += 1;
                continue;
            }
            if time_up() {
                return Ok(false);
            }
        }
    }
    fn done_ms(&self) -> u64 {
        self.next as u64 * self.params.duration_ms + self.sim.as_ref().map(|s| s.now().as_unix_ms()).unwrap_or(0)
    }
}

#[derive(Properties, PartialEq)]
pub struct HerdProps {
    pub initial: HerdForm,
    pub seed: u64,
    pub on_pairs: Callback<Vec<(String, String)>>,
}

#[component]
pub fn Herd(props: &HerdProps) -> Html {
    let state = use_reducer({
        let form = props.initial;
        move || HerdState {
            form,
            field_errors: BTreeMap::new(),
            error: None,
            status: HerdStatus::Idle,
            series: Rc::new(Vec::new()),
            shown: None,
        }
    });
    let job = use_frame_job();
    let seed = props.seed;

    let start = {
        let (state, job) = (state.clone(), job.clone());
        move |form: HerdForm| {
            let params = herd_params(&form, seed);
            if let Err(e) = herd::simulation(&params, Strategy::None, HerdLimiter::None) {
                return state.dispatch(HerdAction::Error(capitalise(&e.to_string())));
            }
            state.dispatch(HerdAction::Started(params.clone()));
            let total_ms = params.duration_ms * HerdJob::order().len() as u64;
            let mut work = HerdJob { params, next: 0, sim: None, out: Vec::new() };
            let dispatcher = state.dispatcher();
            let started = performance_now();
            job.start(move || {
                let t0 = performance_now();
                match work.work(|| performance_now() - t0 > SLICE_MS) {
                    Ok(true) => {
                        let series = std::mem::take(&mut work.out);
                        dispatcher.dispatch(HerdAction::Finished { series, elapsed_ms: performance_now() - started });
                        false
                    }
                    Ok(false) => {
                        dispatcher.dispatch(HerdAction::Progress { done_ms: work.done_ms(), total_ms });
                        true
                    }
                    Err(e) => {
                        dispatcher.dispatch(HerdAction::Error(capitalise(&e)));
                        dispatcher.dispatch(HerdAction::Cancelled);
                        false
                    }
                }
            });
        }
    };
    // The herd starts by itself when the section appears, so its charts are never empty.
    {
        let (start, form) = (start.clone(), state.form);
        use_effect_with((), move |_| start(form));
    }
    {
        let cb = props.on_pairs.clone();
        use_effect_with(state.form, move |f| cb.emit(herd_pairs(f)));
    }
    let on_field = {
        let state = state.clone();
        Callback::from(move |(name, raw): (&'static str, String)| state.dispatch(HerdAction::Set(name, raw)))
    };
    let run = {
        let (start, state) = (start.clone(), state.clone());
        Callback::from(move |_: MouseEvent| start(state.form))
    };
    let cancel = {
        let (state, job) = (state.clone(), job.clone());
        Callback::from(move |_: MouseEvent| {
            job.cancel();
            state.dispatch(HerdAction::Cancelled);
        })
    };
    let export = {
        let (series, state) = (state.series.clone(), state.clone());
        Callback::from(move |_: MouseEvent| {
            if let Err(e) = download_text("backoff-herd.csv", "text/csv", &herd_csv(&series)) {
                state.dispatch(HerdAction::Error(e));
            }
        })
    };
    let running = matches!(state.status, HerdStatus::Running { .. });
    let f = &state.form;
    let invalid = |n: &str| state.field_errors.contains_key(n);
    let charts = state.shown.as_ref().filter(|_| !state.series.is_empty()).map(|p| {
        let without = herd_series(&state.series, HerdLimiter::None, p);
        let with = herd_series(&state.series, HerdLimiter::Budget, p);
        let y_max = without.iter().chain(with.iter()).flat_map(|s| s.points.iter().map(|q| q.1)).fold(1.0, f64::max) * 1.05;
        let outage = format!("server down {}–{} s", p.fail_at_ms / 1000, p.recover_at_ms / 1000);
        html! {
            <>
                <div class="bo-chart-grid" data-testid="herd-charts">
                    <div>
                        <h3>{ format!("Without a retry budget ({outage})") }</h3>
                        <LineChart title={format!("Requests per second without a retry budget, {outage}")} x_label="time (s)" y_label="requests / s"
                                   series={without} y_max={Some(y_max)} width={480.0} height={280.0} testid="chart-herd-none" />
                    </div>
                    <div>
                        <h3>{ format!("With a retry budget ({outage})") }</h3>
                        <LineChart title={format!("Requests per second with a retry budget, {outage}")} x_label="time (s)" y_label="requests / s"
                                   series={with} y_max={Some(y_max)} width={480.0} height={280.0} testid="chart-herd-budget" />
                    </div>
                </div>
                <div class="table-scroll">
                    <table class="data-table" data-testid="herd-table">
                        <thead><tr><th>{ "Strategy" }</th><th>{ "Budget" }</th><th>{ "Requests" }</th><th>{ "Retries" }</th><th>{ "Peak req/s" }</th><th>{ "Refused by budget" }</th><th>{ "Gave up" }</th></tr></thead>
                        <tbody>
                            { for state.series.iter().map(|s| html! {
                                <tr>
                                    <td>{ strategy_label(s.strategy) }</td>
                                    <td>{ if s.limiter == HerdLimiter::Budget { "yes" } else { "no" } }</td>
                                    <td>{ s.total(|b| b.requests) }</td>
                                    <td>{ s.total(|b| b.retries) }</td>
                                    <td>{ (s.peak_requests() as f64 * 1000.0 / p.bucket_ms as f64).round() }</td>
                                    <td>{ s.total(|b| b.denied_by_limiter) }</td>
                                    <td>{ s.total(|b| b.gave_up) }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                </div>
            </>
        }
    });
    html! {
        <section class="panel bo-section" data-testid="herd" aria-labelledby="bo-herd-h">
            <h2 id="bo-herd-h">{ "Thundering herd: a server fails and recovers" }</h2>
            <p class="bo-muted">
                { "M clients each send about one request a second to a server that can answer C per second. From t1 to t2 it rejects everything. \
                   Each failed request is retried (up to 6 times, base 100 ms, cap 10 s). Without jitter the retries arrive in synchronized waves; \
                   a retry budget — Finagle's RetryBudget per client: each request deposits 1000 tokens, each retry costs (1000 / 0.2) = 5000, over a 10 s window and with no fixed reserve, so at most 20 % of a client's recent requests are retried — caps the extra load when the server is down." }
            </p>
            <div class="form-grid bo-form">
                <NumField name="m" label="Clients (M)" value={f.clients.to_string()} invalid={invalid("m")} disabled={running} on_change={on_field.clone()} />
                <NumField name="c" label="Capacity C (req/s)" value={f.capacity.to_string()} invalid={invalid("c")} disabled={running} on_change={on_field.clone()} />
                <NumField name="t1" label="Fails at t1 (s)" value={f.t1_s.to_string()} invalid={invalid("t1")} disabled={running} on_change={on_field.clone()} />
                <NumField name="t2" label="Recovers at t2 (s)" value={f.t2_s.to_string()} invalid={invalid("t2")} disabled={running} on_change={on_field.clone()} />
                <NumField name="dur" label="Duration (s)" value={f.duration_s.to_string()} invalid={invalid("dur")} disabled={running} on_change={on_field.clone()} />
            </div>
            if !state.field_errors.is_empty() || state.error.is_some() {
                <div class="notice notice--error" role="alert" data-testid="herd-errors">
                    <ul class="bo-errors">
                        { for state.field_errors.values().map(|e| html! { <li>{ e.clone() }</li> }) }
                        { for state.error.iter().map(|e| html! { <li>{ e.clone() }</li> }) }
                    </ul>
                </div>
            }
            <div class="bo-actions">
                <button type="button" class="button" data-testid="herd-run" disabled={running} onclick={run}>{ "Run the herd" }</button>
                if running {
                    <button type="button" class="button button--quiet" data-testid="herd-cancel" onclick={cancel}>{ "Cancel" }</button>
                }
                if !state.series.is_empty() && !running {
                    <button type="button" class="button button--quiet" data-testid="herd-export" onclick={export}>{ "Export CSV" }</button>
                }
            </div>
            <div class="bo-status" data-testid="herd-status" aria-live="polite">
                { match &state.status {
                    HerdStatus::Idle => html! {},
                    HerdStatus::Running { done_ms, total_ms } => html! {
                        <div>
                            <progress class="progress" data-testid="herd-progress" max={total_ms.to_string()} value={done_ms.to_string()}></progress>
                            <p>{ format!("Simulating ten runs (five strategies, without and with a budget): {:.0} %.", *done_ms as f64 * 100.0 / (*total_ms).max(1) as f64) }</p>
                        </div>
                    },
                    HerdStatus::Done { elapsed_ms } => html! { <p class="bo-muted bo-small" data-testid="herd-time">{ format!("Ten runs simulated in {} in this tab.", human_ms(*elapsed_ms)) }</p> },
                    HerdStatus::Cancelled => html! { <p data-testid="herd-cancelled">{ "Cancelled." }</p> },
                } }
            </div>
            { for charts }
        </section>
    }
}
