//! The fault matrix: the crawl engine against the simulated Harbor (`medium` preset,
//! real sockets) under every kind of fault the simulator can inject.
//!
//! For each case the same invariants are checked against the simulator's own log of
//! what it injected (`faults_injected`), not against the engine's opinion of itself:
//! - the crawl ends with a report (no panic, no hang);
//! - no artifact is delivered twice (repository + digest), none that does not exist;
//! - every URL the simulator failed on every allowed attempt is in the ledger exactly
//!   once, with the last attempt's request id; no other URL is;
//! - every transient fault was retried, and only as often as needed (the engine's retry
//!   count and the simulator's request count agree exactly with the fault log);
//! - loaded + reported-missing == the dataset's total, whenever no failure hides an
//!   unknown number of artifacts;
//! - "retry failed" after the faults stop brings exactly the dataset, no duplicate.

mod common;

use common::{key, sim, Key};

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use harbor_client::crawl::{
    CrawlConfig, CrawlReport, Crawler, Credentials, Event, Failure, RetryPolicy, RowSet, Scope,
};
use harbor_client::native::{NativeTransport, TokioClock};
use harbor_client::slim::ArtifactRow;
use harbor_client::transport::CancelToken;
use harbor_sim::{
    FaultKind, FaultPlan, FaultRule, HarborVersion, InjectedFault, Mutation, Preset, SimConfig,
    SimHandle, Stats,
};

type Who = Option<(&'static str, &'static str)>;

const ADMIN: Who = Some(("admin", "Harbor12345"));
const MAX_ATTEMPTS: u32 = 4;

/// Fast backoff so the matrix fits CI; `Retry-After` is still honoured as sent.
fn config(who: Who, timeout: Duration) -> CrawlConfig {
    CrawlConfig {
        max_in_flight: 6,
        timeout,
        credentials: who.map(|(u, p)| Credentials::new(u, p)),
        retry: RetryPolicy {
            max_attempts: MAX_ATTEMPTS,
            base_delay: Duration::from_millis(2),
            max_delay: Duration::from_millis(20),
            ..RetryPolicy::default()
        },
        ..CrawlConfig::default()
    }
}

/// A small 2.10 Harbor answering in 2 ms, so that a crawl spans many batches of pages.
async fn small_answering_in_2ms() -> SimHandle {
    let config = SimConfig::of(
        Preset::Small,
        HarborVersion::V2_10,
        Duration::from_millis(2),
    );
    harbor_sim::spawn(config).await.expect("simulator")
}

fn admin_truth(handle: &SimHandle) -> HashSet<Key> {
    handle.truth_keys(ADMIN.map(|(name, _)| name))
}

/// Pushes `push` and deletes `delete` artifacts in every repository.
fn everywhere(push: usize, delete: usize) -> Mutation {
    Mutation {
        repositories: 10_000,
        push,
        delete,
        project: None,
        ..Mutation::default()
    }
}

/// A new crawl of the Harbor as it is now finds exactly `expected`.
async fn assert_a_new_crawl_finds(handle: &SimHandle, expected: &HashSet<Key>) {
    let fresh = crawl(handle, config(ADMIN, TIMEOUT), paged_scope(), |_| {}).await;
    let fresh_keys: HashSet<Key> = fresh.rows.iter().map(key).collect();
    assert_eq!(&fresh_keys, expected);
}

struct Run {
    report: CrawlReport,
    rows: Vec<ArtifactRow>,
    failed_events: usize,
}

/// One crawl; `on_rows` runs after each batch of rows (to mutate the dataset mid-crawl).
async fn crawl(
    handle: &SimHandle,
    config: CrawlConfig,
    scope: Scope,
    mut on_rows: impl FnMut(usize),
) -> Run {
    let transport = NativeTransport::new(&handle.base_url()).expect("client");
    let crawler = Crawler::new(transport, TokioClock::new(), config);
    let mut rows = Vec::new();
    let mut failed_events = 0;
    let mut batches = 0;
    let report = crawler
        .crawl(scope, &CancelToken::new(), |event| match event {
            Event::Artifacts(batch) => {
                rows.extend(batch);
                batches += 1;
                on_rows(batches);
            }
            Event::Failed(_) => failed_events += 1,
            _ => {}
        })
        .await
        .expect("the crawl ends with a report");
    Run {
        report,
        rows,
        failed_events,
    }
}

