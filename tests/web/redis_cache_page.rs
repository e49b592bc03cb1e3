//! Browser tests of the cache-aside demo on the Redis page: the demo mounted under a memory-history
//! router at `/redis?…`, driven with real DOM events.

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
    let dots = root.query_selector_all("[data-testid='ca-latency-chart'] svg.ca-scatter circle.ca-dot").unwrap();
    let ys: Vec<f64> = (0..dots.length())
        .filter_map(|i| dots.item(i)?.dyn_into::<web_sys::Element>().ok()?.get_attribute("cy")?.parse().ok())
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
