//! Acceptance tests of the crawl engine against the simulated Harbor, over real sockets.

mod common;

use common::{sim, Key};

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use futures::future::LocalBoxFuture;
use harbor_client::crawl::{
    CrawlConfig, CrawlError, CrawlReport, Crawler, Credentials, Event, Failure, Projects,
    RetryPolicy, RowSet, Scope, Strategy,
};
use harbor_client::native::{NativeTransport, TokioClock};
use harbor_client::slim::{ArtifactRow, ScanStatus};
use harbor_client::transport::{
    CancelToken, NetworkErrorKind, Request, Response, Transport, TransportError,
};
use harbor_client::url::ApiPath;
use harbor_sim::{FaultKind, FaultPlan, FaultRule, HarborVersion, Preset, SimConfig, SimHandle};

/// Who crawls: `None` is anonymous.
const PRINCIPALS: [Option<(&str, &str)>; 4] = [
    None,
    Some(("admin", "Harbor12345")),
    Some(("alice", "Alice12345")),
    Some(("robot$lens-audit", "RobotSecret1")),
];

/// The user name of `who`, `None` for anonymous.
fn user<'a>(who: Option<(&'a str, &str)>) -> Option<&'a str> {
    who.map(|(name, _)| name)
}

fn config(who: Option<(&str, &str)>, max_in_flight: usize) -> CrawlConfig {
    CrawlConfig {
        max_in_flight,
        credentials: who.map(|(u, p)| Credentials::new(u, p)),
        retry: RetryPolicy {
            base_delay: Duration::from_millis(20),
            ..RetryPolicy::default()
        },
        ..CrawlConfig::default()
    }
}

struct Run {
    result: Result<CrawlReport, CrawlError>,
    rows: Vec<ArtifactRow>,
    events: Vec<Event>,
}

impl Run {
    fn keys(&self) -> HashSet<Key> {
        self.rows
            .iter()
            .map(|r| (r.repository.to_string(), r.digest.to_string()))
            .collect()
    }

    fn report(&self) -> &CrawlReport {
        self.result.as_ref().expect("crawl finished")
    }
}

async fn crawl_with<T: Transport>(
    transport: T,
    config: CrawlConfig,
    scope: Scope,
    cancel: &CancelToken,
) -> Run {
    let crawler = Crawler::new(transport, TokioClock::new(), config);
    let mut rows = Vec::new();
    let mut events = Vec::new();
    let result = crawler
        .crawl(scope, cancel, |event| {
            if let Event::Artifacts(batch) = &event {
                rows.extend(batch.iter().cloned());
            }
            events.push(event);
        })
        .await;
    Run {
        result,
        rows,
        events,
    }
}

async fn crawl(handle: &SimHandle, config: CrawlConfig, scope: Scope) -> Run {
    let transport = NativeTransport::new(&handle.base_url()).expect("client");
    crawl_with(transport, config, scope, &CancelToken::new()).await
}

