//! The /messaging page: pick a pattern and a preset and watch the run: the animated flow
//! (producers → the broker's key, channel or stream → consumers, dots coloured by fate), the
//! checker's counts, queue depth and lag over time, the inspector (a message's life, a consumer's
//! holdings), fault buttons, a redis-cli reading the run's own server, and TCP vs UDP. Preset,
//! pattern, variant, seed, speed, the action log and the cursor live in the URL.
//!
//! State: one reducer ([`state::MsgState`], a `ui::rewind_page::RewindPage`) whose run is a
//! `Rewind<MessagingModel>` shared with `use_playback` (Space, → and ← drive it) and rewound with
//! the shared scrubber. Fault buttons, the consumers' crash and slow buttons and "peak load" are
//! logged actions (`messaging::MsgAction`); acting while rewound starts a new branch. When
//! comparing (`vs=`), the second run is a rewind of its own that follows the first one's clock and
//! action log (`messaging::replay::follow`), so it rewinds with it. What the user looks at (the
//! inspected message or consumer, the redis-cli transcript) is a second, small reducer. "Run to
//! end" advances the run in frame slices (`use_frame_job`) so no frame blocks.

mod flow;
mod linear;
mod panels;
mod state;
mod transport;

use std::rc::Rc;

use yew::prelude::*;

use crate::messaging::replay::{follow, read_run_url, rewind, run_url_pairs, MsgRunUrl};
use crate::messaging::scenario::{page_run, page_variants, preset_summary, PAGE_PRESETS};
use crate::messaging::{same_workload, Fault, MessagingRewind, MsgAction, MsgId, PatternId, Report, Scenario};
use crate::sim::rewind::Seek;
use crate::sim::{ParamError, SimParams, SimTime, TEST_EPOCH};
use crate::ui::components::scrubber::RewindCommand;
use crate::ui::components::{ControlsBar, LineChart, PageHeader, ParamNotices, Series};
use crate::ui::hooks::{
    use_frame_job, use_playback, use_run_controls, use_sampled, use_stable_callback, use_url_params, RunControlsSpec,
    SLICE_MS,
};
use crate::ui::rewind_page::{use_rewind_wiring, use_url_follows_run, UrlFollow};
use crate::ui::{performance_now, Route};

use crate::messaging::flow_picture::Geometry;
use flow::FlowDiagram;
use panels::{CliEntry, CliPane, ConsumerCard, ConsumerOp, Counts, Inspected, Inspector};
use state::{MsgExtra, MsgMsg, MsgPageMsg, MsgState};
use transport::TransportView;

/// Moves kept for the animation.
pub const FLOWS_KEPT: usize = 400;
/// Message lives kept for the inspector.
pub const LIVES_KEPT: usize = 2_000;
/// redis-cli transcript entries kept.
pub const TRANSCRIPT_KEPT: usize = 100;
/// Commands the "what the clients sent" list shows.
const SENT_SHOWN: usize = 12;
/// How often the comparison sentence is redrawn while playing.
const SAMPLE_MS: f64 = 100.0;
const TCP_VS_UDP: &str = "tcp-vs-udp";

/// What `vs=` accepts: a pattern to compare the run with, or none.
const VS_CHOICES: [&str; 7] =
    ["none", "simple-queue", "reliable-queue", "pubsub", "request-response", "task-queue", "stream-group"];

const PATTERN_CHOICES: [&str; 7] =
    ["simple-queue", "reliable-queue", "pubsub", "request-response", "task-queue", "stream-group", TCP_VS_UDP];

#[derive(Clone, PartialEq)]
struct UrlState {
    sim: SimParams,
    preset: String,
    pattern: String,
    variant: u64,
    loss: f64,
    size: Size,
    vs: Option<PatternId>,
    run: MsgRunUrl,
    notices: Vec<ParamError>,
}

/// Producer and consumer counts from the URL (`producers=`, `consumers=`), over the preset's.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Size {
    producers: Option<u32>,
    consumers: Option<u32>,
}

impl Size {
    fn apply(self, sc: &mut crate::messaging::Scenario) {
        if let Some(p) = self.producers {
            sc.producers.count = p;
        }
        if let Some(c) = self.consumers {
            sc.consumers.count = c;
        }
    }
    fn pairs(self) -> Vec<(String, String)> {
        let mut v = Vec::new();
        if let Some(p) = self.producers {
            v.push(("producers".to_string(), p.to_string()));
        }
        if let Some(c) = self.consumers {
            v.push(("consumers".to_string(), c.to_string()));
        }
        v
    }
}

fn all_presets() -> Vec<&'static str> {
    let mut v: Vec<&str> = PAGE_PRESETS.to_vec();
    v.push(TCP_VS_UDP);
    v
}

/// The scenario the page runs for `preset`, `pattern` and `variant` (1-based) at `size`, and its
/// label. A size the preset's faults cannot run with keeps the preset's counts.
fn scenario_for(preset: &str, pattern: PatternId, variant: u64, size: Size) -> (Scenario, String) {
    let v = page_run(preset, pattern, variant.saturating_sub(1) as usize)
        .or_else(|_| page_run("steady", pattern, 0))
        .unwrap_or_else(|_| crate::messaging::Variant { label: "default".into(), scenario: Scenario::default() });
    let mut sized = v.scenario.clone();
    size.apply(&mut sized);
    if sized.validate().is_ok() {
        (sized, v.label)
    } else {
        (v.scenario, v.label)
    }
}

