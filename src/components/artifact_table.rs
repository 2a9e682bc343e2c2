//! The artifacts table: only the current page's rows are in the DOM.

use harbor_client::slim::{ArtifactRow, LabelRef, TagRow};
use inventory::format::{
    collapse_tags, exact_time, human_size, more_label, name_in_project, relative_time,
    severity_badge, severity_class, severity_counts_long, severity_counts_short, short_id,
};
use inventory::Column;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::components::copy_text;
use crate::state::{use_lens, Lens};

/// How many tags a cell shows before "+N more".
const TAGS_SHOWN: usize = 3;

/// A label colour, only if it is a plain `#rgb`/`#rrggbb` (Harbor data is untrusted).
pub fn safe_color(color: &str) -> Option<String> {
    let hex = color.strip_prefix('#')?;
    let ok = matches!(hex.len(), 3 | 6) && hex.bytes().all(|b| b.is_ascii_hexdigit());
    ok.then(|| format!("#{hex}"))
}

/// Chips for labels, coloured through a CSS custom property (CSSOM, allowed by the CSP).
pub fn label_chips(labels: &[std::sync::Arc<LabelRef>]) -> impl IntoView {
    labels
        .iter()
        .map(|l| {
            let color = safe_color(&l.color).unwrap_or_else(|| "transparent".into());
            view! {
                <span class="label-chip">
                    <span class="label-dot" style=("--label-color", color)></span>
                    {l.name.to_string()}
                </span>
            }
        })
        .collect_view()
}

/// The sortable header cell of one column.
fn header(lens: Lens, column: Column) -> impl IntoView {
    // What `pull_time` means on the Harbor in use, on the Pulled column.
    let note = move || (column == Column::Pulled).then(|| lens.session.pull_time_note());
    view! {
        <th scope="col" class=format!("col-{}", column.param()) title=note aria-sort=move || lens.table.query.with(|q| q.aria_sort(column))>
            <button type="button" on:click=move |_| lens.table.query.update(|q| q.click_sort(column))>
                {column.header()}
                <span class="sort-mark" aria-hidden="true">
                    {move || match lens.table.query.with(|q| q.aria_sort(column)) {
                        "ascending" => " ▲",
                        "descending" => " ▼",
                        _ => "",
                    }}
                </span>
            </button>
        </th>
    }
}

/// One tag's chip.
fn tag_chip(tag: &TagRow) -> impl IntoView {
    view! { <span class="tag" title=tag.name.to_string()>{tag.name.to_string()}</span> }
}

/// Tags, collapsed to a few with a "+N more" toggle. Most rows have nothing to collapse:
/// their cell is plain, so a page change patches it instead of building it again.
fn tags_cell(tags: Vec<TagRow>) -> AnyView {
    if tags.is_empty() {
        return view! { <span class="muted">"untagged"</span> }.into_any();
    }
    if tags.len() <= TAGS_SHOWN {
        return tags.iter().map(tag_chip).collect_view().into_any();
    }
    let expanded = RwSignal::new(false);
    (move || {
        let (shown, hidden) = if expanded.get() {
            (&tags[..], 0)
        } else {
            collapse_tags(&tags, TAGS_SHOWN)
        };
        let text = if hidden > 0 {
            more_label(hidden)
        } else {
            "less".to_owned()
        };
        view! {
            {shown.iter().map(tag_chip).collect_view()}
            <button type="button" class="more" on:click=move |ev| {
                ev.stop_propagation();
                expanded.update(|e| *e = !*e);
            }>{text}</button>
        }
    })
    .into_any()
}

/// `cosign`, `notation`, both, or `no`: which signatures an artifact carries.
fn signed_cell(row: &ArtifactRow) -> String {
    let kinds: Vec<&str> = row
        .accessories
        .iter()
        .filter(|a| a.kind.is_signature())
        .map(|a| a.kind.label().trim_end_matches(" signature"))
        .collect();
    if kinds.is_empty() {
        "no".to_owned()
    } else {
        let mut kinds = kinds;
        kinds.dedup();
        kinds.join(", ")
    }
}

