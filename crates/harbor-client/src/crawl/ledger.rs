//! The failure ledger: every request that finally failed, and what is missing because
//! of it. The caller always gets one, even when it is empty.

use std::fmt;
use std::sync::Arc;

use crate::crawl::plan::RequestKind;
use crate::model::HarborError;
use crate::transport::NetworkErrorKind;

/// Why a request failed in the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// An HTTP status that is not success.
    Http {
        /// The status code.
        status: u16,
        /// Harbor's error code and message, when the body was Harbor's error JSON.
        harbor: Option<HarborError>,
        /// When the body was not Harbor's error JSON: what it was instead.
        body_note: Option<String>,
    },
    /// No (complete) response: connection, timeout, broken body.
    Network {
        /// The kind of failure.
        kind: NetworkErrorKind,
        /// The HTTP stack's message.
        message: String,
    },
    /// A success status with a body that is not the JSON expected.
    BadBody {
        /// The status code.
        status: u16,
        /// The response's `Content-Type`.
        content_type: Option<String>,
        /// The parser's message.
        message: String,
    },
    /// Some artifacts of a page could not be used (no digest, no repository).
    BadArtifacts {
        /// How many were dropped.
        count: u64,
        /// The first problem.
        message: String,
    },
    /// A listing's `X-Total-Count` changed on every read of it: artifacts pushed or
    /// deleted meanwhile may have shifted between pages, and some may be missing.
    KeptChanging {
        /// How many times the listing was read.
        passes: u32,
    },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Http {
                status,
                harbor: Some(e),
                ..
            } => {
                write!(f, "HTTP {status} {}: {}", e.code, e.message)
            }
            Failure::Http {
                status,
                harbor: None,
                body_note,
            } => {
                write!(f, "HTTP {status}")?;
                match body_note {
                    Some(note) => write!(f, " ({note})"),
                    None => Ok(()),
                }
            }
            Failure::Network { kind, message } => write!(f, "{kind}: {message}"),
            Failure::BadBody {
                status,
                content_type,
                message,
            } => write!(
                f,
                "HTTP {status} with a body that is not the expected JSON ({}): {message}",
                content_type.as_deref().unwrap_or("no content type")
            ),
            Failure::BadArtifacts { count, message } => {
                write!(f, "{count} artifact(s) could not be read: {message}")
            }
            Failure::KeptChanging { passes } => write!(
                f,
                "the list kept changing while it was read ({passes} reads): \
                 artifacts pushed or deleted meanwhile may be missing"
            ),
        }
    }
}

/// Where in the crawl a request belongs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestScope {
    /// The project, if the request is about one.
    pub project: Option<Arc<str>>,
    /// The full repository name, if the request is about one.
    pub repository: Option<Arc<str>>,
    /// The page, for list requests.
    pub page: Option<u32>,
    /// The artifact digest, for vulnerability reports.
    pub digest: Option<Arc<str>>,
}

/// What a paged listing looked like when a page of it failed; lets "retry failed"
/// continue the listing without planning its pages again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListingSnapshot {
    /// The listing's total, if known.
    pub total: Option<u64>,
    /// Pages planned so far.
    pub pages_planned: u32,
}

/// One request that finally failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    /// Always `GET`.
    pub method: String,
    /// Path and query, relative to the Harbor base.
    pub url: String,
    /// What the request was for (used by "retry failed").
    pub kind: RequestKind,
    /// Project, repository, page.
    pub scope: RequestScope,
    /// Why it failed (the last attempt).
    pub failure: Failure,
    /// `X-Request-Id` of the last attempt (the server's, else the one sent).
    pub request_id: Option<String>,
    /// Attempts made.
    pub attempts: u32,
    /// From the first attempt to giving up, backoff included.
    pub elapsed_ms: u64,
    /// Artifacts this failure leaves out; `None` when unknown (a repository list page,
    /// or a listing whose total was never learnt).
    pub missing_artifacts: Option<u64>,
    /// The listing this page belongs to, if any.
    pub listing: Option<ListingSnapshot>,
}

impl LedgerEntry {
    /// One line for the "failed requests" panel.
    pub fn message(&self) -> String {
        let missing = match self.missing_artifacts {
            Some(0) => String::new(),
            Some(n) => format!("; {n} artifact(s) not loaded"),
            None => "; an unknown number of artifacts not loaded".to_owned(),
        };
        let id = self
            .request_id
            .as_deref()
            .map(|id| format!(" [request {id}]"))
            .unwrap_or_default();
        format!(
            "{} {}: {} after {} attempt(s){missing}{id}",
            self.method, self.url, self.failure, self.attempts
        )
    }

