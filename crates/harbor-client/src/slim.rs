//! The slim, in-memory form of an artifact: only what the dashboard shows.
//!
//! Project and repository names are shared (`Arc<str>`) between every artifact of the
//! same repository, so 100,000 artifacts do not carry 100,000 copies of the same names.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use crate::digest::Digest;

/// Milliseconds since the Unix epoch, UTC. `None` stands for Harbor's
/// `0001-01-01T00:00:00.000Z` ("never").
pub type Millis = i64;

/// A row's time, or "never", in 8 bytes: an `Option<Millis>` takes 16, and a row and its
/// tags hold several. Orders as the option does ("never" first); reads and writes as
/// one (a number or `null`), so caches and exports keep their format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(from = "Option<Millis>", into = "Option<Millis>")]
pub struct Moment(i64);

impl Moment {
    /// "Never" (Harbor's year-1 time, or no time at all).
    pub const NEVER: Moment = Moment(i64::MIN);

    /// The time, `None` for "never".
    pub fn get(self) -> Option<Millis> {
        (self != Moment::NEVER).then_some(self.0)
    }
}

impl From<Option<Millis>> for Moment {
    fn from(ms: Option<Millis>) -> Moment {
        ms.map_or(Moment::NEVER, Moment)
    }
}

impl From<Moment> for Option<Millis> {
    fn from(at: Moment) -> Option<Millis> {
        at.get()
    }
}

impl Default for Moment {
    fn default() -> Moment {
        Moment::NEVER
    }
}

/// Severity levels Harbor's scanners report, lowest first so that `Ord` means "worse".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Severity {
    None,
    Unknown,
    Negligible,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Every level, lowest first.
    pub const ALL: [Severity; 7] = [
        Severity::None,
        Severity::Unknown,
        Severity::Negligible,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The name as Harbor shows it: `Critical`, `High`, ...
    pub fn name(self) -> &'static str {
        match self {
            Severity::None => "None",
            Severity::Unknown => "Unknown",
            Severity::Negligible => "Negligible",
            Severity::Low => "Low",
            Severity::Medium => "Medium",
            Severity::High => "High",
            Severity::Critical => "Critical",
        }
    }

    /// The name in lower case: URL parameters, CSS classes, choice values.
    pub fn key(self) -> &'static str {
        match self {
            Severity::None => "none",
            Severity::Unknown => "unknown",
            Severity::Negligible => "negligible",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// A level from its name, in any case (Harbor's `Critical`, a URL's `critical`).
    pub fn parse(text: &str) -> Option<Severity> {
        let text = text.trim();
        Severity::ALL
            .into_iter()
            .find(|s| s.key().eq_ignore_ascii_case(text))
    }
}

/// Where an artifact's vulnerability scan stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ScanStatus {
    /// No `scan_overview` at all (or it was not requested).
    NotScanned,
    /// `Pending`, `Running` or `Scheduled`.
    Scanning,
    /// `Error` or `Stopped`.
    Failed,
    Success,
}

/// The vulnerability summary of one artifact, from `scan_overview`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanSummary {
    pub status: ScanStatus,
    /// Overall severity, when the scan succeeded.
    pub severity: Option<Severity>,
    /// Counts of Critical, High, Medium, Low, in that order.
    pub counts: [u32; 4],
    pub total: u32,
    pub fixable: u32,
    /// When the scan ended.
    pub end_time: Moment,
    /// The report MIME type the summary was keyed by (needed to fetch the full report).
    pub report_mime: Option<Arc<str>>,
}

impl ScanSummary {
    pub const NOT_SCANNED: ScanSummary = ScanSummary {
        status: ScanStatus::NotScanned,
        severity: None,
        counts: [0; 4],
        total: 0,
        fixable: 0,
        end_time: Moment::NEVER,
        report_mime: None,
    };
}

/// One tag of an artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagRow {
    pub name: Box<str>,
    pub push_time: Moment,
    pub pull_time: Moment,
}

/// A label attached to an artifact, shared between all artifacts that carry it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LabelRef {
    pub id: i64,
    pub name: Box<str>,
    /// CSS colour as Harbor stores it (e.g. `#0065AB`), possibly empty.
    pub color: Box<str>,
}

