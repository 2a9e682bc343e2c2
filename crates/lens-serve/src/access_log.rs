//! One access-log line per request, written to a pluggable sink.
//!
//! The line is built from a fixed set of fields (method, path, status, time, request id,
//! and the *scheme* of the credentials), so no header value, and never `Authorization` or
//! a cookie, can reach the log. Tests use [`AccessLog::memory`] to check exactly that.

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;
use std::sync::{Arc, Mutex};
use std::time::Instant;

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

/// Middleware: logs `METHOD path status duration auth=<scheme> rid=<x-request-id>`.
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
        .and_then(|v| v.to_str().ok())
        .map_or_else(|| "-".to_owned(), printable);
    log.write(&format!(
        "{method} {path} {} {}ms auth={auth} rid={rid}",
        response.status().as_u16(),
        started.elapsed().as_millis()
    ));
    response
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
}
