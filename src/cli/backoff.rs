//! `sim retry`, `sim backoff-sweep` and `sim backoff` (one live contention run, rewindable):
//! thin front ends over `crate::backoff`.
//!
//! The wall clock is read here only, to report how long a sweep took when `--timing` is given.

use super::output::{print_csv, print_json};
use super::{CliResult, Common, RewindFlags};
use crate::backoff::contention::ContentionParams;
use crate::backoff::contention::{ClientRange, ContentionError, Strategy, Sweep, SweepParams, SweepRow};
use crate::backoff::replay::{parse_action_code, ContentionReplay, ContentionRewind, LiveAction, LiveContention};
use crate::backoff::retry::{self, AttemptOutcome, CallResult, FailingApi, GiveUp, RetryParams};
use crate::backoff::{Policy, PolicyError};
use crate::sim::replay::ReplayModel;
use crate::sim::rewind::{LoggedAction, Seek};
use crate::sim::TEST_EPOCH;

/// Flag errors clap cannot catch by itself.
#[derive(Debug, thiserror::Error)]
pub enum BackoffCliError {
    #[error("outage window {0:?} is not usable: expected FROM..TO in milliseconds with FROM < TO, e.g. 0..1000")]
    Window(String),
}

fn parse_window(s: &str) -> Result<(u64, u64), BackoffCliError> {
    let bad = || BackoffCliError::Window(s.to_string());
    let (a, b) = s.split_once("..").ok_or_else(bad)?;
    let a: u64 = a.trim().parse().map_err(|_| bad())?;
    let b: u64 = b.trim().parse().map_err(|_| bad())?;
    if a >= b {
        return Err(bad());
    }
    Ok((a, b))
}

fn parse_range(s: &str) -> Result<ClientRange, ContentionError> {
    s.parse()
}

fn parse_strategy(s: &str) -> Result<Strategy, ContentionError> {
    s.parse()
}

#[derive(clap::Args, Debug)]
pub struct RetryArgs {
    /// none, constant, exponential, full_jitter, equal_jitter, decorrelated or grpc.
    #[arg(long, default_value = "exponential")]
    pub policy: String,
    /// Base delay in ms (the constant delay for `constant`, the initial backoff for `grpc`).
    #[arg(long, default_value_t = 100)]
    pub base: u64,
    /// Growth factor per retry (exponential and grpc).
    #[arg(long)]
    pub factor: Option<f64>,
    /// Cap on any wait, in ms (default: none; 120000 for grpc).
    #[arg(long)]
    pub cap: Option<u64>,
    /// gRPC's jitter fraction.
    #[arg(long, default_value_t = 0.2)]
    pub jitter: f64,
    /// gRPC's MIN_CONNECT_TIMEOUT in ms: each attempt may run at least this long (default 20000).
    #[arg(long)]
    pub min_connect: Option<u64>,
    #[arg(long, default_value_t = 4)]
    pub max_retries: u32,
    /// The API fails its first K calls, then succeeds (the default API, K = 3).
    #[arg(long, group = "api")]
    pub fail_first: Option<u32>,
    /// The API fails each call with probability P.
    #[arg(long, group = "api")]
    pub fail_prob: Option<f64>,
    /// The API is down during FROM..TO ms (since the call began).
    #[arg(long, group = "api", value_parser = parse_window)]
    pub down: Option<(u64, u64)>,
    /// The API answers 429 with Retry-After until this many ms after the call began.
    #[arg(long, group = "api")]
    pub rate_limited_until: Option<u64>,
    /// Ignore Retry-After (by default it is honoured).
    #[arg(long)]
    pub ignore_retry_after: bool,
    /// Each attempt's latency in ms.
    #[arg(long, default_value_t = 0)]
    pub latency: u64,
    /// Give up once the next wait would end past this many ms.
    #[arg(long)]
    pub max_elapsed: Option<u64>,
}

impl RetryArgs {
    fn policy(&self) -> Result<Policy, PolicyError> {
        let p = Policy::from_parts(&self.policy, self.base, self.factor, self.cap, self.jitter)?;
        Ok(match self.min_connect {
            Some(ms) => p.with_min_connect_timeout(ms),
            None => p,
        })
    }

    fn api(&self) -> FailingApi {
        if let Some(p) = self.fail_prob {
            FailingApi::FailWithProbability { p }
        } else if let Some((from_ms, to_ms)) = self.down {
            FailingApi::DownBetween { from_ms, to_ms }
        } else if let Some(until_ms) = self.rate_limited_until {
            FailingApi::RateLimited { until_ms }
        } else {
            FailingApi::FailFirst { k: self.fail_first.unwrap_or(3) }
        }
    }
}

