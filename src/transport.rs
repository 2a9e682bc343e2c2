//! The browser side of `harbor-client`'s network edge: [`Transport`] over `fetch`
//! (gloo-net) with one `AbortController` per request, and [`Clock`] over
//! `performance.now()` and `setTimeout`, in the page or in the crawl worker.
//!
//! The crawl engine stays plain Rust; only this file knows it runs in a browser.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use futures::future::{select, Either, LocalBoxFuture};
use futures::FutureExt;
use harbor_client::transport::{
    Clock, NetworkErrorKind, Protocol, Request, Response, Transport, TransportError,
};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortController;

/// Sends the engine's GET requests with `fetch`.
///
/// `base` is prepended to the `/api/v2.0/...` paths: empty for the page's own origin
/// (the default, riding Harbor's session cookie), or `https://harbor.example.com`
/// for a Harbor elsewhere (which then needs CORS or a proxy).
///
/// Each response says which HTTP version it came over (the crawl's limiter adapts only
/// over HTTP/2), when the request went out and when the answer's last byte arrived.
/// `fetch` tells none of these; resource timing does (`PerformanceResourceTiming`):
/// `nextHopProtocol`, and since every request goes to one origin the first answer that
/// names it is enough; `startTime` and `responseEnd`, on the same clock as
/// [`BrowserClock`], so that the limiter counts neither the time a request waited to be
/// sent nor the time its answer waited while the crawl decoded another.
#[derive(Debug, Clone, Default)]
pub struct BrowserTransport {
    base: String,
    protocol: Rc<Cell<Protocol>>,
}

impl BrowserTransport {
    /// A transport for the Harbor at `base` (empty: same origin). A trailing `/` is dropped.
    pub fn new(base: &str) -> Self {
        if let Some(performance) = performance() {
            keep_timing(&performance);
        }
        BrowserTransport {
            base: base.trim().trim_end_matches('/').to_owned(),
            protocol: Rc::default(),
        }
    }

    /// Fills in what resource timing says of the response from `url` (absolute): its
    /// protocol (learnt once) and when it arrived.
    fn time(&self, response: &mut Response, url: &str) {
        let timing = resource_timing(url);
        if self.protocol.get() == Protocol::Unknown {
            let protocol = timing.as_ref().map_or(Protocol::Unknown, |t| {
                Protocol::from_alpn(&t.next_hop_protocol())
            });
            self.protocol.set(protocol);
        }
        response.protocol = self.protocol.get();
        let at = |ms: f64| (ms > 0.0).then(|| Duration::from_secs_f64(ms / 1000.0));
        response.sent = timing.as_ref().and_then(|t| at(t.start_time()));
        response.arrived = timing.and_then(|t| at(t.response_end()));
    }
}

/// Entries resource timing keeps before it is emptied (the default, 250, then drops
/// every new entry).
const TIMING_ENTRIES: u32 = 1_000;

/// Once per page or worker: room for [`TIMING_ENTRIES`], emptied whenever full, so that
/// a crawl of thousands of requests keeps getting entries. An answer whose entry went in
/// the emptying is timed when the crawl reads it, as without resource timing.
fn keep_timing(performance: &web_sys::Performance) {
    thread_local! {
        static KEPT: Cell<bool> = const { Cell::new(false) };
    }
    if KEPT.with(|kept| kept.replace(true)) {
        return;
    }
    performance.set_resource_timing_buffer_size(TIMING_ENTRIES);
    let emptied = performance.clone();
    let on_full = Closure::<dyn Fn()>::new(move || emptied.clear_resource_timings());
    performance.set_onresourcetimingbufferfull(Some(on_full.as_ref().unchecked_ref()));
    // The handler lives as long as the page or the worker does.
    on_full.forget();
}

