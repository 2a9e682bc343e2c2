//! Synthetic rows for tests, doc examples and benchmarks: a small builder for hand-made
//! fixtures and a seeded generator for large, realistic inventories. Deterministic: the
//! same seed always gives the same rows.

use std::sync::Arc;

use harbor_client::slim::{
    AccessoryKind, AccessoryRow, ArtifactRow, LabelRef, Millis, ScanStatus, ScanSummary, Severity,
    TagRow,
};

use crate::DAY_MS;

/// The fixed "now" the generator's times are relative to (2027-01-15T08:00:00Z).
pub const NOW: Millis = 1_800_000_000_000;

/// A builder for one hand-made row; clone it to vary one field at a time. Project and
/// repository names are shared `Arc`s across clones, as in a real crawl.
#[derive(Debug, Clone)]
pub struct RowSpec {
    project: Arc<str>,
    repository: Arc<str>,
    kind: Arc<str>,
    digest: String,
    size: u64,
    pushed: Option<Millis>,
    pulled: Option<Millis>,
    tags: Vec<String>,
    labels: Vec<String>,
    scan: ScanSummary,
    accessories: Vec<AccessoryKind>,
}

impl RowSpec {
    /// An untagged, unscanned `IMAGE` of 1 MiB pushed 10 days before [`NOW`], never pulled.
    pub fn new(project: &str, repository: &str) -> RowSpec {
        RowSpec {
            project: project.into(),
            repository: repository.into(),
            kind: "IMAGE".into(),
            digest: "sha256:0000".into(),
            size: 1 << 20,
            pushed: Some(NOW - 10 * DAY_MS),
            pulled: None,
            tags: Vec::new(),
            labels: Vec::new(),
            scan: ScanSummary::NOT_SCANNED,
            accessories: Vec::new(),
        }
    }

    /// Sets the accessories (signatures, SBOM) attached to the artifact.
    pub fn accessories(mut self, kinds: &[AccessoryKind]) -> Self {
        self.accessories = kinds.to_vec();
        self
    }

    /// Sets the digest.
    pub fn digest(mut self, digest: &str) -> Self {
        self.digest = digest.into();
        self
    }

    /// Sets the artifact type.
    pub fn kind(mut self, kind: &str) -> Self {
        self.kind = kind.into();
        self
    }

    /// Sets the size in bytes.
    pub fn size(mut self, size: u64) -> Self {
        self.size = size;
        self
    }

    /// Sets the push time.
    pub fn pushed(mut self, at: Option<Millis>) -> Self {
        self.pushed = at;
        self
    }

    /// Sets the pull time (`None` = never pulled).
    pub fn pulled(mut self, at: Option<Millis>) -> Self {
        self.pulled = at;
        self
    }

    /// Sets the tag names.
    pub fn tags(mut self, tags: &[&str]) -> Self {
        self.tags = tags.iter().map(|t| t.to_string()).collect();
        self
    }

    /// Sets the label names.
    pub fn labels(mut self, labels: &[&str]) -> Self {
        self.labels = labels.iter().map(|t| t.to_string()).collect();
        self
    }

    /// Sets a scan state without results (not scanned, scanning, failed).
    pub fn status(mut self, status: ScanStatus) -> Self {
        self.scan = ScanSummary {
            status,
            ..ScanSummary::NOT_SCANNED
        };
        self
    }

    /// Sets a successful scan: overall severity, Critical/High/Medium/Low counts, fixable
    /// count and end time.
    pub fn scanned(
        mut self,
        severity: Severity,
        counts: [u32; 4],
        fixable: u32,
        end: Option<Millis>,
    ) -> Self {
        self.scan = ScanSummary {
            status: ScanStatus::Success,
            severity: Some(severity),
            counts,
            total: counts.iter().sum(),
            fixable,
            end_time: end.into(),
            report_mime: None,
        };
        self
    }
}

/// Builds the row a [`RowSpec`] describes.
pub fn row(spec: &RowSpec) -> ArtifactRow {
    ArtifactRow {
        project: spec.project.clone(),
        repository: spec.repository.clone(),
        digest: spec.digest.as_str().into(),
        kind: spec.kind.clone(),
        media_type: "application/vnd.oci.image.manifest.v1+json".into(),
        size: spec.size,
        push_time: spec.pushed.into(),
        pull_time: spec.pulled.into(),
        tags: spec
            .tags
            .iter()
            .map(|t| TagRow {
                name: t.as_str().into(),
                push_time: spec.pushed.into(),
                pull_time: spec.pulled.into(),
            })
            .collect(),
        labels: spec
            .labels
            .iter()
            .enumerate()
            .map(|(i, name)| {
                Arc::new(LabelRef {
                    id: i as i64 + 1,
                    name: name.as_str().into(),
                    color: "#0065AB".into(),
                })
            })
            .collect(),
        scan: spec.scan.clone(),
        references: 0,
        project_id: 1,
        accessories: spec
            .accessories
            .iter()
            .map(|k| accessory(k.clone(), spec.pushed))
            .collect(),
    }
}

/// An accessory of `kind` attached at `at`, with a digest and size derived from its kind.
pub fn accessory(kind: AccessoryKind, at: Option<Millis>) -> AccessoryRow {
    let size = match kind {
        AccessoryKind::Sbom => 64_000,
        _ => 1_500,
    };
    AccessoryRow {
        digest: format!("sha256:acc{}", kind.type_name().len()).into(),
        kind,
        size,
        push_time: at.into(),
        inherited: false,
    }
}

