//! The Redis playground page: several redis-cli clients in tabs against one modeled server, a key
//! browser and the cache-aside demo.
//!
//! One `use_reducer` holds the page: the modeled [`Store`] (behind an `Rc<RefCell>` the reducer
//! mutates), the redis-cli tabs ([`CliDesk`]: each tab its own connection, prompt state,
//! transcript and history, bounded by count and bytes, entries shared so a new state copies
//! pointers, never text: `redis::session`), the saved history every tab adds to (redis-cli's one
//! history file), storage notices, saved copies that could not be loaded, and the virtual clock's
//! last tick. Every action only calls the core (`execute`,
//! `advance_to`, `browse` through the views); the clock and localStorage live at the edge in
//! [`storage`], whose debounced [`storage::Saver`] writes a burst of commands once. A gloo
//! `Interval` in an effect ticks the clock every 100 ms, which runs Redis's active-expire cycle
//! and redraws the live TTLs; the same tick delivers blocked clients' timeouts (BLPOP k 5 answers
//! after 5 s of the page's clock), and what one tab's command writes to another connection
//! (a message, a woken BLPOP) reaches that tab at once.

pub mod browser;
pub mod cache_aside;
pub mod cli;
pub mod expiry;
pub mod held;
pub mod memory_panel;
pub mod storage;
pub mod tabs;

use std::cell::RefCell;
use std::rc::Rc;

use gloo_timers::callback::Interval;
use yew::prelude::*;

use crate::redis::cli::tokenize;
use crate::redis::session::{self, CliDesk, History};
use crate::redis::table::{self, Flag};
use crate::redis::Store;
use crate::sim::SimTime;
use crate::ui::components::{Modal, PageHeader};
use crate::ui::hooks::use_lua_gate;
use crate::ui::hooks::use_lua_gate::LOADING_TEXT;
use crate::ui::Route;

use storage::{HeldAt, HeldCopy, SaveSource, Saver, VirtualClock};
/// How often the page's clock ticks (Redis runs its active-expire cycle at hz 10).
pub const TICK_MS: u32 = 100;
/// Most active-expire cycles one tick may run to catch up (a throttled background tab).
const MAX_CATCH_UP_CYCLES: usize = 50;
/// How often the expiry chart takes a sample, and how many it keeps (60 s of history).
pub const SAMPLE_EVERY_MS: u64 = 500;
pub const SAMPLES_KEPT: usize = 120;

/// One point of the expiry chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExpirySample {
    pub at: SimTime,
    /// DBSIZE: keys held, expired-but-unreclaimed ones included.
    pub held: usize,
    /// Keys a client could still read.
    pub live: usize,
    /// Keys deleted by lazy or active expiry since the store was made (INFO's expired_keys).
    pub reclaimed: u64,
}

/// The store, compared by identity so components can take it as a prop.
#[derive(Clone)]
pub struct StoreHandle(pub Rc<RefCell<Store>>);

