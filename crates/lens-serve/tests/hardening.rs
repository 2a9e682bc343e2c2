//! lens-serve under attack, one test (or more) per finding of the hardening review:
//! slow and silent sockets, odd methods, stalled and cut Harbor responses, overload,
//! forged forwarding headers and Host names, symlinks out of `dist/`, forged request ids,
//! cross-site calls to the demo routes. The "Harbor" is a fake upstream on loopback that
//! can be slow, trickle, cut, send huge bodies, redirect and set cookies.

mod common;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use common::{client, get, json, proxy_config, start};
use lens_serve::access_log::{AccessLog, LogBuffer};
use lens_serve::config::{Backend, Config, ProxyOptions};
use lens_serve::ServerHandle;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

/// What the fake Harbor saw, and the gate `/hold` waits on.
#[derive(Clone)]
struct Harbor {
    seen: Arc<Mutex<Vec<String>>>,
    open: Arc<AtomicUsize>,
    most_open: Arc<AtomicUsize>,
    gate: Arc<Semaphore>,
}

impl Harbor {
    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

/// Decrements the open-request count when a `/hold` request ends.
struct Open(Arc<AtomicUsize>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The fake Harbor's routes.
async fn harbor(State(h): State<Harbor>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    h.seen
        .lock()
        .unwrap()
        .push(format!("{} {path}", req.method()));
    match path.as_str() {
        "/api/v2.0/slow" => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            "late".into_response()
        }
        // Head at once, then one byte every 300 ms, for a minute.
        "/api/v2.0/trickle" => {
            let bytes = futures::stream::unfold(0u32, |n| async move {
                if n >= 200 {
                    return None;
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
                Some((Ok::<_, std::io::Error>(Bytes::from_static(b"x")), n + 1))
            });
            Body::from_stream(bytes).into_response()
        }
        // A chunk, then (once it has surely been sent) the connection breaks.
        "/api/v2.0/cut" => {
            let bytes = futures::stream::unfold(0u8, |step| async move {
                match step {
                    0 => Some((Ok(Bytes::from_static(b"[{\"name\":\"first\"}")), 1)),
                    1 => {
                        tokio::time::sleep(Duration::from_millis(300)).await;
                        Some((Err(std::io::Error::other("harbor died")), 2))
                    }
                    _ => None,
                }
            });
            Body::from_stream(bytes).into_response()
        }
        // 64 MiB in 64 KiB chunks.
        "/api/v2.0/huge" => {
            let chunk = Bytes::from(vec![b'h'; 64 * 1024]);
            let bytes = futures::stream::iter(
                (0..1024).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
            );
            Body::from_stream(bytes).into_response()
        }
        "/api/v2.0/redirect" => (
            StatusCode::FOUND,
            [
                ("location", "http://169.254.169.254/latest/meta-data/"),
                ("set-cookie", "sid=from-redirect; Path=/; HttpOnly"),
            ],
        )
            .into_response(),
        "/api/v2.0/hold" => {
            let now = h.open.fetch_add(1, Ordering::SeqCst) + 1;
            let _open = Open(h.open.clone());
            h.most_open.fetch_max(now, Ordering::SeqCst);
            let _permit = h.gate.acquire().await;
            "released".into_response()
        }
        _ => {
            let headers: serde_json::Map<String, serde_json::Value> = req
                .headers()
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("?").into()))
                .collect();
            let rid = req.headers().get("x-request-id").cloned();
            let mut r = axum::Json(serde_json::json!({ "headers": headers })).into_response();
            r.headers_mut()
                .append("set-cookie", "sid=abc; Path=/; HttpOnly".parse().unwrap());
            if let Some(rid) = rid {
                r.headers_mut().insert("x-request-id", rid);
            }
            r
        }
    }
}

async fn fake_harbor() -> (String, Harbor) {
    let state = Harbor {
        seen: Arc::default(),
        open: Arc::default(),
        most_open: Arc::default(),
        gate: Arc::new(Semaphore::new(0)),
    };
    let app = axum::Router::new()
        .fallback(harbor)
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), state)
}

