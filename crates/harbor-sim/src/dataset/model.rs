//! The dataset's types: presets, projects, repositories, artifacts, accounts, and the
//! lookups every route uses.

use std::collections::HashMap;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::auth::Principal;
use crate::time::Millis;
use crate::vulns::{CvePool, Severity};
use crate::HarborVersion;

/// Dataset size presets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// 28 hand-shaped artifacts in 10 repositories: for unit tests with literal values.
    Tiny,
    /// About 500 artifacts.
    #[default]
    Small,
    /// About 20,000 artifacts in about 1,000 repositories.
    Medium,
    /// At least 100,000 artifacts in at least 5,000 repositories.
    Large,
    /// 1,000,000 artifacts in 45,000 repositories (see `dataset/xlarge.rs`).
    Xlarge,
}

impl FromStr for Preset {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "tiny" => Ok(Preset::Tiny),
            "small" => Ok(Preset::Small),
            "medium" => Ok(Preset::Medium),
            "large" => Ok(Preset::Large),
            "xlarge" => Ok(Preset::Xlarge),
            other => Err(format!(
                "unknown preset {other:?} (tiny, small, medium, large, xlarge)"
            )),
        }
    }
}

/// The shape of a generated (non-Tiny) dataset.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Shape {
    /// Projects, including the five fixed ones.
    pub projects: usize,
    /// Repositories.
    pub repositories: usize,
    /// Top-level artifacts (index children come on top).
    pub artifacts: usize,
    /// Share of image artifacts that are multi-arch indexes.
    pub index_rate: f64,
    /// Share of artifacts without tags.
    pub untagged_rate: f64,
    /// Share of artifacts never pulled.
    pub never_pulled_rate: f64,
    /// Share of repositories with no artifacts.
    pub empty_repo_rate: f64,
    /// Share of artifacts never scanned.
    pub unscanned_rate: f64,
    /// Size of the CVE pool.
    pub cve_pool: usize,
}

impl Preset {
    /// The default shape of this preset (Tiny is hand-shaped and ignores most of it).
    pub fn shape(self) -> Shape {
        let (projects, repositories, artifacts, cve_pool) = match self {
            Preset::Tiny => (5, 10, 28, 120),
            Preset::Small => (12, 60, 500, 300),
            Preset::Medium => (40, 1_000, 20_000, 1_000),
            Preset::Large => (120, 5_500, 110_000, 2_000),
            Preset::Xlarge => super::xlarge::XLARGE_SIZES,
        };
        Shape {
            projects,
            repositories,
            artifacts,
            index_rate: 0.05,
            untagged_rate: 0.2,
            never_pulled_rate: 0.3,
            empty_repo_rate: 0.04,
            unscanned_rate: 0.2,
            cve_pool,
        }
    }
}

/// What kind of artifact this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArtifactKind {
    /// A single-platform image (Docker v2 or OCI manifest).
    Image,
    /// A multi-arch image index; its children are hidden from lists.
    Index,
    /// A Helm chart.
    Chart,
    /// An AI model packaged by the CNCF model spec: `CNAI` from Harbor 2.13, `UNKNOWN`
    /// before. Not scannable.
    Model,
}

/// The state of an artifact's vulnerability scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScanState {
    /// No report: no `scan_overview` at all.
    NotScanned,
    /// Queued.
    Pending,
    /// In progress.
    Running,
    /// Failed.
    Error,
    /// Finished with a report.
    Success,
}

impl ScanState {
    /// Harbor's `scan_status` text (`NotScanned` has none; it is used by `/_sim/truth`).
    pub fn as_str(self) -> &'static str {
        match self {
            ScanState::NotScanned => "NotScanned",
            ScanState::Pending => "Pending",
            ScanState::Running => "Running",
            ScanState::Error => "Error",
            ScanState::Success => "Success",
        }
    }
}

