//! Serde models of the Harbor responses Harbor Lens reads, and their slim forms.
//!
//! Every model is tolerant on purpose: Harbor sends `null` for empty sub-lists, leaves
//! fields out depending on version and on who asks, and writes "never" as
//! `0001-01-01T00:00:00.000Z`. Only a body that is not JSON of the right overall shape
//! fails to parse.
//!
//! A model holds only the fields the dashboard reads; serde skips the others. Each
//! field decoded costs the wasm download code of its own, and the crawl the time and
//! memory to build it, for every one of a million artifacts.

use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::slim::{
    AccessoryKind, AccessoryRow, ArtifactRow, LabelRef, Millis, ScanStatus, ScanSummary, Severity,
    TagRow,
};
use crate::time::parse_rfc3339;

/// Reads `null` as the type's default, so `"tags": null` and a missing `tags` both
/// become an empty list.
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Reads a list (or `null`) only for its length: its items are checked to be JSON and
/// skipped, never built.
fn count<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let items: Vec<IgnoredAny> = nullable(d)?;
    Ok(u32::try_from(items.len()).unwrap_or(u32::MAX))
}

/// A JSON object kept as its entries, in the order sent. Harbor's objects read this way
/// hold a handful of entries (one per report type, one per severity), for which a list
/// is quicker than a hash map, and costs the wasm less code. As in a map, the last entry
/// of a name is the one that counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Entries<V>(pub Vec<(String, V)>);

impl<V> Default for Entries<V> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<V> Entries<V> {
    /// Every entry as sent (a name sent twice comes twice), latest last.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&str, &V)> {
        self.0.iter().map(|(name, value)| (name.as_str(), value))
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&V> {
        self.0.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Takes the value of `name` out.
    pub fn remove(&mut self, name: &str) -> Option<V> {
        let at = self.0.iter().rposition(|(n, _)| n == name)?;
        Some(self.0.swap_remove(at).1)
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Entries<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<V>(PhantomData<V>);

        impl<'de, V: Deserialize<'de>> Visitor<'de> for EntriesVisitor<V> {
            type Value = Entries<V>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<V>, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }

        d.deserialize_map(EntriesVisitor(PhantomData))
    }
}

/// A Harbor project (`GET /projects`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Project {
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    /// Number of repositories; `None` when Harbor left it out.
    pub repo_count: Option<u64>,
}

/// A repository (`GET /projects/{p}/repositories`). `name` includes the project.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Repository {
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    /// Number of artifacts; `None` when Harbor left it out.
    pub artifact_count: Option<u64>,
    #[serde(deserialize_with = "nullable")]
    pub update_time: String,
}

/// A tag of an artifact.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Tag {
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    #[serde(deserialize_with = "nullable")]
    pub push_time: String,
    #[serde(deserialize_with = "nullable")]
    pub pull_time: String,
}

/// A label (global or per project).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Label {
    #[serde(deserialize_with = "nullable")]
    pub id: i64,
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    #[serde(deserialize_with = "nullable")]
    pub color: String,
}

/// The scanner that made a report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct Scanner {
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    #[serde(deserialize_with = "nullable")]
    pub vendor: String,
    #[serde(deserialize_with = "nullable")]
    pub version: String,
}

/// Counts of a scan summary: `{total, fixable, summary: {"Critical": n, ...}}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct VulnerabilitySummary {
    #[serde(deserialize_with = "nullable")]
    pub total: u32,
    #[serde(deserialize_with = "nullable")]
    pub fixable: u32,
    /// Severity name to count; a missing severity means 0.
    #[serde(deserialize_with = "nullable")]
    pub summary: Entries<u32>,
}

/// `NativeReportSummary`: one entry of `scan_overview`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct NativeReportSummary {
    #[serde(deserialize_with = "nullable")]
    pub scan_status: String,
    #[serde(deserialize_with = "nullable")]
    pub severity: String,
    #[serde(deserialize_with = "nullable")]
    pub end_time: String,
    pub summary: Option<VulnerabilitySummary>,
}

