//! The simulated registry's content, generated deterministically from a seed.
//!
//! Storage is compact (ids, indices, small enums); JSON is rendered on demand by
//! `render`. Free text that can be large (descriptions, hostile strings) is derived on
//! demand too (see `hostile`), so even the Large preset stays lean.

use std::collections::HashMap;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::auth::Principal;
use crate::hostile;
use crate::rng::{hex_words, mix, Rng};
use crate::time::{self, Millis};
use crate::vulns::{CvePool, Severity};

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
}

impl FromStr for Preset {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "tiny" => Ok(Preset::Tiny),
            "small" => Ok(Preset::Small),
            "medium" => Ok(Preset::Medium),
            "large" => Ok(Preset::Large),
            other => Err(format!(
                "unknown preset {other:?} (tiny, small, medium, large)"
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
    /// True when Harbor can scan it (images and indexes, not charts).
    pub fn scannable(&self) -> bool {
        self.kind != ArtifactKind::Chart
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
    /// `IMAGE` or `CHART`.
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
    project_by_name: HashMap<String, u32>,
    repo_by_name: HashMap<String, u32>,
}

/// 2025-06-01T00:00:00Z: the generated world's "now" (no wall clock anywhere).
pub const NOW: Millis = 1_748_736_000_000;
const START: Millis = 1_640_995_200_000; // 2022-01-01
const DAY: Millis = 86_400_000;

const WORDS: &[&str] = &[
    "nginx",
    "redis",
    "postgres",
    "api",
    "web",
    "worker",
    "gateway",
    "auth",
    "billing",
    "search",
    "ingest",
    "etl",
    "ml-serving",
    "frontend",
    "backend",
    "cache",
    "queue",
    "scheduler",
    "proxy",
    "metrics",
    "logs",
    "tracing",
    "notifier",
    "payments",
    "ledger",
    "catalog",
    "inventory",
    "checkout",
    "mailer",
    "cron",
    "sidecar",
    "operator",
    "controller",
    "agent",
    "runner",
    "builder",
    "toolbox",
    "debug",
    "base",
    "python",
    "node",
    "golang",
    "java",
    "ruby",
    "alpine",
];
const GROUPS: &[&str] = &[
    "tools", "infra", "apps", "libs", "ci", "data", "platform", "edge",
];
const PROJECT_WORDS: &[&str] = &[
    "payments",
    "search",
    "ml-platform",
    "data",
    "web",
    "mobile",
    "infra",
    "security",
    "ops",
    "analytics",
    "core",
    "partners",
    "legacy",
    "sandbox",
    "research",
    "growth",
];

/// Fixed projects present in every preset: (name, public, registry_id).
const FIXED_PROJECTS: [(&str, bool, i64); 5] = [
    ("library", true, 0),
    ("team", false, 0),
    ("secret", false, 0),
    ("proxy-hub", true, 1),
    ("empty", true, 0),
];

/// Traits of one top-level artifact before it is materialised.
struct Traits {
    kind: ArtifactKind,
    children: u8,
    tag_count: usize,
    never_pulled: bool,
    scan: ScanState,
    worst: Severity,
    findings: usize,
    labels: Vec<u16>,
    signed: bool,
    annotated: bool,
}

/// What `POST /_sim/mutate` changes (all fields optional in JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mutation {
    /// How many repositories to touch.
    #[serde(default = "one")]
    pub repositories: usize,
    /// Artifacts pushed into each (the newest gets `latest`).
    #[serde(default = "one")]
    pub push: usize,
    /// Oldest artifacts deleted from each.
    #[serde(default)]
    pub delete: usize,
    /// Only repositories of this project.
    #[serde(default)]
    pub project: Option<String>,
}

fn one() -> usize {
    1
}

impl Default for Mutation {
    fn default() -> Self {
        Mutation {
            repositories: 1,
            push: 1,
            delete: 0,
            project: None,
        }
    }
}

/// What a mutation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MutationReport {
    /// 1 for the first mutation of a simulator.
    pub generation: u64,
    /// Full names of the repositories touched.
    pub repositories: Vec<String>,
    /// Digests pushed.
    pub pushed: Vec<String>,
    /// Digests deleted.
    pub deleted: Vec<String>,
    /// The dataset's new "now".
    pub now: String,
}

/// A repository to create: (project index, short name, top-level artifact count).
struct RepoSpec {
    project: u32,
    short: String,
    count: usize,
}

impl Dataset {
    /// Generates the dataset of `preset` from `seed` (`shape` overrides the preset's shape).
    pub fn generate(preset: Preset, seed: u64, hostile: bool, shape: Option<Shape>) -> Dataset {
        let shape = shape.unwrap_or_else(|| preset.shape());
        let mut b = Builder::new(preset, seed, hostile, shape);
        b.projects();
        b.labels();
        let specs = if preset == Preset::Tiny && shape == preset.shape() {
            tiny_specs()
        } else {
            b.specs()
        };
        b.fill(specs);
        b.finish()
    }

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
        repo.artifacts
            .iter()
            .map(|i| &self.artifacts[*i as usize])
            .filter(|a| a.parent.is_none())
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

