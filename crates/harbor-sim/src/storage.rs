//! Project storage as Harbor's quota counts it: every blob once per project.
//!
//! Images of one repository are built on the same base, so they share a base layer. An
//! artifact's `size` counts all its layers, so the sum of artifact sizes counts a shared
//! layer once per artifact, while the quota's `used` counts it once. The shared layer of
//! a repository is derived from the seed and the repository (no stored state), so the
//! figures follow the dataset through mutations too.

use crate::dataset::{ArtifactKind, Dataset, Project};
use crate::rng::mix;

/// One MiB.
const MIB: u64 = 1_048_576;
/// One GiB.
const GIB: u64 = 1_024 * MIB;

/// The quota figures of one project, in bytes; `hard` is -1 for "no limit".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// `quota.hard.storage`.
    pub hard: i64,
    /// `quota.used.storage`.
    pub used: u64,
}

impl Dataset {
    /// The base layer the layered artifacts (images, models) of repository `repo` share.
    pub fn shared_layer(&self, repo: u32) -> u64 {
        (16 + mix(self.seed, u64::from(repo) ^ 0x1A7E) % 48) * MIB
    }

    /// The project's storage as its quota counts it: every artifact (index children
    /// and accessories included), with each repository's shared base layer once.
    pub fn quota_used(&self, project: &Project) -> u64 {
        let mut used = 0u64;
        for r in &project.repos {
            let repo = &self.repositories[*r as usize];
            let layer = self.shared_layer(*r);
            let mut sharing = 0u64;
            for i in &repo.artifacts {
                let a = &self.artifacts[*i as usize];
                used += a.size;
                used += self
                    .own_accessories(a)
                    .into_iter()
                    .map(|k| self.accessory_size(a, k))
                    .sum::<u64>();
                let layered = matches!(a.kind, ArtifactKind::Image | ArtifactKind::Model);
                if layered && a.size > layer {
                    sharing += 1;
                }
            }
            used -= sharing.saturating_sub(1) * layer;
        }
        used
    }

    /// The sum of the sizes of the project's listed artifacts: what adding up a
    /// client's rows gives (each shared layer once per artifact).
    pub fn listed_size_sum(&self, project: &Project) -> u64 {
        project
            .repos
            .iter()
            .flat_map(|r| self.listed_artifacts(&self.repositories[*r as usize]))
            .map(|a| a.size)
            .sum()
    }

    /// The quota of a project: a third of the projects have a limit (twice their use,
    /// rounded up to whole GiB), the rest none (Harbor's default, -1).
    pub fn quota(&self, project: &Project) -> Quota {
        let used = self.quota_used(project);
        let hard = if project.id % 3 == 0 {
            i64::try_from((used * 2).div_ceil(GIB).max(1) * GIB).unwrap_or(i64::MAX)
        } else {
            -1
        };
        Quota { hard, used }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Dataset, Preset};

    #[test]
    fn shared_layers_make_used_differ_from_the_size_sum() {
        let ds = Dataset::generate(Preset::Small, 3, false, None);
        let mut smaller = 0;
        for p in &ds.projects {
            let q = ds.quota(p);
            if q.used < ds.listed_size_sum(p) {
                smaller += 1;
            }
            assert!(q.hard == -1 || q.hard as u64 >= q.used, "{}", p.name);
        }
        assert!(smaller > 0, "shared layers show in some project");
        assert_eq!(ds.quota(&ds.projects[0]), ds.quota(&ds.projects[0]));
    }
}
