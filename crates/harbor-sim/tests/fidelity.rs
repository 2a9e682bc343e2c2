//! The simulator against what real Harbor releases do, on every release where each
//! behaviour applies: vulnerability reports, the strict `q`, field presence by version
//! and caller, methods and sessions, key sets (fixtures in `tests/fixtures/`), and the
//! release-specific behaviours of 2.13 to 2.16.

mod common;

use common::{tiny_version, Harness, ADMIN, ALICE, BOB, ROBOT};
use harbor_sim::dataset::{Artifact, ArtifactKind, ScanState};
use harbor_sim::{HarborVersion, Mutation, Preset, SimConfig};
use serde_json::Value;

const MIME: &str = "application/vnd.security.vulnerability.report; version=1.1";
const ALL_VERSIONS: [&str; 7] = ["2.10", "2.12", "2.13", "2.14", "2.15.1", "2.15.2", "2.16"];

fn version(v: &str) -> HarborVersion {
    v.parse().expect("version")
}

async fn tiny_on(v: &str) -> Harness {
    Harness::start(tiny_version(version(v))).await
}

/// Percent-encodes a query value (everything but unreserved characters).
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `/projects/{p}/repositories/{r}/artifacts/{digest}` of a dataset artifact.
fn artifact_path(h: &Harness, a: &Artifact) -> String {
    let ds = h.handle.sim().dataset();
    let repo = ds.repo_of(a);
    let project = &ds.project_of_repo(repo).name;
    let short = &repo.name[project.len() + 1..];
    let short = short.replace('/', "%252F");
    format!(
        "/projects/{project}/repositories/{short}/artifacts/{}",
        a.digest
    )
}

fn find(h: &Harness, f: impl Fn(&Artifact) -> bool) -> Artifact {
    let ds = h.handle.sim().dataset();
    ds.artifacts
        .iter()
        .find(|a| ds.repo_of(a).artifacts.contains(&((a.id - 1) as u32)) && f(a))
        .cloned()
        .expect("no such artifact in the dataset")
}

#[tokio::test]
async fn clean_reports_send_null_and_status_comes_with_2_14() {
    for v in ALL_VERSIONS {
        let h = tiny_on(v).await;
        let clean = find(&h, |a| {
            a.scan.state == ScanState::Success && a.scan.total() == 0
        });
        let path = format!("{}/additions/vulnerabilities", artifact_path(&h, &clean));
        let body = h.get_as(&path, ADMIN).await.json();
        assert!(
            body[MIME]["vulnerabilities"].is_null(),
            "{v}: a clean report has null vulnerabilities: {body}"
        );
        assert_eq!(body[MIME]["severity"], "None", "{v}");

        let found = find(&h, |a| {
            a.scan.state == ScanState::Success && a.scan.total() > 0
        });
        let path = format!("{}/additions/vulnerabilities", artifact_path(&h, &found));
        let body = h.get_as(&path, ADMIN).await.json();
        let vulns = body[MIME]["vulnerabilities"].as_array().expect("findings");
        let with_status = version(v).at_least(2, 14);
        for vuln in vulns {
            assert_eq!(vuln.get("status").is_some(), with_status, "{v}: {vuln}");
        }
    }
}

#[tokio::test]
async fn accept_header_matches_exactly_after_trimming() {
    let h = Harness::tiny().await;
    let a = find(&h, |a| {
        a.scan.state == ScanState::Success && a.scan.total() > 0
    });
    let path = format!("{}/additions/vulnerabilities", artifact_path(&h, &a));
    let auth = format!(
        "Basic {}",
        harbor_sim::auth::base64_encode(b"admin:Harbor12345")
    );
    let get = |accept: &'static str| {
        let (path, auth) = (path.clone(), auth.clone());
        let h = &h;
        async move {
            h.get_with(
                &path,
                &[
                    ("authorization", &auth),
                    ("x-accept-vulnerabilities", accept),
                ],
            )
            .await
            .json()
        }
    };
    let padded = get("  application/vnd.security.vulnerability.report; version=1.1 ").await;
    assert!(padded.get(MIME).is_some(), "trimmed: {padded}");
    let listed =
        get("application/json, application/vnd.security.vulnerability.report; version=1.1").await;
    assert!(listed.get(MIME).is_some(), "second of a list");
    for refused in [
        "APPLICATION/VND.SECURITY.VULNERABILITY.REPORT; VERSION=1.1",
        "application/vnd.security.vulnerability.report;version=1.1",
    ] {
        assert_eq!(get(refused).await, serde_json::json!({}), "{refused}");
    }
}

