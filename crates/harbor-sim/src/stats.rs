//! Request counters for tests and benches (`/_sim/stats`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::faults::FaultKind;

/// One injected fault, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InjectedFault {
    /// HTTP method.
    pub method: String,
    /// Raw path and query.
    pub path_and_query: String,
    /// Status line sent (200 for body-level faults).
    pub status: u16,
    /// The response's `X-Request-Id`.
    pub request_id: String,
    /// Fault kind.
    pub kind: FaultKind,
    /// Attempt number of this method + URL (1-based).
    pub attempt: u32,
}

/// Requests after which [`Stats::max_in_flight_settled`] starts counting: about a tenth of
/// a `medium` crawl, long past a limiter's first windows.
pub const SETTLED_AFTER: u64 = 100;

/// A snapshot of the counters (the JSON of `GET /_sim/stats`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Harbor API requests since the last reset (`/_sim/*` not counted).
    pub requests_total: u64,
    /// Requests being served now.
    pub in_flight: u64,
    /// Most requests in flight at once since the last reset.
    pub max_in_flight: u64,
    /// Most requests in flight at once after the first [`SETTLED_AFTER`] requests since
    /// the last reset: the steady state, without a client's start-up probe (0 before).
    #[serde(default)]
    pub max_in_flight_settled: u64,
    /// Requests per route, e.g. `"GET /projects/{project_name}/repositories"`.
    pub by_route: BTreeMap<String, u64>,
    /// Requests per path as sent (query left out), e.g.
    /// `/api/v2.0/projects/p/repositories/a%252Fb/artifacts`: which repositories a
    /// refresh listed again.
    pub by_path: BTreeMap<String, u64>,
    /// Every injected fault, in order.
    pub faults_injected: Vec<InjectedFault>,
    /// The capacity model's counters (all zero without `--workers`).
    #[serde(default)]
    pub capacity: CapacityStats,
}

/// What the capacity model saw ([`crate::capacity`]): how hard the server was pushed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CapacityStats {
    /// Requests holding a worker now.
    pub in_service: u64,
    /// Most requests holding a worker at once (at most `workers`).
    pub max_in_service: u64,
    /// Most requests waiting for a worker at once.
    pub max_queued: u64,
    /// Requests that had to wait for a worker.
    pub queue_waits: u64,
    /// Their waits added up, in milliseconds.
    pub queue_wait_ms_total: u64,
    /// The longest wait, in milliseconds.
    pub queue_wait_ms_max: u64,
    /// Service times added up, in milliseconds (handler time included).
    pub service_ms_total: u64,
    /// Requests served by a worker.
    pub served: u64,
    /// Requests answered 503 because the line was full (`--queue-limit`).
    pub rejected: u64,
}

#[derive(Default)]
struct Inner {
    stats: Stats,
    /// Bumped by every reset, so late status updates cannot hit a new log.
    epoch: u64,
    attempts: HashMap<(String, String), u32>,
}

/// Thread-safe collector behind the simulator.
#[derive(Default)]
pub struct Collector {
    inner: Mutex<Inner>,
}

impl Collector {
    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        let mut guard = match self.inner.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }

    /// Counts a request's start; returns its attempt number for (method, path+query).
    pub fn begin(&self, route: String, method: &str, path_and_query: &str) -> u32 {
        self.with(|i| {
            let s = &mut i.stats;
            s.requests_total += 1;
            s.in_flight += 1;
            s.max_in_flight = s.max_in_flight.max(s.in_flight);
            if s.requests_total > SETTLED_AFTER {
                s.max_in_flight_settled = s.max_in_flight_settled.max(s.in_flight);
            }
            *s.by_route.entry(route).or_insert(0) += 1;
            let path = path_and_query.split('?').next().unwrap_or_default();
            *s.by_path.entry(path.to_owned()).or_insert(0) += 1;
            let n = i
                .attempts
                .entry((method.to_string(), path_and_query.to_string()))
                .or_insert(0);
            *n += 1;
            *n
        })
    }

    /// Counts a request's end.
    pub fn end(&self) {
        self.with(|i| i.stats.in_flight = i.stats.in_flight.saturating_sub(1));
    }

    /// Records an injected fault; returns its slot for [`Collector::set_fault_status`].
    pub fn fault(&self, f: InjectedFault) -> (u64, usize) {
        self.with(|i| {
            i.stats.faults_injected.push(f);
            (i.epoch, i.stats.faults_injected.len() - 1)
        })
    }

    /// Sets the final status of a recorded fault (ignored if the log was reset meanwhile).
    pub fn set_fault_status(&self, slot: (u64, usize), status: u16) {
        self.with(|i| {
            if i.epoch == slot.0 {
                if let Some(f) = i.stats.faults_injected.get_mut(slot.1) {
                    f.status = status;
                }
            }
        })
    }

    /// A copy of the counters.
    pub fn snapshot(&self) -> Stats {
        self.with(|i| i.stats.clone())
    }

    /// Zeroes counters, the fault log and attempt numbers (requests in flight stay counted).
    pub fn reset(&self) {
        self.with(|i| {
            let in_flight = i.stats.in_flight;
            let in_service = i.stats.capacity.in_service;
            i.stats = Stats {
                in_flight,
                max_in_flight: in_flight,
                capacity: CapacityStats {
                    in_service,
                    max_in_service: in_service,
                    ..CapacityStats::default()
                },
                ..Stats::default()
            };
            i.epoch += 1;
            i.attempts.clear();
        })
    }

    /// A request joined the line for a worker, `queued` long with it.
    pub fn queued(&self, queued: usize) {
        self.with(|i| {
            let c = &mut i.stats.capacity;
            c.max_queued = c.max_queued.max(queued as u64);
        })
    }

    /// A request got a worker after waiting `wait`.
    pub fn service_begin(&self, wait: std::time::Duration) {
        self.with(|i| {
            let c = &mut i.stats.capacity;
            c.in_service += 1;
            c.max_in_service = c.max_in_service.max(c.in_service);
            if !wait.is_zero() {
                c.queue_waits += 1;
                let ms = millis(wait);
                c.queue_wait_ms_total += ms;
                c.queue_wait_ms_max = c.queue_wait_ms_max.max(ms);
            }
        })
    }

    /// A request gave its worker back after `service`.
    pub fn service_end(&self, service: std::time::Duration) {
        self.with(|i| {
            let c = &mut i.stats.capacity;
            c.in_service = c.in_service.saturating_sub(1);
            c.served += 1;
            c.service_ms_total += millis(service);
        })
    }

    /// A request was turned away: the line was full.
    pub fn rejected(&self) {
        self.with(|i| i.stats.capacity.rejected += 1)
    }

    /// Forgets attempt numbers only (a new fault plan starts from attempt 1).
    pub fn reset_attempts(&self) {
        self.with(|i| i.attempts.clear())
    }
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Gives the worker back (in the counters) when dropped, so a request whose client went
/// away mid-service is not counted as served forever.
pub struct InService<'a> {
    collector: &'a Collector,
    start: tokio::time::Instant,
}

