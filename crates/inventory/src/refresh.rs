//! Incremental refresh: which repositories to crawl again, and how to fold the new rows
//! into the cached inventory.
//!
//! Harbor bumps a repository's `update_time` and `artifact_count` when artifacts are
//! pushed or deleted, so listing repositories (cheap, paged) tells which ones need their
//! artifacts listed again (expensive). Everything here is pure: the app lists, calls
//! [`plan`], crawls [`RefreshPlan::recrawl`] and calls [`merge`].

use std::collections::{BTreeMap, HashSet};

use harbor_client::model::Repository;
use harbor_client::slim::ArtifactRow;
use serde::{Deserialize, Serialize};

use crate::format::thousands;

/// What the cache remembers of a repository to tell whether it changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoStamp {
    /// Full repository name, with the project (`library/nginx`).
    pub name: String,
    /// `artifact_count` as Harbor listed it (`None` when it left it out).
    pub artifact_count: Option<u64>,
    /// `update_time` exactly as Harbor sent it; compared as text, never parsed, so a
    /// format quirk cannot hide a change.
    pub update_time: String,
}

impl From<&Repository> for RepoStamp {
    fn from(r: &Repository) -> Self {
        RepoStamp {
            name: r.name.clone(),
            artifact_count: r.artifact_count,
            update_time: r.update_time.clone(),
        }
    }
}

/// The outcome of comparing the cached repository list with a fresh one. Every list is
/// sorted by name and free of duplicates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefreshPlan {
    /// In both lists, with a different `update_time` or `artifact_count`.
    pub changed: Vec<String>,
    /// Only in the fresh list.
    pub added: Vec<String>,
    /// Only in the cached list (deleted since): their rows are dropped.
    pub dropped: Vec<String>,
    /// In both lists with the same stamp: their cached rows are kept.
    pub unchanged: Vec<String>,
}

impl RefreshPlan {
    /// Repositories whose artifacts must be listed again: changed, then added.
    pub fn recrawl(&self) -> impl Iterator<Item = &str> {
        self.changed.iter().chain(&self.added).map(String::as_str)
    }

    /// Number of repositories that changed in any way (changed, added or dropped).
    pub fn changed_count(&self) -> usize {
        self.changed.len() + self.added.len() + self.dropped.len()
    }

    /// The banner text, e.g. `12 repositories changed, 1,188 unchanged`.
    ///
    /// ```
    /// let plan = inventory::refresh::RefreshPlan {
    ///     changed: vec!["p/a".into()],
    ///     ..Default::default()
    /// };
    /// assert_eq!(plan.summary(), "1 repository changed, 0 unchanged");
    /// ```
    pub fn summary(&self) -> String {
        let n = self.changed_count();
        let noun = if n == 1 { "repository" } else { "repositories" };
        format!(
            "{} {noun} changed, {} unchanged",
            thousands(n as u64),
            thousands(self.unchanged.len() as u64)
        )
    }
}

/// Compares the cached repository list with the freshly listed one. A name listed twice
/// (Harbor paging while repositories are created) counts once, last entry winning.
pub fn plan(cached: &[RepoStamp], fresh: &[RepoStamp]) -> RefreshPlan {
    let old: BTreeMap<&str, &RepoStamp> = cached.iter().map(|r| (r.name.as_str(), r)).collect();
    let new: BTreeMap<&str, &RepoStamp> = fresh.iter().map(|r| (r.name.as_str(), r)).collect();
    let mut out = RefreshPlan::default();
    for (name, stamp) in &new {
        match old.get(name) {
            None => out.added.push((*name).to_owned()),
            Some(before) if before == stamp => out.unchanged.push((*name).to_owned()),
            Some(_) => out.changed.push((*name).to_owned()),
        }
    }
    out.dropped = old
        .keys()
        .filter(|name| !new.contains_key(*name))
        .map(|name| (*name).to_owned())
        .collect();
    out
}