/// Kinds that make an attempt fail (the others change headers but not the data).
fn fails(kind: FaultKind) -> bool {
    !matches!(
        kind,
        FaultKind::WrongContentType | FaultKind::LyingTotalCount
    )
}

/// The simulator's fault log, per URL, in attempt order.
fn faults_by_url(stats: &Stats) -> BTreeMap<String, Vec<InjectedFault>> {
    let mut by_url: BTreeMap<String, Vec<InjectedFault>> = BTreeMap::new();
    for fault in stats.faults_injected.iter().filter(|f| fails(f.kind)) {
        by_url
            .entry(fault.path_and_query.clone())
            .or_default()
            .push(fault.clone());
    }
    for faults in by_url.values_mut() {
        faults.sort_by_key(|f| f.attempt);
    }
    by_url
}

/// The invariants shared by every case. Returns the number of URLs failed for good.
fn check(label: &str, run: &Run, stats: &Stats, truth: &HashSet<Key>) -> usize {
    let report = &run.report;
    let ledger = &report.ledger;

    // No duplicate, nothing invented.
    let keys: HashSet<Key> = run.rows.iter().map(key).collect();
    assert_eq!(keys.len(), run.rows.len(), "{label}: an artifact twice");
    assert!(keys.is_subset(truth), "{label}: an artifact not in Harbor");
    assert_eq!(ledger.artifacts_loaded, run.rows.len() as u64, "{label}");

    // The ledger is exactly the set of URLs the simulator failed on every attempt.
    let by_url = faults_by_url(stats);
    let for_good: BTreeMap<&String, &Vec<InjectedFault>> = by_url
        .iter()
        .filter(|(_, f)| f.len() as u32 == MAX_ATTEMPTS)
        .collect();
    let entries: Vec<_> = ledger
        .entries
        .iter()
        .filter(|e| !matches!(e.failure, Failure::BadArtifacts { .. }))
        .collect();
    let ledger_urls: Vec<&String> = entries.iter().map(|e| &e.url).collect();
    let unique: HashSet<&String> = ledger_urls.iter().copied().collect();
    assert_eq!(unique.len(), ledger_urls.len(), "{label}: a URL twice");
    let expected_urls: HashSet<&String> = for_good.keys().copied().collect();
    assert_eq!(
        unique, expected_urls,
        "{label}: ledger vs simulator's failed-for-good URLs"
    );
    assert_eq!(run.failed_events, ledger.entries.len(), "{label}");
    for entry in &entries {
        let faults = for_good[&entry.url];
        let last = faults.last().expect("a fault");
        assert_eq!(entry.attempts, MAX_ATTEMPTS, "{label}: {}", entry.url);
        assert_eq!(
            entry.request_id.as_deref(),
            Some(last.request_id.as_str()),
            "{label}: request id of the last attempt"
        );
        if let Failure::Http { status, .. } = &entry.failure {
            assert_eq!(*status, last.status, "{label}: {}", entry.url);
        }
        assert!(!entry.message().is_empty());
    }

    // Every transient fault was retried, exactly as often as needed: one extra request
    // per failed attempt that was followed by another, nothing more.
    let expected_retries: u64 = by_url
        .values()
        .map(|f| f.len().min(MAX_ATTEMPTS as usize - 1) as u64)
        .sum();
    assert_eq!(
        report.progress.retries, expected_retries,
        "{label}: retries"
    );
    assert_eq!(
        stats.requests_total,
        report.progress.requests_planned + report.progress.retries,
        "{label}: requests seen by the simulator"
    );
    for (url, faults) in &by_url {
        let attempts: Vec<u32> = faults.iter().map(|f| f.attempt).collect();
        let consecutive: Vec<u32> = (1..=faults.len() as u32).collect();
        assert_eq!(attempts, consecutive, "{label}: {url} attempts in order");
    }

    // Accounting.
    if ledger.missing_unknown {
        assert!(
            ledger.artifacts_loaded + ledger.artifacts_missing <= truth.len() as u64,
            "{label}"
        );
    } else {
        assert_eq!(
            ledger.artifacts_expected,
            truth.len() as u64,
            "{label}: expected"
        );
        assert_eq!(
            ledger.artifacts_loaded + ledger.artifacts_missing,
            truth.len() as u64,
            "{label}: loaded + missing == total"
        );
    }
    for_good.len()
}

