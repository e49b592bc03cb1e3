//! Layer-7 routing by path: the first rule whose prefix matches the request's path names a pool of
//! servers; requests no rule matches go to the default pool. Inside a pool, healthy servers take
//! turns (round robin). A pool with no healthy server answers `None` (nginx's 502), it does not
//! spill into other pools.

use super::balancer::{Balancer, Request, ServerView};
use super::AlgorithmId;
use crate::sim::SimTime;
use serde::{Deserialize, Serialize};

/// `prefix` → the servers (indexes) that serve it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathRule {
    pub prefix: String,
    pub pool: Vec<usize>,
}

#[derive(Clone, Debug)]
pub struct L7Path {
    rules: Vec<PathRule>,
    default_pool: Vec<usize>,
    /// A round-robin cursor per rule, plus one for the default pool at the end.
    cursors: Vec<usize>,
}

impl L7Path {
    /// `default_pool` empty means "every server".
    pub fn new(rules: Vec<PathRule>, default_pool: Vec<usize>) -> Self {
        let cursors = vec![0; rules.len() + 1];
        L7Path { rules, default_pool, cursors }
    }

    /// Which rule (index) a path falls under; `None` is the default pool.
    pub fn rule_for(&self, path: &str) -> Option<usize> {
        self.rules.iter().position(|r| path.starts_with(&r.prefix))
    }
}

impl Balancer for L7Path {
    fn algorithm(&self) -> AlgorithmId {
        AlgorithmId::L7Path
    }

    fn pick(&mut self, req: &Request<'_>, servers: &[ServerView], _now: SimTime) -> Option<usize> {
        let rule = self.rule_for(req.path);
        let slot = rule.unwrap_or(self.rules.len());
        let all: Vec<usize>;
        let pool: &[usize] = match rule {
            Some(r) => &self.rules[r].pool,
            None if self.default_pool.is_empty() => {
                all = (0..servers.len()).collect();
                &all
            }
            None => &self.default_pool,
        };
        let n = pool.len();
        for k in 0..n {
            let at = (self.cursors[slot] + k) % n;
            let i = pool[at];
            if servers.get(i).is_some_and(|s| s.up && s.weight > 0) {
                self.cursors[slot] = (at + 1) % n;
                return Some(i);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_matching_prefix_wins_and_default_catches_the_rest() {
        let rules = vec![
            PathRule { prefix: "/api/".into(), pool: vec![0, 1] },
            PathRule { prefix: "/api/admin".into(), pool: vec![3] },
            PathRule { prefix: "/static/".into(), pool: vec![2] },
        ];
        let mut b = L7Path::new(rules, vec![3]);
        let mut s = vec![ServerView::up(1); 4];
        let pick = |b: &mut L7Path, s: &[ServerView], p: &str| {
            b.pick(&Request::from_client([1, 1, 1, 1], p), s, SimTime::ZERO)
        };
        assert_eq!(pick(&mut b, &s, "/api/users"), Some(0));
        assert_eq!(pick(&mut b, &s, "/api/admin/x"), Some(1));
        assert_eq!(pick(&mut b, &s, "/static/a.css"), Some(2));
        assert_eq!(pick(&mut b, &s, "/auth/login"), Some(3));
        s[2].up = false;
        assert_eq!(pick(&mut b, &s, "/static/a.css"), None);
    }
}
