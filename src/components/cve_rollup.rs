//! `CVE roll-up`: one row per vulnerability across every full report fetched (with
//! `Fetch vulnerability reports`), filtered by id, package, severity and fix, sorted
//! by any column, exported like the artifact table. A CVE's `Show artifacts affected
//! by …` button narrows the artifact table to the artifacts whose report lists it.

use inventory::format::{min_severity_choice, min_severity_label, thousands, MIN_SEVERITY_CHOICES};
use inventory::rollup::{to_csv, to_json, CveColumn, CveFilter, CveRow, CveSort};
use leptos::prelude::*;

use crate::components::export_buttons::{export_pair, header, whole};
use crate::state::{use_lens, Lens};

/// Rows rendered at first; `Show more CVEs` adds as many again (the exports hold all).
const SHOWN: usize = 100;

/// The columns and what each sorts by ("Fixed in" lists versions and does not sort).
const COLUMNS: [(&str, Option<CveColumn>); 8] = [
    ("CVE", Some(CveColumn::Id)),
    ("Severity", Some(CveColumn::Severity)),
    ("CVSS", Some(CveColumn::Cvss)),
    ("Packages", Some(CveColumn::Package)),
    ("Fixed in", None),
    ("Artifacts", Some(CveColumn::Artifacts)),
    ("Repositories", Some(CveColumn::Repositories)),
    ("Fixable", Some(CveColumn::Fixable)),
];

/// Narrows the artifact table to the artifacts `id` affects (a new history entry, so
/// Back returns to the table as it was).
pub fn show_affected(lens: Lens, id: &str) {
    lens.table
        .query
        .update(|q| q.update_filters(|f| f.cve = id.to_owned()));
    if let Some(table) = document().query_selector("table.artifacts").ok().flatten() {
        table.scroll_into_view();
    }
}

/// Removes the CVE filter.
pub fn clear_cve_filter(lens: Lens) {
    lens.table
        .query
        .update(|q| q.update_filters(|f| f.cve.clear()));
}

fn cve_row(lens: Lens, c: &CveRow) -> impl IntoView {
    let id = c.id.to_string();
    let label = format!("Show artifacts affected by {id}");
    let severity = c.severity.name();
    let cvss = c.cvss_v3.map_or(String::from("–"), |s| format!("{s:.1}"));
    let fixed = if c.fixed_versions.is_empty() {
        "–".to_owned()
    } else {
        c.fixed_versions.join(", ")
    };
    let pick = id.clone();
    view! {
        <tr>
            <td>
                <button type="button" class="link" aria-label=label on:click=move |_| show_affected(lens, &pick)>
                    {id}
                </button>
            </td>
            <td><span class=format!("sev sev-{}", c.severity.key())>{severity}</span></td>
            <td class="num">{cvss}</td>
            <td>{c.packages.join(", ")}</td>
            <td>{fixed}</td>
            <td class="num">{thousands(c.artifacts.len() as u64)}</td>
            <td class="num">{thousands(c.repositories as u64)}</td>
            <td>{if c.fixable { "yes" } else { "no" }}</td>
        </tr>
    }
}

fn export(lens: Lens, order: &[u32], json: bool) -> Result<String, String> {
    let header = header(lens);
    lens.table.rollup.with_untracked(|r| {
        if json {
            lens.inventory
                .rows
                .with_untracked(|set| to_json(&r.data, set.rows(), order, &header))
                .map_err(|e| e.to_string())
        } else {
            Ok(to_csv(&r.data, order, &header))
        }
    })
}