    /// A copy of this dataset with `m` applied (generation `generation`, 1-based): new
    /// artifacts pushed to and the oldest deleted from deterministically chosen
    /// repositories. Deleted artifacts leave their repository but keep their id slot.
    pub fn mutated(&self, m: &Mutation, generation: u64) -> (Dataset, MutationReport) {
        let mut b = Builder::new(self.preset, self.seed, self.hostile, self.preset.shape());
        b.scripted = false;
        b.rng = Rng::new(mix(self.seed, 0x3017 ^ generation));
        b.ds = self.clone();
        b.tag_id = self
            .artifacts
            .iter()
            .flat_map(|a| a.tags.iter())
            .map(|t| t.id)
            .max()
            .unwrap_or(0);
        let now = self.now + 60_000;
        b.ds.now = now + m.push as i64 * 1000;
        let mut candidates: Vec<u32> = (0..self.repositories.len() as u32)
            .filter(|r| {
                let pr = &self.projects[self.repositories[*r as usize].project as usize];
                m.project.as_ref().is_none_or(|p| *p == pr.name)
            })
            .collect();
        candidates.sort_by_key(|r| mix(mix(self.seed, generation), u64::from(*r)));
        candidates.truncate(m.repositories);
        candidates.sort_unstable();
        let mut report = MutationReport {
            generation,
            repositories: Vec::new(),
            pushed: Vec::new(),
            deleted: Vec::new(),
            now: time::format_millis(b.ds.now),
        };
        for ridx in candidates {
            b.delete_oldest(ridx, m.delete, &mut report.deleted);
            b.push_new(ridx, m.push, generation, now, &mut report.pushed);
            let repo = &mut b.ds.repositories[ridx as usize];
            repo.update_time = b.ds.now;
            report.repositories.push(repo.name.clone());
            let pidx = repo.project as usize;
            b.ds.projects[pidx].update_time = b.ds.now;
        }
        (b.finish(), report)
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
            kind: kind_type(a.kind).to_string(),
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
                severity: success.then(|| a.scan.severity.as_str().to_string()),
                total: a.scan.total(),
                fixable: u32::from(a.scan.fixable),
                end_time: matches!(a.scan.state, ScanState::Success | ScanState::Error).then(
                    || time::format_millis(a.scan.start + i64::from(a.scan.duration_s) * 1000),
                ),
                counts: [6, 5, 4, 3].map(|i| u32::from(c[i])),
            },
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
                    severity: c.severity.as_str().to_string(),
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

/// Harbor's `type` of an artifact kind.
pub fn kind_type(k: ArtifactKind) -> &'static str {
    match k {
        ArtifactKind::Image | ArtifactKind::Index => "IMAGE",
        ArtifactKind::Chart => "CHART",
    }
}

/// (media_type, manifest_media_type) of an artifact.
pub fn media_types(a: &Artifact) -> (&'static str, &'static str) {
    const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
    match (a.kind, a.oci) {
        (ArtifactKind::Index, _) => (OCI_INDEX, OCI_INDEX),
        (ArtifactKind::Chart, _) => ("application/vnd.cncf.helm.config.v1+json", OCI_MANIFEST),
        (ArtifactKind::Image, true) => ("application/vnd.oci.image.config.v1+json", OCI_MANIFEST),
        (ArtifactKind::Image, false) => (
            "application/vnd.docker.container.image.v1+json",
            "application/vnd.docker.distribution.manifest.v2+json",
        ),
    }
}

/// The Tiny layout: every feature present at a known place.
fn tiny_specs() -> Vec<RepoSpec> {
    let s = |project: u32, short: &str, count: usize| RepoSpec {
        project,
        short: short.to_string(),
        count,
    };
    vec![
        s(0, "nginx", 9),
        s(0, "redis", 3),
        s(0, "busybox", 1),
        s(0, "charts/podinfo", 2),
        s(0, "empty-repo", 0),
        s(1, "tools/postgrest", 4),
        s(1, "tools/deep/x", 1),
        s(1, "api", 3),
        s(2, "vault", 2),
        s(3, "library/alpine", 3),
    ]
}

struct Builder {
    seed: u64,
    hostile: bool,
    shape: Shape,
    rng: Rng,
    ds: Dataset,
    tag_id: i64,
    successes: usize,
    scripted: bool,
}

impl Builder {
    fn new(preset: Preset, seed: u64, hostile: bool, shape: Shape) -> Self {
        Builder {
            seed,
            hostile,
            shape,
            rng: Rng::new(mix(seed, 0xDA7A)),
            ds: Dataset {
                seed,
                preset,
                hostile,
                now: NOW,
                projects: Vec::new(),
                repositories: Vec::new(),
                artifacts: Vec::new(),
                labels: Vec::new(),
                accounts: Vec::new(),
                cves: CvePool::generate(seed, shape.cve_pool),
                project_by_name: HashMap::new(),
                repo_by_name: HashMap::new(),
            },
            tag_id: 0,
            successes: 0,
            scripted: preset == Preset::Tiny && shape == Preset::Tiny.shape(),
        }
    }

