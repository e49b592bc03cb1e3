//! The /cluster page: a Redis Cluster of 3–9 masters played by the shared `use_playback`: the
//! topology and slot bar, a redis-cli in cluster mode, key placement, faults (kill, restart,
//! partition, latency, reshard, manual failover), the failover timeline, counts, and the
//! cache-aside workload's charts. Preset, seed and settings live in the URL.
//!
//! State: the run is a `use_mut_ref` `ClusterRun` driven by the playback handle (it stops at the
//! scenario's end); every action calls the core (`ClusterRun::act`, `ClusterRun::cli`,
//! `ClusterRun::new`) and redraws. What is drawn comes from `ClusterView::of` and the run's
//! bounded metrics; leaf components get values and callbacks.

mod cli;
mod forms;
mod panels;
mod topology;
mod wire;

use std::cell::RefCell;
use std::rc::Rc;

use yew::prelude::*;

use crate::cluster::cli::CliSession;
use crate::cluster::runtime::ClusterRun;
use crate::cluster::scenario::{preset, Action, FailoverMode, Scenario};
use crate::cluster::view::ClusterView;
use crate::redis::cli::format_human;
use crate::sim::{ParamError, SimDuration, SimParams};
use crate::ui::components::{ControlsBar, PageHeader, ParamNotices};
use crate::ui::hooks::{use_playback, use_run_controls, use_url_params, RunControlsSpec};
use crate::ui::Route;

use cli::{CliEntry, ClusterCli};
use forms::{Faults, Settings};
use panels::{recent_buckets, Counts, EventLog, FailoverTimeline, KeyPlacement, WorkloadCharts, CHART_SECONDS};
use topology::{NodeOp, SlotBar, Topology};
use wire::WirePicture;

/// redis-cli transcript entries kept.
pub const TRANSCRIPT_KEPT: usize = 200;

#[derive(Clone, PartialEq)]
struct UrlState {
    sim: SimParams,
    scenario: Scenario,
    notices: Vec<ParamError>,
}

fn new_run(sc: &Scenario, seed: u64) -> ClusterRun {
    // `Scenario::from_query` and the settings form only hand over valid scenarios.
    ClusterRun::new(sc.clone(), seed)
        .unwrap_or_else(|_| ClusterRun::new(Scenario::default(), seed).expect("the default scenario is valid"))
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

fn url_pairs(seed: u64, speed: f64, sc: &Scenario) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> =
        SimParams { seed, speed }.pairs().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    pairs.extend(sc.query_pairs());
    pairs
}