/// lens-serve in front of a fresh fake Harbor, configured by `tune`, logging to memory.
async fn proxied(tune: impl FnOnce(&mut Config)) -> (ServerHandle, Harbor, LogBuffer) {
    let (up_url, harbor) = fake_harbor().await;
    let mut config = proxy_config(&up_url);
    tune(&mut config);
    let (log, lines) = AccessLog::memory();
    let s = lens_serve::spawn(config, log).await.expect("server starts");
    (s, harbor, lines)
}

fn proxy_opts(config: &mut Config) -> &mut ProxyOptions {
    match &mut config.backend {
        Backend::Harbor(opts) => opts,
        Backend::Demo(_) => panic!("proxy config expected"),
    }
}

/// `sent`, or a failure naming the lock-out if it takes 10 s (without the fix a locked-out
/// client would wait forever).
async fn within_10s<T>(sent: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), sent)
        .await
        .expect("the client was locked out for 10 s")
}

/// Requests in flight from the test's side.
type Sent = tokio::task::JoinHandle<reqwest::Result<reqwest::Response>>;

/// Sends two requests that Harbor holds until its gate opens; returns once both are
/// there, with the URL to send more.
async fn hold_two(s: &ServerHandle, harbor: &Harbor) -> (String, Vec<Sent>) {
    let url = format!("{}/api/v2.0/hold", s.origin());
    let held = (0..2)
        .map(|_| tokio::spawn(client().get(&url).send()))
        .collect();
    let until = Instant::now() + Duration::from_secs(10);
    while harbor.open.load(Ordering::SeqCst) < 2 {
        assert!(Instant::now() < until, "the held requests never arrived");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    (url, held)
}

/// Waits (up to 10 s) for a log line starting with `prefix`.
async fn log_line(lines: &LogBuffer, prefix: &str) -> String {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(l) = lines.lines().into_iter().find(|l| l.starts_with(prefix)) {
            return l;
        }
        assert!(
            Instant::now() < until,
            "no log line {prefix:?} in:\n{}",
            lines.lines().join("\n")
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Reads until the server closes the socket; the time it took, or `None` if it stayed
/// open for `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at((started + limit).into(), stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

/// Sends `head` (request line and headers, each ending in CRLF) plus `Connection: close`
/// and returns the whole response as text.
async fn exchange(addr: SocketAddr, head: &str) -> String {
    let mut conn = TcpStream::connect(addr).await.unwrap();
    let request = format!("{head}Connection: close\r\n\r\n");
    conn.write_all(request.as_bytes()).await.unwrap();
    let mut bytes = Vec::new();
    conn.read_to_end(&mut bytes).await.unwrap();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// One keep-alive GET on a raw socket; returns the status.
async fn get_on(stream: &mut TcpStream, addr: SocketAddr, path: &str) -> u16 {
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    // The test dist's index.html is small: the whole response fits in a few reads.
    while !String::from_utf8_lossy(&got).contains("</html>") {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&got)[9..12].parse().unwrap()
}

// ---- 1. Header-read timeout, idle timeout, connection cap ----

/// A server (static files only) with the given header and idle timeouts.
async fn with_timers(header: Duration, idle: Duration) -> ServerHandle {
    let mut config = proxy_config("http://127.0.0.1:9");
    config.limits.header_timeout = header;
    config.limits.idle_timeout = idle;
    start(config).await
}

#[tokio::test]
async fn silent_and_trickling_heads_are_closed_after_the_header_timeout() {
    let s = with_timers(Duration::from_secs(1), Duration::from_secs(30)).await;

    let mut silent = TcpStream::connect(s.addr()).await.unwrap();
    let took = closed_within(&mut silent, Duration::from_secs(10)).await;
    assert!(took.is_some(), "a silent socket stayed open");

    // A head sent one byte at a time, never finished within the timeout.
    let mut trickle = TcpStream::connect(s.addr()).await.unwrap();
    let started = Instant::now();
    let head = format!("GET / HTTP/1.1\r\nHost: {}\r\nX-Slow: ", s.addr());
    trickle.write_all(head.as_bytes()).await.unwrap();
    let mut closed = false;
    while started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if trickle.write_all(b"a").await.is_err() {
            closed = true;
            break;
        }
        let mut buf = [0u8; 64];
        if let Ok(Ok(0)) =
            tokio::time::timeout(Duration::from_millis(1), trickle.read(&mut buf)).await
        {
            closed = true;
            break;
        }
    }
    assert!(closed, "a trickled head kept its connection for 10 s");
}

#[tokio::test]
async fn idle_keep_alive_connections_are_closed_after_the_idle_timeout() {
    let s = with_timers(Duration::from_secs(30), Duration::from_secs(1)).await;
    let mut conn = TcpStream::connect(s.addr()).await.unwrap();
    // Kept alive across two requests...
    assert_eq!(get_on(&mut conn, s.addr(), "/").await, 200);
    assert_eq!(get_on(&mut conn, s.addr(), "/").await, 200);
    // ...then closed once idle, long before the 30 s header timeout.
    let took = closed_within(&mut conn, Duration::from_secs(15)).await;
    assert!(took.is_some(), "an idle connection stayed open");
}

#[tokio::test]
async fn silent_sockets_past_the_cap_never_lock_out_a_client() {
    let mut config = proxy_config("http://127.0.0.1:9");
    config.limits.max_connections = Some(20);
    config.limits.header_timeout = Duration::from_secs(60);
    let s = start(config).await;
    let mut silent = Vec::new();
    for _ in 0..100 {
        silent.push(TcpStream::connect(s.addr()).await.unwrap());
    }
    let started = Instant::now();
    let r = within_10s(client().get(s.url()).send()).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), common::INDEX_HTML);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // The oldest silent sockets were closed to make room (the cap holds).
    let mut closed = 0;
    for conn in silent.iter_mut().take(20) {
        if closed_within(conn, Duration::from_millis(200))
            .await
            .is_some()
        {
            closed += 1;
        }
    }
    assert!(closed > 0, "no silent socket was evicted");
}

/// The binary under `ulimit -n 256`: 300 silent sockets (more than it has descriptors),
/// then a client still gets the page and a proxied answer. It runs with `HTTP_PROXY` set
/// to a dead address, which the proxy must ignore.
#[cfg(unix)]
#[tokio::test]
async fn a_lowered_file_limit_still_answers_clients() {
    let (up_url, harbor) = fake_harbor().await;
    let dist = common::make_dist();
    let script = format!(
        "ulimit -n 256 && exec \"$0\" --addr 127.0.0.1:0 --quiet --harbor {up_url} --dist \"$1\""
    );
    // Proxy variables pointing nowhere: the proxy must reach Harbor directly anyway.
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_lens-serve"))
        .arg(&dist)
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("http_proxy", "http://127.0.0.1:9")
        .env("ALL_PROXY", "http://127.0.0.1:9")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start lens-serve");
    let url = common::banner_url(&mut child).await;
    let pid = child.id().expect("pid");
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap_or_default();
    if !limits.is_empty() {
        assert!(
            limits
                .lines()
                .any(|l| l.starts_with("Max open files") && l.contains(" 256 ")),
            "{limits}"
        );
    }
    let addr: SocketAddr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    let mut silent = Vec::new();
    for _ in 0..300 {
        silent.push(TcpStream::connect(addr).await.unwrap());
    }
    let started = Instant::now();
    let page = within_10s(client().get(&url).send()).await.unwrap();
    assert_eq!(page.status(), 200);
    let api = within_10s(client().get(format!("{url}api/v2.0/projects")).send())
        .await
        .unwrap();
    assert_eq!(api.status(), 200);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(harbor.seen(), ["GET /api/v2.0/projects"]);
    if let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
        assert!(fds.count() <= 256);
    }
}