/// The page's choice that runs `scenario` at `size`: a preset, a pattern and a 1-based variant, the
/// first in the pickers' order. `None` for a scenario no choice builds (an opened replay's own).
fn choice_for(scenario: &Scenario, size: Size) -> Option<(&'static str, PatternId, u64)> {
    PAGE_PRESETS.into_iter().find_map(|preset| {
        let variants = page_variants(preset).ok()?;
        PatternId::ALL.into_iter().find_map(|pattern| {
            let n = variants.iter().filter(|v| v.scenario.pattern == pattern).count().max(1) as u64;
            (1..=n).find(|&v| scenario_for(preset, pattern, v, size).0 == *scenario).map(|v| (preset, pattern, v))
        })
    })
}

/// The compared run and what it was built from (rebuilt when any of it changes).
struct Compared {
    key: (Scenario, u64, SimTime, PatternId),
    run: MessagingRewind,
}

/// A fresh compared run: `lead`'s workload with `vs`, the same seed and epoch, the page's trail.
fn compared_run(lead: &Scenario, seed: u64, epoch: SimTime, vs: PatternId) -> MessagingRewind {
    let sc = same_workload(lead, vs);
    rewind(&sc, seed, epoch, Some((FLOWS_KEPT, LIVES_KEPT)))
        .or_else(|_| rewind(&Scenario::default(), seed, epoch, None))
        .expect("the default scenario builds")
}

/// One sentence on what differs between the two runs' checker counts.
fn compare_sentence(a: (&str, &Report), b: (&str, &Report), done: bool) -> String {
    let ((an, ar), (bn, br)) = (a, b);
    let mut parts = Vec::new();
    let so_far = if done { "" } else { " so far" };
    if done && ar.lost != br.lost {
        let (more, fewer, mr, fr) = if ar.lost > br.lost { (an, bn, ar, br) } else { (bn, an, br, ar) };
        let saved =
            if fr.redelivered > 0 { format!(" ({fewer} redelivered {})", fr.redelivered) } else { String::new() };
        parts.push(format!("{more} lost {} messages, {fewer} {}{saved}", mr.lost, fr.lost));
    }
    if ar.duplicated != br.duplicated {
        parts.push(format!("{an} duplicated {}, {bn} {}{so_far}", ar.duplicated, br.duplicated));
    }
    if ar.processed != br.processed {
        parts.push(format!("{an} processed {}, {bn} {}{so_far}", ar.processed, br.processed));
    }
    if ar.p99_ms != br.p99_ms && ar.processed > 0 && br.processed > 0 {
        parts.push(format!("p99 latency {} ms against {} ms", ar.p99_ms, br.p99_ms));
    }
    if parts.is_empty() {
        return if done {
            format!("{an} and {bn} lost, duplicated and processed the same on this workload.")
        } else {
            format!("No difference yet between {an} and {bn}; lost messages are counted when the run ends.")
        };
    }
    // Pattern ids are names: the sentence keeps them lower-case, as the pickers show them.
    let mut text = parts.join("; ");
    if !done {
        text.push_str(" (lost is counted when the run ends)");
    }
    text + "."
}

#[derive(Clone, Debug, PartialEq)]
enum Selection {
    Nothing,
    Message(MsgId),
    Consumer(u32),
}

/// What the user is looking at, beside the run.
#[derive(Clone, PartialEq)]
struct ViewState {
    selection: Selection,
    transcript: Rc<Vec<CliEntry>>,
    next_entry: u64,
}

enum ViewAction {
    Select(Selection),
    Cli {
        command: String,
        output: String,
    },
    /// A new run: what was inspected belongs to the old one.
    NewRun,
}

impl Reducible for ViewState {
    type Action = ViewAction;
    fn reduce(self: Rc<Self>, action: ViewAction) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            ViewAction::Select(sel) => s.selection = sel,
            ViewAction::Cli { command, output } => {
                let mut t = (*s.transcript).clone();
                t.push(CliEntry { id: s.next_entry, command, output });
                let drop = t.len().saturating_sub(TRANSCRIPT_KEPT);
                t.drain(..drop);
                s.transcript = Rc::new(t);
                s.next_entry += 1;
            }
            ViewAction::NewRun => s.selection = Selection::Nothing,
        }
        Rc::new(s)
    }
}

fn broker_label(p: PatternId) -> &'static str {
    match p {
        PatternId::SimpleQueue | PatternId::ReliableQueue => "list queue",
        PatternId::Pubsub => "channel events",
        PatternId::TaskQueue => "list celery",
        PatternId::StreamGroup => "stream",
        PatternId::RequestResponse => "load balancer",
    }
}

fn noun(p: PatternId) -> &'static str {
    match p {
        PatternId::Pubsub => "subscriber",
        PatternId::RequestResponse => "instance",
        _ => "worker",
    }
}

/// The page's query: seed and speed, what is run, and (once there is something to carry) the
/// action log and cursor.
struct UrlChoice {
    seed: u64,
    speed: f64,
    preset: String,
    pattern: String,
    variant: u64,
    size: Size,
    vs: Option<PatternId>,
}