impl PartialEq for StoreHandle {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

pub use crate::redis::session::{Origin, Transcript, TranscriptEntry};

#[derive(Clone, PartialEq)]
pub struct RedisState {
    pub store: StoreHandle,
    /// The redis-cli tabs.
    pub desk: Rc<CliDesk>,
    /// The history every tab adds to and the page saves (redis-cli's history file); a new tab
    /// starts from it.
    pub history: Rc<History>,
    pub notices: Rc<Vec<String>>,
    /// Saved datasets that could not be loaded, kept until the user discards them.
    pub held: Rc<Vec<HeldCopy>>,
    /// The clock at the last tick (what the browser draws TTLs against).
    pub now: SimTime,
    /// Bumped whenever the dataset may have changed: the views redraw and the saver saves on it.
    pub version: u64,
    /// Bumped whenever the history changed.
    pub history_version: u64,
    /// Keys held and live every [`SAMPLE_EVERY_MS`], oldest first.
    pub samples: Rc<Vec<ExpirySample>>,
}

pub enum Action {
    /// A line typed into the selected redis-cli.
    Run {
        line: String,
        now: SimTime,
    },
    /// Ctrl-C in redis-cli tab `tab`.
    Interrupt {
        tab: usize,
        now: SimTime,
    },
    OpenTab(SimTime),
    CloseTab {
        tab: usize,
        now: SimTime,
    },
    SelectTab(usize),
    /// A command the key browser runs (edit, expire, delete).
    BrowserCommand {
        argv: Vec<Vec<u8>>,
        now: SimTime,
    },
    Tick(SimTime),
    /// Empty store, history and transcript (storage is cleared by the caller).
    Reset(SimTime),
    Notice(String),
    /// A line the selected redis-cli could not run (the Lua interpreter did not load): shown with
    /// the error, nothing run.
    Refuse {
        line: String,
        error: String,
    },
    DismissNotice(usize),
    /// The user discarded held copy `i` (storage was cleared by the caller).
    DiscardHeld(usize),
}

impl RedisState {
    pub fn new(
        mut store: Store,
        history: History,
        notices: Vec<String>,
        held: Vec<HeldCopy>,
        now: SimTime,
    ) -> RedisState {
        let desk = CliDesk::new(&mut store, now, history.clone());
        RedisState {
            store: StoreHandle(Rc::new(RefCell::new(store))),
            desk: Rc::new(desk),
            history: Rc::new(history),
            notices: Rc::new(notices),
            held: Rc::new(held),
            now,
            version: 0,
            history_version: 0,
            samples: Rc::new(Vec::new()),
        }
    }

    /// Whether the page may write its dataset (no held copy sits where it would write).
    pub fn dataset_saving_allowed(&self) -> bool {
        self.held.iter().all(|h| h.at != HeldAt::InPlace)
    }

    fn sample(&mut self) {
        let due = self.samples.last().is_none_or(|l| self.now.saturating_since(l.at).as_millis() >= SAMPLE_EVERY_MS);
        if !due {
            return;
        }
        let store = self.store.0.borrow();
        let point = ExpirySample {
            at: self.now,
            held: store.dbsize(),
            live: store.live_count(self.now),
            reclaimed: store.stats().expired_keys,
        };
        drop(store);
        let v = Rc::make_mut(&mut self.samples);
        v.push(point);
        if v.len() > SAMPLES_KEPT {
            v.drain(..v.len() - SAMPLES_KEPT);
        }
    }

    fn run_line(&mut self, line: &str, now: SimTime) {
        let ran = {
            let mut store = self.store.0.borrow_mut();
            let ran = Rc::make_mut(&mut self.desk).enter(&mut store, now, line, Rc::make_mut(&mut self.history));
            // The event loop goes back to waiting: Redis's beforeSleep fast expire cycle.
            store.before_sleep(now);
            ran
        };
        if !ran {
            return;
        }
        self.history_version += 1;
        // A read-only command leaves nothing new to save (lazy expiry only drops what the saved
        // copy's deadlines drop on load anyway).
        let name = tokenize(line).ok().and_then(|a| a.into_iter().next());
        if !name.is_some_and(|n| table::lookup(&n).is_some_and(|c| c.flags.contains(&Flag::ReadOnly))) {
            self.version += 1;
        }
    }
}

impl Reducible for RedisState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::Run { line, now } => s.run_line(&line, now),
            Action::Interrupt { tab, now } => {
                let mut store = s.store.0.borrow_mut();
                if !Rc::make_mut(&mut s.desk).interrupt(&mut store, now, tab) {
                    drop(store);
                    return self;
                }
            }
            Action::OpenTab(now) => {
                let opened = Rc::make_mut(&mut s.desk).open(&mut s.store.0.borrow_mut(), now, &s.history);
                if let Err(e) = opened {
                    Rc::make_mut(&mut s.notices).push(e);
                }
            }
            Action::CloseTab { tab, now } => Rc::make_mut(&mut s.desk).close(&mut s.store.0.borrow_mut(), now, tab),
            Action::SelectTab(tab) => Rc::make_mut(&mut s.desk).select(tab),
            Action::BrowserCommand { argv, now } => {
                let mut store = s.store.0.borrow_mut();
                let db = s.desk.selected_db(&store);
                Rc::make_mut(&mut s.desk).browser_command(&mut store, now, db, &argv);
                store.before_sleep(now);
                drop(store);
                s.version += 1;
            }
            Action::Tick(now) => {
                if now <= s.now {
                    return self;
                }
                {
                    let mut store = s.store.0.borrow_mut();
                    store.advance_to(s.now, now, MAX_CATCH_UP_CYCLES);
                    let blocked = store.next_timeout().is_some_and(|t| t <= now);
                    if blocked {
                        Rc::make_mut(&mut s.desk).advance(&mut store, now);
                    }
                }
                s.now = now;
                s.sample();
            }
            Action::Reset(now) => {
                s = RedisState::new(
                    storage::new_store(),
                    session::new_history(),
                    Vec::new(),
                    (*self.held).clone(),
                    now,
                );
                // Not bumped: the caller cleared storage and told the saver to forget what was
                // pending; saving an empty store now would only write it back.
                s.version = self.version;
                s.history_version = self.history_version;
            }
            Action::Refuse { line, error } => Rc::make_mut(&mut s.desk).refuse(&line, &error),
            Action::Notice(text) => {
                if !s.notices.contains(&text) {
                    Rc::make_mut(&mut s.notices).push(text);
                }
            }
            Action::DismissNotice(i) => {
                let n = Rc::make_mut(&mut s.notices);
                if i < n.len() {
                    n.remove(i);
                }
            }
            Action::DiscardHeld(i) => {
                let h = Rc::make_mut(&mut s.held);
                if i < h.len() {
                    let gone = h.remove(i);
                    // Saving was paused while it sat at the dataset's place: save now.
                    if gone.at == HeldAt::InPlace {
                        s.version += 1;
                    }
                }
            }
        }
        Rc::new(s)
    }
}

