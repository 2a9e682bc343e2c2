//! Paged listings: which one a request belongs to, and what is known of its pages.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::*;

/// A paged listing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum ListingKey {
    Projects,
    AllRepositories,
    Repositories(Arc<str>),
    ProjectArtifacts(Arc<str>),
    Artifacts(Arc<str>, Arc<str>),
    ChangedRepositories(Option<Arc<str>>, Arc<str>),
    ChangedArtifacts(Arc<str>, Vec<Arc<str>>),
}

impl ListingKey {
    pub(super) fn page(&self, page: u32) -> RequestKind {
        match self {
            ListingKey::Projects => RequestKind::Projects { page },
            ListingKey::AllRepositories => RequestKind::AllRepositories { page },
            ListingKey::Repositories(project) => RequestKind::Repositories {
                project: project.clone(),
                page,
            },
            ListingKey::ProjectArtifacts(project) => RequestKind::ProjectArtifacts {
                project: project.clone(),
                page,
            },
            ListingKey::Artifacts(project, repository) => RequestKind::Artifacts {
                project: project.clone(),
                repository: repository.clone(),
                page,
            },
            ListingKey::ChangedRepositories(project, since) => RequestKind::ChangedRepositories {
                project: project.clone(),
                since: since.clone(),
                page,
            },
            ListingKey::ChangedArtifacts(project, repositories) => RequestKind::ChangedArtifacts {
                project: project.clone(),
                repositories: repositories.clone(),
                page,
            },
        }
    }

    pub(super) fn holds_artifacts(&self) -> bool {
        matches!(
            self,
            ListingKey::ProjectArtifacts(_)
                | ListingKey::Artifacts(..)
                | ListingKey::ChangedArtifacts(..)
        )
    }
}

#[derive(Debug, Clone, Default)]
pub(super) struct Listing {
    pub(super) total: Option<u64>,
    pub(super) pages_planned: u32,
    pub(super) page_size: u32,
    /// Pages this crawl answers for: all of them, or for a retry only the retried ones
    /// and any new ones.
    pub(super) owned: BTreeSet<u32>,
    /// Artifacts this listing adds to "expected", kept up to date incrementally.
    pub(super) expected: u64,
    /// Rows each answered page really brought (new ones plus unreadable ones). An
    /// answered page counts with what it held, not with what `X-Total-Count` promised,
    /// so a header that lies (or a listing that shrank) cannot skew the accounting.
    pub(super) received: HashMap<u32, u64>,
    /// Pages of the current pass not answered or failed yet.
    pub(super) pending: BTreeSet<u32>,
    /// The first `X-Total-Count` this pass saw.
    pub(super) header_total: Option<u64>,
    /// Two pages of this pass gave different totals: the listing changed while it was
    /// read, and offset paging may have shifted rows past the pages already read.
    pub(super) changed: bool,
    /// A page of this pass finally failed (it is in the ledger; "retry" re-reads it).
    pub(super) failed: bool,
    /// Passes over the listing so far, the first one included.
    pub(super) passes: u32,
}

impl Listing {
    pub(super) fn snapshot(&self) -> ListingSnapshot {
        ListingSnapshot {
            total: self.total,
            pages_planned: self.pages_planned,
        }
    }

    pub(super) fn recount(&mut self) -> u64 {
        let total = self.total.unwrap_or(0);
        self.expected = self
            .owned
            .iter()
            .map(|p| {
                self.received
                    .get(p)
                    .copied()
                    .unwrap_or_else(|| page_items(total, self.page_size, *p))
            })
            .sum();
        self.expected
    }
}
