//! The capacity model over real sockets: workers, the line in front of them, service
//! times and the saturated front proxy's 503.

mod common;

use std::time::{Duration, Instant};

use common::{tiny, Harness, ADMIN};
use harbor_sim::{Capacity, ServiceTime, SimConfig, Stats};

fn with_capacity(capacity: Capacity) -> SimConfig {
    SimConfig { capacity, ..tiny() }
}

fn flat(base_ms: u64) -> ServiceTime {
    ServiceTime {
        base: Duration::from_millis(base_ms),
        ..ServiceTime::ZERO
    }
}

async fn stats(h: &Harness) -> Stats {
    serde_json::from_str(&h.get("/_sim/stats").await.body).expect("stats JSON")
}

/// Sends `n` GETs of `path` at once; their statuses, in order.
async fn burst(h: &Harness, path: &str, n: usize) -> Vec<u16> {
    let requests = (0..n).map(|_| async { h.get(path).await.status });
    futures::future::join_all(requests).await
}

#[tokio::test]
async fn four_workers_serve_twenty_requests_four_at_a_time() {
    let h = Harness::start(with_capacity(Capacity {
        workers: Some(4),
        queue_limit: None,
        service: flat(40),
    }))
    .await;
    let start = Instant::now();
    let statuses = burst(&h, "/projects", 20).await;
    let elapsed = start.elapsed();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let s = stats(&h).await;
    let c = &s.capacity;
    assert_eq!(c.max_in_service, 4, "{c:?}");
    assert!(c.queue_waits > 0, "{c:?}");
    assert!(c.max_queued > 0, "{c:?}");
    assert_eq!(c.served, 20, "{c:?}");
    assert_eq!(c.in_service, 0, "{c:?}");
    // Five rounds of 40 ms: a server serving all twenty at once would take one.
    assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");
    assert!(c.service_ms_total >= 20 * 40, "{c:?}");
    assert!(c.queue_wait_ms_max >= 100, "{c:?}");
    // The client had more on the wire than the server served at once.
    assert!(s.max_in_flight > 4, "{s:?}");
}

#[tokio::test]
async fn a_full_line_is_answered_503_as_a_front_proxy_would() {
    let h = Harness::start(with_capacity(Capacity {
        workers: Some(1),
        queue_limit: Some(2),
        service: flat(150),
    }))
    .await;
    let statuses = burst(&h, "/projects", 8).await;
    let ok = statuses.iter().filter(|s| **s == 200).count();
    let refused = statuses.iter().filter(|s| **s == 503).count();
    assert_eq!(ok + refused, 8, "{statuses:?}");
    // One served at once and two waiting: at least five of eight turned away.
    assert!(refused >= 5, "{statuses:?}");
    assert!(ok >= 1, "{statuses:?}");
    let c = stats(&h).await.capacity;
    assert_eq!(c.rejected, refused as u64, "{c:?}");
    assert!(c.max_queued <= 2, "{c:?}");
    let page = h.get("/projects").await;
    assert_eq!(page.status, 200, "the line is empty again");
}

#[tokio::test]
async fn the_503_is_html_without_harbor_error_body() {
    let h = Harness::start(with_capacity(Capacity {
        workers: Some(1),
        queue_limit: Some(0),
        service: flat(300),
    }))
    .await;
    let (first, second) = tokio::join!(h.get("/projects"), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        h.get("/projects").await
    });
    assert_eq!(first.status, 200);
    assert_eq!(second.status, 503);
    assert_eq!(second.header("content-type").as_deref(), Some("text/html"));
    assert!(second.body.contains("503 Service Temporarily Unavailable"));
}

#[tokio::test]
async fn service_time_grows_with_items_and_scan_overview() {
    let per_item = ServiceTime {
        base: Duration::from_millis(5),
        per_item: Duration::from_millis(10),
        scan_overview_per_item: Duration::from_millis(30),
    };
    let h = Harness::start(with_capacity(Capacity {
        workers: Some(8),
        queue_limit: None,
        service: per_item,
    }))
    .await;
    let path = "/projects/library/repositories/nginx/artifacts?page=1&page_size=3";
    let plain = h.get_as(path, ADMIN).await;
    assert_eq!(plain.status, 200, "{}", plain.body);
    let items = plain.len() as u64;
    assert!(items > 0);
    let after_plain = stats(&h).await.capacity.service_ms_total;
    assert!(
        after_plain >= 5 + 10 * items,
        "{after_plain} ms for {items}"
    );
    h.send(h.client.post(h.url("/_sim/reset"))).await;
    let overview = h
        .get_as(&format!("{path}&with_scan_overview=true"), ADMIN)
        .await;
    assert_eq!(overview.status, 200);
    let after_overview = stats(&h).await.capacity.service_ms_total;
    assert!(
        after_overview >= 5 + 40 * items,
        "{after_overview} ms for {items} with the overview"
    );
}

#[tokio::test]
async fn without_workers_nothing_waits() {
    let h = Harness::tiny().await;
    let statuses = burst(&h, "/projects", 12).await;
    assert!(statuses.iter().all(|s| *s == 200));
    let s = stats(&h).await;
    assert_eq!(s.capacity, harbor_sim::CapacityStats::default());
    assert_eq!(s.requests_total, 12);
}

#[cfg(feature = "tls")]
#[tokio::test]
async fn capacity_holds_over_http2() {
    let handle = harbor_sim::tls::spawn(with_capacity(Capacity {
        workers: Some(2),
        queue_limit: None,
        service: flat(30),
    }))
    .await
    .expect("simulator over TLS");
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .expect("client");
    let url = format!("{}/api/v2.0/projects", handle.base_url());
    let sends = (0..8).map(|_| async {
        let r = client.get(&url).send().await.expect("response");
        (r.version(), r.status().as_u16())
    });
    let answers = futures::future::join_all(sends).await;
    assert!(answers
        .iter()
        .all(|(v, s)| *v == reqwest::Version::HTTP_2 && *s == 200));
    let c = handle.sim().stats().capacity;
    assert_eq!(c.max_in_service, 2, "{c:?}");
    assert!(c.queue_waits > 0, "{c:?}");
}
