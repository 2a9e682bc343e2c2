//! Unit tests of the planner (pure) and the driver over an in-memory Harbor.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::{FutureExt, LocalBoxFuture};

use super::*;
use crate::transport::{
    CancelToken, Clock, NetworkErrorKind, Protocol, Request, Response, Transport, TransportError,
};
use crate::url::{percent_decode, ApiPath};

// ---------------------------------------------------------------------------------
// An in-memory Harbor: projects → repositories → `n` artifacts each.

struct FakeHarbor {
    version: &'static str,
    /// Status of `/users/current`: 200, 401 or 412.
    user_status: u16,
    projects: Vec<(&'static str, Vec<(String, usize)>)>,
    /// Path substring → responses to give instead, one per attempt, then normal.
    faults: RefCell<Vec<(String, Vec<Response>)>>,
    log: RefCell<Vec<String>>,
    in_flight: Cell<usize>,
    max_in_flight: Cell<usize>,
    /// Cancels this token when the n-th request arrives.
    cancel_at: Option<(usize, CancelToken)>,
}

impl FakeHarbor {
    fn new(version: &'static str, user_status: u16) -> Self {
        let projects = vec![
            (
                "alpha",
                vec![
                    ("alpha/a".into(), 3),
                    ("alpha/nested/b".into(), 250),
                    ("alpha/empty".into(), 0),
                ],
            ),
            (
                "beta",
                (0..7).map(|i| (format!("beta/r{i}"), i * 40)).collect(),
            ),
            ("gamma", vec![]),
        ];
        FakeHarbor {
            version,
            user_status,
            projects,
            faults: RefCell::new(Vec::new()),
            log: RefCell::new(Vec::new()),
            in_flight: Cell::new(0),
            max_in_flight: Cell::new(0),
            cancel_at: None,
        }
    }

    fn expected(&self) -> HashSet<(String, String)> {
        let mut set = HashSet::new();
        for (_, repos) in &self.projects {
            for (repo, n) in repos {
                for i in 0..*n {
                    set.insert((repo.clone(), digest(repo, i)));
                }
            }
        }
        set
    }

    fn fault(&self, path_part: &str, responses: Vec<Response>) {
        self.faults
            .borrow_mut()
            .push((path_part.to_owned(), responses));
    }

    fn serve(&self, path: &ApiPath) -> Response {
        let text = path.as_str();
        for (part, responses) in self.faults.borrow_mut().iter_mut() {
            if text.contains(part.as_str()) && !responses.is_empty() {
                return responses.remove(0);
            }
        }
        let route = text
            .split('?')
            .next()
            .unwrap_or("")
            .trim_start_matches("/api/v2.0/");
        let segments: Vec<&str> = route.split('/').collect();
        let page: usize = path.param("page").and_then(|p| p.parse().ok()).unwrap_or(1);
        let size: usize = path
            .param("page_size")
            .and_then(|p| p.parse().ok())
            .unwrap_or(10);
        let q = path.param("q").map(|q| percent_decode(&q));
        match segments.as_slice() {
            ["systeminfo"] => json(
                200,
                format!(
                    r#"{{"harbor_version":"{}","auth_mode":"db_auth"}}"#,
                    self.version
                ),
            ),
            ["users", "current"] => match self.user_status {
                200 => json(
                    200,
                    r#"{"user_id":1,"username":"admin","sysadmin_flag":true}"#.into(),
                ),
                s => json(s, r#"{"errors":[{"code":"X","message":"no"}]}"#.into()),
            },
            ["projects"] => {
                let items: Vec<String> = self
                    .projects
                    .iter()
                    .map(|(n, r)| {
                        format!(
                            r#"{{"name":"{n}","repo_count":{},"metadata":{{"public":"true"}}}}"#,
                            r.len()
                        )
                    })
                    .collect();
                paged(&items, page, size)
            }
            ["repositories"] => {
                let items: Vec<String> = self
                    .projects
                    .iter()
                    .flat_map(|(_, repos)| repos)
                    .map(|(name, n)| {
                        format!(
                            r#"{{"name":"{name}","artifact_count":{n},"update_time":"2024-01-01T00:00:00Z"}}"#
                        )
                    })
                    .collect();
                paged(&items, page, size)
            }
            ["projects", p, "repositories"] => {
                let repos = self.repos(p);
                let items: Vec<String> = repos
                    .iter()
                    .filter(|(name, _)| {
                        q.as_ref().is_none_or(|q| {
                            q.contains(&format!("{name} ")) || q.contains(&format!("{name}}}"))
                        })
                    })
                    .map(|(name, n)| {
                        format!(
                            r#"{{"name":"{name}","artifact_count":{n},"update_time":"2024-01-01T00:00:00Z"}}"#
                        )
                    })
                    .collect();
                paged(&items, page, size)
            }
            ["projects", p, "repositories", r, "artifacts"] => {
                let full = format!("{p}/{}", percent_decode(&percent_decode(r)));
                let n = self
                    .repos(p)
                    .iter()
                    .find(|(name, _)| *name == full)
                    .map_or(0, |(_, n)| *n);
                let items: Vec<String> = (0..n).map(|i| artifact(&full, i, false)).collect();
                paged(&items, page, size)
            }
            ["projects", p, "artifacts"] => {
                let items: Vec<String> = self
                    .repos(p)
                    .iter()
                    .flat_map(|(name, n)| (0..*n).map(move |i| artifact(name, i, true)))
                    .collect();
                paged(&items, page, size)
            }
            _ => json(
                404,
                r#"{"errors":[{"code":"NOT_FOUND","message":"no route"}]}"#.into(),
            ),
        }
    }

    fn repos(&self, project: &str) -> Vec<(String, usize)> {
        self.projects
            .iter()
            .find(|(n, _)| *n == project)
            .map(|(_, r)| r.clone())
            .unwrap_or_default()
    }
}

fn digest(repo: &str, i: usize) -> String {
    format!("sha256:{}-{i}", repo.replace('/', "."))
}

fn artifact(repo: &str, i: usize, with_name: bool) -> String {
    let name = if with_name {
        format!(r#""repository_name":"{repo}","#)
    } else {
        String::new()
    };
    format!(
        r#"{{{name}"digest":"{}","type":"IMAGE","size":{i},"tags":null,"labels":null,"push_time":"2024-01-01T00:00:00Z","pull_time":"0001-01-01T00:00:00.000Z"}}"#,
        digest(repo, i)
    )
}

fn json(status: u16, body: String) -> Response {
    Response {
        status,
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("X-Request-Id".into(), "srv-1".into()),
        ],
        body: body.into_bytes(),
        protocol: Protocol::Unknown,
        arrived: None,
        sent: None,
    }
}

fn paged(items: &[String], page: usize, size: usize) -> Response {
    let start = (page - 1).saturating_mul(size).min(items.len());
    let end = (start + size).min(items.len());
    let mut response = json(200, format!("[{}]", items[start..end].join(",")));
    response
        .headers
        .push(("X-Total-Count".into(), items.len().to_string()));
    response
}

/// Yields once, so that several requests are in flight together.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

impl Transport for FakeHarbor {
    fn get(&self, req: Request) -> LocalBoxFuture<'_, Result<Response, TransportError>> {
        async move {
            self.log.borrow_mut().push(req.path.to_string());
            if let Some((n, token)) = &self.cancel_at {
                if self.log.borrow().len() == *n {
                    token.cancel();
                }
            }
            self.in_flight.set(self.in_flight.get() + 1);
            self.max_in_flight
                .set(self.max_in_flight.get().max(self.in_flight.get()));
            YieldOnce(false).await;
            self.in_flight.set(self.in_flight.get() - 1);
            let response = self.serve(&req.path);
            if response.status == 0 {
                return Err(TransportError::new(
                    NetworkErrorKind::Interrupted,
                    "connection reset",
                ));
            }
            Ok(response)
        }
        .boxed_local()
    }
}

/// Backoff sleeps finish at once (recorded); timeouts never fire.
#[derive(Default)]
struct TestClock {
    sleeps: RefCell<Vec<Duration>>,
}

impl Clock for TestClock {
    fn now(&self) -> Duration {
        Duration::ZERO
    }
    fn sleep(&self, duration: Duration) -> LocalBoxFuture<'static, ()> {
        if duration >= Duration::from_secs(30) {
            return futures::future::pending().boxed_local();
        }
        self.sleeps.borrow_mut().push(duration);
        futures::future::ready(()).boxed_local()
    }
}

