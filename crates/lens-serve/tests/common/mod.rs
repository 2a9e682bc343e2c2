//! Helpers shared by the integration tests: a throwaway `dist/`, a server on a free port,
//! and a raw HTTP/1.1 client for request targets that URL libraries would normalise.
#![allow(dead_code)]

use lens_serve::access_log::AccessLog;
use lens_serve::config::{Backend, Config, DemoOptions, ProxyOptions};
use lens_serve::ServerHandle;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The wasm stand-in: large and repetitive, so compression is worth it.
pub fn wasm_bytes() -> Vec<u8> {
    let mut bytes = b"\0asm\x01\0\0\0".to_vec();
    for i in 0..50_000u32 {
        bytes.extend_from_slice(&(i % 251).to_le_bytes());
    }
    bytes
}

/// The `index.html` written into every test `dist/`.
pub const INDEX_HTML: &str =
    "<!DOCTYPE html><html><head><script type=\"module\" src=\"./boot.js\"></script></head></html>\n";

/// A fresh `dist/` with the files a trunk build produces.
pub fn make_dist() -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "lens-serve-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("assets")).expect("create dist");
    let files: [(&str, Vec<u8>); 7] = [
        ("index.html", INDEX_HTML.as_bytes().to_vec()),
        (
            "boot.js",
            b"import init from \"./harbor-lens.js\";\ninit();\n".to_vec(),
        ),
        (
            "harbor-lens.js",
            b"export default function init() {}\n".to_vec(),
        ),
        ("harbor-lens_bg.wasm", wasm_bytes()),
        (
            "main-0123456789abcdef.css",
            b"body { margin: 0; }\n".to_vec(),
        ),
        (
            "assets/logo.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>".to_vec(),
        ),
        ("assets/data.json", b"{\"ok\":true}".to_vec()),
    ];
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).expect("write dist file");
    }
    std::fs::write(dir.join(".secret"), b"hidden").expect("write dotfile");
    dir
}

/// A demo-mode config on a free port over a fresh `dist/`, with the tiny dataset.
pub fn demo_config() -> Config {
    Config {
        addr: "127.0.0.1:0".parse().expect("addr"),
        dist: make_dist(),
        backend: Backend::Demo(DemoOptions {
            preset: "tiny".into(),
            ..DemoOptions::default()
        }),
        ..Config::default()
    }
}

/// A proxy-mode config towards `upstream`.
pub fn proxy_config(upstream: &str) -> Config {
    Config {
        addr: "127.0.0.1:0".parse().expect("addr"),
        dist: make_dist(),
        backend: Backend::Harbor(ProxyOptions::new(upstream).expect("upstream")),
        ..Config::default()
    }
}

/// Starts a server without logging.
pub async fn start(config: Config) -> ServerHandle {
    lens_serve::spawn(config, AccessLog::off())
        .await
        .expect("server starts")
}

/// A client that neither decompresses nor follows redirects, so tests see the wire.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .expect("client")
}

/// Sends `request_line` + `headers` verbatim and returns (status, raw response text).
pub async fn raw(addr: std::net::SocketAddr, request_line: &str, headers: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!("{request_line}\r\nHost: {addr}\r\nConnection: close\r\n{headers}\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    (status, text)
}

/// Reads the `Harbor Lens on URL` line a started binary prints, and returns the URL.
pub async fn banner_url(child: &mut tokio::process::Child) -> String {
    use tokio::io::AsyncBufReadExt;
    let stdout = child.stdout.take().expect("stdout piped");
    let mut line = String::new();
    tokio::io::BufReader::new(stdout)
        .read_line(&mut line)
        .await
        .expect("read the banner");
    line.trim()
        .strip_prefix("Harbor Lens on ")
        .unwrap_or_else(|| panic!("banner: {line:?}"))
        .to_owned()
}

/// Runs the `lens-serve` binary with `args` and checks it refuses them as a usage error
/// (status 2) whose message names `names`.
pub async fn assert_usage_error(args: &[&str], names: &str) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_lens-serve"))
        .args(args)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(names), "{args:?}: {stderr}");
}

/// `GET url` with the tests' client; panics when there is no answer at all.
pub async fn get(url: impl reqwest::IntoUrl) -> reqwest::Response {
    client().get(url).send().await.unwrap()
}

/// Sends `request` and reads its body as JSON; panics when either fails.
pub async fn json(request: reqwest::RequestBuilder) -> serde_json::Value {
    request.send().await.unwrap().json().await.unwrap()
}

/// Harbor's `ping` (the simulator's or the proxied one's) answers through `server`.
pub async fn assert_ping_answers(server: &ServerHandle) {
    let r = get(format!("{}/api/v2.0/ping", server.origin())).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "Pong");
}