/// One artifact as the dashboard holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArtifactRow {
    /// Project name, shared by all rows of the project.
    pub project: Arc<str>,
    /// Full repository name including the project (`library/nginx`), shared per repository.
    pub repository: Arc<str>,
    pub digest: Digest,
    /// Harbor's `type`: `IMAGE`, `CHART`, `CNAB`, ... shared.
    pub kind: Arc<str>,
    pub media_type: Arc<str>,
    pub size: u64,
    pub push_time: Moment,
    pub pull_time: Moment,
    pub tags: Vec<TagRow>,
    pub labels: Vec<Arc<LabelRef>>,
    pub scan: ScanSummary,
    /// Number of child manifests for an image index (multi-arch), 0 otherwise.
    pub references: u32,
    /// Harbor's id of the project (for links into Harbor's portal); 0 when unknown.
    #[serde(default)]
    pub project_id: i64,
    /// Signatures and SBOMs attached to the artifact (own first, then inherited from an
    /// index on Harbor 2.16); an empty slice costs no allocation.
    #[serde(default)]
    pub accessories: Box<[AccessoryRow]>,
}

/// What an accessory is, from Harbor's `type`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AccessoryKind {
    /// `signature.cosign`.
    Cosign,
    /// `signature.notation`.
    Notation,
    /// `harbor.sbom`.
    Sbom,
    /// Anything else (`accelerator.nydus`, `subject.accessory`, ...), kept by name.
    Other(Box<str>),
}

impl AccessoryKind {
    /// Reads Harbor's `type` value (case-insensitive).
    pub fn parse(type_name: &str) -> AccessoryKind {
        match type_name.trim().to_ascii_lowercase().as_str() {
            "signature.cosign" => AccessoryKind::Cosign,
            "signature.notation" => AccessoryKind::Notation,
            "harbor.sbom" => AccessoryKind::Sbom,
            _ => AccessoryKind::Other(type_name.into()),
        }
    }

    /// Harbor's `type` value.
    pub fn type_name(&self) -> &str {
        match self {
            AccessoryKind::Cosign => "signature.cosign",
            AccessoryKind::Notation => "signature.notation",
            AccessoryKind::Sbom => "harbor.sbom",
            AccessoryKind::Other(name) => name,
        }
    }

    /// A short label for a details panel: `cosign signature`, `SBOM`, ...
    pub fn label(&self) -> &str {
        match self {
            AccessoryKind::Cosign => "cosign signature",
            AccessoryKind::Notation => "notation signature",
            AccessoryKind::Sbom => "SBOM",
            AccessoryKind::Other(name) => name,
        }
    }

    /// True for cosign and notation signatures.
    pub fn is_signature(&self) -> bool {
        matches!(self, AccessoryKind::Cosign | AccessoryKind::Notation)
    }
}

/// One accessory of an artifact, as the details panel lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessoryRow {
    /// Signature, SBOM, ...
    pub kind: AccessoryKind,
    /// The accessory artifact's digest.
    pub digest: Digest,
    /// Bytes.
    pub size: u64,
    /// When it was attached (`creation_time`).
    pub push_time: Moment,
    /// Inherited from the image index that references this artifact (Harbor 2.16).
    pub inherited: bool,
}

impl ArtifactRow {
    /// True when a cosign or notation signature is attached (own or inherited).
    pub fn signed(&self) -> bool {
        self.accessories.iter().any(|a| a.kind.is_signature())
    }

    /// True when an SBOM is attached (own or inherited).
    pub fn has_sbom(&self) -> bool {
        self.accessories
            .iter()
            .any(|a| a.kind == AccessoryKind::Sbom)
    }

    /// The identity of an artifact in the inventory: repository and digest.
    pub fn key(&self) -> (&str, &Digest) {
        (&self.repository, &self.digest)
    }

    /// The repository name without the project prefix, as the API paths want it.
    pub fn short_repository(&self) -> &str {
        self.repository
            .strip_prefix(&*self.project)
            .and_then(|rest| rest.strip_prefix('/'))
            .unwrap_or(&self.repository)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moment_reads_writes_and_orders_as_an_option() {
        for ms in [None, Some(0), Some(-5), Some(1_710_740_137_352)] {
            let at = Moment::from(ms);
            assert_eq!(at.get(), ms);
            let text = serde_json::to_string(&at).unwrap();
            assert_eq!(text, serde_json::to_string(&ms).unwrap());
            assert_eq!(serde_json::from_str::<Moment>(&text).unwrap(), at);
        }
        let mut times = [Some(3), None, Some(-1), Some(2)].map(Moment::from);
        times.sort();
        assert_eq!(times.map(Moment::get), [None, Some(-1), Some(2), Some(3)]);
        assert!(std::mem::size_of::<Moment>() < std::mem::size_of::<Option<Millis>>());
    }
}
