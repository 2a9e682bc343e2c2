//! The `xlarge` preset (1,000,000 artifacts) and what keeps it servable: the listing
//! order of every repository and project, computed once per dataset, so a plain page
//! request renders its page without gathering and sorting the whole repository; and a
//! summarised ground truth (a million truth rows would be a response of hundreds of MB).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Serialize;

use super::model::{Artifact, Dataset, Preset};
use crate::auth::Principal;

/// (projects, repositories, top-level artifacts, CVE pool) of the xlarge preset: ten
/// times Large's artifacts, in about eight times its repositories.
pub(super) const XLARGE_SIZES: (usize, usize, usize, usize) = (300, 45_000, 1_000_000, 3_000);

/// Listed artifacts (children of indexes excluded) in Harbor's default list order,
/// newest push first and then highest id, per repository and per project.
#[derive(Debug, Default)]
pub struct ListedOrder {
    by_repo: Vec<Box<[u32]>>,
    by_project: Vec<Box<[u32]>>,
}

impl ListedOrder {
    fn compute(ds: &Dataset) -> ListedOrder {
        let key = |i: &u32| {
            let a = &ds.artifacts[*i as usize];
            std::cmp::Reverse((a.push_time, a.id))
        };
        let by_repo: Vec<Box<[u32]>> = ds
            .repositories
            .iter()
            .map(|r| {
                let mut listed: Vec<u32> = ds.listed_indices(r).collect();
                listed.sort_unstable_by_key(key);
                listed.into_boxed_slice()
            })
            .collect();
        let by_project = ds
            .projects
            .iter()
            .map(|p| {
                let mut listed: Vec<u32> = p
                    .repos
                    .iter()
                    .flat_map(|r| by_repo[*r as usize].iter().copied())
                    .collect();
                listed.sort_unstable_by_key(key);
                listed.into_boxed_slice()
            })
            .collect();
        ListedOrder {
            by_repo,
            by_project,
        }
    }

    /// A repository's listed artifacts (indices into [`Dataset::artifacts`]), in order.
    pub fn repository(&self, repo: u32) -> &[u32] {
        self.by_repo.get(repo as usize).map_or(&[], |v| v)
    }

    /// A project's listed artifacts (indices into [`Dataset::artifacts`]), in order.
    pub fn project(&self, project: u32) -> &[u32] {
        self.by_project.get(project as usize).map_or(&[], |v| v)
    }
}

/// The lazily computed [`ListedOrder`] of one dataset. A clone starts empty: a mutated
/// copy of a dataset must not keep the order of the one it came from.
#[derive(Debug, Default)]
pub struct OrderCache(OnceLock<ListedOrder>);

impl Clone for OrderCache {
    fn clone(&self) -> Self {
        OrderCache::default()
    }
}

impl Dataset {
    /// The listing order of this dataset, computed on first use (under a second for
    /// xlarge; about 8 MB of indices there).
    pub fn listed_order(&self) -> &ListedOrder {
        self.listed_order
            .0
            .get_or_init(|| ListedOrder::compute(self))
    }

    /// Whether `/_sim/truth` answers with a [`TruthSummary`] rather than every row.
    pub fn truth_is_summarised(&self) -> bool {
        self.preset == Preset::Xlarge
    }

    /// Counts of what the principal can list, for presets too big for row-level truth.
    pub fn truth_summary(&self, p: &Principal) -> TruthSummary {
        let order = self.listed_order();
        let mut projects = BTreeMap::new();
        let mut artifacts = 0;
        let mut repositories = 0;
        let mut tags = 0;
        let mut scanned = 0;
        for project in self.visible_projects(p) {
            let listed = order.project(project.id as u32 - 1);
            artifacts += listed.len();
            repositories += project.repos.len();
            for a in listed.iter().map(|i| &self.artifacts[*i as usize]) {
                tags += a.tags.len();
                scanned += usize::from(a.scan.state != super::ScanState::NotScanned);
            }
            projects.insert(project.name.clone(), listed.len());
        }
        TruthSummary {
            summarised: true,
            why: "the xlarge preset's rows would make a response of hundreds of MB; \
                  these are counts of what the principal can list",
            artifacts,
            repositories,
            tags,
            scanned,
            projects,
        }
    }

