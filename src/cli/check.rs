//! `sim check`: the model checker and the linearizability checker on the command line.
//!
//! `sim check lock --variant reference --faults pause --depth 30 --json` explores every interleaving
//! within the bounds and prints the shortest counterexample (or says there is none);
//! `sim check history FILE --json` checks a recorded history of the modeled Redis. Only here is the
//! wall clock read (the `ms` figure); the checkers count, never time.

use super::output::print_json;
use super::{CliResult, Common};
use crate::verify::linear::{self, History};
use crate::verify::lock::{CheckConfig, Fault, Property, PropertyOutcome, Search, Variant};
use serde::Serialize;
use std::io::Write;
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub what: What,
}

#[derive(clap::Subcommand, Debug)]
pub enum What {
    /// Model-check a lock variant: every interleaving of messages, timers and faults within bounds.
    Lock(LockArgs),
    /// Check a recorded history of the modeled Redis for linearizability, per key (also `linear`).
    #[command(alias = "linear")]
    History(HistoryArgs),
    /// Benchmark both checkers: lock states per second, histories per second (figures only).
    Bench(BenchArgs),
}

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Roughly how long each linearizability figure runs, in ms (1 to 60000).
    #[arg(long, default_value_t = 1000)]
    pub ms: u64,
    /// Only the smallest cases (a smoke run: the figures are not comparable to a full run).
    #[arg(long)]
    pub quick: bool,
}

#[derive(clap::Args, Debug)]
pub struct LockArgs {
    /// reference | atomic | fenced | redlock
    #[arg(long, default_value = "reference")]
    pub variant: String,
    /// Workers (2 or 3).
    #[arg(long, default_value_t = 2)]
    pub workers: usize,
    /// Redis instances: 1 for reference, atomic and fenced; 3 or 5 for redlock (5 when omitted).
    #[arg(long)]
    pub redis: Option<usize>,
    /// Faults the search may inject, comma-separated: pause, crash, delay, drop, restart (a Redis
    /// restart without persistence), drift, stop (or none).
    #[arg(long, default_value = "pause,crash,delay")]
    pub faults: String,
    /// How many faults one run may suffer (0 to 4).
    #[arg(long, default_value_t = 1)]
    pub budget: u8,
    /// The longest trace explored (1 to 400 actions).
    #[arg(long, default_value_t = 40)]
    pub depth: u32,
    /// mutual-exclusion | stale-write | double-job | foreign-extend | foreign-delete | all
    #[arg(long, default_value = "mutual-exclusion")]
    pub property: String,
    /// Stop after this many distinct states.
    #[arg(long, default_value_t = 5_000_000)]
    pub max_states: u64,
    /// How far one drift step sets a worker's clock back (ms; the TTL when omitted).
    #[arg(long)]
    pub drift_ms: Option<u64>,
    /// Worker i starts at i × this many ms (0 for single-instance variants, 1000 for redlock when omitted).
    #[arg(long)]
    pub stagger_ms: Option<u64>,
    /// Explore renamings of identical workers as distinct states (slower; for cross-checking).
    #[arg(long)]
    pub no_symmetry: bool,
}

#[derive(clap::Args, Debug)]
pub struct HistoryArgs {
    /// A history as JSON (see `src/verify/linear/history.rs` or the README for the format).
    pub file: std::path::PathBuf,
    /// Search steps one key may use before it is answered "too large".
    #[arg(long, default_value_t = linear::check::DEFAULT_MAX_STEPS)]
    pub max_steps: u64,
}

/// The JSON `sim check lock --json` prints for one property.
#[derive(Serialize)]
struct LockAnswer<'a> {
    result: &'a str,
    property: &'a str,
    variant: &'a str,
    depth: u32,
    states: u64,
    unique_states: u64,
    ms: u64,
    states_per_s: u64,
    complete: bool,
    summary: &'a str,
    trace: &'a [crate::verify::lock::TraceStep],
}

