//! Browser tests of the /cluster page: mounted under the real `Layout` at a path with a query,
//! driven by real DOM events.

use playground::ui::Layout;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlInputElement};

use crate::support::*;

/// The value of `key` in the router's query (as written, percent-encoded).
fn query_value(root: &Element, key: &str) -> Option<String> {
    let q = router_query(root);
    q.trim_start_matches('?').split('&').find_map(|kv| kv.strip_prefix(&format!("{key}=")).map(str::to_string))
}

fn text(root: &Element, id: &str) -> String {
    by_testid(root, id).unwrap_or_else(|| panic!("{id} is on the page")).text_content().unwrap_or_default()
}

fn owners(root: &Element) -> Vec<String> {
    let runs = root.query_selector_all("[data-testid='slot-run']").unwrap();
    (0..runs.length())
        .map(|i| runs.item(i).unwrap().dyn_into::<Element>().unwrap().get_attribute("data-owner").unwrap_or_default())
        .collect()
}

/// Waits (in short steps, at most `max_ms`) until `cond` holds.
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

fn type_line(root: &Element, line: &str) {
    let input = by_testid(root, "cluster-cli-input").unwrap().dyn_into::<HtmlInputElement>().unwrap();
    input.set_value(line);
    keydown(&input, "Enter");
}

/// The cluster specification's failover: the killed master's replica wins the election, takes
/// its slots under a new config epoch, and the slot bar shows the new owner.
#[wasm_bindgen_test]
async fn killing_a_master_promotes_its_replica_and_recolours_the_slot_bar() {
    let (root, handle) = mount_at::<Layout>("/cluster?preset=steady&reads=0&writes=0&seed=4&speed=1000").await;
    assert!(by_testid(&root, "page-cluster").is_some());
    assert!(by_testid(&root, "param-notices").is_none(), "a good URL gives no notice");
    assert_eq!(owners(&root), ["0", "1", "2"]);
    assert_eq!(text(&root, "node-0-role"), "master");
    assert!(by_testid(&root, "failover-timeline-empty").is_some());
    click(&by_testid(&root, "node-0-kill").unwrap());
    settle().await;
    assert_eq!(text(&root, "node-0-health"), "killed");
    assert!(by_testid(&root, "node-0-restart").is_some(), "a killed node offers Restart");
    click(&by_testid(&root, "play-toggle").unwrap());
    let promoted = wait_until(40_000, || by_testid(&root, "phase-promoted").is_some()).await;
    assert!(promoted, "the replica was promoted (t = {})", text(&root, "clock"));
    click(&by_testid(&root, "play-toggle").unwrap());
    settle().await;
    let after = owners(&root);
    assert_eq!(after.len(), 3);
    assert_ne!(after[0], "0", "the first slot range changed owner");
    let new_master = &after[0];
    assert_eq!(text(&root, &format!("node-{new_master}-role")), "master");
    assert_eq!(text(&root, &format!("node-{new_master}-epoch")), "7", "the election's epoch");
    assert!(
        by_testid(&root, "phase-pfail").is_some()
            && by_testid(&root, "phase-fail").is_some()
            && by_testid(&root, "phase-election").is_some()
    );
    assert!(text(&root, "failover-summary").contains("owned its slots"));
    // The old master comes back as a replica of the new one.
    click(&by_testid(&root, "node-0-restart").unwrap());
    click(&by_testid(&root, "play-toggle").unwrap());
    let demoted = wait_until(30_000, || {
        by_testid(&root, "node-0-role").is_some_and(|e| e.text_content().as_deref() == Some("replica"))
    })
    .await;
    click(&by_testid(&root, "play-toggle").unwrap());
    assert!(demoted, "the returning master becomes a replica");
    handle.destroy();
    root.remove();
}

/// The fault panel: cut any set of nodes off (the operator log names them, Heal turns on, and
/// the cut-off master's replica is promoted on the majority side, recolouring the slot bar), and
/// add latency to one node (named in the log; a bad value is refused naming it).
#[wasm_bindgen_test]
async fn partition_and_latency_faults_are_applied_and_logged() {
    let (root, handle) = mount_at::<Layout>("/cluster?preset=steady&reads=0&writes=0&seed=4&speed=1000").await;
    let heal_disabled = |root: &Element| by_testid(root, "heal").unwrap().has_attribute("disabled");
    assert!(heal_disabled(&root), "nothing to heal yet");
    click(&by_testid(&root, "node-0-cut").unwrap());
    settle().await;
    click(&by_testid(&root, "partition").unwrap());
    settle().await;
    let log = text(&root, "operator-log");
    assert!(log.contains("partition {:7000} from the rest"), "{log}");
    assert!(!heal_disabled(&root), "Heal is offered while the partition lasts");

    set_value(&by_testid(&root, "latency-node").unwrap(), "1", "change");
    set_value(&by_testid(&root, "latency-ms").unwrap(), "soon", "input");
    click(&by_testid(&root, "latency-apply").unwrap());
    settle().await;
    assert!(text(&root, "faults-error").contains("\"soon\""), "{}", text(&root, "faults-error"));
    set_value(&by_testid(&root, "latency-ms").unwrap(), "300", "input");
    click(&by_testid(&root, "latency-apply").unwrap());
    settle().await;
    assert!(by_testid(&root, "faults-error").is_none());
    assert!(text(&root, "operator-log").contains("latency +300 ms on :7001"), "{}", text(&root, "operator-log"));

    click(&by_testid(&root, "play-toggle").unwrap());
    let promoted = wait_until(40_000, || by_testid(&root, "phase-promoted").is_some()).await;
    click(&by_testid(&root, "play-toggle").unwrap());
    assert!(promoted, "the cut-off master's replica was promoted (t = {})", text(&root, "clock"));
    settle().await;
    assert_ne!(owners(&root)[0], "0", "the first slot range has a new owner");
    click(&by_testid(&root, "heal").unwrap());
    settle().await;
    assert!(text(&root, "operator-log").contains("heal the partition"));
    assert!(heal_disabled(&root));
    handle.destroy();
    root.remove();
}

