//! A live view of one contention run, played by the shared controls and rewound with the shared
//! scrubber: every client is a dot coloured by its phase (backing off and reading, reading the
//! version, writing, done), with the row's version and the writes so far. Mounted on demand,
//! beside the sweep.
//!
//! State: the shared rewindable page state ([`RewindPage`]) over (settings, action log, cursor),
//! the run a `backoff::replay::ContentionRewind` shared with `use_playback`. The buttons under
//! "Do something to the run" (clients join, an outside write, a strategy switch) are logged
//! actions; one pressed while rewound starts a new branch. The URL carries `live=1`, the settings
//! and the log and cursor (`a`, `t`, `ev`, `epoch`), so a link opens the same run at the same
//! moment; "Download replay" writes the file `sim replay` runs. What is drawn is the run at its
//! cursor, nothing else.

use std::rc::Rc;

use web_sys::HtmlSelectElement;
use yew::prelude::*;

use super::contention::strategy_label;
use super::fields::{parse_u32, NumField};
use crate::backoff::replay::{read_run_url, run_url_pairs, ContentionRunUrl, LiveAction, LiveContention as LiveModel};
use crate::backoff::{ClientPhase, ContentionParams, Strategy};
use crate::sim::rewind::{LoggedAction, Rewind, RewindConfig};
use crate::sim::{QueryParams, SimDuration, SimTime, TEST_EPOCH};
use crate::ui::components::scrubber::RewindCommand;
use crate::ui::components::ControlsBar;
use crate::ui::hooks::{use_playback, use_run_controls, RunControlsSpec};
use crate::ui::rewind_page::{
    use_rewind_wiring, use_url_follows_run, RewindMsg, RewindPage, RewindPageSpec, UrlFollow,
};

/// The most clients the page draws (joined ones included).
pub const MAX_LIVE_CLIENTS: u32 = 200;
/// How many clients the "join" button adds.
pub const JOIN_STEP: u32 = 10;
const PER_ROW: u32 = 20;
const CELL: f64 = 22.0;

/// The live run's part of the page's URL.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveUrl {
    /// Whether the live view is open.
    pub open: bool,
    pub clients: u32,
    pub strategy: Strategy,
    pub run: ContentionRunUrl,
}

pub fn read_live(q: &mut QueryParams) -> LiveUrl {
    let names = Strategy::ALL.map(|s| s.name()).join(", ");
    LiveUrl {
        open: q.raw("live") == Some("1"),
        clients: q.u64_in("live_clients", 20, 1, u64::from(MAX_LIVE_CLIENTS)) as u32,
        strategy: q.field("live_strategy", Strategy::Exponential, &format!("one of {names}"), |_| true),
        run: read_run_url(q),
    }
}

impl LiveUrl {
    /// The pairs this URL part came from (so the page keeps them until the live view writes its
    /// own): nothing while the view is closed.
    pub fn pairs(&self) -> Vec<(String, String)> {
        if !self.open {
            return Vec::new();
        }
        let mut out = vec![
            ("live".to_string(), "1".to_string()),
            ("live_clients".to_string(), self.clients.to_string()),
            ("live_strategy".to_string(), self.strategy.name().to_string()),
        ];
        if let Some(e) = self.run.epoch_ms {
            out.push(("epoch".into(), e.to_string()));
        }
        if !self.run.actions.is_empty() {
            out.push(("a".into(), crate::backoff::replay::log_to_query(&self.run.actions)));
        }
        if let Some(c) = self.run.cursor {
            out.push(("t".into(), c.at_ms.to_string()));
            out.extend(c.events.map(|e| ("ev".to_string(), e.to_string())));
        }
        out
    }
}

/// The rewindable-page plumbing for the live contention run.
pub struct LiveSpec;

fn joined(actions: &[LoggedAction<LiveAction>]) -> u64 {
    actions
        .iter()
        .map(|a| match a.action {
            LiveAction::Join { clients } => u64::from(clients),
            _ => 0,
        })
        .sum()
}

impl RewindPageSpec for LiveSpec {
    type Model = LiveModel;
    type Extra = ();
    type Msg = ();
    const SCENARIO_NOUN: &'static str = "settings";

    fn validate(sc: &ContentionParams, _seed: u64) -> Result<(), String> {
        sc.validate().map_err(|e| e.to_string())?;
        if sc.clients > MAX_LIVE_CLIENTS {
            return Err(format!(
                "{} clients is more than this page draws (1 to {MAX_LIVE_CLIENTS}); `sim replay` runs it",
                sc.clients
            ));
        }
        Ok(())
    }

