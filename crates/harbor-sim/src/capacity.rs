//! A Harbor with limited capacity: a few requests served at once, the rest waiting in
//! line, and a service time that grows with what a request returns.
//!
//! Harbor's core answers each API request with a goroutine and a handful of database
//! queries, and its own work dominates what a client sees: a page of 100 artifacts costs
//! 580 ms, and 5.7 s with `with_scan_overview=true` (goharbor/harbor#18598); listing
//! artifacts took 2.45 s on average under load (goharbor/harbor#14925). Harbor has no
//! rate limit of its own (goharbor/harbor#14716), so a client that sends more than the
//! database can serve only makes everyone wait longer. This module models that:
//!
//! - `workers`: requests served at once (database connections, core replicas). The rest
//!   wait in a first-come, first-served queue (tokio's semaphore is fair).
//! - a service time per request of `base + per_item x items`, plus
//!   `scan_overview_per_item x items` when the request asked for `with_scan_overview`,
//!   where `items` is how many rows a list answered (0 for anything else). The
//!   handler runs inside that time; a slower handler is not made slower still.
//! - `queue_limit`: requests allowed to wait; one more is answered at once with an HTML
//!   503, as a saturated nginx or ingress in front of Harbor does.
//!
//! The network latency ([`crate::SimConfig::latency`]) is paid outside the workers: half
//! on the way in, before the queue, and half on the way out.
//!
//! The defaults ([`ServiceTime::HARBOR`]) are a tenth of the figures above, so benches
//! stay short while the shape stays: 10 ms for any request (authentication and a count
//! query), 0.5 ms per item listed, 4.5 ms more per item with the scan overview (Harbor
//! looks up each artifact's report: about ten times the plain listing, as in #18598).
//! A page of 100 artifacts takes 60 ms, or 510 ms with the overview.
//!
//! Without `workers` nothing changes: unlimited, and no service time.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How much a simulated Harbor can serve.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capacity {
    /// Requests served at once; `None` is unlimited (and then no service time either,
    /// unless [`Capacity::service`] is set).
    pub workers: Option<usize>,
    /// Requests allowed to wait for a worker; one more gets a 503 at once. `None` lets
    /// the line grow without end (Harbor's own behaviour).
    pub queue_limit: Option<usize>,
    /// What a request costs.
    pub service: ServiceTime,
}

impl Capacity {
    /// `workers` at once, with Harbor-like service times and no queue limit.
    pub fn harbor(workers: usize) -> Capacity {
        Capacity {
            workers: Some(workers.max(1)),
            queue_limit: None,
            service: ServiceTime::HARBOR,
        }
    }

    /// Whether requests go through the model at all.
    pub fn is_active(&self) -> bool {
        self.workers.is_some() || self.service != ServiceTime::ZERO
    }
}

/// The service time of one request: `base + items x (per_item + overview)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServiceTime {
    /// Paid by every request.
    pub base: Duration,
    /// Paid per item of a JSON array answered.
    pub per_item: Duration,
    /// Paid per item more when the request asked for `with_scan_overview=true`.
    pub scan_overview_per_item: Duration,
}

impl ServiceTime {
    /// No service time (today's simulator).
    pub const ZERO: ServiceTime = ServiceTime {
        base: Duration::ZERO,
        per_item: Duration::ZERO,
        scan_overview_per_item: Duration::ZERO,
    };

    /// The defaults, from the figures in the module documentation.
    pub const HARBOR: ServiceTime = ServiceTime {
        base: Duration::from_millis(10),
        per_item: Duration::from_micros(500),
        scan_overview_per_item: Duration::from_micros(4_500),
    };

    /// The time a request answering `items` items takes.
    pub fn of(&self, items: usize, scan_overview: bool) -> Duration {
        let items = u32::try_from(items).unwrap_or(u32::MAX);
        let mut per_item = self.per_item;
        if scan_overview {
            per_item = per_item.saturating_add(self.scan_overview_per_item);
        }
        self.base.saturating_add(per_item.saturating_mul(items))
    }
}

/// The items a list response holds, from its `X-Total-Count` and the `page` and
/// `page_size` asked for (Harbor's defaults 1 and 10); 0 for a response that is not a
/// list. Read from the headers so a body is never buffered (a fault may be streaming it).
pub fn items_listed(path_and_query: &str, total_count: Option<u64>) -> usize {
    let Some(total) = total_count else {
        return 0;
    };
    let (mut page, mut size) = (1u64, 10u64);
    let query = path_and_query.split_once('?').map_or("", |(_, q)| q);
    for (name, value) in query.split('&').filter_map(|p| p.split_once('=')) {
        match name {
            "page" => page = value.parse().unwrap_or(1).max(1),
            "page_size" => size = value.parse().unwrap_or(10),
            _ => {}
        }
    }
    let before = page.saturating_sub(1).saturating_mul(size);
    usize::try_from(total.saturating_sub(before).min(size)).unwrap_or(usize::MAX)
}

