//! A refresh that knows the Harbor release.
//!
//! Before Harbor 2.15.2 a repository's `update_time` moves only on a push, so nothing
//! but the full repository list reveals a delete: every repository's stamp is compared
//! ([`RefreshMethod::EveryRepository`], the planner's listing of all repositories).
//! From 2.15.2 (goharbor/harbor#23225) it moves on every artifact create and delete and
//! every tag create, delete and retag, so a refresh asks only for the repositories whose
//! `update_time` moved since the newest stamp it holds
//! (`q=update_time=[since~]`), compares each project's `repo_count` from the project
//! listing with the repositories it knew plus the new ones to find deletes, re-lists the
//! repositories of a project only when that count disagrees, and lists artifacts only in
//! repositories that changed ([`RefreshMethod::ChangedSince`]).
//!
//! A pull moves an artifact's `pull_time` and a repository's `pull_count`, never its
//! `update_time`: neither method sees pulls, so refreshed pull times may be stale.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use super::{Event, ListingKey, Planner, Principal, RepoStamp, RequestKind};
use crate::crawl::scope::Projects;
use crate::model::{Project, Repository};
use crate::time::parse_rfc3339;

/// The first release whose `update_time` records deletes and tag changes.
pub const FIRST_TRACKING_RELEASE: (u32, u32, u32) = (2, 15, 2);

/// How a refresh found what changed, and why that way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshMethod {
    /// Only repositories whose `update_time` moved since `since` were listed (Harbor
    /// 2.15.2 and later); project repository counts revealed deletes.
    ChangedSince {
        /// The release, as `2.16.0`.
        release: String,
        /// The lower end of the `update_time` range, `2025-06-01T00:00:00` (UTC).
        since: String,
        /// Projects whose repositories were listed again because their count did not
        /// add up (a repository was deleted, or appeared unseen).
        relisted_projects: u64,
    },
    /// Every repository's stamp was listed and compared.
    EveryRepository {
        /// Why the cheaper method could not be used.
        why: WhyEveryRepository,
    },
}

/// Why a refresh compared every repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WhyEveryRepository {
    /// A release before 2.15.2: deletes do not move `update_time`.
    OldRelease {
        /// The release, as `2.13.1`.
        release: String,
    },
    /// Harbor did not say its release (from 2.13 it tells only signed-in callers), or
    /// `/systeminfo` failed.
    UnknownRelease,
    /// No earlier stamp with a readable `update_time` to start from.
    NoBaseline,
    /// The scope names repositories: those few are compared directly.
    NamedRepositories,
    /// The list of changed repositories failed: the refresh fell back to comparing
    /// every stamp rather than miss a change (and start from a later time next time).
    ChangedListFailed,
    /// A robot account: Harbor's repository search (`/repositories`) shows robots only
    /// public projects, so their repositories are listed project by project.
    Robot,
}

