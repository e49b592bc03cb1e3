//! The cache-aside demo on the Redis page: the application asks Redis first and, on a miss, the
//! slow origin API, writing the answer back with `SETEX`. The page plays the core's simulation
//! (`redis::cache_aside`) with the shared controls, lets the user ask for a user name or run a
//! skewed workload, and draws each request's path, the hit ratio, the latency scatter and the
//! cached keys with their TTLs counting down.
//!
//! State: the run lives in a `use_mut_ref` driven by `use_playback`; every action calls the core
//! through `Simulation::act`. Form texts and their error messages are `use_state`s.

mod diagram;

use std::cell::RefCell;
use std::rc::Rc;

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::redis::cache_aside::{
    new_simulation, parse_rate, parse_skew, parse_ttl, parse_user, parse_users, records_csv, CacheAside, Config,
    InputError, Outcome, Source, RATE_RANGE, SKEW_RANGE, TTL_RANGE, USERS_RANGE,
};
use crate::sim::{QueryParams, SimParams, SimTime, Simulation};
use crate::ui::components::{ControlsBar, LineChart, ParamNotices, Series};
use crate::ui::download::download_text;
use crate::ui::hooks::use_playback::use_playback;
use crate::ui::hooks::use_url_params::use_url_params;
use diagram::{Dot, LatencyScatter, SequenceDiagram};

/// How many of the latest requests get a sequence diagram.
const PATHS_SHOWN: usize = 3;
/// How many latest requests are listed in the table.
const ROWS_SHOWN: usize = 8;
/// Dots in the latency scatter (the latest ones).
const DOTS_SHOWN: usize = 400;
/// Seconds of hit-ratio history drawn.
const RATIO_SECONDS: usize = 300;
/// Events a paused "Request" may run to bring its request to completion.
const FAST_FORWARD_EVENTS: usize = 100_000;

/// The page's scenario as the URL carries it.
#[derive(Clone, Debug, PartialEq)]
struct PageParams {
    sim: SimParams,
    config: Config,
}

fn read_params(q: &mut QueryParams) -> PageParams {
    let sim = SimParams::read(q);
    let d = Config::default();
    let config = Config {
        ttl_s: q.u64_in("ttl", d.ttl_s, TTL_RANGE.0, TTL_RANGE.1),
        rate_per_s: q.f64_in("rate", d.rate_per_s, RATE_RANGE.0, RATE_RANGE.1),
        users: q.u64_in("users", d.users, USERS_RANGE.0, USERS_RANGE.1),
        skew: q.f64_in("skew", d.skew, SKEW_RANGE.0, SKEW_RANGE.1),
        ..d
    };
    PageParams { sim, config }
}

fn query_pairs(seed: u64, speed: f64, c: &Config) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> =
        SimParams { seed, speed }.pairs().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    pairs.push(("ttl".into(), c.ttl_s.to_string()));
    pairs.push(("rate".into(), c.rate_per_s.to_string()));
    pairs.push(("users".into(), c.users.to_string()));
    pairs.push(("skew".into(), c.skew.to_string()));
    pairs
}

/// The texts of the workload form.
#[derive(Clone, Debug, PartialEq)]
struct ConfigForm {
    ttl: String,
    rate: String,
    users: String,
    skew: String,
}

impl ConfigForm {
    fn from_config(c: &Config) -> Self {
        ConfigForm { ttl: c.ttl_s.to_string(), rate: c.rate_per_s.to_string(), users: c.users.to_string(), skew: c.skew.to_string() }
    }
    /// The config the form describes, or every field's error.
    fn parse(&self, base: &Config) -> Result<Config, Vec<InputError>> {
        let ttl = parse_ttl(&self.ttl);
        let rate = parse_rate(&self.rate);
        let users = parse_users(&self.users);
        let skew = parse_skew(&self.skew);
        match (ttl, rate, users, skew) {
            (Ok(ttl_s), Ok(rate_per_s), Ok(users), Ok(skew)) => Ok(Config { ttl_s, rate_per_s, users, skew, ..base.clone() }),
            (a, b, c, d) => Err([a.err(), b.err(), c.err(), d.err()].into_iter().flatten().collect()),
        }
    }
}

fn percent(r: Option<f64>) -> String {
    r.map(|v| format!("{:.1} %", v * 100.0)).unwrap_or_else(|| "—".into())
}

fn ms(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.0} ms")).unwrap_or_else(|| "—".into())
}

fn input_text(e: &InputEvent) -> String {
    e.target_unchecked_into::<HtmlInputElement>().value()
}

type Run = Simulation<CacheAside>;