    fn tiny(&self) -> bool {
        self.scripted
    }

    fn projects(&mut self) {
        let n = self.shape.projects.max(FIXED_PROJECTS.len());
        for i in 0..n {
            let (name, public, registry_id) = match FIXED_PROJECTS.get(i) {
                Some((name, public, reg)) => (name.to_string(), *public, *reg),
                None => {
                    let w = PROJECT_WORDS[i % PROJECT_WORDS.len()];
                    (format!("{w}-{i:02}"), self.rng.chance(0.45), 0)
                }
            };
            let creation_time = START + i as i64 * DAY / 3 + self.rng.below(DAY as u64) as i64;
            self.ds.project_by_name.insert(name.clone(), i as u32);
            self.ds.projects.push(Project {
                id: i as i64 + 1,
                name,
                public,
                registry_id,
                owner_id: 1,
                creation_time,
                update_time: creation_time,
                auto_scan: i % 3 != 2,
                immutable_semver: i == 0 || (i > 4 && i % 4 == 0),
                repos: Vec::new(),
            });
        }
        self.accounts(n);
    }

    /// admin, alice (member of team and every third generated private project), bob (no
    /// memberships), a system robot on team + some generated projects, a project robot.
    fn accounts(&mut self, n: usize) {
        let generated_private: Vec<i64> = self.ds.projects[5..]
            .iter()
            .filter(|p| !p.public)
            .map(|p| p.id)
            .collect();
        let mut alice = vec![2];
        alice.extend(generated_private.iter().step_by(3));
        let mut robot = vec![2];
        robot.extend(generated_private.iter().skip(1).step_by(4));
        let _ = n;
        let acct = |kind, name: &str, secret: &str, id, sysadmin, projects: Vec<i64>| Account {
            kind,
            name: name.to_string(),
            secret: secret.to_string(),
            id,
            sysadmin,
            projects,
            realname: name.to_string(),
            disabled: false,
        };
        self.ds.accounts = vec![
            acct(
                AccountKind::User,
                "admin",
                "Harbor12345",
                1,
                true,
                Vec::new(),
            ),
            acct(AccountKind::User, "alice", "Alice12345", 2, false, alice),
            acct(AccountKind::User, "bob", "Bob12345", 3, false, Vec::new()),
            acct(
                AccountKind::Robot,
                "robot$lens-audit",
                "RobotSecret1",
                1,
                false,
                robot,
            ),
            acct(
                AccountKind::Robot,
                "robot$team+ci",
                "TeamRobot1",
                2,
                false,
                vec![2],
            ),
            Account {
                disabled: true,
                ..acct(
                    AccountKind::Robot,
                    "robot$old-ci",
                    "OldRobot1",
                    3,
                    false,
                    vec![2],
                )
            },
        ];
        if self.hostile {
            self.ds.accounts[1].realname = hostile::pick(self.seed, 7, 1).into_owned();
        }
    }

    fn labels(&mut self) {
        const GLOBAL: [(&str, &str); 8] = [
            ("prod", "#E12200"),
            ("staging", "#F57600"),
            ("deprecated", "#6D7278"),
            ("pci", "#0065AB"),
            ("team-a", "#00B7D6"),
            ("needs-review", "#FFDC0B"),
            ("gold", "#C5A600"),
            ("eol", "#000000"),
        ];
        for (i, (name, color)) in GLOBAL.iter().enumerate() {
            // Hostile labels carry every sample: names 0..8, descriptions 8..16.
            let (name, description) = if self.hostile {
                (
                    hostile::sample(i).to_string(),
                    hostile::sample(i + 8).to_string(),
                )
            } else {
                (name.to_string(), "A global label".to_string())
            };
            self.ds.labels.push(Label {
                id: i as i64 + 1,
                name,
                description,
                color: color.to_string(),
                scope: "g",
                project_id: 0,
                creation_time: START + i as i64 * DAY,
            });
        }
        for (i, name) in ["library-approved", "library-base"].iter().enumerate() {
            self.ds.labels.push(Label {
                id: 9 + i as i64,
                name: name.to_string(),
                // In hostile mode one label carries a 100 KB description.
                description: if self.hostile && i == 1 {
                    hostile::long_text()
                } else {
                    String::new()
                },
                color: "#48960C".to_string(),
                scope: "p",
                project_id: 1,
                creation_time: START + (10 + i as i64) * DAY,
            });
        }
    }