/// An artifact as the list endpoints return it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Artifact {
    /// `IMAGE`, `CHART`, `CNAB`, ...
    #[serde(rename = "type", deserialize_with = "nullable")]
    pub kind: String,
    #[serde(deserialize_with = "nullable")]
    pub media_type: String,
    #[serde(deserialize_with = "nullable")]
    pub project_id: i64,
    /// Full repository name with the project; only since Harbor 2.12.
    pub repository_name: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub digest: String,
    #[serde(deserialize_with = "nullable")]
    pub size: u64,
    #[serde(deserialize_with = "nullable")]
    pub push_time: String,
    #[serde(deserialize_with = "nullable")]
    pub pull_time: String,
    #[serde(deserialize_with = "nullable")]
    pub tags: Vec<Tag>,
    #[serde(deserialize_with = "nullable")]
    pub labels: Vec<Label>,
    /// Number of child manifests (the platforms of an image index).
    #[serde(deserialize_with = "count")]
    pub references: u32,
    /// Report MIME type to summary; empty means "not scanned" (or not requested).
    #[serde(deserialize_with = "nullable")]
    pub scan_overview: Entries<NativeReportSummary>,
    /// Signatures, SBOMs, ... (only with `with_accessory=true`; `null` when none).
    #[serde(deserialize_with = "nullable")]
    pub accessories: Vec<Accessory>,
    /// Accessories of the index that references this artifact (Harbor 2.16, only with
    /// `with_inherited_accessory=true`).
    #[serde(deserialize_with = "nullable")]
    pub inherited_accessories: Vec<Accessory>,
}

/// An `Accessory`: a signature or SBOM attached to a subject artifact.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Accessory {
    #[serde(deserialize_with = "nullable")]
    pub size: u64,
    #[serde(deserialize_with = "nullable")]
    pub digest: String,
    /// `signature.cosign`, `signature.notation`, `harbor.sbom`, ...
    #[serde(rename = "type", deserialize_with = "nullable")]
    pub kind: String,
    #[serde(deserialize_with = "nullable")]
    pub creation_time: String,
}

impl Accessory {
    /// The slim form; `inherited` marks one that came from the referencing index.
    pub fn to_row(&self, inherited: bool) -> AccessoryRow {
        AccessoryRow {
            kind: AccessoryKind::parse(&self.kind),
            digest: self.digest.as_str().into(),
            size: self.size,
            push_time: parse_rfc3339(&self.creation_time).into(),
            inherited,
        }
    }
}

/// `GET /systeminfo`. Anonymous callers get fewer fields.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct GeneralInfo {
    /// `v2.13.1-9384ed0e`; absent for anonymous callers.
    pub harbor_version: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub auth_mode: String,
    pub external_url: Option<String>,
}

impl GeneralInfo {
    /// The `(major, minor)` release from `harbor_version`, e.g. `v2.13.1-9384ed0e` → `(2, 13)`.
    pub fn version(&self) -> Option<(u32, u32)> {
        parse_version(self.harbor_version.as_deref()?)
    }
}

/// Parses `v2.13.1-abc`, `2.10.0` or `2.12` into `(major, minor)`.
pub fn parse_version(text: &str) -> Option<(u32, u32)> {
    let text = text.trim().trim_start_matches(['v', 'V']);
    let mut parts = text.split(['.', '-']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// `GET /users/current`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct UserResp {
    #[serde(deserialize_with = "nullable")]
    pub username: String,
    #[serde(deserialize_with = "nullable")]
    pub sysadmin_flag: bool,
}

/// One error of Harbor's error body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct HarborError {
    #[serde(deserialize_with = "nullable")]
    pub code: String,
    #[serde(deserialize_with = "nullable")]
    pub message: String,
}

