//! The locks playground page: a fleet of lock workers against modeled Redis, played by the shared
//! controls bar and rewound by the shared scrubber. It draws each worker's state machine, a
//! swimlane timeline with the safety checker's violations, the Redis panel, the event log, the
//! safety summary, and the scenario's controls — all as of the run's cursor.
//!
//! State: one reducer ([`state::LocksState`], a `ui::rewind_page::RewindPage`) over (scenario,
//! action log, cursor). The run is a
//! rewindable `LockRewind` shared with `use_playback` (which moves the cursor forward frame by
//! frame; Space, → and ← drive it); every button, the scrubber and the forms dispatch intents that
//! call the core. The URL carries the scenario plus the action log, cursor and epoch, so a link
//! opens the same run at the same moment (taken there in frame-sized slices). Leaf components live
//! in their own files; no model logic lives here.

mod details;
mod diagram;
mod event_log;
mod preset;
mod redis_panel;
mod settings;
pub mod state;
mod summary;
mod text;
mod timeline;
mod timeline_panel;
pub mod verify;
pub mod verify_worker;
mod workers;

use yew::prelude::*;

use crate::lock::url::{self as params, RunUrl, UrlCursor};
use crate::lock::Scenario;
use crate::sim::{SimDuration, SimTime};
use crate::ui::components::{ControlsBar, PageHeader, ParamNotices};
use crate::ui::hooks::{use_playback, use_stagger, use_url_params};
use crate::ui::rewind_page::{use_rewind_wiring, use_url_follows_run, UrlFollow};
use crate::ui::Route;
use details::WorkerDetails;
use event_log::EventLog;
use preset::PresetPanel;
use redis_panel::RedisPanel;
pub use settings::{ScenarioSettings, ScenarioSettingsProps};
use state::{LocksAction, LocksPageMsg, RunRef, Stamp};
use summary::SafetySummary;
use timeline_panel::TimelinePanel;
use verify::VerifyPanel;
use workers::WorkersPanel;
pub use workers::{WorkerCard, WorkerCardProps, WorkerSnap};

/// How often (wall ms) the worker cards, the Redis panel, the event log and the timeline are
/// redrawn while playing: at most one of them per frame, the most overdue, so no frame pays for
/// two pictures (the timeline's swimlanes are the costliest to restyle and paint; at 15 Hz they
/// still move smoothly enough). The summary and the clock move every frame.
const HEAVY_MS: [f64; 4] = [150.0, 150.0, 150.0, 66.0];

/// The page's epoch: the browser's current time, read only here, at the edge (a link or a replay
/// file brings its own, so worker ids and digests replay exactly).
fn epoch_now() -> SimTime {
    SimTime::from_unix_ms(js_sys::Date::now().max(0.0) as u64)
}

