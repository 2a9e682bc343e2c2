//! The app-wide reactive state: one `Copy` struct of signals, provided once as context.
//!
//! Everything here is data; the logic that fills it lives in `harbor-client` (crawl),
//! `inventory` (table) and the small glue modules (`connect`, `crawl`, `url_state`).

use std::collections::HashMap;

use harbor_client::crawl::{CrawlReport, LedgerEntry, RowSet};
use harbor_client::transport::CancelToken;
use inventory::{TableQuery, TableView};
use leptos::prelude::*;

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
    /// A problem that stopped the crawl before it started (bad scope, ...).
    pub error: Option<String>,
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
    /// Every request that failed for good, in the order they failed.
    pub failures: RwSignal<Vec<LedgerEntry>>,
    /// When each failed request (by path) was given up, in ms since the epoch.
    pub failed_at: StoredValue<HashMap<String, i64>>,
    /// The last finished crawl: the base for "retry failed".
    pub last_report: StoredValue<Option<CrawlReport>>,
    /// Cancels the running crawl.
    pub cancel: StoredValue<Option<CancelToken>>,
    /// Full vulnerability reports fetched for the details panel, by digest.
    pub reports: RwSignal<HashMap<String, ReportState>>,
    /// Filters, sort and page: mirrored in the URL.
    pub query: RwSignal<TableQuery>,
    pub crawl: RwSignal<CrawlView>,
    /// The row whose details are open (index into `rows`).
    pub selected: RwSignal<Option<usize>>,
    /// The table as shown: matching rows in order and the current page.
    pub table: Memo<TableView>,
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
        let table = Memo::new(move |_| {
            rows.with(|set| query.with(|q| inventory::view(set.rows(), q, now.get())))
        });
        let state = AppState {
            config: RwSignal::new(config),
            conn: RwSignal::new(ConnState::Idle),
            credentials: StoredValue::new(None),
            rows,
            failures: RwSignal::new(Vec::new()),
            failed_at: StoredValue::new(HashMap::new()),
            last_report: StoredValue::new(None),
            cancel: StoredValue::new(None),
            reports: RwSignal::new(HashMap::new()),
            query,
            crawl: RwSignal::new(CrawlView::default()),
            selected: RwSignal::new(None),
            table,
            now,
        };
        provide_context(state);
        state
    }
}

/// The app state from context. Every component is rendered inside `App`, which provides it.
pub fn use_app() -> AppState {
    expect_context::<AppState>()
}