fn url_pairs(c: UrlChoice, state: Option<&MsgState>) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> =
        SimParams { seed: c.seed, speed: c.speed }.pairs().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    pairs.push(("preset".into(), c.preset));
    pairs.push(("pattern".into(), c.pattern));
    if c.variant > 1 {
        pairs.push(("variant".into(), c.variant.to_string()));
    }
    pairs.extend(c.size.pairs());
    if let Some(p) = c.vs {
        pairs.push(("vs".into(), p.id().to_string()));
    }
    if let Some(state) = state {
        let r = state.run.borrow();
        pairs.extend(run_url_pairs(r.actions(), r.cursor(), state.epoch.as_unix_ms()));
    }
    pairs
}

#[component]
pub fn MessagingPage() -> Html {
    let info = super::info(Route::Messaging);
    let url = use_url_params(|q| {
        let sim = SimParams::read(q);
        let presets = all_presets();
        let preset = q.choice("preset", "consumer-crash", &presets);
        let pattern = q.choice("pattern", "simple-queue", &PATTERN_CHOICES);
        let variant = q.u64_in("variant", 1, 1, 4);
        let loss = q.f64_in("loss", 0.1, 0.0, 0.9);
        let size = Size {
            producers: q.raw("producers").is_some().then(|| q.u64_in("producers", 1, 1, 100) as u32),
            consumers: q.raw("consumers").is_some().then(|| q.u64_in("consumers", 2, 1, 100) as u32),
        };
        // A size the preset's faults cannot run with (a fault naming consumer 2 of 2) is refused.
        if let Ok(pat) = pattern.parse::<PatternId>() {
            if let Ok(v) = page_run(&preset, pat, variant.saturating_sub(1) as usize) {
                let mut sc = v.scenario;
                size.apply(&mut sc);
                if let Err(e) = sc.validate() {
                    let value = format!("producers={:?} consumers={:?}", size.producers, size.consumers);
                    q.notice("producers/consumers", &value, &e.to_string(), "the preset's counts");
                }
            }
        }
        let vs = q.choice("vs", "none", &VS_CHOICES).parse::<PatternId>().ok();
        let run = read_run_url(q);
        UrlState { sim, preset, pattern, variant, loss, size, vs, run, notices: q.notices().to_vec() }
    });
    let init = url.initial().clone();
    let tcp_mode = init.preset == TCP_VS_UDP || init.pattern == TCP_VS_UDP;
    let preset = use_state(|| if init.preset == TCP_VS_UDP { "steady".to_string() } else { init.preset.clone() });
    let pattern = use_state(|| init.pattern.parse::<PatternId>().unwrap_or(PatternId::SimpleQueue));
    let variant = use_state(|| init.variant);
    let tcp = use_state(|| tcp_mode);
    // An opened replay whose scenario is none of the pickers' choices (`choice_for`).
    let foreign = use_state(|| false);
    // Read when a run is rebuilt or the URL written: a callback made before a change still
    // sees the current choice.
    let vs = use_mut_ref(|| init.vs);
    let state = {
        let (p, pat, v, size) = ((*preset).clone(), *pattern, *variant, init.size);
        let u = init.clone();
        use_reducer(move || {
            let (sc, label) = scenario_for(&p, pat, v, size);
            MsgState::new(sc, u.sim.seed, TEST_EPOCH, MsgExtra { label, opened: 0 }).with_link(
                u.run.actions.clone(),
                u.run.epoch_ms.map(SimTime::from_unix_ms),
                u.run.cursor.map(|c| c.seek()),
            )
        })
    };
    let playback = use_playback(state.run.clone(), init.sim.speed);
    let dispatch = state.dispatcher();
    let view =
        use_reducer(|| ViewState { selection: Selection::Nothing, transcript: Rc::new(Vec::new()), next_entry: 0 });
    let job = use_frame_job();
    let compared = use_mut_ref(|| None::<Compared>);
    let size = init.size;
    let seed = state.seed;

    let wiring = use_rewind_wiring(&state, &playback, |state: &MsgState, r| {
        format!(
            "messaging-{}-seed{}-{}ms.replay.json",
            state.scenario.pattern,
            state.seed,
            r.cursor.map_or(0, |c| c.at_ms)
        )
    });

    // The URL follows the run whenever it is paused or the user acted; a fresh page's address is
    // left alone until something changes (bad values in it are replaced once, on load).
    let url_now = {
        let (url, state, playback, vs, tcp) = (url.clone(), state.clone(), playback.clone(), vs.clone(), tcp.clone());
        let tcp_preset = init.preset == TCP_VS_UDP;
        let (preset, pattern, variant) = (preset.clone(), pattern.clone(), variant.clone());
        let foreign = *foreign;
        move || {
            // No address names an opened replay's own scenario: leave the URL as it was.
            if foreign {
                return;
            }
            let pat = if *tcp { TCP_VS_UDP } else { pattern.id() };
            let c = UrlChoice {
                seed: state.seed,
                speed: playback.speed(),
                preset: if *tcp && tcp_preset { TCP_VS_UDP.to_string() } else { (*preset).clone() },
                pattern: pat.to_string(),
                variant: *variant,
                size,
                vs: *vs.borrow(),
            };
            url.write(url_pairs(c, (!*tcp).then_some(&*state)));
        }
    };
    let stamp = state.stamp();
    let playing = playback.is_playing();
    {
        let write = url_now.clone();
        let (opening, rewrite) = (state.opening.is_some(), !init.notices.is_empty());
        use_url_follows_run(stamp, playing, opening, rewrite, UrlFollow::Changes, write);
    }

    // The run ends when the producers stopped and the drain time is over: playback pauses there.
    let end_ms = state.scenario.produce_for_ms.saturating_add(state.scenario.drain_ms);
    let cursor_ms = state.run.borrow().cursor().at_ms;
    let finished = cursor_ms >= end_ms;
    {
        let p = playback.clone();
        use_effect_with((finished, playing), move |(done, playing)| {
            if *done && *playing {
                p.pause();
            }
        });
    }

    // An opened replay moves the pickers to its scenario's choice, or says it is none of them.
    {
        let (preset, pattern, variant, tcp, foreign) =
            (preset.clone(), pattern.clone(), variant.clone(), tcp.clone(), foreign.clone());
        let scenario = state.scenario.clone();
        use_effect_with(state.extra.opened, move |opened| {
            if *opened > 0 {
                match choice_for(&scenario, size) {
                    Some((p, pat, v)) => {
                        preset.set(p.to_string());
                        pattern.set(pat);
                        variant.set(v);
                        tcp.set(false);
                        foreign.set(false);
                    }
                    None => foreign.set(true),
                }
            }
        });
    }

    let restart = {
        let (p, d, job, view, foreign) =
            (playback.clone(), dispatch.clone(), job.clone(), view.clone(), foreign.clone());
        move |preset: &str, pattern: PatternId, variant: u64, seed: u64| {
            foreign.set(false);
            job.cancel();
            p.pause();
            let (scenario, label) = scenario_for(preset, pattern, variant, size);
            d.dispatch(MsgMsg::Restart { scenario, seed });
            d.dispatch(MsgMsg::Page(MsgPageMsg::Label(label)));
            view.dispatch(ViewAction::NewRun);
        }
    };

    let on_preset = {
        let (preset, pattern, variant, tcp) = (preset.clone(), pattern.clone(), variant.clone(), tcp.clone());
        let restart = restart.clone();
        let url = url.clone();
        let vs = vs.clone();
        let speed = playback.speed();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
            let c = |preset: &str, pattern: &str| UrlChoice {
                seed,
                speed,
                preset: preset.to_string(),
                pattern: pattern.to_string(),
                variant: 1,
                size,
                vs: *vs.borrow(),
            };
            if v == TCP_VS_UDP {
                tcp.set(true);
                url.write(url_pairs(c(TCP_VS_UDP, pattern.id()), None));
                return;
            }
            tcp.set(false);
            // Prefer a pattern the preset compares.
            let runs = page_variants(&v).unwrap_or_default();
            let pat = if runs.iter().any(|r| r.scenario.pattern == *pattern) {
                *pattern
            } else {
                runs.first().map_or(*pattern, |r| r.scenario.pattern)
            };
            preset.set(v.clone());
            pattern.set(pat);
            variant.set(1);
            restart(&v, pat, 1, seed);
            url.write(url_pairs(c(&v, pat.id()), None));
        })
    };
    let on_pattern = {
        let (preset, pattern, variant, tcp) = (preset.clone(), pattern.clone(), variant.clone(), tcp.clone());
        let restart = restart.clone();
        let url = url.clone();
        let vs = vs.clone();
        let speed = playback.speed();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
            let c = |pattern: &str| UrlChoice {
                seed,
                speed,
                preset: (*preset).clone(),
                pattern: pattern.to_string(),
                variant: 1,
                size,
                vs: *vs.borrow(),
            };
            if v == TCP_VS_UDP {
                tcp.set(true);
                url.write(url_pairs(c(TCP_VS_UDP), None));
                return;
            }
            let Ok(p) = v.parse::<PatternId>() else { return };
            tcp.set(false);
            pattern.set(p);
            variant.set(1);
            restart(&preset, p, 1, seed);
            url.write(url_pairs(c(p.id()), None));
        })
    };
    let on_variant = {
        let (preset, pattern, variant) = (preset.clone(), pattern.clone(), variant.clone());
        let restart = restart.clone();
        let url = url.clone();
        let vs = vs.clone();
        let speed = playback.speed();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
            let n = v.parse::<u64>().unwrap_or(1).clamp(1, 4);
            variant.set(n);
            restart(&preset, *pattern, n, seed);
            let c = UrlChoice {
                seed,
                speed,
                preset: (*preset).clone(),
                pattern: pattern.id().to_string(),
                variant: n,
                size,
                vs: *vs.borrow(),
            };
            url.write(url_pairs(c, None));
        })
    };
    let on_vs = {
        let (preset, pattern, variant) = (preset.clone(), pattern.clone(), variant.clone());
        let url = url.clone();
        let vs = vs.clone();
        let (state, speed) = (state.clone(), playback.speed());
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
            *vs.borrow_mut() = v.parse::<PatternId>().ok();
            // The compared run follows the first one: it is built at the next draw.
            let c = UrlChoice {
                seed,
                speed,
                preset: (*preset).clone(),
                pattern: pattern.id().to_string(),
                variant: *variant,
                size,
                vs: *vs.borrow(),
            };
            url.write(url_pairs(c, Some(&state)));
            state.dispatch(MsgMsg::Moved);
        })
    };

    // --- controls bar ---
    let restart_seed = {
        let (preset, pattern, variant) = (preset.clone(), pattern.clone(), variant.clone());
        let restart = restart.clone();
        Callback::from(move |s: u64| restart(&preset, *pattern, *variant, s))
    };
    // At the end, Play replays the same history from the start (the logged actions included).
    let replay = {
        let (p, d) = (playback.clone(), dispatch.clone());
        Callback::from(move |_: ()| {
            d.dispatch(MsgMsg::Rewind(RewindCommand::SeekMs(0)));
            p.play();
        })
    };
    let write_url = {
        let w = url_now.clone();
        Callback::from(move |_: ()| w())
    };
    let controls = use_run_controls(
        &playback,
        RunControlsSpec { seed, ended: finished, on_play_ended: replay, restart: restart_seed, write_url },
    );

    // Runs the rest of the run in slices of SLICE_MS per frame. The clock is read every
    // FINISH_EVENTS events: one event can cost a fraction of a millisecond (a stream group's
    // commands, a snapshot every 512 events), so a larger batch overran the slice by hundreds of ms.
    // The page is redrawn on a frame of its own, every FINISH_DRAW_MS, not after each slice: a
    // slice and a full redraw (with its style, layout and paint) in one task made tasks of 100 ms
    // and more on a busy machine.
    let on_finish = {
        let run = state.run.clone();
        let playback = playback.clone();
        let job = job.clone();
        let d = dispatch.clone();
        use_stable_callback(Callback::from(move |_: ()| {
            playback.pause();
            let run = run.clone();
            let d = d.clone();
            let mut drawn = performance_now();
            job.start(move || {
                let t0 = performance_now();
                if t0 - drawn >= FINISH_DRAW_MS {
                    d.dispatch(MsgMsg::Moved);
                    drawn = t0;
                    return true;
                }
                let reached = finish_slice(&mut run.borrow_mut(), end_ms, || performance_now() - t0 >= SLICE_MS);
                if reached {
                    d.dispatch(MsgMsg::Moved);
                }
                !reached
            });
        }))
    };

    // --- faults, bursts and the consumers' buttons: logged actions ---
    let act = {
        let (d, job) = (dispatch.clone(), job.clone());
        use_callback((), move |a: MsgAction, _| {
            job.cancel();
            d.dispatch(MsgMsg::Page(MsgPageMsg::ActNow(a)));
        })
    };
    let on_consumer_op = {
        let act = act.clone();
        let view = view.clone();
        use_callback((), move |(i, op): (u32, ConsumerOp), _| match op {
            ConsumerOp::Crash => act.emit(MsgAction::Fault(Fault::Crash { consumer: i, at_ms: 0, down_ms: 3_000 })),
            ConsumerOp::Slow => {
                act.emit(MsgAction::Fault(Fault::Slow { consumer: i, at_ms: 0, factor: 10.0, for_ms: 5_000 }))
            }
            ConsumerOp::Inspect => view.dispatch(ViewAction::Select(Selection::Consumer(i))),
        })
    };
    let on_message = {
        let view = view.clone();
        Callback::from(move |m: MsgId| view.dispatch(ViewAction::Select(Selection::Message(m))))
    };
    let on_inspect = on_message.clone();
    let on_cli = {
        let run = state.run.clone();
        let view = view.clone();
        Callback::from(move |line: String| {
            let line = line.trim().to_string();
            if line.is_empty() {
                return;
            }
            let r = run.borrow();
            let output = match r.model().query(r.sim().now(), &line) {
                Ok(o) => o,
                Err(e) => e.to_string(),
            };
            view.dispatch(ViewAction::Cli { command: crate::sim::params::clip(&line), output });
        })
    };

    if *tcp {
        return html! {
            <section class="model-page msg-page" data-testid="page-messaging">
                <PageHeader title={info.title} lede={info.lede} />
                <ParamNotices notices={init.notices.clone()} />
                <Pickers preset={TCP_VS_UDP} pattern={TCP_VS_UDP} variants={Vec::<String>::new()} variant={1}
                    vs={AttrValue::from("none")} foreign={false} on_preset={on_preset} on_pattern={on_pattern} on_variant={on_variant} on_vs={on_vs} />
                <TransportView seed={seed} loss={init.loss} />
            </section>
        };
    }

    // The compared run follows the first one's clock and action log (rebuilt when what it is
    // built from changed).
    let r = state.run.borrow();
    let other = (*vs.borrow()).filter(|p| *p != state.scenario.pattern).map(|p| {
        let key = (state.scenario.clone(), state.seed, state.epoch, p);
        let mut slot = compared.borrow_mut();
        if slot.as_ref().is_none_or(|c| c.key != key) {
            *slot = Some(Compared { run: compared_run(&key.0, key.1, key.2, p), key });
        }
        let c = slot.as_mut().expect("just built");
        follow(&r, &mut c.run, || compared_run(&state.scenario, state.seed, state.epoch, p));
        let b = c.run.model();
        let b_ms = c.run.cursor().at_ms;
        Other {
            label: format!("{p} (compared)"),
            pattern: p,
            report: b.report(),
            stats: b.stats(),
            flows: b.trail().map(|t| t.flows().iter().copied().collect()).unwrap_or_default(),
            consumers: b.consumers(),
            depth: b.series().last().map_or(0, |s| s.depth),
            broker_up: b.broker_up(),
            partitioned: b.is_partitioned(),
            done: b_ms >= b.end_ms(),
        }
    });
    let m = r.model();
    let report = m.report();
    let stats = m.stats();
    let sc = m.scenario().clone();
    let consumers = m.consumers();
    let trail = m.trail();
    let flows: Vec<_> = trail.map(|t| t.flows().iter().copied().collect()).unwrap_or_default();
    let recent: Vec<MsgId> = trail.map(|t| t.remembered().rev().take(12).collect()).unwrap_or_default();
    let inspected = match view.selection {
        Selection::Nothing => Inspected::Nothing,
        Selection::Message(m) => Inspected::Message(m, trail.and_then(|t| t.life(m)).map(<[_]>::to_vec)),
        Selection::Consumer(c) => consumers
            .get(c as usize)
            .cloned()
            .map_or(Inspected::Nothing, |v| Inspected::Consumer(v, AttrValue::from(noun(sc.pattern)))),
    };
    let series = m.series();
    let depth = series.last().map_or(0, |s| s.depth);
    let secs = |ms: u64| ms as f64 / 1000.0;
    let depth_series = vec![
        Series { name: "queue depth".into(), points: series.iter().map(|s| (secs(s.at_ms), s.depth as f64)).collect() },
        Series { name: "consumer lag".into(), points: series.iter().map(|s| (secs(s.at_ms), s.lag as f64)).collect() },
    ];
    let throughput: Vec<(f64, f64)> = series
        .windows(2)
        .map(|w| {
            let dt = secs(w[1].at_ms.saturating_sub(w[0].at_ms)).max(0.001);
            (secs(w[1].at_ms), w[1].processed.saturating_sub(w[0].processed) as f64 / dt)
        })
        .collect();
    let sent = m.recent_commands(SENT_SHOWN);
    let now_ms = cursor_ms.min(end_ms);
    let done = finished;
    let label = state.extra.label.clone();
    let broker_up = m.broker_up();
    let partitioned = m.is_partitioned();
    let clock = crate::sim::SimDuration::from_millis(now_ms).clock_string();
    let done = done && other.as_ref().is_none_or(|o| o.done);
    drop(r);
    let variants: Vec<String> = page_variants(&preset)
        .unwrap_or_default()
        .into_iter()
        .filter(|v| v.scenario.pattern == *pattern)
        .map(|v| v.label)
        .collect();
    let narrow =
        web_sys::window().and_then(|w| w.inner_width().ok()).and_then(|v| v.as_f64()).is_some_and(|w| w < 560.0);
    let dead_letter = match sc.pattern {
        PatternId::TaskQueue => Some(AttrValue::from("celery.dead-letter")),
        PatternId::StreamGroup if sc.dead_letter_after > 0 => Some(AttrValue::from("stream:dead-letter")),
        _ => None,
    };
    let status = if done {
        format!("finished at {:.1} s", secs(end_ms))
    } else if now_ms >= sc.produce_for_ms {
        format!("producers stopped, draining · {:.1} s of {:.1} s", secs(now_ms), secs(end_ms))
    } else {
        format!("{:.1} s of {:.1} s", secs(now_ms), secs(end_ms))
    };
    let selected_consumer = match view.selection {
        Selection::Consumer(c) => Some(c),
        _ => None,
    };
    let action_error = state.action_error.clone();

    html! {
        <section class="model-page msg-page" data-testid="page-messaging">
            <PageHeader title={info.title} lede={info.lede} />
            <ParamNotices notices={init.notices.clone()} />
            <Pickers preset={(*preset).clone()} pattern={pattern.id()} variants={variants} variant={*variant}
                vs={AttrValue::from(other.as_ref().map_or("none", |o| o.pattern.id()))} foreign={*foreign}
                on_preset={on_preset} on_pattern={on_pattern} on_variant={on_variant} on_vs={on_vs} />
            <ControlsBar
                playing={playback.is_playing()}
                slider={playback.slider()}
                clock={AttrValue::from(clock)}
                behind={playback.behind_text().map(AttrValue::from)}
                seed={seed}
                on_toggle={controls.on_toggle} on_step={controls.on_step} on_next={controls.on_next}
                on_slider={controls.on_slider} on_seed={controls.on_seed} on_reset={controls.on_reset}
            />
            { wiring.view(&*state) }
            <div class={classes!("msg-pair", other.is_some().then_some("msg-pair--two"))}>
            <div class="panel msg-live" data-testid="msg-live">
                <div class="msg-live__head">
                    <h2>{ label }</h2>
                    <p class="msg-muted" data-testid="msg-status">
                        { format!("{} producers × {} msg/s · {} {}s × {}", sc.producers.count, sc.producers.rate_per_s,
                            sc.consumers.count, noun(sc.pattern), sc.consumers.concurrency) }
                    </p>
                </div>
                if let Some(o) = &other {
                    <p class="msg-muted" data-testid="msg-faults-both">
                        { format!("Faults, peak load and the workers' crash/slow buttons apply to this run and to {} at the same virtual time.", o.pattern) }
                    </p>
                }
                <FaultsRow pattern={sc.pattern} both={other.is_some()} finish={!done} on_act={act.clone()} on_finish={on_finish} />
                <p class="msg-muted msg-run-status" data-testid="msg-run-status">
                    <span class={classes!(done.then_some("msg-finished"))}>{ status }</span>
                </p>
                if let Some(why) = &action_error {
                    <p class="notice notice--error" role="status" data-testid="msg-refused">{ why.clone() }</p>
                }
                <FlowDiagram
                    flows={flows}
                    consumers={consumers.clone()}
                    producers={sc.producers.count}
                    now_ms={now_ms}
                    speed={playback.speed()}
                    broker_label={AttrValue::from(broker_label(sc.pattern))}
                    broker_up={broker_up}
                    partitioned={partitioned}
                    dead_letter={dead_letter}
                    depth={depth}
                    selected={selected_consumer}
                    geometry={if narrow || other.is_some() { Geometry::NARROW } else { Geometry::WIDE }}
                    on_message={on_message.clone()}
                />
                <Counts report={report.clone()} stats={stats} done={done} />
                if done {
                    <p class="notice" role="status" data-testid="msg-finished">
                        { format!("The run is over: producers stopped at {:.1} s and the queue had {:.1} s to drain. Press play to replay it from seed {}.",
                            secs(sc.produce_for_ms), secs(sc.drain_ms), seed) }
                    </p>
                }
            </div>
            if let Some(o) = other.clone() {
                <ComparedRun other={o} producers={sc.producers.count} now_ms={now_ms} speed={playback.speed()} />
            }
            </div>
            if let Some(o) = &other {
                <CompareNote a={(sc.pattern, report.clone())} b={(o.pattern, o.report.clone())} done={done} />
            }
            <div class="msg-grid">
                <div class="panel msg-charts">
                    <LineChart title="Queue depth and consumer lag" x_label="virtual time (s)" y_label="messages"
                        series={depth_series} height={220.0} testid={AttrValue::from("msg-depth-chart")} />
                    <LineChart title="Throughput (processed per second)" x_label="virtual time (s)" y_label="msg/s"
                        series={vec![Series { name: "processed/s".into(), points: throughput }]} height={180.0}
                        testid={AttrValue::from("msg-throughput-chart")} />
                </div>
                <Inspector inspected={inspected} recent={recent} lives_kept={LIVES_KEPT} on_message={on_message} />
            </div>
            <div class="msg-cards" data-testid="msg-cards">
                { for consumers.iter().map(|c| html! {
                    <ConsumerCard key={c.index} consumer={c.clone()} noun={AttrValue::from(noun(sc.pattern))}
                        selected={selected_consumer == Some(c.index)} on_op={on_consumer_op.clone()} />
                }) }
            </div>
            <CliPane transcript={view.transcript.clone()} suggestions={sc.pattern.suggested_queries().to_vec()} sent={sent} on_run={on_cli} />
            <linear::MsgLinearPanel run={linear::RunRef(state.run.clone())} label={AttrValue::from(state.extra.label.clone())} events={state.run.borrow().cursor().events} on_inspect={on_inspect} />
        </section>
    }
}

