//! Runs `harbor-client`'s crawl engine into the app's signals.
//!
//! The engine does the work (planning, concurrency, retries, the ledger); this module
//! only builds a [`Crawler`] over the browser transport, spawns it, and turns its events
//! into signal updates. Rows are buffered and handed to the table a few times a second,
//! so 100,000 artifacts do not re-run the table 1,000 times.

use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use harbor_client::crawl::{
    CrawlConfig, CrawlError, CrawlReport, Crawler, Discovery, Event, Ledger, LedgerEntry, Progress,
    RepoStamp, RowSet, Scope,
};
use harbor_client::model::VulnReport;
use harbor_client::slim::ArtifactRow;
use harbor_client::transport::{CancelToken, Clock};
use inventory::refresh::{stamps_to_keep, Unconfirmed};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::config::TIMEOUT_SECS;
use crate::state::{AppState, Baseline, CrawlView, RefreshChanges};
use crate::transport::{BrowserClock, BrowserTransport};

/// How often buffered rows reach the table while a crawl runs. The first rows go at
/// once, so the table fills within a few round trips of the click.
const FLUSH_EVERY: Duration = Duration::from_millis(250);

/// How often the progress widgets are updated: the engine reports after every
/// response, hundreds of times a second, and each update restyles the page.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

fn crawler(app: AppState) -> Rc<Crawler<BrowserTransport, BrowserClock>> {
    let (base, in_flight, timeout) = app
        .config
        .with_untracked(|c| (c.harbor_url.clone(), c.concurrency, c.request_timeout_secs));
    let defaults = CrawlConfig::default();
    let timeout = timeout.map_or(defaults.timeout, |secs| {
        Duration::from_secs(secs.clamp(*TIMEOUT_SECS.start(), *TIMEOUT_SECS.end()))
    });
    let config = CrawlConfig {
        max_in_flight: in_flight.unwrap_or(defaults.max_in_flight).clamp(1, 64),
        timeout,
        credentials: app.credentials.get_value(),
        seed: js_sys::Date::now() as u64,
        // Every crawl ends with the stamps a later refresh compares against.
        repository_stamps: true,
        ..defaults
    };
    Rc::new(Crawler::new(
        BrowserTransport::new(&base),
        BrowserClock,
        config,
    ))
}

/// Cancels the running crawl, if any, and returns a fresh token for the next one.
fn take_over(app: AppState) -> CancelToken {
    let token = CancelToken::new();
    if let Some(old) = app.cancel.get_value() {
        old.cancel();
    }
    app.cancel.set_value(Some(token.clone()));
    token
}

/// Starts a new crawl of `scope`: clears the table and the failures first.
pub fn start(app: AppState, scope: Scope) {
    let cancel = take_over(app);
    app.rows.update(RowSet::clear);
    app.failures.set(Vec::new());
    app.last_report.set_value(None);
    app.selected.set(None);
    app.reports.update(|r| r.clear());
    app.now.set(js_sys::Date::now() as i64);
    app.baseline.set_value(None);
    app.cache.update(|c| {
        c.showing = None;
        c.forgotten = false;
        c.refreshed = None;
    });
    app.crawl.set(CrawlView {
        running: true,
        ..CrawlView::default()
    });
    let crawler = crawler(app);
    spawn_local(async move {
        let mut sink = Sink::new(app);
        let result = crawler
            .crawl(scope.clone(), &cancel, |e| sink.event(e))
            .await;
        sink.flush();
        if let Ok(report) = &result {
            let unconfirmed = Unconfirmed::from_ledger(&report.ledger.entries);
            let stamps = stamps_to_keep(&[], std::mem::take(&mut sink.stamps), &unconfirmed);
            app.baseline.set_value(Some(Baseline { scope, stamps }));
        }
        finish(app, result, None);
    });
}

