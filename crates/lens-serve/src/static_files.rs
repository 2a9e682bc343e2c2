//! Serves the built dashboard from `dist/`: exact MIME types, ETag revalidation,
//! cache rules, and the single-page-app fallback to `index.html`.
//!
//! Files are read per request, so a rebuilt `dist/` is picked up without a restart.
//! A compressible file with a precompressed `.br` or `.gz` sibling (see
//! [`crate::precompress`]) is sent as the best one `Accept-Encoding` allows; others are
//! left to the compression layer around the whole app. A single byte range is honoured.
//!
//! Symbolic links are resolved before anything is read, and a file whose real path is
//! not inside `dist/`'s real path is treated as missing: a link in `dist/` can point to
//! another file of the build, never to the rest of the disk.

use crate::paths::{is_unsafe_segment, percent_decode};
use crate::precompress::{self, Encoding};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{
    ACCEPT, ACCEPT_ENCODING, ACCEPT_RANGES, ALLOW, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH,
    CONTENT_RANGE, CONTENT_TYPE, ETAG, IF_NONE_MATCH, IF_RANGE, LOCATION, RANGE, VARY,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::UNIX_EPOCH;

/// Cache rule for files whose names carry a content hash: they never change.
pub const CACHE_IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache rule for everything else: always revalidate (cheap, thanks to the ETag).
pub const CACHE_REVALIDATE: &str = "no-cache";

/// The dashboard's files and the sub-path they are served under.
#[derive(Debug, Clone)]
pub struct StaticFiles {
    root: PathBuf,
    base_path: String,
}

impl StaticFiles {
    /// Files under `root`, served at `base_path` (normalised `/…/`).
    pub fn new(root: PathBuf, base_path: String) -> Self {
        StaticFiles { root, base_path }
    }
}

/// Why a request path does not name a servable file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathProblem {
    /// Malformed escapes, dot segments, backslashes or control characters: 400.
    Invalid,
    /// A well-formed path that is not served (e.g. a dotfile): 404.
    Hidden,
}

/// Maps the part of a URL path below the base path to a file path relative to `dist/`.
///
/// An empty path or one ending in `/` means that directory's `index.html`.
pub fn relative_file(rel: &str) -> Result<PathBuf, PathProblem> {
    let decoded = percent_decode(rel).ok_or(PathProblem::Invalid)?;
    let mut path = PathBuf::new();
    let segments: Vec<&str> = decoded.split('/').collect();
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        if segment.is_empty() {
            if last {
                path.push("index.html");
                continue;
            }
            return Err(PathProblem::Invalid);
        }
        if is_unsafe_segment(segment) || segment.contains(':') {
            return Err(PathProblem::Invalid);
        }
        if segment.starts_with('.') {
            return Err(PathProblem::Hidden);
        }
        path.push(segment);
    }
    Ok(path)
}

/// The `Content-Type` for a file, from its extension.
pub fn mime_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "wasm" => "application/wasm",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "txt" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "xml" => "application/xml",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

/// The `Cache-Control` for a file name: long-lived when the name carries a content hash
/// (a run of at least 16 hex digits, as trunk's `filehash` writes), else revalidate.
pub fn cache_control(file_name: &str) -> &'static str {
    let hashed = file_name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|t| t.len() >= 16 && t.bytes().all(|b| b.is_ascii_hexdigit()));
    if hashed && file_name != "index.html" {
        CACHE_IMMUTABLE
    } else {
        CACHE_REVALIDATE
    }
}

/// Whether the client asked for HTML (a navigation), which earns the SPA fallback.
pub fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|m| m.trim().starts_with("text/html")))
}

