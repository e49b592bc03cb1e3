//! "Expiry at work": keys held (DBSIZE) against keys still readable over the last minute. The gap
//! between the lines is expired keys that no one has touched and that Redis's active cycle
//! (sample 20 keys with a TTL every 100 ms, repeat while over 25 % were expired) has not reached yet.

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
    let Some(last) = props.samples.last() else { return html! {} };
    let ago = |s: &ExpirySample| -(last.at.saturating_since(s.at).as_millis() as f64) / 1000.0;
    let held: Vec<(f64, f64)> = props.samples.iter().map(|s| (ago(s), s.held as f64)).collect();
    let live: Vec<(f64, f64)> = props.samples.iter().map(|s| (ago(s), s.live as f64)).collect();
    let stats = props.store.0.borrow().stats().clone();
    let pending = last.held.saturating_sub(last.live);
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
                    title="Keys held (DBSIZE) and keys still readable"
                    x_label="seconds (0 = now)"
                    y_label="keys"
                    series={vec![
                        Series { name: "held (DBSIZE)".into(), points: held },
                        Series { name: "readable (not expired)".into(), points: live },
                    ]}
                    width={640.0}
                    height={220.0}
                    testid={Some(AttrValue::from("redis-expiry-chart"))}
                />
                <dl class="redis-expiry__facts">
                    <div><dt>{ "Expired, not yet reclaimed" }</dt><dd data-testid="redis-expiry-pending">{ pending }</dd></div>
                    <div><dt>{ "Keys reclaimed by expiry" }</dt><dd>{ stats.expired_keys }</dd></div>
                    <div><dt>{ "Active-expire cycles run" }</dt><dd>{ stats.active_expire_cycles }</dd></div>
                </dl>
            </div>
            <p class="redis-muted redis-expiry__note">
                { "An expired key is invisible at once (the browser and GET skip it), but memory is only freed when a command touches it \
                   (lazy expiry) or the active cycle samples it. With few expired keys among many TTLs, sampling finds them slowly: \
                   the lines close gradually." }
            </p>
        </div>
    }
}
