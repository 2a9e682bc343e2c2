//! The filters, applied instantly to the loaded rows (a change returns to page 1).

use inventory::format::{min_severity_choice, min_severity_label, MIN_SEVERITY_CHOICES};
use inventory::{Filters, Preset, RowMode, ScanFilter};
use leptos::prelude::*;

use crate::state::{use_lens, Lens, PresetCounts};
use crate::url_state;

/// The id of the first filter: the `/` shortcut focuses it.
pub const FIRST_FILTER_ID: &str = "filter-project";

/// A text filter bound to one field of [`Filters`]; typing replaces the history entry.
fn text_filter(
    lens: Lens,
    name: &'static str,
    id: &'static str,
    get: fn(&Filters) -> &String,
    set: fn(&mut Filters, String),
) -> impl IntoView {
    let on_input = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        url_state::replace_next();
        lens.table
            .query
            .update(|q| q.update_filters(|f| set(f, value)));
    };
    view! {
        <label>
            {name}
            <input
                type="text"
                id=id
                aria-label=name
                autocomplete="off"
                prop:value=move || lens.table.query.with(|q| get(q.filters()).clone())
                on:input=on_input
            />
        </label>
    }
}

const SCANS: [&str; 5] = ["any", "not scanned", "scanning", "scan failed", "scanned"];

fn scan_choice(scan: &ScanFilter) -> &'static str {
    match (scan.not_scanned, scan.scanning, scan.failed, scan.success) {
        (true, false, false, false) => SCANS[1],
        (false, true, false, false) => SCANS[2],
        (false, false, true, false) => SCANS[3],
        (false, false, false, true) => SCANS[4],
        _ => SCANS[0],
    }
}

/// A yes/no/any filter (`Signed`, `SBOM`) bound to one field of [`Filters`].
fn presence_filter(
    lens: Lens,
    name: &'static str,
    get: fn(&Filters) -> Option<bool>,
    set: fn(&mut Filters, Option<bool>),
) -> impl IntoView {
    const CHOICES: [(&str, Option<bool>); 3] =
        [("any", None), ("yes", Some(true)), ("no", Some(false))];
    let value = move || {
        let now = lens.table.query.with(|q| get(q.filters()));
        CHOICES
            .iter()
            .find(|(_, v)| *v == now)
            .map_or("any", |(n, _)| n)
    };
    let on_change = move |ev: leptos::ev::Event| {
        let chosen = event_target_value(&ev);
        let wanted = CHOICES
            .iter()
            .find(|(n, _)| *n == chosen)
            .and_then(|(_, v)| *v);
        lens.table
            .query
            .update(|q| q.update_filters(|f| set(f, wanted)));
    };
    view! {
        <label>
            {name}
            <select aria-label=name on:change=on_change prop:value=value>
                {CHOICES
                    .iter()
                    .map(|(n, _)| view! { <option value=*n selected=move || value() == *n>{*n}</option> })
                    .collect_view()}
            </select>
        </label>
    }
}

/// What `pull_time` means on the Harbor in use, while a filter reads it.
fn pull_time_note(lens: Lens) -> Option<impl IntoView> {
    lens.table.query.with(|q| q.filters().unpulled_days)?;
    let note = lens.session.pull_time_note();
    Some(view! { <p class="note pull-time-note" role="note" aria-label="Pull time">{note}</p> })
}

fn scan_filter(choice: &str) -> ScanFilter {
    let mut scan = ScanFilter::default();
    match choice {
        "not scanned" => scan.not_scanned = true,
        "scanning" => scan.scanning = true,
        "scan failed" => scan.failed = true,
        "scanned" => scan.success = true,
        _ => {}
    }
    scan
}