/// The faults stop; "retry failed" must bring the rows to exactly the dataset.
async fn retry_completes(
    label: &str,
    handle: &SimHandle,
    who: Who,
    timeout: Duration,
    run: Run,
    truth: &HashSet<Key>,
) {
    handle.sim().set_faults(FaultPlan::none());
    handle.sim().reset_stats();
    let mut set = RowSet::new();
    set.merge(run.rows);
    let transport = NativeTransport::new(&handle.base_url()).expect("client");
    let crawler = Crawler::new(transport, TokioClock::new(), config(who, timeout));
    let mut duplicates = 0;
    let again = crawler
        .retry_failed(&run.report, &CancelToken::new(), |event| {
            if let Event::Artifacts(rows) = event {
                let n = rows.len();
                duplicates += n - set.merge(rows);
            }
        })
        .await
        .expect("retry report");
    assert!(
        again.ledger.is_empty(),
        "{label}: {:?}",
        again.ledger.entries
    );
    assert_eq!(duplicates, 0, "{label}: retry re-delivered rows");
    assert_eq!(
        handle.sim().stats().requests_total,
        again.progress.requests_planned,
        "{label}: retry sends only what it planned"
    );
    let keys: HashSet<Key> = set.rows().iter().map(key).collect();
    assert_eq!(set.len(), keys.len(), "{label}");
    assert_eq!(
        &keys, truth,
        "{label}: retry failed gives exactly the dataset"
    );
}

/// One matrix case: set `plan`, crawl, check, retry after the faults stop.
/// Returns the number of URLs failed for good.
async fn case(
    label: &str,
    handle: &SimHandle,
    who: Who,
    plan: FaultPlan,
    timeout: Duration,
) -> usize {
    let truth = handle.truth_keys::<HashSet<Key>>(who.map(|(name, _)| name));
    handle.sim().set_faults(plan);
    handle.sim().reset_stats();
    let run = crawl(handle, config(who, timeout), Scope::default(), |_| {}).await;
    let stats = handle.sim().stats();
    assert!(
        !stats.faults_injected.is_empty(),
        "{label}: the plan fired at all"
    );
    let failed = check(label, &run, &stats, &truth);
    retry_completes(label, handle, who, timeout, run, &truth).await;
    failed
}

/// A random share `rate` of requests gets `kind`, plus `always` (a glob) always does.
fn plan(kind: FaultKind, rate: f64, always: Option<&str>) -> FaultPlan {
    FaultPlan {
        rules: always
            .map(|p| FaultRule::new(p, kind))
            .into_iter()
            .collect(),
        rate,
        rate_kinds: vec![kind],
        seed: Some(7),
    }
}

