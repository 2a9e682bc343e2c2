//! The crawl as a pure state machine: which request to send next, what each response
//! unlocks, when to retry, and what ends up in the ledger. No I/O and no clock here;
//! [`crate::crawl::Crawler`] feeds it responses and the time.
//!
//! Plan of a crawl:
//! 1. `/systeminfo` and `/users/current` (discovery) together with page 1 of `/projects`
//!    (or the named projects directly). A crawl started after connecting
//!    ([`Planner::crawl_known`]) skips discovery, and when every project is in scope and
//!    artifacts are listed per repository it lists `/repositories` instead of projects.
//! 2. Per project, once discovery is known: on Harbor >= 2.12 with a login and no
//!    repository filter, `/projects/{p}/artifacts`; otherwise `/projects/{p}/repositories`
//!    and then every repository's artifacts. Projects with no repository and repositories
//!    with no artifact are skipped.
//! 3. A listing's pages are planned from what is known before it starts
//!    (`Repository.artifact_count`, `Project.repo_count`) or from `X-Total-Count` of its
//!    first page; all remaining pages go out concurrently. A larger `X-Total-Count` later
//!    (something was pushed meanwhile) plans the extra pages. `Link` is never walked.
//! 4. What unlocks more work goes out first; the first artifact page of a repository
//!    goes before the remaining pages of a repository listing, so rows come early.
//! 5. With [`PlanConfig::repository_stamps`], a project-level crawl also lists
//!    repositories (after every artifact page) so it ends with their [`RepoStamp`]s.
//!
//! A refresh ([`Planner::refresh`]) asks only `/systeminfo`, then picks its method by the
//! Harbor release (see the `refresh` module): before 2.15.2 it lists repositories instead
//! of projects (`/repositories` when every project is in scope) and lists the artifacts
//! of a repository only when its stamp differs from the one it was given; from 2.15.2 it
//! lists only the repositories whose `update_time` moved and the project counts.

mod listing;
mod refresh;
mod requests;
mod types;

use listing::{Listing, ListingKey};
use requests::{load_sample, Attempt, Outcome, Parsed};
pub use types::*;

pub use refresh::{
    release_of, since_of, RefreshMethod, WhyEveryRepository, FIRST_TRACKING_RELEASE,
};

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use crate::crawl::ledger::{Failure, Ledger, LedgerEntry, ListingSnapshot, RequestScope};
use crate::crawl::limit::{LimitConfig, Limiter, Sample, Sent};
use crate::crawl::retry::{is_retryable_status, RetryPolicy, Rng};
use crate::crawl::scope::{Projects, Scope, MAX_PAGE_SIZE};
use crate::crawl::Event;
use crate::model::{
    Artifact, Errors, GeneralInfo, Interner, Project, Repository, UserResp, VulnReport,
    VulnerabilityAddition, REPORT_MIME_TYPES,
};
use crate::slim::{ArtifactRow, Digest, ScanStatus};
use crate::transport::{NetworkErrorKind, Response, TransportError};
use crate::url::{ApiPath, Q};

/// Priority classes, most urgent first: what unlocks more work goes out first, and
/// the first artifact page of a repository before the remaining repository pages, so
/// rows show early.
const CLASSES: usize = 7;
const CLASS_DISCOVERY: usize = 0;
const CLASS_PROJECTS: usize = 1;
const CLASS_REPOSITORIES: usize = 2;
const CLASS_FIRST_PAGE: usize = 3;
const CLASS_MORE_REPOSITORIES: usize = 4;
const CLASS_PAGE: usize = 5;
const CLASS_REPORT: usize = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TaskState {
    Queued,
    InFlight,
    /// Answered, its place in flight given back ([`Planner::arrived`]), not yet read.
    Answered,
    Backoff,
}

#[derive(Debug, Clone)]
struct Task {
    kind: RequestKind,
    class: usize,
    depth: u32,
    attempts: u32,
    first_start: Option<Duration>,
    /// When and in what order the current attempt went out, for the limiter.
    sent: Option<Sent>,
    state: TaskState,
    path: ApiPath,
    last_request_id: Option<String>,
}

/// The crawl state machine. See the module documentation.
#[derive(Debug)]
pub struct Planner {
    scope: Scope,
    repository_q: HashMap<Arc<str>, Option<String>>,
    artifact_q: Option<String>,
    config: PlanConfig,
    rng: Rng,
    crawl_tag: String,
    discovery: Discovery,
    discovery_pending: u32,
    discovery_announced: bool,
    waiting_projects: Vec<(Arc<str>, Option<u64>, u32)>,
    queues: [VecDeque<u64>; CLASSES],
    tasks: HashMap<u64, Task>,
    next_id: u64,
    in_flight: usize,
    limiter: Limiter,
    listings: HashMap<ListingKey, Listing>,
    seen: HashSet<(Arc<str>, Digest)>,
    interner: Interner,
    entries: Vec<LedgerEntry>,
    events: Vec<Event>,
    progress: Progress,
    progress_dirty: bool,
    max_depth: u32,
    /// A refresh: the stamps of the inventory being refreshed. Repositories listed with
    /// the same stamp are not listed again.
    known: Option<HashMap<String, RepoStamp>>,
    /// Discovery came with the crawl ([`Planner::crawl_known`]): no round trip for it.
    discovery_given: bool,
    /// A refresh by `update_time` until it has decided what to list.
    changed: Option<refresh::ChangedState>,
    /// The method a refresh chose, once discovery is known.
    refresh_method: Option<RefreshMethod>,
}

