//! How each algorithm picks: a short explanation per algorithm and pictures computed by the core —
//! the smooth WRR weight table pick by pick, the consistent-hash ring with its virtual nodes, the
//! Maglev table filling up, and the keys that move when a server leaves (modulo vs ring vs Maglev).

use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::fleet::server_class;
use crate::balance::maglev::MaglevTable;
use crate::balance::ring::HashRing;
use crate::balance::ring::NGINX_POINTS_PER_WEIGHT;
use crate::balance::smooth_wrr::{period, SmoothWrr};
use crate::balance::{keys_moved, server_name, AlgorithmId, HashScheme, MembershipChange, Scenario, ServerView};

/// Rows of the WRR table at most (one period, capped).
const WRR_MAX_PICKS: usize = 24;
/// Points per unit of weight in the ring picture (nginx uses 160; 8 stay legible).
const RING_VNODES: u32 = 8;
/// The Maglev picture's table size: a small prime so every slot is visible (the balancer's is 65,537).
const MAGLEV_PICTURE_SIZE: usize = 67;
/// Keys hashed for the "keys moved" bars.
const MOVED_KEYS: u64 = 20_000;
/// The pictures draw at most this many servers.
const PICTURE_SERVERS: usize = 20;

fn parse_weights(text: &str) -> Result<Vec<u32>, String> {
    let parts: Option<Vec<u32>> = text.split(',').map(|p| p.trim().parse::<u32>().ok().filter(|w| *w <= 100)).collect();
    match parts {
        Some(w) if (1..=8).contains(&w.len()) && w.iter().any(|x| *x > 0) => Ok(w),
        _ => Err(format!(
            "Weights \"{}\" are not accepted: enter 1 to 8 whole numbers from 0 to 100 separated by commas, at least one above 0 (e.g. 5,1,1).", crate::sim::params::clip(text)
        )),
    }
}

/// One explained pick per row: before, chosen, total, after.
pub fn wrr_rows(weights: &[u32]) -> Vec<crate::balance::smooth_wrr::WrrStep> {
    let mut s = SmoothWrr::with_weights(weights);
    let views: Vec<ServerView> = weights.iter().map(|w| ServerView::up(*w)).collect();
    let n = (period(weights) as usize).clamp(1, WRR_MAX_PICKS);
    (0..n).filter_map(|_| s.pick_explained(&views)).collect()
}

