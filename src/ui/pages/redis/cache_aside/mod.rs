//! The cache-aside demo on the Redis page: the application asks Redis first and, on a miss, the
//! slow origin API, writing the answer back with `SETEX`. The demo plays the core's simulation
//! (`redis::cache_aside`) with the shared controls and rewinds it with the shared scrubber; the
//! user asks for a user name or changes the workload, and the demo draws each request's path, the
//! hit ratio, the latency scatter and the cached keys with their TTLs counting down — all as of the
//! run's cursor.
//!
//! State: one reducer ([`state::CacheState`], a `ui::rewind_page::RewindPage`) over (scenario,
//! action log, cursor). The run is a
//! rewindable `CacheRewind` shared with `use_playback` (Space, → and ← drive it); typed requests
//! and settings changes are logged actions. The URL carries the starting settings plus the action
//! log and cursor, so a link opens the same run at the same moment (taken there in frame-sized
//! slices); "Download replay" writes the file `sim replay` runs. Leaf components live in their own
//! files; no model logic lives here.

mod ask;
mod diagram;
pub mod state;
mod stats;
mod tables;
mod workload;

use std::rc::Rc;
use web_sys::HtmlInputElement;

use yew::prelude::*;

use crate::redis::cache_aside::replay::{CacheAction, CacheRunUrl, Settings};
use crate::redis::cache_aside::{records_csv, Config, Source, RATE_RANGE, SKEW_RANGE, TTL_RANGE, USERS_RANGE};
use crate::sim::{QueryParams, SimDuration, SimParams, SimTime, TEST_EPOCH};
use crate::ui::components::{ControlsBar, LineChart, ParamNotices, Series};
use crate::ui::download::download_text;
use crate::ui::hooks::{use_playback, use_stagger, use_url_params};
use crate::ui::rewind_page::{use_rewind_wiring, use_url_follows_run, UrlFollow};
use ask::AskForm;
use diagram::{Dot, LatencyScatter, SequenceDiagram};
use state::{CacheExtra, CacheMsg, CachePageMsg, CacheState};
use stats::Stats;
use tables::{KeysTable, RequestsTable};
use workload::WorkloadForm;

/// How many of the latest requests get a sequence diagram.
const PATHS_SHOWN: usize = 3;
/// How many latest requests are listed in the table.
const ROWS_SHOWN: usize = 8;
/// Dots in the latency scatter (the latest ones).
const DOTS_SHOWN: usize = 400;
/// Seconds of hit-ratio history drawn.
const RATIO_SECONDS: usize = 300;
/// Keys listed in the table (the longest-lived first).
const KEYS_SHOWN: usize = 8;
/// How often (wall ms) each picture is redrawn while playing: the sequence diagrams of the latest
/// requests, the hit-ratio chart, the keys table, the latency scatter, the requests table.
const HEAVY_MS: [f64; 5] = [100.0, 250.0, 250.0, 200.0, 200.0];

/// What the pictures drew last (kept while they are not due).
#[derive(Clone, Default)]
struct Shown {
    latest: Vec<crate::redis::cache_aside::RequestRecord>,
    /// The time the sequence diagrams were drawn at (how far each request's path has got).
    paths_ms: u64,
    ratio: Vec<Series>,
    keys: (Vec<crate::redis::browser::KeyRow>, usize),
    dots: Rc<Vec<Dot>>,
    rows: Rc<Vec<crate::redis::cache_aside::RequestRecord>>,
}

/// The demo's scenario and run as the URL carries them.
#[derive(Clone, Debug, PartialEq)]
struct PageParams {
    sim: SimParams,
    settings: Settings,
    run: CacheRunUrl,
}

fn read_params(q: &mut QueryParams) -> PageParams {
    let sim = SimParams::read(q);
    let d = Config::default();
    let settings = Settings {
        ttl_s: q.u64_in("ttl", d.ttl_s, TTL_RANGE.0, TTL_RANGE.1),
        rate_per_s: q.f64_in("rate", d.rate_per_s, RATE_RANGE.0, RATE_RANGE.1),
        users: q.u64_in("users", d.users, USERS_RANGE.0, USERS_RANGE.1),
        skew: q.f64_in("skew", d.skew, SKEW_RANGE.0, SKEW_RANGE.1),
    };
    let run = CacheRunUrl::read(q);
    PageParams { sim, settings, run }
}

fn query_pairs(state: &CacheState, speed: f64) -> Vec<(String, String)> {
    let s = &state.scenario;
    let mut pairs: Vec<(String, String)> =
        SimParams { seed: state.seed, speed }.pairs().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    pairs.push(("ttl".into(), s.ttl_s.to_string()));
    pairs.push(("rate".into(), s.rate_per_s.to_string()));
    pairs.push(("users".into(), s.users.to_string()));
    pairs.push(("skew".into(), s.skew.to_string()));
    let r = state.run.borrow();
    pairs.extend(CacheRunUrl::pairs(r.actions(), r.cursor(), state.epoch.as_unix_ms()));
    pairs
}

