//! Crawl time against the plan's lower bound, on the simulator with 25 ms per request
//! (or the latency given).
//!
//! `cargo run -p harbor-client --features native --example crawl_bench --profile host [preset] [latency ms]`
//!
//! The lower bound is the larger of the critical path (round trips that each need the
//! previous answer) and the requests divided by the in-flight bound, each times the
//! latency. The target is a ratio of at most 1.3. Also printed, to tell the scheduler
//! apart from the server: how many requests were in flight on average (the scheduler's
//! share; at best the bound), how long a request took on average (latency plus the
//! simulator's work, which shares this machine's cores with the client), and the same
//! crawl at 0 ms latency (the CPU floor). Numbers only, no assertion.
//!
//! For `scripts/bench.sh`, one crawl against a running simulator, printed as one JSON line:
//! `crawl_bench --url http://127.0.0.1:PORT --latency-ms 25 [--bound 6] [--ceiling 32] [--user U --password P]`.
//! The driver resets and reads the simulator's counters around it, as for the other clients.
//! An `https://` URL is the benchmark's own TLS simulator: its self-signed certificate is
//! accepted. `--ceiling` is the adaptive limit's ceiling over HTTP/2 (`--bound` the start).
//! The line carries the process's CPU time for the crawl (`cpu_ms`: the engine's own cost,
//! decoding, planning, HTTP and TLS) and the highest limit the crawl reached.
//! `--connected true` connects first, untimed, and crawls with what connecting learnt, as
//! the dashboard does (its crawl sends neither `/systeminfo` nor `/users/current`).

use std::cell::Cell;
use std::time::{Duration, Instant};

use futures::future::{FutureExt, LocalBoxFuture};
use harbor_client::connect::connect;
use harbor_client::crawl::{CrawlConfig, CrawlReport, Crawler, Credentials, Event, Job, Scope};
use harbor_client::native::{cpu_time, CpuOf, NativeTransport, TokioClock};
use harbor_client::transport::{CancelToken, Request, Response, Transport, TransportError};
use harbor_sim::{HarborVersion, Preset, SimConfig};

const BOUND: usize = 6;

type Error = Box<dyn std::error::Error>;

/// Adds up the time requests spend on the wire.
struct Timed {
    inner: NativeTransport,
    busy: Cell<Duration>,
    count: Cell<u32>,
}

impl Transport for Timed {
    fn get(&self, req: Request) -> LocalBoxFuture<'_, Result<Response, TransportError>> {
        async move {
            let start = Instant::now();
            let result = self.inner.get(req).await;
            self.busy.set(self.busy.get() + start.elapsed());
            self.count.set(self.count.get() + 1);
            result
        }
        .boxed_local()
    }
}

struct Measured {
    report: CrawlReport,
    elapsed: Duration,
    busy: Duration,
    count: u32,
}

async fn run(
    preset: Preset,
    version: HarborVersion,
    who: Option<(&str, &str)>,
    latency: Duration,
) -> Result<Measured, Error> {
    let handle = harbor_sim::spawn(SimConfig::of(preset, version, latency)).await?;
    let config = CrawlConfig {
        max_in_flight: BOUND,
        credentials: who.map(|(u, p)| Credentials::new(u, p)),
        ..CrawlConfig::default()
    };
    let transport = Timed {
        inner: NativeTransport::new(&handle.base_url())?,
        busy: Cell::new(Duration::ZERO),
        count: Cell::new(0),
    };
    let crawler = Crawler::new(&transport, TokioClock::new(), config);
    let start = Instant::now();
    let report = crawler
        .crawl(Scope::default(), &CancelToken::new(), |_| {})
        .await?;
    let elapsed = start.elapsed();
    Ok(Measured {
        report,
        elapsed,
        busy: transport.busy.get(),
        count: transport.count.get(),
    })
}

/// One crawl against `url`, as the bench driver wants it.
struct Once {
    url: String,
    latency: Duration,
    bound: usize,
    ceiling: Option<usize>,
    who: Option<(String, String)>,
    /// Connect first (untimed) and crawl with its discovery, as the dashboard does.
    connected: bool,
}

fn parse_once(args: &[String]) -> Result<Once, Error> {
    let mut once = Once {
        url: String::new(),
        latency: Duration::ZERO,
        bound: BOUND,
        ceiling: None,
        who: None,
        connected: false,
    };
    let (mut user, mut password) = (None, None);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--url" => once.url = value.trim_end_matches('/').to_owned(),
            "--latency-ms" => once.latency = Duration::from_millis(value.parse()?),
            "--bound" => once.bound = value.parse()?,
            "--ceiling" => once.ceiling = Some(value.parse()?),
            "--user" => user = Some(value.clone()),
            "--password" => password = Some(value.clone()),
            "--connected" => once.connected = value.parse()?,
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    once.who = user.zip(password);
    Ok(once)
}

