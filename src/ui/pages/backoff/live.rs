//! A live view of one contention run, played by the shared controls: every client is a dot coloured
//! by its phase (backing off and reading, reading the version, writing, done), with the row's
//! version and the writes so far. Mounted on demand, beside the sweep.

use web_sys::HtmlSelectElement;
use yew::prelude::*;

use super::contention::strategy_label;
use super::fields::{parse_u32, NumField};
use crate::backoff::{ClientPhase, ContentionParams, ContentionRun, Strategy};
use crate::sim::{Clocked, SimTime};
use crate::ui::components::ControlsBar;
use crate::ui::hooks::use_playback;

pub const MAX_LIVE_CLIENTS: u32 = 200;
const PER_ROW: u32 = 20;
const CELL: f64 = 22.0;

fn new_run(clients: u32, strategy: Strategy, seed: u64) -> ContentionRun {
    ContentionRun::seeded(ContentionParams::blog(clients, strategy), seed, 0)
        .expect("1 to 200 clients with the blog's parameters")
}

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

#[derive(Properties, PartialEq)]
pub struct LiveContentionProps {
    pub seed: u64,
    pub on_seed: Callback<u64>,
}

#[component]
pub fn LiveContention(props: &LiveContentionProps) -> Html {
    let clients = use_state(|| 20u32);
    let strategy = use_state(|| Strategy::Exponential);
    let error = use_state(|| None::<String>);
    let run = use_mut_ref({
        let (c, s, seed) = (*clients, *strategy, props.seed);
        move || new_run(c, s, seed)
    });
    let playback = use_playback(run.clone(), 0.25);
    let generation = use_state(|| 0u32);
    {
        let (run, playback) = (run.clone(), playback.clone());
        use_effect_with((*clients, *strategy, props.seed, *generation), move |(c, s, seed, _)| {
            *run.borrow_mut() = new_run(*c, *s, *seed);
            playback.pause();
            playback.redraw();
        });
    }
    let (phases, version, result, done, remaining, now) = {
        let r = run.borrow();
        (r.phases(), r.version(), r.result(), r.is_done(), r.remaining(), Clocked::now(&*r))
    };
    {
        let playback = playback.clone();
        use_effect_with((done, playback.is_playing()), move |(done, playing)| {
            if *done && *playing {
                playback.pause();
            }
        });
    }
    // At the end Play (or Replay) runs the same clients, strategy and seed again from the start.
    let replay = {
        let (run, playback) = (run.clone(), playback.clone());
        let (c, st, seed) = (*clients, *strategy, props.seed);
        move || {
            *run.borrow_mut() = new_run(c, st, seed);
            playback.play();
        }
    };
    let on_toggle = {
        let playback = playback.clone();
        let replay = replay.clone();
        Callback::from(move |_: ()| {
            if done && !playback.is_playing() {
                replay();
            } else {
                playback.toggle();
            }
        })
    };
    let on_replay = Callback::from(move |_: MouseEvent| replay());
    let on_clients = {
        let (clients, error) = (clients.clone(), error.clone());
        Callback::from(move |(_, raw): (&'static str, String)| match parse_u32("Clients", &raw, 1, MAX_LIVE_CLIENTS) {
            Ok(v) => {
                error.set(None);
                clients.set(v);
            }
            Err(e) => error.set(Some(e)),
        })
    };
    let on_strategy = {
        let strategy = strategy.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Ok(s) = select.value().parse::<Strategy>() {
                strategy.set(s);
            }
        })
    };
    let rows = (phases.len() as u32).div_ceil(PER_ROW).max(1);
    let w = f64::from(PER_ROW) * CELL + 8.0;
    let h = f64::from(rows) * CELL + 8.0;
    html! {
        <div class="bo-live" data-testid="live-contention">
            <div class="form-grid bo-form">
                <NumField name="live_clients" label="Clients" value={clients.to_string()} invalid={error.is_some()} on_change={on_clients} />
                <label class="field">
                    <span>{ "Strategy" }</span>
                    <select data-testid="field-live_strategy" onchange={on_strategy}>
                        { for Strategy::ALL.iter().map(|s| html! {
                            <option value={s.name()} selected={*s == *strategy}>{ strategy_label(*s) }</option>
                        }) }
                    </select>
                </label>
            </div>
            if let Some(e) = &*error {
                <p class="notice notice--error" role="alert">{ e.clone() }</p>
            }
            <ControlsBar playing={playback.is_playing()} slider={playback.slider()} clock={(now - SimTime::ZERO).clock_string()}
                         behind={playback.behind_text().map(AttrValue::from)} seed={props.seed}
                         on_toggle={on_toggle}
                         on_step={playback.on_step()}
                         on_next={playback.on_next()}
                         on_slider={{ let p = playback.clone(); Callback::from(move |v| p.set_slider(v)) }}
                         on_seed={props.on_seed.clone()}
                         on_reset={{ let g = generation.clone(); Callback::from(move |_| g.set(*g + 1)) }} />
            if done {
                <div class="notice bo-live__end" role="status" data-testid="live-finished">
                    <span>{ format!("The run is over: all {} clients have written, the last at {}.", phases.len(), super::fields::human_ms(result.time_ms)) }</span>
                    <button type="button" class="button" data-testid="live-replay" onclick={on_replay}>{ "↺ Replay" }</button>
                </div>
            }
            <p class="bo-live__stats" data-testid="live-stats">
                { format!("Row version {version} · writes {} ({} lost) · {} still trying{}",
                    result.calls, result.failed_writes, remaining,
                    if done { format!(" · all done at {:.1} ms", result.time_ms) } else { String::new() }) }
            </p>
            <svg class="bo-live__grid" viewBox={format!("0 0 {w} {h}")} role="img"
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
            <p class="bo-muted bo-small">{ "Space and → drive the one-call player above too while this view is open (the shared playback hook listens on the whole page)." }</p>
        </div>
    }
}
