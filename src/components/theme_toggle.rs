//! Light, dark, or whatever the system prefers.

use leptos::prelude::*;

use crate::state::local_storage;

/// The three theme choices, cycled by the toggle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Theme {
    System,
    Light,
    Dark,
}

impl Theme {
    fn next(self) -> Theme {
        match self {
            Theme::System => Theme::Light,
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::System,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Theme::System => "Theme: system",
            Theme::Light => "Theme: light",
            Theme::Dark => "Theme: dark",
        }
    }

    /// The stored choice (`localStorage`, never anything secret there).
    fn stored() -> Theme {
        let saved = local_storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten());
        match saved.as_deref() {
            Some("light") => Theme::Light,
            Some("dark") => Theme::Dark,
            _ => Theme::System,
        }
    }

    fn store(self) {
        if let Some(storage) = local_storage() {
            let _ = match self.attribute() {
                Some(value) => storage.set_item(STORAGE_KEY, value),
                None => storage.remove_item(STORAGE_KEY),
            };
        }
    }

    /// The `data-theme` attribute on `<html>`; none follows `prefers-color-scheme`.
    fn attribute(self) -> Option<&'static str> {
        match self {
            Theme::System => None,
            Theme::Light => Some("light"),
            Theme::Dark => Some("dark"),
        }
    }
}

/// Where the choice survives a reload.
const STORAGE_KEY: &str = "harbor-lens.theme";

/// A button that cycles system → light → dark; the choice survives a reload.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let theme = RwSignal::new(Theme::stored());
    // Touches the outside world (the <html> element), hence an effect.
    Effect::new(move || {
        let Some(root) = document().document_element() else {
            return;
        };
        let chosen = theme.get();
        chosen.store();
        let _ = match chosen.attribute() {
            Some(value) => root.set_attribute("data-theme", value),
            None => root.remove_attribute("data-theme"),
        };
    });
    view! {
        <button type="button" class="theme-toggle" on:click=move |_| theme.update(|t| *t = t.next())>
            {move || theme.get().label()}
        </button>
    }
}