#[tokio::test]
async fn a_full_server_answers_503_when_every_connection_is_busy() {
    let (s, harbor, _log) = proxied(|c| c.limits.max_connections = Some(2)).await;
    let (_url, held) = hold_two(&s, &harbor).await;
    // Nothing idle to close: the newcomer is told so, not left hanging.
    let text = exchange(
        s.addr(),
        &format!("GET / HTTP/1.1\r\nHost: {}\r\n", s.addr()),
    )
    .await;
    assert!(text.starts_with("HTTP/1.1 503 "), "{text}");
    assert!(text.contains("connection limit"), "{text}");
    harbor.gate.add_permits(2);
    for h in held {
        assert_eq!(h.await.unwrap().unwrap().status(), 200);
    }
}

// ---- 2. Only GET and HEAD, only /api/v2.0/ ----

#[tokio::test]
async fn only_get_and_head_to_api_v2_reach_harbor() {
    let (s, harbor, _log) = proxied(|_| {}).await;
    let url = format!("{}/api/v2.0/projects", s.origin());
    for method in [
        "DELETE", "PUT", "POST", "PATCH", "TRACE", "PROPFIND", "OPTIONS",
    ] {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let r = client()
            .request(m, &url)
            .header("authorization", "Basic YWRtaW46SGFyYm9yMTIzNDU=")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 405, "{method}");
        assert_eq!(r.headers()["allow"], "GET, HEAD", "{method}");
        let body = r.text().await.unwrap();
        assert!(body.contains("only GET and HEAD"), "{method}: {body}");
    }
    // CONNECT, in authority form and aimed at a path.
    for line in [
        "CONNECT 127.0.0.1:22 HTTP/1.1".to_owned(),
        format!("CONNECT {} HTTP/1.1", s.addr()),
    ] {
        let (status, _) = common::raw(s.addr(), &line, "").await;
        assert!((400..500).contains(&status), "{line}: {status}");
    }
    let internal = get(format!("{}/api/internal/syncregistry", s.origin())).await;
    assert_eq!(internal.status(), 404);
    assert!(harbor.seen().is_empty(), "{:?}", harbor.seen());

    let get = get(&url).await;
    assert_eq!(get.status(), 200);
    let head = client().head(&url).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(
        harbor.seen(),
        ["GET /api/v2.0/projects", "HEAD /api/v2.0/projects"]
    );
}