fn run(
    harbor: &FakeHarbor,
    scope: Scope,
    config: CrawlConfig,
    cancel: &CancelToken,
) -> (Result<CrawlReport, CrawlError>, Vec<Event>) {
    let clock = TestClock::default();
    let crawler = Crawler::new(harbor, &clock, config);
    let mut events = Vec::new();
    let result = futures::executor::block_on(crawler.crawl(scope, cancel, |e| events.push(e)));
    (result, events)
}

fn rows_of(events: &[Event]) -> Vec<(String, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Artifacts(rows) => Some(rows),
            _ => None,
        })
        .flatten()
        .map(|r| (r.repository.to_string(), r.digest.to_string()))
        .collect()
}

/// The planner's settings when a test answers one request at a time, in order.
fn serial() -> PlanConfig {
    PlanConfig {
        max_in_flight: 1,
        ..PlanConfig::default()
    }
}

/// A planner that sends one request at a time.
fn one_at_a_time(scope: Scope) -> Planner {
    Planner::crawl(scope, serial())
}

/// Every repository of one project.
fn in_project(name: &str) -> Scope {
    Scope {
        projects: Projects::Named(vec![name.into()]),
        ..Scope::default()
    }
}

fn config(max_in_flight: usize) -> CrawlConfig {
    CrawlConfig {
        max_in_flight,
        ..CrawlConfig::default()
    }
}

// ---------------------------------------------------------------------------------
// Planner alone.

#[test]
fn discovery_then_projects_list_first() {
    let mut planner = Planner::crawl(Scope::default(), PlanConfig::default());
    let kinds: Vec<RequestKind> = std::iter::from_fn(|| planner.next_dispatch(Duration::ZERO))
        .map(|d| d.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            RequestKind::SystemInfo,
            RequestKind::CurrentUser,
            RequestKind::Projects { page: 1 }
        ]
    );
    assert_eq!(planner.progress().requests_in_flight, 3);
}

#[test]
fn in_flight_bound_is_respected_by_the_planner() {
    let scope = in_project("a");
    let mut planner = one_at_a_time(scope);
    let first = planner.next_dispatch(Duration::ZERO).unwrap();
    assert_eq!(first.kind, RequestKind::SystemInfo);
    assert_eq!(planner.next_dispatch(Duration::ZERO), None);
}

fn respond(planner: &mut Planner, status: u16, body: &str, total: Option<u64>) -> Option<Duration> {
    let d = planner.next_dispatch(Duration::ZERO).unwrap();
    let mut response = json(status, body.into());
    if let Some(t) = total {
        response
            .headers
            .push(("X-Total-Count".into(), t.to_string()));
    }
    planner.complete(d.id, Ok(response), Duration::ZERO)
}