impl RefreshMethod {
    /// One sentence for the page: which method ran and why, and that pull times may be
    /// stale.
    ///
    /// ```
    /// use harbor_client::crawl::{RefreshMethod, WhyEveryRepository};
    /// let old = RefreshMethod::EveryRepository {
    ///     why: WhyEveryRepository::OldRelease { release: "2.13.1".into() },
    /// };
    /// assert!(old.describe().starts_with(
    ///     "Harbor 2.13.1 does not record deletes in update_time: every repository was checked."
    /// ));
    /// ```
    pub fn describe(&self) -> String {
        let method = match self {
            RefreshMethod::ChangedSince {
                release,
                since,
                relisted_projects,
            } => {
                let relisted = match relisted_projects {
                    0 => String::new(),
                    1 => " (1 project was listed again: its repository count changed)".into(),
                    n => format!(
                        " ({n} projects were listed again: their repository counts changed)"
                    ),
                };
                format!(
                    "Harbor {release} records pushes, deletes and tag changes in update_time: \
                     only repositories changed since {since} UTC were checked, and project \
                     repository counts revealed deleted repositories{relisted}."
                )
            }
            RefreshMethod::EveryRepository { why } => match why {
                WhyEveryRepository::OldRelease { release } => format!(
                    "Harbor {release} does not record deletes in update_time: every repository \
                     was checked."
                ),
                WhyEveryRepository::UnknownRelease => "Harbor did not tell its version (from \
                     2.13 it tells only signed-in users): every repository was checked."
                    .into(),
                WhyEveryRepository::NoBaseline => {
                    "No earlier repository list to compare with: every repository was checked."
                        .into()
                }
                WhyEveryRepository::NamedRepositories => {
                    "Only the named repositories are in scope: each was checked.".into()
                }
                WhyEveryRepository::ChangedListFailed => "The list of changed repositories \
                     failed: every repository was checked instead."
                    .into(),
                WhyEveryRepository::Robot => "A robot account sees only public projects in \
                     Harbor's repository search: every repository was checked, project by \
                     project."
                    .into(),
            },
        };
        format!(
            "{method} Pull times may be stale: a pull does not move a repository's update_time."
        )
    }
}

/// `(major, minor, patch)` of a `harbor_version` such as `v2.15.2-9384ed0e`.
///
/// ```
/// use harbor_client::crawl::plan::release_of;
/// assert_eq!(release_of("v2.15.2-9384ed0e"), Some((2, 15, 2)));
/// assert_eq!(release_of("2.16"), Some((2, 16, 0)));
/// assert_eq!(release_of("dev"), None);
/// ```
pub fn release_of(harbor_version: &str) -> Option<(u32, u32, u32)> {
    let text = harbor_version.trim().trim_start_matches(['v', 'V']);
    let core = text.split(['-', '+']).next()?;
    let mut parts = core.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    let patch = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    Some((major, minor, patch))
}

/// The start of the `update_time` range: the newest stamp's time, cut to whole seconds
/// (Harbor's `q` reads `2006-01-02T15:04:05`, and the range includes its ends). Any
/// change after the stamps were taken has a later `update_time`. `None` when there is
/// no stamp or a time is not Harbor's UTC format.
pub fn since_of(known: &[RepoStamp]) -> Option<String> {
    let mut newest: Option<(i64, &str)> = None;
    for stamp in known {
        let text = stamp.update_time.as_str();
        let utc = text.ends_with('Z') && matches!(text.as_bytes().get(19), Some(b'.' | b'Z'));
        let millis = parse_rfc3339(text).filter(|_| utc)?;
        if newest.is_none_or(|(m, _)| millis > m) {
            newest = Some((millis, text));
        }
    }
    newest.map(|(_, text)| text[..19].to_owned())
}

/// The project of a full repository name.
fn project_of(name: &str) -> &str {
    name.split_once('/').map_or(name, |(p, _)| p)
}

/// What a refresh by `update_time` gathers before it can tell deletes.
#[derive(Debug, Default)]
pub(super) struct ChangedState {
    since: Arc<str>,
    release: String,
    /// Fresh stamps of the repositories whose `update_time` moved.
    changed: BTreeMap<String, RepoStamp>,
    /// `repo_count` of each project listed (in scope).
    projects: HashMap<Arc<str>, Option<u64>>,
    /// The listings to wait for before deciding.
    waiting: HashSet<ListingKey>,
    /// The project listing failed: deletes cannot be told, so every known stamp is kept.
    doubtful: bool,
    /// A list of changed repositories failed: fall back to comparing every stamp.
    changed_failed: bool,
    decided: bool,
    relisted: u64,
}

