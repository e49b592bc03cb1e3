//! TCP vs UDP over one lossy link: the core's [`run_transport`] report side by side, TCP's
//! per-message latency (head-of-line blocking shows as spikes) and its congestion window.

use yew::prelude::*;

use crate::messaging::run_transport;
use crate::messaging::transport::LinkParams;
use crate::ui::components::{LineChart, Series};
use crate::ui::hooks::use_frame_job;

#[derive(Properties, PartialEq)]
pub struct TransportViewProps {
    pub seed: u64,
    pub loss: f64,
}

#[component]
pub fn TransportView(props: &TransportViewProps) -> Html {
    let report = use_state(|| None);
    let job = use_frame_job();
    {
        // Run on a frame of its own, after the page has painted.
        let report = report.clone();
        let job = job.clone();
        use_effect_with((props.seed, props.loss.to_bits()), move |(seed, loss)| {
            let (seed, loss) = (*seed, f64::from_bits(*loss));
            report.set(None);
            job.start(move || {
                let p = LinkParams { loss, ..LinkParams::default() };
                report.set(Some(run_transport(&p, seed).map_err(|e| e.to_string())));
                false
            });
        });
    }
    let p = LinkParams { loss: props.loss, ..LinkParams::default() };
    let body = match &*report {
        None => html! { <p class="msg-muted" role="status">{ "Running both transports…" }</p> },
        Some(Err(e)) => html! { <p class="notice notice--error" role="status">{ e.clone() }</p> },
        Some(Ok(r)) => {
            let (t, u) = (&r.tcp, &r.udp);
            let latency = vec![Series {
                name: "TCP write → delivery".into(),
                points: t.latency.iter().map(|(m, ms)| (f64::from(*m), *ms as f64)).collect(),
            }];
            let cwnd = vec![Series {
                name: "cwnd (segments)".into(),
                points: t.cwnd.iter().map(|(ms, c, _)| (*ms as f64 / 1000.0, *c)).collect(),
            }];
            html! {
                <>
                    <table class="msg-table" data-testid="msg-transport-table">
                        <thead><tr><th scope="col">{ "" }</th><th scope="col">{ "UDP" }</th><th scope="col">{ "TCP" }</th></tr></thead>
                        <tbody>
                            <tr><th scope="row">{ "sent" }</th><td>{ u.sent }</td><td>{ t.sent }</td></tr>
                            <tr><th scope="row">{ "delivered" }</th><td data-testid="udp-delivered">{ u.delivered }</td><td data-testid="tcp-delivered">{ t.delivered }</td></tr>
                            <tr><th scope="row">{ "lost" }</th><td class={classes!((u.lost > 0).then_some("msg-bad"))}>{ u.lost }</td><td>{ t.sent.saturating_sub(t.delivered) }</td></tr>
                            <tr><th scope="row">{ "duplicated" }</th><td>{ u.duplicated }</td><td>{ "0 (dropped by seq)" }</td></tr>
                            <tr><th scope="row">{ "reordered / in order" }</th><td>{ format!("{} reordered", u.reordered) }</td><td>{ if t.in_order { "in order" } else { "OUT OF ORDER" } }</td></tr>
                            <tr><th scope="row">{ "retransmits" }</th><td>{ "none" }</td><td>{ format!("{} ({} RTO timeouts, {} fast)", t.retransmits, t.timeouts, t.fast_retransmits) }</td></tr>
                            <tr><th scope="row">{ "handshake" }</th><td>{ "none" }</td><td>{ format!("{} ms", t.handshake_ms) }</td></tr>
                            <tr><th scope="row">{ "p50 / p99 latency" }</th><td>{ format!("{} / {} ms", u.p50_ms, u.p99_ms) }</td><td>{ format!("{} / {} ms (max {})", t.p50_ms, t.p99_ms, t.max_ms) }</td></tr>
                        </tbody>
                    </table>
                    <LineChart title="TCP latency per message: head-of-line blocking spikes" x_label="message" y_label="ms"
                        series={latency} height={220.0} log_y={true} testid={AttrValue::from("msg-tcp-latency")} />
                    <LineChart title="TCP congestion window: slow start, then AIMD" x_label="virtual time (s)" y_label="segments"
                        series={cwnd} height={200.0} testid={AttrValue::from("msg-tcp-cwnd")} />
                </>
            }
        }
    };
    html! {
        <div class="panel msg-transport" data-testid="msg-transport">
            <h2>{ "TCP vs UDP over one lossy link" }</h2>
            <p class="msg-muted">
                { format!("{} messages, one every {} ms; loss {:.0} %, duplication {:.0} %, latency {} ms + 0–{} ms jitter. Set the loss with ?loss= in the link (0 to 0.9).",
                    p.messages, p.interval_ms, p.loss * 100.0, p.duplication * 100.0, p.latency_ms, p.jitter_ms) }
            </p>
            { body }
        </div>
    }
}