pub fn retry(c: &Common, a: RetryArgs) -> CliResult {
    let params = RetryParams {
        policy: a.policy()?,
        max_retries: a.max_retries,
        api: a.api(),
        call_latency_ms: a.latency,
        max_elapsed_ms: a.max_elapsed,
        honour_retry_after: !a.ignore_retry_after,
        seed: c.seed,
    };
    let schedule = retry::run(params)?;
    if c.json {
        return print_json(&schedule);
    }
    println!("{:>7}  {:>8}  {:>14}  outcome", "attempt", "start_ms", "wait_before_ms");
    for at in &schedule.attempts {
        let outcome = match &at.outcome {
            AttemptOutcome::Ok => "ok".to_string(),
            AttemptOutcome::Err { error } => match error.retry_after_ms {
                Some(ra) => format!("{} {} (Retry-After {} s)", error.status, error.message, ra / 1000),
                None => format!("{} {}", error.status, error.message),
            },
        };
        let deadlines = match (at.backoff_deadline_ms, at.connect_deadline_ms) {
            (Some(b), Some(c)) => {
                format!("  (may run until {c} ms; next start at {b} ms at the earliest)")
            }
            _ => String::new(),
        };
        println!("{:>7}  {:>8}  {:>14}  {}{}", at.attempt, at.start_ms, at.wait_before_ms, outcome, deadlines);
    }
    for r in &schedule.on_retry {
        println!(
            "onRetry: retry {} at {} ms after {} {}, waiting {} ms",
            r.retry, r.at_ms, r.error.status, r.error.message, r.wait_ms
        );
    }
    match &schedule.result {
        CallResult::Succeeded { attempt, at_ms } => {
            println!("result: success on attempt {attempt} (call #{}) at {at_ms} ms", attempt + 1)
        }
        CallResult::Failed { error, at_ms, reason } => {
            let why = match reason {
                GiveUp::RetriesExhausted => "retries exhausted",
                GiveUp::Deadline => "max-elapsed deadline",
            };
            println!("result: error {} {} reaches the caller at {at_ms} ms ({why})", error.status, error.message)
        }
    }
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct SweepArgs {
    /// Client counts as FROM..TO:STEP.
    #[arg(long, default_value = "10..190:10", value_parser = parse_range)]
    pub clients: ClientRange,
    /// Runs per (clients, strategy) cell; the CSV has their means.
    #[arg(long, default_value_t = 100)]
    pub runs: u32,
    /// Only these strategies (repeatable; default: all five).
    #[arg(long = "strategy", value_parser = parse_strategy)]
    pub strategies: Vec<Strategy>,
    /// Print the sweep's wall-clock time to stderr.
    #[arg(long)]
    pub timing: bool,
    /// Worker threads (0: one per core). Cells are independent and seeded by their own index, so
    /// the CSV is the same for any thread count.
    #[arg(long, default_value_t = 0)]
    pub threads: u32,
}

/// Runs every cell of `sweep`, handing cells to `threads` workers, and returns rows in cell order.
fn run_cells_in_parallel(sweep: &Sweep, threads: usize) -> Vec<SweepRow> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let cells = sweep.cells();
    let next = AtomicUsize::new(0);
    let mut rows: Vec<Option<SweepRow>> = vec![None; cells.len()];
    let results = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&(n, s)) = cells.get(i) else { break };
                        done.push((i, sweep.run_cell(n, s)));
                    }
                    done
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().expect("a sweep worker panicked")).collect::<Vec<_>>()
    });
    for (i, r) in results {
        rows[i] = Some(r);
    }
    rows.into_iter().map(|r| r.expect("every cell was run")).collect()
}

pub fn sweep(c: &Common, a: SweepArgs) -> CliResult {
    let strategies = if a.strategies.is_empty() { Strategy::ALL.to_vec() } else { a.strategies };
    let params = SweepParams { clients: a.clients, runs: a.runs, seed: c.seed, strategies, ..SweepParams::default() };
    let started = std::time::Instant::now();
    let sweep = Sweep::new(params)?;
    let threads =
        if a.threads == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { a.threads as usize };
    let rows = run_cells_in_parallel(&sweep, threads);
    let elapsed = started.elapsed();
    if a.timing {
        eprintln!(
            "backoff-sweep: {} runs in {:.3} s on {} thread(s)",
            sweep.progress().runs_total,
            elapsed.as_secs_f64(),
            threads
        );
    }
    if c.json {
        return print_json(&rows);
    }
    let rows = rows.iter().map(|r| {
        vec![
            r.clients.to_string(),
            format!("{:.1}", r.time_ms),
            format!("{:.1}", r.calls),
            r.strategy.name().to_string(),
        ]
    });
    print_csv(&["clients", "time_ms", "calls", "strategy"], rows)
}

/// One scripted action: `MS:CODE` (the page's URL codes: `j10`, `w`, `s3`).
fn parse_act(s: &str) -> Result<(u64, LiveAction), String> {
    let bad = || {
        format!(
            "action {s:?} is not usable: expected MS:CODE, e.g. 120:j10 (ten clients join at 120 ms), 80:w (an outside write), 300:s3 (switch to strategy 3 of {})",
            Strategy::ALL.map(|s| s.name()).join(", ")
        )
    };
    let (ms, code) = s.split_once(':').ok_or_else(bad)?;
    let ms = ms.trim().parse::<u64>().map_err(|_| bad())?;
    Ok((ms, parse_action_code(code.trim()).ok_or_else(bad)?))
}

