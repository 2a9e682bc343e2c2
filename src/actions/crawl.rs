//! Runs `harbor-client`'s crawl engine into the state: Load artifacts, Refresh, Retry
//! failed requests, Cancel.
//!
//! The engine does the work (planning, concurrency, retries, the ledger); this module
//! builds a [`Crawler`] over the browser transport, spawns it, and turns its events into
//! state updates. Rows go into the row set as they come, but the table hears of them a
//! few times a second, so 100,000 artifacts do not re-run the table 1,000 times.

use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use harbor_client::crawl::{
    CrawlConfig, CrawlError, CrawlReport, Crawler, Discovery, Event, Job, Ledger, LedgerEntry,
    Progress, RepoStamp, Scope,
};
use harbor_client::slim::ArtifactRow;
use harbor_client::transport::CancelToken;
use harbor_client::transport::Clock;
use inventory::refresh::{stamps_to_keep, Unconfirmed};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::config::TIMEOUT_SECS;
use crate::state::{Baseline, CrawlPhase, CrawlView, Lens, RefreshChanges};
use crate::transport::{BrowserClock, BrowserTransport};

/// How often new rows reach the table while a crawl runs. The first rows go at
/// once, so the table fills within a few round trips of the click.
pub(crate) const FLUSH_EVERY: Duration = Duration::from_millis(250);

/// Past this many rows shown, rows reach the table only every [`FLUSH_SLOWLY`]: each
/// hand-over runs the table's stages over every row and repaints the page, and a large
/// crawl needs the main thread more than the table needs to grow four times a second.
const MANY_ROWS: usize = 5_000;
const FLUSH_SLOWLY: Duration = Duration::from_secs(1);

/// How often the progress widgets are updated: the engine reports after every
/// response, hundreds of times a second, and each update restyles and repaints.
const PROGRESS_EVERY: Duration = Duration::from_millis(200);

/// The highest ceiling a setting may ask for: past it a browser tab only queues.
const MAX_CONCURRENCY: usize = 256;

/// The Harbor address and the engine's settings in use, with the credentials.
pub(crate) fn settings(lens: Lens) -> (String, CrawlConfig) {
    let (base, in_flight, ceiling, timeout) = lens.session.config.with_untracked(|c| {
        (
            c.harbor_url.clone(),
            c.concurrency,
            c.max_concurrency,
            c.request_timeout_secs,
        )
    });
    let defaults = CrawlConfig::default();
    let timeout = timeout.map_or(defaults.timeout, |secs| {
        Duration::from_secs(secs.clamp(*TIMEOUT_SECS.start(), *TIMEOUT_SECS.end()))
    });
    let max_in_flight = in_flight.unwrap_or(defaults.max_in_flight).clamp(1, 64);
    let config = CrawlConfig {
        max_in_flight,
        max_concurrency: ceiling
            .unwrap_or(defaults.max_concurrency)
            .clamp(max_in_flight, MAX_CONCURRENCY),
        timeout,
        credentials: lens.session.credentials.get_value(),
        seed: js_sys::Date::now() as u64,
        // Every crawl ends with the stamps a later refresh compares against.
        repository_stamps: true,
        ..defaults
    };
    (base, config)
}

/// A crawler in the page, with the settings and the credentials in use (report runs).
pub(crate) fn crawler(lens: Lens) -> Rc<Crawler<BrowserTransport, BrowserClock>> {
    let (base, config) = settings(lens);
    Rc::new(Crawler::new(
        BrowserTransport::new(&base),
        BrowserClock,
        config,
    ))
}

/// Runs `job` with the settings in use: in the crawl worker unless the page was told
/// not to ([`crate::worker`]).
async fn run(
    lens: Lens,
    job: Job,
    cancel: &CancelToken,
    sink: impl FnMut(Event),
) -> Result<CrawlReport, CrawlError> {
    let (base, config) = settings(lens);
    let in_worker = !lens.session.config.with_untracked(|c| c.no_worker);
    crate::worker::run(base, config, job, in_worker, cancel, sink).await
}

/// `Load artifacts`: crawls `scope` as the user the form shows. Credentials typed and
/// not used yet (or no connection) sign in first, and the crawl starts once that worked.
pub fn load(lens: Lens, scope: Scope) {
    if lens.session.form_differs() {
        super::connect::sign_in(lens, Some(scope));
    } else {
        start(lens, scope);
    }
}