/// The largest history file read (bytes) and the largest step budget per key.
const MAX_HISTORY_BYTES: usize = 64 << 20;
const MAX_STEPS: u64 = 1_000_000_000;

pub fn run(common: &Common, args: Args) -> CliResult {
    match args.what {
        What::Lock(a) => lock(common, a),
        What::History(a) => history(common, a),
        What::Bench(a) => bench(common, a),
    }
}

fn lock(common: &Common, a: LockArgs) -> CliResult {
    let variant = Variant::from_id(&a.variant)?;
    let mut cfg = CheckConfig::new(variant);
    cfg.workers = a.workers;
    if let Some(r) = a.redis {
        cfg.redis = r;
    }
    cfg.faults = Fault::parse_list(&a.faults)?;
    cfg.budget = a.budget;
    cfg.depth = a.depth;
    cfg.max_states = a.max_states;
    cfg.seed = common.seed;
    if let Some(d) = a.drift_ms {
        cfg.drift_ms = d;
    }
    if let Some(s) = a.stagger_ms {
        cfg.stagger_ms = s;
    }
    cfg.symmetry = !a.no_symmetry;
    cfg.properties = if a.property == "all" { Vec::new() } else { vec![Property::from_id(&a.property)?] };
    let start = Instant::now();
    let mut search = Search::new(cfg)?;
    search.run();
    let ms = start.elapsed().as_millis() as u64;
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    let report = search.report();
    let per_s = (report.states as f64 / secs) as u64;
    let answers: Vec<LockAnswer> = report
        .outcomes
        .iter()
        .map(|o: &PropertyOutcome| LockAnswer {
            result: o.result,
            property: o.property.id(),
            variant: variant.id(),
            depth: o.depth,
            states: report.states,
            unique_states: report.unique_states,
            ms,
            states_per_s: per_s,
            complete: report.complete,
            summary: &o.summary,
            trace: &o.trace,
        })
        .collect();
    if common.json {
        if answers.len() == 1 {
            print_json(&answers[0])
        } else {
            print_json(&answers)
        }
    } else {
        let mut out = std::io::stdout().lock();
        for o in &report.outcomes {
            writeln!(out, "{}: {}", o.property.id(), o.summary)?;
            for s in &o.trace {
                writeln!(out, "  {:>8} ms  {}", s.at_ms, s.label)?;
            }
        }
        writeln!(
            out,
            "{} states generated, {} distinct, depth {}, {} ms ({} states/s); {} machines, {} calls of LockWorker::handle",
            report.states, report.unique_states, report.depth, ms, per_s, report.machine_classes, report.machine_calls
        )?;
        Ok(())
    }
}

fn history(common: &Common, a: HistoryArgs) -> CliResult {
    let text = std::fs::read_to_string(&a.file).map_err(|e| format!("cannot read {}: {e}", a.file.display()))?;
    if !(1..=MAX_STEPS).contains(&a.max_steps) {
        return Err(format!("--max-steps {}; expected 1 to {MAX_STEPS}", a.max_steps).into());
    }
    if text.len() > MAX_HISTORY_BYTES {
        return Err(format!(
            "{} is {} bytes; expected a history of at most {MAX_HISTORY_BYTES} bytes",
            a.file.display(),
            text.len()
        )
        .into());
    }
    let h = History::from_json(&text).map_err(|e| format!("{}: {e}", a.file.display()))?;
    let start = Instant::now();
    let limits = linear::LinearLimits { max_steps_per_key: a.max_steps, max_shrink_steps: a.max_steps };
    let report = linear::check_history_with(&h, limits);
    let ms = start.elapsed().as_millis() as u64;
    #[derive(Serialize)]
    struct Out<'a> {
        #[serde(flatten)]
        report: &'a linear::LinearReport,
        ms: u64,
    }
    if common.json {
        print_json(&Out { report: &report, ms })
    } else {
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "{} ({} operations, {} keys, {} search steps, {ms} ms)",
            report.summary, report.operations, report.keys, report.steps
        )?;
        for f in &report.failures {
            let size = if f.minimal { "a minimal" } else { "a small (shrinking ran out of steps)" };
            writeln!(
                out,
                "key {:?}: {size} failing sub-history, {} of {} operations — {}:",
                f.key,
                f.ops.len(),
                f.key_operations,
                f.explanation
            )?;
            for op in &f.ops {
                writeln!(out, "  {}", op.describe())?;
            }
        }
        Ok(())
    }
}