#[derive(clap::Args, Debug)]
pub struct LiveArgs {
    /// Clients contending for the row (1 to 100000).
    #[arg(long, default_value_t = 20)]
    pub clients: u32,
    /// exponential, decorrelated, equal_jitter, full_jitter or none.
    #[arg(long, default_value = "exponential", value_parser = parse_strategy)]
    pub strategy: Strategy,
    /// A user action at a virtual time, as MS:CODE (repeatable, in time order): `j10` ten
    /// clients join, `w` an outside write, `s3` every client switches to strategy 3.
    #[arg(long = "act", value_parser = parse_act)]
    pub acts: Vec<(u64, LiveAction)>,
    #[command(flatten)]
    pub rewind: RewindFlags,
}

/// What `sim backoff --json` prints: the run's figures, where it stopped and its trace digest.
#[derive(serde::Serialize)]
struct LiveOutput {
    clients: u32,
    strategy: Strategy,
    calls: u64,
    failed_writes: u64,
    version: u64,
    remaining: u32,
    /// When the last client succeeded (ms), once all have.
    done_at_ms: Option<f64>,
    marks: usize,
    events: u64,
    at_ms: u64,
    /// The running trace digest (what `sim replay` and the page's scrubber show for the same moment).
    digest: String,
}

/// The run's action log: each scripted action applied at its time on a forward run.
fn action_log(
    params: &ContentionParams,
    seed: u64,
    acts: &[(u64, LiveAction)],
) -> Result<Vec<LoggedAction<LiveAction>>, String> {
    let mut r = ContentionRewind::new(LiveContention::build(params, seed, TEST_EPOCH)?);
    r.set_finite(true);
    for (i, (ms, a)) in acts.iter().enumerate() {
        if r.cursor().at_ms > *ms {
            return Err(format!(
                "--act {ms}:… comes after an action at {} ms; give them in time order",
                r.cursor().at_ms
            ));
        }
        r.seek(Seek::Time(*ms));
        r.act(*a).map_err(|e| format!("--act number {} ({ms} ms): {e}", i + 1))?;
    }
    Ok(r.actions().to_vec())
}

/// One live contention run with the page's actions: to its end, straight to `--until-ms`, or to
/// its end and back to `--seek-ms` through rewind's snapshots.
pub fn live(c: &Common, a: LiveArgs) -> CliResult {
    let params = ContentionParams::blog(a.clients, a.strategy);
    params.validate()?;
    let log = action_log(&params, c.seed, &a.acts)?;
    let mut r =
        ContentionRewind::with_log(LiveContention::build(&params, c.seed, TEST_EPOCH)?, Default::default(), log)?;
    r.set_finite(true);
    let end = LiveContention::default_end_ms(&params);
    match (a.rewind.until_ms, a.rewind.seek_ms) {
        (Some(t), _) => r.seek(Seek::Time(t)),
        (None, Some(t)) => {
            r.seek(Seek::Time(end.max(t)));
            r.seek(Seek::Time(t))
        }
        (None, None) => r.seek(Seek::Time(end)),
    };
    if let Some(e) = r.error() {
        return Err(e.to_string().into());
    }
    let at = r.cursor();
    if let Some(path) = &a.rewind.replay_out {
        let mut replay =
            ContentionReplay::new(LiveContention::ID, c.seed, TEST_EPOCH, params.clone(), r.actions().to_vec());
        replay.cursor = Some(at);
        std::fs::write(path, replay.to_json() + "\n")
            .map_err(|e| format!("cannot write the replay file {}: {e}", path.display()))?;
    }
    let run = r.model().run();
    let res = run.result();
    let out = LiveOutput {
        clients: res.clients,
        strategy: res.strategy,
        calls: res.calls,
        failed_writes: res.failed_writes,
        version: run.version(),
        remaining: run.remaining(),
        done_at_ms: run.is_done().then_some(res.time_ms),
        marks: r.marks().iter().filter(|m| m.at <= at).count(),
        events: at.events,
        at_ms: at.at_ms,
        digest: r.digest(),
    };
    if c.json {
        return print_json(&out);
    }
    println!(
        "{} clients, {}: {} writes ({} lost), row v{}, {} still trying{}",
        out.clients,
        out.strategy,
        out.calls,
        out.failed_writes,
        out.version,
        out.remaining,
        out.done_at_ms.map(|t| format!(", all done at {t:.3} ms")).unwrap_or_default()
    );
    for m in r.marks().iter().filter(|m| m.at <= at) {
        println!("{:>8} ms  {:<9} {}", m.at.at_ms, m.kind.as_str(), m.label);
    }
    println!("{} events to {} ms, digest {}", out.events, out.at_ms, out.digest);
    Ok(())
}
