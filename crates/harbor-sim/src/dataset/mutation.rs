//! Mutations for refresh tests: pushes and deletes in chosen repositories, each
//! producing a new dataset generation.

use serde::{Deserialize, Serialize};

use super::generate::Builder;
use super::model::Dataset;
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
}

impl Builder {
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
}