#[tokio::test]
async fn writes_pass_only_when_the_operator_allows_them() {
    let (s, harbor, _log) = proxied(|c| proxy_opts(c).allow_writes = true).await;
    let url = format!("{}/api/v2.0/labels", s.origin());
    let post = client().post(&url).body("{}").send().await.unwrap();
    assert_eq!(post.status(), 200);
    let trace = client()
        .request(reqwest::Method::TRACE, &url)
        .send()
        .await
        .unwrap();
    assert_eq!(trace.status(), 405);
    assert_eq!(
        trace.headers()["allow"],
        "GET, HEAD, POST, PUT, PATCH, DELETE"
    );
    assert_eq!(harbor.seen(), ["POST /api/v2.0/labels"]);
}

#[tokio::test]
async fn help_says_the_proxy_only_reads() {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_lens-serve"))
        .arg("--help")
        .output()
        .await
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("Only GET and HEAD are forwarded"), "{help}");
    for flag in [
        "--allow-writes",
        "--public-host",
        "--tls-cert",
        "--tls-key",
        "--header-timeout-secs",
        "--idle-timeout-secs",
        "--max-connections",
        "--max-harbor-requests",
    ] {
        assert!(help.contains(flag), "{flag}");
    }
}

// ---- 3. One deadline for the whole response ----

#[tokio::test]
async fn a_trickling_or_cut_response_is_an_error_to_the_client_and_in_the_log() {
    let (s, _harbor, lines) = proxied(|c| proxy_opts(c).timeout = Duration::from_secs(2)).await;

    // Trickling past the 2 s deadline, and broken off by Harbor: both after a 200 head.
    for (name, why) in [
        ("trickle", "did not finish within 2 s"),
        ("cut", "Harbor's response was cut"),
    ] {
        let started = Instant::now();
        let r = get(format!("{}/api/v2.0/{name}", s.origin())).await;
        assert_eq!(r.status(), 200, "{name}: the head was on time");
        assert!(
            r.bytes().await.is_err(),
            "{name}: a broken body looked whole"
        );
        let took = started.elapsed();
        assert!(took < Duration::from_secs(8), "{name}: {took:?}");
        let line = log_line(&lines, &format!("GET /api/v2.0/{name} ")).await;
        assert!(
            line.starts_with(&format!("GET /api/v2.0/{name} 502 ")),
            "{line}"
        );
        assert!(line.contains(why) && line.contains("(200 sent)"), "{line}");
    }

    let slow = get(format!("{}/api/v2.0/slow", s.origin())).await;
    assert_eq!(slow.status(), 504);
    log_line(&lines, "GET /api/v2.0/slow 504 ").await;
}