impl<'a> InService<'a> {
    /// A request got a worker now, after waiting `wait`.
    pub fn begin(collector: &'a Collector, wait: std::time::Duration) -> Self {
        collector.service_begin(wait);
        InService {
            collector,
            start: tokio::time::Instant::now(),
        }
    }

    /// When the service started.
    pub fn start(&self) -> tokio::time::Instant {
        self.start
    }
}

impl Drop for InService<'_> {
    fn drop(&mut self) {
        self.collector.service_end(self.start.elapsed());
    }
}

/// Decrements in-flight when dropped, so cancelled requests are not counted forever.
pub struct InFlight<'a>(pub &'a Collector);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.end();
    }
}

/// The route key of a Harbor API path: `/api/v2.0` stripped, parameters named as in the
/// spec (`/projects/{project_name}/repositories/{repository_name}/artifacts`).
pub fn route_key(method: &str, path: &str) -> String {
    let rest = path.strip_prefix("/api/v2.0").unwrap_or(path);
    let segs: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let mut out = String::new();
    let mut prev = "";
    for (i, s) in segs.iter().enumerate() {
        let name = match prev {
            "projects" if segs.get(i + 1).is_some() || i == 1 => {
                if segs.len() > i + 1 && segs[i + 1] == "repositories" {
                    "{project_name}"
                } else {
                    "{project_name_or_id}"
                }
            }
            "repositories" if i >= 3 => "{repository_name}",
            "artifacts" if i >= 3 => "{reference}",
            "additions" => "{addition}",
            _ => s,
        };
        out.push('/');
        out.push_str(name);
        prev = s;
    }
    if out.is_empty() {
        out.push('/');
    }
    format!("{method} {out}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_keys() {
        assert_eq!(route_key("GET", "/api/v2.0/projects"), "GET /projects");
        assert_eq!(
            route_key("GET", "/api/v2.0/projects/7"),
            "GET /projects/{project_name_or_id}"
        );
        assert_eq!(
            route_key("GET", "/api/v2.0/projects/lib/repositories/a%252Fb/artifacts/sha256:1/tags"),
            "GET /projects/{project_name}/repositories/{repository_name}/artifacts/{reference}/tags"
        );
        assert_eq!(
            route_key("GET", "/api/v2.0/projects/lib/artifacts"),
            "GET /projects/{project_name_or_id}/artifacts"
        );
        assert_eq!(
            route_key("GET", "/api/v2.0/repositories"),
            "GET /repositories"
        );
    }

    #[test]
    fn the_settled_maximum_leaves_out_the_start() {
        let stats = Collector::default();
        // A start-up burst of 10 at once, then one at a time up to the threshold.
        for _ in 0..10 {
            stats.begin("GET /projects".into(), "GET", "/api/v2.0/projects");
        }
        (0..10).for_each(|_| stats.end());
        for _ in 10..SETTLED_AFTER {
            stats.begin("GET /projects".into(), "GET", "/api/v2.0/projects");
            stats.end();
        }
        assert_eq!(stats.snapshot().max_in_flight_settled, 0);
        // Past it, 3 at once.
        for _ in 0..3 {
            stats.begin("GET /projects".into(), "GET", "/api/v2.0/projects");
        }
        let s = stats.snapshot();
        assert_eq!((s.max_in_flight, s.max_in_flight_settled), (10, 3));
        stats.reset();
        assert_eq!(stats.snapshot().max_in_flight_settled, 0);
    }
}
