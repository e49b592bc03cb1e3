//! The load-balancing playground page: a live fleet (clients → balancer → servers) played by the
//! shared `use_playback` and rewound with the shared scrubber, server cards with Down / Slow ×10 /
//! Recover, a live percentile chart, the scenario editor with presets (the scenario lives in the
//! URL), compare mode, and a picture per algorithm.
//!
//! State: one reducer ([`state::LbState`], a `ui::rewind_page::RewindPage`) over (scenario,
//! action log, cursor). The run is a
//! rewindable `LbRewind` shared with `use_playback` (Space, → and ← drive it); the cards' buttons
//! are logged actions, and one pressed while rewound starts a new branch. The URL carries the
//! scenario form and seed plus the action log and cursor, so a link opens the same run at the same
//! moment (taken there in frame-sized slices); "Download replay" writes the file `sim replay` runs.
//! At the end of a run, Replay rewinds it to the start and plays the same history again.

mod compare;
mod editor;
mod fleet;
mod pictures;
pub mod state;

use std::rc::Rc;

use yew::prelude::*;

use crate::balance::metrics::fairness;
use crate::balance::replay::LbRunUrl;
use crate::balance::{Action, FieldError, Scenario, ScenarioForm, ServerState};
use crate::sim::{ParamError, SimDuration, SimParams, SimTime, TEST_EPOCH};
use crate::ui::components::{ControlsBar, LineChart, PageHeader, ParamNotices, RewindCommand, Series};
use crate::ui::hooks::{use_playback, use_run_controls, use_stagger, use_url_params, RunControlsSpec};
use crate::ui::rewind_page::{use_rewind_wiring, use_url_follows_run, UrlFollow};
use crate::ui::Route;
use state::{LbExtra, LbMsg, LbPageMsg, LbState};

pub use compare::ComparePanel;
pub use editor::ScenarioEditor;
pub use fleet::{FleetDiagram, ServerCard};
pub use pictures::AlgorithmPictures;

/// Dispatches kept for the animation (the last ones); the diagram draws at most
/// [`fleet::MAX_DOTS`] of them per frame.
pub const FLOW_CAPACITY: usize = 240;

/// The percentile chart shows this many of the latest windows.
const CHART_WINDOWS: usize = 60;

/// How often (wall ms) the fleet diagram (its dots) and the latency chart are redrawn while playing.
const HEAVY_MS: [f64; 2] = [50.0, 250.0];

#[derive(Clone, PartialEq)]
struct UrlState {
    sim: SimParams,
    form: ScenarioForm,
    scenario: Scenario,
    run: LbRunUrl,
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

/// The page's query: seed and speed, the form, and (once there is something to carry) the action
/// log and cursor.
fn url_pairs(state: &LbState, speed: f64) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> =
        SimParams { seed: state.seed, speed }.pairs().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    pairs.extend(state.extra.form.url_pairs());
    let r = state.run.borrow();
    pairs.extend(LbRunUrl::pairs(r.actions(), r.cursor(), state.epoch.as_unix_ms()));
    pairs
}