    fn fallback() -> ContentionParams {
        ContentionParams::blog(20, Strategy::Exponential)
    }

    /// A run that ends (the clock stays at the last reply), with at most [`MAX_LIVE_CLIENTS`]
    /// clients, joined ones included.
    fn build(
        sc: &ContentionParams,
        seed: u64,
        epoch: SimTime,
        actions: Vec<LoggedAction<LiveAction>>,
    ) -> Result<Rewind<LiveModel>, String> {
        Self::validate(sc, seed)?;
        let total = u64::from(sc.clients) + joined(&actions);
        if total > u64::from(MAX_LIVE_CLIENTS) {
            return Err(format!(
                "its clients and those who join make {total}, more than this page draws (at most {MAX_LIVE_CLIENTS}); `sim replay` runs it"
            ));
        }
        let sim = LiveModel::build(sc, seed, epoch)?;
        let mut r = Rewind::with_log(sim, RewindConfig::default(), actions).map_err(|e| e.to_string())?;
        r.set_finite(true);
        Ok(r)
    }

    fn reduce(_page: &mut RewindPage<Self>, _msg: ()) {}
}

type LiveState = RewindPage<LiveSpec>;

fn phase_class(p: ClientPhase) -> &'static str {
    match p {
        ClientPhase::Reading => "bo-phase bo-phase--reading",
        ClientPhase::ReadReply => "bo-phase bo-phase--read-reply",
        ClientPhase::Writing => "bo-phase bo-phase--writing",
        ClientPhase::WriteReply => "bo-phase bo-phase--write-reply",
        ClientPhase::Done => "bo-phase bo-phase--done",
    }
}

const PHASES: [(ClientPhase, &str); 5] = [
    (ClientPhase::Reading, "backing off / read on its way"),
    (ClientPhase::ReadReply, "version on its way back"),
    (ClientPhase::Writing, "write on its way"),
    (ClientPhase::WriteReply, "write's reply on its way back"),
    (ClientPhase::Done, "succeeded"),
];

/// The live section's URL pairs: the settings, then the action log and cursor once there is
/// something to carry.
fn live_pairs(state: &LiveState) -> Vec<(String, String)> {
    let mut pairs = vec![
        ("live".to_string(), "1".to_string()),
        ("live_clients".to_string(), state.scenario.clients.to_string()),
        ("live_strategy".to_string(), state.scenario.strategy.name().to_string()),
    ];
    let r = state.run.borrow();
    pairs.extend(run_url_pairs(r.actions(), r.cursor(), state.epoch.as_unix_ms()));
    pairs
}

#[derive(Properties, PartialEq)]
pub struct LiveContentionProps {
    pub seed: u64,
    pub on_seed: Callback<u64>,
    /// The live part of the URL the page was opened with.
    pub initial: Rc<LiveUrl>,
    /// The live section's URL pairs whenever they change.
    pub on_pairs: Callback<Vec<(String, String)>>,
}

