//! Reverse proxy from `/api/v2.0/` to a real Harbor.
//!
//! Only `/api/v2.0/` paths are forwarded (other `/api/` paths get 404), only with GET or
//! HEAD unless the operator passed `--allow-writes` (405 with `Allow` otherwise), and
//! only after [`check_api_path`] has ruled out traversal (`..`, `%2e%2e`, double-encoded
//! forms), empty segments (`//`), userinfo (`@`) and anything that would let the
//! upstream URL parser pick another host. The path and query are appended to Harbor's
//! origin byte for byte (Harbor needs the double-encoded `%252F` intact), and the
//! resulting URL is checked again.
//!
//! Bodies stream both ways. End-to-end headers pass through (Authorization, cookies,
//! X-Request-Id, X-Harbor-CSRF-Token, Set-Cookie, X-Total-Count, Link); hop-by-hop
//! headers are dropped, and so are the client's forwarding headers (`Forwarded`,
//! `X-Forwarded-*`, `X-Real-IP`): the proxy sets its own from the socket. Redirects are
//! passed back to the browser, never followed.
//!
//! Limits: one deadline covers a request from its arrival to the last byte of Harbor's
//! response (504 before the head; after it the response is cut, which the client sees as
//! an error and the access log as `502`); at most `max_concurrent` requests are open to
//! Harbor, others wait in a queue of `max_queued` within the same deadline, and beyond
//! that get 503, as do requests that find no file descriptor left for a connection.

use crate::access_log::AccessLog;
use crate::config::ProxyOptions;
use crate::listener::ClientScheme;
use crate::paths::{is_unsafe_segment, percent_decode};
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{ALLOW, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HOST};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// The only API prefix forwarded: Harbor's v2.0 REST API, which is all the dashboard reads.
pub const API_PREFIX: &str = "/api/v2.0/";

/// Whether a request header could tell Harbor where a request came from: `Forwarded`,
/// `X-Real-IP` and every `X-Forwarded-*`. The client's are never forwarded; the proxy
/// sets `X-Forwarded-For`, `X-Forwarded-Proto`, `X-Real-IP` and `Forwarded` itself.
pub fn is_forwarding_header(name: &HeaderName) -> bool {
    let name = name.as_str();
    name == "forwarded" || name == "x-real-ip" || name.starts_with("x-forwarded-")
}

/// Why a path is refused before anything is sent to Harbor (always 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathRejection {
    /// Not below `/api/`.
    #[error("only /api/ paths are forwarded")]
    NotApi,
    /// A malformed percent escape.
    #[error("malformed percent-encoding")]
    BadEncoding,
    /// `.` or `..` as a segment, in any encoding.
    #[error("path traversal")]
    Traversal,
    /// `//`, `@`, `\` or a control character, in any encoding: URL-parser tricks.
    #[error("ambiguous path")]
    Ambiguous,
}

/// Checks a request path (without query) for forwarding. The raw path and up to two
/// decodings of it are checked, since Harbor decodes repository names twice.
pub fn check_api_path(path: &str) -> Result<(), PathRejection> {
    if !path.starts_with("/api/") {
        return Err(PathRejection::NotApi);
    }
    let once = percent_decode(path).ok_or(PathRejection::BadEncoding)?;
    // A second decoding that fails is not an attack: the first one already was the name.
    let twice = percent_decode(&once);
    for form in std::iter::once(path)
        .chain(Some(once.as_str()))
        .chain(twice.as_deref())
    {
        if form.contains("//") || form.contains('@') {
            return Err(PathRejection::Ambiguous);
        }
        for segment in form.split('/').skip(1) {
            if segment == "." || segment == ".." {
                return Err(PathRejection::Traversal);
            }
            if is_unsafe_segment(segment) {
                return Err(PathRejection::Ambiguous);
            }
        }
    }
    Ok(())
}

