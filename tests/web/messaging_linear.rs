//! The /messaging page's linearizability panel (issue 16): on a finished simple-queue run with a
//! consumer crash, the check (in frame slices) finds as many failing message keys as the core's
//! one-shot check of the same run, each a lost acknowledged message the delivery checker counts
//! lost, draws each failing sub-history, and "Inspect message" opens the message's life; the
//! reliable queue on the same workload is linearizable; a run not yet over cannot be checked.

use playground::messaging::linear::history;
use playground::messaging::scenario::page_run;
use playground::messaging::{MessagingRun, PatternId};
use playground::ui::Layout;
use playground::verify::linear::check_history;
use wasm_bindgen_test::*;
use web_sys::Element;

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

/// The core's check of the run the page shows for (consumer-crash, `pattern`, seed 1).
fn core(pattern: PatternId) -> (usize, u64) {
    playground::redis::table::install_commands(&playground::messaging::MESSAGING_COMMANDS);
    let v = page_run("consumer-crash", pattern, 0).unwrap();
    let mut run = MessagingRun::new(v.scenario, 1, &v.label).unwrap();
    let end = run.end();
    run.advance(end, u64::MAX);
    let report = check_history(&history(&run).unwrap());
    (report.failures.len(), run.report().lost)
}

async fn checked(pattern: &str) -> (Element, yew::AppHandle<Routed<Layout>>) {
    let (root, handle) =
        mount_at::<Layout>(&format!("/messaging?preset=consumer-crash&pattern={pattern}&seed=1")).await;
    let check = by_testid(&root, "msg-linear-check").expect("the panel's button");
    assert!(check.has_attribute("disabled"), "a run not over cannot be checked");
    assert!(by_testid(&root, "msg-linear-wait").is_some());
    click(&by_testid(&root, "msg-finish").unwrap());
    assert!(wait_until(60_000, || by_testid(&root, "msg-finished").is_some()).await, "the run finishes");
    settle().await;
    click(&by_testid(&root, "msg-linear-check").unwrap());
    assert!(wait_until(30_000, || by_testid(&root, "msg-linear-result").is_some()).await, "the check finished");
    (root, handle)
}

#[wasm_bindgen_test]
async fn the_check_flags_the_simple_queues_lost_messages_as_the_core_does_and_inspects_one() {
    let (root, handle) = checked("simple-queue").await;
    let failing: usize = text(&root, "msg-linear-failing").parse().unwrap();
    let lost: usize = text(&root, "msg-linear-lost").parse().unwrap();
    let (core_failing, core_lost) = core(PatternId::SimpleQueue);
    web_sys::console::log_1(&format!("page: {failing} failing, {lost} lost; core: {core_failing}, {core_lost}").into());
    assert!(failing > 0, "the crashed consumer's messages are lost");
    assert_eq!(failing, core_failing);
    assert_eq!(lost as u64, core_lost, "each lost message is a lost acknowledged message");
    assert_eq!(text(&root, "count-lost"), core_lost.to_string());
    assert!(by_testid(&root, "msg-linear-stale").is_none());
    let drawn =
        root.query_selector_all("[data-testid='msg-linear-failure'] [data-testid='linear-timeline'] rect").unwrap();
    assert!(drawn.length() >= 2, "the sub-history is drawn ({})", drawn.length());
    let summary = text(&root, "msg-linear-summary");
    assert!(summary.contains(&format!("counts {core_lost} lost")), "{summary}");
    click(&by_testid(&root, "msg-linear-inspect-0").unwrap());
    assert!(wait_until(5_000, || by_testid(&root, "msg-life").is_some()).await, "the message's life opens");
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn the_reliable_queue_on_the_same_crash_is_linearizable() {
    let (root, handle) = checked("reliable-queue").await;
    assert_eq!(text(&root, "msg-linear-failing"), "0");
    assert_eq!(core(PatternId::ReliableQueue), (0, 0));
    let keys: usize = text(&root, "msg-linear-keys").parse().unwrap();
    assert_eq!(text(&root, "msg-linear-ok"), keys.to_string());
    assert!(keys > 100, "{keys}");
    handle.destroy();
    root.remove();
}
