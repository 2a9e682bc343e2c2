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

/// Usage text printed by `--help`.
pub const USAGE: &str = "\
lens-serve: serves the Harbor Lens dashboard and a Harbor API behind it

USAGE: lens-serve [OPTIONS]

  --dist DIR                built dashboard to serve (default: dist)
  --addr HOST:PORT          listen address (default: 127.0.0.1:8080; port 0 = any free port)
  --base-path /PATH/        serve the dashboard under a sub-path (default: /); /api/ stays at the root
  --frame-ancestors ORIGIN  allow framing by ORIGIN (repeatable or comma-separated; default: 'none')
  --tls                     serve HTTPS + HTTP/2 with a self-signed certificate made at start
  --quiet                   no access log on stderr

Harbor backend (one of):
  --demo                    the simulated Harbor, in process (default when --harbor is absent)
    --preset tiny|small|medium|large   dataset size (default: small)
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
  --harbor URL              reverse-proxy /api/ to a real Harbor, e.g. https://harbor.example.com
    --proxy-timeout-secs N  per-request timeout, answered with 504 (default: 30)
    --max-body-bytes N      request-body limit, answered with 413 (default: 1048576)
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
    /// Serve HTTPS (self-signed) instead of plain HTTP.
    pub tls: bool,
    /// Write one access-log line per request to stderr.
    pub access_log: bool,
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
        }
    }
}

/// Reverse-proxy settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ProxyOptions {
    /// Harbor's origin plus optional path prefix, without a trailing slash
    /// (`https://harbor.example.com`).
    pub upstream: String,
    /// Time allowed from sending a request to receiving Harbor's response head, and
    /// between two chunks of its body.
    pub timeout: Duration,
    /// Largest request body forwarded to Harbor.
    pub max_body_bytes: u64,
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
        let mut proxy_flag_seen: Option<String> = None;

        let mut args = args.into_iter().map(Into::into);
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
                "--quiet" => config.access_log = false,
                "--demo" => explicit_demo = true,
                "--harbor" => harbor = Some(parse_upstream(&value(&flag)?)?),
                "--preset" => {
                    let v = value(&flag)?;
                    if !["tiny", "small", "medium", "large"].contains(&v.as_str()) {
                        return Err(invalid(&flag, &v, "expected tiny, small, medium or large"));
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
                "--proxy-timeout-secs" => {
                    let secs: u64 = parse_number(&flag, &value(&flag)?)?;
                    if secs == 0 {
                        return Err(invalid(&flag, "0", "must be at least 1"));
                    }
                    proxy_timeout = Duration::from_secs(secs);
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
            Command::Help => panic!("unexpected help"),
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
                ca_file: None,
            })
        );
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
        assert!(run(&["--harbor-version", "2"]).is_err());
        assert!(run(&["--addr", "localhost"]).is_err());
        assert_eq!(Config::parse(["--help"]), Ok(Command::Help));
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
