//! `RewindPage`: the one page state every rewindable page shares, over (scenario, action log,
//! cursor). It holds the run (`Rc<RefCell<Rewind<M>>>`, shared with `use_playback`), the scenario,
//! seed and epoch it was built from, and the notices every such page shows (a refused action, "new
//! branch", a replay or link that was not used, the trip to a link's cursor); its messages
//! ([`RewindMsg`]) — act, rewind, restart, open a replay, the opening's progress — are handled here
//! once. What differs from page to page goes through [`RewindPageSpec`]: how a run is built from a
//! scenario, the page's own state ([`RewindPageSpec::Extra`]) and messages
//! ([`RewindPageSpec::Msg`], carried by [`RewindMsg::Page`]).
//!
//! [`use_rewind_wiring`] is the page side of the same plumbing: it takes a link's or replay's
//! cursor in frame-sized slices and makes the callbacks the scrubber and the replay panel need;
//! [`RewindWiring::view`] draws them (scrubber, replay panel, opening notice) under the controls bar.
//!
//! Never holds a second live run: what a page draws is the run at its cursor (ARCHITECTURE.md,
//! "Rewind on a page").

use std::cell::RefCell;
use std::rc::Rc;

use yew::prelude::*;

use crate::sim::replay::{Replay, ReplayModel};
use crate::sim::rewind::{LoggedAction, Rewind, RewindConfig, Rewindable, Seek};
use crate::sim::{SimDuration, SimTime};
use crate::ui::components::scrubber::{branch_notice, RewindCommand, Stamp};
use crate::ui::components::{ReplayPanel, Scrubber, ScrubberState};
use crate::ui::hooks::use_playback::PlaybackHandle;
use crate::ui::hooks::{use_rewind_opening, use_stable_callback};

/// The replay file of a page's model.
pub type PageReplay<M> = Replay<<M as ReplayModel>::Scenario, <M as Rewindable>::Action>;

/// What makes one rewindable page different from another.
pub trait RewindPageSpec: Sized + 'static {
    type Model: ReplayModel + 'static;
    /// The page's own state beside the run (forms, fault settings, the last typed request…).
    type Extra: Clone;
    /// The page's own messages (a form applied, a typed request), handled by [`Self::reduce`].
    type Msg;
    /// What the scenario is called in the page's messages ("scenario", "settings").
    const SCENARIO_NOUN: &'static str = "scenario";

    /// Checks a scenario with its seed (a replay file's, before it is opened).
    fn validate(scenario: &<Self::Model as ReplayModel>::Scenario, seed: u64) -> Result<(), String>;

    /// The scenario a run falls back to when the asked-for one does not build (the page's forms
    /// only hand over scenarios that built a run, so this is a safety net).
    fn fallback() -> <Self::Model as ReplayModel>::Scenario;

    /// Snapshot spacing: every 512 events, at most 128 snapshots.
    fn config() -> RewindConfig {
        RewindConfig::default()
    }

    /// Builds a run of `scenario` with `seed` from `epoch`, with an action log to replay. The
    /// default is `ReplayModel::build` wrapped in a rewind with [`Self::config`]; a page overrides
    /// it to bound what the model records or to make the run finite.
    fn build(
        scenario: &<Self::Model as ReplayModel>::Scenario,
        seed: u64,
        epoch: SimTime,
        actions: Vec<LoggedAction<<Self::Model as Rewindable>::Action>>,
    ) -> Result<Rewind<Self::Model>, String> {
        let sim = Self::Model::build(scenario, seed, epoch)?;
        Rewind::with_log(sim, Self::config(), actions).map_err(|e| e.to_string())
    }

    /// A new run replaced the old one ([`RewindMsg::Restart`] or an opened replay): reset what
    /// belonged to the old run in [`RewindPage::extra`].
    fn on_new_run(page: &mut RewindPage<Self>, origin: NewRun<'_, Self::Model>) {
        let _ = (page, origin);
    }

    /// Handles one of the page's own messages on the next state (its version already bumped).
    fn reduce(page: &mut RewindPage<Self>, msg: Self::Msg);

    /// Opens a replay file whose log is `actions` by calling `open`, now or once what replaying
    /// them needs is ready (the cluster page loads the Lua module first when a logged line runs a
    /// script). The default opens at once.
    fn before_open(actions: &[LoggedAction<<Self::Model as Rewindable>::Action>], open: Box<dyn FnOnce()>) {
        let _ = actions;
        open();
    }
}