impl Planner {
    fn empty(scope: Scope, config: PlanConfig) -> Planner {
        let mut rng = Rng::new(config.seed);
        let crawl_tag = format!("{:08x}", rng.next_u64() as u32);
        // A start above the ceiling raises the ceiling: the configured value is kept.
        let limiter = Limiter::new(LimitConfig {
            initial: config.max_in_flight,
            ceiling: config.max_concurrency.max(config.max_in_flight),
            ..LimitConfig::default()
        });
        let progress = Progress {
            limit: limiter.limit() as u64,
            ..Progress::default()
        };
        Planner {
            artifact_q: scope.artifact_q().ok().flatten(),
            scope,
            repository_q: HashMap::new(),
            config,
            rng,
            crawl_tag,
            discovery: Discovery::default(),
            discovery_pending: 0,
            discovery_announced: true,
            waiting_projects: Vec::new(),
            queues: Default::default(),
            tasks: HashMap::new(),
            next_id: 1,
            in_flight: 0,
            limiter,
            listings: HashMap::new(),
            seen: HashSet::new(),
            interner: Interner::default(),
            entries: Vec::new(),
            events: Vec::new(),
            progress,
            progress_dirty: true,
            max_depth: 0,
            known: None,
            discovery_given: false,
            changed: None,
            refresh_method: None,
        }
    }

    /// A fresh crawl of `scope` (validate it first: an invalid filter is dropped here).
    pub fn crawl(scope: Scope, config: PlanConfig) -> Planner {
        Planner::begin(scope, config, None)
    }

    /// A fresh crawl of `scope` for a Harbor and caller already known (connecting asked
    /// `/systeminfo` and `/users/current`): neither is asked again, and the listings
    /// start at once. When every project is in scope and artifacts are listed per
    /// repository, one `/repositories` listing replaces a listing per project (artifacts
    /// then start after 2 round trips, not 3) where it sees the same projects as
    /// `/projects`: for users and anonymous callers. For a robot it shows only public
    /// projects (Harbor's `listAuthorizedProjectIDs`), so robots list per project.
    pub fn crawl_known(scope: Scope, discovery: Discovery, config: PlanConfig) -> Planner {
        let mut planner = Planner::given(scope, None, discovery, config);
        let all_in_one = planner.discovery.strategy == Strategy::PerRepository
            && planner.scope.repositories.is_empty()
            && matches!(
                planner.discovery.principal,
                Principal::User { .. } | Principal::Anonymous
            );
        planner.first_listings(all_in_one);
        planner.start_listings();
        planner
    }

    /// A refresh of an inventory crawled before with `scope`: lists repositories (all
    /// at once with `/repositories` when every project is in scope, else per project)
    /// and lists artifacts again only in repositories whose stamp differs from `known`
    /// or that `known` lacks. Every repository page is sent as [`Event::Repositories`],
    /// so the caller can tell unchanged from deleted ones (`inventory::refresh`).
    pub fn refresh(scope: Scope, known: Vec<RepoStamp>, config: PlanConfig) -> Planner {
        let known = known.into_iter().map(|s| (s.name.clone(), s)).collect();
        Planner::begin(scope, config, Some(known))
    }

    /// A refresh for a Harbor and caller already known (see [`Planner::crawl_known`]):
    /// the release in `discovery` picks the method, and nothing is asked about it again.
    pub fn refresh_known(
        scope: Scope,
        known: Vec<RepoStamp>,
        discovery: Discovery,
        config: PlanConfig,
    ) -> Planner {
        let known = known.into_iter().map(|s| (s.name.clone(), s)).collect();
        let mut planner = Planner::given(scope, Some(known), discovery, config);
        planner.start_refresh();
        planner.start_listings();
        planner
    }

    /// A planner whose discovery came with it: announced at once, never asked for.
    fn given(
        scope: Scope,
        known: Option<HashMap<String, RepoStamp>>,
        discovery: Discovery,
        config: PlanConfig,
    ) -> Planner {
        let mut planner = Planner::empty(scope, config);
        planner.known = known;
        planner.discovery = discovery;
        planner.discovery.strategy = planner.strategy();
        planner.discovery_given = true;
        planner
            .events
            .push(Event::Discovered(planner.discovery.clone()));
        planner
    }

