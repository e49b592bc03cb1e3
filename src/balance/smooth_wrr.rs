//! nginx's smooth weighted round robin (`ngx_http_upstream_get_peer` in
//! `ngx_http_upstream_round_robin.c`), exactly: on every pick each healthy peer adds its effective
//! weight to its current weight, the peer with the largest current weight wins (the first one on
//! ties), and the total of effective weights is subtracted from the winner. A failed request lowers
//! its peer's effective weight by `weight / max_fails` (integer division, never below 0;
//! `ngx_http_upstream_free_round_robin_peer_locked`), and each later pick that considers the peer
//! raises it by one until it is back at `weight`. `max_fails = 0` turns the penalty off, and a
//! single-peer upstream (`peers->single`) never has one. The skipping of failed peers
//! (`fails >= max_fails` within `fail_timeout`) is [`super::passive`], which the model applies to
//! what every balancer sees.

use super::balancer::{Balancer, BalancerSnapshot, Request, ServerView};
use super::AlgorithmId;
use crate::sim::SimTime;
use serde::{Deserialize, Serialize};

/// One peer's row of the weight table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrrPeer {
    pub weight: i64,
    pub effective_weight: i64,
    pub current_weight: i64,
}

/// One pick, explained: the current weights after adding effective weights, the winner, the total
/// subtracted from it, and the current weights afterwards (the table the page draws).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrrStep {
    pub before: Vec<i64>,
    pub chosen: usize,
    pub total: i64,
    pub after: Vec<i64>,
}

#[derive(Clone, Debug)]
pub struct SmoothWrr {
    peers: Vec<WrrPeer>,
    /// nginx's `max_fails` (its default is 1): sizes the effective-weight penalty of a failure;
    /// 0 means no penalty.
    max_fails: u32,
}

impl Default for SmoothWrr {
    fn default() -> Self {
        SmoothWrr::new()
    }
}

impl SmoothWrr {
    /// nginx's defaults: `max_fails=1`.
    pub fn new() -> Self {
        SmoothWrr { peers: Vec::new(), max_fails: 1 }
    }

    /// With the upstream's configured `max_fails` (0 = no effective-weight penalty).
    pub fn with_max_fails(max_fails: u32) -> Self {
        SmoothWrr { peers: Vec::new(), max_fails }
    }

    /// A balancer already sized for `weights` (for the CLI and tests).
    pub fn with_weights(weights: &[u32]) -> Self {
        let mut s = SmoothWrr::new();
        s.sync(&weights.iter().map(|w| ServerView::up(*w)).collect::<Vec<_>>());
        s
    }

    /// The weight table as it stands.
    pub fn table(&self) -> &[WrrPeer] {
        &self.peers
    }

    /// Follows the servers' configured weights: new servers join with current weight 0, a changed
    /// weight resets the effective weight to it (as an nginx reload would).
    pub(crate) fn sync(&mut self, servers: &[ServerView]) {
        self.peers.resize(servers.len(), WrrPeer::default());
        for (p, s) in self.peers.iter_mut().zip(servers) {
            let w = i64::from(s.weight);
            if p.weight != w {
                p.weight = w;
                p.effective_weight = w;
            }
        }
    }

    /// The heart of nginx's algorithm over the peers for which `eligible(i)` holds (also what
    /// `hash … consistent` runs among the peers of one ring point).
    pub(crate) fn pick_among(&mut self, eligible: impl Fn(usize) -> bool) -> Option<(usize, i64)> {
        let mut best: Option<usize> = None;
        let mut total: i64 = 0;
        for i in 0..self.peers.len() {
            if !eligible(i) || self.peers[i].weight <= 0 {
                continue;
            }
            let p = &mut self.peers[i];
            p.current_weight = p.current_weight.saturating_add(p.effective_weight);
            total = total.saturating_add(p.effective_weight);
            if p.effective_weight < p.weight {
                p.effective_weight += 1;
            }
            if best.is_none_or(|b| self.peers[i].current_weight > self.peers[b].current_weight) {
                best = Some(i);
            }
        }
        let b = best?;
        self.peers[b].current_weight = self.peers[b].current_weight.saturating_sub(total);
        Some((b, total))
    }

    /// A pick that also returns the weight table before and after (for the page and the CLI).
    pub fn pick_explained(&mut self, servers: &[ServerView]) -> Option<WrrStep> {
        self.sync(servers);
        let (chosen, total) = self.pick_among(|i| servers[i].up)?;
        // Every eligible peer already had its effective weight added; only the winner then lost the total.
        let mut before: Vec<i64> = self.peers.iter().map(|p| p.current_weight).collect();
        before[chosen] = before[chosen].saturating_add(total);
        let after = self.peers.iter().map(|p| p.current_weight).collect();
        Some(WrrStep { before, chosen, total, after })
    }

