//! The playback driver: the pure logic a UI hook calls once per animation frame to run a
//! simulation at a chosen speed without ever blocking the page.
//!
//! The wall clock is passed *in* (milliseconds since the last frame, and a closure that says when
//! the frame's work budget is spent), so this module never reads a clock itself and is tested with
//! fake ones. Each frame owes `wall_elapsed × speed` virtual milliseconds; the driver runs events up
//! to that target, asking the budget closure every [`Playback::check_every`] events whether time is
//! up. What it could not run is carried to later frames as *debt*, capped at
//! [`MAX_DEBT_WALL_MS`] of wall time at the current speed, so a long stall (a background tab, a
//! debugger) drops the excess rather than freezing the page to catch up. Each frame reports the
//! speed actually achieved (smoothed) and whether that is slower than asked.

use super::{Model, SimDuration, SimTime, Simulation};
use serde::{Deserialize, Serialize};

/// The slowest speed (virtual ms per wall ms).
pub const MIN_SPEED: f64 = 0.1;
/// The fastest speed.
pub const MAX_SPEED: f64 = 1000.0;
/// Slider positions run from 0 (0.1×) to this (1000×), logarithmically.
pub const SLIDER_MAX: u32 = 1000;
/// At most this much wall time's worth of virtual time is owed at once.
pub const MAX_DEBT_WALL_MS: f64 = 250.0;
/// "Slower than asked" once the smoothed speed falls below this fraction of the asked speed.
pub const BEHIND_RATIO: f64 = 0.9;

/// Clamps a speed into [`MIN_SPEED`, `MAX_SPEED`] (NaN becomes 1×).
pub fn clamp_speed(speed: f64) -> f64 {
    if speed.is_nan() {
        1.0
    } else {
        speed.clamp(MIN_SPEED, MAX_SPEED)
    }
}

/// The speed at a slider position: `0.1 × 10^(4·pos/1000)`, so 0 → 0.1×, 250 → 1×, 1000 → 1000×.
pub fn speed_from_slider(pos: u32) -> f64 {
    let pos = pos.min(SLIDER_MAX);
    if pos == SLIDER_MAX {
        return MAX_SPEED; // exact, not 999.9999…
    }
    MIN_SPEED * libm::pow(10.0, 4.0 * f64::from(pos) / f64::from(SLIDER_MAX))
}

/// The slider position nearest to `speed` (clamped into range).
pub fn slider_from_speed(speed: f64) -> u32 {
    let s = clamp_speed(speed);
    let pos = libm::log10(s / MIN_SPEED) / 4.0 * f64::from(SLIDER_MAX);
    (libm::round(pos) as u32).min(SLIDER_MAX)
}

/// A speed for display: `0.1×`, `2.5×`, `40×`, `1000×`.
pub fn format_speed(speed: f64) -> String {
    if speed < 10.0 {
        let s = format!("{:.1}", speed);
        format!("{}×", s.strip_suffix(".0").unwrap_or(&s))
    } else {
        format!("{:.0}×", speed)
    }
}

/// What one frame did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FrameReport {
    /// Events processed this frame.
    pub events: u64,
    /// Virtual milliseconds the clock advanced this frame.
    pub advanced_ms: u64,
    /// The budget closure said time was up before the target was reached.
    pub budget_hit: bool,
    /// Virtual milliseconds still owed after this frame.
    pub debt_ms: f64,
    /// Virtual milliseconds of debt given up this frame because of the cap.
    pub discarded_ms: f64,
    /// The speed asked for.
    pub asked_speed: f64,
    /// The speed achieved, smoothed over recent frames. It can exceed the asked speed for a while
    /// when carried debt is being paid off after slow frames.
    pub effective_speed: f64,
    /// True when the effective speed is below [`BEHIND_RATIO`] of the asked speed.
    pub behind: bool,
}

/// Play/pause state, speed and the carried virtual-time debt of one simulation's playback.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Playback {
    speed: f64,
    playing: bool,
    /// Virtual ms owed to the simulation (fractions of a ms included).
    debt_ms: f64,
    /// Events run between two calls of the budget closure.
    check_every: u64,
    /// Exponentially smoothed effective speed; `None` until a frame has run.
    smoothed: Option<f64>,
}

