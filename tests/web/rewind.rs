//! Rewind in the browser: the core's property (the digest at a cursor does not depend on how it was
//! reached) once in wasm for the locks and the cache-aside models, and the locks page's scrubber — drag back before gc-pause's violation, step
//! forward to it, and the red band and the Redis panel match a forward run to the same moment;
//! ← steps back; acting while rewound starts a new branch and says so.

use playground::lock::{build, preset, Action, LockRewind, Target, PRESET_IDS};
use playground::redis::cache_aside::replay::{CacheAction, CacheRewind, Settings};
use playground::redis::cache_aside::CacheAside;
use playground::sim::replay::ReplayModel;
use playground::sim::rewind::{RewindConfig, Seek};
use playground::sim::{SimRng, SimTime};
use playground::ui::Layout;
use wasm_bindgen_test::*;
use web_sys::Element;

use crate::support::*;

/// The epoch every page in these tests runs at, so two pages make the same run.
const EPOCH: u64 = 1_767_225_600_000;

fn text(root: &Element, testid: &str) -> String {
    by_testid(root, testid).unwrap_or_else(|| panic!("no [data-testid={testid}]")).text_content().unwrap_or_default()
}

async fn wait_for(root: &Element, what: &str, cond: impl Fn(&Element) -> bool) {
    for _ in 0..600 {
        if cond(root) {
            return;
        }
        gloo_timers::future::TimeoutFuture::new(25).await;
    }
    panic!("timed out waiting for {what}");
}

#[wasm_bindgen_test]
fn the_digest_at_a_cursor_does_not_depend_on_how_it_was_reached_in_wasm() {
    crate::support::with_lua();
    let epoch = SimTime::from_unix_ms(EPOCH);
    for seed in 0..6u64 {
        let id = PRESET_IDS[seed as usize % PRESET_IDS.len()];
        let mut s = preset(id).unwrap();
        s.seed = seed;
        let tight = RewindConfig { every: 24, max_snapshots: 5, ..RewindConfig::default() };
        let mut r = LockRewind::with_config(build(&s, epoch).unwrap(), tight);
        let mut rng = SimRng::new(seed);
        for step in 0..30 {
            match rng.below(6) {
                0 => {
                    r.seek(Seek::Time(rng.below(80_000)));
                }
                1 => {
                    r.seek(Seek::Events(rng.below(300)));
                }
                2 => {
                    for _ in 0..=rng.below(4) {
                        r.step_back();
                    }
                }
                3 => {
                    r.step_forward();
                }
                4 => {
                    r.seek_prev_mark();
                }
                _ => {
                    let _ = r.act(Action::Pause {
                        target: Target::Worker(rng.below(2) as usize),
                        ms: 1_000 + rng.below(20_000),
                    });
                }
            }
            let mut straight =
                LockRewind::with_log(build(&s, epoch).unwrap(), RewindConfig::default(), r.actions().to_vec()).unwrap();
            straight.seek(Seek::At(r.cursor()));
            assert_eq!(straight.digest(), r.digest(), "{id} seed {seed} step {step}");
        }
    }
}

#[wasm_bindgen_test]
fn the_cache_aside_digest_at_a_cursor_does_not_depend_on_how_it_was_reached_in_wasm() {
    crate::support::with_lua();
    let epoch = SimTime::from_unix_ms(EPOCH);
    for seed in 0..6u64 {
        let settings = Settings { ttl_s: 1 + seed, rate_per_s: 10.0 + 5.0 * seed as f64, users: 5 + seed, skew: 1.0 };
        let fresh = || CacheAside::build(&settings, seed, epoch).unwrap();
        let mut r =
            CacheRewind::with_config(fresh(), RewindConfig { every: 40, max_snapshots: 5, ..RewindConfig::default() });
        let mut rng = SimRng::new(seed);
        for step in 0..30 {
            match rng.below(5) {
                0 => {
                    r.seek(Seek::Time(rng.below(20_000)));
                }
                1 => {
                    r.seek(Seek::Events(rng.below(1_000)));
                }
                2 => {
                    for _ in 0..=rng.below(4) {
                        r.step_back();
                    }
                }
                3 => {
                    r.step_forward();
                }
                _ => {
                    let action = if rng.below(3) == 0 {
                        CacheAction::Configure { settings: Settings { ttl_s: 1 + rng.below(10), ..settings.clone() } }
                    } else {
                        CacheAction::Request { user: ["octocat", "torvalds", "dev3"][rng.below(3) as usize].into() }
                    };
                    r.act(action).unwrap();
                }
            }
            let mut straight = CacheRewind::with_log(fresh(), RewindConfig::default(), r.actions().to_vec()).unwrap();
            straight.seek(Seek::At(r.cursor()));
            assert_eq!(straight.digest(), r.digest(), "cache-aside seed {seed} step {step}");
            assert_eq!(straight.model().totals(), r.model().totals());
        }
    }
}

