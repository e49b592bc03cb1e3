//! `sim lb …`: balancer picks, scenario runs, the compare table, key movement and the benchmark.
//! Wall-clock time is read here only, for the benchmark's figure.

use super::output::{print_csv, print_json};
use super::{CliResult, Common, RewindFlags};
use crate::balance::metrics::RunSummary;
use crate::balance::replay::{LbReplay, LbRewind};
use crate::balance::scenario::{HealthConfig, PassiveCheck};
use crate::balance::smooth_wrr::{letters, SmoothWrr};
use crate::balance::LbModel;
use crate::balance::{
    build_balancer, keys_moved, preset, presets, AlgorithmId, BalancerConfig, Compare, HashScheme, LbRun,
    MembershipChange, Request, Scenario, ServerConfig, ServerView,
};
use crate::sim::replay::ReplayModel;
use crate::sim::rewind::{Cursor, Seek};
use crate::sim::{Distribution, SimRng, SimTime};
use crate::sim::{SimDuration, Simulation, TEST_EPOCH};

/// Errors in `sim lb` flags.
#[derive(Debug, thiserror::Error)]
pub enum LbCliError {
    #[error("bad --weights {0:?}: expected comma-separated whole numbers, e.g. 5,1,1")]
    Weights(String),
    #[error("bad IPv4 address {0:?}: expected four dot-separated octets 0-255, e.g. 192.168.1.7")]
    Ip(String),
    #[error("bad --service {0:?}: expected const:MS, exp:MEAN_MS, lognormal:MEDIAN_MS,SIGMA or pareto:MIN_MS,ALPHA")]
    Service(String),
    #[error("bad --down {0:?}: expected comma-separated server indexes below {1}")]
    Down(String, usize),
    #[error("`sim lb picks` cannot list picks for {0}: it needs live connection counts or latencies; use `sim lb run --algorithm {0}`")]
    NeedsLiveState(AlgorithmId),
    #[error("--count {0} is too large; at most 1000000")]
    Count(u64),
    #[error("--load {0} needs a service time with a finite mean, and {1:?} has none; give --rate instead")]
    LoadNeedsMean(f64, Distribution),
    #[error("cannot read --scenario {0}: {1} (expected a readable Scenario JSON file, e.g. one `scenario` object of `sim lb presets --json`)")]
    ScenarioFile(String, std::io::Error),
    #[error("give exactly one of --remove N or --add N")]
    MovedChange,
}

fn parse_weights(s: &str) -> Result<Vec<u32>, LbCliError> {
    let w: Result<Vec<u32>, _> = s.split(',').map(|x| x.trim().parse::<u32>()).collect();
    match w {
        Ok(w) if !w.is_empty() && w.len() <= 10_000 => Ok(w),
        _ => Err(LbCliError::Weights(s.into())),
    }
}

fn parse_ip(s: &str) -> Result<[u8; 4], LbCliError> {
    let parts: Vec<&str> = s.trim().split('.').collect();
    if parts.len() != 4 {
        return Err(LbCliError::Ip(s.into()));
    }
    let mut ip = [0u8; 4];
    for (o, p) in ip.iter_mut().zip(parts) {
        *o = p.parse().map_err(|_| LbCliError::Ip(s.into()))?;
    }
    Ok(ip)
}

fn parse_service(s: &str) -> Result<Distribution, LbCliError> {
    let err = || LbCliError::Service(s.into());
    let (kind, args) = s.split_once(':').ok_or_else(err)?;
    let nums: Vec<f64> =
        args.split(',').map(|x| x.trim().parse::<f64>()).collect::<Result<_, _>>().map_err(|_| err())?;
    if nums.iter().any(|x| !x.is_finite() || *x <= 0.0) {
        return Err(err());
    }
    match (kind, nums.as_slice()) {
        ("const", [ms]) => Ok(Distribution::Constant { ms: *ms }),
        ("exp", [m]) => Ok(Distribution::Exponential { mean_ms: *m }),
        ("lognormal", [med, sigma]) => Ok(Distribution::LogNormal { median_ms: *med, sigma: *sigma }),
        ("pareto", [min, alpha]) => Ok(Distribution::Pareto { min_ms: *min, alpha: *alpha }),
        _ => Err(err()),
    }
}

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub command: LbCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum LbCommand {
    /// Print the chosen server indexes (0-based), one per line, for the deterministic pickers.
    Picks(Box<PicksArgs>),
    /// Run a scenario and print its metrics (with its trace `digest`).
    Run(Box<RunOneArgs>),
    /// Every algorithm on the same seeded workload: p50/p99/drops/fairness as CSV (or JSON).
    Compare(Box<RunArgs>),
    /// The fraction of keys that move when servers leave or join.
    Moved(MovedArgs),
    /// Simulated requests per second of wall time.
    Bench(BenchArgs),
    /// List the presets.
    Presets,
}

