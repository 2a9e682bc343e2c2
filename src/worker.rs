//! The crawl off the page's main thread.
//!
//! Fetching and decoding thousands of pages costs the browser's main thread more than
//! the engine's own work: every `fetch`, every response body and every JSON page is
//! handled there, between the frames the table needs. So crawls, refreshes and retries
//! run in a dedicated worker that loads the same wasm module as the page
//! (`crawl-worker.js`, which `main` recognises by the missing `window`): the page posts
//! a [`Job`] with the settings in use, the worker runs the engine over its own `fetch`
//! and posts the events back; the page only merges rows and renders.
//!
//! Messages are bytes in the [`harbor_client::wire`] form, whose buffer is transferred,
//! not copied: smaller and quicker to read than JSON, and no serde code for types only
//! the worker and the page exchange. The first rows are posted at once, everything after
//! them in batches at most [`BATCH_EVERY`] apart, in order.
//!
//! The page falls back to running the engine itself when a worker cannot start (a
//! Content-Security-Policy without `worker-src`, an old browser, `?worker=0`) or dies
//! mid-crawl; the rows already shown stay, and the crawl starts again in the page.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use futures::channel::{mpsc, oneshot};
use futures::future::{select, Either};
use futures::{FutureExt, StreamExt};
use harbor_client::crawl::{CrawlConfig, CrawlError, CrawlReport, Crawler, Event, Job, Progress};
use harbor_client::transport::CancelToken;
use harbor_client::wire::{self, Reader, Wire, WireError};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::transport::{sleep, BrowserClock, BrowserTransport};

/// The worker's script, beside `index.html`.
const SCRIPT: &str = "crawl-worker.js";
/// How long a new worker may take to load the module and say it is ready.
const READY_WITHIN: Duration = Duration::from_secs(15);
/// Events after the first rows wait at most this long to go to the page together (the
/// page shows progress every 200 ms).
const BATCH_EVERY: Duration = Duration::from_millis(50);

/// Page to worker.
#[derive(Debug)]
enum ToWorker {
    /// Run `job` against `base` with `config`.
    Run {
        id: u32,
        base: String,
        config: Box<CrawlConfig>,
        job: Box<Job>,
    },
    /// Stop job `id`.
    Cancel { id: u32 },
}

/// Worker to page.
#[derive(Debug)]
enum FromWorker {
    /// The module is loaded and listening.
    Ready,
    /// Events of job `id`, in the engine's order.
    Events { id: u32, events: Vec<Event> },
    /// Job `id` is over: its report, or `None` when it was cancelled.
    Finished {
        id: u32,
        report: Option<Box<CrawlReport>>,
    },
}

impl Wire for ToWorker {
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            ToWorker::Run {
                id,
                base,
                config,
                job,
            } => {
                out.push(0);
                id.put(out);
                base.put(out);
                config.put(out);
                job.put(out);
            }
            ToWorker::Cancel { id } => {
                out.push(1);
                id.put(out);
            }
        }
    }
    fn take(input: &mut Reader<'_>) -> Result<Self, WireError> {
        match input.tag()? {
            0 => Ok(ToWorker::Run {
                id: Wire::take(input)?,
                base: Wire::take(input)?,
                config: Wire::take(input)?,
                job: Wire::take(input)?,
            }),
            1 => Ok(ToWorker::Cancel {
                id: Wire::take(input)?,
            }),
            other => Err(WireError::Tag(other)),
        }
    }
}

impl Wire for FromWorker {
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            FromWorker::Ready => out.push(0),
            FromWorker::Events { id, events } => {
                out.push(1);
                id.put(out);
                events.put(out);
            }
            FromWorker::Finished { id, report } => {
                out.push(2);
                id.put(out);
                report.put(out);
            }
        }
    }
    fn take(input: &mut Reader<'_>) -> Result<Self, WireError> {
        match input.tag()? {
            0 => Ok(FromWorker::Ready),
            1 => Ok(FromWorker::Events {
                id: Wire::take(input)?,
                events: Wire::take(input)?,
            }),
            2 => Ok(FromWorker::Finished {
                id: Wire::take(input)?,
                report: Wire::take(input)?,
            }),
            other => Err(WireError::Tag(other)),
        }
    }
}