/// One lock-checker figure.
#[derive(Serialize)]
struct LockFigure {
    name: String,
    result: String,
    states: u64,
    unique_states: u64,
    ms: u64,
    states_per_s: u64,
}

/// One linearizability figure.
#[derive(Serialize)]
struct LinearFigure {
    name: String,
    histories: u64,
    operations_each: usize,
    steps: u64,
    ms: u64,
    histories_per_s: f64,
    operations_per_s: u64,
}

fn bench(common: &Common, a: BenchArgs) -> CliResult {
    if !(1..=60_000).contains(&a.ms) {
        return Err(format!("--ms {}; expected 1 to 60000", a.ms).into());
    }
    let full = [Fault::Pause, Fault::Crash, Fault::Delay, Fault::Drop, Fault::RedisRestart, Fault::Drift, Fault::Stop];
    let lock_cases: Vec<(String, CheckConfig)> = vec![
        (
            "reference, 2 workers, 1 redis, pause: the GC-pause story".into(),
            CheckConfig::new(Variant::Reference)
                .with_faults(&[Fault::Pause])
                .with_properties(&[Property::MutualExclusion]),
        ),
        (
            "fenced, 2 workers, 1 redis, all faults but restart, budget 3, depth 200, stale-write".into(),
            CheckConfig::new(Variant::Fenced)
                .with_faults(&[Fault::Pause, Fault::Crash, Fault::Delay, Fault::Drop, Fault::Drift, Fault::Stop])
                .with_budget(3)
                .with_depth(200)
                .with_properties(&[Property::StaleWrite]),
        ),
        (
            "atomic, 2 workers, 1 redis, all faults, budget 2, depth 80, every property".into(),
            CheckConfig::new(Variant::Atomic).with_faults(&full).with_budget(2).with_depth(80),
        ),
        ("atomic, 3 workers, 1 redis, pause/crash/delay, budget 2, depth 40, stale-write".into(), {
            let mut c = CheckConfig::new(Variant::Atomic)
                .with_budget(2)
                .with_depth(40)
                .with_properties(&[Property::StaleWrite]);
            c.workers = 3;
            c
        }),
        (
            "redlock, 2 workers, 5 redis, drift, depth 120".into(),
            CheckConfig::new(Variant::Redlock)
                .with_faults(&[Fault::Drift])
                .with_depth(120)
                .with_properties(&[Property::MutualExclusion]),
        ),
    ];
    let mut locks = Vec::new();
    let lock_cases = if a.quick { lock_cases.into_iter().take(1).collect() } else { lock_cases };
    for (name, mut cfg) in lock_cases {
        cfg.seed = common.seed;
        let start = Instant::now();
        let report = crate::verify::lock::check(cfg)?;
        let secs = start.elapsed().as_secs_f64().max(1e-9);
        let result = report.outcomes.iter().map(|o| o.summary.clone()).collect::<Vec<_>>().join("; ");
        locks.push(LockFigure {
            name,
            result,
            states: report.states,
            unique_states: report.unique_states,
            ms: (secs * 1000.0) as u64,
            states_per_s: (report.states as f64 / secs) as u64,
        });
    }
    let budget = std::time::Duration::from_millis(a.ms);
    let mut linears = Vec::new();
    for (name, ops, keys, many) in [
        ("100 operations on 3 keys, ~8 overlapping, 10% lost replies", 100usize, 3usize, true),
        ("1,000 operations on 1 key, ~8 overlapping", 1_000, 1, true),
        ("10,000 operations on 10 keys, ~8 overlapping", 10_000, 10, false),
        ("10,000 operations on 1 key, ~8 overlapping", 10_000, 1, false),
    ]
    .into_iter()
    .take(if a.quick { 2 } else { 4 })
    {
        let mut seed = common.seed;
        let (mut n, mut steps, mut elapsed) = (0u64, 0u64, std::time::Duration::ZERO);
        loop {
            let h = linear::recorded_history(&linear::GenConfig { seed, ops, keys, ..Default::default() });
            let start = Instant::now();
            let r = linear::check_history(&h);
            elapsed += start.elapsed();
            if r.result != "linearizable" {
                return Err(format!("bench history (seed {seed}) was not judged linearizable: {}", r.summary).into());
            }
            steps += r.steps;
            n += 1;
            seed += 1;
            if !many || elapsed >= budget {
                break;
            }
        }
        let secs = elapsed.as_secs_f64().max(1e-9);
        linears.push(LinearFigure {
            name: name.into(),
            histories: n,
            operations_each: ops,
            steps,
            ms: (secs * 1000.0) as u64,
            histories_per_s: (n as f64 / secs * 10.0).round() / 10.0,
            operations_per_s: ((n as f64 * ops as f64) / secs) as u64,
        });
    }
    if !a.quick {
        linears.push(messaging_figure(common.seed)?);
    }
    if common.json {
        #[derive(Serialize)]
        struct Out {
            lock: Vec<LockFigure>,
            linear: Vec<LinearFigure>,
        }
        return print_json(&Out { lock: locks, linear: linears });
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "lock checker (states generated per second):")?;
    for f in &locks {
        writeln!(
            out,
            "  {:>10} states/s  {:>9} states, {:>8} distinct, {:>6} ms  {}",
            f.states_per_s, f.states, f.unique_states, f.ms, f.name
        )?;
        writeln!(out, "  {:>10}            {}", "", f.result)?;
    }
    writeln!(out, "linearizability checker:")?;
    for f in &linears {
        writeln!(
            out,
            "  {:>10} histories/s  {:>10} ops/s  {:>6} histories, {:>6} ms, {:>9} steps  {}",
            f.histories_per_s, f.operations_per_s, f.histories, f.ms, f.steps, f.name
        )?;
    }
    Ok(())
}

