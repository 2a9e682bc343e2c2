//! The `Host` check: requests are answered only when they name an address this server is
//! meant to be reached at.
//!
//! Without it a DNS-rebinding page (`evil.example` re-pointed at 127.0.0.1) could read the
//! dashboard's API through the browser of anyone running lens-serve, since the browser
//! sees the page's own origin. The accepted names are the loopback names with the
//! listening port, the listen address itself, and every `--public-host`. Every authority a
//! request names (the `Host` header and, for HTTP/2 or an absolute-form target, the URI's)
//! must be accepted; otherwise the answer is `421 Misdirected Request`.

use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, HOST};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use std::sync::Arc;

/// Host names, with or without a port, that requests may name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHosts {
    /// Lower-case `host` (any port) or `host:port` entries.
    entries: Vec<String>,
    /// The port a Host without one means (80 or 443).
    default_port: u16,
}

impl AllowedHosts {
    /// The loopback names and the listen address with the bound port, plus `public`
    /// (already validated by [`crate::config::parse_public_host`]).
    pub fn new(bound: SocketAddr, public: &[String], tls: bool) -> Self {
        let port = bound.port();
        let mut entries = vec![
            format!("localhost:{port}"),
            format!("127.0.0.1:{port}"),
            format!("[::1]:{port}"),
        ];
        if !bound.ip().is_unspecified() {
            entries.push(bound.to_string());
        }
        entries.extend(public.iter().cloned());
        AllowedHosts {
            entries,
            default_port: if tls { 443 } else { 80 },
        }
    }

    /// Whether `authority` (a Host header value) is one of ours.
    pub fn allows(&self, authority: &str) -> bool {
        let authority = authority.to_ascii_lowercase();
        let (host, port) = split_authority(&authority);
        let Some(port) = port.map_or(Some(self.default_port), |p| p.parse::<u16>().ok()) else {
            return false;
        };
        self.entries.iter().any(|entry| {
            let (e_host, e_port) = split_authority(entry);
            e_host == host && e_port.is_none_or(|p| p.parse::<u16>().ok() == Some(port))
        })
    }

    /// The accepted names, for the startup message.
    pub fn entries(&self) -> &[String] {
        &self.entries
    }
}

/// `host[:port]` or `[v6][:port]` into host and optional port text.
fn split_authority(authority: &str) -> (&str, Option<&str>) {
    if authority.starts_with('[') {
        return match authority.split_once("]:") {
            Some((h, p)) => (&authority[..h.len() + 1], Some(p)),
            None => (authority, None),
        };
    }
    match authority.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    }
}

/// A short, printable rendering of a client-chosen name for an error message.
fn shown(name: &str) -> String {
    name.chars()
        .take(100)
        .map(|c| if c.is_ascii_graphic() { c } else { '?' })
        .collect()
}

fn refuse(status: StatusCode, text: String) -> Response {
    (status, [(CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

/// Middleware: refuses requests whose `Host` (or URI authority) is not ours.
pub async fn check(State(allowed): State<Arc<AllowedHosts>>, req: Request, next: Next) -> Response {
    let mut hosts = req.headers().get_all(HOST).iter();
    let header = hosts.next().map(|v| v.to_str().unwrap_or("\u{fffd}"));
    if hosts.next().is_some() {
        return refuse(
            StatusCode::BAD_REQUEST,
            "lens-serve: more than one Host header\n".to_owned(),
        );
    }
    let authority = req.uri().authority().map(|a| a.as_str());
    if header.is_none() && authority.is_none() {
        return refuse(
            StatusCode::BAD_REQUEST,
            "lens-serve: a Host header is required\n".to_owned(),
        );
    }
    for name in header.into_iter().chain(authority) {
        if !allowed.allows(name) {
            return refuse(
                StatusCode::MISDIRECTED_REQUEST,
                format!(
                    "lens-serve: `{}` is not an address of this server; an operator can \
                     add it with --public-host\n",
                    shown(name)
                ),
            );
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_and_public_hosts_are_accepted() {
        let bound: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        let hosts = AllowedHosts::new(
            bound,
            &["lens.example.com".into(), "10.0.0.5:8443".into()],
            false,
        );
        for ok in [
            "localhost:8080",
            "LOCALHOST:8080",
            "127.0.0.1:8080",
            "[::1]:8080",
            "lens.example.com",
            "lens.example.com:443",
            "10.0.0.5:8443",
        ] {
            assert!(hosts.allows(ok), "{ok}");
        }
        for bad in [
            "evil.example:8080",
            "localhost:8081",
            "localhost",
            "0.0.0.0:8080",
            "10.0.0.5:8080",
            "lens.example.com.evil.example",
            "127.0.0.1:8080@evil",
            "",
        ] {
            assert!(!hosts.allows(bad), "{bad}");
        }
    }

    #[test]
    fn a_port_less_host_means_the_scheme_default() {
        let hosts = AllowedHosts::new("127.0.0.1:443".parse().unwrap(), &[], true);
        assert!(hosts.allows("localhost") && hosts.allows("127.0.0.1"));
        let plain = AllowedHosts::new("127.0.0.1:443".parse().unwrap(), &[], false);
        assert!(!plain.allows("localhost"));
    }
}
