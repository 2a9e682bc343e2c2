//! A simulated Harbor v2.0 API server.
//!
//! It serves `/api/v2.0/...` as Harbor does on every point a GET client can observe
//! (paging, `q`, double-encoded repository names, auth quirks, field presence), from a
//! dataset generated deterministically from a seed, plus `/_sim/...` endpoints for tests
//! (counters, fault plans, ground truth).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use harbor_sim::{spawn, Preset, SimConfig};
//! let handle = spawn(SimConfig { preset: Preset::Tiny, ..SimConfig::default() }).await?;
//! println!("{}/api/v2.0/projects", handle.base_url());
//! # Ok(()) }
//! ```

pub mod accessories;
pub mod auth;
pub mod capacity;
pub mod dataset;
pub mod faults;
pub mod hostile;
mod middleware;
pub mod paging;
pub mod query;
pub mod render;
pub mod rng;
mod routes;
pub mod security;
pub mod stats;
pub mod storage;
pub mod time;
#[cfg(feature = "tls")]
pub mod tls;
mod version;
pub mod vulns;

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

pub use auth::Principal;
pub use capacity::{Capacity, ServiceTime};
pub use dataset::{Dataset, Mutation, MutationReport, Preset, Shape, TruthRow};
pub use faults::{FaultKind, FaultPlan, FaultRule};
pub use stats::{CapacityStats, InjectedFault, Stats};

/// The Harbor release being emulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HarborVersion {
    /// Major (2).
    pub major: u32,
    /// Minor (10, 13, ...).
    pub minor: u32,
    /// Patch.
    pub patch: u32,
}

impl HarborVersion {
    /// Harbor 2.10.0: no project-level artifact list, no `repository_name`/`artifact_type`.
    pub const V2_10: HarborVersion = HarborVersion::new(2, 10, 0);
    /// Harbor 2.13.1.
    pub const V2_13: HarborVersion = HarborVersion::new(2, 13, 1);

    /// True when this version is at least `major.minor`.
    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        (self.major, self.minor) >= (major, minor)
    }

    /// `harbor_version` as `/systeminfo` prints it: `v2.13.1-<8 hex of a fake commit>`.
    pub fn harbor_version_string(&self) -> String {
        let h = rng::hash_str(0, &self.to_string());
        format!("v{self}-{:08x}", h as u32)
    }
}

impl Default for HarborVersion {
    fn default() -> Self {
        HarborVersion::V2_13
    }
}

impl fmt::Display for HarborVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl FromStr for HarborVersion {
    type Err = String;
    /// Accepts `2.10`, `2.13.1`, `v2.13.1`, from 2.10 to 2.16.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().trim_start_matches('v');
        let parts: Vec<&str> = t.split('.').collect();
        let num = |i: usize| -> Result<u32, String> {
            match parts.get(i) {
                None => Ok(0),
                Some(p) => p.parse().map_err(|_| format!("bad Harbor version {s:?}")),
            }
        };
        if parts.len() < 2 || parts.len() > 3 {
            return Err(format!(
                "bad Harbor version {s:?} (want e.g. 2.13 or 2.10.0)"
            ));
        }
        let v = HarborVersion::new(num(0)?, num(1)?, num(2)?);
        let (oldest, newest) = (HarborVersion::OLDEST, HarborVersion::NEWEST);
        if (v.major, v.minor) < (oldest.major, oldest.minor)
            || (v.major, v.minor) > (newest.major, newest.minor)
        {
            return Err(format!(
                "Harbor {v} is not emulated (2.{} to 2.{})",
                oldest.minor, newest.minor
            ));
        }
        Ok(v)
    }
}

/// Everything that shapes a simulator.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Dataset size.
    pub preset: Preset,
    /// Seed of the dataset, jitter and random faults.
    pub seed: u64,
    /// Harbor release to emulate.
    pub version: HarborVersion,
    /// Time from a request's arrival to its answer, the server's own work included
    /// (a slower handler answers later).
    pub latency: Duration,
    /// Up to this much more, deterministic per (method, URL, attempt).
    pub jitter: Duration,
    /// Faults to inject.
    pub faults: FaultPlan,
    /// Hostile free text everywhere.
    pub hostile: bool,
    /// Send permissive CORS headers (real Harbor sends none).
    pub cors: bool,
    /// Override the preset's dataset shape (not for Tiny's literal layout).
    pub shape: Option<Shape>,
    /// Harbor sleeps 1.5 s after a failed password login and treats that username as
    /// anonymous for 1.5 s. Zero (the default) turns this off so tests stay fast.
    pub login_lockout: Duration,
    /// Workers, queue and service times ([`capacity`]); the default is unlimited and
    /// instant.
    pub capacity: Capacity,
}

