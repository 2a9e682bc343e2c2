//! Demo mode (the simulator in process) and the security headers on every response.
#![cfg(feature = "demo")]

mod common;

use common::{client, demo_config, start};
use lens_serve::config::{Backend, DemoOptions};

const CSP_NONE: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
    form-action 'none'; object-src 'none'; frame-ancestors 'none'";

/// `admin:Harbor12345`, the simulator's built-in administrator.
const ADMIN: &str = "Basic YWRtaW46SGFyYm9yMTIzNDU=";

#[tokio::test]
async fn demo_answers_systeminfo_from_the_simulator() {
    let mut config = demo_config();
    config.backend = Backend::Demo(DemoOptions {
        preset: "tiny".into(),
        harbor_version: "2.10".into(),
        ..DemoOptions::default()
    });
    let s = start(config).await;
    let r = client()
        .get(format!("{}/api/v2.0/systeminfo", s.origin()))
        .header("authorization", ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert!(r.headers().contains_key("x-request-id"));
    let info: serde_json::Value = r.json().await.unwrap();
    let expected: harbor_sim::HarborVersion = "2.10".parse().unwrap();
    assert_eq!(
        info["harbor_version"],
        expected.harbor_version_string().as_str()
    );
    assert_eq!(info["auth_mode"], "db_auth");

    // The simulator's own endpoints are mounted too, outside /api/.
    let stats = client()
        .get(format!("{}/_sim/stats", s.origin()))
        .send()
        .await
        .unwrap();
    assert_eq!(stats.status(), 200);
    let stats: serde_json::Value = stats.json().await.unwrap();
    assert_eq!(stats["requests_total"], 1);
}

#[tokio::test]
async fn demo_api_stays_at_the_root_under_a_sub_path() {
    let mut config = demo_config();
    config.base_path = "/lens/".into();
    let s = start(config).await;
    common::assert_ping_answers(&s).await;
}

#[tokio::test]
async fn csp_is_exact_on_pages_api_and_errors() {
    let s = start(demo_config()).await;
    let urls = [
        s.url(),
        format!("{}missing.js", s.url()),
        format!("{}/api/v2.0/systeminfo", s.origin()),
        format!("{}/api/v2.0/projects/nope", s.origin()),
        format!("{}/_sim/stats", s.origin()),
    ];
    for url in urls {
        let r = client().get(&url).send().await.unwrap();
        let h = r.headers();
        assert_eq!(h["content-security-policy"], CSP_NONE, "{url}");
        assert_eq!(
            h.get_all("content-security-policy").iter().count(),
            1,
            "{url}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{url}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{url}");
        assert_eq!(h["x-frame-options"], "DENY", "{url}");
    }
}

#[tokio::test]
async fn frame_ancestors_lets_the_operator_allow_a_portal() {
    let mut config = demo_config();
    config.frame_ancestors = vec!["https://portal.example.com".into()];
    let s = start(config).await;
    let r = client().get(s.url()).send().await.unwrap();
    let expected = CSP_NONE.replace(
        "frame-ancestors 'none'",
        "frame-ancestors https://portal.example.com",
    );
    assert_eq!(r.headers()["content-security-policy"], expected.as_str());
    assert!(r.headers().get("x-frame-options").is_none());
}

#[tokio::test]
async fn the_binary_prints_its_address_and_serves() {
    let dist = common::make_dist();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_lens-serve"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--preset",
            "tiny",
            "--quiet",
            "--dist",
        ])
        .arg(&dist)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start lens-serve");
    let url = common::banner_url(&mut child).await;
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with('/'),
        "{url}"
    );
    let r = client()
        .get(format!("{url}api/v2.0/ping"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let index = client().get(&url).send().await.unwrap();
    assert_eq!(index.text().await.unwrap(), common::INDEX_HTML);
    // SIGTERM (what scripts send) stops it cleanly, with success.
    let pid = child.id().expect("pid").to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = tokio::time::timeout(std::time::Duration::from_secs(20), child.wait())
        .await
        .expect("lens-serve ignored SIGTERM")
        .unwrap();
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn bad_flags_exit_with_status_2() {
    let args = ["--frame-ancestors", "https://a.example; script-src *"];
    common::assert_usage_error(&args, "--frame-ancestors").await;
}