    /// Repository specs for generated presets: Zipf-skewed sizes, some empty, nested names.
    fn specs(&mut self) -> Vec<RepoSpec> {
        let n = self.shape.repositories.max(1);
        let harmonic: f64 = (1..=n).map(|k| 1.0 / k as f64).sum();
        let c = self.shape.artifacts as f64 / harmonic;
        let mut sizes: Vec<usize> = (0..n)
            .map(|r| (c / (r + 1) as f64).round() as usize)
            .collect();
        for s in sizes.iter_mut().skip(n / 10) {
            if self.rng.chance(self.shape.empty_repo_rate) {
                *s = 0;
            }
        }
        let sum: usize = sizes.iter().sum();
        if sum < self.shape.artifacts {
            sizes[0] += self.shape.artifacts - sum;
        } else {
            let mut extra = sum - self.shape.artifacts;
            for s in sizes.iter_mut() {
                let take = extra.min(s.saturating_sub(1));
                *s -= take;
                extra -= take;
            }
        }
        for i in (1..n).rev() {
            let j = self.rng.below(i as u64 + 1) as usize;
            sizes.swap(i, j);
        }
        // Project weights: skewed; the fixed "empty" project gets nothing.
        let weights: Vec<f64> = (0..self.ds.projects.len())
            .map(|i| {
                if i == 4 {
                    0.0
                } else {
                    1.0 / ((i + 1) as f64).powf(0.6)
                }
            })
            .collect();
        let total_w: f64 = weights.iter().sum();
        let mut used: std::collections::HashSet<String> = std::collections::HashSet::new();
        let mut specs = Vec::with_capacity(n);
        for (r, count) in sizes.into_iter().enumerate() {
            let mut x = crate::rng::unit(self.rng.next_u64()) * total_w;
            let mut project = 0;
            for (i, w) in weights.iter().enumerate() {
                if x < *w {
                    project = i;
                    break;
                }
                x -= w;
            }
            let mut short = self.repo_name(project);
            if !used.insert(format!("{project}/{short}")) {
                short = format!("{short}-{r}");
                used.insert(format!("{project}/{short}"));
            }
            specs.push(RepoSpec {
                project: project as u32,
                short,
                count,
            });
        }
        specs
    }

    fn repo_name(&mut self, project: usize) -> String {
        let w = *self.rng.pick(WORDS);
        if project == 3 {
            return format!("library/{w}");
        }
        match self.rng.below(100) {
            0..=4 => format!("charts/{w}"),
            5..=17 => format!("{}/{w}", self.rng.pick(GROUPS)),
            18..=22 => format!("{}/{}/{w}", self.rng.pick(GROUPS), self.rng.pick(GROUPS)),
            23..=40 => format!("{w}-{}", self.rng.pick(WORDS)),
            _ => w.to_string(),
        }
    }

    fn fill(&mut self, specs: Vec<RepoSpec>) {
        let mut g = 0usize;
        for spec in specs {
            let pidx = spec.project as usize;
            let project_created = self.ds.projects[pidx].creation_time;
            let ridx = self.ds.repositories.len() as u32;
            let name = format!("{}/{}", self.ds.projects[pidx].name, spec.short);
            let span = (NOW - project_created).max(DAY);
            let creation_time = project_created + (self.rng.below((span / 4) as u64) as i64);
            self.ds.repo_by_name.insert(name.clone(), ridx);
            self.ds.projects[pidx].repos.push(ridx);
            let chart = spec.short.starts_with("charts/");
            self.ds.repositories.push(Repository {
                id: ridx as i64 + 1,
                project: spec.project,
                name,
                creation_time,
                update_time: creation_time,
                pull_count: 0,
                artifacts: Vec::new(),
                top_level: spec.count as u32,
                described: self.rng.chance(0.3),
            });
            let step = (NOW - creation_time) / (spec.count as i64 + 1);
            for j in 0..spec.count {
                let traits = self.traits(g, j, spec.count, chart, pidx);
                let push = creation_time + step * (j as i64 + 1)
                    - self.rng.below((step / 2).max(1) as u64) as i64;
                self.artifact(ridx, pidx, j, spec.count, push, traits);
                g += 1;
            }
            let repo = &mut self.ds.repositories[ridx as usize];
            if let Some(last) = repo.artifacts.last() {
                repo.update_time = self.ds.artifacts[*last as usize].push_time;
            }
            repo.pull_count = repo
                .artifacts
                .iter()
                .filter(|a| self.ds.artifacts[**a as usize].pull_time.is_some())
                .count() as u64
                * 3;
            let pr = &mut self.ds.projects[pidx];
            pr.update_time = pr.update_time.max(creation_time);
        }
    }