/// Where a new run came from, for [`RewindPageSpec::on_new_run`].
pub enum NewRun<'a, M: ReplayModel> {
    /// A restart (Reset, a new seed, an applied form or preset).
    Restart,
    /// A replay file (or the Verify panel's counterexample) was opened.
    Replay(&'a PageReplay<M>),
}

/// The run a page shows, shared with the playback loop. Compares by identity and stamp, so a
/// memoized panel that gets it as a prop redraws only when the run moved or changed.
pub struct RunRef<M: Rewindable> {
    pub run: Rc<RefCell<Rewind<M>>>,
    pub stamp: Stamp,
}

impl<M: Rewindable> Clone for RunRef<M> {
    fn clone(&self) -> Self {
        RunRef { run: self.run.clone(), stamp: self.stamp }
    }
}

impl<M: Rewindable> PartialEq for RunRef<M> {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.run, &o.run) && self.stamp == o.stamp
    }
}

/// A rewindable page's state.
pub struct RewindPage<S: RewindPageSpec> {
    /// The run. Replaced by new contents on a restart, never a new `Rc`: `use_playback` holds it.
    pub run: Rc<RefCell<Rewind<S::Model>>>,
    /// The scenario the run was built from (a form's, a link's or a replay file's).
    pub scenario: <S::Model as ReplayModel>::Scenario,
    pub seed: u64,
    /// The run's epoch: the page's, or a link's or replay file's.
    pub epoch: SimTime,
    /// Why the last action was refused.
    pub action_error: Option<String>,
    /// "New branch" after acting while rewound.
    pub branch: Option<String>,
    /// Why a replay file or a link's log was not used (the current run is kept).
    pub replay_error: Option<String>,
    /// Where the run is being taken (a link's or a replay's cursor), frame by frame.
    pub opening: Option<Seek>,
    /// Wall ms the last seek or step through the scrubber took (the browser budgets read it).
    pub last_seek_ms: Option<f64>,
    /// Bumped on every message, so a redraw or a URL write sees any change.
    pub version: u64,
    /// The page's own state.
    pub extra: S::Extra,
}

/// What the user (or the page's loader) asks of a rewindable page.
pub enum RewindMsg<S: RewindPageSpec> {
    /// A new run of this scenario and seed, at the page's epoch.
    Restart {
        scenario: <S::Model as ReplayModel>::Scenario,
        seed: u64,
    },
    /// A button's action, applied at the cursor and logged.
    Act(<S::Model as Rewindable>::Action),
    /// Seek, step or jump in the run's history.
    Rewind(RewindCommand),
    /// The run was moved by the playback loop (nothing to do but redraw).
    Moved,
    /// Open a replay file's run, to be taken to its cursor.
    LoadReplay(Box<PageReplay<S::Model>>),
    /// A replay file (or a link) could not be used: say why, keep the current run.
    ReplayError(String),
    DismissBranch,
    /// The frame-sliced trip to a link's or replay's cursor is over.
    Opened,
    /// One of the page's own messages.
    Page(S::Msg),
}

impl<S: RewindPageSpec> RewindPage<S> {
    /// A fresh run of `scenario` (or the fallback's, if it does not build) with `seed` from `epoch`.
    pub fn new(scenario: <S::Model as ReplayModel>::Scenario, seed: u64, epoch: SimTime, extra: S::Extra) -> Self {
        RewindPage {
            run: Rc::new(RefCell::new(Self::build_or_fallback(&scenario, seed, epoch))),
            scenario,
            seed,
            epoch,
            action_error: None,
            branch: None,
            replay_error: None,
            opening: None,
            last_seek_ms: None,
            version: 0,
            extra,
        }
    }

