//! The accept loop and per-connection watchdog: what `axum::serve` does, plus the limits
//! it lacks.
//!
//! - **Header-read timeout.** A connection must deliver a complete request head within
//!   [`ConnLimits::header_timeout`] of opening (or of the first byte of a later request).
//! - **Idle timeout.** A kept-alive connection with no request in progress is closed after
//!   [`ConnLimits::idle_timeout`].
//! - **Connection cap.** At most `max_connections` are open. When a new client arrives at
//!   the cap (or `accept` runs out of file descriptors) the connection that has been idle
//!   the longest, silent ones first, is closed to make room; if every connection is busy
//!   with a request, the newcomer gets a plain `503` and is closed. So sockets that open
//!   and say nothing can delay a real client by one accept, never lock it out.
//!
//! A request is "in progress" from the moment its head is parsed until its response body
//! has been sent (or dropped), so long downloads are never cut by these timers.

use crate::config::ConnLimits;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tower::ServiceExt;

/// File descriptors kept free for everything that is not a client connection: the
/// runtime's own, stdio, static files being read.
const FD_RESERVE: usize = 64;
/// The largest cap derived from the open-file limit when none is configured.
const MAX_DERIVED_CONNECTIONS: usize = 4096;
/// How long a shutdown waits for requests in progress.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// Refusals (a 503 written, then up to a second to close) in progress at most; past
/// that a newcomer is closed at once, so refusing cannot itself use up descriptors.
const MAX_REFUSING: usize = 64;
/// Marks "no byte read since the connection went idle".
const NOT_YET: u64 = u64::MAX;

/// The scheme clients used to reach us, put in every request's extensions (the proxy
/// reports it to Harbor in `X-Forwarded-Proto`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientScheme(pub &'static str);

/// The soft open-file limit of this process, read from `/proc/self/limits` (Linux);
/// `None` where that is not available.
pub fn open_file_limit() -> Option<usize> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    let soft = line
        .trim_start_matches("Max open files")
        .split_whitespace()
        .next()?;
    if soft == "unlimited" {
        return Some(usize::MAX);
    }
    soft.parse().ok()
}

/// The connection cap: the configured one, or what the open-file limit leaves after the
/// proxy's Harbor connections (`upstream`) and a reserve.
pub fn connection_cap(limits: &ConnLimits, upstream: usize) -> usize {
    if let Some(n) = limits.max_connections {
        return n;
    }
    match open_file_limit() {
        Some(fds) => fds
            .saturating_sub(upstream + FD_RESERVE)
            .clamp(16, MAX_DERIVED_CONNECTIONS),
        None => 1024,
    }
}

/// One open connection as the watchdog and the evictor see it. Times are milliseconds
/// since the tracker's epoch, so they fit in atomics.
#[derive(Debug)]
struct Conn {
    in_flight: AtomicUsize,
    /// When the last response finished (or the connection opened).
    idle_since: AtomicU64,
    /// First byte read since `idle_since`, or [`NOT_YET`].
    head_started: AtomicU64,
    /// Whether a request was ever served (decides header vs idle timeout when silent).
    served: AtomicU64,
    /// HTTP/2 (seen from its preface): its control frames (window updates, pings) are
    /// not the start of a request, so only the idle timeout applies between streams.
    http2: AtomicU64,
    close: Notify,
}

/// All open connections.
#[derive(Debug)]
struct Tracker {
    epoch: Instant,
    next_id: AtomicU64,
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
}

impl Tracker {
    fn now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    fn open(&self) -> usize {
        self.conns.lock().map_or(0, |c| c.len())
    }

