//! Audit endpoints over a real socket: accessories, project summaries, Security Hub.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use harbor_sim::dataset::Artifact;
use harbor_sim::{HarborVersion, Preset, SimConfig};
use serde_json::Value;

fn small(version: HarborVersion) -> SimConfig {
    SimConfig {
        preset: Preset::Small,
        version,
        ..SimConfig::default()
    }
}

fn list_path(h: &Harness, a: &Artifact) -> String {
    let ds = h.handle.sim().dataset();
    let repo = ds.repo_of(a);
    let project = &ds.project_of_repo(repo).name;
    let short = repo.name[project.len() + 1..].replace('/', "%252F");
    format!("/projects/{project}/repositories/{short}/artifacts")
}

/// Every listed artifact of the dataset with `with_accessory=true`, by digest.
async fn listed_with_accessories(h: &Harness, extra: &str) -> BTreeMap<String, Value> {
    let ds = h.handle.sim().dataset();
    let mut out = BTreeMap::new();
    for repo in &ds.repositories {
        let Some(first) = repo.artifacts.first() else {
            continue;
        };
        let base = list_path(h, &ds.artifacts[*first as usize]);
        let mut page = 1;
        loop {
            let path = format!("{base}?page={page}&page_size=100&with_accessory=true{extra}");
            let r = h.get_as(&path, ADMIN).await;
            assert_eq!(r.status, 200, "{path}");
            let items = r.json().as_array().cloned().unwrap_or_default();
            let done = items.len() < 100;
            for a in items {
                out.insert(a["digest"].as_str().unwrap_or("").to_string(), a);
            }
            if done {
                break;
            }
            page += 1;
        }
    }
    out
}

#[tokio::test]
async fn accessories_kinds_null_when_none_and_never_listed() {
    let h = Harness::start(small(HarborVersion::V2_13)).await;
    let listed = listed_with_accessories(&h, "").await;
    let ds = h.handle.sim().dataset();
    assert_eq!(listed.len(), ds.artifact_count());
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let mut accessory_digests = BTreeSet::new();
    let mut none = 0;
    for a in listed.values() {
        match &a["accessories"] {
            Value::Null => none += 1,
            Value::Array(list) => {
                assert!(!list.is_empty(), "an empty list is sent as null");
                for acc in list {
                    *kinds
                        .entry(acc["type"].as_str().unwrap_or("").into())
                        .or_default() += 1;
                    assert_eq!(acc["subject_artifact_digest"], a["digest"]);
                    assert!(acc["size"].as_u64().unwrap_or(0) > 0);
                    accessory_digests.insert(acc["digest"].as_str().unwrap_or("").to_string());
                }
            }
            other => panic!("accessories is {other}"),
        }
    }
    assert!(none > listed.len() / 3, "most artifacts carry none");
    for k in ["signature.cosign", "signature.notation", "harbor.sbom"] {
        assert!(kinds.get(k).copied().unwrap_or(0) > 0, "{k}: {kinds:?}");
    }
    // Accessory artifacts themselves never appear in lists.
    for d in &accessory_digests {
        assert!(!listed.contains_key(d), "{d} listed");
    }
    // The truth agrees with what the API says, artifact by artifact.
    let truth = ds.truth(&ds.principal_by_name("admin").expect("admin"));
    for row in truth {
        let a = &listed[&row.digest];
        let types: Vec<&str> = a["accessories"]
            .as_array()
            .map(|l| l.iter().filter_map(|x| x["type"].as_str()).collect())
            .unwrap_or_default();
        let signed = types.iter().any(|t| t.starts_with("signature."));
        assert_eq!(row.signed, signed, "{}", row.digest);
        assert_eq!(row.sbom, types.contains(&"harbor.sbom"), "{}", row.digest);
    }
}

