//! First/previous/next/last, rows per page, and `Page X of Y`.

use inventory::{PerPage, TableQuery};
use leptos::prelude::*;

use crate::state::use_lens;

/// The pagination bar under the filters.
#[component]
pub fn Pager() -> impl IntoView {
    let lens = use_lens();
    let table = lens.table.page;
    let page_count = move || table.with(|t| t.page_count);
    let has_previous = move || table.with(|t| t.page > 1);
    let has_next = move || table.with(|t| t.page < t.page_count);
    // Page moves start from the page shown (the query's page may lie past the end).
    let go = move |to: fn(&mut TableQuery, u32)| {
        let count = table.with_untracked(|t| t.page_count);
        lens.table.query.update(|q| {
            q.clamp_page(count);
            to(q, count);
        });
    };
    let on_per_page = move |ev: leptos::ev::Event| {
        let value: u32 = event_target_value(&ev)
            .parse()
            .unwrap_or(PerPage::DEFAULT.get());
        if let Some(per) = PerPage::new(value) {
            lens.table.query.update(|q| {
                q.clamp_page(page_count());
                q.set_per_page(per);
            });
        }
    };
    let per_page = move || lens.table.query.with(|q| q.per_page().get());
    view! {
        <nav class="pager" aria-label="Pagination">
            <button type="button" on:click=move |_| go(|q, _| q.first_page()) disabled=move || !has_previous()>
                "First page"
            </button>
            <button
                type="button"
                on:click=move |_| go(|q, _| q.previous_page())
                disabled=move || !has_previous()
            >
                "Previous page"
            </button>
            <span class="page-label">{move || table.with(|t| t.page_label())}</span>
            <button
                type="button"
                on:click=move |_| go(TableQuery::next_page)
                disabled=move || !has_next()
            >
                "Next page"
            </button>
            <button type="button" on:click=move |_| go(TableQuery::last_page) disabled=move || !has_next()>
                "Last page"
            </button>
            <label>
                "Rows per page "
                <select aria-label="Rows per page" on:change=on_per_page prop:value=move || per_page().to_string()>
                    {PerPage::CHOICES
                        .into_iter()
                        .map(|c| {
                            let n = c.get();
                            view! {
                                <option value=n.to_string() selected=move || per_page() == n>
                                    {n}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            <span class="muted">
                <output aria-label="Matching artifacts">
                    {move || table.with(|t| t.total_matching)}
                </output>
                " matching"
            </span>
        </nav>
    }
}
