//! Requests of an incremental refresh against a full crawl, on the simulator.
//!
//! `cargo run -p inventory --example refresh_bench --profile host [preset] [changed %] [latency ms]`
//! (defaults: `medium`, 1 %, 25 ms). For Harbor 2.10 (artifacts listed per repository),
//! 2.13 (per project) and 2.16 (per project, and `update_time` records deletes), as
//! admin: a full crawl with repository stamps (what the dashboard runs), then `changed %`
//! of the repositories get a push and a delete, then a refresh. Prints requests and time
//! of each, the refresh's share of the full crawl's requests (target: at most 5 % at 1 %
//! changed on 2.15.2 and later), whether the merged inventory equals the simulator's
//! truth, and the refresh method with its reason. One JSON line per version follows.
//! With `REFRESH_BENCH_PATHS` set, the paths each refresh requested go to stderr.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use harbor_client::crawl::{CrawlConfig, Crawler, Credentials, Event, RepoStamp, Scope};
use harbor_client::native::{NativeTransport, TokioClock};
use harbor_client::slim::ArtifactRow;
use harbor_client::transport::CancelToken;
use harbor_sim::{HarborVersion, Mutation, Preset, SimConfig, SimHandle};
use inventory::refresh::apply;

type Error = Box<dyn std::error::Error>;

struct Crawl {
    rows: Vec<ArtifactRow>,
    stamps: Vec<RepoStamp>,
    requests: u64,
    elapsed: Duration,
    failures: usize,
    method: String,
}

async fn crawl(handle: &SimHandle, known: Option<Vec<RepoStamp>>) -> Result<Crawl, Error> {
    let config = CrawlConfig {
        credentials: Some(Credentials::new("admin", "Harbor12345")),
        repository_stamps: true,
        ..CrawlConfig::default()
    };
    let crawler = Crawler::new(
        NativeTransport::new(&handle.base_url())?,
        TokioClock::new(),
        config,
    );
    let (mut rows, mut stamps) = (Vec::new(), Vec::new());
    let sink = |event: Event| match event {
        Event::Artifacts(batch) => rows.extend(batch),
        Event::Repositories(page) => stamps.extend(page),
        _ => {}
    };
    handle.sim().reset_stats();
    let start = Instant::now();
    let cancel = CancelToken::new();
    let known_given = known.is_some();
    let report = match known {
        None => crawler.crawl(Scope::default(), &cancel, sink).await?,
        Some(known) => {
            crawler
                .refresh(Scope::default(), known, &cancel, sink)
                .await?
        }
    };
    let elapsed = start.elapsed();
    if std::env::var_os("REFRESH_BENCH_PATHS").is_some() && known_given {
        for (path, n) in handle.sim().stats().by_path {
            eprintln!("{n:>3} {path}");
        }
    }
    Ok(Crawl {
        rows,
        stamps,
        requests: handle.sim().stats().requests_total,
        elapsed,
        failures: report.ledger.entries.len(),
        method: report
            .refresh
            .map(|m| m.describe())
            .unwrap_or_else(|| "full crawl".into()),
    })
}

fn keys(rows: &[ArtifactRow]) -> BTreeSet<(String, String)> {
    rows.iter()
        .map(|r| (r.repository.to_string(), r.digest.to_string()))
        .collect()
}

async fn bench(
    preset: Preset,
    version: HarborVersion,
    percent: f64,
    latency: Duration,
) -> Result<(), Error> {
    let handle = harbor_sim::spawn(SimConfig::of(preset, version, latency)).await?;
    let full = crawl(&handle, None).await?;
    let repositories = full.stamps.len();
    let changed = ((repositories as f64 * percent / 100.0).round() as usize).max(1);
    handle.sim().mutate(&Mutation {
        repositories: changed,
        push: 1,
        delete: 1,
        project: None,
        ..Mutation::default()
    });
    let fresh = crawl(&handle, Some(full.stamps.clone())).await?;
    let done = apply(full.rows, &full.stamps, fresh.stamps, fresh.rows, &[]);
    let (p, merged) = (done.plan, done.rows);
    let ds = handle.sim().dataset();
    let admin = ds.principal_by_name("admin").ok_or("no admin")?;
    let truth: BTreeSet<(String, String)> = ds
        .truth(&admin)
        .into_iter()
        .map(|r| (r.repository, r.digest))
        .collect();
    let exact = keys(&merged) == truth && merged.len() == truth.len();
    let share = fresh.requests as f64 / full.requests as f64 * 100.0;
    println!(
        "{:<5} {:>6} repos {:>4} changed | full {:>5} req {:>7.0} ms | refresh {:>4} req {:>6.0} ms | {:>5.1} % of requests | {} | exact {}",
        version.to_string(),
        repositories,
        changed,
        full.requests,
        full.elapsed.as_secs_f64() * 1000.0,
        fresh.requests,
        fresh.elapsed.as_secs_f64() * 1000.0,
        share,
        p.summary(),
        exact && full.failures == 0 && fresh.failures == 0,
    );
    println!("      {}", fresh.method);
    println!(
        "{{\"version\":\"{version}\",\"repositories\":{repositories},\"changed\":{changed},\"full_requests\":{},\"refresh_requests\":{},\"share_percent\":{share:.2},\"full_ms\":{:.0},\"refresh_ms\":{:.0},\"exact\":{exact}}}",
        full.requests,
        fresh.requests,
        full.elapsed.as_secs_f64() * 1000.0,
        fresh.elapsed.as_secs_f64() * 1000.0,
    );
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let preset: Preset = args.first().map_or(Ok(Preset::Medium), |p| p.parse())?;
    let percent: f64 = args.get(1).map_or(Ok(1.0), |p| p.parse())?;
    let latency = Duration::from_millis(args.get(2).map_or(Ok(25), |l| l.parse())?);
    println!(
        "refresh after {percent} % of repositories changed ({preset:?}, {} ms per request, admin)",
        latency.as_millis()
    );
    for version in [
        HarborVersion::V2_10,
        HarborVersion::V2_13,
        HarborVersion::V2_16,
    ] {
        bench(preset, version, percent, latency).await?;
    }
    Ok(())
}
