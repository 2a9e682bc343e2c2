//! Fault injection and observability over a real socket: every injected fault is
//! predicted from the plan before the requests are made.

mod common;

use std::time::Duration;

use common::Harness;
use harbor_sim::{FaultKind, FaultPlan, FaultRule, SimConfig, Stats};
use serde_json::json;

const BODY_500: &str =
    "{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":\"internal server error\"}]}\n";

fn plan(rules: Vec<FaultRule>) -> FaultPlan {
    FaultPlan {
        rules,
        ..FaultPlan::default()
    }
}

#[tokio::test]
async fn transient_rule_fails_first_attempts_only() {
    let h = Harness::tiny().await;
    h.handle.sim().set_faults(plan(vec![FaultRule::new(
        "/projects?page=2",
        FaultKind::Http503,
    )
    .times(2)]));
    let statuses = [
        h.get("/projects?page=2").await.status,
        h.get("/projects?page=1").await.status,
        h.get("/projects?page=2").await.status,
        h.get("/projects?page=2").await.status,
    ];
    assert_eq!(statuses, [503, 200, 503, 200]);
    let stats = h.handle.sim().stats();
    let log: Vec<(String, u16, u32)> = stats
        .faults_injected
        .iter()
        .map(|f| (f.path_and_query.clone(), f.status, f.attempt))
        .collect();
    assert_eq!(
        log,
        vec![
            ("/api/v2.0/projects?page=2".to_string(), 503, 1),
            ("/api/v2.0/projects?page=2".to_string(), 503, 2)
        ]
    );
    assert_eq!(stats.requests_total, 4);
    assert_eq!(stats.by_route.get("GET /projects"), Some(&4));
}

#[tokio::test]
async fn each_fault_kind() {
    let h = Harness::tiny().await;
    let sim = h.handle.sim();
    let mut r429 = FaultRule::new("/labels", FaultKind::Http429);
    r429.retry_after_secs = 3;
    let mut lie = FaultRule::new("/repositories", FaultKind::LyingTotalCount);
    lie.total_delta = 5;
    sim.set_faults(plan(vec![
        FaultRule::new("/projects/library", FaultKind::Http500),
        FaultRule::new("/projects/proxy-hub", FaultKind::Http502),
        r429,
        lie,
        FaultRule::new("/projects?page=3", FaultKind::TruncatedJson),
        FaultRule::new("/projects?page=4", FaultKind::MalformedJson),
        FaultRule::new("/projects?page=5", FaultKind::WrongContentType),
        FaultRule::new("/projects?page=6", FaultKind::EmptyBody),
    ]));
    let e500 = h.get("/projects/library").await;
    assert_eq!((e500.status, e500.body.as_str()), (500, BODY_500));
    let e502 = h.get("/projects/proxy-hub").await;
    assert_eq!(e502.status, 502);
    assert_eq!(e502.header("content-type").as_deref(), Some("text/html"));
    assert!(e502.body.contains("<h1>502 Bad Gateway</h1>"));
    let e429 = h.get("/labels?scope=g").await;
    assert_eq!(
        (e429.status, e429.header("retry-after").as_deref()),
        (429, Some("3"))
    );
    assert_eq!(e429.error().0, "TOO_MANY_REQUEST");
    assert_eq!(h.get("/repositories").await.total(), Some(6 + 5));
    let page = |n: u32| {
        let h = &h;
        async move { h.get(&format!("/projects?page={n}&page_size=1")).await }
    };
    let trunc = page(3).await;
    assert_eq!(trunc.status, 200);
    assert!(serde_json::from_str::<serde_json::Value>(&trunc.body).is_err());
    assert!(serde_json::from_str::<serde_json::Value>(&page(4).await.body).is_err());
    let wrong = page(5).await;
    assert_eq!(
        wrong.header("content-type").as_deref(),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(wrong.json().as_array().map(Vec::len), Some(0));
    let empty = page(6).await;
    assert_eq!((empty.status, empty.body.as_str()), (200, ""));
    let kinds: Vec<FaultKind> = sim.stats().faults_injected.iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        [
            FaultKind::Http500,
            FaultKind::Http502,
            FaultKind::Http429,
            FaultKind::LyingTotalCount,
            FaultKind::TruncatedJson,
            FaultKind::MalformedJson,
            FaultKind::WrongContentType,
            FaultKind::EmptyBody
        ]
    );
}

