//! The animated flow: producers → the broker's key, channel or stream → consumers, with messages
//! as dots moving along the paths, coloured by fate (sent, delivered, duplicate, lost,
//! dead-lettered). Only SVG attributes carry geometry (CSP: no inline styles).

use yew::prelude::*;

use crate::messaging::flow_picture::{dots, height, place, Geometry, CONSUMER_ROWS, MAX_DOTS, PRODUCER_ROWS};
use crate::messaging::trail::{Flow, Node};
use crate::messaging::{ConsumerView, MsgId};

#[derive(Properties, PartialEq)]
pub struct FlowDiagramProps {
    pub flows: Vec<Flow>,
    pub consumers: Vec<ConsumerView>,
    pub producers: u32,
    pub now_ms: u64,
    pub speed: f64,
    /// The key, channel or stream (or "balancer").
    pub broker_label: AttrValue,
    pub broker_up: bool,
    pub partitioned: bool,
    pub dead_letter: Option<AttrValue>,
    pub depth: u64,
    pub selected: Option<u32>,
    pub geometry: Geometry,
    pub on_message: Callback<MsgId>,
}

#[component]
pub fn FlowDiagram(props: &FlowDiagramProps) -> Html {
    let g = props.geometry;
    let n = props.consumers.len() as u32;
    let h = height(n, props.producers);
    let (bx, by) = place(Node::Broker, props.producers, n, g, h);
    let dots = dots(&props.flows, props.now_ms, props.speed, props.producers, n, g);
    let on_dot = {
        let cb = props.on_message.clone();
        Callback::from(move |e: MouseEvent| {
            let id = e
                .target_dyn_into::<web_sys::Element>()
                .and_then(|el| el.get_attribute("data-msg"))
                .and_then(|v| v.parse::<MsgId>().ok());
            if let Some(id) = id {
                cb.emit(id);
            }
        })
    };
    let producers = props.producers.min(PRODUCER_ROWS);
    html! {
        <figure class="msg-flow">
            <svg class="msg-flow__svg" viewBox={format!("0 0 {} {h}", g.w)} role="img" data-testid="msg-flow"
                 aria-label={format!("{} producers send through {} to {n} consumers", props.producers, props.broker_label)}>
                <title>{ "Messages flowing from producers through the broker to the consumers" }</title>
                // Paths
                { for (0..producers).map(|p| {
                    let (x, y) = place(Node::Producer(p), props.producers, n, g, h);
                    html! { <line class="msg-path" x1={x.to_string()} y1={y.to_string()} x2={bx.to_string()} y2={by.to_string()} /> }
                }) }
                { for props.consumers.iter().take(CONSUMER_ROWS as usize).map(|c| {
                    let (x, y) = place(Node::Consumer(c.index), props.producers, n, g, h);
                    let class = classes!("msg-path", props.partitioned.then_some("msg-path--cut"), (!c.up).then_some("msg-path--off"));
                    html! { <line class={class} x1={bx.to_string()} y1={by.to_string()} x2={x.to_string()} y2={y.to_string()} /> }
                }) }
                if props.dead_letter.is_some() {
                    <line class="msg-path msg-path--dead" x1={bx.to_string()} y1={by.to_string()} x2={bx.to_string()} y2={(h - 30.0).to_string()} />
                }
                if props.partitioned {
                    <line class="msg-partition" data-testid="msg-partition-line"
                          x1={((bx + g.consumer_x) / 2.0).to_string()} y1="6" x2={((bx + g.consumer_x) / 2.0).to_string()} y2={(h - 44.0).to_string()} />
                    <text class="msg-label msg-label--bad" x={((bx + g.consumer_x) / 2.0).to_string()} y={(h - 32.0).to_string()} text-anchor="middle">{ "partition" }</text>
                }
                // Dots under the nodes so labels stay readable.
                <g class="msg-dots" onclick={on_dot}>
                    { for dots.iter().map(|d| html! {
                        <circle class={d.class} cx={d.x.to_string()} cy={d.y.to_string()} r="4.5" data-msg={d.msg.to_string()}>
                            <title>{ format!("message {}", d.msg) }</title>
                        </circle>
                    }) }
                </g>
                // Producers
                { for (0..producers).map(|p| {
                    let (x, y) = place(Node::Producer(p), props.producers, n, g, h);
                    html! {
                        <g>
                            <rect class="msg-producer" x={(x - 28.0).to_string()} y={(y - 10.0).to_string()} width="28" height="20" rx="4" />
                            <text class="msg-label" x={(x - 14.0).to_string()} y={(y + 4.0).to_string()} text-anchor="middle">{ format!("P{p}") }</text>
                        </g>
                    }
                }) }
                // Broker
                <rect class={classes!("msg-broker", (!props.broker_up).then_some("msg-broker--down"))}
                      x={(bx - 58.0).to_string()} y={(by - 26.0).to_string()} width="116" height="52" rx="8" />
                <text class="msg-label msg-label--on" x={bx.to_string()} y={(by - 6.0).to_string()} text-anchor="middle">{ props.broker_label.clone() }</text>
                <text class="msg-label msg-label--on" x={bx.to_string()} y={(by + 12.0).to_string()} text-anchor="middle" data-testid="msg-flow-depth">
                    { if props.broker_up { format!("depth {}", props.depth) } else { "down".to_string() } }
                </text>
                if let Some(dl) = &props.dead_letter {
                    <rect class="msg-dead" x={(bx - 70.0).to_string()} y={(h - 32.0).to_string()} width="140" height="22" rx="4" />
                    <text class="msg-label msg-label--strong" x={bx.to_string()} y={(h - 17.0).to_string()} text-anchor="middle">{ dl.clone() }</text>
                }
                // Consumers
                { for props.consumers.iter().take(CONSUMER_ROWS as usize).map(|c| {
                    let (x, y) = place(Node::Consumer(c.index), props.producers, n, g, h);
                    let state = if !c.up { "msg-consumer--down" } else if c.slow > 1.0 { "msg-consumer--slow" } else { "msg-consumer--up" };
                    let index = c.index;
                    let selected = props.selected == Some(index);
                    html! {
                        // Not clickable: the picture is one image to assistive technology (role="img"),
                        // so a consumer is inspected with its card's Inspect button, which Tab reaches.
                        <g class={classes!("msg-consumer", state, selected.then_some("msg-consumer--selected"))}>
                            <title>{ format!("consumer {index}: {} held", c.held.len()) }</title>
                            <rect class="msg-consumer__box" x={(x + 4.0).to_string()} y={(y - 11.0).to_string()} width="60" height="22" rx="4" />
                            <text class="msg-label msg-label--strong" x={(x + 34.0).to_string()} y={(y + 4.0).to_string()} text-anchor="middle">
                                { format!("C{index} · {}", c.held.len()) }
                            </text>
                        </g>
                    }
                }) }
            </svg>
            <figcaption class="msg-muted msg-legend">
                <span><svg class="msg-swatch" viewBox="0 0 10 10" aria-hidden="true"><circle class="msg-dot msg-dot--sent" cx="5" cy="5" r="4" /></svg>{ "sent" }</span>
                <span><svg class="msg-swatch" viewBox="0 0 10 10" aria-hidden="true"><circle class="msg-dot msg-dot--delivered" cx="5" cy="5" r="4" /></svg>{ "delivered" }</span>
                <span><svg class="msg-swatch" viewBox="0 0 10 10" aria-hidden="true"><circle class="msg-dot msg-dot--duplicate" cx="5" cy="5" r="4" /></svg>{ "redelivered (duplicate)" }</span>
                <span><svg class="msg-swatch" viewBox="0 0 10 10" aria-hidden="true"><circle class="msg-dot msg-dot--lost" cx="5" cy="5" r="4" /></svg>{ "lost" }</span>
                <span><svg class="msg-swatch" viewBox="0 0 10 10" aria-hidden="true"><circle class="msg-dot msg-dot--dead" cx="5" cy="5" r="4" /></svg>{ "dead-lettered" }</span>
                <span>{ format!("· the newest {MAX_DOTS} moves at most; click a dot to inspect it (a consumer: its card's Inspect)") }</span>
            </figcaption>
        </figure>
    }
}
