//! Harbor API behaviour over a real socket: paging, Link, encoding, q, sort, with_* flags,
//! field presence, versions and error bodies. Literal values are for the Tiny preset
//! (seed 42); others are computed from the dataset.

mod common;

use common::{tiny_version, Harness, ADMIN, ALICE};
use harbor_sim::dataset::{media_types, Artifact};
use harbor_sim::{HarborVersion, Preset, SimConfig};
use serde_json::{json, Value};

const NGINX: &str = "/projects/library/repositories/nginx/artifacts";
const BODY_422: &str = "{\"errors\":[{\"code\":\"UNPROCESSABLE_ENTITY\",\"message\":\"validation failure list:\\npage_size in query should be less than or equal to 100\"}]}\n";

fn ids(v: &[Value]) -> Vec<i64> {
    v.iter().map(|x| x.as_i64().expect("id")).collect()
}

#[tokio::test]
async fn paging_first_middle_last_and_past_the_end() {
    let h = Harness::tiny().await;
    let p1 = h.get(&format!("{NGINX}?page_size=4")).await;
    assert_eq!(p1.status, 200);
    assert_eq!(ids(&p1.pluck("id")), vec![11, 10, 9, 8]);
    assert_eq!(p1.total(), Some(9));
    assert_eq!(
        p1.link().as_deref(),
        Some("</api/v2.0/projects/library/repositories/nginx/artifacts?page=2&page_size=4>; rel=\"next\"")
    );

    let p2 = h.get(&format!("{NGINX}?page=2&page_size=4")).await;
    assert_eq!(ids(&p2.pluck("id")), vec![7, 4, 3, 2]);
    assert_eq!(
        p2.link().as_deref(),
        Some(
            "</api/v2.0/projects/library/repositories/nginx/artifacts?page=1&page_size=4>; rel=\"prev\" , \
             </api/v2.0/projects/library/repositories/nginx/artifacts?page=3&page_size=4>; rel=\"next\""
        )
    );

    let last = h.get(&format!("{NGINX}?page=3&page_size=4")).await;
    assert_eq!(ids(&last.pluck("id")), vec![1]);
    assert_eq!(
        last.link().as_deref(),
        Some("</api/v2.0/projects/library/repositories/nginx/artifacts?page=2&page_size=4>; rel=\"prev\"")
    );

    let past = h.get(&format!("{NGINX}?page=4&page_size=4")).await;
    assert_eq!(past.status, 200);
    assert_eq!(past.body, "[]\n");
    assert_eq!(past.total(), Some(9));
    assert_eq!(past.link(), None, "(4-1)*4 >= 9: no prev, no next");
}

#[tokio::test]
async fn page_size_100_is_fine_and_101_is_refused() {
    let h = Harness::tiny().await;
    let ok = h.get(&format!("{NGINX}?page_size=100")).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.len(), 9);
    assert_eq!(ok.link(), None);
    let bad = h.get(&format!("{NGINX}?page_size=101")).await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body, BODY_422);
    assert_eq!(
        bad.header("content-type").as_deref(),
        Some("application/json; charset=utf-8")
    );
    // Validation runs before the permission check.
    let private = h
        .get("/projects/secret/repositories/vault/artifacts?page_size=101")
        .await;
    assert_eq!(private.status, 422);
}