/// One cell of `row` in `column`.
fn cell(column: Column, row: &ArtifactRow, now: i64) -> AnyView {
    match column {
        Column::Project => view! {
            <td class="clip" title=row.project.to_string()>{row.project.to_string()}</td>
        }
        .into_any(),
        // The Project column already names the project; the full name is in the title.
        Column::Repository => view! {
            <td class="clip" title=row.repository.to_string()>
                {name_in_project(&row.repository, &row.project).to_owned()}
            </td>
        }
        .into_any(),
        Column::Tags => {
            view! { <td class="wrap tags">{tags_cell(row.tags.clone())}</td> }.into_any()
        }
        // The body's click listener copies `data-copy`.
        Column::Digest => {
            let digest = row.digest.to_string();
            let short = short_id(&digest).to_owned();
            let title = digest.clone();
            view! {
                <td class="digest" title=title>
                    <span class="digest-text">{short}</span>
                    <button type="button" class="more" aria-label="Copy digest" data-copy=digest>
                        "copy"
                    </button>
                </td>
            }
            .into_any()
        }
        Column::Type => view! { <td>{row.kind.to_string()}</td> }.into_any(),
        Column::Size => view! {
            <td class="num" title=format!("{} bytes", row.size)>{human_size(row.size)}</td>
        }
        .into_any(),
        Column::Pushed => view! {
            <td title=exact_time(row.push_time)>{relative_time(row.push_time, now)}</td>
        }
        .into_any(),
        Column::Pulled => view! {
            <td title=exact_time(row.pull_time)>{relative_time(row.pull_time, now)}</td>
        }
        .into_any(),
        Column::Vulnerabilities => {
            let scan = &row.scan;
            let badge_class = format!("sev sev-{}", severity_class(scan));
            view! {
                <td>
                    <span class=badge_class>{severity_badge(scan)}</span>
                    <span class="counts" title=severity_counts_long(scan)>
                        {severity_counts_short(scan)}
                    </span>
                </td>
            }
            .into_any()
        }
        Column::Signed => view! { <td class="presence">{signed_cell(row)}</td> }.into_any(),
        Column::Sbom => view! {
            <td class="presence">{if row.has_sbom() { "yes" } else { "no" }}</td>
        }
        .into_any(),
        Column::Labels => view! { <td class="wrap">{label_chips(&row.labels)}</td> }.into_any(),
    }
}

/// One row with the `columns` shown; `index` points into the rows shown.
///
/// The row has no listeners of its own: clicks reach [`on_body_click`] and Enter the
/// page's shortcuts. `aria-selected` says whether it was the selected row when the page
/// was rendered; [`mark_selected`] moves the mark when the selection changes.
fn row_view(
    index: usize,
    row: &ArtifactRow,
    now: i64,
    columns: &[Column],
    selected: bool,
) -> impl IntoView {
    view! {
        <tr tabindex="0" data-row=index.to_string() aria-selected=if selected { "true" } else { "false" }>
            {columns.iter().map(|&c| cell(c, row, now)).collect_view()}
        </tr>
    }
}

/// Sets `aria-selected` on the row of `index`, if the page shows it. A selection marks
/// its row this way, without rendering the page again: every row's cells would be built
/// again to change one attribute.
fn mark_selected(index: Option<usize>, selected: bool) {
    if let Some(row) = index.and_then(row_element) {
        _ = row.set_attribute("aria-selected", if selected { "true" } else { "false" });
    }
}

/// The table row of row `index`, if the page shows it.
pub fn row_element(index: usize) -> Option<web_sys::Element> {
    let selector = format!("table.artifacts tr[data-row=\"{index}\"]");
    document().query_selector(&selector).ok().flatten()
}

