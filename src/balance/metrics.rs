//! Run metrics: HDR histograms of latency overall, per server and per time window, plus counters
//! (requests, drops, errors), utilization and fairness. Everything a summary prints is derived
//! from integer counts, so two runs from one seed print identical numbers.

use crate::sim::{SimDuration, SimTime};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Fleets up to this size also get per-server latency percentiles in every window (the page
/// draws at most a few dozen servers; a 10,000-server fleet would need 150 MB of histograms).
pub const PER_SERVER_WINDOW_LIMIT: usize = 64;

/// Latencies are recorded in whole milliseconds up to an hour.
const MAX_LATENCY_MS: u64 = 3_600_000;

fn histogram(sigfig: u8) -> Histogram<u64> {
    // The bounds are constants that hdrhistogram accepts; failing here would be a programming error.
    Histogram::new_with_bounds(1, MAX_LATENCY_MS, sigfig).expect("constant histogram bounds are valid")
}

/// Percentiles of one histogram, in ms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    pub p50_ms: u64,
    pub p95_ms: u64,
    pub p99_ms: u64,
    pub p999_ms: u64,
    pub max_ms: u64,
    pub mean_ms: f64,
}

impl Percentiles {
    fn of(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Percentiles::default();
        }
        Percentiles {
            p50_ms: h.value_at_quantile(0.50),
            p95_ms: h.value_at_quantile(0.95),
            p99_ms: h.value_at_quantile(0.99),
            p999_ms: h.value_at_quantile(0.999),
            max_ms: h.max(),
            // Rounded to µs so the JSON is stable and short.
            mean_ms: (h.mean() * 1000.0).round() / 1000.0,
        }
    }
}

/// One server's counters.
#[derive(Clone, Debug)]
pub struct ServerMetrics {
    pub latency: Histogram<u64>,
    /// Requests the balancer sent here.
    pub requests: u64,
    pub completed: u64,
    /// Requests that failed here (sent while it was down, or lost when it crashed).
    pub errors: u64,
    /// Requests turned away because the queue was full.
    pub drops: u64,
    /// ∫ busy slots dt, in slot-milliseconds.
    busy_slot_ms: u128,
    busy: u32,
    last_change: SimTime,
}

impl ServerMetrics {
    fn new(now: SimTime) -> Self {
        ServerMetrics {
            latency: histogram(2),
            requests: 0,
            completed: 0,
            errors: 0,
            drops: 0,
            busy_slot_ms: 0,
            busy: 0,
            last_change: now,
        }
    }

    /// Records that the number of busy slots is now `busy` (for utilization).
    pub fn set_busy(&mut self, busy: u32, now: SimTime) {
        let dt = (now - self.last_change).as_millis();
        self.busy_slot_ms += u128::from(self.busy) * u128::from(dt);
        self.busy = busy;
        self.last_change = now;
    }

    /// Fraction of `concurrency` slots busy since `start`.
    pub fn utilization(&self, concurrency: u32, start: SimTime, now: SimTime) -> f64 {
        let span = (now - start).as_millis();
        if span == 0 || concurrency == 0 {
            return 0.0;
        }
        let open = u128::from(self.busy) * u128::from((now - self.last_change).as_millis());
        (self.busy_slot_ms + open) as f64 / (f64::from(concurrency) * span as f64)
    }
}

/// One closed window of the over-time series.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowSummary {
    /// Window start and end, ms since the run started.
    pub start_ms: u64,
    pub end_ms: u64,
    pub arrivals: u64,
    pub completed: u64,
    pub drops: u64,
    pub errors: u64,
    pub latency: Percentiles,
    /// Completions per server in this window.
    pub per_server_completed: Vec<u64>,
    /// p99 per server in this window (ms; 0 without completions). Empty for fleets larger than
    /// [`PER_SERVER_WINDOW_LIMIT`].
    pub per_server_p99_ms: Vec<u64>,
}

/// Everything the model counts.
#[derive(Clone, Debug)]
pub struct Metrics {
    pub start: SimTime,
    pub latency: Histogram<u64>,
    pub servers: Vec<ServerMetrics>,
    pub arrivals: u64,
    /// Requests for which the balancer had no eligible server.
    pub no_server: u64,
    /// The closed windows, oldest first: all of them, or the last [`Metrics::keep_windows`] ones.
    pub windows: Vec<WindowSummary>,
    /// Closed windows no longer kept (the oldest, once more than the limit closed).
    pub windows_dropped: u64,
    /// At most this many closed windows are kept (`None`: all, as the CLI prints them).
    windows_limit: Option<usize>,
    window: Histogram<u64>,
    window_start: SimTime,
    window_counts: [u64; 4],
    window_per_server: Vec<u64>,
    /// Per-server histograms of the open window (only for small fleets).
    window_server_latency: Vec<Histogram<u64>>,
}