impl Default for Playback {
    fn default() -> Self {
        Playback::new(1.0)
    }
}

impl Playback {
    /// Paused playback at `speed` (clamped into range).
    pub fn new(speed: f64) -> Self {
        Playback { speed: clamp_speed(speed), playing: false, debt_ms: 0.0, check_every: 32, smoothed: None }
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }
    /// Sets the speed, clamped into [`MIN_SPEED`, `MAX_SPEED`]; returns the speed used.
    pub fn set_speed(&mut self, speed: f64) -> f64 {
        self.speed = clamp_speed(speed);
        self.smoothed = None;
        self.debt_ms = self.debt_ms.min(self.max_debt());
        self.speed
    }
    pub fn slider(&self) -> u32 {
        slider_from_speed(self.speed)
    }
    pub fn set_slider(&mut self, pos: u32) -> f64 {
        self.set_speed(speed_from_slider(pos))
    }

    pub fn is_playing(&self) -> bool {
        self.playing
    }
    pub fn play(&mut self) {
        self.playing = true;
        self.smoothed = None;
    }
    /// Pauses and forgives any debt (resuming does not catch up on the paused time).
    pub fn pause(&mut self) {
        self.playing = false;
        self.debt_ms = 0.0;
    }
    pub fn toggle(&mut self) {
        if self.playing {
            self.pause()
        } else {
            self.play()
        }
    }

    pub fn check_every(&self) -> u64 {
        self.check_every
    }
    /// How many events run between budget checks (at least 1).
    pub fn set_check_every(&mut self, n: u64) {
        self.check_every = n.max(1);
    }
    pub fn debt_ms(&self) -> f64 {
        self.debt_ms
    }
    fn max_debt(&self) -> f64 {
        self.speed * MAX_DEBT_WALL_MS
    }

    /// Pauses and processes exactly one event (the UI's "step"). Returns false when none is left.
    pub fn step<C: Clocked + ?Sized>(&mut self, sim: &mut C) -> bool {
        self.pause();
        sim.step()
    }

    /// Pauses, moves the clock to the next event's time and processes every event due then.
    /// Returns how many events ran (0 when the queue is empty).
    pub fn jump_to_next<C: Clocked + ?Sized>(&mut self, sim: &mut C) -> u64 {
        self.pause();
        let Some(t) = sim.next_event_time() else {
            return 0;
        };
        let before = sim.processed();
        sim.run_until(t);
        sim.processed() - before
    }

    /// One animation frame: runs the events owed for `wall_elapsed_ms` of wall time at the current
    /// speed, plus any carried debt, asking `time_up()` every [`Playback::check_every`] events and
    /// stopping as soon as it returns true. Does nothing while paused.
    pub fn advance<C: Clocked + ?Sized>(
        &mut self,
        sim: &mut C,
        wall_elapsed_ms: f64,
        mut time_up: impl FnMut() -> bool,
    ) -> FrameReport {
        let wall = if wall_elapsed_ms.is_finite() && wall_elapsed_ms > 0.0 { wall_elapsed_ms } else { 0.0 };
        let mut report = FrameReport { asked_speed: self.speed, ..FrameReport::default() };
        if !self.playing {
            report.effective_speed = self.smoothed.unwrap_or(0.0);
            return report;
        }
        self.debt_ms += wall * self.speed;
        let cap = self.max_debt();
        if self.debt_ms > cap {
            report.discarded_ms = self.debt_ms - cap;
            self.debt_ms = cap;
        }
        let whole = SimDuration::from_millis_f64(libm::floor(self.debt_ms));
        let start_time = sim.now();
        let target = start_time + whole;
        let start_events = sim.processed();
        loop {
            if sim.run_until_bounded(target, self.check_every) {
                break;
            }
            if time_up() {
                report.budget_hit = true;
                break;
            }
        }
        let advanced = sim.now() - start_time;
        self.debt_ms = (self.debt_ms - advanced.0 as f64).max(0.0);
        report.events = sim.processed() - start_events;
        report.advanced_ms = advanced.0;
        report.debt_ms = self.debt_ms;
        if wall > 0.0 {
            let achieved = advanced.0 as f64 / wall;
            // The carried fraction of a millisecond makes single frames jitter around the asked
            // speed; smoothing over ~10 frames shows the trend.
            let s = match self.smoothed {
                Some(prev) => prev + 0.2 * (achieved - prev),
                None => achieved,
            };
            self.smoothed = Some(s);
        }
        report.effective_speed = self.smoothed.unwrap_or(self.speed);
        report.behind = report.budget_hit || report.effective_speed < BEHIND_RATIO * self.speed;
        report
    }
}