#[tokio::test]
async fn a_huge_response_streams_through_whole() {
    let (s, _harbor, lines) = proxied(|_| {}).await;
    let mut r = get(format!("{}/api/v2.0/huge", s.origin())).await;
    let mut total = 0usize;
    while let Some(chunk) = r.chunk().await.unwrap() {
        assert!(chunk.iter().all(|&b| b == b'h'));
        total += chunk.len();
    }
    assert_eq!(total, 64 * 1024 * 1024);
    log_line(&lines, "GET /api/v2.0/huge 200 ").await;
}

#[tokio::test]
async fn redirects_and_cookies_from_harbor_are_passed_back_untouched() {
    let (s, harbor, _log) = proxied(|_| {}).await;
    let get = |path: &str| {
        client()
            .get(format!("{}/api/v2.0/{path}", s.origin()))
            .send()
    };
    // A redirect to a cloud metadata address that also sets a cookie: both go back to
    // the browser as they are; the proxy neither follows nor remembers.
    let r = get("redirect").await.unwrap();
    let h = r.headers();
    let text = |name: &str| h[name].to_str().unwrap().to_owned();
    let got = (r.status().as_u16(), text("location"), text("set-cookie"));
    assert_eq!(
        got,
        (
            302,
            "http://169.254.169.254/latest/meta-data/".to_owned(),
            "sid=from-redirect; Path=/; HttpOnly".to_owned()
        )
    );
    let echo: serde_json::Value = get("projects").await.unwrap().json().await.unwrap();
    assert!(echo["headers"].get("cookie").is_none(), "{echo}");
    assert_eq!(
        harbor.seen(),
        ["GET /api/v2.0/redirect", "GET /api/v2.0/projects"]
    );
}

// ---- 4. Bounded Harbor concurrency, 503 on overload ----

#[tokio::test]
async fn overload_waits_for_a_slot_then_gets_503() {
    let (s, harbor, _log) = proxied(|c| {
        let opts = proxy_opts(c);
        opts.max_concurrent = 2;
        opts.max_queued = 1;
        opts.timeout = Duration::from_secs(20);
    })
    .await;
    // Both slots taken...
    let (url, held) = hold_two(&s, &harbor).await;
    // ...one more waits in the queue...
    let queued = tokio::spawn(client().get(&url).send());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!queued.is_finished());
    // ...and the next finds the queue full: 503 at once, with a reason.
    let started = Instant::now();
    let refused = get(&url).await;
    assert_eq!(refused.status(), 503);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(refused.headers()["retry-after"], "1");
    let body = refused.text().await.unwrap();
    assert!(
        body.contains("busy: 2 requests are already open to Harbor"),
        "{body}"
    );
    // Harbor never had more than two at once, and all three are answered once it moves.
    harbor.gate.add_permits(10);
    for h in held.into_iter().chain([queued]) {
        let r = h.await.unwrap().unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), "released");
    }
    assert_eq!(harbor.most_open.load(Ordering::SeqCst), 2);
    assert_eq!(harbor.seen().len(), 3);
}

// ---- 5. Forwarding headers are ours; Host must be ours ----

