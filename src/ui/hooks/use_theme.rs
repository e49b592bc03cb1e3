//! `use_theme`: light or dark, following `prefers-color-scheme` until the user picks one, which is
//! then remembered in localStorage and applied as `<html data-theme="…">`.

use gloo_storage::{LocalStorage, Storage};
use yew::prelude::*;

pub const THEME_STORAGE_KEY: &str = "dsp.theme";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

impl Theme {
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
    pub fn parse(s: &str) -> Option<Theme> {
        match s {
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            _ => None,
        }
    }
    pub fn other(self) -> Theme {
        match self {
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::Light,
        }
    }
}

/// The theme in force: the stored choice, else the system preference.
pub fn initial_theme() -> Theme {
    if let Some(t) = LocalStorage::raw().get_item(THEME_STORAGE_KEY).ok().flatten().as_deref().and_then(Theme::parse) {
        return t;
    }
    let dark = web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches());
    if dark {
        Theme::Dark
    } else {
        Theme::Light
    }
}

fn apply(theme: Theme) {
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = root.set_attribute("data-theme", theme.as_str());
    }
}

#[derive(Clone, PartialEq)]
pub struct ThemeHandle {
    theme: UseStateHandle<Theme>,
}

impl ThemeHandle {
    pub fn theme(&self) -> Theme {
        *self.theme
    }
    /// Switches to the other theme and remembers the choice.
    pub fn toggle(&self) {
        let next = self.theme.other();
        // Storage may be full or disabled (private mode): the toggle still works for this visit.
        let _ = LocalStorage::raw().set_item(THEME_STORAGE_KEY, next.as_str());
        apply(next);
        self.theme.set(next);
    }
}

#[hook]
pub fn use_theme() -> ThemeHandle {
    let theme = use_state(initial_theme);
    use_effect_with(*theme, |t| apply(*t));
    ThemeHandle { theme }
}
