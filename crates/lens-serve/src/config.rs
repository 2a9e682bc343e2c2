//! Command-line options, parsed by hand into a validated [`Config`].
//!
//! Every value is checked here, once, so the rest of the server can trust it: the
//! Harbor address is a bare http(s) origin, frame-ancestors sources cannot smuggle
//! extra CSP directives, and the base path is normalised to `/…/`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Default listen address: loopback only, so nothing is exposed unless asked for.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";
/// Default upper bound on one proxied request, from sending it to Harbor's response head.
pub const DEFAULT_PROXY_TIMEOUT: Duration = Duration::from_secs(30);
/// Default request-body limit for the proxy. The dashboard only reads, so 1 MiB is ample.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 1024 * 1024;
/// Default number of requests the proxy has open to Harbor at once; more wait their turn.
pub const DEFAULT_MAX_HARBOR_REQUESTS: usize = 32;
/// Default number of requests that may wait for a turn to Harbor; more get 503 at once.
pub const DEFAULT_MAX_QUEUED: usize = 1024;
/// Default time a client has to send a complete request head once it starts one (or
/// once its connection opens).
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time a kept-alive connection may sit idle between two requests.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Usage text printed by `--help`.
pub const USAGE: &str = "\
lens-serve: serves the Harbor Lens dashboard and a Harbor API behind it

USAGE: lens-serve [OPTIONS]
       lens-serve compress DIR   write .br and .gz siblings of DIR's wasm, js, css, html,
                                 json and svg files (run after `trunk build`), then exit

  --dist DIR                built dashboard to serve (default: dist)
  --addr HOST:PORT          listen address (default: 127.0.0.1:8080; port 0 = any free port)
  --base-path /PATH/        serve the dashboard under a sub-path (default: /); /api/ stays at the root
  --frame-ancestors ORIGIN  allow framing by ORIGIN (repeatable or comma-separated; default: 'none')
  --tls                     serve HTTPS + HTTP/2 with a self-signed certificate made at start
  --tls-cert FILE           serve HTTPS with this PEM certificate chain (needs --tls-key)
  --tls-key FILE            PEM private key for --tls-cert
  --public-host HOST[:PORT] a Host name browsers use to reach this server (repeatable);
                            other Hosts get 421. Always accepted: localhost, 127.0.0.1
                            and [::1] with the listening port, and the listen address
  --header-timeout-secs N   time to send a complete request head (default: 10)
  --idle-timeout-secs N     keep-alive connections idle longer are closed (default: 60)
  --max-connections N       open client connections at most; when full, the connection
                            idle the longest is closed for a new one (default: from the
                            open-file limit, at most 4096)
  --quiet                   no access log on stderr

Harbor backend (one of):
  --demo                    the simulated Harbor, in process (default when --harbor is absent)
    --preset NAME           dataset size: tiny, small, medium, large or xlarge
                            (default: small)
    --seed N                dataset and fault seed (default: 42)
    --harbor-version X.Y    Harbor release to emulate, 2.10 to 2.16; X.Y.Z where the
                            patch matters, e.g. 2.15.2 (default: 2.13)
    --latency-ms N          added latency per request (default: 0)
    --jitter-ms N           random extra latency up to N ms (default: 0)
    --login-lockout-ms N    after a failed login, sleep and lock that user name for N ms,
                            as Harbor does for 1500 ms (default: 0, off)
    --fault-rate F          fraction 0..1 of API requests failing with 5xx (default: 0)
    --hostile               hostile strings in every free-text field
    --cors                  let the simulator send CORS headers (real Harbor sends none)
    --workers N             serve N requests at once, the rest wait, with Harbor-like service times (default: unlimited, instant)
    --queue-limit N         with --workers: beyond N waiting, answer 503 (default: no limit)
  --harbor URL              reverse-proxy /api/v2.0/ to a real Harbor, e.g. https://harbor.example.com
                            Only GET and HEAD are forwarded (other methods get 405)
    --proxy-timeout-secs N  deadline for a whole proxied response, head and body: 504
                            before the head, a cut response after it (default: 30)
    --max-harbor-requests N requests open to Harbor at once; more wait, and past 1024
                            waiting get 503 (default: 32)
    --allow-writes          also forward POST, PUT, PATCH and DELETE (the dashboard
                            never sends them)
    --max-body-bytes N      request-body limit with --allow-writes, answered with 413
                            (default: 1048576)
    --harbor-ca FILE        PEM file of extra CA certificates to trust for Harbor
