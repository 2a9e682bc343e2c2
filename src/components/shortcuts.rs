//! Keyboard: `/` focuses the first filter, arrows move through rows, Esc closes details.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::details_panel::close_details;
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
            "Escape" if lens.inventory.selected.get_untracked().is_some() => close_details(lens),
            key @ ("ArrowDown" | "ArrowUp")
                if target.has_attribute("data-row") && move_row(&target, key == "ArrowDown") =>
            {
                ev.prevent_default();
            }
            _ => {}
        }
    });
}