    fn begin(
        scope: Scope,
        config: PlanConfig,
        known: Option<HashMap<String, RepoStamp>>,
    ) -> Planner {
        let mut planner = Planner::empty(scope, config);
        planner.known = known;
        planner.discovery_announced = false;
        planner.enqueue(RequestKind::SystemInfo, 1);
        // A refresh lists per repository whoever asks, so it needs only the release
        // (`/systeminfo`), not who the caller is; and it picks its method by the release,
        // so its listings start after discovery.
        let refresh = planner.known.is_some();
        planner.discovery_pending = if refresh { 1 } else { 2 };
        if !refresh {
            planner.enqueue(RequestKind::CurrentUser, 1);
            planner.first_listings(false);
        }
        planner
    }

    /// Today's first listing of a refresh: every repository at once when the scope
    /// allows (see [`Planner::first_listings`]), except for a robot, which sees only
    /// public projects in `/repositories` and so lists project by project.
    fn start_listing(&mut self) {
        let all_in_one = self.known.is_some()
            && self.scope.repositories.is_empty()
            && self.discovery.principal != Principal::Robot;
        self.first_listings(all_in_one);
    }

    /// The first listings of the scope: one `/repositories` listing when `all_in_one`
    /// and every project is in scope, else page 1 of `/projects` (or the named projects,
    /// waiting for discovery).
    fn first_listings(&mut self, all_in_one: bool) {
        // After a discovery this planner asked for, the listings are one round trip later.
        let depth = if self.discovery_announced && !self.discovery_given {
            2
        } else {
            1
        };
        match self.scope.projects.clone() {
            Projects::All if all_in_one => {
                self.plan_first_page(ListingKey::AllRepositories, depth);
            }
            Projects::All => {
                self.listing_mut(ListingKey::Projects).pages_planned = 1;
                self.enqueue(RequestKind::Projects { page: 1 }, depth);
            }
            Projects::Named(names) => {
                for name in names {
                    let name = self.interner.intern(&name);
                    self.waiting_projects.push((name, None, depth - 1));
                }
            }
        }
    }

    /// Re-runs the failed requests of `previous`, with its scope and discovery.
    pub fn retry(previous: &CrawlReport, config: PlanConfig) -> Planner {
        let mut planner = Planner::empty(previous.scope.clone(), config);
        planner.discovery = previous.discovery.clone();
        for entry in &previous.ledger.entries {
            if let Some((key, page)) = entry.kind.listing() {
                let snapshot = entry.listing.unwrap_or(ListingSnapshot {
                    total: None,
                    pages_planned: 0,
                });
                let listing = planner.listing_mut(key);
                listing.total = listing.total.or(snapshot.total);
                listing.pages_planned = listing.pages_planned.max(snapshot.pages_planned).max(page);
                listing.owned.insert(page);
                planner.update_expected_of(&entry.kind);
            }
            planner.enqueue(entry.kind.clone(), 1);
        }
        planner
            .events
            .push(Event::Discovered(planner.discovery.clone()));
        planner
    }

    /// Fetches the full vulnerability report of every artifact whose scan succeeded.
    pub fn vulnerabilities(rows: &[ArtifactRow], config: PlanConfig) -> Planner {
        let mut planner = Planner::empty(Scope::default(), config);
        for row in rows.iter().filter(|r| r.scan.status == ScanStatus::Success) {
            let kind = RequestKind::Vulnerabilities {
                project: row.project.clone(),
                repository: row.repository.clone(),
                digest: Arc::from(&*row.digest.text()),
                mime: row.scan.report_mime.clone(),
            };
            planner.enqueue(kind, 1);
        }
        planner
    }

    /// The next request to send, if the in-flight limit allows one and one is ready.
    pub fn next_dispatch(&mut self, now: Duration) -> Option<Dispatch> {
        if self.in_flight >= self.limiter.limit() {
            if self.queues.iter().any(|q| !q.is_empty()) {
                self.limiter.blocked();
            }
            return None;
        }
        let id = self.queues.iter_mut().find_map(VecDeque::pop_front)?;
        let task = self.tasks.get_mut(&id)?;
        task.attempts += 1;
        task.sent = Some(self.limiter.sent(now));
        task.state = TaskState::InFlight;
        task.first_start.get_or_insert(now);
        let request_id = format!("hl-{}-{}-{}", self.crawl_tag, id, task.attempts);
        task.last_request_id = Some(request_id.clone());
        let headers = match &task.kind {
            RequestKind::ProjectArtifacts { .. } | RequestKind::ChangedArtifacts { .. } => {
                vec![("X-Is-Resource-Name", "true".to_owned())]
            }
            RequestKind::Vulnerabilities { mime, .. } => {
                let accept = mime
                    .as_deref()
                    .map_or_else(|| REPORT_MIME_TYPES.join(", "), str::to_owned);
                vec![("X-Accept-Vulnerabilities", accept)]
            }
            _ => Vec::new(),
        };
        let dispatch = Dispatch {
            id,
            kind: task.kind.clone(),
            path: task.path.clone(),
            attempt: task.attempts,
            request_id,
            headers,
        };
        self.in_flight += 1;
        self.progress.requests_in_flight = self.in_flight as u64;
        self.progress_dirty = true;
        Some(dispatch)
    }