/// Starts a new crawl of `scope` over the connection in use: resets the inventory first.
pub fn start(lens: Lens, scope: Scope) {
    let Some(connection) = lens.session.connection() else {
        return;
    };
    lens.reset();
    let cancel = lens.work.take_over_crawl();
    lens.work.crawl.set(CrawlView {
        phase: CrawlPhase::Loading,
        ..CrawlView::default()
    });
    // The connection's discovery: the crawl does not ask who we are again.
    let job = Job::Crawl {
        scope: scope.clone(),
        discovery: Some(connection.discovery),
    };
    spawn_local(async move {
        let mut sink = Sink::new(lens);
        let result = run(lens, job, &cancel, |e| sink.event(e)).await;
        sink.flush();
        if let Ok(report) = &result {
            // Tens of thousands of stamps after a large crawl: their baseline is worked
            // out in a task of its own, before the cache saves it (see `finish`). A timer,
            // not a frame: a crawl left running in a hidden tab still saves.
            let unconfirmed = Unconfirmed::from_ledger(&report.ledger.entries);
            let fresh = std::mem::take(&mut sink.stamps);
            in_own_task(lens, move || {
                let stamps = stamps_to_keep(&[], fresh, &unconfirmed);
                lens.inventory
                    .baseline
                    .set(Some(Baseline { scope, stamps }));
            });
        }
        finish(lens, result, None);
    });
}

/// Refreshes the rows shown (a cached inventory, or the last crawl) against their
/// [`Baseline`]: lists repositories, lists artifacts again only where a repository
/// changed, and swaps the result in at the end, so the table never shows a half-merged
/// state. A failure or a cancel keeps every row shown.
pub fn refresh(lens: Lens) {
    let inventory = lens.inventory;
    let Some(base) = inventory.baseline.get_untracked() else {
        return;
    };
    let cancel = lens.work.take_over_crawl();
    inventory.failures.set(Vec::new());
    inventory.last_report.set_value(None);
    inventory.cache.update(|c| {
        c.refreshed = None;
        c.method = None;
    });
    lens.work.crawl.set(CrawlView {
        phase: CrawlPhase::Refreshing,
        ..CrawlView::default()
    });
    // The connection's discovery: the refresh does not ask which release this is again.
    let job = Job::Refresh {
        scope: base.scope.clone(),
        known: base.stamps.clone(),
        discovery: lens.session.connection().map(|c| c.discovery),
    };
    spawn_local(async move {
        let mut sink = Sink::new(lens);
        sink.held = Some(Vec::new());
        let result = run(lens, job, &cancel, |e| sink.event(e)).await;
        sink.flush();
        if let Ok(report) = &result {
            let fresh = std::mem::take(&mut sink.stamps);
            let recrawled = sink.held.take().unwrap_or_default();
            let mut done = None;
            // The shown rows move into the merge and its result moves back: no copy.
            inventory.rows.update(|set| {
                let mut folded = inventory::refresh::apply(
                    set.take_rows(),
                    &base.stamps,
                    fresh,
                    recrawled,
                    &report.ledger.entries,
                );
                set.merge(std::mem::take(&mut folded.rows));
                done = Some(folded);
            });
            let Some(done) = done else {
                return; // the rows signal is gone with the page
            };
            let summary = done.summary();
            inventory.refresh_changes.set(Some(Arc::new(RefreshChanges {
                at: js_sys::Date::now() as i64,
                before: done.before,
                after: done.after,
            })));
            inventory.now.set(js_sys::Date::now() as i64);
            inventory.selected.set(None);
            inventory.rows_replaced.update(|n| *n += 1);
            inventory.baseline.set(Some(Baseline {
                scope: base.scope,
                stamps: done.stamps,
            }));
            let method = report.refresh.as_ref().map(|m| m.describe());
            inventory.cache.update(|c| {
                c.showing = None;
                c.refreshed = Some(summary);
                c.method = method;
            });
        }
        finish(lens, result, None);
    });
}