#[tokio::test]
async fn q_is_as_strict_as_harbor() {
    for v in ALL_VERSIONS {
        let h = tiny_on(v).await;
        for (path, bad) in [
            ("/repositories", "name=~"),
            ("/projects", "name=~"),
            ("/repositories", "creation_time=[2024-01-01T00:00:00~"),
            ("/projects", "project_id={1 2"),
            (
                "/projects/library/repositories/nginx/artifacts",
                "size=[1~2~3]",
            ),
            (
                "/projects/library/repositories/nginx/artifacts",
                "labels=(1 2",
            ),
            ("/repositories", "name=[a]"),
        ] {
            let r = h.get_as(&format!("{path}?q={}", enc(bad)), ADMIN).await;
            assert_eq!(r.status, 400, "{v}: {path}?q={bad}: {}", r.body);
            assert_eq!(r.error().0, "BAD_REQUEST");
        }
        // A bad percent-escape is only logged: the text is used as it came.
        let r = h
            .get_as(&format!("/repositories?q={}", enc("name=%zz")), ADMIN)
            .await;
        assert_eq!((r.status, r.body.as_str()), (200, "[]\n"), "{v}");
        let r = h
            .get_as(&format!("/repositories?q={}", enc("name=~nginx")), ADMIN)
            .await;
        assert_eq!(r.len(), 1, "{v}: a fuzzy value still works");
    }
}

#[tokio::test]
async fn systeminfo_by_version_and_caller() {
    for v in ALL_VERSIONS {
        let h = tiny_on(v).await;
        let anon = h.get("/systeminfo").await.json();
        assert_eq!(anon["oidc_provider_name"], "", "{v}");
        let shows = anon.get("harbor_version").is_some();
        assert_eq!(shows, !version(v).at_least(2, 13), "{v}: {anon}");
        let me = h.get_as("/users/current", ALICE).await.json();
        assert!(
            me.get("comment").is_none(),
            "{v}: empty comment omitted: {me}"
        );
        assert_eq!(me["sysadmin_flag"], false, "{v}: kept even when false");
        let admin = h.get_as("/systeminfo", ADMIN).await.json();
        let text = admin["harbor_version"].as_str().expect("logged in");
        assert!(text.starts_with(&format!("v{}", version(v))), "{v}: {text}");
    }
}

#[tokio::test]
async fn project_roles_and_detail() {
    let h = Harness::tiny().await;
    let role_ids = |r: &common::Resp, name: &str| -> Value {
        let list = r.json();
        let p = list
            .as_array()
            .and_then(|l| l.iter().find(|p| p["name"] == name))
            .cloned()
            .expect("project listed");
        assert!(p
            .as_object()
            .expect("object")
            .contains_key("current_user_role_ids"));
        p["current_user_role_ids"].clone()
    };
    let admin = h.get_as("/projects", ADMIN).await;
    assert_eq!(role_ids(&admin, "team"), serde_json::json!([1]));
    let alice = h.get_as("/projects", ALICE).await;
    assert_eq!(role_ids(&alice, "team"), serde_json::json!([2]));
    assert!(role_ids(&alice, "library").is_null(), "not a member");
    let bob = h.get_as("/projects", BOB).await;
    assert!(role_ids(&bob, "library").is_null());
    let robot = h.get_as("/projects", ROBOT).await;
    assert!(role_ids(&robot, "team").is_null(), "robots have no role");
    let anon = h.get("/projects").await;
    assert!(role_ids(&anon, "library").is_null());

    let lean = h.get_as("/projects?with_detail=false", ADMIN).await.json();
    for p in lean.as_array().expect("list") {
        assert!(p.get("metadata").is_none(), "{p}");
        assert!(p["cve_allowlist"]["items"].is_null(), "{p}");
        let name = p["name"].as_str().expect("name");
        let ds = h.handle.sim().dataset();
        let repos = ds.project_by_name(name).expect("project").repos.len();
        assert_eq!(p["repo_count"], repos, "{name}: repo_count is kept");
    }
}

