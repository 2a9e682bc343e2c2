//! `Snapshot diff`: compares the loaded inventory with an earlier `Export JSON` file,
//! picked or dropped on the section, or shows what the last refresh changed. Lists what
//! was added, removed and re-tagged, how the vulnerability counts moved and, when both
//! sides carry full reports, which vulnerabilities are new and which are fixed; exports
//! the changes like the table.

use std::sync::Arc;

use harbor_client::model::VulnReport;
use harbor_client::slim::ArtifactRow;
use inventory::diff::{diff_snapshots, to_csv, to_json, Diff, Snapshot};
use inventory::export::parse_json;
use inventory::format::{exact_time, short_digest, thousands};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::components::export_buttons::{download, header};
use crate::crawl::ReportState;
use crate::state::{use_app, AppState, RefreshChanges};

/// Changes listed per kind before "N more" (the export has them all).
const SHOWN: usize = 100;

/// An earlier inventory read back from a JSON export.
#[derive(Debug)]
struct Earlier {
    /// The file's name.
    name: String,
    /// When it was exported, as written in its header.
    exported_at: String,
    rows: Vec<ArtifactRow>,
    /// Full reports the export carried (fetched before it was made).
    reports: Vec<VulnReport>,
    /// The other side when it is not the table: the rows a refresh changed.
    after: Option<Vec<ArtifactRow>>,
}

impl Earlier {
    /// What a refresh changed, as a comparison.
    fn of_refresh(changes: &RefreshChanges) -> Earlier {
        Earlier {
            name: "the inventory before the last refresh".to_owned(),
            exported_at: exact_time(Some(changes.at)),
            rows: changes.before.clone(),
            reports: Vec::new(),
            after: Some(changes.after.clone()),
        }
    }
}

/// Reads a picked or dropped file; a file that is not an export gets a clear message.
async fn read(file: web_sys::File) -> Result<Earlier, String> {
    let text = JsFuture::from(file.text())
        .await
        .map_err(|_| format!("{} could not be read.", file.name()))?
        .as_string()
        .unwrap_or_default();
    let export = parse_json(&text).map_err(|e| {
        format!(
            "{} is not a Harbor Lens JSON export (use Export JSON): {e}",
            file.name()
        )
    })?;
    Ok(Earlier {
        name: file.name(),
        exported_at: export.header.exported_at,
        rows: export.artifacts,
        reports: export.reports,
        after: None,
    })
}

fn load(
    file: Option<web_sys::File>,
    earlier: RwSignal<Option<Arc<Earlier>>>,
    error: RwSignal<Option<String>>,
) {
    let Some(file) = file else {
        return;
    };
    leptos::task::spawn_local(async move {
        match read(file).await {
            Ok(e) => {
                error.set(None);
                earlier.set(Some(Arc::new(e)));
            }
            Err(message) => error.set(Some(message)),
        }
    });
}

