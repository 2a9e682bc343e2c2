//! Proxy mode against a small upstream started in the test: what is forwarded, what is
//! refused before reaching it, timeouts, body limits, streaming, and the access log.

mod common;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use common::{client, proxy_config, raw, start};
use lens_serve::access_log::AccessLog;
use lens_serve::config::Backend;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// What the upstream saw, and a gate the streaming test opens.
#[derive(Clone, Default)]
struct Upstream {
    seen: Arc<Mutex<Vec<String>>>,
    gate: Arc<Notify>,
}

/// Echoes the request as JSON with Harbor-like response headers; special paths sleep,
/// redirect or stream.
async fn echo(State(up): State<Upstream>, req: Request) -> Response {
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    up.seen.lock().unwrap().push(path.clone());
    match req.uri().path() {
        "/api/v2.0/slow" => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            return "late".into_response();
        }
        "/api/v2.0/redirect" => {
            return (
                StatusCode::FOUND,
                [("location", "http://127.0.0.1:9/elsewhere")],
            )
                .into_response()
        }
        "/api/v2.0/gz" => {
            return (
                [
                    ("content-encoding", "gzip"),
                    ("content-type", "application/json"),
                ],
                gz_body(),
            )
                .into_response()
        }
        "/api/v2.0/stream" => {
            let gate = up.gate.clone();
            let chunks = futures::stream::unfold(0u8, move |step| {
                let gate = gate.clone();
                async move {
                    match step {
                        0 => Some((Ok::<_, std::io::Error>(Bytes::from("first,")), 1)),
                        1 => {
                            gate.notified().await;
                            Some((Ok(Bytes::from("second")), 2))
                        }
                        _ => None,
                    }
                }
            });
            return Body::from_stream(chunks).into_response();
        }
        _ => {}
    }
    let method = req.method().to_string();
    let headers: serde_json::Map<String, serde_json::Value> = req
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("?").into()))
        .collect();
    let body = axum::body::to_bytes(req.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    let json = serde_json::json!({
        "method": method, "path": path, "headers": headers, "body_len": body.len(),
    });
    let rid = req_id(&json);
    let mut response = axum::Json(json).into_response();
    let h = response.headers_mut();
    h.insert("x-total-count", "42".parse().unwrap());
    h.insert(
        "link",
        "</api/v2.0/projects?page=2&page_size=10>; rel=\"next\""
            .parse()
            .unwrap(),
    );
    h.insert("x-harbor-csrf-token", "csrf-token-1".parse().unwrap());
    h.append("set-cookie", "sid=abc; Path=/; HttpOnly".parse().unwrap());
    h.append(
        "set-cookie",
        "_gorilla_csrf=xyz; Path=/; SameSite=Strict"
            .parse()
            .unwrap(),
    );
    h.insert(
        "content-security-policy",
        "frame-ancestors 'none'".parse().unwrap(),
    );
    if let Some(rid) = rid {
        h.insert("x-request-id", rid.parse().unwrap());
    }
    h.insert("keep-alive", "timeout=5".parse().unwrap());
    response
}

/// A gzip body as Harbor's nginx would send it.
fn gz_body() -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&b"[{\"name\":\"library\"}]".repeat(100))
        .unwrap();
    enc.finish().unwrap()
}

fn req_id(json: &serde_json::Value) -> Option<String> {
    json["headers"]["x-request-id"].as_str().map(str::to_owned)
}

async fn upstream() -> (String, Upstream) {
    let state = Upstream::default();
    let app = axum::Router::new().fallback(echo).with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), state)
}

/// Sets the proxy's timeout and body limit on a config, and lets writes through (the
/// body limit only matters for them).
fn tune(config: &mut lens_serve::config::Config, timeout: Duration, max_body: u64) {
    if let Backend::Harbor(opts) = &mut config.backend {
        opts.timeout = timeout;
        opts.max_body_bytes = max_body;
        opts.allow_writes = true;
    }
}