/// Refreshes the rows shown (a cached inventory, or the last crawl) against their
/// [`Baseline`]: lists repositories, lists artifacts again only where a repository
/// changed, and swaps the result in at the end, so the table never shows a half-merged
/// state. A failure or a cancel keeps every row shown.
pub fn refresh(app: AppState) {
    let Some(base) = app.baseline.get_value() else {
        return;
    };
    let cancel = take_over(app);
    app.failures.set(Vec::new());
    app.last_report.set_value(None);
    app.cache.update(|c| c.refreshed = None);
    app.crawl.set(CrawlView {
        running: true,
        refreshing: true,
        ..CrawlView::default()
    });
    let crawler = crawler(app);
    spawn_local(async move {
        let mut sink = Sink::new(app);
        sink.held = Some(Vec::new());
        let result = crawler
            .refresh(base.scope.clone(), base.stamps.clone(), &cancel, |e| {
                sink.event(e)
            })
            .await;
        sink.flush();
        if let Ok(report) = &result {
            let fresh = std::mem::take(&mut sink.stamps);
            let recrawled = sink.held.take().unwrap_or_default();
            let mut done = None;
            // The shown rows move into the merge and its result moves back: no copy.
            app.rows.update(|set| {
                let mut folded = inventory::refresh::apply(
                    set.take_rows(),
                    &base.stamps,
                    fresh,
                    recrawled,
                    &report.ledger.entries,
                );
                set.merge(std::mem::take(&mut folded.rows));
                done = Some(folded);
            });
            let Some(done) = done else {
                return; // the rows signal is gone with the page
            };
            let summary = done.summary();
            app.refresh_changes.set(Some(Arc::new(RefreshChanges {
                at: js_sys::Date::now() as i64,
                before: done.before,
                after: done.after,
            })));
            app.now.set(js_sys::Date::now() as i64);
            app.selected.set(None);
            app.rows_replaced.update(|n| *n += 1);
            app.baseline.set_value(Some(Baseline {
                scope: base.scope,
                stamps: done.stamps,
            }));
            app.cache.update(|c| {
                c.showing = None;
                c.refreshed = Some(summary);
            });
        }
        finish(app, result, None);
    });
}

/// Retries the failed requests at `which` (indices into `app.failures`), or all of them.
pub fn retry(app: AppState, which: Option<usize>) {
    // A cancelled crawl has no report; its failures still carry all a retry needs.
    let previous = app.last_report.get_value().unwrap_or_else(|| CrawlReport {
        scope: Scope::default(),
        discovery: Discovery::default(),
        ledger: Ledger::default(),
        progress: Progress::default(),
        critical_path: 0,
        refresh: None,
    });
    let failures = app.failures.get_untracked();
    let chosen: Vec<usize> = match which {
        Some(i) if i < failures.len() => vec![i],
        Some(_) => return,
        None => (0..failures.len()).collect(),
    };
    if chosen.is_empty() {
        return;
    }
    let kept: Vec<LedgerEntry> = failures
        .iter()
        .enumerate()
        .filter(|(i, _)| !chosen.contains(i))
        .map(|(_, e)| e.clone())
        .collect();
    let retried = CrawlReport {
        ledger: Ledger {
            entries: chosen.iter().map(|&i| failures[i].clone()).collect(),
            ..previous.ledger.clone()
        },
        ..previous
    };
    let cancel = take_over(app);
    app.failures.set(kept.clone());
    app.crawl.update(|c| {
        c.running = true;
        c.cancelled = false;
    });
    let crawler = crawler(app);
    spawn_local(async move {
        let mut sink = Sink::new(app);
        let result = crawler
            .retry_failed(&retried, &cancel, |e| sink.event(e))
            .await;
        sink.flush();
        if let Ok(report) = &result {
            // Stamps listed again are new; the ones of what still failed are dropped.
            let still = Unconfirmed::from_ledger(kept.iter().chain(&report.ledger.entries));
            let listed = std::mem::take(&mut sink.stamps);
            app.baseline.update_value(|base| {
                if let Some(base) = base {
                    let mut stamps = listed;
                    stamps.append(&mut base.stamps);
                    base.stamps = stamps_to_keep(&[], stamps, &still);
                }
            });
        }
        finish(app, result, Some(kept));
    });
}

/// Stops the running crawl; the rows loaded so far stay.
pub fn cancel(app: AppState) {
    if let Some(token) = app.cancel.get_value() {
        token.cancel();
    }
}

/// Where a report is kept in `app.reports`: one digest can sit in several
/// repositories, and each is an artifact of its own.
pub fn report_key(repository: &str, digest: &str) -> String {
    format!("{repository}@{digest}")
}

