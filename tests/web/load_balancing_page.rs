//! Browser tests of the load_balancing page: mounted under the real `Layout` at a path with a
//! query, driven by real DOM events.

use playground::ui::Layout;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlInputElement};

use crate::support::*;

async fn render_at(path: &str) -> (Element, yew::AppHandle<Routed<Layout>>) {
    mount_at::<Layout>(path).await
}

fn text(root: &Element, id: &str) -> String {
    by_testid(root, id).unwrap_or_else(|| panic!("{id} is on the page")).text_content().unwrap_or_default()
}

fn set_input(el: &Element, value: &str) {
    let input = el.dyn_ref::<HtmlInputElement>().expect("an input");
    input.set_value(value);
    // A bubbling `input` event (Yew listens at the root), made with the web-sys features enabled.
    let ev = web_sys::Event::new("input").unwrap();
    ev.init_event_with_bubbles("input", true);
    input.dispatch_event(&ev).unwrap();
}

/// Waits (in short steps, at most `max_ms`) until `cond` holds.
async fn wait_until(max_ms: u32, mut cond: impl FnMut() -> bool) -> bool {
    let mut waited = 0;
    while waited < max_ms {
        if cond() {
            return true;
        }
        gloo_timers::future::TimeoutFuture::new(20).await;
        waited += 20;
    }
    cond()
}

