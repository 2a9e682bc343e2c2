//! One access-log line per request, written to a pluggable sink.
//!
//! The line is built from a fixed set of fields (method, path, status, time, request id,
//! and the *scheme* of the credentials), so no header value, and never `Authorization` or
//! a cookie, can reach the log. Tests use [`AccessLog::memory`] to check exactly that.
//!
//! The line is written when the response body has been sent, not when its head is ready,
//! so a body that fails half-way (a Harbor response cut or past its deadline) is logged
//! as `502` with `error="…"`, and one the client abandoned as `499`, never as the `200`
//! its head carried. The request id is reduced to at most [`MAX_RID_LEN`] characters from
//! a small set, so it cannot forge fields or lines.

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use hyper::body::Body as _;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Longest request id written to the log; longer ones are cut and marked with `~`.
pub const MAX_RID_LEN: usize = 64;

type Sink = dyn Fn(&str) + Send + Sync;

/// Where log lines go. Cheap to clone.
#[derive(Clone)]
pub struct AccessLog {
    sink: Option<Arc<Sink>>,
}

impl std::fmt::Debug for AccessLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.sink.is_some() {
            "AccessLog(on)"
        } else {
            "AccessLog(off)"
        })
    }
}

/// Lines captured by [`AccessLog::memory`].
#[derive(Debug, Clone, Default)]
pub struct LogBuffer(Arc<Mutex<Vec<String>>>);

impl LogBuffer {
    /// Every line written so far.
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl AccessLog {
    /// Lines go to stderr.
    pub fn stderr() -> Self {
        AccessLog {
            sink: Some(Arc::new(|line: &str| eprintln!("{line}"))),
        }
    }

    /// No logging.
    pub fn off() -> Self {
        AccessLog { sink: None }
    }

    /// Lines are kept in memory, for tests.
    pub fn memory() -> (Self, LogBuffer) {
        let buffer = LogBuffer::default();
        let store = buffer.0.clone();
        let sink = move |line: &str| {
            if let Ok(mut lines) = store.lock() {
                lines.push(line.to_owned());
            }
        };
        (
            AccessLog {
                sink: Some(Arc::new(sink)),
            },
            buffer,
        )
    }

    /// Writes one line (used by the proxy for upstream errors too).
    pub fn write(&self, line: &str) {
        if let Some(sink) = &self.sink {
            sink(line);
        }
    }

    /// Whether lines go anywhere.
    pub fn enabled(&self) -> bool {
        self.sink.is_some()
    }
}

/// The credential scheme only (`basic`, `bearer`, …, or `none`), never the credential.
pub fn auth_scheme(value: Option<&axum::http::HeaderValue>) -> String {
    let Some(value) = value else {
        return "none".to_owned();
    };
    let scheme = value.to_str().unwrap_or("").split(' ').next().unwrap_or("");
    // A fixed list: a bare token without a scheme must not be mistaken for one and logged.
    let scheme = scheme.to_ascii_lowercase();
    match scheme.as_str() {
        "basic" | "bearer" | "digest" | "negotiate" => scheme,
        _ => "other".to_owned(),
    }
}

/// Replaces control characters so a crafted path cannot forge extra log lines.
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// A request id as it may appear in the log: letters, digits and `-_.:`, at most
/// [`MAX_RID_LEN`] of them (a longer one is cut and ends in `~`); anything else becomes
/// `_`, so an id can neither add fields nor start a new line. Empty ids are `-`.
pub fn sanitize_request_id(raw: &[u8]) -> String {
    if raw.is_empty() {
        return "-".to_owned();
    }
    let mut out: String = raw
        .iter()
        .take(MAX_RID_LEN)
        .map(|&b| {
            if b.is_ascii_alphanumeric() || b"-_.:".contains(&b) {
                b as char
            } else {
                '_'
            }
        })
        .collect();
    if raw.len() > MAX_RID_LEN {
        out.pop();
        out.push('~');
    }
    out
}

/// The fields of one line, known once the response head exists; written when its body
/// ends (or fails, or is dropped).
struct Pending {
    log: AccessLog,
    method: Method,
    path: String,
    status: u16,
    auth: String,
    rid: String,
    started: Instant,
    written: bool,
    /// The body's declared `Content-Length`: HTTP/1 stops polling a body once that much
    /// is sent, so reaching it is the end.
    expected: Option<u64>,
    sent: u64,
}

impl Pending {
    fn write(&mut self, status: u16, error: Option<&str>) {
        if std::mem::replace(&mut self.written, true) {
            return;
        }
        let error = error.map_or_else(String::new, |e| format!(" error=\"{}\"", printable(e)));
        self.log.write(&format!(
            "{} {} {status} {}ms auth={} rid={}{error}",
            self.method,
            self.path,
            self.started.elapsed().as_millis(),
            self.auth,
            self.rid
        ));
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if self.written {
            return;
        }
        // Dropped before its end: the client went away (a HEAD body is never sent).
        if self.method == Method::HEAD {
            self.write(self.status, None);
        } else {
            self.write(
                499,
                Some(&format!(
                    "client closed before the end ({} sent)",
                    self.status
                )),
            );
        }
    }
}

/// Writes the line when the body ends, fails, reaches its declared length, or is
/// dropped.
impl crate::body::Observer for Pending {
    fn data(&mut self, len: usize, at_end: bool) {
        self.sent += len as u64;
        if at_end || self.expected == Some(self.sent) {
            self.write(self.status, None);
        }
    }