";

/// The validated server configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Address to listen on.
    pub addr: SocketAddr,
    /// Directory holding the built dashboard (`index.html`, wasm, js, css).
    pub dist: PathBuf,
    /// Sub-path the dashboard is served under, always starting and ending with `/`.
    pub base_path: String,
    /// Where `/api/` requests go.
    pub backend: Backend,
    /// CSP `frame-ancestors` sources; empty means `'none'`.
    pub frame_ancestors: Vec<String>,
    /// Serve HTTPS instead of plain HTTP: with `tls_files` when given, else on a
    /// self-signed certificate made at start.
    pub tls: bool,
    /// A real certificate chain and key for HTTPS (`--tls-cert`, `--tls-key`).
    pub tls_files: Option<TlsFiles>,
    /// Host names (with optional port) the server is meant to be reached at, on top of
    /// the loopback names and the listen address.
    pub public_hosts: Vec<String>,
    /// Timers and the connection cap.
    pub limits: ConnLimits,
    /// Write one access-log line per request to stderr.
    pub access_log: bool,
}

/// PEM files for `--tls-cert` / `--tls-key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// Certificate chain, leaf first.
    pub cert: PathBuf,
    /// Private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// How long connections may take and how many may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnLimits {
    /// Time to send a complete request head, counted from the connection's opening or
    /// from the first byte of a later request.
    pub header_timeout: Duration,
    /// Time a connection with no request in progress may stay open after a response.
    pub idle_timeout: Duration,
    /// Cap on open client connections; `None` derives it from the open-file limit.
    pub max_connections: Option<usize>,
}

impl Default for ConnLimits {
    fn default() -> Self {
        ConnLimits {
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: None,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: DEFAULT_ADDR
                .parse()
                .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 8080))),
            dist: PathBuf::from("dist"),
            base_path: "/".to_owned(),
            backend: Backend::Demo(DemoOptions::default()),
            frame_ancestors: Vec::new(),
            tls: false,
            tls_files: None,
            public_hosts: Vec::new(),
            limits: ConnLimits::default(),
            access_log: true,
        }
    }
}

/// The Harbor behind `/api/`.
#[derive(Debug, Clone, PartialEq)]
pub enum Backend {
    /// The simulator, mounted in process.
    Demo(DemoOptions),
    /// A reverse proxy to a real Harbor.
    Harbor(ProxyOptions),
}

/// Simulator settings passed through from the command line (validated strings, so this
/// module does not depend on the simulator crate).
#[derive(Debug, Clone, PartialEq)]
pub struct DemoOptions {
    /// Dataset preset: `tiny`, `small`, `medium` or `large`.
    pub preset: String,
    /// Seed for the dataset and the fault verdicts.
    pub seed: u64,
    /// Harbor version to emulate, `MAJOR.MINOR`.
    pub harbor_version: String,
    /// Latency added to each request.
    pub latency: Duration,
    /// Upper bound of random extra latency.
    pub jitter: Duration,
    /// Harbor's failed-login lock (1.5 s on a real Harbor); zero turns it off.
    pub login_lockout: Duration,
    /// Fraction of API requests that fail, in `0.0..=1.0`.
    pub fault_rate: f64,
    /// Put hostile strings in every free-text field.
    pub hostile: bool,
    /// Let the simulator send permissive CORS headers (real Harbor sends none).
    pub cors: bool,
    /// Requests the simulator serves at once (`None`: unlimited and instant).
    pub workers: Option<usize>,
    /// Requests allowed to wait for a worker before a 503.
    pub queue_limit: Option<usize>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            preset: "small".to_owned(),
            seed: 42,
            harbor_version: "2.13".to_owned(),
            latency: Duration::ZERO,
            jitter: Duration::ZERO,
            login_lockout: Duration::ZERO,
            fault_rate: 0.0,
            hostile: false,
            cors: false,
            workers: None,
            queue_limit: None,
        }
    }
}