    pub(crate) fn pick_views(&mut self, servers: &[ServerView]) -> Option<usize> {
        self.sync(servers);
        self.pick_among(|i| servers[i].up).map(|(b, _)| b)
    }
}

impl Balancer for SmoothWrr {
    fn algorithm(&self) -> AlgorithmId {
        AlgorithmId::SmoothWrr
    }

    fn pick(&mut self, _req: &Request<'_>, servers: &[ServerView], _now: SimTime) -> Option<usize> {
        self.pick_views(servers)
    }

    fn report_failure(&mut self, server: usize) {
        self.penalize(server);
    }

    fn weight_changed(&mut self, server: usize, weight: u32) {
        self.reset_peer(server, weight);
    }

    fn snapshot(&self) -> BalancerSnapshot {
        self.table_snapshot()
    }
}

impl SmoothWrr {
    /// A failed request to `server`: `effective_weight -= weight / max_fails`, floored at 0, unless
    /// `max_fails` is 0 or the upstream has a single peer.
    /// A runtime weight change: the peer starts afresh as nginx's new peer does (weight and
    /// effective weight the new weight, current weight 0); the other peers keep their state.
    pub fn reset_peer(&mut self, server: usize, weight: u32) {
        if server >= self.peers.len() {
            self.peers.resize(server + 1, WrrPeer::default());
        }
        let w = i64::from(weight);
        self.peers[server] = WrrPeer { weight: w, effective_weight: w, current_weight: 0 };
    }

    pub fn penalize(&mut self, server: usize) {
        if self.max_fails == 0 || self.peers.len() == 1 {
            return;
        }
        let max_fails = i64::from(self.max_fails);
        if let Some(p) = self.peers.get_mut(server) {
            p.effective_weight = (p.effective_weight - p.weight / max_fails).max(0);
        }
    }

    /// The weight table as named columns, for any view.
    pub fn table_snapshot(&self) -> BalancerSnapshot {
        BalancerSnapshot {
            columns: vec!["weight", "effective weight", "current weight"],
            rows: self
                .peers
                .iter()
                .map(|p| vec![p.weight as f64, p.effective_weight as f64, p.current_weight as f64])
                .collect(),
            totals: Vec::new(),
        }
    }
}

/// Letters for servers in sequences: 0 → a, 1 → b …
pub fn letters(picks: &[usize]) -> String {
    picks.iter().map(|i| char::from(b'a' + (*i % 26) as u8).to_string()).collect::<Vec<_>>().join(" ")
}

