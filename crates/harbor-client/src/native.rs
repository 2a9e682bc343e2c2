//! Host implementations of [`Transport`] (reqwest) and [`Clock`] (tokio), for tests,
//! benchmarks and command-line use. Feature `native`; never built for wasm32.

use std::time::{Duration, Instant};

use futures::future::{select, Either, FutureExt, LocalBoxFuture};

use crate::transport::{
    Clock, NetworkErrorKind, Protocol, Request, Response, Transport, TransportError,
};

/// GET over reqwest against one Harbor base URL (`http://host:port`, no path).
#[derive(Debug, Clone)]
pub struct NativeTransport {
    client: reqwest::Client,
    base: String,
}

impl NativeTransport {
    /// A transport for `base` (e.g. `http://127.0.0.1:8080`); a trailing `/` is ignored.
    /// Over `https` it speaks HTTP/2 when the server offers it (ALPN).
    pub fn new(base: &str) -> Result<Self, TransportError> {
        Self::build(base, reqwest::Client::builder())
    }

    /// Like [`NativeTransport::new`], but trusting any certificate: for tests and
    /// benchmarks against the simulator's self-signed one, never for a real Harbor.
    pub fn accepting_invalid_certs(base: &str) -> Result<Self, TransportError> {
        Self::build(
            base,
            reqwest::Client::builder().danger_accept_invalid_certs(true),
        )
    }

    fn build(base: &str, builder: reqwest::ClientBuilder) -> Result<Self, TransportError> {
        let client = builder
            .build()
            .map_err(|e| TransportError::new(NetworkErrorKind::Other, e.to_string()))?;
        Ok(NativeTransport {
            client,
            base: base.trim_end_matches('/').to_owned(),
        })
    }

    async fn fetch(&self, req: Request) -> Result<Response, TransportError> {
        // The path is always a same-origin `/api/v2.0/...` path (see `ApiPath`).
        let url = format!("{}{}", self.base, req.path.as_str());
        let mut builder = self.client.get(url).timeout(req.timeout);
        for (name, value) in &req.headers {
            builder = builder.header(*name, value);
        }
        let response = builder.send().await.map_err(map_error)?;
        let status = response.status().as_u16();
        let protocol = match response.version() {
            reqwest::Version::HTTP_2 | reqwest::Version::HTTP_3 => Protocol::Http2,
            reqwest::Version::HTTP_10 | reqwest::Version::HTTP_11 => Protocol::Http1,
            _ => Protocol::Unknown,
        };
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = response.bytes().await.map_err(map_error)?.to_vec();
        Ok(Response {
            status,
            headers,
            body,
            protocol,
            arrived: None,
            sent: None,
        })
    }
}

fn map_error(e: reqwest::Error) -> TransportError {
    let kind = if e.is_timeout() {
        NetworkErrorKind::Timeout
    } else if e.is_connect() {
        NetworkErrorKind::Connect
    } else if e.is_body() || e.is_decode() || e.is_request() {
        // `is_request` without `is_connect`: the connection was there and broke before
        // the response was complete.
        NetworkErrorKind::Interrupted
    } else {
        NetworkErrorKind::Other
    };
    // The chain of sources says what really happened ("connection closed before message completed").
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(inner) = source {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        source = inner.source();
    }
    TransportError::new(kind, message)
}

impl Transport for NativeTransport {
    fn get(&self, req: Request) -> LocalBoxFuture<'_, Result<Response, TransportError>> {
        let cancel = req.cancel.clone();
        async move {
            let fetch = Box::pin(self.fetch(req));
            match select(fetch, cancel.cancelled()).await {
                Either::Left((result, _)) => result,
                // Dropping the reqwest future closes the connection.
                Either::Right(_) => {
                    Err(TransportError::new(NetworkErrorKind::Aborted, "cancelled"))
                }
            }
        }
        .boxed_local()
    }
}

/// Monotonic time and tokio timers.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    origin: Instant,
}

impl TokioClock {
    /// A clock whose zero is now.
    pub fn new() -> Self {
        TokioClock {
            origin: Instant::now(),
        }
    }
}

impl Default for TokioClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for TokioClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    fn sleep(&self, duration: Duration) -> LocalBoxFuture<'static, ()> {
        tokio::time::sleep(duration).boxed_local()
    }
}

/// Whose CPU time [`cpu_time`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpuOf {
    /// Every thread of this process.
    Process,
    /// The calling thread only.
    Thread,
}

/// CPU time (user + system) spent so far, from Linux's procfs; `None` elsewhere. The
/// benchmarks use it to tell the engine's own cost (decoding, planning, HTTP, TLS) apart
/// from the time it waits on the network.
pub fn cpu_time(of: CpuOf) -> Option<Duration> {
    let file = match of {
        CpuOf::Process => "/proc/self/stat",
        CpuOf::Thread => "/proc/thread-self/stat",
    };
    let stat = std::fs::read_to_string(file).ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line: 12 and 13 after the name.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // Linux counts them in USER_HZ, 100 per second on every mainstream build.
    Some(Duration::from_millis(ticks * 10))
}