/// Reverse-proxy settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ProxyOptions {
    /// Harbor's origin plus optional path prefix, without a trailing slash
    /// (`https://harbor.example.com`).
    pub upstream: String,
    /// Deadline for one proxied request, from its arrival to the last byte of Harbor's
    /// response (waiting for a free slot included).
    pub timeout: Duration,
    /// Largest request body forwarded to Harbor (only with `allow_writes`).
    pub max_body_bytes: u64,
    /// Requests open to Harbor at once.
    pub max_concurrent: usize,
    /// Requests that may wait for one of those slots (within their deadline); more are
    /// answered 503 at once.
    pub max_queued: usize,
    /// Forward POST, PUT, PATCH and DELETE too; otherwise only GET and HEAD.
    pub allow_writes: bool,
    /// Extra PEM file of CA certificates to trust for Harbor (an internal CA), on top
    /// of Mozilla's roots and the system's store.
    pub ca_file: Option<PathBuf>,
}

impl ProxyOptions {
    /// Proxy options for `upstream` with default timeout and body limit.
    pub fn new(upstream: &str) -> Result<Self, ConfigError> {
        Ok(ProxyOptions {
            upstream: parse_upstream(upstream)?,
            timeout: DEFAULT_PROXY_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_concurrent: DEFAULT_MAX_HARBOR_REQUESTS,
            max_queued: DEFAULT_MAX_QUEUED,
            allow_writes: false,
            ca_file: None,
        })
    }
}

/// What the command line asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Run the server.
    Run(Box<Config>),
    /// Print [`USAGE`] and exit.
    Help,
    /// `compress DIR`: write precompressed siblings of a built `dist/`, then exit.
    Compress(PathBuf),
}

/// A command-line error, shown to the operator as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A flag this program does not know.
    #[error("unknown option `{0}` (see --help)")]
    UnknownFlag(String),
    /// A flag that needs a value came last.
    #[error("option `{0}` needs a value")]
    MissingValue(String),
    /// A value that does not parse or is out of range.
    #[error("invalid value `{value}` for `{flag}`: {reason}")]
    InvalidValue {
        /// The flag.
        flag: String,
        /// The rejected value.
        value: String,
        /// Why it was rejected.
        reason: String,
    },
    /// Two options that cannot be combined.
    #[error("{0}")]
    Conflict(String),
}

fn invalid(flag: &str, value: &str, reason: &str) -> ConfigError {
    ConfigError::InvalidValue {
        flag: flag.to_owned(),
        value: value.to_owned(),
        reason: reason.to_owned(),
    }
}

impl Config {
    /// Parses command-line arguments (without the program name).
    ///
    /// Accepts `--flag value` and `--flag=value`.
    pub fn parse<I, S>(args: I) -> Result<Command, ConfigError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut config = Config::default();
        let mut demo = DemoOptions::default();
        let mut demo_flag_seen: Option<String> = None;
        let mut harbor: Option<String> = None;
        let mut explicit_demo = false;
        let mut proxy_timeout = DEFAULT_PROXY_TIMEOUT;
        let mut max_body = DEFAULT_MAX_BODY_BYTES;
        let mut ca_file: Option<PathBuf> = None;
        let mut max_harbor = DEFAULT_MAX_HARBOR_REQUESTS;
        let mut allow_writes = false;
        let mut proxy_flag_seen: Option<String> = None;
        let mut tls_cert: Option<PathBuf> = None;
        let mut tls_key: Option<PathBuf> = None;

