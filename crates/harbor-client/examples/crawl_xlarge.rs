//! The million-artifact figures: the simulator's xlarge preset (start time, memory, a
//! page's latency) and a native crawl of it (time, requests, the crawler's memory per
//! artifact). Prints figures only; no assertion.
//!
//! `cargo run -p harbor-client --features native --example crawl_xlarge --profile host [preset] [latency ms]`
//!
//! Memory per artifact is printed two ways: the heap the delivered rows hold (each
//! row's own bytes, digest, tags and label list; the shared project, repository, type
//! and label strings counted once), and the process's resident memory before and after
//! the crawl divided by the rows (this also counts allocator slack and whatever the
//! in-process simulator still holds, so it is an upper bound). RSS is read from
//! `/proc/self/status` (Linux); elsewhere it prints `n/a`.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use harbor_client::crawl::{CrawlConfig, Crawler, Credentials, Event, Scope};
use harbor_client::native::{NativeTransport, TokioClock};
use harbor_client::slim::{ArtifactRow, Digest, LabelRef, TagRow};
use harbor_client::transport::CancelToken;
use harbor_sim::{HarborVersion, Preset, SimConfig};

type Error = Box<dyn std::error::Error>;

/// Resident memory in bytes, where the platform says.
fn rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn mib(bytes: Option<u64>) -> String {
    bytes.map_or("n/a".to_owned(), |b| {
        format!("{:.1} MiB", b as f64 / 1_048_576.0)
    })
}

/// Heap bytes of the rows: per-row data plus each shared string and label once.
fn heap_bytes(rows: &[ArtifactRow]) -> usize {
    use std::mem::size_of;
    let mut strings: HashSet<*const u8> = HashSet::new();
    let mut labels: HashSet<*const LabelRef> = HashSet::new();
    // An `Arc` allocation holds two reference counts before the value.
    let counts = 2 * size_of::<usize>();
    let mut shared = |s: &Arc<str>| {
        if strings.insert(s.as_ptr()) {
            s.len() + counts
        } else {
            0
        }
    };
    let mut total = std::mem::size_of_val(rows);
    for r in rows {
        total += shared(&r.project) + shared(&r.repository) + shared(&r.kind);
        total += shared(&r.media_type);
        if let Some(mime) = &r.scan.report_mime {
            total += shared(mime);
        }
        if let Digest::Other(text) = &r.digest {
            total += text.len();
        }
        total += r.tags.capacity() * size_of::<TagRow>();
        total += r.tags.iter().map(|t| t.name.len()).sum::<usize>();
        total += r.labels.capacity() * size_of::<Arc<LabelRef>>();
        for l in &r.labels {
            if labels.insert(Arc::as_ptr(l)) {
                total += counts + size_of::<LabelRef>() + l.name.len() + l.color.len();
            }
        }
    }
    total
}

