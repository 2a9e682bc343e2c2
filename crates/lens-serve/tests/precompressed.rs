//! Precompressed files over a real socket: `lens-serve compress` writes `.br` and `.gz`
//! siblings, and the server sends the best one `Accept-Encoding` allows, with the
//! original type, `Vary`, caching, HEAD and byte ranges.

mod common;

use common::{client, proxy_config, start, wasm_bytes};
use std::io::Read;
use std::path::Path;

/// A server over a `dist/` that `compress_dir` has run on.
async fn server() -> (lens_serve::ServerHandle, std::path::PathBuf) {
    let config = proxy_config("http://127.0.0.1:9");
    let dist = config.dist.clone();
    let done = lens_serve::precompress::compress_dir(&dist).expect("compress");
    assert_eq!(done.len(), 7, "{done:?}");
    (start(config).await, dist)
}

async fn get(
    s: &lens_serve::ServerHandle,
    path: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = client().get(format!("{}{path}", s.url()));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.expect("send")
}

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(bytes, 4096)
        .read_to_end(&mut out)
        .expect("brotli");
    out
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("gzip");
    out
}

#[test]
fn compress_writes_siblings_of_compressible_files_only() {
    let dist = common::make_dist();
    std::fs::write(dist.join("assets/pic.png"), [0x89, b'P', b'N', b'G']).expect("png");
    let done = lens_serve::precompress::compress_dir(&dist).expect("compress");
    let names: Vec<String> = done.iter().map(|c| c.path.display().to_string()).collect();
    let want: Vec<String> = [
        "assets/data.json",
        "assets/logo.svg",
        "boot.js",
        "harbor-lens.js",
        "harbor-lens_bg.wasm",
        "index.html",
        "main-0123456789abcdef.css",
    ]
    .iter()
    .map(|n| Path::new(n).display().to_string())
    .collect();
    assert_eq!(names, want);
    for rel in [
        "harbor-lens_bg.wasm",
        "boot.js",
        "index.html",
        "assets/logo.svg",
    ] {
        let raw = std::fs::read(dist.join(rel)).expect("raw");
        let br = std::fs::read(dist.join(format!("{rel}.br"))).expect("br");
        let gz = std::fs::read(dist.join(format!("{rel}.gz"))).expect("gz");
        assert_eq!(unbrotli(&br), raw, "{rel}");
        assert_eq!(gunzip(&gz), raw, "{rel}");
    }
    let wasm = done
        .iter()
        .find(|c| c.path == Path::new("harbor-lens_bg.wasm"))
        .expect("wasm");
    assert!(
        wasm.brotli < wasm.gzip && wasm.gzip < wasm.raw / 4,
        "{wasm:?}"
    );
    for absent in ["assets/pic.png.br", ".secret.br", ".secret.gz"] {
        assert!(!dist.join(absent).exists(), "{absent}");
    }
}

#[tokio::test]
async fn best_allowed_coding_is_sent_with_the_original_type() {
    let (s, dist) = server().await;
    let raw = wasm_bytes();
    let cases = [
        ("gzip, deflate, br, zstd", Some("br")),
        ("gzip", Some("gzip")),
        ("br;q=0, gzip", Some("gzip")),
        ("*", Some("br")),
        ("*;q=0, gzip;q=0.5", Some("gzip")),
        ("identity", None),
        ("br;q=0, gzip;q=0", None),
    ];
    for (accept, want) in cases {
        let r = get(&s, "harbor-lens_bg.wasm", &[("accept-encoding", accept)]).await;
        assert_eq!(r.status(), 200, "{accept}");
        let h = r.headers().clone();
        assert_eq!(h["content-type"], "application/wasm", "{accept}");
        assert_eq!(h["cache-control"], "no-cache", "{accept}");
        assert!(
            h.get_all("vary")
                .iter()
                .any(|v| v.to_str().unwrap_or("").contains("accept-encoding")),
            "{accept}: {h:?}"
        );
        assert_eq!(
            h.get("content-encoding").map(|v| v.to_str().unwrap_or("")),
            want,
            "{accept}"
        );
        let body = r.bytes().await.expect("body").to_vec();
        let decoded = match want {
            Some("br") => {
                let sibling = std::fs::read(dist.join("harbor-lens_bg.wasm.br")).expect("br");
                assert_eq!(body, sibling, "the precompressed file itself");
                unbrotli(&body)
            }
            Some(_) => gunzip(&body),
            None => body,
        };
        assert_eq!(decoded, raw, "{accept}");
    }
}