/// One messaging run's history checked: 10 producers × 20 msg/s for 17 s into a reliable queue
/// with 10 consumers (about 3,400 messages: a push, a side effect and a final read each, about
/// 10,000 operations on as many keys).
fn messaging_figure(seed: u64) -> Result<LinearFigure, Box<dyn std::error::Error>> {
    use crate::messaging::scenario::{Consumers, Producers};
    use crate::messaging::{MessagingRun, PatternId, Scenario};
    let scenario = Scenario {
        pattern: PatternId::ReliableQueue,
        produce_for_ms: 17_000,
        drain_ms: 3_000,
        producers: Producers { count: 10, rate_per_s: 20.0, bursts: Vec::new() },
        consumers: Consumers {
            count: 10,
            concurrency: 1,
            service: crate::sim::Distribution::Exponential { mean_ms: 30.0 },
            ..Consumers::default()
        },
        ..Scenario::default()
    };
    let mut run = MessagingRun::new(scenario, seed, "bench")?;
    let end = run.end();
    run.advance(end, u64::MAX);
    let h = crate::messaging::linear::history(&run)?;
    let start = Instant::now();
    let r = linear::check_history(&h);
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    if r.result != "linearizable" {
        return Err(
            format!("the messaging bench history (seed {seed}) was not judged linearizable: {}", r.summary).into()
        );
    }
    Ok(LinearFigure {
        name: format!(
            "messaging: reliable-queue, 10 producers x 10 consumers, 17 s: {} operations on {} keys",
            h.ops.len(),
            r.keys
        ),
        histories: 1,
        operations_each: h.ops.len(),
        steps: r.steps,
        ms: (secs * 1000.0) as u64,
        histories_per_s: (1.0 / secs * 10.0).round() / 10.0,
        operations_per_s: (h.ops.len() as f64 / secs) as u64,
    })
}
