#![cfg(not(target_arch = "wasm32"))]
//! Acceptance tests of issue 7's load-balancing core, plus determinism, accounting invariants over
//! many seeds, a purity check of the module's imports and the `sim lb` command line.
//!
//! Runs are sized to keep this file to a few seconds in a debug build: the heavy-tail comparison
//! simulates 60 s of virtual time at ~540 req/s, the slow-server preset 60 s at 1000 req/s.

use playground::balance::ip_hash::IpHash;
use playground::balance::model::FlowOutcome;
use playground::balance::scenario::{Action, ArrivalConfig, ScheduledAction};
use playground::balance::smooth_wrr::{letters, period, SmoothWrr};
use playground::balance::Balancer;
use playground::balance::{
    keys_moved, preset, AlgorithmId, HashScheme, LbRun, MembershipChange, Request, Scenario, ServerConfig, ServerState,
    ServerView,
};
use playground::sim::{Distribution, SimTime};
use proptest::prelude::*;

fn wrr_sequence(weights: &[u32], n: u64) -> Vec<usize> {
    let mut s = SmoothWrr::with_weights(weights);
    let views: Vec<ServerView> = weights.iter().map(|w| ServerView::up(*w)).collect();
    (0..n).map(|_| s.pick_explained(&views).unwrap().chosen).collect()
}