#[derive(clap::Args, Debug)]
pub struct PicksArgs {
    #[arg(long)]
    pub algorithm: String,
    #[arg(long, default_value = "1,1,1")]
    pub weights: String,
    #[arg(long, default_value_t = 10)]
    pub count: u64,
    /// Client addresses, used in turn (for the hashing algorithms).
    #[arg(long, default_value = "192.0.2.1")]
    pub client_ip: String,
    /// Request path (for l7-path, with the default empty rule set every path goes to the default pool).
    #[arg(long, default_value = "/api/orders")]
    pub path: String,
    /// Servers marked down, e.g. 1,2.
    #[arg(long)]
    pub down: Option<String>,
    /// smooth-wrr only: also print the weight table after each pick.
    #[arg(long)]
    pub explain: bool,
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Start from a preset (see `sim lb presets`); other flags override it.
    #[arg(long)]
    pub preset: Option<String>,
    /// Start from a scenario JSON file.
    #[arg(long)]
    pub scenario: Option<std::path::PathBuf>,
    #[arg(long)]
    pub algorithm: Option<String>,
    /// Number of identical servers (weights 1) …
    #[arg(long)]
    pub servers: Option<usize>,
    /// … or one weight per server.
    #[arg(long)]
    pub weights: Option<String>,
    #[arg(long)]
    pub concurrency: Option<u32>,
    #[arg(long)]
    pub queue: Option<u32>,
    /// Requests per second of virtual time.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Target utilization instead of --rate (e.g. 0.8).
    #[arg(long)]
    pub load: Option<f64>,
    #[arg(long)]
    pub duration_ms: Option<u64>,
    /// const:MS, exp:MEAN, lognormal:MEDIAN,SIGMA, pareto:MIN,ALPHA
    #[arg(long)]
    pub service: Option<String>,
    #[arg(long)]
    pub clients: Option<u32>,
    #[arg(long)]
    pub nat_clients: Option<u32>,
    /// Turn on active (1 s, fall 3, rise 2) and passive (max_fails 1, 10 s) checks.
    #[arg(long)]
    pub health: bool,
    /// nginx `max_fails` of the passive check (0 = off); overrides --health's 1.
    #[arg(long)]
    pub max_fails: Option<u32>,
    /// nginx `fail_timeout` of the passive check in ms (default 10000).
    #[arg(long)]
    pub fail_timeout_ms: Option<u64>,
    /// Maglev's connection tracking table, in flows (0 = off).
    #[arg(long)]
    pub maglev_tracking: Option<u32>,
    /// Include the per-window series in JSON output.
    #[arg(long)]
    pub windows: bool,
}

/// `sim lb run`: a scenario, and where the run stops (`--until-ms` straight, `--seek-ms` through
/// rewind's snapshots: the same digest) and where its replay file goes.
#[derive(clap::Args, Debug)]
pub struct RunOneArgs {
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub rewind: RewindFlags,
}

#[derive(clap::Args, Debug)]
pub struct MovedArgs {
    /// modulo, ring or maglev
    #[arg(long)]
    pub algorithm: String,
    #[arg(long, default_value_t = 10)]
    pub servers: usize,
    #[arg(long)]
    pub remove: Option<usize>,
    #[arg(long)]
    pub add: Option<usize>,
    #[arg(long, default_value_t = 100_000)]
    pub keys: u64,
}

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    #[arg(long, default_value = "p2c")]
    pub algorithm: String,
    #[arg(long, default_value_t = 100)]
    pub servers: usize,
    /// Approximate number of simulated requests.
    #[arg(long, default_value_t = 2_000_000)]
    pub requests: u64,
}