#[tokio::test]
async fn default_page_size_is_10_and_link_keeps_sorted_unescaped_query() {
    let h = Harness::start(SimConfig {
        preset: Preset::Small,
        ..SimConfig::default()
    })
    .await;
    let ds = h.handle.sim().dataset();
    let r = h.get_as("/repositories?q=name%3D~a&sort=name", ADMIN).await;
    let expected: Vec<&str> = {
        let mut v: Vec<&str> = ds
            .repositories
            .iter()
            .map(|r| r.name.as_str())
            .filter(|n| n.to_lowercase().contains('a'))
            .collect();
        v.sort();
        v
    };
    assert!(expected.len() > 10);
    assert_eq!(r.total(), Some(expected.len() as i64));
    let names: Vec<String> = r
        .pluck("name")
        .iter()
        .map(|v| v.as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(names, expected[..10]);
    assert_eq!(
        r.link().as_deref(),
        Some("</api/v2.0/repositories?page=2&page_size=10&q=name=~a&sort=name>; rel=\"next\"")
    );
}

#[tokio::test]
async fn repository_names_must_be_encoded_twice() {
    let h = Harness::tiny().await;
    let twice = h
        .get_as(
            "/projects/team/repositories/tools%252Fpostgrest/artifacts",
            ALICE,
        )
        .await;
    assert_eq!(twice.status, 200);
    assert_eq!(twice.total(), Some(4));
    assert_eq!(ids(&twice.pluck("id")), vec![21, 20, 19, 18]);
    let deep = h
        .get_as(
            "/projects/team/repositories/tools%252Fdeep%252Fx/artifacts",
            ALICE,
        )
        .await;
    assert_eq!(deep.total(), Some(1));

    let once = h
        .get_as(
            "/projects/team/repositories/tools%2Fpostgrest/artifacts",
            ALICE,
        )
        .await;
    assert_eq!(
        (once.status, once.body.as_str(), once.total()),
        (200, "[]\n", Some(0))
    );
    let missing = h
        .get_as("/projects/team/repositories/nope/artifacts", ALICE)
        .await;
    assert_eq!((missing.status, missing.body.as_str()), (200, "[]\n"));
    let raw = h
        .get_as(
            "/projects/team/repositories/tools/postgrest/artifacts",
            ALICE,
        )
        .await;
    assert_eq!(raw.status, 404);

    let repo = h
        .get_as("/projects/team/repositories/tools%252Fpostgrest", ALICE)
        .await;
    assert_eq!(repo.json()["name"], "team/tools/postgrest");
    assert_eq!(repo.json()["artifact_count"], 4);
    let no_repo = h
        .get_as("/projects/team/repositories/tools%2Fpostgrest", ALICE)
        .await;
    assert_eq!(no_repo.status, 404);
    assert_eq!(no_repo.error().0, "NOT_FOUND");

    // Links keep the raw path (only the query is un-escaped), so they can be followed.
    let paged = h
        .get_as(
            "/projects/team/repositories/tools%252Fpostgrest/artifacts?page_size=1",
            ALICE,
        )
        .await;
    assert_eq!(
        paged.link().as_deref(),
        Some("</api/v2.0/projects/team/repositories/tools%252Fpostgrest/artifacts?page=2&page_size=1>; rel=\"next\"")
    );
    let href = paged.json()[0]["addition_links"]["vulnerabilities"]["href"].clone();
    let digest = paged.json()[0]["digest"].as_str().unwrap_or("").to_string();
    assert_eq!(
        href,
        json!(format!(
            "/api/v2.0/projects/team/repositories/tools%252Fpostgrest/artifacts/{digest}/additions/vulnerabilities"
        ))
    );
    let via_href = h.get_as(href.as_str().unwrap_or(""), ALICE).await;
    assert_eq!(via_href.status, 200);
}

#[tokio::test]
async fn q_tags_forms() {
    let h = Harness::tiny().await;
    let q = |q: &str| format!("{NGINX}?page_size=100&q={q}");
    assert_eq!(
        ids(&h.get(&q("tags%3D*")).await.pluck("id")),
        vec![11, 10, 9, 8, 7, 3, 2, 1]
    );
    assert_eq!(ids(&h.get(&q("tags%3Dnil")).await.pluck("id")), vec![4]);
    assert_eq!(ids(&h.get(&q("tags%3D1.0.1")).await.pluck("id")), vec![2]);
    assert_eq!(ids(&h.get(&q("tags%3D~rc1")).await.pluck("id")), vec![2]);
    assert_eq!(
        ids(&h.get(&q("tags%3D~alpine")).await.pluck("id")),
        vec![10, 3, 2]
    );
    // tags=~ is case-sensitive (LIKE), unlike other fuzzy keys.
    assert_eq!(h.get(&q("tags%3D~ALPINE")).await.total(), Some(0));
}

#[tokio::test]
async fn q_exact_fuzzy_range_union_labels_and_unknown_keys() {
    let h = Harness::tiny().await;
    let ds = h.handle.sim().dataset();
    let repo = &ds.repositories[ds.repo_index("library/nginx").expect("nginx") as usize];
    let listed: Vec<&Artifact> = ds.listed_artifacts(repo).collect();
    let expect = |f: &dyn Fn(&Artifact) -> bool| -> Vec<i64> {
        let mut v: Vec<&&Artifact> = listed.iter().filter(|a| f(a)).collect();
        v.sort_by_key(|a| std::cmp::Reverse((a.push_time, a.id)));
        v.iter().map(|a| a.id).collect()
    };
    let get = |q: String| {
        let h = &h;
        async move {
            ids(&h
                .get(&format!("{NGINX}?page_size=100&q={q}"))
                .await
                .pluck("id"))
        }
    };

    let d11 = ds.artifacts[10].digest.to_string();
    assert_eq!(get(format!("digest%3D{d11}")).await, vec![11]);
    assert_eq!(
        get("media_type%3D~OCI".into()).await,
        expect(&|a| media_types(a).0.contains("oci"))
    );
    let mut sizes: Vec<u64> = listed.iter().map(|a| a.size).collect();
    sizes.sort();
    let (lo, hi) = (sizes[2], sizes[6]);
    assert_eq!(
        get(format!("size%3D%5B{lo}~{hi}%5D")).await,
        expect(&|a| a.size >= lo && a.size <= hi)
    );
    assert_eq!(
        get(format!("size%3D%5B~{hi}%5D")).await,
        expect(&|a| a.size <= hi)
    );
    let since = harbor_sim::time::parse_q_time("2024-06-01T00:00:00").expect("time");
    assert_eq!(
        get("push_time%3D%5B2024-06-01T00:00:00~%5D".into()).await,
        expect(&|a| a.push_time >= since)
    );
    assert_eq!(get("id%3D%7B1+2+3+99%7D".into()).await, vec![3, 2, 1]);
    assert_eq!(get("labels%3D(1+6)".into()).await, vec![1]);
    assert_eq!(get("labels%3D(7)".into()).await, vec![11]);
    assert_eq!(get("labels%3D(1+7)".into()).await, Vec::<i64>::new());
    assert_eq!(get("unknown_key%3Dx".into()).await.len(), 9);
    assert_eq!(get("tags%3D*,labels%3D(2)".into()).await, Vec::<i64>::new());

    let bad = h.get(&format!("{NGINX}?q=labels%3D1")).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.error().0, "BAD_REQUEST");
    let noeq = h.get(&format!("{NGINX}?q=garbage")).await;
    assert_eq!(noeq.status, 400);
    assert_eq!(
        noeq.error(),
        (
            "BAD_REQUEST".to_string(),
            "the query string must contain \"=\" and the key/value cannot be empty".to_string()
        )
    );
}