#[component]
pub fn LocksPage() -> Html {
    let info = super::info(Route::Locks);
    let url = use_url_params(params::read);
    let state = {
        let u = url.initial().clone();
        use_reducer(move || {
            let epoch = u.run.epoch_ms.map(SimTime::from_unix_ms).unwrap_or_else(epoch_now);
            state::new_state(u.scenario.clone(), epoch).with_link(
                u.run.actions.clone(),
                None,
                u.run.cursor.map(UrlCursor::seek),
            )
        })
    };
    let playback = use_playback(state.run.clone(), url.initial().speed);
    let details = use_state(|| None::<usize>);
    let dispatch = state.dispatcher();

    // A link's (or a replay's) cursor is reached in frame-sized slices; the scrubber's and the
    // replay panel's callbacks.
    let wiring = use_rewind_wiring(&state, &playback, |state: &state::LocksState, r| {
        format!(
            "lock-{}-seed{}-{}ms.replay.json",
            state.scenario.preset.as_deref().unwrap_or("custom"),
            state.scenario.seed,
            r.cursor.map_or(0, |c| c.at_ms)
        )
    });

    // The URL follows the run while it is paused: scenario, speed, and the action log, cursor and
    // epoch. Invalid values in the URL are replaced once, on load, so a copied link never carries
    // a value the page ignored; a fresh page's address is left alone until something changes.
    let live = state.run_ref();
    let playing = playback.is_playing();
    {
        let (url, run, scenario, epoch, speed) =
            (url.clone(), state.run.clone(), state.scenario.clone(), state.epoch, playback.speed());
        let opening = state.opening.is_some();
        let rewrite = !url.notices().is_empty() || url.initial().invalid.is_some();
        use_url_follows_run(live.stamp, playing, opening, rewrite, UrlFollow::Paused, move || {
            let r = run.borrow();
            let mut pairs = params::pairs(&scenario, speed);
            pairs.extend(RunUrl::pairs(r.actions(), r.cursor(), epoch.as_unix_ms()));
            url.write(pairs);
        });
    }

    // The four heavy panels get the run with a stamp that moves at most every HEAVY_MS while
    // playing, one panel per frame (`use_stagger`).
    let due = use_stagger(playing, HEAVY_MS);
    let heavy = use_mut_ref(|| [Stamp::default(); 4]);
    let heavy_refs: [RunRef; 4] = {
        let mut h = heavy.borrow_mut();
        for (stamp, due) in h.iter_mut().zip(due) {
            if due {
                *stamp = live.stamp;
            }
        }
        std::array::from_fn(|i| RunRef { run: live.run.clone(), stamp: h[i] })
    };

    // Stable across renders (no deps), so memoized panels are not redrawn for a new closure.
    // A new scenario (settings, preset, seed, Reset) starts a new run, paused at time zero.
    let apply = {
        let d = dispatch.clone();
        let playback = playback.clone();
        use_callback((), move |s: Scenario, _| {
            playback.pause();
            d.dispatch(LocksAction::Page(LocksPageMsg::SetScenario(Box::new(s))))
        })
    };
    let on_action = {
        let d = dispatch.clone();
        use_callback((), move |a, _| d.dispatch(LocksAction::Act(a)))
    };
    let on_setting = {
        let d = dispatch.clone();
        use_callback((), move |(name, value), _| d.dispatch(LocksAction::Page(LocksPageMsg::FaultSetting(name, value))))
    };
    let on_form_error = {
        let d = dispatch.clone();
        use_callback((), move |e, _| d.dispatch(LocksAction::Page(LocksPageMsg::FormError(e))))
    };
    let on_details = {
        let details = details.clone();
        use_callback((), move |w: usize, _| details.set(Some(w)))
    };
    // The Verify panel's "Replay on the timeline": the counterexample opens as this page's run.
    // Stable across renders, so the panel (a large form) is not redrawn every frame while playing.
    let on_verify_replay = {
        let playback = playback.clone();
        let dispatch = dispatch.clone();
        use_callback((), move |text: String, _| match state::parse_replay(&text) {
            Ok(r) => {
                playback.pause();
                dispatch.dispatch(LocksAction::LoadReplay(Box::new(r)));
            }
            Err(e) => dispatch.dispatch(LocksAction::ReplayError(format!("The counterexample did not open: {e}"))),
        })
    };

    let s = &state.scenario;
    let now_rel = state.run.borrow().cursor().at_ms;
    let controls = {
        let on_slider = {
            let playback = playback.clone();
            let url = url.clone();
            let state = state.clone();
            Callback::from(move |pos: u32| {
                playback.set_slider(pos);
                let r = state.run.borrow();
                let mut pairs = params::pairs(&state.scenario, playback.speed());
                pairs.extend(RunUrl::pairs(r.actions(), r.cursor(), state.epoch.as_unix_ms()));
                url.write(pairs);
            })
        };
        let on_seed = {
            let apply = apply.clone();
            let s = s.clone();
            Callback::from(move |seed: u64| apply.emit(Scenario { seed, ..s.clone() }))
        };
        let on_reset = {
            let apply = apply.clone();
            let s = s.clone();
            Callback::from(move |_| apply.emit(s.clone()))
        };
        html! {
            <ControlsBar
                playing={playing}
                slider={playback.slider()}
                clock={AttrValue::from(SimDuration(now_rel).clock_string())}
                behind={playback.behind_text().map(AttrValue::from)}
                seed={s.seed}
                on_toggle={playback.on_toggle()}
                on_step={playback.on_step()}
                on_next={playback.on_next()}
                on_slider={on_slider}
                on_seed={on_seed}
                on_reset={on_reset}
            />
        }
    };
    let warning = s.ttl_warning();
    let invalid = url.initial().invalid.clone();
    let modal = details.map(|w| {
        let details = details.clone();
        html! { <WorkerDetails run={live.clone()} worker={w} on_close={Callback::from(move |_| details.set(None))} /> }
    });
    html! {
        <section class="model-page lk-page" data-testid="page-locks">
            <PageHeader title={info.title} lede={info.lede} />
            <ParamNotices notices={url.notices().to_vec()} />
            if let Some(text) = invalid {
                <p class="notice notice--error" data-testid="scenario-invalid">{ text }</p>
            }
            { controls }
            { wiring.view(&*state) }
            <SafetySummary run={live.clone()} playing={playing} />
            if let Some(w) = warning {
                <p class="notice" role="status" data-testid="ttl-warning"><strong>{ "TTL warning: " }</strong>{ w }</p>
            }
            <PresetPanel scenario={s.clone()} on_apply={apply.clone()} />
            <TimelinePanel run={heavy_refs[3].clone()} />
            <div class="lk-columns">
                <WorkersPanel run={heavy_refs[0].clone()} faults={state.extra.faults} error={state.action_error.clone()}
                              on_action={on_action.clone()} on_details={on_details} on_setting={on_setting} />
                <div class="lk-side">
                    <RedisPanel run={heavy_refs[1].clone()} slow_ms={state.extra.faults.slow_ms} on_action={on_action} />
                    <EventLog run={heavy_refs[2].clone()} />
                </div>
            </div>
            <ScenarioSettings scenario={s.clone()} error={state.extra.form_error.clone()} on_apply={apply} on_error={on_form_error} />
            <VerifyPanel epoch_ms={state.epoch.as_unix_ms()} on_replay={on_verify_replay} />
            { modal.unwrap_or_default() }
        </section>
    }
}
