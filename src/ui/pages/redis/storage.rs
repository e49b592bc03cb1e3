//! The page's edge: its virtual clock and what it keeps in localStorage (the dataset as the core's
//! export JSON, the CLI history as a JSON array of lines).
//!
//! Nothing saved is ever lost to a bad load or a bad save:
//! - A saved dataset that cannot be loaded is *held*: moved aside to [`HELD_KEY`] (or, if that
//!   fails, left where it is with saving paused), shown with a notice, offered for download, and
//!   deleted only when the user chooses Discard.
//! - A dataset is written only after the core's round-trip check ([`Store::export_checked`]).
//! - Saving is debounced ([`Saver`]): a burst of commands costs one export, not one per command,
//!   and a pending save is flushed when the page hides or unmounts.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use gloo_storage::{LocalStorage, Storage};
use gloo_timers::callback::Timeout;
use yew::Callback;

use crate::redis::session::{self, History};
use crate::redis::Store;
use crate::sim::{SimRng, SimTime};

pub const DATASET_KEY: &str = "dsp.redis.dataset";
pub const HISTORY_KEY: &str = "dsp.redis.history";
/// Where a saved dataset that could not be loaded is kept until the user discards it.
pub const HELD_KEY: &str = "dsp.redis.dataset.unloadable";
/// A save waits this long for more changes (a burst of commands is saved once).
pub const SAVE_DEBOUNCE_MS: u32 = 300;
/// …but never longer than this after the first unsaved change.
pub const SAVE_MAX_WAIT_MS: f64 = 2_000.0;

thread_local! {
    /// Extra virtual milliseconds added to every clock reading: the browser tests' way to let time
    /// pass without sleeping (see [`skew_clock`]).
    static SKEW_MS: Cell<f64> = const { Cell::new(0.0) };
}

/// Moves the page's virtual clock `ms` forward (a test hook; the page itself never calls it).
pub fn skew_clock(ms: u64) {
    SKEW_MS.with(|s| s.set(s.get() + ms as f64));
}

/// The store's clock: the wall clock when the page opened plus the time elapsed since, measured
/// with the monotonic `performance.now()` so a wall-clock jump does not move deadlines around.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VirtualClock {
    epoch_ms: f64,
    perf_at_epoch: f64,
}

impl VirtualClock {
    pub fn start() -> VirtualClock {
        VirtualClock { epoch_ms: js_sys::Date::now(), perf_at_epoch: crate::ui::performance_now() }
    }

    pub fn now(&self) -> SimTime {
        let elapsed = (crate::ui::performance_now() - self.perf_at_epoch).max(0.0);
        let ms = self.epoch_ms + elapsed + SKEW_MS.with(Cell::get);
        SimTime::from_unix_ms(if ms.is_finite() && ms > 0.0 { ms as u64 } else { 0 })
    }
}

/// Where a held (unloadable) copy lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeldAt {
    /// Moved aside to [`HELD_KEY`]; the page saves its own dataset as usual.
    Aside,
    /// Still at [`DATASET_KEY`] (moving it failed, or the aside place was taken): the page does
    /// not save its dataset until the user discards this copy.
    InPlace,
}

/// A saved dataset the page could not load, kept for the user.
#[derive(Clone, Debug, PartialEq)]
pub struct HeldCopy {
    pub json: Rc<str>,
    /// Why it did not load (the importer's message).
    pub reason: String,
    pub at: HeldAt,
}

impl HeldCopy {
    pub fn key(&self) -> &'static str {
        match self.at {
            HeldAt::Aside => HELD_KEY,
            HeldAt::InPlace => DATASET_KEY,
        }
    }
}

/// What the page starts from.
pub struct Loaded {
    pub store: Store,
    pub history: History,
    /// One sentence per problem found in storage.
    pub notices: Vec<String>,
    pub held: Vec<HeldCopy>,
}

pub fn new_store() -> Store {
    Store::new(SimRng::new(6379).child("redis-page"))
}

fn read(key: &str) -> Result<Option<String>, String> {
    LocalStorage::raw().get_item(key).map_err(|_| format!("localStorage refused to read {key:?}"))
}

fn write(key: &str, value: &str) -> bool {
    LocalStorage::raw().set_item(key, value).is_ok()
}

/// Why `json` does not load into a fresh store.
fn load_error(json: &str) -> String {
    new_store().import_json(json).err().map(|e| e.to_string()).unwrap_or_else(|| "it loads now".into())
}

/// Reads the saved dataset and history. A missing item is an empty start; a dataset that does not
/// load is held (see the module header); a corrupt history is an empty one plus a notice.
pub fn load() -> Loaded {
    let mut notices = Vec::new();
    let mut held = Vec::new();
    let mut store = new_store();
    let mut aside_free = true;
    match read(HELD_KEY) {
        Ok(Some(json)) => {
            aside_free = false;
            held.push(HeldCopy { reason: load_error(&json), json: json.into(), at: HeldAt::Aside });
        }
        Ok(None) => {}
        Err(e) => notices.push(e),
    }
    match read(DATASET_KEY) {
        Ok(Some(json)) => {
            if let Err(e) = store.import_json(&json) {
                store = new_store();
                let moved =
                    aside_free && write(HELD_KEY, &json) && LocalStorage::raw().remove_item(DATASET_KEY).is_ok();
                let at = if moved { HeldAt::Aside } else { HeldAt::InPlace };
                held.push(HeldCopy { json: json.into(), reason: e.to_string(), at });
            }
        }
        Ok(None) => {}
        Err(e) => notices.push(format!("{e}; the store starts empty.")),
    }
    let history = match read(HISTORY_KEY) {
        Ok(Some(json)) => match parse_history(&json) {
            Ok(h) => h,
            Err(e) => {
                notices.push(format!("The saved CLI history could not be loaded, so it starts empty: {e}."));
                session::new_history()
            }
        },
        Ok(None) => session::new_history(),
        Err(e) => {
            notices.push(format!("{e}; the CLI history starts empty."));
            session::new_history()
        }
    };
    Loaded { store, history, notices, held }
}

