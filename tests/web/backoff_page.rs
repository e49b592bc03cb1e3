//! Browser tests of the backoff page: the whole app under a memory router at /backoff with a query,
//! real clicks and `change` events, assertions on what is drawn.

use gloo_timers::future::TimeoutFuture;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::Element;

use crate::support::*;

/// Mounts the app at `path`. The herd section starts itself; `m=20&dur=5` in tests keeps it tiny.
async fn mount(path: &str) -> (Element, yew::AppHandle<Routed<LayoutWithQuery>>) {
    let (root, handle) = mount_at::<LayoutWithQuery>(path).await;
    assert!(by_testid(&root, "page-backoff").is_some(), "{path} renders the backoff page");
    (root, handle)
}

fn text(root: &Element, testid: &str) -> String {
    by_testid(root, testid).unwrap_or_else(|| panic!("no [data-testid={testid}]")).text_content().unwrap_or_default()
}

fn all(root: &Element, selector: &str) -> Vec<Element> {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length()).map(|i| list.item(i).unwrap().dyn_into::<Element>().unwrap()).collect()
}

fn texts(root: &Element, selector: &str) -> Vec<String> {
    all(root, selector).iter().map(|e| e.text_content().unwrap_or_default()).collect()
}

/// Types `value` into a form field and fires the bubbling `change` a user's Enter or blur fires.
fn set_field(root: &Element, name: &str, value: &str) {
    let input = by_testid(root, &format!("field-{name}")).unwrap_or_else(|| panic!("no field {name}"));
    set_value(&input, value, "change");
}

/// Waits (in 20 ms steps, at most 15 s) until `cond` holds.
async fn until(what: &str, cond: impl Fn() -> bool) {
    for _ in 0..750 {
        if cond() {
            return;
        }
        TimeoutFuture::new(20).await;
    }
    panic!("timed out waiting for {what}");
}

const SMALL_HERD: &str = "m=20&c=30&t1=1&t2=2&dur=4";

