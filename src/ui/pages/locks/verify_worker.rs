//! The Verify panel's Web Worker: the messages between the page and the worker, the worker's side
//! (`worker_main`, the entry of `src/bin/verify_worker.rs`), and the page's handle on it.
//!
//! Trunk builds the worker from `<link data-trunk rel="rust" data-bin="verify_worker"
//! data-type="worker" data-bindgen-target="web" data-loader-shim>` as `verify_worker.js`,
//! `verify_worker_bg.wasm` and `verify_worker_loader.js` (worker files are not hashed). The page starts
//! it as a module `Worker` on the loader's URL resolved against `<base>`, so it works under the
//! Pages sub-path, and the Content-Security-Policy's `script-src 'self'` (the fallback of
//! `worker-src`) covers it.
//!
//! Messages are JSON text. In: [`WorkerIn`] (`{"type":"start","config":…,"epoch_ms":…}`). Out:
//! [`WorkerOut`] — `progress` about every [`PROGRESS_MS`] of wall time, then `done` (the report,
//! the counterexample the page replays, the rate) or `error`. Cancel is `Worker.terminate()`: it
//! stops the search mid-slice, and the next Run starts a fresh worker.

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::sim::SimTime;
use crate::verify::lock::{replay_choice, trace_replay, CheckConfig, Property, Search, TraceStep};

/// States generated per slice between two looks at the clock.
pub const SLICE: u64 = 20_000;
/// Wall ms between two progress messages.
pub const PROGRESS_MS: f64 = 100.0;
/// The loader Trunk writes for the worker (relative to `<base>`).
pub const LOADER: &str = "verify_worker_loader.js";

/// What the page asks of the worker.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum WorkerIn {
    /// Run this check; a counterexample is replayed on a run starting at `epoch_ms`.
    Start { config: CheckConfig, epoch_ms: u64 },
}

/// Progress figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProgressMsg {
    /// Successor states generated (duplicates included).
    pub states: u64,
    pub unique_states: u64,
    pub depth: u32,
    pub elapsed_ms: f64,
    pub states_per_s: f64,
}

/// One property's answer, as the page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutcomeView {
    pub property: Property,
    pub sentence: String,
    /// `counterexample` or `no-counterexample`.
    pub result: String,
    pub depth: u32,
    pub summary: String,
    pub trace: Vec<TraceStep>,
}

/// The counterexample the page can open on the timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplayView {
    pub property: Property,
    /// The lock replay file's text (scenario, seed, epoch, action log, cursor at the violation).
    pub replay_json: String,
    pub reproduced: bool,
    pub violation_ms: Option<u64>,
    pub notes: Vec<String>,
}

/// The whole answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DoneMsg {
    pub config: CheckConfig,
    pub states: u64,
    pub unique_states: u64,
    pub depth: u32,
    /// `all-found`, `exhausted`, `depth` or `state-limit`.
    pub stop: String,
    pub complete: bool,
    pub elapsed_ms: f64,
    pub states_per_s: f64,
    pub outcomes: Vec<OutcomeView>,
    pub replay: Option<ReplayView>,
}

/// What the worker tells the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum WorkerOut {
    /// The worker has loaded and listens (the page sends its request then: a message posted before
    /// the wasm module is initialised would find no handler).
    Ready,
    Progress(ProgressMsg),
    Done(Box<DoneMsg>),
    Error {
        message: String,
    },
}

fn rate(states: u64, ms: f64) -> f64 {
    if ms > 0.0 {
        states as f64 / ms * 1000.0
    } else {
        0.0
    }
}

