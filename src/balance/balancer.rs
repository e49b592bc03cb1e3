//! The one trait every load-balancing algorithm implements, and the two things it looks at: the
//! request (who sent it, on which connection, for which path) and a read-only view of the servers.
//!
//! A balancer only chooses. It never starts work, never reads a clock of its own (the model passes
//! `now`) and never draws randomness except from the `SimRng` it was built with.

use crate::sim::{SimDuration, SimTime};
use serde::{Deserialize, Serialize};

use super::AlgorithmId;

/// What a balancer may know about one incoming request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request<'a> {
    /// The client's IPv4 address as the balancer sees it (after any NAT).
    pub client_ip: [u8; 4],
    pub client_port: u16,
    /// The balancer's own address, the fourth element of the 5-tuple.
    pub dst_ip: [u8; 4],
    pub dst_port: u16,
    /// IP protocol number (6 = TCP).
    pub protocol: u8,
    pub path: &'a str,
}

impl<'a> Request<'a> {
    /// A TCP request from `client_ip` for `path` on port 80 (handy in tests and the CLI).
    pub fn from_client(client_ip: [u8; 4], path: &'a str) -> Self {
        Request { client_ip, client_port: 40_000, dst_ip: [10, 0, 0, 1], dst_port: 80, protocol: 6, path }
    }

    /// The 5-tuple as 13 bytes in network order: src ip, src port, dst ip, dst port, protocol.
    pub fn five_tuple_bytes(&self) -> [u8; 13] {
        let mut b = [0u8; 13];
        b[0..4].copy_from_slice(&self.client_ip);
        b[4..6].copy_from_slice(&self.client_port.to_be_bytes());
        b[6..10].copy_from_slice(&self.dst_ip);
        b[10..12].copy_from_slice(&self.dst_port.to_be_bytes());
        b[12] = self.protocol;
        b
    }
}

/// The balancer's view of one server: what its health checks and its own bookkeeping tell it, which
/// is not necessarily the truth (a crashed server looks `up` until a check notices).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServerView {
    /// Believed healthy: not marked down by active or passive health checks.
    pub up: bool,
    /// Requests sent to this server and not yet answered (in service or queued there).
    pub active: u32,
    /// Current weight (already reduced during slow start); 0 means "send nothing".
    pub weight: u32,
    /// A plain moving average of observed response times in ms (0 before the first answer).
    pub rtt_ms: f64,
}

impl ServerView {
    pub fn up(weight: u32) -> Self {
        ServerView { up: true, active: 0, weight, rtt_ms: 0.0 }
    }
}

/// One load-balancing algorithm. Every balancer is `Clone` (a rewind snapshot copies the model and
/// its balancer's memory with it); [`BalancerClone`] makes that possible behind `Box<dyn Balancer>`.
pub trait Balancer: BalancerClone {
    fn algorithm(&self) -> AlgorithmId;

    /// Chooses a server index for `req`, or `None` when no server is eligible (all down, all
    /// weights zero, or an L7 rule whose pool is empty of healthy servers).
    fn pick(&mut self, req: &Request<'_>, servers: &[ServerView], now: SimTime) -> Option<usize>;

    /// A response from `server` took `rtt` (latency-aware algorithms learn from this).
    fn observe(&mut self, _server: usize, _rtt: SimDuration, _now: SimTime) {}

    /// A request to `server` failed (nginx lowers the peer's effective weight).
    fn report_failure(&mut self, _server: usize) {}

    /// `server`'s configured weight was changed at runtime to `weight` (the page's weight action).
    /// nginx gives a peer whose weight changed fresh round-robin state: `weight` and
    /// `effective_weight` the new weight, `current_weight` 0 (`ngx_http_upstream_zone_module.c`
    /// replaces a re-resolved peer whose weight differs by a new one). Balancers that rebuild a
    /// table from the weights they are shown (ring, Maglev) need nothing here.
    fn weight_changed(&mut self, _server: usize, _weight: u32) {}

    /// What the balancer remembers right now, as named numbers a view can draw without knowing
    /// the algorithm (weight tables, latency estimates, table sizes). Empty for the stateless ones.
    fn snapshot(&self) -> BalancerSnapshot {
        BalancerSnapshot::default()
    }
}

/// Clones a boxed balancer (implemented for every `Balancer + Clone`).
pub trait BalancerClone {
    fn clone_box(&self) -> Box<dyn Balancer>;
}

impl<T: Balancer + Clone + 'static> BalancerClone for T {
    fn clone_box(&self) -> Box<dyn Balancer> {
        Box::new(self.clone())
    }
}

impl Clone for Box<dyn Balancer> {
    fn clone(&self) -> Self {
        self.as_ref().clone_box()
    }
}

/// A balancer's memory in a generic shape: per-server values under named columns, plus values for
/// the balancer as a whole. The core fills it; the page decides how to draw it.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct BalancerSnapshot {
    /// What each per-server value is ("effective weight", "RTT estimate (ms)"), in row order.
    pub columns: Vec<&'static str>,
    /// One row per server the balancer knows of, values in `columns` order.
    pub rows: Vec<Vec<f64>>,
    /// Values about the balancer as a whole ("table slots", "tracked flows").
    pub totals: Vec<(&'static str, f64)>,
}

impl BalancerSnapshot {
    /// A snapshot of one balancer-wide value.
    pub fn total(name: &'static str, value: f64) -> Self {
        BalancerSnapshot { totals: vec![(name, value)], ..BalancerSnapshot::default() }
    }

    /// Server `i`'s values with their names (empty when the balancer keeps nothing per server).
    pub fn server(&self, i: usize) -> Vec<(&'static str, f64)> {
        self.rows.get(i).map(|r| self.columns.iter().copied().zip(r.iter().copied()).collect()).unwrap_or_default()
    }
}

/// Indexes of servers that are up and have a positive weight.
pub(crate) fn eligible(servers: &[ServerView]) -> impl Iterator<Item = usize> + '_ {
    servers.iter().enumerate().filter(|(_, s)| s.up && s.weight > 0).map(|(i, _)| i)
}