#[tokio::test]
async fn indexes_accessories_and_created_times() {
    for v in ["2.10", "2.13", "2.16"] {
        let h = tiny_on(v).await;
        let index = find(&h, |a| a.kind == ArtifactKind::Index);
        let body = h.get_as(&artifact_path(&h, &index), ADMIN).await.json();
        assert!(body.get("artifact_type").is_none(), "{v}: {body}");
        assert!(body.get("extra_attrs").is_none(), "{v}: {body}");

        let image = find(&h, |a| a.kind == ArtifactKind::Image && a.signed);
        let path = format!("{}?with_accessory=true", artifact_path(&h, &image));
        let body = h.get_as(&path, ADMIN).await.json();
        let created = body["extra_attrs"]["created"].as_str().expect("created");
        let fraction = created.rsplit('.').next().expect("fraction");
        assert_eq!(
            fraction.len(),
            "621679073Z".len(),
            "{v}: nanoseconds: {created}"
        );
        let accessory = &body["accessories"][0];
        assert!(
            accessory.get("icon").is_none(),
            "empty icon omitted: {accessory}"
        );
        assert_eq!(
            body.get("artifact_type").is_some(),
            version(v).at_least(2, 12),
            "{v}"
        );
    }
}

#[tokio::test]
async fn methods_and_sessions() {
    for v in ["2.10", "2.16"] {
        let h = tiny_on(v).await;
        let head = |path: &str| h.send(h.client.head(h.url(path)));
        assert_eq!(head("/repositories").await.status, 405, "{v}");
        assert_eq!(head("/projects/library").await.status, 405, "{v}");
        assert_eq!(head("/projects?project_name=library").await.status, 200);
        assert_eq!(head("/projects?project_name=nope").await.status, 404);

        let url = h.url("/projects/library/repositories/nginx");
        let plain = h.send(h.client.delete(&url)).await;
        assert_eq!(plain.status, 405, "{v}: no session, no CSRF check");
        for req in [
            h.client.delete(&url).header("cookie", "sid=abc"),
            h.client
                .post(h.url("/projects"))
                .header("cookie", "_gorilla_csrf=x; sid=abc"),
            h.client
                .put(&url)
                .header("cookie", "sid=abc")
                .header("x-harbor-csrf-token", "made-up"),
        ] {
            let r = h.send(req).await;
            assert_eq!(r.status, 403, "{v}");
            assert_eq!(
                r.body,
                "{\"errors\":[{\"code\":\"FORBIDDEN\",\"message\":\"CSRF token invalid\"}]}\n"
            );
        }
        let get = h.send(h.client.get(&url).header("cookie", "sid=abc")).await;
        assert_eq!(get.status, 200, "{v}: GETs are never checked");
    }
}

/// The key sets the project wrote from real responses.
fn key_sets() -> Value {
    serde_json::from_str(include_str!("fixtures/key-sets.json")).expect("fixture")
}

/// Every key of `kind` is there, and nothing else.
fn assert_keys(sets: &Value, kind: &str, item: &Value, context: &str) {
    let set = &sets[kind];
    let list = |k: &str| -> Vec<&str> {
        set[k]
            .as_array()
            .unwrap_or_else(|| panic!("fixture has no {kind}"))
            .iter()
            .filter_map(Value::as_str)
            .collect()
    };
    let (required, optional) = (list("required"), list("optional"));
    let keys: Vec<&str> = item
        .as_object()
        .unwrap_or_else(|| panic!("{context}: not an object: {item}"))
        .keys()
        .map(String::as_str)
        .collect();
    for k in &required {
        assert!(keys.contains(k), "{context}: {kind} lacks {k:?}: {keys:?}");
    }
    for k in &keys {
        assert!(
            required.contains(k) || optional.contains(k),
            "{context}: {kind} has unexpected {k:?}"
        );
    }
}

