//! One public component per file, named after it.

use leptos::prelude::window;

mod artifact_table;
mod bulk_reports;
mod cache_note;
mod config_problem;
mod connect_form;
mod crawl_controls;
mod crawl_progress;
mod cve_rollup;
mod details_panel;
mod export_buttons;
mod failed_requests;
mod failure_notice;
mod failures_badge;
mod filter_bar;
mod missing_banner;
mod overview_charts;
mod pager;
mod shortcuts;
mod snapshot_diff;
mod theme_toggle;

pub use artifact_table::{ArtifactTable, ColumnChooser};
pub use bulk_reports::BulkReports;
pub use cache_note::CacheNote;
pub use config_problem::ConfigProblem;
pub use connect_form::ConnectForm;
pub use crawl_controls::CrawlControls;
pub use crawl_progress::CrawlProgress;
pub use cve_rollup::{clear_cve_filter, CveRollup};
pub use details_panel::DetailsPanel;
pub use export_buttons::ExportButtons;
pub use failed_requests::FailedRequests;
pub use failure_notice::FailureNotice;
pub use failures_badge::FailuresBadge;
pub use filter_bar::FilterBar;
pub use missing_banner::MissingBanner;
pub use overview_charts::OverviewCharts;
pub use pager::Pager;
pub use shortcuts::{install_shortcuts, ShortcutsHelp};
pub use snapshot_diff::SnapshotDiff;
pub use theme_toggle::ThemeToggle;

/// Copies text to the clipboard (best effort: a browser may refuse without a gesture).
pub fn copy_text(text: &str) {
    let clipboard = window().navigator().clipboard();
    // The promise is dropped: a refused copy changes nothing on the page.
    let _ = clipboard.write_text(text);
}