    fn end(&mut self) {
        self.write(self.status, None);
    }

    fn error(&mut self, error: &axum::Error) {
        let why = format!("{error} ({} sent)", self.status);
        self.write(502, Some(&why));
    }
}

/// Middleware: logs `METHOD path status duration auth=<scheme> rid=<x-request-id>`, plus
/// `error="…"` when the body failed.
pub async fn log_requests(State(log): State<AccessLog>, req: Request, next: Next) -> Response {
    if !log.enabled() {
        return next.run(req).await;
    }
    let started = Instant::now();
    let method = req.method().clone();
    let path = printable(req.uri().path_and_query().map_or("/", |p| p.as_str()));
    let auth = auth_scheme(req.headers().get(AUTHORIZATION));
    let response = next.run(req).await;
    let rid = response
        .headers()
        .get("x-request-id")
        .map_or_else(|| "-".to_owned(), |v| sanitize_request_id(v.as_bytes()));
    let expected = response
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let mut pending = Pending {
        log,
        method,
        path,
        status: response.status().as_u16(),
        auth,
        rid,
        started,
        written: false,
        expected,
        sent: 0,
    };
    if response.body().is_end_stream() {
        pending.write(pending.status, None);
        return response;
    }
    response.map(|body| crate::body::observe(body, pending))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn only_the_scheme_is_kept() {
        let basic = HeaderValue::from_static("Basic YWRtaW46SGFyYm9yMTIzNDU=");
        assert_eq!(auth_scheme(Some(&basic)), "basic");
        assert_eq!(
            auth_scheme(Some(&HeaderValue::from_static("Bearer x.y.z"))),
            "bearer"
        );
        assert_eq!(
            auth_scheme(Some(&HeaderValue::from_static("YWRtaW4="))),
            "other"
        );
        assert_eq!(
            auth_scheme(Some(&HeaderValue::from_static("SecretToken"))),
            "other"
        );
        assert_eq!(auth_scheme(None), "none");
    }

    #[test]
    fn control_characters_cannot_split_lines() {
        assert_eq!(printable("/a\nGET /forged"), "/a?GET /forged");
    }

    #[test]
    fn request_ids_are_short_and_plain() {
        assert_eq!(sanitize_request_id(b"rid-123_a.b:c"), "rid-123_a.b:c");
        assert_eq!(sanitize_request_id(b"x auth=basic"), "x_auth_basic");
        assert_eq!(sanitize_request_id(b"a\nGET / 200"), "a_GET___200");
        assert_eq!(sanitize_request_id(b""), "-");
        let long = sanitize_request_id(&[b'a'; 500]);
        assert_eq!(long.len(), MAX_RID_LEN);
        assert!(long.ends_with('~'));
        assert_eq!(sanitize_request_id("é".as_bytes()), "__");
    }
}
