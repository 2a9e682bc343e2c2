//! Audit requests beside the crawl: project summaries (quota figures) and Security Hub.
//!
//! Both go through the same [`Transport`] and [`Clock`] as the crawl, with its
//! credentials, timeout and concurrency bound, so the wasm app calls them as it calls
//! the crawler. Unlike the crawl they do not retry: each is a handful of requests whose
//! failure the caller shows (and falls back from).

use std::collections::HashMap;
use std::sync::Arc;

use futures::future::{select, Either};
use futures::stream::{self, StreamExt};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::crawl::CrawlConfig;
use crate::model::{parse_severity, Errors, VulnReport, VulnRow};
use crate::slim::Severity;
use crate::transport::{CancelToken, Clock, NetworkErrorKind, Request, Transport, TransportError};
use crate::url::{encode_component, ApiPath};

/// Largest page Harbor serves.
const PAGE_SIZE: u32 = 100;

/// Why an audit request gave nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    /// 401 or 403: the caller may not read this (Security Hub needs a system admin or a
    /// robot with the security-hub permission). The app falls back to what it may read.
    #[error("not allowed (HTTP {status}): {message}")]
    NotAllowed {
        /// 401 or 403.
        status: u16,
        /// Harbor's message.
        message: String,
    },
    /// Any other non-2xx answer.
    #[error("HTTP {status}: {message}")]
    Http {
        /// The status.
        status: u16,
        /// Harbor's message, or the start of the body.
        message: String,
    },
    /// No answer (network, timeout).
    #[error("network: {0}")]
    Network(TransportError),
    /// A 2xx body that is not the expected JSON.
    #[error("unexpected body: {0}")]
    Decode(String),
    /// The caller cancelled.
    #[error("cancelled")]
    Cancelled,
}

impl AuditError {
    /// True for [`AuditError::NotAllowed`].
    pub fn is_not_allowed(&self) -> bool {
        matches!(self, AuditError::NotAllowed { .. })
    }
}

/// `ProjectSummary` (`GET /projects/{project}/summary`), of which the dashboard reads
/// the quota figures. Fields the caller may not see are absent (`None`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ProjectSummary {
    /// Quota figures; only for callers with the quota read permission (members).
    pub quota: Option<SummaryQuota>,
}

/// `ProjectSummaryQuota`: limits and use per resource.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct SummaryQuota {
    /// Limits; -1 means none.
    pub hard: Option<QuotaResources>,
    /// Use.
    pub used: Option<QuotaResources>,
}

/// Figures of a quota by resource (`{"storage": 1024}`); storage is the only one the
/// dashboard reads.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct QuotaResources {
    /// Bytes.
    pub storage: Option<i64>,
}

impl ProjectSummary {
    /// Bytes the project's quota counts as used (every blob once), when visible.
    pub fn storage_used(&self) -> Option<u64> {
        let used = self.quota.as_ref()?.used.as_ref()?.storage?;
        u64::try_from(used).ok()
    }

    /// The storage limit in bytes: `Some(None)` for "no limit" (-1), `None` when not
    /// visible.
    pub fn storage_hard(&self) -> Option<Option<u64>> {
        let hard = self.quota.as_ref()?.hard.as_ref()?.storage?;
        Some(u64::try_from(hard).ok())
    }
}

/// The path of a project's summary; the name is sent with `X-Is-Resource-Name: true`,
/// so an all-digit project name is not read as an id.
pub fn summary_path(project: &str) -> ApiPath {
    ApiPath::parse(&format!(
        "{}/projects/{}/summary",
        crate::url::API_BASE,
        encode_component(project)
    ))
    .unwrap_or_else(|_| ApiPath::projects())
}