    /// Decides what a top-level artifact looks like: scripted in Tiny, random elsewhere.
    fn traits(&mut self, g: usize, j: usize, n: usize, chart: bool, project: usize) -> Traits {
        let last = j + 1 == n;
        if self.tiny() {
            return self.tiny_traits(g, last, chart, project);
        }
        let r = &mut self.rng;
        let kind = if chart {
            ArtifactKind::Chart
        } else if r.chance(self.shape.index_rate) {
            ArtifactKind::Index
        } else {
            ArtifactKind::Image
        };
        // The very first artifact always gets many tags, so every dataset has one.
        let tag_count = match r.below(1000) {
            _ if g == 0 => 10 + r.below(40) as usize,
            _ if last => 1 + r.below(2) as usize,
            995.. => 10 + r.below(40) as usize,
            x if x > 875 => 2 + r.below(3) as usize,
            x if (x as f64) < self.shape.untagged_rate * 1000.0 => 0,
            _ => 1,
        };
        let scan = if chart || r.chance(self.shape.unscanned_rate) {
            ScanState::NotScanned
        } else {
            match r.below(100) {
                0..=3 => ScanState::Error,
                4..=6 => ScanState::Running,
                7..=8 => ScanState::Pending,
                _ => ScanState::Success,
            }
        };
        let worst = match r.below(100) {
            0..=14 => Severity::None,
            15..=17 => Severity::Unknown,
            18..=19 => Severity::Negligible,
            20..=34 => Severity::Low,
            35..=59 => Severity::Medium,
            60..=84 => Severity::High,
            _ => Severity::Critical,
        };
        let findings = if r.chance(0.1) {
            r.range(20, 80)
        } else {
            r.range(1, 8)
        } as usize;
        let mut labels = Vec::new();
        if r.chance(0.2) {
            labels.push(r.below(8) as u16);
            if r.chance(0.25) {
                let second = (labels[0] + 1 + r.below(7) as u16) % 8;
                labels.push(second);
            }
            if project == 0 && r.chance(0.3) {
                labels.push(8 + r.below(2) as u16);
            }
        }
        Traits {
            kind,
            children: 2 + r.below(3) as u8,
            tag_count,
            never_pulled: r.chance(self.shape.never_pulled_rate),
            scan,
            worst,
            findings,
            labels,
            signed: r.chance(0.1),
            annotated: r.chance(0.5),
        }
    }

    fn tiny_traits(&mut self, g: usize, last: bool, chart: bool, project: usize) -> Traits {
        const SCANS: [ScanState; 8] = [
            ScanState::Success,
            ScanState::Success,
            ScanState::NotScanned,
            ScanState::Error,
            ScanState::Success,
            ScanState::Running,
            ScanState::Success,
            ScanState::Pending,
        ];
        const WORST: [Severity; 7] = [
            Severity::Critical,
            Severity::High,
            Severity::Medium,
            Severity::Low,
            Severity::None,
            Severity::Unknown,
            Severity::Negligible,
        ];
        let kind = match g {
            _ if chart => ArtifactKind::Chart,
            4 | 20 => ArtifactKind::Index,
            _ => ArtifactKind::Image,
        };
        let tag_count = match g {
            1 => 12,
            _ if g % 7 == 3 && !last => 0,
            _ if g % 5 == 2 => 2,
            _ => 1,
        };
        let scan = if chart {
            ScanState::NotScanned
        } else {
            SCANS[g % 8]
        };
        let (worst, findings) = if scan == ScanState::Success {
            let w = WORST[self.successes % WORST.len()];
            self.successes += 1;
            (
                w,
                if w == Severity::None {
                    0
                } else {
                    1 + g % 5 + w.index()
                },
            )
        } else {
            (Severity::None, 0)
        };
        let mut labels = Vec::new();
        if g.is_multiple_of(3) {
            labels.push(((g / 3) % 8) as u16);
        }
        if g.is_multiple_of(8) {
            let second = ((g / 8 + 5) % 8) as u16;
            if !labels.contains(&second) {
                labels.push(second);
            }
        }
        if project == 0 && g == 6 {
            labels.push(8);
        }
        Traits {
            kind,
            children: if g == 4 { 2 } else { 3 },
            tag_count,
            never_pulled: g % 4 == 1,
            scan,
            worst,
            findings,
            labels,
            signed: g.is_multiple_of(5),
            annotated: g.is_multiple_of(2),
        }
    }

