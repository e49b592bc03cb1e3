//! Browser tests of the cache-aside demo on the Redis page: the demo mounted under a memory-history
//! router at `/redis?…`, driven with real DOM events; its rewind (scrubber, ← and →, a new branch,
//! a link with a log and a cursor).

use playground::redis::cache_aside::replay::{log_to_query, CacheAction, CacheRewind, Settings};
use playground::redis::cache_aside::CacheAside;
use playground::sim::replay::ReplayModel;
use playground::sim::rewind::Seek;
use playground::sim::TEST_EPOCH;
use playground::ui::pages::redis::cache_aside::CacheAsideDemo;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

use crate::support::*;

async fn mount(path: &str) -> (web_sys::Element, yew::AppHandle<Routed<CacheAsideDemo>>) {
    mount_at::<CacheAsideDemo>(path).await
}

fn text(root: &web_sys::Element, id: &str) -> String {
    by_testid(root, id).unwrap_or_else(|| panic!("[data-testid={id}] is rendered")).text_content().unwrap()
}

async fn type_into(root: &web_sys::Element, id: &str, value: &str) {
    let input = by_testid(root, id).unwrap().dyn_into::<web_sys::HtmlInputElement>().unwrap();
    input.set_value(value);
    input.dispatch_event(&web_sys::InputEvent::new("input").unwrap()).unwrap();
    settle().await;
}

async fn submit(root: &web_sys::Element, id: &str) {
    let form = by_testid(root, id).unwrap().dyn_into::<web_sys::HtmlFormElement>().unwrap();
    form.request_submit().unwrap();
    settle().await;
}

/// The number before " ms" in `s` ("octocat: MISS in 381 ms — …" → 381).
fn latency_in(s: &str) -> u64 {
    let before = s.split(" ms").next().unwrap();
    before.rsplit(' ').next().unwrap().parse().unwrap_or_else(|_| panic!("a latency in {s:?}"))
}

