//! Load figures for lens-serve in proxy mode, printed as a table (not a timed test).
//!
//! ```text
//! cargo run --profile host -p lens-serve --example load_bench [-- --concurrent 1000 --slow 500]
//! ```
//!
//! The example starts a fake Harbor on loopback, then runs lens-serve (this same
//! executable, re-started with `--serve-child`, so the server's memory and descriptors are
//! its own) in front of it, and measures:
//!
//! 1. `--concurrent` proxied requests at once, each on its own connection;
//! 2. `--slow` slow sockets (each trickling a request head, one byte a second) held open
//!    while a normal client makes requests one after another, each on a new connection.
//!
//! For each phase: requests, answered 200, p50/p99/max latency, and the server's peak
//! open file descriptors (`/proc/PID/fd`) and resident memory (`VmRSS`). All traffic goes
//! to 127.0.0.1; every phase is bounded in count and time.

use axum::extract::Query;
use axum::response::IntoResponse;
use lens_serve::access_log::AccessLog;
use lens_serve::config::{Backend, Config, ProxyOptions};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

/// A page of 20 projects, about Harbor's size for one.
fn projects_page() -> String {
    let rows: Vec<String> = (0..20)
        .map(|i| {
            format!(
                r#"{{"project_id":{i},"name":"project-{i}","repo_count":{},"metadata":{{"public":"true"}}}}"#,
                i * 7
            )
        })
        .collect();
    format!("[{}]", rows.join(","))
}