    /// What is missing, in words: "page 3 of repository library/nginx".
    pub fn missing_part(&self) -> String {
        let page = self
            .scope
            .page
            .map(|p| format!("page {p} of "))
            .unwrap_or_default();
        let project = self.scope.project.as_deref().unwrap_or("?");
        match &self.kind {
            RequestKind::SystemInfo => "Harbor version (system info)".to_owned(),
            RequestKind::CurrentUser => "current user".to_owned(),
            RequestKind::Projects { .. } => format!("{page}the project list"),
            RequestKind::AllRepositories { .. } => format!("{page}the repository list"),
            RequestKind::Repositories { .. } => format!("{page}repositories of project {project}"),
            RequestKind::ProjectArtifacts { .. } => format!("{page}artifacts of project {project}"),
            RequestKind::Artifacts { repository, .. } => format!("{page}repository {repository}"),
            RequestKind::ChangedRepositories { project, since, .. } => match project {
                Some(p) => format!("{page}repositories of project {p} changed since {since}"),
                None => format!("{page}the repositories changed since {since}"),
            },
            RequestKind::ChangedArtifacts { repositories, .. } => {
                let names: Vec<&str> = repositories.iter().map(|r| &**r).collect();
                format!("{page}repositories {}", names.join(", "))
            }
            RequestKind::Vulnerabilities {
                repository, digest, ..
            } => {
                format!("vulnerability report of {repository}@{digest}")
            }
        }
    }
}

/// The failure ledger of one crawl.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ledger {
    /// Every request that finally failed, in the order they failed.
    pub entries: Vec<LedgerEntry>,
    /// Artifacts the crawl knew it should load (from the totals it learnt).
    pub artifacts_expected: u64,
    /// Distinct artifacts delivered.
    pub artifacts_loaded: u64,
    /// Artifacts known to be missing because of the failures.
    pub artifacts_missing: u64,
    /// Whether some failure hides an unknown number of artifacts.
    pub missing_unknown: bool,
}

impl Ledger {
    /// No request failed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The missing parts, one line each.
    pub fn missing_parts(&self) -> Vec<String> {
        self.entries.iter().map(LedgerEntry::missing_part).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(failure: Failure, missing: Option<u64>) -> LedgerEntry {
        LedgerEntry {
            method: "GET".into(),
            url: "/api/v2.0/projects/p/repositories/a/artifacts?page=2&page_size=100".into(),
            kind: RequestKind::Artifacts {
                project: Arc::from("p"),
                repository: Arc::from("p/a"),
                page: 2,
            },
            scope: RequestScope {
                project: Some(Arc::from("p")),
                repository: Some(Arc::from("p/a")),
                page: Some(2),
                digest: None,
            },
            failure,
            request_id: Some("rid-1".into()),
            attempts: 4,
            elapsed_ms: 1200,
            missing_artifacts: missing,
            listing: None,
        }
    }

    #[test]
    fn messages_say_what_failed() {
        let harbor = entry(
            Failure::Http {
                status: 500,
                harbor: Some(HarborError {
                    code: "UNKNOWN".into(),
                    message: "internal server error".into(),
                }),
                body_note: None,
            },
            Some(37),
        );
        assert_eq!(
            harbor.message(),
            "GET /api/v2.0/projects/p/repositories/a/artifacts?page=2&page_size=100: HTTP 500 \
             UNKNOWN: internal server error after 4 attempt(s); 37 artifact(s) not loaded \
             [request rid-1]"
        );
        assert_eq!(harbor.missing_part(), "page 2 of repository p/a");
        let html = entry(
            Failure::Http {
                status: 502,
                harbor: None,
                body_note: Some("body is not JSON (text/html): <html>Bad Gateway".into()),
            },
            None,
        );
        assert!(html
            .message()
            .contains("HTTP 502 (body is not JSON (text/html): <html>Bad Gateway)"));
        assert!(html.message().contains("an unknown number of artifacts"));
        let network = Failure::Network {
            kind: NetworkErrorKind::Timeout,
            message: "after 30s".into(),
        };
        assert_eq!(network.to_string(), "timed out: after 30s");
        let body = Failure::BadBody {
            status: 200,
            content_type: Some("application/json".into()),
            message: "EOF while parsing a list at line 1 column 10".into(),
        };
        assert_eq!(
            body.to_string(),
            "HTTP 200 with a body that is not the expected JSON (application/json): EOF while \
             parsing a list at line 1 column 10"
        );
    }
}