/// The history item: a JSON array of strings (the newest last), kept within the history's bounds.
pub fn parse_history(json: &str) -> Result<History, String> {
    let lines: Vec<String> = serde_json::from_str(json)
        .map_err(|e| format!("expected a JSON array of command lines such as [\"SET a 1\"] ({e})"))?;
    Ok(session::history_from(lines))
}

/// Deletes a held copy for good (the user chose Discard).
pub fn discard(copy: &HeldCopy) {
    LocalStorage::delete(copy.key());
}

/// Forgets the page's saved dataset and history (the page's Reset). Held copies stay: they are
/// discarded one by one, on purpose.
pub fn clear() {
    LocalStorage::delete(DATASET_KEY);
    LocalStorage::delete(HISTORY_KEY);
}

/// What the saver needs to know about the page at the moment it writes.
#[derive(Clone)]
pub struct SaveSource {
    pub store: Rc<RefCell<Store>>,
    pub history: Rc<History>,
    /// False while a held copy sits at [`DATASET_KEY`].
    pub dataset_allowed: bool,
}

struct SaverState {
    source: Option<SaveSource>,
    clock: VirtualClock,
    dataset_dirty: bool,
    history_dirty: bool,
    /// `performance.now()` of the first change not saved yet.
    dirty_since: Option<f64>,
    timer: Option<Timeout>,
    on_problem: Callback<String>,
    /// How many dataset writes happened (tests and figures read it).
    writes: u64,
}

/// Debounced saving of the dataset and the history (see the module header).
#[derive(Clone)]
pub struct Saver(Rc<RefCell<SaverState>>);

impl PartialEq for Saver {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Saver {
    pub fn new(clock: VirtualClock, on_problem: Callback<String>) -> Saver {
        Saver(Rc::new(RefCell::new(SaverState {
            source: None,
            clock,
            dataset_dirty: false,
            history_dirty: false,
            dirty_since: None,
            timer: None,
            on_problem,
            writes: 0,
        })))
    }

    /// Notes a change; the save runs [`SAVE_DEBOUNCE_MS`] after the last of a burst, or at once
    /// when changes have waited [`SAVE_MAX_WAIT_MS`].
    pub fn changed(&self, source: SaveSource, dataset: bool, history: bool) {
        let now = crate::ui::performance_now();
        let overdue = {
            let mut s = self.0.borrow_mut();
            s.source = Some(source);
            s.dataset_dirty |= dataset;
            s.history_dirty |= history;
            let since = *s.dirty_since.get_or_insert(now);
            now - since >= SAVE_MAX_WAIT_MS
        };
        if overdue {
            self.flush();
            return;
        }
        let weak: Weak<RefCell<SaverState>> = Rc::downgrade(&self.0);
        let timer = Timeout::new(SAVE_DEBOUNCE_MS, move || {
            if let Some(inner) = weak.upgrade() {
                Saver(inner).flush();
            }
        });
        self.0.borrow_mut().timer = Some(timer);
    }

    /// Writes whatever is pending now (page hidden, unmounted, or the debounce ran out).
    pub fn flush(&self) {
        let (source, dataset, history, clock, on_problem) = {
            let mut s = self.0.borrow_mut();
            s.timer = None;
            s.dirty_since = None;
            let (d, h) = (std::mem::take(&mut s.dataset_dirty), std::mem::take(&mut s.history_dirty));
            (s.source.clone(), d, h, s.clock, s.on_problem.clone())
        };
        let Some(source) = source else { return };
        if dataset && source.dataset_allowed {
            let checked = source.store.borrow().export_checked(clock.now());
            match checked {
                Ok(json) => {
                    self.0.borrow_mut().writes += 1;
                    if !write(DATASET_KEY, &json) {
                        on_problem.emit(format!(
                            "The dataset ({}) could not be saved to localStorage (full or disabled): the saved copy is older than \
                             what you see, and a reload would bring back the older one. Use Export JSON to keep it.",
                            session::human_bytes(json.len())
                        ));
                    }
                }
                Err(e) => on_problem.emit(format!(
                    "The dataset was not saved, because the saved copy would not load again ({e}); the previous saved copy is kept."
                )),
            }
        }
        if history {
            let lines: Vec<&str> = source.history.iter().map(|l| &**l).collect();
            let json = serde_json::to_string(&lines).unwrap_or_else(|_| "[]".into());
            if !write(HISTORY_KEY, &json) {
                on_problem.emit("The CLI history could not be saved to localStorage (full or disabled).".to_string());
            }
        }
    }

    /// Drops anything pending without writing it (the page's Reset cleared storage itself).
    pub fn forget(&self) {
        let mut s = self.0.borrow_mut();
        s.timer = None;
        s.dirty_since = None;
        s.dataset_dirty = false;
        s.history_dirty = false;
    }

    /// Dataset writes so far.
    pub fn writes(&self) -> u64 {
        self.0.borrow().writes
    }
}
