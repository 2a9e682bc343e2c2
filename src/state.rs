//! The app-wide reactive state: one `Copy` struct of signals, provided once as context.
//!
//! Everything here is data; the logic that fills it lives in `harbor-client` (crawl),
//! `inventory` (table) and the small glue modules (`connect`, `crawl`, `url_state`).

use std::collections::HashMap;
use std::sync::Arc;

use harbor_client::crawl::{CrawlReport, LedgerEntry, RepoStamp, RowSet, Scope};
use harbor_client::slim::ArtifactRow;
use harbor_client::transport::CancelToken;
use inventory::rollup::Rollup;
use inventory::{Filters, Page, RowIndex, SortSpec, TableQuery};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::RuntimeConfig;
use crate::connect::{ConnectError, Connection};
use crate::crawl::ReportState;
use crate::session::Credentials;

/// Where the connection stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ConnState {
    /// Not tried yet.
    #[default]
    Idle,
    Connecting,
    Connected(Connection),
    Failed(ConnectError),
}

impl ConnState {
    /// The connection, if there is one.
    pub fn connection(&self) -> Option<&Connection> {
        match self {
            ConnState::Connected(c) => Some(c),
            _ => None,
        }
    }
}

/// What the crawl progress widgets show; updated from the engine's events.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CrawlView {
    /// A crawl (or a retry) is running.
    pub running: bool,
    /// At least one crawl has run to its end (finished, failed or cancelled).
    pub finished: bool,
    pub cancelled: bool,
    pub requests_done: u64,
    pub requests_failed: u64,
    pub requests_planned: u64,
    pub in_flight: u64,
    pub artifacts_loaded: u64,
    pub artifacts_expected: u64,
    pub elapsed_ms: u64,
    /// The running crawl is a refresh of the inventory shown (rows arrive at its end).
    pub refreshing: bool,
    /// A problem that stopped the crawl before it started (bad scope, ...).
    pub error: Option<String>,
}

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

/// The app's state; `Copy`, so every closure can capture it.
#[derive(Debug, Clone, Copy)]
pub struct AppState {
    pub config: RwSignal<RuntimeConfig>,
    pub conn: RwSignal<ConnState>,
    /// In memory only (see `session` for the opt-in to sessionStorage).
    pub credentials: StoredValue<Option<Credentials>>,
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
    pub baseline: StoredValue<Option<Baseline>>,
    /// The rows of the repositories the last refresh changed, before and after it.
    pub refresh_changes: RwSignal<Option<Arc<RefreshChanges>>>,
    /// Cancels the running crawl.
    pub cancel: StoredValue<Option<CancelToken>>,
    /// Full vulnerability reports fetched for the details panel, by digest.
    pub reports: RwSignal<HashMap<String, ReportState>>,
    /// Filters, sort and page: mirrored in the URL.
    pub query: RwSignal<TableQuery>,
    pub crawl: RwSignal<CrawlView>,
    /// The cached inventory: shown, stored, forgotten (see `cache`).
    pub cache: RwSignal<crate::cache::CacheView>,
    /// The row whose details are open (index into `rows`).
    pub selected: RwSignal<Option<usize>>,
    /// Every row index that passes the filters, in table order: what the charts read,
    /// so a page change does not recompute them.
    pub matching: Memo<Vec<u32>>,
    /// The page shown: its row indices and where it stands (the matches themselves are
    /// in `matching`).
    pub table: Memo<Page>,
    /// Every CVE in the loaded full reports, joined to the rows (see `inventory::rollup`).
    pub rollup: Memo<Arc<CveRollup>>,
    /// "Now", in ms since the epoch, fixed per crawl so relative times and the
    /// "not pulled for N days" filter do not drift while the user looks.
    pub now: RwSignal<i64>,
}

impl AppState {
    /// Creates the state and provides it as context.
    pub fn provide(config: RuntimeConfig, query: TableQuery) -> AppState {
        let rows = RwSignal::new(RowSet::new());
        let query = RwSignal::new(query);
        let now = RwSignal::new(js_sys::Date::now() as i64);
        let rows_replaced = RwSignal::new(0);
        let reports = RwSignal::new(HashMap::new());
        let rollup = rollup_memo(rows, reports);
        let (matching, table) = table_pipeline(rows, rows_replaced, query, now, rollup);
        let state = AppState {
            config: RwSignal::new(config),
            conn: RwSignal::new(ConnState::Idle),
            credentials: StoredValue::new(None),
            rows,
            rows_replaced,
            failures: RwSignal::new(Vec::new()),
            failed_at: StoredValue::new(HashMap::new()),
            last_report: StoredValue::new(None),
            baseline: StoredValue::new(None),
            refresh_changes: RwSignal::new(None),
            cancel: StoredValue::new(None),
            reports,
            query,
            crawl: RwSignal::new(CrawlView::default()),
            cache: RwSignal::new(Default::default()),
            selected: RwSignal::new(None),
            matching,
            table,
            rollup,
            now,
        };
        provide_context(state);
        state
    }
}

/// The CVE roll-up of the loaded reports. Cheap while no report is loaded (the rows are
/// not even indexed); report runs hand reports over in batches, so it is rebuilt a few
/// times a second at most.
fn rollup_memo(
    rows: RwSignal<RowSet>,
    reports: RwSignal<HashMap<String, ReportState>>,
) -> Memo<Arc<CveRollup>> {
    let builds = StoredValue::new(0u64);
    Memo::new(move |_| {
        reports.with(|reports| {
            let loaded = reports.values().filter_map(ReportState::loaded);
            if reports.is_empty() {
                return Arc::new(CveRollup::default());
            }
            builds.update_value(|n| *n += 1);
            Arc::new(CveRollup {
                generation: builds.get_value(),
                data: rows.with(|set| inventory::rollup::build(set.rows(), loaded)),
            })
        })
    })
}