    /// The listed artifacts of page `page` (1-based) of `page_size` of a repository, in
    /// list order, and the repository's total: what a plain list request answers.
    pub fn repository_page(&self, repo: u32, page: usize, page_size: usize) -> (&[u32], usize) {
        let all = self.listed_order().repository(repo);
        let start = page
            .saturating_sub(1)
            .saturating_mul(page_size)
            .min(all.len());
        let end = start.saturating_add(page_size).min(all.len());
        (&all[start..end], all.len())
    }

    /// The artifact at an index of [`Dataset::artifacts`].
    pub fn artifact_at(&self, index: u32) -> &Artifact {
        &self.artifacts[index as usize]
    }
}

/// `/_sim/truth` for a summarised preset: counts instead of rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TruthSummary {
    /// Always true: tells a reader expecting rows that these are counts.
    pub summarised: bool,
    /// Why there are no rows.
    pub why: &'static str,
    /// Listed artifacts the principal can see.
    pub artifacts: usize,
    /// Repositories in the projects the principal can see.
    pub repositories: usize,
    /// Tags on those artifacts.
    pub tags: usize,
    /// Those artifacts with a scan (any state but not scanned).
    pub scanned: usize,
    /// Listed artifacts per visible project.
    pub projects: BTreeMap<String, usize>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Shape;

    /// A small dataset with xlarge's proportions, so the order logic is tested in
    /// milliseconds (the full preset is exercised by the integration test and bench).
    fn scaled() -> Dataset {
        let shape = Shape {
            projects: 30,
            repositories: 450,
            artifacts: 10_000,
            ..Preset::Xlarge.shape()
        };
        Dataset::generate(Preset::Xlarge, 42, false, Some(shape))
    }

    #[test]
    fn xlarge_shape_is_a_million() {
        let s = Preset::Xlarge.shape();
        assert_eq!(s.artifacts, 1_000_000);
        assert_eq!("xlarge".parse::<Preset>(), Ok(Preset::Xlarge));
        assert_eq!("XLarge".parse::<Preset>(), Ok(Preset::Xlarge));
    }

    #[test]
    fn order_is_newest_first_and_complete() {
        let ds = scaled();
        let order = ds.listed_order();
        let mut total = 0;
        for (i, r) in ds.repositories.iter().enumerate() {
            let listed = order.repository(i as u32);
            assert_eq!(listed.len(), r.top_level as usize, "{}", r.name);
            total += listed.len();
            for w in listed.windows(2) {
                let (a, b) = (ds.artifact_at(w[0]), ds.artifact_at(w[1]));
                assert!((a.push_time, a.id) > (b.push_time, b.id));
                assert!(a.parent.is_none() && b.parent.is_none());
            }
        }
        assert_eq!(total, ds.artifact_count());
        let by_project: usize = (0..ds.projects.len() as u32)
            .map(|p| order.project(p).len())
            .sum();
        assert_eq!(by_project, total);
    }

    #[test]
    fn pages_cover_a_repository_once() {
        let ds = scaled();
        let (big, r) = ds
            .repositories
            .iter()
            .enumerate()
            .max_by_key(|(_, r)| r.top_level)
            .expect("repositories");
        let mut seen = Vec::new();
        for page in 1.. {
            let (items, total) = ds.repository_page(big as u32, page, 100);
            assert_eq!(total, r.top_level as usize);
            if items.is_empty() {
                break;
            }
            seen.extend_from_slice(items);
        }
        let n = seen.len();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(
            (n, seen.len()),
            (r.top_level as usize, r.top_level as usize)
        );
        assert_eq!(ds.repository_page(big as u32, 0, 100).0.len(), 100.min(n));
    }

    #[test]
    fn a_clone_recomputes_its_order() {
        let ds = scaled();
        let first = ds.listed_order().repository(0).to_vec();
        let copy = ds.clone();
        assert!(copy.listed_order.0.get().is_none());
        assert_eq!(copy.listed_order().repository(0), &first[..]);
    }

    #[test]
    fn summary_counts_what_is_visible() {
        let ds = scaled();
        let admin = ds.principal_by_name("admin").expect("admin");
        let s = ds.truth_summary(&admin);
        assert_eq!(s.artifacts, ds.artifact_count());
        assert_eq!(s.repositories, ds.repositories.len());
        let anon = ds.truth_summary(&Principal::Anonymous);
        assert_eq!(anon.artifacts, ds.truth(&Principal::Anonymous).len());
        assert!(anon.artifacts < s.artifacts);
    }
}