#[component]
pub fn LoadBalancingPage() -> Html {
    let info = super::info(Route::LoadBalancing);
    let url = use_url_params(|q| {
        let sim = SimParams::read(q);
        let raw = |k: &str| q.raw(k).map(str::to_string);
        let (form, scenario, errors) = ScenarioForm::from_url(raw, sim.seed);
        let run = LbRunUrl::read(q);
        let base = ScenarioForm::for_preset(&form.preset);
        let mut notices = q.notices().to_vec();
        notices.extend(field_notices(&errors, &base));
        UrlState { sim, form, scenario, run, notices }
    });
    let init = url.initial().clone();
    let state = {
        let u = init.clone();
        use_reducer(move || {
            LbState::new(u.scenario.clone(), u.sim.seed, TEST_EPOCH, LbExtra { form: u.form.clone() }).with_link(
                u.run.actions.clone(),
                u.run.epoch_ms.map(SimTime::from_unix_ms),
                u.run.cursor.map(|c| c.seek()),
            )
        })
    };
    let playback = use_playback(state.run.clone(), init.sim.speed);
    let due = use_stagger(playback.is_playing(), HEAVY_MS);
    let fleet_shown = use_mut_ref(|| (Rc::new(Vec::new()), Rc::new(Vec::new()), 0u64));
    let series_shown = use_mut_ref(Vec::<Series>::new);
    let dispatch = state.dispatcher();

    // A link's (or a replay's) cursor is reached in frame-sized slices; the scrubber's and the
    // replay panel's callbacks.
    let wiring = use_rewind_wiring(&state, &playback, |state: &LbState, r| {
        format!("lb-{}-seed{}-{}ms.replay.json", state.extra.form.preset, state.seed, r.cursor.map_or(0, |c| c.at_ms))
    });

    // The URL follows the run: the form and seed, and the action log and cursor whenever the run is
    // paused or the user changed something. A fresh page's address is left alone until something
    // changes (bad values in it are replaced once, on load).
    let stamp = state.stamp();
    let playing = playback.is_playing();
    {
        let (url, state, speed) = (url.clone(), state.clone(), playback.speed());
        let (opening, rewrite) = (state.opening.is_some(), !init.notices.is_empty());
        use_url_follows_run(stamp, playing, opening, rewrite, UrlFollow::Changes, move || {
            url.write(url_pairs(&state, speed))
        });
    }

    // The run is over when nothing is left to happen: arrivals stopped at the scenario's duration
    // and every request has drained. The clock stays there (the rewind is finite).
    let done = state.run.borrow_mut().is_idle();
    {
        let playback = playback.clone();
        use_effect_with((done, playback.is_playing()), move |(done, playing)| {
            if *done && *playing {
                playback.pause();
            }
        });
    }

    // At the end of a run, Replay rewinds to the start and plays the same history again (the
    // logged actions included): a rewind, not a new run.
    let replay = {
        let (p, d) = (playback.clone(), dispatch.clone());
        Callback::from(move |_: ()| {
            d.dispatch(LbMsg::Rewind(RewindCommand::SeekMs(0)));
            p.play();
        })
    };
    let restart = {
        let (p, d, form) = (playback.clone(), dispatch.clone(), state.extra.form.clone());
        Callback::from(move |seed: u64| {
            if let Ok(scenario) = form.to_scenario(seed) {
                p.pause();
                d.dispatch(LbMsg::Page(LbPageMsg::Restart { form: form.clone(), scenario: Box::new(scenario), seed }));
            }
        })
    };
    let write_url = {
        let (url, state, p) = (url.clone(), state.clone(), playback.clone());
        Callback::from(move |_: ()| url.write(url_pairs(&state, p.speed())))
    };
    let controls = use_run_controls(
        &playback,
        RunControlsSpec { seed: state.seed, ended: done, on_play_ended: replay.clone(), restart, write_url },
    );
    let on_replay = replay.reform(|_: MouseEvent| ());
    // The editor hands over a form whose scenario already built a run. Kept across frames (made
    // anew only when the seed changes), so the editor does not re-render while playing.
    let on_apply = {
        let (p, d) = (playback.clone(), dispatch.clone());
        use_callback(state.seed, move |f: ScenarioForm, seed| {
            if let Ok(scenario) = f.to_scenario(*seed) {
                p.pause();
                d.dispatch(LbMsg::Page(LbPageMsg::Restart { form: f, scenario: Box::new(scenario), seed: *seed }));
            }
        })
    };
    // One callback for the page's life, so a card whose numbers did not move skips its render.
    let on_server_action = {
        let d = dispatch.clone();
        use_callback((), move |(server, state): (usize, ServerState), _| {
            d.dispatch(LbMsg::Act(Action::SetState { server, state }))
        })
    };
    // A weight change at the cursor: logged like the buttons, replayed exactly on rewind.
    let on_server_weight = {
        let d = dispatch.clone();
        use_callback((), move |(server, weight): (usize, u32), _| {
            d.dispatch(LbMsg::Act(Action::SetWeight { server, weight }))
        })
    };
    // --- what to draw: the run at its cursor ---
    let r = state.run.borrow();
    let model = r.model();
    let now: SimTime = r.sim().now();
    let cursor = r.cursor();
    let scenario = model.scenario().clone();
    let servers = model.server_snapshots(now);
    let now_ms = cursor.at_ms;
    // The fleet's dots and the latency chart are redrawn at most every HEAVY_MS while playing, one
    // per frame (`use_stagger`); the clock, the totals and the cards (sampled) move on their own.
    if due[0] {
        *fleet_shown.borrow_mut() =
            (Rc::new(servers.clone()), Rc::new(model.flows().iter().copied().collect()), now_ms);
    }
    let (fleet_servers, flows, fleet_ms) = fleet_shown.borrow().clone();
    let clients = model.clients().len();
    let metrics = &model.metrics;
    let windows = &metrics.windows;
    let shown = &windows[windows.len().saturating_sub(CHART_WINDOWS)..];
    let pick = |f: fn(&crate::balance::WindowSummary) -> u64| -> Vec<(f64, f64)> {
        shown.iter().filter(|w| w.completed > 0).map(|w| (w.end_ms as f64 / 1000.0, f(w) as f64)).collect()
    };
    if due[1] {
        *series_shown.borrow_mut() = vec![
            Series { name: "p50".into(), points: pick(|w| w.latency.p50_ms) },
            Series { name: "p95".into(), points: pick(|w| w.latency.p95_ms) },
            Series { name: "p99".into(), points: pick(|w| w.latency.p99_ms) },
            Series { name: "p99.9".into(), points: pick(|w| w.latency.p999_ms) },
        ];
    }
    let series = series_shown.borrow().clone();
    let arrivals = metrics.arrivals;
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
    let clock = SimDuration(now_ms).clock_string();
    let snapshot = model.balancer().snapshot();
    let duration_s = scenario.duration_ms as f64 / 1000.0;
    drop(r);
    let status = if done {
        format!("finished at t = {clock}")
    } else if now_ms >= scenario.duration_ms {
        "arrivals over, draining".to_string()
    } else {
        format!("{:.1} s of {duration_s} s", now_ms as f64 / 1000.0)
    };
    let narrow =
        web_sys::window().and_then(|w| w.inner_width().ok()).and_then(|v| v.as_f64()).is_some_and(|w| w < 560.0);
    let seed = state.seed;

    html! {
        <section class="model-page lb-page" data-testid="page-load-balancing">
            <PageHeader title={info.title} lede={info.lede} />
            <ParamNotices notices={init.notices.clone()} />
            <ControlsBar
                playing={playing}
                slider={playback.slider()}
                clock={AttrValue::from(clock.clone())}
                behind={playback.behind_text().map(AttrValue::from)}
                seed={seed}
                on_toggle={controls.on_toggle} on_step={controls.on_step} on_next={controls.on_next}
                on_slider={controls.on_slider} on_seed={controls.on_seed} on_reset={controls.on_reset}
            />
            { wiring.view(&*state) }
            if let Some(e) = &state.action_error {
                <p class="notice notice--error" role="alert" data-testid="lb-action-error">{ e.clone() }</p>
            }
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
                    servers={fleet_servers}
                    flows={flows}
                    now_ms={fleet_ms}
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
                    <div><dt>{ "Arrivals" }</dt><dd data-testid="total-arrivals">{ arrivals }</dd></div>
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
                    <ServerCard key={s.index} server={s.clone()} memory={snapshot.server(s.index)} on_action={on_server_action.clone()} on_weight={on_server_weight.clone()} />
                }) }
            </div>
            <ScenarioEditor form={state.extra.form.clone()} seed={seed} on_apply={on_apply} />
            <ComparePanel scenario={scenario.clone()} />
            <AlgorithmPictures scenario={scenario} />
        </section>
    }
}