#[wasm_bindgen_test]
async fn gc_pause_rewound_before_the_violation_and_stepped_to_it_matches_the_forward_run() {
    crate::support::with_lua();
    let (root, handle) = mount_at::<Layout>(&format!("/locks?preset=gc-pause&speed=1000&epoch={EPOCH}")).await;
    click(&by_testid(&root, "play-toggle").unwrap());
    wait_for(&root, "the stale write after the violation", |r| text(r, "summary-stale-accepted") != "0").await;
    click(&by_testid(&root, "play-toggle").unwrap());
    settle().await;
    assert_eq!(text(&root, "summary-violations"), "1");
    // The violation is a mark on the scrubber's track.
    let mark = query(&root, "[data-kind='violation']").expect("a violation mark on the track");
    let title = mark.text_content().unwrap();
    assert!(title.contains("lease overlap"), "{title}");
    // Drag back to before it: no band, no violation.
    drag_to(&root, 20_000);
    settle().await;
    assert_eq!(attr(&root, "scrubber", "data-cursor-ms"), "20000");
    assert_eq!(text(&root, "summary-violations"), "0");
    assert!(by_testid(&root, "timeline-violation").is_none(), "no band before the violation");
    assert!(by_testid(&root, "scrub-rewound").is_some(), "the scrubber says the run is rewound");
    // Step forward, one event at a time, to the violation.
    for _ in 0..200 {
        if text(&root, "summary-violations") == "1" {
            break;
        }
        click(&by_testid(&root, "scrub-forward").unwrap());
        settle().await;
    }
    assert_eq!(text(&root, "summary-violations"), "1");
    let band = by_testid(&root, "timeline-violation").expect("the red band at the violation");
    assert!(band.class_list().contains("lk-violation"));
    let redis = text(&root, "redis-panel");
    let events = attr(&root, "scrubber", "data-cursor-events");
    let ms = attr(&root, "scrubber", "data-cursor-ms");
    // One step back undoes it.
    click(&by_testid(&root, "scrub-back").unwrap());
    settle().await;
    assert_eq!(text(&root, "summary-violations"), "0");
    keydown(&document(), "ArrowRight");
    settle().await;
    assert_eq!(attr(&root, "scrubber", "data-cursor-events"), events);
    handle.destroy();
    root.remove();

    // A forward run straight to the same moment (a link with the cursor) shows the same.
    let (root, handle) = mount_at::<Layout>(&format!("/locks?preset=gc-pause&epoch={EPOCH}&t={ms}&ev={events}")).await;
    wait_for(&root, "the link's cursor", |r| by_testid(r, "opening").is_none()).await;
    settle().await;
    assert_eq!(attr(&root, "scrubber", "data-cursor-events"), events);
    assert_eq!(text(&root, "summary-violations"), "1");
    assert!(by_testid(&root, "timeline-violation").is_some());
    assert_eq!(text(&root, "redis-panel"), redis, "the Redis panel matches the forward run");
    // And the core agrees on the value Redis holds.
    let mut core = LockRewind::new(build(&preset("gc-pause").unwrap(), SimTime::from_unix_ms(EPOCH)).unwrap());
    core.seek(Seek::Events(events.parse().unwrap()));
    let value = core.model().redis_view(0, core.sim().now()).unwrap().value.unwrap_or("(nil)").to_string();
    assert!(redis.contains(&value), "{redis} shows {value}");
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn acting_while_rewound_cuts_the_future_and_says_so_and_left_steps_back() {
    crate::support::with_lua();
    let (root, handle) = mount_at::<Layout>(&format!("/locks?seed=4&epoch={EPOCH}")).await;
    for _ in 0..30 {
        click(&by_testid(&root, "next-event").unwrap());
        settle().await;
    }
    click(&by_testid(&root, "worker-1-partition").unwrap());
    settle().await;
    assert!(text(&root, "replay-download").contains("1 action"));
    // The track ends at the furthest point reached; drag to its middle.
    let horizon: u64 = attr(&root, "scrubber", "data-horizon-ms").parse().unwrap();
    assert!(horizon > 0);
    drag_to(&root, horizon / 2);
    settle().await;
    assert_eq!(attr(&root, "scrubber", "data-cursor-ms"), (horizon / 2).to_string());
    assert_eq!(attr(&root, "scrubber", "data-horizon-ms"), horizon.to_string(), "seeking back keeps the future");
    // ← steps back one event.
    let before: u64 = attr(&root, "scrubber", "data-cursor-events").parse().unwrap();
    keydown(&document(), "ArrowLeft");
    settle().await;
    let after: u64 = attr(&root, "scrubber", "data-cursor-events").parse().unwrap();
    assert_eq!(after, before - 1);
    // Back to the very start (before the partition) and act: the future goes, and the page says so.
    drag_to(&root, 0);
    settle().await;
    assert!(by_testid(&root, "scrub-rewound").unwrap().text_content().unwrap().contains("1 logged action"));
    click(&by_testid(&root, "worker-0-partition").unwrap());
    settle().await;
    let notice = text(&root, "scrub-branch");
    assert!(notice.contains("New branch") && notice.contains("1 later action"), "{notice}");
    assert!(by_testid(&root, "scrub-rewound").is_none());
    assert_eq!(attr(&root, "scrubber", "data-horizon-ms"), "0");
    assert!(text(&root, "replay-download").contains("1 action"));
    handle.destroy();
    root.remove();
}
