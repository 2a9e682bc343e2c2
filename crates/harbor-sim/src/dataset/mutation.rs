//! Mutations for refresh tests: pushes, deletes, new tags, pulls, new and deleted
//! repositories, each producing a new dataset generation.
//!
//! A repository's `update_time` moves as the emulated release moves it: on a push
//! always; on an artifact delete or a new tag only from Harbor 2.15.2; on a pull never.

use serde::{Deserialize, Serialize};

use super::generate::Builder;
use super::model::{ArtifactKind, Dataset, Repository, Tag};
use crate::rng::{mix, Rng};
use crate::time::{self, Millis};

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
    /// Only repositories of this project (new repositories go there too).
    #[serde(default)]
    pub project: Option<String>,
    /// New tags put on the newest listed artifact of each (a tag create, or a retag).
    #[serde(default)]
    pub tag: usize,
    /// Pulls of the newest listed artifact of each: they move `pull_time` and
    /// `pull_count`, never `update_time`.
    #[serde(default)]
    pub pull: usize,
    /// Deletes each chosen repository with its artifacts.
    #[serde(default)]
    pub drop_repository: bool,
    /// New repositories created (in `project`, else the first project), each with
    /// `push` artifacts.
    #[serde(default)]
    pub new_repositories: usize,
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
            tag: 0,
            pull: 0,
            drop_repository: false,
            new_repositories: 0,
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
    /// Full names of the repositories deleted.
    #[serde(default)]
    pub dropped: Vec<String>,
    /// Full names of the repositories created.
    #[serde(default)]
    pub created: Vec<String>,
    /// The dataset's new "now".
    pub now: String,
}

impl Dataset {
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
            dropped: Vec::new(),
            created: Vec::new(),
            now: time::format_millis(b.ds.now),
        };
        let every_change = self.version.update_time_tracks_every_change();
        for ridx in candidates {
            let name = b.ds.repositories[ridx as usize].name.clone();
            if m.drop_repository {
                b.drop_repository(ridx);
                report.dropped.push(name);
                continue;
            }
            let deleted = report.deleted.len();
            b.delete_oldest(ridx, m.delete, &mut report.deleted);
            b.push_new(ridx, m.push, generation, now, &mut report.pushed);
            let tagged = b.tag_newest(ridx, m.tag, generation, now);
            b.pull_newest(ridx, m.pull, b.ds.now);
            let moved = m.push > 0 || (every_change && (report.deleted.len() > deleted || tagged));
            let repo = &mut b.ds.repositories[ridx as usize];
            if moved {
                repo.update_time = b.ds.now;
                let pidx = repo.project as usize;
                b.ds.projects[pidx].update_time = b.ds.now;
            }
            report.repositories.push(name);
        }
        if m.new_repositories > 0 {
            let pidx = m
                .project
                .as_ref()
                .and_then(|p| self.project_by_name(p))
                .map_or(0, |p| (p.id - 1) as u32);
            for k in 0..m.new_repositories {
                let ridx = b.new_repository(pidx, &format!("new-{generation}-{k}"), now);
                b.push_new(ridx, m.push.max(1), generation, now, &mut report.pushed);
                let repo = &mut b.ds.repositories[ridx as usize];
                repo.update_time = b.ds.now;
                report.created.push(repo.name.clone());
            }
        }
        (b.finish(), report)
    }
}

impl Builder {
    /// Deletes a repository: it leaves its project and every lookup; its slot stays so
    /// ids remain indices.
    fn drop_repository(&mut self, ridx: u32) {
        let ds = &mut self.ds;
        let repo = &mut ds.repositories[ridx as usize];
        repo.artifacts.clear();
        repo.top_level = 0;
        let name = repo.name.clone();
        let pidx = repo.project as usize;
        ds.projects[pidx].repos.retain(|r| *r != ridx);
        ds.repo_by_name.remove(&name);
    }

    /// Creates an empty repository `short` in project `pidx`, created at `at`.
    fn new_repository(&mut self, pidx: u32, short: &str, at: Millis) -> u32 {
        let ds = &mut self.ds;
        let ridx = ds.repositories.len() as u32;
        let name = format!("{}/{short}", ds.projects[pidx as usize].name);
        ds.repo_by_name.insert(name.clone(), ridx);
        ds.projects[pidx as usize].repos.push(ridx);
        ds.repositories.push(Repository {
            id: i64::from(ridx) + 1,
            project: pidx,
            name,
            creation_time: at,
            update_time: at,
            pull_count: 0,
            artifacts: Vec::new(),
            top_level: 0,
            described: false,
        });
        ridx
    }

    /// The newest listed artifact of a repository.
    fn newest(&self, ridx: u32) -> Option<u32> {
        let ds = &self.ds;
        ds.listed_indices(&ds.repositories[ridx as usize])
            .max_by_key(|a| (ds.artifacts[*a as usize].push_time, *a))
    }

    /// Puts `n` new tags on the newest artifact; true when one was added.
    fn tag_newest(&mut self, ridx: u32, n: usize, generation: u64, at: Millis) -> bool {
        let Some(a) = self.newest(ridx).filter(|_| n > 0) else {
            return false;
        };
        for k in 0..n {
            self.tag_id += 1;
            let tag = Tag {
                id: self.tag_id,
                name: format!("tagged-{generation}-{k}").into_boxed_str(),
                push_time: at + k as i64,
                pull_time: None,
                immutable: false,
            };
            self.ds.artifacts[a as usize].tags.insert(0, tag);
        }
        true
    }

    /// Pulls the newest artifact `n` times at `at`.
    fn pull_newest(&mut self, ridx: u32, n: usize, at: Millis) {
        let Some(a) = self.newest(ridx).filter(|_| n > 0) else {
            return;
        };
        let artifact = &mut self.ds.artifacts[a as usize];
        artifact.pull_time = Some(at);
        if let Some(t) = artifact.tags.first_mut() {
            t.pull_time = Some(at);
        }
        self.ds.repositories[ridx as usize].pull_count += n as u64;
    }

    /// Removes the `n` oldest listed artifacts (and their index children) from a repository.
    fn delete_oldest(&mut self, ridx: u32, n: usize, out: &mut Vec<String>) {
        let ds = &mut self.ds;
        let mut listed: Vec<u32> = ds.listed_indices(&ds.repositories[ridx as usize]).collect();
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
        let models = !chart
            && self.ds.repositories[ridx as usize]
                .name
                .contains("ml-serving");
        for k in 0..n {
            let j = 100_000 * generation as usize + k;
            let mut t = self.traits(1, 0, 2, chart, pidx);
            t.tag_count = t.tag_count.max(1);
            if models && t.kind == ArtifactKind::Image {
                t.kind = ArtifactKind::Model;
            }
            let last = if k + 1 == n { j + 1 } else { j + 2 };
            self.artifact(ridx, pidx, j, last, start + k as i64 * 1000, t);
            let id = self.ds.artifacts.len() - 1;
            out.push(self.ds.artifacts[id].digest.to_string());
            self.ds.repositories[ridx as usize].top_level += 1;
        }
    }
}