    fn register(&self) -> (u64, Arc<Conn>) {
        let now = self.now();
        let conn = Arc::new(Conn {
            in_flight: AtomicUsize::new(0),
            idle_since: AtomicU64::new(now),
            head_started: AtomicU64::new(NOT_YET),
            served: AtomicU64::new(0),
            http2: AtomicU64::new(0),
            close: Notify::new(),
        });
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut conns) = self.conns.lock() {
            conns.insert(id, conn.clone());
        }
        (id, conn)
    }

    fn forget(&self, id: u64) {
        if let Ok(mut conns) = self.conns.lock() {
            conns.remove(&id);
        }
    }

    /// Closes the connection idle the longest (never-served ones first). `false` when
    /// every connection has a request in progress.
    fn evict_one(&self) -> bool {
        let Ok(mut conns) = self.conns.lock() else {
            return false;
        };
        let victim = conns
            .iter()
            .filter(|(_, c)| c.in_flight.load(Ordering::SeqCst) == 0)
            .min_by_key(|(_, c)| {
                (
                    c.served.load(Ordering::Relaxed),
                    c.idle_since.load(Ordering::Relaxed),
                )
            })
            .map(|(id, _)| *id);
        match victim.and_then(|id| conns.remove(&id)) {
            Some(conn) => {
                conn.close.notify_one();
                true
            }
            None => false,
        }
    }
}

impl Conn {
    /// Whether the watchdog should close this connection now.
    fn expired(&self, now: u64, limits: &ConnLimits) -> bool {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return false;
        }
        let header = limits.header_timeout.as_millis() as u64;
        let started = self.head_started.load(Ordering::SeqCst);
        let http2 = self.http2.load(Ordering::Relaxed) == 1;
        if started != NOT_YET && !http2 {
            return now.saturating_sub(started) > header;
        }
        let idle = now.saturating_sub(self.idle_since.load(Ordering::SeqCst));
        if self.served.load(Ordering::Relaxed) == 0 {
            idle > header
        } else {
            idle > limits.idle_timeout.as_millis() as u64
        }
    }
}

/// Held while a request is in progress; dropping it (response body done) makes the
/// connection idle again.
struct InFlight {
    conn: Arc<Conn>,
    tracker: Arc<Tracker>,
}

impl InFlight {
    fn begin(conn: &Arc<Conn>, tracker: &Arc<Tracker>) -> Self {
        conn.in_flight.fetch_add(1, Ordering::SeqCst);
        conn.served.store(1, Ordering::Relaxed);
        InFlight {
            conn: conn.clone(),
            tracker: tracker.clone(),
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.conn.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.conn
                .idle_since
                .store(self.tracker.now(), Ordering::SeqCst);
            self.conn.head_started.store(NOT_YET, Ordering::SeqCst);
        }
    }
}

/// The guard rides on the response body: the request stays "in progress" until the
/// body is finished or dropped.
impl crate::body::Observer for InFlight {}

/// The client socket, noting when the first byte of a request head arrives.
struct Watched<I> {
    io: I,
    conn: Arc<Conn>,
    tracker: Arc<Tracker>,
    first_read_seen: bool,
}

impl<I: AsyncRead + Unpin> AsyncRead for Watched<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if !self.first_read_seen && buf.filled().len() > before {
            self.first_read_seen = true;
            if buf.filled()[before..].starts_with(b"PRI ") {
                self.conn.http2.store(1, Ordering::Relaxed);
            }
        }
        if buf.filled().len() > before && self.conn.in_flight.load(Ordering::SeqCst) == 0 {
            let now = self.tracker.now();
            let _ = self.conn.head_started.compare_exchange(
                NOT_YET,
                now,
                Ordering::SeqCst,
                Ordering::SeqCst,
            );
        }
        polled
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Watched<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

/// Turns an accepted TCP stream into the byte stream HTTP is spoken on (identity for
/// plain HTTP, a TLS handshake for HTTPS).
pub trait Handshake: Send + Sync + 'static {
    /// The stream after the handshake.
    type Io: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    /// `http` or `https`.
    fn scheme(&self) -> &'static str;
    /// Performs the handshake (bounded by the caller's header timeout).
    fn handshake(
        &self,
        tcp: TcpStream,
    ) -> Pin<Box<dyn Future<Output = std::io::Result<Self::Io>> + Send + '_>>;
}

/// Plain HTTP: no handshake.
#[derive(Debug, Clone, Copy)]
pub struct Plain;

impl Handshake for Plain {
    type Io = TcpStream;
    fn scheme(&self) -> &'static str {
        "http"
    }
    fn handshake(
        &self,
        tcp: TcpStream,
    ) -> Pin<Box<dyn Future<Output = std::io::Result<TcpStream>> + Send + '_>> {
        Box::pin(async move { Ok(tcp) })
    }
}