#[tokio::test]
async fn hashed_and_entry_files_keep_their_cache_rules() {
    let (s, _dist) = server().await;
    let css = get(
        &s,
        "main-0123456789abcdef.css",
        &[("accept-encoding", "br")],
    )
    .await;
    assert_eq!(css.headers()["content-encoding"], "br");
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert_eq!(
        css.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    for entry in ["", "index.html", "assets/data.json"] {
        let r = get(&s, entry, &[("accept-encoding", "gzip")]).await;
        assert_eq!(r.headers()["content-encoding"], "gzip", "{entry}");
        assert_eq!(r.headers()["cache-control"], "no-cache", "{entry}");
    }
    // Revalidation of the brotli variant answers 304 with the same headers.
    let first = get(&s, "boot.js", &[("accept-encoding", "br")]).await;
    let etag = first.headers()["etag"].to_str().expect("etag").to_owned();
    let again = get(
        &s,
        "boot.js",
        &[("accept-encoding", "br"), ("if-none-match", &etag)],
    )
    .await;
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["content-encoding"], "br");
}

#[tokio::test]
async fn head_and_ranges_apply_to_the_encoded_bytes() {
    let (s, dist) = server().await;
    let br = std::fs::read(dist.join("harbor-lens_bg.wasm.br")).expect("br");
    let url = format!("{}harbor-lens_bg.wasm", s.url());
    let head = client()
        .head(&url)
        .header("accept-encoding", "br")
        .send()
        .await
        .expect("head");
    assert_eq!(head.status(), 200);
    assert_eq!(
        head.headers()["content-length"],
        br.len().to_string().as_str()
    );
    assert_eq!(head.headers()["content-encoding"], "br");
    assert_eq!(head.headers()["accept-ranges"], "bytes");
    assert!(head.bytes().await.expect("body").is_empty());

    let part = get(
        &s,
        "harbor-lens_bg.wasm",
        &[("accept-encoding", "br"), ("range", "bytes=0-9")],
    )
    .await;
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 0-9/{}", br.len()).as_str()
    );
    assert_eq!(part.headers()["content-encoding"], "br");
    assert_eq!(
        part.bytes().await.expect("body").to_vec(),
        br[..10].to_vec()
    );

    let raw = wasm_bytes();
    let tail = get(
        &s,
        "harbor-lens_bg.wasm",
        &[("accept-encoding", "identity"), ("range", "bytes=-4")],
    )
    .await;
    assert_eq!(tail.status(), 206);
    assert!(tail.headers().get("content-encoding").is_none());
    assert_eq!(
        tail.bytes().await.expect("body").to_vec(),
        raw[raw.len() - 4..].to_vec()
    );

    let past = get(&s, "boot.js", &[("range", "bytes=99999-")]).await;
    assert_eq!(past.status(), 416);
    assert!(past.headers()["content-range"]
        .to_str()
        .expect("range")
        .starts_with("bytes */"));
}

#[tokio::test]
async fn a_stale_sibling_is_never_sent() {
    let (s, dist) = server().await;
    // Rebuilt after compressing: the siblings now describe an older file.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let fresh = b"export default function init() { return 2; }\n";
    std::fs::write(dist.join("harbor-lens.js"), fresh).expect("rewrite");
    let r = get(&s, "harbor-lens.js", &[("accept-encoding", "br")]).await;
    assert!(r.headers().get("content-encoding").is_none());
    assert_eq!(r.bytes().await.expect("body").as_ref(), fresh);
}

#[tokio::test]
async fn the_compress_subcommand_reports_and_refuses_bad_input() {
    let dist = common::make_dist();
    let bin = env!("CARGO_BIN_EXE_lens-serve");
    let out = tokio::process::Command::new(bin)
        .arg("compress")
        .arg(&dist)
        .output()
        .await
        .expect("run");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("harbor-lens_bg.wasm") && text.contains("total"),
        "{text}"
    );
    assert!(dist.join("harbor-lens_bg.wasm.br").is_file());

    let missing = tokio::process::Command::new(bin)
        .args(["compress", "/nonexistent/dist"])
        .output()
        .await
        .expect("run");
    assert!(!missing.status.success());
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(err.contains("cannot read"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
