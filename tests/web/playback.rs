//! `use_playback` + `ControlsBar` + `use_url_params` driving a real kernel simulation in the browser.

use playground::sim::{Ctx, Model, SimDuration, SimParams, Simulation, TEST_EPOCH};
use playground::ui::components::{ControlsBar, ParamNotices};
use playground::ui::hooks::{use_playback, use_url_params};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use yew::prelude::*;
use yew_router::Router;

use crate::support::*;

/// One event every 100 ms of virtual time.
struct Ticker;
impl Model for Ticker {
    type Event = ();
    fn handle(&mut self, ctx: &mut Ctx<'_, ()>, _: ()) {
        ctx.schedule_in(SimDuration(100), ());
    }
    fn describe(&self, _: &()) -> (String, String) {
        ("ticker".into(), "tick".into())
    }
}

fn ticker() -> Simulation<Ticker> {
    let mut s = Simulation::new(Ticker, TEST_EPOCH);
    s.schedule_in(SimDuration(100), ());
    s
}

#[component]
fn Page() -> Html {
    let url = use_url_params(SimParams::read);
    let run = use_mut_ref(ticker);
    let seed = use_state(|| url.initial().seed);
    let pb = use_playback(run.clone(), url.initial().speed);
    let elapsed = pb.now() - TEST_EPOCH;
    let processed = run.borrow().processed();
    let on_reset = {
        let (run, pb) = (run.clone(), pb.clone());
        Callback::from(move |_| {
            *run.borrow_mut() = ticker();
            pb.redraw();
        })
    };
    let on_seed = {
        let seed = seed.clone();
        Callback::from(move |s| seed.set(s))
    };
    html! {
        <div>
            <ParamNotices notices={url.notices().to_vec()} />
            <ControlsBar playing={pb.is_playing()} slider={pb.slider()} clock={elapsed.clock_string()}
                behind={pb.behind_text().map(AttrValue::from)} seed={*seed}
                on_toggle={pb.on_toggle()}
                on_step={pb.on_step()}
                on_next={pb.on_next()}
                on_slider={pb.on_slider()}
                {on_seed} {on_reset} />
            <span data-testid="processed">{ processed }</span>
            <span data-testid="seed-value">{ *seed }</span>
        </div>
    }
}

async fn mount(path: &str) -> (web_sys::Element, yew::AppHandle<Routed<Page>>) {
    mount_at::<Page>(path).await
}

fn text(root: &web_sys::Element, id: &str) -> String {
    by_testid(root, id).and_then(|e| e.text_content()).unwrap_or_default()
}