/// What one animation frame does: run the simulation (for at most `sim_ms`), draw the page, or both.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FramePlan {
    pub simulate: bool,
    pub draw: bool,
    /// The simulation's share of the frame (0 when it does not run).
    pub sim_ms: f64,
}

/// A smoothed cost and its smoothed deviation (as TCP estimates a retransmission timeout from
/// round-trip times), and the last [`Estimate::WINDOW`] costs, whose 95th percentile a skewed cost
/// (mostly cheap frames, now and then a dearer one) reaches where the mean and deviation fall short.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Estimate {
    /// `None` until a frame has been measured.
    mean: Option<f64>,
    spread: f64,
    /// The last costs, oldest overwritten first; `seen` of them are real.
    recent: [f64; Estimate::WINDOW],
    seen: usize,
}

impl Default for Estimate {
    fn default() -> Self {
        Estimate { mean: None, spread: 0.0, recent: [0.0; Estimate::WINDOW], seen: 0 }
    }
}

impl Estimate {
    /// Weight of the newest measurement (about the last 8 frames count).
    const SMOOTHING: f64 = 0.25;
    /// Costs kept for the percentile: half a second of frames at 60 per second.
    const WINDOW: usize = 32;

    fn record(&mut self, x: f64) {
        self.mean = Some(match self.mean {
            Some(prev) => {
                self.spread += Self::SMOOTHING * ((x - prev).abs() - self.spread);
                prev + Self::SMOOTHING * (x - prev)
            }
            None => x,
        });
        self.recent[self.seen % Self::WINDOW] = x;
        self.seen += 1;
    }

    /// The 95th percentile of the last costs (the second dearest of a full window).
    fn p95(&self) -> Option<f64> {
        let n = self.seen.min(Self::WINDOW);
        if n == 0 {
            return None;
        }
        let mut xs = self.recent;
        let xs = &mut xs[..n];
        xs.sort_unstable_by(f64::total_cmp);
        Some(xs[(n * 95).div_ceil(100) - 1])
    }

    /// The cost planned for: the mean plus [`FrameBudget::SPREAD_WEIGHT`] deviations, or the 95th
    /// percentile of the last costs when that is more.
    fn likely(&self) -> Option<f64> {
        let smooth = self.mean? + FrameBudget::SPREAD_WEIGHT * self.spread;
        Some(self.p95().map_or(smooth, |p| p.max(smooth)))
    }
}

/// How the simulation shares animation frames with drawing, so that nearly every frame's work stays
/// within a goal.
///
/// A frame that draws gives the simulation the goal minus what the rest of such a frame (Yew's
/// render, style, layout, paint, and whatever ran in the frame before the simulation) will likely
/// cost: the 95th percentile of the last frames' costs, or their smoothed cost plus
/// [`FrameBudget::SPREAD_WEIGHT`] smoothed deviations when that is more, not the mean alone, since
/// pages redraw their heavy pictures in some frames and not in others and the goal is for nearly
/// every frame. Never less than a floor, so a page whose pictures alone overrun the goal
/// still moves (slower than asked, which the page reports).
///
/// When the simulation wants more than that share (it ran out of time: a fast speed on a busy
/// model), frames *alternate*: one frame only simulates, with the goal minus what a frame that does
/// not draw costs, and the next only draws what it computed. A frame's work is then the larger of
/// the two, not their sum; the page is redrawn at half the frame rate, and the simulation gets
/// several times the time the floor would give it. Once a simulating frame needs no more than a
/// shared frame would give, every frame does both again.
///
/// The costs are passed in by the UI hook, which measures them; this never reads a clock.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FrameBudget {
    goal_ms: f64,
    floor_ms: f64,
    /// What a frame that draws costs besides the simulation.
    drawing: Estimate,
    /// What a frame that only simulates costs besides the simulation.
    bare: Estimate,
    /// Frames alternate between simulating and drawing.
    alternate: bool,
    /// The last frame planned simulated.
    last_simulated: bool,
}