        let mut args = args.into_iter().map(Into::into).peekable();
        if args.peek().is_some_and(|a: &String| a == "compress") {
            args.next();
            let dir = args
                .next()
                .ok_or_else(|| ConfigError::MissingValue("compress".to_owned()))?;
            if let Some(extra) = args.next() {
                return Err(ConfigError::Conflict(format!(
                    "`compress` takes one directory; unexpected `{extra}`"
                )));
            }
            return Ok(Command::Compress(PathBuf::from(dir)));
        }
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
                _ => (arg.clone(), None),
            };
            let mut value = |flag: &str| -> Result<String, ConfigError> {
                match inline.clone() {
                    Some(v) => Ok(v),
                    None => args
                        .next()
                        .ok_or_else(|| ConfigError::MissingValue(flag.to_owned())),
                }
            };
            match flag.as_str() {
                "-h" | "--help" => return Ok(Command::Help),
                "--dist" => config.dist = PathBuf::from(value(&flag)?),
                "--addr" => {
                    let v = value(&flag)?;
                    config.addr = v
                        .parse()
                        .map_err(|_| invalid(&flag, &v, "expected HOST:PORT"))?;
                }
                "--base-path" => config.base_path = parse_base_path(&value(&flag)?)?,
                "--frame-ancestors" => {
                    let v = value(&flag)?;
                    for source in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                        config.frame_ancestors.push(parse_frame_ancestor(source)?);
                    }
                }
                "--tls" => config.tls = true,
                "--tls-cert" => tls_cert = Some(PathBuf::from(value(&flag)?)),
                "--tls-key" => tls_key = Some(PathBuf::from(value(&flag)?)),
                "--public-host" => {
                    let v = value(&flag)?;
                    config.public_hosts.push(parse_public_host(&v)?);
                }
                "--header-timeout-secs" => {
                    config.limits.header_timeout = parse_secs(&flag, &value(&flag)?)?;
                }
                "--idle-timeout-secs" => {
                    config.limits.idle_timeout = parse_secs(&flag, &value(&flag)?)?;
                }
                "--max-connections" => {
                    let n: usize = parse_number(&flag, &value(&flag)?)?;
                    if n == 0 {
                        return Err(invalid(&flag, "0", "must be at least 1"));
                    }
                    config.limits.max_connections = Some(n);
                }
                "--quiet" => config.access_log = false,
                "--demo" => explicit_demo = true,
                "--harbor" => harbor = Some(parse_upstream(&value(&flag)?)?),
                "--preset" => {
                    let v = value(&flag)?;
                    if v.parse::<harbor_sim::Preset>().is_err() {
                        return Err(invalid(
                            &flag,
                            &v,
                            "expected tiny, small, medium, large or xlarge",
                        ));
                    }
                    demo.preset = v;
                    demo_flag_seen = Some(flag);
                }
                "--seed" => {
                    demo.seed = parse_number(&flag, &value(&flag)?)?;
                    demo_flag_seen = Some(flag);
                }
                "--harbor-version" => {
                    let v = value(&flag)?;
                    let parts: Vec<&str> = v.split('.').collect();
                    let ok = (2..=3).contains(&parts.len())
                        && parts.iter().all(|p| is_digits(p) && p.len() <= 3);
                    if !ok {
                        return Err(invalid(&flag, &v, "expected MAJOR.MINOR, e.g. 2.13"));
                    }
                    demo.harbor_version = v;
                    demo_flag_seen = Some(flag);
                }
                "--latency-ms" => {
                    demo.latency = Duration::from_millis(parse_number(&flag, &value(&flag)?)?);
                    demo_flag_seen = Some(flag);
                }
                "--jitter-ms" => {
                    demo.jitter = Duration::from_millis(parse_number(&flag, &value(&flag)?)?);
                    demo_flag_seen = Some(flag);
                }
                "--login-lockout-ms" => {
                    let ms = parse_number(&flag, &value(&flag)?)?;
                    demo.login_lockout = Duration::from_millis(ms);
                    demo_flag_seen = Some(flag);
                }
                "--fault-rate" => {
                    let v = value(&flag)?;
                    let rate: f64 = v.parse().map_err(|_| invalid(&flag, &v, "not a number"))?;
                    if !(0.0..=1.0).contains(&rate) {
                        return Err(invalid(&flag, &v, "must be between 0 and 1"));
                    }
                    demo.fault_rate = rate;
                    demo_flag_seen = Some(flag);
                }
                "--hostile" => {
                    demo.hostile = true;
                    demo_flag_seen = Some(flag);
                }
                "--cors" => {
                    demo.cors = true;
                    demo_flag_seen = Some(flag);
                }
                "--workers" | "--queue-limit" => {
                    let n: usize = parse_number(&flag, &value(&flag)?)?;
                    if flag == "--workers" {
                        if n == 0 {
                            return Err(invalid(&flag, "0", "must be at least 1"));
                        }
                        demo.workers = Some(n);
                    } else {
                        demo.queue_limit = Some(n);
                    }
                    demo_flag_seen = Some(flag);
                }
                "--proxy-timeout-secs" => {
                    proxy_timeout = parse_secs(&flag, &value(&flag)?)?;
                    proxy_flag_seen = Some(flag);
                }
                "--max-harbor-requests" => {
                    max_harbor = parse_number(&flag, &value(&flag)?)?;
                    if max_harbor == 0 {
                        return Err(invalid(&flag, "0", "must be at least 1"));
                    }
                    proxy_flag_seen = Some(flag);
                }
                "--allow-writes" => {
                    allow_writes = true;
                    proxy_flag_seen = Some(flag);
                }
                "--harbor-ca" => {
                    ca_file = Some(PathBuf::from(value(&flag)?));
                    proxy_flag_seen = Some(flag);
                }
                "--max-body-bytes" => {
                    max_body = parse_number(&flag, &value(&flag)?)?;
                    proxy_flag_seen = Some(flag);
                }
                _ => return Err(ConfigError::UnknownFlag(arg)),
            }
        }

        config.tls_files = match (tls_cert, tls_key) {
            (Some(cert), Some(key)) => {
                config.tls = true;
                Some(TlsFiles { cert, key })
            }
            (None, None) => None,
            (Some(_), None) => {
                return Err(ConfigError::Conflict(
                    "--tls-cert needs --tls-key (the certificate's private key)".into(),
                ))
            }
            (None, Some(_)) => {
                return Err(ConfigError::Conflict(
                    "--tls-key needs --tls-cert (the certificate chain)".into(),
                ))
            }
        };
        config.backend = match harbor {
            Some(_) if explicit_demo => {
                return Err(ConfigError::Conflict(
                    "--demo and --harbor exclude each other".into(),
                ))
            }
            Some(upstream) => {
                if let Some(flag) = demo_flag_seen {
                    return Err(ConfigError::Conflict(format!(
                        "{flag} only applies to --demo"
                    )));
                }
                Backend::Harbor(ProxyOptions {
                    upstream,
                    timeout: proxy_timeout,
                    max_body_bytes: max_body,
                    max_concurrent: max_harbor,
                    max_queued: DEFAULT_MAX_QUEUED,
                    allow_writes,
                    ca_file,
                })
            }
            None => {
                if let Some(flag) = proxy_flag_seen {
                    return Err(ConfigError::Conflict(format!(
                        "{flag} only applies to --harbor"
                    )));
                }
                Backend::Demo(demo)
            }
        };
        Ok(Command::Run(Box::new(config)))
    }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn parse_number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, ConfigError> {
    value
        .parse()
        .map_err(|_| invalid(flag, value, "expected a non-negative integer"))
}