/// Harbor's error body: `{"errors":[{"code":"...","message":"..."}]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Errors {
    #[serde(deserialize_with = "nullable")]
    pub errors: Vec<HarborError>,
}

impl Errors {
    /// The first error of a body, if the body is Harbor's error JSON with at least one.
    pub fn first_of(body: &[u8]) -> Option<HarborError> {
        serde_json::from_slice::<Errors>(body)
            .ok()?
            .errors
            .into_iter()
            .next()
    }
}

/// One vulnerability of a full report (`additions/vulnerabilities`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Vulnerability {
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    #[serde(deserialize_with = "nullable")]
    pub package: String,
    #[serde(deserialize_with = "nullable")]
    pub version: String,
    #[serde(deserialize_with = "nullable")]
    pub fix_version: String,
    #[serde(deserialize_with = "nullable")]
    pub severity: String,
    #[serde(deserialize_with = "nullable")]
    pub description: String,
    #[serde(deserialize_with = "nullable")]
    pub links: Vec<String>,
    pub preferred_cvss: Option<Cvss>,
}

/// `preferred_cvss`; the score may be `null`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Cvss {
    pub score_v3: Option<f64>,
}

/// The report stored under one MIME type.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct VulnerabilityReport {
    #[serde(deserialize_with = "nullable")]
    pub generated_at: String,
    pub scanner: Option<Scanner>,
    #[serde(deserialize_with = "nullable")]
    pub vulnerabilities: Vec<Vulnerability>,
}

/// The `additions/vulnerabilities` body: report MIME type to report (`{}` when none).
pub type VulnerabilityAddition = Entries<VulnerabilityReport>;

/// MIME types of vulnerability reports, in the order Harbor Lens prefers them.
pub const REPORT_MIME_TYPES: [&str; 2] = [
    "application/vnd.security.vulnerability.report; version=1.1",
    "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0",
];

/// Picks the preferred report of those keyed by MIME type: a known type first, then the
/// alphabetically first unknown one (so the choice does not depend on the order sent).
pub fn preferred_report<V>(reports: &Entries<V>) -> Option<(&str, &V)> {
    REPORT_MIME_TYPES
        .iter()
        .find_map(|mime| Some((*mime, reports.get(mime)?)))
        // Latest first: of two entries of one name, `min_by` keeps the first it met.
        .or_else(|| reports.iter().rev().min_by(|a, b| a.0.cmp(b.0)))
}

/// Parses Harbor's severity names (case-insensitive).
pub fn parse_severity(text: &str) -> Option<Severity> {
    Severity::parse(text)
}

/// One vulnerability as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VulnRow {
    /// CVE (or GHSA, ...) id.
    pub id: Box<str>,
    pub severity: Severity,
    pub package: Box<str>,
    pub version: Box<str>,
    /// Empty when there is no fix.
    pub fix_version: Box<str>,
    pub cvss_v3: Option<f64>,
    pub description: Box<str>,
    pub links: Vec<Box<str>>,
}

/// The full vulnerability report of one artifact, slim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VulnReport {
    /// Full repository name (with the project).
    pub repository: Arc<str>,
    pub digest: Box<str>,
    /// The MIME type the report was stored under; `None` when Harbor had no report.
    pub mime: Option<Box<str>>,
    pub scanner: Option<Scanner>,
    pub generated_at: Option<Millis>,
    pub vulnerabilities: Vec<VulnRow>,
}

impl VulnReport {
    /// Builds the slim report of one artifact from the addition body.
    pub fn from_addition(repository: Arc<str>, digest: &str, body: VulnerabilityAddition) -> Self {
        let chosen = preferred_report(&body).map(|(mime, _)| mime.to_owned());
        let mut body = body;
        let report = chosen.as_ref().and_then(|mime| body.remove(mime));
        let (scanner, generated_at, vulnerabilities) = match report {
            Some(r) => (
                r.scanner,
                parse_rfc3339(&r.generated_at),
                r.vulnerabilities.into_iter().map(VulnRow::from).collect(),
            ),
            None => (None, None, Vec::new()),
        };
        VulnReport {
            repository,
            digest: digest.into(),
            mime: chosen.map(Into::into),
            scanner,
            generated_at,
            vulnerabilities,
        }
    }
}