pub fn run(c: &Common, a: Args) -> CliResult {
    match a.command {
        LbCommand::Picks(p) => picks(c, *p),
        LbCommand::Run(r) => run_one(c, *r),
        LbCommand::Compare(r) => compare(c, *r),
        LbCommand::Moved(m) => moved(c, m),
        LbCommand::Bench(b) => bench(c, b),
        LbCommand::Presets => {
            if c.json {
                return print_json(&presets());
            }
            for p in presets() {
                println!("{:<22} {}", p.id, p.title);
            }
            Ok(())
        }
    }
}

fn picks(c: &Common, p: PicksArgs) -> CliResult {
    let alg: AlgorithmId = p.algorithm.parse()?;
    if p.count > 1_000_000 {
        return Err(LbCliError::Count(p.count).into());
    }
    if !alg.is_deterministic_without_load() && alg != AlgorithmId::Random {
        return Err(LbCliError::NeedsLiveState(alg).into());
    }
    let weights = parse_weights(&p.weights)?;
    let mut views: Vec<ServerView> = weights.iter().map(|w| ServerView::up(*w)).collect();
    if let Some(d) = &p.down {
        for x in d.split(',') {
            let i: usize = x.trim().parse().map_err(|_| LbCliError::Down(d.clone(), views.len()))?;
            let n = views.len();
            views.get_mut(i).ok_or_else(|| LbCliError::Down(d.clone(), n))?.up = false;
        }
    }
    let ips: Vec<[u8; 4]> = p.client_ip.split(',').map(parse_ip).collect::<Result<_, _>>()?;
    let mut out = String::new();
    if alg == AlgorithmId::SmoothWrr && p.explain {
        let mut s = SmoothWrr::new();
        for _ in 0..p.count {
            match s.pick_explained(&views) {
                Some(st) => out.push_str(&format!(
                    "{}  before {:?} total {} after {:?}\n",
                    st.chosen, st.before, st.total, st.after
                )),
                None => out.push_str("none\n"),
            }
        }
        print!("{out}");
        return Ok(());
    }
    let mut b = build_balancer(alg, &BalancerConfig::default(), views.len(), 1, SimRng::new(c.seed).child("balancer"))?;
    let mut chosen = Vec::new();
    for k in 0..p.count {
        let req = Request::from_client(ips[(k % ips.len() as u64) as usize], &p.path);
        match b.pick(&req, &views, SimTime::ZERO) {
            Some(i) => {
                out.push_str(&format!("{i}\n"));
                chosen.push(i);
            }
            None => out.push_str("none\n"),
        }
    }
    if c.json {
        return print_json(&serde_json::json!({ "algorithm": alg, "picks": chosen, "letters": letters(&chosen) }));
    }
    print!("{out}");
    Ok(())
}

fn build_scenario(c: &Common, r: &RunArgs) -> Result<Scenario, Box<dyn std::error::Error>> {
    let mut sc = match (&r.preset, &r.scenario) {
        (Some(p), _) => preset(p)?,
        (None, Some(path)) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| LbCliError::ScenarioFile(path.display().to_string(), e))?;
            Scenario::from_json(&text)?
        }
        (None, None) => Scenario::default(),
    };
    sc.seed = c.seed;
    if let Some(a) = &r.algorithm {
        sc.algorithm = a.parse()?;
    }
    let template = sc.servers.first().cloned().unwrap_or_default();
    if let Some(w) = &r.weights {
        sc.servers = parse_weights(w)?.into_iter().map(|w| ServerConfig { weight: w, ..template.clone() }).collect();
    } else if let Some(n) = r.servers {
        sc.servers = vec![ServerConfig { weight: 1, ..template.clone() }; n];
    }
    for s in &mut sc.servers {
        if let Some(cc) = r.concurrency {
            s.concurrency = cc;
        }
        if let Some(q) = r.queue {
            s.queue_limit = q;
        }
    }
    if let Some(s) = &r.service {
        sc.service = parse_service(s)?;
    }
    if let Some(d) = r.duration_ms {
        sc.duration_ms = d;
    }
    if let Some(n) = r.clients {
        sc.clients.count = n;
    }
    if let Some(n) = r.nat_clients {
        sc.clients.nat_clients = n;
    }
    if let Some(rate) = r.rate {
        sc.arrivals.rate_per_s = rate;
    }
    if let Some(load) = r.load {
        // Scale the rate so offered load equals `load`.
        sc.arrivals.rate_per_s = 1.0;
        let per_unit_rate = sc.offered_load();
        if !(per_unit_rate.is_finite() && per_unit_rate > 0.0) {
            return Err(LbCliError::LoadNeedsMean(load, sc.service.clone()).into());
        }
        sc.arrivals.rate_per_s = load / per_unit_rate;
    }
    if r.health {
        sc.health = HealthConfig::active_and_passive(0);
    }
    if r.max_fails.is_some() || r.fail_timeout_ms.is_some() {
        let max_fails = r.max_fails.unwrap_or(1);
        let fail_timeout_ms = r.fail_timeout_ms.unwrap_or(10_000);
        sc.health.passive = (max_fails > 0).then_some(PassiveCheck { max_fails, fail_timeout_ms });
    }
    if let Some(t) = r.maglev_tracking {
        sc.balancer.maglev_tracking = t;
    }
    sc.validate()?;
    Ok(sc)
}

