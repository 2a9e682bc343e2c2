//! The line under the crawl progress about the cached inventory: its age while the table
//! shows it, and the `Forget cached data` control.

use inventory::format::{exact_time, relative_time};
use leptos::prelude::*;

use crate::state::{use_lens, CrawlPhase};

/// `Showing the inventory cached 5 minutes ago …` and `Forget cached data`.
#[component]
pub fn CacheNote() -> impl IntoView {
    let lens = use_lens();
    let line = move || {
        let view = lens.inventory.cache.get();
        let refreshing = lens.work.crawl.with(|c| c.phase == CrawlPhase::Refreshing);
        let text = if let Some(at) = view.showing {
            let now = js_sys::Date::now() as i64;
            let next = if refreshing {
                "refreshing the repositories that changed…"
            } else {
                "Refresh or Load artifacts brings it up to date."
            };
            Some(format!(
                "Showing the inventory cached {} ({}); {next}",
                relative_time(Some(at), now),
                exact_time(Some(at))
            ))
        } else if view.forgotten {
            Some("Cached data forgotten.".to_owned())
        } else {
            None
        };
        text.map(|t| view! { <span role="status" aria-label="Cached inventory">{t}</span> })
    };
    let refreshed = move || {
        lens.inventory.cache.with(|c| c.refreshed.clone()).map(|t| {
            view! { <span role="status" aria-label="Refresh summary">{t}</span> }
        })
    };
    let method = move || {
        lens.inventory.cache.with(|c| c.method.clone()).map(|t| {
            view! { " " <span class="muted" role="note" aria-label="Refresh method">{t}</span> }
        })
    };
    let can_refresh = move || {
        lens.inventory.rows.with(|r| !r.is_empty())
            && !lens.work.crawling()
            && lens.inventory.baseline.with(Option::is_some)
    };
    let error = move || {
        lens.inventory.cache.with(|c| c.error.clone()).map(|e| {
            view! { <span class="error" role="alert">{format!("Cache: {e}")}</span> }
        })
    };
    view! {
        <p class="cache-note">
            {line}
            {refreshed}
            {method}
            " "
            <button
                type="button"
                class="more"
                title="List repositories and load artifacts again only where something changed"
                disabled=move || !can_refresh()
                on:click=move |_| crate::actions::crawl::refresh(lens)
            >
                "Refresh"
            </button>
            " "
            <button type="button" class="more" on:click=move |_| crate::actions::cache::forget(lens)>
                "Forget cached data"
            </button>
            {error}
        </p>
    }
}
