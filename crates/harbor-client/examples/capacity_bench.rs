//! The crawl engine against a Harbor of limited capacity: the adaptive limit against the
//! same crawl held at 6, over HTTP/1.1 and over TLS + HTTP/2, with 4, 16 and 64 workers.
//!
//! `cargo run -p harbor-client --features native --example capacity_bench --profile host [preset] [version] [rtt ms] [workers,...]`
//!
//! Defaults: `medium 2.10 25 4,16,64`. The simulator serves with its capacity model
//! (`harbor_sim::capacity`: 10 ms + 0.5 ms per item, +4.5 ms per item with the scan
//! overview) on its own threads; the crawl runs on this thread, whose CPU time (user +
//! system, from `/proc/thread-self/stat`) is the engine's own cost: decoding, planning,
//! HTTP and TLS. Numbers only, no assertion.

use std::time::{Duration, Instant};

use harbor_client::crawl::{CrawlConfig, CrawlReport, Crawler, Credentials, Event, Scope};
use harbor_client::native::{cpu_time, CpuOf, NativeTransport, TokioClock};
use harbor_client::transport::CancelToken;
use harbor_sim::{Capacity, HarborVersion, Preset, SimConfig, SimHandle, Stats};

type Error = Box<dyn std::error::Error>;

/// One crawl's figures.
struct Measured {
    report: CrawlReport,
    wall: Duration,
    cpu: Duration,
    stats: Stats,
    /// Most requests at the server at once after the first [`WARM_UP`] answers.
    steady_in_flight: u64,
    highest_limit: u64,
}

/// The ceiling of the adaptive limit (`CrawlConfig::max_concurrency`'s default).
const CEILING: usize = 32;
/// The fixed limit: Chromium's connections per host over HTTP/1.1.
const HELD: usize = 6;

/// Answers after which the crawl counts as settled for "max in flight at steady state"
/// (about a tenth of a medium crawl).
const WARM_UP: u64 = 100;

async fn crawl(handle: &SimHandle, tls: bool, ceiling: usize) -> Result<Measured, Error> {
    let base = handle.base_url();
    let transport = if tls {
        NativeTransport::accepting_invalid_certs(&base)?
    } else {
        NativeTransport::new(&base)?
    };
    let config = CrawlConfig {
        max_in_flight: HELD,
        max_concurrency: ceiling,
        credentials: Some(Credentials::new("admin", "Harbor12345")),
        ..CrawlConfig::default()
    };
    let crawler = Crawler::new(transport, TokioClock::new(), config);
    handle.sim().reset_stats();
    let mut highest_limit = 0;
    // The counters of the warm-up, kept when they are reset to watch the steady state.
    let mut early: Option<Stats> = None;
    let cpu_before = cpu_time(CpuOf::Thread);
    let start = Instant::now();
    let report = crawler
        .crawl(Scope::default(), &CancelToken::new(), |event| {
            if let Event::Progress(p) = event {
                highest_limit = highest_limit.max(p.limit);
                if early.is_none() && p.requests_done >= WARM_UP {
                    early = Some(handle.sim().stats());
                    handle.sim().reset_stats();
                }
            }
        })
        .await?;
    let wall = start.elapsed();
    let cpu = cpu_time(CpuOf::Thread)
        .zip(cpu_before)
        .map_or(Duration::ZERO, |(after, before)| {
            after.saturating_sub(before)
        });
    let late = handle.sim().stats();
    let steady_in_flight = late.max_in_flight;
    let mut stats = late;
    if let Some(early) = early {
        stats.requests_total += early.requests_total;
        stats.max_in_flight = stats.max_in_flight.max(early.max_in_flight);
        stats.capacity.service_ms_total += early.capacity.service_ms_total;
    }
    Ok(Measured {
        report,
        wall,
        cpu,
        stats,
        steady_in_flight,
        highest_limit,
    })
}

/// The lower bound of a crawl on a server of `workers`, `cap` requests at once.
struct Bound {
    total: Duration,
    depth: Duration,
    service: Duration,
    width: Duration,
}