#[component]
pub fn CacheAsideDemo() -> Html {
    let url = use_url_params(read_params);
    let initial = url.initial().clone();
    let seed = use_state(|| initial.sim.seed);
    let run: Rc<RefCell<Run>> = {
        let (config, seed) = (initial.config.clone(), initial.sim.seed);
        use_mut_ref(move || new_simulation(config, seed))
    };
    let playback = use_playback(run.clone(), initial.sim.speed);

    let user_text = use_state(|| "octocat".to_string());
    let user_error = use_state(|| None::<String>);
    let last_typed = use_state(|| None::<u64>);
    let form = use_state(|| ConfigForm::from_config(&initial.config));
    let form_errors = use_state(Vec::<String>::new);
    let export_error = use_state(|| None::<String>);

    let write_url = {
        let url = url.clone();
        move |seed: u64, speed: f64, config: &Config| url.write(query_pairs(seed, speed, config))
    };

    // --- controls bar ---
    let on_toggle = playback.on_toggle();
    let on_step = playback.on_step();
    let on_next = playback.on_next();
    let on_slider = {
        let p = playback.clone();
        let seed = seed.clone();
        let write_url = write_url.clone();
        Callback::from(move |pos: u32| {
            p.set_slider(pos);
            let config = p.run().borrow().model.config().clone();
            write_url(*seed, p.speed(), &config);
        })
    };
    let restart = {
        let p = playback.clone();
        let last_typed = last_typed.clone();
        move |new_seed: u64| {
            let config = p.run().borrow().model.config().clone();
            *p.run().borrow_mut() = new_simulation(config, new_seed);
            last_typed.set(None);
            p.redraw();
        }
    };
    let on_seed = {
        let seed = seed.clone();
        let restart = restart.clone();
        let p = playback.clone();
        let write_url = write_url.clone();
        Callback::from(move |s: u64| {
            seed.set(s);
            restart(s);
            let config = p.run().borrow().model.config().clone();
            write_url(s, p.speed(), &config);
        })
    };
    let on_reset = {
        let seed = seed.clone();
        Callback::from(move |_| restart(*seed))
    };

    // --- ask for one user ---
    let on_user_input = {
        let user_text = user_text.clone();
        Callback::from(move |e: InputEvent| user_text.set(input_text(&e)))
    };
    let on_request = {
        let p = playback.clone();
        let user_text = user_text.clone();
        let user_error = user_error.clone();
        let last_typed = last_typed.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match parse_user(&user_text) {
                Err(err) => user_error.set(Some(err.to_string())),
                Ok(user) => {
                    user_error.set(None);
                    let mut sim = p.run().borrow_mut();
                    let id = sim.act(|m, ctx| m.request(ctx, &user));
                    // Paused, the request runs to its reply at once (the clock moves on by its
                    // latency); playing, it unfolds at the chosen speed.
                    if !p.is_playing() {
                        for _ in 0..FAST_FORWARD_EVENTS {
                            if sim.model.record(id).is_some_and(|r| r.done_ms.is_some()) || !sim.step() {
                                break;
                            }
                        }
                    }
                    drop(sim);
                    last_typed.set(Some(id));
                    p.redraw();
                }
            }
        })
    };

    // --- workload form ---
    let field = |f: fn(&mut ConfigForm) -> &mut String| {
        let form = form.clone();
        Callback::from(move |e: InputEvent| {
            let mut next = (*form).clone();
            *f(&mut next) = input_text(&e);
            form.set(next);
        })
    };
    let on_ttl = field(|f| &mut f.ttl);
    let on_rate = field(|f| &mut f.rate);
    let on_users = field(|f| &mut f.users);
    let on_skew = field(|f| &mut f.skew);
    let on_apply = {
        let p = playback.clone();
        let form = form.clone();
        let form_errors = form_errors.clone();
        let seed = seed.clone();
        let write_url = write_url.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let base = p.run().borrow().model.config().clone();
            match form.parse(&base) {
                Err(errs) => form_errors.set(errs.iter().map(ToString::to_string).collect()),
                Ok(config) => {
                    form_errors.set(Vec::new());
                    p.run().borrow_mut().act(|m, ctx| m.set_config(ctx, config.clone()));
                    write_url(*seed, p.speed(), &config);
                    p.redraw();
                }
            }
        })
    };
    let preset = |ttl: u64| {
        let form = form.clone();
        let form_errors = form_errors.clone();
        let p = playback.clone();
        let seed = seed.clone();
        let write_url = write_url.clone();
        Callback::from(move |_: MouseEvent| {
            let mut config = p.run().borrow().model.config().clone();
            config.ttl_s = ttl;
            p.run().borrow_mut().act(|m, ctx| m.set_config(ctx, config.clone()));
            let mut f = (*form).clone();
            f.ttl = ttl.to_string();
            form.set(f);
            form_errors.set(Vec::new());
            write_url(*seed, p.speed(), &config);
            p.redraw();
        })
    };

    let on_export = {
        let p = playback.clone();
        let export_error = export_error.clone();
        Callback::from(move |_: MouseEvent| {
            let csv = records_csv(p.run().borrow().model.records());
            export_error.set(download_text("cache-aside-requests.csv", "text/csv", &csv).err());
        })
    };

    // --- what to draw ---
    let sim = run.borrow();
    let model = &sim.model;
    let now: SimTime = sim.now();
    let now_ms = model.elapsed_ms(now);
    let totals = model.totals();
    let config = model.config().clone();
    let records = model.records();
    let latest: Vec<_> = records.iter().rev().take(PATHS_SHOWN).cloned().collect();
    let rows: Vec<_> = records.iter().rev().take(ROWS_SHOWN).cloned().collect();
    let dots: Vec<Dot> = records
        .iter()
        .rev()
        .filter_map(|r| r.latency_ms().map(|l| Dot { t_s: r.start_ms as f64 / 1000.0, ms: l as f64, hit: r.outcome.is_hit() }))
        .take(DOTS_SHOWN)
        .collect();
    let ratio_series = {
        let b: Vec<_> = model.ratio_buckets().iter().copied().collect();
        let skip = b.len().saturating_sub(RATIO_SECONDS);
        let mut window = Vec::new();
        let mut cumulative = Vec::new();
        let (mut ch, mut cm) = (0u64, 0u64);
        for (i, bk) in b.iter().enumerate() {
            ch += bk.hits;
            cm += bk.misses;
            if i < skip {
                continue;
            }
            let from = i.saturating_sub(4);
            let (h, m) = b[from..=i].iter().fold((0, 0), |(h, m), x| (h + x.hits, m + x.misses));
            let x = bk.second as f64 + 1.0;
            if h + m > 0 {
                window.push((x, 100.0 * h as f64 / (h + m) as f64));
            }
            if ch + cm > 0 {
                cumulative.push((x, 100.0 * ch as f64 / (ch + cm) as f64));
            }
        }
        vec![
            Series { name: "hit ratio, last 5 s (%)".into(), points: window },
            Series { name: "hit ratio since start (%)".into(), points: cumulative },
        ]
    };
    let mut keys = model.store.browse(now, b"*", usize::MAX);
    let key_count = keys.len();
    keys.sort_by(|a, b| b.ttl_ms.cmp(&a.ttl_ms).then(a.key.cmp(&b.key)));
    keys.truncate(8);
    let typed = last_typed.and_then(|id| model.record(id).cloned());
    let clock = (now - sim.start()).clock_string();
    drop(sim);

    let typed_view = typed.map(|r| {
        let (text, class) = match (r.outcome, r.latency_ms()) {
            (_, None) => (format!("{}: in flight…", r.user), "ca-result--pending"),
            (Outcome::Hit, Some(l)) => {
                (format!("{}: HIT in {l} ms — {} repos, straight from Redis", r.user, r.count.unwrap_or(0)), "ca-result--hit")
            }
            (Outcome::Miss { refetch }, Some(l)) => (
                format!(
                    "{}: MISS in {l} ms — {} repos from the API{}, now cached for {} s",
                    r.user,
                    r.count.unwrap_or(0),
                    if refetch { " (the cached answer had expired)" } else { "" },
                    config.ttl_s
                ),
                "ca-result--miss",
            ),
        };
        html! { <p class={classes!("ca-result", class)} role="status" data-testid="ca-result">{ text }</p> }
    });

    html! {
        <section class="panel cache-aside" data-testid="cache-aside" aria-labelledby="cache-aside-title">
            <h2 id="cache-aside-title">{ "Cache-aside: a slow API behind Redis" }</h2>
            <p class="ca-intro">
                { "The app asks Redis first (" }<code>{ "GET <username>" }</code>{ "). A hit answers in about 5 ms; a miss calls the API (about 372 ms) and stores the answer with " }
                <code>{ format!("SETEX <username> {} <count>", config.ttl_s) }</code>{ " so the next request hits until the TTL runs out — as the reference app does, keyed by the username, cached for an hour by default." }
            </p>
            <ParamNotices notices={url.notices().to_vec()} />
            <ControlsBar playing={playback.is_playing()} slider={playback.slider()} clock={clock.clone()}
                behind={playback.behind_text().map(AttrValue::from)} seed={*seed}
                on_toggle={on_toggle} on_step={on_step} on_next={on_next} on_slider={on_slider}
                on_seed={on_seed} on_reset={on_reset} />
            <p class="ca-run-mode" data-testid="ca-run-mode" role="status">
                if playback.is_playing() {
                    { "Running until you pause it: the workload has no end of its own." }
                } else {
                    { format!("Paused at {clock}. A run has no end of its own: Play continues it until you pause again; Reset starts over.") }
                }
            </p>

            <div class="ca-top">
                <div class="ca-forms">
                    <form class="ca-ask" onsubmit={on_request} data-testid="ca-ask">
                        <label class="field">
                            <span>{ "Ask for a user's public repository count" }</span>
                            <input type="text" value={(*user_text).clone()} oninput={on_user_input} data-testid="ca-user"
                                   aria-invalid={user_error.is_some().to_string()} autocomplete="off" spellcheck="false" />
                        </label>
                        <button type="submit" class="button" data-testid="ca-request">{ "Request" }</button>
                    </form>
                    if let Some(err) = &*user_error {
                        <p class="notice notice--error" role="alert" data-testid="ca-user-error">{ err.clone() }</p>
                    }
                    { for typed_view }
                    <form class="ca-workload" onsubmit={on_apply} data-testid="ca-workload">
                        <fieldset>
                            <legend>{ "Cache and workload" }</legend>
                            <div class="form-grid">
                                <label class="field"><span>{ "TTL (s)" }</span>
                                    <input type="text" inputmode="numeric" value={form.ttl.clone()} oninput={on_ttl} data-testid="ca-ttl" /></label>
                                <label class="field"><span>{ "Requests / s (0 = off)" }</span>
                                    <input type="text" inputmode="decimal" value={form.rate.clone()} oninput={on_rate} data-testid="ca-rate" /></label>
                                <label class="field"><span>{ "Users" }</span>
                                    <input type="text" inputmode="numeric" value={form.users.clone()} oninput={on_users} data-testid="ca-users" /></label>
                                <label class="field"><span>{ "Skew (Zipf s)" }</span>
                                    <input type="text" inputmode="decimal" value={form.skew.clone()} oninput={on_skew} data-testid="ca-skew" /></label>
                            </div>
                            <div class="ca-actions">
                                <button type="submit" class="button" data-testid="ca-apply">{ "Apply" }</button>
                                <span class="ca-presets">
                                    { "TTL:" }
                                    <button type="button" class="button button--quiet" onclick={preset(2)} data-testid="ca-ttl-2">{ "2 s" }</button>
                                    <button type="button" class="button button--quiet" onclick={preset(30)}>{ "30 s" }</button>
                                    <button type="button" class="button button--quiet" onclick={preset(3600)}>{ "1 h" }</button>
                                </span>
                            </div>
                        </fieldset>
                    </form>
                    if !form_errors.is_empty() {
                        <div class="notice notice--error" role="alert" data-testid="ca-config-errors">
                            <ul>{ for form_errors.iter().map(|e| html! { <li>{ e.clone() }</li> }) }</ul>
                        </div>
                    }
                </div>
                <div class="ca-stats">
                    <div class="ca-ratio">
                        <span class="ca-ratio__label">{ "Hit ratio" }</span>
                        <output class="ca-ratio__value" data-testid="ca-hit-ratio">{ percent(totals.hit_ratio()) }</output>
                        <progress class="progress" max="1000" value={(totals.hit_ratio().unwrap_or(0.0) * 1000.0).round().to_string()}
                                  aria-label="hit ratio" />
                    </div>
                    <dl class="ca-figures" data-testid="ca-figures">
                        <div><dt>{ "requests" }</dt><dd data-testid="ca-requests">{ totals.requests }</dd></div>
                        <div><dt>{ "hits" }</dt><dd class="ca-hit">{ totals.hits }</dd></div>
                        <div><dt>{ "misses" }</dt><dd class="ca-miss">{ totals.misses }</dd></div>
                        <div><dt>{ "refetches after expiry" }</dt><dd data-testid="ca-refetches">{ totals.expiry_refetches }</dd></div>
                        <div><dt>{ "mean hit" }</dt><dd>{ ms(totals.mean_hit_ms()) }</dd></div>
                        <div><dt>{ "mean miss" }</dt><dd>{ ms(totals.mean_miss_ms()) }</dd></div>
                        <div><dt>{ "duplicate API calls" }</dt><dd data-testid="ca-duplicates"
                            title="Misses that called the API while another request for the same user was already waiting on it">{ totals.duplicate_origin_calls }</dd></div>
                        <div><dt>{ "API calls" }</dt><dd>{ totals.origin_calls }</dd></div>
                        <div><dt>{ "keys cached" }</dt><dd data-testid="ca-key-count">{ key_count }</dd></div>
                        <div><dt>{ "expired by the cycle" }</dt><dd>{ totals.actively_expired }</dd></div>
                    </dl>
                </div>
            </div>

            <h3>{ "The path of the latest requests" }</h3>
            if latest.is_empty() {
                <p class="ca-empty" data-testid="ca-paths-empty">{ "No request yet: press Request, or Play to start the workload." }</p>
            } else {
                <div class="ca-paths" data-testid="ca-paths">
                    { for latest.into_iter().map(|r| html! { <SequenceDiagram key={r.id} record={r.clone()} now_ms={now_ms} ttl_s={config.ttl_s} /> }) }
                </div>
            }

            <div class="ca-charts">
                <div>
                    <h3>{ "Latency per request" }</h3>
                    <LatencyScatter dots={dots} />
                </div>
                <div>
                    <h3>{ "Hit ratio over time" }</h3>
                    <LineChart title="Hit ratio over time" x_label="virtual time (s)" y_label="hit ratio (%)"
                               series={ratio_series} y_max={Some(100.0)} width={440.0} height={240.0} testid="ca-ratio-chart" />
                </div>
            </div>

            <div class="ca-tables">
                <div>
                    <h3>{ format!("Cached keys ({key_count})") }</h3>
                    <div class="table-scroll">
                        <table class="data-table" data-testid="ca-keys">
                            <thead><tr><th>{ "key" }</th><th>{ "value" }</th><th>{ "TTL" }</th></tr></thead>
                            <tbody>
                                { for keys.iter().map(|k| {
                                    let ttl = k.ttl_ms.unwrap_or(0);
                                    html! {
                                        <tr>
                                            <td><code>{ k.key_display.clone() }</code></td>
                                            <td>{ k.preview.clone() }</td>
                                            <td class="ca-ttl">
                                                <span>{ format!("{:.1} s", ttl as f64 / 1000.0) }</span>
                                                <progress class="progress" max={(config.ttl_s * 1000).to_string()} value={ttl.to_string()} />
                                            </td>
                                        </tr>
                                    }
                                }) }
                            </tbody>
                        </table>
                    </div>
                </div>
                <div>
                    <h3>{ "Latest requests" }</h3>
                    <div class="table-scroll">
                        <table class="data-table" data-testid="ca-requests-table">
                            <thead><tr><th>{ "t (s)" }</th><th>{ "user" }</th><th>{ "result" }</th><th>{ "latency" }</th><th>{ "commands" }</th></tr></thead>
                            <tbody>
                                { for rows.iter().map(|r| {
                                    let (label, class) = match (r.outcome, r.duplicate) {
                                        (Outcome::Hit, _) => ("HIT", "ca-badge ca-badge--hit"),
                                        (Outcome::Miss { .. }, true) => ("MISS (duplicate)", "ca-badge ca-badge--miss"),
                                        (Outcome::Miss { refetch: true }, false) => ("MISS (expired)", "ca-badge ca-badge--miss"),
                                        (Outcome::Miss { refetch: false }, false) => ("MISS", "ca-badge ca-badge--miss"),
                                    };
                                    let cmds: Vec<&str> = r.commands.iter().map(|c| c.command.as_str()).collect();
                                    html! {
                                        <tr data-testid="ca-row">
                                            <td>{ format!("{:.3}", r.start_ms as f64 / 1000.0) }</td>
                                            <td>{ r.user.clone() }{ if r.source == Source::Typed { " ✎" } else { "" } }</td>
                                            <td><span class={class}>{ label }</span></td>
                                            <td data-testid="ca-latency">{ r.latency_ms().map(|l| format!("{l} ms")).unwrap_or_else(|| "…".into()) }</td>
                                            <td class="ca-cmds"><code>{ cmds.join(" · ") }</code></td>
                                        </tr>
                                    }
                                }) }
                            </tbody>
                        </table>
                    </div>
                    <button type="button" class="button button--quiet" onclick={on_export} data-testid="ca-export">{ "Export requests (CSV)" }</button>
                    if let Some(err) = &*export_error {
                        <p class="notice notice--error" role="alert">{ err.clone() }</p>
                    }
                </div>
            </div>
        </section>
    }
}