/// `/api` and `/_sim` belong to the backend, at the root whatever the base path.
fn is_reserved(path: &str) -> bool {
    ["/api", "/_sim"]
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (status, [(CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

fn redirect(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(v) => (StatusCode::PERMANENT_REDIRECT, [(LOCATION, v)]).into_response(),
        Err(_) => plain(StatusCode::BAD_REQUEST, "bad request\n"),
    }
}

/// Handler for every path not claimed by `/api/` or `/_sim/`.
pub async fn serve(State(files): State<Arc<StaticFiles>>, req: Request) -> Response {
    let method = req.method().clone();
    if method != Method::GET && method != Method::HEAD {
        let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let path = req.uri().path();
    let base = files.base_path.as_str();
    let query = req
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    // `/lens` → `/lens/`, and `/` → `/lens/`, so relative asset URLs resolve.
    if base != "/" && (path == "/" || format!("{path}/") == base) {
        return redirect(&format!("{base}{query}"));
    }
    // API paths that no route claimed are API 404s, never the HTML shell.
    if is_reserved(path) {
        return plain(StatusCode::NOT_FOUND, "not found\n");
    }
    let Some(rel) = path.strip_prefix(base) else {
        return plain(StatusCode::NOT_FOUND, "not found\n");
    };
    let file = match relative_file(rel) {
        Ok(f) => f,
        Err(PathProblem::Invalid) => return plain(StatusCode::BAD_REQUEST, "bad path\n"),
        Err(PathProblem::Hidden) => return plain(StatusCode::NOT_FOUND, "not found\n"),
    };
    let head = method == Method::HEAD;
    let Ok(root) = tokio::fs::canonicalize(&files.root).await else {
        return plain(StatusCode::NOT_FOUND, "not found\n");
    };
    if let Some(response) = file_response(&root, &file, req.headers(), head).await {
        return response;
    }
    if accepts_html(req.headers()) {
        let index = Path::new("index.html");
        if let Some(r) = file_response(&root, index, req.headers(), head).await {
            return r;
        }
    }
    plain(StatusCode::NOT_FOUND, "not found\n")
}

/// The real path of `rel` below the real `root`, or `None` when it does not exist or a
/// symbolic link leads outside `root`.
pub async fn resolve_inside(root: &Path, rel: &Path) -> Option<PathBuf> {
    let real = tokio::fs::canonicalize(root.join(rel)).await.ok()?;
    real.starts_with(root).then_some(real)
}

/// Weak comparison of entity tags (RFC 9110 §8.8.3.2): the `W/` prefix is ignored.
fn weak_eq(a: &str, b: &str) -> bool {
    a.trim_start_matches("W/") == b.trim_start_matches("W/")
}

/// The precompressed sibling of `rel` to send: the best coding `Accept-Encoding` allows
/// whose sibling exists below `root` and is not older than the file itself (a stale
/// sibling of an edited file is never sent).
async fn precompressed(
    root: &Path,
    rel: &Path,
    original: &std::fs::Metadata,
    headers: &HeaderMap,
) -> Option<(PathBuf, std::fs::Metadata, Encoding)> {
    let accept: Vec<&str> = headers
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    for encoding in precompress::acceptable(&accept.join(",")) {
        let mut name = rel.as_os_str().to_owned();
        name.push(encoding.suffix());
        let Some(real) = resolve_inside(root, Path::new(&name)).await else {
            continue;
        };
        let Ok(meta) = tokio::fs::metadata(&real).await else {
            continue;
        };
        let fresh = match (meta.modified(), original.modified()) {
            (Ok(sibling), Ok(file)) => sibling >= file,
            _ => true,
        };
        if meta.is_file() && fresh {
            return Some((real, meta, encoding));
        }
    }
    None
}

/// What a `Range` header asks of a representation of `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeAsk {
    /// No usable range (none, several, not bytes, or `If-Range` given): the whole body.
    Whole,
    /// Bytes `start..=end`.
    Part(u64, u64),
    /// A range that starts past the end: 416.
    Unsatisfiable,
}

/// Reads a single `bytes=` range. Several ranges are answered with the whole body, as
/// RFC 9110 allows; so is any `If-Range`, since this server's entity tags are weak and
/// a weak tag never satisfies `If-Range`.
pub fn range_ask(headers: &HeaderMap, len: u64) -> RangeAsk {
    if headers.contains_key(IF_RANGE) {
        return RangeAsk::Whole;
    }
    let Some(spec) = headers
        .get(RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("bytes="))
    else {
        return RangeAsk::Whole;
    };
    if spec.contains(',') {
        return RangeAsk::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeAsk::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    let parse = |s: &str| s.parse::<u64>().ok();
    match (first.is_empty(), last.is_empty()) {
        // `bytes=-N`: the last N bytes.
        (true, false) => match parse(last) {
            Some(0) => RangeAsk::Unsatisfiable,
            Some(n) if len > 0 => RangeAsk::Part(len.saturating_sub(n), len - 1),
            Some(_) => RangeAsk::Unsatisfiable,
            None => RangeAsk::Whole,
        },
        (false, _) => {
            let Some(start) = parse(first) else {
                return RangeAsk::Whole;
            };
            let end = if last.is_empty() {
                Some(len.saturating_sub(1))
            } else {
                parse(last)
            };
            match end {
                Some(_) if start >= len => RangeAsk::Unsatisfiable,
                Some(end) if end < start => RangeAsk::Whole,
                Some(end) => RangeAsk::Part(start, end.min(len - 1)),
                None => RangeAsk::Whole,
            }
        }
        (true, true) => RangeAsk::Whole,
    }
}

/// The response for one regular file `rel` below the real `root`, or `None` when it does
/// not exist there (see [`resolve_inside`]).
async fn file_response(
    root: &Path,
    rel: &Path,
    headers: &HeaderMap,
    head: bool,
) -> Option<Response> {
    let real = resolve_inside(root, rel).await?;
    // Name and type come from the requested name: a link keeps the name it was asked by.
    let named = root.join(rel);
    let meta = tokio::fs::metadata(&real).await.ok()?;
    if !meta.is_file() {
        return None;
    }
    let compressible = precompress::is_compressible(&named);
    let sibling = if compressible {
        precompressed(root, rel, &meta, headers).await
    } else {
        None
    };
    let (real, meta, encoding) = match sibling {
        Some((p, m, e)) => (p, m, Some(e)),
        None => (real, meta, None),
    };
    let path = real.as_path();
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    // Weak: the compression layer may send these bytes gzip-encoded under the same tag.
    let etag = format!("W/\"{:x}-{:x}\"", meta.len(), mtime);
    let name = named.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let cache = cache_control(name);
    let not_modified = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| weak_eq(t.trim(), &etag) || t.trim() == "*")
        });
    let mut builder = Response::builder()
        .header(ETAG, &etag)
        .header(CACHE_CONTROL, cache)
        .header(CONTENT_TYPE, mime_type(&named))
        .header(ACCEPT_RANGES, "bytes");
    if compressible {
        // Caches must key on Accept-Encoding even when this answer is identity.
        builder = builder.header(VARY, "accept-encoding");
    }
    if let Some(e) = encoding {
        builder = builder.header(CONTENT_ENCODING, e.token());
    }
    let len = meta.len();
    let response = if not_modified {
        builder.status(StatusCode::NOT_MODIFIED).body(Body::empty())
    } else {
        match range_ask(headers, len) {
            RangeAsk::Unsatisfiable => builder
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .header(CONTENT_RANGE, format!("bytes */{len}"))
                .header(CONTENT_LENGTH, 0)
                .body(Body::empty()),
            RangeAsk::Part(start, end) => {
                let builder = builder
                    .status(StatusCode::PARTIAL_CONTENT)
                    .header(CONTENT_RANGE, format!("bytes {start}-{end}/{len}"))
                    .header(CONTENT_LENGTH, end - start + 1);
                if head {
                    builder.body(Body::empty())
                } else {
                    let bytes = tokio::fs::read(path).await.ok()?;
                    let part = bytes.get(start as usize..=end as usize)?.to_vec();
                    builder.body(Body::from(part))
                }
            }
            RangeAsk::Whole if head => builder.header(CONTENT_LENGTH, len).body(Body::empty()),
            RangeAsk::Whole => {
                let bytes = tokio::fs::read(path).await.ok()?;
                builder
                    .header(CONTENT_LENGTH, bytes.len())
                    .body(Body::from(bytes))
            }
        }
    };
    Some(response.unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "error\n")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_map_into_dist() {
        assert_eq!(relative_file(""), Ok(PathBuf::from("index.html")));
        assert_eq!(relative_file("a/"), Ok(PathBuf::from("a/index.html")));
        assert_eq!(relative_file("x_bg.wasm"), Ok(PathBuf::from("x_bg.wasm")));
        assert_eq!(
            relative_file("my%20file.css"),
            Ok(PathBuf::from("my file.css"))
        );
        for bad in [
            "../etc/passwd",
            "%2e%2e/x",
            "a//b",
            "a\\b",
            "c:/x",
            "%zz",
            "a/./b",
        ] {
            assert_eq!(relative_file(bad), Err(PathProblem::Invalid), "{bad}");
        }
        assert_eq!(relative_file(".git/config"), Err(PathProblem::Hidden));
    }

    #[test]
    fn mime_types_are_exact() {
        let m = |p: &str| mime_type(Path::new(p));
        assert_eq!(m("a_bg.wasm"), "application/wasm");
        assert_eq!(m("a.js"), "text/javascript; charset=utf-8");
        assert_eq!(m("a.css"), "text/css; charset=utf-8");
        assert_eq!(m("a.json"), "application/json");
        assert_eq!(m("a.svg"), "image/svg+xml");
        assert_eq!(m("index.html"), "text/html; charset=utf-8");
        assert_eq!(m("noext"), "application/octet-stream");
    }

    #[test]
    fn hashed_names_are_immutable() {
        assert_eq!(
            cache_control("harbor-lens-1a2b3c4d5e6f7a8b_bg.wasm"),
            CACHE_IMMUTABLE
        );
        assert_eq!(cache_control("main-0123456789abcdef.css"), CACHE_IMMUTABLE);
        assert_eq!(cache_control("harbor-lens_bg.wasm"), CACHE_REVALIDATE);
        assert_eq!(cache_control("index.html"), CACHE_REVALIDATE);
        assert_eq!(cache_control("boot.js"), CACHE_REVALIDATE);
    }

    #[test]
    fn ranges_are_read_strictly() {
        let ask = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(RANGE, HeaderValue::from_str(v).expect("header"));
            range_ask(&h, 100)
        };
        assert_eq!(ask("bytes=0-9"), RangeAsk::Part(0, 9));
        assert_eq!(ask("bytes=90-"), RangeAsk::Part(90, 99));
        assert_eq!(ask("bytes=90-500"), RangeAsk::Part(90, 99));
        assert_eq!(ask("bytes=-10"), RangeAsk::Part(90, 99));
        assert_eq!(ask("bytes=-500"), RangeAsk::Part(0, 99));
        assert_eq!(ask("bytes=100-"), RangeAsk::Unsatisfiable);
        assert_eq!(ask("bytes=500-"), RangeAsk::Unsatisfiable);
        assert_eq!(ask("bytes=500-600"), RangeAsk::Unsatisfiable);
        assert_eq!(ask("bytes=-0"), RangeAsk::Unsatisfiable);
        assert_eq!(ask("bytes=0-1,5-6"), RangeAsk::Whole);
        assert_eq!(ask("bytes=9-3"), RangeAsk::Whole);
        assert_eq!(ask("items=0-3"), RangeAsk::Whole);
        assert_eq!(ask("bytes=x-3"), RangeAsk::Whole);
        assert_eq!(range_ask(&HeaderMap::new(), 100), RangeAsk::Whole);
        let mut h = HeaderMap::new();
        h.insert(RANGE, HeaderValue::from_static("bytes=0-9"));
        h.insert(IF_RANGE, HeaderValue::from_static("W/\"x\""));
        assert_eq!(range_ask(&h, 100), RangeAsk::Whole);
    }

    #[test]
    fn backend_prefixes_are_reserved() {
        assert!(is_reserved("/api") && is_reserved("/api/") && is_reserved("/_sim/x"));
        assert!(!is_reserved("/apis") && !is_reserved("/lens/api/") && !is_reserved("/"));
    }

    #[test]
    fn html_navigation_is_detected() {
        let mut h = HeaderMap::new();
        assert!(!accepts_html(&h));
        h.insert(
            ACCEPT,
            HeaderValue::from_static("text/html,application/xhtml+xml,*/*;q=0.8"),
        );
        assert!(accepts_html(&h));
        h.insert(ACCEPT, HeaderValue::from_static("application/json"));
        assert!(!accepts_html(&h));
    }
}
