//! Everything the page does, apart from how it looks: each action reads and writes the
//! state contexts and is the only place a task is spawned. Components render state and
//! call these.
//!
//! - [`connect`]: sign in, sign out, the first connect of the page;
//! - [`crawl`]: Load artifacts, Refresh, Retry failed requests, Cancel;
//! - [`reports`]: one artifact's report, and bulk report runs;
//! - [`cache`]: keep, restore and forget the cached inventory;
//! - [`files`]: read a file the user picked (the snapshot diff's earlier export).

pub mod cache;
pub mod connect;
pub mod crawl;
pub mod files;
pub mod reports;

use harbor_client::crawl::{CrawlError, LedgerEntry};

/// Why an action gave no result, kept typed up to the view.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    /// The engine refused or stopped the work.
    #[error("{0}")]
    Crawl(#[from] CrawlError),
    /// The requests failed for good (they are also in the failed-requests panel).
    #[error("{}", failed_messages(.0))]
    Failed(Vec<LedgerEntry>),
    /// Harbor answered, but with nothing usable.
    #[error("Harbor returned no report")]
    NoReport,
    /// A request outside the engine (the details panel's extras) failed.
    #[error("{0}")]
    Request(String),
}

fn failed_messages(entries: &[LedgerEntry]) -> String {
    entries
        .iter()
        .map(LedgerEntry::message)
        .collect::<Vec<_>>()
        .join("; ")
}
