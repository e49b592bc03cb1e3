//! "Expiry at work": over the last minute, how many keys have expired but are still held (DBSIZE
//! minus readable keys: no command touched them and Redis's active cycle — every 100 ms sample 20
//! keys with a TTL, repeat while over 10 % were expired, within 25 ms of modeled CPU time, plus a
//! 1 ms fast cycle after one that ran out of time (`redis::expire`) — has not reached them yet), and how
//! fast expiry reclaims them.

use std::rc::Rc;

use yew::prelude::*;

use super::{ExpirySample, StoreHandle, SAMPLES_KEPT, SAMPLE_EVERY_MS};
use crate::ui::components::{LineChart, Series};

#[derive(Properties, PartialEq)]
pub struct ExpiryChartProps {
    pub samples: Rc<Vec<ExpirySample>>,
    pub store: StoreHandle,
    pub version: u64,
}

#[component]
pub fn ExpiryChart(props: &ExpiryChartProps) -> Html {
    let Some(last) = props.samples.last() else {
        return html! {};
    };
    let ago = |s: &ExpirySample| -(last.at.saturating_since(s.at).as_millis() as f64) / 1000.0;
    let pending: Vec<(f64, f64)> =
        props.samples.iter().map(|s| (ago(s), s.held.saturating_sub(s.live) as f64)).collect();
    let rate: Vec<(f64, f64)> = props
        .samples
        .windows(2)
        .map(|w| {
            let dt = w[1].at.saturating_since(w[0].at).as_millis().max(1) as f64 / 1000.0;
            (ago(&w[1]), w[1].reclaimed.saturating_sub(w[0].reclaimed) as f64 / dt)
        })
        .collect();
    let stats = props.store.0.borrow().stats().clone();
    // A narrower drawing on phones keeps the axis text readable once the SVG is scaled down.
    let narrow =
        web_sys::window().and_then(|w| w.inner_width().ok()).and_then(|v| v.as_f64()).is_some_and(|w| w < 600.0);
    let (chart_w, chart_h) = if narrow { (360.0, 220.0) } else { (640.0, 220.0) };
    let waiting = last.held.saturating_sub(last.live);
    html! {
        <div class="panel redis-expiry" data-testid="redis-expiry">
            <div class="redis-panel-head">
                <h2>{ "Expiry at work" }</h2>
                <span class="redis-panel-head__help">
                    { format!("Last {} s, sampled every {} ms", SAMPLES_KEPT as u64 * SAMPLE_EVERY_MS / 1000, SAMPLE_EVERY_MS) }
                </span>
            </div>
            <div class="redis-expiry__body">
                <LineChart
                    title="Expired keys still held, and keys reclaimed per second"
                    x_label="seconds (0 = now)"
                    y_label="keys"
                    series={vec![
                        Series { name: "expired, still held".into(), points: pending },
                        Series { name: "reclaimed per second".into(), points: rate },
                    ]}
                    width={chart_w}
                    height={chart_h}
                    testid={Some(AttrValue::from("redis-expiry-chart"))}
                />
                <dl class="redis-expiry__facts">
                    <div><dt>{ "Keys held (DBSIZE)" }</dt><dd>{ last.held }</dd></div>
                    <div><dt>{ "Readable keys" }</dt><dd>{ last.live }</dd></div>
                    <div><dt>{ "Expired, not yet reclaimed" }</dt><dd data-testid="redis-expiry-pending">{ waiting }</dd></div>
                    <div><dt>{ "Keys reclaimed by expiry" }</dt><dd>{ stats.expired_keys }</dd></div>
                    <div><dt>{ "Active-expire cycles run" }</dt><dd>{ stats.active_expire_cycles }</dd></div>
                </dl>
            </div>
            <p class="redis-muted redis-expiry__note">
                { "An expired key is invisible at once (the browser and GET skip it), but memory is only freed when a command touches it \
                   (lazy expiry) or the active cycle samples it: every 100 ms Redis samples 20 keys with a TTL and samples again while \
                   more than 10 % of a sample had expired, for at most 25 ms. With few expired keys among many TTLs, sampling finds them \
                   slowly: the count falls gradually." }
            </p>
        </div>
    }
}