impl SimConfig {
    /// `preset`'s dataset as `version` serves it, `latency` away; the rest as default.
    pub fn of(preset: Preset, version: HarborVersion, latency: Duration) -> SimConfig {
        SimConfig {
            preset,
            version,
            latency,
            ..SimConfig::default()
        }
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            preset: Preset::Small,
            seed: 42,
            version: HarborVersion::default(),
            latency: Duration::ZERO,
            jitter: Duration::ZERO,
            faults: FaultPlan::default(),
            hostile: false,
            cors: false,
            shape: None,
            login_lockout: Duration::ZERO,
            capacity: Capacity::default(),
        }
    }
}

/// A running simulator's state: dataset, fault plan and counters.
pub struct Sim {
    cfg: SimConfig,
    dataset: Dataset,
    /// The latest mutated dataset. Each mutation leaks one dataset copy so that
    /// `dataset()` can keep handing out plain references; mutations are a test tool.
    mutated: RwLock<Option<&'static Dataset>>,
    generation: std::sync::atomic::AtomicU64,
    faults: RwLock<FaultPlan>,
    stats: stats::Collector,
    locked: std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>,
    request_counter: std::sync::atomic::AtomicU64,
    gate: capacity::Gate,
}

impl fmt::Debug for Sim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sim")
            .field("cfg", &self.cfg)
            .finish_non_exhaustive()
    }
}