/// redis-cli -c: "-> Redirected to slot [12182] located at 127.0.0.1:7002" and the prompt
/// follows the node; CROSSSLOT for keys of two slots.
#[wasm_bindgen_test]
async fn the_cli_follows_redirects_and_the_placement_box_computes_slots() {
    let (root, handle) = mount_at::<Layout>("/cluster?preset=steady&reads=0&writes=0").await;
    assert_eq!(text(&root, "cluster-cli-prompt"), "127.0.0.1:7000>");
    type_line(&root, "SET foo bar");
    settle().await;
    assert_eq!(text(&root, "cluster-cli-prompt"), "127.0.0.1:7002>");
    let outputs = root.query_selector_all("[data-testid='cluster-cli-output']").unwrap();
    let last = outputs.item(outputs.length() - 1).unwrap().text_content().unwrap();
    assert_eq!(last, "-> Redirected to slot [12182] located at 127.0.0.1:7002\nOK");
    type_line(&root, "MSET a 1 b 2");
    settle().await;
    assert!(root.text_content().unwrap().contains("(error) CROSSSLOT Keys in request don't hash to the same slot"));
    let key = by_testid(&root, "placement-key").unwrap().dyn_into::<HtmlInputElement>().unwrap();
    key.set_value("foo");
    let ev = web_sys::Event::new("input").unwrap();
    ev.init_event_with_bubbles("input", true);
    key.dispatch_event(&ev).unwrap();
    settle().await;
    assert!(text(&root, "placement-slot").starts_with("12182 "));
    assert_eq!(text(&root, "placement-owner"), "127.0.0.1:7002");
    assert!(text(&root, "placement-tag").contains("whole key"));
    handle.destroy();
    root.remove();
}

/// Bad URL values are named and fall back to the preset's.
#[wasm_bindgen_test]
async fn bad_url_values_show_notices() {
    let (root, handle) = mount_at::<Layout>("/cluster?preset=nope&timeout=3&masters=2").await;
    let notices = text(&root, "param-notices");
    assert!(notices.contains("`preset`") && notices.contains("\"nope\""), "{notices}");
    assert!(notices.contains("`timeout`") && notices.contains("`masters`"), "{notices}");
    assert!(text(&root, "run-status").contains("node timeout 5000 ms"));
    handle.destroy();
    root.remove();
}