/// The fake Harbor: `/api/v2.0/projects?delay_ms=N` answers after N ms.
async fn fake_harbor() -> SocketAddr {
    let page = Arc::new(projects_page());
    let app = axum::Router::new().route(
        "/api/v2.0/projects",
        axum::routing::get(move |Query(q): Query<HashMap<String, u64>>| {
            let page = page.clone();
            async move {
                let delay = q.get("delay_ms").copied().unwrap_or(0);
                tokio::time::sleep(Duration::from_millis(delay)).await;
                ([("content-type", "application/json")], (*page).clone()).into_response()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the fake Harbor");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// The child: lens-serve in front of the fake Harbor, until stdin closes.
async fn serve_child(upstream: &str, dist: &str) -> Result<(), String> {
    let config = Config {
        addr: "127.0.0.1:0".parse().map_err(|e| format!("{e}"))?,
        dist: dist.into(),
        backend: Backend::Harbor(ProxyOptions::new(upstream).map_err(|e| e.to_string())?),
        access_log: false,
        ..Config::default()
    };
    let server = lens_serve::spawn(config, AccessLog::off())
        .await
        .map_err(|e| e.to_string())?;
    println!("{}", server.addr());
    // The parent closes our stdin to stop us.
    let mut line = String::new();
    let _ = tokio::io::BufReader::new(tokio::io::stdin())
        .read_line(&mut line)
        .await;
    server.shutdown().await.map_err(|e| e.to_string())
}

/// Peak descriptors and resident memory of a process, sampled every 10 ms.
#[derive(Default)]
struct Peaks {
    fds: AtomicU64,
    rss_kb: AtomicU64,
}

fn sample(pid: u32, peaks: &Peaks) {
    if let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
        peaks.fds.fetch_max(dir.count() as u64, Ordering::Relaxed);
    }
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    peaks.rss_kb.fetch_max(rss, Ordering::Relaxed);
}

/// Samples until `stop` is set; returns the peaks.
fn watch(pid: u32, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<Peaks> {
    tokio::spawn(async move {
        let peaks = Peaks::default();
        while !stop.load(Ordering::Relaxed) {
            sample(pid, &peaks);
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        sample(pid, &peaks);
        peaks
    })
}

/// One row of the table.
struct Row {
    phase: String,
    requests: usize,
    ok: usize,
    latencies: Vec<Duration>,
    peaks: Peaks,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// A client that keeps no idle connection: every request that is not running alongside
/// another opens a fresh one, like a new visitor.
fn fresh_connections() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .http1_only()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client")
}

/// Phase 1: `n` proxied requests at once, each on its own connection.
async fn concurrent(addr: SocketAddr, pid: u32, n: usize) -> Row {
    let client = fresh_connections();
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = watch(pid, stop.clone());
    let url = format!("http://{addr}/api/v2.0/projects?delay_ms=50");
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let url = url.clone();
            let client = client.clone();
            tokio::spawn(async move {
                let started = Instant::now();
                let r = tokio::time::timeout(Duration::from_secs(60), client.get(&url).send())
                    .await
                    .ok()?
                    .ok()?;
                let ok = r.status() == 200 && r.bytes().await.is_ok();
                Some((ok, started.elapsed()))
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut ok = 0;
    for t in tasks {
        if let Ok(Some((good, took))) = t.await {
            ok += usize::from(good);
            latencies.push(took);
        }
    }
    stop.store(true, Ordering::Relaxed);
    Row {
        phase: format!("{n} concurrent proxied requests (Harbor 50 ms, 32 at once)"),
        requests: n,
        ok,
        latencies,
        peaks: watcher.await.unwrap_or_default(),
    }
}

/// Phase 2: `slow` sockets trickling heads while a client makes `n` requests 20 ms apart,
/// each on a new connection, half for the page and half proxied (Harbor answering at once).
async fn slow_sockets(addr: SocketAddr, pid: u32, slow: usize, n: usize) -> Vec<Row> {
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = watch(pid, stop.clone());
    let mut sockets = Vec::with_capacity(slow);
    for _ in 0..slow {
        if let Ok(mut s) = tokio::net::TcpStream::connect(addr).await {
            let head = format!("GET / HTTP/1.1\r\nHost: {addr}\r\nX-Slow: ");
            let _ = s.write_all(head.as_bytes()).await;
            sockets.push(s);
        }
    }
    let trickle_stop = stop.clone();
    let trickler = tokio::spawn(async move {
        while !trickle_stop.load(Ordering::Relaxed) {
            for s in sockets.iter_mut() {
                let _ = s.write_all(b"a").await;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        sockets.len()
    });
    let mut rows = Vec::new();
    let client = fresh_connections();
    for (label, path) in [
        ("page", "/".to_owned()),
        ("proxied", "/api/v2.0/projects?delay_ms=0".to_owned()),
    ] {
        let mut latencies = Vec::new();
        let mut ok = 0;
        for _ in 0..n / 2 {
            let started = Instant::now();
            let sent = tokio::time::timeout(
                Duration::from_secs(10),
                client.get(format!("http://{addr}{path}")).send(),
            )
            .await;
            if let Ok(Ok(r)) = sent {
                if r.status() == 200 && r.bytes().await.is_ok() {
                    ok += 1;
                }
            }
            latencies.push(started.elapsed());
            // Paced, so the slow sockets keep trickling through the whole phase.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        rows.push(Row {
            phase: format!("{label}, new connection each, while {slow} slow sockets are open"),
            requests: n / 2,
            ok,
            latencies,
            peaks: Peaks::default(),
        });
    }
    stop.store(true, Ordering::Relaxed);
    let _ = trickler.await;
    let peaks = watcher.await.unwrap_or_default();
    for row in &mut rows {
        row.peaks
            .fds
            .store(peaks.fds.load(Ordering::Relaxed), Ordering::Relaxed);
        row.peaks
            .rss_kb
            .store(peaks.rss_kb.load(Ordering::Relaxed), Ordering::Relaxed);
    }
    rows
}

fn flag(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    format!("{cores} cores, {cpu} (load {load})")
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--serve-child") {
        let (Some(upstream), Some(dist)) = (args.get(2), args.get(3)) else {
            return Err("usage: --serve-child UPSTREAM DIST".into());
        };
        return serve_child(upstream, dist).await;
    }
    let n = flag(&args, "--concurrent", 1000).min(5000);
    let slow = flag(&args, "--slow", 500).min(2000);
    let normal = flag(&args, "--requests", 200).min(2000);

    let dist = std::env::temp_dir().join(format!("lens-serve-load-{}", std::process::id()));
    std::fs::create_dir_all(&dist).map_err(|e| e.to_string())?;
    std::fs::write(
        dist.join("index.html"),
        "<!DOCTYPE html><title>load</title>\n",
    )
    .map_err(|e| e.to_string())?;
    let harbor = fake_harbor().await;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = tokio::process::Command::new(exe)
        .arg("--serve-child")
        .arg(format!("http://{harbor}"))
        .arg(&dist)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| e.to_string())?;
    let pid = child.id().ok_or("no child pid")?;
    let mut line = String::new();
    let stdout = child.stdout.take().ok_or("no child stdout")?;
    tokio::io::BufReader::new(stdout)
        .read_line(&mut line)
        .await
        .map_err(|e| e.to_string())?;
    let addr: SocketAddr = line
        .trim()
        .parse()
        .map_err(|_| format!("child said {line:?}"))?;

    let idle = Peaks::default();
    sample(pid, &idle);
    let mut rows = vec![concurrent(addr, pid, n).await];
    rows.extend(slow_sockets(addr, pid, slow, normal).await);

    println!(
        "lens-serve load — {} — {}",
        std::process::Command::new("date")
            .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default(),
        machine()
    );
    println!(
        "server at rest: {} open fds, VmRSS {} MiB; open-file limit {}; all traffic on 127.0.0.1",
        idle.fds.load(Ordering::Relaxed),
        idle.rss_kb.load(Ordering::Relaxed) / 1024,
        lens_serve::listener::open_file_limit().map_or("unknown".into(), |n| n.to_string())
    );
    println!();
    println!("| phase | requests | 200 | p50 | p99 | max | server peak fds | server peak VmRSS |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for row in &mut rows {
        row.latencies.sort();
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} MiB |",
            row.phase,
            row.requests,
            row.ok,
            ms(percentile(&row.latencies, 0.5)),
            ms(percentile(&row.latencies, 0.99)),
            ms(row.latencies.last().copied().unwrap_or_default()),
            row.peaks.fds.load(Ordering::Relaxed),
            row.peaks.rss_kb.load(Ordering::Relaxed) / 1024
        );
    }
    let slow_p99 = rows
        .iter()
        .skip(1)
        .map(|r| percentile(&r.latencies, 0.99))
        .max()
        .unwrap_or_default();
    println!();
    println!(
        "normal client p99 with {slow} slow sockets open: {} (target < 100 ms: {})",
        ms(slow_p99),
        if slow_p99 < Duration::from_millis(100) {
            "met"
        } else {
            "missed"
        }
    );
    drop(child.stdin.take());
    let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
    let _ = std::fs::remove_dir_all(&dist);
    Ok(())
}