#[tokio::test]
async fn q_on_repositories_and_projects() {
    let h = Harness::tiny().await;
    let names = |r: &common::Resp| -> Vec<String> {
        r.pluck("name")
            .iter()
            .map(|v| v.as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(
        names(&h.get("/repositories?q=name%3D~NGINX").await),
        vec!["library/nginx"]
    );
    assert_eq!(
        names(&h.get("/repositories?q=name%3Dlibrary/nginx").await),
        vec!["library/nginx"]
    );
    assert_eq!(h.get("/repositories?q=name%3Dnginx").await.total(), Some(0));
    assert_eq!(
        names(&h.get("/projects?q=name%3D~lib").await),
        vec!["library"]
    );
    assert_eq!(
        names(&h.get("/projects?name=PROXY").await),
        vec!["proxy-hub"]
    );
    assert_eq!(
        names(&h.get_as("/projects?public=false", ADMIN).await),
        vec!["secret", "team"]
    );
}

#[tokio::test]
async fn sort_orders() {
    let h = Harness::tiny().await;
    let ds = h.handle.sim().dataset();
    let repo = &ds.repositories[ds.repo_index("library/nginx").expect("nginx") as usize];
    let mut by_size: Vec<(u64, i64)> = ds.listed_artifacts(repo).map(|a| (a.size, a.id)).collect();
    by_size.sort();
    let asc: Vec<i64> = by_size.iter().map(|x| x.1).collect();
    let desc: Vec<i64> = asc.iter().rev().copied().collect();
    assert_eq!(
        ids(&h
            .get(&format!("{NGINX}?page_size=100&sort=size"))
            .await
            .pluck("id")),
        asc
    );
    assert_eq!(
        ids(&h
            .get(&format!("{NGINX}?page_size=100&sort=-size"))
            .await
            .pluck("id")),
        desc
    );
    // Unknown sort keys are ignored: the default order (push_time desc, id desc) stays.
    assert_eq!(
        ids(&h
            .get(&format!("{NGINX}?page_size=100&sort=bogus"))
            .await
            .pluck("id")),
        vec![11, 10, 9, 8, 7, 4, 3, 2, 1]
    );
    let projects = h.get_as("/projects", ADMIN).await;
    assert_eq!(
        projects.pluck("name"),
        vec![
            json!("empty"),
            json!("library"),
            json!("proxy-hub"),
            json!("secret"),
            json!("team")
        ]
    );
    let rev = h.get_as("/projects?sort=-name", ADMIN).await;
    assert_eq!(rev.pluck("name")[0], json!("team"));
    // Repositories default to creation_time desc.
    let repos = h.get_as("/repositories?page_size=100", ADMIN).await;
    let times: Vec<String> = repos
        .pluck("creation_time")
        .iter()
        .map(|v| v.as_str().unwrap_or("").to_string())
        .collect();
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted);
    // Tags: push_time desc.
    let tags = h.get(&format!("{NGINX}/1.0.1/tags?page_size=3")).await;
    assert_eq!(tags.total(), Some(12));
    assert_eq!(
        tags.pluck("name"),
        vec![json!("build-1-11"), json!("build-1-10"), json!("build-1-9")]
    );
    let tags_by_name = h
        .get(&format!("{NGINX}/1.0.1/tags?page_size=2&sort=name"))
        .await;
    assert_eq!(
        tags_by_name.pluck("name"),
        vec![json!("1.0.1"), json!("1.0.1-alpine")]
    );
}

#[tokio::test]
async fn with_flags_and_null_sub_lists() {
    let h = Harness::tiny().await;
    let one = |q: &'static str| {
        let h = &h;
        async move { h.get(&format!("{NGINX}/1.0.0{q}")).await.json() }
    };
    // Artifact 1: tag 1.0.0, labels prod + needs-review, signed, Critical scan.
    let plain = one("").await;
    assert_eq!(plain["id"], 1);
    assert_eq!(plain["tags"][0]["name"], "1.0.0");
    assert_eq!(plain["tags"][0]["immutable"], false);
    assert_eq!(plain["labels"], Value::Null);
    assert_eq!(plain["accessories"], Value::Null);
    assert_eq!(plain["references"], Value::Null);
    assert!(plain.get("scan_overview").is_none());
    assert_eq!(plain["pull_time"].as_str().map(|s| s.len()), Some(24));

    assert_eq!(one("?with_tag=false").await["tags"], Value::Null);
    let labels = one("?with_label=true").await;
    assert_eq!(labels["labels"][0]["name"], "prod");
    assert_eq!(labels["labels"][1]["name"], "needs-review");
    assert_eq!(labels["labels"][1]["id"], 6);
    let immutable = one("?with_immutable_status=true").await;
    assert_eq!(immutable["tags"][0]["immutable"], true);
    let acc = one("?with_accessory=true").await;
    assert_eq!(acc["accessories"][0]["type"], "signature.cosign");
    assert_eq!(
        acc["accessories"][0]["subject_artifact_digest"],
        plain["digest"]
    );

    let scan = one("?with_scan_overview=true").await;
    let summary =
        &scan["scan_overview"]["application/vnd.security.vulnerability.report; version=1.1"];
    assert_eq!(summary["scan_status"], "Success");
    assert_eq!(summary["severity"], "Critical");
    assert_eq!(summary["summary"]["total"], 7);
    assert_eq!(
        summary["summary"]["summary"],
        json!({"Critical": 2, "High": 2, "Low": 3})
    );
    let native_only = h
        .get_with(
            &format!("{NGINX}/1.0.0?with_scan_overview=true"),
            &[(
                "X-Accept-Vulnerabilities",
                "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0",
            )],
        )
        .await
        .json();
    assert!(native_only.get("scan_overview").is_none());

    // Untagged artifact 4 with tags asked for: null. Unscanned 3: no scan_overview.
    let list = h
        .get(&format!(
            "{NGINX}?page_size=100&with_label=true&with_scan_overview=true"
        ))
        .await
        .json();
    let by_id = |id: i64| {
        list.as_array()
            .and_then(|a| a.iter().find(|x| x["id"] == id))
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(by_id(4)["tags"], Value::Null);
    assert_eq!(by_id(2)["labels"], Value::Null);
    assert!(by_id(3).get("scan_overview").is_none());
    assert_eq!(by_id(2)["pull_time"], "0001-01-01T00:00:00.000Z");
    let running =
        &by_id(8)["scan_overview"]["application/vnd.security.vulnerability.report; version=1.1"];
    assert_eq!(running["scan_status"], "Running");
    assert!(running.get("summary").is_none());
    // The multi-arch index lists its two children, which are hidden from the list.
    let refs = by_id(7)["references"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(refs.len(), 2);
    assert_eq!(refs[0]["platform"]["architecture"], "amd64");
    assert_eq!(refs[1]["platform"]["architecture"], "arm64");
    assert_eq!(refs[0]["child_id"], 5);
    assert_eq!(
        h.get(&format!("{NGINX}?page_size=100&q=base%3D*"))
            .await
            .total(),
        Some(11)
    );
    let child = h
        .get(&format!(
            "{NGINX}/{}",
            refs[0]["child_digest"].as_str().unwrap_or("")
        ))
        .await;
    assert_eq!(child.json()["id"], 5);
}

#[tokio::test]
async fn vulnerability_additions_match_summaries() {
    let h = Harness::tiny().await;
    let ds = h.handle.sim().dataset();
    let mime = "application/vnd.security.vulnerability.report; version=1.1";
    let report = h
        .get(&format!("{NGINX}/1.0.0/additions/vulnerabilities"))
        .await
        .json();
    let vulns = report[mime]["vulnerabilities"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(vulns.len(), 7);
    assert_eq!(report[mime]["severity"], "Critical");
    assert_eq!(vulns[0]["severity"], "Critical");
    for key in [
        "id",
        "package",
        "version",
        "fix_version",
        "description",
        "links",
        "artifact_digests",
        "preferred_cvss",
        "cwe_ids",
        "vendor_attributes",
    ] {
        assert!(vulns[0].get(key).is_some(), "{key}");
    }
    assert_eq!(
        h.get(&format!("{NGINX}/1.0.2/additions/vulnerabilities"))
            .await
            .body,
        "{}\n"
    );
    // Every visible artifact's report agrees with its summary.
    for a in ds.visible_artifacts(&harbor_sim::Principal::Anonymous) {
        let repo = ds.repo_of(a);
        let project = &ds.project_of_repo(repo).name;
        let short = harbor_sim::render::short_name(ds, repo);
        let path = format!(
            "/projects/{project}/repositories/{}/artifacts/{}/additions/vulnerabilities",
            harbor_sim::render::encode_repo_twice(short),
            a.digest
        );
        let body = h.get(&path).await.json();
        let n = body[mime]["vulnerabilities"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(0);
        assert_eq!(n as u32, a.scan.total(), "{}", a.id);
    }
    // The same CVE shows up in several artifacts of a larger dataset.
    let small = harbor_sim::Dataset::generate(Preset::Small, 42, false, None);
    let mut seen = std::collections::HashMap::new();
    for a in &small.artifacts {
        for c in small.findings(a) {
            *seen.entry(c).or_insert(0) += 1;
        }
    }
    assert!(seen.values().any(|n| *n >= 3));
}

#[tokio::test]
async fn version_differences() {
    let old = Harness::start(tiny_version(HarborVersion::V2_10)).await;
    let new = Harness::start(tiny_version(HarborVersion::V2_13)).await;
    let a_old = old.get(&format!("{NGINX}/1.0.0")).await.json();
    let a_new = new.get(&format!("{NGINX}/1.0.0")).await.json();
    assert!(a_old.get("repository_name").is_none());
    assert!(a_old.get("artifact_type").is_none());
    assert_eq!(a_new["repository_name"], "library/nginx");
    assert_eq!(a_new["artifact_type"], a_new["media_type"]);

    let p_old = old.get_as("/projects/library/artifacts", ADMIN).await;
    assert_eq!(p_old.status, 404);
    assert_eq!(p_old.error().0, "NOT_FOUND");
    assert_eq!(new.get("/projects/library/artifacts").await.status, 401);
    let p_new = new
        .get_as("/projects/library/artifacts?page_size=100", ALICE)
        .await;
    assert_eq!(p_new.total(), Some(15));
    let by_id = new.get_as("/projects/1/artifacts?page_size=1", ALICE).await;
    assert_eq!(by_id.total(), Some(15));
    let named = new
        .send(
            new.client
                .get(new.url("/projects/1/artifacts"))
                .basic_auth(ALICE.0, Some(ALICE.1))
                .header("X-Is-Resource-Name", "true"),
        )
        .await;
    assert_eq!(named.status, 403);
    let latest = new
        .get_as(
            "/projects/library/artifacts?latest_in_repository=true&q=media_type%3D~image",
            ALICE,
        )
        .await;
    assert_eq!(latest.status, 200);
    assert_eq!(
        new.get_as(
            "/projects/library/artifacts?latest_in_repository=true",
            ALICE
        )
        .await
        .status,
        400
    );

    let v_old = old.get_as("/systeminfo", ADMIN).await.json();
    let v_new = new.get_as("/systeminfo", ADMIN).await.json();
    assert!(v_old["harbor_version"]
        .as_str()
        .unwrap_or("")
        .starts_with("v2.10.0-"));
    assert!(v_new["harbor_version"]
        .as_str()
        .unwrap_or("")
        .starts_with("v2.13.1-"));
    assert_eq!(
        v_new["harbor_version"].as_str().map(str::len),
        Some("v2.13.1-".len() + 8)
    );
}

#[tokio::test]
async fn misc_endpoints() {
    let h = Harness::tiny().await;
    let ping = h.get("/ping").await;
    assert_eq!((ping.status, ping.body.as_str()), (200, "Pong"));
    assert_eq!(h.get("/health").await.json()["status"], "healthy");
    let anon = h.get("/systeminfo").await.json();
    let mut keys: Vec<&String> = anon
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    keys.sort();
    assert_eq!(
        keys,
        [
            "auth_mode",
            "banner_message",
            "oidc_provider_name",
            "primary_auth_mode",
            "self_registration"
        ]
    );
    let labels = h.get("/labels?scope=g").await;
    assert_eq!(labels.total(), Some(8));
    assert_eq!(labels.pluck("name")[0], "prod");
    assert_eq!(h.get("/labels").await.status, 400);
    assert_eq!(h.get("/labels?scope=p").await.status, 400);
    assert_eq!(h.get("/labels?scope=p&project_id=1").await.total(), Some(2));
    assert_eq!(h.get("/labels?scope=p&project_id=2").await.status, 401);
    let search = h.get("/search?q=nginx").await.json();
    assert_eq!(search["repository"][0]["repository_name"], "library/nginx");
    assert_eq!(search["project"], json!([]));
    assert_eq!(h.get("/search").await.status, 422);
    let unknown = h.get("/nothing/here").await;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        unknown.error(),
        (
            "NOT_FOUND".into(),
            "path /api/v2.0/nothing/here was not found".into()
        )
    );
    let missing = h.get(&format!("{NGINX}/nope")).await;
    assert_eq!(
        missing.error(),
        (
            "NOT_FOUND".into(),
            "artifact library/nginx:nope not found".into()
        )
    );
    let bad_bool = h.get(&format!("{NGINX}?with_tag=maybe")).await;
    assert_eq!(bad_bool.status, 422);
}

#[tokio::test]
async fn hostile_text_reaches_free_text_fields() {
    let h = Harness::start(SimConfig {
        hostile: true,
        ..common::tiny()
    })
    .await;
    let mut all = String::new();
    for path in [
        "/repositories?page_size=100",
        "/labels?scope=g",
        "/projects/library/repositories/nginx/artifacts?page_size=100",
        "/projects/library/repositories/nginx/artifacts/1.0.0/additions/vulnerabilities",
    ] {
        let r = h.get(path).await;
        assert_eq!(r.status, 200, "{path}");
        r.json();
        all.push_str(&r.body);
    }
    let long = h.get("/labels?scope=p&project_id=1").await;
    assert!(long.body.len() > 100 * 1024);
    for needle in ["<script>", "javascript:", "=cmd|", "\u{202e}", "onerror="] {
        assert!(all.to_lowercase().contains(needle), "{needle}");
    }
}