/// A built roll-up and which build it is (0: no report loaded), so a change is seen
/// without comparing thousands of CVE rows.
#[derive(Debug, Default, PartialEq)]
pub struct CveRollup {
    pub generation: u64,
    pub data: Rollup,
}

/// The table as memos in stages (see `inventory::view::order`): each stage re-runs only
/// when what it reads changes, so with 100,000 rows a filter keystroke filters the sorted
/// order without sorting, a page change only slices, and a sort never rebuilds the
/// cross-row index. Every memo is keyed on a part of the query, not the whole of it.
fn table_pipeline(
    rows: RwSignal<RowSet>,
    rows_replaced: RwSignal<u64>,
    query: RwSignal<TableQuery>,
    now: RwSignal<i64>,
    rollup: Memo<Arc<CveRollup>>,
) -> (Memo<Vec<u32>>, Memo<Page>) {
    let sort = Memo::new(move |_| query.with(|q| q.sort()));
    let filters = Memo::new(move |_| query.with(|q| q.filters().clone()));
    let paging = Memo::new(move |_| query.with(|q| (q.per_page(), q.page())));
    let needs_index = Memo::new(move |_| filters.with(|f| f.needs_index()));
    let index = Memo::new(move |_| {
        needs_index
            .get()
            .then(|| rows.with(|set| RowIndex::new(set.rows())))
    });
    let order = Memo::new(move |_| rows.with(|set| inventory::view::order(set.rows(), sort.get())));
    // The rows affected by the CVE filter's id, from the roll-up; `None` without a filter.
    let cve = Memo::new(move |_| filters.with(|f| f.cve.trim().to_owned()));
    let affected = Memo::new(move |_| {
        let id = cve.get();
        (!id.is_empty()).then(|| rollup.with(|r| r.data.affected(&id).map(<[u32]>::to_vec)))
    });
    // Matches are remembered for the last few filter states over the same rows and
    // order. Typing adds a letter: the new matches are searched among the last ones (the
    // filter narrows). Backspace returns to a state seen a moment ago: its matches are
    // reused. Only a filter never seen over these rows scans every row.
    let recent = StoredValue::new(RecentMatches::default());
    let matching = Memo::new(move |previous: Option<&Vec<u32>>| {
        let now = now.get();
        let sort = sort.get();
        rows.with(|set| {
            order.with(|order| {
                filters.with(|f| {
                    index.with(|ix| {
                        // Only a CVE filter reads the roll-up, so only then do new
                        // reports change the matches.
                        let reports = if cve.with(String::is_empty) {
                            0
                        } else {
                            rollup.with(|r| r.generation)
                        };
                        let basis = (set.len(), rows_replaced.get(), now, sort, reports);
                        if let Some(hit) =
                            recent.try_update_value(|r| r.take_hit(basis, f)).flatten()
                        {
                            return hit;
                        }
                        let narrower = recent.with_value(|r| r.last_narrowed_by(basis, f));
                        let among = match previous {
                            Some(previous) if narrower => previous,
                            _ => order,
                        };
                        let found = affected.with(|a| {
                            let a = a.as_ref().and_then(Option::as_deref);
                            inventory::view::matching(set.rows(), among, f, ix.as_ref(), a, now)
                        });
                        recent.update_value(|r| r.push(basis, f, &found));
                        found
                    })
                })
            })
        })
    });
    let table = Memo::new(move |_| {
        let (per_page, page) = paging.get();
        matching.with(|m| inventory::view::page_of(m, per_page, page))
    });
    (matching, table)
}

/// What the matches were computed over: rows (count, replacements), "now", sort, and
/// the roll-up build the CVE filter reads.
type Basis = (usize, u64, i64, Option<SortSpec>, u64);

/// The matches of the last few filter states over one [`Basis`], newest last.
#[derive(Default)]
struct RecentMatches {
    basis: Option<Basis>,
    entries: std::collections::VecDeque<(Filters, Vec<u32>)>,
}

impl RecentMatches {
    /// How many filter states are remembered (each at most one `u32` per row).
    const KEEP: usize = 8;

    /// The remembered matches of `f`, made the newest entry (the memo now holds them).
    fn take_hit(&mut self, basis: Basis, f: &Filters) -> Option<Vec<u32>> {
        if self.basis != Some(basis) {
            return None;
        }
        let at = self.entries.iter().position(|(seen, _)| seen == f)?;
        let entry = self.entries.remove(at)?;
        let matches = entry.1.clone();
        self.entries.push_back(entry);
        Some(matches)
    }

    /// Whether `f` narrows the newest remembered state, whose matches the memo holds.
    fn last_narrowed_by(&self, basis: Basis, f: &Filters) -> bool {
        self.basis == Some(basis) && self.entries.back().is_some_and(|(old, _)| f.narrows(old))
    }

    fn push(&mut self, basis: Basis, f: &Filters, matches: &[u32]) {
        if self.basis != Some(basis) {
            self.basis = Some(basis);
            self.entries.clear();
        }
        self.entries.retain(|(seen, _)| seen != f);
        if self.entries.len() == Self::KEEP {
            self.entries.pop_front();
        }
        self.entries.push_back((f.clone(), matches.to_vec()));
    }
}

/// The app state from context. Every component is rendered inside `App`, which provides it.
pub fn use_app() -> AppState {
    expect_context::<AppState>()
}