/// Joins Harbor's address and a checked path+query, and verifies that the URL parser
/// kept both: same scheme, host and port, and the path exactly as sent.
pub fn upstream_url(upstream: &str, path: &str, query: Option<&str>) -> Option<reqwest::Url> {
    let base = reqwest::Url::parse(upstream).ok()?;
    let text = match query {
        Some(q) => format!("{upstream}{path}?{q}"),
        None => format!("{upstream}{path}"),
    };
    let url = reqwest::Url::parse(&text).ok()?;
    let prefix = base.path().trim_end_matches('/');
    let same_origin = url.scheme() == base.scheme()
        && url.host_str() == base.host_str()
        && url.port_or_known_default() == base.port_or_known_default()
        && url.username().is_empty()
        && url.password().is_none();
    (same_origin && url.path() == format!("{prefix}{path}")).then_some(url)
}

/// Headers that belong to one connection, not to the message (RFC 9110 §7.6.1), plus
/// any the `Connection` header names.
fn hop_by_hop(headers: &HeaderMap) -> Vec<HeaderName> {
    let mut names: Vec<HeaderName> = [
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    ]
    .into_iter()
    .map(HeaderName::from_static)
    .collect();
    for value in headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
    {
        names.extend(
            value
                .split(',')
                .filter_map(|t| HeaderName::try_from(t.trim()).ok()),
        );
    }
    names
}

/// The end-to-end headers of `headers`, minus `extra` names.
pub fn end_to_end(headers: &HeaderMap, extra: &[HeaderName]) -> HeaderMap {
    let drop = hop_by_hop(headers);
    let mut out = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        if !drop.contains(name) && !extra.contains(name) {
            out.append(name.clone(), value.clone());
        }
    }
    out
}

/// The proxy's shared state.
#[derive(Debug)]
pub struct Proxy {
    client: reqwest::Client,
    opts: ProxyOptions,
    log: AccessLog,
    /// One permit per request open to Harbor; held until its response body ends.
    slots: Arc<Semaphore>,
    /// Requests waiting for a permit.
    queued: AtomicUsize,
}

impl Proxy {
    /// A proxy to `opts.upstream`. Fails if the CA file is unreadable or the TLS stack
    /// cannot start.
    pub fn new(opts: ProxyOptions, log: AccessLog) -> Result<Self, String> {
        let mut builder = reqwest::Client::builder();
        if let Some(path) = &opts.ca_file {
            let pem = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            if certs.is_empty() {
                return Err(format!("{}: no PEM certificate found", path.display()));
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let client = builder
            .redirect(reqwest::redirect::Policy::none())
            // Harbor is reached directly; an inherited HTTP_PROXY would see credentials.
            .no_proxy()
            .connect_timeout(opts.timeout.min(std::time::Duration::from_secs(10)))
            // Never more idle sockets to Harbor than requests may be open at once.
            .pool_max_idle_per_host(opts.max_concurrent)
            .build()
            .map_err(|e| e.to_string())?;
        let slots = Arc::new(Semaphore::new(opts.max_concurrent));
        Ok(Proxy {
            client,
            opts,
            log,
            slots,
            queued: AtomicUsize::new(0),
        })
    }

    /// A slot to talk to Harbor, waiting at most until `deadline` in a bounded queue.
    async fn slot(&self, deadline: Instant) -> Option<OwnedSemaphorePermit> {
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return Some(permit);
        }
        if self.queued.fetch_add(1, Ordering::SeqCst) >= self.opts.max_queued {
            self.queued.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        let waited = tokio::time::timeout_at(deadline, self.slots.clone().acquire_owned()).await;
        self.queued.fetch_sub(1, Ordering::SeqCst);
        waited.ok().and_then(Result::ok)
    }
}

/// Harbor's error body shape, so the app shows proxy errors like Harbor's own.
fn harbor_error(
    status: StatusCode,
    code: &str,
    message: &str,
    rid: Option<&HeaderValue>,
) -> Response {
    let body = format!(r#"{{"errors":[{{"code":"{code}","message":"{message}"}}]}}"#);
    let mut response = (status, [(CONTENT_TYPE, "application/json")], body).into_response();
    if let Some(rid) = rid {
        response.headers_mut().insert("x-request-id", rid.clone());
    }
    response
}

/// Whether an error (or one of its causes) is this process running out of file
/// descriptors: that is our overload, not Harbor being unreachable.
fn out_of_fds(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(err) = cause {
        if err
            .downcast_ref::<std::io::Error>()
            .is_some_and(crate::listener::is_fd_exhaustion)
        {
            return true;
        }
        cause = err.source();
    }
    false
}

/// The request headers sent to Harbor: the client's end-to-end headers without `Host`
/// and without any forwarding header, plus ours, made from the socket.
pub fn upstream_headers(client: &HeaderMap, peer: Option<SocketAddr>, scheme: &str) -> HeaderMap {
    let mut headers = end_to_end(client, &[HOST]);
    let theirs: Vec<HeaderName> = headers
        .keys()
        .filter(|n| is_forwarding_header(n))
        .cloned()
        .collect();
    for name in theirs {
        headers.remove(name);
    }
    if let Some(peer) = peer {
        let ip = peer.ip().to_string();
        let node = match peer.ip() {
            std::net::IpAddr::V6(_) => format!("\"[{ip}]\""),
            std::net::IpAddr::V4(_) => ip.clone(),
        };
        let pairs = [
            ("x-forwarded-for", ip.clone()),
            ("x-real-ip", ip),
            ("forwarded", format!("for={node};proto={scheme}")),
        ];
        for (name, value) in pairs {
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), v);
            }
        }
    }
    if let Ok(v) = HeaderValue::from_str(scheme) {
        headers.insert(HeaderName::from_static("x-forwarded-proto"), v);
    }
    headers
}

