//! The dashboard's files over a real socket: MIME types, caching, SPA fallback,
//! compression, sub-path serving, and refusal of traversal.

mod common;

use common::{client, make_dist, proxy_config, raw, start, wasm_bytes, INDEX_HTML};
use std::io::Read;

/// A server whose `/api/` points nowhere: these tests only touch static files.
async fn server() -> lens_serve::ServerHandle {
    start(proxy_config("http://127.0.0.1:9")).await
}

#[tokio::test]
async fn files_have_exact_content_types() {
    let s = server().await;
    let cases = [
        ("", "text/html; charset=utf-8"),
        ("index.html", "text/html; charset=utf-8"),
        ("boot.js", "text/javascript; charset=utf-8"),
        ("harbor-lens_bg.wasm", "application/wasm"),
        ("main-0123456789abcdef.css", "text/css; charset=utf-8"),
        ("assets/logo.svg", "image/svg+xml"),
        ("assets/data.json", "application/json"),
    ];
    for (path, mime) in cases {
        let r = client()
            .get(format!("{}{path}", s.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["content-type"], mime, "{path}");
    }
    let body = client()
        .get(s.url())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, INDEX_HTML);
}

#[tokio::test]
async fn caching_revalidates_plain_names_and_keeps_hashed_ones() {
    let s = server().await;
    let get = |p: &str| client().get(format!("{}{p}", s.url())).send();
    let index = get("").await.unwrap();
    assert_eq!(index.headers()["cache-control"], "no-cache");
    let wasm = get("harbor-lens_bg.wasm").await.unwrap();
    assert_eq!(wasm.headers()["cache-control"], "no-cache");
    let css = get("main-0123456789abcdef.css").await.unwrap();
    assert_eq!(
        css.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );

    let etag = wasm.headers()["etag"].clone();
    let again = client()
        .get(format!("{}harbor-lens_bg.wasm", s.url()))
        .header("if-none-match", etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"], etag);
    assert!(again.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn unknown_navigation_gets_index_but_missing_assets_get_404() {
    let s = server().await;
    let nav = client()
        .get(format!("{}inventory/library", s.url()))
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .send()
        .await
        .unwrap();
    assert_eq!(nav.status(), 200);
    assert_eq!(nav.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(nav.text().await.unwrap(), INDEX_HTML);

    let asset = client()
        .get(format!("{}missing.js", s.url()))
        .header("accept", "*/*")
        .send()
        .await
        .unwrap();
    assert_eq!(asset.status(), 404);
    for api in ["/api", "/api/", "/_sim/x"] {
        let r = client()
            .get(format!("{}{api}", s.origin()))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{api} got the HTML shell");
    }
    let hidden = client()
        .get(format!("{}.secret", s.url()))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(hidden.status(), 404);
}

#[tokio::test]
async fn head_and_other_methods() {
    let s = server().await;
    let head = client()
        .head(format!("{}harbor-lens_bg.wasm", s.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(
        head.headers()["content-length"],
        wasm_bytes().len().to_string().as_str()
    );
    let post = client().post(s.url()).body("x").send().await.unwrap();
    assert_eq!(post.status(), 405);
    assert_eq!(post.headers()["allow"], "GET, HEAD");
}

#[tokio::test]
async fn gzip_when_accepted_identity_otherwise() {
    let s = server().await;
    let url = format!("{}harbor-lens_bg.wasm", s.url());
    let gz = client()
        .get(&url)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.status(), 200);
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    assert_eq!(gz.headers()["content-type"], "application/wasm");
    let compressed = gz.bytes().await.unwrap();
    assert!(
        compressed.len() < wasm_bytes().len() / 2,
        "{} bytes",
        compressed.len()
    );
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_end(&mut decoded)
        .unwrap();
    assert_eq!(decoded, wasm_bytes());

    let plain = client().get(&url).send().await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.bytes().await.unwrap(), wasm_bytes());
}

#[tokio::test]
async fn traversal_is_refused() {
    let s = server().await;
    // The parent of dist/ holds other test directories; none of it may leak.
    for target in [
        "/../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/assets/..%2f..%2fx",
        "/a\\b",
    ] {
        let (status, _) = raw(s.addr(), &format!("GET {target} HTTP/1.1"), "").await;
        assert_eq!(status, 400, "{target}");
    }
}

#[tokio::test]
async fn sub_path_serving() {
    let mut config = proxy_config("http://127.0.0.1:9");
    config.dist = make_dist();
    config.base_path = "/lens/".into();
    let s = start(config).await;
    assert_eq!(s.url(), format!("http://{}/lens/", s.addr()));

    let index = client().get(s.url()).send().await.unwrap();
    assert_eq!(index.status(), 200);
    assert_eq!(index.text().await.unwrap(), INDEX_HTML);
    let wasm = client()
        .get(format!("{}harbor-lens_bg.wasm", s.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(wasm.headers()["content-type"], "application/wasm");

    for from in ["/lens", "/"] {
        let r = client()
            .get(format!("{}{from}?x=1", s.origin()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 308, "{from}");
        assert_eq!(r.headers()["location"], "/lens/?x=1", "{from}");
    }
    let outside = client()
        .get(format!("{}/boot.js", s.origin()))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(outside.status(), 404);
    let nav = client()
        .get(format!("{}deep/route", s.url()))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(nav.text().await.unwrap(), INDEX_HTML);
}
