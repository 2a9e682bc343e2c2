//! The deterministic generator: projects, accounts, labels, repositories and artifacts
//! from a seed (Tiny is hand-shaped so tests can use literal values).

use std::collections::HashMap;

use super::model::{
    Account, AccountKind, Artifact, ArtifactKind, Dataset, Label, Preset, Project, Repository,
    Scan, ScanState, Shape, Tag, PLATFORMS,
};
use super::words::{FIXED_PROJECTS, GROUPS, PROJECT_WORDS, WORDS};
use crate::hostile;
use crate::rng::{hex_words, mix, Rng};
use crate::time::Millis;
use crate::vulns::{CvePool, Severity, SeverityIndex};
use crate::HarborVersion;

/// 2025-06-01T00:00:00Z: the generated world's "now" (no wall clock anywhere).
pub const NOW: Millis = 1_748_736_000_000;
const START: Millis = 1_640_995_200_000; // 2022-01-01
const DAY: Millis = 86_400_000;

/// Traits of one top-level artifact before it is materialised.
pub(super) struct Traits {
    pub(super) kind: ArtifactKind,
    pub(super) children: u8,
    pub(super) tag_count: usize,
    pub(super) never_pulled: bool,
    pub(super) scan: ScanState,
    pub(super) worst: Severity,
    pub(super) findings: usize,
    pub(super) labels: Vec<u16>,
    pub(super) signed: bool,
    pub(super) annotated: bool,
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

pub(super) struct Builder {
    pub(super) seed: u64,
    pub(super) hostile: bool,
    pub(super) shape: Shape,
    pub(super) rng: Rng,
    pub(super) ds: Dataset,
    pub(super) tag_id: i64,
    pub(super) successes: usize,
    pub(super) scripted: bool,
}

impl Builder {
    pub(super) fn new(preset: Preset, seed: u64, hostile: bool, shape: Shape) -> Self {
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
                version: HarborVersion::default(),
                project_by_name: HashMap::new(),
                repo_by_name: HashMap::new(),
                listed_order: Default::default(),
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
            // A system robot whose only permission is Security Hub's (see
            // `crate::security`): it reads `/security/*` but no private project.
            acct(
                AccountKind::Robot,
                crate::security::SECURITY_HUB_ROBOT,
                "SecHubRobot1",
                4,
                false,
                Vec::new(),
            ),
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
            // Model-serving repositories hold AI models; decided after the random
            // draws, so adding models changed no other artifact.
            let models = !chart && !self.scripted && spec.short.contains("ml-serving");
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
                let mut traits = self.traits(g, j, spec.count, chart, pidx);
                if models && traits.kind == ArtifactKind::Image {
                    traits.kind = ArtifactKind::Model;
                }
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
    pub(super) fn traits(
        &mut self,
        g: usize,
        j: usize,
        n: usize,
        chart: bool,
        project: usize,
    ) -> Traits {
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
            ArtifactKind::Image | ArtifactKind::Model => {
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

    pub(super) fn artifact(
        &mut self,
        ridx: u32,
        pidx: usize,
        j: usize,
        n: usize,
        push: Millis,
        t: Traits,
    ) {
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
            _ if t.kind == ArtifactKind::Model => Scan::NONE,
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

    pub(super) fn finish(self) -> Dataset {
        self.ds
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Principal;

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