/// Retries the failed requests at `which` (indices into the failures), or all of them.
pub fn retry(lens: Lens, which: Option<usize>) {
    let inventory = lens.inventory;
    // A cancelled crawl has no report; its failures still carry all a retry needs.
    let previous = inventory
        .last_report
        .get_value()
        .unwrap_or_else(|| CrawlReport {
            scope: Scope::default(),
            discovery: Discovery::default(),
            ledger: Ledger::default(),
            progress: Progress::default(),
            critical_path: 0,
            refresh: None,
        });
    let failures = inventory.failures.get_untracked();
    let chosen: Vec<usize> = match which {
        Some(i) if i < failures.len() => vec![i],
        Some(_) => return,
        None => (0..failures.len()).collect(),
    };
    if chosen.is_empty() {
        return;
    }
    let kept: Vec<LedgerEntry> = failures
        .iter()
        .enumerate()
        .filter(|(i, _)| !chosen.contains(i))
        .map(|(_, e)| e.clone())
        .collect();
    let retried = CrawlReport {
        ledger: Ledger {
            entries: chosen.iter().map(|&i| failures[i].clone()).collect(),
            ..previous.ledger.clone()
        },
        ..previous
    };
    let cancel = lens.work.take_over_crawl();
    inventory.failures.set(kept.clone());
    lens.work.crawl.update(|c| c.phase = CrawlPhase::Retrying);
    let job = Job::Retry { previous: retried };
    spawn_local(async move {
        let mut sink = Sink::new(lens);
        let result = run(lens, job, &cancel, |e| sink.event(e)).await;
        sink.flush();
        if let Ok(report) = &result {
            // Stamps listed again are new; the ones of what still failed are dropped.
            let still = Unconfirmed::from_ledger(kept.iter().chain(&report.ledger.entries));
            let listed = std::mem::take(&mut sink.stamps);
            inventory.baseline.update(|base| {
                if let Some(base) = base {
                    let mut stamps = listed;
                    stamps.append(&mut base.stamps);
                    base.stamps = stamps_to_keep(&[], stamps, &still);
                }
            });
        }
        finish(lens, result, Some(kept));
    });
}

/// `Cancel`: stops the running crawl; the rows loaded so far stay.
pub fn cancel(lens: Lens) {
    lens.work.cancel_crawl();
}

/// Settles the crawl view once the engine returned.
fn finish(lens: Lens, result: Result<CrawlReport, CrawlError>, kept: Option<Vec<LedgerEntry>>) {
    let inventory = lens.inventory;
    match result {
        Ok(report) => {
            let mut entries = kept.unwrap_or_default();
            entries.extend(report.ledger.entries.iter().cloned());
            inventory.failures.set(entries);
            let progress = report.progress;
            lens.work.crawl.update(|c| {
                c.phase = CrawlPhase::Done;
                c.requests_planned = c.requests_planned.max(progress.requests_planned);
                c.artifacts_expected = c.artifacts_expected.max(progress.artifacts_expected);
                c.in_flight = 0;
            });
            let base = inventory.last_report.get_value();
            inventory.last_report.set_value(Some(match base {
                // A retry keeps the first crawl's scope and discovery.
                Some(first) => CrawlReport {
                    ledger: report.ledger,
                    ..first
                },
                None => report,
            }));
            // After the task that sets a crawl's baseline, which the cache stores.
            in_own_task(lens, move || super::cache::keep(lens));
            summaries(lens);
        }
        // A crawl superseded by a reset (sign-out, another crawl) shows nothing more.
        Err(CrawlError::Cancelled) if lens.work.crawl.with_untracked(|c| !c.phase.is_running()) => {
        }
        Err(CrawlError::Cancelled) => lens.work.crawl.update(|c| {
            c.phase = CrawlPhase::Cancelled;
            c.in_flight = 0;
        }),
        Err(e) => lens
            .work
            .crawl
            .update(|c| c.phase = CrawlPhase::Failed(e.into())),
    }
}

/// Runs `f` in a task of its own (after those queued before it), unless the inventory
/// was reset meanwhile (sign-out, another crawl).
fn in_own_task(lens: Lens, f: impl FnOnce() + 'static) {
    let lifetime = lens.inventory.lifetime();
    set_timeout(
        move || {
            if !lifetime.is_cancelled() {
                f();
            }
        },
        Duration::ZERO,
    );
}

/// Each loaded project's summary, for the quota Harbor counts (shared layers once) beside
/// the sum of artifact sizes. A project whose quota the user may not read is left out.
fn summaries(lens: Lens) {
    let projects = lens
        .inventory
        .rows
        .with_untracked(|set| inventory::stats::project_names(set.rows()));
    if projects.is_empty() {
        return;
    }
    let (base, config) = settings(lens);
    let lifetime = lens.inventory.lifetime();
    spawn_local(async move {
        let transport = BrowserTransport::new(&base);
        let found = harbor_client::audit::fetch_summaries(
            &transport,
            &BrowserClock,
            &config,
            &projects,
            &lifetime,
        )
        .await;
        if lifetime.is_cancelled() {
            return;
        }
        let visible = found
            .into_iter()
            .filter_map(|(name, summary)| summary.ok().map(|s| (name, s)))
            .filter(|(_, s)| s.storage_used().is_some())
            .collect();
        lens.inventory.summaries.set(visible);
    });
}

