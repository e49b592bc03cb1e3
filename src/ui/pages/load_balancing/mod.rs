//! The load-balancing playground page: a live fleet (clients → balancer → servers) played by the
//! shared `use_playback`, server cards with Down / Slow ×10 / Recover, a live percentile chart, the
//! scenario editor with presets (the scenario lives in the URL), compare mode, and a picture per
//! algorithm.
//!
//! State: the run is a `use_mut_ref` `LbRun` driven by the playback handle; the applied scenario
//! form is one `use_state`. Every action calls the core (`LbRun::new`, `set_server_state`,
//! `ScenarioForm::to_scenario`) and redraws; leaf components get values and callbacks.

mod compare;
mod editor;
mod fleet;
mod pictures;

use std::cell::RefCell;
use std::rc::Rc;

use yew::prelude::*;

use crate::balance::metrics::fairness;
use crate::balance::{FieldError, LbRun, Scenario, ScenarioForm, ServerState};
use crate::sim::{ParamError, SimParams};
use crate::ui::components::{ControlsBar, LineChart, PageHeader, ParamNotices, Series};
use crate::ui::hooks::{use_playback, use_url_params};
use crate::ui::Route;

pub use compare::ComparePanel;
pub use editor::ScenarioEditor;
pub use fleet::{FleetDiagram, ServerCard};
pub use pictures::AlgorithmPictures;

/// Dispatches kept for the animation (the last ones); the diagram draws at most
/// [`fleet::MAX_DOTS`] of them per frame.
pub const FLOW_CAPACITY: usize = 240;

/// The percentile chart shows this many of the latest windows.
const CHART_WINDOWS: usize = 60;

#[derive(Clone, PartialEq)]
struct UrlState {
    sim: SimParams,
    form: ScenarioForm,
    scenario: Scenario,
    notices: Vec<ParamError>,
}

fn field_notices(errors: &[FieldError], base: &ScenarioForm) -> Vec<ParamError> {
    errors
        .iter()
        .map(|e| ParamError::Invalid {
            param: e.field.clone(),
            value: e.value.clone(),
            accepted: e.accepted.clone(),
            default: if e.field == "scenario" {
                "the preset".into()
            } else if e.field == "preset" {
                "custom".into()
            } else {
                base.get(&e.field).to_string()
            },
        })
        .collect()
}

fn new_run(sc: &Scenario) -> LbRun {
    // `ScenarioForm::from_url` and the editor only hand over scenarios that built a run.
    let mut run =
        LbRun::new(sc).unwrap_or_else(|_| LbRun::new(&Scenario::default()).expect("the default scenario is valid"));
    run.record_flows(FLOW_CAPACITY);
    run.keep_windows(CHART_WINDOWS);
    run
}

fn url_pairs(sim: SimParams, form: &ScenarioForm) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = sim.pairs().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    pairs.extend(form.url_pairs());
    pairs
}