/// The length of one period of smooth WRR over `weights`: the sum of the weights divided by their
/// greatest common divisor.
pub fn period(weights: &[u32]) -> u64 {
    fn gcd(a: u64, b: u64) -> u64 {
        if b == 0 {
            a
        } else {
            gcd(b, a % b)
        }
    }
    let g = weights.iter().fold(0u64, |g, w| gcd(g, u64::from(*w)));
    if g == 0 {
        return 0;
    }
    weights.iter().fold(0u64, |a, w| a.saturating_add(u64::from(*w))) / g
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    fn seq(weights: &[u32], n: usize) -> String {
        let mut s = SmoothWrr::with_weights(weights);
        let views: Vec<_> = weights.iter().map(|w| ServerView::up(*w)).collect();
        let picks: Vec<usize> = (0..n).map(|_| s.pick_views(&views).unwrap()).collect();
        letters(&picks)
    }

    /// nginx's runtime weight change (the zone module replaces a peer whose re-resolved weight
    /// differs by a new one: `weight = effective_weight =` the new weight, `current_weight = 0`):
    /// the changed peer forgets its place in the rotation and any failure penalty; the others keep
    /// theirs.
    #[test]
    fn a_mid_run_weight_change_gives_the_peer_fresh_state_as_nginx_does() {
        let mut s = SmoothWrr::with_weights(&[1, 1]);
        let mut views = vec![ServerView::up(1), ServerView::up(1)];
        let first: Vec<usize> = (0..3).map(|_| s.pick_views(&views).unwrap()).collect();
        assert_eq!(letters(&first), "a b a");
        s.penalize(0);
        assert_eq!(s.table()[0], WrrPeer { weight: 1, effective_weight: 0, current_weight: -1 });
        s.weight_changed(0, 3);
        views[0].weight = 3;
        assert_eq!(s.table()[0], WrrPeer { weight: 3, effective_weight: 3, current_weight: 0 });
        assert_eq!(s.table()[1], WrrPeer { weight: 1, effective_weight: 1, current_weight: 1 });
        let after: Vec<usize> = (0..8).map(|_| s.pick_views(&views).unwrap()).collect();
        // From (0, 1): a b a a | a b a a — the 3:1 period, started afresh for server a.
        assert_eq!(letters(&after), "a b a a a b a a");
        // A whole period later the table is back where the change left it.
        assert_eq!(s.table()[0].current_weight, 0);
        assert_eq!(s.table()[1].current_weight, 1);
    }

    #[test]
    fn nginx_sequences() {
        expect![[r#"a a b a c a a"#]].assert_eq(&seq(&[5, 1, 1], 7));
        expect![[r#"b a b c a b"#]].assert_eq(&seq(&[2, 3, 1], 6));
        expect![[r#"a b a b"#]].assert_eq(&seq(&[5, 5], 4));
        expect![[r#"a b c d a b c d"#]].assert_eq(&seq(&[1, 1, 1, 1], 8));
        expect![[r#"a b a c a b a"#]].assert_eq(&seq(&[4, 2, 1], 7));
    }

    #[test]
    fn explained_pick_shows_the_table() {
        let mut s = SmoothWrr::with_weights(&[5, 1, 1]);
        let v = vec![ServerView::up(5), ServerView::up(1), ServerView::up(1)];
        let steps: Vec<String> = (0..3)
            .map(|_| {
                let st = s.pick_explained(&v).unwrap();
                format!("{:?} -> {} -{} -> {:?}", st.before, st.chosen, st.total, st.after)
            })
            .collect();
        expect![[r#"
            [5, 1, 1] -> 0 -7 -> [-2, 1, 1]
            [3, 2, 2] -> 0 -7 -> [-4, 2, 2]
            [1, 3, 3] -> 1 -7 -> [1, -4, 3]"#]]
        .assert_eq(&steps.join("\n"));
    }

    fn wrr(weights: &[u32], max_fails: u32) -> SmoothWrr {
        let mut s = SmoothWrr::with_max_fails(max_fails);
        s.sync(&weights.iter().map(|w| ServerView::up(*w)).collect::<Vec<_>>());
        s
    }

    /// `ngx_http_upstream_free_round_robin_peer_locked`: `effective_weight -= weight / max_fails`
    /// with the configured max_fails, floored at 0; `ngx_http_upstream_get_peer`: +1 per pick that
    /// considers the peer, up to `weight`.
    #[test]
    fn failure_lowers_effective_weight_by_weight_over_max_fails_then_it_recovers_by_one_per_pick() {
        let v = vec![ServerView::up(10); 2];
        let mut s = wrr(&[10, 10], 3);
        s.report_failure(0);
        assert_eq!(s.table()[0].effective_weight, 7, "10 - 10/3");
        s.report_failure(0);
        s.report_failure(0);
        s.report_failure(0);
        assert_eq!(s.table()[0].effective_weight, 0, "never below 0");
        let recovered: Vec<i64> = (0..12)
            .map(|_| {
                s.pick_views(&v);
                s.table()[0].effective_weight
            })
            .collect();
        assert_eq!(recovered, vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10]);
        // The default max_fails is 1: one failure takes the whole weight.
        let mut d = wrr(&[4, 4], 1);
        d.report_failure(1);
        assert_eq!(d.table()[1].effective_weight, 0);
        // Integer division: weight 1 with max_fails 3 loses nothing.
        let mut small = wrr(&[1, 1], 3);
        small.report_failure(0);
        assert_eq!(small.table()[0].effective_weight, 1);
    }

    /// `if (peer->max_fails) { effective_weight -= … }`: max_fails = 0 disables the penalty, and a
    /// single peer (`peers->single`) returns before it.
    #[test]
    fn max_fails_zero_and_a_single_peer_take_no_penalty() {
        let mut s = wrr(&[4, 4], 0);
        s.report_failure(0);
        assert_eq!(s.table()[0].effective_weight, 4);
        let mut one = wrr(&[4], 1);
        one.report_failure(0);
        assert_eq!(one.table()[0].effective_weight, 4);
    }

    /// A penalised peer is picked less until it recovers: with weights 5,5 and max_fails 1, a
    /// failure of s0 gives s1 the next five picks while s0's effective weight climbs back.
    #[test]
    fn penalty_shifts_picks_while_it_lasts() {
        let v = vec![ServerView::up(5); 2];
        let mut s = wrr(&[5, 5], 1);
        s.report_failure(0);
        let picks: Vec<usize> = (0..10).map(|_| s.pick_views(&v).unwrap()).collect();
        assert_eq!(&picks[..4], &[1, 1, 1, 0]);
        assert_eq!(picks.iter().filter(|p| **p == 1).count(), 6, "{picks:?}");
        assert_eq!(s.table()[0].effective_weight, 5);
    }

    #[test]
    fn periods() {
        assert_eq!(period(&[5, 1, 1]), 7);
        assert_eq!(period(&[5, 5]), 2);
        assert_eq!(period(&[2, 4, 6]), 6);
        assert_eq!(period(&[0, 0]), 0);
    }
}
