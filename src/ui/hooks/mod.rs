//! Hooks: one per file, each returning a handle with intent methods.

pub mod use_click_away;
pub mod use_theme;

pub use use_click_away::use_click_away;
pub use use_theme::{use_theme, Theme, ThemeHandle};