/// Crawls once and prints the figures as one JSON object.
async fn run_once(once: Once) -> Result<(), Error> {
    let defaults = CrawlConfig::default();
    let config = CrawlConfig {
        max_in_flight: once.bound,
        max_concurrency: once.ceiling.unwrap_or(defaults.max_concurrency),
        credentials: once.who.map(|(u, p)| Credentials::new(u, p)),
        ..defaults
    };
    let inner = if once.url.starts_with("https:") {
        NativeTransport::accepting_invalid_certs(&once.url)?
    } else {
        NativeTransport::new(&once.url)?
    };
    let transport = Timed {
        inner,
        busy: Cell::new(Duration::ZERO),
        count: Cell::new(0),
    };
    let discovery = if once.connected {
        let who = config.credentials.as_ref();
        Some(connect(&transport, &once.url, who).await?.discovery)
    } else {
        None
    };
    let crawler = Crawler::new(&transport, TokioClock::new(), config);
    let mut highest_limit = 0;
    // Each change of the limit: milliseconds since the start, the new limit.
    let mut limits: Vec<(u64, u64)> = Vec::new();
    let cpu_before = cpu_time(CpuOf::Process);
    let start = Instant::now();
    let report = crawler
        .run(
            Job::Crawl {
                scope: Scope::default(),
                discovery,
            },
            &CancelToken::new(),
            |event| {
                if let Event::Progress(p) = event {
                    highest_limit = highest_limit.max(p.limit);
                    if limits.last().is_none_or(|&(_, l)| l != p.limit) {
                        let ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
                        limits.push((ms, p.limit));
                    }
                }
            },
        )
        .await?;
    let elapsed = start.elapsed();
    let cpu = cpu_time(CpuOf::Process)
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before).as_secs_f64() * 1000.0);
    let requests = report.progress.requests_planned + report.progress.retries;
    let by_width = once.latency * u32::try_from(requests.div_ceil(once.bound as u64))?;
    let by_depth = once.latency * report.critical_path;
    let line = serde_json::json!({
        "elapsed_ms": elapsed.as_secs_f64() * 1000.0,
        "artifacts": report.ledger.artifacts_loaded,
        "artifacts_expected": report.ledger.artifacts_expected,
        "requests": requests,
        "retries": report.progress.retries,
        "failed": report.ledger.entries.len(),
        "critical_path": report.critical_path,
        "bound": once.bound,
        "lower_bound_ms": by_width.max(by_depth).as_secs_f64() * 1000.0,
        "lower_bound_depth_ms": by_depth.as_secs_f64() * 1000.0,
        "lower_bound_width_ms": by_width.as_secs_f64() * 1000.0,
        "strategy": format!("{:?}", report.discovery.strategy),
        "mean_in_flight": transport.busy.get().as_secs_f64() / elapsed.as_secs_f64(),
        "mean_request_ms": transport.busy.get().as_secs_f64() * 1000.0
            / f64::from(transport.count.get().max(1)),
        "cpu_ms": cpu,
        "highest_limit": highest_limit,
        "limits": limits,
    });
    println!("{line}");
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Error> {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.first().is_some_and(|a| a.starts_with("--")) {
        return run_once(parse_once(&argv)?).await;
    }
    let mut args = argv.into_iter();
    let preset: Preset = args.next().as_deref().unwrap_or("medium").parse()?;
    let latency = Duration::from_millis(args.next().as_deref().unwrap_or("25").parse()?);
    println!(
        "preset {preset:?}, latency {} ms, in-flight bound {BOUND}",
        latency.as_millis()
    );
    println!(
        "{:<28} {:>9} {:>8} {:>5} {:>8} {:>8} {:>6} {:>9} {:>8} {:>8}",
        "case",
        "artifacts",
        "requests",
        "depth",
        "time ms",
        "bound ms",
        "ratio",
        "in flight",
        "req ms",
        "0-lat ms"
    );
    let cases = [
        (
            "2.13 admin (per project)",
            HarborVersion::V2_13,
            Some(("admin", "Harbor12345")),
        ),
        (
            "2.10 admin (per repository)",
            HarborVersion::V2_10,
            Some(("admin", "Harbor12345")),
        ),
        ("2.13 anonymous", HarborVersion::V2_13, None),
    ];
    for (name, version, who) in cases {
        let m = run(preset, version, who, latency).await?;
        let floor = run(preset, version, who, Duration::ZERO).await?.elapsed;
        let requests = m.report.progress.requests_planned + m.report.progress.retries;
        let by_width = latency * u32::try_from(requests.div_ceil(BOUND as u64))?;
        let by_depth = latency * m.report.critical_path;
        let bound = by_width.max(by_depth);
        println!(
            "{:<28} {:>9} {:>8} {:>5} {:>8} {:>8} {:>6.2} {:>9.2} {:>8.1} {:>8}",
            name,
            m.report.ledger.artifacts_loaded,
            requests,
            m.report.critical_path,
            m.elapsed.as_millis(),
            bound.as_millis(),
            m.elapsed.as_secs_f64() / bound.as_secs_f64(),
            m.busy.as_secs_f64() / m.elapsed.as_secs_f64(),
            m.busy.as_secs_f64() * 1000.0 / f64::from(m.count.max(1)),
            floor.as_millis(),
        );
        if !m.report.ledger.is_empty() {
            println!("  {} failed requests", m.report.ledger.entries.len());
        }
    }
    Ok(())
}