#[wasm_bindgen_test]
async fn the_reference_schedule_is_drawn_exactly() {
    let (root, handle) = mount(&format!("/backoff?{SMALL_HERD}")).await;
    assert!(text(&root, "attempts-statement").contains("maxRetries = 4 means up to five attempts and four waits"));
    // The intro names whose comment it corrects (issue 11: "the reference's own comment" named none).
    assert!(text(&root, "attempts-statement")
        .contains("The retry helper modelled here, retry(call, onRetry, maxRetries) with 2ⁿ × 100 ms waits, says in its own doc comment"));
    // Nothing has happened before the call is played.
    assert_eq!(all(&root, "[data-testid='seq-attempt']").len(), 0);
    assert_eq!(texts(&root, "[data-testid='delay-sample']"), vec!["200 ms", "400 ms", "800 ms", "1600 ms"]);
    click(&by_testid(&root, "one-call-finish").unwrap());
    settle().await;
    assert_eq!(all(&root, "[data-testid='seq-attempt']").len(), 4, "four attempt arrows");
    assert_eq!(all(&root, "[data-testid='seq-reply']").len(), 4, "four replies");
    assert_eq!(all(&root, ".bo-seq__reply--fail").len(), 3);
    assert_eq!(all(&root, ".bo-seq__reply--ok").len(), 1);
    assert_eq!(texts(&root, ".bo-seq__wait-label"), vec!["wait 200 ms", "wait 400 ms", "wait 800 ms"]);
    assert_eq!(texts(&root, "[data-testid='attempt-wait']"), vec!["0 ms", "200 ms", "400 ms", "800 ms"]);
    assert_eq!(all(&root, "[data-testid='attempts-table'] tbody tr").len(), 4);
    assert_eq!(all(&root, "[data-testid='on-retry-log'] li").len(), 3);
    let outcome = text(&root, "one-call-outcome");
    assert!(outcome.contains("Success on attempt 4") && outcome.contains("t = 1400 ms"), "{outcome}");
    assert!(text(&root, "seq-outcome").contains("success on attempt 4 at 1400 ms"));
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn playing_with_the_controls_bar_reaches_the_outcome_and_pauses() {
    let (root, handle) = mount(&format!("/backoff?speed=100&{SMALL_HERD}")).await;
    click(&by_testid(&root, "step").unwrap());
    settle().await;
    assert_eq!(all(&root, "[data-testid='seq-attempt']").len(), 1, "one step sends attempt 0");
    assert_eq!(all(&root, "[data-testid='seq-reply']").len(), 0);
    click(&by_testid(&root, "play-toggle").unwrap());
    until("the call to finish", || by_testid(&root, "seq-outcome").is_some()).await;
    settle().await;
    assert_eq!(
        by_testid(&root, "play-toggle").unwrap().get_attribute("aria-pressed").as_deref(),
        Some("false"),
        "it pauses at the outcome"
    );
    let clock = text(&root, "clock");
    assert!(clock.contains("0:00:01."), "the clock stops just after the 1400 ms outcome: {clock}");
    assert_eq!(texts(&root, "[data-testid='attempt-wait']"), vec!["0 ms", "200 ms", "400 ms", "800 ms"]);
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn k_of_five_gives_the_error_after_four_waits() {
    let (root, handle) = mount(&format!("/backoff?{SMALL_HERD}")).await;
    set_field(&root, "k", "5");
    settle().await;
    click(&by_testid(&root, "one-call-finish").unwrap());
    settle().await;
    assert_eq!(all(&root, "[data-testid='seq-attempt']").len(), 5);
    assert_eq!(texts(&root, ".bo-seq__wait-label"), vec!["wait 200 ms", "wait 400 ms", "wait 800 ms", "wait 1600 ms"]);
    assert_eq!(texts(&root, "[data-testid='attempt-wait']"), vec!["0 ms", "200 ms", "400 ms", "800 ms", "1600 ms"]);
    let outcome = text(&root, "one-call-outcome");
    assert!(outcome.contains("Error 503 Service Unavailable reaches the caller at t = 3000 ms"), "{outcome}");
    assert!(by_testid(&root, "seq-outcome").unwrap().get_attribute("class").unwrap().contains("fail"));
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn bad_url_parameters_and_bad_fields_are_named() {
    let (root, handle) = mount(&format!("/backoff?max_retries=lots&runs=0&policy=magic&{SMALL_HERD}")).await;
    let notices = text(&root, "param-notices");
    for part in ["`max_retries`", "\"lots\"", "`runs`", "`policy`", "\"magic\""] {
        assert!(notices.contains(part), "the notice names {part}: {notices}");
    }
    // The defaults stand in: the reference call.
    assert!(text(&root, "attempts-statement").contains("maxRetries = 4"));
    set_field(&root, "k", "-2");
    settle().await;
    let errors = text(&root, "one-call-errors");
    assert!(errors.contains("k \"-2\" is not accepted: expected a whole number from 0 to 50"), "{errors}");
    // A combination only the core can judge: a cap below the base.
    set_field(&root, "k", "3");
    set_field(&root, "cap_ms", "50");
    settle().await;
    let errors = text(&root, "one-call-errors");
    assert!(errors.contains("Cap 50 ms is below base 100 ms: expected cap ≥ base."), "{errors}");
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn a_tiny_sweep_runs_to_completion_draws_charts_and_is_cached() {
    let (root, handle) =
        mount(&format!("/backoff?seed=4242&runs=1&n_from=10&n_to=30&n_step=10&hist_n=20&{SMALL_HERD}")).await;
    assert!(text(&root, "sweep-status").contains("Not run yet"));
    assert_eq!(all(&root, "[data-testid='histograms'] svg.chart").len(), 5, "five histograms are drawn at once");
    click(&by_testid(&root, "sweep-run").unwrap());
    until("the sweep to finish", || by_testid(&root, "sweep-time").is_some()).await;
    let time = text(&root, "sweep-time");
    assert!(time.contains("in this tab"), "{time}");
    let lines = all(&root, "[data-testid='chart-calls'] path.line");
    assert_eq!(lines.len(), 5, "one line per strategy");
    for l in &lines {
        assert_eq!(l.get_attribute("d").unwrap().matches('L').count(), 2, "three points (N = 10, 20, 30)");
    }
    assert_eq!(all(&root, "[data-testid='chart-time'] path.line").len(), 5);
    assert!(by_testid(&root, "sweep-export").is_some());
    // Other settings, then back: the first result comes from the cache, not a new run.
    set_field(&root, "runs", "2");
    settle().await;
    assert!(text(&root, "sweep-status").contains("Not run yet"));
    set_field(&root, "runs", "1");
    settle().await;
    assert!(text(&root, "sweep-time").contains("from the cache"));
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn a_long_sweep_shows_progress_and_cancel_stops_it() {
    let (root, handle) = mount(&format!("/backoff?seed=777&runs=1000&{SMALL_HERD}")).await;
    click(&by_testid(&root, "sweep-run").unwrap());
    settle().await;
    let progress = by_testid(&root, "sweep-progress").expect("a progress bar while running");
    assert_eq!(progress.get_attribute("max").as_deref(), Some("95000"));
    until("some progress", || {
        by_testid(&root, "sweep-progress").and_then(|p| p.get_attribute("value")).map(|v| v != "0").unwrap_or(false)
    })
    .await;
    click(&by_testid(&root, "sweep-cancel").unwrap());
    settle().await;
    assert!(by_testid(&root, "sweep-progress").is_none());
    let cancelled = text(&root, "sweep-cancelled");
    assert!(cancelled.starts_with("Cancelled after "), "{cancelled}");
    // No more frames run for it.
    TimeoutFuture::new(100).await;
    assert_eq!(text(&root, "sweep-cancelled"), cancelled);
    assert!(by_testid(&root, "sweep-time").is_none());
    let run = by_testid(&root, "sweep-run").unwrap();
    assert!(!run.has_attribute("disabled"), "a new sweep can start");
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn the_herd_runs_by_itself_and_draws_both_charts() {
    let (root, handle) = mount(&format!("/backoff?{SMALL_HERD}")).await;
    until("the herd to finish", || by_testid(&root, "herd-charts").is_some()).await;
    // Five strategies and the capacity line, without and with the budget.
    assert_eq!(all(&root, "[data-testid='chart-herd-none'] path.line").len(), 6);
    assert_eq!(all(&root, "[data-testid='chart-herd-budget'] path.line").len(), 6);
    assert_eq!(all(&root, "[data-testid='herd-table'] tbody tr").len(), 10);
    assert!(by_testid(&root, "herd-export").is_some());
    set_field(&root, "t2", "0");
    click(&by_testid(&root, "herd-run").unwrap());
    settle().await;
    let errors = text(&root, "herd-errors");
    assert!(errors.contains("Outage 1000..0 ms is reversed: expected t1 ≤ t2."), "{errors}");
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn the_scenario_is_written_back_to_the_url() {
    let (root, handle) = mount(&format!("/backoff?seed=9&k=2&{SMALL_HERD}")).await;
    settle().await;
    let q = router_query(&root);
    for part in [
        "seed=9",
        "policy=exponential",
        "max_retries=4",
        "api=fail_first",
        "k=2",
        "speed=1",
        "runs=100",
        "n_from=10",
        "m=20",
        "dur=4",
    ] {
        assert!(q.contains(part), "the URL keeps {part}: {q}");
    }
    set_field(&root, "k", "5");
    set_field(&root, "runs", "7");
    settle().await;
    let q = router_query(&root);
    assert!(q.contains("k=5") && q.contains("runs=7") && !q.contains("k=2"), "{q}");
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn a_live_contention_run_plays_until_every_client_is_done() {
    let (root, handle) = mount(&format!("/backoff?seed=11&{SMALL_HERD}")).await;
    assert!(by_testid(&root, "live-contention").is_none(), "mounted on demand");
    click(&by_testid(&root, "live-toggle").unwrap());
    settle().await;
    let live = by_testid(&root, "live-contention").expect("the live view opens");
    assert_eq!(all(&live, ".bo-live__grid circle").len(), 20, "one dot per client");
    assert!(text(&live, "live-stats").contains("Row version 0 · writes 0"));
    // Full speed, then play.
    set_value(&by_testid(&live, "speed").unwrap(), "1000", "input");
    click(&by_testid(&live, "play-toggle").unwrap());
    until("every client to succeed", || text(&live, "live-stats").contains("all done")).await;
    let stats = text(&live, "live-stats");
    assert!(stats.starts_with("Row version 20 · "), "twenty successful writes: {stats}");
    assert_eq!(all(&live, ".bo-live__grid circle.bo-phase--done").len(), 20);
    // The run is over: it says so, stands still, and offers a replay.
    until("the end to be announced", || by_testid(&live, "live-finished").is_some()).await;
    settle().await;
    assert!(text(&live, "play-toggle").contains("Play"));
    let clock = text(&live, "clock");
    TimeoutFuture::new(200).await;
    assert_eq!(text(&live, "clock"), clock, "the clock stops at the last reply");
    click(&by_testid(&live, "live-replay").unwrap());
    settle().await;
    assert!(text(&live, "live-stats").contains("still trying") || by_testid(&live, "live-finished").is_some());
    until("the replay to finish", || by_testid(&live, "live-finished").is_some()).await;
    assert_eq!(text(&live, "live-stats"), stats, "a replay is the same run");
    // The one-call player did not move.
    assert_eq!(all(&root, "[data-testid='seq-attempt']").len(), 0);
    handle.destroy();
    root.remove();
}

/// grpc/grpc doc/connection-backoff.md on the page: the attempts table shows each attempt's
/// backoff deadline and how long it may run (max(deadline, start + 20 s)), and the next attempt
/// starts at the backoff deadline even when the failure came later.
#[wasm_bindgen_test]
async fn grpc_attempts_show_their_deadlines() {
    let (root, handle) = mount(&format!("/backoff?policy=grpc&latency_ms=300&{SMALL_HERD}")).await;
    click(&by_testid(&root, "one-call-finish").unwrap());
    settle().await;
    let backoff = texts(&root, "[data-testid='attempt-backoff-deadline']");
    let connect = texts(&root, "[data-testid='attempt-connect-deadline']");
    assert_eq!(backoff[0], "1000 ms", "{backoff:?}");
    assert_eq!(connect[0], "20000 ms", "{connect:?}");
    let waits = texts(&root, "[data-testid='attempt-wait']");
    assert_eq!(waits[1], "700 ms", "1 s from the first start, 300 ms of which the attempt took: {waits:?}");
    assert!(text(&root, "grpc-note").contains("between attempt starts"));
    handle.destroy();
    root.remove();
}

/// A 2 KB value in a field is repeated back clipped, and the notice stays inside the page.
#[wasm_bindgen_test]
async fn a_huge_bad_value_is_clipped_in_its_notice() {
    let (root, handle) = mount(&format!("/backoff?{SMALL_HERD}")).await;
    set_field(&root, "k", &"9".repeat(2_000));
    settle().await;
    let errors = text(&root, "one-call-errors");
    assert!(errors.contains("… (2000 characters)") && errors.len() < 400, "{errors}");
    let notice = by_testid(&root, "one-call-errors").unwrap();
    let section = by_testid(&root, "one-call").unwrap();
    assert!(notice.get_bounding_client_rect().width() <= section.get_bounding_client_rect().width());
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn a_deadline_ends_the_call_and_the_seed_redraws_jitter() {
    let (root, handle) =
        mount(&format!("/backoff?api=down&from_ms=0&to_ms=1000&max_elapsed_ms=1000&{SMALL_HERD}")).await;
    click(&by_testid(&root, "one-call-finish").unwrap());
    settle().await;
    assert_eq!(texts(&root, ".bo-seq__wait-label"), vec!["wait 200 ms", "wait 400 ms"]);
    let outcome = text(&root, "one-call-outcome");
    assert!(outcome.contains("at t = 600 ms: the next wait would pass the deadline"), "{outcome}");
    // Full jitter draws its waits from the seed: another seed, other waits, and the URL follows.
    set_field(&root, "max_elapsed_ms", "");
    set_value(&by_testid(&root, "field-policy").unwrap(), "full_jitter", "change");
    settle().await;
    let before = texts(&root, "[data-testid='delay-sample']");
    let seed = by_testid(&root, "seed").unwrap();
    set_value(&seed, "8", "input");
    let form = seed.closest("form").unwrap().unwrap();
    let submit = document().create_event("Event").unwrap();
    submit.init_event_with_bubbles_and_cancelable("submit", true, true);
    form.dispatch_event(&submit).unwrap();
    settle().await;
    let after = texts(&root, "[data-testid='delay-sample']");
    assert_eq!(after.len(), 4);
    assert_ne!(before, after, "seed 8 draws other waits");
    let q = router_query(&root);
    assert!(q.contains("seed=8") && q.contains("policy=full_jitter"), "{q}");
    handle.destroy();
    root.remove();
}

/// The phase classes of the live grid's dots, in client order.
fn dot_phases(live: &Element) -> Vec<String> {
    all(live, ".bo-live__grid circle").iter().map(|c| c.get_attribute("class").unwrap_or_default()).collect()
}

fn phase_class(p: playground::backoff::ClientPhase) -> &'static str {
    use playground::backoff::ClientPhase;
    match p {
        ClientPhase::Reading => "bo-phase bo-phase--reading",
        ClientPhase::ReadReply => "bo-phase bo-phase--read-reply",
        ClientPhase::Writing => "bo-phase bo-phase--writing",
        ClientPhase::WriteReply => "bo-phase bo-phase--write-reply",
        ClientPhase::Done => "bo-phase bo-phase--done",
    }
}

/// Issue 15 on the backoff page: the live contention run, played to its end and scrubbed back,
/// draws exactly what a fresh run of the contention loop advanced to that time draws (every dot's
/// phase, the row's version and writes), with the core's digest; ← and → step one event; an
/// outside write while rewound starts a new branch with a fault mark; and a link with the log and
/// cursor opens the same moment.
#[wasm_bindgen_test]
async fn the_live_run_scrubs_back_to_exactly_a_fresh_run_at_that_time_and_branches() {
    use playground::backoff::replay::{log_to_query, ContentionRewind, LiveAction, LiveContention};
    use playground::backoff::{ContentionParams, ContentionRun, Strategy};
    use playground::sim::rewind::Seek;
    use playground::sim::TEST_EPOCH;

    let path = format!("/backoff?seed=5&{SMALL_HERD}&live=1&live_clients=30&live_strategy=equal_jitter");
    let (root, handle) = mount(&path).await;
    let live = by_testid(&root, "live-contention").expect("live=1 opens the live view");
    assert_eq!(all(&live, ".bo-live__grid circle").len(), 30);
    set_value(&by_testid(&live, "speed").unwrap(), "1000", "input");
    click(&by_testid(&live, "play-toggle").unwrap());
    until("the run to end", || by_testid(&live, "live-finished").is_some()).await;
    settle().await;
    let (end_digest, end_stats) = (attr(&live, "scrubber", "data-digest"), text(&live, "live-stats"));
    assert!(end_stats.starts_with("Row version 30 · "), "{end_stats}");
    assert!(query(&live, "[data-kind='handover']").is_some(), "half and all done are marks on the track");

    // Back to 60 ms: the drawing is the contention loop's at 60 ms, dot for dot.
    let params = ContentionParams::blog(30, Strategy::EqualJitter);
    for t in [60u64, 23, 140] {
        drag_to(&live, t);
        settle().await;
        assert_eq!(attr(&live, "scrubber", "data-cursor-ms"), t.to_string());
        assert!(by_testid(&live, "live-finished").is_none());
        let mut fresh = ContentionRun::seeded(params.clone(), 5, 0).unwrap();
        fresh.advance_to_ms(t as f64);
        let want: Vec<String> = fresh.phases().into_iter().map(|p| phase_class(p).to_string()).collect();
        assert_eq!(dot_phases(&live), want, "the dots at {t} ms");
        let r = fresh.result();
        let stats = text(&live, "live-stats");
        assert!(
            stats.starts_with(&format!(
                "Row version {} · writes {} ({} lost)",
                fresh.version(),
                r.calls,
                r.failed_writes
            )),
            "{stats} at {t} ms"
        );
        let mut core = ContentionRewind::new(LiveContention::build(&params, 5, TEST_EPOCH).unwrap());
        core.seek(Seek::Time(t));
        assert_eq!(attr(&live, "scrubber", "data-digest"), core.digest(), "at {t} ms");
    }
    // ← steps back one event, → forward again to the same state.
    let (events, digest) = (attr(&live, "scrubber", "data-cursor-events"), attr(&live, "scrubber", "data-digest"));
    keydown(&document(), "ArrowLeft");
    settle().await;
    let back: u64 = attr(&live, "scrubber", "data-cursor-events").parse().unwrap();
    assert_eq!(back + 1, events.parse::<u64>().unwrap());
    keydown(&document(), "ArrowRight");
    settle().await;
    assert_eq!(attr(&live, "scrubber", "data-digest"), digest);

    // An outside write while rewound (about 140 ms): a new branch, a fault mark, one logged action.
    let at = attr(&live, "scrubber", "data-cursor-ms");
    let events_at_act: u64 = attr(&live, "scrubber", "data-cursor-events").parse().unwrap();
    click(&by_testid(&live, "live-outside-write").unwrap());
    settle().await;
    assert!(text(&live, "scrub-branch").contains("New branch"), "{}", text(&live, "scrub-branch"));
    assert!(query(&live, "[data-kind='fault']").is_some());
    assert!(text(&live, "replay-download").contains("1 action"));
    assert_eq!(attr(&live, "scrubber", "data-horizon-ms"), at, "the old future is gone");
    keydown(&document(), " ");
    until("the new branch to end", || by_testid(&live, "live-finished").is_some()).await;
    settle().await;
    let stats = text(&live, "live-stats");
    assert!(stats.starts_with("Row version 31 · "), "thirty successes and the outside write: {stats}");
    assert_ne!(attr(&live, "scrubber", "data-digest"), end_digest);
    let (events, digest, ms) = (
        attr(&live, "scrubber", "data-cursor-events"),
        attr(&live, "scrubber", "data-digest"),
        attr(&live, "scrubber", "data-cursor-ms"),
    );
    // The page wrote the run to its URL.
    let q = router_query(&root);
    assert!(q.contains("live=1") && q.contains("live_clients=30") && q.contains(&format!("t={ms}")), "{q}");
    handle.destroy();
    root.remove();

    // A link with the log and the cursor opens the same run at the same moment.
    let mut core = ContentionRewind::new(LiveContention::build(&params, 5, TEST_EPOCH).unwrap());
    core.seek(Seek::At(playground::sim::rewind::Cursor { events: events_at_act, at_ms: at.parse().unwrap() }));
    core.act(LiveAction::OutsideWrite).unwrap();
    let a = log_to_query(core.actions());
    let (root, handle) = mount(&format!("{path}&a={a}&t={ms}&ev={events}")).await;
    let live = by_testid(&root, "live-contention").unwrap();
    until("the link's moment", || {
        by_testid(&live, "opening").is_none() && attr(&live, "scrubber", "data-cursor-events") == events
    })
    .await;
    assert_eq!(attr(&live, "scrubber", "data-digest"), digest, "the link's run is the page's run");
    assert_eq!(text(&live, "live-stats"), stats);
    handle.destroy();
    root.remove();
}