    fn new_artifact(&mut self, ridx: u32, kind: ArtifactKind, push: Millis) -> u32 {
        let idx = self.ds.artifacts.len() as u32;
        let id = idx as i64 + 1;
        let digest = format!("sha256:{}", hex_words(mix(self.seed, id as u64), 4));
        let size = match kind {
            ArtifactKind::Chart => 2_000 + self.rng.below(60_000),
            ArtifactKind::Index => 300 + self.rng.below(1_500),
            ArtifactKind::Image => {
                let mb = if self.rng.chance(0.1) {
                    self.rng.range(500, 4000)
                } else {
                    self.rng.range(2, 400)
                };
                mb * 1_048_576 + self.rng.below(1_048_576)
            }
        };
        self.ds.artifacts.push(Artifact {
            id,
            repo: ridx,
            kind,
            oci: self.rng.chance(0.5),
            digest: digest.into_boxed_str(),
            size,
            push_time: push,
            pull_time: None,
            tags: Vec::new(),
            labels: Vec::new(),
            scan: Scan::NONE,
            children: Vec::new(),
            parent: None,
            platform: 0,
            signed: false,
            annotated: false,
        });
        self.ds.repositories[ridx as usize].artifacts.push(idx);
        idx
    }

    fn artifact(&mut self, ridx: u32, pidx: usize, j: usize, n: usize, push: Millis, t: Traits) {
        let mut children = Vec::new();
        if t.kind == ArtifactKind::Index {
            for c in 0..t.children {
                let ci = self.new_artifact(ridx, ArtifactKind::Image, push - 1000);
                self.ds.artifacts[ci as usize].platform = c % PLATFORMS.len() as u8;
                children.push(ci);
            }
        }
        let idx = self.new_artifact(ridx, t.kind, push);
        for c in &children {
            self.ds.artifacts[*c as usize].parent = Some(idx);
        }
        let pull_time = if t.never_pulled {
            None
        } else {
            Some(
                (push + self.rng.below((self.ds.now - push).max(1) as u64) as i64)
                    .min(self.ds.now.max(push)),
            )
        };
        let tags = self.tags(pidx, j, n, push, pull_time, t.tag_count, idx);
        let picked = self
            .ds
            .cves
            .pick(self.seed, idx as i64 + 1, t.worst, t.findings);
        let (counts, fixable) = self.ds.cves.summarize(&picked);
        let scan = match t.scan {
            ScanState::NotScanned => Scan::NONE,
            state => Scan {
                state,
                severity: if state == ScanState::Success {
                    Severity::ALL
                        .iter()
                        .rev()
                        .copied()
                        .find(|s| counts[s.index()] > 0)
                        .unwrap_or(Severity::None)
                } else {
                    Severity::None
                },
                counts: if state == ScanState::Success {
                    counts
                } else {
                    [0; 7]
                },
                fixable: if state == ScanState::Success {
                    fixable
                } else {
                    0
                },
                start: push + 60_000,
                duration_s: 5 + self.rng.below(300) as u32,
            },
        };
        let labels = t
            .labels
            .into_iter()
            .filter(|l| (*l as usize) < self.ds.labels.len())
            .collect();
        let a = &mut self.ds.artifacts[idx as usize];
        a.children = children;
        a.pull_time = pull_time;
        a.tags = tags;
        a.labels = labels;
        a.scan = scan;
        a.signed = t.signed && t.kind != ArtifactKind::Chart;
        a.annotated = t.annotated;
        a.platform = (a.id % 2) as u8;
    }