#[component]
pub fn ClusterPage() -> Html {
    let info = super::info(Route::Cluster);
    let url = use_url_params(|q| {
        let sim = SimParams::read(q);
        let scenario = Scenario::from_query(q);
        UrlState { sim, scenario, notices: q.notices().to_vec() }
    });
    let init = url.initial().clone();
    let seed = use_state(|| init.sim.seed);
    let scenario = use_state(|| init.scenario.clone());
    let run = {
        let (sc, seed) = (init.scenario.clone(), init.sim.seed);
        use_mut_ref(move || new_run(&sc, seed))
    };
    let playback = use_playback(run.clone(), init.sim.speed);
    let session: Rc<RefCell<CliSession>> = use_mut_ref(CliSession::default);
    let transcript: Rc<RefCell<Rc<Vec<CliEntry>>>> = use_mut_ref(|| Rc::new(Vec::new()));
    let cli_pending = use_mut_ref(|| false);
    let selected = use_state(Vec::<usize>::new);
    let selected_apps = use_state(Vec::<usize>::new);

    let write_url = {
        let url = url.clone();
        let playback = playback.clone();
        move |seed: u64, sc: &Scenario| url.write(url_pairs(seed, playback.speed(), sc))
    };
    let restart = {
        let run = run.clone();
        let playback = playback.clone();
        let session = session.clone();
        let selected = selected.clone();
        let selected_apps = selected_apps.clone();
        let cli_pending = cli_pending.clone();
        move |sc: &Scenario, seed: u64| {
            *run.borrow_mut() = new_run(sc, seed);
            *session.borrow_mut() = CliSession::default();
            *cli_pending.borrow_mut() = false;
            selected.set(Vec::new());
            selected_apps.set(Vec::new());
            playback.redraw();
        }
    };

    // --- controls bar ---
    let controls = {
        let finished = run.borrow().is_finished();
        let restart = {
            let (seed, scenario, restart, write_url) =
                (seed.clone(), scenario.clone(), restart.clone(), write_url.clone());
            Callback::from(move |s: u64| {
                seed.set(s);
                restart(&scenario, s);
                write_url(s, &scenario);
            })
        };
        let write_url = {
            let (seed, scenario, write_url) = (seed.clone(), scenario.clone(), write_url.clone());
            Callback::from(move |_: ()| write_url(*seed, &scenario))
        };
        // A finished run stays paused: Play does nothing (Reset starts over).
        let spec =
            RunControlsSpec { seed: *seed, ended: finished, on_play_ended: Callback::noop(), restart, write_url };
        use_run_controls(&playback, spec)
    };
    let apply_scenario = {
        let scenario = scenario.clone();
        let restart = restart.clone();
        let write_url = write_url.clone();
        use_callback(*seed, move |sc: Scenario, seed| {
            restart(&sc, *seed);
            write_url(*seed, &sc);
            scenario.set(sc);
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

    // --- faults and operations ---
    let act = {
        let p = playback.clone();
        use_callback((), move |a: Action, _| {
            p.run().borrow_mut().act(a);
            p.redraw();
        })
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

    // --- redis-cli ---
    let on_cli = {
        let p = playback.clone();
        let session = session.clone();
        let transcript = transcript.clone();
        let cli_pending = cli_pending.clone();
        use_callback((), move |line: String, _| {
            let prompt = session.borrow().prompt();
            if line.trim().eq_ignore_ascii_case("clear") {
                *transcript.borrow_mut() = Rc::new(Vec::new());
                p.redraw();
                return;
            }
            let out = session.borrow_mut().execute(&mut p.run().borrow_mut(), &line);
            let mut t = transcript.borrow().as_ref().clone();
            let id = t.last().map_or(1, |e| e.id + 1);
            let mut output = out.text;
            if out.pending {
                output.push_str("(waiting… the reply comes as the simulation plays)\n");
                *cli_pending.borrow_mut() = true;
            }
            t.push(CliEntry { id, prompt, command: line, output });
            let skip = t.len().saturating_sub(TRANSCRIPT_KEPT);
            *transcript.borrow_mut() = Rc::new(t.split_off(skip));
            p.redraw();
        })
    };

    // A WAIT that blocked answers once the simulation has played far enough.
    if *cli_pending.borrow() {
        let reply = run.borrow_mut().model_mut().cli_replies.pop_front();
        if let Some(reply) = reply {
            *cli_pending.borrow_mut() = false;
            let mut t = transcript.borrow().as_ref().clone();
            if let Some(last) = t.last_mut() {
                last.output = format_human(&reply);
            }
            *transcript.borrow_mut() = Rc::new(t);
        }
    }

    // The run stops at its end.
    let finished = run.borrow().is_finished();
    {
        let p = playback.clone();
        use_effect_with(finished, move |done| {
            if *done && p.is_playing() {
                p.pause();
            }
        });
    }

    // --- what to draw ---
    let r = run.borrow();
    let view = ClusterView::of(&r);
    let m = r.model();
    let totals = m.metrics.totals.clone();
    let buckets = recent_buckets(&m.metrics.buckets, CHART_SECONDS, r.elapsed_ms());
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
    let clock = SimDuration::from_millis(r.elapsed_ms()).clock_string();
    let end = SimDuration::from_millis(view.duration_ms).clock_string();
    let prompt = session.borrow().prompt();
    drop(r);
    let owner_of = use_callback(view.slot_runs.clone(), |slot: u16, runs| {
        runs.iter().find(|r| r.first <= slot && slot <= r.last).and_then(|r| r.owner)
    });
    let narrow =
        web_sys::window().and_then(|w| w.inner_width().ok()).and_then(|v| v.as_f64()).is_some_and(|w| w < 560.0);
    let sc = (*scenario).clone();

    html! {
        <section class="model-page cl-page" data-testid="page-cluster">
            <PageHeader title={info.title} lede={info.lede} />
            <ParamNotices notices={init.notices.clone()} />
            <ControlsBar
                playing={playback.is_playing()}
                slider={playback.slider()}
                clock={AttrValue::from(clock)}
                behind={playback.behind_text().map(AttrValue::from)}
                seed={*seed}
                on_toggle={controls.on_toggle} on_step={controls.on_step} on_next={controls.on_next}
                on_slider={controls.on_slider} on_seed={controls.on_seed} on_reset={controls.on_reset}
            />
            <p class="cl-status" data-testid="run-status">
                { if finished { format!("Finished: the run ends at {end}. Reset or change the seed to run it again.") } else { format!("Runs until {end}, then stops.") } }
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
                    <ClusterCli prompt={prompt} transcript={transcript.borrow().clone()} on_run={on_cli} />
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
