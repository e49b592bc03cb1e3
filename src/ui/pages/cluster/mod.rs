//! The /cluster page: a Redis Cluster of 3–9 masters played by the shared `use_playback` and
//! rewound with the shared scrubber: the topology and slot bar, a redis-cli in cluster mode, key
//! placement, faults (kill, restart, partition, latency, reshard, manual failover), the failover
//! timeline, counts, and the cache-aside workload's charts. Preset, seed, settings, the action log
//! and the cursor live in the URL.
//!
//! State: one reducer ([`state::ClusterState`], a `ui::rewind_page::RewindPage`) whose run is a
//! `Rewind<ClusterSim>` shared with `use_playback` (Space, → and ← drive it). Fault buttons and
//! typed redis-cli lines are logged actions (`cluster::replay::ClusterAction`); acting while
//! rewound starts a new branch. What is drawn comes from the run at its cursor
//! (`ClusterView::of_sim` and the model's bounded metrics); leaf components get values and callbacks.

mod cli;
mod forms;
pub(crate) mod linear;
mod panels;
mod state;
mod topology;
mod wire;

use std::rc::Rc;

use yew::prelude::*;

use crate::cluster::replay::{read_run_url, run_url_pairs, ClusterAction, ClusterRunUrl};
use crate::cluster::scenario::{preset, Action, FailoverMode, Scenario};
use crate::cluster::view::ClusterView;
use crate::sim::{ParamError, SimDuration, SimParams, SimTime, TEST_EPOCH};
use crate::ui::components::{ControlsBar, PageHeader, ParamNotices};
use crate::ui::hooks::use_lua_gate::LOADING_TEXT;
use crate::ui::hooks::{use_lua_gate, use_playback, use_run_controls, use_url_params, RunControlsSpec};
use crate::ui::rewind_page::{use_rewind_wiring, use_url_follows_run, RewindPageSpec, UrlFollow};
use crate::ui::Route;

use cli::ClusterCli;
use forms::{Faults, Settings};
use linear::LinearPanel;
use panels::{recent_buckets, Counts, EventLog, FailoverTimeline, KeyPlacement, WorkloadCharts, CHART_SECONDS};
use state::{ClusterMsg, ClusterPageMsg, ClusterState};
use topology::{NodeOp, SlotBar, Topology};
use wire::WirePicture;

#[derive(Clone, PartialEq)]
struct UrlState {
    sim: SimParams,
    scenario: Scenario,
    run: ClusterRunUrl,
    notices: Vec<ParamError>,
}

/// `items` with `x` added, or removed if it was there.
fn toggled(items: &[usize], x: usize) -> Vec<usize> {
    let mut v = items.to_vec();
    match v.iter().position(|&y| y == x) {
        Some(i) => {
            v.remove(i);
        }
        None => v.push(x),
    }
    v
}

/// The page's query: seed and speed, the scenario, and (once there is something to carry) the
/// action log and cursor.
fn url_pairs(state: &ClusterState, speed: f64) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> =
        SimParams { seed: state.seed, speed }.pairs().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    pairs.extend(state.scenario.query_pairs());
    let r = state.run.borrow();
    pairs.extend(run_url_pairs(r.actions(), r.cursor(), state.epoch.as_unix_ms()));
    pairs
}

/// The /cluster page. A link whose logged redis-cli lines run scripts builds its run only once the
/// Lua module is loaded (it is fetched here, with "loading the Lua interpreter…" shown meanwhile);
/// if it does not load, those lines answer that the interpreter did not start.
#[component]
pub fn ClusterPage() -> Html {
    let url = use_url_params(|q| read_run_url::<ClusterAction>(q).actions);
    let ready = use_state_eq(|| !state::waits_for_lua(url.initial()));
    {
        let (ready, actions) = (ready.clone(), url.initial().clone());
        use_effect_with((), move |_| {
            if !*ready {
                <state::ClusterPageSpec as RewindPageSpec>::before_open(&actions, Box::new(move || ready.set(true)));
            }
        });
    }
    if !*ready {
        return html! {
            <section class="model-page cl-page">
                <p class="notice" role="status" data-testid="lua-loading">{ LOADING_TEXT }</p>
            </section>
        };
    }
    html! { <ClusterRunPage /> }
}