#[tokio::test]
async fn index_children_inherit_every_accessory_kind_on_2_16() {
    let h = Harness::start(small(HarborVersion::V2_16)).await;
    let ds = h.handle.sim().dataset();
    let index = ds
        .artifacts
        .iter()
        .find(|a| a.parent.is_none() && !a.children.is_empty() && ds.own_accessories(a).len() > 1)
        .expect("an index with several accessories")
        .clone();
    let child = ds.artifacts[index.children[0] as usize].clone();
    let path = format!(
        "{}/{}?with_accessory=true&with_inherited_accessory=true",
        list_path(&h, &child),
        child.digest
    );
    let body = h.get_as(&path, ADMIN).await.json();
    assert_eq!(
        body["accessories"],
        Value::Null,
        "children carry none of their own"
    );
    let inherited = body["inherited_accessories"].as_array().expect("inherited");
    assert_eq!(inherited.len(), ds.own_accessories(&index).len());
    assert!(ds.is_signed(&child) || ds.has_sbom(&child));
}

/// A `q` value and what every item it finds must satisfy.
type Check = (&'static str, fn(&Value) -> bool);

const HUB_ROBOT: (&str, &str) = ("robot$security-hub", "SecHubRobot1");

#[tokio::test]
async fn project_summary_quota_and_who_sees_it() {
    let h = Harness::start(small(HarborVersion::V2_13)).await;
    let ds = h.handle.sim().dataset();
    // Admin: every project has quota figures; shared layers make `used` differ from
    // the sum of the listed artifacts' sizes somewhere.
    let mut differs = 0;
    for p in &ds.projects {
        let r = h
            .get_as(&format!("/projects/{}/summary", p.id), ADMIN)
            .await;
        assert_eq!(r.status, 200, "{}", p.name);
        let body = r.json();
        assert_eq!(body["repo_count"], p.repos.len(), "{}", p.name);
        let used = body["quota"]["used"]["storage"].as_u64().expect("used");
        let hard = body["quota"]["hard"]["storage"].as_i64().expect("hard");
        assert!(hard == -1 || hard as u64 >= used, "{}", p.name);
        assert!(body["developer_count"].as_u64().is_some());
        if used != ds.listed_size_sum(p) {
            differs += 1;
        }
        assert_eq!(used, ds.quota(p).used);
    }
    assert!(differs > ds.projects.len() / 2, "{differs}");
    // By name too.
    let by_name = h.get_as("/projects/team/summary", ADMIN).await.json();
    assert_eq!(
        by_name["quota"]["used"]["storage"],
        ds.quota(&ds.projects[1]).used
    );

    // A member (alice is a developer of team) sees the quota.
    let alice = h.get_as("/projects/team/summary", ALICE).await.json();
    assert!(
        alice["quota"]["used"]["storage"].as_u64().is_some(),
        "{alice}"
    );
    // Non-members of a public project, anonymous callers and robots: repo_count only.
    for who in [Some(BOB), None, Some(ROBOT)] {
        let r = match who {
            Some(w) => h.get_as("/projects/library/summary", w).await,
            None => h.get("/projects/library/summary").await,
        };
        assert_eq!(r.status, 200, "{who:?}");
        let body = r.json();
        assert!(body.get("quota").is_none(), "{who:?}: {body}");
        assert_eq!(body["repo_count"], ds.projects[0].repos.len());
    }
    let robot_team = h.get_as("/projects/team/summary", ROBOT).await;
    assert_eq!(robot_team.status, 200, "a robot of team reads it");
    assert!(robot_team.json().get("quota").is_none());
    // A private project: as the project itself, 403 logged in, 401 anonymous.
    assert_eq!(h.get_as("/projects/secret/summary", BOB).await.status, 403);
    assert_eq!(h.get("/projects/secret/summary").await.status, 401);
    assert_eq!(h.get_as("/projects/nope/summary", ADMIN).await.status, 404);
}

#[tokio::test]
async fn security_hub_permissions() {
    let h = Harness::start(small(HarborVersion::V2_13)).await;
    for path in ["/security/summary", "/security/vul"] {
        assert_eq!(h.get_as(path, ADMIN).await.status, 200, "{path}");
        assert_eq!(h.get_as(path, HUB_ROBOT).await.status, 200, "{path}");
        for who in [ALICE, BOB, ROBOT, TEAM_ROBOT] {
            let r = h.get_as(path, who).await;
            assert_eq!(r.status, 403, "{path} as {}", who.0);
            assert_eq!(r.error().0, "FORBIDDEN");
        }
        assert_eq!(h.get(path).await.status, 401, "{path} anonymous");
    }
    // The hub robot reads no private project: its permission is the hub's only.
    assert_eq!(h.get_as("/projects/secret", HUB_ROBOT).await.status, 403);
}

#[tokio::test]
async fn security_hub_items_follow_the_reports() {
    let h = Harness::start(small(HarborVersion::V2_13)).await;
    let ds = h.handle.sim().dataset();
    let cves = ds.cve_truth(&ds.principal_by_name("admin").expect("admin"));
    let findings: usize = cves.iter().map(|c| c.affected.len()).sum();
    // Totals, paging, tune_count.
    let first = h.get_as("/security/vul?page_size=100", ADMIN).await;
    assert_eq!(first.total(), Some(findings as i64));
    assert_eq!(first.len(), 100.min(findings));
    assert!(
        findings > 1_000,
        "Small has enough findings for tune_count: {findings}"
    );
    let tuned = h.get_as("/security/vul?tune_count=true", ADMIN).await;
    assert_eq!(tuned.total(), Some(-1));
    let last = findings.div_ceil(100);
    let tail = h
        .get_as(&format!("/security/vul?page_size=100&page={last}"), ADMIN)
        .await;
    assert_eq!(tail.len(), findings - (last - 1) * 100);
    assert_eq!(
        h.get_as("/security/vul?page_size=101", ADMIN).await.status,
        422
    );
    // cve_id: exactly the artifacts the reports list for it.
    let cve = cves.iter().max_by_key(|c| c.affected.len()).expect("a cve");
    let r = h
        .get_as(
            &format!("/security/vul?page_size=100&q=cve_id%3D{}", cve.id),
            ADMIN,
        )
        .await;
    let mut got: Vec<String> = r
        .json()
        .as_array()
        .expect("array")
        .iter()
        .map(|v| {
            format!(
                "{}@{}",
                v["repository_name"].as_str().unwrap_or(""),
                v["digest"].as_str().unwrap_or("")
            )
        })
        .collect();
    got.sort();
    assert_eq!(got, cve.affected);
    // Severity, CVSS range, package, repository: every item obeys the filter.
    let checks: [Check; 4] = [
        ("severity%3DCritical", |v| v["severity"] == "Critical"),
        ("cvss_score_v3%3D%5B7.5~9%5D", |v| {
            v["cvss_v3_score"]
                .as_f64()
                .is_some_and(|s| (7.5..=9.0).contains(&s))
        }),
        ("package%3Dopenssl", |v| v["package"] == "openssl"),
        ("repository_name%3D~library", |v| {
            v["repository_name"]
                .as_str()
                .is_some_and(|s| s.contains("library"))
        }),
    ];
    for (q, ok) in checks {
        let r = h
            .get_as(&format!("/security/vul?page_size=100&q={q}"), ADMIN)
            .await;
        assert_eq!(r.status, 200, "{q}");
        let items = r.json().as_array().cloned().unwrap_or_default();
        assert!(!items.is_empty(), "{q} finds something");
        assert!(items.iter().all(ok), "{q}");
        assert!(r.total().unwrap_or(0) < findings as i64, "{q} narrows");
    }
    // tag and digest find one artifact's findings.
    let a = ds
        .artifacts
        .iter()
        .find(|a| !a.tags.is_empty() && ds.findings(a).len() > 1 && a.parent.is_none())
        .expect("a tagged artifact with findings");
    let by_digest = h
        .get_as(
            &format!("/security/vul?with_tag=true&q=digest%3D{}", a.digest),
            ADMIN,
        )
        .await;
    assert_eq!(by_digest.total(), Some(ds.findings(a).len() as i64));
    assert_eq!(by_digest.json()[0]["tags"][0], *a.tags[0].name);
    // Summary: totals agree with the reports.
    let s = h
        .get_as(
            "/security/summary?with_dangerous_cve=true&with_dangerous_artifact=true",
            ADMIN,
        )
        .await
        .json();
    assert_eq!(s["total_vuls"], findings);
    assert_eq!(s["dangerous_cves"].as_array().map(Vec::len), Some(5));
    assert_eq!(s["dangerous_artifacts"].as_array().map(Vec::len), Some(5));
    let plain = h.get_as("/security/summary", ADMIN).await.json();
    assert!(plain.get("dangerous_cves").is_none());
}