/// The scan summary kept per artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scan {
    /// Where the scan stands.
    pub state: ScanState,
    /// Worst finding (`None` when clean or not finished).
    pub severity: Severity,
    /// Findings per severity, indexed like [`Severity::ALL`].
    pub counts: [u16; 7],
    /// Findings with a fix version.
    pub fixable: u16,
    /// When the scan started.
    pub start: Millis,
    /// Seconds it took.
    pub duration_s: u32,
}

impl Scan {
    /// An artifact that was never scanned.
    pub const NONE: Scan = Scan {
        state: ScanState::NotScanned,
        severity: Severity::None,
        counts: [0; 7],
        fixable: 0,
        start: 0,
        duration_s: 0,
    };

    /// Total findings.
    pub fn total(&self) -> u32 {
        self.counts.iter().map(|c| u32::from(*c)).sum()
    }
}

/// A tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// Global tag id.
    pub id: i64,
    /// Tag name.
    pub name: Box<str>,
    /// When it was pushed.
    pub push_time: Millis,
    /// When it was last pulled; `None` = never.
    pub pull_time: Option<Millis>,
    /// Covered by an immutability rule.
    pub immutable: bool,
}

/// An artifact.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// Global artifact id (index + 1).
    pub id: i64,
    /// Index of the repository in [`Dataset::repositories`].
    pub repo: u32,
    /// Image, index or chart.
    pub kind: ArtifactKind,
    /// OCI manifest rather than Docker v2.
    pub oci: bool,
    /// `sha256:...`.
    pub digest: Box<str>,
    /// Bytes.
    pub size: u64,
    /// When it was pushed.
    pub push_time: Millis,
    /// When it was last pulled; `None` = never.
    pub pull_time: Option<Millis>,
    /// Tags, newest first.
    pub tags: Vec<Tag>,
    /// Indices into [`Dataset::labels`].
    pub labels: Vec<u16>,
    /// Scan summary.
    pub scan: Scan,
    /// Child artifacts (indices) of an index.
    pub children: Vec<u32>,
    /// The index that references this artifact; such children are hidden from lists.
    pub parent: Option<u32>,
    /// Index into [`PLATFORMS`] for children and single images.
    pub platform: u8,
    /// Has a cosign signature accessory.
    pub signed: bool,
    /// Carries OCI annotations.
    pub annotated: bool,
}

impl Artifact {
    /// True when Harbor can scan it (images and indexes, not charts or models).
    pub fn scannable(&self) -> bool {
        matches!(self.kind, ArtifactKind::Image | ArtifactKind::Index)
    }
}

/// (architecture, os, variant) of the platforms used by indexes.
pub const PLATFORMS: [(&str, &str, &str); 5] = [
    ("amd64", "linux", ""),
    ("arm64", "linux", "v8"),
    ("arm", "linux", "v7"),
    ("ppc64le", "linux", ""),
    ("s390x", "linux", ""),
];

/// A repository.
#[derive(Debug, Clone)]
pub struct Repository {
    /// Repository id (index + 1).
    pub id: i64,
    /// Index of the project in [`Dataset::projects`].
    pub project: u32,
    /// Full name including the project (`team/tools/postgrest`).
    pub name: String,
    /// Creation time.
    pub creation_time: Millis,
    /// Last update (last push).
    pub update_time: Millis,
    /// Pulls.
    pub pull_count: u64,
    /// All artifacts (indices), children included, oldest first.
    pub artifacts: Vec<u32>,
    /// Artifacts that lists show (children excluded): Harbor's `artifact_count`.
    pub top_level: u32,
    /// Has a description.
    pub described: bool,
}

/// A project.
#[derive(Debug, Clone)]
pub struct Project {
    /// Project id (index + 1).
    pub id: i64,
    /// Name.
    pub name: String,
    /// Readable by anyone.
    pub public: bool,
    /// Not 0 for a proxy-cache project.
    pub registry_id: i64,
    /// Owner user id.
    pub owner_id: i64,
    /// Creation time.
    pub creation_time: Millis,
    /// Update time.
    pub update_time: Millis,
    /// `metadata.auto_scan`.
    pub auto_scan: bool,
    /// Semver-looking tags are immutable here.
    pub immutable_semver: bool,
    /// Repositories (indices).
    pub repos: Vec<u32>,
}