#[component]
fn ClusterRunPage() -> Html {
    let info = super::info(Route::Cluster);
    let url = use_url_params(|q| {
        let sim = SimParams::read(q);
        let scenario = Scenario::from_query(q);
        let run = read_run_url(q);
        UrlState { sim, scenario, run, notices: q.notices().to_vec() }
    });
    let init = url.initial().clone();
    let state = {
        let u = init.clone();
        use_reducer(move || {
            ClusterState::new(u.scenario.clone(), u.sim.seed, TEST_EPOCH, ()).with_link(
                u.run.actions.clone(),
                u.run.epoch_ms.map(SimTime::from_unix_ms),
                u.run.cursor.map(|c| c.seek()),
            )
        })
    };
    let playback = use_playback(state.run.clone(), init.sim.speed);
    let dispatch = state.dispatcher();
    let selected = use_state(Vec::<usize>::new);
    let selected_apps = use_state(Vec::<usize>::new);

    // A link's (or a replay's) cursor is reached in frame-sized slices; the scrubber's and the
    // replay panel's callbacks.
    let wiring = use_rewind_wiring(&state, &playback, |state: &ClusterState, r| {
        format!(
            "cluster-{}-seed{}-{}ms.replay.json",
            state.scenario.preset,
            state.seed,
            r.cursor.map_or(0, |c| c.at_ms)
        )
    });

    // The URL follows the run whenever it is paused or the user changed something; a fresh page's
    // address is left alone until something changes (bad values in it are replaced once, on load).
    let stamp = state.stamp();
    let playing = playback.is_playing();
    {
        let (url, state, speed) = (url.clone(), state.clone(), playback.speed());
        let (opening, rewrite) = (state.opening.is_some(), !init.notices.is_empty());
        use_url_follows_run(stamp, playing, opening, rewrite, UrlFollow::Changes, move || {
            url.write(url_pairs(&state, speed))
        });
    }

    // The run ends at the scenario's end: playback pauses there (nothing happens after it).
    let end_ms = state.scenario.duration_ms;
    let finished = state.run.borrow().cursor().at_ms >= end_ms;
    {
        let p = playback.clone();
        use_effect_with((finished, playing), move |(done, playing)| {
            if *done && *playing {
                p.pause();
            }
        });
    }

    // --- controls bar ---
    let restart = {
        let (p, d, sc) = (playback.clone(), dispatch.clone(), state.scenario.clone());
        let (selected, selected_apps) = (selected.clone(), selected_apps.clone());
        Callback::from(move |seed: u64| {
            p.pause();
            selected.set(Vec::new());
            selected_apps.set(Vec::new());
            d.dispatch(ClusterMsg::Restart { scenario: sc.clone(), seed });
        })
    };
    let write_url = {
        let (url, state, p) = (url.clone(), state.clone(), playback.clone());
        Callback::from(move |_: ()| url.write(url_pairs(&state, p.speed())))
    };
    // At the end, Play replays the same history from the start (the logged actions included).
    let replay = {
        let (p, d) = (playback.clone(), dispatch.clone());
        Callback::from(move |_: ()| {
            d.dispatch(ClusterMsg::Rewind(crate::ui::components::scrubber::RewindCommand::SeekMs(0)));
            p.play();
        })
    };
    let controls = use_run_controls(
        &playback,
        RunControlsSpec { seed: state.seed, ended: finished, on_play_ended: replay, restart, write_url },
    );
    let apply_scenario = {
        let (p, d) = (playback.clone(), dispatch.clone());
        let (selected, selected_apps) = (selected.clone(), selected_apps.clone());
        use_callback(state.seed, move |sc: Scenario, seed| {
            p.pause();
            selected.set(Vec::new());
            selected_apps.set(Vec::new());
            d.dispatch(ClusterMsg::Restart { scenario: sc, seed: *seed });
        })
    };
    let on_preset = {
        let apply = apply_scenario.clone();
        use_callback(apply, move |id: String, apply| {
            if let Ok(sc) = preset(&id) {
                apply.emit(sc);
            }
        })
    };

    // --- faults and operations: logged actions ---
    let act = {
        let d = dispatch.clone();
        use_callback((), move |a: Action, _| d.dispatch(ClusterMsg::Act(ClusterAction::Op(a))))
    };
    let on_node_op = {
        let act = act.clone();
        let selected = selected.clone();
        use_callback((*selected).clone(), move |(node, op): (usize, NodeOp), current| match op {
            NodeOp::Kill => act.emit(Action::Kill { node }),
            NodeOp::Restart => act.emit(Action::Restart { node }),
            NodeOp::Failover => act.emit(Action::Failover { node, mode: FailoverMode::Default }),
            NodeOp::FailoverForce => act.emit(Action::Failover { node, mode: FailoverMode::Force }),
            NodeOp::TogglePartition => selected.set(toggled(current, node)),
        })
    };
    let on_toggle_app = {
        let selected_apps = selected_apps.clone();
        use_callback((*selected_apps).clone(), move |a: usize, current| selected_apps.set(toggled(current, a)))
    };

    // --- redis-cli: each line is a logged action (an empty line does nothing, as in redis-cli) ---
    // A line that may run a script waits for the Lua module, loaded on the first one.
    let run_cli = {
        let d = dispatch.clone();
        use_callback((), move |line: String, _| d.dispatch(ClusterMsg::Act(ClusterAction::Cli(line))))
    };
    let refuse_cli = {
        let d = dispatch.clone();
        use_callback((), move |(line, error): (String, String), _| {
            d.dispatch(ClusterMsg::Page(ClusterPageMsg::Refused { line, error }))
        })
    };
    let lua_gate = use_lua_gate(run_cli, refuse_cli);
    let on_cli = {
        let submit = lua_gate.submit.clone();
        use_callback((), move |line: String, _| {
            if !line.trim().is_empty() {
                submit.emit(line);
            }
        })
    };

    // --- the linearizability panel's "Seek to" ---
    let on_seek_ms = {
        let d = dispatch.clone();
        use_callback((), move |ms: u64, _| {
            d.dispatch(ClusterMsg::Rewind(crate::ui::components::scrubber::RewindCommand::SeekMs(ms)))
        })
    };

    // --- what to draw ---
    let r = state.run.borrow();
    let view = ClusterView::of_sim(r.sim());
    let m = r.model();
    let totals = m.metrics.totals.clone();
    let elapsed_ms = r.cursor().at_ms.min(end_ms);
    let buckets = recent_buckets(&m.metrics.buckets, CHART_SECONDS, elapsed_ms);
    let events: Vec<_> = m.metrics.events.iter().rev().take(panels::EVENTS_SHOWN).rev().cloned().collect();
    let log: Vec<_> = m.log.iter().cloned().collect();
    let apps = m.clients.len();
    let moved: u64 = m.clients.iter().map(|c| c.stats.moved).sum();
    let ask: u64 = m.clients.iter().map(|c| c.stats.ask).sum();
    let (acked, lost) = (m.ledger.acked, m.ledger.lost);
    let partitioned = m.partition.is_some();
    let resharding = m.resharder.as_ref().map(|rs| {
        let state = if let Some(e) = &rs.error {
            format!("stopped: {e}")
        } else if rs.is_done() {
            "done".to_string()
        } else {
            format!("moving slot {}", rs.slot().unwrap_or(0))
        };
        format!(
            "Resharding {} → {}: {} of {} slots, {} keys moved — {state}",
            rs.from,
            rs.to,
            rs.slots_moved(),
            rs.slots.len(),
            rs.keys_moved
        )
    });
    let clock = SimDuration::from_millis(elapsed_ms).clock_string();
    let end = SimDuration::from_millis(view.duration_ms).clock_string();
    let prompt = m.session.prompt();
    let transcript: Rc<Vec<cli::CliEntry>> = Rc::new(m.transcript.iter().cloned().collect());
    let action_error = state.action_error.clone();
    drop(r);
    let owner_of = use_callback(view.slot_runs.clone(), |slot: u16, runs| {
        runs.iter().find(|r| r.first <= slot && slot <= r.last).and_then(|r| r.owner)
    });
    let narrow =
        web_sys::window().and_then(|w| w.inner_width().ok()).and_then(|v| v.as_f64()).is_some_and(|w| w < 560.0);
    let sc = state.scenario.clone();

    html! {
        <section class="model-page cl-page" data-testid="page-cluster">
            <PageHeader title={info.title} lede={info.lede} />
            <ParamNotices notices={init.notices.clone()} />
            <ControlsBar
                playing={playback.is_playing()}
                slider={playback.slider()}
                clock={AttrValue::from(clock)}
                behind={playback.behind_text().map(AttrValue::from)}
                seed={state.seed}
                on_toggle={controls.on_toggle} on_step={controls.on_step} on_next={controls.on_next}
                on_slider={controls.on_slider} on_seed={controls.on_seed} on_reset={controls.on_reset}
            />
            { wiring.view(&*state) }
            if let Some(e) = action_error {
                <p class="notice notice--error" role="alert" data-testid="action-error">{ format!("Not done: {e}") }</p>
            }
            <p class="cl-status" data-testid="run-status">
                { if finished { format!("Finished: the run ends at {end}. Play replays it from the start; Reset or change the seed for a new run.") } else { format!("Runs until {end}, then stops.") } }
                { format!(" Preset {} · {} masters × {} replicas · node timeout {} ms{}", sc.preset, sc.cluster.masters, sc.cluster.replicas, sc.cluster.node_timeout_ms,
                    if sc.repl_lag_ms > 0 { format!(" · replication lag {} ms", sc.repl_lag_ms) } else { String::new() }) }
            </p>
            <div class="panel cl-live" data-testid="cluster-live">
                <h2>{ "The cluster" }</h2>
                <SlotBar runs={view.slot_runs.clone()} viewer={view.viewer} />
                <Topology nodes={view.nodes.clone()} selected={(*selected).clone()} on_op={on_node_op} />
                if let Some(rs) = resharding {
                    <p class="cl-muted" data-testid="reshard-status">{ rs }</p>
                }
                <Counts acked={acked} lost={lost} moved={moved} ask={ask} errors={totals.errors.clone()} unavailable_ms={totals.unavailable_ms}
                        writable={view.writable_slots} ops={totals.ops} hit_ratio={totals.hit_ratio()} />
            </div>
            <div class="panel">
                <h2>{ "Gossip, votes and redirects" }</h2>
                <WirePicture nodes={view.nodes.clone()} apps={view.apps} traffic={view.traffic.clone()} now_ms={view.elapsed_ms} />
            </div>
            <div class="cl-two">
                <div class="panel">
                    <h2>{ "redis-cli -c" }</h2>
                    <ClusterCli prompt={prompt} transcript={transcript} on_run={on_cli} />
                    if lua_gate.loading {
                        <p class="notice" role="status" data-testid="lua-loading">{ LOADING_TEXT }</p>
                    }
                </div>
                <div class="panel">
                    <h2>{ "Where a key lives" }</h2>
                    <KeyPlacement {owner_of} />
                </div>
            </div>
            <div class="panel">
                <h2>{ "Failover timeline" }</h2>
                <FailoverTimeline record={view.failover.clone()} node_timeout_ms={sc.cluster.node_timeout_ms} now_ms={view.elapsed_ms} />
                <EventLog events={events} log={log} />
            </div>
            <div class="panel">
                <h2>{ "Linearizability" }</h2>
                <LinearPanel run={state.run_ref()} on_seek={on_seek_ms} />
            </div>
            <div class="panel">
                <h2>{ "Faults" }</h2>
                <Faults nodes={view.nodes.len()} apps={apps} selected_nodes={(*selected).clone()} selected_apps={(*selected_apps).clone()}
                        partitioned={partitioned} on_toggle_app={on_toggle_app} on_action={act} />
            </div>
            <div class="panel">
                <h2>{ "The application: cache-aside over the cluster" }</h2>
                <p class="cl-muted">
                    { format!("{} application processes, each with an ioredis-style cluster client (slot map from CLUSTER SLOTS, MOVED and ASK followed, at most {} redirections, {} ms command timeout), read user:<name> with GET, ask the slow API on a miss and cache with SETEX; writes SET session:<n>.",
                        apps, sc.client.max_redirections, sc.client.command_timeout_ms) }
                </p>
                <WorkloadCharts buckets={buckets} narrow={narrow} />
            </div>
            <div class="panel">
                <h2>{ "Scenario" }</h2>
                <Settings scenario={sc} on_apply={apply_scenario} on_preset={on_preset} />
            </div>
        </section>
    }
}