impl Planner {
    /// Once discovery is known: picks the refresh method and starts its listings.
    pub(super) fn start_refresh(&mut self) {
        let stamps: Vec<RepoStamp> = self
            .known
            .as_ref()
            .map(|k| k.values().cloned().collect())
            .unwrap_or_default();
        let release = self
            .discovery
            .harbor_version
            .as_deref()
            .and_then(release_of);
        let why = match (release, since_of(&stamps)) {
            _ if !self.scope.repositories.is_empty() => WhyEveryRepository::NamedRepositories,
            _ if self.discovery.principal == Principal::Robot => WhyEveryRepository::Robot,
            (None, _) => WhyEveryRepository::UnknownRelease,
            (Some((a, b, c)), _) if (a, b, c) < FIRST_TRACKING_RELEASE => {
                WhyEveryRepository::OldRelease {
                    release: format!("{a}.{b}.{c}"),
                }
            }
            (Some(_), None) => WhyEveryRepository::NoBaseline,
            (Some((a, b, c)), Some(since)) => {
                self.start_changed_since(format!("{a}.{b}.{c}"), since);
                return;
            }
        };
        self.refresh_method = Some(RefreshMethod::EveryRepository { why });
        self.start_listing();
    }

    fn start_changed_since(&mut self, release: String, since: String) {
        let since: Arc<str> = Arc::from(since);
        let mut state = ChangedState {
            since: since.clone(),
            release,
            ..ChangedState::default()
        };
        let projects: Vec<Option<Arc<str>>> = match &self.scope.projects {
            Projects::All => vec![None],
            Projects::Named(names) => names
                .iter()
                .map(|n| Some(self.interner.intern(n)))
                .collect(),
        };
        for project in projects {
            let kind = RequestKind::ChangedRepositories {
                project,
                since: since.clone(),
                page: 1,
            };
            if let Some((key, _)) = kind.listing() {
                state.waiting.insert(key.clone());
                self.first_page(key, 2);
            }
        }
        state.waiting.insert(ListingKey::Projects);
        self.listing_mut(ListingKey::Projects).pages_planned = 1;
        self.enqueue(RequestKind::Projects { page: 1 }, 2);
        self.changed = Some(state);
    }

    /// A page of the project listing, during a refresh by `update_time`.
    pub(super) fn take_refresh_projects(&mut self, projects: Vec<Project>) {
        let named = match &self.scope.projects {
            Projects::All => None,
            Projects::Named(names) => Some(names.clone()),
        };
        let interned: Vec<(Arc<str>, Option<u64>)> = projects
            .into_iter()
            .filter(|p| named.as_ref().is_none_or(|n| n.contains(&p.name)))
            .map(|p| (self.interner.intern(&p.name), p.repo_count))
            .collect();
        if let Some(state) = self.changed.as_mut() {
            state.projects.extend(interned);
        }
    }

    /// A page of repositories whose `update_time` moved: their stamps are fresh.
    pub(super) fn take_changed_repositories(&mut self, repositories: &[Repository]) {
        let stamps: Vec<RepoStamp> = repositories
            .iter()
            .filter(|r| !r.name.is_empty())
            .map(RepoStamp::from)
            .collect();
        if stamps.is_empty() {
            return;
        }
        if let Some(state) = self.changed.as_mut() {
            for s in &stamps {
                state.changed.insert(s.name.clone(), s.clone());
            }
        }
        self.events.push(Event::Repositories(stamps));
    }

    /// A listing page settled (answered or failed for good): once the changed
    /// repositories and the project counts are all in, decide what to list.
    pub(super) fn refresh_page_settled(&mut self, key: &ListingKey, answered: bool) {
        let Some(state) = self.changed.as_mut() else {
            return;
        };
        if state.decided || !state.waiting.contains(key) {
            return;
        }
        if let ListingKey::ChangedRepositories(..) = key {
            state.changed_failed |= !answered;
        } else {
            state.doubtful |= !answered;
        }
        let all_in = state
            .waiting
            .iter()
            .all(|k| self.listings.get(k).is_some_and(|l| l.pending.is_empty()));
        if all_in {
            self.decide_refresh();
        }
    }