/// Runs one request to the end, posting progress and the answer through `post`. `now` is a
/// monotonic wall clock in ms (the worker's `performance.now()`); the search itself never reads it.
pub fn run_request(text: &str, now: impl Fn() -> f64, mut post: impl FnMut(WorkerOut)) {
    let req: WorkerIn = match serde_json::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            post(WorkerOut::Error { message: format!("the check request is not understood: {e}") });
            return;
        }
    };
    let WorkerIn::Start { config, epoch_ms } = req;
    let mut search = match Search::new(config.clone()) {
        Ok(s) => s,
        Err(e) => {
            post(WorkerOut::Error { message: e.to_string() });
            return;
        }
    };
    let start = now();
    let mut last = start;
    while !search.is_done() {
        let p = search.run_slice(SLICE);
        let t = now();
        if t - last >= PROGRESS_MS && !p.done {
            last = t;
            post(WorkerOut::Progress(ProgressMsg {
                states: p.states,
                unique_states: p.unique_states,
                depth: p.depth,
                elapsed_ms: t - start,
                states_per_s: rate(p.states, t - start),
            }));
        }
    }
    let elapsed_ms = now() - start;
    let report = search.report();
    let replay = replay_choice(&report).map(|o| {
        let t = trace_replay(&report.config, o, SimTime::from_unix_ms(epoch_ms));
        ReplayView {
            property: t.property,
            replay_json: t.replay.to_json(),
            reproduced: t.reproduced,
            violation_ms: t.violation_ms,
            notes: t.notes,
        }
    });
    let stop = serde_json::to_value(report.stop).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    post(WorkerOut::Done(Box::new(DoneMsg {
        config: report.config.clone(),
        states: report.states,
        unique_states: report.unique_states,
        depth: report.depth,
        stop,
        complete: report.complete,
        elapsed_ms,
        states_per_s: rate(report.states, elapsed_ms),
        outcomes: report
            .outcomes
            .into_iter()
            .map(|o| OutcomeView {
                property: o.property,
                sentence: o.sentence.to_string(),
                result: o.result.to_string(),
                depth: o.depth,
                summary: o.summary,
                trace: o.trace,
            })
            .collect(),
        replay,
    })));
}

/// The worker's entry point: answers each `start` message (one at a time; the page terminates
/// the worker to cancel).
pub fn worker_main() {
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let poster = scope.clone();
    let perf = scope.performance();
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
        let text = e.data().as_string().unwrap_or_default();
        let now = || perf.as_ref().map_or_else(js_sys::Date::now, |p| p.now());
        run_request(&text, now, |out| {
            if let Ok(json) = serde_json::to_string(&out) {
                let _ = poster.post_message(&JsValue::from_str(&json));
            }
        });
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker's scope (a terminated worker frees both).
    on_message.forget();
    if let Ok(json) = serde_json::to_string(&WorkerOut::Ready) {
        let _ = scope.post_message(&JsValue::from_str(&json));
    }
}

/// The page's handle on a running worker: terminated when dropped.
pub struct WorkerHandle {
    worker: web_sys::Worker,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::ErrorEvent)>,
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

/// The loader's URL, resolved against the document's `<base>` (the Pages sub-path).
fn loader_url() -> Result<String, String> {
    let doc = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let base = doc.base_uri().ok().flatten().unwrap_or_else(|| "/".into());
    web_sys::Url::new_with_base(LOADER, &base).map(|u| u.href()).map_err(|e| format!("{e:?}"))
}

/// Starts a worker on `request`; `on_out` gets every message, `on_error` a sentence when the worker
/// cannot start or fails.
pub fn spawn(
    request: &WorkerIn,
    on_out: impl Fn(WorkerOut) + 'static,
    on_error: impl Fn(String) + 'static,
) -> Result<WorkerHandle, String> {
    let url = loader_url()?;
    let opts = web_sys::WorkerOptions::new();
    opts.set_type(web_sys::WorkerType::Module);
    let worker = web_sys::Worker::new_with_options(&url, &opts)
        .map_err(|e| format!("the checker's worker could not start ({url}): {e:?}"))?;
    let text = serde_json::to_string(request).map_err(|e| e.to_string())?;
    let sender = worker.clone();
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
        match e.data().as_string().map(|t| serde_json::from_str::<WorkerOut>(&t)) {
            Some(Ok(WorkerOut::Ready)) => {
                if let Err(e) = sender.post_message(&JsValue::from_str(&text)) {
                    on_out(WorkerOut::Error { message: format!("the request could not be sent to the worker: {e:?}") });
                }
            }
            Some(Ok(out)) => on_out(out),
            Some(Err(err)) => {
                on_out(WorkerOut::Error { message: format!("the worker's answer is not understood: {err}") })
            }
            None => {}
        }
    });
    let on_err = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
        e.prevent_default();
        let m = e.message();
        on_error(if m.is_empty() {
            "the checker's worker failed to load".into()
        } else {
            format!("the checker's worker failed: {m}")
        });
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_err.as_ref().unchecked_ref()));
    Ok(WorkerHandle { worker, _on_message: on_message, _on_error: on_err })
}
