//! The auth matrix over a real socket (Tiny preset): anonymous, users, robots, wrong
//! passwords, private and missing projects, plus headers every response carries.

mod common;

use common::{Harness, ADMIN, ALICE, BOB, ROBOT, TEAM_ROBOT};
use harbor_sim::{Principal, SimConfig};
use serde_json::{json, Value};

const BODY_401: &str = "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"unauthorized\"}]}\n";
const BODY_403: &str = "{\"errors\":[{\"code\":\"FORBIDDEN\",\"message\":\"forbidden\"}]}\n";

fn names(v: Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|p| p["name"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn project_lists_per_principal() {
    let h = Harness::tiny().await;
    let public = vec!["empty", "library", "proxy-hub"];
    assert_eq!(names(h.get("/projects").await.json()), public);
    assert_eq!(names(h.get_as("/projects", BOB).await.json()), public);
    assert_eq!(
        names(h.get_as("/projects", ("alice", "wrong")).await.json()),
        public
    );
    assert_eq!(
        names(h.get_as("/projects", ("nobody", "x")).await.json()),
        public
    );
    assert_eq!(
        names(h.get_as("/projects", ALICE).await.json()),
        ["empty", "library", "proxy-hub", "team"]
    );
    assert_eq!(
        names(h.get_as("/projects", ROBOT).await.json()),
        ["empty", "library", "proxy-hub", "team"]
    );
    assert_eq!(
        names(h.get_as("/projects", TEAM_ROBOT).await.json()),
        ["empty", "library", "proxy-hub", "team"]
    );
    assert_eq!(
        names(h.get_as("/projects", ADMIN).await.json()),
        ["empty", "library", "proxy-hub", "secret", "team"]
    );
    let alice_team = h.get_as("/projects/team", ALICE).await.json();
    assert_eq!(alice_team["current_user_role_ids"], json!([2]));
    assert_eq!(alice_team["metadata"]["public"], "false");
    let anon_lib = h.get("/projects/library").await.json();
    assert!(anon_lib.get("current_user_role_id").is_none());
    assert_eq!(h.get("/projects/proxy-hub").await.json()["registry_id"], 1);
}

#[tokio::test]
async fn private_and_missing_projects() {
    let h = Harness::tiny().await;
    for path in [
        "/projects/team",
        "/projects/team/repositories",
        "/projects/team/repositories/api/artifacts",
        "/projects/nope",
        "/projects/nope/repositories/x/artifacts",
        "/projects/2",
    ] {
        let anon = h.get(path).await;
        assert_eq!((anon.status, anon.body.as_str()), (401, BODY_401), "{path}");
        assert!(anon.header("www-authenticate").is_none());
        let wrong = h.get_as(path, ("alice", "wrong")).await;
        assert_eq!(
            wrong.status, 401,
            "{path}: bad credentials fall back to anonymous"
        );
        let bob = h.get_as(path, BOB).await;
        assert_eq!((bob.status, bob.body.as_str()), (403, BODY_403), "{path}");
    }
    assert_eq!(h.get_as("/projects/team", ALICE).await.status, 200);
    assert_eq!(h.get_as("/projects/2", ALICE).await.json()["name"], "team");
    assert_eq!(
        h.get_as("/projects/secret/repositories/vault/artifacts", ALICE)
            .await
            .status,
        403
    );
    assert_eq!(
        h.get_as("/projects/secret/repositories/vault/artifacts", ROBOT)
            .await
            .status,
        403
    );
    assert_eq!(
        h.get_as("/projects/secret/repositories/vault/artifacts", ADMIN)
            .await
            .total(),
        Some(2)
    );
    let missing = h.get_as("/projects/nope", ADMIN).await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.error(),
        ("NOT_FOUND".into(), "project nope not found".into())
    );
    assert_eq!(h.get_as("/projects/99", ADMIN).await.status, 404);
    // Public projects are readable with bad credentials too.
    assert_eq!(
        h.get_as("/projects/library/repositories/nginx/artifacts", ("x", "y"))
            .await
            .total(),
        Some(9)
    );
}

#[tokio::test]
async fn current_user_and_statistics() {
    let h = Harness::tiny().await;
    assert_eq!(h.get("/users/current").await.body, BODY_401);
    let robot = h.get_as("/users/current", ROBOT).await;
    assert_eq!(robot.status, 412);
    assert_eq!(robot.error().0, "PRECONDITION");
    let alice = h.get_as("/users/current", ALICE).await.json();
    assert_eq!(alice["username"], "alice");
    assert_eq!(alice["sysadmin_flag"], false);
    assert_eq!(
        h.get_as("/users/current", ADMIN).await.json()["sysadmin_flag"],
        true
    );

    assert_eq!(h.get("/statistics").await.status, 401);
    assert_eq!(
        h.get_as("/statistics", ALICE).await.json(),
        json!({"private_project_count": 1, "private_repo_count": 3, "public_project_count": 3,
               "public_repo_count": 6, "total_project_count": 0, "total_repo_count": 0,
               "total_storage_consumption": 0})
    );
    let admin = h.get_as("/statistics", ADMIN).await.json();
    assert_eq!(admin["private_project_count"], 2);
    assert_eq!(admin["private_repo_count"], 4);
    assert_eq!(admin["total_project_count"], 5);
    assert_eq!(admin["total_repo_count"], 10);
    let ds = h.handle.sim().dataset();
    assert_eq!(
        admin["total_storage_consumption"],
        json!(ds.artifacts.iter().map(|a| a.size).sum::<u64>())
    );
}

#[tokio::test]
async fn repositories_and_search_per_principal() {
    let h = Harness::tiny().await;
    assert_eq!(h.get("/repositories").await.total(), Some(6));
    assert_eq!(h.get_as("/repositories", ALICE).await.total(), Some(9));
    assert_eq!(h.get_as("/repositories", ADMIN).await.total(), Some(10));
    // A robot sees only public projects' repositories here, though it reads its own
    // private project's repositories through that project.
    assert_eq!(h.get_as("/repositories", ROBOT).await.total(), Some(6));
    let team = h.get_as("/projects/team/repositories", ROBOT).await;
    assert_eq!(team.status, 200);
    assert!(team.total().is_some_and(|n| n > 0));
    let robot_search = h.get_as("/search?q=team", ROBOT).await.json();
    assert_eq!(robot_search["project"], json!([]));
    assert_eq!(robot_search["repository"], json!([]));
    let alice_search = h.get_as("/search?q=team", ALICE).await.json();
    assert_eq!(names(alice_search["project"].clone()), ["team"]);
    assert_eq!(alice_search["repository"].as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn ground_truth_matches_listings() {
    let h = Harness::tiny().await;
    let ds = h.handle.sim().dataset();
    let expected = [
        ("anonymous", 18usize),
        ("bob", 18),
        ("alice", 26),
        ("robot$lens-audit", 26),
        ("admin", 28),
    ];
    for (who, n) in expected {
        let truth = h
            .get(&format!("/_sim/truth?as={}", who.replace('$', "%24")))
            .await
            .json();
        let rows = truth.as_array().cloned().unwrap_or_default();
        assert_eq!(rows.len(), n, "{who}");
        let p = ds.principal_by_name(who).expect("principal");
        assert_eq!(ds.visible_artifacts(&p).len(), n);
        let digests: Vec<&str> = rows
            .iter()
            .map(|r| r["digest"].as_str().unwrap_or(""))
            .collect();
        let want: Vec<&str> = ds
            .visible_artifacts(&p)
            .iter()
            .map(|a| &*a.digest)
            .collect();
        assert_eq!(digests, want);
    }
    assert_eq!(h.get("/_sim/truth?as=mallory").await.status, 404);
    // Crawling every visible repository as alice finds exactly the truth.
    let alice = ds
        .principal_by_credentials(ALICE.0, ALICE.1)
        .expect("alice");
    assert!(matches!(
        alice,
        Principal::User {
            sysadmin: false,
            ..
        }
    ));
    let mut crawled = Vec::new();
    let repos = h.get_as("/repositories?page_size=100", ALICE).await.json();
    for r in repos.as_array().cloned().unwrap_or_default() {
        let full = r["name"].as_str().unwrap_or("").to_string();
        let (project, short) = full.split_once('/').expect("project/");
        let path = format!(
            "/projects/{project}/repositories/{}/artifacts?page_size=100",
            harbor_sim::render::encode_repo_twice(short)
        );
        for a in h
            .get_as(&path, ALICE)
            .await
            .json()
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            crawled.push(a["digest"].as_str().unwrap_or("").to_string());
        }
    }
    crawled.sort();
    let mut want: Vec<String> = ds
        .visible_artifacts(&alice)
        .iter()
        .map(|a| a.digest.to_string())
        .collect();
    want.sort();
    assert_eq!(crawled, want);
}

#[tokio::test]
async fn request_ids_and_cors() {
    let h = Harness::tiny().await;
    let echoed = h.get_with("/ping", &[("X-Request-Id", "my-id-1")]).await;
    assert_eq!(echoed.header("x-request-id").as_deref(), Some("my-id-1"));
    let generated = h.get("/projects/nope").await;
    let id = generated.header("x-request-id").unwrap_or_default();
    assert_eq!(id.len(), 36);
    assert_eq!(id.matches('-').count(), 4);
    assert!(generated.header("access-control-allow-origin").is_none());
    let pre = h
        .send(
            h.client
                .request(reqwest::Method::OPTIONS, h.url("/projects")),
        )
        .await;
    assert_eq!(pre.status, 405);

    let cors = Harness::start(SimConfig {
        cors: true,
        ..common::tiny()
    })
    .await;
    let r = cors.get("/projects").await;
    assert_eq!(
        r.header("access-control-allow-origin").as_deref(),
        Some("*")
    );
    assert!(r
        .header("access-control-expose-headers")
        .unwrap_or_default()
        .contains("x-total-count"));
    let pre = cors
        .send(
            cors.client
                .request(reqwest::Method::OPTIONS, cors.url("/projects")),
        )
        .await;
    assert_eq!(pre.status, 204);
}

#[tokio::test]
async fn disabled_robot_is_anonymous() {
    let h = Harness::tiny().await;
    let r = h
        .get_as("/projects/team", ("robot$old-ci", "OldRobot1"))
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(h.get_as("/projects/team", TEAM_ROBOT).await.status, 200);
}

#[tokio::test]
async fn failed_login_locks_the_username_while_it_sleeps() {
    let h = Harness::start(SimConfig {
        login_lockout: std::time::Duration::from_millis(2_000),
        ..common::tiny()
    })
    .await;
    let wrong = h.get_as("/projects/team", ("alice", "wrong"));
    let probe = async {
        // Wait until the failed login is being served, then log in correctly.
        while h.handle.sim().stats().in_flight == 0 {
            tokio::task::yield_now().await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let during = h.get_as("/projects/team", ALICE).await.status;
        let other_user = h.get_as("/projects/library", BOB).await.status;
        (during, other_user)
    };
    let (wrong, (during, other_user)) = tokio::join!(wrong, probe);
    assert_eq!(wrong.status, 401);
    assert_eq!(during, 401, "alice is locked: treated as anonymous");
    assert_eq!(other_user, 200);
}