/// A label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Label id.
    pub id: i64,
    /// Name (free text in hostile mode).
    pub name: String,
    /// Description.
    pub description: String,
    /// `#RRGGBB`.
    pub color: String,
    /// `g` (global) or `p` (project).
    pub scope: &'static str,
    /// 0 for global labels.
    pub project_id: i64,
    /// Creation time.
    pub creation_time: Millis,
}

/// User or robot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    /// Database user.
    User,
    /// Robot account.
    Robot,
}

/// A built-in account.
#[derive(Debug, Clone)]
pub struct Account {
    /// User or robot.
    pub kind: AccountKind,
    /// Login name (`robot$...` for robots).
    pub name: String,
    /// Password or robot secret.
    pub secret: String,
    /// user id (robots: robot id).
    pub id: i64,
    /// System admin.
    pub sysadmin: bool,
    /// Project ids it belongs to.
    pub projects: Vec<i64>,
    /// Display name.
    pub realname: String,
    /// A disabled (or expired) robot: its credentials are ignored, as Harbor does.
    pub disabled: bool,
}

impl Account {
    /// The principal this account logs in as.
    pub fn principal(&self) -> Principal {
        match self.kind {
            AccountKind::User => Principal::User {
                id: self.id,
                name: self.name.clone(),
                sysadmin: self.sysadmin,
                projects: self.projects.clone(),
            },
            AccountKind::Robot => Principal::Robot {
                name: self.name.clone(),
                projects: self.projects.clone(),
            },
        }
    }
}

/// The whole simulated registry.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Seed it was made from.
    pub seed: u64,
    /// Preset it was made from.
    pub preset: Preset,
    /// Free text is hostile.
    pub hostile: bool,
    /// The dataset's "now": the reference for every generated time.
    pub now: Millis,
    /// Projects; `projects[i].id == i + 1`.
    pub projects: Vec<Project>,
    /// Repositories; `repositories[i].id == i + 1`.
    pub repositories: Vec<Repository>,
    /// Artifacts; `artifacts[i].id == i + 1`.
    pub artifacts: Vec<Artifact>,
    /// Labels (global first, then project labels).
    pub labels: Vec<Label>,
    /// Built-in accounts.
    pub accounts: Vec<Account>,
    /// Shared CVE pool.
    pub cves: CvePool,
    /// The Harbor release served (the simulator sets it): types, and what a mutation
    /// moves, depend on it.
    pub version: HarborVersion,
    pub(super) project_by_name: HashMap<String, u32>,
    pub(super) repo_by_name: HashMap<String, u32>,
    /// Listing order, computed on first use (see `dataset/xlarge.rs`).
    pub(super) listed_order: super::xlarge::OrderCache,
}

impl Dataset {
    /// Project by name.
    pub fn project_by_name(&self, name: &str) -> Option<&Project> {
        self.project_by_name
            .get(name)
            .map(|i| &self.projects[*i as usize])
    }

    /// Project by id.
    pub fn project_by_id(&self, id: i64) -> Option<&Project> {
        usize::try_from(id - 1)
            .ok()
            .and_then(|i| self.projects.get(i))
    }

    /// Repository index by full name.
    pub fn repo_index(&self, full_name: &str) -> Option<u32> {
        self.repo_by_name.get(full_name).copied()
    }

    /// The project that holds repository `repo`.
    pub fn project_of_repo(&self, repo: &Repository) -> &Project {
        &self.projects[repo.project as usize]
    }

    /// The repository of an artifact.
    pub fn repo_of(&self, a: &Artifact) -> &Repository {
        &self.repositories[a.repo as usize]
    }