/// Whether an accept error means this process has no file descriptor left.
pub fn is_fd_exhaustion(e: &std::io::Error) -> bool {
    // EMFILE and ENFILE, the same numbers on Linux, macOS and the BSDs.
    cfg!(unix) && matches!(e.raw_os_error(), Some(23 | 24))
}

/// Serves `router` on `listener` until `stopped` fires, then lets requests in progress
/// finish (up to a few seconds).
pub async fn serve<H: Handshake>(
    listener: TcpListener,
    router: Router,
    handshake: H,
    limits: ConnLimits,
    cap: usize,
    stopped: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let tracker = Arc::new(Tracker {
        epoch: Instant::now(),
        next_id: AtomicU64::new(0),
        conns: Mutex::new(HashMap::new()),
    });
    let handshake = Arc::new(handshake);
    let refusing = Arc::new(AtomicUsize::new(0));
    let (shutdown, shutdown_rx) = watch::channel(false);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // Our watchdog enforces header and idle timeouts, for HTTP/1 and HTTP/2 alike.
    builder.http1().header_read_timeout(None);
    builder.http2().max_concurrent_streams(128);
    tokio::pin!(stopped);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut stopped => break,
        };
        let (tcp, peer) = match accepted {
            Ok(pair) => pair,
            Err(e) if is_fd_exhaustion(&e) => {
                // Make room, then let the backlog come in again.
                tracker.evict_one();
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            }
            // A client that reset before we accepted it: nothing to do.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(1)).await;
                continue;
            }
        };
        if tracker.open() >= cap && !tracker.evict_one() {
            if refusing.fetch_add(1, Ordering::SeqCst) < MAX_REFUSING {
                let refusing = refusing.clone();
                let scheme = handshake.scheme();
                tokio::spawn(async move {
                    refuse(tcp, scheme).await;
                    refusing.fetch_sub(1, Ordering::SeqCst);
                });
            } else {
                refusing.fetch_sub(1, Ordering::SeqCst);
            }
            continue;
        }
        let _ = tcp.set_nodelay(true);
        let (id, conn) = tracker.register();
        let task = ConnTask {
            tracker: tracker.clone(),
            conn,
            id,
            limits,
            peer,
            router: router.clone(),
            builder: builder.clone(),
            shutdown: shutdown_rx.clone(),
        };
        let handshake = handshake.clone();
        tokio::spawn(async move { task.run(tcp, &*handshake).await });
    }
    let _ = shutdown.send(true);
    let deadline = Instant::now() + SHUTDOWN_GRACE;
    while tracker.open() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// Answers a client we have no room for, on plain HTTP; over TLS it is just closed.
async fn refuse(mut tcp: TcpStream, scheme: &'static str) {
    if scheme == "http" {
        let body = "lens-serve is at its connection limit; try again shortly\n";
        let text = format!(
            "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n\
             content-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let answered = async {
            tcp.write_all(text.as_bytes()).await?;
            tcp.shutdown().await?;
            // Read what the client sent: closing with unread data would reset the
            // connection and could destroy the answer before the client reads it.
            let mut sink = [0u8; 4096];
            let mut left: usize = 64 * 1024;
            while left > 0 {
                let n = tcp.read(&mut sink).await?;
                if n == 0 {
                    break;
                }
                left = left.saturating_sub(n);
            }
            Ok::<_, std::io::Error>(())
        };
        let _ = tokio::time::timeout(Duration::from_secs(1), answered).await;
    }
}

/// Everything one connection's task needs.
struct ConnTask {
    tracker: Arc<Tracker>,
    conn: Arc<Conn>,
    id: u64,
    limits: ConnLimits,
    peer: SocketAddr,
    router: Router,
    builder: auto::Builder<TokioExecutor>,
    shutdown: watch::Receiver<bool>,
}