/// A whole number of seconds, at least 1.
fn parse_secs(flag: &str, value: &str) -> Result<Duration, ConfigError> {
    let secs: u64 = parse_number(flag, value)?;
    if secs == 0 {
        return Err(invalid(flag, value, "must be at least 1"));
    }
    Ok(Duration::from_secs(secs))
}

/// Validates a `--public-host` value: a DNS name, IPv4 address or bracketed IPv6
/// address, with an optional port. Returned in lower case, as Host headers are compared.
pub fn parse_public_host(value: &str) -> Result<String, ConfigError> {
    let reject = |reason: &str| invalid("--public-host", value, reason);
    let lower = value.to_ascii_lowercase();
    let (host, port) = if let Some(rest) = lower.strip_prefix('[') {
        let (inner, after) = rest
            .split_once(']')
            .ok_or_else(|| reject("an IPv6 address needs its closing `]`"))?;
        if inner.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(reject("not an IPv6 address"));
        }
        match after {
            "" => (format!("[{inner}]"), None),
            _ => match after.strip_prefix(':') {
                Some(p) => (format!("[{inner}]"), Some(p)),
                None => return Err(reject("expected [IPV6]:PORT")),
            },
        }
    } else {
        match lower.split_once(':') {
            Some((h, p)) => (h.to_owned(), Some(p)),
            None => (lower.clone(), None),
        }
    };
    let name_ok = host.starts_with('[')
        || (!host.is_empty()
            && host.split('.').all(|label| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            }));
    if !name_ok {
        return Err(reject("expected a host name such as lens.example.com"));
    }
    match port {
        None => Ok(host),
        Some(p) if is_digits(p) && p.parse::<u16>().is_ok_and(|n| n > 0) => {
            Ok(format!("{host}:{p}"))
        }
        Some(_) => Err(reject("the port must be a number from 1 to 65535")),
    }
}