/// Fetches the summary of every project in `projects` (names), at most
/// `config.max_in_flight` at once. Each project gets its own result, in input order.
pub async fn fetch_summaries<T: Transport, C: Clock>(
    transport: &T,
    clock: &C,
    config: &CrawlConfig,
    projects: &[String],
    cancel: &CancelToken,
) -> Vec<(String, Result<ProjectSummary, AuditError>)> {
    let each = projects.iter().map(|name| async move {
        let headers = vec![("X-Is-Resource-Name", "true".to_owned())];
        let result = get_ok(
            transport,
            clock,
            config,
            summary_path(name),
            headers,
            cancel,
        )
        .await
        .and_then(decode::<ProjectSummary>)
        .map(|(v, _)| v);
        (name.clone(), result)
    });
    stream::iter(each)
        .buffered(config.max_in_flight.max(1))
        .collect()
        .await
}

/// A Security Hub `VulnerabilityItem` (`GET /security/vul`), with the fields a
/// per-artifact report is built from.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct VulnerabilityItem {
    /// Full repository name.
    pub repository_name: String,
    /// The artifact's digest.
    pub digest: String,
    /// CVE id.
    pub cve_id: String,
    /// `Critical`, `High`, ...
    pub severity: String,
    /// CVSS v3 score; Harbor stores 0 when the scanner gave none.
    pub cvss_v3_score: Option<f64>,
    /// The package.
    pub package: String,
    /// Its installed version.
    pub version: String,
    /// The fixing version, empty when none.
    pub fixed_version: Option<String>,
    /// Description.
    pub desc: Option<String>,
    /// Links.
    pub links: Option<Vec<String>>,
}

/// A Security Hub search: the `q` filters Harbor's `/security/vul` accepts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HubQuery {
    /// `cve_id=...` (exact).
    pub cve_id: Option<String>,
    /// `severity=...` (exact, e.g. `Critical`).
    pub severity: Option<Severity>,
    /// `cvss_score_v3=[min~max]`.
    pub cvss_v3: Option<(Option<f64>, Option<f64>)>,
    /// `package=...` (exact).
    pub package: Option<String>,
    /// `repository_name=...` (exact, with the project).
    pub repository: Option<String>,
    /// `tag=...`.
    pub tag: Option<String>,
    /// `digest=...`.
    pub digest: Option<String>,
    /// `project_id=...`.
    pub project_id: Option<i64>,
}

impl HubQuery {
    /// The `q` value, `None` when nothing is filtered. Values that would break `q`'s
    /// syntax (a `,`, or braces and brackets opening a list) are refused.
    pub fn q(&self) -> Result<Option<String>, crate::url::UrlError> {
        let mut q = crate::url::Q::new();
        let texts = [
            ("cve_id", &self.cve_id),
            ("package", &self.package),
            ("repository_name", &self.repository),
            ("tag", &self.tag),
            ("digest", &self.digest),
        ];
        for (key, value) in texts {
            if let Some(v) = value {
                q = q.exact(key, v)?;
            }
        }
        if let Some(s) = self.severity {
            q = q.exact("severity", s.name())?;
        }
        if let Some(id) = self.project_id {
            q = q.exact("project_id", &id.to_string())?;
        }
        if let Some((lo, hi)) = self.cvss_v3 {
            q = q.range("cvss_score_v3", lo, hi)?;
        }
        Ok((!q.is_empty()).then(|| q.as_str()))
    }
}

fn vul_path(q: Option<&str>, page: u64) -> ApiPath {
    let path = ApiPath::parse(&format!("{}/security/vul", crate::url::API_BASE))
        .unwrap_or_else(|_| ApiPath::projects())
        .with_param("page", page)
        .with_param("page_size", PAGE_SIZE)
        .with_param("with_tag", true);
    match q {
        Some(q) => path.with_param("q", q),
        None => path,
    }
}

