//! The artifact inventory the dashboard shows, as plain data and pure functions.
//!
//! Built like TanStack Table's core: one plain state struct ([`TableQuery`]) is run
//! through pure stages — [`view::order`] (sort) → [`view::matching`] (filter) →
//! [`view::page_of`] (paginate); [`view()`] runs all three at once. The Leptos app keeps
//! the rows and the query in signals and each stage in a memo of its own, so a keystroke
//! never sorts and a page change never filters. Nothing here imports `leptos`, `web-sys`
//! or `gloo`, and nothing reads a clock: "now" is passed in.
//!
//! ```
//! use inventory::{view, TableQuery};
//! let rows = inventory::synthetic::rows(120, 7);
//! let mut query = TableQuery::default();
//! query.update_filters(|f| f.project = "proj-1".into());
//! let (matching, page) = view(&rows, None, &query, inventory::synthetic::NOW);
//! assert_eq!(page.page, 1);
//! assert!(page.indices.len() <= 50 && matching.len() >= page.indices.len());
//! ```
//!
//! What the app calls:
//! - state: [`TableQuery`] (`update_filters`, `click_sort`, `aria_sort`, `next_page`,
//!   `set_per_page`, `apply_preset`, `to_query_string` / `from_query_string`), and
//!   [`recent::RecentMatches`] so typing never scans every row twice;
//! - cells: [`mod@format`] (sizes, relative times, short digests, badges, "+N more", pull
//!   commands, severity choices);
//! - the rest of the page: [`export`], [`presets`], [`stats`] (charts), [`rollup`] (the
//!   CVE roll-up, from reports or from Security Hub), [`diff`] (snapshot diff), [`refresh`]
//!   (folding a refresh in), [`progress`] (percent and time left);
//! - audit depth: [`tagrows`] (one row per tag), [`portal`] (links into Harbor's portal),
//!   [`storage`] (quota beside the size sum), [`pulltime`] (what `pull_time` means).

#![warn(missing_docs)]

pub mod diff;
pub mod export;
pub mod filter;
pub mod format;
pub mod index;
pub mod page;
pub mod portal;
pub mod presets;
pub mod progress;
pub mod pulltime;
pub mod query;
pub mod recent;
pub mod refresh;
pub mod rollup;
pub mod sort;
pub mod stats;
pub mod storage;
pub mod synthetic;
pub mod tagrows;
pub mod time;
pub mod urlenc;
pub mod view;

pub use filter::{Filters, RowIndex, ScanFilter};
pub use harbor_client::slim::{ArtifactRow, Millis, ScanStatus, Severity};
pub use page::{paginate, PageInfo, PerPage};
pub use presets::{Preset, PresetSummary};
pub use query::TableQuery;
pub use sort::{Column, Direction, SortSpec};
pub use tagrows::RowMode;
pub use view::{view, Page};

/// Milliseconds in one day; the unit of every "N days" filter.
pub const DAY_MS: Millis = 24 * 60 * 60 * 1000;