fn lower_bound(m: &Measured, rtt: Duration, workers: usize, cap: usize) -> Bound {
    let requests = m.stats.requests_total.max(1);
    let service_total = Duration::from_millis(m.stats.capacity.service_ms_total);
    let mean_service = service_total / u32::try_from(requests).unwrap_or(u32::MAX);
    let depth = rtt * m.report.critical_path;
    let service = service_total / u32::try_from(workers).unwrap_or(1);
    let rounds = u32::try_from(requests.div_ceil(cap as u64)).unwrap_or(u32::MAX);
    let width = (rtt + mean_service) * rounds;
    Bound {
        total: depth.max(service).max(width),
        depth,
        service,
        width,
    }
}

fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let preset: Preset = args.next().as_deref().unwrap_or("medium").parse()?;
    let version: HarborVersion = args.next().as_deref().unwrap_or("2.10").parse()?;
    let rtt = Duration::from_millis(args.next().as_deref().unwrap_or("25").parse()?);
    let workers: Vec<usize> = args
        .next()
        .as_deref()
        .unwrap_or("4,16,64")
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    // The simulator on two threads of its own; the crawl on this one.
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    println!(
        "preset {preset:?}, Harbor {version}, admin, RTT {} ms, service 10 ms + 0.5 ms/item (+4.5 ms/item with scan overview)",
        rtt.as_millis()
    );
    println!("LB = max(critical path x RTT, total service / workers, requests / cap x (RTT + mean service)); cap = {HELD} on HTTP/1.1, {CEILING} (the ceiling) on HTTP/2");
    println!("adaptive: starts at {HELD}, ceiling {CEILING}; held: the same crawl with the ceiling at {HELD}");
    println!(
        "{:<14} {:>9} {:>8} {:>5} {:>8} {:>8} {:>28} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>9} {:>7} {:>7}",
        "case",
        "artifacts",
        "requests",
        "depth",
        "wall ms",
        "LB ms",
        "(depth/service/width ms)",
        "ratio",
        "limit",
        "max in",
        "steady",
        "failed",
        "cpu ms",
        "held ms",
        "speedup",
        "held in"
    );
    for &w in &workers {
        for tls in [false, true] {
            let cfg = SimConfig {
                preset,
                version,
                latency: rtt,
                capacity: Capacity::harbor(w),
                ..SimConfig::default()
            };
            let handle = server.block_on(async {
                if tls {
                    harbor_sim::tls::spawn(cfg).await
                } else {
                    harbor_sim::spawn(cfg).await
                }
            })?;
            let adaptive = client.block_on(crawl(&handle, tls, CEILING))?;
            let held = client.block_on(crawl(&handle, tls, HELD))?;
            let cap = if tls { CEILING } else { HELD };
            let lb = lower_bound(&adaptive, rtt, w, cap);
            let case = format!("{w} workers {}", if tls { "h2" } else { "h1" });
            let ms = |d: Duration| d.as_millis();
            println!(
                "{:<14} {:>9} {:>8} {:>5} {:>8} {:>8} {:>28} {:>6.2} {:>6} {:>6} {:>6} {:>6} {:>6} {:>9} {:>7.2} {:>7}",
                case,
                adaptive.report.ledger.artifacts_loaded,
                adaptive.stats.requests_total,
                adaptive.report.critical_path,
                ms(adaptive.wall),
                ms(lb.total),
                format!("{}/{}/{}", ms(lb.depth), ms(lb.service), ms(lb.width)),
                adaptive.wall.as_secs_f64() / lb.total.as_secs_f64(),
                adaptive.highest_limit,
                adaptive.stats.max_in_flight,
                adaptive.steady_in_flight,
                adaptive.report.ledger.entries.len(),
                ms(adaptive.cpu),
                ms(held.wall),
                held.wall.as_secs_f64() / adaptive.wall.as_secs_f64(),
                held.stats.max_in_flight,
            );
            drop(handle);
        }
    }
    println!("limit: highest limit reached; max in: most requests at the server at once (/_sim/stats); steady: the same after the first {WARM_UP} answers; cpu ms: this thread's CPU time for the adaptive crawl; held in: max in flight of the held crawl");
    Ok(())
}