pub(crate) fn input_text(e: &InputEvent) -> String {
    e.target_unchecked_into::<HtmlInputElement>().value()
}

/// The hit ratio over the last 5 s and since the start, per second (the last [`RATIO_SECONDS`]).
fn ratio_series(buckets: &[crate::redis::cache_aside::Bucket]) -> Vec<Series> {
    let skip = buckets.len().saturating_sub(RATIO_SECONDS);
    let mut window = Vec::new();
    let mut cumulative = Vec::new();
    let (mut ch, mut cm) = (0u64, 0u64);
    for (i, bk) in buckets.iter().enumerate() {
        ch += bk.hits;
        cm += bk.misses;
        if i < skip {
            continue;
        }
        let from = i.saturating_sub(4);
        let (h, m) = buckets[from..=i].iter().fold((0, 0), |(h, m), x| (h + x.hits, m + x.misses));
        let x = bk.second as f64 + 1.0;
        if h + m > 0 {
            window.push((x, 100.0 * h as f64 / (h + m) as f64));
        }
        if ch + cm > 0 {
            cumulative.push((x, 100.0 * ch as f64 / (ch + cm) as f64));
        }
    }
    vec![
        Series { name: "hit ratio, last 5 s (%)".into(), points: window },
        Series { name: "hit ratio since start (%)".into(), points: cumulative },
    ]
}

