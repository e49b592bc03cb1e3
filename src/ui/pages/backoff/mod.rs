//! The backoff playground page: one retried call as a sequence diagram, the AWS contention
//! experiment as a chunked sweep with charts, a thundering herd with and without a retry budget,
//! and what each jitter formula means. Everything it shows is computed by `crate::backoff`; this
//! module only reads the URL, turns form entries into core parameters and draws results.

pub mod contention;
pub mod diagram;
pub mod fields;
pub mod herd;
pub mod live;
pub mod one_call;

use std::cell::RefCell;
use std::rc::Rc;

use yew::prelude::*;

use crate::backoff::RetryQuery;
use crate::sim::{QueryParams, SimParams};
use crate::ui::components::{PageHeader, ParamNotices};
use crate::ui::hooks::use_url_params;
use crate::ui::Route;
use contention::{read_sweep, Contention, SweepForm};
use herd::{read_herd, Herd, HerdForm};
use one_call::{read_query, OneCall};

/// Everything the page keeps in its URL.
#[derive(Clone, Debug, PartialEq)]
pub struct BackoffUrl {
    pub sim: SimParams,
    pub one_call: RetryQuery,
    pub sweep: SweepForm,
    pub herd: HerdForm,
    /// The live contention run: open or not, its settings, action log and cursor.
    pub live: Rc<live::LiveUrl>,
}

pub fn read_url(q: &mut QueryParams) -> BackoffUrl {
    BackoffUrl {
        sim: SimParams::read(q),
        one_call: read_query(q),
        sweep: read_sweep(q),
        herd: read_herd(q),
        live: Rc::new(live::read_live(q)),
    }
}

/// The URL's parts as the sections last reported them.
#[derive(Default)]
struct UrlParts {
    seed: u64,
    sections: [Vec<(String, String)>; 4],
}

#[component]
pub fn BackoffPage() -> Html {
    let info = super::info(Route::Backoff);
    let url = use_url_params(read_url);
    let initial = url.initial().clone();
    let seed = use_state(|| initial.sim.seed);
    let parts: Rc<RefCell<UrlParts>> = use_mut_ref(|| {
        let mut p = UrlParts { seed: initial.sim.seed, ..UrlParts::default() };
        p.sections[3] = initial.live.pairs();
        p
    });

    let write = {
        let (url, parts) = (url.clone(), parts.clone());
        Rc::new(move || {
            let p = parts.borrow();
            let mut all = vec![("seed".to_string(), p.seed.to_string())];
            for s in &p.sections {
                all.extend(s.iter().cloned());
            }
            url.write(all);
        })
    };
    let on_pairs = |i: usize| {
        let (parts, write) = (parts.clone(), write.clone());
        Callback::from(move |pairs: Vec<(String, String)>| {
            parts.borrow_mut().sections[i] = pairs;
            write();
        })
    };
    let on_seed = {
        let (parts, write, seed) = (parts.clone(), write.clone(), seed.clone());
        Callback::from(move |s: u64| {
            parts.borrow_mut().seed = s;
            seed.set(s);
            write();
        })
    };

    html! {
        <section class="model-page backoff-page" data-testid="page-backoff">
            <PageHeader title={info.title} lede={info.lede} />
            <ParamNotices notices={url.notices().to_vec()} />
            <OneCall initial={initial.one_call.clone()} seed={*seed} initial_speed={initial.sim.speed}
                     on_seed={on_seed.clone()} on_pairs={on_pairs(0)} />
            <Contention initial={initial.sweep} seed={*seed} on_pairs={on_pairs(1)} on_seed={on_seed.clone()}
                        live={initial.live.clone()} on_live_pairs={on_pairs(3)} />
            <Herd initial={initial.herd} seed={*seed} on_pairs={on_pairs(2)} />
            <JitterExplained />
        </section>
    }
}

/// One paragraph per strategy: what it does in plain words, and its formula.
#[component]
fn JitterExplained() -> Html {
    let items: [(&str, &str, &str); 7] = [
        ("None", "retry at once", "Retrying immediately hammers a struggling server and, with many clients, makes every collision happen again straight away. It makes the most calls of all."),
        ("Constant", "sleep = d", "Always the same pause. Better than nothing, but clients that failed together come back together."),
        ("Exponential (no jitter)", "sleep = min(cap, base × 2ⁿ)", "The pause doubles after each failure (the reference: 200, 400, 800, 1600 ms). Load drops quickly, but everybody who failed at the same moment waits exactly as long and collides again — the retries arrive in waves."),
        ("Full jitter", "sleep = random_between(0, min(cap, base × 2ⁿ))", "Pick any pause from zero up to the exponential one. The retries spread over the whole window, so few collide: in the AWS experiment it needs the fewest calls, at the price of some very short waits."),
        ("Equal jitter", "t = min(cap, base × 2ⁿ); sleep = t/2 + random_between(0, t/2)", "Keep half of the exponential pause and randomise the other half: never a very short wait, a bit more spread than none. Slightly more work than full jitter."),
        ("Decorrelated jitter", "sleep = min(cap, random_between(base, previous sleep × 3))", "Each pause is drawn from base up to three times the previous one, so it grows roughly like the exponential one without a retry counter, and clients drift apart. Close to full jitter in calls, often a little faster."),
        ("gRPC connection backoff", "deadline = start + backoff; backoff: 1 s, then × 1.6 each time, ± 20 % random, at most 120 s", "gRPC's reconnect schedule (grpc/grpc doc/connection-backoff.md): a gentler growth than doubling, jittered by ±20 % so that a fleet of clients does not reconnect in lockstep after an outage. The backoff is measured from one attempt's start to the next, and every attempt may take at least 20 s (MIN_CONNECT_TIMEOUT) to connect."),
    ];
    html! {
        <section class="panel bo-section" data-testid="jitter-explained" aria-labelledby="bo-jitter-h">
            <h2 id="bo-jitter-h">{ "The strategies in plain words" }</h2>
            <p class="bo-muted">{ "n counts retries from 1; random_between(a, b) is a uniform whole number from a to b. The jittered three are the AWS Architecture Blog's \"Exponential Backoff And Jitter\"." }</p>
            <dl class="bo-jitter">
                { for items.iter().map(|(name, formula, text)| html! {
                    <div class="bo-jitter__item">
                        <dt>{ *name }</dt>
                        <dd><code class="bo-formula">{ *formula }</code><p>{ *text }</p></dd>
                    </div>
                }) }
            </dl>
        </section>
    }
}
