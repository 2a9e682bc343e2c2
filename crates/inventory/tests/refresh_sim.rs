//! Incremental refresh against the simulator, over real sockets: crawl, change a few
//! repositories, refresh. Only the changed repositories are listed again, and the
//! merged inventory equals the simulator's truth.

use std::collections::{BTreeSet, HashSet};

use harbor_client::crawl::{
    CrawlConfig, CrawlReport, Crawler, Credentials, Event, Projects, RepoStamp, RetryPolicy, Scope,
};
use harbor_client::native::{NativeTransport, TokioClock};
use harbor_client::slim::ArtifactRow;
use harbor_client::transport::CancelToken;
use harbor_sim::{
    FaultKind, FaultPlan, FaultRule, HarborVersion, Mutation, Preset, SimConfig, SimHandle,
};
use inventory::refresh::apply;

/// The `small` simulator of `version`, on a free port.
async fn small(version: HarborVersion) -> SimHandle {
    harbor_sim::spawn(SimConfig {
        preset: Preset::Small,
        version,
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts")
}

struct Outcome {
    report: CrawlReport,
    rows: Vec<ArtifactRow>,
    stamps: Vec<RepoStamp>,
}

fn crawler(handle: &SimHandle, who: Option<(&str, &str)>) -> Crawler<NativeTransport, TokioClock> {
    let config = CrawlConfig {
        credentials: who.map(|(u, p)| Credentials::new(u, p)),
        repository_stamps: true,
        retry: RetryPolicy {
            base_delay: std::time::Duration::from_millis(20),
            ..RetryPolicy::default()
        },
        ..CrawlConfig::default()
    };
    let transport = NativeTransport::new(&handle.base_url()).expect("client");
    Crawler::new(transport, TokioClock::new(), config)
}

/// A full crawl (`known` is `None`) or a refresh, of every project.
async fn run(
    handle: &SimHandle,
    who: Option<(&str, &str)>,
    known: Option<Vec<RepoStamp>>,
) -> Outcome {
    run_scope(handle, who, known, Scope::default()).await
}

async fn run_scope(
    handle: &SimHandle,
    who: Option<(&str, &str)>,
    known: Option<Vec<RepoStamp>>,
    scope: Scope,
) -> Outcome {
    let crawler = crawler(handle, who);
    let mut rows = Vec::new();
    let mut stamps = Vec::new();
    let sink = |event: Event| match event {
        Event::Artifacts(batch) => rows.extend(batch),
        Event::Repositories(page) => stamps.extend(page),
        _ => {}
    };
    let cancel = CancelToken::new();
    let report = match known {
        None => crawler.crawl(scope, &cancel, sink).await,
        Some(known) => crawler.refresh(scope, known, &cancel, sink).await,
    }
    .expect("crawl finishes");
    Outcome {
        report,
        rows,
        stamps,
    }
}

fn keys(rows: &[ArtifactRow]) -> BTreeSet<(String, String)> {
    rows.iter()
        .map(|r| (r.repository.to_string(), r.digest.to_string()))
        .collect()
}

/// Repositories whose artifacts were listed since the last reset, from the paths the
/// simulator served (`/projects/p/repositories/a%252Fb/artifacts`).
fn relisted(handle: &SimHandle) -> BTreeSet<String> {
    handle
        .sim()
        .stats()
        .by_path
        .keys()
        .filter_map(|path| {
            let rest = path.strip_prefix("/api/v2.0/projects/")?;
            let (project, rest) = rest.split_once("/repositories/")?;
            let repo = rest.strip_suffix("/artifacts")?;
            Some(format!("{project}/{}", repo.replace("%252F", "/")))
        })
        .collect()
}

async fn refresh_lists_only_what_changed(version: HarborVersion, who: Option<(&str, &str)>) {
    let handle = small(version).await;
    let full = run(&handle, who, None).await;
    assert!(full.report.ledger.is_empty(), "{:?}", full.report.ledger);
    assert_eq!(
        keys(&full.rows),
        handle.truth_keys::<BTreeSet<(String, String)>>(who.map(|(name, _)| name))
    );
    let repositories: HashSet<&str> = full.rows.iter().map(|r| &*r.repository).collect();
    let stamped: HashSet<&str> = full.stamps.iter().map(|s| s.name.as_str()).collect();
    assert!(
        repositories.is_subset(&stamped),
        "every crawl ends with the stamps of every repository ({version:?})"
    );

    let changed = handle.sim().mutate(&Mutation {
        repositories: 3,
        push: 2,
        delete: 1,
        project: None,
        ..Mutation::default()
    });
    handle.sim().reset_stats();
    let fresh = run(&handle, who, Some(full.stamps.clone())).await;
    assert!(fresh.report.ledger.is_empty(), "{:?}", fresh.report.ledger);
    let visible: BTreeSet<String> = changed
        .repositories
        .iter()
        .filter(|r| stamped.contains(r.as_str()))
        .cloned()
        .collect();
    assert_eq!(
        relisted(&handle),
        visible,
        "only changed repositories are listed again"
    );

    let done = fold(full, fresh);
    assert_eq!(
        done.plan.changed,
        visible.iter().cloned().collect::<Vec<_>>()
    );
    assert_eq!(done.plan.changed_count(), visible.len());
    let merged = done.rows;
    assert_eq!(merged.len(), keys(&merged).len(), "no duplicate");
    assert_eq!(
        keys(&merged),
        handle.truth_keys::<BTreeSet<(String, String)>>(who.map(|(name, _)| name))
    );
    // The merged rows of changed repositories carry their new tags (`latest` moved).
    let truth = handle.truth_for(who.map(|(name, _)| name));
    for t in truth.iter().filter(|t| visible.contains(&t.repository)) {
        let row = merged
            .iter()
            .find(|r| *r.repository == t.repository && r.digest == *t.digest)
            .expect("row");
        let mut tags: Vec<&str> = row.tags.iter().map(|t| &*t.name).collect();
        let mut want: Vec<&str> = t.tags.iter().map(String::as_str).collect();
        tags.sort_unstable();
        want.sort_unstable();
        assert_eq!(tags, want, "{}@{}", t.repository, t.digest);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_on_2_10_as_admin() {
    refresh_lists_only_what_changed(HarborVersion::V2_10, Some(("admin", "Harbor12345"))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_on_2_13_as_admin() {
    // Project-level listing: the crawl lists repositories too, for the stamps.
    refresh_lists_only_what_changed(HarborVersion::V2_13, Some(("admin", "Harbor12345"))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_on_2_13_anonymous() {
    refresh_lists_only_what_changed(HarborVersion::V2_13, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_refresh_loses_no_cached_row() {
    // 2.10 compares every stamp; 2.16 lists changes and project counts: either way.
    for version in [HarborVersion::V2_10, HarborVersion::V2_16] {
        failed_refresh_loses_no_cached_row(version).await;
    }
}

async fn failed_refresh_loses_no_cached_row(version: HarborVersion) {
    let who = Some(("admin", "Harbor12345"));
    let handle = small(version).await;
    let full = run(&handle, who, None).await;
    let before = keys(&full.rows);
    handle.sim().mutate(&Mutation {
        repositories: 4,
        push: 1,
        delete: 1,
        project: None,
        ..Mutation::default()
    });
    // The repository and project lists and every artifact listing fail, retries
    // included.
    handle.sim().set_faults(FaultPlan {
        rules: vec![
            FaultRule::new("/repositories?*", FaultKind::Http503),
            FaultRule::new("/projects?*", FaultKind::Http503),
            FaultRule::new("*/artifacts?*", FaultKind::Http500),
        ],
        ..FaultPlan::default()
    });
    let fresh = run(&handle, who, Some(full.stamps.clone())).await;
    assert!(!fresh.report.ledger.is_empty());
    let known = full.stamps.len();
    let done = fold(full, fresh);
    assert!(done.unconfirmed.listing);
    assert!(
        before.is_subset(&keys(&done.rows)),
        "every cached row is kept"
    );
    assert!(done.summary().contains("some listings failed"));
    assert!(done.stamps.len() <= known);
}

/// A scope of two named projects.
fn library_and_team() -> Scope {
    Scope {
        projects: Projects::Named(vec!["library".into(), "team".into()]),
        ..Scope::default()
    }
}

fn in_library_or_team(repo: &str) -> bool {
    repo.starts_with("library/") || repo.starts_with("team/")
}

fn truth_in_library_and_team(
    handle: &SimHandle,
    who: Option<(&str, &str)>,
) -> BTreeSet<(String, String)> {
    handle
        .truth_keys::<BTreeSet<(String, String)>>(who.map(|(name, _)| name))
        .into_iter()
        .filter(|(repo, _)| in_library_or_team(repo))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_of_named_projects_lists_their_repositories_only() {
    let who = Some(("admin", "Harbor12345"));
    let handle = small(HarborVersion::V2_13).await;
    let scope = library_and_team();
    let full = run_scope(&handle, who, None, scope.clone()).await;
    assert!(full.report.ledger.is_empty());
    assert!(!full.stamps.is_empty() && full.stamps.iter().all(|s| in_library_or_team(&s.name)));
    let changed = handle.sim().mutate(&Mutation {
        repositories: 2,
        push: 1,
        delete: 1,
        project: Some("team".into()),
        ..Mutation::default()
    });
    handle.sim().reset_stats();
    let fresh = run_scope(&handle, who, Some(full.stamps.clone()), scope).await;
    assert!(fresh.report.ledger.is_empty());
    let by_route = handle.sim().stats().by_route;
    assert!(!by_route.contains_key("GET /repositories"), "{by_route:?}");
    assert!(!by_route.contains_key("GET /projects"), "{by_route:?}");
    assert_eq!(
        relisted(&handle),
        changed
            .repositories
            .iter()
            .cloned()
            .collect::<BTreeSet<_>>()
    );
    let done = apply(full.rows, &full.stamps, fresh.stamps, fresh.rows, &[]);
    assert_eq!(keys(&done.rows), truth_in_library_and_team(&handle, who));
}

/// A refresh folded into the crawl it refreshed, with its failures.
fn fold(full: Outcome, fresh: Outcome) -> inventory::refresh::Refreshed {
    let failed = fresh.report.ledger.entries;
    apply(full.rows, &full.stamps, fresh.stamps, fresh.rows, &failed)
}

/// Rows with their tag names and kind, so a tag change or a type shows.
fn tagged(rows: &[ArtifactRow]) -> BTreeSet<(String, String, Vec<String>, String)> {
    rows.iter()
        .map(|r| {
            let mut tags: Vec<String> = r.tags.iter().map(|t| t.name.to_string()).collect();
            tags.sort();
            (
                r.repository.to_string(),
                r.digest.to_string(),
                tags,
                r.kind.to_string(),
            )
        })
        .collect()
}

/// `rows` are what `who` may see now, each with its tags.
fn assert_is_the_truth(
    rows: &[ArtifactRow],
    handle: &SimHandle,
    who: Option<(&str, &str)>,
    case: &str,
) {
    let user = who.map(|(name, _)| name);
    assert_eq!(keys(rows), handle.truth_keys(user), "{case}");
    assert_eq!(tagged(rows), truth_tagged(handle, who), "{case}");
}

fn truth_tagged(
    handle: &SimHandle,
    who: Option<(&str, &str)>,
) -> BTreeSet<(String, String, Vec<String>, String)> {
    handle
        .truth_for(who.map(|(name, _)| name))
        .into_iter()
        .map(|mut r| {
            r.tags.sort();
            (r.repository, r.digest, r.tags, r.kind)
        })
        .collect()
}

/// Every kind of change at once: artifact deletes, new tags, pulls, a deleted and a
/// new repository (each its own mutation generation).
fn change_everything(handle: &SimHandle, with_tags: bool) {
    let sim = handle.sim();
    let one = |m: Mutation| sim.mutate(&m);
    one(Mutation {
        repositories: 3,
        push: 0,
        delete: 1,
        ..Mutation::default()
    });
    if with_tags {
        one(Mutation {
            repositories: 2,
            push: 0,
            tag: 1,
            ..Mutation::default()
        });
    }
    one(Mutation {
        repositories: 2,
        push: 0,
        pull: 2,
        ..Mutation::default()
    });
    let dropped = one(Mutation {
        repositories: 1,
        push: 0,
        drop_repository: true,
        project: Some("library".into()),
        ..Mutation::default()
    });
    assert_eq!(dropped.dropped.len(), 1);
    let created = one(Mutation {
        repositories: 0,
        push: 2,
        new_repositories: 1,
        project: Some("team".into()),
        ..Mutation::default()
    });
    assert_eq!(created.created.len(), 1);
}

#[tokio::test]
async fn refresh_by_update_time_from_2_15_2_is_exact_and_cheap() {
    use harbor_client::crawl::RefreshMethod;
    let admin = Some(("admin", "Harbor12345"));
    for version in [HarborVersion::V2_15_2, HarborVersion::V2_16] {
        let handle = small(version).await;
        let full = run(&handle, admin, None).await;
        let full_requests = handle.sim().stats().requests_total;
        change_everything(&handle, true);
        handle.sim().reset_stats();
        let fresh = run(&handle, admin, Some(full.stamps.clone())).await;
        let requests = handle.sim().stats().requests_total;
        assert!(fresh.report.ledger.is_empty(), "{:?}", fresh.report.ledger);
        let method = fresh
            .report
            .refresh
            .clone()
            .expect("a refresh says its method");
        assert!(
            matches!(
                method,
                RefreshMethod::ChangedSince {
                    relisted_projects: 1,
                    ..
                }
            ),
            "{version}: {method:?}"
        );
        assert!(
            method.describe().contains("Pull times may be stale"),
            "{method:?}"
        );
        let done = fold(full, fresh);
        assert_is_the_truth(&done.rows, &handle, admin, &version.to_string());
        assert_eq!(
            done.rows.len(),
            handle
                .truth_keys::<BTreeSet<(String, String)>>(admin.map(|(name, _)| name))
                .len()
        );
        assert_eq!(done.plan.dropped.len(), 1, "{version}: {:?}", done.plan);
        assert_eq!(done.plan.added.len(), 1, "{version}: {:?}", done.plan);
        // /systeminfo, the changed repositories, the projects, the repositories of the
        // project that lost one, and at most one artifact listing for each of the six
        // repositories with new content (3 deletes, 2 tags, 1 new).
        assert!(
            requests <= 4 + 6 && requests < full_requests,
            "{version}: {requests} requests against {full_requests} for the full crawl"
        );
        let paths = handle.sim().stats().by_path;
        assert!(
            !paths.keys().any(|p| p.ends_with("/users/current")),
            "a refresh needs only the release"
        );
    }
}

#[tokio::test]
async fn older_or_unknown_releases_compare_every_repository() {
    use harbor_client::crawl::{RefreshMethod, WhyEveryRepository};
    let admin = Some(("admin", "Harbor12345"));
    // 2.15.1 moves update_time only on a push, and 2.16 tells anonymous callers no
    // release: both compare every stamp (tag-only changes are invisible to that method,
    // so none are made here).
    for (version, who) in [
        (HarborVersion::new(2, 15, 1), admin),
        (HarborVersion::V2_16, None),
    ] {
        let handle = small(version).await;
        let full = run(&handle, who, None).await;
        change_everything(&handle, false);
        let fresh = run(&handle, who, Some(full.stamps.clone())).await;
        let expected = if who.is_some() {
            WhyEveryRepository::OldRelease {
                release: "2.15.1".into(),
            }
        } else {
            WhyEveryRepository::UnknownRelease
        };
        assert_eq!(
            fresh.report.refresh,
            Some(RefreshMethod::EveryRepository { why: expected }),
            "{version}"
        );
        let done = fold(full, fresh);
        assert_is_the_truth(&done.rows, &handle, who, &version.to_string());
    }
}

#[tokio::test]
async fn refresh_of_named_projects_by_update_time() {
    let who = Some(("admin", "Harbor12345"));
    let handle = small(HarborVersion::V2_16).await;
    let scope = library_and_team();
    let full = run_scope(&handle, who, None, scope.clone()).await;
    handle.sim().mutate(&Mutation {
        repositories: 2,
        push: 1,
        delete: 1,
        project: Some("team".into()),
        ..Mutation::default()
    });
    handle.sim().mutate(&Mutation {
        repositories: 1,
        push: 0,
        drop_repository: true,
        project: Some("library".into()),
        ..Mutation::default()
    });
    handle.sim().reset_stats();
    let fresh = run_scope(&handle, who, Some(full.stamps.clone()), scope).await;
    assert!(fresh.report.ledger.is_empty(), "{:?}", fresh.report.ledger);
    assert!(matches!(
        fresh.report.refresh,
        Some(harbor_client::crawl::RefreshMethod::ChangedSince {
            relisted_projects: 1,
            ..
        })
    ));
    let by_route = handle.sim().stats().by_route;
    assert!(!by_route.contains_key("GET /repositories"), "{by_route:?}");
    let done = apply(full.rows, &full.stamps, fresh.stamps, fresh.rows, &[]);
    assert_eq!(keys(&done.rows), truth_in_library_and_team(&handle, who));
    assert_eq!(done.plan.dropped.len(), 1, "{:?}", done.plan);
}

#[tokio::test]
async fn a_failed_list_of_changes_falls_back_to_every_repository() {
    use harbor_client::crawl::{RefreshMethod, WhyEveryRepository};
    let who = Some(("admin", "Harbor12345"));
    let handle = small(HarborVersion::V2_16).await;
    let full = run(&handle, who, None).await;
    change_everything(&handle, true);
    // Only the update_time query fails (retries included); the full list works.
    handle.sim().set_faults(FaultPlan {
        rules: vec![FaultRule::new(
            "/repositories?*update_time*",
            FaultKind::Http503,
        )],
        ..FaultPlan::default()
    });
    let fresh = run(&handle, who, Some(full.stamps.clone())).await;
    assert_eq!(
        fresh.report.refresh,
        Some(RefreshMethod::EveryRepository {
            why: WhyEveryRepository::ChangedListFailed
        })
    );
    assert_eq!(fresh.report.ledger.entries.len(), 1);
    let done = fold(full, fresh);
    // Every change but the dropped repository is in (its rows are kept on the doubt
    // the failed request leaves), and nothing else is left out or invented.
    let truth = handle.truth_keys::<BTreeSet<(String, String)>>(who.map(|(name, _)| name));
    let got = keys(&done.rows);
    assert!(truth.is_subset(&got));
    let extra: BTreeSet<&str> = got.difference(&truth).map(|(r, _)| r.as_str()).collect();
    assert_eq!(extra.len(), 1, "only the dropped repository: {extra:?}");
}