impl FrameBudget {
    /// How many smoothed deviations above the mean cost a frame plans for.
    pub const SPREAD_WEIGHT: f64 = 2.0;

    /// A budget aiming for `goal_ms` of work per frame, of which the simulation gets at least
    /// `floor_ms` (clamped into `0..=goal_ms`).
    pub fn new(goal_ms: f64, floor_ms: f64) -> Self {
        let goal_ms = if goal_ms.is_finite() { goal_ms.max(0.0) } else { 0.0 };
        let floor_ms = if floor_ms.is_finite() { floor_ms.clamp(0.0, goal_ms) } else { 0.0 };
        FrameBudget {
            goal_ms,
            floor_ms,
            drawing: Estimate::default(),
            bare: Estimate::default(),
            alternate: false,
            last_simulated: false,
        }
    }

    fn share(&self, cost: &Estimate, before: f64) -> f64 {
        (self.goal_ms - cost.likely().unwrap_or(before)).clamp(self.floor_ms, self.goal_ms)
    }

    /// Milliseconds the simulation may run in a frame that also draws. Before any measurement, half
    /// the goal.
    pub fn sim_ms(&self) -> f64 {
        self.share(&self.drawing, self.goal_ms / 2.0)
    }

    /// What the coming frame does.
    pub fn plan(&self) -> FramePlan {
        match (self.alternate, self.last_simulated) {
            (false, _) => FramePlan { simulate: true, draw: true, sim_ms: self.sim_ms() },
            (true, true) => FramePlan { simulate: false, draw: true, sim_ms: 0.0 },
            (true, false) => FramePlan { simulate: true, draw: false, sim_ms: self.share(&self.bare, 0.0) },
        }
    }

    /// Whether frames alternate between simulating and drawing.
    pub fn alternating(&self) -> bool {
        self.alternate
    }

    /// Tells the budget what the planned frame's simulation did, right after it ran: `hungry` when it
    /// ran out of its share before it caught up, `sim_ms` the time it took.
    pub fn ran(&mut self, plan: FramePlan, hungry: bool, sim_ms: f64) {
        self.last_simulated = plan.simulate;
        if !plan.simulate {
            return;
        }
        if !self.alternate && hungry {
            self.alternate = true;
        } else if self.alternate && !hungry && sim_ms <= self.sim_ms() {
            self.alternate = false;
        }
    }

    /// The smoothed cost of a frame that draws, besides the simulation (0 before any measurement).
    pub fn render_ms(&self) -> f64 {
        self.drawing.mean.unwrap_or(0.0)
    }

    /// The smoothed deviation of that cost.
    pub fn spread_ms(&self) -> f64 {
        self.drawing.spread
    }

    /// Records one frame once it is drawn: `frame_ms` of work in all, `sim_ms` of it the
    /// simulation's; `drew` whether the frame drew the page. A measurement that is not a finite,
    /// non-negative number is ignored.
    pub fn record(&mut self, drew: bool, frame_ms: f64, sim_ms: f64) {
        let rest = frame_ms - sim_ms;
        if !rest.is_finite() || frame_ms < 0.0 || sim_ms < 0.0 {
            return;
        }
        let cost = if drew { &mut self.drawing } else { &mut self.bare };
        cost.record(rest.max(0.0));
    }

    /// Forgets the measurements and starts again with frames that do both (a paused page may draw
    /// at a different cost when it resumes).
    pub fn reset(&mut self) {
        *self = FrameBudget::new(self.goal_ms, self.floor_ms);
    }
}