/// Methods forwarded to Harbor.
fn allowed_methods(allow_writes: bool) -> &'static [Method] {
    const READ: &[Method] = &[Method::GET, Method::HEAD];
    const WRITE: &[Method] = &[
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
    ];
    if allow_writes {
        WRITE
    } else {
        READ
    }
}

/// Handler for `/api/*`: checks the path and method, forwards, streams the answer back
/// within the deadline.
pub async fn forward(State(proxy): State<Arc<Proxy>>, req: Request) -> Response {
    let deadline = Instant::now() + proxy.opts.timeout;
    let (parts, body) = req.into_parts();
    let rid = parts.headers.get("x-request-id").cloned();
    let path = parts.uri.path();
    if let Err(why) = check_api_path(path) {
        return harbor_error(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            &why.to_string(),
            rid.as_ref(),
        );
    }
    if !path.starts_with(API_PREFIX) {
        return harbor_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "only /api/v2.0/ is forwarded to Harbor",
            rid.as_ref(),
        );
    }
    let methods = allowed_methods(proxy.opts.allow_writes);
    if !methods.contains(&parts.method) {
        let allow: Vec<&str> = methods.iter().map(Method::as_str).collect();
        let message = if proxy.opts.allow_writes {
            "this method is not forwarded to Harbor"
        } else {
            "the dashboard only reads: only GET and HEAD are forwarded to Harbor"
        };
        let mut r = harbor_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            message,
            rid.as_ref(),
        );
        if let Ok(v) = HeaderValue::from_str(&allow.join(", ")) {
            r.headers_mut().insert(ALLOW, v);
        }
        return r;
    }
    let Some(url) = upstream_url(&proxy.opts.upstream, path, parts.uri.query()) else {
        return harbor_error(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "ambiguous path",
            rid.as_ref(),
        );
    };

    let limit = proxy.opts.max_body_bytes;
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return too_large(rid.as_ref());
    }

    let Some(slot) = proxy.slot(deadline).await else {
        proxy.log.write(&format!(
            "proxy: {} {path}: refused, {} requests already open to Harbor",
            parts.method, proxy.opts.max_concurrent
        ));
        return busy(
            &format!(
                "lens-serve is busy: {} requests are already open to Harbor; try again shortly",
                proxy.opts.max_concurrent
            ),
            rid.as_ref(),
        );
    };

    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let scheme = parts
        .extensions
        .get::<ClientScheme>()
        .map_or("http", |s| s.0);
    let headers = upstream_headers(&parts.headers, peer, scheme);
    let mut request = proxy
        .client
        .request(parts.method.clone(), url)
        .headers(headers);
    let tripped = Arc::new(AtomicBool::new(false));
    if !body.is_end_stream() {
        let flag = tripped.clone();
        let mut seen: u64 = 0;
        let stream = body.into_data_stream().map(move |chunk| {
            let chunk = chunk.map_err(std::io::Error::other)?;
            seen += chunk.len() as u64;
            if seen > limit {
                flag.store(true, Ordering::SeqCst);
                return Err(std::io::Error::other("request body too large"));
            }
            Ok(chunk)
        });
        request = request.body(reqwest::Body::wrap_stream(stream));
    }

    let sent = tokio::time::timeout_at(deadline, request.send()).await;
    let upstream = match sent {
        Ok(Ok(response)) => response,
        _ if tripped.load(Ordering::SeqCst) => return too_large(rid.as_ref()),
        Err(_) => {
            proxy.log.write(&format!(
                "proxy: {} {path}: Harbor did not answer in time",
                parts.method
            ));
            return harbor_error(
                StatusCode::GATEWAY_TIMEOUT,
                "GATEWAY_TIMEOUT",
                "Harbor did not answer in time",
                rid.as_ref(),
            );
        }
        Ok(Err(e)) => {
            // reqwest's message names the URL (no credentials: userinfo is refused) only.
            proxy
                .log
                .write(&format!("proxy: {} {path}: {e}", parts.method));
            if out_of_fds(&e) {
                return busy(
                    "lens-serve has no file descriptor left for a connection to Harbor; \
                     try again shortly",
                    rid.as_ref(),
                );
            }
            let (status, code) = if e.is_timeout() {
                (StatusCode::GATEWAY_TIMEOUT, "GATEWAY_TIMEOUT")
            } else {
                (StatusCode::BAD_GATEWAY, "BAD_GATEWAY")
            };
            return harbor_error(status, code, "Harbor is unreachable", rid.as_ref());
        }
    };

    let status = upstream.status();
    let headers = end_to_end(upstream.headers(), &[]);
    let context = format!("proxy: {} {path}", parts.method);
    let body = within_deadline(
        upstream.bytes_stream(),
        deadline,
        proxy.opts.timeout,
        slot,
        proxy.log.clone(),
        context,
    );
    // Fused: the compression layer may poll once more after the end.
    let mut response = Response::new(Body::from_stream(body.fuse()));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// Harbor's body, passed on chunk by chunk until `deadline`; a failure or the deadline
