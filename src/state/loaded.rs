//! What was loaded from Harbor: rows, failures, reports, and what a refresh compares
//! against. One [`Inventory::reset`] forgets all of it.

use std::collections::HashMap;
use std::sync::Arc;

use harbor_client::crawl::{CrawlReport, LedgerEntry, RepoStamp, RowSet, Scope};
use harbor_client::model::VulnReport;
use harbor_client::slim::ArtifactRow;
use harbor_client::transport::CancelToken;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::actions::ActionError;

/// The scope the rows shown were crawled with and the stamps of their repositories:
/// enough for a refresh to list again only the repositories that changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    pub scope: Scope,
    pub stamps: Vec<RepoStamp>,
}

/// What a refresh changed: the rows of the repositories it listed again or found
/// deleted, as they were and as they are (a snapshot diff shows the difference).
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshChanges {
    /// When the refresh ended, in ms since the epoch.
    pub at: i64,
    pub before: Vec<ArtifactRow>,
    pub after: Vec<ArtifactRow>,
}

/// The vulnerability report of one artifact.
#[derive(Debug, Clone, PartialEq)]
pub enum ReportState {
    Loading,
    Loaded(Arc<VulnReport>),
    Failed(ActionError),
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

/// Where a report is kept: one digest can sit in several repositories, and each is an
/// artifact of its own.
pub fn report_key(repository: &str, digest: impl std::fmt::Display) -> String {
    format!("{repository}@{digest}")
}

/// What the page says about the cached inventory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheView {
    /// The table shows a cached inventory loaded at this time (ms since the epoch).
    pub showing: Option<i64>,
    /// "Forget cached data" went through (until the next Load artifacts).
    pub forgotten: bool,
    /// What the last refresh found: `12 repositories changed, 1,188 unchanged`.
    pub refreshed: Option<String>,
    /// How it found it, and why that way (the release decides).
    pub method: Option<String>,
    pub error: Option<String>,
}

/// The inventory context.
#[derive(Debug, Clone, Copy)]
pub struct Inventory {
    /// Every loaded artifact, in load order, keyed so a retry never duplicates one.
    /// Updated in place (`update`), never cloned.
    pub rows: RwSignal<RowSet>,
    /// Bumped when a merge replaced rows already loaded (the table re-renders its page).
    pub rows_replaced: RwSignal<u64>,
    /// Every request that failed for good, in the order they failed.
    pub failures: RwSignal<Vec<LedgerEntry>>,
    /// When each failed request (by path) was given up, in ms since the epoch.
    pub failed_at: StoredValue<HashMap<String, i64>>,
    /// The last finished crawl: the base for "retry failed".
    pub last_report: StoredValue<Option<CrawlReport>>,
    /// What a refresh of the rows shown compares against (saved with the cache).
    pub baseline: RwSignal<Option<Baseline>>,
    /// The rows of the repositories the last refresh changed, before and after it.
    pub refresh_changes: RwSignal<Option<Arc<RefreshChanges>>>,
    /// Full vulnerability reports, by [`report_key`].
    pub reports: RwSignal<HashMap<String, ReportState>>,
    /// The cached inventory: shown, stored, forgotten.
    pub cache: RwSignal<CacheView>,
    /// Each project's summary (`/projects/{p}/summary`): the quota Harbor counts, shared
    /// layers once. Only the projects whose quota the user may see.
    pub summaries: RwSignal<Vec<(String, harbor_client::audit::ProjectSummary)>>,
    /// The row whose details are open (index into `rows`).
    pub selected: RwSignal<Option<usize>>,
    /// "Now", in ms since the epoch, fixed per load so relative times and the
    /// "not pulled for N days" filter do not drift while the user looks.
    pub now: RwSignal<i64>,
    /// Cancelled by [`Inventory::reset`]: every task that writes into this inventory
    /// (crawls, report fetches, cache restores and saves) holds it and stops when it is
    /// cancelled, so nothing of an earlier user or Harbor lands after a reset.
    lifetime: StoredValue<CancelToken>,
}

impl Inventory {
    pub(super) fn new() -> Inventory {
        Inventory {
            rows: RwSignal::new(RowSet::new()),
            rows_replaced: RwSignal::new(0),
            failures: RwSignal::new(Vec::new()),
            failed_at: StoredValue::new(HashMap::new()),
            last_report: StoredValue::new(None),
            baseline: RwSignal::new(None),
            refresh_changes: RwSignal::new(None),
            reports: RwSignal::new(HashMap::new()),
            cache: RwSignal::new(CacheView::default()),
            summaries: RwSignal::new(Vec::new()),
            selected: RwSignal::new(None),
            now: RwSignal::new(js_sys::Date::now() as i64),
            lifetime: StoredValue::new(CancelToken::new()),
        }
    }

    /// Forgets everything loaded, and cancels every task still writing into it.
    pub fn reset(&self) {
        let old = self.lifetime.get_value();
        old.cancel();
        self.lifetime.set_value(CancelToken::new());
        self.rows.update(RowSet::clear);
        self.rows_replaced.set(0);
        self.failures.set(Vec::new());
        self.failed_at.set_value(HashMap::new());
        self.last_report.set_value(None);
        self.baseline.set(None);
        self.refresh_changes.set(None);
        self.reports.set(HashMap::new());
        self.cache.set(CacheView::default());
        self.summaries.set(Vec::new());
        self.selected.set(None);
        self.now.set(js_sys::Date::now() as i64);
    }

    /// The token of the inventory as it is now: a task checks it after every `await`.
    pub fn lifetime(&self) -> CancelToken {
        self.lifetime.get_value()
    }

    /// Adds a failed request to the failures, stamping when it was given up.
    pub fn record_failure(&self, entry: LedgerEntry) {
        self.failed_at.update_value(|at| {
            at.insert(entry.url.clone(), js_sys::Date::now() as i64);
        });
        self.failures.update(|f| f.push(entry));
    }

    /// Stores fetched reports (a batch at a time: each store rebuilds the CVE roll-up).
    pub fn add_reports(&self, reports: impl IntoIterator<Item = VulnReport>) {
        self.reports.update(|r| {
            for report in reports {
                let key = report_key(&report.repository, &report.digest);
                r.insert(key, ReportState::Loaded(Arc::new(report)));
            }
        });
    }

    /// Every loaded report.
    pub fn with_loaded_reports<T>(&self, f: impl FnOnce(Vec<&VulnReport>) -> T) -> T {
        self.reports
            .with(|r| f(r.values().filter_map(ReportState::loaded).collect()))
    }
}