#[test]
fn pages_come_from_artifact_count_and_x_total_count() {
    let scope = Scope {
        projects: Projects::Named(vec!["p".into()]),
        page_size: 10,
        ..Scope::default()
    };
    let mut planner = one_at_a_time(scope);
    respond(&mut planner, 200, r#"{"harbor_version":"v2.10.0-x"}"#, None);
    respond(&mut planner, 200, r#"{"username":"u"}"#, None);
    let d = planner.next_dispatch(Duration::ZERO).unwrap();
    assert_eq!(
        d.path.as_str(),
        "/api/v2.0/projects/p/repositories?page=1&page_size=100"
    );
    let repos = r#"[{"name":"p/a","artifact_count":25},{"name":"p/zero","artifact_count":0},{"name":"p/x/y","artifact_count":1}]"#;
    planner.complete(
        d.id,
        Ok(paged(&[repos[1..repos.len() - 1].to_owned()], 1, 100)),
        Duration::ZERO,
    );
    let mut paths = Vec::new();
    while let Some(d) = planner.next_dispatch(Duration::ZERO) {
        paths.push(d.path.to_string());
        // p/a reports 31 artifacts, not 25: six were pushed since the repository list.
        let (repo, total) = if d.path.as_str().contains("x%252Fy") {
            ("p/x/y", 1)
        } else {
            ("p/a", 31)
        };
        let items: Vec<String> = (0..total).map(|i| artifact(repo, i, false)).collect();
        let page: usize = d.path.param("page").unwrap().parse().unwrap();
        planner.complete(d.id, Ok(paged(&items, page, 10)), Duration::ZERO);
    }
    // 2.10 does not know with_inherited_accessory: not asked for.
    let params =
        "page_size=10&with_tag=true&with_label=true&with_scan_overview=true&with_accessory=true";
    assert_eq!(
        paths,
        [
            // Every repository's first page before the rest: rows show early.
            format!("/api/v2.0/projects/p/repositories/a/artifacts?page=1&{params}"),
            format!("/api/v2.0/projects/p/repositories/x%252Fy/artifacts?page=1&{params}"),
            format!("/api/v2.0/projects/p/repositories/a/artifacts?page=2&{params}"),
            format!("/api/v2.0/projects/p/repositories/a/artifacts?page=3&{params}"),
            format!("/api/v2.0/projects/p/repositories/a/artifacts?page=4&{params}"),
        ]
    );
    assert!(planner.is_finished());
    let report = planner.finish();
    assert_eq!(report.progress.requests_planned, 8);
    assert_eq!(
        report.progress.artifacts_expected, 32,
        "31 in p/a, 1 in p/x/y"
    );
    assert_eq!(report.discovery.strategy, Strategy::PerRepository);
    assert!(report.ledger.is_empty());
}

#[test]
fn the_next_request_goes_out_before_an_artifact_page_is_read_but_not_before_a_listing() {
    let scope = Scope {
        projects: Projects::Named(vec!["p".into(), "q".into()]),
        page_size: 10,
        ..Scope::default()
    };
    let mut planner = one_at_a_time(scope);
    respond(&mut planner, 200, r#"{"harbor_version":"v2.10.0-x"}"#, None);
    respond(&mut planner, 200, r#"{"username":"u"}"#, None);
    let repos = r#"{"name":"p/a","artifact_count":25}"#;
    respond(&mut planner, 200, &format!("[{repos}]"), Some(1));
    // p/a's pages wait behind q's listing. Its answer may add first pages of artifacts
    // that go before them: nothing goes out before it is read.
    let listing = planner.next_dispatch(Duration::ZERO).unwrap();
    assert!(listing
        .path
        .as_str()
        .starts_with("/api/v2.0/projects/q/repositories?"));
    let answer = Ok(paged(&[], 1, 100));
    planner.arrived(listing.id, &answer, Duration::ZERO);
    assert_eq!(planner.progress().requests_in_flight, 0);
    assert_eq!(
        planner.next_dispatch_ahead_of(listing.id, Duration::ZERO),
        None
    );
    planner.complete(listing.id, answer, Duration::ZERO);
    // A page of p/a: the next one goes out before it is read, and it is read after.
    let page = planner.next_dispatch(Duration::ZERO).unwrap();
    assert!(page
        .path
        .as_str()
        .contains("/repositories/a/artifacts?page=1&"));
    let items: Vec<String> = (0..25).map(|i| artifact("p/a", i, false)).collect();
    let answer = Ok(paged(&items, 1, 10));
    planner.arrived(page.id, &answer, Duration::ZERO);
    let ahead = planner
        .next_dispatch_ahead_of(page.id, Duration::ZERO)
        .unwrap();
    assert!(ahead
        .path
        .as_str()
        .contains("/repositories/a/artifacts?page=2&"));
    assert_eq!(
        planner.next_dispatch_ahead_of(page.id, Duration::ZERO),
        None,
        "one at a time"
    );
    assert_eq!(planner.complete(page.id, answer, Duration::ZERO), None);
    assert_eq!(planner.progress().artifacts_loaded, 10);
    assert_eq!(planner.progress().requests_in_flight, 1);
}

#[test]
fn robot_and_anonymous_are_not_errors() {
    for (status, principal, strategy) in [
        (412, Principal::Robot, Strategy::ProjectArtifacts),
        (401, Principal::Anonymous, Strategy::PerRepository),
    ] {
        let scope = in_project("p");
        let mut planner = Planner::crawl(scope, PlanConfig::default());
        respond(
            &mut planner,
            200,
            r#"{"harbor_version":"v2.13.1-abc","auth_mode":"db_auth"}"#,
            None,
        );
        respond(
            &mut planner,
            status,
            r#"{"errors":[{"code":"PRECONDITION","message":"robot"}]}"#,
            None,
        );
        let events = planner.drain_events();
        let discovered = events.iter().find_map(|e| match e {
            Event::Discovered(d) => Some(d.clone()),
            _ => None,
        });
        let d = discovered.unwrap();
        assert_eq!((d.principal, d.strategy), (principal, strategy));
        assert_eq!(d.version, Some((2, 13)));
        assert_eq!(planner.progress().requests_failed, 0);
    }
}

#[test]
fn retries_follow_the_policy() {
    let scope = in_project("p");
    let mut planner = one_at_a_time(scope);
    // 429 with Retry-After: wait exactly that long.
    let system = planner.next_dispatch(Duration::ZERO).unwrap();
    assert_eq!(system.kind, RequestKind::SystemInfo);
    let mut busy = json(
        429,
        r#"{"errors":[{"code":"TOO_MANY_REQUEST","message":"slow down"}]}"#.into(),
    );
    busy.headers.push(("Retry-After".into(), "3".into()));
    assert_eq!(
        planner.complete(system.id, Ok(busy), Duration::ZERO),
        Some(Duration::from_secs(3))
    );
    // While it waits, the slot goes to the next request.
    let user = planner.next_dispatch(Duration::ZERO).unwrap();
    assert_eq!(user.kind, RequestKind::CurrentUser);
    planner.requeue(system.id);
    // 404 is final at once.
    let not_found = json(
        404,
        r#"{"errors":[{"code":"NOT_FOUND","message":"gone"}]}"#.into(),
    );
    assert_eq!(
        planner.complete(user.id, Ok(not_found), Duration::from_millis(5)),
        None
    );
    let retry = planner.next_dispatch(Duration::ZERO).unwrap();
    assert_eq!((retry.kind, retry.attempt), (RequestKind::SystemInfo, 2));
    assert!(retry.request_id.ends_with("-2"));
    let events = planner.drain_events();
    let failed: Vec<&LedgerEntry> = events
        .iter()
        .filter_map(|e| {
            if let Event::Failed(f) = e {
                Some(f)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].attempts, 1);
    assert_eq!(failed[0].request_id.as_deref(), Some("srv-1"));
    assert_eq!(failed[0].failure.to_string(), "HTTP 404 NOT_FOUND: gone");
    assert_eq!(failed[0].missing_artifacts, Some(0));
    // Server errors are retried up to the cap, then final.
    let boom = || {
        json(
            500,
            r#"{"errors":[{"code":"UNKNOWN","message":"internal server error"}]}"#.into(),
        )
    };
    assert!(planner
        .complete(retry.id, Ok(boom()), Duration::ZERO)
        .is_some());
    for attempt in 3..=4 {
        planner.requeue(retry.id);
        let again = planner.next_dispatch(Duration::ZERO).unwrap();
        assert_eq!(again.attempt, attempt);
        let wait = planner.complete(again.id, Ok(boom()), Duration::ZERO);
        assert_eq!(wait.is_some(), attempt < 4);
    }
    assert_eq!(planner.progress().requests_failed, 2);
}

#[test]
fn page_arithmetic() {
    assert_eq!(plan::pages_for(0, 100), 0);
    assert_eq!(plan::pages_for(100, 100), 1);
    assert_eq!(plan::pages_for(101, 100), 2);
    assert_eq!(plan::page_items(250, 100, 3), 50);
    assert_eq!(plan::page_items(250, 100, 4), 0);
    assert_eq!(plan::page_items(250, 100, 1), 100);
}

// ---------------------------------------------------------------------------------
// Driver over the in-memory Harbor.

#[test]
fn crawls_everything_per_repository_on_2_10() {
    let harbor = FakeHarbor::new("v2.10.2-abc", 200);
    let (result, events) = run(
        &harbor,
        Scope {
            page_size: 50,
            ..Scope::default()
        },
        config(4),
        &CancelToken::new(),
    );
    let report = result.unwrap();
    let rows = rows_of(&events);
    let set: HashSet<_> = rows.iter().cloned().collect();
    assert_eq!(rows.len(), set.len(), "no duplicates");
    assert_eq!(set, harbor.expected());
    assert_eq!(
        report.progress.requests_planned as usize,
        harbor.log.borrow().len()
    );
    assert_eq!(
        report.ledger,
        Ledger {
            artifacts_expected: 1093,
            artifacts_loaded: 1093,
            ..Ledger::default()
        }
    );
    assert_eq!(harbor.max_in_flight.get(), 4);
    assert!(matches!(events.first(), Some(Event::Progress(_))));
    assert!(matches!(events.last(), Some(Event::Done(_))));
    assert!(
        !harbor
            .log
            .borrow()
            .iter()
            .any(|p| p.contains("/alpha/repositories/empty/")),
        "skipped empty repository"
    );
    assert!(
        !harbor.log.borrow().iter().any(|p| p.contains("gamma")),
        "skipped empty project"
    );
}

#[test]
fn logged_in_on_2_13_lists_per_project() {
    let harbor = FakeHarbor::new("v2.13.0-abc", 200);
    let (result, events) = run(&harbor, Scope::default(), config(6), &CancelToken::new());
    let report = result.unwrap();
    assert_eq!(report.discovery.strategy, Strategy::ProjectArtifacts);
    assert_eq!(
        rows_of(&events).into_iter().collect::<HashSet<_>>(),
        harbor.expected()
    );
    let log = harbor.log.borrow();
    assert!(log.iter().all(|p| !p.contains("/repositories")), "{log:?}");
    // systeminfo, users/current, projects, alpha: 253 in 3 pages, beta: 840 in 9 pages
    // (gamma has no repository).
    assert_eq!(log.len(), 15);
    assert_eq!(report.progress.requests_planned, 15);
}

#[test]
fn failures_land_in_the_ledger_with_what_is_missing() {
    let harbor = FakeHarbor::new("v2.10.0", 401);
    let html = Response {
        status: 502,
        headers: vec![("Content-Type".into(), "text/html".into())],
        body: b"<html><body><h1>502 Bad Gateway</h1></body></html>".to_vec(),
        protocol: Protocol::Unknown,
        arrived: None,
        sent: None,
    };
    let five = vec![html.clone(), html.clone(), html.clone(), html];
    harbor.fault("/nested%252Fb/artifacts?page=2&", five);
    harbor.fault(
        "/beta/repositories/r3/artifacts?page=1&",
        vec![json(503, "{}".into())],
    );
    harbor.fault(
        "/beta/repositories/r1/",
        vec![json(200, "[{\"digest\":".into()); 4],
    );
    harbor.fault("/beta/repositories/r2/", vec![Response::default(); 4]);
    let (result, events) = run(&harbor, Scope::default(), config(3), &CancelToken::new());
    let report = result.unwrap();
    let ledger = &report.ledger;
    let messages: Vec<String> = ledger.entries.iter().map(LedgerEntry::message).collect();
    assert_eq!(ledger.entries.len(), 3, "{messages:#?}");
    let html_entry = ledger
        .entries
        .iter()
        .find(|e| e.url.contains("nested"))
        .unwrap();
    assert_eq!(html_entry.attempts, 4);
    assert_eq!(html_entry.missing_artifacts, Some(100));
    assert_eq!(html_entry.scope.page, Some(2));
    assert_eq!(
        html_entry.scope.repository.as_deref(),
        Some("alpha/nested/b")
    );
    assert!(
        html_entry
            .message()
            .contains("HTTP 502 (body is not JSON (text/html): <html><body><h1>502 Bad Gateway"),
        "{}",
        html_entry.message()
    );
    let bad_json = ledger
        .entries
        .iter()
        .find(|e| e.url.contains("/r1/"))
        .unwrap();
    assert!(
        bad_json
            .message()
            .contains("not the expected JSON (application/json): EOF while parsing"),
        "{}",
        bad_json.message()
    );
    assert_eq!(bad_json.missing_artifacts, Some(40));
    let reset = ledger
        .entries
        .iter()
        .find(|e| e.url.contains("/r2/"))
        .unwrap();
    assert_eq!(
        reset.failure,
        Failure::Network {
            kind: NetworkErrorKind::Interrupted,
            message: "connection reset".into()
        }
    );
    assert_eq!(ledger.artifacts_missing, 100 + 40 + 80);
    assert_eq!(
        ledger.artifacts_loaded + ledger.artifacts_missing,
        ledger.artifacts_expected
    );
    assert_eq!(ledger.artifacts_expected, 1093);
    assert!(!ledger.missing_unknown);
    let failed_events = events
        .iter()
        .filter(|e| matches!(e, Event::Failed(_)))
        .count();
    assert_eq!(failed_events, 3);
    // The single 503 was retried: r3 is complete.
    assert_eq!(report.progress.retries, 3 + 1 + 3 + 3);

    // Retry failed, now that the faults are over: exactly the dataset, no duplicate.
    let mut set = RowSet::new();
    set.merge(
        events
            .into_iter()
            .filter_map(|e| {
                if let Event::Artifacts(r) = e {
                    Some(r)
                } else {
                    None
                }
            })
            .flatten(),
    );
    let clock = TestClock::default();
    let crawler = Crawler::new(&harbor, &clock, config(3));
    let before = harbor.log.borrow().len();
    let mut added = 0;
    let again =
        futures::executor::block_on(crawler.retry_failed(&report, &CancelToken::new(), |e| {
            if let Event::Artifacts(rows) = e {
                added += set.merge(rows);
            }
        }))
        .unwrap();
    assert_eq!(
        harbor.log.borrow().len() - before,
        3,
        "only the failed requests"
    );
    assert_eq!(added, 220);
    assert!(again.ledger.is_empty());
    assert_eq!(again.ledger.artifacts_expected, 220);
    let all: HashSet<(String, String)> = set
        .rows()
        .iter()
        .map(|r| (r.repository.to_string(), r.digest.to_string()))
        .collect();
    assert_eq!(set.len(), all.len());
    assert_eq!(all, harbor.expected());
}

#[test]
fn cancel_stops_everything() {
    let token = CancelToken::new();
    let mut harbor = FakeHarbor::new("v2.10.0", 200);
    harbor.cancel_at = Some((6, token.clone()));
    let (result, events) = run(&harbor, Scope::default(), config(2), &token);
    assert_eq!(result, Err(CrawlError::Cancelled));
    assert_eq!(harbor.log.borrow().len(), 6, "no request after the cancel");
    assert!(!events.iter().any(|e| matches!(e, Event::Done(_))));
}

#[test]
fn invalid_scope_sends_nothing() {
    let harbor = FakeHarbor::new("v2.10.0", 200);
    let (result, events) = run(
        &harbor,
        Scope {
            page_size: 500,
            ..Scope::default()
        },
        config(2),
        &CancelToken::new(),
    );
    assert_eq!(result, Err(CrawlError::Scope(ScopeError::PageSize(500))));
    assert!(events.is_empty());
    assert!(harbor.log.borrow().is_empty());
}

#[test]
fn repository_filter_goes_to_the_server() {
    let harbor = FakeHarbor::new("v2.13.0", 200);
    let scope = Scope {
        projects: Projects::Named(vec!["beta".into()]),
        repositories: vec!["r2".into(), "r5".into()],
        ..Scope::default()
    };
    let (result, events) = run(&harbor, scope, config(6), &CancelToken::new());
    let report = result.unwrap();
    assert_eq!(
        report.discovery.strategy,
        Strategy::PerRepository,
        "a repository filter needs per-repository listing"
    );
    let repos: HashSet<String> = rows_of(&events).into_iter().map(|(r, _)| r).collect();
    assert_eq!(
        repos,
        HashSet::from(["beta/r2".to_owned(), "beta/r5".to_owned()])
    );
    assert_eq!(report.ledger.artifacts_loaded, 80 + 200);
    let log = harbor.log.borrow();
    assert!(
        log.iter()
            .any(|p| p.ends_with("q=name%3D%7Bbeta%2Fr2%20beta%2Fr5%7D")),
        "{log:?}"
    );
}

#[test]
fn vulnerability_reports_only_for_successful_scans() {
    use crate::slim::{ScanStatus, ScanSummary};
    let harbor = FakeHarbor::new("v2.13.0", 200);
    harbor.fault(
        "/additions/vulnerabilities",
        vec![json(200, r#"{"application/vnd.security.vulnerability.report; version=1.1":{"vulnerabilities":[{"id":"CVE-1","severity":"High"}]}}"#.into())],
    );
    let mut row = crate::model::Artifact {
        digest: "sha256:1".into(),
        ..Default::default()
    }
    .into_row("p", Some("p/a/b"), &mut crate::model::Interner::default())
    .unwrap();
    let mut unscanned = row.clone();
    unscanned.digest = "sha256:2".into();
    row.scan = ScanSummary {
        status: ScanStatus::Success,
        ..ScanSummary::NOT_SCANNED
    };
    let clock = TestClock::default();
    let crawler = Crawler::new(&harbor, &clock, config(2));
    let mut reports = Vec::new();
    let report = futures::executor::block_on(crawler.vulnerabilities(
        &[row, unscanned],
        &CancelToken::new(),
        |e| {
            if let Event::Report(r) = e {
                reports.push(r);
            }
        },
    ))
    .unwrap();
    assert_eq!(harbor.log.borrow().as_slice(), ["/api/v2.0/projects/p/repositories/a%252Fb/artifacts/sha256%3A1/additions/vulnerabilities"]);
    assert_eq!(reports.len(), 1);
    assert_eq!(&*reports[0].vulnerabilities[0].id, "CVE-1");
    assert!(report.ledger.is_empty());
}

#[test]
fn backoff_sleeps_are_used() {
    let harbor = FakeHarbor::new("v2.10.0", 200);
    harbor.fault(
        "/projects?page=1",
        vec![
            json(
                500,
                r#"{"errors":[{"code":"UNKNOWN","message":"internal server error"}]}"#.into()
            );
            2
        ],
    );
    let clock = TestClock::default();
    let crawler = Crawler::new(&harbor, &clock, config(6));
    let report =
        futures::executor::block_on(crawler.crawl(Scope::default(), &CancelToken::new(), |_| {}))
            .unwrap();
    assert!(report.ledger.is_empty());
    let sleeps = clock.sleeps.borrow();
    // Two backoffs (200 ms ± jitter, then 400 ms ± jitter); the rest are timeouts that never fired.
    let backoffs: Vec<&Duration> = sleeps
        .iter()
        .filter(|d| **d < Duration::from_secs(1))
        .collect();
    assert_eq!(backoffs.len(), 2, "{sleeps:?}");
    assert!(
        *backoffs[0] >= Duration::from_millis(100) && *backoffs[0] <= Duration::from_millis(200)
    );
    assert!(
        *backoffs[1] >= Duration::from_millis(200) && *backoffs[1] <= Duration::from_millis(400)
    );
}

#[test]
fn failed_discovery_still_crawls_everything_per_repository() {
    let harbor = FakeHarbor::new("v2.13.0", 200);
    let boom = json(
        500,
        r#"{"errors":[{"code":"UNKNOWN","message":"internal server error"}]}"#.into(),
    );
    harbor.fault("/systeminfo", vec![boom; 4]);
    let (result, events) = run(&harbor, Scope::default(), config(6), &CancelToken::new());
    let report = result.unwrap();
    assert_eq!(report.discovery.version, None);
    assert_eq!(
        report.discovery.strategy,
        Strategy::PerRepository,
        "version unknown: the safe way"
    );
    assert_eq!(
        rows_of(&events).into_iter().collect::<HashSet<_>>(),
        harbor.expected()
    );
    assert_eq!(report.ledger.entries.len(), 1);
    assert_eq!(report.ledger.entries[0].missing_artifacts, Some(0));
    assert_eq!(
        report.ledger.entries[0].missing_part(),
        "Harbor version (system info)"
    );
    assert!(!report.ledger.missing_unknown);
}

#[test]
fn a_failed_repository_list_leaves_an_unknown_gap() {
    let harbor = FakeHarbor::new("v2.10.0", 200);
    harbor.fault(
        "/projects/beta/repositories?page=1&",
        vec![json(
            403,
            r#"{"errors":[{"code":"FORBIDDEN","message":"forbidden"}]}"#.into(),
        )],
    );
    let (result, events) = run(&harbor, Scope::default(), config(6), &CancelToken::new());
    let report = result.unwrap();
    let entry = &report.ledger.entries[0];
    assert_eq!(
        (report.ledger.entries.len(), entry.attempts),
        (1, 1),
        "403 is not retried"
    );
    assert_eq!(entry.missing_artifacts, None);
    assert_eq!(
        entry.missing_part(),
        "page 1 of repositories of project beta"
    );
    assert!(
        entry
            .message()
            .ends_with("an unknown number of artifacts not loaded [request srv-1]"),
        "{}",
        entry.message()
    );
    assert!(report.ledger.missing_unknown);
    assert_eq!(rows_of(&events).len(), 253, "alpha only");
    assert_eq!(report.ledger.artifacts_expected, 253);
}

#[test]
fn without_x_total_count_full_pages_ask_for_the_next() {
    let scope = Scope {
        projects: Projects::Named(vec!["p".into()]),
        page_size: 2,
        tag: Some("v1".into()),
        ..Scope::default()
    };
    let mut planner = one_at_a_time(scope);
    respond(&mut planner, 200, r#"{"harbor_version":"v2.10.0"}"#, None);
    respond(&mut planner, 401, "", None);
    respond(
        &mut planner,
        200,
        r#"[{"name":"p/a","artifact_count":9}]"#,
        Some(1),
    );
    let full = r#"[{"digest":"sha256:1"},{"digest":"sha256:2"}]"#;
    let d = planner.next_dispatch(Duration::ZERO).unwrap();
    assert!(
        d.path.as_str().ends_with(
            "page=1&page_size=2&with_tag=true&with_label=true&with_scan_overview=true\
             &with_accessory=true&q=tags%3Dv1"
        ),
        "{}",
        d.path
    );
    planner.complete(d.id, Ok(json(200, full.into())), Duration::ZERO);
    let d = planner.next_dispatch(Duration::ZERO).unwrap();
    assert!(d.path.as_str().contains("page=2&"));
    planner.complete(
        d.id,
        Ok(json(200, r#"[{"digest":"sha256:3"}]"#.into())),
        Duration::ZERO,
    );
    assert_eq!(planner.next_dispatch(Duration::ZERO), None);
    assert!(planner.is_finished());
    assert_eq!(planner.finish().progress.artifacts_loaded, 3);
}

/// Drives one repository's artifact listing with `max_in_flight` 1, where `push`
/// says how many artifacts are pushed (to the front, newest first, as Harbor sorts)
/// after each answered page. Returns the planner's report and the digests loaded.
fn shifting_listing(initial: usize, push: impl Fn(usize) -> usize) -> (CrawlReport, Vec<String>) {
    let scope = Scope {
        projects: Projects::Named(vec!["p".into()]),
        page_size: 10,
        ..Scope::default()
    };
    let mut planner = one_at_a_time(scope);
    respond(&mut planner, 200, r#"{"harbor_version":"v2.10.0"}"#, None);
    respond(&mut planner, 200, r#"{"username":"u"}"#, None);
    let repos = format!(r#"[{{"name":"p/a","artifact_count":{initial}}}]"#);
    respond(&mut planner, 200, &repos, Some(1));
    // Newest first: index 0 is the last pushed.
    let mut items: Vec<String> = (0..initial)
        .rev()
        .map(|i| artifact("p/a", i, false))
        .collect();
    let mut pushed = initial;
    let mut answered = 0;
    let mut loaded = Vec::new();
    while let Some(d) = planner.next_dispatch(Duration::ZERO) {
        let page: usize = d.path.param("page").unwrap().parse().unwrap();
        planner.complete(d.id, Ok(paged(&items, page, 10)), Duration::ZERO);
        answered += 1;
        for _ in 0..push(answered) {
            items.insert(0, artifact("p/a", pushed, false));
            pushed += 1;
        }
        for event in planner.drain_events() {
            if let Event::Artifacts(rows) = event {
                loaded.extend(rows.iter().map(|r| r.digest.to_string()));
            }
        }
    }
    assert!(planner.is_finished());
    (planner.finish(), loaded)
}

#[test]
fn a_listing_that_changed_while_read_is_read_again() {
    // Two pushes after page 2: pages 3 and 4 report 37, page 1 and 2 said 35. The two
    // new artifacts sit on page 1, already read; only a second pass finds them.
    let (report, loaded) = shifting_listing(35, |n| if n == 2 { 2 } else { 0 });
    let unique: HashSet<&String> = loaded.iter().collect();
    assert_eq!(unique.len(), loaded.len(), "no artifact twice");
    for i in 0..37 {
        assert!(
            unique.contains(&digest("p/a", i)),
            "artifact {i} missing: {loaded:?}"
        );
    }
    assert!(report.ledger.is_empty(), "{:?}", report.ledger.entries);
    // Four pages, then a second pass over four pages (37 rows).
    assert_eq!(report.progress.requests_done, 3 + 4 + 4);
    assert_eq!(report.progress.artifacts_loaded, 37);
    assert_eq!(report.ledger.artifacts_loaded, 37);
    assert_eq!(report.progress.artifacts_expected, 37);
}

#[test]
fn a_steady_listing_is_read_once() {
    let (report, loaded) = shifting_listing(35, |_| 0);
    assert_eq!(loaded.len(), 35);
    assert_eq!(report.progress.requests_done, 3 + 4);
}

#[test]
fn a_listing_that_never_settles_goes_to_the_ledger() {
    let (report, loaded) = shifting_listing(35, |_| 1);
    let unique: HashSet<&String> = loaded.iter().collect();
    assert_eq!(unique.len(), loaded.len(), "no artifact twice");
    let entries = &report.ledger.entries;
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry = &entries[0];
    assert_eq!(
        entry.failure,
        Failure::KeptChanging {
            passes: plan::MAX_PASSES
        }
    );
    assert_eq!(
        entry.kind,
        RequestKind::Artifacts {
            project: "p".into(),
            repository: "p/a".into(),
            page: 1
        }
    );
    assert!(entry.failure.to_string().contains("kept changing"));
    assert_eq!(entry.missing_artifacts, None);
    assert!(
        report.ledger.missing_unknown,
        "the page says the count is unknown"
    );
}

#[test]
fn hostile_links_never_send_a_request_elsewhere() {
    // Every artifact page of `alpha/nested/b` carries a Link header and addition_links
    // pointing off the API; the crawl and the report run must still only ask for
    // `/api/v2.0/...` paths they built themselves.
    let harbor = FakeHarbor::new("v2.10.0", 200);
    let hostile_artifact = |i: usize| {
        format!(
            r#"{{"digest":"sha256:h{i}","scan_overview":{{"application/vnd.security.vulnerability.report; version=1.1":{{"scan_status":"Success","severity":"High"}}}},"addition_links":{{"vulnerabilities":{{"href":"http://evil.example/api/v2.0/x","absolute":true}},"build_history":{{"href":"//evil.example/y"}},"sbom":{{"href":"/api/v2.0/../../etc/passwd"}}}}}}"#
        )
    };
    let body = format!(
        "[{}]",
        (0..3).map(hostile_artifact).collect::<Vec<_>>().join(",")
    );
    let mut page = json(200, body);
    page.headers.push(("X-Total-Count".into(), "3".into()));
    page.headers.push((
        "Link".into(),
        r#"<http://evil.example/api/v2.0/projects?page=2>; rel="next", <//evil.example/api/v2.0/x>; rel="prev""#.into(),
    ));
    harbor.fault("repositories/nested%252Fb/artifacts", vec![page]);
    let (result, events) = run(&harbor, Scope::default(), config(4), &CancelToken::new());
    assert!(result.is_ok());
    let rows: Vec<ArtifactRow> = events
        .iter()
        .filter_map(|e| match e {
            Event::Artifacts(rows) => Some(rows.clone()),
            _ => None,
        })
        .flatten()
        .filter(|r| r.digest.starts_with("sha256:h"))
        .collect();
    assert_eq!(rows.len(), 3);
    let clock = TestClock::default();
    let crawler = Crawler::new(&harbor, &clock, config(2));
    futures::executor::block_on(crawler.vulnerabilities(&rows, &CancelToken::new(), |_| {}))
        .unwrap();
    let log = harbor.log.borrow();
    assert!(log
        .iter()
        .any(|p| p.ends_with("/additions/vulnerabilities")));
    for path in log.iter() {
        assert!(path.starts_with("/api/v2.0/"), "{path}");
        assert!(!path.contains("evil") && !path.contains("/../"), "{path}");
    }
}

// ---------------------------------------------------------------------------------
// Repository stamps and refresh.

fn stamps_of(events: &[Event]) -> Vec<RepoStamp> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Repositories(stamps) => Some(stamps.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

#[test]
fn project_level_crawl_lists_repository_stamps_after_every_artifact_page() {
    let harbor = FakeHarbor::new("v2.13.0", 200);
    let stamped = CrawlConfig {
        repository_stamps: true,
        ..config(1)
    };
    let (result, events) = run(&harbor, Scope::default(), stamped, &CancelToken::new());
    assert!(result.unwrap().ledger.is_empty());
    assert_eq!(rows_of(&events).len(), harbor.expected().len());
    let mut names: Vec<String> = stamps_of(&events).into_iter().map(|s| s.name).collect();
    names.sort();
    assert_eq!(
        names.len(),
        10,
        "every repository, the empty one too: {names:?}"
    );
    let log = harbor.log.borrow();
    let last_artifacts = log.iter().rposition(|p| p.contains("/artifacts?")).unwrap();
    let first_stamps = log
        .iter()
        .position(|p| p.starts_with("/api/v2.0/repositories?"))
        .unwrap();
    assert!(first_stamps > last_artifacts, "{log:#?}");
    drop(log);

    // Without the option a project-level crawl lists no repository.
    let plain = FakeHarbor::new("v2.13.0", 200);
    let (_, events) = run(&plain, Scope::default(), config(1), &CancelToken::new());
    assert!(stamps_of(&events).is_empty());
    assert!(!plain
        .log
        .borrow()
        .iter()
        .any(|p| p.contains("repositories?")));
}

#[test]
fn refresh_lists_artifacts_only_where_a_stamp_changed() {
    let harbor = FakeHarbor::new("v2.10.0", 200);
    let (_, events) = run(&harbor, Scope::default(), config(4), &CancelToken::new());
    let mut known = stamps_of(&events);
    assert_eq!(known.len(), 10);
    // beta/r3 changed since; alpha/a was never seen.
    for stamp in &mut known {
        if stamp.name == "beta/r3" {
            stamp.artifact_count = Some(1);
        }
    }
    known.retain(|s| s.name != "alpha/a");
    let again = FakeHarbor::new("v2.10.0", 200);
    let clock = TestClock::default();
    let crawler = Crawler::new(&again, &clock, config(4));
    let mut events = Vec::new();
    let report = futures::executor::block_on(crawler.refresh(
        Scope::default(),
        known,
        &CancelToken::new(),
        |e| events.push(e),
    ))
    .unwrap();
    assert!(report.ledger.is_empty());
    assert_eq!(report.discovery.strategy, Strategy::PerRepository);
    let log = again.log.borrow();
    assert!(
        !log.iter().any(|p| p.starts_with("/api/v2.0/projects?")),
        "{log:#?}"
    );
    let mut listed: Vec<&str> = log
        .iter()
        .filter(|p| p.contains("/artifacts?"))
        .map(|p| {
            p.split("/repositories/")
                .nth(1)
                .unwrap()
                .split('/')
                .next()
                .unwrap()
        })
        .collect();
    listed.sort();
    listed.dedup();
    assert_eq!(listed, ["a", "r3"], "{log:#?}");
    let mut rows = rows_of(&events);
    rows.sort();
    let mut want: Vec<(String, String)> = again
        .expected()
        .into_iter()
        .filter(|(repo, _)| repo == "alpha/a" || repo == "beta/r3")
        .collect();
    want.sort();
    assert_eq!(rows, want);
    assert_eq!(stamps_of(&events).len(), 10);
}

// ---------------------------------------------------------------------------------
// A crawl after connecting: discovery given, `/repositories` for every project.

fn known(version: (u32, u32), principal: Principal) -> Discovery {
    Discovery {
        harbor_version: Some(format!("v{}.{}.0-abc", version.0, version.1)),
        version: Some(version),
        auth_mode: Some("db_auth".into()),
        principal,
        // Whatever the connection chose: the crawl decides again for its scope.
        strategy: Strategy::ProjectArtifacts,
    }
}

fn user() -> Principal {
    Principal::User {
        username: "alice".into(),
        sysadmin: false,
    }
}

fn run_known(
    harbor: &FakeHarbor,
    scope: Scope,
    discovery: Discovery,
) -> (Result<CrawlReport, CrawlError>, Vec<Event>) {
    let clock = TestClock::default();
    let crawler = Crawler::new(harbor, &clock, config(4));
    let mut events = Vec::new();
    let cancel = CancelToken::new();
    let crawl = crawler.crawl_with(scope, discovery, &cancel, |e| events.push(e));
    let result = futures::executor::block_on(crawl);
    (result, events)
}

#[test]
fn a_known_discovery_is_not_asked_again_and_repositories_come_in_one_listing() {
    for principal in [user(), Principal::Anonymous] {
        let harbor = FakeHarbor::new("v2.10.0", 200);
        let (result, events) = run_known(&harbor, Scope::default(), known((2, 10), principal));
        let report = result.unwrap();
        assert!(report.ledger.is_empty());
        assert_eq!(report.discovery.strategy, Strategy::PerRepository);
        assert!(matches!(events.first(), Some(Event::Discovered(_))));
        let got: HashSet<_> = rows_of(&events).into_iter().collect();
        assert_eq!(got, harbor.expected());
        let log = harbor.log.borrow();
        assert!(!log.iter().any(|p| p.contains("/systeminfo")), "{log:#?}");
        assert!(!log.iter().any(|p| p.contains("/users/current")));
        assert!(!log.iter().any(|p| p.contains("/projects?")), "{log:#?}");
        assert!(log[0].starts_with("/api/v2.0/repositories?page=1&"));
        drop(log);
        // `/repositories`, then artifact pages planned from `artifact_count`: one round
        // trip less than asking who we are and listing each project's repositories.
        let plain = FakeHarbor::new("v2.10.0", 200);
        let (asked, _) = run(&plain, Scope::default(), config(4), &CancelToken::new());
        assert_eq!(report.critical_path, asked.unwrap().critical_path - 1);
    }
}

#[test]
fn a_robot_lists_per_project_because_repositories_shows_it_only_public_ones() {
    let harbor = FakeHarbor::new("v2.10.0", 412);
    let (result, events) = run_known(&harbor, Scope::default(), known((2, 10), Principal::Robot));
    assert!(result.unwrap().ledger.is_empty());
    let got: HashSet<_> = rows_of(&events).into_iter().collect();
    assert_eq!(got, harbor.expected());
    let log = harbor.log.borrow();
    assert!(log[0].starts_with("/api/v2.0/projects?page=1&"), "{log:#?}");
    assert!(!log.iter().any(|p| p.starts_with("/api/v2.0/repositories?")));
    assert!(!log.iter().any(|p| p.contains("/systeminfo")));
}

#[test]
fn a_known_modern_harbor_lists_artifacts_per_project_without_discovery() {
    let harbor = FakeHarbor::new("v2.13.0", 200);
    let (result, events) = run_known(&harbor, Scope::default(), known((2, 13), user()));
    let report = result.unwrap();
    assert_eq!(report.discovery.strategy, Strategy::ProjectArtifacts);
    let got: HashSet<_> = rows_of(&events).into_iter().collect();
    assert_eq!(got, harbor.expected());
    let log = harbor.log.borrow();
    assert!(!log
        .iter()
        .any(|p| p.contains("/systeminfo") || p.contains("/users/")));
    assert!(log.iter().any(|p| p.contains("/projects/alpha/artifacts?")));
    // A repository filter needs the listing per repository, still without discovery.
    drop(log);
    let filtered = FakeHarbor::new("v2.13.0", 200);
    let scope = in_project("beta");
    let (result, _) = run_known(&filtered, scope.clone(), known((2, 10), user()));
    assert!(filtered.log.borrow()[0].starts_with("/api/v2.0/projects/beta/repositories?"));
    let plain = FakeHarbor::new("v2.10.0", 200);
    let (asked, _) = run(&plain, scope, config(4), &CancelToken::new());
    assert_eq!(
        result.unwrap().critical_path,
        asked.unwrap().critical_path - 1,
        "no round trip for discovery"
    );
}

#[test]
fn first_artifact_pages_go_before_the_remaining_repository_pages() {
    let mut planner = Planner::crawl_known(Scope::default(), known((2, 10), user()), serial());
    let d = planner.next_dispatch(Duration::ZERO).unwrap();
    assert_eq!(d.kind, RequestKind::AllRepositories { page: 1 });
    let repos: Vec<String> = (0..100)
        .map(|i| format!(r#"{{"name":"p{}/r{i}","artifact_count":150}}"#, i % 3))
        .collect();
    let mut first = json(200, format!("[{}]", repos.join(",")));
    first.headers.push(("X-Total-Count".into(), "250".into()));
    planner.complete(d.id, Ok(first), Duration::ZERO);
    let mut order = Vec::new();
    while let Some(d) = planner.next_dispatch(Duration::ZERO) {
        order.push(d.kind.clone());
        planner.complete(d.id, Ok(json(200, "[]".into())), Duration::ZERO);
        if order.len() == 110 {
            break;
        }
    }
    let first_pages = order
        .iter()
        .take_while(|k| matches!(k, RequestKind::Artifacts { page: 1, .. }))
        .count();
    assert_eq!(first_pages, 100, "{order:?}");
    assert_eq!(order[100], RequestKind::AllRepositories { page: 2 });
    assert_eq!(order[101], RequestKind::AllRepositories { page: 3 });
}

#[test]
fn the_limit_is_in_progress_and_a_429_lowers_it() {
    let mut planner = Planner::crawl(Scope::default(), PlanConfig::default());
    assert_eq!(planner.progress().limit, 6);
    let mut sent = Vec::new();
    while let Some(d) = planner.next_dispatch(Duration::ZERO) {
        sent.push(d.id);
    }
    let limited = Response {
        status: 429,
        headers: vec![("Retry-After".into(), "1".into())],
        protocol: Protocol::Http2,
        ..Response::default()
    };
    let wait = planner.complete(sent[0], Ok(limited), Duration::from_millis(40));
    assert_eq!(
        wait,
        Some(Duration::from_secs(1)),
        "Retry-After still rules"
    );
    assert_eq!(planner.progress().limit, 3);
    let progress = planner
        .drain_events()
        .into_iter()
        .rev()
        .find_map(|e| match e {
            Event::Progress(p) => Some(p),
            _ => None,
        })
        .unwrap();
    assert_eq!(progress.limit, 3);
}

#[test]
fn a_known_refresh_asks_nothing_about_the_harbor_and_picks_its_method() {
    let stamp = RepoStamp {
        name: "p/a".into(),
        artifact_count: Some(3),
        update_time: "2026-05-01T10:00:00.000Z".into(),
    };
    let known = |version: &str| Discovery {
        harbor_version: Some(version.into()),
        version: crate::model::parse_version(version),
        principal: Principal::User {
            username: "admin".into(),
            sysadmin: true,
        },
        ..Discovery::default()
    };
    for (version, by_update_time) in [("v2.16.0-abc", true), ("v2.13.1-abc", false)] {
        let mut planner = Planner::refresh_known(
            Scope::default(),
            vec![stamp.clone()],
            known(version),
            PlanConfig::default(),
        );
        let mut kinds = Vec::new();
        while let Some(d) = planner.next_dispatch(Duration::ZERO) {
            kinds.push(d.kind);
        }
        assert!(!kinds.is_empty(), "{version}: the refresh lists at once");
        assert!(
            kinds
                .iter()
                .all(|k| !matches!(k, RequestKind::SystemInfo | RequestKind::CurrentUser)),
            "{version}: {kinds:?}"
        );
        let changed = kinds
            .iter()
            .any(|k| matches!(k, RequestKind::ChangedRepositories { .. }));
        assert_eq!(changed, by_update_time, "{version}: {kinds:?}");
    }
}

#[test]
fn a_robots_refresh_lists_project_by_project() {
    // Harbor's `/repositories` shows a robot only public projects: a refresh that used
    // it would take the robot's private repositories for deleted.
    let robot = Discovery {
        harbor_version: Some("v2.16.0-abc".into()),
        version: Some((2, 16)),
        principal: Principal::Robot,
        ..Discovery::default()
    };
    let stamp = RepoStamp {
        name: "p/a".into(),
        artifact_count: Some(3),
        update_time: "2026-05-01T10:00:00.000Z".into(),
    };
    let mut planner =
        Planner::refresh_known(Scope::default(), vec![stamp], robot, PlanConfig::default());
    let mut kinds = Vec::new();
    while let Some(d) = planner.next_dispatch(Duration::ZERO) {
        kinds.push(d.kind);
    }
    assert!(
        matches!(kinds.as_slice(), [RequestKind::Projects { page: 1 }]),
        "{kinds:?}"
    );
}

#[test]
fn a_robots_crawl_lists_its_stamps_project_by_project() {
    let robot = Discovery {
        harbor_version: Some("v2.16.0-abc".into()),
        version: Some((2, 16)),
        principal: Principal::Robot,
        ..Discovery::default()
    };
    let config = PlanConfig {
        repository_stamps: true,
        ..PlanConfig::default()
    };
    let mut planner = Planner::crawl_known(Scope::default(), robot, config);
    let Some(first) = planner.next_dispatch(Duration::ZERO) else {
        panic!("nothing to send");
    };
    assert_eq!(first.kind, RequestKind::Projects { page: 1 });
    assert!(
        planner.next_dispatch(Duration::ZERO).is_none(),
        "no /repositories listing"
    );
    let mut projects = json(
        200,
        r#"[{"name":"team","project_id":2,"repo_count":3}]"#.into(),
    );
    projects.headers.push(("X-Total-Count".into(), "1".into()));
    planner.complete(first.id, Ok(projects), Duration::ZERO);
    let mut kinds = Vec::new();
    while let Some(d) = planner.next_dispatch(Duration::ZERO) {
        kinds.push(d.kind);
    }
    assert!(
        kinds.iter().any(
            |k| matches!(k, RequestKind::Repositories { project, .. } if &**project == "team")
        ),
        "{kinds:?}"
    );
    assert!(
        !kinds
            .iter()
            .any(|k| matches!(k, RequestKind::AllRepositories { .. })),
        "{kinds:?}"
    );
}