#[component]
pub fn LiveContention(props: &LiveContentionProps) -> Html {
    let state = {
        let (init, seed) = (props.initial.clone(), props.seed);
        use_reducer(move || {
            let sc = ContentionParams::blog(init.clients, init.strategy);
            let epoch = init.run.epoch_ms.map(SimTime::from_unix_ms);
            LiveState::new(sc, seed, TEST_EPOCH, ()).with_link(
                init.run.actions.clone(),
                epoch,
                init.run.cursor.map(|c| c.seek()),
            )
        })
    };
    let playback = use_playback(state.run.clone(), 0.25);
    let wiring = use_rewind_wiring(&state, &playback, |s: &LiveState, r| {
        format!(
            "backoff-{}-{}c-seed{}-{}ms.replay.json",
            s.scenario.strategy.name(),
            s.scenario.clients,
            s.seed,
            r.cursor.map_or(0, |c| c.at_ms)
        )
    });
    let dispatch = state.dispatcher();
    let error = use_state(|| None::<String>);

    // The page's seed is this run's: a new seed restarts it, an opened replay's seed becomes the
    // page's.
    {
        let (state, playback) = (state.clone(), playback.clone());
        use_effect_with(props.seed, move |seed| {
            if *seed != state.seed {
                playback.pause();
                state.dispatch(RewindMsg::Restart { scenario: state.scenario.clone(), seed: *seed });
            }
        });
    }
    {
        let (on_seed, page_seed) = (props.on_seed.clone(), props.seed);
        use_effect_with(state.seed, move |seed| {
            if *seed != page_seed {
                on_seed.emit(*seed);
            }
        });
    }

    // The URL follows the run whenever it is paused or something changed (not every frame).
    let stamp = state.stamp();
    let playing = playback.is_playing();
    {
        let (state, on_pairs) = (state.clone(), props.on_pairs.clone());
        let opening = state.opening.is_some();
        // The live view announces itself (`live=1`) as soon as it opens.
        use_url_follows_run(stamp, playing, opening, true, UrlFollow::Changes, move || {
            on_pairs.emit(live_pairs(&state))
        });
    }

    let done = state.run.borrow_mut().is_idle();
    {
        let playback = playback.clone();
        use_effect_with((done, playback.is_playing()), move |(done, playing)| {
            if *done && *playing {
                playback.pause();
            }
        });
    }
    // At the end Play (or Replay) rewinds to the start and plays the same history again.
    let replay = {
        let (p, d) = (playback.clone(), dispatch.clone());
        Callback::from(move |_: ()| {
            d.dispatch(RewindMsg::Rewind(RewindCommand::SeekMs(0)));
            p.play();
        })
    };
    let restart = {
        let (p, d, sc) = (playback.clone(), dispatch.clone(), state.scenario.clone());
        let (on_seed, page_seed) = (props.on_seed.clone(), props.seed);
        Callback::from(move |seed: u64| {
            p.pause();
            if seed == page_seed {
                d.dispatch(RewindMsg::Restart { scenario: sc.clone(), seed });
            } else {
                // The seed effect restarts the run once the page has the new seed.
                on_seed.emit(seed);
            }
        })
    };
    let controls = use_run_controls(
        &playback,
        RunControlsSpec {
            seed: state.seed,
            ended: done,
            on_play_ended: replay.clone(),
            restart,
            write_url: Callback::from(|_| ()),
        },
    );
    let on_replay = replay.reform(|_: MouseEvent| ());

    let set_settings = {
        let (p, d, state) = (playback.clone(), dispatch.clone(), state.clone());
        Callback::from(move |sc: ContentionParams| {
            p.pause();
            d.dispatch(RewindMsg::Restart { scenario: sc, seed: state.seed });
        })
    };
    let on_clients = {
        let (error, set, sc) = (error.clone(), set_settings.clone(), state.scenario.clone());
        Callback::from(move |(_, raw): (&'static str, String)| match parse_u32("Clients", &raw, 1, MAX_LIVE_CLIENTS) {
            Ok(v) => {
                error.set(None);
                set.emit(ContentionParams::blog(v, sc.strategy));
            }
            Err(e) => error.set(Some(e)),
        })
    };
    let on_strategy = {
        let (set, sc) = (set_settings.clone(), state.scenario.clone());
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Ok(s) = select.value().parse::<Strategy>() {
                set.emit(ContentionParams::blog(sc.clients, s));
            }
        })
    };
    let act = |a: LiveAction| {
        let d = dispatch.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(RewindMsg::Act(a)))
    };
    let switch_to = use_state(|| Strategy::FullJitter);
    let on_switch_choice = {
        let switch_to = switch_to.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Ok(s) = select.value().parse::<Strategy>() {
                switch_to.set(s);
            }
        })
    };

    // --- what to draw: the run at its cursor ---
    let r = state.run.borrow();
    let run = r.model().run();
    let phases = r.model().phases(r.sim().now());
    let (version, result, remaining) = (run.version(), run.result(), run.remaining());
    let total = run.params().clients;
    let current = run.params().strategy;
    let clock = SimDuration(r.cursor().at_ms).clock_string();
    let rewound = r.is_rewound();
    drop(r);
    let sc = &state.scenario;
    let can_join = total + JOIN_STEP <= MAX_LIVE_CLIENTS;
    let rows = (phases.len() as u32).div_ceil(PER_ROW).max(1);
    let w = f64::from(PER_ROW) * CELL + 8.0;
    let h = f64::from(rows) * CELL + 8.0;
    html! {
        <div class="bo-live" data-testid="live-contention">
            <div class="form-grid bo-form">
                <NumField name="live_clients" label="Clients" value={sc.clients.to_string()} invalid={error.is_some()} on_change={on_clients} />
                <label class="field">
                    <span>{ "Strategy" }</span>
                    <select data-testid="field-live_strategy" onchange={on_strategy}>
                        { for Strategy::ALL.iter().map(|s| html! {
                            <option value={s.name()} selected={*s == sc.strategy}>{ strategy_label(*s) }</option>
                        }) }
                    </select>
                </label>
            </div>
            if let Some(e) = &*error {
                <p class="notice notice--error" role="alert">{ e.clone() }</p>
            }
            <ControlsBar playing={playing} slider={playback.slider()} clock={AttrValue::from(clock.clone())}
                         behind={playback.behind_text().map(AttrValue::from)} seed={state.seed}
                         on_toggle={controls.on_toggle} on_step={controls.on_step} on_next={controls.on_next}
                         on_slider={controls.on_slider} on_seed={controls.on_seed} on_reset={controls.on_reset} />
            { wiring.view(&state) }
            <div class="bo-live__acts" role="group" aria-label="Do something to the run" data-testid="live-actions">
                <span class="bo-small">{ if rewound { "Acting now starts a new branch:" } else { "Do something to the run:" } }</span>
                <button type="button" class="button button--quiet" data-testid="live-join" disabled={!can_join}
                        title={if can_join { format!("{JOIN_STEP} more clients start now") } else { format!("At most {MAX_LIVE_CLIENTS} clients on this page") }}
                        onclick={act(LiveAction::Join { clients: JOIN_STEP })}>{ format!("+{JOIN_STEP} clients join") }</button>
                <button type="button" class="button button--quiet" data-testid="live-outside-write"
                        title="Somebody else writes the row: every version read before now is stale"
                        onclick={act(LiveAction::OutsideWrite)}>{ "Outside write" }</button>
                <label class="bo-live__switch">
                    <span class="bo-small">{ "Switch every client to" }</span>
                    <select data-testid="live-switch-to" onchange={on_switch_choice}>
                        { for Strategy::ALL.iter().map(|s| html! {
                            <option value={s.name()} selected={*s == *switch_to}>{ strategy_label(*s) }</option>
                        }) }
                    </select>
                </label>
                <button type="button" class="button button--quiet" data-testid="live-switch" disabled={*switch_to == current}
                        onclick={act(LiveAction::SwitchStrategy { strategy: *switch_to })}>{ "Switch" }</button>
            </div>
            if let Some(e) = &state.action_error {
                <p class="notice notice--error" role="alert" data-testid="live-action-error">{ e.clone() }</p>
            }
            if done {
                <div class="notice bo-live__end" role="status" data-testid="live-finished">
                    <span>{ format!("The run is over: all {total} clients have written, the last at {}.", super::fields::human_ms(result.time_ms)) }</span>
                    <button type="button" class="button" data-testid="live-replay" onclick={on_replay}>{ "↺ Replay" }</button>
                </div>
            }
            <p class="bo-live__stats" data-testid="live-stats">
                { format!("Row version {version} · writes {} ({} lost) · {remaining} still trying · {total} clients, backing off with {}{}",
                    result.calls, result.failed_writes, strategy_label(current),
                    if done { format!(" · all done at {:.1} ms", result.time_ms) } else { String::new() }) }
            </p>
            <svg class="bo-live__grid" viewBox={format!("0 0 {w} {h}")} role="img" data-testid="live-grid"
                 aria-label={format!("{} clients coloured by phase", phases.len())}>
                <title>{ "Each client's phase" }</title>
                { for phases.iter().enumerate().map(|(i, p)| {
                    let (x, y) = ((i as u32 % PER_ROW) as f64 * CELL + 4.0 + CELL / 2.0, (i as u32 / PER_ROW) as f64 * CELL + 4.0 + CELL / 2.0);
                    html! { <circle class={phase_class(*p)} cx={format!("{x:.1}")} cy={format!("{y:.1}")} r="8"><title>{ format!("client {i}") }</title></circle> }
                }) }
            </svg>
            <ul class="bo-live__legend">
                { for PHASES.iter().map(|(p, label)| html! {
                    <li><svg viewBox="0 0 12 12" aria-hidden="true"><circle class={phase_class(*p)} cx="6" cy="6" r="5" /></svg>{ *label }</li>
                }) }
            </ul>
            <p class="bo-muted bo-small">{ format!("Base {} ms, cap {} ms, hops |Normal({} ms, {} ms)|, seed {}. Space, → and ← drive this run (and the one-call player above) while the view is open.",
                sc.base_ms, sc.cap_ms, sc.net_mean_ms, sc.net_sd_ms, state.seed) }</p>
        </div>
    }
}
