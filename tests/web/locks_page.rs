//! Browser tests of the locks page: mounted under the real `Layout` and router at a URL, driven by
//! real clicks and the real animation-frame playback.

use playground::ui::Layout;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlSelectElement};

use crate::support::*;

async fn mount(path: &str) -> (Element, yew::AppHandle<Routed<Layout>>) {
    let (root, handle) = mount_at::<Layout>(path).await;
    assert!(by_testid(&root, "page-locks").is_some(), "{path} renders the locks page");
    (root, handle)
}

fn text(root: &Element, testid: &str) -> String {
    by_testid(root, testid).unwrap_or_else(|| panic!("no [data-testid={testid}]")).text_content().unwrap_or_default()
}

/// Polls (25 ms apart, at most 15 s) until `cond` holds; the playback runs on animation frames.
async fn wait_for(root: &Element, what: &str, cond: impl Fn(&Element) -> bool) {
    for _ in 0..600 {
        if cond(root) {
            return;
        }
        gloo_timers::future::TimeoutFuture::new(25).await;
    }
    panic!("timed out waiting for {what}");
}

fn done(root: Element, handle: yew::AppHandle<Routed<Layout>>) {
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn gc_pause_from_the_url_plays_to_a_red_violation_in_the_timeline() {
    let (root, handle) = mount("/locks?preset=gc-pause&speed=1000").await;
    let select = by_testid(&root, "preset-select").unwrap().dyn_into::<HtmlSelectElement>().unwrap();
    assert_eq!(select.value(), "gc-pause");
    assert!(text(&root, "preset-description").contains("longer than the TTL"));
    assert_eq!(text(&root, "speed-value"), "1000×");
    assert!(by_testid(&root, "timeline-violation").is_none(), "no violation at time zero");
    assert_eq!(text(&root, "summary-violations"), "0");
    click(&by_testid(&root, "play-toggle").unwrap());
    wait_for(&root, "a violation in the summary", |r| text(r, "summary-violations") != "0").await;
    let tile = by_testid(&root, "summary-violations").unwrap().parent_element().unwrap();
    assert!(tile.class_list().contains("lk-stat--bad"), "violations are shown in red");
    // Without fencing the paused worker's write after waking is accepted, and it is stale.
    wait_for(&root, "a stale write accepted", |r| text(r, "summary-stale-accepted") != "0").await;
    // At 1000× "now" has moved on: show the whole run, and the violation is in it, in red. Asked
    // while still playing, "Whole run" keeps starting at 0 as the run grows (the panel is redrawn
    // on its own schedule while playing, so it must not act on the "now" of its last drawing).
    click(&by_testid(&root, "tl-fit").unwrap());
    gloo_timers::future::TimeoutFuture::new(400).await;
    click(&by_testid(&root, "play-toggle").unwrap());
    settle().await;
    let range = text(&root, "tl-range");
    assert!(range.starts_with("0s – "), "the whole run from 0: {range} (clock {})", text(&root, "clock"));
    let band = by_testid(&root, "timeline-violation").expect("the timeline shows the violation");
    assert!(band.class_list().contains("lk-violation"));
    assert!(band.text_content().unwrap().contains("Lease overlap"));
    assert!(query(&band, ".lk-violation__hatch").is_some(), "the overlap is hatched, not only red");
    assert!(
        text(&root, "summary-verdict").starts_with("Harm"),
        "the verdict names the harm: {}",
        text(&root, "summary-verdict")
    );
    assert!(query(&root, "[data-testid='write-stale']").is_some(), "the stale write is a red tick");
    // "Whole run" is a mode, and shows that it is on; another tool leaves it.
    let pressed = |r: &web_sys::Element| by_testid(r, "tl-fit").unwrap().get_attribute("aria-pressed");
    assert_eq!(pressed(&root).as_deref(), Some("true"), "Whole run shows it is on");
    click(&by_testid(&root, "tl-zoom-in").unwrap());
    settle().await;
    assert_eq!(pressed(&root).as_deref(), Some("false"), "zooming leaves Whole run");
    done(root, handle);
}

#[wasm_bindgen_test]
async fn with_fencing_the_stale_write_is_rejected() {
    let (root, handle) = mount("/locks?preset=gc-pause&fencing=1&speed=300").await;
    assert!(by_testid(&root, "variant-fencing").unwrap().dyn_into::<web_sys::HtmlInputElement>().unwrap().checked());
    click(&by_testid(&root, "play-toggle").unwrap());
    wait_for(&root, "a write rejected by fencing", |r| text(r, "summary-stale-rejected") != "0").await;
    assert_eq!(text(&root, "summary-stale-accepted"), "0");
    assert!(
        text(&root, "summary-verdict").starts_with("Lease overlap without harm"),
        "a fenced run shows the overlap but no harm: {}",
        text(&root, "summary-verdict")
    );
    click(&by_testid(&root, "play-toggle").unwrap());
    click(&by_testid(&root, "tl-fit").unwrap());
    settle().await;
    assert!(
        query(&root, "[data-testid='write-rejected']").is_some(),
        "the rejected write is drawn in the timeline (range {}, clock {}, {} ticks)",
        text(&root, "tl-range"),
        text(&root, "clock"),
        root.query_selector_all(".lk-write").unwrap().length()
    );
    done(root, handle);
}

#[wasm_bindgen_test]
async fn bad_url_parameters_show_a_notice_naming_them() {
    let (root, handle) = mount("/locks?workers=99&preset=nope&ttl=soon").await;
    let notice = text(&root, "param-notices");
    for part in ["`workers`", "\"99\"", "1 to 16", "`preset`", "gc-pause", "`ttl`", "\"soon\""] {
        assert!(notice.contains(part), "notice {notice:?} names {part}");
    }
    // The page still works with the defaults: two workers.
    assert!(by_testid(&root, "worker-1").is_some() && by_testid(&root, "worker-2").is_none());
    done(root, handle);
}

#[wasm_bindgen_test]
async fn the_crash_button_changes_the_workers_state() {
    let (root, handle) = mount("/locks?seed=3").await;
    assert_eq!(text(&root, "worker-0-state"), "not started");
    let crash = by_testid(&root, "worker-0-crash").unwrap();
    assert!(crash.has_attribute("disabled"), "a worker that has not started cannot crash");
    // Process events until both workers run and one holds the lock.
    for _ in 0..40 {
        click(&by_testid(&root, "next-event").unwrap());
        settle().await;
        if query(&root, ".lk-badge--holder").is_some() {
            break;
        }
    }
    assert!(query(&root, ".lk-badge--holder").is_some(), "someone acquired the lock");
    assert_ne!(text(&root, "worker-0-state"), "not started");
    let value = text(&root, "redis-0-value");
    assert!(value.contains("worker-"), "Redis names the holder: {value:?}");
    click(&by_testid(&root, "worker-0-crash").unwrap());
    settle().await;
    assert_eq!(text(&root, "worker-0-state"), "crashed");
    let diagram = query(&by_testid(&root, "worker-0").unwrap(), "[data-testid='state-diagram']").unwrap();
    assert!(diagram.text_content().unwrap().contains("crashed"), "the diagram says crashed");
    assert!(by_testid(&root, "worker-0-crash").unwrap().has_attribute("disabled"));
    click(&by_testid(&root, "worker-0-restart").unwrap());
    settle().await;
    assert_ne!(text(&root, "worker-0-state"), "crashed");
    assert!(text(&root, "log-lines").contains("worker-0 restarted as"));
    done(root, handle);
}

#[wasm_bindgen_test]
async fn the_state_diagram_lights_the_current_state_and_details_open_the_workers_log() {
    let (root, handle) = mount("/locks").await;
    for _ in 0..12 {
        click(&by_testid(&root, "next-event").unwrap());
        settle().await;
    }
    let card = by_testid(&root, "worker-0").unwrap();
    let state = text(&root, "worker-0-state");
    let lit = query(&card, ".lk-diagram__node--current").expect("the current state is lit");
    assert_eq!(lit.get_attribute("data-state").as_deref(), Some(state.as_str()));
    assert_eq!(card.query_selector_all(".lk-diagram__node").unwrap().length(), 8);
    assert!(query(&card, ".lk-diagram__edge--last").is_some(), "the last transition is highlighted");
    click(&by_testid(&root, "worker-0-details").unwrap());
    settle().await;
    let modal = by_testid(&root, "worker-modal").expect("the details dialog opens");
    assert!(modal.text_content().unwrap().contains("Trying to acquire lock"), "it shows the worker's own log");
    keydown(&document(), "Escape");
    settle().await;
    assert!(by_testid(&root, "worker-modal").is_none());
    done(root, handle);
}

#[wasm_bindgen_test]
async fn the_event_log_filters_per_worker_and_the_timeline_zooms() {
    let (root, handle) = mount("/locks?workers=3").await;
    for _ in 0..15 {
        click(&by_testid(&root, "next-event").unwrap());
        settle().await;
    }
    let select = by_testid(&root, "log-filter").unwrap().dyn_into::<HtmlSelectElement>().unwrap();
    select.set_value("1");
    select
        .dispatch_event(
            &web_sys::Event::new_with_event_init_dict("change", &{
                let init = web_sys::EventInit::new();
                init.set_bubbles(true);
                init
            })
            .unwrap(),
        )
        .unwrap();
    settle().await;
    let lines = by_testid(&root, "log-lines").unwrap();
    let items = lines.query_selector_all("li").unwrap();
    assert!(items.length() > 0);
    for i in 0..items.length() {
        let t = items.item(i).unwrap().text_content().unwrap();
        assert!(t.contains("worker-1") || t.contains(&text(&root, "worker-1-id")), "{t}");
    }
    assert_eq!(text(&root, "tl-range"), "0s – 1:00");
    click(&by_testid(&root, "tl-zoom-in").unwrap());
    settle().await;
    assert_eq!(text(&root, "tl-range"), "0s – 30s");
    done(root, handle);
}

fn change(el: &Element, value: &str) {
    let input = el.clone().dyn_into::<web_sys::HtmlInputElement>().expect("an input");
    input.set_value(value);
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    input.dispatch_event(&web_sys::Event::new_with_event_init_dict("change", &init).unwrap()).unwrap();
}

#[wasm_bindgen_test]
async fn the_settings_form_names_bad_values_and_rebuilds_the_fleet() {
    let (root, handle) = mount("/locks").await;
    change(&by_testid(&root, "setting-ttl").unwrap(), "soon");
    settle().await;
    let err = text(&root, "form-error");
    assert!(err.contains("\"soon\"") && err.contains("like 10s"), "{err}");
    change(&by_testid(&root, "setting-workers").unwrap(), "4");
    settle().await;
    assert!(by_testid(&root, "form-error").is_none(), "a good value clears the message");
    assert!(by_testid(&root, "worker-3").is_some() && by_testid(&root, "worker-4").is_none());
    assert_eq!(root.query_selector_all("[data-testid^='lane-worker-']").unwrap().length(), 4);
    // A TTL that does not exceed the renew interval gets the core's warning.
    change(&by_testid(&root, "setting-ttl").unwrap(), "5s");
    settle().await;
    assert!(text(&root, "ttl-warning").contains("does not exceed the renew interval"));
    done(root, handle);
}

#[wasm_bindgen_test]
async fn stop_while_waiting_overlaps_only_with_naive_del() {
    // naive-del from the URL: the stopping waiter's DEL removes the holder's key.
    let (root, handle) = mount("/locks?preset=stop-while-waiting&release=naive-del&speed=1000").await;
    let release = by_testid(&root, "variant-release").unwrap().dyn_into::<HtmlSelectElement>().unwrap();
    assert_eq!(release.value(), "naive-del");
    assert!(text(&root, "release-explain").starts_with("naive-del"));
    click(&by_testid(&root, "play-toggle").unwrap());
    wait_for(&root, "a lease overlap", |r| text(r, "summary-violations") != "0").await;
    click(&by_testid(&root, "play-toggle").unwrap());
    done(root, handle);
    // The reference release (GET, then DEL only if mine) leaves the holder's key alone.
    let (root, handle) = mount("/locks?preset=stop-while-waiting&speed=1000").await;
    assert!(text(&root, "release-explain").contains("maybeReleaseLock"));
    click(&by_testid(&root, "play-toggle").unwrap());
    wait_for(&root, "the run past the stop at 12 s and the holder's renewals", |r| {
        text(r, "clock").contains("0:00:3") || text(r, "clock").contains("0:00:4") || text(r, "clock").contains("0:01")
    })
    .await;
    click(&by_testid(&root, "play-toggle").unwrap());
    assert_eq!(text(&root, "summary-violations"), "0");
    assert!(text(&root, "summary-verdict").starts_with("Safe"));
    assert!(text(&root, "run-status").contains("until you pause it"));
    done(root, handle);
}

#[wasm_bindgen_test]
async fn redlock_says_why_there_is_no_fencing_token() {
    let (root, handle) = mount("/locks?redlock=5").await;
    let fencing = by_testid(&root, "variant-fencing").unwrap().dyn_into::<web_sys::HtmlInputElement>().unwrap();
    assert!(fencing.disabled() && !fencing.checked());
    assert!(
        text(&root, "fencing-redlock").contains("no single counter")
            || text(&root, "fencing-redlock").contains("not one counter")
    );
    assert!(text(&root, "client-explain").contains("min(attempt × 50, 2000)"));
    done(root, handle);
}
