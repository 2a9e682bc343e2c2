//! The I/O edge of the crawl: sends what the [`Planner`] dispatches, enforces timeouts,
//! sleeps through backoff, and passes events to the caller until done or cancelled.

use futures::future::{select, Either, FutureExt, LocalBoxFuture};
use futures::stream::{FuturesUnordered, StreamExt};
use std::collections::VecDeque;

use crate::crawl::plan::{CrawlReport, Discovery, Planner, RepoStamp};
use crate::crawl::{CrawlConfig, CrawlError, Event, Scope};
use crate::slim::ArtifactRow;
use crate::transport::{
    CancelToken, Clock, NetworkErrorKind, Request, Response, Transport, TransportError,
};

/// Runs crawls over one transport. Cheap to keep; one crawler may run several crawls
/// one after another (or at once, each with its own cancel token).
#[derive(Debug)]
pub struct Crawler<T, C> {
    transport: T,
    clock: C,
    config: CrawlConfig,
}

/// What woke the driver.
enum Wake {
    Answered {
        id: u64,
        result: Result<Response, TransportError>,
    },
    RetryDue {
        id: u64,
    },
}

impl<T: Transport, C: Clock> Crawler<T, C> {
    /// A crawler sending through `transport`, timing with `clock`.
    pub fn new(transport: T, clock: C, config: CrawlConfig) -> Self {
        Crawler {
            transport,
            clock,
            config,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &CrawlConfig {
        &self.config
    }

    /// Crawls `scope`, streaming events to `sink`. Returns the report (also sent as
    /// [`Event::Done`]), or why there is none.
    pub async fn crawl(
        &self,
        scope: Scope,
        cancel: &CancelToken,
        sink: impl FnMut(Event),
    ) -> Result<CrawlReport, CrawlError> {
        let discovery = None;
        self.run(Job::Crawl { scope, discovery }, cancel, sink)
            .await
    }

    /// Crawls `scope` on a Harbor whose discovery is already known (from connecting):
    /// see [`Planner::crawl_known`]. Sends neither `/systeminfo` nor `/users/current`.
    pub async fn crawl_with(
        &self,
        scope: Scope,
        discovery: Discovery,
        cancel: &CancelToken,
        sink: impl FnMut(Event),
    ) -> Result<CrawlReport, CrawlError> {
        let discovery = Some(discovery);
        self.run(Job::Crawl { scope, discovery }, cancel, sink)
            .await
    }

    /// Refreshes an inventory crawled before with `scope`, whose repositories had the
    /// stamps `known`: see [`Planner::refresh`].
    pub async fn refresh(
        &self,
        scope: Scope,
        known: Vec<RepoStamp>,
        cancel: &CancelToken,
        sink: impl FnMut(Event),
    ) -> Result<CrawlReport, CrawlError> {
        self.run_refresh(scope, known, None, cancel, sink).await
    }

    /// [`Crawler::refresh`] for a Harbor and caller already known: see
    /// [`Planner::refresh_known`].
    pub async fn refresh_with(
        &self,
        scope: Scope,
        known: Vec<RepoStamp>,
        discovery: Discovery,
        cancel: &CancelToken,
        sink: impl FnMut(Event),
    ) -> Result<CrawlReport, CrawlError> {
        self.run_refresh(scope, known, Some(discovery), cancel, sink)
            .await
    }

    async fn run_refresh(
        &self,
        scope: Scope,
        known: Vec<RepoStamp>,
        discovery: Option<Discovery>,
        cancel: &CancelToken,
        sink: impl FnMut(Event),
    ) -> Result<CrawlReport, CrawlError> {
        let job = Job::Refresh {
            scope,
            known,
            discovery,
        };
        self.run(job, cancel, sink).await
    }

    /// Re-runs only the failed requests of `previous`. Its rows are new or replace
    /// earlier ones; merge them with [`crate::crawl::RowSet`] (keyed by repository and
    /// digest) so nothing is duplicated.
    pub async fn retry_failed(
        &self,
        previous: &CrawlReport,
        cancel: &CancelToken,
        sink: impl FnMut(Event),
    ) -> Result<CrawlReport, CrawlError> {
        let previous = previous.clone();
        self.run(Job::Retry { previous }, cancel, sink).await
    }

    /// Runs `job`: every crawl, refresh and retry goes through here (a worker is told
    /// what to do by the page as a `Job`).
    pub async fn run(
        &self,
        job: Job,
        cancel: &CancelToken,
        mut sink: impl FnMut(Event),
    ) -> Result<CrawlReport, CrawlError> {
        job.validate()?;
        let config = self.config.plan_config();
        let planner = match job {
            Job::Crawl {
                scope,
                discovery: Some(known),
            } => Planner::crawl_known(scope, known, config),
            Job::Crawl {
                scope,
                discovery: None,
            } => Planner::crawl(scope, config),
            Job::Refresh {
                scope,
                known,
                discovery: Some(discovery),
            } => Planner::refresh_known(scope, known, discovery, config),
            Job::Refresh {
                scope,
                known,
                discovery: None,
            } => Planner::refresh(scope, known, config),
            Job::Retry { previous } => Planner::retry(&previous, config),
        };
        self.drive(planner, cancel, &mut sink).await
    }

    /// Fetches the full vulnerability report of every given artifact whose scan
    /// succeeded, through the same scheduler and ledger ([`Event::Report`] each).
    pub async fn vulnerabilities(
        &self,
        rows: &[ArtifactRow],
        cancel: &CancelToken,
        mut sink: impl FnMut(Event),
    ) -> Result<CrawlReport, CrawlError> {
        self.drive(
            Planner::vulnerabilities(rows, self.config.plan_config()),
            cancel,
            &mut sink,
        )
        .await
    }

    /// Every public entry ends here. The sink is taken as `&mut dyn` (callers pass
    /// `&mut sink`): one copy of the loop for every caller, not one per closure type,
    /// which in the browser's wasm is a copy of the whole planner each.
    async fn drive(
        &self,
        mut planner: Planner,
        cancel: &CancelToken,
        sink: &mut dyn FnMut(Event),
    ) -> Result<CrawlReport, CrawlError> {
        let mut running: FuturesUnordered<LocalBoxFuture<'_, Wake>> = FuturesUnordered::new();
        // Answers that came in while new requests were being put on the wire.
        let mut backlog: VecDeque<Wake> = VecDeque::new();
        loop {
            if cancel.is_cancelled() {
                return Err(CrawlError::Cancelled);
            }
            while let Some(dispatch) = planner.next_dispatch(self.clock.now()) {
                running.push(self.send(dispatch, cancel));
            }
            for event in planner.drain_events() {
                if cancel.is_cancelled() {
                    return Err(CrawlError::Cancelled);
                }
                sink(event);
            }
            if running.is_empty() && backlog.is_empty() {
                break;
            }
            let next = match backlog.pop_front() {
                Some(wake) => wake,
                None => match select(running.next(), cancel.cancelled()).await {
                    Either::Left((Some(wake), _)) => wake,
                    Either::Left((None, _)) => continue,
                    // Dropping `running` drops (and so aborts) every request in flight.
                    Either::Right(_) => return Err(CrawlError::Cancelled),
                },
            };
            match next {
                Wake::Answered { id, result } => {
                    let now = self.clock.now();
                    // The place this answer frees goes to the next request before the
                    // answer is decoded: when many answers land together, the last of
                    // them would otherwise wait for every decode before its own.
                    planner.arrived(id, &result, now);
                    let mut sent = false;
                    while let Some(dispatch) = planner.next_dispatch_ahead_of(id, now) {
                        running.push(self.send(dispatch, cancel));
                        sent = true;
                    }
                    if sent {
                        // Polled once, the new requests go on the wire now; answers
                        // found ready meanwhile wait their turn in the backlog.
                        while let Some(Some(wake)) = running.next().now_or_never() {
                            backlog.push_back(wake);
                        }
                    }
                    if let Some(delay) = planner.complete(id, result, now) {
                        running.push(
                            self.clock
                                .sleep(delay)
                                .map(move |()| Wake::RetryDue { id })
                                .boxed_local(),
                        );
                    }
                }
                Wake::RetryDue { id } => planner.requeue(id),
            }
        }
        let report = planner.finish();
        if cancel.is_cancelled() {
            return Err(CrawlError::Cancelled);
        }
        sink(Event::Done(report.clone()));
        Ok(report)
    }

    /// One attempt of one request, raced against its timeout.
    fn send(
        &self,
        dispatch: crate::crawl::Dispatch,
        cancel: &CancelToken,
    ) -> LocalBoxFuture<'_, Wake> {
        let mut headers = vec![
            ("Accept", "application/json".to_owned()),
            ("X-Request-Id", dispatch.request_id),
        ];
        if let Some(credentials) = &self.config.credentials {
            headers.push(("Authorization", credentials.header()));
        }
        headers.extend(dispatch.headers);
        let timeout = self.config.timeout;
        let request = Request {
            path: dispatch.path,
            headers,
            timeout,
            cancel: cancel.clone(),
        };
        let id = dispatch.id;
        let cancel = cancel.clone();
        async move {
            // Polled for the first time only now: if the crawl was cancelled since the
            // dispatch, nothing goes on the wire.
            if cancel.is_cancelled() {
                let aborted = TransportError::new(NetworkErrorKind::Aborted, "cancelled");
                return Wake::Answered {
                    id,
                    result: Err(aborted),
                };
            }
            let response = self.transport.get(request);
            let deadline = self.clock.sleep(timeout);
            let result = match select(response, deadline).await {
                Either::Left((result, _)) => result,
                Either::Right(_) => Err(TransportError::timed_out(timeout)),
            };
            Wake::Answered { id, result }
        }
        .boxed_local()
    }
}

/// A crawl, a refresh or a retry, as data: [`Crawler::run`] runs it. It serialises, so
/// the page can hand it to a worker.
#[derive(Debug, Clone, PartialEq)]
pub enum Job {
    /// [`Crawler::crawl`], or [`Crawler::crawl_with`] when the discovery is known.
    Crawl {
        scope: Scope,
        discovery: Option<Discovery>,
    },
    /// [`Crawler::refresh`], or [`Crawler::refresh_with`] when the discovery is known.
    Refresh {
        scope: Scope,
        known: Vec<RepoStamp>,
        discovery: Option<Discovery>,
    },
    /// [`Crawler::retry_failed`].
    Retry { previous: CrawlReport },
}

impl Job {
    /// Checks what can be checked before any request: the scope.
    pub fn validate(&self) -> Result<(), CrawlError> {
        match self {
            Job::Crawl { scope, .. } | Job::Refresh { scope, .. } => Ok(scope.validate()?),
            Job::Retry { .. } => Ok(()),
        }
    }
}