impl Metrics {
    pub fn new(servers: usize, start: SimTime) -> Self {
        Metrics {
            start,
            latency: histogram(3),
            servers: (0..servers).map(|_| ServerMetrics::new(start)).collect(),
            arrivals: 0,
            no_server: 0,
            windows: Vec::new(),
            windows_dropped: 0,
            windows_limit: None,
            window: histogram(2),
            window_start: start,
            window_counts: [0; 4],
            window_per_server: vec![0; servers],
            window_server_latency: if servers <= PER_SERVER_WINDOW_LIMIT {
                (0..servers).map(|_| histogram(2)).collect()
            } else {
                Vec::new()
            },
        }
    }

    /// Roughly the heap bytes these counters hold: every histogram's count array (the bulk: one
    /// `u64` per value it can tell apart), the kept windows with their per-server columns, and the
    /// per-server tables. What a rewind snapshot of them costs.
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let hist = |h: &Histogram<u64>| size_of::<Histogram<u64>>() + h.distinct_values() * size_of::<u64>();
        let servers: usize = self.servers.iter().map(|s| size_of::<ServerMetrics>() + hist(&s.latency)).sum();
        let windows: usize = self
            .windows
            .iter()
            .map(|w| {
                size_of::<WindowSummary>()
                    + (w.per_server_completed.len() + w.per_server_p99_ms.len()) * size_of::<u64>()
            })
            .sum();
        let open: usize = self.window_server_latency.iter().map(hist).sum();
        hist(&self.latency)
            + hist(&self.window)
            + servers
            + windows
            + open
            + self.window_per_server.len() * size_of::<u64>()
    }

    pub fn add_server(&mut self, now: SimTime) {
        self.servers.push(ServerMetrics::new(now));
        self.window_per_server.push(0);
        if self.window_per_server.len() <= PER_SERVER_WINDOW_LIMIT
            && self.window_server_latency.len() + 1 == self.window_per_server.len()
        {
            self.window_server_latency.push(histogram(2));
        } else {
            self.window_server_latency.clear();
        }
    }

    pub fn arrival(&mut self) {
        self.arrivals += 1;
        self.window_counts[0] += 1;
    }

    pub fn completed(&mut self, server: usize, latency: SimDuration) {
        let ms = latency.as_millis().min(MAX_LATENCY_MS);
        self.latency.saturating_record(ms);
        self.window.saturating_record(ms);
        let s = &mut self.servers[server];
        s.latency.saturating_record(ms);
        s.completed += 1;
        self.window_counts[1] += 1;
        self.window_per_server[server] += 1;
        if let Some(h) = self.window_server_latency.get_mut(server) {
            h.saturating_record(ms);
        }
    }

    pub fn dropped(&mut self, server: usize) {
        self.servers[server].drops += 1;
        self.window_counts[2] += 1;
    }

    pub fn failed(&mut self, server: usize, count: u64) {
        self.servers[server].errors += count;
        self.window_counts[3] += count;
    }

    pub fn no_server(&mut self) {
        self.no_server += 1;
        self.window_counts[3] += 1;
    }

    /// Keeps only the last `n` closed windows from now on (a live page's bounded history; the
    /// older ones are counted in `windows_dropped`).
    pub fn keep_windows(&mut self, n: usize) {
        self.windows_limit = Some(n);
        self.trim_windows();
    }

    fn trim_windows(&mut self) {
        if let Some(n) = self.windows_limit {
            let excess = self.windows.len().saturating_sub(n);
            if excess > 0 {
                self.windows.drain(..excess);
                self.windows_dropped = self.windows_dropped.saturating_add(excess as u64);
            }
        }
    }

    /// Closes the current window at `now` and starts the next one.
    pub fn close_window(&mut self, now: SimTime) {
        let n = self.window_per_server.len();
        self.windows.push(WindowSummary {
            start_ms: (self.window_start - self.start).as_millis(),
            end_ms: (now - self.start).as_millis(),
            arrivals: self.window_counts[0],
            completed: self.window_counts[1],
            drops: self.window_counts[2],
            errors: self.window_counts[3],
            latency: Percentiles::of(&self.window),
            per_server_completed: std::mem::replace(&mut self.window_per_server, vec![0; n]),
            per_server_p99_ms: self
                .window_server_latency
                .iter()
                .map(|h| if h.is_empty() { 0 } else { h.value_at_quantile(0.99) })
                .collect(),
        });
        self.window_server_latency.iter_mut().for_each(|h| h.reset());
        self.window.reset();
        self.window_counts = [0; 4];
        self.window_start = now;
        self.trim_windows();
    }

    pub fn drops(&self) -> u64 {
        self.servers.iter().map(|s| s.drops).sum()
    }

    /// Errors: failures at servers plus requests no server could take.
    pub fn errors(&self) -> u64 {
        self.servers.iter().map(|s| s.errors).sum::<u64>() + self.no_server
    }
}

/// Max over mean of `loads` (1.0 = perfectly even); 0 when there is no load at all.
pub fn fairness(loads: impl Iterator<Item = f64>) -> f64 {
    let v: Vec<f64> = loads.collect();
    let sum: f64 = v.iter().sum();
    if v.is_empty() || sum <= 0.0 {
        return 0.0;
    }
    let max = v.iter().cloned().fold(f64::MIN, f64::max);
    round3(max / (sum / v.len() as f64))
}