impl From<Vulnerability> for VulnRow {
    fn from(v: Vulnerability) -> Self {
        VulnRow {
            severity: parse_severity(&v.severity).unwrap_or(Severity::Unknown),
            id: v.id.into(),
            package: v.package.into(),
            version: v.version.into(),
            fix_version: v.fix_version.into(),
            cvss_v3: v.preferred_cvss.and_then(|c| c.score_v3),
            description: v.description.into(),
            links: v.links.into_iter().map(Into::into).collect(),
        }
    }
}

/// Shares strings and labels between the rows of one crawl, so that 100,000 artifacts
/// hold one copy of each project, repository, type and label.
#[derive(Debug, Default)]
pub struct Interner {
    strings: HashSet<Arc<str>>,
    labels: HashSet<Arc<LabelRef>>,
}

impl Interner {
    /// The shared copy of `text`.
    pub fn intern(&mut self, text: &str) -> Arc<str> {
        if let Some(found) = self.strings.get(text) {
            return found.clone();
        }
        let shared: Arc<str> = Arc::from(text);
        self.strings.insert(shared.clone());
        shared
    }

    /// The shared copy of a label.
    pub fn label(&mut self, label: &Label) -> Arc<LabelRef> {
        let key = LabelRef {
            id: label.id,
            name: label.name.as_str().into(),
            color: label.color.as_str().into(),
        };
        if let Some(found) = self.labels.get(&key) {
            return found.clone();
        }
        let shared = Arc::new(key);
        self.labels.insert(shared.clone());
        shared
    }

    /// Points a row made elsewhere (decoded from a worker's message or the cache, where
    /// every row came with its own copies) at the shared strings and labels.
    pub fn share(&mut self, row: &mut ArtifactRow) {
        for text in [
            &mut row.project,
            &mut row.repository,
            &mut row.kind,
            &mut row.media_type,
        ] {
            self.share_text(text);
        }
        if let Some(mime) = &mut row.scan.report_mime {
            self.share_text(mime);
        }
        for label in &mut row.labels {
            match self.labels.get(label) {
                Some(found) => *label = found.clone(),
                None => {
                    self.labels.insert(label.clone());
                }
            }
        }
    }

    fn share_text(&mut self, text: &mut Arc<str>) {
        match self.strings.get(text) {
            Some(found) => *text = found.clone(),
            None => {
                self.strings.insert(text.clone());
            }
        }
    }
}

/// Why an artifact could not be turned into a row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowError {
    /// Harbor sent an artifact without a digest, which cannot be identified.
    #[error("artifact without a digest")]
    MissingDigest,
    /// The project-wide listing sent an artifact without `repository_name`.
    #[error("artifact {digest} has no repository_name")]
    MissingRepository {
        /// The artifact's digest.
        digest: String,
    },
}

impl Artifact {
    /// Converts into the slim row. `project` is the project being crawled; `repository`
    /// the full repository name when the listing was per repository (Harbor before 2.12
    /// does not send `repository_name`); otherwise the artifact's own `repository_name`.
    pub fn into_row(
        self,
        project: &str,
        repository: Option<&str>,
        interner: &mut Interner,
    ) -> Result<ArtifactRow, RowError> {
        if self.digest.is_empty() {
            return Err(RowError::MissingDigest);
        }
        let repository = match (repository, self.repository_name.as_deref()) {
            (Some(r), _) => interner.intern(r),
            (None, Some(r)) if !r.is_empty() => interner.intern(r),
            _ => {
                return Err(RowError::MissingRepository {
                    digest: self.digest,
                })
            }
        };
        let scan = scan_summary(&self.scan_overview, interner);
        Ok(ArtifactRow {
            project: interner.intern(project),
            repository,
            kind: interner.intern(&self.kind),
            media_type: interner.intern(&self.media_type),
            size: self.size,
            push_time: parse_rfc3339(&self.push_time).into(),
            pull_time: parse_rfc3339(&self.pull_time).into(),
            tags: self.tags.iter().map(TagRow::from).collect(),
            labels: self.labels.iter().map(|l| interner.label(l)).collect(),
            scan,
            references: self.references,
            project_id: self.project_id,
            accessories: accessory_rows(&self.accessories, &self.inherited_accessories),
            digest: self.digest.into(),
        })
    }
}

