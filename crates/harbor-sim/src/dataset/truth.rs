//! Ground truth for tests: every artifact and every CVE a principal can list, computed
//! from the dataset rather than from rendered JSON.

use serde::{Deserialize, Serialize};

use super::model::{kind_type, media_types, Artifact, Dataset, ScanState};
use crate::auth::Principal;
use crate::time;

/// The ground-truth row of one visible artifact (`/_sim/truth`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruthRow {
    /// Artifact id.
    pub id: i64,
    /// Project name.
    pub project: String,
    /// Full repository name.
    pub repository: String,
    /// Digest.
    pub digest: String,
    /// Tag names, newest first.
    pub tags: Vec<String>,
    /// Bytes.
    pub size: u64,
    /// RFC 3339.
    pub push_time: String,
    /// RFC 3339, `0001-01-01T00:00:00.000Z` when never pulled.
    pub pull_time: String,
    /// `IMAGE`, `CHART`, `CNAI` (`UNKNOWN` before Harbor 2.13).
    #[serde(rename = "type")]
    pub kind: String,
    /// Config media type.
    pub media_type: String,
    /// Label names.
    pub labels: Vec<String>,
    /// Label ids.
    pub label_ids: Vec<i64>,
    /// Child count for an index.
    pub references: u32,
    /// Scan facts.
    pub scan: TruthScan,
    /// Carries a cosign or notation signature (inherited from its index counts on 2.16).
    #[serde(default)]
    pub signed: bool,
    /// Carries an SBOM accessory (inherited counts on 2.16).
    #[serde(default)]
    pub sbom: bool,
}

/// Scan facts of a [`TruthRow`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruthScan {
    /// `NotScanned`, `Pending`, `Running`, `Error` or `Success`.
    pub status: String,
    /// Worst severity when `Success`, else `null`.
    pub severity: Option<String>,
    /// Findings.
    pub total: u32,
    /// Findings with a fix.
    pub fixable: u32,
    /// When a finished scan (`Success` or `Error`) ended, RFC 3339; else `null`.
    #[serde(default)]
    pub end_time: Option<String>,
    /// Critical, High, Medium, Low counts.
    pub counts: [u32; 4],
}

/// One CVE of `/_sim/truth/cves`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CveTruth {
    /// `CVE-YYYY-NNNN`.
    pub id: String,
    /// Its severity (one per CVE in the simulator).
    pub severity: String,
    /// The affected package.
    pub package: String,
    /// A fix version exists.
    pub fixable: bool,
    /// Distinct repositories among the affected artifacts.
    pub repositories: u32,
    /// `repository@digest` of every affected artifact, sorted.
    pub affected: Vec<String>,
}

impl Dataset {
    /// Ground truth for `/_sim/truth`: every artifact the principal can list.
    pub fn truth(&self, p: &Principal) -> Vec<TruthRow> {
        self.visible_artifacts(p)
            .into_iter()
            .map(|a| self.truth_row(a))
            .collect()
    }

    /// The truth row of one artifact.
    pub fn truth_row(&self, a: &Artifact) -> TruthRow {
        let repo = self.repo_of(a);
        let c = &a.scan.counts;
        let success = a.scan.state == ScanState::Success;
        TruthRow {
            id: a.id,
            project: self.project_of_repo(repo).name.clone(),
            repository: repo.name.clone(),
            digest: a.digest.to_string(),
            tags: a.tags.iter().map(|t| t.name.to_string()).collect(),
            size: a.size,
            push_time: time::format_millis(a.push_time),
            pull_time: time::format(a.pull_time),
            kind: kind_type(a.kind, self.version).to_string(),
            media_type: media_types(a).0.to_string(),
            labels: a
                .labels
                .iter()
                .map(|l| self.labels[*l as usize].name.clone())
                .collect(),
            label_ids: a
                .labels
                .iter()
                .map(|l| self.labels[*l as usize].id)
                .collect(),
            references: a.children.len() as u32,
            scan: TruthScan {
                status: a.scan.state.as_str().to_string(),
                severity: success.then(|| a.scan.severity.name().to_string()),
                total: a.scan.total(),
                fixable: u32::from(a.scan.fixable),
                end_time: matches!(a.scan.state, ScanState::Success | ScanState::Error).then(
                    || time::format_millis(a.scan.start + i64::from(a.scan.duration_s) * 1000),
                ),
                counts: [6, 5, 4, 3].map(|i| u32::from(c[i])),
            },
            signed: self.is_signed(a),
            sbom: self.has_sbom(a),
        }
    }

    /// Ground truth for `/_sim/truth/cves`: every CVE found in an artifact the
    /// principal can list, with the artifacts it affects, sorted by id.
    pub fn cve_truth(&self, p: &Principal) -> Vec<CveTruth> {
        let mut by_cve: std::collections::BTreeMap<u16, Vec<&Artifact>> = Default::default();
        for a in self
            .visible_artifacts(p)
            .into_iter()
            .filter(|a| a.scannable())
        {
            for cve in self.findings(a) {
                by_cve.entry(cve).or_default().push(a);
            }
        }
        let mut out: Vec<CveTruth> = by_cve
            .into_iter()
            .map(|(cve, artifacts)| {
                let c = &self.cves.cves[cve as usize];
                let mut affected: Vec<String> = artifacts
                    .iter()
                    .map(|a| format!("{}@{}", self.repo_of(a).name, a.digest))
                    .collect();
                affected.sort();
                let repositories: std::collections::BTreeSet<u32> =
                    artifacts.iter().map(|a| a.repo).collect();
                CveTruth {
                    id: c.id.clone(),
                    severity: c.severity.name().to_string(),
                    package: c.package.to_string(),
                    fixable: !c.fix_version.is_empty(),
                    repositories: repositories.len() as u32,
                    affected,
                }
            })
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    /// The findings of an artifact (indices into `cves.cves`), worst first.
    pub fn findings(&self, a: &Artifact) -> Vec<u16> {
        if a.scan.state != ScanState::Success {
            return Vec::new();
        }
        self.cves
            .pick(self.seed, a.id, a.scan.severity, a.scan.total() as usize)
    }
}