/// Every Security Hub item matching `query`: the first page, then (once it gives the
/// total) the other pages concurrently, at most `config.max_in_flight` at once. A 401
/// or 403 is [`AuditError::NotAllowed`]: the caller falls back to per-artifact reports.
pub async fn fetch_vulnerabilities<T: Transport, C: Clock>(
    transport: &T,
    clock: &C,
    config: &CrawlConfig,
    query: &HubQuery,
    cancel: &CancelToken,
) -> Result<Vec<VulnerabilityItem>, AuditError> {
    let q = query
        .q()
        .map_err(|e| AuditError::Decode(format!("bad search: {e}")))?;
    let q = q.as_deref();
    let get = |page: u64| async move {
        get_ok(
            transport,
            clock,
            config,
            vul_path(q, page),
            Vec::new(),
            cancel,
        )
        .await
        .and_then(decode::<Vec<VulnerabilityItem>>)
    };
    let (mut items, total) = get(1).await?;
    match total {
        Some(total) if total >= 0 => {
            let pages = (total as u64).div_ceil(u64::from(PAGE_SIZE));
            let rest: Vec<Result<_, AuditError>> = stream::iter(2..=pages)
                .map(get)
                .buffered(config.max_in_flight.max(1))
                .collect()
                .await;
            for page in rest {
                items.extend(page?.0);
            }
        }
        // No usable total (a proxy dropped it, or it was tuned away): page on until a
        // short page.
        _ => {
            let mut page = 1;
            let mut last = items.len();
            while last == PAGE_SIZE as usize {
                page += 1;
                let (more, _) = get(page).await?;
                last = more.len();
                items.extend(more);
            }
        }
    }
    Ok(items)
}

/// The items as per-artifact reports (one per repository and digest, in first-seen
/// order), so the roll-up built from the reports of the same artifacts is the same. A
/// CVSS score of 0 is Harbor's "none given" and becomes no score.
pub fn reports_from_items(items: &[VulnerabilityItem]) -> Vec<VulnReport> {
    let mut reports: Vec<VulnReport> = Vec::new();
    let mut report_of: HashMap<(&str, &str), usize> = HashMap::new();
    for item in items {
        let key = (item.repository_name.as_str(), item.digest.as_str());
        let at = *report_of.entry(key).or_insert_with(|| {
            reports.push(VulnReport {
                repository: Arc::from(key.0),
                digest: key.1.into(),
                mime: None,
                scanner: None,
                generated_at: None,
                vulnerabilities: Vec::new(),
            });
            reports.len() - 1
        });
        reports[at].vulnerabilities.push(VulnRow {
            id: item.cve_id.as_str().into(),
            severity: parse_severity(&item.severity).unwrap_or(Severity::Unknown),
            package: item.package.as_str().into(),
            version: item.version.as_str().into(),
            fix_version: item.fixed_version.as_deref().unwrap_or("").into(),
            cvss_v3: item.cvss_v3_score.filter(|s| *s > 0.0),
            description: item.desc.as_deref().unwrap_or("").into(),
            links: item
                .links
                .iter()
                .flatten()
                .map(|l| l.as_str().into())
                .collect(),
        });
    }
    reports
}