/// Own accessories first, then inherited ones; an inherited accessory that is also
/// listed as the artifact's own (same digest) is kept once.
fn accessory_rows(own: &[Accessory], inherited: &[Accessory]) -> Box<[AccessoryRow]> {
    if own.is_empty() && inherited.is_empty() {
        return Box::default();
    }
    let mut rows: Vec<AccessoryRow> = own.iter().map(|a| a.to_row(false)).collect();
    for a in inherited {
        if !own.iter().any(|o| o.digest == a.digest) {
            rows.push(a.to_row(true));
        }
    }
    rows.into_boxed_slice()
}

impl From<&Tag> for TagRow {
    fn from(tag: &Tag) -> Self {
        TagRow {
            name: tag.name.as_str().into(),
            push_time: parse_rfc3339(&tag.push_time).into(),
            pull_time: parse_rfc3339(&tag.pull_time).into(),
        }
    }
}

/// Maps Harbor's `scan_status` strings onto the dashboard's four states.
pub fn parse_scan_status(text: &str) -> ScanStatus {
    match text.to_ascii_lowercase().as_str() {
        "success" => ScanStatus::Success,
        "pending" | "running" | "scheduled" => ScanStatus::Scanning,
        "error" | "stopped" => ScanStatus::Failed,
        _ => ScanStatus::NotScanned,
    }
}