/// Fetches the full vulnerability report of one artifact through the engine, so it
/// gets the same retries, and a failure lands in the failed-requests panel.
pub fn fetch_report(app: AppState, row: ArtifactRow) {
    let crawler = crawler(app);
    let cancel = CancelToken::new();
    let key = report_key(&row.repository, &row.digest);
    app.reports.update(|r| {
        r.insert(key.clone(), ReportState::Loading);
    });
    spawn_local(async move {
        let mut got: Option<VulnReport> = None;
        let mut failed = Vec::new();
        let result = crawler
            .vulnerabilities(std::slice::from_ref(&row), &cancel, |event| match event {
                Event::Report(report) => got = Some(report),
                Event::Failed(entry) => failed.push(entry),
                _ => {}
            })
            .await;
        let state = match (got, result) {
            (Some(report), _) => ReportState::Loaded(Arc::new(report)),
            (None, Err(e)) => ReportState::Failed(e.to_string()),
            (None, Ok(_)) if !failed.is_empty() => {
                ReportState::Failed(failed.iter().map(LedgerEntry::message).collect())
            }
            (None, Ok(_)) => ReportState::Failed("Harbor returned no report".into()),
        };
        for entry in failed {
            record_failure(app, entry);
        }
        app.reports.update(|r| {
            r.insert(key, state);
        });
    });
}

/// How far a bulk report run is: reports fetched, of requested; running or not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BulkProgress {
    pub done: u64,
    pub planned: u64,
    pub failed: u64,
    pub running: bool,
}

/// Reports of a bulk run, handed to the page a few times a second: each hand-over
/// rebuilds the CVE roll-up.
struct ReportSink {
    app: AppState,
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
        if self.buffer.is_empty() {
            return;
        }
        let reports = std::mem::take(&mut self.buffer);
        self.app.reports.update(|r| {
            for report in reports {
                let key = report_key(&report.repository, &report.digest);
                r.insert(key, ReportState::Loaded(Arc::new(report)));
            }
        });
    }
}

/// Fetches the full reports of `rows` (the scanned ones) through the engine's bounded
/// scheduler; reports land in `app.reports`, failures in the failed-requests panel.
pub fn fetch_reports(app: AppState, rows: Vec<ArtifactRow>, progress: RwSignal<BulkProgress>) {
    let crawler = crawler(app);
    let cancel = CancelToken::new();
    progress.set(BulkProgress {
        running: true,
        ..BulkProgress::default()
    });
    spawn_local(async move {
        let mut sink = ReportSink {
            app,
            buffer: Vec::new(),
            last_flush: BrowserClock.now(),
        };
        let result = crawler
            .vulnerabilities(&rows, &cancel, |event| match event {
                Event::Report(report) => sink.push(report),
                Event::Failed(entry) => record_failure(app, entry),
                Event::Progress(p) => progress.update(|b| {
                    b.done = p.requests_done;
                    b.planned = p.requests_planned;
                    b.failed = p.requests_failed;
                }),
                _ => {}
            })
            .await;
        sink.flush();
        progress.update(|b| {
            b.running = false;
            if let Ok(report) = &result {
                b.done = report.progress.requests_done;
                b.planned = report.progress.requests_planned;
                b.failed = report.progress.requests_failed;
            }
        });
    });
}

/// The vulnerability report of one artifact, as the details panel shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum ReportState {
    Loading,
    Loaded(Arc<VulnReport>),
    Failed(String),
}

impl ReportState {
    /// The report, once loaded.
    pub fn loaded(&self) -> Option<&VulnReport> {
        match self {
            ReportState::Loaded(report) => Some(report),
            _ => None,
        }
    }
}

/// Adds a failed request to the panel, stamping when it was given up.
fn record_failure(app: AppState, entry: LedgerEntry) {
    app.failed_at.update_value(|at| {
        at.insert(entry.url.clone(), js_sys::Date::now() as i64);
    });
    app.failures.update(|f| f.push(entry));
}