    /// The next request that may go out before the answer to `id` is read (after
    /// [`Planner::arrived`]): only when that answer is a page of artifacts, which adds
    /// nothing but later pages and reports, and only a request that comes before those
    /// anyway. The answer to a listing of projects or repositories may add first pages
    /// of artifacts, which must go out before anything waiting now.
    pub fn next_dispatch_ahead_of(&mut self, id: u64, now: Duration) -> Option<Dispatch> {
        let pages = matches!(
            self.tasks.get(&id).map(|t| &t.kind),
            Some(
                RequestKind::ProjectArtifacts { .. }
                    | RequestKind::Artifacts { .. }
                    | RequestKind::ChangedArtifacts { .. }
            )
        );
        let head = self.queues.iter().position(|q| !q.is_empty())?;
        if pages && head <= CLASS_PAGE {
            self.next_dispatch(now)
        } else {
            None
        }
    }

    /// The answer to a dispatched request is in: gives its place in flight back and
    /// tells the limiter, without reading the body, so that the driver can send the
    /// next request before this one is decoded. [`Planner::complete`] follows.
    pub fn arrived(&mut self, id: u64, result: &Result<Response, TransportError>, now: Duration) {
        let Some(task) = self.tasks.get_mut(&id) else {
            return;
        };
        if task.state != TaskState::InFlight {
            return;
        }
        task.state = TaskState::Answered;
        let sent = task.sent;
        self.in_flight = self.in_flight.saturating_sub(1);
        self.progress.requests_in_flight = self.in_flight as u64;
        self.progress_dirty = true;
        if let Some(sent) = sent {
            let (went, arrived) = requests::timed(sent.at, now, result);
            self.limiter
                .record(sent.went_at(went), arrived, load_sample(result));
        }
        self.progress.limit = self.limiter.limit() as u64;
    }

    /// Records the result of a dispatched request (calling [`Planner::arrived`] first if
    /// the driver did not). Returns the wait before a retry, after which the driver
    /// calls [`Planner::requeue`]; `None` when the task is over.
    pub fn complete(
        &mut self,
        id: u64,
        result: Result<Response, TransportError>,
        now: Duration,
    ) -> Option<Duration> {
        self.arrived(id, &result, now);
        let task = self.tasks.get(&id)?.clone();
        if task.state != TaskState::Answered {
            return None;
        }
        match self.interpret(&task, result) {
            Outcome::Parsed(parsed) => {
                self.tasks.remove(&id);
                self.progress.requests_done += 1;
                self.apply(&task, parsed);
                self.page_settled(&task, true, now);
                self.refresh_settled(&task, true);
                None
            }
            Outcome::Failed(attempt)
                if attempt.retryable && self.config.retry.allows_another(task.attempts) =>
            {
                let delay =
                    self.config
                        .retry
                        .delay(task.attempts, attempt.retry_after, &mut self.rng);
                if let Some(t) = self.tasks.get_mut(&id) {
                    t.state = TaskState::Backoff;
                }
                self.progress.retries += 1;
                Some(delay)
            }
            Outcome::Failed(attempt) => {
                self.tasks.remove(&id);
                self.fail(&task, attempt, now);
                self.page_settled(&task, false, now);
                self.refresh_settled(&task, false);
                None
            }
        }
    }

    /// Puts a task back in its queue after its backoff.
    pub fn requeue(&mut self, id: u64) {
        if let Some(task) = self.tasks.get_mut(&id) {
            if task.state == TaskState::Backoff {
                task.state = TaskState::Queued;
                self.queues[task.class].push_back(id);
            }
        }
    }

    /// Events produced since the last call, with a progress snapshot last if anything
    /// changed.
    pub fn drain_events(&mut self) -> Vec<Event> {
        if self.progress_dirty {
            self.progress_dirty = false;
            self.events.push(Event::Progress(self.progress));
        }
        std::mem::take(&mut self.events)
    }

