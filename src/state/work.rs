//! What is running: the crawl (or refresh, or retry) and the bulk report run, each as
//! one status, with the token that stops it.

use harbor_client::transport::CancelToken;
use leptos::prelude::*;

use crate::actions::ActionError;

/// Where the crawl stands: one state, not five flags.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CrawlPhase {
    /// Nothing crawled yet.
    #[default]
    Ready,
    /// A crawl runs; rows arrive as it goes.
    Loading,
    /// A refresh of the rows shown runs (its rows arrive at its end).
    Refreshing,
    /// Failed requests are tried again.
    Retrying,
    /// The last crawl ran to its end, failures or not.
    Done,
    /// The last crawl was cancelled; the rows loaded so far stay.
    Cancelled,
    /// The crawl could not start.
    Failed(ActionError),
}

impl CrawlPhase {
    /// A crawl, refresh or retry is running.
    pub fn is_running(&self) -> bool {
        matches!(
            self,
            CrawlPhase::Loading | CrawlPhase::Refreshing | CrawlPhase::Retrying
        )
    }
}

/// What the crawl progress widgets show; updated from the engine's events.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CrawlView {
    pub phase: CrawlPhase,
    pub requests_done: u64,
    pub requests_failed: u64,
    pub requests_planned: u64,
    pub in_flight: u64,
    /// The engine's current limit on requests in flight (0: not known).
    pub limit: u64,
    pub artifacts_expected: u64,
    pub elapsed_ms: u64,
}

/// How far a bulk report run is: reports fetched, of requested.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReportRun {
    pub done: u64,
    pub planned: u64,
    pub failed: u64,
    pub running: bool,
    /// The run was stopped (Cancel, sign-out) before its end.
    pub cancelled: bool,
    /// Milliseconds since the run started, as of its last progress.
    pub elapsed_ms: u64,
    /// Set when the reports came from Security Hub, not one request per artifact.
    pub hub: Option<HubFigures>,
}

/// What a report run read from Security Hub.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HubFigures {
    /// Findings (one CVE in one package of one artifact).
    pub findings: usize,
    /// Scanned artifacts covered (those without a finding included).
    pub artifacts: usize,
    /// Requests it took.
    pub requests: usize,
}

impl HubFigures {
    /// `from Security Hub, 1,204 findings for 310 scanned artifacts in 13 request(s)`.
    pub fn describe(&self) -> String {
        format!(
            "from Security Hub, {} findings for {} scanned artifacts in {} request(s)",
            inventory::format::thousands(self.findings as u64),
            inventory::format::thousands(self.artifacts as u64),
            self.requests
        )
    }
}

/// The work context.
#[derive(Debug, Clone, Copy)]
pub struct Work {
    pub crawl: RwSignal<CrawlView>,
    /// Stops the running crawl, refresh or retry.
    pub crawl_cancel: StoredValue<Option<CancelToken>>,
    pub reports: RwSignal<ReportRun>,
    /// Stops the running report run.
    pub reports_cancel: StoredValue<Option<CancelToken>>,
    /// The keyboard shortcuts list (`?`) is open.
    pub shortcuts_open: RwSignal<bool>,
    /// The failed-requests panel is open (the header's badge and the crawl's notice open it).
    pub failures_open: RwSignal<bool>,
}

impl Work {
    pub(super) fn new() -> Work {
        Work {
            crawl: RwSignal::new(CrawlView::default()),
            crawl_cancel: StoredValue::new(None),
            reports: RwSignal::new(ReportRun::default()),
            reports_cancel: StoredValue::new(None),
            shortcuts_open: RwSignal::new(false),
            failures_open: RwSignal::new(false),
        }
    }

    /// Whether a crawl, refresh or retry runs (tracked).
    pub fn crawling(&self) -> bool {
        self.crawl.with(|c| c.phase.is_running())
    }

    /// Stops the running crawl, if any, and returns the token of the next one.
    pub fn take_over_crawl(&self) -> CancelToken {
        take_over(self.crawl_cancel)
    }

    /// Stops the running report run, if any, and returns the token of the next one.
    pub fn take_over_reports(&self) -> CancelToken {
        take_over(self.reports_cancel)
    }

    /// Stops the running crawl (the rows loaded so far stay).
    pub fn cancel_crawl(&self) {
        if let Some(token) = self.crawl_cancel.get_value() {
            token.cancel();
        }
    }

    /// Stops the running report run (the reports fetched so far stay).
    pub fn cancel_reports(&self) {
        if let Some(token) = self.reports_cancel.get_value() {
            token.cancel();
        }
    }

    /// Stops everything and shows nothing running.
    pub fn stop_all(&self) {
        self.cancel_crawl();
        self.cancel_reports();
        self.crawl.set(CrawlView::default());
        self.reports.set(ReportRun::default());
    }
}

fn take_over(slot: StoredValue<Option<CancelToken>>) -> CancelToken {
    let token = CancelToken::new();
    if let Some(old) = slot.get_value() {
        old.cancel();
    }
    slot.set_value(Some(token.clone()));
    token
}