#[tokio::test]
async fn forwards_credentials_and_returns_harbor_headers() {
    let (up_url, up) = upstream().await;
    let s = start(proxy_config(&up_url)).await;
    let r = client()
        .get(format!(
            "{}/api/v2.0/projects/p/repositories/a%252Fb/artifacts?q=name%3D~x&page=2",
            s.origin()
        ))
        .header("authorization", "Basic YWxpY2U6QWxpY2UxMjM0NQ==")
        .header("cookie", "sid=abc; _gorilla_csrf=xyz")
        .header("x-request-id", "rid-123")
        .header("x-harbor-csrf-token", "csrf-token-0")
        .header("te", "trailers")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert_eq!(h["x-total-count"], "42");
    assert_eq!(
        h["link"],
        "</api/v2.0/projects?page=2&page_size=10>; rel=\"next\""
    );
    assert_eq!(h["x-harbor-csrf-token"], "csrf-token-1");
    assert_eq!(h["x-request-id"], "rid-123");
    assert_eq!(h["content-type"], "application/json");
    let cookies: Vec<_> = h
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(
        cookies,
        [
            "sid=abc; Path=/; HttpOnly",
            "_gorilla_csrf=xyz; Path=/; SameSite=Strict"
        ]
    );
    assert!(h.get("keep-alive").is_none(), "hop-by-hop header leaked");
    // Our policy replaces Harbor's.
    assert!(h["content-security-policy"]
        .to_str()
        .unwrap()
        .starts_with("default-src 'self'"));

    let echo: serde_json::Value = r.json().await.unwrap();
    assert_eq!(echo["method"], "GET");
    assert_eq!(
        echo["path"],
        "/api/v2.0/projects/p/repositories/a%252Fb/artifacts?q=name%3D~x&page=2"
    );
    let sent = &echo["headers"];
    assert_eq!(sent["authorization"], "Basic YWxpY2U6QWxpY2UxMjM0NQ==");
    assert_eq!(sent["cookie"], "sid=abc; _gorilla_csrf=xyz");
    assert_eq!(sent["x-request-id"], "rid-123");
    assert_eq!(sent["x-harbor-csrf-token"], "csrf-token-0");
    assert_eq!(sent["host"], up_url.trim_start_matches("http://"));
    assert!(sent.get("te").is_none(), "hop-by-hop header forwarded");
    assert_eq!(up.seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn only_api_paths_reach_harbor() {
    let (up_url, up) = upstream().await;
    let s = start(proxy_config(&up_url)).await;
    for path in [
        "/v2/_catalog",
        "/c/login",
        "/service/token",
        "/apix/v2.0/ping",
    ] {
        let r = client()
            .get(format!("{}{path}", s.origin()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
    let post = client()
        .post(format!("{}/c/login", s.origin()))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 405);
    assert!(up.seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn traversal_and_absolute_url_tricks_get_400_and_never_leave() {
    let (up_url, up) = upstream().await;
    let s = start(proxy_config(&up_url)).await;
    let targets = [
        "/api/../secret",
        "/api/v2.0/../../etc/passwd",
        "/api/v2.0/%2e%2e/%2e%2e/x",
        "/api/v2.0/%2E%2E/x",
        "/api/v2.0/%252e%252e/x",
        "/api/..%2fadmin",
        "/api//evil.example/x",
        "/api/http://evil.example/x",
        "/api/https:%2f%2fevil.example/x",
        "/api/v2.0/user@evil.example",
        "/api/v2.0/x%40evil.example",
        "/api/v2.0/a%5c..%5cb",
        "/api/v2.0/%zz",
    ];
    for target in targets {
        let (status, text) = raw(s.addr(), &format!("GET {target} HTTP/1.1"), "").await;
        assert_eq!(status, 400, "{target}");
        assert!(
            text.contains(r#"{"errors":[{"code":"BAD_REQUEST""#),
            "{target}: {text}"
        );
    }
    // Absolute-form request target: the authority must not become the upstream. It is
    // not one of this server's addresses either, so it is refused before the proxy.
    let (status, _) = raw(
        s.addr(),
        "GET http://evil.example/api/v2.0/ping HTTP/1.1",
        "",
    )
    .await;
    assert_eq!(status, 421);
    let own = format!("GET http://{}/api/v2.0/ping HTTP/1.1", s.addr());
    let (status, _) = raw(s.addr(), &own, "").await;
    assert_eq!(status, 200);
    assert_eq!(up.seen.lock().unwrap().as_slice(), ["/api/v2.0/ping"]);
}

#[tokio::test]
async fn redirects_are_returned_not_followed() {
    let (up_url, up) = upstream().await;
    let s = start(proxy_config(&up_url)).await;
    let r = client()
        .get(format!("{}/api/v2.0/redirect", s.origin()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], "http://127.0.0.1:9/elsewhere");
    assert_eq!(up.seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn slow_harbor_gives_504() {
    let (up_url, _up) = upstream().await;
    let mut config = proxy_config(&up_url);
    tune(&mut config, Duration::from_millis(300), 1024);
    let s = start(config).await;
    let r = client()
        .get(format!("{}/api/v2.0/slow", s.origin()))
        .header("x-request-id", "slow-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 504);
    assert_eq!(r.headers()["x-request-id"], "slow-1");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "GATEWAY_TIMEOUT");
}

#[tokio::test]
async fn unreachable_harbor_gives_502() {
    // Bind then drop a listener: its port is (almost certainly) closed now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let s = start(proxy_config(&format!("http://127.0.0.1:{port}"))).await;
    let r = client()
        .get(format!("{}/api/v2.0/ping", s.origin()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
}

#[tokio::test]
async fn request_bodies_over_the_limit_get_413() {
    let (up_url, up) = upstream().await;
    let mut config = proxy_config(&up_url);
    tune(&mut config, Duration::from_secs(10), 1024);
    let s = start(config).await;
    let url = format!("{}/api/v2.0/labels", s.origin());

    let ok = client()
        .post(&url)
        .body(vec![b'a'; 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let echo: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(echo["body_len"], 1024);
    assert_eq!(echo["method"], "POST");

    // Declared too large: refused before contacting Harbor.
    let big = client()
        .post(&url)
        .body(vec![b'a'; 1025])
        .send()
        .await
        .unwrap();
    assert_eq!(big.status(), 413);
    assert_eq!(up.seen.lock().unwrap().len(), 1);

    // Chunked, no length announced: cut off while streaming.
    let chunks = futures::stream::iter(
        (0..8).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b'b'; 512]))),
    );
    let streamed = client()
        .put(&url)
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    assert_eq!(streamed.status(), 413);
}

#[tokio::test]
async fn response_bodies_stream_through() {
    let (up_url, up) = upstream().await;
    let s = start(proxy_config(&up_url)).await;
    // A buffering proxy would hold even the response head until Harbor finished.
    let send = client()
        .get(format!("{}/api/v2.0/stream", s.origin()))
        .send();
    let mut r = tokio::time::timeout(Duration::from_secs(20), send)
        .await
        .expect("response head was buffered")
        .unwrap();
    assert_eq!(r.status(), 200);
    // The first chunk arrives while Harbor still holds the second back: not buffered.
    let first = tokio::time::timeout(Duration::from_secs(20), r.chunk()).await;
    assert_eq!(
        first.expect("first chunk was buffered").unwrap().unwrap(),
        "first,"
    );
    up.gate.notify_one();
    let second = r.chunk().await.unwrap().unwrap();
    assert_eq!(second, "second");
}

#[tokio::test]
async fn authorization_and_cookies_never_reach_the_log() {
    let (up_url, _up) = upstream().await;
    let (log, lines) = AccessLog::memory();
    let mut config = proxy_config(&up_url);
    tune(&mut config, Duration::from_millis(300), 1024);
    let s = lens_serve::spawn(config, log).await.unwrap();
    let secret = "Basic cm9ib3QkbGVucy1hdWRpdDpSb2JvdFNlY3JldDE=";
    for path in [
        "/api/v2.0/projects",
        "/api/v2.0/slow",
        "/api/../x",
        "/index.html",
    ] {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", secret.parse().unwrap());
        headers.insert("cookie", "sid=SESSIONSECRET".parse().unwrap());
        headers.insert("x-request-id", "log-rid".parse().unwrap());
        // The body is read to its end: the log line is written when it has been sent.
        if let Ok(r) = client()
            .get(format!("{}{path}", s.origin()))
            .headers(headers)
            .send()
            .await
        {
            let _ = r.bytes().await;
        }
    }
    let lines = lines.lines();
    let all = lines.join("\n");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("GET /api/v2.0/projects 200 ")),
        "{all}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("GET /api/v2.0/slow 504 ")),
        "{all}"
    );
    assert!(
        lines.iter().any(|l| l.contains("auth=basic rid=log-rid")),
        "{all}"
    );
    for needle in ["cm9ib3Q", "RobotSecret", "SESSIONSECRET", "Basic "] {
        assert!(!all.contains(needle), "{needle} logged:\n{all}");
    }
}

#[tokio::test]
async fn encoded_bodies_pass_through_plain_ones_get_compressed() {
    let (up_url, _up) = upstream().await;
    let s = start(proxy_config(&up_url)).await;
    let gz = client()
        .get(format!("{}/api/v2.0/gz", s.origin()))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers().get_all("content-encoding").iter().count(), 1);
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    assert_eq!(
        gz.bytes().await.unwrap(),
        gz_body(),
        "re-encoded or altered"
    );

    let json = client()
        .get(format!("{}/api/v2.0/projects", s.origin()))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(json.headers()["content-encoding"], "gzip");
    assert_eq!(json.headers()["x-total-count"], "42");
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(&json.bytes().await.unwrap()[..]),
        &mut text,
    )
    .unwrap();
    let echo: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(echo["path"], "/api/v2.0/projects");
}