pub(crate) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// One server in a run summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServerSummary {
    pub index: usize,
    pub weight: u32,
    pub requests: u64,
    pub completed: u64,
    pub errors: u64,
    pub drops: u64,
    pub utilization: f64,
    pub latency: Percentiles,
}

/// The printable result of a run (`sim lb run --json`, the compare table, the page's summary).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub scenario: String,
    pub algorithm: String,
    pub seed: u64,
    /// Virtual time covered, ms.
    pub elapsed_ms: u64,
    pub arrivals: u64,
    pub completed: u64,
    pub drops: u64,
    pub errors: u64,
    pub no_server: u64,
    pub latency: Percentiles,
    /// Max/mean of requests per server (1.0 = even).
    pub fairness: f64,
    /// Max/mean of requests per unit of weight (1.0 = exactly as weighted).
    pub weighted_fairness: f64,
    pub servers: Vec<ServerSummary>,
    pub windows: Vec<WindowSummary>,
}

impl Metrics {
    /// Summarises at `now`; `weights` and `concurrency` per server as configured.
    pub fn summary(
        &self,
        scenario: &str,
        algorithm: &str,
        seed: u64,
        weights: &[u32],
        concurrency: &[u32],
        now: SimTime,
    ) -> RunSummary {
        let servers: Vec<ServerSummary> = self
            .servers
            .iter()
            .enumerate()
            .map(|(i, s)| ServerSummary {
                index: i,
                weight: weights[i],
                requests: s.requests,
                completed: s.completed,
                errors: s.errors,
                drops: s.drops,
                utilization: round3(s.utilization(concurrency[i], self.start, now)),
                latency: Percentiles::of(&s.latency),
            })
            .collect();
        RunSummary {
            scenario: scenario.to_string(),
            algorithm: algorithm.to_string(),
            seed,
            elapsed_ms: (now - self.start).as_millis(),
            arrivals: self.arrivals,
            completed: self.servers.iter().map(|s| s.completed).sum(),
            drops: self.drops(),
            errors: self.errors(),
            no_server: self.no_server,
            latency: Percentiles::of(&self.latency),
            fairness: fairness(servers.iter().map(|s| s.requests as f64)),
            weighted_fairness: fairness(
                servers.iter().filter(|s| s.weight > 0).map(|s| s.requests as f64 / f64::from(s.weight)),
            ),
            servers,
            windows: self.windows.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fairness_is_max_over_mean() {
        assert_eq!(fairness([1.0, 1.0, 1.0].into_iter()), 1.0);
        assert_eq!(fairness([3.0, 1.0, 2.0].into_iter()), 1.5);
        assert_eq!(fairness(std::iter::empty()), 0.0);
    }

    #[test]
    fn utilization_integrates_busy_slots() {
        let mut s = ServerMetrics::new(SimTime(0));
        s.set_busy(2, SimTime(0));
        s.set_busy(0, SimTime(500));
        // 2 of 4 slots for half of one second.
        assert!((s.utilization(4, SimTime(0), SimTime(1000)) - 0.25).abs() < 1e-12);
    }

    #[test]
    fn a_window_limit_keeps_the_latest_and_counts_the_rest() {
        let mut m = Metrics::new(2, SimTime::ZERO);
        for i in 1..=5u64 {
            m.arrival();
            m.close_window(SimTime(i * 1000));
        }
        assert_eq!((m.windows.len(), m.windows_dropped), (5, 0));
        m.keep_windows(3);
        assert_eq!(m.windows.iter().map(|w| w.end_ms).collect::<Vec<_>>(), vec![3000, 4000, 5000]);
        for i in 6..=1000u64 {
            m.close_window(SimTime(i * 1000));
        }
        assert_eq!(m.windows.iter().map(|w| w.end_ms).collect::<Vec<_>>(), vec![998_000, 999_000, 1_000_000]);
        assert_eq!(m.windows_dropped, 997);
        assert_eq!(m.arrivals, 5);
    }

    #[test]
    fn windows_close_with_their_counts() {
        let mut m = Metrics::new(2, SimTime(0));
        m.arrival();
        m.completed(1, SimDuration(12));
        m.dropped(0);
        m.close_window(SimTime(1000));
        m.arrival();
        m.close_window(SimTime(2000));
        assert_eq!(m.windows.len(), 2);
        assert_eq!((m.windows[0].arrivals, m.windows[0].completed, m.windows[0].drops), (1, 1, 1));
        assert_eq!(m.windows[0].per_server_completed, vec![0, 1]);
        assert_eq!(m.windows[0].per_server_p99_ms, vec![0, 12]);
        assert_eq!(m.windows[1].per_server_p99_ms, vec![0, 0]);
        assert!(Metrics::new(PER_SERVER_WINDOW_LIMIT + 1, SimTime(0)).window_server_latency.is_empty());
        assert_eq!(m.windows[0].latency.p99_ms, 12);
        assert_eq!((m.windows[1].start_ms, m.windows[1].completed), (1000, 0));
    }
}
