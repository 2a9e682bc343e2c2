//! Light, dark, or whatever the system prefers.

use leptos::prelude::*;

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

    /// The `data-theme` attribute on `<html>`; none follows `prefers-color-scheme`.
    fn attribute(self) -> Option<&'static str> {
        match self {
            Theme::System => None,
            Theme::Light => Some("light"),
            Theme::Dark => Some("dark"),
        }
    }
}

/// A button that cycles system → light → dark.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let theme = RwSignal::new(Theme::System);
    // Touches the outside world (the <html> element), hence an effect.
    Effect::new(move || {
        let Some(root) = document().document_element() else {
            return;
        };
        let _ = match theme.get().attribute() {
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