#[tokio::test]
async fn forwarding_headers_are_set_by_the_proxy_never_passed_through() {
    let (s, _harbor, _log) = proxied(|_| {}).await;
    let echo: serde_json::Value = json(
        client()
            .get(format!("{}/api/v2.0/projects", s.origin()))
            .header("x-forwarded-for", "10.0.0.1")
            .header("x-forwarded-host", "harbor.internal")
            .header("x-forwarded-proto", "https")
            .header("x-forwarded-prefix", "/admin")
            .header("forwarded", "for=10.0.0.1;host=harbor.internal")
            .header("x-real-ip", "10.0.0.1"),
    )
    .await;
    let sent = &echo["headers"];
    assert_eq!(sent["x-forwarded-for"], "127.0.0.1");
    assert_eq!(sent["x-real-ip"], "127.0.0.1");
    assert_eq!(sent["x-forwarded-proto"], "http");
    assert_eq!(sent["forwarded"], "for=127.0.0.1;proto=http");
    assert!(sent.get("x-forwarded-host").is_none(), "{sent}");
    assert!(sent.get("x-forwarded-prefix").is_none(), "{sent}");
}

#[tokio::test]
async fn a_foreign_host_gets_421_and_never_reaches_harbor() {
    let (s, harbor, _log) = proxied(|c| c.public_hosts = vec!["lens.example.com".into()]).await;
    let port = s.addr().port();
    // A DNS-rebinding page: the browser sends the attacker's name.
    for host in [
        format!("evil.example:{port}"),
        "evil.example".to_owned(),
        format!("127.0.0.2:{port}"),
        format!("localhost:{}", port.wrapping_add(1)),
    ] {
        let text = exchange(
            s.addr(),
            &format!("GET /api/v2.0/projects HTTP/1.1\r\nHost: {host}\r\n"),
        )
        .await;
        assert!(text.starts_with("HTTP/1.1 421 "), "{host}: {text}");
        assert!(text.contains("--public-host"), "{text}");
    }
    // Two Host headers, the first one ours.
    let two = exchange(
        s.addr(),
        &format!(
            "GET /api/v2.0/projects HTTP/1.1\r\nHost: {}\r\nHost: evil.example\r\n",
            s.addr()
        ),
    )
    .await;
    assert!(two.starts_with("HTTP/1.1 400 "), "{two}");
    assert!(harbor.seen().is_empty());
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        "lens.example.com".to_owned(),
    ] {
        let r = client()
            .get(format!("{}/api/v2.0/projects", s.origin()))
            .header("host", host.as_str())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{host}");
    }
    // HTTP/1.0 without a Host at all.
    let text = exchange(s.addr(), "GET / HTTP/1.0\r\n").await;
    assert!(
        text.starts_with("HTTP/1.0 400 ") || text.starts_with("HTTP/1.1 400 "),
        "{text}"
    );
}

// ---- 6. Nothing outside dist/ ----

#[cfg(unix)]
#[tokio::test]
async fn symlinks_never_lead_out_of_dist() {
    let mut config = proxy_config("http://127.0.0.1:9");
    let dist = config.dist.clone();
    let outside = dist.with_extension("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.txt"), "outside secret").unwrap();
    let link = |target: &std::path::Path, name: &str| {
        std::os::unix::fs::symlink(target, dist.join(name)).unwrap();
    };
    link(&outside.join("secret.txt"), "leak.txt");
    link(&outside, "leakdir");
    link(std::path::Path::new("/etc/passwd"), "passwd.txt");
    link(std::path::Path::new("../"), "up");
    link(&dist.join("boot.js"), "alias.js");
    config.dist = dist.clone();
    let s = start(config).await;
    for path in [
        "leak.txt",
        "leakdir/secret.txt",
        "passwd.txt",
        "up/index.html",
    ] {
        let r = client()
            .get(format!("{}{path}", s.url()))
            .header("accept", "*/*")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{path}");
        let body = r.text().await.unwrap();
        assert!(
            !body.contains("secret") && !body.contains("root:"),
            "{path}"
        );
    }
    // A navigation gets the app shell, never the linked file.
    let nav = client()
        .get(format!("{}leak.txt", s.url()))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(nav.text().await.unwrap(), common::INDEX_HTML);
    // A link that stays inside dist/ still works.
    let alias = get(format!("{}alias.js", s.url())).await;
    assert_eq!(alias.status(), 200);
    assert_eq!(
        alias.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    let _ = std::fs::remove_dir_all(outside);
}

