//! Incremental refresh: which repositories to crawl again, and how to fold the new rows
//! into the cached inventory.
//!
//! Harbor moves a repository's `update_time` on a push (and, from 2.15.2, on every
//! delete and tag change) and its `artifact_count` on a push or delete, so repository
//! stamps tell which repositories need their artifacts listed again (expensive). The
//! planner gathers the fresh stamps (every repository's before 2.15.2; from 2.15.2 the
//! changed ones plus the unchanged ones it vouches for, see
//! [`harbor_client::crawl::RefreshMethod`]). Everything here is pure: the app lists,
//! calls [`plan`], crawls [`RefreshPlan::recrawl`] and calls [`merge`]. Pulls change no
//! stamp: refreshed pull times may be stale.

use std::cmp::Ordering;
use std::collections::HashSet;

use harbor_client::crawl::{LedgerEntry, RequestKind};
use harbor_client::slim::{ArtifactRow, Digest};

use crate::format::thousands;

pub use harbor_client::crawl::RepoStamp;

/// What a refresh (or a crawl) could not confirm, read from its failures: rows it
/// would otherwise drop are kept, and stamps it would otherwise trust are not saved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unconfirmed {
    /// A page of the project or repository lists failed: a repository missing from
    /// the fresh list may still exist.
    pub listing: bool,
    /// Repositories whose artifacts were not all listed.
    pub repositories: HashSet<String>,
    /// Projects whose artifacts or repositories were not all listed.
    pub projects: HashSet<String>,
}

impl Unconfirmed {
    /// Reads the failed requests of a ledger.
    pub fn from_ledger<'a>(entries: impl IntoIterator<Item = &'a LedgerEntry>) -> Unconfirmed {
        let mut out = Unconfirmed::default();
        for entry in entries {
            match &entry.kind {
                RequestKind::Projects { .. } | RequestKind::AllRepositories { .. } => {
                    out.listing = true
                }
                RequestKind::Repositories { project, .. } => {
                    out.listing = true;
                    out.projects.insert(project.to_string());
                }
                RequestKind::ProjectArtifacts { project, .. } => {
                    out.projects.insert(project.to_string());
                }
                RequestKind::Artifacts { repository, .. } => {
                    out.repositories.insert(repository.to_string());
                }
                RequestKind::ChangedRepositories { project, .. } => {
                    out.listing = true;
                    out.projects.extend(project.iter().map(|p| p.to_string()));
                }
                RequestKind::ChangedArtifacts { repositories, .. } => {
                    out.repositories
                        .extend(repositories.iter().map(|r| r.to_string()));
                }
                RequestKind::SystemInfo
                | RequestKind::CurrentUser
                | RequestKind::Vulnerabilities { .. } => {}
            }
        }
        out
    }

    /// Nothing to doubt.
    pub fn is_empty(&self) -> bool {
        *self == Unconfirmed::default()
    }

    /// Whether the artifacts of `repository` may not all have been listed.
    pub fn doubts(&self, repository: &str) -> bool {
        self.repositories.contains(repository)
            || repository
                .split_once('/')
                .is_some_and(|(project, _)| self.projects.contains(project))
    }
}

