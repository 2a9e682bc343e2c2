//! The line under the crawl progress about the cached inventory: its age while the table
//! shows it, and the `Forget cached data` control.

use inventory::format::{exact_time, relative_time};
use leptos::prelude::*;

use crate::cache;
use crate::state::use_app;

/// `Showing the inventory cached 5 minutes ago …` and `Forget cached data`.
#[component]
pub fn CacheNote() -> impl IntoView {
    let app = use_app();
    let line = move || {
        let view = app.cache.get();
        let text = if let Some(at) = view.showing {
            let now = js_sys::Date::now() as i64;
            Some(format!(
                "Showing the inventory cached {} ({}); Load artifacts brings it up to date.",
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
    let error = move || {
        app.cache.with(|c| c.error.clone()).map(|e| {
            view! { <span class="error" role="alert">{format!("Cache: {e}")}</span> }
        })
    };
    view! {
        <p class="cache-note">
            {line}
            " "
            <button type="button" class="more" on:click=move |_| cache::forget(app)>
                "Forget cached data"
            </button>
            {error}
        </p>
    }
}