/// Far above any honest answer even on a loaded 2-core CI, so only injected faults
/// ever time out (the exact retry counts below depend on it).
const TIMEOUT: Duration = Duration::from_secs(10);
/// For the `slow` case: requests held 4 s by the simulator time out.
const SHORT: Duration = Duration::from_millis(1_500);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_500s_at_5_and_30_percent() {
    // Per-repository listing (Harbor 2.10): the most requests, the deepest plan.
    let handle = sim(Preset::Medium, HarborVersion::V2_10).await;
    let five = FaultPlan {
        rate: 0.05,
        rate_kinds: vec![FaultKind::Http500],
        seed: Some(5),
        ..FaultPlan::default()
    };
    case("500 at 5%", &handle, None, five, TIMEOUT).await;
    // Project-level listing (Harbor 2.13, logged in); 30% fails some URLs for good.
    let handle = sim(Preset::Medium, HarborVersion::V2_13).await;
    // Verdicts hash the request URL, so the seed is one under which some page URL of
    // this crawl fails all four attempts (about 2 in 200 pages are expected to).
    let thirty = FaultPlan {
        rate: 0.3,
        rate_kinds: vec![FaultKind::Http500],
        seed: Some(31),
        ..FaultPlan::default()
    };
    let failed = case("500 at 30%", &handle, ADMIN, thirty, TIMEOUT).await;
    assert!(failed > 0, "30% over 4 attempts fails some URL for good");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_and_server_errors() {
    let handle = sim(Preset::Medium, HarborVersion::V2_13).await;
    // 502 with nginx's HTML page: transient at random, for good on every page 2.
    let failed = case(
        "502 HTML",
        &handle,
        ADMIN,
        plan(FaultKind::Http502, 0.1, Some("*/artifacts?page=2&*")),
        TIMEOUT,
    )
    .await;
    assert!(failed > 0);
    case(
        "503",
        &handle,
        ADMIN,
        plan(FaultKind::Http503, 0.15, Some("/projects/team/*")),
        TIMEOUT,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storm_of_429_with_retry_after() {
    let handle = sim(Preset::Medium, HarborVersion::V2_13).await;
    let storm = plan(FaultKind::Http429, 0.5, Some("/projects/library/*"));
    let truth = admin_truth(&handle);
    handle.sim().set_faults(storm);
    handle.sim().reset_stats();
    let run = crawl(&handle, config(ADMIN, TIMEOUT), Scope::default(), |_| {}).await;
    let stats = handle.sim().stats();
    let failed = check("429 storm", &run, &stats, &truth);
    assert!(failed > 0);
    // Retry-After: 1 was honoured: three waits of at least a second each.
    for entry in &run.report.ledger.entries {
        assert!(
            entry.elapsed_ms >= 3_000,
            "{}: gave up after {} ms",
            entry.url,
            entry.elapsed_ms
        );
        assert!(
            entry.message().contains("TOO_MANY_REQUEST"),
            "{}",
            entry.message()
        );
    }
    retry_completes("429 storm", &handle, ADMIN, TIMEOUT, run, &truth).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_bodies_and_connections() {
    let handle = sim(Preset::Medium, HarborVersion::V2_13).await;
    for kind in [
        FaultKind::TruncatedJson,
        FaultKind::MalformedJson,
        FaultKind::EmptyBody,
        FaultKind::DropConnection,
    ] {
        let label = format!("{kind:?}");
        let failed = case(
            &label,
            &handle,
            ADMIN,
            plan(kind, 0.1, Some("*/artifacts?page=3&*")),
            TIMEOUT,
        )
        .await;
        assert!(failed > 0, "{label}");
    }
    // Slower than the timeout: a few URLs for good, some at random (each costs a timeout).
    let slow = FaultPlan {
        rules: vec![FaultRule {
            delay_ms: 4_000,
            ..FaultRule::new("/projects/team/*", FaultKind::Slow)
        }],
        rate: 0.03,
        rate_kinds: vec![FaultKind::Slow],
        seed: Some(11),
    };
    let failed = case("slow", &handle, ADMIN, slow, SHORT).await;
    assert!(failed > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_content_type_is_read_as_json() {
    // Harbor's data is JSON whatever the header says; the parser decides, not the label.
    let handle = sim(Preset::Medium, HarborVersion::V2_13).await;
    let truth = admin_truth(&handle);
    handle
        .sim()
        .set_faults(plan(FaultKind::WrongContentType, 0.3, None));
    handle.sim().reset_stats();
    let run = crawl(&handle, config(ADMIN, TIMEOUT), Scope::default(), |_| {}).await;
    let stats = handle.sim().stats();
    assert!(!stats.faults_injected.is_empty());
    check("wrong content type", &run, &stats, &truth);
    assert!(run.report.ledger.is_empty());
    let keys: HashSet<Key> = run.rows.iter().map(key).collect();
    assert_eq!(keys, truth);
}

/// `X-Total-Count` off by `delta` on every artifact list: the rows must still be exactly
/// the dataset, and the accounting must not claim more (or fewer) than what exists.
async fn lying_total(preset: Preset, version: HarborVersion, who: Who, delta: i64) {
    let label = format!(
        "X-Total-Count {delta:+} on {version} {:?}",
        who.map(|w| w.0)
    );
    let handle = sim(preset, version).await;
    let truth = handle.truth_keys::<HashSet<Key>>(who.map(|(name, _)| name));
    handle.sim().set_faults(FaultPlan {
        rules: vec![FaultRule {
            total_delta: delta,
            ..FaultRule::new("*/artifacts?*", FaultKind::LyingTotalCount)
        }],
        ..FaultPlan::default()
    });
    handle.sim().reset_stats();
    let run = crawl(&handle, config(who, TIMEOUT), Scope::default(), |_| {}).await;
    let stats = handle.sim().stats();
    assert!(!stats.faults_injected.is_empty(), "{label}");
    check(&label, &run, &stats, &truth);
    assert!(run.report.ledger.is_empty(), "{label}");
    let keys: HashSet<Key> = run.rows.iter().map(key).collect();
    assert_eq!(keys.len(), truth.len(), "{label}: loaded");
    assert_eq!(keys, truth, "{label}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lying_total_count_more_rows_than_announced() {
    // Project-level listing: the header alone plans the pages, so a low total would
    // drop rows. Per-repository listing (on `small`, for time) also has artifact_count.
    lying_total(Preset::Medium, HarborVersion::V2_13, ADMIN, -7).await;
    lying_total(Preset::Small, HarborVersion::V2_10, None, -7).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lying_total_count_fewer_rows_than_announced() {
    lying_total(Preset::Medium, HarborVersion::V2_13, ADMIN, 7).await;
    lying_total(Preset::Small, HarborVersion::V2_10, None, 7).await;
}

/// Small pages so that most repositories span several pages while they change.
fn paged_scope() -> Scope {
    Scope {
        page_size: 10,
        ..Scope::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_during_the_crawl_lose_nothing() {
    let handle = small_answering_in_2ms().await;
    let before = admin_truth(&handle);
    let sim = handle.sim().clone();
    let mut pushed = 0;
    let run = crawl(&handle, config(ADMIN, TIMEOUT), paged_scope(), |batch| {
        // Pushes into every repository, twice, while pages are being fetched.
        if batch == 5 || batch == 40 {
            let report = sim.mutate(&everywhere(2, 0));
            pushed += report.pushed.len();
        }
    })
    .await;
    assert!(pushed > 0);
    let after = admin_truth(&handle);
    let keys: HashSet<Key> = run.rows.iter().map(key).collect();
    assert_eq!(keys.len(), run.rows.len(), "no artifact twice");
    assert!(keys.is_subset(&after), "only artifacts that exist");
    let lost: Vec<&Key> = before.difference(&keys).collect();
    assert!(
        lost.is_empty(),
        "pushes shifted {} artifact(s) out: {lost:?}",
        lost.len()
    );
    assert!(run.report.ledger.is_empty());
    let ledger = &run.report.ledger;
    assert_eq!(ledger.artifacts_loaded, keys.len() as u64);
    // A new crawl of the changed Harbor is exact.
    assert_a_new_crawl_finds(&handle, &after).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletes_during_the_crawl_never_duplicate_or_invent() {
    let handle = small_answering_in_2ms().await;
    let before = admin_truth(&handle);
    let sim = handle.sim().clone();
    let run = crawl(&handle, config(ADMIN, TIMEOUT), paged_scope(), |batch| {
        if batch == 5 {
            sim.mutate(&everywhere(1, 2));
        }
    })
    .await;
    let after = admin_truth(&handle);
    let keys: HashSet<Key> = run.rows.iter().map(key).collect();
    assert_eq!(keys.len(), run.rows.len(), "no artifact twice");
    let union: HashSet<Key> = before.union(&after).cloned().collect();
    assert!(keys.is_subset(&union), "only artifacts that existed");
    // Deletes shift later rows onto pages already read; the changed total makes the
    // crawler read the listing again, so no artifact that survived is lost.
    let survivors: Vec<&Key> = before
        .intersection(&after)
        .filter(|k| !keys.contains(*k))
        .collect();
    assert!(survivors.is_empty(), "deletes shifted out: {survivors:?}");
    assert!(run.report.ledger.is_empty());
    // A new crawl of the changed Harbor is exact.
    assert_a_new_crawl_finds(&handle, &after).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_changed_between_crawl_and_retry() {
    // Faults fail some pages for good; artifacts are pushed before "retry failed".
    let handle = sim(Preset::Small, HarborVersion::V2_10).await;
    handle
        .sim()
        .set_faults(plan(FaultKind::Http503, 0.0, Some("*/artifacts?page=2&*")));
    handle.sim().reset_stats();
    let run = crawl(&handle, config(ADMIN, TIMEOUT), paged_scope(), |_| {}).await;
    assert!(!run.report.ledger.is_empty());
    handle.sim().mutate(&everywhere(3, 0));
    let after = admin_truth(&handle);
    handle.sim().set_faults(FaultPlan::none());
    let transport = NativeTransport::new(&handle.base_url()).expect("client");
    let crawler = Crawler::new(transport, TokioClock::new(), config(ADMIN, TIMEOUT));
    let mut set = RowSet::new();
    set.merge(run.rows);
    let again = crawler
        .retry_failed(&run.report, &CancelToken::new(), |event| {
            if let Event::Artifacts(rows) = event {
                set.merge(rows);
            }
        })
        .await
        .expect("retry report");
    assert!(again.ledger.is_empty(), "{:?}", again.ledger.entries);
    let keys: HashSet<Key> = set.rows().iter().map(key).collect();
    assert_eq!(keys.len(), set.len(), "no artifact twice after the merge");
    assert!(keys.is_subset(&after), "only artifacts that exist");
}
