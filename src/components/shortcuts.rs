//! Keyboard: `/` focuses the first filter, arrows move through rows, Enter opens a row's
//! details, Esc closes them (and the failed-requests panel), `?` lists these keys.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::artifact_table::row_index;
use super::details_panel::close_details;
use super::failed_requests::close_failures;
use super::filter_bar::FIRST_FILTER_ID;
use crate::state::Lens;

/// Whether the key event comes from a place where typing means text.
fn typing(target: &web_sys::Element) -> bool {
    matches!(target.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
}

/// Focuses the row before or after the focused row.
fn move_row(current: &web_sys::Element, down: bool) -> bool {
    let next = if down {
        current.next_element_sibling()
    } else {
        current.previous_element_sibling()
    };
    match next.and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok()) {
        Some(row) => row.focus().is_ok(),
        None => false,
    }
}

/// Installs the page-wide key handler.
pub fn install_shortcuts(lens: Lens) {
    _ = window_event_listener(leptos::ev::keydown, move |ev| {
        let Some(target) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        else {
            return;
        };
        match ev.key().as_str() {
            "/" if !typing(&target) => {
                if let Some(el) = document()
                    .get_element_by_id(FIRST_FILTER_ID)
                    .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
                {
                    ev.prevent_default();
                    let _ = el.focus();
                }
            }
            "?" if !typing(&target) => {
                ev.prevent_default();
                lens.work.shortcuts_open.update(|open| *open = !*open);
            }
            "Escape" if lens.work.shortcuts_open.get_untracked() => {
                lens.work.shortcuts_open.set(false)
            }
            "Escape" if lens.work.failures_open.get_untracked() => close_failures(lens),
            "Escape" if lens.inventory.selected.get_untracked().is_some() => close_details(lens),
            "Enter" if target.has_attribute("data-row") => {
                ev.prevent_default();
                lens.inventory.selected.set(row_index(&target));
            }
            key @ ("ArrowDown" | "ArrowUp")
                if target.has_attribute("data-row") && move_row(&target, key == "ArrowDown") =>
            {
                ev.prevent_default();
            }
            _ => {}
        }
    });
}

/// The keys, as the `?` list shows them.
const KEYS: [(&str, &str); 6] = [
    ("/", "focus the first filter"),
    ("↓ ↑", "move through the rows of the table"),
    ("Enter", "open the focused row's details"),
    ("Esc", "close this list, the failed requests or the details"),
    ("?", "show or hide this list"),
    ("Enter in the password field", "sign in"),
];

/// The list of keyboard shortcuts, opened with `?`.
#[component]
pub fn ShortcutsHelp() -> impl IntoView {
    let lens = crate::state::use_lens();
    let open = lens.work.shortcuts_open;
    move || {
        open.get().then(|| {
            view! {
                <div class="shortcuts" role="dialog" aria-label="Keyboard shortcuts">
                    <h2>"Keyboard shortcuts"</h2>
                    <dl>
                        {KEYS
                            .iter()
                            .map(|(key, what)| view! { <dt><kbd>{*key}</kbd></dt><dd>{*what}</dd> })
                            .collect_view()}
                    </dl>
                    <button type="button" on:click=move |_| open.set(false)>"Close"</button>
                </div>
            }
        })
    }
}
