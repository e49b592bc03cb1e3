//! The cluster's picture: the 16384-slot bar coloured by owner, and one card per node grouped by
//! shard (a master and its replicas) with its state, epochs, offset and fault buttons.

use yew::prelude::*;

use crate::cluster::config::{port_of, NodeIdx};
use crate::cluster::replication::LinkState;
use crate::cluster::slot::SLOTS;
use crate::cluster::view::{Health, NodeRow, SlotRun};

/// A palette class per node (twelve colours that read on light and dark backgrounds).
pub fn node_class(i: NodeIdx) -> String {
    format!("cl-c{}", i % 12)
}

#[derive(Properties, PartialEq)]
pub struct SlotBarProps {
    pub runs: Vec<SlotRun>,
    /// Whose view the bar shows.
    pub viewer: Option<NodeIdx>,
}

/// The 16384 slots, left to right, each run filled with its owner's colour; the runs are listed
/// below the bar (the bar stretches to any width, so it carries no text).
#[component]
pub fn SlotBar(props: &SlotBarProps) -> Html {
    const W: f64 = 1000.0;
    let x = |s: u16| f64::from(s) / SLOTS as f64 * W;
    let label = |r: &SlotRun| match r.owner {
        Some(o) => format!("{}–{} → :{}", r.first, r.last, port_of(o)),
        None => format!("{}–{} → unassigned", r.first, r.last),
    };
    let shown: Vec<&SlotRun> = props.runs.iter().take(12).collect();
    html! {
        <figure class="cl-slotbar" data-testid="slot-bar">
            <svg viewBox={format!("0 0 {W} 10")} preserveAspectRatio="none" role="img" aria-label="The 16384 hash slots coloured by the master that owns them">
                { for props.runs.iter().map(|r| {
                    let (x0, x1) = (x(r.first), x(r.last) + W / SLOTS as f64);
                    let class = r.owner.map_or("cl-unowned".to_string(), node_class);
                    html! {
                        <rect class={classes!("cl-slotbar__run", class)} x={format!("{x0:.2}")} y="0" width={format!("{:.2}", (x1 - x0).max(0.5))} height="10"
                              data-owner={r.owner.map_or("none".to_string(), |o| o.to_string())} data-testid="slot-run">
                            <title>{ label(r) }</title>
                        </rect>
                    }
                }) }
            </svg>
            <figcaption>
                <ul class="cl-slotbar__legend" data-testid="slot-legend">
                    { for shown.iter().map(|r| html! {
                        <li>
                            <svg class="cl-node__swatch" viewBox="0 0 12 12" aria-hidden="true">
                                <rect class={r.owner.map_or("cl-unowned".to_string(), node_class)} width="12" height="12" rx="3" />
                            </svg>
                            <span class="cl-mono">{ label(r) }</span>
                        </li>
                    }) }
                    if props.runs.len() > shown.len() {
                        <li class="cl-muted">{ format!("… {} more ranges", props.runs.len() - shown.len()) }</li>
                    }
                </ul>
                <span class="cl-muted">
                    { match props.viewer {
                        Some(v) => format!("Slot owners as 127.0.0.1:{} sees them (the node with the newest epoch).", port_of(v)),
                        None => "No node is running.".to_string(),
                    } }
                </span>
            </figcaption>
        </figure>
    }
}

/// What a node card's buttons ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeOp {
    Kill,
    Restart,
    Failover,
    FailoverForce,
    /// Include in / remove from the partition being built.
    TogglePartition,
}

#[derive(Properties, PartialEq)]
pub struct NodeCardProps {
    pub row: NodeRow,
    pub selected: bool,
    pub on_op: Callback<(NodeIdx, NodeOp)>,
}

fn health_text(row: &NodeRow) -> String {
    match row.health {
        Health::Ok => "ok".into(),
        Health::Pfail => format!("pfail (flagged by {})", row.flagged_by),
        Health::Fail => "fail".into(),
        Health::Handshake => "handshake".into(),
        Health::Killed => "killed".into(),
    }
}

