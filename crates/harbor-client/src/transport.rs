//! The edge between the crawl engine and the network: one small trait for HTTP GET,
//! one for time, and a cancellation token.
//!
//! Futures are `?Send` ([`LocalBoxFuture`]) because the browser is single-threaded; the
//! host drives the engine on one thread too (a tokio `LocalSet` or
//! `futures::executor::block_on`). The browser app implements [`Transport`] over
//! gloo-net with an `AbortController` per request; [`crate::native`] implements it over
//! reqwest.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures::future::LocalBoxFuture;

use crate::url::ApiPath;

/// One GET request.
#[derive(Debug, Clone)]
pub struct Request {
    /// Path and query under `/api/v2.0/`, relative to the configured Harbor base.
    pub path: ApiPath,
    /// Extra headers: `Authorization`, `X-Request-Id`, `X-Accept-Vulnerabilities`, ...
    pub headers: Vec<(&'static str, String)>,
    /// Give up after this long; the engine also enforces it with [`Clock::sleep`].
    pub timeout: Duration,
    /// Fires when the crawl is cancelled. A transport should abort the request then
    /// (`AbortController.abort()`); dropping the future must abort it too.
    pub cancel: CancelToken,
}

impl Request {
    /// The value of a request header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// The value of the first header called `name` (in any case) in a list of headers.
fn find_header<'a, K: AsRef<str>>(headers: &'a [(K, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The HTTP version a response came over: the crawl adapts its concurrency only over
/// HTTP/2, where the browser does not cap connections per host.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Protocol {
    /// HTTP/1.0 or HTTP/1.1 (`http/1.1` in `nextHopProtocol`).
    Http1,
    /// HTTP/2 or HTTP/3 (`h2`, `h3`): many requests share one connection.
    Http2,
    /// Not reported (a browser hides it for cross-origin answers without
    /// `Timing-Allow-Origin`).
    #[default]
    Unknown,
}

impl Protocol {
    /// From an ALPN id as `PerformanceResourceTiming.nextHopProtocol` reports it.
    pub fn from_alpn(id: &str) -> Protocol {
        match id.trim().to_ascii_lowercase().as_str() {
            "http/1.0" | "http/1.1" => Protocol::Http1,
            id if id == "h2" || id == "h2c" || id.starts_with("h3") => Protocol::Http2,
            _ => Protocol::Unknown,
        }
    }
}

/// The response to a [`Request`], whatever its status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Response headers (names in any case). A browser transport must at least copy
    /// `X-Total-Count`, `Link`, `X-Request-Id`, `Content-Type` and `Retry-After`.
    pub headers: Vec<(String, String)>,
    /// The whole body.
    pub body: Vec<u8>,
    /// The HTTP version it came over.
    pub protocol: Protocol,
    /// When its last byte arrived, on the crawl's [`Clock`], where the transport knows
    /// (a browser's resource timing). The engine is single-threaded: an answer that
    /// arrives while it decodes another waits for its turn, and that wait is ours, not
    /// the server's. The limiter takes this time for the answer's latency; without it,
    /// the moment the engine got round to the answer.
    pub arrived: Option<Duration>,
    /// When the request went out, on the same clock, where the transport knows (a
    /// browser's resource timing). The engine is busy now and then between choosing a
    /// request and the browser sending it, and that wait is ours too.
    pub sent: Option<Duration>,
}

impl Response {
    /// The value of a header (case-insensitive name), trimmed.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name).map(str::trim)
    }

    /// `X-Total-Count`, if present and a number.
    pub fn total_count(&self) -> Option<u64> {
        self.header("x-total-count")?.parse().ok()
    }

    /// `X-Request-Id` as the server echoed or generated it.
    pub fn request_id(&self) -> Option<&str> {
        self.header("x-request-id")
    }

