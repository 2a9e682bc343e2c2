//! The crawl's public vocabulary: what a request is for, who the crawl runs as, what
//! discovery found, the counts and the report a caller gets, and the plan's tuning.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::*;

/// What one request is for. Plain data: a failed one can be re-run from the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RequestKind {
    /// `GET /systeminfo`.
    SystemInfo,
    /// `GET /users/current`.
    CurrentUser,
    /// A page of `GET /projects`.
    Projects {
        /// 1-based page.
        page: u32,
    },
    /// A page of `GET /repositories` (every repository the caller can see), for a
    /// refresh or the repository stamps of a project-level crawl.
    AllRepositories {
        /// 1-based page.
        page: u32,
    },
    /// A page of `GET /projects/{project}/repositories`.
    Repositories {
        /// Project name.
        project: Arc<str>,
        /// 1-based page.
        page: u32,
    },
    /// A page of `GET /projects/{project}/artifacts` (Harbor >= 2.12).
    ProjectArtifacts {
        /// Project name.
        project: Arc<str>,
        /// 1-based page.
        page: u32,
    },
    /// A page of the repositories whose `update_time` is at least `since`
    /// (`/repositories`, or per project), for a refresh on Harbor >= 2.15.2.
    ChangedRepositories {
        /// The project, or `None` for every project.
        project: Option<Arc<str>>,
        /// `2025-06-01T00:00:00` (UTC).
        since: Arc<str>,
        /// 1-based page.
        page: u32,
    },
    /// A page of the artifacts of several changed repositories of one project
    /// (`/projects/{project}/artifacts?q=repository_name={...}`), for a refresh.
    ChangedArtifacts {
        /// Project name.
        project: Arc<str>,
        /// Full repository names.
        repositories: Vec<Arc<str>>,
        /// 1-based page.
        page: u32,
    },
    /// A page of `GET /projects/{project}/repositories/{repository}/artifacts`.
    Artifacts {
        /// Project name.
        project: Arc<str>,
        /// Full repository name, with the project.
        repository: Arc<str>,
        /// 1-based page.
        page: u32,
    },
    /// The full vulnerability report of one artifact.
    Vulnerabilities {
        /// Project name.
        project: Arc<str>,
        /// Full repository name.
        repository: Arc<str>,
        /// Artifact digest.
        digest: Arc<str>,
        /// The report MIME type from the artifact's scan overview.
        mime: Option<Arc<str>>,
    },
}

impl RequestKind {
    /// Project, repository and page, for the ledger.
    pub fn scope(&self) -> RequestScope {
        use RequestKind as K;
        // (project, repository, page, digest), one row per kind.
        let (project, repository, page, digest) = match self {
            K::SystemInfo | K::CurrentUser => (None, None, None, None),
            K::Projects { page } | K::AllRepositories { page } => (None, None, Some(page), None),
            K::Repositories { project, page }
            | K::ProjectArtifacts { project, page }
            | K::ChangedArtifacts { project, page, .. } => (Some(project), None, Some(page), None),
            K::ChangedRepositories { project, page, .. } => {
                (project.as_ref(), None, Some(page), None)
            }
            K::Artifacts {
                project,
                repository,
                page,
            } => (Some(project), Some(repository), Some(page), None),
            K::Vulnerabilities {
                project,
                repository,
                digest,
                ..
            } => (Some(project), Some(repository), None, Some(digest)),
        };
        RequestScope {
            project: project.cloned(),
            repository: repository.cloned(),
            page: page.copied(),
            digest: digest.cloned(),
        }
    }

    /// The paged listing this request is a page of.
    pub(super) fn listing(&self) -> Option<(ListingKey, u32)> {
        match self {
            RequestKind::Projects { page } => Some((ListingKey::Projects, *page)),
            RequestKind::AllRepositories { page } => Some((ListingKey::AllRepositories, *page)),
            RequestKind::Repositories { project, page } => {
                Some((ListingKey::Repositories(project.clone()), *page))
            }
            RequestKind::ProjectArtifacts { project, page } => {
                Some((ListingKey::ProjectArtifacts(project.clone()), *page))
            }
            RequestKind::ChangedRepositories {
                project,
                since,
                page,
            } => Some((
                ListingKey::ChangedRepositories(project.clone(), since.clone()),
                *page,
            )),
            RequestKind::ChangedArtifacts {
                project,
                repositories,
                page,
            } => Some((
                ListingKey::ChangedArtifacts(project.clone(), repositories.clone()),
                *page,
            )),
            RequestKind::Artifacts {
                project,
                repository,
                page,
            } => Some((
                ListingKey::Artifacts(project.clone(), repository.clone()),
                *page,
            )),
            _ => None,
        }
    }
}

/// Reads of one listing at most, when it keeps changing while it is read.
pub const MAX_PASSES: u32 = 3;

/// Pages one listing may have at most (10 million artifacts at 100 per page). A
/// hostile or broken `X-Total-Count` of 10^12, or a server that answers every page
/// full, must not make the crawl plan billions of requests.
pub const MAX_PAGES: u32 = 100_000;

/// Items on page `page` (1-based) of a listing of `total` items.
pub fn page_items(total: u64, page_size: u32, page: u32) -> u64 {
    let before = u64::from(page.saturating_sub(1)) * u64::from(page_size);
    total.saturating_sub(before).min(u64::from(page_size))
}