    fn decide_refresh(&mut self) {
        let Some(known) = self.known.clone() else {
            return;
        };
        let Some(mut state) = self.changed.take() else {
            return;
        };
        state.decided = true;
        if state.changed_failed {
            // Today's method, now that no project page can start listings of its own.
            self.refresh_method = Some(RefreshMethod::EveryRepository {
                why: WhyEveryRepository::ChangedListFailed,
            });
            match self.scope.projects.clone() {
                Projects::All => self.first_page(ListingKey::AllRepositories, 3),
                Projects::Named(names) => {
                    for name in names {
                        let project = self.interner.intern(&name);
                        self.first_page(ListingKey::Repositories(project), 3);
                    }
                }
            }
            return;
        }
        let mut known_per_project: HashMap<&str, u64> = HashMap::new();
        for name in known.keys() {
            *known_per_project.entry(project_of(name)).or_default() += 1;
        }
        let mut added_per_project: HashMap<&str, u64> = HashMap::new();
        for name in state.changed.keys().filter(|n| !known.contains_key(*n)) {
            *added_per_project.entry(project_of(name)).or_default() += 1;
        }
        // A project whose count does not add up lost (or hides) a repository: list it.
        let mut relist: Vec<(Arc<str>, Option<u64>)> = Vec::new();
        if !state.doubtful {
            let mut projects: Vec<(&Arc<str>, &Option<u64>)> = state.projects.iter().collect();
            crate::order::sort(&mut projects);
            for (project, count) in projects {
                let expected = known_per_project.get(&**project).copied().unwrap_or(0)
                    + added_per_project.get(&**project).copied().unwrap_or(0);
                if *count != Some(expected) {
                    relist.push((project.clone(), *count));
                }
            }
        }
        let relisted: HashSet<Arc<str>> = relist.iter().map(|(p, _)| p.clone()).collect();
        // Stamps of repositories that did not change stand as they were, unless their
        // project is gone or listed again (then the listing says what is there).
        let listed: HashSet<&str> = state.projects.keys().map(|p| &**p).collect();
        let mut carried: Vec<RepoStamp> = known
            .values()
            .filter(|s| !state.changed.contains_key(&s.name))
            .filter(|s| {
                let project = project_of(&s.name);
                state.doubtful || (listed.contains(project) && !relisted.contains(project))
            })
            .cloned()
            .collect();
        crate::order::sort_by(&mut carried, |a, b| a.name.cmp(&b.name));
        if !carried.is_empty() {
            self.events.push(Event::Repositories(carried));
        }
        state.relisted = relist.len() as u64;
        self.refresh_method = Some(RefreshMethod::ChangedSince {
            release: state.release.clone(),
            since: state.since.to_string(),
            relisted_projects: state.relisted,
        });
        for (project, count) in relist {
            self.list_all_pages(ListingKey::Repositories(project), count);
        }
        self.list_changed_artifacts(&state, &relisted);
    }

    /// Lists the artifacts of the changed repositories outside re-listed projects (those
    /// are listed as their repository pages arrive): several of one project in one
    /// request when Harbor can list a project's artifacts, else one by one.
    fn list_changed_artifacts(&mut self, state: &ChangedState, relisted: &HashSet<Arc<str>>) {
        // `/projects/{p}/artifacts` needs a login; this method runs only on a release
        // that has it, and from 2.13 only signed-in callers learn the release at all.
        let grouped =
            self.discovery.principal.is_authenticated() || self.discovery.harbor_version.is_some();
        let mut per_project: BTreeMap<Arc<str>, Vec<&Repository>> = BTreeMap::new();
        let fresh: Vec<Repository> = state
            .changed
            .values()
            .filter(|s| {
                let same = self.known.as_ref().and_then(|k| k.get(&s.name)) == Some(*s);
                !same && s.artifact_count != Some(0)
            })
            .map(|s| Repository {
                name: s.name.clone(),
                artifact_count: s.artifact_count,
                update_time: s.update_time.clone(),
            })
            .collect();
        for repo in &fresh {
            let project = self.interner.intern(project_of(&repo.name));
            if !relisted.contains(&project) {
                per_project.entry(project).or_default().push(repo);
            }
        }
        for (project, repos) in per_project {
            if !grouped || repos.len() < 2 {
                for repo in repos {
                    self.expand_repository(&project, repo, 3);
                }
                continue;
            }
            let names: Vec<Arc<str>> = repos
                .iter()
                .map(|r| self.interner.intern(&r.name))
                .collect();
            let key = ListingKey::ChangedArtifacts(project, names);
            let total: Option<u64> = repos.iter().map(|r| r.artifact_count).sum();
            let total = total.filter(|_| !self.scope.filters_artifacts());
            self.list_all_pages(key, total);
        }
    }