#[test]
fn smooth_wrr_sequences_match_nginx() {
    let cases: &[(&[u32], &str)] = &[
        (&[5, 1, 1], "a a b a c a a"),
        (&[2, 3, 1], "b a b c a b"),
        (&[5, 5], "a b"),
        (&[4, 2, 1], "a b a c a b a"),
        (&[1, 2, 3, 4], "d c b d a c d b c d"),
    ];
    for (w, want) in cases {
        let p = period(w);
        assert_eq!(letters(&wrr_sequence(w, p)), *want, "weights {w:?}");
        // The sequence repeats with that period.
        let two = wrr_sequence(w, 2 * p);
        assert_eq!(two[..p as usize], two[p as usize..], "weights {w:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Over one full period every server gets exactly its share, and the current weights return to 0.
    #[test]
    fn smooth_wrr_full_period_gives_each_server_its_weight(weights in prop::collection::vec(1u32..=12, 1..=7)) {
        let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
        let g = total / period(&weights);
        let picks = wrr_sequence(&weights, period(&weights));
        for (i, w) in weights.iter().enumerate() {
            let got = picks.iter().filter(|p| **p == i).count() as u64;
            prop_assert_eq!(got * g, u64::from(*w), "server {} of {:?}", i, weights);
        }
        let mut s = SmoothWrr::with_weights(&weights);
        let views: Vec<ServerView> = weights.iter().map(|w| ServerView::up(*w)).collect();
        for _ in 0..period(&weights) {
            s.pick_explained(&views);
        }
        prop_assert!(s.table().iter().all(|p| p.current_weight == 0));
    }

    /// Every request ends exactly one way, and no server exceeds its concurrency or queue, after
    /// every single event, for any algorithm and seed.
    #[test]
    fn runs_account_for_every_request(alg in 0usize..12, seed in 0u64..10_000, down in proptest::bool::ANY) {
        let mut sc = Scenario {
            algorithm: AlgorithmId::ALL[alg],
            seed,
            duration_ms: 400,
            arrivals: ArrivalConfig { rate_per_s: 2_000.0, burst: None },
            servers: vec![ServerConfig { concurrency: 2, queue_limit: 3, ..ServerConfig::default() }; 4],
            ..Scenario::default()
        };
        if down {
            sc.events.push(ScheduledAction { at_ms: 150, action: Action::SetState { server: 2, state: ServerState::Down } });
        }
        let mut run = LbRun::new(&sc).unwrap();
        while run.step() {
            for s in run.servers() {
                prop_assert!(s.busy <= s.concurrency && s.queued <= s.queue_limit);
                prop_assert_eq!(s.view.active, s.busy + s.queued);
            }
        }
        let m = run.summary();
        prop_assert_eq!(m.arrivals, m.completed + m.drops + m.errors);
        prop_assert_eq!(m.arrivals, m.servers.iter().map(|s| s.requests).sum::<u64>() + m.no_server);
        // The windows cover the whole run, drain included.
        prop_assert_eq!(m.completed, m.windows.iter().map(|w| w.completed).sum::<u64>());
        prop_assert_eq!(m.arrivals, m.windows.iter().map(|w| w.arrivals).sum::<u64>());
    }
}

#[test]
fn ip_hash_keeps_a_natted_slash_24_on_one_server_while_it_is_up() {
    let mut sc = preset("sticky-nat").unwrap();
    sc.duration_ms = 4_000;
    let nat = sc.clients.nat_clients;
    let mut run = LbRun::new(&sc).unwrap();
    run.record_flows(1_000_000);
    run.run_to_end();
    let nat_servers: Vec<u32> =
        run.model().flows().iter().filter(|f| f.client < nat).filter_map(|f| f.server).collect();
    assert!(nat_servers.len() > 500);
    let home = nat_servers[0];
    assert!(nat_servers.iter().all(|s| *s == home));

    // Another server going down does not move them; their own server going down does, and only then.
    let other = (home as usize + 1) % sc.servers.len();
    sc.events = vec![
        ScheduledAction { at_ms: 1_000, action: Action::SetState { server: other, state: ServerState::Down } },
        ScheduledAction { at_ms: 2_000, action: Action::SetState { server: home as usize, state: ServerState::Down } },
    ];
    sc.health.active = Some(playground::balance::scenario::ActiveCheck { interval_ms: 100, fall: 1, rise: 1 });
    let mut run = LbRun::new(&sc).unwrap();
    run.record_flows(1_000_000);
    run.run_to_end();
    let flows: Vec<_> = run.model().flows().iter().filter(|f| f.client < nat).copied().collect();
    assert!(flows.iter().filter(|f| f.at_ms < 2_000).all(|f| f.server == Some(home)));
    let after: Vec<_> = flows.iter().filter(|f| f.at_ms >= 2_200).collect();
    assert!(!after.is_empty());
    let moved_to = after[0].server.unwrap();
    assert_ne!(moved_to, home);
    assert!(after.iter().all(|f| f.server == Some(moved_to) && f.outcome != FlowOutcome::Failed));

    // Directly through the trait, with weights: every host of the /24 lands on one server.
    let mut b = IpHash::nginx();
    let views = vec![ServerView::up(2), ServerView::up(3), ServerView::up(1)];
    let first = b.pick(&Request::from_client([203, 0, 113, 1], "/"), &views, SimTime::ZERO);
    assert!((0..=255).all(|h| b.pick(&Request::from_client([203, 0, 113, h], "/"), &views, SimTime::ZERO) == first));
}

#[test]
fn ring_and_maglev_move_about_one_nth_modulo_moves_most() {
    for n in [5usize, 10, 20] {
        let ideal = 1.0 / n as f64;
        let modulo = keys_moved(HashScheme::Modulo, n, MembershipChange::Remove(1), 50_000).unwrap();
        assert!(modulo > 0.75, "modulo, {n} servers: {modulo}");
        for s in [HashScheme::Ring, HashScheme::Maglev] {
            let f = keys_moved(s, n, MembershipChange::Remove(1), 50_000).unwrap();
            assert!((f - ideal).abs() < 0.35 * ideal, "{s:?}, {n} servers: {f} vs {ideal}");
            let add = keys_moved(s, n, MembershipChange::Add(1), 50_000).unwrap();
            let ideal_add = 1.0 / (n + 1) as f64;
            assert!((add - ideal_add).abs() < 0.35 * ideal_add, "{s:?} add, {n} servers: {add}");
        }
    }
}

fn heavy_tail(alg: AlgorithmId, seed: u64) -> u64 {
    let mut sc = Scenario {
        algorithm: alg,
        seed,
        duration_ms: 60_000,
        servers: vec![ServerConfig { concurrency: 1, queue_limit: 10_000, ..ServerConfig::default() }; 10],
        service: Distribution::Pareto { min_ms: 5.0, alpha: 1.5 },
        ..Scenario::default()
    };
    sc.arrivals.rate_per_s = 1.0;
    sc.arrivals.rate_per_s = 0.8 / sc.offered_load();
    let mut run = LbRun::new(&sc).unwrap();
    run.run_to_end();
    let s = run.summary();
    assert_eq!(s.drops + s.errors, 0);
    s.latency.p99_ms
}

#[test]
fn p2c_beats_random_and_round_robin_at_80_percent_heavy_tailed_load() {
    for seed in [1, 2] {
        let p2c = heavy_tail(AlgorithmId::P2c, seed);
        let random = heavy_tail(AlgorithmId::Random, seed);
        let rr = heavy_tail(AlgorithmId::RoundRobin, seed);
        assert!(p2c < random && p2c < rr, "seed {seed}: p2c {p2c} random {random} round-robin {rr}");
    }
}

#[test]
fn peak_ewma_beats_round_robin_with_one_slow_server() {
    let p99 = |alg| {
        let sc = Scenario { algorithm: alg, ..preset("linkerd-slow-server").unwrap() };
        let mut run = LbRun::new(&sc).unwrap();
        run.run_to_end();
        run.summary().latency.p99_ms
    };
    let ewma = p99(AlgorithmId::PeakEwma);
    let rr = p99(AlgorithmId::RoundRobin);
    assert!(rr >= 1_900, "round robin should feel the 2 s server: {rr}");
    assert!(ewma * 10 < rr, "peak-ewma {ewma} vs round-robin {rr}");
}

#[test]
fn same_seed_replays_byte_for_byte() {
    let sc = Scenario { algorithm: AlgorithmId::PeakEwma, duration_ms: 2_000, ..preset("server-dies-health").unwrap() };
    let run = |sc: &Scenario| {
        let mut r = LbRun::new(sc).unwrap();
        r.enable_trace();
        r.run_to_end();
        (r.trace().digest(), serde_json::to_string(&r.summary()).unwrap())
    };
    assert_eq!(run(&sc), run(&sc));
    assert_ne!(run(&sc).0, run(&Scenario { seed: 77, ..sc.clone() }).0);
    for p in playground::balance::presets() {
        let sc = Scenario { duration_ms: 1_500, ..p.scenario };
        assert_eq!(run(&sc), run(&sc), "{}", p.id);
    }
}

#[test]
fn health_checks_cut_the_errors_of_a_dead_server() {
    let errors = |id| {
        let mut r = LbRun::new(&preset(id).unwrap()).unwrap();
        r.run_to_end();
        r.summary().errors
    };
    let without = errors("server-dies-no-health");
    let with = errors("server-dies-health");
    assert!(without > 800, "{without}");
    assert!(with < 20, "{with}");
}

fn sim(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sim")).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn cli_picks_moved_and_errors() {
    let (code, out, _) = sim(&["lb", "picks", "--algorithm", "smooth-wrr", "--weights", "5,1,1", "--count", "7"]);
    assert_eq!((code, out.as_str()), (0, "0\n0\n1\n0\n2\n0\n0\n"));
    let (code, out, _) =
        sim(&["lb", "picks", "--algorithm", "round-robin", "--weights", "1,1,1", "--count", "4", "--down", "1"]);
    assert_eq!((code, out.as_str()), (0, "0\n2\n0\n2\n"));
    let (code, out, _) =
        sim(&["lb", "moved", "--algorithm", "modulo", "--servers", "10", "--remove", "1", "--keys", "10000"]);
    assert_eq!(code, 0);
    assert!(out.trim().parse::<f64>().unwrap() > 0.8);
    let (code, _, err) = sim(&["lb", "picks", "--algorithm", "least-conn"]);
    assert_eq!(code, 2);
    assert!(err.contains("least-conn") && err.contains("sim lb run"), "{err}");
    let (code, _, err) = sim(&["lb", "picks", "--algorithm", "smooth-wrr", "--weights", "5,x"]);
    assert_eq!(code, 2);
    assert!(err.contains("\"5,x\""), "{err}");
    let (code, _, err) = sim(&["lb", "run", "--service", "gamma:3"]);
    assert_eq!(code, 2);
    assert!(err.contains("gamma:3") && err.contains("pareto"), "{err}");
}

#[test]
fn cli_run_prints_json_metrics() {
    let (code, out, err) = sim(&["lb", "run", "--algorithm", "p2c", "--duration-ms", "2000", "--seed", "5", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["algorithm"], "p2c");
    assert_eq!(v["seed"], 5);
    assert!(v["latency"]["p99_ms"].as_u64().unwrap() > 0);
    assert_eq!(v["servers"].as_array().unwrap().len(), 4);
}

#[test]
fn nginx_presets_split_requests_exactly_by_weight() {
    for (id, weights) in [("nginx-2-3-1", vec![2u64, 3, 1]), ("nginx-5-5", vec![5, 5])] {
        let mut r = LbRun::new(&preset(id).unwrap()).unwrap();
        r.run_to_end();
        let s = r.summary();
        let total: u64 = weights.iter().sum();
        for (srv, w) in s.servers.iter().zip(&weights) {
            // Smooth WRR is exact up to the unfinished last period.
            let ideal = s.arrivals * w / total;
            assert!(
                srv.requests.abs_diff(ideal) <= *w,
                "{id}: server {} got {} of {}",
                srv.index,
                srv.requests,
                s.arrivals
            );
        }
        assert!(s.weighted_fairness < 1.005, "{id}: {}", s.weighted_fairness);
    }
}

#[test]
fn bursts_raise_the_arrival_rate_inside_their_windows() {
    let sc = Scenario {
        duration_ms: 10_000,
        window_ms: 500,
        arrivals: ArrivalConfig {
            rate_per_s: 200.0,
            burst: Some(playground::balance::scenario::Burst { every_ms: 1_000, length_ms: 500, multiplier: 5.0 }),
        },
        ..Scenario::default()
    };
    let mut r = LbRun::new(&sc).unwrap();
    r.run_to_end();
    let w = &r.model().metrics.windows;
    let in_burst: u64 = w.iter().filter(|x| x.start_ms % 1_000 == 0).map(|x| x.arrivals).sum();
    let outside: u64 = w.iter().filter(|x| x.start_ms % 1_000 == 500).map(|x| x.arrivals).sum();
    assert!(in_burst > 4 * outside && outside > 0, "{in_burst} vs {outside}");
}

#[test]
fn l7_preset_routes_by_path_prefix() {
    let mut r = LbRun::new(&preset("l7-paths").unwrap()).unwrap();
    r.run_to_end();
    let s = r.summary();
    let share = |i: usize| s.servers[i].requests as f64 / s.arrivals as f64;
    // /api/ (weight 50) over servers 0 and 1, /static/ (40) on 2, /auth/ (10) on the default pool 3.
    assert!((share(0) - 0.25).abs() < 0.03 && (share(1) - 0.25).abs() < 0.03, "{} {}", share(0), share(1));
    assert!((share(2) - 0.40).abs() < 0.03, "{}", share(2));
    assert!((share(3) - 0.10).abs() < 0.02, "{}", share(3));
}

#[test]
fn scale_out_moves_about_a_sixth_of_the_clients() {
    let sc = preset("scale-out").unwrap();
    let mut r = LbRun::new(&sc).unwrap();
    r.record_flows(1_000_000);
    r.run_to_end();
    // Each client's server before and after the sixth server joins at 10 s.
    let mut before = std::collections::BTreeMap::new();
    let mut after = std::collections::BTreeMap::new();
    for f in r.model().flows() {
        let m = if f.at_ms < 10_000 { &mut before } else { &mut after };
        m.insert(f.client, f.server);
    }
    let both: Vec<_> = before.keys().filter(|c| after.contains_key(*c)).collect();
    assert!(both.len() > 500);
    let moved = both.iter().filter(|c| before[**c] != after[**c]).count() as f64 / both.len() as f64;
    assert!((0.08..0.28).contains(&moved), "{moved}");
    // Whoever moved, moved to the new server.
    assert!(both.iter().filter(|c| before[**c] != after[**c]).all(|c| after[*c] == Some(5)));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// nginx ip_hash: every host of a /24 lands on one server, whatever the weights, and a
    /// different server going down never moves it.
    #[test]
    fn ip_hash_is_sticky_per_slash_24(prefix in any::<[u8; 3]>(), weights in prop::collection::vec(1u32..=5, 2..=8), down in 0usize..8) {
        let mut b = IpHash::nginx();
        let mut views: Vec<ServerView> = weights.iter().map(|w| ServerView::up(*w)).collect();
        let ip = |h: u8| Request::from_client([prefix[0], prefix[1], prefix[2], h], "/");
        let home = b.pick(&ip(1), &views, SimTime::ZERO).unwrap();
        for h in [0u8, 7, 100, 255] {
            prop_assert_eq!(b.pick(&ip(h), &views, SimTime::ZERO), Some(home));
        }
        let down = down % views.len();
        if down != home {
            views[down].up = false;
            prop_assert_eq!(b.pick(&ip(9), &views, SimTime::ZERO), Some(home));
        }
    }

    /// A ring only moves the keys of the server that left; every other key stays put.
    #[test]
    fn ring_removal_moves_only_the_leavers_keys(n in 2usize..12, leaver in 0usize..12, keys in prop::collection::vec(any::<u32>(), 200)) {
        let leaver = leaver % n;
        let ring = playground::balance::ring::HashRing::build(&vec![1; n], 40);
        for k in keys {
            let before = ring.lookup(k).unwrap();
            let after = ring.walk(k, usize::MAX, |i| i != leaver).unwrap();
            prop_assert!(before == after || before == leaver);
            prop_assert_ne!(after, leaver);
        }
    }
}

#[test]
fn cli_runs_a_scenario_file() {
    let path = std::env::temp_dir().join(format!("lb-scenario-{}.json", std::process::id()));
    let sc = Scenario { duration_ms: 1_500, ..preset("nginx-2-3-1").unwrap() };
    std::fs::write(&path, sc.to_json()).unwrap();
    let (code, out, err) = sim(&["lb", "run", "--scenario", path.to_str().unwrap(), "--json"]);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((v["scenario"].as_str(), v["algorithm"].as_str()), (Some("nginx-2-3-1"), Some("smooth-wrr")));
    let (code, _, err) = sim(&["lb", "run", "--scenario", "/nonexistent/lb.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/lb.json"), "{err}");
}

/// Maglev section 3.3 on the live fleet (the `maglev-conntrack` preset): a sixth server joins at
/// 10 s; with the connection tracking table no client seen before then changes server, without it
/// about a sixth of them do.
#[test]
fn maglev_connection_tracking_keeps_clients_across_a_scale_out() {
    let moved_share = |tracking: u32| {
        let mut sc = preset("maglev-conntrack").unwrap();
        sc.balancer.maglev_tracking = tracking;
        let mut run = LbRun::new(&sc).unwrap();
        run.record_flows(1_000_000);
        run.run_to_end();
        let mut before = std::collections::BTreeMap::new();
        let mut moved = std::collections::BTreeSet::new();
        for f in run.model().flows() {
            let Some(s) = f.server else { continue };
            if f.at_ms < 10_000 {
                before.insert(f.client, s);
            } else if before.get(&f.client).is_some_and(|b| *b != s) {
                moved.insert(f.client);
            }
        }
        moved.len() as f64 / before.len() as f64
    };
    assert_eq!(moved_share(10_000), 0.0);
    let without = moved_share(0);
    assert!((0.1..0.25).contains(&without), "{without}");
}

/// `ngx_http_upstream_get_hash_peer` / `ngx_http_upstream_get_ip_hash_peer` fall back to round
/// robin with fewer than 2 peers: one server takes every request, hashing or not.
#[test]
fn hashing_algorithms_with_one_server_are_round_robin() {
    for alg in [AlgorithmId::IpHash, AlgorithmId::L4Hash, AlgorithmId::Ring, AlgorithmId::P2c, AlgorithmId::Random] {
        let sc = Scenario {
            algorithm: alg,
            duration_ms: 500,
            servers: vec![ServerConfig::default()],
            ..Scenario::default()
        };
        let mut run = LbRun::new(&sc).unwrap();
        run.run_to_end();
        let s = run.summary();
        assert_eq!(s.servers[0].requests, s.arrivals, "{alg}");
    }
}