#[component]
pub fn RedisPage() -> Html {
    let info = super::info(Route::Redis);
    let clock = use_memo((), |_| VirtualClock::start());
    let state = {
        let clock = *clock;
        use_reducer(move || {
            let loaded = storage::load();
            RedisState::new(loaded.store, loaded.history, loaded.notices, loaded.held, clock.now())
        })
    };
    let confirm_reset = use_state(|| false);
    let confirm_discard = use_state(|| None::<usize>);

    // The clock: every 100 ms run the active-expire cycle and redraw the TTLs.
    {
        let dispatcher = state.dispatcher();
        let clock = *clock;
        use_effect_with((), move |_| {
            let interval = Interval::new(TICK_MS, move || dispatcher.dispatch(Action::Tick(clock.now())));
            move || drop(interval)
        });
    }

    // Saving: debounced, flushed when the page hides or unmounts.
    let saver = {
        let dispatcher = state.dispatcher();
        let clock = *clock;
        (*use_memo((), move |_| {
            Saver::new(clock, Callback::from(move |text| dispatcher.dispatch(Action::Notice(text))))
        }))
        .clone()
    };
    {
        let saver = saver.clone();
        use_effect_with((), move |_| {
            let flush = {
                let saver = saver.clone();
                move |_: &web_sys::Event| saver.flush()
            };
            let window = web_sys::window().expect("a window");
            let on_hide = gloo_events::EventListener::new(&window, "pagehide", flush.clone());
            let on_visibility = window.document().map(|d| {
                gloo_events::EventListener::new(&d, "visibilitychange", move |e| {
                    if web_sys::window().and_then(|w| w.document()).is_some_and(|d| d.hidden()) {
                        flush(e);
                    }
                })
            });
            move || {
                drop((on_hide, on_visibility));
                saver.flush();
            }
        });
    }
    {
        let saver = saver.clone();
        let seen = use_mut_ref(|| (0u64, 0u64));
        let source = SaveSource {
            store: state.store.0.clone(),
            history: state.history.clone(),
            dataset_allowed: state.dataset_saving_allowed(),
        };
        use_effect_with((state.version, state.history_version, source.dataset_allowed), move |&(v, h, _)| {
            let (last_v, last_h) = *seen.borrow();
            if v != last_v || h != last_h {
                *seen.borrow_mut() = (v, h);
                saver.changed(source, v != last_v, h != last_h);
            }
        });
    }

    // Memoized so the CLI's props stay equal across clock ticks and it does not redraw 10×/s.
    let on_run = {
        let dispatcher = state.dispatcher();
        let clock = *clock;
        (*use_memo((), move |_| {
            Callback::from(move |line: String| dispatcher.dispatch(Action::Run { line, now: clock.now() }))
        }))
        .clone()
    };
    // Script lines wait for the Lua module, loaded on the first one (`use_lua_gate`).
    let on_refuse = {
        let dispatcher = state.dispatcher();
        (*use_memo((), move |_| {
            Callback::from(move |(line, error): (String, String)| dispatcher.dispatch(Action::Refuse { line, error }))
        }))
        .clone()
    };
    let lua_gate = use_lua_gate(on_run, on_refuse);
    let on_run = lua_gate.submit.clone();
    let tab_callbacks = {
        let dispatcher = state.dispatcher();
        let clock = *clock;
        (*use_memo((), move |_| {
            let d = dispatcher.clone();
            let interrupt = Callback::from(move |tab: usize| d.dispatch(Action::Interrupt { tab, now: clock.now() }));
            let d = dispatcher.clone();
            let open = Callback::from(move |_: ()| d.dispatch(Action::OpenTab(clock.now())));
            let d = dispatcher.clone();
            let close = Callback::from(move |tab: usize| d.dispatch(Action::CloseTab { tab, now: clock.now() }));
            let select = Callback::from(move |tab: usize| dispatcher.dispatch(Action::SelectTab(tab)));
            tabs::TabCallbacks { interrupt, open, close, select }
        }))
        .clone()
    };
    let on_browser_command = {
        let dispatcher = state.dispatcher();
        let clock = *clock;
        (*use_memo((), move |_| {
            Callback::from(move |argv: Vec<Vec<u8>>| {
                dispatcher.dispatch(Action::BrowserCommand { argv, now: clock.now() })
            })
        }))
        .clone()
    };
    let open_reset = {
        let confirm_reset = confirm_reset.clone();
        Callback::from(move |_: MouseEvent| confirm_reset.set(true))
    };
    let close_reset = {
        let confirm_reset = confirm_reset.clone();
        Callback::from(move |_: ()| confirm_reset.set(false))
    };
    let do_reset = {
        let dispatcher = state.dispatcher();
        let confirm_reset = confirm_reset.clone();
        let clock = *clock;
        let saver = saver.clone();
        Callback::from(move |_: MouseEvent| {
            saver.forget();
            storage::clear();
            dispatcher.dispatch(Action::Reset(clock.now()));
            confirm_reset.set(false);
        })
    };
    let export = {
        let state = state.clone();
        let clock = *clock;
        Callback::from(move |_: MouseEvent| {
            let json = state.store.0.borrow().export_json(clock.now());
            if let Err(e) = crate::ui::download::download_text("redis-dataset.json", "application/json", &json) {
                state.dispatch(Action::Notice(e));
            }
        })
    };
    let cancel_reset = close_reset.reform(|_: MouseEvent| ());
    let held_views = state.held.iter().enumerate().map(|(i, copy)| {
        let on_download = {
            let state = state.clone();
            let json = copy.json.clone();
            Callback::from(move |_: ()| {
                if let Err(e) =
                    crate::ui::download::download_text("redis-dataset-saved-copy.json", "application/json", &json)
                {
                    state.dispatch(Action::Notice(e));
                }
            })
        };
        let on_discard = {
            let confirm_discard = confirm_discard.clone();
            Callback::from(move |_: ()| confirm_discard.set(Some(i)))
        };
        html! { <held::HeldNotice key={i} copy={copy.clone()} {on_download} {on_discard} /> }
    });
    let close_discard = {
        let confirm_discard = confirm_discard.clone();
        Callback::from(move |_: ()| confirm_discard.set(None))
    };
    let do_discard = {
        let state = state.clone();
        let confirm_discard = confirm_discard.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(i) = *confirm_discard {
                if let Some(copy) = state.held.get(i) {
                    storage::discard(copy);
                }
                state.dispatch(Action::DiscardHeld(i));
            }
            confirm_discard.set(None);
        })
    };
    let cancel_discard = close_discard.reform(|_: MouseEvent| ());

    let on_memory_command = on_browser_command.clone();
    let store = state.store.0.borrow();
    let limits_note = {
        let l = store.limits();
        format!(
            "Dataset and history are saved in this browser (localStorage). Limits: {} keys, {} per value, {} elements per \
             collection, {} in all; a command that would cross one is refused whole.",
            l.max_keys,
            session::human_bytes(l.max_value_bytes),
            l.max_collection_len,
            session::human_bytes(usize::try_from(l.max_dataset_bytes).unwrap_or(usize::MAX))
        )
    };
    let keys = store.dbsize();
    let volatile = store.volatile_count();
    let browser_db = state.desk.selected_db(&store);
    drop(store);

    html! {
        <section class="model-page redis-page" data-testid="page-redis">
            <PageHeader title={info.title} lede={info.lede} />
            { for held_views }
            { for state.notices.iter().enumerate().map(|(i, n)| {
                let dismiss = state.dispatcher();
                html! {
                    <div class="notice notice--error redis-notice" role="alert" data-testid="redis-storage-notice">
                        <span>{ n.clone() }</span>
                        <button type="button" class="button button--quiet" onclick={Callback::from(move |_| dismiss.dispatch(Action::DismissNotice(i)))}>
                            { "Dismiss" }
                        </button>
                    </div>
                }
            }) }
            <div class="redis-toolbar panel" data-testid="redis-toolbar">
                <span class="redis-toolbar__stat" data-testid="redis-dbsize" title="DBSIZE: keys held, including expired ones not reclaimed yet">
                    <strong>{ keys }</strong>{ if keys == 1 { " key" } else { " keys" } }
                </span>
                <span class="redis-toolbar__stat"><strong>{ volatile }</strong>{ " with a TTL" }</span>
                <span class="redis-toolbar__stat redis-toolbar__clock" title="The store's virtual clock (UTC)">
                    { "clock " }<output data-testid="redis-clock">{ state.now.utc_string() }</output>
                </span>
                <span class="redis-toolbar__note" data-testid="redis-limits">{ limits_note }</span>
                <div class="redis-toolbar__actions">
                    <button type="button" class="button button--quiet" onclick={export} data-testid="redis-export">{ "Export JSON" }</button>
                    <button type="button" class="button button--danger" onclick={open_reset} data-testid="redis-reset" aria-haspopup="dialog">{ "Reset…" }</button>
                </div>
            </div>
            if lua_gate.loading {
                <p class="notice" role="status" data-testid="lua-loading">{ LOADING_TEXT }</p>
            }
            <div class="redis-grid">
                <tabs::CliTabs desk={state.desk.clone()} {on_run} callbacks={tab_callbacks} />
                <browser::KeyBrowser store={state.store.clone()} db={browser_db} now={state.now} version={state.version} on_command={on_browser_command} />
            </div>
            <memory_panel::MemoryPanel store={state.store.clone()} version={state.version} on_command={on_memory_command} />
            <expiry::ExpiryChart samples={state.samples.clone()} store={state.store.clone()} version={state.version} />
            <cache_aside::CacheAsideDemo />
            if confirm_discard.is_some() {
                <Modal title="Discard the saved copy?" on_close={close_discard} testid="redis-held-discard-modal">
                    <p>{ "This deletes the saved copy that could not be loaded from this browser's storage. Download it first if you may want it. It cannot be undone." }</p>
                    <div class="modal__actions">
                        <button type="button" class="button button--quiet" onclick={cancel_discard}>{ "Keep it" }</button>
                        <button type="button" class="button button--danger" onclick={do_discard} data-testid="redis-held-discard-confirm">{ "Discard it" }</button>
                    </div>
                </Modal>
            }
            if *confirm_reset {
                <Modal title="Reset the Redis playground?" on_close={close_reset} testid="redis-reset-modal">
                    <p>{ "This deletes every key and the CLI history, here and in this browser's storage. It cannot be undone." }</p>
                    <div class="modal__actions">
                        <button type="button" class="button button--quiet" onclick={cancel_reset}>{ "Cancel" }</button>
                        <button type="button" class="button button--danger" onclick={do_reset} data-testid="redis-reset-confirm">{ "Delete everything" }</button>
                    </div>
                </Modal>
            }
        </section>
    }
}
