//! The Yew skin.