/// What the playback driver needs of a run: anything with a virtual clock and a queue of events.
/// [`Simulation`] implements it; a model with its own tight event loop (the backoff contention
/// experiment) can implement it too and be played, stepped and sped up by the same controls.
pub trait Clocked {
    fn now(&self) -> SimTime;
    /// Events processed so far.
    fn processed(&self) -> u64;
    fn next_event_time(&mut self) -> Option<SimTime>;
    /// Processes one event; false when none is left.
    fn step(&mut self) -> bool;
    /// Processes every event due at or before `until`, then sets the clock to `until`.
    fn run_until(&mut self, until: SimTime);
    /// Like `run_until` but stops after `max_events`; true when `until` was reached.
    fn run_until_bounded(&mut self, until: SimTime, max_events: u64) -> bool;
    /// Goes back one event, for runs that can rewind ([`super::rewind::Rewind`]); false when it
    /// cannot (the default) or is at the start.
    fn step_back(&mut self) -> bool {
        false
    }
    /// Whether [`Clocked::step_back`] can work (the ← key is only taken when it can).
    fn can_step_back(&self) -> bool {
        false
    }
}

impl<M: Model> Clocked for Simulation<M> {
    fn now(&self) -> SimTime {
        Simulation::now(self)
    }
    fn processed(&self) -> u64 {
        Simulation::processed(self)
    }
    fn next_event_time(&mut self) -> Option<SimTime> {
        Simulation::next_event_time(self)
    }
    fn step(&mut self) -> bool {
        Simulation::step(self)
    }
    fn run_until(&mut self, until: SimTime) {
        Simulation::run_until(self, until)
    }
    fn run_until_bounded(&mut self, until: SimTime, max_events: u64) -> bool {
        Simulation::run_until_bounded(self, until, max_events)
    }
}

/// A simulation that ends, for playing: when its queue runs dry the run is over and the clock
/// stays at the last event however long playback goes on (the bare [`Simulation`] moves its clock
/// to whatever time it is asked for).
pub struct Finite<M: Model>(pub Simulation<M>);

