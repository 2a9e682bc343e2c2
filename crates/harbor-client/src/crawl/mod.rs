//! The crawl engine: every artifact in scope, as fast as the in-flight bound allows,
//! with every failure accounted for.
//!
//! [`Planner`] is the pure state machine (plan, priorities, retries, ledger);
//! [`Crawler`] drives it over a [`Transport`] and a [`Clock`] and streams [`Event`]s to
//! a callback.
//!
//! # Driving it
//! The caller hands in a [`crate::transport::Transport`] (the network) and a
//! [`crate::transport::Clock`] (time), keeps the [`CancelToken`](crate::transport::CancelToken)
//! of each crawl, and folds the events into its own state. The dashboard does it in
//! `src/actions/crawl.rs` (a `fetch` transport, rows merged into a [`RowSet`]); a native
//! crawl (feature `native`, inside a tokio `LocalSet`), as the tests and benches run it:
//! ```no_run
//! # #[cfg(feature = "native")]
//! # async fn crawl_all(base: &str) -> Result<(), Box<dyn std::error::Error>> {
//! use harbor_client::crawl::{CrawlConfig, Crawler, Event, RowSet, Scope};
//! use harbor_client::native::{NativeTransport, TokioClock};
//! use harbor_client::transport::CancelToken;
//!
//! let crawler = Crawler::new(NativeTransport::new(base)?, TokioClock::new(), CrawlConfig::default());
//! let cancel = CancelToken::new(); // cancel() stops it; no event follows
//! let mut rows = RowSet::new();
//! let report = crawler
//!     .crawl(Scope::default(), &cancel, |event| {
//!         if let Event::Artifacts(batch) = event {
//!             rows.merge(batch);
//!         }
//!     })
//!     .await?;
//! println!("{} artifacts, {} failed requests", rows.len(), report.ledger.entries.len());
//! # Ok(())
//! # }
//! ```
//! After `cancel.cancel()` returns, the callback is never called again for that crawl.

mod engine;
pub mod ledger;
pub mod limit;
pub mod plan;
pub mod retry;
pub mod rows;
pub mod scope;

use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use engine::{Crawler, Job};
pub use ledger::{Failure, Ledger, LedgerEntry, ListingSnapshot, RequestScope};
pub use limit::{LimitConfig, Limiter, Sent};
pub use plan::{
    CrawlReport, Discovery, Dispatch, PlanConfig, Planner, Principal, Progress, RefreshMethod,
    RepoStamp, RequestKind, Strategy, WhyEveryRepository,
};
pub use retry::RetryPolicy;
pub use rows::RowSet;
pub use scope::{Projects, Scope, ScopeError};

use crate::model::VulnReport;
use crate::slim::ArtifactRow;
use crate::url::base64;

/// What a crawl tells its caller, in order: `Discovered` first (not for report runs),
/// then any mix of `Artifacts`, `Repositories`, `Report`, `Failed` and `Progress`, and
/// `Done` last.
/// A cancelled crawl sends nothing after the cancel.
///
/// Events serialise, so a crawl can run in a worker and report to the page.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Harbor version, who we are, and the listing strategy chosen.
    Discovered(Discovery),
    /// A page of repositories was listed: their stamps (every crawl that lists
    /// repositories, and every refresh).
    Repositories(Vec<RepoStamp>),
    /// New artifacts (never one already delivered by this crawl).
    Artifacts(Vec<ArtifactRow>),
    /// A full vulnerability report (report runs only).
    Report(VulnReport),
    /// Updated counts.
    Progress(Progress),
    /// A request failed for good (it is also in the final ledger).
    Failed(LedgerEntry),
    /// The crawl is over; the ledger is always there, even when empty.
    Done(CrawlReport),
}

/// Basic-auth credentials (user or robot account).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// User name, or `robot$name` for a robot.
    pub username: String,
    /// Password or robot secret.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// Shorthand constructor.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials {
            username: username.into(),
            password: password.into(),
        }
    }

    /// The `Authorization` header value.
    pub fn header(&self) -> String {
        format!(
            "Basic {}",
            base64(format!("{}:{}", self.username, self.password).as_bytes())
        )
    }
}

/// How the crawler behaves.
#[derive(Debug, Clone, PartialEq)]
pub struct CrawlConfig {
    /// Requests in flight at the start, and at most over HTTP/1.1 (browsers allow 6
    /// connections per host there).
    pub max_in_flight: usize,
    /// Requests in flight at most once answers come over HTTP/2, where the limit adapts
    /// to what the Harbor can serve ([`limit`]). Set it to `max_in_flight` to hold the
    /// crawl at that value.
    pub max_concurrency: usize,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Retry rules.
    pub retry: RetryPolicy,
    /// Sent as Basic auth when set; otherwise anonymous (or the browser's cookies).
    pub credentials: Option<Credentials>,
    /// Seeds jitter and request ids (the browser passes `Date.now()`).
    pub seed: u64,
    /// See [`PlanConfig::repository_stamps`].
    pub repository_stamps: bool,
}

impl Default for CrawlConfig {
    fn default() -> Self {
        CrawlConfig {
            max_in_flight: 6,
            max_concurrency: 32,
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            credentials: None,
            seed: 0x4c45_4e53,
            repository_stamps: false,
        }
    }
}

impl CrawlConfig {
    fn plan_config(&self) -> PlanConfig {
        PlanConfig {
            max_in_flight: self.max_in_flight,
            max_concurrency: self.max_concurrency,
            retry: self.retry.clone(),
            seed: self.seed,
            repository_stamps: self.repository_stamps,
        }
    }
}

/// Why a crawl delivered no report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrawlError {
    /// The scope was refused before any request.
    #[error("invalid scope: {0}")]
    Scope(#[from] ScopeError),
    /// The crawl was cancelled (or superseded).
    #[error("cancelled")]
    Cancelled,
}

#[cfg(test)]
mod tests;