#[component]
pub fn LoadBalancingPage() -> Html {
    let info = super::info(Route::LoadBalancing);
    let url = use_url_params(|q| {
        let sim = SimParams::read(q);
        let raw = |k: &str| q.raw(k).map(str::to_string);
        let (form, scenario, errors) = ScenarioForm::from_url(raw, sim.seed);
        let base = ScenarioForm::for_preset(&form.preset);
        let mut notices = q.notices().to_vec();
        notices.extend(field_notices(&errors, &base));
        UrlState { sim, form, scenario, notices }
    });
    let init = url.initial().clone();
    let form = use_state(|| init.form.clone());
    let seed = use_state(|| init.sim.seed);
    let run = {
        let sc = init.scenario.clone();
        use_mut_ref(move || new_run(&sc))
    };
    let playback = use_playback(run.clone(), init.sim.speed);

    let write_url = {
        let url = url.clone();
        let playback = playback.clone();
        move |seed: u64, form: &ScenarioForm| {
            url.write(url_pairs(SimParams { seed, speed: playback.speed() }, form));
        }
    };

    // Replaces the run with a fresh one for `sc` (reset, seed, apply, preset).
    let restart = {
        let run = run.clone();
        let playback = playback.clone();
        move |sc: &Scenario| {
            *run.borrow_mut() = new_run(sc);
            playback.redraw();
        }
    };

    // At the end of a run Play replays it from the start (same scenario, same seed).
    let replay = {
        let seed = seed.clone();
        let form = form.clone();
        let restart = restart.clone();
        let playback = playback.clone();
        move || {
            if let Ok(sc) = form.to_scenario(*seed) {
                restart(&sc);
                playback.play();
            }
        }
    };
    let on_toggle = {
        let run = run.clone();
        let playback = playback.clone();
        let replay = replay.clone();
        Callback::from(move |_: ()| {
            let finished = run.borrow_mut().is_done();
            if finished && !playback.is_playing() {
                replay();
            } else {
                playback.toggle();
            }
        })
    };
    let on_replay = Callback::from(move |_: MouseEvent| replay());
    let on_step = playback.on_step();
    let on_next = playback.on_next();
    let on_slider = {
        let p = playback.clone();
        let write_url = write_url.clone();
        let seed = seed.clone();
        let form = form.clone();
        Callback::from(move |pos: u32| {
            p.set_slider(pos);
            write_url(*seed, &form);
        })
    };
    let on_seed = {
        let seed = seed.clone();
        let form = form.clone();
        let restart = restart.clone();
        let write_url = write_url.clone();
        Callback::from(move |s: u64| {
            seed.set(s);
            if let Ok(sc) = form.to_scenario(s) {
                restart(&sc);
            }
            write_url(s, &form);
        })
    };
    let on_reset = {
        let seed = seed.clone();
        let form = form.clone();
        let restart = restart.clone();
        Callback::from(move |_| {
            if let Ok(sc) = form.to_scenario(*seed) {
                restart(&sc);
            }
        })
    };
    // The editor hands over a form whose scenario already built a run. Kept across frames (made
    // anew only when the seed or the form changes), so the editor does not re-render while playing.
    let on_apply = {
        let form = form.clone();
        let restart = restart.clone();
        let write_url = write_url.clone();
        use_callback((*seed, (*form).clone()), move |f: ScenarioForm, (seed, _)| {
            if let Ok(sc) = f.to_scenario(*seed) {
                restart(&sc);
            }
            write_url(*seed, &f);
            form.set(f);
        })
    };
    // One callback for the page's life, so a card whose numbers did not move skips its render.
    let on_server_action = {
        let run = run.clone();
        let playback = playback.clone();
        use_callback((), move |(i, state): (usize, ServerState), _| {
            run.borrow_mut().set_server_state(i, state);
            playback.redraw();
        })
    };

    let r = run.borrow();
    let scenario = r.model().scenario().clone();
    let servers = r.servers();
    let now_ms = r.elapsed().as_millis();
    let flows: Vec<_> = r.model().flows().iter().copied().collect();
    let clients = r.model().clients().len();
    let metrics = &r.model().metrics;
    let windows = &metrics.windows;
    let shown = &windows[windows.len().saturating_sub(CHART_WINDOWS)..];
    let pick = |f: fn(&crate::balance::WindowSummary) -> u64| -> Vec<(f64, f64)> {
        shown.iter().filter(|w| w.completed > 0).map(|w| (w.end_ms as f64 / 1000.0, f(w) as f64)).collect()
    };
    let series = vec![
        Series { name: "p50".into(), points: pick(|w| w.latency.p50_ms) },
        Series { name: "p95".into(), points: pick(|w| w.latency.p95_ms) },
        Series { name: "p99".into(), points: pick(|w| w.latency.p99_ms) },
        Series { name: "p99.9".into(), points: pick(|w| w.latency.p999_ms) },
    ];
    let completed: u64 = metrics.servers.iter().map(|s| s.completed).sum();
    let drops = metrics.drops();
    let errors = metrics.errors();
    let fair = fairness(metrics.servers.iter().map(|s| s.requests as f64));
    let q = |p: f64| {
        if metrics.latency.is_empty() {
            0
        } else {
            metrics.latency.value_at_quantile(p)
        }
    };
    let (p50, p99) = (q(0.5), q(0.99));
    let last = windows.last().map(|w| w.latency).unwrap_or_default();
    let clock = r.elapsed().clock_string();
    let snapshot = r.model().balancer().snapshot();
    let duration_s = scenario.duration_ms as f64 / 1000.0;
    drop(r);
    // The run is over when nothing is left to happen: arrivals stopped at the scenario's duration
    // and every request has drained. The clock stops there (`LbRun` never moves past its last event).
    let done = run.borrow_mut().is_done();
    {
        let playback = playback.clone();
        use_effect_with((done, playback.is_playing()), move |(done, playing)| {
            if *done && *playing {
                playback.pause();
            }
        });
    }
    let status = if done {
        format!("finished at t = {clock}")
    } else if now_ms >= scenario.duration_ms {
        "arrivals over, draining".to_string()
    } else {
        format!("{:.1} s of {duration_s} s", now_ms as f64 / 1000.0)
    };
    let narrow =
        web_sys::window().and_then(|w| w.inner_width().ok()).and_then(|v| v.as_f64()).is_some_and(|w| w < 560.0);

    html! {
        <section class="model-page lb-page" data-testid="page-load-balancing">
            <PageHeader title={info.title} lede={info.lede} />
            <ParamNotices notices={init.notices.clone()} />
            <ControlsBar
                playing={playback.is_playing()}
                slider={playback.slider()}
                clock={AttrValue::from(clock.clone())}
                behind={playback.behind_text().map(AttrValue::from)}
                seed={*seed}
                {on_toggle} {on_step} {on_next} {on_slider} {on_seed} {on_reset}
            />
            <div class="panel lb-live" data-testid="lb-live">
                <div class="lb-live__head">
                    <h2>{ "The fleet" }</h2>
                    <p class="lb-muted" data-testid="lb-scenario-line">
                        { format!("{} · {} · {} servers · {} req/s · ", scenario.name, scenario.algorithm.id(), servers.len(),
                            scenario.arrivals.rate_per_s) }
                        <span data-testid="lb-run-status" class={classes!(done.then_some("lb-finished"))}>{ status }</span>
                    </p>
                </div>
                if done {
                    <div class="notice lb-end" role="status" data-testid="lb-finished">
                        <span>{ format!("The run is over: arrivals stopped at {duration_s} s and every request has finished (t = {clock}).") }</span>
                        <button type="button" class="button" data-testid="lb-replay" onclick={on_replay}>{ "↺ Replay" }</button>
                    </div>
                }
                <FleetDiagram
                    servers={servers.clone()}
                    flows={flows}
                    now_ms={now_ms}
                    speed={playback.speed()}
                    clients={clients}
                    algorithm={AttrValue::from(scenario.algorithm.id())}
                    geometry={if narrow { fleet::Geometry::NARROW } else { fleet::Geometry::WIDE }}
                />
                if !snapshot.totals.is_empty() {
                    <p class="lb-muted lb-memory" data-testid="lb-balancer-memory">
                        { format!("{} remembers: ", scenario.algorithm.id()) }
                        { snapshot.totals.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(" · ") }
                    </p>
                }
                <dl class="lb-totals" data-testid="lb-totals">
                    <div><dt>{ "Arrivals" }</dt><dd data-testid="total-arrivals">{ metrics_arrivals(&run) }</dd></div>
                    <div><dt>{ "Completed" }</dt><dd data-testid="total-completed">{ completed }</dd></div>
                    <div><dt>{ "Drops" }</dt><dd data-testid="total-drops" class={classes!((drops > 0).then_some("lb-bad"))}>{ drops }</dd></div>
                    <div><dt>{ "Errors" }</dt><dd data-testid="total-errors" class={classes!((errors > 0).then_some("lb-bad"))}>{ errors }</dd></div>
                    <div><dt title="Most loaded server's requests over the mean; 1 = perfectly even">{ "Fairness (max/mean)" }</dt><dd data-testid="total-fairness">{ format!("{fair:.2}") }</dd></div>
                    <div><dt>{ "p50 / p99 (all)" }</dt><dd data-testid="total-percentiles">{ format!("{p50} / {p99} ms") }</dd></div>
                    <div><dt>{ "Last window p99 / p99.9" }</dt><dd data-testid="window-percentiles">{ format!("{} / {} ms", last.p99_ms, last.p999_ms) }</dd></div>
                </dl>
                <LineChart
                    title={format!("Latency percentiles per {} ms window (log scale)", scenario.window_ms)}
                    x_label="virtual time (s)" y_label="latency (ms)"
                    series={series} log_y={true} height={260.0}
                    testid={AttrValue::from("lb-percentiles")}
                />
            </div>
            <div class="lb-cards" data-testid="lb-cards">
                { for servers.iter().map(|s| html! {
                    <ServerCard key={s.index} server={s.clone()} memory={snapshot.server(s.index)} on_action={on_server_action.clone()} />
                }) }
            </div>
            <ScenarioEditor form={(*form).clone()} seed={*seed} on_apply={on_apply} />
            <ComparePanel scenario={scenario.clone()} />
            <AlgorithmPictures scenario={scenario} />
        </section>
    }
}

fn metrics_arrivals(run: &Rc<RefCell<LbRun>>) -> u64 {
    run.borrow().model().metrics.arrivals
}