/// Rewind: a typed line is a logged action — stepping back one event takes it (and the prompt's
/// move) back; typing another line there starts a new branch, and the page says so.
#[wasm_bindgen_test]
async fn stepping_back_takes_a_typed_line_back_and_acting_there_branches() {
    let (root, handle) = mount_at::<LayoutWithQuery>("/cluster?preset=steady&reads=0&writes=0&seed=2").await;
    assert!(by_testid(&root, "scrubber").is_some(), "the page has the shared scrubber");
    assert_eq!(query_value(&root, "a"), None, "a fresh run carries no action log");
    click(&by_testid(&root, "scrub-forward").unwrap());
    settle().await;
    type_line(&root, "SET foo bar");
    settle().await;
    assert_eq!(text(&root, "cluster-cli-prompt"), "127.0.0.1:7002>");
    assert_eq!(root.query_selector_all("[data-testid='cluster-cli-entry']").unwrap().length(), 1);
    // The typed line is in the URL's action log (`SET foo bar` is coded `cSET.foo.bar`), with the cursor.
    let log = query_value(&root, "a").expect("the action log is in the URL");
    assert!(log.ends_with("cSET.foo.bar"), "{log}");
    assert!(query_value(&root, "t").is_some() && query_value(&root, "ev").is_some(), "the cursor is in the URL");
    click(&by_testid(&root, "scrub-back").unwrap());
    settle().await;
    assert_eq!(text(&root, "cluster-cli-prompt"), "127.0.0.1:7000>", "back before the line");
    assert_eq!(root.query_selector_all("[data-testid='cluster-cli-entry']").unwrap().length(), 0);
    assert!(by_testid(&root, "scrub-rewound").is_some());
    type_line(&root, "GET foo");
    settle().await;
    assert!(by_testid(&root, "scrub-branch").is_some(), "acting while rewound starts a new branch");
    assert_eq!(text(&root, "cluster-cli-output"), "-> Redirected to slot [12182] located at 127.0.0.1:7002\n(nil)");
    let log = query_value(&root, "a").expect("the branch's action log is in the URL");
    assert!(log.ends_with("cGET.foo") && !log.contains("cSET"), "the branch replaced the future: {log}");
    // A typical session's address: a kill, a dozen typed lines, a few steps, a restart.
    click(&by_testid(&root, "node-0-kill").unwrap());
    settle().await;
    for i in 0..12 {
        type_line(&root, &format!("SET user:{i} {{\"name\":\"n{i}\",\"visits\":{i}}}"));
        settle().await;
        click(&by_testid(&root, "scrub-forward").unwrap());
        settle().await;
    }
    click(&by_testid(&root, "node-0-restart").unwrap());
    settle().await;
    let q = router_query(&root);
    let entries = query_value(&root, "a").unwrap_or_default().split('_').count();
    let url_len = "https://example.github.io/playground/cluster".len() + q.len();
    web_sys::console::log_1(&format!("cluster URL after {entries} logged actions: {url_len} bytes").into());
    assert_eq!(entries, 15, "the GET, the kill, 12 lines and the restart are all logged: {q}");
    handle.destroy();
    root.remove();
}

/// Issue 16's linearizability panel: on replica-lag seed 1, played past the failover, the check
/// (in frame slices) finds as many failing keys as the core's one-shot `check_writes` on the same
/// run at the same cursor, draws each failing sub-history, and "Seek to" moves the cursor (the
/// result then says it is stale).
#[wasm_bindgen_test]
async fn the_linearizability_check_agrees_with_the_core_and_seeks_to_a_failing_write() {
    use playground::cluster::linear::check_writes;
    use playground::cluster::runtime::{ClusterRun, ClusterSim};
    use playground::cluster::scenario::preset;
    use playground::sim::replay::ReplayModel;
    use playground::sim::{Cursor, Rewind, Seek, TEST_EPOCH};

    let (root, handle) = mount_at::<LayoutWithQuery>("/cluster?preset=replica-lag&seed=1&speed=100").await;
    click(&by_testid(&root, "play-toggle").unwrap());
    let promoted = wait_until(60_000, || by_testid(&root, "phase-promoted").is_some()).await;
    assert!(promoted, "the replica was promoted (t = {})", text(&root, "clock"));
    // A little past the promotion, then pause.
    gloo_timers::future::TimeoutFuture::new(300).await;
    click(&by_testid(&root, "play-toggle").unwrap());
    settle().await;
    let num =
        |k: &str| query_value(&root, k).and_then(|v| v.parse::<u64>().ok()).unwrap_or_else(|| panic!("{k} in the URL"));
    let cursor = Cursor { at_ms: num("t"), events: num("ev") };

    click(&by_testid(&root, "linear-check").unwrap());
    let done = wait_until(30_000, || by_testid(&root, "linear-result").is_some()).await;
    assert!(done, "the check finished");
    let failing: usize = text(&root, "linear-failing").parse().unwrap();
    let keys: usize = text(&root, "linear-keys").parse().unwrap();
    assert!(by_testid(&root, "linear-stale").is_none(), "fresh at its cursor");

    // The core's one-shot check of the same run at the same cursor.
    let mut rewind = Rewind::new(ClusterSim::build(&preset("replica-lag").unwrap(), 1, TEST_EPOCH).unwrap());
    assert_eq!(rewind.seek(Seek::At(cursor)), cursor);
    let (_, report) = check_writes(&mut ClusterRun { sim: rewind.sim().clone() });
    web_sys::console::log_1(&format!("at {cursor:?}: {keys} keys, {failing} failing; core: {}", report.summary).into());
    assert!(failing > 0, "the lag-window failover lost acknowledged writes");
    assert_eq!(failing, report.failures.len());
    assert_eq!(keys, report.keys);
    let drawn = root.query_selector_all("[data-testid='linear-timeline'] rect").unwrap().length();
    assert!(drawn >= 2, "each failing sub-history is drawn as bars ({drawn})");

    click(&by_testid(&root, "linear-seek-0").unwrap());
    let moved = wait_until(5_000, || query_value(&root, "t").is_some_and(|t| t != cursor.at_ms.to_string())).await;
    assert!(moved, "Seek moved the cursor (t = {:?})", query_value(&root, "t"));
    let t: u64 = query_value(&root, "t").unwrap().parse().unwrap();
    assert!(t < cursor.at_ms, "back to the failing write, before the failover: {t}");
    assert!(by_testid(&root, "linear-stale").is_some(), "the result says it is stale");
    handle.destroy();
    root.remove();
}
