//! The /messaging page: pick a pattern and a preset and watch the run: the animated flow
//! (producers → the broker's key, channel or stream → consumers, dots coloured by fate), the
//! checker's counts, queue depth and lag over time, the inspector (a message's life, a consumer's
//! holdings), fault buttons, a redis-cli reading the run's own server, and TCP vs UDP. Preset,
//! pattern, variant, seed and speed live in the URL.
//!
//! State: the run is a `use_mut_ref` `MessagingRun` driven by the shared `use_playback` (it stops
//! at the run's end); what the user looks at (the inspected message or consumer, the redis-cli
//! transcript, the last refusal) is one `use_reducer`. Every action calls the core
//! (`MessagingRun::new`, `inject`, `burst`, `query`) and redraws; "Run to end" advances the run in
//! frame slices (`use_frame_job`) so no frame blocks.

mod flow;
mod linear;
mod panels;
mod transport;

use std::rc::Rc;

use yew::prelude::*;

use crate::messaging::scenario::{page_run, page_variants, preset_summary, PAGE_PRESETS};
use crate::messaging::{Fault, MessagingRun, MsgId, PatternId, Report, RunPair};
use crate::sim::{ParamError, SimParams};
use crate::ui::components::{ControlsBar, LineChart, PageHeader, ParamNotices, Series};
use crate::ui::hooks::{use_frame_job, use_playback, use_sampled, use_url_params, SLICE_MS};
use crate::ui::{performance_now, Route};

use flow::{FlowDiagram, Geometry};
use panels::{CliEntry, CliPane, ConsumerCard, ConsumerOp, Counts, Inspected, Inspector};
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

fn new_run(preset: &str, pattern: PatternId, variant: u64, seed: u64, size: Size) -> MessagingRun {
    let mut v = page_run(preset, pattern, variant.saturating_sub(1) as usize)
        .or_else(|_| page_run("steady", pattern, 0))
        .expect("the steady preset runs every pattern");
    let mut sized = v.scenario.clone();
    size.apply(&mut sized);
    if sized.validate().is_ok() {
        v.scenario = sized;
    }
    let mut run = MessagingRun::new(v.scenario, seed, &v.label)
        .or_else(|_| MessagingRun::new(crate::messaging::Scenario::default(), seed, "default"))
        .expect("the default scenario is valid");
    run.record_trail(FLOWS_KEPT, LIVES_KEPT);
    run
}

/// The run, and beside it when comparing a run of the same workload, seed and faults with `vs`.
fn new_pair(preset: &str, pattern: PatternId, variant: u64, seed: u64, size: Size, vs: Option<PatternId>) -> RunPair {
    let a = new_run(preset, pattern, variant, seed, size);
    let b = vs.and_then(|p| {
        let mut b =
            MessagingRun::new(crate::messaging::same_workload(a.scenario(), p), seed, &format!("{p} (compared)"))
                .ok()?;
        b.record_trail(FLOWS_KEPT, LIVES_KEPT);
        Some(b)
    });
    RunPair { a, b }
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
    /// The last fault or burst the core refused, and why.
    refusal: Option<String>,
}