#[component]
fn WrrPicture() -> Html {
    let text = use_state(|| "5,1,1".to_string());
    let oninput = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| {
            let i: HtmlInputElement = e.target_unchecked_into();
            text.set(i.value());
        })
    };
    let body = match parse_weights(&text) {
        Err(msg) => {
            html! { <p class="notice notice--error" role="alert" data-testid="wrr-error">{ msg }</p> }
        }
        Ok(weights) => {
            let rows = wrr_rows(&weights);
            let seq = rows.iter().map(|r| server_name(r.chosen)).collect::<Vec<_>>().join(" ");
            let p = period(&weights);
            html! {
                <>
                    <p>{ "Picks: " }<strong class="lb-mono" data-testid="wrr-sequence">{ seq }</strong>
                       <span class="lb-muted">{ format!(" (one period = {p} picks{})", if p as usize > WRR_MAX_PICKS { format!(", first {WRR_MAX_PICKS} shown") } else { String::new() }) }</span></p>
                    <div class="table-scroll">
                        <table class="data-table lb-wrr" data-testid="wrr-table">
                            <thead><tr>
                                <th>{ "pick" }</th>
                                <th>{ "current + effective" }</th>
                                <th>{ "chosen − total" }</th>
                                <th>{ "after" }</th>
                            </tr></thead>
                            <tbody>
                                { for rows.iter().enumerate().map(|(k, r)| html! {
                                    <tr>
                                        <td>{ k + 1 }</td>
                                        <td class="lb-mono">{ for r.before.iter().enumerate().map(|(i, v)| html! {
                                            <span class={classes!("lb-wrr__cell", (i == r.chosen).then_some("lb-wrr__cell--max"))}>{ format!("{}={v}", server_name(i)) }</span>
                                        }) }</td>
                                        <td><strong>{ server_name(r.chosen) }</strong>{ format!(" −{}", r.total) }</td>
                                        <td class="lb-mono">{ r.after.iter().enumerate().map(|(i, v)| format!("{}={v}", server_name(i))).collect::<Vec<_>>().join(" ") }</td>
                                    </tr>
                                }) }
                            </tbody>
                        </table>
                    </div>
                </>
            }
        }
    };
    html! {
        <div class="lb-picture lb-picture--wide" data-testid="wrr-picture">
            <h3>{ "Smooth weighted round robin, pick by pick" }</h3>
            <label class="field lb-picture__input">
                <span>{ "Weights (servers s0, s1, s2, …)" }</span>
                <input type="text" value={(*text).clone()} data-testid="wrr-weights" {oninput} />
            </label>
            { body }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct WeightsProps {
    weights: Vec<u32>,
}

#[component]
fn RingPicture(props: &WeightsProps) -> Html {
    // Keep the picture legible: at most about 400 points whatever the weights.
    let ring = use_memo(props.weights.clone(), |w| {
        let w: Vec<u32> = w.iter().map(|x| (*x).min(20)).collect();
        let total: u32 = w.iter().sum::<u32>().max(1);
        HashRing::build(&w, (400 / total).clamp(1, RING_VNODES))
    });
    let points = ring.points();
    let (cx, cy, r) = (110.0, 110.0, 86.0);
    let pos = |h: u32| {
        let a = (f64::from(h) / f64::from(u32::MAX)) * std::f64::consts::TAU - std::f64::consts::FRAC_PI_2;
        (cx + r * a.cos(), cy + r * a.sin())
    };
    // Each arc (previous point, this point] belongs to this point's server: keys hashing there go to it.
    let arcs: Vec<Html> = (0..points.len())
        .map(|k| {
            let prev = if k == 0 { points[points.len() - 1].0 } else { points[k - 1].0 };
            let (h, owner) = points[k];
            let (x0, y0) = pos(prev);
            let (x1, y1) = pos(h);
            let span = f64::from(h.wrapping_sub(prev)) / f64::from(u32::MAX);
            let large = if span > 0.5 { 1 } else { 0 };
            html! { <path class={classes!("lb-ring__arc", server_class(owner as usize))} d={format!("M{x0:.1},{y0:.1} A{r},{r} 0 {large} 1 {x1:.1},{y1:.1}")} /> }
        })
        .collect();
    html! {
        <div class="lb-picture" data-testid="ring-picture">
            <h3>{ "nginx's consistent-hash ring" }</h3>
            <svg class="lb-ring" viewBox="0 0 220 220" role="img"
                 aria-label={format!("A ring of {} virtual nodes for {} servers", points.len(), props.weights.len())}>
                <title>{ "Ring: each arc is the key range owned by the server at its clockwise end" }</title>
                <circle class="lb-ring__base" cx={cx.to_string()} cy={cy.to_string()} r={r.to_string()} />
                { for arcs }
                { for points.iter().map(|(h, owner)| { let (x, y) = pos(*h); html! {
                    <circle class={classes!("lb-ring__node", server_class(*owner as usize))} cx={format!("{x:.1}")} cy={format!("{y:.1}")} r="3" />
                }}) }
                <text class="lb-label" x={cx.to_string()} y={(cy + 4.0).to_string()} text-anchor="middle">{ format!("{} points", points.len()) }</text>
            </svg>
            <p class="lb-muted">{ format!("nginx's hash … consistent: each point is a CRC-32 of the server's name chained from the previous point. Up to {RING_VNODES} points per unit of weight here (nginx and the balancer use {NGINX_POINTS_PER_WEIGHT}). A key goes to the first point at or after its CRC-32; when a server leaves only its arcs change hands.") }</p>
        </div>
    }
}

#[component]
fn MaglevPicture(props: &WeightsProps) -> Html {
    let claims_shown = use_state(|| MAGLEV_PICTURE_SIZE);
    let built = use_memo(props.weights.clone(), |w| {
        MaglevTable::build_recording(w, &vec![true; w.len()], MAGLEV_PICTURE_SIZE, MAGLEV_PICTURE_SIZE)
    });
    let claims = &built.1;
    let shown = (*claims_shown).min(claims.len());
    let mut slots: Vec<Option<u32>> = vec![None; MAGLEV_PICTURE_SIZE];
    for (backend, slot) in &claims[..shown] {
        slots[*slot as usize] = Some(*backend);
    }
    let per_row = 17usize;
    let cell = 12.0;
    let rows = MAGLEV_PICTURE_SIZE.div_ceil(per_row);
    let oninput = {
        let claims_shown = claims_shown.clone();
        Callback::from(move |e: InputEvent| {
            let i: HtmlInputElement = e.target_unchecked_into();
            if let Ok(v) = i.value().parse::<usize>() {
                claims_shown.set(v.min(MAGLEV_PICTURE_SIZE));
            }
        })
    };
    let mut counts = vec![0usize; props.weights.len()];
    for s in slots.iter().flatten() {
        if let Some(c) = counts.get_mut(*s as usize) {
            *c += 1;
        }
    }
    html! {
        <div class="lb-picture" data-testid="maglev-picture">
            <h3>{ "Maglev lookup table filling up" }</h3>
            <svg class="lb-maglev" viewBox={format!("0 0 {} {}", per_row as f64 * cell, rows as f64 * cell)} role="img"
                 aria-label={format!("{shown} of {MAGLEV_PICTURE_SIZE} slots claimed")}>
                <title>{ "Each cell is a table slot, coloured by the server that claimed it" }</title>
                { for slots.iter().enumerate().map(|(k, s)| {
                    let x = (k % per_row) as f64 * cell;
                    let y = (k / per_row) as f64 * cell;
                    let class = match s { Some(b) => classes!("lb-maglev__cell", server_class(*b as usize)), None => classes!("lb-maglev__cell", "lb-maglev__cell--free") };
                    html! { <rect class={class} x={x.to_string()} y={y.to_string()} width={(cell - 1.0).to_string()} height={(cell - 1.0).to_string()} /> }
                }) }
            </svg>
            <label class="field lb-picture__input">
                <span>{ format!("Claims made: {shown} of {MAGLEV_PICTURE_SIZE}") }</span>
                <input type="range" min="0" max={MAGLEV_PICTURE_SIZE.to_string()} value={shown.to_string()} data-testid="maglev-claims" {oninput} />
            </label>
            <p class="lb-muted">
                { format!("A {MAGLEV_PICTURE_SIZE}-slot table here (the balancer's has 65,537). Servers take turns claiming the next free slot of their own permutation, so each ends with a near-equal share: {}.",
                    counts.iter().enumerate().map(|(i, c)| format!("s{i} {c}")).collect::<Vec<_>>().join(", ")) }
            </p>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct MovedProps {
    servers: usize,
}

#[component]
fn KeysMoved(props: &MovedProps) -> Html {
    let n = props.servers.clamp(2, 50);
    let moved = use_memo(n, |n| {
        [HashScheme::Modulo, HashScheme::Ring, HashScheme::Maglev]
            .map(|s| keys_moved(s, *n, MembershipChange::Remove(1), MOVED_KEYS).unwrap_or(0.0))
    });
    let names = ["modulo", "ring", "Maglev"];
    let ideal = 1.0 / n as f64;
    let (lx, bw, row) = (64.0, 200.0, 22.0);
    html! {
        <div class="lb-picture" data-testid="moved-picture">
            <h3>{ format!("Keys moved when 1 of {n} servers leaves") }</h3>
            <svg class="chart lb-moved" viewBox={format!("0 0 330 {}", 3.0 * row + 22.0)} role="img"
                 aria-label={format!("modulo {:.0}%, ring {:.0}%, Maglev {:.0}% of keys move", moved[0] * 100.0, moved[1] * 100.0, moved[2] * 100.0)}>
                { for moved.iter().enumerate().map(|(k, f)| { let y = 4.0 + k as f64 * row; html! {
                    <g>
                        <text x={(lx - 4.0).to_string()} y={(y + 12.0).to_string()} text-anchor="end">{ names[k] }</text>
                        <rect class={format!("series-{k}")} x={lx.to_string()} y={y.to_string()} width={format!("{:.1}", f * bw)} height="16" />
                        <text x={(lx + f * bw + 4.0).to_string()} y={(y + 12.0).to_string()}>{ format!("{:.1}%", f * 100.0) }</text>
                    </g>
                }}) }
                <line class="lb-moved__ideal" x1={(lx + ideal * bw).to_string()} x2={(lx + ideal * bw).to_string()} y1="0" y2={(3.0 * row + 4.0).to_string()} />
                <text x={(lx + ideal * bw).to_string()} y={(3.0 * row + 18.0).to_string()} text-anchor="middle">{ format!("1/N = {:.1}%", ideal * 100.0) }</text>
            </svg>
            <p class="lb-muted">{ format!("{MOVED_KEYS} keys hashed before and after: modulo (hash mod N), nginx's consistent ring with {NGINX_POINTS_PER_WEIGHT} points per server, Maglev with 65,537 slots. Modulo remaps almost everything; the ring and Maglev move about the departing server's share.") }</p>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct AlgorithmPicturesProps {
    pub scenario: Scenario,
}

#[component]
pub fn AlgorithmPictures(props: &AlgorithmPicturesProps) -> Html {
    let current = props.scenario.algorithm;
    let weights: Vec<u32> = props.scenario.servers.iter().take(PICTURE_SERVERS).map(|s| s.weight.max(1)).collect();
    html! {
        <div class="panel lb-algorithms" data-testid="lb-algorithms">
            <h2>{ "How each algorithm picks" }</h2>
            <ul class="lb-algo-list">
                { for AlgorithmId::ALL.iter().map(|a| html! {
                    <li class={classes!((*a == current).then_some("lb-algo--current"))}>
                        <strong class="lb-mono">{ a.id() }</strong>
                        if *a == current { <span class="lb-badge">{ "running" }</span> }
                        { " — " }{ a.explanation() }
                    </li>
                }) }
            </ul>
            <div class="lb-pictures">
                <WrrPicture />
                <RingPicture weights={weights.clone()} />
                <MaglevPicture weights={weights} />
                <KeysMoved servers={props.scenario.servers.len()} />
            </div>
        </div>
    }
}