/// Median and worst of `n` timed GETs of `url`.
async fn page_latency(
    client: &reqwest::Client,
    url: &str,
    n: usize,
) -> Result<(Duration, Duration), Error> {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        let r = client
            .get(url)
            .basic_auth("admin", Some("Harbor12345"))
            .send()
            .await?;
        if !r.status().is_success() {
            return Err(format!("{url}: HTTP {}", r.status()).into());
        }
        r.bytes().await?;
        times.push(start.elapsed());
    }
    times.sort();
    Ok((times[n / 2], times[n - 1]))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let preset: Preset = args.next().as_deref().unwrap_or("xlarge").parse()?;
    let latency = Duration::from_millis(args.next().as_deref().unwrap_or("0").parse()?);
    println!(
        "preset {preset:?}, latency {} ms, Harbor 2.13, admin",
        latency.as_millis()
    );

    let before_sim = rss();
    let start = Instant::now();
    let handle = harbor_sim::spawn(SimConfig {
        preset,
        version: HarborVersion::V2_13,
        latency,
        ..SimConfig::default()
    })
    .await?;
    let started = start.elapsed();
    let after_sim = rss();
    let ds = handle.sim().dataset();
    println!(
        "simulator: {} artifacts in {} repositories; start {:.2} s; RSS {} (+{})",
        ds.artifact_count(),
        ds.repositories.len(),
        started.as_secs_f64(),
        mib(after_sim),
        mib(after_sim.zip(before_sim).map(|(a, b)| a.saturating_sub(b)))
    );

    // A page of the biggest repository: the first request builds the listing order.
    let big = ds
        .repositories
        .iter()
        .max_by_key(|r| r.top_level)
        .ok_or("no repositories")?;
    let project = &ds.projects[big.project as usize].name;
    let short = big.name[project.len() + 1..].replace('/', "%252F");
    let pages = big.top_level.div_ceil(100);
    let url = |page: u32| {
        format!(
            "{}/api/v2.0/projects/{project}/repositories/{short}/artifacts?page={page}\
             &page_size=100&with_tag=true&with_label=true&with_scan_overview=true",
            handle.base_url()
        )
    };
    let client = reqwest::Client::new();
    let (first, _) = page_latency(&client, &url(1), 1).await?;
    let (median, worst) = page_latency(&client, &url(1), 50).await?;
    let (deep_median, deep_worst) = page_latency(&client, &url(pages), 50).await?;
    // The same page with an explicit sort takes the general path, which gathers and
    // sorts the whole repository per request: what every page cost before.
    let (sorted_median, _) =
        page_latency(&client, &format!("{}&sort=-push_time,-id", url(1)), 5).await?;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "page latency, {} ({} artifacts, {pages} pages of 100): first request {:.1} ms \
         (builds the listing order); page 1 median {:.2} ms, worst {:.2} ms; \
         page {pages} median {:.2} ms, worst {:.2} ms; page 1 with an explicit sort \
         (whole repository gathered and sorted) median {:.1} ms",
        big.name,
        big.top_level,
        ms(first),
        ms(median),
        ms(worst),
        ms(deep_median),
        ms(deep_worst),
        ms(sorted_median)
    );

    let config = CrawlConfig {
        max_in_flight: 6,
        credentials: Some(Credentials::new("admin", "Harbor12345")),
        ..CrawlConfig::default()
    };
    let transport = NativeTransport::new(&handle.base_url())?;
    let crawler = Crawler::new(&transport, TokioClock::new(), config);
    let before_crawl = rss();
    let mut rows: Vec<ArtifactRow> = Vec::new();
    let start = Instant::now();
    let report = crawler
        .crawl(Scope::default(), &CancelToken::new(), |event| {
            if let Event::Artifacts(batch) = event {
                rows.extend(batch);
            }
        })
        .await?;
    let elapsed = start.elapsed();
    let after_crawl = rss();
    let requests = report.progress.requests_planned + report.progress.retries;
    println!(
        "crawl: {} artifacts ({} expected) in {:.1} s, {requests} requests, {} failed, \
         strategy {:?}",
        rows.len(),
        report.ledger.artifacts_expected,
        elapsed.as_secs_f64(),
        report.ledger.entries.len(),
        report.discovery.strategy
    );
    let n = rows.len().max(1) as f64;
    let heap = heap_bytes(&rows);
    println!(
        "crawler memory per artifact: rows' heap {:.0} B ({}, size_of::<ArtifactRow>() = {} B); \
         RSS growth {} = {} B per artifact",
        heap as f64 / n,
        mib(Some(heap as u64)),
        std::mem::size_of::<ArtifactRow>(),
        mib(after_crawl
            .zip(before_crawl)
            .map(|(a, b)| a.saturating_sub(b))),
        after_crawl
            .zip(before_crawl)
            .map_or("n/a".to_owned(), |(a, b)| format!(
                "{:.0}",
                a.saturating_sub(b) as f64 / n
            ))
    );
    Ok(())
}
