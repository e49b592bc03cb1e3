//! The page's forms: the cluster and workload settings (applied by restarting the run) and the
//! fault panel (partition, latency, resharding), each turning text into a core value or an error
//! that names the field and what it accepts.

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::cluster::client::ScaleReads;
use crate::cluster::config::{port_of, NodeIdx};
use crate::cluster::scenario::{Action, Scenario, PRESETS};

fn input_value(e: &InputEvent) -> String {
    e.target_unchecked_into::<HtmlInputElement>().value()
}

/// The settings as typed.
#[derive(Clone, Debug, PartialEq)]
pub struct SettingsText {
    pub timeout: String,
    pub masters: String,
    pub replicas: String,
    pub lag: String,
    pub reads: String,
    pub writes: String,
    pub scale: String,
}

impl SettingsText {
    pub fn of(s: &Scenario) -> SettingsText {
        SettingsText {
            timeout: s.cluster.node_timeout_ms.to_string(),
            masters: s.cluster.masters.to_string(),
            replicas: s.cluster.replicas.to_string(),
            lag: s.repl_lag_ms.to_string(),
            reads: s.workload.read_rate.to_string(),
            writes: s.workload.write_rate.to_string(),
            scale: s.client.scale_reads.name().to_string(),
        }
    }

    /// The scenario `base` with these settings, or every problem found.
    pub fn apply(&self, base: &Scenario) -> Result<Scenario, Vec<String>> {
        let mut s = base.clone();
        let mut errors = Vec::new();
        let int = |name: &str, text: &str, errors: &mut Vec<String>, what: &str| -> Option<u64> {
            match text.trim().parse::<u64>() {
                Ok(v) => Some(v),
                Err(_) => {
                    errors.push(format!("{name} {text:?} is not a whole number: enter {what}"));
                    None
                }
            }
        };
        let num = |name: &str, text: &str, errors: &mut Vec<String>| -> Option<f64> {
            match text.trim().parse::<f64>() {
                Ok(v) if v.is_finite() => Some(v),
                _ => {
                    errors.push(format!("{name} {text:?} is not a number: enter 0 to 2000"));
                    None
                }
            }
        };
        if let Some(v) = int("node timeout", &self.timeout, &mut errors, "500 to 60000 ms") {
            s.cluster.node_timeout_ms = v;
        }
        if let Some(v) = int("masters", &self.masters, &mut errors, "3 to 9") {
            s.cluster.masters = v as usize;
        }
        if let Some(v) = int("replicas per master", &self.replicas, &mut errors, "0, 1 or 2") {
            s.cluster.replicas = v as usize;
        }
        if let Some(v) = int("replication lag", &self.lag, &mut errors, "0 to 10000 ms") {
            s.repl_lag_ms = v;
        }
        if let Some(v) = num("reads per second", &self.reads, &mut errors) {
            s.workload.read_rate = v;
        }
        if let Some(v) = num("writes per second", &self.writes, &mut errors) {
            s.workload.write_rate = v;
        }
        s.client.scale_reads = match self.scale.as_str() {
            "slave" => ScaleReads::Slave,
            "all" => ScaleReads::All,
            _ => ScaleReads::Master,
        };
        if errors.is_empty() {
            if let Err(e) = s.validate() {
                errors.push(e.to_string());
            }
        }
        if errors.is_empty() {
            Ok(s)
        } else {
            Err(errors)
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct SettingsProps {
    pub scenario: Scenario,
    pub on_apply: Callback<Scenario>,
    pub on_preset: Callback<String>,
}

#[component]
pub fn Settings(props: &SettingsProps) -> Html {
    let text = use_state(|| SettingsText::of(&props.scenario));
    let errors = use_state(Vec::<String>::new);
    {
        let text = text.clone();
        let errors = errors.clone();
        use_effect_with(props.scenario.clone(), move |s| {
            text.set(SettingsText::of(s));
            errors.set(Vec::new());
        });
    }
    let field = |f: fn(&mut SettingsText) -> &mut String| {
        let text = text.clone();
        Callback::from(move |e: InputEvent| {
            let mut t = (*text).clone();
            *f(&mut t) = input_value(&e);
            text.set(t);
        })
    };
    let on_scale = {
        let text = text.clone();
        Callback::from(move |e: Event| {
            let mut t = (*text).clone();
            t.scale = e.target_unchecked_into::<HtmlSelectElement>().value();
            text.set(t);
        })
    };
    let onsubmit = {
        let text = text.clone();
        let errors = errors.clone();
        let base = props.scenario.clone();
        let cb = props.on_apply.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match text.apply(&base) {
                Ok(s) => {
                    errors.set(Vec::new());
                    cb.emit(s);
                }
                Err(es) => errors.set(es),
            }
        })
    };
    let preset_button = |id: &'static str| {
        let cb = props.on_preset.clone();
        let current = props.scenario.preset == id;
        html! {
            <button type="button" class={classes!("button", (!current).then_some("button--quiet"))} aria-pressed={current.to_string()}
                    onclick={Callback::from(move |_: MouseEvent| cb.emit(id.to_string()))} data-testid={format!("preset-{id}")}>{ id }</button>
        }
    };
    let description = PRESETS.iter().find(|(id, _)| *id == props.scenario.preset).map_or("", |(_, d)| *d);
    html! {
        <div class="cl-settings">
            <div class="cl-presets" role="group" aria-label="Presets">
                { for PRESETS.iter().map(|(id, _)| preset_button(id)) }
            </div>
            <p class="cl-muted" data-testid="preset-description">{ description }</p>
            <form {onsubmit} data-testid="settings-form">
                <div class="form-grid">
                    <label class="field"><span>{ "node timeout (ms)" }</span>
                        <input type="text" inputmode="numeric" maxlength="24" value={text.timeout.clone()} oninput={field(|t| &mut t.timeout)} data-testid="setting-timeout" /></label>
                    <label class="field"><span>{ "masters" }</span>
                        <input type="text" inputmode="numeric" maxlength="24" value={text.masters.clone()} oninput={field(|t| &mut t.masters)} data-testid="setting-masters" /></label>
                    <label class="field"><span>{ "replicas per master" }</span>
                        <input type="text" inputmode="numeric" maxlength="24" value={text.replicas.clone()} oninput={field(|t| &mut t.replicas)} data-testid="setting-replicas" /></label>
                    <label class="field"><span>{ "replication lag (ms)" }</span>
                        <input type="text" inputmode="numeric" maxlength="24" value={text.lag.clone()} oninput={field(|t| &mut t.lag)} data-testid="setting-lag" /></label>
                    <label class="field"><span>{ "reads / s" }</span>
                        <input type="text" inputmode="decimal" maxlength="24" value={text.reads.clone()} oninput={field(|t| &mut t.reads)} data-testid="setting-reads" /></label>
                    <label class="field"><span>{ "writes / s" }</span>
                        <input type="text" inputmode="decimal" maxlength="24" value={text.writes.clone()} oninput={field(|t| &mut t.writes)} data-testid="setting-writes" /></label>
                    <label class="field"><span>{ "reads go to (scaleReads)" }</span>
                        <select onchange={on_scale} data-testid="setting-scale">
                            { for ["master", "slave", "all"].iter().map(|o| html! { <option value={*o} selected={text.scale == *o}>{ *o }</option> }) }
                        </select></label>
                </div>
                <button type="submit" class="button cl-apply" data-testid="settings-apply">{ "Apply and restart" }</button>
            </form>
            if !errors.is_empty() {
                <div class="notice notice--error" role="alert" data-testid="settings-errors">
                    <ul>{ for errors.iter().map(|e| html! { <li>{ e.clone() }</li> }) }</ul>
                </div>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct FaultsProps {
    pub nodes: usize,
    pub apps: usize,
    pub selected_nodes: Vec<NodeIdx>,
    pub selected_apps: Vec<usize>,
    pub partitioned: bool,
    pub on_toggle_app: Callback<usize>,
    pub on_action: Callback<Action>,
}

/// Partition the selected nodes and applications, add latency, reshard.
#[component]
pub fn Faults(props: &FaultsProps) -> Html {
    let latency_node = use_state(|| 0usize);
    let latency_ms = use_state(|| "200".to_string());
    let reshard = use_state(|| ("0".to_string(), "1".to_string(), "1000".to_string()));
    let error = use_state(|| None::<String>);
    let act = props.on_action.clone();
    let cut = {
        let act = act.clone();
        let (nodes, apps) = (props.selected_nodes.clone(), props.selected_apps.clone());
        let error = error.clone();
        Callback::from(move |_: MouseEvent| {
            if nodes.is_empty() && apps.is_empty() {
                error.set(Some(
                    "Choose what to cut off first: tick \"cut off\" on node cards or applications below.".into(),
                ));
            } else {
                error.set(None);
                act.emit(Action::Partition { nodes: nodes.clone(), clients: apps.clone() });
            }
        })
    };
    let heal = {
        let act = act.clone();
        Callback::from(move |_: MouseEvent| act.emit(Action::Heal))
    };
    let node_select = |value: usize, on: Callback<usize>, testid: &str, label: &str| {
        let onchange = Callback::from(move |e: Event| {
            if let Ok(v) = e.target_unchecked_into::<HtmlSelectElement>().value().parse::<usize>() {
                on.emit(v);
            }
        });
        html! {
            <select {onchange} aria-label={label.to_string()} data-testid={testid.to_string()}>
                { for (0..props.nodes).map(|i| html! { <option value={i.to_string()} selected={i == value}>{ format!("127.0.0.1:{}", port_of(i)) }</option> }) }
            </select>
        }
    };
    let on_latency = {
        let act = act.clone();
        let (node, ms) = (latency_node.clone(), latency_ms.clone());
        let error = error.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match ms.trim().parse::<u64>() {
                Ok(v) if v <= 5000 => {
                    error.set(None);
                    act.emit(Action::Latency { node: *node, ms: v });
                }
                _ => error
                    .set(Some(format!("Latency {:?} is not accepted: enter whole milliseconds from 0 to 5000.", *ms))),
            }
        })
    };
    let on_reshard = {
        let act = act.clone();
        let reshard = reshard.clone();
        let error = error.clone();
        let nodes = props.nodes;
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (from, to, count) = (*reshard).clone();
            match (from.parse::<usize>(), to.parse::<usize>(), count.trim().parse::<u32>()) {
                (Ok(f), Ok(t), Ok(c)) if f < nodes && t < nodes && f != t && (1..=16384).contains(&c) => {
                    error.set(None);
                    act.emit(Action::Reshard { from: f, to: t, slots: c });
                }
                (Ok(f), Ok(t), _) if f == t => error.set(Some("Resharding needs two different nodes.".into())),
                _ => error.set(Some(format!(
                    "Slots to move {count:?} is not accepted: enter a whole number from 1 to 16384."
                ))),
            }
        })
    };
    let set_reshard = |k: usize| {
        let reshard = reshard.clone();
        Callback::from(move |v: usize| {
            let mut r = (*reshard).clone();
            if k == 0 {
                r.0 = v.to_string();
            } else {
                r.1 = v.to_string();
            }
            reshard.set(r);
        })
    };
    html! {
        <div class="cl-faults" data-testid="faults">
            <fieldset>
                <legend>{ "Partition" }</legend>
                <p class="cl-muted">{ "Tick \"cut off\" on node cards and pick applications: they lose contact with everything else." }</p>
                <div class="cl-apps">
                    { for (0..props.apps).map(|a| {
                        let on = props.on_toggle_app.clone();
                        html! {
                            <label class="cl-check">
                                <input type="checkbox" checked={props.selected_apps.contains(&a)} onclick={Callback::from(move |_: MouseEvent| on.emit(a))} data-testid={format!("app-{a}-cut")} />
                                { format!("application {}", a + 1) }
                            </label>
                        }
                    }) }
                </div>
                <div class="cl-row">
                    <button type="button" class="button" onclick={cut} data-testid="partition">{ "Cut off the selection" }</button>
                    <button type="button" class="button button--quiet" onclick={heal} disabled={!props.partitioned} data-testid="heal">{ "Heal" }</button>
                </div>
            </fieldset>
            <fieldset>
                <legend>{ "Latency" }</legend>
                <form class="cl-row" onsubmit={on_latency}>
                    { node_select(*latency_node, { let n = latency_node.clone(); Callback::from(move |v| n.set(v)) }, "latency-node", "node to slow down") }
                    <input type="text" inputmode="numeric" maxlength="24" size="6" value={(*latency_ms).clone()} aria-label="extra latency (ms)"
                           oninput={{ let l = latency_ms.clone(); Callback::from(move |e: InputEvent| l.set(input_value(&e))) }} data-testid="latency-ms" />
                    <span class="cl-muted">{ "ms" }</span>
                    <button type="submit" class="button button--quiet" data-testid="latency-apply">{ "Set" }</button>
                </form>
            </fieldset>
            <fieldset>
                <legend>{ "Reshard (redis-cli --cluster reshard)" }</legend>
                <form class="cl-row" onsubmit={on_reshard}>
                    { node_select(reshard.0.parse().unwrap_or(0), set_reshard(0), "reshard-from", "move slots from node") }
                    <span>{ "→" }</span>
                    { node_select(reshard.1.parse().unwrap_or(1), set_reshard(1), "reshard-to", "move slots to node") }
                    <input type="text" inputmode="numeric" maxlength="24" size="6" value={reshard.2.clone()} aria-label="slots to move"
                           oninput={{ let r = reshard.clone(); Callback::from(move |e: InputEvent| { let mut v = (*r).clone(); v.2 = input_value(&e); r.set(v); }) }} data-testid="reshard-slots" />
                    <span class="cl-muted">{ "slots" }</span>
                    <button type="submit" class="button button--quiet" data-testid="reshard-start">{ "Start" }</button>
                </form>
            </fieldset>
            if let Some(e) = &*error {
                <p class="notice notice--error" role="alert" data-testid="faults-error">{ e.clone() }</p>
            }
        </div>
    }
}
