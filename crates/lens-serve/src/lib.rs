//! The Harbor Lens server: serves the built dashboard (`dist/`) and, behind `/api/`,
//! either the simulated Harbor (`--demo`) or a reverse proxy to a real one (`--harbor`).
//!
//! ```no_run
//! # async fn run() -> Result<(), lens_serve::ServeError> {
//! use lens_serve::{access_log::AccessLog, config::Config};
//! let config = Config { addr: "127.0.0.1:0".parse().unwrap(), ..Config::default() };
//! let server = lens_serve::spawn(config, AccessLog::off()).await?;
//! println!("listening on {}", server.url());
//! # Ok(()) }
//! ```
//!
//! Every response carries the security headers of [`headers`]; responses are gzip
//! compressed when the client accepts it; one access-log line is written per request
//! (see [`access_log`]: credentials never reach it); requests must name one of the
//! server's own addresses in `Host` (see [`host`]). Connections are served by
//! [`listener`], which adds header-read and idle timeouts and a connection cap.

pub mod access_log;
pub mod body;
pub mod config;
#[cfg(feature = "demo")]
pub mod demo;
pub mod headers;
pub mod host;
pub mod listener;
pub mod paths;
pub mod precompress;
pub mod proxy;
pub mod static_files;
#[cfg(feature = "tls")]
pub mod tls;

use access_log::AccessLog;
use axum::routing::any;
use axum::Router;
use config::{Backend, Config};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Why the server could not start or stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServeError {
    /// The listen address is taken or not allowed.
    #[error("cannot listen on {addr}: {message}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The system's reason.
        message: String,
    },
    /// The simulator could not be configured.
    #[error("the simulator cannot start: {0}")]
    Demo(String),
    /// `--demo` was asked for but this build has no simulator.
    #[error("this build has no simulator (enable the `demo` feature) — use --harbor URL")]
    DemoUnavailable,
    /// The proxy's HTTP client could not be built.
    #[error("the Harbor proxy cannot start: {0}")]
    Proxy(String),
    /// `--tls` failed (certificate or TLS stack), or this build has no TLS.
    #[error("TLS: {0}")]
    Tls(String),
    /// The server stopped on an I/O error.
    #[error("server error: {0}")]
    Io(String),
}

/// Builds the whole application: `/api/` (simulator or proxy), `/_sim/` (demo only), the
/// dashboard's files everywhere else, wrapped in compression, the `Host` check, security
/// headers and the access log.
pub fn build_router(
    config: &Config,
    log: AccessLog,
    hosts: host::AllowedHosts,
) -> Result<Router, ServeError> {
    let statics = Arc::new(static_files::StaticFiles::new(
        config.dist.clone(),
        config.base_path.clone(),
    ));
    let router = match &config.backend {
        Backend::Demo(opts) => demo_routes(opts)?,
        Backend::Harbor(opts) => {
            let proxy = proxy::Proxy::new(opts.clone(), log.clone()).map_err(ServeError::Proxy)?;
            Router::new()
                .route("/api/{*rest}", any(proxy::forward))
                .with_state(Arc::new(proxy))
        }
    };
    let security = Arc::new(headers::SecurityHeaders::new(&config.frame_ancestors));
    Ok(router
        .fallback(static_files::serve)
        .with_state(statics)
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(hosts),
            host::check,
        ))
        .layer(axum::middleware::from_fn_with_state(
            security,
            headers::apply,
        ))
        .layer(axum::middleware::from_fn_with_state(
            log,
            access_log::log_requests,
        )))
}

/// `/api/*` and `/_sim/*` answered by the in-process simulator. Its router has its own
/// catch-all fallback, so it is called as a service for these two prefixes only.
#[cfg(feature = "demo")]
fn demo_routes<S: Clone + Send + Sync + 'static>(
    opts: &config::DemoOptions,
) -> Result<Router<S>, ServeError> {
    use axum::{extract::Request, response::IntoResponse};
    use tower::ServiceExt;
    let (_sim, sim_router) = demo::mount(opts).map_err(ServeError::Demo)?;
    let handler = move |req: Request| {
        let sim_router = sim_router.clone();
        async move { sim_router.oneshot(req).await.into_response() }
    };
    Ok(Router::new()
        .route("/api/{*rest}", any(handler.clone()))
        .route("/_sim/{*rest}", any(handler)))
}

#[cfg(not(feature = "demo"))]
fn demo_routes<S: Clone + Send + Sync + 'static>(
    _opts: &config::DemoOptions,
) -> Result<Router<S>, ServeError> {
    Err(ServeError::DemoUnavailable)
}

/// A running server; stops when dropped or on [`ServerHandle::shutdown`].
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    scheme: &'static str,
    base_path: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), ServeError>>>,
}