/// The index of the row `element` is, or is in.
pub fn row_index(element: &web_sys::Element) -> Option<usize> {
    element
        .closest("tr[data-row]")
        .ok()
        .flatten()?
        .get_attribute("data-row")?
        .parse()
        .ok()
}

/// A click in the table's body, one listener for every row: the copy button copies its
/// `data-copy`, anywhere else in a row selects the row.
fn on_body_click(lens: Lens, ev: leptos::ev::MouseEvent) {
    let Some(target) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    else {
        return;
    };
    if let Some(button) = target.closest("button[data-copy]").ok().flatten() {
        if let Some(text) = button.get_attribute("data-copy") {
            copy_text(&text);
        }
        return;
    }
    if let Some(index) = row_index(&target) {
        lens.inventory.selected.set(Some(index));
    }
}

/// Shows and hides columns; the choice survives a reload (`localStorage`).
#[component]
pub fn ColumnChooser() -> impl IntoView {
    let lens = use_lens();
    let hidden = lens.table.hidden;
    view! {
        <details class="column-chooser">
            <summary>"Columns"</summary>
            <fieldset aria-label="Columns shown">
                {Column::ALL
                    .into_iter()
                    .map(|c| {
                        let on_change = move |ev: leptos::ev::Event| {
                            let shown = event_target_checked(&ev);
                            hidden.update(|h| {
                                h.retain(|x| *x != c);
                                if !shown {
                                    h.push(c);
                                }
                            });
                        };
                        view! {
                            <label class="inline">
                                <input
                                    type="checkbox"
                                    prop:checked=move || hidden.with(|h| !h.contains(&c))
                                    on:change=on_change
                                />
                                {c.header()}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
        </details>
    }
}

/// The `Artifacts` table with sortable headers (`aria-sort`).
#[component]
pub fn ArtifactTable() -> impl IntoView {
    let lens = use_lens();
    // The page's row indices alone: while a crawl appends rows behind the first page, or
    // a filter keeps the same first rows, the page is not rendered again.
    let page = Memo::new(move |_| lens.table.page.with(|t| t.indices.clone()));
    let body = move || {
        let now = lens.inventory.now.get();
        lens.inventory.rows_replaced.track();
        // The same indices point at other rows when the table switches to one row per
        // tag and back.
        lens.table.rows.per_tag();
        let selected = lens.inventory.selected.get_untracked();
        page.with(|indices| {
            let columns = lens.table.shown_columns();
            lens.table.rows.with_untracked(|rows| {
                indices
                    .iter()
                    .map(|&i| i as usize)
                    .filter_map(|i| {
                        let shown = rows.get(i)?;
                        Some(row_view(i, shown, now, &columns, selected == Some(i)))
                    })
                    .collect_view()
            })
        })
    };
    Effect::new(move |before: Option<Option<usize>>| {
        let now = lens.inventory.selected.get();
        mark_selected(before.flatten(), false);
        mark_selected(now, true);
        now
    });
    let empty = move || {
        (lens.table.page.with(|t| t.total_matching) == 0).then(|| {
            let text = if lens.inventory.rows.with(|r| r.is_empty()) {
                "No artifacts loaded yet."
            } else {
                "No artifact matches the filters."
            };
            view! { <p class="empty">{text}</p> }
        })
    };
    view! {
        <div class="table-wrap">
            <table class="artifacts" aria-label="Artifacts">
                <thead>
                    <tr>{move || lens.table.shown_columns().into_iter().map(|c| header(lens, c)).collect_view()}</tr>
                </thead>
                <tbody on:click=move |ev| on_body_click(lens, ev)>{body}</tbody>
            </table>
            {empty}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::safe_color;

    #[test]
    fn only_hex_colours_pass() {
        assert_eq!(safe_color("#0065AB").as_deref(), Some("#0065AB"));
        assert_eq!(safe_color("#fff").as_deref(), Some("#fff"));
        assert_eq!(safe_color("red"), None);
        assert_eq!(safe_color("#fff;background:url(x)"), None);
        assert_eq!(safe_color(""), None);
    }
}
