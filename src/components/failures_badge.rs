//! The header's count of failed requests, which opens their panel.

use leptos::prelude::*;

use super::failed_requests::{close_failures, open_failures, BADGE_ID};
use crate::state::use_lens;

/// `Failed requests (3)`: the button's text and accessible name.
pub fn badge_text(count: usize) -> String {
    format!("Failed requests ({count})")
}

/// The badge's classes: `bad` (red) once anything failed; the count in its text says the
/// same without colour.
pub fn badge_class(count: usize) -> &'static str {
    if count > 0 {
        "failures-badge bad"
    } else {
        "failures-badge"
    }
}

/// `Failed requests (N)` in the page header: neutral at 0, red after a failure; opens
/// and closes the `Failed requests` panel.
#[component]
pub fn FailuresBadge() -> impl IntoView {
    let lens = use_lens();
    let count = move || lens.inventory.failures.with(Vec::len);
    let open = lens.work.failures_open;
    let toggle = move |_| {
        if open.get_untracked() {
            close_failures(lens);
        } else {
            open_failures(lens);
        }
    };
    view! {
        <button
            type="button"
            id=BADGE_ID
            class=move || badge_class(count())
            aria-haspopup="dialog"
            aria-expanded=move || open.get().to_string()
            on:click=toggle
        >
            {move || badge_text(count())}
        </button>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_count_and_turns_red_with_it() {
        assert_eq!(badge_text(0), "Failed requests (0)");
        assert_eq!(badge_text(12), "Failed requests (12)");
        assert_eq!(badge_class(0), "failures-badge");
        assert_eq!(badge_class(1), "failures-badge bad");
    }
}
