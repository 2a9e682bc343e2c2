//! The artifact inventory the dashboard shows, as plain data and pure functions.
//!
//! Built like TanStack Table's core: one plain state struct ([`TableQuery`]) is run
//! through pure steps — [`filter`] → [`sort`] → [`page`] — by a single entry point,
//! [`view()`]. The Leptos table is a thin adapter: it keeps the rows and the query in
//! signals, calls [`view()`] in a memo and renders the indices it gets back. Nothing here
//! imports `leptos`, `web-sys` or `gloo`, and nothing reads a clock: "now" is passed in.
//!
//! ```
//! use inventory::{view, TableQuery};
//! let rows = inventory::synthetic::rows(120, 7);
//! let mut query = TableQuery::default();
//! query.update_filters(|f| f.project = "proj-1".into());
//! let table = view(&rows, &query, inventory::synthetic::NOW);
//! assert_eq!(table.page, 1);
//! assert!(table.page_indices().len() <= 50);
//! ```
//!
//! What the UI calls:
//! - state: [`TableQuery`] (`update_filters`, `click_sort`, `aria_sort`, `next_page`,
//!   `set_per_page`, `apply_preset`, `to_query_string` / `from_query_string`);
//! - rendering: [`view_with_index`] (build a [`RowIndex`] once per loaded inventory) →
//!   [`TableView`] (`page_rows`, `page_label`, `total_matching`, `page_count`);
//! - cells: [`mod@format`] (sizes, relative times, short digests, badges, "+N more", pull
//!   commands);
//! - buttons: [`export::to_csv`] / [`export::to_json`] over [`TableView::matching`],
//!   [`presets::summaries`] for the preset chips, [`stats`] for the overview charts.

#![warn(missing_docs)]

pub mod diff;
pub mod export;
pub mod filter;
pub mod format;
pub mod index;
pub mod page;
pub mod presets;
pub mod query;
pub mod recent;
pub mod refresh;
pub mod rollup;
pub mod sort;
pub mod stats;
pub mod synthetic;
pub mod time;
pub mod urlenc;
pub mod view;

pub use filter::{Filters, RowIndex, ScanFilter};
pub use harbor_client::slim::{ArtifactRow, Millis, ScanStatus, Severity};
pub use page::{paginate, PageInfo, PerPage};
pub use presets::{Preset, PresetSummary};
pub use query::TableQuery;
pub use sort::{Column, Direction, SortSpec};
pub use view::{view, view_with_index, Page, TableView};

/// Milliseconds in one day; the unit of every "N days" filter.
pub const DAY_MS: Millis = 24 * 60 * 60 * 1000;