#[tokio::test]
async fn every_kind_of_response_has_harbors_keys() {
    let sets = key_sets();
    for v in ALL_VERSIONS {
        let h = tiny_on(v).await;
        let ver = version(v);
        let projects = h.get_as("/projects", ADMIN).await.json();
        for p in projects.as_array().expect("projects") {
            assert_keys(&sets, "project", p, v);
            assert_keys(&sets, "cve_allowlist", &p["cve_allowlist"], v);
        }
        let lean = h.get_as("/projects?with_detail=false", ADMIN).await.json();
        for p in lean.as_array().expect("projects") {
            assert_keys(&sets, "project_without_detail", p, v);
        }
        let repos = h.get_as("/repositories?page_size=100", ADMIN).await.json();
        for r in repos.as_array().expect("repositories") {
            assert_keys(&sets, "repository", r, v);
        }
        let image_kind = if ver.at_least(2, 12) {
            "artifact_image_2.12"
        } else {
            "artifact_image_2.10"
        };
        let path = "/projects/library/repositories/nginx/artifacts?with_scan_overview=true&with_label=true&with_accessory=true";
        let list = h.get_as(path, ADMIN).await.json();
        for a in list.as_array().expect("artifacts") {
            let is_index = a["media_type"] == "application/vnd.oci.image.index.v1+json";
            let kind = match (is_index, ver.at_least(2, 12)) {
                (true, true) => "artifact_index_2.12",
                // Before 2.12 no artifact has artifact_type; an index lacks extra_attrs.
                (true, false) => continue,
                (false, _) => image_kind,
            };
            assert_keys(&sets, kind, a, v);
            if !is_index {
                assert_keys(&sets, "image_extra_attrs", &a["extra_attrs"], v);
            }
            for t in a["tags"].as_array().into_iter().flatten() {
                assert_keys(&sets, "tag", t, v);
            }
            for acc in a["accessories"].as_array().into_iter().flatten() {
                assert_keys(&sets, "accessory", acc, v);
            }
        }
        let scanned = find(&h, |a| {
            a.scan.state == ScanState::Success && a.scan.total() > 0
        });
        let path = format!("{}/additions/vulnerabilities", artifact_path(&h, &scanned));
        let report = h.get_as(&path, ADMIN).await.json();
        assert_keys(&sets, "vulnerability_report", &report[MIME], v);
        let vuln_kind = if ver.at_least(2, 14) {
            "vulnerability_2.14"
        } else {
            "vulnerability_2.10"
        };
        for vuln in report[MIME]["vulnerabilities"]
            .as_array()
            .expect("findings")
        {
            assert_keys(&sets, vuln_kind, vuln, v);
            assert_keys(&sets, "preferred_cvss", &vuln["preferred_cvss"], v);
        }
        let error = h.get("/projects/secret").await.json();
        assert_keys(&sets, "error", &error["errors"][0], v);
        let info_kind = if ver.at_least(2, 13) {
            "systeminfo_anonymous_2.13"
        } else {
            "systeminfo_anonymous_2.10"
        };
        assert_keys(&sets, info_kind, &h.get("/systeminfo").await.json(), v);
    }
}