#[tokio::test]
async fn dropped_connection_and_slow_response() {
    let h = Harness::tiny().await;
    let mut slow = FaultRule::new("/health", FaultKind::Slow);
    slow.delay_ms = 3_000;
    h.handle.sim().set_faults(plan(vec![
        FaultRule::new("/projects", FaultKind::DropConnection),
        slow,
    ]));
    let resp = h
        .client
        .get(h.url("/projects"))
        .send()
        .await
        .expect("headers arrive");
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.text().await.is_err(), "the body must fail mid-way");
    let timed_out = h
        .client
        .get(h.url("/health"))
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    assert!(timed_out.err().is_some_and(|e| e.is_timeout()));
    // The slow answer the client gave up on is in the log too.
    let log = h.handle.sim().stats().faults_injected;
    let kinds: Vec<(FaultKind, u16)> = log.iter().map(|f| (f.kind, f.status)).collect();
    assert_eq!(
        kinds,
        [(FaultKind::DropConnection, 200), (FaultKind::Slow, 200)]
    );
}

#[tokio::test]
async fn seeded_random_faults_fail_exactly_the_predicted_requests() {
    let h = Harness::start(SimConfig {
        seed: 7,
        ..common::tiny()
    })
    .await;
    let sim = h.handle.sim();
    let plan = FaultPlan::random(0.3);
    sim.set_faults(plan.clone());
    let paths: Vec<String> = (1..=40)
        .map(|p| format!("/api/v2.0/projects?page={p}&page_size=1"))
        .collect();
    // Two rounds: the second round is attempt 2 of every URL.
    let mut predicted = Vec::new();
    for attempt in 1..=2 {
        for p in &paths {
            if let Some(a) = plan.decide(7, "GET", p, attempt) {
                predicted.push((p.clone(), a.kind.status(200), attempt));
            }
        }
    }
    assert!(
        predicted.len() > 5 && predicted.len() < 40,
        "{}",
        predicted.len()
    );
    let mut observed = Vec::new();
    for attempt in 1..=2 {
        for p in paths.iter().rev() {
            let r = h.get(p).await;
            if r.status >= 500 {
                assert!(r.status == 502 || r.body == BODY_500);
                observed.push((p.clone(), r.status, attempt));
            }
        }
    }
    let mut log: Vec<(String, u16, u32)> = sim
        .stats()
        .faults_injected
        .iter()
        .map(|f| (f.path_and_query.clone(), f.status, f.attempt))
        .collect();
    predicted.sort();
    observed.sort();
    log.sort();
    assert_eq!(observed, predicted);
    assert_eq!(log, predicted);
}

