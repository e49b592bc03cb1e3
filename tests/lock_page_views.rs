#![cfg(not(target_arch = "wasm32"))]
//! What the /locks page draws agrees with the model while stepping: a worker that believes it
//! holds the lock right after acquiring is the one the Redis panel names.

use playground::lock::{build, Scenario};
use playground::sim::TEST_EPOCH;

#[test]
fn the_redis_view_names_the_holder_once_one_believes() {
    for seed in 0..20 {
        let mut sim = build(&Scenario { seed, ..Scenario::default() }, TEST_EPOCH).unwrap();
        let mut seen = false;
        for _ in 0..200 {
            sim.step();
            let now = sim.now();
            let rt = &sim.model;
            let holder = (0..rt.worker_count()).find(|w| rt.worker_view(*w).unwrap().believes_it_holds);
            if let Some(w) = holder {
                let id = rt.worker_view(w).unwrap().id.to_string();
                let value = rt.redis_view(0, now).unwrap().value.map(str::to_string);
                assert_eq!(value.as_deref(), Some(id.as_str()), "seed {seed} at {now}: worker-{w} believes");
                seen = true;
            }
        }
        assert!(seen, "seed {seed}: someone acquired");
    }
}

// ---- timeline colours ----------------------------------------------------------------------------

/// `--name: #rrggbb` declarations of `css` whose name starts with `prefix`.
fn colours(css: &str, prefix: &str) -> Vec<(String, [f64; 3])> {
    let mut out = Vec::new();
    for decl in css.split(';') {
        let Some((name, value)) = decl.split_once(':') else {
            continue;
        };
        let name = name.trim().rsplit(|c: char| c == '{' || c.is_whitespace()).next().unwrap_or("");
        let value = value.trim();
        if name.starts_with(prefix) && value.len() == 7 && value.starts_with('#') {
            let byte = |i: usize| u8::from_str_radix(&value[i..i + 2], 16).unwrap() as f64 / 255.0;
            out.push((name.to_string(), [byte(1), byte(3), byte(5)]));
        }
    }
    out
}

fn linear(c: f64) -> f64 {
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

/// CIELAB of an sRGB colour as seen with `vision` (Machado et al. 2009, severity 1).
fn lab(rgb: [f64; 3], vision: &[[f64; 3]; 3]) -> [f64; 3] {
    let l = rgb.map(linear);
    let s: Vec<f64> = (0..3).map(|i| (0..3).map(|j| vision[i][j] * l[j]).sum::<f64>().clamp(0.0, 1.0)).collect();
    let (r, g, b) = (s[0], s[1], s[2]);
    let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
    let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
    let f = |t: f64| {
        if t > 0.008856 {
            t.cbrt()
        } else {
            7.787 * t + 16.0 / 116.0
        }
    };
    [116.0 * f(y) - 16.0, 500.0 * (f(x) - f(y)), 200.0 * (f(y) - f(z))]
}

fn delta_e(a: [f64; 3], b: [f64; 3], vision: &[[f64; 3]; 3]) -> f64 {
    let (p, q) = (lab(a, vision), lab(b, vision));
    ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2)).sqrt()
}

const VISIONS: [(&str, [[f64; 3]; 3]); 4] = [
    ("normal", [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]),
    ("protanopia", [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]),
    (
        "deuteranopia",
        [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    ),
    ("tritanopia", [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]]),
];

#[test]
fn worker_colours_are_disjoint_from_state_colours_and_colour_blind_safe() {
    let css = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/styles/locks.css")).unwrap();
    let identities = colours(&css, "--o");
    let mut states = colours(&css, "--st-");
    assert_eq!(identities.len(), 8, "{identities:?}");
    assert_eq!(states.len(), 9, "{states:?}");
    // The light theme's danger red (lease overlaps) must not pass for a worker either.
    states.push(("--danger".into(), [0xb4 as f64 / 255.0, 0x23 as f64 / 255.0, 0x18 as f64 / 255.0]));
    for (vision, m) in &VISIONS {
        let mut worst_pair = f64::MAX;
        for (i, (a, ca)) in identities.iter().enumerate() {
            for (b, cb) in &identities[i + 1..] {
                let d = delta_e(*ca, *cb, m);
                worst_pair = worst_pair.min(d);
                assert!(d >= 12.0, "{vision}: workers {a} and {b} are only ΔE {d:.1} apart");
            }
        }
        let mut worst_state = f64::MAX;
        for (a, ca) in &identities {
            for (b, cb) in &states {
                let d = delta_e(*ca, *cb, m);
                worst_state = worst_state.min(d);
                assert!(d >= 10.0, "{vision}: worker colour {a} is only ΔE {d:.1} from {b}");
            }
        }
        println!("{vision}: closest worker pair ΔE {worst_pair:.1}, closest worker/state ΔE {worst_state:.1}");
    }
}