/// ends it with an error (so the client sees a cut response, not a complete one). The
/// Harbor slot is released when the body ends or is dropped.
fn within_deadline(
    upstream: impl Stream<Item = reqwest::Result<Bytes>> + Send + Unpin + 'static,
    deadline: Instant,
    budget: std::time::Duration,
    slot: OwnedSemaphorePermit,
    log: AccessLog,
    context: String,
) -> impl Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    let state = Some((upstream, slot));
    futures::stream::unfold(state, move |state| {
        let log = log.clone();
        let context = context.clone();
        async move {
            let (mut upstream, slot) = state?;
            let why = match tokio::time::timeout_at(deadline, upstream.next()).await {
                Ok(Some(Ok(chunk))) => return Some((Ok(chunk), Some((upstream, slot)))),
                Ok(None) => return None,
                Ok(Some(Err(e))) => format!("Harbor's response was cut: {e}"),
                Err(_) => format!(
                    "Harbor's response did not finish within {} s",
                    budget.as_secs()
                ),
            };
            log.write(&format!("{context}: {why}"));
            Some((Err(std::io::Error::other(why)), None))
        }
    })
}

fn busy(message: &str, rid: Option<&HeaderValue>) -> Response {
    let mut r = harbor_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "SERVICE_UNAVAILABLE",
        message,
        rid,
    );
    r.headers_mut()
        .insert("retry-after", HeaderValue::from_static("1"));
    r
}