/// Pages needed for `total` items.
pub fn pages_for(total: u64, page_size: u32) -> u32 {
    u32::try_from(total.div_ceil(u64::from(page_size.max(1)))).unwrap_or(u32::MAX)
}

/// Who the crawl runs as; `Unknown` until discovery learns it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Principal {
    /// `/users/current` said 401.
    Anonymous,
    /// A user account.
    User {
        /// Login name.
        username: String,
        /// System administrator.
        sysadmin: bool,
    },
    /// `/users/current` said 412: a robot account.
    Robot,
    /// `/users/current` failed; treated like anonymous for planning.
    #[default]
    Unknown,
}

impl Principal {
    /// Logged in (user or robot).
    pub fn is_authenticated(&self) -> bool {
        matches!(self, Principal::User { .. } | Principal::Robot)
    }
}

/// What a repository listing says of a repository: enough to tell, on a refresh,
/// whether its artifacts changed since (Harbor moves `update_time` on a push, from
/// 2.15.2 also on deletes and tag changes, and `artifact_count` on a push or delete).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RepoStamp {
    /// Full repository name, with the project (`library/nginx`).
    pub name: String,
    /// `artifact_count` as Harbor listed it (`None` when it left it out).
    pub artifact_count: Option<u64>,
    /// `update_time` exactly as Harbor sent it; compared as text, never parsed, so a
    /// format quirk cannot hide a change.
    pub update_time: String,
}

impl From<&Repository> for RepoStamp {
    fn from(r: &Repository) -> Self {
        RepoStamp {
            name: r.name.clone(),
            artifact_count: r.artifact_count,
            update_time: r.update_time.clone(),
        }
    }
}

/// How artifacts are listed; `PerRepository`, which every release serves, unless
/// discovery finds the project-wide listing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Strategy {
    /// `/projects/{p}/artifacts`: Harbor >= 2.12, logged in, no repository filter.
    ProjectArtifacts,
    /// `/projects/{p}/repositories`, then each repository's artifacts.
    #[default]
    PerRepository,
}

/// What discovery learnt about the Harbor and the caller; by default, nothing yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discovery {
    /// `harbor_version` as sent (only to logged-in callers).
    pub harbor_version: Option<String>,
    /// `(major, minor)` of it.
    pub version: Option<(u32, u32)>,
    /// `auth_mode` (`db_auth`, `ldap_auth`, `oidc_auth`, ...).
    pub auth_mode: Option<String>,
    /// Who the crawl runs as.
    pub principal: Principal,
    /// How artifacts are listed.
    pub strategy: Strategy,
}

/// Counts for a progress bar.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Requests planned so far (not counting retries).
    pub requests_planned: u64,
    /// Requests that succeeded.
    pub requests_done: u64,
    /// Requests on the wire now.
    pub requests_in_flight: u64,
    /// Requests that finally failed.
    pub requests_failed: u64,
    /// Extra attempts made.
    pub retries: u64,
    /// Artifacts the crawl knows it should load.
    pub artifacts_expected: u64,
    /// Distinct artifacts delivered.
    pub artifacts_loaded: u64,
    /// Requests allowed in flight now ("14 in flight, limit 16"): adaptive over HTTP/2.
    pub limit: u64,
}

/// Everything the caller gets at the end of a crawl (also for a retry or a report run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrawlReport {
    /// The scope crawled.
    pub scope: Scope,
    /// What discovery found.
    pub discovery: Discovery,
    /// Every failure and what is missing.
    pub ledger: Ledger,
    /// Final counts.
    pub progress: Progress,
    /// Longest chain of requests that each needed the previous one's answer: the
    /// crawl cannot take less than this many round trips.
    pub critical_path: u32,
    /// For a refresh: how it found what changed, and why that way.
    pub refresh: Option<RefreshMethod>,
}

/// A request the driver should send now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispatch {
    /// Task id, to report the result with.
    pub id: u64,
    /// What it is for.
    pub kind: RequestKind,
    /// Path and query.
    pub path: ApiPath,
    /// 1-based attempt number.
    pub attempt: u32,
    /// The `X-Request-Id` to send.
    pub request_id: String,
    /// Headers this kind of request needs (besides auth and request id).
    pub headers: Vec<(&'static str, String)>,
}

/// Tuning of the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanConfig {
    /// Requests in flight at the start, and at most over HTTP/1.1.
    pub max_in_flight: usize,
    /// Requests in flight at most over HTTP/2, where the limit adapts.
    pub max_concurrency: usize,
    /// Retry rules.
    pub retry: RetryPolicy,
    /// Seeds jitter and request ids.
    pub seed: u64,
    /// Also list repositories when artifacts are listed per project, so every crawl
    /// ends with the [`RepoStamp`]s a later refresh compares against (a few requests
    /// more, sent after everything else).
    pub repository_stamps: bool,
}

impl Default for PlanConfig {
    fn default() -> Self {
        PlanConfig {
            max_in_flight: 6,
            max_concurrency: 32,
            retry: RetryPolicy::default(),
            seed: 0x4c45_4e53,
            repository_stamps: false,
        }
    }
}
