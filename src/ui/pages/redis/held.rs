//! A saved dataset the page could not load, shown until the user discards it: why it did not
//! load, that it is kept untouched, a download of it as it is, and Discard (which asks first).

use yew::prelude::*;

use super::storage::{HeldAt, HeldCopy};
use crate::redis::session::human_bytes;

#[derive(Properties, PartialEq)]
pub struct HeldNoticeProps {
    pub copy: HeldCopy,
    pub on_download: Callback<()>,
    pub on_discard: Callback<()>,
}

#[component]
pub fn HeldNotice(props: &HeldNoticeProps) -> Html {
    let c = &props.copy;
    let download = props.on_download.reform(|_: MouseEvent| ());
    let discard = props.on_discard.reform(|_: MouseEvent| ());
    html! {
        <div class="notice notice--error redis-notice redis-held" role="alert" data-testid="redis-held-copy">
            <p>
                <strong>{ "The saved dataset could not be loaded" }</strong>
                { format!(" ({}): {}. ", human_bytes(c.json.len()), c.reason) }
                { "It is kept in this browser exactly as it was saved; download it to keep it elsewhere, and discard it when you no longer need it." }
                if c.at == HeldAt::InPlace {
                    <strong data-testid="redis-held-paused">{ " Until then, changes here are not saved, so the copy is not overwritten." }</strong>
                }
            </p>
            <div class="redis-held__actions">
                <button type="button" class="button" onclick={download} data-testid="redis-held-download">{ "Download the saved copy (JSON)" }</button>
                <button type="button" class="button button--danger" onclick={discard} data-testid="redis-held-discard" aria-haspopup="dialog">{ "Discard it…" }</button>
            </div>
        </div>
    }
}
