//! `harbor-sim`: run the simulated Harbor from the command line.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use harbor_sim::{FaultPlan, HarborVersion, Preset, SimConfig};

const USAGE: &str = "usage: harbor-sim [--addr 127.0.0.1:0] [--preset tiny|small|medium|large] \
[--seed N] [--harbor-version 2.10..2.16, e.g. 2.15.2] [--latency-ms N] [--jitter-ms N] [--fault-rate 0..1] \
[--faults plan.json] [--login-lockout-ms N] [--hostile] [--cors] [--tls]";

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
            "--hostile" => args.cfg.hostile = true,
            "--cors" => args.cfg.cors = true,
            "--tls" => args.tls = true,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown flag {other}\n{USAGE}")),
        }
    }
    Ok(args)
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