    /// Nothing queued, in flight or waiting to be retried.
    pub fn is_finished(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Current counts.
    pub fn progress(&self) -> Progress {
        self.progress
    }

    /// The report: ledger with what is missing, final counts.
    pub fn finish(mut self) -> CrawlReport {
        let mut ledger = Ledger {
            artifacts_expected: self.progress.artifacts_expected,
            artifacts_loaded: self.progress.artifacts_loaded,
            ..Ledger::default()
        };
        let entries = std::mem::take(&mut self.entries);
        for mut entry in entries {
            let counted_already = matches!(
                entry.failure,
                Failure::BadArtifacts { .. } | Failure::KeptChanging { .. }
            );
            if !counted_already {
                entry.missing_artifacts = self.missing_of(&entry.kind);
                entry.listing = entry
                    .kind
                    .listing()
                    .and_then(|(k, _)| self.listings.get(&k))
                    .map(Listing::snapshot);
            }
            match entry.missing_artifacts {
                Some(n) => ledger.artifacts_missing += n,
                None => ledger.missing_unknown = true,
            }
            ledger.entries.push(entry);
        }
        CrawlReport {
            scope: self.scope,
            discovery: self.discovery,
            ledger,
            progress: self.progress,
            critical_path: self.max_depth,
            refresh: self.refresh_method,
        }
    }

    /// Tells a refresh by `update_time` that a page of one of its listings settled.
    fn refresh_settled(&mut self, task: &Task, answered: bool) {
        if let Some((key, _)) = task.kind.listing() {
            self.refresh_page_settled(&key, answered);
        }
    }

    fn listing_mut(&mut self, key: ListingKey) -> &mut Listing {
        let page_size = if key.holds_artifacts() {
            self.scope.page_size
        } else {
            MAX_PAGE_SIZE
        };
        self.listings.entry(key).or_insert_with(|| Listing {
            page_size,
            ..Listing::default()
        })
    }

    /// Plans the first page of a listing; its total comes with the answer.
    fn plan_first_page(&mut self, key: ListingKey, depth: u32) {
        let first = key.page(1);
        let listing = self.listing_mut(key);
        listing.pages_planned = 1;
        listing.owned.insert(1);
        self.enqueue(first, depth);
    }

    fn enqueue(&mut self, kind: RequestKind, depth: u32) {
        let class = match &kind {
            RequestKind::SystemInfo | RequestKind::CurrentUser => CLASS_DISCOVERY,
            RequestKind::Projects { .. } => CLASS_PROJECTS,
            // Listed only for their stamps: after the artifacts.
            RequestKind::Repositories { .. } | RequestKind::AllRepositories { .. }
                if self.discovery.strategy == Strategy::ProjectArtifacts =>
            {
                CLASS_REPORT
            }
            RequestKind::Repositories { page: 1, .. }
            | RequestKind::AllRepositories { page: 1 }
            | RequestKind::ChangedRepositories { page: 1, .. } => CLASS_REPOSITORIES,
            RequestKind::Repositories { .. }
            | RequestKind::AllRepositories { .. }
            | RequestKind::ChangedRepositories { .. } => CLASS_MORE_REPOSITORIES,
            RequestKind::ProjectArtifacts { page: 1, .. }
            | RequestKind::Artifacts { page: 1, .. }
            | RequestKind::ChangedArtifacts { page: 1, .. } => CLASS_FIRST_PAGE,
            RequestKind::ProjectArtifacts { .. }
            | RequestKind::Artifacts { .. }
            | RequestKind::ChangedArtifacts { .. } => {
                // Pages past the first of a listing whose total is not known yet come
                // from a full page without `X-Total-Count`: each one unlocks the next.
                let total_known = kind
                    .listing()
                    .and_then(|(k, _)| self.listings.get(&k))
                    .is_some_and(|l| l.total.is_some());
                if total_known {
                    CLASS_PAGE
                } else {
                    CLASS_FIRST_PAGE
                }
            }
            RequestKind::Vulnerabilities { .. } => CLASS_REPORT,
        };
        if let Some((key, page)) = kind.listing() {
            let listing = self.listing_mut(key);
            listing.pending.insert(page);
            listing.passes = listing.passes.max(1);
        }
        let id = self.next_id;
        self.next_id += 1;
        let path = self.path_for(&kind);
        self.tasks.insert(
            id,
            Task {
                kind,
                class,
                depth,
                attempts: 0,
                first_start: None,
                sent: None,
                state: TaskState::Queued,
                path,
                last_request_id: None,
            },
        );
        self.queues[class].push_back(id);
        self.max_depth = self.max_depth.max(depth);
        self.progress.requests_planned += 1;
        self.progress_dirty = true;
    }

    /// Acts on a decoded response: discovery, new listings, rows.
    fn apply(&mut self, task: &Task, parsed: Parsed) {
        let depth = task.depth;
        match parsed {
            Parsed::Info(info) => {
                self.discovery.version = info.version();
                self.discovery.harbor_version = info.harbor_version;
                self.discovery.auth_mode = Some(info.auth_mode).filter(|m| !m.is_empty());
                self.discovery_step();
            }
            Parsed::User(principal) => {
                self.discovery.principal = principal;
                self.discovery_step();
            }
            Parsed::Projects(projects, total) => {
                if let Some(total) = total {
                    self.observe_total(&ListingKey::Projects, total);
                    self.learn_total(ListingKey::Projects, total, depth);
                }
                if self.changed.is_some() {
                    // A refresh by update_time reads only the repository counts.
                    self.take_refresh_projects(projects);
                    return;
                }
                for project in projects {
                    let name = self.interner.intern(&project.name);
                    self.waiting_projects
                        .push((name, project.repo_count, depth));
                }
                self.expand_projects();
            }
            Parsed::Repositories(repositories, total) => {
                let Some((key, _)) = task.kind.listing() else {
                    return;
                };
                if let ListingKey::ChangedRepositories(..) = key {
                    if let Some(total) = total {
                        self.observe_total(&key, total);
                        self.learn_total(key, total, depth);
                    }
                    self.take_changed_repositories(&repositories);
                    return;
                }
                let project = match &key {
                    ListingKey::Repositories(p) => Some(p.clone()),
                    ListingKey::AllRepositories => None,
                    _ => return,
                };
                if let Some(total) = total {
                    self.observe_total(&key, total);
                    self.learn_total(key, total, depth);
                }
                let stamps: Vec<RepoStamp> = repositories
                    .iter()
                    .filter(|r| !r.name.is_empty())
                    .map(RepoStamp::from)
                    .collect();
                if !stamps.is_empty() {
                    self.events.push(Event::Repositories(stamps));
                }
                if self.discovery.strategy == Strategy::ProjectArtifacts {
                    return; // listed for the stamps only
                }
                for repo in repositories {
                    // `/repositories` names carry their project: `team/tools/x`.
                    let project = match &project {
                        Some(p) => p.clone(),
                        None => match repo.name.split_once('/') {
                            Some((p, _)) => self.interner.intern(p),
                            None => continue,
                        },
                    };
                    self.expand_repository(&project, &repo, depth + 1);
                }
            }
            Parsed::Artifacts(artifacts, total) => self.take_artifacts(task, artifacts, total),
            Parsed::Report(addition) => {
                if let RequestKind::Vulnerabilities {
                    repository, digest, ..
                } = &task.kind
                {
                    let report = VulnReport::from_addition(repository.clone(), digest, addition);
                    self.events.push(Event::Report(report));
                }
            }
        }
    }

    fn take_artifacts(&mut self, task: &Task, artifacts: Vec<Artifact>, total: Option<u64>) {
        let Some((key, page)) = task.kind.listing() else {
            return;
        };
        let (project, repository) = match &key {
            ListingKey::Artifacts(p, r) => (p.clone(), Some(r.clone())),
            ListingKey::ProjectArtifacts(p) | ListingKey::ChangedArtifacts(p, _) => {
                (p.clone(), None)
            }
            _ => return,
        };
        let received = artifacts.len() as u64;
        match total {
            Some(total) => {
                self.observe_total(&key, total);
                self.learn_total(key.clone(), total, task.depth);
            }
            None => {
                // No X-Total-Count: the only safe guess is "a full page means more".
                let listing = self.listing_mut(key.clone());
                if listing.total.is_none()
                    && received >= u64::from(listing.page_size)
                    && listing.pages_planned == page
                    && page < MAX_PAGES
                {
                    listing.pages_planned = page + 1;
                    listing.owned.insert(page + 1);
                    let next = key.page(page + 1);
                    self.enqueue(next, task.depth + 1);
                }
            }
        }
        let mut rows = Vec::with_capacity(artifacts.len());
        let mut bad = 0u64;
        let mut first_error = None;
        for artifact in artifacts {
            match artifact.into_row(&project, repository.as_deref(), &mut self.interner) {
                Ok(row) => {
                    if self
                        .seen
                        .insert((row.repository.clone(), row.digest.clone()))
                    {
                        rows.push(row);
                    }
                }
                Err(e) => {
                    bad += 1;
                    first_error.get_or_insert_with(|| e.to_string());
                }
            }
        }
        self.progress.artifacts_loaded += rows.len() as u64;
        self.page_answered(&key, page, rows.len() as u64 + bad, received, task.depth);
        if !rows.is_empty() {
            self.events.push(Event::Artifacts(rows));
        }
        if bad > 0 {
            let entry = LedgerEntry {
                method: "GET".into(),
                url: task.path.to_string(),
                kind: task.kind.clone(),
                scope: task.kind.scope(),
                failure: Failure::BadArtifacts {
                    count: bad,
                    message: first_error.unwrap_or_default(),
                },
                request_id: task.last_request_id.clone(),
                attempts: task.attempts,
                elapsed_ms: 0,
                missing_artifacts: Some(bad),
                listing: None,
            };
            self.events.push(Event::Failed(entry.clone()));
            self.entries.push(entry);
        }
    }

    /// Records what an artifact page held. When it held more than its listing's total
    /// allows (the total understates: `X-Total-Count` lied, or artifacts were pushed),
    /// or it is the last planned page and exactly full, the next page is fetched too:
    /// a page that comes back short or empty ends the listing. Without this a total that
    /// understates would silently drop the artifacts beyond it.
    fn page_answered(
        &mut self,
        key: &ListingKey,
        page: u32,
        counted: u64,
        received: u64,
        depth: u32,
    ) {
        let listing = self.listing_mut(key.clone());
        // A later pass over a changed listing adds what it found that was new.
        *listing.received.entry(page).or_insert(0) += counted;
        let announced = listing
            .total
            .map(|total| page_items(total, listing.page_size, page));
        let full = received >= u64::from(listing.page_size);
        let probe = listing.total.is_some()
            && page >= listing.pages_planned
            && page < MAX_PAGES
            && (announced.is_some_and(|n| received > n) || full);
        if probe {
            listing.pages_planned = page + 1;
            listing.owned.insert(page + 1);
        }
        let old = listing.expected;
        let new = listing.recount();
        self.progress.artifacts_expected = self.progress.artifacts_expected - old + new;
        self.progress_dirty = true;
        if probe {
            self.enqueue(key.page(page + 1), depth + 1);
        }
    }

    /// A listing's total is (newly) known: plan every page not planned yet.
    fn learn_total(&mut self, key: ListingKey, total: u64, depth: u32) {
        let listing = self.listing_mut(key.clone());
        listing.total = Some(total);
        let needed = pages_for(total, listing.page_size).min(MAX_PAGES);
        let from = listing.pages_planned + 1;
        listing.pages_planned = listing.pages_planned.max(needed);
        for page in from..=needed {
            listing.owned.insert(page);
        }
        let old = listing.expected;
        let new = listing.recount();
        if key.holds_artifacts() {
            self.progress.artifacts_expected = self.progress.artifacts_expected - old + new;
            self.progress_dirty = true;
        }
        for page in from..=needed {
            self.enqueue(key.page(page), depth + 1);
        }
    }

    fn update_expected_of(&mut self, kind: &RequestKind) {
        if let Some((key, _)) = kind.listing() {
            if key.holds_artifacts() {
                let listing = self.listing_mut(key);
                let old = listing.expected;
                let new = listing.recount();
                self.progress.artifacts_expected = self.progress.artifacts_expected - old + new;
            }
        }
    }

    fn discovery_step(&mut self) {
        self.discovery_pending = self.discovery_pending.saturating_sub(1);
        if self.discovery_pending > 0 || self.discovery_announced {
            return;
        }
        self.discovery_announced = true;
        self.discovery.strategy = self.strategy();
        self.events.push(Event::Discovered(self.discovery.clone()));
        if self.known.is_some() {
            self.start_refresh();
        }
        self.start_listings();
    }

    /// How artifacts are listed, from what discovery found and the scope.
    fn strategy(&self) -> Strategy {
        let modern = self.discovery.version.is_some_and(|v| v >= (2, 12));
        if modern
            && self.discovery.principal.is_authenticated()
            && self.scope.repositories.is_empty()
            && self.known.is_none()
        {
            Strategy::ProjectArtifacts
        } else {
            Strategy::PerRepository
        }
    }

    /// Discovery is known: the repository listing for the stamps, and the projects'
    /// listings.
    fn start_listings(&mut self) {
        let stamps_apart =
            self.config.repository_stamps && self.discovery.strategy == Strategy::ProjectArtifacts;
        if stamps_apart && self.scope.projects == Projects::All && !self.stamps_per_project() {
            self.plan_first_page(ListingKey::AllRepositories, 2);
        }
        self.expand_projects();
    }

    /// Whether the repository stamps of a project-level crawl are listed per project,
    /// not with one `/repositories` listing: for named projects, and for a robot, which
    /// `/repositories` shows only public projects.
    fn stamps_per_project(&self) -> bool {
        matches!(self.scope.projects, Projects::Named(_))
            || self.discovery.principal == Principal::Robot
    }

    /// Starts the listings of every project seen so far, once discovery is known.
    fn expand_projects(&mut self) {
        if !self.discovery_announced {
            return;
        }
        for (project, repo_count, depth) in std::mem::take(&mut self.waiting_projects) {
            // A listing starts after the project page, and after discovery when the
            // crawl asked for it (one round trip).
            let depth = if self.discovery_given {
                depth + 1
            } else {
                depth.max(1) + 1
            };
            if repo_count == Some(0) {
                continue;
            }
            let known = match self.discovery.strategy {
                Strategy::ProjectArtifacts => ListingKey::ProjectArtifacts(project.clone()),
                Strategy::PerRepository => ListingKey::Repositories(project.clone()),
            };
            if self.listings.contains_key(&known) {
                continue; // the same project on two pages (the list shifted): once is enough
            }
            match self.discovery.strategy {
                Strategy::ProjectArtifacts => {
                    if self.config.repository_stamps && self.stamps_per_project() {
                        self.plan_first_page(ListingKey::Repositories(project.clone()), depth);
                    }
                    self.plan_first_page(ListingKey::ProjectArtifacts(project), depth);
                }
                Strategy::PerRepository => {
                    let key = ListingKey::Repositories(project);
                    match repo_count.filter(|_| self.scope.repositories.is_empty()) {
                        Some(count) => self.learn_total(key, count, depth - 1),
                        None => self.plan_first_page(key, depth),
                    }
                }
            }
        }
    }

    fn expand_repository(&mut self, project: &Arc<str>, repo: &Repository, depth: u32) {
        if repo.artifact_count == Some(0) || repo.name.is_empty() {
            return;
        }
        let unchanged = self
            .known
            .as_ref()
            .and_then(|known| known.get(&repo.name))
            .is_some_and(|stamp| {
                stamp.artifact_count == repo.artifact_count && stamp.update_time == repo.update_time
            });
        if unchanged {
            return;
        }
        let repository = self.interner.intern(&repo.name);
        let key = ListingKey::Artifacts(project.clone(), repository);
        if self.listings.contains_key(&key) {
            return; // the same repository on two pages (the list shifted): once is enough
        }
        match repo
            .artifact_count
            .filter(|_| !self.scope.filters_artifacts())
        {
            Some(count) => self.learn_total(key, count, depth - 1),
            None => self.plan_first_page(key, depth),
        }
    }

    /// Notes a page's `X-Total-Count`: a total that differs from the one an earlier page
    /// of the same pass gave means the listing changed while it was read.
    fn observe_total(&mut self, key: &ListingKey, total: u64) {
        let listing = self.listing_mut(key.clone());
        match listing.header_total {
            None => listing.header_total = Some(total),
            Some(seen) if seen != total => listing.changed = true,
            Some(_) => {}
        }
    }

    /// A page of a listing is over (answered or finally failed). When it was the last
    /// one of its pass and the listing changed meanwhile, offset paging may have shifted
    /// rows from a page not yet read onto one already read: the listing is read again
    /// (rows already seen are dropped), up to [`MAX_PASSES`] times. A listing still
    /// changing after that goes to the ledger, so the shortfall is never silent.
    fn page_settled(&mut self, task: &Task, answered: bool, now: Duration) {
        let Some((key, page)) = task.kind.listing() else {
            return;
        };
        let Some(listing) = self.listings.get_mut(&key) else {
            return;
        };
        listing.pending.remove(&page);
        listing.failed |= !answered;
        if !listing.pending.is_empty() || !listing.changed || listing.failed {
            return;
        }
        if listing.passes >= MAX_PASSES {
            let passes = listing.passes;
            let snapshot = listing.snapshot();
            listing.changed = false;
            let first = key.page(1);
            let path = self.path_for(&first);
            let entry = LedgerEntry {
                method: "GET".into(),
                url: path.to_string(),
                scope: first.scope(),
                kind: first,
                failure: Failure::KeptChanging { passes },
                request_id: task.last_request_id.clone(),
                attempts: passes,
                elapsed_ms: task.first_start.map_or(0, |start| {
                    u64::try_from(now.saturating_sub(start).as_millis()).unwrap_or(u64::MAX)
                }),
                missing_artifacts: None,
                listing: Some(snapshot),
            };
            self.progress.requests_failed += 1;
            self.progress_dirty = true;
            self.events.push(Event::Failed(entry.clone()));
            self.entries.push(entry);
            return;
        }
        listing.passes += 1;
        listing.changed = false;
        listing.header_total = None;
        let pages: Vec<u32> = listing.owned.iter().copied().collect();
        for page in pages {
            self.enqueue(key.page(page), task.depth + 1);
        }
    }

    /// Artifacts a failed request leaves out, from the listing's final total.
    fn missing_of(&self, kind: &RequestKind) -> Option<u64> {
        match kind {
            RequestKind::SystemInfo | RequestKind::CurrentUser => Some(0),
            RequestKind::Vulnerabilities { .. } => Some(0),
            RequestKind::Projects { .. }
            | RequestKind::Repositories { .. }
            | RequestKind::AllRepositories { .. }
            | RequestKind::ChangedRepositories { .. } => None,
            RequestKind::ProjectArtifacts { .. }
            | RequestKind::Artifacts { .. }
            | RequestKind::ChangedArtifacts { .. } => {
                let (key, page) = kind.listing()?;
                let listing = self.listings.get(&key)?;
                Some(page_items(listing.total?, listing.page_size, page))
            }
        }
    }

    fn fail(&mut self, task: &Task, attempt: Attempt, now: Duration) {
        if matches!(
            task.kind,
            RequestKind::SystemInfo | RequestKind::CurrentUser
        ) {
            self.discovery_step();
        }
        let elapsed = task
            .first_start
            .map_or(Duration::ZERO, |start| now.saturating_sub(start));
        let entry = LedgerEntry {
            method: "GET".into(),
            url: task.path.to_string(),
            kind: task.kind.clone(),
            scope: task.kind.scope(),
            failure: attempt.failure,
            request_id: attempt.request_id,
            attempts: task.attempts,
            elapsed_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            missing_artifacts: self.missing_of(&task.kind),
            listing: task
                .kind
                .listing()
                .and_then(|(k, _)| self.listings.get(&k))
                .map(Listing::snapshot),
        };
        self.progress.requests_failed += 1;
        self.progress_dirty = true;
        self.events.push(Event::Failed(entry.clone()));
        self.entries.push(entry);
    }
}