    /// The artifacts a list shows for a repository (children of indexes excluded).
    pub fn listed_artifacts<'a>(
        &'a self,
        repo: &'a Repository,
    ) -> impl Iterator<Item = &'a Artifact> + 'a {
        self.listed_indices(repo)
            .map(|i| &self.artifacts[i as usize])
    }

    /// [`Dataset::listed_artifacts`] as indices into [`Dataset::artifacts`], in the
    /// repository's order.
    pub fn listed_indices<'a>(&'a self, repo: &'a Repository) -> impl Iterator<Item = u32> + 'a {
        repo.artifacts
            .iter()
            .copied()
            .filter(|i| self.artifacts[*i as usize].parent.is_none())
    }

    /// Finds an artifact in a repository by tag or digest (`sha256:...`).
    pub fn artifact_by_reference(&self, repo: &Repository, reference: &str) -> Option<&Artifact> {
        let mut all = repo.artifacts.iter().map(|i| &self.artifacts[*i as usize]);
        if reference.starts_with("sha256:") {
            all.find(|a| &*a.digest == reference)
        } else {
            all.find(|a| a.tags.iter().any(|t| &*t.name == reference))
        }
    }

    /// Projects the principal may read (what `/projects` lists), in id order.
    pub fn visible_projects<'a>(&'a self, p: &'a Principal) -> impl Iterator<Item = &'a Project> {
        self.projects.iter().filter(move |pr| p.can_read(pr))
    }

    /// Every listed artifact the principal can read, grouped by project and repository.
    pub fn visible_artifacts(&self, p: &Principal) -> Vec<&Artifact> {
        self.visible_projects(p)
            .flat_map(|pr| pr.repos.iter())
            .flat_map(|r| self.listed_artifacts(&self.repositories[*r as usize]))
            .collect()
    }

    /// Total listed artifacts (children of indexes excluded).
    pub fn artifact_count(&self) -> usize {
        self.repositories.iter().map(|r| r.top_level as usize).sum()
    }

    /// The account with these credentials, if any.
    pub fn principal_by_credentials(&self, name: &str, secret: &str) -> Option<Principal> {
        self.accounts
            .iter()
            .find(|a| a.name == name && a.secret == secret && !a.disabled)
            .map(Account::principal)
    }

    /// The principal for a login name (`anonymous` gives [`Principal::Anonymous`]).
    pub fn principal_by_name(&self, name: &str) -> Option<Principal> {
        if name.is_empty() || name == "anonymous" {
            return Some(Principal::Anonymous);
        }
        self.accounts
            .iter()
            .find(|a| a.name == name)
            .map(Account::principal)
    }

    /// The account record for a principal.
    pub fn account_of(&self, p: &Principal) -> Option<&Account> {
        self.accounts.iter().find(|a| a.name == p.name())
    }
}

/// Harbor's `type` of an artifact kind on `version`.
pub fn kind_type(k: ArtifactKind, version: HarborVersion) -> &'static str {
    match k {
        ArtifactKind::Image | ArtifactKind::Index => "IMAGE",
        ArtifactKind::Chart => "CHART",
        ArtifactKind::Model if version.knows_cnai() => "CNAI",
        ArtifactKind::Model => "UNKNOWN",
    }
}

/// (media_type, manifest_media_type) of an artifact.
pub fn media_types(a: &Artifact) -> (&'static str, &'static str) {
    const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
    match (a.kind, a.oci) {
        (ArtifactKind::Index, _) => (OCI_INDEX, OCI_INDEX),
        (ArtifactKind::Chart, _) => ("application/vnd.cncf.helm.config.v1+json", OCI_MANIFEST),
        (ArtifactKind::Model, _) => ("application/vnd.cncf.model.config.v1+json", OCI_MANIFEST),
        (ArtifactKind::Image, true) => ("application/vnd.oci.image.config.v1+json", OCI_MANIFEST),
        (ArtifactKind::Image, false) => (
            "application/vnd.docker.container.image.v1+json",
            "application/vnd.docker.distribution.manifest.v2+json",
        ),
    }
}