    #[allow(clippy::too_many_arguments)]
    fn tags(
        &mut self,
        pidx: usize,
        j: usize,
        n: usize,
        push: Millis,
        pull: Option<Millis>,
        count: usize,
        idx: u32,
    ) -> Vec<Tag> {
        let mut names: Vec<String> = Vec::with_capacity(count + 1);
        let semver = format!("{}.{}.{}", 1 + j / 100, (j / 10) % 10, j % 10);
        if count > 0 {
            names.push(semver.clone());
        }
        const SUFFIXES: [&str; 4] = ["alpine", "slim", "debian", "rc1"];
        for k in 1..count {
            names.push(match k {
                1..=4 => format!("{semver}-{}", SUFFIXES[k - 1]),
                _ => format!("build-{j}-{k}"),
            });
        }
        if self.hostile && count > 0 && (idx as u64 + self.seed).is_multiple_of(7) {
            // The longest tag Harbor accepts: [\w][\w.-]{0,127}.
            names.push(
                format!(
                    "x{}",
                    "-".repeat(60) + &"long.".repeat(13) + &idx.to_string()
                )
                .chars()
                .take(128)
                .collect(),
            );
        }
        if j + 1 == n && count > 0 {
            names.push("latest".to_string());
        }
        let immutable_project = self.ds.projects[pidx].immutable_semver;
        // Newest first, as Harbor orders tags (push_time desc, id desc).
        let mut tags: Vec<Tag> = names
            .into_iter()
            .enumerate()
            .map(|(k, name)| {
                self.tag_id += 1;
                let immutable = immutable_project && k == 0;
                Tag {
                    id: self.tag_id,
                    name: name.into_boxed_str(),
                    push_time: push + 137 + k as i64 * 1000,
                    pull_time: if k == 0 { pull } else { None },
                    immutable,
                }
            })
            .collect();
        tags.reverse();
        tags
    }

    /// Removes the `n` oldest listed artifacts (and their index children) from a repository.
    fn delete_oldest(&mut self, ridx: u32, n: usize, out: &mut Vec<String>) {
        let ds = &mut self.ds;
        let repo = &ds.repositories[ridx as usize];
        let mut listed: Vec<u32> = repo
            .artifacts
            .iter()
            .copied()
            .filter(|a| ds.artifacts[*a as usize].parent.is_none())
            .collect();
        listed.sort_by_key(|a| (ds.artifacts[*a as usize].push_time, *a));
        let mut gone: Vec<u32> = Vec::new();
        for a in listed.into_iter().take(n) {
            out.push(ds.artifacts[a as usize].digest.to_string());
            gone.push(a);
            gone.extend(ds.artifacts[a as usize].children.iter().copied());
        }
        let repo = &mut ds.repositories[ridx as usize];
        repo.artifacts.retain(|a| !gone.contains(a));
        repo.top_level = repo.top_level.saturating_sub(
            gone.iter()
                .filter(|a| ds.artifacts[**a as usize].parent.is_none())
                .count() as u32,
        );
    }

    /// Pushes `n` new artifacts; the newest takes over the `latest` tag.
    fn push_new(
        &mut self,
        ridx: u32,
        n: usize,
        generation: u64,
        start: Millis,
        out: &mut Vec<String>,
    ) {
        if n == 0 {
            return;
        }
        let idxs = self.ds.repositories[ridx as usize].artifacts.clone();
        for a in idxs {
            self.ds.artifacts[a as usize]
                .tags
                .retain(|t| &*t.name != "latest");
        }
        let pidx = self.ds.repositories[ridx as usize].project as usize;
        let chart = self.ds.repositories[ridx as usize]
            .name
            .contains("/charts/");
        for k in 0..n {
            let j = 100_000 * generation as usize + k;
            let mut t = self.traits(1, 0, 2, chart, pidx);
            t.tag_count = t.tag_count.max(1);
            let last = if k + 1 == n { j + 1 } else { j + 2 };
            self.artifact(ridx, pidx, j, last, start + k as i64 * 1000, t);
            let id = self.ds.artifacts.len() - 1;
            out.push(self.ds.artifacts[id].digest.to_string());
            self.ds.repositories[ridx as usize].top_level += 1;
        }
    }

