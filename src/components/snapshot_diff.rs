//! `Snapshot diff`: compares the loaded inventory with an earlier `Export JSON` file,
//! picked or dropped on the section, or shows what the last refresh changed. Lists what
//! was added, removed and re-tagged, how the vulnerability counts moved and, when both
//! sides carry full reports, which vulnerabilities are new and which are fixed; exports
//! the changes like the table.

use std::sync::Arc;

use harbor_client::model::VulnReport;
use harbor_client::slim::ArtifactRow;
use inventory::diff::{diff_snapshots, to_csv, to_json, Diff, Snapshot};
use inventory::format::{exact_time, thousands};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::actions::files::{read_export, EarlierExport};
use crate::components::export_buttons::{export_pair, header, whole};
use crate::state::ReportState;
use crate::state::{use_lens, Lens, RefreshChanges};

/// Changes listed per kind before "N more" (the export has them all).
const SHOWN: usize = 100;

/// The other side of the diff: an earlier export, or the rows a refresh changed.
#[derive(Debug)]
struct Earlier {
    export: EarlierExport,
    /// The new side when it is not the table: the rows after a refresh.
    after: Option<Vec<ArtifactRow>>,
}

impl Earlier {
    /// What a refresh changed, as a comparison.
    fn of_refresh(changes: &RefreshChanges) -> Earlier {
        Earlier {
            export: EarlierExport {
                name: "the inventory before the last refresh".to_owned(),
                exported_at: exact_time(Some(changes.at)),
                rows: changes.before.clone(),
                reports: Vec::new(),
            },
            after: Some(changes.after.clone()),
        }
    }
}

fn load(
    file: Option<web_sys::File>,
    earlier: RwSignal<Option<Arc<Earlier>>>,
    error: RwSignal<Option<String>>,
) {
    let Some(file) = file else {
        return;
    };
    read_export(file, move |outcome| match outcome {
        Ok(export) => {
            error.set(None);
            earlier.set(Some(Arc::new(Earlier {
                export,
                after: None,
            })));
        }
        Err(e) => error.set(Some(e.to_string())),
    });
}

/// One list of changes, cut at [`SHOWN`].
fn change_list(title: &'static str, lines: Vec<String>) -> impl IntoView {
    let total = lines.len();
    let more = (total > SHOWN).then(|| {
        view! { <li class="muted">{format!("{} more in the export", thousands((total - SHOWN) as u64))}</li> }
    });
    let items = lines
        .into_iter()
        .take(SHOWN)
        .map(|l| view! { <li>{l}</li> })
        .collect_view();
    view! {
        <div class="diff-list">
            <h3>{format!("{title} ({})", thousands(total as u64))}</h3>
            <ul aria-label=title>{items}{more}</ul>
        </div>
    }
}

fn describe(d: &Diff, old: &[ArtifactRow], new: &[ArtifactRow]) -> impl IntoView {
    let lines = inventory::diff::describe(d, old, new);
    view! {
        {change_list("Added artifacts", lines.added)}
        {change_list("Removed artifacts", lines.removed)}
        {change_list("Re-tagged artifacts", lines.retagged)}
        {change_list("Vulnerability changes", lines.vulns)}
        {change_list("New vulnerabilities", lines.ids_new)}
        {change_list("Fixed vulnerabilities", lines.ids_fixed)}
    }
}

/// What the diff can say about vulnerability ids: they need full reports on both sides.
fn ids_note(old_reports: usize, new_reports: usize) -> String {
    if old_reports > 0 && new_reports > 0 {
        format!(
            "Vulnerability ids compared where both sides have a full report ({} earlier, {} now).",
            thousands(old_reports as u64),
            thousands(new_reports as u64)
        )
    } else {
        "Vulnerability ids (new and fixed CVEs) need full reports on both sides: Fetch \
         vulnerability reports before Export JSON, and again here."
            .to_owned()
    }
}

/// Exports `d`, the diff already shown (computed once, by the section's memo).
fn export(lens: Lens, earlier: &Earlier, d: &Diff, json: bool) -> Result<String, String> {
    let header = header(lens);
    let write = |new: &[ArtifactRow]| {
        if json {
            to_json(d, &earlier.export.rows, new, &header).map_err(|e| e.to_string())
        } else {
            Ok(to_csv(d, &earlier.export.rows, new, &header))
        }
    };
    match &earlier.after {
        Some(after) => write(after),
        None => lens.inventory.rows.with_untracked(|set| write(set.rows())),
    }
}