/// Whether a query string asks for the scan overview.
pub fn wants_scan_overview(path_and_query: &str) -> bool {
    path_and_query
        .split_once('?')
        .is_some_and(|(_, q)| q.split('&').any(|p| p == "with_scan_overview=true"))
}

/// The line in front of the workers.
#[derive(Debug)]
pub struct Gate {
    workers: Option<Arc<Semaphore>>,
    queue_limit: Option<usize>,
    waiting: AtomicUsize,
}

/// Why a request was not let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Saturated;

impl Gate {
    /// A gate for `capacity`.
    pub fn new(capacity: &Capacity) -> Gate {
        Gate {
            workers: capacity.workers.map(|n| Arc::new(Semaphore::new(n.max(1)))),
            queue_limit: capacity.queue_limit,
            waiting: AtomicUsize::new(0),
        }
    }

    /// Requests waiting now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// Waits for a worker, in arrival order. `Err` when the line is full; `Ok(None)`
    /// when workers are unlimited. `on_wait` is told the queue length when this request
    /// joins it (only when it has to wait).
    pub async fn enter(
        &self,
        on_wait: impl FnOnce(usize),
    ) -> Result<Option<OwnedSemaphorePermit>, Saturated> {
        let Some(workers) = &self.workers else {
            return Ok(None);
        };
        if let Ok(permit) = workers.clone().try_acquire_owned() {
            return Ok(Some(permit));
        }
        let ahead = self.waiting.fetch_add(1, Ordering::SeqCst);
        let _leave = Leave(&self.waiting);
        if self.queue_limit.is_some_and(|limit| ahead >= limit) {
            return Err(Saturated);
        }
        on_wait(ahead + 1);
        // The semaphore is never closed, so acquiring can only succeed.
        workers
            .clone()
            .acquire_owned()
            .await
            .map(Some)
            .map_err(|_| Saturated)
    }
}

/// Leaves the line when dropped (served, or the client went away).
struct Leave<'a>(&'a AtomicUsize);

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The HTML 503 a saturated front proxy sends.
pub const SATURATED_HTML: &str =
    "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n\
<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_time_model() {
        let s = ServiceTime::HARBOR;
        assert_eq!(s.of(0, false), Duration::from_millis(10));
        assert_eq!(s.of(100, false), Duration::from_millis(60));
        assert_eq!(s.of(100, true), Duration::from_millis(510));
        assert_eq!(ServiceTime::ZERO.of(100, true), Duration::ZERO);
        assert!(!Capacity::default().is_active());
        assert!(Capacity::harbor(4).is_active());
    }

    #[test]
    fn items_of_a_page() {
        let q = "/api/v2.0/projects/p/repositories/r/artifacts";
        assert_eq!(
            items_listed(&format!("{q}?page=1&page_size=100"), Some(250)),
            100
        );
        assert_eq!(
            items_listed(&format!("{q}?page=3&page_size=100"), Some(250)),
            50
        );
        assert_eq!(
            items_listed(&format!("{q}?page=4&page_size=100"), Some(250)),
            0
        );
        assert_eq!(items_listed(q, Some(25)), 10);
        assert_eq!(items_listed(q, None), 0);
        assert_eq!(items_listed(&format!("{q}?page=x&page_size=5"), Some(3)), 3);
    }

    #[test]
    fn scan_overview_flag() {
        assert!(wants_scan_overview(
            "/api/v2.0/x?page=1&with_scan_overview=true"
        ));
        assert!(!wants_scan_overview("/api/v2.0/x?with_scan_overview=false"));
        assert!(!wants_scan_overview("/api/v2.0/with_scan_overview=true"));
    }

    #[tokio::test]
    async fn full_line_is_refused() {
        let gate = Gate::new(&Capacity {
            workers: Some(1),
            queue_limit: Some(1),
            service: ServiceTime::ZERO,
        });
        let first = gate.enter(|_| {}).await.expect("a worker is free");
        assert!(first.is_some());
        let gate = Arc::new(gate);
        let waiter = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.enter(|_| {}).await.map(|p| p.is_some()) })
        };
        while gate.waiting() == 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(gate.enter(|_| {}).await.err(), Some(Saturated));
        drop(first);
        assert_eq!(waiter.await.ok(), Some(Ok(true)));
        assert_eq!(gate.waiting(), 0);
    }
}