    /// `Retry-After` in seconds, at most an hour: digits, with a fraction taken too
    /// (`1.5`). The HTTP-date form is not used by Harbor and ignored.
    pub fn retry_after(&self) -> Option<Duration> {
        // Read by hand rather than as an `f64`: the float parser would be the only one
        // in the wasm, and costs it some 5 KB.
        const MAX: Duration = Duration::from_secs(3600);
        let text = self.header("retry-after")?;
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if whole.len() + fraction.len() == 0 || !digits(whole) || !digits(fraction) {
            return None;
        }
        // Only digits: parsing fails on overflow alone, which is over the cap anyway.
        let secs = match whole {
            "" => 0,
            _ => whole.parse::<u64>().unwrap_or(u64::MAX),
        };
        if secs >= MAX.as_secs() {
            return Some(MAX);
        }
        let nanos = fraction
            .bytes()
            .chain(std::iter::repeat(b'0'))
            .take(9)
            .fold(0, |n, b| n * 10 + u32::from(b - b'0'));
        Some(Duration::new(secs, nanos))
    }

    /// `Content-Type`, if any.
    pub fn content_type(&self) -> Option<&str> {
        self.header("content-type")
    }
}

/// What kind of network failure happened, without a status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NetworkErrorKind {
    /// Could not connect (refused, DNS, TLS).
    Connect,
    /// No complete response within the timeout.
    Timeout,
    /// The connection was open but broke before the response was complete (reset,
    /// closed mid-headers or mid-body).
    Interrupted,
    /// The request was aborted (cancelled crawl).
    Aborted,
    /// Anything else the HTTP stack reported (in a browser: CORS, offline, ...).
    Other,
}

impl std::fmt::Display for NetworkErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NetworkErrorKind::Connect => "connection failed",
            NetworkErrorKind::Timeout => "timed out",
            NetworkErrorKind::Interrupted => "connection broke off",
            NetworkErrorKind::Aborted => "aborted",
            NetworkErrorKind::Other => "network error",
        })
    }
}

/// A request that got no HTTP response (or no complete one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct TransportError {
    /// The kind, which decides whether the request is retried.
    pub kind: NetworkErrorKind,
    /// The HTTP stack's own words.
    pub message: String,
}

impl TransportError {
    /// Shorthand constructor.
    pub fn new(kind: NetworkErrorKind, message: impl Into<String>) -> Self {
        TransportError {
            kind,
            message: message.into(),
        }
    }

    /// No answer within `timeout`.
    pub fn timed_out(timeout: Duration) -> Self {
        // The milliseconds as a `u64`: `as_millis` gives a `u128`, whose formatting
        // would be in the wasm for this message alone.
        let ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        TransportError::new(
            NetworkErrorKind::Timeout,
            format!("no response within {ms} ms"),
        )
    }
}

/// Sends GET requests to one Harbor.
pub trait Transport {
    /// Sends `req` and reads the whole body. Non-2xx statuses are `Ok` responses.
    fn get(&self, req: Request) -> LocalBoxFuture<'_, Result<Response, TransportError>>;
}

impl<T: Transport + ?Sized> Transport for Rc<T> {
    fn get(&self, req: Request) -> LocalBoxFuture<'_, Result<Response, TransportError>> {
        (**self).get(req)
    }
}

impl<T: Transport + ?Sized> Transport for &T {
    fn get(&self, req: Request) -> LocalBoxFuture<'_, Result<Response, TransportError>> {
        (**self).get(req)
    }
}

/// Time, for backoff, timeouts and elapsed times (`std::time::Instant` panics on
/// wasm32-unknown-unknown, so the browser passes `performance.now()` in).
pub trait Clock {
    /// A monotonic time since any fixed origin.
    fn now(&self) -> Duration;
    /// Completes after `duration`.
    fn sleep(&self, duration: Duration) -> LocalBoxFuture<'static, ()>;
}

impl<C: Clock + ?Sized> Clock for Rc<C> {
    fn now(&self) -> Duration {
        (**self).now()
    }
    fn sleep(&self, duration: Duration) -> LocalBoxFuture<'static, ()> {
        (**self).sleep(duration)
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> Duration {
        (**self).now()
    }
    fn sleep(&self, duration: Duration) -> LocalBoxFuture<'static, ()> {
        (**self).sleep(duration)
    }
}

/// Cancels a crawl: clone it freely; every clone sees [`CancelToken::cancel`].
#[derive(Debug, Clone, Default)]
pub struct CancelToken {
    inner: Arc<CancelInner>,
}