fn too_large(rid: Option<&HeaderValue>) -> Response {
    harbor_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
        "request body too large",
        rid,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_harbor_paths_pass() {
        for ok in [
            "/api/v2.0/systeminfo",
            "/api/v2.0/projects/library/repositories/team%252Ftools%252Fx/artifacts",
            "/api/v2.0/projects/p/repositories/r/artifacts/sha256:0123abcd/tags",
            "/api/v2.0/projects/my.project/repositories/a...b",
        ] {
            assert_eq!(check_api_path(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn tricks_are_refused() {
        use PathRejection::*;
        let cases = [
            ("/v2/_catalog", NotApi),
            ("/apix/v2.0", NotApi),
            ("/api/../secret", Traversal),
            ("/api/v2.0/%2e%2e/x", Traversal),
            ("/api/v2.0/%2E%2e/x", Traversal),
            ("/api/v2.0/%252e%252e/x", Traversal),
            ("/api/v2.0/./x", Traversal),
            ("/api//evil.example/x", Ambiguous),
            ("/api/http://evil.example/", Ambiguous),
            ("/api/http:%2f%2fevil.example/", Ambiguous),
            ("/api/v2.0/x@evil.example", Ambiguous),
            ("/api/v2.0/x%40evil.example", Ambiguous),
            ("/api/v2.0/a%5c..%5cb", Ambiguous),
            ("/api/v2.0/a%00", Ambiguous),
            ("/api/v2.0/%zz", BadEncoding),
        ];
        for (path, why) in cases {
            assert_eq!(check_api_path(path), Err(why), "{path}");
        }
    }

    #[test]
    fn upstream_url_keeps_the_path_verbatim() {
        let url = upstream_url(
            "https://h.example",
            "/api/v2.0/a%252Fb",
            Some("q=name%3D~x&page=2"),
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "https://h.example/api/v2.0/a%252Fb?q=name%3D~x&page=2"
        );
        let url = upstream_url("http://h.example:8080/harbor", "/api/v2.0/ping", None).unwrap();
        assert_eq!(url.as_str(), "http://h.example:8080/harbor/api/v2.0/ping");
        // Defence in depth: even an unchecked traversal is caught by the re-parse.
        assert_eq!(
            upstream_url("https://h.example", "/api/%2e%2e/x", None),
            None
        );
    }

    #[test]
    fn hop_by_hop_headers_are_dropped() {
        let mut h = HeaderMap::new();
        h.insert(
            "connection",
            HeaderValue::from_static("keep-alive, x-private"),
        );
        h.insert("x-private", HeaderValue::from_static("1"));
        h.insert("transfer-encoding", HeaderValue::from_static("chunked"));
        h.insert("authorization", HeaderValue::from_static("Basic eA=="));
        h.append("set-cookie", HeaderValue::from_static("a=1"));
        h.append("set-cookie", HeaderValue::from_static("b=2"));
        let out = end_to_end(&h, &[]);
        assert_eq!(out.len(), 3);
        assert_eq!(out.get("authorization").unwrap(), "Basic eA==");
        assert_eq!(out.get_all("set-cookie").iter().count(), 2);
    }

    #[test]
    fn fd_exhaustion_is_recognised_through_causes() {
        #[derive(Debug)]
        struct Wrapper(std::io::Error);
        impl std::fmt::Display for Wrapper {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("connect failed")
            }
        }
        impl std::error::Error for Wrapper {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let emfile = Wrapper(std::io::Error::from_raw_os_error(24));
        assert_eq!(out_of_fds(&emfile), cfg!(unix));
        let refused = Wrapper(std::io::ErrorKind::ConnectionRefused.into());
        assert!(!out_of_fds(&refused));
    }

    #[test]
    fn forwarding_headers_are_ours_only() {
        let mut h = HeaderMap::new();
        for name in [
            "forwarded",
            "x-forwarded-for",
            "x-forwarded-host",
            "x-forwarded-proto",
            "x-forwarded-port",
            "x-forwarded-prefix",
            "x-real-ip",
            "x-forwarded-anything",
        ] {
            h.insert(name, HeaderValue::from_static("10.9.9.9"));
        }
        h.insert("authorization", HeaderValue::from_static("Basic eA=="));
        let peer: SocketAddr = "127.0.0.1:5555".parse().unwrap();
        let out = upstream_headers(&h, Some(peer), "https");
        assert_eq!(out["x-forwarded-for"], "127.0.0.1");
        assert_eq!(out["x-real-ip"], "127.0.0.1");
        assert_eq!(out["x-forwarded-proto"], "https");
        assert_eq!(out["forwarded"], "for=127.0.0.1;proto=https");
        for name in [
            "x-forwarded-host",
            "x-forwarded-port",
            "x-forwarded-prefix",
            "x-forwarded-anything",
        ] {
            assert!(out.get(name).is_none(), "{name}");
        }
        assert_eq!(out["authorization"], "Basic eA==");
        let v6: SocketAddr = "[::1]:5555".parse().unwrap();
        let out = upstream_headers(&h, Some(v6), "http");
        assert_eq!(out["forwarded"], "for=\"[::1]\";proto=http");
    }
}