/// Project, Repository, Tag, untagged, digest prefix, label, type, minimum severity,
/// scan status, not pulled for N days.
#[component]
pub fn FilterBar() -> impl IntoView {
    let lens = use_lens();
    let filters = move |f: fn(&Filters) -> String| lens.table.query.with(|q| f(q.filters()));
    let on_severity = move |ev: leptos::ev::Event| {
        let min = min_severity_choice(&event_target_value(&ev));
        lens.table
            .query
            .update(|q| q.update_filters(|f| f.min_severity = min));
    };
    let on_scan = move |ev: leptos::ev::Event| {
        let scan = scan_filter(&event_target_value(&ev));
        lens.table
            .query
            .update(|q| q.update_filters(|f| f.scan = scan));
    };
    let on_unpulled = move |ev: leptos::ev::Event| {
        let days = event_target_value(&ev).trim().parse::<u32>().ok();
        url_state::replace_next();
        lens.table
            .query
            .update(|q| q.update_filters(|f| f.unpulled_days = days));
    };
    let on_per_tag = move |ev: leptos::ev::Event| {
        let mode = if event_target_checked(&ev) {
            RowMode::Tags
        } else {
            RowMode::Artifacts
        };
        // A selected index points into the other mode's rows.
        lens.inventory.selected.set(None);
        lens.table.query.update(|q| q.set_row_mode(mode));
    };
    let on_untagged = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        lens.table
            .query
            .update(|q| q.update_filters(|f| f.untagged = on));
    };
    let on_preset = move |ev: leptos::ev::Event| match Preset::from_param(&event_target_value(&ev))
    {
        Some(preset) => lens.table.query.update(|q| q.apply_preset(preset)),
        None => lens.table.query.update(|q| q.clear_filters()),
    };
    let preset_value = move || {
        lens.table
            .query
            .with(|q| q.preset().map_or("", Preset::param))
    };
    let counts = lens.table.preset_counts;
    let severity_value =
        move || min_severity_label(lens.table.query.with(|q| q.filters().min_severity));
    view! {
        <div class="filter-bar" role="search" aria-label="Filters">
            <label>
                "Audit preset"
                <select aria-label="Audit preset" on:change=on_preset prop:value=preset_value>
                    <option value="">"none"</option>
                    {Preset::ALL
                        .into_iter()
                        .map(|p| {
                            view! {
                                <option value=p.param() selected=move || preset_value() == p.param()>
                                    {move || preset_label(p, counts)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            {text_filter(lens, "Project", FIRST_FILTER_ID, |f| &f.project, |f, v| f.project = v)}
            {text_filter(lens, "Repository", "filter-repository", |f| &f.repository, |f, v| f.repository = v)}
            {text_filter(lens, "Tag", "filter-tag", |f| &f.tag, |f, v| f.tag = v)}
            <label class="inline">
                <input
                    type="checkbox"
                    prop:checked=move || lens.table.query.with(|q| q.filters().untagged)
                    on:change=on_untagged
                />
                "Untagged only"
            </label>
            <label class="inline">
                <input
                    type="checkbox"
                    prop:checked=move || lens.table.query.with(|q| q.row_mode() == RowMode::Tags)
                    on:change=on_per_tag
                />
                "One row per tag"
            </label>
            {text_filter(lens, "Digest prefix", "filter-digest", |f| &f.digest, |f, v| f.digest = v)}
            {text_filter(lens, "Label", "filter-label", |f| &f.label, |f, v| f.label = v)}
            {text_filter(lens, "Type", "filter-type", |f| &f.kind, |f, v| f.kind = v)}
            <label>
                "Minimum severity"
                <select aria-label="Minimum severity" on:change=on_severity prop:value=severity_value>
                    {MIN_SEVERITY_CHOICES
                        .into_iter()
                        .map(min_severity_label)
                        .map(|n| view! { <option value=n selected=move || severity_value() == n>{n}</option> })
                        .collect_view()}
                </select>
            </label>
            <label>
                "Scan status"
                <select
                    aria-label="Scan status"
                    on:change=on_scan
                    prop:value=move || lens.table.query.with(|q| scan_choice(&q.filters().scan))
                >
                    {SCANS.iter().map(|n| view! { <option value=*n>{*n}</option> }).collect_view()}
                </select>
            </label>
            <label>
                "Not pulled for days"
                <input
                    type="number"
                    min="0"
                    aria-label="Not pulled for days"
                    prop:value=move || filters(|f| f.unpulled_days.map(|d| d.to_string()).unwrap_or_default())
                    on:input=on_unpulled
                />
            </label>
            {presence_filter(lens, "Signed", |f| f.signed, |f, v| f.signed = v)}
            {presence_filter(lens, "SBOM", |f| f.sbom, |f, v| f.sbom = v)}
            <button type="button" on:click=move |_| lens.table.query.update(|q| q.clear_filters())>
                "Clear filters"
            </button>
            {move || cve_chip(lens)}
            {move || pull_time_note(lens)}
        </div>
    }
}

/// `Untagged artifacts: 1,204 (3.1 GiB)`; the bare title while counts are not known.
fn preset_label(p: Preset, counts: PresetCounts) -> String {
    counts.with(|all| {
        let found = all
            .as_ref()
            .and_then(|all| all.iter().find(|(q, _)| *q == p));
        match found {
            Some((_, s)) => format!(
                "{}: {} ({})",
                p.title(),
                inventory::format::thousands(s.count as u64),
                inventory::format::human_size(s.bytes)
            ),
            None => p.title().to_owned(),
        }
    })
}

/// The CVE filter set from the roll-up (or a link): what it keeps, and a way out.
fn cve_chip(lens: Lens) -> Option<impl IntoView> {
    let id = lens.table.query.with(|q| q.filters().cve.trim().to_owned());
    if id.is_empty() {
        return None;
    }
    let text = lens.table.rollup.with(|r| r.data.filter_note(&id));
    Some(view! {
        <p class="cve-chip" role="status" aria-label="CVE filter">
            {text}
            " "
            <button type="button" on:click=move |_| crate::components::clear_cve_filter(lens)>
                "Clear CVE filter"
            </button>
        </p>
    })
}