    /// Loads a link's action log and epoch; the page then takes the run to `cursor` (a link's)
    /// frame by frame. A log that does not fit is refused with a message and the run starts fresh.
    pub fn with_link(
        mut self,
        actions: Vec<LoggedAction<<S::Model as Rewindable>::Action>>,
        epoch: Option<SimTime>,
        cursor: Option<Seek>,
    ) -> Self {
        if let Some(e) = epoch.filter(|e| *e != self.epoch) {
            self.epoch = e;
            *self.run.borrow_mut() = Self::build_or_fallback(&self.scenario, self.seed, e);
        }
        self.opening = cursor;
        if actions.is_empty() {
            return self;
        }
        match S::build(&self.scenario, self.seed, self.epoch, actions) {
            Ok(r) => *self.run.borrow_mut() = r,
            Err(e) => self.replay_error = Some(format!("The link's action log was not used: {e}")),
        }
        self
    }

    fn build_or_fallback(
        scenario: &<S::Model as ReplayModel>::Scenario,
        seed: u64,
        epoch: SimTime,
    ) -> Rewind<S::Model> {
        S::build(scenario, seed, epoch, Vec::new())
            .or_else(|_| S::build(&S::fallback(), seed, epoch, Vec::new()))
            .expect("the fallback scenario builds")
    }

    /// Reads and checks a replay file's text (envelope, fields, log, then the scenario).
    pub fn parse_replay(text: &str) -> Result<PageReplay<S::Model>, String> {
        let r = PageReplay::<S::Model>::parse(text, S::Model::ID).map_err(|e| e.to_string())?;
        S::validate(&r.scenario, r.seed).map_err(|e| format!("the replay's {} is not valid: {e}", S::SCENARIO_NOUN))?;
        Ok(r)
    }

    pub fn stamp(&self) -> Stamp {
        Stamp::of(&self.run.borrow(), self.version)
    }

    pub fn run_ref(&self) -> RunRef<S::Model> {
        RunRef { run: self.run.clone(), stamp: self.stamp() }
    }

    /// A replay of the run as it stands, with its cursor (what "Download replay" saves).
    pub fn replay(&self) -> PageReplay<S::Model> {
        crate::sim::replay::capture(&*self.run.borrow(), &self.scenario, self.seed, true)
    }

    /// The notice while the run is taken to a link's or replay's cursor: the goal and how far.
    pub fn opening_notice(&self) -> Html {
        let Some(target) = self.opening else { return Html::default() };
        let goal = match target {
            Seek::At(c) => c.at_ms,
            Seek::Time(t) => t,
            Seek::Events(_) => 0,
        };
        let now = self.run.borrow().cursor().at_ms;
        let pct = now.saturating_mul(100).checked_div(goal).map_or(100, |p| p.min(100));
        html! {
            <p class="notice" role="status" data-testid="opening">
                { format!("Opening the run at {} … {pct}%", SimDuration(goal).clock_string()) }
            </p>
        }
    }

    /// Applies `action` at the cursor and logs it, setting the action error or the branch notice.
    /// Returns whether it was applied. Pages whose own messages act (a typed request) call this.
    pub fn act(&mut self, action: <S::Model as Rewindable>::Action) -> bool {
        let mut run = self.run.borrow_mut();
        let at = run.cursor().at_ms;
        match run.act(action) {
            Ok(branch) => {
                self.action_error = None;
                self.branch = branch.map(|b| branch_notice(at, &b));
                true
            }
            Err(e) => {
                self.action_error = Some(e.to_string());
                false
            }
        }
    }

    /// A new run of `scenario` with `seed` at the page's epoch, every notice of the old one cleared.
    pub fn restart(&mut self, scenario: <S::Model as ReplayModel>::Scenario, seed: u64) {
        // The same cell, new contents: the playback loop holds this `Rc`.
        *self.run.borrow_mut() = Self::build_or_fallback(&scenario, seed, self.epoch);
        self.scenario = scenario;
        self.seed = seed;
        self.action_error = None;
        self.branch = None;
        self.replay_error = None;
        self.opening = None;
        S::on_new_run(self, NewRun::Restart);
    }