fn print_summary_text(s: &RunSummary) {
    println!(
        "{} on {} (seed {}): {} arrivals, {} completed, {} dropped, {} errors over {} ms",
        s.algorithm, s.scenario, s.seed, s.arrivals, s.completed, s.drops, s.errors, s.elapsed_ms
    );
    println!(
        "latency ms: p50 {} p95 {} p99 {} p99.9 {} max {}; fairness {} (weighted {})",
        s.latency.p50_ms,
        s.latency.p95_ms,
        s.latency.p99_ms,
        s.latency.p999_ms,
        s.latency.max_ms,
        s.fairness,
        s.weighted_fairness
    );
    println!("server weight requests completed errors drops util  p50  p99");
    for v in &s.servers {
        println!(
            "{:>6} {:>6} {:>8} {:>9} {:>6} {:>5} {:>4.2} {:>4} {:>4}",
            v.index,
            v.weight,
            v.requests,
            v.completed,
            v.errors,
            v.drops,
            v.utilization,
            v.latency.p50_ms,
            v.latency.p99_ms
        );
    }
}

/// What `sim lb run --json` prints: the summary, plus where the run stopped and its trace digest.
#[derive(serde::Serialize)]
struct RunOutput {
    #[serde(flatten)]
    summary: RunSummary,
    events: u64,
    at_ms: u64,
    /// The running trace digest (what `sim replay` and the page's scrubber show for the same moment).
    digest: String,
}

/// Runs `sc` to its end, straight to `--until-ms`, or to its end and back to `--seek-ms` through
/// rewind's snapshots.
fn run_scenario(sc: &Scenario, f: &RewindFlags) -> Result<Simulation<LbModel>, Box<dyn std::error::Error>> {
    let mut sim = LbRun::new(sc)?.into_simulation();
    if let Some(t) = f.seek_ms {
        let mut rw = LbRewind::new(sim);
        rw.seek(Seek::Time(LbModel::default_end_ms(sc).max(t)));
        rw.seek(Seek::Time(t));
        return Ok(rw.sim().clone());
    }
    sim.trace_mut().set_running_digest(true);
    match f.until_ms {
        Some(t) => sim.run_until(TEST_EPOCH + SimDuration(t)),
        None => while sim.step() {},
    }
    Ok(sim)
}

fn run_one(c: &Common, a: RunOneArgs) -> CliResult {
    let sc = build_scenario(c, &a.run)?;
    let sim = run_scenario(&sc, &a.rewind)?;
    let mut summary = sim.model.summary(sim.now());
    if !a.run.windows {
        summary.windows.clear();
    }
    let at = Cursor { events: sim.processed(), at_ms: sim.elapsed().0 };
    if let Some(path) = &a.rewind.replay_out {
        let mut replay = LbReplay::new(LbModel::ID, sc.seed, TEST_EPOCH, sc.clone(), Vec::new());
        replay.cursor = Some(at);
        std::fs::write(path, replay.to_json() + "\n")
            .map_err(|e| format!("cannot write the replay file {}: {e}", path.display()))?;
    }
    let digest = sim.trace().running_digest().unwrap_or_default();
    if c.json {
        return print_json(&RunOutput { summary, events: at.events, at_ms: at.at_ms, digest });
    }
    print_summary_text(&summary);
    println!("{} events to {} ms, digest {digest}", at.events, at.at_ms);
    Ok(())
}