    fn finish(self) -> Dataset {
        self.ds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiny_has_fixed_counts() {
        let ds = Dataset::generate(Preset::Tiny, 42, false, None);
        assert_eq!(ds.projects.len(), 5);
        assert_eq!(ds.repositories.len(), 10);
        assert_eq!(ds.artifact_count(), 28);
        assert_eq!(ds.artifacts.len(), 28 + 2 + 3);
        assert_eq!(ds.visible_artifacts(&Principal::Anonymous).len(), 18);
    }

    #[test]
    fn generation_is_deterministic() {
        let a = Dataset::generate(Preset::Small, 7, false, None);
        let b = Dataset::generate(Preset::Small, 7, false, None);
        let digests = |d: &Dataset| {
            d.artifacts
                .iter()
                .map(|a| a.digest.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(digests(&a), digests(&b));
        assert_eq!(a.artifact_count(), 500);
    }

    fn features(ds: &Dataset) -> Vec<(&'static str, usize)> {
        let listed: Vec<&Artifact> = ds.artifacts.iter().filter(|a| a.parent.is_none()).collect();
        let count = |f: &dyn Fn(&Artifact) -> bool| listed.iter().filter(|a| f(a)).count();
        vec![
            ("untagged", count(&|a| a.tags.is_empty())),
            ("many tags", count(&|a| a.tags.len() >= 10)),
            ("index", count(&|a| a.kind == ArtifactKind::Index)),
            ("chart", count(&|a| a.kind == ArtifactKind::Chart)),
            ("never pulled", count(&|a| a.pull_time.is_none())),
            ("labelled", count(&|a| !a.labels.is_empty())),
            ("signed", count(&|a| a.signed)),
            (
                "not scanned",
                count(&|a| a.scan.state == ScanState::NotScanned),
            ),
            ("scan error", count(&|a| a.scan.state == ScanState::Error)),
            (
                "scan running",
                count(&|a| a.scan.state == ScanState::Running),
            ),
            (
                "scan pending",
                count(&|a| a.scan.state == ScanState::Pending),
            ),
            (
                "empty repo",
                ds.repositories.iter().filter(|r| r.top_level == 0).count(),
            ),
            (
                "nested repo",
                ds.repositories
                    .iter()
                    .filter(|r| r.name.matches('/').count() >= 2)
                    .count(),
            ),
            (
                "private project",
                ds.projects.iter().filter(|p| !p.public).count(),
            ),
        ]
    }

    fn assert_all_features(ds: &Dataset) {
        for (name, n) in features(ds) {
            assert!(n > 0, "{:?}: no {name}", ds.preset);
        }
        for sev in Severity::ALL {
            let n = ds
                .artifacts
                .iter()
                .filter(|a| a.scan.state == ScanState::Success && a.scan.severity == sev)
                .count();
            assert!(
                n > 0,
                "{:?}: no successful scan with worst {sev:?}",
                ds.preset
            );
        }
    }

    #[test]
    fn every_preset_has_every_feature() {
        assert_all_features(&Dataset::generate(Preset::Tiny, 42, false, None));
        assert_all_features(&Dataset::generate(Preset::Small, 42, false, None));
        assert_all_features(&Dataset::generate(Preset::Tiny, 9, false, None));
    }

    #[test]
    fn medium_and_large_sizes() {
        let m = Dataset::generate(Preset::Medium, 42, false, None);
        assert_eq!(m.artifact_count(), 20_000);
        assert_eq!(m.repositories.len(), 1_000);
        assert!(
            m.repositories.iter().any(|r| r.top_level >= 1_000),
            "a few with thousands"
        );
        let tiny_repos = m
            .repositories
            .iter()
            .filter(|r| (1..=5).contains(&r.top_level))
            .count();
        assert!(tiny_repos > 400, "many tiny: {tiny_repos}");
        assert_all_features(&m);
        let l = Dataset::generate(Preset::Large, 42, false, None);
        assert!(l.artifact_count() >= 100_000);
        assert!(l.repositories.len() >= 5_000);
    }

    #[test]
    fn shape_override_and_unique_tags() {
        let shape = Shape {
            projects: 8,
            repositories: 30,
            artifacts: 300,
            ..Preset::Small.shape()
        };
        let ds = Dataset::generate(Preset::Small, 3, false, Some(shape));
        assert_eq!(
            (
                ds.projects.len(),
                ds.repositories.len(),
                ds.artifact_count()
            ),
            (8, 30, 300)
        );
        for r in &ds.repositories {
            let mut names: Vec<&str> = r
                .artifacts
                .iter()
                .flat_map(|a| ds.artifacts[*a as usize].tags.iter().map(|t| &*t.name))
                .collect();
            let n = names.len();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), n, "duplicate tag in {}", r.name);
        }
        let names: std::collections::HashSet<&str> =
            ds.repositories.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names.len(), ds.repositories.len());
    }

    #[test]
    fn principals() {
        let ds = Dataset::generate(Preset::Tiny, 42, false, None);
        assert!(ds
            .principal_by_credentials("admin", "Harbor12345")
            .is_some_and(|p| p.is_sysadmin()));
        assert_eq!(ds.principal_by_credentials("alice", "nope"), None);
        assert_eq!(
            ds.principal_by_credentials("robot$old-ci", "OldRobot1"),
            None
        );
        assert!(ds
            .principal_by_credentials("robot$team+ci", "TeamRobot1")
            .is_some_and(|p| p.is_robot()));
        assert_eq!(
            ds.principal_by_name("anonymous"),
            Some(Principal::Anonymous)
        );
    }
}