impl<M: Model> Clocked for Finite<M> {
    fn now(&self) -> SimTime {
        self.0.now()
    }
    fn processed(&self) -> u64 {
        self.0.processed()
    }
    fn next_event_time(&mut self) -> Option<SimTime> {
        self.0.next_event_time()
    }
    fn step(&mut self) -> bool {
        self.0.step()
    }
    fn run_until(&mut self, until: SimTime) {
        self.0.run_until_bounded_or_idle(until, u64::MAX);
    }
    fn run_until_bounded(&mut self, until: SimTime, max_events: u64) -> bool {
        self.0.run_until_bounded_or_idle(until, max_events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::bench::{timer_storm_sim, TimerStorm};
    use crate::sim::{Ctx, SimTime, TEST_EPOCH};

    /// One event every `every_ms`, forever.
    struct Ticker {
        every_ms: u64,
    }
    impl Model for Ticker {
        type Event = ();
        fn handle(&mut self, ctx: &mut Ctx<'_, ()>, _: ()) {
            ctx.schedule_in(SimDuration(self.every_ms), ());
        }
        fn describe(&self, _: &()) -> (String, String) {
            ("ticker".into(), "tick".into())
        }
    }
    fn ticker(every_ms: u64) -> Simulation<Ticker> {
        let mut s = Simulation::new(Ticker { every_ms }, TEST_EPOCH);
        s.schedule_in(SimDuration(every_ms), ());
        s
    }

    /// One frame as the UI hook runs it: plan, simulate (a saturated simulation uses its whole
    /// share and is hungry), record what the frame cost. Returns the plan and the frame's work.
    fn play_frame(b: &mut FrameBudget, draw_ms: f64, bare_ms: f64, hungry_at: f64) -> (FramePlan, f64) {
        let plan = b.plan();
        let sim = if plan.simulate { plan.sim_ms.min(hungry_at) } else { 0.0 };
        b.ran(plan, plan.simulate && sim < hungry_at, sim);
        let rest = if plan.draw { draw_ms } else { bare_ms };
        b.record(plan.draw, sim + rest, sim);
        (plan, sim + rest)
    }

    #[test]
    fn frame_budget_gives_the_simulation_the_goal_minus_the_likely_drawing_cost_above_a_floor() {
        let mut b = FrameBudget::new(8.0, 1.5);
        assert_eq!(b.sim_ms(), 4.0, "before any measurement: half the goal");
        assert_eq!(b.plan(), FramePlan { simulate: true, draw: true, sim_ms: 4.0 });
        b.record(true, 5.0, 3.0); // drawing cost 2 ms
        assert_eq!(b.render_ms(), 2.0);
        assert_eq!(b.spread_ms(), 0.0);
        assert_eq!(b.sim_ms(), 6.0);
        b.record(true, 12.0, 2.0); // drawing cost 10 ms: smoothed 2 + 0.25 × 8 = 4, spread 0.25 × 8 = 2
        assert_eq!(b.render_ms(), 4.0);
        assert_eq!(b.spread_ms(), 2.0);
        assert_eq!(b.sim_ms(), 1.5, "8 − (4 + 2 × 2) is below the floor");
        for _ in 0..50 {
            b.record(true, 40.0, 1.5);
        }
        assert!((b.render_ms() - 38.5).abs() < 0.01, "converges on the drawing cost: {}", b.render_ms());
        assert_eq!(b.sim_ms(), 1.5, "never below the floor");
        for _ in 0..80 {
            b.record(true, 0.5, 0.5);
        }
        assert!((b.sim_ms() - 8.0).abs() < 0.01, "a free page gives the simulation the whole goal");
        b.record(true, f64::NAN, 1.0);
        b.record(true, -1.0, 0.0);
        assert!((b.sim_ms() - 8.0).abs() < 0.01, "nonsense measurements are ignored");
        b.reset();
        assert_eq!(b.sim_ms(), 4.0);
        assert_eq!(FrameBudget::new(8.0, 20.0).sim_ms(), 8.0, "the floor is clamped to the goal");
    }

    /// A page that draws a heavy picture every third frame (4 ms, else 1 ms) and a simulation that
    /// keeps up with 2 ms a frame: a budget from the mean drawing cost (2 ms) would let a slower
    /// frame of the simulation overrun the goal in every heavy frame; planning for the spread keeps
    /// every frame within the goal, and frames keep doing both.
    #[test]
    fn frame_budget_plans_for_the_heavy_frames_of_a_page_that_redraws_pictures_in_turn() {
        let mut b = FrameBudget::new(8.0, 1.5);
        let mut worst: f64 = 0.0;
        for i in 0..300 {
            let draw = if i % 3 == 0 { 4.0 } else { 1.0 };
            let (plan, work) = play_frame(&mut b, draw, 0.5, 2.0);
            if i > 50 {
                assert!(plan.simulate && plan.draw, "frame {i}: {plan:?}");
                worst = worst.max(work);
            }
        }
        assert!(worst <= 8.0 + 1e-9, "every frame within the goal, worst {worst}");
        assert!(b.sim_ms() >= 3.0, "the simulation could have had more than it needs: {}", b.sim_ms());
    }

    /// A hungry simulation on a page whose frames that only simulate cost 2 ms besides it, and one
    /// in ten 3.5 ms (a timer or a collection lands in it): the mean and deviation (about 2.15 and
    /// 0.27 ms) would plan for 2.7 ms and let every tenth simulating frame overrun the goal; the 95th
    /// percentile of the last frames keeps 95 % of all frames within it.
    #[test]
    fn frame_budget_plans_for_the_95th_percentile_of_a_skewed_cost() {
        let mut b = FrameBudget::new(8.0, 1.5);
        let mut works = Vec::new();
        for i in 0..400 {
            let bare = if i % 10 == 0 { 3.5 } else { 2.0 };
            let (_, work) = play_frame(&mut b, 4.0, bare, f64::INFINITY);
            if i >= 100 {
                works.push(work);
            }
        }
        assert!(b.alternating());
        works.sort_by(f64::total_cmp);
        let p95 = works[works.len() * 95 / 100];
        assert!(p95 <= 8.0 + 1e-9, "95 % of frames within the goal: p95 {p95}");
        let over = works.iter().filter(|w| **w > 8.0 + 1e-9).count();
        assert!(over <= works.len() / 20, "{over} of {} frames over the goal", works.len());
    }

    /// A saturated simulation (it would take any share) on a page whose drawing costs 6 ms: shared
    /// frames would cost 6 + the floor; alternating frames cost at most the goal, and the
    /// simulation runs in half the frames with the goal minus what a bare frame costs (1 ms), more
    /// than three times what the floor gave it in every frame.
    #[test]
    fn frame_budget_alternates_simulating_and_drawing_while_the_simulation_is_hungry() {
        let mut b = FrameBudget::new(8.0, 1.5);
        let (mut sim_total, mut worst, mut draws) = (0.0, 0.0f64, 0);
        for i in 0..200 {
            let (plan, work) = play_frame(&mut b, 6.0, 1.0, f64::INFINITY);
            if i > 20 {
                assert!(plan.simulate != plan.draw, "frame {i} alternates: {plan:?}");
                sim_total += plan.sim_ms;
                worst = worst.max(work);
                draws += usize::from(plan.draw);
            }
        }
        assert!(b.alternating());
        assert!(worst <= 8.0 + 1e-9, "every frame within the goal, worst {worst}");
        assert!((89..=90).contains(&draws), "every other frame draws: {draws} of 179");
        assert!(sim_total / 179.0 >= 3.0, "the simulation gets 3.5 ms a frame on average: {}", sim_total / 179.0);
    }

    /// When the simulation stops needing more than a shared frame gives (the user slowed it down),
    /// frames do both again, so the page is drawn at the full frame rate.
    #[test]
    fn frame_budget_stops_alternating_once_the_simulation_fits_a_shared_frame() {
        let mut b = FrameBudget::new(8.0, 1.5);
        for _ in 0..40 {
            play_frame(&mut b, 4.0, 1.0, f64::INFINITY);
        }
        assert!(b.alternating());
        for i in 0..40 {
            let (plan, _) = play_frame(&mut b, 4.0, 1.0, 0.5);
            if i >= 2 {
                assert!(plan.simulate && plan.draw, "frame {i}: {plan:?}");
            }
        }
        assert!(!b.alternating());
    }

    #[test]
    fn slider_positions_map_logarithmically_and_round_trip() {
        assert_eq!(speed_from_slider(0), 0.1);
        assert!((speed_from_slider(250) - 1.0).abs() < 1e-12);
        assert!((speed_from_slider(500) - 10.0).abs() < 1e-9);
        assert_eq!(speed_from_slider(1000), 1000.0);
        assert_eq!(speed_from_slider(5000), 1000.0);
        for pos in 0..=SLIDER_MAX {
            assert_eq!(slider_from_speed(speed_from_slider(pos)), pos);
        }
        assert_eq!(slider_from_speed(1e9), SLIDER_MAX);
        assert_eq!(slider_from_speed(0.0), 0);
        assert_eq!(slider_from_speed(f64::NAN), 250);
        let shown: Vec<String> = [0.1, 1.0, 2.5, 40.0, 1000.0].iter().map(|s| format_speed(*s)).collect();
        assert_eq!(shown, ["0.1×", "1×", "2.5×", "40×", "1000×"]);
    }

    #[test]
    fn paused_playback_does_nothing_and_play_runs_at_the_asked_speed() {
        let mut sim = ticker(10);
        let mut p = Playback::new(2.0);
        let r = p.advance(&mut sim, 16.0, || false);
        assert_eq!((r.events, r.advanced_ms), (0, 0));
        p.play();
        // 60 frames of 16.5 ms at 2× = 1980 virtual ms, with the half-ms fractions carried.
        let mut events = 0;
        for _ in 0..60 {
            let r = p.advance(&mut sim, 16.5, || false);
            assert!(!r.behind && !r.budget_hit, "{r:?}");
            events += r.events;
        }
        assert_eq!(sim.elapsed(), SimDuration(1980));
        assert_eq!(events, 198);
        assert!((p.advance(&mut sim, 16.0, || false).effective_speed - 2.0).abs() < 0.1);
    }

    #[test]
    fn a_budget_stop_carries_debt_and_reports_running_slower_than_asked() {
        // 1 event per virtual ms at 1000×: a 16 ms frame owes 16,000 events.
        let mut sim = ticker(1);
        let mut p = Playback::new(1000.0);
        p.set_check_every(100);
        p.play();
        // The fake budget allows 20 checks (about 2,000 events) per frame.
        let frame = |p: &mut Playback, sim: &mut Simulation<Ticker>| {
            let mut checks = 0;
            p.advance(sim, 16.0, || {
                checks += 1;
                checks > 20
            })
        };
        let r = frame(&mut p, &mut sim);
        assert!(r.budget_hit && r.behind, "{r:?}");
        assert_eq!(r.events, 2100);
        assert_eq!(r.advanced_ms, 2100); // the clock stops at the last event run (one per ms from 1 ms)
        assert!((r.debt_ms - (16_000.0 - 2100.0)).abs() < 1e-9);
        // Debt keeps growing but is capped at 250 ms of wall time at 1000×.
        let mut last = r;
        for _ in 0..30 {
            last = frame(&mut p, &mut sim);
        }
        assert_eq!(last.debt_ms, MAX_DEBT_WALL_MS * 1000.0 - 2100.0);
        assert!(last.discarded_ms > 0.0);
        assert!(last.effective_speed > 100.0 && last.effective_speed < 200.0, "{last:?}");
        // Slowing down to 10× lets it keep up again; the debt is cut to the new cap.
        p.set_speed(10.0);
        assert!(p.debt_ms() <= 2500.0);
        for _ in 0..40 {
            last = frame(&mut p, &mut sim);
        }
        assert!(!last.behind && !last.budget_hit, "{last:?}");
    }

    #[test]
    fn a_long_stall_does_not_cause_a_runaway() {
        let mut sim = ticker(1);
        let mut p = Playback::new(100.0);
        p.play();
        let r = p.advance(&mut sim, 600_000.0, || false); // ten minutes in a background tab
        assert_eq!(r.advanced_ms, 25_000);
        assert_eq!(r.discarded_ms, 60_000_000.0 - 25_000.0);
        let r = p.advance(&mut sim, f64::NAN, || false);
        assert_eq!(r.advanced_ms, 0);
    }

    /// Ticks every `every_ms` until `left` reaches 0, then has nothing more to do.
    struct Countdown {
        every_ms: u64,
        left: u32,
    }
    impl Model for Countdown {
        type Event = ();
        fn handle(&mut self, ctx: &mut Ctx<'_, ()>, _: ()) {
            if self.left > 0 {
                self.left -= 1;
                ctx.schedule_in(SimDuration(self.every_ms), ());
            }
        }
        fn describe(&self, _: &()) -> (String, String) {
            ("countdown".into(), "tick".into())
        }
    }

    #[test]
    fn a_finite_run_stops_its_clock_at_the_last_event() {
        let countdown = || {
            let mut s = Simulation::new(Countdown { every_ms: 7, left: 10 }, TEST_EPOCH);
            s.schedule_in(SimDuration(7), ());
            s
        };
        let mut sim = Finite(countdown());
        let mut p = Playback::new(10.0);
        p.play();
        for _ in 0..10 {
            p.advance(&mut sim, 16.0, || false);
        }
        assert_eq!(sim.now(), TEST_EPOCH + SimDuration(77), "the eleventh tick at 77 ms is the last event");
        p.advance(&mut sim, 1_000.0, || false);
        assert_eq!(sim.now(), TEST_EPOCH + SimDuration(77), "nothing left to happen: the clock stays");
        // The bare simulation would have moved on to the frame's target.
        let mut bare = countdown();
        let mut q = Playback::new(10.0);
        q.play();
        for _ in 0..10 {
            q.advance(&mut bare, 16.0, || false);
        }
        assert_eq!(bare.now(), TEST_EPOCH + SimDuration(1_600));
    }

    #[test]
    fn step_and_jump_pause_and_move_one_event_or_one_instant() {
        let mut sim = timer_storm_sim(3, 5, 1);
        let mut p = Playback::new(1.0);
        p.play();
        assert!(p.step(&mut sim));
        assert!(!p.is_playing());
        assert_eq!(sim.processed(), 1);
        // With a max delay of 1 ms all five timers are due at the same instants.
        let before = sim.now();
        let n = p.jump_to_next(&mut sim);
        assert!(n >= 1);
        assert!(sim.now() >= before);
        assert_eq!(sim.next_event_time().map(|t| t > sim.now()), Some(true));
        let mut empty: Simulation<TimerStorm> = timer_storm_sim(3, 0, 1);
        assert_eq!(p.jump_to_next(&mut empty), 0);
        assert!(!p.step(&mut empty));
        assert_eq!(empty.now(), SimTime(TEST_EPOCH.0));
    }
}