#[wasm_bindgen_test]
async fn octocat_twice_misses_slowly_then_hits_fast_and_the_hit_ratio_follows() {
    // Workload off so only the typed requests reach the cache.
    let (root, h) = mount("/redis?rate=0&ttl=3600").await;
    assert_eq!(text(&root, "ca-hit-ratio"), "—");
    assert!(by_testid(&root, "ca-paths-empty").is_some());
    let mode = text(&root, "ca-run-mode");
    assert!(mode.contains("Paused") && mode.contains("no end of its own"), "the run says it is open-ended: {mode}");

    type_into(&root, "ca-user", "octocat").await;
    submit(&root, "ca-ask").await;
    let first = text(&root, "ca-result");
    assert!(first.contains("octocat: MISS"), "{first}");
    let l1 = latency_in(&first);
    assert!((280..=480).contains(&l1), "a miss waits for the API (~372 ms): {first}");
    assert_eq!(text(&root, "ca-hit-ratio"), "0.0 %");
    // Its path: GET, (nil), the API call and its answer, SETEX, OK.
    let seq = by_testid(&root, "seq").unwrap();
    for part in ["seq-get", "seq-get-reply", "seq-origin", "seq-origin-reply", "seq-setex", "seq-setex-reply"] {
        assert!(by_testid(&seq, part).is_some(), "the miss draws {part}");
    }
    assert!(text(&seq, "seq-setex").contains("SETEX octocat 3600 8"));
    let get = text(&seq, "seq-get");
    assert!(get.contains("GET octocat") && !get.contains("user:"), "the diagram shows the key the app used: {get}");
    assert!(text(&seq, "seq-verdict").starts_with("MISS"));
    assert_eq!(text(&root, "ca-key-count"), "1");
    assert!(text(&root, "ca-keys").contains("octocat"));

    submit(&root, "ca-ask").await;
    let second = text(&root, "ca-result");
    assert!(second.contains("octocat: HIT"), "{second}");
    let l2 = latency_in(&second);
    assert!((1..=15).contains(&l2), "a hit is one Redis round trip (~5 ms): {second}");
    assert_eq!(text(&root, "ca-hit-ratio"), "50.0 %");
    assert_eq!(text(&root, "ca-requests"), "2");
    // The newest diagram is the hit: no API call drawn.
    let newest = by_testid(&root, "seq").unwrap();
    assert!(text(&newest, "seq-verdict").starts_with("HIT"));
    assert!(by_testid(&newest, "seq-origin").is_none());
    assert_eq!(root.query_selector_all("[data-testid='seq']").unwrap().length(), 2);
    // Both show in the latency chart, far apart on its log axis.
    // Each colour is one path of dots, each dot a subpath `M{x-3},{y}a…`.
    let paths = root.query_selector_all("[data-testid='ca-latency-chart'] svg.ca-scatter path.ca-dot").unwrap();
    let ys: Vec<f64> = (0..paths.length())
        .filter_map(|i| paths.item(i)?.dyn_into::<web_sys::Element>().ok()?.get_attribute("d"))
        .flat_map(|d| {
            d.split('M').filter_map(|m| m.split('a').next()?.split(',').nth(1)?.parse().ok()).collect::<Vec<f64>>()
        })
        .collect();
    assert_eq!(ys.len(), 2, "one dot per completed request");
    let spread = (ys[0] - ys[1]).abs();
    assert!(spread > 80.0, "hit and miss dots are far apart: {ys:?}");
    h.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn a_bad_ttl_is_named_and_nothing_changes() {
    let (root, h) = mount("/redis?rate=0&ttl=3600").await;
    type_into(&root, "ca-ttl", "abc").await;
    type_into(&root, "ca-users", "0").await;
    submit(&root, "ca-workload").await;
    let msg = text(&root, "ca-config-errors");
    assert!(msg.contains("TTL \"abc\"") && msg.contains("1 to 86400"), "{msg}");
    assert!(msg.contains("Users \"0\""), "{msg}");
    // The run still uses the old TTL.
    submit(&root, "ca-ask").await;
    assert!(text(&root, "seq-setex").contains("SETEX octocat 3600 "));
    // A good TTL applies to the next SETEX and clears the message.
    type_into(&root, "ca-ttl", "5").await;
    type_into(&root, "ca-users", "50").await;
    submit(&root, "ca-workload").await;
    assert!(by_testid(&root, "ca-config-errors").is_none());
    type_into(&root, "ca-user", "torvalds").await;
    submit(&root, "ca-ask").await;
    assert!(text(&root, "seq-setex").contains("SETEX torvalds 5 "), "{}", text(&root, "seq-setex"));
    h.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn a_bad_user_name_is_named_and_never_becomes_markup() {
    let (root, h) = mount("/redis?rate=0").await;
    type_into(&root, "ca-user", "<img src=x onerror=alert(1)>").await;
    submit(&root, "ca-ask").await;
    let msg = text(&root, "ca-user-error");
    assert!(msg.contains("<img src=x onerror=alert(1)>") && msg.contains("letters, digits"), "{msg}");
    assert!(query(&root, "img").is_none());
    assert_eq!(text(&root, "ca-requests"), "0");
    h.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn bad_url_values_fall_back_with_a_notice() {
    let (root, h) = mount("/redis?ttl=0&skew=lots").await;
    let notice = text(&root, "param-notices");
    assert!(notice.contains("ttl") && notice.contains("\"0\""), "{notice}");
    assert!(notice.contains("skew") && notice.contains("lots"), "{notice}");
    let ttl = by_testid(&root, "ca-ttl").unwrap().dyn_into::<web_sys::HtmlInputElement>().unwrap();
    assert_eq!(ttl.value(), "3600", "the default TTL (the reference's hour) is used");
    h.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn playing_the_workload_fills_the_cache_and_the_hit_ratio() {
    let (root, h) = mount("/redis?rate=50&users=20&skew=1.2&speed=1000").await;
    click(&by_testid(&root, "play-toggle").unwrap());
    settle().await;
    assert!(
        text(&root, "ca-run-mode").starts_with("Running until you pause it"),
        "playing, it says it runs until paused"
    );
    // Poll frames until a few seconds of virtual time ran (bounded, no fixed long sleep).
    for _ in 0..200 {
        gloo_timers::future::TimeoutFuture::new(20).await;
        if text(&root, "ca-requests").parse::<u64>().unwrap() > 100 {
            break;
        }
    }
    click(&by_testid(&root, "play-toggle").unwrap());
    settle().await;
    assert!(text(&root, "ca-requests").parse::<u64>().unwrap() > 100);
    let ratio = text(&root, "ca-hit-ratio");
    let pct: f64 = ratio.trim_end_matches(" %").parse().unwrap_or_else(|_| panic!("{ratio}"));
    assert!(pct > 50.0, "20 skewed users at 50/s mostly hit: {ratio}");
    assert!(text(&root, "ca-key-count").parse::<u64>().unwrap() > 0);
    assert_eq!(root.query_selector_all("[data-testid='seq']").unwrap().length(), 3);
    assert!(root.query_selector_all("[data-testid='ca-ratio-chart'] path.line").unwrap().length() >= 1);
    h.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn the_ttl_counts_down_the_key_expires_untouched_and_the_next_request_refetches() {
    let (root, h) = mount("/redis?rate=0&ttl=1").await;
    submit(&root, "ca-ask").await;
    assert_eq!(text(&root, "ca-key-count"), "1");
    let ttl_cell = || query(&by_testid(&root, "ca-keys").unwrap(), "td.ca-ttl span").map(|e| e.text_content().unwrap());
    assert_eq!(ttl_cell().as_deref(), Some("1.0 s"));
    // "Next event" moves to the next expiry cycle (every 100 ms): the TTL shown counts down.
    for _ in 0..3 {
        click(&by_testid(&root, "next-event").unwrap());
        settle().await;
    }
    let after = ttl_cell().unwrap();
    let secs: f64 = after.trim_end_matches(" s").parse().unwrap_or_else(|_| panic!("{after}"));
    assert!(secs < 1.0 && secs > 0.5, "{after}");
    // A second later the active cycle has removed the key although nobody read it.
    for _ in 0..10 {
        click(&by_testid(&root, "next-event").unwrap());
        settle().await;
    }
    assert_eq!(text(&root, "ca-key-count"), "0");
    assert!(ttl_cell().is_none());
    submit(&root, "ca-ask").await;
    let again = text(&root, "ca-result");
    assert!(again.contains("MISS") && again.contains("had expired"), "{again}");
    assert_eq!(text(&root, "ca-refetches"), "1");
    // Reset asks first, then empties the run.
    click(&by_testid(&root, "reset").unwrap());
    settle().await;
    click(&by_testid(&root, "reset-confirm").unwrap());
    settle().await;
    assert_eq!(text(&root, "ca-requests"), "0");
    assert_eq!(text(&root, "ca-hit-ratio"), "—");
    assert!(by_testid(&root, "ca-result").is_none());
    h.destroy();
    root.remove();
}

fn attr(root: &web_sys::Element, id: &str, name: &str) -> String {
    by_testid(root, id)
        .unwrap_or_else(|| panic!("[data-testid={id}] is rendered"))
        .get_attribute(name)
        .unwrap_or_default()
}

/// Drags the scrubber's range to `ms` (an input event, as a drag fires).
fn drag_to(root: &web_sys::Element, ms: u64) {
    let input = by_testid(root, "scrub-range").unwrap().dyn_into::<web_sys::HtmlInputElement>().unwrap();
    input.set_value(&ms.to_string());
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    input.dispatch_event(&web_sys::Event::new_with_event_init_dict("input", &init).unwrap()).unwrap();
}

fn requests(root: &web_sys::Element) -> u64 {
    text(root, "ca-requests").parse().unwrap()
}

#[wasm_bindgen_test]
async fn the_scrubber_rewinds_the_demo_exactly_and_a_typed_request_while_rewound_starts_a_branch() {
    // One user at 50/s: the first API call is in flight while more requests miss (a stampede mark).
    let (root, h) = mount("/redis?seed=4&rate=50&users=1&speed=1000").await;
    click(&by_testid(&root, "play-toggle").unwrap());
    for _ in 0..300 {
        gloo_timers::future::TimeoutFuture::new(20).await;
        if requests(&root) > 150 {
            break;
        }
    }
    click(&by_testid(&root, "play-toggle").unwrap());
    settle().await;
    let (end_digest, end_requests) = (attr(&root, "scrubber", "data-digest"), requests(&root));
    let end_events: u64 = attr(&root, "scrubber", "data-cursor-events").parse().unwrap();
    let horizon: u64 = attr(&root, "scrubber", "data-horizon-ms").parse().unwrap();
    assert!(end_requests > 150 && horizon > 2_000, "{end_requests} requests in {horizon} ms");
    let stampede = query(&root, "[data-kind='harm']").expect("the stampede is a mark on the track");
    assert!(stampede.text_content().unwrap().contains("octocat"));
    // Back to the first second: fewer requests, the figures and tables as they were then.
    drag_to(&root, 1_000);
    settle().await;
    assert_eq!(attr(&root, "scrubber", "data-cursor-ms"), "1000");
    assert!(by_testid(&root, "scrub-rewound").is_some());
    let early = requests(&root);
    assert!(early > 10 && early < end_requests / 2, "{early} of {end_requests}");
    assert!(text(&root, "ca-duplicates").parse::<u64>().unwrap() > 0, "the stampede happened in the first second");
    // ← steps back one event, → forward again to the same state.
    let (events, digest) = (attr(&root, "scrubber", "data-cursor-events"), attr(&root, "scrubber", "data-digest"));
    keydown(&document(), "ArrowLeft");
    settle().await;
    assert_eq!(
        attr(&root, "scrubber", "data-cursor-events").parse::<u64>().unwrap() + 1,
        events.parse::<u64>().unwrap()
    );
    keydown(&document(), "ArrowRight");
    settle().await;
    assert_eq!(attr(&root, "scrubber", "data-digest"), digest);
    // Forward to the horizon: exactly where the run had been.
    drag_to(&root, horizon);
    settle().await;
    // A live run may pause between two events of one millisecond; a seek to that millisecond takes
    // all of them. The state is the same exactly when the same events have run.
    let horizon_events: u64 = attr(&root, "scrubber", "data-cursor-events").parse().unwrap();
    assert!(horizon_events >= end_events, "{horizon_events} events at the horizon, {end_events} when paused");
    assert_eq!(requests(&root), end_requests);
    if horizon_events == end_events {
        assert_eq!(attr(&root, "scrubber", "data-digest"), end_digest);
    }
    // A typed request while rewound cuts the future off and says so.
    drag_to(&root, 1_000);
    settle().await;
    type_into(&root, "ca-user", "torvalds").await;
    submit(&root, "ca-ask").await;
    let notice = text(&root, "scrub-branch");
    assert!(notice.contains("New branch"), "{notice}");
    assert!(text(&root, "ca-result").contains("torvalds: MISS"));
    assert!(text(&root, "replay-download").contains("1 action"));
    let after: u64 = attr(&root, "scrubber", "data-horizon-ms").parse().unwrap();
    assert!(after < horizon, "the old future is gone ({after} < {horizon})");
    let (events, digest) = (attr(&root, "scrubber", "data-cursor-events"), attr(&root, "scrubber", "data-digest"));
    let ms = attr(&root, "scrubber", "data-cursor-ms");
    h.destroy();
    root.remove();

    // A link with the log and the cursor opens the same run at the same moment (the log as the
    // page writes it, made by the core from the same act at the same place).
    let settings = Settings { rate_per_s: 50.0, users: 1, ..Settings::default() };
    let mut core = CacheRewind::new(CacheAside::build(&settings, 4, TEST_EPOCH).unwrap());
    core.seek(Seek::Time(1_000));
    core.act(CacheAction::Request { user: "torvalds".into() }).unwrap();
    let a = log_to_query(core.actions());
    let (root, h) = mount(&format!("/redis?seed=4&rate=50&users=1&a={a}&t={ms}&ev={events}")).await;
    for _ in 0..400 {
        if by_testid(&root, "opening").is_none() && attr(&root, "scrubber", "data-cursor-events") == events {
            break;
        }
        gloo_timers::future::TimeoutFuture::new(25).await;
    }
    assert_eq!(attr(&root, "scrubber", "data-cursor-events"), events);
    assert_eq!(attr(&root, "scrubber", "data-digest"), digest, "the link's run is the page's run");
    assert!(text(&root, "replay-download").contains("1 action"));
    h.destroy();
    root.remove();
}
