//! The header's "About" button and its dialog.

use yew::prelude::*;

use super::Modal;

#[component]
pub fn AboutButton() -> Html {
    let open = use_state(|| false);
    let onclick = {
        let open = open.clone();
        Callback::from(move |_| open.set(true))
    };
    let on_close = {
        let open = open.clone();
        Callback::from(move |_| open.set(false))
    };
    html! {
        <>
            <button type="button" class="button button--quiet" data-testid="about-open" aria-haspopup="dialog" {onclick}>{ "About" }</button>
            if *open {
                <Modal title="About this playground" {on_close} testid="about-modal">
                    <p>
                        { "Every playground here is a discrete-event simulation of a real system — a Redis with Redis 7's \
                           replies, lock workers running the reference state machine, clients retrying with backoff, a \
                           fleet behind a load balancer — running in virtual time inside your browser." }
                    </p>
                    <p>
                        { "Runs are deterministic: the same seed and the same actions replay the same run, so a link you \
                           copy shows someone else exactly what you saw. Nothing is sent to a server." }
                    </p>
                    <p>{ "Press Escape or click outside this dialog to close it." }</p>
                </Modal>
            }
        </>
    }
}