fn compare(c: &Common, r: RunArgs) -> CliResult {
    let sc = build_scenario(c, &r)?;
    let mut cmp = Compare::all(&sc)?;
    let rows = cmp.run_to_end();
    if c.json {
        return print_json(&rows);
    }
    print_csv(
        &["algorithm", "p50_ms", "p99_ms", "p999_ms", "drops", "errors", "completed", "fairness"],
        rows.iter().map(|r| {
            vec![
                r.algorithm.to_string(),
                r.p50_ms.to_string(),
                r.p99_ms.to_string(),
                r.p999_ms.to_string(),
                r.drops.to_string(),
                r.errors.to_string(),
                r.completed.to_string(),
                r.fairness.to_string(),
            ]
        }),
    )
}

fn moved(c: &Common, m: MovedArgs) -> CliResult {
    let scheme: HashScheme = m.algorithm.parse()?;
    let change = match (m.remove, m.add) {
        (Some(k), None) => MembershipChange::Remove(k),
        (None, Some(k)) => MembershipChange::Add(k),
        _ => return Err(LbCliError::MovedChange.into()),
    };
    let f = keys_moved(scheme, m.servers, change, m.keys)?;
    if c.json {
        return print_json(
            &serde_json::json!({ "algorithm": m.algorithm, "servers": m.servers, "change": change, "keys": m.keys, "moved_fraction": f }),
        );
    }
    println!("{f:.4}");
    Ok(())
}

/// CPU time this thread has run, in seconds, from Linux's schedstat (None elsewhere). On a shared
/// machine the wall-clock rate understates the simulator; the CPU-time rate does not.
fn thread_cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

fn bench(c: &Common, b: BenchArgs) -> CliResult {
    let alg: AlgorithmId = b.algorithm.parse()?;
    let mut sc = Scenario {
        name: "bench".into(),
        algorithm: alg,
        seed: c.seed,
        servers: vec![ServerConfig { concurrency: 8, queue_limit: 64, ..ServerConfig::default() }; b.servers],
        service: Distribution::Exponential { mean_ms: 20.0 },
        ..Scenario::default()
    };
    sc.arrivals.rate_per_s = 1.0;
    sc.arrivals.rate_per_s = 0.8 / sc.offered_load();
    sc.duration_ms = ((b.requests as f64 / sc.arrivals.rate_per_s) * 1000.0).ceil().max(1.0) as u64;
    let mut run = LbRun::new(&sc)?;
    let cpu0 = thread_cpu_seconds();
    let t0 = std::time::Instant::now();
    run.run_to_end();
    let wall = t0.elapsed().as_secs_f64();
    let cpu = match (cpu0, thread_cpu_seconds()) {
        (Some(a), Some(b)) if b > a => Some(b - a),
        _ => None,
    };
    let s = run.summary();
    let per_s = s.arrivals as f64 / wall;
    if c.json {
        return print_json(&serde_json::json!({
            "algorithm": alg, "servers": b.servers, "requests": s.arrivals, "events": run.events(),
            "wall_s": wall, "requests_per_s": per_s, "cpu_s": cpu, "requests_per_cpu_s": cpu.map(|c| s.arrivals as f64 / c), "virtual_s": s.elapsed_ms as f64 / 1000.0, "p99_ms": s.latency.p99_ms,
        }));
    }
    println!(
        "{alg} over {} servers at 80% load: {} requests ({} events, {:.1} s virtual) in {:.3} s wall = {:.2} M requests/s",
        b.servers,
        s.arrivals,
        run.events(),
        s.elapsed_ms as f64 / 1000.0,
        wall,
        per_s / 1e6
    );
    if let Some(cpu) = cpu {
        println!("  on-CPU time {:.3} s = {:.2} M requests per CPU-second", cpu, s.arrivals as f64 / cpu / 1e6);
    }
    Ok(())
}