/// The refreshed inventory: cached rows of repositories neither re-crawled nor dropped,
/// in their cached order, followed by `recrawled` (the new rows of the re-crawled
/// repositories). Rows of `recrawled` outside the plan's re-crawl set are ignored, so a
/// crawl that strayed cannot duplicate kept rows.
pub fn merge(
    cached: Vec<ArtifactRow>,
    plan: &RefreshPlan,
    recrawled: Vec<ArtifactRow>,
) -> Vec<ArtifactRow> {
    let replaced: HashSet<&str> = plan
        .recrawl()
        .chain(plan.dropped.iter().map(String::as_str))
        .collect();
    let fresh: HashSet<&str> = plan.recrawl().collect();
    let mut out: Vec<ArtifactRow> = cached
        .into_iter()
        .filter(|r| !replaced.contains(&*r.repository))
        .collect();
    out.extend(
        recrawled
            .into_iter()
            .filter(|r| fresh.contains(&*r.repository)),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{row, RowSpec};

    fn stamp(name: &str, count: Option<u64>, time: &str) -> RepoStamp {
        RepoStamp {
            name: name.into(),
            artifact_count: count,
            update_time: time.into(),
        }
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn plan_table() {
        let t1 = "2026-01-01T00:00:00.000Z";
        let t2 = "2026-01-02T00:00:00.000Z";
        let cached = [
            stamp("p/same", Some(3), t1),
            stamp("p/time", Some(3), t1),
            stamp("p/count", Some(3), t1),
            stamp("p/gone", Some(1), t1),
            stamp("p/nocount", None, t1),
        ];
        let fresh = [
            stamp("p/new", Some(2), t2),
            stamp("p/count", Some(4), t1),
            stamp("p/time", Some(3), t2),
            stamp("p/same", Some(3), t1),
            stamp("p/nocount", Some(0), t1),
            stamp("p/new", Some(2), t2),
        ];
        let p = plan(&cached, &fresh);
        assert_eq!(p.changed, names(&["p/count", "p/nocount", "p/time"]));
        assert_eq!(p.added, names(&["p/new"]));
        assert_eq!(p.dropped, names(&["p/gone"]));
        assert_eq!(p.unchanged, names(&["p/same"]));
        assert_eq!(
            p.recrawl().collect::<Vec<_>>(),
            ["p/count", "p/nocount", "p/time", "p/new"]
        );
        assert_eq!(p.summary(), "5 repositories changed, 1 unchanged");
    }

    #[test]
    fn plan_edges() {
        assert_eq!(plan(&[], &[]), RefreshPlan::default());
        let a = [stamp("p/a", Some(1), "t")];
        assert_eq!(plan(&[], &a).added, names(&["p/a"]));
        assert_eq!(plan(&a, &[]).dropped, names(&["p/a"]));
        assert_eq!(plan(&a, &a).unchanged, names(&["p/a"]));
        assert_eq!(
            plan(&a, &a).summary(),
            "0 repositories changed, 1 unchanged"
        );
    }

    #[test]
    fn summary_uses_thousands() {
        let p = RefreshPlan {
            changed: (0..12).map(|i| format!("p/c{i}")).collect(),
            unchanged: (0..1188).map(|i| format!("p/u{i}")).collect(),
            ..Default::default()
        };
        assert_eq!(p.summary(), "12 repositories changed, 1,188 unchanged");
    }

    #[test]
    fn merge_replaces_only_planned_repositories() {
        let r = |repo: &str, d: &str| row(&RowSpec::new("p", repo).digest(d));
        let cached = vec![
            r("p/keep", "sha256:1"),
            r("p/change", "sha256:2"),
            r("p/gone", "sha256:3"),
            r("p/keep", "sha256:4"),
            r("p/change", "sha256:5"),
        ];
        let plan = RefreshPlan {
            changed: names(&["p/change"]),
            added: names(&["p/new"]),
            dropped: names(&["p/gone"]),
            unchanged: names(&["p/keep"]),
        };
        let recrawled = vec![
            r("p/change", "sha256:6"),
            r("p/new", "sha256:7"),
            r("p/keep", "sha256:8"),
        ];
        let merged = merge(cached, &plan, recrawled);
        let keys: Vec<(&str, &str)> = merged.iter().map(ArtifactRow::key).collect();
        assert_eq!(
            keys,
            [
                ("p/keep", "sha256:1"),
                ("p/keep", "sha256:4"),
                ("p/change", "sha256:6"),
                ("p/new", "sha256:7"),
            ]
        );
    }

    #[test]
    fn stamp_from_repository() {
        let repo = Repository {
            name: "lib/nginx".into(),
            artifact_count: Some(7),
            update_time: "2026-01-01T00:00:00.000Z".into(),
            ..Default::default()
        };
        assert_eq!(
            RepoStamp::from(&repo),
            stamp("lib/nginx", Some(7), "2026-01-01T00:00:00.000Z")
        );
    }
}