/// Settles the crawl view once the engine returned.
fn finish(app: AppState, result: Result<CrawlReport, CrawlError>, kept: Option<Vec<LedgerEntry>>) {
    match result {
        Ok(report) => {
            let mut entries = kept.unwrap_or_default();
            entries.extend(report.ledger.entries.iter().cloned());
            app.failures.set(entries);
            let progress = report.progress;
            app.crawl.update(|c| {
                c.running = false;
                c.finished = true;
                c.requests_planned = c.requests_planned.max(progress.requests_planned);
                c.artifacts_expected = c.artifacts_expected.max(progress.artifacts_expected);
                c.in_flight = 0;
            });
            let base = app.last_report.get_value();
            app.last_report.set_value(Some(match base {
                // A retry keeps the first crawl's scope and discovery.
                Some(first) => CrawlReport {
                    ledger: report.ledger,
                    ..first
                },
                None => report,
            }));
            crate::cache::keep(app);
        }
        Err(CrawlError::Cancelled) => {
            app.crawl.update(|c| {
                c.running = false;
                c.cancelled = true;
                c.in_flight = 0;
            });
        }
        Err(e) => app.crawl.update(|c| {
            c.running = false;
            c.error = Some(e.to_string());
        }),
    }
}

/// Receives the engine's events; buffers rows between flushes.
struct Sink {
    app: AppState,
    buffer: Vec<ArtifactRow>,
    /// A refresh keeps its rows here, for the merge at its end, instead of showing them.
    held: Option<Vec<ArtifactRow>>,
    /// Repository stamps listed so far.
    stamps: Vec<RepoStamp>,
    started: Duration,
    last_flush: Duration,
    /// The latest progress not shown yet, and when progress was last shown.
    progress: Option<Progress>,
    last_progress: Duration,
}

impl Sink {
    fn new(app: AppState) -> Self {
        let now = BrowserClock.now();
        Sink {
            app,
            buffer: Vec::new(),
            held: None,
            stamps: Vec::new(),
            started: now,
            last_flush: now,
            progress: None,
            last_progress: now,
        }
    }

    fn event(&mut self, event: Event) {
        match event {
            Event::Artifacts(rows) if self.held.is_some() => {
                self.held.get_or_insert_with(Vec::new).extend(rows);
            }
            Event::Artifacts(rows) => {
                self.buffer.extend(rows);
                let first = self.app.rows.with_untracked(|set| set.is_empty());
                if first || BrowserClock.now().saturating_sub(self.last_flush) >= FLUSH_EVERY {
                    self.flush();
                }
            }
            Event::Progress(p) => {
                self.progress = Some(p);
                if BrowserClock.now().saturating_sub(self.last_progress) >= PROGRESS_EVERY {
                    self.show_progress();
                }
            }
            Event::Failed(entry) => record_failure(self.app, entry),
            // A retried report request: the details panel shows it from now on.
            Event::Report(report) => self.app.reports.update(|r| {
                r.insert(
                    report_key(&report.repository, &report.digest),
                    ReportState::Loaded(Arc::new(report)),
                );
            }),
            Event::Repositories(stamps) => self.stamps.extend(stamps),
            Event::Discovered(_) | Event::Done(_) => {}
        }
    }

    fn show_progress(&mut self) {
        let now = BrowserClock.now();
        self.last_progress = now;
        let Some(p) = self.progress.take() else {
            return;
        };
        let elapsed = now.saturating_sub(self.started).as_millis() as u64;
        self.app.crawl.update(|c| {
            c.requests_done = p.requests_done;
            c.requests_planned = p.requests_planned;
            c.in_flight = p.requests_in_flight;
            c.requests_failed = p.requests_failed;
            c.artifacts_expected = p.artifacts_expected;
            c.elapsed_ms = elapsed;
        });
    }

    /// Hands the buffered rows and the latest progress to the page.
    fn flush(&mut self) {
        self.last_flush = BrowserClock.now();
        if !self.buffer.is_empty() {
            let rows = std::mem::take(&mut self.buffer);
            let count = rows.len();
            let added = self
                .app
                .rows
                .try_update(|set| set.merge(rows))
                .unwrap_or(count);
            if added < count {
                // A retry brought newer data for rows already shown.
                self.app.rows_replaced.update(|n| *n += 1);
            }
        }
        self.show_progress();
    }
}