/// Events between two reads of the clock in "Run to end" (see `finish_slice`).
const FINISH_EVENTS: u64 = 16;
/// Wall-clock ms between two redraws of the page while it runs to the end.
const FINISH_DRAW_MS: f64 = 100.0;

/// One slice of "Run to end": advances `run` towards `end_ms` in batches of [`FINISH_EVENTS`]
/// events until it gets there (true) or `out_of_time` says the slice is spent (false).
fn finish_slice(run: &mut MessagingRewind, end_ms: u64, mut out_of_time: impl FnMut() -> bool) -> bool {
    loop {
        if run.seek_bounded(Seek::Time(end_ms), FINISH_EVENTS) {
            return true;
        }
        if out_of_time() {
            return false;
        }
    }
}

#[derive(Properties, PartialEq)]
struct FaultsRowProps {
    pattern: PatternId,
    /// Comparing: the buttons act on both runs.
    both: bool,
    /// Whether "Run to end" is offered (the run is not over).
    finish: bool,
    /// Stable (made once): the row redraws only when what it shows changes.
    on_act: Callback<MsgAction>,
    on_finish: Callback<()>,
}

/// The fault, peak-load and "Run to end" buttons. A memoised leaf with stable callbacks: while the
/// run plays or runs to its end, the row is not redrawn and its buttons stay the same nodes in
/// the same place (the run's status line is drawn under it, so its changing length cannot move
/// them).
#[component]
fn FaultsRow(props: &FaultsRowProps) -> Html {
    let button = |label: &'static str, testid: &'static str, action: MsgAction| {
        let act = props.on_act.clone();
        html! {
            <button type="button" class="button button--quiet" data-testid={testid}
                    onclick={Callback::from(move |_: MouseEvent| act.emit(action.clone()))}>{ label }</button>
        }
    };
    let fault = |f: Fault| MsgAction::Fault(f);
    html! {
        <div class="msg-faults" role="group" aria-label={if props.both { "Faults (both runs)" } else { "Faults" }}>
            { button("Peak load: +500 in 1 s", "msg-burst", MsgAction::Burst { count: 500, over_ms: 1_000 }) }
            { button("Partition consumers 3 s", "msg-partition", fault(Fault::Partition { at_ms: 0, for_ms: 3_000 })) }
            if props.pattern != PatternId::RequestResponse {
                { button("Restart broker (2 s down)", "msg-broker-restart", fault(Fault::BrokerRestart { at_ms: 0, down_ms: 2_000 })) }
            }
            { button("Downstream outage 3 s", "msg-outage", fault(Fault::Outage { at_ms: 0, for_ms: 3_000 })) }
            if props.finish {
                <button type="button" class="button button--quiet" data-testid="msg-finish"
                        onclick={props.on_finish.reform(|_: MouseEvent| ())}>{ "Run to end ⇥" }</button>
            }
        </div>
    }
}