enum ViewAction {
    Select(Selection),
    Cli {
        command: String,
        output: String,
    },
    Refused(Option<String>),
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
            ViewAction::Refused(r) => s.refusal = r,
            ViewAction::NewRun => {
                s.selection = Selection::Nothing;
                s.refusal = None;
            }
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

fn suggestions(p: PatternId) -> Vec<&'static str> {
    match p {
        PatternId::SimpleQueue => vec!["LLEN queue", "LRANGE queue 0 4", "CLIENT LIST", "INFO clients"],
        PatternId::ReliableQueue => {
            vec!["LLEN queue", "LRANGE processing:0 0 -1", "SMEMBERS workers", "PTTL heartbeat:0"]
        }
        PatternId::Pubsub => vec!["PUBSUB NUMSUB events", "PUBSUB CHANNELS", "CLIENT LIST"],
        PatternId::TaskQueue => {
            vec!["LLEN celery", "HLEN unacked", "ZRANGE unacked_index 0 4 WITHSCORES", "LLEN celery.dead-letter"]
        }
        PatternId::StreamGroup => {
            vec!["XINFO GROUPS stream", "XPENDING stream workers", "XLEN stream", "XLEN stream:dead-letter"]
        }
        PatternId::RequestResponse => vec!["DBSIZE"],
    }
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
        UrlState { sim, preset, pattern, variant, loss, size, vs, notices: q.notices().to_vec() }
    });
    let init = url.initial().clone();
    let tcp_mode = init.preset == TCP_VS_UDP || init.pattern == TCP_VS_UDP;
    let preset = use_state(|| if init.preset == TCP_VS_UDP { "steady".to_string() } else { init.preset.clone() });
    let pattern = use_state(|| init.pattern.parse::<PatternId>().unwrap_or(PatternId::SimpleQueue));
    let variant = use_state(|| init.variant);
    let tcp = use_state(|| tcp_mode);
    let seed = use_state(|| init.sim.seed);
    // Read when a run is rebuilt or the URL written: a callback made before a change still
    // sees the current choice.
    let vs = use_mut_ref(|| init.vs);
    let run = {
        let (p, pat, v, s, size, vs) = ((*preset).clone(), *pattern, *variant, *seed, init.size, init.vs);
        use_mut_ref(move || new_pair(&p, pat, v, s, size, vs))
    };
    let playback = use_playback(run.clone(), init.sim.speed);
    let view = use_reducer(|| ViewState {
        selection: Selection::Nothing,
        transcript: Rc::new(Vec::new()),
        next_entry: 0,
        refusal: None,
    });
    let job = use_frame_job();

    let size = init.size;
    let write_url = {
        let url = url.clone();
        let playback = playback.clone();
        let vs = vs.clone();
        move |seed: u64, preset: &str, pattern: &str, variant: u64| {
            let mut pairs: Vec<(String, String)> = SimParams { seed, speed: playback.speed() }
                .pairs()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
            pairs.push(("preset".into(), preset.to_string()));
            pairs.push(("pattern".into(), pattern.to_string()));
            if variant > 1 {
                pairs.push(("variant".into(), variant.to_string()));
            }
            pairs.extend(size.pairs());
            if let Some(p) = *vs.borrow() {
                pairs.push(("vs".into(), p.id().to_string()));
            }
            url.write(pairs);
        }
    };
    let restart = {
        let run = run.clone();
        let playback = playback.clone();
        let view = view.clone();
        let job = job.clone();
        let vs = vs.clone();
        move |preset: &str, pattern: PatternId, variant: u64, seed: u64| {
            job.cancel();
            *run.borrow_mut() = new_pair(preset, pattern, variant, seed, size, *vs.borrow());
            view.dispatch(ViewAction::NewRun);
            playback.redraw();
        }
    };

    let on_preset = {
        let (preset, pattern, variant, seed, tcp) =
            (preset.clone(), pattern.clone(), variant.clone(), seed.clone(), tcp.clone());
        let restart = restart.clone();
        let write_url = write_url.clone();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
            if v == TCP_VS_UDP {
                tcp.set(true);
                write_url(*seed, TCP_VS_UDP, pattern.id(), 1);
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
            restart(&v, pat, 1, *seed);
            write_url(*seed, &v, pat.id(), 1);
        })
    };
    let on_pattern = {
        let (preset, pattern, variant, seed, tcp) =
            (preset.clone(), pattern.clone(), variant.clone(), seed.clone(), tcp.clone());
        let restart = restart.clone();
        let write_url = write_url.clone();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
            if v == TCP_VS_UDP {
                tcp.set(true);
                write_url(*seed, &preset, TCP_VS_UDP, 1);
                return;
            }
            let Ok(p) = v.parse::<PatternId>() else { return };
            tcp.set(false);
            pattern.set(p);
            variant.set(1);
            restart(&preset, p, 1, *seed);
            write_url(*seed, &preset, p.id(), 1);
        })
    };
    let on_variant = {
        let (preset, pattern, variant, seed) = (preset.clone(), pattern.clone(), variant.clone(), seed.clone());
        let restart = restart.clone();
        let write_url = write_url.clone();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
            let n = v.parse::<u64>().unwrap_or(1).clamp(1, 4);
            variant.set(n);
            restart(&preset, *pattern, n, *seed);
            write_url(*seed, &preset, pattern.id(), n);
        })
    };
    let on_vs = {
        let (preset, pattern, variant, seed) = (preset.clone(), pattern.clone(), variant.clone(), seed.clone());
        let restart = restart.clone();
        let write_url = write_url.clone();
        let vs = vs.clone();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
            *vs.borrow_mut() = v.parse::<PatternId>().ok();
            restart(&preset, *pattern, *variant, *seed);
            write_url(*seed, &preset, pattern.id(), *variant);
        })
    };
    let on_toggle = {
        let run = run.clone();
        let playback = playback.clone();
        let restart = restart.clone();
        let (preset, pattern, variant, seed) = (preset.clone(), pattern.clone(), variant.clone(), seed.clone());
        Callback::from(move |_: ()| {
            if run.borrow().is_done() && !playback.is_playing() {
                restart(&preset, *pattern, *variant, *seed);
                playback.play();
            } else {
                playback.toggle();
            }
        })
    };
    let on_slider = {
        let p = playback.clone();
        let write_url = write_url.clone();
        let (preset, pattern, variant, seed, tcp) =
            (preset.clone(), pattern.clone(), variant.clone(), seed.clone(), tcp.clone());
        Callback::from(move |pos: u32| {
            p.set_slider(pos);
            let pat = if *tcp { TCP_VS_UDP } else { pattern.id() };
            write_url(*seed, &preset, pat, *variant);
        })
    };
    let on_seed = {
        let (preset, pattern, variant, seed) = (preset.clone(), pattern.clone(), variant.clone(), seed.clone());
        let restart = restart.clone();
        let write_url = write_url.clone();
        Callback::from(move |s: u64| {
            seed.set(s);
            restart(&preset, *pattern, *variant, s);
            write_url(s, &preset, pattern.id(), *variant);
        })
    };
    let on_reset = {
        let (preset, pattern, variant, seed) = (preset.clone(), pattern.clone(), variant.clone(), seed.clone());
        let restart = restart.clone();
        Callback::from(move |_| restart(&preset, *pattern, *variant, *seed))
    };
    // Runs the rest of the run in slices of SLICE_MS per frame.
    let on_finish = {
        let run = run.clone();
        let playback = playback.clone();
        let job = job.clone();
        Callback::from(move |_: MouseEvent| {
            playback.pause();
            let run = run.clone();
            let playback = playback.clone();
            job.start(move || {
                let t0 = performance_now();
                let mut r = run.borrow_mut();
                let end = r.end();
                while performance_now() - t0 < SLICE_MS {
                    if r.advance(end, 2_000) {
                        break;
                    }
                }
                let more = !r.is_done();
                drop(r);
                playback.redraw();
                more
            });
        })
    };
    let inject = {
        let run = run.clone();
        let playback = playback.clone();
        let view = view.clone();
        Callback::from(move |fault: Fault| {
            let r = run.borrow_mut().inject(fault);
            view.dispatch(ViewAction::Refused(r.err().map(|e| e.to_string())));
            playback.redraw();
        })
    };
    let on_consumer_op = {
        let inject = inject.clone();
        let view = view.clone();
        use_callback((), move |(i, op): (u32, ConsumerOp), _| match op {
            ConsumerOp::Crash => inject.emit(Fault::Crash { consumer: i, at_ms: 0, down_ms: 3_000 }),
            ConsumerOp::Slow => inject.emit(Fault::Slow { consumer: i, at_ms: 0, factor: 10.0, for_ms: 5_000 }),
            ConsumerOp::Inspect => view.dispatch(ViewAction::Select(Selection::Consumer(i))),
        })
    };
    let fault_button = |label: &'static str, testid: &'static str, fault: Fault| {
        let inject = inject.clone();
        html! {
            <button type="button" class="button button--quiet" data-testid={testid}
                    onclick={Callback::from(move |_: MouseEvent| inject.emit(fault.clone()))}>{ label }</button>
        }
    };
    let on_burst = {
        let run = run.clone();
        let playback = playback.clone();
        let view = view.clone();
        Callback::from(move |_: MouseEvent| {
            let r = run.borrow_mut().burst(500, 1_000);
            view.dispatch(ViewAction::Refused(r.err().map(|e| e.to_string())));
            playback.redraw();
        })
    };
    let on_message = {
        let view = view.clone();
        Callback::from(move |m: MsgId| view.dispatch(ViewAction::Select(Selection::Message(m))))
    };
    let on_inspect = on_message.clone();
    let on_cli = {
        let run = run.clone();
        let view = view.clone();
        Callback::from(move |line: String| {
            let line = line.trim().to_string();
            if line.is_empty() {
                return;
            }
            let output = match run.borrow().a.query(&line) {
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
                    vs={AttrValue::from("none")} on_preset={on_preset} on_pattern={on_pattern} on_variant={on_variant} on_vs={on_vs} />
                <TransportView seed={*seed} loss={init.loss} />
            </section>
        };
    }

    let pair = run.borrow();
    let r = &pair.a;
    let report = r.report();
    let stats = r.stats();
    let sc = r.scenario().clone();
    let consumers = r.consumers();
    let trail = r.trail();
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
    let series = r.series();
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
    let sent = r.recent_commands(SENT_SHOWN);
    let now_ms = r.now().saturating_since(crate::sim::TEST_EPOCH).as_millis();
    let end_ms = sc.produce_for_ms.saturating_add(sc.drain_ms);
    let done = r.is_done();
    let label = r.label().to_string();
    let broker_up = r.broker_up();
    let partitioned = r.is_partitioned();
    let clock = crate::sim::SimDuration::from_millis(now_ms).clock_string();
    let other = pair.b.as_ref().map(|b| Other {
        label: b.label().to_string(),
        pattern: b.scenario().pattern,
        report: b.report(),
        stats: b.stats(),
        flows: b.trail().map(|t| t.flows().iter().copied().collect()).unwrap_or_default(),
        consumers: b.consumers(),
        depth: b.series().last().map_or(0, |s| s.depth),
        broker_up: b.broker_up(),
        partitioned: b.is_partitioned(),
        done: b.is_done(),
    });
    let done = done && other.as_ref().is_none_or(|o| o.done);
    drop(pair);
    {
        let playback = playback.clone();
        use_effect_with((done, playback.is_playing()), move |(done, playing)| {
            if *done && *playing {
                playback.pause();
            }
        });
    }
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

    html! {
        <section class="model-page msg-page" data-testid="page-messaging">
            <PageHeader title={info.title} lede={info.lede} />
            <ParamNotices notices={init.notices.clone()} />
            <Pickers preset={(*preset).clone()} pattern={pattern.id()} variants={variants} variant={*variant}
                vs={AttrValue::from(other.as_ref().map_or("none", |o| o.pattern.id()))}
                on_preset={on_preset} on_pattern={on_pattern} on_variant={on_variant} on_vs={on_vs} />
            <ControlsBar
                playing={playback.is_playing()}
                slider={playback.slider()}
                clock={AttrValue::from(clock)}
                behind={playback.behind_text().map(AttrValue::from)}
                seed={*seed}
                {on_toggle} on_step={playback.on_step()} on_next={playback.on_next()} {on_slider} {on_seed} {on_reset}
            />
            <div class={classes!("msg-pair", other.is_some().then_some("msg-pair--two"))}>
            <div class="panel msg-live" data-testid="msg-live">
                <div class="msg-live__head">
                    <h2>{ label }</h2>
                    <p class="msg-muted" data-testid="msg-status">
                        { format!("{} producers × {} msg/s · {} {}s × {} · ", sc.producers.count, sc.producers.rate_per_s,
                            sc.consumers.count, noun(sc.pattern), sc.consumers.concurrency) }
                        <span data-testid="msg-run-status" class={classes!(done.then_some("msg-finished"))}>{ status }</span>
                    </p>
                </div>
                if let Some(o) = &other {
                    <p class="msg-muted" data-testid="msg-faults-both">
                        { format!("Faults, peak load and the workers' crash/slow buttons apply to this run and to {} at the same virtual time.", o.pattern) }
                    </p>
                }
                <div class="msg-faults" role="group" aria-label={if other.is_some() { "Faults (both runs)" } else { "Faults" }}>
                    <button type="button" class="button button--quiet" data-testid="msg-burst" onclick={on_burst}>{ "Peak load: +500 in 1 s" }</button>
                    { fault_button("Partition consumers 3 s", "msg-partition", Fault::Partition { at_ms: 0, for_ms: 3_000 }) }
                    if sc.pattern != PatternId::RequestResponse {
                        { fault_button("Restart broker (2 s down)", "msg-broker-restart", Fault::BrokerRestart { at_ms: 0, down_ms: 2_000 }) }
                    }
                    { fault_button("Downstream outage 3 s", "msg-outage", Fault::Outage { at_ms: 0, for_ms: 3_000 }) }
                    if !done {
                        <button type="button" class="button button--quiet" data-testid="msg-finish" onclick={on_finish}>{ "Run to end ⇥" }</button>
                    }
                </div>
                if let Some(why) = &view.refusal {
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
                            secs(sc.produce_for_ms), secs(sc.drain_ms), *seed) }
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
            <CliPane transcript={view.transcript.clone()} suggestions={suggestions(sc.pattern)} sent={sent} on_run={on_cli} />
            <linear::MsgLinearPanel run={linear::PairRef(run.clone())} events={run.borrow().a.events()} on_inspect={on_inspect} />
        </section>
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
    on_preset: Callback<Event>,
    on_pattern: Callback<Event>,
    on_variant: Callback<Event>,
    on_vs: Callback<Event>,
}

#[component]
fn Pickers(props: &PickersProps) -> Html {
    let summary = if props.preset == TCP_VS_UDP {
        "TCP and UDP over one lossy, duplicating, reordering link: UDP shows the loss; TCP retransmits and delivers in order, with head-of-line blocking as latency spikes."
    } else {
        preset_summary(&props.preset)
    };
    html! {
        <div class="panel msg-pickers" data-testid="msg-pickers">
            <label class="field">
                <span>{ "Preset" }</span>
                <select data-testid="msg-preset" onchange={props.on_preset.clone()}>
                    { for all_presets().into_iter().map(|p| html! { <option value={p} selected={props.preset == p}>{ p }</option> }) }
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