/// Posts `message`'s bytes through `post`, handing the buffer over rather than copying it.
fn send_bytes(
    message: &impl Wire,
    post: impl FnOnce(&JsValue, &JsValue) -> Result<(), JsValue>,
) -> bool {
    let array = js_sys::Uint8Array::from(&wire::encode(message)[..]);
    let transfer = js_sys::Array::of1(&array.buffer());
    post(&array, &transfer).is_ok()
}

/// Reads a message posted by [`send_bytes`].
fn received<T: Wire>(message: &web_sys::MessageEvent) -> Result<T, WireError> {
    wire::decode(&js_sys::Uint8Array::new(&message.data()).to_vec())
}

// ---------------------------------------------------------------------------------------
// The worker side.

/// Serves jobs inside the worker: called by `main` when there is no `window`.
pub fn serve() {
    console_error_panic_hook::set_once();
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let running: Rc<RefCell<HashMap<u32, CancelToken>>> = Rc::default();
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new({
        let scope = scope.clone();
        move |message: web_sys::MessageEvent| match received::<ToWorker>(&message) {
            Ok(ToWorker::Run {
                id,
                base,
                config,
                job,
            }) => {
                let cancel = CancelToken::new();
                running.borrow_mut().insert(id, cancel.clone());
                let (scope, running) = (scope.clone(), running.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    run_here(&scope, id, &base, *config, *job, &cancel).await;
                    running.borrow_mut().remove(&id);
                });
            }
            Ok(ToWorker::Cancel { id }) => {
                if let Some(cancel) = running.borrow_mut().remove(&id) {
                    cancel.cancel();
                }
            }
            Err(e) => web_sys::console::error_1(&format!("crawl worker: {e}").into()),
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    post(&scope, &FromWorker::Ready);
}

/// Runs one job in the worker, posting its events through an [`Outbox`].
async fn run_here(
    scope: &web_sys::DedicatedWorkerGlobalScope,
    id: u32,
    base: &str,
    config: CrawlConfig,
    job: Job,
    cancel: &CancelToken,
) {
    let crawler = Crawler::new(BrowserTransport::new(base), BrowserClock, config);
    let outbox = Rc::new(RefCell::new(Outbox {
        scope: scope.clone(),
        id,
        events: Vec::new(),
        progress: None,
        rows_sent: false,
        scheduled: false,
    }));
    let result = crawler
        .run(job, cancel, |event| Outbox::push(&outbox, event))
        .await;
    outbox.borrow_mut().send();
    post(
        scope,
        &FromWorker::Finished {
            id,
            report: result.ok().map(Box::new),
        },
    );
}

/// The events of one job on their way to the page. The first rows go at once; after
/// them events wait up to [`BATCH_EVERY`] and go together, in order, so a crawl of a
/// thousand pages costs the page's main thread a few dozen messages, not a thousand.
/// Of progress only the latest is sent.
struct Outbox {
    scope: web_sys::DedicatedWorkerGlobalScope,
    id: u32,
    events: Vec<Event>,
    progress: Option<Progress>,
    rows_sent: bool,
    /// A send is due within [`BATCH_EVERY`].
    scheduled: bool,
}

impl Outbox {
    fn push(this: &Rc<RefCell<Outbox>>, event: Event) {
        let mut outbox = this.borrow_mut();
        match event {
            Event::Progress(p) => outbox.progress = Some(p),
            // The report comes with `Finished`.
            Event::Done(_) => return,
            Event::Artifacts(rows) if !outbox.rows_sent => {
                outbox.rows_sent = true;
                outbox.events.push(Event::Artifacts(rows));
                outbox.send();
                return;
            }
            other => outbox.events.push(other),
        }
        if !outbox.scheduled {
            outbox.scheduled = true;
            let this = this.clone();
            wasm_bindgen_futures::spawn_local(async move {
                sleep(BATCH_EVERY).await;
                let mut outbox = this.borrow_mut();
                outbox.scheduled = false;
                outbox.send();
            });
        }
    }

    /// Posts what waits (nothing when nothing does).
    fn send(&mut self) {
        self.events
            .extend(self.progress.take().map(Event::Progress));
        if !self.events.is_empty() {
            let events = std::mem::take(&mut self.events);
            post(
                &self.scope,
                &FromWorker::Events {
                    id: self.id,
                    events,
                },
            );
        }
    }
}

/// Posts `message` to the page.
fn post(scope: &web_sys::DedicatedWorkerGlobalScope, message: &FromWorker) {
    if !send_bytes(message, |array, transfer| {
        scope.post_message_with_transfer(array, transfer)
    }) {
        web_sys::console::error_1(&"crawl worker: postMessage failed".into());
    }
}

// ---------------------------------------------------------------------------------------
// The page side.

/// The page's worker and the jobs it runs.
struct Remote {
    worker: web_sys::Worker,
    state: Rc<RefCell<RemoteState>>,
    // Kept alive with the worker.
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

#[derive(Default)]
struct RemoteState {
    ready: bool,
    broken: bool,
    waiting: Vec<oneshot::Sender<bool>>,
    jobs: HashMap<u32, mpsc::UnboundedSender<FromWorker>>,
    next_id: u32,
}

impl RemoteState {
    /// The worker is gone: every job's channel closes, so each falls back to the page.
    fn break_down(&mut self) {
        self.broken = true;
        self.jobs.clear();
        for waiting in self.waiting.drain(..) {
            let _ = waiting.send(false);
        }
    }
}

thread_local! {
    /// One worker per page, started with the first crawl.
    static REMOTE: RefCell<Option<Rc<Remote>>> = const { RefCell::new(None) };
}

/// Starts the worker (once per page).
fn remote() -> Option<Rc<Remote>> {
    if let Some(remote) = REMOTE.with_borrow(Clone::clone) {
        let broken = remote.state.borrow().broken;
        return (!broken).then_some(remote);
    }
    let options = web_sys::WorkerOptions::new();
    options.set_type(web_sys::WorkerType::Module);
    let worker = match web_sys::Worker::new_with_options(SCRIPT, &options) {
        Ok(worker) => worker,
        Err(e) => {
            web_sys::console::warn_1(
                &format!("crawl worker not started, crawling in the page: {e:?}").into(),
            );
            return None;
        }
    };
    let state: Rc<RefCell<RemoteState>> = Rc::default();
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new({
        let state = state.clone();
        move |message: web_sys::MessageEvent| {
            let message = match received::<FromWorker>(&message) {
                Ok(message) => message,
                Err(e) => {
                    web_sys::console::error_1(&format!("crawl worker sent {e}").into());
                    return;
                }
            };
            let mut state = state.borrow_mut();
            match message {
                FromWorker::Ready => {
                    state.ready = true;
                    for waiting in state.waiting.drain(..) {
                        let _ = waiting.send(true);
                    }
                }
                other => {
                    if let Some(job) = id_of(&other).and_then(|id| state.jobs.get(&id)) {
                        let _ = job.unbounded_send(other);
                    }
                }
            }
        }
    });
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new({
        let state = state.clone();
        move |event: web_sys::Event| {
            let what = event
                .dyn_ref::<web_sys::ErrorEvent>()
                .map(|e| e.message())
                .unwrap_or_else(|| "the worker could not load".into());
            web_sys::console::warn_1(
                &format!("crawl worker failed, crawling in the page: {what}").into(),
            );
            state.borrow_mut().break_down();
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    let remote = Rc::new(Remote {
        worker,
        state,
        _on_message: on_message,
        _on_error: on_error,
    });
    REMOTE.with_borrow_mut(|r| *r = Some(remote.clone()));
    Some(remote)
}

fn id_of(message: &FromWorker) -> Option<u32> {
    match message {
        FromWorker::Ready => None,
        FromWorker::Events { id, .. } | FromWorker::Finished { id, .. } => Some(*id),
    }
}

impl Remote {
    /// Waits until the worker listens; `false` when it never will.
    async fn ready(&self) -> bool {
        let waiting = {
            let mut state = self.state.borrow_mut();
            if state.ready || state.broken {
                return state.ready && !state.broken;
            }
            let (tx, rx) = oneshot::channel();
            state.waiting.push(tx);
            rx
        };
        match select(waiting, sleep(READY_WITHIN).boxed_local()).await {
            Either::Left((Ok(ready), _)) => ready,
            _ => {
                web_sys::console::warn_1(
                    &"crawl worker did not start in time, crawling in the page".into(),
                );
                self.worker.terminate();
                self.state.borrow_mut().break_down();
                false
            }
        }
    }

    fn send(&self, message: &ToWorker) -> bool {
        send_bytes(message, |array, transfer| {
            self.worker.post_message_with_transfer(array, transfer)
        })
    }
}

/// Starts the worker ahead of the first crawl (when connecting): loading and compiling
/// the module takes a few hundred milliseconds a crawl should not wait for.
pub fn warm_up() {
    let _ = remote();
}

/// Runs `job` in the worker, or in the page when there is none (`in_worker` false, or
/// it cannot start or dies); `sink` gets the events either way, on the page.
pub async fn run(
    base: String,
    config: CrawlConfig,
    job: Job,
    in_worker: bool,
    cancel: &CancelToken,
    mut sink: impl FnMut(Event),
) -> Result<CrawlReport, CrawlError> {
    job.validate()?;
    if in_worker {
        if let Some(remote) = remote() {
            if remote.ready().await {
                match run_remote(&remote, &base, &config, &job, cancel, &mut sink).await {
                    Some(result) => return result,
                    None => web_sys::console::warn_1(
                        &"crawl worker stopped, crawling again in the page".into(),
                    ),
                }
            }
        }
    }
    let crawler = Crawler::new(BrowserTransport::new(&base), BrowserClock, config);
    crawler.run(job, cancel, sink).await
}

/// One job in the worker; `None` when the worker broke before it finished.
async fn run_remote(
    remote: &Remote,
    base: &str,
    config: &CrawlConfig,
    job: &Job,
    cancel: &CancelToken,
    sink: &mut impl FnMut(Event),
) -> Option<Result<CrawlReport, CrawlError>> {
    let (tx, mut rx) = mpsc::unbounded();
    let id = {
        let mut state = remote.state.borrow_mut();
        state.next_id += 1;
        let id = state.next_id;
        state.jobs.insert(id, tx);
        id
    };
    let sent = remote.send(&ToWorker::Run {
        id,
        base: base.to_owned(),
        config: Box::new(config.clone()),
        job: Box::new(job.clone()),
    });
    if !sent {
        remote.state.borrow_mut().jobs.remove(&id);
        return None;
    }
    let result = loop {
        match select(rx.next(), cancel.cancelled().boxed_local()).await {
            Either::Left((Some(FromWorker::Events { events, .. }), _)) => {
                events.into_iter().for_each(&mut *sink);
            }
            Either::Left((Some(FromWorker::Finished { report, .. }), _)) => {
                break Some(report.map(|r| *r).ok_or(CrawlError::Cancelled));
            }
            Either::Left((Some(FromWorker::Ready), _)) => {}
            // The worker broke down: the caller runs the job in the page.
            Either::Left((None, _)) => break None,
            Either::Right(_) => {
                remote.send(&ToWorker::Cancel { id });
                break Some(Err(CrawlError::Cancelled));
            }
        }
    };
    remote.state.borrow_mut().jobs.remove(&id);
    result
}
