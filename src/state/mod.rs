//! The app's reactive state, in small typed contexts, each provided once:
//!
//! - [`Session`]: which Harbor, who we are there, what the sign-in form holds;
//! - [`Inventory`]: what was loaded (rows, failures, reports, the refresh baseline),
//!   with the one [`Inventory::reset`] every change of user, Harbor or crawl goes through;
//! - [`TableState`]: the table query (mirrored in the URL) and the memos derived from it;
//! - [`Work`]: the crawl and report runs in progress, as one status each.
//!
//! Components read the narrow context they need (`use_inventory()`, ...); the actions in
//! `crate::actions` take the whole [`Lens`], because starting a crawl touches several.

mod loaded;
mod session;
mod table;
mod work;

pub use loaded::{report_key, Baseline, CacheView, Inventory, RefreshChanges, ReportState};
pub use session::{ConnState, Session, SignInForm};
pub use table::{local_storage, CveRollup, MatchBasis, PresetCounts, TableState};
pub use work::{CrawlPhase, CrawlView, HubFigures, ReportRun, Work};

use inventory::TableQuery;
use leptos::prelude::*;

use crate::config::RuntimeConfig;

/// Every context at once, for the actions; `Copy`, so closures capture it freely.
#[derive(Debug, Clone, Copy)]
pub struct Lens {
    pub session: Session,
    pub inventory: Inventory,
    pub table: TableState,
    pub work: Work,
}

impl Lens {
    /// Creates every context and provides each (and the bundle) to the component tree.
    pub fn provide(config: RuntimeConfig, query: TableQuery) -> Lens {
        let session = Session::new(config);
        let inventory = Inventory::new();
        let work = Work::new();
        let table = TableState::new(inventory, query);
        provide_context(session);
        provide_context(inventory);
        provide_context(table);
        provide_context(work);
        let lens = Lens {
            session,
            inventory,
            table,
            work,
        };
        provide_context(lens);
        lens
    }

    /// Forgets everything loaded and stops everything running that would write into it:
    /// the one reset behind sign-out, a new crawl, another Harbor and another user.
    pub fn reset(self) {
        self.work.stop_all();
        self.inventory.reset();
    }
}

/// The contexts, for components (every component renders inside `App`, which provides
/// them).
pub fn use_lens() -> Lens {
    expect_context::<Lens>()
}

/// See [`Session`].
pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// See [`Inventory`].
pub fn use_inventory() -> Inventory {
    expect_context::<Inventory>()
}

/// See [`TableState`].
pub fn use_table() -> TableState {
    expect_context::<TableState>()
}

/// See [`Work`].
pub fn use_work() -> Work {
    expect_context::<Work>()
}