/// One GET with the crawl's credentials and timeout: the body of a success and the
/// `X-Total-Count` (as sent, -1 included). Not generic in what the body decodes to
/// ([`decode`] does that), so it is compiled once.
async fn get_ok<T: Transport, C: Clock>(
    transport: &T,
    clock: &C,
    config: &CrawlConfig,
    path: ApiPath,
    extra: Vec<(&'static str, String)>,
    cancel: &CancelToken,
) -> Result<(Vec<u8>, Option<i64>), AuditError> {
    if cancel.is_cancelled() {
        return Err(AuditError::Cancelled);
    }
    let mut headers = vec![("Accept", "application/json".to_owned())];
    if let Some(c) = &config.credentials {
        headers.push(("Authorization", c.header()));
    }
    headers.extend(extra);
    let request = Request {
        path,
        headers,
        timeout: config.timeout,
        cancel: cancel.clone(),
    };
    let answer = select(transport.get(request), clock.sleep(config.timeout)).await;
    let response = match answer {
        Either::Left((Ok(r), _)) => r,
        Either::Left((Err(e), _)) if e.kind == NetworkErrorKind::Aborted => {
            return Err(AuditError::Cancelled)
        }
        Either::Left((Err(e), _)) => return Err(AuditError::Network(e)),
        Either::Right(_) => {
            return Err(AuditError::Network(TransportError::timed_out(
                config.timeout,
            )))
        }
    };
    let message = || {
        Errors::first_of(&response.body)
            .map(|e| e.message)
            .unwrap_or_else(|| {
                String::from_utf8_lossy(&response.body)
                    .chars()
                    .take(200)
                    .collect()
            })
    };
    match response.status {
        200..=299 => {}
        401 | 403 => {
            return Err(AuditError::NotAllowed {
                status: response.status,
                message: message(),
            })
        }
        status => {
            return Err(AuditError::Http {
                status,
                message: message(),
            })
        }
    }
    let total = response
        .header("x-total-count")
        .and_then(|v| v.parse::<i64>().ok());
    Ok((response.body, total))
}

/// A success's body as `B`.
fn decode<B: DeserializeOwned>(
    (body, total): (Vec<u8>, Option<i64>),
) -> Result<(B, Option<i64>), AuditError> {
    let decoded = serde_json::from_slice(&body).map_err(|e| AuditError::Decode(e.to_string()))?;
    Ok((decoded, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_query_builds_q() {
        assert_eq!(HubQuery::default().q(), Ok(None));
        let q = HubQuery {
            cve_id: Some("CVE-2024-1".into()),
            severity: Some(Severity::High),
            cvss_v3: Some((Some(7.5), None)),
            project_id: Some(3),
            ..HubQuery::default()
        };
        assert_eq!(
            q.q().unwrap().as_deref(),
            Some("cve_id=CVE-2024-1,severity=High,project_id=3,cvss_score_v3=[7.5~]")
        );
        let bad = HubQuery {
            package: Some("a,b".into()),
            ..HubQuery::default()
        };
        assert!(bad.q().is_err(), "a comma would split q");
    }

    #[test]
    fn summary_decodes_what_a_caller_may_see() {
        let full: ProjectSummary = serde_json::from_str(
            r#"{"repo_count":3,"quota":{"hard":{"storage":-1},"used":{"storage":1024}},
                "developer_count":2}"#,
        )
        .unwrap();
        assert_eq!(full.storage_used(), Some(1024));
        assert_eq!(full.storage_hard(), Some(None));
        let limited: ProjectSummary =
            serde_json::from_str(r#"{"quota":{"hard":{"storage":2048},"used":{}}}"#).unwrap();
        assert_eq!(limited.storage_hard(), Some(Some(2048)));
        assert_eq!(limited.storage_used(), None);
        let bare: ProjectSummary = serde_json::from_str(r#"{"repo_count":1}"#).unwrap();
        assert_eq!((bare.storage_used(), bare.storage_hard()), (None, None));
        assert_eq!(
            summary_path("a b").as_str(),
            "/api/v2.0/projects/a%20b/summary"
        );
    }

    #[test]
    fn items_group_into_reports() {
        let item = |repo: &str, digest: &str, cve: &str, score: f64| VulnerabilityItem {
            repository_name: repo.into(),
            digest: digest.into(),
            cve_id: cve.into(),
            severity: "High".into(),
            cvss_v3_score: Some(score),
            ..VulnerabilityItem::default()
        };
        let reports = reports_from_items(&[
            item("p/b", "sha256:2", "CVE-1", 7.5),
            item("p/a", "sha256:1", "CVE-1", 0.0),
            item("p/b", "sha256:2", "CVE-2", 8.0),
        ]);
        assert_eq!(reports.len(), 2);
        assert_eq!(&*reports[0].repository, "p/b");
        assert_eq!(reports[0].vulnerabilities.len(), 2);
        assert_eq!(reports[1].vulnerabilities[0].cvss_v3, None, "0 means none");
        assert_eq!(reports[1].vulnerabilities[0].severity, Severity::High);
    }
}