#[wasm_bindgen_test]
async fn a_preset_from_the_url_renders_its_fleet() {
    let (root, handle) = render_at("/load-balancing?preset=nginx-2-3-1&seed=9").await;
    assert!(by_testid(&root, "page-load-balancing").is_some());
    assert!(by_testid(&root, "param-notices").is_none(), "a good URL gives no notice");
    let line = text(&root, "lb-scenario-line");
    assert!(line.contains("nginx-2-3-1") && line.contains("smooth-wrr") && line.contains("3 servers"), "{line}");
    assert_eq!(root.query_selector_all("[data-testid^='server-card-']").unwrap().length(), 3);
    assert!(text(&root, "server-card-1").contains("weight 3"));
    assert_eq!(by_testid(&root, "seed").unwrap().dyn_into::<HtmlInputElement>().unwrap().value(), "9");
    // The editor shows the preset, with its description.
    assert!(text(&root, "lb-preset-description").contains("2, 3 and 1"));
    // Stepping moves the run: the first arrival is dispatched and drawn.
    click(&by_testid(&root, "step").unwrap());
    settle().await;
    assert_eq!(text(&root, "total-arrivals"), "1");
    // Dots are drawn as one path per colour; the group counts them.
    let dots = by_testid(&root, "lb-dots").unwrap().get_attribute("data-dots").unwrap_or_default();
    assert!(dots.parse::<usize>().unwrap_or(0) >= 1, "{dots}");
    assert!(root.query_selector_all("[data-testid='lb-dots'] path").unwrap().length() >= 1);
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn down_on_a_server_changes_its_state_and_recover_brings_it_back() {
    let (root, handle) = render_at("/load-balancing?preset=server-dies-health").await;
    assert!(text(&root, "server-state-2").starts_with("up"));
    click(&by_testid(&root, "server-2-down").unwrap());
    settle().await;
    let state = text(&root, "server-state-2");
    // The balancer has not noticed yet: health checks have not run.
    assert!(state.starts_with("down") && state.contains("balancer: up"), "{state}");
    assert!(by_testid(&root, "server-card-2").unwrap().class_name().contains("lb-card--down"));
    assert!(by_testid(&root, "server-2-down").unwrap().has_attribute("disabled"));
    click(&by_testid(&root, "server-2-slow").unwrap());
    settle().await;
    assert!(text(&root, "server-state-2").starts_with("slow ×10"));
    click(&by_testid(&root, "server-2-recover").unwrap());
    settle().await;
    assert!(text(&root, "server-state-2").starts_with("up"));
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn bad_url_params_show_notices_naming_them() {
    let (root, handle) = render_at("/load-balancing?rate=lots&alg=wrr&weights=2,3,1").await;
    let notices = text(&root, "param-notices");
    assert!(notices.contains("`rate`") && notices.contains("\"lots\""), "{notices}");
    assert!(notices.contains("`alg`") && notices.contains("\"wrr\"") && notices.contains("smooth-wrr"), "{notices}");
    // The good parameter is still used; the bad ones fell back to the defaults.
    let line = text(&root, "lb-scenario-line");
    assert!(line.contains("3 servers") && line.contains("1000 req/s") && line.contains("round-robin"), "{line}");
    handle.destroy();
    root.remove();
    let (root, handle) = render_at("/load-balancing?preset=no-such-preset").await;
    let notices = text(&root, "param-notices");
    assert!(
        notices.contains("`preset`") && notices.contains("no-such-preset") && notices.contains("linkerd-slow-server"),
        "{notices}"
    );
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn the_smooth_wrr_picture_lists_the_nginx_sequence() {
    let (root, handle) = render_at("/load-balancing").await;
    let weights = by_testid(&root, "wrr-weights").unwrap();
    set_input(&weights, "5,1,1");
    settle().await;
    assert_eq!(text(&root, "wrr-sequence"), "s0 s0 s1 s0 s2 s0 s0");
    assert_eq!(root.query_selector_all("[data-testid='wrr-table'] tbody tr").unwrap().length(), 7);
    set_input(&weights, "2,3,1");
    settle().await;
    assert_eq!(text(&root, "wrr-sequence"), "s1 s0 s1 s2 s0 s1");
    set_input(&weights, "5,x");
    settle().await;
    assert!(text(&root, "wrr-error").contains("\"5,x\""));
    // A 2 KB paste is repeated back clipped, and the notice stays inside the picture.
    set_input(&weights, &"9,".repeat(1_000));
    settle().await;
    let error = by_testid(&root, "wrr-error").unwrap();
    let shown = error.text_content().unwrap_or_default();
    assert!(shown.contains("… (2000 characters)") && shown.len() < 400, "{shown}");
    let picture = by_testid(&root, "wrr-picture").unwrap();
    assert!(
        error.get_bounding_client_rect().width() <= picture.get_bounding_client_rect().width() + 1.0,
        "the notice overflows its picture"
    );
    // The other pictures are drawn for the fleet's four servers.
    assert!(root.query_selector_all("[data-testid='ring-picture'] .lb-ring__node").unwrap().length() >= 4);
    assert_eq!(root.query_selector_all("[data-testid='maglev-picture'] .lb-maglev__cell").unwrap().length(), 67);
    assert!(text(&root, "moved-picture").contains("1 of 4 servers"));
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn the_editor_names_a_bad_field_and_applies_a_good_one() {
    let (root, handle) = render_at("/load-balancing").await;
    set_input(&by_testid(&root, "lb-field-weights").unwrap(), "1,1,-2");
    click(&by_testid(&root, "lb-apply").unwrap());
    settle().await;
    let errs = text(&root, "lb-editor-errors");
    assert!(errs.contains("`weights`") && errs.contains("\"1,1,-2\""), "{errs}");
    set_input(&by_testid(&root, "lb-field-weights").unwrap(), "1,1,1,1,1,1");
    set_input(&by_testid(&root, "lb-field-rate").unwrap(), "50");
    click(&by_testid(&root, "lb-apply").unwrap());
    settle().await;
    assert!(by_testid(&root, "lb-editor-errors").is_none());
    assert_eq!(root.query_selector_all("[data-testid^='server-card-']").unwrap().length(), 6);
    assert!(text(&root, "lb-scenario-line").contains("50 req/s"));
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn each_editor_field_keeps_at_most_its_cap_of_a_164_kb_paste_and_says_so() {
    let (root, handle) = render_at("/load-balancing").await;
    assert!(by_testid(&root, "lb-editor-cut").is_none(), "no note before a cap is reached");
    let fields: Vec<String> = {
        let list = root.query_selector_all("[data-testid='lb-editor'] input[data-testid^='lb-field-']").unwrap();
        (0..list.length())
            .filter_map(|i| list.item(i)?.dyn_into::<Element>().ok()?.get_attribute("data-testid"))
            .map(|id| id["lb-field-".len()..].to_string())
            .collect()
    };
    assert!(fields.len() >= 15 && fields.iter().any(|f| f == "weights"), "{fields:?}");
    // What the monkey pasted into the weights box (164,000 characters), which once made a 224 ms task.
    let paste = "1,".repeat(82_000);
    assert_eq!(paste.len(), 164_000);
    for field in &fields {
        let cap = playground::balance::form::max_chars(field);
        assert_eq!(cap, if field == "weights" { 300 } else { 32 }, "{field}");
        let input = by_testid(&root, &format!("lb-field-{field}")).unwrap();
        assert_eq!(
            input.get_attribute("maxlength"),
            Some(cap.to_string()),
            "{field}: typing and pasting stop at the cap"
        );
        set_input(&input, &paste);
        settle().await;
        let value = input.unchecked_ref::<HtmlInputElement>().value();
        assert_eq!(value, paste[..cap], "{field} keeps the first {cap} characters");
        let note = by_testid(&root, &format!("lb-editor-cut-{field}"))
            .unwrap_or_else(|| panic!("a note says {field} was cut"))
            .text_content()
            .unwrap_or_default();
        assert!(note.contains(&format!("`{field}`")) && note.contains(&format!("at most {cap} characters")), "{note}");
    }
    // Every capped field is named at once; Apply quotes the capped weights clipped.
    assert_eq!(root.query_selector_all("[data-testid='lb-editor-cut'] li").unwrap().length() as usize, fields.len());
    click(&by_testid(&root, "lb-apply").unwrap());
    settle().await;
    let errs = text(&root, "lb-editor-errors");
    assert!(
        errs.contains("`weights`") && errs.contains("… (300 characters)") && errs.len() < 8_000,
        "{} chars",
        errs.len()
    );
    // A short value takes its field's note away; the others stay.
    let weights = by_testid(&root, "lb-field-weights").unwrap();
    set_input(&weights, "2,3,1");
    settle().await;
    assert!(by_testid(&root, "lb-editor-cut-weights").is_none(), "the note goes with the long value");
    assert!(by_testid(&root, "lb-editor-cut-rate").is_some());
    // Multi-byte text is cut on a character boundary.
    set_input(&weights, &"ü".repeat(400));
    settle().await;
    assert_eq!(weights.unchecked_ref::<HtmlInputElement>().value().chars().count(), 300);
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn compare_mode_completes_on_a_tiny_workload_and_cancel_stops_a_big_one() {
    let (root, handle) = render_at("/load-balancing?dur=300&rate=100").await;
    click(&by_testid(&root, "compare-run").unwrap());
    settle().await;
    assert!(wait_until(10_000, || by_testid(&root, "compare-table").is_some()).await, "a tiny comparison finishes");
    assert_eq!(root.query_selector_all("[data-testid='compare-table'] tbody tr").unwrap().length(), 12);
    assert!(text(&root, "compare-time").contains("Compared 12 algorithms"));
    assert!(by_testid(&root, "compare-chart-latency").is_some());
    assert!(by_testid(&root, "compare-progress").is_none());
    handle.destroy();
    root.remove();

    let (root, handle) = render_at("/load-balancing?preset=linkerd-slow-server").await;
    click(&by_testid(&root, "compare-run").unwrap());
    settle().await;
    assert!(by_testid(&root, "compare-progress").is_some(), "a progress bar while running");
    click(&by_testid(&root, "compare-cancel").expect("a Cancel button while running"));
    settle().await;
    assert!(text(&root, "compare-cancelled").contains("Cancelled"));
    assert!(by_testid(&root, "compare-progress").is_none());
    // Nothing keeps running after Cancel: no table ever appears.
    gloo_timers::future::TimeoutFuture::new(100).await;
    assert!(by_testid(&root, "compare-table").is_none());
    assert!(by_testid(&root, "compare-cancelled").is_some());
    handle.destroy();
    root.remove();
}

/// The controls bar's clock (`t = h:mm:ss.mmm`) in milliseconds.
fn clock_ms(text: &str) -> u64 {
    let text = text.trim().trim_start_matches("t =").trim();
    let (hms, ms) = text.split_once('.').expect("h:mm:ss.mmm");
    let parts: Vec<u64> = hms.split(':').map(|p| p.parse().unwrap()).collect();
    ((parts[0] * 60 + parts[1]) * 60 + parts[2]) * 1000 + ms.parse::<u64>().unwrap()
}

/// Issue 11: a run that has reached its end stops — the clock stands still, the button offers Play
/// again, the status says it is finished — and Replay starts it over.
#[wasm_bindgen_test]
async fn a_run_stops_at_its_end_says_so_and_replays() {
    // 1 s of arrivals at 10×: over in about a tenth of a second of wall time.
    let (root, handle) = render_at("/load-balancing?dur=1000&rate=200&speed=10").await;
    assert!(by_testid(&root, "lb-finished").is_none());
    assert!(text(&root, "lb-run-status").contains("of 1 s"));
    click(&by_testid(&root, "play-toggle").unwrap());
    let finished = wait_until(5_000, || by_testid(&root, "lb-finished").is_some()).await;
    assert!(finished, "the run reports its end");
    settle().await;
    assert!(text(&root, "play-toggle").contains("Play"), "the run is paused at its end");
    assert!(text(&root, "lb-run-status").starts_with("finished at t = "));
    let end = clock_ms(&text(&root, "clock"));
    assert!((1_000..1_500).contains(&end), "the clock stops at the last request's end: {end} ms");
    gloo_timers::future::TimeoutFuture::new(200).await;
    assert_eq!(clock_ms(&text(&root, "clock")), end, "the clock stands still after the end");
    let arrivals = text(&root, "total-arrivals");
    // Replay: the same run from the start, playing again to the same end.
    click(&by_testid(&root, "lb-replay").unwrap());
    settle().await;
    assert!(clock_ms(&text(&root, "clock")) < end, "Replay starts over");
    assert!(text(&root, "play-toggle").contains("Pause"), "and plays");
    assert!(wait_until(5_000, || by_testid(&root, "lb-finished").is_some()).await);
    settle().await;
    assert_eq!(text(&root, "total-arrivals"), arrivals, "a replay is the same run");
    assert_eq!(clock_ms(&text(&root, "clock")), end);
    // At the end, Play replays too.
    click(&by_testid(&root, "play-toggle").unwrap());
    settle().await;
    assert!(clock_ms(&text(&root, "clock")) < end);
    handle.destroy();
    root.remove();
}

/// The cards show what the balancer remembers (its generic snapshot): smooth WRR's weight table.
#[wasm_bindgen_test]
async fn server_cards_show_the_balancers_memory_under_one_naming() {
    let (root, handle) = render_at("/load-balancing?preset=nginx-2-3-1").await;
    assert!(text(&root, "server-card-1").contains("s1"));
    assert!(!text(&root, "lb-cards").contains("Server "), "one naming: s0, s1, …");
    click(&by_testid(&root, "step").unwrap());
    settle().await;
    let memory = text(&root, "server-memory-1");
    assert!(memory.contains("effective weight 3") && memory.contains("current weight"), "{memory}");
    handle.destroy();
    root.remove();
}

fn arrivals(root: &Element) -> u64 {
    text(root, "total-arrivals").parse().unwrap()
}

/// Issue 15: the scrubber takes the fleet back exactly (cards, totals and digest as they were),
/// ← and → step one event, Replay at the end rewinds rather than restarts, a server killed while
/// rewound starts a new branch, and a link with the log and cursor opens the same moment.
#[wasm_bindgen_test]
async fn the_scrubber_rewinds_the_fleet_exactly_and_a_kill_while_rewound_starts_a_branch() {
    use playground::balance::replay::{log_to_query, LbRewind};
    use playground::balance::{preset, Action, LbModel, Scenario, ServerState};
    use playground::sim::replay::ReplayModel;
    use playground::sim::rewind::Seek;
    use playground::sim::TEST_EPOCH;

    // Four servers with health checks, 6 s of arrivals (the preset's scripted kill at 10 s is past
    // the end, so the only kill is the user's).
    let path = "/load-balancing?preset=server-dies-health&seed=3&dur=6000&speed=100";
    let (root, h) = render_at(path).await;
    click(&by_testid(&root, "play-toggle").unwrap());
    assert!(wait_until(20_000, || by_testid(&root, "lb-finished").is_some()).await, "the run ends");
    settle().await;
    let (end_digest, end_arrivals) = (attr(&root, "scrubber", "data-digest"), arrivals(&root));
    let horizon: u64 = attr(&root, "scrubber", "data-horizon-ms").parse().unwrap();
    assert!(horizon >= 6_000 && end_arrivals > 1_000, "{end_arrivals} arrivals in {horizon} ms");
    // Back to 2 s: fewer arrivals, the run marked as rewound, no longer finished.
    drag_to(&root, 2_000);
    settle().await;
    assert_eq!(attr(&root, "scrubber", "data-cursor-ms"), "2000");
    assert!(by_testid(&root, "scrub-rewound").is_some());
    assert!(by_testid(&root, "lb-finished").is_none());
    let early = arrivals(&root);
    assert!(early > 100 && early < end_arrivals / 2, "{early} of {end_arrivals}");
    // The same moment reached straight by the core has the same digest.
    let sc = Scenario { duration_ms: 6_000, ..preset("server-dies-health").unwrap() };
    let mut core = LbRewind::new(LbModel::build(&sc, 3, TEST_EPOCH).unwrap());
    core.seek(Seek::Time(2_000));
    assert_eq!(attr(&root, "scrubber", "data-digest"), core.digest());
    // ← steps back one event, → forward again to the same state.
    let (events, digest) = (attr(&root, "scrubber", "data-cursor-events"), attr(&root, "scrubber", "data-digest"));
    keydown(&document(), "ArrowLeft");
    settle().await;
    let back: u64 = attr(&root, "scrubber", "data-cursor-events").parse().unwrap();
    assert_eq!(back + 1, events.parse::<u64>().unwrap());
    keydown(&document(), "ArrowRight");
    settle().await;
    assert_eq!(attr(&root, "scrubber", "data-digest"), digest);
    // Forward to the horizon: the finished run exactly as it was.
    drag_to(&root, horizon);
    settle().await;
    assert_eq!((attr(&root, "scrubber", "data-digest"), arrivals(&root)), (end_digest.clone(), end_arrivals));
    assert!(by_testid(&root, "lb-finished").is_some());
    // Replay rewinds to the start and plays the same history to the same end.
    click(&by_testid(&root, "lb-replay").unwrap());
    settle().await;
    assert!(wait_until(20_000, || by_testid(&root, "lb-finished").is_some()).await);
    settle().await;
    assert_eq!(attr(&root, "scrubber", "data-digest"), end_digest, "a replay is the same run");
    assert_eq!(attr(&root, "scrubber", "data-horizon-ms"), horizon.to_string(), "nothing was cut off");
    // Killing server 1 while rewound to 2 s cuts the future off and says so.
    drag_to(&root, 2_000);
    settle().await;
    click(&by_testid(&root, "server-1-down").unwrap());
    settle().await;
    let notice = text(&root, "scrub-branch");
    assert!(notice.contains("New branch"), "{notice}");
    assert!(text(&root, "server-state-1").to_lowercase().contains("down"), "{}", text(&root, "server-state-1"));
    assert!(text(&root, "replay-download").contains("1 action"));
    assert!(query(&root, "[data-kind='fault']").is_some(), "the kill is a fault mark on the track");
    let after: u64 = attr(&root, "scrubber", "data-horizon-ms").parse().unwrap();
    assert_eq!(after, 2_000, "the old future is gone");
    // Played on, the new branch loses the requests in flight on server 1.
    drag_to(&root, 1);
    settle().await;
    keydown(&document(), " ");
    assert!(wait_until(20_000, || by_testid(&root, "lb-finished").is_some()).await);
    settle().await;
    assert!(text(&root, "total-errors").parse::<u64>().unwrap() > 0, "the crash failed requests");
    let (events, digest, ms) = (
        attr(&root, "scrubber", "data-cursor-events"),
        attr(&root, "scrubber", "data-digest"),
        attr(&root, "scrubber", "data-cursor-ms"),
    );
    h.destroy();
    root.remove();

    // A link with the log and the cursor opens the same run at the same moment.
    core.act(Action::SetState { server: 1, state: ServerState::Down }).unwrap();
    let a = log_to_query(core.actions());
    let (root, h) = render_at(&format!("{path}&a={a}&t={ms}&ev={events}")).await;
    assert!(
        wait_until(20_000, || by_testid(&root, "opening").is_none()
            && attr(&root, "scrubber", "data-cursor-events") == events)
        .await
    );
    assert_eq!(attr(&root, "scrubber", "data-digest"), digest, "the link's run is the page's run");
    assert!(text(&root, "replay-download").contains("1 action"));
    h.destroy();
    root.remove();
}

/// Issue 15, the remaining load-balancing item: a server's weight changed mid-run is a logged
/// action applied at the cursor (not a new run), drawn on the card, and replayed exactly: the
/// page's run after it matches the core's run with the same action at the same moment.
#[wasm_bindgen_test]
async fn a_mid_run_weight_change_is_an_action_at_the_cursor_and_replays_exactly() {
    use playground::balance::replay::LbRewind;
    use playground::balance::{preset, Action, LbModel, Scenario};
    use playground::sim::replay::ReplayModel;
    use playground::sim::rewind::{Cursor, Seek};
    use playground::sim::TEST_EPOCH;

    let path = "/load-balancing?preset=server-dies-health&seed=3&dur=6000&speed=100";
    let (root, h) = render_at(path).await;
    click(&by_testid(&root, "play-toggle").unwrap());
    assert!(wait_until(20_000, || by_testid(&root, "lb-finished").is_some()).await, "the run ends");
    settle().await;
    drag_to(&root, 2_000);
    settle().await;
    // A bad weight is refused in the field, naming it; nothing is logged.
    set_input(&by_testid(&root, "server-2-weight").unwrap(), "-3");
    settle().await;
    click(&by_testid(&root, "server-2-set-weight").unwrap());
    settle().await;
    assert!(text(&root, "server-2-weight-error").contains("\"-3\" is not accepted"));
    assert!(!text(&root, "replay-download").contains("1 action"));
    set_input(&by_testid(&root, "server-2-weight").unwrap(), "9");
    settle().await;
    click(&by_testid(&root, "server-2-set-weight").unwrap());
    settle().await;
    assert!(by_testid(&root, "server-2-weight-error").is_none());
    assert!(text(&root, "scrub-branch").contains("New branch"), "acting while rewound starts a branch");
    assert!(text(&root, "replay-download").contains("1 action"));
    assert_eq!(attr(&root, "scrubber", "data-cursor-ms"), "2000", "applied at the cursor, not a new run");
    assert!(text(&root, "server-card-2").contains("weight 9"), "{}", text(&root, "server-card-2"));
    // Played to the end, the page's run is the core's run with the same action at 2 s.
    keydown(&document(), " ");
    assert!(wait_until(20_000, || by_testid(&root, "lb-finished").is_some()).await);
    settle().await;
    let at = Cursor {
        events: attr(&root, "scrubber", "data-cursor-events").parse().unwrap(),
        at_ms: attr(&root, "scrubber", "data-cursor-ms").parse().unwrap(),
    };
    let sc = Scenario { duration_ms: 6_000, ..preset("server-dies-health").unwrap() };
    let mut core = LbRewind::new(LbModel::build(&sc, 3, TEST_EPOCH).unwrap());
    core.set_finite(true);
    core.seek(Seek::Time(2_000));
    core.act(Action::SetWeight { server: 2, weight: 9 }).unwrap();
    core.seek(Seek::At(at));
    assert_eq!(attr(&root, "scrubber", "data-digest"), core.digest());
    // Rewound before the change, the card shows the old weight; forward again, the new one.
    drag_to(&root, 1_000);
    settle().await;
    assert!(!text(&root, "server-card-2").contains("weight 9"));
    drag_to(&root, 3_000);
    settle().await;
    assert!(text(&root, "server-card-2").contains("weight 9"));
    h.destroy();
    root.remove();
}
