//! nginx's passive health check, `max_fails` / `fail_timeout`, exactly as
//! `ngx_http_upstream_round_robin.c` keeps it per peer (`fails`, `accessed`, `checked`) and as
//! every nginx balancer (round robin, `least_conn`, `ip_hash`, `hash`, `random`) tests it:
//!
//! - a peer is skipped while `max_fails && fails >= max_fails && now - checked <= fail_timeout`
//!   (`ngx_http_upstream_get_peer` and its siblings);
//! - choosing a peer sets `checked = now` once more than `fail_timeout` has passed since the last
//!   check, so a disabled peer gets exactly one probe request per `fail_timeout`;
//! - a failed request (`ngx_http_upstream_free_round_robin_peer_locked` with `NGX_PEER_FAILED`)
//!   does `fails++; accessed = checked = now`; a successful one resets `fails` only if a check
//!   happened since the last failure (`accessed < checked`);
//! - with a single peer (`peers->single`) none of this applies: it is always tried and its
//!   failures are forgotten.
//!
//! `max_fails = 0` turns the check off (and, in `smooth_wrr`, the effective-weight penalty).
//! nginx's clock ticks in whole seconds (`ngx_time()`); the model makes the same comparisons on
//! its millisecond clock. Pure: time is passed in.

use crate::sim::{SimDuration, SimTime};

/// The configured `max_fails` and `fail_timeout` of the upstream's servers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxFails {
    /// 0 disables the check.
    pub max_fails: u32,
    pub fail_timeout: SimDuration,
}

impl MaxFails {
    /// No passive check (`max_fails=0`).
    pub const OFF: MaxFails = MaxFails { max_fails: 0, fail_timeout: SimDuration::ZERO };
}

/// One peer's failure bookkeeping (`ngx_http_upstream_rr_peer_t`'s `fails`, `accessed`, `checked`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PeerFails {
    pub fails: u32,
    /// When the last failure happened.
    pub accessed: SimTime,
    /// When the peer was last failed or probed after a `fail_timeout`.
    pub checked: SimTime,
}

impl PeerFails {
    /// The test every nginx balancer makes before choosing the peer: true while it is skipped.
    pub fn skipped(&self, cfg: MaxFails, now: SimTime) -> bool {
        cfg.max_fails > 0 && self.fails >= cfg.max_fails && now - self.checked <= cfg.fail_timeout
    }

    /// When a skipped peer may be chosen again: the first instant at which
    /// `now - checked > fail_timeout` (`None` when it is not skipped at `now`).
    pub fn skipped_until(&self, cfg: MaxFails, now: SimTime) -> Option<SimTime> {
        self.skipped(cfg, now).then(|| self.checked + cfg.fail_timeout + SimDuration::from_millis(1))
    }

    /// The tail of every `get_peer`: the chosen peer is "checked" once `fail_timeout` has passed.
    pub fn picked(&mut self, cfg: MaxFails, now: SimTime) {
        if now - self.checked > cfg.fail_timeout {
            self.checked = now;
        }
    }

    /// `free_peer` with `NGX_PEER_FAILED`.
    pub fn failed(&mut self, now: SimTime) {
        self.fails = self.fails.saturating_add(1);
        self.accessed = now;
        self.checked = now;
    }

    /// `free_peer` without `NGX_PEER_FAILED`: the peer is live again if it was checked since it
    /// last failed.
    pub fn succeeded(&mut self) {
        if self.accessed < self.checked {
            self.fails = 0;
        }
    }

    /// `free_peer` of a single-peer upstream: whatever happened, the failures are forgotten.
    pub fn single(&mut self) {
        self.fails = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> SimTime {
        SimTime::from_unix_ms(1_700_000_000_000 + ms)
    }

    /// `ngx_http_upstream_get_peer` + `ngx_http_upstream_free_round_robin_peer_locked`: with
    /// max_fails=2, fail_timeout=10 s, two failures disable the peer for 10 s; then exactly one
    /// probe is let through; a failed probe disables it for another 10 s, a successful one
    /// (`accessed < checked`) resets `fails`.
    #[test]
    fn nginx_round_robin_max_fails_fail_timeout() {
        let cfg = MaxFails { max_fails: 2, fail_timeout: SimDuration::from_secs(10) };
        let mut p = PeerFails::default();
        p.picked(cfg, at(0));
        p.failed(at(100));
        assert!(!p.skipped(cfg, at(100)), "one failure of two");
        p.succeeded();
        assert_eq!(p.fails, 1, "a success without a check since the failure keeps the count");
        p.failed(at(200));
        assert!(p.skipped(cfg, at(200)));
        assert!(p.skipped(cfg, at(10_200)), "now - checked <= fail_timeout still skips");
        assert_eq!(p.skipped_until(cfg, at(5_000)), Some(at(10_201)));
        assert!(!p.skipped(cfg, at(10_201)));
        // The probe: choosing it re-arms the timeout, so nothing else gets through meanwhile.
        p.picked(cfg, at(10_201));
        assert!(p.skipped(cfg, at(10_202)));
        // A failed probe: skipped for another fail_timeout from the failure.
        p.failed(at(10_300));
        assert_eq!(p.fails, 3);
        assert_eq!(p.skipped_until(cfg, at(10_300)), Some(at(20_301)));
        // A successful probe after that: live again.
        p.picked(cfg, at(20_301));
        p.succeeded();
        assert_eq!(p.fails, 0);
        assert!(!p.skipped(cfg, at(20_302)));
    }

    #[test]
    fn max_fails_zero_never_skips_and_single_peers_forget() {
        let mut p = PeerFails::default();
        for t in 0..100 {
            p.failed(at(t));
        }
        assert!(!p.skipped(MaxFails::OFF, at(100)));
        assert!(p.skipped(MaxFails { max_fails: 1, fail_timeout: SimDuration::from_secs(1) }, at(100)));
        p.single();
        assert_eq!(p.fails, 0);
    }
}