#[derive(Debug, Default)]
struct CancelInner {
    cancelled: AtomicBool,
    wakers: Mutex<Vec<Waker>>,
}

impl CancelToken {
    /// A token that is not cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels: every waiter wakes, and the crawl delivers nothing more.
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::SeqCst);
        let wakers = match self.inner.wakers.lock() {
            Ok(mut guard) => std::mem::take(&mut *guard),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        };
        for waker in wakers {
            waker.wake();
        }
    }

    /// Whether [`CancelToken::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::SeqCst)
    }

    /// Completes when the token is cancelled.
    pub fn cancelled(&self) -> Cancelled {
        Cancelled {
            token: self.clone(),
        }
    }
}

/// The future of [`CancelToken::cancelled`].
#[derive(Debug)]
pub struct Cancelled {
    token: CancelToken,
}

impl Future for Cancelled {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.token.is_cancelled() {
            return Poll::Ready(());
        }
        let mut wakers = match self.token.inner.wakers.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
            wakers.push(cx.waker().clone());
        }
        drop(wakers);
        // Checked again: a cancel between the first check and the push is not lost.
        if self.token.is_cancelled() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_headers() {
        let response = Response {
            status: 200,
            headers: vec![
                ("X-Total-Count".into(), " 42 ".into()),
                ("x-request-id".into(), "abc".into()),
                ("Retry-After".into(), "2".into()),
                ("Content-Type".into(), "application/json".into()),
            ],
            body: Vec::new(),
            protocol: Protocol::Http1,
            arrived: None,
            sent: None,
        };
        assert_eq!(response.total_count(), Some(42));
        assert_eq!(response.request_id(), Some("abc"));
        assert_eq!(response.retry_after(), Some(Duration::from_secs(2)));
        assert_eq!(response.content_type(), Some("application/json"));
        let odd = Response {
            headers: vec![("retry-after".into(), "Wed, 21 Oct 2015 07:28:00 GMT".into())],
            ..Response::default()
        };
        assert_eq!(odd.retry_after(), None);
        assert_eq!(odd.total_count(), None);
    }

    #[test]
    fn a_timeout_says_how_long_was_waited() {
        let e = TransportError::timed_out(Duration::from_secs(30));
        assert_eq!(e.kind, NetworkErrorKind::Timeout);
        assert_eq!(e.message, "no response within 30000 ms");
    }

    #[test]
    fn retry_after_in_seconds() {
        let after = |value: &str| {
            Response {
                headers: vec![("Retry-After".into(), value.into())],
                ..Response::default()
            }
            .retry_after()
        };
        assert_eq!(after("0"), Some(Duration::ZERO));
        assert_eq!(after(" 30 "), Some(Duration::from_secs(30)));
        assert_eq!(after("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(after(".25"), Some(Duration::from_millis(250)));
        assert_eq!(after("2."), Some(Duration::from_secs(2)));
        assert_eq!(after("0.0000000019"), Some(Duration::from_nanos(1)));
        // An hour at most.
        for long in ["7200", "3600.5", "99999999999999999999999"] {
            assert_eq!(after(long), Some(Duration::from_secs(3600)), "{long}");
        }
        for bad in ["", ".", "-1", "1e3", "1.2.3", "soon", "NaN", "inf"] {
            assert_eq!(after(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn protocols_from_alpn_ids() {
        assert_eq!(Protocol::from_alpn("h2"), Protocol::Http2);
        assert_eq!(Protocol::from_alpn("h3"), Protocol::Http2);
        assert_eq!(Protocol::from_alpn("HTTP/1.1"), Protocol::Http1);
        assert_eq!(Protocol::from_alpn(""), Protocol::Unknown);
        assert_eq!(Protocol::from_alpn("spdy/3"), Protocol::Unknown);
    }

    #[test]
    fn cancel_wakes_waiters() {
        let token = CancelToken::new();
        let clone = token.clone();
        assert!(!clone.is_cancelled());
        let mut waiter = Box::pin(clone.cancelled());
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        assert!(waiter.as_mut().poll(&mut cx).is_pending());
        token.cancel();
        assert!(clone.is_cancelled());
        assert!(waiter.as_mut().poll(&mut cx).is_ready());
    }
}