#[component]
pub fn NodeCard(props: &NodeCardProps) -> Html {
    let r = &props.row;
    let i = r.idx;
    let op = |o: NodeOp| {
        let cb = props.on_op.clone();
        Callback::from(move |_: MouseEvent| cb.emit((i, o)))
    };
    let role = if r.master { "master" } else { "replica" };
    let link = r.link.map(|l| match l {
        LinkState::Connected => "replicating".to_string(),
        other => format!("link: {}", other.name()),
    });
    html! {
        <li class={classes!("cl-node", format!("cl-node--{}", r.health.name()), r.master.then_some("cl-node--master"), props.selected.then_some("cl-node--selected"))}
            data-testid={format!("node-{i}")}>
            <div class="cl-node__head">
                <svg class="cl-node__swatch" viewBox="0 0 12 12" aria-hidden="true"><rect class={node_class(i)} width="12" height="12" rx="3" /></svg>
                <strong class="cl-mono">{ format!(":{}", port_of(i)) }</strong>
                <span class={classes!("cl-role", format!("cl-role--{role}"))} data-testid={format!("node-{i}-role")}>{ role }</span>
                <span class={classes!("cl-health", format!("cl-health--{}", r.health.name()))} data-testid={format!("node-{i}-health")}>{ health_text(r) }</span>
            </div>
            <dl class="cl-node__facts">
                <div><dt>{ "epoch" }</dt><dd data-testid={format!("node-{i}-epoch")}>{ r.config_epoch }</dd></div>
                <div><dt>{ "offset" }</dt><dd>{ r.offset }</dd></div>
                <div><dt>{ "keys" }</dt><dd>{ r.keys }</dd></div>
                <div><dt>{ "slots" }</dt><dd data-testid={format!("node-{i}-slots")}>{ r.slots }</dd></div>
                <div><dt>{ "state" }</dt><dd>{ r.state.name() }</dd></div>
            </dl>
            <p class="cl-node__note cl-muted">
                { r.name[..8].to_string() }{ "…" }
                if let Some(l) = link { { format!(" · {l}") } }
                if r.partitioned { { " · cut off" } }
                if r.extra_latency_ms > 0 { { format!(" · +{} ms", r.extra_latency_ms) } }
            </p>
            <div class="cl-node__actions">
                if r.alive {
                    <button type="button" class="button button--quiet button--small" onclick={op(NodeOp::Kill)} data-testid={format!("node-{i}-kill")}
                            title="SIGKILL the process: no persistence, its data is gone">{ "Kill" }</button>
                } else {
                    <button type="button" class="button button--quiet button--small" onclick={op(NodeOp::Restart)} data-testid={format!("node-{i}-restart")}
                            title="Start it again from its nodes.conf, without data">{ "Restart" }</button>
                }
                if r.alive && !r.master {
                    <button type="button" class="button button--quiet button--small" onclick={op(NodeOp::Failover)} data-testid={format!("node-{i}-failover")}
                            title="CLUSTER FAILOVER on this replica (a manual failover, coordinated with its master)">{ "Failover" }</button>
                    <button type="button" class="button button--quiet button--small" onclick={op(NodeOp::FailoverForce)}
                            title="CLUSTER FAILOVER FORCE: no agreement with the master">{ "Force" }</button>
                }
                <label class="cl-check" title="Put this node on the cut-off side of the next partition">
                    <input type="checkbox" checked={props.selected} onclick={op(NodeOp::TogglePartition)} data-testid={format!("node-{i}-cut")} />
                    { "cut off" }
                </label>
            </div>
        </li>
    }
}

#[derive(Properties, PartialEq)]
pub struct TopologyProps {
    pub nodes: Vec<NodeRow>,
    pub selected: Vec<NodeIdx>,
    pub on_op: Callback<(NodeIdx, NodeOp)>,
}

/// Masters with their replicas under them.
#[component]
pub fn Topology(props: &TopologyProps) -> Html {
    let masters: Vec<&NodeRow> = props.nodes.iter().filter(|n| n.master).collect();
    let placed: Vec<NodeIdx> = masters
        .iter()
        .flat_map(|m| {
            std::iter::once(m.idx).chain(props.nodes.iter().filter(|n| n.replica_of == Some(m.idx)).map(|n| n.idx))
        })
        .collect();
    let others: Vec<&NodeRow> = props.nodes.iter().filter(|n| !placed.contains(&n.idx)).collect();
    let card = |n: &NodeRow| {
        html! {
            <NodeCard key={n.idx} row={n.clone()} selected={props.selected.contains(&n.idx)} on_op={props.on_op.clone()} />
        }
    };
    html! {
        <div class="cl-topology" data-testid="topology">
            { for masters.iter().map(|m| html! {
                <section class="cl-shard" key={m.idx} data-testid={format!("shard-{}", m.idx)} aria-label={format!("shard of 127.0.0.1:{}", port_of(m.idx))}>
                    <ul class="cl-shard__nodes">
                        { card(m) }
                        { for props.nodes.iter().filter(|n| n.replica_of == Some(m.idx)).map(card) }
                    </ul>
                </section>
            }) }
            if !others.is_empty() {
                <section class="cl-shard cl-shard--others" aria-label="replicas of masters that are gone">
                    <ul class="cl-shard__nodes">{ for others.into_iter().map(card) }</ul>
                </section>
            }
        </div>
    }
}