/// The stamps worth saving after a crawl or refresh: `fresh` without the repositories
/// whose listing failed (the next refresh lists them again), and, when the repository
/// list itself was incomplete, the `cached` stamps of repositories it did not show
/// (their rows were kept, see [`merge`]).
pub fn stamps_to_keep(
    cached: &[RepoStamp],
    fresh: Vec<RepoStamp>,
    unconfirmed: &Unconfirmed,
) -> Vec<RepoStamp> {
    // Tens of thousands of stamps after a large crawl: each step here is one pass.
    let doubtful = !unconfirmed.repositories.is_empty() || !unconfirmed.projects.is_empty();
    let mut out: Vec<RepoStamp> = if doubtful {
        fresh
            .into_iter()
            .filter(|s| !unconfirmed.doubts(&s.name))
            .collect()
    } else {
        fresh
    };
    if unconfirmed.listing {
        let listed: HashSet<&str> = out.iter().map(|s| s.name.as_str()).collect();
        let kept: Vec<RepoStamp> = cached
            .iter()
            .filter(|s| !listed.contains(s.name.as_str()) && !unconfirmed.doubts(&s.name))
            .cloned()
            .collect();
        out.extend(kept);
    }
    harbor_client::order::sort_by(&mut out, |a, b| a.name.cmp(&b.name));
    out.dedup_by(|a, b| a.name == b.name);
    out
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
    let (old, new) = (by_name(cached), by_name(fresh));
    let mut out = RefreshPlan::default();
    // One walk through both lists, in name order.
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        let order = match (old.get(i), new.get(j)) {
            (Some(before), Some(now)) => before.name.cmp(&now.name),
            (Some(_), None) => Ordering::Less,
            (None, _) => Ordering::Greater,
        };
        match order {
            Ordering::Less => {
                out.dropped.push(old[i].name.clone());
                i += 1;
            }
            Ordering::Greater => {
                out.added.push(new[j].name.clone());
                j += 1;
            }
            Ordering::Equal => {
                let list = if old[i] == new[j] {
                    &mut out.unchanged
                } else {
                    &mut out.changed
                };
                list.push(new[j].name.clone());
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// The stamps sorted by name, a name listed twice kept once: its last entry. (Sorted
/// with the crate's one compact sort: a `BTreeMap` built from an iterator costs the
/// wasm a copy of the standard sort for each place that builds one.)
fn by_name(stamps: &[RepoStamp]) -> Vec<&RepoStamp> {
    let mut sorted: Vec<&RepoStamp> = stamps.iter().collect();
    // Stable: of equal names, the one listed last stays last.
    harbor_client::order::sort_by(&mut sorted, |a, b| a.name.cmp(&b.name));
    let mut out: Vec<&RepoStamp> = Vec::with_capacity(sorted.len());
    for stamp in sorted {
        match out.last_mut() {
            Some(last) if last.name == stamp.name => *last = stamp,
            _ => out.push(stamp),
        }
    }
    out
}

/// The refreshed inventory: cached rows of repositories neither re-crawled nor dropped,
/// in their cached order, followed by `recrawled` (the new rows of the re-crawled
/// repositories). Rows of `recrawled` outside the plan's re-crawl set are ignored, so a
/// crawl that strayed cannot duplicate kept rows.
///
/// Nothing is dropped on a doubt: a repository missing from an incomplete list keeps
/// its rows, and a re-crawled repository whose listing failed keeps the cached rows
/// the new listing did not bring (they may be gone, or on the page that failed).
pub fn merge(
    cached: Vec<ArtifactRow>,
    plan: &RefreshPlan,
    recrawled: Vec<ArtifactRow>,
    unconfirmed: &Unconfirmed,
) -> Vec<ArtifactRow> {
    let fresh: HashSet<&str> = plan.recrawl().collect();
    let recrawled: Vec<ArtifactRow> = recrawled
        .into_iter()
        .filter(|r| fresh.contains(&*r.repository))
        .collect();
    let seen: HashSet<(&str, &Digest)> = recrawled.iter().map(ArtifactRow::key).collect();
    let replaced: HashSet<&str> = plan
        .recrawl()
        .filter(|r| !unconfirmed.doubts(r))
        .chain(
            plan.dropped
                .iter()
                .map(String::as_str)
                .filter(|r| !unconfirmed.listing && !unconfirmed.doubts(r)),
        )
        .collect();
    let mut out: Vec<ArtifactRow> = cached
        .into_iter()
        .filter(|r| !replaced.contains(&*r.repository) && !seen.contains(&r.key()))
        .collect();
    out.extend(recrawled);
    out
}

/// A finished refresh, ready to be shown: the rows, the stamps to keep with them, and
/// what changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Refreshed {
    /// How the repositories compared.
    pub plan: RefreshPlan,
    /// What failed, so nothing it touched was dropped.
    pub unconfirmed: Unconfirmed,
    /// The refreshed inventory (see [`merge`]).
    pub rows: Vec<ArtifactRow>,
    /// The stamps to compare against next time (see [`stamps_to_keep`]).
    pub stamps: Vec<RepoStamp>,
    /// Rows of the repositories listed again or dropped, as they were...
    pub before: Vec<ArtifactRow>,
    /// ... and as they are.
    pub after: Vec<ArtifactRow>,
}

impl Refreshed {
    /// The line the page shows, e.g. `Refreshed: 12 repositories changed, 1,188
    /// unchanged.`, with a word on failures when there were some.
    pub fn summary(&self) -> String {
        let doubt = if self.unconfirmed.is_empty() {
            ""
        } else {
            "; some listings failed, so rows they would have changed are kept as cached"
        };
        format!("Refreshed: {}{doubt}.", self.plan.summary())
    }
}

/// Folds a refresh into the inventory it refreshed: `cached` rows with their `known`
/// stamps, the `fresh` stamps and `recrawled` rows the refresh listed, and the
/// requests that `failed` for good.
pub fn apply(
    cached: Vec<ArtifactRow>,
    known: &[RepoStamp],
    fresh: Vec<RepoStamp>,
    recrawled: Vec<ArtifactRow>,
    failed: &[LedgerEntry],
) -> Refreshed {
    let unconfirmed = Unconfirmed::from_ledger(failed);
    let plan = plan(known, &fresh);
    let touched: HashSet<&str> = plan
        .recrawl()
        .chain(plan.dropped.iter().map(String::as_str))
        .collect();
    let of_touched = |rows: &[ArtifactRow]| -> Vec<ArtifactRow> {
        rows.iter()
            .filter(|r| touched.contains(&*r.repository))
            .cloned()
            .collect()
    };
    let before = of_touched(&cached);
    let rows = merge(cached, &plan, recrawled, &unconfirmed);
    let after = of_touched(&rows);
    drop(touched);
    let stamps = stamps_to_keep(known, fresh, &unconfirmed);
    Refreshed {
        plan,
        unconfirmed,
        rows,
        stamps,
        before,
        after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{row, RowSpec};

    /// `repository digest` of each row, in order.
    fn keys_of(rows: &[ArtifactRow]) -> Vec<String> {
        rows.iter()
            .map(|r| format!("{} {}", r.repository, r.digest))
            .collect()
    }

    fn stamp(name: &str, count: Option<u64>, time: &str) -> RepoStamp {
        RepoStamp {
            name: name.into(),
            artifact_count: count,
            update_time: time.into(),
        }
    }

    /// A row of repository `repo` with digest `d`.
    fn r(repo: &str, d: &str) -> ArtifactRow {
        row(&RowSpec::new("p", repo).digest(d))
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
        // A name listed twice counts once, as its last entry says.
        let twice = [stamp("p/a", Some(2), "u"), stamp("p/a", Some(1), "t")];
        assert_eq!(plan(&a, &twice).unchanged, names(&["p/a"]));
        assert_eq!(plan(&twice, &a).unchanged, names(&["p/a"]));
        let (first, last) = (&twice[..1], [twice[1].clone(), twice[0].clone()]);
        assert_eq!(plan(first, &last).unchanged, names(&["p/a"]));
        assert_eq!(plan(&a, &last).changed, names(&["p/a"]));
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
        let merged = merge(cached, &plan, recrawled, &Unconfirmed::default());
        let keys = keys_of(&merged);
        assert_eq!(
            keys,
            [
                "p/keep sha256:1",
                "p/keep sha256:4",
                "p/change sha256:6",
                "p/new sha256:7",
            ]
        );
    }

    #[test]
    fn merge_keeps_what_a_failure_leaves_in_doubt() {
        let cached = vec![
            r("p/change", "sha256:1"),
            r("p/change", "sha256:2"),
            r("p/gone", "sha256:3"),
            r("q/other", "sha256:4"),
        ];
        let plan = RefreshPlan {
            changed: names(&["p/change", "q/other"]),
            dropped: names(&["p/gone"]),
            ..Default::default()
        };
        let recrawled = vec![r("p/change", "sha256:2"), r("p/change", "sha256:9")];
        // p/change's second page failed; the repository list too; q's project listing failed.
        let unconfirmed = Unconfirmed {
            listing: true,
            repositories: ["p/change".to_owned()].into(),
            projects: ["q".to_owned()].into(),
        };
        let merged = merge(cached, &plan, recrawled, &unconfirmed);
        let keys = keys_of(&merged);
        assert_eq!(
            keys,
            [
                "p/change sha256:1",
                "p/gone sha256:3",
                "q/other sha256:4",
                "p/change sha256:2",
                "p/change sha256:9",
            ]
        );
    }

    #[test]
    fn unconfirmed_from_a_ledger_and_the_stamps_kept() {
        use harbor_client::crawl::{Failure, RequestScope};
        let entry = |kind: RequestKind| LedgerEntry {
            method: "GET".into(),
            url: "/x".into(),
            scope: RequestScope::default(),
            kind,
            failure: Failure::Http {
                status: 500,
                harbor: None,
                body_note: None,
            },
            request_id: None,
            attempts: 1,
            elapsed_ms: 0,
            missing_artifacts: None,
            listing: None,
        };
        let entries = [
            entry(RequestKind::Artifacts {
                project: "p".into(),
                repository: "p/a".into(),
                page: 2,
            }),
            entry(RequestKind::ProjectArtifacts {
                project: "q".into(),
                page: 1,
            }),
            entry(RequestKind::SystemInfo),
        ];
        let u = Unconfirmed::from_ledger(&entries);
        assert!(!u.listing && u.doubts("p/a") && u.doubts("q/x/y") && !u.doubts("p/b"));
        let fresh = vec![stamp("p/a", Some(1), "t"), stamp("p/b", Some(1), "t")];
        let cached = vec![stamp("r/old", Some(1), "t")];
        let kept = stamps_to_keep(&cached, fresh.clone(), &u);
        assert_eq!(kept, vec![stamp("p/b", Some(1), "t")]);
        let listing = Unconfirmed::from_ledger(&[entry(RequestKind::AllRepositories { page: 3 })]);
        assert!(listing.listing);
        let kept = stamps_to_keep(&cached, fresh.clone(), &listing);
        let names: Vec<&str> = kept.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["p/a", "p/b", "r/old"]);
        // A doubted repository's cached stamp is not kept in place of the fresh one.
        let both = Unconfirmed {
            listing: true,
            ..u.clone()
        };
        let cached = [stamp("p/a", Some(0), "t0"), stamp("r/old", Some(1), "t")];
        let kept = stamps_to_keep(&cached, fresh, &both);
        let names: Vec<&str> = kept.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["p/b", "r/old"]);
        assert!(Unconfirmed::default().is_empty());
    }

    #[test]
    fn apply_folds_a_refresh_in() {
        let known = vec![stamp("p/a", Some(1), "t1"), stamp("p/b", Some(1), "t1")];
        let fresh = vec![stamp("p/a", Some(1), "t1"), stamp("p/b", Some(2), "t2")];
        let cached = vec![r("p/a", "sha256:1"), r("p/b", "sha256:2")];
        let recrawled = vec![r("p/b", "sha256:2"), r("p/b", "sha256:3")];
        let done = apply(cached, &known, fresh.clone(), recrawled, &[]);
        assert_eq!(
            done.summary(),
            "Refreshed: 1 repository changed, 1 unchanged."
        );
        let keys = keys_of(&done.rows);
        assert_eq!(keys, ["p/a sha256:1", "p/b sha256:2", "p/b sha256:3"]);
        assert_eq!(done.before.len(), 1);
        assert_eq!(done.after.len(), 2);
        assert_eq!(done.stamps, fresh);
    }

    #[test]
    fn stamp_from_repository() {
        let repo = harbor_client::model::Repository {
            name: "lib/nginx".into(),
            artifact_count: Some(7),
            update_time: "2026-01-01T00:00:00.000Z".into(),
        };
        assert_eq!(
            RepoStamp::from(&repo),
            stamp("lib/nginx", Some(7), "2026-01-01T00:00:00.000Z")
        );
    }
}
