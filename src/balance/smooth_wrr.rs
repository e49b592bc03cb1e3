//! nginx's smooth weighted round robin (`ngx_http_upstream_get_peer`), exactly: on every pick each
//! healthy peer adds its effective weight to its current weight, the peer with the largest current
//! weight wins (the first one on ties), and the total of effective weights is subtracted from the
//! winner. A failure lowers a peer's effective weight by `weight / max_fails`; each later pick
//! raises it by one until it is back at `weight`.

use super::balancer::{Balancer, Request, ServerView};
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

#[derive(Clone, Debug, Default)]
pub struct SmoothWrr {
    peers: Vec<WrrPeer>,
    /// nginx's `max_fails`, used only to size the effective-weight penalty of a failure.
    max_fails: i64,
}

impl SmoothWrr {
    pub fn new() -> Self {
        SmoothWrr { peers: Vec::new(), max_fails: 1 }
    }

    /// A balancer already sized for `weights` (for the CLI and tests).
    pub fn with_weights(weights: &[u32]) -> Self {
        let mut s = SmoothWrr::new();
        s.sync(&weights.iter().map(|w| ServerView::up(*w)).collect::<Vec<_>>());
        s
    }

    pub fn set_max_fails(&mut self, max_fails: u32) {
        self.max_fails = i64::from(max_fails.max(1));
    }

    /// The weight table as it stands.
    pub fn table(&self) -> &[WrrPeer] {
        &self.peers
    }

    /// Follows the servers' configured weights: new servers join with current weight 0, a changed
    /// weight resets the effective weight to it (as an nginx reload would).
    fn sync(&mut self, servers: &[ServerView]) {
        self.peers.resize(servers.len(), WrrPeer::default());
        for (p, s) in self.peers.iter_mut().zip(servers) {
            let w = i64::from(s.weight);
            if p.weight != w {
                p.weight = w;
                p.effective_weight = w;
            }
        }
    }

    /// The heart of nginx's algorithm over the peers for which `eligible(i)` holds.
    fn pick_among(&mut self, eligible: impl Fn(usize) -> bool) -> Option<(usize, i64)> {
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
        if let Some(p) = self.peers.get_mut(server) {
            p.effective_weight = (p.effective_weight - p.weight / self.max_fails).max(0);
        }
    }

    fn weight_table(&self) -> Option<&[WrrPeer]> {
        Some(&self.peers)
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
        if b == 0 { a } else { gcd(b, a % b) }
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

    #[test]
    fn failure_lowers_effective_weight_then_it_recovers() {
        let mut s = SmoothWrr::with_weights(&[4, 4]);
        s.set_max_fails(2);
        s.report_failure(0);
        assert_eq!(s.table()[0].effective_weight, 2);
        let v = vec![ServerView::up(4); 2];
        s.pick_views(&v);
        s.pick_views(&v);
        assert_eq!(s.table()[0].effective_weight, 4);
    }

    #[test]
    fn periods() {
        assert_eq!(period(&[5, 1, 1]), 7);
        assert_eq!(period(&[5, 5]), 2);
        assert_eq!(period(&[2, 4, 6]), 6);
        assert_eq!(period(&[0, 0]), 0);
    }
}