/// The roll-up section; opens by itself when a report run starts.
#[component]
pub fn CveRollup(
    /// Open the section (the report run sets it).
    open: RwSignal<bool>,
) -> impl IntoView {
    let lens = use_lens();
    let filter = RwSignal::new(CveFilter::default());
    let sort = RwSignal::new(CveSort::default());
    let shown = RwSignal::new(SHOWN);
    let order = Memo::new(move |_| {
        let f = filter.get();
        let s = sort.get();
        lens.table.rollup.with(|r| r.data.view(&f, s))
    });
    let write = move |json: bool| order.with_untracked(|o| export(lens, o, json));
    let text_input = move |name: &'static str, set: fn(&mut CveFilter, String)| {
        view! {
            <label>
                {name}
                <input
                    type="text"
                    aria-label=name
                    autocomplete="off"
                    on:input=move |ev| {
                        let value = event_target_value(&ev);
                        shown.set(SHOWN);
                        filter.update(|f| set(f, value));
                    }
                />
            </label>
        }
    };
    let on_severity = move |ev: leptos::ev::Event| {
        let min = min_severity_choice(&event_target_value(&ev));
        filter.update(|f| f.min_severity = min);
    };
    let header_cell = move |(name, column): (&'static str, Option<CveColumn>)| {
        let Some(column) = column else {
            return view! { <th scope="col">{name}</th> }.into_any();
        };
        let state = move || sort.with(|s| s.aria(column));
        let click = move |_| sort.update(|s| s.click(column));
        view! {
            <th scope="col" aria-sort=state>
                <button type="button" class="sort" on:click=click>{name}</button>
            </th>
        }
        .into_any()
    };
    let body = move || {
        let reports = lens.table.rollup.with(|r| r.data.reports_used);
        if reports == 0 {
            return view! {
                <p class="muted">
                    "Fetch vulnerability reports for the matching artifacts to list every CVE they carry, \
                     where it is, and whether a fix exists."
                </p>
            }
            .into_any();
        }
        let total = lens.table.rollup.with(|r| r.data.cves.len());
        let rows = move || {
            let limit = shown.get();
            order.with(|o| {
                lens.table.rollup.with(|r| {
                    o.iter()
                        .take(limit)
                        .filter_map(|&i| r.data.cves.get(i as usize))
                        .map(|c| cve_row(lens, c))
                        .collect_view()
                })
            })
        };
        let more = move || {
            let matching = order.with(Vec::len);
            let limit = shown.get();
            (matching > limit).then(|| {
                view! {
                    <p class="muted">
                        {format!("Showing {} of {} CVEs. ", thousands(limit as u64), thousands(matching as u64))}
                        <button type="button" on:click=move |_| shown.update(|n| *n += SHOWN)>
                            "Show more CVEs"
                        </button>
                    </p>
                }
            })
        };
        view! {
            <p class="muted">
                {format!(
                    "{} distinct vulnerabilities in {} reports.",
                    thousands(total as u64),
                    thousands(reports as u64)
                )}
            </p>
            <div class="cve-filters" role="search" aria-label="CVE filters">
                {text_input("CVE", |f, v| f.id = v)}
                {text_input("Package", |f, v| f.package = v)}
                <label>
                    "Minimum CVE severity"
                    <select aria-label="Minimum CVE severity" on:change=on_severity>
                        {MIN_SEVERITY_CHOICES
                            .into_iter()
                            .map(min_severity_label)
                            .map(|n| view! { <option value=n>{n}</option> })
                            .collect_view()}
                    </select>
                </label>
                <label class="inline">
                    <input
                        type="checkbox"
                        aria-label="Fixable only"
                        on:change=move |ev| filter.update(|f| f.fixable_only = event_target_checked(&ev))
                    />
                    "Fixable only"
                </label>
                <span class="muted">
                    <output aria-label="Matching CVEs">{move || order.with(Vec::len)}</output>
                    " matching"
                </span>
            </div>
            {export_pair("CVEs ", "harbor-lens-cves", whole(write))}
            <div class="table-scroll">
                <table class="cves" aria-label="CVEs">
                    <thead><tr>{COLUMNS.into_iter().map(header_cell).collect_view()}</tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            {more}
        }
        .into_any()
    };
    view! {
        <details
            class="cve-rollup"
            prop:open=move || open.get()
            on:toggle=move |ev| {
                let now_open = event_target::<web_sys::HtmlDetailsElement>(&ev).open();
                if now_open != open.get_untracked() {
                    open.set(now_open);
                }
            }
        >
            <summary>"CVE roll-up"</summary>
            <section aria-label="CVE roll-up">{body}</section>
        </details>
    }
}