    /// Opens a replay's run (to be taken to its cursor); if it does not build, says why and keeps
    /// the current run.
    pub fn load_replay(&mut self, r: &PageReplay<S::Model>) {
        match S::build(&r.scenario, r.seed, r.epoch(), r.actions.clone()) {
            Ok(run) => {
                *self.run.borrow_mut() = run;
                self.scenario = r.scenario.clone();
                self.seed = r.seed;
                self.epoch = r.epoch();
                self.opening = r.cursor.map(Seek::At);
                self.replay_error = None;
                self.action_error = None;
                self.branch = None;
                S::on_new_run(self, NewRun::Replay(r));
            }
            Err(e) => {
                self.replay_error = Some(format!("The replay was not opened: {e}. The current run is unchanged."))
            }
        }
    }

    fn next(&self) -> Self {
        RewindPage {
            run: self.run.clone(),
            scenario: self.scenario.clone(),
            seed: self.seed,
            epoch: self.epoch,
            action_error: self.action_error.clone(),
            branch: self.branch.clone(),
            replay_error: self.replay_error.clone(),
            opening: self.opening,
            last_seek_ms: self.last_seek_ms,
            version: self.version.wrapping_add(1),
            extra: self.extra.clone(),
        }
    }
}

impl<S: RewindPageSpec> Reducible for RewindPage<S> {
    type Action = RewindMsg<S>;

    fn reduce(self: Rc<Self>, msg: RewindMsg<S>) -> Rc<Self> {
        let mut next = self.next();
        match msg {
            RewindMsg::Restart { scenario, seed } => next.restart(scenario, seed),
            RewindMsg::Act(action) => {
                next.act(action);
            }
            RewindMsg::Rewind(cmd) => {
                let t0 = crate::ui::performance_now();
                cmd.apply(&mut *next.run.borrow_mut());
                next.last_seek_ms = Some(crate::ui::performance_now() - t0);
                next.opening = None;
            }
            RewindMsg::Moved => {}
            RewindMsg::LoadReplay(r) => next.load_replay(&r),
            RewindMsg::ReplayError(e) => next.replay_error = Some(e),
            RewindMsg::DismissBranch => next.branch = None,
            RewindMsg::Opened => {
                next.opening = None;
                if let Some(e) = next.run.borrow().error() {
                    next.replay_error = Some(format!("The run's action log does not fit it: {e}"));
                }
            }
            RewindMsg::Page(m) => S::reduce(&mut next, m),
        }
        Rc::new(next)
    }
}

/// The callbacks a rewindable page hands to the scrubber and the replay panel.
pub struct RewindWiring {
    /// A scrubber command: pauses, then seeks or steps.
    pub on_rewind: Callback<RewindCommand>,
    pub on_dismiss_branch: Callback<()>,
    /// A replay file (or a link) could not be used.
    pub on_replay_error: Callback<String>,
    /// "Download replay": the run as it stands, as a file named by the page.
    pub on_download: Callback<()>,
    /// "Open replay": parse and check the text, then open it (paused), or say why not.
    pub on_text: Callback<String, Result<(), String>>,
}

impl RewindWiring {
    /// The scrubber, the replay panel and the opening notice, as every rewindable page shows them
    /// under its controls bar.
    pub fn view<S: RewindPageSpec>(&self, state: &RewindPage<S>) -> Html {
        let (scrub, actions, log_error) = {
            let r = state.run.borrow();
            let log_error = r.error().map(|e| format!("The run's action log does not fit it from here on: {e}"));
            (ScrubberState::of(&*r), r.actions().len(), log_error)
        };
        html! {
            <>
                <Scrubber state={scrub} on_command={self.on_rewind.clone()} branch={state.branch.clone().map(AttrValue::from)}
                          on_dismiss_branch={self.on_dismiss_branch.clone()} last_seek_ms={state.last_seek_ms} />
                <ReplayPanel on_download={self.on_download.clone()} on_text={self.on_text.clone()}
                             on_error={self.on_replay_error.clone()}
                             error={state.replay_error.clone().or(log_error)} actions={actions} />
                { state.opening_notice() }
            </>
        }
    }
}