/// What the page draws of the compared run.
#[derive(Clone, PartialEq)]
struct Other {
    label: String,
    pattern: PatternId,
    report: Report,
    stats: crate::messaging::RunStats,
    flows: Vec<crate::messaging::trail::Flow>,
    consumers: Vec<crate::messaging::ConsumerView>,
    depth: u64,
    broker_up: bool,
    partitioned: bool,
    done: bool,
}

#[derive(Properties, PartialEq)]
struct ComparedRunProps {
    other: Other,
    producers: u32,
    now_ms: u64,
    speed: f64,
}

/// The compared run: its flow and checker counts (test ids `vs-count-…`), beside the first run.
/// Messages and consumers are inspected in the first run; this one is for looking at.
#[component]
fn ComparedRun(props: &ComparedRunProps) -> Html {
    let o = &props.other;
    let dead_letter = (o.pattern == PatternId::TaskQueue).then(|| AttrValue::from("celery.dead-letter"));
    html! {
        <div class="panel msg-live msg-live--vs" data-testid="msg-live-vs">
            <div class="msg-live__head">
                <h2>{ o.label.clone() }</h2>
                <p class="msg-muted">{ "The same producers, consumers, seed and faults; only the pattern differs." }</p>
            </div>
            <FlowDiagram
                flows={o.flows.clone()}
                consumers={o.consumers.clone()}
                producers={props.producers}
                now_ms={props.now_ms}
                speed={props.speed}
                broker_label={AttrValue::from(broker_label(o.pattern))}
                broker_up={o.broker_up}
                partitioned={o.partitioned}
                dead_letter={dead_letter}
                depth={o.depth}
                selected={None::<u32>}
                geometry={Geometry::NARROW}
                on_message={Callback::noop()}
            />
            <Counts report={o.report.clone()} stats={o.stats.clone()} done={o.done} prefix={AttrValue::from("vs-")} />
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct CompareNoteProps {
    a: (PatternId, Report),
    b: (PatternId, Report),
    done: bool,
}

/// The sentence under the pair: what differs. Drawn at the sampling rate while playing.
#[component]
fn CompareNote(props: &CompareNoteProps) -> Html {
    let value = (props.a.clone(), props.b.clone());
    let ((ap, ar), (bp, br)) = use_sampled(value, props.done, SAMPLE_MS, 0.5);
    html! {
        <p class="notice msg-compare-note" role="status" data-testid="msg-compare-note">
            { compare_sentence((ap.id(), &ar), (bp.id(), &br), props.done) }
        </p>
    }
}

#[derive(Properties, PartialEq)]
struct PickersProps {
    preset: AttrValue,
    pattern: AttrValue,
    variants: Vec<String>,
    variant: u64,
    vs: AttrValue,
    /// The run is an opened replay whose scenario none of the choices builds.
    foreign: bool,
    on_preset: Callback<Event>,
    on_pattern: Callback<Event>,
    on_variant: Callback<Event>,
    on_vs: Callback<Event>,
}

#[component]
fn Pickers(props: &PickersProps) -> Html {
    let summary = if props.foreign {
        "This run is an opened replay whose scenario is none of these presets, so its address cannot carry it: share it with Download replay. Picking a preset leaves it."
    } else if props.preset == TCP_VS_UDP {
        "TCP and UDP over one lossy, duplicating, reordering link: UDP shows the loss; TCP retransmits and delivers in order, with head-of-line blocking as latency spikes."
    } else {
        preset_summary(&props.preset)
    };
    html! {
        <div class="panel msg-pickers" data-testid="msg-pickers">
            <label class="field">
                <span>{ "Preset" }</span>
                <select data-testid="msg-preset" onchange={props.on_preset.clone()}>
                    if props.foreign {
                        <option value="" selected=true disabled=true>{ "opened replay" }</option>
                    }
                    { for all_presets().into_iter().map(|p| html! { <option value={p} selected={!props.foreign && props.preset == p}>{ p }</option> }) }
                </select>
            </label>
            <label class="field">
                <span>{ "Pattern" }</span>
                <select data-testid="msg-pattern" onchange={props.on_pattern.clone()}>
                    { for PATTERN_CHOICES.iter().map(|p| html! { <option value={*p} selected={props.pattern == *p}>{ *p }</option> }) }
                </select>
            </label>
            if props.variants.len() > 1 {
                <label class="field">
                    <span>{ "Variant" }</span>
                    <select data-testid="msg-variant" onchange={props.on_variant.clone()}>
                        { for props.variants.iter().enumerate().map(|(i, v)| html! {
                            <option value={(i + 1).to_string()} selected={props.variant == i as u64 + 1}>{ v.clone() }</option>
                        }) }
                    </select>
                </label>
            }
            if props.pattern != TCP_VS_UDP {
                <label class="field">
                    <span>{ "Compare with" }</span>
                    <select data-testid="msg-vs" onchange={props.on_vs.clone()}>
                        { for VS_CHOICES.iter().filter(|p| **p != props.pattern).map(|p| html! {
                            <option value={*p} selected={props.vs == *p}>{ if *p == "none" { "— nothing —" } else { *p } }</option>
                        }) }
                    </select>
                </label>
            }
            <p class="msg-muted msg-pickers__summary" data-testid="msg-preset-summary">{ summary }</p>
        </div>
    }
}