impl Sim {
    /// Generates the dataset and builds the simulator.
    pub fn new(cfg: SimConfig) -> Arc<Sim> {
        let mut dataset = Dataset::generate(cfg.preset, cfg.seed, cfg.hostile, cfg.shape);
        dataset.version = cfg.version;
        Arc::new(Sim {
            faults: RwLock::new(cfg.faults.clone()),
            gate: capacity::Gate::new(&cfg.capacity),
            cfg,
            dataset,
            mutated: RwLock::new(None),
            generation: std::sync::atomic::AtomicU64::new(0),
            stats: stats::Collector::default(),
            locked: std::sync::Mutex::new(std::collections::HashMap::new()),
            request_counter: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// The axum router serving `/api/v2.0/...` and `/_sim/...`.
    pub fn router(self: &Arc<Self>) -> axum::Router {
        routes::router(self.clone())
    }

    /// The configuration.
    pub fn config(&self) -> &SimConfig {
        &self.cfg
    }

    /// The dataset (ground truth for tests).
    pub fn dataset(&self) -> &Dataset {
        let current = match self.mutated.read() {
            Ok(g) => *g,
            Err(p) => *p.into_inner(),
        };
        current.unwrap_or(&self.dataset)
    }

    /// Applies a mutation (pushes/deletes in some repositories) and returns what changed.
    /// Requests already running keep the dataset they started with.
    pub fn mutate(&self, m: &dataset::Mutation) -> dataset::MutationReport {
        let mut slot = match self.mutated.write() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let base: &Dataset = slot.unwrap_or(&self.dataset);
        let generation = self
            .generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        let (next, report) = base.mutated(m, generation);
        *slot = Some(Box::leak(Box::new(next)));
        report
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        self.stats.snapshot()
    }

    /// Zeroes the counters, the fault log and the per-URL attempt numbers.
    pub fn reset_stats(&self) {
        self.stats.reset()
    }

    /// Replaces the fault plan; attempt numbers restart at 1.
    pub fn set_faults(&self, plan: FaultPlan) {
        match self.faults.write() {
            Ok(mut g) => *g = plan,
            Err(p) => *p.into_inner() = plan,
        }
        self.stats.reset_attempts();
    }

    /// The current fault plan.
    pub fn faults(&self) -> FaultPlan {
        match self.faults.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// The principal of an `Authorization` header value. Bad credentials give anonymous;
    /// with `login_lockout` set, a failed user login also sleeps and locks the username.
    pub(crate) async fn authenticate(&self, header: Option<&str>) -> Principal {
        let Some((name, secret)) = header.and_then(auth::parse_basic) else {
            return Principal::Anonymous;
        };
        let lockout = self.cfg.login_lockout;
        let now = std::time::Instant::now();
        if !lockout.is_zero() {
            let locked = match self.locked.lock() {
                Ok(g) => g.get(&name).is_some_and(|until| *until > now),
                Err(p) => p.into_inner().get(&name).is_some_and(|until| *until > now),
            };
            if locked {
                return Principal::Anonymous;
            }
        }
        if let Some(p) = self.dataset().principal_by_credentials(&name, &secret) {
            return p;
        }
        let is_robot = name.starts_with("robot$");
        if !lockout.is_zero() && !is_robot {
            match self.locked.lock() {
                Ok(mut g) => g.insert(name, now + lockout),
                Err(p) => p.into_inner().insert(name, now + lockout),
            };
            tokio::time::sleep(lockout).await;
        }
        Principal::Anonymous
    }

    pub(crate) fn gate(&self) -> &capacity::Gate {
        &self.gate
    }

    pub(crate) fn collector(&self) -> &stats::Collector {
        &self.stats
    }

    pub(crate) fn next_request_id(&self) -> String {
        let n = self
            .request_counter
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        rng::uuid_like(rng::mix(self.cfg.seed ^ 0x4E9, n))
    }
}

/// A simulator serving on a local port.
#[derive(Debug)]
pub struct SimHandle {
    sim: Arc<Sim>,
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
    /// `http`, or `https` for [`tls::spawn`].
    scheme: &'static str,
}

impl SimHandle {
    /// `http://127.0.0.1:PORT` (`https://` when served over TLS).
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The simulator behind the server.
    pub fn sim(&self) -> &Arc<Sim> {
        &self.sim
    }

    /// Every artifact `user` may see (`None`: anonymous), by the simulator's own truth:
    /// what a test compares a crawl with. Panics on a user the dataset does not have, a
    /// mistake in the test itself.
    pub fn truth_for(&self, user: Option<&str>) -> Vec<TruthRow> {
        let dataset = self.sim.dataset();
        let name = user.unwrap_or("anonymous");
        let principal = dataset
            .principal_by_name(name)
            .unwrap_or_else(|| panic!("the simulator has no user {name}"));
        dataset.truth(&principal)
    }

    /// [`SimHandle::truth_for`] as `(repository, digest)` keys, into any collection.
    pub fn truth_keys<C: FromIterator<(String, String)>>(&self, user: Option<&str>) -> C {
        self.truth_for(user)
            .into_iter()
            .map(|row| (row.repository, row.digest))
            .collect()
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a simulator on `127.0.0.1:0` (plain HTTP/1.1) and returns once it listens.
pub async fn spawn(cfg: SimConfig) -> std::io::Result<SimHandle> {
    spawn_on(cfg, SocketAddr::from(([127, 0, 0, 1], 0))).await
}

/// Starts a simulator on `addr`.
pub async fn spawn_on(cfg: SimConfig, addr: SocketAddr) -> std::io::Result<SimHandle> {
    let sim = Sim::new(cfg);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let app = sim.router();
    let task = tokio::spawn(async move {
        // The server only ends when the task is aborted; an accept error ends it too.
        let _ = axum::serve(listener, app).await;
    });
    Ok(SimHandle {
        sim,
        addr,
        task,
        scheme: "http",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse() {
        assert_eq!("2.10".parse::<HarborVersion>(), Ok(HarborVersion::V2_10));
        assert_eq!("v2.13.1".parse::<HarborVersion>(), Ok(HarborVersion::V2_13));
        assert!("2".parse::<HarborVersion>().is_err());
        assert_eq!(
            "2.15.2".parse::<HarborVersion>(),
            Ok(HarborVersion::V2_15_2)
        );
        assert_eq!("2.16".parse::<HarborVersion>(), Ok(HarborVersion::V2_16));
        let old = "2.9".parse::<HarborVersion>().unwrap_err();
        assert_eq!(old, "Harbor 2.9.0 is not emulated (2.10 to 2.16)");
        assert!("2.17.0".parse::<HarborVersion>().is_err());
        assert!("3.0".parse::<HarborVersion>().is_err());
        assert!(HarborVersion::V2_13.at_least(2, 12));
        assert!(!HarborVersion::V2_10.at_least(2, 12));
        assert!(HarborVersion::V2_13
            .harbor_version_string()
            .starts_with("v2.13.1-"));
    }
}