/// The page side of [`RewindPage`]: takes the run to a link's or replay's cursor in frame-sized
/// slices (`use_rewind_opening`), and makes the scrubber's and replay panel's callbacks.
/// `file_name` names a downloaded replay from the state and the replay (its cursor).
#[hook]
pub fn use_rewind_wiring<S, F>(
    state: &UseReducerHandle<RewindPage<S>>,
    playback: &PlaybackHandle<Rewind<S::Model>>,
    file_name: F,
) -> RewindWiring
where
    S: RewindPageSpec,
    F: Fn(&RewindPage<S>, &PageReplay<S::Model>) -> String + 'static,
{
    let dispatch = state.dispatcher();
    {
        let (moved, opened) = (dispatch.clone(), dispatch.clone());
        use_rewind_opening(
            playback,
            state.opening,
            Callback::from(move |_| moved.dispatch(RewindMsg::Moved)),
            Callback::from(move |_| opened.dispatch(RewindMsg::Opened)),
        );
    }
    let on_rewind = {
        let (p, d) = (playback.clone(), dispatch.clone());
        Callback::from(move |cmd: RewindCommand| {
            p.pause();
            d.dispatch(RewindMsg::Rewind(cmd));
        })
    };
    let on_dismiss_branch = {
        let d = dispatch.clone();
        Callback::from(move |_| d.dispatch(RewindMsg::DismissBranch))
    };
    let on_replay_error = {
        let d = dispatch.clone();
        Callback::from(move |e| d.dispatch(RewindMsg::ReplayError(e)))
    };
    let on_download = {
        let state = state.clone();
        Callback::from(move |_| {
            let r = state.replay();
            let name = file_name(&state, &r);
            if let Err(e) = crate::ui::download::download_text(&name, "application/json", &(r.to_json() + "\n")) {
                state.dispatch(RewindMsg::ReplayError(e));
            }
        })
    };
    let on_text = {
        let (p, d) = (playback.clone(), dispatch);
        Callback::from(move |text: String| {
            let r = RewindPage::<S>::parse_replay(&text)?;
            p.pause();
            let (d, actions) = (d.clone(), r.actions.clone());
            S::before_open(&actions, Box::new(move || d.dispatch(RewindMsg::LoadReplay(Box::new(r)))));
            Ok(())
        })
    };
    // Stable across renders (each calls the latest closure), so the replay panel, whose other props
    // change only on a new action or error, is not redrawn every frame of a playing run.
    RewindWiring {
        on_rewind: use_stable_callback(on_rewind),
        on_dismiss_branch: use_stable_callback(on_dismiss_branch),
        on_replay_error: use_stable_callback(on_replay_error),
        on_download: use_stable_callback(on_download),
        on_text: use_stable_callback(on_text),
    }
}

/// When a rewindable page's URL follows its run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UrlFollow {
    /// Only while paused: a playing run's address is left alone.
    Paused,
    /// Also while playing, but only when the action log changed (an action, a branch), not every frame.
    Changes,
}

/// Makes the page's URL follow its run: `write` is called when the run's `stamp` moved (as `follow`
/// says), never while a link's or replay's cursor is being opened. On mount the address is left
/// alone unless `write_on_mount` (the URL carried bad values to replace once, or a view that must
/// announce itself).
#[hook]
pub fn use_url_follows_run<F>(
    stamp: Stamp,
    playing: bool,
    opening: bool,
    write_on_mount: bool,
    follow: UrlFollow,
    write: F,
) where
    F: FnOnce() + 'static,
{
    let written = use_mut_ref(|| None::<Stamp>);
    use_effect_with((stamp, playing, opening), move |&(stamp, playing, opening)| {
        let last = *written.borrow();
        let first = last.is_none();
        if first {
            *written.borrow_mut() = Some(stamp);
        }
        let same = last == Some(stamp)
            || (follow == UrlFollow::Changes && playing && last.is_some_and(|l| l.version == stamp.version));
        let held = follow == UrlFollow::Paused && playing;
        if held || opening || (first && !write_on_mount) || (!first && same) {
            return;
        }
        *written.borrow_mut() = Some(stamp);
        write();
    });
}