/// Accessories of generated row `i`, from its position only (the random stream is left
/// alone so the other generated values do not move): about 30% signed, 20% with an SBOM.
fn synthetic_accessories(i: usize, at: Millis) -> Box<[AccessoryRow]> {
    let mut kinds = Vec::new();
    if (i * 7) % 10 < 3 {
        kinds.push(AccessoryKind::Cosign);
    }
    if i % 5 == 1 {
        kinds.push(AccessoryKind::Sbom);
    }
    kinds.into_iter().map(|k| accessory(k, Some(at))).collect()
}

/// A tiny deterministic generator (xorshift64*), so no `rand` dependency is needed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// `n` realistic rows: about 20 artifacts per repository, 100 repositories per project,
/// mixed tags, sizes from 1 KiB to 2 GiB, push times over three years before [`NOW`],
/// a fifth never pulled, every scan state, a few labels and digests shared across
/// repositories.
///
/// ```
/// let rows = inventory::synthetic::rows(1000, 42);
/// assert_eq!(rows.len(), 1000);
/// assert_eq!(rows, inventory::synthetic::rows(1000, 42));
/// ```
pub fn rows(n: usize, seed: u64) -> Vec<ArtifactRow> {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let labels: Vec<Arc<LabelRef>> = ["prod", "staging", "deprecated", "team-a"]
        .iter()
        .enumerate()
        .map(|(i, n)| {
            Arc::new(LabelRef {
                id: i as i64 + 1,
                name: (*n).into(),
                color: "#0065AB".into(),
            })
        })
        .collect();
    let kinds: [Arc<str>; 3] = ["IMAGE".into(), "CHART".into(), "CNAB".into()];
    let media: Arc<str> = "application/vnd.oci.image.manifest.v1+json".into();
    let mut out = Vec::with_capacity(n);
    let mut project: Arc<str> = "proj-0".into();
    let mut repository: Arc<str> = "proj-0/repo-0".into();
    let mut repo_left = 0u64;
    let mut repo_no = 0usize;
    while out.len() < n {
        if repo_left == 0 {
            if repo_no.is_multiple_of(100) {
                project = format!("proj-{}", repo_no / 100).into();
            }
            repository = format!("{project}/repo-{repo_no}").into();
            repo_no += 1;
            repo_left = 1 + rng.below(40);
        }
        repo_left -= 1;
        let i = out.len() as u64;
        // Every 50th artifact reuses an earlier digest: the same image in two repositories.
        let digest_seed = if i > 100 && i.is_multiple_of(50) {
            i / 2
        } else {
            i
        };
        let digest = format!(
            "sha256:{:016x}{:048x}",
            mix(digest_seed ^ seed),
            digest_seed
        );
        let pushed = NOW - rng.below(3 * 365) as i64 * DAY_MS - rng.below(DAY_MS as u64) as i64;
        let pulled = match rng.below(5) {
            0 => None,
            _ => Some(pushed + rng.below((NOW - pushed) as u64 + 1) as i64),
        };
        let tags = (0..rng.below(4))
            .map(|t| TagRow {
                name: format!("v{}.{}", rng.below(20), t).into(),
                push_time: Some(pushed).into(),
                pull_time: pulled.into(),
            })
            .collect();
        let scan = match rng.below(10) {
            0 => ScanSummary::NOT_SCANNED,
            1 => ScanSummary {
                status: ScanStatus::Failed,
                ..ScanSummary::NOT_SCANNED
            },
            2 => ScanSummary {
                status: ScanStatus::Scanning,
                ..ScanSummary::NOT_SCANNED
            },
            _ => {
                let counts = [
                    rng.below(3) as u32 * rng.below(2) as u32,
                    rng.below(8) as u32,
                    rng.below(20) as u32,
                    rng.below(40) as u32,
                ];
                let severity = match counts {
                    [c, ..] if c > 0 => Severity::Critical,
                    [_, h, ..] if h > 0 => Severity::High,
                    [_, _, m, _] if m > 0 => Severity::Medium,
                    [.., l] if l > 0 => Severity::Low,
                    _ => Severity::None,
                };
                let total = counts.iter().sum::<u32>();
                ScanSummary {
                    status: ScanStatus::Success,
                    severity: Some(severity),
                    counts,
                    total,
                    fixable: total / (1 + rng.below(4) as u32),
                    end_time: Some(NOW - rng.below(60) as i64 * DAY_MS).into(),
                    report_mime: None,
                }
            }
        };
        let label_pick = rng.below(20) as usize;
        out.push(ArtifactRow {
            project: project.clone(),
            repository: repository.clone(),
            digest: digest.into(),
            kind: kinds[(rng.below(20) as usize).min(2) * usize::from(rng.below(8) == 0)].clone(),
            media_type: media.clone(),
            size: 1024 + rng.below(2 << 30),
            push_time: Some(pushed).into(),
            pull_time: pulled.into(),
            tags,
            labels: labels.get(label_pick).cloned().into_iter().collect(),
            scan,
            references: 0,
            project_id: 1 + (repo_no.saturating_sub(1) / 100) as i64,
            accessories: synthetic_accessories(out.len(), pushed),
        });
    }
    out
}

/// A 64-bit mixer (splitmix64 finaliser) for digest-looking hex.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}
