//! Fetches the full vulnerability reports of the matching artifacts, bounded, with
//! progress, and sums them up.

use std::collections::HashSet;

use harbor_client::slim::{ArtifactRow, ScanStatus};
use inventory::format::thousands;
use leptos::prelude::*;

use crate::crawl::{self, BulkProgress, ReportState};
use crate::state::{use_app, AppState};

/// At most this many reports per run: a bulk run must not hammer Harbor.
pub const MAX_REPORTS: usize = 1000;

/// Matching rows with findings whose report is not loaded yet, in table order; `limit`
/// caps how many are collected (all are counted).
fn without_report(app: AppState, limit: usize) -> (Vec<ArtifactRow>, usize) {
    app.matching.with(|matching| {
        app.rows.with(|set| {
            app.reports.with(|reports| {
                let loaded: HashSet<(&str, &str)> = reports
                    .values()
                    .filter_map(ReportState::loaded)
                    .map(|r| (&*r.repository, &*r.digest))
                    .collect();
                let mut picked = Vec::new();
                let mut count = 0;
                let wanted = matching
                    .iter()
                    .filter_map(|&i| set.rows().get(i as usize))
                    .filter(|r| r.scan.status == ScanStatus::Success && r.scan.total > 0)
                    .filter(|r| !loaded.contains(&r.key()));
                for row in wanted {
                    count += 1;
                    if picked.len() < limit {
                        picked.push(row.clone());
                    }
                }
                (picked, count)
            })
        })
    })
}

/// "412 reports loaded: 1,203 distinct vulnerabilities, 388 with a fix available", from
/// the CVE roll-up (which already joined the reports to the rows).
fn summary(app: AppState) -> Option<String> {
    app.rollup.with(|r| {
        let r = &r.data;
        (r.reports_used > 0).then(|| {
            format!(
                "{} reports loaded: {} distinct vulnerabilities, {} with a fix available",
                thousands(r.reports_used as u64),
                thousands(r.cves.len() as u64),
                thousands(r.cves.iter().filter(|c| c.fixable).count() as u64)
            )
        })
    })
}

/// `Fetch vulnerability reports` for the matching artifacts, and its progress.
#[component]
pub fn BulkReports(
    /// Opens the CVE roll-up, where the reports are summed up.
    rollup_open: RwSignal<bool>,
) -> impl IntoView {
    let app = use_app();
    let progress = RwSignal::new(BulkProgress::default());
    let start = move |_| {
        rollup_open.set(true);
        let rows = untrack(|| without_report(app, MAX_REPORTS).0);
        crawl::fetch_reports(app, rows, progress)
    };
    // A run fetches at most MAX_REPORTS; say what is left, and that a click goes on.
    let left = move || {
        if progress.with(|p| p.running || p.planned == 0) {
            return None;
        }
        let (_, count) = without_report(app, 0);
        (count > 0).then(|| {
            format!(
                "{} matching scanned artifacts have no report yet: Fetch vulnerability \
                 reports again for the next {}.",
                thousands(count as u64),
                thousands(count.min(MAX_REPORTS) as u64)
            )
        })
    };
    let line = move || {
        let p = progress.get();
        (p.running || p.planned > 0).then(|| {
            let state = if p.running { "fetching" } else { "finished" };
            format!(
                "Reports {state}: {} of {} ({} failed)",
                p.done, p.planned, p.failed
            )
        })
    };
    view! {
        <div class="bulk-reports">
            <button type="button" on:click=start disabled=move || progress.with(|p| p.running)>
                "Fetch vulnerability reports"
            </button>
            " "
            <span class="muted">{line}</span>
            " "
            <span>{move || summary(app)}</span>
            " "
            <span class="muted">{left}</span>
        </div>
    }
}
