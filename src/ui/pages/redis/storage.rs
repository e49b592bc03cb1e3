//! The page's edge: its virtual clock and what it keeps in localStorage (the dataset as the core's
//! export JSON, the CLI history as a JSON array of lines). Loading never fails: corrupt data gives
//! an empty store or history and a notice that says what was wrong.

use std::cell::Cell;

use gloo_storage::{LocalStorage, Storage};

use crate::redis::Store;
use crate::sim::{SimRng, SimTime};

pub const DATASET_KEY: &str = "dsp.redis.dataset";
pub const HISTORY_KEY: &str = "dsp.redis.history";
/// Lines of CLI history kept (and saved).
pub const HISTORY_MAX: usize = 200;

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

/// What the page starts from.
pub struct Loaded {
    pub store: Store,
    pub history: Vec<String>,
    /// One sentence per problem found in storage.
    pub notices: Vec<String>,
}

pub fn new_store() -> Store {
    Store::new(SimRng::new(6379).child("redis-page"))
}

fn read(key: &str) -> Result<Option<String>, String> {
    LocalStorage::raw().get_item(key).map_err(|_| format!("localStorage refused to read {key:?}"))
}

/// Reads the saved dataset and history. A missing item is an empty start; a corrupt one is an
/// empty start plus a notice.
pub fn load() -> Loaded {
    let mut notices = Vec::new();
    let mut store = new_store();
    match read(DATASET_KEY) {
        Ok(Some(json)) => {
            if let Err(e) = store.import_json(&json) {
                notices.push(format!("The saved dataset could not be loaded, so the store starts empty: {e}."));
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
                Vec::new()
            }
        },
        Ok(None) => Vec::new(),
        Err(e) => {
            notices.push(format!("{e}; the CLI history starts empty."));
            Vec::new()
        }
    };
    Loaded { store, history, notices }
}

/// The history item: a JSON array of strings (the newest last).
pub fn parse_history(json: &str) -> Result<Vec<String>, String> {
    let mut h: Vec<String> = serde_json::from_str(json)
        .map_err(|e| format!("expected a JSON array of command lines such as [\"SET a 1\"] ({e})"))?;
    if h.len() > HISTORY_MAX {
        h.drain(..h.len() - HISTORY_MAX);
    }
    Ok(h)
}

/// Saves the dataset and the history; on failure (quota, storage disabled) says what was lost.
pub fn save(dataset_json: &str, history: &[String]) -> Result<(), String> {
    let history_json = serde_json::to_string(history).unwrap_or_else(|_| "[]".into());
    LocalStorage::raw().set_item(DATASET_KEY, dataset_json).map_err(|_| {
        format!(
            "The dataset ({} KB) could not be saved to localStorage (full or disabled); it will not survive a reload.",
            dataset_json.len().div_ceil(1024)
        )
    })?;
    LocalStorage::raw()
        .set_item(HISTORY_KEY, &history_json)
        .map_err(|_| "The CLI history could not be saved to localStorage (full or disabled).".to_string())
}

/// Forgets both saved items (the page's Reset).
pub fn clear() {
    LocalStorage::delete(DATASET_KEY);
    LocalStorage::delete(HISTORY_KEY);
}
