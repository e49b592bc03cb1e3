//! The hit ratio and the run's figures (requests, hits, misses, refetches after expiry, mean
//! latencies, duplicate API calls, keys cached, keys the expiry cycle removed), as of the cursor.

use yew::prelude::*;

use crate::redis::cache_aside::Totals;

fn percent(r: Option<f64>) -> String {
    r.map(|v| format!("{:.1} %", v * 100.0)).unwrap_or_else(|| "—".into())
}

fn ms(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.0} ms")).unwrap_or_else(|| "—".into())
}

#[derive(Properties, PartialEq)]
pub struct StatsProps {
    pub totals: Totals,
    pub key_count: usize,
}

#[component]
pub fn Stats(props: &StatsProps) -> Html {
    let t = &props.totals;
    html! {
        <div class="ca-stats">
            <div class="ca-ratio">
                <span class="ca-ratio__label">{ "Hit ratio" }</span>
                <output class="ca-ratio__value" data-testid="ca-hit-ratio">{ percent(t.hit_ratio()) }</output>
                <progress class="progress" max="1000" value={(t.hit_ratio().unwrap_or(0.0) * 1000.0).round().to_string()}
                          aria-label="hit ratio" />
            </div>
            <dl class="ca-figures" data-testid="ca-figures">
                <div><dt>{ "requests" }</dt><dd data-testid="ca-requests">{ t.requests }</dd></div>
                <div><dt>{ "hits" }</dt><dd class="ca-hit">{ t.hits }</dd></div>
                <div><dt>{ "misses" }</dt><dd class="ca-miss">{ t.misses }</dd></div>
                <div><dt>{ "refetches after expiry" }</dt><dd data-testid="ca-refetches">{ t.expiry_refetches }</dd></div>
                <div><dt>{ "mean hit" }</dt><dd>{ ms(t.mean_hit_ms()) }</dd></div>
                <div><dt>{ "mean miss" }</dt><dd>{ ms(t.mean_miss_ms()) }</dd></div>
                <div><dt>{ "duplicate API calls" }</dt><dd data-testid="ca-duplicates"
                    title="Misses that called the API while another request for the same user was already waiting on it">{ t.duplicate_origin_calls }</dd></div>
                <div><dt>{ "API calls" }</dt><dd>{ t.origin_calls }</dd></div>
                <div><dt>{ "keys cached" }</dt><dd data-testid="ca-key-count">{ props.key_count }</dd></div>
                <div><dt>{ "expired by the cycle" }</dt><dd>{ t.actively_expired }</dd></div>
            </dl>
        </div>
    }
}