impl ConnTask {
    async fn run<H: Handshake>(mut self, tcp: TcpStream, handshake: &H) {
        let io = tokio::select! {
            io = tokio::time::timeout(self.limits.header_timeout, handshake.handshake(tcp)) => io,
            () = self.conn.close.notified() => Ok(Err(std::io::ErrorKind::TimedOut.into())),
        };
        if let Ok(Ok(io)) = io {
            self.serve(io, handshake.scheme()).await;
        }
        self.tracker.forget(self.id);
    }

    async fn serve<I: AsyncRead + AsyncWrite + Unpin + Send + 'static>(
        &mut self,
        io: I,
        scheme: &'static str,
    ) {
        let io = Watched {
            io,
            conn: self.conn.clone(),
            tracker: self.tracker.clone(),
            first_read_seen: false,
        };
        let (conn, tracker, router, peer) = (
            self.conn.clone(),
            self.tracker.clone(),
            self.router.clone(),
            self.peer,
        );
        let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
            let in_flight = InFlight::begin(&conn, &tracker);
            req.extensions_mut().insert(ConnectInfo(peer));
            req.extensions_mut().insert(ClientScheme(scheme));
            let router = router.clone();
            async move {
                let response = match router.oneshot(req.map(Body::new)).await {
                    Ok(r) => r,
                    Err(never) => match never {},
                };
                Ok::<_, Infallible>(response.map(|body| crate::body::observe(body, in_flight)))
            }
        });
        let served = self.builder.serve_connection(TokioIo::new(io), service);
        tokio::pin!(served);
        let tick = (self.limits.header_timeout.min(self.limits.idle_timeout) / 4)
            .clamp(Duration::from_millis(50), Duration::from_secs(1));
        let mut ticks = tokio::time::interval(tick);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = &mut served => return,
                () = self.conn.close.notified() => return,
                _ = ticks.tick() => {
                    if self.conn.expired(self.tracker.now(), &self.limits) {
                        // Idle HTTP/1 closes at once; HTTP/2 says GOAWAY first. A head
                        // still trickling in gets a second, then the socket is dropped.
                        served.as_mut().graceful_shutdown();
                        let _ = tokio::time::timeout(Duration::from_secs(1), &mut served).await;
                        return;
                    }
                }
                _ = self.shutdown.changed() => {
                    served.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(SHUTDOWN_GRACE, &mut served).await;
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(in_flight: usize, idle_since: u64, head: u64, served: u64) -> Conn {
        Conn {
            in_flight: AtomicUsize::new(in_flight),
            idle_since: AtomicU64::new(idle_since),
            head_started: AtomicU64::new(head),
            served: AtomicU64::new(served),
            http2: AtomicU64::new(0),
            close: Notify::new(),
        }
    }

    #[test]
    fn timers_pick_the_right_limit() {
        let limits = ConnLimits {
            header_timeout: Duration::from_secs(2),
            idle_timeout: Duration::from_secs(10),
            max_connections: None,
        };
        // Silent since opening: the header timeout.
        assert!(!conn(0, 0, NOT_YET, 0).expired(2_000, &limits));
        assert!(conn(0, 0, NOT_YET, 0).expired(2_001, &limits));
        // Idle after a response: the idle timeout.
        assert!(!conn(0, 0, NOT_YET, 1).expired(9_000, &limits));
        assert!(conn(0, 0, NOT_YET, 1).expired(10_001, &limits));
        // A head that started arriving: the header timeout from its first byte.
        assert!(conn(0, 0, 5_000, 1).expired(7_001, &limits));
        // A request in progress is never cut by these timers.
        assert!(!conn(1, 0, NOT_YET, 1).expired(1_000_000, &limits));
    }

    #[test]
    fn the_cap_leaves_room_for_harbor_and_files() {
        let mut limits = ConnLimits {
            max_connections: Some(7),
            ..ConnLimits::default()
        };
        assert_eq!(connection_cap(&limits, 32), 7);
        limits.max_connections = None;
        let cap = connection_cap(&limits, 32);
        assert!((16..=MAX_DERIVED_CONNECTIONS).contains(&cap), "{cap}");
        if let Some(fds) = open_file_limit() {
            assert!(cap + 32 + FD_RESERVE <= fds.max(16 + 32 + FD_RESERVE));
        }
    }
}
