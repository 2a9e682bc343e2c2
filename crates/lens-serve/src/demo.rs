//! `--demo`: the simulated Harbor, mounted in process.

use crate::config::DemoOptions;
use harbor_sim::{Capacity, FaultPlan, HarborVersion, Preset, Sim, SimConfig};
use std::sync::Arc;

/// The simulator configuration for the command-line demo options.
pub fn sim_config(opts: &DemoOptions) -> Result<SimConfig, String> {
    let preset: Preset = opts.preset.parse()?;
    let version: HarborVersion = opts.harbor_version.parse()?;
    if opts.queue_limit.is_some() && opts.workers.is_none() {
        return Err("--queue-limit needs --workers".into());
    }
    let faults = FaultPlan {
        rate: opts.fault_rate,
        ..FaultPlan::default()
    };
    Ok(SimConfig {
        preset,
        seed: opts.seed,
        version,
        latency: opts.latency,
        jitter: opts.jitter,
        faults,
        hostile: opts.hostile,
        cors: opts.cors,
        capacity: match opts.workers {
            Some(workers) => Capacity {
                queue_limit: opts.queue_limit,
                ..Capacity::harbor(workers)
            },
            None => Capacity::default(),
        },
        login_lockout: opts.login_lockout,
        ..SimConfig::default()
    })
}

/// Builds the simulator (generating its dataset) and returns it with its router.
pub fn mount(opts: &DemoOptions) -> Result<(Arc<Sim>, axum::Router), String> {
    let sim = Sim::new(sim_config(opts)?);
    let router = sim.router();
    Ok((sim, router))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn options_reach_the_simulator() {
        let opts = DemoOptions {
            harbor_version: "2.15.2".into(),
            login_lockout: Duration::from_millis(1500),
            ..DemoOptions::default()
        };
        let cfg = sim_config(&opts).expect("valid options");
        assert_eq!(cfg.version, HarborVersion::V2_15_2);
        assert_eq!(cfg.login_lockout, Duration::from_millis(1500));
        let old = DemoOptions {
            harbor_version: "2.9".into(),
            ..DemoOptions::default()
        };
        assert_eq!(
            sim_config(&old).unwrap_err(),
            "Harbor 2.9.0 is not emulated (2.10 to 2.16)"
        );
    }
}
