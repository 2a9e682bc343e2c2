//! Full vulnerability reports: one artifact's, for the details panel, and bulk runs over
//! the matching artifacts for the CVE roll-up. Both go through the engine, so they get
//! its retries, and a failure lands in the failed-requests panel.

use std::sync::Arc;
use std::time::Duration;

use harbor_client::crawl::Event;
use harbor_client::model::VulnReport;
use harbor_client::slim::{ArtifactRow, ScanStatus};
use harbor_client::transport::Clock;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::crawl::{crawler, FLUSH_EVERY};
use super::ActionError;
use crate::state::{report_key, HubFigures, Inventory, Lens, ReportRun, ReportState};
use crate::transport::BrowserClock;

/// At most this many reports per run: a bulk run must not hammer Harbor.
pub const MAX_REPORTS: usize = 1000;

/// Fetches the full report of one artifact (the details panel opened it).
pub fn fetch_one(lens: Lens, row: ArtifactRow) {
    let inventory = lens.inventory;
    let crawler = crawler(lens);
    // Dropped with the inventory: a report of a user signed out since never lands.
    let lifetime = inventory.lifetime();
    let key = report_key(&row.repository, &row.digest);
    inventory.reports.update(|r| {
        r.insert(key.clone(), ReportState::Loading);
    });
    spawn_local(async move {
        let mut got: Option<VulnReport> = None;
        let mut failed = Vec::new();
        let result = crawler
            .vulnerabilities(std::slice::from_ref(&row), &lifetime, |event| match event {
                Event::Report(report) => got = Some(report),
                Event::Failed(entry) => failed.push(entry),
                _ => {}
            })
            .await;
        if lifetime.is_cancelled() {
            return;
        }
        let state = match (got, result) {
            (Some(report), _) => ReportState::Loaded(Arc::new(report)),
            (None, Err(e)) => ReportState::Failed(e.into()),
            (None, Ok(_)) if !failed.is_empty() => {
                ReportState::Failed(ActionError::Failed(failed.clone()))
            }
            (None, Ok(_)) => ReportState::Failed(ActionError::NoReport),
        };
        for entry in failed {
            inventory.record_failure(entry);
        }
        inventory.reports.update(|r| {
            r.insert(key, state);
        });
    });
}

/// Reports of a bulk run, handed to the page a few times a second: each hand-over
/// rebuilds the CVE roll-up.
struct ReportSink {
    inventory: Inventory,
    buffer: Vec<VulnReport>,
    last_flush: Duration,
}

impl ReportSink {
    fn push(&mut self, report: VulnReport) {
        self.buffer.push(report);
        if BrowserClock.now().saturating_sub(self.last_flush) >= FLUSH_EVERY {
            self.flush();
        }
    }

    fn flush(&mut self) {
        self.last_flush = BrowserClock.now();
        if !self.buffer.is_empty() {
            self.inventory.add_reports(std::mem::take(&mut self.buffer));
        }
    }
}

/// `Fetch vulnerability reports`: the full reports of `rows` (the scanned ones) through
/// the engine's bounded scheduler. Cancel, a new crawl and sign-out stop it.
pub fn fetch_many(lens: Lens, rows: Vec<ArtifactRow>) {
    let crawler = crawler(lens);
    let cancel = lens.work.take_over_reports();
    let run = lens.work.reports;
    let inventory = lens.inventory;
    run.set(ReportRun {
        running: true,
        ..ReportRun::default()
    });
    spawn_local(async move {
        if from_security_hub(lens, &cancel).await {
            return;
        }
        let started = BrowserClock.now();
        let mut sink = ReportSink {
            inventory,
            buffer: Vec::new(),
            last_flush: started,
        };
        let result = crawler
            .vulnerabilities(&rows, &cancel, |event| match event {
                Event::Report(report) => sink.push(report),
                Event::Failed(entry) => inventory.record_failure(entry),
                Event::Progress(p) => run.update(|b| {
                    b.done = p.requests_done;
                    b.planned = p.requests_planned;
                    b.failed = p.requests_failed;
                    b.elapsed_ms = BrowserClock.now().saturating_sub(started).as_millis() as u64;
                }),
                _ => {}
            })
            .await;
        if cancel.is_cancelled() {
            // Stopped by the user (what arrived stays) or by a reset (nothing of it may).
            if run.with_untracked(|r| r.running) {
                sink.flush();
                run.update(|r| {
                    r.running = false;
                    r.cancelled = true;
                });
            }
            return;
        }
        sink.flush();
        run.update(|b| {
            b.running = false;
            if let Ok(report) = &result {
                b.done = report.progress.requests_done;
                b.planned = report.progress.requests_planned;
                b.failed = report.progress.requests_failed;
            }
        });
    });
}

/// Security Hub first, where the caller may read it (a system admin, or a robot with
/// the security-hub permission): every finding of every scanned artifact in a few
/// requests, instead of one report per artifact. The findings become one report per
/// loaded artifact (an artifact scanned clean gets an empty one), so the roll-up is
/// built exactly as from per-artifact reports. `false` when the caller may not, or
/// Security Hub failed: the run goes on one report per artifact.
async fn from_security_hub(lens: Lens, cancel: &harbor_client::transport::CancelToken) -> bool {
    if lens.session.config.with_untracked(|c| c.no_security_hub) {
        return false;
    }
    let (base, config) = super::crawl::settings(lens);
    let transport = crate::transport::BrowserTransport::new(&base);
    let query = harbor_client::audit::HubQuery::default();
    let found = harbor_client::audit::fetch_vulnerabilities(
        &transport,
        &BrowserClock,
        &config,
        &query,
        cancel,
    )
    .await;
    let items = match found {
        Ok(items) => items,
        Err(e) => {
            if !e.is_not_allowed() && !cancel.is_cancelled() {
                web_sys::console::warn_1(
                    &format!("Security Hub failed, fetching one report per artifact: {e}").into(),
                );
            }
            return false;
        }
    };
    if cancel.is_cancelled() {
        return true;
    }
    let mut reports = harbor_client::audit::reports_from_items(&items);
    let found: std::collections::HashSet<(String, String)> = reports
        .iter()
        .map(|r| (r.repository.to_string(), r.digest.to_string()))
        .collect();
    let clean: Vec<VulnReport> = lens.inventory.rows.with_untracked(|set| {
        set.rows()
            .iter()
            .filter(|r| r.scan.status == ScanStatus::Success)
            .filter(|r| !found.contains(&(r.repository.to_string(), r.digest.to_string())))
            .map(|r| VulnReport {
                repository: r.repository.clone(),
                digest: r.digest.to_string().into(),
                mime: r.scan.report_mime.as_deref().map(Into::into),
                scanner: None,
                generated_at: r.scan.end_time.get(),
                vulnerabilities: Vec::new(),
            })
            .collect()
    });
    let artifacts = reports.len() + clean.len();
    reports.extend(clean);
    lens.inventory.add_reports(reports);
    lens.work.reports.update(|r| {
        r.running = false;
        r.done = r.planned;
        r.hub = Some(HubFigures {
            findings: items.len(),
            artifacts,
            requests: items.len().div_ceil(100).max(1),
        });
    });
    true
}

/// Stops the running report run; the reports fetched so far stay.
pub fn cancel(lens: Lens) {
    lens.work.cancel_reports();
}