#[tokio::test]
async fn cnai_models_from_2_13() {
    for v in ["2.10", "2.12", "2.13", "2.16"] {
        let h = Harness::start(SimConfig {
            preset: Preset::Medium,
            version: version(v),
            ..SimConfig::default()
        })
        .await;
        let model = find(&h, |a| a.kind == ArtifactKind::Model);
        let body = h.get_as(&artifact_path(&h, &model), ADMIN).await.json();
        let knows = version(v).at_least(2, 13);
        assert_eq!(body["type"], if knows { "CNAI" } else { "UNKNOWN" }, "{v}");
        assert_eq!(
            body["media_type"],
            "application/vnd.cncf.model.config.v1+json"
        );
        assert!(body.get("scan_overview").is_none());
        let truth = h.handle.sim().dataset().truth_row(&model);
        assert_eq!(truth.kind, body["type"].as_str().expect("type"), "{v}");
        let typed = format!(
            "{}?q={}",
            artifact_path(&h, &model).rsplit_once('/').expect("list").0,
            enc("type=CNAI")
        );
        assert_eq!(
            h.get_as(&typed, ADMIN).await.len() > 0,
            knows,
            "{v}: q type=CNAI"
        );
    }
}

/// `update_time` of a repository after a mutation touching only it.
async fn update_time_after(v: &str, m: Mutation) -> (String, String, i64, i64) {
    let h = tiny_on(v).await;
    let path = "/projects/library/repositories/nginx";
    let before = h.get(path).await.json();
    let m = Mutation {
        project: Some("library".into()),
        repositories: 5,
        ..m
    };
    let report = h.handle.sim().mutate(&m);
    assert!(report.repositories.contains(&"library/nginx".to_string()));
    let after = h.get(path).await.json();
    let count = |v: &Value| v["pull_count"].as_i64().expect("pull_count");
    (
        before["update_time"].as_str().expect("time").to_string(),
        after["update_time"].as_str().expect("time").to_string(),
        count(&before),
        count(&after),
    )
}

#[tokio::test]
async fn update_time_moves_on_every_change_from_2_15_2() {
    for v in ALL_VERSIONS {
        let every = version(v) >= HarborVersion::V2_15_2;
        let push = Mutation {
            push: 1,
            ..Mutation::default()
        };
        let (t0, t1, ..) = update_time_after(v, push).await;
        assert_ne!(t0, t1, "{v}: a push always moves update_time");
        let delete = Mutation {
            push: 0,
            delete: 1,
            ..Mutation::default()
        };
        let (t0, t1, ..) = update_time_after(v, delete).await;
        assert_eq!(t0 != t1, every, "{v}: artifact delete");
        let tag = Mutation {
            push: 0,
            tag: 1,
            ..Mutation::default()
        };
        let (t0, t1, ..) = update_time_after(v, tag).await;
        assert_eq!(t0 != t1, every, "{v}: tag create");
        let pull = Mutation {
            push: 0,
            pull: 3,
            ..Mutation::default()
        };
        let (t0, t1, c0, c1) = update_time_after(v, pull).await;
        assert_eq!(t0, t1, "{v}: a pull never moves update_time");
        assert_eq!(c1, c0 + 3, "{v}: but it counts");
    }
}

#[tokio::test]
async fn inherited_accessories_on_2_16() {
    for v in ["2.13", "2.15.2", "2.16"] {
        let h = tiny_on(v).await;
        let ds = h.handle.sim().dataset();
        let index = find(&h, |a| a.kind == ArtifactKind::Index && a.signed);
        let child = ds.artifacts[index.children[0] as usize].clone();
        let path = artifact_path(&h, &child);
        let asked = h
            .get_as(&format!("{path}?with_inherited_accessory=true"), ADMIN)
            .await;
        assert_eq!(asked.status, 200, "{v}");
        let inherited = &asked.json()["inherited_accessories"];
        if version(v).at_least(2, 16) {
            assert_eq!(
                inherited[0]["subject_artifact_digest"], *index.digest,
                "{v}"
            );
        } else {
            assert!(inherited.is_null(), "{v}: unknown before 2.16");
        }
        let plain = h.get_as(&path, ADMIN).await.json();
        assert!(plain.get("inherited_accessories").is_none(), "{v}: omitted");
        let garbage = h
            .get_as(&format!("{path}?with_inherited_accessory=maybe"), ADMIN)
            .await;
        let expected = if version(v).at_least(2, 16) { 422 } else { 200 };
        assert_eq!(garbage.status, expected, "{v}: validated only where known");
    }
}