// ---- 7. Request ids in the log ----

#[tokio::test]
async fn request_ids_cannot_forge_log_fields() {
    let (s, _harbor, lines) = proxied(|_| {}).await;
    let forged = "x auth=bearer rid=forged 200 \"quoted\"";
    let long = "a".repeat(300);
    for (path, rid) in [("/api/v2.0/one", forged), ("/api/v2.0/two", long.as_str())] {
        let r = client()
            .get(format!("{}{path}", s.origin()))
            .header("x-request-id", rid)
            .header("authorization", "Basic YWRtaW46SGFyYm9yMTIzNDU=")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap();
    }
    let one = log_line(&lines, "GET /api/v2.0/one ").await;
    assert!(
        one.ends_with(" auth=basic rid=x_auth_bearer_rid_forged_200__quoted_"),
        "{one}"
    );
    let two = log_line(&lines, "GET /api/v2.0/two ").await;
    let rid = two.rsplit_once(" rid=").unwrap().1;
    assert_eq!(rid.len(), lens_serve::access_log::MAX_RID_LEN, "{two}");
    assert!(rid.ends_with('~'));
    for line in lines.lines() {
        assert_eq!(line.matches(" rid=").count(), 1, "{line}");
        assert_eq!(line.matches(" auth=").count(), 1, "{line}");
    }
}

// ---- 8. Demo routes refuse cross-site requests; none in proxy mode ----

#[cfg(feature = "demo")]
#[tokio::test]
async fn demo_routes_refuse_cross_site_requests() {
    let s = start(common::demo_config()).await;
    let requests_total = || async {
        let stats: serde_json::Value = json(
            client()
                .get(format!("{}/_sim/stats", s.origin()))
                .header("sec-fetch-site", "same-origin"),
        )
        .await;
        stats["requests_total"].as_u64().unwrap()
    };
    for _ in 0..2 {
        let ping = get(format!("{}/api/v2.0/ping", s.origin())).await;
        assert_eq!(ping.status(), 200);
    }
    assert_eq!(requests_total().await, 2);

    let reset = format!("{}/_sim/reset", s.origin());
    let cross: [(&str, &str); 4] = [
        ("origin", "https://evil.example"),
        ("origin", "null"),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
    ];
    for (name, value) in cross {
        let r = client()
            .post(&reset)
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{name}: {value}");
        assert!(r.text().await.unwrap().contains("cross-site"));
    }
    let put = client()
        .put(format!("{}/_sim/faults", s.origin()))
        .header("origin", "https://evil.example")
        .body("{\"rate\":1.0}")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 403);
    let faults: serde_json::Value = get(format!("{}/_sim/faults", s.origin()))
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(faults["rate"], 1.0, "{faults}");
    assert_eq!(requests_total().await, 2, "a cross-site reset went through");

    // The page itself (same origin), and scripts without browser headers, still may.
    let own = client()
        .post(&reset)
        .header("origin", s.origin())
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert!(own.status().is_success(), "{}", own.status());
    assert_eq!(requests_total().await, 0);
    let script = client().post(&reset).send().await.unwrap();
    assert!(script.status().is_success(), "{}", script.status());
}

#[tokio::test]
async fn demo_routes_are_never_mounted_in_proxy_mode() {
    let (s, harbor, _log) = proxied(|_| {}).await;
    for (method, path) in [
        ("GET", "/_sim/stats"),
        ("GET", "/_sim/truth"),
        ("POST", "/_sim/reset"),
        ("POST", "/_sim/mutate"),
        ("PUT", "/_sim/faults"),
    ] {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let r = client()
            .request(m, format!("{}{path}", s.origin()))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert!(
            r.status() == 404 || r.status() == 405,
            "{method} {path}: {}",
            r.status()
        );
        assert_ne!(r.text().await.unwrap(), common::INDEX_HTML);
    }
    assert!(harbor.seen().is_empty(), "{:?}", harbor.seen());
}