/// Normalises a base path to `/seg/…/`; rejects anything that is not plain path segments.
pub fn parse_base_path(value: &str) -> Result<String, ConfigError> {
    let segments: Vec<&str> = value.split('/').filter(|s| !s.is_empty()).collect();
    let plain = |s: &&str| {
        *s != "."
            && *s != ".."
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b))
    };
    if !value.starts_with('/') || !segments.iter().all(plain) {
        return Err(invalid(
            "--base-path",
            value,
            "expected an absolute path of plain segments, e.g. /lens/",
        ));
    }
    if segments.first() == Some(&"api") || segments.first() == Some(&"_sim") {
        return Err(invalid(
            "--base-path",
            value,
            "/api/ and /_sim/ are reserved",
        ));
    }
    if segments.is_empty() {
        return Ok("/".to_owned());
    }
    Ok(format!("/{}/", segments.join("/")))
}

/// Validates one `frame-ancestors` source: `'self'`, `'none'`, or an http(s) origin whose
/// host may start with `*.`. Anything else could inject further CSP directives.
pub fn parse_frame_ancestor(value: &str) -> Result<String, ConfigError> {
    if value == "'self'" || value == "'none'" {
        return Ok(value.to_owned());
    }
    let reject = |reason: &str| invalid("--frame-ancestors", value, reason);
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .ok_or_else(|| reject("expected 'self' or an origin like https://portal.example.com"))?;
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (rest, None),
    };
    let host_body = host.strip_prefix("*.").unwrap_or(host);
    let host_ok = !host_body.is_empty()
        && host_body.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
        });
    if !host_ok {
        return Err(reject(
            "the host must be a DNS name (no path, quotes or spaces)",
        ));
    }
    if let Some(port) = port {
        if !is_digits(port) || port.parse::<u16>().is_err() {
            return Err(reject("the port must be a number"));
        }
    }
    Ok(value.to_ascii_lowercase())
}