/// The last resource timing entry of `url` (absolute), if any: none when the buffer
/// was just emptied, or for another origin without `Timing-Allow-Origin`.
fn resource_timing(url: &str) -> Option<web_sys::PerformanceResourceTiming> {
    performance()?
        .get_entries_by_name(url)
        .iter()
        .last()
        .and_then(|e| e.dyn_into::<web_sys::PerformanceResourceTiming>().ok())
}

/// Aborts the request when the future that owns it is dropped (timeout, cancel,
/// a crawl that moved on), so the browser does not keep reading a body nobody wants.
struct AbortOnDrop(Option<AbortController>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(controller) = self.0.take() {
            controller.abort();
        }
    }
}

impl Transport for BrowserTransport {
    fn get(&self, req: Request) -> LocalBoxFuture<'_, Result<Response, TransportError>> {
        let url = format!("{}{}", self.base, req.path.as_str());
        async move {
            let controller = AbortController::new().ok();
            let mut guard = AbortOnDrop(controller);
            let signal = guard.0.as_ref().map(|c| c.signal());
            let mut builder = gloo_net::http::Request::get(&url).abort_signal(signal.as_ref());
            for (name, value) in &req.headers {
                builder = builder.header(name, value);
            }
            let fetch = fetch_all(builder).boxed_local();
            let cancel = req.cancel.cancelled().boxed_local();
            match select(fetch, cancel).await {
                Either::Left((result, _)) => {
                    // Completed: nothing to abort any more.
                    guard.0 = None;
                    result.map(|(mut response, at)| {
                        self.time(&mut response, &at);
                        response
                    })
                }
                Either::Right(_) => {
                    Err(TransportError::new(NetworkErrorKind::Aborted, "cancelled"))
                }
            }
        }
        .boxed_local()
    }
}

/// Sends the request and reads the whole body; also returns the absolute URL answered.
async fn fetch_all(
    builder: gloo_net::http::RequestBuilder,
) -> Result<(Response, String), TransportError> {
    let resp = builder.send().await.map_err(|e| {
        // `fetch` rejects with a bare TypeError for refused connections, DNS, CORS and
        // offline alike: the browser hides which one it was.
        TransportError::new(NetworkErrorKind::Other, e.to_string())
    })?;
    let status = resp.status();
    let headers = resp.headers().entries().collect();
    let url = resp.url();
    let body = resp
        .binary()
        .await
        .map_err(|e| TransportError::new(NetworkErrorKind::Interrupted, e.to_string()))?;
    let response = Response {
        status,
        headers,
        body,
        protocol: Protocol::Unknown,
        arrived: None,
        sent: None,
    };
    Ok((response, url))
}

/// Time in the browser: `performance.now()` and `setTimeout`.
#[derive(Debug, Clone, Copy, Default)]
pub struct BrowserClock;

impl Clock for BrowserClock {
    fn now(&self) -> Duration {
        let ms = performance().map(|p| p.now()).unwrap_or(0.0);
        Duration::from_secs_f64((ms / 1000.0).max(0.0))
    }

    fn sleep(&self, duration: Duration) -> LocalBoxFuture<'static, ()> {
        sleep(duration).boxed_local()
    }
}

/// Completes after `duration` (a `setTimeout` wrapped in a promise).
pub async fn sleep(duration: Duration) {
    let ms = i32::try_from(duration.as_millis()).unwrap_or(i32::MAX);
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let set = match web_sys::window() {
            Some(window) => {
                window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            }
            None => js_sys::global()
                .unchecked_into::<web_sys::WorkerGlobalScope>()
                .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms),
        };
        if set.is_err() {
            let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
        }
    });
    // The promise only resolves, so an error here cannot happen; either way we are done.
    let _ = JsFuture::from(promise).await;
}

/// The page's or the worker's `performance`: the same code runs in both
/// ([`crate::worker`]).
fn performance() -> Option<web_sys::Performance> {
    match web_sys::window() {
        Some(window) => window.performance(),
        None => js_sys::global()
            .dyn_into::<web_sys::WorkerGlobalScope>()
            .ok()?
            .performance(),
    }
}
