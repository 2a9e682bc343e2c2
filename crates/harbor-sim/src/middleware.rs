//! The layer in front of every request: request ids, counters, latency, faults, CORS.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::capacity::{items_listed, wants_scan_overview, Saturated, SATURATED_HTML};
use crate::faults::{FaultAction, FaultKind, BAD_GATEWAY_HTML};
use crate::rng::{hash_str, mix, unit};
use crate::routes::ApiError;
use crate::stats::{route_key, InFlight, InService, InjectedFault};
use crate::Sim;

/// Wraps every request (API and `/_sim`).
pub async fn harbor_layer(State(sim): State<Arc<Sim>>, req: Request, next: Next) -> Response {
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| sim.next_request_id());
    let cors = sim.config().cors;
    let mut resp = if cors && req.method() == Method::OPTIONS {
        StatusCode::NO_CONTENT.into_response()
    } else if req.uri().path().starts_with("/_sim/") {
        next.run(req).await
    } else {
        api_flow(&sim, req, next, &request_id).await
    };
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        h.insert("x-request-id", v);
    }
    if cors {
        h.insert("access-control-allow-origin", HeaderValue::from_static("*"));
        h.insert(
            "access-control-allow-headers",
            HeaderValue::from_static(
                "authorization, x-request-id, x-accept-vulnerabilities, x-is-resource-name",
            ),
        );
        h.insert(
            "access-control-allow-methods",
            HeaderValue::from_static("GET, OPTIONS"),
        );
        h.insert(
            "access-control-expose-headers",
            HeaderValue::from_static("x-total-count, link, x-request-id, retry-after"),
        );
    }
    resp
}

/// Deterministic latency: base + jitter * hash(seed, method, URL, attempt).
fn latency(sim: &Sim, method: &str, pq: &str, attempt: u32) -> Duration {
    let cfg = sim.config();
    if cfg.jitter.is_zero() {
        return cfg.latency;
    }
    let h = mix(
        hash_str(cfg.seed ^ 0x1A7, &format!("{method} {pq}")),
        u64::from(attempt),
    );
    cfg.latency + cfg.jitter.mul_f64(unit(h))
}

async fn api_flow(sim: &Sim, req: Request, next: Next, request_id: &str) -> Response {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let pq = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or(path.clone());
    let collector = sim.collector();
    let attempt = collector.begin(route_key(&method, &path), &method, &pq);
    let _in_flight = InFlight(collector);
    let latency = latency(sim, &method, &pq, attempt);
    if sim.config().capacity.is_active() {
        return through_capacity(
            sim,
            latency,
            &pq,
            serve(sim, req, next, request_id, attempt),
        )
        .await;
    }
    // The latency is the time from arrival to the answer, the server's own work
    // included, as a client measures a real Harbor: the handler runs meanwhile, and
    // only a handler slower than the latency makes the answer later.
    let deadline = tokio::time::Instant::now() + latency;
    let resp = serve(sim, req, next, request_id, attempt).await;
    tokio::time::sleep_until(deadline).await;
    resp
}

/// The capacity model ([`crate::capacity`]): half the latency in, the line for a worker,
/// the service time on a worker, half the latency out.
async fn through_capacity(
    sim: &Sim,
    latency: Duration,
    pq: &str,
    serve: impl std::future::Future<Output = Response>,
) -> Response {
    let inbound = latency / 2;
    tokio::time::sleep(inbound).await;
    let collector = sim.collector();
    let arrival = tokio::time::Instant::now();
    let permit = match sim.gate().enter(|queued| collector.queued(queued)).await {
        Ok(permit) => permit,
        Err(Saturated) => {
            collector.rejected();
            tokio::time::sleep(latency - inbound).await;
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CONTENT_TYPE, "text/html")],
                SATURATED_HTML,
            )
                .into_response();
        }
    };
    let service = InService::begin(collector, arrival.elapsed());
    let resp = serve.await;
    let total = resp
        .headers()
        .get("x-total-count")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let cost = sim
        .config()
        .capacity
        .service
        .of(items_listed(pq, total), wants_scan_overview(pq));
    tokio::time::sleep_until(service.start() + cost).await;
    drop(service);
    drop(permit);
    tokio::time::sleep(latency - inbound).await;
    resp
}