#[tokio::test]
async fn sim_endpoints_over_http() {
    let h = Harness::tiny().await;
    let put = h
        .send(
            h.client
                .put(h.url("/_sim/faults"))
                .body(r#"{"rules":[{"pattern":"*/ping","kind":"http503","times":1}]}"#),
        )
        .await;
    assert_eq!(put.status, 200);
    assert_eq!(put.json()["rules"][0]["kind"], "http503");
    let first = h.get_with("/ping", &[("X-Request-Id", "req-1")]).await;
    assert_eq!(first.status, 503);
    assert_eq!(h.get("/ping").await.status, 200);
    let stats: Stats = serde_json::from_str(&h.get("/_sim/stats").await.body).expect("stats JSON");
    assert_eq!(stats.requests_total, 2);
    assert_eq!(stats.in_flight, 0);
    assert_eq!(stats.by_route.get("GET /ping"), Some(&2));
    let raw = h.get("/_sim/stats").await.json();
    assert_eq!(
        raw["faults_injected"],
        json!([{"method": "GET", "path_and_query": "/api/v2.0/ping", "status": 503,
                "request_id": "req-1", "kind": "http503", "attempt": 1}])
    );
    let reset = h.send(h.client.post(h.url("/_sim/reset"))).await;
    assert_eq!(reset.status, 204);
    assert_eq!(h.handle.sim().stats(), Stats::default());
    // After a reset attempt numbers restart, so the transient fault fires again.
    assert_eq!(h.get("/ping").await.status, 503);
    let clear = h.send(h.client.put(h.url("/_sim/faults")).body("{}")).await;
    assert_eq!(clear.status, 200);
    assert_eq!(h.get("/ping").await.status, 200);
    let bad = h
        .send(h.client.put(h.url("/_sim/faults")).body("{\"rules\":3}"))
        .await;
    assert_eq!(bad.status, 400);
    let info = h.get("/_sim/info").await.json();
    assert_eq!(info["artifacts"], 28);
}

#[tokio::test]
async fn in_flight_is_tracked() {
    let h = Harness::tiny().await;
    let mut slow = FaultRule::new("/health", FaultKind::Slow);
    slow.delay_ms = 1_500;
    h.handle.sim().set_faults(plan(vec![slow]));
    let reqs = (0..4).map(|_| h.get("/health"));
    let done = futures::future::join_all(reqs).await;
    assert!(done.iter().all(|r| r.status == 200));
    let stats = h.handle.sim().stats();
    assert_eq!(stats.max_in_flight, 4);
    assert_eq!(stats.in_flight, 0);
}

#[tokio::test]
async fn latency_and_jitter_are_deterministic_per_request() {
    // Latency only delays; responses are unchanged.
    let h = Harness::start(SimConfig {
        latency: Duration::from_millis(5),
        jitter: Duration::from_millis(5),
        ..common::tiny()
    })
    .await;
    assert_eq!(h.get("/projects").await.total(), Some(3));
}

#[tokio::test]
async fn mutations_push_and_delete_deterministically() {
    let h = Harness::tiny().await;
    let body = r#"{"repositories":1,"push":2,"delete":1,"project":"library"}"#;
    let report = h
        .send(h.client.post(h.url("/_sim/mutate")).body(body))
        .await
        .json();
    assert_eq!(report["generation"], 1);
    let repos = report["repositories"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(repos.len(), 1);
    let pushed = report["pushed"].as_array().cloned().unwrap_or_default();
    let deleted = report["deleted"].as_array().cloned().unwrap_or_default();
    assert_eq!((pushed.len(), deleted.len()), (2, 1));

    let name = repos[0].as_str().unwrap_or("").to_string();
    let (project, short) = name.split_once('/').expect("project/");
    let path = format!(
        "/projects/{project}/repositories/{}/artifacts?page_size=100",
        harbor_sim::render::encode_repo_twice(short)
    );
    let ds = h.handle.sim().dataset();
    let repo = &ds.repositories[ds.repo_index(&name).expect("repo") as usize];
    let list = h.get(&path).await;
    assert_eq!(list.total(), Some(i64::from(repo.top_level)));
    let first = list.json()[0].clone();
    assert_eq!(first["digest"], pushed[1]);
    let tag_names: Vec<String> = first["tags"]
        .as_array()
        .map(|t| {
            t.iter()
                .map(|x| x["name"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default();
    assert!(tag_names.contains(&"latest".to_string()));
    let latest_holders = list
        .json()
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|x| x["tags"].to_string().contains("\"latest\""))
                .count()
        })
        .unwrap_or(0);
    assert_eq!(latest_holders, 1);
    let gone = format!(
        "/projects/{project}/repositories/{}/artifacts/{}",
        harbor_sim::render::encode_repo_twice(short),
        deleted[0].as_str().unwrap_or("")
    );
    assert_eq!(h.get(&gone).await.status, 404);
    assert_eq!(
        h.get("/_sim/truth").await.json().as_array().map(Vec::len),
        Some(18 + 1)
    );
    let repo_json = h
        .get(&format!(
            "/projects/{project}/repositories/{}",
            harbor_sim::render::encode_repo_twice(short)
        ))
        .await
        .json();
    assert_eq!(repo_json["update_time"], report["now"]);

    // The same mutation on a fresh simulator gives the same result.
    let other = Harness::tiny().await;
    let again = other
        .send(other.client.post(other.url("/_sim/mutate")).body(body))
        .await
        .json();
    assert_eq!(again, report);
}
