//! Browser tests of the /messaging page: mounted under the real `Layout` at a path with a query,
//! driven by real DOM events.

use playground::ui::Layout;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlInputElement};

use crate::support::*;

fn text(root: &Element, id: &str) -> String {
    by_testid(root, id).unwrap_or_else(|| panic!("{id} is on the page")).text_content().unwrap_or_default()
}

async fn wait_until(max_ms: u32, mut cond: impl FnMut() -> bool) -> bool {
    let mut waited = 0;
    while waited < max_ms {
        if cond() {
            return true;
        }
        gloo_timers::future::TimeoutFuture::new(25).await;
        waited += 25;
    }
    cond()
}

/// Mounts `path`, runs the run to its end ("Run to end", in frame slices) and returns the page.
async fn finished(path: &str) -> (Element, yew::AppHandle<Routed<Layout>>) {
    let (root, handle) = mount_at::<Layout>(path).await;
    assert!(by_testid(&root, "param-notices").is_none(), "{path}: a good URL gives no notice");
    click(&by_testid(&root, "msg-finish").expect("a Run to end button"));
    assert!(wait_until(60_000, || by_testid(&root, "msg-finished").is_some()).await, "{path}: the run finishes");
    settle().await;
    (root, handle)
}

#[wasm_bindgen_test]
async fn consumer_crash_on_the_simple_queue_shows_lost_messages_and_the_reliable_queue_none() {
    let (root, handle) = finished("/messaging?preset=consumer-crash&pattern=simple-queue&seed=1").await;
    let live = text(&root, "msg-live");
    assert!(live.contains("simple-queue"), "{live}");
    let lost: u64 = text(&root, "count-lost").parse().expect("a count once the run is over");
    assert!(lost > 0, "the simple queue loses what the crashed worker held");
    handle.destroy();
    root.remove();

    let (root, handle) = finished("/messaging?preset=consumer-crash&pattern=reliable-queue&seed=1").await;
    assert_eq!(text(&root, "count-lost"), "0", "the reliable queue redelivers");
    assert!(text(&root, "count-redelivered").parse::<u64>().unwrap() > 0);
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn the_inspector_opens_a_message_and_a_consumer_and_the_cli_reads_the_run() {
    let (root, handle) = mount_at::<Layout>("/messaging?preset=steady&pattern=stream-group&seed=2").await;
    // Step until some messages exist.
    for _ in 0..60 {
        click(&by_testid(&root, "step").unwrap());
    }
    settle().await;
    let chip = query(&root, "[data-testid='msg-recent'] button").expect("recent messages to pick from");
    click(&chip);
    settle().await;
    let life = text(&root, "msg-life");
    assert!(life.contains("produced by producer-"), "{life}");
    click(&by_testid(&root, "msg-inspect-1").unwrap());
    settle().await;
    assert!(text(&root, "msg-inspector").contains("worker 1"), "{}", text(&root, "msg-inspector"));
    // A crash from the card: the card says so.
    click(&by_testid(&root, "msg-crash-1").unwrap());
    settle().await;
    assert!(text(&root, "msg-consumer-1").contains("down"));
    // redis-cli: a read answers, a write is refused with the reason.
    let input = by_testid(&root, "msg-cli-input").unwrap().dyn_into::<HtmlInputElement>().unwrap();
    for line in ["XINFO GROUPS stream", "DEL stream"] {
        input.set_value(line);
        keydown(&input, "Enter");
        settle().await;
    }
    let t = text(&root, "msg-cli-transcript");
    assert!(t.contains("workers") && t.contains("DEL changes data"), "{t}");
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn bad_url_values_are_named_in_a_notice() {
    let (root, handle) = mount_at::<Layout>("/messaging?preset=nope&pattern=carrier-pigeon&seed=x&consumers=0").await;
    let n = text(&root, "param-notices");
    for bad in ["preset", "nope", "pattern", "carrier-pigeon", "seed", "consumers"] {
        assert!(n.contains(bad), "the notice names {bad}: {n}");
    }
    // Defaults were used: the page still runs.
    assert!(by_testid(&root, "msg-flow").is_some());
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn tcp_vs_udp_shows_both_transports() {
    let (root, handle) = mount_at::<Layout>("/messaging?preset=tcp-vs-udp&loss=0.1&seed=3").await;
    assert!(wait_until(30_000, || by_testid(&root, "msg-transport-table").is_some()).await);
    assert_eq!(text(&root, "tcp-delivered"), "1000");
    let udp: u64 = text(&root, "udp-delivered").parse().unwrap();
    assert!((800..980).contains(&udp), "UDP loses about 10 %: {udp}");
    handle.destroy();
    root.remove();
}

/// `0:00:07.123` → 7123.
fn clock_ms(root: &Element) -> u64 {
    let t = query(root, "[data-testid='clock'] output").expect("the clock").text_content().unwrap_or_default();
    let parts: Vec<&str> = t.trim().split(':').collect();
    assert_eq!(parts.len(), 3, "a clock h:mm:ss.mmm: {t}");
    let (h, m): (u64, u64) = (parts[0].parse().unwrap(), parts[1].parse().unwrap());
    let (s, ms) = parts[2].split_once('.').expect("milliseconds");
    ((h * 60 + m) * 60 + s.parse::<u64>().unwrap()) * 1000 + ms.parse::<u64>().unwrap()
}

fn counts(root: &Element, prefix: &str) -> Vec<String> {
    ["produced", "delivered", "processed", "lost", "duplicated", "redelivered", "out-of-order"]
        .iter()
        .map(|c| text(root, &format!("{prefix}count-{c}")))
        .collect()
}

/// What the page shows for a report: the same strings as `Counts`.
fn expected(r: &playground::messaging::Report, done: bool) -> Vec<String> {
    let lost = if done { r.lost.to_string() } else { format!("{} pending", r.lost) };
    vec![
        r.produced.to_string(),
        r.delivered.to_string(),
        r.processed.to_string(),
        lost,
        r.duplicated.to_string(),
        r.redelivered.to_string(),
        r.out_of_order.to_string(),
    ]
}

fn fresh_at(pattern: playground::messaging::PatternId, ms: u64) -> playground::messaging::MessagingRun {
    use playground::messaging::scenario::page_run;
    use playground::messaging::{same_workload, MessagingRun, PatternId};
    use playground::sim::Clocked;
    let v = page_run("consumer-crash", PatternId::SimpleQueue, 0).unwrap();
    let mut run = MessagingRun::new(same_workload(&v.scenario, pattern), 1, "fresh").unwrap();
    let t = playground::sim::TEST_EPOCH.saturating_add(playground::sim::SimDuration::from_millis(ms));
    Clocked::run_until(&mut run, t);
    run
}

#[wasm_bindgen_test]
async fn compare_plays_two_runs_of_one_workload_on_one_clock() {
    use playground::messaging::PatternId;
    let (root, handle) =
        mount_at::<Layout>("/messaging?preset=consumer-crash&pattern=simple-queue&vs=reliable-queue&seed=1").await;
    assert!(by_testid(&root, "param-notices").is_none(), "vs=reliable-queue is accepted");
    assert!(text(&root, "msg-live-vs").contains("reliable-queue"));
    // Play for a while, pause, and compare both runs with fresh core runs at the page's time.
    click(&by_testid(&root, "play-toggle").unwrap());
    assert!(wait_until(20_000, || clock_ms(&root) > 2_500).await, "the clock moves");
    click(&by_testid(&root, "play-toggle").unwrap());
    settle().await;
    let t = clock_ms(&root);
    assert!(t > 0);
    let (a, b) = (fresh_at(PatternId::SimpleQueue, t), fresh_at(PatternId::ReliableQueue, t));
    assert_eq!(counts(&root, ""), expected(&a.report(), false), "the first run at {t} ms");
    assert_eq!(counts(&root, "vs-"), expected(&b.report(), false), "the compared run at {t} ms");
    // To the end: the sentence says what differs.
    click(&by_testid(&root, "msg-finish").unwrap());
    assert!(wait_until(60_000, || by_testid(&root, "msg-finished").is_some()).await);
    settle().await;
    assert_ne!(text(&root, "count-lost"), "0", "the simple queue loses what the crashed worker held");
    assert_eq!(text(&root, "vs-count-lost"), "0", "the reliable queue redelivers");
    let note = text(&root, "msg-compare-note");
    assert!(note.contains("simple-queue lost") && note.contains("reliable-queue redelivered"), "{note}");
    // A fault applies to both at the same virtual time (here, the end).
    assert!(by_testid(&root, "msg-faults-both").is_some());
    click(&by_testid(&root, "msg-partition").unwrap());
    settle().await;
    let flows = root.query_selector_all("[data-testid='msg-partition-line']").unwrap().length();
    assert_eq!(flows, 2, "both flows show the partition");
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn a_bad_vs_value_is_named_with_what_is_accepted() {
    let (root, handle) = mount_at::<Layout>("/messaging?preset=steady&pattern=pubsub&vs=kafka").await;
    let n = text(&root, "param-notices");
    for want in ["vs", "kafka", "stream-group", "none"] {
        assert!(n.contains(want), "the notice names {want}: {n}");
    }
    assert!(by_testid(&root, "msg-live-vs").is_none(), "no comparison from a bad value");
    assert!(by_testid(&root, "msg-flow").is_some());
    handle.destroy();
    root.remove();
}

/// The value of `key` in the router's query (as written).
fn query_value(root: &Element, key: &str) -> Option<String> {
    let q = router_query(root);
    q.trim_start_matches('?').split('&').find_map(|kv| kv.strip_prefix(&format!("{key}=")).map(str::to_string))
}

/// Rewind: a crash pressed on a consumer's card is a logged action. Stepping back one event takes
/// it back (the card is up again and the scrubber says the run is rewound), stepping forward does
/// it again; dragging the scrubber back to the start shows the fresh run; the URL carries the log
/// and the cursor, and a page opened at that URL shows the same moment with the same counts.
#[wasm_bindgen_test]
async fn stepping_back_takes_a_crash_back_and_a_link_with_a_cursor_opens_the_same_moment() {
    let (root, handle) = mount_at::<LayoutWithQuery>("/messaging?preset=steady&pattern=reliable-queue&seed=3").await;
    assert!(by_testid(&root, "scrubber").is_some(), "the page has the shared scrubber");
    assert_eq!(query_value(&root, "a"), None, "a fresh run carries no action log");
    for _ in 0..80 {
        click(&by_testid(&root, "step").unwrap());
    }
    settle().await;
    click(&by_testid(&root, "msg-crash-0").unwrap());
    settle().await;
    assert!(text(&root, "msg-consumer-0").contains("down"));
    let log = query_value(&root, "a").expect("the action log is in the URL");
    assert!(log.ends_with("c0-3000"), "the crash is logged as c0-3000: {log}");
    assert!(query_value(&root, "t").is_some() && query_value(&root, "ev").is_some(), "the cursor is in the URL");
    let crashed_at = clock_ms(&root);
    // One event back: before the crash.
    click(&by_testid(&root, "scrub-back").unwrap());
    settle().await;
    assert!(!text(&root, "msg-consumer-0").contains("down"), "back before the crash");
    assert!(by_testid(&root, "scrub-rewound").is_some());
    click(&by_testid(&root, "scrub-forward").unwrap());
    settle().await;
    assert!(text(&root, "msg-consumer-0").contains("down"), "forward again: the logged crash is replayed");
    // Play on a little, pause; this moment is what the link must open.
    for _ in 0..40 {
        click(&by_testid(&root, "step").unwrap());
    }
    settle().await;
    let (t, shown) = (clock_ms(&root), counts(&root, ""));
    assert!(t >= crashed_at);
    let q = router_query(&root);
    assert_eq!(query_value(&root, "t"), Some(t.to_string()), "the URL's cursor is the page's clock: {q}");
    // Dragging the scrubber to the start shows the fresh run.
    drag_to(&root, 0);
    settle().await;
    assert_eq!(clock_ms(&root), 0);
    assert_eq!(text(&root, "count-produced"), "0");
    assert!(!text(&root, "msg-consumer-0").contains("down"));
    handle.destroy();
    root.remove();
    // The copied link opens at the same moment.
    let (root, handle) = mount_at::<LayoutWithQuery>(&format!("/messaging{q}")).await;
    assert!(by_testid(&root, "param-notices").is_none(), "the link's values are accepted: {q}");
    assert!(wait_until(20_000, || by_testid(&root, "opening").is_none()).await, "the link's cursor is reached");
    settle().await;
    assert_eq!(clock_ms(&root), t);
    assert_eq!(counts(&root, ""), shown, "the same counts at the link's cursor");
    assert!(text(&root, "msg-consumer-0").contains("down"));
    handle.destroy();
    root.remove();
}