/// The slim summary of a `scan_overview` map.
pub fn scan_summary(
    overview: &Entries<NativeReportSummary>,
    interner: &mut Interner,
) -> ScanSummary {
    let Some((mime, report)) = preferred_report(overview) else {
        return ScanSummary::NOT_SCANNED;
    };
    let status = parse_scan_status(&report.scan_status);
    let summary = report.summary.clone().unwrap_or_default();
    let count = |name: &str| {
        summary
            .summary
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map_or(0, |(_, v)| *v)
    };
    ScanSummary {
        status,
        severity: if status == ScanStatus::Success {
            parse_severity(&report.severity)
        } else {
            None
        },
        counts: [
            count("Critical"),
            count("High"),
            count("Medium"),
            count("Low"),
        ],
        total: summary.total,
        fixable: summary.fixable,
        end_time: parse_rfc3339(&report.end_time).into(),
        report_mime: Some(interner.intern(mime)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARTIFACTS_2_10: &str = r#"[{"accessories":null,"addition_links":{"vulnerabilities":
        {"absolute":false,"href":"/api/v2.0/projects/app/repositories/userlist/artifacts/sha256:b0/additions/vulnerabilities"}},
        "digest":"sha256:b0","extra_attrs":{"os":"linux"},"icon":"sha256:00","id":1,"labels":null,
        "manifest_media_type":"application/vnd.docker.distribution.manifest.v2+json",
        "media_type":"application/vnd.docker.container.image.v1+json","project_id":2,
        "pull_time":"2024-03-18T05:44:06.564Z","push_time":"2024-03-18T05:35:37.352Z",
        "references":null,"repository_id":1,"size":280958537,
        "tags":[{"artifact_id":1,"id":1,"immutable":false,"name":"v1",
        "pull_time":"0001-01-01T00:00:00.000Z","push_time":"2024-03-18T05:35:37.488Z","repository_id":1}],
        "type":"IMAGE","brand_new_field":{"x":1}}]"#;

    #[test]
    fn artifact_with_null_lists_becomes_a_row() {
        let list: Vec<Artifact> = serde_json::from_str(ARTIFACTS_2_10).unwrap();
        let mut interner = Interner::default();
        let row = list[0]
            .clone()
            .into_row("app", Some("app/userlist"), &mut interner)
            .unwrap();
        assert_eq!(&*row.project, "app");
        assert_eq!(&*row.repository, "app/userlist");
        assert_eq!(row.short_repository(), "userlist");
        assert_eq!(row.digest, "sha256:b0");
        assert_eq!(&*row.kind, "IMAGE");
        assert_eq!(row.size, 280_958_537);
        assert_eq!(row.push_time.get(), Some(1_710_740_137_352));
        assert_eq!(row.tags.len(), 1);
        assert_eq!(row.tags[0].pull_time.get(), None, "never pulled");
        assert!(row.labels.is_empty());
        assert_eq!(row.references, 0);
        assert_eq!(row.scan, ScanSummary::NOT_SCANNED);
    }

    #[test]
    fn names_are_shared_between_rows() {
        let list: Vec<Artifact> = serde_json::from_str(ARTIFACTS_2_10).unwrap();
        let mut interner = Interner::default();
        let a = list[0]
            .clone()
            .into_row("app", Some("app/userlist"), &mut interner)
            .unwrap();
        let b = list[0]
            .clone()
            .into_row("app", Some("app/userlist"), &mut interner)
            .unwrap();
        assert!(Arc::ptr_eq(&a.repository, &b.repository));
        assert!(Arc::ptr_eq(&a.project, &b.project));
        assert!(Arc::ptr_eq(&a.media_type, &b.media_type));
    }

    #[test]
    fn project_listing_needs_repository_name() {
        let mut artifact = Artifact {
            digest: "sha256:1".into(),
            ..Artifact::default()
        };
        let mut interner = Interner::default();
        assert_eq!(
            artifact.clone().into_row("p", None, &mut interner),
            Err(RowError::MissingRepository {
                digest: "sha256:1".into()
            })
        );
        artifact.repository_name = Some("p/a/b".into());
        let row = artifact.into_row("p", None, &mut interner).unwrap();
        assert_eq!(row.short_repository(), "a/b");
        let empty = Artifact::default().into_row("p", Some("p/x"), &mut interner);
        assert_eq!(empty, Err(RowError::MissingDigest));
    }

    #[test]
    fn scan_overview_summary() {
        let json = r##"{"digest":"sha256:2","labels":[{"id":3,"name":"prod","color":"#ff0000","scope":"g"}],
          "references":[{"child_digest":"sha256:c1"},{"child_digest":"sha256:c2"}],
          "scan_overview":{"application/vnd.security.vulnerability.report; version=1.1":{
            "report_id":"r","scan_status":"Success","severity":"High","end_time":"1970-01-01T00:00:02Z",
            "summary":{"total":5,"fixable":2,"summary":{"High":2,"Low":3}}}}}"##;
        let artifact: Artifact = serde_json::from_str(json).unwrap();
        let mut interner = Interner::default();
        let row = artifact.into_row("p", Some("p/r"), &mut interner).unwrap();
        assert_eq!(row.scan.status, ScanStatus::Success);
        assert_eq!(row.scan.severity, Some(Severity::High));
        assert_eq!(row.scan.counts, [0, 2, 0, 3]);
        assert_eq!((row.scan.total, row.scan.fixable), (5, 2));
        assert_eq!(row.scan.end_time.get(), Some(2000));
        assert_eq!(row.scan.report_mime.as_deref(), Some(REPORT_MIME_TYPES[0]));
        assert_eq!(row.references, 2);
        assert_eq!(&*row.labels[0].name, "prod");
        assert_eq!(&*row.labels[0].color, "#ff0000");
    }

    #[test]
    fn failed_scan_has_no_severity() {
        let json = r#"{"x":{"scan_status":"Error","severity":"Critical"}}"#;
        let overview: Entries<NativeReportSummary> = serde_json::from_str(json).unwrap();
        let summary = scan_summary(&overview, &mut Interner::default());
        assert_eq!(summary.status, ScanStatus::Failed);
        assert_eq!(summary.severity, None);
        assert_eq!(parse_scan_status("Running"), ScanStatus::Scanning);
        assert_eq!(parse_scan_status("weird"), ScanStatus::NotScanned);
    }

    #[test]
    fn the_last_entry_of_a_name_counts() {
        let json = r#"{"x":{"scan_status":"Error"},"y":{"scan_status":"Error"},
            "x":{"scan_status":"Success","severity":"Low","summary":{"summary":{"Low":1,"LOW":2}}}}"#;
        let overview: Entries<NativeReportSummary> = serde_json::from_str(json).unwrap();
        assert_eq!(overview.iter().count(), 3, "kept as sent");
        let summary = scan_summary(&overview, &mut Interner::default());
        assert_eq!(summary.status, ScanStatus::Success);
        assert_eq!(summary.counts, [0, 0, 0, 2]);
        assert_eq!(summary.report_mime.as_deref(), Some("x"));
        let mut overview = overview;
        let taken = overview.remove("x").map(|r| r.scan_status);
        assert_eq!(taken.as_deref(), Some("Success"));
        let left = overview.get("x").map(|r| r.scan_status.as_str());
        assert_eq!(left, Some("Error"));
        let artifact: Artifact = serde_json::from_str(r#"{"scan_overview":null}"#).unwrap();
        assert_eq!(artifact.scan_overview, Entries::default());
    }

    #[test]
    fn projects_parse_with_unread_fields_skipped() {
        let json = r#"[{"project_id":2,"name":"app","metadata":{"public":"false"},"repo_count":2,
            "cve_allowlist":{"items":[]}},{"project_id":3,"name":"app2","metadata":{"public":"true"}},
            {"project_id":4,"name":"x","metadata":null,"repo_count":null},{"name":"y","metadata":{"public":true}}]"#;
        let projects: Vec<Project> = serde_json::from_str(json).unwrap();
        let names: Vec<&str> = projects.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["app", "app2", "x", "y"]);
        assert_eq!(projects[0].repo_count, Some(2));
        assert_eq!(projects[1].repo_count, None);
        assert_eq!(projects[2].repo_count, None);
    }

    #[test]
    fn repositories_and_tags_parse() {
        let json = r#"[{"artifact_count":1,"id":3,"name":"app/nginx","project_id":2,"pull_count":1},
                       {"id":4,"name":"app/x","description":null,"artifact_count":null}]"#;
        let repos: Vec<Repository> = serde_json::from_str(json).unwrap();
        assert_eq!(repos[0].artifact_count, Some(1));
        assert_eq!(repos[1].artifact_count, None);
        let tags: Vec<Tag> =
            serde_json::from_str(r#"[{"name":"v1","immutable":null,"pull_time":null}]"#).unwrap();
        assert_eq!(tags[0].name, "v1");
        assert_eq!(tags[0].pull_time, "");
    }

    #[test]
    fn systeminfo_and_versions() {
        let info: GeneralInfo = serde_json::from_str(
            r#"{"auth_mode":"db_auth","harbor_version":"v2.13.1-9384ed0e","self_registration":false}"#,
        )
        .unwrap();
        assert_eq!(info.version(), Some((2, 13)));
        assert_eq!(info.auth_mode, "db_auth");
        let anonymous: GeneralInfo = serde_json::from_str(r#"{"auth_mode":"ldap_auth"}"#).unwrap();
        assert_eq!(anonymous.version(), None);
        assert_eq!(parse_version("2.10.0"), Some((2, 10)));
        assert_eq!(parse_version("2.12"), Some((2, 12)));
        assert_eq!(parse_version("dev"), None);
    }

    #[test]
    fn error_bodies() {
        let body = br#"{"errors":[{"code":"UNPROCESSABLE_ENTITY","message":"validation failure list:\npage_size in query should be less than or equal to 100"}]}"#;
        let err = Errors::first_of(body).unwrap();
        assert_eq!(err.code, "UNPROCESSABLE_ENTITY");
        assert!(err.message.ends_with("less than or equal to 100"));
        assert_eq!(
            Errors::first_of(b"<html><body>502 Bad Gateway</body></html>"),
            None
        );
        assert_eq!(Errors::first_of(br#"{"errors":[]}"#), None);
        assert_eq!(Errors::first_of(br#"{"errors":null}"#), None);
    }

    #[test]
    fn vulnerability_addition_to_slim_report() {
        let body = r#"{"application/vnd.security.vulnerability.report; version=1.1":{
            "generated_at":"2023-09-08T00:19:11.258693685Z",
            "scanner":{"name":"Trivy","vendor":"Aqua Security","version":"v0.44.0"},"severity":"Critical",
            "vulnerabilities":[{"id":"CVE-2022-1304","package":"e2fsprogs","version":"1.46.2-2",
            "fix_version":"","severity":"High","description":"oob","links":["https://avd.aquasec.com/nvd/cve-2022-1304"],
            "preferred_cvss":{"score_v3":7.8,"score_v2":null},"cwe_ids":["CWE-125"],
            "vendor_attributes":{"CVSS":{}}},{"id":"CVE-2","severity":"Bogus","links":null,"preferred_cvss":null}]}}"#;
        let addition: VulnerabilityAddition = serde_json::from_str(body).unwrap();
        let report = VulnReport::from_addition(Arc::from("p/r"), "sha256:1", addition);
        assert_eq!(report.mime.as_deref(), Some(REPORT_MIME_TYPES[0]));
        assert_eq!(
            report.scanner.as_ref().map(|s| s.name.as_str()),
            Some("Trivy")
        );
        assert_eq!(report.generated_at, Some(1_694_132_351_258));
        assert_eq!(report.vulnerabilities.len(), 2);
        let first = &report.vulnerabilities[0];
        assert_eq!(&*first.id, "CVE-2022-1304");
        assert_eq!(first.severity, Severity::High);
        assert_eq!(first.cvss_v3, Some(7.8));
        assert_eq!(&*first.fix_version, "");
        assert_eq!(first.links.len(), 1);
        assert_eq!(report.vulnerabilities[1].severity, Severity::Unknown);
        assert_eq!(report.vulnerabilities[1].cvss_v3, None);

        let none = VulnReport::from_addition(Arc::from("p/r"), "sha256:1", Entries::default());
        assert_eq!(none.mime, None);
        assert!(none.vulnerabilities.is_empty());
    }

    #[test]
    fn a_clean_report_reads_with_null_or_empty_vulnerabilities() {
        // Real Harbor sends `null` for a scan without findings (a Go nil slice); older
        // simulators and other tools send `[]`. Both are a clean report, not an error.
        for list in ["null", "[]"] {
            let body = format!(
                r#"{{"application/vnd.security.vulnerability.report; version=1.1":{{
                "generated_at":"2025-06-01T00:00:00.000Z","severity":"None",
                "scanner":{{"name":"Trivy","vendor":"Aqua Security","version":"v0.61.0"}},
                "vulnerabilities":{list}}}}}"#
            );
            let addition: VulnerabilityAddition = serde_json::from_str(&body).unwrap();
            let report = VulnReport::from_addition(Arc::from("p/r"), "sha256:1", addition);
            assert_eq!(report.mime.as_deref(), Some(REPORT_MIME_TYPES[0]), "{list}");
            assert!(report.vulnerabilities.is_empty(), "{list}");
        }
    }
}