/// The handler, or the fault the plan decides for this attempt.
async fn serve(sim: &Sim, req: Request, next: Next, request_id: &str, attempt: u32) -> Response {
    let method = req.method().as_str().to_string();
    let pq = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_string(), |p| p.as_str().to_string());
    let Some(action) = sim
        .faults()
        .decide(sim.config().seed, &method, &pq, attempt)
    else {
        return next.run(req).await;
    };
    // Recorded before the fault plays out, so a client that gives up on a slow answer
    // still finds it in the log; the status is corrected once the response exists.
    let collector = sim.collector();
    let slot = collector.fault(InjectedFault {
        method,
        path_and_query: pq,
        status: action.kind.status(200),
        request_id: request_id.to_string(),
        kind: action.kind,
        attempt,
    });
    let resp = inject(action, req, next).await;
    collector.set_fault_status(slot, resp.status().as_u16());
    resp
}

async fn inject(action: FaultAction, req: Request, next: Next) -> Response {
    match action.kind {
        FaultKind::Http500 => ApiError::internal().into_response(),
        FaultKind::Http503 => {
            let mut r = ApiError::internal().into_response();
            *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            r
        }
        FaultKind::Http502 => (
            StatusCode::BAD_GATEWAY,
            [(header::CONTENT_TYPE, "text/html")],
            BAD_GATEWAY_HTML,
        )
            .into_response(),
        FaultKind::Http429 => {
            let mut r = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "TOO_MANY_REQUEST",
                "too many requests",
            )
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&action.retry_after_secs.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            r
        }
        FaultKind::Slow => {
            tokio::time::sleep(Duration::from_millis(action.delay_ms)).await;
            next.run(req).await
        }
        kind => {
            let resp = next.run(req).await;
            let (mut parts, body) = resp.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            parts.headers.remove(header::CONTENT_LENGTH);
            let body = match kind {
                FaultKind::TruncatedJson => Body::from(bytes.slice(..bytes.len() / 2)),
                FaultKind::MalformedJson => {
                    let mut v = bytes.to_vec();
                    v.insert(v.len().min(1), b',');
                    Body::from(v)
                }
                FaultKind::EmptyBody => Body::empty(),
                FaultKind::WrongContentType => {
                    parts.headers.insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("text/html; charset=utf-8"),
                    );
                    Body::from(bytes)
                }
                FaultKind::LyingTotalCount => {
                    let total = parts
                        .headers
                        .get("x-total-count")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<i64>().ok());
                    if let Some(t) = total {
                        if let Ok(v) = HeaderValue::from_str(&(t + action.total_delta).to_string())
                        {
                            parts.headers.insert("x-total-count", v);
                        }
                    }
                    Body::from(bytes)
                }
                _ => {
                    // DropConnection: promise the full length, send half, then fail the body
                    // so the server aborts the connection mid-body.
                    if let Ok(v) = HeaderValue::from_str(&bytes.len().to_string()) {
                        parts.headers.insert(header::CONTENT_LENGTH, v);
                    }
                    let half: Bytes = bytes.slice(..bytes.len() / 2);
                    // The pause lets the status line, headers and half the body reach the
                    // client before the failure aborts the connection.
                    let first =
                        futures::stream::once(async move { Ok::<Bytes, std::io::Error>(half) });
                    let fail = futures::stream::once(async {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Err(std::io::Error::new(
                            std::io::ErrorKind::ConnectionReset,
                            "dropped",
                        ))
                    });
                    let stream = futures::StreamExt::chain(first, fail);
                    Body::from_stream(stream)
                }
            };
            Response::from_parts(parts, body)
        }
    }
}
