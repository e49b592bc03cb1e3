//! The safety summary strip (eight counters, red when bad), the verdict sentence and the run's
//! status line — all as of the cursor.

use yew::prelude::*;

use super::state::RunRef;
use super::text::{secs, tick};
use crate::lock::Verdict;

#[derive(Properties, PartialEq)]
pub struct SafetySummaryProps {
    pub run: RunRef,
    pub playing: bool,
}

#[component]
pub fn SafetySummary(props: &SafetySummaryProps) -> Html {
    let run = props.run.run.borrow();
    let rt = run.model();
    let now = run.sim().now();
    let now_rel = run.cursor().at_ms;
    let s = rt.scenario();
    let summary = rt.summary(now);
    let tile = |testid: &'static str, label: &'static str, value: String, bad: bool, hint: &'static str| {
        html! {
            <div class={classes!("lk-stat", bad.then_some("lk-stat--bad"))} title={hint}>
                <span class="lk-stat__value" data-testid={testid}>{ value }</span>
                <span class="lk-stat__label">{ label }</span>
            </div>
        }
    };
    let summary_html = html! {
        <section class="lk-summary" aria-label="Safety summary" data-testid="safety-summary">
            { tile("summary-violations", "lease overlaps", summary.violations.to_string(), summary.violations > 0,
                   "Violations of mutual exclusion: intervals where two or more workers believed they held the lock") }
            { tile("summary-violation-time", "two holders for", secs(summary.violation_time_ms), summary.violation_time_ms > 0,
                   "Total time with two or more believers") }
            { tile("summary-dup", "dup / out-of-order jobs", summary.duplicate_or_out_of_order_jobs.to_string(),
                   summary.duplicate_or_out_of_order_jobs > 0, "Jobs processed twice or out of order") }
            { tile("summary-stale-accepted", "harm: stale writes", summary.stale_writes_accepted.to_string(),
                   summary.stale_writes_accepted > 0, "Writes the storage accepted from a worker that no longer held the lock") }
            { tile("summary-stale-rejected", "stale writes rejected", summary.stale_writes_rejected.to_string(), false,
                   "Writes fencing rejected (token lower than the highest seen)") }
            { tile("summary-handovers", "handovers", summary.handovers.to_string(), false, "The lock passed to another worker") }
            { tile("summary-no-holder", "no holder", secs(summary.time_without_holder_ms), false, "Total time nobody held the lock") }
            { tile("summary-jobs", "jobs done", summary.highest_job.to_string(), false, "Highest job number accepted by the storage") }
        </section>
    };

    let verdict_html = {
        let class = match summary.verdict {
            Verdict::Safe => "lk-verdict--safe",
            Verdict::OverlapWithoutHarm => "lk-verdict--overlap",
            Verdict::Harm => "lk-verdict--harm",
        };
        let last_step = s.steps.iter().map(|st| st.at_ms).max();
        html! {
            <div class="lk-status">
                <p class={classes!("lk-verdict", class)} role="status" data-testid="summary-verdict">{ summary.verdict.sentence() }</p>
                <p class="lk-runstatus" data-testid="run-status">
                    { if props.playing { "Running" } else { "Paused" } }
                    { format!(" at {}. ", tick(now_rel)) }
                    <strong>{ "This run goes on until you pause it" }</strong>
                    { match last_step {
                        Some(ms) => format!(" (the scripted faults are over after {}; the CLI's run length is {}).", tick(ms), secs(s.duration_ms)),
                        None => format!(" (no scripted faults; the CLI's run length is {}).", secs(s.duration_ms)),
                    } }
                </p>
            </div>
        }
    };

    html! { <>{ summary_html }{ verdict_html }</> }
}