    /// Starts a listing the refresh decided on: every page at once when its size is
    /// known, else the first page (its `X-Total-Count` plans the rest).
    fn list_all_pages(&mut self, key: ListingKey, total: Option<u64>) {
        match total {
            Some(total) => self.learn_total(key, total, 2),
            None => self.first_page(key, 3),
        }
    }

    /// Plans and queues page 1 of a listing.
    fn first_page(&mut self, key: ListingKey, depth: u32) {
        let listing = self.listing_mut(key.clone());
        listing.pages_planned = 1;
        listing.owned.insert(1);
        self.enqueue(key.page(1), depth);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(name: &str, time: &str) -> RepoStamp {
        RepoStamp {
            name: name.into(),
            artifact_count: Some(1),
            update_time: time.into(),
        }
    }

    #[test]
    fn since_is_the_newest_stamp_in_whole_seconds() {
        let known = [
            stamp("p/a", "2025-05-31T23:59:59.999Z"),
            stamp("p/b", "2025-06-01T00:01:02.345Z"),
            stamp("p/c", "2024-01-01T00:00:00Z"),
        ];
        assert_eq!(since_of(&known).as_deref(), Some("2025-06-01T00:01:02"));
        assert_eq!(since_of(&[]), None);
        assert_eq!(since_of(&[stamp("p/a", "yesterday")]), None);
        assert_eq!(since_of(&[stamp("p/a", "2025-06-01T00:01:02+02:00")]), None);
    }

    #[test]
    fn releases_parse_with_their_patch() {
        assert_eq!(release_of("v2.13.1-9384ed0e"), Some((2, 13, 1)));
        assert_eq!(release_of("v2.15.2"), Some((2, 15, 2)));
        assert!(release_of("v2.15.1-1").is_some_and(|r| r < FIRST_TRACKING_RELEASE));
        assert_eq!(release_of(""), None);
    }

    #[test]
    fn every_method_says_why() {
        let cases = [
            (
                RefreshMethod::ChangedSince {
                    release: "2.16.0".into(),
                    since: "2025-06-01T00:00:00".into(),
                    relisted_projects: 1,
                },
                "Harbor 2.16.0 records pushes, deletes and tag changes in update_time: only \
                 repositories changed since 2025-06-01T00:00:00 UTC were checked, and project \
                 repository counts revealed deleted repositories (1 project was listed again: \
                 its repository count changed).",
            ),
            (
                RefreshMethod::EveryRepository {
                    why: WhyEveryRepository::UnknownRelease,
                },
                "Harbor did not tell its version (from 2.13 it tells only signed-in users): \
                 every repository was checked.",
            ),
            (
                RefreshMethod::EveryRepository {
                    why: WhyEveryRepository::NoBaseline,
                },
                "No earlier repository list to compare with: every repository was checked.",
            ),
        ];
        for (method, start) in cases {
            let text = method.describe();
            assert!(text.starts_with(start), "{text}");
            assert!(text.ends_with("a pull does not move a repository's update_time."));
        }
    }
}
