//! The adaptive limit against a simulated Harbor of limited capacity, over TLS and
//! HTTP/2, real sockets: it uses a large server and does not flood a small one.

use std::cell::RefCell;
use std::collections::HashSet;
use std::time::Duration;

use futures::future::{FutureExt, LocalBoxFuture};
use harbor_client::crawl::{CrawlConfig, CrawlReport, Crawler, Credentials, Event, Scope};
use harbor_client::native::{NativeTransport, TokioClock};
use harbor_client::transport::{
    CancelToken, Protocol, Request, Response, Transport, TransportError,
};
use harbor_sim::{Capacity, HarborVersion, Preset, ServiceTime, Shape, SimConfig, SimHandle};

/// Records the protocol of every answer.
struct Seen {
    inner: NativeTransport,
    protocols: RefCell<HashSet<Protocol>>,
}

impl Transport for Seen {
    fn get(&self, req: Request) -> LocalBoxFuture<'_, Result<Response, TransportError>> {
        async move {
            let result = self.inner.get(req).await;
            if let Ok(response) = &result {
                self.protocols.borrow_mut().insert(response.protocol);
            }
            result
        }
        .boxed_local()
    }
}

/// A few hundred repositories, Zipf-sized as in the presets.
fn shape() -> Shape {
    Shape {
        repositories: 240,
        artifacts: 2_400,
        ..Preset::Small.shape()
    }
}

/// One crawl at a time: latency is the limiter's signal, and crawls sharing the
/// machine's cores would add each other's noise to it.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn harbor(workers: usize, service: ServiceTime) -> SimHandle {
    harbor_sim::tls::spawn(SimConfig {
        preset: Preset::Small,
        shape: Some(shape()),
        version: HarborVersion::V2_10,
        // The round trip of the benchmarks.
        latency: Duration::from_millis(25),
        capacity: Capacity {
            service,
            ..Capacity::harbor(workers)
        },
        ..SimConfig::default()
    })
    .await
    .expect("simulator over TLS")
}

struct Crawled {
    report: CrawlReport,
    keys: HashSet<(String, String)>,
    highest_limit: u64,
    protocols: HashSet<Protocol>,
}

async fn crawl(handle: &SimHandle) -> Crawled {
    let transport = Seen {
        inner: NativeTransport::accepting_invalid_certs(&handle.base_url()).expect("client"),
        protocols: RefCell::default(),
    };
    let config = CrawlConfig {
        credentials: Some(Credentials::new("admin", "Harbor12345")),
        ..CrawlConfig::default()
    };
    let crawler = Crawler::new(&transport, TokioClock::new(), config);
    let mut keys = HashSet::new();
    let mut highest_limit = 0;
    let report = crawler
        .crawl(Scope::default(), &CancelToken::new(), |event| match event {
            Event::Artifacts(rows) => keys.extend(
                rows.iter()
                    .map(|r| (r.repository.to_string(), r.digest.to_string())),
            ),
            Event::Progress(p) => highest_limit = highest_limit.max(p.limit),
            _ => {}
        })
        .await
        .expect("crawl ends");
    Crawled {
        report,
        keys,
        highest_limit,
        protocols: transport.protocols.into_inner(),
    }
}

fn truth(handle: &SimHandle) -> HashSet<(String, String)> {
    handle.truth_keys(Some("admin"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_workers_are_not_flooded() {
    let _serial = SERIAL.lock().await;
    let handle = harbor(4, ServiceTime::HARBOR).await;
    let crawled = crawl(&handle).await;
    assert_eq!(crawled.protocols, HashSet::from([Protocol::Http2]));
    assert!(
        crawled.report.ledger.is_empty(),
        "{:?}",
        crawled.report.ledger
    );
    assert_eq!(crawled.keys, truth(&handle), "every artifact, once");
    let stats = handle.sim().stats();
    assert_eq!(stats.capacity.max_in_service, 4);
    // Not flooded: the limit settles far below the ceiling (32). The target,
    // at most twice the workers at steady state, is a benchmark figure
    // (`capacity_bench`: 10 in flight on this machine, so not met yet), not asserted
    // here, where a busy machine moves it by a request or two.
    assert!(
        stats.max_in_flight <= 16,
        "{} in flight",
        stats.max_in_flight
    );
    assert_eq!(stats.capacity.rejected, 0);
    assert!(
        crawled.highest_limit <= 16,
        "limit {}",
        crawled.highest_limit
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_larger_harbor_gets_more_than_six_at_once() {
    let _serial = SERIAL.lock().await;
    // Many workers, each request waiting on them (not on this machine's CPU, which the
    // simulator and the client share): room for far more than six at once.
    let light = ServiceTime {
        base: Duration::from_millis(80),
        per_item: Duration::from_micros(200),
        scan_overview_per_item: Duration::from_micros(800),
    };
    let handle = harbor(64, light).await;
    let crawled = crawl(&handle).await;
    assert!(
        crawled.report.ledger.is_empty(),
        "{:?}",
        crawled.report.ledger
    );
    assert_eq!(crawled.keys, truth(&handle));
    let stats = handle.sim().stats();
    // Past HTTP/1.1's six; how far depends on this machine's load (the simulator and
    // the client share its cores), so the bench reports the figures.
    assert!(crawled.highest_limit > 8, "limit {}", crawled.highest_limit);
    assert!(stats.max_in_flight > 6, "{} in flight", stats.max_in_flight);
    assert!(stats.max_in_flight <= 32, "never past the ceiling");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_http1_the_crawl_stays_at_six() {
    let _serial = SERIAL.lock().await;
    let handle = harbor_sim::spawn(SimConfig {
        preset: Preset::Small,
        shape: Some(shape()),
        version: HarborVersion::V2_10,
        capacity: Capacity::harbor(64),
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    let crawled = crawl(&handle).await;
    assert_eq!(crawled.protocols, HashSet::from([Protocol::Http1]));
    assert!(crawled.report.ledger.is_empty());
    assert_eq!(crawled.keys, truth(&handle));
    assert_eq!(crawled.highest_limit, 6);
    assert!(handle.sim().stats().max_in_flight <= 6);
}
