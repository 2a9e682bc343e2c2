//! `Fetch vulnerability reports` for the matching artifacts, its progress and a way to
//! stop it, and the sum of what was fetched.

use std::collections::HashSet;

use harbor_client::slim::ArtifactRow;
use inventory::format::thousands;
use inventory::progress::{estimate, Estimate};
use inventory::rollup::without_report;
use leptos::prelude::*;

use crate::actions::reports::{cancel, fetch_many, MAX_REPORTS};
use crate::state::{use_lens, Lens, ReportRun};

/// Matching rows with findings whose report is not loaded yet, in table order; `limit`
/// caps how many are collected (all are counted).
fn pending(lens: Lens, limit: usize) -> (Vec<ArtifactRow>, usize) {
    lens.table.matching.with(|matching| {
        lens.table.rows.with(|rows| {
            lens.inventory.with_loaded_reports(|reports| {
                let loaded: HashSet<(&str, &str)> = reports
                    .iter()
                    .map(|r| (&*r.repository, &*r.digest))
                    .collect();
                let (picked, count) = without_report(rows, matching, &loaded, limit);
                (picked.into_iter().cloned().collect(), count)
            })
        })
    })
}

/// "412 reports loaded: 1,203 distinct vulnerabilities, 388 with a fix available", from
/// the CVE roll-up (which already joined the reports to the rows).
fn summary(lens: Lens) -> Option<String> {
    lens.table.rollup.with(|r| {
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

/// `Reports fetching: 10 of 40 (0 failed)`, once a run started.
fn progress_line(run: &ReportRun) -> Option<String> {
    if let (false, Some(hub)) = (run.running, run.hub) {
        return Some(format!("Reports finished: {}", hub.describe()));
    }
    (run.running || run.planned > 0).then(|| {
        let state = match (run.running, run.cancelled) {
            (true, _) => "fetching",
            (false, true) => "stopped",
            (false, false) => "finished",
        };
        let line = format!(
            "Reports {state}: {} of {} ({} failed)",
            run.done, run.planned, run.failed
        );
        match run_estimate(run) {
            Some(e) => format!("{line} · {}", e.describe()),
            None => line,
        }
    })
}

/// Percent and time left of a running report run (failed reports count as finished).
fn run_estimate(run: &ReportRun) -> Option<Estimate> {
    run.running
        .then(|| estimate(run.done + run.failed, run.planned, run.elapsed_ms))
        .flatten()
}

/// `Fetch vulnerability reports` for the matching artifacts, and its progress.
#[component]
pub fn BulkReports(
    /// Opens the CVE roll-up, where the reports are summed up.
    rollup_open: RwSignal<bool>,
) -> impl IntoView {
    let lens = use_lens();
    let run = lens.work.reports;
    let start = move |_| {
        rollup_open.set(true);
        let rows = untrack(|| pending(lens, MAX_REPORTS).0);
        fetch_many(lens, rows);
    };
    // A run fetches at most MAX_REPORTS; say what is left, and that a click goes on.
    let left = move || {
        if run.with(|p| p.running || p.planned == 0) {
            return None;
        }
        let (_, count) = pending(lens, 0);
        (count > 0).then(|| {
            format!(
                "{} matching scanned artifacts have no report yet: Fetch vulnerability \
                 reports again for the next {}.",
                thousands(count as u64),
                thousands(count.min(MAX_REPORTS) as u64)
            )
        })
    };
    let running = move || run.with(|p| p.running);
    view! {
        <div class="bulk-reports">
            <button type="button" on:click=start disabled=running>
                "Fetch vulnerability reports"
            </button>
            " "
            <button type="button" on:click=move |_| cancel(lens) disabled=move || !running()>
                "Stop fetching reports"
            </button>
            " "
            {move || {
                run.with(run_estimate)
                    .map(|e| {
                        view! {
                            <progress
                                aria-label="Report progress"
                                max="100"
                                value=e.percent.to_string()
                                aria-valuetext=e.describe()
                            ></progress>
                        }
                    })
            }}
            " "
            <span class="muted" role="status" aria-label="Report run">{move || run.with(progress_line)}</span>
            " "
            <span>{move || summary(lens)}</span>
            " "
            <span class="muted">{left}</span>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_how_a_run_stands() {
        assert_eq!(progress_line(&ReportRun::default()), None);
        let running = ReportRun {
            done: 3,
            planned: 9,
            running: true,
            ..ReportRun::default()
        };
        assert_eq!(
            progress_line(&running).as_deref(),
            Some("Reports fetching: 3 of 9 (0 failed) · 33%")
        );
        let later = ReportRun {
            done: 30,
            planned: 90,
            elapsed_ms: 6_000,
            ..running
        };
        assert_eq!(
            progress_line(&later).as_deref(),
            Some("Reports fetching: 30 of 90 (0 failed) · 33% · about 15 s left")
        );
        let finished = ReportRun {
            running: false,
            ..later
        };
        assert_eq!(
            progress_line(&finished).as_deref(),
            Some("Reports finished: 30 of 90 (0 failed)")
        );
        let stopped = ReportRun {
            running: false,
            cancelled: true,
            ..running
        };
        assert!(progress_line(&stopped).is_some_and(|l| l.starts_with("Reports stopped")));
    }
}