/// Receives the engine's events. Rows are merged into the row set at once, without a
/// second buffer to copy them through, and the table is told at each flush.
struct Sink {
    lens: Lens,
    /// Rows merged since the table was last told (new ones, and whether a retry
    /// replaced any).
    unshown: Option<(usize, bool)>,
    /// A refresh keeps its rows here, for the merge at its end, instead of showing them.
    held: Option<Vec<ArtifactRow>>,
    /// Repository stamps listed so far.
    stamps: Vec<RepoStamp>,
    started: Duration,
    last_flush: Duration,
    /// The latest progress not shown yet, and when progress was last shown.
    progress: Option<Progress>,
    last_progress: Duration,
    /// Rows shown before this run, and the artifacts it expects: the row set makes room
    /// for both at once rather than doubling as rows come.
    rows_before: usize,
    expected: usize,
}

impl Sink {
    fn new(lens: Lens) -> Self {
        let now = BrowserClock.now();
        Sink {
            lens,
            unshown: None,
            held: None,
            stamps: Vec::new(),
            started: now,
            last_flush: now,
            progress: None,
            last_progress: now,
            rows_before: lens.inventory.rows.with_untracked(|set| set.len()),
            expected: 0,
        }
    }

    fn event(&mut self, event: Event) {
        let inventory = self.lens.inventory;
        match event {
            Event::Artifacts(rows) if self.held.is_some() => {
                self.held.get_or_insert_with(Vec::new).extend(rows);
            }
            Event::Artifacts(rows) => {
                let count = rows.len();
                let total = self.rows_before + self.expected;
                let (unshown, replaced) = self.unshown.unwrap_or_default();
                let shown = inventory.rows.with_untracked(|set| set.len()) - unshown;
                let added = inventory
                    .rows
                    .try_update_untracked(|set| {
                        set.make_room(count, total);
                        set.merge(rows)
                    })
                    .unwrap_or(count);
                // A retry brings newer data for rows already shown.
                self.unshown = Some((unshown + added, replaced || added < count));
                let every = if shown > MANY_ROWS {
                    FLUSH_SLOWLY
                } else {
                    FLUSH_EVERY
                };
                if shown == 0 || BrowserClock.now().saturating_sub(self.last_flush) >= every {
                    self.flush();
                }
            }
            Event::Progress(p) => {
                self.expected = self
                    .expected
                    .max(usize::try_from(p.artifacts_expected).unwrap_or(0));
                self.progress = Some(p);
                if BrowserClock.now().saturating_sub(self.last_progress) >= PROGRESS_EVERY {
                    self.show_progress();
                }
            }
            Event::Failed(entry) => inventory.record_failure(entry),
            // A retried report request: the details panel shows it from now on.
            Event::Report(report) => inventory.add_reports([report]),
            Event::Repositories(stamps) => self.stamps.extend(stamps),
            Event::Discovered(_) | Event::Done(_) => {}
        }
    }

    fn show_progress(&mut self) {
        let now = BrowserClock.now();
        self.last_progress = now;
        let Some(p) = self.progress.take() else {
            return;
        };
        let elapsed = now.saturating_sub(self.started).as_millis() as u64;
        self.lens.work.crawl.update(|c| {
            c.requests_done = p.requests_done;
            c.requests_planned = p.requests_planned;
            c.in_flight = p.requests_in_flight;
            c.limit = p.limit;
            c.requests_failed = p.requests_failed;
            c.artifacts_expected = p.artifacts_expected;
            c.elapsed_ms = elapsed;
        });
    }

    /// Tells the table of the rows merged since the last flush, and shows the latest
    /// progress.
    fn flush(&mut self) {
        self.last_flush = BrowserClock.now();
        if let Some((_, replaced)) = self.unshown.take() {
            let inventory = self.lens.inventory;
            inventory.rows.notify();
            if replaced {
                inventory.rows_replaced.update(|n| *n += 1);
            }
        }
        self.show_progress();
    }
}