/// Crawls as every principal and checks the exact artifact set and request count.
async fn exact_dataset(preset: Preset) {
    for version in [HarborVersion::V2_10, HarborVersion::V2_13] {
        let handle = sim(preset, version).await;
        for who in PRINCIPALS {
            handle.sim().reset_stats();
            let run = crawl(&handle, config(who, 6), Scope::default()).await;
            let report = run.report();
            let expected = handle.truth_keys::<HashSet<Key>>(user(who));
            let label = format!("{preset:?} {version} {:?}", who.map(|w| w.0));
            assert!(!expected.is_empty(), "{label}: the dataset shows something");
            assert_eq!(
                run.rows.len(),
                expected.len(),
                "{label}: count (no duplicate)"
            );
            assert_eq!(run.keys(), expected, "{label}: set of repository+digest");
            assert!(
                report.ledger.is_empty(),
                "{label}: {:?}",
                report.ledger.entries
            );
            assert_eq!(
                report.ledger.artifacts_expected,
                expected.len() as u64,
                "{label}"
            );
            assert_eq!(
                report.ledger.artifacts_loaded,
                expected.len() as u64,
                "{label}"
            );
            let stats = handle.sim().stats();
            assert_eq!(
                stats.requests_total, report.progress.requests_planned,
                "{label}: requests == plan"
            );
            assert_eq!(report.progress.retries, 0, "{label}");
            assert!(
                matches!(run.events.last(), Some(Event::Done(r)) if r == report),
                "{label}: Done last"
            );
            let discovered = run
                .events
                .iter()
                .position(|e| matches!(e, Event::Discovered(_)));
            let first_rows = run
                .events
                .iter()
                .position(|e| matches!(e, Event::Artifacts(_)));
            assert!(discovered < first_rows, "{label}: Discovered before rows");
            let project_level = version == HarborVersion::V2_13 && who.is_some();
            let strategy = if project_level {
                Strategy::ProjectArtifacts
            } else {
                Strategy::PerRepository
            };
            assert_eq!(report.discovery.strategy, strategy, "{label}");
            let per_project = stats.by_route.keys().any(|r| {
                r.contains("/projects/{project_name}/artifacts")
                    || r.ends_with("}/artifacts") && !r.contains("repositories")
            });
            assert_eq!(per_project, project_level, "{label}: {:?}", stats.by_route);
            assert!(
                stats.by_route.keys().all(|r| !r.contains("page_size")),
                "never page_size in a route"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exact_dataset_tiny() {
    exact_dataset(Preset::Tiny).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exact_dataset_small() {
    exact_dataset(Preset::Small).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exact_dataset_medium() {
    exact_dataset(Preset::Medium).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_flight_bound_is_kept_and_reached() {
    let handle = harbor_sim::spawn(SimConfig {
        preset: Preset::Small,
        version: HarborVersion::V2_10,
        latency: Duration::from_millis(15),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    for bound in [1, 3, 5] {
        handle.sim().reset_stats();
        let run = crawl(&handle, config(None, bound), Scope::default()).await;
        assert!(run.report().ledger.is_empty());
        assert_eq!(
            handle.sim().stats().max_in_flight,
            bound as u64,
            "bound {bound}"
        );
    }
}

/// A glob for the first page of a repository's artifacts, as this client sends it.
fn first_page(project: &str, repository: &str) -> String {
    format!("{}?page=1&*", ApiPath::artifacts(project, repository))
}

/// Repositories with artifacts, largest first.
fn repositories(handle: &SimHandle, who: Option<(&str, &str)>) -> Vec<(String, String, usize)> {
    let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    for row in handle.truth_for(user(who)) {
        *counts.entry((row.project, row.repository)).or_default() += 1;
    }
    let mut list: Vec<(String, String, usize)> =
        counts.into_iter().map(|((p, r), n)| (p, r, n)).collect();
    list.sort_by(|a, b| b.2.cmp(&a.2).then(a.1.cmp(&b.1)));
    list
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_plan_matches_the_ledger_and_retry_completes() {
    let handle = sim(Preset::Small, HarborVersion::V2_10).await;
    let who = Some(("admin", "Harbor12345"));
    let repos = repositories(&handle, who);
    let nested = repos
        .iter()
        .find(|r| r.1.matches('/').count() >= 2)
        .expect("a nested repository")
        .clone();
    let others: Vec<_> = repos
        .iter()
        .filter(|r| r.1 != nested.1)
        .take(4)
        .cloned()
        .collect();
    let rule = |r: &(String, String, usize), kind| FaultRule::new(first_page(&r.0, &r.1), kind);
    let plan = FaultPlan {
        rules: vec![
            rule(&nested, FaultKind::Http500),
            rule(&others[0], FaultKind::Http502),
            rule(&others[1], FaultKind::Http429).times(1),
            rule(&others[2], FaultKind::Http503).times(1),
            rule(&others[3], FaultKind::Http503),
        ],
        ..FaultPlan::default()
    };
    handle.sim().set_faults(plan);
    handle.sim().reset_stats();
    let run = crawl(&handle, config(who, 6), Scope::default()).await;
    let report = run.report().clone();
    let stats = handle.sim().stats();

    // Every URL the simulator failed on every attempt is in the ledger exactly once.
    let mut injected: BTreeMap<String, Vec<&harbor_sim::InjectedFault>> = BTreeMap::new();
    for fault in &stats.faults_injected {
        injected
            .entry(fault.path_and_query.clone())
            .or_default()
            .push(fault);
    }
    let max_attempts = RetryPolicy::default().max_attempts;
    let for_good: BTreeMap<&String, &Vec<&harbor_sim::InjectedFault>> = injected
        .iter()
        .filter(|(_, f)| f.len() as u32 == max_attempts)
        .collect();
    assert_eq!(for_good.len(), 3, "500, 502 and the permanent 503");
    assert_eq!(
        report.ledger.entries.len(),
        3,
        "{:#?}",
        report.ledger.entries
    );
    for entry in &report.ledger.entries {
        let faults = for_good
            .get(&entry.url)
            .unwrap_or_else(|| panic!("{} was not failed for good", entry.url));
        let last = faults.last().unwrap();
        assert_eq!(entry.attempts, max_attempts);
        assert_eq!(entry.request_id.as_deref(), Some(last.request_id.as_str()));
        match &entry.failure {
            Failure::Http {
                status,
                harbor,
                body_note,
            } => {
                assert_eq!(*status, last.status);
                match status {
                    500 | 503 => {
                        let harbor = harbor.as_ref().expect("Harbor's error body");
                        assert_eq!(
                            (harbor.code.as_str(), harbor.message.as_str()),
                            ("UNKNOWN", "internal server error")
                        );
                    }
                    502 => {
                        assert_eq!(harbor, &None);
                        let note = body_note.as_deref().unwrap_or("");
                        assert!(note.starts_with("body is not JSON (text/html"), "{note}");
                    }
                    other => panic!("unexpected status {other}"),
                }
            }
            other => panic!("unexpected failure {other:?}"),
        }
        assert_eq!(entry.scope.page, Some(1));
        assert!(entry.missing_artifacts.is_some_and(|n| n > 0));
    }
    // Transient faults were retried once and succeeded.
    let transient: Vec<_> = injected
        .values()
        .filter(|f| (f.len() as u32) < max_attempts)
        .collect();
    assert_eq!(transient.len(), 2);
    assert!(transient.iter().all(|f| f.len() == 1));
    assert_eq!(report.progress.retries, 3 * u64::from(max_attempts - 1) + 2);
    // Loaded plus missing is the total.
    let expected = handle.truth_keys::<HashSet<Key>>(user(who));
    let ledger = &report.ledger;
    assert!(!ledger.missing_unknown);
    assert_eq!(ledger.artifacts_expected, expected.len() as u64);
    assert_eq!(
        ledger.artifacts_loaded + ledger.artifacts_missing,
        expected.len() as u64
    );
    assert_eq!(run.rows.len() as u64, ledger.artifacts_loaded);
    assert!(ledger
        .missing_parts()
        .iter()
        .any(|p| p == &format!("page 1 of repository {}", nested.1)));

    // The faults stop; "retry failed" brings exactly the dataset, without duplicates.
    handle.sim().set_faults(FaultPlan::none());
    handle.sim().reset_stats();
    let mut set = RowSet::new();
    set.merge(run.rows);
    let transport = NativeTransport::new(&handle.base_url()).unwrap();
    let crawler = Crawler::new(transport, TokioClock::new(), config(who, 6));
    let mut duplicates = 0;
    let again = crawler
        .retry_failed(&report, &CancelToken::new(), |event| {
            if let Event::Artifacts(rows) = event {
                let n = rows.len();
                duplicates += n - set.merge(rows);
            }
        })
        .await
        .unwrap();
    assert_eq!(duplicates, 0);
    assert!(again.ledger.is_empty());
    assert_eq!(
        handle.sim().stats().requests_total,
        again.progress.requests_planned
    );
    let keys: HashSet<Key> = set
        .rows()
        .iter()
        .map(|r| (r.repository.to_string(), r.digest.to_string()))
        .collect();
    assert_eq!(set.len(), keys.len());
    assert_eq!(keys, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_bodies_become_clear_ledger_entries() {
    let handle = sim(Preset::Small, HarborVersion::V2_13).await;
    let repos = repositories(&handle, None);
    let rule = |i: usize, kind| FaultRule::new(first_page(&repos[i].0, &repos[i].1), kind);
    handle.sim().set_faults(FaultPlan {
        rules: vec![
            rule(0, FaultKind::MalformedJson),
            rule(1, FaultKind::TruncatedJson),
            rule(2, FaultKind::Http502),
            rule(3, FaultKind::DropConnection),
            rule(4, FaultKind::EmptyBody),
            FaultRule {
                delay_ms: 5_000,
                ..rule(5, FaultKind::Slow)
            },
        ],
        ..FaultPlan::default()
    });
    let config = CrawlConfig {
        timeout: Duration::from_millis(400),
        ..config(None, 6)
    };
    let run = crawl(&handle, config, Scope::default()).await;
    let report = run.report();
    let message = |i: usize| {
        let url = ApiPath::artifacts(&repos[i].0, &repos[i].1).to_string();
        let entry = report
            .ledger
            .entries
            .iter()
            .find(|e| e.url.starts_with(&format!("{url}?page=1&")));
        entry
            .unwrap_or_else(|| panic!("no ledger entry for {url}"))
            .clone()
    };
    assert_eq!(
        report.ledger.entries.len(),
        6,
        "{:#?}",
        report.ledger.entries
    );
    let malformed = message(0);
    assert!(
        matches!(malformed.failure, Failure::BadBody { status: 200, .. }),
        "{}",
        malformed.message()
    );
    assert!(
        malformed.message().contains("not the expected JSON"),
        "{}",
        malformed.message()
    );
    let truncated = message(1);
    assert!(
        matches!(&truncated.failure, Failure::BadBody { message, .. } if message.contains("EOF while parsing")),
        "{}",
        truncated.message()
    );
    let html = message(2);
    assert!(
        html.message()
            .contains("HTTP 502 (body is not JSON (text/html"),
        "{}",
        html.message()
    );
    let dropped = message(3);
    assert!(
        matches!(
            &dropped.failure,
            Failure::Network {
                kind: NetworkErrorKind::Interrupted,
                ..
            }
        ),
        "{}",
        dropped.message()
    );
    let empty = message(4);
    assert!(
        empty.message().contains("EOF while parsing"),
        "{}",
        empty.message()
    );
    let slow = message(5);
    assert!(
        matches!(
            &slow.failure,
            Failure::Network {
                kind: NetworkErrorKind::Timeout,
                ..
            }
        ),
        "{}",
        slow.message()
    );
    for entry in &report.ledger.entries {
        assert_eq!(entry.attempts, 4);
        assert!(entry.request_id.is_some());
    }
    let ledger = &report.ledger;
    assert_eq!(
        ledger.artifacts_loaded + ledger.artifacts_missing,
        ledger.artifacts_expected
    );
    assert_eq!(
        ledger.artifacts_expected,
        handle.truth_keys::<HashSet<Key>>(user(None)).len() as u64
    );
}

/// Counts requests handed to the transport, to see that none is sent after a cancel.
struct Counting {
    inner: NativeTransport,
    sent: Cell<u64>,
}

impl Transport for Counting {
    fn get(&self, req: Request) -> LocalBoxFuture<'_, Result<Response, TransportError>> {
        self.sent.set(self.sent.get() + 1);
        self.inner.get(req)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_requests_and_results() {
    let handle = harbor_sim::spawn(SimConfig {
        preset: Preset::Small,
        version: HarborVersion::V2_10,
        latency: Duration::from_millis(30),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let transport = Counting {
        inner: NativeTransport::new(&handle.base_url()).unwrap(),
        sent: Cell::new(0),
    };
    let crawler = Crawler::new(&transport, TokioClock::new(), config(None, 4));
    let cancel = CancelToken::new();
    let sent_at_cancel = Cell::new(None);
    let after_cancel = RefCell::new(Vec::new());
    let result = crawler
        .crawl(Scope::default(), &cancel, |event| {
            if sent_at_cancel.get().is_some() {
                after_cancel.borrow_mut().push(event);
                return;
            }
            if matches!(event, Event::Artifacts(_)) {
                sent_at_cancel.set(Some(transport.sent.get()));
                cancel.cancel();
            }
        })
        .await;
    assert_eq!(result, Err(CrawlError::Cancelled));
    let sent = sent_at_cancel
        .get()
        .expect("cancelled after the first rows");
    assert_eq!(
        transport.sent.get(),
        sent,
        "no request handed to the network after cancel"
    );
    assert!(after_cancel.borrow().is_empty(), "no event after cancel");
    // Whatever was on the wire at cancel time is all the simulator ever sees.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stats = handle.sim().stats();
    assert!(
        stats.requests_total <= sent,
        "{} > {sent}",
        stats.requests_total
    );
    let full = handle.truth_keys::<HashSet<Key>>(user(None)).len() as u64;
    assert!(
        sent < full / 10,
        "the crawl really stopped early ({sent} requests)"
    );
}

/// Which truth rows a scope should keep.
type Keep<'a> = Box<dyn Fn(&harbor_sim::TruthRow) -> bool + 'a>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scope_filters_narrow_the_crawl_on_the_server() {
    let handle = sim(Preset::Small, HarborVersion::V2_13).await;
    let who = Some(("admin", "Harbor12345"));
    let all = handle.truth_for(user(who));
    let full_run = crawl(&handle, config(who, 6), Scope::default()).await;
    let full_requests = full_run.report().progress.requests_planned;
    let repos = repositories(&handle, who);
    let project = repos[0].0.clone();
    let short = |r: &str| {
        r.strip_prefix(&format!("{project}/"))
            .unwrap_or(r)
            .to_owned()
    };
    let in_project: Vec<&(String, String, usize)> =
        repos.iter().filter(|r| r.0 == project).take(2).collect();
    let tag = all
        .iter()
        .find_map(|r| r.tags.first().cloned())
        .expect("a tagged artifact");
    let cases: Vec<(&str, Scope, Keep)> = vec![
        (
            "projects",
            Scope {
                projects: Projects::Named(vec![project.clone()]),
                ..Scope::default()
            },
            Box::new(|r| r.project == project),
        ),
        (
            "repositories",
            Scope {
                projects: Projects::Named(vec![project.clone()]),
                repositories: in_project.iter().map(|r| short(&r.1)).collect(),
                ..Scope::default()
            },
            Box::new(|r| in_project.iter().any(|p| p.1 == r.repository)),
        ),
        (
            "tag",
            Scope {
                tag: Some(tag.clone()),
                ..Scope::default()
            },
            Box::new(|r| r.tags.contains(&tag)),
        ),
        (
            "q",
            Scope {
                query: Some("type=CHART".into()),
                ..Scope::default()
            },
            Box::new(|r| r.kind == "CHART"),
        ),
    ];
    for (name, scope, keep) in cases {
        let expected: HashSet<Key> = all
            .iter()
            .filter(|r| keep(r))
            .map(|r| (r.repository.clone(), r.digest.clone()))
            .collect();
        assert!(
            !expected.is_empty() && expected.len() < all.len(),
            "{name}: a real narrowing"
        );
        handle.sim().reset_stats();
        let run = crawl(&handle, config(who, 6), scope).await;
        assert_eq!(run.keys(), expected, "{name}");
        assert_eq!(run.rows.len(), expected.len(), "{name}");
        let report = run.report();
        assert!(report.ledger.is_empty(), "{name}");
        let requests = handle.sim().stats().requests_total;
        assert_eq!(requests, report.progress.requests_planned, "{name}");
        assert!(
            requests < full_requests,
            "{name}: fewer requests ({requests} vs {full_requests})"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vulnerability_reports_for_scanned_artifacts() {
    let handle = sim(Preset::Tiny, HarborVersion::V2_13).await;
    let who = Some(("admin", "Harbor12345"));
    let run = crawl(&handle, config(who, 6), Scope::default()).await;
    let scanned: Vec<&ArtifactRow> = run
        .rows
        .iter()
        .filter(|r| r.scan.status == ScanStatus::Success)
        .collect();
    assert!(!scanned.is_empty() && scanned.len() < run.rows.len());
    handle.sim().reset_stats();
    let transport = NativeTransport::new(&handle.base_url()).unwrap();
    let crawler = Crawler::new(transport, TokioClock::new(), config(who, 6));
    let mut reports = Vec::new();
    let report = crawler
        .vulnerabilities(&run.rows, &CancelToken::new(), |event| {
            if let Event::Report(r) = event {
                reports.push(r);
            }
        })
        .await
        .unwrap();
    assert!(report.ledger.is_empty(), "{:?}", report.ledger.entries);
    assert_eq!(reports.len(), scanned.len());
    assert_eq!(handle.sim().stats().requests_total, scanned.len() as u64);
    for row in scanned {
        let r = reports
            .iter()
            .find(|r| row.digest == *r.digest && r.repository == row.repository)
            .unwrap();
        assert_eq!(
            r.vulnerabilities.len() as u32,
            row.scan.total,
            "{}",
            row.digest
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawled_rows_carry_the_accessories_truth_names() {
    let admin = PRINCIPALS[1];
    for version in [HarborVersion::V2_10, HarborVersion::V2_16] {
        let handle = sim(Preset::Small, version).await;
        let run = crawl(&handle, config(admin, 6), Scope::default()).await;
        let rows = &run.rows;
        let truth: BTreeMap<Key, (bool, bool)> = handle
            .truth_for(user(admin))
            .into_iter()
            .map(|r| ((r.repository, r.digest), (r.signed, r.sbom)))
            .collect();
        let got: BTreeMap<Key, (bool, bool)> = rows
            .iter()
            .map(|r| {
                let key = (r.repository.to_string(), r.digest.to_string());
                (key, (r.signed(), r.has_sbom()))
            })
            .collect();
        assert_eq!(got, truth, "{version}: signed/sbom per artifact");
        let signed = rows.iter().filter(|r| r.signed()).count();
        let sbom = rows.iter().filter(|r| r.has_sbom()).count();
        assert!(signed > 0 && signed < rows.len(), "{version}: {signed}");
        assert!(sbom > 0 && sbom < rows.len(), "{version}: {sbom}");
        for r in rows.iter().filter(|r| !r.accessories.is_empty()) {
            for a in r.accessories.iter() {
                assert!(a.digest.starts_with("sha256:") && a.size > 0, "{a:?}");
                assert!(a.push_time.get().is_some(), "{a:?}");
            }
            assert!(r.project_id > 0);
        }
    }
}