/// Validates the Harbor address: http(s), a host, no credentials, query or fragment.
/// Returns it without a trailing slash so request paths can be appended verbatim.
pub fn parse_upstream(value: &str) -> Result<String, ConfigError> {
    let reject = |reason: &str| invalid("--harbor", value, reason);
    let url = reqwest::Url::parse(value).map_err(|e| reject(&e.to_string()))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(reject("the scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(reject("a host is required"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(reject("credentials do not belong in the address"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(reject("no query or fragment allowed"));
    }
    let text = url.as_str().trim_end_matches('/').to_owned();
    if text.ends_with("/api") || text.contains("/api/") {
        return Err(reject("give Harbor's address without /api"));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Config, ConfigError> {
        match Config::parse(args.iter().copied())? {
            Command::Run(c) => Ok(*c),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn defaults_are_demo_on_loopback() {
        let c = run(&[]).unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:8080");
        assert_eq!(c.dist, PathBuf::from("dist"));
        assert_eq!(c.base_path, "/");
        assert_eq!(c.backend, Backend::Demo(DemoOptions::default()));
        assert!(c.frame_ancestors.is_empty());
    }

    #[test]
    fn demo_flags_pass_through() {
        let c = run(&[
            "--preset=large",
            "--seed",
            "7",
            "--harbor-version",
            "2.10",
            "--latency-ms",
            "20",
            "--jitter-ms=5",
            "--login-lockout-ms",
            "1500",
            "--fault-rate",
            "0.05",
            "--hostile",
            "--workers",
            "16",
            "--queue-limit=64",
        ])
        .unwrap();
        let Backend::Demo(d) = c.backend else {
            panic!("demo expected")
        };
        assert_eq!(d.preset, "large");
        assert_eq!(d.seed, 7);
        assert_eq!(d.harbor_version, "2.10");
        assert_eq!(d.latency, Duration::from_millis(20));
        assert_eq!(d.jitter, Duration::from_millis(5));
        assert_eq!(d.login_lockout, Duration::from_millis(1500));
        assert_eq!(d.fault_rate, 0.05);
        assert!(d.hostile);
        assert_eq!(d.workers, Some(16));
        assert_eq!(d.queue_limit, Some(64));
    }

    #[test]
    fn harbor_flag_selects_proxy() {
        let c = run(&[
            "--harbor",
            "https://Harbor.Example.com/",
            "--proxy-timeout-secs",
            "5",
        ])
        .unwrap();
        assert_eq!(
            c.backend,
            Backend::Harbor(ProxyOptions {
                upstream: "https://harbor.example.com".into(),
                timeout: Duration::from_secs(5),
                max_body_bytes: DEFAULT_MAX_BODY_BYTES,
                max_concurrent: DEFAULT_MAX_HARBOR_REQUESTS,
                max_queued: DEFAULT_MAX_QUEUED,
                allow_writes: false,
                ca_file: None,
            })
        );
    }

    #[test]
    fn hardening_flags_parse() {
        let c = run(&[
            "--harbor=https://h",
            "--max-harbor-requests",
            "4",
            "--allow-writes",
            "--public-host",
            "Lens.Example.com",
            "--public-host=10.0.0.5:8443",
            "--public-host",
            "[::1]:9",
            "--header-timeout-secs",
            "2",
            "--idle-timeout-secs=3",
            "--max-connections",
            "100",
            "--tls-cert",
            "c.pem",
            "--tls-key",
            "k.pem",
        ])
        .unwrap();
        let Backend::Harbor(p) = &c.backend else {
            panic!("proxy expected")
        };
        assert_eq!((p.max_concurrent, p.allow_writes), (4, true));
        assert_eq!(
            c.public_hosts,
            ["lens.example.com", "10.0.0.5:8443", "[::1]:9"]
        );
        assert_eq!(c.limits.header_timeout, Duration::from_secs(2));
        assert_eq!(c.limits.idle_timeout, Duration::from_secs(3));
        assert_eq!(c.limits.max_connections, Some(100));
        assert!(c.tls);
        assert_eq!(
            c.tls_files,
            Some(TlsFiles {
                cert: "c.pem".into(),
                key: "k.pem".into()
            })
        );
        for bad in [
            "evil.example/x",
            "a b",
            "h:0",
            "h:99999",
            "[::1",
            "[zz]:1",
            "",
            "*.example",
        ] {
            assert!(parse_public_host(bad).is_err(), "{bad}");
        }
        assert!(matches!(
            run(&["--tls-cert", "c.pem"]),
            Err(ConfigError::Conflict(_))
        ));
        assert!(matches!(
            run(&["--allow-writes"]),
            Err(ConfigError::Conflict(_))
        ));
        assert!(run(&["--header-timeout-secs", "0"]).is_err());
        assert!(run(&["--max-connections", "0"]).is_err());
    }

    #[test]
    fn harbor_ca_and_body_limit_are_proxy_options() {
        let c = run(&[
            "--harbor=https://h",
            "--harbor-ca",
            "/etc/ca.pem",
            "--max-body-bytes",
            "10",
        ])
        .unwrap();
        let Backend::Harbor(p) = c.backend else {
            panic!("proxy expected")
        };
        assert_eq!(p.ca_file, Some(PathBuf::from("/etc/ca.pem")));
        assert_eq!(p.max_body_bytes, 10);
        assert_eq!(p.timeout, DEFAULT_PROXY_TIMEOUT);
        assert!(matches!(
            run(&["--harbor-ca", "/x"]),
            Err(ConfigError::Conflict(_))
        ));
    }

    #[test]
    fn conflicting_and_bad_flags_are_errors() {
        assert!(matches!(
            run(&["--demo", "--harbor", "https://h"]),
            Err(ConfigError::Conflict(_))
        ));
        assert!(matches!(
            run(&["--harbor", "https://h", "--preset", "tiny"]),
            Err(ConfigError::Conflict(_))
        ));
        assert!(matches!(
            run(&["--max-body-bytes", "9"]),
            Err(ConfigError::Conflict(_))
        ));
        assert_eq!(
            run(&["--nope"]),
            Err(ConfigError::UnknownFlag("--nope".into()))
        );
        assert_eq!(
            run(&["--seed"]),
            Err(ConfigError::MissingValue("--seed".into()))
        );
        assert!(run(&["--fault-rate", "1.5"]).is_err());
        assert!(run(&["--preset", "huge"]).is_err());
        let xlarge = run(&["--preset", "xlarge"]).map(|c| c.backend);
        assert!(matches!(xlarge, Ok(Backend::Demo(d)) if d.preset == "xlarge"));
        assert!(run(&["--harbor-version", "2"]).is_err());
        assert!(run(&["--addr", "localhost"]).is_err());
        assert_eq!(Config::parse(["--help"]), Ok(Command::Help));
        assert_eq!(
            Config::parse(["compress", "dist"]),
            Ok(Command::Compress(PathBuf::from("dist")))
        );
        assert!(Config::parse(["compress"]).is_err());
        assert!(Config::parse(["compress", "a", "b"]).is_err());
    }

    #[test]
    fn upstream_must_be_a_bare_http_origin() {
        assert_eq!(
            parse_upstream("http://127.0.0.1:9000").unwrap(),
            "http://127.0.0.1:9000"
        );
        assert_eq!(
            parse_upstream("https://h.example/harbor/").unwrap(),
            "https://h.example/harbor"
        );
        for bad in [
            "ftp://h",
            "https://user:pw@h",
            "https://h/?x=1",
            "https://h/#f",
            "https://h/api/",
            "h.example",
        ] {
            assert!(parse_upstream(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn base_path_is_normalised() {
        assert_eq!(parse_base_path("/").unwrap(), "/");
        assert_eq!(parse_base_path("/lens").unwrap(), "/lens/");
        assert_eq!(parse_base_path("/tools//lens/").unwrap(), "/tools/lens/");
        for bad in ["lens", "/../x", "/a b/", "/api/", "/x/%2e/"] {
            assert!(parse_base_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn frame_ancestors_cannot_inject_directives() {
        let c = run(&[
            "--frame-ancestors",
            "https://portal.example.com, https://*.corp.example:8443",
        ])
        .unwrap();
        assert_eq!(
            c.frame_ancestors,
            vec!["https://portal.example.com", "https://*.corp.example:8443"]
        );
        assert_eq!(parse_frame_ancestor("'self'").unwrap(), "'self'");
        for bad in [
            "https://a.example; script-src *",
            "https://a.example/path",
            "javascript:alert(1)",
            "*",
            "'unsafe-inline'",
            "https://a.example:99999",
            "https://",
        ] {
            assert!(parse_frame_ancestor(bad).is_err(), "{bad}");
        }
    }
}