/// The snapshot-diff section.
#[component]
pub fn SnapshotDiff() -> impl IntoView {
    let lens = use_lens();
    let earlier = RwSignal::new(None::<Arc<Earlier>>);
    let error = RwSignal::new(None::<String>);
    let dragging = RwSignal::new(false);
    let result = Memo::new(move |_| {
        let e = earlier.get()?;
        let old_reports: Vec<&VulnReport> = e.export.reports.iter().collect();
        let old = Snapshot {
            rows: &e.export.rows,
            reports: &old_reports,
        };
        Some(lens.inventory.reports.with(|reports| {
            let now_reports: Vec<&VulnReport> =
                reports.values().filter_map(ReportState::loaded).collect();
            let against = |rows: &[ArtifactRow]| {
                diff_snapshots(
                    old,
                    Snapshot {
                        rows,
                        reports: &now_reports,
                    },
                )
            };
            match &e.after {
                Some(after) => against(after),
                None => lens.inventory.rows.with(|set| against(set.rows())),
            }
        }))
    });
    let on_pick = move |ev: leptos::ev::Event| {
        let input: Option<web_sys::HtmlInputElement> = ev.target().and_then(|t| t.dyn_into().ok());
        let file = input
            .as_ref()
            .and_then(|i| i.files())
            .and_then(|f| f.get(0));
        load(file, earlier, error);
        if let Some(input) = input {
            input.set_value(""); // the same file can be picked again after a new crawl
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        let file = ev
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|f| f.get(0));
        load(file, earlier, error);
    };
    let on_over = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(true);
    };
    let write = move |json: bool| {
        let e = earlier.get_untracked().ok_or("no diff is shown")?;
        result
            .with_untracked(|d| d.as_ref().map(|d| export(lens, &e, d, json)))
            .unwrap_or_else(|| Err("no diff is shown".to_owned()))
    };
    let body = move || {
        let e = earlier.get()?;
        let summary = result
            .with(|d| d.as_ref().map(Diff::summary))
            .unwrap_or_default();
        let lists = result.with(|d| {
            d.as_ref().map(|d| match &e.after {
                Some(after) => describe(d, &e.export.rows, after).into_any(),
                None => lens
                    .inventory
                    .rows
                    .with(|set| describe(d, &e.export.rows, set.rows()).into_any()),
            })
        });
        let loaded = lens
            .inventory
            .reports
            .with(|r| r.values().filter(|s| s.loaded().is_some()).count());
        let note = ids_note(e.export.reports.len(), loaded);
        Some(view! {
            <p class="diff-summary" role="status" aria-label="Diff summary">{summary}</p>
            <p class="muted">
                {match &e.after {
                    Some(after) => format!(
                        "What the last refresh ({}) changed: {} artifacts before, {} after, in the repositories it listed again.",
                        e.export.exported_at,
                        thousands(e.export.rows.len() as u64),
                        thousands(after.len() as u64)
                    ),
                    None => format!(
                        "Compared with {} ({} artifacts, exported {}).",
                        e.export.name,
                        thousands(e.export.rows.len() as u64),
                        e.export.exported_at
                    ),
                }}
            </p>
            <p class="muted" role="note" aria-label="Vulnerability ids">{note}</p>
            {export_pair("diff ", "harbor-lens-diff", whole(write))}
            <button type="button" on:click=move |_| earlier.set(None)>"Close diff"</button>
            <div class="diff-lists">{lists}</div>
        })
    };
    view! {
        <details class="snapshot-diff">
            <summary>"Snapshot diff"</summary>
            <section
                aria-label="Snapshot diff"
                class="drop-zone"
                class:dragging=move || dragging.get()
                on:dragover=on_over
                on:dragleave=move |_| dragging.set(false)
                on:drop=on_drop
            >
                <label>
                    "Compare with an earlier export (drop its JSON file here or pick it): "
                    <input
                        type="file"
                        accept=".json,application/json"
                        aria-label="Earlier export"
                        on:change=on_pick
                    />
                </label>
                {move || {
                    lens.inventory.refresh_changes.get().map(|changes| {
                        view! {
                            <p>
                                <button
                                    type="button"
                                    on:click=move |_| earlier.set(Some(Arc::new(Earlier::of_refresh(&changes))))
                                >
                                    "Show what the last refresh changed"
                                </button>
                            </p>
                        }
                    })
                }}
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                {body}
            </section>
        </details>
    }
}