#[component]
pub fn CacheAsideDemo() -> Html {
    let url = use_url_params(read_params);
    let state = {
        let u = url.initial().clone();
        use_reducer(move || {
            CacheState::new(u.settings.clone(), u.sim.seed, TEST_EPOCH, CacheExtra::default()).with_link(
                u.run.actions.clone(),
                u.run.epoch_ms.map(SimTime::from_unix_ms),
                u.run.cursor.map(|c| c.seek()),
            )
        })
    };
    let playback = use_playback(state.run.clone(), url.initial().sim.speed);
    let due = use_stagger(playback.is_playing(), HEAVY_MS);
    let shown = use_mut_ref(Shown::default);
    let dispatch = state.dispatcher();
    let export_error = use_state(|| None::<String>);

    // A link's (or a replay's) cursor is reached in frame-sized slices; the scrubber's and the
    // replay panel's callbacks.
    let wiring = use_rewind_wiring(&state, &playback, |state: &CacheState, r| {
        format!("cache-aside-seed{}-{}ms.replay.json", state.seed, r.cursor.map_or(0, |c| c.at_ms))
    });

    // The URL follows the run while it is paused: settings, seed, speed, and the action log and
    // cursor. A fresh page's address is left alone until something changes (bad values in it are
    // replaced once, on load).
    let stamp = state.stamp();
    let playing = playback.is_playing();
    {
        let (url, state, speed) = (url.clone(), state.clone(), playback.speed());
        let (opening, rewrite) = (state.opening.is_some(), !url.notices().is_empty());
        use_url_follows_run(stamp, playing, opening, rewrite, UrlFollow::Paused, move || {
            url.write(query_pairs(&state, speed))
        });
    }

    // --- controls ---
    let on_slider = {
        let (p, url, state) = (playback.clone(), url.clone(), state.clone());
        Callback::from(move |pos: u32| {
            p.set_slider(pos);
            url.write(query_pairs(&state, p.speed()));
        })
    };
    // A new run starts paused, from the settings in force at the cursor.
    let restart = {
        let (p, d, run) = (playback.clone(), dispatch.clone(), state.run.clone());
        move |seed: u64| {
            p.pause();
            let settings = Settings::of(run.borrow().model().config());
            d.dispatch(CacheMsg::Restart { scenario: settings, seed });
        }
    };
    let on_seed = {
        let restart = restart.clone();
        Callback::from(move |s: u64| restart(s))
    };
    let on_reset = {
        let seed = state.seed;
        Callback::from(move |_| restart(seed))
    };
    // The forms' and the table's callbacks are kept for the page's life, so those leaves (whose
    // other props change only on a step or a new setting) skip their render in a playing frame.
    let on_request = {
        let (p, d) = (playback.clone(), dispatch.clone());
        use_callback((), move |user: String, _| {
            d.dispatch(CacheMsg::Page(CachePageMsg::Act {
                action: CacheAction::Request { user },
                complete: !p.is_playing(),
            }))
        })
    };
    let on_apply = {
        let d = dispatch.clone();
        use_callback((), move |settings: Settings, _| {
            d.dispatch(CacheMsg::Page(CachePageMsg::Act {
                action: CacheAction::Configure { settings },
                complete: false,
            }))
        })
    };
    let on_export = {
        let (run, export_error) = (state.run.clone(), export_error.clone());
        use_callback((), move |_: (), _| {
            let csv = records_csv(run.borrow().model().records());
            export_error.set(download_text("cache-aside-requests.csv", "text/csv", &csv).err());
        })
    };

    // --- what to draw: the run at its cursor ---
    let run = state.run.borrow();
    let model = run.model();
    let now: SimTime = run.sim().now();
    let now_ms = model.elapsed_ms(now);
    let totals = model.totals();
    let current = Settings::of(model.config());
    let records = model.records();
    // The pictures are redrawn at most every HEAVY_MS while playing, one per frame (`use_stagger`);
    // what a part drew last is kept until it is due again. The figures (Stats) move every frame.
    {
        let mut shown = shown.borrow_mut();
        let shown = &mut *shown;
        if due[0] {
            shown.latest = records.iter().rev().take(PATHS_SHOWN).cloned().collect();
            shown.paths_ms = now_ms;
        }
        if due[1] {
            shown.ratio = ratio_series(&model.ratio_buckets().to_vec());
        }
        if due[2] {
            shown.keys = model.store.browse_longest_ttl(now, KEYS_SHOWN);
        }
        if due[3] {
            shown.dots = Rc::new(
                records
                    .iter()
                    .rev()
                    .filter_map(|r| {
                        r.latency_ms().map(|l| Dot {
                            t_s: r.start_ms as f64 / 1000.0,
                            ms: l as f64,
                            hit: r.outcome.is_hit(),
                        })
                    })
                    .take(DOTS_SHOWN)
                    .collect(),
            );
        }
        if due[4] {
            shown.rows = Rc::new(records.iter().rev().take(ROWS_SHOWN).cloned().collect());
        }
    }
    let Shown { latest, paths_ms, ratio, keys: (keys, key_count), dots, rows } = shown.borrow().clone();
    let typed = state.extra.last_typed.and_then(|id| model.record(id)).filter(|r| r.source == Source::Typed).cloned();
    let cursor = run.cursor();
    let clock = SimDuration(cursor.at_ms).clock_string();
    drop(run);

    html! {
        <section class="panel cache-aside" data-testid="cache-aside" aria-labelledby="cache-aside-title">
            <h2 id="cache-aside-title">{ "Cache-aside: a slow API behind Redis" }</h2>
            <p class="ca-intro">
                { "The app asks Redis first (" }<code>{ "GET <username>" }</code>{ "). A hit answers in about 5 ms; a miss calls the API (about 372 ms) and stores the answer with " }
                <code>{ format!("SETEX <username> {} <count>", current.ttl_s) }</code>{ " so the next request hits until the TTL runs out — as the reference app does, keyed by the username, cached for an hour by default." }
            </p>
            <ParamNotices notices={url.notices().to_vec()} />
            <ControlsBar playing={playing} slider={playback.slider()} clock={clock.clone()}
                behind={playback.behind_text().map(AttrValue::from)} seed={state.seed}
                on_toggle={playback.on_toggle()} on_step={playback.on_step()} on_next={playback.on_next()} on_slider={on_slider}
                on_seed={on_seed} on_reset={on_reset} />
            { wiring.view(&*state) }
            <p class="ca-run-mode" data-testid="ca-run-mode" role="status">
                if playing {
                    { "Running until you pause it: the workload has no end of its own." }
                } else {
                    { format!("Paused at {clock}. A run has no end of its own: Play continues it until you pause again; Reset starts over.") }
                }
            </p>
            if let Some(e) = &state.action_error {
                <p class="notice notice--error" role="alert" data-testid="ca-action-error">{ e.clone() }</p>
            }

            <div class="ca-top">
                <div class="ca-forms">
                    <AskForm on_request={on_request} result={typed} ttl_s={current.ttl_s} />
                    <WorkloadForm current={current.clone()} on_apply={on_apply} />
                </div>
                <Stats totals={totals} key_count={key_count} />
            </div>

            <h3>{ "The path of the latest requests" }</h3>
            if latest.is_empty() {
                <p class="ca-empty" data-testid="ca-paths-empty">{ "No request yet: press Request, or Play to start the workload." }</p>
            } else {
                <div class="ca-paths" data-testid="ca-paths">
                    // Keyed by position, not request id: at speed the three latest requests change every
                    // frame, and position keys update three diagrams instead of rebuilding them.
                    { for latest.into_iter().enumerate().map(|(i, r)| html! { <SequenceDiagram key={i} record={r} now_ms={paths_ms} ttl_s={current.ttl_s} /> }) }
                </div>
            }

            <div class="ca-charts">
                <div>
                    <h3>{ "Latency per request" }</h3>
                    <LatencyScatter dots={dots} />
                </div>
                <div>
                    <h3>{ "Hit ratio over time" }</h3>
                    <LineChart title="Hit ratio over time" x_label="virtual time (s)" y_label="hit ratio (%)"
                               series={ratio} y_max={Some(100.0)} width={440.0} height={240.0} testid="ca-ratio-chart" />
                </div>
            </div>

            <div class="ca-tables">
                <KeysTable keys={keys} key_count={key_count} ttl_s={current.ttl_s} />
                <RequestsTable rows={rows} on_export={on_export} export_error={(*export_error).clone()} />
            </div>
        </section>
    }
}
