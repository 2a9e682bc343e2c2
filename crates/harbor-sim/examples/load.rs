//! Prints how many artifact-list requests per second the simulator serves.
//! Run: `cargo run -p harbor-sim --example load --profile host -- [preset] [requests] [concurrency]`.

use std::time::Instant;

use futures::StreamExt;
use harbor_sim::{render, spawn, Preset, SimConfig};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let preset: Preset = args
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or(Preset::Medium);
    let requests: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(2_000);
    let concurrency: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(16);
    let t = Instant::now();
    let handle = spawn(SimConfig {
        preset,
        ..SimConfig::default()
    })
    .await?;
    println!("{preset:?} generated and listening in {:?}", t.elapsed());
    let ds = handle.sim().dataset();
    let urls: Vec<String> = ds
        .repositories
        .iter()
        .filter(|r| ds.project_of_repo(r).public)
        .cycle()
        .take(requests)
        .map(|r| {
            format!(
                "{}/api/v2.0/projects/{}/repositories/{}/artifacts?page_size=100&with_scan_overview=true&with_label=true",
                handle.base_url(),
                ds.project_of_repo(r).name,
                render::encode_repo_twice(render::short_name(ds, r))
            )
        })
        .collect();
    let client = reqwest::Client::new();
    let t = Instant::now();
    let bytes: usize = futures::stream::iter(urls)
        .map(|u| {
            let c = client.clone();
            async move {
                match c.get(u).send().await {
                    Ok(r) => r.bytes().await.map(|b| b.len()).unwrap_or(0),
                    Err(_) => 0,
                }
            }
        })
        .buffer_unordered(concurrency)
        .fold(0, |acc, n| async move { acc + n })
        .await;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{requests} requests, concurrency {concurrency}: {:.0} req/s, {:.1} MB/s, max in flight {}",
        requests as f64 / secs,
        bytes as f64 / secs / 1e6,
        handle.sim().stats().max_in_flight
    );
    Ok(())
}