fn tag_list(row: &ArtifactRow) -> String {
    if row.tags.is_empty() {
        "untagged".to_owned()
    } else {
        row.tags
            .iter()
            .map(|t| &*t.name)
            .collect::<Vec<_>>()
            .join(", ")
    }
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
    fn at(rows: &[ArtifactRow], i: u32) -> Option<&ArtifactRow> {
        rows.get(i as usize)
    }
    let line = |r: &ArtifactRow| {
        format!(
            "{} {} ({})",
            r.repository,
            short_digest(&r.digest),
            tag_list(r)
        )
    };
    let added: Vec<String> = d
        .added
        .iter()
        .filter_map(|&i| at(new, i))
        .map(line)
        .collect();
    let removed: Vec<String> = d
        .removed
        .iter()
        .filter_map(|&i| at(old, i))
        .map(line)
        .collect();
    let retagged: Vec<String> = d
        .retagged
        .iter()
        .filter_map(|r| {
            let row = at(new, r.new)?;
            let plus = r.tags_added.iter().map(|t| format!("+{t}"));
            let minus = r.tags_removed.iter().map(|t| format!("-{t}"));
            let tags: Vec<String> = plus.chain(minus).collect();
            Some(format!(
                "{} {}: {}",
                row.repository,
                short_digest(&row.digest),
                tags.join(" ")
            ))
        })
        .collect();
    const LEVELS: [&str; 4] = ["critical", "high", "medium", "low"];
    let vulns: Vec<String> = d
        .vulns
        .iter()
        .filter_map(|v| {
            let row = at(new, v.new)?;
            let parts: Vec<String> = LEVELS
                .iter()
                .enumerate()
                .flat_map(|(k, level)| {
                    let new =
                        (v.new_counts[k] > 0).then(|| format!("+{} {level}", v.new_counts[k]));
                    let fixed =
                        (v.fixed_counts[k] > 0).then(|| format!("-{} {level}", v.fixed_counts[k]));
                    new.into_iter().chain(fixed)
                })
                .chain((!v.new_ids.is_empty()).then(|| format!("new {}", v.new_ids.join(" "))))
                .chain(
                    (!v.fixed_ids.is_empty()).then(|| format!("fixed {}", v.fixed_ids.join(" "))),
                )
                .collect();
            Some(format!(
                "{} {}: {}",
                row.repository,
                short_digest(&row.digest),
                parts.join(", ")
            ))
        })
        .collect();
    let ids = |ids: &[Box<str>]| ids.iter().map(ToString::to_string).collect();
    view! {
        {change_list("Added artifacts", added)}
        {change_list("Removed artifacts", removed)}
        {change_list("Re-tagged artifacts", retagged)}
        {change_list("Vulnerability changes", vulns)}
        {change_list("New vulnerabilities", ids(&d.ids_new))}
        {change_list("Fixed vulnerabilities", ids(&d.ids_fixed))}
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
fn export(app: AppState, earlier: &Earlier, d: &Diff, json: bool) -> Result<(), String> {
    let header = header(app);
    let write = |new: &[ArtifactRow]| {
        if json {
            to_json(d, &earlier.rows, new, &header).map_err(|e| e.to_string())
        } else {
            Ok(to_csv(d, &earlier.rows, new, &header))
        }
    };
    let text = match &earlier.after {
        Some(after) => write(after),
        None => app.rows.with_untracked(|set| write(set.rows())),
    }?;
    let (name, mime) = if json {
        ("harbor-lens-diff.json", "application/json")
    } else {
        ("harbor-lens-diff.csv", "text/csv")
    };
    download(&text, name, mime).map_err(|e| format!("{e:?}"))
}

/// The snapshot-diff section.
#[component]
pub fn SnapshotDiff() -> impl IntoView {
    let app = use_app();
    let earlier = RwSignal::new(None::<Arc<Earlier>>);
    let error = RwSignal::new(None::<String>);
    let dragging = RwSignal::new(false);
    let result = Memo::new(move |_| {
        let e = earlier.get()?;
        let old_reports: Vec<&VulnReport> = e.reports.iter().collect();
        let old = Snapshot {
            rows: &e.rows,
            reports: &old_reports,
        };
        Some(app.reports.with(|reports| {
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
                None => app.rows.with(|set| against(set.rows())),
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
    let export_error = RwSignal::new(None::<String>);
    let do_export = move |json: bool| {
        let Some(e) = earlier.get_untracked() else {
            return;
        };
        let outcome = result.with_untracked(|d| d.as_ref().map(|d| export(app, &e, d, json)));
        export_error.set(
            outcome
                .and_then(Result::err)
                .map(|e| format!("Export failed: {e}")),
        );
    };
    let body = move || {
        let e = earlier.get()?;
        let summary = result
            .with(|d| d.as_ref().map(Diff::summary))
            .unwrap_or_default();
        let lists = result.with(|d| {
            d.as_ref().map(|d| match &e.after {
                Some(after) => describe(d, &e.rows, after).into_any(),
                None => app
                    .rows
                    .with(|set| describe(d, &e.rows, set.rows()).into_any()),
            })
        });
        let loaded = app
            .reports
            .with(|r| r.values().filter(|s| s.loaded().is_some()).count());
        let note = ids_note(e.reports.len(), loaded);
        Some(view! {
            <p class="diff-summary" role="status" aria-label="Diff summary">{summary}</p>
            <p class="muted">
                {match &e.after {
                    Some(after) => format!(
                        "What the last refresh ({}) changed: {} artifacts before, {} after, in the repositories it listed again.",
                        e.exported_at,
                        thousands(e.rows.len() as u64),
                        thousands(after.len() as u64)
                    ),
                    None => format!(
                        "Compared with {} ({} artifacts, exported {}).",
                        e.name,
                        thousands(e.rows.len() as u64),
                        e.exported_at
                    ),
                }}
            </p>
            <p class="muted" role="note" aria-label="Vulnerability ids">{note}</p>
            <div class="export">
                <button type="button" on:click=move |_| do_export(false)>"Export diff CSV"</button>
                " "
                <button type="button" on:click=move |_| do_export(true)>"Export diff JSON"</button>
                " "
                <button type="button" on:click=move |_| earlier.set(None)>"Close diff"</button>
                {move || export_error.get().map(|e| view! { <span class="error" role="alert">{e}</span> })}
            </div>
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
                    app.refresh_changes.get().map(|changes| {
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