#[wasm_bindgen_test]
async fn step_and_next_event_advance_the_virtual_clock() {
    let (root, h) = mount("/x?seed=5&speed=2").await;
    assert_eq!(text(&root, "clock"), "t =0:00:00.000");
    click(&by_testid(&root, "step").unwrap());
    settle().await;
    assert_eq!(text(&root, "processed"), "1");
    assert_eq!(text(&root, "clock"), "t =0:00:00.100");
    click(&by_testid(&root, "next-event").unwrap());
    settle().await;
    assert_eq!(text(&root, "clock"), "t =0:00:00.200");
    assert_eq!(text(&root, "speed-value"), "2×");
    assert_eq!(text(&root, "seed-value"), "5");
    h.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn play_runs_frames_until_paused_and_keys_work() {
    let (root, h) = mount("/x?speed=1000").await;
    click(&by_testid(&root, "play-toggle").unwrap());
    // Wait for a handful of animation frames.
    for _ in 0..10 {
        gloo_timers::future::TimeoutFuture::new(20).await;
    }
    let played: u64 = text(&root, "processed").parse().unwrap();
    assert!(played > 0, "playing at 1000× processes events over frames");
    assert_eq!(by_testid(&root, "play-toggle").unwrap().get_attribute("aria-pressed").as_deref(), Some("true"));
    // Space toggles (pause), → steps one event.
    keydown(&document().body().unwrap(), " ");
    settle().await;
    assert_eq!(by_testid(&root, "play-toggle").unwrap().get_attribute("aria-pressed").as_deref(), Some("false"));
    let paused: u64 = text(&root, "processed").parse().unwrap();
    for _ in 0..3 {
        gloo_timers::future::TimeoutFuture::new(20).await;
    }
    assert_eq!(text(&root, "processed").parse::<u64>().unwrap(), paused, "paused means no more events");
    keydown(&document().body().unwrap(), "ArrowRight");
    settle().await;
    assert_eq!(text(&root, "processed").parse::<u64>().unwrap(), paused + 1);
    h.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn bad_url_values_fall_back_with_a_notice_naming_them() {
    let (root, h) = mount("/x?seed=banana&speed=5000").await;
    let notice = by_testid(&root, "param-notices").expect("a notice is shown").text_content().unwrap();
    assert!(notice.contains("seed") && notice.contains("banana"), "{notice}");
    assert!(notice.contains("speed") && notice.contains("5000"), "{notice}");
    assert_eq!(text(&root, "seed-value"), "1", "defaults are used");
    assert_eq!(text(&root, "speed-value"), "1×");
    h.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn seed_input_rejects_garbage_and_reset_asks_first() {
    let (root, h) = mount("/x").await;
    let input = by_testid(&root, "seed").unwrap().dyn_into::<web_sys::HtmlInputElement>().unwrap();
    input.set_value("12x");
    input.dispatch_event(&web_sys::InputEvent::new("input").unwrap()).unwrap();
    settle().await;
    let form = input.closest("form").unwrap().unwrap().dyn_into::<web_sys::HtmlFormElement>().unwrap();
    form.request_submit().unwrap();
    settle().await;
    let alert = query(&root, "[role='alert']").expect("an error names the bad seed").text_content().unwrap();
    assert!(alert.contains("12x") && alert.contains("whole number"), "{alert}");
    assert_eq!(text(&root, "seed-value"), "1");
    // Reset: a confirmation dialog, and nothing happens until it is confirmed.
    click(&by_testid(&root, "step").unwrap());
    settle().await;
    click(&by_testid(&root, "reset").unwrap());
    settle().await;
    assert!(by_testid(&root, "reset-modal").is_some());
    assert_eq!(text(&root, "processed"), "1");
    click(&by_testid(&root, "reset-confirm").unwrap());
    settle().await;
    assert!(by_testid(&root, "reset-modal").is_none());
    assert_eq!(text(&root, "processed"), "0");
    assert_eq!(text(&root, "clock"), "t =0:00:00.000");
    h.destroy();
    root.remove();
}

#[component]
fn TwoPlayers() -> Html {
    html! {
        <Router history={memory_history("/x")}>
            <div data-testid="first"><Page /></div>
            <div data-testid="second"><Page /></div>
        </Router>
    }
}

#[wasm_bindgen_test]
async fn with_two_players_the_keys_drive_the_one_used_last() {
    let root = fresh_root();
    let h = yew::Renderer::<TwoPlayers>::with_root(root.clone()).render();
    settle().await;
    let first = by_testid(&root, "first").unwrap();
    let second = by_testid(&root, "second").unwrap();
    keydown(&document().body().unwrap(), "ArrowRight");
    settle().await;
    assert_eq!(
        (text(&first, "processed"), text(&second, "processed")),
        ("0".into(), "1".into()),
        "the last mounted owns the keys"
    );
    click(&by_testid(&first, "step").unwrap());
    settle().await;
    keydown(&document().body().unwrap(), "ArrowRight");
    settle().await;
    assert_eq!(
        (text(&first, "processed"), text(&second, "processed")),
        ("2".into(), "1".into()),
        "using a player takes the keys"
    );
    h.destroy();
    root.remove();
}
