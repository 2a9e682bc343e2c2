//! The CVE roll-up two ways against the simulator, over real sockets: from Security Hub
//! (when the caller may read it) and from per-artifact reports. Same artifacts, same
//! CVE rows. Plus the per-project storage figures from project summaries.

use std::time::Duration;

use harbor_client::audit::{
    fetch_summaries, fetch_vulnerabilities, AuditError, HubQuery, VulnerabilityItem,
};
use harbor_client::crawl::{CrawlConfig, Crawler, Credentials, Event, RetryPolicy, Scope};
use harbor_client::model::VulnReport;
use harbor_client::native::{NativeTransport, TokioClock};
use harbor_client::slim::ArtifactRow;
use harbor_client::transport::CancelToken;
use harbor_sim::{HarborVersion, Preset, SimConfig, SimHandle};
use inventory::rollup;

const ADMIN: (&str, &str) = ("admin", "Harbor12345");
const HUB_ROBOT: (&str, &str) = ("robot$security-hub", "SecHubRobot1");
const ALICE: (&str, &str) = ("alice", "Alice12345");

async fn small() -> SimHandle {
    harbor_sim::spawn(SimConfig {
        preset: Preset::Small,
        version: HarborVersion::V2_13,
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts")
}

fn config(who: (&str, &str)) -> CrawlConfig {
    CrawlConfig {
        credentials: Some(Credentials::new(who.0, who.1)),
        retry: RetryPolicy {
            base_delay: Duration::from_millis(20),
            ..RetryPolicy::default()
        },
        ..CrawlConfig::default()
    }
}

/// The rows `who` can list, and the full report of each scanned one.
async fn crawl_with_reports(
    handle: &SimHandle,
    who: (&str, &str),
) -> (Vec<ArtifactRow>, Vec<VulnReport>) {
    let transport = NativeTransport::new(&handle.base_url()).expect("client");
    let crawler = Crawler::new(transport, TokioClock::new(), config(who));
    let cancel = CancelToken::new();
    let mut rows = Vec::new();
    crawler
        .crawl(Scope::default(), &cancel, |e| {
            if let Event::Artifacts(batch) = e {
                rows.extend(batch);
            }
        })
        .await
        .expect("crawl");
    let mut reports = Vec::new();
    crawler
        .vulnerabilities(&rows, &cancel, |e| {
            if let Event::Report(r) = e {
                reports.push(r);
            }
        })
        .await
        .expect("reports");
    (rows, reports)
}

/// Every Security Hub item `query` finds, as `who` (`None`: anonymous).
async fn hub(
    handle: &SimHandle,
    who: Option<(&str, &str)>,
    query: HubQuery,
) -> Result<Vec<VulnerabilityItem>, AuditError> {
    let transport = NativeTransport::new(&handle.base_url()).expect("client");
    let config = who.map_or_else(CrawlConfig::default, config);
    fetch_vulnerabilities(
        &transport,
        &TokioClock::new(),
        &config,
        &query,
        &CancelToken::new(),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_and_reports_give_the_same_rollup() {
    let handle = small().await;
    let (rows, reports) = crawl_with_reports(&handle, ADMIN).await;
    let from_reports = rollup::build(&rows, &reports);
    assert!(from_reports.cves.len() > 50, "a real roll-up");
    for who in [ADMIN, HUB_ROBOT] {
        handle.sim().reset_stats();
        let items = hub(&handle, Some(who), HubQuery::default())
            .await
            .expect("hub readable");
        let requests = handle.sim().stats().requests_total;
        let from_hub = rollup::build_from_hub(&rows, &items);
        assert_eq!(from_hub.cves, from_reports.cves, "as {}", who.0);
        assert_eq!(from_hub.reports_unmatched, 0);
        // A few requests instead of one per artifact.
        assert_eq!(requests as usize, items.len().div_ceil(100), "as {}", who.0);
        assert!(requests < reports.len() as u64 / 2);
    }
    // One CVE, searched on the hub, names the artifacts the reports name.
    let cve = &from_reports.cves[0];
    let search = HubQuery {
        cve_id: Some(cve.id.to_string()),
        ..HubQuery::default()
    };
    let one = hub(&handle, Some(ADMIN), search).await.expect("search");
    assert_eq!(rollup::build_from_hub(&rows, &one).cves, vec![cve.clone()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn others_get_not_allowed_and_fall_back() {
    let handle = small().await;
    let refused = hub(&handle, Some(ALICE), HubQuery::default())
        .await
        .expect_err("alice is no admin");
    assert!(refused.is_not_allowed(), "{refused:?}");
    assert!(matches!(
        refused,
        AuditError::NotAllowed { status: 403, .. }
    ));
    let anonymous = hub(&handle, None, HubQuery::default())
        .await
        .expect_err("anonymous");
    assert!(matches!(
        anonymous,
        AuditError::NotAllowed { status: 401, .. }
    ));
    // The fallback: alice's own reports give her roll-up.
    let (rows, reports) = crawl_with_reports(&handle, ALICE).await;
    assert!(!rollup::build(&rows, &reports).cves.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_per_project_beside_the_size_sum() {
    let handle = small().await;
    let (rows, _) = crawl_with_reports(&handle, ADMIN).await;
    let mut projects: Vec<String> = rows.iter().map(|r| r.project.to_string()).collect();
    projects.sort();
    projects.dedup();
    let transport = NativeTransport::new(&handle.base_url()).expect("client");
    let summaries: Vec<_> = fetch_summaries(
        &transport,
        &TokioClock::new(),
        &config(ADMIN),
        &projects,
        &CancelToken::new(),
    )
    .await
    .into_iter()
    .map(|(name, s)| (name, s.expect("summary")))
    .collect();
    let all: Vec<u32> = (0..rows.len() as u32).collect();
    let storage = inventory::storage::per_project_storage(&rows, &all, &summaries);
    assert_eq!(storage.len(), projects.len());
    let ds = handle.sim().dataset();
    let mut differs = 0;
    for s in &storage {
        let p = ds.project_by_name(&s.project).expect("project");
        assert_eq!(s.quota_used, Some(ds.quota(p).used), "{}", s.project);
        if s.quota_used != Some(s.size_sum) {
            differs += 1;
        }
    }
    assert!(differs > 0, "shared layers show");
    let csv = inventory::export::projects_csv(&storage, &Default::default());
    let records = inventory::export::parse_csv(&csv).expect("csv");
    assert_eq!(records.len(), 3 + storage.len());

    // A non-member reads a public project's summary without quota: labelled unknown.
    let bob = fetch_summaries(
        &transport,
        &TokioClock::new(),
        &config(("bob", "Bob12345")),
        &["library".to_string(), "secret".to_string()],
        &CancelToken::new(),
    )
    .await;
    let library = bob[0].1.as_ref().expect("public project");
    assert_eq!(library.storage_used(), None);
    assert!(bob[1].1.as_ref().is_err_and(AuditError::is_not_allowed));
}