impl ServerHandle {
    /// The bound address (the real port when `:0` was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (or `https://`), without a trailing slash.
    pub fn origin(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// The dashboard's address: origin plus base path (`http://127.0.0.1:PORT/`).
    pub fn url(&self) -> String {
        format!("{}{}", self.origin(), self.base_path)
    }

    /// Stops accepting connections and waits for the server task to end.
    pub async fn shutdown(mut self) -> Result<(), ServeError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.map_err(|e| ServeError::Io(e.to_string()))?,
            None => Ok(()),
        }
    }

    /// Waits until the server stops by itself (an I/O error).
    pub async fn wait(mut self) -> Result<(), ServeError> {
        match self.task.take() {
            Some(task) => task.await.map_err(|e| ServeError::Io(e.to_string()))?,
            None => Ok(()),
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// Binds `config.addr`, then serves the application in a background task.
pub async fn spawn(config: Config, log: AccessLog) -> Result<ServerHandle, ServeError> {
    let bind_error = |e: std::io::Error| ServeError::Bind {
        addr: config.addr,
        message: e.to_string(),
    };
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(bind_error)?;
    let addr = listener.local_addr().map_err(bind_error)?;
    let hosts = host::AllowedHosts::new(addr, &config.public_hosts, config.tls);
    let router = build_router(&config, log, hosts)?;
    let upstream = match &config.backend {
        Backend::Harbor(p) => p.max_concurrent,
        Backend::Demo(_) => 0,
    };
    let limits = config.limits;
    let cap = listener::connection_cap(&limits, upstream);
    let (stop, stopped) = oneshot::channel::<()>();
    let stopped = async move {
        let _ = stopped.await;
    };
    let scheme = if config.tls { "https" } else { "http" };
    let io_error = |e: std::io::Error| ServeError::Io(e.to_string());
    let task = if config.tls {
        let tls = tls_handshake(&config)?;
        tokio::spawn(async move {
            listener::serve(listener, router, tls, limits, cap, stopped)
                .await
                .map_err(io_error)
        })
    } else {
        tokio::spawn(async move {
            listener::serve(listener, router, listener::Plain, limits, cap, stopped)
                .await
                .map_err(io_error)
        })
    };
    Ok(ServerHandle {
        addr,
        scheme,
        base_path: config.base_path.clone(),
        stop: Some(stop),
        task: Some(task),
    })
}

#[cfg(feature = "tls")]
fn tls_handshake(config: &Config) -> Result<tls::Tls, ServeError> {
    tls::Tls::new(config.tls_files.as_ref())
}

#[cfg(not(feature = "tls"))]
fn tls_handshake(_config: &Config) -> Result<listener::Plain, ServeError> {
    Err(ServeError::Tls(
        "this build has no TLS (enable the `tls` feature)".into(),
    ))
}

/// Runs the server until Ctrl-C or SIGTERM: prints `Harbor Lens on URL` on stdout once listening
/// (scripts read the port from it) and logs requests to stderr unless `--quiet`.
pub async fn serve(config: Config) -> Result<(), ServeError> {
    if !config.dist.join("index.html").is_file() {
        eprintln!(
            "lens-serve: warning: {} has no index.html (build the app with trunk first)",
            config.dist.display()
        );
    }
    eprintln!("lens-serve: {}", describe(&config));
    if config.addr.ip().is_unspecified() && config.public_hosts.is_empty() {
        eprintln!(
            "lens-serve: note: listening on {} but answering only Host localhost, 127.0.0.1 \
             and [::1]; add --public-host NAME for the name users browse to",
            config.addr
        );
    }
    if !config.tls && !config.addr.ip().is_loopback() {
        eprintln!(
            "lens-serve: warning: plain HTTP on a non-loopback address: credentials would \
             cross the network in clear text; use --tls-cert and --tls-key"
        );
    }
    let log = if config.access_log {
        AccessLog::stderr()
    } else {
        AccessLog::off()
    };
    let mut server = spawn(config, log).await?;
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "Harbor Lens on {}", server.url());
    let _ = stdout.flush();
    let Some(mut task) = server.task.take() else {
        return Ok(());
    };
    let joined = tokio::select! {
        _ = stop_signal() => {
            if let Some(stop) = server.stop.take() {
                let _ = stop.send(());
            }
            task.await
        }
        joined = &mut task => joined,
    };
    joined.map_err(|e| ServeError::Io(e.to_string()))?
}

/// Ctrl-C, or SIGTERM on Unix (what scripts and service managers send).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// One line for the operator: what is served from where.
pub fn describe(config: &Config) -> String {
    let backend = match &config.backend {
        Backend::Demo(d) => {
            let faults = if d.fault_rate > 0.0 {
                format!(", fault rate {}", d.fault_rate)
            } else {
                String::new()
            };
            format!(
                "simulated Harbor {} (preset {}, seed {}{faults})",
                d.harbor_version, d.preset, d.seed
            )
        }
        Backend::Harbor(p) => format!(
            "proxy to {} ({}; at most {} requests to Harbor at once, {} s each)",
            p.upstream,
            if p.allow_writes {
                "GET, HEAD, POST, PUT, PATCH, DELETE"
            } else {
                "GET and HEAD only"
            },
            p.max_concurrent,
            p.timeout.as_secs()
        ),
    };
    format!(
        "dashboard from {} at {}; /api/ -> {backend}",
        config.dist.display(),
        config.base_path
    )
}
