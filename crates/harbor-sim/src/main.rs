//! `harbor-sim`: run the simulated Harbor from the command line.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use harbor_sim::{FaultPlan, HarborVersion, Preset, ServiceTime, SimConfig};

const USAGE: &str =
    "usage: harbor-sim [--addr 127.0.0.1:0] [--preset tiny|small|medium|large|xlarge] \
[--seed N] [--harbor-version 2.10..2.16, e.g. 2.15.2] [--latency-ms N] [--jitter-ms N] \
[--fault-rate 0..1] [--faults plan.json] [--login-lockout-ms N] [--hostile] [--cors] [--tls] \
[--workers N] [--queue-limit N] [--service-base-ms MS] [--service-item-ms MS] \
[--service-overview-ms MS]";

struct Args {
    addr: SocketAddr,
    cfg: SimConfig,
    tls: bool,
}

fn parse(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut args = Args {
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        cfg: SimConfig::default(),
        tls: false,
    };
    // Any capacity flag turns the service-time model on, with the defaults for the rest.
    let mut service: Option<ServiceTime> = None;
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        let num = |v: String, name: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("{name}: not a number: {v}"))
        };
        match flag.as_str() {
            "--addr" => {
                args.addr = value("--addr")?
                    .parse()
                    .map_err(|e| format!("--addr: {e}"))?
            }
            "--preset" => args.cfg.preset = value("--preset")?.parse::<Preset>()?,
            "--seed" => args.cfg.seed = num(value("--seed")?, "--seed")?,
            // `--version` is the older spelling, kept for scripts that use it.
            "--harbor-version" | "--version" => {
                args.cfg.version = value(&flag)?.parse::<HarborVersion>()?
            }
            "--latency-ms" => {
                args.cfg.latency =
                    Duration::from_millis(num(value("--latency-ms")?, "--latency-ms")?)
            }
            "--jitter-ms" => {
                args.cfg.jitter = Duration::from_millis(num(value("--jitter-ms")?, "--jitter-ms")?)
            }
            "--fault-rate" => {
                let v = value("--fault-rate")?;
                let rate: f64 = v
                    .parse()
                    .map_err(|_| format!("--fault-rate: not a number: {v}"))?;
                if !(0.0..=1.0).contains(&rate) {
                    return Err("--fault-rate must be within 0..=1".into());
                }
                args.cfg.faults.rate = rate;
            }
            "--faults" => {
                let path = value("--faults")?;
                let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
                let rate = args.cfg.faults.rate;
                args.cfg.faults =
                    serde_json::from_str::<FaultPlan>(&text).map_err(|e| format!("{path}: {e}"))?;
                if args.cfg.faults.rate == 0.0 {
                    args.cfg.faults.rate = rate;
                }
            }
            "--login-lockout-ms" => {
                args.cfg.login_lockout =
                    Duration::from_millis(num(value("--login-lockout-ms")?, "--login-lockout-ms")?)
            }
            "--workers" => {
                let n = num(value("--workers")?, "--workers")?;
                if n == 0 {
                    return Err("--workers must be at least 1".into());
                }
                args.cfg.capacity.workers = Some(usize::try_from(n).unwrap_or(usize::MAX));
                service.get_or_insert(ServiceTime::HARBOR);
            }
            "--queue-limit" => {
                let n = num(value("--queue-limit")?, "--queue-limit")?;
                args.cfg.capacity.queue_limit = Some(usize::try_from(n).unwrap_or(usize::MAX));
            }
            "--service-base-ms" => {
                service.get_or_insert(ServiceTime::HARBOR).base =
                    millis(value("--service-base-ms")?, "--service-base-ms")?
            }
            "--service-item-ms" => {
                service.get_or_insert(ServiceTime::HARBOR).per_item =
                    millis(value("--service-item-ms")?, "--service-item-ms")?
            }
            "--service-overview-ms" => {
                service
                    .get_or_insert(ServiceTime::HARBOR)
                    .scan_overview_per_item =
                    millis(value("--service-overview-ms")?, "--service-overview-ms")?
            }
            "--hostile" => args.cfg.hostile = true,
            "--cors" => args.cfg.cors = true,
            "--tls" => args.tls = true,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown flag {other}\n{USAGE}")),
        }
    }
    if args.cfg.capacity.queue_limit.is_some() && args.cfg.capacity.workers.is_none() {
        return Err("--queue-limit needs --workers".into());
    }
    args.cfg.capacity.service = service.unwrap_or(ServiceTime::ZERO);
    Ok(args)
}

/// A duration in milliseconds, fractions allowed (`0.5`), at most a minute.
fn millis(v: String, name: &str) -> Result<Duration, String> {
    let ms: f64 = v
        .parse()
        .map_err(|_| format!("{name}: not a number: {v}"))?;
    if !(0.0..=60_000.0).contains(&ms) {
        return Err(format!("{name} must be within 0..=60000 ms"));
    }
    Ok(Duration::from_secs_f64(ms / 1000.0))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = run(args).await {
        eprintln!("harbor-sim: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

async fn run(args: Args) -> std::io::Result<()> {
    let capacity = &args.cfg.capacity;
    if let Some(workers) = capacity.workers {
        let queue = capacity
            .queue_limit
            .map_or_else(|| "unbounded".to_owned(), |n| n.to_string());
        let s = capacity.service;
        eprintln!(
            "harbor-sim: {workers} workers, queue {queue}, service {:?} + {:?}/item (+{:?}/item with scan overview)",
            s.base, s.per_item, s.scan_overview_per_item
        );
    }
    if args.tls {
        #[cfg(feature = "tls")]
        return harbor_sim::tls::serve(args.cfg, args.addr).await;
        #[cfg(not(feature = "tls"))]
        return Err(std::io::Error::other("built without the `tls` feature"));
    }
    let sim = harbor_sim::Sim::new(args.cfg);
    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    let ds = sim.dataset();
    println!("listening on http://{}", listener.local_addr()?);
    eprintln!(
        "harbor-sim: Harbor {} with {} projects, {} repositories, {} artifacts",
        sim.config().version,
        ds.projects.len(),
        ds.repositories.len(),
        ds.artifact_count()
    );
    axum::serve(listener, sim.router()).await
}
