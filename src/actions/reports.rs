//! Full vulnerability reports: one artifact's, for the details panel, and bulk runs over
//! the matching artifacts for the CVE roll-up. Both go through the engine, so they get
//! its retries, and a failure lands in the failed-requests panel.

use std::sync::Arc;
use std::time::Duration;

use harbor_client::crawl::Event;
use harbor_client::model::VulnReport;
use harbor_client::slim::ArtifactRow;
use harbor_client::transport::Clock;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::crawl::{crawler, FLUSH_EVERY};
use super::ActionError;
use crate::state::{report_key, Inventory, Lens, ReportRun, ReportState};
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
        let mut sink = ReportSink {
            inventory,
            buffer: Vec::new(),
            last_flush: BrowserClock.now(),
        };
        let result = crawler
            .vulnerabilities(&rows, &cancel, |event| match event {
                Event::Report(report) => sink.push(report),
                Event::Failed(entry) => inventory.record_failure(entry),
                Event::Progress(p) => run.update(|b| {
                    b.done = p.requests_done;
                    b.planned = p.requests_planned;
                    b.failed = p.requests_failed;
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

/// Stops the running report run; the reports fetched so far stay.
pub fn cancel(lens: Lens) {
    lens.work.cancel_reports();
}
